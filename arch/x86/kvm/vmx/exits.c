// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX exit handlers, dispatched through a table indexed by the basic exit reason (Intel SDM
 * vol. 3C, appendix C; qualifications in 27.2.1). A handler returns 1 to re-enter the guest,
 * 0 after filling kvm_run for userspace, or a negative errno. Unknown exits end in
 * KVM_EXIT_INTERNAL_ERROR. The exit information was copied out by vmx_vcpu_run; guest state
 * is read through the cache's accessors (vmx.h), which fetch from the VMCS what they lack.
 */
#include <linux/kvm_para.h>

#include "vmx.h"
#include "x86.h"
#include "kvm_trace.h"

/* Advance RIP past the instruction that exited: its length is in the VMCS (27.2.5). */
static void vmx_skip_instruction(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vcpu->arch.regs[VCPU_REGS_RIP] += vmx->exit_instr_len;
	/* the instruction completed: an STI/MOV SS shadow does not outlive it */
	vmx_intr_state_set(vmx, vmx_intr_state(vmx) &
				~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

static int vmx_exit_nop(struct kvm_vcpu *vcpu)
{
	/* external interrupt: taken by the host when the run loop enables interrupts; an
	 * NMI was handed to the host in vmx_vcpu_run */
	return 1;
}

static int vmx_exit_intr(struct kvm_vcpu *vcpu)
{
	kvm_stat_inc(vcpu->arch.stat.irq_exits);
	return vmx_exit_nop(vcpu);
}

static int vmx_exit_ud(struct kvm_vcpu *vcpu)
{
	kvm_queue_exception(vcpu, UD_VECTOR, false, 0);
	return 1;
}

/* as KVM: NOPs, or #UD where the guest may not have them (kvm_monitor_mwait_faults) */
static int vmx_exit_monitor_mwait(struct kvm_vcpu *vcpu)
{
	if (kvm_monitor_mwait_faults(vcpu))
		return vmx_exit_ud(vcpu);
	vmx_skip_instruction(vcpu);
	return 1;
}

static int vmx_exit_triple_fault(struct kvm_vcpu *vcpu)
{
	vmx_vcpu_reset(vcpu);
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int vmx_exit_cpuid(struct kvm_vcpu *vcpu)
{
	if (kvm_emulate_cpuid(vcpu))
		vmx_skip_instruction(vcpu);
	return 1;
}

static int vmx_exit_invd(struct kvm_vcpu *vcpu)
{
	vmx_skip_instruction(vcpu);
	return 1;
}

static int vmx_exit_hlt(struct kvm_vcpu *vcpu)
{
	vmx_skip_instruction(vcpu);
	return kvm_emulate_halt(vcpu);
}

static bool vmx_long_mode_cs(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	return (vmx_efer(vmx) & EFER_LMA) && (vmx_seg(vmx, VCPU_SREG_CS)->ar & BIT(13));
}

/*
 * 27.2.1 table 27-5: size - 1 in bits 2:0, IN in bit 3, string in bit 4, REP in bit 5,
 * port in bits 31:16. For INS/OUTS the VM-exit instruction-information field (27.2.5,
 * reported when IA32_VMX_BASIC[54] is set) gives the address size in bits 9:7 and the
 * segment in bits 17:15; otherwise the mode's default and DS (OUTS) / ES (INS).
 */
static int vmx_exit_io(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual;
	unsigned int size = (q & 7) + 1;
	bool in = q & BIT(3);
	u16 port = q >> 16;
	u64 next_rip = vcpu->arch.regs[VCPU_REGS_RIP] + vmx->exit_instr_len;

	if (q & BIT(4)) {
		unsigned int addr_bits, seg;

		if (vmx_ins_outs_info) {
			addr_bits = 16 << ((vmx->exit_instr_info >> 7) & 7);
			seg = in ? VCPU_SREG_ES : (vmx->exit_instr_info >> 15) & 7;
		} else {
			addr_bits = vmx_long_mode_cs(vcpu) ? 64 :
				    (vmx_seg(vmx, VCPU_SREG_CS)->ar & BIT(14)) ? 32 : 16;
			seg = in ? VCPU_SREG_ES : VCPU_SREG_DS;
		}
		return kvm_emulate_string_pio(vcpu, in, port, size, q & BIT(5), addr_bits, seg,
					      next_rip);
	}
	vcpu->arch.regs[VCPU_REGS_RIP] = next_rip;
	return kvm_emulate_pio(vcpu, in, port, size);
}

static int vmx_exit_msr(struct kvm_vcpu *vcpu, bool write)
{
	return kvm_emulate_msr_access(vcpu, write,
				      vcpu->arch.regs[VCPU_REGS_RIP] + to_vmx(vcpu)->exit_instr_len);
}

static int vmx_exit_rdmsr(struct kvm_vcpu *vcpu)
{
	return vmx_exit_msr(vcpu, false);
}

static int vmx_exit_wrmsr(struct kvm_vcpu *vcpu)
{
	return vmx_exit_msr(vcpu, true);
}

static int vmx_exit_vmcall(struct kvm_vcpu *vcpu)
{
	/* the CPL is SS.DPL (24.4.1) */
	kvm_emulate_hypercall(vcpu, (vmx_seg(to_vmx(vcpu), VCPU_SREG_SS)->ar >> 5) & 3);
	vmx_skip_instruction(vcpu);
	return 1;
}

static int vmx_exit_xsetbv(struct kvm_vcpu *vcpu)
{
	unsigned long *regs = vcpu->arch.regs;
	u64 xcr = (u32)regs[VCPU_REGS_RAX] | (u64)(u32)regs[VCPU_REGS_RDX] << 32;

	if (kvm_set_xcr(vcpu, regs[VCPU_REGS_RCX], xcr)) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	vmx_skip_instruction(vcpu);
	return 1;
}

/*
 * A MOV to CR0/CR3/CR4 that leaves PAE paging on loads the PDPTEs if it wrote CR3 or changed
 * one of CR0.PG/CD/NW or CR4.PAE/PGE/PSE/SMEP (SDM vol. 3A 4.4.1), and #GPs on a bad one,
 * changing nothing. The registers are already set to the new values; undo them on failure.
 */
static bool vmx_cr_write_loads_pdptrs(struct kvm_vcpu *vcpu, u64 changed)
{
	return !changed || !vmx_load_pdptrs(vcpu, false);
}

/* MOV to CR0 (CR0.PG or a bit VMX fixes changed): SDM vol. 3A 2.5, 9.8.5 */
static bool vmx_write_cr0(struct kvm_vcpu *vcpu, u64 val)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 old = vmx_cr0(vmx), old_efer = vmx_efer(vmx), efer = old_efer;

	if (val >> 32)
		return false;
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return false;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return false;
	if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME)) {
		if (!(vmx_cr4(vmx) & X86_CR4_PAE))
			return false;
		efer |= EFER_LMA;
	}
	if (!(val & X86_CR0_PG) && (old & X86_CR0_PG)) {
		if (vmx_long_mode_cs(vcpu))
			return false;
		efer &= ~EFER_LMA;
	}
	val |= X86_CR0_ET;
	vmx_cr0_set(vmx, val);
	if (efer != old_efer)
		vmx_efer_set(vmx, efer);
	if (!vmx_cr_write_loads_pdptrs(vcpu, (old ^ val) & CR0_PDPTR_BITS)) {
		vmx_cr0_set(vmx, old);
		vmx_efer_set(vmx, old_efer);
		return false;
	}
	return true;
}

