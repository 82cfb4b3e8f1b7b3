// SPDX-License-Identifier: GPL-2.0-only
/*
 * Paravirtual interfaces: hypercalls (Documentation/virt/kvm/x86/hypercalls.rst). The
 * number is in RAX, arguments in RBX, RCX, RDX, RSI; the result goes to RAX. Only ring 0
 * may call (-KVM_EPERM otherwise); numbers not implemented answer -KVM_ENOSYS.
 */
#include <linux/kvm_para.h>
#include <linux/module.h>

#include "x86.h"

void kvm_emulate_hypercall(struct kvm_vcpu *vcpu, int cpl)
{
	unsigned long *regs = vcpu->arch.regs;
	unsigned long nr = regs[VCPU_REGS_RAX], ret;

	kvm_stat_inc(vcpu->arch.stat.hypercalls);
	if (cpl) {
		regs[VCPU_REGS_RAX] = (unsigned long)-KVM_EPERM;
		return;
	}
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		/* "a guest-side hook to make the host check for pending interrupts": a no-op */
		ret = 0;
		break;
	default:
		ret = (unsigned long)-KVM_ENOSYS;
		break;
	}
	regs[VCPU_REGS_RAX] = ret;
}
EXPORT_SYMBOL_GPL(kvm_emulate_hypercall);
