// SPDX-License-Identifier: GPL-2.0-only
/*
 * 2 MiB nested mappings and the iTLB multihit workaround (kvm.nx_huge_pages; api.rst 4.133
 * for the statistics, Documentation/admin-guide/hw-vuln/multihit.rst for the workaround):
 *  - a guest reading a slot that transparent huge pages back gets one 2 MiB leaf per huge
 *    page (the VM's pages_2m statistic);
 *  - with nx_huge_pages off, the guest executes from them as they are;
 *  - with it on, the first instruction fetch in one splits it (pages_2m one less,
 *    nx_lpage_splits one more), and more fetches and reads in that range split nothing more.
 * Dirty logging maps the slot with 4 KiB leaves; once it stops, the guest's accesses map
 * 2 MiB leaves again (as Linux KVM drops collapsible mappings then).
 * The mode the modules were loaded with is tested first, then the other one after a reload
 * of kvm.ko with nx_huge_pages=off or force (needs the harness's module lists; a reload at
 * the end restores the default). On the stock module too.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "x86_guest.h"

#define DATA_SLOT	1
#define DATA_GPA	(1024 * MiB)
#define HUGE		(2 * MiB)
#define NR_HUGE		4
#define DATA_SIZE	(NR_HUGE * HUGE)
/* two code pages and a data page in the second huge page, the range that gets split */
#define CODE_A		(DATA_GPA + HUGE + 0x1000)
#define CODE_B		(DATA_GPA + HUGE + 0x3000)
#define DATA_IN_SPLIT	(DATA_GPA + HUGE + 0x5000)
#define RET		0xc3

static void guest_code(void)
{
	volatile uint8_t *d = (volatile uint8_t *)DATA_GPA;
	int i;

	GUEST_SYNC(0);
	for (i = 0; i < NR_HUGE; i++)
		(void)d[i * HUGE + 64];
	GUEST_SYNC(1);
	((void (*)(void))CODE_A)();
	GUEST_SYNC(2);
	((void (*)(void))CODE_B)();
	(void)*(volatile uint8_t *)DATA_IN_SPLIT;
	GUEST_SYNC(3);
	for (i = 0; i < NR_HUGE; i++)
		d[i * HUGE + 128] = 1;
	GUEST_DONE();
}

static void guest_writer(void)
{
	volatile uint64_t *d = (volatile uint64_t *)DATA_GPA;
	uint64_t round;
	int i;

	GUEST_SYNC(0);
	for (round = 1;; round++) {
		for (i = 0; i < NR_HUGE; i++)
			d[(i * HUGE + 256) / 8] = round;
		GUEST_SYNC(round);
	}
}

static bool nx_huge_pages_on(void)
{
	char v[16] = "";
	FILE *f = fopen("/sys/module/kvm/parameters/nx_huge_pages", "r");

	TEST_ASSERT(f && fgets(v, sizeof(v), f), "read kvm.nx_huge_pages");
	fclose(f);
	return v[0] == 'Y' || v[0] == '1';
}

struct counts {
	uint64_t pages_2m, pages_4k, splits;
};

static struct counts read_counts(struct kvm_vm *vm)
{
	return (struct counts){
		.pages_2m = vm_stat(vm, "pages_2m"),
		.pages_4k = vm_stat(vm, "pages_4k"),
		.splits = vm_stat(vm, "nx_lpage_splits"),
	};
}

static void run_to_sync(struct kvm_vcpu *vcpu, uint64_t stage)
{
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(stage, uc.args[0]);
}

/* DATA_SIZE of memory the host backs with huge pages (the subtest skips if it cannot) */
static uint8_t *huge_backed(struct kvm_vm *vm)
{
	uint8_t *data = mmap_aligned(DATA_SIZE, HUGE);
	long long huge_kb = anon_huge_kb();
	int i;

	TEST_ASSERT(!madvise(data, DATA_SIZE, MADV_HUGEPAGE), "madvise(MADV_HUGEPAGE)");
	for (i = 0; i < NR_HUGE; i++)
		memset(data + i * HUGE, 0, HUGE);
	if (anon_huge_kb() - huge_kb < (long long)(DATA_SIZE / 1024)) {
		kvm_vm_free(vm);
		subtest_skip("the host backed %lld of %llu kB with huge pages",
			     anon_huge_kb() - huge_kb, DATA_SIZE / 1024);
	}
	return data;
}

