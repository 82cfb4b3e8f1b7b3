// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMX vCPUs: the VMCS (Intel SDM vol. 3C, chapter 24), the guest state kept for it, and one
 * trip into the guest.
 *
 * The VMCS is current only on the CPU the vCPU is loaded on: vcpu_load VMPTRLDs it (and
 * writes the host state that differs per CPU), vcpu_put VMCLEARs it on that same CPU (the
 * preempt notifier calls put on the CPU being left), so a vCPU migrates with its VMCS
 * already flushed to memory and no IPI is ever needed; the next entry is a VMLAUNCH.
 *
 * The guest state lives in struct vcpu_vmx and is copied into the VMCS before each entry
 * and out of it after each exit (the state ioctls run without the vCPU loaded).
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/user-return-notifier.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/traps.h>

#include "vmx.h"
#include "x86.h"

#define PAT_RESET_VALUE		0x0007040600070406ULL
#define DR7_RESET_VALUE		0x400
#define DR7_ENABLE_BITS		0xff	/* L0-3, G0-3 */

void vmx_vmexit(void);

void vmcs_write(unsigned long field, u64 val)
{
	asm goto("vmwrite %[val], %[field]\n\t"
		 "jbe %l[fail]"
		 : : [val] "rm"((unsigned long)val), [field] "r"(field) : "cc" : fail);
	return;
fail:
	pr_err_ratelimited("kvm_intel: VMWRITE %#lx=%#llx failed (VM-instruction error %llu)\n",
			   field, val, vmcs_read(VM_INSTRUCTION_ERROR));
}

static int vmclear(u64 pa)
{
	asm goto("vmclear %[pa]\n\t"
		 "jbe %l[fail]"
		 : : [pa] "m"(pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static int vmptrld(u64 pa)
{
	asm goto("vmptrld %[pa]\n\t"
		 "jbe %l[fail]"
		 : : [pa] "m"(pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/* VMCS access rights (24.4.1): descriptor bits 47:40 in 7:0, 55:52 in 15:12, unusable 16 */
static u32 seg_to_ar(const struct kvm_segment *s)
{
	if (s->unusable || !s->present)
		return AR_UNUSABLE;
	return (s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 | 1 << 7 |
	       (s->avl & 1) << 12 | (s->l & 1) << 13 | (s->db & 1) << 14 | (s->g & 1) << 15;
}

void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	const struct vmx_seg *s = &to_vmx(vcpu)->seg[seg];

	memset(var, 0, sizeof(*var));
	var->base = s->base;
	var->limit = s->limit;
	var->selector = s->selector;
	var->type = s->ar & 0xf;
	var->s = (s->ar >> 4) & 1;
	var->dpl = (s->ar >> 5) & 3;
	var->present = (s->ar >> 7) & 1;
	var->avl = (s->ar >> 12) & 1;
	var->l = (s->ar >> 13) & 1;
	var->db = (s->ar >> 14) & 1;
	var->g = (s->ar >> 15) & 1;
	var->unusable = (s->ar >> 16) & 1;
	if (var->unusable)
		var->present = 0;
}

/*
 * Userspace may hand over segments that a VM entry would refuse (SDM 26.3.1.2) although
 * the CPU runs them fine: a code or data segment not marked accessed, an available TSS in
 * TR, a granularity bit that disagrees with the limit. Fix those up as the CPU would have
 * when it loaded the descriptor.
 */
void vmx_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var, int seg)
{
	struct vmx_seg *s = &to_vmx(vcpu)->seg[seg];
	struct kvm_segment v = *var;

	if (seg == VCPU_SREG_CS || seg == VCPU_SREG_TR) {
		v.unusable = 0;
		v.present = 1;
	}
	if (seg == VCPU_SREG_TR) {
		v.s = 0;
		if (v.type == 1 || v.type == 9)
			v.type |= 2;
		else if (v.type != 3 && v.type != 11)
			v.type = 11;
	} else if (seg == VCPU_SREG_LDTR) {
		if (v.type != 2 || v.s)
			v.unusable = 1;
	} else if (v.s) {
		v.type |= 1;		/* accessed */
	}
	if ((v.limit & 0xfff) != 0xfff)
		v.g = 0;
	else if (v.limit >> 20)
		v.g = 1;
	s->base = v.base;
	s->limit = v.limit;
	s->selector = v.selector;
	s->ar = seg_to_ar(&v);
}

void vmx_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt)
{
	struct vmx_seg *s = idt ? &to_vmx(vcpu)->idtr : &to_vmx(vcpu)->gdtr;

	dt->base = s->base;
	dt->limit = s->limit;
}

void vmx_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt)
{
	struct vmx_seg *s = idt ? &to_vmx(vcpu)->idtr : &to_vmx(vcpu)->gdtr;

	s->base = dt->base;
	s->limit = dt->limit;
}

u64 vmx_get_cr(struct kvm_vcpu *vcpu, int cr)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	switch (cr) {
	case 0: return vmx->cr0;
	case 2: return vmx->cr2;
	case 3: return vmx->cr3;
	case 8: return vmx->cr8;
	default: return vmx->cr4;
	}
}

void vmx_set_cr(struct kvm_vcpu *vcpu, int cr, u64 val)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	switch (cr) {
	case 0: vmx->cr0 = val; break;
	case 2: vmx->cr2 = val; return;
	case 3: vmx->cr3 = val; break;
	case 8: vmx->cr8 = val & 0xf; return;
	default: vmx->cr4 = val; break;
	}
	/* KVM_SET_SREGS sets CR0, CR3, CR4, then EFER: the last load sees them all */
	vmx_load_pdptrs(vcpu, true);
}

u64 vmx_get_efer(struct kvm_vcpu *vcpu)
{
	return to_vmx(vcpu)->efer;
}

void vmx_set_efer(struct kvm_vcpu *vcpu, u64 efer)
{
	to_vmx(vcpu)->efer = efer;
	vmx_load_pdptrs(vcpu, true);
}

u64 vmx_get_dr(struct kvm_vcpu *vcpu, int dr)
{
	return dr == 6 ? to_vmx(vcpu)->dr6 : to_vmx(vcpu)->dr7;
}

void vmx_set_dr(struct kvm_vcpu *vcpu, int dr, u64 val)
{
	if (dr == 6)
		to_vmx(vcpu)->dr6 = val;
	else
		to_vmx(vcpu)->dr7 = val;
}

void vmx_set_dr_intercept(struct kvm_vcpu *vcpu, bool on)
{
	to_vmx(vcpu)->dr_exiting = on;
}

u64 vmx_get_rflags(struct kvm_vcpu *vcpu)
{
	return to_vmx(vcpu)->rflags;
}

void vmx_set_rflags(struct kvm_vcpu *vcpu, u64 rflags)
{
	to_vmx(vcpu)->rflags = rflags;
}

/*
 * KERNEL_GS_BASE, which VMX does not switch, is the user GS base of the current task while
 * the host runs in the kernel; a context switch saves it and a return to user mode uses it.
 * The guest's goes into the CPU at the first entry after vcpu_load and stays there, SWAPGS
 * in the guest changing it without an exit, until vcpu_put (a context switch or the end of
 * KVM_RUN: the preempt notifier runs before the switch saves the old task's value), where
 * the host's comes back. Nothing else in the kernel reads the running task's user GS base
 * while it is in the kernel. Between entries, the current value is thus the CPU's.
 */
static void vmx_kgs_load_guest(struct vcpu_vmx *vmx)
{
	if (vmx->kgs_loaded)
		return;
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->host_kgs);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	vmx->kgs_loaded = true;
}

