// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmclock (Documentation/virt/kvm/x86/msr.rst; api.rst 4.29 KVM_GET_CLOCK, 4.30
 * KVM_SET_CLOCK, 4.70 KVM_KVMCLOCK_CTRL), what the upstream kvm_clock_test does not cover:
 * the guest reads its pvclock page (version protocol, tsc_to_system_mul/tsc_shift) and the
 * time it gets advances monotonically and follows the host's CLOCK_BOOTTIME from the value
 * KVM_SET_CLOCK gave, forwards, backwards and with KVM_CLOCK_REALTIME; with
 * KVM_CLOCK_TSC_STABLE it lies between the KVM_GET_CLOCK before and after, and the page has
 * PVCLOCK_TSC_STABLE_BIT; the wall clock plus kvmclock is the host's realtime;
 * KVM_KVMCLOCK_CTRL sets PVCLOCK_GUEST_STOPPED (EINVAL while kvmclock is off); the MSRs are
 * in KVM_GET_MSR_INDEX_LIST and round-trip through KVM_GET/SET_MSRS; unknown
 * KVM_SET_CLOCK flags are EINVAL; CPUID 0x40000001 offers the clock features.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/kvm_para.h>

#include "kvm_pv.h"
#include "kvm_vm.h"
#include "ucall.h"
#include "x86_guest.h"

#define NSEC_PER_SEC		1000000000ull
/* kvmclock against CLOCK_BOOTTIME: sampling and the TSC-to-ns rounding, generously */
#define TOLERANCE_NS		(50 * 1000 * 1000ull)

/* guest memory is mapped 1:1: these addresses are their guest-physical ones */
static struct pvclock_vcpu_time_info pvti __attribute__((aligned(4096)));
static struct pvclock_wall_clock wall __attribute__((aligned(64)));

static uint64_t guest_read_clock(uint64_t *flags)
{
	uint8_t f;
	uint64_t ns = pvclock_read(&pvti, &f);

	*flags = f;
	return ns;
}

static void guest_main(void)
{
	volatile struct pvclock_wall_clock *w = &wall;
	uint64_t a, b, fa, fb;

	x86_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&pvti | KVM_MSR_ENABLED);
	x86_wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint64_t)&wall);
	GUEST_ASSERT(!(w->version & 1));
	a = guest_read_clock(&fa);
	GUEST_SYNC(a, a, fa, w->sec, w->nsec);
	for (;;) {
		a = guest_read_clock(&fa);
		b = guest_read_clock(&fb);
		GUEST_SYNC(a, b, fa | fb);
	}
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* kvmclock was clock0 at host boottime boot0 (the last KVM_SET_CLOCK) */
struct ref {
	uint64_t clock0, boot0, last;
	int64_t max_dev;
};

static void set_clock(struct kvm_vm *vm, struct ref *r, uint64_t clock, int64_t realtime_back)
{
	struct kvm_clock_data d = { .clock = clock };

	if (realtime_back) {
		d.flags = KVM_CLOCK_REALTIME;
		d.realtime = realtime_ns() - realtime_back;
	}
	vm_ioctl(vm, KVM_SET_CLOCK, &d);
	r->boot0 = boottime_ns();
	r->clock0 = clock + realtime_back;
	r->last = 0;
}

static void check_dev(struct ref *r, uint64_t obs, uint64_t boot_lo, uint64_t boot_hi)
{
	int64_t lo = r->clock0 + (boot_lo - r->boot0), hi = r->clock0 + (boot_hi - r->boot0);
	int64_t dev = (int64_t)obs < lo ? lo - (int64_t)obs :
		      (int64_t)obs > hi ? (int64_t)obs - hi : 0;

	TEST_ASSERT(dev <= (int64_t)TOLERANCE_NS,
		    "kvmclock %llu, CLOCK_BOOTTIME says [%lld, %lld] (off by %lld ns)",
		    (unsigned long long)obs, (long long)lo, (long long)hi, (long long)dev);
	if (dev > r->max_dev)
		r->max_dev = dev;
}

