// SPDX-License-Identifier: GPL-2.0-only
/*
 * /sys/module/{kvm,kvm_amd,kvm_intel}/parameters, as test suites, QEMU, libvirt and admins'
 * scripts read them:
 *  - every parameter Linux 6.1's stock module has exists, with its permission bits and a
 *    value of its type (bool: Y/N, integers, a word for vmentry_l1d_flush); where the value
 *    is a fact of the host or of the implementation, that value. Where our implementation
 *    lacks a feature, the expected value (and a read-only mode) differs from stock's: both
 *    are in the table, chosen by VMTEST_KVM=ours|stock (else by the out-of-tree taint);
 *  - a read-only parameter refuses writes and keeps its value; a writable one takes a value
 *    of its type back as written and refuses a malformed one (EINVAL);
 *  - the writable ones that change what a test can see, on both: ignore_msrs (an unknown MSR
 *    read by the guest gives 0 instead of #GP, its write is dropped; KVM_GET/SET_MSRS of
 *    it succeed), min_timer_period_us (a periodic LAPIC timer of 1 us fires at most once
 *    per minimum period), halt_poll_ns (0: a halted vCPU never polls; a large window:
 *    it does, in the halt_attempted_poll statistic).
 * Every parameter changed is put back as it was, whatever the subtest's result.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <x86intrin.h>

#include "x86_guest.h"


/* what a value must look like */
enum ptype { T_BOOL, T_INT, T_UINT, T_USHORT, T_WORD };

/* expected value: a string, or one of these computed from the host */
#define V_ANY		NULL		/* not a fact here: the type only */
#define V_CPUID_BIT	"\x01"		/* Fn8000_000A EDX bit .bit: 1 or 0 */
#define V_CPUID_BOOL	"\x02"		/* ... as Y or N */
#define V_ITLB		"\x03"		/* Y where the CPU has the iTLB multihit bug */
#define V_L1TF		"\x04"		/* never / not required as the CPU has L1TF */
#define V_SEV		"\x05"		/* N where the CPU has no SEV (else any) */

struct param {
	const char *name;
	enum ptype type;
	int stock_mode, ours_mode;
	const char *stock, *ours;	/* expected values */
	int bit;			/* for V_CPUID_* */
};

/* Linux 6.1 kvm.ko (modinfo -p and the AMD host's sysfs) */
static const struct param kvm_params[] = {
	{ "tdp_mmu", T_BOOL, 0644, 0444, "Y", "Y", 0 },		/* ours: the only MMU */
	{ "mmio_caching", T_BOOL, 0444, 0444, "Y", "N", 0 },	/* ours: not implemented */
	{ "nx_huge_pages", T_BOOL, 0644, 0444, V_ITLB, V_ITLB, 0 },	/* ours: set at load */
	{ "nx_huge_pages_recovery_ratio", T_UINT, 0644, 0444, "60", "0", 0 },	/* ours: none */
	{ "nx_huge_pages_recovery_period_ms", T_UINT, 0644, 0444, "0", "0", 0 },
	{ "flush_on_reuse", T_BOOL, 0644, 0444, "N", "N", 0 },	/* ours: no shadow paging */
	{ "ignore_msrs", T_BOOL, 0644, 0644, "N", "N", 0 },
	{ "report_ignored_msrs", T_BOOL, 0644, 0644, "Y", "Y", 0 },
	{ "min_timer_period_us", T_UINT, 0644, 0644, "200", "200", 0 },
	{ "kvmclock_periodic_sync", T_BOOL, 0444, 0444, "Y", "N", 0 },	/* ours: no periodic sync */
	{ "tsc_tolerance_ppm", T_UINT, 0644, 0644, "250", "250", 0 },
	{ "lapic_timer_advance_ns", T_INT, 0644, 0444, "-1", "0", 0 },	/* ours: no advance */
	{ "vector_hashing", T_BOOL, 0444, 0444, "Y", "N", 0 },	/* ours: first APIC */
	{ "enable_vmware_backdoor", T_BOOL, 0444, 0444, "N", "N", 0 },
	{ "force_emulation_prefix", T_INT, 0644, 0444, "0", "0", 0 },	/* ours: none */
	{ "pi_inject_timer", T_INT, 0644, 0444, "0", "0", 0 },	/* bint; ours: no PI */
	{ "enable_pmu", T_BOOL, 0444, 0444, V_ANY, "N", 0 },	/* ours: no vPMU */
	{ "eager_page_split", T_BOOL, 0644, 0444, "Y", "N", 0 },	/* ours: split by faults */
	{ "mitigate_smt_rsb", T_BOOL, 0444, 0444, "N", "N", 0 },
	{ "halt_poll_ns", T_UINT, 0644, 0644, "200000", "200000", 0 },
	{ "halt_poll_ns_grow", T_UINT, 0644, 0644, "2", "2", 0 },
	{ "halt_poll_ns_grow_start", T_UINT, 0644, 0644, "10000", "10000", 0 },
	{ "halt_poll_ns_shrink", T_UINT, 0644, 0644, "0", "0", 0 },
};

