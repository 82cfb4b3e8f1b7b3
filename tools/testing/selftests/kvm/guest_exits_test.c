// SPDX-License-Identifier: GPL-2.0-only
/*
 * What KVM does with guest instructions and states it handles itself (checked against the
 * in-tree modules, KVM=stock):
 *  - a triple fault ends KVM_RUN with KVM_EXIT_SHUTDOWN (long mode and 32-bit mode); on
 *    AMD the vCPU is then in its INIT state (APM 15.12 leaves the VMCB undefined; KVM
 *    resets): general registers 0 but RDX, the signature CPUID.01H:EAX, RIP 0xfff0, CR0
 *    with ET and the CD/NW the guest had (SDM vol. 3A 10.1.1), nothing pending;
 *  - VMMCALL/VMCALL with an unknown hypercall number returns -KVM_ENOSYS in RAX, and
 *    KVM_HC_VAPIC_POLL_IRQ returns 0 (Documentation/virt/kvm/x86/hypercalls.rst);
 *  - CPUID answers from the KVM_SET_CPUID2 table: leaves of our own, subleaves, leaves
 *    beyond the table (zeros for AMD, the last basic leaf for Intel), CPUID.1:ECX.OSXSAVE
 *    following CR4.OSXSAVE and CPUID.(0xd,0):EBX the size for the XCR0 in force;
 *  - RDMSR/WRMSR of the system-call, SYSENTER, PAT, TSC_AUX and MISC_ENABLE MSRs agree
 *    with KVM_GET_MSRS/KVM_SET_MSRS both ways;
 *  - KVM_CAP_X86_USER_SPACE_MSR and KVM_X86_SET_MSR_FILTER beyond upstream's
 *    userspace_msr_exit_test: the INVAL and UNKNOWN reasons, completion by a KVM_RUN with
 *    immediate_exit, a write-only range on an MSR the hardware could pass through, and
 *    x2APIC MSRs that a filter does not deny;
 *  - XSETBV: invalid values raise #GP in the guest and leave XCR0 as it was;
 *  - a state VMRUN refuses (long mode with CS.L and CS.D both set) ends KVM_RUN with
 *    KVM_EXIT_FAIL_ENTRY, and the vCPU runs once the state is fixed.
 * Each subtest runs in a child process of its own with a VM of its own (run_subtest()).
 */
#include <stdlib.h>
#include <sys/ioctl.h>

#include "x86_guest.h"

#define KVM_ENOSYS		1000	/* include/uapi/linux/kvm_para.h */
#define KVM_HC_VAPIC_POLL_IRQ	1
#define HC_UNKNOWN		0x7fff1234ULL

#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_1_ECX_OSXSAVE	(1U << 27)

/* --- triple fault --- */

static void guest_triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty_idt = { 0, 0 };

	/* #UD finds no IDT entry: #GP, then #DF, then shutdown (SDM 6.15, "#DF") */
	asm volatile("lidt %0\n\t"
		     "ud2" : : "m"(empty_idt));
	GUEST_FAIL("ud2 with an empty IDT returned");
}

/* 32-bit protected mode, no IDT at all (limit 0): ud2 is a triple fault */
asm(".pushsection .rodata.guest_blobs, \"a\"\n"
    ".code32\n"
    "prot32_triple_start:\n"
    "	ud2\n"
    "	hlt\n"
    "prot32_triple_end:\n"
    ".code64\n"
    ".popsection\n");
extern const uint8_t prot32_triple_start[], prot32_triple_end[];

/* after the shutdown of a guest that ran with CR0.CD and CR0.NW clear */
static void assert_init_state(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid_entry2 *sig = cpuid2_find(vm->cpuid, 1, 0);
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_get_regs(vcpu, &regs);
	vcpu_get_sregs(vcpu, &sregs);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	TEST_ASSERT_EQ(sig ? sig->eax : 0x600, regs.rdx);
	TEST_ASSERT_EQ(0, regs.rax | regs.rbx | regs.rcx | regs.rsi | regs.rdi | regs.rsp |
			  regs.rbp | regs.r8 | regs.r15);
	TEST_ASSERT_EQ(0xfff0, regs.rip);
	TEST_ASSERT_EQ(0xf000, sregs.cs.selector);
	TEST_ASSERT_EQ(X86_CR0_ET, sregs.cr0);
	TEST_ASSERT_EQ(0, sregs.efer);
	TEST_ASSERT_EQ(0, ev.exception.injected | ev.exception.pending | ev.nmi.injected |
			  ev.interrupt.injected);
}

static void test_triple_fault(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_triple_fault);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	if (kvm_is_amd())
		assert_init_state(vm, vcpu);
	kvm_vm_free(vm);

	vm = guest_vm_new(GUEST_MODE_PROT32, 1 * MiB);
	vm_load_blob(vm, GUEST_BLOB_CODE_GPA, prot32_triple_start, prot32_triple_end);
	vcpu = guest_vcpu_add(vm, 0, GUEST_BLOB_CODE_GPA);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	kvm_vm_free(vm);
}

/* --- hypercalls --- */

struct hc_result {
	uint64_t rax, rbx, rcx, rdx, rsi;
};

static struct hc_result guest_hypercall(bool amd, uint64_t nr)
{
	struct hc_result r;

	/* arguments in RBX, RCX, RDX, RSI: KVM must leave them alone */
	if (amd)
		asm volatile("vmmcall"
			     : "=a"(r.rax), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx), "=S"(r.rsi)
			     : "a"(nr), "b"(0x1111), "c"(0x2222), "d"(0x3333), "S"(0x4444));
	else
		asm volatile("vmcall"
			     : "=a"(r.rax), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx), "=S"(r.rsi)
			     : "a"(nr), "b"(0x1111), "c"(0x2222), "d"(0x3333), "S"(0x4444));
	return r;
}

