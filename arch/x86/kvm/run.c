// SPDX-License-Identifier: GPL-2.0-only
/*
 * The run loop (api.rst 4.10 KVM_RUN): policy lives here, the backend only enters the
 * guest and decodes its exits. Signals end the loop with -EINTR and KVM_EXIT_INTR, a
 * reschedule is honoured between entries, immediate_exit returns before any entry.
 * The guest's FPU state is loaded for the whole ioctl and XCR0 around each entry.
 */
#include <linux/sched/signal.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>

#include "compat.h"
#include "x86.h"
#include "kvm_trace.h"

static u64 host_xcr0;

void kvm_run_init(void)
{
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

int kvm_emulate_halt(struct kvm_vcpu *vcpu)
{
	kvm_stat_inc(vcpu->arch.stat.halt_exits);
	if (vcpu->arch.apic)	/* blocks in the kernel: kvm_lapic_before_entry() */
		return kvm_lapic_halt(vcpu);
	/* no in-kernel interrupt controller: userspace decides when the vCPU wakes up */
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}
EXPORT_SYMBOL_GPL(kvm_emulate_halt);

/* SDM vol. 1, 13.3: XCR0 must keep x87, AVX needs SSE, only supported features */
int kvm_set_xcr(struct kvm_vcpu *vcpu, u32 index, u64 xcr)
{
	if (index != XCR_XFEATURE_ENABLED_MASK)
		return 1;
	if (!(xcr & XFEATURE_MASK_FP))
		return 1;
	if ((xcr & XFEATURE_MASK_YMM) && !(xcr & XFEATURE_MASK_SSE))
		return 1;
	if (xcr & ~kvm_guest_supported_xcr0(vcpu))
		return 1;
	vcpu->arch.xcr0 = xcr;
	return 0;
}
EXPORT_SYMBOL_GPL(kvm_set_xcr);

int kvm_exit_internal_error(struct kvm_vcpu *vcpu, u32 suberror, u64 data0)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 1;
	run->internal.data[0] = data0;
	return 0;
}
EXPORT_SYMBOL_GPL(kvm_exit_internal_error);

/* One entry into the guest and the handling of its exit. */
static int vcpu_enter_guest(struct kvm_vcpu *vcpu)
{
	bool switch_xcr0;

	kvm_steal_time_update(vcpu);
	local_irq_disable();
	/* set before the backend reads what a kicker may have changed (see kvm_kick_vcpus_sync) */
	smp_store_mb(vcpu->mode, IN_GUEST_MODE);
	/*
	 * a kvmclock page to write first (kvmclock.c), or a reschedule since the steal time
	 * update: it clears the preempted flag again (steal_time.c)
	 */
	if (signal_pending(current) || need_resched() || kvmclock_pending(vcpu) ||
	    READ_ONCE(vcpu->arch.st.need_update)) {
		WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
		local_irq_enable();
		return 1;
	}

	if (vcpu->arch.events.triple_fault) {
		/* an exception KVM raised while #DF was being delivered (SDM 6.15, #DF) */
		vcpu->arch.events.triple_fault = false;
		WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
		local_irq_enable();
		vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	}
	kvm_inject_events(vcpu);
	/* a context switch since KVM_RUN began saved the guest's FPU registers: back in */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();

	switch_xcr0 = host_xcr0 && vcpu->arch.xcr0 != host_xcr0;
	if (switch_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->arch.xcr0);
	kvm_debugregs_load(vcpu);
	WRITE_ONCE(vcpu->arch.nr_entries, vcpu->arch.nr_entries + 1);
	trace_kvm_entry(vcpu);
	kvm_x86_vendor->run(vcpu);
	trace_kvm_exit(vcpu);
	kvm_stat_inc(vcpu->arch.stat.exits);
	kvm_events_delivered(vcpu);
	kvm_debugregs_save(vcpu);
	if (switch_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, host_xcr0);

	WRITE_ONCE(vcpu->mode, OUTSIDE_GUEST_MODE);
	local_irq_enable();	/* the host takes the interrupt that ended the run, if any */

	/* an EOI the guest signalled through its PV EOI flag precedes what made it exit */
	kvm_lapic_pv_eoi_after_exit(vcpu);
	return kvm_x86_vendor->handle_exit(vcpu);
}

static void sigset_activate(struct kvm_vcpu *vcpu)
{
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
}

static void sigset_deactivate(struct kvm_vcpu *vcpu)
{
	if (vcpu->sigset_active) {
		sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
		sigemptyset(&current->real_blocked);
	}
}

/*
 * api.rst 6.74 KVM_CAP_SYNC_REGS: the register sets userspace marked in kvm_dirty_regs go
 * into the vCPU at the start of KVM_RUN, as KVM_SET_REGS/SREGS/VCPU_EVENTS would put them
 * (before an IN or MMIO read completes); each bit is cleared once its set is in. Each set is
 * copied out of kvm_run first: userspace can write the page at any time.
 */
