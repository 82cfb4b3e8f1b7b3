// SPDX-License-Identifier: GPL-2.0-only
/*
 * Paravirtual interfaces: hypercalls (Documentation/virt/kvm/x86/hypercalls.rst). The
 * number is in RAX, arguments in RBX, RCX, RDX, RSI; the result goes to RAX (outside 64-bit
 * mode all of them are 32 bits). Only ring 0 may call (-KVM_EPERM otherwise); numbers not
 * implemented, or whose feature the guest's CPUID lacks under
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID, answer -KVM_ENOSYS.
 */
#include <linux/kvm_para.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "x86.h"

/*
 * The KVM leaves start at the signature leaf "KVMKVMKVM" at 0x40000000 or, next to another
 * hypervisor's interface, at a later multiple of 0x100 (cpuid.rst)
 */
static const struct kvm_cpuid_entry2 *pv_features_leaf(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e;
	u32 base;

	for (base = KVM_CPUID_SIGNATURE; base < 0x40010000; base += 0x100) {
		e = kvm_find_cpuid_entry(vcpu, base, 0);
		if (!e)
			continue;
		if (e->ebx == 0x4b4d564b && e->ecx == 0x564b4d56 && e->edx == 0x4d)
			return kvm_find_cpuid_entry(vcpu, base + 1, 0);
	}
	return NULL;
}

/* api.rst 8.28: without enforcement every PV feature is there whatever CPUID says */
bool kvm_pv_has(struct kvm_vcpu *vcpu, unsigned int feature)
{
	const struct kvm_cpuid_entry2 *e;

	if (!vcpu->arch.pv_enforce)
		return true;
	e = pv_features_leaf(vcpu);
	return e && (e->eax & BIT(feature));
}

/* api.rst 4.37 KVM_ENABLE_CAP on a vCPU: the x86 ones */
int kvm_vcpu_enable_cap(struct kvm_vcpu *vcpu, struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	switch (cap->cap) {
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:
		vcpu->arch.pv_enforce = cap->args[0] != 0;
		return 0;
	default:
		return -EINVAL;
	}
}

/* KVM_HC_SCHED_YIELD, and after a kick: give the CPU to the vCPU with APIC ID dest */
static void pv_yield_to(struct kvm_vcpu *vcpu, unsigned long dest)
{
	struct kvm_vcpu *target = kvm_lapic_find_by_id(vcpu->kvm, dest);
	struct task_struct *task;

	/* a vCPU in guest mode has its CPU already */
	if (!target || target == vcpu || READ_ONCE(target->mode) == IN_GUEST_MODE)
		return;
	rcu_read_lock();
	task = get_pid_task(rcu_dereference(target->pid), PIDTYPE_PID);
	rcu_read_unlock();
	if (!task)
		return;
	/* does nothing when the task runs elsewhere or sleeps (halted vCPU) */
	if (task != current)
		yield_to(task, 1);
	put_task_struct(task);
}

static bool hypercall_64bit(struct kvm_vcpu *vcpu)
{
	struct kvm_segment cs;

	if (!(kvm_x86_vendor->get_efer(vcpu) & EFER_LMA))
		return false;
	kvm_x86_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	return cs.l;
}

void kvm_emulate_hypercall(struct kvm_vcpu *vcpu, int cpl)
{
	unsigned long *regs = vcpu->arch.regs;
	unsigned long nr = regs[VCPU_REGS_RAX], ret;
	unsigned long a0 = regs[VCPU_REGS_RBX], a1 = regs[VCPU_REGS_RCX];
	unsigned long a2 = regs[VCPU_REGS_RDX], a3 = regs[VCPU_REGS_RSI];
	bool op64 = hypercall_64bit(vcpu);

	kvm_stat_inc(vcpu->arch.stat.hypercalls);
	if (!op64) {
		nr = (u32)nr;
		a0 = (u32)a0;
		a1 = (u32)a1;
		a2 = (u32)a2;
		a3 = (u32)a3;
	}
	if (cpl) {
		ret = (unsigned long)-KVM_EPERM;
		goto out;
	}
	ret = (unsigned long)-KVM_ENOSYS;
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		/* "a guest-side hook to make the host check for pending interrupts": a no-op */
		ret = 0;
		break;
	case KVM_HC_KICK_CPU:
		/* a0: flags (reserved), a1: the APIC ID of the vCPU to wake from HLT */
		if (!kvm_pv_has(vcpu, KVM_FEATURE_PV_UNHALT) || !vcpu->arch.apic)
			break;
		kvm_lapic_pv_kick(vcpu->kvm, a1);
		pv_yield_to(vcpu, a1);
		ret = 0;
		break;
	case KVM_HC_SEND_IPI:
		if (!kvm_pv_has(vcpu, KVM_FEATURE_PV_SEND_IPI) || !vcpu->arch.apic)
			break;
		ret = kvm_lapic_pv_send_ipi(vcpu, a0, a1, a2, a3, op64 ? 64 : 32);
		break;
	case KVM_HC_SCHED_YIELD:
		if (!kvm_pv_has(vcpu, KVM_FEATURE_PV_SCHED_YIELD))
			break;
		pv_yield_to(vcpu, a0);
		ret = 0;
		break;
	default:
		break;
	}
out:
	if (!op64)
		ret = (u32)ret;
	regs[VCPU_REGS_RAX] = ret;
}
EXPORT_SYMBOL_GPL(kvm_emulate_hypercall);
