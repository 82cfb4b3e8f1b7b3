// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSRs a guest on AMD reads and writes on its way up, and what KVM_GET/SET_MSRS make of the
 * same ones (api.rst 4.18/4.19): which accesses raise #GP (KVM_SET_MSRS stops), which
 * writes are kept, dropped or trimmed, and the values a new vCPU reads. The guest has a
 * fixed CPUID of AMD's vendor (the one kvm_guest_fuzz gives its guests): no TSC_ADJUST, no
 * RDTSCP, no in-kernel local APIC. The stock kvm_amd is the oracle: these are the answers
 * it gives (difftest_guest found each one different on ours at first).
 *
 * Also MOV to CR4 with the same CPUID: a bit the CPUID does not offer is #GP(0), whatever
 * the host CPU has (KVM intercepts CR4 writes to make it so). And the CR0 writes the CPU
 * refuses (SDM vol. 3A 2.5, APM vol. 2 3.1.1 and 14.7): #GP(0) whatever the CPU under the
 * host let through (QEMU TCG takes PG without PE, and VMRUN then failed on ours); reserved
 * bits 31:0 dropped, LMSW keeping PE, CLTS (difftest_guest found the first two).
 */
#include <stdlib.h>
#include <sys/ioctl.h>

#include "kvm_vm.h"
#include "ucall.h"
#include "x86_guest.h"

#define MSR_P5_MC_ADDR		0x0
#define MSR_P5_MC_TYPE		0x1
#define MSR_MTRR_PHYSBASE0	0x200
#define MSR_MTRR_PHYSMASK0	0x201
#define MSR_MTRR_FIX_64K	0x250
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MSR_DEBUGCTL		0x1d9
#define MSR_TSC_DEADLINE	0x6e0
#define MSR_SYSCFG		0xc0010010
#define MSR_HWCR		0xc0010015
#define MSR_MMIO_CONF_BASE	0xc0010058
#define MSR_VM_CR		0xc0010114
#define MSR_VM_HSAVE_PA		0xc0010117
#define MSR_DC_CFG		0xc0011022
#define MSR_DE_CFG		0xc0011029
#define CPUID_FAULT		(1ULL << 31)
#define HWCR_MCSTATUSWREN	(1ULL << 18)

enum { RD, WR };
#define ANY	0x5a5a5a5a5a5a5a5aULL	/* a read whose value is not checked */
#define DE_CFG_FEATURE	0xfeedULL	/* replaced by the feature MSR's value */
#define UCODE_FEATURE	0xfeeeULL	/* likewise */
#define HWCR_AFTER_ZERO	0xfeefULL	/* replaced by what the host kernel's KVM keeps */

struct msr_op {
	uint32_t msr;
	int op;
	uint64_t val;		/* WR: written; RD: expected (ANY: not checked) */
	bool gp;		/* #GP expected */
};

/* HWCR after McStatusWrEn then 0 were written: Linux 6.6's KVM started to clear it */
static uint64_t hwcr_after_zero(void)
{
	return host_kernel_at_least(6, 6) ? 0 : HWCR_MCSTATUSWREN;
}

