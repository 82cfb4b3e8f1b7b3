// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_guest_fuzz: run random guest code on /dev/kvm and check that every KVM_RUN ends in a
 * way api.rst documents (issue 16, guest part).
 *
 * Each program runs on a vCPU reset from userspace (KVM_SET_REGS, KVM_SET_SREGS,
 * KVM_SET_VCPU_EVENTS, KVM_SET_DEBUGREGS, KVM_SET_MSRS, KVM_SET_FPU) into one of four modes:
 * 16-bit real mode, 32-bit protected mode without paging, 32-bit PAE paging, 64-bit long mode.
 * A program is either
 *  - random bytes (biased towards prefixes and two-byte opcodes), or
 *  - a random sequence of valid instructions: ALU, loads and stores to RAM, to a read-only
 *    slot, to holes without a slot (MMIO exits), across slot boundaries, read-modify-write
 *    and string instructions on MMIO, port I/O (string I/O too), CR/DR/MSR reads and
 *    writes, CPUID, hypercalls, privileged and system instructions, INT n, HLT,
 *    self-modifying stores into the program's own code, and mode switches (real <->
 *    protected, protected -> long).
 * Valid programs may contain event points (an OUT to EVENT_PORT): there the host injects an
 * NMI (KVM_NMI), an interrupt (KVM_INTERRUPT), or an exception, NMI or interrupt through
 * KVM_SET_VCPU_EVENTS, or sets an interrupt shadow; what is injected is fixed by the seed.
 *
 * Every program starts with a fixed prologue (an OUT of PROLOGUE_VAL to PROLOGUE_PORT): the
 * check that the vCPU can be reset and run known-good code after whatever the program before
 * it did. It ends with an OUT to END_PORT. The guest's IDT (IVT in real mode) sends every
 * vector to a stub that reports it with an OUT (EXC_PORT_*) and IRETs; for valid programs
 * the host rewrites the return address in the frame to the next generated instruction, so
 * the program continues; for random bytes it points it at the END instruction.
 *
 * Bounds: valid programs are straight-line code (no backward branches), so their length
 * bounds them; any program is stopped after MAX_EXITS exits, MAX_EXC exceptions, or a
 * host-side timeout (SIGALRM sets kvm_run.immediate_exit; KVM_RUN returns EINTR).
 *
 * Checks (a failure prints "FAIL:" and exits 1): KVM_RUN returns 0 or EINTR (after our own
 * timer); each exit reason is one api.rst documents for this configuration (no in-kernel
 * irqchip, no capabilities enabled): IO, MMIO, HLT, SHUTDOWN, FAIL_ENTRY, INTERNAL_ERROR,
 * UNKNOWN, INTR; IO and MMIO payloads are sane (sizes, directions, an MMIO address outside
 * any slot that is RAM for that access); state ioctls succeed; the prologue exit comes
 * first in every program.
 *
 * Counting (summary line): "programs" run; "instructions": generated instructions of valid
 * programs the guest got to (retired, or faulted on and skipped), taken from the position of
 * the last exception, the END exit or the final RIP, never from the generated length; the
 * prologue is not counted. Random-byte programs count no instructions: "rbytes" is how many
 * of their bytes RIP got past. "exits": KVM_RUN returns, all programs.
 *
 * --trace prints, per program, the exits with their payload, the injected events and the
 * final registers, deterministically (no time, no TSC, fixed CPUID): two runs with the same
 * seed on two KVM implementations can be compared with diff (difftest_guest.sh).
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "x86_guest.h"

/* --- guest physical layout --- */
#define IVT_GPA		0x0000
#define RSTUB_GPA	0x0800	/* real-mode stubs, 8 bytes per vector */
#define GDT_GPA		0x1000
#define IDT32_GPA	0x2000
#define IDT64_GPA	0x3000
#define STUB32_GPA	0x4000	/* 16 bytes per vector */
#define STUB64_GPA	0x5000
#define TSS_GPA		0x6000
#define STACK_TOP	0xfff0
#define CODE_GPA	0x10000	/* programs, up to CODE_MAX bytes; real mode CS = 0x1000 */
#define CODE_MAX	0xf000
#define DATA_GPA	0x20000	/* real mode DS = ES = 0x2000 */
#define DESC_GPA	0x2ff00	/* IDT pseudo-descriptors: real, 32-bit, 64-bit */
#define PML4_GPA	0x30000
#define PDPT_GPA	0x31000
#define PD_GPA		0x32000	/* 4 page directories of 2 MiB pages: 4 GiB identity */
#define PAE_PDPT_GPA	0x36000
#define PD32_GPA	0x37000	/* 32-bit paging, 4 MiB pages */
#define PRISTINE_END	0x40000
#define SLOT0_SIZE	0xa0000	/* RAM 0 .. 640 KiB */
#define HOLE_A		0xa0000	/* no slot: 0xa0000 .. 0xc0000 */
#define RO_GPA		0xc0000	/* slot 1, KVM_MEM_READONLY */
#define S2_GPA		0xd0000	/* slot 2 and 3: adjacent RAM slots */
#define S3_GPA		0xe0000
#define HOLE_F		0xf0000	/* no slot from here up */
#define SMALL_SLOT	0x10000

#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18
#define SEL_CODE16	0x20	/* 16-bit protected-mode code, base CODE_GPA */
#define SEL_DATA16	0x28
#define SEL_TSS		0x30

/* --- ports --- */
#define PROLOGUE_PORT	0xe0
#define PROLOGUE_VAL	0x5a
#define EXC_PORT_REAL	0xe4
#define EXC_PORT_32	0xe5
#define EXC_PORT_64	0xe6
#define EVENT_PORT	0xee
#define END_PORT	0xef

#define MAX_EXITS	600
#define MAX_EXC		32
#define MAX_INSNS	4096
#define MAX_EVENTS	8

enum { M_REAL, M_PROT, M_PAE, M_LONG, NR_MODES };
static const char *const mode_names[] = { "real", "prot", "pae", "long" };

enum ev_type { EV_NMI, EV_IRQ, EV_EXC, EV_NMI_EV, EV_IRQ_EV, EV_SHADOW, NR_EV };
static const char *const ev_names[] = { "nmi", "irq", "exc", "nmi-ev", "irq-ev", "shadow" };

struct event {
	int type;
	int vector;
};

struct prog {
	int mode;
	int random;		/* random bytes, not valid instructions */
	uint8_t code[CODE_MAX];
	uint32_t len;
	uint32_t end_off;	/* the END instruction */
	int nins;		/* generated instructions; bound[nins] = end_off */
	uint32_t bound[MAX_INSNS + 1];
	int16_t softvec[MAX_INSNS + 1];	/* INT n / INT3 / INTO / INT1: the vector, else -1 */
	struct event ev[MAX_EVENTS];
	int nev;
	uint64_t seed;
};

/* --- options and counters --- */
static uint64_t opt_seed;
static long opt_programs = -1, opt_first;
static int opt_time = -1, opt_trace, opt_mode = -1, opt_timeout_ms, opt_verbose;
static const char *opt_dump;
static int opt_emu_unsafe, opt_progress;
static unsigned long long n_programs, n_insns, n_exits, n_rbytes, n_timeouts, n_exc;
static unsigned long long n_by_reason[64], n_rand_programs, n_events;
static struct prog P;

/* --- PRNG: splitmix64 --- */
static uint64_t rng_state;

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)
{
	rng_state += 0x9e3779b97f4a7c15ULL;
	return mix64(rng_state);
}

static uint32_t rn(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(int percent)
{
	return (int)rn(100) < percent;
}

/* --- output --- */
static void tr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tr(const char *fmt, ...)
{
	va_list ap;

	if (!opt_trace)
		return;
	printf("%llu: ", (unsigned long long)(opt_first + n_programs));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "FAIL: program %llu (seed %llu, mode %s, %s): ",
		(unsigned long long)(opt_first + n_programs), (unsigned long long)opt_seed,
		mode_names[P.mode], P.random ? "random bytes" : "valid instructions");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nreplay: kvm_guest_fuzz --seed %llu --first %llu --programs 1 --trace\n",
		(unsigned long long)opt_seed, (unsigned long long)(opt_first + n_programs));
	exit(1);
}

/* ======================= code generation ======================= */

struct gen {
	struct prog *p;
	int m;			/* code size now: 16, 32, 64 */
	int cur;		/* mode now, for mode switches: M_REAL, M_PROT (paging off), M_LONG, -1 */
};

static void emit(struct gen *g, uint8_t b)
{
	if (g->p->len < CODE_MAX)
		g->p->code[g->p->len++] = b;
}

static void emit_n(struct gen *g, uint64_t v, int n)
{
	while (n--) {
		emit(g, v & 0xff);
		v >>= 8;
	}
}

/*
 * What made the emulated host's QEMU (TCG with SVM) segfault, with stock KVM as with ours,
 * is left out unless --emu-unsafe: ICEBP (0xf1) and single-stepping (EFLAGS.TF) crashed in
 * cpu_handle_guest_debug -> gdb_set_stop_cpu (seed 2, program 15), enabled DR7
 * breakpoints in cpu_x86_update_dr7 (gen_dr()). Guest #DB is a TCG debug event there.
 */
static uint8_t emu_safe_byte(uint8_t b)
{
	return b == 0xf1 && !opt_emu_unsafe ? 0x90 : b;
}

static void insn(struct gen *g, int softvec)
{
	struct prog *p = g->p;

	if (p->nins >= MAX_INSNS)
		return;
	p->bound[p->nins] = p->len;
	p->softvec[p->nins] = softvec;
	p->nins++;
}

static int room(struct gen *g)
{
	return g->p->nins < MAX_INSNS - 40 && g->p->len < CODE_MAX - 256;
}

/* mov $imm32, %r32 (zero-extending in 64-bit mode) */
static void mov_r32(struct gen *g, int reg, uint32_t v)
{
	insn(g, -1);
	if (g->m == 16)
		emit(g, 0x66);
	emit(g, 0xb8 + reg);
	emit_n(g, v, 4);
}

/* mov $imm16, %r16 */
static void mov_r16(struct gen *g, int reg, uint16_t v)
{
	insn(g, -1);
	if (g->m != 16)
		emit(g, 0x66);
	emit(g, 0xb8 + reg);
	emit_n(g, v, 2);
}

/* mov %ax, %sreg */
static void mov_sreg_ax(struct gen *g, int sreg)
{
	insn(g, -1);
	emit(g, 0x8e);
	emit(g, 0xc0 | sreg << 3);
}

enum { ES = 0, CS, SS, DS, FS, GS };

/*
 * Point the memory operand of the next mem_insn() at linear address lin: ES:BX in 16-bit
 * code (lin below 1 MiB), EBX/RBX otherwise. Returns 0 if lin is out of reach.
 */
static int set_addr(struct gen *g, uint64_t lin)
{
	if (g->m == 16) {
		if (lin >= 0x100000)
			return 0;
		mov_r16(g, 0, (lin >> 4) & 0xf000);
		mov_sreg_ax(g, ES);
		mov_r16(g, 3, lin & 0xffff);
		return 1;
	}
	mov_r32(g, 3, lin);
	return 1;
}

