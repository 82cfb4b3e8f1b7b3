// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX event injection (SDM vol. 3C 26.6 "Event Injection") and the interrupt and NMI
 * windows (25.3, "interrupt-window exiting" and "NMI-window exiting"). arch/x86/kvm/events.c
 * decides what to deliver; this fills the VM-entry interruption-information field and the
 * window controls that vmx_vcpu_run writes into the VMCS.
 *
 * NMI blocking is the CPU's: with "virtual NMIs" (a required pin-based control) an injected
 * NMI sets blocking by NMI in the interruptibility state and the guest's IRET clears it
 * (26.6.1.2, 27.3.1.5).
 */
#include <asm/irq_vectors.h>

#include "vmx.h"
#include "x86.h"

#define DR6_ACTIVE_LOW_BITS	0xffff0ff0ULL	/* DR6 bits that read as 1 (SDM 17.2.3) */
#define DR6_EXIT_QUAL_BITS	(0xfULL | BIT_ULL(13) | BIT_ULL(14))	/* B0-3, BD, BS */

void vmx_inject_exception(struct kvm_vcpu *vcpu, u8 nr, bool has_error, u32 error_code)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/* 26.2.1.3: no error code is delivered in real mode (unrestricted guest, CR0.PE=0) */
	if (!(vmx_cr0(vmx) & X86_CR0_PE))
		has_error = false;
	vmx->entry_intr_info = nr | INTR_TYPE_HW_EXCEPTION << INTR_INFO_TYPE_SHIFT |
			       INTR_INFO_VALID | (has_error ? INTR_INFO_DELIVER_CODE : 0);
	vmx->entry_error_code = error_code;
	vmx->entry_instr_len = 0;
}

void vmx_inject_irq(struct kvm_vcpu *vcpu, u8 nr)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx->entry_intr_info = nr | INTR_TYPE_EXT_INTR << INTR_INFO_TYPE_SHIFT | INTR_INFO_VALID;
	vmx->entry_instr_len = 0;
}

void vmx_inject_nmi(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx->entry_intr_info = NMI_VECTOR | INTR_TYPE_NMI << INTR_INFO_TYPE_SHIFT |
			       INTR_INFO_VALID;
	vmx->entry_instr_len = 0;
}

/* 26.3.1.5: an external interrupt needs RFLAGS.IF and no STI / MOV SS blocking */
bool vmx_interrupt_allowed(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	return (vmx_rflags(vmx) & X86_EFLAGS_IF) &&
	       !(vmx_intr_state(vmx) & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/* an NMI needs no MOV SS and no NMI blocking; STI blocking too on some CPUs (26.3.1.5) */
bool vmx_nmi_allowed(struct kvm_vcpu *vcpu)
{
	return !(vmx_intr_state(to_vmx(vcpu)) &
		 (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_NMI));
}

void vmx_set_irq_window(struct kvm_vcpu *vcpu, bool on)
{
	to_vmx(vcpu)->irq_window = on;
}

void vmx_set_nmi_window(struct kvm_vcpu *vcpu, bool on)
{
	to_vmx(vcpu)->nmi_window = on;
}

u32 vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	u32 s = vmx_intr_state(to_vmx(vcpu));

	return (s & GUEST_INTR_STATE_STI ? KVM_X86_SHADOW_INT_STI : 0) |
	       (s & GUEST_INTR_STATE_MOV_SS ? KVM_X86_SHADOW_INT_MOV_SS : 0);
}

void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, u32 shadow)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 s = vmx_intr_state(vmx) & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);

	/* 26.3.1.5: STI and MOV SS blocking must not both be set; MOV SS covers both */
	if (shadow & KVM_X86_SHADOW_INT_MOV_SS)
		s |= GUEST_INTR_STATE_MOV_SS;
	else if (shadow & KVM_X86_SHADOW_INT_STI)
		s |= GUEST_INTR_STATE_STI;
	vmx_intr_state_set(vmx, s);
}

bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu)
{
	return vmx_intr_state(to_vmx(vcpu)) & GUEST_INTR_STATE_NMI;
}

void vmx_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 s = vmx_intr_state(vmx);

	vmx_intr_state_set(vmx, masked ? s | GUEST_INTR_STATE_NMI : s & ~GUEST_INTR_STATE_NMI);
}

