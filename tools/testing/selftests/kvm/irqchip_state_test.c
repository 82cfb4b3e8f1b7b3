// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel PIC pair and IOAPIC seen through their state ioctls (api.rst 4.24
 * KVM_CREATE_IRQCHIP, 4.26/4.27 KVM_GET/SET_IRQCHIP), no guest code:
 * - KVM_CREATE_IRQCHIP: EEXIST the second time, EINVAL once a vCPU exists; GET/SET_IRQCHIP
 *   ENXIO without an irqchip, EINVAL for a chip_id other than 0-2;
 * - the reset state of both PICs and of the IOAPIC (every redirection entry masked);
 * - a round trip of every field of the three chips;
 * - lines driven with KVM_IRQ_LINE (api.rst 4.25) and the result in the state: PIC IRR of
 *   edge pins latched until acknowledged, of level pins (ELCR) following the line, the
 *   slave's request on the master's IR2; the IOAPIC's irr for level and for masked edge
 *   pins, KVM_IRQ_LINE_STATUS of masked pins.
 */
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_vm.h"

#define RTE_MASKED	(1ULL << 16)
#define RTE_LEVEL	(1ULL << 15)
#define RTE_REMOTE_IRR	(1ULL << 14)

static int new_vm_irqchip(struct kvm_vm **vmp)
{
	struct kvm_vm *vm = kvm_vm_new(2 * MiB);

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	*vmp = vm;
	return vm->fd;
}

static void get_chip(struct kvm_vm *vm, uint32_t id, struct kvm_irqchip *c)
{
	memset(c, 0xcc, sizeof(*c));
	c->chip_id = id;
	vm_ioctl(vm, KVM_GET_IRQCHIP, c);
}

static void set_chip(struct kvm_vm *vm, uint32_t id, struct kvm_irqchip *c)
{
	c->chip_id = id;
	vm_ioctl(vm, KVM_SET_IRQCHIP, c);
}

static void test_create_errnos(void)
{
	struct kvm_vm *vm = kvm_vm_new(2 * MiB);
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_MASTER };

	TEST_ASSERT_EQ(1, kvm_check_cap(vm->fd, KVM_CAP_IRQCHIP) > 0);
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	TEST_ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	TEST_ASSERT_ERRNO(EEXIST, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	chip.chip_id = 3;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
	chip.chip_id = 0xffffffff;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm->fd, KVM_GET_IRQCHIP, (void *)8));
	kvm_vm_free(vm);

	vm = kvm_vm_new(2 * MiB);
	kvm_vcpu_new(vm, 0);
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_GET_IRQCHIP, &chip));
	kvm_vm_free(vm);
}

static void print_pic(const char *name, const struct kvm_pic_state *p)
{
	ksft_print_msg("%s: last_irr %#x irr %#x imr %#x isr %#x priority_add %u irq_base %#x "
		       "rrs %u poll %u smm %u init_state %u aeoi %u raeoi %u sfnm %u init4 %u "
		       "elcr %#x elcr_mask %#x\n", name, p->last_irr, p->irr, p->imr, p->isr,
		       p->priority_add, p->irq_base, p->read_reg_select, p->poll,
		       p->special_mask, p->init_state, p->auto_eoi, p->rotate_on_auto_eoi,
		       p->special_fully_nested_mode, p->init4, p->elcr, p->elcr_mask);
}

static void assert_pic_eq(const struct kvm_pic_state *e, const struct kvm_pic_state *a)
{
	TEST_ASSERT_EQ(e->last_irr, a->last_irr);
	TEST_ASSERT_EQ(e->irr, a->irr);
	TEST_ASSERT_EQ(e->imr, a->imr);
	TEST_ASSERT_EQ(e->isr, a->isr);
	TEST_ASSERT_EQ(e->priority_add, a->priority_add);
	TEST_ASSERT_EQ(e->irq_base, a->irq_base);
	TEST_ASSERT_EQ(e->read_reg_select, a->read_reg_select);
	TEST_ASSERT_EQ(e->poll, a->poll);
	TEST_ASSERT_EQ(e->special_mask, a->special_mask);
	TEST_ASSERT_EQ(e->init_state, a->init_state);
	TEST_ASSERT_EQ(e->auto_eoi, a->auto_eoi);
	TEST_ASSERT_EQ(e->rotate_on_auto_eoi, a->rotate_on_auto_eoi);
	TEST_ASSERT_EQ(e->special_fully_nested_mode, a->special_fully_nested_mode);
	TEST_ASSERT_EQ(e->init4, a->init4);
	TEST_ASSERT_EQ(e->elcr, a->elcr);
	TEST_ASSERT_EQ(e->elcr_mask, a->elcr_mask);
}

