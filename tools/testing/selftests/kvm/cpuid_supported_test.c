// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_GET_SUPPORTED_CPUID's table (api.rst 4.46 and 9.1) as the in-tree KVM reports it
 * (KVM=stock passes this test too):
 *  - the table, printed entry by entry (function, index, flags, EAX..EDX) for diffing;
 *  - its shape: no entry twice, flags only KVM_CPUID_FLAG_SIGNIFCANT_INDEX, which the
 *    subleaf leaves 4, 7, 0xB, 0xD, 0x1F and 0x8000001D carry and the plain leaves do not;
 *    every leaf from 0 to CPUID.0:EAX (and from 0x80000000 to CPUID.0x80000000:EAX) is
 *    there, and none beyond;
 *  - the topology leaves: 0xB and 0x1F are subleaves 0, 1, ... of level types not 0
 *    (ECX[15:8]) ending in one of type 0 whose EAX and EBX are 0 (SDM vol. 2A CPUID; KVM
 *    gives only that end); 0x8000001E is zeros ("all zeroes", api.rst 9.1); the cache leaves
 *    4 and 0x8000001D are the host's CPUID subleaf by subleaf up to one of cache type 0
 *    (EAX[4:0]), which is the last;
 *  - a guest's CPUID answers exactly the entries of a topology the VMM sets with
 *    KVM_SET_CPUID2 in those leaves (and leaf 1 EBX), with the ranges raised to cover
 *    them, and KVM_GET_CPUID2 gives them back.
 */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "x86_guest.h"

#define CACHE_TYPE(eax)		((eax) & 0x1f)
#define LEVEL_TYPE(ecx)		(((ecx) >> 8) & 0xff)

static struct kvm_cpuid2 *supported;

static struct kvm_cpuid2 *get_supported(int kvm, int nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	TEST_ASSERT(c, "calloc");
	c->nent = nent;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c)) {
		TEST_ASSERT(errno == E2BIG, "KVM_GET_SUPPORTED_CPUID(nent %d): errno %d", nent,
			    errno);
		free(c);
		return NULL;
	}
	return c;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == function && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

static int nr_subleaves(struct kvm_cpuid2 *c, uint32_t function)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < c->nent; i++)
		n += c->entries[i].function == function;
	return n;
}

static bool is_indexed_leaf(uint32_t function)
{
	switch (function) {
	case 4: case 7: case 0xb: case 0xd: case 0x1f: case 0x8000001d:
		return true;
	default:
		return false;
	}
}

static void test_table(void)
{
	int kvm = kvm_open(), nent;
	uint32_t i, j, max_basic, max_ext = 0;
	struct kvm_cpuid_entry2 *e;

	/* the smallest nent that fits: E2BIG below it (api.rst 4.46) */
	for (nent = 1; !(supported = get_supported(kvm, nent)); nent++)
		TEST_ASSERT(nent < 1024, "KVM_GET_SUPPORTED_CPUID: E2BIG up to nent %d", nent);
	TEST_ASSERT_EQ((uint32_t)nent, supported->nent);
	ksft_print_msg("%u entries: function index flags eax ebx ecx edx\n", supported->nent);
	for (i = 0; i < supported->nent; i++) {
		e = &supported->entries[i];
		ksft_print_msg("%08x %2u %u %08x %08x %08x %08x\n", e->function, e->index,
			       e->flags, e->eax, e->ebx, e->ecx, e->edx);
	}
	close(kvm);

	e = find(supported, 0, 0);
	TEST_ASSERT(e, "no leaf 0");
	max_basic = e->eax;
	e = find(supported, 0x80000000, 0);
	if (e) {
		max_ext = e->eax;
		TEST_ASSERT(max_ext >= 0x80000000, "CPUID.0x80000000:EAX %#x", max_ext);
	}
	for (i = 0; i <= max_basic; i++)
		TEST_ASSERT(find(supported, i, 0), "leaf %#x (CPUID.0:EAX %#x) missing", i,
			    max_basic);
	for (i = 0x80000000; max_ext && i <= max_ext; i++)
		TEST_ASSERT(find(supported, i, 0), "leaf %#x (CPUID.0x80000000:EAX %#x) missing",
			    i, max_ext);

	for (i = 0; i < supported->nent; i++) {
		e = &supported->entries[i];
		TEST_ASSERT(e->function <= max_basic ||
			    (e->function >= 0x40000000 && e->function < 0x80000000) ||
			    (e->function >= 0x80000000 && e->function <= max_ext),
			    "leaf %#x beyond its range (%#x, %#x)", e->function, max_basic,
			    max_ext);
		TEST_ASSERT(!(e->flags & ~KVM_CPUID_FLAG_SIGNIFCANT_INDEX),
			    "leaf %#x.%u: flags %#x", e->function, e->index, e->flags);
		if (is_indexed_leaf(e->function))
			TEST_ASSERT(e->flags == KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
				    "leaf %#x.%u without KVM_CPUID_FLAG_SIGNIFCANT_INDEX",
				    e->function, e->index);
		if (e->function <= 3 || e->function == 6 ||
		    (e->function >= 0x80000000 && e->function <= 0x80000008))
			TEST_ASSERT(!e->flags && !e->index, "leaf %#x.%u: flags %#x",
				    e->function, e->index, e->flags);
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX))
			TEST_ASSERT_EQ(0, e->index);
		for (j = 0; j < i; j++)
			TEST_ASSERT(e->function != supported->entries[j].function ||
				    e->index != supported->entries[j].index,
				    "leaf %#x.%u twice", e->function, e->index);
	}
	ksft_test_result_pass("KVM_GET_SUPPORTED_CPUID: %u entries, leaves 0-%#x, 0x80000000-%#x\n",
			      supported->nent, max_basic, max_ext);
}

