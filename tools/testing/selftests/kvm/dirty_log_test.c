// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page logging: KVM_MEM_LOG_DIRTY_PAGES (api.rst 4.35), KVM_GET_DIRTY_LOG (4.8),
 * KVM_CLEAR_DIRTY_LOG (4.117), KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (7.18).
 *
 * - errno: the errors Linux KVM gives for bad slots, ranges, pointers and flags.
 * - concurrent (GET, and GET + CLEAR with manual protection): three vCPUs write their
 *   iteration number into the first word of pages of their own (a varying subset each
 *   iteration) while the main thread collects the log in a loop and then reads every page.
 *   A page whose content changed between two consecutive reads was written after the
 *   first collection, so it must be in the log of that round or the next one: nothing
 *   missed. A page's number never goes back (no write lands in an old copy). Once the vCPUs
 *   stopped, a last collection is followed by one that must be empty: nothing spurious.
 * - exact: with the vCPU stopped in between, a log holds exactly the pages the guest wrote
 *   since the last collection; logging switched on and off on a slot already mapped (with
 *   transparent huge pages, so 2 MiB nested mappings where KVM makes them) reports single
 *   4 KiB pages; a slot that stops logging has no log (ENOENT) and still works.
 * - initially set: with KVM_DIRTY_LOG_INITIALLY_SET a new log reads all set (only the slot's
 *   pages), KVM_CLEAR_DIRTY_LOG clears 64-page blocks and the range that ends the slot.
 * - host writes: REP INSB into a logged page (KVM stores the data userspace gives for the
 *   IN exits) logs the page.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "x86_guest.h"

#define DATA_SLOT	1
#define DATA_GPA	(1024 * MiB)
#define DATA_SIZE	(16 * MiB)
#define DATA_PAGES	(DATA_SIZE / PAGE_SIZE)
#define NR_VCPUS	3
#define RUN_SECONDS	3
#define BITMAP_LONGS(pages)	(((pages) + 63) / 64)
#define INS_PORT	0xe4

static uint64_t *page_word(uint8_t *mem, uint64_t page)
{
	return (uint64_t *)(mem + page * PAGE_SIZE);
}

static bool test_bit(const uint64_t *bm, uint64_t i)
{
	return bm[i / 64] >> (i % 64) & 1;
}

static int __get_log(struct kvm_vm *vm, uint32_t slot, void *bm)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bm };

	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log);
}

static void get_log(struct kvm_vm *vm, uint32_t slot, uint64_t *bm, uint64_t npages)
{
	memset(bm, 0, BITMAP_LONGS(npages) * 8);
	TEST_ASSERT_EQ(0, __get_log(vm, slot, bm));
}

static int __clear_log(struct kvm_vm *vm, uint32_t slot, uint64_t first, uint32_t n, void *bm)
{
	struct kvm_clear_dirty_log log = {
		.slot = slot, .first_page = first, .num_pages = n, .dirty_bitmap = bm,
	};

	return ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &log);
}

static int __enable_manual(struct kvm_vm *vm, uint64_t flags, uint32_t cap_flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .flags = cap_flags, .args = { flags },
	};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
}

static uint64_t count_bits(const uint64_t *bm, uint64_t npages)
{
	uint64_t i, n = 0;

	for (i = 0; i < npages; i++)
		n += test_bit(bm, i);
	return n;
}

/* --- errno --- */

