// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites of the CPUID tables (arch/x86/kvm/cpuid.c) and the MSRs (arch/x86/kvm/msr.c),
 * both included whole so that their static helpers can be called:
 * - kvm_cpuid: KVM_GET_SUPPORTED_CPUID's table is the host's CPUID filtered to what the
 *   module virtualises; a vCPU's table (KVM_SET_CPUID2) answers the guest's CPUID with the
 *   bits that follow guest state filled in.
 * - kvm_msr: which values each MSR takes (canonical addresses, PAT types, EFER, APIC base,
 *   MTRRs, HWCR) and that each lands where it reads back.
 * The vCPU is only its struct; the vendor ops they call (CR, EFER and the vendor's own
 * MSRs), the machine-check MSRs (mce.c), the local APIC's (lapic.c) and kvmclock's
 * (kvmclock.c, tested by the selftests kvmclock_test and kvm_clock_test) and RFLAGS are stubs.
 */
#include <kunit/test.h>
#include <linux/export.h>

/* kvm.ko exports kvm_emulate_cpuid, kvm_msr_read/write: this module must not export them */
#undef EXPORT_SYMBOL_GPL
#define EXPORT_SYMBOL_GPL(sym)

#include "../../../arch/x86/kvm/cpuid.c"
#include "../../../arch/x86/kvm/msr.c"

/* ---- the vendor, reduced to what CPUID and MSR emulation ask ---- */

static u64 test_cr0, test_cr4, test_efer;
static int vendor_msr_writes;

static u64 test_get_cr(struct kvm_vcpu *vcpu, int cr)
{
	return cr == 4 ? test_cr4 : cr == 0 ? test_cr0 : 0;
}

static u64 test_get_efer(struct kvm_vcpu *vcpu)
{
	return test_efer;
}

static void test_set_efer(struct kvm_vcpu *vcpu, u64 efer)
{
	test_efer = efer;
}

/* the backend's own MSRs: LSTAR here; -ENOENT passes the others to msr.c */
static int test_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data)
{
	return -ENOENT;
}

static int test_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data)
{
	if (index != MSR_LSTAR && index != MSR_IA32_CR_PAT)
		return -ENOENT;
	vendor_msr_writes++;
	return 0;
}

static u64 test_tsc_offset;

static u64 test_get_tsc_offset(struct kvm_vcpu *vcpu)
{
	return test_tsc_offset;
}

static void test_set_tsc_offset(struct kvm_vcpu *vcpu, u64 offset)
{
	test_tsc_offset = offset;
}

static const struct kvm_x86_ops test_vendor = {
	.get_cr = test_get_cr,
	.get_efer = test_get_efer,
	.set_efer = test_set_efer,
	.get_msr = test_get_msr,
	.set_msr = test_set_msr,
	.get_tsc_offset = test_get_tsc_offset,
	.set_tsc_offset = test_set_tsc_offset,
};

void kvm_mce_reset(struct kvm_vcpu *vcpu)
{
}

int kvm_mce_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	return -ENOENT;
}

int kvm_mce_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host)
{
	return -ENOENT;
}

/* vCPUs here have no in-kernel local APIC: its MSRs (lapic.c) are not these suites' */
int kvm_lapic_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host)
{
	return -ENOENT;
}

int kvm_lapic_set_base(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	return 1;
}

/* KVM_SET_CPUID2 tells the local APIC (its timer modes); there is none here */
void kvm_lapic_cpuid_changed(struct kvm_vcpu *vcpu)
{
}

void kvmclock_request_update(struct kvm_vcpu *vcpu)
{
}

int kvmclock_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host)
{
	return 1;
}

/*
 * What msr.c reaches in the rest of kvm.ko, which this module does not link: the
 * paravirtual MSRs (pv.c, steal_time.c, lapic.c), the TSC (tsc.c), the VM's configuration
 * (vm_config.c) and the parameters (params.c), as a VM without any of them set up has them.
 */
bool kvm_ignore_msrs;
bool kvm_report_ignored_msrs = true;

int kvm_lapic_pv_eoi_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host)
{
	return 1;
}

int kvm_poll_control_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host)
{
	return 1;
}

bool kvm_steal_time_supported(void)
{
	return false;
}

int kvm_steal_time_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host)
{
	return 1;
}

void kvm_steal_time_reset(struct kvm_vcpu *vcpu)
{
}

/* RFLAGS (debugreg.c): CPUID faulting's virtual-8086 check sees a guest outside VM86 */
u64 kvm_get_rflags(struct kvm_vcpu *vcpu)
{
	return 0;
}

void kvm_tsc_rebase(struct kvm_vcpu *vcpu)
{
}

bool kvm_vcpu_is_bsp(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id == vcpu->kvm->arch.bsp_vcpu_id;
}

bool kvm_quirk_enabled(struct kvm *kvm, u64 quirk)
{
	return !(READ_ONCE(kvm->arch.disabled_quirks) & quirk);
}

const struct kvm_x86_ops *kvm_x86_vendor = &test_vendor;

/* ---- the supported table ---- */

