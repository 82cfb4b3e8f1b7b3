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
 * The guest state is cached in struct vcpu_vmx (struct vmx_cache, accessors in vmx.h),
 * lazily both ways: after an exit only the exit information, RSP, RIP, RFLAGS and the
 * interruptibility state are read; a group of guest-state fields (or a batch of groups
 * usually needed together) is read from the VMCS the first time something asks for it, a
 * group a setter changed is written before the next entry, and the controls and the fields
 * written per entry go in only when their value differs from what the VMCS holds
 * (vmx->shadow). The VMCS keeps its contents across VMCLEAR and VMPTRLD, so what the cache
 * lacks stays in it while the vCPU is not loaded; a state ioctl that needs it makes the
 * VMCS current for a moment (read_unloaded). Under Bochs, where each VMREAD and VMWRITE is
 * an emulated instruction, this was most of the cost of an exit handled in the kernel.
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
	const struct vmx_seg *s = vmx_seg(to_vmx(vcpu), seg);

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
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct vmx_seg *s = &vmx->cache.seg[seg];
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
	vmx_cache_set(vmx, VMX_GS_SEG(seg));
}

void vmx_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	const struct vmx_seg *s = idt ? &vmx->cache.idtr : &vmx->cache.gdtr;

	vmx_cache_need_batch(vmx, idt ? VMX_GS_IDTR : VMX_GS_GDTR, VMX_GS_DTABLES);
	dt->base = s->base;
	dt->limit = s->limit;
}

void vmx_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct vmx_seg *s = idt ? &vmx->cache.idtr : &vmx->cache.gdtr;

	s->base = dt->base;
	s->limit = dt->limit;
	vmx_cache_set(vmx, idt ? VMX_GS_IDTR : VMX_GS_GDTR);
}

u64 vmx_get_cr(struct kvm_vcpu *vcpu, int cr)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	switch (cr) {
	case 0: return vmx_cr0(vmx);
	case 2: return vmx->cr2;
	case 3: return vmx_cr3(vmx);
	case 8: return vmx->cr8;
	default: return vmx_cr4(vmx);
	}
}

void vmx_set_cr(struct kvm_vcpu *vcpu, int cr, u64 val)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	switch (cr) {
	case 0: vmx_cr0_set(vmx, val); break;
	case 2: vmx->cr2 = val; return;
	case 3: vmx_cr3_set(vmx, val); break;
	case 8: vmx->cr8 = val & 0xf; return;
	default: vmx_cr4_set(vmx, val); break;
	}
	/* KVM_SET_SREGS sets CR0, CR3, CR4, then EFER: the last load sees them all */
	vmx_load_pdptrs(vcpu, true);
}

u64 vmx_get_efer(struct kvm_vcpu *vcpu)
{
	return vmx_efer(to_vmx(vcpu));
}

void vmx_set_efer(struct kvm_vcpu *vcpu, u64 efer)
{
	vmx_efer_set(to_vmx(vcpu), efer);
	vmx_load_pdptrs(vcpu, true);
}

u64 vmx_get_dr(struct kvm_vcpu *vcpu, int dr)
{
	return dr == 6 ? to_vmx(vcpu)->dr6 : vmx_dr7(to_vmx(vcpu));
}

void vmx_set_dr(struct kvm_vcpu *vcpu, int dr, u64 val)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	if (dr == 6) {
		vmx->dr6 = val;
	} else {
		vmx->cache.dr7 = val;
		vmx_cache_set(vmx, VMX_GS_DR7);
	}
}

void vmx_set_dr_intercept(struct kvm_vcpu *vcpu, bool on)
{
	to_vmx(vcpu)->dr_exiting = on;
}

u64 vmx_get_rflags(struct kvm_vcpu *vcpu)
{
	return vmx_rflags(to_vmx(vcpu));
}

