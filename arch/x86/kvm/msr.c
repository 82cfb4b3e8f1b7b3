// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSRs: the guest's RDMSR/WRMSR (all intercepted except the ones VMLOAD/VMSAVE switch),
 * KVM_GET_MSRS/KVM_SET_MSRS (api.rst 4.18/4.19) and KVM_GET_MSR_INDEX_LIST (4.3). An MSR
 * neither the backend nor this file knows raises #GP in the guest, as in Linux KVM.
 */
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/kvm_para.h>

#include "compat.h"
#include "x86.h"

#define MAX_IO_MSRS		256
#define MTRR_CAP_VALUE		(8 | BIT(8) | BIT(10))	/* 8 variable, fixed, WC (SDM 11.11.1) */
#define MTRR_DEF_TYPE_VALID	(0xffULL | BIT(10) | BIT(11))
#define MTRR_PHYS_BASE_RSVD	GENMASK_ULL(11, 8)	/* and above MAXPHYADDR */
#define MTRR_PHYS_MASK_RSVD	GENMASK_ULL(10, 0)
/* AMD VM_CR (APM vol. 2 15.30.1): DPD R_INIT DIS_A20M LOCK SVMDIS */
#define VM_CR_VALID		GENMASK_ULL(4, 0)
#define VM_CR_LOCK		BIT_ULL(3)
#define VM_CR_SVMDIS		BIT_ULL(4)
/* MISC_ENABLE bits the guest may not change (#GP), and one whose writes are dropped */
#define MISC_ENABLE_GUEST_RO	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)
#define MISC_ENABLE_GUEST_KEPT	MSR_IA32_MISC_ENABLE_EMON
#define CPUID_FAULT_ENABLE	BIT_ULL(0)		/* MISC_FEATURES_ENABLES */
#define MSR_MTRR_FIX_64K	0x250
#define MSR_MTRR_FIX_16K_80000	0x258
#define MSR_MTRR_FIX_16K_A0000	0x259
#define MSR_MTRR_FIX_4K_C0000	0x268
#define MSR_MTRR_FIX_4K_F8000	0x26f
#define MSR_MTRR_PHYS_BASE0	0x200
#define MSR_MTRR_PHYS_LAST	0x20f
#define UCODE_REV_DEFAULT	0x100000000ULL
/* EFER bits a guest may set: SCE, LME, LMA (kept by the CPU), NXE */
#define EFER_ALLOWED		(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)
/* bits 7:0 and 9 reserved, 10 (x2APIC) without an in-kernel APIC, and above MAXPHYADDR */
#define APIC_BASE_RESERVED	(GENMASK_ULL(7, 0) | BIT_ULL(9) | BIT_ULL(10))
#define APIC_DEFAULT_BASE	0xfee00000ULL
/*
 * AMD HWCR (APM vol. 2 3.2.10): McStatusWrEn (bit 18) is kept, and TscFreqSel (bit 24: the
 * TSC counts at the P0 frequency, as a guest's TSC does here) where the stock KVM of the
 * kernel we build for keeps it (compat.h); the flush filter, IGNNE and TLB cache disable
 * bits are accepted and ignored (Linux writes 0x40), as Linux KVM does.
 */
#define HWCR_KEPT		KVM_HWCR_KEPT
#define HWCR_IGNORED		(BIT_ULL(3) | BIT_ULL(6) | BIT_ULL(8))

/*
 * What KVM_GET_MSR_INDEX_LIST reports: the MSRs a VMM saves and restores, each one that
 * KVM_GET_MSRS and KVM_SET_MSRS handle on every vCPU (the machine-check banks are not
 * listed, api.rst 4.3; the kvmclock MSRs are kvmclock.c's, PV EOI lapic.c's, steal time
 * and poll control pv.c's; TSC_DEADLINE reads 0 without an in-kernel local APIC). The
 * MTRRs too, which QEMU saves by the guest's CPUID (stock KVM leaves them out of its list).
 * The last entry, VM_HSAVE_PA, is listed on AMD hosts only (SVM's MSR).
 */
