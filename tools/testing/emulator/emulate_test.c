// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace test of the instruction emulator (arch/x86/kvm/emulate.c), with the CPU it runs on
 * as the oracle: each case runs the instruction natively, from a copy made at run time into an
 * executable page between a prologue that loads all registers, RFLAGS (POPF) and YMM0-15 from
 * a struct and an epilogue that stores them back (PUSHF), with its memory operand in an
 * ordinary page; then x86emul_run() runs the same bytes with the same registers, the memory
 * behind the read/write ops (as MMIO would be), and the two results must agree: registers,
 * RIP, the defined flags, memory, vector registers, and the exception (a native SIGILL is #UD,
 * SIGSEGV #GP, SIGBUS #SS).
 *
 * Every emulator run of a case is also repeated with the first read returning IO_NEEDED and
 * with the write faulting: both must leave registers, RIP and RFLAGS alone, and the log of
 * the ops must show the reads first and at most one write, last.
 *
 * What 64-bit user code cannot run (real, VM86, 16- and 32-bit protected mode, CR0.TS, fetch
 * faults) is checked against values computed by hand from the SDM.
 *
 * Output is TAP: one line per group of cases (an instruction form in one operand size), with
 * the first mismatch of a failing group. -v also prints every case.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "emulate.h"

/* RFLAGS bits */
#define CF	0x0001ULL
#define PF	0x0004ULL
#define AF	0x0010ULL
#define ZF	0x0040ULL
#define SF	0x0080ULL
#define DF	0x0400ULL
#define OF	0x0800ULL
#define ARITH	(CF | PF | AF | ZF | SF | OF)
#define FIXED1	0x0002ULL

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
#define NOREG	(-1)
#define RIPREL	(-2)

/*
 * The native side. One fixed mapping below 2 GiB (so absolute disp32 and 32-bit addressing
 * reach it): a control page the harness keeps its own values in, the code page, and the data
 * page every memory operand points into.
 */
#define AREA		0x10000000UL
#define CTRL		(AREA + 0x0000)
#define CODE		(AREA + 0x1000)
#define DATA		(AREA + 0x2000)
#define PAGE		4096
#define CTRL_RSP	"0x10000000"
#define CTRL_STATE	"0x10000008"
#define CTRL_RDI	"0x10000010"

struct cpu {
	u64 r[16];
	u64 rflags;		/* offset 128 */
	u64 pad[15];
	u8 ymm[16][32];		/* offset 256 */
};

_Static_assert(__builtin_offsetof(struct cpu, rflags) == 128, "harness layout");
_Static_assert(__builtin_offsetof(struct cpu, ymm) == 256, "harness layout");

/*
 * Copied around the instruction under test, so written without RIP-relative references: the
 * state pointer and the host RSP live at absolute addresses in the control page. RSP is loaded
 * like the others (signals go to an alternate stack).
 */
#define YMM_LOAD(n)	"vmovdqu " #n "*32+256(%rdi), %ymm" #n "\n"
#define YMM_STORE(n)	"vmovdqu %ymm" #n ", " #n "*32+256(%rdi)\n"
asm(".pushsection .rodata\n"
    "harness_pro:\n"
    "push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "mov %rsp, " CTRL_RSP "\n"
    "mov %rdi, " CTRL_STATE "\n"
    YMM_LOAD(0) YMM_LOAD(1) YMM_LOAD(2) YMM_LOAD(3) YMM_LOAD(4) YMM_LOAD(5) YMM_LOAD(6)
    YMM_LOAD(7) YMM_LOAD(8) YMM_LOAD(9) YMM_LOAD(10) YMM_LOAD(11) YMM_LOAD(12) YMM_LOAD(13)
    YMM_LOAD(14) YMM_LOAD(15)
    "pushq 128(%rdi)\n popfq\n"
    "mov 0(%rdi), %rax\n mov 8(%rdi), %rcx\n mov 16(%rdi), %rdx\n mov 24(%rdi), %rbx\n"
    "mov 32(%rdi), %rsp\n mov 40(%rdi), %rbp\n mov 48(%rdi), %rsi\n"
    "mov 64(%rdi), %r8\n mov 72(%rdi), %r9\n mov 80(%rdi), %r10\n mov 88(%rdi), %r11\n"
    "mov 96(%rdi), %r12\n mov 104(%rdi), %r13\n mov 112(%rdi), %r14\n mov 120(%rdi), %r15\n"
    "mov 56(%rdi), %rdi\n"
    "harness_pro_end:\n"
    "harness_epi:\n"
    "mov %rdi, " CTRL_RDI "\n"
    "mov " CTRL_STATE ", %rdi\n"
    "mov %rax, 0(%rdi)\n mov %rcx, 8(%rdi)\n mov %rdx, 16(%rdi)\n mov %rbx, 24(%rdi)\n"
    "mov %rsp, 32(%rdi)\n mov %rbp, 40(%rdi)\n mov %rsi, 48(%rdi)\n"
    "mov %r8, 64(%rdi)\n mov %r9, 72(%rdi)\n mov %r10, 80(%rdi)\n mov %r11, 88(%rdi)\n"
    "mov %r12, 96(%rdi)\n mov %r13, 104(%rdi)\n mov %r14, 112(%rdi)\n mov %r15, 120(%rdi)\n"
    "mov " CTRL_RSP ", %rsp\n"
    "pushfq\n popq 128(%rdi)\n cld\n"
    "mov " CTRL_RDI ", %rax\n mov %rax, 56(%rdi)\n"
    YMM_STORE(0) YMM_STORE(1) YMM_STORE(2) YMM_STORE(3) YMM_STORE(4) YMM_STORE(5) YMM_STORE(6)
    YMM_STORE(7) YMM_STORE(8) YMM_STORE(9) YMM_STORE(10) YMM_STORE(11) YMM_STORE(12)
    YMM_STORE(13) YMM_STORE(14) YMM_STORE(15)
    "vzeroupper\n"
    "pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "ret\n"
    "harness_epi_end:\n"
    ".popsection\n");
extern const u8 harness_pro[], harness_pro_end[], harness_epi[], harness_epi_end[];

#define PRO_LEN		((unsigned int)(harness_pro_end - harness_pro))
#define INSN_ADDR	(CODE + PRO_LEN)	/* where the instruction under test runs */

static sigjmp_buf native_jmp;
static volatile sig_atomic_t native_signal;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* SIGSEGV is a #GP when the kernel sent it, a #PF otherwise */
	native_signal = sig == SIGSEGV && si->si_code != SI_KERNEL ? -SIGSEGV : sig;
	siglongjmp(native_jmp, 1);
}

/* run @insn natively on @cpu; 0, or the signal it raised (-SIGSEGV for a page fault) */
static int native_run(struct cpu *cpu, const u8 *insn, unsigned int len)
{
	u8 *code = (u8 *)CODE;
	void (*fn)(struct cpu *);

	memcpy(code, harness_pro, PRO_LEN);
	memcpy(code + PRO_LEN, insn, len);
	memcpy(code + PRO_LEN + len, harness_epi, harness_epi_end - harness_epi);
	fn = (void (*)(struct cpu *))code;
	native_signal = 0;
	if (sigsetjmp(native_jmp, 1) == 0)
		fn(cpu);
	return native_signal;
}

static void native_setup(void)
{
	static u8 altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	void *p;

	p = mmap((void *)AREA, 3 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)AREA) {
		printf("Bail out! mmap at %#lx: %s\n", AREA, strerror(errno));
		exit(1);
	}
	if (sigaltstack(&ss, NULL) || sigaction(SIGILL, &sa, NULL) ||
	    sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL)) {
		printf("Bail out! signals: %s\n", strerror(errno));
		exit(1);
	}
}

/* ---- pseudo-random numbers (xorshift64*, fixed seed: every run is the same) ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static u64 mask_bytes(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

/*
 * Operand values of @bytes that exercise the flags: 0, 1, the largest positive, the smallest
 * negative, all ones, a nibble carry (AF), and pseudo-random ones.
 */
#define NVALS 10
static u64 value(unsigned int bytes, unsigned int i)
{
	u64 m = mask_bytes(bytes), sign = 1ULL << (8 * bytes - 1);

	switch (i) {
	case 0: return 0;
	case 1: return 1;
	case 2: return (sign - 1) & m;
	case 3: return sign;
	case 4: return m;
	case 5: return 0x0f;
	case 6: return 0x88888888888888f8ULL & m;
	default: return rnd() & m;
	}
}

/* ---- the emulator side ---- */

struct access {
	char kind;		/* 'f' fetch, 'r' read, 'w' write */
	u64 la;
	unsigned int len;
};

#define MAX_LOG 16

struct guest {
	struct x86emul_ctxt ctxt;	/* first: the ops get back here from ctxt */
	/* fetchable bytes */
	u64 code_la;
	const u8 *code;
	unsigned int code_len;
	/* the "MMIO" */
	u64 data_la;
	u8 *data;
	unsigned int data_len;
	u8 ymm[16][32];
	/* pattern memory (hand-computed cases): reads anywhere get pat(), writes land in wbuf */
	bool pattern;
	u8 wbuf[32];
	/* fault injection: read number io_read returns IO_NEEDED; the write faults */
	int io_read;
	bool fault_write;
	int nreads;
	struct access log[MAX_LOG];
	unsigned int nlog;
	bool log_overflow;
};

static struct guest *guest_of(struct x86emul_ctxt *ctxt)
{
	return (struct guest *)ctxt;
}

static void log_access(struct guest *g, char kind, u64 la, unsigned int len)
{
	if (g->nlog == MAX_LOG) {
		g->log_overflow = true;
		return;
	}
	g->log[g->nlog++] = (struct access){ kind, la, len };
}

static int page_fault(struct x86emul_ctxt *ctxt, u64 la, u32 error)
{
	ctxt->exception.vector = 14;
	ctxt->exception.error_code_valid = true;
	ctxt->exception.error_code = error;
	ctxt->exception.address = la;
	return X86EMUL_EXCEPTION;
}

static bool inside(u64 la, unsigned int len, u64 base, unsigned int size)
{
	return la >= base && la - base <= size && len <= size - (la - base);
}

/* what pattern memory holds at @la */
static u8 pat(u64 la)
{
	return (u8)(la * 7 + (la >> 8) * 13 + 1);
}

static u64 pat_val(u64 la, unsigned int len)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (u64)pat(la + i) << (8 * i);
	return v;
}

static int op_fetch(struct x86emul_ctxt *ctxt, u64 la, void *buf, unsigned int len)
{
	struct guest *g = guest_of(ctxt);

	log_access(g, 'f', la, len);
	if (!inside(la, len, g->code_la, g->code_len))
		return page_fault(ctxt, inside(la, 1, g->code_la, g->code_len) ?
				  g->code_la + g->code_len : la, 0x14);
	memcpy(buf, g->code + (la - g->code_la), len);
	return X86EMUL_CONTINUE;
}

static int op_read(struct x86emul_ctxt *ctxt, u64 la, void *buf, unsigned int len)
{
	struct guest *g = guest_of(ctxt);

	log_access(g, 'r', la, len);
	if (g->nreads++ == g->io_read)
		return X86EMUL_IO_NEEDED;
	if (g->pattern) {
		unsigned int i;

		for (i = 0; i < len; i++)
			((u8 *)buf)[i] = pat(la + i);
		return X86EMUL_CONTINUE;
	}
	if (!inside(la, len, g->data_la, g->data_len))
		return page_fault(ctxt, la, 0x4);
	memcpy(buf, g->data + (la - g->data_la), len);
	return X86EMUL_CONTINUE;
}

static int op_write(struct x86emul_ctxt *ctxt, u64 la, const void *buf, unsigned int len)
{
	struct guest *g = guest_of(ctxt);

	log_access(g, 'w', la, len);
	if (g->pattern && !g->fault_write && len <= sizeof(g->wbuf)) {
		memcpy(g->wbuf, buf, len);
		return X86EMUL_CONTINUE;
	}
	if (g->fault_write || !inside(la, len, g->data_la, g->data_len))
		return page_fault(ctxt, la, 0x6);
	memcpy(g->data + (la - g->data_la), buf, len);
	return X86EMUL_CONTINUE;
}

static void op_get_vreg(struct x86emul_ctxt *ctxt, int idx, void *buf, unsigned int len)
{
	memcpy(buf, guest_of(ctxt)->ymm[idx], len);
}

static void op_set_vreg(struct x86emul_ctxt *ctxt, int idx, const void *buf, unsigned int len)
{
	memcpy(guest_of(ctxt)->ymm[idx], buf, len);
}

static const struct x86emul_ops test_ops = {
	.fetch = op_fetch,
	.read = op_read,
	.write = op_write,
	.get_vreg = op_get_vreg,
	.set_vreg = op_set_vreg,
};

/* 64-bit mode, SSE and AVX on: CR0.PE MP NE PG, CR4.PAE OSFXSR OSXSAVE, XCR0 x87 SSE AVX */
#define CR0_DEFAULT	0x80000023ULL
#define CR4_DEFAULT	0x40220ULL
#define XCR0_DEFAULT	0x7ULL

static void guest_init(struct guest *g, enum x86emul_mode mode)
{
	memset(g, 0, sizeof(*g));
	g->ctxt.ops = &test_ops;
	g->ctxt.mode = mode;
	g->ctxt.cr0 = CR0_DEFAULT;
	g->ctxt.cr4 = CR4_DEFAULT;
	g->ctxt.xcr0 = XCR0_DEFAULT;
	g->io_read = -1;
}

static const char *hex(const u8 *b, unsigned int n)
{
	static char buf[4][64];
	static int which;
	char *s = buf[which++ & 3];
	unsigned int i;

	s[0] = 0;
	for (i = 0; i < n && i < 20; i++)
		sprintf(s + 3 * i, "%02x%s", b[i], i + 1 < n ? " " : "");
	return s;
}

/* ---- TAP ---- */

static bool verbose;
static unsigned int tap_n, tap_failed, cases_total;
static unsigned int grp_cases, grp_failed, grp_undef_diff;
static char grp_name[160], grp_first_fail[768];

static void group(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(grp_name, sizeof(grp_name), fmt, ap);
	va_end(ap);
	grp_cases = 0;
	grp_failed = 0;
	grp_undef_diff = 0;
	grp_first_fail[0] = 0;
}

static void group_end(void)
{
	tap_n++;
	if (grp_failed) {
		tap_failed++;
		printf("not ok %u - %s: %s", tap_n, grp_name, grp_first_fail);
		if (grp_failed > 1)
			printf(" (and %u more of %u cases)", grp_failed - 1, grp_cases);
		printf("\n");
	} else {
		printf("ok %u - %s (%u cases", tap_n, grp_name, grp_cases);
		if (grp_undef_diff)
			printf("; undefined bits differ from this CPU's in %u", grp_undef_diff);
		printf(")\n");
	}
}

/* a case of the current group failed: keep the first message */
static void case_fail(const char *desc, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!grp_failed++)
		snprintf(grp_first_fail, sizeof(grp_first_fail), "[%s] %s", desc, msg);
	if (verbose)
		printf("#   FAIL [%s] %s\n", desc, msg);
}

static void case_done(const char *desc, const u8 *insn, unsigned int len, const char *outcome)
{
	grp_cases++;
	cases_total++;
	if (verbose)
		printf("#   case [%s] %s: %s\n", desc, hex(insn, len), outcome);
}


/* ---- encoding the instructions under test ---- */

/* a memory operand [base + index * scale + disp]; base RIPREL: disp is the target address */
struct mem {
	int base, index, scale;
	s64 disp;
	int dsize;		/* 0: shortest, else 1 or 4 */
};