void vmx_set_rflags(struct kvm_vcpu *vcpu, u64 rflags)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);

	vmx->cache.rflags = rflags;
	vmx_cache_set(vmx, VMX_GS_RFLAGS);
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
	const struct vmx_sysenter *se = &vmx->cache.sysenter;

	switch (index) {
	case MSR_STAR: *data = vmx->star; break;
	case MSR_LSTAR: *data = vmx->lstar; break;
	case MSR_CSTAR: *data = vmx->cstar; break;
	case MSR_SYSCALL_MASK: *data = vmx->sfmask; break;
	case MSR_KERNEL_GS_BASE: *data = vmx_kgs_read(vmx); break;
	case MSR_FS_BASE: *data = vmx_seg(vmx, VCPU_SREG_FS)->base; break;
	case MSR_GS_BASE: *data = vmx_seg(vmx, VCPU_SREG_GS)->base; break;
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		vmx_cache_need(vmx, VMX_GS_SYSENTER);
		*data = index == MSR_IA32_SYSENTER_CS ? se->cs :
			index == MSR_IA32_SYSENTER_ESP ? se->esp : se->eip;
		break;
	case MSR_IA32_CR_PAT: *data = vmx->cache.pat; break;	/* never volatile */
	default: return -ENOENT;
	}
	return 0;
}