/* both PICs' state, printed, equals master and slave */
static void assert_pics(struct kvm_vm *vm, const struct kvm_pic_state *master,
			const struct kvm_pic_state *slave)
{
	struct kvm_irqchip c;

	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c);
	print_pic("master", &c.chip.pic);
	assert_pic_eq(master, &c.chip.pic);
	get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &c);
	print_pic("slave", &c.chip.pic);
	assert_pic_eq(slave, &c.chip.pic);
}

static void test_reset_state(void)
{
	struct kvm_pic_state master = { .elcr_mask = 0xf8 }, slave = { .elcr_mask = 0xde };
	struct kvm_irqchip c;
	struct kvm_vm *vm;
	int pin;

	new_vm_irqchip(&vm);
	assert_pics(vm, &master, &slave);

	get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	ksft_print_msg("ioapic: base %#llx ioregsel %#x id %#x irr %#x entry0 %#llx\n",
		       (unsigned long long)c.chip.ioapic.base_address, c.chip.ioapic.ioregsel,
		       c.chip.ioapic.id, c.chip.ioapic.irr,
		       (unsigned long long)c.chip.ioapic.redirtbl[0].bits);
	TEST_ASSERT_EQ(0xfec00000, c.chip.ioapic.base_address);
	TEST_ASSERT_EQ(0, c.chip.ioapic.ioregsel);
	TEST_ASSERT_EQ(0, c.chip.ioapic.id);
	TEST_ASSERT_EQ(0, c.chip.ioapic.irr);
	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++)
		TEST_ASSERT_EQ(RTE_MASKED, c.chip.ioapic.redirtbl[pin].bits);
	kvm_vm_free(vm);
}

static void test_round_trip(void)
{
	/* every request masked, so that restoring the pattern raises nothing */
	struct kvm_pic_state master = {
		.last_irr = 0x11, .irr = 0x19, .imr = 0xff, .isr = 0x40, .priority_add = 3,
		.irq_base = 0x28, .read_reg_select = 1, .poll = 1, .special_mask = 1,
		.init_state = 2, .auto_eoi = 1, .rotate_on_auto_eoi = 1,
		.special_fully_nested_mode = 1, .init4 = 1, .elcr = 0xa8, .elcr_mask = 0xf8,
	};
	struct kvm_pic_state slave = {
		.last_irr = 0x82, .irr = 0x86, .imr = 0xff, .isr = 0x01, .priority_add = 6,
		.irq_base = 0x70, .read_reg_select = 0, .poll = 0, .special_mask = 0,
		.init_state = 3, .auto_eoi = 0, .rotate_on_auto_eoi = 1,
		.special_fully_nested_mode = 0, .init4 = 1, .elcr = 0x84, .elcr_mask = 0xde,
	};
	struct kvm_ioapic_state io = {
		.base_address = 0xfec00000, .ioregsel = 0x13, .id = 5, .irr = 0x30,
	};
	struct kvm_irqchip c;
	struct kvm_vm *vm;
	int pin;

	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++)
		io.redirtbl[pin].bits = (uint64_t)(pin * 0x11) << 56 | RTE_MASKED |
					(pin & 1 ? RTE_LEVEL : 0) | (pin % 3) << 8 |
					(pin & 2 ? 1 << 11 : 0) | (pin & 4 ? 1 << 13 : 0) |
					(0x30 + pin);
	/* Remote IRR of a level entry is state too */
	io.redirtbl[5].bits |= RTE_REMOTE_IRR;

	new_vm_irqchip(&vm);
	c.chip.pic = master;
	set_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c);
	c.chip.pic = slave;
	set_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &c);
	c.chip.ioapic = io;
	set_chip(vm, KVM_IRQCHIP_IOAPIC, &c);

	assert_pics(vm, &master, &slave);
	get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	TEST_ASSERT_EQ(io.base_address, c.chip.ioapic.base_address);
	TEST_ASSERT_EQ(io.ioregsel, c.chip.ioapic.ioregsel);
	TEST_ASSERT_EQ(io.id, c.chip.ioapic.id);
	TEST_ASSERT_EQ(io.irr, c.chip.ioapic.irr);
	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++)
		TEST_ASSERT_EQ(io.redirtbl[pin].bits, c.chip.ioapic.redirtbl[pin].bits);
	kvm_vm_free(vm);
}

/* KVM_IRQ_LINE (api.rst 4.25) */
static void irq_line(struct kvm_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	vm_ioctl(vm, KVM_IRQ_LINE, &l);
}

