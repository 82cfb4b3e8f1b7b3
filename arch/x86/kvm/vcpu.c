// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 vCPUs: creation, RESET state, and the state ioctls (api.rst 4.11-4.14 REGS/SREGS,
 * 4.18-4.19 MSRS, 4.22-4.23 FPU, 4.38-4.39 MP_STATE, 4.42-4.45 XSAVE/XCRS, 4.73 CPUID2).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>

#include "compat.h"
#include "x86.h"
#include "kvm_trace.h"

/* RDX after RESET holds the processor signature; KVM reports family 6 (api.rst) */
#define RESET_RDX		0x600
#define CR0_RESERVED_HIGH	GENMASK_ULL(63, 32)
#define CR4_SUPPORTED		(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | \
				 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | \
				 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
				 X86_CR4_FSGSBASE | X86_CR4_PCIDE | X86_CR4_OSXSAVE | \
				 X86_CR4_SMEP | X86_CR4_SMAP)

/* Under kvm->lock, before the vCPU is allocated */
int kvm_arch_vcpu_precreate(struct kvm *kvm, unsigned int id)
{
	if (!kvm_x86_vendor->vcpu_create || !kvm_vm_vcpu_id_allowed(kvm, id))
		return -EINVAL;
	return 0;
}

/*
 * RESET (init false) or INIT (SDM vol. 3A 10.1.1 table 10-1). EDX holds the processor
 * signature, CPUID.01H:EAX of the guest's CPUID (KVM's 0x600 without one, as at creation);
 * INIT leaves CR0.CD and CR0.NW as they were, and the debugger's KVM_SET_GUEST_DEBUG.
 */
void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init)
{
	const struct kvm_cpuid_entry2 *sig = kvm_find_cpuid_entry(vcpu, 1, 0);
	u64 tsc_offset = kvm_x86_vendor->get_tsc_offset(vcpu);
	u64 cr0 = init ? kvm_x86_vendor->get_cr(vcpu, 0) : 0;

	memset(vcpu->arch.regs, 0, sizeof(vcpu->arch.regs));
	vcpu->arch.regs[VCPU_REGS_RDX] = sig ? sig->eax : RESET_RDX;
	kvm_x86_vendor->vcpu_reset(vcpu);
	if (init)
		kvm_x86_vendor->set_cr(vcpu, 0, X86_CR0_ET | (cr0 & (X86_CR0_CD | X86_CR0_NW)));
	kvm_debugregs_reset(vcpu);
	kvm_events_reset(vcpu);
	if (!init)
		vcpu->arch.guest_debug = 0;
	kvm_x86_vendor->update_exception_intercepts(vcpu);
	if (init)
		kvm_set_tsc_offset(vcpu, tsc_offset);
	else
		kvm_msr_reset(vcpu);
	kvm_lapic_reset(vcpu, init);
	vcpu->arch.xcr0 = XFEATURE_MASK_FP;
	/* api.rst 4.38: with an in-kernel LAPIC, APs wait for INIT/SIPI */
	vcpu->arch.mp_state = vcpu->arch.apic && !(vcpu->arch.apic_base & MSR_IA32_APICBASE_BSP) ?
			      KVM_MP_STATE_UNINITIALIZED : KVM_MP_STATE_RUNNABLE;
	vcpu->arch.pio_in_pending = false;
	vcpu->arch.msr_user.pending = false;
}
EXPORT_SYMBOL_GPL(kvm_vcpu_reset);

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	int r;

	if (!fpu_alloc_guest_fpstate(&vcpu->arch.guest_fpu))
		return -ENOMEM;
	/* the intercepts the backend sets up follow it (vm_config.c) */
	vcpu->arch.disabled_exits = READ_ONCE(vcpu->kvm->arch.disabled_exits);
	r = kvm_x86_vendor->vcpu_create(vcpu);
	if (r) {
		fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
		return r;
	}
	vcpu->arch.last_cpu = -1;
	vcpu->arch.clock_cpu = -1;
	r = kvm_lapic_create(vcpu);
	if (r) {
		kvm_x86_vendor->vcpu_free(vcpu);
		fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
		return r;
	}
	kvm_vcpu_reset(vcpu, false);
	kvm_tsc_init_vcpu(vcpu);
	return 0;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_lapic_free(vcpu);
	kvm_x86_vendor->vcpu_free(vcpu);
	kvm_tdp_vcpu_free(vcpu);
	kvm_cpuid_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->arch.guest_fpu);
}

