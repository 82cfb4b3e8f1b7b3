// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest memory under a host that keeps changing it (api.rst 4.35: slots may be changed
 * while vCPUs run; KVM_CAP_SYNC_MMU: the host mm is followed), for STRESS_SECONDS:
 *
 * - two vCPUs each write generation-stamped words into their half of a 16 MiB slot (backed
 *   by transparent huge pages) and read them back: a word reads what was just written, or
 *   zero where the host discarded the page in between;
 * - a third vCPU reads a generation number from a page of another slot, which the VMM
 *   deletes, re-creates over fresh memory holding the next generation, and moves away and
 *   back: the number never goes back (as in slot_churn_test);
 * - meanwhile one host thread discards random ranges of the first slot (MADV_DONTNEED, from
 *   4 KiB to 2 MiB, splitting huge pages), and the main thread churns the second slot and
 *   switches dirty logging on the first on and off, collecting the log in between.
 *
 * At the end the writers fill their halves once more and report a checksum of what they
 * read back; the host computes the same from its own mapping: a mapping that outlived a
 * discard would have taken the guest's writes to a page the host no longer has. The host
 * kernel log must stay clean (the harness checks it).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "x86_guest.h"

#define STRESS_SECONDS	12
#define DATA_SLOT	1
#define DATA_GPA	(1024 * MiB)
#define DATA_SIZE	(16 * MiB)
#define DATA_PAGES	(DATA_SIZE / PAGE_SIZE)
#define NR_WRITERS	2
#define WORDS_PER_GEN	8
#define WORDS		(PAGE_SIZE / 8)
#define GEN_SLOT	2
#define GEN_GPA		(2048 * MiB)
#define GEN_AWAY_GPA	(2304 * MiB)
#define GEN_SIZE	(2 * MiB)
#define RING		8	/* backing areas for the generation slot, reused */

static volatile uint64_t guest_stop;

static uint64_t value(uint64_t gen, uint64_t page, uint64_t word)
{
	return 1ULL << 63 | gen << 32 | page << 9 | word;
}

static volatile uint64_t *data_word(uint64_t page, uint64_t word)
{
	return (volatile uint64_t *)(DATA_GPA + page * PAGE_SIZE) + word;
}

/* pages [first, first + n): generation-stamped words, read back */
static void guest_writer(uint64_t first, uint64_t n)
{
	uint64_t gen = 0, page, w, v, zeroes = 0, sum = 0;

	while (!guest_stop) {
		gen++;
		for (page = first; page < first + n; page++)
			for (w = 0; w < WORDS_PER_GEN; w++)
				*data_word(page, w) = value(gen, page, w);
		for (page = first; page < first + n; page++) {
			for (w = 0; w < WORDS_PER_GEN; w++) {
				v = *data_word(page, w);
				__GUEST_ASSERT(v == value(gen, page, w) || !v, "v",
					       "page %llu word %llu reads %#llx in generation %llu",
					       page, w, v, gen);
				zeroes += !v;
			}
		}
	}
	/* the host stopped changing the slot: fill it all, and sum what reads back */
	gen++;
	for (page = first; page < first + n; page++)
		for (w = 0; w < WORDS; w++)
			*data_word(page, w) = value(gen, page, w);
	for (page = first; page < first + n; page++)
		for (w = 0; w < WORDS; w++)
			sum += *data_word(page, w) * (w + 1);
	GUEST_SYNC(gen, zeroes, sum);
	GUEST_DONE();
}

static void guest_gen_reader(volatile uint64_t *gen)
{
	uint64_t prev = 0, v, changes = 0;

	while (!guest_stop) {
		v = *gen;
		__GUEST_ASSERT(v >= prev, "v >= prev", "generation went back from %llu to %llu",
			       prev, v);
		changes += v != prev;
		prev = v;
	}
	GUEST_SYNC(prev, changes);
	GUEST_DONE();
}

/* --- host --- */

static struct kvm_vm *vm;
static uint8_t *data, *gen_ring;
static _Atomic uint64_t newest_gen;
static _Atomic int stop_host;
static uint64_t discards, discarded_pages;

struct vcpu_job {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	struct ucall uc;		/* the final SYNC */
	uint64_t absent_exits;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_job *job = arg;
	struct kvm_run *run = job->vcpu->run;