/* kvm-amd.ko; CPUID Fn8000_000A EDX bits: 1 LbrVirt, 3 NRIPS, 4 TscRateMsr, 10 PauseFilter,
 * 12 PauseFilterThreshold, 15 V_VMSAVE_VMLOAD, 16 VGIF */
static const struct param amd_params[] = {
	{ "sev", T_BOOL, 0444, 0444, V_SEV, "N", 0 },
	{ "sev_es", T_BOOL, 0444, 0444, V_SEV, "N", 0 },
	{ "force_avic", T_BOOL, 0444, 0444, "N", "N", 0 },
	{ "avic", T_BOOL, 0444, 0444, "N", "N", 0 },
	{ "pause_filter_thresh", T_USHORT, 0444, 0444, V_ANY, "0", 0 },	/* ours: no filter */
	{ "pause_filter_count", T_USHORT, 0444, 0444, V_ANY, "0", 0 },
	{ "pause_filter_count_grow", T_USHORT, 0444, 0444, "2", "0", 0 },
	{ "pause_filter_count_shrink", T_USHORT, 0444, 0444, "0", "0", 0 },
	{ "pause_filter_count_max", T_USHORT, 0444, 0444, "65535", "0", 0 },
	{ "npt", T_BOOL, 0444, 0444, "Y", "Y", 0 },
	{ "nested", T_INT, 0444, 0444, "1", "0", 0 },			/* ours: no nested SVM */
	{ "nrips", T_INT, 0444, 0444, V_CPUID_BIT, V_CPUID_BIT, 3 },
	{ "vls", T_INT, 0444, 0444, V_CPUID_BIT, "0", 15 },
	{ "vgif", T_INT, 0444, 0444, V_CPUID_BIT, "0", 16 },
	{ "lbrv", T_INT, 0444, 0444, V_CPUID_BIT, "0", 1 },
	{ "tsc_scaling", T_INT, 0444, 0444, V_CPUID_BIT, "0", 4 },
	{ "dump_invalid_vmcb", T_BOOL, 0644, 0644, "N", "N", 0 },
	{ "intercept_smi", T_BOOL, 0444, 0444, "Y", "Y", 0 },
};

/* kvm-intel.ko (names: modinfo -p; modes and defaults: Linux 6.1) */
static const struct param intel_params[] = {
	{ "sgx", T_BOOL, 0444, 0444, V_ANY, "N", 0 },
	{ "enable_shadow_vmcs", T_BOOL, 0444, 0444, V_ANY, "N", 0 },
	{ "nested_early_check", T_BOOL, 0444, 0444, "N", "N", 0 },
	{ "vpid", T_BOOL, 0444, 0444, V_ANY, V_ANY, 0 },		/* as the CPU has it */
	{ "vnmi", T_BOOL, 0444, 0444, V_ANY, "Y", 0 },
	{ "flexpriority", T_BOOL, 0444, 0444, V_ANY, "N", 0 },
	{ "ept", T_BOOL, 0444, 0444, "Y", "Y", 0 },
	{ "unrestricted_guest", T_BOOL, 0444, 0444, "Y", "Y", 0 },
	{ "eptad", T_BOOL, 0444, 0444, V_ANY, "N", 0 },
	{ "emulate_invalid_guest_state", T_BOOL, 0444, 0444, "Y", "N", 0 },
	{ "fasteoi", T_BOOL, 0444, 0444, "Y", "N", 0 },
	{ "enable_apicv", T_BOOL, 0444, 0444, V_ANY, "N", 0 },
	{ "enable_ipiv", T_BOOL, 0444, 0444, V_ANY, "N", 0 },
	{ "nested", T_BOOL, 0444, 0444, "Y", "N", 0 },			/* ours: no nested VMX */
	{ "pml", T_BOOL, 0444, 0444, V_ANY, "N", 0 },
	{ "error_on_inconsistent_vmcs_config", T_BOOL, 0444, 0444, "Y", "N", 0 },
	{ "dump_invalid_vmcs", T_BOOL, 0644, 0644, "N", "N", 0 },
	{ "preemption_timer", T_BOOL, 0444, 0444, V_ANY, V_ANY, 0 },
	{ "allow_smaller_maxphyaddr", T_BOOL, 0444, 0444, "N", "N", 0 },
	{ "ple_gap", T_UINT, 0444, 0444, V_ANY, "0", 0 },		/* ours: no PLE */
	{ "ple_window", T_UINT, 0444, 0444, V_ANY, "0", 0 },
	{ "ple_window_grow", T_UINT, 0444, 0444, "2", "0", 0 },
	{ "ple_window_shrink", T_UINT, 0444, 0444, "0", "0", 0 },
	{ "ple_window_max", T_UINT, 0444, 0444, "4294967295", "0", 0 },
	{ "enlightened_vmcs", T_BOOL, 0444, 0444, V_ANY, "N", 0 },
	{ "vmentry_l1d_flush", T_WORD, 0644, 0444, V_ANY, V_L1TF, 0 },	/* ours: no flush */
};

