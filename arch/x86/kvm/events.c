// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events delivered to the guest with the interrupt controller in userspace: exceptions
 * KVM raises (emulation), external interrupts from KVM_INTERRUPT, NMIs from KVM_NMI, and
 * the state KVM_GET/SET_VCPU_EVENTS saves and restores (api.rst 4.16 KVM_INTERRUPT, 4.31
 * and 4.32 KVM_GET/SET_VCPU_EVENTS, 4.10 "kvm_run": request_interrupt_window and
 * ready_for_interrupt_injection).
 *
 * Before every entry kvm_inject_events() picks at most one event, in the architectural
 * priority (SDM vol. 3A 6.9): an event whose delivery the last exit interrupted, then a
 * pending exception, then an NMI, then an external interrupt; and asks the backend for an
 * exit when an NMI or interrupt has to wait (NMI blocked until IRET, RFLAGS.IF clear, STI
 * or MOV SS shadow). After the entry the injected event counts as delivered unless the
 * backend reports, from the exit's EXITINTINFO / IDT-vectoring information, that its
 * delivery was cut short; then it is injected again.
 *
 * Software interrupts and exceptions (INT n, INT3, INTO, INT1) interrupted in delivery are
 * not injected again: the guest's RIP still points at the instruction (APM 15.7.2, SDM
 * 27.2.4), which runs again and raises them afresh.
 */
#include <linux/uaccess.h>

#include "x86.h"
#include "kvm_trace.h"

#define DF_VECTOR_NR		8
#define NMI_VECTOR_NR		2
#define MAX_NMI_PENDING		2	/* one being handled, one latched (SDM 6.7.1) */

void kvm_events_reset(struct kvm_vcpu *vcpu)
{
	memset(&vcpu->arch.events, 0, sizeof(vcpu->arch.events));
}

/* SDM vol. 3A table 6-4: #DE, #TS, #NP, #SS, #GP are contributory */
static bool exception_contributory(u8 nr)
{
	return nr == 0 || (nr >= 10 && nr <= 13);
}

/* The one exception slot: pending (not injected yet) or injected (in delivery). */
static void set_exception(struct kvm_vcpu_event_state *ev, bool injected, u8 nr,
			  bool has_error, u32 error_code)
{
	ev->exception.pending = !injected;
	ev->exception.injected = injected;
	ev->exception.nr = nr;
	ev->exception.has_error_code = has_error;
	ev->exception.error_code = has_error ? error_code : 0;
}

/*
 * Raise an exception for the next entry. One already pending or in delivery combines with
 * it as SDM vol. 3A table 6-5 says: contributory on contributory, or a contributory
 * exception or #PF on #PF, becomes #DF; anything on #DF is a triple fault (shutdown);
 * otherwise the new one replaces the old, which the faulting instruction raises again when
 * it is run again.
 */
void kvm_queue_exception(struct kvm_vcpu *vcpu, u8 nr, bool has_error, u32 error_code)
{
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;
	u8 prev = ev->exception.nr;

	if (ev->exception.pending || ev->exception.injected) {
		if (prev == DF_VECTOR_NR) {
			ev->triple_fault = true;
			ev->exception.pending = ev->exception.injected = false;
			return;
		}
		if ((exception_contributory(prev) && exception_contributory(nr)) ||
		    (prev == PF_VECTOR && (exception_contributory(nr) || nr == PF_VECTOR))) {
			nr = DF_VECTOR_NR;
			has_error = true;
			error_code = 0;
		}
	}
	set_exception(ev, false, nr, has_error, error_code);
}
EXPORT_SYMBOL_GPL(kvm_queue_exception);

/* From the backend's handle_exit: this event's delivery did not complete. */
void kvm_event_interrupted(struct kvm_vcpu *vcpu, enum kvm_event_kind kind, u8 nr,
			   bool has_error, u32 error_code)
{
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;

	switch (kind) {
	case KVM_EVENT_EXT_INTR:
		ev->interrupt.injected = true;
		ev->interrupt.nr = nr;
		break;
	case KVM_EVENT_NMI:
		ev->nmi_injected = true;
		break;
	case KVM_EVENT_EXCEPTION:
		set_exception(ev, true, nr, has_error, error_code);
		break;
	case KVM_EVENT_SOFT:
		break;		/* the instruction runs again (see the top of this file) */
	}
}
EXPORT_SYMBOL_GPL(kvm_event_interrupted);

