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
 *
 * Design (vcpu.c, exits.c, vmenter.S):
 * - A vCPU's VMCS is current only between vcpu_load (VMPTRLD, per-CPU host state) and
 *   vcpu_put (VMCLEAR on the same CPU, so migration needs no IPI; next entry VMLAUNCHes).
 * - Guest state is cached in struct vcpu_vmx: after an exit a group of VMCS fields is read
 *   when first asked for, a group changed is written before the next entry, controls are
 *   written when their value changes; a state ioctl needing a group the cache lacks
 *   makes the VMCS current for a moment (vcpu.c).
 * - EFER and PAT are switched by the VM-entry/VM-exit "load/save" controls; FS/GS base and
 *   SYSENTER_* are guest-state fields and pass through the MSR bitmap; STAR/LSTAR/CSTAR/
 *   SFMASK/KERNEL_GS_BASE (and TSC_AUX when RDTSCP is enabled) are intercepted and kept in
 *   the vCPU. KERNEL_GS_BASE is the guest's in the CPU from the first entry after
 *   vcpu_load to vcpu_put; the others stay in the CPU until it returns to user mode (a
 *   user-return notifier, vcpu.c).
 * - CR0: PG and the bits VMX fixes are host-owned (guest/host mask, read shadow); a guest
 *   write to PG exits and sets EFER.LMA, which becomes the "IA-32e mode guest" control.
 *   CR4: VMXE and the fixed bits are host-owned, the guest reads its own CR4 from the shadow.
 * - External interrupts exit without acknowledgement and are taken by the host when the run
 *   loop enables interrupts; NMIs exit and are passed to the host's handler at once.
 * - TLB: VPIDs when the CPU has them; INVEPT (single context, else global) and INVVPID when
 *   tdp.flush_gen moved or the vCPU arrives on another CPU.
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
#include <asm/tsc.h>

#include "vmx.h"

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

static bool vpid = true;
module_param(vpid, bool, 0444);
MODULE_PARM_DESC(vpid, "Virtual processor IDs (used when the CPU has them; reads 0 otherwise)");

/* the other parameters are in params.c */

#define CPUID_1_ECX_VMX			BIT(5)
#define VMX_BASIC_INS_OUTS_INFO		BIT_ULL(54)
/* the TRUE_*_CTLS MSRs exist (A.2); the kernel's own name moved to <asm/vmx.h> in 6.12 */
#define VMX_BASIC_HAS_TRUE_CTLS		BIT_ULL(55)
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
#define EPT_CAP_INVEPT			BIT_ULL(20)
#define EPT_CAP_INVEPT_SINGLE		BIT_ULL(25)
#define EPT_CAP_INVEPT_ALL		BIT_ULL(26)
#define VPID_CAP_INVVPID		BIT_ULL(32)
#define VPID_CAP_INVVPID_SINGLE		BIT_ULL(41)
#define VPID_CAP_INVVPID_ALL		BIT_ULL(42)

u32 vmcs_revision_id;
u32 vmx_pin_ctls, vmx_cpu_ctls, vmx_sec_ctls, vmx_exit_ctls, vmx_entry_ctls;
u64 vmx_cr0_fixed0, vmx_cr0_fixed1, vmx_cr4_fixed0, vmx_cr4_fixed1;
bool vmx_vpid_enabled, vmx_ins_outs_info;
/* Bochs has no IA32_DEBUGCTL: read it around entries only where it exists */
bool vmx_has_debugctl;
u32 vmx_preemption_timer;
static u64 vmx_ept_cap;

/*
 * One MSR bitmap for every vCPU (24.6.9): reads of MSRs 0-1fff at 0, of c0000000-c0001fff at
 * 1 KiB, writes at 2 and 3 KiB. Everything exits except the MSRs the VMCS switches itself:
 * FS/GS base (guest segment bases) and SYSENTER_CS/ESP/EIP (guest-state fields).
 * STAR/LSTAR/CSTAR/SFMASK/KERNEL_GS_BASE, which VMX does not switch, are intercepted; the
 * guest's values live in the vCPU and are loaded around each entry (vcpu.c).
 * vmx_msr_bitmap_all makes every MSR exit, for VMs whose MSR filter denies a passthrough MSR (msr_filter.c).
 */
