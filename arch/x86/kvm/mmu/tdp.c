// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two-dimensional paging: the nested page tables (AMD NPT, APM vol. 2 15.25, or Intel EPT,
 * SDM vol. 3C 28.2, as the backend's tdp_ept says) that map guest-physical to host-physical
 * addresses, four levels of 512 entries in the long-mode format. They start empty and are
 * filled on nested page faults from the memslots: the host page backing a guest frame is
 * looked up in the VM creator's mm at fault time, with 4 KiB leaves, or 2 MiB ones where the
 * host maps the whole aligned range with one huge page.
 *
 * Entries hold no reference on the pages they map: the reference the fault path takes to
 * look the page up is dropped once the entry is in. The host mm is followed instead
 * (virt/kvm/mmu_notifier.c): before the host unmaps, moves, merges or frees a page, the
 * notifier zaps the entries mapping it and makes every vCPU flush its TLB. A fault that
 * raced with such an invalidation (it looked the page up before the host changed it and
 * would install it after the zap) sees mmu_seq moved, or an invalidation of its address in
 * progress, under tdp.lock and retries instead of installing a stale pfn
 * (Documentation/locking.rst).
 *
 * Read-only leaves: a page the host maps read-only (the zero page, a KSM page, a page
 * shared copy-on-write) is mapped read-only and the first guest write faults again, this
 * time asking the host for write access. Slots with dirty logging (virt/kvm/dirty.c) are
 * mapped read-only and with 4 KiB leaves only; a write fault marks the page dirty and makes
 * its leaf writable.
 *
 * The iTLB multihit workaround (kvm.nx_huge_pages, X86_BUG_ITLB_MULTIHIT): a guest must
 * never execute from a 2 MiB leaf. Huge leaves then go in without execute permission, and
 * the first instruction fetch in one splits it: the leaf is replaced by a table whose 4 KiB
 * leaves fault in one by one, executable (nx_lpage_splits counts the splits; they are not
 * put back together).
 *
 * Collapse: a fault that may map 2 MiB where a table of 4 KiB leaves is (left by dirty
 * logging, or by a host huge page that was split and put back together by khugepaged)
 * replaces the table with the 2 MiB leaf, and frees the table once every vCPU has flushed.
 * A slot that stops logging has its 4 KiB leaves dropped where the host maps huge pages
 * (kvm_arch_dirty_log_stopped), so that the guest's next accesses map 2 MiB again.
 *
 * Locking: tdp.lock (a spinlock) protects the tables, mmu_seq and mmu_in_progress; it is
 * taken inside the host's mm locks (notifiers run under them) and nothing that may sleep or
 * fault is called under it.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pgtable.h>
#include <linux/swap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/srcu.h>

#include "compat.h"
#include "x86.h"
#include "kvm_trace.h"

#define TDP_LEVELS		4
#define TDP_ENTRIES		512
#define TDP_PRESENT		BIT_ULL(0)
/* the write bit is bit 1 in both formats (NPT R/W, EPT write access) */
#define TDP_WRITABLE		BIT_ULL(1)
#define TDP_WRITABLE_BIT	1
/* nested walks are user-mode accesses: every level needs U/S (APM 15.25.5) */
#define TDP_USER		BIT_ULL(2)
#define TDP_ACCESSED		BIT_ULL(5)
#define TDP_DIRTY		BIT_ULL(6)
#define TDP_LARGE		BIT_ULL(7)	/* a 2 MiB leaf in a level-2 entry */
/*
 * Software bit of a level-2 entry pointing to a table: nx_huge_pages split it, so that it
 * stays 4 KiB (bit 11 is ignored by the CPU in a non-leaf NPT entry, APM vol. 2 5.3.3, and
 * in a non-leaf EPT entry, SDM vol. 3C 28.3.2)
 */
