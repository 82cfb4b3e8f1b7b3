// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM exit handlers, dispatched through a table indexed by the exit code (AMD APM vol. 2,
 * appendix C). A handler returns 1 to re-enter the guest, 0 after filling kvm_run for
 * userspace, or a negative errno. Unknown exits end in KVM_EXIT_INTERNAL_ERROR.
 */
#include <linux/kvm_para.h>

#include "compat.h"
#include "svm.h"
#include "x86.h"

/*
 * Advance RIP past the intercepted instruction. With NRIP save (CPUID Fn8000_000A_EDX[3])
 * the CPU gives the next RIP; without it (e.g. QEMU TCG) the length is that of the
 * instruction's plain encoding: these intercepts carry no useful prefixes.
 */
static u64 svm_next_rip(struct kvm_vcpu *vcpu, unsigned int len)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	if (svm_has_nrips && vmcb->control.next_rip)
		return vmcb->control.next_rip;
	return vcpu->arch.regs[VCPU_REGS_RIP] + len;
}

static void svm_skip_instruction(struct kvm_vcpu *vcpu, unsigned int len)
{
	vcpu->arch.regs[VCPU_REGS_RIP] = svm_next_rip(vcpu, len);
	/* the instruction completed: an STI/MOV SS shadow does not outlive it */
	to_svm(vcpu)->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW;
}

static int svm_exit_interrupt(struct kvm_vcpu *vcpu)
{
	/* the host takes the interrupt (or NMI) as soon as GIF is set again */
	return 1;
}

static int svm_exit_intr(struct kvm_vcpu *vcpu)
{
	kvm_stat_inc(vcpu->arch.stat.irq_exits);
	return 1;	/* the host takes the interrupt as soon as GIF is set again */
}

static int svm_exit_ud(struct kvm_vcpu *vcpu)
{
	kvm_queue_exception(vcpu, UD_VECTOR, false, 0);
	return 1;
}

/* as KVM: NOPs, or #UD where the guest may not have them (kvm_monitor_mwait_faults) */
static int svm_exit_monitor_mwait(struct kvm_vcpu *vcpu)
{
	if (kvm_monitor_mwait_faults(vcpu))
		return svm_exit_ud(vcpu);
	svm_skip_instruction(vcpu, 3);		/* 0f 01 c8 / 0f 01 c9 */
	return 1;
}

static int svm_exit_cpuid(struct kvm_vcpu *vcpu)
{
	if (kvm_emulate_cpuid(vcpu))
		svm_skip_instruction(vcpu, 2);	/* 0f a2 */
	return 1;
}

/* a legacy prefix, or REX in 64-bit mode (SDM vol. 2 2.1.1, 2.2.1) */
static bool svm_is_prefix(u8 b, bool l64)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return l64 && (b & 0xf0) == 0x40;
}

/*
 * RDPMC (0f 33), intercepted so that it behaves the same on any CPU under the host (QEMU TCG
 * has no counters and raises #UD): no virtual PMU, so the legacy counters ECX 0-3 (0-5 with
 * PerfCtrExtCore in the guest's CPUID; bits 31:30 ignored, APM vol. 3 "RDPMC") read 0, as
 * their MSRs do (msr.c), and any other ECX is #GP(0), as is CPL > 0 with CR4.PCE clear.
 * Its length is read at RIP: random code puts prefixes on it. From 6.5 on, stock KVM makes
 * every RDPMC #GP(0) when the VM has no PMU, and so does this (compat.h).
 */
static int svm_exit_rdpmc(struct kvm_vcpu *vcpu)
{
	unsigned long *regs = vcpu->arch.regs;
	bool l64 = (svm_get_efer(vcpu) & EFER_LMA) && to_svm(vcpu)->vmcb->save.cs.attrib &
		   BIT(9);
	u32 idx = (u32)regs[VCPU_REGS_RCX] & ~(3u << 30);
	unsigned int i, nr = kvm_guest_has(vcpu, 0x80000001, 0, CPUID_REG_ECX, BIT(23)) ? 6 : 4;
	u8 insn[15];

	if (kvm_fetch_at_rip(vcpu, insn, 2, NULL) ||
	    (insn[0] != 0x0f && kvm_fetch_at_rip(vcpu, insn, sizeof(insn), NULL)))
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       regs[VCPU_REGS_RIP]);
	for (i = 0; i < sizeof(insn) - 2 && svm_is_prefix(insn[i], l64); i++)
		;
	if (insn[i] != 0x0f || insn[i + 1] != 0x33)
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       regs[VCPU_REGS_RIP]);
	if (KVM_RDPMC_NEEDS_VPMU || idx >= nr || ((svm_get_cr(vcpu, 0) & X86_CR0_PE) &&
			  to_svm(vcpu)->vmcb->save.cpl && !(svm_get_cr(vcpu, 4) & X86_CR4_PCE))) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	regs[VCPU_REGS_RAX] = 0;
	regs[VCPU_REGS_RDX] = 0;
	svm_skip_instruction(vcpu, i + 2);
	return 1;
}

