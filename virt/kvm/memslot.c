// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory slots: KVM_SET_USER_MEMORY_REGION with Linux KVM's rules (api.rst 4.35) and the
 * gfn -> slot lookup used by the fault path. Creating, moving, changing flags and deleting a
 * slot each publish a new sorted copy of the slot set (see memslot.h for the locking); a
 * change to what a gfn maps to is published inside an MMU invalidation (memslots_publish).
 */
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>

#include "kvm_core.h"

/* Flags a slot may carry; others are EINVAL. Read-only slots come later. */
#define KVM_MEM_FLAGS_SUPPORTED		(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

static struct kvm_memslots *memslots_alloc(int nr)
{
	struct kvm_memslots *slots;

	slots = kvzalloc(struct_size(slots, slots, nr), GFP_KERNEL_ACCOUNT);
	if (slots)
		slots->nr = nr;
	return slots;
}

static struct kvm_memslots *memslots_locked(struct kvm *kvm)
{
	return rcu_dereference_protected(kvm->memslots, lockdep_is_held(&kvm->slots_lock));
}

int kvm_memslots_init(struct kvm *kvm)
{
	struct kvm_memslots *slots = memslots_alloc(0);

	if (!slots)
		return -ENOMEM;
	mutex_init(&kvm->slots_lock);
	RCU_INIT_POINTER(kvm->memslots, slots);
	return 0;
}

void kvm_memslots_destroy(struct kvm *kvm)
{
	/* no reader is left: the last reference to the VM is gone */
	struct kvm_memslots *slots = rcu_dereference_protected(kvm->memslots, 1);
	int i;

	for (i = 0; i < slots->nr; i++)
		kvm_dirty_bitmap_free(slots->slots[i].dirty_bitmap);
	kvfree(slots);
}

const struct kvm_memory_slot *kvm_gfn_to_memslot(struct kvm *kvm, u64 gfn)
{
	struct kvm_memslots *slots = srcu_dereference_check(kvm->memslots, &kvm->srcu,
						lockdep_is_held(&kvm->slots_lock));
	int lo = 0, hi = slots->nr - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct kvm_memory_slot *s = &slots->slots[mid];

		if (gfn < s->base_gfn)
			hi = mid - 1;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static const struct kvm_memory_slot *find_slot_by_id(const struct kvm_memslots *slots, u16 id)
{
	int i;

	for (i = 0; i < slots->nr; i++)
		if (slots->slots[i].id == id)
			return &slots->slots[i];
	return NULL;
}

const struct kvm_memory_slot *kvm_id_to_memslot(struct kvm *kvm, u16 id)
{
	return find_slot_by_id(memslots_locked(kvm), id);
}

/* Does [base, base + npages) overlap a slot other than the one with id skip_id? */
static bool overlaps(const struct kvm_memslots *slots, u16 skip_id, u64 base, u64 npages)
{
	int i;

	for (i = 0; i < slots->nr; i++) {
		const struct kvm_memory_slot *s = &slots->slots[i];

		if (s->id != skip_id && base < s->base_gfn + s->npages &&
		    s->base_gfn < base + npages)
			return true;
	}
	return false;
}

/*
 * The new set: old minus the slot with id (if any), plus new (if any), sorted by base_gfn.
 */
static struct kvm_memslots *memslots_replace(const struct kvm_memslots *old, u16 id,
					     const struct kvm_memory_slot *new)
{
	struct kvm_memslots *slots;
	int i, n = 0;
	bool placed = !new;

	slots = memslots_alloc(old->nr + (new ? 1 : 0) - (find_slot_by_id(old, id) ? 1 : 0));
	if (!slots)
		return NULL;
	for (i = 0; i < old->nr; i++) {
		if (old->slots[i].id == id)
			continue;
		if (!placed && new->base_gfn < old->slots[i].base_gfn) {
			slots->slots[n++] = *new;
			placed = true;
		}
		slots->slots[n++] = old->slots[i];
	}
	if (!placed)
		slots->slots[n++] = *new;
	WARN_ON_ONCE(n != slots->nr);
	return slots;
}

/* The checks of api.rst 4.35, in the order Linux KVM makes them (the errno depends on it). */
static int check_region(const struct kvm_userspace_memory_region *mem)
{
	if (mem->flags & ~KVM_MEM_FLAGS_SUPPORTED)
		return -EINVAL;
	if (mem->memory_size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((mem->userspace_addr & (PAGE_SIZE - 1)) ||
	    mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr, mem->memory_size))
		return -EINVAL;
	/* slot bits 31:16 name an address space; x86 without SMM has only 0 */
	if (mem->slot >> 16)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> PAGE_SHIFT) > KVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	return 0;
}