/* an instruction with a ModRM byte (reg >= 0), in 64-bit mode */
struct ins {
	const char *pfx;	/* legacy prefixes, as a C string of bytes */
	bool w, rex;		/* REX.W; a REX even without bits (SPL..DIL) */
	int vex;		/* 0: legacy; 2 or 3: a VEX of that many bytes, map 0F, op[0] */
	u8 vex_pp, vex_l, vex_vvvv;	/* VEX.pp, VEX.L, VEX.vvvv (not inverted; 0: none) */
	u8 op[3];
	unsigned int nop;
	int reg;		/* ModRM.reg: a register or the /digit; -1: no ModRM */
	const struct mem *m;	/* the r/m memory operand; NULL: the register rm */
	int rm;
	u64 imm;
	unsigned int isize;
};

static unsigned int scale_bits(int scale)
{
	return scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
}

static bool fits_s8(s64 v)
{
	return v >= -128 && v <= 127;
}

/* the bytes of @s at INSN_ADDR into @o; returns the length; *has_rex tells if a REX went in */
static unsigned int encode(const struct ins *s, u8 *o, bool *has_rex)
{
	const struct mem *m = s->m;
	unsigned int n = 0, i, dsize = 0;
	u8 rex = 0x40 | (s->w ? 8 : 0), modrm = 0;
	const char *p;
	int rel_at = -1;
	s64 disp = 0;

	for (p = s->pfx; p && *p; p++)
		o[n++] = (u8)*p;
	if (s->reg >= 8)
		rex |= 4;
	if (s->reg >= 0 && m) {
		if (m->base >= 8)
			rex |= 1;
		if (m->index >= 8)
			rex |= 2;
	} else if (s->reg >= 0 && s->rm >= 8) {
		rex |= 1;
	}
	*has_rex = !s->vex && (rex != 0x40 || s->rex);
	if (*has_rex)
		o[n++] = rex;
	if (s->vex == 2) {
		/* C5: R vvvv L pp, R and vvvv inverted */
		o[n++] = 0xc5;
		o[n++] = (rex & 4 ? 0 : 0x80) | ((~s->vex_vvvv & 15) << 3) | (s->vex_l << 2) |
			 s->vex_pp;
	} else if (s->vex == 3) {
		/* C4: R X B inverted, map 00001 (0F); W vvvv L pp */
		o[n++] = 0xc4;
		o[n++] = ((~rex & 7) << 5) | 1;
		o[n++] = (rex & 8 ? 0x80 : 0) | ((~s->vex_vvvv & 15) << 3) | (s->vex_l << 2) |
			 s->vex_pp;
	}
	for (i = 0; i < s->nop; i++)
		o[n++] = s->op[i];
	if (s->reg >= 0) {
		modrm = (s->reg & 7) << 3;
		if (!m) {
			o[n++] = 0xc0 | modrm | (s->rm & 7);
		} else if (m->base == RIPREL) {
			o[n++] = modrm | 5;
			dsize = 4;
			rel_at = n;
		} else if (m->base == NOREG) {
			o[n++] = modrm | 4;
			o[n++] = (scale_bits(m->scale) << 6) |
				 ((m->index == NOREG ? 4 : m->index & 7) << 3) | 5;
			dsize = 4;
			disp = m->disp;
		} else {
			disp = m->disp;
			dsize = m->dsize ? m->dsize :
				(disp == 0 && (m->base & 7) != 5) ? 0 : fits_s8(disp) ? 1 : 4;
			modrm |= dsize == 0 ? 0x00 : dsize == 1 ? 0x40 : 0x80;
			if (m->index != NOREG || (m->base & 7) == 4) {
				u8 index = m->index == NOREG ? 4 : m->index & 7;

				o[n++] = modrm | 4;
				o[n++] = (scale_bits(m->scale) << 6) | (index << 3) | (m->base & 7);
			} else {
				o[n++] = modrm | (m->base & 7);
			}
		}
		for (i = 0; i < dsize; i++)
			o[n++] = (u8)((u64)disp >> (8 * i));
	}
	for (i = 0; i < s->isize; i++)
		o[n++] = (u8)(s->imm >> (8 * i));
	if (rel_at >= 0) {
		disp = m->disp - (s64)(INSN_ADDR + n);
		for (i = 0; i < 4; i++)
			o[rel_at + i] = (u8)((u64)disp >> (8 * i));
	}
	return n;
}

static u32 reg_bit(int reg)
{
	return reg >= 0 ? 1u << reg : 0;
}

/* a register not in @avoid (a mask of register numbers) */
static int pick_reg(u32 avoid)
{
	int r;

	do
		r = rnd() % 16;
	while (avoid & (1u << r));
	return r;
}

/*
 * A random addressing form for the memory operand at @target, with registers not in @avoid:
 * base alone or with a scaled index, no displacement, disp8 or disp32. Sets the registers.
 */
static struct mem rand_mem(struct cpu *c, u64 target, u32 avoid)
{
	struct mem m = { .index = NOREG, .scale = 1 };
	u64 idx = 0;

	m.base = pick_reg(avoid);
	avoid |= reg_bit(m.base);
	if (rnd() % 3 == 0) {
		m.index = pick_reg(avoid | reg_bit(RSP));
		m.scale = 1 << (rnd() % 4);
		idx = rnd() % 32;
		c->r[m.index] = idx;
		if (rnd() % 4 == 0) {
			/* a negative index */
			c->r[m.index] = -idx;
			idx = -idx;
		}
	}
	switch (rnd() % 3) {
	case 0:
		m.disp = 0;
		break;
	case 1:
		m.disp = (s8)rnd();
		break;
	default:
		m.disp = (s32)rnd();
		m.dsize = 4;
		break;
	}
	c->r[m.base] = target - m.disp - idx * m.scale;
	return m;
}

/* the registers an 8-bit register operand touches: AH..BH (no REX) are in RAX..RBX */
static u32 reg8_bits(int reg, bool rex)
{
	return (!rex && reg >= 4 && reg < 8) ? reg_bit(reg - 4) | reg_bit(reg) : reg_bit(reg);
}