int vmx_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct vmx_sysenter *se = &vmx->cache.sysenter;

	switch (index) {
	case MSR_STAR: vmx->star = data; break;
	case MSR_LSTAR: vmx->lstar = data; break;
	case MSR_CSTAR: vmx->cstar = data; break;
	case MSR_SYSCALL_MASK: vmx->sfmask = data; break;
	case MSR_KERNEL_GS_BASE: vmx_kgs_write(vmx, data); break;
	case MSR_FS_BASE: vmx_seg_mut(vmx, VCPU_SREG_FS)->base = data; break;
	case MSR_GS_BASE: vmx_seg_mut(vmx, VCPU_SREG_GS)->base = data; break;
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		vmx_cache_need(vmx, VMX_GS_SYSENTER);
		if (index == MSR_IA32_SYSENTER_CS)
			se->cs = data;
		else if (index == MSR_IA32_SYSENTER_ESP)
			se->esp = data;
		else
			se->eip = data;
		vmx_cache_set(vmx, VMX_GS_SYSENTER);
		break;
	case MSR_IA32_CR_PAT:
		vmx->cache.pat = data;
		vmx_cache_set(vmx, VMX_GS_PAT);
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

/*
 * Processor state after RESET, SDM vol. 3A 9.1.1 table 9-1. Every cached VMCS field gets
 * a value here, so the whole cache is marked for writing at the next entry.
 */
void vmx_vcpu_reset(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct vmx_cache *c = &vmx->cache;
	int i;

	for (i = VCPU_SREG_ES; i <= VCPU_SREG_GS; i++)
		init_segment(&c->seg[i], 0x93);		/* data, read/write, accessed */
	init_segment(&c->seg[VCPU_SREG_CS], 0x9b);	/* code, execute/read, accessed */
	c->seg[VCPU_SREG_CS].selector = 0xf000;
	c->seg[VCPU_SREG_CS].base = 0xffff0000;
	init_segment(&c->seg[VCPU_SREG_LDTR], 0x82);	/* LDT */
	init_segment(&c->seg[VCPU_SREG_TR], 0x8b);	/* busy 32-bit TSS */
	c->gdtr.base = c->idtr.base = 0;
	c->gdtr.limit = c->idtr.limit = 0xffff;
	c->rflags = X86_EFLAGS_FIXED;
	c->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	c->cr3 = c->cr4 = 0;
	memset(c->pdptr, 0, sizeof(c->pdptr));
	c->dr7 = DR7_RESET_VALUE;
	c->sysenter.cs = c->sysenter.esp = c->sysenter.eip = 0;
	c->interruptibility = 0;
	c->efer = 0;
	c->pat = PAT_RESET_VALUE;
	vmx_cache_set(vmx, VMX_GS_ALL);
	vmx->cr2 = 0;
	vmx->cr8 = 0;
	vmx->dr6 = DR6_RESERVED;
	vmx->star = vmx->lstar = vmx->cstar = vmx->sfmask = 0;
	vmx_kgs_write(vmx, 0);
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

/*
 * CR0/CR4 bits the host owns: those VMX fixes (the guest reads its own values from the read
 * shadows, and its writes to them exit), CR0.PG (its writes change the "IA-32e mode guest"
 * entry control), and CR4.VMXE (set in the real CR4). The guest changes the others without
 * an exit (25.3): they are read back from GUEST_CR0/GUEST_CR4.
 */
static u64 cr0_host_mask(void)
{
	return (vmx_cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG)) |
	       (~vmx_cr0_fixed1 & 0xffffffffULL) | X86_CR0_PG;
}

static u64 cr4_host_mask(void)
{
	return vmx_cr4_fixed0 | (~vmx_cr4_fixed1 & 0xffffffffULL) | X86_CR4_VMXE;
}

/* a field written only when its value changes: *shadow is what the VMCS holds */
static __always_inline void vmcs_write_changed(unsigned long field, u64 val, u64 *shadow)
{
	if (val != *shadow) {
		vmcs_write(field, val);
		*shadow = val;
	}
}

static void vmcs_write_init(unsigned long field, u64 val, u64 *shadow)
{
	vmcs_write(field, val);
	*shadow = val;
}

/*
 * The VMCS's first time current: the fields that never change for a vCPU, first values of
 * those written only when they change (vmx->shadow), and every guest-state field from the
 * cache. VMCLEAR and VMPTRLD keep a VMCS's contents (24.11.1), so this is done once.
 */
static void vmcs_setup(struct vcpu_vmx *vmx)
{
	struct vmx_vmcs_shadow *sh = &vmx->shadow;
	unsigned long *regs = vmx->vcpu->arch.regs;
	u64 v;
	u32 lo, hi;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_pin_ctls);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx_sec_ctls);
	vmcs_write(VM_EXIT_CONTROLS, vmx_exit_ctls);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	/*
	 * The VMX-preemption timer starts from this field at every entry (26.7.4), and a VM
	 * exit stores the timer back only with "save VMX-preemption timer value" (27.3.4),
	 * which is never set: it stays as written here.
	 */
	if (vmx_pin_ctls & PIN_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_preemption_timer);
	vmcs_write(VM_ENTRY_INTR_INFO, 0);
	vmx->entry_intr_stale = false;
	vmcs_write_init(CPU_BASED_VM_EXEC_CONTROL, vmx_cpu_ctls, &sh->cpu_ctls);
	vmcs_write_init(EXCEPTION_BITMAP, 0, &sh->exception_bitmap);
	vmcs_write_init(VM_ENTRY_CONTROLS, vmx_entry_ctls, &sh->entry_ctls);
	vmcs_write_init(MSR_BITMAP, vmx_msr_bitmap_pa, &sh->msr_bitmap);
	vmcs_write_init(TSC_OFFSET, vmx->tsc_offset, &sh->tsc_offset);
	vmcs_write_init(GUEST_RSP, regs[VCPU_REGS_RSP], &sh->rsp);
	vmcs_write_init(GUEST_RIP, regs[VCPU_REGS_RIP], &sh->rip);
	vmcs_write_init(HOST_CR3, __read_cr3(), &sh->host_cr3);
	vmcs_write_init(HOST_CR4, __read_cr4(), &sh->host_cr4);
	vmx_cache_set(vmx, VMX_GS_ALL);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* 28.2.6: WB paging structures, 4-level walk, the VM's root table */
	vmcs_write(EPT_POINTER, __pa(vmx->vcpu->kvm->arch.tdp.root) | 6 | (3 << 3));
	if (vmx->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write(CR0_GUEST_HOST_MASK, cr0_host_mask());
	vmcs_write(CR4_GUEST_HOST_MASK, cr4_host_mask());

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

	/*
	 * Host state that differs per CPU, and the task's FS base (constant while it runs in
	 * the kernel; a context switch puts the vCPU first). GS base is this CPU's per-CPU
	 * area: the host's KERNEL_GS_BASE is handled apart (vmx_kgs_load_guest).
	 */
	rdmsrl(MSR_FS_BASE, vmx->host_fs_base);
	vmcs_write(HOST_FS_BASE, vmx->host_fs_base);
	vmcs_write(HOST_GS_BASE, native_read_msr(MSR_GS_BASE));
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

static void write_seg(struct vcpu_vmx *vmx, int seg)
{
	const struct vmx_seg *s = &vmx->cache.seg[seg];
	unsigned int f = 2 * vmcs_seg(seg);

	vmcs_write(GUEST_ES_SELECTOR + f, s->selector);
	vmcs_write(GUEST_ES_LIMIT + f, s->limit);
	vmcs_write(GUEST_ES_AR_BYTES + f, s->ar);
	vmcs_write(GUEST_ES_BASE + f, s->base);
}

static __always_inline void read_seg(struct vcpu_vmx *vmx, int seg)
{
	struct vmx_seg *s = &vmx->cache.seg[seg];
	unsigned int f = 2 * vmcs_seg(seg);

	s->selector = vmcs_read(GUEST_ES_SELECTOR + f);
	s->limit = vmcs_read(GUEST_ES_LIMIT + f);
	s->ar = vmcs_read(GUEST_ES_AR_BYTES + f);
	s->base = vmcs_read(GUEST_ES_BASE + f);
}

/* one group of guest-state fields (enum vmx_gs_group) into the VMCS */
static void write_group(struct vcpu_vmx *vmx, unsigned int n)
{
	const struct vmx_cache *c = &vmx->cache;

	switch (n) {
	case VCPU_SREG_ES ... VCPU_SREG_LDTR:
		write_seg(vmx, n);
		break;
	case VMX_GSN_GDTR:
		vmcs_write(GUEST_GDTR_BASE, c->gdtr.base);
		vmcs_write(GUEST_GDTR_LIMIT, c->gdtr.limit);
		break;
	case VMX_GSN_IDTR:
		vmcs_write(GUEST_IDTR_BASE, c->idtr.base);
		vmcs_write(GUEST_IDTR_LIMIT, c->idtr.limit);
		break;
	case VMX_GSN_RFLAGS:
		vmcs_write(GUEST_RFLAGS, c->rflags);
		break;
	case VMX_GSN_CR0:
		/* with unrestricted guest, PE and PG are the guest's own (26.3.1.1) */
		vmcs_write(GUEST_CR0, (c->cr0 | (vmx_cr0_fixed0 &
						  ~(u64)(X86_CR0_PE | X86_CR0_PG))) &
				      vmx_cr0_fixed1);
		vmcs_write(CR0_READ_SHADOW, c->cr0);
		break;
	case VMX_GSN_CR3:
		vmcs_write(GUEST_CR3, c->cr3);
		break;
	case VMX_GSN_CR4:
		vmcs_write(GUEST_CR4, (c->cr4 | vmx_cr4_fixed0 | X86_CR4_VMXE) & vmx_cr4_fixed1);
		vmcs_write(CR4_READ_SHADOW, c->cr4);
		break;
	case VMX_GSN_PDPTRS:
		vmx_write_pdptrs(vmx);
		break;
	case VMX_GSN_DR7:
		vmcs_write(GUEST_DR7, c->dr7);
		break;
	case VMX_GSN_SYSENTER:
		vmcs_write(GUEST_SYSENTER_CS, c->sysenter.cs);
		vmcs_write(GUEST_SYSENTER_ESP, c->sysenter.esp);
		vmcs_write(GUEST_SYSENTER_EIP, c->sysenter.eip);
		break;
	case VMX_GSN_INTR:
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, c->interruptibility);
		break;
	case VMX_GSN_EFER:
		/*
		 * EFER.LME without EFER.LMA (long mode enabled, paging still off) is legal
		 * (26.3.1.1 checks LMA = LME only with CR0.PG set) but Bochs refuses it. LME
		 * does nothing until CR0.PG is set, which exits (PG is host-owned): the CPU
		 * gets LME only with LMA.
		 */
		vmcs_write(GUEST_IA32_EFER, (c->efer & EFER_LMA) ? c->efer : c->efer & ~EFER_LME);
		break;
	case VMX_GSN_PAT:
		vmcs_write(GUEST_IA32_PAT, c->pat);
		break;
	}
}