static void guest_hypercalls(bool amd)
{
	static const uint64_t nrs[] = { HC_UNKNOWN, (1ULL << 32) | KVM_HC_VAPIC_POLL_IRQ,
					KVM_HC_VAPIC_POLL_IRQ };
	unsigned int i;

	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		struct hc_result r = guest_hypercall(amd, nrs[i]);

		GUEST_SYNC(nrs[i], r.rax, r.rbx, r.rcx, r.rdx, r.rsi);
	}
	GUEST_DONE();
}

static void test_hypercalls(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_hypercalls);
	struct ucall uc;

	vcpu_set_args(vcpu, kvm_is_amd());

	/* an unknown number: -KVM_ENOSYS, as a 64-bit value in 64-bit mode */
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(HC_UNKNOWN, uc.args[0]);
	TEST_ASSERT_EQ(-KVM_ENOSYS, uc.args[1]);
	TEST_ASSERT_EQ(0x1111, uc.args[2]);
	TEST_ASSERT_EQ(0x2222, uc.args[3]);
	TEST_ASSERT_EQ(0x3333, uc.args[4]);
	TEST_ASSERT_EQ(0x4444, uc.args[5]);

	/* in 64-bit mode all of RAX is the number: this is not KVM_HC_VAPIC_POLL_IRQ */
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(-KVM_ENOSYS, uc.args[1]);

	/* KVM_HC_VAPIC_POLL_IRQ: nothing to do, returns 0 */
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(KVM_HC_VAPIC_POLL_IRQ, uc.args[0]);
	TEST_ASSERT_EQ(0, uc.args[1]);
	TEST_ASSERT_EQ(0x1111, uc.args[2]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- CPUID --- */

struct cpuid_query {
	uint32_t function, index;
	uint32_t regs[4];		/* eax, ebx, ecx, edx as the guest saw them */
};

#define MAX_QUERIES	16
static struct cpuid_query queries[MAX_QUERIES];
static int nr_queries;

static void guest_cpuid_queries(void)
{
	int i;

	for (i = 0; i < nr_queries; i++)
		x86_cpuid(queries[i].function, queries[i].index, &queries[i].regs[0],
			  &queries[i].regs[1], &queries[i].regs[2], &queries[i].regs[3]);
	GUEST_DONE();
}

static void add_query(uint32_t function, uint32_t index)
{
	TEST_ASSERT(nr_queries < MAX_QUERIES, "too many CPUID queries");
	queries[nr_queries++] = (struct cpuid_query){ .function = function, .index = index };
}

static struct kvm_cpuid2 *cpuid_copy(const struct kvm_cpuid2 *from, uint32_t extra)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (from->nent + extra) *
					 sizeof(c->entries[0]));

	TEST_ASSERT(c, "calloc");
	c->nent = from->nent;
	memcpy(c->entries, from->entries, from->nent * sizeof(c->entries[0]));
	return c;
}

static struct kvm_cpuid_entry2 *cpuid_add(struct kvm_cpuid2 *c, uint32_t function,
					  uint32_t index, uint32_t flags)
{
	struct kvm_cpuid_entry2 *e = cpuid2_find(c, function, index);

	if (!e) {
		e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = function;
		e->index = index;
		e->flags = flags;
	}
	return e;
}

static void cpuid_set_vendor(struct kvm_cpuid2 *c, const char *vendor)
{
	struct kvm_cpuid_entry2 *e = cpuid2_find(c, 0, 0);

	memcpy(&e->ebx, vendor, 4);
	memcpy(&e->edx, vendor + 4, 4);
	memcpy(&e->ecx, vendor + 8, 4);
}

static void assert_query(const struct cpuid_query *q, uint32_t eax, uint32_t ebx, uint32_t ecx,
			 uint32_t edx)
{
	TEST_ASSERT(q->regs[0] == eax && q->regs[1] == ebx && q->regs[2] == ecx &&
		    q->regs[3] == edx,
		    "guest CPUID(%#x, %u): expected %08x %08x %08x %08x, got %08x %08x %08x %08x",
		    q->function, q->index, eax, ebx, ecx, edx, q->regs[0], q->regs[1],
		    q->regs[2], q->regs[3]);
}

static void assert_query_entry(const struct cpuid_query *q, const struct kvm_cpuid_entry2 *e)
{
	assert_query(q, e->eax, e->ebx, e->ecx, e->edx);
}

/* Run the queries in a guest with this CPUID table; results in queries[]. */
static void run_queries(struct kvm_cpuid2 *c)
{
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;

	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);	/* copies queries[] */
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_cpuid_queries);
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, c);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	sync_global_from_guest(vm, queries);
	kvm_vm_free(vm);
}