/*
 * One instruction with a memory operand at the address set_addr() prepared: prefixes,
 * opcode bytes, ModRM with the reg field, immediate. size: 1, 2, 4, 8 (operand size, for the
 * 66 / REX.W prefixes; 1 means the opcode is a byte form already).
 */
static void mem_insn(struct gen *g, int lock, int size, const uint8_t *op, int nop, int reg,
		     uint64_t imm, int immsize)
{
	int i;

	insn(g, -1);
	if (lock)
		emit(g, 0xf0);
	if (g->m == 16)
		emit(g, 0x26);	/* es: */
	if ((size == 2) != (g->m == 16) && size != 1 && size != 8)
		emit(g, 0x66);
	if (size == 8)
		emit(g, 0x48);
	for (i = 0; i < nop; i++)
		emit(g, op[i]);
	emit(g, (reg & 7) << 3 | (g->m == 16 ? 7 : 3));
	emit_n(g, imm, immsize);
}

static int rand_reg(void)
{
	static const int regs[] = { 0, 1, 2, 3, 5, 6, 7 };	/* never ESP */

	return regs[rn(7)];
}

static uint64_t rand_target(struct gen *g)
{
	switch (rn(14)) {
	case 0: case 1: case 2:
		return DATA_GPA + rn(0xff0);
	case 3:
		return HOLE_A + rn(0x1fff0);
	case 4:
		return RO_GPA + rn(SMALL_SLOT - 16);
	case 5:
		return S3_GPA - 1 - rn(7);	/* slot 2 -> slot 3 */
	case 6:
		return HOLE_F - 1 - rn(7);	/* slot 3 -> no slot */
	case 7:
		return HOLE_A - 1 - rn(7);	/* slot 0 -> no slot */
	case 8:
		return RO_GPA - 1 - rn(7);	/* no slot -> read-only slot */
	case 9:
		return S2_GPA + rn(0x1000);
	case 10:
		if (g->m != 16) {
			static const uint32_t high[] = { 0xfee00000, 0xfec00000, 0xe0000000,
							 0x100000, 0x3ffffffc, 0xfffffff0 };
			return high[rn(6)] + (rn(4) << 4);
		}
		return HOLE_F + rn(0xfff0);
	case 11:
		return DESC_GPA - 0x100 + rn(0x100);
	case 12:
		return PRISTINE_END + rn(0x1000);
	default:
		return HOLE_F + rn(0xfff0);
	}
}

static int rand_size(struct gen *g)
{
	static const int s[] = { 1, 2, 4, 8 };

	return s[rn(g->m == 64 ? 4 : 3)];
}

static int opsz_imm(int size)
{
	return size == 1 ? 1 : size == 2 ? 2 : 4;
}

static void gen_mem(struct gen *g)
{
	uint64_t lin = rand_target(g);
	int size = rand_size(g), bw = size == 1 ? 0 : 1, reg = rand_reg();
	uint8_t op[3];

	if (!set_addr(g, lin))
		return;
	switch (rn(22)) {
	case 0: op[0] = 0x88 | bw; break;			/* mov r -> m */
	case 1: op[0] = 0x8a | bw; break;			/* mov m -> r */
	case 2: case 3:						/* ALU m, r */
		op[0] = rn(8) << 3 | bw;
		mem_insn(g, chance(20), size, op, 1, reg, 0, 0);
		return;
	case 4: op[0] = (rn(8) << 3) | 2 | bw; break;		/* ALU r, m */
	case 5: op[0] = 0x84 | bw; break;			/* test */
	case 6: op[0] = 0x86 | bw; break;			/* xchg */
	case 7:							/* mov imm -> m */
		op[0] = 0xc6 | bw;
		mem_insn(g, 0, size, op, 1, 0, rnd(), opsz_imm(size));
		return;
	case 8:							/* ALU imm */
		op[0] = size == 1 ? 0x80 : chance(50) ? 0x83 : 0x81;
		mem_insn(g, chance(20), size, op, 1, rn(8), rnd(),
			 op[0] == 0x81 ? opsz_imm(size) : 1);
		return;
	case 9:							/* not, neg, mul... */
		op[0] = 0xf6 | bw;
		reg = 2 + rn(4);	/* not, neg, mul, imul: no div (#DE is boring) */
		break;
	case 10:						/* inc, dec */
		op[0] = 0xfe | bw;
		mem_insn(g, chance(20), size, op, 1, rn(2), 0, 0);
		return;
	case 11:						/* movzx, movsx */
		op[0] = 0x0f;
		op[1] = 0xb6 | (rn(2) << 3) | rn(2);
		mem_insn(g, 0, size == 1 ? 4 : size, op, 2, reg, 0, 0);
		return;
	case 12:						/* cmpxchg, xadd */
		op[0] = 0x0f;
		op[1] = (chance(50) ? 0xb0 : 0xc0) | bw;
		mem_insn(g, chance(50), size, op, 2, reg, 0, 0);
		return;
	case 13:						/* bt, bts, btr, btc r */
		op[0] = 0x0f;
		op[1] = 0xa3 | rn(4) << 3;
		if (size == 1)
			size = 4;
		mov_r32(g, reg == 3 ? 0 : reg, rn(64));
		mem_insn(g, chance(20), size, op, 2, reg == 3 ? 0 : reg, 0, 0);
		return;
	case 14:						/* bt* imm8 */
		op[0] = 0x0f;
		op[1] = 0xba;
		mem_insn(g, 0, size == 1 ? 4 : size, op, 2, 4 + rn(4), rn(256), 1);
		return;
	case 15:						/* shifts and rotates */
		op[0] = (chance(50) ? 0xd0 : 0xc0) | bw;
		mem_insn(g, 0, size, op, 1, rn(8), rn(40), op[0] >= 0xd0 ? 0 : 1);
		return;
	case 16:						/* setcc, cmovcc */
		op[0] = 0x0f;
		if (chance(50)) {
			op[1] = 0x90 | rn(16);
			mem_insn(g, 0, 1, op, 2, 0, 0, 0);
		} else {
			op[1] = 0x40 | rn(16);
			mem_insn(g, 0, size == 1 ? 4 : size, op, 2, reg, 0, 0);
		}
		return;
	case 17:						/* push m; pop r */
		op[0] = 0xff;
		mem_insn(g, 0, g->m == 64 ? 1 : (g->m == 16 ? 2 : 4), op, 1, 6, 0, 0);
		insn(g, -1);
		emit(g, 0x58 + reg);
		return;
	case 18:						/* push r; pop m */
		insn(g, -1);
		emit(g, 0x50 + reg);
		op[0] = 0x8f;
		mem_insn(g, 0, g->m == 64 ? 1 : (g->m == 16 ? 2 : 4), op, 1, 0, 0, 0);
		return;
	case 19: {						/* string move/store/load/compare */
		static const uint8_t sops[] = { 0xa4, 0xaa, 0xac, 0xa6, 0xae };
		uint8_t s = sops[rn(5)] | bw;
		uint64_t other = rand_target(g);

		if (g->m == 16) {
			/* DS:SI other, ES:DI lin (set_addr put ES and BX) */
			if (other >= 0x100000)
				other = DATA_GPA;
			mov_r16(g, 0, (other >> 4) & 0xf000);
			mov_sreg_ax(g, DS);
			mov_r16(g, 6, other & 0xffff);
			insn(g, -1);
			emit(g, 0x89);
			emit(g, 0xdf);	/* mov %bx, %di */
		} else {
			mov_r32(g, 6, other);
			mov_r32(g, 7, lin);
		}
		mov_r32(g, 1, 1 + rn(6));
		if (chance(15)) {
			insn(g, -1);
			emit(g, 0xfd);	/* std */
		}
		insn(g, -1);
		if (chance(70))
			emit(g, chance(80) ? 0xf3 : 0xf2);
		if (size == 2 && g->m != 16)
			emit(g, 0x66);
		if (size == 4 && g->m == 16)
			emit(g, 0x66);
		if (size == 8)
			emit(g, 0x48);
		emit(g, s);
		insn(g, -1);
		emit(g, 0xfc);	/* cld */
		if (g->m == 16) {
			mov_r16(g, 0, DATA_GPA >> 4);
			mov_sreg_ax(g, DS);
		}
		return;
	}
	case 20:						/* invlpg, clflush */
		op[0] = 0x0f;
		op[1] = chance(50) ? 0x01 : 0xae;
		mem_insn(g, 0, 1, op, 2, 7, 0, 0);
		return;
	default:						/* mov sreg -> m */
		op[0] = 0x8c;
		mem_insn(g, 0, 2, op, 1, rn(6), 0, 0);
		return;
	}
	mem_insn(g, 0, size, op, 1, reg, 0, 0);
}

static void gen_alu(struct gen *g)
{
	static const uint8_t ops[] = { 0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x10, 0x11, 0x18,
				       0x19, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x38, 0x39,
				       0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b };
	int i, n = 1 + rn(6);

	for (i = 0; i < n; i++) {
		switch (rn(5)) {
		case 0:
			mov_r32(g, rand_reg(), rnd());
			break;
		case 1:
			insn(g, -1);
			emit(g, 0x50 + rand_reg());
			insn(g, -1);
			emit(g, 0x58 + rand_reg());
			break;
		case 2: {				/* flags games */
			/*
			 * NT (0x4000) only with --emu-unsafe: an IRET with NT set is a task
			 * switch through a TSS the program does not set up; kept out until
			 * tried on its own (the QEMU crash of seed 1 was DR7, see gen_dr()).
			 */
			static const uint32_t flags[] = { 0x1, 0x4, 0x40, 0x80, 0x200, 0x400,
							  0x800, 0x40000, 0x100, 0x4000 };
			uint32_t f = flags[rn(8)];

			/* TF (single-step) only with --emu-unsafe: see emu_safe_byte() */
			if (opt_emu_unsafe && chance(10))
				f = 0x100;

			if (opt_emu_unsafe && chance(10))
				f = 0x4000;

			insn(g, -1);
			emit(g, 0x9c);		/* pushf */
			insn(g, -1);
			emit(g, 0x58);		/* pop %ax/%eax/%rax */
			insn(g, -1);
			if (g->m == 16)
				emit(g, 0x66);
			emit(g, 0x35);		/* xor $f, %eax */
			emit_n(g, f, 4);
			insn(g, -1);
			emit(g, 0x50);
			insn(g, -1);
			emit(g, 0x9d);		/* popf */
			break;
		}
		default:
			insn(g, -1);
			if (g->m == 64 && chance(30))
				emit(g, 0x48 | rn(2) << 2 | rn(2));	/* REX.W, R, B */
			else if (chance(20))
				emit(g, 0x66);
			emit(g, ops[rn(sizeof(ops))]);
			emit(g, 0xc0 | rand_reg() << 3 | rand_reg());
			break;
		}
	}
}