static void set_reg(struct cpu *c, int reg, unsigned int bytes, bool rex, u64 val)
{
	u64 m = mask_bytes(bytes);

	if (bytes == 1 && !rex && reg >= 4 && reg < 8) {
		c->r[reg - 4] = (c->r[reg - 4] & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	c->r[reg] = (c->r[reg] & ~m) | (val & m);
}

/* ---- one case: native run, emulator runs, comparison ---- */

struct tcase {
	char desc[112];
	u8 insn[16];
	unsigned int len;
	struct cpu in;
	u64 flags_mask;		/* the RFLAGS bits compared */
	u64 undef_mask;		/* undefined flags: a difference is counted, not failed */
	u64 reg_undef[16];	/* register bits that differ between vendors: the same */
	int writes;		/* the writes expected in the op log; -1: any */
	bool vec;		/* compare YMM0-15 */
	bool rep;		/* run the emulator again until RIP moves (REP string) */
};

static u8 data_init[PAGE];	/* the data page at the start of every case */
static u8 emu_data[PAGE];
static u64 fs_base, gs_base;

static void tcase_init(struct tcase *tc)
{
	unsigned int i;

	memset(tc, 0, sizeof(*tc));
	for (i = 0; i < 16; i++)
		tc->in.r[i] = rnd();
	tc->in.rflags = FIXED1 | (rnd() & ARITH);
	for (i = 0; i < sizeof(tc->in.ymm) / 8; i++)
		((u64 *)tc->in.ymm)[i] = rnd();
	tc->flags_mask = ARITH | DF;
	tc->writes = -1;
	for (i = 0; i < PAGE / 8; i++)
		((u64 *)data_init)[i] = rnd();
}

static void put_data(u64 la, u64 val, unsigned int bytes)
{
	memcpy(data_init + (la - DATA), &val, bytes);
}

static void tcase_encode(struct tcase *tc, const struct ins *s, bool *has_rex)
{
	bool dummy;

	tc->len = encode(s, tc->insn, has_rex ? has_rex : &dummy);
}

static void emu_prepare(struct guest *g, const struct tcase *tc)
{
	guest_init(g, X86EMUL_MODE_PROT64);
	g->code_la = CODE;
	g->code = (const u8 *)CODE;
	g->code_len = PAGE;
	g->data_la = DATA;
	g->data = emu_data;
	g->data_len = PAGE;
	memcpy(emu_data, data_init, PAGE);
	memcpy(g->ymm, tc->in.ymm, sizeof(g->ymm));
	memcpy(g->ctxt.regs, tc->in.r, sizeof(g->ctxt.regs));
	g->ctxt.rip = INSN_ADDR;
	g->ctxt.rflags = tc->in.rflags;
	g->ctxt.seg_base[X86EMUL_SEG_FS] = fs_base;
	g->ctxt.seg_base[X86EMUL_SEG_GS] = gs_base;
}

static const char *const rc_names[] = { "CONTINUE", "IO_NEEDED", "EXCEPTION", "UNHANDLEABLE" };

static const char *rc_name(int rc)
{
	return rc >= 0 && rc < 4 ? rc_names[rc] : "?";
}

/* the ops' log of one x86emul_run(): reads, then at most one write, and nothing after it */
static bool check_log(const struct tcase *tc, const struct guest *g)
{
	unsigned int i, writes = 0;

	if (g->log_overflow) {
		case_fail(tc->desc, "more than %d ops in one run", MAX_LOG);
		return false;
	}
	for (i = 0; i < g->nlog; i++) {
		if (writes) {
			case_fail(tc->desc, "op '%c' after the write", g->log[i].kind);
			return false;
		}
		if (g->log[i].kind == 'w')
			writes++;
	}
	return true;
}

/* after a run that did not complete: the caller's state as it was */
static bool check_untouched(const struct tcase *tc, const struct guest *g, const char *what)
{
	if (memcmp(g->ctxt.regs, tc->in.r, sizeof(tc->in.r)) || g->ctxt.rip != INSN_ADDR ||
	    g->ctxt.rflags != tc->in.rflags || memcmp(g->ymm, tc->in.ymm, sizeof(g->ymm))) {
		case_fail(tc->desc, "%s: registers changed", what);
		return false;
	}
	if (memcmp(emu_data, data_init, PAGE)) {
		case_fail(tc->desc, "%s: memory written", what);
		return false;
	}
	return true;
}

/*
 * The run with the first (or later) read left waiting for userspace, then resumed once the
 * data is there (x86emul_resume(): no fetch, no decode, the end of the plain run @done), and
 * with a faulting write.
 */
static bool check_all_or_nothing(const struct tcase *tc, unsigned int nreads, bool wrote,
				 const struct guest *done)
{
	static struct guest g;
	unsigned int k;
	int rc;

	for (k = 0; k < nreads; k++) {
		emu_prepare(&g, tc);
		g.io_read = k;
		rc = x86emul_run(&g.ctxt);
		if (rc != X86EMUL_IO_NEEDED) {
			case_fail(tc->desc, "read %u IO_NEEDED: expected IO_NEEDED, got %s", k,
				  rc_name(rc));
			return false;
		}
		if (g.log[g.nlog - 1].kind != 'r' || g.nreads != (int)k + 1) {
			case_fail(tc->desc, "read %u IO_NEEDED: ops called after it", k);
			return false;
		}
		if (!check_untouched(tc, &g, "IO_NEEDED"))
			return false;
		/* a REP instruction's plain run is many runs: only the single ones compare */
		if (tc->rep)
			continue;
		g.io_read = -1;
		g.nreads = 0;
		g.nlog = 0;
		rc = x86emul_resume(&g.ctxt);
		if (rc != X86EMUL_CONTINUE) {
			case_fail(tc->desc, "read %u IO_NEEDED, resumed: expected CONTINUE, got %s",
				  k, rc_name(rc));
			return false;
		}
		if (g.log[0].kind == 'f') {
			case_fail(tc->desc, "read %u IO_NEEDED, resumed: fetched again", k);
			return false;
		}
		if (memcmp(g.ctxt.regs, done->ctxt.regs, sizeof(g.ctxt.regs)) ||
		    g.ctxt.rip != done->ctxt.rip || g.ctxt.rflags != done->ctxt.rflags ||
		    memcmp(emu_data, (void *)DATA, PAGE) ||
		    (tc->vec && memcmp(g.ymm, done->ymm, sizeof(g.ymm)))) {
			case_fail(tc->desc, "read %u IO_NEEDED, resumed: registers, rip, rflags, "
				  "memory or vector registers differ from the plain run", k);
			return false;
		}
	}
	if (wrote) {
		emu_prepare(&g, tc);
		g.fault_write = true;
		rc = x86emul_run(&g.ctxt);
		if (rc != X86EMUL_EXCEPTION || g.ctxt.exception.vector != 14) {
			case_fail(tc->desc, "faulting write: expected EXCEPTION #PF, got %s",
				  rc_name(rc));
			return false;
		}
		if (!check_untouched(tc, &g, "faulting write"))
			return false;
	}
	return true;
}

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static int vector_of_signal(int sig)
{
	switch (sig) {
	case SIGILL: return 6;		/* #UD */
	case SIGBUS: return 12;		/* #SS */
	case SIGSEGV: return 13;	/* #GP */
	case -SIGSEGV: return 14;	/* #PF */
	}
	return -1;
}

/*
 * Run @tc natively and in the emulator and compare. The emulator result must equal the CPU's:
 * a signal maps to an exception vector, and then the emulator must not have changed anything.
 */
static void run_case(struct tcase *tc)
{
	static struct cpu nat;
	static struct guest g;
	unsigned int iter = 0, nreads = 0, i;
	bool wrote = false;
	char outcome[64];
	int sig, rc;
	u64 diff;

	memcpy((void *)DATA, data_init, PAGE);
	nat = tc->in;
	sig = native_run(&nat, tc->insn, tc->len);

	emu_prepare(&g, tc);
	do {
		g.nlog = 0;
		g.nreads = 0;
		rc = x86emul_run(&g.ctxt);
		if (!check_log(tc, &g))
			goto out;
		if (iter == 0) {
			for (i = 0; i < g.nlog; i++) {
				nreads += g.log[i].kind == 'r';
				wrote |= g.log[i].kind == 'w';
			}
		}
		iter++;
	} while (tc->rep && rc == X86EMUL_CONTINUE && g.ctxt.rip == INSN_ADDR && iter < 1000);

	if (sig) {
		if (rc != X86EMUL_EXCEPTION || g.ctxt.exception.vector != vector_of_signal(sig)) {
			case_fail(tc->desc, "%s: CPU raised signal %d (vector %d), emulator %s "
				  "vector %d", hex(tc->insn, tc->len), sig, vector_of_signal(sig),
				  rc_name(rc),
				  rc == X86EMUL_EXCEPTION ? g.ctxt.exception.vector : -1);
			goto out;
		}
		check_untouched(tc, &g, "exception");
		goto out;
	}
	if (rc != X86EMUL_CONTINUE) {
		case_fail(tc->desc, "%s: expected CONTINUE, got %s (vector %d)",
			  hex(tc->insn, tc->len), rc_name(rc),
			  rc == X86EMUL_EXCEPTION ? g.ctxt.exception.vector : -1);
		goto out;
	}
	for (i = 0; i < 16; i++) {
		if ((g.ctxt.regs[i] ^ nat.r[i]) & tc->reg_undef[i])
			grp_undef_diff++;
		if ((g.ctxt.regs[i] ^ nat.r[i]) & ~tc->reg_undef[i]) {
			case_fail(tc->desc, "%s: %s expected %#" PRIx64 ", got %#" PRIx64,
				  hex(tc->insn, tc->len), reg_names[i], nat.r[i], g.ctxt.regs[i]);
			goto out;
		}
	}
	if (g.ctxt.rip != INSN_ADDR + tc->len) {
		case_fail(tc->desc, "%s: rip expected %#" PRIx64 ", got %#" PRIx64,
			  hex(tc->insn, tc->len), INSN_ADDR + tc->len, g.ctxt.rip);
		goto out;
	}
	diff = (g.ctxt.rflags ^ nat.rflags) & tc->flags_mask;
	if (diff) {
		case_fail(tc->desc, "%s: rflags expected %#" PRIx64 ", got %#" PRIx64
			  " (differ in %#" PRIx64 ")", hex(tc->insn, tc->len),
			  nat.rflags & tc->flags_mask, g.ctxt.rflags & tc->flags_mask, diff);
		goto out;
	}
	if ((g.ctxt.rflags ^ nat.rflags) & tc->undef_mask)
		grp_undef_diff++;
	if (memcmp(emu_data, (void *)DATA, PAGE)) {
		for (i = 0; emu_data[i] == ((u8 *)DATA)[i]; i++)
			;
		case_fail(tc->desc, "%s: memory at +%#x expected %s, got %s",
			  hex(tc->insn, tc->len), i, hex((u8 *)DATA + i, 8), hex(emu_data + i, 8));
		goto out;
	}
	if (tc->vec && memcmp(g.ymm, nat.ymm, sizeof(g.ymm))) {
		for (i = 0; memcmp(g.ymm[i], nat.ymm[i], 32) == 0; i++)
			;
		case_fail(tc->desc, "%s: ymm%u expected %s.., got %s..", hex(tc->insn, tc->len), i,
			  hex(nat.ymm[i], 20), hex(g.ymm[i], 20));
		goto out;
	}
	if (tc->writes >= 0 && (int)wrote != tc->writes) {
		case_fail(tc->desc, "%s: expected %d writes, the ops saw %d",
			  hex(tc->insn, tc->len), tc->writes, wrote);
		goto out;
	}
	check_all_or_nothing(tc, nreads, wrote, &g);
out:
	if (rc == X86EMUL_EXCEPTION)
		snprintf(outcome, sizeof(outcome), "EXCEPTION %u, CPU signal %d",
			 g.ctxt.exception.vector, sig);
	else
		snprintf(outcome, sizeof(outcome), "%s after %u runs, CPU signal %d",
			 rc_name(rc), iter, sig);
	case_done(tc->desc, tc->insn, tc->len, outcome);
}

/* ---- the instruction classes ---- */

static const char *size_name(unsigned int bytes)
{
	return bytes == 1 ? "8" : bytes == 2 ? "16" : bytes == 4 ? "32" : "64";
}

/* where a memory operand goes: somewhere in the middle of the data page, any alignment */
static u64 rand_target(void)
{
	return DATA + 0x600 + rnd() % 0x400;
}

/* an instruction of @bytes operand size: 66 or REX.W, the byte form is opcode @op8 */
static void size_ins(struct ins *s, unsigned int bytes, u8 op8, u8 op)
{
	s->pfx = bytes == 2 ? "\x66" : NULL;
	s->w = bytes == 8;
	s->op[s->nop++] = bytes == 1 ? op8 : op;
}

/* a random register for an operand of @bytes; 8-bit ones 4-7 may be AH..BH or SPL..DIL */
static int rand_reg_operand(struct ins *s, unsigned int bytes, u32 avoid)
{
	int reg = pick_reg(avoid);

	if (bytes == 1 && reg >= 4 && reg < 8)
		s->rex = rnd() & 1;
	return reg;
}

/*
 * Put a random memory operand holding @val (@bytes) into @s, avoiding the registers in @avoid,
 * and encode @s into @tc. *rex (if not NULL) tells whether the encoding has a REX prefix.
 */
static u64 mem_form(struct tcase *tc, struct ins *s, u32 avoid, unsigned int bytes, u64 val,
		    bool *rex)
{
	u64 target = rand_target();
	struct mem m = rand_mem(&tc->in, target, avoid);

	s->m = &m;
	tcase_encode(tc, s, rex);
	s->m = NULL;
	put_data(target, val, bytes);
	return target;
}

/*
 * "op r/m, reg" or "op reg, r/m" (opcode @op8 for bytes, @op for the others) with a memory r/m
 * holding @mem_val and a random register holding @reg_val.
 */
static int rm_reg_case(struct tcase *tc, u8 op8, u8 op, unsigned int bytes, u64 mem_val,
		       u64 reg_val)
{
	struct ins s = { .reg = 0 };
	bool rex;

	size_ins(&s, bytes, op8, op);
	s.reg = rand_reg_operand(&s, bytes, 0);
	/* the memory operand's registers must not be the register operand */
	mem_form(tc, &s, bytes == 1 ? reg8_bits(s.reg, s.rex) : reg_bit(s.reg), bytes,
		 mem_val, &rex);
	set_reg(&tc->in, s.reg, bytes, rex, reg_val);
	return s.reg;
}

static const char *const alu_names[8] = { "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp" };

/* the operand sizes 8 16 32 64, or 16 32 64 when @from is 1 */
#define for_each_size(bi, bytes, from)						\
	for ((bi) = (from); (bi) < 4 && ((bytes) = 1u << (bi)); (bi)++)

static bool alu_logic(unsigned int op)
{
	return op == 1 || op == 4 || op == 6;
}

/* an immediate of @bytes operand size: imm8/16/32, imm32 sign-extended for 64 bits */
static void imm_full(struct ins *s, unsigned int bytes, u64 *imm)
{
	if (bytes == 8)
		*imm = (u64)(s32)*imm;
	s->imm = *imm;
	s->isize = bytes == 8 ? 4 : bytes;
}

/*
 * One ALU case, memory holding @a: @form 0 "op m, r" with @b in the register, 1 "op r, m",
 * 2 "op m, imm" (80/81), 3 "op m, imm8" (83). CF in is @cf, or random when @cf < 0.
 */
static void alu_case(unsigned int op, unsigned int form, unsigned int bytes, u64 a, u64 b,
		     int cf)
{
	struct ins s = { .reg = op };
	struct tcase tc;

	tcase_init(&tc);
	if (form < 2) {
		u8 base = op << 3 | (form ? 2 : 0);

		rm_reg_case(&tc, base, base + 1, bytes, a, b);
	} else {
		if (form == 3) {
			b = (u64)(s8)b & mask_bytes(bytes);
			size_ins(&s, bytes, 0, 0x83);
			s.imm = b;
			s.isize = 1;
		} else {
			size_ins(&s, bytes, 0x80, 0x81);
			imm_full(&s, bytes, &b);
		}
		mem_form(&tc, &s, 0, bytes, a, NULL);
	}
	tc.in.rflags &= ~CF;
	tc.in.rflags |= cf < 0 ? rnd() & CF : cf ? CF : 0;
	if (alu_logic(op))
		tc.flags_mask &= ~AF;
	snprintf(tc.desc, sizeof(tc.desc), "%s %#" PRIx64 ", %#" PRIx64 " cf=%d", alu_names[op],
		 a, b, (int)(tc.in.rflags & CF));
	run_case(&tc);
}

static void alu_group(unsigned int op, unsigned int form, unsigned int bytes)
{
	const char *sz = size_name(bytes);
	unsigned int i, j;

	if (form == 0)
		group("%s m%s, r%s (%02X)", alu_names[op], sz, sz, op << 3 | (bytes > 1));
	else if (form == 1)
		group("%s r%s, m%s (%02X)", alu_names[op], sz, sz, op << 3 | 2 | (bytes > 1));
	else if (form == 2)
		group("%s m%s, imm%s (%s /%u)", alu_names[op], sz, bytes == 8 ? "32" : sz,
		      bytes == 1 ? "80" : "81", op);
	else
		group("%s m%s, imm8 (83 /%u)", alu_names[op], sz, op);
	for (i = 0; i < NVALS; i++) {
		for (j = 0; j < NVALS; j++) {
			u64 a = value(bytes, i), b = value(bytes, j);

			if (op == 2 || op == 3) {
				alu_case(op, form, bytes, a, b, 0);
				alu_case(op, form, bytes, a, b, 1);
			} else {
				alu_case(op, form, bytes, a, b, -1);
			}
		}
	}
	group_end();
}

/*
 * 00-3F and 80/81/83: all eight operations in every size and form, on value pairs that carry,
 * overflow, borrow from bit 4 and give zero, with CF in set and clear for ADC and SBB.
 * Flags: all six are defined for ADD ADC SUB SBB CMP and compared exactly; for OR AND XOR the
 * SDM leaves AF undefined: masked (AMD Zen clears it; so does the emulator).
 */
static void test_alu(void)
{
	unsigned int op, form, bi, bytes;

	for (op = 0; op < 8; op++)
		for (form = 0; form < 4; form++)
			for_each_size(bi, bytes, form == 3)
				alu_group(op, form, bytes);
}

/*
 * The ALU forms without a memory operand (accumulator with an immediate, register with
 * register): no MMIO exit uses them, but the decoder takes them and they must be right.
 */
static void alu_regs_case(unsigned int bytes, unsigned int n)
{
	struct ins s = { .reg = -1 };
	unsigned int op = rnd() % 8;
	struct tcase tc;
	bool rex;

	tcase_init(&tc);
	if (n & 1) {
		size_ins(&s, bytes, op << 3 | 4, op << 3 | 5);
		s.imm = rnd();
		s.isize = bytes == 8 ? 4 : bytes;
		tcase_encode(&tc, &s, NULL);
	} else {
		size_ins(&s, bytes, op << 3 | (rnd() & 2), op << 3 | (rnd() & 2) | 1);
		s.reg = rand_reg_operand(&s, bytes, 0);
		s.rm = rand_reg_operand(&s, bytes, 0);
		tcase_encode(&tc, &s, &rex);
		set_reg(&tc.in, s.reg, bytes, rex, value(bytes, rnd() % NVALS));
		set_reg(&tc.in, s.rm, bytes, rex, value(bytes, rnd() % NVALS));
	}
	if (alu_logic(op))
		tc.flags_mask &= ~AF;
	snprintf(tc.desc, sizeof(tc.desc), "%s #%u", alu_names[op], n);
	run_case(&tc);
}

static void test_alu_regs(void)
{
	unsigned int bi, bytes, n;

	for_each_size(bi, bytes, 0) {
		group("alu acc, imm and r, r%s (04/05, 00-3B mod 3)", size_name(bytes));
		for (n = 0; n < 200; n++)
			alu_regs_case(bytes, n);
		group_end();
	}
}

/* TEST: 84/85 m, r and F6/F7 /0 m, imm (and /1, its undocumented alias); AF undefined: masked */
static void test_case(int digit, unsigned int bytes, u64 a, u64 b)
{
	struct ins s = { .reg = digit };
	struct tcase tc;

	tcase_init(&tc);
	if (digit < 0) {
		rm_reg_case(&tc, 0x84, 0x85, bytes, a, b);
	} else {
		size_ins(&s, bytes, 0xf6, 0xf7);
		imm_full(&s, bytes, &b);
		mem_form(&tc, &s, 0, bytes, a, NULL);
	}
	tc.flags_mask &= ~AF;
	snprintf(tc.desc, sizeof(tc.desc), "test %#" PRIx64 ", %#" PRIx64, a, b);
	run_case(&tc);
}

static void test_test(void)
{
	unsigned int bi, bytes, i, j;
	int digit;

	for (digit = -1; digit < 2; digit++) {
		for_each_size(bi, bytes, 0) {
			if (digit < 0)
				group("test m%s, r%s (%s)", size_name(bytes), size_name(bytes),
				      bytes == 1 ? "84" : "85");
			else
				group("test m%s, imm (%s /%d)", size_name(bytes),
				      bytes == 1 ? "F6" : "F7", digit);
			for (i = 0; i < NVALS; i++)
				for (j = 0; j < NVALS; j++)
					test_case(digit, bytes, value(bytes, i), value(bytes, j));
			group_end();
		}
	}
}

/* NOT NEG (F6/F7 /2 /3), INC DEC (FE/FF /0 /1): their flags are all defined, all compared */
static void test_unary(void)
{
	static const struct { const char *name; u8 op8, op; unsigned int digit; } u[] = {
		{ "not", 0xf6, 0xf7, 2 }, { "neg", 0xf6, 0xf7, 3 },
		{ "inc", 0xfe, 0xff, 0 }, { "dec", 0xfe, 0xff, 1 },
	};
	unsigned int k, bi, bytes, i;
	struct tcase tc;

	for (k = 0; k < 4; k++) {
		for_each_size(bi, bytes, 0) {
			group("%s m%s (%02X /%u)", u[k].name, size_name(bytes),
			      bytes == 1 ? u[k].op8 : u[k].op, u[k].digit);
			for (i = 0; i < 3 * NVALS; i++) {
				struct ins s = { .reg = u[k].digit };
				u64 a = value(bytes, i % NVALS);

				tcase_init(&tc);
				size_ins(&s, bytes, u[k].op8, u[k].op);
				mem_form(&tc, &s, 0, bytes, a, NULL);
				snprintf(tc.desc, sizeof(tc.desc), "%s %#" PRIx64, u[k].name, a);
				run_case(&tc);
			}
			group_end();
		}
	}
}

/* XCHG m, r (86/87), no flags; XADD (0F C0/C1), flags as ADD: all defined, all compared */
static void xchg_xadd_case(bool xadd, unsigned int bytes, u64 a, u64 b)
{
	struct ins s = { .reg = 0 };
	struct tcase tc;
	bool rex;

	tcase_init(&tc);
	if (xadd)
		s.op[s.nop++] = 0x0f;
	size_ins(&s, bytes, xadd ? 0xc0 : 0x86, xadd ? 0xc1 : 0x87);
	/* half of them LOCKed, which XCHG implies anyway */
	if (rnd() & 1)
		s.pfx = bytes == 2 ? "\xf0\x66" : "\xf0";
	s.reg = rand_reg_operand(&s, bytes, 0);
	mem_form(&tc, &s, reg8_bits(s.reg, s.rex), bytes, a, &rex);
	set_reg(&tc.in, s.reg, bytes, rex, b);
	snprintf(tc.desc, sizeof(tc.desc), "%#" PRIx64 ", %#" PRIx64, a, b);
	run_case(&tc);
}

static void test_xchg_xadd(void)
{
	unsigned int bi, bytes, i, xadd;

	for (xadd = 0; xadd < 2; xadd++) {
		for_each_size(bi, bytes, 0) {
			const char *sz = size_name(bytes);

			if (xadd)
				group("xadd m%s, r%s (0F %s)", sz, sz, bytes == 1 ? "C0" : "C1");
			else
				group("xchg m%s, r%s (%s)", sz, sz, bytes == 1 ? "86" : "87");
			for (i = 0; i < NVALS * NVALS; i++)
				xchg_xadd_case(xadd, bytes, value(bytes, i / NVALS),
					       value(bytes, i % NVALS));
			group_end();
		}
	}
}

/*
 * CMPXCHG m, r (0F B0/B1): flags as CMP accumulator, m; equal half of the time. Memory is
 * written in both outcomes (the old value back when they differ, as the SDM says the CPU
 * does): the op log must show the write. A 32-bit register destination that differs is
 * vendor-specific: Intel writes it back (clearing bits 63:32), AMD leaves it alone; the
 * emulator does as Intel, and those bits are only counted.
 */
static void cmpxchg_case(bool reg_form, unsigned int bytes, u64 a, u64 b, u64 acc)
{
	struct ins s = { .op = { 0x0f }, .nop = 1 };
	struct tcase tc;
	bool rex;

	tcase_init(&tc);
	size_ins(&s, bytes, 0xb0, 0xb1);
	s.reg = rand_reg_operand(&s, bytes, 0);
	if (reg_form) {
		s.rm = rand_reg_operand(&s, bytes, 0);
		tcase_encode(&tc, &s, &rex);
		set_reg(&tc.in, s.rm, bytes, rex, a);
		if (bytes == 4)
			tc.reg_undef[s.rm] = ~0ULL << 32;
	} else {
		if (rnd() & 1)
			s.pfx = bytes == 2 ? "\xf0\x66" : "\xf0";
		mem_form(&tc, &s, reg8_bits(s.reg, s.rex) | reg_bit(RAX), bytes, a, &rex);
		tc.writes = 1;
	}
	set_reg(&tc.in, s.reg, bytes, rex, b);
	set_reg(&tc.in, RAX, bytes, rex, acc);
	snprintf(tc.desc, sizeof(tc.desc), "%#" PRIx64 ", %#" PRIx64 ", acc %#" PRIx64, a, b,
		 tc.in.r[RAX]);
	run_case(&tc);
}

static void test_cmpxchg(void)
{
	unsigned int bi, bytes, i, j, reg_form;

	for (reg_form = 0; reg_form < 2; reg_form++) {
		for_each_size(bi, bytes, 0) {
			group("cmpxchg %s%s, r%s (0F %s)", reg_form ? "r" : "m", size_name(bytes),
			      size_name(bytes), bytes == 1 ? "B0" : "B1");
			for (i = 0; i < NVALS; i++) {
				for (j = 0; j < NVALS; j++) {
					u64 a = value(bytes, i);

					cmpxchg_case(reg_form, bytes, a, value(bytes, j),
						     rnd() & 1 ? a : value(bytes, (i + j) % NVALS));
				}
			}
			group_end();
		}
	}
}

/*
 * MOV 88/89 (store), 8A/8B (load), C6/C7 (immediate, C7 with REX.W sign-extends imm32). No
 * flags change, here and in the other moves: all compared.
 */
static void mov_case(unsigned int form, unsigned int bytes, u64 a)
{
	struct ins s = { .reg = 0 };
	struct tcase tc;

	tcase_init(&tc);
	if (form < 2) {
		rm_reg_case(&tc, form ? 0x8a : 0x88, form ? 0x8b : 0x89, bytes, a, rnd());
	} else {
		size_ins(&s, bytes, 0xc6, 0xc7);
		imm_full(&s, bytes, &a);
		mem_form(&tc, &s, 0, bytes, rnd(), NULL);
	}
	snprintf(tc.desc, sizeof(tc.desc), "%#" PRIx64, a);
	run_case(&tc);
}

static void test_mov(void)
{
	static const char *const forms[] = { "(88/89)", "(8A/8B)", "(C6/C7)" };
	unsigned int bi, bytes, i, form;

	for (form = 0; form < 3; form++) {
		for_each_size(bi, bytes, 0) {
			const char *sz = size_name(bytes);

			if (form == 2)
				group("mov m%s, imm %s", sz, forms[form]);
			else
				group("mov %s%s, %s%s %s", form ? "r" : "m", sz, form ? "m" : "r",
				      sz, forms[form]);
			for (i = 0; i < 3 * NVALS; i++)
				mov_case(form, bytes, value(bytes, i % NVALS));
			group_end();
		}
	}
}

/* MOV A0-A3 with a 64-bit offset, or with 67 a 32-bit one; GS override now and then */
static void moffs_case(bool a32, bool store, unsigned int bytes, u64 val)
{
	u64 target = rand_target(), off = target;
	bool gs = rnd() % 3 == 0;
	unsigned int n = 0, k;
	struct tcase tc;

	tcase_init(&tc);
	if (gs) {
		tc.insn[n++] = 0x65;
		off -= gs_base;
	}
	if (a32)
		tc.insn[n++] = 0x67;
	if (bytes == 2)
		tc.insn[n++] = 0x66;
	if (bytes == 8)
		tc.insn[n++] = 0x48;
	tc.insn[n++] = (store ? 0xa2 : 0xa0) | (bytes > 1);
	for (k = 0; k < (a32 ? 4u : 8u); k++)
		tc.insn[n++] = (u8)(off >> (8 * k));
	tc.len = n;
	put_data(target, val, bytes);
	snprintf(tc.desc, sizeof(tc.desc), "%s%#" PRIx64, gs ? "gs:" : "", off);
	run_case(&tc);
}

static void test_moffs(void)
{
	unsigned int bi, bytes, i, store, a32;

	for (a32 = 0; a32 < 2; a32++) {
		for (store = 0; store < 2; store++) {
			for_each_size(bi, bytes, 0) {
				group("mov %s (%s, moffs%s)", store ? "moffs, acc" : "acc, moffs",
				      size_name(bytes), a32 ? "32" : "64");
				for (i = 0; i < NVALS; i++)
					moffs_case(a32, store, bytes, value(bytes, i));
				group_end();
			}
		}
	}
}

/*
 * MOVZX/MOVSX 0F B6 B7 BE BF into 16/32/64-bit registers, MOVSXD 63 (REX.W: sign-extends;
 * without: a 32-bit move; 66: a 16-bit one), MOVNTI 0F C3, MOVBE 0F 38 F0/F1.
 */
struct movx {
	const char *name;
	u8 op[3];
	unsigned int nop, src;	/* src: the memory operand's size; 0: the operand size */
};

static void movx_case(const struct movx *x, unsigned int bytes, u64 val)
{
	unsigned int src = x->src ? x->src : bytes;
	struct ins s = { .nop = x->nop };
	struct tcase tc;

	memcpy(s.op, x->op, sizeof(s.op));
	tcase_init(&tc);
	s.pfx = bytes == 2 ? "\x66" : NULL;
	s.w = bytes == 8;
	s.reg = pick_reg(0);
	mem_form(&tc, &s, reg_bit(s.reg), src, val, NULL);
	snprintf(tc.desc, sizeof(tc.desc), "%#" PRIx64, val & mask_bytes(src));
	run_case(&tc);
}

static void test_movx(void)
{
	static const struct movx x[] = {
		{ "movzx r, m8 (0F B6)", { 0x0f, 0xb6 }, 2, 1 },
		{ "movzx r, m16 (0F B7)", { 0x0f, 0xb7 }, 2, 2 },
		{ "movsx r, m8 (0F BE)", { 0x0f, 0xbe }, 2, 1 },
		{ "movsx r, m16 (0F BF)", { 0x0f, 0xbf }, 2, 2 },
		{ "movsxd r, m32 (63)", { 0x63 }, 1, 4 },
		{ "movnti m, r (0F C3)", { 0x0f, 0xc3 }, 2, 0 },
		{ "movbe r, m (0F 38 F0)", { 0x0f, 0x38, 0xf0 }, 3, 0 },
		{ "movbe m, r (0F 38 F1)", { 0x0f, 0x38, 0xf1 }, 3, 0 },
	};
	unsigned int k, bi, bytes, i;

	for (k = 0; k < sizeof(x) / sizeof(x[0]); k++) {
		if (x[k].nop == 3 && !__builtin_cpu_supports("movbe"))
			continue;
		for_each_size(bi, bytes, 1) {
			/* MOVNTI has no 16-bit form */
			if (x[k].op[1] == 0xc3 && bytes == 2)
				continue;
			group("%s, %s-bit", x[k].name, size_name(bytes));
			for (i = 0; i < 2 * NVALS; i++)
				movx_case(&x[k], bytes,
					  value(x[k].src ? x[k].src : bytes, i % NVALS));
			group_end();
		}
	}
}

/* SETcc m8 (0F 90-9F) under every combination of the flags the conditions read */
static void test_setcc(void)
{
	unsigned int cc, f;
	struct tcase tc;

	group("setcc m8 (0F 90-9F)");
	for (cc = 0; cc < 16; cc++) {
		for (f = 0; f < 32; f++) {
			struct ins s = { .op = { 0x0f, 0x90 + cc }, .nop = 2 };

			tcase_init(&tc);
			tc.in.rflags = FIXED1 | (f & 1 ? CF : 0) | (f & 2 ? ZF : 0) |
				       (f & 4 ? SF : 0) | (f & 8 ? OF : 0) | (f & 16 ? PF : 0);
			mem_form(&tc, &s, 0, 1, rnd(), NULL);
			snprintf(tc.desc, sizeof(tc.desc), "cc %u flags %#" PRIx64, cc,
				 tc.in.rflags);
			run_case(&tc);
		}
	}
	group_end();
}

/*
 * BT BTS BTR BTC: 0F A3/AB/B3/BB with a register offset, signed and reaching memory outside
 * the operand (up to +-255 bytes here), and 0F BA /4-/7 with an imm8 taken modulo the size;
 * memory and register forms. CF and ZF are compared (ZF is unaffected); OF SF AF PF are
 * undefined in the SDM: masked, and only counted against this CPU (AMD Zen leaves them
 * alone, as the emulator does).
 */
static s64 bt_offset(unsigned int bytes, unsigned int i)
{
	switch (i % 5) {
	case 0:
		return (s64)(rnd() % (8 * bytes));
	case 1:
		return -(s64)(rnd() % 2040) - 1;
	case 2:
		return (s64)(rnd() % 2040);
	case 3:
		return i < 20 ? -1 : (s64)(8 * bytes - 1);
	default:
		return (s64)(rnd() % 256);
	}
}

/* @form 0: m, r; 1: m, imm8; 2: r, r or r, imm8 */
static void bt_case(unsigned int op, unsigned int form, unsigned int bytes, s64 off, bool imm)
{
	struct ins s = { .op = { 0x0f }, .nop = 1 };
	struct tcase tc;
	bool rex;

	tcase_init(&tc);
	s.pfx = bytes == 2 ? "\x66" : NULL;
	s.w = bytes == 8;
	if (imm) {
		s.op[s.nop++] = 0xba;
		s.reg = 4 + op;
		s.imm = (u8)off;
		s.isize = 1;
	} else {
		s.op[s.nop++] = 0xa3 + 8 * op;
		s.reg = pick_reg(0);
	}
	if (form == 2) {
		s.rm = pick_reg(reg_bit(s.reg));
		tcase_encode(&tc, &s, &rex);
	} else {
		/* LOCK now and then on the ones that write */
		if (rnd() & 1 && op)
			s.pfx = bytes == 2 ? "\xf0\x66" : "\xf0";
		mem_form(&tc, &s, imm ? 0 : reg_bit(s.reg), bytes, rnd(), &rex);
	}
	if (!imm)
		set_reg(&tc.in, s.reg, bytes, rex, (u64)off);
	tc.flags_mask = CF | ZF;
	tc.undef_mask = OF | SF | AF | PF;
	snprintf(tc.desc, sizeof(tc.desc), "offset %" PRId64, off);
	run_case(&tc);
}

static void test_bt(void)
{
	static const char *const names[] = { "bt", "bts", "btr", "btc" };
	unsigned int op, bi, bytes, i, form;

	for (op = 0; op < 4; op++) {
		for (form = 0; form < 3; form++) {
			for_each_size(bi, bytes, 1) {
				const char *sz = size_name(bytes);

				if (form == 0)
					group("%s m%s, r (0F %02X)", names[op], sz, 0xa3 + 8 * op);
				else if (form == 1)
					group("%s m%s, imm8 (0F BA /%u)", names[op], sz, 4 + op);
				else
					group("%s r%s, r and r, imm8", names[op], sz);
				for (i = 0; i < 40; i++)
					bt_case(op, form, bytes, bt_offset(bytes, i),
						form == 1 || (form == 2 && (i & 1)));
				group_end();
			}
		}
	}
}

/*
 * STOS LODS MOVS CMPS SCAS (AA-AF, A4-A7) in every size, without and with REP (F3, and F2,
 * which acts the same on the first three and is REPNE on CMPS/SCAS), DF clear and set, counts
 * 0-6; with 67 (ESI, EDI, ECX, with garbage in bits 63:32 of RSI RDI RCX) and with a GS or FS
 * override of the source. The emulator runs one iteration per call and is called until RIP
 * moves; the end state must be the CPU's, flags included (random data ends most REPE loops
 * at the first element and lets REPNE ones run to the count).
 */
struct strop {
	const char *name;
	u8 op8;
	bool src, dst;
};

static void string_case(const struct strop *str, bool rep, unsigned int bytes, unsigned int i)
{
	bool a32 = i % 4 == 3, df = i & 1, repne = rep && i % 5 == 1;
	u8 seg = !str->src ? 0 : i % 6 == 2 ? 0x65 : i % 6 == 4 && !a32 ? 0x64 : 0;
	u64 count = rep ? i % 7 : 1, upper = a32 ? rnd() << 32 : 0;
	u64 src = rand_target(), dst = rand_target();
	u64 base = seg == 0x65 ? gs_base : seg == 0x64 ? fs_base : 0;
	unsigned int n = 0;
	struct tcase tc;

	tcase_init(&tc);
	tc.in.rflags = (tc.in.rflags & ~DF) | (df ? DF : 0);
	if (seg)
		tc.insn[n++] = seg;
	if (a32)
		tc.insn[n++] = 0x67;
	if (rep)
		tc.insn[n++] = repne ? 0xf2 : 0xf3;
	if (bytes == 2)
		tc.insn[n++] = 0x66;
	if (bytes == 8)
		tc.insn[n++] = 0x48;
	tc.insn[n++] = str->op8 | (bytes > 1);
	tc.len = n;
	tc.rep = rep;
	if (rep)
		tc.in.r[RCX] = upper | count;
	if (str->src)
		tc.in.r[RSI] = a32 ? upper | (u32)(src - base) : src - base;
	if (str->dst)
		tc.in.r[RDI] = upper | dst;
	snprintf(tc.desc, sizeof(tc.desc), "%s%s%scount %" PRIu64 " df=%d",
		 seg == 0x65 ? "gs " : seg == 0x64 ? "fs " : "", a32 ? "a32 " : "",
		 repne ? "repne " : "", count, df);
	run_case(&tc);
}

static void test_string(void)
{
	static const struct strop str[] = {
		{ "stos", 0xaa, false, true },
		{ "lods", 0xac, true, false },
		{ "movs", 0xa4, true, true },
		{ "cmps", 0xa6, true, true },
		{ "scas", 0xae, false, true },
	};
	static const char suffix[] = { 0, 'b', 'w', 0, 'd', 0, 0, 0, 'q' };
	unsigned int k, bi, bytes, i, rep;

	for (k = 0; k < sizeof(str) / sizeof(str[0]); k++) {
		for (rep = 0; rep < 2; rep++) {
			for_each_size(bi, bytes, 0) {
				group("%s%s%c (%s%02X)", rep ? "rep " : "", str[k].name,
				      suffix[bytes], rep ? "F3 " : "", str[k].op8 | (bytes > 1));
				for (i = 0; i < 48; i++)
					string_case(&str[k], rep, bytes, i);
				group_end();
			}
		}
	}
}

/* the vector moves: name, prefix (0 none, 1 66, 2 F3, 3 F2), opcode, memory bytes (0: the
 * whole register), store, aligned, REX.W/VEX.W, VEX (0: legacy only, 1: both, 2: VEX only) */
struct vmove {
	const char *name;
	u8 pfx, op, size;
	bool store, aligned, w;
	u8 vex;
};

static const struct vmove vmoves[] = {
	{ "movups x, m (0F 10)", 0, 0x10, 0, false, false, false, 1 },
	{ "movups m, x (0F 11)", 0, 0x11, 0, true, false, false, 1 },
	{ "movupd x, m (66 0F 10)", 1, 0x10, 0, false, false, false, 1 },
	{ "movupd m, x (66 0F 11)", 1, 0x11, 0, true, false, false, 1 },
	{ "movss x, m32 (F3 0F 10)", 2, 0x10, 4, false, false, false, 1 },
	{ "movss m32, x (F3 0F 11)", 2, 0x11, 4, true, false, false, 1 },
	{ "movsd x, m64 (F2 0F 10)", 3, 0x10, 8, false, false, false, 1 },
	{ "movsd m64, x (F2 0F 11)", 3, 0x11, 8, true, false, false, 1 },
	{ "movaps x, m (0F 28)", 0, 0x28, 0, false, true, false, 1 },
	{ "movaps m, x (0F 29)", 0, 0x29, 0, true, true, false, 1 },
	{ "movapd x, m (66 0F 28)", 1, 0x28, 0, false, true, false, 1 },
	{ "movapd m, x (66 0F 29)", 1, 0x29, 0, true, true, false, 1 },
	{ "movntps m, x (0F 2B)", 0, 0x2b, 0, true, true, false, 1 },
	{ "movntpd m, x (66 0F 2B)", 1, 0x2b, 0, true, true, false, 1 },
	{ "movd x, m32 (66 0F 6E)", 1, 0x6e, 4, false, false, false, 1 },
	{ "movq x, m64 (66 W1 0F 6E)", 1, 0x6e, 8, false, false, true, 1 },
	{ "movdqa x, m (66 0F 6F)", 1, 0x6f, 0, false, true, false, 1 },
	{ "movdqu x, m (F3 0F 6F)", 2, 0x6f, 0, false, false, false, 1 },
	{ "movd m32, x (66 0F 7E)", 1, 0x7e, 4, true, false, false, 1 },
	{ "movq m64, x (66 W1 0F 7E)", 1, 0x7e, 8, true, false, true, 1 },
	{ "movq x, m64 (F3 0F 7E)", 2, 0x7e, 8, false, false, false, 1 },
	{ "movdqa m, x (66 0F 7F)", 1, 0x7f, 0, true, true, false, 1 },
	{ "movdqu m, x (F3 0F 7F)", 2, 0x7f, 0, true, false, false, 1 },
	{ "movq m64, x (66 0F D6)", 1, 0xd6, 8, true, false, false, 1 },
	{ "movntdq m, x (66 0F E7)", 1, 0xe7, 0, true, true, false, 1 },
};

/* an SSE or AVX move (@vex: 0 legacy, else VEX with L = @l) between memory and a random
 * register, the memory operand at @target */
static void vmove_case(struct tcase *tc, const struct vmove *v, int vex, unsigned int l,
		       u64 target)
{
	static const char *const pfx[] = { NULL, "\x66", "\xf3", "\xf2" };
	struct ins s = { .reg = pick_reg(0), .w = v->w };
	struct mem m;

	m = rand_mem(&tc->in, target, 0);
	s.m = &m;
	if (vex) {
		s.vex = (v->w || m.base >= 8 || m.index >= 8 || (rnd() & 1)) ? 3 : 2;
		s.vex_pp = v->pfx;
		s.vex_l = l;
		s.op[s.nop++] = v->op;
	} else {
		s.pfx = pfx[v->pfx];
		s.op[s.nop++] = 0x0f;
		s.op[s.nop++] = v->op;
	}
	tcase_encode(tc, &s, NULL);
	tc->vec = true;
	tc->flags_mask = ARITH | DF;
}

/*
 * The SSE moves and their VEX.128 and VEX.256 forms (the scalar ones only VEX.L0), between
 * memory and XMM/YMM 0-15, the aligned ones on aligned addresses. YMM0-15 are compared: a
 * legacy load keeps bits 255:128, a VEX one clears them, scalar loads clear the rest of XMM.
 */
static void test_sse(void)
{
	unsigned int k, vex, i;
	struct tcase tc;

	for (k = 0; k < sizeof(vmoves) / sizeof(vmoves[0]); k++) {
		const struct vmove *v = &vmoves[k];

		for (vex = 0; vex < 3; vex++) {
			unsigned int l = vex == 2, full = l ? 32 : 16;

			if ((vex == 0 && v->vex == 2) || (vex && !v->vex) || (l && v->size))
				continue;
			group("%s%s%s", vex ? "v" : "", v->name, vex == 2 ? ", VEX.256" :
			      vex ? ", VEX.128" : "");
			for (i = 0; i < 24; i++) {
				u64 target = rand_target();

				if (v->aligned)
					target &= ~(u64)(full - 1);
				tcase_init(&tc);
				vmove_case(&tc, v, vex, l, target);
				snprintf(tc.desc, sizeof(tc.desc), "at +%#" PRIx64, target - DATA);
				run_case(&tc);
			}
			group_end();
		}
	}
}

/*
 * 64-bit addressing, natively: every base register with no, 8- and 32-bit displacement, every
 * index register and scale, SIB without base, absolute disp32, RIP-relative; the same with 67
 * (32-bit addresses: garbage in bits 63:32 of the registers is ignored, sums wrap at 4 GiB);
 * segment overrides: FS and GS add their bases, ES CS SS DS are ignored.
 */
static void test_addressing(void)
{
	unsigned int a32, base, index, i, k;
	struct tcase tc;

	for (a32 = 0; a32 < 2; a32++) {
		group("mov r, [base + disp] and add [base + disp], r, all bases%s",
		      a32 ? ", 67 (32-bit)" : "");
		for (base = 0; base < 16; base++) {
			for (k = 0; k < 6; k++) {
				struct ins s = { .op = { k & 1 ? 0x01 : 0x8b }, .nop = 1 };
				struct mem m = { .base = base, .index = NOREG, .scale = 1 };
				u64 target = rand_target();

				tcase_init(&tc);
				s.w = rnd() & 1;
				s.pfx = a32 ? "\x67" : NULL;
				s.reg = pick_reg(reg_bit(base));
				m.disp = k < 2 ? 0 : k < 4 ? (s8)rnd() : (s32)rnd();
				m.dsize = k < 4 ? 0 : 4;
				tc.in.r[base] = target - m.disp;
				if (a32) {
					/* wrap around 4 GiB now and then */
					if (k >= 4)
						m.disp = (s32)(0x80000000u | (u32)rnd());
					tc.in.r[base] = (rnd() << 32) | (u32)(target - m.disp);
				}
				s.m = &m;
				tcase_encode(&tc, &s, NULL);
				put_data(target, rnd(), 8);
				snprintf(tc.desc, sizeof(tc.desc), "base %s disp %#" PRIx64,
					 reg_names[base], (u64)m.disp);
				run_case(&tc);
			}
		}
		group_end();

		group("mov r, [base + index * scale + disp], all indexes and scales%s",
		      a32 ? ", 67 (32-bit)" : "");
		for (index = 0; index < 16; index++) {
			if (index == RSP)
				continue;
			for (k = 0; k < 8; k++) {
				struct ins s = { .op = { 0x8b }, .nop = 1, .w = true };
				struct mem m = { .index = index, .scale = 1 << (k & 3) };
				u64 target = rand_target(), idx = rnd() % 64;

				tcase_init(&tc);
				s.pfx = a32 ? "\x67" : NULL;
				m.base = k < 4 ? pick_reg(reg_bit(index)) : NOREG;
				m.disp = (s8)rnd();
				if (rnd() & 1)
					idx = -idx;
				tc.in.r[index] = a32 ? (rnd() << 32) | (u32)idx : idx;
				if (m.base == NOREG)
					m.disp = (s64)(target - idx * m.scale);
				else if (a32)
					tc.in.r[m.base] = (rnd() << 32) |
							  (u32)(target - m.disp - idx * m.scale);
				else
					tc.in.r[m.base] = target - m.disp - idx * m.scale;
				if (m.base == NOREG && a32)
					m.disp = (s32)(u32)(target - idx * m.scale);
				s.reg = pick_reg(reg_bit(index) | reg_bit(m.base));
				s.m = &m;
				tcase_encode(&tc, &s, NULL);
				snprintf(tc.desc, sizeof(tc.desc), "index %s*%d base %s",
					 reg_names[index], m.scale,
					 m.base == NOREG ? "none" : reg_names[m.base]);
				run_case(&tc);
			}
		}
		group_end();

		group("mov r, [disp32] and [rip + disp32]%s", a32 ? ", 67 (32-bit)" : "");
		for (i = 0; i < 32; i++) {
			struct ins s = { .op = { i & 2 ? 0x89 : 0x8b }, .nop = 1 };
			struct mem m = { .base = i & 1 ? RIPREL : NOREG, .index = NOREG };
			u64 target = rand_target();

			tcase_init(&tc);
			s.pfx = a32 ? "\x67" : NULL;
			s.w = rnd() & 1;
			s.reg = pick_reg(0);
			m.disp = (s64)target;
			s.m = &m;
			tcase_encode(&tc, &s, NULL);
			snprintf(tc.desc, sizeof(tc.desc), "%s %#" PRIx64,
				 i & 1 ? "rip-relative" : "absolute", target);
			run_case(&tc);
		}
		group_end();
	}

	group("segment override prefixes in 64-bit mode (FS GS add a base; ES CS SS DS do not)");
	for (i = 0; i < 64; i++) {
		static const char *const pfx[] = {
			"\x65", "\x64", "\x26", "\x2e", "\x36", "\x3e", "\x65\x3e", "\x3e\x65",
			"\x64\x65", "\x65\x64", "\x26\x64", "\x64\x26\x3e", "\x67\x65", "\x65\x67",
			"\x36\x65", "\x65\x36",
		};
		const char *p = pfx[i % 16];
		struct ins s = { .op = { i & 1 ? 0x01 : 0x8b }, .nop = 1, .pfx = p };
		int last = 0;
		u64 target = rand_target(), base;
		bool a32 = strchr(p, 0x67);
		struct mem m;

		for (k = 0; p[k]; k++)
			if (p[k] == 0x64 || p[k] == 0x65)
				last = p[k];
		/* which base the CPU adds: the oracle decides, the case only aims at DATA */
		base = last == 0x65 ? gs_base : last == 0x64 ? fs_base : 0;
		if (a32 && last == 0x64)
			continue;
		tcase_init(&tc);
		s.w = rnd() & 1;
		s.reg = pick_reg(0);
		m = rand_mem(&tc.in, target - base, reg_bit(s.reg));
		if (a32) {
			m.index = NOREG;
			m.disp = 0;
			m.dsize = 0;
			tc.in.r[m.base] = (rnd() << 32) | (u32)(target - base);
		}
		s.m = &m;
		tcase_encode(&tc, &s, NULL);
		snprintf(tc.desc, sizeof(tc.desc), "prefixes %s", hex((const u8 *)p, strlen(p)));
		run_case(&tc);
	}
	group_end();
}

/*
 * Addresses that are not canonical: #GP(0), or #SS(0) when the segment is SS (base RSP or
 * RBP), natively and in the emulator; for every base register, with a DS or SS override
 * (both ignored in 64-bit mode) now and then.
 */
static void test_canonical(void)
{
	unsigned int base, k;
	struct tcase tc;

	group("non-canonical addresses: #GP(0), #SS(0) for stack references");
	for (base = 0; base < 16; base++) {
		for (k = 0; k < 6; k++) {
			struct ins s = { .op = { k & 1 ? 0x01 : 0x8b }, .nop = 1 };
			struct mem m = { .base = base, .index = NOREG, .scale = 1 };

			tcase_init(&tc);
			s.reg = pick_reg(reg_bit(base));
			s.pfx = k == 2 ? "\x3e" : k == 3 ? "\x36" : NULL;
			m.disp = (s8)rnd();
			tc.in.r[base] = (k & 4 ? 0xffff000000000000ULL : 0x0000800000000000ULL) ^
					(rnd() & 0x00007fffffffffffULL);
			if (k & 4)
				tc.in.r[base] &= ~(1ULL << 47);
			s.m = &m;
			tcase_encode(&tc, &s, NULL);
			snprintf(tc.desc, sizeof(tc.desc), "base %s = %#" PRIx64, reg_names[base],
				 tc.in.r[base]);
			run_case(&tc);
		}
	}
	group_end();
}

/*
 * Encodings the emulator must refuse with #UD, as the CPU does: LOCK on register forms, on
 * MOV, CMP, TEST, BT and on the string moves; 82 in 64-bit mode; FE /2-/7, FF /7, C6/C7 /1-/6,
 * 0F BA /0-/3; MOVNTI to a register; VEX with a register in vvvv, with VEX.L1 on VMOVD/VMOVQ,
 * with 66 or REX before it. And the ones that run, as a check on the checks: LOCK on memory
 * read-modify-write forms. An instruction of 16 bytes is #GP(0) on the CPU as well.
 */
static void test_ud(void)
{
	static const struct { const char *name; const char *bytes; unsigned int len; } ud[] = {
		{ "lock add r, r", "\xf0\x01\xd8", 3 },
		{ "lock add r8, imm8 (80 mod 3)", "\xf0\x80\xc0\x01", 4 },
		{ "lock inc r", "\xf0\xff\xc0", 3 },
		{ "lock xchg r, r", "\xf0\x87\xc8", 3 },
		{ "lock cmpxchg r, r", "\xf0\x0f\xb1\xc8", 4 },
		{ "lock bts r, r", "\xf0\x0f\xab\xc8", 4 },
		{ "lock mov m, r", "\xf0\x89\x03", 3 },
		{ "lock mov r, m", "\xf0\x8b\x03", 3 },
		{ "lock cmp m, r", "\xf0\x39\x03", 3 },
		{ "lock cmp m, imm8 (83 /7)", "\xf0\x83\x3b\x01", 4 },
		{ "lock test m, r", "\xf0\x85\x03", 3 },
		{ "lock bt m, r", "\xf0\x0f\xa3\x03", 4 },
		{ "lock bt m, imm8 (0F BA /4)", "\xf0\x0f\xba\x23\x01", 5 },
		{ "lock movzx r, m8", "\xf0\x0f\xb6\x03", 4 },
		{ "lock stosb", "\xf0\xaa", 2 },
		{ "lock movsb", "\xf0\xa4", 2 },
		{ "lock movdqu x, m", "\xf0\xf3\x0f\x6f\x03", 5 },
		{ "82 /0 in 64-bit mode", "\x82\x03\x01", 3 },
		{ "fe /2", "\xfe\x13", 2 },
		{ "fe /7", "\xfe\x3b", 2 },
		{ "ff /7", "\xff\x3b", 2 },
		{ "c6 /1", "\xc6\x0b\x01", 3 },
		{ "c7 /5", "\xc7\x2b\x01\x00\x00\x00", 6 },
		{ "0f ba /0", "\x0f\xba\x03\x01", 4 },
		{ "0f ba /3", "\x0f\xba\x1b\x01", 4 },
		{ "movnti r, r (0F C3 mod 3)", "\x0f\xc3\xc8", 3 },
		{ "vmovdqu with vvvv = 1", "\xc5\xf2\x6f\x03", 4 },
		{ "vmovups with vvvv = 15 (C4)", "\xc4\xe1\x40\x10\x03", 5 },
		{ "vmovd with VEX.L1", "\xc5\xfd\x6e\x03", 4 },
		{ "vmovq (F3 0F 7E) with VEX.L1", "\xc5\xfe\x7e\x03", 4 },
		{ "66 before VEX", "\x66\xc5\xfa\x6f\x03", 5 },
		{ "F3 before VEX", "\xf3\xc5\xf9\x6f\x03", 5 },
		{ "REX before VEX", "\x40\xc5\xfa\x6f\x03", 5 },
		{ "lock before VEX", "\xf0\xc5\xfa\x6f\x03", 5 },
		{ "lock add m, r (runs)", "\xf0\x01\x03", 3 },
		{ "lock sub m, imm8 (runs)", "\xf0\x83\x2b\x05", 4 },
		{ "lock not m (runs)", "\xf0\xf7\x13", 3 },
		{ "lock neg m8 (runs)", "\xf0\xf6\x1b", 3 },
		{ "lock dec m (runs)", "\xf0\xff\x0b", 3 },
		{ "lock btc m, imm8 (runs)", "\xf0\x48\x0f\xba\x3b\x05", 6 },
		{ "lock xadd m, r (runs)", "\xf0\x0f\xc1\x03", 4 },
		{ "lock cmpxchg m, r (runs)", "\xf0\x0f\xb1\x0b", 4 },
		{ "16 bytes: 14 x 66, 8b 03 (#GP)",
		  "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x03", 16 },
		{ "15 bytes: 13 x 66, 8b 03 (runs)",
		  "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x03", 15 },
		{ "16 bytes: 11 x 2e, 48 c7 03 imm32 (#GP)",
		  "\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x2e\x48\xc7\x03\x01\x02", 16 },
	};
	unsigned int i;
	struct tcase tc;

	group("#UD for illegal LOCK and undefined encodings, #GP for more than 15 bytes");
	for (i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
		tcase_init(&tc);
		memcpy(tc.insn, ud[i].bytes, ud[i].len);
		tc.len = ud[i].len;
		/* every memory operand above is [rbx] */
		tc.in.r[RBX] = rand_target() & ~31ULL;
		tc.vec = true;
		snprintf(tc.desc, sizeof(tc.desc), "%s", ud[i].name);
		run_case(&tc);
	}
	group_end();
}

/*
 * Prefix combinations, natively: a REX not right before the opcode is ignored, the last REX
 * counts, 66 does not override REX.W, repeated prefixes are fine, F2/F3 mean nothing to most
 * instructions, REX turns AH..BH into SPL..DIL.
 */
static void test_prefixes(void)
{
	static const struct { const char *name, *bytes; unsigned int len; } p[] = {
		{ "48 66: REX ignored, 16-bit", "\x48\x66\x8b\x03", 4 },
		{ "66 48: REX.W wins, 64-bit", "\x66\x48\x8b\x03", 4 },
		{ "41 48: the last REX counts (rbx, not r11)", "\x41\x48\x8b\x03", 4 },
		{ "49 40 66: no REX at all, 16-bit [rbx]", "\x49\x40\x66\x8b\x03", 5 },
		{ "66 66 67 67: still 16-bit data, 32-bit address", "\x66\x66\x67\x67\x8b\x03", 6 },
		{ "f0 f0 add", "\xf0\xf0\x01\x03", 4 },
		{ "2e 2e 3e mov", "\x2e\x2e\x3e\x8b\x03", 5 },
		{ "f3 mov", "\xf3\x8b\x03", 3 },
		{ "f2 add", "\xf2\x01\x03", 3 },
		{ "f2 f3 sub", "\xf2\xf3\x29\x03", 4 },
		{ "mov [rbx], ah", "\x88\x23", 2 },
		{ "40: mov [rbx], spl", "\x40\x88\x23", 3 },
		{ "48: mov [rbx], spl (W ignored on a byte)", "\x48\x88\x23", 3 },
		{ "40 66: REX ignored, mov [rbx], ah", "\x40\x66\x88\x23", 4 },
		{ "44: mov [rbx], r12b", "\x44\x88\x23", 3 },
		{ "add bh, [rbx]", "\x02\x3b", 2 },
		{ "40: add dil, [rbx]", "\x40\x02\x3b", 3 },
		{ "movzx esi, ah", "\x0f\xb6\xf4", 3 },
		{ "40: movzx esi, spl", "\x40\x0f\xb6\xf4", 4 },
	};
	unsigned int i;
	struct tcase tc;

	group("prefix combinations, REX and the byte registers");
	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		tcase_init(&tc);
		memcpy(tc.insn, p[i].bytes, p[i].len);
		tc.len = p[i].len;
		tc.in.r[RBX] = rand_target();
		tc.in.r[R11] = rnd();
		snprintf(tc.desc, sizeof(tc.desc), "%s", p[i].name);
		run_case(&tc);
	}
	group_end();
}

/* the aligned moves on a misaligned address: #GP(0), natively and in the emulator */
static void test_misaligned(void)
{
	unsigned int k, vex, i;
	struct tcase tc;

	group("aligned SSE/AVX moves on misaligned addresses: #GP(0)");
	for (k = 0; k < sizeof(vmoves) / sizeof(vmoves[0]); k++) {
		const struct vmove *v = &vmoves[k];

		if (!v->aligned)
			continue;
		for (vex = 0; vex < 3; vex++) {
			for (i = 0; i < 4; i++) {
				u64 target = rand_target() & ~31ULL;

				target += i == 3 ? 16 : 1 + rnd() % 15;
				/* 16 off a 32-byte boundary is misaligned for VEX.256 only */
				if (i == 3 && vex != 2)
					continue;
				tcase_init(&tc);
				vmove_case(&tc, v, vex, vex == 2, target);
				snprintf(tc.desc, sizeof(tc.desc), "%s%s at +%#" PRIx64,
					 vex ? "v" : "", v->name, target - DATA);
				run_case(&tc);
			}
		}
	}
	group_end();
}

/* ---- hand-computed cases: modes the process cannot run, faults it cannot cause ---- */

/* segment bases of the hand-computed cases: ES CS SS DS FS GS */
static const u64 seg_bases[X86EMUL_NR_SEGS] = {
	0x11110, 0x20000, 0x33330, 0x44440, 0x55550, 0x66660,
};

static u8 syn_code[0x10000];
static struct guest sg;
static struct x86emul_ctxt syn_in;	/* the context before the run */
static char syn_desc[112];

/*
 * Set up sg for @bytes at CS:@ip in @mode. The code is a 64 KiB window at CS base (16-bit
 * IPs wrap inside it) or, in 64-bit mode, the page around @ip, or what @code_end makes it:
 * fetches at or above @code_end fault.
 */
static void syn_begin(const char *name, enum x86emul_mode mode, u64 ip, const char *bytes,
		      unsigned int len, u64 code_end)
{
	unsigned int i;

	snprintf(syn_desc, sizeof(syn_desc), "%s", name);
	guest_init(&sg, mode);
	sg.pattern = true;
	memset(syn_code, 0x90, sizeof(syn_code));
	if (mode == X86EMUL_MODE_PROT64) {
		sg.code_la = ip & ~0xfffULL;
		sg.code_len = PAGE;
		for (i = 0; i < len; i++)
			syn_code[(ip & 0xfff) + i] = bytes[i];
	} else {
		memcpy(sg.ctxt.seg_base, seg_bases, sizeof(seg_bases));
		sg.code_la = seg_bases[X86EMUL_SEG_CS];
		sg.code_len = 0x10000;
		for (i = 0; i < len; i++)
			syn_code[(ip + i) & 0xffff] = bytes[i];
	}
	if (code_end)
		sg.code_len = code_end - sg.code_la;
	sg.code = syn_code;
	sg.ctxt.rip = ip;
	sg.ctxt.rflags = FIXED1;
	if (mode == X86EMUL_MODE_REAL || mode == X86EMUL_MODE_VM86) {
		sg.ctxt.cr0 = 0x10;		/* ET: SSE still usable with CR4.OSFXSR */
		sg.ctxt.cr4 = 0x200;
	}
}

static int syn_run(void)
{
	syn_in = sg.ctxt;
	sg.nlog = 0;
	sg.nreads = 0;
	return x86emul_run(&sg.ctxt);
}

/* the data accesses of the last run (fetches skipped), in order */
static const struct access *syn_access(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < sg.nlog; i++)
		if (sg.log[i].kind != 'f' && n-- == 0)
			return &sg.log[i];
	return NULL;
}

