// SPDX-License-Identifier: GPL-2.0-only
/*
 * Deleting and moving a memory slot while a vCPU uses it (api.rst 4.35: "it is safe to ...
 * while vCPUs run"). A long-mode guest reads a 64-bit generation number from a page of
 * slot 1 in a loop and asserts it never goes backwards. The host meanwhile deletes slot 1,
 * writes the next generation into a fresh backing page and creates the slot again over it,
 * and now and then moves the slot away and back. A translation that outlived its slot
 * would let the guest read an older page: the assertion would fail in the guest.
 *
 * While slot 1 is absent the read has nowhere to go: stock KVM exits with KVM_EXIT_MMIO
 * (answered here with the newest generation), a KVM without MMIO emulation with
 * KVM_EXIT_INTERNAL_ERROR (re-entered: the load is retried). Either way the guest goes on.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "x86_guest.h"

#define SLOT1		1
#define SLOT1_GPA	(16 * MiB)
#define SLOT1_AWAY_GPA	(32 * MiB)
#define RING		8	/* backing pages reused round-robin: stale ones hold old values */
#define CHURN_SECONDS	3

static volatile uint64_t stop_guest;	/* set by the host in guest memory */

static void guest_reader(volatile uint64_t *gen)
{
	uint64_t prev = 0, v, changes = 0;

	while (!stop_guest) {
		v = *gen;
		GUEST_ASSERT_MSG(v >= prev, "generation went back from %llu to %llu",
				 (unsigned long long)prev, (unsigned long long)v);
		changes += v != prev;
		prev = v;
	}
	GUEST_SYNC(prev, changes);
	GUEST_DONE();
}

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpu;
static _Atomic uint64_t newest_gen;
static _Atomic int vcpu_done;
static uint64_t mmio_exits, internal_exits;

static void set_slot1(uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = SLOT1, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void *vcpu_thread(void *arg)
{
	struct kvm_run *run = vcpu->run;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_MMIO) {
			uint64_t gen = atomic_load(&newest_gen);

			TEST_ASSERT(!run->mmio.is_write && run->mmio.len == 8 &&
				    run->mmio.phys_addr == SLOT1_GPA,
				    "unexpected MMIO: %s %u bytes at %#llx",
				    run->mmio.is_write ? "write" : "read", run->mmio.len,
				    (unsigned long long)run->mmio.phys_addr);
			memcpy(run->mmio.data, &gen, 8);
			mmio_exits++;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		    run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
			internal_exits++;
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT(uc.args[0] <= atomic_load(&newest_gen),
				    "guest saw generation %llu, newest is %llu",
				    (unsigned long long)uc.args[0],
				    (unsigned long long)atomic_load(&newest_gen));
			TEST_ASSERT(uc.args[1] >= 2, "the guest saw only %llu generation changes",
				    (unsigned long long)uc.args[1]);
			ksft_print_msg("guest saw %llu changes, last generation %llu\n",
				       (unsigned long long)uc.args[1],
				       (unsigned long long)uc.args[0]);
			continue;
		case UCALL_DONE:
			atomic_store(&vcpu_done, 1);
			return NULL;
		default:
			vcpu_run_ucall(vcpu, &uc);	/* reports ABORT with the guest's message */
			TEST_ASSERT(0, "unexpected exit: %s", exit_reason_str(run->exit_reason));
		}
	}
}

int main(void)
{
	uint8_t *ring = mmap(NULL, RING * PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec start, now;
	uint64_t gen, churns = 0, moves = 0;
	pthread_t thread;

	ksft_print_header();
	ksft_set_plan(1);
	TEST_ASSERT(ring != MAP_FAILED, "mmap");

	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	guest_map_page(vm, SLOT1_GPA, SLOT1_GPA);
	*(uint64_t *)ring = 1;
	atomic_store(&newest_gen, 1);
	set_slot1(SLOT1_GPA, PAGE_SIZE, ring);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_reader);
	vcpu_set_args(vcpu, SLOT1_GPA);
	TEST_ASSERT(!pthread_create(&thread, NULL, vcpu_thread, NULL), "pthread_create");

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		gen = atomic_load(&newest_gen) + 1;
		set_slot1(SLOT1_GPA, 0, NULL);				/* delete */
		*(uint64_t *)(ring + (gen % RING) * PAGE_SIZE) = gen;
		atomic_store(&newest_gen, gen);
		set_slot1(SLOT1_GPA, PAGE_SIZE, ring + (gen % RING) * PAGE_SIZE);
		if (++churns % 16 == 0) {
			/* move away (the guest cannot see it there) and back */
			set_slot1(SLOT1_AWAY_GPA, PAGE_SIZE, ring + (gen % RING) * PAGE_SIZE);
			set_slot1(SLOT1_GPA, PAGE_SIZE, ring + (gen % RING) * PAGE_SIZE);
			moves++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < CHURN_SECONDS);

	*(volatile uint64_t *)addr_gva2hva(vm, (uint64_t)&stop_guest) = 1;
	TEST_ASSERT(!pthread_join(thread, NULL), "pthread_join");
	TEST_ASSERT_EQ(1, atomic_load(&vcpu_done));
	ksft_print_msg("%llu delete/create cycles, %llu moves; %llu MMIO and %llu internal-error exits while absent\n",
		       (unsigned long long)churns, (unsigned long long)moves,
		       (unsigned long long)mmio_exits, (unsigned long long)internal_exits);
	kvm_vm_free(vm);
	ksft_test_result_pass("slot deleted, re-created and moved under a running vCPU\n");
	ksft_finished();
}