static struct cpuid_builder *build_supported(struct kunit *test, int max)
{
	struct cpuid_builder *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	int r;

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->max = max;
	b->entries = kunit_kcalloc(test, max, sizeof(*b->entries), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->entries);
	r = build_basic_leaves(b);
	if (!r)
		r = build_extended_leaves(b);
	if (!r)
		r = build_kvm_leaves(b);
	KUNIT_ASSERT_EQ(test, r, 0);
	return b;
}

static const struct kvm_cpuid_entry2 *find(const struct cpuid_builder *b, u32 f, u32 i)
{
	int n;

	for (n = 0; n < b->nent; n++)
		if (b->entries[n].function == f && b->entries[n].index == i)
			return &b->entries[n];
	return NULL;
}

/* Every bit the table reports is one the host has, within what the module allows. */
static void cpuid_supported_filtered(struct kunit *test)
{
	struct cpuid_builder *b = build_supported(test, KVM_MAX_CPUID_ENTRIES);
	const struct kvm_cpuid_entry2 *e;
	u32 eax, ebx, ecx, edx;

	e = find(b, 0, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_LE(test, e->eax, (u32)CPUID_BASIC_MAX);
	KUNIT_EXPECT_EQ(test, e->eax, min_t(u32, cpuid_eax(0), CPUID_BASIC_MAX));
	KUNIT_EXPECT_EQ_MSG(test, e->ebx, cpuid_ebx(0), "the vendor string is the host's");

	e = find(b, 1, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	cpuid(1, &eax, &ebx, &ecx, &edx);
	KUNIT_EXPECT_EQ_MSG(test, e->ebx, ebx & 0xffffffU,
			    "leaf 1 EBX: the host's CLFLUSH size and count, no APIC ID");
	KUNIT_EXPECT_EQ(test, e->ecx & ~(u32)(F1_ECX_ALLOWED | F1_ECX_EMULATED), 0U);
	KUNIT_EXPECT_FALSE_MSG(test, e->ecx & BIT(31), "the hypervisor bit is the VMM's");
	KUNIT_EXPECT_TRUE_MSG(test, e->ecx & F1_ECX_X2APIC, "x2APIC (lapic.c)");
	KUNIT_EXPECT_EQ(test, e->ecx & ~(u32)F1_ECX_EMULATED & ~ecx, 0U);
	KUNIT_EXPECT_EQ(test, e->edx & ~(u32)F1_EDX_ALLOWED, 0U);
	KUNIT_EXPECT_EQ(test, e->edx & ~edx, 0U);
	KUNIT_EXPECT_FALSE_MSG(test, e->ecx & BIT(5), "no VMX: nested is off");

	e = find(b, 7, 0);
	if (e) {
		KUNIT_EXPECT_EQ(test, e->flags, (u32)KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
		KUNIT_EXPECT_EQ(test, e->ebx & ~(u32)(F7_EBX_ALLOWED | F7_EBX_TSC_ADJUST), 0U);
		KUNIT_EXPECT_TRUE_MSG(test, e->ebx & F7_EBX_TSC_ADJUST, "TSC_ADJUST (msr.c)");
		KUNIT_EXPECT_EQ(test, e->ecx & ~(u32)F7_ECX_ALLOWED, 0U);
		KUNIT_EXPECT_EQ(test, e->edx, 0U);
	}

	e = find(b, 0xd, 0);
	if (e) {
		u64 xcr0 = e->eax | (u64)e->edx << 32;

		KUNIT_EXPECT_EQ(test, xcr0 & ~(u64)XFEATURES_ALLOWED, 0ULL);
		KUNIT_EXPECT_TRUE(test, xcr0 & XFEATURE_MASK_FP);
		KUNIT_EXPECT_EQ(test, e->ecx, XSAVE_LEGACY_AND_HEADER +
				(xcr0 & XFEATURE_MASK_YMM ? XSAVE_YMM_SIZE : 0));
		KUNIT_EXPECT_EQ_MSG(test, !!find(b, 0xd, 2), !!(xcr0 & XFEATURE_MASK_YMM),
				    "leaf 0xd.2 (YMM) exactly when YMM is offered");
	}

	e = find(b, 0x80000001, 0);
	if (e) {
		cpuid(0x80000001, &eax, &ebx, &ecx, &edx);
		KUNIT_EXPECT_EQ(test, e->ecx & ~(u32)F81_ECX_ALLOWED, 0U);
		KUNIT_EXPECT_EQ(test, e->ecx & ~ecx, 0U);
		KUNIT_EXPECT_FALSE_MSG(test, e->ecx & BIT(2), "no SVM: nested is off");
		KUNIT_EXPECT_EQ(test, e->edx & ~(u32)F81_EDX_ALLOWED, 0U);
		KUNIT_EXPECT_EQ(test, e->edx & ~edx, 0U);
	}
	e = find(b, 0x80000008, 0);
	if (e) {
		KUNIT_EXPECT_EQ(test, e->eax, cpuid_eax(0x80000008) & 0xffff);
		KUNIT_EXPECT_EQ_MSG(test, e->ecx, cpuid_ecx(0x80000008) & F88_ECX_ALLOWED,
				    "the host's core count and APIC ID size");
		KUNIT_EXPECT_EQ(test, e->ebx | e->edx, 0U);
	}

	e = find(b, 0x80000021, 0);
	if (kvm_host_is_amd()) {
		KUNIT_ASSERT_NOT_NULL(test, e);
		KUNIT_EXPECT_TRUE_MSG(test, e->eax & F821_EAX_NO_SMM_CTL_MSR, "NoSmmCtlMsr");
		KUNIT_EXPECT_EQ(test, e->ebx | e->ecx | e->edx, 0U);
	} else {
		KUNIT_EXPECT_NULL(test, e);
	}

	e = find(b, KVM_CPUID_SIGNATURE, 0);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->ebx, 0x4b4d564bU);	/* "KVMK" */
	KUNIT_EXPECT_EQ(test, e->ecx, 0x564b4d56U);	/* "VMKV" */
	KUNIT_EXPECT_EQ(test, e->edx, 0x4dU);		/* "M" */
	KUNIT_EXPECT_EQ(test, e->eax, (u32)KVM_CPUID_FEATURES);
	KUNIT_EXPECT_NOT_NULL(test, find(b, KVM_CPUID_FEATURES, 0));
}

/* The entries of a leaf, subleaves in order; how many */
static int count_subleaves(const struct cpuid_builder *b, u32 f)
{
	int n, count = 0;

	for (n = 0; n < b->nent; n++)
		if (b->entries[n].function == f)
			count++;
	return count;
}

static bool zero_regs(const struct kvm_cpuid_entry2 *e)
{
	return !(e->eax | e->ebx | e->ecx | e->edx);
}

/*
 * Every leaf of both ranges is there, as on KVM; the topology leaves are zeros (api.rst 9.1),
 * the cache leaves the host's up to a null entry; what nothing offers reads 0.
 */
static void cpuid_supported_leaves(struct kunit *test)
{
	struct cpuid_builder *b = build_supported(test, KVM_MAX_CPUID_ENTRIES);
	u32 max = find(b, 0, 0)->eax, f, i, eax, ebx, ecx, edx;
	const struct kvm_cpuid_entry2 *e;

	for (f = 0; f <= max; f++)
		KUNIT_EXPECT_NOT_NULL_MSG(test, find(b, f, 0), "leaf %#x", f);
	e = find(b, 0x80000000, 0);
	if (e) {
		for (f = 0x80000000; f <= e->eax; f++)
			KUNIT_EXPECT_NOT_NULL_MSG(test, find(b, f, 0), "leaf %#x", f);
	}
	for (i = 0; i < b->nent; i++) {
		e = &b->entries[i];
		KUNIT_EXPECT_TRUE_MSG(test, e->function <= max ||
				      (e->function >= 0x40000000 && e->function <= 0x40000001) ||
				      (e->function >= 0x80000000 &&
				       e->function <= find(b, 0x80000000, 0)->eax),
				      "leaf %#x beyond its range", e->function);
	}

	/* 0xB and 0x1F: one subleaf of zeros, level type 0 */
	for (f = 0xb; f <= 0x1f; f += 0x1f - 0xb) {
		if (f > max)
			continue;
		e = find(b, f, 0);
		KUNIT_EXPECT_EQ(test, e->flags, (u32)KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
		KUNIT_EXPECT_TRUE_MSG(test, zero_regs(e), "leaf %#x", f);
		KUNIT_EXPECT_EQ(test, count_subleaves(b, f), 1);
	}
	/* MONITOR/MWAIT, PMU: not offered */
	if (max >= 0xa) {
		KUNIT_EXPECT_TRUE(test, zero_regs(find(b, 5, 0)));
		KUNIT_EXPECT_TRUE(test, zero_regs(find(b, 0xa, 0)));
	}

	/* cache leaves: the host's subleaves, the last one (and only it) of type 0 */
	for (f = 4; f; f = f == 4 ? 0x8000001d : 0) {
		int n = count_subleaves(b, f);

		if (!n)
			continue;
		for (i = 0; i < n; i++) {
			e = find(b, f, i);
			KUNIT_ASSERT_NOT_NULL_MSG(test, e, "leaf %#x.%u", f, i);
			KUNIT_EXPECT_EQ(test, e->flags, (u32)KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
			KUNIT_EXPECT_EQ_MSG(test, !(e->eax & 0x1f), i == n - 1, "leaf %#x.%u", f, i);
			cpuid_count(f, i, &eax, &ebx, &ecx, &edx);
			if (i < n - 1 || !zero_regs(e)) {
				KUNIT_EXPECT_EQ(test, e->eax, eax);
				KUNIT_EXPECT_EQ(test, e->ebx, ebx);
				KUNIT_EXPECT_EQ(test, e->ecx, ecx);
				KUNIT_EXPECT_EQ(test, e->edx, edx);
			}
		}
	}

	/* the VMM's to fill in: brand string, L1 caches, SVM, AMD topology */
	for (f = 0x80000002; f <= 0x8000001e; f++) {
		if (f > 0x80000005 && f != 0x8000000a && f != 0x8000001e)
			continue;
		e = find(b, f, 0);
		if (e)
			KUNIT_EXPECT_TRUE_MSG(test, zero_regs(e), "leaf %#x", f);
	}
}

/* A table too small for every leaf: -E2BIG, as KVM's KVM_GET_SUPPORTED_CPUID. */
static void cpuid_supported_e2big(struct kunit *test)
{
	struct cpuid_builder b = { .max = 3 };
	int r;

	b.entries = kunit_kcalloc(test, b.max, sizeof(*b.entries), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b.entries);
	r = build_basic_leaves(&b);
	if (!r)
		r = build_extended_leaves(&b);
	if (!r)
		r = build_kvm_leaves(&b);
	KUNIT_EXPECT_EQ(test, r, -E2BIG);
	KUNIT_EXPECT_LE(test, b.nent, b.max);
}

/* KVM_SET_CPUID2's check: the linear-address width in 0x80000008 is 0, 48 or 57. */
static void cpuid_table_checks(struct kunit *test)
{
	struct kvm_cpuid_entry2 e[2] = {
		{ .function = 1 },
		{ .function = 0x80000008 },
	};
	static const struct { u32 bits; int err; } widths[] = {
		{ 0, 0 }, { 48, 0 }, { 57, 0 }, { 40, -EINVAL }, { 64, -EINVAL },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		e[1].eax = widths[i].bits << 8 | 40;
		KUNIT_EXPECT_EQ_MSG(test, cpuid_table_valid(e, 2), widths[i].err,
				    "linear-address width %u", widths[i].bits);
	}
	KUNIT_EXPECT_EQ(test, cpuid_table_valid(e, 0), 0);
}

/* ---- a vCPU's table ---- */

/* a vCPU of a VM with nothing set up: quirks on, vCPU 0 the BSP (cpuid.c and msr.c ask) */
static struct kvm_vcpu *test_vcpu(struct kunit *test)
{
	struct kvm_vcpu *vcpu = kunit_kzalloc(test, sizeof(*vcpu), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, vcpu);
	vcpu->kvm = kunit_kzalloc(test, sizeof(*vcpu->kvm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vcpu->kvm);
	return vcpu;
}

static struct kvm_vcpu *vcpu_with(struct kunit *test, const struct kvm_cpuid_entry2 *entries,
				  int nent)
{
	struct kvm_vcpu *vcpu = test_vcpu(test);

	vcpu->arch.cpuid_entries = kunit_kmalloc_array(test, nent, sizeof(*entries), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, vcpu->arch.cpuid_entries);
	memcpy(vcpu->arch.cpuid_entries, entries, nent * sizeof(*entries));
	vcpu->arch.cpuid_nent = nent;
	return vcpu;
}

#define IDX	KVM_CPUID_FLAG_SIGNIFCANT_INDEX

static const struct kvm_cpuid_entry2 intel_table[] = {
	{ .function = 0, .eax = 0xd, .ebx = 0x756e6547, .ecx = 0x6c65746e, .edx = 0x49656e69 },
	{ .function = 1, .eax = 0x306c3, .ecx = BIT(0) | BIT(26) | BIT(27) | BIT(31),
	  .edx = BIT(0) | BIT(9) },
	{ .function = 7, .index = 0, .flags = IDX, .ebx = BIT(0) },
	{ .function = 7, .index = 1, .flags = IDX, .eax = 0x77 },
	{ .function = 0xd, .index = 0, .flags = IDX, .eax = 7, .ebx = 0x340, .ecx = 0x340 },
	{ .function = 0xd, .index = 1, .flags = IDX, .eax = 1 },
	{ .function = 0x80000000, .eax = 0x80000008 },
	{ .function = 0x80000008, .eax = 0x3027 },
};

static void cpuid_lookup(struct kunit *test)
{
	struct kvm_vcpu *vcpu = vcpu_with(test, intel_table, ARRAY_SIZE(intel_table));
	const struct kvm_cpuid_entry2 *e;

	/* a leaf without a significant index matches any index */
	e = kvm_find_cpuid_entry(vcpu, 1, 5);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->function, 1U);
	/* one with it, only its own */
	e = kvm_find_cpuid_entry(vcpu, 7, 1);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, e->eax, 0x77U);
	KUNIT_EXPECT_NULL(test, kvm_find_cpuid_entry(vcpu, 7, 2));
	KUNIT_EXPECT_NULL(test, kvm_find_cpuid_entry(vcpu, 0x40000000, 0));

	KUNIT_EXPECT_EQ(test, kvm_guest_maxphyaddr(vcpu), 0x27);
	KUNIT_EXPECT_TRUE(test, kvm_guest_has(vcpu, 1, 0, CPUID_REG_ECX, BIT(26)));
	KUNIT_EXPECT_FALSE(test, kvm_guest_has(vcpu, 1, 0, CPUID_REG_ECX, BIT(28)));
	KUNIT_EXPECT_TRUE(test, kvm_guest_has(vcpu, 7, 0, CPUID_REG_EBX, BIT(0)));
	KUNIT_EXPECT_FALSE(test, kvm_guest_has(vcpu, 0x80000001, 0, CPUID_REG_EDX, BIT(29)));
	/* what the guest may enable is also what the host allows */
	KUNIT_EXPECT_EQ(test, kvm_guest_supported_xcr0(vcpu), 7 & kvm_supported_xcr0());

	/* no 0x80000008, or a range that stops below it: 36 bits (SDM 4.1.4) */
	vcpu = vcpu_with(test, intel_table, 6);
	KUNIT_EXPECT_EQ(test, kvm_guest_maxphyaddr(vcpu), 36);
	KUNIT_EXPECT_EQ(test, kvm_guest_supported_xcr0(vcpu), 7 & kvm_supported_xcr0());
	vcpu = vcpu_with(test, intel_table, 1);
	KUNIT_EXPECT_EQ(test, kvm_guest_supported_xcr0(vcpu), (u64)XFEATURE_MASK_FP);
}

static void run_cpuid(struct kvm_vcpu *vcpu, u32 function, u32 index)
{
	memset(vcpu->arch.regs, 0xee, sizeof(vcpu->arch.regs));
	vcpu->arch.regs[VCPU_REGS_RAX] = function;
	vcpu->arch.regs[VCPU_REGS_RCX] = index;
	kvm_emulate_cpuid(vcpu);
}

static void cpuid_emulate(struct kunit *test)
{
	struct kvm_vcpu *vcpu = vcpu_with(test, intel_table, ARRAY_SIZE(intel_table));
	unsigned long *regs = vcpu->arch.regs;

	/* leaf 1: OSXSAVE follows CR4.OSXSAVE, APIC follows IA32_APIC_BASE.EN */
	test_cr4 = 0;
	vcpu->arch.apic_base = MSR_IA32_APICBASE_ENABLE;
	run_cpuid(vcpu, 1, 0);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RAX], 0x306c3UL);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RCX], (unsigned long)(BIT(0) | BIT(26) | BIT(31)));
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RDX], (unsigned long)(BIT(0) | BIT(9)));
	test_cr4 = X86_CR4_OSXSAVE;
	vcpu->arch.apic_base = 0;
	run_cpuid(vcpu, 1, 0);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RCX],
			(unsigned long)(BIT(0) | BIT(26) | BIT(27) | BIT(31)));
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RDX], (unsigned long)BIT(0));

	/* leaf 0xd.0 EBX: the XSAVE area for what XCR0 enables now */
	vcpu->arch.xcr0 = XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	run_cpuid(vcpu, 0xd, 0);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RBX], (unsigned long)XSAVE_LEGACY_AND_HEADER);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RCX], 0x340UL);
	vcpu->arch.xcr0 |= XFEATURE_MASK_YMM;
	run_cpuid(vcpu, 0xd, 0);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RBX],
			(unsigned long)(XSAVE_LEGACY_AND_HEADER + XSAVE_YMM_SIZE));

	/* indexed leaf: the index picks the entry; the upper register halves are cleared */
	run_cpuid(vcpu, 7, 1);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RAX], 0x77UL);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RBX], 0UL);

	/* Intel: beyond the highest leaf of a range, the highest basic leaf (0xd.index) */
	run_cpuid(vcpu, 0x20, 1);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RAX], 1UL);
	run_cpuid(vcpu, 0x80000009, 0);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RAX], 7UL);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RBX], (unsigned long)XSAVE_LEGACY_AND_HEADER +
			XSAVE_YMM_SIZE);
	/* inside a range but not in the table: zeros */
	run_cpuid(vcpu, 0xa, 0);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RAX] | regs[VCPU_REGS_RBX] |
			regs[VCPU_REGS_RCX] | regs[VCPU_REGS_RDX], 0UL);
}

