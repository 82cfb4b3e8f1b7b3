// SPDX-License-Identifier: GPL-2.0-only
/*
 * MMIO (api.rst 5, "KVM_EXIT_MMIO"): a guest access to a guest-physical address outside
 * every memslot is decoded and emulated by KVM and exits to userspace with
 * KVM_EXIT_MMIO (phys_addr, data[8], len, is_write); a read completes at the next KVM_RUN
 * with the value userspace put in run->mmio.data. Accesses wider than 8 bytes (SSE, AVX)
 * come as several exits of at most 8 bytes, and an access crossing a page as one piece per
 * page.
 *
 * Userspace here is a model device: a byte array behind 2 MMIO pages that serves reads
 * and keeps writes, and logs every exit. In long mode each instruction of a table is run
 * twice: natively by this process on ordinary memory mapped at the same addresses, and by
 * the guest against the device, from the same registers and memory contents. Registers,
 * the defined arithmetic flags, SSE/AVX registers and memory must come out the same, and
 * the log must hold exactly the accesses listed for the instruction (widths, order).
 * Real and 32-bit protected mode run a smaller blob with hand-computed results.
 *
 * Also: an instruction KVM cannot emulate (x87 FLDS) ends in KVM_EXIT_INTERNAL_ERROR
 * (KVM_INTERNAL_ERROR_EMULATION with the instruction bytes), and then #UD in the guest
 * (with KVM_CAP_EXIT_ON_EMULATION_FAILURE only the exit, api.rst 7.27);
 * a pending read leaves RIP at the instruction until KVM_RUN completes it; KVM_RUN with
 * immediate_exit completes a pending access and returns EINTR; registers a VMM sets while a
 * read is out are kept, and the read completes once, past its instruction.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "x86_guest.h"

/*
 * The guest's window, at the same virtual addresses in the guest and in this process:
 * one RAM page, then two MMIO pages (gva == gpa, beyond guest memory, below 4 GiB so that
 * moffs and 32-bit forms reach it). The RAM page sits right below the MMIO pages, so an
 * access can cross from RAM into MMIO.
 */
#define MMIO_GVA		0xd0000000
#define MMIO_GPA		0xd0000000ULL
#define MMIO_SIZE		(2 * PAGE_SIZE)
#define RAM_GVA			(MMIO_GVA - PAGE_SIZE)
#define WIN_SIZE		(PAGE_SIZE + MMIO_SIZE)

#define M(off)			((uint64_t)MMIO_GVA + (off))
#define R(off)			((uint64_t)RAM_GVA + (off))

#define __str(x)		#x
#define str(x)			__str(x)

/* RFLAGS (SDM vol. 1 section 3.4.3) */
#define CF			0x0001
#define PF			0x0004
#define AF			0x0010
#define ZF			0x0040
#define SF			0x0080
#define DF			0x0400
#define OF			0x0800
#define STATUS_FLAGS		(CF | PF | AF | ZF | SF | OF)

/* --- register state, shared by the native run and the guest's --- */

struct cpu_state {
	union {
		struct {
			uint64_t rax, rbx, rcx, rdx, rsi, rdi, r8, r9;
			uint64_t rflags;
		};
		uint64_t regs[9];
	};
	uint64_t pad;
	uint8_t vec[2][32];	/* xmm0/ymm0, xmm1/ymm1 */
};

#define NR_GPRS			8
static const char * const reg_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "rflags",
};

_Static_assert(offsetof(struct cpu_state, rflags) == 64, "run_case offsets");
_Static_assert(offsetof(struct cpu_state, vec) == 80, "run_case offsets");

/*
 * run_case(state, insn, avx): load the registers (and xmm0/xmm1, or ymm0/ymm1 when avx) from
 * *state, call insn (the instruction under test, then ret), store them back. RFLAGS is
 * loaded just before the call and saved before anything that changes it (MOVs do not);
 * DF is cleared again for C code. r14/r15 hold insn and state: instructions under test use
 * rax, rbx, rcx, rdx, rsi, rdi, r8, r9 only.
 */
void run_case(struct cpu_state *state, const void *insn, int avx);
asm(
"	.pushsection .text\n"
"	.balign 16\n"
"run_case:\n"
"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
"	mov %rdi, %r15\n"
"	mov %rsi, %r14\n"
"	mov %edx, %r13d\n"
"	test %r13d, %r13d\n"
"	jz 1f\n"
"	vmovdqu 80(%r15), %ymm0\n"
"	vmovdqu 112(%r15), %ymm1\n"
"	jmp 2f\n"
"1:	movdqu 80(%r15), %xmm0\n"
"	movdqu 112(%r15), %xmm1\n"
"2:	mov 0(%r15), %rax\n"
"	mov 8(%r15), %rbx\n"
"	mov 16(%r15), %rcx\n"
"	mov 24(%r15), %rdx\n"
"	mov 32(%r15), %rsi\n"
"	mov 40(%r15), %rdi\n"
"	mov 48(%r15), %r8\n"
"	mov 56(%r15), %r9\n"
"	pushq 64(%r15)\n"
"	popfq\n"
"	call *%r14\n"
"	mov %rax, 0(%r15)\n"
"	mov %rbx, 8(%r15)\n"
"	mov %rcx, 16(%r15)\n"
"	mov %rdx, 24(%r15)\n"
"	mov %rsi, 32(%r15)\n"
"	mov %rdi, 40(%r15)\n"
"	mov %r8, 48(%r15)\n"
"	mov %r9, 56(%r15)\n"
"	pushfq\n"
"	popq 64(%r15)\n"
"	cld\n"
"	test %r13d, %r13d\n"
"	jz 3f\n"
"	vmovdqu %ymm0, 80(%r15)\n"
"	vmovdqu %ymm1, 112(%r15)\n"
"	vzeroupper\n"
"	jmp 4f\n"
"3:	movdqu %xmm0, 80(%r15)\n"
"	movdqu %xmm1, 112(%r15)\n"
"4:	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
"	ret\n"
"	.popsection\n");

/* --- the instruction table --- */

struct mmio_case {
	const char *name;		/* the instruction as written */
	const uint8_t *insn;
	struct cpu_state in;		/* 0: a junk default (below); rbx: the MMIO base */
	bool mem_set;			/* mem_val at MMIO offset mem_off before the run */
	uint16_t mem_off;
	uint64_t mem_val;
	const char *accesses;		/* expected exits in order: "r8@10 w8@10" (hex offsets) */
	uint32_t flags_mask;		/* flags the instruction defines or keeps; 0: all */
};

/* Table shorthands: FL() sets RFLAGS (so FL(0) is "no flags"), REG_ZERO a zero register. */
#define FL(f)			.in.rflags = (f) | X86_RFLAGS_FIXED
#define REG_ZERO		0x2e2e2e2e00000000ULL	/* replaced by 0 */
#define MEM(off, val)		.mem_set = true, .mem_off = (off), .mem_val = (val)
#define LOGIC			.flags_mask = CF | PF | ZF | SF | OF | DF	/* AF undefined */
#define BITOP			.flags_mask = CF | DF	/* others undefined */

/*
 * X(id, instruction, exits, fields...): rbx points at the MMIO base unless set; offsets in
 * the exit lists are from the MMIO base; M()/R() are addresses in the MMIO and RAM pages.
 */
#define MOV_CASES(X)								\
	X(ld8,     "mov 0x10(%rbx), %al",		"r1@10")			\
	X(ld8h,    "mov 0x11(%rbx), %ah",		"r1@11")			\
	X(ld8r9,   "mov 0x12(%rbx), %r9b",		"r1@12")			\
	X(ld16,    "mov 0x12(%rbx), %cx",		"r2@12")			\
	X(ld32,    "mov 0x14(%rbx), %edx",		"r4@14")			\
	X(ld64,    "mov 0x18(%rbx), %rsi",		"r8@18")			\
	X(ld64u,   "mov 0x23(%rbx), %r8",		"r8@23")			\
	X(ldsib,   "mov 0x8(%rbx,%rcx,4), %edi",	"r4@14", .in.rcx = 3)		\
	X(st8,     "mov %cl, 0x20(%rbx)",		"w1@20")			\
	X(st8h,    "mov %dh, 0x21(%rbx)",		"w1@21")			\
	X(st16,    "mov %si, 0x22(%rbx)",		"w2@22")			\
	X(st32,    "mov %edi, 0x24(%rbx)",		"w4@24")			\
	X(st64,    "mov %r9, 0x28(%rbx)",		"w8@28")			\
	X(st64u,   "mov %rax, 0x31(%rbx)",		"w8@31")			\
	X(sti8,    "movb $0x5a, 0x38(%rbx)",		"w1@38")			\
	X(sti16,   "movw $0x1234, 0x3a(%rbx)",		"w2@3a")			\
	X(sti32,   "movl $0x89abcdef, 0x3c(%rbx)",	"w4@3c")			\
	X(sti64,   "movq $-0x76543211, 0x40(%rbx)",	"w8@40")			\
	X(moffl8,  "movabs " str(MMIO_GVA) "+0x48, %al",	"r1@48")		\
	X(moffl16, "movabs " str(MMIO_GVA) "+0x48, %ax",	"r2@48")		\
	X(moffl32, "movabs " str(MMIO_GVA) "+0x48, %eax",	"r4@48")		\
	X(moffl64, "movabs " str(MMIO_GVA) "+0x48, %rax",	"r8@48")		\
	X(moffs8,  "movabs %al, " str(MMIO_GVA) "+0x50",	"w1@50")		\
	X(moffs16, "movabs %ax, " str(MMIO_GVA) "+0x52",	"w2@52")		\
	X(moffs32, "movabs %eax, " str(MMIO_GVA) "+0x54",	"w4@54")		\
	X(moffs64, "movabs %rax, " str(MMIO_GVA) "+0x58",	"w8@58")