static bool syn_expect_rc(int rc, int want, int vector)
{
	if (rc != want) {
		case_fail(syn_desc, "expected %s, got %s (vector %d)", rc_name(want), rc_name(rc),
			  rc == X86EMUL_EXCEPTION ? sg.ctxt.exception.vector : -1);
		return false;
	}
	if (want == X86EMUL_EXCEPTION && sg.ctxt.exception.vector != vector) {
		case_fail(syn_desc, "expected vector %d, got %d", vector, sg.ctxt.exception.vector);
		return false;
	}
	if (want != X86EMUL_CONTINUE &&
	    (memcmp(sg.ctxt.regs, syn_in.regs, sizeof(syn_in.regs)) ||
	     sg.ctxt.rip != syn_in.rip || sg.ctxt.rflags != syn_in.rflags)) {
		case_fail(syn_desc, "%s changed the registers", rc_name(rc));
		return false;
	}
	return true;
}

static bool syn_expect_access(unsigned int n, char kind, u64 la, unsigned int len)
{
	const struct access *a = syn_access(n);

	if (!a) {
		if (kind)
			case_fail(syn_desc, "access %u: expected '%c' %#" PRIx64 "/%u, got none", n,
				  kind, la, len);
		return !kind;
	}
	if (a->kind != kind || a->la != la || a->len != len) {
		case_fail(syn_desc, "access %u: expected '%c' %#" PRIx64 "/%u, got '%c' %#" PRIx64
			  "/%u", n, kind ? kind : '-', la, len, a->kind, a->la, a->len);
		return false;
	}
	return true;
}