static bool stock;

static bool kvm_is_stock(void)
{
	const char *env = getenv("VMTEST_KVM");
	char buf[16] = "";
	FILE *f;

	if (env && (!strcmp(env, "ours") || !strcmp(env, "stock")))
		return !strcmp(env, "stock");
	/* our modules are out-of-tree: the kernel taints them O */
	f = fopen("/sys/module/kvm/taint", "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	return !strchr(buf, 'O');
}

static void param_path(char *path, size_t len, const char *mod, const char *name)
{
	snprintf(path, len, "/sys/module/%s/parameters/%s", mod, name);
}

/* The value, without its newline; false if there is no such file */
static bool param_read(const char *mod, const char *name, char *val, size_t len)
{
	char path[160];
	FILE *f;

	param_path(path, sizeof(path), mod, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(val, len, f))
		val[0] = 0;
	fclose(f);
	val[strcspn(val, "\n")] = 0;
	return true;
}

static int param_write(const char *mod, const char *name, const char *val)
{
	char path[160];

	param_path(path, sizeof(path), mod, name);
	return write_sysfs(path, val);
}

static bool host_sev(void)
{
	uint32_t a, b, c, d;

	x86_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x8000001f)
		return false;
	x86_cpuid(0x8000001f, 0, &a, &b, &c, &d);
	return a & 2;
}

static bool cpu_vulnerable(const char *file)
{
	char path[128], buf[128] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s", file);
	f = fopen(path, "r");
	TEST_ASSERT(f, "open %s", path);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strncmp(buf, "Not affected", 12);
}

/* The expected value of p here, or NULL for any value of its type */
static const char *expected(const struct param *p)
{
	const char *e = stock ? p->stock : p->ours;
	uint32_t a, b, c, d;

	if (!e || (unsigned char)e[0] > 5)
		return e;
	switch (e[0]) {
	case 1:
	case 2:
		x86_cpuid(0x8000000a, 0, &a, &b, &c, &d);
		if (e[0] == 1)
			return d & (1u << p->bit) ? "1" : "0";
		return d & (1u << p->bit) ? "Y" : "N";
	case 3:
		return cpu_vulnerable("itlb_multihit") ? "Y" : "N";
	case 4:
		return cpu_vulnerable("l1tf") ? "never" : "not required";
	case 5:
		return host_sev() ? NULL : "N";
	}
	return NULL;
}

static bool value_has_type(const char *v, enum ptype t)
{
	char *end;
	long long n;

	switch (t) {
	case T_BOOL:
		return !strcmp(v, "Y") || !strcmp(v, "N");
	case T_WORD:
		return *v && !strchr(v, ' ') ? true : !strcmp(v, "not required");
	default:
		break;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || !*v || *end)
		return false;
	switch (t) {
	case T_INT:
		return n >= INT32_MIN && n <= INT32_MAX;
	case T_UINT:
		return n >= 0 && n <= UINT32_MAX;
	case T_USHORT:
		return n >= 0 && n <= UINT16_MAX;
	default:
		return false;
	}
}

static const char *vendor;
static const struct param *vendor_params;
static size_t nr_vendor_params;

