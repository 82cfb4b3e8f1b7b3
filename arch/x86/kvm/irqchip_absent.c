// SPDX-License-Identifier: GPL-2.0-only
/*
 * TEMPORARY: the PIC, IOAPIC and routing entry points lapic.c calls (irq.h), for as long as
 * pic.c, ioapic.c and irq.c have not landed (branch pic-ioapic). Delete this file (and its
 * line in Kbuild) when they do. Without them no VM has KVM_IRQCHIP_KERNEL, so none of
 * these is reached with a PIC or IOAPIC that would have to answer.
 */
#include "x86.h"

bool kvm_pic_intr_raised(struct kvm *kvm)
{
	return false;
}

int kvm_pic_ack(struct kvm *kvm)
{
	return -1;
}

void kvm_ioapic_eoi(struct kvm *kvm, u8 vector)
{
}

void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip, unsigned int pin)
{
}