static const u32 msrs_to_save[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_TSC_AUX, MSR_IA32_APICBASE, MSR_IA32_MISC_ENABLE,
	MSR_MTRRdefType, MSR_IA32_TSC_ADJUST, MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES,
	MSR_IA32_POWER_CTL, MSR_IA32_UCODE_REV, MSR_IA32_PERF_CAPABILITIES,
	MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL, MSR_K7_HWCR, MSR_IA32_TSC_DEADLINE,
	MSR_KVM_WALL_CLOCK, MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_SYSTEM_TIME_NEW,
	MSR_KVM_STEAL_TIME, MSR_KVM_PV_EOI_EN, MSR_KVM_POLL_CONTROL, MSR_SMI_COUNT,
	MSR_MTRR_FIX_64K, MSR_MTRR_FIX_16K_80000, MSR_MTRR_FIX_16K_A0000,
	MSR_MTRR_FIX_4K_C0000, MSR_MTRR_FIX_4K_C0000 + 1, MSR_MTRR_FIX_4K_C0000 + 2,
	MSR_MTRR_FIX_4K_C0000 + 3, MSR_MTRR_FIX_4K_C0000 + 4, MSR_MTRR_FIX_4K_C0000 + 5,
	MSR_MTRR_FIX_4K_C0000 + 6, MSR_MTRR_FIX_4K_F8000,
	MSR_MTRR_PHYS_BASE0, MSR_MTRR_PHYS_BASE0 + 1, MSR_MTRR_PHYS_BASE0 + 2,
	MSR_MTRR_PHYS_BASE0 + 3, MSR_MTRR_PHYS_BASE0 + 4, MSR_MTRR_PHYS_BASE0 + 5,
	MSR_MTRR_PHYS_BASE0 + 6, MSR_MTRR_PHYS_BASE0 + 7, MSR_MTRR_PHYS_BASE0 + 8,
	MSR_MTRR_PHYS_BASE0 + 9, MSR_MTRR_PHYS_BASE0 + 10, MSR_MTRR_PHYS_BASE0 + 11,
	MSR_MTRR_PHYS_BASE0 + 12, MSR_MTRR_PHYS_BASE0 + 13, MSR_MTRR_PHYS_BASE0 + 14,
	MSR_MTRR_PHYS_LAST,
	MSR_VM_HSAVE_PA,
};

/*
 * DE_CFG bits a vCPU may have: LFENCE is dispatch-serializing where the host CPU has it so
 * (X86_FEATURE_LFENCE_RDTSC), as Linux KVM reports it.
 */
static u64 de_cfg_supported(void)
{
	if (!kvm_host_is_amd() || !boot_cpu_has(X86_FEATURE_LFENCE_RDTSC))
		return 0;
	return MSR_AMD64_DE_CFG_LFENCE_SERIALIZE;
}

/*
 * The microcode revision a vCPU starts with and the feature MSR offers: the host's own, as
 * Linux KVM gives it, or KVM's default where the host has none to read.
 */
static u64 ucode_rev_default(void)
{
	u64 v;

	if (rdmsrl_safe(MSR_IA32_UCODE_REV, &v))
		return UCODE_REV_DEFAULT;
	return v;
}

/* the guest's CPUID vendor is Intel (GenuineIntel in leaf 0) */
static bool guest_vendor_intel(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, 0, 0);

	return e && e->ebx == 0x756e6547 && e->ecx == 0x6c65746e && e->edx == 0x49656e69;
}

void kvm_msr_reset(struct kvm_vcpu *vcpu)
{
	vcpu->arch.apic_base = APIC_DEFAULT_BASE | MSR_IA32_APICBASE_ENABLE |
			       (kvm_vcpu_is_bsp(vcpu) ? MSR_IA32_APICBASE_BSP : 0);
	vcpu->arch.misc_enable = MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL |
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL;
	vcpu->arch.tsc_aux = 0;
	vcpu->arch.tsc_adjust = 0;
	/* CPUID faulting is offered (and emulated, kvm_emulate_cpuid), as on Linux KVM */
	vcpu->arch.platform_info = MSR_PLATFORM_INFO_CPUID_FAULT;
	vcpu->arch.misc_features = 0;
	vcpu->arch.vm_cr = 0;
	vcpu->arch.hsave_pa = 0;
	vcpu->arch.power_ctl = 0;
	vcpu->arch.smi_count = 0;
	vcpu->arch.ucode_rev = ucode_rev_default();
	vcpu->arch.de_cfg = 0;
	vcpu->arch.mtrr_def_type = 0;
	memset(vcpu->arch.mtrr_fixed, 0, sizeof(vcpu->arch.mtrr_fixed));
	memset(vcpu->arch.mtrr_var, 0, sizeof(vcpu->arch.mtrr_var));
	vcpu->arch.hwcr = 0;
	vcpu->arch.kvm_wall_clock = 0;
	vcpu->arch.kvm_system_time = 0;
	vcpu->arch.pv_eoi_msr = 0;
	vcpu->arch.poll_control = 1;	/* msr.rst: host-side polling allowed */
	kvm_steal_time_reset(vcpu);
	kvm_mce_reset(vcpu);
}