/* AMD: beyond the range is zeros. */
static void cpuid_emulate_amd(struct kunit *test)
{
	static const struct kvm_cpuid_entry2 amd_table[] = {
		{ .function = 0, .eax = 0x10, .ebx = 0x68747541, .ecx = 0x444d4163,
		  .edx = 0x69746e65 },
		{ .function = 0x10, .eax = 0x1234 },
		{ .function = 0x80000000, .eax = 0x80000001 },
	};
	struct kvm_vcpu *vcpu = vcpu_with(test, amd_table, ARRAY_SIZE(amd_table));
	unsigned long *regs = vcpu->arch.regs;

	run_cpuid(vcpu, 0x11, 0);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RAX] | regs[VCPU_REGS_RBX] |
			regs[VCPU_REGS_RCX] | regs[VCPU_REGS_RDX], 0UL);
	run_cpuid(vcpu, 0x10, 0);
	KUNIT_EXPECT_EQ(test, regs[VCPU_REGS_RAX], 0x1234UL);
}

static struct kunit_case cpuid_test_cases[] = {
	KUNIT_CASE(cpuid_supported_filtered),
	KUNIT_CASE(cpuid_supported_leaves),
	KUNIT_CASE(cpuid_supported_e2big),
	KUNIT_CASE(cpuid_table_checks),
	KUNIT_CASE(cpuid_lookup),
	KUNIT_CASE(cpuid_emulate),
	KUNIT_CASE(cpuid_emulate_amd),
	{}
};