static uint16_t rand_port(void)
{
	static const uint16_t ports[] = { 0x20, 0x21, 0x40, 0x43, 0x60, 0x61, 0x64, 0x70, 0x71,
					  0x80, 0x92, 0xa0, 0xcf8, 0xcfc, 0x3f8, 0x3fd, 0x510,
					  0x1234, 0xffff, 0xfffe };

	return chance(80) ? ports[rn(sizeof(ports) / 2)] : 0x100 + rn(0xfe00);
}

static void gen_pio(struct gen *g)
{
	uint16_t port = rand_port();
	int sz = rn(3);		/* byte, word, dword */

	if (chance(40) && port < 0x100 && port != PROLOGUE_PORT && port != END_PORT &&
	    port != EVENT_PORT && (port & ~3) != 0xe4) {
		insn(g, -1);
		if (sz == 1 && g->m != 16)
			emit(g, 0x66);
		if (sz == 2 && g->m == 16)
			emit(g, 0x66);
		emit(g, (chance(50) ? 0xe4 : 0xe6) | (sz ? 1 : 0));
		emit(g, port);
		return;
	}
	if ((port & 0xff00) == 0 && (port & 0xf0) == 0xe0)
		port = 0x3f8;
	mov_r16(g, 2, port);
	if (chance(30)) {	/* string I/O from/to RAM or MMIO */
		uint64_t lin = chance(60) ? DATA_GPA + rn(0x100) : rand_target(g);

		if (g->m == 16) {
			if (lin >= 0x100000)
				lin = DATA_GPA;
			mov_r16(g, 0, (lin >> 4) & 0xf000);
			mov_sreg_ax(g, ES);
			mov_sreg_ax(g, DS);
			mov_r16(g, 6, lin & 0xffff);
			mov_r16(g, 7, lin & 0xffff);
		} else {
			mov_r32(g, 6, lin);
			mov_r32(g, 7, lin);
		}
		mov_r32(g, 1, rn(5));
		insn(g, -1);
		if (chance(80))
			emit(g, 0xf3);
		if (sz == 1 && g->m != 16)
			emit(g, 0x66);
		if (sz == 2 && g->m == 16)
			emit(g, 0x66);
		emit(g, (chance(50) ? 0x6c : 0x6e) | (sz ? 1 : 0));	/* ins, outs */
		if (g->m == 16) {
			mov_r16(g, 0, DATA_GPA >> 4);
			mov_sreg_ax(g, DS);
		}
		return;
	}
	mov_r32(g, 0, rnd());
	insn(g, -1);
	if (sz == 1 && g->m != 16)
		emit(g, 0x66);
	if (sz == 2 && g->m == 16)
		emit(g, 0x66);
	emit(g, (chance(50) ? 0xec : 0xee) | (sz ? 1 : 0));
}

/* mov %crN, %eax; xor $mask, %eax; mov %eax, %crN */
static void gen_cr(struct gen *g)
{
	static const uint32_t cr0_bits[] = { 1u << 1, 1u << 2, 1u << 3, 1u << 5, 1u << 16,
					     1u << 18, 1u << 29, 1u << 30, 1u << 31, 1u << 0,
					     1u << 7 };
	static const uint32_t cr4_bits[] = { 1u << 0, 1u << 1, 1u << 2, 1u << 3, 1u << 4,
					     1u << 5, 1u << 6, 1u << 7, 1u << 8, 1u << 9,
					     1u << 10, 1u << 11, 1u << 13, 1u << 16, 1u << 17,
					     1u << 18, 1u << 20, 1u << 21, 1u << 22, 1u << 25 };
	int cr, write = chance(60);
	uint32_t mask = 0;

	switch (rn(g->m == 64 ? 6 : 5)) {
	case 0: case 1:
		cr = 0;
		mask = cr0_bits[rn(sizeof(cr0_bits) / 4)];
		/*
		 * CR0.NW toggled (NW=1 with CD=0 is #GP on hardware): QEMU TCG takes it in
		 * the guest, VMRUN then fails on ours (no CR0 write intercept under NPT) and
		 * the emulated host's CPU froze later in the same VM, at a real-mode
		 * program's timeout (seed 16, programs 194 to 218, RCU stall in VMRUN).
		 * --emu-unsafe only; CD instead.
		 */
		if (mask == 1u << 29 && !opt_emu_unsafe)
			mask = 1u << 30;
		break;
	case 2:
		cr = 4;
		mask = cr4_bits[rn(sizeof(cr4_bits) / 4)];
		break;
	case 3:
		cr = 3;
		mask = chance(50) ? 0x18 : 0;	/* PWT, PCD */
		break;
	case 4:
		cr = 2;
		mask = rnd();
		break;
	default:
		cr = 8;
		mask = rn(16);
		break;
	}
	insn(g, -1);
	emit(g, 0x0f);
	emit(g, 0x20);
	emit(g, 0xc0 | cr << 3);
	if (!write)
		return;
	if (mask) {
		insn(g, -1);
		if (g->m == 16)
			emit(g, 0x66);
		emit(g, 0x35);
		emit_n(g, mask, 4);
	}
	insn(g, -1);
	emit(g, 0x0f);
	emit(g, 0x22);
	emit(g, 0xc0 | cr << 3);
}

static void gen_dr(struct gen *g)
{
	static const int drs[] = { 0, 1, 2, 3, 6, 7, 4, 5 };
	int dr = drs[rn(chance(90) ? 6 : 8)];

	/* writes only with --emu-unsafe: see below */
	if (opt_emu_unsafe && chance(55)) {
		uint32_t v;

		switch (dr) {
		case 7:
			v = (rnd() & 0xffff00ffu) | (chance(80) ? 0 : 1u << 13) | 0x400;
			v &= chance(50) ? 0xffff03ffu : ~0u;
			/*
			 * Breakpoint enables, types and lengths only with --emu-unsafe: the
			 * emulated host's QEMU (TCG SVM) segfaults in cpu_x86_update_dr7 ->
			 * cpu_breakpoint_remove_by_ref with them, on stock KVM as on ours
			 * (seed 1 program 0 with enables; seed 2 program 67 with types and
			 * lengths only; gdb backtraces of qemu-system-x86_64).
			 */
			if (!opt_emu_unsafe)
				v &= 0x2300;	/* GD, GE, LE: no types, lengths, enables */
			break;
		case 6:
			v = rnd() | 0xffff0ff0u;
			break;
		default:	/* a breakpoint in the program, in data, or anywhere */
			v = chance(50) ? CODE_GPA + (g->p->len + rn(64)) : chance(50) ?
				DATA_GPA + rn(0x100) : rnd();
			break;
		}
		mov_r32(g, 0, v);
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0x23);
		emit(g, 0xc0 | dr << 3);
		return;
	}
	insn(g, -1);
	emit(g, 0x0f);
	emit(g, 0x21);
	emit(g, 0xc0 | dr << 3);
}

static void gen_msr(struct gen *g)
{
	static const uint32_t msrs[] = {
		0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100,
		0xc0000101, 0xc0000102, 0xc0000103, 0x174, 0x175, 0x176, 0x277, 0x1a0, 0x1b,
		0xfe, 0x2ff, 0x200, 0x201, 0x250, 0x17a, 0x179, 0x400, 0x401, 0xc0010015,
		0xc0010114, 0xc0010117, 0xc0010010, 0xc0011029, 0x8b, 0xce, 0x3b, 0x48, 0x49,
		0x802, 0x808, 0x830, 0x1d9, 0xc0010000, 0xc0010004, 0xc0000104, 0x6e0,
		0x12345678, 0x40000000, 0xc0011022, 0xc001001f, 0x0, 0x1 };
	static const uint32_t efer_bits[] = { 1u << 0, 1u << 8, 1u << 11, 1u << 12,
					      1u << 13, 1u << 14, 1u << 15, 1u << 1 };
	uint32_t msr = chance(95) ? msrs[rn(sizeof(msrs) / 4)] : rnd();
	uint32_t mask;

	mov_r32(g, 1, msr);
	insn(g, -1);
	emit(g, 0x0f);
	emit(g, 0x32);		/* rdmsr */
	if (chance(40))
		return;
	if (msr == 0xc0000080) {
		mask = efer_bits[rn(8)];
		/*
		 * EFER.LME toggled here, outside the mode switch, hung the emulated host's
		 * CPU in QEMU (TCG SVM; RCU stall, no NMI backtrace), with stock KVM as with
		 * ours: in real mode (seed 1, program 248, --trace) and in protected mode
		 * (seed 7, program 958). --emu-unsafe only, except in 64-bit code (#GP).
		 */
		if (mask == EFER_LME && g->m != 64 && !opt_emu_unsafe)
			mask = EFER_SCE;
	}
	else if (chance(50))
		mask = 1u << rn(32);
	else
		mask = rnd();
	insn(g, -1);
	if (g->m == 16)
		emit(g, 0x66);
	emit(g, 0x35);
	emit_n(g, mask, 4);
	insn(g, -1);
	emit(g, 0x0f);
	emit(g, 0x30);		/* wrmsr */
}

