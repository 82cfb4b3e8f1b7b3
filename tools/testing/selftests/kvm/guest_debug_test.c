// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_SET_GUEST_DEBUG (api.rst 4.87, KVM_EXIT_DEBUG "kvm_debug_exit_arch"): single-step
 * traces a known instruction sequence, one KVM_EXIT_DEBUG per instruction with DR6.BS and
 * the address of the next instruction, a taken jump included, while KVM_GET_REGS does not
 * show the TF that single-stepping uses; after guest debugging is turned off the guest runs
 * on and sees no TF. A software breakpoint (INT3 with KVM_GUESTDBG_USE_SW_BP) exits at the
 * INT3's address and the guest never sees it (skipped where the host is QEMU TCG, which
 * does not apply the #BP intercept to INT3). KVM_GUESTDBG_INJECT_BP delivers #BP to the
 * guest's own handler. KVM_CAP_SET_GUEST_DEBUG2 reports the control bits used.
 * Hardware breakpoints (KVM_GUESTDBG_USE_HW_BP): an instruction breakpoint exits at its
 * address with B0, a write watchpoint after the write with B1, while the guest's own MOVs to
 * and from DR0/DR7 see its own values, not the debugger's (the breakpoints themselves are
 * skipped under QEMU TCG, whose VMRUN does not arm DR7 from the VMCB).
 */
#include <sys/ioctl.h>

#include "x86_guest.h"

#define BP_VECTOR	3
#define DR6_BS		(1ULL << 14)
#define RFLAGS_TF	(1ULL << 8)

#define DR6_B0		(1ULL << 0)
#define DR6_B1		(1ULL << 1)
#define DR7_RESET	0x400ULL
/* DR7 (SDM 17.2.4): L0, an instruction breakpoint; L1 with R/W1 = 01 (writes), LEN1 = 10 (8) */
#define DR7_L0_EXEC	(1ULL << 0)
#define DR7_L1_WRITE8	((1ULL << 2) | (1ULL << 20) | (2ULL << 22))
#define GUEST_DR0	0x1234ULL

extern char out_insn[], bp_insn[], ss_0[], ss_1[], ss_2[], ss_3[], ss_5[], ss_end[];
extern char hw_exec_insn[], hw_after_write[];
static volatile uint64_t bp_count, bp_rip, watched;

static void bp_handler(struct ex_regs *regs)
{
	bp_count++;
	bp_rip = regs->rip;
}

static void guest_code(void)
{
	uint64_t rflags, rax;

	asm volatile(".global out_insn\n"
		     "out_insn: outb %%al, $0x80\n\t"
		     ".global ss_0\n"
		     "ss_0: nop\n\t"
		     ".global ss_1\n"
		     "ss_1: mov $1, %%eax\n\t"
		     ".global ss_2\n"
		     "ss_2: add $2, %%eax\n\t"
		     ".global ss_3\n"
		     "ss_3: jmp ss_5\n\t"
		     "ud2\n\t"
		     ".global ss_5\n"
		     "ss_5: add $4, %%eax\n\t"
		     ".global ss_end\n"
		     "ss_end: pushf\n\t"
		     "pop %0\n\t"
		     : "=r"(rflags), "=a"(rax) : : "memory");
	GUEST_SYNC(1, rax, rflags & RFLAGS_TF);
	asm volatile(".global bp_insn\n"
		     "bp_insn: int3\n\t" : : : "memory");
	GUEST_SYNC(2, bp_count);
	/* the host injects #BP with KVM_GUESTDBG_INJECT_BP here */
	GUEST_SYNC(3, bp_count);
	GUEST_DONE();
}

/* The guest's own DR0/DR7 accesses around a breakpoint and a watchpoint of the debugger's. */
static void hw_guest_code(void)
{
	uint64_t dr0, dr7;

	asm volatile("mov %%dr7, %0\n\tmov %%dr0, %1" : "=r"(dr7), "=r"(dr0));
	GUEST_SYNC(1, dr7, dr0);
	asm volatile("mov %0, %%dr0" : : "r"(GUEST_DR0));
	asm volatile(".global hw_exec_insn\n"
		     "hw_exec_insn: nop\n\t"
		     "movq $0x55, (%0)\n\t"
		     ".global hw_after_write\n"
		     "hw_after_write: nop\n\t" : : "r"(&watched) : "memory");
	asm volatile("mov %%dr0, %0" : "=r"(dr0));
	GUEST_SYNC(2, dr0, watched);
	GUEST_DONE();
}