/* preemption disabled (or interrupts): the guest's value out, the host's back in */
static void vmx_kgs_put(struct vcpu_vmx *vmx)
{
	if (!vmx->kgs_loaded)
		return;
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->host_kgs);
	vmx->kgs_loaded = false;
}

static u64 vmx_kgs_read(struct vcpu_vmx *vmx)
{
	u64 v;

	preempt_disable();
	if (vmx->kgs_loaded)
		rdmsrl(MSR_KERNEL_GS_BASE, v);
	else
		v = vmx->kernel_gs_base;
	preempt_enable();
	return v;
}

static void vmx_kgs_write(struct vcpu_vmx *vmx, u64 v)
{
	preempt_disable();
	vmx->kernel_gs_base = v;
	if (vmx->kgs_loaded)
		wrmsrl(MSR_KERNEL_GS_BASE, v);
	preempt_enable();
}

int vmx_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	switch (index) {
	case MSR_STAR: *data = vmx->star; break;
	case MSR_LSTAR: *data = vmx->lstar; break;
	case MSR_CSTAR: *data = vmx->cstar; break;
	case MSR_SYSCALL_MASK: *data = vmx->sfmask; break;
	case MSR_KERNEL_GS_BASE: *data = vmx_kgs_read(vmx); break;
	case MSR_FS_BASE: *data = vmx->seg[VCPU_SREG_FS].base; break;
	case MSR_GS_BASE: *data = vmx->seg[VCPU_SREG_GS].base; break;
	case MSR_IA32_SYSENTER_CS: *data = vmx->sysenter_cs; break;
	case MSR_IA32_SYSENTER_ESP: *data = vmx->sysenter_esp; break;
	case MSR_IA32_SYSENTER_EIP: *data = vmx->sysenter_eip; break;
	case MSR_IA32_CR_PAT: *data = vmx->pat; break;
	default: return -ENOENT;
	}
	return 0;
}

