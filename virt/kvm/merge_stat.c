// SPDX-License-Identifier: GPL-2.0-only
/*
 * How many of a VM's pages the host's KSM has merged (our extension, not a stock KVM
 * statistic): the VM stats fd's "ksm_merged_pages" (api.rst 4.133, virt/kvm/stats.c),
 * counted when the fd is read. KSM works on the VMM's memory, which is where a memslot's
 * pages live (guest memory stays userspace memory), so the count is the number of pages
 * of the VM's memslots whose host page is a KSM page right now. /proc/PID/ksm_merging_pages
 * tells the same for a whole process; this tells it per VM, and only for guest memory.
 *
 * Pages are looked up without faulting anything in (FOLL_NOFAULT): a page not present
 * (never touched, swapped out) is not counted and stays where it is. A slot mapped twice
 * (aliases) counts its pages once per slot.
 */
#include <linux/mm.h>
#include <linux/page-flags.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "kvm_core.h"
#include "memslot.h"

#define MERGE_BATCH	256	/* pages per get_user_pages_remote() call */

static u64 merged_in_range(struct mm_struct *mm, unsigned long hva, u64 npages,
			   struct page **pages)
{
	u64 merged = 0;
	long got, i;

	while (npages) {
		unsigned long n = min_t(u64, npages, MERGE_BATCH);

		mmap_read_lock(mm);
		got = kvm_gup_remote(mm, hva, n, FOLL_NOFAULT, pages);
		mmap_read_unlock(mm);
		for (i = 0; i < got; i++) {
			if (PageKsm(pages[i]))
				merged++;
			put_page(pages[i]);
		}
		/* stopped at a page that is not present (or not normal memory): skip it */
		if (got <= 0)
			got = 1;
		hva += got << PAGE_SHIFT;
		npages -= got;
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	return merged;
}

/* Count the VM's merged pages into kvm->ksm_merged_pages (the stats fd reads it next). */
void kvm_update_merged_pages(struct kvm *kvm)
{
	const struct kvm_memslots *slots;
	struct page **pages;
	u64 merged = 0;
	int i, idx;

	pages = kmalloc_array(MERGE_BATCH, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	if (!mmget_not_zero(kvm->mm))
		goto out_free;
	idx = srcu_read_lock(&kvm->srcu);
	slots = srcu_dereference(kvm->memslots, &kvm->srcu);
	for (i = 0; i < slots->nr; i++)
		merged += merged_in_range(kvm->mm, slots->slots[i].userspace_addr,
					  slots->slots[i].npages, pages);
	srcu_read_unlock(&kvm->srcu, idx);
	mmput(kvm->mm);
	WRITE_ONCE(kvm->ksm_merged_pages, merged);
out_free:
	kfree(pages);
}
