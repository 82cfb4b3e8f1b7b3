// SPDX-License-Identifier: GPL-2.0-only
/*
 * The paravirtual interface beyond what Linux's own selftests check
 * (Documentation/virt/kvm/x86/hypercalls.rst, msr.rst):
 * - the answers of hypercalls: -KVM_ENOSYS for an unknown number and for
 *   KVM_HC_MAP_GPA_RANGE without KVM_CAP_EXIT_HYPERCALL, 0 for KVM_HC_VAPIC_POLL_IRQ,
 *   KVM_HC_SCHED_YIELD (to itself or to nobody) and a kick without an in-kernel local APIC,
 *   -KVM_EPERM at CPL 3 (a 32-bit guest, whose
 *   result is 32 bits);
 * - KVM_HC_KICK_CPU wakes a vCPU halted with interrupts off (in-kernel local APIC), a kick
 *   to a missing APIC ID answers 0, and KVM_HC_SEND_IPI delivers a fixed IPI and an NMI and
 *   returns how many vCPUs took it;
 * - steal time: the preempted flag is set in guest memory while the vCPU's thread is
 *   preempted in KVM_RUN (another thread on its CPU), the guest never sees it set, and the
 *   steal count grows.
 * The hypercall instruction is the host vendor's own (VMMCALL on AMD, VMCALL on Intel).
 */
#include <pthread.h>
#include <sched.h>
#include <linux/kvm_para.h>
#include <asm/kvm_para.h>

#include "kvm_pv.h"
#include "x86_guest.h"

#define APIC_GPA	0xfee00000ULL
#define IPI_VECTOR	0x40
#define HLT_PORT	0x80

static bool is_amd;

static uint64_t hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return kvm_hypercall(is_amd, nr, a0, a1, a2, a3);
}

/* ---- the answers ---- */

static void guest_answers(void)
{
	GUEST_ASSERT_EQ((uint64_t)-KVM_ENOSYS, hypercall(0xdead, 0, 0, 0, 0));
	GUEST_ASSERT_EQ((uint64_t)-KVM_ENOSYS,
			hypercall(KVM_HC_MAP_GPA_RANGE, 0x100000, 1, 0, 0));
	GUEST_ASSERT_EQ(0, hypercall(KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0, 0));
	GUEST_ASSERT_EQ(0, hypercall(KVM_HC_SCHED_YIELD, 0, 0, 0, 0));
	GUEST_ASSERT_EQ(0, hypercall(KVM_HC_SCHED_YIELD, 0x77, 0, 0, 0));
	/* no in-kernel local APIC: nobody to kick, still 0 */
	GUEST_ASSERT_EQ(0, hypercall(KVM_HC_KICK_CPU, 0, 0x77, 0, 0));
	GUEST_DONE();
}

/* mov $nr, %eax; VMMCALL/VMCALL; out %al, $HLT_PORT (32-bit code) */
static uint32_t run_blob_hypercall(bool cpl3, uint32_t nr)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_PROT32, GUEST_DEFAULT_MEM);
	uint8_t *code = addr_gpa2hva(vm, GUEST_BLOB_CODE_GPA);
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint32_t rax;

	code[0] = 0xb8;
	memcpy(&code[1], &nr, 4);
	code[5] = 0x0f, code[6] = 0x01, code[7] = is_amd ? 0xd9 : 0xc1;
	code[8] = 0xe6, code[9] = HLT_PORT;
	vcpu = guest_vcpu_add(vm, 0, GUEST_BLOB_CODE_GPA);
	if (cpl3) {
		/* CPL is SS.DPL; IOPL 3 lets ring 3 do the OUT */
		vcpu_get_sregs(vcpu, &sregs);
		sregs.cs.dpl = 3, sregs.cs.selector |= 3;
		sregs.ss.dpl = 3, sregs.ss.selector |= 3;
		vcpu_set_sregs(vcpu, &sregs);
		vcpu_get_regs(vcpu, &regs);
		regs.rflags |= 3u << 12;
		vcpu_set_regs(vcpu, &regs);
	}
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(HLT_PORT, vcpu->run->io.port);
	vcpu_get_regs(vcpu, &regs);
	rax = regs.rax;
	kvm_vm_free(vm);
	return rax;
}