int vmx_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	switch (index) {
	case MSR_STAR: vmx->star = data; break;
	case MSR_LSTAR: vmx->lstar = data; break;
	case MSR_CSTAR: vmx->cstar = data; break;
	case MSR_SYSCALL_MASK: vmx->sfmask = data; break;
	case MSR_KERNEL_GS_BASE: vmx_kgs_write(vmx, data); break;
	case MSR_FS_BASE: vmx->seg[VCPU_SREG_FS].base = data; break;
	case MSR_GS_BASE: vmx->seg[VCPU_SREG_GS].base = data; break;
	case MSR_IA32_SYSENTER_CS: vmx->sysenter_cs = data; break;
	case MSR_IA32_SYSENTER_ESP: vmx->sysenter_esp = data; break;
	case MSR_IA32_SYSENTER_EIP: vmx->sysenter_eip = data; break;
	case MSR_IA32_CR_PAT:
		vmx->pat = data;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/* SDM 25.3: with "use TSC offsetting", RDTSC returns the host TSC plus the TSC offset */
u64 vmx_get_tsc_offset(struct kvm_vcpu *vcpu)
{
	return to_vmx(vcpu)->tsc_offset;
}

void vmx_set_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	to_vmx(vcpu)->tsc_offset = offset;
}

static void init_segment(struct vmx_seg *s, u32 ar)
{
	s->selector = 0;
	s->ar = ar;
	s->limit = 0xffff;
	s->base = 0;
}

/* Processor state after RESET, SDM vol. 3A 9.1.1 table 9-1 */
void vmx_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int i;

	for (i = VCPU_SREG_ES; i <= VCPU_SREG_GS; i++)
		init_segment(&vmx->seg[i], 0x93);	/* data, read/write, accessed */
	init_segment(&vmx->seg[VCPU_SREG_CS], 0x9b);	/* code, execute/read, accessed */
	vmx->seg[VCPU_SREG_CS].selector = 0xf000;
	vmx->seg[VCPU_SREG_CS].base = 0xffff0000;
	init_segment(&vmx->seg[VCPU_SREG_LDTR], 0x82);	/* LDT */
	init_segment(&vmx->seg[VCPU_SREG_TR], 0x8b);	/* busy 32-bit TSS */
	vmx->gdtr.base = vmx->idtr.base = 0;
	vmx->gdtr.limit = vmx->idtr.limit = 0xffff;
	vmx->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	vmx->cr2 = vmx->cr3 = vmx->cr4 = 0;
	vmx->cr8 = 0;
	vmx->efer = 0;
	vmx->dr6 = DR6_RESERVED;
	vmx->dr7 = DR7_RESET_VALUE;
	vmx->rflags = X86_EFLAGS_FIXED;
	vmx->pat = PAT_RESET_VALUE;
	vmx->sysenter_cs = vmx->sysenter_esp = vmx->sysenter_eip = 0;
	vmx->star = vmx->lstar = vmx->cstar = vmx->sfmask = 0;
	vmx_kgs_write(vmx, 0);
	vmx->interruptibility = 0;
	vmx->irq_window = vmx->nmi_window = false;
	vmx->entry_intr_info = 0;
	vcpu->arch.regs[VCPU_REGS_RIP] = 0xfff0;
}

int vmx_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	struct page *page;

	if (!vmx)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(vmx);
		return -ENOMEM;
	}
	vmx->vcpu = vcpu;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	/* SDM 24.2: the revision identifier, bit 31 clear (not a shadow VMCS) */
	*(u32 *)vmx->vmcs = vmcs_revision_id;
	vmx->loaded_cpu = -1;
	vmx->dr_exiting = true;
	vmx->vpid = vmx_vpid_alloc();
	vmx->tsc_offset = -rdtsc();
	vcpu->arch.vendor = vmx;
	vmx_vcpu_reset(vcpu);
	return 0;
}

void vmx_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	/* vcpu_put cleared the VMCS: it is current on no CPU */
	vmx_vpid_free(vmx->vpid);
	__free_page(virt_to_page(vmx->vmcs));
	kfree(vmx);
	vcpu->arch.vendor = NULL;
}