static void test_errno(void)
{
	int kvm = kvm_open(), vm = vm_create(kvm);
	uint64_t bm[8] = { 0 };
	void *mem = mmap_aligned(MiB, PAGE_SIZE);
	struct kvm_userspace_memory_region r = {
		.slot = 1, .guest_phys_addr = 1ULL << 30, .memory_size = MiB,
		.userspace_addr = (uintptr_t)mem,
	};
	struct kvm_dirty_log log = { .dirty_bitmap = bm };
	struct kvm_clear_dirty_log cl = { .dirty_bitmap = bm };
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };

	TEST_ASSERT_EQ(3, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	/* slot 1 exists without logging, slot 2 logs (256 pages), slot 3 does not exist */
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
	r.slot = 2;
	r.guest_phys_addr = 2ULL << 30;
	r.flags = KVM_MEM_LOG_DIRTY_PAGES;
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));

	log.slot = 1;
	TEST_ASSERT_ERRNO(ENOENT, ioctl(vm, KVM_GET_DIRTY_LOG, &log));
	log.slot = 3;
	TEST_ASSERT_ERRNO(ENOENT, ioctl(vm, KVM_GET_DIRTY_LOG, &log));
	log.slot = 32764;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_GET_DIRTY_LOG, &log));
	log.slot = (1 << 16) | 2;	/* address space 1 (SMM) has no slots */
	TEST_ASSERT_ERRNO(ENOENT, ioctl(vm, KVM_GET_DIRTY_LOG, &log));
	log.slot = (2 << 16) | 2;	/* there is no address space 2 */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_GET_DIRTY_LOG, &log));
	log.slot = 2;
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_GET_DIRTY_LOG, &log));
	log.dirty_bitmap = (void *)8;
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_GET_DIRTY_LOG, &log));
	log.dirty_bitmap = NULL;
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_GET_DIRTY_LOG, &log));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_GET_DIRTY_LOG, NULL));

	/* KVM_CLEAR_DIRTY_LOG works without manual protection too */
	memset(bm, 0xff, sizeof(bm));
	cl.slot = 2;
	cl.num_pages = 256;
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 64;
	cl.num_pages = 192;		/* to the end of the slot */
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.num_pages = 128;		/* a multiple of 64 */
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.num_pages = 0;
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 256;		/* empty range at the end */
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 1;
	cl.num_pages = 64;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 64;
	cl.num_pages = 100;		/* neither a multiple of 64 nor the end */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 0;
	cl.num_pages = 257;		/* past the end */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 320;
	cl.num_pages = 0;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 0;
	cl.num_pages = 64;
	cl.dirty_bitmap = (void *)8;
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.dirty_bitmap = bm;
	cl.slot = 1;
	TEST_ASSERT_ERRNO(ENOENT, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 3;		/* misaligned: EINVAL before the slot lookup */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.first_page = 0;
	cl.slot = 3;
	TEST_ASSERT_ERRNO(ENOENT, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.slot = 40000;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.slot = (1 << 16) | 2;
	TEST_ASSERT_ERRNO(ENOENT, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	cl.slot = (2 << 16) | 2;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_CLEAR_DIRTY_LOG, NULL));

	/* KVM_ENABLE_CAP: flags 0, known bits only, INITIALLY_SET needs MANUAL_PROTECT_ENABLE */
	cap.args[0] = 4;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_ENABLE_CAP, &cap));
	cap.args[0] = KVM_DIRTY_LOG_INITIALLY_SET;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_ENABLE_CAP, &cap));
	cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	cap.flags = 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_ENABLE_CAP, &cap));
	cap.flags = 0;
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_ENABLE_CAP, &cap));
	cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_ENABLE_CAP, &cap));
	cap.args[0] = 0;		/* and off again, with slots present */
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_ENABLE_CAP, &cap));
	cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT;	/* the old, buggy one: not enabled */
	cap.args[0] = 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_ENABLE_CAP, &cap));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_ENABLE_CAP, NULL));

	/* flags other than LOG_DIRTY_PAGES / READONLY stay EINVAL */
	r.flags = 1 << 2;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
	close(vm);
	close(kvm);
}

/* --- concurrent writers --- */

static volatile uint64_t guest_stop;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

/* vCPU id writes iteration numbers into a varying eighth of pages id, id + n, ... */
static void guest_writer(uint64_t id, uint64_t nr_vcpus)
{
	uint64_t iter = 0, page, writes = 0;

	while (!guest_stop) {
		iter++;
		for (page = id; page < DATA_PAGES; page += nr_vcpus) {
			if (mix(page * 1000003 + iter) & 7)
				continue;
			*(volatile uint64_t *)(DATA_GPA + page * PAGE_SIZE) = iter;
			writes++;
		}
	}
	GUEST_SYNC(iter, writes);
	GUEST_DONE();
}

struct writer {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	uint64_t iterations, writes;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	struct ucall uc;

