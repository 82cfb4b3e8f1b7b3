/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interface between the arch-independent core (virt/kvm) and the arch code
 * (arch/x86/kvm). Not ABI: userspace sees only <linux/kvm.h>.
 */
#ifndef VIRT_KVM_KVM_CORE_H
#define VIRT_KVM_KVM_CORE_H

#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/srcu.h>

#include "memslot.h"

#define KVM_API_VERSION_NUMBER	12

/*
 * One virtual machine. Lives as long as its VM file descriptor and every other holder of a
 * reference (kvm_get_vm/kvm_put_vm); freed by the last put.
 */
struct kvm {
	refcount_t users;		/* atomic */
	struct mm_struct *mm;		/* creator's mm, mmgrab()ed; immutable */
	struct list_head vm_list;	/* kvm_vm_list_lock */
	struct module *owner;		/* vendor module pinned by this VM; immutable */

	struct mutex lock;		/* VM-wide configuration (TSS, identity map) */
	u64 tss_addr;			/* lock */
	u64 identity_map_addr;		/* lock */

	struct mutex slots_lock;	/* serializes memslot updates */
	struct srcu_struct srcu;	/* readers of memslots */
	struct kvm_memslots __rcu *memslots;	/* slots_lock to write, srcu to read */
};

/* core -> arch (arch/x86/kvm/x86.c) */
long kvm_arch_check_extension(struct kvm *kvm, long cap);
long kvm_arch_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg);
long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg);
int kvm_arch_init_vm(struct kvm *kvm, unsigned long type);
void kvm_arch_destroy_vm(struct kvm *kvm);
/* -EINVAL when [base_gfn, base_gfn + npages) is beyond what the guest can address */
int kvm_arch_check_gfn_range(struct kvm *kvm, u64 base_gfn, u64 npages);
/* A slot went away (deleted, moved, flags changed): drop every mapping made from it. */
void kvm_arch_memslot_removed(struct kvm *kvm, const struct kvm_memory_slot *slot);
int kvm_arch_hardware_enable(void);
void kvm_arch_hardware_disable(void);

/* arch -> core: /dev/kvm appears once a backend is ready and goes before it is gone */
int kvm_core_register(struct module *vendor);
void kvm_core_unregister(void);

/* arch -> core: virtualization on every online CPU, following hotplug/suspend/reboot */
int kvm_hardware_enable_all(void);
void kvm_hardware_disable_all(void);

void kvm_get_vm(struct kvm *kvm);
void kvm_put_vm(struct kvm *kvm);

#endif