/* Exists, mode, type, value; a read-only one refuses a write and keeps its value. */
static void check_params(const char *mod, const struct param *ps, size_t n)
{
	char path[160], val[64], after[64];
	struct stat st;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct param *p = &ps[i];
		int mode = stock ? p->stock_mode : p->ours_mode;
		const char *e = expected(p);

		param_path(path, sizeof(path), mod, p->name);
		TEST_ASSERT(!stat(path, &st), "%s: missing", path);
		TEST_ASSERT((int)(st.st_mode & 0777) == mode, "%s: mode %o, expected %o", path,
			    st.st_mode & 0777, mode);
		TEST_ASSERT(param_read(mod, p->name, val, sizeof(val)), "%s: read", path);
		TEST_ASSERT(value_has_type(val, p->type), "%s: '%s' is not of its type", path,
			    val);
		TEST_ASSERT(!e || !strcmp(val, e), "%s: '%s', expected '%s' (%s KVM)", path, val,
			    e, stock ? "stock" : "ours");
		if (mode & 0222) {
			/* its own value back: accepted, unchanged */
			TEST_ASSERT_EQ(0, param_write(mod, p->name, val));
		} else {
			TEST_ASSERT(param_write(mod, p->name, p->type == T_BOOL ?
						(val[0] == 'Y' ? "N" : "Y") : "1") < 0,
				    "%s: read-only, but a write succeeded", path);
		}
		TEST_ASSERT(param_read(mod, p->name, after, sizeof(after)), "%s: read", path);
		TEST_ASSERT(!strcmp(val, after), "%s: '%s' became '%s'", path, val, after);
	}
}

/*
 * The tables above are 6.1's. Stock kvm.ko of another kernel has its own set (6.12: tdp_mmu
 * is read-only): that subtest skips there (6.12's kvm_amd still matches); ours keeps 6.1's
 * everywhere.
 */
static void skip_stock_of_other_kernel(void)
{
	struct utsname u;

	TEST_ASSERT(!uname(&u), "uname");
	if (stock && strncmp(u.release, "6.1.", 4))
		ksft_exit_skip("stock KVM of %s: the parameter tables are 6.1's\n", u.release);
}

static void test_kvm_params(void)
{
	skip_stock_of_other_kernel();
	check_params("kvm", kvm_params, ARRAY_SIZE(kvm_params));
}

static void test_vendor_params(void)
{
	check_params(vendor, vendor_params, nr_vendor_params);
}

/* --- writable parameters: values of their type round-trip, others are EINVAL --- */

struct saved {
	const char *mod, *name;
	char val[64];
};

static struct saved saved[32];
static int nr_saved;

static void save_param(const char *mod, const char *name)
{
	struct saved *s = &saved[nr_saved++];

	TEST_ASSERT(nr_saved <= (int)ARRAY_SIZE(saved), "too many saved parameters");
	s->mod = mod;
	s->name = name;
	TEST_ASSERT(param_read(mod, name, s->val, sizeof(s->val)), "%s: read", name);
}

static void restore_params(void)
{
	while (nr_saved) {
		struct saved *s = &saved[--nr_saved];

		TEST_ASSERT_EQ(0, param_write(s->mod, s->name, s->val));
	}
}

static void set_param(const char *mod, const char *name, const char *val)
{
	char now[64];

	TEST_ASSERT(!param_write(mod, name, val), "write %s=%s", name, val);
	TEST_ASSERT(param_read(mod, name, now, sizeof(now)), "%s: read", name);
	TEST_ASSERT(!strcmp(now, val), "%s: wrote '%s', reads '%s'", name, val, now);
}

static void test_writes(void)
{
	const char *dump = kvm_is_amd() ? "dump_invalid_vmcb" : "dump_invalid_vmcs";

	save_param("kvm", "ignore_msrs");
	save_param("kvm", "min_timer_period_us");
	save_param("kvm", "halt_poll_ns_grow");
	save_param(vendor, dump);
	set_param("kvm", "ignore_msrs", "Y");
	set_param("kvm", "ignore_msrs", "N");
	set_param("kvm", "min_timer_period_us", "500");
	set_param("kvm", "halt_poll_ns_grow", "4");
	set_param(vendor, dump, "Y");
	set_param(vendor, dump, "N");
	TEST_ASSERT_EQ(-EINVAL, param_write("kvm", "ignore_msrs", "maybe"));
	TEST_ASSERT_EQ(-EINVAL, param_write("kvm", "min_timer_period_us", "-1"));
	TEST_ASSERT_EQ(-EINVAL, param_write("kvm", "halt_poll_ns", "lots"));
	TEST_ASSERT_EQ(-EINVAL, param_write(vendor, dump, "2"));
	restore_params();
}

