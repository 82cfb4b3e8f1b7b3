// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's TSC frequency (api.rst 4.55 KVM_SET_TSC_KHZ, 4.56 KVM_GET_TSC_KHZ, on a vCPU
 * and on the VM for the vCPUs created after).
 *
 * No TSC scaling is used (the backends do not program a TSC ratio), so the guest's TSC ticks
 * at the host's rate. A requested rate within tsc_tolerance_ppm of the host's is that rate
 * as far as a guest can tell, and is accepted. A faster one is emulated as Linux KVM does
 * without scaling hardware: before each entry the TSC offset catches the guest's TSC up to
 * where the requested rate would have brought it since the rate was set ("catchup"), so
 * it runs at the requested rate on average, at the host's between two entries; each catchup
 * rewrites the kvmclock page, whose scale stays the host TSC's. A slower rate cannot be
 * given (the TSC would have to go back): EINVAL. As on Linux KVM the vCPU reports the rate
 * asked for even then, and 0 means the host's rate.
 */
#include <linux/math64.h>
#include <linux/module.h>
#include <asm/tsc.h>

#include "x86.h"

static unsigned int tsc_tolerance_ppm = 250;
module_param(tsc_tolerance_ppm, uint, 0644);
MODULE_PARM_DESC(tsc_tolerance_ppm,
		 "Guest TSC rates within this many ppm of the host's are taken as the host's");

static bool rate_within_tolerance(u32 khz)
{
	u64 tol = div_u64((u64)tsc_khz * READ_ONCE(tsc_tolerance_ppm), 1000000);

	return khz >= tsc_khz - min_t(u64, tol, tsc_khz) && khz <= tsc_khz + tol;
}

/* the rate the guest's TSC runs at, on average (LAPIC TSC-deadline timer) */
u32 kvm_vcpu_tsc_khz(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.tsc_catchup ? vcpu->arch.virtual_tsc_khz : tsc_khz;
}

/* the TSC offset was set (MSR, KVM_VCPU_TSC_OFFSET, INIT): catch up from here on */
void kvm_tsc_rebase(struct kvm_vcpu *vcpu)
{
	vcpu->arch.tsc_catchup_ns = ktime_get_ns();
	vcpu->arch.tsc_catchup_tsc = kvm_guest_tsc(vcpu);
}

/* vcpu: 0, or -EINVAL for a rate the host cannot give */
int kvm_vcpu_set_tsc_khz(struct kvm_vcpu *vcpu, u32 khz)
{
	if (!tsc_khz)
		return -EINVAL;
	if (!khz)
		khz = tsc_khz;
	vcpu->arch.virtual_tsc_khz = khz;
	vcpu->arch.tsc_catchup = false;
	if (rate_within_tolerance(khz))
		return 0;
	if (khz < tsc_khz)
		return -EINVAL;
	kvm_tsc_rebase(vcpu);
	vcpu->arch.tsc_catchup = true;
	return 0;
}

/* Before an entry, preemptible: the guest's TSC forward to the requested rate's value */
void kvm_tsc_catchup(struct kvm_vcpu *vcpu)
{
	u64 want, now;

	if (!vcpu->arch.tsc_catchup)
		return;
	want = vcpu->arch.tsc_catchup_tsc +
	       mul_u64_u32_div(ktime_get_ns() - vcpu->arch.tsc_catchup_ns,
			       vcpu->arch.virtual_tsc_khz, 1000000);
	now = kvm_guest_tsc(vcpu);
	if ((s64)(want - now) <= 0)
		return;
	/* not kvm_set_tsc_offset(): that would rebase */
	kvm_x86_vendor->set_tsc_offset(vcpu, kvm_x86_vendor->get_tsc_offset(vcpu) + want - now);
	kvmclock_request_update(vcpu);
}

long kvm_vcpu_ioctl_tsc_khz(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg)
{
	if (ioctl == KVM_SET_TSC_KHZ)
		return kvm_vcpu_set_tsc_khz(vcpu, (u32)arg);
	/* api.rst 4.56: -EIO when the host has no usable TSC */
	return vcpu->arch.virtual_tsc_khz ? vcpu->arch.virtual_tsc_khz : -EIO;
}

/* The VM's rate for vCPUs created after; 0 means the host's */
long kvm_vm_ioctl_tsc_khz(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	if (ioctl == KVM_GET_TSC_KHZ)
		return READ_ONCE(kvm->arch.default_tsc_khz);
	WRITE_ONCE(kvm->arch.default_tsc_khz, (u32)arg ? (u32)arg : tsc_khz);
	return 0;
}

void kvm_tsc_init_vm(struct kvm *kvm)
{
	kvm->arch.default_tsc_khz = tsc_khz;
}

/* a new vCPU: the VM's rate (a slower one leaves its TSC at the host's, as on Linux KVM) */
void kvm_tsc_init_vcpu(struct kvm_vcpu *vcpu)
{
	kvm_vcpu_set_tsc_khz(vcpu, READ_ONCE(vcpu->kvm->arch.default_tsc_khz));
}