/* The fields that never change for a vCPU, written the first time its VMCS is current. */
static void vmcs_setup(struct vcpu_vmx *vmx)
{
	u64 cr0_mask, cr4_mask, v;
	u32 lo, hi;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_pin_ctls);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx_sec_ctls);
	vmcs_write(VM_EXIT_CONTROLS, vmx_exit_ctls);
	vmcs_write(EXCEPTION_BITMAP, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(MSR_BITMAP, vmx_msr_bitmap_pa);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* 28.2.6: WB paging structures, 4-level walk, the VM's root table */
	vmcs_write(EPT_POINTER, __pa(vmx->vcpu->kvm->arch.tdp.root) | 6 | (3 << 3));
	if (vmx->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);

	/*
	 * CR0/CR4 bits the host owns: those VMX fixes (the guest reads its own values from
	 * the read shadows, and its writes to them exit), CR0.PG (its writes change the
	 * "IA-32e mode guest" entry control), and CR4.VMXE (set in the real CR4).
	 */
	cr0_mask = (vmx_cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG)) |
		   (~vmx_cr0_fixed1 & 0xffffffffULL) | X86_CR0_PG;
	cr4_mask = vmx_cr4_fixed0 | (~vmx_cr4_fixed1 & 0xffffffffULL) | X86_CR4_VMXE;
	vmcs_write(CR0_GUEST_HOST_MASK, cr0_mask);
	vmcs_write(CR4_GUEST_HOST_MASK, cr4_mask);

	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_RIP, (unsigned long)vmx_vmexit);
	rdmsr(MSR_IA32_CR_PAT, lo, hi);
	vmcs_write(HOST_IA32_PAT, lo | (u64)hi << 32);
	rdmsrl(MSR_EFER, v);
	vmcs_write(HOST_IA32_EFER, v);
}

void vmx_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct desc_ptr dt;
	struct ldttss_desc *tss;
	u64 v;

	if (vmx->loaded_cpu == cpu)
		return;
	if (!vmx->vmcs_ready) {
		/* never used: VMCLEAR initializes it and its launch state (24.11.3) */
		if (vmclear(vmx->vmcs_pa))
			pr_err_once("kvm_intel: VMCLEAR of a new VMCS failed\n");
	}
	if (vmptrld(vmx->vmcs_pa)) {
		pr_err_once("kvm_intel: VMPTRLD failed on CPU %d\n", cpu);
		return;
	}
	vmx->loaded_cpu = cpu;
	vmx->launched = false;
	if (!vmx->vmcs_ready) {
		vmcs_setup(vmx);
		vmx->vmcs_ready = true;
	}

	/* host state that differs per CPU */
	native_store_gdt(&dt);
	vmcs_write(HOST_GDTR_BASE, dt.address);
	tss = (struct ldttss_desc *)(dt.address + GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_TR_BASE, tss->base0 | (u64)tss->base1 << 16 | (u64)tss->base2 << 24 |
				 (u64)tss->base3 << 32);
	store_idt(&dt);
	vmcs_write(HOST_IDTR_BASE, dt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_write(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_IA32_SYSENTER_EIP, v);
	vmcs_write(HOST_CR0, read_cr0());
}

void vmx_vcpu_put(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx_kgs_put(vmx);
	if (vmx->loaded_cpu < 0)
		return;
	if (vmclear(vmx->vmcs_pa))
		pr_err_once("kvm_intel: VMCLEAR failed on CPU %d\n", smp_processor_id());
	vmx->loaded_cpu = -1;
	vmx->launched = false;
}

/* VMCS segment field order (B.1.2): ES CS SS DS FS GS LDTR TR; enum kvm_sreg has TR first */
static unsigned int vmcs_seg(int seg)
{
	return seg == VCPU_SREG_TR ? 7 : seg == VCPU_SREG_LDTR ? 6 : seg;
}

