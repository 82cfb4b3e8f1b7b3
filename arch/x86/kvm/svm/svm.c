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

#include "kvm_x86_ops.h"

MODULE_AUTHOR("The kvm-independent authors");
MODULE_DESCRIPTION("AMD-V (SVM) backend for the kvm module");
MODULE_LICENSE("GPL");

/* Same names as Linux's kvm_amd parameters, so tools that read them work. */
static bool npt = true;
module_param(npt, bool, 0444);
MODULE_PARM_DESC(npt, "Nested paging (always on: shadow paging is not implemented)");

static bool nested;
module_param(nested, bool, 0444);
MODULE_PARM_DESC(nested, "Nested SVM for guests (not implemented: always off)");

#define VM_CR_SVMDIS	BIT_ULL(4)	/* APM vol. 2, 15.30.1 "VM_CR MSR" */

/* The host save area of each CPU; allocated for every possible CPU at setup. */
static DEFINE_PER_CPU(struct page *, svm_hsave_page);

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
		per_cpu(svm_hsave_page, cpu) = NULL;
	}
}

static int svm_hardware_setup(void)
{
	struct page *page;
	int cpu;

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu), GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			svm_hardware_unsetup();
			return -ENOMEM;
		}
		per_cpu(svm_hsave_page, cpu) = page;
	}
	return 0;
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
	.owner			= THIS_MODULE,
	.check_processor	= svm_check_processor,
	.hardware_setup		= svm_hardware_setup,
	.hardware_unsetup	= svm_hardware_unsetup,
	.hardware_enable	= svm_hardware_enable,
	.hardware_disable	= svm_hardware_disable,
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