	for (;;) {
		vcpu_run(job->vcpu);
		if (run->exit_reason == KVM_EXIT_MMIO) {
			/* stock KVM: the generation slot is away; answer with the newest one */
			uint64_t gen = atomic_load(&newest_gen);

			TEST_ASSERT(!run->mmio.is_write && run->mmio.len == 8 &&
				    run->mmio.phys_addr == GEN_GPA,
				    "unexpected MMIO: %s %u bytes at %#llx",
				    run->mmio.is_write ? "write" : "read", run->mmio.len,
				    (unsigned long long)run->mmio.phys_addr);
			memcpy(run->mmio.data, &gen, 8);
			job->absent_exits++;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		    run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
			/* a KVM without MMIO emulation: re-entering retries the load */
			job->absent_exits++;
			continue;
		}
		switch (get_ucall(job->vcpu, &job->uc)) {
		case UCALL_SYNC:
			break;
		default:
			vcpu_run_ucall(job->vcpu, &job->uc);	/* reports a guest assertion */
			TEST_ASSERT(0, "unexpected exit: %s", exit_reason_str(run->exit_reason));
		}
		vcpu_run_expect_ucall(job->vcpu, UCALL_DONE, NULL);
		return NULL;
	}
}

/* random ranges of the data slot, 1 page to 2 MiB, until told to stop */
static void *discard_thread(void *arg)
{
	unsigned int seed = 1;

	while (!atomic_load(&stop_host)) {
		uint64_t n = rand_r(&seed) % 4 ? 1 + rand_r(&seed) % 64 : 512;
		uint64_t first = rand_r(&seed) % (DATA_PAGES - n + 1);

		TEST_ASSERT(!madvise(data + first * PAGE_SIZE, n * PAGE_SIZE, MADV_DONTNEED),
			    "madvise(MADV_DONTNEED)");
		discards++;
		discarded_pages += n;
		usleep(rand_r(&seed) % 2000);
	}
	return NULL;
}

static uint8_t *ring_area(uint64_t gen)
{
	return gen_ring + (gen % RING) * GEN_SIZE;
}

