// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-intel: the Intel VT-x (VMX) backend.
 *
 * Entering VMX operation (Intel SDM vol. 3C, 24.7 "Enabling and entering VMX operation"):
 * CPUID.1:ECX.VMX[5] says the extension exists, IA32_FEATURE_CONTROL must be locked with
 * "VMX outside SMX" set (else firmware disabled it and VMXON #GPs), CR0 and CR4 must obey
 * the IA32_VMX_CR{0,4}_FIXED{0,1} MSRs with CR4.VMXE set (24.8), and VMXON takes the
 * physical address of a 4 KiB-aligned region starting with the VMCS revision identifier
 * from IA32_VMX_BASIC (A.1). This backend requires EPT and unrestricted guest.
 */
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <asm/asm.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <asm/cpu_device_id.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "kvm_x86_ops.h"

MODULE_AUTHOR("The kvm-independent authors");
MODULE_DESCRIPTION("Intel VT-x (VMX) backend for the kvm module");
MODULE_LICENSE("GPL");

/* Same names as Linux's kvm_intel parameters, so tools that read them work. */
static bool ept = true;
module_param(ept, bool, 0444);
MODULE_PARM_DESC(ept, "Extended page tables (always on: shadow paging is not implemented)");

static bool unrestricted_guest = true;
module_param(unrestricted_guest, bool, 0444);
MODULE_PARM_DESC(unrestricted_guest, "Unrestricted guest (always on: real mode is run by the CPU)");

static bool nested;
module_param(nested, bool, 0444);
MODULE_PARM_DESC(nested, "Nested VMX for guests (not implemented: always off)");

#define CPUID_1_ECX_VMX			BIT(5)
/* IA32_VMX_BASIC fields, SDM vol. 3D A.1 */
#define VMX_BASIC_REVISION_MASK		GENMASK_ULL(30, 0)
#define VMX_BASIC_REGION_SIZE(b)	(((b) >> 32) & 0x1fff)
#define VMX_BASIC_32BIT_ADDRESSES	BIT_ULL(48)
#define VMX_BASIC_MEMTYPE(b)		(((b) >> 50) & 0xf)
#define VMX_MEMTYPE_WB			6
/* allowed-1 settings are the high 32 bits of the control MSRs, SDM A.3.2 / A.3.3 */
#define CPU_BASED_ACTIVATE_SECONDARY	BIT_ULL(32 + 31)
#define SECONDARY_ENABLE_EPT		BIT_ULL(32 + 1)
#define SECONDARY_UNRESTRICTED_GUEST	BIT_ULL(32 + 7)
/* IA32_VMX_EPT_VPID_CAP, SDM A.10 */
#define EPT_CAP_WALK_4_LEVELS		BIT_ULL(6)
#define EPT_CAP_MEMTYPE_WB		BIT_ULL(14)

static u32 vmcs_revision_id;

/* The VMXON region of each CPU; allocated for every possible CPU at setup. */
static DEFINE_PER_CPU(struct page *, vmxon_region);

static int vmx_check_processor(void)
{
	u64 basic, ctls, ctls2, ept_cap, feat_ctl;

	if (!cpu_feature_enabled(X86_FEATURE_VMX)) {
		/* the kernel clears the feature flag when firmware locked VMX off */
		if (cpuid_ecx(1) & CPUID_1_ECX_VMX)
			pr_err("kvm_intel: VMX is disabled by firmware (IA32_FEATURE_CONTROL)\n");
		else
			pr_err("kvm_intel: VMX is not supported by this CPU\n");
		return -ENODEV;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, feat_ctl);
	if (!(feat_ctl & FEAT_CTL_LOCKED) || !(feat_ctl & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("kvm_intel: VMX is disabled by firmware (IA32_FEATURE_CONTROL=%#llx)\n",
		       feat_ctl);
		return -ENODEV;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	if (VMX_BASIC_REGION_SIZE(basic) > PAGE_SIZE || (basic & VMX_BASIC_32BIT_ADDRESSES) ||
	    VMX_BASIC_MEMTYPE(basic) != VMX_MEMTYPE_WB) {
		pr_err("kvm_intel: unsupported IA32_VMX_BASIC %#llx\n", basic);
		return -EOPNOTSUPP;
	}
	vmcs_revision_id = basic & VMX_BASIC_REVISION_MASK;

	if (!ept || !unrestricted_guest) {
		pr_err("kvm_intel: ept=0 / unrestricted_guest=0 requested, but only EPT with unrestricted guest is implemented\n");
		return -EINVAL;
	}
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, ctls);
	ctls2 = 0;
	if (ctls & CPU_BASED_ACTIVATE_SECONDARY)
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, ctls2);
	if (!(ctls2 & SECONDARY_ENABLE_EPT) || !(ctls2 & SECONDARY_UNRESTRICTED_GUEST)) {
		pr_err("kvm_intel: the CPU lacks %s, which this module requires\n",
		       !(ctls2 & SECONDARY_ENABLE_EPT) ? "EPT" : "unrestricted guest");
		return -EOPNOTSUPP;
	}
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, ept_cap);
	if (!(ept_cap & EPT_CAP_WALK_4_LEVELS) || !(ept_cap & EPT_CAP_MEMTYPE_WB)) {
		pr_err("kvm_intel: EPT without 4-level walks or write-back tables (IA32_VMX_EPT_VPID_CAP=%#llx)\n",
		       ept_cap);
		return -EOPNOTSUPP;
	}
	return 0;
}