	vcpu_run_expect_ucall(w->vcpu, UCALL_SYNC, &uc);
	w->iterations = uc.args[0];
	w->writes = uc.args[1];
	vcpu_run_expect_ucall(w->vcpu, UCALL_DONE, NULL);
	return NULL;
}

/* One round: the log (GET, or GET + CLEAR of what it returned), then every page's value. */
static void collect(struct kvm_vm *vm, bool manual, uint8_t *mem, uint64_t *bm, uint64_t *vals)
{
	uint64_t p;

	get_log(vm, DATA_SLOT, bm, DATA_PAGES);
	if (manual)
		TEST_ASSERT_EQ(0, __clear_log(vm, DATA_SLOT, 0, DATA_PAGES, bm));
	for (p = 0; p < DATA_PAGES; p++)
		vals[p] = __atomic_load_n(page_word(mem, p), __ATOMIC_RELAXED);
}

/*
 * vals[0] and vals[1] were read after rounds r - 1 and r; a page that changed in between
 * was written after round r - 1 collected, before round r + 1 did: in log r or r + 1.
 */
static uint64_t check_round(uint64_t *vals[2], uint64_t *bm_r, uint64_t *bm_next, uint64_t round)
{
	uint64_t p, changed = 0;

	for (p = 0; p < DATA_PAGES; p++) {
		TEST_ASSERT(vals[1][p] >= vals[0][p],
			    "round %llu: page %llu went back from iteration %llu to %llu",
			    (unsigned long long)round, (unsigned long long)p,
			    (unsigned long long)vals[0][p], (unsigned long long)vals[1][p]);
		if (vals[1][p] == vals[0][p])
			continue;
		changed++;
		TEST_ASSERT(test_bit(bm_r, p) || test_bit(bm_next, p),
			    "round %llu: page %llu changed (iteration %llu -> %llu) but is in neither this log nor the next",
			    (unsigned long long)round, (unsigned long long)p,
			    (unsigned long long)vals[0][p], (unsigned long long)vals[1][p]);
	}
	return changed;
}

static void concurrent(bool manual)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	uint8_t *mem = mmap_aligned(DATA_SIZE, 2 * MiB);
	uint64_t *bm[3], *vals[3], round = 0, changed = 0, logged = 0, writes = 0, i;
	struct writer w[NR_VCPUS];
	struct timespec start, now;

	for (i = 0; i < 3; i++) {
		bm[i] = calloc(BITMAP_LONGS(DATA_PAGES), 8);
		vals[i] = calloc(DATA_PAGES, 8);
		TEST_ASSERT(bm[i] && vals[i], "calloc");
	}
	if (manual)
		TEST_ASSERT_EQ(0, __enable_manual(vm, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, 0));
	vm_set_slot(vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, mem);
	guest_map_range(vm, DATA_GPA, DATA_GPA, DATA_SIZE);
	for (i = 0; i < NR_VCPUS; i++) {
		w[i].vcpu = guest_vcpu_add(vm, i, (uint64_t)guest_writer);
		vcpu_set_args(w[i].vcpu, i, NR_VCPUS);
	}
	/* round 0: before the vCPUs start, everything reads 0 */
	collect(vm, manual, mem, bm[0], vals[0]);
	for (i = 0; i < NR_VCPUS; i++)
		TEST_ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, writer_thread, &w[i]));

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		round++;
		collect(vm, manual, mem, bm[round % 3], vals[round % 3]);
		logged += count_bits(bm[round % 3], DATA_PAGES);
		if (round >= 2) {
			uint64_t *v[2] = { vals[(round - 2) % 3], vals[(round - 1) % 3] };

			changed += check_round(v, bm[(round - 1) % 3], bm[round % 3], round - 1);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < RUN_SECONDS || round < 4);

	*(volatile uint64_t *)addr_gva2hva(vm, (uint64_t)&guest_stop) = 1;
	for (i = 0; i < NR_VCPUS; i++) {
		TEST_ASSERT_EQ(0, pthread_join(w[i].thread, NULL));
		writes += w[i].writes;
	}
	/* the vCPUs are stopped: two more rounds, the last of which must be empty */
	for (i = 0; i < 2; i++) {
		uint64_t *v[2] = { vals[(round - 1) % 3], vals[round % 3] };

		round++;
		collect(vm, manual, mem, bm[round % 3], vals[round % 3]);
		logged += count_bits(bm[round % 3], DATA_PAGES);
		changed += check_round(v, bm[(round - 1) % 3], bm[round % 3], round - 1);
	}
	TEST_ASSERT(!count_bits(bm[round % 3], DATA_PAGES),
		    "%llu pages logged with every vCPU stopped since the previous collection",
		    (unsigned long long)count_bits(bm[round % 3], DATA_PAGES));
	TEST_ASSERT(!memcmp(vals[round % 3], vals[(round - 1) % 3], DATA_PAGES * 8),
		    "pages changed with every vCPU stopped");
	/*
	 * The vCPUs made progress while the rounds went by: a page change for every four
	 * rounds at least (the debug kernel's write faults are many times slower while an
	 * empty round costs little more; stock 6.12 in the emulated host saw 852 changes in
	 * 1093 rounds, 6.1 more changes than rounds).
	 */
	TEST_ASSERT(changed > round / 4,
		    "only %llu page changes seen in %llu rounds",
		    (unsigned long long)changed, (unsigned long long)round);
	ksft_print_msg("%llu rounds, %llu guest writes, %llu page changes seen, %llu pages logged\n",
		       (unsigned long long)round, (unsigned long long)writes,
		       (unsigned long long)changed, (unsigned long long)logged);
	kvm_vm_free(vm);
}

