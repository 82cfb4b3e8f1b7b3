// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm.ko's parameters under Linux 6.1's names, types and permissions where the feature works
 * here; read-only with what is true of this implementation where it has one fixed behaviour
 * (params.h). The halt-polling ones are in virt/kvm/halt_poll.c.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <asm/cpufeature.h>

#include "params.h"

/*
 * Fixed parameters: reading is the standard reading of the type; a load-time value other
 * than the fact is refused with a warning (the module still loads), a malformed one with
 * -EINVAL. kp->arg holds the fact from the start (or from the backend's setup).
 */
static void fixed_refused(const struct kernel_param *kp, const char *val)
{
	pr_warn("kvm: %s=%s ignored: fixed in this implementation\n", kp->name, val);
}

static int fixed_bool_set(const char *val, const struct kernel_param *kp)
{
	bool v;

	if (kstrtobool(val ? val : "1", &v))
		return -EINVAL;
	if (v != *(bool *)kp->arg)
		fixed_refused(kp, val ? val : "1");
	return 0;
}

static int fixed_int_set(const char *val, const struct kernel_param *kp)
{
	int v;

	if (!val || kstrtoint(val, 0, &v))
		return -EINVAL;
	if (v != *(int *)kp->arg)
		fixed_refused(kp, val);
	return 0;
}

static int fixed_uint_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	if (!val || kstrtouint(val, 0, &v))
		return -EINVAL;
	if (v != *(unsigned int *)kp->arg)
		fixed_refused(kp, val);
	return 0;
}

static int fixed_ushort_set(const char *val, const struct kernel_param *kp)
{
	unsigned short v;

	if (!val || kstrtou16(val, 0, &v))
		return -EINVAL;
	if (v != *(unsigned short *)kp->arg)
		fixed_refused(kp, val);
	return 0;
}

const struct kernel_param_ops kvm_fixed_bool_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = fixed_bool_set,
	.get = param_get_bool,
};
EXPORT_SYMBOL_GPL(kvm_fixed_bool_ops);

const struct kernel_param_ops kvm_fixed_int_ops = {
	.set = fixed_int_set,
	.get = param_get_int,
};
EXPORT_SYMBOL_GPL(kvm_fixed_int_ops);

const struct kernel_param_ops kvm_fixed_uint_ops = {
	.set = fixed_uint_set,
	.get = param_get_uint,
};
EXPORT_SYMBOL_GPL(kvm_fixed_uint_ops);

const struct kernel_param_ops kvm_fixed_ushort_ops = {
	.set = fixed_ushort_set,
	.get = param_get_ushort,
};
EXPORT_SYMBOL_GPL(kvm_fixed_ushort_ops);

/* ---- parameters that work ---- */

/* msr.c: an MSR nobody here knows reads 0 and drops writes instead of failing */
bool kvm_ignore_msrs;
module_param_named(ignore_msrs, kvm_ignore_msrs, bool, 0644);
MODULE_PARM_DESC(ignore_msrs, "Unknown MSRs read 0 and ignore writes instead of #GP / failing KVM_GET/SET_MSRS");

bool kvm_report_ignored_msrs = true;
module_param_named(report_ignored_msrs, kvm_report_ignored_msrs, bool, 0644);
MODULE_PARM_DESC(report_ignored_msrs, "Log (ratelimited) each access ignore_msrs ignored");

/* lapic_timer.c: the shortest period of the local APIC timer in periodic mode */
unsigned int kvm_min_timer_period_us = 200;
module_param_named(min_timer_period_us, kvm_min_timer_period_us, uint, 0644);
MODULE_PARM_DESC(min_timer_period_us, "Minimum period of the periodic local APIC timer, in microseconds");

/*
 * The iTLB multihit workaround (X86_BUG_ITLB_MULTIHIT): where it is deployed, no huge page is
 * ever executable for the guest: mmu/tdp.c maps 2 MiB leaves non-executable and splits one
 * into 4 KiB leaves at the first instruction fetch in it. Chosen at load time ("off",
 * "force", "auto" or a bool; default auto: on where the CPU has the bug); read-only
 * afterwards, as switching would need every VM's huge mappings zapped.
 */
