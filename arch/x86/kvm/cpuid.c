// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID: what KVM_GET_SUPPORTED_CPUID offers (api.rst 4.46) is the host's CPUID filtered to
 * what this module virtualises and the host kernel uses, laid out as KVM does (every leaf of
 * both ranges, zeros where nothing is offered; the topology leaves as api.rst 9.1 says);
 * the table userspace sets with KVM_SET_CPUID2 (4.73) answers
 * the guest's CPUID instructions, with the bits that follow guest state (OSXSAVE, APIC,
 * XSAVE area size) filled in at the time of the instruction.
 */
#include <linux/kvm_para.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/processor.h>
#include <asm/fpu/xcr.h>

#include "x86.h"
#include "kvm_trace.h"

/* Leaf 1 (SDM vol. 2A CPUID, table 3-10 and 3-11) */
#define F1_ECX_ALLOWED	(BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) | BIT(17) | BIT(19) | \
			 BIT(20) | BIT(22) | BIT(23) | BIT(25) | BIT(26) | BIT(28) | BIT(29) | \
			 BIT(30))
#define F1_ECX_OSXSAVE	BIT(27)
#define F1_ECX_MWAIT	BIT(3)
#define F1_ECX_SSE3	BIT(0)
#define F1_ECX_X2APIC		BIT(21)
/* leaf 1 ECX bits reported whatever the host has: KVM itself provides them */
#define F1_ECX_EMULATED		F1_ECX_X2APIC
/*
 * FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFLUSH MMX FXSR SSE
 * SSE2 SS (MCE/MCA: the machine-check MSRs of mce.c; SS, self snoop: how the caches behave)
 */
#define F1_EDX_ALLOWED	(GENMASK(9, 0) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | \
			 BIT(15) | BIT(16) | BIT(17) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | \
			 BIT(26) | BIT(27))
#define F1_EDX_APIC	BIT(9)
/*
 * Leaf 1 EBX: brand index [7:0], CLFLUSH line size [15:8], the package's logical processor
 * count [23:16] (host topology, as leaf 4 EAX[31:14]), the initial APIC ID [31:24]: per CPU,
 * the VMM's to fill in, 0 here.
 */
#define F1_EBX_ALLOWED	GENMASK(23, 0)
/*
 * Leaf 7.0 EBX: FSGSBASE BMI1 AVX2 FDP_EXCPTN_ONLY SMEP BMI2 ERMS FCS/FDS-deprecated ADX SMAP
 * CLFLUSHOPT CLWB SHA (bits 6 and 13 tell how the x87 unit, which the guest runs natively,
 * saves its pointers)
 */
#define F7_EBX_ALLOWED	(BIT(0) | BIT(3) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(9) | \
			 BIT(13) | BIT(19) | BIT(20) | BIT(23) | BIT(24) | BIT(29))
/* Leaf 7.0 ECX: GFNI VAES VPCLMULQDQ */
#define F7_ECX_ALLOWED	(BIT(8) | BIT(9) | BIT(10))
/*
 * Leaf 0x80000001 ECX: LAHF_LM CmpLegacy CR8_LEGACY ABM SSE4A MISALIGNSSE 3DNOWPREFETCH XOP
 * FMA4 TBM TOPOEXT (CmpLegacy and TOPOEXT describe topology: leaves 0x8000001D/E, which
 * answer from the VMM's table)
 */
#define F81_ECX_ALLOWED	(BIT(0) | BIT(1) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | \
			 BIT(11) | BIT(16) | BIT(21) | BIT(22))
/*
 * Leaf 0x80000001 EDX: the leaf-1 mirrors on AMD (MCE and MCA included), SYSCALL NX MMXEXT
 * FXSR_OPT PDPE1GB RDTSCP LM 3DNOW*
 */
#define F81_EDX_ALLOWED	(GENMASK(9, 0) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | \
			 BIT(15) | BIT(16) | BIT(17) | BIT(20) | BIT(22) | BIT(23) | BIT(24) | \
			 BIT(25) | BIT(26) | BIT(27) | BIT(29) | BIT(30) | BIT(31))