/* bytes at 0x50: 0x85 (negative), 0x7f, word 0x8001, dword 0x80000001 */
#define SX_MEM			MEM(0x50, 0x8000000180017f85ULL)
#define EXT_CASES(X)								\
	X(zbl,     "movzbl 0x50(%rbx), %eax",		"r1@50", SX_MEM)		\
	X(zbw,     "movzbw 0x50(%rbx), %cx",		"r1@50", SX_MEM)		\
	X(zbq,     "movzbq 0x51(%rbx), %rdx",		"r1@51", SX_MEM)		\
	X(zwl,     "movzwl 0x52(%rbx), %esi",		"r2@52", SX_MEM)		\
	X(zwq,     "movzwq 0x52(%rbx), %rdi",		"r2@52", SX_MEM)		\
	X(sbl,     "movsbl 0x50(%rbx), %eax",		"r1@50", SX_MEM)		\
	X(sbw,     "movsbw 0x50(%rbx), %cx",		"r1@50", SX_MEM)		\
	X(sbq,     "movsbq 0x50(%rbx), %r8",		"r1@50", SX_MEM)		\
	X(sbqp,    "movsbq 0x51(%rbx), %r9",		"r1@51", SX_MEM)		\
	X(swl,     "movswl 0x52(%rbx), %eax",		"r2@52", SX_MEM)		\
	X(swq,     "movswq 0x52(%rbx), %rdx",		"r2@52", SX_MEM)		\
	X(slq,     "movslq 0x54(%rbx), %rsi",		"r4@54", SX_MEM)		\
	X(slqp,    "movslq 0x51(%rbx), %rdi",		"r4@51", SX_MEM)		\
	X(nti64,   "movnti %rax, 0x60(%rbx)",		"w8@60")			\
	X(nti32,   "movnti %ecx, 0x68(%rbx)",		"w4@68")			\
	X(cmovz32, "cmovz 0x54(%rbx), %eax",		"r4@54", SX_MEM, FL(ZF))	\
	X(cmovzn,  "cmovz 0x54(%rbx), %ecx",		"r4@54", SX_MEM, FL(0),		\
	  .in.rcx = 0x12345678)							\
	X(cmovl64, "cmovl 0x50(%rbx), %rdx",		"r8@50", SX_MEM, FL(SF))	\
	X(cmovnb16, "cmovnb 0x52(%rbx), %si",		"r2@52", SX_MEM, FL(CF))

#define STRING_CASES(X)								\
	X(stosb,   "stosb",	"w1@100", .in.rdi = M(0x100))				\
	X(stosw,   "stosw",	"w2@102", .in.rdi = M(0x102))				\
	X(stosl,   "stosl",	"w4@104", .in.rdi = M(0x104))				\
	X(stosq,   "stosq",	"w8@108", .in.rdi = M(0x108))				\
	X(rstosq,  "rep stosq",	"w8@110 w8@118 w8@120", .in.rdi = M(0x110), .in.rcx = 3) \
	X(rstosbd, "rep stosb",	"w1@12b w1@12a w1@129 w1@128",				\
	  .in.rdi = M(0x12b), .in.rcx = 4, FL(DF))					\
	X(rstos0,  "rep stosl",	"", .in.rdi = M(0x12c), .in.rcx = REG_ZERO)		\
	X(lodsb,   "lodsb",	"r1@130", .in.rsi = M(0x130))				\
	X(lodsw,   "lodsw",	"r2@132", .in.rsi = M(0x132))				\
	X(lodsl,   "lodsl",	"r4@134", .in.rsi = M(0x134))				\
	X(lodsq,   "lodsq",	"r8@138", .in.rsi = M(0x138))				\
	X(rlodsw,  "rep lodsw",	"r2@140 r2@142 r2@144", .in.rsi = M(0x140), .in.rcx = 3) \
	X(movsq,   "movsq",	"r8@150", .in.rsi = M(0x150), .in.rdi = R(0x100))	\
	X(rmovsl,  "rep movsl",	"r4@160 r4@164 r4@168",					\
	  .in.rsi = M(0x160), .in.rdi = R(0x200), .in.rcx = 3)				\
	X(rmovsw,  "rep movsw",	"w2@170 w2@172 w2@174",					\
	  .in.rsi = R(0x300), .in.rdi = M(0x170), .in.rcx = 3)				\
	X(rmovsb,  "rep movsb",	"r1@180 w1@1180 r1@181 w1@1181 r1@182 w1@1182",		\
	  .in.rsi = M(0x180), .in.rdi = M(0x1180), .in.rcx = 3)				\
	X(rmovsqd, "rep movsq",	"r8@198 w8@1198 r8@190 w8@1190",			\
	  .in.rsi = M(0x198), .in.rdi = M(0x1198), .in.rcx = 2, FL(DF))			\
	X(movsbd,  "movsb",	"w1@1a0", .in.rsi = R(0x400), .in.rdi = M(0x1a0), FL(DF)) \
	X(rmovs0,  "rep movsb",	"", .in.rsi = M(0x1a8), .in.rdi = R(0x500), .in.rcx = REG_ZERO) \
	X(scasl,   "scasl",	"r4@1b0", .in.rdi = M(0x1b0))				\
	X(cmpsq,   "cmpsq",	"r8@1b8", .in.rsi = M(0x1b8), .in.rdi = R(0x600))

#define ALU_CASES(X)								\
	X(add_s64,  "add 0x200(%rbx), %rax",		"r8@200",			\
	  MEM(0x200, 0x7fffffffffffffffULL), .in.rax = 1, FL(CF))			\
	X(add_d32,  "add %ecx, 0x208(%rbx)",		"r4@208 w4@208",		\
	  MEM(0x208, 0x12345678ffffffffULL), .in.rcx = 1)				\
	X(add_i8,   "addb $0x7f, 0x210(%rbx)",		"r1@210 w1@210", MEM(0x210, 1))	\
	X(add_i16,  "addw $0x1234, 0x212(%rbx)",	"r2@212 w2@212")		\
	X(add_i32,  "addl $0x12345678, 0x214(%rbx)",	"r4@214 w4@214", FL(0))		\
	X(add_si8,  "addq $-1, 0x218(%rbx)",		"r8@218 w8@218", MEM(0x218, 1))	\
	X(or_d8,    "or %dl, 0x220(%rbx)",		"r1@220 w1@220", LOGIC)		\
	X(or_i32,   "orq $0x1000, 0x228(%rbx)",		"r8@228 w8@228",		\
	  MEM(0x228, 0), LOGIC)								\
	X(or_s32,   "or 0x230(%rbx), %esi",		"r4@230", LOGIC)		\
	X(or_zero,  "or %cx, 0x234(%rbx)",		"r2@234 w2@234",		\
	  MEM(0x230, 0), .in.rcx = REG_ZERO, LOGIC)					\
	X(adc_d64,  "adc %rax, 0x238(%rbx)",		"r8@238 w8@238",		\
	  MEM(0x238, -1ULL), .in.rax = REG_ZERO, FL(CF))				\
	X(adc_s16,  "adc 0x240(%rbx), %cx",		"r2@240", FL(0))		\
	X(adc_i8,   "adcl $1, 0x248(%rbx)",		"r4@248 w4@248",		\
	  MEM(0x248, 0x7ffffffe), FL(CF))						\
	X(sbb_d64,  "sbb %rdx, 0x250(%rbx)",		"r8@250 w8@250", FL(CF))	\
	X(sbb_s8,   "sbb 0x258(%rbx), %al",		"r1@258", FL(0))		\
	X(sbb_i8,   "sbbb $1, 0x259(%rbx)",		"r1@259 w1@259",		\
	  MEM(0x258, 0), FL(CF))							\
	X(and_d64,  "and %r8, 0x260(%rbx)",		"r8@260 w8@260", LOGIC)		\
	X(and_i8,   "andb $0x0f, 0x268(%rbx)",		"r1@268 w1@268", LOGIC)		\
	X(and_zero, "andl $0, 0x26c(%rbx)",		"r4@26c w4@26c", LOGIC)		\
	X(sub_zero, "sub %eax, 0x270(%rbx)",		"r4@270 w4@270",		\
	  MEM(0x270, 0x9abcdef0), .in.rax = 0x9abcdef0)					\
	X(sub_s64,  "sub 0x278(%rbx), %rdi",		"r8@278")			\
	X(sub_si8,  "subq $0x7f, 0x280(%rbx)",		"r8@280 w8@280", MEM(0x280, 0x10)) \
	X(xor_d64,  "xor %rsi, 0x288(%rbx)",		"r8@288 w8@288", LOGIC)		\
	X(xor_s32,  "xor 0x290(%rbx), %edx",		"r4@290", LOGIC)		\
	X(xor_i16,  "xorw $0x5555, 0x294(%rbx)",	"r2@294 w2@294", LOGIC)		\
	X(cmp_d64,  "cmp %rax, 0x298(%rbx)",		"r8@298",			\
	  MEM(0x298, 0x8000000000000000ULL), .in.rax = 1)				\
	X(cmp_s32,  "cmp 0x2a0(%rbx), %ecx",		"r4@2a0", FL(0))		\
	X(cmp_i8,   "cmpb $0x80, 0x2a8(%rbx)",		"r1@2a8")			\
	X(cmp_eq,   "cmpq $-1, 0x2b0(%rbx)",		"r8@2b0", MEM(0x2b0, -1ULL), FL(0)) \
	X(test_r,   "test %eax, 0x2b8(%rbx)",		"r4@2b8", LOGIC)		\
	X(test_i8,  "testb $0x80, 0x2bc(%rbx)",		"r1@2bc", LOGIC)		\
	X(test_i32, "testq $0x7fffffff, 0x2c0(%rbx)",	"r8@2c0",			\
	  MEM(0x2c0, 0xffffffff80000000ULL), LOGIC)					\
	X(lock_add, "lock add %rax, 0x2c8(%rbx)",	"r8@2c8 w8@2c8")		\
	X(lock_or,  "lock orb $1, 0x2d0(%rbx)",		"r1@2d0 w1@2d0",		\
	  MEM(0x2d0, 0x80), LOGIC)							\
	X(lock_sub, "lock subl $1, 0x2d4(%rbx)",	"r4@2d4 w4@2d4", FL(0))

