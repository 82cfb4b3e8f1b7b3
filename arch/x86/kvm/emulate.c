// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 instruction emulator for the guest accesses that exit to the host (MMIO through nested
 * paging): the moves, ALU operations, bit tests, string moves and SSE/AVX moves a driver uses
 * on device memory, with their memory operand in any addressing form of any mode.
 *
 * Decoding follows Intel SDM vol. 2 chapter 2 (prefixes, REX, VEX, ModRM/SIB: tables 2-1 to
 * 2-3) and appendix A (opcode maps), and AMD APM vol. 3 chapter 1; what each instruction does
 * to its operands and to RFLAGS comes from its page in SDM vol. 2 chapters 3-5.
 *
 * One x86emul_run() decodes the instruction at rip, fetching its bytes as decoding reaches
 * them, and runs it on a copy of the registers that goes back to the caller only when the
 * instruction completed. An op that needs userspace (IO_NEEDED) or faults leaves the caller's
 * state as it was; after IO_NEEDED the caller runs the instruction again later with
 * x86emul_resume(), from the decode kept in the context (the execution starts over, the
 * decode does not); so all reads come first and the one write, if any, is the last op called
 * (a read-modify-write reads, computes, writes).
 *
 * Not modelled: segment limits and access rights, and alignment checking (#AC): the access
 * that exited had passed them on the CPU. CMPS/SCAS, x87/MMX and everything not listed in the
 * opcode tables below give X86EMUL_UNHANDLEABLE.
 *
 * tools/testing/emulator/emulate_test.c builds this file in userspace and checks it against
 * the CPU running the same instructions; keep it building there (no kernel headers beyond
 * the types and memcpy/memset, no global state).
 */
#include "emulate.h"

#define FL_CF		0x0001ULL
#define FL_PF		0x0004ULL
#define FL_AF		0x0010ULL
#define FL_ZF		0x0040ULL
#define FL_SF		0x0080ULL
#define FL_DF		0x0400ULL
#define FL_OF		0x0800ULL
#define FL_ARITH	(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#define CR0_EM		(1ULL << 2)
#define CR0_TS		(1ULL << 3)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_LA57	(1ULL << 12)
#define CR4_OSXSAVE	(1ULL << 18)
#define XCR0_SSE_YMM	0x6ULL

#define VEC_DE		0
#define VEC_UD		6
#define VEC_NM		7
#define VEC_SS		12
#define VEC_GP		13

#define MAX_INSN_LEN	15
#define EMU_PAGE_SIZE	4096

#define REX_B		0x01
#define REX_X		0x02
#define REX_R		0x04
#define REX_W		0x08

/* decode flags of an opcode table entry */
#define D_MODRM		0x01	/* has a ModRM byte */
#define D_BYTE		0x02	/* 8-bit operands */
#define D_IMM8		0x04	/* imm8, sign-extended */
#define D_IMMZ		0x08	/* imm16 or imm32 by operand size, sign-extended */
#define D_MOFFS		0x10	/* an offset of address size */
#define D_MODRM_REG	0x20	/* with D_MODRM: r/m is a register whatever mod says (MOV CRn) */

/* what runs an opcode; H_NONE: not emulated */
enum handler {
	H_NONE,
	H_ALU,		/* 00-3D: ADD OR ADC SBB AND SUB XOR CMP */
	H_GRP1,		/* 80-83: the same with an immediate */
	H_TEST,		/* 84, 85 */
	H_XCHG,		/* 86, 87 */
	H_MOV,		/* 88-8B */
	H_MOV_IMM,	/* C6, C7 */
	H_MOFFS,	/* A0-A3 */
	H_MOVS,		/* A4, A5 */
	H_CMPS,		/* A6, A7 */
	H_SCAS,		/* AE, AF */
	H_CMPXCHG8B,	/* 0F C7 /1: CMPXCHG8B, CMPXCHG16B */
	H_STOS,		/* AA, AB */
	H_LODS,		/* AC, AD */
	H_GRP3,		/* F6, F7: TEST NOT NEG */
	H_GRP4,		/* FE: INC DEC */
	H_GRP5,		/* FF: INC DEC */
	H_MOVSXD,	/* 63 in 64-bit mode */
	H_MOVX,		/* 0F B6 B7 BE BF: MOVZX, MOVSX */
	H_SETCC,	/* 0F 90-9F */
	H_CMOV,		/* 0F 40-4F */
	H_BT,		/* 0F A3 AB B3 BB */
	H_GRP8,		/* 0F BA */
	H_CMPXCHG,	/* 0F B0, B1 */
	H_XADD,		/* 0F C0, C1 */
	H_MOVNTI,	/* 0F C3 */
	H_MOVBE,	/* 0F 38 F0, F1 */
	H_SSE,		/* the SSE/AVX moves */
	H_GRP2,		/* C0 C1 D0-D3: ROL ROR RCL RCR SHL SHR SAL SAR */
	H_IMUL,		/* 0F AF, 69, 6B: IMUL reg, r/m (, imm) */
	H_POP_RM,	/* 8F /0 */
	H_MOV_SREG,	/* 8C: MOV r/m, Sreg */
	H_GRP7,		/* 0F 01: only /6, LMSW */
	H_CLTS,		/* 0F 06 */
	H_MOV_TO_CR,	/* 0F 22: only CR0 */
	H_OUTS,		/* 6E, 6F */
	H_PUSH_REG,	/* 50-57 */
	H_POP_REG,	/* 58-5F */
};

struct opcode {
	u8 flags;
	u8 handler;
};

/* ALU operations in encoding order (opcode bits 5:3, group 1's ModRM.reg) */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

#define ALU_ROW(op)						\
	[(op) + 0] = { D_MODRM | D_BYTE, H_ALU },		\
	[(op) + 1] = { D_MODRM, H_ALU },			\
	[(op) + 2] = { D_MODRM | D_BYTE, H_ALU },		\
	[(op) + 3] = { D_MODRM, H_ALU },			\
	[(op) + 4] = { D_BYTE | D_IMM8, H_ALU },		\
	[(op) + 5] = { D_IMMZ, H_ALU }

/* one-byte opcode map (SDM vol. 2 table A-2) */
static const struct opcode map_1byte[256] = {
	ALU_ROW(0x00), ALU_ROW(0x08), ALU_ROW(0x10), ALU_ROW(0x18),
	ALU_ROW(0x20), ALU_ROW(0x28), ALU_ROW(0x30), ALU_ROW(0x38),
	[0x50 ... 0x57] = { 0, H_PUSH_REG },
	[0x58 ... 0x5f] = { 0, H_POP_REG },
	[0x63] = { D_MODRM, H_MOVSXD },
	[0x69] = { D_MODRM | D_IMMZ, H_IMUL },
	[0x6e] = { D_BYTE, H_OUTS },
	[0x6f] = { 0, H_OUTS },
	[0x6b] = { D_MODRM | D_IMM8, H_IMUL },
	[0x80] = { D_MODRM | D_BYTE | D_IMM8, H_GRP1 },
	[0x81] = { D_MODRM | D_IMMZ, H_GRP1 },
	[0x82] = { D_MODRM | D_BYTE | D_IMM8, H_GRP1 },
	[0x83] = { D_MODRM | D_IMM8, H_GRP1 },
	[0x84] = { D_MODRM | D_BYTE, H_TEST },
	[0x85] = { D_MODRM, H_TEST },
	[0x86] = { D_MODRM | D_BYTE, H_XCHG },
	[0x87] = { D_MODRM, H_XCHG },
	[0x88] = { D_MODRM | D_BYTE, H_MOV },
	[0x89] = { D_MODRM, H_MOV },
	[0x8a] = { D_MODRM | D_BYTE, H_MOV },
	[0x8b] = { D_MODRM, H_MOV },
	[0x8c] = { D_MODRM, H_MOV_SREG },
	[0x8f] = { D_MODRM, H_POP_RM },
	[0xa0] = { D_MOFFS | D_BYTE, H_MOFFS },
	[0xa1] = { D_MOFFS, H_MOFFS },
	[0xa2] = { D_MOFFS | D_BYTE, H_MOFFS },
	[0xa3] = { D_MOFFS, H_MOFFS },
	[0xa4] = { D_BYTE, H_MOVS },
	[0xa5] = { 0, H_MOVS },
	[0xa6] = { D_BYTE, H_CMPS },
	[0xa7] = { 0, H_CMPS },
	[0xaa] = { D_BYTE, H_STOS },
	[0xab] = { 0, H_STOS },
	[0xac] = { D_BYTE, H_LODS },
	[0xad] = { 0, H_LODS },
	[0xae] = { D_BYTE, H_SCAS },
	[0xaf] = { 0, H_SCAS },
	[0xc0] = { D_MODRM | D_BYTE | D_IMM8, H_GRP2 },
	[0xc1] = { D_MODRM | D_IMM8, H_GRP2 },
	[0xc6] = { D_MODRM | D_BYTE | D_IMM8, H_MOV_IMM },
	[0xc7] = { D_MODRM | D_IMMZ, H_MOV_IMM },
	[0xd0] = { D_MODRM | D_BYTE, H_GRP2 },
	[0xd1] = { D_MODRM, H_GRP2 },
	[0xd2] = { D_MODRM | D_BYTE, H_GRP2 },
	[0xd3] = { D_MODRM, H_GRP2 },
	[0xf6] = { D_MODRM | D_BYTE, H_GRP3 },	/* the immediate only with /0 */
	[0xf7] = { D_MODRM, H_GRP3 },
	[0xfe] = { D_MODRM | D_BYTE, H_GRP4 },
	[0xff] = { D_MODRM, H_GRP5 },
};

/* two-byte opcode map, 0F xx (SDM vol. 2 table A-3) */
static const struct opcode map_0f[256] = {
	[0x01] = { D_MODRM, H_GRP7 },
	[0x06] = { 0, H_CLTS },
	[0x10] = { D_MODRM, H_SSE },
	[0x11] = { D_MODRM, H_SSE },
	[0x22] = { D_MODRM | D_MODRM_REG, H_MOV_TO_CR },
	[0x28] = { D_MODRM, H_SSE },
	[0x29] = { D_MODRM, H_SSE },
	[0x2b] = { D_MODRM, H_SSE },
	[0x6e] = { D_MODRM, H_SSE },
	[0x6f] = { D_MODRM, H_SSE },
	[0x7e] = { D_MODRM, H_SSE },
	[0x7f] = { D_MODRM, H_SSE },
	[0xd6] = { D_MODRM, H_SSE },
	[0xe7] = { D_MODRM, H_SSE },
	[0x40 ... 0x4f] = { D_MODRM, H_CMOV },
	[0x90 ... 0x9f] = { D_MODRM | D_BYTE, H_SETCC },
	[0xa3] = { D_MODRM, H_BT },
	[0xab] = { D_MODRM, H_BT },
	[0xaf] = { D_MODRM, H_IMUL },
	[0xb3] = { D_MODRM, H_BT },
	[0xbb] = { D_MODRM, H_BT },
	[0xb0] = { D_MODRM | D_BYTE, H_CMPXCHG },
	[0xb1] = { D_MODRM, H_CMPXCHG },
	[0xb6] = { D_MODRM, H_MOVX },
	[0xb7] = { D_MODRM, H_MOVX },
	[0xbe] = { D_MODRM, H_MOVX },
	[0xbf] = { D_MODRM, H_MOVX },
	[0xba] = { D_MODRM | D_IMM8, H_GRP8 },
	[0xc0] = { D_MODRM | D_BYTE, H_XADD },
	[0xc1] = { D_MODRM, H_XADD },
	[0xc3] = { D_MODRM, H_MOVNTI },
	[0xc7] = { D_MODRM, H_CMPXCHG8B },
};

/* an operand of the instruction: a general-purpose register or memory */
struct operand {
	bool mem;
	u8 bytes;
	u8 reg;		/* !mem */
	u8 seg;		/* mem */
	u64 ea;		/* mem: effective address */
};

/*
 * The instruction being decoded and run; it lives in ctxt->decoded, so that x86emul_resume()
 * can run it again. Execution changes only regs, rip and rflags here (the working copy):
 * the decoded fields must stay as decode() left them.
 */
struct decoded {
	struct x86emul_ctxt *c;
	/* working copy of the caller's state, copied back when the instruction completed */
	u64 regs[X86EMUL_NR_REGS];
	u64 rip, rflags;

	u8 len;			/* bytes decoded so far */
	u8 op_bytes, ad_bytes;
	u8 rex;			/* REX prefix (or VEX's R X B W in 64-bit mode); 0: none */
	u8 rep;			/* 0xf2 or 0xf3, the last of them; 0: none */
	bool opsize, adsize, lock;
	bool vex;
	u8 vex_l;
	u8 vex_v;		/* register named by VEX.vvvv (0: none, as the moves require) */
	int seg_override;	/* -1: none */
	u8 map;			/* 0: one-byte, 1: 0F, 2: 0F 38 */
	u8 opcode;
	struct opcode op;
	u8 modrm, mod, reg, rm;	/* reg and rm (mod == 3) extended by REX.R/REX.B */
	bool rip_rel;
	bool base_rsp;		/* the memory operand's base register is rSP */
	u8 ea_seg;
	u64 ea;
	u64 imm;
};

static bool mode64(const struct decoded *d)
{
	return d->c->mode == X86EMUL_MODE_PROT64;
}

static u64 mask_of(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

static u64 sign_of(unsigned int bytes)
{
	return 1ULL << (8 * bytes - 1);
}

static u64 sext(u64 val, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;

	return (u64)((s64)(val << shift) >> shift);
}

static int fault(struct decoded *d, u8 vector, bool has_error, u32 error)
{
	struct x86emul_exception *e = &d->c->exception;

	e->vector = vector;
	e->error_code_valid = has_error;
	e->error_code = error;
	e->address = 0;
	return X86EMUL_EXCEPTION;
}

static int raise_ud(struct decoded *d)
{
	return fault(d, VEC_UD, false, 0);
}

static int raise_gp0(struct decoded *d)
{
	return fault(d, VEC_GP, true, 0);
}

/* ---- instruction fetch ---- */

/* how the instruction pointer wraps: by the code segment's size */
static u64 ip_mask(const struct x86emul_ctxt *c)
{
	switch (c->mode) {
	case X86EMUL_MODE_PROT64:
		return ~0ULL;
	case X86EMUL_MODE_PROT32:
		return 0xffffffffULL;
	default:
		return 0xffff;
	}
}

/*
 * Make the first @want bytes of the instruction available in c->insn. Each fetch reaches to
 * the end of its page (or of the 15 bytes) at most, so that an instruction which ends before a
 * page boundary never touches the next page, even if that one is not mapped.
 */
static int fetch_upto(struct decoded *d, unsigned int want)
{
	struct x86emul_ctxt *c = d->c;
	u64 mask = ip_mask(c);

	/* SDM vol. 2 2.3.11: more than 15 bytes is #GP(0) */
	if (want > MAX_INSN_LEN)
		return raise_gp0(d);
	while (c->insn_len < want) {
		u64 ip = (c->rip + c->insn_len) & mask, lin;
		unsigned int n = MAX_INSN_LEN - c->insn_len;
		int rc;

		if (c->mode == X86EMUL_MODE_PROT64)
			lin = ip;
		else
			lin = (u32)(c->seg_base[X86EMUL_SEG_CS] + ip);
		if (n > EMU_PAGE_SIZE - (lin & (EMU_PAGE_SIZE - 1)))
			n = EMU_PAGE_SIZE - (lin & (EMU_PAGE_SIZE - 1));
		/* 16-bit IP wraps within the code segment */
		if (mask != ~0ULL && n > mask - ip + 1)
			n = mask - ip + 1;
		rc = c->ops->fetch(c, lin, c->insn + c->insn_len, n);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		c->insn_len += n;
	}
	return X86EMUL_CONTINUE;
}

static int next_u8(struct decoded *d, u8 *byte)
{
	int rc = fetch_upto(d, d->len + 1);

	if (rc != X86EMUL_CONTINUE)
		return rc;
	*byte = d->c->insn[d->len++];
	return X86EMUL_CONTINUE;
}

/* a little-endian immediate or displacement of @bytes, sign- or zero-extended */
static int next_imm(struct decoded *d, unsigned int bytes, bool sign, u64 *val)
{
	int rc = fetch_upto(d, d->len + bytes);
	unsigned int i;
	u64 v = 0;

	if (rc != X86EMUL_CONTINUE)
		return rc;
	for (i = 0; i < bytes; i++)
		v |= (u64)d->c->insn[d->len + i] << (8 * i);
	d->len += bytes;
	*val = sign ? sext(v, bytes) : v;
	return X86EMUL_CONTINUE;
}

/* ---- decoding ---- */

/*
 * Legacy prefixes in any order, then REX (64-bit mode) right before the opcode: a REX followed
 * by another prefix is ignored (SDM vol. 2 2.2.1). Returns the first byte after the prefixes.
 */
static int decode_prefixes(struct decoded *d, u8 *byte)
{
	int rc;

	for (;;) {
		rc = next_u8(d, byte);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		switch (*byte) {
		case 0x66:
			d->opsize = true;
			break;
		case 0x67:
			d->adsize = true;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			/* ES CS SS DS: bits 4:3 are the segment; null prefixes in 64-bit mode */
			if (!mode64(d))
				d->seg_override = (*byte >> 3) & 3;
			break;
		case 0x64:
			d->seg_override = X86EMUL_SEG_FS;
			break;
		case 0x65:
			d->seg_override = X86EMUL_SEG_GS;
			break;
		case 0xf0:
			d->lock = true;
			break;
		case 0xf2:
		case 0xf3:
			d->rep = *byte;
			break;
		default:
			if (mode64(d) && (*byte & 0xf0) == 0x40) {
				d->rex = *byte;
				continue;
			}
			return X86EMUL_CONTINUE;
		}
		d->rex = 0;
	}
}

static void set_sizes(struct decoded *d)
{
	switch (d->c->mode) {
	case X86EMUL_MODE_PROT64:
		d->op_bytes = (d->rex & REX_W) ? 8 : d->opsize ? 2 : 4;
		d->ad_bytes = d->adsize ? 4 : 8;
		break;
	case X86EMUL_MODE_PROT32:
		d->op_bytes = d->opsize ? 2 : 4;
		d->ad_bytes = d->adsize ? 2 : 4;
		break;
	default:
		d->op_bytes = d->opsize ? 4 : 2;
		d->ad_bytes = d->adsize ? 4 : 2;
		break;
	}
}

/*
 * VEX (SDM vol. 2 2.3.5): C5 = 2-byte form (map 0F), C4 = 3-byte form. Outside 64-bit mode the
 * same bytes are LES/LDS unless the next byte has ModRM.mod == 3, which LES/LDS cannot use.
 */
static int decode_vex(struct decoded *d, u8 first)
{
	struct x86emul_ctxt *c = d->c;
	u8 b1, b2, map = 1;
	u8 rex = 0;
	int rc;

	rc = fetch_upto(d, d->len + 1);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	b1 = c->insn[d->len];
	if (!mode64(d) && (b1 & 0xc0) != 0xc0)
		return X86EMUL_UNHANDLEABLE;		/* LES, LDS */
	if (c->mode == X86EMUL_MODE_REAL || c->mode == X86EMUL_MODE_VM86)
		return raise_ud(d);
	/* a VEX instruction must not have 66, F2, F3, LOCK or REX before VEX */
	if (d->opsize || d->rep || d->lock || d->rex)
		return raise_ud(d);
	d->len++;
	if (first == 0xc4) {
		/* R X B inverted, then the map; W vvvv L pp in the next byte */
		rex = ((~b1 >> 5) & 7) | 0x40;
		map = b1 & 0x1f;
		rc = next_u8(d, &b2);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		if (b2 & 0x80)
			rex |= REX_W;
	} else {
		rex = 0x40 | ((~b1 >> 5) & 4);
		b2 = b1;
	}
	/* outside 64-bit mode R and X are 1 (checked above), B and W are ignored */
	d->rex = mode64(d) ? rex : 0;
	d->vex_v = (~b2 >> 3) & (mode64(d) ? 0xf : 0x7);
	d->vex_l = (b2 >> 2) & 1;
	switch (b2 & 3) {
	case 1:
		d->opsize = true;
		break;
	case 2:
		d->rep = 0xf3;
		break;
	case 3:
		d->rep = 0xf2;
		break;
	}
	d->vex = true;
	if (map != 1)
		return X86EMUL_UNHANDLEABLE;	/* 0F 38 / 0F 3A: nothing emulated */
	d->map = 1;
	return next_u8(d, &d->opcode);
}

/* 16-bit addressing, SDM vol. 2 table 2-1: BP-based forms default to SS */
static int decode_ea16(struct decoded *d)
{
	const u64 *r = d->regs;
	u64 ea = 0, disp = 0;
	bool ss = false;
	int rc = X86EMUL_CONTINUE;

	switch (d->rm) {
	case 0:
		ea = r[X86EMUL_REG_RBX] + r[X86EMUL_REG_RSI];
		break;
	case 1:
		ea = r[X86EMUL_REG_RBX] + r[X86EMUL_REG_RDI];
		break;
	case 2:
		ea = r[X86EMUL_REG_RBP] + r[X86EMUL_REG_RSI];
		ss = true;
		break;
	case 3:
		ea = r[X86EMUL_REG_RBP] + r[X86EMUL_REG_RDI];
		ss = true;
		break;
	case 4:
		ea = r[X86EMUL_REG_RSI];
		break;
	case 5:
		ea = r[X86EMUL_REG_RDI];
		break;
	case 6:
		/* mod == 0: a bare disp16 instead of [BP] */
		if (d->mod == 0) {
			rc = next_imm(d, 2, false, &disp);
		} else {
			ea = r[X86EMUL_REG_RBP];
			ss = true;
		}
		break;
	case 7:
		ea = r[X86EMUL_REG_RBX];
		break;
	}
	if (rc == X86EMUL_CONTINUE && d->mod == 1)
		rc = next_imm(d, 1, true, &disp);
	else if (rc == X86EMUL_CONTINUE && d->mod == 2)
		rc = next_imm(d, 2, true, &disp);
	d->ea = ea + disp;
	d->ea_seg = ss ? X86EMUL_SEG_SS : X86EMUL_SEG_DS;
	return rc;
}

/* 32/64-bit addressing, SDM vol. 2 tables 2-2 and 2-3, 2.2.1.6 (RIP-relative) */
static int decode_ea32(struct decoded *d)
{
	u64 ea = 0, disp = 0;
	int base = d->rm | ((d->rex & REX_B) ? 8 : 0);
	int rc;

	if (d->rm == 4) {
		u8 sib;
		unsigned int index;

		rc = next_u8(d, &sib);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		index = ((sib >> 3) & 7) | ((d->rex & REX_X) ? 8 : 0);
		base = (sib & 7) | ((d->rex & REX_B) ? 8 : 0);
		/* index 100b means none; with REX.X it is R12 */
		if (index != 4)
			ea = d->regs[index] << (sib >> 6);
		/* base 101b with mod 0 (also with REX.B): disp32, no base */
		if ((sib & 7) == 5 && d->mod == 0) {
			rc = next_imm(d, 4, true, &disp);
			if (rc != X86EMUL_CONTINUE)
				return rc;
			base = -1;
		}
	} else if (d->rm == 5 && d->mod == 0) {
		/* disp32: absolute outside 64-bit mode, RIP-relative in it */
		rc = next_imm(d, 4, true, &disp);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		base = -1;
		d->rip_rel = mode64(d);
	}
	d->ea_seg = X86EMUL_SEG_DS;
	d->base_rsp = base == X86EMUL_REG_RSP;
	if (base >= 0) {
		ea += d->regs[base];
		if (base == X86EMUL_REG_RSP || base == X86EMUL_REG_RBP)
			d->ea_seg = X86EMUL_SEG_SS;
	}
	if (d->mod == 1 || d->mod == 2) {
		rc = next_imm(d, d->mod == 1 ? 1 : 4, true, &disp);
		if (rc != X86EMUL_CONTINUE)
			return rc;
	}
	d->ea = ea + disp;
	return X86EMUL_CONTINUE;
}

static int decode_modrm(struct decoded *d)
{
	int rc = next_u8(d, &d->modrm);

	if (rc != X86EMUL_CONTINUE)
		return rc;
	d->mod = d->modrm >> 6;
	d->reg = ((d->modrm >> 3) & 7) | ((d->rex & REX_R) ? 8 : 0);
	d->rm = d->modrm & 7;
	/* MOV to/from CRn: "the mod field is ignored" (SDM vol. 2, MOV--Move to/from CRs) */
	if (d->op.flags & D_MODRM_REG)
		d->mod = 3;
	if (d->mod == 3) {
		d->rm |= (d->rex & REX_B) ? 8 : 0;
		return X86EMUL_CONTINUE;
	}
	return d->ad_bytes == 2 ? decode_ea16(d) : decode_ea32(d);
}

static unsigned int modrm_ext(const struct decoded *d)
{
	return (d->modrm >> 3) & 7;
}

/* the operand size of the instruction's main operands */
static unsigned int opsz(const struct decoded *d)
{
	return (d->op.flags & D_BYTE) ? 1 : d->op_bytes;
}

static int decode_immediates(struct decoded *d)
{
	u8 flags = d->op.flags;

	/* group 3: only TEST (/0, and its alias /1) has an immediate */
	if (d->op.handler == H_GRP3 && modrm_ext(d) < 2)
		flags |= (flags & D_BYTE) ? D_IMM8 : D_IMMZ;
	if (flags & D_IMM8)
		return next_imm(d, 1, true, &d->imm);
	if (flags & D_IMMZ)
		return next_imm(d, d->op_bytes == 2 ? 2 : 4, true, &d->imm);
	if (flags & D_MOFFS)
		return next_imm(d, d->ad_bytes, false, &d->imm);
	return X86EMUL_CONTINUE;
}

static int decode(struct decoded *d)
{
	u8 byte;
	int rc;

	rc = decode_prefixes(d, &byte);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	if (byte == 0xc4 || byte == 0xc5) {
		rc = decode_vex(d, byte);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		d->op = map_0f[d->opcode];
		/* of the 0F map, VEX has only the SSE moves */
		if (d->op.handler != H_SSE)
			return X86EMUL_UNHANDLEABLE;
	} else if (byte == 0x0f) {
		rc = next_u8(d, &d->opcode);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		d->map = 1;
		if (d->opcode == 0x38) {
			rc = next_u8(d, &d->opcode);
			if (rc != X86EMUL_CONTINUE)
				return rc;
			d->map = 2;
			if (d->opcode != 0xf0 && d->opcode != 0xf1)
				return X86EMUL_UNHANDLEABLE;
			d->op.flags = D_MODRM;
			d->op.handler = H_MOVBE;
		} else {
			d->op = map_0f[d->opcode];
		}
	} else {
		d->opcode = byte;
		d->op = map_1byte[byte];
	}
	if (d->op.handler == H_NONE)
		return X86EMUL_UNHANDLEABLE;
	set_sizes(d);
	if (d->op.flags & D_MODRM) {
		rc = decode_modrm(d);
		if (rc != X86EMUL_CONTINUE)
			return rc;
	}
	rc = decode_immediates(d);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	/* now that the length is known: RIP-relative is from the next instruction */
	d->rip = (d->c->rip + d->len) & ip_mask(d->c);
	if (d->rip_rel)
		d->ea += d->rip;
	d->ea &= mask_of(d->ad_bytes);
	if (d->seg_override >= 0)
		d->ea_seg = d->seg_override;
	return X86EMUL_CONTINUE;
}

/*
 * LOCK is allowed only on the read-modify-write instructions the SDM lists under LOCK, and
 * only with a memory destination; elsewhere it is #UD.
 */
static bool lock_allowed(const struct decoded *d)
{
	unsigned int ext = modrm_ext(d);

	if (!(d->op.flags & D_MODRM) || d->mod == 3 || d->vex)
		return false;
	if (d->map == 0) {
		if (d->opcode < 0x40)
			return (d->opcode & 7) < 2 && (d->opcode >> 3) != ALU_CMP;
		switch (d->opcode) {
		case 0x80 ... 0x83:
			return ext != ALU_CMP;
		case 0x86:
		case 0x87:
			return true;
		case 0xf6:
		case 0xf7:
			return ext == 2 || ext == 3;
		case 0xfe:
		case 0xff:
			return ext < 2;
		}
		return false;
	}
	if (d->map == 1) {
		switch (d->opcode) {
		case 0xab:
		case 0xb3:
		case 0xbb:
		case 0xb0:
		case 0xb1:
		case 0xc0:
		case 0xc1:
			return true;
		case 0xba:
			return ext >= 5;
		case 0xc7:
			return ext == 1;
		}
	}
	return false;
}

/* ---- registers and memory ---- */

/* without any REX prefix, byte registers 4-7 are AH CH DH BH */
static bool is_high8(const struct decoded *d, unsigned int reg, unsigned int bytes)
{
	return bytes == 1 && !d->rex && reg >= 4 && reg < 8;
}

static u64 reg_get(const struct decoded *d, unsigned int reg, unsigned int bytes)
{
	if (is_high8(d, reg, bytes))
		return (d->regs[reg - 4] >> 8) & 0xff;
	return d->regs[reg] & mask_of(bytes);
}

/*
 * 8- and 16-bit writes keep the rest of the register, 32-bit writes zero-extend it (SDM vol. 1
 * 3.4.1.1). Outside 64-bit mode the SDM leaves the upper half undefined; CPUs zero it as well.
 */
static void reg_set(struct decoded *d, unsigned int reg, unsigned int bytes, u64 val)
{
	u64 *r = &d->regs[reg];

	if (is_high8(d, reg, bytes)) {
		r = &d->regs[reg - 4];
		*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
	} else if (bytes == 4) {
		*r = (u32)val;
	} else {
		*r = (*r & ~mask_of(bytes)) | (val & mask_of(bytes));
	}
}

static bool canonical(const struct x86emul_ctxt *c, u64 la)
{
	unsigned int shift = (c->cr4 & CR4_LA57) ? 64 - 57 : 64 - 48;

	return (u64)((s64)(la << shift) >> shift) == la;
}

/* bytes at seg:ea not all within the segment's limit (SDM vol. 3A 5.3, expand-down too) */
static bool beyond_limit(const struct x86emul_ctxt *c, u8 seg, u64 ea, unsigned int bytes)
{
	u64 last = ea + bytes - 1, lim = c->seg_limit[seg];

	switch (c->seg_down[seg]) {
	case 1:
		return ea <= lim || last > 0xffff;
	case 2:
		return ea <= lim || last > 0xffffffffULL;
	default:
		return last > lim;
	}
}

/*
 * seg:ea -> linear. In 64-bit mode only FS and GS have a base, and an address that is not
 * canonical is #GP(0), #SS(0) for a stack reference (SDM vol. 3A 3.3.7.1, 6.15).
 */
static int linearize(struct decoded *d, u8 seg, u64 ea, unsigned int bytes, unsigned int align,
		     u64 *la)
{
	const struct x86emul_ctxt *c = d->c;

	if (c->mode == X86EMUL_MODE_PROT64) {
		if (seg == X86EMUL_SEG_FS || seg == X86EMUL_SEG_GS)
			ea += c->seg_base[seg];
		if (!canonical(c, ea) || !canonical(c, ea + bytes - 1))
			return fault(d, seg == X86EMUL_SEG_SS ? VEC_SS : VEC_GP, true, 0);
		*la = ea;
	} else {
		if (c->seg_checks && beyond_limit(c, seg, ea, bytes))
			return fault(d, seg == X86EMUL_SEG_SS ? VEC_SS : VEC_GP, true, 0);
		*la = (u32)(c->seg_base[seg] + ea);
	}
	/* the aligned SSE/AVX moves: #GP(0) on a misaligned linear address */
	if (align && (*la & (align - 1)))
		return raise_gp0(d);
	return X86EMUL_CONTINUE;
}

static int mem_read(struct decoded *d, u8 seg, u64 ea, void *buf, unsigned int bytes,
		    unsigned int align)
{
	u64 la;
	int rc = linearize(d, seg, ea, bytes, align, &la);

	if (rc != X86EMUL_CONTINUE)
		return rc;
	return d->c->ops->read(d->c, la, buf, bytes);
}

static int mem_write(struct decoded *d, u8 seg, u64 ea, const void *buf, unsigned int bytes,
		     unsigned int align)
{
	u64 la;
	int rc = linearize(d, seg, ea, bytes, align, &la);

	if (rc != X86EMUL_CONTINUE)
		return rc;
	return d->c->ops->write(d->c, la, buf, bytes);
}

/* x86 hosts only: a u64 holds its value's bytes little-endian */
static int mem_read_val(struct decoded *d, u8 seg, u64 ea, unsigned int bytes, u64 *val)
{
	u64 v = 0;
	int rc = mem_read(d, seg, ea, &v, bytes, 0);

	*val = v;
	return rc;
}

static int mem_write_val(struct decoded *d, u8 seg, u64 ea, unsigned int bytes, u64 val)
{
	return mem_write(d, seg, ea, &val, bytes, 0);
}

/* the ModRM r/m operand, and the ModRM reg operand */
static void rm_operand(const struct decoded *d, struct operand *o, unsigned int bytes)
{
	o->bytes = bytes;
	o->mem = d->mod != 3;
	o->reg = d->rm;
	o->seg = d->ea_seg;
	o->ea = d->ea;
}

static void reg_operand(const struct decoded *d, struct operand *o, unsigned int bytes)
{
	o->bytes = bytes;
	o->mem = false;
	o->reg = d->reg;
}

static int opnd_read(struct decoded *d, const struct operand *o, u64 *val)
{
	if (!o->mem) {
		*val = reg_get(d, o->reg, o->bytes);
		return X86EMUL_CONTINUE;
	}
	return mem_read_val(d, o->seg, o->ea, o->bytes, val);
}

/* a memory destination is the instruction's one write: call it last */
static int opnd_write(struct decoded *d, const struct operand *o, u64 val)
{
	if (!o->mem) {
		reg_set(d, o->reg, o->bytes, val);
		return X86EMUL_CONTINUE;
	}
	return mem_write_val(d, o->seg, o->ea, o->bytes, val);
}

/* ---- flags (SDM vol. 1 3.4.3.1 and appendix A) ---- */

static u64 flags_szp(u64 res, unsigned int bytes)
{
	u8 p = res;
	u64 fl = 0;

	res &= mask_of(bytes);
	if (!res)
		fl |= FL_ZF;
	if (res & sign_of(bytes))
		fl |= FL_SF;
	/* PF: even number of 1s in the low byte only */
	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	if (!(p & 1))
		fl |= FL_PF;
	return fl;
}

/* a + b + carry_in in @bytes: the result, and CF PF AF ZF SF OF in *fl */
static u64 do_add(u64 a, u64 b, bool cin, unsigned int bytes, u64 *fl)
{
	u64 m = mask_of(bytes), res;

	a &= m;
	b &= m;
	res = (a + b + cin) & m;
	*fl = flags_szp(res, bytes);
	/* carry out: the sum wrapped below a (or to a itself, when b + cin filled the width) */
	if (res < a || (cin && res == a))
		*fl |= FL_CF;
	if ((a ^ res) & (b ^ res) & sign_of(bytes))
		*fl |= FL_OF;
	if ((a ^ b ^ res) & 0x10)
		*fl |= FL_AF;
	return res;
}

/* a - b - borrow_in in @bytes, flags as do_add */
static u64 do_sub(u64 a, u64 b, bool bin, unsigned int bytes, u64 *fl)
{
	u64 m = mask_of(bytes), res;

	a &= m;
	b &= m;
	res = (a - b - bin) & m;
	*fl = flags_szp(res, bytes);
	if (a < b || (bin && a == b))
		*fl |= FL_CF;
	if ((a ^ b) & (a ^ res) & sign_of(bytes))
		*fl |= FL_OF;
	if ((a ^ b ^ res) & 0x10)
		*fl |= FL_AF;
	return res;
}

static void set_flags(struct decoded *d, u64 which, u64 val)
{
	d->rflags = (d->rflags & ~which) | (val & which);
}

/*
 * ADD OR ADC SBB AND SUB XOR CMP. The logical ones clear CF and OF; their AF is undefined in
 * the SDM and the APM, and AMD Zen 4 clears it (tools/testing/emulator shows what the CPU it
 * runs on does): so do we.
 */
static u64 alu(struct decoded *d, unsigned int op, u64 a, u64 b, unsigned int bytes)
{
	bool cf = d->rflags & FL_CF;
	u64 res, fl;

	switch (op) {
	case ALU_ADD:
		res = do_add(a, b, false, bytes, &fl);
		break;
	case ALU_ADC:
		res = do_add(a, b, cf, bytes, &fl);
		break;
	case ALU_SBB:
		res = do_sub(a, b, cf, bytes, &fl);
		break;
	case ALU_SUB:
	case ALU_CMP:
		res = do_sub(a, b, false, bytes, &fl);
		break;
	case ALU_OR:
		res = a | b;
		fl = flags_szp(res, bytes);
		break;
	case ALU_AND:
		res = a & b;
		fl = flags_szp(res, bytes);
		break;
	default:
		res = a ^ b;
		fl = flags_szp(res, bytes);
		break;
	}
	set_flags(d, FL_ARITH, fl);
	return res & mask_of(bytes);
}

/* ---- execution ---- */

/* dst = dst op src; CMP and TEST (write == false) only set the flags */
static int alu_rmw(struct decoded *d, unsigned int op, const struct operand *dst, u64 src,
		   bool write)
{
	u64 a, res;
	int rc = opnd_read(d, dst, &a);

	if (rc != X86EMUL_CONTINUE)
		return rc;
	res = alu(d, op, a, src, dst->bytes);
	if (!write)
		return X86EMUL_CONTINUE;
	return opnd_write(d, dst, res);
}

/* 00-3D: r/m,reg  reg,r/m  acc,imm in byte and full size */
static int exec_alu(struct decoded *d)
{
	unsigned int op = d->opcode >> 3, bytes = opsz(d);
	struct operand dst, src;
	u64 val;
	int rc;

	switch (d->opcode & 7) {
	case 0:
	case 1:
		rm_operand(d, &dst, bytes);
		val = reg_get(d, d->reg, bytes);
		break;
	case 2:
	case 3:
		reg_operand(d, &dst, bytes);
		rm_operand(d, &src, bytes);
		rc = opnd_read(d, &src, &val);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		break;
	default:
		dst.mem = false;
		dst.reg = X86EMUL_REG_RAX;
		dst.bytes = bytes;
		val = d->imm;
		break;
	}
	return alu_rmw(d, op, &dst, val, op != ALU_CMP);
}

static int exec_grp1(struct decoded *d)
{
	struct operand dst;

	/* 82 is 80's alias, invalid in 64-bit mode */
	if (d->opcode == 0x82 && mode64(d))
		return raise_ud(d);
	rm_operand(d, &dst, opsz(d));
	return alu_rmw(d, modrm_ext(d), &dst, d->imm, modrm_ext(d) != ALU_CMP);
}

static int exec_test(struct decoded *d)
{
	struct operand dst;

	rm_operand(d, &dst, opsz(d));
	return alu_rmw(d, ALU_AND, &dst, reg_get(d, d->reg, opsz(d)), false);
}

/* XCHG r/m, reg: both are read, then the register is set and memory written */
static int exec_xchg(struct decoded *d)
{
	unsigned int bytes = opsz(d);
	struct operand dst;
	u64 old, val = reg_get(d, d->reg, bytes);
	int rc;

	rm_operand(d, &dst, bytes);
	rc = opnd_read(d, &dst, &old);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	reg_set(d, d->reg, bytes, old);
	return opnd_write(d, &dst, val);
}

static int exec_mov(struct decoded *d)
{
	unsigned int bytes = opsz(d);
	struct operand rm;
	u64 val;
	int rc;

	rm_operand(d, &rm, bytes);
	if (!(d->opcode & 2))
		return opnd_write(d, &rm, reg_get(d, d->reg, bytes));
	rc = opnd_read(d, &rm, &val);
	if (rc == X86EMUL_CONTINUE)
		reg_set(d, d->reg, bytes, val);
	return rc;
}

/* C6 /0, C7 /0; the rest of group 11 is XABORT/XBEGIN (/7 with mod 3) or #UD */
static int exec_mov_imm(struct decoded *d)
{
	struct operand dst;

	if (modrm_ext(d) == 7 && d->modrm == 0xf8)
		return X86EMUL_UNHANDLEABLE;
	if (modrm_ext(d) != 0)
		return raise_ud(d);
	rm_operand(d, &dst, opsz(d));
	return opnd_write(d, &dst, d->imm);
}

/* A0-A3: MOV between the accumulator and an address-sized offset in DS (or the override) */
static int exec_moffs(struct decoded *d)
{
	unsigned int bytes = opsz(d);
	u8 seg = d->seg_override >= 0 ? d->seg_override : X86EMUL_SEG_DS;
	u64 val;
	int rc;

	if (d->opcode & 2)
		return mem_write_val(d, seg, d->imm, bytes, reg_get(d, X86EMUL_REG_RAX, bytes));
	rc = mem_read_val(d, seg, d->imm, bytes, &val);
	if (rc == X86EMUL_CONTINUE)
		reg_set(d, X86EMUL_REG_RAX, bytes, val);
	return rc;
}

/* rSI/rDI += the element size, or -= with DF; only the address-size part of the register */
static void string_advance(struct decoded *d, unsigned int reg, unsigned int bytes)
{
	u64 val = d->regs[reg];

	val = (d->rflags & FL_DF) ? val - bytes : val + bytes;
	reg_set(d, reg, d->ad_bytes, val);
}

/*
 * MOVS, STOS, LODS, CMPS, SCAS (SDM vol. 2 "REP/REPE/REPZ/REPNE/REPNZ"): one element per call.
 * With a REP prefix (F3, or F2, which acts as F3 on MOVS/STOS/LODS), a count of 0 does nothing
 * but advance rip, otherwise rCX drops by one and rip stays on the instruction until rCX
 * reaches 0, or for CMPS/SCAS until ZF says the comparison ended the loop (REPE: ZF clear,
 * REPNE: ZF set), so the guest runs the remaining iterations (or exits again for them).
 * CMPS compares [rSI] - [ES:rDI], SCAS rAX - [ES:rDI], setting the flags as SUB.
 */
static int exec_string(struct decoded *d)
{
	unsigned int bytes = opsz(d);
	u64 am = mask_of(d->ad_bytes), val = 0, other = 0, count, fl;
	u8 src_seg = d->seg_override >= 0 ? d->seg_override : X86EMUL_SEG_DS;
	int rc = X86EMUL_CONTINUE;

	if (d->rep && !(d->regs[X86EMUL_REG_RCX] & am))
		return X86EMUL_CONTINUE;
	/* the destination is always ES:rDI, the source rSI in DS or the override */
	switch (d->op.handler) {
	case H_MOVS:
		rc = mem_read_val(d, src_seg, d->regs[X86EMUL_REG_RSI] & am, bytes, &val);
		if (rc == X86EMUL_CONTINUE)
			rc = mem_write_val(d, X86EMUL_SEG_ES, d->regs[X86EMUL_REG_RDI] & am,
					   bytes, val);
		string_advance(d, X86EMUL_REG_RSI, bytes);
		string_advance(d, X86EMUL_REG_RDI, bytes);
		break;
	case H_STOS:
		val = reg_get(d, X86EMUL_REG_RAX, bytes);
		rc = mem_write_val(d, X86EMUL_SEG_ES, d->regs[X86EMUL_REG_RDI] & am, bytes, val);
		string_advance(d, X86EMUL_REG_RDI, bytes);
		break;
	case H_CMPS:
		rc = mem_read_val(d, src_seg, d->regs[X86EMUL_REG_RSI] & am, bytes, &val);
		if (rc == X86EMUL_CONTINUE)
			rc = mem_read_val(d, X86EMUL_SEG_ES, d->regs[X86EMUL_REG_RDI] & am, bytes,
					  &other);
		do_sub(val, other, false, bytes, &fl);
		set_flags(d, FL_ARITH, fl);
		string_advance(d, X86EMUL_REG_RSI, bytes);
		string_advance(d, X86EMUL_REG_RDI, bytes);
		break;
	case H_SCAS:
		rc = mem_read_val(d, X86EMUL_SEG_ES, d->regs[X86EMUL_REG_RDI] & am, bytes, &other);
		do_sub(reg_get(d, X86EMUL_REG_RAX, bytes), other, false, bytes, &fl);
		set_flags(d, FL_ARITH, fl);
		string_advance(d, X86EMUL_REG_RDI, bytes);
		break;
	default:
		rc = mem_read_val(d, src_seg, d->regs[X86EMUL_REG_RSI] & am, bytes, &val);
		reg_set(d, X86EMUL_REG_RAX, bytes, val);
		string_advance(d, X86EMUL_REG_RSI, bytes);
		break;
	}
	if (d->rep) {
		bool cmp = d->op.handler == H_CMPS || d->op.handler == H_SCAS;
		bool zf = d->rflags & FL_ZF;

		count = (d->regs[X86EMUL_REG_RCX] - 1) & am;
		reg_set(d, X86EMUL_REG_RCX, d->ad_bytes, count);
		if (count && !(cmp && (d->rep == 0xf3 ? !zf : zf)))
			d->rip = d->c->rip;
	}
	return rc;
}

/*
 * OUTS (SDM vol. 2 "OUTS"): one element from rSI (DS or the override) to port DX, 16 or 32
 * bits even with REX.W; with REP as the string moves (exec_string), one element per call.
 * The port write is the last op (ops->pio_out): the caller makes it once the instruction
 * completed, its memory read done (from device memory: svm_exit_io sends such an OUTS here).
 */
static int exec_outs(struct decoded *d)
{
	unsigned int bytes = opsz(d) > 4 ? 4 : opsz(d);
	u64 am = mask_of(d->ad_bytes), val;
	u8 seg = d->seg_override >= 0 ? d->seg_override : X86EMUL_SEG_DS;
	int rc;

	if (!d->c->ops->pio_out)
		return X86EMUL_UNHANDLEABLE;
	if (d->rep && !(d->regs[X86EMUL_REG_RCX] & am))
		return X86EMUL_CONTINUE;
	rc = mem_read_val(d, seg, d->regs[X86EMUL_REG_RSI] & am, bytes, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	string_advance(d, X86EMUL_REG_RSI, bytes);
	if (d->rep) {
		u64 count = (d->regs[X86EMUL_REG_RCX] - 1) & am;

		reg_set(d, X86EMUL_REG_RCX, d->ad_bytes, count);
		if (count)
			d->rip = d->c->rip;
	}
	return d->c->ops->pio_out(d->c, (u16)d->regs[X86EMUL_REG_RDX], bytes, (u32)val);
}

/*
 * The writes of CR0 (the host intercepts them to check them, APM vol. 2 15.9): MOV to CR0
 * (a 64-bit register in 64-bit mode, else 32 bits), LMSW (SDM vol. 2 "LMSW": bits 3:0 of
 * its 16-bit operand, register or memory, replace PE MP EM TS, and PE cannot be cleared),
 * CLTS (TS cleared). ops->set_cr0 checks the value and the CPL and loads it.
 */
static int exec_cr0_write(struct decoded *d)
{
	u64 cr0 = d->c->cr0, val;
	struct operand o;
	int rc;

	if (!d->c->ops->set_cr0)
		return X86EMUL_UNHANDLEABLE;
	switch (d->op.handler) {
	case H_CLTS:
		val = cr0 & ~CR0_TS;
		break;
	case H_GRP7:
		if (modrm_ext(d) != 6)
			return X86EMUL_UNHANDLEABLE;
		rm_operand(d, &o, 2);
		rc = opnd_read(d, &o, &val);
		if (rc != X86EMUL_CONTINUE)
			return rc;
		val = (cr0 & ~0xeULL) | (val & 0xf);
		break;
	default:
		if (d->reg != 0)	/* CR0 only (CR8 through REX.R is another register) */
			return X86EMUL_UNHANDLEABLE;
		val = reg_get(d, d->rm, mode64(d) ? 8 : 4);
		break;
	}
	return d->c->ops->set_cr0(d->c, val);
}

/*
 * ---- what the CPU runs for us: shifts, rotates, MUL, IMUL, DIV, IDIV ----
 *
 * Their flags are partly undefined (OF of a multi-bit shift, AF, SF ZF PF after MUL/DIV,
 * everything after DIV), and what a processor leaves there is its own business: the guest
 * should see what it would have seen had the instruction not exited. So they run on the
 * host CPU, on the operand values, with the guest's arithmetic flags loaded first and read
 * back after. Only the arithmetic flags are replaced, the host's own IF, DF, AC and the rest
 * go back as they were. DIV and IDIV are checked for #DE before they run.
 * PUSHF/POPF in inline asm write below RSP: built without a red zone (the kernel is; the
 * userspace test, tools/testing/emulator, builds with -mno-red-zone).
 */
#define FL_LOAD	"pushf\n\tand %[keep], (%%rsp)\n\tor %[fl], (%%rsp)\n\tpopf\n\t"
#define FL_SAVE	"\n\tpushf\n\tpop %[fl]"

#define NATIVE_SHIFT(mn, val_, cnt_, fl_)					\
	asm(FL_LOAD mn " %%cl, %[v]" FL_SAVE					\
	    : [v] "+q"(val_), [fl] "+r"(fl_) : "c"(cnt_), [keep] "r"(~FL_ARITH) : "cc")

#define NATIVE_GRP2(op, v, cnt, fl)						\
	do {									\
		switch (op) {							\
		case 0: NATIVE_SHIFT("rol", v, cnt, fl); break;			\
		case 1: NATIVE_SHIFT("ror", v, cnt, fl); break;			\
		case 2: NATIVE_SHIFT("rcl", v, cnt, fl); break;			\
		case 3: NATIVE_SHIFT("rcr", v, cnt, fl); break;			\
		case 5: NATIVE_SHIFT("shr", v, cnt, fl); break;			\
		case 7: NATIVE_SHIFT("sar", v, cnt, fl); break;			\
		default: NATIVE_SHIFT("shl", v, cnt, fl); break;		\
		}								\
	} while (0)

/* group 2 /op on a @bytes value; /6 is SAL, the same as SHL /4 (APM vol. 3 table A-6) */
static u64 native_grp2(unsigned int op, unsigned int bytes, u64 val, u8 cnt, u64 *flags)
{
	u64 fl = *flags & FL_ARITH;

	switch (bytes) {
	case 1: {
		u8 v = val;

		NATIVE_GRP2(op, v, cnt, fl);
		val = v;
		break;
	}
	case 2: {
		u16 v = val;

		NATIVE_GRP2(op, v, cnt, fl);
		val = v;
		break;
	}
	case 4: {
		u32 v = val;

		NATIVE_GRP2(op, v, cnt, fl);
		val = v;
		break;
	}
	default:
		NATIVE_GRP2(op, val, cnt, fl);
		break;
	}
	*flags = fl & FL_ARITH;
	return val;
}

/* C0/C1 ib, D0/D1 (by 1), D2/D3 (by CL): the r/m operand is read, shifted, written back */
static int exec_grp2(struct decoded *d)
{
	struct operand dst;
	u64 val, fl = d->rflags;
	u8 cnt;
	int rc;

	if (d->opcode == 0xc0 || d->opcode == 0xc1)
		cnt = d->imm;
	else if (d->opcode == 0xd0 || d->opcode == 0xd1)
		cnt = 1;
	else
		cnt = d->regs[X86EMUL_REG_RCX];
	rm_operand(d, &dst, opsz(d));
	rc = opnd_read(d, &dst, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	val = native_grp2(modrm_ext(d), dst.bytes, val, cnt, &fl);
	set_flags(d, FL_ARITH, fl);
	return opnd_write(d, &dst, val);
}

/* one-operand MUL/IMUL/DIV/IDIV: rDX:rAX (AX for bytes) op src */
#define NATIVE_MULDIV(mn, a_, d_, src_, fl_)					\
	asm(FL_LOAD mn " %[s]" FL_SAVE						\
	    : "+a"(a_), "+d"(d_), [fl] "+r"(fl_) : [s] "r"(src_), [keep] "r"(~FL_ARITH) : "cc")

#define NATIVE_GRP3(op, a, dx, src, fl)						\
	do {									\
		switch (op) {							\
		case 4: NATIVE_MULDIV("mul", a, dx, src, fl); break;		\
		case 5: NATIVE_MULDIV("imul", a, dx, src, fl); break;		\
		case 6: NATIVE_MULDIV("div", a, dx, src, fl); break;		\
		default: NATIVE_MULDIV("idiv", a, dx, src, fl); break;		\
		}								\
	} while (0)

#define NATIVE_MULDIV8(mn, ax_, src_, fl_)					\
	asm(FL_LOAD mn " %[s]" FL_SAVE						\
	    : "+a"(ax_), [fl] "+r"(fl_) : [s] "q"(src_), [keep] "r"(~FL_ARITH) : "cc")

/* 128-by-64 unsigned division with hi < div (no #DE possible): the quotient */
static u64 div128(u64 hi, u64 lo, u64 div)
{
	u64 q, r;

	asm("div %[d]" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), [d] "r"(div) : "cc");
	return q;
}

/*
 * Would DIV (@sign false) or IDIV of hi:lo (each @bytes wide) by @div raise #DE (SDM vol. 2
 * "DIV", "IDIV"): a zero divisor, or a quotient that does not fit in @bytes.
 */
static bool divide_error(bool sign, unsigned int bytes, u64 hi, u64 lo, u64 div)
{
	u64 m = mask_of(bytes), top = sign_of(bytes), aq;
	bool neg_d, neg_s;

	div &= m;
	hi &= m;
	lo &= m;
	if (!div)
		return true;
	if (!sign)
		return hi >= div;
	if (bytes < 8) {
		s64 n = (s64)sext(hi << (8 * bytes) | lo, 2 * bytes), s = (s64)sext(div, bytes), q;

		if (s == -1 && n == (s64)(1ULL << 63))
			return true;
		q = n / s;
		return q < -(s64)top || q > (s64)(top - 1);
	}
	/* 64-bit: on the magnitudes, then the sign of the quotient */
	neg_d = hi & top;
	neg_s = div & top;
	if (neg_d) {
		hi = ~hi + !lo;
		lo = -lo;
	}
	if (neg_s)
		div = -div;
	if (hi >= div)
		return true;
	aq = div128(hi, lo, div);
	return neg_d != neg_s ? aq > top : aq >= top;
}

/* F6/F7 /4 MUL, /5 IMUL, /6 DIV, /7 IDIV with the r/m operand as multiplier or divisor */
static int exec_muldiv(struct decoded *d)
{
	unsigned int op = modrm_ext(d), bytes = opsz(d);
	u64 src, fl = d->rflags & FL_ARITH, a = d->regs[X86EMUL_REG_RAX];
	u64 dx = d->regs[X86EMUL_REG_RDX];
	struct operand s;
	int rc;

	rm_operand(d, &s, bytes);
	rc = opnd_read(d, &s, &src);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	if (op >= 6) {
		u64 hi = bytes == 1 ? (a >> 8) : dx, lo = a;

		if (divide_error(op == 7, bytes, hi, lo, src))
			return fault(d, VEC_DE, false, 0);
	}
	switch (bytes) {
	case 1: {
		u16 ax = a;
		u8 s8 = src;

		switch (op) {
		case 4: NATIVE_MULDIV8("mul", ax, s8, fl); break;
		case 5: NATIVE_MULDIV8("imul", ax, s8, fl); break;
		case 6: NATIVE_MULDIV8("div", ax, s8, fl); break;
		default: NATIVE_MULDIV8("idiv", ax, s8, fl); break;
		}
		reg_set(d, X86EMUL_REG_RAX, 2, ax);
		break;
	}
	case 2: {
		u16 ax = a, dx16 = dx, s16 = src;

		NATIVE_GRP3(op, ax, dx16, s16, fl);
		reg_set(d, X86EMUL_REG_RAX, 2, ax);
		reg_set(d, X86EMUL_REG_RDX, 2, dx16);
		break;
	}
	case 4: {
		u32 eax = a, edx = dx, s32 = src;

		NATIVE_GRP3(op, eax, edx, s32, fl);
		reg_set(d, X86EMUL_REG_RAX, 4, eax);
		reg_set(d, X86EMUL_REG_RDX, 4, edx);
		break;
	}
	default:
		NATIVE_GRP3(op, a, dx, src, fl);
		reg_set(d, X86EMUL_REG_RAX, 8, a);
		reg_set(d, X86EMUL_REG_RDX, 8, dx);
		break;
	}
	set_flags(d, FL_ARITH, fl);
	return X86EMUL_CONTINUE;
}

#define NATIVE_IMUL2(val_, src_, fl_)						\
	asm(FL_LOAD "imul %[s], %[v]" FL_SAVE					\
	    : [v] "+r"(val_), [fl] "+r"(fl_) : [s] "r"(src_), [keep] "r"(~FL_ARITH) : "cc")

/* 0F AF IMUL reg, r/m; 69/6B IMUL reg, r/m, imm: the truncated signed product */
static int exec_imul(struct decoded *d)
{
	unsigned int bytes = d->op_bytes;
	u64 a, b, fl = d->rflags & FL_ARITH;
	struct operand s;
	int rc;

	rm_operand(d, &s, bytes);
	rc = opnd_read(d, &s, &a);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	b = d->map ? reg_get(d, d->reg, bytes) : d->imm;
	switch (bytes) {
	case 2: {
		u16 v = a, s16 = b;

		NATIVE_IMUL2(v, s16, fl);
		a = v;
		break;
	}
	case 4: {
		u32 v = a, s32 = b;

		NATIVE_IMUL2(v, s32, fl);
		a = v;
		break;
	}
	default:
		NATIVE_IMUL2(a, b, fl);
		break;
	}
	reg_set(d, d->reg, bytes, a);
	set_flags(d, FL_ARITH, fl);
	return X86EMUL_CONTINUE;
}

/* ---- the stack: PUSH r/m, POP r/m ---- */

/* the size of a push or pop: 64-bit mode has 8 (or 2 with 66), never 4 */
static unsigned int stack_op_bytes(const struct decoded *d)
{
	if (mode64(d))
		return d->opsize ? 2 : 8;
	return d->op_bytes;
}

/* how much of rSP addresses the stack: SS.B outside 64-bit mode (SDM vol. 3A 3.4.5) */
static unsigned int stack_addr_bytes(const struct decoded *d)
{
	if (mode64(d))
		return 8;
	return d->c->ss_big ? 4 : 2;
}

/* FF /6 PUSH r/m: the operand is read, then written below rSP */
static int exec_push_rm(struct decoded *d)
{
	unsigned int bytes = stack_op_bytes(d), sab = stack_addr_bytes(d);
	struct operand src;
	u64 val, sp;
	int rc;

	rm_operand(d, &src, bytes);
	rc = opnd_read(d, &src, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	sp = (d->regs[X86EMUL_REG_RSP] - bytes) & mask_of(sab);
	reg_set(d, X86EMUL_REG_RSP, sab, sp);
	return mem_write_val(d, X86EMUL_SEG_SS, sp, bytes, val);
}

/*
 * 50+r PUSH r, 58+r POP r (SDM vol. 2 "PUSH", "POP"), the stack in device memory. PUSH rSP
 * pushes rSP as it was before; POP rSP leaves the value popped in rSP.
 */
static int exec_push_pop_reg(struct decoded *d)
{
	unsigned int bytes = stack_op_bytes(d), sab = stack_addr_bytes(d);
	unsigned int reg = (d->opcode & 7) | ((d->rex & REX_B) ? 8 : 0);
	u64 val, sp = d->regs[X86EMUL_REG_RSP] & mask_of(sab);
	int rc;

	if (d->op.handler == H_PUSH_REG) {
		val = reg_get(d, reg, bytes);
		sp = (sp - bytes) & mask_of(sab);
		reg_set(d, X86EMUL_REG_RSP, sab, sp);
		return mem_write_val(d, X86EMUL_SEG_SS, sp, bytes, val);
	}
	rc = mem_read_val(d, X86EMUL_SEG_SS, sp, bytes, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	reg_set(d, X86EMUL_REG_RSP, sab, sp + bytes);
	reg_set(d, reg, bytes, val);
	return X86EMUL_CONTINUE;
}

/*
 * 8F /0 POP r/m: read at rSP, rSP moves up, then the operand is written; an address based
 * on rSP is taken after the increment (SDM vol. 2 "POP"). /1-/7 are XOP outside 64-bit mode
 * with mod 3, #UD otherwise: not emulated.
 */
static int exec_pop_rm(struct decoded *d)
{
	unsigned int bytes = stack_op_bytes(d), sab = stack_addr_bytes(d);
	struct operand dst;
	u64 val, sp = d->regs[X86EMUL_REG_RSP] & mask_of(sab);
	int rc;

	if (modrm_ext(d) != 0)
		return X86EMUL_UNHANDLEABLE;
	rc = mem_read_val(d, X86EMUL_SEG_SS, sp, bytes, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	rm_operand(d, &dst, bytes);
	if (dst.mem && d->base_rsp)
		dst.ea = (dst.ea + bytes) & mask_of(d->ad_bytes);
	reg_set(d, X86EMUL_REG_RSP, sab, sp + bytes);
	return opnd_write(d, &dst, val);
}

/*
 * 8C MOV r/m, Sreg: a store writes the 16-bit selector whatever the operand size; a register
 * gets it zero-extended to the operand size (SDM vol. 2 "MOV"). Sreg 6 and 7 are #UD.
 */
static int exec_mov_sreg(struct decoded *d)
{
	unsigned int sreg = modrm_ext(d);
	struct operand dst;

	if (sreg >= X86EMUL_NR_SEGS)
		return raise_ud(d);
	rm_operand(d, &dst, d->mod == 3 ? d->op_bytes : 2);
	return opnd_write(d, &dst, d->c->ops->get_sel ? d->c->ops->get_sel(d->c, sreg) :
						       d->c->seg_sel[sreg]);
}


/*
 * F6/F7: /0 TEST imm, /2 NOT, /3 NEG, /4-/7 MUL IMUL DIV IDIV (exec_muldiv). /1 is TEST as well:
 * the APM's table A-6 says so, the SDM's leaves the cell blank, and Intel CPUs run it as TEST.
 */
static int exec_grp3(struct decoded *d)
{
	struct operand dst;
	u64 val, fl;
	int rc;

	rm_operand(d, &dst, opsz(d));
	switch (modrm_ext(d)) {
	case 0:
	case 1:
		return alu_rmw(d, ALU_AND, &dst, d->imm, false);
	case 2:
	case 3:
		break;
	default:
		return exec_muldiv(d);
	}
	rc = opnd_read(d, &dst, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	if (modrm_ext(d) == 2)
		return opnd_write(d, &dst, ~val);
	/* NEG: 0 - val; CF is set unless val is 0 */
	val = do_sub(0, val, false, dst.bytes, &fl);
	set_flags(d, FL_ARITH, fl);
	return opnd_write(d, &dst, val);
}

/* FE/FF /0 INC, /1 DEC: as ADD/SUB 1, but CF is kept; FF /6 PUSH */
static int exec_incdec(struct decoded *d)
{
	unsigned int ext = modrm_ext(d);
	struct operand dst;
	u64 val, fl;
	int rc;

	if (ext >= 2) {
		if (d->op.handler == H_GRP5 && ext == 6)
			return exec_push_rm(d);
		/* FF /2-/5: CALL, JMP; FE /2-/7 and FF /7 are #UD */
		if (d->op.handler == H_GRP5 && ext < 7)
			return X86EMUL_UNHANDLEABLE;
		return raise_ud(d);
	}
	rm_operand(d, &dst, opsz(d));
	rc = opnd_read(d, &dst, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	if (ext == 0)
		val = do_add(val, 1, false, dst.bytes, &fl);
	else
		val = do_sub(val, 1, false, dst.bytes, &fl);
	set_flags(d, FL_ARITH & ~FL_CF, fl);
	return opnd_write(d, &dst, val);
}

/* 63 in 64-bit mode (ARPL elsewhere): sign-extend a doubleword (REX.W) */
static int exec_movsxd(struct decoded *d)
{
	unsigned int src_bytes = d->op_bytes == 8 ? 4 : d->op_bytes;
	struct operand src;
	u64 val;
	int rc;

	if (!mode64(d))
		return X86EMUL_UNHANDLEABLE;
	rm_operand(d, &src, src_bytes);
	rc = opnd_read(d, &src, &val);
	if (rc == X86EMUL_CONTINUE)
		reg_set(d, d->reg, d->op_bytes, sext(val, src_bytes));
	return rc;
}

/* 0F B6/B7 MOVZX, 0F BE/BF MOVSX: a byte or word into a register of operand size */
static int exec_movx(struct decoded *d)
{
	unsigned int src_bytes = (d->opcode & 1) ? 2 : 1;
	struct operand src;
	u64 val;
	int rc;

	rm_operand(d, &src, src_bytes);
	rc = opnd_read(d, &src, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	if (d->opcode & 8)
		val = sext(val, src_bytes);
	reg_set(d, d->reg, d->op_bytes, val);
	return X86EMUL_CONTINUE;
}

/* the condition of Jcc/SETcc/CMOVcc number cc (SDM vol. 1 appendix B) */
static bool condition(u64 fl, unsigned int cc)
{
	bool sf_ne_of = !(fl & FL_SF) != !(fl & FL_OF), res;

	switch (cc >> 1) {
	case 0:
		res = fl & FL_OF;
		break;
	case 1:
		res = fl & FL_CF;
		break;
	case 2:
		res = fl & FL_ZF;
		break;
	case 3:
		res = fl & (FL_CF | FL_ZF);
		break;
	case 4:
		res = fl & FL_SF;
		break;
	case 5:
		res = fl & FL_PF;
		break;
	case 6:
		res = sf_ne_of;
		break;
	default:
		res = sf_ne_of || (fl & FL_ZF);
		break;
	}
	return res != (cc & 1);
}

static int exec_setcc(struct decoded *d)
{
	struct operand dst;

	rm_operand(d, &dst, 1);
	return opnd_write(d, &dst, condition(d->rflags, d->opcode & 0xf));
}

/*
 * 0F 40-4F CMOVcc: the source is read whatever the condition, and a 32-bit destination is
 * zero-extended in 64-bit mode even when the condition is false (SDM vol. 2 "CMOVcc").
 */
static int exec_cmov(struct decoded *d)
{
	struct operand src;
	u64 val;
	int rc;

	rm_operand(d, &src, d->op_bytes);
	rc = opnd_read(d, &src, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	if (!condition(d->rflags, d->opcode & 0xf))
		val = reg_get(d, d->reg, d->op_bytes);
	reg_set(d, d->reg, d->op_bytes, val);
	return X86EMUL_CONTINUE;
}

/*
 * BT BTS BTR BTC (@which 0-3). CF gets the bit; ZF is kept; OF SF AF PF are undefined and
 * AMD Zen 4 keeps them too (tools/testing/emulator), so do we. With a register offset and a memory operand
 * the offset is signed and may leave the operand: the bit is in the operand-sized word at
 * ea + size * floor(offset / bits) (SDM vol. 2 "BT", "Bit(BitBase, BitOffset)"). An
 * immediate offset, or a register operand, takes the offset modulo the operand size.
 */
static int exec_bt_common(struct decoded *d, unsigned int which, u64 offset, bool reg_offset)
{
	unsigned int bytes = d->op_bytes, shift = bytes == 2 ? 4 : bytes == 4 ? 5 : 6;
	struct operand dst;
	u64 val, bit = offset & (8 * bytes - 1);
	int rc;

	rm_operand(d, &dst, bytes);
	if (dst.mem && reg_offset) {
		s64 word = (s64)sext(offset, bytes) >> shift;

		dst.ea = (dst.ea + (u64)word * bytes) & mask_of(d->ad_bytes);
	}
	rc = opnd_read(d, &dst, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	set_flags(d, FL_CF, (val >> bit) & 1);
	switch (which) {
	case 0:
		return X86EMUL_CONTINUE;
	case 1:
		val |= 1ULL << bit;
		break;
	case 2:
		val &= ~(1ULL << bit);
		break;
	default:
		val ^= 1ULL << bit;
		break;
	}
	return opnd_write(d, &dst, val);
}

/* 0F A3 BT, AB BTS, B3 BTR, BB BTC: opcode bits 4:3 */
static int exec_bt(struct decoded *d)
{
	return exec_bt_common(d, (d->opcode >> 3) & 3, reg_get(d, d->reg, d->op_bytes), true);
}

/* 0F BA /4-/7 ib */
static int exec_grp8(struct decoded *d)
{
	if (modrm_ext(d) < 4)
		return raise_ud(d);
	return exec_bt_common(d, modrm_ext(d) - 4, d->imm, false);
}

/*
 * CMPXCHG r/m, reg: flags as CMP accumulator, r/m. Equal: r/m = reg. Not equal: accumulator =
 * r/m, and r/m is written back with its own value: the SDM says the destination "receives a
 * write cycle without regard to the result of the comparison", so a device sees the read and
 * the write it would see on bare metal. For a register destination that write zero-extends a
 * 32-bit one, as on Intel CPUs (AMD CPUs leave a register alone there).
 */
/*
 * CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W, 16-byte aligned or #GP(0)): rDX:rAX against the
 * memory; equal: ZF set and rCX:rBX stored; else ZF clear, the memory loaded into rDX:rAX and
 * written back unchanged (SDM vol. 2 "CMPXCHG8B/CMPXCHG16B"). Only ZF changes.
 */
static int exec_cmpxchg8b(struct decoded *d)
{
	unsigned int half = (d->rex & REX_W) ? 8 : 4;
	u64 lo, hi, mem[2] = { 0, 0 };
	bool equal;
	int rc;

	if (d->mod == 3 || modrm_ext(d) != 1 || d->rep)
		return d->mod == 3 && modrm_ext(d) == 1 ? raise_ud(d) : X86EMUL_UNHANDLEABLE;
	rc = mem_read(d, d->ea_seg, d->ea, mem, 2 * half, half == 8 ? 16 : 0);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	if (half == 4) {
		mem[1] = mem[0] >> 32;
		mem[0] &= 0xffffffffULL;
	}
	lo = reg_get(d, X86EMUL_REG_RAX, half);
	hi = reg_get(d, X86EMUL_REG_RDX, half);
	equal = lo == mem[0] && hi == mem[1];
	set_flags(d, FL_ZF, equal ? FL_ZF : 0);
	if (equal) {
		mem[0] = reg_get(d, X86EMUL_REG_RBX, half);
		mem[1] = reg_get(d, X86EMUL_REG_RCX, half);
	} else {
		reg_set(d, X86EMUL_REG_RAX, half, mem[0]);
		reg_set(d, X86EMUL_REG_RDX, half, mem[1]);
	}
	if (half == 4)
		mem[0] |= mem[1] << 32;
	return mem_write(d, d->ea_seg, d->ea, mem, 2 * half, half == 8 ? 16 : 0);
}

static int exec_cmpxchg(struct decoded *d)
{
	unsigned int bytes = opsz(d);
	struct operand dst;
	u64 val, acc = reg_get(d, X86EMUL_REG_RAX, bytes), fl;
	int rc;

	rm_operand(d, &dst, bytes);
	rc = opnd_read(d, &dst, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	do_sub(acc, val, false, bytes, &fl);
	set_flags(d, FL_ARITH, fl);
	if (acc == val)
		return opnd_write(d, &dst, reg_get(d, d->reg, bytes));
	reg_set(d, X86EMUL_REG_RAX, bytes, val);
	return opnd_write(d, &dst, val);
}

/* XADD r/m, reg: reg = old r/m, r/m = sum (written last, so it wins when both are one reg) */
static int exec_xadd(struct decoded *d)
{
	unsigned int bytes = opsz(d);
	struct operand dst;
	u64 val, src = reg_get(d, d->reg, bytes), fl, sum;
	int rc;

	rm_operand(d, &dst, bytes);
	rc = opnd_read(d, &dst, &val);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	sum = do_add(val, src, false, bytes, &fl);
	set_flags(d, FL_ARITH, fl);
	reg_set(d, d->reg, bytes, val);
	return opnd_write(d, &dst, sum);
}

/* 0F C3 MOVNTI m32/m64, reg: memory only */
static int exec_movnti(struct decoded *d)
{
	struct operand dst;

	if (d->mod == 3)
		return raise_ud(d);
	if (d->op_bytes == 2)
		return X86EMUL_UNHANDLEABLE;
	rm_operand(d, &dst, d->op_bytes);
	return opnd_write(d, &dst, reg_get(d, d->reg, d->op_bytes));
}

static u64 byte_swap(u64 val, unsigned int bytes)
{
	u64 res = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		res |= ((val >> (8 * i)) & 0xff) << (8 * (bytes - 1 - i));
	return res;
}

/* 0F 38 F0 MOVBE reg, m; F1 MOVBE m, reg. With F2 they are CRC32. */
static int exec_movbe(struct decoded *d)
{
	unsigned int bytes = d->op_bytes;
	struct operand mem;
	u64 val;
	int rc;

	if (d->rep)
		return X86EMUL_UNHANDLEABLE;
	if (d->mod == 3)
		return raise_ud(d);
	rm_operand(d, &mem, bytes);
	if (d->opcode & 1)
		return opnd_write(d, &mem, byte_swap(reg_get(d, d->reg, bytes), bytes));
	rc = opnd_read(d, &mem, &val);
	if (rc == X86EMUL_CONTINUE)
		reg_set(d, d->reg, bytes, byte_swap(val, bytes));
	return rc;
}

/* ---- SSE/AVX moves ---- */

/* size of a vector move's memory operand: a whole register, or a scalar */
enum { VM_FULL, VM_4, VM_8, VM_W };	/* VM_W: 4 bytes, 8 with (REX/VEX).W */

struct vec_move {
	bool store;
	bool aligned;
	u8 size;
	bool scalar;	/* VEX.L must be 0 (MOVD/MOVQ); other scalars ignore it */
};

/*
 * Which move 0F @opcode is with mandatory prefix @pfx (0 none, 1 66, 2 F3, 3 F2); false for
 * the forms not emulated (MMX and the rest). SDM vol. 2: MOVUPS MOVUPD MOVSS MOVSD MOVAPS
 * MOVAPD MOVNTPS MOVNTPD MOVD/MOVQ MOVDQA MOVDQU MOVQ MOVNTDQ and their VEX forms.
 */
static bool vec_move_of(u8 opcode, unsigned int pfx, struct vec_move *m)
{
	m->store = false;
	m->aligned = false;
	m->scalar = false;
	m->size = VM_FULL;
	switch (opcode) {
	case 0x10:
	case 0x11:
		m->store = opcode == 0x11;
		if (pfx == 2)
			m->size = VM_4;
		else if (pfx == 3)
			m->size = VM_8;
		return true;
	case 0x29:
	case 0x2b:
		m->store = true;
		m->aligned = true;
		return pfx < 2;
	case 0x28:
		m->aligned = true;
		return pfx < 2;
	case 0x6f:
	case 0x7f:
		m->store = opcode == 0x7f;
		m->aligned = pfx == 1;
		return pfx == 1 || pfx == 2;
	case 0x6e:
		m->size = VM_W;
		m->scalar = true;
		return pfx == 1;
	case 0x7e:
		m->scalar = true;
		m->store = pfx == 1;
		m->size = pfx == 1 ? VM_W : VM_8;
		return pfx == 1 || pfx == 2;
	case 0xd6:
		m->store = true;
		m->size = VM_8;
		m->scalar = true;
		return pfx == 1;
	case 0xe7:
		m->store = true;
		m->aligned = true;
		return pfx == 1;
	}
	return false;
}

/*
 * SDM vol. 2 2.4 and 2.8 (exception classes of SSE and AVX instructions): SSE is #UD with
 * CR0.EM or without CR4.OSFXSR; AVX is #UD without CR4.OSXSAVE, with XCR0 lacking SSE or YMM
 * state, with VEX.vvvv naming a register or with VEX.L = 1 on MOVD/MOVQ; then both are #NM
 * with CR0.TS.
 */
static int vec_check(struct decoded *d, const struct vec_move *m)
{
	const struct x86emul_ctxt *c = d->c;

	if (d->vex) {
		if (!(c->cr4 & CR4_OSXSAVE) || (c->xcr0 & XCR0_SSE_YMM) != XCR0_SSE_YMM)
			return raise_ud(d);
		if (d->vex_v || (m->scalar && d->vex_l))
			return raise_ud(d);
	} else if ((c->cr0 & CR0_EM) || !(c->cr4 & CR4_OSFXSR)) {
		return raise_ud(d);
	}
	if (c->cr0 & CR0_TS)
		return fault(d, VEC_NM, false, 0);
	return X86EMUL_CONTINUE;
}

static int exec_sse(struct decoded *d)
{
	struct x86emul_ctxt *c = d->c;
	unsigned int pfx = d->rep == 0xf3 ? 2 : d->rep == 0xf2 ? 3 : d->opsize ? 1 : 0;
	unsigned int full = d->vex && d->vex_l ? 32 : 16, bytes;
	struct vec_move m;
	u8 buf[32];
	int rc;

	if (!vec_move_of(d->opcode, pfx, &m))
		return X86EMUL_UNHANDLEABLE;
	/* register-to-register forms never touch memory: not emulated */
	if (d->mod == 3)
		return X86EMUL_UNHANDLEABLE;
	rc = vec_check(d, &m);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	switch (m.size) {
	case VM_4:
		bytes = 4;
		break;
	case VM_8:
		bytes = 8;
		break;
	case VM_W:
		bytes = (d->rex & REX_W) ? 8 : 4;
		break;
	default:
		bytes = full;
		break;
	}
	memset(buf, 0, sizeof(buf));
	if (m.store) {
		c->ops->get_vreg(c, d->reg, buf, full);
		return mem_write(d, d->ea_seg, d->ea, buf, bytes, m.aligned ? bytes : 0);
	}
	rc = mem_read(d, d->ea_seg, d->ea, buf, bytes, m.aligned ? bytes : 0);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	/*
	 * A load fills the register: a scalar one zeroes the rest of the XMM register; legacy SSE
	 * keeps bits 255:128, VEX zeroes them (SDM vol. 1 14.1.3).
	 */
	c->ops->set_vreg(c, d->reg, buf, d->vex ? 32 : 16);
	return X86EMUL_CONTINUE;
}

static int execute(struct decoded *d)
{
	switch (d->op.handler) {
	case H_ALU:
		return exec_alu(d);
	case H_GRP1:
		return exec_grp1(d);
	case H_TEST:
		return exec_test(d);
	case H_XCHG:
		return exec_xchg(d);
	case H_MOV:
		return exec_mov(d);
	case H_MOV_IMM:
		return exec_mov_imm(d);
	case H_MOFFS:
		return exec_moffs(d);
	case H_MOVS:
	case H_STOS:
	case H_LODS:
	case H_CMPS:
	case H_SCAS:
		return exec_string(d);
	case H_CMPXCHG8B:
		return exec_cmpxchg8b(d);
	case H_GRP3:
		return exec_grp3(d);
	case H_GRP4:
	case H_GRP5:
		return exec_incdec(d);
	case H_MOVSXD:
		return exec_movsxd(d);
	case H_MOVX:
		return exec_movx(d);
	case H_SETCC:
		return exec_setcc(d);
	case H_CMOV:
		return exec_cmov(d);
	case H_BT:
		return exec_bt(d);
	case H_GRP8:
		return exec_grp8(d);
	case H_CMPXCHG:
		return exec_cmpxchg(d);
	case H_XADD:
		return exec_xadd(d);
	case H_MOVNTI:
		return exec_movnti(d);
	case H_MOVBE:
		return exec_movbe(d);
	case H_SSE:
		return exec_sse(d);
	case H_GRP2:
		return exec_grp2(d);
	case H_IMUL:
		return exec_imul(d);
	case H_POP_RM:
		return exec_pop_rm(d);
	case H_MOV_SREG:
		return exec_mov_sreg(d);
	case H_GRP7:
	case H_CLTS:
	case H_MOV_TO_CR:
		return exec_cr0_write(d);
	case H_OUTS:
		return exec_outs(d);
	case H_PUSH_REG:
	case H_POP_REG:
		return exec_push_pop_reg(d);
	}
	return X86EMUL_UNHANDLEABLE;
}

_Static_assert(sizeof(struct decoded) <= sizeof(((struct x86emul_ctxt *)0)->decoded),
	       "struct decoded must fit in x86emul_ctxt.decoded: raise X86EMUL_DECODED_WORDS");

static struct decoded *ctxt_decoded(struct x86emul_ctxt *ctxt)
{
	return (struct decoded *)ctxt->decoded;
}

/* run the decoded instruction on the working copy; the caller's state changes on success */
static int execute_decoded(struct x86emul_ctxt *ctxt, struct decoded *d)
{
	int rc = execute(d);

	if (rc != X86EMUL_CONTINUE)
		return rc;
	memcpy(ctxt->regs, d->regs, sizeof(ctxt->regs));
	ctxt->rip = d->rip;
	ctxt->rflags = d->rflags;
	return X86EMUL_CONTINUE;
}

int x86emul_run(struct x86emul_ctxt *ctxt)
{
	struct decoded *d = ctxt_decoded(ctxt);
	int rc;

	memset(d, 0, sizeof(*d));
	d->c = ctxt;
	d->seg_override = -1;
	memcpy(d->regs, ctxt->regs, sizeof(d->regs));
	d->rflags = ctxt->rflags;
	ctxt->insn_len = 0;
	ctxt->two_mem_operands = false;

	rc = decode(d);
	if (rc != X86EMUL_CONTINUE)
		return rc;
	/* string moves and compares; PUSH and POP of memory: the stack is the other */
	ctxt->two_mem_operands = d->op.handler == H_MOVS || d->op.handler == H_CMPS ||
				 d->op.handler == H_POP_RM ||
				 (d->op.handler == H_GRP5 && modrm_ext(d) == 6);
	if (d->lock && !lock_allowed(d))
		return raise_ud(d);
	return execute_decoded(ctxt, d);
}

int x86emul_resume(struct x86emul_ctxt *ctxt)
{
	struct decoded *d = ctxt_decoded(ctxt);

	d->c = ctxt;
	memcpy(d->regs, ctxt->regs, sizeof(d->regs));
	d->rflags = ctxt->rflags;
	/* as decode() set it: a REP iteration that stopped on IO_NEEDED may have moved it */
	d->rip = (ctxt->rip + d->len) & ip_mask(ctxt);
	return execute_decoded(ctxt, d);
}