static void test_cpuid_table(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e, leaf1, own, brand[3];
	bool xsave;
	int i;

	vm_cpuid_entry(vm, 0, 0);
	c = cpuid_copy(vm->cpuid, 8);
	kvm_vm_free(vm);
	cpuid_set_vendor(c, "AuthenticAMD");	/* whatever the host is */

	/* values of our own in leaves KVM knows */
	e = cpuid2_find(c, 1, 0);
	TEST_ASSERT(e, "no leaf 1 in the supported CPUID");
	e->eax = 0x00a20f10;
	e->ebx = 0x07080800;
	xsave = e->ecx & CPUID_1_ECX_XSAVE;
	leaf1 = *e;
	for (i = 0; i < 3; i++) {
		e = cpuid_add(c, 0x80000002 + i, 0, 0);
		memcpy(&e->eax, &"KVM selftest CPU model string, 48 bytes long..."[16 * i], 16);
		brand[i] = *e;
	}
	/* and a leaf of our own in the hypervisor range */
	e = cpuid2_find(c, 0x40000000, 0);
	TEST_ASSERT(e, "no leaf 0x40000000 in the supported CPUID");
	e->eax = 0x40000010;
	e = cpuid_add(c, 0x40000010, 0, 0);
	e->eax = 0x12345678;
	e->ebx = 0x9abcdef0;
	e->ecx = 0x0fedcba9;
	e->edx = 0x87654321;
	own = *e;

	nr_queries = 0;
	add_query(1, 0);
	add_query(1, 5);		/* ECX does not matter for leaf 1 */
	add_query(0x40000010, 0);
	add_query(0x40000010, 3);
	add_query(0x80000002, 0);
	add_query(0x80000003, 0);
	add_query(0x80000004, 0);
	add_query(0xd, 2);		/* subleaves: ECX selects */
	add_query(0xd, 63);		/* a subleaf not in the table */
	add_query(0x40000011, 0);	/* AMD vendor: leaves not in the table read 0 */
	add_query(0x8000ffff, 0);
	add_query(0x0000ffff, 0);
	run_queries(c);

	/* leaf 1: as set, with OSXSAVE as CR4.OSXSAVE (set by the library when XSAVE is) */
	leaf1.ecx |= xsave ? CPUID_1_ECX_OSXSAVE : 0;
	assert_query_entry(&queries[0], &leaf1);
	assert_query_entry(&queries[1], &leaf1);
	assert_query_entry(&queries[2], &own);
	assert_query_entry(&queries[3], &own);
	for (i = 0; i < 3; i++)
		assert_query_entry(&queries[4 + i], &brand[i]);
	e = cpuid2_find(c, 0xd, 2);
	if (e)
		assert_query_entry(&queries[7], e);
	assert_query(&queries[8], 0, 0, 0, 0);
	assert_query(&queries[9], 0, 0, 0, 0);
	assert_query(&queries[10], 0, 0, 0, 0);
	assert_query(&queries[11], 0, 0, 0, 0);
	free(c);
}

/*
 * Intel's rule for a leaf above the maximum of its range (SDM vol. 2A, CPUID: "If a value
 * entered for CPUID.EAX is higher than the maximum input value for basic or extended
 * function for that processor then the data for the highest basic information leaf is
 * returned"), which KVM applies to guests whose vendor is Intel; a missing leaf inside the
 * range reads 0.
 */