static int sync_regs_from_run(struct kvm_vcpu *vcpu, u64 dirty)
{
	struct kvm_run *run = vcpu->run;
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_vcpu_events events;
	} *u;
	int r = 0;

	u = kmalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	if (dirty & KVM_SYNC_X86_REGS) {
		memcpy(&u->regs, &run->s.regs.regs, sizeof(u->regs));
		kvm_set_regs(vcpu, &u->regs);
		dirty &= ~KVM_SYNC_X86_REGS;
	}
	if (dirty & KVM_SYNC_X86_SREGS) {
		memcpy(&u->sregs, &run->s.regs.sregs, sizeof(u->sregs));
		r = kvm_set_sregs(vcpu, &u->sregs);
		if (r)
			goto out;
		dirty &= ~KVM_SYNC_X86_SREGS;
	}
	if (dirty & KVM_SYNC_X86_EVENTS) {
		memcpy(&u->events, &run->s.regs.events, sizeof(u->events));
		r = kvm_vcpu_set_events(vcpu, &u->events);
		if (r)
			goto out;
		dirty &= ~KVM_SYNC_X86_EVENTS;
	}
out:
	WRITE_ONCE(run->kvm_dirty_regs, dirty);
	kfree(u);
	return r;
}

/* ... and those marked in kvm_valid_regs come out on every return from KVM_RUN after that */
static void sync_regs_to_run(struct kvm_vcpu *vcpu, u64 valid)
{
	struct kvm_run *run = vcpu->run;

	if (valid & KVM_SYNC_X86_REGS)
		kvm_get_regs(vcpu, &run->s.regs.regs);
	if (valid & KVM_SYNC_X86_SREGS)
		kvm_get_sregs(vcpu, &run->s.regs.sregs);
	if (valid & KVM_SYNC_X86_EVENTS)
		kvm_vcpu_get_events(vcpu, &run->s.regs.events);
}

long kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	u64 valid = READ_ONCE(run->kvm_valid_regs), dirty = READ_ONCE(run->kvm_dirty_regs);
	int r;

	/* api.rst 6.74: "Unused bitfields in the bitarrays must be set to zero" */
	if ((valid | dirty) & ~(u64)KVM_SYNC_X86_VALID_FIELDS)
		return -EINVAL;
	if (dirty) {
		r = sync_regs_from_run(vcpu, dirty);
		if (r)
			return r;
	}

	vcpu_load(vcpu);
	vcpu->arch.st.in_run = true;
	sigset_activate(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->arch.guest_fpu, true);

	/*
	 * api.rst "KVM_RUN": a pending IN or MMIO access completes even when the guest is not
	 * entered (immediate_exit); an instruction with more MMIO to do exits again at once.
	 */
	kvm_complete_pio(vcpu);
	kvm_complete_msr(vcpu);
	r = kvm_complete_mmio(vcpu);
	if (r <= 0)
		goto out;
	/*
	 * api.rst "kvm_run", immediate_exit: EINTR before any entry, and exit_reason stays what
	 * the last exit left (as KVM: the selftests' get_ucall() completes a port-I/O ucall
	 * this way and reads the IO exit again after it).
	 */
	if (kvm_run_immediate_exit(run)) {
		r = -EINTR;
		goto out_no_exit;
	}

	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			kvm_stat_inc(vcpu->arch.stat.signal_exits);
			r = -EINTR;
			break;
		}
		cond_resched();
		kvm_tsc_catchup(vcpu);
		if (kvmclock_pending(vcpu))
			kvmclock_update(vcpu);
		if (vcpu->arch.apic) {
			r = kvm_lapic_before_entry(vcpu);
			if (r <= 0)
				break;
		}
		r = vcpu_enter_guest(vcpu);
		if (r >= 0 && vcpu->arch.apic) {
			/*
			 * The TPR the guest wrote (CR8, the VAPIC word) is the APIC's after every
			 * exit, one to userspace too: KVM_GET_LAPIC may come next.
			 */
			kvm_lapic_sync_tpr(vcpu);
			kvm_lapic_vapic_sync_from(vcpu);
			if (r > 0)
				r = kvm_lapic_after_exit(vcpu);
		}
		if (r <= 0)
			break;
		/* api.rst "kvm_run": userspace asked to hear when it can inject */
		if (run->request_interrupt_window && kvm_ready_for_interrupt_injection(vcpu)) {
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			kvm_stat_inc(vcpu->arch.stat.request_irq_exits);
			r = 0;
			break;
		}
	}
out:
	if (r == 0 || r == -EINTR)
		kvm_stat_user_exit(run->exit_reason);
out_no_exit:
	/* api.rst "kvm_run": state userspace reads after every KVM_RUN */
	run->ready_for_interrupt_injection = kvm_ready_for_interrupt_injection(vcpu);
	run->if_flag = !!(kvm_get_rflags(vcpu) & X86_EFLAGS_IF);
	run->cr8 = kvm_x86_vendor->get_cr(vcpu, 8);
	run->apic_base = vcpu->arch.apic_base;
	sync_regs_to_run(vcpu, valid);
	fpu_swap_kvm_fpstate(&vcpu->arch.guest_fpu, false);
	sigset_deactivate(vcpu);
	vcpu->arch.st.in_run = false;	/* this put is no preemption (steal_time.c) */
	vcpu_put(vcpu);
	trace_kvm_userspace_exit(run->exit_reason, r);
	return r;
}