/* Leaf 0x80000008 ECX (APM vol. 3 E.4.7): NC [7:0], ApicIdSize [15:12]: host topology */
#define F88_ECX_ALLOWED	(GENMASK(7, 0) | GENMASK(15, 12))
/*
 * Leaf 0x80000021 EAX (APM vol. 3 E.4.19): NoNestedDataBp, LfenceAlwaysSerializing,
 * NullSelectClearsBase (how the CPU the guest runs on behaves), NoSmmCtlMsr (MSR C001_0116
 * does not exist here: msr.c does not know it)
 */
#define F821_EAX_NO_NESTED_DATA_BP	BIT(0)
#define F821_EAX_LFENCE_SERIALIZING	BIT(2)
#define F821_EAX_NULL_SEL_CLR_BASE	BIT(6)
#define F821_EAX_NO_SMM_CTL_MSR		BIT(9)
/* XSAVE features the guest may enable: x87, SSE, AVX (others need state we do not switch) */
#define XFEATURES_ALLOWED	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)
#define XSAVE_LEGACY_AND_HEADER	576	/* 512-byte legacy area + 64-byte header */
#define XSAVE_YMM_SIZE		256
/* Leaf 0xD.1 EAX: XSAVEOPT XSAVEC XGETBV1 (not XSAVES: no IA32_XSS) */
#define FD1_EAX_ALLOWED		(BIT(0) | BIT(1) | BIT(2))

/*
 * The ranges reported: every leaf from 0 (and from 0x80000000) up to the range's maximum, as
 * KVM does, zero where nothing is offered. Leaf 0x1F is the last basic leaf this code knows;
 * on AMD hosts the extended range goes to 0x80000021 (its bits are partly our own).
 */
#define CPUID_BASIC_MAX		0x1f
#define CPUID_EXT_MAX_INTEL	0x80000008
#define CPUID_EXT_MAX_AMD	0x80000021
/* subleaves of a cache leaf (4, 0x8000001D) read before giving up on finding its end */
#define CPUID_MAX_CACHE_LEVELS	32

#define KVM_CPUID_SIGNATURE	0x40000000
#define KVM_CPUID_FEATURES	0x40000001

struct cpuid_builder {
	struct kvm_cpuid_entry2 *entries;
	int nent, max;
};