/* QEMU TCG as the host's CPU: hypervisor leaf signature "TCGTCGTCGTCG" */
static bool host_is_tcg(void)
{
	uint32_t eax, sig[3];

	x86_cpuid(0x40000000, 0, &eax, &sig[0], &sig[1], &sig[2]);
	return !memcmp(sig, "TCGTCGTCGTCG", 12);
}

static void set_debug(struct kvm_vcpu *vcpu, uint32_t control)
{
	struct kvm_guest_debug dbg = { .control = control };

	vcpu_ioctl(vcpu, KVM_SET_GUEST_DEBUG, &dbg);
}

static void set_hw_debug(struct kvm_vcpu *vcpu, uint64_t dr7)
{
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP,
		.arch.debugreg = { (uint64_t)hw_exec_insn, (uint64_t)&watched, 0, 0, 0, 0, 0,
				   dr7 },
	};

	vcpu_ioctl(vcpu, KVM_SET_GUEST_DEBUG, &dbg);
}

static void expect_debug(struct kvm_vcpu *vcpu, uint32_t exception, const char *pc)
{
	struct kvm_run *run = vcpu->run;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_DEBUG);
	TEST_ASSERT_EQ(exception, run->debug.arch.exception);
	TEST_ASSERT_EQ((uint64_t)pc, run->debug.arch.pc);
	TEST_ASSERT_EQ((uint64_t)pc, vcpu_get_rip(vcpu));
	if (exception == 1)
		TEST_ASSERT(run->debug.arch.dr6 & DR6_BS, "DR6 %#llx without BS",
			    (unsigned long long)run->debug.arch.dr6);
}

static void test_hw_breakpoints(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)hw_guest_code);
	struct kvm_debugregs dregs;
	struct ucall uc;
	bool tcg = host_is_tcg();

	set_hw_debug(vcpu, DR7_L0_EXEC | DR7_L1_WRITE8);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	TEST_ASSERT_EQ(DR7_RESET, uc.args[1]);		/* its own DR7, not the debugger's */
	TEST_ASSERT_EQ(0, uc.args[2]);
	if (!tcg) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_DEBUG);
		TEST_ASSERT_EQ(1, vcpu->run->debug.arch.exception);
		TEST_ASSERT_EQ((uint64_t)hw_exec_insn, vcpu->run->debug.arch.pc);
		TEST_ASSERT(vcpu->run->debug.arch.dr6 & DR6_B0, "DR6 %#llx without B0",
			    (unsigned long long)vcpu->run->debug.arch.dr6);
		TEST_ASSERT_EQ(DR7_L0_EXEC | DR7_L1_WRITE8,
			       vcpu->run->debug.arch.dr7 & (DR7_L0_EXEC | DR7_L1_WRITE8));
		/* the guest's DR0 write went to its own register, shown by KVM_GET_DEBUGREGS */
		vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &dregs);
		TEST_ASSERT_EQ(GUEST_DR0, dregs.db[0]);
		TEST_ASSERT_EQ(DR7_RESET, dregs.dr7);
		/* an instruction breakpoint is a fault: drop it to go on, keep the watchpoint */
		set_hw_debug(vcpu, DR7_L1_WRITE8);
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_DEBUG);
		TEST_ASSERT_EQ((uint64_t)hw_after_write, vcpu->run->debug.arch.pc);
		TEST_ASSERT(vcpu->run->debug.arch.dr6 & DR6_B1, "DR6 %#llx without B1",
			    (unsigned long long)vcpu->run->debug.arch.dr6);
		ksft_test_result_pass("USE_HW_BP: instruction breakpoint at its address (B0), "
				      "write watchpoint after the write (B1)\n");
	} else {
		ksft_test_result_skip("USE_HW_BP breakpoints: QEMU TCG's VMRUN does not arm "
				      "DR7 from the VMCB\n");
	}
	set_debug(vcpu, 0);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	TEST_ASSERT_EQ(GUEST_DR0, uc.args[1]);
	TEST_ASSERT_EQ(0x55, uc.args[2]);
	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &dregs);
	TEST_ASSERT_EQ(DR7_RESET, dregs.dr7);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	TEST_ASSERT_EQ(KVM_GUESTDBG_USE_HW_BP,
		       kvm_check_cap(vm->fd, KVM_CAP_SET_GUEST_DEBUG2) & KVM_GUESTDBG_USE_HW_BP);
	ksft_test_result_pass("USE_HW_BP: the guest's MOV to/from DR0 and DR7 see its own "
			      "values, and keep them when the debugger is gone\n");
	kvm_vm_free(vm);
}

