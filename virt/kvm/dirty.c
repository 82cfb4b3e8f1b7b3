// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page logging: KVM_MEM_LOG_DIRTY_PAGES slots (api.rst 4.35), KVM_GET_DIRTY_LOG (4.8),
 * KVM_CLEAR_DIRTY_LOG (4.117) and KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (7.18).
 *
 * A logging slot has a bitmap, one bit per page (memslot.h). The nested page tables map its
 * pages read-only until written: the write fault makes the leaf writable, then sets the bit
 * (mmu/tdp.c); host writes through kvm_write_guest() set it too. Collecting the log takes
 * the set bits and write-protects those pages again, then flushes every vCPU's TLB before
 * returning, so a write after the return faults and is logged in the next round, and a
 * write before it lands in the page userspace reads next: nothing is lost.
 *
 * The fault path sets the bit after making the leaf writable, both under tdp.lock; a
 * collection takes the bit (xchg) before write-protecting the leaf under tdp.lock. So a
 * writable leaf always has its bit set, or a collection that took the bit is about to
 * write-protect it.
 *
 * Locking: slots_lock serializes the ioctls with each other and with slot updates (the
 * bitmap's second half is their scratch space); bits are set and cleared with atomics.
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvm_core.h"

/* x86 has two address spaces (the second for SMM): their slot ids are valid, unused here */
#define KVM_ADDRESS_SPACES		2
#define DIRTY_LOG_MANUAL_CAPS		(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
					 KVM_DIRTY_LOG_INITIALLY_SET)

unsigned long kvm_dirty_bitmap_bytes(const struct kvm_memory_slot *slot)
{
	return ALIGN(slot->npages, BITS_PER_LONG) / 8;
}

bool kvm_dirty_log_initially_set(struct kvm *kvm)
{
	lockdep_assert_held(&kvm->slots_lock);
	return (kvm->manual_dirty_log_protect & DIRTY_LOG_MANUAL_CAPS) == DIRTY_LOG_MANUAL_CAPS;
}

/* The log of a slot that starts logging: empty, or all set (KVM_DIRTY_LOG_INITIALLY_SET). */
int kvm_dirty_bitmap_alloc(struct kvm *kvm, struct kvm_memory_slot *slot)
{
	slot->dirty_bitmap = kvzalloc(2 * kvm_dirty_bitmap_bytes(slot), GFP_KERNEL_ACCOUNT);
	if (!slot->dirty_bitmap)
		return -ENOMEM;
	if (kvm_dirty_log_initially_set(kvm))
		bitmap_set(slot->dirty_bitmap, 0, slot->npages);
	return 0;
}

void kvm_dirty_bitmap_free(unsigned long *bitmap)
{
	kvfree(bitmap);
}

/*
 * KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): the flags hold for every later
 * collection, and INITIALLY_SET for slots that start logging later. INITIALLY_SET alone is
 * refused, as by Linux KVM (it depends on MANUAL_PROTECT_ENABLE).
 */
int kvm_vm_ioctl_enable_dirty_log_cap(struct kvm *kvm, u64 flags)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (flags & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed = DIRTY_LOG_MANUAL_CAPS;
	if (flags & ~allowed)
		return -EINVAL;
	mutex_lock(&kvm->slots_lock);
	kvm->manual_dirty_log_protect = flags;
	mutex_unlock(&kvm->slots_lock);
	return 0;
}

/*
 * The slot a dirty log ioctl names (bits 15:0 the id, 31:16 the address space), or an
 * errno as Linux KVM gives it: EINVAL for an id or address space out of range, ENOENT for
 * a slot that does not exist or does not log. Caller holds slots_lock.
 */
static const struct kvm_memory_slot *dirty_log_slot(struct kvm *kvm, u32 slot_arg, int *err)
{
	const struct kvm_memory_slot *slot;
	u16 as_id = slot_arg >> 16, id = (u16)slot_arg;

	lockdep_assert_held(&kvm->slots_lock);
	*err = -EINVAL;
	if (as_id >= KVM_ADDRESS_SPACES || id >= KVM_USER_MEM_SLOTS)
		return NULL;
	*err = -ENOENT;
	slot = as_id ? NULL : kvm_id_to_memslot(kvm, id);
	if (!slot || !slot->dirty_bitmap)
		return NULL;
	*err = 0;
	return slot;
}