/* A new entry of zeros, or NULL when the table is full */
static struct kvm_cpuid_entry2 *add_zero_entry(struct cpuid_builder *b, u32 function, u32 index,
					       bool indexed)
{
	struct kvm_cpuid_entry2 *e;

	if (b->nent >= b->max)
		return NULL;
	e = &b->entries[b->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	e->flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	return e;
}

/* A new entry holding what the host's CPUID answers, or NULL when the table is full */
static struct kvm_cpuid_entry2 *add_entry(struct cpuid_builder *b, u32 function, u32 index,
					  bool indexed)
{
	struct kvm_cpuid_entry2 *e = add_zero_entry(b, function, index, indexed);

	if (e)
		cpuid_count(function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
	return e;
}

/* A feature word as the host kernel sees it: CPUID less what it disabled or found broken */
static u32 host_caps(enum cpuid_leafs word)
{
	return boot_cpu_data.x86_capability[word];
}

bool kvm_host_is_amd(void)
{
	return boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
	       boot_cpu_data.x86_vendor == X86_VENDOR_HYGON;
}

/* the XSAVE features KVM lets a guest use: the host's, limited to XFEATURES_ALLOWED */
u64 kvm_supported_xcr0(void)
{
	u32 eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return 0;
	cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx);
	return (eax | (u64)edx << 32) & xgetbv(XCR_XFEATURE_ENABLED_MASK) & XFEATURES_ALLOWED;
}

/*
 * The bits of a leaf that follow the vCPU's state rather than the table: OSXSAVE mirrors
 * CR4.OSXSAVE, APIC mirrors IA32_APIC_BASE.EN (SDM 10.4.3), 0xD.0 EBX is the XSAVE area
 * size for what XCR0 enables now. KVM_GET_CPUID2 shows them as the guest sees them (KVM does,
 * and Linux's selftests compare the two).
 */
static void cpuid_runtime_bits(struct kvm_vcpu *vcpu, u32 function, u32 index,
			       u32 *ebx, u32 *ecx, u32 *edx)
{
	if (function == 1) {
		/* api.rst 7.31 KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT off: MWAIT follows MISC_ENABLE */
		if (!kvm_quirk_enabled(vcpu->kvm, KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT)) {
			*ecx &= ~F1_ECX_MWAIT;
			if (vcpu->arch.misc_enable & MSR_IA32_MISC_ENABLE_MWAIT)
				*ecx |= F1_ECX_MWAIT;
		}
		*ecx &= ~F1_ECX_OSXSAVE;
		if (kvm_x86_vendor->get_cr(vcpu, 4) & X86_CR4_OSXSAVE)
			*ecx |= F1_ECX_OSXSAVE;
		if (!(vcpu->arch.apic_base & MSR_IA32_APICBASE_ENABLE))
			*edx &= ~F1_EDX_APIC;
	} else if (function == 0xd && index == 0) {
		*ebx = XSAVE_LEGACY_AND_HEADER +
		       (vcpu->arch.xcr0 & XFEATURE_MASK_YMM ? XSAVE_YMM_SIZE : 0);
	}
}

/*
 * A deterministic cache parameters leaf (4: SDM vol. 2A CPUID; 0x8000001D: APM vol. 3 E.4.15)
 * as the host has it, subleaf by subleaf up to the first of cache type 0 (EAX[4:0]), which
 * ends the list and is reported too. The sharing and core counts (EAX[25:14], EAX[31:26])
 * stay the host's: the VMM sets the guest's topology.
 */
static int add_cache_leaves(struct cpuid_builder *b, u32 function)
{
	struct kvm_cpuid_entry2 *e;
	u32 i;

	for (i = 0; i < CPUID_MAX_CACHE_LEVELS; i++) {
		e = add_entry(b, function, i, true);
		if (!e)
			return -E2BIG;
		if (!(e->eax & 0x1f))
			return 0;
	}
	/* a host without an end: end the list ourselves */
	return add_zero_entry(b, function, i, true) ? 0 : -E2BIG;
}

static int build_basic_leaves(struct cpuid_builder *b)
{
	u32 max = min_t(u32, cpuid_eax(0), CPUID_BASIC_MAX), f;
	u64 xcr0 = kvm_supported_xcr0();
	struct kvm_cpuid_entry2 *e;

	for (f = 0; f <= max; f++) {
		switch (f) {
		case 0:
			e = add_entry(b, 0, 0, false);
			if (e)
				e->eax = max;
			break;
		case 1:
			e = add_entry(b, 1, 0, false);
			if (!e)
				break;
			e->ebx &= F1_EBX_ALLOWED;
			/* x2APIC: emulated by lapic.c whatever the host has */
			e->ecx = (e->ecx & host_caps(CPUID_1_ECX) & F1_ECX_ALLOWED) |
				 F1_ECX_EMULATED;
			if (!(xcr0 & XFEATURE_MASK_YMM))
				e->ecx &= ~(BIT(28) | BIT(12) | BIT(29));	/* AVX FMA F16C */
			e->edx &= host_caps(CPUID_1_EDX) & F1_EDX_ALLOWED;
			break;
		case 2:
			e = add_entry(b, 2, 0, false);	/* cache and TLB descriptors */
			break;
		case 4:
			if (add_cache_leaves(b, 4))
				return -E2BIG;
			continue;
		case 6:
			e = add_entry(b, 6, 0, false);
			if (e) {
				e->eax &= BIT(2);	/* ARAT: the APIC timer does not stop */
				e->ebx = e->ecx = e->edx = 0;
			}
			break;
		case 7:
			e = add_entry(b, 7, 0, true);
			if (!e)
				break;
			e->eax = 0;
			e->ebx = (e->ebx & host_caps(CPUID_7_0_EBX) & F7_EBX_ALLOWED) |
				 F7_EBX_TSC_ADJUST;
			if (!(xcr0 & XFEATURE_MASK_YMM))
				e->ebx &= ~BIT(5);			/* AVX2 */
			e->ecx &= host_caps(CPUID_7_ECX) & F7_ECX_ALLOWED;
			e->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			/*
			 * Extended topology: "all zeroes" (api.rst 9.1, CPU topology), the guest's
			 * is the VMM's to describe. Level type 0 (ECX[15:8]) at subleaf 0 ends
			 * the list there.
			 */
			e = add_zero_entry(b, f, 0, true);
			break;
		case 0xd:
			if (!xcr0) {
				e = add_zero_entry(b, 0xd, 0, true);
				break;
			}
			e = add_entry(b, 0xd, 0, true);
			if (!e)
				break;
			e->eax = (u32)xcr0;
			e->edx = xcr0 >> 32;
			e->ecx = XSAVE_LEGACY_AND_HEADER +
				 (xcr0 & XFEATURE_MASK_YMM ? XSAVE_YMM_SIZE : 0);
			e->ebx = e->ecx;
			e = add_entry(b, 0xd, 1, true);
			if (!e)
				break;
			e->eax &= FD1_EAX_ALLOWED;
			e->ebx = e->ecx = e->edx = 0;
			if (xcr0 & XFEATURE_MASK_YMM)
				e = add_entry(b, 0xd, 2, true);
			break;
		default:
			/*
			 * Nothing virtualised reports here: 3 (serial number), 5 (MONITOR/MWAIT:
			 * not offered), 0xA (no PMU), the reserved leaves, and the features of
			 * 0xE-0x1E (RDT, SGX, PT, AMX, ...).
			 */
			e = add_zero_entry(b, f, 0, false);
			break;
		}
		if (!e)
			return -E2BIG;
	}
	return 0;
}

/* The extended leaves built from the host's: the rest are zeros, or ours alone */
static bool ext_leaf_from_host(u32 function)
{
	switch (function) {
	case 0x80000000:
	case 0x80000001:
	case 0x80000006:
	case 0x80000007:
	case 0x80000008:
	case 0x80000021:
		return true;
	default:
		return false;
	}
}

static int build_extended_leaves(struct cpuid_builder *b)
{
	u32 host_max = cpuid_eax(0x80000000), max, f;
	struct kvm_cpuid_entry2 *e;

	if (host_max < 0x80000000)
		return 0;
	max = kvm_host_is_amd() ? CPUID_EXT_MAX_AMD : min_t(u32, host_max, CPUID_EXT_MAX_INTEL);
	for (f = 0x80000000; f <= max; f++) {
		if (f == 0x8000001d) {
			if (f <= host_max ? add_cache_leaves(b, f) :
			    !add_zero_entry(b, f, 0, true))
				return -E2BIG;
			continue;
		}
		/*
		 * Zeros: the brand string and L1 caches (0x80000002-5: the VMM names its CPU),
		 * SVM (0x8000000A: no nested virtualisation), the topology of 0x8000001E ("all
		 * zeroes", api.rst 9.1), SEV (0x8000001F), and the reserved leaves
		 */
		if (f <= host_max && ext_leaf_from_host(f))
			e = add_entry(b, f, 0, false);
		else
			e = add_zero_entry(b, f, 0, false);
		if (!e)
			return -E2BIG;
		switch (f) {
		case 0x80000000:
			e->eax = max;
			break;
		case 0x80000001:
			e->ecx &= host_caps(CPUID_8000_0001_ECX) & F81_ECX_ALLOWED;
			e->edx &= host_caps(CPUID_8000_0001_EDX) & F81_EDX_ALLOWED;
			break;
		case 0x80000007:
			e->eax = e->ebx = e->ecx = 0;
			e->edx &= BIT(8);	/* invariant TSC */
			break;
		case 0x80000008:
			e->eax &= 0xffff;	/* physical and linear address sizes */
			e->ebx = e->edx = 0;
			e->ecx &= F88_ECX_ALLOWED;
			break;
		case 0x80000021:
			e->eax &= F821_EAX_NO_NESTED_DATA_BP | F821_EAX_NULL_SEL_CLR_BASE |
				  F821_EAX_LFENCE_SERIALIZING;
			e->ebx = e->ecx = e->edx = 0;
			/* the host kernel made LFENCE dispatch-serializing (DE_CFG) */
			if (boot_cpu_has(X86_FEATURE_LFENCE_RDTSC))
				e->eax |= F821_EAX_LFENCE_SERIALIZING;
			e->eax |= F821_EAX_NO_SMM_CTL_MSR;
			break;
		default:
			break;	/* 0x80000006, L2 and L3 caches: as the host */
		}
	}
	return 0;
}

static int build_kvm_leaves(struct cpuid_builder *b)
{
	struct kvm_cpuid_entry2 *e = add_zero_entry(b, KVM_CPUID_SIGNATURE, 0, false);

	if (!e)
		return -E2BIG;
	/* "KVMKVMKVM\0\0\0": guests look for it to find the paravirtual interface */
	e->eax = KVM_CPUID_FEATURES;
	e->ebx = 0x4b4d564b;
	e->ecx = 0x564b4d56;
	e->edx = 0x4d;
	e = add_zero_entry(b, KVM_CPUID_FEATURES, 0, false);
	if (!e)
		return -E2BIG;
	/* the paravirtual features implemented (cpuid.rst) */
	e->eax = BIT(KVM_FEATURE_PV_UNHALT) | BIT(KVM_FEATURE_PV_SEND_IPI) |
		 BIT(KVM_FEATURE_PV_SCHED_YIELD) | BIT(KVM_FEATURE_PV_EOI) |
		 BIT(KVM_FEATURE_POLL_CONTROL);
	/* port 0x80 delays are pointless here: a hint only, nothing to implement */
	e->eax |= BIT(KVM_FEATURE_NOP_IO_DELAY);
	/* the flush request travels in the steal time area (steal_time.c) */
	if (kvm_steal_time_supported())
		e->eax |= BIT(KVM_FEATURE_STEAL_TIME) | BIT(KVM_FEATURE_PV_TLB_FLUSH);
	/* kvmclock (kvmclock.c); the stable bit per page says when the guest may rely on it */
	e->eax |= BIT(KVM_FEATURE_CLOCKSOURCE) | BIT(KVM_FEATURE_CLOCKSOURCE2) |
		  BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	return 0;
}

long kvm_dev_ioctl_get_supported_cpuid(struct kvm_cpuid2 __user *ucpuid)
{
	struct kvm_cpuid2 hdr;
	struct cpuid_builder b = { 0 };
	long r;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;
	b.max = min_t(u32, hdr.nent, KVM_MAX_CPUID_ENTRIES);
	b.entries = kvcalloc(b.max, sizeof(*b.entries), GFP_KERNEL);
	if (!b.entries)
		return -ENOMEM;
	r = build_basic_leaves(&b);
	if (!r)
		r = build_extended_leaves(&b);
	if (!r)
		r = build_kvm_leaves(&b);
	if (r)
		goto out;
	hdr.nent = b.nent;
	r = -EFAULT;
	if (copy_to_user(ucpuid, &hdr, sizeof(hdr)) ||
	    copy_to_user(ucpuid->entries, b.entries, b.nent * sizeof(*b.entries)))
		goto out;
	r = 0;
out:
	kvfree(b.entries);
	return r;
}

/*
 * Checks Linux KVM makes on a new table: the linear-address width must be 48 or 57 bits.
 * Only the first 0x80000008 entry counts: it is the one the guest's CPUID finds (a table
 * with several takes the first for every lookup), so later ones are not checked either.
 */
static int cpuid_table_valid(const struct kvm_cpuid_entry2 *entries, u32 nent)
{
	u32 i, vaddr_bits;

	for (i = 0; i < nent; i++) {
		if (entries[i].function != 0x80000008)
			continue;
		vaddr_bits = (entries[i].eax >> 8) & 0xff;
		if (vaddr_bits && vaddr_bits != 48 && vaddr_bits != 57)
			return -EINVAL;
		break;
	}
	return 0;
}

/* The vCPU's table as the guest sees it now (the runtime bits filled in) */
static struct kvm_cpuid_entry2 *cpuid_runtime_view(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *view;
	int i;

	view = kvmalloc_array(vcpu->arch.cpuid_nent, sizeof(*view), GFP_KERNEL_ACCOUNT);
	if (!view)
		return NULL;
	memcpy(view, vcpu->arch.cpuid_entries, vcpu->arch.cpuid_nent * sizeof(*view));
	for (i = 0; i < vcpu->arch.cpuid_nent; i++)
		cpuid_runtime_bits(vcpu, view[i].function, view[i].index,
				   &view[i].ebx, &view[i].ecx, &view[i].edx);
	return view;
}

static int cpuid_same_table(struct kvm_vcpu *vcpu, const struct kvm_cpuid_entry2 *entries,
			    u32 nent)
{
	struct kvm_cpuid_entry2 *view;
	u32 i;
	int r = 0;

	if (nent != vcpu->arch.cpuid_nent)
		return -EINVAL;
	if (!nent)
		return 0;
	view = cpuid_runtime_view(vcpu);
	if (!view)
		return -ENOMEM;
	for (i = 0; i < nent; i++) {
		const struct kvm_cpuid_entry2 *a = &entries[i], *b = &view[i];

		if (a->function != b->function || a->index != b->index ||
		    a->flags != b->flags || a->eax != b->eax || a->ebx != b->ebx ||
		    a->ecx != b->ecx || a->edx != b->edx) {
			r = -EINVAL;
			break;
		}
	}
	kvfree(view);
	return r;
}

/*
 * What the VM's configuration takes out of a new table. api.rst 7.13: no
 * KVM_FEATURE_PV_UNHALT with HLT exits turned off (a halted vCPU is not in KVM's hands to be
 * kicked awake); KVM drops it itself (Linux 6.12's kvm_pv_test reads the table back).
 */
static void cpuid_apply_vm_config(struct kvm *kvm, struct kvm_cpuid_entry2 *entries, u32 nent)
{
	struct kvm_cpuid_entry2 *e;

	if (!(READ_ONCE(kvm->arch.disabled_exits) & KVM_X86_DISABLE_EXITS_HLT))
		return;
	e = kvm_cpuid_pv_features(entries, nent);
	if (e)
		e->eax &= ~BIT(KVM_FEATURE_PV_UNHALT);
}

long kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 __user *ucpuid)
{
	struct kvm_cpuid_entry2 *entries = NULL;
	struct kvm_cpuid2 hdr;
	int r;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (hdr.nent) {
		entries = vmemdup_user(ucpuid->entries, array_size(hdr.nent, sizeof(*entries)));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
		r = cpuid_table_valid(entries, hdr.nent);
		if (r) {
			kvfree(entries);
			return r;
		}
		cpuid_apply_vm_config(vcpu->kvm, entries, hdr.nent);
	}
	/*
	 * Once the vCPU has run, the CPU model is fixed. api.rst (KVM_SET_CPUID) only warns that
	 * a change "may cause guest instability"; KVM refuses it with EINVAL and accepts the
	 * table it already has, as KVM_GET_CPUID2 shows it (Linux's cpuid_test checks both).
	 */
	if (READ_ONCE(vcpu->arch.nr_entries)) {
		r = cpuid_same_table(vcpu, entries, hdr.nent);
		kvfree(entries);
		return r;
	}
	kvfree(vcpu->arch.cpuid_entries);
	vcpu->arch.cpuid_entries = entries;
	vcpu->arch.cpuid_nent = hdr.nent;
	kvm_lapic_cpuid_changed(vcpu);
	return 0;
}

