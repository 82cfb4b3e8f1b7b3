// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debug registers. DR0-3 of the guest live in the vCPU, DR6/DR7 in the VMCB (SVM switches
 * those). Guest MOV to/from DRn is intercepted until the guest first uses one; then it owns
 * the registers until the next exit (loaded before the entry, read back after it), and the
 * host's breakpoints are restored. When the guest's DR7 arms a breakpoint, DR0-3 are loaded
 * for every entry, so the breakpoint fires in the guest.
 * api.rst 4.32/4.33 KVM_GET/SET_DEBUGREGS; SDM vol. 3B 17.2, APM vol. 2 13.1.
 */
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/hw_breakpoint.h>

#include "x86.h"

#define DR7_ENABLE_MASK		0xffULL		/* L0-3, G0-3 */
#define DR6_RESET		0xffff0ff0ULL
#define DR7_RESET		0x400ULL	/* bit 10 reads as 1 */
#define DR7_MBZ			(BIT_ULL(11) | BIT_ULL(12) | BIT_ULL(14) | BIT_ULL(15))

void kvm_debugregs_reset(struct kvm_vcpu *vcpu)
{
	memset(vcpu->arch.db, 0, sizeof(vcpu->arch.db));
	kvm_x86_vendor->set_dr(vcpu, 6, DR6_RESET);
	kvm_x86_vendor->set_dr(vcpu, 7, DR7_RESET);
}

/*
 * Before an entry, interrupts off: the guest's DR0-3 go into the hardware when the guest
 * owns them for this entry or has a breakpoint armed in DR7.
 */
void kvm_debugregs_load(struct kvm_vcpu *vcpu)
{
	if (!vcpu->arch.dr_passthrough &&
	    !(kvm_x86_vendor->get_dr(vcpu, 7) & DR7_ENABLE_MASK))
		return;
	set_debugreg(vcpu->arch.db[0], 0);
	set_debugreg(vcpu->arch.db[1], 1);
	set_debugreg(vcpu->arch.db[2], 2);
	set_debugreg(vcpu->arch.db[3], 3);
}

/*
 * After the exit, interrupts off: take back what the guest did to DR0-3 while it owned
 * them and intercept its DR accesses again; then give the host its breakpoints back.
 */
void kvm_debugregs_save(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.dr_passthrough) {
		get_debugreg(vcpu->arch.db[0], 0);
		get_debugreg(vcpu->arch.db[1], 1);
		get_debugreg(vcpu->arch.db[2], 2);
		get_debugreg(vcpu->arch.db[3], 3);
		vcpu->arch.dr_passthrough = false;
		kvm_x86_vendor->set_dr_intercept(vcpu, true);
	}
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}

/*
 * An intercepted MOV to or from a debug register: rather than decoding and emulating it,
 * let the guest own the debug registers until the next exit and run the instruction again
 * (RIP unchanged), natively, with its DR0-3 loaded.
 */
int kvm_handle_dr_access(struct kvm_vcpu *vcpu)
{
	vcpu->arch.dr_passthrough = true;
	kvm_x86_vendor->set_dr_intercept(vcpu, false);
	return 1;
}
EXPORT_SYMBOL_GPL(kvm_handle_dr_access);

long kvm_vcpu_ioctl_get_debugregs(struct kvm_vcpu *vcpu, struct kvm_debugregs __user *udr)
{
	struct kvm_debugregs dr = { 0 };

	memcpy(dr.db, vcpu->arch.db, sizeof(dr.db));
	dr.dr6 = kvm_x86_vendor->get_dr(vcpu, 6);
	dr.dr7 = kvm_x86_vendor->get_dr(vcpu, 7);
	return copy_to_user(udr, &dr, sizeof(dr)) ? -EFAULT : 0;
}

long kvm_vcpu_ioctl_set_debugregs(struct kvm_vcpu *vcpu, struct kvm_debugregs __user *udr)
{
	struct kvm_debugregs dr;

	if (copy_from_user(&dr, udr, sizeof(dr)))
		return -EFAULT;
	if (dr.flags || (dr.dr6 >> 32) || (dr.dr7 >> 32))
		return -EINVAL;
	memcpy(vcpu->arch.db, dr.db, sizeof(dr.db));
	kvm_x86_vendor->set_dr(vcpu, 6, dr.dr6 | DR6_RESERVED);
	kvm_x86_vendor->set_dr(vcpu, 7, (dr.dr7 & ~DR7_MBZ) | DR7_RESET);
	return 0;
}

/*
 * api.rst 4.87 KVM_SET_GUEST_DEBUG. Single-step sets RFLAGS.TF for as long as it is on
 * (hidden from KVM_GET_REGS) and makes every #DB exit with KVM_EXIT_DEBUG; software
 * breakpoints make #BP exit likewise. Hardware breakpoints (KVM_GUESTDBG_USE_HW_BP) are not
 * offered: KVM_CAP_SET_GUEST_DEBUG2 leaves them out and the ioctl refuses them.
 */
long kvm_vcpu_ioctl_set_guest_debug(struct kvm_vcpu *vcpu, struct kvm_guest_debug __user *u)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	struct kvm_guest_debug dbg;
	u64 rflags;

	if (copy_from_user(&dbg, u, sizeof(dbg)))
		return -EFAULT;
	if (dbg.control & ~KVM_GUESTDBG_SUPPORTED)
		return -EINVAL;
	if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (vcpu->arch.events.exception.pending || vcpu->arch.events.exception.injected)
			return -EBUSY;
		kvm_queue_exception(vcpu, dbg.control & KVM_GUESTDBG_INJECT_DB ? DB_VECTOR :
				    BP_VECTOR, false, 0);
	}
	if (!(dbg.control & KVM_GUESTDBG_ENABLE))
		dbg.control = 0;

	rflags = kvm_get_rflags(vcpu);
	vcpu->arch.guest_debug = dbg.control;
	kvm_set_rflags(vcpu, rflags);
	ops->update_exception_intercepts(vcpu);
	return 0;
}

/* RFLAGS as the guest has it: without the TF that KVM_GUESTDBG_SINGLESTEP adds */
u64 kvm_get_rflags(struct kvm_vcpu *vcpu)
{
	u64 rflags = kvm_x86_vendor->get_rflags(vcpu);

	if (vcpu->arch.guest_debug & KVM_GUESTDBG_SINGLESTEP)
		rflags &= ~X86_EFLAGS_TF;
	return rflags;
}

void kvm_set_rflags(struct kvm_vcpu *vcpu, u64 rflags)
{
	if (vcpu->arch.guest_debug & KVM_GUESTDBG_SINGLESTEP)
		rflags |= X86_EFLAGS_TF;
	kvm_x86_vendor->set_rflags(vcpu, rflags);
}

/*
 * A #DB (trap or fault) or #BP the backend intercepted for the debugger: KVM_EXIT_DEBUG
 * with the address of the instruction (api.rst "kvm_debug_exit_arch").
 */
int kvm_exit_debug(struct kvm_vcpu *vcpu, u32 exception, u64 dr6)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_segment cs;

	kvm_x86_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.exception = exception;
	run->debug.arch.pc = cs.base + vcpu->arch.regs[VCPU_REGS_RIP];
	run->debug.arch.dr6 = dr6;
	run->debug.arch.dr7 = kvm_x86_vendor->get_dr(vcpu, 7);
	return 0;
}
EXPORT_SYMBOL_GPL(kvm_exit_debug);