/*
 * The CRs from the VMCS: the bits the guest owns in CR0 and CR4 come from the real
 * registers, the others from the cache (what the read shadows hold).
 */
static __always_inline void read_crs(struct vcpu_vmx *vmx, u32 missing)
{
	struct vmx_cache *c = &vmx->cache;
	u64 mask;

	if (missing & VMX_GS_CR0) {
		mask = cr0_host_mask();
		c->cr0 = (vmcs_read(GUEST_CR0) & ~mask) | (c->cr0 & mask);
	}
	if (missing & VMX_GS_CR3)
		c->cr3 = vmcs_read(GUEST_CR3);
	if (missing & VMX_GS_CR4) {
		mask = cr4_host_mask();
		c->cr4 = (vmcs_read(GUEST_CR4) & ~mask) | (c->cr4 & mask);
	}
}

/*
 * One of the other groups from the VMCS (read_missing() does the segments and CRs). EFER
 * and PAT are never volatile: nothing to read.
 */
static void read_group(struct vcpu_vmx *vmx, unsigned int n)
{
	struct vmx_cache *c = &vmx->cache;

	switch (n) {
	case VMX_GSN_GDTR:
		c->gdtr.base = vmcs_read(GUEST_GDTR_BASE);
		c->gdtr.limit = vmcs_read(GUEST_GDTR_LIMIT);
		break;
	case VMX_GSN_IDTR:
		c->idtr.base = vmcs_read(GUEST_IDTR_BASE);
		c->idtr.limit = vmcs_read(GUEST_IDTR_LIMIT);
		break;
	case VMX_GSN_RFLAGS:
		c->rflags = vmcs_read(GUEST_RFLAGS);
		break;
	case VMX_GSN_PDPTRS:
		vmx_read_pdptrs(vmx);
		break;
	case VMX_GSN_DR7:
		c->dr7 = vmcs_read(GUEST_DR7);
		break;
	case VMX_GSN_SYSENTER:
		c->sysenter.cs = vmcs_read(GUEST_SYSENTER_CS);
		c->sysenter.esp = vmcs_read(GUEST_SYSENTER_ESP);
		c->sysenter.eip = vmcs_read(GUEST_SYSENTER_EIP);
		break;
	case VMX_GSN_INTR:
		c->interruptibility = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
		break;
	}
}

