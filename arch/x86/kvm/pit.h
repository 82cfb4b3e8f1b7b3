/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel i8254 PIT (pit.c): api.rst 4.71-4.73 KVM_CREATE_PIT2 / KVM_GET_PIT2 /
 * KVM_SET_PIT2, 4.99 KVM_REINJECT_CONTROL, and the legacy KVM_CREATE_PIT / KVM_GET_PIT /
 * KVM_SET_PIT.
 */
#ifndef ARCH_X86_KVM_PIT_H
#define ARCH_X86_KVM_PIT_H

struct kvm;

/* VM ioctls; -ENOTTY for an ioctl that is not the PIT's */
long kvm_pit_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp);
/* KVM_CAP_PIT2, KVM_CAP_PIT_STATE2, KVM_CAP_REINJECT_CONTROL */
/* kvm_arch_destroy_vm(): before the irqchip goes; nothing of the PIT runs after it */
void kvm_pit_destroy(struct kvm *kvm);

#endif