/* one guest read pair; returns the page flags seen */
static uint64_t step(struct kvm_vcpu *vcpu, struct ref *r, struct ucall *uc)
{
	struct kvm_clock_data s, e;
	uint64_t b1, b2, obs1, obs2;

	vm_ioctl(vcpu->vm, KVM_GET_CLOCK, &s);
	b1 = boottime_ns();
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, uc);
	b2 = boottime_ns();
	vm_ioctl(vcpu->vm, KVM_GET_CLOCK, &e);
	obs1 = uc->args[0];
	obs2 = uc->args[1];
	TEST_ASSERT(obs1 <= obs2, "kvmclock went back: %llu then %llu",
		    (unsigned long long)obs1, (unsigned long long)obs2);
	TEST_ASSERT(obs1 >= r->last, "kvmclock went back across exits: %llu then %llu",
		    (unsigned long long)r->last, (unsigned long long)obs1);
	r->last = obs2;
	check_dev(r, obs1, b1, b2);
	check_dev(r, obs2, b1, b2);
	if (s.flags & e.flags & KVM_CLOCK_TSC_STABLE) {
		TEST_ASSERT(s.clock <= obs1 && obs2 <= e.clock,
			    "guest read [%llu, %llu], KVM_GET_CLOCK says [%llu, %llu]",
			    (unsigned long long)obs1, (unsigned long long)obs2,
			    (unsigned long long)s.clock, (unsigned long long)e.clock);
		TEST_ASSERT(uc->args[2] & PVCLOCK_TSC_STABLE_BIT,
			    "KVM_CLOCK_TSC_STABLE but no PVCLOCK_TSC_STABLE_BIT (flags %#llx)",
			    (unsigned long long)uc->args[2]);
	}
	return uc->args[2];
}

static bool msr_listed(int kvm, uint32_t index)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	bool found = false;
	uint32_t i;

	TEST_ASSERT_ERRNO(E2BIG, ioctl(kvm, KVM_GET_MSR_INDEX_LIST, &probe));
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	TEST_ASSERT(list, "calloc");
	list->nmsrs = probe.nmsrs;
	TEST_ASSERT_EQ(0, ioctl(kvm, KVM_GET_MSR_INDEX_LIST, list));
	for (i = 0; i < list->nmsrs; i++)
		found |= list->indices[i] == index;
	free(list);
	return found;
}

static void test_cpuid_and_msrs(int kvm)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vm, KVM_CPUID_FEATURES, 0);
	uint32_t want = (1u << KVM_FEATURE_CLOCKSOURCE) | (1u << KVM_FEATURE_CLOCKSOURCE2) |
			(1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	struct kvm_vcpu *vcpu;

	TEST_ASSERT(e, "no CPUID leaf 0x40000001");
	TEST_ASSERT((e->eax & want) == want, "CPUID 0x40000001 EAX %#x lacks %#x", e->eax, want);
	ksft_test_result_pass("CPUID 0x40000001: CLOCKSOURCE, CLOCKSOURCE2, STABLE_BIT\n");

	TEST_ASSERT(msr_listed(kvm, MSR_KVM_SYSTEM_TIME_NEW), "SYSTEM_TIME_NEW not listed");
	TEST_ASSERT(msr_listed(kvm, MSR_KVM_WALL_CLOCK_NEW), "WALL_CLOCK_NEW not listed");
	TEST_ASSERT(msr_listed(kvm, MSR_KVM_SYSTEM_TIME), "SYSTEM_TIME not listed");
	TEST_ASSERT(msr_listed(kvm, MSR_KVM_WALL_CLOCK), "WALL_CLOCK not listed");
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_main);
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	vcpu_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&pvti | KVM_MSR_ENABLED);
	TEST_ASSERT_EQ((uint64_t)&pvti | KVM_MSR_ENABLED,
		       vcpu_get_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW));
	vcpu_set_msr(vcpu, MSR_KVM_WALL_CLOCK_NEW, (uint64_t)&wall);
	TEST_ASSERT_EQ((uint64_t)&wall, vcpu_get_msr(vcpu, MSR_KVM_WALL_CLOCK_NEW));
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	vcpu_set_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW, 0);
	TEST_ASSERT_EQ(0, vcpu_get_msr(vcpu, MSR_KVM_SYSTEM_TIME_NEW));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	kvm_vm_free(vm);
	ksft_test_result_pass("kvmclock MSRs listed, round-trip; KVMCLOCK_CTRL EINVAL while off\n");
}

