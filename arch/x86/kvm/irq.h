/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel interrupt controllers and how they talk to each other (api.rst 4.24
 * KVM_CREATE_IRQCHIP, 7.x KVM_CAP_SPLIT_IRQCHIP, 4.52 KVM_SET_GSI_ROUTING):
 *
 *   KVM_IRQ_LINE / irqfd / PIT --kvm_set_irq(gsi)--> routing (irq.c)
 *        routing entry "irqchip" --> PIC pin (pic.c) and/or IOAPIC pin (ioapic.c)
 *        routing entry "msi"     --> kvm_apic_deliver()
 *   IOAPIC redirection entry      --> kvm_apic_deliver()
 *   PIC INTR output               --> the BSP's LINT0 (lapic.c: ExtINT, kvm_pic_ack())
 *   LAPIC EOI of a level vector   --> kvm_ioapic_eoi() (KVM_EXIT_IOAPIC_EOI when split)
 *   acknowledgment of a GSI       --> kvm_irq_ack_notifier (PIT reinjection, irqfd resample)
 *
 * Every entry point here may be called in atomic context (an irqfd fires from an eventfd
 * wakeup with a spinlock held and interrupts off; the PIT from an hrtimer): they take
 * spinlocks only and wake or kick vCPUs, never sleep.
 */
#ifndef ARCH_X86_KVM_IRQ_H
#define ARCH_X86_KVM_IRQ_H

#include <linux/types.h>
#include <linux/list.h>

struct kvm;
struct kvm_vcpu;

/* kvm->arch.irqchip_mode; set once under kvm->lock before any vCPU exists, then immutable */
enum kvm_irqchip_mode {
	KVM_IRQCHIP_NONE,	/* everything in userspace (KVM_INTERRUPT) */
	KVM_IRQCHIP_KERNEL,	/* KVM_CREATE_IRQCHIP: LAPICs, IOAPIC, PIC in the kernel */
	KVM_IRQCHIP_SPLIT,	/* KVM_CAP_SPLIT_IRQCHIP: LAPICs only; IOAPIC/PIC in userspace */
};

/* GSIs of the default routing KVM_CREATE_IRQCHIP installs (api.rst 4.24) */
#define KVM_IOAPIC_NUM_PINS	24
#define KVM_PIC_NUM_PINS	16

/* Who drives an interrupt line: lines are the OR of their sources (KVM_IRQ_LINE, PIT...) */
enum {
	KVM_USERSPACE_IRQ_SOURCE_ID,
	KVM_PIT_IRQ_SOURCE_ID,
	KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID,
	KVM_NR_IRQ_SOURCES
};

/*
 * A message on the APIC bus: a redirection entry of the IOAPIC, an MSI, or an IPI (SDM vol.
 * 3A 10.6.1 "Interrupt Command Register", 10.11 "Message Signalled Interrupts",
 * 82093AA datasheet 3.2.4 "IOREDTBL").
 */
struct kvm_apic_irq {
	u32 dest_id;		/* xAPIC: 8 bits (physical ID or logical MDA); x2APIC: 32 */
	u8 vector;
	u8 delivery_mode;	/* 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 6 SIPI, 7 ExtINT */
	u8 shorthand;		/* 0 none, 1 self, 2 all including self, 3 all excluding self */
	bool dest_logical;
	bool level;		/* asserted; an INIT with level 0 is the (ignored) de-assert */
	bool trig_level;	/* level-triggered: the source wants to hear about the EOI */
};

/*
 * lapic.c: deliver to every LAPIC the message names (src: the sending vCPU for shorthands
 * and self, NULL for the IOAPIC and MSIs). Returns how many LAPICs accepted it (0: none;
 * an IRR bit already set still counts as accepted, as KVM_IRQ_LINE_STATUS reports it).
 */
int kvm_apic_deliver(struct kvm *kvm, struct kvm_vcpu *src, const struct kvm_apic_irq *irq);

/* lapic.c: the PIC's INTR output changed: wake the vCPU whose LINT0 takes ExtINT */
void kvm_apic_pic_output_changed(struct kvm *kvm);

/* MSI address/data (api.rst 4.71 KVM_SIGNAL_MSI; SDM 10.11.1, 10.11.2) to a bus message */
void kvm_msi_to_apic_irq(struct kvm *kvm, u32 address_lo, u32 address_hi, u32 data,
			 struct kvm_apic_irq *irq);

/*
 * irq.c: drive GSI gsi from source source_id (KVM_*_IRQ_SOURCE_ID) to level through the
 * routing table; returns what api.rst 4.25 KVM_IRQ_LINE_STATUS reports: > 0 delivered,
 * 0 coalesced (already pending), < 0 masked / no route.
 */
int kvm_set_irq(struct kvm *kvm, int source_id, u32 gsi, int level, bool line_status);
/* irq.c: install the routing KVM_CREATE_IRQCHIP sets up (api.rst 4.24); 0 or -errno */
int kvm_irq_routing_default(struct kvm *kvm);

/*
 * irq.c, for KVM_CREATE_IRQCHIP (kvm->lock held, mode set): install the default routes (GSI
 * n to PIC pin n and IOAPIC pin n for n < 16, GSIs 16-23 to the IOAPIC). 0 or -errno.
 */
int kvm_irq_routing_default(struct kvm *kvm);

/* ioapic.c / pic.c: the same, for one pin of the device (called by the routing) */
int kvm_ioapic_set_irq(struct kvm *kvm, int source_id, unsigned int pin, int level);
int kvm_pic_set_irq(struct kvm *kvm, int source_id, unsigned int pin, int level);

/*
 * pic.c, for lapic.c: is the PIC's INTR output raised, and the interrupt acknowledge cycle
 * (returns the vector, as the 8259A does: the spurious IRQ7/15 vector when none is left).
 */
bool kvm_pic_intr_raised(struct kvm *kvm);
int kvm_pic_ack(struct kvm *kvm);

/*
 * ioapic.c, for lapic.c: a LAPIC's EOI of a level-triggered vector (TMR bit set, level) not
 * suppressed by directed EOI (SDM 10.8.5): clear Remote IRR of the entries with that vector.
 * In split mode lapic.c exits with KVM_EXIT_IOAPIC_EOI instead. An EOI of an edge vector
 * (level false) only runs the ack notifiers of the edge entries with that vector, as Linux
 * KVM does for the PIT's reinjection; kvm_ioapic_edge_vector() says whether any entry has it.
 */
void kvm_ioapic_eoi(struct kvm *kvm, u8 vector, bool level);
bool kvm_ioapic_edge_vector(struct kvm *kvm, u8 vector);

/*
 * Told when the guest acknowledges (EOIs) an interrupt of GSI gsi: PIT reinjection, irqfd
 * resampling. The callback runs in atomic context. irq.c keeps the list (RCU).
 */
struct kvm_irq_ack_notifier {
	struct hlist_node link;
	unsigned int gsi;
	void (*acked)(struct kvm_irq_ack_notifier *ian);
};
void kvm_register_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *ian);
void kvm_unregister_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *ian);
/* ioapic.c / pic.c: pin of that chip acknowledged; maps back to GSIs through the routing */
void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip, unsigned int pin);

#endif