/* --- ignore_msrs --- */

#define MSR_UNKNOWN	0x0badcafeu	/* outside every range either vendor knows */

static volatile uint64_t gp_count;

static void gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;		/* past RDMSR / WRMSR */
}

static void msr_guest(void)
{
	uint64_t v;

	gp_count = 0;
	v = x86_rdmsr(MSR_UNKNOWN);
	GUEST_SYNC(gp_count, v);
	gp_count = 0;
	x86_wrmsr(MSR_UNKNOWN, 0x1234);
	v = x86_rdmsr(MSR_UNKNOWN);
	GUEST_SYNC(gp_count, v);
	GUEST_DONE();
}

struct msrs1 {
	struct kvm_msrs h;
	struct kvm_msr_entry e;
};

static void msr_run(bool ignore)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct msrs1 m = { .h.nmsrs = 1, .e.index = MSR_UNKNOWN, .e.data = 0x55 };
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)msr_guest);
	struct ucall uc;

	vm_install_exception_handler(vm, GP_VECTOR, gp_handler);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(ignore ? 0 : 1, uc.args[0]);	/* #GP only without ignore_msrs */
	if (ignore)
		TEST_ASSERT_EQ(0, uc.args[1]);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(ignore ? 0 : 2, uc.args[0]);	/* the write is dropped: reads 0 */
	if (ignore)
		TEST_ASSERT_EQ(0, uc.args[1]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);

	/* KVM_GET_MSRS / KVM_SET_MSRS: the number of MSRs done */
	TEST_ASSERT_EQ(ignore ? 1 : 0, ioctl(vcpu->fd, KVM_GET_MSRS, &m));
	if (ignore)
		TEST_ASSERT_EQ(0, m.e.data);
	m.e.data = 0x77;
	TEST_ASSERT_EQ(ignore ? 1 : 0, ioctl(vcpu->fd, KVM_SET_MSRS, &m));
	kvm_vm_free(vm);
}

static void test_ignore_msrs(void)
{
	save_param("kvm", "ignore_msrs");
	save_param("kvm", "report_ignored_msrs");
	set_param("kvm", "report_ignored_msrs", "N");	/* keep the log quiet */
	set_param("kvm", "ignore_msrs", "N");
	msr_run(false);
	set_param("kvm", "ignore_msrs", "Y");
	msr_run(true);
	restore_params();
}

/* --- LAPIC timer: min_timer_period_us; halt polling --- */

#define APIC_GPA	0xfee00000ULL
#define TIMER_VECTOR	0x60

static volatile uint64_t ticks;

static void apic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = v;
}

static void timer_handler(struct ex_regs *regs)
{
	ticks++;
	apic_wr(0xb0, 0);	/* EOI */
}

/* A periodic timer of tmict ns (divide by 1); then busy-wait ms of TSC, or hlt n times */
static void timer_guest(uint64_t tsc_khz, uint64_t tmict, uint64_t ms, uint64_t halts)
{
	uint64_t start, i;

	apic_wr(0xf0, 0x1ff);
	apic_wr(0x3e0, 0xb);
	ticks = 0;
	apic_wr(0x320, TIMER_VECTOR | (1u << 17));
	apic_wr(0x380, tmict);
	if (halts) {
		for (i = 0; i < halts; i++)
			asm volatile("sti; hlt; cli" ::: "memory");
	} else {
		asm volatile("sti");
		start = __rdtsc();
		while (__rdtsc() - start < ms * tsc_khz)
			;
		asm volatile("cli");
	}
	apic_wr(0x380, 0);
	GUEST_SYNC(ticks);
	GUEST_DONE();
}

static struct kvm_vm *timer_vm(struct kvm_vcpu **vcpu, uint64_t tmict, uint64_t ms,
			       uint64_t halts)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	guest_map_page(vm, APIC_GPA, APIC_GPA);
	*vcpu = guest_vcpu_add(vm, 0, (uint64_t)timer_guest);
	vcpu_set_args(*vcpu, host_tsc_hz() / 1000, tmict, ms, halts);
	vm_install_exception_handler(vm, TIMER_VECTOR, timer_handler);
	return vm;
}