static void *vmx_msr_bitmap, *vmx_msr_bitmap_all;
u64 vmx_msr_bitmap_pa, vmx_msr_bitmap_all_pa;

/* the MSRs with guest-state fields in the VMCS: the guest uses them directly */
static const u32 vmx_passthrough_msrs[] = {
		MSR_FS_BASE, MSR_GS_BASE, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
		MSR_IA32_SYSENTER_EIP,
};

static void msr_bitmap_allow(u32 msr)
{
	u8 *b = vmx_msr_bitmap;
	u32 off;

	if (msr < 0x2000)
		off = 0;
	else if (msr - 0xc0000000 < 0x2000)
		off = 0x400, msr -= 0xc0000000;
	else
		return;
	b[off + msr / 8] &= ~(1 << (msr % 8));
	b[0x800 + off + msr / 8] &= ~(1 << (msr % 8));
}

/* VPIDs 1..65535, one per vCPU for its life; 0 (the host's) means none left */
#define VPID_MAX 0x10000
static unsigned long *vpid_bitmap;
static DEFINE_SPINLOCK(vpid_lock);

u16 vmx_vpid_alloc(void)
{
	unsigned long v;

	if (!vmx_vpid_enabled)
		return 0;
	spin_lock(&vpid_lock);
	v = find_next_zero_bit(vpid_bitmap, VPID_MAX, 1);
	if (v < VPID_MAX)
		__set_bit(v, vpid_bitmap);
	else
		v = 0;
	spin_unlock(&vpid_lock);
	return v;
}

void vmx_vpid_free(u16 v)
{
	if (!v)
		return;
	spin_lock(&vpid_lock);
	__clear_bit(v, vpid_bitmap);
	spin_unlock(&vpid_lock);
}

/* INVEPT (30.3): type 1 single context, 2 all contexts; descriptor {EPTP, 0} */
void vmx_flush_ept(u64 eptp)
{
	struct { u64 eptp, rsvd; } desc = { eptp, 0 };
	unsigned long type = (vmx_ept_cap & EPT_CAP_INVEPT_SINGLE) ? 1 : 2;

	if (!(vmx_ept_cap & EPT_CAP_INVEPT))
		return;
	asm volatile("invept %[desc], %[type]"
		     : : [desc] "m"(desc), [type] "r"(type) : "cc", "memory");
}

/* INVVPID (30.3): type 1 single context, 2 all contexts; descriptor {VPID, address} */
void vmx_flush_vpid(u16 v)
{
	struct { u64 vpid, addr; } desc = { v, 0 };
	unsigned long type = (vmx_ept_cap & VPID_CAP_INVVPID_SINGLE) ? 1 : 2;

	asm volatile("invvpid %[desc], %[type]"
		     : : [desc] "m"(desc), [type] "r"(type) : "cc", "memory");
}

/*
 * A control word from its capability MSR (A.3-A.5): bits 31:0 are the allowed-0 settings
 * (1 = must be 1), bits 63:32 the allowed-1 settings (0 = must be 0). want is what we
 * would like, need what we cannot do without.
 */
static int adjust_ctls(const char *what, u32 msr, u32 want, u32 need, u32 *ctl)
{
	u64 cap;

	rdmsrl(msr, cap);
	*ctl = (want | (u32)cap) & (u32)(cap >> 32);
	if (need & ~*ctl) {
		pr_err("kvm_intel: %s controls %#x needed, the CPU allows %#x\n", what, need,
		       (u32)(cap >> 32));
		return -EOPNOTSUPP;
	}
	return 0;
}