/* in order, on one fresh vCPU: later ops see what earlier ones left */
static struct msr_op ops[] = {
	/* no in-kernel APIC: TSC_DEADLINE reads 0 and takes writes, dropped */
	{ MSR_TSC_DEADLINE, RD, 0, false }, { MSR_TSC_DEADLINE, WR, 0x12345, false },
	{ MSR_TSC_DEADLINE, RD, 0, false },
	/* no LBR virtualization: any DEBUGCTL value is taken and dropped */
	{ MSR_DEBUGCTL, WR, 3, false }, { MSR_DEBUGCTL, RD, 0, false },
	/* TSC_ADJUST without its CPUID bit: readable, writes dropped */
	{ MSR_IA32_TSC_ADJUST, RD, 0, false }, { MSR_IA32_TSC_ADJUST, WR, 5, false },
	{ MSR_IA32_TSC_ADJUST, RD, 0, false },
	/* Pentium machine-check MSRs: read 0, not writable */
	{ MSR_P5_MC_ADDR, RD, 0, false }, { MSR_P5_MC_TYPE, RD, 0, false }, { MSR_P5_MC_ADDR, WR, 0, true },
	/* VM_CR: five bits; SVMDIS, once set, keeps LOCK and SVMDIS */
	{ MSR_VM_CR, RD, 0, false }, { MSR_VM_CR, WR, 0x8, false }, { MSR_VM_CR, RD, 0x8, false },
	{ MSR_VM_CR, WR, 0x20, true }, { MSR_VM_CR, WR, 0x11, false }, { MSR_VM_CR, RD, 0x11, false },
	{ MSR_VM_CR, WR, 0, false }, { MSR_VM_CR, RD, 0x10, false },
	/* VM_HSAVE_PA: a page-aligned address below MAXPHYADDR */
	{ MSR_VM_HSAVE_PA, RD, 0, false }, { MSR_VM_HSAVE_PA, WR, 0x7000, false },
	{ MSR_VM_HSAVE_PA, RD, 0x7000, false }, { MSR_VM_HSAVE_PA, WR, 0x7008, true },
	{ MSR_VM_HSAVE_PA, WR, 1ULL << 60, true }, { MSR_VM_HSAVE_PA, RD, 0x7000, false },
	/*
	 * HWCR: McStatusWrEn is kept; writing 0 is taken but leaves it set before Linux 6.6
	 * and clears it from 6.6 on (the stock KVM of each kernel: hwcr_after_zero())
	 */
	{ MSR_HWCR, WR, HWCR_MCSTATUSWREN, false }, { MSR_HWCR, RD, HWCR_MCSTATUSWREN, false },
	{ MSR_HWCR, WR, 0, false }, { MSR_HWCR, RD, HWCR_AFTER_ZERO, false }, { MSR_HWCR, WR, 1, true },
	/* DE_CFG: the guest may write exactly the feature MSR's value */
	{ MSR_DE_CFG, RD, 0, false }, { MSR_DE_CFG, WR, DE_CFG_FEATURE, false },
	{ MSR_DE_CFG, RD, DE_CFG_FEATURE, false }, { MSR_DE_CFG, WR, 1ULL << 40, true },
	/* the microcode revision a new vCPU has: the feature MSR's */
	{ MSR_IA32_UCODE_REV, RD, UCODE_FEATURE, false },
	/* PLATFORM_INFO offers CPUID faulting and is the VMM's to write */
	{ MSR_PLATFORM_INFO, RD, CPUID_FAULT, false }, { MSR_PLATFORM_INFO, WR, 0, true },
	{ MSR_MISC_FEATURES_ENABLES, WR, 1, false }, { MSR_MISC_FEATURES_ENABLES, RD, 1, false },
	{ MSR_MISC_FEATURES_ENABLES, WR, 2, true }, { MSR_MISC_FEATURES_ENABLES, WR, 0, false },
	/* AMD configuration MSRs that read 0 */
	{ MSR_DC_CFG, RD, 0, false }, { MSR_DC_CFG, WR, 0x10, false }, { MSR_DC_CFG, RD, 0, false },
	{ MSR_MMIO_CONF_BASE, RD, 0, false }, { MSR_MMIO_CONF_BASE, WR, 0, false },
	{ MSR_MMIO_CONF_BASE, WR, 1, true }, { MSR_SYSCFG, RD, 0, false },
	{ MSR_SYSCFG, WR, 0, true },
	/* MTRRs: memory types 0 1 4 5 6 only, reserved bits */
	{ MSR_MTRR_DEF_TYPE, WR, 0xc02, true }, { MSR_MTRR_DEF_TYPE, WR, 0xc06, false },
	{ MSR_MTRR_DEF_TYPE, RD, 0xc06, false }, { MSR_MTRR_PHYSBASE0, WR, 0x1000002, true },
	{ MSR_MTRR_PHYSBASE0, WR, 0x1000106, true }, { MSR_MTRR_PHYSBASE0, WR, 0x1000006, false },
	{ MSR_MTRR_PHYSMASK0, WR, 0xfff000801, true }, { MSR_MTRR_PHYSMASK0, WR, 0xfff000800, false },
	{ MSR_MTRR_PHYSMASK0, RD, 0xfff000800, false },
	{ MSR_MTRR_FIX_64K, WR, 0x0606060606060603ULL, true },
	{ MSR_MTRR_FIX_64K, WR, 0x0606060606060605ULL, false },
	/* MISC_ENABLE: BTS/PEBS unavailable are fixed, EMON writes are dropped */
	{ MSR_IA32_MISC_ENABLE, RD, 0x1800, false }, { MSR_IA32_MISC_ENABLE, WR, 0x1880, false },
	{ MSR_IA32_MISC_ENABLE, RD, 0x1800, false }, { MSR_IA32_MISC_ENABLE, WR, 0x800, true },
	/* TSC_AUX without RDTSCP or RDPID in the CPUID */
	{ MSR_TSC_AUX, RD, ANY, true }, { MSR_TSC_AUX, WR, 1, true },
};
#define NR_OPS	(sizeof(ops) / sizeof(ops[0]))