static void write_guest_state(struct vcpu_vmx *vmx)
{
	unsigned long *regs = vmx->vcpu->arch.regs;
	u32 cpu_ctls = vmx_cpu_ctls, entry_ctls = vmx_entry_ctls;
	u64 cr0, cr4;
	int i;

	for (i = 0; i < 8; i++) {
		vmcs_write(GUEST_ES_SELECTOR + 2 * vmcs_seg(i), vmx->seg[i].selector);
		vmcs_write(GUEST_ES_LIMIT + 2 * vmcs_seg(i), vmx->seg[i].limit);
		vmcs_write(GUEST_ES_AR_BYTES + 2 * vmcs_seg(i), vmx->seg[i].ar);
		vmcs_write(GUEST_ES_BASE + 2 * vmcs_seg(i), vmx->seg[i].base);
	}
	vmcs_write(GUEST_GDTR_BASE, vmx->gdtr.base);
	vmcs_write(GUEST_GDTR_LIMIT, vmx->gdtr.limit);
	vmcs_write(GUEST_IDTR_BASE, vmx->idtr.base);
	vmcs_write(GUEST_IDTR_LIMIT, vmx->idtr.limit);

	/* with unrestricted guest, PE and PG are the guest's own (26.3.1.1) */
	cr0 = (vmx->cr0 | (vmx_cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG))) & vmx_cr0_fixed1;
	cr4 = (vmx->cr4 | vmx_cr4_fixed0 | X86_CR4_VMXE) & vmx_cr4_fixed1;
	vmcs_write(GUEST_CR0, cr0);
	vmcs_write(CR0_READ_SHADOW, vmx->cr0);
	vmcs_write(GUEST_CR4, cr4);
	vmcs_write(CR4_READ_SHADOW, vmx->cr4);
	vmcs_write(GUEST_CR3, vmx->cr3);
	vmx_write_pdptrs(vmx);
	vmcs_write(GUEST_DR7, vmx->dr7);
	vmcs_write(GUEST_RSP, regs[VCPU_REGS_RSP]);
	vmcs_write(GUEST_RIP, regs[VCPU_REGS_RIP]);
	vmcs_write(GUEST_RFLAGS, vmx->rflags);
	vmcs_write(GUEST_SYSENTER_CS, vmx->sysenter_cs);
	vmcs_write(GUEST_SYSENTER_ESP, vmx->sysenter_esp);
	vmcs_write(GUEST_SYSENTER_EIP, vmx->sysenter_eip);
	/*
	 * EFER.LME without EFER.LMA (long mode enabled, paging still off) is legal (26.3.1.1
	 * checks LMA = LME only with CR0.PG set) but Bochs refuses it. LME does nothing
	 * until CR0.PG is set, which exits (PG is host-owned): the CPU gets LME only with LMA.
	 */
	vmcs_write(GUEST_IA32_EFER, (vmx->efer & EFER_LMA) ? vmx->efer : vmx->efer & ~EFER_LME);
	vmcs_write(GUEST_IA32_PAT, vmx->pat);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, vmx->interruptibility);
	vmcs_write(TSC_OFFSET, vmx->tsc_offset);
	/* a VM whose MSR filter denies a passthrough MSR has every MSR exit (msr_filter.c) */
	vmcs_write(MSR_BITMAP, kvm_msr_filter_intercept_all(vmx->vcpu->kvm) ?
			       vmx_msr_bitmap_all_pa : vmx_msr_bitmap_pa);
	if (vmx_pin_ctls & PIN_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_preemption_timer);

	/* KVM_CAP_X86_DISABLE_EXITS (vm_config.c) */
	if (kvm_vcpu_hlt_in_guest(vmx->vcpu))
		cpu_ctls &= ~CPU_HLT_EXITING;
	if (kvm_vcpu_mwait_in_guest(vmx->vcpu))
		cpu_ctls &= ~(CPU_MWAIT_EXITING | CPU_MONITOR_EXITING);
	if (vmx->dr_exiting)
		cpu_ctls |= CPU_MOV_DR_EXITING;
	if (vmx->irq_window)
		cpu_ctls |= CPU_INTR_WINDOW_EXITING;
	if (vmx->nmi_window)
		cpu_ctls |= CPU_NMI_WINDOW_EXITING;
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, cpu_ctls);
	vmcs_write(EXCEPTION_BITMAP, vmx->exception_bitmap);
	if (vmx->efer & EFER_LMA)
		entry_ctls |= ENTRY_IA32E_MODE;
	vmcs_write(VM_ENTRY_CONTROLS, entry_ctls);
	vmcs_write(VM_ENTRY_INTR_INFO, vmx->entry_intr_info);
	if (vmx->entry_intr_info & INTR_INFO_VALID) {
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmx->entry_error_code);
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vmx->entry_instr_len);
	}
}