#define RMW_VAL			0x1122334455667788ULL
#define RMW_CASES(X)								\
	X(not64,    "notq 0x300(%rbx)",			"r8@300 w8@300")		\
	X(not8,     "notb 0x308(%rbx)",			"r1@308 w1@308", FL(0))		\
	X(neg32,    "negl 0x30c(%rbx)",			"r4@30c w4@30c", FL(0))		\
	X(neg0,     "negw 0x310(%rbx)",			"r2@310 w2@310", MEM(0x310, 0))	\
	X(inc16,    "incw 0x318(%rbx)",			"r2@318 w2@318",		\
	  MEM(0x318, 0x7fff), FL(CF))	/* OF; CF kept */				\
	X(inc64,    "incq 0x320(%rbx)",			"r8@320 w8@320",		\
	  MEM(0x320, -1ULL), FL(0))	/* ZF; CF kept clear */				\
	X(dec8,     "decb 0x328(%rbx)",			"r1@328 w1@328", MEM(0x328, 0), FL(CF)) \
	X(dec32,    "decl 0x32c(%rbx)",			"r4@32c w4@32c", FL(0))		\
	X(lock_inc, "lock incl 0x330(%rbx)",		"r4@330 w4@330")		\
	X(lock_dec, "lock decq 0x338(%rbx)",		"r8@338 w8@338", FL(0))		\
	X(xchg64,   "xchg %rax, 0x340(%rbx)",		"r8@340 w8@340")		\
	X(xchg8,    "xchg %cl, 0x348(%rbx)",		"r1@348 w1@348")		\
	X(xchg16,   "xchg 0x34c(%rbx), %dx",		"r2@34c w2@34c")		\
	X(xadd32,   "xadd %eax, 0x350(%rbx)",		"r4@350 w4@350", FL(0))		\
	X(lxadd64,  "lock xadd %rdx, 0x358(%rbx)",	"r8@358 w8@358")		\
	/* CMPXCHG writes the destination even when it fails (SDM vol. 2A) */		\
	X(cx64,     "cmpxchg %rcx, 0x360(%rbx)",	"r8@360 w8@360",		\
	  MEM(0x360, RMW_VAL), .in.rax = RMW_VAL)					\
	X(cx64f,    "cmpxchg %rcx, 0x368(%rbx)",	"r8@368 w8@368",		\
	  MEM(0x368, RMW_VAL), .in.rax = RMW_VAL + 1)					\
	X(cx8,      "cmpxchg %cl, 0x370(%rbx)",		"r1@370 w1@370",		\
	  MEM(0x370, 0x5a), .in.rax = 0xa0a1a2a3a4a5a65aULL)				\
	X(cx8f,     "cmpxchg %cl, 0x371(%rbx)",		"r1@371 w1@371", MEM(0x370, 0x5a00)) \
	X(cx16,     "cmpxchg %cx, 0x372(%rbx)",		"r2@372 w2@372",		\
	  MEM(0x370, 0x12340000), .in.rax = 0xa0a1a2a3a4a51234ULL)			\
	/* success writes no EAX: RAX keeps its upper half; failure zero-extends it */	\
	X(cx32,     "cmpxchg %ecx, 0x378(%rbx)",	"r4@378 w4@378",		\
	  MEM(0x378, 0x89abcdef), .in.rax = 0xa0a1a2a389abcdefULL)			\
	X(cx32f,    "cmpxchg %ecx, 0x37c(%rbx)",	"r4@37c w4@37c",		\
	  MEM(0x378, 0x89abcdef00000000ULL))						\
	X(lcx64,    "lock cmpxchg %rdx, 0x380(%rbx)",	"r8@380 w8@380",		\
	  MEM(0x380, RMW_VAL), .in.rax = RMW_VAL)					\
	X(lcx64f,   "lock cmpxchg %rdx, 0x388(%rbx)",	"r8@388 w8@388", MEM(0x388, RMW_VAL)) \
	/* CMPXCHG8B compares EDX:EAX, stores ECX:EBX (EBX: the MMIO base's low half) */ \
	X(cx8b,     "cmpxchg8b 0x390(%rbx)",		"r8@390 w8@390",		\
	  MEM(0x390, RMW_VAL), .in.rax = 0xa0a1a2a355667788ULL,			\
	  .in.rdx = 0xd0d1d2d311223344ULL)						\
	X(cx8bf,    "cmpxchg8b 0x398(%rbx)",		"r8@398 w8@398", MEM(0x398, RMW_VAL)) \
	X(lcx8b,    "lock cmpxchg8b 0x3a0(%rbx)",	"r8@3a0 w8@3a0",		\
	  MEM(0x3a0, RMW_VAL), .in.rax = 0x55667788, .in.rdx = 0x11223344)

/*
 * BT with a register bit offset addresses a bit string: the offset's bits above the operand
 * width move the access by whole operands, backwards too (SDM vol. 2A "BT"); an immediate
 * offset is taken modulo the width.
 */
#define BT_CASES(X)								\
	X(bt64,     "btq %rax, 0x400(%rbx)",		"r8@400", .in.rax = 5, BITOP)	\
	X(bt32far,  "btl %eax, 0x410(%rbx)",		"r4@414", .in.rax = 35, BITOP)	\
	X(bt64neg,  "btq %rcx, 0x420(%rbx)",		"r8@418", .in.rcx = -1ULL, BITOP) \
	X(bt16far,  "btw %dx, 0x430(%rbx)",		"r2@432", .in.rdx = 17, BITOP)	\
	X(bts64,    "bts %rax, 0x440(%rbx)",		"r8@448 w8@448", .in.rax = 70, BITOP) \
	X(btr32neg, "btr %eax, 0x454(%rbx)",		"r4@450 w4@450",		\
	  .in.rax = 0xffffffff, BITOP)							\
	X(btc16neg, "btc %cx, 0x460(%rbx)",		"r2@45c w2@45c", .in.rcx = 0xffec, BITOP) \
	X(bti16,    "btw $9, 0x468(%rbx)",		"r2@468", BITOP)		\
	X(btsi32,   "btsl $31, 0x46c(%rbx)",		"r4@46c w4@46c",		\
	  MEM(0x468, 0), BITOP)								\
	X(btri64,   "btrq $70, 0x470(%rbx)",		"r8@470 w8@470",		\
	  MEM(0x470, -1ULL), BITOP)							\
	X(btci16,   "btcw $3, 0x478(%rbx)",		"r2@478 w2@478", BITOP)		\
	X(lbts,     "lock btsq %rax, 0x480(%rbx)",	"r8@480 w8@480",		\
	  MEM(0x480, 0), .in.rax = 3, BITOP)						\
	X(lbtri,    "lock btrl $5, 0x488(%rbx)",	"r4@488 w4@488", BITOP)		\
	X(lbtc,     "lock btcl %ecx, 0x48c(%rbx)",	"r4@48c w4@48c", .in.rcx = 12, BITOP)

/*
 * Shifts, rotates, MUL IMUL DIV IDIV, PUSH/POP of memory. Their undefined flags are compared
 * too: KVM runs them on the host CPU, the one this process runs on. PUSH and POP go through
 * the stack of the test itself, so each is paired with the opposite one on a register.
 */
#define DIV_MEM			MEM(0x7a0, 0x0000000312345679ULL)
#define ARITH_CASES(X)								\
	X(shl64,    "shlq $3, 0x700(%rbx)",		"r8@700 w8@700")		\
	X(shr32cl,  "shrl %cl, 0x708(%rbx)",		"r4@708 w4@708", .in.rcx = 7)	\
	X(sar16,    "sarw $9, 0x70c(%rbx)",		"r2@70c w2@70c",		\
	  MEM(0x70c, 0x8421))								\
	X(sal8by1,  "salb 0x710(%rbx)",			"r1@710 w1@710", MEM(0x710, 0xc1)) \
	X(rol64cl,  "rolq %cl, 0x718(%rbx)",		"r8@718 w8@718", .in.rcx = 67)	\
	X(ror8,     "rorb $5, 0x720(%rbx)",		"r1@720 w1@720")		\
	X(rcl32,    "rcll 0x724(%rbx)",			"r4@724 w4@724", FL(CF))	\
	X(rcr16cl,  "rcrw %cl, 0x728(%rbx)",		"r2@728 w2@728", .in.rcx = 20, FL(CF)) \
	X(mul32,    "mull 0x730(%rbx)",			"r4@730")			\
	X(mul8,     "mulb 0x734(%rbx)",			"r1@734")			\
	X(imul64,   "imulq 0x738(%rbx)",		"r8@738", MEM(0x738, -3ULL))	\
	X(imul16,   "imulw 0x740(%rbx)",		"r2@740")			\
	X(imul2_32, "imul 0x744(%rbx), %ecx",		"r4@744")			\
	X(imul3_16, "imul $-3, 0x748(%rbx), %dx",	"r2@748")			\
	X(imul3_64, "imul $0x12345, 0x750(%rbx), %rsi",	"r8@750")			\
	X(div32,    "divl 0x7a0(%rbx)",			"r4@7a0", DIV_MEM, .in.rdx = 5)	\
	X(div8,     "divb 0x7a3(%rbx)",			"r1@7a3", DIV_MEM, .in.rax = 0x734) \
	X(idiv64,   "idivq 0x7a0(%rbx)",		"r8@7a0", DIV_MEM,		\
	  .in.rdx = -1ULL, .in.rax = -0x1234567ULL)					\
	X(idiv16,   "idivw 0x7a0(%rbx)",		"r2@7a0", DIV_MEM,		\
	  .in.rdx = 0xffff, .in.rax = 0x8000)						\
	X(push64,   "pushq 0x760(%rbx); popq %rax",	"r8@760")			\
	X(push16,   "pushw 0x768(%rbx); popw %cx",	"r2@768")			\
	X(pop64,    "pushq %rdx; popq 0x770(%rbx)",	"w8@770")			\
	X(pop16,    "pushw %si; popw 0x778(%rbx)",	"w2@778")

#define SSE_CASES(X)								\
	X(dqu_ld,   "movdqu 0x500(%rbx), %xmm0",	"r8@500 r8@508")		\
	X(dqu_st,   "movdqu %xmm1, 0x513(%rbx)",	"w8@513 w8@51b")		\
	X(dqa_ld,   "movdqa 0x520(%rbx), %xmm1",	"r8@520 r8@528")		\
	X(dqa_st,   "movdqa %xmm0, 0x530(%rbx)",	"w8@530 w8@538")		\
	X(ups_ld,   "movups 0x541(%rbx), %xmm1",	"r8@541 r8@549")		\
	X(ups_st,   "movups %xmm0, 0x550(%rbx)",	"w8@550 w8@558")		\
	X(aps_ld,   "movaps 0x560(%rbx), %xmm0",	"r8@560 r8@568")		\
	X(aps_st,   "movaps %xmm1, 0x570(%rbx)",	"w8@570 w8@578")		\
	X(apd_ld,   "movapd 0x580(%rbx), %xmm1",	"r8@580 r8@588")		\
	X(upd_st,   "movupd %xmm0, 0x592(%rbx)",	"w8@592 w8@59a")		\
	X(ntdq,     "movntdq %xmm1, 0x5a0(%rbx)",	"w8@5a0 w8@5a8")		\
	X(ntps,     "movntps %xmm0, 0x5b0(%rbx)",	"w8@5b0 w8@5b8")

