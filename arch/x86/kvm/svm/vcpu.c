// SPDX-License-Identifier: GPL-2.0-only
/*
 * SVM vCPUs: the VMCB (AMD APM vol. 2, 15.5 and appendix B), the guest state kept in it,
 * and one trip into the guest.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/debugreg.h>
#include <asm/msr.h>
#include <asm/special_insns.h>

#include "svm.h"
#include "x86.h"

/* APM 7.8.2 "PAT register" power-on value */
#define PAT_RESET_VALUE		0x0007040600070406ULL
/* DR7 after RESET: bit 10 reads as 1 (SDM vol. 3, 17.2.4) */
#define DR7_RESET_VALUE		0x400

/* VMCB segment attributes: descriptor bits 47:40 in 7:0, bits 55:52 in 11:8 (APM 15.5.1) */
static u16 seg_to_attrib(const struct kvm_segment *s)
{
	if (s->unusable || !s->present)
		return 0;
	return (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 | 1 << 7 |
	       (s->avl & 1) << 8 | (s->l & 1) << 9 | (s->db & 1) << 10 | (s->g & 1) << 11;
}

static struct vmcb_seg *svm_seg(struct vmcb *vmcb, int seg)
{
	struct vmcb_save *save = &vmcb->save;

	switch (seg) {
	case VCPU_SREG_ES: return &save->es;
	case VCPU_SREG_CS: return &save->cs;
	case VCPU_SREG_SS: return &save->ss;
	case VCPU_SREG_DS: return &save->ds;
	case VCPU_SREG_FS: return &save->fs;
	case VCPU_SREG_GS: return &save->gs;
	case VCPU_SREG_TR: return &save->tr;
	default: return &save->ldtr;
	}
}

void svm_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	struct vmcb_seg *s = svm_seg(to_svm(vcpu)->vmcb, seg);

	memset(var, 0, sizeof(*var));
	var->base = s->base;
	var->limit = s->limit;
	var->selector = s->selector;
	var->type = s->attrib & 0xf;
	var->s = (s->attrib >> 4) & 1;
	var->dpl = (s->attrib >> 5) & 3;
	var->present = (s->attrib >> 7) & 1;
	var->avl = (s->attrib >> 8) & 1;
	var->l = (s->attrib >> 9) & 1;
	var->db = (s->attrib >> 10) & 1;
	var->g = (s->attrib >> 11) & 1;
	var->unusable = !var->present;
	/*
	 * A busy TSS is what a loaded TR holds; SVM does not check. Reported busy whether
	 * present or not, as Linux KVM on SVM does (difftest_ioctl: an unusable TR of type 0
	 * reads back as type 2 there).
	 */
	if (seg == VCPU_SREG_TR)
		var->type |= 2;
}

void svm_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var, int seg)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct vmcb_seg *s = svm_seg(vmcb, seg);

	s->base = var->base;
	s->limit = var->limit;
	s->selector = var->selector;
	s->attrib = seg_to_attrib(var);
	/* APM 15.5.1: the CPL is taken from the VMCB, and equals SS.DPL in protected mode */
	if (seg == VCPU_SREG_SS)
		vmcb->save.cpl = var->dpl;
}

void svm_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt)
{
	struct vmcb_seg *s = idt ? &to_svm(vcpu)->vmcb->save.idtr : &to_svm(vcpu)->vmcb->save.gdtr;

	dt->base = s->base;
	dt->limit = s->limit;
}

void svm_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt)
{
	struct vmcb_seg *s = idt ? &to_svm(vcpu)->vmcb->save.idtr : &to_svm(vcpu)->vmcb->save.gdtr;

	s->base = dt->base;
	s->limit = dt->limit;
}

