// SPDX-License-Identifier: GPL-2.0-only
/*
 * The machine-check architecture a guest sees (SDM vol. 3B chapter 15, APM vol. 2 chapter 9):
 * MCG_CAP/MCG_STATUS/MCG_CTL and the banks' CTL/STATUS/ADDR/MISC MSRs, with no error ever
 * reported by the hardware; KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_X86_SETUP_MCE and
 * KVM_X86_SET_MCE (api.rst 4.104-4.106, KVM_CAP_MCE) let the VMM shape it and inject
 * errors. QEMU turns MCE/MCA on in every guest's CPUID, and Linux panics ("MCA architectural
 * violation") when the MSRs the CPUID promises raise #GP.
 */
#include <linux/uaccess.h>
#include <asm/msr-index.h>

#include "x86.h"

#define MCG_BANKS_MASK		0xffULL
#define MCG_EXT_CNT_MASK	GENMASK_ULL(23, 16)
#define MCG_CTL_P		BIT_ULL(8)
#define MCG_SER_P		BIT_ULL(24)
#define MCG_STATUS_MCIP		BIT_ULL(2)
#define MCI_STATUS_VAL		BIT_ULL(63)
#define MCI_STATUS_OVER		BIT_ULL(62)
#define MCI_STATUS_UC		BIT_ULL(61)
#define HWCR_MCSTATUSWREN	BIT_ULL(18)
/* MCi_CTL bits a guest may leave clear (AMD: GART TLB walk errors, bit 10; bit 0), as KVM */
#define MCI_CTL_MAY_CLEAR	(BIT_ULL(10) | BIT_ULL(0))

static unsigned int mce_banks(const struct kvm_vcpu *vcpu)
{
	return vcpu->arch.mcg_cap & MCG_BANKS_MASK;
}

/* KVM's state at vCPU creation: every bank, no MCG_CTL, until KVM_X86_SETUP_MCE */
void kvm_mce_reset(struct kvm_vcpu *vcpu)
{
	vcpu->arch.mcg_cap = KVM_MAX_MCE_BANKS;
	vcpu->arch.mcg_status = 0;
	vcpu->arch.mcg_ctl = 0;
	memset(vcpu->arch.mce_banks, 0, sizeof(vcpu->arch.mce_banks));
}

/* 0, 1 for #GP, -ENOENT when not a machine-check MSR */
int kvm_mce_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	u32 off = index - MSR_IA32_MC0_CTL;

	switch (index) {
	case MSR_IA32_MCG_CAP:
		*data = vcpu->arch.mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = vcpu->arch.mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->arch.mcg_cap & MCG_CTL_P) && !host)
			return 1;
		*data = vcpu->arch.mcg_ctl;
		return 0;
	}
	if (index < MSR_IA32_MC0_CTL || index >= MSR_IA32_MCx_CTL(KVM_MAX_MCE_BANKS))
		return -ENOENT;
	if (off >= 4 * mce_banks(vcpu))
		return 1;
	*data = vcpu->arch.mce_banks[off];
	return 0;
}

int kvm_mce_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u32 off = index - MSR_IA32_MC0_CTL;

	switch (index) {
	case MSR_IA32_MCG_CAP:
		return 1;		/* read-only: the VMM sets it with KVM_X86_SETUP_MCE */
	case MSR_IA32_MCG_STATUS:
		vcpu->arch.mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->arch.mcg_cap & MCG_CTL_P) && (data || !host))
			return 1;
		/* SDM 15.3.1.3: all ones or all zeroes */
		if (data && data != ~0ULL)
			return 1;
		vcpu->arch.mcg_ctl = data;
		return 0;
	}
	if (index < MSR_IA32_MC0_CTL || index >= MSR_IA32_MCx_CTL(KVM_MAX_MCE_BANKS))
		return -ENOENT;
	if (off >= 4 * mce_banks(vcpu))
		return 1;
	switch (off & 3) {
	case 0:		/* CTL: all ones (a bank may leave some errors off), or zero */
		if (data && (data | MCI_CTL_MAY_CLEAR) != ~0ULL)
			return 1;
		break;
	case 1:		/* STATUS: the guest writes only 0, unless AMD's McStatusWrEn is on */
		if (!host && data && !(vcpu->arch.hwcr & HWCR_MCSTATUSWREN))
			return 1;
		break;
	}
	vcpu->arch.mce_banks[off] = data;
	return 0;
}