static void test_pic_lines(void)
{
	struct kvm_irqchip m, s;
	struct kvm_vm *vm;

	new_vm_irqchip(&vm);
	/* IRQ 10 level-triggered (slave pin 2), IRQ 5 level (master pin 5) */
	get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &s);
	s.chip.pic.elcr = 0x04;
	set_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &s);
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	m.chip.pic.elcr = 0x20;
	set_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);

	/* edge: latched by the rising edge, kept when the line falls */
	irq_line(vm, 3, 1);
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	TEST_ASSERT_EQ(0x08, m.chip.pic.irr & 0x08);
	TEST_ASSERT_EQ(0x08, m.chip.pic.last_irr & 0x08);
	irq_line(vm, 3, 0);
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	TEST_ASSERT_EQ(0x08, m.chip.pic.irr & 0x08);
	TEST_ASSERT_EQ(0, m.chip.pic.last_irr & 0x08);

	/* level: follows the line */
	irq_line(vm, 5, 1);
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	TEST_ASSERT_EQ(0x20, m.chip.pic.irr & 0x20);
	irq_line(vm, 5, 0);
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	TEST_ASSERT_EQ(0, m.chip.pic.irr & 0x20);

	/* a masked pin still latches its request in IRR (IMR acts after IRR) */
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	m.chip.pic.imr = 0x10;
	set_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	irq_line(vm, 4, 1);
	irq_line(vm, 4, 0);
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	TEST_ASSERT_EQ(0x10, m.chip.pic.irr & 0x10);

	/* slave level pin: its request reaches the master's IR2 */
	irq_line(vm, 10, 1);
	get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &s);
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &m);
	TEST_ASSERT_EQ(0x04, s.chip.pic.irr);
	TEST_ASSERT_EQ(0x04, m.chip.pic.irr & 0x04);
	irq_line(vm, 10, 0);
	get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &s);
	TEST_ASSERT_EQ(0, s.chip.pic.irr);
	kvm_vm_free(vm);
}

/* KVM_IRQ_LINE_STATUS (api.rst 4.25): the status replaces gsi in the union */
static int irq_line_status(struct kvm_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	vm_ioctl(vm, KVM_IRQ_LINE_STATUS, &l);
	return l.status;
}

static void test_ioapic_lines(void)
{
	struct kvm_irqchip c;
	struct kvm_vm *vm;

	new_vm_irqchip(&vm);
	get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	/* pin 17 level masked, 18 edge masked */
	c.chip.ioapic.redirtbl[17].bits = RTE_MASKED | RTE_LEVEL | 0x51;
	c.chip.ioapic.redirtbl[18].bits = RTE_MASKED | 0x52;
	set_chip(vm, KVM_IRQCHIP_IOAPIC, &c);

	/* masked pins: irr shows the raised lines, nothing is sent (status < 0: masked) */
	TEST_ASSERT_EQ(-1, irq_line_status(vm, 17, 1));
	TEST_ASSERT_EQ(-1, irq_line_status(vm, 18, 1));
	get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	TEST_ASSERT_EQ(1 << 17 | 1 << 18, c.chip.ioapic.irr);
	TEST_ASSERT_EQ(0, c.chip.ioapic.redirtbl[17].bits & RTE_REMOTE_IRR);
	irq_line(vm, 17, 0);
	get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	TEST_ASSERT_EQ(1 << 18, c.chip.ioapic.irr);
	irq_line(vm, 18, 0);
	get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	TEST_ASSERT_EQ(0, c.chip.ioapic.irr);

	/* unmasking an edge pin whose line is high sends its request: irr clears */
	irq_line(vm, 18, 1);
	get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	TEST_ASSERT_EQ(1 << 18, c.chip.ioapic.irr);
	c.chip.ioapic.redirtbl[18].bits &= ~RTE_MASKED;
	set_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	TEST_ASSERT_EQ(0, c.chip.ioapic.irr);
	irq_line(vm, 18, 0);

	/* GSI 4 goes to PIC pin 4 (unmasked: 1) and IOAPIC pin 4 (masked) */
	TEST_ASSERT_EQ(1, irq_line_status(vm, 4, 1));
	TEST_ASSERT_EQ(1, irq_line_status(vm, 4, 1));
	get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c);
	TEST_ASSERT_EQ(0x10, c.chip.pic.irr & 0x10);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(5);
	run_subtest(test_create_errnos,
		    "KVM_CREATE_IRQCHIP EEXIST/EINVAL, GET/SET_IRQCHIP ENXIO/EINVAL/EFAULT");
	run_subtest(test_reset_state, "reset state of the PICs and the IOAPIC");
	run_subtest(test_round_trip, "KVM_SET_IRQCHIP/KVM_GET_IRQCHIP round trip of every field");
	run_subtest(test_pic_lines, "KVM_IRQ_LINE: PIC IRR of edge, level (ELCR), masked pins");
	run_subtest(test_ioapic_lines, "KVM_IRQ_LINE(_STATUS): IOAPIC irr, Remote IRR, status");
	ksft_finished();
}
