// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest code in each x86 mode: 16-bit real mode, 32-bit protected mode (paging off) and
 * 64-bit long mode. Each guest does port I/O of 1, 2 and 4 bytes (KVM_EXIT_IO, api.rst 5),
 * a ucall round trip (arguments to the host, a reply back) and HLT, which without an
 * in-kernel irqchip exits to userspace with KVM_EXIT_HLT and RIP past the HLT. Long mode
 * also: port input, string output, exceptions reported by the guest's IDT (#UD, #GP, #PF)
 * or handled in the guest (#GP from WRMSR to an unknown MSR: kvm.ignore_msrs is off),
 * and a failed guest assertion reaching the host with its file, line and values.
 */
#include <string.h>

#include "x86_guest.h"

#define PORT8			0x90	/* outb with an immediate port */
#define PORT16			0x6e2	/* outw %ax, %dx */
#define PORT32			0x6e4	/* outl %eax, %dx, and inl */
#define VAL8			0xa5
#define VAL16			0xbeef
#define VAL32			0xdeadbeef
#define VAL_IN			0xfeedf00dU
#define STRING_OUT		"KVM!"

#define TAG_REAL		0x1616
#define TAG_PROT32		0x3232
#define TAG_LONG64		0x6464
#define BLOB_REPLY		0x01234567	/* blobs read the reply's low 32 bits */
#define LONG_ARG		0x0123456789abcdefULL
#define LONG_MARKER		0x5a5a5a5a00c0ffeeULL
#define MSR_BOGUS		0xdeadbeef	/* no such MSR */
#define PF_ADDR			0x40000123ULL	/* above guest memory: not mapped */
#define NONCANONICAL_ADDR	0x8000000000000000ULL

#define __str(x)		#x
#define str(x)			__str(x)
#define UC(off)			str(GUEST_BLOB_UCALL_GPA + off)

/*
 * The same instructions assemble for .code16 and .code32 (the assembler adds the operand-
 * and address-size prefixes): port output, SYNC(tag, CR0) with a reply, reply + 1 in EBX,
 * HLT, DONE. Absolute addresses below 64 KiB work in both modes with base-0 segments.
 */
#define BLOB(name, code, tag)							\
	"	.pushsection .rodata.guest_blobs, \"a\"\n"			\
	"	" code "\n"							\
	#name "_start:\n"							\
	"	mov $" str(VAL8) ", %al\n"					\
	"	outb %al, $" str(PORT8) "\n"					\
	"	mov $" str(PORT16) ", %dx\n"					\
	"	mov $" str(VAL16) ", %ax\n"					\
	"	outw %ax, %dx\n"						\
	"	mov $" str(PORT32) ", %dx\n"					\
	"	mov $" str(VAL32) ", %eax\n"					\
	"	outl %eax, %dx\n"						\
	"	movl $" str(UCALL_SYNC) ", " UC(UCALL_OFF_CMD) "\n"		\
	"	movl $2, " UC(UCALL_OFF_NARGS) "\n"				\
	"	movl $" str(tag) ", " UC(UCALL_OFF_ARG(0)) "\n"		\
	"	mov %cr0, %eax\n"						\
	"	movl %eax, " UC(UCALL_OFF_ARG(1)) "\n"				\
	"	mov $" str(GUEST_BLOB_UCALL_GPA) ", %eax\n"			\
	"	mov $" str(UCALL_PORT) ", %dx\n"				\
	"	outl %eax, %dx\n"						\
	"	movl " UC(UCALL_OFF_REPLY) ", %ebx\n"				\
	"	inc %ebx\n"							\
	"	hlt\n"								\
	#name "_after_hlt:\n"							\
	"	movl $" str(UCALL_DONE) ", " UC(UCALL_OFF_CMD) "\n"		\
	"	movl $0, " UC(UCALL_OFF_NARGS) "\n"				\
	"	mov $" str(GUEST_BLOB_UCALL_GPA) ", %eax\n"			\
	"	outl %eax, %dx\n"						\
	"1:	hlt\n"								\
	"	jmp 1b\n"							\
	#name "_end:\n"								\
	"	.code64\n"							\
	"	.popsection\n"

asm(BLOB(real_mode, ".code16", TAG_REAL));
asm(BLOB(prot32, ".code32", TAG_PROT32));
extern const uint8_t real_mode_start[], real_mode_after_hlt[], real_mode_end[];
extern const uint8_t prot32_start[], prot32_after_hlt[], prot32_end[];

/* --- host-side checks shared by the modes --- */

static void expect_out(struct kvm_vcpu *vcpu, uint16_t port, uint8_t size, uint32_t value)
{
	struct kvm_run *run = vcpu->run;
	uint32_t data = 0;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
	TEST_ASSERT_EQ(size, run->io.size);
	TEST_ASSERT_EQ(port, run->io.port);
	TEST_ASSERT_EQ(1, run->io.count);
	memcpy(&data, vcpu_io_data(vcpu), size);
	TEST_ASSERT_EQ(value, data);
}

static void expect_out_1_2_4(struct kvm_vcpu *vcpu)
{
	expect_out(vcpu, PORT8, 1, VAL8);
	expect_out(vcpu, PORT16, 2, VAL16);
	expect_out(vcpu, PORT32, 4, VAL32);
}

/* HLT without an in-kernel irqchip: KVM_EXIT_HLT, RIP already past the instruction. */
static void expect_hlt(struct kvm_vcpu *vcpu, uint64_t rip_after, struct kvm_regs *regs)
{
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	vcpu_get_regs(vcpu, regs);
	TEST_ASSERT_EQ(rip_after, regs->rip);
}

static void test_blob(enum guest_mode mode, const uint8_t *start, const uint8_t *after_hlt,
		      const uint8_t *end, uint64_t tag, const char *what)
{
	struct kvm_vm *vm = guest_vm_new(mode, 1 * MiB);
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct ucall uc;

	vm_load_blob(vm, GUEST_BLOB_CODE_GPA, start, end);
	vcpu = guest_vcpu_add(vm, 0, GUEST_BLOB_CODE_GPA);
	vcpu_get_sregs(vcpu, &sregs);
	TEST_ASSERT_EQ(mode == GUEST_MODE_PROT32, sregs.cs.db);

	expect_out_1_2_4(vcpu);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.nargs);
	TEST_ASSERT_EQ(tag, uc.args[0]);
	/* the guest saw its own mode: CR0.PE as the guest read it */
	TEST_ASSERT_EQ(mode == GUEST_MODE_PROT32 ? X86_CR0_PE : 0, uc.args[1] & X86_CR0_PE);
	ucall_reply(vcpu, &uc, BLOB_REPLY);

	expect_hlt(vcpu, GUEST_BLOB_CODE_GPA + (after_hlt - start), &regs);
	TEST_ASSERT_EQ(BLOB_REPLY + 1, regs.rbx & 0xffffffff);

	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
	ksft_test_result_pass("%s: port I/O, ucall round trip, HLT\n", what);
}

