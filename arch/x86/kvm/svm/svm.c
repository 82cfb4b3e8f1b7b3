// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd: the AMD-V (SVM) backend.
 *
 * Enabling SVM on a CPU (AMD APM vol. 2, 15.4 "Enabling SVM"): CPUID Fn8000_0001_ECX[SVM]
 * says the extension exists, VM_CR.SVMDIS (MSR C001_0114 bit 4) says firmware disabled it,
 * EFER.SVME turns it on, and VM_HSAVE_PA (MSR C001_0117) must point at a 4 KiB page where
 * VMRUN saves host state (15.30.4). Nested paging (15.25) is required by this backend.
 */
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <asm/cpu_device_id.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>


#include "svm.h"

MODULE_AUTHOR("The kvm-independent authors");
MODULE_DESCRIPTION("AMD-V (SVM) backend for the kvm module");
MODULE_LICENSE("GPL");

/* Same names as Linux's kvm_amd parameters, so tools that read them work. */
static bool npt = true;
module_param(npt, bool, 0444);
MODULE_PARM_DESC(npt, "Nested paging (always on: shadow paging is not implemented)");

/* the other parameters are in params.c */

#define VM_CR_SVMDIS	BIT_ULL(4)	/* APM vol. 2, 15.30.1 "VM_CR MSR" */

/* The host save area of each CPU; allocated for every possible CPU at setup. */
static DEFINE_PER_CPU(struct page *, svm_hsave_page);
/* Where each CPU VMSAVEs the host state VMRUN does not switch (see vmenter.S). */
static DEFINE_PER_CPU(struct page *, svm_host_vmsave_page);

/*
 * I/O and MSR permission maps (APM 15.10.1, 15.11), shared by every vCPU: every port and
 * every MSR is intercepted except the MSRs VMLOAD/VMSAVE switch, which the guest may use
 * directly; svm_msrpm_all intercepts those too, for VMs whose MSR filter denies one.
 */
#define IOPM_ORDER	2	/* 12 KiB used */
#define MSRPM_ORDER	1	/* 8 KiB */
static void *svm_iopm, *svm_msrpm, *svm_msrpm_all;
u64 svm_iopm_pa, svm_msrpm_pa, svm_msrpm_all_pa;
bool svm_has_nrips;

static u32 svm_nr_asids;
static u8 svm_tlb_flush_asid;	/* TLB_CONTROL value that flushes one ASID */

/*
 * ASIDs are handed out per physical CPU (APM 15.16.1 suggests dynamic assignment): each CPU
 * gives the vCPUs that run on it 1, 2, ... and, when the CPU's ASIDs run out, starts a new
 * generation with a flush of every ASID. A vCPU whose (CPU, generation) no longer matches
 * gets a fresh ASID, so any number of vCPUs share the CPU's ASIDs, and a fresh ASID needs no
 * flush. The first assignment on a CPU flushes too: ASIDs of an earlier load may linger.
 */
struct svm_cpu_asids {
	u64 generation;
	u32 next;
};
static DEFINE_PER_CPU(struct svm_cpu_asids, svm_cpu_asids) = { .generation = 0, .next = ~0U };

u64 svm_host_save_pa(void)
{
	return page_to_phys(__this_cpu_read(svm_host_vmsave_page));
}

/*
 * Before VMRUN, interrupts off: make sure the vCPU has an ASID valid on this CPU (ASID 0 is
 * the host's) and say in the VMCB what must be flushed for that.
 */
void svm_asid_assign(struct vcpu_svm *svm, int cpu)
{
	struct svm_cpu_asids *a = this_cpu_ptr(&svm_cpu_asids);
	struct vmcb_control *c = &svm->vmcb->control;

	if (svm->asid_cpu == cpu && svm->asid_generation == a->generation)
		return;
	if (a->next >= svm_nr_asids) {
		a->generation++;
		a->next = 1;
		c->tlb_control = TLB_CONTROL_FLUSH_ALL_ASID;
	}
	svm->asid = a->next++;
	svm->asid_cpu = cpu;
	svm->asid_generation = a->generation;
	c->asid = svm->asid;
}