/*
 * After an entry: what was given to the hardware reached the guest unless handle_exit says
 * otherwise (kvm_event_interrupted). An event that had to wait (an interrupt from
 * KVM_INTERRUPT behind an exception, or until RFLAGS.IF allows it) stays for a later entry:
 * dropping it would lose an interrupt userspace's PIC already acknowledged.
 */
void kvm_events_delivered(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;

	switch (ev->in_hw) {
	case KVM_EVENT_IN_HW_EXCEPTION:
		ev->exception.injected = false;
		break;
	case KVM_EVENT_IN_HW_NMI:
		ev->nmi_injected = false;
		break;
	case KVM_EVENT_IN_HW_IRQ:
		ev->interrupt.injected = false;
		break;
	}
	ev->in_hw = KVM_EVENT_IN_HW_NONE;
}

static bool event_in_delivery(struct kvm_vcpu_event_state *ev)
{
	return ev->exception.injected || ev->nmi_injected || ev->interrupt.injected;
}

/* debugfs kvm/vcpus (vcpu_show.c): the last interrupts given to the hardware */
static void irq_log(struct kvm_vcpu *vcpu, u8 vector, u8 why)
{
	struct kvm_vcpu_arch *a = &vcpu->arch;
	struct kvm_irq_log_entry *e = &a->irq_log[a->irq_log_next++ % KVM_IRQ_LOG_LEN];

	e->entry = a->nr_entries;
	e->rip = a->regs[VCPU_REGS_RIP];
	e->rflags = kvm_get_rflags(vcpu);
	e->vector = vector;
	e->why = why;
	/* as stock reports it: an interrupt already marked injected (KVM_INTERRUPT, cut short) */
	trace_kvm_inj_virq(vector, false, why == 'r');
}

/*
 * Interrupts disabled, right before the backend's run(): program at most one event, and
 * the interrupt and NMI windows for what has to wait.
 */
