/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x86 instruction emulator (emulate.c): decodes and runs one instruction of the guest for
 * an exit that needs it (MMIO through nested paging), with every memory access going through
 * the caller's ops so that userspace can complete an MMIO access (api.rst "KVM_EXIT_MMIO").
 * The same files build into kvm.ko and, unchanged, into the userspace test in
 * tools/testing/emulator/: they use only fixed-size types, bool and memcpy/memset, and keep no
 * state outside the caller's struct x86emul_ctxt.
 */
#ifndef ARCH_X86_KVM_EMULATE_H
#define ARCH_X86_KVM_EMULATE_H

#ifdef __KERNEL__
#include <linux/string.h>
#include <linux/types.h>
#endif

/* What x86emul_run() and each op return. */
enum {
	X86EMUL_CONTINUE,	/* done; x86emul_run: the registers, rip and rflags are updated */
	X86EMUL_IO_NEEDED,	/* an op waits for userspace: x86emul_resume() later */
	X86EMUL_EXCEPTION,	/* inject ctxt->exception */
	X86EMUL_UNHANDLEABLE,	/* not emulated: the bytes fetched are in ctxt->insn */
};

/* The mode of the code being run: its CS.L/CS.D, or real/VM86 mode. */
enum x86emul_mode {
	X86EMUL_MODE_REAL,
	X86EMUL_MODE_VM86,
	X86EMUL_MODE_PROT16,
	X86EMUL_MODE_PROT32,
	X86EMUL_MODE_PROT64,
};

/* segment registers in the SDM's encoding order (sreg field, prefix table) */
enum {
	X86EMUL_SEG_ES,
	X86EMUL_SEG_CS,
	X86EMUL_SEG_SS,
	X86EMUL_SEG_DS,
	X86EMUL_SEG_FS,
	X86EMUL_SEG_GS,
	X86EMUL_NR_SEGS,
};

/* general-purpose registers in encoding order; R8-R15 follow as 8-15 */
enum {
	X86EMUL_REG_RAX,
	X86EMUL_REG_RCX,
	X86EMUL_REG_RDX,
	X86EMUL_REG_RBX,
	X86EMUL_REG_RSP,
	X86EMUL_REG_RBP,
	X86EMUL_REG_RSI,
	X86EMUL_REG_RDI,
	X86EMUL_NR_REGS = 16,
};

struct x86emul_ctxt;

/* room for emulate.c's decoded instruction in struct x86emul_ctxt (a static_assert checks) */
#define X86EMUL_DECODED_WORDS	40

/*
 * The caller's side. fetch/read/write take a linear address (segment base already added,
 * canonical in 64-bit mode) and a length of 1 to 32 bytes, and return
 *   X86EMUL_CONTINUE   done (fetch/read: @buf filled; write: the data taken),
 *   X86EMUL_IO_NEEDED  the data must come from userspace first (an MMIO read),
 *   X86EMUL_EXCEPTION  with ctxt->exception filled (a #PF with its error code and address).
 * x86emul_run() returns what a failed op returned, at once, and then has changed nothing.
 *
 * fetch: the instruction bytes at rip. Asked for at most up to the end of the page, and for
 * a following page only when the instruction really continues there.
 * read: called before any write; a read that returned IO_NEEDED is asked again, with the
 * same address and length, when the caller resumes the instruction (x86emul_resume()) after
 * userspace answered; it must then return the data. Every read of the instruction is asked
 * again then, in the same order: the caller answers the earlier ones from what it logged.
 * write: at most one per x86emul_run(), the last op it calls, after every read (a
 * read-modify-write reads, computes, then writes). An MMIO write should be taken
 * (X86EMUL_CONTINUE) and passed to userspace after x86emul_run() returns; a write that
 * returns IO_NEEDED or faults leaves the registers unchanged, like any failed op.
 */
struct x86emul_ops {
	int (*fetch)(struct x86emul_ctxt *ctxt, u64 linear, void *buf, unsigned int len);
	int (*read)(struct x86emul_ctxt *ctxt, u64 linear, void *buf, unsigned int len);
	int (*write)(struct x86emul_ctxt *ctxt, u64 linear, const void *buf, unsigned int len);
	/*
	 * Vector registers idx 0-15 for the SSE/AVX moves. get_vreg: the low len bytes (16 or
	 * 32). set_vreg with len 16 (legacy SSE) writes XMM and keeps the bits above 127; with
	 * len 32 (VEX) it writes YMM and the bits above 255, if the CPU has any, become 0.
	 * set_vreg is called only when the instruction completes.
	 */
	void (*get_vreg)(struct x86emul_ctxt *ctxt, int idx, void *buf, unsigned int len);
	void (*set_vreg)(struct x86emul_ctxt *ctxt, int idx, const void *buf, unsigned int len);
	/*
	 * The selector of segment seg (MOV r/m, Sreg), for callers that do not fill seg_sel[]
	 * (KVM reads a segment only when an instruction needs it); NULL: seg_sel[] holds them.
	 */
	u16 (*get_sel)(struct x86emul_ctxt *ctxt, int seg);
	/*
	 * MOV to CR0, LMSW, CLTS: load CR0 with val (LMSW and CLTS computed from ctxt->cr0).
	 * The last op of the instruction, as a write is. X86EMUL_EXCEPTION with
	 * ctxt->exception filled (#GP(0) for a value or a CPL the CPU refuses); NULL: those
	 * instructions are X86EMUL_UNHANDLEABLE.
	 */
	int (*set_cr0)(struct x86emul_ctxt *ctxt, u64 val);
	/*
	 * OUTS: the port write of size (1, 2, 4) bytes, the last op of the instruction, to be
	 * passed on once it completed (like an MMIO write). NULL: OUTS is X86EMUL_UNHANDLEABLE.
	 */
	int (*pio_out)(struct x86emul_ctxt *ctxt, u16 port, unsigned int size, u32 val);
};

