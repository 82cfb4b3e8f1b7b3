// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmarks of loads a user feels (issue 19): a guest doing work under a 1 kHz periodic
 * LAPIC timer, and the IPIs of a TLB shootdown from one vCPU to three others. Timed like
 * kvm_bench.c's other in-guest loops, one KVM_RUN between two SYNCs; each checks that every
 * interrupt was taken.
 */
#include <pthread.h>
#include <string.h>

#include "apic.h"
#include "bench.h"
#include "x86_guest.h"

#define TDCR_DIVIDE_BY_1	0xb	/* SDM 10.5.4 figure 10-10 */
#define ICR_ALL_BUT_SELF	(3u << 18)

/* ---- work under a 1 kHz periodic LAPIC timer ---- */

#define TIMER_VECTOR		0x55
/*
 * KVM's APIC bus runs at 1 GHz (api.rst, KVM_CAP_X86_APIC_BUS_CYCLES_NS: 1 ns by default),
 * as ours does (lapic_timer.c): 10^6 counts at divide 1 are 1 ms.
 */
#define TIMER_1KHZ_COUNT	1000000
/* about 30 ms of guest time at one instruction per ns (-icount shift=0): ~30 ticks */
#define WORK_LOOPS		10000000ull

static volatile uint64_t timer_ticks;

static void timer_handler(struct ex_regs *regs)
{
	timer_ticks++;
	xapic_eoi();
}

/*
 * Per SYNC: the reply's low bit says whether the timer runs (periodic, 1 ms) or is masked;
 * then WORK_LOOPS of a busy loop with interrupts on; the SYNC reports the ticks so far.
 */
static void guest_timer_work(void)
{
	volatile uint64_t i;
	uint64_t on;

	xapic_write(APIC_SPIV, APIC_SPIV_ENABLE | 0xff);
	xapic_write(APIC_TPR, 0);
	xapic_write(APIC_LVT0, APIC_LVT_MASKED);
	xapic_write(APIC_TDCR, TDCR_DIVIDE_BY_1);
	for (;;) {
		on = GUEST_SYNC(timer_ticks);
		if (on) {
			xapic_write(APIC_LVTT, APIC_LVT_PERIODIC | TIMER_VECTOR);
			xapic_write(APIC_TMICT, TIMER_1KHZ_COUNT);
		}
		asm volatile("sti" ::: "memory");
		for (i = 0; i < WORK_LOOPS; i++)
			;
		asm volatile("cli" ::: "memory");
		/* a zero initial count stops the timer (10.5.4); then mask it */
		xapic_write(APIC_TMICT, 0);
		xapic_write(APIC_LVTT, APIC_LVT_MASKED | TIMER_VECTOR);
	}
}

/*
 * The same work with the timer on and with it masked: the difference, per tick taken, is
 * what a tick costs the guest (the host's timer interrupt exits the guest, the timer
 * callback, the injection, the guest's handler and its EOI write, which exits).
 */
double bench_lapic_timer_1khz(void)
{
	struct kvm_vm *vm = irqchip_vm_new(NULL, 0);
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	long long with, without;
	uint64_t ticks0, ticks;

	vm_install_exception_handler(vm, TIMER_VECTOR, timer_handler);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_timer_work);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	sync_run(vcpu, &uc, 1);		/* warm */
	without = sync_run(vcpu, &uc, 0);
	ticks0 = uc.args[0];
	with = sync_run(vcpu, &uc, 1);
	ticks = uc.args[0] - ticks0;
	TEST_ASSERT(ticks >= 5, "the 1 kHz timer ticked %llu times in %lld ns of work",
		    (unsigned long long)ticks, with);
	TEST_ASSERT(with > without, "work with the timer: %lld ns, without: %lld ns", with,
		    without);
	printf("# lapic_timer_1khz: %llu ticks in %lld ns of work (%lld ns without the timer)\n",
	       (unsigned long long)ticks, with, without);
	kvm_vm_free(vm);
	return (double)(with - without) / ticks;
}

/* ---- TLB shootdown: IPIs to three vCPUs, each flushes, the last one answers ---- */

