// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_intel's parameters under Linux 6.1's names and types (ept, unrestricted_guest and vpid
 * are in vmx.c, where they are checked). What this backend does not implement reads as off
 * and is read-only; what depends on the CPU reads what the backend uses (vmx_params_setup()).
 */
#include <linux/module.h>
#include <asm/cpufeature.h>

#include "vmx.h"
#include "params.h"

static bool sgx;
kvm_fixed_param(sgx, sgx, bool, "SGX for guests (not implemented: N)");

static bool enable_shadow_vmcs;
kvm_fixed_param(enable_shadow_vmcs, enable_shadow_vmcs, bool, "Shadow VMCS (no nested VMX: N)");

static bool nested_early_check;
kvm_fixed_param(nested_early_check, nested_early_check, bool, "Early nested VM-entry checks (no nested VMX: N)");

/* virtual NMIs are required (vmx.c): the CPU tracks the guest's NMI blocking */
static bool vnmi = true;
kvm_fixed_param(vnmi, vnmi, bool, "Virtual NMIs (required: Y)");

/* CR8 accesses exit; there is no TPR shadow or APIC-access page */
static bool flexpriority;
kvm_fixed_param(flexpriority, flexpriority, bool, "TPR shadow / FlexPriority (not implemented: N)");

static bool eptad;
kvm_fixed_param(eptad, eptad, bool, "EPT accessed and dirty bits (not used: N)");

/* unrestricted guest is required, so guest state is never emulated */
static bool emulate_invalid_guest_state;
kvm_fixed_param(emulate_invalid_guest_state, emulate_invalid_guest_state, bool,
		"Emulation of invalid guest state (not implemented, unrestricted guest is required: N)");

static bool fasteoi;
kvm_fixed_param(fasteoi, fasteoi, bool, "Fast EOI on APIC-access exits (no APIC-access page: N)");

static bool enable_apicv;
kvm_fixed_param(enable_apicv, enable_apicv, bool, "APIC virtualization (not implemented: N)");

static bool enable_ipiv;
kvm_fixed_param(enable_ipiv, enable_ipiv, bool, "IPI virtualization (not implemented: N)");

static bool nested;
kvm_fixed_param(nested, nested, bool, "Nested VMX for guests (not implemented: N)");

static bool pml;
kvm_fixed_param(pml, pml, bool, "Page-modification logging (not used: N)");

static bool error_on_inconsistent_vmcs_config;
kvm_fixed_param(error_on_inconsistent_vmcs_config, error_on_inconsistent_vmcs_config, bool,
		"Refuse to load on a VMCS configuration inconsistent across CPUs (not checked: N)");

/* set by vmx_params_setup(): the VMX-preemption timer bounds each stay in the guest */
static bool preemption_timer;
kvm_fixed_param(preemption_timer, preemption_timer, bool,
		"VMX-preemption timer used (where the CPU has it; it bounds each stay in the guest)");

static bool allow_smaller_maxphyaddr;
kvm_fixed_param(allow_smaller_maxphyaddr, allow_smaller_maxphyaddr, bool,
		"Guest MAXPHYADDR smaller than the host's (not implemented: N)");

/* PAUSE-loop exiting is not used */
static unsigned int ple_gap;
kvm_fixed_param(ple_gap, ple_gap, uint, "PAUSE-loop exiting gap (not used: 0)");

static unsigned int ple_window;
kvm_fixed_param(ple_window, ple_window, uint, "PAUSE-loop exiting window (not used: 0)");

static unsigned int ple_window_grow;
kvm_fixed_param(ple_window_grow, ple_window_grow, uint, "PAUSE-loop window growth (not used: 0)");

static unsigned int ple_window_shrink;
kvm_fixed_param(ple_window_shrink, ple_window_shrink, uint, "PAUSE-loop window shrink (not used: 0)");

static unsigned int ple_window_max;
kvm_fixed_param(ple_window_max, ple_window_max, uint, "PAUSE-loop window maximum (not used: 0)");

static bool enlightened_vmcs;
kvm_fixed_param(enlightened_vmcs, enlightened_vmcs, bool, "Hyper-V enlightened VMCS (not implemented: N)");

/*
 * The L1 Terminal Fault mitigation (L1D flush on VM entry) is not implemented: "never" where
 * the CPU is affected, "not required" where it is not. Read-only; at load time only "never"
 * is accepted.
 */
static int vmentry_l1d_flush_set(const char *val, const struct kernel_param *kp)
{
	if (!val || !sysfs_streq(val, "never")) {
		pr_warn("kvm_intel: vmentry_l1d_flush=%s ignored: the L1D flush is not implemented\n",
			val ? val : "");
	}
	return 0;
}

static int vmentry_l1d_flush_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n", boot_cpu_has_bug(X86_BUG_L1TF) ? "never" : "not required");
}

static const struct kernel_param_ops vmentry_l1d_flush_ops = {
	.set = vmentry_l1d_flush_set,
	.get = vmentry_l1d_flush_get,
};
module_param_cb(vmentry_l1d_flush, &vmentry_l1d_flush_ops, NULL, 0444);
MODULE_PARM_DESC(vmentry_l1d_flush, "L1D flush on VM entry (not implemented: never / not required)");

/* exits.c: on a failed VM entry, log the VMCS's guest state */
bool vmx_dump_invalid_vmcs;
module_param_named(dump_invalid_vmcs, vmx_dump_invalid_vmcs, bool, 0644);
MODULE_PARM_DESC(dump_invalid_vmcs, "Log the VMCS when a VM entry fails");

void vmx_params_setup(void)
{
	preemption_timer = vmx_pin_ctls & PIN_PREEMPTION_TIMER;
}
