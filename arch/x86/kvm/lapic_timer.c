// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local APIC timer (SDM vol. 3A 10.5.4): one-shot, periodic and TSC-deadline modes on a
 * host hrtimer. The count runs on a 1 GHz bus clock, as Linux KVM's: one count lasts
 * `divide` ns (TDCR, 10.5.4 figure 10-10), and TMCCT is computed from the time left.
 *
 * The hrtimer is HRTIMER_MODE_ABS_HARD: its callback runs in hard interrupt context, where
 * it only sets an IRR bit atomically and kicks the vCPU (lapic.c), which is all the irq.h
 * entry points allow; a soft timer would add a softirq's latency to every tick. It is not
 * pinned: wherever it fires, the kick reaches the vCPU's current CPU. Cancelled (and waited
 * for) on every reprogramming, on reset, on KVM_SET_LAPIC and before the vCPU is freed.
 */
#include <linux/math64.h>
#include <asm/tsc.h>

#include "x86.h"
#include "lapic.h"

static u32 lvtt_mode(struct kvm_lapic *apic)
{
	return apic_get_reg(apic, APIC_REG_LVTT) & APIC_LVTT_MODE_MASK &
	       READ_ONCE(apic->lvtt_modes);
}

/*
 * KVM_SET_CPUID2: the timer modes the guest may use. TSC-deadline mode only with its CPUID
 * bit (SDM vol. 3A 10.5.4.1: "if CPUID.01H:ECX.TSC_Deadline[bit 24] = 0, the mode is
 * reserved"); periodic always once there is a CPU model.
 */
void kvm_lapic_cpuid_changed(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 modes = APIC_LVTT_PERIODIC;

	if (!apic)
		return;
	if (kvm_guest_has(vcpu, 1, 0, CPUID_REG_ECX, BIT(24)))
		modes |= APIC_LVTT_TSCDEADLINE;
	WRITE_ONCE(apic->lvtt_modes, modes);
	kvm_lapic_timer_update(apic, false);
}

static enum hrtimer_restart timer_fn(struct hrtimer *t)
{
	struct kvm_lapic *apic = container_of(t, struct kvm_lapic, timer);
	u64 period = READ_ONCE(apic->period_ns);

	kvm_lapic_local_irq(apic, APIC_REG_LVTT);
	if (lvtt_mode(apic) == APIC_LVTT_TSCDEADLINE) {
		/* SDM 10.5.4.1: the deadline MSR reads 0 once the timer fired */
		WRITE_ONCE(apic->tsc_deadline, 0);
		return HRTIMER_NORESTART;
	}
	if (!period)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(period));
	return HRTIMER_RESTART;
}

void kvm_lapic_timer_init(struct kvm_lapic *apic)
{
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	apic->timer.function = timer_fn;
	apic->divide = 2;
}

void kvm_lapic_timer_cancel(struct kvm_lapic *apic)
{
	hrtimer_cancel(&apic->timer);
}

/* TDCR bits 0, 1, 3: 000b /2 ... 110b /128, 111b /1 */
static u32 tdcr_divide(u32 tdcr)
{
	u32 v = (tdcr & 3) | ((tdcr & 8) >> 1);

	return 1u << ((v + 1) & 7);
}

/* guest TSC ticks to ns from now until deadline (0 when past) */
static u64 deadline_delta_ns(struct kvm_lapic *apic, u64 deadline)
{
	u32 khz = kvm_vcpu_tsc_khz(apic->vcpu);
	u64 now;

	if (kvm_msr_read(apic->vcpu, MSR_IA32_TSC, &now, true) || deadline <= now || !khz)
		return 0;
	return mul_u64_u32_div(deadline - now, 1000000, khz);
}

static void start_deadline(struct kvm_lapic *apic)
{
	u64 deadline = apic->tsc_deadline;

	if (!deadline)
		return;
	hrtimer_start(&apic->timer, ktime_add_ns(ktime_get(), deadline_delta_ns(apic, deadline)),
		      HRTIMER_MODE_ABS_HARD);
}

/*
 * kvm.min_timer_period_us: a periodic timer never fires more often than that (one-shot and
 * TSC-deadline timers are not limited), so that a guest cannot keep a host CPU busy with
 * timer interrupts. TMCCT still counts down from TMICT (kvm_lapic_timer_current_count).
 */
static u64 periodic_min(struct kvm_lapic *apic, u64 period)
{
	u64 min = (u64)READ_ONCE(kvm_min_timer_period_us) * NSEC_PER_USEC;

	if (period >= min)
		return period;
	pr_info_ratelimited("kvm: vcpu%d: requested %llu ns lapic timer period limited to %llu ns\n",
			    apic->vcpu->vcpu_id, period, min);
	return min;
}

/*
 * Reprogram after LVTT, TDCR, TMICT (restart) or a restored state changed. A mode change
 * stops the timer (SDM 10.5.4.1: switching to or from TSC-deadline mode disarms it).
 */
void kvm_lapic_timer_update(struct kvm_lapic *apic, bool restart)
{
	u32 mode = lvtt_mode(apic), tmict = apic_get_reg(apic, APIC_REG_TMICT);
	u32 divide = tdcr_divide(apic_get_reg(apic, APIC_REG_TDCR));
	u64 remaining = 0, period;

	if (mode == APIC_LVTT_TSCDEADLINE) {
		if (!hrtimer_active(&apic->timer) || apic->period_ns || restart) {
			hrtimer_cancel(&apic->timer);
			WRITE_ONCE(apic->period_ns, 0);
			start_deadline(apic);
		}
		return;
	}
	if (!restart && hrtimer_active(&apic->timer))
		remaining = ktime_to_ns(hrtimer_get_remaining(&apic->timer));
	hrtimer_cancel(&apic->timer);
	apic->divide = divide;
	period = (u64)tmict * divide;
	if (mode == APIC_LVTT_PERIODIC && tmict)
		period = periodic_min(apic, period);
	if (restart) {
		if (!tmict) {
			WRITE_ONCE(apic->period_ns, 0);
			return;
		}
		remaining = period;
	}
	if (!remaining)
		return;
	WRITE_ONCE(apic->period_ns, mode == APIC_LVTT_PERIODIC ? period : 0);
	apic->start = ktime_get();
	hrtimer_start(&apic->timer, ktime_add_ns(apic->start, remaining), HRTIMER_MODE_ABS_HARD);
}

u32 kvm_lapic_timer_current_count(struct kvm_lapic *apic)
{
	s64 left;

	if (lvtt_mode(apic) == APIC_LVTT_TSCDEADLINE || !hrtimer_active(&apic->timer))
		return 0;
	left = ktime_to_ns(hrtimer_get_remaining(&apic->timer));
	if (left <= 0)
		return 0;
	return min_t(u64, div_u64(left, apic->divide), apic_get_reg(apic, APIC_REG_TMICT));
}

/* SDM 10.5.4.1: writes are ignored unless LVTT is in TSC-deadline mode; 0 disarms */
void kvm_lapic_set_tsc_deadline(struct kvm_lapic *apic, u64 deadline)
{
	if (lvtt_mode(apic) != APIC_LVTT_TSCDEADLINE)
		return;
	hrtimer_cancel(&apic->timer);
	WRITE_ONCE(apic->tsc_deadline, deadline);
	start_deadline(apic);
}