static void read_guest_state(struct vcpu_vmx *vmx)
{
	unsigned long *regs = vmx->vcpu->arch.regs;
	u64 cr0_mask, cr4_mask;
	int i;

	for (i = 0; i < 8; i++) {
		vmx->seg[i].selector = vmcs_read(GUEST_ES_SELECTOR + 2 * vmcs_seg(i));
		vmx->seg[i].limit = vmcs_read(GUEST_ES_LIMIT + 2 * vmcs_seg(i));
		vmx->seg[i].ar = vmcs_read(GUEST_ES_AR_BYTES + 2 * vmcs_seg(i));
		vmx->seg[i].base = vmcs_read(GUEST_ES_BASE + 2 * vmcs_seg(i));
	}
	vmx->gdtr.base = vmcs_read(GUEST_GDTR_BASE);
	vmx->gdtr.limit = vmcs_read(GUEST_GDTR_LIMIT);
	vmx->idtr.base = vmcs_read(GUEST_IDTR_BASE);
	vmx->idtr.limit = vmcs_read(GUEST_IDTR_LIMIT);

	/* bits the guest owns come from the real registers, the others from the shadows */
	cr0_mask = vmcs_read(CR0_GUEST_HOST_MASK);
	cr4_mask = vmcs_read(CR4_GUEST_HOST_MASK);
	vmx->cr0 = (vmcs_read(GUEST_CR0) & ~cr0_mask) | (vmx->cr0 & cr0_mask);
	vmx->cr4 = (vmcs_read(GUEST_CR4) & ~cr4_mask) | (vmx->cr4 & cr4_mask);
	vmx->cr3 = vmcs_read(GUEST_CR3);
	vmx->dr7 = vmcs_read(GUEST_DR7);
	regs[VCPU_REGS_RSP] = vmcs_read(GUEST_RSP);
	regs[VCPU_REGS_RIP] = vmcs_read(GUEST_RIP);
	vmx->rflags = vmcs_read(GUEST_RFLAGS);
	vmx->sysenter_cs = vmcs_read(GUEST_SYSENTER_CS);
	vmx->sysenter_esp = vmcs_read(GUEST_SYSENTER_ESP);
	vmx->sysenter_eip = vmcs_read(GUEST_SYSENTER_EIP);
	vmx->efer = (vmcs_read(GUEST_IA32_EFER) & ~EFER_LME) | (vmx->efer & EFER_LME);
	vmx_read_pdptrs(vmx);
	vmx->pat = vmcs_read(GUEST_IA32_PAT);
	vmx->interruptibility = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
}

/*
 * The MSRs VMX does not switch and the host kernel does not use: the SYSCALL MSRs (STAR,
 * LSTAR, CSTAR, SFMASK: only a SYSCALL from user mode reads them) and TSC_AUX (RDTSCP/RDPID
 * in user mode; the kernel's entry code finds its CPU without it since Linux 5.9). The
 * guest's values stay in the CPU from one entry to the next, and the host's go back when
 * the CPU next returns to user mode, whichever task that is (a user-return notifier, which
 * a context switch hands on to the next task: include/linux/user-return-notifier.h), or
 * when virtualization is turned off on the CPU. Per CPU, with interrupts disabled: what the
 * CPU holds, and the host's values, read at the first entry after hardware_enable (they are
 * fixed once the CPU is up: syscall_init(), the vDSO's getcpu setup).
 */
enum { URET_STAR, URET_LSTAR, URET_CSTAR, URET_SFMASK, URET_TSC_AUX, NR_URET_MSRS };

static const u32 uret_msr_index[NR_URET_MSRS] = {
	[URET_STAR] = MSR_STAR, [URET_LSTAR] = MSR_LSTAR, [URET_CSTAR] = MSR_CSTAR,
	[URET_SFMASK] = MSR_SYSCALL_MASK, [URET_TSC_AUX] = MSR_TSC_AUX,
};

struct vmx_uret_msrs {
#ifdef CONFIG_USER_RETURN_NOTIFIER
	struct user_return_notifier urn;
#endif
	bool registered;		/* urn is on this CPU's list */
	bool host_known;		/* host[] read since hardware_enable */
	u64 host[NR_URET_MSRS];
	u64 cur[NR_URET_MSRS];		/* what the CPU holds */
};

static DEFINE_PER_CPU(struct vmx_uret_msrs, vmx_uret_msrs);

static unsigned int uret_nr_msrs(void)
{
	/* TSC_AUX only when the guest's RDTSCP runs natively (secondary control) */
	return vmx_sec_ctls & SEC_ENABLE_RDTSCP ? NR_URET_MSRS : URET_TSC_AUX;
}

/* the host's values back; interrupts disabled */
static void uret_restore_host(struct vmx_uret_msrs *m)
{
	unsigned int i;

	for (i = 0; i < uret_nr_msrs(); i++) {
		if (m->cur[i] != m->host[i]) {
			wrmsrl(uret_msr_index[i], m->host[i]);
			m->cur[i] = m->host[i];
		}
	}
}

#ifdef CONFIG_USER_RETURN_NOTIFIER
static void vmx_on_user_return(struct user_return_notifier *urn)
{
	struct vmx_uret_msrs *m = container_of(urn, struct vmx_uret_msrs, urn);
	unsigned long flags;

	/* the notifier runs on its own CPU; an IPI turning VMX off must not interleave */
	local_irq_save(flags);
	if (m->registered) {
		m->registered = false;
		user_return_notifier_unregister(urn);
		uret_restore_host(m);
	}
	local_irq_restore(flags);
}
#endif