/* Linux 6.1's emulator has no MOVD/MOVQ (0f 6e/7e, 0f d6): optional. */
#define SSE_MOVQ_CASES(X)							\
	X(movd_ld,  "movd 0x5c0(%rbx), %xmm0",		"r4@5c0")			\
	X(movd_st,  "movd %xmm1, 0x5c4(%rbx)",		"w4@5c4")			\
	X(movq_ld,  "movq 0x5c8(%rbx), %xmm1",		"r8@5c8")			\
	X(movq_st,  "movq %xmm0, 0x5d0(%rbx)",		"w8@5d0")

/* VEX-encoded: Linux 6.1's emulator has none (optional). VEX.128 loads zero bits 255:128. */
#define AVX_CASES(X)								\
	X(vdqu_ld16, "vmovdqu 0x600(%rbx), %xmm0",	"r8@600 r8@608")		\
	X(vdqu_st16, "vmovdqu %xmm1, 0x610(%rbx)",	"w8@610 w8@618")		\
	X(vdqu_ld32, "vmovdqu 0x620(%rbx), %ymm0",	"r8@620 r8@628 r8@630 r8@638")	\
	X(vdqu_st32, "vmovdqu %ymm1, 0x640(%rbx)",	"w8@640 w8@648 w8@650 w8@658")	\
	X(vups_ld16, "vmovups 0x661(%rbx), %xmm1",	"r8@661 r8@669")		\
	X(vups_st16, "vmovups %xmm0, 0x670(%rbx)",	"w8@670 w8@678")		\
	X(vups_ld32, "vmovups 0x683(%rbx), %ymm1",	"r8@683 r8@68b r8@693 r8@69b")	\
	X(vups_st32, "vmovups %ymm0, 0x6a0(%rbx)",	"w8@6a0 w8@6a8 w8@6b0 w8@6b8")	\
	X(vdqu_x32,  "vmovdqu %ymm1, 0xff0(%rbx)",	"w8@ff0 w8@ff8 w8@1000 w8@1008")

/*
 * Crossing pages: one piece per page, each piece then in exits of at most 8 bytes. A
 * piece in RAM (the page below the MMIO base) is done by KVM and makes no exit.
 */
#define CROSS_CASES(X)								\
	X(x_st64,   "mov %rax, 0xffc(%rbx)",		"w4@ffc w4@1000")		\
	X(x_ld32,   "mov 0xffd(%rbx), %eax",		"r3@ffd r1@1000")		\
	X(x_ld16,   "mov 0xfff(%rbx), %cx",		"r1@fff r1@1000")		\
	X(x_dqu_st, "movdqu %xmm1, 0xffa(%rbx)",	"w6@ffa w8@1000 w2@1008")	\
	X(x_dqu_ld, "movdqu 0xff9(%rbx), %xmm0",	"r7@ff9 r8@1000 r1@1008")	\
	X(x_add,    "addl $0x01010101, 0xffe(%rbx)",	"r2@ffe r2@1000 w2@ffe w2@1000") \
	X(x_xchg,   "xchg %rax, 0xffb(%rbx)",		"r5@ffb r3@1000 w5@ffb w3@1000") \
	X(x_stos,   "rep stosl",	"w2@ffe w2@1000 w4@1002", .in.rdi = M(0xffe), .in.rcx = 2) \
	X(r_st64,   "mov %rax, -4(%rbx)",		"w4@0")				\
	X(r_ld64,   "mov -3(%rbx), %rdx",		"r5@0")				\
	X(r_dqu_st, "movdqu %xmm0, -6(%rbx)",		"w8@0 w2@8")			\
	X(r_add,    "addq $0x7f, -2(%rbx)",		"r6@0 w6@0")

/* Each instruction: a label, the instruction, ret. */
#define CASE_ASM(id, text, ...)	"insn_" #id ":\n\t" text "\n\tret\n"
#define CASE_DECL(id, ...)	extern const uint8_t insn_##id[];
#define CASE_ENTRY(id, text, acc, ...) \
	{ .name = text, .insn = insn_##id, .accesses = acc, __VA_ARGS__ },

#define ALL_CASES(X)								\
	MOV_CASES(X) EXT_CASES(X) STRING_CASES(X) ALU_CASES(X) RMW_CASES(X)	\
	BT_CASES(X) ARITH_CASES(X) SSE_CASES(X) SSE_MOVQ_CASES(X) AVX_CASES(X) CROSS_CASES(X)

asm(".pushsection .text\n" ALL_CASES(CASE_ASM) ".popsection\n");
ALL_CASES(CASE_DECL)

static const struct mmio_case mov_cases[] = { MOV_CASES(CASE_ENTRY) };
static const struct mmio_case ext_cases[] = { EXT_CASES(CASE_ENTRY) };
static const struct mmio_case string_cases[] = { STRING_CASES(CASE_ENTRY) };
static const struct mmio_case alu_cases[] = { ALU_CASES(CASE_ENTRY) };
static const struct mmio_case rmw_cases[] = { RMW_CASES(CASE_ENTRY) };
static const struct mmio_case bt_cases[] = { BT_CASES(CASE_ENTRY) };
static const struct mmio_case arith_cases[] = { ARITH_CASES(CASE_ENTRY) };
static const struct mmio_case sse_cases[] = { SSE_CASES(CASE_ENTRY) };
static const struct mmio_case sse_movq_cases[] = { SSE_MOVQ_CASES(CASE_ENTRY) };
static const struct mmio_case avx_cases[] = { AVX_CASES(CASE_ENTRY) };
static const struct mmio_case cross_cases[] = { CROSS_CASES(CASE_ENTRY) };

struct case_group {
	const char *name;
	const struct mmio_case *cases;
	int n;
	bool optional;	/* an emulation failure skips the instruction (Linux 6.1 lacks it) */
	bool avx;	/* ymm registers; needs AVX in the host and the guest */
};

#define GROUP(title, table, ...) \
	{ .name = title, .cases = table, .n = sizeof(table) / sizeof(table[0]), __VA_ARGS__ }
static const struct case_group groups[] = {
	GROUP("MOV 1/2/4/8 bytes both ways, AH/DH, immediates, moffs", mov_cases),
	GROUP("MOVZX, MOVSX, MOVSXD, MOVNTI, CMOVcc", ext_cases),
	GROUP("STOS, LODS, MOVS (REP, DF=1, MMIO<->RAM, MMIO->MMIO), SCAS, CMPS",
	      string_cases),
	GROUP("ADD OR ADC SBB AND SUB XOR CMP TEST, LOCK", alu_cases),
	GROUP("NOT NEG INC DEC XCHG XADD CMPXCHG CMPXCHG8B", rmw_cases),
	GROUP("BT BTS BTR BTC", bt_cases),
	GROUP("SHL SHR SAR ROL ROR RCL RCR, MUL IMUL DIV IDIV, PUSH/POP of memory", arith_cases),
	GROUP("SSE 16-byte moves", sse_cases),
	GROUP("SSE MOVD/MOVQ", sse_movq_cases, .optional = true),
	GROUP("AVX VMOVDQU/VMOVUPS 16 and 32 bytes", avx_cases, .optional = true,
	      .avx = true),
	GROUP("page-crossing accesses", cross_cases),
};

/* Registers an instruction does not set up explicitly: junk that would show if kept. */
static const struct cpu_state junk_state = {
	.rax = 0xa0a1a2a3a4a5a6a7ULL, .rbx = M(0), .rcx = 0xc0c1c2c3c4c5c6c7ULL,
	.rdx = 0xd0d1d2d3d4d5d6d7ULL, .rsi = 0x5051525354555657ULL,
	.rdi = 0x7071727374757677ULL, .r8 = 0x8081828384858687ULL,
	.r9 = 0x9091929394959697ULL,
	.rflags = STATUS_FLAGS | X86_RFLAGS_FIXED,
};

static void case_input(const struct mmio_case *c, struct cpu_state *s)
{
	int i;

	*s = junk_state;
	for (i = 0; i < 9; i++) {
		if (c->in.regs[i])
			s->regs[i] = c->in.regs[i] == REG_ZERO ? 0 : c->in.regs[i];
	}
	for (i = 0; i < 64; i++)
		s->vec[i / 32][i % 32] = 0xe0 + i * 3;
}

/* Window contents before each instruction: a pattern, and the case's 8 bytes. */
static void window_init(const struct mmio_case *c, uint8_t *win)
{
	uint64_t i;

	for (i = 0; i < WIN_SIZE; i++)
		win[i] = i * 0x9d + (i >> 8) * 0x35 + 0x5b;
	if (c->mem_set) {
		TEST_ASSERT(c->mem_off + 8ULL <= MMIO_SIZE, "%s: MEM offset %#x", c->name,
			    c->mem_off);
		memcpy(win + PAGE_SIZE + c->mem_off, &c->mem_val, 8);
	}
}

/* --- the device behind the MMIO pages --- */

#define MAX_LOG			64

struct mmio_access {
	uint64_t off;
	uint32_t len;
	bool write;
	uint8_t data[8];	/* written, or served to a read */
};

static struct {
	uint64_t base;			/* gpa of mem[0] */
	uint8_t mem[MMIO_SIZE];
	struct mmio_access log[MAX_LOG];
	int nlog;
	int total;			/* exits served in this process */
} dev;

static void dev_reset(uint64_t base, const uint8_t *contents)
{
	dev.base = base;
	memcpy(dev.mem, contents, MMIO_SIZE);
	dev.nlog = 0;
}

/* Serve one KVM_EXIT_MMIO: reads from mem, writes into it; log it. */
static void dev_access(struct kvm_run *run)
{
	uint64_t gpa = run->mmio.phys_addr, off = gpa - dev.base;
	uint32_t len = run->mmio.len;

	TEST_ASSERT(gpa >= dev.base && len >= 1 && len <= 8 && off + len <= MMIO_SIZE &&
		    run->mmio.is_write <= 1,
		    "MMIO exit outside the device [%#llx, %#llx): gpa %#llx len %u is_write %u",
		    (unsigned long long)dev.base, (unsigned long long)(dev.base + MMIO_SIZE),
		    (unsigned long long)gpa, len, run->mmio.is_write);
	TEST_ASSERT(dev.nlog < MAX_LOG, "more than %d MMIO exits for one instruction", MAX_LOG);
	dev.log[dev.nlog] = (struct mmio_access){ .off = off, .len = len,
						  .write = run->mmio.is_write };
	dev.total++;
	if (run->mmio.is_write)
		memcpy(dev.mem + off, run->mmio.data, len);
	else
		memcpy(run->mmio.data, dev.mem + off, len);
	memcpy(dev.log[dev.nlog++].data, run->mmio.data, len);
}

/* KVM_RUN until an exit other than KVM_EXIT_MMIO, serving the MMIO exits. */
static void run_device(struct kvm_vcpu *vcpu)
{
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason != KVM_EXIT_MMIO)
			return;
		dev_access(vcpu->run);
	}
}