static void gen_misc(struct gen *g)
{
	static const uint32_t leaves[] = { 0, 1, 7, 0xd, 0x80000000, 0x80000001, 0x80000008,
					   0x40000000, 0x40000001, 0x8000000a, 0x12345678, 2 };
	static const uint32_t hcs[] = { 0, 1, 5, 9, 10, 11, 12, 0x7fff, 0xffffffff };
	int k = rn(30);
	uint8_t v;

	switch (k) {
	case 0: case 1:		/* cpuid */
		mov_r32(g, 0, leaves[rn(sizeof(leaves) / 4)]);
		mov_r32(g, 1, rn(3));
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0xa2);
		return;
	case 2:			/* hlt */
		insn(g, -1);
		emit(g, 0xf4);
		return;
	case 3:			/* cli; sti; nop */
		insn(g, -1);
		emit(g, chance(50) ? 0xfa : 0xfb);
		insn(g, -1);
		emit(g, 0x90);
		return;
	case 4: case 5:		/* int n, int3, into, int1 */
		switch (rn(4)) {
		case 0:
			v = 3;
			insn(g, v);
			emit(g, 0xcc);
			break;
		case 1:
			v = 4;
			insn(g, g->m == 64 ? -1 : v);	/* #UD in 64-bit mode */
			emit(g, 0xce);
			break;
		case 2:
			v = 1;
			insn(g, v);
			emit(g, emu_safe_byte(0xf1));
			break;
		default:
			do
				v = rn(256);
			while (v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
			       v == 29 || v == 30);
			insn(g, v);
			emit(g, 0xcd);
			emit(g, v);
			break;
		}
		return;
	case 6: case 7: {	/* hypercalls: vmmcall, vmcall (patched by KVM) */
		mov_r32(g, 0, hcs[rn(sizeof(hcs) / 4)]);
		mov_r32(g, 3, rn(4));
		mov_r32(g, 1, rn(4));
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0x01);
		emit(g, chance(70) ? 0xd9 : 0xc1);
		return;
	}
	case 8: {		/* SVM instructions: #UD without SVM in CPUID */
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0x01);
		emit(g, 0xd8 + rn(8));
		return;
	}
	case 9:			/* wbinvd, invd, clts */
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, (const uint8_t[]){ 0x09, 0x08, 0x06 }[rn(3)]);
		return;
	case 10:		/* smsw, lmsw */
		if (chance(50)) {
			insn(g, -1);
			emit(g, 0x0f);
			emit(g, 0x01);
			emit(g, 0xe0 | rand_reg());
		} else {
			mov_r32(g, 0, rn(16));
			insn(g, -1);
			emit(g, 0x0f);
			emit(g, 0x01);
			emit(g, 0xf0);
		}
		return;
	case 11:		/* sgdt, sidt, str, sldt to data */
		if (!set_addr(g, DATA_GPA + 0x800 + rn(0x100)))
			return;
		if (chance(50)) {
			uint8_t op[2] = { 0x0f, 0x01 };

			mem_insn(g, 0, 1, op, 2, rn(2), 0, 0);
		} else {
			uint8_t op[2] = { 0x0f, 0x00 };

			mem_insn(g, 0, 1, op, 2, rn(2), 0, 0);
		}
		return;
	case 12:		/* lar, lsl, verr, verw */
		mov_r16(g, 1, (const uint16_t[]){ 0, 8, 0x10, 0x18, 0x20, 0x28, 0x30, 0x33,
						  0x40 }[rn(9)]);
		insn(g, -1);
		emit(g, 0x0f);
		if (chance(50)) {
			emit(g, chance(50) ? 0x02 : 0x03);
			emit(g, 0xc1);
		} else {
			emit(g, 0x00);
			emit(g, chance(50) ? 0xe1 : 0xe9);
		}
		return;
	case 13:		/* load a data segment register */
		mov_r16(g, 0, (const uint16_t[]){ 0, 8, 0x10, 0x28, 0x30, 0x13, 0x2000,
						  0x40 }[rn(8)]);
		mov_sreg_ax(g, (const int[]){ DS, ES, FS, GS }[rn(4)]);
		if (g->m == 16) {	/* back to the data segment the generator assumes */
			mov_r16(g, 0, DATA_GPA >> 4);
			mov_sreg_ax(g, DS);
		}
		return;
	case 14:		/* pause, lfence, mfence, sfence, nops */
		insn(g, -1);
		switch (rn(4)) {
		case 0: emit(g, 0xf3); emit(g, 0x90); break;
		case 1: emit(g, 0x0f); emit(g, 0xae); emit(g, 0xe8); break;
		case 2: emit(g, 0x0f); emit(g, 0xae); emit(g, 0xf0); break;
		default: emit(g, 0x0f); emit(g, 0x1f); emit(g, 0xc0); break;
		}
		return;
	case 15:		/* rdtscp, rdpid, xgetbv, xsetbv, monitor, mwait, rdpmc, rdtsc */
		if (opt_trace) {	/* time: not deterministic */
			insn(g, -1);
			emit(g, 0x90);
			return;
		}
		insn(g, -1);
		emit(g, 0x0f);
		switch (rn(4)) {
		case 0: emit(g, 0x31); break;
		case 1: emit(g, 0x01); emit(g, 0xf9); break;
		case 2: emit(g, 0x01); emit(g, 0xd0); break;
		default: emit(g, 0x33); break;
		}
		return;
	case 16:		/* xsetbv, monitor, mwait: #UD with this CPUID */
		mov_r32(g, 1, 0);
		mov_r32(g, 0, 1 + rn(7));
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0x01);
		emit(g, (const uint8_t[]){ 0xd1, 0xc8, 0xc9, 0xd0 }[rn(4)]);
		return;
	case 17:		/* swapgs, syscall, sysret, sysenter: mode dependent */
		insn(g, -1);
		emit(g, 0x0f);
		switch (rn(4)) {
		case 0: emit(g, 0x01); emit(g, 0xf8); break;
		case 1: emit(g, 0x05); break;
		case 2: emit(g, 0x07); break;
		default: emit(g, 0x34); break;
		}
		return;
	case 18:		/* ud2 */
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0x0b);
		return;
	case 19:		/* iret to the next instruction (a frame built by hand) */
		if (g->m == 64)
			return;
		insn(g, -1);
		emit(g, 0x9c);	/* pushf */
		insn(g, -1);
		emit(g, 0x0e);	/* push cs */
		if (g->m == 16) {
			insn(g, -1);
			emit(g, 0x68);	/* push imm16: next ip */
			emit_n(g, g->p->len + 3, 2);	/* after this push and the iret */
			insn(g, -1);
			emit(g, 0xcf);
		} else {
			insn(g, -1);
			emit(g, 0x68);
			emit_n(g, CODE_GPA + g->p->len + 5, 4);
			insn(g, -1);
			emit(g, 0xcf);
		}
		return;
	default:		/* the reg-reg ALU mix */
		gen_alu(g);
		return;
	}
}

/* Self-modifying code: rewrite a later one-byte placeholder with another one-byte insn. */
static void gen_smc(struct gen *g)
{
	static const uint8_t ones[] = { 0x90, 0xf4, 0xcc, 0xf5, 0xf8, 0xf9, 0xfc, 0xf1 };
	uint8_t v = emu_safe_byte(ones[rn(sizeof(ones))]), op[1] = { 0xc6 };
	int gap = rn(3), i;
	uint32_t target;

	/* set_addr + mem_insn lengths: compute the target after emitting, then patch */
	if (!set_addr(g, CODE_GPA))
		return;
	mem_insn(g, 0, 1, op, 1, 0, v, 1);
	/* the address operand is the last mov imm: patch it now that we know the target */
	target = g->p->len;
	for (i = 0; i < gap; i++) {
		insn(g, -1);
		emit(g, 0x90);
	}
	target += gap;
	/* the placeholder: a nop; INT3/INT1 after rewrite report a trap at the next one */
	insn(g, v == 0xcc ? 3 : v == 0xf1 ? 1 : -1);
	emit(g, 0x90);
	{
		/* find the address immediate: mov_r16 %bx or mov_r32 %ebx was before mem_insn */
		uint8_t *c = g->p->code;
		uint32_t mi = g->p->bound[g->p->nins - 2 - gap];	/* mem_insn start */
		uint32_t ai = g->p->bound[g->p->nins - 3 - gap];	/* mov to (e)bx */
		uint32_t lin = CODE_GPA + target;

		(void)mi;
		if (g->m == 16) {
			/* mov $imm16, %bx: [66?] bb lo hi; ES = 0x1000 */
			uint32_t k = ai + (c[ai] == 0x66 ? 2 : 1);

			c[k] = lin & 0xff;
			c[k + 1] = (lin >> 8) & 0xff;
		} else {
			uint32_t k = ai + (c[ai] == 0x66 ? 2 : 1);

			c[k] = lin;
			c[k + 1] = lin >> 8;
			c[k + 2] = lin >> 16;
			c[k + 3] = lin >> 24;
		}
	}
}

static void far_jmp(struct gen *g, uint16_t sel, uint32_t (*ip)(uint32_t next), int opsz32)
{
	uint32_t next;

	insn(g, -1);
	if (opsz32 && g->m == 16)
		emit(g, 0x66);
	if (!opsz32 && g->m == 32)
		emit(g, 0x66);
	emit(g, 0xea);
	next = g->p->len + (opsz32 ? 4 : 2) + 2;
	emit_n(g, ip(next), opsz32 ? 4 : 2);
	emit_n(g, sel, 2);
}

static uint32_t ip_flat(uint32_t next)
{
	return CODE_GPA + next;
}

static uint32_t ip_code16(uint32_t next)
{
	return next;
}

static void lidt_abs(struct gen *g, uint32_t gpa)
{
	insn(g, -1);
	emit(g, 0x0f);
	emit(g, 0x01);
	if (g->m == 16) {
		emit(g, 0x1e);	/* [disp16], DS = 0x2000 */
		emit_n(g, gpa - DATA_GPA, 2);
	} else if (g->m == 32) {
		emit(g, 0x1d);
		emit_n(g, gpa, 4);
	} else {
		emit(g, 0x1c);
		emit(g, 0x25);
		emit_n(g, gpa, 4);
	}
}

static void cr_rmw(struct gen *g, int cr, uint8_t aluop, uint32_t imm)
{
	insn(g, -1);
	emit(g, 0x0f);
	emit(g, 0x20);
	emit(g, 0xc0 | cr << 3);
	insn(g, -1);
	if (g->m == 16)
		emit(g, 0x66);
	emit(g, aluop);		/* 0x0d or, 0x25 and */
	emit_n(g, imm, 4);
	insn(g, -1);
	emit(g, 0x0f);
	emit(g, 0x22);
	emit(g, 0xc0 | cr << 3);
}

static void gen_mode_switch(struct gen *g)
{
	if (g->cur == M_REAL && g->m == 16) {		/* real -> 32-bit protected */
		mov_r16(g, 0, DATA_GPA >> 4);
		mov_sreg_ax(g, DS);
		lidt_abs(g, DESC_GPA + 0x10);
		cr_rmw(g, 0, 0x0d, 1);
		far_jmp(g, SEL_CODE32, ip_flat, 1);
		g->m = 32;
		g->cur = M_PROT;
		mov_r32(g, 0, SEL_DATA);
		mov_sreg_ax(g, DS);
		mov_sreg_ax(g, ES);
		mov_sreg_ax(g, SS);
		mov_r32(g, 4, STACK_TOP);
		return;
	}
	if (g->cur == M_PROT && g->m == 32 && chance(50)) {	/* protected -> real */
		far_jmp(g, SEL_CODE16, ip_code16, 1);
		g->m = 16;
		mov_r16(g, 0, SEL_DATA16);
		mov_sreg_ax(g, SS);
		cr_rmw(g, 0, 0x25, 0x7ffffffe);
		far_jmp(g, CODE_GPA >> 4, ip_code16, 0);
		g->cur = M_REAL;
		mov_r16(g, 0, DATA_GPA >> 4);
		mov_sreg_ax(g, DS);
		mov_sreg_ax(g, ES);
		mov_r16(g, 0, 0);
		mov_sreg_ax(g, SS);
		mov_r32(g, 4, STACK_TOP);
		lidt_abs(g, DESC_GPA);
		return;
	}
	if (g->cur == M_PROT && g->m == 32) {		/* protected -> long */
		cr_rmw(g, 0, 0x25, 0x7fffffff);
		cr_rmw(g, 4, 0x0d, X86_CR4_PAE);
		mov_r32(g, 0, PML4_GPA);
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0x22);
		emit(g, 0xd8);	/* mov %eax, %cr3 */
		mov_r32(g, 1, MSR_EFER);
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0x32);
		insn(g, -1);
		emit(g, 0x0d);
		emit_n(g, EFER_LME, 4);
		insn(g, -1);
		emit(g, 0x0f);
		emit(g, 0x30);
		lidt_abs(g, DESC_GPA + 0x20);
		cr_rmw(g, 0, 0x0d, 0x80000000);
		far_jmp(g, SEL_CODE64, ip_flat, 1);
		g->m = 64;
		g->cur = M_LONG;
		return;
	}
	/* otherwise: paging on/off in 32-bit code, or the whole CR0 dance in place */
	if (g->m == 32) {
		cr_rmw(g, 0, 0x0d, 0x80000000);
		gen_alu(g);
		cr_rmw(g, 0, 0x25, 0x7fffffff);
	} else if (g->m == 16) {
		cr_rmw(g, 0, 0x0d, 1);
		gen_alu(g);
		cr_rmw(g, 0, 0x25, 0x7ffffffe);
	}
}