/* Before VMRUN: the vCPU's translations must go (nested page table entries were zapped). */
void svm_flush_asid(struct vcpu_svm *svm)
{
	if (svm->vmcb->control.tlb_control != TLB_CONTROL_FLUSH_ALL_ASID)
		svm->vmcb->control.tlb_control = svm_tlb_flush_asid;
}

/* the MSRs VMLOAD/VMSAVE and the VMCB's save area switch: the guest uses them directly */
static const u32 svm_passthrough_msrs[] = {
		MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
		MSR_FS_BASE, MSR_GS_BASE, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
		MSR_IA32_SYSENTER_EIP,
};

/* APM 15.11: 2 bits (read, write) per MSR in three 2 KiB ranges of 8192 MSRs */
static void msrpm_allow(u32 msr)
{
	static const u32 range_base[] = { 0, 0xc0000000, 0xc0010000 };
	int i;

	for (i = 0; i < ARRAY_SIZE(range_base); i++) {
		if (msr >= range_base[i] && msr < range_base[i] + 0x2000) {
			u32 bit = (msr - range_base[i]) * 2;
			u8 *byte = (u8 *)svm_msrpm + i * 0x800 + bit / 8;

			*byte &= ~(3 << (bit % 8));
			return;
		}
	}
	WARN_ON_ONCE(1);
}

static int svm_alloc_permission_maps(void)
{
	int i;

	svm_iopm = (void *)__get_free_pages(GFP_KERNEL, IOPM_ORDER);
	svm_msrpm = (void *)__get_free_pages(GFP_KERNEL, MSRPM_ORDER);
	svm_msrpm_all = (void *)__get_free_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm || !svm_msrpm_all)
		return -ENOMEM;
	memset(svm_iopm, 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(svm_msrpm, 0xff, PAGE_SIZE << MSRPM_ORDER);
	memset(svm_msrpm_all, 0xff, PAGE_SIZE << MSRPM_ORDER);
	svm_msrpm_all_pa = __pa(svm_msrpm_all);
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++)
		msrpm_allow(svm_passthrough_msrs[i]);
	svm_iopm_pa = __pa(svm_iopm);
	svm_msrpm_pa = __pa(svm_msrpm);
	return 0;
}

static int svm_check_processor(void)
{
	u64 vm_cr;

	if (!cpu_feature_enabled(X86_FEATURE_SVM)) {
		pr_err("kvm_amd: SVM is not supported by this CPU\n");
		return -ENODEV;
	}
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & VM_CR_SVMDIS) {
		pr_err("kvm_amd: SVM is disabled by firmware (VM_CR.SVMDIS)\n");
		return -ENODEV;
	}
	if (!npt) {
		pr_err("kvm_amd: npt=0 requested, but shadow paging is not implemented\n");
		return -EINVAL;
	}
	if (!cpu_feature_enabled(X86_FEATURE_NPT)) {
		pr_err("kvm_amd: nested paging (NPT) is not supported by this CPU and is required\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

static void svm_hardware_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(svm_hsave_page, cpu))
			__free_page(per_cpu(svm_hsave_page, cpu));
		if (per_cpu(svm_host_vmsave_page, cpu))
			__free_page(per_cpu(svm_host_vmsave_page, cpu));
		per_cpu(svm_hsave_page, cpu) = NULL;
		per_cpu(svm_host_vmsave_page, cpu) = NULL;
	}
	free_pages((unsigned long)svm_iopm, IOPM_ORDER);
	free_pages((unsigned long)svm_msrpm, MSRPM_ORDER);
	free_pages((unsigned long)svm_msrpm_all, MSRPM_ORDER);
	svm_iopm = svm_msrpm = svm_msrpm_all = NULL;
}

static int svm_hardware_setup(void)
{
	struct page *page;
	int cpu;

	/* CPUID Fn8000_000A: EBX number of ASIDs, EDX[3] NRIP save */
	svm_nr_asids = cpuid_ebx(0x8000000a);
	svm_has_nrips = cpu_feature_enabled(X86_FEATURE_NRIPS);
	svm_params_setup();
	/* without FlushByAsid (CPUID Fn8000_000A_EDX[6]) only a full flush exists */
	svm_tlb_flush_asid = cpu_feature_enabled(X86_FEATURE_FLUSHBYASID) ?
			     TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL_ASID;
	if (svm_nr_asids < 2) {
		pr_err("kvm_amd: the CPU reports %u ASIDs; at least 2 are needed\n", svm_nr_asids);
		return -EOPNOTSUPP;
	}

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto err;
		per_cpu(svm_hsave_page, cpu) = page;
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto err;
		per_cpu(svm_host_vmsave_page, cpu) = page;
	}
	if (svm_alloc_permission_maps())
		goto err;
	return 0;