/* Before an entry, interrupts disabled: the guest's values into this CPU. */
static void uret_load_guest(struct vcpu_vmx *vmx)
{
	struct vmx_uret_msrs *m = this_cpu_ptr(&vmx_uret_msrs);
	u64 guest[NR_URET_MSRS];
	unsigned int i, n = uret_nr_msrs();

	if (!m->host_known) {
		for (i = 0; i < n; i++) {
			rdmsrl(uret_msr_index[i], m->host[i]);
			m->cur[i] = m->host[i];
		}
		m->host_known = true;
	}
	guest[URET_STAR] = vmx->star;
	guest[URET_LSTAR] = vmx->lstar;
	guest[URET_CSTAR] = vmx->cstar;
	guest[URET_SFMASK] = vmx->sfmask;
	guest[URET_TSC_AUX] = vmx->vcpu->arch.tsc_aux;
	for (i = 0; i < n; i++) {
		if (m->cur[i] != guest[i]) {
			wrmsrl(uret_msr_index[i], guest[i]);
			m->cur[i] = guest[i];
		}
	}
#ifdef CONFIG_USER_RETURN_NOTIFIER
	if (!m->registered) {
		m->urn.on_user_return = vmx_on_user_return;
		user_return_notifier_register(&m->urn);
		m->registered = true;
	}
#endif
}

/* After the exit: without the notifier, the host's values go back at once */
static void uret_after_exit(void)
{
#ifndef CONFIG_USER_RETURN_NOTIFIER
	uret_restore_host(this_cpu_ptr(&vmx_uret_msrs));
#endif
}

/* hardware_enable on this CPU: whatever it held before, read the host's values again */
void vmx_uret_cpu_enable(void)
{
	struct vmx_uret_msrs *m = this_cpu_ptr(&vmx_uret_msrs);

	WARN_ON_ONCE(m->registered);
	m->host_known = false;
}

/* hardware_disable on this CPU (offline, unload, reboot): the host's values, no notifier */
void vmx_uret_cpu_disable(void)
{
	struct vmx_uret_msrs *m = this_cpu_ptr(&vmx_uret_msrs);
	unsigned long flags;

	local_irq_save(flags);
	if (m->host_known)
		uret_restore_host(m);
#ifdef CONFIG_USER_RETURN_NOTIFIER
	if (m->registered)
		user_return_notifier_unregister(&m->urn);
#endif
	m->registered = false;
	local_irq_restore(flags);
}

/*
 * IA32_DEBUGCTL is cleared by every VM exit (27.5.1): around each entry. KERNEL_GS_BASE:
 * from the first entry after vcpu_load to vcpu_put (vmx_kgs_load_guest).
 */
struct host_msrs {
	u64 debugctl;
};

static void swap_syscall_msrs(struct vcpu_vmx *vmx, struct host_msrs *h)
{
	h->debugctl = 0;
	if (vmx_has_debugctl)
		rdmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
	uret_load_guest(vmx);
	vmx_kgs_load_guest(vmx);
}