static bool vmx_write_cr3(struct kvm_vcpu *vcpu, u64 val)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 old = vmx_cr3(vmx);

	vmx_cr3_set(vmx, val);
	if (!vmx_cr_write_loads_pdptrs(vcpu, true)) {
		vmx_cr3_set(vmx, old);
		return false;
	}
	return true;
}

static bool vmx_write_cr4(struct kvm_vcpu *vcpu, u64 val)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 old = vmx_cr4(vmx);

	if (val & kvm_cr4_reserved(vcpu))
		return false;
	if ((vmx_efer(vmx) & EFER_LMA) && !(val & X86_CR4_PAE))
		return false;
	vmx_cr4_set(vmx, val);
	if (!vmx_cr_write_loads_pdptrs(vcpu, (old ^ val) & CR4_PDPTR_BITS)) {
		vmx_cr4_set(vmx, old);
		return false;
	}
	return true;
}

/* 27.2.1 table 27-3: CR in bits 3:0, access type in 5:4, register in 11:8, LMSW data 31:16 */
static int vmx_exit_cr(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	unsigned long *regs = vcpu->arch.regs;
	u64 q = vmx->exit_qual;
	int cr = q & 15, reg = (q >> 8) & 15;
	u64 val = regs[reg];
	bool ok = true;

	if (!(vmx_efer(vmx) & EFER_LMA))
		val = (u32)val;
	switch ((q >> 4) & 3) {
	case 0:		/* MOV to CR */
		trace_kvm_cr_write(cr, val);
		switch (cr) {
		case 0: ok = vmx_write_cr0(vcpu, val); break;
		case 3: ok = vmx_write_cr3(vcpu, val); break;
		case 4: ok = vmx_write_cr4(vcpu, val); break;
		case 8:
			ok = !(val & ~0xfULL);
			if (ok)
				vmx->cr8 = val;
			break;
		default:
			return vmx_exit_ud(vcpu);
		}
		break;
	case 1:		/* MOV from CR */
		switch (cr) {
		case 3: regs[reg] = vmx_cr3(vmx); break;
		case 8: regs[reg] = vmx->cr8; break;
		default:
			return vmx_exit_ud(vcpu);
		}
		trace_kvm_cr_read(cr, regs[reg]);
		break;
	case 2:		/* CLTS */
		vmx_cr0_set(vmx, vmx_cr0(vmx) & ~X86_CR0_TS);
		trace_kvm_cr_write(0, vmx_cr0(vmx));
		break;
	default:	/* LMSW: bits 3:0 of CR0, PE cannot be cleared */
		val = vmx_cr0(vmx);
		vmx_cr0_set(vmx, (val & ~0xeULL) | ((q >> 16) & 0xf) | (val & X86_CR0_PE));
		trace_kvm_cr_write(0, vmx_cr0(vmx));
		break;
	}
	if (!ok) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	vmx_skip_instruction(vcpu);
	return 1;
}

