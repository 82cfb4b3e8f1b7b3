// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel i8254 PIT (api.rst 4.71-4.73 KVM_CREATE_PIT2 / KVM_GET_PIT2 / KVM_SET_PIT2,
 * 4.99 KVM_REINJECT_CONTROL; 8254 datasheet):
 * - KVM_CREATE_PIT2 errnos (EEXIST twice), after KVM_CREATE_IRQCHIP as api.rst says (Linux
 *   6.1 did not insist, 6.12 fails with ENOENT without one), ENXIO for the state ioctls
 *   without a PIT;
 * - a guest programs counter 0 in modes 2 and 3, counter 1 in BCD (status only), counter 2 in mode 0 gated
 *   through port 0x61, and reads them back with the counter latch and read-back commands:
 *   counts decrease within the programmed range, status bytes carry OUT, RW, mode, BCD;
 *   counter 2's terminal count (port 0x61 bit 5) comes after 65535 ticks, timed by the TSC;
 * - KVM_GET/SET_PIT2 round trip and a restore into a fresh VM that keeps counting;
 * - counter 0 in mode 2 interrupting through the PIC (IRQ0), counted over a TSC interval.
 */
#include <sys/ioctl.h>
#include <time.h>

#include "guest_access.h"
#include "x86_guest.h"

#define PIT_HZ		1193182
#define IRQ0_VECTOR	0x20
#define IRQ0_IOAPIC_VECTOR	0x30
#define IOAPIC_GPA	0xfec00000ull
#define APIC_GPA	0xfee00000ull

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

/* counter latch command, then LSB and MSB */
static uint16_t latch_read(int ch)
{
	uint16_t lo, hi;

	guest_outb(0x43, ch << 6);
	lo = guest_inb(0x40 + ch);
	hi = guest_inb(0x40 + ch);
	return lo | hi << 8;
}

/* read-back command latching the status of one counter */
static uint8_t status_read(int ch)
{
	guest_outb(0x43, 0xe0 | 2 << ch);
	return guest_inb(0x40 + ch);
}

static void load(int ch, uint8_t cmd, uint16_t count)
{
	guest_outb(0x43, cmd);
	guest_outb(0x40 + ch, count & 0xff);
	guest_outb(0x40 + ch, count >> 8);
}

static uint64_t tsc_hz;

