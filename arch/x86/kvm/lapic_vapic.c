// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_SET_VAPIC_ADDR (KVM_CAP_VAPIC; not described in api.rst): a guest-physical word
 * where the in-kernel local APIC mirrors its TPR and what the guest needs to decide
 * whether lowering TPR unmasks anything, for guests whose TPR accesses the VMM has patched
 * into plain memory accesses (QEMU's kvmvapic option ROM does this for 32-bit Windows,
 * which writes the TPR at every IRQL change). QEMU sets the address at every vCPU reset
 * (0: off) and aborts when the ioctl fails.
 *
 * The word, as QEMU's ROM reads it: byte 0 the TPR, byte 1 the in-service priority class
 * (highest ISR vector & 0xf0), byte 2 zero, byte 3 the highest requested vector (IRR). It
 * is written before each entry; after each exit byte 0 is taken back as the TPR, as the
 * guest may have written it.
 */
#include <linux/uaccess.h>

#include "x86.h"

long kvm_lapic_ioctl_set_vapic_addr(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_vapic_addr va;

	if (!vcpu->arch.apic)
		return -EINVAL;
	if (copy_from_user(&va, argp, sizeof(va)))
		return -EFAULT;
	/* the word must be guest RAM (a slot): EINVAL otherwise, as Linux KVM */
	if (va.vapic_addr) {
		u32 probe;

		if (kvm_read_guest(vcpu->kvm, va.vapic_addr, &probe, sizeof(probe)))
			return -EINVAL;
	}
	vcpu->arch.apic->vapic_addr = va.vapic_addr;
	return 0;
}

/* before an entry: publish TPR, in-service class and highest request */
void kvm_lapic_vapic_sync_to(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 data;

	if (!apic->vapic_addr)
		return;
	data = (apic_get_reg(apic, APIC_REG_TPR) & 0xff) |
	       ((max(kvm_lapic_highest_vec(apic, APIC_REG_ISR), 0) & 0xf0) << 8) |
	       (max(kvm_lapic_highest_vec(apic, APIC_REG_IRR), 0) << 24);
	/* a slot gone since KVM_SET_VAPIC_ADDR: the guest loses its mirror, nothing else */
	kvm_write_guest(vcpu->kvm, apic->vapic_addr, &data, sizeof(data));
}

/* after an exit: the TPR the guest wrote into the word */
void kvm_lapic_vapic_sync_from(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu->arch.apic;
	u32 data;

	if (!apic->vapic_addr || kvm_read_guest(vcpu->kvm, apic->vapic_addr, &data, sizeof(data)))
		return;
	kvm_lapic_set_tpr(apic, data & 0xff);
}
