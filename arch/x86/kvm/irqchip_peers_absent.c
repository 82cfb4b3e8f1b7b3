// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stand-ins for what the other parts of the in-kernel irqchip define (irq.h), so that the
 * PIC and IOAPIC link before them. TO BE DELETED: each definition goes when its real one
 * lands (kvm_apic_deliver, kvm_apic_pic_output_changed: lapic.c; kvm_notify_acked_irq,
 * kvm_irq_routing_default: irq.c), the file when all four have.
 */
#include "kvm_core.h"
#include "irq.h"

/* no LAPIC yet: nobody accepts a message */
void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip, unsigned int pin)
{
}

int kvm_irq_routing_default(struct kvm *kvm)
{
	return 0;
}