static void test_answers(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_answers);

	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);

	/* 32-bit guest: results are 32 bits */
	TEST_ASSERT_EQ(0, run_blob_hypercall(false, KVM_HC_VAPIC_POLL_IRQ));
	TEST_ASSERT_EQ((uint32_t)-KVM_ENOSYS, run_blob_hypercall(false, 0xdead));
	TEST_ASSERT_EQ((uint32_t)-KVM_EPERM, run_blob_hypercall(true, KVM_HC_VAPIC_POLL_IRQ));
	TEST_ASSERT_EQ((uint32_t)-KVM_EPERM, run_blob_hypercall(true, 0xdead));
}

/* ---- kick and PV IPI ---- */

static volatile uint64_t ap_ready, ap_woken, ap_ipi_ready, ipi_count, nmi_count;

static void nmi_handler(struct ex_regs *regs)
{
	nmi_count++;
}

static void ipi_handler(struct ex_regs *regs)
{
	ipi_count++;
	*(volatile uint32_t *)(APIC_GPA + 0xb0) = 0;	/* EOI */
}

static void guest_ap(void)
{
	*(volatile uint32_t *)(APIC_GPA + 0xf0) = 0x1ff;	/* software enable */
	asm volatile("cli");
	ap_ready = 1;
	/* with IF clear only the kick (or an NMI/INIT) ends this HLT */
	asm volatile("hlt");
	ap_woken = 1;
	asm volatile("sti");
	ap_ipi_ready = 1;
	while (!ipi_count || !nmi_count)
		asm volatile("sti; hlt; cli; sti");
	GUEST_DONE();
}

static void guest_bsp(void)
{
	int i;

	guest_wait_for(&ap_ready, 1, __LINE__);
	/* give the AP time to reach its HLT (a kick before it makes the HLT return at once) */
	for (i = 0; i < 1000000; i++)
		asm volatile("pause");
	GUEST_ASSERT_EQ(0, ap_woken);
	GUEST_ASSERT_EQ(0, hypercall(KVM_HC_KICK_CPU, 0, 0x77, 0, 0));	/* nobody */
	GUEST_ASSERT_EQ(0, hypercall(KVM_HC_KICK_CPU, 0, 1, 0, 0));
	guest_wait_for(&ap_woken, 1, __LINE__);

	guest_wait_for(&ap_ipi_ready, 1, __LINE__);
	/* bit 1 of the bitmap: APIC ID 0 + 1; APIC ID 5 is nobody */
	GUEST_ASSERT_EQ(0, hypercall(KVM_HC_SEND_IPI, 1ull << 5, 0, 0, IPI_VECTOR));
	GUEST_ASSERT_EQ(1, hypercall(KVM_HC_SEND_IPI, 1ull << 1, 0, 0, IPI_VECTOR));
	guest_wait_for(&ipi_count, 1, __LINE__);
	/* NMI delivery mode */
	GUEST_ASSERT_EQ(1, hypercall(KVM_HC_SEND_IPI, 1ull << 1, 0, 0, 0x400));
	guest_wait_for(&nmi_count, 1, __LINE__);
	GUEST_DONE();
}

static void *ap_thread(void *arg)
{
	vcpu_run_expect_ucall(arg, UCALL_DONE, NULL);
	return NULL;
}