static int svm_exit_invd(struct kvm_vcpu *vcpu)
{
	/* caches are the host's: nothing to invalidate for the guest */
	svm_skip_instruction(vcpu, 2);		/* 0f 08 */
	return 1;
}

static int svm_exit_hlt(struct kvm_vcpu *vcpu)
{
	svm_skip_instruction(vcpu, 1);		/* f4 */
	return kvm_emulate_halt(vcpu);
}

/*
 * The address size of INS/OUTS: one-hot in exit_info_1 bits 9:7 (16, 32, 64). QEMU TCG
 * leaves those bits clear; then it is the default of the mode (an address-size prefix on a
 * string I/O instruction is not seen in that case).
 */
static unsigned int svm_io_addr_size(struct kvm_vcpu *vcpu, u32 info)
{
	unsigned int asize = (info >> SVM_IOIO_ASIZE_SHIFT) & 7;
	struct kvm_segment cs;

	if (asize == 1 || asize == 2 || asize == 4)
		return asize == 4 ? 64 : asize == 2 ? 32 : 16;
	svm_get_segment(vcpu, &cs, VCPU_SREG_CS);
	if ((svm_get_efer(vcpu) & EFER_LMA) && cs.l)
		return 64;
	return cs.db ? 32 : 16;
}

/* APM 15.10.2: exit_info_1 describes the access, exit_info_2 is the next RIP */
static int svm_exit_io(struct kvm_vcpu *vcpu)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;
	u32 info = c->exit_info_1;
	unsigned int size = (info >> SVM_IOIO_SIZE_SHIFT) & 7;
	u16 port = info >> SVM_IOIO_PORT_SHIFT;
	bool in = info & SVM_IOIO_TYPE_IN;

	if (info & SVM_IOIO_STR)
		return kvm_emulate_string_pio(vcpu, in, port, size, info & SVM_IOIO_REP,
					      svm_io_addr_size(vcpu, info),
					      (info >> SVM_IOIO_SEG_SHIFT) & 7, c->exit_info_2);
	vcpu->arch.regs[VCPU_REGS_RIP] = c->exit_info_2;
	return kvm_emulate_pio(vcpu, in, port, size);
}

/* APM 15.11: exit_info_1 is 1 for WRMSR, 0 for RDMSR (both 2 bytes: 0f 30 / 0f 32) */
static int svm_exit_msr(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_msr_access(vcpu, to_svm(vcpu)->vmcb->control.exit_info_1 != 0,
				      svm_next_rip(vcpu, 2));
}

static int svm_exit_shutdown(struct kvm_vcpu *vcpu)
{
	u32 mp_state = vcpu->arch.mp_state;

	/*
	 * APM 15.12: the VMCB is undefined after a shutdown; the vCPU starts over as after
	 * INIT (registers, RDX the signature, CR0.CD/NW kept, nothing pending), as on Linux
	 * KVM, and stays runnable.
	 */
	kvm_vcpu_reset(vcpu, true);
	vcpu->arch.mp_state = mp_state;
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

/* an intercepted #UD: VMCALL is patched to VMMCALL (pv.c) */
static int svm_exit_excp_ud(struct kvm_vcpu *vcpu)
{
	static const u8 vmmcall[3] = { 0x0f, 0x01, 0xd9 };

	return kvm_handle_ud(vcpu, vmmcall);
}

static int svm_exit_vmmcall(struct kvm_vcpu *vcpu)
{
	kvm_emulate_hypercall(vcpu, to_svm(vcpu)->vmcb->save.cpl);
	svm_skip_instruction(vcpu, 3);		/* 0f 01 d9 */
	return 1;
}

static int svm_exit_rdtscp(struct kvm_vcpu *vcpu)
{
	u64 tsc = rdtsc() + svm_get_tsc_offset(vcpu);

	vcpu->arch.regs[VCPU_REGS_RAX] = (u32)tsc;
	vcpu->arch.regs[VCPU_REGS_RDX] = tsc >> 32;
	vcpu->arch.regs[VCPU_REGS_RCX] = (u32)vcpu->arch.tsc_aux;
	svm_skip_instruction(vcpu, 3);		/* 0f 01 f9 */
	return 1;
}

static int svm_exit_xsetbv(struct kvm_vcpu *vcpu)
{
	unsigned long *regs = vcpu->arch.regs;
	u64 xcr = (u32)regs[VCPU_REGS_RAX] | (u64)(u32)regs[VCPU_REGS_RDX] << 32;

	if (kvm_set_xcr(vcpu, regs[VCPU_REGS_RCX], xcr)) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	svm_skip_instruction(vcpu, 3);		/* 0f 01 d1 */
	return 1;
}

/*
 * APM 15.25.6: exit_info_1 is the page-fault error code with bits 32/33 (final address /
 * guest page-table walk), the TDP fault path's format; exit_info_2 the guest-physical address
 */
static int svm_exit_npf(struct kvm_vcpu *vcpu)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	return kvm_tdp_page_fault(vcpu, c->exit_info_2, c->exit_info_1);
}