static void gen_event(struct gen *g)
{
	struct prog *p = g->p;
	struct event *e;

	if (p->nev >= MAX_EVENTS)
		return;
	e = &p->ev[p->nev++];
	e->type = rn(NR_EV);
	switch (e->type) {
	case EV_EXC: {
		static const int v[] = { 0, 1, 3, 4, 5, 6, 7, 13, 14, 17, 18, 19, 8, 2 };

		e->vector = v[rn(sizeof(v) / sizeof(v[0]))];
		break;
	}
	case EV_IRQ:
	case EV_IRQ_EV:
		e->vector = 32 + rn(224);
		break;
	default:
		e->vector = 2;
		break;
	}
	if (chance(30)) {	/* let an interrupt in */
		insn(g, -1);
		emit(g, 0xfb);
	}
	insn(g, -1);
	emit(g, 0xe6);
	emit(g, EVENT_PORT);
	insn(g, -1);
	emit(g, 0x90);
}

static void gen_prologue(struct gen *g)
{
	emit(g, 0xb0);
	emit(g, PROLOGUE_VAL);
	emit(g, 0xe6);
	emit(g, PROLOGUE_PORT);
}

static void gen_end(struct gen *g)
{
	struct prog *p = g->p;

	p->end_off = p->len;
	p->bound[p->nins] = p->len;
	p->softvec[p->nins] = -1;
	emit(g, 0xe6);
	emit(g, END_PORT);
	emit(g, 0xf4);
	emit(g, 0xeb);
	emit(g, 0xfc);	/* jmp back to the out */
}

static void gen_program(struct prog *p, int mode, uint64_t seed)
{
	struct gen g = { .p = p, .m = mode == M_REAL ? 16 : mode == M_LONG ? 64 : 32,
			 .cur = mode == M_PAE ? -1 : mode };

	rng_state = seed;
	p->mode = mode;
	p->seed = seed;
	p->len = 0;
	p->nins = 0;
	p->nev = 0;
	p->random = chance(30);
	gen_prologue(&g);
	if (p->random) {
		int i, n = 1 + rn(48);

		for (i = 0; i < n; i++) {
			uint8_t b = rnd();

			if (chance(10))	/* prefixes */
				b = (const uint8_t[]){ 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26,
						       0x2e, 0x64, 0x48 }[rn(9)];
			else if (chance(15))
				b = 0x0f;
			/* no MOV to DR7 from random bytes either (see gen_dr()) */
			if (b == 0x23 && p->len && p->code[p->len - 1] == 0x0f &&
			    !opt_emu_unsafe)
				b = 0x21;
			emit(&g, emu_safe_byte(b));
		}
		p->nins = 0;
		gen_end(&g);
		return;
	}
	{
		int n = 4 + rn(chance(20) ? 200 : 40);

		while (n-- > 0 && room(&g)) {
			switch (rn(20)) {
			case 0: case 1: case 2: case 3: case 4:
				gen_mem(&g);
				break;
			case 5: case 6: case 7:
				gen_alu(&g);
				break;
			case 8: case 9:
				gen_pio(&g);
				break;
			case 10: case 11:
				gen_cr(&g);
				break;
			case 12:
				gen_dr(&g);
				break;
			case 13: case 14:
				gen_msr(&g);
				break;
			case 15: case 16:
				gen_misc(&g);
				break;
			case 17:
				gen_smc(&g);
				break;
			case 18:
				if (chance(40))
					gen_mode_switch(&g);
				else
					gen_alu(&g);
				break;
			default:
				gen_event(&g);
				break;
			}
		}
	}
	gen_end(&g);
}

/* ======================= the VM ======================= */

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;
static uint8_t pristine[PRISTINE_END];
static uint8_t *slot_mem[4];
static int have_ro;
static volatile sig_atomic_t timed_out;
static int used_kvm_interrupt;
static struct kvm_run *volatile cur_run;

static void on_alarm(int sig)
{
	timed_out = 1;
	if (cur_run)
		cur_run->immediate_exit = 1;
}

static uint64_t desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

static void build_pristine(void)
{
	uint8_t *m = pristine;
	uint64_t *q;
	int v, i;

	memset(m, 0, sizeof(pristine));
	for (v = 0; v < 256; v++) {
		int err = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 ||
			  v == 30;
		uint8_t *s;

		/* IVT: 0000:stub */
		m[IVT_GPA + 4 * v] = (RSTUB_GPA + 8 * v) & 0xff;
		m[IVT_GPA + 4 * v + 1] = (RSTUB_GPA + 8 * v) >> 8;
		s = m + RSTUB_GPA + 8 * v;
		memcpy(s, (const uint8_t[]){ 0x50, 0xb0, v, 0xe6, EXC_PORT_REAL, 0x58, 0xcf }, 7);

		s = m + STUB32_GPA + 16 * v;
		memcpy(s, (const uint8_t[]){ 0x50, 0xb0, v, 0xe6, EXC_PORT_32, 0x58 }, 6);
		s += 6;
		if (err) {
			memcpy(s, (const uint8_t[]){ 0x83, 0xc4, 0x04 }, 3);
			s += 3;
		}
		*s = 0xcf;

		s = m + STUB64_GPA + 16 * v;
		memcpy(s, (const uint8_t[]){ 0x50, 0xb0, v, 0xe6, EXC_PORT_64, 0x58 }, 6);
		s += 6;
		if (err) {
			memcpy(s, (const uint8_t[]){ 0x48, 0x83, 0xc4, 0x08 }, 4);
			s += 4;
		}
		memcpy(s, (const uint8_t[]){ 0x48, 0xcf }, 2);

		q = (uint64_t *)(m + IDT32_GPA) + v;
		*q = ((STUB32_GPA + 16 * v) & 0xffff) | ((uint64_t)SEL_CODE32 << 16) |
		     (0x8eULL << 40) | ((uint64_t)((STUB32_GPA + 16 * v) >> 16) << 48);
		q = (uint64_t *)(m + IDT64_GPA) + 2 * v;
		q[0] = ((STUB64_GPA + 16 * v) & 0xffff) | ((uint64_t)SEL_CODE64 << 16) |
		       (0x8eULL << 40) | ((uint64_t)((STUB64_GPA + 16 * v) >> 16) << 48);
		q[1] = 0;
	}
	q = (uint64_t *)(m + GDT_GPA);
	q[SEL_CODE32 / 8] = desc(0, 0xfffff, 0x9b, 0xc);
	q[SEL_DATA / 8] = desc(0, 0xfffff, 0x93, 0xc);
	q[SEL_CODE64 / 8] = desc(0, 0xfffff, 0x9b, 0xa);
	q[SEL_CODE16 / 8] = desc(CODE_GPA, 0xffff, 0x9b, 0);
	q[SEL_DATA16 / 8] = desc(0, 0xffff, 0x93, 0);
	q[SEL_TSS / 8] = desc(TSS_GPA, 0x67, 0x8b, 0);
	q[SEL_TSS / 8 + 1] = 0;
	/* IDT pseudo-descriptors for lidt: real, 32-bit, 64-bit */
	*(uint16_t *)(m + DESC_GPA) = 0x3ff;
	*(uint64_t *)(m + DESC_GPA + 2) = IVT_GPA;
	*(uint16_t *)(m + DESC_GPA + 0x10) = 0x7ff;
	*(uint64_t *)(m + DESC_GPA + 0x12) = IDT32_GPA;
	*(uint16_t *)(m + DESC_GPA + 0x20) = 0xfff;
	*(uint64_t *)(m + DESC_GPA + 0x22) = IDT64_GPA;
	/* long mode: PML4[0] -> PDPT, PDPT[0..3] -> PDs of 2 MiB pages */
	*(uint64_t *)(m + PML4_GPA) = PDPT_GPA | 0x7;
	for (i = 0; i < 4; i++) {
		((uint64_t *)(m + PDPT_GPA))[i] = (PD_GPA + i * 0x1000) | 0x7;
		((uint64_t *)(m + PAE_PDPT_GPA))[i] = (PD_GPA + i * 0x1000) | 0x1;
	}
	for (i = 0; i < 2048; i++)
		((uint64_t *)(m + PD_GPA))[i] = ((uint64_t)i << 21) | 0x87;
	for (i = 0; i < 1024; i++)
		((uint32_t *)(m + PD32_GPA))[i] = ((uint32_t)i << 22) | 0x87;
}

/* A fixed CPUID, so both KVMs in a difftest show the guest the same one. */
#define B(n)	(1u << (n))
static void set_fixed_cpuid(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));
	const struct kvm_cpuid_entry2 *sup = vm_cpuid_entry(vm, 0x80000008, 0);
	/* FPU DE PSE TSC MSR PAE MCE CX8 SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH MMX FXSR SSE SSE2 */
	uint32_t edx1 = B(0) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(11) | B(12) |
			B(13) | B(14) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) | B(25) |
			B(26);
	/* AMD: the leaf 1 bits 0-9, 12-17, 23, 24 again, SYSCALL, NX, LM */
	uint32_t edx81 = (edx1 & 0x0183f3ff) | B(11) | B(20) | B(29);

	TEST_ASSERT(c, "calloc");
	c->nent = 6;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 7, .ebx = 0x68747541,
						   .ecx = 0x444d4163, .edx = 0x69746e65 };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x00800f12,
						   .ecx = B(0) | B(13) | B(23), .edx = edx1 };
	c->entries[2] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000008,
						   .ebx = 0x68747541, .ecx = 0x444d4163,
						   .edx = 0x69746e65 };
	c->entries[3] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .eax = 0x00800f12,
						   .ecx = B(0), .edx = edx81 };
	c->entries[4] = (struct kvm_cpuid_entry2){ .function = 0x80000008,
						   .eax = sup ? sup->eax & 0xffff : 0x3028 };
	c->entries[5] = (struct kvm_cpuid_entry2){ .function = 7,
						   .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, c);
	free(c);
}