#define TDP_NX_SPLIT		BIT_ULL(11)
#define PAGES_PER_2M		512
#define TDP_PFN_MASK		GENMASK_ULL(51, 12)
#define TDP_TABLE_FLAGS		(TDP_PRESENT | TDP_WRITABLE | TDP_USER | TDP_ACCESSED)
#define TDP_LEAF_FLAGS		(TDP_PRESENT | TDP_WRITABLE | TDP_USER | TDP_ACCESSED | TDP_DIRTY)
/* EPT (SDM 28.2.2): read, write, execute in bits 2:0; leaves hold the memory type in 5:3 */
#define EPT_RWX			(BIT_ULL(0) | BIT_ULL(1) | BIT_ULL(2))
#define EPT_EXEC		BIT_ULL(2)
/* NPT: no-execute in bit 63, honoured with the host's EFER.NXE (APM vol. 2 15.25.5) */
#define TDP_NX			BIT_ULL(63)
#define EPT_MEMTYPE_WB		(6ULL << 3)
/* the guest-physical address space the tables cover: 4 levels of 9 bits above 4 KiB */
#define TDP_GFN_LIMIT		(1ULL << (9 * TDP_LEVELS))
/* leaves visited per tdp.lock hold when the caller may reschedule between holds */
#define TDP_BATCH		4096

static unsigned int tdp_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (TDP_ENTRIES - 1);
}

static u64 *tdp_table(u64 entry)
{
	return __va(entry & TDP_PFN_MASK);
}

static u64 tdp_pfn(u64 entry)
{
	return (entry & TDP_PFN_MASK) >> PAGE_SHIFT;
}

int kvm_tdp_init(struct kvm *kvm)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;

	spin_lock_init(&tdp->lock);
	atomic64_set(&tdp->flushed_gen, 0);
	if (kvm_x86_vendor->tdp_ept) {
		tdp->present_mask = EPT_RWX;
		tdp->table_flags = EPT_RWX;
		tdp->leaf_flags = EPT_RWX | EPT_MEMTYPE_WB;
		/*
		 * The EPTP the VMX backend builds leaves accessed/dirty flags off (SDM 28.3.5):
		 * no accessed bit to age by. Aging then zaps leaves (see tdp_age_leaf).
		 */
		tdp->accessed_mask = 0;
		tdp->noexec_clear = EPT_EXEC;
	} else {
		tdp->present_mask = TDP_PRESENT;
		tdp->table_flags = TDP_TABLE_FLAGS;
		tdp->leaf_flags = TDP_LEAF_FLAGS;
		tdp->accessed_mask = TDP_ACCESSED;
		/* without NX, bit 63 is reserved: then no leaf can be non-executable */
		if (boot_cpu_has(X86_FEATURE_NX))
			tdp->noexec_set = TDP_NX;
	}
	tdp->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return tdp->root ? 0 : -ENOMEM;
}