static void format_accesses(const struct mmio_access *a, int n, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%c%u@%llx", i ? " " : "",
				a[i].write ? 'w' : 'r', a[i].len, (unsigned long long)a[i].off);
	if (!n)
		snprintf(buf, size, "(none)");
}

/* "r8@10 w8@10" -> accesses; returns how many. */
static int parse_accesses(const char *s, struct mmio_access *a, int max)
{
	unsigned long long off;
	unsigned int len;
	char rw;
	int n = 0, used;

	while (sscanf(s, " %c%u@%llx%n", &rw, &len, &off, &used) == 3) {
		TEST_ASSERT(n < max && (rw == 'r' || rw == 'w'), "bad access list \"%s\"", s);
		a[n++] = (struct mmio_access){ .off = off, .len = len, .write = rw == 'w' };
		s += used;
	}
	return n;
}

static void assert_log(const char *what, const char *expected)
{
	struct mmio_access want[MAX_LOG];
	char want_s[512], got_s[512];
	int n = parse_accesses(expected, want, MAX_LOG);

	format_accesses(want, n, want_s, sizeof(want_s));
	format_accesses(dev.log, dev.nlog, got_s, sizeof(got_s));
	TEST_ASSERT(!strcmp(want_s, got_s), "%s: MMIO exits (r/w, len@offset): expected %s, got %s",
		    what, want_s, got_s);
}

static void assert_mem(const char *what, const char *mem, const uint8_t *want,
		       const uint8_t *got, size_t size, uint64_t base)
{
	uint64_t w = 0, g = 0;
	size_t i;

	for (i = 0; i < size && want[i] == got[i]; i++)
		;
	if (i == size)
		return;
	i &= ~7UL;
	memcpy(&w, want + i, size - i < 8 ? size - i : 8);
	memcpy(&g, got + i, size - i < 8 ? size - i : 8);
	TEST_ASSERT(0, "%s: %s at %#llx: expected %#018llx, got %#018llx (8 bytes, LE)", what,
		    mem, (unsigned long long)(base + i), (unsigned long long)w,
		    (unsigned long long)g);
}

static void format_vec(const uint8_t *v, int n, char *buf)
{
	int i;

	for (i = n - 1; i >= 0; i--)
		buf += sprintf(buf, "%02x", v[i]);
}

/*
 * Each write exit carries the bytes the native run left there (no instruction here writes
 * a location twice with different values).
 */
static void assert_write_data(const char *what, const uint8_t *native_mmio)
{
	uint64_t w, g;
	int i;

	for (i = 0; i < dev.nlog; i++) {
		const struct mmio_access *a = &dev.log[i];

		if (!a->write)
			continue;
		w = g = 0;
		memcpy(&w, native_mmio + a->off, a->len);
		memcpy(&g, a->data, a->len);
		TEST_ASSERT(w == g, "%s: data of exit %d (w%u@%llx): expected %#llx, got %#llx",
			    what, i + 1, a->len, (unsigned long long)a->off,
			    (unsigned long long)w, (unsigned long long)g);
	}
}

/* Native result against the guest's: GPRs, the flags the instruction defines, vectors. */
static void assert_state(const struct mmio_case *c, const struct cpu_state *want,
			 const struct cpu_state *got, int vec_bytes)
{
	uint64_t mask = c->flags_mask ? c->flags_mask : STATUS_FLAGS | DF;
	char w[80], g[80];
	int i;

	for (i = 0; i < NR_GPRS; i++)
		TEST_ASSERT(want->regs[i] == got->regs[i],
			    "%s: %s: expected %#llx (native), got %#llx (guest)", c->name,
			    reg_names[i], (unsigned long long)want->regs[i],
			    (unsigned long long)got->regs[i]);
	TEST_ASSERT(!((want->rflags ^ got->rflags) & mask),
		    "%s: rflags & %#llx: expected %#llx (native), got %#llx (guest)", c->name,
		    (unsigned long long)mask, (unsigned long long)(want->rflags & mask),
		    (unsigned long long)(got->rflags & mask));
	for (i = 0; i < 2; i++) {
		format_vec(want->vec[i], vec_bytes, w);
		format_vec(got->vec[i], vec_bytes, g);
		TEST_ASSERT(!memcmp(want->vec[i], got->vec[i], vec_bytes),
			    "%s: %smm%d: expected %s (native), got %s (guest)", c->name,
			    vec_bytes == 32 ? "y" : "x", i, w, g);
	}
}

/* --- long mode --- */

static struct cpu_state guest_state;

/* The host replies to each SYNC with the next case (NULL: done). */
static void guest_run_cases(uint64_t avx)
{
	const struct mmio_case *c;

	while ((c = (const struct mmio_case *)GUEST_SYNC(0)))
		run_case(&guest_state, c->insn, avx);
	GUEST_DONE();
}

/* This process's copy of the window: the native run's memory. */
static uint8_t *native_win;

static void map_native_window(void)
{
	native_win = mmap((void *)RAM_GVA, WIN_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	TEST_ASSERT(native_win == (void *)RAM_GVA,
		    "mmap of the native window at %#llx: got %p",
		    (unsigned long long)RAM_GVA, native_win);
}

struct lm_guest {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct ucall uc;	/* the last SYNC, to reply to */
};

/* A long-mode VM with the window mapped: RAM page, then the MMIO pages (no memslot). */
static struct kvm_vm *mmio_vm_new(void *guest_code, struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);

	guest_map_page(vm, RAM_GVA, vm_alloc_pages(vm, 1));
	guest_map_range(vm, MMIO_GVA, MMIO_GPA, MMIO_SIZE);
	*vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	return vm;
}

/* What the guest did instead of a ucall, or which unexpected ucall. */
static const char *exit_desc(struct kvm_vcpu *vcpu, const struct ucall *uc, uint64_t cmd,
			     char *buf, size_t size)
{
	struct kvm_run *run = vcpu->run;
	size_t n;
	int i;

	if (cmd == UCALL_UNHANDLED) {
		snprintf(buf, size, "guest exception %llu (error code %#llx) at rip %#llx",
			 (unsigned long long)uc->args[0], (unsigned long long)uc->args[1],
			 (unsigned long long)uc->args[2]);
		return buf;
	}
	if (cmd != UCALL_NONE) {
		snprintf(buf, size, "%s", ucall_name(cmd));
		return buf;
	}
	vcpu_exit_str(vcpu, buf, size);
	n = strlen(buf);
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	    run->emulation_failure.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) &&
	    run->emulation_failure.insn_size) {
		n += snprintf(buf + n, size - n, " (emulation failure, bytes");
		for (i = 0; i < run->emulation_failure.insn_size && i < 15 && n < size; i++)
			n += snprintf(buf + n, size - n, " %02x",
				      run->emulation_failure.insn_bytes[i]);
		if (n < size)
			snprintf(buf + n, size - n, ")");
	}
	return buf;
}

static void lm_start(struct lm_guest *g, bool avx)
{
	char buf[256];
	uint64_t cmd;

	g->vm = mmio_vm_new(guest_run_cases, &g->vcpu);
	vcpu_set_args(g->vcpu, avx);
	vcpu_run(g->vcpu);
	cmd = get_ucall(g->vcpu, &g->uc);
	TEST_ASSERT(cmd == UCALL_SYNC, "guest start: %s",
		    exit_desc(g->vcpu, &g->uc, cmd, buf, sizeof(buf)));
}

/*
 * One instruction, natively and in the guest; false if it was optional and KVM could not
 * emulate it (the exit is described in why; the VM is replaced: KVM queued #UD).
 */
static bool run_one(struct lm_guest *g, const struct case_group *grp, const struct mmio_case *c,
		    char *why, size_t why_size)
{
	struct kvm_vcpu *vcpu = g->vcpu;
	struct kvm_run *run = vcpu->run;
	struct cpu_state in, native, guest;
	uint8_t init[WIN_SIZE];
	char buf[256];
	uint64_t cmd;

	case_input(c, &in);
	window_init(c, init);

	memcpy(native_win, init, WIN_SIZE);
	native = in;
	run_case(&native, c->insn, grp->avx);

	memcpy(addr_gva2hva(g->vm, RAM_GVA), init, PAGE_SIZE);
	dev_reset(MMIO_GPA, init + PAGE_SIZE);
	memcpy(addr_gva2hva(g->vm, (uint64_t)&guest_state), &in, sizeof(in));
	ucall_reply(vcpu, &g->uc, (uint64_t)c);
	run_device(vcpu);

	if (grp->optional && run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	    run->emulation_failure.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		exit_desc(vcpu, NULL, UCALL_NONE, why, why_size);
		kvm_vm_free(g->vm);
		lm_start(g, grp->avx);
		return false;
	}
	cmd = get_ucall(vcpu, &g->uc);
	TEST_ASSERT(cmd == UCALL_SYNC, "%s: expected the guest to finish it, got: %s", c->name,
		    exit_desc(vcpu, &g->uc, cmd, buf, sizeof(buf)));
	memcpy(&guest, addr_gva2hva(g->vm, (uint64_t)&guest_state), sizeof(guest));

	assert_log(c->name, c->accesses);
	assert_write_data(c->name, native_win + PAGE_SIZE);
	assert_state(c, &native, &guest, grp->avx ? 32 : 16);
	assert_mem(c->name, "MMIO", native_win + PAGE_SIZE, dev.mem, MMIO_SIZE, MMIO_GPA);
	assert_mem(c->name, "RAM", native_win, addr_gva2hva(g->vm, RAM_GVA), PAGE_SIZE,
		   RAM_GVA);
	return true;
}

