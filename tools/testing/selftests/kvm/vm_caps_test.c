// SPDX-License-Identifier: GPL-2.0-only
/*
 * Capabilities later Linux versions added that a VMM turns on or calls before it runs a
 * guest, with the errnos and corner cases Linux 6.12's own selftests leave out:
 *  - KVM_CAP_X86_DISABLE_EXITS (api.rst 7.13): HLT, PAUSE and CSTATE are offered, other
 *    bits are EINVAL; with HLT exits off a guest HLT never reaches userspace as
 *    KVM_EXIT_HLT, and KVM_SET_CPUID2 drops KVM_FEATURE_PV_UNHALT; a guest halted in the
 *    CPU with interrupts off still leaves KVM_RUN on a signal (EINTR), and an NMI wakes it;
 *  - KVM_PRE_FAULT_MEMORY (api.rst 4.143, 6.10): EINVAL for flags, alignment, an empty or
 *    wrapping range (the range left as it was), ENOENT outside every slot, and a range
 *    that runs out of the slot maps what it can, returns 0 and says what is left;
 *  - KVM_CAP_XSAVE2 (api.rst 4.134): at least 4096, KVM_GET_XSAVE2 gives what
 *    KVM_GET_XSAVE gives, and KVM_SET_XSAVE takes every supported feature from a vCPU
 *    whose CPUID is empty.
 * Each part skips where the capability is not reported (Linux 6.1 has no pre-faulting).
 * The halted guest's part is skipped with stock kvm_intel in Bochs (kvm_util.h).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <asm/kvm_para.h>

#include "x86_guest.h"

/* <linux/kvm.h> of Linux 6.10 and later; the ABI is fixed (api.rst 4.143) */
#ifndef KVM_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY	236
struct kvm_pre_fault_memory {
	__u64 gpa;
	__u64 size;
	__u64 flags;
	__u64 padding[5];
};
#define KVM_PRE_FAULT_MEMORY	_IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif

#define DISABLE_EXITS_BASE	(KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE | \
				 KVM_X86_DISABLE_EXITS_CSTATE)
#define KVM_CPUID_FEATURES_LEAF	0x40000001
#define PV_UNHALT		(1u << KVM_FEATURE_PV_UNHALT)
#define VM_MEM			(8 * MiB)

static void guest_hlt(void)
{
	asm volatile("hlt");
	GUEST_DONE();
}

/*
 * HLT with interrupts off and no HLT exit: only an NMI ends it in the guest (the loop
 * halts again where a host interrupt ended the HLT: on SVM the CPU leaves it then, VMX
 * keeps the HLT activity state across the exit, SDM vol. 3C 25.4.2, so the guest stays
 * halted, as a real CPU would).
 */
static volatile uint64_t halted_stage, nmis;

static void guest_nmi(struct ex_regs *regs)
{
	nmis++;
}

static void guest_cli_hlt(void)
{
	asm volatile("cli");
	halted_stage = 1;
	while (!nmis)
		asm volatile("hlt" ::: "memory");
	halted_stage = 2;
	GUEST_DONE();
}

struct kick {
	pthread_t target;
	const volatile uint64_t *stage;
};

static void on_sigusr1(int sig)
{
}

/* once the guest is about to halt, let it halt, then signal the vCPU thread */
static void *kicker(void *arg)
{
	struct kick *k = arg;
	int i;

	for (i = 0; i < 100000 && *k->stage != 1; i++)
		usleep(100);
	TEST_ASSERT_EQ(1, *k->stage);
	usleep(100000);
	TEST_ASSERT_EQ(0, pthread_kill(k->target, SIGUSR1));
	return NULL;
}

static void test_halted_guest_kicked(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_DISABLE_EXITS,
				      .args[0] = KVM_X86_DISABLE_EXITS_HLT };
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kvm_vcpu *vcpu;
	struct kick k = { .target = pthread_self() };
	pthread_t thread;
	int r, e;

	if (!(kvm_check_cap(vm->fd, KVM_CAP_X86_DISABLE_EXITS) & KVM_X86_DISABLE_EXITS_HLT))
		subtest_skip("HLT exits cannot be disabled");
	/* the signal's IPI must end the guest: not so with stock kvm_intel in Bochs */
	if (stock_kvm_intel_in_bochs()) {
		kvm_vm_free(vm);
		subtest_skip("stock kvm_intel in Bochs: a host IPI does not end the guest");
	}
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_cli_hlt);
	vm_install_exception_handler(vm, 2, guest_nmi);		/* NMI */
	k.stage = addr_gva2hva(vm, (uint64_t)&halted_stage);
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	TEST_ASSERT_EQ(0, pthread_create(&thread, NULL, kicker, &k));
	errno = 0;
	r = __vcpu_run(vcpu);
	e = errno;
	TEST_ASSERT_EQ(0, pthread_join(thread, NULL));
	TEST_ASSERT(r == -1 && e == EINTR, "KVM_RUN of a halted guest, kicked: %d (%s)", r,
		    errno_name(e));
	TEST_ASSERT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	TEST_ASSERT_EQ(1, *k.stage);

	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	TEST_ASSERT_EQ(2, *k.stage);
	TEST_ASSERT_EQ(1, *(uint64_t *)addr_gva2hva(vm, (uint64_t)&nmis));
	kvm_vm_free(vm);
}