static void free_table(struct kvm_tdp *tdp, u64 *table, int level)
{
	int i;

	for (i = 0; i < TDP_ENTRIES; i++) {
		u64 e = table[i];

		if (level > 1 && (e & tdp->present_mask) && !(e & TDP_LARGE))
			free_table(tdp, tdp_table(e), level - 1);
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
 * An entry went away or lost a permission: a vCPU TLB may still hold the old translation
 * until it flushes. Caller holds tdp->lock; kvm_arch_flush_remote_tlbs() makes it so.
 */
static void tdp_changed(struct kvm_tdp *tdp)
{
	lockdep_assert_held(&tdp->lock);
	WRITE_ONCE(tdp->flush_gen, tdp->flush_gen + 1);
}

/* A leaf went in (+1) or away (-1): nr_pages_mapped and the VM's pages_4k/pages_2m */
static void tdp_count_leaf(struct kvm_tdp *tdp, bool large, long delta)
{
	struct kvm_vm_stat *stat = &container_of(tdp, struct kvm_arch, tdp)->stat;

	lockdep_assert_held(&tdp->lock);
	tdp->nr_pages_mapped += delta;
	if (large)
		kvm_stat_add(stat->pages_2m, delta);
	else
		kvm_stat_add(stat->pages_4k, delta);
}

static bool tdp_can_noexec(const struct kvm_tdp *tdp)
{
	return tdp->noexec_clear | tdp->noexec_set;
}

static bool tdp_leaf_exec(const struct kvm_tdp *tdp, u64 e)
{
	return (e & tdp->noexec_clear) == tdp->noexec_clear && !(e & tdp->noexec_set);
}

/* A table of 4 KiB leaves goes: count its leaves out (the caller frees it after a flush) */
static void tdp_unlink_table(struct kvm_tdp *tdp, u64 *table)
{
	int i;

	for (i = 0; i < TDP_ENTRIES; i++)
		if (table[i] & tdp->present_mask)
			tdp_count_leaf(tdp, false, -1);
	tdp->nr_tables--;
}

/*
 * Install gfn -> pfn with a leaf at level 1 (4 KiB) or 2 (2 MiB, gfn and pfn aligned),
 * writable or read-only, executable or not. Returns 1 when the tables changed, 0 when what
 * is there already does the job (another vCPU was first), -EEXIST when a 2 MiB leaf cannot
 * go in because nx_huge_pages split the range. A 2 MiB leaf replaces a table of 4 KiB
 * leaves otherwise: *unlinked is then that table, to be freed once every vCPU flushed.
 * Caller holds tdp->lock and checked mmu_seq under it.
 */
static int tdp_map(struct kvm_tdp *tdp, struct kvm_vcpu_arch *a, u64 gfn, u64 pfn,
		   int leaf_level, bool writable, bool noexec, u64 **unlinked)
{
	u64 leaf = (pfn << PAGE_SHIFT) | tdp->leaf_flags, *table = tdp->root, *e;
	int level;

	lockdep_assert_held(&tdp->lock);
	if (!writable)
		leaf &= ~TDP_WRITABLE;
	if (noexec)
		leaf = (leaf & ~tdp->noexec_clear) | tdp->noexec_set;
	if (leaf_level > 1)
		leaf |= TDP_LARGE;
	for (level = TDP_LEVELS; level > leaf_level; level--) {
		bool exec_lacking = false;

		e = &table[tdp_index(gfn, level)];
		if (*e & TDP_LARGE) {
			exec_lacking = !noexec && !tdp_leaf_exec(tdp, *e);

			/*
			 * A 2 MiB leaf covers gfn: enough, unless it is read-only and this
			 * writes, or it is not executable and this fetches (nx_huge_pages)
			 */
			if ((!writable || (*e & TDP_WRITABLE)) && !exec_lacking)
				return 0;
			/* make way for a table of 4 KiB leaves; TLBs may hold the 2 MiB one */
			WRITE_ONCE(*e, 0);
			tdp_count_leaf(tdp, true, -1);
			tdp_changed(tdp);
			if (exec_lacking)
				kvm_stat_inc(container_of(tdp, struct kvm_arch, tdp)->stat.nx_lpage_splits);
		}
		if (!(*e & tdp->present_mask)) {
			u64 *new = a->tdp_cache[--a->tdp_cache_nr];

			tdp->nr_tables++;
			WRITE_ONCE(*e, __pa(new) | tdp->table_flags |
				       (exec_lacking ? TDP_NX_SPLIT : 0));
		}
		table = tdp_table(*e);
	}
	e = &table[tdp_index(gfn, leaf_level)];
	if (*e & tdp->present_mask) {
		if (leaf_level > 1 && !(*e & TDP_LARGE)) {
			if (*e & TDP_NX_SPLIT)
				return -EEXIST;
			/* the 4 KiB leaves there map parts of this same host huge page */
			*unlinked = tdp_table(*e);
			tdp_unlink_table(tdp, *unlinked);
			WRITE_ONCE(*e, leaf);
			tdp_count_leaf(tdp, true, 1);
			tdp_changed(tdp);
			return 1;
		}
		if (!writable || (*e & TDP_WRITABLE))
			return 0;
		/* the same page, made writable: no flush needed to grant a permission */
		if (!WARN_ON_ONCE(tdp_pfn(*e) != pfn)) {
			set_bit(TDP_WRITABLE_BIT, (unsigned long *)e);
			return 1;
		}
		/* another page: only a broken invalidation protocol gets here */
		WRITE_ONCE(*e, leaf);
		tdp_changed(tdp);
		return 1;
	}
	WRITE_ONCE(*e, leaf);
	tdp_count_leaf(tdp, leaf_level > 1, 1);
	return 1;
}

/*
 * Does the host map hva with one page of 2 MiB or more (a PMD or PUD leaf: a transparent
 * huge page, or hugetlbfs)? A lockless walk of the host page tables, as GUP-fast does it:
 * with interrupts off the tables cannot be freed under the walk (x86 frees them after a TLB
 * shootdown IPI or an RCU grace period). The answer can be stale by the time it is used;
 * whatever changed it invalidated the range, and the fault then retries.
 */
static bool host_maps_huge(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	pgd_t *pgdp, pgd;
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;
	bool huge = false;

	local_irq_save(flags);
	pgdp = pgd_offset(mm, hva);
	pgd = READ_ONCE(*pgdp);
	if (!pgd_present(pgd))
		goto out;
	p4dp = p4d_offset_lockless(pgdp, pgd, hva);
	p4d = READ_ONCE(*p4dp);
	if (!p4d_present(p4d))
		goto out;
	pudp = pud_offset_lockless(p4dp, p4d, hva);
	pud = READ_ONCE(*pudp);
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		huge = true;
		goto out;
	}
	pmdp = pmd_offset_lockless(pudp, pud, hva);
	pmd = READ_ONCE(*pmdp);
	huge = pmd_present(pmd) && pmd_leaf(pmd);
out:
	local_irq_restore(flags);
	return huge;
}

/*
 * Can gfn be mapped with one 2 MiB leaf onto the host page pfn belongs to? Not while the
 * slot is dirty-logged (the log is per 4 KiB page). The slot must cover the whole aligned
 * 2 MiB guest range, guest and host offsets within 2 MiB must agree, and the host must map
 * hva with a huge page (then the pfns of the range are contiguous and 2 MiB aligned).
 */
static bool tdp_huge_ok(struct kvm *kvm, const struct kvm_memory_slot *slot, u64 gfn,
			unsigned long hva, u64 pfn)
{
	u64 base = gfn & ~(u64)(PAGES_PER_2M - 1);

	/* kvm.nx_huge_pages: 2 MiB leaves only where they can be made non-executable */
	if (slot->dirty_bitmap || (kvm_nx_huge_pages && !tdp_can_noexec(&kvm->arch.tdp)))
		return false;
	if (base < slot->base_gfn || base + PAGES_PER_2M > slot->base_gfn + slot->npages)
		return false;
	if ((((hva >> PAGE_SHIFT) ^ gfn) | (pfn ^ gfn)) & (PAGES_PER_2M - 1))
		return false;
	return host_maps_huge(kvm->mm, hva);
}

/*
 * Is an invalidation of part of [start, end) in progress? Exact under tdp.lock; without it
 * (a hint, to avoid looking up a page the host is working on) it may be wrong either way.
 */
static bool tdp_invalidating(struct kvm_tdp *tdp, unsigned long start, unsigned long end)
{
	return READ_ONCE(tdp->mmu_in_progress) && start < READ_ONCE(tdp->mmu_inv_end) &&
	       end > READ_ONCE(tdp->mmu_inv_start);
}

/*
 * A nested page fault at gpa; error_code in the TDP_FAULT_* format (x86.h). An address no
 * slot backs, and a write to a read-only slot, are device accesses: the instruction is
 * emulated (mmio.c). Returns 1 to re-enter the guest (also after a retry), 0 with an exit
 * for userspace, or a negative errno.
 */
static int tdp_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 error_code, bool pre_fault)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_tdp *tdp = &kvm->arch.tdp;
	const struct kvm_memory_slot *slot;
	bool write = error_code & TDP_FAULT_WRITE, writable = write, huge, noexec;
	u64 gfn = gpa >> PAGE_SHIFT, pfn;
	unsigned long hva, seq, map_start, map_end;
	struct page *page;
	u64 *unlinked = NULL;
	int idx, r, mapped = -EEXIST;
	long got;

	trace_kvm_page_fault(vcpu, gpa, error_code);
	r = tdp_cache_fill(vcpu);
	if (r)
		return r;

	/* before the page is looked up: an invalidation from now on moves it (or is running) */
	seq = READ_ONCE(tdp->mmu_seq);
	smp_rmb();

	idx = srcu_read_lock(&kvm->srcu);
	slot = kvm_gfn_to_memslot(kvm, gfn);
	if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
		srcu_read_unlock(&kvm->srcu, idx);
		/* KVM_PRE_FAULT_MEMORY only reads, and has no instruction to emulate */
		if (pre_fault)
			return -ENOENT;
		return kvm_mmio_fault(vcpu, gpa, error_code, !slot);
	}
	hva = kvm_memslot_gfn_to_hva(slot, gfn);
	/*
	 * The host is changing this page: do not take a reference on it now (KSM, for one,
	 * gives up on a page with unexpected references), fault again once it is done.
	 */
	if (tdp_invalidating(tdp, hva, hva + PAGE_SIZE)) {
		cond_resched();
		r = 1;
		goto out_srcu;
	}
	/*
	 * A write asks the host for write access (breaking copy-on-write or KSM sharing). A
	 * read takes write access only where the host already grants it, so that reads leave
	 * the zero page, KSM pages and copy-on-write pages shared; in a dirty-logged slot it
	 * maps read-only, so that the first write is seen, and in a read-only slot so that
	 * every write exits.
	 */
	if (write) {
		got = get_user_pages_fast(hva, 1, FOLL_WRITE, &page);
	} else if (!slot->dirty_bitmap && !(slot->flags & KVM_MEM_READONLY) &&
		   get_user_pages_fast_only(hva, 1, FOLL_WRITE, &page) == 1) {
		got = 1;
		writable = true;
	} else {
		got = get_user_pages_fast(hva, 1, 0, &page);
	}
	if (got != 1) {
		/* interrupted by a signal: the run loop reports it; anything else is EFAULT */
		r = (got == -EINTR || got == -ERESTARTSYS || fatal_signal_pending(current)) ?
			1 : -EFAULT;
		goto out_srcu;
	}
	/* the guest may write it from now on without the host's page tables knowing */
	if (writable && !PageDirty(page))
		set_page_dirty_lock(page);
	/* for the host's LRU aging (not the zero page: not on any LRU) */
	if (!PageReserved(page))
		mark_page_accessed(page);
	pfn = page_to_pfn(page);
	/* with nx_huge_pages, a fetch maps (and splits down to) a 4 KiB leaf */
	huge = !(kvm_nx_huge_pages && (error_code & TDP_FAULT_FETCH)) &&
	       tdp_huge_ok(kvm, slot, gfn, hva, pfn);
	noexec = huge && kvm_nx_huge_pages;
	/* what the new leaf will map: all of it must be out of every invalidation */
	map_start = huge ? hva & ~(PAGES_PER_2M * PAGE_SIZE - 1) : hva;
	map_end = map_start + (huge ? PAGES_PER_2M * PAGE_SIZE : PAGE_SIZE);

	spin_lock(&tdp->lock);
	if (tdp_invalidating(tdp, map_start, map_end) || tdp->mmu_seq != seq) {
		/* the host changed (or is changing) a mapping since the lookup: fault again */
		spin_unlock(&tdp->lock);
		goto out_put;
	}
	if (huge)
		mapped = tdp_map(tdp, &vcpu->arch, gfn & ~(u64)(PAGES_PER_2M - 1),
				 pfn & ~(u64)(PAGES_PER_2M - 1), 2, writable, noexec, &unlinked);
	if (mapped == -EEXIST)
		mapped = tdp_map(tdp, &vcpu->arch, gfn, pfn, 1, writable, false, &unlinked);
	if (mapped > 0)
		kvm_stat_inc(vcpu->arch.stat.pf_fixed);
	/* after the leaf became writable: a log collected in between sees it (dirty.c) */
	if (write)
		kvm_mark_page_dirty_in_slot(slot, gfn);
	spin_unlock(&tdp->lock);
	/* a vCPU's paging-structure caches may still point into the table until it flushes */
	if (unlinked) {
		kvm_arch_flush_remote_tlbs(kvm);
		free_page((unsigned long)unlinked);
	}