static uint64_t got_val[NR_OPS];
static uint8_t got_gp[NR_OPS];
static volatile uint64_t faults;
static volatile unsigned int insn_len = 2;	/* rdmsr 0f 32, wrmsr 0f 30 */

static void gp_handler(struct ex_regs *regs)
{
	faults++;
	regs->rip += insn_len;
}

#define CR4_PAE		(1ULL << 5)
#define CR4_PGE		(1ULL << 7)
#define CR4_FSGSBASE	(1ULL << 16)
#define CR4_OSXSAVE	(1ULL << 18)

/* MOV %rax, %cr4 (0f 22 e0); 1 when it raised #GP */
static uint64_t write_cr4(uint64_t v)
{
	uint64_t f = faults;

	asm volatile("mov %0, %%cr4" : : "a"(v) : "memory");
	return faults != f;
}

/* results: #GP of each write, and CR4 after the PGE one */
static uint64_t cr4_gp[5], cr4_after_pge;

static void guest_cr4(void)
{
	uint64_t c0 = x86_read_cr4() & ~CR4_OSXSAVE;

	insn_len = 3;
	cr4_gp[0] = write_cr4(c0);			/* clearing OSXSAVE: allowed */
	cr4_gp[1] = write_cr4(c0 | CR4_OSXSAVE);	/* no XSAVE in the CPUID */
	cr4_gp[2] = write_cr4(c0 | CR4_FSGSBASE);	/* no FSGSBASE in the CPUID */
	cr4_gp[3] = write_cr4(c0 & ~CR4_PAE);		/* PAE off in long mode */
	cr4_gp[4] = write_cr4(c0 | CR4_PGE);		/* PGE: in the CPUID */
	cr4_after_pge = x86_read_cr4();
	write_cr4(c0);
	GUEST_DONE();
}

#define CR0_PE		(1ULL << 0)
#define CR0_TS		(1ULL << 3)
#define CR0_RSVD7	(1ULL << 7)
#define CR0_NW		(1ULL << 29)
#define CR0_CD		(1ULL << 30)
#define CR0_PG		(1ULL << 31)

