// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM event injection (APM vol. 2 15.20 "Event Injection") and the interrupt and NMI
 * windows. arch/x86/kvm/events.c decides what to deliver; this programs EVENTINJ and the
 * intercepts that tell when the guest can take what had to wait.
 *
 * External interrupts are injected as a virtual interrupt (V_IRQ with V_INTR_VECTOR, APM
 * 15.21.4), not through EVENTINJ, which carries exceptions and NMIs. A virtual interrupt is
 * taken at the first instruction boundary where RFLAGS.IF is set and no shadow blocks it,
 * which is at once: KVM injects only when interrupt_allowed() says so (V_IGN_TPR: the local
 * APIC already applied the priority). If an exit comes first, V_IRQ is still set afterwards
 * and the interrupt waits for the next entry, as one cut short in delivery.
 * Why not EVENTINJ: QEMU TCG, whose SVM runs every emulated host we test in, delivers an
 * EVENTINJ interrupt at VMRUN but leaves it recorded as the CPU's pending exception; if the
 * vCPU thread is asked to exit before the guest's next intercept, QEMU delivers it a second
 * time, whatever RFLAGS.IF. Linux guests then re-entered their timer handler with IF clear
 * and spun forever on the IRQ descriptor's lock (stock KVM, which uses EVENTINJ, hangs the
 * same way there). QEMU's virtual interrupt path does not leave that state behind.
 *
 * Interrupt window: a virtual interrupt (V_IRQ, priority 15, TPR ignored) with the VINTR
 * intercept exits exactly when the guest could take an interrupt: RFLAGS.IF set and no
 * interrupt shadow (APM 15.21.4).
 *
 * NMI blocking: SVM without vNMI does not track it for the guest, so the backend does: an
 * injected NMI masks further NMIs and the IRET intercept is set. That intercept comes before
 * the IRET runs; NMIs stay masked until RIP has moved past it. If an NMI is waiting by
 * then, the IRET is single-stepped (RFLAGS.TF with #DB intercepted) so that the exit right
 * after it can deliver the NMI; the guest's own TF is kept aside meanwhile and is what
 * get_rflags reports.
 */
#include <asm/irq_vectors.h>
#include <linux/seq_file.h>

#include "svm.h"
#include "x86.h"

#define DR6_BS		BIT_ULL(14)	/* single step, SDM 17.2.3 */

void svm_inject_exception(struct kvm_vcpu *vcpu, u8 nr, bool has_error, u32 error_code)
{
	to_svm(vcpu)->vmcb->control.event_inj = nr | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID |
		(has_error ? SVM_EVTINJ_VALID_ERR | (u64)error_code << 32 : 0);
}

/* raise a virtual interrupt: priority 15, TPR ignored; with VINTR intercepted, a window */
static void svm_set_v_irq(struct vmcb_control *c, u8 vector, bool window)
{
	c->int_ctl = (c->int_ctl & ~V_IRQ_FIELDS) | V_IRQ | V_INTR_PRIO_MASK | V_IGN_TPR |
		     ((u64)vector << V_INTR_VECTOR_SHIFT);
	if (window)
		c->intercept_misc1 |= INTERCEPT_VINTR;
	else
		c->intercept_misc1 &= ~INTERCEPT_VINTR;
}

void svm_inject_irq(struct kvm_vcpu *vcpu, u8 nr)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	svm_set_v_irq(&svm->vmcb->control, nr, false);
	svm->irq_in_v_irq = true;
}

void svm_inject_nmi(struct kvm_vcpu *vcpu)
{
	to_svm(vcpu)->vmcb->control.event_inj = NMI_VECTOR | SVM_EVTINJ_TYPE_NMI |
						SVM_EVTINJ_VALID;
}

static bool svm_in_shadow(struct vcpu_svm *svm)
{
	return svm->vmcb->control.int_state & SVM_INTERRUPT_SHADOW;
}

bool svm_interrupt_allowed(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	return (svm_get_rflags(vcpu) & X86_EFLAGS_IF) && !svm_in_shadow(svm);
}

bool svm_nmi_allowed(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	return !svm->nmi_masked && !svm_in_shadow(svm);
}

/* V_IRQ is the injected interrupt's during an entry that injects one: the window waits */
void svm_set_irq_window(struct kvm_vcpu *vcpu, bool on)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;

	if (svm->irq_in_v_irq)
		return;
	if (on) {
		svm_set_v_irq(c, 0, true);
	} else {
		c->int_ctl &= ~V_IRQ_FIELDS;
		c->intercept_misc1 &= ~INTERCEPT_VINTR;
	}
}

/*
 * #DB for the NMI window's single step or the debugger, #BP for software breakpoints, #UD
 * always (VMCALL, the hypercall of the other vendor: pv.c)
 */