static struct kunit_suite cpuid_test_suite = {
	.name = "kvm_cpuid",
	.test_cases = cpuid_test_cases,
};

/* ---- MSRs ---- */

struct msr_case {
	const char *name;
	u32 index;
	u64 data;
	bool host;
	int err;	/* kvm_msr_write: 0, 1 (#GP / KVM_SET_MSRS stops), KVM_MSR_UNKNOWN */
	bool readback;	/* and kvm_msr_read gives data back */
};

#define GUEST	false
#define HOST	true

static const struct msr_case msr_cases[] = {
	{ "LSTAR canonical", MSR_LSTAR, 0xffff800000001000ULL, GUEST, 0 },
	{ "LSTAR non-canonical", MSR_LSTAR, 0x0000800000000000ULL, GUEST, 1 },
	{ "KERNEL_GS_BASE non-canonical", MSR_KERNEL_GS_BASE, 0x8000000000000000ULL, HOST, 1 },
	/* (not SYSENTER_EIP: an AMD host keeps its low 32 bits for a non-Intel guest) */
	{ "CSTAR non-canonical", MSR_CSTAR, 0x00ff000000000000ULL, GUEST, 1 },
	{ "PAT of types 0 1 4 5 6 7", MSR_IA32_CR_PAT, 0x0007050406040100ULL, GUEST, 0 },
	{ "PAT with type 2", MSR_IA32_CR_PAT, 0x0007040600070402ULL, GUEST, 1 },
	{ "PAT with type 3", MSR_IA32_CR_PAT, 0x0307040600070406ULL, GUEST, 1 },
	{ "PAT with type 8", MSR_IA32_CR_PAT, 0x0007040600080406ULL, GUEST, 1 },
	{ "EFER SCE LME NXE", MSR_EFER, EFER_SCE | EFER_LME | EFER_NX, HOST, 0 },
	{ "EFER.SVME", MSR_EFER, EFER_SVME, HOST, 1 },
	{ "EFER reserved bit 1", MSR_EFER, BIT_ULL(1), GUEST, 1 },
	{ "APIC base enabled, BSP", MSR_IA32_APICBASE, 0xfee00900ULL, GUEST, 0, true },
	{ "APIC base reserved bit 9", MSR_IA32_APICBASE, 0xfee00a00ULL, GUEST, 1 },
	{ "APIC base x2APIC (no in-kernel APIC)", MSR_IA32_APICBASE, 0xfee00c00ULL, GUEST, 1 },
	{ "APIC base above MAXPHYADDR 36", MSR_IA32_APICBASE, 0x1000000000ULL | 0x800, GUEST, 1 },
	{ "TSC_AUX 32 bits", MSR_TSC_AUX, 0xffffffffULL, HOST, 0, true },
	{ "TSC_AUX bit 32 dropped (AMD vendor)", MSR_TSC_AUX, 0x100000000ULL, HOST, 0 },
	{ "TSC_AUX without RDTSCP/RDPID", MSR_TSC_AUX, 1, GUEST, 1 },
	{ "MTRRdefType type 2", MSR_MTRRdefType, 0xc02, GUEST, 1 },
	{ "MTRR base type 7", MSR_MTRR_PHYS_BASE0, 0x1000007ULL, GUEST, 1 },
	{ "MTRR mask reserved bit 0", MSR_MTRR_PHYS_BASE0 + 1, 0x800ULL | 1, GUEST, 1 },
	{ "MTRR fixed type 3", MSR_MTRR_FIX_64K, 0x0606060606060603ULL, GUEST, 1 },
	{ "VM_CR SVMDIS", MSR_VM_CR, 0x10, GUEST, 0, true },
	{ "VM_CR reserved bit 5", MSR_VM_CR, 0x20, GUEST, 1 },
	{ "VM_HSAVE_PA page", MSR_VM_HSAVE_PA, 0x7000, GUEST, 0, true },
	{ "VM_HSAVE_PA unaligned", MSR_VM_HSAVE_PA, 0x7008, GUEST, 1 },
	{ "MMIO_CONF_BASE 0", MSR_FAM10H_MMIO_CONF_BASE, 0, GUEST, 0, true },
	{ "MMIO_CONF_BASE other", MSR_FAM10H_MMIO_CONF_BASE, 1, GUEST, 1 },
	{ "P5_MC_ADDR write", MSR_IA32_P5_MC_ADDR, 0, GUEST, KVM_MSR_UNKNOWN },
	{ "MTRRdefType E FE WB", MSR_MTRRdefType, 0xc06, GUEST, 0, true },
	{ "MTRRdefType reserved bit 12", MSR_MTRRdefType, 0x1c06, GUEST, 1 },
	{ "MTRR variable 15", MSR_MTRR_PHYS_LAST, 0xfff000800ULL, GUEST, 0, true },
	{ "MTRR fixed 4K F8000", MSR_MTRR_FIX_4K_F8000, 0x0606060606060606ULL, GUEST, 0, true },
	{ "MISC_ENABLE", MSR_IA32_MISC_ENABLE, 0x1800, GUEST, 0, true },
	{ "HWCR McStatusWrEn kept", MSR_K7_HWCR, BIT_ULL(18), GUEST, 0, true },
	{ "HWCR bit 0", MSR_K7_HWCR, BIT_ULL(0), GUEST, 1 },
	{ "DEBUGCTL 0", MSR_IA32_DEBUGCTLMSR, 0, GUEST, 0, true },
	{ "DEBUGCTL LBR dropped (no LBRV)", MSR_IA32_DEBUGCTLMSR, 1, GUEST, 0 },
	{ "UCODE_REV write 0", MSR_IA32_UCODE_REV, 0, GUEST, 0 },
	{ "UCODE_REV from the host", MSR_IA32_UCODE_REV, 0x1000065, HOST, 0, true },
	{ "PERF_CAPABILITIES 0 from the host", MSR_IA32_PERF_CAPABILITIES, 0, HOST, 0, true },
	{ "PERF_CAPABILITIES full-width writes", MSR_IA32_PERF_CAPABILITIES, BIT_ULL(13), HOST, 1 },
	{ "PERF_CAPABILITIES without PDCM", MSR_IA32_PERF_CAPABILITIES, 0, GUEST, 1 },
	{ "TSC_ADJUST without CPUID 7 EBX[1]: dropped", MSR_IA32_TSC_ADJUST, 5, GUEST, 0 },
	{ "PLATFORM_INFO from the host", MSR_PLATFORM_INFO, 0xff00, HOST, 0, true },
	{ "PLATFORM_INFO CPUID faulting", MSR_PLATFORM_INFO, BIT_ULL(31), HOST, 0, true },
	{ "PLATFORM_INFO from the guest", MSR_PLATFORM_INFO, 0, GUEST, 1 },
	{ "MISC_FEATURES_ENABLES 0", MSR_MISC_FEATURES_ENABLES, 0, GUEST, 0, true },
	{ "MISC_FEATURES_ENABLES CPUID faulting", MSR_MISC_FEATURES_ENABLES, 1, GUEST, 0, true },
	{ "MISC_FEATURES_ENABLES ring-3 MWAIT", MSR_MISC_FEATURES_ENABLES, 2, GUEST, 1 },
	{ "POWER_CTL kept", MSR_IA32_POWER_CTL, 0x1234, GUEST, 0, true },
	{ "perf counter write dropped", MSR_K7_PERFCTR0, 0x1234, GUEST, 0 },
	{ "an MSR nobody knows", 0xdeadbeef, 0, HOST, KVM_MSR_UNKNOWN },
};

