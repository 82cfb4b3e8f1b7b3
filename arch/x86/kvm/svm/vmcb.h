/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMCB, AMD APM vol. 2, appendix B "Layout of VMCB": a 4 KiB page with the control area
 * at offset 0 and the state-save area at 0x400. Offsets are checked at build time.
 */
#ifndef ARCH_X86_KVM_SVM_VMCB_H
#define ARCH_X86_KVM_SVM_VMCB_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* Table B-1, control area. intercepts[] are the five intercept vectors at 0x00..0x13. */
struct vmcb_control {
	u32 intercept_cr;		/* 0x000: 15:0 reads, 31:16 writes of CR0-15 */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exceptions;	/* 0x008: bit n = vector n */
	u32 intercept_misc1;		/* 0x00c: INTR .. SHUTDOWN */
	u32 intercept_misc2;		/* 0x010: VMRUN .. */
	u32 intercept_misc3;		/* 0x014 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8 tlb_control;			/* 0x05c */
	u8 reserved_05d[3];
	u64 int_ctl;			/* 0x060: V_TPR, V_IRQ, V_INTR_MASKING, ... */
	u64 int_state;			/* 0x068: bit 0 interrupt shadow */
	u64 exit_code;			/* 0x070 */
	u64 exit_info_1;		/* 0x078 */
	u64 exit_info_2;		/* 0x080 */
	u64 exit_int_info;		/* 0x088 */
	u64 np_control;			/* 0x090: bit 0 nested paging */
	u64 avic_apic_bar;		/* 0x098 */
	u64 ghcb_pa;			/* 0x0a0 */
	u64 event_inj;			/* 0x0a8 */
	u64 n_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8: LBR virtualization, virtual VMLOAD/VMSAVE */
	u32 clean;			/* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;			/* 0x0c8: with NRIP save */
	u8 insn_len;			/* 0x0d0: with decode assists */
	u8 insn_bytes[15];		/* 0x0d1 */
	u8 reserved_0e0[0x400 - 0x0e0];
} __packed;

/* Table B-2, a segment in the state-save area. attrib packs descriptor bits 47:40, 55:52. */
struct vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __packed;

/* Table B-2, state-save area (at 0x400 in the VMCB). */
struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs;	/* 0x000 .. 0x05f */
	struct vmcb_seg gdtr, ldtr, idtr, tr;	/* 0x060 .. 0x09f */
	u8 reserved_0a0[0x0cb - 0x0a0];
	u8 cpl;				/* 0x0cb */
	u32 reserved_0cc;
	u64 efer;			/* 0x0d0 */
	u8 reserved_0d8[0x148 - 0x0d8];
	u64 cr4;			/* 0x148 */
	u64 cr3;			/* 0x150 */
	u64 cr0;			/* 0x158 */
	u64 dr7;			/* 0x160 */
	u64 dr6;			/* 0x168 */
	u64 rflags;			/* 0x170 */
	u64 rip;			/* 0x178 */
	u8 reserved_180[0x1d8 - 0x180];
	u64 rsp;			/* 0x1d8 */
	u64 s_cet;			/* 0x1e0 */
	u64 ssp;			/* 0x1e8 */
	u64 isst_addr;			/* 0x1f0 */
	u64 rax;			/* 0x1f8 */
	u64 star;			/* 0x200 */
	u64 lstar;			/* 0x208 */
	u64 cstar;			/* 0x210 */
	u64 sfmask;			/* 0x218 */
	u64 kernel_gs_base;		/* 0x220 */
	u64 sysenter_cs;		/* 0x228 */
	u64 sysenter_esp;		/* 0x230 */
	u64 sysenter_eip;		/* 0x238 */
	u64 cr2;			/* 0x240 */
	u8 reserved_248[0x268 - 0x248];
	u64 g_pat;			/* 0x268 */
	u64 dbgctl;			/* 0x270 */
	u64 br_from;			/* 0x278 */
	u64 br_to;			/* 0x280 */
	u64 last_excp_from;		/* 0x288 */
	u64 last_excp_to;		/* 0x290 */
	u8 reserved_298[0xc00 - 0x298];
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __packed;

static_assert(sizeof(struct vmcb_control) == 0x400);
static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x040);
static_assert(offsetof(struct vmcb_control, asid) == 0x058);
static_assert(offsetof(struct vmcb_control, exit_code) == 0x070);
static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8);
static_assert(offsetof(struct vmcb_control, n_cr3) == 0x0b0);
static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8);
static_assert(offsetof(struct vmcb_save, efer) == 0x0d0);
static_assert(offsetof(struct vmcb_save, cr4) == 0x148);
static_assert(offsetof(struct vmcb_save, rip) == 0x178);
static_assert(offsetof(struct vmcb_save, rsp) == 0x1d8);
static_assert(offsetof(struct vmcb_save, rax) == 0x1f8);
static_assert(offsetof(struct vmcb_save, cr2) == 0x240);
static_assert(offsetof(struct vmcb_save, g_pat) == 0x268);
static_assert(sizeof(struct vmcb) == 4096);

