// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest memory follows the host mm (api.rst 4.35, KVM_CAP_SYNC_MMU: "changes in the backing
 * of the memory region are automatically reflected into the guest ... madvise"): a VMM that
 * discards guest pages with MADV_DONTNEED, as a balloon driver's host side does, gets the
 * memory back, and the guest reads zeroes there afterwards.
 *
 * A long-mode guest fills a 32 MiB slot with a pattern (every 8-byte word names its page and
 * offset). The VMM then discards some pages, first while the vCPU is stopped in a ucall,
 * then from another thread while the guest keeps scanning the slot; after each round the
 * guest reports for every page whether it reads the whole pattern, all zeroes, or anything
 * else, and the host checks that exactly the discarded pages read zero. While the guest
 * runs, a page read after the VMM's madvise() returned must read zero (the guest learns it
 * returned from a flag the VMM writes afterwards): no vCPU may still reach the old page.
 *
 * For the stopped round the memory must come back to the host: exactly the discarded pages
 * of the slot's memory must stop being resident (mincore(), which reads the page tables; the
 * process-wide /proc/self/statm is not exact in 6.1, where each thread caches up to about 64
 * RSS updates before folding them into the mm's counters), and the system must
 * free at least 3/4 of them (/proc/vmstat pgfree - pgalloc_*; the emulated host runs
 * nothing else). A KVM that keeps a reference to mapped pages frees nothing there, and one
 * that keeps mapping them lets the guest read the old contents.
 *
 * Two subtests: the slot backed by 4 KiB pages (MADV_NOHUGEPAGE), and by transparent huge
 * pages (MADV_HUGEPAGE) with whole 2 MiB blocks and single 4 KiB pages inside others
 * discarded (the host splits the huge page; a 2 MiB nested mapping of it must go whole).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "x86_guest.h"

#define DATA_SLOT	1
#define DATA_GPA	(1024 * MiB)
#define DATA_SIZE	(32 * MiB)
#define DATA_PAGES	(DATA_SIZE / PAGE_SIZE)
#define WORDS		(PAGE_SIZE / 8)
#define PAGES_2M	512

enum { PAGE_PATTERN = 1, PAGE_ZERO, PAGE_OTHER };

/* guest side: its own copies, read and written by the host through guest memory */
static uint8_t guest_status[DATA_PAGES];
static volatile uint64_t host_discarded;

static uint64_t pattern(uint64_t page, uint64_t word)
{
	return 0x8000000000000000ULL | page << 16 | word;
}

static volatile uint64_t *guest_page(uint64_t page)
{
	return (volatile uint64_t *)(DATA_GPA + page * PAGE_SIZE);
}

static int guest_check_page(uint64_t page)
{
	volatile uint64_t *p = guest_page(page);
	bool all_zero = true, all_pattern = true;
	uint64_t w, v;

	for (w = 0; w < WORDS; w++) {
		v = p[w];
		all_zero &= !v;
		all_pattern &= v == pattern(page, w);
	}
	return all_pattern ? PAGE_PATTERN : all_zero ? PAGE_ZERO : PAGE_OTHER;
}

static void guest_report(uint64_t round)
{
	uint64_t page;

	for (page = 0; page < DATA_PAGES; page++)
		guest_status[page] = guest_check_page(page);
	GUEST_SYNC(round);
}

static void guest_code(void)
{
	uint64_t page, w, v, scans = 0;

	for (page = 0; page < DATA_PAGES; page++)
		for (w = 0; w < WORDS; w++)
			guest_page(page)[w] = pattern(page, w);
	GUEST_SYNC(0);
	guest_report(1);
	/* the host discards more while this runs: a word reads its pattern or zero */
	while (!host_discarded) {
		for (page = 0; page < DATA_PAGES; page++) {
			v = guest_page(page)[page % WORDS];
			__GUEST_ASSERT(!v || v == pattern(page, page % WORDS), "v",
				       "page %llu word %llu reads %#llx", page, page % WORDS, v);
		}
		scans++;
	}
	guest_report(2);
	GUEST_SYNC(3, scans);
	GUEST_DONE();
}

/* --- host side --- */

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;
static uint8_t *data;
static bool discarded[DATA_PAGES];

/* resident pages of the slot's memory, from the page tables */
static long long data_resident(void)
{
	static unsigned char vec[DATA_PAGES];
	unsigned long long i, n = 0;

	TEST_ASSERT(!mincore(data, DATA_SIZE, vec), "mincore");
	for (i = 0; i < DATA_PAGES; i++)
		n += vec[i] & 1;
	return n;
}

/* pages freed minus pages allocated, system-wide, since boot (/proc/vmstat) */
static long long vmstat_net_freed(void)
{
	char name[64];
	long long v, net = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	TEST_ASSERT(f, "open /proc/vmstat");
	while (fscanf(f, "%63s %lld", name, &v) == 2) {
		if (!strcmp(name, "pgfree"))
			net += v;
		else if (!strncmp(name, "pgalloc_", 8))
			net -= v;
	}
	fclose(f);
	return net;
}

static void discard(uint64_t first, uint64_t npages)
{
	uint64_t i;

	TEST_ASSERT(!madvise(data + first * PAGE_SIZE, npages * PAGE_SIZE, MADV_DONTNEED),
		    "madvise(MADV_DONTNEED) pages %llu+%llu", (unsigned long long)first,
		    (unsigned long long)npages);
	for (i = first; i < first + npages; i++)
		discarded[i] = true;
}