static int vmx_setup_controls(void)
{
	bool true_ctls;
	u64 basic;
	u32 want, need;
	int r;

	vmx_has_debugctl = !rdmsrl_safe(MSR_IA32_DEBUGCTLMSR, &basic);
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	true_ctls = basic & VMX_BASIC_HAS_TRUE_CTLS;
	vmx_ins_outs_info = basic & VMX_BASIC_INS_OUTS_INFO;
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, vmx_ept_cap);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_cr4_fixed1);

	/* virtual NMIs: the CPU tracks the guest's NMI blocking (events.c) */
	need = PIN_EXT_INTR_EXITING | PIN_NMI_EXITING | PIN_VIRTUAL_NMIS;
	r = adjust_ctls("pin-based", true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			MSR_IA32_VMX_PINBASED_CTLS, need | PIN_PREEMPTION_TIMER, need,
			&vmx_pin_ctls);
	if (r)
		return r;
	/*
	 * The VMX-preemption timer (25.5.1) bounds each stay in the guest to about 4 ms, so
	 * the host gets its CPU back even where an external interrupt fails to make the guest
	 * exit (seen under Bochs: a guest that never exits on its own starved its host CPU).
	 * It counts down once every 2^IA32_VMX_MISC[4:0] TSC cycles.
	 */
	if (vmx_pin_ctls & PIN_PREEMPTION_TIMER) {
		u64 misc, cycles = tsc_khz ? (u64)tsc_khz * 4 : 1ULL << 24;

		rdmsrl(MSR_IA32_VMX_MISC, misc);
		vmx_preemption_timer = min_t(u64, cycles >> (misc & 0x1f), U32_MAX);
		if (!vmx_preemption_timer)
			vmx_preemption_timer = 1;
	}
	/* CR3 accesses need no exit with EPT; CR8 ones must exit (no TPR shadow: the
	 * guest would write the host's TPR) */
	need = CPU_HLT_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_MSR_BITMAPS |
	       CPU_CR8_LOAD_EXITING | CPU_CR8_STORE_EXITING | CPU_ACTIVATE_SECONDARY |
	       CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING;
	want = need | CPU_USE_TSC_OFFSETTING | CPU_MWAIT_EXITING | CPU_MONITOR_EXITING;
	r = adjust_ctls("processor-based", true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			MSR_IA32_VMX_PROCBASED_CTLS, want, need, &vmx_cpu_ctls);
	if (r)
		return r;
	/* set per vCPU: see set_dr_intercept and events.c */
	vmx_cpu_ctls &= ~(CPU_MOV_DR_EXITING | CPU_INTR_WINDOW_EXITING | CPU_NMI_WINDOW_EXITING);
	vmx_cpu_ctls &= ~CPU_USE_IO_BITMAPS;
	need = SEC_ENABLE_EPT | SEC_UNRESTRICTED_GUEST;
	want = need | (vpid && (vmx_ept_cap & VPID_CAP_INVVPID) &&
		       (vmx_ept_cap & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL)) ?
		       SEC_ENABLE_VPID : 0) |
	       (boot_cpu_has(X86_FEATURE_RDTSCP) ? SEC_ENABLE_RDTSCP : 0);
	r = adjust_ctls("secondary", MSR_IA32_VMX_PROCBASED_CTLS2, want, need, &vmx_sec_ctls);
	if (r)
		return r;
	vmx_vpid_enabled = vmx_sec_ctls & SEC_ENABLE_VPID;
	vpid = vmx_vpid_enabled;
	vmx_params_setup();
	/* "acknowledge interrupt on exit" stays 0: the interrupt waits for the host's IF */
	need = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT |
	       EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER;
	r = adjust_ctls("VM-exit", true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
			MSR_IA32_VMX_EXIT_CTLS, need | EXIT_SAVE_DEBUG_CONTROLS, need,
			&vmx_exit_ctls);
	if (r)
		return r;
	vmx_exit_ctls &= ~EXIT_ACK_INTR_ON_EXIT;
	need = ENTRY_LOAD_IA32_PAT | ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_DEBUG_CONTROLS;
	r = adjust_ctls("VM-entry", true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
			MSR_IA32_VMX_ENTRY_CTLS, need, need, &vmx_entry_ctls);
	if (r)
		return r;
	vmx_entry_ctls &= ~ENTRY_IA32E_MODE;	/* per entry, from the guest's EFER.LMA */
	return 0;
}

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

	free_page((unsigned long)vmx_msr_bitmap);
	free_page((unsigned long)vmx_msr_bitmap_all);
	vmx_msr_bitmap = vmx_msr_bitmap_all = NULL;
	bitmap_free(vpid_bitmap);
	vpid_bitmap = NULL;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