void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	kvm_x86_vendor->vcpu_load(vcpu, cpu);
	/* another host CPU, maybe another TSC: kvmclock.c samples again */
	if (vcpu->arch.clock_cpu != cpu) {
		vcpu->arch.clock_cpu = cpu;
		kvmclock_request_update(vcpu);
	}
	kvm_steal_time_load(vcpu);
}

void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu)
{
	kvm_steal_time_put(vcpu);
	kvm_x86_vendor->vcpu_put(vcpu);
}

/* KVM_GET_REGS, and kvm_run->s.regs.regs (KVM_SYNC_X86_REGS) */
void kvm_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *r)
{
	unsigned long *g = vcpu->arch.regs;

	r->rax = g[VCPU_REGS_RAX]; r->rbx = g[VCPU_REGS_RBX];
	r->rcx = g[VCPU_REGS_RCX]; r->rdx = g[VCPU_REGS_RDX];
	r->rsi = g[VCPU_REGS_RSI]; r->rdi = g[VCPU_REGS_RDI];
	r->rsp = g[VCPU_REGS_RSP]; r->rbp = g[VCPU_REGS_RBP];
	r->r8 = g[VCPU_REGS_R8]; r->r9 = g[VCPU_REGS_R9];
	r->r10 = g[VCPU_REGS_R10]; r->r11 = g[VCPU_REGS_R11];
	r->r12 = g[VCPU_REGS_R12]; r->r13 = g[VCPU_REGS_R13];
	r->r14 = g[VCPU_REGS_R14]; r->r15 = g[VCPU_REGS_R15];
	r->rip = g[VCPU_REGS_RIP];
	r->rflags = kvm_get_rflags(vcpu);
}

void kvm_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *r)
{
	unsigned long *g = vcpu->arch.regs;

	g[VCPU_REGS_RAX] = r->rax; g[VCPU_REGS_RBX] = r->rbx;
	g[VCPU_REGS_RCX] = r->rcx; g[VCPU_REGS_RDX] = r->rdx;
	g[VCPU_REGS_RSI] = r->rsi; g[VCPU_REGS_RDI] = r->rdi;
	g[VCPU_REGS_RSP] = r->rsp; g[VCPU_REGS_RBP] = r->rbp;
	g[VCPU_REGS_R8] = r->r8; g[VCPU_REGS_R9] = r->r9;
	g[VCPU_REGS_R10] = r->r10; g[VCPU_REGS_R11] = r->r11;
	g[VCPU_REGS_R12] = r->r12; g[VCPU_REGS_R13] = r->r13;
	g[VCPU_REGS_R14] = r->r14; g[VCPU_REGS_R15] = r->r15;
	g[VCPU_REGS_RIP] = r->rip;
	/* bit 1 of RFLAGS always reads 1 (SDM vol. 1, 3.4.3) */
	kvm_set_rflags(vcpu, r->rflags | X86_EFLAGS_FIXED);
}

/* KVM_GET_SREGS, and kvm_run->s.regs.sregs (KVM_SYNC_X86_SREGS) */
void kvm_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *s)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;

	memset(s, 0, sizeof(*s));
	ops->get_segment(vcpu, &s->cs, VCPU_SREG_CS);
	ops->get_segment(vcpu, &s->ds, VCPU_SREG_DS);
	ops->get_segment(vcpu, &s->es, VCPU_SREG_ES);
	ops->get_segment(vcpu, &s->fs, VCPU_SREG_FS);
	ops->get_segment(vcpu, &s->gs, VCPU_SREG_GS);
	ops->get_segment(vcpu, &s->ss, VCPU_SREG_SS);
	ops->get_segment(vcpu, &s->tr, VCPU_SREG_TR);
	ops->get_segment(vcpu, &s->ldt, VCPU_SREG_LDTR);
	ops->get_dtable(vcpu, &s->idt, true);
	ops->get_dtable(vcpu, &s->gdt, false);
	s->cr0 = ops->get_cr(vcpu, 0);
	s->cr2 = ops->get_cr(vcpu, 2);
	s->cr3 = ops->get_cr(vcpu, 3);
	s->cr4 = ops->get_cr(vcpu, 4);
	s->efer = ops->get_efer(vcpu);
	s->cr8 = ops->get_cr(vcpu, 8);
	s->apic_base = vcpu->arch.apic_base;
	/*
	 * api.rst 4.13 interrupt_bitmap: the external interrupt acknowledged but not injected
	 * yet (KVM_INTERRUPT, or one whose delivery an exit cut short), at most one bit
	 */
	if (vcpu->arch.events.interrupt.injected)
		__set_bit(vcpu->arch.events.interrupt.nr, (unsigned long *)s->interrupt_bitmap);
}