/*
 * The segments and CRs, most often missing, straight; the others through read_group(),
 * lowest first (the PDPTEs depend on CR0 and CR4).
 */
static void read_missing(struct vcpu_vmx *vmx, u32 missing)
{
	struct vmx_cache *c = &vmx->cache;
	unsigned int n;
	u32 m;

	for (m = missing & VMX_GS_SEGS; m; m &= m - 1)
		read_seg(vmx, __ffs(m));
	read_crs(vmx, missing);
	c->avail |= missing & (VMX_GS_SEGS | VMX_GS_CRS);
	missing &= ~(VMX_GS_SEGS | VMX_GS_CRS);
	for (; missing; missing &= missing - 1) {
		n = __ffs(missing);
		read_group(vmx, n);
		vmx->cache.avail |= BIT(n);
	}
}

static u64 vmptrst(void)
{
	u64 pa;

	asm volatile("vmptrst %[pa]" : [pa] "=m"(pa) : : "cc");
	return pa;
}

/*
 * A vCPU not loaded (a state ioctl, vcpu->mutex held): its VMCS is current on no CPU, and
 * its contents survive VMCLEAR (24.11.1). Make it current here for a moment and read every
 * group missing, so that the other accessors of the ioctl find them. No other VMCS should
 * be current here (a CPU's current VMCS is that of the vCPU its running thread has loaded),
 * but one that is gets its place back.
 */
static noinline void read_unloaded(struct vcpu_vmx *vmx)
{
	u64 other = vmptrst();

	/* without the mutex the vCPU could be loaded elsewhere at the same time */
	lockdep_assert_held(&vmx->vcpu->mutex);
	if (WARN_ON_ONCE(vmptrld(vmx->vmcs_pa)))
		return;
	read_missing(vmx, VMX_GS_ALL & ~vmx->cache.avail);
	if (vmclear(vmx->vmcs_pa))
		pr_err_once("kvm_intel: VMCLEAR failed on CPU %d\n", smp_processor_id());
	if (WARN_ON_ONCE(other != ~0ULL) && vmptrld(other))
		pr_err_once("kvm_intel: VMPTRLD failed on CPU %d\n", smp_processor_id());
}