static bool syn_expect_reg(int reg, u64 val)
{
	if (sg.ctxt.regs[reg] != val) {
		case_fail(syn_desc, "%s expected %#" PRIx64 ", got %#" PRIx64, reg_names[reg], val,
			  sg.ctxt.regs[reg]);
		return false;
	}
	return true;
}

static bool syn_expect_rip(u64 rip)
{
	if (sg.ctxt.rip != rip) {
		case_fail(syn_desc, "rip expected %#" PRIx64 ", got %#" PRIx64, rip, sg.ctxt.rip);
		return false;
	}
	return true;
}

static bool syn_expect_written(u64 val, unsigned int len)
{
	u64 v = 0;

	memcpy(&v, sg.wbuf, len);
	if (v != val) {
		case_fail(syn_desc, "written %#" PRIx64 ", expected %#" PRIx64, v, val);
		return false;
	}
	return true;
}

static void syn_done(void)
{
	case_done(syn_desc, (const u8 *)"", 0, "");
}

/*
 * Addressing outside 64-bit mode, against addresses worked out from SDM vol. 2 tables 2-1 to
 * 2-3: each case loads (or stores) through one memory operand, and the access the read or
 * write op sees must be the expected linear address (segment base + effective address, 32
 * bits) and size; a load must put pattern memory's value in the register, zero-extended as the
 * operand size says.
 */