static void guest_counters(void)
{
	uint16_t v1, v2, v;
	uint8_t st, seen_hi = 0, seen_lo = 0;
	uint64_t t0, t1, limit;
	int i;

	/* counter 0, mode 2 (rate generator), LSB then MSB, binary: 0x34 */
	load(0, 0x34, 60000);
	v1 = latch_read(0);
	v2 = latch_read(0);
	GUEST_ASSERT_MSG(v1 >= 1 && v1 <= 60000 && v2 >= 1 && v2 <= 60000,
			 "mode 2 counts %llu %llu out of [1, 60000]", v1, v2);
	/* decreasing, modulo the reload: less than half a period went by */
	GUEST_ASSERT_MSG((v1 - v2 + 60000) % 60000 > 0 && (v1 - v2 + 60000) % 60000 < 30000,
			 "mode 2 counts %llu then %llu", v1, v2);
	st = status_read(0);
	GUEST_ASSERT_EQ(0x34, st & 0x3f);		/* RW 3, mode 2, binary */
	GUEST_ASSERT_EQ(0, st & 0x40);			/* null count: the count is in */
	/* read-back of count and status together: status first, then the count */
	guest_outb(0x43, 0xc2);
	st = guest_inb(0x40);
	GUEST_ASSERT_EQ(0x34, st & 0x3f);
	v = guest_inb(0x40);
	v |= guest_inb(0x40) << 8;
	GUEST_ASSERT_MSG(v >= 1 && v <= 60000, "read-back count %llu", v);
	/* a second latch before the first is read is ignored (datasheet) */
	guest_outb(0x43, 0x00);
	for (i = 0; i < 2000; i++)
		asm volatile("pause");
	guest_outb(0x43, 0x00);
	v1 = guest_inb(0x40);
	v1 |= guest_inb(0x40) << 8;
	v2 = latch_read(0);
	GUEST_ASSERT_MSG(v1 >= 1 && v1 <= 60000 && (v1 - v2 + 60000) % 60000 > 0 &&
			 (v1 - v2 + 60000) % 60000 < 30000, "latch %llu then %llu", v1, v2);

	/* counter 0, mode 3 (square wave): even counts in [2, 1000], OUT toggles */
	load(0, 0x36, 1000);
	for (i = 0; i < 3000 && !(seen_hi && seen_lo); i++) {
		guest_outb(0x43, 0xc2);
		st = guest_inb(0x40);
		v = guest_inb(0x40);
		v |= guest_inb(0x40) << 8;
		GUEST_ASSERT_EQ(0x36, st & 0x3f);
		GUEST_ASSERT_MSG(v >= 2 && v <= 1000 && !(v & 1), "mode 3 count %llu", v);
		if (st & 0x80)
			seen_hi = 1;
		else
			seen_lo = 1;
	}
	GUEST_ASSERT_MSG(seen_hi && seen_lo, "mode 3 OUT high seen %llu, low seen %llu",
			 seen_hi, seen_lo);

	/*
	 * counter 1, mode 2, BCD (0x75): the status byte says BCD. (The count is not checked
	 * for BCD digits: Linux KVM counts in binary from the value written.)
	 */
	load(1, 0x75, 0x9999);
	GUEST_ASSERT_EQ(0x35, status_read(1) & 0x3f);

	/* counter 2, mode 0 (interrupt on terminal count), gate from port 0x61 bit 0 */
	guest_outb(0x61, guest_inb(0x61) & ~3);
	GUEST_ASSERT_EQ(0, guest_inb(0x61) & 1);
	guest_outb(0x43, 0xb0);
	/*
	 * RW 3, mode 0, binary. (OUT is not checked here: the datasheet puts it low at a
	 * mode 0 control word, Linux KVM leaves it as the old count left it.)
	 */
	st = status_read(2);
	GUEST_ASSERT_EQ(0x30, st & 0x3f);
	guest_outb(0x61, (guest_inb(0x61) & ~2) | 1);
	GUEST_ASSERT_EQ(1, guest_inb(0x61) & 1);
	guest_outb(0x42, 0xff);
	guest_outb(0x42, 0xff);
	t0 = rdtsc();
	GUEST_ASSERT_EQ(0, guest_inb(0x61) & 0x20);		/* 55 ms to go */
	v1 = latch_read(2);
	v2 = latch_read(2);
	GUEST_ASSERT_MSG(v2 < v1, "mode 0 counts %llu then %llu", v1, v2);
	GUEST_ASSERT_EQ(0, status_read(2) & 0x80);
	limit = t0 + tsc_hz * 10;
	while (!(guest_inb(0x61) & 0x20)) {
		t1 = rdtsc();
		GUEST_ASSERT_MSG(t1 < limit, "OUT2 not high after 10 s");
	}
	t1 = rdtsc();
	GUEST_ASSERT_EQ(0x80, status_read(2) & 0x80);
	GUEST_SYNC(1, t1 - t0);
	GUEST_DONE();
}

/*
 * VM with a PIT, and an in-kernel irqchip where there is one: Linux KVM's counter 0 does
 * not count without one (it counts from the hrtimer it arms only with an IOAPIC), ours
 * does. The guest runs with interrupts off and the PIC uninitialized: no IRQ0 arrives.
 */
static struct kvm_vm *pit_vm(uint32_t flags)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_pit_config cfg = { .flags = flags };

	ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0);

	vm_ioctl(vm, KVM_CREATE_PIT2, &cfg);
	return vm;
}

static void test_errnos(void)
{
	struct kvm_vm *vm = kvm_vm_new(PAGE_SIZE * 16);
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_reinject_control rc = { .pit_reinject = 0 };
	struct kvm_pit_state2 st2;
	struct kvm_pit_state st;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_GET_PIT2, &st2));
	memset(&st2, 0, sizeof(st2));
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_SET_PIT2, &st2));
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_GET_PIT, &st));
	TEST_ASSERT_ERRNO(ENXIO, ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm->fd, KVM_CREATE_PIT2, NULL));
	vm_ioctl(vm, KVM_CREATE_PIT2, &cfg);
	TEST_ASSERT_ERRNO(EEXIST, ioctl(vm->fd, KVM_CREATE_PIT2, &cfg));
	TEST_ASSERT_ERRNO(EEXIST, ioctl(vm->fd, KVM_CREATE_PIT, 0));
	vm_ioctl(vm, KVM_REINJECT_CONTROL, &rc);
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm->fd, KVM_GET_PIT2, NULL));
	/* unknown flags are no error, and SET_PIT2 keeps them (Linux KVM) */
	memset(&st2, 0, sizeof(st2));
	st2.flags = 0x80;
	vm_ioctl(vm, KVM_SET_PIT2, &st2);
	vm_ioctl(vm, KVM_GET_PIT2, &st2);
	TEST_ASSERT_EQ(0x80, st2.flags);
	kvm_vm_free(vm);
	vm = kvm_vm_new(PAGE_SIZE * 16);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	cfg.flags = 0x80;
	vm_ioctl(vm, KVM_CREATE_PIT2, &cfg);
	kvm_vm_free(vm);
}