int main(void)
{
	const char *steps[] = { ss_0, ss_1, ss_2, ss_3, ss_5, ss_end };
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint32_t used;
	struct kvm_regs regs;
	struct ucall uc;
	unsigned int i, first;
	uint64_t rip;

	ksft_print_header();
	ksft_set_plan(6);
	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	vm_install_exception_handler(vm, BP_VECTOR, bp_handler);

	/* stopped right before the sequence by an OUT; a debugger steps from there */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(0x80, vcpu->run->io.port);
	/*
	 * Stock KVM leaves RIP at the OUT until the next KVM_RUN completes it (then that
	 * completion is the first step); ours completes it before exiting. Either way each
	 * step ends at the instruction after the one RIP showed.
	 */
	rip = vcpu_get_rip(vcpu);
	TEST_ASSERT(rip == (uint64_t)out_insn || rip == (uint64_t)ss_0,
		    "RIP %#lx after the OUT exit: neither the OUT (%p) nor after it (%p)",
		    (unsigned long)rip, out_insn, ss_0);
	first = rip == (uint64_t)out_insn ? 0 : 1;
	set_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP);
	for (i = first; i < sizeof(steps) / sizeof(steps[0]); i++) {
		expect_debug(vcpu, 1, steps[i]);
		vcpu_get_regs(vcpu, &regs);
		TEST_ASSERT_EQ(0, regs.rflags & RFLAGS_TF);
	}
	TEST_ASSERT_EQ(7, regs.rax);
	ksft_test_result_pass("single-step: %u exits, one per instruction, BS set, TF hidden\n",
			      i - first);

	set_debug(vcpu, 0);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	TEST_ASSERT_EQ(7, uc.args[1]);
	TEST_ASSERT_EQ(0, uc.args[2]);
	ksft_test_result_pass("guest debugging off: the guest runs on and sees no TF\n");

	if (host_is_tcg()) {
		vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
		TEST_ASSERT_EQ(1, uc.args[1]);		/* the guest's handler had it */
		ksft_test_result_skip("INT3 with USE_SW_BP: QEMU TCG does not intercept INT3 "
				      "as #BP\n");
	} else {
		set_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP);
		expect_debug(vcpu, BP_VECTOR, bp_insn);
		vcpu_get_regs(vcpu, &regs);
		regs.rip = (uint64_t)bp_insn + 1;	/* the debugger resumes after it */
		vcpu_set_regs(vcpu, &regs);
		set_debug(vcpu, 0);
		vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
		TEST_ASSERT_EQ(2, uc.args[0]);
		TEST_ASSERT_EQ(0, uc.args[1]);
		ksft_test_result_pass("INT3 with USE_SW_BP: KVM_EXIT_DEBUG, exception 3, pc at the "
				      "INT3; the guest never sees it\n");
	}
	sync_global_from_guest(vm, bp_count);

	/* complete the ucall's OUT before injecting, as a VMM would (see events_test) */
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	vcpu->run->immediate_exit = 0;
	set_debug(vcpu, KVM_GUESTDBG_INJECT_BP);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(3, uc.args[0]);
	TEST_ASSERT_EQ(bp_count + 1, uc.args[1]);
	/* what this test used is among the bits KVM_CAP_SET_GUEST_DEBUG2 reports */
	used = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_SW_BP |
	       KVM_GUESTDBG_INJECT_BP;
	TEST_ASSERT_EQ(used, kvm_check_cap(vm->fd, KVM_CAP_SET_GUEST_DEBUG2) & used);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	ksft_test_result_pass("INJECT_BP reaches the guest's #BP handler; GUEST_DEBUG2 has the "
			      "bits used\n");

	kvm_vm_free(vm);

	test_hw_breakpoints();
	ksft_finished();
}