out_put:
	/* the entry holds no reference: the MMU notifier follows the page from now on */
	put_page(page);
	r = 1;
out_srcu:
	srcu_read_unlock(&kvm->srcu, idx);
	return r;
}

int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 error_code)
{
	return tdp_fault(vcpu, gpa, error_code, false);
}
EXPORT_SYMBOL_GPL(kvm_tdp_page_fault);

/* The leaf mapping gfn (4 KiB, or the 2 MiB one covering it), or NULL. Under the lock. */
static u64 *tdp_leaf(struct kvm_tdp *tdp, u64 gfn)
{
	u64 *table = tdp->root, *e;
	int level;

	for (level = TDP_LEVELS; ; level--) {
		e = &table[tdp_index(gfn, level)];
		if (!(*e & tdp->present_mask))
			return NULL;
		if (level == 1 || (*e & TDP_LARGE))
			return e;
		table = tdp_table(*e);
	}
}

enum tdp_op {
	TDP_OP_ZAP,		/* drop the leaf */
	TDP_OP_WRPROT,		/* make it read-only; a 2 MiB leaf is dropped whole */
	TDP_OP_AGE,		/* test and clear accessed */
	TDP_OP_TEST_AGE,	/* test accessed */
};

/*
 * Apply op to one present leaf. Returns whether it counts (dropped, write-protected, or
 * accessed); sets *changed when a TLB may hold what the entry lost.
 */