static void vm_setup(void)
{
	vm = kvm_vm_new(SLOT0_SIZE);
	have_ro = kvm_check_cap(vm->kvm_fd, KVM_CAP_READONLY_MEM) > 0;
	for (int i = 1; i < 4; i++) {
		if (!slot_mem[i])
			slot_mem[i] = mmap_aligned(SMALL_SLOT, SMALL_SLOT);
	}
	if (have_ro)
		vm_set_slot(vm, 1, KVM_MEM_READONLY, RO_GPA, SMALL_SLOT, slot_mem[1]);
	vm_set_slot(vm, 2, 0, S2_GPA, SMALL_SLOT, slot_mem[2]);
	vm_set_slot(vm, 3, 0, S3_GPA, SMALL_SLOT, slot_mem[3]);
	vcpu = kvm_vcpu_new(vm, 0);
	set_fixed_cpuid();
}

static struct kvm_segment seg(uint16_t sel, uint32_t base, uint32_t limit, uint8_t type,
			      int s, int db, int l, int g)
{
	return (struct kvm_segment){ .selector = sel, .base = base, .limit = limit,
				     .type = type, .present = 1, .s = s, .db = db, .l = l,
				     .g = g };
}

static struct kvm_sregs sregs0;

/*
 * An IO or MMIO exit leaves the instruction incomplete until the next KVM_RUN (api.rst 5,
 * kvm_run: guest state is consistent only after re-entry); KVM_RUN with immediate_exit
 * completes it without running the guest any further.
 */
static void complete_pending(void)
{
	int i, r;

	vcpu->run->immediate_exit = 1;
	for (i = 0;; i++) {
		/* completing it may exit again (the next piece of a string I/O) */
		r = ioctl(vcpu->fd, KVM_RUN, 0);
		if (r == -1 && errno == EINTR)
			break;
		if (r || i == 1000)
			fail("KVM_RUN with immediate_exit returned %d (%s), not EINTR", r,
			     r ? strerror(errno) : "an exit");
	}
	vcpu->run->immediate_exit = 0;
}

static void vcpu_reset(int mode, const struct prog *p)
{
	struct kvm_regs regs;
	struct kvm_sregs s = sregs0;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	struct kvm_fpu fpu;
	uint64_t msrbuf[(sizeof(struct kvm_msrs) + 12 * sizeof(struct kvm_msr_entry)) / 8 + 1];
	struct kvm_msrs *msrs = (struct kvm_msrs *)msrbuf;
	static const uint32_t msr_idx[] = { MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
					    MSR_KERNEL_GS_BASE, MSR_IA32_SYSENTER_CS,
					    MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
					    MSR_IA32_CR_PAT };
	struct kvm_segment data;
	int i, r;

	/*
	 * A program stopped at an IO or MMIO exit leaves the operation pending: KVM_RUN with
	 * immediate_exit completes it without running the guest (api.rst 5, kvm_run), so
	 * that it does not land in the state set below.
	 */
	complete_pending();

	/* memory: tables, stubs, stack, program, data, the small slots */
	memcpy(vm->mem, pristine, PRISTINE_END);
	memset(vm->mem + PRISTINE_END, 0, SLOT0_SIZE - PRISTINE_END);
	memcpy(vm->mem + CODE_GPA, p->code, p->len);
	for (i = 0; i < 0x1000; i++)
		vm->mem[DATA_GPA + i] = mix64(p->seed + i) & 0xff;
	for (i = 1; i < 4; i++)
		memset(slot_mem[i], 0x11 * i, SMALL_SLOT);

	s.gdt.base = GDT_GPA;
	s.gdt.limit = SEL_TSS + 16 - 1;
	s.tr = seg(SEL_TSS, TSS_GPA, 0x67, 11, 0, 0, 0, 0);
	s.ldt = (struct kvm_segment){ .type = 2, .unusable = 1 };
	s.cr2 = 0;
	s.cr8 = 0;
	s.efer = 0;
	memset(s.interrupt_bitmap, 0, sizeof(s.interrupt_bitmap));
	switch (mode) {
	case M_REAL:
		s.cr0 = X86_CR0_ET;
		s.cr3 = 0;
		s.cr4 = 0;
		s.cs = seg(CODE_GPA >> 4, CODE_GPA, 0xffff, 11, 1, 0, 0, 0);
		data = seg(DATA_GPA >> 4, DATA_GPA, 0xffff, 3, 1, 0, 0, 0);
		s.ds = s.es = data;
		s.fs = s.gs = s.ss = seg(0, 0, 0xffff, 3, 1, 0, 0, 0);
		s.idt.base = IVT_GPA;
		s.idt.limit = 0x3ff;
		break;
	case M_PROT:
	case M_PAE:
		s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
		s.cr3 = PD32_GPA;
		s.cr4 = 1u << 4;	/* PSE */
		if (mode == M_PAE) {
			s.cr0 |= X86_CR0_PG;
			s.cr3 = PAE_PDPT_GPA;
			s.cr4 = X86_CR4_PAE;
		}
		s.cs = seg(SEL_CODE32, 0, 0xffffffff, 11, 1, 1, 0, 1);
		data = seg(SEL_DATA, 0, 0xffffffff, 3, 1, 1, 0, 1);
		s.ds = s.es = s.fs = s.gs = s.ss = data;
		s.idt.base = IDT32_GPA;
		s.idt.limit = 0x7ff;
		break;
	default:
		s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
		s.cr3 = PML4_GPA;
		s.cr4 = X86_CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
		s.cs = seg(SEL_CODE64, 0, 0xffffffff, 11, 1, 0, 1, 1);
		data = seg(SEL_DATA, 0, 0xffffffff, 3, 1, 1, 0, 1);
		s.ds = s.es = s.fs = s.gs = s.ss = data;
		s.idt.base = IDT64_GPA;
		s.idt.limit = 0xfff;
		break;
	}
	vcpu_set_sregs(vcpu, &s);

	memset(&regs, 0, sizeof(regs));
	regs.rflags = X86_RFLAGS_FIXED;
	regs.rip = mode == M_REAL ? 0 : CODE_GPA;
	regs.rsp = STACK_TOP;
	vcpu_set_regs(vcpu, &regs);

	memset(&ev, 0, sizeof(ev));
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);

	memset(&dr, 0, sizeof(dr));
	dr.dr6 = 0xffff0ff0;
	dr.dr7 = 0x400;
	vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &dr);

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	vcpu_ioctl(vcpu, KVM_SET_FPU, &fpu);

	memset(msrbuf, 0, sizeof(msrbuf));
	msrs->nmsrs = sizeof(msr_idx) / 4;
	for (i = 0; i < (int)(sizeof(msr_idx) / 4); i++) {
		msrs->entries[i].index = msr_idx[i];
		msrs->entries[i].data = msr_idx[i] == MSR_IA32_CR_PAT ? 0x0007040600070406ULL : 0;
	}
	r = ioctl(vcpu->fd, KVM_SET_MSRS, msrs);
	if (r != (int)msrs->nmsrs)
		fail("KVM_SET_MSRS of the reset MSRs set %d of %u", r, msrs->nmsrs);
}

/* ======================= running ======================= */

static uint32_t guest_ram_ok(uint64_t gpa, uint64_t len, int write)
{
	if (gpa + len <= SLOT0_SIZE)
		return 1;
	if (gpa >= S2_GPA && gpa + len <= S3_GPA + SMALL_SLOT)
		return 1;
	if (!write && have_ro && gpa >= RO_GPA && gpa + len <= RO_GPA + SMALL_SLOT)
		return 1;
	return 0;
}

static int byte_is_ram(uint64_t gpa, int write)
{
	return guest_ram_ok(gpa, 1, write);
}

static void *gpa_ptr(uint64_t gpa, uint64_t len)
{
	if (gpa + len <= SLOT0_SIZE)
		return vm->mem + gpa;
	if (gpa >= S2_GPA && gpa + len <= S2_GPA + SMALL_SLOT)
		return slot_mem[2] + (gpa - S2_GPA);
	if (gpa >= S3_GPA && gpa + len <= S3_GPA + SMALL_SLOT)
		return slot_mem[3] + (gpa - S3_GPA);
	return NULL;
}

static const char *reason_name(uint32_t r)
{
	static char buf[32];
	const char *s = exit_reason_str(r);

	if (strcmp(s, "unknown"))
		return s + 9;	/* without "KVM_EXIT_" */
	snprintf(buf, sizeof(buf), "reason%u", r);
	return buf;
}

struct run_state {
	int exits, exc, done, nev, pending_vec, max_idx, prologue_seen;
	uint64_t exit_no;
};

/* Index of the instruction holding code offset off, or -1. */
static int insn_at(const struct prog *p, uint32_t off, int *exact)
{
	int lo = 0, hi = p->nins;	/* bound[nins] = end */

	if (off < p->bound[0] || off > p->end_off)
		return -1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;

		if (p->bound[mid] <= off)
			lo = mid;
		else
			hi = mid - 1;
	}
	*exact = p->bound[lo] == off;
	return lo;
}

static uint64_t cs_base_for(int fmt, uint64_t cs)
{
	if (fmt == EXC_PORT_REAL)
		return (cs & 0xffff) << 4;
	return (cs & 0xfff8) == SEL_CODE16 ? CODE_GPA : 0;
}

/*
 * The guest's stub reported vector vec (format fmt) with an OUT: rewrite the return address
 * of its frame. Returns 0 to stop the program here.
 */
static int handle_exception(struct run_state *st, int fmt, int vec)
{
	struct prog *p = &P;
	struct kvm_regs regs;
	struct kvm_sregs s;
	int w = fmt == EXC_PORT_REAL ? 2 : fmt == EXC_PORT_32 ? 4 : 8;
	int err = fmt != EXC_PORT_REAL && (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 ||
					   vec == 21 || vec == 29 || vec == 30);
	uint64_t sp, frame, ip = 0, cs = 0, base, lin, new_ip;
	uint8_t *f;
	int idx, exact, resume;

	n_exc++;
	st->exc++;
	vcpu_get_regs(vcpu, &regs);
	vcpu_get_sregs(vcpu, &s);
	sp = fmt == EXC_PORT_REAL ? (regs.rsp & 0xffff) : fmt == EXC_PORT_32 ?
		(regs.rsp & 0xffffffff) : regs.rsp;
	frame = s.ss.base + sp + w + (err ? w : 0);
	f = gpa_ptr(frame, 2 * w);
	if (!f || frame >= 0x100000000ULL) {
		tr("X vec=%d frame outside RAM", vec);
		return 0;
	}
	memcpy(&ip, f, w);
	memcpy(&cs, f + w, w);
	base = cs_base_for(fmt, cs);
	lin = base + ip;
	tr("X vec=%d fmt=%d cs=%#llx off=%#llx", vec, w * 8, (unsigned long long)(cs & 0xffff),
	   (unsigned long long)(lin - CODE_GPA));
	if (st->exc > MAX_EXC || lin < CODE_GPA)
		return 0;
	if (p->random) {
		if (lin - CODE_GPA > p->end_off)
			return 0;
		resume = p->nins;	/* END */
		goto write;
	}
	idx = insn_at(p, lin - CODE_GPA, &exact);
	if (idx < 0)
		return 0;
	if (exact && ((idx > 0 && p->softvec[idx - 1] == vec) || vec == st->pending_vec)) {
		resume = idx;		/* a trap: the frame already points past it */
		if (vec == st->pending_vec)
			st->pending_vec = -1;
	} else if (exact && vec == 1) {
		struct kvm_debugregs dr;
		int b, fault = 0;

		vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &dr);
		for (b = 0; b < 4; b++)
			if ((dr.dr6 & (1u << b)) && !((dr.dr7 >> (16 + 4 * b)) & 3))
				fault = 1;	/* instruction breakpoint: a fault */
		resume = fault ? idx + 1 : idx;
	} else {
		resume = idx + 1;	/* skip the faulting instruction */
	}
	if (resume > st->max_idx)
		st->max_idx = resume;