/* 0xB and 0x1F: level types not 0 at subleaves 0, 1, ..., the last of type 0 */
static void check_topology_leaf(uint32_t function)
{
	int n = nr_subleaves(supported, function), i;
	struct kvm_cpuid_entry2 *e;

	TEST_ASSERT(n > 0, "leaf %#x has no entry", function);
	for (i = 0; i < n; i++) {
		e = find(supported, function, i);
		TEST_ASSERT(e, "leaf %#x: %d subleaves, no subleaf %d", function, n, i);
		TEST_ASSERT((e->ecx & 0xff) == (uint32_t)i || (i == n - 1 && !e->ecx),
			    "leaf %#x.%d: ECX[7:0] %#x", function, i, e->ecx & 0xff);
		if (i < n - 1) {
			TEST_ASSERT(LEVEL_TYPE(e->ecx), "leaf %#x.%d of level type 0 before the end",
				    function, i);
			continue;
		}
		TEST_ASSERT(!LEVEL_TYPE(e->ecx), "leaf %#x ends with level type %u", function,
			    LEVEL_TYPE(e->ecx));
		TEST_ASSERT(!e->eax && !e->ebx, "leaf %#x.%d (invalid level): EAX %#x EBX %#x",
			    function, i, e->eax, e->ebx);
	}
}

/* 4 and 0x8000001D: the host's subleaves up to the first of cache type 0 */
static void check_cache_leaf(uint32_t function)
{
	int n = nr_subleaves(supported, function), i;
	struct kvm_cpuid_entry2 *e;
	uint32_t eax, ebx, ecx, edx;

	TEST_ASSERT(n > 0, "leaf %#x has no entry", function);
	for (i = 0; i < n; i++) {
		e = find(supported, function, i);
		TEST_ASSERT(e, "leaf %#x: %d subleaves, no subleaf %d", function, n, i);
		TEST_ASSERT(!CACHE_TYPE(e->eax) == (i == n - 1),
			    "leaf %#x.%d: cache type %u (%d subleaves)", function, i,
			    CACHE_TYPE(e->eax), n);
		if (i == n - 1)
			break;
		__cpuid_count(function, i, eax, ebx, ecx, edx);
		TEST_ASSERT(e->eax == eax && e->ebx == ebx && e->ecx == ecx && e->edx == edx,
			    "leaf %#x.%d: %08x %08x %08x %08x, the host's %08x %08x %08x %08x",
			    function, i, e->eax, e->ebx, e->ecx, e->edx, eax, ebx, ecx, edx);
	}
}

