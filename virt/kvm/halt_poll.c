// SPDX-License-Identifier: GPL-2.0-only
/*
 * Halt polling (Documentation/virt/kvm/halt-polling.rst): before a halted vCPU sleeps, it
 * polls for a wakeup for up to its own window, vcpu->halt_poll_ns. The window follows the
 * waits: unchanged when a poll caught the wakeup; grown (times halt_poll_ns_grow, from 0 to
 * halt_poll_ns_grow_start) when the wait was shorter than halt_poll_ns, the maximum; shrunk
 * (divided by halt_poll_ns_shrink, 0 when it is 0) when the wait was longer. Changes to the
 * parameters apply at each vCPU's next halt. The arch does the polling (it knows what wakes
 * a vCPU): kvm_lapic_block() in arch/x86/kvm/lapic.c.
 *
 * KVM_CAP_HALT_POLL (api.rst 7.20) gives a VM its own maximum instead of halt_poll_ns, at
 * any time and as often as the VMM likes; a guest may also turn polling off for its vCPU
 * (MSR_KVM_POLL_CONTROL, the arch's to check before asking for a window).
 */
#include <linux/kernel.h>
#include <linux/module.h>

#include "kvm_core.h"

static unsigned int halt_poll_ns = 200000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "Maximum halt polling window, in ns (0: no polling)");

static unsigned int halt_poll_ns_grow = 2;
module_param(halt_poll_ns_grow, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_grow, "Factor a vCPU's polling window grows by (0 or 1: no growth)");

static unsigned int halt_poll_ns_grow_start = 10000;
module_param(halt_poll_ns_grow_start, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_grow_start, "Window a vCPU's polling grows to from 0, in ns");

static unsigned int halt_poll_ns_shrink;
module_param(halt_poll_ns_shrink, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_shrink, "Divisor a vCPU's polling window shrinks by (0: to 0)");

/* the maximum window of this VM's vCPUs */
static unsigned int max_poll_ns(struct kvm *kvm)
{
	if (READ_ONCE(kvm->override_halt_poll_ns)) {
		smp_rmb();
		return READ_ONCE(kvm->max_halt_poll_ns);
	}
	return READ_ONCE(halt_poll_ns);
}

/* api.rst 7.20: args[0] the maximum in ns, an unsigned int as halt_poll_ns is */
int kvm_vm_enable_halt_poll(struct kvm *kvm, u64 max_ns)
{
	if (max_ns != (unsigned int)max_ns)
		return -EINVAL;
	WRITE_ONCE(kvm->max_halt_poll_ns, max_ns);
	/* the value before the flag: a reader that sees the flag sees the value */
	smp_wmb();
	WRITE_ONCE(kvm->override_halt_poll_ns, true);
	return 0;
}

/* How long the vCPU may poll at this halt (0: not at all); vcpu context */
u64 kvm_vcpu_halt_poll_window(struct kvm_vcpu *vcpu)
{
	unsigned int max = max_poll_ns(vcpu->kvm);

	if (vcpu->halt_poll_ns > max)
		vcpu->halt_poll_ns = max;
	return vcpu->halt_poll_ns;
}

/*
 * After the halt: polled_ns spent polling (caught the wakeup if success), wait_ns the whole
 * time from the start of the poll to the wakeup. Counts the poll and adapts the window.
 */
void kvm_vcpu_halt_poll_done(struct kvm_vcpu *vcpu, u64 polled_ns, u64 wait_ns, bool success)
{
	unsigned int max = max_poll_ns(vcpu->kvm);
	unsigned int grow = READ_ONCE(halt_poll_ns_grow);
	unsigned int start = READ_ONCE(halt_poll_ns_grow_start);
	unsigned int shrink = READ_ONCE(halt_poll_ns_shrink);
	u64 val = vcpu->halt_poll_ns;

	if (polled_ns || success) {
		kvm_stat_inc(vcpu->stat.halt_attempted_poll);
		if (success) {
			kvm_stat_inc(vcpu->stat.halt_successful_poll);
			kvm_stat_add(vcpu->stat.halt_poll_success_ns, polled_ns);
		} else {
			kvm_stat_add(vcpu->stat.halt_poll_fail_ns, polled_ns);
		}
	}
	if (success)
		return;
	if (!max) {
		val = 0;
	} else if (wait_ns > max) {
		val = shrink ? div_u64(val, shrink) : 0;
	} else if (val < max && grow > 1) {
		val = val ? val * grow : 0;
		if (val < start)
			val = start;
		if (val > max)
			val = max;
	}
	vcpu->halt_poll_ns = val;
}