static int vmx_exit_dr(struct kvm_vcpu *vcpu)
{
	return kvm_handle_dr_access(vcpu);
}

/*
 * 27.2.1 table 27-7: the guest-physical address is in its own field; qualification bit 1
 * says the access was a write (a data write, or an accessed/dirty flag update of a guest
 * paging structure), bit 2 an instruction fetch; bit 7 set with bit 8 clear, an access to
 * the guest's own paging structures. The TDP fault path wants SVM's format (x86.h).
 */
static int vmx_exit_ept_violation(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual, code = 0;

	if (q & EPT_VIOLATION_WRITE)
		code |= TDP_FAULT_WRITE;
	if (q & EPT_VIOLATION_FETCH)
		code |= TDP_FAULT_FETCH;
	if ((q & EPT_VIOLATION_GLA_VALID) && !(q & EPT_VIOLATION_GLA_FINAL))
		code |= TDP_FAULT_PT_WALK;
	return kvm_tdp_page_fault(vcpu, vmx->guest_phys, code);
}

static int vmx_exit_ept_misconfig(struct kvm_vcpu *vcpu)
{
	return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				       to_vmx(vcpu)->exit_reason);
}

static int vmx_exit_task_switch(struct kvm_vcpu *vcpu)
{
	return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
				       to_vmx(vcpu)->exit_reason);
}

typedef int (*vmx_exit_handler)(struct kvm_vcpu *vcpu);