/* --- long mode --- */

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t read_cr0(void)
{
	uint64_t v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

extern const uint8_t long_mode_after_hlt[], ud2_insn[], noncanonical_insn[], pf_insn[],
		     wrmsr_insn[];

static void __attribute__((noinline)) guest_long_mode(uint64_t tag, uint64_t arg)
{
	static const char string[] = STRING_OUT;
	uint64_t reply, in;

	outb(PORT8, VAL8);
	outw(PORT16, VAL16);
	outl(PORT32, VAL32);
	in = inl(PORT32);
	asm volatile("rep outsb" : : "S"(string), "c"(sizeof(string) - 1), "d"(PORT8)
		     : "memory");

	GUEST_PRINTF("long mode guest: CR0 %#lx, tag %s\n", read_cr0(), "ok");
	reply = GUEST_SYNC(tag, read_cr0(), arg, in);
	GUEST_ASSERT_EQ(~arg, reply);

	asm volatile("mov %0, %%rbx\n\t"
		     "hlt\n"
		     "long_mode_after_hlt:"
		     : : "r"(reply ^ LONG_MARKER) : "rbx");
	GUEST_DONE();
}

/* rep outsb: however KVM splits it into exits, the bytes arrive in order, one each. */
static void expect_string_out(struct kvm_vcpu *vcpu, const char *s)
{
	struct kvm_run *run = vcpu->run;
	size_t got = 0, len = strlen(s);

	while (got < len) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_IO);
		TEST_ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
		TEST_ASSERT_EQ(1, run->io.size);
		TEST_ASSERT_EQ(PORT8, run->io.port);
		TEST_ASSERT(run->io.count >= 1 && got + run->io.count <= len,
			    "rep outsb exit with count %u after %zu of %zu bytes",
			    run->io.count, got, len);
		TEST_ASSERT(!memcmp(vcpu_io_data(vcpu), s + got, run->io.count),
			    "rep outsb data at byte %zu", got);
		ksft_print_msg("rep outsb: exit with count %u\n", run->io.count);
		got += run->io.count;
	}
}