struct x86emul_exception {
	u8 vector;
	bool error_code_valid;
	u32 error_code;
	u64 address;		/* #PF: the faulting linear address (CR2) */
};

struct x86emul_ctxt {
	/* the caller's, not touched */
	const struct x86emul_ops *ops;
	void *priv;

	/* in */
	enum x86emul_mode mode;
	u64 cr0, cr4, xcr0;	/* SSE/AVX availability (#UD, #NM); CR4.LA57: canonical width */
	u64 seg_base[X86EMUL_NR_SEGS];	/* 64-bit mode uses only FS's and GS's */
	u16 seg_sel[X86EMUL_NR_SEGS];	/* the selectors (MOV r/m, Sreg) unless ops->get_sel */
	bool ss_big;			/* SS.B: ESP, not SP, outside 64-bit mode */
	/*
	 * Outside 64-bit mode, when seg_checks is set: each segment's limit (byte granular, as
	 * the descriptor cache holds it) and its kind, 0 expand-up, 1 expand-down, 2
	 * expand-down with B set (upper bound 4 GiB - 1). An access past it is #GP(0), #SS(0)
	 * for SS (SDM vol. 3A 5.3): a CPU that faulted on the access (MMIO) may not have
	 * checked first (QEMU TCG in real mode does not).
	 */
	bool seg_checks;
	u32 seg_limit[X86EMUL_NR_SEGS];
	u8 seg_down[X86EMUL_NR_SEGS];

	/* in, and out when x86emul_run() returns X86EMUL_CONTINUE */
	u64 regs[X86EMUL_NR_REGS];
	u64 rip, rflags;

	/* out */
	/*
	 * Set once decoded, before the first read or write op: the instruction has two memory
	 * operands (MOVS, CMPS), so its accesses may be to two different pages.
	 */
	bool two_mem_operands;
	struct x86emul_exception exception;	/* X86EMUL_EXCEPTION */
	u8 insn[15];		/* the bytes fetched at rip (KVM_INTERNAL_ERROR_EMULATION) */
	u8 insn_len;		/* those decoded, and more up to the page end; at most 15 */

	/*
	 * emulate.c's own: the instruction x86emul_run() decoded (prefixes, opcode, operand
	 * sizes and addresses), which x86emul_resume() runs without decoding it again.
	 */
	u64 decoded[X86EMUL_DECODED_WORDS];
};

/*
 * Run one instruction at ctxt->rip, or one iteration of a REP MOVS/STOS/LODS: rCX drops by one
 * and rip advances only when it reaches 0; with rCX already 0, only rip advances.
 * All or nothing: regs, rip, rflags and the vector registers change only when it returns
 * X86EMUL_CONTINUE. It raises itself (X86EMUL_EXCEPTION): #UD for the undefined and illegal
 * LOCK encodings it knows, #GP(0) for an instruction longer than 15 bytes, for a non-canonical
 * address in 64-bit mode (#SS(0) when the segment is SS) and for an aligned SSE/AVX move on
 * a misaligned address, #UD/#NM for SSE/AVX by CR0.EM/TS, CR4.OSFXSR/OSXSAVE and XCR0.
 * X86EMUL_UNHANDLEABLE: an instruction it does not emulate; insn/insn_len hold its bytes.
 */
int x86emul_run(struct x86emul_ctxt *ctxt);

/*
 * Run again the instruction that x86emul_run() decoded in @ctxt, after it (or an earlier
 * x86emul_resume()) returned X86EMUL_IO_NEEDED: no fetch and no decode, so an MMIO read costs
 * one decode, as on Linux KVM (api.rst "KVM_EXIT_MMIO": the access completes at the next
 * KVM_RUN). Its operand addresses are the ones computed at decode; rip must still be the
 * instruction's, and mode, cr0/cr4/xcr0 and seg_base as they were. regs and rflags are read
 * again, so the instruction completes from what the caller puts there (a VMM may have set
 * registers while the read was out). Returns and changes state as x86emul_run().
 */
int x86emul_resume(struct x86emul_ctxt *ctxt);

#endif /* ARCH_X86_KVM_EMULATE_H */
