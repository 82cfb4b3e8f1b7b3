// SPDX-License-Identifier: GPL-2.0-only
/*
 * GSI routing and interrupt lines with the in-kernel irqchip (api.rst 4.52
 * KVM_SET_GSI_ROUTING, 4.25 KVM_IRQ_LINE / KVM_IRQ_LINE_STATUS, 4.24 KVM_CREATE_IRQCHIP):
 * - without an irqchip: KVM_SET_GSI_ROUTING is EINVAL, KVM_IRQ_LINE(_STATUS) ENXIO;
 * - the table's limits and what it refuses (flags, types, pins, GSIs, several routes of a
 *   GSI to one chip, an MSI GSI with a second route, irqchip routes in split mode); the
 *   entry flag KVM_MSI_VALID_DEVID is accepted (and ignored) on MSI routes only, as on
 *   Linux KVM;
 * - the default table sends GSI 0 to IOAPIC pin 0 (not 2) and GSI 16 to pin 16;
 * - KVM_IRQ_LINE_STATUS through the IOAPIC: delivered (1), coalesced (0: an edge line
 *   raised twice), masked (-1), no route (-1), counted by the guest's handler;
 * - MSI routes deliver on level 1 only; a GSI routed to the PIC and the IOAPIC delivers
 *   through the IOAPIC once.
 * Parts that need KVM_CREATE_IRQCHIP skip where it is missing.
 */
#include <stdlib.h>
#include <sys/ioctl.h>

#include "apic.h"

#define VEC_PIN5	0x40
#define VEC_PIN16	0x41
#define VEC_PIN0	0x42
#define VEC_PIN2	0x43
#define VEC_MSI		0x44
#define VEC_PIN6	0x45

static const uint8_t vectors[] = { VEC_PIN5, VEC_PIN16, VEC_PIN0, VEC_PIN2, VEC_MSI,
				   VEC_PIN6 };

static struct kvm_irq_routing *routing_new(unsigned int nr)
{
	struct kvm_irq_routing *r = calloc(1, sizeof(*r) + nr * sizeof(r->entries[0]));

	TEST_ASSERT(r, "calloc");
	r->nr = nr;
	return r;
}

static struct kvm_irq_routing_entry chip(uint32_t gsi, uint32_t irqchip, uint32_t pin)
{
	return (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = irqchip, .pin = pin } };
}

static struct kvm_irq_routing_entry msi(uint32_t gsi, uint8_t vector)
{
	return (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = MSI_ADDR(0), .data = MSI_DATA(vector) } };
}

/* KVM_SET_GSI_ROUTING with the given entries; the ioctl's result (-1 with errno). */
static int set_routing(int vm, int nr, const struct kvm_irq_routing_entry *e)
{
	struct kvm_irq_routing *r = routing_new(nr);
	int ret;

	memcpy(r->entries, e, nr * sizeof(*e));
	ret = ioctl(vm, KVM_SET_GSI_ROUTING, r);
	free(r);
	return ret;
}

#define SET_ROUTING(vm, ...) ({							\
	const struct kvm_irq_routing_entry __e[] = { __VA_ARGS__ };		\
	set_routing(vm, sizeof(__e) / sizeof(__e[0]), __e);			\
})

static int line_status(int vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	TEST_ASSERT_EQ(0, ioctl(vm, KVM_IRQ_LINE_STATUS, &l));
	return l.status;
}

static void line(int vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	TEST_ASSERT_EQ(0, ioctl(vm, KVM_IRQ_LINE, &l));
}

static void test_no_irqchip(void)
{
	struct kvm_vm *vm = kvm_vm_new(MiB);
	struct kvm_irq_level l = { .irq = 0, .level = 1 };

	TEST_ASSERT_ERRNO(EINVAL, set_routing(vm->fd, 0, NULL));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(vm->fd, msi(1, VEC_MSI)));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm->fd, KVM_SET_GSI_ROUTING, (void *)8));
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_IRQ_LINE, &l));
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l));
	kvm_vm_free(vm);
}