static void test_long_mode(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_long_mode);
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	struct ucall uc;
	uint32_t in = VAL_IN;

	vcpu_set_args(vcpu, TAG_LONG64, LONG_ARG);
	expect_out_1_2_4(vcpu);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(KVM_EXIT_IO_IN, run->io.direction);
	TEST_ASSERT_EQ(4, run->io.size);
	TEST_ASSERT_EQ(PORT32, run->io.port);
	TEST_ASSERT_EQ(1, run->io.count);
	memcpy(vcpu_io_data(vcpu), &in, sizeof(in));

	expect_string_out(vcpu, STRING_OUT);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);	/* after the PRINTF */
	TEST_ASSERT_EQ(4, uc.nargs);
	TEST_ASSERT_EQ(TAG_LONG64, uc.args[0]);
	TEST_ASSERT_EQ(X86_CR0_PE | X86_CR0_PG, uc.args[1] & (X86_CR0_PE | X86_CR0_PG));
	TEST_ASSERT_EQ(LONG_ARG, uc.args[2]);
	TEST_ASSERT_EQ(VAL_IN, uc.args[3]);
	ucall_reply(vcpu, &uc, ~LONG_ARG);

	expect_hlt(vcpu, (uint64_t)long_mode_after_hlt, &regs);
	TEST_ASSERT_EQ(~LONG_ARG ^ LONG_MARKER, regs.rbx);

	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
	ksft_test_result_pass("64-bit long mode: port I/O in and out, rep outsb, ucall, HLT\n");
}

static void guest_ud(void)
{
	asm volatile("ud2_insn: ud2");
	GUEST_FAIL("executed past ud2");
}

static void guest_noncanonical(void)
{
	asm volatile("noncanonical_insn: mov (%0), %%rax" : : "r"(NONCANONICAL_ADDR) : "rax");
	GUEST_FAIL("non-canonical load did not fault");
}

static void guest_pf(void)
{
	asm volatile("pf_insn: movb $1, (%0)" : : "r"(PF_ADDR) : "memory");
	GUEST_FAIL("store to an unmapped address did not fault");
}

/* The guest's exception (vector, error code, rip, cr2) as its IDT handler reported it. */
static void test_unhandled(void (*guest)(void), uint64_t vector, uint64_t error_code,
			   const uint8_t *rip, uint64_t cr2, const char *what)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest);
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_UNHANDLED, &uc);
	TEST_ASSERT_EQ(vector, uc.args[0]);
	TEST_ASSERT_EQ(error_code, uc.args[1]);
	TEST_ASSERT_EQ((uint64_t)rip, uc.args[2]);
	if (vector == PF_VECTOR)
		TEST_ASSERT_EQ(cr2, uc.args[3]);
	kvm_vm_free(vm);
	ksft_test_result_pass("64-bit: %s reported as vector %llu, error code %#llx\n", what,
			      (unsigned long long)vector, (unsigned long long)error_code);
}