static uint32_t pv_features(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));
	struct kvm_cpuid_entry2 *e;
	uint32_t eax;

	TEST_ASSERT(c, "calloc");
	c->nent = 256;
	vcpu_ioctl(vcpu, KVM_GET_CPUID2, c);
	e = cpuid2_find(c, KVM_CPUID_FEATURES_LEAF, 0);
	TEST_ASSERT(e, "no KVM features leaf in the vCPU's CPUID");
	eax = e->eax;
	free(c);
	return eax;
}

static void test_disable_exits(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_DISABLE_EXITS };
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu;
	int allowed = kvm_check_cap(vm->fd, KVM_CAP_X86_DISABLE_EXITS);

	if (!allowed)
		subtest_skip("KVM_CAP_X86_DISABLE_EXITS not reported");
	TEST_ASSERT_EQ(DISABLE_EXITS_BASE, allowed & DISABLE_EXITS_BASE);
	TEST_ASSERT_EQ(0, allowed & ~0xf);

	/* before: the supported CPUID's PV_UNHALT stays, HLT exits to userspace */
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_hlt);
	TEST_ASSERT(pv_features(vcpu) & PV_UNHALT, "PV_UNHALT missing without the cap");
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);

	cap.args[0] = 1u << 4;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	cap.args[0] = 1ull << 32;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	cap.args[0] = KVM_X86_DISABLE_EXITS_HLT;
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	kvm_vm_free(vm);

	/* HLT exits off before the vCPU exists (its HLT in the guest: the next subtest) */
	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_hlt);
	TEST_ASSERT(!(pv_features(vcpu) & PV_UNHALT),
		    "KVM_SET_CPUID2 kept PV_UNHALT with HLT exits disabled");
	kvm_vm_free(vm);
}

static int pre_fault(struct kvm_vcpu *vcpu, struct kvm_pre_fault_memory *r, uint64_t gpa,
		     uint64_t size, uint64_t flags)
{
	memset(r, 0, sizeof(*r));
	r->gpa = gpa;
	r->size = size;
	r->flags = flags;
	return ioctl(vcpu->fd, KVM_PRE_FAULT_MEMORY, r);
}

#define ASSERT_RANGE(r, want_gpa, want_size) do {				\
	TEST_ASSERT_EQ(want_gpa, (r).gpa);					\
	TEST_ASSERT_EQ(want_size, (r).size);					\
} while (0)