struct ea_case {
	const char *name;
	enum x86emul_mode mode;
	const char *bytes;
	unsigned int len;
	u64 rbx, rsi, rdi, rbp, rax, rcx, rsp;
	char kind;		/* 'r' load into @reg, 'w' store; 0: UNHANDLEABLE */
	u64 la;
	unsigned int size;
	unsigned int dst;	/* 'r': AX or EAX (2 or 4) gets it, zero-extended; 0: size */
	u64 stored;		/* 'w': the value written; 0: add [ebx], eax's sum */
};

#define REAL	X86EMUL_MODE_REAL
#define VM86	X86EMUL_MODE_VM86
#define PROT16	X86EMUL_MODE_PROT16
#define PROT32	X86EMUL_MODE_PROT32
#define DS_	0x44440ULL
#define SS_	0x33330ULL
#define ES_	0x11110ULL

static const struct ea_case ea_cases[] = {
	/* 16-bit addressing: the eight r/m forms, wrap at 64 KiB, BP defaults to SS */
	{ "real: mov ax, [bx+si]", REAL, "\x8b\x00", 2, .rbx = 0x1000, .rsi = 0x234,
	  .kind = 'r', .la = DS_ + 0x1234, .size = 2 },
	{ "real: mov ax, [bx+di] (upper bits ignored, wraps)", REAL, "\x8b\x01", 2,
	  .rbx = 0xdead8000, .rdi = 0x9000, .kind = 'r', .la = DS_ + 0x1000, .size = 2 },
	{ "real: mov ax, [bp+si+0x10] (SS, wraps)", REAL, "\x8b\x42\x10", 3, .rbp = 0xfff0,
	  .rsi = 8, .kind = 'r', .la = SS_ + 0x8, .size = 2 },
	{ "real: mov ax, [bp+di-1] (SS)", REAL, "\x8b\x43\xff", 3, .kind = 'r',
	  .la = SS_ + 0xffff, .size = 2 },
	{ "real: mov ax, [si]", REAL, "\x8b\x04", 2, .rsi = 0xabcd, .kind = 'r',
	  .la = DS_ + 0xabcd, .size = 2 },
	{ "real: mov ax, [di]", REAL, "\x8b\x05", 2, .rdi = 0x10, .kind = 'r', .la = DS_ + 0x10,
	  .size = 2 },
	{ "real: mov ax, [disp16] (mod 0 rm 6: DS, no BP)", REAL, "\x8b\x06\x34\x12", 4,
	  .rbp = 0x5000, .kind = 'r', .la = DS_ + 0x1234, .size = 2 },
	{ "real: mov ax, [bp-2] (SS)", REAL, "\x8b\x46\xfe", 3, .rbp = 1, .kind = 'r',
	  .la = SS_ + 0xffff, .size = 2 },
	{ "real: mov ax, [bx-0x80] (disp8 sign-extended)", REAL, "\x8b\x47\x80", 3,
	  .rbx = 0x100, .kind = 'r', .la = DS_ + 0x80, .size = 2 },
	{ "real: mov ax, [bx+0x8000] (disp16 wraps)", REAL, "\x8b\x87\x00\x80", 4,
	  .rbx = 0x9000, .kind = 'r', .la = DS_ + 0x1000, .size = 2 },
	{ "real: mov ax, ds:[bp+0]", REAL, "\x3e\x8b\x46\x00", 4, .rbp = 0x2000, .kind = 'r',
	  .la = DS_ + 0x2000, .size = 2 },
	{ "real: mov ax, es:[bx]", REAL, "\x26\x8b\x07", 3, .rbx = 0x10, .kind = 'r',
	  .la = ES_ + 0x10, .size = 2 },
	{ "real: mov ax, fs:[si]", REAL, "\x64\x8b\x04", 3, .rsi = 4, .kind = 'r',
	  .la = 0x55554, .size = 2 },
	{ "real: mov eax, [bx] (66)", REAL, "\x66\x8b\x07", 3, .rbx = 0x20, .kind = 'r',
	  .la = DS_ + 0x20, .size = 4 },
	{ "real: mov ax, [eax+ebx*2] (67: 32-bit SIB)", REAL, "\x67\x8b\x04\x58", 4, .rax = 0x10,
	  .rbx = 0x100, .kind = 'r', .la = DS_ + 0x210, .size = 2 },
	{ "real: mov ax, [ebp+8] (67: SS)", REAL, "\x67\x8b\x45\x08", 4, .rbp = 0x100,
	  .kind = 'r', .la = SS_ + 0x108, .size = 2 },
	{ "real: mov ax, [moffs16]", REAL, "\xa1\x34\x12", 3, .kind = 'r', .la = DS_ + 0x1234,
	  .size = 2 },
	{ "real: mov [bx], ah", REAL, "\x88\x27", 2, .rbx = 0x30, .rax = 0x5a00, .kind = 'w',
	  .la = DS_ + 0x30, .size = 1, .stored = 0x5a },
	{ "real: mov word [0x1000], 0x1234", REAL, "\xc7\x06\x00\x10\x34\x12", 6, .kind = 'w',
	  .la = DS_ + 0x1000, .size = 2, .stored = 0x1234 },
	{ "real: mov dword [0x1000], 0x12345678 (66)", REAL,
	  "\x66\xc7\x06\x00\x10\x78\x56\x34\x12", 9, .kind = 'w', .la = DS_ + 0x1000, .size = 4,
	  .stored = 0x12345678 },
	{ "real: movzx ax, byte [bx]", REAL, "\x0f\xb6\x07", 3, .rbx = 0x40, .rax = -1ULL,
	  .kind = 'r', .la = DS_ + 0x40, .size = 1, .dst = 2 },
	{ "real: 48 is DEC AX", REAL, "\x48\x8b\x03", 3, .kind = 0 },
	{ "real: C5 with mod != 3 is LDS", REAL, "\xc5\x07", 2, .kind = 0 },
	{ "vm86: mov ax, [bp+si+0x10] (SS)", VM86, "\x8b\x42\x10", 3, .rbp = 0x100, .rsi = 8,
	  .kind = 'r', .la = SS_ + 0x118, .size = 2 },
	{ "vm86: mov eax, [bx+di] (66)", VM86, "\x66\x8b\x01", 3, .rbx = 0x100, .rdi = 8,
	  .kind = 'r', .la = DS_ + 0x108, .size = 4 },
	{ "prot16: mov ax, [bx]", PROT16, "\x8b\x07", 2, .rbx = 0xfffe, .kind = 'r',
	  .la = DS_ + 0xfffe, .size = 2 },
	{ "prot16: mov eax, [ebx+ecx*2] (66 67)", PROT16, "\x66\x67\x8b\x04\x4b", 5,
	  .rbx = 0x10000, .rcx = 8, .kind = 'r', .la = DS_ + 0x10010, .size = 4 },
	/* 32-bit addressing */
	{ "prot32: mov eax, [ebx]", PROT32, "\x8b\x03", 2, .rbx = 0x1000, .kind = 'r',
	  .la = DS_ + 0x1000, .size = 4 },
	{ "prot32: mov eax, [ebx+0x20] (wraps at 4 GiB)", PROT32, "\x8b\x43\x20", 3,
	  .rbx = 0xfffffff0, .kind = 'r', .la = DS_ + 0x10, .size = 4 },
	{ "prot32: mov eax, [ebp+ecx*4+0x10] (SS)", PROT32, "\x8b\x44\x8d\x10", 4, .rbp = 0x100,
	  .rcx = 3, .kind = 'r', .la = SS_ + 0x11c, .size = 4 },
	{ "prot32: mov eax, [esp] (SS)", PROT32, "\x8b\x04\x24", 3, .rsp = 0x200, .kind = 'r',
	  .la = SS_ + 0x200, .size = 4 },
	{ "prot32: mov eax, [eax+ecx*8+0x100]", PROT32, "\x8b\x84\xc8\x00\x01\x00\x00", 7,
	  .rax = 0x10, .rcx = 2, .kind = 'r', .la = DS_ + 0x120, .size = 4 },
	{ "prot32: mov eax, [disp32] (SIB, no base)", PROT32, "\x8b\x04\x25\x78\x56\x34\x12", 7,
	  .kind = 'r', .la = DS_ + 0x12345678, .size = 4 },
	{ "prot32: mov eax, [disp32] (mod 0 rm 5: absolute, not RIP-relative)", PROT32,
	  "\x8b\x05\x78\x56\x34\x12", 6, .kind = 'r', .la = DS_ + 0x12345678, .size = 4 },
	{ "prot32: mov eax, [ebp*2+disp32] (SIB no base: DS)", PROT32,
	  "\x8b\x04\x6d\x00\x10\x00\x00", 7, .rbp = 0x10, .kind = 'r', .la = DS_ + 0x1020,
	  .size = 4 },
	{ "prot32: mov ax, [ebx] (66)", PROT32, "\x66\x8b\x03", 3, .rbx = 0x10, .kind = 'r',
	  .la = DS_ + 0x10, .size = 2 },
	{ "prot32: mov eax, [bx] (67: 16-bit addressing)", PROT32, "\x67\x8b\x07", 3,
	  .rbx = 0xffff1234, .kind = 'r', .la = DS_ + 0x1234, .size = 4 },
	{ "prot32: mov eax, ss:[ebx]", PROT32, "\x36\x8b\x03", 3, .rbx = 0x10, .kind = 'r',
	  .la = SS_ + 0x10, .size = 4 },
	{ "prot32: mov eax, ds:[ebp]", PROT32, "\x3e\x8b\x45\x00", 4, .rbp = 0x10, .kind = 'r',
	  .la = DS_ + 0x10, .size = 4 },
	{ "prot32: mov eax, [moffs32]", PROT32, "\xa1\x78\x56\x34\x12", 5, .kind = 'r',
	  .la = DS_ + 0x12345678, .size = 4 },
	{ "prot32: mov eax, [moffs16] (67)", PROT32, "\x67\xa1\x34\x12", 4, .kind = 'r',
	  .la = DS_ + 0x1234, .size = 4 },
	{ "prot32: movzx eax, word [ebx]", PROT32, "\x0f\xb7\x03", 3, .rbx = 0x10, .rax = -1ULL,
	  .kind = 'r', .la = DS_ + 0x10, .size = 2, .dst = 4 },
	{ "prot32: add [ebx], eax: read then write", PROT32, "\x01\x03", 2, .rbx = 0x10,
	  .rax = 1, .kind = 'w', .la = DS_ + 0x10, .size = 4, .stored = 0 },
	{ "prot32: 48 is DEC EAX, not REX.W", PROT32, "\x48\x8b\x03", 3, .kind = 0 },
	{ "prot32: C5 with mod != 3 is LDS", PROT32, "\xc5\x07", 2, .kind = 0 },
	{ "prot32: 63 is ARPL", PROT32, "\x63\x03", 2, .kind = 0 },
};