static int svm_exit_task_switch(struct kvm_vcpu *vcpu)
{
	return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
				       to_svm(vcpu)->vmcb->control.exit_code);
}

static int svm_exit_dr(struct kvm_vcpu *vcpu)
{
	return kvm_handle_dr_access(vcpu);
}

/*
 * MOV to CR0, LMSW, CLTS (the CR0 write intercept covers all three, APM vol. 2 15.9): the
 * emulator runs them and kvm_set_cr0() makes the checks the CPU would, so that an invalid
 * CR0 is #GP in the guest on any CPU, never a VMRUN that fails on it.
 */
static int svm_exit_write_cr0(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_at_rip(vcpu);
}

/* MOV to CR4: checked against the guest's CPUID (vcpu.c) */
static int svm_exit_write_cr4(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_mov_cr4(vcpu);
}

typedef int (*svm_exit_handler)(struct kvm_vcpu *vcpu);

static const svm_exit_handler svm_exit_handlers[SVM_EXIT_MAX] = {
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR0 + 15] = svm_exit_dr,
	[SVM_EXIT_WRITE_CR0]	= svm_exit_write_cr0,
	[SVM_EXIT_WRITE_CR4]	= svm_exit_write_cr4,
	[SVM_EXIT_INTR]		= svm_exit_intr,
	[SVM_EXIT_NMI]		= svm_exit_interrupt,
	[SVM_EXIT_SMI]		= svm_exit_interrupt,
	[SVM_EXIT_INIT]		= svm_exit_interrupt,
	[SVM_EXIT_VINTR]	= svm_exit_vintr,
	[SVM_EXIT_IRET]		= svm_exit_iret,
	[SVM_EXIT_EXCP_BASE + DB_VECTOR] = svm_exit_db,
	[SVM_EXIT_EXCP_BASE + BP_VECTOR] = svm_exit_bp,
	[SVM_EXIT_EXCP_BASE + UD_VECTOR] = svm_exit_excp_ud,
	[SVM_EXIT_RDPMC]	= svm_exit_rdpmc,
	[SVM_EXIT_CPUID]	= svm_exit_cpuid,
	[SVM_EXIT_INVD]		= svm_exit_invd,
	[SVM_EXIT_HLT]		= svm_exit_hlt,
	[SVM_EXIT_INVLPGA]	= svm_exit_ud,
	[SVM_EXIT_IOIO]		= svm_exit_io,
	[SVM_EXIT_MSR]		= svm_exit_msr,
	[SVM_EXIT_TASK_SWITCH]	= svm_exit_task_switch,
	[SVM_EXIT_SHUTDOWN]	= svm_exit_shutdown,
	[SVM_EXIT_VMRUN]	= svm_exit_ud,
	[SVM_EXIT_VMMCALL]	= svm_exit_vmmcall,
	[SVM_EXIT_VMLOAD]	= svm_exit_ud,
	[SVM_EXIT_VMSAVE]	= svm_exit_ud,
	[SVM_EXIT_STGI]		= svm_exit_ud,
	[SVM_EXIT_CLGI]		= svm_exit_ud,
	[SVM_EXIT_SKINIT]	= svm_exit_ud,
	[SVM_EXIT_RDTSCP]	= svm_exit_rdtscp,
	[SVM_EXIT_MONITOR]	= svm_exit_monitor_mwait,
	[SVM_EXIT_MWAIT]	= svm_exit_monitor_mwait,
	[SVM_EXIT_XSETBV]	= svm_exit_xsetbv,
	[SVM_EXIT_NPF]		= svm_exit_npf,
};

void svm_get_exit_info(struct kvm_vcpu *vcpu, u64 info[5])
{
	const struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	info[0] = (u32)c->exit_code;
	info[1] = c->exit_info_1;
	info[2] = c->exit_info_2;
	info[3] = (u32)c->exit_int_info;
	info[4] = c->exit_int_info >> 32;
}