u64 svm_get_cr(struct kvm_vcpu *vcpu, int cr)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	switch (cr) {
	case 0: return save->cr0;
	case 2: return save->cr2;
	case 3: return save->cr3;
	/* CR8 is the TPR: the guest's MOV CR8 goes to V_TPR (APM 15.21.4) */
	case 8: return to_svm(vcpu)->vmcb->control.int_ctl & V_TPR_MASK;
	default: return save->cr4;
	}
}

void svm_set_cr(struct kvm_vcpu *vcpu, int cr, u64 val)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	switch (cr) {
	case 0: save->cr0 = val; break;
	case 2: save->cr2 = val; break;
	case 3: save->cr3 = val; break;
	case 8:
		to_svm(vcpu)->vmcb->control.int_ctl =
			(to_svm(vcpu)->vmcb->control.int_ctl & ~V_TPR_MASK) | (val & V_TPR_MASK);
		break;
	default: save->cr4 = val; break;
	}
}

/* The guest runs with EFER.SVME set (VMRUN requires it, APM 15.5.1) but never sees it. */
u64 svm_get_efer(struct kvm_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.efer & ~EFER_SVME;
}

void svm_set_efer(struct kvm_vcpu *vcpu, u64 efer)
{
	to_svm(vcpu)->vmcb->save.efer = efer | EFER_SVME;
}

u64 svm_get_dr(struct kvm_vcpu *vcpu, int dr)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	return dr == 6 ? save->dr6 : save->dr7;
}

void svm_set_dr(struct kvm_vcpu *vcpu, int dr, u64 val)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	if (dr == 6)
		save->dr6 = val;
	else
		save->dr7 = val;
}

void svm_set_dr_intercept(struct kvm_vcpu *vcpu, bool on)
{
	to_svm(vcpu)->vmcb->control.intercept_dr = on ? 0xffffffff : 0;
}

int svm_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	switch (index) {
	case MSR_STAR: *data = vmcb->save.star; break;
	case MSR_LSTAR: *data = vmcb->save.lstar; break;
	case MSR_CSTAR: *data = vmcb->save.cstar; break;
	case MSR_SYSCALL_MASK: *data = vmcb->save.sfmask; break;
	case MSR_KERNEL_GS_BASE: *data = vmcb->save.kernel_gs_base; break;
	case MSR_FS_BASE: *data = vmcb->save.fs.base; break;
	case MSR_GS_BASE: *data = vmcb->save.gs.base; break;
	case MSR_IA32_SYSENTER_CS: *data = vmcb->save.sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP: *data = vmcb->save.sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP: *data = vmcb->save.sysenter_eip; break;
	case MSR_IA32_CR_PAT: *data = vmcb->save.g_pat; break;
	default: return -ENOENT;
	}
	return 0;
}

int svm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	switch (index) {
	case MSR_STAR: vmcb->save.star = data; break;
	case MSR_LSTAR: vmcb->save.lstar = data; break;
	case MSR_CSTAR: vmcb->save.cstar = data; break;
	case MSR_SYSCALL_MASK: vmcb->save.sfmask = data; break;
	case MSR_KERNEL_GS_BASE: vmcb->save.kernel_gs_base = data; break;
	case MSR_FS_BASE: vmcb->save.fs.base = data; break;
	case MSR_GS_BASE: vmcb->save.gs.base = data; break;
	case MSR_IA32_SYSENTER_CS: vmcb->save.sysenter_cs = data; break;
	case MSR_IA32_SYSENTER_ESP: vmcb->save.sysenter_esp = data; break;
	case MSR_IA32_SYSENTER_EIP: vmcb->save.sysenter_eip = data; break;
	case MSR_IA32_CR_PAT:
		vmcb->save.g_pat = data;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/* APM 15.30.5: the guest's RDTSC (not intercepted) returns the host TSC plus TSC_OFFSET */
u64 svm_get_tsc_offset(struct kvm_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.tsc_offset;
}

void svm_set_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	to_svm(vcpu)->vmcb->control.tsc_offset = offset;
}

