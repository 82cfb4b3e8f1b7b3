// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM's nested page tables follow the creator's mm (kvm->mm) through an MMU notifier
 * (include/linux/mmu_notifier.h): guest memory is ordinary userspace memory, and whatever
 * the host does to it (munmap, MADV_DONTNEED, KSM merging, THP splits and collapses,
 * migration, swap, mprotect, the mm going away) reaches the nested page tables before the
 * host reuses the page. Nested page table entries hold no page reference.
 *
 * Invalidation protocol (the fault side is in arch/x86/kvm/mmu/tdp.c):
 *  - invalidate_range_start: begin (mmu_in_progress++ and the host range added to those in
 *    progress, under tdp.lock), then translate the host range to guest frames through
 *    every slot that maps it, drop those entries, and flush every vCPU's TLB before
 *    returning. The host changes its page tables after that.
 *  - invalidate_range_end: end (mmu_seq++, mmu_in_progress-- under tdp.lock).
 *  - a fault reads mmu_seq before looking the page up and installs it only if, under
 *    tdp.lock, no invalidation in progress covers its host address and mmu_seq has not
 *    moved; else it retries. Faults elsewhere go on while the host works on a page (KSM
 *    merging one page must not stall every vCPU of the process).
 * A fault that looked up a page the host was about to change thus never installs it, and
 * one that installed before the begin is found by the zap: the slot set is read after the
 * begin, and slot updates change what a gfn maps to inside an invalidation of their own
 * (memslot.c), so every entry present comes from a slot in the set read here.
 *
 * Nothing here sleeps: the callbacks run under the host's page table and rmap locks, and
 * for the OOM reaper with blocking not allowed. They take kvm->srcu (read side) and
 * tdp.lock, and wait for vCPUs to acknowledge a kick (an IPI). Never slots_lock.
 *
 * Aging: NPT leaves have an accessed bit the CPU sets; clear_young/clear_flush_young test
 * and clear it, test_young tests it. EPT as the VMX backend sets it up has no accessed
 * bit (A/D flags off in the EPTP): test_young says young for any mapped page, and the clear
 * variants drop the mapping, so the next access faults and is seen by the host's own
 * accessed bit. change_pte is not implemented: the host calls it between start and end,
 * when the entry is already gone, and the next fault maps the new page.
 */
#include <linux/mmu_notifier.h>
#include <linux/srcu.h>

#include "kvm_core.h"

static struct kvm *mn_to_kvm(struct mmu_notifier *mn)
{
	return container_of(mn, struct kvm, mmu_notifier);
}

enum hva_op { HVA_UNMAP, HVA_AGE, HVA_TEST_AGE };

/*
 * Apply op to the guest frames that [start, end) of the host address space backs, in
 * every slot (slots may alias the same host memory). Returns whether aging found a young
 * page. Caller may not sleep unless may_sleep.
 */
static bool hva_range_op(struct kvm *kvm, unsigned long start, unsigned long end,
			 enum hva_op op, bool may_sleep)
{
	const struct kvm_memslots *slots;
	bool young = false;
	int idx, i;

	idx = srcu_read_lock(&kvm->srcu);
	slots = srcu_dereference(kvm->memslots, &kvm->srcu);
	for (i = 0; i < slots->nr; i++) {
		const struct kvm_memory_slot *s = &slots->slots[i];
		unsigned long s_start = s->userspace_addr;
		unsigned long s_end = s_start + (s->npages << PAGE_SHIFT);
		u64 gfn_start, gfn_end;

		if (start >= s_end || end <= s_start)
			continue;
		gfn_start = s->base_gfn + ((max(start, s_start) - s_start) >> PAGE_SHIFT);
		gfn_end = s->base_gfn +
			  ((min(end, s_end) - s_start + PAGE_SIZE - 1) >> PAGE_SHIFT);
		switch (op) {
		case HVA_UNMAP:
			kvm_arch_unmap_gfn_range(kvm, gfn_start, gfn_end, may_sleep);
			break;
		case HVA_AGE:
		case HVA_TEST_AGE:
			young |= kvm_arch_age_gfn_range(kvm, gfn_start, gfn_end, op == HVA_AGE);
			break;
		}
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return young;
}

static int kvm_mn_invalidate_range_start(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct kvm *kvm = mn_to_kvm(mn);

	kvm_arch_mmu_invalidate_begin(kvm, range->start, range->end);
	hva_range_op(kvm, range->start, range->end, HVA_UNMAP,
		     mmu_notifier_range_blockable(range));
	/* also when this zapped nothing: a concurrent zap of the same pages may not have flushed yet */
	kvm_arch_flush_remote_tlbs(kvm);
	return 0;
}

static void kvm_mn_invalidate_range_end(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	kvm_arch_mmu_invalidate_end(mn_to_kvm(mn));
}

static int kvm_mn_clear_flush_young(struct mmu_notifier *mn, struct mm_struct *mm,
				    unsigned long start, unsigned long end)
{
	struct kvm *kvm = mn_to_kvm(mn);
	bool young = hva_range_op(kvm, start, end, HVA_AGE, false);

	if (young)
		kvm_arch_flush_remote_tlbs(kvm);
	return young;
}

static int kvm_mn_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
			      unsigned long start, unsigned long end)
{
	/* without a flush a vCPU may go on using a cached accessed translation: allowed */
	return hva_range_op(mn_to_kvm(mn), start, end, HVA_AGE, false);
}

static int kvm_mn_test_young(struct mmu_notifier *mn, struct mm_struct *mm,
			     unsigned long address)
{
	return hva_range_op(mn_to_kvm(mn), address, address + 1, HVA_TEST_AGE, false);
}

/*
 * The mm is going away (exit_mmap) or the notifier is unregistered: drop every mapping.
 * No vCPU can run any more (their threads belonged to the mm; other processes get EIO),
 * and later faults would find no host mapping anyway.
 */
static void kvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvm *kvm = mn_to_kvm(mn);

	kvm_arch_mmu_invalidate_begin(kvm, 0, ULONG_MAX);
	hva_range_op(kvm, 0, ULONG_MAX, HVA_UNMAP, true);
	kvm_arch_flush_remote_tlbs(kvm);
	kvm_arch_mmu_invalidate_end(kvm);
}

static const struct mmu_notifier_ops kvm_mmu_notifier_ops = {
	.invalidate_range_start	= kvm_mn_invalidate_range_start,
	.invalidate_range_end	= kvm_mn_invalidate_range_end,
	.clear_flush_young	= kvm_mn_clear_flush_young,
	.clear_young		= kvm_mn_clear_young,
	.test_young		= kvm_mn_test_young,
	.release		= kvm_mn_release,
};

/* On the calling process's mm (the VM's creator), once the slots and tables exist. */
int kvm_mmu_notifier_register(struct kvm *kvm)
{
	kvm->mmu_notifier.ops = &kvm_mmu_notifier_ops;
	return mmu_notifier_register(&kvm->mmu_notifier, current->mm);
}

/* Waits for running callbacks; calls release if the mm has not gone away yet. */
void kvm_mmu_notifier_unregister(struct kvm *kvm)
{
	mmu_notifier_unregister(&kvm->mmu_notifier, kvm->mm);
}