/*
 * Performance counters without a virtual PMU (no PMU in the guest's CPUID), and AMD
 * configuration MSRs guests read on their way up (SYSCFG for the MTRR setup, NB_CFG, TSEG,
 * INT_PENDING_MSG, DC_CFG, MMIO_CONF_BASE), and the Pentium machine-check MSRs: read as 0;
 * writes dropped where msr_write_dropped() says so, as Linux KVM does.
 */
static bool msr_reads_zero(u32 index)
{
	switch (index) {
	case MSR_K7_EVNTSEL0 ... MSR_K7_PERFCTR3:
	case MSR_P6_PERFCTR0:
	case MSR_P6_PERFCTR1:
	case MSR_P6_EVNTSEL0:
	case MSR_P6_EVNTSEL1:
	case MSR_AMD64_SYSCFG:
	case MSR_AMD64_NB_CFG:
	case MSR_K8_TSEG_ADDR:
	case MSR_K8_INT_PENDING_MSG:
	case MSR_AMD64_DC_CFG:
	case MSR_FAM10H_MMIO_CONF_BASE:
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
		return true;
	default:
		return false;
	}
}

static bool msr_write_dropped(u32 index)
{
	switch (index) {
	case MSR_K7_EVNTSEL0 ... MSR_K7_PERFCTR3:
	case MSR_P6_PERFCTR0:
	case MSR_P6_PERFCTR1:
	case MSR_P6_EVNTSEL0:
	case MSR_P6_EVNTSEL1:
	case MSR_AMD64_NB_CFG:
	case MSR_AMD64_DC_CFG:
		return true;
	default:
		return false;
	}
}

static bool is_kvmclock_msr(u32 index)
{
	return index == MSR_KVM_WALL_CLOCK || index == MSR_KVM_SYSTEM_TIME ||
	       index == MSR_KVM_WALL_CLOCK_NEW || index == MSR_KVM_SYSTEM_TIME_NEW;
}

static u64 *mtrr_fixed_slot(struct kvm_vcpu *vcpu, u32 index)
{
	if (index == MSR_MTRR_FIX_64K)
		return &vcpu->arch.mtrr_fixed[0];
	if (index == MSR_MTRR_FIX_16K_80000 || index == MSR_MTRR_FIX_16K_A0000)
		return &vcpu->arch.mtrr_fixed[1 + index - MSR_MTRR_FIX_16K_80000];
	if (index >= MSR_MTRR_FIX_4K_C0000 && index <= MSR_MTRR_FIX_4K_F8000)
		return &vcpu->arch.mtrr_fixed[3 + index - MSR_MTRR_FIX_4K_C0000];
	return NULL;
}

/* The guest's TSC now: the host's plus the offset in the VMCB/VMCS (no TSC scaling) */
u64 kvm_guest_tsc(struct kvm_vcpu *vcpu)
{
	return rdtsc() + kvm_x86_vendor->get_tsc_offset(vcpu);
}
EXPORT_SYMBOL_GPL(kvm_guest_tsc);

/* Every TSC offset change of the common code: the pvclock page follows the new TSC */
void kvm_set_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	kvm_x86_vendor->set_tsc_offset(vcpu, offset);
	kvmclock_request_update(vcpu);
	/* a faster rate than the host's counts on from the new value (tsc.c) */
	if (vcpu->arch.tsc_catchup)
		kvm_tsc_rebase(vcpu);
}

static bool guest_has_tsc_adjust(struct kvm_vcpu *vcpu)
{
	return kvm_guest_has(vcpu, 7, 0, CPUID_REG_EBX, F7_EBX_TSC_ADJUST);
}

