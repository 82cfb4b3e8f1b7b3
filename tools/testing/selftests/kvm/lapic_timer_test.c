// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel LAPIC timer (SDM vol. 3A 10.5.4) with KVM_CAP_SPLIT_IRQCHIP: one-shot,
 * periodic, masked, and TSC-deadline (10.5.4.1) modes, timed in the guest against its TSC.
 * KVM's APIC bus runs at 1 GHz (one count per ns with divide-by-1). The bounds are loose
 * (0.5x to 3x) for emulated hosts; the host calibrates the TSC against CLOCK_MONOTONIC.
 * Without CPUID.1:ECX.TSC_Deadline, LVTT cannot be put in TSC-deadline mode.
 */
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "x86_guest.h"

#define APIC_GPA	0xfee00000ULL
#define TIMER_VECTOR	0x60
#define MSR_TSC_DEADLINE 0x6e0

static volatile uint64_t ticks;

static void apic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = v;
}

static uint32_t apic_rd(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_GPA + reg);
}

static void timer_handler(struct ex_regs *regs)
{
	ticks++;
	apic_wr(0xb0, 0);
}

static uint64_t tsc_per_ms;

/* TSC cycles until ticks reaches want, or ~limit_ms; the elapsed TSC */
static uint64_t wait_ticks(uint64_t want, uint64_t limit_ms)
{
	uint64_t start = __rdtsc(), now;

	do {
		now = __rdtsc();
	} while (ticks < want && now - start < limit_ms * tsc_per_ms);
	return now - start;
}

static void check_ms(uint64_t tsc, uint64_t ms, int line)
{
	__GUEST_ASSERT(tsc >= ms * tsc_per_ms / 2 && tsc <= ms * tsc_per_ms * 3, "bounds",
		       "line %d: %llu ms expected, took %llu us", line, ms,
		       tsc * 1000 / tsc_per_ms);
}

static void guest_code(uint64_t tsc_khz, uint64_t has_deadline)
{
	uint32_t c1, c2;
	uint64_t t;

	tsc_per_ms = tsc_khz;
	apic_wr(0xf0, 0x1ff);
	apic_wr(0x3e0, 0xb);			/* divide by 1: 1 count = 1 ns */
	asm volatile("sti");

	/* one-shot, 20 ms; TMCCT counts down, reads 0 once expired */
	ticks = 0;
	apic_wr(0x320, TIMER_VECTOR);
	apic_wr(0x380, 20000000);
	c1 = apic_rd(0x390);
	wait_ticks(1000, 2);
	c2 = apic_rd(0x390);
	GUEST_ASSERT(c1 <= 20000000 && c1 > 0);
	__GUEST_ASSERT(c2 < c1, "TMCCT", "TMCCT did not decrease: %u then %u", c1, c2);
	t = wait_ticks(1, 1000);
	GUEST_ASSERT_EQ(1, ticks);
	check_ms(t, 20, __LINE__);
	wait_ticks(2, 40);
	GUEST_ASSERT_EQ(1, ticks);		/* one-shot: no second tick */
	GUEST_ASSERT_EQ(0, apic_rd(0x390));
	GUEST_SYNC(1);

	/* periodic, 5 ms: 10 ticks in about 50 ms */
	ticks = 0;
	apic_wr(0x320, TIMER_VECTOR | (1u << 17));
	apic_wr(0x380, 5000000);
	t = wait_ticks(10, 3000);
	GUEST_ASSERT(ticks >= 10);
	check_ms(t, 50, __LINE__);
	apic_wr(0x380, 0);			/* TMICT 0 stops it */
	wait_ticks(1000, 10);
	t = ticks;
	wait_ticks(1000, 30);
	GUEST_ASSERT_EQ(t, ticks);
	GUEST_SYNC(2);

	/* masked: the count runs, no interrupt */
	ticks = 0;
	apic_wr(0x320, TIMER_VECTOR | (1u << 17) | (1u << 16));
	apic_wr(0x380, 2000000);
	c1 = apic_rd(0x390);
	wait_ticks(1000, 30);
	GUEST_ASSERT_EQ(0, ticks);
	c2 = apic_rd(0x390);
	GUEST_ASSERT(c1 > 0 && c2 > 0);
	apic_wr(0x380, 0);
	GUEST_SYNC(3);

	/* a mode the guest's CPUID does not offer cannot be written (SDM 10.5.4.1) */
	apic_wr(0x320, TIMER_VECTOR | (1u << 16) | (2u << 17));
	GUEST_ASSERT_EQ(has_deadline ? 2u << 17 : 0, apic_rd(0x320) & (3u << 17));
	apic_wr(0x320, TIMER_VECTOR | (1u << 16));

	if (has_deadline) {
		/* TSC-deadline mode: fires at the deadline, the MSR reads 0 afterwards */
		ticks = 0;
		apic_wr(0x320, TIMER_VECTOR | (2u << 17));
		x86_wrmsr(MSR_TSC_DEADLINE, __rdtsc() + 15 * tsc_per_ms);
		t = wait_ticks(1, 1000);
		GUEST_ASSERT_EQ(1, ticks);
		check_ms(t, 15, __LINE__);
		GUEST_ASSERT_EQ(0, x86_rdmsr(MSR_TSC_DEADLINE));
		/* writing 0 disarms */
		x86_wrmsr(MSR_TSC_DEADLINE, __rdtsc() + 5 * tsc_per_ms);
		x86_wrmsr(MSR_TSC_DEADLINE, 0);
		wait_ticks(2, 30);
		GUEST_ASSERT_EQ(1, ticks);
		GUEST_SYNC(4);
	}
	GUEST_DONE();
}

static void run_timer(bool offer_deadline)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	bool deadline = offer_deadline && kvm_check_cap(vm->fd, KVM_CAP_TSC_DEADLINE_TIMER);
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	uint64_t i, khz = host_tsc_hz() / 1000;

	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	guest_map_page(vm, APIC_GPA, APIC_GPA);
	vm_cpuid_entry(vm, 0, 0);	/* fetches vm->cpuid, which the vCPUs get */
	if (deadline)	/* CPUID.1:ECX.TSC_Deadline, what a VMM sets with the capability */
		cpuid2_find(vm->cpuid, 1, 0)->ecx |= 1u << 24;
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	vcpu_set_args(vcpu, khz, deadline);
	vm_install_exception_handler(vm, TIMER_VECTOR, timer_handler);
	ksft_print_msg("TSC %llu kHz, TSC-deadline %s\n", (unsigned long long)khz,
		       deadline ? "offered" : "not offered");
	for (i = 1; i <= (deadline ? 4 : 3); i++) {
		vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
		TEST_ASSERT_EQ(i, uc.args[0]);
	}
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

static void test_timer(void)
{
	run_timer(true);
}

/* without CPUID.1:ECX.TSC_Deadline the mode cannot be set */
static void test_timer_no_deadline(void)
{
	run_timer(false);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(2);
	run_subtest(test_timer, "one-shot, periodic, masked and TSC-deadline timer against the TSC");
	run_subtest(test_timer_no_deadline, "without TSC-deadline in CPUID: its LVTT mode cannot be "
		    "written, the others work");
	ksft_finished();
}