/* The CR4 bits that depend on a CPUID feature, and that feature (leaf 1 or 7.0) */
static const struct {
	u64 cr4;
	u32 function;
	int reg;
	u32 bit;
	u16 host_feature;
} cr4_features[] = {
	{ X86_CR4_OSXSAVE,  1, CPUID_REG_ECX, BIT(26), X86_FEATURE_XSAVE },
	{ X86_CR4_PCIDE,    1, CPUID_REG_ECX, BIT(17), X86_FEATURE_PCID },
	{ X86_CR4_FSGSBASE, 7, CPUID_REG_EBX, BIT(0),  X86_FEATURE_FSGSBASE },
	{ X86_CR4_SMEP,     7, CPUID_REG_EBX, BIT(7),  X86_FEATURE_SMEP },
	{ X86_CR4_SMAP,     7, CPUID_REG_EBX, BIT(20), X86_FEATURE_SMAP },
};

/*
 * CR4 bits the guest may not set: unsupported ones, and those its CPUID does not offer.
 * Before KVM_SET_CPUID2 there is no CPU model yet: as KVM, every bit we support on this
 * host is allowed then (Linux's set_sregs_test sets them all on a vCPU without CPUID).
 */
u64 kvm_cr4_reserved(struct kvm_vcpu *vcpu)
{
	u64 rsvd = ~(u64)CR4_SUPPORTED;
	bool model = vcpu->arch.cpuid_nent > 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(cr4_features); i++) {
		bool has = model ? kvm_guest_has(vcpu, cr4_features[i].function, 0,
						 cr4_features[i].reg, cr4_features[i].bit) :
				   boot_cpu_has(cr4_features[i].host_feature);

		if (!has)
			rsvd |= cr4_features[i].cr4;
	}
	return rsvd;
}
EXPORT_SYMBOL_GPL(kvm_cr4_reserved);

/*
 * The four PAE page-directory-pointer-table entries at cr3[31:5] (SDM vol. 3A 4.4.1): 0,
 * -EINVAL when a present one has a reserved bit (2:1, 8:5, MAXPHYADDR-63), -EFAULT when no
 * memory backs them.
 */
int kvm_read_pae_pdptrs(struct kvm_vcpu *vcpu, u64 cr3, u64 pdpte[4])
{
	u64 rsvd = 0x1e6 | GENMASK_ULL(63, kvm_guest_maxphyaddr(vcpu));
	int i, r;

	r = kvm_read_guest(vcpu->kvm, cr3 & 0xffffffe0, pdpte, 4 * sizeof(u64));
	for (i = 0; i < 4 && !r; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
			r = -EINVAL;
	return r;
}
EXPORT_SYMBOL_GPL(kvm_read_pae_pdptrs);

/*
 * With PAE paging on after a MOV to CR0 that changed PG, CD or NW (EFER.LME clear), or to
 * CR4 that changed PAE, PGE, PSE or SMEP, the CPU loads the PDPTEs and the MOV #GPs on a bad
 * one (SDM vol. 3A 4.4.1). AMD CPUs check PDPTEs as they walk them instead, but Linux KVM
 * applies Intel's rule on both vendors, and so does this (the differential test against
 * stock showed it). The VMX backend loads them into the VMCS itself (vmx/pae.c).
 */
static bool pae_pdptrs_fault(struct kvm_vcpu *vcpu, u64 cr0, u64 cr4, u64 efer)
{
	u64 pdpte[4];

	if (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE) || (efer & EFER_LME))
		return false;
	return kvm_read_pae_pdptrs(vcpu, kvm_x86_vendor->get_cr(vcpu, 3), pdpte) != 0;
}