static void test_topology_leaves(void)
{
	uint32_t max_basic = find(supported, 0, 0)->eax;
	struct kvm_cpuid_entry2 *max_ext = find(supported, 0x80000000, 0), *e;
	int checked = 0;

	if (max_basic >= 4) {
		check_cache_leaf(4);
		checked++;
	}
	if (max_basic >= 0xb) {
		check_topology_leaf(0xb);
		checked++;
	}
	if (max_basic >= 0x1f) {
		check_topology_leaf(0x1f);
		checked++;
	}
	if (max_ext && max_ext->eax >= 0x8000001d) {
		check_cache_leaf(0x8000001d);
		checked++;
	}
	if (max_ext && max_ext->eax >= 0x8000001e) {
		e = find(supported, 0x8000001e, 0);
		TEST_ASSERT(!e->eax && !e->ebx && !e->ecx && !e->edx,
			    "leaf 0x8000001e: %08x %08x %08x %08x, not zeros", e->eax, e->ebx,
			    e->ecx, e->edx);
		checked++;
	}
	ksft_test_result_pass("topology leaves: %d checked\n", checked);
}

/* --- a topology of the VMM's, as the guest sees it --- */

#define MAX_QUERIES	32

struct cpuid_query {
	uint32_t function, index;
	uint32_t regs[4];
};

static struct cpuid_query queries[MAX_QUERIES];
static int nr_queries;

static void guest_queries(void)
{
	int i;

	for (i = 0; i < nr_queries; i++)
		x86_cpuid(queries[i].function, queries[i].index, &queries[i].regs[0],
			  &queries[i].regs[1], &queries[i].regs[2], &queries[i].regs[3]);
	GUEST_DONE();
}

/* The table to set: the supported one with these entries put in (or replaced) */
static struct kvm_cpuid2 *table;

static struct kvm_cpuid_entry2 *put(uint32_t function, uint32_t index, uint32_t eax,
				    uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = find(table, function, index);

	if (!e) {
		e = &table->entries[table->nent++];
		memset(e, 0, sizeof(*e));
	}
	e->function = function;
	e->index = index;
	e->flags = is_indexed_leaf(function) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
	if (e->flags) {
		TEST_ASSERT(nr_queries < MAX_QUERIES, "too many queries");
		queries[nr_queries++] = (struct cpuid_query){ .function = function,
							     .index = index };
	}
	return e;
}

/* Remove every subleaf of a leaf (swap with the last entry) */
static void drop_leaf(uint32_t function)
{
	uint32_t i = 0;

	while (i < table->nent) {
		if (table->entries[i].function == function)
			table->entries[i] = table->entries[--table->nent];
		else
			i++;
	}
}