static void msr_case_desc(const struct msr_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(msr_cases, msr_cases, msr_case_desc);

static struct kvm_vcpu *msr_vcpu(struct kunit *test)
{
	struct kvm_vcpu *vcpu = test_vcpu(test);

	kvm_msr_reset(vcpu);
	test_cr0 = test_efer = 0;
	vendor_msr_writes = 0;
	return vcpu;
}

static void msr_write_rules(struct kunit *test)
{
	const struct msr_case *c = test->param_value;
	struct kvm_vcpu *vcpu = msr_vcpu(test);
	u64 data = ~c->data;

	KUNIT_EXPECT_EQ(test, kvm_msr_write(vcpu, c->index, c->data, c->host), c->err);
	if (c->readback) {
		KUNIT_EXPECT_EQ(test, kvm_msr_read(vcpu, c->index, &data, c->host), 0);
		KUNIT_EXPECT_EQ(test, data, c->data);
	}
	/* a value refused by msr.c's own checks never reaches the backend */
	if (c->err && msr_needs_canonical(c->index))
		KUNIT_EXPECT_EQ(test, vendor_msr_writes, 0);
}

/* Each fixed-range MTRR has a slot of its own, and the reset state of the others. */
static void msr_mtrrs(struct kunit *test)
{
	static const u32 fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c,
				     0x26d, 0x26e, 0x26f };
	/* a value per MSR whose eight types are all valid (0, 1, 4, 5, 6: SDM 12.11.2.2) */
	static const u8 types[] = { 0, 1, 4, 5, 6 };
#define FIXED_VALUE(i)	(0x0606060606060000ULL | (u64)types[(i) % 5] << 8 | types[(i) / 5 % 5])
	struct kvm_vcpu *vcpu = msr_vcpu(test);
	u64 data;
	int i;

	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		KUNIT_ASSERT_EQ(test, kvm_msr_write(vcpu, fixed[i], FIXED_VALUE(i), false), 0);
	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, kvm_msr_write(vcpu, 0x200 + i, 0x1000ULL * i, false), 0);
	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, fixed[i], &data, false), 0);
		KUNIT_EXPECT_EQ_MSG(test, data, FIXED_VALUE(i), "MSR %#x", fixed[i]);
	}
	for (i = 0; i < 16; i++) {
		KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, 0x200 + i, &data, false), 0);
		KUNIT_EXPECT_EQ(test, data, 0x1000ULL * i);
	}
	/* MSRs between the fixed ranges are not MTRRs: unknown (#GP, or ignore_msrs) */
	KUNIT_EXPECT_EQ(test, kvm_msr_read(vcpu, 0x251, &data, false), KVM_MSR_UNKNOWN);
	KUNIT_EXPECT_EQ(test, kvm_msr_read(vcpu, 0x25a, &data, false), KVM_MSR_UNKNOWN);
	KUNIT_EXPECT_EQ(test, kvm_msr_read(vcpu, 0x270, &data, false), KVM_MSR_UNKNOWN);
	KUNIT_EXPECT_EQ(test, kvm_msr_read(vcpu, 0x210, &data, false), KVM_MSR_UNKNOWN);
	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_MTRRcap, &data, false), 0);
	KUNIT_EXPECT_EQ(test, data, (u64)MTRR_CAP_VALUE);
}