/*
 * MOV to CR4 (0F 22 /r, reg 4), intercepted so that the guest's CPUID, not the host CPU,
 * decides which bits exist (as on Linux KVM: a bit the CPUID does not offer is #GP(0)).
 * Without decode assists the instruction is read at RIP: legacy prefixes, REX in 64-bit
 * mode, then the opcode; the r/m field is a general-purpose register (64-bit in 64-bit
 * mode, else 32). #GP(0) also at CPL > 0 and VM86, for PAE cleared in long mode, and for
 * PCIDE set outside long mode or with CR3[11:0] not 0 (SDM vol. 3A 2.5, 4.10.1). The guest's
 * TLB is flushed: a CR4 write that changes paging bits does so on the CPU.
 */
int kvm_emulate_mov_cr4(struct kvm_vcpu *vcpu)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	unsigned long *regs = vcpu->arch.regs;
	u64 val, old = ops->get_cr(vcpu, 4), efer = ops->get_efer(vcpu);
	struct kvm_segment cs, ss;
	unsigned int i = 0;
	u8 insn[15], rex = 0;

	ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	ops->get_segment(vcpu, &ss, VCPU_SREG_SS);
	if (kvm_fetch_at_rip(vcpu, insn, 3, NULL))
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       regs[VCPU_REGS_RIP]);
	if (insn[0] != 0x0f && kvm_fetch_at_rip(vcpu, insn, sizeof(insn), NULL))
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       regs[VCPU_REGS_RIP]);
	for (; i < sizeof(insn) - 3; i++) {
		u8 b = insn[i];

		if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e && b != 0x64 &&
		    b != 0x65 && b != 0x66 && b != 0x67 && b != 0xf2 && b != 0xf3)
			break;
	}
	if (cs.l && (efer & EFER_LMA) && (insn[i] & 0xf0) == 0x40)
		rex = insn[i++];
	if (insn[i] != 0x0f || insn[i + 1] != 0x22 || ((insn[i + 2] >> 3) & 7) != 4 ||
	    (rex & 4))
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					       regs[VCPU_REGS_RIP]);
	val = regs[(insn[i + 2] & 7) | (rex & 1 ? 8 : 0)];
	if (!(cs.l && (efer & EFER_LMA)))
		val = (u32)val;
	trace_kvm_cr_write(4, val);
	if ((kvm_get_rflags(vcpu) & X86_EFLAGS_VM) ||
	    (ss.dpl && (ops->get_cr(vcpu, 0) & X86_CR0_PE)) ||
	    (val & kvm_cr4_reserved(vcpu)) ||
	    ((efer & EFER_LMA) && !(val & X86_CR4_PAE)) ||
	    ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	     (!(efer & EFER_LMA) || (ops->get_cr(vcpu, 3) & 0xfff))) ||
	    (((old ^ val) & CR4_PDPTR_BITS) &&
	     pae_pdptrs_fault(vcpu, ops->get_cr(vcpu, 0), val, efer))) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	ops->set_cr(vcpu, 4, val);
	vcpu->arch.tlb_flush_guest = true;
	regs[VCPU_REGS_RIP] += i + 3;
	ops->set_interrupt_shadow(vcpu, 0);
	return 1;
}
EXPORT_SYMBOL_GPL(kvm_emulate_mov_cr4);

/* the CR0 bits that exist (APM vol. 2, 3.1.1 figure 3-1); the others are reserved */
#define CR0_DEFINED	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET | \
			 X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | X86_CR0_CD | \
			 X86_CR0_PG)