/*
 * Make slots the VM's slot set, old (NULL: none) being replaced by new (NULL: deleted).
 * When what a gfn maps to changes (old deleted or moved away) or a slot starts to log, the
 * change is made inside an invalidation (kvm_arch_mmu_invalidate_begin/end): faults that
 * looked the old set up cannot install anything, the departing slot's mappings and their
 * TLB entries are gone before the new set is visible (so an MMU notifier that reads the new
 * set misses nothing), a slot that starts logging is write-protected, and one that stops
 * loses the 4 KiB mappings that 2 MiB ones can replace.
 */
static void memslots_publish(struct kvm *kvm, const struct kvm_memory_slot *old,
			     const struct kvm_memory_slot *new, struct kvm_memslots *slots)
{
	bool gone = old && (!new || new->base_gfn != old->base_gfn);
	bool logs = old && new && !old->dirty_bitmap && new->dirty_bitmap;
	bool stops = old && new && !gone && old->dirty_bitmap && !new->dirty_bitmap;

	if (!gone && !logs && !stops) {
		rcu_assign_pointer(kvm->memslots, slots);
		return;
	}
	kvm_arch_mmu_invalidate_begin(kvm, 0, ULONG_MAX);
	if (gone) {
		kvm_arch_unmap_gfn_range(kvm, old->base_gfn, old->base_gfn + old->npages, true);
		kvm_arch_flush_remote_tlbs(kvm);
	}
	rcu_assign_pointer(kvm->memslots, slots);
	/* with KVM_DIRTY_LOG_INITIALLY_SET every page reads dirty: KVM_CLEAR_DIRTY_LOG protects */
	if (logs && !kvm_dirty_log_initially_set(kvm)) {
		kvm_arch_write_protect_range(kvm, new->base_gfn, new->base_gfn + new->npages, true);
		kvm_arch_flush_remote_tlbs(kvm);
	}
	/* the 4 KiB mappings logging needed go where 2 MiB ones can come back */
	if (stops) {
		kvm_arch_dirty_log_stopped(kvm, new);
		kvm_arch_flush_remote_tlbs(kvm);
	}
	kvm_arch_mmu_invalidate_end(kvm);
}

