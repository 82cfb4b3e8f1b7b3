// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stand-ins for the interrupt controllers irq.c routes to, so the routing links before
 * they exist. TO BE DELETED (and dropped from Kbuild) when lapic.c, ioapic.c and pic.c land:
 * each function here goes with the file that defines it for real.
 *
 * Without KVM_CREATE_IRQCHIP no VM has routes, so none of these is ever called.
 */
#include <linux/string.h>

#include "irq.h"

int kvm_apic_deliver(struct kvm *kvm, struct kvm_vcpu *src, const struct kvm_apic_irq *irq)
{
	return 0;
}

void kvm_msi_to_apic_irq(u32 address_lo, u32 address_hi, u32 data, struct kvm_apic_irq *irq)
{
	memset(irq, 0, sizeof(*irq));
}

int kvm_ioapic_set_irq(struct kvm *kvm, int source_id, unsigned int pin, int level)
{
	return -1;
}

int kvm_pic_set_irq(struct kvm *kvm, int source_id, unsigned int pin, int level)
{
	return -1;
}