/*
 * A guest write of CR0 (MOV to CR0, LMSW, CLTS: the emulator after the CR0 write intercept).
 * The CPU's own checks are made here, because the host, not the CPU, completes the write
 * (an emulated host may not make them: QEMU TCG takes PG=1 with PE=0, and VMRUN then
 * fails): #GP(0) at CPL > 0, for bits 63:32, PG without PE, NW without CD (SDM vol. 3A 2.5,
 * APM vol. 2 3.1.1), PG set with EFER.LME and CR4.PAE clear or from 64-bit code (APM 14.6.1),
 * PG cleared in 64-bit mode (APM 14.7) or with CR4.PCIDE set (SDM vol. 3A 4.10.1).
 * Reserved bits 31:0 are dropped and ET reads as 1, as Linux KVM keeps them (APM 3.1.1 only
 * asks software to write them as 0). EFER.LMA follows PG when EFER.LME is set, as the CPU
 * makes it (APM 14.6.1); a change of any bit but TS/MP flushes the guest's TLB.
 * Returns 0, or 1 for #GP(0) (nothing changed then).
 */
int kvm_set_cr0(struct kvm_vcpu *vcpu, u64 val)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	u64 old = ops->get_cr(vcpu, 0), efer = ops->get_efer(vcpu);
	bool long64, pg_on, pg_off;
	struct kvm_segment cs, ss;

	ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	ops->get_segment(vcpu, &ss, VCPU_SREG_SS);
	long64 = (efer & EFER_LMA) && cs.l;
	pg_on = (val & X86_CR0_PG) && !(old & X86_CR0_PG);
	pg_off = !(val & X86_CR0_PG) && (old & X86_CR0_PG);
	if ((kvm_get_rflags(vcpu) & X86_EFLAGS_VM) || ((old & X86_CR0_PE) && ss.dpl) ||
	    (val & CR0_RESERVED_HIGH) ||
	    ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)) ||
	    (pg_on && (efer & EFER_LME) &&
	     (!(ops->get_cr(vcpu, 4) & X86_CR4_PAE) || cs.l)) ||
	    (pg_off && (long64 || (ops->get_cr(vcpu, 4) & X86_CR4_PCIDE))) ||
	    (((old ^ val) & CR0_PDPTR_BITS) &&
	     pae_pdptrs_fault(vcpu, val, ops->get_cr(vcpu, 4), efer)))
		return 1;
	val = (val & CR0_DEFINED) | X86_CR0_ET;
	if (pg_on && (efer & EFER_LME))
		ops->set_efer(vcpu, efer | EFER_LMA);
	else if (pg_off && (efer & EFER_LMA))
		ops->set_efer(vcpu, efer & ~EFER_LMA);
	ops->set_cr(vcpu, 0, val);
	if ((old ^ val) & ~(X86_CR0_TS | X86_CR0_MP))
		vcpu->arch.tlb_flush_guest = true;
	return 0;
}

/* The checks Linux KVM makes on KVM_SET_SREGS (EINVAL when one fails). */
static bool sregs_valid(struct kvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cr3 >> kvm_guest_maxphyaddr(vcpu))
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	if (s->cr0 & CR0_RESERVED_HIGH)
		return false;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return false;
	if ((s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD))
		return false;
	if (s->cr4 & kvm_cr4_reserved(vcpu))
		return false;
	return true;
}

/* KVM_SET_SREGS; *s is a kernel copy, checked before anything changes (-EINVAL) */
int kvm_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	int i;

	if (!sregs_valid(vcpu, s))
		return -EINVAL;
	if (kvm_msr_write(vcpu, MSR_IA32_APICBASE, s->apic_base, true))
		return -EINVAL;
	ops->set_segment(vcpu, &s->cs, VCPU_SREG_CS);
	ops->set_segment(vcpu, &s->ds, VCPU_SREG_DS);
	ops->set_segment(vcpu, &s->es, VCPU_SREG_ES);
	ops->set_segment(vcpu, &s->fs, VCPU_SREG_FS);
	ops->set_segment(vcpu, &s->gs, VCPU_SREG_GS);
	ops->set_segment(vcpu, &s->ss, VCPU_SREG_SS);
	ops->set_segment(vcpu, &s->tr, VCPU_SREG_TR);
	ops->set_segment(vcpu, &s->ldt, VCPU_SREG_LDTR);
	ops->set_dtable(vcpu, &s->idt, true);
	ops->set_dtable(vcpu, &s->gdt, false);
	ops->set_cr(vcpu, 0, s->cr0);
	ops->set_cr(vcpu, 2, s->cr2);
	ops->set_cr(vcpu, 3, s->cr3);
	ops->set_cr(vcpu, 4, s->cr4);
	ops->set_efer(vcpu, s->efer);
	ops->set_cr(vcpu, 8, s->cr8);
	/*
	 * interrupt_bitmap: its lowest bit is queued for injection as KVM_INTERRUPT queues
	 * one; with no bit set, an interrupt already queued stays (both as Linux KVM does)
	 */
	i = find_first_bit((const unsigned long *)s->interrupt_bitmap, KVM_NR_INTERRUPTS);
	if (i < KVM_NR_INTERRUPTS) {
		vcpu->arch.events.interrupt.injected = true;
		vcpu->arch.events.interrupt.nr = i;
	}
	return 0;
}