/*
 * SDM vol. 3B 17.17.3: a WRMSR to IA32_TSC adds the change it makes to the TSC to
 * IA32_TSC_ADJUST, and a WRMSR to IA32_TSC_ADJUST moves the TSC by the change it makes.
 * Writes from KVM_SET_MSRS restore state instead: the TSC sets the offset alone,
 * TSC_ADJUST is only stored (api.rst: the host writes each MSR's value as it is).
 */
static int write_tsc(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u64 offset = kvm_x86_vendor->get_tsc_offset(vcpu), next;

	if (index == MSR_IA32_TSC) {
		next = data - rdtsc();
		if (!host)
			vcpu->arch.tsc_adjust += next - offset;
		kvm_set_tsc_offset(vcpu, next);
		return 0;
	}
	/* without TSC_ADJUST in the guest's CPUID, writes are dropped (as Linux KVM) */
	if (!guest_has_tsc_adjust(vcpu))
		return 0;
	if (!host)
		kvm_set_tsc_offset(vcpu, offset + (data - vcpu->arch.tsc_adjust));
	vcpu->arch.tsc_adjust = data;
	return 0;
}

/* RDTSCP or RDPID in the guest's CPUID: the guest may use TSC_AUX */
static bool guest_has_tsc_aux(struct kvm_vcpu *vcpu)
{
	return kvm_guest_has(vcpu, 0x80000001, 0, CPUID_REG_EDX, BIT(27)) ||
	       kvm_guest_has(vcpu, 7, 0, CPUID_REG_ECX, BIT(22));
}

int kvm_msr_read(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	u64 *slot;
	int r;

	switch (index) {
	case MSR_IA32_TSC:
		*data = kvm_guest_tsc(vcpu);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		/* readable whatever the CPUID says, as on Linux KVM */
		*data = vcpu->arch.tsc_adjust;
		return 0;
	}
	r = kvm_x86_vendor->get_msr(vcpu, index, data);

	if (r != -ENOENT)
		return r ? 1 : 0;
	r = kvm_mce_get_msr(vcpu, index, data, host);
	if (r != -ENOENT)
		return r;
	r = kvm_lapic_msr(vcpu, index, data, false, host);
	if (r != -ENOENT)
		return r;
	if (is_kvmclock_msr(index))
		return kvmclock_msr(vcpu, index, data, false, host);
	if (index == MSR_KVM_STEAL_TIME)
		return kvm_steal_time_msr(vcpu, data, false, host);
	if (index == MSR_KVM_PV_EOI_EN)
		return kvm_lapic_pv_eoi_msr(vcpu, data, false, host);
	if (index == MSR_KVM_POLL_CONTROL)
		return kvm_poll_control_msr(vcpu, data, false, host);
	if (msr_reads_zero(index)) {
		*data = 0;
		return 0;
	}
	switch (index) {
	case MSR_EFER:
		*data = kvm_x86_vendor->get_efer(vcpu);
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->arch.apic_base;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->arch.misc_enable;
		return 0;
	case MSR_TSC_AUX:
		if (!host && !guest_has_tsc_aux(vcpu))
			return 1;
		*data = vcpu->arch.tsc_aux;
		return 0;
	case MSR_MTRRcap:
		*data = MTRR_CAP_VALUE;
		return 0;
	case MSR_MTRRdefType:
		*data = vcpu->arch.mtrr_def_type;
		return 0;
	case MSR_MTRR_PHYS_BASE0 ... MSR_MTRR_PHYS_LAST:
		*data = vcpu->arch.mtrr_var[index - MSR_MTRR_PHYS_BASE0];
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = vcpu->arch.ucode_rev;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		/* without PDCM (no virtual PMU) only the VMM sees it; it holds 0 */
		if (!host)
			return 1;
		*data = 0;
		return 0;
	case MSR_AMD64_DE_CFG:
		*data = vcpu->arch.de_cfg;
		return 0;
	case MSR_K7_HWCR:
		*data = vcpu->arch.hwcr;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		*data = vcpu->arch.misc_features;
		return 0;
	case MSR_VM_CR:		/* AMD only (SVM's MSRs) */
		if (!kvm_host_is_amd())
			break;
		*data = vcpu->arch.vm_cr;
		return 0;
	case MSR_VM_HSAVE_PA:
		if (!kvm_host_is_amd())
			break;
		*data = vcpu->arch.hsave_pa;
		return 0;
	case MSR_PLATFORM_INFO:
		/* api.rst 7.15: the guest reads it only while KVM_CAP_MSR_PLATFORM_INFO is on */
		if (!host && !READ_ONCE(vcpu->kvm->arch.guest_reads_platform_info))
			return 1;
		*data = vcpu->arch.platform_info;
		return 0;
	case MSR_IA32_POWER_CTL:
		*data = vcpu->arch.power_ctl;
		return 0;
	case MSR_SMI_COUNT:
		*data = vcpu->arch.smi_count;
		return 0;
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		return 0;
	}
	slot = mtrr_fixed_slot(vcpu, index);
	if (slot) {
		*data = *slot;
		return 0;
	}
	return KVM_MSR_UNKNOWN;
}
EXPORT_SYMBOL_GPL(kvm_msr_read);