static bool tdp_leaf_op(struct kvm_tdp *tdp, u64 *e, enum tdp_op op, bool *changed)
{
	switch (op) {
	case TDP_OP_WRPROT:
		if (!(*e & TDP_LARGE)) {
			if (!(*e & TDP_WRITABLE))
				return false;
			clear_bit(TDP_WRITABLE_BIT, (unsigned long *)e);
			*changed = true;
			return true;
		}
		fallthrough;	/* faults in a logged slot map 4 KiB leaves again */
	case TDP_OP_ZAP:
		tdp_count_leaf(tdp, *e & TDP_LARGE, -1);
		WRITE_ONCE(*e, 0);
		*changed = true;
		return true;
	case TDP_OP_AGE:
		if (!tdp->accessed_mask) {
			/*
			 * No accessed bit (EPT without A/D): count it young and drop it, so that
			 * the next guest access faults and shows in the host's own page tables
			 * (the fault path marks the page accessed).
			 */
			tdp_count_leaf(tdp, *e & TDP_LARGE, -1);
			WRITE_ONCE(*e, 0);
			*changed = true;
			return true;
		}
		if (!(*e & tdp->accessed_mask))
			return false;
		clear_bit(__ffs64(tdp->accessed_mask), (unsigned long *)e);
		*changed = true;
		return true;
	case TDP_OP_TEST_AGE:
		/* without an accessed bit, a mapped page counts as young */
		return !tdp->accessed_mask || (*e & tdp->accessed_mask);
	}
	return false;
}

