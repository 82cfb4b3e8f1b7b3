// SPDX-License-Identifier: GPL-2.0-only
/*
 * KSM merges guest memory (api.rst 4.35, KVM_CAP_SYNC_MMU): guest pages are ordinary
 * anonymous memory, so identical pages of two VMs can be merged into one read-only page
 * while both guests run, and each guest's next write gets a copy of its own.
 *
 * Two VMs, each with a 32 MiB slot (MADV_MERGEABLE, 4 KiB pages) that its guest fills with
 * the same pattern (every word names its page and offset: pages differ within a VM and
 * match across VMs). With KSM scanning (/sys/kernel/mm/ksm: run=1, a large pages_to_scan,
 * a short sleep), both guests check every word of their slot in a loop (the host pauses
 * each vCPU for 50 ms between passes, so that ksmd gets the emulated CPUs too) while
 * /sys/kernel/mm/ksm/pages_sharing must reach 90% of the slot's pages. Then each guest writes
 * a VM-specific value into every page (copy-on-write: KSM's page must stay as it was for
 * the other VM) and checks its slot again; the host checks both slots through its own
 * mappings, and pages_sharing must fall back below 10%.
 *
 * A KVM that keeps a reference to the pages it maps prevents merging (KSM refuses pages
 * with extra references); one that maps pages writable on reads breaks every merge again;
 * one that keeps mapping a page KSM replaced lets a guest write the other VM's memory.
 * Skipped when the host kernel has no KSM.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "x86_guest.h"

#define KSM			"/sys/kernel/mm/ksm/"
#define DATA_SLOT		1
#define DATA_GPA		(1024 * MiB)
#define DATA_SIZE		(32 * MiB)
#define DATA_PAGES		(DATA_SIZE / PAGE_SIZE)
#define WORDS			(PAGE_SIZE / 8)
/* of the test's limit (300 s on the AMD host: 120 s and 60 s; ksmd scans slowly in Bochs) */
#define MERGE_TIMEOUT_S		(test_timeout_s() * 2 / 5)
#define UNMERGE_TIMEOUT_S	(test_timeout_s() / 5)
#define PAUSE_MS		50

static volatile uint64_t guest_phase;	/* set by the host: 1 = write your pages now */

static uint64_t pattern(uint64_t page, uint64_t word)
{
	return 0x4b534d0000000000ULL | page << 16 | word;
}

/* word 1 of every page after the copy-on-write phase */
static uint64_t vm_value(uint64_t vm_id, uint64_t page)
{
	return 0x1000000000000000ULL * (vm_id + 1) | page;
}

static volatile uint64_t *guest_word(uint64_t page, uint64_t word)
{
	return (volatile uint64_t *)(DATA_GPA + page * PAGE_SIZE) + word;
}

static void guest_verify(uint64_t vm_id, bool written)
{
	uint64_t page, w, v, want;

	for (page = 0; page < DATA_PAGES; page++) {
		for (w = 0; w < WORDS; w++) {
			v = *guest_word(page, w);
			want = written && w == 1 ? vm_value(vm_id, page) : pattern(page, w);
			__GUEST_ASSERT(v == want, "v == want",
				       "page %llu word %llu: %#llx, expected %#llx",
				       page, w, v, want);
		}
	}
}

static void guest_code(uint64_t vm_id)
{
	uint64_t page, w, passes = 0;

	for (page = 0; page < DATA_PAGES; page++)
		for (w = 0; w < WORDS; w++)
			*guest_word(page, w) = pattern(page, w);
	GUEST_SYNC(0);
	/* KSM merges while this reads (the host pauses the vCPU between passes) */
	while (!guest_phase) {
		guest_verify(vm_id, false);
		GUEST_SYNC(1, ++passes);
	}
	GUEST_SYNC(2, passes);
	for (page = 0; page < DATA_PAGES; page++)
		*guest_word(page, 1) = vm_value(vm_id, page);
	guest_verify(vm_id, true);
	GUEST_SYNC(3);
	GUEST_DONE();
}

struct guest {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint8_t *data;
	pthread_t thread;
	uint64_t passes;
};

static volatile uint64_t progress[2];
static struct guest guests[2];

static void *vcpu_thread(void *arg)
{
	struct guest *g = arg;
	struct ucall uc;

	/* a pass over the slot, then a pause that leaves the CPUs to ksmd */
	do {
		vcpu_run_expect_ucall(g->vcpu, UCALL_SYNC, &uc);
		progress[g - guests] = uc.args[1];
		usleep(PAUSE_MS * 1000);
	} while (uc.args[0] == 1);
	TEST_ASSERT_EQ(2, uc.args[0]);
	g->passes = uc.args[1];
	vcpu_run_expect_ucall(g->vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(3, uc.args[0]);
	vcpu_run_expect_ucall(g->vcpu, UCALL_DONE, NULL);
	return NULL;
}

static long long ksm_read(const char *knob)
{
	char path[128];

	snprintf(path, sizeof(path), KSM "%s", knob);
	return read_sysfs_int(path);
}

static void ksm_write(const char *knob, long long value)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), KSM "%s", knob);
	snprintf(buf, sizeof(buf), "%lld", value);
	TEST_ASSERT_EQ(0, write_sysfs(path, buf));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Poll pages_sharing until cond(value) or timeout; returns the last value. With KSM_DEBUG
 * set in the environment, prints KSM's counters and the guests' passes every 5 s.
 */