write:
	if (resume > p->nins)
		resume = p->nins;
	new_ip = CODE_GPA + p->bound[resume] - base;
	if (w == 2 && new_ip > 0xffff)
		return 0;
	memcpy(f, &new_ip, w);
	return 1;
}

/*
 * --trace: make the guest ready for an external interrupt before one is injected: RFLAGS.IF
 * set, no STI/MOV SS shadow. api.rst does not say what KVM_INTERRUPT (or an injected
 * interrupt in KVM_SET_VCPU_EVENTS) does to a guest that is not ready (a VMM waits for
 * kvm_run.ready_for_interrupt_injection and if_flag), and there the modules differ: stock
 * kvm_amd delivers it at the next entry through EVENTINJ whatever RFLAGS.IF, ours waits for
 * the guest to set IF (a virtual interrupt: arch/x86/kvm/svm/events.c says why). Without
 * --trace the fuzzer keeps injecting into guests that are not ready.
 */
static void ready_for_interrupt(void)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;

	vcpu_ioctl(vcpu, KVM_GET_REGS, &regs);
	regs.rflags |= 0x200;
	vcpu_ioctl(vcpu, KVM_SET_REGS, &regs);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = 0;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
}

static void do_event(struct run_state *st)
{
	struct event *e;
	struct kvm_vcpu_events ev;
	int r = 0;

	if (st->nev >= P.nev)
		return;
	e = &P.ev[st->nev++];
	n_events++;
	if (opt_trace && (e->type == EV_IRQ || e->type == EV_IRQ_EV))
		ready_for_interrupt();
	switch (e->type) {
	case EV_NMI:
		r = ioctl(vcpu->fd, KVM_NMI);
		break;
	case EV_IRQ: {
		struct kvm_interrupt irq = { .irq = e->vector };

		/*
		 * Without an in-kernel irqchip the queued vector is not part of
		 * KVM_GET/SET_VCPU_EVENTS until injected, so no reset clears it: the VM is
		 * made anew after this program (main()).
		 */
		used_kvm_interrupt = 1;
		r = ioctl(vcpu->fd, KVM_INTERRUPT, &irq);
		if (r && errno != EEXIST)
			fail("KVM_INTERRUPT(%d): %s", e->vector, strerror(errno));
		break;
	}
	default:
		vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
		ev.flags = 0;
		switch (e->type) {
		case EV_EXC:
			ev.exception.injected = 1;
			ev.exception.nr = e->vector;
			ev.exception.has_error_code = e->vector == 8 || e->vector == 13 ||
						     e->vector == 14 || e->vector == 17;
			ev.exception.error_code = 0;
			break;
		case EV_NMI_EV:
			ev.nmi.pending = 1;
			ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
			break;
		case EV_IRQ_EV:
			ev.interrupt.injected = 1;
			ev.interrupt.nr = e->vector;
			ev.interrupt.soft = 0;
			break;
		case EV_SHADOW:
			ev.interrupt.shadow = 1;
			ev.flags |= KVM_VCPUEVENT_VALID_SHADOW;
			break;
		}
		r = ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev);
		if (r && errno != EINVAL)	/* e.g. an NMI vector as an exception */
			fail("KVM_SET_VCPU_EVENTS (%s %d): %s", ev_names[e->type], e->vector,
			     strerror(errno));
		break;
	}
	st->pending_vec = e->type == EV_SHADOW ? -1 : e->vector;
	tr("I %s vec=%d r=%d", ev_names[e->type], e->vector, r ? -errno : 0);
}

static uint64_t host_data(uint64_t n)
{
	return mix64(P.seed ^ (n * 0x9e3779b97f4a7c15ULL));
}

/* Handle one exit; returns 0 when the program is over. */
static int handle_exit(struct run_state *st)
{
	struct kvm_run *run = vcpu->run;
	uint32_t r = run->exit_reason;
	uint64_t d;

	if (r < 64)
		n_by_reason[r]++;
	st->exit_no++;
	switch (r) {
	case KVM_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;
		uint32_t bytes = run->io.size * run->io.count;
		uint32_t val = 0;

		if ((run->io.size != 1 && run->io.size != 2 && run->io.size != 4) ||
		    run->io.direction > 1 || !run->io.count ||
		    run->io.data_offset < sizeof(*run) ||
		    run->io.data_offset + (uint64_t)bytes > vcpu->run_size)
			fail("KVM_EXIT_IO payload: dir %u size %u port %#x count %u offset %llu",
			     run->io.direction, run->io.size, run->io.port, run->io.count,
			     (unsigned long long)run->io.data_offset);
		if (!st->prologue_seen) {
			if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != PROLOGUE_PORT ||
			    run->io.size != 1 || data[0] != PROLOGUE_VAL)
				fail("the reset vCPU did not run the prologue: IO %s port %#x",
				     run->io.direction ? "out" : "in", run->io.port);
			st->prologue_seen = 1;
			return 1;
		}
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&val, data, run->io.size < 4 ? run->io.size : 4);
			if (run->io.count == 1 && run->io.size == 1) {
				switch (run->io.port) {
				case END_PORT:
					tr("E END");
					if (!P.random)
						st->max_idx = P.nins;
					return 0;
				case EVENT_PORT:
					tr("E IO out port=%#x (event)", run->io.port);
					do_event(st);
					return 1;
				case EXC_PORT_REAL:
				case EXC_PORT_32:
				case EXC_PORT_64:
					return handle_exception(st, run->io.port, data[0]);
				}
			}
			if (opt_trace) {
				char hex[2 * 64 + 1];
				uint32_t i, n = bytes < 64 ? bytes : 64;

				for (i = 0; i < n; i++)
					sprintf(hex + 2 * i, "%02x", data[i]);
				tr("E IO out port=%#x size=%u count=%u data=%s", run->io.port,
				   run->io.size, run->io.count, hex);
			}
		} else {
			uint32_t i;

			for (i = 0; i < bytes; i++)
				data[i] = host_data(st->exit_no + i) & 0xff;
			tr("E IO in port=%#x size=%u count=%u", run->io.port, run->io.size,
			   run->io.count);
		}
		return 1;
	}
	case KVM_EXIT_MMIO: {
		uint64_t a = run->mmio.phys_addr;
		uint32_t i, len = run->mmio.len;

		/* split accesses at a slot edge exit with the part outside: any 1..8 */
		if (len < 1 || len > 8)
			fail("KVM_EXIT_MMIO len %u at %#llx", len, (unsigned long long)a);
		for (i = 0; i < len; i++)
			if (byte_is_ram(a + i, run->mmio.is_write))
				fail("KVM_EXIT_MMIO %s of %u bytes at %#llx: in a RAM slot",
				     run->mmio.is_write ? "write" : "read", len,
				     (unsigned long long)a);
		if (run->mmio.is_write) {
			memcpy(&d, run->mmio.data, 8);
			if (len < 8)
				d &= (1ULL << (8 * len)) - 1;
			tr("E MMIO write addr=%#llx len=%u data=%#llx", (unsigned long long)a, len,
			   (unsigned long long)d);
		} else {
			d = host_data(st->exit_no);
			memcpy(run->mmio.data, &d, 8);
			tr("E MMIO read addr=%#llx len=%u", (unsigned long long)a, len);
		}
		return 1;
	}
	case KVM_EXIT_HLT:
		tr("E HLT");
		return 1;
	case KVM_EXIT_SHUTDOWN:
		tr("E SHUTDOWN");
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		tr("E FAIL_ENTRY hw=%#llx",
		   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return 0;
	case KVM_EXIT_UNKNOWN:
		tr("E UNKNOWN hw=%#llx", (unsigned long long)run->hw.hardware_exit_reason);
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror < KVM_INTERNAL_ERROR_EMULATION ||
		    run->internal.suberror > KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON ||
		    run->internal.ndata > 16)
			fail("KVM_EXIT_INTERNAL_ERROR suberror %u ndata %u",
			     run->internal.suberror, run->internal.ndata);
		tr("E INTERNAL_ERROR sub=%u", run->internal.suberror);
		if (opt_verbose) {
			fprintf(stderr, "internal error %u:", run->internal.suberror);
			for (uint32_t i = 0; i < run->internal.ndata; i++)
				fprintf(stderr, " %#llx",
					(unsigned long long)run->internal.data[i]);
			fprintf(stderr, "\n");
		}
		return 0;
	case KVM_EXIT_INTR:
		if (!timed_out)
			fail("KVM_EXIT_INTR without a signal of ours");
		return 0;
	default:
		fail("exit reason %u (%s): not one api.rst documents for this VM", r,
		     reason_name(r));
	}
}

static void print_seg(const char *n, const struct kvm_segment *s)
{
	tr("S %s sel=%#x base=%#llx limit=%#x type=%u p=%u dpl=%u db=%u s=%u l=%u g=%u", n,
	   s->selector, (unsigned long long)s->base, s->limit, s->type, s->present, s->dpl,
	   s->db, s->s, s->l, s->g);
}

