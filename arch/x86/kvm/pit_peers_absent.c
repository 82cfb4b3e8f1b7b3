// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stand-ins for the GSI routing (irq.c, branch "routing") so that the PIT links before it
 * lands: no route for any GSI, no acknowledgments. To be deleted when irq.c lands.
 */
#include "kvm_core.h"
#include "irq.h"

int kvm_set_irq(struct kvm *kvm, int source_id, u32 gsi, int level, bool line_status)
{
	return -1;
}

void kvm_register_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *ian)
{
}

void kvm_unregister_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *ian)
{
}