/*
 * Apply op to the leaves in [*gfn, end) until about max entries have been looked at;
 * *gfn advances past what was done. Returns how many leaves op counted. Under the lock.
 */
static unsigned long tdp_range_op(struct kvm_tdp *tdp, u64 *gfn, u64 end, enum tdp_op op,
				  unsigned long max, bool *changed)
{
	unsigned long n = 0, visited = 0;

	lockdep_assert_held(&tdp->lock);
	while (*gfn < end && visited < max) {
		u64 *table = tdp->root, *e = NULL;
		unsigned int i;
		int level;

		for (level = TDP_LEVELS; level > 1; level--) {
			e = &table[tdp_index(*gfn, level)];
			if (!(*e & tdp->present_mask) || (*e & TDP_LARGE))
				break;
			table = tdp_table(*e);
		}
		visited++;
		if (level > 1) {
			/* nothing below this entry, or a 2 MiB leaf: done with what it covers */
			u64 span = 1ULL << (9 * (level - 1));

			if (*e & TDP_LARGE)
				n += tdp_leaf_op(tdp, e, op, changed);
			*gfn = (*gfn + span) & ~(span - 1);
			continue;
		}
		/* a table of 4 KiB leaves: the part of it in the range, in one go */
		for (i = tdp_index(*gfn, 1); i < TDP_ENTRIES && *gfn < end; i++, (*gfn)++) {
			if (table[i] & tdp->present_mask) {
				n += tdp_leaf_op(tdp, &table[i], op, changed);
				visited++;
			}
		}
	}
	return n;
}