static struct fxregs_state *guest_fxsave(struct kvm_vcpu *vcpu)
{
	return &vcpu->arch.guest_fpu.fpstate->regs.fxsave;
}

static void get_fpu(struct kvm_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = guest_fxsave(vcpu);

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx->st_space, sizeof(fpu->fpr));
	fpu->fcw = fx->cwd;
	fpu->fsw = fx->swd;
	fpu->ftwx = fx->twd;
	fpu->last_opcode = fx->fop;
	fpu->last_ip = fx->rip;
	fpu->last_dp = fx->rdp;
	memcpy(fpu->xmm, fx->xmm_space, sizeof(fpu->xmm));
	fpu->mxcsr = fx->mxcsr;
}

static void set_fpu(struct kvm_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = guest_fxsave(vcpu);

	memcpy(fx->st_space, fpu->fpr, sizeof(fpu->fpr));
	fx->cwd = fpu->fcw;
	fx->swd = fpu->fsw;
	fx->twd = fpu->ftwx;
	fx->fop = fpu->last_opcode;
	fx->rip = fpu->last_ip;
	fx->rdp = fpu->last_dp;
	memcpy(fx->xmm_space, fpu->xmm, sizeof(fpu->xmm));
	fx->mxcsr = fpu->mxcsr;
	/* XRSTOR must load x87 and SSE from the image instead of their init state */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		vcpu->arch.guest_fpu.fpstate->regs.xsave.header.xfeatures |=
			XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
}

static long get_xcrs(struct kvm_vcpu *vcpu, struct kvm_xcrs __user *uxcrs)
{
	struct kvm_xcrs xcrs = { 0 };

	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		xcrs.nr_xcrs = 1;
		xcrs.xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		xcrs.xcrs[0].value = vcpu->arch.xcr0;
	}
	return copy_to_user(uxcrs, &xcrs, sizeof(xcrs)) ? -EFAULT : 0;
}

static long set_xcrs(struct kvm_vcpu *vcpu, struct kvm_xcrs __user *uxcrs)
{
	struct kvm_xcrs xcrs;
	u32 i;

	if (copy_from_user(&xcrs, uxcrs, sizeof(xcrs)))
		return -EFAULT;
	if (!boot_cpu_has(X86_FEATURE_XSAVE) || xcrs.nr_xcrs > KVM_MAX_XCRS || xcrs.flags)
		return -EINVAL;
	for (i = 0; i < xcrs.nr_xcrs; i++)
		if (kvm_set_xcr(vcpu, xcrs.xcrs[i].xcr, xcrs.xcrs[i].value))
			return -EINVAL;
	return 0;
}

static long get_xsave(struct kvm_vcpu *vcpu, struct kvm_xsave __user *uxsave)
{
	struct kvm_xsave *xsave = kzalloc(sizeof(*xsave), GFP_KERNEL);
	long r = 0;

	if (!xsave)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vcpu->arch.guest_fpu, xsave->region,
				       sizeof(xsave->region),
				       kvm_guest_supported_xcr0(vcpu) |
				       XFEATURE_MASK_FP | XFEATURE_MASK_SSE, 0);
	if (copy_to_user(uxsave, xsave, sizeof(*xsave)))
		r = -EFAULT;
	kfree(xsave);
	return r;
}