err:
	svm_hardware_unsetup();
	return -ENOMEM;
}

static int svm_hardware_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("kvm_amd: SVM is already in use on CPU %d (EFER.SVME set by another hypervisor)\n",
		       smp_processor_id());
		return -EBUSY;
	}
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(__this_cpu_read(svm_hsave_page)));
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	return 0;
}

static void svm_hardware_disable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, 0);
}

/* udev loads the module on CPUs with the extension, as it does the in-tree one */
static const struct x86_cpu_id svm_cpu_ids[] = {
	X86_MATCH_FEATURE(X86_FEATURE_SVM, NULL),
	{}
};
MODULE_DEVICE_TABLE(x86cpu, svm_cpu_ids);

static const struct kvm_x86_ops svm_x86_ops = {
	.name			= "kvm_amd",
	.passthrough_msrs	= svm_passthrough_msrs,
	.nr_passthrough_msrs	= ARRAY_SIZE(svm_passthrough_msrs),
	.owner			= THIS_MODULE,
	.check_processor	= svm_check_processor,
	.hardware_setup		= svm_hardware_setup,
	.hardware_unsetup	= svm_hardware_unsetup,
	.hardware_enable	= svm_hardware_enable,
	.hardware_disable	= svm_hardware_disable,
	.vcpu_create		= svm_vcpu_create,
	.vcpu_free		= svm_vcpu_free,
	.vcpu_reset		= svm_vcpu_reset,
	.vcpu_load		= svm_vcpu_load,
	.vcpu_put		= svm_vcpu_put,
	.get_segment		= svm_get_segment,
	.set_segment		= svm_set_segment,
	.get_dtable		= svm_get_dtable,
	.set_dtable		= svm_set_dtable,
	.get_cr			= svm_get_cr,
	.set_cr			= svm_set_cr,
	.get_efer		= svm_get_efer,
	.set_efer		= svm_set_efer,
	.get_dr			= svm_get_dr,
	.set_dr			= svm_set_dr,
	.set_dr_intercept	= svm_set_dr_intercept,
	.get_rflags		= svm_get_rflags,
	.set_rflags		= svm_set_rflags,
	.get_msr		= svm_get_msr,
	.set_msr		= svm_set_msr,
	.get_tsc_offset		= svm_get_tsc_offset,
	.set_tsc_offset		= svm_set_tsc_offset,
	.run			= svm_vcpu_run,
	.handle_exit		= svm_handle_exit,
	.get_exit_info		= svm_get_exit_info,
	.exit_prefix		= "svm",
	.mcg_cap_mask		= 0x1ff,
	.exit_names		= svm_exit_names,
	.nr_exit_names		= SVM_NR_EXIT_NAMES,
	.inject_exception	= svm_inject_exception,
	.inject_irq		= svm_inject_irq,
	.inject_nmi		= svm_inject_nmi,
	.interrupt_allowed	= svm_interrupt_allowed,
	.nmi_allowed		= svm_nmi_allowed,
	.set_irq_window		= svm_set_irq_window,
	.set_nmi_window		= svm_set_nmi_window,
	.get_interrupt_shadow	= svm_get_interrupt_shadow,
	.set_interrupt_shadow	= svm_set_interrupt_shadow,
	.get_nmi_mask		= svm_get_nmi_mask,
	.set_nmi_mask		= svm_set_nmi_mask,
	.update_exception_intercepts = svm_update_exception_intercepts,
	.show			= svm_vcpu_show,
};

static int __init svm_init(void)
{
	return kvm_x86_vendor_register(&svm_x86_ops);
}
module_init(svm_init);

static void __exit svm_exit(void)
{
	kvm_x86_vendor_unregister(&svm_x86_ops);
}
module_exit(svm_exit);