static void test_modes(void)
{
	unsigned int i;
	int rc;

	group("addressing, operand sizes and prefixes in real, VM86, 16- and 32-bit modes");
	for (i = 0; i < sizeof(ea_cases) / sizeof(ea_cases[0]); i++) {
		const struct ea_case *c = &ea_cases[i];
		u64 ip = 0x100, mask = c->mode == PROT32 ? 0xffffffffULL : 0xffff;

		syn_begin(c->name, c->mode, ip, c->bytes, c->len, 0);
		sg.ctxt.regs[RAX] = c->rax;
		sg.ctxt.regs[RCX] = c->rcx;
		sg.ctxt.regs[RBX] = c->rbx;
		sg.ctxt.regs[RSP] = c->rsp;
		sg.ctxt.regs[RBP] = c->rbp;
		sg.ctxt.regs[RSI] = c->rsi;
		sg.ctxt.regs[RDI] = c->rdi;
		rc = syn_run();
		if (!c->kind) {
			syn_expect_rc(rc, X86EMUL_UNHANDLEABLE, 0);
		} else if (syn_expect_rc(rc, X86EMUL_CONTINUE, 0) &&
			   syn_expect_access(0, c->kind == 'w' && c->stored ? 'w' : 'r', c->la,
					     c->size) &&
			   syn_expect_rip((ip + c->len) & mask)) {
			unsigned int dst = c->dst ? c->dst : c->size;
			u64 val = pat_val(c->la, c->size);

			if (c->kind == 'r' && dst == 4)
				syn_expect_reg(RAX, (u32)val);
			else if (c->kind == 'r')
				syn_expect_reg(RAX, (c->rax & ~0xffffULL) | (u16)val);
			else if (c->stored)
				syn_expect_written(c->stored, c->size);
			else if (syn_expect_access(1, 'w', c->la, c->size))
				syn_expect_written((u32)(val + c->rax), 4);
		}
		syn_done();
	}

	/* outside 64-bit mode C4/C5 are VEX only when the next byte looks like ModRM.mod 3 */
	syn_begin("prot32: C5 F8 is VEX: vmovaps xmm0, [ebx]", PROT32, 0x100, "\xc5\xf8\x28\x03",
		  4, 0);
	sg.ctxt.regs[RBX] = 0x1000;
	rc = syn_run();
	if (syn_expect_rc(rc, X86EMUL_CONTINUE, 0) && syn_expect_access(0, 'r', DS_ + 0x1000, 16) &&
	    sg.ymm[0][0] != pat(DS_ + 0x1000))
		case_fail(syn_desc, "xmm0 not loaded");
	syn_done();
	syn_begin("real: C5 F9 is VEX, and #UD in real mode", REAL, 0x100, "\xc5\xf9\x6f\x07", 4,
		  0);
	syn_expect_rc(syn_run(), X86EMUL_EXCEPTION, 6);
	syn_done();
	syn_begin("vm86: C4 E1 is VEX, and #UD in VM86 mode", VM86, 0x100,
		  "\xc4\xe1\x7a\x6f\x07", 5, 0);
	syn_expect_rc(syn_run(), X86EMUL_EXCEPTION, 6);
	syn_done();
	group_end();
}

/* no fetch at or above @end in the last run */
static bool syn_no_fetch_from(u64 end)
{
	unsigned int i;

	for (i = 0; i < sg.nlog; i++) {
		if (sg.log[i].kind == 'f' && sg.log[i].la + sg.log[i].len > end) {
			case_fail(syn_desc, "fetched %#" PRIx64 "/%u, past %#" PRIx64, sg.log[i].la,
				  sg.log[i].len, end);
			return false;
		}
	}
	return true;
}

/*
 * Instruction fetch: bytes are fetched as decoding reaches them, never past the end of the
 * instruction into the next page; an instruction that does reach into a page that faults gets
 * the fetch op's #PF (CR2 the first byte there). In 16-bit code IP wraps at 64 KiB inside CS.
 */
static void test_fetch(void)
{
	static const struct {
		const char *name, *bytes;
		unsigned int len, before;	/* it starts @before bytes before the end */
		bool faults;
	} f[] = {
		{ "mov eax, [rbx] ends at the page end", "\x8b\x03", 2, 2, false },
		{ "mov rax, [rbx] ends at the page end", "\x48\x8b\x03", 3, 3, false },
		{ "mov eax, [rbx+disp8]: disp8 on the next page", "\x8b\x43\x10", 3, 2, true },
		{ "REX.W, then the opcode on the next page", "\x48\x8b\x03", 3, 1, true },
		{ "0F, then the second opcode byte on the next page", "\x0f\xb6\x03", 3, 1, true },
		{ "add [rbx], imm32: the immediate's last byte on the next page",
		  "\x81\x03\x01\x02\x03\x04", 6, 5, true },
		{ "15 bytes ending at the page end",
		  "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x03", 15, 15, false },
		{ "15 bytes, the last on the next page",
		  "\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x8b\x03", 15, 14, true },
		{ "vmovdqu ymm0, [rbx] (C4) ends at the page end", "\xc4\xe1\x7e\x6f\x03", 5, 5,
		  false },
		{ "vmovdqu ymm0, [rbx] (C4): ModRM on the next page", "\xc4\xe1\x7e\x6f\x03", 5, 4,
		  true },
	};
	const u64 end = 0x40000;
	unsigned int i;
	int rc;

	group("instruction fetch: lazy, page-crossing #PF, 16-bit IP wrap");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		syn_begin(f[i].name, X86EMUL_MODE_PROT64, end - f[i].before, f[i].bytes, f[i].len,
			  end);
		sg.ctxt.regs[RBX] = 0x1000;
		rc = syn_run();
		if (f[i].faults) {
			if (syn_expect_rc(rc, X86EMUL_EXCEPTION, 14) &&
			    sg.ctxt.exception.address != end)
				case_fail(syn_desc, "#PF address %#" PRIx64 ", expected %#" PRIx64,
					  sg.ctxt.exception.address, end);
		} else if (syn_expect_rc(rc, X86EMUL_CONTINUE, 0) && syn_no_fetch_from(end)) {
			syn_expect_rip(end);
		}
		syn_done();
	}

	/* real mode at IP 0xfffe: the third byte comes from CS:0000, IP wraps to 0x0001 */
	syn_begin("real: mov ax, [bx+disp8] at IP 0xfffe wraps", X86EMUL_MODE_REAL, 0xfffe,
		  "\x8b\x47\x10", 3, 0);
	sg.ctxt.regs[RBX] = 0x20;
	rc = syn_run();
	if (syn_expect_rc(rc, X86EMUL_CONTINUE, 0) && syn_expect_rip(1) &&
	    syn_expect_access(0, 'r', DS_ + 0x30, 2) && sg.log[0].la != seg_bases[1] + 0xfffe)
		case_fail(syn_desc, "first fetch at %#" PRIx64, sg.log[0].la);
	syn_done();
	group_end();
}

/*
 * SSE and AVX availability (SDM vol. 2 2.4, 2.8; vol. 3A 2.5): legacy SSE is #UD with CR0.EM
 * or without CR4.OSFXSR, VEX is #UD without CR4.OSXSAVE or with XCR0 lacking SSE or AVX state
 * (CR0.EM does not matter to it), then both are #NM with CR0.TS, before any alignment #GP.
 * Other instructions do not care.
 */
static void test_sse_control(void)
{
	static const struct {
		const char *name, *bytes;
		unsigned int len;
		u64 cr0_set, cr4_clear, xcr0;
		int vector;		/* -1: runs */
	} c[] = {
		{ "movdqu, CR0.TS: #NM", "\xf3\x0f\x6f\x03", 4, 8, 0, 7, 7 },
		{ "movdqu, CR0.EM: #UD", "\xf3\x0f\x6f\x03", 4, 4, 0, 7, 6 },
		{ "movdqu, CR0.EM and TS: #UD first", "\xf3\x0f\x6f\x03", 4, 12, 0, 7, 6 },
		{ "movdqu, no CR4.OSFXSR: #UD", "\xf3\x0f\x6f\x03", 4, 0, 0x200, 7, 6 },
		{ "movdqu, no CR4.OSXSAVE: runs", "\xf3\x0f\x6f\x03", 4, 0, 0x40000, 7, -1 },
		{ "movd m32, xmm, CR0.TS: #NM", "\x66\x0f\x7e\x03", 4, 8, 0, 7, 7 },
		{ "movdqa misaligned, CR0.TS: #NM before #GP", "\x66\x0f\x6f\x43\x01", 5, 8, 0, 7,
		  7 },
		{ "movdqa misaligned: #GP", "\x66\x0f\x6f\x43\x01", 5, 0, 0, 7, 13 },
		{ "vmovdqu, CR0.TS: #NM", "\xc5\xfe\x6f\x03", 4, 8, 0, 7, 7 },
		{ "vmovdqu, CR0.EM: runs", "\xc5\xfe\x6f\x03", 4, 4, 0, 7, -1 },
		{ "vmovdqu, no CR4.OSXSAVE: #UD", "\xc5\xfe\x6f\x03", 4, 0, 0x40000, 7, 6 },
		{ "vmovdqu, XCR0 without AVX: #UD", "\xc5\xfe\x6f\x03", 4, 0, 0, 3, 6 },
		{ "vmovdqu, XCR0 without SSE: #UD", "\xc5\xfa\x6f\x03", 4, 0, 0, 5, 6 },
		{ "vmovdqa misaligned: #GP", "\xc5\xfd\x6f\x43\x10", 5, 0, 0, 7, 13 },
		{ "mov eax, [rbx] with CR0.TS and EM: runs", "\x8b\x03", 2, 12, 0x40200, 1, -1 },
	};
	unsigned int i;
	int rc;

	group("SSE/AVX: #UD and #NM from CR0, CR4 and XCR0; #GP on misaligned aligned moves");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		syn_begin(c[i].name, X86EMUL_MODE_PROT64, 0x401000, c[i].bytes, c[i].len, 0);
		sg.ctxt.regs[RBX] = 0x2000;
		sg.ctxt.cr0 |= c[i].cr0_set;
		sg.ctxt.cr4 &= ~c[i].cr4_clear;
		sg.ctxt.xcr0 = c[i].xcr0;
		rc = syn_run();
		if (c[i].vector < 0) {
			syn_expect_rc(rc, X86EMUL_CONTINUE, 0);
		} else if (syn_expect_rc(rc, X86EMUL_EXCEPTION, c[i].vector)) {
			bool ec = c[i].vector == 13;

			if (sg.ctxt.exception.error_code_valid != ec ||
			    (ec && sg.ctxt.exception.error_code))
				case_fail(syn_desc, "error code %s %u, expected %s",
					  sg.ctxt.exception.error_code_valid ? "valid" : "invalid",
					  sg.ctxt.exception.error_code, ec ? "0" : "none");
			else if (sg.nlog && syn_access(0))
				case_fail(syn_desc, "memory accessed before the fault");
		}
		syn_done();
	}
	group_end();
}

/*
 * 64-bit linear addresses: canonical by CR4.LA57's width, an access that ends past the
 * canonical boundary faults as a whole, ES CS SS DS have no base, FS and GS do.
 */