void kvm_inject_events(struct kvm_vcpu *vcpu)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;
	bool busy = true, irq_window = false;

	if (ev->exception.pending) {
		ev->exception.pending = false;
		ev->exception.injected = true;
	}
	ev->in_hw = KVM_EVENT_IN_HW_NONE;
	if (ev->exception.injected) {
		ops->inject_exception(vcpu, ev->exception.nr, ev->exception.has_error_code,
				      ev->exception.error_code);
		ev->in_hw = KVM_EVENT_IN_HW_EXCEPTION;
	} else if (ev->nmi_injected) {
		ops->inject_nmi(vcpu);
		kvm_stat_inc(vcpu->arch.stat.nmi_injections);
		ev->in_hw = KVM_EVENT_IN_HW_NMI;
	} else if (ev->interrupt.injected) {
		/*
		 * From KVM_INTERRUPT, or cut short in delivery. Userspace should inject only
		 * when ready_for_interrupt_injection said so; if it did not, the interrupt
		 * waits for the window rather than break VM entry (SDM 26.2.1.3).
		 */
		if (ops->interrupt_allowed(vcpu)) {
			irq_log(vcpu, ev->interrupt.nr, 'r');
			ops->inject_irq(vcpu, ev->interrupt.nr);
			kvm_stat_inc(vcpu->arch.stat.irq_injections);
			ev->in_hw = KVM_EVENT_IN_HW_IRQ;
		} else {
			irq_window = true;
		}
	} else {
		busy = false;
	}

	/* api.rst 4.87 KVM_GUESTDBG_BLOCKIRQ: a debugger stepping through keeps them out */
	if (vcpu->arch.guest_debug & KVM_GUESTDBG_BLOCKIRQ)
		busy = true;
	if (ev->nmi_pending && !busy && ops->nmi_allowed(vcpu)) {
		ev->nmi_pending--;
		ev->nmi_injected = true;
		ops->set_nmi_mask(vcpu, true);
		ops->inject_nmi(vcpu);
		kvm_stat_inc(vcpu->arch.stat.nmi_injections);
		ev->in_hw = KVM_EVENT_IN_HW_NMI;
	}
	/* in-kernel LAPIC (lapic.c): its interrupt, taken (IRR -> ISR) only when injected now */
	if (vcpu->arch.apic && !(vcpu->arch.guest_debug & KVM_GUESTDBG_BLOCKIRQ) &&
	    !ev->interrupt.injected && kvm_lapic_has_interrupt(vcpu)) {
		int vec = -1;

		if (ev->in_hw == KVM_EVENT_IN_HW_NONE && ops->interrupt_allowed(vcpu))
			vec = kvm_lapic_take_interrupt(vcpu);
		if (vec >= 0) {
			ev->interrupt.injected = true;
			ev->interrupt.nr = vec;
			irq_log(vcpu, vec, 'l');
			ops->inject_irq(vcpu, vec);
			kvm_stat_inc(vcpu->arch.stat.irq_injections);
			ev->in_hw = KVM_EVENT_IN_HW_IRQ;
		} else {
			irq_window = true;
		}
	}
	/*
	 * api.rst "kvm_run": userspace waits for the window (request_interrupt_window), or an
	 * interrupt waits behind the event injected now
	 */
	if ((vcpu->run->request_interrupt_window && !ev->interrupt.injected) ||
	    (ev->interrupt.injected && ev->in_hw != KVM_EVENT_IN_HW_IRQ))
		irq_window = true;
	ops->set_nmi_window(vcpu, ev->nmi_pending);
	ops->set_irq_window(vcpu, irq_window);
}

/*
 * api.rst "kvm_run": ready_for_interrupt_injection. The guest could take an interrupt now
 * and no event is pending or in delivery (one from KVM_INTERRUPT included).
 */
bool kvm_ready_for_interrupt_injection(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;

	return kvm_x86_vendor->interrupt_allowed(vcpu) && !event_in_delivery(ev) &&
	       !ev->exception.pending;
}

/*
 * api.rst 4.16: with the interrupt controller in userspace the vector is injected on the
 * next entry; one not delivered yet is replaced.
 */
long kvm_vcpu_ioctl_interrupt(struct kvm_vcpu *vcpu, struct kvm_interrupt __user *uirq)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, uirq, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= 256)
		return -EINVAL;
	/* api.rst 4.16: with the PIC in the kernel the vector comes from it, not from here */
	if (vcpu->kvm->arch.irqchip_mode == KVM_IRQCHIP_KERNEL)
		return -ENXIO;
	vcpu->arch.events.interrupt.injected = true;
	vcpu->arch.events.interrupt.nr = irq.irq;
	return 0;
}

/* api.rst 4.55 KVM_NMI: a second NMI while one is handled stays latched; more are lost */
long kvm_vcpu_ioctl_nmi(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;
	unsigned int limit = MAX_NMI_PENDING;

	if (ev->nmi_injected || kvm_x86_vendor->get_nmi_mask(vcpu))
		limit--;
	if (ev->nmi_pending < limit)
		ev->nmi_pending++;
	return 0;
}