static void test_concurrent_get(void)
{
	concurrent(false);
}

static void test_concurrent_clear(void)
{
	concurrent(true);
}

/* --- exact logs with a stopped vCPU --- */

/* writes value into the first word of each page listed (ends with ~0), then syncs */
static void guest_write_pages(void)
{
	uint64_t *list, value;

	for (;;) {
		list = (uint64_t *)GUEST_SYNC();
		if (!list)
			break;
		for (value = *list++; *list != ~0ULL; list++)
			*(volatile uint64_t *)(DATA_GPA + *list * PAGE_SIZE) = value;
	}
	GUEST_DONE();
}

static uint64_t write_list[DATA_PAGES + 2];

/* The guest writes value to pages (a ~0-terminated list), then is stopped again. */
static void guest_writes(struct kvm_vm *vm, struct kvm_vcpu *vcpu, struct ucall *uc,
			 uint64_t value, const uint64_t *pages)
{
	uint64_t *list = addr_gva2hva(vm, (uint64_t)write_list);
	int i;

	list[0] = value;
	for (i = 0; pages[i] != ~0ULL; i++)
		list[i + 1] = pages[i];
	list[i + 1] = ~0ULL;
	ucall_reply(vcpu, uc, (uint64_t)write_list);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, uc);
}

/* The log of slot must hold exactly pages (a ~0-terminated list). */
static void expect_log(struct kvm_vm *vm, uint64_t npages, const uint64_t *pages,
		       const char *what)
{
	uint64_t bm[BITMAP_LONGS(DATA_PAGES)], want[BITMAP_LONGS(DATA_PAGES)] = { 0 }, p;
	int i;

	for (i = 0; pages[i] != ~0ULL; i++)
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);
	get_log(vm, DATA_SLOT, bm, npages);
	for (p = 0; p < npages; p++)
		TEST_ASSERT(test_bit(bm, p) == test_bit(want, p), "%s: page %llu is %slogged",
			    what, (unsigned long long)p, test_bit(bm, p) ? "" : "not ");
}

static const uint64_t none[] = { ~0ULL };