static void test_cpuid_intel_out_of_range(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e, *last;
	uint32_t max_basic, max_ext;

	vm_cpuid_entry(vm, 0, 0);
	c = cpuid_copy(vm->cpuid, 8);
	kvm_vm_free(vm);
	cpuid_set_vendor(c, "GenuineIntel");
	/*
	 * The last basic leaf: 0x10, of our own values, with subleaves (leaf 0xd stays as
	 * it is: its XSAVE features must stay ones the guest may have).
	 */
	max_basic = 0x10;
	TEST_ASSERT(cpuid2_find(c, 0, 0)->eax < max_basic, "max basic leaf %#x",
		    cpuid2_find(c, 0, 0)->eax);
	cpuid2_find(c, 0, 0)->eax = max_basic;
	max_ext = cpuid2_find(c, 0x80000000, 0)->eax;
	last = cpuid_add(c, max_basic, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	last->eax = 0x1f1f0000;
	last->ebx = 0x2e2e0000;
	last->ecx = 0x3d3d0000;
	last->edx = 0x4c4c0000;
	e = cpuid_add(c, max_basic, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	e->eax = 0x1f1f0001;
	e->ebx = e->ecx = e->edx = 0;
	/* leaves between 0xd and 0x10 are missing: inside the range, they read 0 */
	TEST_ASSERT(!cpuid2_find(c, 0xe, 0), "leaf 0xe in the supported CPUID");
	/* remove one leaf inside the extended range (swap with the last entry) */
	TEST_ASSERT(max_ext >= 0x80000006, "max extended leaf %#x", max_ext);
	e = cpuid2_find(c, 0x80000006, 0);
	if (e)
		*e = c->entries[--c->nent];
	TEST_ASSERT(!cpuid2_find(c, 0x80000006, 0), "leaf 0x80000006 still there");

	nr_queries = 0;
	add_query(max_basic + 1, 0);	/* above the basic range */
	add_query(max_basic + 1, 1);
	add_query(max_ext + 1, 0);	/* above the extended range */
	add_query(0x40000050, 0);	/* above the hypervisor range (0x40000001) */
	add_query(0x80000006, 0);	/* inside the extended range, not in the table */
	add_query(max_basic, 0);
	add_query(0xe, 0);		/* inside the basic range, not in the table */
	run_queries(c);

	/* the last basic leaf, subleaf as given */
	assert_query(&queries[0], 0x1f1f0000, 0x2e2e0000, 0x3d3d0000, 0x4c4c0000);
	assert_query(&queries[1], 0x1f1f0001, 0, 0, 0);
	assert_query(&queries[2], 0x1f1f0000, 0x2e2e0000, 0x3d3d0000, 0x4c4c0000);
	assert_query(&queries[3], 0x1f1f0000, 0x2e2e0000, 0x3d3d0000, 0x4c4c0000);
	assert_query(&queries[4], 0, 0, 0, 0);
	assert_query(&queries[5], 0x1f1f0000, 0x2e2e0000, 0x3d3d0000, 0x4c4c0000);
	assert_query(&queries[6], 0, 0, 0, 0);
	free(c);
}

/* CPUID.1:ECX.OSXSAVE reads as CR4.OSXSAVE (SDM vol. 2A, CPUID, leaf 1 ECX bit 27) */
static void guest_osxsave(void)
{
	uint32_t eax, ebx, ecx_on, ecx_off, ecx_again, edx;
	uint64_t cr4 = x86_read_cr4();

	x86_cpuid(1, 0, &eax, &ebx, &ecx_on, &edx);
	x86_write_cr4(cr4 & ~X86_CR4_OSXSAVE);
	x86_cpuid(1, 0, &eax, &ebx, &ecx_off, &edx);
	x86_write_cr4(cr4);
	x86_cpuid(1, 0, &eax, &ebx, &ecx_again, &edx);
	GUEST_SYNC(cr4 & X86_CR4_OSXSAVE, ecx_on, ecx_off, ecx_again);
	GUEST_DONE();
}

static void test_cpuid_osxsave(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_osxsave);
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vm, 1, 0);
	struct ucall uc;

	if (!(e->ecx & CPUID_1_ECX_XSAVE))
		subtest_skip("no XSAVE in the supported CPUID");
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(X86_CR4_OSXSAVE, uc.args[0]);
	TEST_ASSERT_EQ(CPUID_1_ECX_OSXSAVE, uc.args[1] & CPUID_1_ECX_OSXSAVE);
	TEST_ASSERT_EQ(0, uc.args[2] & CPUID_1_ECX_OSXSAVE);
	TEST_ASSERT_EQ(CPUID_1_ECX_OSXSAVE, uc.args[3] & CPUID_1_ECX_OSXSAVE);
	/* nothing else changes */
	TEST_ASSERT_EQ(e->ecx, uc.args[2]);
	TEST_ASSERT_EQ(e->ecx | CPUID_1_ECX_OSXSAVE, uc.args[1]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- MSRs from the guest --- */

#define NR_GUEST_MSRS	12
static const uint32_t guest_msr_index[NR_GUEST_MSRS] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_CR_PAT,
	MSR_TSC_AUX, MSR_IA32_MISC_ENABLE, MSR_EFER,
};
/* set by the host, read by the guest (EFER: as the library set it up) */
static const uint64_t host_msr_value[NR_GUEST_MSRS] = {
	0x0023001000000000ULL, 0xffffffff81e00000ULL, 0xffffffff81e01000ULL, 0x47700,
	0xffff88807fc00000ULL, 0x10, 0xfffe0000, 0x81e02000, 0x0407050600070106ULL, 0x1234,
	0x1801, EFER_LME | EFER_LMA,
};
/* written by the guest (not EFER), read back by the host */
static const uint64_t guest_msr_value[NR_GUEST_MSRS] = {
	0x001b000800000000ULL, 0xffffffff82000000ULL, 0xffffffff82001000ULL, 0x257fd5,
	0xffff888100000000ULL, 0x08, 0xfffd0000, 0x82002000, 0x0007010600070406ULL, 0x7,
	0x1800, EFER_LME | EFER_LMA,
};
static uint64_t guest_msr_read[NR_GUEST_MSRS], guest_msr_reread[NR_GUEST_MSRS];

static void guest_msrs(void)
{
	int i;

	for (i = 0; i < NR_GUEST_MSRS; i++)
		guest_msr_read[i] = x86_rdmsr(guest_msr_index[i]);
	GUEST_SYNC(0);
	for (i = 0; i < NR_GUEST_MSRS - 1; i++)
		x86_wrmsr(guest_msr_index[i], guest_msr_value[i]);
	for (i = 0; i < NR_GUEST_MSRS; i++)
		guest_msr_reread[i] = x86_rdmsr(guest_msr_index[i]);
	GUEST_SYNC(1);
	GUEST_DONE();
}

static void test_guest_msrs(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_msrs);
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vm, 0x80000001, 0);
	struct ucall uc;
	int i;

	TEST_ASSERT(e && (e->edx & (1U << 27)), "no RDTSCP in the supported CPUID: no TSC_AUX");
	for (i = 0; i < NR_GUEST_MSRS - 1; i++)
		vcpu_set_msr(vcpu, guest_msr_index[i], host_msr_value[i]);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(0, uc.args[0]);
	sync_global_from_guest(vm, guest_msr_read);
	for (i = 0; i < NR_GUEST_MSRS; i++)
		TEST_ASSERT(guest_msr_read[i] == host_msr_value[i],
			    "guest RDMSR %#x: expected %#llx (KVM_SET_MSRS), got %#llx",
			    guest_msr_index[i], (unsigned long long)host_msr_value[i],
			    (unsigned long long)guest_msr_read[i]);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	sync_global_from_guest(vm, guest_msr_reread);
	for (i = 0; i < NR_GUEST_MSRS; i++) {
		uint64_t host = vcpu_get_msr(vcpu, guest_msr_index[i]);

		TEST_ASSERT(guest_msr_reread[i] == guest_msr_value[i],
			    "guest RDMSR %#x after its WRMSR: expected %#llx, got %#llx",
			    guest_msr_index[i], (unsigned long long)guest_msr_value[i],
			    (unsigned long long)guest_msr_reread[i]);
		TEST_ASSERT(host == guest_msr_value[i],
			    "KVM_GET_MSRS %#x after the guest's WRMSR: expected %#llx, got %#llx",
			    guest_msr_index[i], (unsigned long long)guest_msr_value[i],
			    (unsigned long long)host);
	}
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- MSR accesses sent to userspace --- */

#define MSR_BOGUS_UNKNOWN	0x4b564dffU	/* no one knows it */
#define MSR_X2APIC_ID		0x802
#define STAR_VALUE		0x0023001000000000ULL
#define USER_MSR_DATA		0x1122334455667788ULL
#define BAD_PAT			0x0007040600070402ULL	/* type 2 in PA0 */

static uint64_t msr_faults;

static void guest_msr_fault(struct ex_regs *regs)
{
	msr_faults++;
	regs->rip += 2;		/* rdmsr 0f 32, wrmsr 0f 30 */
}

static void guest_user_space_msrs(void)
{
	uint64_t v;

	x86_wrmsr(MSR_IA32_CR_PAT, BAD_PAT);		/* a reserved type: INVAL */
	GUEST_SYNC(0, msr_faults);
	v = x86_rdmsr(MSR_BOGUS_UNKNOWN);		/* UNKNOWN */
	GUEST_SYNC(1, v, msr_faults);
	v = x86_rdmsr(MSR_STAR);			/* the filter denies writes only */
	x86_wrmsr(MSR_STAR, 0);				/* FILTER: userspace drops it */
	x86_rdmsr(MSR_X2APIC_ID);			/* not filtered: no x2APIC here */
	GUEST_SYNC(2, v, x86_rdmsr(MSR_STAR), msr_faults);
	GUEST_DONE();
}

