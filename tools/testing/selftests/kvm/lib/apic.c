// SPDX-License-Identifier: GPL-2.0-only
/* Guest helpers for the in-kernel APIC, IOAPIC and PIC: see apic.h. */
#include <errno.h>
#include <sys/ioctl.h>

#include "apic.h"
#include "guest_access.h"
#include "test_util.h"

volatile uint64_t apic_irq_count[256];

/* 82093AA 3.1: IOREGSEL at offset 0 selects the register IOWIN (offset 0x10) accesses */
uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC_DEFAULT_GPA = reg;
	return *(volatile uint32_t *)(IOAPIC_DEFAULT_GPA + 0x10);
}

void ioapic_write(uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)IOAPIC_DEFAULT_GPA = reg;
	*(volatile uint32_t *)(IOAPIC_DEFAULT_GPA + 0x10) = val;
}

void ioapic_set_redir(unsigned int pin, uint8_t vector, uint32_t flags, uint8_t dest)
{
	/* high dword first, so the entry is never live with a stale destination */
	ioapic_write(0x11 + 2 * pin, (uint32_t)dest << 24);
	ioapic_write(0x10 + 2 * pin, flags | vector);
}

void apic_guest_init(void)
{
	guest_outb(0x21, 0xff);	/* 8259A OCW1: mask every IRQ of the master ... */
	guest_outb(0xa1, 0xff);	/* ... and of the slave */
	xapic_write(APIC_SPIV, APIC_SPIV_ENABLE | 0xff);
	xapic_write(APIC_TPR, 0);
	xapic_write(APIC_LVT0, APIC_LVT_MASKED);
}

static void apic_count_handler(struct ex_regs *regs)
{
	apic_irq_count[regs->vector & 0xff]++;
	xapic_eoi();
}

void apic_vm_setup(struct kvm_vm *vm, const uint8_t *vectors, int nr)
{
	int i;

	guest_map_page(vm, APIC_DEFAULT_GPA, APIC_DEFAULT_GPA);
	guest_map_page(vm, IOAPIC_DEFAULT_GPA, IOAPIC_DEFAULT_GPA);
	for (i = 0; i < nr; i++)
		vm_install_exception_handler(vm, vectors[i], apic_count_handler);
}

uint64_t apic_count(struct kvm_vm *vm, uint8_t vector)
{
	return *(volatile uint64_t *)addr_gva2hva(vm, (uint64_t)&apic_irq_count[vector]);
}

void irqchip_create(int vm_fd)
{
	TEST_ASSERT(!ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP: %s",
		    errno_name(errno));
}