/*
 * Before every exit's handler: the event the IDT-vectoring information says was being
 * delivered (27.2.4). A VM exit during NMI delivery leaves blocking by NMI set in the
 * saved interruptibility state, though the NMI did not reach the guest (27.3.1.5): it is
 * cleared for the new injection.
 */
void vmx_events_after_exit(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 idt = vmx->idt_vectoring_info;
	u8 nr = idt & INTR_INFO_VECTOR_MASK;

	if (!(idt & INTR_INFO_VALID))
		return;
	switch ((idt >> INTR_INFO_TYPE_SHIFT) & 7) {
	case INTR_TYPE_EXT_INTR:
		kvm_event_interrupted(vcpu, KVM_EVENT_EXT_INTR, nr, false, 0);
		break;
	case INTR_TYPE_NMI:
		vmx_intr_state_set(vmx, vmx_intr_state(vmx) & ~GUEST_INTR_STATE_NMI);
		kvm_event_interrupted(vcpu, KVM_EVENT_NMI, nr, false, 0);
		break;
	case INTR_TYPE_HW_EXCEPTION:
		kvm_event_interrupted(vcpu, KVM_EVENT_EXCEPTION, nr,
				      idt & INTR_INFO_DELIVER_CODE, vmx->idt_vectoring_error);
		break;
	default:	/* INT n, INT3, INTO, INT1: RIP is still at the instruction */
		kvm_event_interrupted(vcpu, KVM_EVENT_SOFT, nr, false, 0);
		break;
	}
}

int vmx_exit_irq_window(struct kvm_vcpu *vcpu)
{
	kvm_stat_inc(vcpu->arch.stat.irq_window_exits);
	vmx_set_irq_window(vcpu, false);
	return 1;
}

int vmx_exit_nmi_window(struct kvm_vcpu *vcpu)
{
	vmx_set_nmi_window(vcpu, false);
	return 1;
}

/*
 * #DB while the debugger single-steps or has hardware breakpoints, #BP with its software
 * breakpoints (api.rst 4.87), #UD always (VMMCALL, the hypercall of the other vendor: pv.c)
 */
void vmx_update_exception_intercepts(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 dbg = vcpu->arch.guest_debug;

	vmx->exception_bitmap = (dbg & (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP) ?
				 BIT(DB_VECTOR) : 0) |
				(dbg & KVM_GUESTDBG_USE_SW_BP ? BIT(BP_VECTOR) : 0) |
				BIT(UD_VECTOR);
}

/*
 * Exit reason 0: an NMI that hit the guest (the host's, handled in vmx_vcpu_run) or an
 * exception in the exception bitmap. For #DB the qualification holds the DR6 bits the
 * exception would have set (27.2.1 table 27-1); for INT3 RIP is still at the instruction.
 */
int vmx_exit_exception_nmi(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u32 info = vmx->exit_intr_info;
	u8 nr = info & INTR_INFO_VECTOR_MASK;

	if (!(info & INTR_INFO_VALID) || ((info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_NMI)
		return 1;
	if (nr == DB_VECTOR && ((vcpu->arch.guest_debug & KVM_GUESTDBG_SINGLESTEP) ||
				kvm_db_is_debuggers(vcpu, vmx->exit_qual)))
		return kvm_exit_debug(vcpu, DB_VECTOR, DR6_ACTIVE_LOW_BITS | vmx->exit_qual);
	if (nr == BP_VECTOR && (vcpu->arch.guest_debug & KVM_GUESTDBG_USE_SW_BP))
		return kvm_exit_debug(vcpu, BP_VECTOR, 0);
	if (nr == UD_VECTOR) {
		static const u8 vmcall[3] = { 0x0f, 0x01, 0xc1 };

		return kvm_handle_ud(vcpu, vmcall);
	}
	/* not the debugger's: the guest gets it as the hardware raised it */
	if (nr == BP_VECTOR)
		return 1;	/* RIP is at the INT3: it runs again without the intercept */
	/* a #DB that exits leaves DR6 alone (27.1): the guest's gets the qualification's bits */
	if (nr == DB_VECTOR)
		vmx->dr6 |= vmx->exit_qual & DR6_EXIT_QUAL_BITS;
	kvm_queue_exception(vcpu, nr, info & INTR_INFO_DELIVER_CODE, vmx->exit_intr_error);
	return 1;
}