static void test_pre_fault(void)
{
	struct kvm_vm *vm = kvm_vm_new(VM_MEM);
	struct kvm_pre_fault_memory r;
	struct kvm_vcpu *vcpu;
	int ret;

	if (!kvm_check_cap(vm->fd, KVM_CAP_PRE_FAULT_MEMORY))
		subtest_skip("KVM_CAP_PRE_FAULT_MEMORY not reported");
	vcpu = kvm_vcpu_new(vm, 0);

	TEST_ASSERT_ERRNO(EINVAL, pre_fault(vcpu, &r, 0x200000, PAGE_SIZE, 1));
	ASSERT_RANGE(r, 0x200000, PAGE_SIZE);
	TEST_ASSERT_ERRNO(EINVAL, pre_fault(vcpu, &r, 0x200800, PAGE_SIZE, 0));
	TEST_ASSERT_ERRNO(EINVAL, pre_fault(vcpu, &r, 0x200000, 0x800, 0));
	TEST_ASSERT_ERRNO(EINVAL, pre_fault(vcpu, &r, 0x200000, 0, 0));
	TEST_ASSERT_ERRNO(EINVAL, pre_fault(vcpu, &r, -PAGE_SIZE, 2 * PAGE_SIZE, 0));
	ASSERT_RANGE(r, -PAGE_SIZE, 2 * PAGE_SIZE);

	/* no slot: ENOENT, nothing moved */
	TEST_ASSERT_ERRNO(ENOENT, pre_fault(vcpu, &r, VM_MEM, PAGE_SIZE, 0));
	ASSERT_RANGE(r, VM_MEM, PAGE_SIZE);

	/* the last page of the slot and one past it: 0, the page past is left */
	TEST_ASSERT_EQ(0, pre_fault(vcpu, &r, VM_MEM - PAGE_SIZE, 2 * PAGE_SIZE, 0));
	ASSERT_RANGE(r, VM_MEM, PAGE_SIZE);
	TEST_ASSERT_ERRNO(ENOENT, ioctl(vcpu->fd, KVM_PRE_FAULT_MEMORY, &r));
	ASSERT_RANGE(r, VM_MEM, PAGE_SIZE);

	/* 2 MiB inside the slot: every call makes progress until nothing is left */
	memset(&r, 0, sizeof(r));
	r.gpa = 0x200000;
	r.size = 0x200000;
	do {
		uint64_t before = r.size;

		ret = ioctl(vcpu->fd, KVM_PRE_FAULT_MEMORY, &r);
		TEST_ASSERT(ret == 0 && r.size < before,
			    "KVM_PRE_FAULT_MEMORY at %#llx: %d (errno %s), %llu bytes left",
			    (unsigned long long)r.gpa, ret, errno_name(errno),
			    (unsigned long long)r.size);
	} while (r.size);
	ASSERT_RANGE(r, 0x400000, 0);
	kvm_vm_free(vm);
}

static void test_xsave2(void)
{
	struct kvm_vm *vm = kvm_vm_new(VM_MEM);
	const struct kvm_cpuid_entry2 *xsave_leaf = vm_cpuid_entry(vm, 0xd, 0);
	int size = kvm_check_cap(vm->kvm_fd, KVM_CAP_XSAVE2);
	struct kvm_cpuid2 empty = { .nent = 0 };
	struct kvm_xsave *a, *b;
	struct kvm_vcpu *vcpu;
	uint64_t *xstate_bv;

	if (!size || !xsave_leaf)
		subtest_skip("KVM_CAP_XSAVE2 not reported, or no XSAVE");
	TEST_ASSERT(size >= 4096, "KVM_CAP_XSAVE2 on /dev/kvm: %d, below 4096", size);
	TEST_ASSERT(kvm_check_cap(vm->fd, KVM_CAP_XSAVE2) >= 4096, "KVM_CAP_XSAVE2 on the VM");
	size = kvm_check_cap(vm->fd, KVM_CAP_XSAVE2);
	a = calloc(1, size);
	b = calloc(1, size);
	TEST_ASSERT(a && b, "calloc");
	vcpu = kvm_vcpu_new(vm, 0);
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, a);
	vcpu_ioctl(vcpu, KVM_GET_XSAVE2, b);
	TEST_ASSERT(!memcmp(a, b, sizeof(*a)), "KVM_GET_XSAVE2 and KVM_GET_XSAVE differ");

	/* every supported feature in XSTATE_BV (offset 512), into a vCPU without CPUID */
	vcpu = kvm_vcpu_new(vm, 1);
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, &empty);
	xstate_bv = (uint64_t *)((uint8_t *)b->region + 512);
	*xstate_bv = xsave_leaf->eax | (uint64_t)xsave_leaf->edx << 32;
	/* off-by-default features (AMX) have an ABI of their own */
	*xstate_bv &= ~(3ull << 17);
	vcpu_ioctl(vcpu, KVM_SET_XSAVE, b);
	free(a);
	free(b);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(4);
	run_subtest(test_disable_exits, "KVM_CAP_X86_DISABLE_EXITS: HLT|PAUSE|CSTATE, EINVAL "
		    "for others, KVM_EXIT_HLT before it, no PV_UNHALT after");
	run_subtest(test_halted_guest_kicked, "HLT exits off: a guest halted with IF clear leaves "
		    "KVM_RUN on a signal (EINTR), an NMI wakes it");
	run_subtest(test_pre_fault, "KVM_PRE_FAULT_MEMORY: EINVAL, ENOENT, partial ranges, "
		    "progress to the end");
	run_subtest(test_xsave2, "KVM_CAP_XSAVE2 >= 4096, KVM_GET_XSAVE2 == KVM_GET_XSAVE, "
		    "KVM_SET_XSAVE of all features without CPUID");
	ksft_finished();
}