static void test_table_errnos(void)
{
	struct kvm_vm *vm = kvm_vm_new(MiB);
	struct kvm_irq_routing *r;
	int fd = vm->fd, i, max;
	struct kvm_irq_routing_entry e;

	irqchip_create(fd);
	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);
	TEST_ASSERT_EQ(4096, max);

	TEST_ASSERT_EQ(0, set_routing(fd, 0, NULL));
	/* the largest table, one MSI per GSI (every GSI below the limit) */
	r = routing_new(max + 1);
	for (i = 0; i < max; i++)
		r->entries[i] = msi(i, VEC_MSI);
	r->nr = max;
	TEST_ASSERT_EQ(0, ioctl(fd, KVM_SET_GSI_ROUTING, r));
	r->nr = max + 1;
	r->entries[max] = msi(0, VEC_MSI);
	TEST_ASSERT_ERRNO(EINVAL, ioctl(fd, KVM_SET_GSI_ROUTING, r));
	r->nr = 1;
	r->flags = 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(fd, KVM_SET_GSI_ROUTING, r));
	free(r);

	TEST_ASSERT_EQ(0, SET_ROUTING(fd, msi(max - 1, VEC_MSI)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, msi(max, VEC_MSI)));
	TEST_ASSERT_EQ(0, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_IOAPIC, 23)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_IOAPIC, 24)));
	TEST_ASSERT_EQ(0, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_PIC_SLAVE, 7)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_PIC_MASTER, 8)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_PIC_SLAVE, 8)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, chip(3, 3, 0)));
	e = msi(3, VEC_MSI);
	e.type = 99;
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, e));
	e.type = KVM_IRQ_ROUTING_S390_ADAPTER;
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, e));
	/* x86 has no use for a device ID, yet Linux KVM takes the flag (and ignores it) */
	e = msi(3, VEC_MSI);
	e.flags = KVM_MSI_VALID_DEVID;
	e.u.msi.devid = 0x1234;
	TEST_ASSERT_EQ(0, SET_ROUTING(fd, e));
	e = chip(3, KVM_IRQCHIP_IOAPIC, 3);
	e.flags = KVM_MSI_VALID_DEVID;
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, e));
	e.flags = 2;
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, e));
	e = msi(3, VEC_MSI);
	e.flags = 2;
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, e));

	/* several routes of one GSI: only irqchip routes, to different chips */
	TEST_ASSERT_EQ(0, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_PIC_MASTER, 3),
				      chip(3, KVM_IRQCHIP_IOAPIC, 3),
				      chip(3, KVM_IRQCHIP_PIC_SLAVE, 3)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_IOAPIC, 3),
					      chip(3, KVM_IRQCHIP_IOAPIC, 4)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_IOAPIC, 3),
					      msi(3, VEC_MSI)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(fd, msi(3, VEC_MSI), msi(3, VEC_MSI + 1)));
	/* two GSIs to one pin is fine */
	TEST_ASSERT_EQ(0, SET_ROUTING(fd, chip(3, KVM_IRQCHIP_IOAPIC, 3),
				      chip(4, KVM_IRQCHIP_IOAPIC, 3)));
	/* an empty table: every GSI is unrouted */
	TEST_ASSERT_EQ(0, set_routing(fd, 0, NULL));
	TEST_ASSERT_EQ(-1, line_status(fd, 3, 1));
	kvm_vm_free(vm);
}

/* Split mode: the IOAPIC and PIC are userspace's; only MSI routes make sense. */
static void test_split(void)
{
	struct kvm_vm *vm = kvm_vm_new(MiB);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	TEST_ASSERT_EQ(0, SET_ROUTING(vm->fd, msi(3, VEC_MSI)));
	TEST_ASSERT_ERRNO(EINVAL, SET_ROUTING(vm->fd, chip(3, KVM_IRQCHIP_IOAPIC, 3)));
	kvm_vm_free(vm);
}