static int set_efer(struct kvm_vcpu *vcpu, u64 efer, bool host)
{
	u64 old = kvm_x86_vendor->get_efer(vcpu);

	if (efer & ~EFER_ALLOWED)
		return 1;
	if (!host) {
		/* APM 3.1.7: LME cannot change while paging is on; LMA is the CPU's */
		if ((kvm_x86_vendor->get_cr(vcpu, 0) & X86_CR0_PG) &&
		    ((efer ^ old) & EFER_LME))
			return 1;
		efer = (efer & ~EFER_LMA) | (old & EFER_LMA);
	}
	kvm_x86_vendor->set_efer(vcpu, efer);
	return 0;
}

/* MSRs that hold a linear address: a non-canonical one is refused (#GP), 48-bit addresses */
static bool msr_needs_canonical(u32 index)
{
	switch (index) {
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return true;
	default:
		return false;
	}
}

/* SDM vol. 3A 11.12.2 / APM 7.8.1: each PAT entry is a memory type 0, 1, 4, 5, 6 or 7 */
static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = (pat >> (i * 8)) & 0xff;

		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

static bool is_canonical(u64 addr)
{
	return (u64)((s64)(addr << 16) >> 16) == addr;
}

/* SDM vol. 3A 11.11.2.x: the memory types an MTRR may hold (not 2, 3 or 7) */
static bool mtrr_type_valid(u8 type)
{
	return type < 8 && ((1U << type) & 0x73);
}

static bool mtrr_fixed_valid(u64 data)
{
	int i;

	for (i = 0; i < 8; i++)
		if (!mtrr_type_valid(data >> (8 * i)))
			return false;
	return true;
}

/* PHYSBASEn (even) and PHYSMASKn (odd): reserved bits, and PHYSBASE's memory type */
static bool mtrr_var_valid(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	u64 rsvd = ~0ULL << kvm_guest_maxphyaddr(vcpu);

	if (index & 1)
		return !(data & (rsvd | MTRR_PHYS_MASK_RSVD));
	return !(data & (rsvd | MTRR_PHYS_BASE_RSVD)) && mtrr_type_valid(data);
}

/*
 * AMD VM_CR (APM vol. 2 15.30.1), without nested SVM behind it: the five defined bits are
 * kept; once SVMDIS is set, LOCK and SVMDIS no longer change (the write is taken all the
 * same, as on Linux KVM).
 */
static int set_vm_cr(struct kvm_vcpu *vcpu, u64 data)
{
	u64 change = VM_CR_VALID;

	if (data & ~VM_CR_VALID)
		return 1;
	if (vcpu->arch.vm_cr & VM_CR_SVMDIS)
		change &= ~(VM_CR_LOCK | VM_CR_SVMDIS);
	vcpu->arch.vm_cr = (vcpu->arch.vm_cr & ~change) | (data & change);
	return 0;
}

/*
 * AMD VM_HSAVE_PA: the guest writes a page-aligned address below its MAXPHYADDR (#GP
 * otherwise); the VMM restores any value, kept page-aligned (Linux KVM's migration rule).
 */
static int set_hsave_pa(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	if (!host && ((data & ~PAGE_MASK) || (data >> kvm_guest_maxphyaddr(vcpu))))
		return 1;
	vcpu->arch.hsave_pa = data & PAGE_MASK;
	return 0;
}

/*
 * MISC_ENABLE: the VMM sets any value; the guest may not change BTS/PEBS unavailable (#GP),
 * and its writes to EMON (performance monitoring available) are dropped, as Linux KVM.
 */