static void test_counters(void)
{
	struct kvm_vm *vm = pit_vm(KVM_PIT_SPEAKER_DUMMY);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_counters);
	uint64_t ns, expect_ns = 65535ull * 1000000000 / PIT_HZ;
	struct ucall uc;

	sync_global_to_guest(vm, tsc_hz);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	ns = uc.args[1] * 1000000000 / tsc_hz;
	ksft_print_msg("counter 2 terminal count after %llu us (65535 ticks: %llu us)\n",
		       (unsigned long long)ns / 1000, (unsigned long long)expect_ns / 1000);
	/* loose: TCG is slow, but OUT never goes high early */
	TEST_ASSERT(ns >= expect_ns * 9 / 10 && ns <= expect_ns * 20,
		    "counter 2 took %llu ns, expected about %llu", (unsigned long long)ns,
		    (unsigned long long)expect_ns);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* reads counter 0 without programming it: what the host restored */
static void guest_read_restored(void)
{
	uint16_t v1 = latch_read(0), v2 = latch_read(0);

	GUEST_SYNC(1, v1, v2, status_read(0));
	GUEST_DONE();
}

static void guest_program_only(void)
{
	load(0, 0x34, 60000);
	guest_outb(0x61, 0x03);
	load(2, 0xb6, 4000);		/* counter 2, mode 3 */
	GUEST_DONE();
}

static void test_state(void)
{
	struct kvm_vm *vm = pit_vm(KVM_PIT_SPEAKER_DUMMY), *vm2;
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_program_only);
	struct kvm_pit_state2 st, st2;
	struct kvm_pit_state legacy;
	struct ucall uc;
	int i;

	/* fresh PIT: counters 0 and 1 gated on, 2 off */
	vm_ioctl(vm, KVM_GET_PIT2, &st);
	TEST_ASSERT_EQ(1, st.channels[0].gate);
	TEST_ASSERT_EQ(1, st.channels[1].gate);
	TEST_ASSERT_EQ(0, st.channels[2].gate);
	TEST_ASSERT_EQ(0, st.flags);

	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	vm_ioctl(vm, KVM_GET_PIT2, &st);
	TEST_ASSERT_EQ(2, st.channels[0].mode);
	TEST_ASSERT_EQ(60000, st.channels[0].count);
	TEST_ASSERT_EQ(3, st.channels[0].rw_mode);
	TEST_ASSERT_EQ(0, st.channels[0].bcd);
	TEST_ASSERT_EQ(1, st.channels[0].gate);
	TEST_ASSERT_EQ(3, st.channels[2].mode);
	TEST_ASSERT_EQ(4000, st.channels[2].count);
	TEST_ASSERT_EQ(1, st.channels[2].gate);
	TEST_ASSERT_EQ(KVM_PIT_FLAGS_SPEAKER_DATA_ON, st.flags);

	/* the legacy ioctl sees the same channels */
	vm_ioctl(vm, KVM_GET_PIT, &legacy);
	for (i = 0; i < 3; i++) {
		TEST_ASSERT_EQ(st.channels[i].mode, legacy.channels[i].mode);
		TEST_ASSERT_EQ(st.channels[i].count, legacy.channels[i].count);
		TEST_ASSERT_EQ(st.channels[i].gate, legacy.channels[i].gate);
	}

	/* SET then GET: mode, count, gate, flags */
	st2 = st;
	st2.channels[1].mode = 2;
	st2.channels[1].count = 12345;
	st2.channels[1].rw_mode = 3;
	st2.channels[1].read_state = st2.channels[1].write_state = 3;
	st2.channels[2].gate = 0;
	st2.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	vm_ioctl(vm, KVM_SET_PIT2, &st2);
	vm_ioctl(vm, KVM_GET_PIT2, &st);
	TEST_ASSERT_EQ(2, st.channels[1].mode);
	TEST_ASSERT_EQ(12345, st.channels[1].count);
	TEST_ASSERT_EQ(0, st.channels[2].gate);
	TEST_ASSERT_EQ(2, st.channels[0].mode);
	TEST_ASSERT_EQ(60000, st.channels[0].count);
	TEST_ASSERT_EQ(KVM_PIT_FLAGS_HPET_LEGACY, st.flags);
	st2.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	vm_ioctl(vm, KVM_SET_PIT2, &st2);
	vm_ioctl(vm, KVM_GET_PIT2, &st);
	TEST_ASSERT_EQ(KVM_PIT_FLAGS_SPEAKER_DATA_ON, st.flags);

	/* restore into a fresh VM: counter 0 keeps counting in mode 2 from 60000 */
	vm2 = pit_vm(KVM_PIT_SPEAKER_DUMMY);
	vcpu = guest_vcpu_add(vm2, 0, (uint64_t)guest_read_restored);
	vm_ioctl(vm2, KVM_SET_PIT2, &st);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT(uc.args[1] >= 1 && uc.args[1] <= 60000 && uc.args[2] >= 1 &&
		    uc.args[2] <= 60000, "restored counts %lu %lu", uc.args[1], uc.args[2]);
	TEST_ASSERT((uc.args[1] - uc.args[2] + 60000) % 60000 > 0 &&
		    (uc.args[1] - uc.args[2] + 60000) % 60000 < 30000,
		    "restored counter: %lu then %lu", uc.args[1], uc.args[2]);
	TEST_ASSERT_EQ(0x34, uc.args[3] & 0x3f);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	vm_ioctl(vm2, KVM_GET_PIT2, &st2);
	TEST_ASSERT_EQ(2, st2.channels[1].mode);
	TEST_ASSERT_EQ(12345, st2.channels[1].count);
	kvm_vm_free(vm2);
	kvm_vm_free(vm);
}