#define CPUID_1_ECX_OSXSAVE	(1U << 27)
#define CPUID_1_ECX_AVX		(1U << 28)

static bool host_has_avx(void)
{
	uint32_t eax, ebx, ecx, edx;

	x86_cpuid(1, 0, &eax, &ebx, &ecx, &edx);
	if (!(ecx & CPUID_1_ECX_AVX) || !(ecx & CPUID_1_ECX_OSXSAVE))
		return false;
	return (x86_xgetbv(0) & (XFEATURE_MASK_SSE | XFEATURE_MASK_AVX)) ==
	       (XFEATURE_MASK_SSE | XFEATURE_MASK_AVX);
}

/*
 * The guest's AVX: XCR0 and CR4.OSXSAVE come from KVM_SET_XCRS and KVM_SET_SREGS
 * (x86_guest.c). Never XSETBV in the guest: the emulated host's QEMU TCG does not
 * intercept it properly and changes the host's own XCR0.
 */
static bool guest_has_avx(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vcpu->vm, 1, 0);
	struct kvm_xcrs xcrs;
	struct kvm_sregs sregs;
	uint32_t i;

	if (!e || !(e->ecx & CPUID_1_ECX_AVX) || !kvm_check_cap(vcpu->vm->kvm_fd, KVM_CAP_XCRS))
		return false;
	vcpu_get_sregs(vcpu, &sregs);
	if (!(sregs.cr4 & X86_CR4_OSXSAVE))
		return false;
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	for (i = 0; i < xcrs.nr_xcrs; i++)
		if (xcrs.xcrs[i].xcr == 0)
			return (xcrs.xcrs[i].value & XFEATURE_MASK_AVX) != 0;
	return false;
}

static const struct case_group *cur_group;

static void test_group(void)
{
	const struct case_group *grp = cur_group;
	struct lm_guest g;
	char missing[512] = "", why[256];
	size_t len = 0;
	int i, skipped = 0;

	if (grp->avx && !host_has_avx())
		subtest_skip("no AVX in this CPU (CPUID.1:ECX.AVX/OSXSAVE, XCR0)");
	lm_start(&g, grp->avx);
	if (grp->avx && !guest_has_avx(g.vcpu))
		subtest_skip("KVM gives the guest no AVX (CPUID, CR4.OSXSAVE, XCR0)");
	for (i = 0; i < grp->n; i++) {
		if (run_one(&g, grp, &grp->cases[i], why, sizeof(why)))
			continue;
		if (!skipped++)
			ksft_print_msg("%s: %s\n", grp->cases[i].name, why);
		if (len < sizeof(missing))
			len += snprintf(missing + len, sizeof(missing) - len, "%s%s",
					len ? "; " : "", grp->cases[i].name);
	}
	ucall_reply(g.vcpu, &g.uc, 0);
	vcpu_run_expect_ucall(g.vcpu, UCALL_DONE, NULL);
	kvm_vm_free(g.vm);
	if (skipped)
		subtest_skip("%d of %d instructions not emulated by this KVM: %s", skipped,
			     grp->n, missing);
	ksft_print_msg("%d instructions, %d MMIO exits\n", grp->n, dev.total);
}

/* --- 16-bit real mode and 32-bit protected mode --- */

#define REAL_MMIO_GPA		0xa0000ULL	/* above the VM's 640 KiB: the VGA hole */
#define REAL_MMIO_SEL		0xa000
#define BLOB_RESULT_GPA		0x1400	/* 6 dwords, after the struct ucall */
#define BLOB_SRC_GPA		0x1500	/* REP MOVSB RAM -> MMIO source */
#define BLOB_DST_GPA		0x1600	/* REP MOVSW MMIO -> RAM destination */
#define BLOB_SRC		"MMIO!"
#define BLOB_ADD_VAL		0x7fffffffU	/* at 0x30: + 1 overflows */
#define BLOB_SUB_VAL		5		/* at 0x34: 5 - it is 0 */

#define UC(off)			str(GUEST_BLOB_UCALL_GPA + off)
#define RES(n)			str(BLOB_RESULT_GPA + 4 * (n))

/*
 * The same source as .code16 and .code32: the assembler adds the operand- and address-size
 * prefixes in real mode. ES and FS are the MMIO segment, EBX the MMIO base within it (real
 * mode: ES base 0xa0000, EBX 0; protected mode: flat segments, EBX the gpa); DS is RAM.
 * REP string instructions use (E)SI/(E)DI/(E)CX of the mode's address size.
 */
#define MMIO_BLOB(name, code)							\
	"	.pushsection .rodata.guest_blobs, \"a\"\n"			\
	"	" code "\n"							\
	#name "_start:\n"							\
	"	mov $0x11223344, %eax\n"					\
	"	movb %es:0x10(%ebx), %al\n"					\
	"	movl %eax, " RES(0) "\n"					\
	"	movw %es:0x12(%ebx), %ax\n"					\
	"	movl %eax, " RES(1) "\n"					\
	"	movl %es:0x14(%ebx), %eax\n"					\
	"	movl %eax, " RES(2) "\n"					\
	"	movb $0xa5, %es:0x20(%ebx)\n"					\
	"	mov $0x9876, %cx\n"						\
	"	movw %cx, %es:0x22(%ebx)\n"					\
	"	mov $0xfedcba98, %ecx\n"					\
	"	movl %ecx, %es:0x24(%ebx)\n"					\
	"	mov $1, %ecx\n"							\
	"	addl %ecx, %es:0x30(%ebx)\n"					\
	"	pushfl\n"							\
	"	popl %eax\n"							\
	"	movl %eax, " RES(3) "\n"					\
	"	mov $5, %ecx\n"							\
	"	subl %es:0x34(%ebx), %ecx\n"					\
	"	pushfl\n"							\
	"	popl %eax\n"							\
	"	movl %eax, " RES(4) "\n"					\
	"	movl %ecx, " RES(5) "\n"					\
	"	cld\n"								\
	"	lea 0x40(%ebx), %edi\n"						\
	"	mov $3, %ecx\n"							\
	"	mov $0xbeef, %ax\n"						\
	"	rep stosw\n"							\
	"	mov $" str(BLOB_SRC_GPA) ", %esi\n"				\
	"	lea 0x50(%ebx), %edi\n"						\
	"	mov $5, %ecx\n"							\
	"	rep movsb\n"							\
	"	push %ds\n"							\
	"	pop %es\n"							\
	"	lea 0x60(%ebx), %esi\n"						\
	"	mov $" str(BLOB_DST_GPA) ", %edi\n"				\
	"	mov $2, %ecx\n"							\
	"	.byte 0x64\n"	/* FS: the source is the MMIO segment */	\
	"	rep movsw\n"							\
	"	push %fs\n"							\
	"	pop %es\n"							\
	"	movl $" str(UCALL_DONE) ", " UC(UCALL_OFF_CMD) "\n"		\
	"	movl $0, " UC(UCALL_OFF_NARGS) "\n"				\
	"	mov $" str(GUEST_BLOB_UCALL_GPA) ", %eax\n"			\
	"	mov $" str(UCALL_PORT) ", %dx\n"				\
	"	outl %eax, %dx\n"						\
	"1:	hlt\n"								\
	"	jmp 1b\n"							\
	#name "_end:\n"								\
	"	.code64\n"							\
	"	.popsection\n"

asm(MMIO_BLOB(mmio_real, ".code16"));
asm(MMIO_BLOB(mmio_prot32, ".code32"));
extern const uint8_t mmio_real_start[], mmio_real_end[];
extern const uint8_t mmio_prot32_start[], mmio_prot32_end[];

static void blob_result(enum guest_mode mode, uint32_t got, uint32_t want, const char *what)
{
	TEST_ASSERT(got == want, "%s: %s: expected %#x, got %#x",
		    mode == GUEST_MODE_REAL ? "real mode" : "protected mode", what, want, got);
}

#define BLOB_EXITS	"r1@10 r2@12 r4@14 w1@20 w2@22 w4@24 r4@30 w4@30 r4@34 " \
			"w2@40 w2@42 w2@44 w1@50 w1@51 w1@52 w1@53 w1@54 r2@60 r2@62"

static void test_blob(enum guest_mode mode)
{
	bool real = mode == GUEST_MODE_REAL;
	uint64_t base = real ? REAL_MMIO_GPA : MMIO_GPA;
	struct kvm_vm *vm = guest_vm_new(mode, real ? 0xa0000 : 1 * MiB);
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint8_t init[MMIO_SIZE], want[MMIO_SIZE];
	uint32_t res[6], v32;
	uint16_t v16;
	struct ucall uc;
	char buf[256];
	uint64_t cmd;
	int i;

	if (real)
		vm_load_blob(vm, GUEST_BLOB_CODE_GPA, mmio_real_start, mmio_real_end);
	else
		vm_load_blob(vm, GUEST_BLOB_CODE_GPA, mmio_prot32_start, mmio_prot32_end);
	vcpu = guest_vcpu_add(vm, 0, GUEST_BLOB_CODE_GPA);
	vcpu_get_sregs(vcpu, &sregs);
	if (real) {
		struct kvm_segment seg = {
			.base = REAL_MMIO_GPA, .limit = 0xffff, .selector = REAL_MMIO_SEL,
			.type = 3, .present = 1, .s = 1,
		};

		sregs.es = sregs.fs = seg;
		vcpu_set_sregs(vcpu, &sregs);
	}
	vcpu_get_regs(vcpu, &regs);
	regs.rbx = real ? 0 : base;
	vcpu_set_regs(vcpu, &regs);

	for (i = 0; i < (int)MMIO_SIZE; i++)
		init[i] = i * 0x3b + 0x17;
	v32 = BLOB_ADD_VAL;
	memcpy(init + 0x30, &v32, 4);
	v32 = BLOB_SUB_VAL;
	memcpy(init + 0x34, &v32, 4);
	dev_reset(base, init);
	memcpy(addr_gpa2hva(vm, BLOB_SRC_GPA), BLOB_SRC, 5);

	run_device(vcpu);
	cmd = get_ucall(vcpu, &uc);
	TEST_ASSERT(cmd == UCALL_DONE, "expected UCALL_DONE from the blob, got: %s",
		    exit_desc(vcpu, &uc, cmd, buf, sizeof(buf)));
	assert_log(real ? "real mode" : "protected mode", BLOB_EXITS);

	memcpy(res, addr_gpa2hva(vm, BLOB_RESULT_GPA), sizeof(res));
	blob_result(mode, res[0], 0x11223300 | init[0x10], "EAX after movb %es:0x10(%ebx), %al");
	memcpy(&v16, init + 0x12, 2);
	blob_result(mode, res[1], 0x11220000 | v16, "EAX after movw %es:0x12(%ebx), %ax");
	memcpy(&v32, init + 0x14, 4);
	blob_result(mode, res[2], v32, "EAX after movl %es:0x14(%ebx), %eax");
	/* 0x7fffffff + 1: OF, SF, AF, PF (low byte 0: even parity) */
	blob_result(mode, res[3] & STATUS_FLAGS, OF | SF | AF | PF,
		    "EFLAGS & 0x8d5 after addl %ecx(1), %es:0x30(%ebx)(0x7fffffff)");
	/* 5 - 5: ZF, PF */
	blob_result(mode, res[4] & STATUS_FLAGS, ZF | PF,
		    "EFLAGS & 0x8d5 after subl %es:0x34(%ebx)(5), %ecx(5)");
	blob_result(mode, res[5], 0, "ECX after subl %es:0x34(%ebx)(5), %ecx(5)");

	memcpy(want, init, MMIO_SIZE);
	want[0x20] = 0xa5;
	v16 = 0x9876;
	memcpy(want + 0x22, &v16, 2);
	v32 = 0xfedcba98;
	memcpy(want + 0x24, &v32, 4);
	v32 = BLOB_ADD_VAL + 1;
	memcpy(want + 0x30, &v32, 4);
	for (i = 0; i < 3; i++) {
		v16 = 0xbeef;
		memcpy(want + 0x40 + 2 * i, &v16, 2);
	}
	memcpy(want + 0x50, BLOB_SRC, 5);
	assert_mem("blob", "MMIO", want, dev.mem, MMIO_SIZE, base);
	assert_mem("blob", "RAM", init + 0x60, addr_gpa2hva(vm, BLOB_DST_GPA), 4, BLOB_DST_GPA);
	kvm_vm_free(vm);
}