static const vmx_exit_handler vmx_exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI]	= vmx_exit_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = vmx_exit_intr,
	[EXIT_REASON_TRIPLE_FAULT]	= vmx_exit_triple_fault,
	[EXIT_REASON_INIT]		= vmx_exit_nop,
	[EXIT_REASON_SIPI]		= vmx_exit_nop,
	[EXIT_REASON_INTERRUPT_WINDOW]	= vmx_exit_irq_window,
	[EXIT_REASON_NMI_WINDOW]	= vmx_exit_nmi_window,
	[EXIT_REASON_TASK_SWITCH]	= vmx_exit_task_switch,
	[EXIT_REASON_CPUID]		= vmx_exit_cpuid,
	[EXIT_REASON_GETSEC]		= vmx_exit_ud,
	[EXIT_REASON_HLT]		= vmx_exit_hlt,
	[EXIT_REASON_INVD]		= vmx_exit_invd,
	[EXIT_REASON_VMCALL]		= vmx_exit_vmcall,
	[EXIT_REASON_VMCLEAR ... EXIT_REASON_VMXON] = vmx_exit_ud,
	[EXIT_REASON_CR_ACCESS]		= vmx_exit_cr,
	[EXIT_REASON_DR_ACCESS]		= vmx_exit_dr,
	[EXIT_REASON_IO_INSTRUCTION]	= vmx_exit_io,
	[EXIT_REASON_MSR_READ]		= vmx_exit_rdmsr,
	[EXIT_REASON_MSR_WRITE]		= vmx_exit_wrmsr,
	[EXIT_REASON_MWAIT]		= vmx_exit_monitor_mwait,
	[EXIT_REASON_MONITOR]		= vmx_exit_monitor_mwait,
	[EXIT_REASON_EPT_VIOLATION]	= vmx_exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]	= vmx_exit_ept_misconfig,
	[EXIT_REASON_INVEPT]		= vmx_exit_ud,
	[EXIT_REASON_PREEMPTION_TIMER]	= vmx_exit_nop,
	[EXIT_REASON_INVVPID]		= vmx_exit_ud,
	[EXIT_REASON_XSETBV]		= vmx_exit_xsetbv,
	[EXIT_REASON_VMFUNC]		= vmx_exit_ud,
};

void vmx_get_exit_info(struct kvm_vcpu *vcpu, u64 info[5])
{
	const struct vcpu_vmx *vmx = to_vmx(vcpu);

	info[0] = vmx->exit_reason;
	info[1] = vmx->exit_qual;
	info[2] = vmx->guest_phys;
	info[3] = vmx->exit_intr_info;
	info[4] = vmx->exit_intr_error;
}

const char *const vmx_exit_names[VMX_NR_EXIT_NAMES] = {
	[EXIT_REASON_EXCEPTION_NMI] = "exception_nmi",
	[EXIT_REASON_EXTERNAL_INTERRUPT] = "external_interrupt",
	[EXIT_REASON_TRIPLE_FAULT] = "triple_fault",
	[EXIT_REASON_INTERRUPT_WINDOW] = "interrupt_window",
	[EXIT_REASON_NMI_WINDOW] = "nmi_window", [EXIT_REASON_TASK_SWITCH] = "task_switch",
	[EXIT_REASON_CPUID] = "cpuid", [EXIT_REASON_HLT] = "hlt", [EXIT_REASON_INVD] = "invd",
	[EXIT_REASON_VMCALL] = "vmcall", [EXIT_REASON_CR_ACCESS] = "cr_access",
	[EXIT_REASON_DR_ACCESS] = "dr_access", [EXIT_REASON_IO_INSTRUCTION] = "io",
	[EXIT_REASON_MSR_READ] = "rdmsr", [EXIT_REASON_MSR_WRITE] = "wrmsr",
	[EXIT_REASON_EPT_VIOLATION] = "ept_violation",
	[EXIT_REASON_EPT_MISCONFIG] = "ept_misconfig",
	[EXIT_REASON_PREEMPTION_TIMER] = "preemption_timer",
	[EXIT_REASON_XSETBV] = "xsetbv", [VMX_STAT_FAILED_ENTRY] = "failed_entry",
};

/*
 * kvm_intel.dump_invalid_vmcs: the controls and guest state a failed VM entry checked (SDM
 * vol. 3C 27.2, 27.3). The vCPU is loaded: its VMCS is this CPU's current one.
 */