static unsigned long tdp_op_range(struct kvm *kvm, u64 start, u64 end, enum tdp_op op,
				  bool may_sleep)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;
	unsigned long n = 0;
	bool changed = false;

	end = min_t(u64, end, TDP_GFN_LIMIT);
	while (start < end) {
		spin_lock(&tdp->lock);
		n += tdp_range_op(tdp, &start, end, op, may_sleep ? TDP_BATCH : ULONG_MAX,
				  &changed);
		if (changed)
			tdp_changed(tdp);
		changed = false;
		spin_unlock(&tdp->lock);
		if (may_sleep)
			cond_resched();
	}
	return n;
}

void kvm_arch_unmap_gfn_range(struct kvm *kvm, u64 start, u64 end, bool may_sleep)
{
	tdp_op_range(kvm, start, end, TDP_OP_ZAP, may_sleep);
}

void kvm_arch_write_protect_range(struct kvm *kvm, u64 start, u64 end, bool may_sleep)
{
	tdp_op_range(kvm, start, end, TDP_OP_WRPROT, may_sleep);
}

/*
 * A slot stopped logging: drop the 4 KiB leaves of every 2 MiB range of it that could be
 * mapped whole (the slot covers it, guest and host offsets agree, the host maps it with a
 * huge page, nx_huge_pages did not split it), so that the guest's next access there maps
 * 2 MiB again (tdp_map() replaces the table). Inside an invalidation; the caller flushes.
 */
void kvm_arch_dirty_log_stopped(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;
	u64 gfn = ALIGN(slot->base_gfn, PAGES_PER_2M), end = slot->base_gfn + slot->npages;
	unsigned long hva;
	bool changed;
	int level, i;
	u64 *table, *e;

	for (; gfn + PAGES_PER_2M <= end && gfn < TDP_GFN_LIMIT; gfn += PAGES_PER_2M) {
		hva = kvm_memslot_gfn_to_hva(slot, gfn);
		/* the offsets differ by the same amount throughout the slot */
		if (((hva >> PAGE_SHIFT) ^ gfn) & (PAGES_PER_2M - 1))
			return;
		if (!host_maps_huge(kvm->mm, hva))
			continue;
		changed = false;
		spin_lock(&tdp->lock);
		table = tdp->root;
		for (level = TDP_LEVELS; level > 2; level--) {
			e = &table[tdp_index(gfn, level)];
			if (!(*e & tdp->present_mask))
				break;
			table = tdp_table(*e);
		}
		/* the level-2 entry: a table of 4 KiB leaves not split for nx_huge_pages */
		e = level == 2 ? &table[tdp_index(gfn, 2)] : NULL;
		if (e && (*e & tdp->present_mask) && !(*e & (TDP_LARGE | TDP_NX_SPLIT))) {
			table = tdp_table(*e);
			for (i = 0; i < TDP_ENTRIES; i++)
				if (table[i] & tdp->present_mask)
					tdp_leaf_op(tdp, &table[i], TDP_OP_ZAP, &changed);
		}
		if (changed)
			tdp_changed(tdp);
		spin_unlock(&tdp->lock);
		cond_resched();
	}
}

void kvm_arch_write_protect_gfns(struct kvm *kvm, u64 base, unsigned long mask)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;
	bool changed = false;
	unsigned int i;
	u64 *e;

	spin_lock(&tdp->lock);
	for_each_set_bit(i, &mask, BITS_PER_LONG) {
		e = tdp_leaf(tdp, base + i);
		if (e)
			tdp_leaf_op(tdp, e, TDP_OP_WRPROT, &changed);
	}
	if (changed)
		tdp_changed(tdp);
	spin_unlock(&tdp->lock);
}

bool kvm_arch_age_gfn_range(struct kvm *kvm, u64 start, u64 end, bool clear)
{
	return tdp_op_range(kvm, start, end, clear ? TDP_OP_AGE : TDP_OP_TEST_AGE, false);
}

/*
 * Return once no vCPU can use, through its TLB, an entry that was dropped or lost a
 * permission before this call: kick every vCPU in guest mode (it flushes when it enters
 * again, seeing flush_gen moved), unless a kick that started after the last such change
 * has completed already (flushed_gen caught up).
 */