int kvm_vm_ioctl_set_memory_region(struct kvm *kvm,
				   const struct kvm_userspace_memory_region *mem)
{
	struct kvm_memslots *old_slots, *new_slots;
	const struct kvm_memory_slot *old;
	struct kvm_memory_slot new;
	u16 id = (u16)mem->slot;
	int r;

	if (id >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	r = check_region(mem);
	if (r)
		return r;

	mutex_lock(&kvm->slots_lock);
	old_slots = memslots_locked(kvm);
	old = find_slot_by_id(old_slots, id);

	new = (struct kvm_memory_slot) {
		.base_gfn = mem->guest_phys_addr >> PAGE_SHIFT,
		.npages = mem->memory_size >> PAGE_SHIFT,
		.userspace_addr = mem->userspace_addr,
		.flags = mem->flags,
		.id = id,
	};

	r = -EINVAL;
	if (!new.npages) {
		/* delete: the slot must exist */
		if (!old)
			goto out_unlock;
	} else if (old) {
		/* modify: only the base (a move) and the flags may change */
		if (new.userspace_addr != old->userspace_addr || new.npages != old->npages ||
		    ((new.flags ^ old->flags) & KVM_MEM_READONLY))
			goto out_unlock;
		r = 0;
		if (new.base_gfn == old->base_gfn && new.flags == old->flags)
			goto out_unlock;
	}
	if (new.npages && (!old || new.base_gfn != old->base_gfn)) {
		r = kvm_arch_check_gfn_range(kvm, new.base_gfn, new.npages);
		if (r)
			goto out_unlock;
		r = -EEXIST;
		if (overlaps(old_slots, id, new.base_gfn, new.npages))
			goto out_unlock;
	}

	/* the log survives a move and a flags change that keeps logging (as Linux KVM's) */
	if (new.npages && (new.flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		if (old && old->dirty_bitmap) {
			new.dirty_bitmap = old->dirty_bitmap;
		} else {
			r = kvm_dirty_bitmap_alloc(kvm, &new);
			if (r)
				goto out_unlock;
		}
	}

	r = -ENOMEM;
	new_slots = memslots_replace(old_slots, id, new.npages ? &new : NULL);
	if (!new_slots)
		goto err_bitmap;
	memslots_publish(kvm, old, new.npages ? &new : NULL, new_slots);
	/*
	 * After this no reader can still be using the old set (nor the old slot's log).
	 * Expedited: a VMM changes slots in bursts (QEMU: a few dozen while its firmware sets
	 * up PAM and the PCI BARs, before the guest prints anything), and synchronize_srcu()
	 * soon after another grace period is not expedited by SRCU itself: it waits whole
	 * jiffies, 10-16 ms each with HZ=250. The readers are short (a fault, a gfn lookup).
	 */
	synchronize_srcu_expedited(&kvm->srcu);
	if (old && old->dirty_bitmap != new.dirty_bitmap)
		kvm_dirty_bitmap_free(old->dirty_bitmap);
	kvfree(old_slots);
	r = 0;
	goto out_unlock;

err_bitmap:
	if (!old || new.dirty_bitmap != old->dirty_bitmap)
		kvm_dirty_bitmap_free(new.dirty_bitmap);
out_unlock:
	mutex_unlock(&kvm->slots_lock);
	return r;
}

/* One page at most: [gpa, gpa + len) must not cross a page boundary. */
static int guest_page_copy(struct kvm *kvm, u64 gpa, void *data, unsigned long len,
			   bool write)
{
	const struct kvm_memory_slot *slot;
	void __user *hva;
	int idx, r = -EFAULT;

	idx = srcu_read_lock(&kvm->srcu);
	slot = kvm_gfn_to_memslot(kvm, gpa >> PAGE_SHIFT);
	/* the guest cannot write a read-only slot: such a write is the VMM's to handle */
	if (slot && !(write && (slot->flags & KVM_MEM_READONLY))) {
		hva = (void __user *)(kvm_memslot_gfn_to_hva(slot, gpa >> PAGE_SHIFT) +
				      offset_in_page(gpa));
		if (write ? !copy_to_user(hva, data, len) : !copy_from_user(data, hva, len))
			r = 0;
		/* even a partial copy may have changed the page */
		if (write)
			kvm_mark_page_dirty_in_slot(slot, gpa >> PAGE_SHIFT);
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return r;
}

static int guest_copy(struct kvm *kvm, u64 gpa, void *data, unsigned long len, bool write)
{
	while (len) {
		unsigned long n = min_t(unsigned long, len, PAGE_SIZE - offset_in_page(gpa));
		int r = guest_page_copy(kvm, gpa, data, n, write);

		if (r)
			return r;
		gpa += n;
		data += n;
		len -= n;
	}
	return 0;
}

int kvm_read_guest(struct kvm *kvm, u64 gpa, void *data, unsigned long len)
{
	return guest_copy(kvm, gpa, data, len, false);
}
EXPORT_SYMBOL_GPL(kvm_read_guest);

int kvm_write_guest(struct kvm *kvm, u64 gpa, const void *data, unsigned long len)
{
	return guest_copy(kvm, gpa, (void *)data, len, true);
}

/*
 * Exchange the guest byte at gpa for val with one locked instruction (other vCPUs may
 * change it at the same time), *old what was there: 0, or -EFAULT (no writable RAM there,
 * or the page cannot be faulted in). Process context.
 */
int kvm_guest_xchg_u8(struct kvm *kvm, u64 gpa, u8 val, u8 *old)
{
	const struct kvm_memory_slot *slot;
	u8 __user *hva;
	int idx, r = -EFAULT;
	u8 cur;

	idx = srcu_read_lock(&kvm->srcu);
	slot = kvm_gfn_to_memslot(kvm, gpa >> PAGE_SHIFT);
	if (!slot || (slot->flags & KVM_MEM_READONLY))
		goto out;
	hva = (u8 __user *)(kvm_memslot_gfn_to_hva(slot, gpa >> PAGE_SHIFT) +
			    offset_in_page(gpa));
	if (!access_ok(hva, 1) || get_user(cur, hva))
		goto out;
	/* 1: another writer came in between, cur now holds its value; try again */
	do {
		r = __try_cmpxchg_user(hva, &cur, val, efault);
	} while (r == 1);
	if (!r) {
		*old = cur;
		kvm_mark_page_dirty_in_slot(slot, gpa >> PAGE_SHIFT);
	}
out:
	srcu_read_unlock(&kvm->srcu, idx);
	return r ? -EFAULT : 0;
}
EXPORT_SYMBOL_GPL(kvm_guest_xchg_u8);