static int set_misc_enable(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	u64 old = vcpu->arch.misc_enable;

	if (!host) {
		if ((old ^ data) & MISC_ENABLE_GUEST_RO)
			return 1;
		data = (data & ~MISC_ENABLE_GUEST_KEPT) | (old & MISC_ENABLE_GUEST_KEPT);
	}
	if (!kvm_misc_enable_mwait_ok(vcpu, old, data))
		return 1;
	vcpu->arch.misc_enable = data;
	return 0;
}

/*
 * AMD HWCR: the bits Linux writes that change nothing here are ignored, the HWCR_KEPT ones
 * kept. A write of nothing else (0) clears them, or, where the kernel's own KVM behaves
 * so (compat.h: before 6.6), is taken but leaves McStatusWrEn as it was.
 */
static int set_hwcr(struct kvm_vcpu *vcpu, u64 data)
{
	data &= ~HWCR_IGNORED;
	if (data & ~HWCR_KEPT)
		return 1;
	if (data || KVM_HWCR_ZERO_CLEARS)
		vcpu->arch.hwcr = data;
	return 0;
}

/*
 * TSC_AUX: the guest needs RDTSCP or RDPID in its CPUID. For a guest of AMD's CPUID vendor
 * bits 63:32 are dropped, as AMD CPUs do (Linux KVM on SVM); for Intel's they are #GP.
 */
static int set_tsc_aux(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	if (!host && !guest_has_tsc_aux(vcpu))
		return 1;
	if ((data >> 32) && guest_vendor_intel(vcpu))
		return 1;
	vcpu->arch.tsc_aux = (u32)data;
	return 0;
}

