// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two-dimensional paging: the nested page tables (AMD NPT, APM vol. 2 15.25, or Intel EPT,
 * SDM vol. 3C 28.2, as the backend's tdp_ept says) that map
 * guest-physical to host-physical addresses, four levels of 512 entries in the long-mode
 * format. They start empty and are filled one 4 KiB page at a time, on nested page faults,
 * from the memslots: the host page backing a guest frame is looked up in the VM creator's
 * mm at fault time.
 *
 * Until MMU notifiers follow the host mm, a mapped page keeps the reference taken when it
 * was mapped; zapping a range (slot deleted or moved, VM destroyed) drops the entries, makes
 * every vCPU leave guest mode and flush its TLB, and only then drops the references.
 *
 * Locking: tdp.lock (a spinlock) protects the tables; the fault path holds kvm->srcu from
 * the slot lookup to the installation of the entry, and slot updates wait for it
 * (synchronize_srcu) before zapping, so no entry from a removed slot survives the zap.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/srcu.h>

#include "x86.h"

#define TDP_LEVELS		4
#define TDP_ENTRIES		512
#define TDP_PRESENT		BIT_ULL(0)
#define TDP_WRITABLE		BIT_ULL(1)
/* nested walks are user-mode accesses: every level needs U/S (APM 15.25.5) */
#define TDP_USER		BIT_ULL(2)
#define TDP_ACCESSED		BIT_ULL(5)
#define TDP_DIRTY		BIT_ULL(6)
#define TDP_LARGE		BIT_ULL(7)	/* a 2 MiB leaf in a level-2 entry */
#define PAGES_PER_2M		512
#define TDP_PFN_MASK		GENMASK_ULL(51, 12)
#define TDP_TABLE_FLAGS		(TDP_PRESENT | TDP_WRITABLE | TDP_USER | TDP_ACCESSED)
#define TDP_LEAF_FLAGS		(TDP_PRESENT | TDP_WRITABLE | TDP_USER | TDP_ACCESSED | TDP_DIRTY)
/* EPT (SDM 28.2.2): read, write, execute in bits 2:0; leaves hold the memory type in 5:3 */
#define EPT_RWX			(BIT_ULL(0) | BIT_ULL(1) | BIT_ULL(2))
#define EPT_MEMTYPE_WB		(6ULL << 3)

static unsigned int tdp_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (TDP_ENTRIES - 1);
}

static u64 *tdp_table(u64 entry)
{
	return __va(entry & TDP_PFN_MASK);
}

int kvm_tdp_init(struct kvm *kvm)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;

	spin_lock_init(&tdp->lock);
	if (kvm_x86_vendor->tdp_ept) {
		tdp->present_mask = EPT_RWX;
		tdp->table_flags = EPT_RWX;
		tdp->leaf_flags = EPT_RWX | EPT_MEMTYPE_WB;
	} else {
		tdp->present_mask = TDP_PRESENT;
		tdp->table_flags = TDP_TABLE_FLAGS;
		tdp->leaf_flags = TDP_LEAF_FLAGS;
	}
	tdp->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return tdp->root ? 0 : -ENOMEM;
}

static void free_table(struct kvm_tdp *tdp, u64 *table, int level)
{
	int i;

	for (i = 0; i < TDP_ENTRIES; i++) {
		u64 e = table[i];

		if (!(e & tdp->present_mask))
			continue;
		if (level > 1 && !(e & TDP_LARGE))
			free_table(tdp, tdp_table(e), level - 1);
		else
			put_page(pfn_to_page((e & TDP_PFN_MASK) >> PAGE_SHIFT));
	}
	free_page((unsigned long)table);
}

/* The VM is being destroyed: no vCPU exists any more, so no TLB can hold an entry. */
void kvm_tdp_destroy(struct kvm *kvm)
{
	if (kvm->arch.tdp.root)
		free_table(&kvm->arch.tdp, kvm->arch.tdp.root, TDP_LEVELS);
	kvm->arch.tdp.root = NULL;
}

/*
 * Each vCPU keeps TDP_LEVELS - 1 zeroed pages for the tables a fault may have to add (one per
 * level below the root), topped up before tdp.lock is taken so that nothing is allocated
 * under the spinlock; in the steady state a fault allocates nothing.
 */
