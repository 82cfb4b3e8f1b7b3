// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_amd's parameters under Linux 6.1's names and types (npt is in svm.c, where it is
 * checked). What this backend does not implement reads as off and is read-only; what
 * depends on the CPU reads what the backend uses (svm_params_setup()).
 */
#include <linux/module.h>

#include "svm.h"
#include "params.h"

static bool sev;
kvm_fixed_param(sev, sev, bool, "SEV guests (not implemented: N)");

static bool sev_es;
kvm_fixed_param(sev_es, sev_es, bool, "SEV-ES guests (not implemented: N)");

static bool avic;
kvm_fixed_param(avic, avic, bool, "AVIC (not implemented: N)");

static bool force_avic;
kvm_fixed_param(force_avic, force_avic, bool, "AVIC even where unsupported (no AVIC: N)");

/* PAUSE is never intercepted: no filter, so no window to grow or shrink */
static unsigned short pause_filter_thresh;
kvm_fixed_param(pause_filter_thresh, pause_filter_thresh, ushort, "PAUSE filter threshold (PAUSE is not intercepted: 0)");

static unsigned short pause_filter_count;
kvm_fixed_param(pause_filter_count, pause_filter_count, ushort, "PAUSE filter count (PAUSE is not intercepted: 0)");

static unsigned short pause_filter_count_grow;
kvm_fixed_param(pause_filter_count_grow, pause_filter_count_grow, ushort, "PAUSE filter growth (no filter: 0)");

static unsigned short pause_filter_count_shrink;
kvm_fixed_param(pause_filter_count_shrink, pause_filter_count_shrink, ushort, "PAUSE filter shrink (no filter: 0)");

static unsigned short pause_filter_count_max;
kvm_fixed_param(pause_filter_count_max, pause_filter_count_max, ushort, "PAUSE filter maximum (no filter: 0)");

static int nested;
kvm_fixed_param(nested, nested, int, "Nested SVM for guests (not implemented: 0)");

/* set by svm_params_setup(): NRIP save is used where the CPU has it */
static int nrips = 1;
kvm_fixed_param(nrips, nrips, int, "NRIP save used (where the CPU has it)");

static int vls;
kvm_fixed_param(vls, vls, int, "Virtual VMLOAD/VMSAVE (no nested SVM: 0)");

static int vgif;
kvm_fixed_param(vgif, vgif, int, "Virtual GIF (no nested SVM: 0)");

static int lbrv;
kvm_fixed_param(lbrv, lbrv, int, "LBR virtualization (not implemented: 0)");

static int tsc_scaling;
kvm_fixed_param(tsc_scaling, tsc_scaling, int, "TSC scaling (not implemented: 0)");

/* SMI is intercepted (vcpu.c): the host handles its SMIs, the guest never sees them */
static bool intercept_smi = true;
kvm_fixed_param(intercept_smi, intercept_smi, bool, "SMIs intercepted (always: Y)");

/* exits.c: on VMEXIT_INVALID, log the VMCB's state */
bool svm_dump_invalid_vmcb;
module_param_named(dump_invalid_vmcb, svm_dump_invalid_vmcb, bool, 0644);
MODULE_PARM_DESC(dump_invalid_vmcb, "Log the VMCB when VMRUN finds the guest state invalid");

void svm_params_setup(void)
{
	nrips = svm_has_nrips;
}