static void guest_main(void)
{
	apic_guest_init();
	ioapic_set_redir(5, VEC_PIN5, 0, 0);
	ioapic_set_redir(6, VEC_PIN6, IOAPIC_REDIR_MASKED, 0);
	ioapic_set_redir(16, VEC_PIN16, 0, 0);
	ioapic_set_redir(0, VEC_PIN0, 0, 0);
	ioapic_set_redir(2, VEC_PIN2, 0, 0);
	asm volatile("sti");
	for (;;)
		GUEST_SYNC(0);
}

/* Run the guest to its next GUEST_SYNC: whatever is pending is taken on the way. */
static void sync_guest(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
}

static void test_delivery(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu;
	int fd = vm->fd;

	irqchip_create(fd);
	apic_vm_setup(vm, vectors, sizeof(vectors));
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_main);
	sync_guest(vcpu);	/* the guest programmed its APIC and IOAPIC */

	/* default routes: GSI 0 is IOAPIC pin 0 (the override to pin 2 is the MADT's) */
	line(fd, 0, 1);
	line(fd, 0, 0);
	line(fd, 16, 1);
	line(fd, 16, 0);
	sync_guest(vcpu);
	TEST_ASSERT_EQ(1, apic_count(vm, VEC_PIN0));
	TEST_ASSERT_EQ(0, apic_count(vm, VEC_PIN2));
	TEST_ASSERT_EQ(1, apic_count(vm, VEC_PIN16));

	/* the IOAPIC alone on GSIs 5 and 6, MSI on 40, both chips on 7 -> pin 5 */
	TEST_ASSERT_EQ(0, SET_ROUTING(fd, chip(5, KVM_IRQCHIP_IOAPIC, 5),
				      chip(6, KVM_IRQCHIP_IOAPIC, 6), msi(40, VEC_MSI),
				      chip(7, KVM_IRQCHIP_PIC_MASTER, 7),
				      chip(7, KVM_IRQCHIP_IOAPIC, 5)));
	TEST_ASSERT_EQ(1, line_status(fd, 5, 1));	/* delivered */
	TEST_ASSERT_EQ(0, line_status(fd, 5, 1));	/* coalesced: the edge is still high */
	line(fd, 5, 0);
	TEST_ASSERT_EQ(-1, line_status(fd, 6, 1));	/* masked */
	line(fd, 6, 0);
	TEST_ASSERT_EQ(-1, line_status(fd, 16, 1));	/* no route any more */
	sync_guest(vcpu);
	TEST_ASSERT_EQ(1, apic_count(vm, VEC_PIN5));
	TEST_ASSERT_EQ(0, apic_count(vm, VEC_PIN6));
	TEST_ASSERT_EQ(1, apic_count(vm, VEC_PIN16));

	/* MSI: a message on the rising edge, nothing on level 0 */
	TEST_ASSERT_EQ(1, line_status(fd, 40, 1));
	TEST_ASSERT_EQ(-1, line_status(fd, 40, 0));
	sync_guest(vcpu);
	TEST_ASSERT_EQ(1, apic_count(vm, VEC_MSI));
	TEST_ASSERT_EQ(1, line_status(fd, 40, 1));
	sync_guest(vcpu);
	TEST_ASSERT_EQ(2, apic_count(vm, VEC_MSI));

	/* GSI 7: PIC (masked by the guest) and IOAPIC pin 5: the IOAPIC delivers once */
	{
		int st = line_status(fd, 7, 1);

		TEST_ASSERT(st >= 1, "GSI 7 (PIC + IOAPIC): status %d, expected >= 1", st);
	}
	line(fd, 7, 0);
	sync_guest(vcpu);
	TEST_ASSERT_EQ(2, apic_count(vm, VEC_PIN5));
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(4);
	run_subtest(test_no_irqchip, "no irqchip: EINVAL / ENXIO");
	run_subtest(test_table_errnos, "KVM_SET_GSI_ROUTING limits and errnos");
	run_subtest(test_split, "split irqchip: MSI routes only");
	run_subtest(test_delivery, "IOAPIC and MSI delivery, KVM_IRQ_LINE_STATUS");
	ksft_finished();
}