static int tdp_cache_fill(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;

	while (a->tdp_cache_nr < KVM_TDP_CACHE_PAGES) {
		u64 *page = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		a->tdp_cache[a->tdp_cache_nr++] = page;
	}
	return 0;
}

void kvm_tdp_vcpu_free(struct kvm_vcpu *vcpu)
{
	while (vcpu->arch.tdp_cache_nr)
		free_page((unsigned long)vcpu->arch.tdp_cache[--vcpu->arch.tdp_cache_nr]);
}

/*
 * Install gfn -> pfn with a leaf at level 1 (4 KiB) or 2 (2 MiB, gfn and pfn aligned).
 * Returns 1 when installed, 0 when another vCPU mapped it first, -EEXIST when a 2 MiB leaf
 * cannot go in because a table of 4 KiB entries is already there. Caller holds tdp->lock.
 */
static int tdp_map(struct kvm_tdp *tdp, struct kvm_vcpu_arch *a, u64 gfn, u64 pfn,
		   int leaf_level)
{
	u64 *table = tdp->root, *e;
	int level;

	lockdep_assert_held(&tdp->lock);
	for (level = TDP_LEVELS; level > leaf_level; level--) {
		e = &table[tdp_index(gfn, level)];
		if (*e & TDP_LARGE)
			return 0;	/* a 2 MiB leaf already covers gfn */
		if (!(*e & tdp->present_mask)) {
			u64 *new = a->tdp_cache[--a->tdp_cache_nr];

			tdp->nr_tables++;
			WRITE_ONCE(*e, __pa(new) | tdp->table_flags);
		}
		table = tdp_table(*e);
	}
	e = &table[tdp_index(gfn, leaf_level)];
	if (*e & tdp->present_mask)
		return leaf_level > 1 && !(*e & TDP_LARGE) ? -EEXIST : 0;
	WRITE_ONCE(*e, (pfn << PAGE_SHIFT) | tdp->leaf_flags | (leaf_level > 1 ? TDP_LARGE : 0));
	tdp->nr_pages_mapped++;
	return 1;
}

/*
 * Can gfn be mapped with one 2 MiB entry onto the huge page (transparent or hugetlbfs) that
 * page belongs to? The slot must cover the whole aligned 2 MiB guest range, the host range
 * must be aligned alike, and the host must still map the first and the last 4 KiB of that
 * range to the first and last pages of the huge page (a split and partly remapped huge
 * page is mapped 4 KiB at a time).
 */
static bool tdp_huge_ok(const struct kvm_memory_slot *slot, u64 gfn, struct page *page)
{
	u64 base = gfn & ~(u64)(PAGES_PER_2M - 1);
	struct page *head = compound_head(page), *p;
	unsigned long hva;
	bool ok;

	if (!PageHead(head) || compound_order(head) != 9)
		return false;
	if (base < slot->base_gfn || base + PAGES_PER_2M > slot->base_gfn + slot->npages)
		return false;
	hva = kvm_memslot_gfn_to_hva(slot, base);
	if ((hva >> PAGE_SHIFT) & (PAGES_PER_2M - 1))
		return false;
	if (get_user_pages_fast(hva, 1, FOLL_WRITE, &p) != 1)
		return false;
	ok = p == head;
	put_page(p);
	if (!ok || get_user_pages_fast(hva + (PAGES_PER_2M - 1) * PAGE_SIZE, 1, FOLL_WRITE, &p) != 1)
		return false;
	ok = p == nth_page(head, PAGES_PER_2M - 1);
	put_page(p);
	return ok;
}

static int tdp_fault_no_slot(struct kvm_vcpu *vcpu, u64 gpa)
{
	/* MMIO needs the instruction emulator, which does not exist yet */
	return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, gpa);
}

