// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID: what KVM_GET_SUPPORTED_CPUID offers (api.rst 4.46) is the host's CPUID filtered to
 * what this module virtualises; the table userspace sets with KVM_SET_CPUID2 (4.73) answers
 * the guest's CPUID instructions, with the bits that follow guest state (OSXSAVE, APIC,
 * XSAVE area size) filled in at the time of the instruction.
 */
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/processor.h>
#include <asm/fpu/xcr.h>

#include "x86.h"

/* Leaf 1 (SDM vol. 2A CPUID, table 3-10 and 3-11) */
#define F1_ECX_ALLOWED	(BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) | BIT(17) | BIT(19) | \
			 BIT(20) | BIT(22) | BIT(23) | BIT(25) | BIT(26) | BIT(28) | BIT(29) | \
			 BIT(30))
#define F1_ECX_OSXSAVE	BIT(27)
#define F1_ECX_MWAIT	BIT(3)
#define F1_ECX_SSE3	BIT(0)
#define F1_ECX_HYPERVISOR BIT(31)
#define F1_ECX_X2APIC		BIT(21)
/* leaf 1 ECX bits reported whatever the host has: KVM itself provides them */
#define F1_ECX_EMULATED		(F1_ECX_HYPERVISOR | F1_ECX_X2APIC)
/*
 * FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFLUSH MMX FXSR SSE
 * SSE2 (MCE/MCA: the machine-check MSRs of mce.c)
 */
#define F1_EDX_ALLOWED	(GENMASK(9, 0) | BIT(11) | BIT(12) | BIT(13) | BIT(14) | \
			 BIT(15) | BIT(16) | BIT(17) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | \
			 BIT(26))
#define F1_EDX_APIC	BIT(9)
/* Leaf 7.0 EBX: FSGSBASE BMI1 AVX2 SMEP BMI2 ERMS ADX SMAP CLFLUSHOPT CLWB SHA */
#define F7_EBX_ALLOWED	(BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) | BIT(9) | BIT(19) | \
			 BIT(20) | BIT(23) | BIT(24) | BIT(29))
/* Leaf 7.0 ECX: GFNI VAES VPCLMULQDQ */
#define F7_ECX_ALLOWED	(BIT(8) | BIT(9) | BIT(10))
/* Leaf 0x80000001 ECX: LAHF_LM CR8_LEGACY ABM SSE4A MISALIGNSSE 3DNOWPREFETCH XOP FMA4 TBM */
#define F81_ECX_ALLOWED	(BIT(0) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(11) | \
			 BIT(16) | BIT(21))
/* Leaf 0x80000001 EDX: leaf-1 mirrors on AMD, SYSCALL NX MMXEXT FXSR_OPT PDPE1GB RDTSCP LM 3DNOW* */
#define F81_EDX_ALLOWED	(GENMASK(6, 0) | BIT(8) | BIT(9) | BIT(11) | BIT(12) | BIT(13) | \
			 BIT(15) | BIT(16) | BIT(17) | BIT(20) | BIT(22) | BIT(23) | BIT(24) | \
			 BIT(25) | BIT(26) | BIT(27) | BIT(29) | BIT(30) | BIT(31))
/* XSAVE features the guest may enable: x87, SSE, AVX (others need state we do not switch) */
#define XFEATURES_ALLOWED	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_YMM)
#define XSAVE_LEGACY_AND_HEADER	576	/* 512-byte legacy area + 64-byte header */
#define XSAVE_YMM_SIZE		256
/* Leaf 0xD.1 EAX: XSAVEOPT XSAVEC XGETBV1 (not XSAVES: no IA32_XSS) */
#define FD1_EAX_ALLOWED		(BIT(0) | BIT(1) | BIT(2))

#define KVM_CPUID_SIGNATURE	0x40000000
#define KVM_CPUID_FEATURES	0x40000001

struct cpuid_builder {
	struct kvm_cpuid_entry2 *entries;
	int nent, max;
};