long kvm_vcpu_ioctl_get_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 __user *ucpuid)
{
	struct kvm_cpuid_entry2 *view;
	struct kvm_cpuid2 hdr;
	long r = 0;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->arch.cpuid_nent)
		return -E2BIG;
	hdr.nent = vcpu->arch.cpuid_nent;
	if (copy_to_user(ucpuid, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (!hdr.nent)
		return 0;
	view = cpuid_runtime_view(vcpu);
	if (!view)
		return -ENOMEM;
	if (copy_to_user(ucpuid->entries, view, hdr.nent * sizeof(*view)))
		r = -EFAULT;
	kvfree(view);
	return r;
}

void kvm_cpuid_free(struct kvm_vcpu *vcpu)
{
	kvfree(vcpu->arch.cpuid_entries);
	vcpu->arch.cpuid_entries = NULL;
	vcpu->arch.cpuid_nent = 0;
}

static struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid_entry2 *entries, u32 nent,
					     u32 function, u32 index)
{
	u32 i;

	for (i = 0; i < nent; i++) {
		struct kvm_cpuid_entry2 *e = &entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry(struct kvm_vcpu *vcpu, u32 function,
						    u32 index)
{
	return cpuid_entry(vcpu->arch.cpuid_entries, vcpu->arch.cpuid_nent, function, index);
}

/*
 * The KVM features leaf of a table, or NULL. The KVM leaves start at the signature leaf
 * "KVMKVMKVM" at 0x40000000 or, next to another hypervisor's interface, at a later multiple
 * of 0x100 (cpuid.rst).
 */
struct kvm_cpuid_entry2 *kvm_cpuid_pv_features(struct kvm_cpuid_entry2 *entries, u32 nent)
{
	const struct kvm_cpuid_entry2 *e;
	u32 base;

	for (base = KVM_CPUID_SIGNATURE; base < 0x40010000; base += 0x100) {
		e = cpuid_entry(entries, nent, base, 0);
		if (e && e->ebx == 0x4b4d564b && e->ecx == 0x564b4d56 && e->edx == 0x4d)
			return cpuid_entry(entries, nent, base + 1, 0);
	}
	return NULL;
}

/* MAXPHYADDR as the guest's CPUID says (0x80000008 EAX[7:0]); 36 without it (SDM 4.1.4) */
int kvm_guest_maxphyaddr(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *max = kvm_find_cpuid_entry(vcpu, 0x80000000, 0);
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, 0x80000008, 0);

	if (!max || max->eax < 0x80000008 || !e || !(e->eax & 0xff))
		return 36;
	return e->eax & 0xff;
}
EXPORT_SYMBOL_GPL(kvm_guest_maxphyaddr);

bool kvm_guest_has(struct kvm_vcpu *vcpu, u32 function, u32 index, int reg, u32 bit)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, function, index);
	u32 val;

	if (!e)
		return false;
	val = reg == CPUID_REG_EBX ? e->ebx : reg == CPUID_REG_ECX ? e->ecx :
	      reg == CPUID_REG_EDX ? e->edx : e->eax;
	return val & bit;
}
EXPORT_SYMBOL_GPL(kvm_guest_has);