/* intercept_misc1 (vector 3) bits */
#define INTERCEPT_INTR		BIT(0)
#define INTERCEPT_NMI		BIT(1)
#define INTERCEPT_SMI		BIT(2)
#define INTERCEPT_INIT		BIT(3)
#define INTERCEPT_VINTR		BIT(4)
#define INTERCEPT_RDPMC		BIT(15)
#define INTERCEPT_CPUID		BIT(18)
#define INTERCEPT_IRET		BIT(20)
#define INTERCEPT_INVD		BIT(22)
#define INTERCEPT_HLT		BIT(24)
#define INTERCEPT_INVLPGA	BIT(26)
#define INTERCEPT_IOIO_PROT	BIT(27)
#define INTERCEPT_MSR_PROT	BIT(28)
#define INTERCEPT_TASK_SWITCH	BIT(29)
#define INTERCEPT_SHUTDOWN	BIT(31)
/* intercept_misc2 (vector 4) bits */
#define INTERCEPT_VMRUN		BIT(0)
#define INTERCEPT_VMMCALL	BIT(1)
#define INTERCEPT_VMLOAD	BIT(2)
#define INTERCEPT_VMSAVE	BIT(3)
#define INTERCEPT_STGI		BIT(4)
#define INTERCEPT_CLGI		BIT(5)
#define INTERCEPT_SKINIT	BIT(6)
#define INTERCEPT_RDTSCP	BIT(7)
#define INTERCEPT_MONITOR	BIT(10)
#define INTERCEPT_MWAIT		BIT(11)
#define INTERCEPT_XSETBV	BIT(13)

/* tlb_control values, APM 15.16.2 */
#define TLB_CONTROL_DO_NOTHING		0
#define TLB_CONTROL_FLUSH_ALL_ASID	1
#define TLB_CONTROL_FLUSH_ASID		3

#define V_TPR_MASK		0xfULL
#define V_IRQ			BIT_ULL(8)
#define V_INTR_PRIO_MASK	(0xfULL << 16)
#define V_IGN_TPR		BIT_ULL(20)
#define V_INTR_MASKING		BIT_ULL(24)
#define V_INTR_VECTOR_SHIFT	32
#define V_INTR_VECTOR_MASK	(0xffULL << V_INTR_VECTOR_SHIFT)
/* everything that describes the virtual interrupt V_IRQ raises (APM 15.21.4) */
#define V_IRQ_FIELDS		(V_IRQ | V_INTR_PRIO_MASK | V_IGN_TPR | V_INTR_VECTOR_MASK)
#define SVM_INTERRUPT_SHADOW	BIT_ULL(0)
#define SVM_NP_ENABLE		BIT_ULL(0)

/* event_inj / exit_int_info, APM 15.20 */
#define SVM_EVTINJ_VALID	BIT_ULL(31)
#define SVM_EVTINJ_VALID_ERR	BIT_ULL(11)
#define SVM_EVTINJ_VEC_MASK	0xffULL
#define SVM_EVTINJ_TYPE_MASK	(7ULL << 8)
#define SVM_EVTINJ_TYPE_INTR	(0ULL << 8)
#define SVM_EVTINJ_TYPE_NMI	(2ULL << 8)
#define SVM_EVTINJ_TYPE_EXEPT	(3ULL << 8)
#define SVM_EVTINJ_TYPE_SOFT	(4ULL << 8)

/* exit codes, APM appendix C */
#define SVM_EXIT_WRITE_CR0	0x010	/* MOV to CR0, LMSW, CLTS */
#define SVM_EXIT_WRITE_CR4	0x014	/* MOV to CR4 (write intercepts: 0x010 + n) */
#define SVM_EXIT_READ_DR0	0x020	/* .. 0x02f */
#define SVM_EXIT_WRITE_DR0	0x030	/* .. 0x03f */
#define SVM_EXIT_EXCP_BASE	0x040
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_INIT		0x063
#define SVM_EXIT_VINTR		0x064
#define SVM_EXIT_RDPMC		0x06f
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_IRET		0x074
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_INVLPGA	0x07a
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_TASK_SWITCH	0x07d
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_RDTSCP		0x087
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_MWAIT		0x08b
#define SVM_EXIT_XSETBV		0x08d
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_MAX		0x401
#define SVM_EXIT_ERR		(~0ULL)	/* VMEXIT_INVALID: bad guest state */

/* IOIO exit_info_1, APM 15.10.2 */
#define SVM_IOIO_TYPE_IN	BIT(0)
#define SVM_IOIO_STR		BIT(2)
#define SVM_IOIO_REP		BIT(3)
#define SVM_IOIO_SIZE_SHIFT	4	/* bits 6:4: 1, 2 or 4 bytes */
#define SVM_IOIO_ASIZE_SHIFT	7	/* bits 9:7: 16, 32 or 64-bit addresses */
#define SVM_IOIO_SEG_SHIFT	10	/* bits 12:10 */
#define SVM_IOIO_PORT_SHIFT	16

#endif