/* KVM_GET_VCPU_EVENTS, and kvm_run->s.regs.events (KVM_SYNC_X86_EVENTS) */
void kvm_vcpu_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ep)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;
	struct kvm_vcpu_events e;

	memset(&e, 0, sizeof(e));
	/*
	 * Without KVM_CAP_EXCEPTION_PAYLOAD (not offered) an exception KVM raised but did not
	 * inject yet is reported as injected too: the two are delivered the same way.
	 */
	e.exception.pending = ev->exception.pending;
	e.exception.injected = ev->exception.pending || ev->exception.injected;
	e.exception.nr = ev->exception.nr;
	e.exception.has_error_code = ev->exception.has_error_code;
	e.exception.error_code = ev->exception.error_code;
	e.interrupt.injected = ev->interrupt.injected;
	e.interrupt.nr = ev->interrupt.nr;
	e.interrupt.shadow = ops->get_interrupt_shadow(vcpu);
	e.nmi.injected = ev->nmi_injected;
	e.nmi.pending = ev->nmi_pending != 0;
	e.nmi.masked = ops->get_nmi_mask(vcpu);
	/* never reported, as Linux KVM: only KVM_SET_VCPU_EVENTS sets it (api.rst 4.31) */
	e.sipi_vector = 0;
	/* SMM is not offered (no KVM_CAP_X86_SMM): its state is reported, always zero */
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		  KVM_VCPUEVENT_VALID_SMM;
	/* api.rst 4.31: with KVM_CAP_X86_TRIPLE_FAULT_EVENT, a triple fault not yet reported */
	if (READ_ONCE(vcpu->kvm->arch.triple_fault_event)) {
		e.flags |= KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
		e.triple_fault.pending = ev->triple_fault;
	}
	*ep = e;
}

long kvm_vcpu_ioctl_get_vcpu_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events __user *u)
{
	struct kvm_vcpu_events e;

	kvm_vcpu_get_events(vcpu, &e);
	return copy_to_user(u, &e, sizeof(e)) ? -EFAULT : 0;
}

#define VCPU_EVENTS_FLAGS	(KVM_VCPUEVENT_VALID_NMI_PENDING | \
				 KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
				 KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM)

/*
 * KVM_SET_VCPU_EVENTS, and kvm_run->s.regs.events marked dirty; *ep is a kernel copy (it
 * must not change under the checks: kvm_run is shared with userspace).
 */
int kvm_vcpu_set_events(struct kvm_vcpu *vcpu, const struct kvm_vcpu_events *ep)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;
	const struct kvm_vcpu_events e = *ep;

	/* PAYLOAD needs a capability that is not offered, TRIPLE_FAULT its own (api.rst 4.32) */
	if (e.flags & ~(VCPU_EVENTS_FLAGS | KVM_VCPUEVENT_VALID_TRIPLE_FAULT))
		return -EINVAL;
	if ((e.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT) &&
	    !READ_ONCE(vcpu->kvm->arch.triple_fault_event))
		return -EINVAL;
	if (e.exception.injected && (e.exception.nr > 31 || e.exception.nr == NMI_VECTOR_NR))
		return -EINVAL;
	if ((e.flags & KVM_VCPUEVENT_VALID_SMM) && (e.smi.smm || e.smi.pending))
		return -EINVAL;

	/* without VALID_PAYLOAD, exception.pending is not part of the state (api.rst 4.32) */
	ev->exception.pending = false;
	ev->exception.injected = e.exception.injected;
	ev->exception.nr = e.exception.nr;
	ev->exception.has_error_code = e.exception.has_error_code;
	ev->exception.error_code = e.exception.has_error_code ? e.exception.error_code : 0;
	ev->interrupt.injected = e.interrupt.injected;
	ev->interrupt.nr = e.interrupt.nr;
	if (e.flags & KVM_VCPUEVENT_VALID_SHADOW)
		ops->set_interrupt_shadow(vcpu, e.interrupt.shadow);
	ev->nmi_injected = e.nmi.injected;
	if (e.flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		ev->nmi_pending = e.nmi.pending ? 1 : 0;
	ops->set_nmi_mask(vcpu, e.nmi.masked);
	if ((e.flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR) && vcpu->arch.apic)
		vcpu->arch.apic->sipi_vector = e.sipi_vector;
	/* a pending triple fault ends the next KVM_RUN with KVM_EXIT_SHUTDOWN (run.c) */
	ev->triple_fault = (e.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT) && e.triple_fault.pending;
	return 0;
}

long kvm_vcpu_ioctl_set_vcpu_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events __user *u)
{
	struct kvm_vcpu_events e;

	if (copy_from_user(&e, u, sizeof(e)))
		return -EFAULT;
	return kvm_vcpu_set_events(vcpu, &e);
}