void svm_update_exception_intercepts(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	u32 dbg = vcpu->arch.guest_debug;
	u32 *bits = &svm->vmcb->control.intercept_exceptions;

	*bits &= ~(BIT(DB_VECTOR) | BIT(BP_VECTOR));
	*bits |= BIT(UD_VECTOR);
	if (svm->nmi_singlestep || (dbg & (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP)))
		*bits |= BIT(DB_VECTOR);
	if (dbg & KVM_GUESTDBG_USE_SW_BP)
		*bits |= BIT(BP_VECTOR);
}

static void svm_singlestep(struct vcpu_svm *svm, bool on)
{
	struct vmcb *vmcb = svm->vmcb;

	if (on == svm->nmi_singlestep)
		return;
	if (on) {
		svm->guest_tf = vmcb->save.rflags & X86_EFLAGS_TF;
		vmcb->save.rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
	} else {
		vmcb->save.rflags = (vmcb->save.rflags & ~X86_EFLAGS_TF) | svm->guest_tf;
	}
	svm->nmi_singlestep = on;
	svm_update_exception_intercepts(svm->vcpu);
}

void svm_set_nmi_window(struct kvm_vcpu *vcpu, bool on)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	/* masked and the IRET not reached yet: its intercept is the window */
	if (!on || (svm->nmi_masked && !svm->awaiting_iret))
		return;
	/* the IRET is next, or a shadow blocks: exit after one instruction */
	svm_singlestep(svm, true);
}

u32 svm_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	/* one bit in the VMCB for both kinds, reported as both (as Linux KVM does) */
	return svm_in_shadow(to_svm(vcpu)) ? KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI :
					     0;
}

void svm_set_interrupt_shadow(struct kvm_vcpu *vcpu, u32 shadow)
{
	struct vmcb_control *c = &to_svm(vcpu)->vmcb->control;

	if (shadow)
		c->int_state |= SVM_INTERRUPT_SHADOW;
	else
		c->int_state &= ~SVM_INTERRUPT_SHADOW;
}

bool svm_get_nmi_mask(struct kvm_vcpu *vcpu)
{
	return to_svm(vcpu)->nmi_masked;
}

void svm_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	svm->nmi_masked = masked;
	svm->awaiting_iret = false;
	if (masked)
		svm->vmcb->control.intercept_misc1 |= INTERCEPT_IRET;
	else
		svm->vmcb->control.intercept_misc1 &= ~INTERCEPT_IRET;
}

/* RFLAGS as the guest has it: without the TF a single-step over IRET added */
u64 svm_get_rflags(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	u64 rflags = svm->vmcb->save.rflags;

	if (svm->nmi_singlestep)
		rflags = (rflags & ~X86_EFLAGS_TF) | svm->guest_tf;
	return rflags;
}

void svm_set_rflags(struct kvm_vcpu *vcpu, u64 rflags)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	if (svm->nmi_singlestep) {
		svm->guest_tf = rflags & X86_EFLAGS_TF;
		rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
	}
	svm->vmcb->save.rflags = rflags;
}

void svm_events_reset(struct vcpu_svm *svm)
{
	svm_singlestep(svm, false);
	svm->nmi_masked = false;
	svm->awaiting_iret = false;
	svm->irq_in_v_irq = false;
	svm->vmcb->control.intercept_misc1 &= ~(INTERCEPT_IRET | INTERCEPT_VINTR);
	svm->vmcb->control.int_ctl &= ~V_IRQ_FIELDS;
	svm->vmcb->control.int_state = 0;
	svm->vmcb->control.event_inj = 0;
}

/*
 * After every exit, before its handler: the event EXITINTINFO says was being delivered
 * (APM 15.7.2), and the end of NMI blocking once the guest got past its IRET.
 */
