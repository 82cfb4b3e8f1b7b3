// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suite of the instruction emulator (arch/x86/kvm/emulate.c, built into this module by
 * emulate_impl.c): table-driven cases, one per instruction form, each with the registers,
 * RFLAGS and memory before and the values expected after, worked out by hand from the SDM's
 * page of the instruction (flags included: the ones the SDM leaves undefined are masked per
 * case). The ops are backed by buffers: a code buffer (two pages at CODE) for fetches and a
 * data buffer (DATA, 64 bytes) for reads and writes, as MMIO would be; anything else faults
 * (#PF with the linear address).
 *
 * Every case also checks what the emulator contract promises about the ops (emulate.h):
 * fetches never cross a page boundary, every read comes before the one write at most, and a
 * run that does not complete leaves registers, RIP and RFLAGS alone. The table runs three
 * times: as is, with the first read answering IO_NEEDED (then answered: x86emul_resume(),
 * from the decode of the first run, must give the same result), and with the write faulting.
 *
 * tools/testing/emulator/ checks the same emulator against the CPU in userspace over many
 * more operand values; this suite runs it as kvm.ko does, in the kernel, under KASAN, UBSAN
 * and the debug kernel's other checkers.
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>

#include "emulate.h"

#define CF	0x0001ULL
#define PF	0x0004ULL
#define AF	0x0010ULL
#define ZF	0x0040ULL
#define SF	0x0080ULL
#define DF	0x0400ULL
#define OF	0x0800ULL
#define FIXED	0x0002ULL
#define ARITH	(CF | PF | AF | ZF | SF | OF)

#define CODE		0x3000ULL	/* two pages of code buffer */
#define CODE_SIZE	0x2000
#define DATA		0x2000ULL	/* data buffer */
#define DATA_SIZE	64
#define MEM_CHECKED	32		/* bytes of DATA a case gives before and after */

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

enum { PLAIN, READ_RETRY, WRITE_FAULT };

struct emu_env {
	struct kunit *test;
	struct x86emul_ctxt ctxt;
	u8 code[CODE_SIZE];
	u8 data[DATA_SIZE];
	u8 vreg[16][32];
	int variant;
	/* the ops the run made: 'f' fetch, 'r' read, 'w' write */
	char log[32];
	int nlog;
	int reads, writes;
	bool io_pending;	/* READ_RETRY: the first read answered IO_NEEDED */
};

static void env_log(struct emu_env *env, char op)
{
	if (env->nlog < (int)sizeof(env->log) - 1)
		env->log[env->nlog++] = op;
}

static int page_fault(struct x86emul_ctxt *ctxt, u64 linear, u32 error)
{
	ctxt->exception.vector = 14;
	ctxt->exception.error_code_valid = true;
	ctxt->exception.error_code = error;
	ctxt->exception.address = linear;
	return X86EMUL_EXCEPTION;
}

static int op_fetch(struct x86emul_ctxt *ctxt, u64 linear, void *buf, unsigned int len)
{
	struct emu_env *env = ctxt->priv;

	env_log(env, 'f');
	KUNIT_EXPECT_GE(env->test, len, 1u);
	KUNIT_EXPECT_LE_MSG(env->test, (linear & 0xfff) + len, 0x1000ULL,
			    "fetch of %u bytes at %#llx crosses a page", len, linear);
	if (linear < CODE || linear + len > CODE + CODE_SIZE)
		return page_fault(ctxt, linear, 0x10);
	memcpy(buf, env->code + (linear - CODE), len);
	return X86EMUL_CONTINUE;
}

static int op_read(struct x86emul_ctxt *ctxt, u64 linear, void *buf, unsigned int len)
{
	struct emu_env *env = ctxt->priv;

	env_log(env, 'r');
	env->reads++;
	KUNIT_EXPECT_EQ_MSG(env->test, env->writes, 0, "a read after the write");
	KUNIT_EXPECT_TRUE(env->test, len >= 1 && len <= 32);
	if (env->variant == READ_RETRY && !env->io_pending) {
		env->io_pending = true;
		return X86EMUL_IO_NEEDED;
	}
	if (linear < DATA || linear + len > DATA + DATA_SIZE)
		return page_fault(ctxt, linear, 0);
	memcpy(buf, env->data + (linear - DATA), len);
	return X86EMUL_CONTINUE;
}

static int op_write(struct x86emul_ctxt *ctxt, u64 linear, const void *buf, unsigned int len)
{
	struct emu_env *env = ctxt->priv;

	env_log(env, 'w');
	env->writes++;
	KUNIT_EXPECT_EQ_MSG(env->test, env->writes, 1, "more than one write");
	KUNIT_EXPECT_TRUE(env->test, len >= 1 && len <= 32);
	if (env->variant == WRITE_FAULT || linear < DATA || linear + len > DATA + DATA_SIZE)
		return page_fault(ctxt, linear, 2);
	memcpy(env->data + (linear - DATA), buf, len);
	return X86EMUL_CONTINUE;
}

static void op_get_vreg(struct x86emul_ctxt *ctxt, int idx, void *buf, unsigned int len)
{
	struct emu_env *env = ctxt->priv;

	KUNIT_ASSERT_TRUE(env->test, idx >= 0 && idx < 16 && (len == 16 || len == 32));
	memcpy(buf, env->vreg[idx], len);
}

static void op_set_vreg(struct x86emul_ctxt *ctxt, int idx, const void *buf, unsigned int len)
{
	struct emu_env *env = ctxt->priv;

	KUNIT_ASSERT_TRUE(env->test, idx >= 0 && idx < 16 && (len == 16 || len == 32));
	memcpy(env->vreg[idx], buf, len);
	/* emulate.h: 32 bytes (VEX) clear what lies above, in a CPU with wider registers */
}

static const struct x86emul_ops test_ops = {
	.fetch = op_fetch,
	.read = op_read,
	.write = op_write,
	.get_vreg = op_get_vreg,
	.set_vreg = op_set_vreg,
};

/* ---- the table ---- */

struct emu_case {
	const char *name;
	const char *insn;		/* the bytes, at CODE (or rip) */
	u8 len;				/* their number: rip advances by it */
	u8 mode;			/* X86EMUL_MODE_*; 0 (REAL) only where named: see MODE() */
	bool mode_set;
	u64 rip;			/* 0: CODE */
	u64 cr0, cr4, xcr0;
	u64 seg[X86EMUL_NR_SEGS];	/* segment bases */
	u64 in[16], out[16];		/* registers before and after */
	u64 fl_in, fl_out, fl_undef;	/* RFLAGS before, after, bits the SDM leaves undefined */
	u8 mem_in[MEM_CHECKED], mem_out[MEM_CHECKED];	/* DATA before and after */
	int rc;				/* X86EMUL_*: CONTINUE unless given */
	u8 vector;			/* EXCEPTION: the vector, */
	bool has_error;			/* whether it has an error code, */
	u32 error;			/* and which */
	u64 fault_addr;			/* a #PF's address */
	bool rip_stays;			/* a REP iteration that is not the last */
	s8 writes;			/* writes expected, +1 (0: not checked) */
};

#define INSN(s)		.insn = (s), .len = sizeof(s) - 1
#define MODE(m)		.mode = (m), .mode_set = true
#define FL(i, o)	.fl_in = FIXED | (i), .fl_out = FIXED | (o)
#define WRITES(n)	.writes = (n) + 1
#define EXC(v)		.rc = X86EMUL_EXCEPTION, .vector = (v)
#define EXC_ERR(v, e)	EXC(v), .has_error = true, .error = (e)

/* 32 bytes 00 01 02 ... 1f: what a case's memory is when it does not say */
#define MEM_SEQ "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f" \
		"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"

static const struct emu_case emu_cases[] = {
	/* ---- moves ---- */
	{ "mov [rax], ecx (89 /r)", INSN("\x89\x08"), WRITES(1),
	  .in = { [RAX] = DATA, [RCX] = 0x11223344aabbccddULL },
	  .out = { [RAX] = DATA, [RCX] = 0x11223344aabbccddULL },
	  FL(CF | ZF, CF | ZF),
	  .mem_out = "\xdd\xcc\xbb\xaa" },
	{ "mov rdx, [rax] (REX.W 8B /r)", INSN("\x48\x8b\x10"), WRITES(0),
	  .in = { [RAX] = DATA },
	  .out = { [RAX] = DATA, [RDX] = 0x0807060504030201ULL },
	  .mem_in = "\x01\x02\x03\x04\x05\x06\x07\x08", .mem_out = "\x01\x02\x03\x04\x05\x06\x07\x08" },
	{ "mov ah, [rax] (8A /r, high byte)", INSN("\x8a\x20"),
	  .in = { [RAX] = DATA },
	  .out = { [RAX] = 0x5a00 },
	  .mem_in = "\x5a", .mem_out = "\x5a" },
	{ "mov eax, [rbx] zero-extends (8B /r)", INSN("\x8b\x03"),
	  .in = { [RAX] = ~0ULL, [RBX] = DATA },
	  .out = { [RAX] = 0x04030201, [RBX] = DATA },
	  .mem_in = "\x01\x02\x03\x04", .mem_out = "\x01\x02\x03\x04" },
	{ "mov ax, [rbx] keeps bits 63:16 (66 8B /r)", INSN("\x66\x8b\x03"),
	  .in = { [RAX] = ~0ULL, [RBX] = DATA },
	  .out = { [RAX] = 0xffffffffffff0201ULL, [RBX] = DATA },
	  .mem_in = "\x01\x02\x03\x04", .mem_out = "\x01\x02\x03\x04" },
	{ "mov [rax], r9w (66 REX.R 89 /r)", INSN("\x66\x44\x89\x08"),
	  .in = { [RAX] = DATA, [R9] = 0xffff1234 },
	  .out = { [RAX] = DATA, [R9] = 0xffff1234 },
	  .mem_out = "\x34\x12" },
	{ "mov byte [rax+8], imm8 (C6 /0)", INSN("\xc6\x40\x08\x7f"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  .mem_out = "\0\0\0\0\0\0\0\0\x7f" },
	{ "mov qword [rax], imm32 sign-extended (REX.W C7 /0)",
	  INSN("\x48\xc7\x00\x00\x00\x00\x80"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  .mem_out = "\x00\x00\x00\x80\xff\xff\xff\xff" },
	{ "mov eax, [moffs64] (A1)", INSN("\xa1\x00\x20\x00\x00\x00\x00\x00\x00"),
	  .in = { [RAX] = 0xdeadbeefdeadbeefULL }, .out = { [RAX] = 0x04030201 },
	  .mem_in = "\x01\x02\x03\x04", .mem_out = "\x01\x02\x03\x04" },
	{ "mov [moffs64], al (A2)", INSN("\xa2\x03\x20\x00\x00\x00\x00\x00\x00"),
	  .in = { [RAX] = 0x1234 }, .out = { [RAX] = 0x1234 },
	  .mem_out = "\0\0\0\x34" },
	/* rip after the instruction (CODE + 6) - 0x1006 = DATA */
	{ "mov [rip+disp32], ecx (89 /r, RIP-relative)", INSN("\x89\x0d\xfa\xef\xff\xff"),
	  .in = { [RCX] = 0x01020304 }, .out = { [RCX] = 0x01020304 },
	  .mem_out = "\x04\x03\x02\x01" },
	{ "mov ecx, fs:[rax] (64 8B /r, FS base)", INSN("\x64\x8b\x08"),
	  .seg = { [X86EMUL_SEG_FS] = 0x1000 },
	  .in = { [RAX] = 0x1000, [RCX] = ~0ULL }, .out = { [RAX] = 0x1000, [RCX] = 0x03020100 },
	  .mem_in = MEM_SEQ, .mem_out = MEM_SEQ },
	{ "mov [eax], ecx: 32-bit address (67 89 /r)", INSN("\x67\x89\x08"),
	  .in = { [RAX] = 0xffffffff00002000ULL, [RCX] = 0xa5 },
	  .out = { [RAX] = 0xffffffff00002000ULL, [RCX] = 0xa5 },
	  .mem_out = "\xa5\0\0\0" },
	{ "mov [rax+r12*8-8], rcx (SIB, REX.X)", INSN("\x4a\x89\x4c\xe0\xf8"),
	  .in = { [RAX] = DATA, [R12] = 2, [RCX] = 0x8877665544332211ULL },
	  .out = { [RAX] = DATA, [R12] = 2, [RCX] = 0x8877665544332211ULL },
	  .mem_out = "\0\0\0\0\0\0\0\0\x11\x22\x33\x44\x55\x66\x77\x88" },
	{ "movzx ecx, byte [rax] (0F B6)", INSN("\x0f\xb6\x08"),
	  .in = { [RAX] = DATA, [RCX] = ~0ULL }, .out = { [RAX] = DATA, [RCX] = 0x80 },
	  .mem_in = "\x80", .mem_out = "\x80" },
	{ "movsx rcx, word [rax] (REX.W 0F BF)", INSN("\x48\x0f\xbf\x08"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA, [RCX] = 0xffffffffffff8000ULL },
	  .mem_in = "\x00\x80", .mem_out = "\x00\x80" },
	{ "movsxd rcx, dword [rax] (REX.W 63)", INSN("\x48\x63\x08"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA, [RCX] = 0xffffffff80000000ULL },
	  .mem_in = "\x00\x00\x00\x80", .mem_out = "\x00\x00\x00\x80" },
	{ "movbe ecx, [rax] (0F 38 F0)", INSN("\x0f\x38\xf0\x08"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA, [RCX] = 0x01020304 },
	  .mem_in = "\x01\x02\x03\x04", .mem_out = "\x01\x02\x03\x04" },
	{ "movbe [rax], cx (66 0F 38 F1)", INSN("\x66\x0f\x38\xf1\x08"),
	  .in = { [RAX] = DATA, [RCX] = 0xabcd }, .out = { [RAX] = DATA, [RCX] = 0xabcd },
	  .mem_out = "\xab\xcd" },
	{ "movnti [rax], rcx (REX.W 0F C3)", INSN("\x48\x0f\xc3\x08"),
	  .in = { [RAX] = DATA, [RCX] = 0x0102030405060708ULL },
	  .out = { [RAX] = DATA, [RCX] = 0x0102030405060708ULL },
	  .mem_out = "\x08\x07\x06\x05\x04\x03\x02\x01" },

	/* ---- ALU with a memory operand: flags per SDM vol. 1 appendix A ---- */
	{ "add [rax], ecx: signed overflow (01 /r)", INSN("\x01\x08"),
	  .in = { [RAX] = DATA, [RCX] = 1 }, .out = { [RAX] = DATA, [RCX] = 1 },
	  FL(0, OF | SF | AF | PF),
	  .mem_in = "\xff\xff\xff\x7f", .mem_out = "\x00\x00\x00\x80" },
	{ "add [rax], cl: carry to zero (00 /r)", INSN("\x00\x08"),
	  .in = { [RAX] = DATA, [RCX] = 1 }, .out = { [RAX] = DATA, [RCX] = 1 },
	  FL(SF | OF, CF | ZF | AF | PF),
	  .mem_in = "\xff", .mem_out = "\x00" },
	{ "sub ecx, [rax]: borrow (2B /r)", INSN("\x2b\x08"), WRITES(0),
	  .in = { [RAX] = DATA, [RCX] = 0xffffffff00000000ULL },
	  .out = { [RAX] = DATA, [RCX] = 0xffffffff },
	  FL(0, CF | SF | AF | PF),
	  .mem_in = "\x01", .mem_out = "\x01" },
	{ "cmp [rax], ecx: equal, no write (39 /r)", INSN("\x39\x08"), WRITES(0),
	  .in = { [RAX] = DATA, [RCX] = 5 }, .out = { [RAX] = DATA, [RCX] = 5 },
	  FL(CF | SF, ZF | PF),
	  .mem_in = "\x05", .mem_out = "\x05" },
	{ "and [rax], ecx: CF OF cleared (21 /r)", INSN("\x21\x08"),
	  .in = { [RAX] = DATA, [RCX] = 0x0ff00ff0 }, .out = { [RAX] = DATA, [RCX] = 0x0ff00ff0 },
	  FL(CF | OF | ZF, PF), .fl_undef = AF,
	  .mem_in = "\xf0\xf0\xf0\xf0", .mem_out = "\xf0\x00\xf0\x00" },
	{ "or rcx, [rax] (REX.W 0B /r)", INSN("\x48\x0b\x08"), WRITES(0),
	  .in = { [RAX] = DATA, [RCX] = 0x8000000000000000ULL },
	  .out = { [RAX] = DATA, [RCX] = 0x8000000000000001ULL },
	  FL(PF | ZF, SF), .fl_undef = AF,
	  .mem_in = "\x01", .mem_out = "\x01" },
	{ "xor [rax], ecx: zero (31 /r)", INSN("\x31\x08"),
	  .in = { [RAX] = DATA, [RCX] = 0x12345678 }, .out = { [RAX] = DATA, [RCX] = 0x12345678 },
	  FL(CF | OF, ZF | PF), .fl_undef = AF,
	  .mem_in = "\x78\x56\x34\x12", .mem_out = "\0\0\0\0" },
	{ "adc [rax], ecx: carry in (11 /r)", INSN("\x11\x08"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(CF, CF | ZF | AF | PF),
	  .mem_in = "\xff\xff\xff\xff", .mem_out = "\0\0\0\0" },
	{ "sbb ecx, [rax]: borrow in, overflow (1B /r)", INSN("\x1b\x08"),
	  .in = { [RAX] = DATA, [RCX] = 0x80000000 }, .out = { [RAX] = DATA, [RCX] = 0x7fffffff },
	  FL(CF, OF | AF | PF),
	  .mem_in = "\0\0\0\0", .mem_out = "\0\0\0\0" },
	{ "add dword [rax], imm8 -1 (83 /0)", INSN("\x83\x00\xff"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(0, CF | ZF | AF | PF),
	  .mem_in = "\x01", .mem_out = "\0\0\0\0" },
	{ "sub qword [rax], imm32 (REX.W 81 /5)", INSN("\x48\x81\x28\x01\x00\x00\x00"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(0, CF | SF | AF | PF),
	  .mem_out = "\xff\xff\xff\xff\xff\xff\xff\xff" },
	{ "cmp byte [rax], imm8 (80 /7)", INSN("\x80\x38\x80"), WRITES(0),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(ZF, CF | OF | SF | PF),
	  .mem_in = "\x7f", .mem_out = "\x7f" },
	{ "or word [rax], imm16 (66 81 /1)", INSN("\x66\x81\x08\x00\x80"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(CF, SF | PF), .fl_undef = AF,
	  .mem_in = "\x00\x00\x55", .mem_out = "\x00\x80\x55" },
	{ "test [rax], ecx, no write (85 /r)", INSN("\x85\x08"), WRITES(0),
	  .in = { [RAX] = DATA, [RCX] = 0x80000000 }, .out = { [RAX] = DATA, [RCX] = 0x80000000 },
	  FL(CF | OF, SF | PF), .fl_undef = AF,
	  .mem_in = "\0\0\0\x80", .mem_out = "\0\0\0\x80" },
	{ "test dword [rax], imm32 (F7 /0)", INSN("\xf7\x00\x00\x0f\x00\x00"), WRITES(0),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(ZF, PF), .fl_undef = AF,
	  .mem_in = "\x00\xff", .mem_out = "\x00\xff" },
	{ "xchg [rax], ecx (87 /r)", INSN("\x87\x08"),
	  .in = { [RAX] = DATA, [RCX] = 0xffffffff22222222ULL },
	  .out = { [RAX] = DATA, [RCX] = 0x11111111 },
	  FL(CF, CF),
	  .mem_in = "\x11\x11\x11\x11", .mem_out = "\x22\x22\x22\x22" },
	{ "inc dword [rax]: CF kept (FF /0)", INSN("\xff\x00"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(CF, CF | OF | SF | AF | PF),
	  .mem_in = "\xff\xff\xff\x7f", .mem_out = "\x00\x00\x00\x80" },
	{ "dec byte [rax] (FE /1)", INSN("\xfe\x08"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(ZF, SF | AF | PF),
	  .mem_in = "\x00", .mem_out = "\xff" },
	{ "neg dword [rax] of 1 (F7 /3)", INSN("\xf7\x18"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(0, CF | SF | AF | PF),
	  .mem_in = "\x01", .mem_out = "\xff\xff\xff\xff" },
	{ "neg dword [rax] of 0: CF clear", INSN("\xf7\x18"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(CF, ZF | PF) },
	{ "neg dword [rax] of 0x80000000: OF", INSN("\xf7\x18"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(0, CF | OF | SF | PF),
	  .mem_in = "\0\0\0\x80", .mem_out = "\0\0\0\x80" },
	{ "not qword [rax]: flags kept (REX.W F7 /2)", INSN("\x48\xf7\x10"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(ARITH, ARITH),
	  .mem_in = "\x00\xff\x0f", .mem_out = "\xff\x00\xf0\xff\xff\xff\xff\xff" },
	{ "lock add [rax], ecx (F0 01 /r)", INSN("\xf0\x01\x08"),
	  .in = { [RAX] = DATA, [RCX] = 2 }, .out = { [RAX] = DATA, [RCX] = 2 },
	  FL(0, PF),
	  .mem_in = "\x01", .mem_out = "\x03" },

	/* ---- bit operations ---- */
	{ "bt [rax], ecx: offset 33 reaches the next dword (0F A3)", INSN("\x0f\xa3\x08"),
	  WRITES(0),
	  .in = { [RAX] = DATA, [RCX] = 33 }, .out = { [RAX] = DATA, [RCX] = 33 },
	  FL(ZF, ZF | CF), .fl_undef = OF | SF | AF | PF,
	  .mem_in = "\0\0\0\0\x02", .mem_out = "\0\0\0\0\x02" },
	{ "bts [rax], ecx: offset -1 is the dword below (0F AB)", INSN("\x0f\xab\x08"),
	  .in = { [RAX] = DATA + 8, [RCX] = 0xffffffff },
	  .out = { [RAX] = DATA + 8, [RCX] = 0xffffffff },
	  FL(CF, 0), .fl_undef = OF | SF | AF | PF,
	  .mem_out = "\0\0\0\0\0\0\0\x80" },
	{ "btr dword [rax], imm8 (0F BA /6)", INSN("\x0f\xba\x30\x03"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(0, CF), .fl_undef = OF | SF | AF | PF,
	  .mem_in = "\x0f", .mem_out = "\x07" },
	{ "btc qword [rax], imm8 127: modulo 64 (REX.W 0F BA /7)",
	  INSN("\x48\x0f\xba\x38\x7f"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(0, CF), .fl_undef = OF | SF | AF | PF,
	  .mem_in = "\0\0\0\0\0\0\0\x80", .mem_out = "\0\0\0\0\0\0\0\0" },
	{ "sete byte [rax] (0F 94)", INSN("\x0f\x94\x00"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(ZF, ZF), .mem_in = "\x55", .mem_out = "\x01" },
	{ "setb byte [rax], CF clear (0F 92)", INSN("\x0f\x92\x00"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(ZF, ZF), .mem_in = "\x55", .mem_out = "\x00" },
	{ "setl byte [rax], SF != OF (0F 9C)", INSN("\x0f\x9c\x00"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(SF, SF), .mem_out = "\x01" },
	{ "setg byte [rax], ZF clear and SF == OF (0F 9F)", INSN("\x0f\x9f\x00"),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
	  FL(SF | OF, SF | OF), .mem_out = "\x01" },

	/* ---- atomics ---- */
	{ "cmpxchg [rbx], ecx: equal keeps RAX 63:32 (0F B1)", INSN("\x0f\xb1\x0b"),
	  .in = { [RAX] = 0xffffffff00000005ULL, [RBX] = DATA, [RCX] = 9 },
	  .out = { [RAX] = 0xffffffff00000005ULL, [RBX] = DATA, [RCX] = 9 },
	  FL(CF, ZF | PF),
	  .mem_in = "\x05", .mem_out = "\x09" },
	{ "cmpxchg [rbx], ecx: not equal loads EAX", INSN("\x0f\xb1\x0b"),
	  .in = { [RAX] = 0xffffffff00000007ULL, [RBX] = DATA, [RCX] = 9 },
	  .out = { [RAX] = 5, [RBX] = DATA, [RCX] = 9 },
	  FL(ZF, 0),
	  .mem_in = "\x05", .mem_out = "\x05" },
	{ "lock cmpxchg byte [rbx], cl (F0 0F B0)", INSN("\xf0\x0f\xb0\x0b"),
	  .in = { [RAX] = 0x1180, [RBX] = DATA, [RCX] = 0x42 },
	  .out = { [RAX] = 0x1180, [RBX] = DATA, [RCX] = 0x42 },
	  FL(0, ZF | PF),
	  .mem_in = "\x80", .mem_out = "\x42" },
	{ "xadd [rbx], ecx (0F C1)", INSN("\x0f\xc1\x0b"),
	  .in = { [RBX] = DATA, [RCX] = 2 }, .out = { [RBX] = DATA, [RCX] = 1 },
	  FL(ZF, PF),
	  .mem_in = "\x01", .mem_out = "\x03" },
	{ "cmpxchg8b [rsi]: equal (0F C7 /1)", INSN("\x0f\xc7\x0e"),
	  .in = { [RAX] = 0x04030201, [RDX] = 0x08070605, [RBX] = 0xaaaaaaaa,
		  [RCX] = 0xbbbbbbbb, [RSI] = DATA },
	  .out = { [RAX] = 0x04030201, [RDX] = 0x08070605, [RBX] = 0xaaaaaaaa,
		   [RCX] = 0xbbbbbbbb, [RSI] = DATA },
	  FL(CF, CF | ZF),
	  .mem_in = "\x01\x02\x03\x04\x05\x06\x07\x08",
	  .mem_out = "\xaa\xaa\xaa\xaa\xbb\xbb\xbb\xbb" },
	{ "cmpxchg8b [rsi]: not equal loads EDX:EAX", INSN("\x0f\xc7\x0e"),
	  .in = { [RAX] = ~0ULL, [RDX] = ~0ULL, [RSI] = DATA },
	  .out = { [RAX] = 0x04030201, [RDX] = 0x08070605, [RSI] = DATA },
	  FL(ZF | CF, CF),
	  .mem_in = "\x01\x02\x03\x04\x05\x06\x07\x08",
	  .mem_out = "\x01\x02\x03\x04\x05\x06\x07\x08" },

	/* ---- strings ---- */
	{ "movsb (A4)", INSN("\xa4"),
	  .in = { [RSI] = DATA, [RDI] = DATA + 16 },
	  .out = { [RSI] = DATA + 1, [RDI] = DATA + 17 },
	  .mem_in = "\xab", .mem_out = "\xab\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xab" },
	{ "movsw with DF set decrements (66 A5)", INSN("\x66\xa5"),
	  .in = { [RSI] = DATA, [RDI] = DATA + 16 },
	  .out = { [RSI] = DATA - 2, [RDI] = DATA + 14 },
	  FL(DF, DF),
	  .mem_in = "\x34\x12", .mem_out = "\x34\x12\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x34\x12" },
	{ "rep movsd: one iteration, rip stays (F3 A5)", INSN("\xf3\xa5"), .rip_stays = true,
	  .in = { [RCX] = 3, [RSI] = DATA, [RDI] = DATA + 16 },
	  .out = { [RCX] = 2, [RSI] = DATA + 4, [RDI] = DATA + 20 },
	  .mem_in = "\x01\x02\x03\x04",
	  .mem_out = "\x01\x02\x03\x04\0\0\0\0\0\0\0\0\0\0\0\0\x01\x02\x03\x04" },
	{ "rep movsd: the last iteration advances rip", INSN("\xf3\xa5"),
	  .in = { [RCX] = 1, [RSI] = DATA, [RDI] = DATA + 16 },
	  .out = { [RCX] = 0, [RSI] = DATA + 4, [RDI] = DATA + 20 },
	  .mem_in = "\x01\x02\x03\x04",
	  .mem_out = "\x01\x02\x03\x04\0\0\0\0\0\0\0\0\0\0\0\0\x01\x02\x03\x04" },
	{ "rep stosb with RCX 0: no access (F3 AA)", INSN("\xf3\xaa"), WRITES(0),
	  .in = { [RAX] = 0x55, [RDI] = DATA }, .out = { [RAX] = 0x55, [RDI] = DATA } },
	{ "stosq (REX.W AB)", INSN("\x48\xab"),
	  .in = { [RAX] = 0x1122334455667788ULL, [RDI] = DATA + 8 },
	  .out = { [RAX] = 0x1122334455667788ULL, [RDI] = DATA + 16 },
	  .mem_out = "\0\0\0\0\0\0\0\0\x88\x77\x66\x55\x44\x33\x22\x11" },
	{ "lodsw keeps RAX 63:16 (66 AD)", INSN("\x66\xad"), WRITES(0),
	  .in = { [RAX] = 0xffffffffffffffffULL, [RSI] = DATA + 2 },
	  .out = { [RAX] = 0xffffffffffff0302ULL, [RSI] = DATA + 4 },
	  .mem_in = MEM_SEQ, .mem_out = MEM_SEQ },

	/* ---- other modes ---- */
	{ "real mode: mov [bx+si+4], al (88 /r, 16-bit address, DS)", INSN("\x88\x40\x04"),
	  MODE(X86EMUL_MODE_REAL), .rip = 0x0, .seg = { [X86EMUL_SEG_CS] = CODE,
	  [X86EMUL_SEG_DS] = DATA, [X86EMUL_SEG_SS] = 0x9000 },
	  .in = { [RAX] = 0x99, [RBX] = 0x12340002, [RSI] = 0x2 },
	  .out = { [RAX] = 0x99, [RBX] = 0x12340002, [RSI] = 0x2 },
	  .mem_out = "\0\0\0\0\0\0\0\0\x99" },
	{ "real mode: add [bp+2], ax uses SS (01 /r)", INSN("\x01\x46\x02"),
	  MODE(X86EMUL_MODE_REAL), .seg = { [X86EMUL_SEG_CS] = CODE,
	  [X86EMUL_SEG_DS] = 0x9000, [X86EMUL_SEG_SS] = DATA },
	  .in = { [RAX] = 1 }, .out = { [RAX] = 1 },
	  FL(0, CF | ZF | AF | PF),
	  .mem_in = "\0\0\xff\xff", .mem_out = "\0\0\0\0" },
	{ "real mode: mov eax, [di] with 66 (32-bit operand)", INSN("\x66\x8b\x05"),
	  MODE(X86EMUL_MODE_REAL), .seg = { [X86EMUL_SEG_CS] = CODE, [X86EMUL_SEG_DS] = DATA },
	  .in = { [RAX] = 0xffffffff, [RDI] = 0x10 },
	  .out = { [RAX] = 0x13121110, [RDI] = 0x10 },
	  .mem_in = MEM_SEQ, .mem_out = MEM_SEQ },
	/* 0xfffff000 + 4 * 0xc00 + 8 wraps at 4 GiB to DATA + 8 */
	{ "prot32: mov [eax+ecx*4+8], edx wraps at 4G (SIB)", INSN("\x89\x54\x88\x08"),
	  MODE(X86EMUL_MODE_PROT32), .rip = CODE,
	  .in = { [RAX] = 0xfffff000, [RCX] = 0xc00, [RDX] = 0xcafebabe },
	  .out = { [RAX] = 0xfffff000, [RCX] = 0xc00, [RDX] = 0xcafebabe },
	  .mem_out = "\0\0\0\0\0\0\0\0\xbe\xba\xfe\xca" },
	{ "prot32: mov ax, [ebp-4] (66 8B /r, SS)", INSN("\x66\x8b\x45\xfc"),
	  MODE(X86EMUL_MODE_PROT32), .rip = CODE, .seg = { [X86EMUL_SEG_SS] = DATA - 0x100 },
	  .in = { [RAX] = 0x11112222, [RBP] = 0x108 },
	  .out = { [RAX] = 0x11110504, [RBP] = 0x108 },
	  .mem_in = MEM_SEQ, .mem_out = MEM_SEQ },
	{ "prot16: mov [bx], ecx (66 89 /r, 16-bit address)", INSN("\x66\x89\x0f"),
	  MODE(X86EMUL_MODE_PROT16), .seg = { [X86EMUL_SEG_CS] = CODE, [X86EMUL_SEG_DS] = DATA },
	  .rip = 0,
	  .in = { [RBX] = 0xffff0004, [RCX] = 0xdeadbeef },
	  .out = { [RBX] = 0xffff0004, [RCX] = 0xdeadbeef },
	  .mem_out = "\0\0\0\0\xef\xbe\xad\xde" },

	/* ---- what it raises ---- */
	{ "lock mov: #UD", INSN("\xf0\x89\x08"), EXC(6),
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA } },
	{ "non-canonical address: #GP(0)", INSN("\x89\x08"), EXC_ERR(13, 0),
	  .in = { [RAX] = 0x0000800000000000ULL }, .out = { [RAX] = 0x0000800000000000ULL } },
	{ "non-canonical stack address: #SS(0)", INSN("\x89\x0c\x24"), EXC_ERR(12, 0),
	  .in = { [RSP] = 0x8000000000000000ULL }, .out = { [RSP] = 0x8000000000000000ULL } },
	{ "16 bytes long: #GP(0)",
	  INSN("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x89\x08"),
	  EXC_ERR(13, 0), .in = { [RAX] = DATA }, .out = { [RAX] = DATA } },
	{ "the read faults: #PF from the op", INSN("\x8b\x08"), EXC_ERR(14, 0),
	  .fault_addr = 0x9000, .in = { [RAX] = 0x9000 }, .out = { [RAX] = 0x9000 } },
	{ "the fetch faults: #PF from the op", INSN(""), EXC_ERR(14, 0x10),
	  .rip = 0x8000, .fault_addr = 0x8000 },
	{ "fld dword [rax]: not emulated", INSN("\xd9\x00"), .rc = X86EMUL_UNHANDLEABLE,
	  .in = { [RAX] = DATA }, .out = { [RAX] = DATA } },
};

static void emu_case_desc(const struct emu_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(emu_cases, emu_cases, emu_case_desc);

static struct emu_env *env_alloc(struct kunit *test)
{
	struct emu_env *env = kunit_kzalloc(test, sizeof(*env), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, env);
	env->test = test;
	return env;
}

/* Set up env for case c: fresh buffers, registers and op log. */
static void env_load(struct emu_env *env, const struct emu_case *c, u64 rip)
{
	struct x86emul_ctxt *ctxt = &env->ctxt;
	u64 code_lin;
	int i;

	memset(ctxt, 0, sizeof(*ctxt));
	memset(env->code, 0xcc, sizeof(env->code));	/* INT3 after the instruction */
	memset(env->data, 0, sizeof(env->data));
	memcpy(env->data, c->mem_in, sizeof(c->mem_in));
	for (i = 0; i < 16; i++)
		memset(env->vreg[i], 0x10 * i, sizeof(env->vreg[i]));
	env->nlog = 0;
	env->reads = env->writes = 0;
	memset(env->log, 0, sizeof(env->log));

	ctxt->ops = &test_ops;
	ctxt->priv = env;
	ctxt->mode = c->mode_set ? c->mode : X86EMUL_MODE_PROT64;
	ctxt->cr0 = c->cr0 ? c->cr0 : 0x80050033ULL;	/* PG WP NE ET MP PE */
	ctxt->cr4 = c->cr4;
	ctxt->xcr0 = c->xcr0;
	memcpy(ctxt->seg_base, c->seg, sizeof(ctxt->seg_base));
	memcpy(ctxt->regs, c->in, sizeof(ctxt->regs));
	ctxt->rflags = c->fl_in ? c->fl_in : FIXED;
	ctxt->rip = rip;

	if (ctxt->mode == X86EMUL_MODE_PROT64)
		code_lin = rip;
	else
		code_lin = (u32)(ctxt->seg_base[X86EMUL_SEG_CS] + rip);
	if (code_lin >= CODE && code_lin + c->len <= CODE + CODE_SIZE)
		memcpy(env->code + (code_lin - CODE), c->insn, c->len);
}

static u64 case_rip(const struct emu_case *c)
{
	/* rip-relative cases say where the instruction must be; others run at CODE */
	if (c->rip || c->mode_set)
		return c->rip;
	return CODE;
}

static void check_unchanged(struct kunit *test, struct emu_env *env, const struct emu_case *c,
			    u64 rip, const char *why)
{
	struct x86emul_ctxt *ctxt = &env->ctxt;
	int i;

	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_EQ_MSG(test, ctxt->regs[i], c->in[i], "%s: register %d changed", why, i);
	KUNIT_EXPECT_EQ_MSG(test, ctxt->rip, rip, "%s: rip changed", why);
	KUNIT_EXPECT_EQ_MSG(test, ctxt->rflags, c->fl_in ? c->fl_in : FIXED,
			    "%s: rflags changed", why);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(env->data, c->mem_in, sizeof(c->mem_in)), 0,
			    "%s: memory changed", why);
	for (i = 0; i < 16; i++) {
		u8 pat[32];

		memset(pat, 0x10 * i, sizeof(pat));
		KUNIT_EXPECT_EQ_MSG(test, memcmp(env->vreg[i], pat, sizeof(pat)), 0,
				    "%s: vector register %d changed", why, i);
	}
}

static void check_result(struct kunit *test, struct emu_env *env, const struct emu_case *c,
			 u64 rip, int rc)
{
	struct x86emul_ctxt *ctxt = &env->ctxt;
	u64 fl_out = c->fl_out ? c->fl_out : FIXED;
	u64 mask = ~c->fl_undef;
	int i;

	KUNIT_ASSERT_EQ_MSG(test, rc, c->rc, "x86emul_run (op log \"%s\")", env->log);
	/* reads first, at most one write, and that one last */
	KUNIT_EXPECT_LE(test, env->writes, 1);
	if (env->writes)
		KUNIT_EXPECT_EQ_MSG(test, env->log[env->nlog - 1], 'w', "op log \"%s\"", env->log);
	if (rc != X86EMUL_CONTINUE) {
		check_unchanged(test, env, c, rip, "not completed");
		if (rc == X86EMUL_EXCEPTION) {
			KUNIT_EXPECT_EQ(test, ctxt->exception.vector, c->vector);
			KUNIT_EXPECT_EQ(test, ctxt->exception.error_code_valid, c->has_error);
			if (c->has_error)
				KUNIT_EXPECT_EQ(test, ctxt->exception.error_code, c->error);
			if (c->vector == 14)
				KUNIT_EXPECT_EQ(test, ctxt->exception.address, c->fault_addr);
		}
		if (rc == X86EMUL_UNHANDLEABLE) {
			KUNIT_EXPECT_GE(test, ctxt->insn_len, c->len);
			KUNIT_EXPECT_EQ(test, memcmp(ctxt->insn, c->insn, c->len), 0);
		}
		return;
	}
	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_EQ_MSG(test, ctxt->regs[i], c->out[i], "register %d", i);
	KUNIT_EXPECT_EQ_MSG(test, ctxt->rip, c->rip_stays ? rip : rip + c->len, "rip");
	KUNIT_EXPECT_EQ_MSG(test, ctxt->rflags & mask, fl_out & mask,
			    "rflags (undefined bits %#llx masked)", c->fl_undef);
	for (i = 0; i < MEM_CHECKED; i++)
		KUNIT_EXPECT_EQ_MSG(test, env->data[i], c->mem_out[i], "memory byte %d", i);
	for (i = MEM_CHECKED; i < DATA_SIZE; i++)
		KUNIT_EXPECT_EQ_MSG(test, env->data[i], 0, "memory byte %d", i);
	if (c->writes)
		KUNIT_EXPECT_EQ_MSG(test, env->writes, c->writes - 1, "writes (op log \"%s\")",
				    env->log);
}

/* The case as it is. */
static void emu_table(struct kunit *test)
{
	const struct emu_case *c = test->param_value;
	struct emu_env *env = env_alloc(test);
	u64 rip = case_rip(c);

	env_load(env, c, rip);
	check_result(test, env, c, rip, x86emul_run(&env->ctxt));
}

/*
 * The first read answers IO_NEEDED: nothing may change and no write may happen; resumed
 * (userspace answered) from the decode kept in the context, the instruction completes as in
 * the plain run.
 */
static void emu_table_read_retry(struct kunit *test)
{
	const struct emu_case *c = test->param_value;
	struct emu_env *env = env_alloc(test);
	u64 rip = case_rip(c), decoded[X86EMUL_DECODED_WORDS];
	int rc;

	env->variant = READ_RETRY;
	env_load(env, c, rip);
	rc = x86emul_run(&env->ctxt);
	if (!env->io_pending) {
		/* no read happened: the plain result */
		check_result(test, env, c, rip, rc);
		return;
	}
	KUNIT_ASSERT_EQ(test, rc, X86EMUL_IO_NEEDED);
	KUNIT_EXPECT_EQ_MSG(test, env->writes, 0, "a write before the data came (\"%s\")", env->log);
	check_unchanged(test, env, c, rip, "IO_NEEDED");
	/* the state as it was, the decode kept (env_load() clears the context) */
	memcpy(decoded, env->ctxt.decoded, sizeof(decoded));
	env_load(env, c, rip);
	memcpy(env->ctxt.decoded, decoded, sizeof(decoded));
	check_result(test, env, c, rip, x86emul_resume(&env->ctxt));
}

/* The write faults: an EXCEPTION with nothing changed. */
static void emu_table_write_fault(struct kunit *test)
{
	const struct emu_case *c = test->param_value;
	struct emu_env *env = env_alloc(test);
	u64 rip = case_rip(c);
	int rc;

	env->variant = WRITE_FAULT;
	env_load(env, c, rip);
	rc = x86emul_run(&env->ctxt);
	if (!env->writes) {
		check_result(test, env, c, rip, rc);
		return;
	}
	KUNIT_ASSERT_EQ(test, rc, X86EMUL_EXCEPTION);
	KUNIT_EXPECT_EQ(test, env->ctxt.exception.vector, 14);
	KUNIT_EXPECT_EQ(test, env->ctxt.exception.error_code, 2u);
	check_unchanged(test, env, c, rip, "faulting write");
}

/* ---- cases that do not fit the table ---- */

/* An instruction that straddles two pages: each fetch stays within one. */
static void emu_fetch_across_pages(struct kunit *test)
{
	static const struct emu_case c = {
		"mov qword [rax], imm32 across a page", INSN("\x48\xc7\x00\x78\x56\x34\x12"),
		.in = { [RAX] = DATA }, .out = { [RAX] = DATA },
		.mem_out = "\x78\x56\x34\x12",
	};
	struct emu_env *env = env_alloc(test);
	u64 rip = CODE + 0x1000 - 3;

	env_load(env, &c, rip);
	check_result(test, env, &c, rip, x86emul_run(&env->ctxt));
	KUNIT_EXPECT_EQ_MSG(test, env->log[0], 'f', "op log \"%s\"", env->log);
	KUNIT_EXPECT_EQ_MSG(test, env->log[1], 'f', "two fetches: op log \"%s\"", env->log);
}

#define CR0_PE_TS	0x8005003bULL	/* CR0 with TS */
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXSAVE	(1ULL << 18)

/* SSE/AVX moves: the vector registers through get_vreg/set_vreg, and their #GP/#UD/#NM. */
static void emu_sse(struct kunit *test)
{
	struct emu_env *env = env_alloc(test);
	struct x86emul_ctxt *ctxt = &env->ctxt;
	static const struct emu_case load = {
		"movdqu xmm1, [rax] (F3 0F 6F)", INSN("\xf3\x0f\x6f\x08"),
		.cr4 = CR4_OSFXSR, .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
		.mem_in = MEM_SEQ, .mem_out = MEM_SEQ,
	};
	static const struct emu_case store = {
		"movdqa [rax], xmm2 (66 0F 7F)", INSN("\x66\x0f\x7f\x10"),
		.cr4 = CR4_OSFXSR, .in = { [RAX] = DATA }, .out = { [RAX] = DATA },
		.mem_out = "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20",
	};
	static const struct emu_case ymm = {
		"vmovdqu ymm3, [rax] (VEX.256 F3 0F 6F)", INSN("\xc5\xfe\x6f\x18"),
		.cr4 = CR4_OSFXSR | CR4_OSXSAVE, .xcr0 = 7,
		.in = { [RAX] = DATA }, .out = { [RAX] = DATA },
		.mem_in = MEM_SEQ, .mem_out = MEM_SEQ,
	};
	static const struct emu_case misaligned = {
		"movaps xmm0, [rax+4]: misaligned, #GP(0)", INSN("\x0f\x28\x40\x04"),
		.cr4 = CR4_OSFXSR, EXC_ERR(13, 0), .in = { [RAX] = DATA },
	};
	static const struct emu_case ts = {
		"movdqu with CR0.TS: #NM", INSN("\xf3\x0f\x6f\x08"),
		.cr0 = CR0_PE_TS, .cr4 = CR4_OSFXSR, EXC(7), .in = { [RAX] = DATA },
	};
	static const struct emu_case no_osfxsr = {
		"movdqu without CR4.OSFXSR: #UD", INSN("\xf3\x0f\x6f\x08"),
		EXC(6), .in = { [RAX] = DATA },
	};
	static const struct emu_case no_ymm = {
		"vmovdqu with XCR0.YMM clear: #UD", INSN("\xc5\xfe\x6f\x18"),
		.cr4 = CR4_OSFXSR | CR4_OSXSAVE, .xcr0 = 3, EXC(6), .in = { [RAX] = DATA },
	};
	const struct emu_case *faults[] = { &misaligned, &ts, &no_osfxsr, &no_ymm };
	u8 want[32];
	int i;

	env_load(env, &load, CODE);
	KUNIT_ASSERT_EQ(test, x86emul_run(ctxt), X86EMUL_CONTINUE);
	KUNIT_EXPECT_EQ(test, memcmp(env->vreg[1], MEM_SEQ, 16), 0);
	memset(want, 0x10, 16);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(env->vreg[1] + 16, want, 16), 0,
			    "legacy SSE keeps bits 255:128");
	KUNIT_EXPECT_EQ(test, ctxt->rip, CODE + load.len);

	env_load(env, &store, CODE);
	check_result(test, env, &store, CODE, x86emul_run(ctxt));

	env_load(env, &ymm, CODE);
	KUNIT_ASSERT_EQ(test, x86emul_run(ctxt), X86EMUL_CONTINUE);
	KUNIT_EXPECT_EQ(test, memcmp(env->vreg[3], MEM_SEQ, 32), 0);

	for (i = 0; i < ARRAY_SIZE(faults); i++) {
		kunit_info(test, "%s", faults[i]->name);
		env_load(env, faults[i], CODE);
		check_result(test, env, faults[i], CODE, x86emul_run(ctxt));
	}
}

static struct kunit_case emulate_test_cases[] = {
	KUNIT_CASE_PARAM(emu_table, emu_cases_gen_params),
	KUNIT_CASE_PARAM(emu_table_read_retry, emu_cases_gen_params),
	KUNIT_CASE_PARAM(emu_table_write_fault, emu_cases_gen_params),
	KUNIT_CASE(emu_fetch_across_pages),
	KUNIT_CASE(emu_sse),
	{}
};

static struct kunit_suite emulate_test_suite = {
	.name = "kvm_emulate",
	.test_cases = emulate_test_cases,
};

kunit_test_suites(&emulate_test_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit suites of the kvm modules' logic (tools/testing/kunit)");