u64 kvm_guest_supported_xcr0(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, 0xd, 0);

	if (!e)
		return XFEATURE_MASK_FP;
	return (e->eax | (u64)e->edx << 32) & kvm_supported_xcr0();
}

/*
 * CPUID beyond the highest leaf of its range (below 0x80000000, or from it): Intel CPUs
 * return the highest basic leaf (SDM vol. 2A CPUID, "If a value entered for CPUID.EAX is
 * higher than the maximum input value..."), AMD CPUs zeros. As in Linux KVM, the guest's
 * CPUID vendor decides.
 */
static const struct kvm_cpuid_entry2 *cpuid_out_of_range(struct kvm_vcpu *vcpu, u32 function,
							  u32 index)
{
	const struct kvm_cpuid_entry2 *basic = kvm_find_cpuid_entry(vcpu, 0, 0), *ext;

	/* "GenuineIntel": EBX "Genu" */
	if (!basic || basic->ebx != 0x756e6547)
		return NULL;
	/* a range is leaf 0 (or 0x80000000) up to what that leaf's EAX says */
	ext = function & 0x80000000 ? kvm_find_cpuid_entry(vcpu, 0x80000000, 0) : basic;
	if (ext && function <= ext->eax)
		return NULL;
	return kvm_find_cpuid_entry(vcpu, basic->eax, index);
}