bool kvm_nx_huge_pages;
static int nx_huge_pages_mode = -1;	/* -1 auto, 0 off, 1 force */

static int nx_huge_pages_set(const char *val, const struct kernel_param *kp)
{
	bool v;

	if (!val)
		return -EINVAL;
	if (sysfs_streq(val, "auto"))
		nx_huge_pages_mode = -1;
	else if (sysfs_streq(val, "off"))
		nx_huge_pages_mode = 0;
	else if (sysfs_streq(val, "force"))
		nx_huge_pages_mode = 1;
	else if (!kstrtobool(val, &v))
		nx_huge_pages_mode = v;
	else
		return -EINVAL;
	return 0;
}

static const struct kernel_param_ops nx_huge_pages_ops = {
	.set = nx_huge_pages_set,
	.get = param_get_bool,
};
module_param_cb(nx_huge_pages, &nx_huge_pages_ops, &kvm_nx_huge_pages, 0444);
__MODULE_PARM_TYPE(nx_huge_pages, "bool");
MODULE_PARM_DESC(nx_huge_pages, "iTLB multihit workaround (off/force/auto at load time): huge guest mappings never executable");

void kvm_params_init(void)
{
	kvm_nx_huge_pages = nx_huge_pages_mode < 0 ? boot_cpu_has_bug(X86_BUG_ITLB_MULTIHIT) :
						      nx_huge_pages_mode;
}

/* ---- what this implementation is ---- */

static bool tdp_mmu = true;
kvm_fixed_param(tdp_mmu, tdp_mmu, bool, "Two-dimensional paging MMU (the only MMU here: Y)");

static bool mmio_caching;
kvm_fixed_param(mmio_caching, mmio_caching, bool, "MMIO page table entries cached (not implemented: N)");

/* no recovery: huge pages split for the workaround are not put back together */
static unsigned int nx_huge_pages_recovery_ratio;
kvm_fixed_param(nx_huge_pages_recovery_ratio, nx_huge_pages_recovery_ratio, uint,
		"Recovery of split huge pages (none: 0)");

static unsigned int nx_huge_pages_recovery_period_ms;
kvm_fixed_param(nx_huge_pages_recovery_period_ms, nx_huge_pages_recovery_period_ms, uint,
		"Recovery period (no recovery: 0)");

static bool flush_on_reuse;
kvm_fixed_param(flush_on_reuse, flush_on_reuse, bool, "Shadow page reuse flushes (no shadow paging: N)");

static bool kvmclock_periodic_sync;
kvm_fixed_param(kvmclock_periodic_sync, kvmclock_periodic_sync, bool,
		"Periodic kvmclock updates (pages are updated on events only: N)");

static int lapic_timer_advance_ns;
kvm_fixed_param(lapic_timer_advance_ns, lapic_timer_advance_ns, int,
		"Local APIC timer advance (not implemented: 0, the timer fires on time)");

static bool vector_hashing;
kvm_fixed_param(vector_hashing, vector_hashing, bool,
		"Lowest-priority delivery by vector hashing (N: the first matching APIC gets it)");

static bool enable_vmware_backdoor;
kvm_fixed_param(enable_vmware_backdoor, enable_vmware_backdoor, bool,
		"VMware backdoor interface (not implemented: N)");

static int force_emulation_prefix;
kvm_fixed_param(force_emulation_prefix, force_emulation_prefix, int,
		"Forced emulation prefix (not implemented: 0)");

static int pi_inject_timer;
kvm_fixed_bint_param(pi_inject_timer, pi_inject_timer,
		     "Timer interrupts by posted interrupts (no posted interrupts: 0)");

static bool enable_pmu;
kvm_fixed_param(enable_pmu, enable_pmu, bool, "Virtual PMU (not implemented: N)");

static bool eager_page_split;
kvm_fixed_param(eager_page_split, eager_page_split, bool,
		"Huge pages split when dirty logging starts (N: a logged slot's huge leaves are split by faults)");

static bool mitigate_smt_rsb;
kvm_fixed_param(mitigate_smt_rsb, mitigate_smt_rsb, bool, "SMT RSB mitigation (not implemented: N)");
