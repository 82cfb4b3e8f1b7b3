/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pattern of the VM's lookup sets (coalesced MMIO zones, ioeventfds, the GSI routing
 * table): an immutable object behind an __rcu pointer, built whole by a writer holding the
 * set's lock, published by replacing the pointer, read under rcu_read_lock() from any
 * context (vCPU exits, eventfd wakeups with interrupts off, hrtimers), and freed one grace
 * period after it was replaced.
 */
#ifndef VIRT_KVM_RCU_REPLACE_H
#define VIRT_KVM_RCU_REPLACE_H

#include <linux/rcupdate.h>
#include <linux/slab.h>

/*
 * Publish new (may be NULL) in the __rcu pointer slot; held: the lockdep expression of the
 * writers' lock. The old object, which must have a struct rcu_head named rcu, is kvfree()d
 * (kmalloc or vmalloc memory) after the readers that may still see it are done.
 */
#define kvm_rcu_replace(slot, new, held) do {				\
	typeof(new) __old = rcu_dereference_protected(slot, held);	\
	rcu_assign_pointer(slot, new);					\
	if (__old)							\
		kvfree_rcu(__old, rcu);					\
} while (0)

#endif