/*
 * A segment and its usual companions (enum kvm_sreg: ES CS SS DS FS GS TR LDTR): CS and SS
 * with the CRs (VMX_GS_MODE), ES and DS, FS and GS (the 64-bit bases), TR and LDTR.
 */
void vmx_cache_fetch_seg(struct vcpu_vmx *vmx, int seg)
{
	if (seg == VCPU_SREG_CS || seg == VCPU_SREG_SS)
		vmx_cache_fetch(vmx, VMX_GS_MODE);
	else
		vmx_cache_fetch(vmx, VMX_GS_SEG(seg) | VMX_GS_SEG(seg < 4 ? 3 - seg : seg ^ 1));
}

/*
 * The slow path of vmx_cache_need(): read from the VMCS the groups the cache lacks. On the
 * vCPU's own thread while it is loaded, its VMCS is this CPU's current one; with the vCPU
 * not loaded, see read_unloaded(). Anyone else (a thread without vcpu->mutex while the
 * vCPU runs on another CPU) gets the cache as it is.
 */
void vmx_cache_fetch(struct vcpu_vmx *vmx, u32 groups)
{
	int cpu = get_cpu();

	if (vmx->loaded_cpu == cpu)
		read_missing(vmx, groups & ~vmx->cache.avail);
	else if (vmx->loaded_cpu < 0)
		read_unloaded(vmx);
	else
		WARN_ON_ONCE(1);
	put_cpu();
}

/* Before an entry: the groups changed since the last one */
static void write_dirty(struct vcpu_vmx *vmx)
{
	u32 dirty;

	for (dirty = vmx->cache.dirty; dirty; dirty &= dirty - 1)
		write_group(vmx, __ffs(dirty));
	vmx->cache.dirty = 0;
}

/*
 * Before an entry: the controls and other fields written when they change, RSP and RIP
 * (the common code changes regs[] directly: they are compared with what the VMCS holds),
 * and the event to inject.
 */
static void write_controls(struct vcpu_vmx *vmx)
{
	struct vmx_vmcs_shadow *sh = &vmx->shadow;
	unsigned long *regs = vmx->vcpu->arch.regs;
	u32 cpu_ctls = vmx_cpu_ctls, entry_ctls = vmx_entry_ctls;

	vmcs_write_changed(GUEST_RSP, regs[VCPU_REGS_RSP], &sh->rsp);
	vmcs_write_changed(GUEST_RIP, regs[VCPU_REGS_RIP], &sh->rip);
	vmcs_write_changed(TSC_OFFSET, vmx->tsc_offset, &sh->tsc_offset);
	/* a VM whose MSR filter denies a passthrough MSR has every MSR exit (msr_filter.c) */
	vmcs_write_changed(MSR_BITMAP, kvm_msr_filter_intercept_all(vmx->vcpu->kvm) ?
				       vmx_msr_bitmap_all_pa : vmx_msr_bitmap_pa, &sh->msr_bitmap);

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
	vmcs_write_changed(CPU_BASED_VM_EXEC_CONTROL, cpu_ctls, &sh->cpu_ctls);
	vmcs_write_changed(EXCEPTION_BITMAP, vmx->exception_bitmap, &sh->exception_bitmap);
	if (vmx_efer(vmx) & EFER_LMA)
		entry_ctls |= ENTRY_IA32E_MODE;
	vmcs_write_changed(VM_ENTRY_CONTROLS, entry_ctls, &sh->entry_ctls);

	/* 24.8.3: every VM exit clears the valid bit; an event is written for each entry */
	if ((vmx->entry_intr_info & INTR_INFO_VALID) || vmx->entry_intr_stale) {
		vmcs_write(VM_ENTRY_INTR_INFO, vmx->entry_intr_info);
		vmx->entry_intr_stale = false;
	}
	if (vmx->entry_intr_info & INTR_INFO_VALID) {
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmx->entry_error_code);
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vmx->entry_instr_len);
	}
}

