// SPDX-License-Identifier: GPL-2.0-only
/*
 * Paravirtual interfaces: hypercalls (Documentation/virt/kvm/x86/hypercalls.rst). The
 * number is in RAX, arguments in RBX, RCX, RDX, RSI; the result goes to RAX (outside 64-bit
 * mode all of them are 32 bits). Only ring 0 may call (-KVM_EPERM otherwise); numbers not
 * implemented, or whose feature the guest's CPUID lacks under
 * KVM_CAP_ENFORCE_PV_FEATURE_CPUID, answer -KVM_ENOSYS.
 *
 * The hypercall instruction is VMMCALL on AMD and VMCALL on Intel. The other vendor's one
 * raises #UD, which KVM intercepts: with KVM_X86_QUIRK_FIX_HYPERCALL_INSN on (the default) it
 * patches the guest's code with the right instruction and performs the call, without the
 * quirk the guest gets its #UD.
 */
#include <linux/kvm_para.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "x86.h"
#include "kvm_trace.h"

static const struct kvm_cpuid_entry2 *pv_features_leaf(struct kvm_vcpu *vcpu)
{
	return kvm_cpuid_pv_features(vcpu->arch.cpuid_entries, vcpu->arch.cpuid_nent);
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

/*
 * msr.rst MSR_KVM_POLL_CONTROL: bit 0 set (the reset value) lets the host poll before it
 * puts a halted vCPU to sleep (virt/kvm/halt_poll.c); a guest that polls itself clears it.
 * Kept with or without an in-kernel local APIC, as on Linux KVM. 0, or 1 for #GP.
 */
int kvm_poll_control_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host)
{
	if (!kvm_pv_has(vcpu, KVM_FEATURE_POLL_CONTROL))
		return 1;
	if (!write) {
		*data = vcpu->arch.poll_control;
		return 0;
	}
	if (*data & ~1ULL)
		return 1;
	vcpu->arch.poll_control = *data;
	return 0;
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
	trace_kvm_hypercall(nr, a0, a1, a2, a3);
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
		/*
		 * a0: flags (reserved), a1: the APIC ID of the vCPU to wake from HLT; without an
		 * in-kernel local APIC nobody has that ID, the call still succeeds
		 */
		if (!kvm_pv_has(vcpu, KVM_FEATURE_PV_UNHALT))
			break;
		kvm_lapic_pv_kick(vcpu->kvm, a1);
		pv_yield_to(vcpu, a1);
		ret = 0;
		break;
	case KVM_HC_SEND_IPI:
		if (!kvm_pv_has(vcpu, KVM_FEATURE_PV_SEND_IPI))
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

/*
 * An intercepted #UD (both backends intercept it): the other vendor's hypercall instruction
 * at CS:RIP is patched and performed while KVM_X86_QUIRK_FIX_HYPERCALL_INSN is on (AMD APM
 * vol. 3 VMMCALL 0f 01 d9, Intel SDM vol. 2 VMCALL 0f 01 c1); any other #UD goes to the
 * guest. native is the backend's own instruction.
 */
int kvm_handle_ud(struct kvm_vcpu *vcpu, const u8 native[3])
{
	u8 insn[3], other[3] = { 0x0f, 0x01, native[2] == 0xd9 ? 0xc1 : 0xd9 };
	struct kvm_segment ss;
	u64 gpa;

	if (!kvm_quirk_enabled(vcpu->kvm, KVM_X86_QUIRK_FIX_HYPERCALL_INSN) ||
	    kvm_fetch_at_rip(vcpu, insn, sizeof(insn), &gpa) ||
	    memcmp(insn, other, sizeof(insn))) {
		kvm_queue_exception(vcpu, UD_VECTOR, false, 0);
		return 1;
	}
	/* the three bytes lie in one page when gpa is set (else a second page: not patched) */
	if (gpa != (u64)-1)
		kvm_write_guest(vcpu->kvm, gpa, native, 3);
	kvm_x86_vendor->get_segment(vcpu, &ss, VCPU_SREG_SS);
	kvm_emulate_hypercall(vcpu, ss.dpl);
	vcpu->arch.regs[VCPU_REGS_RIP] += 3;
	return 1;
}
EXPORT_SYMBOL_GPL(kvm_handle_ud);
