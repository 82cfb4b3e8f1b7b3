// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debug registers (api.rst 4.32/4.33 KVM_GET/SET_DEBUGREGS; SDM vol. 3B 17.2): the RESET
 * values, guest MOV to/from DR0-3/6/7 seen by KVM_GET_DEBUGREGS and the other way round,
 * the EINVAL cases of KVM_SET_DEBUGREGS, and a guest data breakpoint that fires as #DB in
 * the guest with DR6 saying which.
 */
#include <sys/ioctl.h>

#include "kvm_vm.h"
#include "ucall.h"
#include "x86_guest.h"

#define DR6_RESET	0xffff0ff0ull
#define DR7_RESET	0x400ull
#define DR6_B0		(1ull << 0)
/* DR7: L0, R/W0 = 01 (data writes), LEN0 = 11 (4 bytes) */
#define DR7_L0_WRITE4	((1ull << 0) | (1ull << 16) | (3ull << 18))
#define DB_VECTOR	1

static const uint64_t dr_values[4] = {
	0x1000, 0xffffffff81000000ull, 0x7fffdeadb000ull, 0x123458,
};

static void guest_movs(void)
{
	int i;

	asm volatile("mov %0, %%dr0" : : "r"(dr_values[0]));
	asm volatile("mov %0, %%dr1" : : "r"(dr_values[1]));
	asm volatile("mov %0, %%dr2" : : "r"(dr_values[2]));
	asm volatile("mov %0, %%r9; mov %%r9, %%dr3" : : "r"(dr_values[3]) : "r9");
	for (i = 0; i < 4; i++)
		GUEST_ASSERT_EQ(dr_values[i], guest_read_dr(i));
	GUEST_SYNC(0);
	/* the host changed them with KVM_SET_DEBUGREGS */
	for (i = 0; i < 4; i++)
		GUEST_ASSERT_EQ(dr_values[i] + 8, guest_read_dr(i));
	GUEST_DONE();
}

static void test_reset_and_moves(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_movs);
	struct kvm_debugregs dr;
	int i;

	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &dr);
	for (i = 0; i < 4; i++)
		TEST_ASSERT_EQ(0, dr.db[i]);
	TEST_ASSERT_EQ(DR6_RESET, dr.dr6);
	TEST_ASSERT_EQ(DR7_RESET, dr.dr7);
	TEST_ASSERT_EQ(0, dr.flags);
	ksft_test_result_pass("RESET: DR0-3 0, DR6 %#llx, DR7 %#llx\n", DR6_RESET, DR7_RESET);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &dr);
	for (i = 0; i < 4; i++) {
		TEST_ASSERT_EQ(dr_values[i], dr.db[i]);
		dr.db[i] += 8;
	}
	vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &dr);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	ksft_test_result_pass("guest MOV DRn and KVM_GET/SET_DEBUGREGS see each other\n");

	dr.flags = 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dr));
	dr.flags = 0;
	dr.dr6 = 1ull << 32;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dr));
	dr.dr6 = DR6_RESET;
	dr.dr7 = 1ull << 40;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dr));
	kvm_vm_free(vm);
	ksft_test_result_pass("KVM_SET_DEBUGREGS: flags or upper DR6/DR7 bits are EINVAL\n");
}

static volatile uint32_t watched;
static uint64_t db_count, db_dr6, db_rip;

static void guest_db_handler(struct ex_regs *regs)
{
	db_count++;
	db_dr6 = guest_read_dr(6);
	db_rip = regs->rip;
	asm volatile("mov %0, %%dr7" : : "r"(DR7_RESET));
}

static void guest_watchpoint(void)
{
	asm volatile("mov %0, %%dr0" : : "r"((uint64_t)&watched));
	asm volatile("mov %0, %%dr7" : : "r"(DR7_L0_WRITE4 | DR7_RESET));
	watched = 1;	/* a data breakpoint is a trap: #DB after the store */
	asm volatile("after_store:");
	GUEST_SYNC(db_count, db_dr6, db_rip);
	GUEST_DONE();
}

extern char after_store[];

static void test_watchpoint(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_watchpoint);
	struct ucall uc;

	vm_install_exception_handler(vm, DB_VECTOR, guest_db_handler);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	TEST_ASSERT(uc.args[1] & DR6_B0, "DR6 %#llx: B0 not set", (unsigned long long)uc.args[1]);
	TEST_ASSERT_EQ((uint64_t)after_store, uc.args[2]);	/* a trap: after the store */
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
	ksft_test_result_pass("a guest data breakpoint raises #DB after the store, DR6.B0 set\n");
}

int main(void)
{
	int kvm = kvm_open();

	ksft_print_header();
	if (!kvm_check_cap(kvm, KVM_CAP_DEBUGREGS))
		ksft_exit_skip("KVM_CAP_DEBUGREGS not reported\n");
	close(kvm);
	ksft_set_plan(4);
	test_reset_and_moves();
	test_watchpoint();
	ksft_finished();
}