static void expect_msr_exit(struct kvm_vcpu *vcpu, uint32_t exit_reason, uint32_t index,
			    uint64_t data)
{
	struct kvm_run *run = vcpu->run;

	vcpu_assert_exit(vcpu, exit_reason);
	TEST_ASSERT(run->msr.index == index, "MSR exit for %#x, expected %#x", run->msr.index,
		    index);
	TEST_ASSERT_EQ(data, run->msr.data);
	TEST_ASSERT_EQ(0, run->msr.error);
}

static void test_user_space_msrs(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_user_space_msrs);
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = { KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_UNKNOWN |
			  KVM_MSR_EXIT_REASON_FILTER },
	};
	static uint8_t deny[32];	/* all zeroes: every MSR of a range denied */
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = {
			{ .flags = KVM_MSR_FILTER_WRITE, .base = MSR_STAR, .nmsrs = 1,
			  .bitmap = deny },
			{ .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .base = 0x800,
			  .nmsrs = 256, .bitmap = deny },
		},
	};
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	struct ucall uc;
	uint64_t pat;

	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_X86_USER_SPACE_MSR) ||
	    !kvm_check_cap(vm->kvm_fd, KVM_CAP_X86_MSR_FILTER))
		subtest_skip("no KVM_CAP_X86_USER_SPACE_MSR / KVM_CAP_X86_MSR_FILTER");
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	vm_install_exception_handler(vm, GP_VECTOR, guest_msr_fault);
	vcpu_set_msr(vcpu, MSR_STAR, STAR_VALUE);
	pat = vcpu_get_msr(vcpu, MSR_IA32_CR_PAT);

	/* a value KVM refuses: the VMM says error, the guest gets #GP, PAT unchanged */
	vcpu_run(vcpu);
	expect_msr_exit(vcpu, KVM_EXIT_X86_WRMSR, MSR_IA32_CR_PAT, BAD_PAT);
	TEST_ASSERT_EQ(KVM_MSR_EXIT_REASON_INVAL, run->msr.reason);
	run->msr.error = 1;
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(0, uc.args[0]);
	TEST_ASSERT_EQ(1, uc.args[1]);
	TEST_ASSERT_EQ(pat, vcpu_get_msr(vcpu, MSR_IA32_CR_PAT));

	/*
	 * an unknown MSR: the VMM's data reaches EDX:EAX already on a KVM_RUN with
	 * immediate_exit ("kvm_run": operations complete on the next KVM_RUN)
	 */
	vcpu_run(vcpu);
	expect_msr_exit(vcpu, KVM_EXIT_X86_RDMSR, MSR_BOGUS_UNKNOWN, 0);
	TEST_ASSERT_EQ(KVM_MSR_EXIT_REASON_UNKNOWN, run->msr.reason);
	run->msr.data = USER_MSR_DATA;
	run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	run->immediate_exit = 0;
	vcpu_get_regs(vcpu, &regs);
	TEST_ASSERT_EQ(USER_MSR_DATA & 0xffffffff, regs.rax);
	TEST_ASSERT_EQ(USER_MSR_DATA >> 32, regs.rdx);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	TEST_ASSERT_EQ(USER_MSR_DATA, uc.args[1]);
	TEST_ASSERT_EQ(1, uc.args[2]);

	/*
	 * a write-only range: reads of STAR stay the kernel's, the write goes to the VMM,
	 * which drops it; x2APIC MSRs are never filtered (api.rst 4.97): without an x2APIC
	 * the read fails for another reason than the filter
	 */
	vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &filter);
	vcpu_run(vcpu);
	expect_msr_exit(vcpu, KVM_EXIT_X86_WRMSR, MSR_STAR, 0);
	TEST_ASSERT_EQ(KVM_MSR_EXIT_REASON_FILTER, run->msr.reason);
	vcpu_run(vcpu);
	expect_msr_exit(vcpu, KVM_EXIT_X86_RDMSR, MSR_X2APIC_ID, 0);
	TEST_ASSERT(run->msr.reason != KVM_MSR_EXIT_REASON_FILTER,
		    "the filter denied x2APIC MSR %#x", MSR_X2APIC_ID);
	run->msr.error = 1;
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	TEST_ASSERT_EQ(STAR_VALUE, uc.args[1]);
	TEST_ASSERT_EQ(STAR_VALUE, uc.args[2]);
	TEST_ASSERT_EQ(2, uc.args[3]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- an MSR filter and the MSRs the guest uses without exits --- */

#define MSR_FS_BASE		0xc0000100
#define MSR_CORE_THREAD_COUNT	0x35	/* what QEMU's filter denies */
#define FS_WRITES		1000

/* FS.base written as a kernel does at each task switch; the count of writes that ran */
static void guest_fs_base_writes(void)
{
	uint64_t i, round;

	for (round = 1;; round++) {
		for (i = 0; i < FS_WRITES; i++)
			x86_wrmsr(MSR_FS_BASE, 0x7f0000000000ULL + round * 0x1000 + i);
		GUEST_SYNC(round, x86_rdmsr(MSR_FS_BASE));
	}
}

/* one round of writes: its exits (the vCPU's "exits" statistic) and the last value */
static uint64_t fs_base_round(struct kvm_vcpu *vcpu, uint64_t round)
{
	uint64_t exits = vcpu_stat(vcpu, "exits");
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(round, uc.args[0]);
	TEST_ASSERT_EQ(0x7f0000000000ULL + round * 0x1000 + FS_WRITES - 1, uc.args[1]);
	return vcpu_stat(vcpu, "exits") - exits;
}

/*
 * api.rst 4.97 filters what the VMM names; the MSRs the hardware switches for the guest
 * (FS.base among them) need no exit while the filter leaves them alone, as QEMU's does
 * (it denies MSR_CORE_THREAD_COUNT and a few others): a guest writes FS.base at every task
 * switch. A filter that denies FS.base writes must see every one of them.
 */
static void test_msr_filter_passthrough(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_fs_base_writes);
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR, .args = { KVM_MSR_EXIT_REASON_FILTER },
	};
	static uint8_t deny[8];		/* all zeroes: every MSR of a range denied */
	struct kvm_msr_filter elsewhere = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = { { .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			      .base = MSR_CORE_THREAD_COUNT, .nmsrs = 1, .bitmap = deny } },
	};
	struct kvm_msr_filter fs_base = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = { { .flags = KVM_MSR_FILTER_WRITE, .base = MSR_FS_BASE, .nmsrs = 1,
			      .bitmap = deny } },
	};
	uint64_t without, with, i;

	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_X86_USER_SPACE_MSR) ||
	    !kvm_check_cap(vm->kvm_fd, KVM_CAP_X86_MSR_FILTER))
		subtest_skip("no KVM_CAP_X86_USER_SPACE_MSR / KVM_CAP_X86_MSR_FILTER");
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	without = fs_base_round(vcpu, 1);
	vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &elsewhere);
	with = fs_base_round(vcpu, 2);
	TEST_ASSERT(with < FS_WRITES / 10,
		    "a filter of MSR %#x only: %llu exits for %d FS.base writes (%llu without a "
		    "filter)", MSR_CORE_THREAD_COUNT, (unsigned long long)with, FS_WRITES,
		    (unsigned long long)without);

	/* denied: each write goes to the VMM, which lets it through by writing it itself */
	vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &fs_base);
	for (i = 0; i < FS_WRITES; i++) {
		vcpu_run(vcpu);
		expect_msr_exit(vcpu, KVM_EXIT_X86_WRMSR, MSR_FS_BASE,
				0x7f0000000000ULL + 3 * 0x1000 + i);
		TEST_ASSERT_EQ(KVM_MSR_EXIT_REASON_FILTER, vcpu->run->msr.reason);
		vcpu_set_msr(vcpu, MSR_FS_BASE, vcpu->run->msr.data);
	}
	fs_base_round(vcpu, 3);

	/* and back to a filter elsewhere: no exits again */
	vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &elsewhere);
	with = fs_base_round(vcpu, 4);
	TEST_ASSERT(with < FS_WRITES / 10, "the filter moved off FS.base: %llu exits for %d "
		    "writes", (unsigned long long)with, FS_WRITES);
	kvm_vm_free(vm);
}

