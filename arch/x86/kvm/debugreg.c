// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debug registers. DR0-3 of the guest live in the vCPU, DR6/DR7 in the VMCB (SVM switches
 * those). Guest MOV to/from DRn is intercepted until the guest first uses one; then it owns
 * the registers until the next exit (loaded before the entry, read back after it), and the
 * host's breakpoints are restored. When the guest's DR7 arms a breakpoint, DR0-3 are loaded
 * for every entry, so the breakpoint fires in the guest.
 * With KVM_GUESTDBG_USE_HW_BP the hardware holds the debugger's DR0-3 and DR7 instead; the
 * guest's DR accesses stay intercepted and are emulated on its own values.
 * api.rst 4.32/4.33 KVM_GET/SET_DEBUGREGS; SDM vol. 3B 17.2, APM vol. 2 13.1.
 */
#include <linux/mm.h>
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
	vcpu->arch.guest_dr7 = DR7_RESET;
	kvm_x86_vendor->set_dr(vcpu, 6, DR6_RESET);
	kvm_x86_vendor->set_dr(vcpu, 7, DR7_RESET);
}

/*
 * Before an entry, interrupts off: the guest's DR0-3 go into the hardware when the guest
 * owns them for this entry or has a breakpoint armed in DR7.
 */
void kvm_debugregs_load(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.guest_debug & KVM_GUESTDBG_USE_HW_BP) {
		set_debugreg(vcpu->arch.hwbp_db[0], 0);
		set_debugreg(vcpu->arch.hwbp_db[1], 1);
		set_debugreg(vcpu->arch.hwbp_db[2], 2);
		set_debugreg(vcpu->arch.hwbp_db[3], 3);
		return;
	}
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

static bool hwbp(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.guest_debug & KVM_GUESTDBG_USE_HW_BP;
}

/* the guest's DR7, wherever it is */
static u64 guest_dr7(struct kvm_vcpu *vcpu)
{
	return hwbp(vcpu) ? vcpu->arch.guest_dr7 : kvm_x86_vendor->get_dr(vcpu, 7);
}

static void set_guest_dr7(struct kvm_vcpu *vcpu, u64 dr7)
{
	dr7 = (dr7 & ~DR7_MBZ) | DR7_RESET;
	if (hwbp(vcpu))
		vcpu->arch.guest_dr7 = dr7;
	else
		kvm_x86_vendor->set_dr(vcpu, 7, dr7);
}

/*
 * The bytes at CS:RIP, up to len of them (to the end of the page and the next one); with
 * gpa, the guest-physical address of the first byte when all of them lie in its page, else -1.
 */