static void init_segment(struct vmcb_seg *s, u16 attrib)
{
	s->selector = 0;
	s->attrib = attrib;
	s->limit = 0xffff;
	s->base = 0;
}

/* Processor state after RESET, APM vol. 2, 14.1.3 table 14-1 */
void svm_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	memset(save, 0, sizeof(*save));
	/* the attributes Linux KVM's SVM backend reports after RESET (type, S, P) */
	init_segment(&save->es, 0x93);		/* data, read/write, accessed */
	init_segment(&save->ds, 0x93);
	init_segment(&save->fs, 0x93);
	init_segment(&save->gs, 0x93);
	init_segment(&save->ss, 0x92);		/* data, read/write */
	init_segment(&save->cs, 0x9a);		/* code, execute/read */
	save->cs.selector = 0xf000;
	save->cs.base = 0xffff0000;
	init_segment(&save->ldtr, 0x82);	/* LDT */
	init_segment(&save->tr, 0x83);		/* busy 16-bit TSS */
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0xffff;
	save->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	save->efer = EFER_SVME;
	save->dr6 = DR6_RESERVED;
	save->dr7 = DR7_RESET_VALUE;
	save->rflags = X86_EFLAGS_FIXED;
	save->rip = 0xfff0;
	save->g_pat = PAT_RESET_VALUE;
	vcpu->arch.regs[VCPU_REGS_RIP] = 0xfff0;
	svm_events_reset(to_svm(vcpu));
}

static void init_vmcb_control(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;

	memset(c, 0, sizeof(*c));
	/* every MOV to or from DR0-15, until the guest owns them: arch/x86/kvm/debugreg.c */
	c->intercept_dr = 0xffffffff;
	/*
	 * CR0 writes: checked by the host (kvm_set_cr0), not left to the CPU; CR4 writes: the
	 * guest's CPUID decides which bits exist (kvm_emulate_mov_cr4)
	 */
	c->intercept_cr = BIT(16 + 0) | BIT(16 + 4);
	c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI | INTERCEPT_INIT |
			     INTERCEPT_RDPMC | INTERCEPT_CPUID | INTERCEPT_INVD | INTERCEPT_HLT |
			     INTERCEPT_INVLPGA |
			     INTERCEPT_IOIO_PROT | INTERCEPT_MSR_PROT | INTERCEPT_TASK_SWITCH |
			     INTERCEPT_SHUTDOWN;
	/* VMRUN must be intercepted or VMRUN fails (APM 15.5.1); the other SVM
	 * instructions raise #UD in our guests, as nested SVM is off */
	c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD |
			     INTERCEPT_VMSAVE | INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT |
			     INTERCEPT_RDTSCP | INTERCEPT_MONITOR | INTERCEPT_MWAIT |
			     INTERCEPT_XSETBV;
	/* KVM_CAP_X86_DISABLE_EXITS (vm_config.c) */
	if (kvm_vcpu_hlt_in_guest(vcpu))
		c->intercept_misc1 &= ~INTERCEPT_HLT;
	if (kvm_vcpu_mwait_in_guest(vcpu))
		c->intercept_misc2 &= ~(INTERCEPT_MONITOR | INTERCEPT_MWAIT);
	c->iopm_base_pa = svm_iopm_pa;
	c->msrpm_base_pa = svm_msrpm_pa;
	/* the guest's RFLAGS.IF masks only virtual interrupts; physical ones exit (15.21.1) */
	c->int_ctl = V_INTR_MASKING;
	c->np_control = SVM_NP_ENABLE;
	c->n_cr3 = __pa(vcpu->kvm->arch.tdp.root);
	c->tsc_offset = -rdtsc();
}

int svm_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	struct page *page;

	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vcpu = vcpu;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->asid_cpu = -1;
	vcpu->arch.vendor = svm;
	init_vmcb_control(vcpu);
	svm_vcpu_reset(vcpu);
	return 0;
}

void svm_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);

	__free_page(virt_to_page(svm->vmcb));
	kfree(svm);
	vcpu->arch.vendor = NULL;
}