/* Guest globals: the guest's own copy, written by its #GP handler. */
static uint64_t gp_count, gp_error_code, gp_rip;

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	gp_error_code = regs->error_code;
	gp_rip = regs->rip;
	regs->rip += 2;		/* wrmsr is 0f 30 */
}

static void guest_wrmsr(void)
{
	asm volatile("wrmsr_insn: wrmsr" : : "c"(MSR_BOGUS), "a"(1), "d"(0));
	GUEST_SYNC(gp_count, gp_error_code, gp_rip);
	GUEST_DONE();
}

static void test_handled_gp(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_wrmsr);
	struct ucall uc;

	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	TEST_ASSERT_EQ(0, uc.args[1]);
	TEST_ASSERT_EQ((uint64_t)wrmsr_insn, uc.args[2]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	/* the host's copy of the globals is not the guest's */
	TEST_ASSERT_EQ(0, gp_count);
	sync_global_from_guest(vm, gp_count);
	TEST_ASSERT_EQ(1, gp_count);
	gp_count = 0;
	kvm_vm_free(vm);
	ksft_test_result_pass("64-bit: #GP(0) from WRMSR to an unknown MSR, handled in guest\n");
}

static const int guest_assert_line = __LINE__ + 4;	/* the GUEST_ASSERT_EQ below */

static void guest_failing_assert(uint64_t expected, uint64_t actual)
{
	GUEST_ASSERT_EQ(expected, actual);
	GUEST_DONE();
}

/* A failed GUEST_ASSERT_EQ reaches the host as UCALL_ABORT with its file, line, values. */
static void test_guest_assert(void)
{
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	char file[sizeof(__FILE__)];

	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_failing_assert);
	vcpu_set_args(vcpu, 42, 43);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(UCALL_ABORT, get_ucall(vcpu, &uc));
	TEST_ASSERT_EQ(8, uc.nargs);
	memcpy(file, addr_gva2hva(vm, uc.args[0]), sizeof(file));
	TEST_ASSERT(!memcmp(file, __FILE__, sizeof(file)), "guest file name %.*s",
		    (int)sizeof(file), file);
	TEST_ASSERT_EQ(guest_assert_line, uc.args[1]);
	TEST_ASSERT_EQ(42, uc.args[4]);		/* expected, decimal and hex */
	TEST_ASSERT_EQ(42, uc.args[5]);
	TEST_ASSERT_EQ(43, uc.args[6]);		/* actual */
	TEST_ASSERT_EQ(43, uc.args[7]);
	kvm_vm_free(vm);
	ksft_test_result_pass("64-bit: a failed GUEST_ASSERT_EQ reaches the host\n");
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(8);
	test_blob(GUEST_MODE_REAL, real_mode_start, real_mode_after_hlt, real_mode_end,
		  TAG_REAL, "16-bit real mode");
	test_blob(GUEST_MODE_PROT32, prot32_start, prot32_after_hlt, prot32_end,
		  TAG_PROT32, "32-bit protected mode");
	test_long_mode();
	test_unhandled(guest_ud, UD_VECTOR, 0, ud2_insn, 0, "#UD from ud2");
	test_unhandled(guest_noncanonical, GP_VECTOR, 0, noncanonical_insn, 0,
		       "#GP from a non-canonical load");
	/* error code: not present (P=0), write (W/R=1), supervisor */
	test_unhandled(guest_pf, PF_VECTOR, 2, pf_insn, PF_ADDR, "#PF from a store");
	test_handled_gp();
	test_guest_assert();
	ksft_finished();
}