/* EFER from the guest: LME fixed while paging is on, LMA stays the CPU's. */
static void msr_efer_guest(struct kunit *test)
{
	struct kvm_vcpu *vcpu = msr_vcpu(test);
	u64 data;

	test_cr0 = X86_CR0_PG | X86_CR0_PE;
	test_efer = EFER_LME | EFER_LMA;
	KUNIT_EXPECT_EQ(test, kvm_msr_write(vcpu, MSR_EFER, EFER_SCE, false), 1);
	KUNIT_EXPECT_EQ(test, test_efer, (u64)(EFER_LME | EFER_LMA));
	KUNIT_EXPECT_EQ(test, kvm_msr_write(vcpu, MSR_EFER, EFER_LME | EFER_NX | EFER_SCE,
					    false), 0);
	KUNIT_EXPECT_EQ(test, test_efer, (u64)(EFER_LME | EFER_LMA | EFER_NX | EFER_SCE));
	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_EFER, &data, false), 0);
	KUNIT_EXPECT_EQ(test, data, test_efer);
	/* paging off: LME may change; a guest cannot set LMA itself */
	test_cr0 = X86_CR0_PE;
	test_efer = 0;
	KUNIT_EXPECT_EQ(test, kvm_msr_write(vcpu, MSR_EFER, EFER_LME | EFER_LMA, false), 0);
	KUNIT_EXPECT_EQ(test, test_efer, (u64)EFER_LME);
	/* the host (KVM_SET_MSRS) sets LMA as it is */
	KUNIT_EXPECT_EQ(test, kvm_msr_write(vcpu, MSR_EFER, EFER_LME | EFER_LMA, true), 0);
	KUNIT_EXPECT_EQ(test, test_efer, (u64)(EFER_LME | EFER_LMA));
}