/* api.rst 4.105: banks and capability bits the VMM wants; every bank and MCG_CTL enabled */
static long setup_mce(struct kvm_vcpu *vcpu, u64 __user *argp)
{
	unsigned int bank;
	u64 cap;

	if (get_user(cap, argp))
		return -EFAULT;
	if (!(cap & MCG_BANKS_MASK) || (cap & MCG_BANKS_MASK) > KVM_MAX_MCE_BANKS)
		return -EINVAL;
	if (cap & ~(KVM_MCE_CAP_SUPPORTED | MCG_BANKS_MASK | MCG_EXT_CNT_MASK))
		return -EINVAL;
	vcpu->arch.mcg_cap = cap & kvm_x86_vendor->mcg_cap_mask;
	if (cap & MCG_CTL_P)
		vcpu->arch.mcg_ctl = ~0ULL;
	for (bank = 0; bank < (cap & MCG_BANKS_MASK); bank++)
		vcpu->arch.mce_banks[4 * bank] = ~0ULL;
	return 0;
}

/*
 * api.rst 4.106: an error in a bank, as the hardware would log it. An uncorrected one raises
 * #MC (SDM 15.10.1), unless the bank or MCG_CTL has reporting off; a second one while MCIP is
 * set, or with CR4.MCE clear, shuts the processor down (SDM 15.10.2). A corrected one is only
 * logged. A bank holding an earlier error gets OVER.
 */
static long set_mce(struct kvm_vcpu *vcpu, struct kvm_x86_mce __user *argp)
{
	struct kvm_x86_mce mce;
	u64 *bank;

	if (copy_from_user(&mce, argp, sizeof(mce)))
		return -EFAULT;
	/* an error without MCi_STATUS.VAL logs nothing: EINVAL, as Linux KVM */
	if (mce.bank >= mce_banks(vcpu) || !(mce.status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &vcpu->arch.mce_banks[4 * mce.bank];
	if (mce.status & MCI_STATUS_UC) {
		if ((vcpu->arch.mcg_cap & MCG_CTL_P) && vcpu->arch.mcg_ctl != ~0ULL)
			return 0;
		if (bank[0] != ~0ULL)
			return 0;
		if ((vcpu->arch.mcg_status & MCG_STATUS_MCIP) ||
		    !(kvm_x86_vendor->get_cr(vcpu, 4) & X86_CR4_MCE)) {
			vcpu->arch.events.triple_fault = true;
			return 0;
		}
		if (bank[1] & MCI_STATUS_VAL)
			mce.status |= MCI_STATUS_OVER;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		vcpu->arch.mcg_status = mce.mcg_status;
		bank[1] = mce.status;
		kvm_queue_exception(vcpu, MC_VECTOR, false, 0);
		return 0;
	}
	if ((bank[1] & MCI_STATUS_VAL) && !(bank[1] & MCI_STATUS_UC))
		mce.status |= MCI_STATUS_OVER;
	bank[2] = mce.addr;
	bank[3] = mce.misc;
	bank[1] = mce.status;
	return 0;
}

long kvm_vcpu_ioctl_mce(struct kvm_vcpu *vcpu, unsigned int ioctl, void __user *argp)
{
	if (ioctl == KVM_X86_SETUP_MCE)
		return setup_mce(vcpu, argp);
	return set_mce(vcpu, argp);
}

/* api.rst 4.104 */
long kvm_dev_ioctl_get_mce_cap(u64 __user *argp)
{
	return put_user((u64)KVM_MCE_CAP_SUPPORTED, argp) ? -EFAULT : 0;
}
