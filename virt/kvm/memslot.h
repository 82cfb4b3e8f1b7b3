/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest memory slots (api.rst 4.35 KVM_SET_USER_MEMORY_REGION): ranges of guest-physical
 * frames backed by the VMM's own memory (userspace_addr, in the creator's mm).
 *
 * Readers (the fault path, gfn->hva translation) take kvm->srcu; writers hold slots_lock,
 * publish a new kvm_memslots copy with rcu_assign_pointer() and free the old one after
 * synchronize_srcu_expedited(), so a reader never sees a half-updated set.
 */
#ifndef VIRT_KVM_MEMSLOT_H
#define VIRT_KVM_MEMSLOT_H

#include <linux/bitops.h>
#include <linux/kvm.h>
#include <linux/types.h>

struct kvm;

/* Reported by KVM_CAP_NR_MEMSLOTS: slot ids 0 .. KVM_USER_MEM_SLOTS - 1 (as stock x86). */
#define KVM_USER_MEM_SLOTS	32764
/* A slot holds fewer than 2^31 pages (8 TiB), as on Linux KVM x86. */
#define KVM_MEM_MAX_NR_PAGES	((1ULL << 31) - 1)

struct kvm_memory_slot {
	u64 base_gfn;
	u64 npages;
	unsigned long userspace_addr;
	/*
	 * With KVM_MEM_LOG_DIRTY_PAGES (virt/kvm/dirty.c): one bit per page, set atomically by
	 * faults and host writes (kvm->srcu readers), collected and cleared by the dirty log
	 * ioctls (slots_lock); then as many bytes of scratch space for those ioctls. The copies
	 * of a slot in successive slot sets share it; it is freed, after an SRCU grace period,
	 * when the slot is deleted or stops logging. NULL when the slot does not log.
	 */
	unsigned long *dirty_bitmap;
	u32 flags;
	u16 id;
};

/* An immutable set of slots, sorted by base_gfn (they never overlap). */
struct kvm_memslots {
	int nr;
	struct kvm_memory_slot slots[];
};

int kvm_memslots_init(struct kvm *kvm);
void kvm_memslots_destroy(struct kvm *kvm);
int kvm_vm_ioctl_set_memory_region(struct kvm *kvm,
				   const struct kvm_userspace_memory_region *mem);

/* Caller holds kvm->srcu (or slots_lock). NULL when no slot covers gfn. */
const struct kvm_memory_slot *kvm_gfn_to_memslot(struct kvm *kvm, u64 gfn);
/* Caller holds slots_lock. NULL when slot id does not exist. */
const struct kvm_memory_slot *kvm_id_to_memslot(struct kvm *kvm, u16 id);

/*
 * Copy to or from guest-physical memory through the memslots, as the guest would see it.
 * -EFAULT when part of the range has no slot or the host memory is not accessible, and for
 * a write into a KVM_MEM_READONLY slot.
 */
int kvm_read_guest(struct kvm *kvm, u64 gpa, void *data, unsigned long len);
int kvm_write_guest(struct kvm *kvm, u64 gpa, const void *data, unsigned long len);
int kvm_guest_xchg_u8(struct kvm *kvm, u64 gpa, u8 val, u8 *old);

/* dirty.c: the log of one slot */
unsigned long kvm_dirty_bitmap_bytes(const struct kvm_memory_slot *slot);
int kvm_dirty_bitmap_alloc(struct kvm *kvm, struct kvm_memory_slot *slot);
void kvm_dirty_bitmap_free(unsigned long *bitmap);
/* KVM_DIRTY_LOG_INITIALLY_SET is on: new logs start all set. Caller holds slots_lock. */
bool kvm_dirty_log_initially_set(struct kvm *kvm);

/* gfn (inside slot) was written: log it if the slot logs. Caller holds kvm->srcu. */
static inline void kvm_mark_page_dirty_in_slot(const struct kvm_memory_slot *slot, u64 gfn)
{
	if (slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/* Host virtual address of gfn in slot (gfn must be inside it). */
static inline unsigned long kvm_memslot_gfn_to_hva(const struct kvm_memory_slot *slot, u64 gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

#endif