static void finish_program(struct run_state *st)
{
	struct kvm_regs regs;
	struct kvm_sregs s;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs dr;
	uint64_t lin;
	int idx, exact;

	complete_pending();
	vcpu_get_regs(vcpu, &regs);
	vcpu_get_sregs(vcpu, &s);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &dr);
	lin = s.cs.base + regs.rip;
	if (lin >= CODE_GPA) {
		idx = insn_at(&P, lin - CODE_GPA, &exact);
		if (P.random) {
			if (lin - CODE_GPA <= P.end_off)
				n_rbytes += lin - CODE_GPA > 4 ? lin - CODE_GPA - 4 : 0;
		} else if (idx > st->max_idx) {
			st->max_idx = idx;
		}
	}
	if (!P.random)
		n_insns += st->max_idx;
	if (timed_out) {
		tr("F TIMEOUT");
		return;
	}
	tr("R rax=%llx rbx=%llx rcx=%llx rdx=%llx rsi=%llx rdi=%llx rsp=%llx rbp=%llx",
	   regs.rax, regs.rbx, regs.rcx, regs.rdx, regs.rsi, regs.rdi, regs.rsp, regs.rbp);
	tr("R r8=%llx r9=%llx r10=%llx r11=%llx r12=%llx r13=%llx r14=%llx r15=%llx",
	   regs.r8, regs.r9, regs.r10, regs.r11, regs.r12, regs.r13, regs.r14, regs.r15);
	/* RF on a line of its own: the emulated host's CPU leaves it where hardware does not */
	tr("R rip=%llx rflags=%llx", regs.rip, regs.rflags & ~0x10000ULL);
	tr("R rf=%llu", (regs.rflags >> 16) & 1);
	tr("C cr0=%llx cr2=%llx cr3=%llx cr4=%llx cr8=%llx efer=%llx apic_base=%llx",
	   s.cr0, s.cr2, s.cr3, s.cr4, s.cr8, s.efer, s.apic_base);
	print_seg("cs", &s.cs);
	print_seg("ss", &s.ss);
	print_seg("ds", &s.ds);
	print_seg("es", &s.es);
	tr("S gdt=%#llx/%#x idt=%#llx/%#x", s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
	/*
	 * An exception or interrupt neither injected nor pending: its vector, error code and
	 * kind are what the last one left, which api.rst does not define (stock 6.1 keeps the
	 * vector and not always the error-code flag): not compared.
	 */
	if (!ev.exception.injected && !ev.exception.pending) {
		ev.exception.nr = 0;
		ev.exception.has_error_code = 0;
		ev.exception.error_code = 0;
	}
	if (!ev.interrupt.injected) {
		ev.interrupt.nr = 0;
		ev.interrupt.soft = 0;
	}
	tr("V exc=%u/%u/%u/%#x irq=%u/%u/%u shadow=%u nmi=%u/%u/%u dr6=%llx dr7=%llx",
	   ev.exception.injected, ev.exception.nr, ev.exception.has_error_code,
	   ev.exception.error_code, ev.interrupt.injected, ev.interrupt.nr,
	   ev.interrupt.soft, ev.interrupt.shadow, ev.nmi.injected, ev.nmi.pending,
	   ev.nmi.masked, dr.dr6, dr.dr7);
}

static void run_program(void)
{
	struct run_state st = { .pending_vec = -1 };
	struct itimerval it = { .it_value = { .tv_sec = opt_timeout_ms / 1000,
					      .tv_usec = (opt_timeout_ms % 1000) * 1000 } };
	struct itimerval off = { 0 };

	timed_out = 0;
	vcpu->run->immediate_exit = 0;
	cur_run = vcpu->run;
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		int r = ioctl(vcpu->fd, KVM_RUN, 0);

		n_exits++;
		st.exits++;
		if (r < 0) {
			if (errno != EINTR)
				fail("KVM_RUN: %s (errno %d): not an errno api.rst documents",
				     strerror(errno), errno);
			if (!timed_out)
				fail("KVM_RUN: EINTR without a signal of ours");
			n_timeouts++;
			break;
		}
		if (r)
			fail("KVM_RUN returned %d", r);
		if (timed_out) {
			/* the exit is real: handle it, then stop */
			handle_exit(&st);
			n_timeouts++;
			break;
		}
		if (!handle_exit(&st))
			break;
		if (st.exits >= MAX_EXITS) {
			tr("F MAX_EXITS");
			break;
		}
	}
	setitimer(ITIMER_REAL, &off, NULL);
	cur_run = NULL;
	vcpu->run->immediate_exit = 0;
	if (!st.prologue_seen && !timed_out)
		fail("no prologue exit before the end of the program");
	finish_program(&st);
}

static void usage(const char *argv0)
{
	printf("usage: %s [--seed N] [--programs N] [--time SECS] [--mode real|prot|pae|long|all]\n"
	       "          [--first K] [--trace] [--timeout-ms MS] [--verbose]\n"
	       "\n"
	       "Run random guest programs on /dev/kvm and check the exits (see the top of\n"
	       "kvm_guest_fuzz.c). Programs are random bytes or random valid instructions\n"
	       "(memory, MMIO, port I/O, CR/DR/MSR, system instructions, INT n, HLT, mode\n"
	       "switches, self-modifying code), with events injected from userspace at fixed\n"
	       "points.\n"
	       "  --seed N        seed (default: from the clock); printed\n"
	       "  --programs N    run N programs (default 1000 unless --time is given)\n"
	       "  --time SECS     stop after SECS seconds (both limits may be given)\n"
	       "  --mode M        guest mode of the programs (default all)\n"
	       "  --first K       start at program K of the seed's sequence (replay)\n"
	       "  --trace         print each program's exits and final state (difftest)\n"
	       "  --timeout-ms MS host-side limit per program (default 500; 3000 with --trace)\n"
	       "  --verbose       print internal-error data\n"
	       "  --progress      name each program on stderr before it runs\n"
	       "  --emu-unsafe    also what crashed the emulated host's QEMU: DR7 breakpoint\n"
	       "                  bits, MOV to DR from random bytes, ICEBP, EFLAGS.TF, .NT,\n"
	       "                  EFER.LME by WRMSR outside the long-mode switch, CR0.NW\n"
	       "  --dump DIR      write the programs' code and boundaries to DIR; no KVM\n"
	       "Summary: guest-fuzz: seed=S programs=N instructions=I exits=E, where I counts\n"
	       "the generated instructions of valid-instruction programs that the guest got to\n"
	       "(by the position of the last exception, END or final RIP), not their length.\n",
	       argv0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },	{ "seed", required_argument, 0, 's' },
		{ "programs", required_argument, 0, 'n' }, { "time", required_argument, 0, 't' },
		{ "mode", required_argument, 0, 'm' },	{ "trace", no_argument, 0, 'T' },
		{ "first", required_argument, 0, 'f' },	{ "timeout-ms", required_argument, 0, 'o' },
		{ "verbose", no_argument, 0, 'v' },	{ "dump", required_argument, 0, 'd' },
		{ "emu-unsafe", no_argument, 0, 'U' },	{ "progress", no_argument, 0, 'p' },
		{ 0 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t t0;
	int c, seed_set = 0;

	while ((c = getopt_long(argc, argv, "hs:n:t:m:Tf:o:vd:Up", opts, NULL)) != -1) {
		switch (c) {
		case 's': opt_seed = strtoull(optarg, NULL, 0); seed_set = 1; break;
		case 'n': opt_programs = strtol(optarg, NULL, 0); break;
		case 't': opt_time = atoi(optarg); break;
		case 'T': opt_trace = 1; break;
		case 'f': opt_first = strtol(optarg, NULL, 0); break;
		case 'o': opt_timeout_ms = atoi(optarg); break;
		case 'v': opt_verbose = 1; break;
		case 'd': opt_dump = optarg; break;
		case 'U': opt_emu_unsafe = 1; break;
		case 'p': opt_progress = 1; break;
		case 'm':
			if (!strcmp(optarg, "all"))
				opt_mode = -1;
			else {
				for (opt_mode = 0; opt_mode < NR_MODES; opt_mode++)
					if (!strcmp(optarg, mode_names[opt_mode]))
						break;
				if (opt_mode == NR_MODES) {
					fprintf(stderr, "unknown mode %s\n", optarg);
					return 2;
				}
			}
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
	}
	if (!seed_set)
		opt_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (opt_programs < 0 && opt_time < 0)
		opt_programs = 1000;
	if (!opt_timeout_ms)
		opt_timeout_ms = opt_trace ? 3000 : 500;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("guest-fuzz: seed=%llu mode=%s%s\n", (unsigned long long)opt_seed,
	       opt_mode < 0 ? "all" : mode_names[opt_mode], opt_trace ? " trace" : "");
	sigaction(SIGALRM, &sa, NULL);
	build_pristine();
	t0 = monotonic_ns();
	while (opt_programs < 0 || (long)n_programs < opt_programs) {
		uint64_t k = opt_first + n_programs;
		uint64_t ps = mix64(opt_seed * 0x100000001b3ULL + k);
		int mode = opt_mode >= 0 ? opt_mode : (int)(mix64(ps ^ 0x5eed) % NR_MODES);

		if (opt_time >= 0 && monotonic_ns() - t0 >= (uint64_t)opt_time * 1000000000ULL)
			break;
		if (opt_dump) {	/* generator check without KVM: code and boundaries */
			char fn[4096];
			FILE *fp;
			int i;

			gen_program(&P, mode, ps);
			snprintf(fn, sizeof(fn), "%s/%llu.%s.bin", opt_dump, (unsigned long long)k,
				 mode_names[mode]);
			fp = fopen(fn, "w");
			TEST_ASSERT(fp, "%s", fn);
			fwrite(P.code, 1, P.len, fp);
			fclose(fp);
			snprintf(fn, sizeof(fn), "%s/%llu.%s.%s", opt_dump, (unsigned long long)k,
				 mode_names[mode], P.random ? "rand" : "bounds");
			fp = fopen(fn, "w");
			TEST_ASSERT(fp, "%s", fn);
			for (i = 0; i <= P.nins; i++)
				fprintf(fp, "%x\n", P.bound[i]);
			fclose(fp);
			n_programs++;
			continue;
		}
		/* a fresh VM every 64 programs: the lifecycle is part of the test */
		if (!vm || k % 64 == 0 || k == (uint64_t)opt_first || used_kvm_interrupt) {
			used_kvm_interrupt = 0;
			if (vm)
				kvm_vm_free(vm);
			vm_setup();
			vcpu_get_sregs(vcpu, &sregs0);
		}
		gen_program(&P, mode, ps);
		tr("P mode=%s kind=%s len=%u insns=%d events=%d", mode_names[mode],
		   P.random ? "random" : "valid", P.len, P.nins, P.nev);
		if (opt_progress)
			fprintf(stderr, "program %llu %s %s\n", (unsigned long long)k,
				mode_names[mode], P.random ? "random" : "valid");
		if (P.random)
			n_rand_programs++;
		vcpu_reset(mode, &P);
		run_program();
		n_programs++;
	}
	/* the vCPU still runs known-good code after the last program */
	if (opt_dump)
		return 0;
	if (vm) {
		struct gen g = { .p = &P, .m = 64 };
		int tr_save = opt_trace;
		unsigned long long ins = n_insns;

		P.len = P.nins = P.nev = P.random = 0;
		P.mode = M_LONG;
		gen_prologue(&g);
		P.bound[0] = P.len;
		gen_end(&g);
		vcpu_reset(P.mode, &P);
		opt_trace = 0;
		run_program();
		opt_trace = tr_save;
		n_insns = ins;
	}
	if (vm)
		kvm_vm_free(vm);
	printf("guest-fuzz: seed=%llu programs=%llu instructions=%llu exits=%llu\n",
	       (unsigned long long)opt_seed, n_programs, n_insns, n_exits);
	if (!opt_trace) {
		printf("guest-fuzz: random-byte programs=%llu rbytes=%llu exceptions=%llu "
		       "events=%llu timeouts=%llu secs=%.1f\n",
		       n_rand_programs, n_rbytes, n_exc, n_events, n_timeouts,
		       (monotonic_ns() - t0) / 1e9);
		printf("guest-fuzz: exits by reason:");
		for (c = 0; c < 64; c++)
			if (n_by_reason[c])
				printf(" %s=%llu", reason_name(c), n_by_reason[c]);
		printf("\n");
	}
	return 0;
}