static inline uint64_t read_cr0(void)
{
	uint64_t v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

/* MOV %rax, %cr0 (0f 22 c0); 1 when it raised #GP */
static uint64_t write_cr0(uint64_t v)
{
	uint64_t f = faults;

	asm volatile("mov %0, %%cr0" : : "a"(v) : "memory");
	return faults != f;
}

/* results: #GP of each write; CR0 after the reserved bit, after LMSW 0, after CLTS */
static uint64_t cr0_gp[6], cr0_rsvd, cr0_lmsw, cr0_clts;

static void guest_cr0(void)
{
	uint64_t c0 = read_cr0();

	insn_len = 3;
	cr0_gp[0] = write_cr0(c0 & ~CR0_PE);		/* PG without PE */
	cr0_gp[1] = write_cr0((c0 & ~CR0_CD) | CR0_NW);	/* NW without CD */
	/*
	 * Not here: bits 63:32 set, #GP(0) on ours as SDM vol. 3A 2.5 says; stock kvm_amd
	 * does not intercept that write and QEMU TCG takes it without #GP.
	 */
	cr0_gp[2] = 1;
	cr0_gp[3] = write_cr0(c0 & ~CR0_PG);		/* paging off in 64-bit mode */
	cr0_gp[4] = write_cr0(c0 | CR0_RSVD7);		/* reserved: dropped, no #GP */
	cr0_rsvd = read_cr0();
	cr0_gp[5] = write_cr0(c0 | CR0_TS);
	/* LMSW cannot clear PE; it loads MP EM TS (TS cleared here) */
	asm volatile("lmsw %w0" : : "r"(0) : "memory");
	cr0_lmsw = read_cr0();
	write_cr0(c0 | CR0_TS);
	asm volatile("clts" : : : "memory");
	cr0_clts = read_cr0();
	write_cr0(c0);
	GUEST_DONE();
}

static void guest_code(void)
{
	unsigned int i;

	for (i = 0; i < NR_OPS; i++) {
		uint64_t f = faults;

		if (ops[i].op == RD)
			got_val[i] = x86_rdmsr(ops[i].msr);
		else
			x86_wrmsr(ops[i].msr, ops[i].val);
		got_gp[i] = faults != f;
	}
	GUEST_DONE();
}

#define B(n)	(1u << (n))
/* kvm_guest_fuzz's CPUID: family 17h of AMD's vendor, no TSC_ADJUST, RDTSCP, x2APIC */
static void set_fixed_cpuid(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 6 * sizeof(c->entries[0]));
	const struct kvm_cpuid_entry2 *sup = vm_cpuid_entry(vcpu->vm, 0x80000008, 0);
	uint32_t edx1 = B(0) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(11) | B(12) |
			B(13) | B(14) | B(15) | B(16) | B(17) | B(19) | B(23) | B(24) | B(25) |
			B(26);

	TEST_ASSERT(c, "calloc");
	c->nent = 6;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 7, .ebx = 0x68747541,
						   .ecx = 0x444d4163, .edx = 0x69746e65 };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x00800f12,
						   .ecx = B(0) | B(13) | B(23), .edx = edx1 };
	c->entries[2] = (struct kvm_cpuid_entry2){ .function = 0x80000000, .eax = 0x80000008,
						   .ebx = 0x68747541, .ecx = 0x444d4163,
						   .edx = 0x69746e65 };
	c->entries[3] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .eax = 0x00800f12,
						   .ecx = B(0),
						   .edx = (edx1 & 0x0183f3ff) | B(11) | B(20) | B(29) };
	c->entries[4] = (struct kvm_cpuid_entry2){ .function = 0x80000008,
						   .eax = sup ? sup->eax & 0xffff : 0x3028 };
	c->entries[5] = (struct kvm_cpuid_entry2){ .function = 7,
						   .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, c);
	free(c);
}

/* KVM_GET_MSRS (vcpu != NULL) or the feature MSR from /dev/kvm: 1 on success */
static int get_msr(int fd, uint32_t index, uint64_t *val)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1 };
	int r;

	m.e.index = index;
	r = ioctl(fd, KVM_GET_MSRS, &m);
	*val = m.e.data;
	return r;
}

static int set_msr(int fd, uint32_t index, uint64_t val)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1 };

	m.e.index = index;
	m.e.data = val;
	return ioctl(fd, KVM_SET_MSRS, &m);
}