static void restore_syscall_msrs(const struct host_msrs *h)
{
	uret_after_exit();
	if (h->debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
}

/*
 * One VMLAUNCH/VMRESUME, interrupts disabled. An external interrupt exits (pin-based
 * "external-interrupt exiting", not acknowledged on exit) and stays pending until the run
 * loop enables interrupts; an NMI exits and is handed to the host's handler here.
 */
void vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	int cpu = smp_processor_id();
	u16 ds, es, fs, gs;
	unsigned long fs_base;
	struct desc_ptr gdt, idt;
	struct host_msrs h;
	bool dr6_live;
	u64 gen;
	int r;

	if (vmx->loaded_cpu != cpu)
		vmx_vcpu_load(vcpu, cpu);
	if (vmx->loaded_cpu != cpu) {
		vmx->exit_reason = EXIT_REASON_FAILED_ENTRY | 0xffff;
		vmx->vm_instruction_error = 0;
		vmx->idt_vectoring_info = 0;
		return;
	}

	/*
	 * EPT entries were zapped since this vCPU last flushed, or it arrives on a CPU where
	 * translations it cached before an earlier zap may linger: flush them (28.3.3.4).
	 * Also when the guest asked for a flush (PV TLB flush, steal_time.c).
	 */
	gen = READ_ONCE(vcpu->kvm->arch.tdp.flush_gen);
	if (vcpu->arch.tlb_flush_gen != gen || vcpu->arch.last_cpu != cpu ||
	    vcpu->arch.tlb_flush_guest) {
		vcpu->arch.tlb_flush_gen = gen;
		vcpu->arch.tlb_flush_guest = false;
		vcpu->arch.last_cpu = cpu;
		vmx_flush_ept(__pa(vcpu->kvm->arch.tdp.root) | 6 | (3 << 3));
		if (vmx->vpid)
			vmx_flush_vpid(vmx->vpid);
		kvm_stat_inc(vcpu->arch.stat.tlb_flush);
	}

	vmcs_write(HOST_CR3, __read_cr3());
	vmcs_write(HOST_CR4, __read_cr4());
	rdmsrl(MSR_FS_BASE, fs_base);
	vmcs_write(HOST_FS_BASE, fs_base);
	vmcs_write(HOST_GS_BASE, native_read_msr(MSR_GS_BASE));
	write_guest_state(vmx);

	savesegment(ds, ds);
	savesegment(es, es);
	savesegment(fs, fs);
	savesegment(gs, gs);
	native_store_gdt(&gdt);
	store_idt(&idt);
	swap_syscall_msrs(vmx, &h);
	/*
	 * DR6 is no VMCS field (SDM 27.3.1 lists DR7 only): the guest's goes into the CPU when
	 * it owns the debug registers or has a breakpoint armed, so a #DB delivered inside the
	 * guest leaves its B0-B3/BS bits where the guest's handler, and we, can read them.
	 */
	dr6_live = vcpu->arch.dr_passthrough || (vmx->dr7 & DR7_ENABLE_BITS);
	if (dr6_live)
		set_debugreg(vmx->dr6, 6);

	/* CR2 is no VMCS field: the guest's is in the CPU while it runs (SDM 27.3.1 note) */
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
	r = vmx_vmenter(vcpu->arch.regs, vmx->launched);
	vmx->cr2 = native_read_cr2();

	if (dr6_live) {
		get_debugreg(vmx->dr6, 6);
		set_debugreg(DR6_RESERVED, 6);
	}
	/* 27.5.2: a VM exit leaves GDTR/IDTR limits at 0xffff and TR's at 0x67 */
	native_load_gdt(&gdt);
	native_load_idt(&idt);
	invalidate_tss_limit();
	if (ds | es) {
		loadsegment(ds, ds);
		loadsegment(es, es);
	}
	if (fs) {
		loadsegment(fs, fs);
		wrmsrl(MSR_FS_BASE, fs_base);
	}
	/*
	 * load_gs_index() swaps GS and writes the user GS base, which is KERNEL_GS_BASE here:
	 * the guest's value out first (SWAPGS changes it without an exit, SDM vol. 2B), the
	 * host's back after (vmx_kgs_put). Only a task with a GS selector of its own gets here.
	 */
	if (gs) {
		vmx_kgs_put(vmx);
		load_gs_index(gs);
		wrmsrl(MSR_KERNEL_GS_BASE, vmx->host_kgs);
	}
	restore_syscall_msrs(&h);

	if (r) {
		vmx->vm_instruction_error = vmcs_read(VM_INSTRUCTION_ERROR);
		vmx->exit_reason = EXIT_REASON_FAILED_ENTRY | 0xffff;
		vmx->idt_vectoring_info = 0;
		vmx->entry_intr_info = 0;
		return;
	}
	vmx->exit_reason = vmcs_read(VM_EXIT_REASON);
	if (!(vmx->exit_reason & EXIT_REASON_FAILED_ENTRY))
		vmx->launched = true;
	vmx->exit_qual = vmcs_read(EXIT_QUALIFICATION);
	vmx->exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
	vmx->exit_intr_error = vmcs_read(VM_EXIT_INTR_ERROR_CODE);
	vmx->idt_vectoring_info = vmcs_read(IDT_VECTORING_INFO);
	vmx->idt_vectoring_error = vmcs_read(IDT_VECTORING_ERROR_CODE);
	vmx->exit_instr_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	vmx->exit_instr_info = vmcs_read(VMX_INSTRUCTION_INFO);
	vmx->guest_phys = vmcs_read(GUEST_PHYSICAL_ADDRESS);
	read_guest_state(vmx);
	/* 27.2.3 / 24.8.3: the entry's event was delivered (or went to IDT-vectoring info) */
	vmx->entry_intr_info = 0;

	/* an NMI that hit the guest is the host's: run its handler now, interrupts still off */
	if ((u16)vmx->exit_reason == EXIT_REASON_EXCEPTION_NMI &&
	    (vmx->exit_intr_info & INTR_INFO_VALID) &&
	    ((vmx->exit_intr_info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_NMI)
		asm volatile("int $2");
}