static int vmx_hardware_setup(void)
{
	struct page *page;
	int cpu, i, r;

	r = vmx_setup_controls();
	if (r)
		return r;
	vmx_msr_bitmap = (void *)__get_free_page(GFP_KERNEL);
	vmx_msr_bitmap_all = (void *)__get_free_page(GFP_KERNEL);
	vpid_bitmap = bitmap_zalloc(VPID_MAX, GFP_KERNEL);
	if (!vmx_msr_bitmap || !vmx_msr_bitmap_all || !vpid_bitmap) {
		vmx_hardware_unsetup();
		return -ENOMEM;
	}
	memset(vmx_msr_bitmap, 0xff, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(vmx_passthrough_msrs); i++)
		msr_bitmap_allow(vmx_passthrough_msrs[i]);
	vmx_msr_bitmap_pa = __pa(vmx_msr_bitmap);
	memset(vmx_msr_bitmap_all, 0xff, PAGE_SIZE);
	vmx_msr_bitmap_all_pa = __pa(vmx_msr_bitmap_all);

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
		return r;
	}
	vmx_uret_cpu_enable();
	return 0;
}

static void vmx_hardware_disable(void)
{
	vmx_uret_cpu_disable();
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
	.passthrough_msrs	= vmx_passthrough_msrs,
	.nr_passthrough_msrs	= ARRAY_SIZE(vmx_passthrough_msrs),
	.owner			= THIS_MODULE,
	.check_processor	= vmx_check_processor,
	.hardware_setup		= vmx_hardware_setup,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.hardware_enable	= vmx_hardware_enable,
	.hardware_disable	= vmx_hardware_disable,
	.tdp_ept		= true,
	.vcpu_create		= vmx_vcpu_create,
	.vcpu_free		= vmx_vcpu_free,
	.vcpu_reset		= vmx_vcpu_reset,
	.vcpu_load		= vmx_vcpu_load,
	.vcpu_put		= vmx_vcpu_put,
	.get_segment		= vmx_get_segment,
	.set_segment		= vmx_set_segment,
	.get_dtable		= vmx_get_dtable,
	.set_dtable		= vmx_set_dtable,
	.get_cr			= vmx_get_cr,
	.set_cr			= vmx_set_cr,
	.get_efer		= vmx_get_efer,
	.set_efer		= vmx_set_efer,
	.get_dr			= vmx_get_dr,
	.set_dr			= vmx_set_dr,
	.set_dr_intercept	= vmx_set_dr_intercept,
	.get_rflags		= vmx_get_rflags,
	.set_rflags		= vmx_set_rflags,
	.get_msr		= vmx_get_msr,
	.set_msr		= vmx_set_msr,
	.get_tsc_offset		= vmx_get_tsc_offset,
	.set_tsc_offset		= vmx_set_tsc_offset,
	.run			= vmx_vcpu_run,
	.handle_exit		= vmx_handle_exit,
	.get_exit_info		= vmx_get_exit_info,
	.exit_prefix		= "vmx",
	.mcg_cap_mask		= ~0ULL,
	.exit_names		= vmx_exit_names,
	.nr_exit_names		= VMX_NR_EXIT_NAMES,
	.inject_exception	= vmx_inject_exception,
	.inject_irq		= vmx_inject_irq,
	.inject_nmi		= vmx_inject_nmi,
	.interrupt_allowed	= vmx_interrupt_allowed,
	.nmi_allowed		= vmx_nmi_allowed,
	.set_irq_window		= vmx_set_irq_window,
	.set_nmi_window		= vmx_set_nmi_window,
	.get_interrupt_shadow	= vmx_get_interrupt_shadow,
	.set_interrupt_shadow	= vmx_set_interrupt_shadow,
	.get_nmi_mask		= vmx_get_nmi_mask,
	.set_nmi_mask		= vmx_set_nmi_mask,
	.update_exception_intercepts = vmx_update_exception_intercepts,
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