#define SHOOTDOWNS		500
#define FLUSH_VECTOR		0x56
#define FLUSHED_VECTOR		0x57
#define FLUSH_TARGETS		3	/* vCPUs 1..3 */

static volatile uint64_t flush_acks, flush_done, flush_ready, flush_stop;
static volatile uint64_t flush_page[512] __attribute__((aligned(4096)));

static void flush_handler(struct ex_regs *regs)	/* vCPUs 1..3 */
{
	asm volatile("invlpg (%0)" : : "r"(flush_page) : "memory");
	xapic_eoi();
	/* the last of the three answers: one IPI back, as an initiator waits for all */
	if (__atomic_add_fetch(&flush_acks, 1, __ATOMIC_SEQ_CST) % FLUSH_TARGETS == 0) {
		xapic_write(APIC_ICR2, 0);
		xapic_write(APIC_ICR, FLUSHED_VECTOR);	/* fixed, physical, to APIC ID 0 */
	}
}

static void flushed_handler(struct ex_regs *regs)	/* vCPU 0 */
{
	flush_done++;
	xapic_eoi();
}

static void guest_flush_target(void)
{
	xapic_write(APIC_SPIV, APIC_SPIV_ENABLE | 0xff);
	xapic_write(APIC_TPR, 0);
	__atomic_add_fetch(&flush_ready, 1, __ATOMIC_SEQ_CST);
	while (!flush_stop)
		asm volatile("sti; hlt; cli" : : : "memory");
	GUEST_DONE();
}

/* vCPU 0: n shootdowns per SYNC: change the page, IPI all others, wait in HLT for the answer */
static void guest_flush_initiator(void)
{
	uint64_t n, i, want;

	apic_guest_init();
	while (flush_ready < FLUSH_TARGETS)	/* a fixed IPI to a disabled APIC is lost */
		asm volatile("pause");
	for (;;) {
		n = GUEST_SYNC(flush_done, flush_acks);
		if (n == SYNC_DONE)
			break;
		for (i = 0; i < n; i++) {
			want = flush_done + 1;
			flush_page[0] = i;
			/* fixed delivery, shorthand all excluding self (SDM 10.6.1) */
			xapic_write(APIC_ICR, ICR_ALL_BUT_SELF | FLUSH_VECTOR);
			while (flush_done < want)
				asm volatile("sti; hlt; cli" : : : "memory");
		}
	}
	flush_stop = 1;
	xapic_write(APIC_ICR, ICR_ALL_BUT_SELF | FLUSH_VECTOR);
	GUEST_DONE();
}

double bench_tlb_shootdown(void)
{
	struct kvm_vm *vm = irqchip_vm_new(NULL, 0);
	struct kvm_vcpu *initiator, *targets[FLUSH_TARGETS];
	pthread_t threads[FLUSH_TARGETS];
	struct ucall uc;
	long long with, without;
	uint64_t done0, acks0;

	vm_install_exception_handler(vm, FLUSH_VECTOR, flush_handler);
	vm_install_exception_handler(vm, FLUSHED_VECTOR, flushed_handler);
	initiator = guest_vcpu_add(vm, 0, (uint64_t)guest_flush_initiator);
	vcpu_threads_start(vm, 1, guest_flush_target, FLUSH_TARGETS, targets, threads);
	vcpu_run_expect_ucall(initiator, UCALL_SYNC, &uc);
	sync_run(initiator, &uc, WARM_OPS);
	done0 = uc.args[0];
	acks0 = uc.args[1];
	with = sync_run(initiator, &uc, SHOOTDOWNS);
	without = sync_run(initiator, &uc, 0);
	TEST_ASSERT_EQ(SHOOTDOWNS, uc.args[0] - done0);
	TEST_ASSERT_EQ(SHOOTDOWNS * FLUSH_TARGETS, uc.args[1] - acks0);
	TEST_ASSERT(with > without, "%d shootdowns took %lld ns, none %lld ns", SHOOTDOWNS,
		    with, without);
	ucall_reply(initiator, &uc, SYNC_DONE);
	vcpu_run_expect_ucall(initiator, UCALL_DONE, NULL);
	vcpu_threads_join(threads, FLUSH_TARGETS);
	kvm_vm_free(vm);
	return (double)(with - without) / SHOOTDOWNS;
}