/* One VM on a fresh THP-backed slot; expects the split where nx is on. */
static void check_mode(bool nx)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	uint8_t *data = huge_backed(vm);
	struct counts base, c;
	int i;

	data[CODE_A - DATA_GPA] = RET;
	data[CODE_B - DATA_GPA] = RET;
	vm_set_slot(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, data);
	guest_map_range(vm, DATA_GPA, DATA_GPA, DATA_SIZE);

	run_to_sync(vcpu, 0);
	base = read_counts(vm);

	/* reads: one 2 MiB leaf per huge page */
	run_to_sync(vcpu, 1);
	c = read_counts(vm);
	TEST_ASSERT_EQ(base.pages_2m + NR_HUGE, c.pages_2m);
	TEST_ASSERT_EQ(base.splits, c.splits);

	/* a fetch: the huge page it is in splits where nx is on */
	run_to_sync(vcpu, 2);
	c = read_counts(vm);
	TEST_ASSERT_EQ(base.pages_2m + NR_HUGE - nx, c.pages_2m);
	TEST_ASSERT_EQ(base.splits + nx, c.splits);

	/* another fetch and a read in the same range: nothing more splits */
	run_to_sync(vcpu, 3);
	c = read_counts(vm);
	TEST_ASSERT_EQ(base.pages_2m + NR_HUGE - nx, c.pages_2m);
	TEST_ASSERT_EQ(base.splits + nx, c.splits);
	if (nx)
		TEST_ASSERT(c.pages_4k >= base.pages_4k + 3,
			    "pages_4k %lu after 3 pages split out, was %lu", c.pages_4k,
			    base.pages_4k);

	/* writes to every huge page keep their leaves as they were */
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	c = read_counts(vm);
	TEST_ASSERT_EQ(base.pages_2m + NR_HUGE - nx, c.pages_2m);
	TEST_ASSERT_EQ(base.splits + nx, c.splits);
	for (i = 0; i < NR_HUGE; i++)
		TEST_ASSERT_EQ(1, data[i * HUGE + 128]);
	ksft_print_msg("nx_huge_pages %s: pages_2m %lu -> %lu, nx_lpage_splits %lu\n",
		       nx ? "on" : "off", base.pages_2m, c.pages_2m, c.splits);
	kvm_vm_free(vm);
}

static void test_loaded_mode(void)
{
	check_mode(nx_huge_pages_on());
}

/* dirty logging on, then off: 2 MiB, 4 KiB while logging, 2 MiB again */
static void test_dirty_log_and_back(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_writer);
	uint8_t *data = huge_backed(vm);
	uint64_t bitmap[DATA_SIZE / PAGE_SIZE / 64] = {};
	struct kvm_dirty_log log = { .slot = DATA_SLOT, .dirty_bitmap = bitmap };
	struct counts base, c;
	int i;

	vm_set_slot(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, data);
	guest_map_range(vm, DATA_GPA, DATA_GPA, DATA_SIZE);
	run_to_sync(vcpu, 0);
	base = read_counts(vm);
	run_to_sync(vcpu, 1);
	TEST_ASSERT_EQ(base.pages_2m + NR_HUGE, read_counts(vm).pages_2m);

	vm_set_slot(vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, data);
	TEST_ASSERT_EQ(base.pages_2m, read_counts(vm).pages_2m);
	run_to_sync(vcpu, 2);
	c = read_counts(vm);
	TEST_ASSERT_EQ(base.pages_2m, c.pages_2m);
	TEST_ASSERT(c.pages_4k >= base.pages_4k + NR_HUGE, "pages_4k %lu while logging, was %lu",
		    c.pages_4k, base.pages_4k);
	vm_ioctl(vm, KVM_GET_DIRTY_LOG, &log);
	for (i = 0; i < NR_HUGE; i++)
		TEST_ASSERT(bitmap[i * HUGE / PAGE_SIZE / 64] & 1, "huge page %d: not dirty", i);

	vm_set_slot(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, data);
	run_to_sync(vcpu, 3);
	c = read_counts(vm);
	TEST_ASSERT_EQ(base.pages_2m + NR_HUGE, c.pages_2m);
	for (i = 0; i < NR_HUGE; i++)
		TEST_ASSERT_EQ(3, ((uint64_t *)data)[(i * HUGE + 256) / 8]);
	ksft_print_msg("logging on, then off: pages_2m %lu, pages_4k %lu\n", c.pages_2m,
		       c.pages_4k);
	kvm_vm_free(vm);
}

/* the other mode, kvm.ko reloaded with it, then with the default again */
static void test_other_mode(void)
{
	bool nx = !nx_huge_pages_on();

	if (!kvm_modules_harness())
		subtest_skip("no module lists from the harness to reload kvm.ko with");
	kvm_modules_unload();
	kvm_modules_load(nx ? "nx_huge_pages=force" : "nx_huge_pages=off");
	TEST_ASSERT_EQ(nx, nx_huge_pages_on());
	check_mode(nx);
}

int main(void)
{
	bool loaded_nx;

	ksft_print_header();
	ksft_set_plan(3);
	loaded_nx = nx_huge_pages_on();
	run_subtest(test_loaded_mode, "2 MiB leaves over huge pages; a fetch splits one iff "
		    "nx_huge_pages (as loaded)");
	run_subtest(test_dirty_log_and_back, "dirty logging maps 4 KiB; once it stops, 2 MiB "
		    "leaves come back");
	run_subtest(test_other_mode, "the same with kvm.ko reloaded in the other "
		    "nx_huge_pages mode");
	/* here, not in the subtest's child: the modules go back even when it failed */
	if (nx_huge_pages_on() != loaded_nx) {
		kvm_modules_unload();
		kvm_modules_load("");
		TEST_ASSERT_EQ(loaded_nx, nx_huge_pages_on());
	}
	ksft_exit_pass();
	return 0;
}