/* RESET values (SDM 9.1.1 table 9-1, APIC base 10.4.4) and MSRs that read as constants. */
static void msr_reset_values(struct kunit *test)
{
	struct kvm_vcpu *vcpu = msr_vcpu(test);
	u64 data;

	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_IA32_APICBASE, &data, false), 0);
	KUNIT_EXPECT_EQ(test, data, 0xfee00000ULL | MSR_IA32_APICBASE_ENABLE |
			MSR_IA32_APICBASE_BSP);
	vcpu->vcpu_id = 1;
	kvm_msr_reset(vcpu);
	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_IA32_APICBASE, &data, false), 0);
	KUNIT_EXPECT_EQ_MSG(test, data, 0xfee00000ULL | MSR_IA32_APICBASE_ENABLE, "an AP");
	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_MTRRdefType, &data, false), 0);
	KUNIT_EXPECT_EQ(test, data, 0ULL);
	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_IA32_UCODE_REV, &data, false), 0);
	KUNIT_EXPECT_EQ(test, data, ucode_rev_default());
	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_PLATFORM_INFO, &data, true), 0);
	KUNIT_EXPECT_EQ(test, data, (u64)MSR_PLATFORM_INFO_CPUID_FAULT);
	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_K7_PERFCTR0, &data, false), 0);
	KUNIT_EXPECT_EQ(test, data, 0ULL);
	KUNIT_ASSERT_EQ(test, kvm_msr_read(vcpu, MSR_AMD64_SYSCFG, &data, false), 0);
	KUNIT_EXPECT_EQ(test, data, 0ULL);
	KUNIT_EXPECT_EQ(test, kvm_msr_read(vcpu, 0xdeadbeef, &data, true), KVM_MSR_UNKNOWN);
}