int main(void)
{
	struct vcpu_job jobs[NR_WRITERS + 1];
	uint64_t *bitmap = calloc(DATA_PAGES / 64, 8);
	uint64_t gen, churns = 0, moves = 0, log_toggles = 0, logs = 0, page, w, sum, i;
	struct kvm_dirty_log log = { .slot = DATA_SLOT, .dirty_bitmap = bitmap };
	struct timespec start, now;
	pthread_t discarder;
	bool logging = false;

	ksft_print_header();
	skip_if_stock_kvm_intel_in_bochs();
	ksft_set_plan(1);
	TEST_ASSERT(bitmap, "calloc");
	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	data = mmap_aligned(DATA_SIZE, 2 * MiB);
	TEST_ASSERT(!madvise(data, DATA_SIZE, MADV_HUGEPAGE), "madvise(MADV_HUGEPAGE)");
	vm_set_slot(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, data);
	guest_map_range(vm, DATA_GPA, DATA_GPA, DATA_SIZE);

	gen_ring = mmap_aligned(RING * GEN_SIZE, 2 * MiB);
	*(uint64_t *)ring_area(1) = 1;
	atomic_store(&newest_gen, 1);
	vm_set_slot(vm, GEN_SLOT, 0, GEN_GPA, GEN_SIZE, ring_area(1));
	guest_map_page(vm, GEN_GPA, GEN_GPA);

	for (i = 0; i < NR_WRITERS; i++) {
		jobs[i].vcpu = guest_vcpu_add(vm, i, (uint64_t)guest_writer);
		vcpu_set_args(jobs[i].vcpu, i * DATA_PAGES / NR_WRITERS, DATA_PAGES / NR_WRITERS);
	}
	jobs[NR_WRITERS].vcpu = guest_vcpu_add(vm, NR_WRITERS, (uint64_t)guest_gen_reader);
	vcpu_set_args(jobs[NR_WRITERS].vcpu, GEN_GPA);
	for (i = 0; i <= NR_WRITERS; i++) {
		jobs[i].absent_exits = 0;
		TEST_ASSERT_EQ(0, pthread_create(&jobs[i].thread, NULL, vcpu_thread, &jobs[i]));
	}
	TEST_ASSERT_EQ(0, pthread_create(&discarder, NULL, discard_thread, NULL));

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		/* the generation slot: deleted, re-created over the next generation */
		gen = atomic_load(&newest_gen) + 1;
		vm_set_slot(vm, GEN_SLOT, 0, GEN_GPA, 0, NULL);
		*(uint64_t *)ring_area(gen) = gen;
		atomic_store(&newest_gen, gen);
		vm_set_slot(vm, GEN_SLOT, 0, GEN_GPA, GEN_SIZE, ring_area(gen));
		if (++churns % 8 == 0) {
			vm_set_slot(vm, GEN_SLOT, 0, GEN_AWAY_GPA, GEN_SIZE, ring_area(gen));
			vm_set_slot(vm, GEN_SLOT, 0, GEN_GPA, GEN_SIZE, ring_area(gen));
			moves++;
		}
		/* dirty logging on the data slot: on, collected a few times, off */
		if (churns % 16 == 0) {
			logging = !logging;
			vm_set_slot(vm, DATA_SLOT, logging ? KVM_MEM_LOG_DIRTY_PAGES : 0, DATA_GPA,
				    DATA_SIZE, data);
			log_toggles++;
		}
		if (logging) {
			TEST_ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log));
			logs++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < STRESS_SECONDS);

	atomic_store(&stop_host, 1);
	TEST_ASSERT_EQ(0, pthread_join(discarder, NULL));
	*(volatile uint64_t *)addr_gva2hva(vm, (uint64_t)&guest_stop) = 1;
	for (i = 0; i <= NR_WRITERS; i++)
		TEST_ASSERT_EQ(0, pthread_join(jobs[i].thread, NULL));

	for (i = 0; i < NR_WRITERS; i++) {
		uint64_t first = i * DATA_PAGES / NR_WRITERS, n = DATA_PAGES / NR_WRITERS;
		uint64_t final_gen = jobs[i].uc.args[0];

		TEST_ASSERT_EQ(3, jobs[i].uc.nargs);
		sum = 0;
		for (page = first; page < first + n; page++) {
			for (w = 0; w < WORDS; w++) {
				uint64_t v = ((uint64_t *)(data + page * PAGE_SIZE))[w];

				TEST_ASSERT(v == value(final_gen, page, w),
					    "writer %llu: page %llu word %llu holds %#llx in the host, the guest wrote %#llx",
					    (unsigned long long)i, (unsigned long long)page,
					    (unsigned long long)w, (unsigned long long)v,
					    (unsigned long long)value(final_gen, page, w));
				sum += v * (w + 1);
			}
		}
		TEST_ASSERT_EQ(sum, jobs[i].uc.args[2]);
		ksft_print_msg("writer %llu: %llu generations, %llu words read back as zero (discarded)\n",
			       (unsigned long long)i, (unsigned long long)final_gen,
			       (unsigned long long)jobs[i].uc.args[1]);
	}
	TEST_ASSERT(jobs[NR_WRITERS].uc.args[0] <= atomic_load(&newest_gen),
		    "the reader saw generation %llu, newest is %llu",
		    (unsigned long long)jobs[NR_WRITERS].uc.args[0],
		    (unsigned long long)atomic_load(&newest_gen));
	ksft_print_msg("reader: %llu generation changes seen, %llu exits while the slot was away\n",
		       (unsigned long long)jobs[NR_WRITERS].uc.args[1],
		       (unsigned long long)jobs[NR_WRITERS].absent_exits);
	ksft_print_msg("host: %llu discards (%llu pages), %llu delete/create cycles, %llu moves, %llu logging switches, %llu logs collected\n",
		       (unsigned long long)discards, (unsigned long long)discarded_pages,
		       (unsigned long long)churns, (unsigned long long)moves,
		       (unsigned long long)log_toggles, (unsigned long long)logs);
	TEST_ASSERT(discards > 0 && churns > 16, "too little happened: %llu discards, %llu churns",
		    (unsigned long long)discards, (unsigned long long)churns);
	kvm_vm_free(vm);
	ksft_test_result_pass("%d s of discards, slot churn and dirty logging under 3 vCPUs\n",
			      STRESS_SECONDS);
	ksft_finished();
}