static struct kvm_cpuid_entry2 *add_entry(struct cpuid_builder *b, u32 function, u32 index,
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
	cpuid_count(function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
	return e;
}

static u64 host_supported_xcr0(void)
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

static int build_basic_leaves(struct cpuid_builder *b)
{
	u32 max = min_t(u32, cpuid_eax(0), 0xd), f;
	u64 xcr0 = host_supported_xcr0();
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
			e->ebx &= 0xff00;	/* CLFLUSH line size only: no APIC id, no count */
			/* x2APIC: emulated by lapic.c whatever the host has */
			e->ecx = (e->ecx & F1_ECX_ALLOWED) | F1_ECX_EMULATED;
			if (!(xcr0 & XFEATURE_MASK_YMM))
				e->ecx &= ~(BIT(28) | BIT(12) | BIT(29));	/* AVX FMA F16C */
			e->edx &= F1_EDX_ALLOWED;
			break;
		case 2:
		case 5:
			e = add_entry(b, f, 0, false);
			break;
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
			e->ebx = (e->ebx & F7_EBX_ALLOWED) | F7_EBX_TSC_ADJUST;
			if (!(xcr0 & XFEATURE_MASK_YMM))
				e->ebx &= ~BIT(5);			/* AVX2 */
			e->ecx &= F7_ECX_ALLOWED;
			e->edx = 0;
			break;
		case 0xd:
			if (!xcr0)
				break;
			e = add_entry(b, 0xd, 0, true);
			if (!e)
				break;
			e->eax = (u32)xcr0;
			e->edx = xcr0 >> 32;
			e->ecx = XSAVE_LEGACY_AND_HEADER +
				 (xcr0 & XFEATURE_MASK_YMM ? XSAVE_YMM_SIZE : 0);
			e->ebx = e->ecx;
			e = add_entry(b, 0xd, 1, true);
			if (e) {
				e->eax &= FD1_EAX_ALLOWED;
				e->ebx = e->ecx = e->edx = 0;
			}
			if (xcr0 & XFEATURE_MASK_YMM)
				add_entry(b, 0xd, 2, true);
			break;
		default:
			/* leaves 3, 4, 8-0xc: nothing virtualised reports there */
			break;
		}
		if (b->nent >= b->max)
			return -E2BIG;
	}
	return 0;
}

static int build_extended_leaves(struct cpuid_builder *b)
{
	u32 max = min_t(u32, cpuid_eax(0x80000000), 0x80000008), f;
	struct kvm_cpuid_entry2 *e;

	if (max < 0x80000000)
		return 0;
	for (f = 0x80000000; f <= max; f++) {
		e = add_entry(b, f, 0, false);
		if (!e)
			return -E2BIG;
		switch (f) {
		case 0x80000000:
			e->eax = max;
			break;
		case 0x80000001:
			e->ecx &= F81_ECX_ALLOWED;
			e->edx &= F81_EDX_ALLOWED;
			break;
		case 0x80000007:
			e->eax = e->ebx = e->ecx = 0;
			e->edx &= BIT(8);	/* invariant TSC */
			break;
		case 0x80000008:
			e->eax &= 0xffff;	/* physical and linear address sizes */
			e->ebx = e->ecx = e->edx = 0;
			break;
		default:
			break;	/* brand string, cache and TLB descriptions: as the host */
		}
	}
	return 0;
}

static int build_kvm_leaves(struct cpuid_builder *b)
{
	struct kvm_cpuid_entry2 *e = add_entry(b, KVM_CPUID_SIGNATURE, 0, false);

	if (!e)
		return -E2BIG;
	/* "KVMKVMKVM\0\0\0": guests look for it to find the paravirtual interface */
	e->eax = KVM_CPUID_FEATURES;
	e->ebx = 0x4b4d564b;
	e->ecx = 0x564b4d56;
	e->edx = 0x4d;
	e = add_entry(b, KVM_CPUID_FEATURES, 0, false);
	if (!e)
		return -E2BIG;
	e->eax = e->ebx = e->ecx = e->edx = 0;	/* no paravirtual feature yet */
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

/* Checks Linux KVM makes on a new table: the linear-address width must be 48 or 57 bits. */
static int cpuid_table_valid(const struct kvm_cpuid_entry2 *entries, u32 nent)
{
	u32 i, vaddr_bits;

	for (i = 0; i < nent; i++) {
		if (entries[i].function != 0x80000008)
			continue;
		vaddr_bits = (entries[i].eax >> 8) & 0xff;
		if (vaddr_bits && vaddr_bits != 48 && vaddr_bits != 57)
			return -EINVAL;
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

const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry(struct kvm_vcpu *vcpu, u32 function,
						    u32 index)
{
	int i;

	for (i = 0; i < vcpu->arch.cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->arch.cpuid_entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
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

u64 kvm_guest_supported_xcr0(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, 0xd, 0);

	if (!e)
		return XFEATURE_MASK_FP;
	return (e->eax | (u64)e->edx << 32) & host_supported_xcr0();
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

void kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	unsigned long *regs = vcpu->arch.regs;
	u32 function = regs[VCPU_REGS_RAX], index = regs[VCPU_REGS_RCX];
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry(vcpu, function, index);
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;

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
}
EXPORT_SYMBOL_GPL(kvm_emulate_cpuid);