static void test_guest_clock(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_main);
	struct ref r = { 0 };
	struct ucall uc;
	uint64_t wall_ns, real, flags;
	int i;

	set_clock(vm, &r, 0, 0);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	real = realtime_ns();
	wall_ns = uc.args[3] * NSEC_PER_SEC + uc.args[4];
	TEST_ASSERT(uc.args[4] < NSEC_PER_SEC, "wall clock nsec %llu",
		    (unsigned long long)uc.args[4]);
	TEST_ASSERT(llabs((long long)(wall_ns + uc.args[0] - real)) < (long long)NSEC_PER_SEC,
		    "wall clock %llu + kvmclock %llu, host realtime %llu",
		    (unsigned long long)wall_ns, (unsigned long long)uc.args[0],
		    (unsigned long long)real);
	ksft_test_result_pass("wall clock + kvmclock is the host's realtime\n");

	for (i = 0; i < 5; i++)
		step(vcpu, &r, &uc);
	ksft_test_result_pass("kvmclock monotonic, follows CLOCK_BOOTTIME from 0\n");

	set_clock(vm, &r, 1000 * NSEC_PER_SEC, 0);
	for (i = 0; i < 3; i++)
		step(vcpu, &r, &uc);
	set_clock(vm, &r, 5 * NSEC_PER_SEC, 0);
	for (i = 0; i < 3; i++)
		step(vcpu, &r, &uc);
	ksft_test_result_pass("KVM_SET_CLOCK forwards and backwards: the guest follows\n");

	set_clock(vm, &r, 100 * NSEC_PER_SEC, 20 * NSEC_PER_SEC);
	for (i = 0; i < 3; i++)
		step(vcpu, &r, &uc);
	ksft_test_result_pass("KVM_SET_CLOCK with KVM_CLOCK_REALTIME adds the elapsed realtime\n");

	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_KVMCLOCK_CTRL, 0));
	flags = step(vcpu, &r, &uc);
	TEST_ASSERT(flags & PVCLOCK_GUEST_STOPPED, "flags %#llx: no PVCLOCK_GUEST_STOPPED",
		    (unsigned long long)flags);
	ksft_test_result_pass("KVM_KVMCLOCK_CTRL: the guest sees PVCLOCK_GUEST_STOPPED\n");
	ksft_print_msg("largest distance from CLOCK_BOOTTIME: %lld ns\n", (long long)r.max_dev);
	kvm_vm_free(vm);
}

static void test_errnos(int kvm)
{
	struct kvm_vm *vm = kvm_vm_new(GUEST_DEFAULT_MEM);
	struct kvm_clock_data d = { .flags = 1 };
	long cap = kvm_check_cap(kvm, KVM_CAP_ADJUST_CLOCK);

	TEST_ASSERT(!(cap & ~(long)(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)),
		    "KVM_CAP_ADJUST_CLOCK %#lx: unknown flags", cap);
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_SET_CLOCK, &d));
	d.flags = 1 << 4;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_SET_CLOCK, &d));
	d.flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_HOST_TSC;	/* accepted, ignored */
	TEST_ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_CLOCK, &d));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm->fd, KVM_GET_CLOCK, NULL));
	kvm_vm_free(vm);
	ksft_test_result_pass("KVM_SET_CLOCK: unknown flags EINVAL, GET_CLOCK's flags accepted\n");
}

int main(void)
{
	int kvm = kvm_open();

	ksft_print_header();
	if (!(kvm_check_cap(kvm, KVM_CAP_ADJUST_CLOCK) & KVM_CLOCK_REALTIME))
		ksft_exit_skip("KVM_CAP_ADJUST_CLOCK without KVM_CLOCK_REALTIME\n");
	ksft_set_plan(8);
	test_cpuid_and_msrs(kvm);
	test_guest_clock();
	test_errnos(kvm);
	close(kvm);
	ksft_finished();
}