/*
 * Take the bits of mask out of word i of the log and write-protect those pages; returns
 * the bits that were set. No flush: the caller flushes once at the end.
 */
static unsigned long take_and_protect(struct kvm *kvm, const struct kvm_memory_slot *slot,
				      unsigned long i, unsigned long mask)
{
	unsigned long *word = &slot->dirty_bitmap[i];

	if (mask == ~0UL)
		mask = xchg(word, 0);
	else
		mask &= atomic_long_fetch_andnot(mask, (atomic_long_t *)word);
	if (mask)
		kvm_arch_write_protect_gfns(kvm, slot->base_gfn + i * BITS_PER_LONG, mask);
	return mask;
}

long kvm_vm_ioctl_get_dirty_log(struct kvm *kvm, void __user *argp)
{
	const struct kvm_memory_slot *slot;
	struct kvm_dirty_log log;
	unsigned long i, n, *buf;
	int r;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	mutex_lock(&kvm->slots_lock);
	slot = dirty_log_slot(kvm, log.slot, &r);
	if (!slot)
		goto out;
	n = kvm_dirty_bitmap_bytes(slot);
	if (kvm->manual_dirty_log_protect & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) {
		/* report only: KVM_CLEAR_DIRTY_LOG clears and protects */
		buf = slot->dirty_bitmap;
	} else {
		buf = slot->dirty_bitmap + n / sizeof(long);
		for (i = 0; i < n / sizeof(long); i++)
			buf[i] = READ_ONCE(slot->dirty_bitmap[i]) ?
				 take_and_protect(kvm, slot, i, ~0UL) : 0;
		/* a write from now on faults: it belongs to the next round */
		kvm_arch_flush_remote_tlbs(kvm);
	}
	r = copy_to_user(log.dirty_bitmap, buf, n) ? -EFAULT : 0;
out:
	mutex_unlock(&kvm->slots_lock);
	return r;
}

long kvm_vm_ioctl_clear_dirty_log(struct kvm *kvm, void __user *argp)
{
	const struct kvm_memory_slot *slot;
	struct kvm_clear_dirty_log log;
	unsigned long i, words, first, *buf, mask;
	int r;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	/*
	 * api.rst 4.117: 64-page granularity, except for a range that ends the slot. A
	 * misaligned first_page is EINVAL before the slot is looked up (ENOENT), as in Linux KVM.
	 */
	if (log.first_page & (BITS_PER_LONG - 1))
		return -EINVAL;
	mutex_lock(&kvm->slots_lock);
	slot = dirty_log_slot(kvm, log.slot, &r);
	if (!slot)
		goto out;
	r = -EINVAL;
	if (log.first_page > slot->npages ||
	    log.num_pages > slot->npages - log.first_page ||
	    (log.num_pages < slot->npages - log.first_page &&
	     (log.num_pages & (BITS_PER_LONG - 1))))
		goto out;
	words = DIV_ROUND_UP(log.num_pages, BITS_PER_LONG);
	buf = slot->dirty_bitmap + kvm_dirty_bitmap_bytes(slot) / sizeof(long);
	r = -EFAULT;
	if (copy_from_user(buf, log.dirty_bitmap, words * sizeof(long)))
		goto out;
	first = log.first_page / BITS_PER_LONG;
	for (i = 0; i < words; i++) {
		mask = buf[i];
		/* bits past num_pages are not part of the request */
		if (i == words - 1 && (log.num_pages & (BITS_PER_LONG - 1)))
			mask &= BIT(log.num_pages & (BITS_PER_LONG - 1)) - 1;
		if (mask && READ_ONCE(slot->dirty_bitmap[first + i]) & mask)
			take_and_protect(kvm, slot, first + i, mask);
	}
	kvm_arch_flush_remote_tlbs(kvm);
	r = 0;
out:
	mutex_unlock(&kvm->slots_lock);
	return r;
}