static void test_exact(void)
{
	static const uint64_t s[] = { 3, 700, 1500, 1501, 2047, ~0ULL };
	static const uint64_t t[] = { 0, 511, 512, 1023, 4095, ~0ULL };
	static const uint64_t st[] = { 0, 3, 511, 512, 700, 1023, 1500, 1501, 2047, 4095, ~0ULL };
	static const uint64_t u[] = { 9, 10, 11, ~0ULL };
	static uint64_t all[DATA_PAGES + 1];
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	uint8_t *mem = mmap_aligned(DATA_SIZE, 2 * MiB);
	struct kvm_vcpu *vcpu;
	uint64_t p, bm[BITMAP_LONGS(DATA_PAGES)];
	struct ucall uc;

	TEST_ASSERT(!madvise(mem, DATA_SIZE, MADV_HUGEPAGE), "madvise(MADV_HUGEPAGE)");
	vm_set_slot(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, mem);
	guest_map_range(vm, DATA_GPA, DATA_GPA, DATA_SIZE);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_write_pages);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);

	/* the guest maps every page first, while the slot does not log */
	for (p = 0; p < DATA_PAGES; p++)
		all[p] = p;
	all[DATA_PAGES] = ~0ULL;
	guest_writes(vm, vcpu, &uc, 1, all);
	TEST_ASSERT_ERRNO(ENOENT, __get_log(vm, DATA_SLOT, bm));

	vm_set_slot(vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, mem);
	expect_log(vm, DATA_PAGES, none, "logging just switched on");
	guest_writes(vm, vcpu, &uc, 2, s);
	expect_log(vm, DATA_PAGES, s, "first writes");
	expect_log(vm, DATA_PAGES, none, "nothing written since");
	guest_writes(vm, vcpu, &uc, 3, s);
	guest_writes(vm, vcpu, &uc, 4, t);
	expect_log(vm, DATA_PAGES, st, "pages written again and new ones");
	for (p = 0; p < DATA_PAGES; p++)
		TEST_ASSERT_EQ(p == 3 || p == 700 || p == 1500 || p == 1501 || p == 2047 ? 3 :
			       p == 0 || p == 511 || p == 512 || p == 1023 || p == 4095 ? 4 : 1,
			       *page_word(mem, p));

	/* logging off: no log; the guest still writes where the host reads */
	vm_set_slot(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, mem);
	TEST_ASSERT_ERRNO(ENOENT, __get_log(vm, DATA_SLOT, bm));
	guest_writes(vm, vcpu, &uc, 5, s);
	TEST_ASSERT_EQ(5, *page_word(mem, 2047));

	/* and on again: a fresh, empty log */
	vm_set_slot(vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, mem);
	expect_log(vm, DATA_PAGES, none, "logging switched on again");
	guest_writes(vm, vcpu, &uc, 6, u);
	expect_log(vm, DATA_PAGES, u, "after switching on again");
	TEST_ASSERT_EQ(6, *page_word(mem, 10));
	ucall_reply(vcpu, &uc, 0);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- KVM_DIRTY_LOG_INITIALLY_SET --- */

#define ODD_PAGES	1000	/* not a multiple of 64 */