static void test_real(void)
{
	test_blob(GUEST_MODE_REAL);
}

static void test_prot32(void)
{
	test_blob(GUEST_MODE_PROT32);
}

/*
 * Real mode: a word at ES:0xffff in device memory crosses ES's 64 KiB limit: #GP(0) through
 * the IVT, no MMIO access (SDM vol. 3A 5.3; QEMU TCG reported the nested page fault on the
 * device memory before checking the limit, and the emulator did not check; stock does).
 */
asm("	.pushsection .rodata.guest_blobs, \"a\"\n"
    "	.code16\n"
    "limit_start:\n"
    "	movw %es:0xffff, %ax\n"
    "	movw $1, %ax\n"
    "	outw %ax, $0x80\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    "limit_gp:\n"
    "	movw $13, %ax\n"
    "	outw %ax, $0x80\n"
    "2:	hlt\n"
    "	jmp 2b\n"
    "limit_end:\n"
    "	.code64\n"
    "	.popsection\n");
extern const uint8_t limit_start[], limit_gp[], limit_end[];

static void test_real_limit(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_REAL, 0xa0000);
	struct kvm_segment es = {
		.base = REAL_MMIO_GPA, .limit = 0xffff, .selector = REAL_MMIO_SEL,
		.type = 3, .present = 1, .s = 1,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint16_t *ivt;

	vm_load_blob(vm, GUEST_BLOB_CODE_GPA, limit_start, limit_end);
	vcpu = guest_vcpu_add(vm, 0, GUEST_BLOB_CODE_GPA);
	run = vcpu->run;
	vcpu_get_sregs(vcpu, &sregs);
	vcpu_get_regs(vcpu, &regs);
	sregs.es = es;
	sregs.idt.base = 0;
	sregs.idt.limit = 0x3ff;
	vcpu_set_sregs(vcpu, &sregs);
	ivt = addr_gpa2hva(vm, 13 * 4);
	ivt[0] = regs.rip + (limit_gp - limit_start);
	ivt[1] = sregs.cs.selector;
	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason != KVM_EXIT_MMIO,
		    "MMIO %s at %#llx: a word at ES:0xffff must be #GP(0), not an access",
		    run->mmio.is_write ? "write" : "read",
		    (unsigned long long)run->mmio.phys_addr);
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(0x80, run->io.port);
	TEST_ASSERT(*(uint16_t *)vcpu_io_data(vcpu) == 13,
		    "the word at ES:0xffff did not raise #GP (OUT %#x)",
		    *(uint16_t *)vcpu_io_data(vcpu));
	kvm_vm_free(vm);
}

/* --- an instruction KVM does not emulate --- */

extern const uint8_t flds_insn[];

static void guest_flds(void)
{
	/* d9 43 10: x87 FLD m32fp, no emulator handles it */
	asm volatile("flds_insn: flds 0x10(%0)\n\t"
		     "fstp %%st(0)" : : "b"(M(0)) : "memory");
	GUEST_FAIL("flds from MMIO completed");
}

static void test_emulation_failure(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = mmio_vm_new(guest_flds, &vcpu);
	struct kvm_run *run = vcpu->run;
	struct ucall uc;
	char bytes[64];
	int i, n = 0;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_INTERNAL_ERROR);
	TEST_ASSERT_EQ(KVM_INTERNAL_ERROR_EMULATION, run->emulation_failure.suberror);
	TEST_ASSERT(run->emulation_failure.flags &
		    KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES,
		    "emulation failure flags %#llx: expected INSTRUCTION_BYTES (bit 0)",
		    (unsigned long long)run->emulation_failure.flags);
	/* ndata counts the 64-bit words of flags, insn_size and insn_bytes at least */
	TEST_ASSERT(run->emulation_failure.ndata >= 3,
		    "emulation failure ndata: expected at least 3, got %u",
		    run->emulation_failure.ndata);
	TEST_ASSERT(run->emulation_failure.insn_size >= 3 &&
		    run->emulation_failure.insn_size <= 15,
		    "insn_size: expected 3 (d9 43 10) to 15, got %u",
		    run->emulation_failure.insn_size);
	for (i = 0; i < run->emulation_failure.insn_size; i++) {
		TEST_ASSERT(run->emulation_failure.insn_bytes[i] == flds_insn[i],
			    "insn_bytes[%d]: expected %#x (the guest's code), got %#x", i,
			    flds_insn[i], run->emulation_failure.insn_bytes[i]);
		n += sprintf(bytes + n, " %02x", run->emulation_failure.insn_bytes[i]);
	}
	TEST_ASSERT_EQ((uint64_t)flds_insn, vcpu_get_rip(vcpu));
	ksft_print_msg("flds: ndata %u, flags %#llx, %u bytes:%s\n",
		       run->emulation_failure.ndata,
		       (unsigned long long)run->emulation_failure.flags,
		       run->emulation_failure.insn_size, bytes);

	/* Linux queues #UD before it exits at CPL 0: the next KVM_RUN delivers it */
	vcpu_run_expect_ucall(vcpu, UCALL_UNHANDLED, &uc);
	TEST_ASSERT_EQ(UD_VECTOR, uc.args[0]);
	TEST_ASSERT_EQ((uint64_t)flds_insn, uc.args[2]);
	kvm_vm_free(vm);
}

/*
 * api.rst 7.27 KVM_CAP_EXIT_ON_EMULATION_FAILURE: the same exit, but no #UD is queued, so
 * a VMM can skip the instruction and resume; with args[0] 0 again, the #UD is back.
 */
extern const uint8_t flds_skip_insn[], flds_ud_insn[];

static void guest_flds_skip(void)
{
	asm volatile("flds_skip_insn: flds 0x10(%0)" : : "b"(M(0)) : "memory");
	GUEST_SYNC(0);
	asm volatile("flds_ud_insn: flds 0x10(%0)" : : "b"(M(0)) : "memory");
	GUEST_FAIL("flds from MMIO completed");
}

static void test_exit_on_emulation_failure(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE, .args[0] = 1 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_regs regs;
	struct ucall uc;

	vm = mmio_vm_new(guest_flds_skip, &vcpu);
	if (!kvm_check_cap(vm->fd, KVM_CAP_EXIT_ON_EMULATION_FAILURE))
		subtest_skip("KVM_CAP_EXIT_ON_EMULATION_FAILURE not reported");
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_INTERNAL_ERROR);
	TEST_ASSERT_EQ(KVM_INTERNAL_ERROR_EMULATION, vcpu->run->emulation_failure.suberror);
	TEST_ASSERT_EQ((uint64_t)flds_skip_insn, vcpu_get_rip(vcpu));
	/* d9 43 10: skipped by the VMM; the guest goes on without an exception */
	vcpu_get_regs(vcpu, &regs);
	regs.rip += 3;
	vcpu_set_regs(vcpu, &regs);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);

	cap.args[0] = 0;
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_INTERNAL_ERROR);
	TEST_ASSERT_EQ((uint64_t)flds_ud_insn, vcpu_get_rip(vcpu));
	vcpu_run_expect_ucall(vcpu, UCALL_UNHANDLED, &uc);
	TEST_ASSERT_EQ(UD_VECTOR, uc.args[0]);
	kvm_vm_free(vm);
}

/* --- completion of a pending access --- */

#define DONE_JUNK		0x0badc0de0badc0deULL
#define DONE_VAL1		0x1111222233334444ULL
#define DONE_VAL2		0x5555666677778888ULL
#define DONE_LO			0x0123456789abcdefULL
#define DONE_HI			0xfedcba9876543210ULL
#define DONE_WVAL		0x99aabbccddeeff00ULL

#define SR_RCX			0x7766554433221100ULL
#define SR_RDX			0x0f1e2d3c4b5a6978ULL
#define SR_RSI			0x1234abcd5678ef90ULL
#define SR_VAL			0x80000001U

extern const uint8_t rd_insn[], rd_end[], ie_rd_insn[], ie_rd_end[], ie_rd16_insn[],
		     ie_rd16_end[], ie_wr_insn[], ie_wr_end[], sr_insn[], sr_end[];