int kvm_msr_write(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	u64 *slot;
	int r;

	/*
	 * SYSENTER_ESP/EIP of a guest with AMD's CPUID vendor hold 32 bits on AMD hosts (as
	 * Linux KVM's SVM backend)
	 */
	if ((index == MSR_IA32_SYSENTER_ESP || index == MSR_IA32_SYSENTER_EIP) &&
	    kvm_host_is_amd() && !guest_vendor_intel(vcpu))
		data = (u32)data;
	if (msr_needs_canonical(index) && !is_canonical(data))
		return 1;
	if (index == MSR_IA32_CR_PAT && !pat_valid(data))
		return 1;
	if (index == MSR_IA32_TSC || index == MSR_IA32_TSC_ADJUST)
		return write_tsc(vcpu, index, data, host);
	r = kvm_x86_vendor->set_msr(vcpu, index, data);

	if (r != -ENOENT)
		return r ? 1 : 0;
	r = kvm_mce_set_msr(vcpu, index, data, host);
	if (r != -ENOENT)
		return r;
	r = kvm_lapic_msr(vcpu, index, &data, true, host);
	if (r != -ENOENT)
		return r;
	if (is_kvmclock_msr(index))
		return kvmclock_msr(vcpu, index, &data, true, host);
	if (index == MSR_KVM_STEAL_TIME)
		return kvm_steal_time_msr(vcpu, &data, true, host);
	if (index == MSR_KVM_PV_EOI_EN)
		return kvm_lapic_pv_eoi_msr(vcpu, &data, true, host);
	if (index == MSR_KVM_POLL_CONTROL)
		return kvm_poll_control_msr(vcpu, &data, true, host);
	if (msr_write_dropped(index))
		return 0;
	switch (index) {
	case MSR_EFER:
		return set_efer(vcpu, data, host);
	case MSR_IA32_APICBASE:
		if (vcpu->arch.apic)	/* bit 10, x2APIC, allowed (lapic.c) */
			return kvm_lapic_set_base(vcpu, data, host);
		if ((data & APIC_BASE_RESERVED) || (data >> kvm_guest_maxphyaddr(vcpu)))
			return 1;
		vcpu->arch.apic_base = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		return set_misc_enable(vcpu, data, host);
	case MSR_TSC_AUX:
		return set_tsc_aux(vcpu, data, host);
	case MSR_MTRRdefType:
		if ((data & ~MTRR_DEF_TYPE_VALID) || !mtrr_type_valid(data))
			return 1;
		vcpu->arch.mtrr_def_type = data;
		return 0;
	case MSR_MTRR_PHYS_BASE0 ... MSR_MTRR_PHYS_LAST:
		if (!mtrr_var_valid(vcpu, index, data))
			return 1;
		vcpu->arch.mtrr_var[index - MSR_MTRR_PHYS_BASE0] = data;
		return 0;
	case MSR_VM_CR:
		if (!kvm_host_is_amd())
			break;
		return set_vm_cr(vcpu, data);
	case MSR_VM_HSAVE_PA:
		if (!kvm_host_is_amd())
			break;
		return set_hsave_pa(vcpu, data, host);
	case MSR_FAM10H_MMIO_CONF_BASE:
		return data ? 1 : 0;	/* reads 0; only 0 may be written (as Linux KVM) */
	case MSR_IA32_UCODE_REV:
		/* the VMM sets the revision; the guest writes 0 before CPUID to read it */
		if (host)
			vcpu->arch.ucode_rev = data;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		return host && !data ? 0 : 1;	/* the feature value (0) or nothing */
	case MSR_AMD64_DE_CFG:
		/*
		 * The VMM may set what the feature MSR offers; the guest may write only
		 * exactly that value (Linux KVM's rule).
		 */
		if (data & ~de_cfg_supported())
			return 1;
		if (!host && data != de_cfg_supported())
			return 1;
		vcpu->arch.de_cfg = data;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		/*
		 * No LBR virtualization: on AMD every value is taken and dropped, as Linux
		 * KVM's SVM backend does without LBRV (it reads 0); elsewhere only 0.
		 */
		return data && !kvm_host_is_amd() ? 1 : 0;
	case MSR_PLATFORM_INFO:
		/* written by the VMM only (api.rst 7.15) */
		if (!host)
			return 1;
		vcpu->arch.platform_info = data;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		/*
		 * CPUID faulting (bit 0) where PLATFORM_INFO offers it (kvm_emulate_cpuid);
		 * ring-3 MWAIT (bit 1) is not offered
		 */
		if (data & ~CPUID_FAULT_ENABLE)
			return 1;
		if (data && !(vcpu->arch.platform_info & MSR_PLATFORM_INFO_CPUID_FAULT))
			return 1;
		vcpu->arch.misc_features = data;
		return 0;
	case MSR_IA32_POWER_CTL:
		vcpu->arch.power_ctl = data;	/* no power management behind it: kept */
		return 0;
	case MSR_SMI_COUNT:
		/* the guest reads it; only the VMM restores it (there is no SMM to count) */
		if (!host)
			return 1;
		vcpu->arch.smi_count = data;
		return 0;
	case MSR_K7_HWCR:
		return set_hwcr(vcpu, data);
	}
	slot = mtrr_fixed_slot(vcpu, index);
	if (slot) {
		if (!mtrr_fixed_valid(data))
			return 1;
		*slot = data;
		return 0;
	}
	return KVM_MSR_UNKNOWN;
}
EXPORT_SYMBOL_GPL(kvm_msr_write);

/*
 * kvm.ignore_msrs: an MSR nobody here knows (KVM_MSR_UNKNOWN; not one refused for its value)
 * reads 0 and takes writes, which are dropped, for the guest and for KVM_GET/SET_MSRS alike;
 * kvm.report_ignored_msrs logs each such access, ratelimited. True when the access was
 * ignored (*data is 0 for a read), false when it must fail.
 */
bool kvm_msr_ignored(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host)
{
	if (!READ_ONCE(kvm_ignore_msrs))
		return false;
	if (READ_ONCE(kvm_report_ignored_msrs))
		pr_info_ratelimited("kvm [%d]: vcpu%d, guest rIP: %#lx ignored %s%s: %#x data %#llx\n",
				    task_tgid_nr(current), vcpu->vcpu_id,
				    vcpu->arch.regs[VCPU_REGS_RIP], host ? "host " : "",
				    write ? "wrmsr" : "rdmsr", index, write ? *data : 0);
	if (!write)
		*data = 0;
	return true;
}

/*
 * api.rst 4.18/4.19: the MSRs of a struct kvm_msrs, one by one until do_one() fails; returns
 * how many were done (their data copied back for a read), or an errno for the array itself
 */