void kvm_arch_flush_remote_tlbs(struct kvm *kvm)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;
	s64 gen = READ_ONCE(tdp->flush_gen);
	s64 done = atomic64_read_acquire(&tdp->flushed_gen);

	atomic64_inc(&kvm->stat.remote_tlb_flush_requests);
	if (done >= gen)
		return;
	atomic64_inc(&kvm->stat.remote_tlb_flush);
	kvm_kick_vcpus_sync(kvm);
	while (done < gen && !atomic64_try_cmpxchg(&tdp->flushed_gen, &done, gen))
		;
}

/*
 * An invalidation of [hva_start, hva_end) begins: until the matching end no fault for an
 * address in there installs anything (it would install what it looked up before the host
 * changed the page), and the end moves mmu_seq so that faults that looked up before it
 * retry too.
 */
void kvm_arch_mmu_invalidate_begin(struct kvm *kvm, unsigned long hva_start,
				   unsigned long hva_end)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;

	spin_lock(&tdp->lock);
	if (!tdp->mmu_in_progress++) {
		tdp->mmu_inv_start = hva_start;
		tdp->mmu_inv_end = hva_end;
	} else {
		tdp->mmu_inv_start = min(tdp->mmu_inv_start, hva_start);
		tdp->mmu_inv_end = max(tdp->mmu_inv_end, hva_end);
	}
	spin_unlock(&tdp->lock);
}

void kvm_arch_mmu_invalidate_end(struct kvm *kvm)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;

	spin_lock(&tdp->lock);
	WRITE_ONCE(tdp->mmu_seq, tdp->mmu_seq + 1);
	tdp->mmu_in_progress--;
	WARN_ON_ONCE(tdp->mmu_in_progress < 0);
	spin_unlock(&tdp->lock);
}

#if KVM_HAVE_PRE_FAULT_MEMORY
/*
 * Map gpa as a guest read of it would (tdp_fault()), retrying while the host invalidates
 * it. Returns the bytes from gpa to the end of the leaf that maps it now, -ENOENT where no
 * slot backs it, -EINTR on a signal, or another negative errno.
 */
static s64 tdp_pre_fault(struct kvm_vcpu *vcpu, u64 gpa)
{
	struct kvm_tdp *tdp = &vcpu->kvm->arch.tdp;
	u64 *e, size = 0;
	int r;

	for (;;) {
		r = tdp_fault(vcpu, gpa, 0, true);
		if (r < 0)
			return r;
		spin_lock(&tdp->lock);
		e = tdp_leaf(tdp, gpa >> PAGE_SHIFT);
		if (e)
			size = (*e & TDP_LARGE) ? PAGES_PER_2M * PAGE_SIZE : PAGE_SIZE;
		spin_unlock(&tdp->lock);
		if (size)
			return size - (gpa & (size - 1));
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

/*
 * api.rst 4.143 KVM_PRE_FAULT_MEMORY: map [gpa, gpa + size) in the nested page tables as
 * guest reads would, without running the vCPU. EINVAL for flags, a range not page aligned,
 * empty or wrapping. On the way, range.gpa and range.size follow what is mapped; the result
 * is 0 once anything was mapped, else the first error (ENOENT: no slot, EINTR: a signal).
 * A leaf maps up to 2 MiB at once, so the range moves to the end of the leaf it met.
 */
long kvm_vcpu_ioctl_pre_fault_memory(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_pre_fault_memory range;
	u64 full;
	s64 r = 0;
	int idx;

	if (copy_from_user(&range, argp, sizeof(range)))
		return -EFAULT;
	if (range.flags || !PAGE_ALIGNED(range.gpa) || !PAGE_ALIGNED(range.size) ||
	    range.gpa + range.size <= range.gpa)
		return -EINVAL;
	full = range.size;
	idx = srcu_read_lock(&vcpu->kvm->srcu);
	while (range.size) {
		if (signal_pending(current)) {
			r = -EINTR;
			break;
		}
		r = tdp_pre_fault(vcpu, range.gpa);
		if (r < 0)
			break;
		r = min_t(u64, r, range.size);
		range.gpa += r;
		range.size -= r;
		cond_resched();
	}
	srcu_read_unlock(&vcpu->kvm->srcu, idx);
	if (range.size != full)
		r = 0;
	if (r == -EFAULT)
		return r;
	if (copy_to_user(argp, &range, sizeof(range)))
		return -EFAULT;
	return r < 0 ? r : 0;
}
#endif