/* MONITOR/MWAIT are intercepted: #UD only with the quirk off and no MWAIT in the guest's CPUID */
bool kvm_monitor_mwait_faults(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, 1, 0);
	u32 ebx = 0, ecx = 0, edx = 0;

	if (kvm_quirk_enabled(vcpu->kvm, KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS))
		return false;
	if (e) {
		ecx = e->ecx;
		cpuid_runtime_bits(vcpu, 1, 0, &ebx, &ecx, &edx);
	}
	return !(ecx & F1_ECX_MWAIT);
}
EXPORT_SYMBOL_GPL(kvm_monitor_mwait_faults);

/*
 * MISC_ENABLE.MWAIT may change only where CPUID follows it (the quirk off), and then needs
 * SSE3 in the guest's CPUID, as on KVM (api.rst 7.31 KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT).
 */
bool kvm_misc_enable_mwait_ok(struct kvm_vcpu *vcpu, u64 old, u64 new)
{
	if (!((old ^ new) & MSR_IA32_MISC_ENABLE_MWAIT) ||
	    kvm_quirk_enabled(vcpu->kvm, KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT))
		return true;
	return kvm_guest_has(vcpu, 1, 0, CPUID_REG_ECX, F1_ECX_SSE3);
}

/*
 * CPUID faulting (MISC_FEATURES_ENABLES bit 0, offered in PLATFORM_INFO bit 31): CPUID
 * outside CPL 0 raises #GP(0) (Intel's "Virtualization technology: CPUID faulting"; Linux
 * KVM emulates it on both vendors).
 */