const char *const svm_exit_names[SVM_NR_EXIT_NAMES] = {
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR0 + 15] = "dr_read",
	[SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR0 + 15] = "dr_write",
	[SVM_EXIT_EXCP_BASE + DB_VECTOR] = "excp_db",
	[SVM_EXIT_EXCP_BASE + BP_VECTOR] = "excp_bp",
	[SVM_EXIT_EXCP_BASE + UD_VECTOR] = "excp_ud",
	[SVM_EXIT_INTR] = "intr", [SVM_EXIT_NMI] = "nmi", [SVM_EXIT_SMI] = "smi",
	[SVM_EXIT_INIT] = "init", [SVM_EXIT_VINTR] = "vintr", [SVM_EXIT_CPUID] = "cpuid",
	[SVM_EXIT_IRET] = "iret", [SVM_EXIT_INVD] = "invd", [SVM_EXIT_HLT] = "hlt",
	[SVM_EXIT_IOIO] = "io", [SVM_EXIT_MSR] = "msr", [SVM_EXIT_TASK_SWITCH] = "task_switch",
	[SVM_EXIT_SHUTDOWN] = "shutdown", [SVM_EXIT_VMMCALL] = "vmmcall",
	[SVM_EXIT_RDTSCP] = "rdtscp", [SVM_EXIT_XSETBV] = "xsetbv",
	[SVM_STAT_NPF] = "npf", [SVM_STAT_OTHER] = "other",
};

/* kvm_amd.dump_invalid_vmcb: what VMRUN checked (APM 15.5.1), for whoever debugs the VMM */
static void svm_dump_vmcb(struct kvm_vcpu *vcpu)
{
	const struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;
	const struct vmcb_save *v = &to_svm(vcpu)->vmcb->save;

	pr_err("kvm_amd: vcpu%d: VMRUN failed: invalid guest state in the VMCB\n", vcpu->vcpu_id);
	pr_err("kvm_amd: intercepts cr %08x dr %08x exc %08x misc %08x %08x %08x\n",
	       c->intercept_cr, c->intercept_dr, c->intercept_exceptions, c->intercept_misc1,
	       c->intercept_misc2, c->intercept_misc3);
	pr_err("kvm_amd: asid %u tlb_control %u int_ctl %#llx int_state %#llx event_inj %#llx\n",
	       c->asid, c->tlb_control, c->int_ctl, c->int_state, c->event_inj);
	pr_err("kvm_amd: np_control %#llx n_cr3 %#llx virt_ext %#llx iopm %#llx msrpm %#llx\n",
	       c->np_control, c->n_cr3, c->virt_ext, c->iopm_base_pa, c->msrpm_base_pa);
	pr_err("kvm_amd: cs %04x %04x %08x %016llx ss %04x %04x %08x %016llx cpl %u\n",
	       v->cs.selector, v->cs.attrib, v->cs.limit, v->cs.base, v->ss.selector,
	       v->ss.attrib, v->ss.limit, v->ss.base, v->cpl);
	pr_err("kvm_amd: tr %04x %04x %08x %016llx gdtr %08x %016llx idtr %08x %016llx\n",
	       v->tr.selector, v->tr.attrib, v->tr.limit, v->tr.base, v->gdtr.limit,
	       v->gdtr.base, v->idtr.limit, v->idtr.base);
	pr_err("kvm_amd: efer %#llx cr0 %#llx cr3 %#llx cr4 %#llx dr6 %#llx dr7 %#llx\n",
	       v->efer, v->cr0, v->cr3, v->cr4, v->dr6, v->dr7);
	pr_err("kvm_amd: rip %#llx rsp %#llx rflags %#llx g_pat %#llx dbgctl %#llx\n",
	       v->rip, v->rsp, v->rflags, v->g_pat, v->dbgctl);
}

int svm_handle_exit(struct kvm_vcpu *vcpu)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;
	u64 code = c->exit_code;

	kvm_stat_vendor_exit(code < 0x100 ? code : code == SVM_EXIT_NPF ? SVM_STAT_NPF :
			     SVM_STAT_OTHER);

	/* an event cut short in delivery (e.g. by a nested page fault on the IDT or stack) */
	svm_events_after_exit(vcpu);

	/*
	 * VMEXIT_INVALID (-1): the guest state failed VMRUN's checks (APM 15.5.1). QEMU TCG
	 * writes it as a 32-bit -1; the low half is what identifies it, and what Linux KVM
	 * reports as the reason.
	 */
	if ((u32)code == (u32)SVM_EXIT_ERR) {
		if (READ_ONCE(svm_dump_invalid_vmcb))
			svm_dump_vmcb(vcpu);
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason = (u32)SVM_EXIT_ERR;
		vcpu->run->fail_entry.cpu = raw_smp_processor_id();
		return 0;
	}

	if (code < SVM_EXIT_MAX && svm_exit_handlers[code])
		return svm_exit_handlers[code](vcpu);
	return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, code);
}