int kvm_fetch_at_rip(struct kvm_vcpu *vcpu, u8 *buf, unsigned int len, u64 *first_gpa)
{
	struct kvm_segment cs, ss;
	unsigned int done = 0, n;
	u32 pf_error;
	u64 gpa, linear;

	kvm_x86_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	kvm_x86_vendor->get_segment(vcpu, &ss, VCPU_SREG_SS);
	linear = vcpu->arch.regs[VCPU_REGS_RIP] + (cs.l ? 0 : cs.base);
	if (!cs.l)
		linear = (u32)linear;
	if (first_gpa)
		*first_gpa = (u64)-1;
	while (done < len) {
		n = min_t(unsigned int, len - done, PAGE_SIZE - offset_in_page(linear + done));
		if (kvm_gva_to_gpa(vcpu, linear + done, BIT(4) | (ss.dpl == 3 ? BIT(2) : 0),
				   &gpa, &pf_error) ||
		    kvm_read_guest(vcpu->kvm, gpa, buf + done, n))
			return -EFAULT;
		if (first_gpa && !done && n == len)
			*first_gpa = gpa;
		done += n;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(kvm_fetch_at_rip);

/* segment overrides, operand/address size, REP (SDM vol. 2 2.1.1); LOCK makes it #UD */
static bool is_legacy_prefix(u8 b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

/*
 * MOV to/from DRn (SDM vol. 2 "MOV - Move to/from Debug Registers": 0F 21 /r reads, 0F 23 /r
 * writes, the r/m field always a general-purpose register, 64-bit in 64-bit mode, else 32)
 * emulated on the guest's own values while the debugger's breakpoints are in the hardware.
 * #UD for DR8-15 and, with CR4.DE, DR4/DR5 (else aliases of DR6/DR7); #GP(0) at CPL > 0 and
 * for a DR6/DR7 write with bits 63:32 set.
 */
static int emulate_mov_dr(struct kvm_vcpu *vcpu)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	unsigned long *regs = vcpu->arch.regs;
	struct kvm_segment cs, ss;
	unsigned int i = 0, dr, gpr;
	u8 insn[15], rex = 0;
	bool write;
	u64 val;

	ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	ops->get_segment(vcpu, &ss, VCPU_SREG_SS);
	if (kvm_fetch_at_rip(vcpu, insn, 4, NULL))
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       regs[VCPU_REGS_RIP]);
	/* a prefix or REX before 0F: fetch the rest */
	if (insn[0] != 0x0f && kvm_fetch_at_rip(vcpu, insn, sizeof(insn), NULL))
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       regs[VCPU_REGS_RIP]);
	while (i < sizeof(insn) - 3 && is_legacy_prefix(insn[i]))
		i++;
	if (cs.l && (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if (insn[i] != 0x0f || (insn[i + 1] != 0x21 && insn[i + 1] != 0x23))
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       regs[VCPU_REGS_RIP]);
	write = insn[i + 1] == 0x23;
	dr = ((insn[i + 2] >> 3) & 7) | (rex & 4 ? 8 : 0);
	gpr = (insn[i + 2] & 7) | (rex & 1 ? 8 : 0);

	if (dr > 7 || ((dr == 4 || dr == 5) && (ops->get_cr(vcpu, 4) & X86_CR4_DE))) {
		kvm_queue_exception(vcpu, UD_VECTOR, false, 0);
		return 1;
	}
	if (dr == 4 || dr == 5)
		dr += 2;
	val = cs.l ? regs[gpr] : (u32)regs[gpr];
	if ((ss.dpl && (ops->get_cr(vcpu, 0) & X86_CR0_PE)) ||
	    (write && dr >= 6 && (val >> 32))) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	if (write) {
		if (dr < 4)
			vcpu->arch.db[dr] = val;
		else if (dr == 6)
			ops->set_dr(vcpu, 6, val | DR6_RESERVED);
		else
			set_guest_dr7(vcpu, val);
	} else {
		val = dr < 4 ? vcpu->arch.db[dr] : dr == 6 ? ops->get_dr(vcpu, 6) : guest_dr7(vcpu);
		regs[gpr] = cs.l ? val : (u32)val;
	}
	regs[VCPU_REGS_RIP] += i + 3;
	ops->set_interrupt_shadow(vcpu, 0);
	return 1;
}

/*
 * An intercepted MOV to or from a debug register: rather than decoding and emulating it,
 * let the guest own the debug registers until the next exit and run the instruction again
 * (RIP unchanged), natively, with its DR0-3 loaded. Not while the debugger's breakpoints
 * are in the hardware: then it is emulated.
 */
int kvm_handle_dr_access(struct kvm_vcpu *vcpu)
{
	if (hwbp(vcpu))
		return emulate_mov_dr(vcpu);
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
	dr.dr7 = guest_dr7(vcpu);
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
	set_guest_dr7(vcpu, dr.dr7);
	return 0;
}

/*
 * api.rst 4.87 KVM_SET_GUEST_DEBUG. Single-step sets RFLAGS.TF for as long as it is on
 * (hidden from KVM_GET_REGS) and makes every #DB exit with KVM_EXIT_DEBUG; software
 * breakpoints make #BP exit likewise. Hardware breakpoints (KVM_GUESTDBG_USE_HW_BP, DR0-3
 * and DR7 in debugreg[0-3] and [7]) go into the hardware in place of the guest's: a #DB they
 * raise exits with KVM_EXIT_DEBUG and the DR6 bits; the guest's own breakpoints are off
 * meanwhile and its DR accesses act on its saved values.
 */
long kvm_vcpu_ioctl_set_guest_debug(struct kvm_vcpu *vcpu, struct kvm_guest_debug __user *u)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	struct kvm_guest_debug dbg;
	u64 rflags;

	if (copy_from_user(&dbg, u, sizeof(dbg)))
		return -EFAULT;
	/*
	 * Control bits KVM does not know are ignored, not refused: Linux KVM on x86 accepts
	 * them (6.1; KVM_CAP_SET_GUEST_DEBUG2 only tells which ones mean something).
	 */
	dbg.control &= KVM_GUESTDBG_SUPPORTED;
	if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (vcpu->arch.events.exception.pending || vcpu->arch.events.exception.injected)
			return -EBUSY;
		kvm_queue_exception(vcpu, dbg.control & KVM_GUESTDBG_INJECT_DB ? DB_VECTOR :
				    BP_VECTOR, false, 0);
	}
	if (!(dbg.control & KVM_GUESTDBG_ENABLE))
		dbg.control = 0;

	rflags = kvm_get_rflags(vcpu);
	if ((dbg.control & KVM_GUESTDBG_USE_HW_BP) && !hwbp(vcpu))
		vcpu->arch.guest_dr7 = ops->get_dr(vcpu, 7);
	else if (!(dbg.control & KVM_GUESTDBG_USE_HW_BP) && hwbp(vcpu))
		ops->set_dr(vcpu, 7, vcpu->arch.guest_dr7);
	vcpu->arch.guest_debug = dbg.control;
	if (hwbp(vcpu)) {
		memcpy(vcpu->arch.hwbp_db, dbg.arch.debugreg, sizeof(vcpu->arch.hwbp_db));
		/* bits 63:32 are reserved (the entry would fail): dropped, as the MBZ ones */
		ops->set_dr(vcpu, 7, (u32)(dbg.arch.debugreg[7] & ~DR7_MBZ) | DR7_RESET);
		ops->set_dr_intercept(vcpu, true);
	}
	kvm_set_rflags(vcpu, rflags);
	ops->update_exception_intercepts(vcpu);
	return 0;
}

/* B0-B3 of a breakpoint the debugger armed (KVM_GUESTDBG_USE_HW_BP) */
bool kvm_db_is_debuggers(struct kvm_vcpu *vcpu, u64 dr6)
{
	u64 dr7 = kvm_x86_vendor->get_dr(vcpu, 7);
	int i;

	if (!hwbp(vcpu))
		return false;
	for (i = 0; i < 4; i++)
		if ((dr6 & BIT(i)) && (dr7 & (3ULL << (2 * i))))
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(kvm_db_is_debuggers);

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