void svm_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	/* the ASID is checked against the CPU before every VMRUN */
	to_svm(vcpu)->host_saved = false;
}

/* another task may run here now, and VMSAVE its own state into the CPU's host save area */
void svm_vcpu_put(struct kvm_vcpu *vcpu)
{
	to_svm(vcpu)->host_saved = false;
}

/*
 * Whether the entry must VMSAVE the host state that VMLOAD puts back after the exit (FS, GS,
 * TR, LDTR with their hidden parts, KERNEL_GS_BASE, the SYSCALL and SYSENTER MSRs; APM vol. 2
 * 15.5.2): once per vcpu_load, since what is per task (FS/GS, KERNEL_GS_BASE: the user's
 * values; LDTR: the mm's) changes only with a context switch, which puts the vCPU, and the
 * rest is fixed per CPU. Except LDTR in a process with an LDT: another thread's
 * modify_ldt() reloads it on this CPU by IPI, between two entries; saving at every entry
 * (interrupts off until VMRUN) keeps VMLOAD from putting back a stale, maybe freed, LDT.
 */
static bool svm_must_save_host(struct vcpu_svm *svm)
{
	if (!svm->host_saved)
		return true;
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	if (current->mm && READ_ONCE(current->mm->context.ldt))
		return true;
#endif
	return false;
}

/*
 * One VMRUN. Interrupts are disabled on entry: GIF is cleared first, then RFLAGS.IF set,
 * so that a physical interrupt arriving in the guest makes a #VMEXIT and is taken by the
 * host once GIF is set again (APM 15.17 "Global Interrupt Flag").
 */
void svm_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct vcpu_svm *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	unsigned long *regs = vcpu->arch.regs;
	int cpu = smp_processor_id();
	u64 host_save_pa = svm_host_save_pa();
	bool save_host = svm_must_save_host(svm);

	vmcb->save.rax = regs[VCPU_REGS_RAX];
	vmcb->save.rsp = regs[VCPU_REGS_RSP];
	vmcb->save.rip = regs[VCPU_REGS_RIP];

	/* a VM whose MSR filter denies a passthrough MSR has every MSR intercepted (msr_filter.c) */
	vmcb->control.msrpm_base_pa = kvm_msr_filter_intercept_all(vcpu->kvm) ? svm_msrpm_all_pa :
									  svm_msrpm_pa;
	svm_asid_assign(svm, cpu);
	/*
	 * nested page table entries were zapped since this vCPU last flushed, or the guest
	 * asked for a flush (PV TLB flush, steal_time.c)
	 */
	if (vcpu->arch.tlb_flush_gen != READ_ONCE(vcpu->kvm->arch.tdp.flush_gen) ||
	    vcpu->arch.tlb_flush_guest) {
		vcpu->arch.tlb_flush_gen = READ_ONCE(vcpu->kvm->arch.tdp.flush_gen);
		vcpu->arch.tlb_flush_guest = false;
		svm_flush_asid(svm);
		kvm_stat_inc(vcpu->arch.stat.tlb_flush);
	}

	/*
	 * With GIF clear nothing can interrupt or preempt us between here and VMRUN, but to
	 * the scheduler's debug checks the code is preemptible once IF is set: per-CPU reads
	 * happen before (host_save_pa above).
	 */
	asm volatile("clgi" ::: "memory");
	local_irq_enable();
	svm_vmrun(svm->vmcb_pa, regs, host_save_pa, save_host);
	svm->host_saved = true;
	local_irq_disable();
	asm volatile("stgi" ::: "memory");

	vmcb->control.tlb_control = TLB_CONTROL_DO_NOTHING;

	regs[VCPU_REGS_RAX] = vmcb->save.rax;
	regs[VCPU_REGS_RSP] = vmcb->save.rsp;
	regs[VCPU_REGS_RIP] = vmcb->save.rip;
}