int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 error_code)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_tdp *tdp = &kvm->arch.tdp;
	const struct kvm_memory_slot *slot;
	u64 gfn = gpa >> PAGE_SHIFT;
	struct page *page;
	int idx, r, mapped = -EEXIST;
	long got;

	r = tdp_cache_fill(vcpu);
	if (r)
		return r;

	idx = srcu_read_lock(&kvm->srcu);
	slot = kvm_gfn_to_memslot(kvm, gfn);
	if (!slot) {
		r = tdp_fault_no_slot(vcpu, gpa);
		goto out_srcu;
	}
	/*
	 * Writable always: the slot is writable, and asking for write access breaks
	 * copy-on-write now rather than mapping a page the guest must not write.
	 */
	got = get_user_pages_fast(kvm_memslot_gfn_to_hva(slot, gfn), 1, FOLL_WRITE, &page);
	if (got != 1) {
		/* interrupted by a signal: the run loop reports it; anything else is EFAULT */
		r = (got == -EINTR || got == -ERESTARTSYS || fatal_signal_pending(current)) ?
			1 : -EFAULT;
		goto out_srcu;
	}
	/* the guest may write it from now on without the host's page tables knowing */
	set_page_dirty_lock(page);

	/* the reference taken above keeps the whole huge page, for a 2 MiB entry too */
	if (tdp_huge_ok(slot, gfn, page)) {
		spin_lock(&tdp->lock);
		mapped = tdp_map(tdp, &vcpu->arch, gfn & ~(u64)(PAGES_PER_2M - 1),
				 page_to_pfn(compound_head(page)), 2);
		spin_unlock(&tdp->lock);
	}
	if (mapped == -EEXIST) {
		spin_lock(&tdp->lock);
		mapped = tdp_map(tdp, &vcpu->arch, gfn, page_to_pfn(page), 1);
		spin_unlock(&tdp->lock);
	}
	if (!mapped)
		put_page(page);
	r = 1;
out_srcu:
	srcu_read_unlock(&kvm->srcu, idx);
	return r;
}
EXPORT_SYMBOL_GPL(kvm_tdp_page_fault);

/* Clear up to max leaf entries in [*gfn, end) into pfns[]; advances *gfn. Under the lock. */
static int tdp_zap_some(struct kvm_tdp *tdp, u64 *gfn, u64 end, u64 *pfns, int max)
{
	int n = 0;

	while (*gfn < end && n < max) {
		u64 *table = tdp->root, *e = NULL;
		int level;

		for (level = TDP_LEVELS; level > 1; level--) {
			e = &table[tdp_index(*gfn, level)];
			if (!(*e & tdp->present_mask) || (*e & TDP_LARGE))
				break;
			table = tdp_table(*e);
		}
		if (level > 1 && (*e & TDP_LARGE)) {
			/* a 2 MiB leaf: dropped whole, even if the range covers part of it */
			pfns[n++] = (*e & TDP_PFN_MASK) >> PAGE_SHIFT;
			WRITE_ONCE(*e, 0);
			tdp->nr_pages_mapped--;
			*gfn = (*gfn + PAGES_PER_2M) & ~(u64)(PAGES_PER_2M - 1);
			continue;
		}
		if (level > 1) {
			/* nothing mapped under this entry: skip what it covers */
			u64 span = 1ULL << (9 * (level - 1));

			*gfn = (*gfn + span) & ~(span - 1);
			continue;
		}
		if (table[tdp_index(*gfn, 1)] & tdp->present_mask) {
			pfns[n++] = (table[tdp_index(*gfn, 1)] & TDP_PFN_MASK) >> PAGE_SHIFT;
			WRITE_ONCE(table[tdp_index(*gfn, 1)], 0);
			tdp->nr_pages_mapped--;
		}
		(*gfn)++;
	}
	return n;
}

void kvm_tdp_zap_range(struct kvm *kvm, u64 base_gfn, u64 npages)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;
	u64 gfn = base_gfn, end = base_gfn + npages;
	int max = PAGE_SIZE / sizeof(u64), n, i;
	u64 *pfns;

	might_sleep();
	/* GFP_NOFAIL: a zap that cannot complete would leave the guest mapping freed memory */
	pfns = (u64 *)__get_free_page(GFP_KERNEL | __GFP_NOFAIL);
	while (gfn < end) {
		spin_lock(&tdp->lock);
		n = tdp_zap_some(tdp, &gfn, end, pfns, max);
		if (n)
			WRITE_ONCE(tdp->flush_gen, tdp->flush_gen + 1);
		spin_unlock(&tdp->lock);
		if (!n)
			continue;
		/* no vCPU may still reach these pages through its TLB once they are dropped */
		kvm_kick_vcpus_sync(kvm);
		for (i = 0; i < n; i++)
			put_page(pfn_to_page(pfns[i]));
		cond_resched();
	}
	free_page((unsigned long)pfns);
}