static bool cpuid_faults(struct kvm_vcpu *vcpu)
{
	struct kvm_segment ss;

	if (!(vcpu->arch.misc_features & BIT_ULL(0)))
		return false;
	if (!(kvm_x86_vendor->get_cr(vcpu, 0) & X86_CR0_PE))
		return false;
	if (kvm_get_rflags(vcpu) & X86_EFLAGS_VM)
		return true;
	kvm_x86_vendor->get_segment(vcpu, &ss, VCPU_SREG_SS);
	return ss.dpl != 0;
}

/* CPUID: false when it faulted (#GP queued) and the instruction must not be skipped */
bool kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	unsigned long *regs = vcpu->arch.regs;
	u32 function = regs[VCPU_REGS_RAX], index = regs[VCPU_REGS_RCX];
	const struct kvm_cpuid_entry2 *e;
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;
	bool found;

	if (cpuid_faults(vcpu)) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return false;
	}
	e = kvm_find_cpuid_entry(vcpu, function, index);
	found = e;

	if (!e)
		e = cpuid_out_of_range(vcpu, function, index);

	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
		cpuid_runtime_bits(vcpu, e->function, e->index, &ebx, &ecx, &edx);
	}
	regs[VCPU_REGS_RAX] = eax;
	regs[VCPU_REGS_RBX] = ebx;
	regs[VCPU_REGS_RCX] = ecx;
	regs[VCPU_REGS_RDX] = edx;
	trace_kvm_cpuid(function, index, regs, found, !found && e);
	return true;
}
EXPORT_SYMBOL_GPL(kvm_emulate_cpuid);