static void guest_completion(void)
{
	uint64_t v, xmm[2];

	asm volatile("rd_insn: mov 0x10(%1), %0\n"
		     "rd_end:" : "=a"(v) : "b"(M(0)), "0"(DONE_JUNK));
	GUEST_SYNC(1, v);
	asm volatile("ie_rd_insn: mov 0x18(%1), %0\n"
		     "ie_rd_end:" : "=a"(v) : "b"(M(0)), "0"(DONE_JUNK));
	GUEST_SYNC(2, v);
	asm volatile("ie_rd16_insn: movdqu 0x20(%1), %%xmm0\n"
		     "ie_rd16_end:\n\t"
		     "movdqu %%xmm0, (%0)" : : "r"(xmm), "b"(M(0)) : "xmm0", "memory");
	GUEST_SYNC(3, xmm[0], xmm[1]);
	asm volatile("ie_wr_insn: mov %0, 0x30(%1)\n"
		     "ie_wr_end:" : : "a"(DONE_WVAL), "b"(M(0)) : "memory");
	GUEST_SYNC(4);
	GUEST_DONE();
}

/* a 4-byte load whose exit the VMM answers after setting other registers */
static void guest_set_regs(void)
{
	uint64_t rax = DONE_JUNK, rcx = 1, rdx = 2, rsi = 3;

	asm volatile("sr_insn: movl 0x40(%4), %k0\n"
		     "sr_end:"
		     : "+a"(rax), "+c"(rcx), "+d"(rdx), "+S"(rsi) : "b"(M(0)));
	GUEST_SYNC(rcx, rdx, rsi);
	GUEST_SYNC(5, rax, 0);
	GUEST_DONE();
}

static void expect_mmio(struct kvm_vcpu *vcpu, uint64_t off, uint32_t len, bool write)
{
	struct kvm_run *run = vcpu->run;

	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	TEST_ASSERT_EQ(MMIO_GPA + off, run->mmio.phys_addr);
	TEST_ASSERT_EQ(len, run->mmio.len);
	TEST_ASSERT_EQ(write, run->mmio.is_write);
}

static void expect_sync(struct kvm_vcpu *vcpu, uint64_t n, uint64_t a1, uint64_t a2)
{
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(n, uc.args[0]);
	TEST_ASSERT_EQ(a1, uc.args[1]);
	TEST_ASSERT_EQ(a2, uc.args[2]);
}

/* A read waits with RIP at the instruction; the next KVM_RUN loads run->mmio.data. */
static void test_read_completion(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = mmio_vm_new(guest_completion, &vcpu);
	struct kvm_regs regs;
	uint64_t v = DONE_VAL1;

	vcpu_run(vcpu);
	expect_mmio(vcpu, 0x10, 8, false);
	vcpu_get_regs(vcpu, &regs);
	TEST_ASSERT_EQ((uint64_t)rd_insn, regs.rip);
	TEST_ASSERT_EQ(DONE_JUNK, regs.rax);
	memcpy(vcpu->run->mmio.data, &v, 8);
	expect_sync(vcpu, 1, DONE_VAL1, 0);
	kvm_vm_free(vm);
}

/*
 * KVM_SET_REGS between a read's exit and the KVM_RUN that completes it (api.rst 5, the note
 * under KVM_EXIT_MMIO: the operation completes only at that KVM_RUN): the registers the
 * instruction does not write keep what the VMM set, the read is not made again (the next
 * exit is the guest's ucall, not a second MMIO exit) and RIP ends past the instruction.
 * The destination is not checked: Linux KVM 6.1 drops its emulator's register cache on
 * KVM_SET_REGS and with it the loaded value (the register keeps what the VMM set), ours
 * loads it; the message says which.
 */
static void test_set_regs_during_read(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = mmio_vm_new(guest_set_regs, &vcpu);
	struct kvm_regs regs;
	uint32_t v = SR_VAL;
	struct ucall uc;

	vcpu_run(vcpu);
	expect_mmio(vcpu, 0x40, 4, false);
	vcpu_get_regs(vcpu, &regs);
	TEST_ASSERT_EQ((uint64_t)sr_insn, regs.rip);
	TEST_ASSERT_EQ(DONE_JUNK, regs.rax);
	TEST_ASSERT_EQ(1, regs.rcx);
	regs.rcx = SR_RCX;
	regs.rdx = SR_RDX;
	regs.rsi = SR_RSI;
	vcpu_set_regs(vcpu, &regs);
	memcpy(vcpu->run->mmio.data, &v, sizeof(v));
	expect_sync(vcpu, SR_RCX, SR_RDX, SR_RSI);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(5, uc.args[0]);
	TEST_ASSERT(uc.args[1] == SR_VAL || uc.args[1] == DONE_JUNK,
		    "destination after KVM_SET_REGS: expected %#x (loaded) or %#llx (as set), "
		    "got %#llx", SR_VAL, DONE_JUNK, (unsigned long long)uc.args[1]);
	ksft_print_msg("the destination of a load completed after KVM_SET_REGS %s\n",
		       uc.args[1] == SR_VAL ? "holds the loaded value" :
					      "keeps the value KVM_SET_REGS gave it");
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/*
 * KVM_RUN with immediate_exit set completes the pending access, then returns EINTR before
 * running the guest (api.rst 5, the note under KVM_EXIT_MMIO): the register and RIP are
 * final. A 16-byte read is two exits: Linux answers the first KVM_RUN with the exit for the
 * second half (0, KVM_EXIT_MMIO) and only the one after it with EINTR.
 */
static void test_immediate_exit(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_run *run;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	uint64_t v, wrip;
	int r;

	vm = mmio_vm_new(guest_completion, &vcpu);
	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_IMMEDIATE_EXIT))
		subtest_skip("no KVM_CAP_IMMEDIATE_EXIT");
	run = vcpu->run;
	v = DONE_VAL1;
	vcpu_run(vcpu);
	expect_mmio(vcpu, 0x10, 8, false);
	memcpy(run->mmio.data, &v, 8);
	expect_sync(vcpu, 1, DONE_VAL1, 0);

	/* 8-byte read */
	vcpu_run(vcpu);
	expect_mmio(vcpu, 0x18, 8, false);
	TEST_ASSERT_EQ((uint64_t)ie_rd_insn, vcpu_get_rip(vcpu));
	v = DONE_VAL2;
	memcpy(run->mmio.data, &v, 8);
	run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	/* as KVM: the exit reason stays the MMIO exit's (the upstream get_ucall() needs it) */
	TEST_ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	vcpu_get_regs(vcpu, &regs);
	TEST_ASSERT_EQ(DONE_VAL2, regs.rax);
	TEST_ASSERT_EQ((uint64_t)ie_rd_end, regs.rip);
	run->immediate_exit = 0;
	expect_sync(vcpu, 2, DONE_VAL2, 0);

	/* 16-byte read: the second half still exits */
	vcpu_run(vcpu);
	expect_mmio(vcpu, 0x20, 8, false);
	v = DONE_LO;
	memcpy(run->mmio.data, &v, 8);
	run->immediate_exit = 1;
	r = __vcpu_run(vcpu);
	TEST_ASSERT(r == 0, "KVM_RUN with immediate_exit after the first half of a 16-byte read: "
		    "expected 0 and the exit for the second half, got %d (%s)", r,
		    r ? errno_name(errno) : "");
	expect_mmio(vcpu, 0x28, 8, false);
	TEST_ASSERT_EQ((uint64_t)ie_rd16_insn, vcpu_get_rip(vcpu));
	v = DONE_HI;
	memcpy(run->mmio.data, &v, 8);
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	TEST_ASSERT_EQ((uint64_t)ie_rd16_end, vcpu_get_rip(vcpu));
	vcpu_ioctl(vcpu, KVM_GET_FPU, &fpu);
	memcpy(&v, &fpu.xmm[0][0], 8);
	TEST_ASSERT_EQ(DONE_LO, v);
	memcpy(&v, &fpu.xmm[0][8], 8);
	TEST_ASSERT_EQ(DONE_HI, v);
	run->immediate_exit = 0;
	expect_sync(vcpu, 3, DONE_LO, DONE_HI);

	/* 8-byte write */
	vcpu_run(vcpu);
	expect_mmio(vcpu, 0x30, 8, true);
	memcpy(&v, run->mmio.data, 8);
	TEST_ASSERT_EQ(DONE_WVAL, v);
	wrip = vcpu_get_rip(vcpu);
	TEST_ASSERT(wrip == (uint64_t)ie_wr_insn || wrip == (uint64_t)ie_wr_end,
		    "RIP during a write exit: expected %p (at) or %p (past), got %#llx",
		    ie_wr_insn, ie_wr_end, (unsigned long long)wrip);
	ksft_print_msg("during an MMIO write exit, RIP is %s the instruction\n",
		       wrip == (uint64_t)ie_wr_end ? "already past" : "at");
	run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	TEST_ASSERT_EQ((uint64_t)ie_wr_end, vcpu_get_rip(vcpu));
	run->immediate_exit = 0;
	expect_sync(vcpu, 4, 0, 0);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

int main(void)
{
	unsigned int i;

	ksft_print_header();
	ksft_set_plan(sizeof(groups) / sizeof(groups[0]) + 8);
	map_native_window();
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		cur_group = &groups[i];
		run_subtest(test_group, "64-bit: %s", groups[i].name);
	}
	run_subtest(test_prot32, "32-bit protected mode: MOV 1/2/4 bytes, ADD/SUB flags, "
		    "REP STOSW/MOVSB/MOVSW");
	run_subtest(test_real, "16-bit real mode (MMIO at a000:0): MOV 1/2/4 bytes, "
		    "ADD/SUB flags, REP STOSW/MOVSB/MOVSW");
	run_subtest(test_real_limit, "16-bit real mode: a word at ES:0xffff in device memory "
		    "is #GP(0), the segment limit");
	run_subtest(test_emulation_failure, "flds from MMIO: KVM_INTERNAL_ERROR_EMULATION "
		    "with the instruction bytes, then #UD");
	run_subtest(test_exit_on_emulation_failure, "KVM_CAP_EXIT_ON_EMULATION_FAILURE: the "
		    "same exit without the #UD; turned off, the #UD is back");
	run_subtest(test_read_completion, "a pending read: RIP at the instruction, "
		    "the next KVM_RUN loads run->mmio.data");
	run_subtest(test_immediate_exit, "immediate_exit completes pending reads and "
		    "writes, then EINTR");
	run_subtest(test_set_regs_during_read, "KVM_SET_REGS while a read is out: the other "
		    "registers kept, one read, RIP past the instruction");
	ksft_finished();
}
