// SPDX-License-Identifier: GPL-2.0-only
/*
 * Steal time (Documentation/virt/kvm/x86/msr.rst, MSR_KVM_STEAL_TIME; cpuid.rst
 * KVM_FEATURE_STEAL_TIME): a struct kvm_steal_time in guest memory, 64-byte aligned, where
 * KVM accumulates the time the vCPU's thread was runnable but waited for a CPU (the
 * scheduler's run_delay of that thread) and flags a vCPU whose thread was preempted.
 *
 * The area is written with kvm_write_guest, so no page stays pinned. Before each entry that
 * follows a load of the vCPU (the start of KVM_RUN or a return from the scheduler) the steal
 * count is brought up to date under the version protocol (odd while it changes) and the
 * preempted byte cleared. When the thread is preempted in KVM_RUN (taken off the CPU while
 * runnable) the preempted byte is set: that runs in the scheduler, atomic, so the write is
 * attempted with page faults disabled and is skipped if the page is not present.
 *
 * PV TLB flush (cpuid.rst KVM_FEATURE_PV_TLB_FLUSH): instead of an IPI to a preempted vCPU,
 * another vCPU of the guest adds KVM_VCPU_FLUSH_TLB to its preempted byte (with a locked
 * cmpxchg, while KVM_VCPU_PREEMPTED is there). The byte is therefore cleared with a locked
 * exchange before the next entry, and a flag found in it flushes the vCPU's TLB first.
 */
#include <linux/kvm_para.h>
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <linux/uaccess.h>

#include "x86.h"

static u64 thread_run_delay(void)
{
#ifdef CONFIG_SCHED_INFO
	return current->sched_info.run_delay;
#else
	return 0;
#endif
}

bool kvm_steal_time_supported(void)
{
	return sched_info_on();
}

static bool st_enabled(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.st.msr & KVM_MSR_ENABLED;
}

static u64 st_gpa(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.st.msr & KVM_STEAL_VALID_BITS;
}

/* 0, or 1 for #GP in the guest / an error for KVM_GET/SET_MSRS */
int kvm_steal_time_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host)
{
	if (!kvm_steal_time_supported() || !kvm_pv_has(vcpu, KVM_FEATURE_STEAL_TIME))
		return 1;
	if (!write) {
		*data = vcpu->arch.st.msr;
		return 0;
	}
	if (*data & KVM_STEAL_RESERVED_MASK)
		return 1;
	if (!st_enabled(vcpu))
		vcpu->arch.st.last_run_delay = thread_run_delay();
	vcpu->arch.st.msr = *data;
	vcpu->arch.st.need_update = true;
	return 0;
}

void kvm_steal_time_reset(struct kvm_vcpu *vcpu)
{
	vcpu->arch.st.msr = 0;
}

/* the vCPU comes (back) onto a CPU: preemption disabled, update before the next entry */
void kvm_steal_time_load(struct kvm_vcpu *vcpu)
{
	vcpu->arch.st.need_update = true;
}

/* ... and leaves it: preemption disabled, possibly in the scheduler with its locks held */
void kvm_steal_time_put(struct kvm_vcpu *vcpu)
{
	u64 gpa = st_gpa(vcpu) + offsetof(struct kvm_steal_time, preempted);
	u8 preempted = KVM_VCPU_PREEMPTED, cur;

	/* only a thread taken off the CPU in KVM_RUN while still runnable was preempted */
	if (!vcpu->arch.st.in_run || !st_enabled(vcpu) || !READ_ONCE(current->on_rq))
		return;
	pagefault_disable();
	/*
	 * still flagged from an earlier preemption (no entry since): leave it, a flush
	 * request may be in it. Only a flagged byte is changed by the guest, so reading
	 * 0 and then writing is safe.
	 */
	if (!kvm_read_guest(vcpu->kvm, gpa, &cur, sizeof(cur)) && !cur)
		kvm_write_guest(vcpu->kvm, gpa, &preempted, sizeof(preempted));
	pagefault_enable();
}

/* Before an entry, preemptible: the steal time accumulated since the last update */
void kvm_steal_time_update(struct kvm_vcpu *vcpu)
{
	u64 gpa = st_gpa(vcpu), run_delay, steal;
	u32 version;
	u8 preempted;

	if (!READ_ONCE(vcpu->arch.st.need_update))
		return;
	WRITE_ONCE(vcpu->arch.st.need_update, false);
	if (!st_enabled(vcpu))
		return;
	if (kvm_read_guest(vcpu->kvm, gpa + offsetof(struct kvm_steal_time, version),
			   &version, sizeof(version)) ||
	    kvm_read_guest(vcpu->kvm, gpa + offsetof(struct kvm_steal_time, steal),
			   &steal, sizeof(steal)))
		return;
	/* odd: an update in progress, or whatever the guest left there at first */
	version += (version & 1) + 1;
	if (kvm_write_guest(vcpu->kvm, gpa + offsetof(struct kvm_steal_time, version),
			    &version, sizeof(version)))
		return;
	smp_wmb();
	run_delay = thread_run_delay();
	/* another thread runs the vCPU now: count from its run_delay on */
	if (run_delay >= vcpu->arch.st.last_run_delay)
		steal += run_delay - vcpu->arch.st.last_run_delay;
	vcpu->arch.st.last_run_delay = run_delay;
	kvm_write_guest(vcpu->kvm, gpa + offsetof(struct kvm_steal_time, steal),
			&steal, sizeof(steal));
	if (!kvm_guest_xchg_u8(vcpu->kvm, gpa + offsetof(struct kvm_steal_time, preempted),
			       0, &preempted) &&
	    (preempted & KVM_VCPU_FLUSH_TLB) && kvm_pv_has(vcpu, KVM_FEATURE_PV_TLB_FLUSH))
		vcpu->arch.tlb_flush_guest = true;
	smp_wmb();
	version++;
	kvm_write_guest(vcpu->kvm, gpa + offsetof(struct kvm_steal_time, version),
			&version, sizeof(version));
}