static long set_xsave(struct kvm_vcpu *vcpu, struct kvm_xsave __user *uxsave)
{
	struct kvm_xsave *xsave = memdup_user(uxsave, sizeof(*xsave));
	u32 pkru = 0;
	long r;

	if (IS_ERR(xsave))
		return PTR_ERR(xsave);
	/*
	 * Every feature KVM supports is accepted, whatever the guest's CPUID says (or before
	 * it has one): a VMM restores the state before or after KVM_SET_CPUID2 as it likes, and
	 * Linux 6.12's state_test loads a saved image into a vCPU with an empty CPUID. The
	 * guest still sees only what XCR0 lets it use.
	 */
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->arch.guest_fpu, xsave->region,
					   kvm_supported_xcr0() |
					   XFEATURE_MASK_FP | XFEATURE_MASK_SSE, &pkru);
	kfree(xsave);
	return r;
}

/* Without an in-kernel local APIC every vCPU is simply runnable (api.rst 4.38). */
static long set_mp_state(struct kvm_vcpu *vcpu, struct kvm_mp_state __user *ump)
{
	struct kvm_mp_state mp;

	if (copy_from_user(&mp, ump, sizeof(mp)))
		return -EFAULT;
	if (vcpu->arch.apic)
		return kvm_lapic_set_mp_state(vcpu, mp.mp_state);
	if (mp.mp_state != KVM_MP_STATE_RUNNABLE)
		return -EINVAL;
	vcpu->arch.mp_state = mp.mp_state;
	return 0;
}

/*
 * api.rst 4.80/4.81 on a vCPU (devices/vcpu.rst, group KVM_VCPU_TSC_CTRL): the only
 * attribute is KVM_VCPU_TSC_OFFSET, the offset from the host's TSC to the guest's, read
 * and written as it is (unlike KVM_SET_MSRS of IA32_TSC, it does not depend on when the
 * ioctl runs). Anything else is ENXIO.
 */
static long vcpu_device_attr(struct kvm_vcpu *vcpu, unsigned int ioctl, void __user *argp)
{
	struct kvm_device_attr attr;
	u64 __user *uaddr;
	u64 offset;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	if (attr.group != KVM_VCPU_TSC_CTRL || attr.attr != KVM_VCPU_TSC_OFFSET)
		return -ENXIO;
	uaddr = u64_to_user_ptr(attr.addr);
	switch (ioctl) {
	case KVM_GET_DEVICE_ATTR:
		offset = kvm_x86_vendor->get_tsc_offset(vcpu);
		return put_user(offset, uaddr) ? -EFAULT : 0;
	case KVM_SET_DEVICE_ATTR:
		if (get_user(offset, uaddr))
			return -EFAULT;
		kvm_set_tsc_offset(vcpu, offset);
		return 0;
	default:
		return 0;	/* KVM_HAS_DEVICE_ATTR */
	}
}

/* copy a struct in, call fn, copy it out (for the get/set pairs of fixed-size structs) */
#define COPY_IN(type, argp, var) ({ copy_from_user(&(var), argp, sizeof(type)) ? -EFAULT : 0; })
#define COPY_OUT(type, argp, var) ({ copy_to_user(argp, &(var), sizeof(type)) ? -EFAULT : 0; })