/* What the guest reported in guest_status for round: discarded pages zero, others intact. */
static void check_guest_status(const char *when)
{
	uint8_t *status = addr_gva2hva(vm, (uint64_t)guest_status);
	uint64_t page, zero = 0;

	for (page = 0; page < DATA_PAGES; page++) {
		int want = discarded[page] ? PAGE_ZERO : PAGE_PATTERN;

		TEST_ASSERT(status[page] == want,
			    "%s: the guest reads page %llu (%s) as %s", when,
			    (unsigned long long)page, discarded[page] ? "discarded" : "kept",
			    status[page] == PAGE_PATTERN ? "its old contents" :
			    status[page] == PAGE_ZERO ? "zeroes" : "something else");
		zero += status[page] == PAGE_ZERO;
	}
	ksft_print_msg("%s: the guest reads %llu discarded pages as zero, %llu intact\n", when,
		       (unsigned long long)zero, (unsigned long long)(DATA_PAGES - zero));
}

struct discard_plan {
	uint64_t first, npages;
};

static const struct discard_plan *concurrent_plan;

static void *discard_thread(void *arg)
{
	const struct discard_plan *d;

	usleep(200 * 1000);	/* let the guest scan */
	for (d = concurrent_plan; d->npages; d++)
		discard(d->first, d->npages);
	/* madvise() returned: from now on no guest read may see the old pages */
	*(volatile uint64_t *)addr_gva2hva(vm, (uint64_t)&host_discarded) = 1;
	return NULL;
}

static void balloon(int advice, const struct discard_plan *stopped,
		    const struct discard_plan *running)
{
	long long rss0, rss1, freed0, freed1, pages = 0;
	const struct discard_plan *d;
	pthread_t thread;
	struct ucall uc;

	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	data = mmap_aligned(DATA_SIZE, 2 * MiB);
	TEST_ASSERT(!madvise(data, DATA_SIZE, advice), "madvise(%d)", advice);
	vm_set_slot(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, data);
	guest_map_range(vm, DATA_GPA, DATA_GPA, DATA_SIZE);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(0, uc.args[0]);
	ksft_print_msg("guest filled %llu MiB; AnonHugePages %lld kB\n",
		       (unsigned long long)(DATA_SIZE / MiB), anon_huge_kb());

	/* round 1: the vCPU is stopped in the ucall */
	rss0 = data_resident();
	freed0 = vmstat_net_freed();
	for (d = stopped; d->npages; d++) {
		discard(d->first, d->npages);
		pages += d->npages;
	}
	rss1 = data_resident();
	freed1 = vmstat_net_freed();
	ksft_print_msg("discarded %lld pages: slot memory resident -%lld pages, system +%lld free pages\n",
		       pages, rss0 - rss1, freed1 - freed0);
	TEST_ASSERT_EQ((long long)DATA_PAGES, rss0);
	TEST_ASSERT(rss0 - rss1 == pages, "%lld resident pages went, %lld were discarded",
		    rss0 - rss1, pages);
	/* the whole-page discards (not the 4 KiB ones inside a huge page) free memory */
	pages = 0;
	for (d = stopped; d->npages; d++)
		if (advice != MADV_HUGEPAGE || !(d->npages % PAGES_2M))
			pages += d->npages;
	TEST_ASSERT(freed1 - freed0 >= pages * 3 / 4,
		    "%lld pages were discarded, the system got only %lld back", pages,
		    freed1 - freed0);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	check_guest_status("vCPU stopped");

	/* round 2: while the guest reads */
	concurrent_plan = running;
	TEST_ASSERT_EQ(0, pthread_create(&thread, NULL, discard_thread, NULL));
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(0, pthread_join(thread, NULL));
	TEST_ASSERT_EQ(2, uc.args[0]);
	check_guest_status("vCPU running");
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	ksft_print_msg("the guest scanned the slot %llu times during the discards\n",
		       (unsigned long long)uc.args[1]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* every 4th page of the first half; then every 4th (offset 1) of the second half */
static struct discard_plan small_stopped[DATA_PAGES / 8 + 1];
static struct discard_plan small_running[DATA_PAGES / 8 + 1];

static void test_4k(void)
{
	uint64_t i;

	for (i = 0; i < DATA_PAGES / 8; i++) {
		small_stopped[i] = (struct discard_plan){ 4 * i, 1 };
		small_running[i] = (struct discard_plan){ DATA_PAGES / 2 + 4 * i + 1, 1 };
	}
	balloon(MADV_NOHUGEPAGE, small_stopped, small_running);
}

static void test_thp(void)
{
	static const struct discard_plan stopped[] = {
		{ 1 * PAGES_2M, 2 * PAGES_2M },		/* two whole huge pages */
		{ 4 * PAGES_2M + 7, 1 },		/* 4 KiB inside others */
		{ 4 * PAGES_2M + 300, 2 },
		{ 6 * PAGES_2M + 511, 1 },
		{ 0, 0 },
	};
	static const struct discard_plan running[] = {
		{ 8 * PAGES_2M, PAGES_2M },
		{ 10 * PAGES_2M, 1 },
		{ 12 * PAGES_2M + 256, 3 },
		{ 0, 0 },
	};

	balloon(MADV_HUGEPAGE, stopped, running);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(2);
	run_subtest(test_4k, "MADV_DONTNEED of 4 KiB pages: memory freed, guest reads zeroes");
	run_subtest(test_thp, "MADV_DONTNEED in transparent huge pages: guest reads zeroes");
	ksft_finished();
}