/* --- SWAPGS across exits --- */

#define MSR_GS_BASE	0xc0000101
#define GS_KERNEL	0xffff888012340000ULL
#define GS_USER		0x00007f0012345000ULL

/*
 * As a kernel returning to user mode: SWAPGS leaves the kernel's GS base in KERNEL_GS_BASE,
 * where only the CPU has it (no exit), across several exits; SWAPGS back must find it.
 */
static void guest_swapgs(void)
{
	x86_wrmsr(MSR_GS_BASE, GS_KERNEL);
	x86_wrmsr(MSR_KERNEL_GS_BASE, GS_USER);
	asm volatile("swapgs" : : : "memory");
	GUEST_SYNC(0);
	GUEST_SYNC(1, x86_rdmsr(MSR_GS_BASE), x86_rdmsr(MSR_KERNEL_GS_BASE));
	asm volatile("swapgs" : : : "memory");
	GUEST_SYNC(2, x86_rdmsr(MSR_GS_BASE), x86_rdmsr(MSR_KERNEL_GS_BASE));
	GUEST_DONE();
}

/* GS.base and KERNEL_GS_BASE as KVM_GET_SREGS and KVM_GET_MSRS show them */
static void expect_gs_bases(struct kvm_vcpu *vcpu, uint64_t gs_base, uint64_t kernel_gs_base)
{
	struct kvm_sregs sregs;

	vcpu_get_sregs(vcpu, &sregs);
	TEST_ASSERT_EQ(gs_base, sregs.gs.base);
	TEST_ASSERT_EQ(kernel_gs_base, vcpu_get_msr(vcpu, MSR_KERNEL_GS_BASE));
}

static void test_swapgs(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_swapgs);
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(0, uc.args[0]);
	expect_gs_bases(vcpu, GS_USER, GS_KERNEL);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	TEST_ASSERT_EQ(GS_USER, uc.args[1]);
	TEST_ASSERT_EQ(GS_KERNEL, uc.args[2]);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	TEST_ASSERT_EQ(GS_KERNEL, uc.args[1]);
	TEST_ASSERT_EQ(GS_USER, uc.args[2]);
	expect_gs_bases(vcpu, GS_KERNEL, GS_USER);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- XSETBV --- */

static uint64_t xsetbv_faults, xsetbv_vector, xsetbv_error_code;

static void guest_xsetbv_fault(struct ex_regs *regs)
{
	xsetbv_faults++;
	xsetbv_vector = regs->vector;
	xsetbv_error_code = regs->error_code;
	regs->rip += 3;		/* xsetbv is 0f 01 d1 */
}

/* XSETBV; returns the vector it raised (handled above), or 0xff for none. */
static uint64_t guest_try_xsetbv(uint32_t index, uint64_t value)
{
	uint64_t before = xsetbv_faults;

	asm volatile("xsetbv" : : "c"(index), "a"((uint32_t)value),
		     "d"((uint32_t)(value >> 32)) : "memory");
	return xsetbv_faults != before ? xsetbv_vector : 0xff;
}

static uint32_t guest_xsave_size(void)
{
	uint32_t eax, ebx, ecx, edx;

	x86_cpuid(0xd, 0, &eax, &ebx, &ecx, &edx);
	return ebx;
}

/*
 * Only XSETBVs that fault: in the emulated AMD host (QEMU TCG) XSETBV does not exit to
 * KVM, so a valid one would change the host's XCR0 behind KVM's back (it did, with stock
 * KVM: "Bad FPU state detected" and a dead host). Invalid ones fault without changing it,
 * whoever checks them.
 */