static void test_kick_and_ipi(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_vcpu *bsp, *ap;
	pthread_t thread;

	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	guest_map_page(vm, APIC_GPA, APIC_GPA);
	bsp = guest_vcpu_add(vm, 0, (uint64_t)guest_bsp);
	ap = guest_vcpu_add(vm, 1, (uint64_t)guest_ap);
	vcpu_ioctl(ap, KVM_SET_MP_STATE, &mp);
	vm_install_exception_handler(vm, IPI_VECTOR, ipi_handler);
	vm_install_exception_handler(vm, 2, nmi_handler);

	TEST_ASSERT_EQ(0, pthread_create(&thread, NULL, ap_thread, ap));
	vcpu_run_expect_ucall(bsp, UCALL_DONE, NULL);
	pthread_join(thread, NULL);
	kvm_vm_free(vm);
}

/* ---- steal time ---- */

enum { CTL_RUNNING, CTL_STOP, CTL_SAW_PREEMPTED };

static void guest_steal(uint64_t st_gva, uint64_t ctl_gva)
{
	volatile struct kvm_steal_time *st = (void *)st_gva;
	volatile uint64_t *ctl = (void *)ctl_gva;

	ctl[CTL_RUNNING] = 1;
	while (!ctl[CTL_STOP]) {
		if (st->preempted)
			ctl[CTL_SAW_PREEMPTED]++;
	}
	GUEST_DONE();
}

static void *steal_vcpu_thread(void *arg)
{
	pin_to_cpu(0);
	vcpu_run_expect_ucall(arg, UCALL_DONE, NULL);
	return NULL;
}

static void test_steal_time_preempted(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	uint64_t st_gpa = vm_alloc_pages(vm, 1), ctl_gpa = vm_alloc_pages(vm, 1);
	volatile struct kvm_steal_time *st = addr_gpa2hva(vm, st_gpa);
	volatile uint64_t *ctl = addr_gpa2hva(vm, ctl_gpa);
	struct kvm_vcpu *vcpu;
	uint64_t deadline;
	pthread_t thread;
	bool seen = false;

	TEST_ASSERT(vm_cpuid_entry(vm, KVM_CPUID_FEATURES, 0)->eax & (1u << KVM_FEATURE_STEAL_TIME),
		    "KVM_FEATURE_STEAL_TIME not supported");
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_steal);
	vcpu_set_args(vcpu, st_gpa, ctl_gpa);
	vcpu_set_msr(vcpu, MSR_KVM_STEAL_TIME, st_gpa | KVM_MSR_ENABLED);
	TEST_ASSERT_EQ(st_gpa | KVM_MSR_ENABLED, vcpu_get_msr(vcpu, MSR_KVM_STEAL_TIME));

	/* this thread and the vCPU's share CPU 0: while this one runs, the vCPU's waits */
	pin_to_cpu(0);
	TEST_ASSERT_EQ(0, pthread_create(&thread, NULL, steal_vcpu_thread, vcpu));
	deadline = monotonic_ns() + 20000000000ull;
	while (!ctl[CTL_RUNNING] && monotonic_ns() < deadline)
		sched_yield();
	TEST_ASSERT(ctl[CTL_RUNNING], "the guest did not start");
	while (!seen && monotonic_ns() < deadline) {
		seen = st->preempted & KVM_VCPU_PREEMPTED;
		sched_yield();
	}
	ctl[CTL_STOP] = 1;
	pthread_join(thread, NULL);
	TEST_ASSERT(seen, "preempted flag never set while the vCPU thread was preempted");
	TEST_ASSERT_EQ(0, ctl[CTL_SAW_PREEMPTED]);
	TEST_ASSERT(st->steal > 0, "no steal time accounted");
	TEST_ASSERT_EQ(0, st->version & 1);
	kvm_vm_free(vm);
}

int main(void)
{
	is_amd = kvm_is_amd();

	ksft_print_header();
	ksft_set_plan(3);
	run_subtest(test_answers, "hypercall answers: ENOSYS, 0, EPERM at CPL 3, 32-bit results");
	run_subtest(test_kick_and_ipi, "KVM_HC_KICK_CPU wakes a halted vCPU, KVM_HC_SEND_IPI");
	run_subtest(test_steal_time_preempted,
		    "steal time: preempted flag while the vCPU thread is preempted, steal grows");
	ksft_finished();
}