static void test_guest(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	uint64_t de_cfg = 0, ucode = 0;
	unsigned int i, bad = 0;

	TEST_ASSERT_EQ(1, get_msr(vm->kvm_fd, MSR_DE_CFG, &de_cfg));
	TEST_ASSERT_EQ(1, get_msr(vm->kvm_fd, MSR_IA32_UCODE_REV, &ucode));
	for (i = 0; i < NR_OPS; i++) {
		if (ops[i].val == DE_CFG_FEATURE)
			ops[i].val = de_cfg;
		else if (ops[i].val == UCODE_FEATURE)
			ops[i].val = ucode;
		else if (ops[i].val == HWCR_AFTER_ZERO)
			ops[i].val = hwcr_after_zero();
	}
	/* a host without LFENCE serialization offers 0: then writing 0 is the one allowed */
	set_fixed_cpuid(vcpu);
	vm_install_exception_handler(vm, GP_VECTOR, gp_handler);
	sync_global_to_guest(vm, ops);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	sync_global_from_guest(vm, got_val);
	sync_global_from_guest(vm, got_gp);
	for (i = 0; i < NR_OPS; i++) {
		const struct msr_op *o = &ops[i];
		bool val_bad = o->op == RD && !o->gp && o->val != ANY && got_val[i] != o->val;

		if (got_gp[i] == o->gp && !val_bad)
			continue;
		bad++;
		ksft_print_msg("op %u: %s %#x %#llx: expected %s%s%#llx, got %s, %#llx\n", i,
			       o->op == RD ? "RDMSR" : "WRMSR", o->msr,
			       (unsigned long long)o->val, o->gp ? "#GP" : "no #GP",
			       o->op == RD && !o->gp ? ", value " : " ",
			       (unsigned long long)(o->op == RD ? o->val : 0),
			       got_gp[i] ? "#GP" : "no #GP", (unsigned long long)got_val[i]);
	}
	TEST_ASSERT(!bad, "%u of %zu guest MSR accesses differ from the expected ones", bad,
		    NR_OPS);
	ksft_test_result_pass("guest RDMSR/WRMSR: %zu accesses as expected\n", NR_OPS);
	kvm_vm_free(vm);
}

/* host writes: accepted or not, and what reads back */
static const struct {
	uint32_t msr;
	uint64_t val;
	int set;		/* KVM_SET_MSRS' return: 1 taken, 0 refused */
	uint64_t readback;
} host_cases[] = {
	{ MSR_P5_MC_ADDR, 0, 0, 0 },
	{ MSR_VM_HSAVE_PA, 0x7008, 1, 0x7000 },		/* any value, kept page-aligned */
	{ MSR_VM_CR, 0x20, 0, 0 },
	{ MSR_TSC_AUX, 0x100000005ULL, 1, 5 },		/* bits 63:32 dropped (AMD) */
	{ MSR_IA32_SYSENTER_EIP, 0xffffffff81000000ULL, 1, 0x81000000 },	/* likewise */
	{ MSR_DEBUGCTL, 3, 1, 0 },
	{ MSR_IA32_TSC_ADJUST, 5, 1, 0 },		/* no TSC_ADJUST in the CPUID */
	{ MSR_PLATFORM_INFO, CPUID_FAULT | 0xff00, 1, CPUID_FAULT | 0xff00 },
	{ MSR_DC_CFG, 0x10, 1, 0 },
};