static void test_min_timer_period(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	save_param("kvm", "min_timer_period_us");
	set_param("kvm", "min_timer_period_us", "20000");	/* 20 ms */
	/* a 1 us periodic timer for 200 ms of guest TSC: about 10 ticks, not 200000 */
	vm = timer_vm(&vcpu, 1000, 200, 0);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	ksft_print_msg("periodic 1 us timer, 20 ms minimum: %lu ticks in 200 ms\n",
		       (unsigned long)uc.args[0]);
	TEST_ASSERT(uc.args[0] >= 2 && uc.args[0] <= 30,
		    "%lu ticks in 200 ms with a 20 ms minimum period", (unsigned long)uc.args[0]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
	restore_params();
}

/* halt_attempted_poll of a vCPU, from its stats fd */
static uint64_t attempted_polls(struct kvm_vcpu *vcpu)
{
	return vcpu_stat(vcpu, "halt_attempted_poll");
}

static uint64_t halt_run(const char *poll_ns)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t polls;

	set_param("kvm", "halt_poll_ns", poll_ns);
	/* 20 halts, each ended by a 2 ms periodic timer */
	vm = timer_vm(&vcpu, 2000000, 0, 20);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT(uc.args[0] >= 20, "%lu ticks for 20 halts", (unsigned long)uc.args[0]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	polls = attempted_polls(vcpu);
	kvm_vm_free(vm);
	ksft_print_msg("halt_poll_ns=%s: %lu of 20 halts polled\n", poll_ns,
		       (unsigned long)polls);
	return polls;
}

static void test_halt_poll(void)
{
	save_param("kvm", "halt_poll_ns");
	save_param("kvm", "halt_poll_ns_grow");
	save_param("kvm", "halt_poll_ns_grow_start");
	save_param("kvm", "halt_poll_ns_shrink");
	set_param("kvm", "halt_poll_ns_grow", "2");
	set_param("kvm", "halt_poll_ns_grow_start", "10000");
	set_param("kvm", "halt_poll_ns_shrink", "0");
	TEST_ASSERT_EQ(0, halt_run("0"));
	/* 50 ms: every 2 ms wait is shorter, so the window grows from 0 and polls */
	TEST_ASSERT(halt_run("50000000") > 0, "a halted vCPU never polled");
	restore_params();
}

static void run_restoring(void (*fn)(void), const char *what)
{
	int st = __run_subtest(fn);

	/* the child may have died between a change and its restore_params() */
	restore_params();
	if (st == KSFT_PASS)
		ksft_test_result_pass("%s\n", what);
	else if (st == KSFT_SKIP)
		ksft_test_result_skip("%s\n", what);
	else
		ksft_test_result_fail("%s\n", what);
}

/* in the parent: what every subtest may change, put back after each */
static void save_all(void)
{
	save_param("kvm", "ignore_msrs");
	save_param("kvm", "report_ignored_msrs");
	save_param("kvm", "min_timer_period_us");
	save_param("kvm", "halt_poll_ns");
	save_param("kvm", "halt_poll_ns_grow");
	save_param("kvm", "halt_poll_ns_grow_start");
	save_param("kvm", "halt_poll_ns_shrink");
	save_param(vendor, kvm_is_amd() ? "dump_invalid_vmcb" : "dump_invalid_vmcs");
}

int main(void)
{
	stock = kvm_is_stock();
	vendor = kvm_vendor_module();
	if (kvm_is_amd()) {
		vendor_params = amd_params;
		nr_vendor_params = ARRAY_SIZE(amd_params);
	} else {
		vendor_params = intel_params;
		nr_vendor_params = ARRAY_SIZE(intel_params);
	}

	ksft_print_header();
	ksft_set_plan(6);
	ksft_print_msg("%s KVM, %s\n", stock ? "stock" : "our", vendor);
	run_subtest(test_kvm_params, "kvm: every 6.1 parameter, its mode, type and value");
	run_subtest(test_vendor_params, "%s: every 6.1 parameter, its mode, type and value",
		    vendor);
	save_all();
	run_restoring(test_writes, "writable parameters take their type, refuse others (EINVAL)");
	save_all();
	run_restoring(test_ignore_msrs, "ignore_msrs: unknown MSRs read 0, writes dropped, no #GP");
	save_all();
	run_restoring(test_min_timer_period, "min_timer_period_us limits a periodic LAPIC timer");
	save_all();
	run_restoring(test_halt_poll, "halt_poll_ns: 0 never polls, a large window polls");
	ksft_finished();
}