static void test_linear64(void)
{
	static const struct {
		const char *name, *bytes;
		unsigned int len;
		u64 rbx;
		bool la57;
		u64 la;			/* 0: #GP(0) */
	} c[] = {
		{ "4-level: 0x00007ffffffffffc/4 is canonical", "\x8b\x03", 2,
		  0x00007ffffffffffcULL, false, 0x00007ffffffffffcULL },
		{ "4-level: 0x00007ffffffffffe/4 ends past it: #GP", "\x8b\x03", 2,
		  0x00007ffffffffffeULL, false, 0 },
		{ "4-level: 0x0000800000000000: #GP", "\x8b\x03", 2, 0x0000800000000000ULL, false,
		  0 },
		{ "5-level: 0x0000800000000000 is canonical", "\x8b\x03", 2, 0x0000800000000000ULL,
		  true, 0x0000800000000000ULL },
		{ "5-level: 0x0100000000000000: #GP", "\x8b\x03", 2, 0x0100000000000000ULL, true,
		  0 },
		{ "5-level: 0xff00000000000000 is canonical", "\x8b\x03", 2, 0xff00000000000000ULL,
		  true, 0xff00000000000000ULL },
		{ "es: ignored (base not added)", "\x26\x8b\x03", 3, 0x1000, false, 0x1000 },
		{ "ss: ignored", "\x36\x8b\x03", 3, 0x1000, false, 0x1000 },
		{ "fs: base added", "\x64\x8b\x03", 3, 0x1000, false, 0x55550 + 0x1000 },
		{ "gs: base added", "\x65\x8b\x03", 3, 0x1000, false, 0x66660 + 0x1000 },
		{ "gs: base added, then not canonical: #GP", "\x65\x8b\x03", 3,
		  0x00007ffffffff000ULL, false, 0 },
		{ "gs: with 67, EA truncated before the base is added", "\x65\x67\x8b\x03", 4,
		  0xabcd00001000ULL, false, 0x66660 + 0x1000 },
		{ "67 mov eax, [moffs32 0x80000000]: zero-extended", "\x67\xa1\x00\x00\x00\x80",
		  6, 0, false, 0x80000000ULL },
		{ "mov eax, [moffs64]", "\xa1\x06\x05\x04\x03\x02\x01\x00\x00", 9, 0, false,
		  0x0000010203040506ULL },
		{ "mov eax, [moffs64] not canonical: #GP", "\xa1\x00\x00\x00\x00\x00\x80\x00\x00",
		  9, 0, false, 0 },
		{ "mov eax, [rbx + disp32 -1]: disp32 sign-extended", "\x8b\x83\xff\xff\xff\xff",
		  6, 0x1000, false, 0xfff },
	};
	unsigned int i;
	int rc;

	group("64-bit linear addresses: canonical checks (LA57 too), segment bases");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		syn_begin(c[i].name, X86EMUL_MODE_PROT64, 0x401000, c[i].bytes, c[i].len, 0);
		memcpy(sg.ctxt.seg_base, seg_bases, sizeof(seg_bases));
		if (c[i].la57)
			sg.ctxt.cr4 |= 1 << 12;
		sg.ctxt.regs[RBX] = c[i].rbx;
		rc = syn_run();
		if (c[i].la && syn_expect_rc(rc, X86EMUL_CONTINUE, 0))
			syn_expect_access(0, 'r', c[i].la, 4);
		else if (!c[i].la && syn_expect_rc(rc, X86EMUL_EXCEPTION, 13))
			syn_expect_access(0, 0, 0, 0);
		syn_done();
	}
	group_end();
}

/*
 * Instructions the emulator does not do: UNHANDLEABLE, nothing changed, and the bytes in
 * ctxt->insn for KVM_INTERNAL_ERROR_EMULATION (at least the instruction, at most 15).
 */
static void test_unhandleable(void)
{
	static const struct { const char *name, *bytes; unsigned int len; } u[] = {
		{ "fld dword [rbx]", "\xd9\x03", 2 },
		{ "cpuid", "\x0f\xa2", 2 },
		{ "shld dword [rbx], eax, 1", "\x0f\xa4\x03\x01", 4 },
		{ "jmp qword [rbx+8]", "\xff\x63\x08", 3 },
		{ "call [rbx]", "\xff\x13", 2 },
		{ "pushf", "\x9c", 1 },
		{ "mov ds, [rbx]", "\x8e\x1b", 2 },
		{ "in al, dx", "\xec", 1 },
		{ "movdqa xmm0, xmm1 (register form)", "\x66\x0f\x6f\xc1", 4 },
		{ "movq mm0, [rbx] (MMX)", "\x0f\x6f\x03", 3 },
		{ "pshufb xmm0, [rbx] (0F 38)", "\x66\x0f\x38\x00\x03", 5 },
		{ "vbroadcastss ymm0, [rbx] (VEX 0F 38)", "\xc4\xe2\x7d\x18\x03", 5 },
		{ "crc32 eax, byte [rbx]", "\xf2\x0f\x38\xf0\x03", 5 },
		{ "xbegin", "\xc7\xf8\x00\x00\x00\x00", 6 },
	};
	unsigned int i;
	int rc;

	group("unsupported instructions: UNHANDLEABLE with the instruction bytes");
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		syn_begin(u[i].name, X86EMUL_MODE_PROT64, 0x401ff0, u[i].bytes, u[i].len, 0);
		sg.ctxt.regs[RBX] = 0x2000;
		rc = syn_run();
		if (syn_expect_rc(rc, X86EMUL_UNHANDLEABLE, 0)) {
			if (sg.ctxt.insn_len < u[i].len || sg.ctxt.insn_len > 15 ||
			    memcmp(sg.ctxt.insn, u[i].bytes, u[i].len))
				case_fail(syn_desc, "insn %s (%u bytes), expected %s",
					  hex(sg.ctxt.insn, sg.ctxt.insn_len), sg.ctxt.insn_len,
					  hex((const u8 *)u[i].bytes, u[i].len));
			else if (syn_access(0))
				case_fail(syn_desc, "memory accessed");
		}
		syn_done();
	}
	group_end();
}

/*
 * REP string instructions one iteration per call: rCX drops by one, rSI/rDI move by the size
 * (down with DF), RIP stays until rCX reaches 0; with rCX 0 only RIP moves. The count and the
 * pointers are address-size registers: CX/SI/DI with 16-bit addressing, and a 32-bit one
 * clears bits 63:32.
 */
static void test_rep_steps(void)
{
	static const struct {
		const char *name;
		enum x86emul_mode mode;
		const char *bytes;
		unsigned int len, size;
		u64 rcx, rsi, rdi;
		bool df;
		unsigned int steps;	/* calls until RIP moves */
		u64 la_src, la_dst;	/* the first iteration's accesses (0: none) */
		s64 step;		/* the pointers' change per iteration */
		u64 rcx_mask;		/* the count register */
	} r[] = {
		{ "rep stosb, rcx 3", X86EMUL_MODE_PROT64, "\xf3\xaa", 2, 1, 3, 0, 0x1000, false, 3,
		  0, 0x1000, 1, ~0ULL },
		{ "rep stosq, rcx 3, DF", X86EMUL_MODE_PROT64, "\xf3\x48\xab", 3, 8, 3, 0, 0x1000,
		  true, 3, 0, 0x1000, -8, ~0ULL },
		{ "rep movsw, rcx 2, DF", X86EMUL_MODE_PROT64, "\xf3\x66\xa5", 3, 2, 2, 0x2000,
		  0x3000, true, 2, 0x2000, 0x3000, -2, ~0ULL },
		{ "rep lodsd, rcx 2", X86EMUL_MODE_PROT64, "\xf3\xad", 2, 4, 2, 0x2000, 0, false, 2,
		  0x2000, 0, 4, ~0ULL },
		{ "rep stosb, rcx 0: only RIP moves", X86EMUL_MODE_PROT64, "\xf3\xaa", 2, 1, 0, 0,
		  0x1000, false, 1, 0, 0, 0, ~0ULL },
		{ "67 rep stosb, ecx 0 (rcx 0x100000000)", X86EMUL_MODE_PROT64, "\x67\xf3\xaa", 3,
		  1, 0x100000000ULL, 0, 0x1000, false, 1, 0, 0, 0, 0xffffffffULL },
		{ "67 rep stosd, ecx 2, rdi bits 63:32 cleared", X86EMUL_MODE_PROT64,
		  "\x67\xf3\xab", 3, 4, 0x500000002ULL, 0, 0x700001000ULL, false, 2, 0, 0x1000, 4,
		  0xffffffffULL },
		{ "repne movsb (F2 acts as F3)", X86EMUL_MODE_PROT64, "\xf2\xa4", 2, 1, 2, 0x2000,
		  0x3000, false, 2, 0x2000, 0x3000, 1, ~0ULL },
		{ "real: rep movsb, si wraps at 0xffff", X86EMUL_MODE_REAL, "\xf3\xa4", 2, 1,
		  0xabcd0002ULL, 0xffff, 0, false, 2, DS_ + 0xffff, ES_, 1, 0xffff },
		{ "real: rep stosw, cx 2, DF, di 0 wraps down", X86EMUL_MODE_REAL, "\xf3\xab", 2, 2,
		  2, 0, 0, true, 2, 0, ES_, -2, 0xffff },
		{ "prot32: 67 rep stosd: cx and di", X86EMUL_MODE_PROT32, "\x67\xf3\xab", 3, 4,
		  0x10002, 0, 0x10010, false, 2, 0, ES_ + 0x10, 4, 0xffff },
		{ "prot32: rep movsd with fs: source", X86EMUL_MODE_PROT32, "\x64\xf3\xa5", 3, 4, 1,
		  0x10, 0x20, false, 1, 0x55550 + 0x10, ES_ + 0x20, 4, 0xffffffffULL },
	};
	unsigned int i, n;
	int rc = X86EMUL_CONTINUE;

	group("REP STOS/MOVS/LODS: one iteration per call");
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		u64 ip = r[i].mode == X86EMUL_MODE_PROT64 ? 0x401000 : 0x100;
		u64 am = r[i].rcx_mask == 0xffff ? 0xffff : r[i].rcx_mask;
		bool a32 = am == 0xffffffffULL && r[i].mode == X86EMUL_MODE_PROT64;
		bool ok = true;

		syn_begin(r[i].name, r[i].mode, ip, r[i].bytes, r[i].len, 0);
		sg.ctxt.regs[RCX] = r[i].rcx;
		sg.ctxt.regs[RSI] = r[i].rsi;
		sg.ctxt.regs[RDI] = r[i].rdi;
		sg.ctxt.regs[RAX] = 0x1122334455667788ULL;
		if (r[i].df)
			sg.ctxt.rflags |= DF;
		for (n = 1; ok && n <= r[i].steps; n++) {
			u64 cnt = r[i].rcx & am;
			u64 want_rcx = cnt ? (r[i].rcx & ~am) | ((cnt - n) & am) : r[i].rcx;

			/* a 32-bit count is written as ECX, unless there is nothing to do */
			if (a32 && cnt)
				want_rcx &= 0xffffffffULL;
			rc = syn_run();
			ok = syn_expect_rc(rc, X86EMUL_CONTINUE, 0) &&
			     syn_expect_reg(RCX, want_rcx) &&
			     syn_expect_rip(n == r[i].steps ? ip + r[i].len : ip);
			if (ok && n == 1 && (r[i].la_src || r[i].la_dst)) {
				unsigned int k = 0;

				if (r[i].la_src)
					ok = syn_expect_access(k++, 'r', r[i].la_src, r[i].size);
				if (ok && r[i].la_dst)
					ok = syn_expect_access(k++, 'w', r[i].la_dst, r[i].size);
				if (ok)
					ok = syn_expect_access(k, 0, 0, 0);
			}
			if (ok && !cnt)
				ok = syn_expect_access(0, 0, 0, 0) &&
				     syn_expect_reg(RDI, r[i].rdi);
			if (ok && cnt && r[i].la_dst) {
				u64 am_di = r[i].mode == X86EMUL_MODE_REAL ? 0xffff : am;
				u64 want = (r[i].rdi & ~am_di) |
					   ((r[i].rdi + (u64)(r[i].step * (s64)n)) & am_di);

				ok = syn_expect_reg(RDI, a32 ? (u32)want : want);
			}
			if (ok && cnt && r[i].la_src) {
				u64 am_si = r[i].mode == X86EMUL_MODE_REAL ? 0xffff : am;
				u64 want = (r[i].rsi & ~am_si) |
					   ((r[i].rsi + (u64)(r[i].step * (s64)n)) & am_si);

				ok = syn_expect_reg(RSI, want);
			}
		}
		syn_done();
	}
	group_end();
}

/*
 * All or nothing, spelt out (every native case checks it too): a read left to userspace
 * (IO_NEEDED) changes nothing and issues no write; run again with the data, the instruction
 * completes; a faulting write leaves registers, RIP and RFLAGS as they were.
 */
static void test_all_or_nothing(void)
{
	int rc;

	group("all or nothing: IO_NEEDED and faults change nothing, the re-run completes");

	syn_begin("add [rbx], eax: IO_NEEDED, then again with the data", X86EMUL_MODE_PROT64,
		  0x401000, "\x01\x03", 2, 0);
	sg.ctxt.regs[RBX] = 0x2000;
	sg.ctxt.regs[RAX] = 0xffffffff;
	sg.io_read = 0;
	rc = syn_run();
	if (syn_expect_rc(rc, X86EMUL_IO_NEEDED, 0) && syn_expect_access(1, 0, 0, 0)) {
		sg.io_read = -1;
		rc = syn_run();
		if (syn_expect_rc(rc, X86EMUL_CONTINUE, 0) && syn_expect_rip(0x401002) &&
		    syn_expect_access(0, 'r', 0x2000, 4) && syn_expect_access(1, 'w', 0x2000, 4))
			syn_expect_written((u32)(pat_val(0x2000, 4) + 0xffffffff), 4);
	}
	syn_done();

	syn_begin("rep movsd: IO_NEEDED leaves rcx, rsi, rdi and rip", X86EMUL_MODE_PROT64,
		  0x401000, "\xf3\xa5", 2, 0);
	sg.ctxt.regs[RCX] = 5;
	sg.ctxt.regs[RSI] = 0x2000;
	sg.ctxt.regs[RDI] = 0x3000;
	sg.io_read = 0;
	rc = syn_run();
	if (syn_expect_rc(rc, X86EMUL_IO_NEEDED, 0))
		syn_expect_access(1, 0, 0, 0);
	syn_done();

	syn_begin("lock cmpxchg [rbx], ecx: faulting write leaves rax and rflags",
		  X86EMUL_MODE_PROT64, 0x401000, "\xf0\x0f\xb1\x0b", 4, 0);
	sg.ctxt.regs[RBX] = 0x2000;
	sg.ctxt.regs[RAX] = 0x123;
	sg.fault_write = true;
	rc = syn_run();
	syn_expect_rc(rc, X86EMUL_EXCEPTION, 14);
	syn_done();

	syn_begin("movdqu xmm1, [rbx]: IO_NEEDED leaves xmm1", X86EMUL_MODE_PROT64, 0x401000,
		  "\xf3\x0f\x6f\x0b", 4, 0);
	sg.ctxt.regs[RBX] = 0x2000;
	sg.io_read = 0;
	memset(sg.ymm, 0xa5, sizeof(sg.ymm));
	rc = syn_run();
	if (syn_expect_rc(rc, X86EMUL_IO_NEEDED, 0) && sg.ymm[1][0] != 0xa5)
		case_fail(syn_desc, "xmm1 changed");
	syn_done();
	group_end();
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-v]\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	int opt;

	while ((opt = getopt(argc, argv, "v")) != -1) {
		if (opt != 'v')
			usage(argv[0]);
		verbose = true;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* a broken emulator may loop: SIGALRM's default action ends the run as a failure */
	alarm(60);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	native_setup();
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base);
	gs_base = DATA - 0x12340;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, gs_base)) {
		printf("Bail out! ARCH_SET_GS: %s\n", strerror(errno));
		return 1;
	}
	printf("TAP version 13\n");
	/* the harness loads and stores YMM0-15 around every instruction */
	if (!__builtin_cpu_supports("avx")) {
		printf("1..0 # SKIP this CPU has no AVX\n");
		return 0;
	}

	test_alu();
	test_alu_regs();
	test_test();
	test_unary();
	test_xchg_xadd();
	test_cmpxchg();
	test_mov();
	test_moffs();
	test_movx();
	test_setcc();
	test_bt();
	test_string();
	test_sse();
	test_addressing();
	test_canonical();
	test_ud();
	test_prefixes();
	test_misaligned();
	test_modes();
	test_fetch();
	test_sse_control();
	test_linear64();
	test_unhandleable();
	test_rep_steps();
	test_all_or_nothing();

	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("1..%u\n", tap_n);
	printf("# %u tests (%u cases) in %.2f s: %u passed, %u failed\n", tap_n, cases_total,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, tap_n - tap_failed,
	       tap_failed);
	return tap_failed ? 1 : 0;
}
