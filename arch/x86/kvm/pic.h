/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel 8259A pair (pic.c) and 82093AA IOAPIC (ioapic.c): what x86.c needs to create
 * them (KVM_CREATE_IRQCHIP), save and restore them (KVM_GET/SET_IRQCHIP) and free them. What
 * the other interrupt-controller parts call is in irq.h.
 */
#ifndef ARCH_X86_KVM_PIC_H
#define ARCH_X86_KVM_PIC_H

#include <linux/kvm.h>

struct kvm;

/* allocate (not yet on the bus): 0 or -ENOMEM; kvm->arch.vpic / vioapic set */
int kvm_pic_create(struct kvm *kvm);
int kvm_ioapic_create(struct kvm *kvm);
/* put the devices on the bus (kvm->lock held; the caller checked there is room) */
#define KVM_PIC_IO_DEVICES	3
#define KVM_IOAPIC_IO_DEVICES	1
int kvm_pic_register(struct kvm *kvm);
int kvm_ioapic_register(struct kvm *kvm);
/* after the vCPUs are gone */
void kvm_pic_destroy(struct kvm *kvm);
void kvm_ioapic_destroy(struct kvm *kvm);

/* api.rst 4.26 / 4.27; chip: KVM_IRQCHIP_PIC_MASTER or KVM_IRQCHIP_PIC_SLAVE */
void kvm_pic_get_state(struct kvm *kvm, int chip, struct kvm_pic_state *s);
void kvm_pic_set_state(struct kvm *kvm, int chip, const struct kvm_pic_state *s);
void kvm_ioapic_get_state(struct kvm *kvm, struct kvm_ioapic_state *s);
void kvm_ioapic_set_state(struct kvm *kvm, const struct kvm_ioapic_state *s);

/* x86.c: KVM_CREATE_IRQCHIP, KVM_GET_IRQCHIP, KVM_SET_IRQCHIP (irqchip_ioctl.c) */
long kvm_vm_ioctl_create_irqchip(struct kvm *kvm);
long kvm_vm_ioctl_irqchip_state(struct kvm *kvm, void __user *argp, bool set);
void kvm_irqchip_destroy(struct kvm *kvm);

#endif