void svm_events_after_exit(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;
	u64 info = c->exit_int_info;

	c->event_inj = 0;
	/* the injected interrupt still in V_IRQ: an exit came before the guest took it */
	if (svm->irq_in_v_irq) {
		svm->irq_in_v_irq = false;
		if (c->int_ctl & V_IRQ)
			kvm_event_interrupted(vcpu, KVM_EVENT_EXT_INTR,
					      (c->int_ctl & V_INTR_VECTOR_MASK) >> V_INTR_VECTOR_SHIFT,
					      false, 0);
		c->int_ctl &= ~V_IRQ_FIELDS;
	}
	if (svm->awaiting_iret && svm->vmcb->save.rip != svm->iret_rip) {
		svm->awaiting_iret = false;
		svm->nmi_masked = false;
	}
	if (!(info & SVM_EVTINJ_VALID))
		return;
	c->exit_int_info = 0;
	switch (info & SVM_EVTINJ_TYPE_MASK) {
	case SVM_EVTINJ_TYPE_INTR:
		kvm_event_interrupted(vcpu, KVM_EVENT_EXT_INTR, info & SVM_EVTINJ_VEC_MASK,
				      false, 0);
		break;
	case SVM_EVTINJ_TYPE_NMI:
		kvm_event_interrupted(vcpu, KVM_EVENT_NMI, NMI_VECTOR, false, 0);
		break;
	case SVM_EVTINJ_TYPE_EXEPT:
		/*
		 * No exception has a vector above 31: QEMU TCG reports a virtual interrupt cut
		 * short in delivery (a nested page fault on the stack or IDT) this way.
		 */
		if ((info & SVM_EVTINJ_VEC_MASK) > 31) {
			kvm_event_interrupted(vcpu, KVM_EVENT_EXT_INTR,
					      info & SVM_EVTINJ_VEC_MASK, false, 0);
			break;
		}
		/* INT3 and INTO come as exceptions 3 and 4 here; they run again */
		if ((info & SVM_EVTINJ_VEC_MASK) == BP_VECTOR ||
		    (info & SVM_EVTINJ_VEC_MASK) == OF_VECTOR) {
			kvm_event_interrupted(vcpu, KVM_EVENT_SOFT, 0, false, 0);
			break;
		}
		kvm_event_interrupted(vcpu, KVM_EVENT_EXCEPTION, info & SVM_EVTINJ_VEC_MASK,
				      info & SVM_EVTINJ_VALID_ERR, info >> 32);
		break;
	default:
		kvm_event_interrupted(vcpu, KVM_EVENT_SOFT, 0, false, 0);
		break;
	}
}

/* debugfs kvm/vcpus: the VMCB is memory, readable (racily) wherever the vCPU runs */
void svm_vcpu_show(struct seq_file *m, struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;
	struct vmcb_save *s = &svm->vmcb->save;

	seq_printf(m, "  vmcb: rip=0x%llx rsp=0x%llx rflags=0x%llx cr0=0x%llx cr3=0x%llx cpl=%u\n",
		   READ_ONCE(s->rip), READ_ONCE(s->rsp), READ_ONCE(s->rflags), READ_ONCE(s->cr0),
		   READ_ONCE(s->cr3), READ_ONCE(s->cpl));
	seq_printf(m, "  vmcb: int_ctl=0x%llx int_state=0x%llx event_inj=0x%llx exit_code=0x%llx exit_int_info=0x%llx misc1=0x%llx nmi_masked=%d\n",
		   (u64)READ_ONCE(c->int_ctl), (u64)READ_ONCE(c->int_state),
		   (u64)READ_ONCE(c->event_inj), (u64)READ_ONCE(c->exit_code),
		   (u64)READ_ONCE(c->exit_int_info), (u64)READ_ONCE(c->intercept_misc1),
		   svm->nmi_masked);
}

int svm_exit_vintr(struct kvm_vcpu *vcpu)
{
	kvm_stat_inc(vcpu->arch.stat.irq_window_exits);
	svm_set_irq_window(vcpu, false);
	return 1;
}

/* The guest is about to run IRET with NMIs masked: they end once RIP moves past it. */
int svm_exit_iret(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	svm->vmcb->control.intercept_misc1 &= ~INTERCEPT_IRET;
	svm->awaiting_iret = true;
	svm->iret_rip = svm->vmcb->save.rip;
	return 1;
}

/* #DB: the NMI window's single step, or the debugger's (api.rst 4.87) */
int svm_exit_db(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	bool guest_tf;

	if (svm->nmi_singlestep) {
		guest_tf = svm->guest_tf;
		svm_singlestep(svm, false);
		if (vcpu->arch.guest_debug & KVM_GUESTDBG_SINGLESTEP)
			return kvm_exit_debug(vcpu, DB_VECTOR, svm->vmcb->save.dr6);
		/* the trap's DR6.BS is ours; the guest's own TF gets its #DB */
		svm->vmcb->save.dr6 &= ~DR6_BS;
		if (guest_tf) {
			svm->vmcb->save.dr6 |= DR6_BS;
			kvm_queue_exception(vcpu, DB_VECTOR, false, 0);
		}
		return 1;
	}
	if ((vcpu->arch.guest_debug & KVM_GUESTDBG_SINGLESTEP) ||
	    kvm_db_is_debuggers(vcpu, svm->vmcb->save.dr6))
		return kvm_exit_debug(vcpu, DB_VECTOR, svm->vmcb->save.dr6);
	kvm_queue_exception(vcpu, DB_VECTOR, false, 0);
	return 1;
}

/* #BP with KVM_GUESTDBG_USE_SW_BP: RIP is at the INT3 (APM 15.12) */
int svm_exit_bp(struct kvm_vcpu *vcpu)
{
	return kvm_exit_debug(vcpu, BP_VECTOR, 0);
}