static long long wait_sharing(bool (*cond)(long long), int timeout_s, double *took)
{
	double t0 = now_s();
	long long v;

	for (;;) {
		v = ksm_read("pages_sharing");
		*took = now_s() - t0;
		if (cond(v) || *took > timeout_s)
			return v;
		if (getenv("KSM_DEBUG") && (int)(*took * 10) % 50 == 0)
			ksft_print_msg("%.1f s: sharing %lld shared %lld unshared %lld volatile %lld scans %lld passes %llu %llu\n",
				       *took, v, ksm_read("pages_shared"), ksm_read("pages_unshared"),
				       ksm_read("pages_volatile"), ksm_read("full_scans"),
				       (unsigned long long)progress[0], (unsigned long long)progress[1]);
		usleep(100 * 1000);
	}
}

static bool merged(long long v)
{
	return v >= (long long)DATA_PAGES * 9 / 10;
}

static bool unmerged(long long v)
{
	return v < (long long)DATA_PAGES / 10;
}

int main(void)
{
	long long old_run, old_scan, old_sleep, sharing, full_scans;
	struct guest *g = guests;
	double took;
	uint64_t page, w;
	int i;

	ksft_print_header();
	if (access(KSM "run", W_OK))
		ksft_exit_skip("no KSM in this kernel (" KSM "run)\n");
	/* its spinning vCPUs keep ksmd off the CPUs there: one full scan in 480 s */
	skip_if_stock_kvm_intel_in_bochs();
	ksft_set_plan(2);
	old_run = ksm_read("run");
	old_scan = ksm_read("pages_to_scan");
	old_sleep = ksm_read("sleep_millisecs");

	for (i = 0; i < 2; i++) {
		g[i].vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
		g[i].data = mmap_aligned(DATA_SIZE, 2 * MiB);
		TEST_ASSERT(!madvise(g[i].data, DATA_SIZE, MADV_NOHUGEPAGE), "MADV_NOHUGEPAGE");
		vm_set_slot(g[i].vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, g[i].data);
		guest_map_range(g[i].vm, DATA_GPA, DATA_GPA, DATA_SIZE);
		g[i].vcpu = guest_vcpu_add(g[i].vm, 0, (uint64_t)guest_code);
		vcpu_set_args(g[i].vcpu, i);
		vcpu_run_expect_ucall(g[i].vcpu, UCALL_SYNC, NULL);	/* filled */
		TEST_ASSERT(!madvise(g[i].data, DATA_SIZE, MADV_MERGEABLE), "MADV_MERGEABLE");
	}
	for (i = 0; i < 2; i++)
		TEST_ASSERT_EQ(0, pthread_create(&g[i].thread, NULL, vcpu_thread, &g[i]));

	ksm_write("pages_to_scan", 20000);
	ksm_write("sleep_millisecs", 10);
	full_scans = ksm_read("full_scans");
	ksm_write("run", 1);
	sharing = wait_sharing(merged, MERGE_TIMEOUT_S, &took);
	ksft_print_msg("pages_sharing %lld of %llu after %.1f s (%lld full scans), guests reading\n",
		       sharing, (unsigned long long)DATA_PAGES, took,
		       ksm_read("full_scans") - full_scans);
	TEST_ASSERT(merged(sharing), "pages_sharing is %lld after %d s: the guests' identical pages were not merged",
		    sharing, MERGE_TIMEOUT_S);
	ksft_test_result_pass("identical guest pages of two running VMs merged\n");

	/* both guests write every page: copy-on-write */
	for (i = 0; i < 2; i++)
		*(volatile uint64_t *)addr_gva2hva(g[i].vm, (uint64_t)&guest_phase) = 1;
	for (i = 0; i < 2; i++) {
		TEST_ASSERT_EQ(0, pthread_join(g[i].thread, NULL));
		TEST_ASSERT(g[i].passes >= 1, "guest %d never finished checking its slot", i);
	}
	for (i = 0; i < 2; i++)
		for (page = 0; page < DATA_PAGES; page++)
			for (w = 0; w < WORDS; w++)
				TEST_ASSERT_EQ(w == 1 ? vm_value(i, page) : pattern(page, w),
					       ((uint64_t *)(g[i].data + page * PAGE_SIZE))[w]);
	sharing = wait_sharing(unmerged, UNMERGE_TIMEOUT_S, &took);
	ksft_print_msg("guests checked their slots %llu and %llu times while merging; after their writes pages_sharing is %lld (%.1f s)\n",
		       (unsigned long long)g[0].passes, (unsigned long long)g[1].passes, sharing,
		       took);
	TEST_ASSERT(unmerged(sharing), "pages_sharing still %lld after every page was written",
		    sharing);

	ksm_write("run", 0);
	ksm_write("pages_to_scan", old_scan);
	ksm_write("sleep_millisecs", old_sleep);
	if (old_run != 0)
		ksm_write("run", old_run);
	for (i = 0; i < 2; i++)
		kvm_vm_free(g[i].vm);
	ksft_test_result_pass("copy-on-write: each guest's writes stay its own\n");
	ksft_finished();
}