static void guest_xsetbv(uint64_t supported)
{
	uint64_t xcr0 = x86_xgetbv(0);
	uint64_t cr4 = x86_read_cr4();
	uint32_t size = guest_xsave_size();

	/* invalid: #GP(0), XCR0 unchanged (SDM vol. 2C, XSETBV) */
	GUEST_ASSERT_EQ(GP_VECTOR, guest_try_xsetbv(0, 0));		/* x87 clear */
	GUEST_ASSERT_EQ(0, xsetbv_error_code);
	GUEST_ASSERT_EQ(GP_VECTOR, guest_try_xsetbv(0, XFEATURE_MASK_SSE));
	if (supported & XFEATURE_MASK_AVX)				/* AVX without SSE */
		GUEST_ASSERT_EQ(GP_VECTOR, guest_try_xsetbv(0, XFEATURE_MASK_X87 |
							       XFEATURE_MASK_AVX));
	GUEST_ASSERT_EQ(GP_VECTOR, guest_try_xsetbv(0, xcr0 | (1ULL << 62))); /* unsupported */
	GUEST_ASSERT_EQ(GP_VECTOR, guest_try_xsetbv(1, 1));		/* no XCR1 */
	GUEST_ASSERT_EQ(GP_VECTOR, guest_try_xsetbv(0x80000000, 1));
	GUEST_ASSERT_EQ(0, xsetbv_error_code);
	GUEST_ASSERT_EQ(xcr0, x86_xgetbv(0));
	GUEST_ASSERT_EQ(size, guest_xsave_size());

	/* CR4.OSXSAVE clear: #UD */
	x86_write_cr4(cr4 & ~X86_CR4_OSXSAVE);
	GUEST_ASSERT_EQ(UD_VECTOR, guest_try_xsetbv(0, xcr0));
	x86_write_cr4(cr4);
	GUEST_SYNC(xsetbv_faults, xcr0, size);
	GUEST_DONE();
}

/*
 * RDPMC without a virtual PMU on AMD: an ECX past the counters is #GP(0); counter 0 reads 0
 * before Linux 6.5 and is #GP(0) too from then on (stock KVM of each kernel; compat.h). The
 * CPU under the host may have no counters at all: QEMU TCG raises #UD; KVM intercepts
 * RDPMC. A segment prefix on it is skipped with it (difftest_guest: "fs rdpmc").
 */
static uint64_t rdpmc_vector = 0xff;
static bool rdpmc_needs_vpmu;

static void guest_rdpmc_fault(struct ex_regs *regs)
{
	rdpmc_vector = regs->vector;
	regs->rip += 3;		/* fs rdpmc: 64 0f 33 */
}

static void guest_rdpmc(void)
{
	uint32_t lo = 0x1111, hi = 0x2222;

	asm volatile(".byte 0x64; rdpmc" : "+a"(lo), "+d"(hi) : "c"(0) : "memory");
	if (rdpmc_needs_vpmu) {
		GUEST_ASSERT_EQ(GP_VECTOR, rdpmc_vector);
		GUEST_ASSERT_EQ(0x1111, lo);	/* unchanged */
		GUEST_ASSERT_EQ(0x2222, hi);
		rdpmc_vector = 0xff;
	} else {
		GUEST_ASSERT_EQ(0xff, rdpmc_vector);
		GUEST_ASSERT_EQ(0, lo | hi);
	}
	asm volatile(".byte 0x64; rdpmc" : "=a"(lo), "=d"(hi) : "c"(0x100) : "memory");
	GUEST_ASSERT_EQ(GP_VECTOR, rdpmc_vector);
	GUEST_DONE();
}

static void test_rdpmc(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_rdpmc);

	if (!kvm_is_amd())
		subtest_skip("AMD only (Intel's counters differ)");
	vm_install_exception_handler(vm, GP_VECTOR, guest_rdpmc_fault);
	vm_install_exception_handler(vm, UD_VECTOR, guest_rdpmc_fault);
	rdpmc_needs_vpmu = host_kernel_at_least(6, 5);
	sync_global_to_guest(vm, rdpmc_needs_vpmu);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

static void test_xsetbv(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_xsetbv);
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vm, 1, 0);
	const struct kvm_cpuid_entry2 *d = vm_cpuid_entry(vm, 0xd, 0);
	uint64_t supported, xcr0;
	struct kvm_xcrs xcrs;
	struct ucall uc;

	if (!(e->ecx & CPUID_1_ECX_XSAVE) || !d)
		subtest_skip("no XSAVE in the supported CPUID");
	supported = d->eax | (uint64_t)d->edx << 32;
	vm_install_exception_handler(vm, GP_VECTOR, guest_xsetbv_fault);
	vm_install_exception_handler(vm, UD_VECTOR, guest_xsetbv_fault);
	vcpu_set_args(vcpu, supported);
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	xcr0 = xcrs.xcrs[0].value;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(supported & XFEATURE_MASK_AVX ? 7 : 6, uc.args[0]);	/* faults */
	TEST_ASSERT_EQ(xcr0, uc.args[1]);	/* the guest's XCR0 is KVM_SET_XCRS's */
	/* CPUID.(0xd,0):EBX: the XSAVE area size for the XCR0 in force */
	TEST_ASSERT_EQ(xcr0 & XFEATURE_MASK_AVX ? 832 : 576, uc.args[2]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	TEST_ASSERT_EQ(xcr0, xcrs.xcrs[0].value);
	kvm_vm_free(vm);
}

/* --- SYSCALL with the guest's own STAR/LSTAR/SFMASK --- */

#define SC_FLAGS_MASKED	0x40400ULL	/* SFMASK: AC and DF (RFLAGS bits 18 and 10) */
#define SC_ROUNDS	4

static volatile uint64_t sc_count, sc_rcx, sc_r11, sc_flags;
extern const uint8_t sc_entry[], sc_ret[];