long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	union {
		struct kvm_regs regs;
		struct kvm_sregs sregs;
		struct kvm_fpu fpu;
		struct kvm_mp_state mp;
	} *u;
	long r;

	if (ioctl == KVM_RUN)
		return kvm_arch_vcpu_ioctl_run(vcpu);

	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	switch (ioctl) {
	case KVM_GET_REGS:
		kvm_get_regs(vcpu, &u->regs);
		r = COPY_OUT(struct kvm_regs, argp, u->regs);
		break;
	case KVM_SET_REGS:
		r = COPY_IN(struct kvm_regs, argp, u->regs);
		if (!r)
			kvm_set_regs(vcpu, &u->regs);
		break;
	case KVM_GET_SREGS:
		kvm_get_sregs(vcpu, &u->sregs);
		r = COPY_OUT(struct kvm_sregs, argp, u->sregs);
		break;
	case KVM_SET_SREGS:
		r = COPY_IN(struct kvm_sregs, argp, u->sregs);
		if (!r)
			r = kvm_set_sregs(vcpu, &u->sregs);
		break;
	case KVM_GET_FPU:
		get_fpu(vcpu, &u->fpu);
		r = COPY_OUT(struct kvm_fpu, argp, u->fpu);
		break;
	case KVM_SET_FPU:
		r = COPY_IN(struct kvm_fpu, argp, u->fpu);
		if (!r)
			set_fpu(vcpu, &u->fpu);
		break;
	case KVM_GET_MP_STATE:
		u->mp.mp_state = kvm_lapic_get_mp_state(vcpu);
		r = COPY_OUT(struct kvm_mp_state, argp, u->mp);
		break;
	case KVM_SET_MP_STATE:
		r = set_mp_state(vcpu, argp);
		break;
	case KVM_GET_MSRS:
		r = kvm_vcpu_ioctl_msrs(vcpu, argp, false);
		break;
	case KVM_SET_MSRS:
		r = kvm_vcpu_ioctl_msrs(vcpu, argp, true);
		break;
	case KVM_SET_CPUID2:
		r = kvm_vcpu_ioctl_set_cpuid2(vcpu, argp);
		break;
	case KVM_GET_CPUID2:
		r = kvm_vcpu_ioctl_get_cpuid2(vcpu, argp);
		break;
	case KVM_GET_XCRS:
		r = get_xcrs(vcpu, argp);
		break;
	case KVM_SET_XCRS:
		r = set_xcrs(vcpu, argp);
		break;
	case KVM_GET_DEBUGREGS:
		r = kvm_vcpu_ioctl_get_debugregs(vcpu, argp);
		break;
	case KVM_SET_DEBUGREGS:
		r = kvm_vcpu_ioctl_set_debugregs(vcpu, argp);
		break;
	case KVM_INTERRUPT:
		r = kvm_vcpu_ioctl_interrupt(vcpu, argp);
		break;
	case KVM_NMI:
		r = kvm_vcpu_ioctl_nmi(vcpu);
		break;
	case KVM_GET_VCPU_EVENTS:
		r = kvm_vcpu_ioctl_get_vcpu_events(vcpu, argp);
		break;
	case KVM_SET_VCPU_EVENTS:
		r = kvm_vcpu_ioctl_set_vcpu_events(vcpu, argp);
		break;
	case KVM_SET_GUEST_DEBUG:
		r = kvm_vcpu_ioctl_set_guest_debug(vcpu, argp);
		break;
	case KVM_GET_XSAVE:
	case KVM_GET_XSAVE2:	/* KVM_CAP_XSAVE2's size is sizeof(struct kvm_xsave) (x86.c) */
		r = get_xsave(vcpu, argp);
		break;
	case KVM_SET_XSAVE:
		r = set_xsave(vcpu, argp);
		break;
	case KVM_GET_LAPIC:
		r = kvm_lapic_ioctl_get(vcpu, argp);
		break;
	case KVM_SET_LAPIC:
		r = kvm_lapic_ioctl_set(vcpu, argp);
		break;
	case KVM_SET_VAPIC_ADDR:
		r = kvm_lapic_ioctl_set_vapic_addr(vcpu, argp);
		break;
	case KVM_X86_SETUP_MCE:
	case KVM_X86_SET_MCE:
		r = kvm_vcpu_ioctl_mce(vcpu, ioctl, argp);
		break;
	case KVM_KVMCLOCK_CTRL:
		r = kvmclock_ctrl(vcpu);
		break;
	case KVM_GET_TSC_KHZ:
	case KVM_SET_TSC_KHZ:
		r = kvm_vcpu_ioctl_tsc_khz(vcpu, ioctl, arg);
		break;
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		r = vcpu_device_attr(vcpu, ioctl, argp);
		break;
#if KVM_HAVE_PRE_FAULT_MEMORY
	case KVM_PRE_FAULT_MEMORY:	/* api.rst 4.143 (mmu/tdp.c) */
		r = kvm_vcpu_ioctl_pre_fault_memory(vcpu, argp);
		break;
#endif
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		r = COPY_IN(struct kvm_enable_cap, argp, cap);
		if (!r)
			r = kvm_vcpu_enable_cap(vcpu, &cap);
		break;
	}
	default:
		r = -EINVAL;
		break;
	}
	kfree(u);
	return r;
}