/*
 * After a VM exit: the exit information the handlers use (27.2; a field the exit reason
 * does not define reads as 0), RSP, RIP and the groups read eagerly (VMX_GS_EAGER), and
 * which cached groups the guest may have changed. Nothing is dirty here: write_dirty() ran
 * before the entry. DR7 changes in the guest only by MOV to DR7, which exits with "MOV-DR
 * exiting", or by a #DB clearing DR7.GD (SDM vol. 3B 17.2.4).
 */
static void read_exit(struct vcpu_vmx *vmx)
{
	unsigned long *regs = vmx->vcpu->arch.regs;
	u32 basic = (u16)vmx->exit_reason, keep = VMX_GS_ALL & ~VMX_GS_VOLATILE;

	vmx->exit_qual = vmcs_read(EXIT_QUALIFICATION);
	vmx->exit_instr_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	vmx->idt_vectoring_info = vmcs_read(IDT_VECTORING_INFO);
	vmx->idt_vectoring_error = 0;
	if (vmx->idt_vectoring_info & INTR_INFO_DELIVER_CODE)
		vmx->idt_vectoring_error = vmcs_read(IDT_VECTORING_ERROR_CODE);
	vmx->exit_intr_info = 0;
	vmx->exit_intr_error = 0;
	if (basic == EXIT_REASON_EXCEPTION_NMI) {
		vmx->exit_intr_info = vmcs_read(VM_EXIT_INTR_INFO);
		if (vmx->exit_intr_info & INTR_INFO_DELIVER_CODE)
			vmx->exit_intr_error = vmcs_read(VM_EXIT_INTR_ERROR_CODE);
	}
	vmx->exit_instr_info = basic == EXIT_REASON_IO_INSTRUCTION ?
			       vmcs_read(VMX_INSTRUCTION_INFO) : 0;
	vmx->guest_phys = basic == EXIT_REASON_EPT_VIOLATION ||
			  basic == EXIT_REASON_EPT_MISCONFIG ?
			  vmcs_read(GUEST_PHYSICAL_ADDRESS) : 0;

	regs[VCPU_REGS_RSP] = vmx->shadow.rsp = vmcs_read(GUEST_RSP);
	regs[VCPU_REGS_RIP] = vmx->shadow.rip = vmcs_read(GUEST_RIP);
	vmx->cache.rflags = vmcs_read(GUEST_RFLAGS);
	vmx->cache.interruptibility = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	if ((vmx->shadow.cpu_ctls & CPU_MOV_DR_EXITING) && !(vmx->cache.dr7 & DR7_GD))
		keep |= VMX_GS_DR7;
	vmx->cache.avail = (vmx->cache.avail & keep) | VMX_GS_EAGER;
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

	/* CR3 (PCID) and CR4 may change while the vCPU is loaded: a TLB flush, perf */
	vmcs_write_changed(HOST_CR3, __read_cr3(), &vmx->shadow.host_cr3);
	vmcs_write_changed(HOST_CR4, __read_cr4(), &vmx->shadow.host_cr4);
	if (vmx->cache.dirty)
		write_dirty(vmx);
	write_controls(vmx);

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
	dr6_live = vcpu->arch.dr_passthrough || (vmx_dr7(vmx) & DR7_ENABLE_BITS);
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
		wrmsrl(MSR_FS_BASE, vmx->host_fs_base);
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
		vmx->entry_intr_stale = true;
		return;
	}
	vmx->exit_reason = vmcs_read(VM_EXIT_REASON);
	if (!(vmx->exit_reason & EXIT_REASON_FAILED_ENTRY))
		vmx->launched = true;
	else
		vmx->entry_intr_stale = true;
	read_exit(vmx);
	/* 27.2.3 / 24.8.3: the entry's event was delivered (or went to IDT-vectoring info) */
	vmx->entry_intr_info = 0;

	/* an NMI that hit the guest is the host's: run its handler now, interrupts still off */
	if ((u16)vmx->exit_reason == EXIT_REASON_EXCEPTION_NMI &&
	    (vmx->exit_intr_info & INTR_INFO_VALID) &&
	    ((vmx->exit_intr_info >> INTR_INFO_TYPE_SHIFT) & 7) == INTR_TYPE_NMI)
		asm volatile("int $2");
}