/*
 * The SYSCALL target, at CPL 0 (SDM vol. 2B SYSCALL, APM vol. 3): CS from STAR[47:32], the
 * return RIP in RCX, RFLAGS in R11 and RFLAGS with the SFMASK bits cleared. Back with the
 * saved RFLAGS.
 */
asm(".pushsection .text\n"
    "sc_entry:\n\t"
    "incq sc_count(%rip)\n\t"
    "movq %rcx, sc_rcx(%rip)\n\t"
    "movq %r11, sc_r11(%rip)\n\t"
    "pushfq\n\t"
    "popq sc_flags(%rip)\n\t"
    "pushq %r11\n\t"
    "popfq\n\t"
    "jmp *%rcx\n\t"
    ".popsection");

/*
 * SYSCALL in a loop, an exit to userspace between two (KVM_RUN returns, the host's own
 * SYSCALL MSRs are back in the CPU, as this process's next system call needs them): each
 * must go through the guest's MSRs.
 */
static void guest_syscall(void)
{
	int i;

	x86_wrmsr(MSR_EFER, x86_rdmsr(MSR_EFER) | 1);	/* EFER.SCE: SYSCALL enabled */
	x86_wrmsr(MSR_STAR, (uint64_t)GUEST_SEL_CODE << 32);
	x86_wrmsr(MSR_LSTAR, (uint64_t)sc_entry);
	x86_wrmsr(MSR_SYSCALL_MASK, SC_FLAGS_MASKED);
	for (i = 0; i < SC_ROUNDS; i++) {
		asm volatile("std\n\t"
			     "syscall\n"
			     "sc_ret:\n\t"
			     "cld" : : : "rcx", "r11", "memory", "cc");
		GUEST_SYNC(sc_count, sc_rcx, sc_r11, sc_flags);
	}
	GUEST_DONE();
}

static void test_syscall(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_syscall);
	struct ucall uc;
	int i;

	for (i = 0; i < SC_ROUNDS; i++) {
		vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
		TEST_ASSERT_EQ(i + 1, uc.args[0]);
		TEST_ASSERT_EQ((uint64_t)sc_ret, uc.args[1]);
		TEST_ASSERT(uc.args[2] & 0x400, "R11 (RFLAGS at SYSCALL): DF expected set, got %#llx",
			    (unsigned long long)uc.args[2]);
		TEST_ASSERT(!(uc.args[3] & SC_FLAGS_MASKED),
			    "RFLAGS in the SYSCALL target: bits %#llx expected clear (SFMASK), "
			    "got %#llx", SC_FLAGS_MASKED, (unsigned long long)uc.args[3]);
		TEST_ASSERT_EQ(0x2ULL, uc.args[3] & 0x2ULL);
	}
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- VMRUN refuses the state --- */

static void guest_done(void)
{
	GUEST_DONE();
}

/*
 * Long mode with CS.L and CS.D both set is reserved (SDM 5.2.1, APM 4.8.1); VMRUN checks it
 * (APM vol. 2 section 15.5.1, VMEXIT_INVALID), VM entry too (SDM 27.3.1.2).
 */
static void test_fail_entry(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_done);
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_get_regs(vcpu, &regs);
	vcpu_get_sregs(vcpu, &sregs);
	TEST_ASSERT_EQ(1, sregs.cs.l);
	sregs.cs.db = 1;
	vcpu_set_sregs(vcpu, &sregs);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_FAIL_ENTRY);
	ksft_print_msg("hardware_entry_failure_reason %#llx\n",
		       (unsigned long long)vcpu->run->fail_entry.hardware_entry_failure_reason);
	if (kvm_is_amd())	/* the VMEXIT_INVALID exit code (-1), as 32 bits */
		TEST_ASSERT_EQ(0xffffffffULL,
			       vcpu->run->fail_entry.hardware_entry_failure_reason);

	/*
	 * Fixed, it runs. The registers are set again too: what a failed VMRUN leaves in the
	 * guest state is the CPU's business (QEMU's SVM leaves a RIP of its own there).
	 */
	sregs.cs.db = 0;
	vcpu_set_sregs(vcpu, &sregs);
	vcpu_set_regs(vcpu, &regs);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(13);
	run_subtest(test_triple_fault,
		    "triple fault: KVM_EXIT_SHUTDOWN (64-bit and 32-bit guests)");
	run_subtest(test_hypercalls,
		    "hypercalls: unknown number -KVM_ENOSYS, KVM_HC_VAPIC_POLL_IRQ 0");
	run_subtest(test_cpuid_table, "guest CPUID: the KVM_SET_CPUID2 table, 0 outside it (AMD)");
	run_subtest(test_cpuid_intel_out_of_range,
		    "guest CPUID: Intel vendor, leaves above the range read the last basic leaf");
	run_subtest(test_cpuid_osxsave, "guest CPUID.1:ECX.OSXSAVE follows CR4.OSXSAVE");
	run_subtest(test_guest_msrs, "guest RDMSR/WRMSR agree with KVM_SET_MSRS/KVM_GET_MSRS");
	run_subtest(test_user_space_msrs,
		    "MSR exits to userspace: INVAL, UNKNOWN, FILTER; immediate_exit completes");
	run_subtest(test_msr_filter_passthrough,
		    "MSR filter elsewhere: FS.base writes without exits; denied: each one exits");
	run_subtest(test_swapgs, "SWAPGS: KERNEL_GS_BASE and GS.base follow the guest across exits");
	run_subtest(test_syscall, "SYSCALL: the guest's STAR, LSTAR and SFMASK, across exits "
		    "to userspace");
	run_subtest(test_rdpmc, "guest RDPMC on AMD: counter 0 reads 0 (#GP from 6.5), ECX 0x100 #GP(0)");
	run_subtest(test_xsetbv,
		    "guest XSETBV: invalid values #GP, XCR0 unchanged; #UD without CR4.OSXSAVE");
	run_subtest(test_fail_entry,
		    "long mode with CS.L and CS.D: KVM_EXIT_FAIL_ENTRY, runs once fixed");
	ksft_finished();
}
