/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest helpers for the in-kernel interrupt controllers (KVM_CREATE_IRQCHIP): the local
 * APIC in xAPIC mode (SDM vol. 3A ch. 10), the IOAPIC (82093AA datasheet 3.2), the 8259A
 * PICs' masks, and an IDT handler that counts the vectors it takes and EOIs them.
 *
 * Host side: apic_vm_setup() maps both MMIO pages into a long-mode guest (they lie above
 * guest memory) and installs the counting handler on the given vectors.
 */
#ifndef SELFTEST_KVM_APIC_H
#define SELFTEST_KVM_APIC_H

#include <stdint.h>

#include "x86_guest.h"

#define APIC_DEFAULT_GPA	0xfee00000ULL
#define IOAPIC_DEFAULT_GPA	0xfec00000ULL

/* Local APIC registers (SDM table 10-1) */
#define APIC_ID			0x20
#define APIC_TPR		0x80
#define APIC_EOI		0xb0
#define APIC_SPIV		0xf0
#define APIC_SPIV_ENABLE	(1U << 8)
#define APIC_ISR		0x100
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_LVT0		0x350
#define APIC_TMICT		0x380
#define APIC_TDCR		0x3e0
#define APIC_LVT_MASKED		(1U << 16)
#define APIC_LVT_PERIODIC	(1U << 17)

/* IOAPIC redirection entry, low dword (82093AA 3.2.4) */
#define IOAPIC_REDIR_LEVEL	(1U << 15)
#define IOAPIC_REDIR_REMOTE_IRR	(1U << 14)
#define IOAPIC_REDIR_MASKED	(1U << 16)

/* MSI address for physical destination dest (SDM 10.11.1) and data for vector, edge, fixed */
#define MSI_ADDR(dest)		(0xfee00000U | ((uint32_t)(dest) << 12))
#define MSI_DATA(vector)	((uint32_t)(vector))

/* Per vector: how many times the counting handler ran (the guest's copy: sync it out). */
extern volatile uint64_t apic_irq_count[256];

/* --- guest side --- */
static inline uint32_t xapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_DEFAULT_GPA + reg);
}

static inline void xapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(APIC_DEFAULT_GPA + reg) = val;
}

static inline void xapic_eoi(void)
{
	xapic_write(APIC_EOI, 0);
}

uint32_t ioapic_read(uint32_t reg);
void ioapic_write(uint32_t reg, uint32_t val);
/* Redirection entry of pin: low dword flags | vector (fixed, physical), to APIC ID dest. */
void ioapic_set_redir(unsigned int pin, uint8_t vector, uint32_t flags, uint8_t dest);
/*
 * Software-enable the LAPIC (spurious vector 0xff), TPR 0, LINT0 masked, and mask both
 * PICs (OCW1): only the IOAPIC and MSIs reach the CPU.
 */
void apic_guest_init(void);

/* host: KVM_CREATE_IRQCHIP on a VM fd, asserting it worked */
void irqchip_create(int vm_fd);

/* --- host side --- */
/* Map the APIC and IOAPIC pages; count (and EOI) the nr vectors listed. */
void apic_vm_setup(struct kvm_vm *vm, const uint8_t *vectors, int nr);
/* The guest's apic_irq_count[vector] now. */
uint64_t apic_count(struct kvm_vm *vm, uint8_t vector);

#endif