static void vmx_dump_vmcs(struct kvm_vcpu *vcpu)
{
	int seg;

	pr_err("kvm_intel: vcpu%d: VM entry failed, exit reason %#x, VM-instruction error %llu\n",
	       vcpu->vcpu_id, to_vmx(vcpu)->exit_reason, vmcs_read(VM_INSTRUCTION_ERROR));
	pr_err("kvm_intel: pin %#llx cpu %#llx secondary %#llx exit %#llx entry %#llx intr_info %#llx\n",
	       vmcs_read(PIN_BASED_VM_EXEC_CONTROL), vmcs_read(CPU_BASED_VM_EXEC_CONTROL),
	       vmcs_read(SECONDARY_VM_EXEC_CONTROL), vmcs_read(VM_EXIT_CONTROLS),
	       vmcs_read(VM_ENTRY_CONTROLS), vmcs_read(VM_ENTRY_INTR_INFO));
	pr_err("kvm_intel: cr0 %#llx cr3 %#llx cr4 %#llx efer %#llx pat %#llx dr7 %#llx\n",
	       vmcs_read(GUEST_CR0), vmcs_read(GUEST_CR3), vmcs_read(GUEST_CR4),
	       vmcs_read(GUEST_IA32_EFER), vmcs_read(GUEST_IA32_PAT), vmcs_read(GUEST_DR7));
	pr_err("kvm_intel: rip %#llx rsp %#llx rflags %#llx interruptibility %#llx activity %#llx\n",
	       vmcs_read(GUEST_RIP), vmcs_read(GUEST_RSP), vmcs_read(GUEST_RFLAGS),
	       vmcs_read(GUEST_INTERRUPTIBILITY_INFO), vmcs_read(GUEST_ACTIVITY_STATE));
	for (seg = 0; seg < 8; seg++)	/* ES CS SS DS FS GS LDTR TR */
		pr_err("kvm_intel: seg%d %04llx ar %05llx limit %08llx base %016llx\n", seg,
		       vmcs_read(GUEST_ES_SELECTOR + 2 * seg), vmcs_read(GUEST_ES_AR_BYTES + 2 * seg),
		       vmcs_read(GUEST_ES_LIMIT + 2 * seg), vmcs_read(GUEST_ES_BASE + 2 * seg));
	pr_err("kvm_intel: gdtr %08llx %016llx idtr %08llx %016llx\n",
	       vmcs_read(GUEST_GDTR_LIMIT), vmcs_read(GUEST_GDTR_BASE),
	       vmcs_read(GUEST_IDTR_LIMIT), vmcs_read(GUEST_IDTR_BASE));
}

int vmx_handle_exit(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 reason = vmx->exit_reason;
	u32 basic = (u16)reason;

	kvm_stat_vendor_exit(reason & EXIT_REASON_FAILED_ENTRY ? VMX_STAT_FAILED_ENTRY :
			     min_t(u32, basic, VMX_STAT_FAILED_ENTRY - 1));

	/* an event cut short in delivery (e.g. by an EPT violation on the IDT or stack) */
	vmx_events_after_exit(vcpu);

	if (reason & EXIT_REASON_FAILED_ENTRY) {
		/* VMfail (no exit at all), or a VM entry that failed its guest-state checks */
		if (basic == 0xffff && !vmx->fail_reported) {
			vmx->fail_reported = true;
			pr_err("kvm_intel: VMLAUNCH/VMRESUME failed, VM-instruction error %u\n",
			       vmx->vm_instruction_error);
		}
		if (READ_ONCE(vmx_dump_invalid_vmcs))
			vmx_dump_vmcs(vcpu);
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_entry_failure_reason =
			basic == 0xffff ? vmx->vm_instruction_error : reason;
		vcpu->run->fail_entry.cpu = raw_smp_processor_id();
		return 0;
	}

	if (basic < EXIT_REASON_MAX && vmx_exit_handlers[basic])
		return vmx_exit_handlers[basic](vcpu);
	return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, reason);
}