static long msrs_ioctl(struct kvm_msrs __user *umsrs, bool copy_back,
		       int (*do_one)(void *ctx, struct kvm_msr_entry *e), void *ctx)
{
	struct kvm_msr_entry *entries;
	struct kvm_msrs hdr;
	long r;
	u32 i;

	if (copy_from_user(&hdr, umsrs, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= MAX_IO_MSRS)
		return -E2BIG;
	entries = memdup_user(umsrs->entries, hdr.nmsrs * sizeof(*entries));
	if (IS_ERR(entries))
		return PTR_ERR(entries);
	for (i = 0; i < hdr.nmsrs; i++)
		if (do_one(ctx, &entries[i]))
			break;
	r = i;
	if (copy_back && copy_to_user(umsrs->entries, entries, i * sizeof(*entries)))
		r = -EFAULT;
	kfree(entries);
	return r;
}

static int vcpu_msr_get(void *ctx, struct kvm_msr_entry *e)
{
	struct kvm_vcpu *vcpu = ctx;
	int r = kvm_msr_read(vcpu, e->index, &e->data, true);

	if (r == KVM_MSR_UNKNOWN && kvm_msr_ignored(vcpu, e->index, &e->data, false, true))
		r = 0;
	return r;
}

static int vcpu_msr_set(void *ctx, struct kvm_msr_entry *e)
{
	struct kvm_vcpu *vcpu = ctx;
	int r = kvm_msr_write(vcpu, e->index, e->data, true);

	if (r == KVM_MSR_UNKNOWN && kvm_msr_ignored(vcpu, e->index, &e->data, true, true))
		r = 0;
	return r;
}

/* KVM_GET_MSRS / KVM_SET_MSRS on a vCPU: stops at the first MSR that fails */
long kvm_vcpu_ioctl_msrs(struct kvm_vcpu *vcpu, struct kvm_msrs __user *umsrs, bool set)
{
	return msrs_ioctl(umsrs, !set, set ? vcpu_msr_set : vcpu_msr_get, vcpu);
}

/* api.rst 4.3: nmsrs comes back as the number of MSRs; E2BIG if they do not fit */
static long copy_msr_list(struct kvm_msr_list __user *ulist, const u32 *indices, u32 n)
{
	struct kvm_msr_list hdr;
	u32 room;

	if (copy_from_user(&hdr, ulist, sizeof(hdr)))
		return -EFAULT;
	room = hdr.nmsrs;
	hdr.nmsrs = n;
	if (copy_to_user(ulist, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (room < n)
		return -E2BIG;
	if (copy_to_user(ulist->indices, indices, n * sizeof(*indices)))
		return -EFAULT;
	return 0;
}

long kvm_dev_ioctl_get_msr_index_list(struct kvm_msr_list __user *ulist)
{
	return copy_msr_list(ulist, msrs_to_save,
			     ARRAY_SIZE(msrs_to_save) - (kvm_host_is_amd() ? 0 : 1));
}

/*
 * Feature MSRs (api.rst 4.3 KVM_GET_MSR_FEATURE_INDEX_LIST, 4.18 KVM_GET_MSRS on /dev/kvm):
 * what a vCPU's copy of each may hold, so that a VMM can check its CPU model against them.
 */
static const u32 feature_msrs[] = {
	MSR_IA32_UCODE_REV, MSR_IA32_PERF_CAPABILITIES, MSR_AMD64_DE_CFG,
};

/* 0, or 1 for an MSR that is not a feature MSR */
static int feature_msr_value(u32 index, u64 *data)
{
	switch (index) {
	case MSR_IA32_UCODE_REV:
		*data = ucode_rev_default();	/* what a vCPU reads until the VMM sets another */
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		*data = 0;			/* no virtual PMU: no capability */
		return 0;
	case MSR_AMD64_DE_CFG:
		*data = de_cfg_supported();
		return 0;
	default:
		return 1;
	}
}

long kvm_dev_ioctl_get_feature_msr_index_list(struct kvm_msr_list __user *ulist)
{
	return copy_msr_list(ulist, feature_msrs, ARRAY_SIZE(feature_msrs));
}

static int feature_msr_get(void *ctx, struct kvm_msr_entry *e)
{
	return feature_msr_value(e->index, &e->data);
}

/* api.rst 4.18 as a system ioctl: the number of MSRs read, stopping at the first unknown */
long kvm_dev_ioctl_get_feature_msrs(struct kvm_msrs __user *umsrs)
{
	return msrs_ioctl(umsrs, true, feature_msr_get, NULL);
}