/* KVM_GET_MSR_INDEX_LIST's list: no MSR twice. */
static void msr_index_list(struct kunit *test)
{
	int i, j;

	for (i = 0; i < ARRAY_SIZE(msrs_to_save); i++)
		for (j = i + 1; j < ARRAY_SIZE(msrs_to_save); j++)
			KUNIT_EXPECT_NE(test, msrs_to_save[i], msrs_to_save[j]);
}

/* Feature MSRs: each listed one has a value, others stop KVM_GET_MSRS on /dev/kvm. */
static void msr_feature_list(struct kunit *test)
{
	u64 data;
	int i;

	for (i = 0; i < ARRAY_SIZE(feature_msrs); i++)
		KUNIT_EXPECT_EQ(test, feature_msr_value(feature_msrs[i], &data), 0);
	KUNIT_EXPECT_EQ(test, feature_msr_value(MSR_IA32_TSC, &data), 1);
	KUNIT_ASSERT_EQ(test, feature_msr_value(MSR_IA32_PERF_CAPABILITIES, &data), 0);
	KUNIT_EXPECT_EQ_MSG(test, data, 0ULL, "no virtual PMU");
}

static struct kunit_case msr_test_cases[] = {
	KUNIT_CASE(msr_feature_list),
	KUNIT_CASE_PARAM(msr_write_rules, msr_cases_gen_params),
	KUNIT_CASE(msr_mtrrs),
	KUNIT_CASE(msr_efer_guest),
	KUNIT_CASE(msr_reset_values),
	KUNIT_CASE(msr_index_list),
	{}
};

static struct kunit_suite msr_test_suite = {
	.name = "kvm_msr",
	.test_cases = msr_test_cases,
};

kunit_test_suites(&cpuid_test_suite, &msr_test_suite);