static void test_host(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	uint64_t v;
	unsigned int i;

	set_fixed_cpuid(vcpu);
	TEST_ASSERT_EQ(1, get_msr(vcpu->fd, MSR_PLATFORM_INFO, &v));
	TEST_ASSERT_EQ(CPUID_FAULT, v);
	for (i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]); i++) {
		int r = set_msr(vcpu->fd, host_cases[i].msr, host_cases[i].val);

		TEST_ASSERT(r == host_cases[i].set, "KVM_SET_MSRS %#x = %#llx: expected %d, got %d",
			    host_cases[i].msr, (unsigned long long)host_cases[i].val,
			    host_cases[i].set, r);
		TEST_ASSERT_EQ(1, get_msr(vcpu->fd, host_cases[i].msr, &v));
		TEST_ASSERT(v == host_cases[i].readback,
			    "KVM_GET_MSRS %#x after writing %#llx: expected %#llx, got %#llx",
			    host_cases[i].msr, (unsigned long long)host_cases[i].val,
			    (unsigned long long)host_cases[i].readback, (unsigned long long)v);
	}
	ksft_test_result_pass("KVM_SET_MSRS/KVM_GET_MSRS: %zu writes as expected\n",
			      sizeof(host_cases) / sizeof(host_cases[0]));
	kvm_vm_free(vm);
}

static void test_cr4(void)
{
	static const uint64_t want_gp[5] = { 0, 1, 1, 1, 0 };
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_cr4);
	int i;

	set_fixed_cpuid(vcpu);
	vm_install_exception_handler(vm, GP_VECTOR, gp_handler);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	sync_global_from_guest(vm, cr4_gp);
	sync_global_from_guest(vm, cr4_after_pge);
	for (i = 0; i < 5; i++)
		TEST_ASSERT(cr4_gp[i] == want_gp[i], "MOV to CR4, case %d: expected %s, got %s",
			    i, want_gp[i] ? "#GP" : "no #GP", cr4_gp[i] ? "#GP" : "no #GP");
	TEST_ASSERT(cr4_after_pge & CR4_PGE, "CR4 after setting PGE: %#llx",
		    (unsigned long long)cr4_after_pge);
	ksft_test_result_pass("guest MOV to CR4: bits outside the CPUID #GP, PAE kept in long "
			      "mode, PGE taken\n");
	kvm_vm_free(vm);
}

static void test_cr0(void)
{
	static const uint64_t want_gp[6] = { 1, 1, 1, 1, 0, 0 };
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_cr0);
	int i;

	set_fixed_cpuid(vcpu);
	vm_install_exception_handler(vm, GP_VECTOR, gp_handler);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	sync_global_from_guest(vm, cr0_gp);
	sync_global_from_guest(vm, cr0_rsvd);
	sync_global_from_guest(vm, cr0_lmsw);
	sync_global_from_guest(vm, cr0_clts);
	for (i = 0; i < 6; i++)
		if (cr0_gp[i] != want_gp[i])
			ksft_print_msg("MOV to CR0, case %d: expected %s, got %s\n", i,
				       want_gp[i] ? "#GP" : "no #GP", cr0_gp[i] ? "#GP" : "no #GP");
	ksft_print_msg("CR0 after bit 7: %#llx, after LMSW 0: %#llx, after CLTS: %#llx\n",
		       (unsigned long long)cr0_rsvd, (unsigned long long)cr0_lmsw,
		       (unsigned long long)cr0_clts);
	for (i = 0; i < 6; i++)
		TEST_ASSERT(cr0_gp[i] == want_gp[i], "MOV to CR0, case %d: expected %s, got %s",
			    i, want_gp[i] ? "#GP" : "no #GP", cr0_gp[i] ? "#GP" : "no #GP");
	TEST_ASSERT(!(cr0_rsvd & CR0_RSVD7), "CR0 after setting reserved bit 7: %#llx",
		    (unsigned long long)cr0_rsvd);
	TEST_ASSERT((cr0_lmsw & CR0_PE) && !(cr0_lmsw & CR0_TS), "CR0 after LMSW 0: %#llx",
		    (unsigned long long)cr0_lmsw);
	TEST_ASSERT(!(cr0_clts & CR0_TS), "CR0 after CLTS: %#llx",
		    (unsigned long long)cr0_clts);
	ksft_test_result_pass("guest MOV to CR0: invalid values #GP, reserved bits dropped; "
			      "LMSW keeps PE; CLTS\n");
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(4);
	test_guest();
	test_host();
	test_cr4();
	test_cr0();
	ksft_finished();
}