static void guest_speaker_port(void)
{
	guest_inb(0x61);
	GUEST_DONE();
}

/* port 0x61 is the kernel's only with KVM_PIT_SPEAKER_DUMMY (as on Linux KVM) */
static void test_speaker_port(void)
{
	uint32_t flags[] = { 0, KVM_PIT_SPEAKER_DUMMY };
	int i;

	for (i = 0; i < 2; i++) {
		struct kvm_vm *vm = pit_vm(flags[i]);
		struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_speaker_port);

		vcpu_run_exit(vcpu);
		/* without KVM_PIT_SPEAKER_DUMMY the port is userspace's */
		if (!flags[i]) {
			vcpu_assert_exit(vcpu, KVM_EXIT_IO);
			TEST_ASSERT_EQ(0x61, vcpu->run->io.port);
			TEST_ASSERT_EQ(KVM_EXIT_IO_IN, vcpu->run->io.direction);
			vcpu_run_exit(vcpu);
		}
		TEST_ASSERT_EQ(UCALL_DONE, get_ucall(vcpu, NULL));
		kvm_vm_free(vm);
	}
}

static volatile uint64_t irq_count;

static void irq0_handler(struct ex_regs *regs)
{
	irq_count++;
	guest_outb(0x20, 0x20);		/* non-specific EOI */
}

/* through the IOAPIC: the LAPIC takes the EOI (edge, so only ack notifiers hear of it) */
static void irq0_ioapic_handler(struct ex_regs *regs)
{
	irq_count++;
	*(volatile uint32_t *)(APIC_GPA + 0xb0) = 0;
}