static void vmx_hardware_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

static int vmx_hardware_setup(void)
{
	struct page *page;
	int cpu;

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vmx_hardware_unsetup();
			return -ENOMEM;
		}
		/* SDM 24.11.5: bits 30:0 revision identifier, bit 31 clear */
		*(u32 *)page_address(page) = vmcs_revision_id;
		per_cpu(vmxon_region, cpu) = page;
	}
	return 0;
}

/* VMXON fails with CF/ZF set (VMfail) or faults (#GP/#UD): both are -EIO here. */
static int vmxon(u64 phys)
{
	asm goto("1: vmxon %[phys]\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [phys] "m"(phys) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

/* VMXOFF #UDs outside VMX operation; there is nothing to undo then. */
static void vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : : "cc", "memory" : fault);
fault:
	return;
}

static bool vmx_fixed_bits_ok(const char *reg, unsigned long val, u32 msr_fixed0,
			      u32 msr_fixed1)
{
	u64 fixed0, fixed1;

	rdmsrl(msr_fixed0, fixed0);
	rdmsrl(msr_fixed1, fixed1);
	if ((val & fixed0) == fixed0 && !(val & ~fixed1))
		return true;
	pr_err("kvm_intel: CPU %d: %s=%#lx violates VMX fixed bits (must be 1: %#llx, may be 1: %#llx)\n",
	       smp_processor_id(), reg, val, fixed0, fixed1);
	return false;
}

static int vmx_hardware_enable(void)
{
	unsigned long cr4 = __read_cr4();
	int r;

	if (cr4 & X86_CR4_VMXE) {
		pr_err("kvm_intel: VMX is already in use on CPU %d (CR4.VMXE set by another hypervisor)\n",
		       smp_processor_id());
		return -EBUSY;
	}
	if (!vmx_fixed_bits_ok("CR0", read_cr0(), MSR_IA32_VMX_CR0_FIXED0,
			       MSR_IA32_VMX_CR0_FIXED1) ||
	    !vmx_fixed_bits_ok("CR4", cr4 | X86_CR4_VMXE, MSR_IA32_VMX_CR4_FIXED0,
			       MSR_IA32_VMX_CR4_FIXED1))
		return -EIO;

	cr4_set_bits(X86_CR4_VMXE);
	r = vmxon(page_to_phys(__this_cpu_read(vmxon_region)));
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		pr_err("kvm_intel: VMXON failed on CPU %d\n", smp_processor_id());
	}
	return r;
}

static void vmx_hardware_disable(void)
{
	vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
}

/* udev loads the module on CPUs with the extension, as it does the in-tree one */
static const struct x86_cpu_id vmx_cpu_ids[] = {
	X86_MATCH_FEATURE(X86_FEATURE_VMX, NULL),
	{}
};
MODULE_DEVICE_TABLE(x86cpu, vmx_cpu_ids);

static const struct kvm_x86_ops vmx_x86_ops = {
	.name			= "kvm_intel",
	.owner			= THIS_MODULE,
	.check_processor	= vmx_check_processor,
	.hardware_setup		= vmx_hardware_setup,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.hardware_enable	= vmx_hardware_enable,
	.hardware_disable	= vmx_hardware_disable,
};

static int __init vmx_init(void)
{
	return kvm_x86_vendor_register(&vmx_x86_ops);
}
module_init(vmx_init);

static void __exit vmx_exit(void)
{
	kvm_x86_vendor_unregister(&vmx_x86_ops);
}
module_exit(vmx_exit);