static void test_initially_set(void)
{
	static const uint64_t s[] = { 1, 64, 130, 999, ~0ULL };
	static const uint64_t s_kept[] = { 1, 999, ~0ULL };
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	uint8_t *mem = mmap_aligned(ODD_PAGES * PAGE_SIZE, 2 * MiB);
	uint64_t bm[BITMAP_LONGS(DATA_PAGES)], ones[BITMAP_LONGS(DATA_PAGES)], p;
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	TEST_ASSERT_EQ(0, __enable_manual(vm, KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
					  KVM_DIRTY_LOG_INITIALLY_SET, 0));
	vm_set_slot(vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, ODD_PAGES * PAGE_SIZE, mem);
	guest_map_range(vm, DATA_GPA, DATA_GPA, ODD_PAGES * PAGE_SIZE);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_write_pages);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);

	/* all of the slot's pages, none beyond */
	memset(bm, 0xa5, sizeof(bm));
	TEST_ASSERT_EQ(0, __get_log(vm, DATA_SLOT, bm));
	for (p = 0; p < BITMAP_LONGS(ODD_PAGES) * 64; p++)
		TEST_ASSERT(test_bit(bm, p) == (p < ODD_PAGES), "initial log: page %llu is %sset",
			    (unsigned long long)p, test_bit(bm, p) ? "" : "not ");
	/* GET does not clear with manual protection */
	get_log(vm, DATA_SLOT, bm, ODD_PAGES);
	TEST_ASSERT_EQ(ODD_PAGES, count_bits(bm, ODD_PAGES));

	/* clear pages 64..127 and the last block 960..999 (a range that ends the slot) */
	memset(ones, 0xff, sizeof(ones));
	TEST_ASSERT_EQ(0, __clear_log(vm, DATA_SLOT, 64, 64, ones));
	TEST_ASSERT_EQ(0, __clear_log(vm, DATA_SLOT, 960, ODD_PAGES - 960, ones));
	get_log(vm, DATA_SLOT, bm, ODD_PAGES);
	for (p = 0; p < ODD_PAGES; p++)
		TEST_ASSERT(test_bit(bm, p) == !((p >= 64 && p < 128) || p >= 960),
			    "after partial clears: page %llu is %sset", (unsigned long long)p,
			    test_bit(bm, p) ? "" : "not ");
	/* clear the rest; only a bit set in the request clears */
	TEST_ASSERT_EQ(0, __clear_log(vm, DATA_SLOT, 0, ODD_PAGES, ones));
	expect_log(vm, ODD_PAGES, none, "everything cleared");

	guest_writes(vm, vcpu, &uc, 7, s);
	expect_log(vm, ODD_PAGES, s, "guest writes");
	memset(ones, 0, sizeof(ones));
	ones[1] = ~0ULL;		/* pages 64..127 of a request starting at 0 */
	ones[2] = 1ULL << 2;		/* page 130 */
	TEST_ASSERT_EQ(0, __clear_log(vm, DATA_SLOT, 0, 192, ones));
	expect_log(vm, ODD_PAGES, s_kept, "after clearing 64 and 130");
	TEST_ASSERT_EQ(7, *page_word(mem, 130));
	/* a cleared page is protected again: its next write is logged */
	guest_writes(vm, vcpu, &uc, 8, s);
	expect_log(vm, ODD_PAGES, s, "pages written again");
	ucall_reply(vcpu, &uc, 0);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- writes by KVM itself --- */

static void guest_ins(uint64_t dst, uint64_t n)
{
	asm volatile("rep insb" : "+D"(dst), "+c"(n) : "d"(INS_PORT) : "memory");
	GUEST_DONE();
}

static void test_host_write(void)
{
	static const uint64_t pages[] = { 20, 21, ~0ULL };
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	uint8_t *mem = mmap_aligned(DATA_SIZE, 2 * MiB);
	struct kvm_vcpu *vcpu;
	uint64_t done = 0, n = 16, i;

	vm_set_slot(vm, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, mem);
	guest_map_range(vm, DATA_GPA, DATA_GPA, DATA_SIZE);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_ins);
	/* 16 bytes across the boundary of pages 20 and 21 */
	vcpu_set_args(vcpu, DATA_GPA + 21 * PAGE_SIZE - 8, n);
	expect_log(vm, DATA_PAGES, none, "before the guest ran");
	while (done < n) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_IO);
		TEST_ASSERT_EQ(KVM_EXIT_IO_IN, vcpu->run->io.direction);
		TEST_ASSERT_EQ(INS_PORT, vcpu->run->io.port);
		for (i = 0; i < vcpu->run->io.count; i++)
			((uint8_t *)vcpu_io_data(vcpu))[i] = 0x40 + done + i;
		done += vcpu->run->io.count;
	}
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	for (i = 0; i < n; i++)
		TEST_ASSERT_EQ(0x40 + i, mem[21 * PAGE_SIZE - 8 + i]);
	expect_log(vm, DATA_PAGES, pages, "REP INSB stored by KVM");
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(6);
	run_subtest(test_errno, "errnos of KVM_GET/CLEAR_DIRTY_LOG and KVM_ENABLE_CAP");
	run_subtest(test_concurrent_get, "%d vCPUs writing, KVM_GET_DIRTY_LOG: nothing missed",
		    NR_VCPUS);
	run_subtest(test_concurrent_clear,
		    "%d vCPUs writing, manual KVM_GET + KVM_CLEAR_DIRTY_LOG: nothing missed",
		    NR_VCPUS);
	run_subtest(test_exact, "exact logs, logging switched on and off on a mapped slot");
	run_subtest(test_initially_set, "KVM_DIRTY_LOG_INITIALLY_SET and partial clears");
	run_subtest(test_host_write, "REP INSB stored by KVM is logged");
	ksft_finished();
}