static void guest_irq0(uint64_t interval, uint64_t via_ioapic)
{
	volatile uint32_t *apic = (volatile uint32_t *)APIC_GPA;
	volatile uint32_t *ioapic = (volatile uint32_t *)IOAPIC_GPA;
	uint64_t t0, t1;

	apic[0xf0 / 4] = 0x1ff;		/* SVR: software enabled */
	if (via_ioapic) {
		guest_outb(0x21, 0xff);	/* both PICs masked, LVT0 masked */
		guest_outb(0xa1, 0xff);
		apic[0x350 / 4] = 0x10000;
		ioapic[0] = 0x11;	/* pin 0 (GSI 0 by default): APIC 0 ... */
		ioapic[4] = 0;
		ioapic[0] = 0x10;	/* ... edge, fixed, physical, unmasked */
		ioapic[4] = IRQ0_IOAPIC_VECTOR;
		goto program_pit;
	}
	apic[0x350 / 4] = 0x700;	/* LVT0: ExtINT, unmasked (virtual wire) */
	guest_outb(0x20, 0x11);		/* ICW1: edge, cascade, ICW4 */
	guest_outb(0x21, IRQ0_VECTOR);	/* ICW2 */
	guest_outb(0x21, 0x04);		/* ICW3: slave on IR2 */
	guest_outb(0x21, 0x01);		/* ICW4: 8086 */
	guest_outb(0xa0, 0x11);
	guest_outb(0xa1, IRQ0_VECTOR + 8);
	guest_outb(0xa1, 0x02);
	guest_outb(0xa1, 0x01);
	guest_outb(0xa1, 0xff);
	guest_outb(0x21, 0xfe);		/* only IRQ0 */
program_pit:
	load(0, 0x34, 11932);		/* 100 Hz */
	t0 = rdtsc();
	asm volatile("sti");
	do {
		t1 = rdtsc();
	} while (t1 - t0 < interval);
	asm volatile("cli");
	GUEST_SYNC(1, irq_count, t1 - t0);
	GUEST_DONE();
}

static void irq0_count(bool via_ioapic)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_vcpu *vcpu;
	uint64_t ns, host_ns, expect, most, period_ns = 11932ull * 1000000000 / PIT_HZ;
	struct ucall uc;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	vm_ioctl(vm, KVM_CREATE_PIT2, &cfg);
	guest_map_page(vm, APIC_GPA, APIC_GPA);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_irq0);
	guest_map_page(vm, IOAPIC_GPA, IOAPIC_GPA);
	vm_install_exception_handler(vm, IRQ0_VECTOR, irq0_handler);
	vm_install_exception_handler(vm, IRQ0_IOAPIC_VECTOR, irq0_ioapic_handler);
	vcpu_set_args(vcpu, tsc_hz / 2, via_ioapic);
	host_ns = monotonic_ns();
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	host_ns = monotonic_ns() - host_ns;
	ns = uc.args[2] * 1000000000 / tsc_hz;
	expect = ns / period_ns;
	/*
	 * The upper bound comes from the host's clock, not the guest's TSC: the PIT is loaded
	 * after KVM_RUN began and the count is read before the exit, so no more than the
	 * periods of that host interval can have expired (a tick raised between the load and
	 * the guest's STI, or a TSC rate measured a little low, made a TSC-based bound flaky
	 * on stock KVM: 51 in 49 periods).
	 */
	most = host_ns / period_ns;
	ksft_print_msg("%lu IRQ0 in %llu us of guest TSC (%llu periods), %llu us of host time\n",
		       uc.args[1], (unsigned long long)ns / 1000, (unsigned long long)expect,
		       (unsigned long long)host_ns / 1000);
	/* never more than the periods that elapsed; reinjection makes up for late ones */
	TEST_ASSERT(uc.args[1] <= most && uc.args[1] >= expect / 2,
		    "%lu IRQ0: expected %llu..%llu", uc.args[1], (unsigned long long)expect / 2,
		    (unsigned long long)most);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

static void test_irq0(void)
{
	irq0_count(false);
}

/*
 * The same through IOAPIC pin 0, edge: reinjection holds the next tick until the guest's
 * EOI of this one reaches the PIT (an ack notifier), which an edge vector's EOI must do.
 */
static void test_irq0_ioapic(void)
{
	irq0_count(true);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(6);
	tsc_hz = host_tsc_hz();
	run_subtest(test_errnos, "KVM_CREATE_PIT2 EEXIST, flags; ENXIO without a PIT");
	run_subtest(test_counters, "counters: modes 0/2/3, BCD, latch, read-back, port 0x61");
	run_subtest(test_state, "KVM_GET/SET_PIT2 round trip, restore keeps counting");
	run_subtest(test_speaker_port, "port 0x61 with and without KVM_PIT_SPEAKER_DUMMY");
	run_subtest(test_irq0, "counter 0 mode 2: IRQ0 through the PIC at its rate");
	run_subtest(test_irq0_ioapic, "counter 0 mode 2: IRQ0 through the IOAPIC (edge) at its rate");
	ksft_finished();
}