static void test_guest_topology(void)
{
	struct kvm_cpuid_entry2 *e, *got;
	struct kvm_cpuid2 *back;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint32_t x2apic_id = 0x15, leaf1_ebx;
	int i;

	table = calloc(1, sizeof(*table) + (supported->nent + MAX_QUERIES + 4) *
			  sizeof(table->entries[0]));
	TEST_ASSERT(table, "calloc");
	table->nent = supported->nent;
	memcpy(table->entries, supported->entries, supported->nent * sizeof(table->entries[0]));

	/* both ranges cover the leaves below */
	e = find(table, 0, 0);
	if (e->eax < 0x1f)
		e->eax = 0x1f;
	e = find(table, 0x80000000, 0);
	TEST_ASSERT(e, "no leaf 0x80000000");
	if (e->eax < 0x8000001e)
		e->eax = 0x8000001e;

	/* one package, 2 cores of 2 threads: x2APIC ID 0x15 is thread 1 of core 2 of die 1 */
	e = find(table, 1, 0);
	e->ebx = (e->ebx & 0xffff) | 4 << 16 | x2apic_id << 24;	/* count 4, APIC ID */
	leaf1_ebx = e->ebx;
	drop_leaf(4);
	put(4, 0, 0x04000121, 0x01c0003f, 0x0000003f, 0);	/* L1d, 2 threads sharing */
	put(4, 1, 0x04000122, 0x01c0003f, 0x0000003f, 0);	/* L1i */
	put(4, 2, 0x04004143, 0x03c0003f, 0x00000fff, 0);	/* L2, 2 sharing */
	put(4, 3, 0x0400c163, 0x03c0003f, 0x00003fff, 6);	/* L3, 4 sharing */
	put(4, 4, 0, 0, 0, 0);
	drop_leaf(0xb);
	put(0xb, 0, 1, 2, 0x100, x2apic_id);			/* SMT: shift 1, 2 threads */
	put(0xb, 1, 3, 4, 0x201, x2apic_id);			/* core: shift 3, 4 threads */
	put(0xb, 2, 0, 0, 2, x2apic_id);			/* invalid: the end */
	drop_leaf(0x1f);
	put(0x1f, 0, 1, 2, 0x100, x2apic_id);
	put(0x1f, 1, 2, 4, 0x201, x2apic_id);
	put(0x1f, 2, 3, 8, 0x502, x2apic_id);			/* die */
	put(0x1f, 3, 0, 0, 3, x2apic_id);
	drop_leaf(0x8000001d);
	put(0x8000001d, 0, 0x00004121, 0x01c0003f, 0x0000003f, 0);
	put(0x8000001d, 1, 0x00004122, 0x00c0003f, 0x000000ff, 0);
	put(0x8000001d, 2, 0x00004143, 0x01c0003f, 0x000003ff, 2);
	put(0x8000001d, 3, 0x0001c163, 0x03c0003f, 0x00001fff, 1);
	put(0x8000001d, 4, 0, 0, 0, 0);
	/* 0x8000001E: extended APIC ID, compute unit (thread count - 1 in [15:8]), node */
	put(0x8000001e, 0, x2apic_id, 0x00000102, 0x00000001, 0);
	queries[nr_queries++] = (struct cpuid_query){ .function = 0x8000001e, .index = 0 };
	queries[nr_queries++] = (struct cpuid_query){ .function = 1, .index = 0 };

	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);	/* copies queries[] */
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_queries);
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, table);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	sync_global_from_guest(vm, queries);

	for (i = 0; i < nr_queries; i++) {
		struct cpuid_query *q = &queries[i];

		e = find(table, q->function, q->index);
		if (q->function == 1) {
			TEST_ASSERT(q->regs[1] == leaf1_ebx, "guest CPUID.1:EBX %#x, set %#x",
				    q->regs[1], leaf1_ebx);
			continue;
		}
		TEST_ASSERT(q->regs[0] == e->eax && q->regs[1] == e->ebx &&
			    q->regs[2] == e->ecx && q->regs[3] == e->edx,
			    "guest CPUID(%#x, %u): %08x %08x %08x %08x, set %08x %08x %08x %08x",
			    q->function, q->index, q->regs[0], q->regs[1], q->regs[2],
			    q->regs[3], e->eax, e->ebx, e->ecx, e->edx);
	}

	/* KVM_GET_CPUID2: the same entries, flags included */
	back = calloc(1, sizeof(*back) + table->nent * sizeof(back->entries[0]));
	TEST_ASSERT(back, "calloc");
	back->nent = table->nent;
	vcpu_ioctl(vcpu, KVM_GET_CPUID2, back);
	TEST_ASSERT_EQ(table->nent, back->nent);
	for (i = 0; i < nr_queries; i++) {
		if (queries[i].function == 1)
			continue;
		e = find(table, queries[i].function, queries[i].index);
		got = find(back, queries[i].function, queries[i].index);
		TEST_ASSERT(got, "KVM_GET_CPUID2 lost leaf %#x.%u", e->function, e->index);
		TEST_ASSERT(e->flags == got->flags && e->eax == got->eax && e->ebx == got->ebx &&
			    e->ecx == got->ecx && e->edx == got->edx,
			    "KVM_GET_CPUID2 leaf %#x.%u: flags %u %08x %08x %08x %08x, set flags %u %08x %08x %08x %08x",
			    e->function, e->index, got->flags, got->eax, got->ebx, got->ecx,
			    got->edx, e->flags, e->eax, e->ebx, e->ecx, e->edx);
	}
	kvm_vm_free(vm);
	free(back);
	free(table);
	ksft_test_result_pass("guest CPUID answers the topology set (%d subleaves)\n",
			      nr_queries);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(3);
	test_table();
	test_topology_leaves();
	test_guest_topology();
	free(supported);
	ksft_finished();
}
