// SPDX-License-Identifier: GPL-2.0-only
/*
 * Several vCPUs running in parallel, each in a thread of its own, in one VM and in two VMs
 * at once. The main thread creates and sets up the vCPUs, the workers run them: api.rst
 * section 1 allows vCPU ioctls from another thread than the creator (the first one after a
 * switch may be slower).
 *
 * Each vCPU adds its own step to its own counter in guest memory, ROUNDS times ITERATIONS
 * times, and reports the count after each round with a ucall: the host checks every report,
 * the counter as it sees it in guest memory meanwhile, and at the end that no vCPU or VM
 * wrote anywhere but its own counter.
 */
#include <pthread.h>

#include "x86_guest.h"

#define ITERATIONS	50000
#define ROUNDS		20

struct vcpu_job {
	struct kvm_vcpu *vcpu;
	uint64_t counter_gpa;
	uint64_t step;
	pthread_t thread;
};

static void guest_count(volatile uint64_t *counter, uint64_t step, uint64_t iterations,
			uint64_t rounds)
{
	uint64_t round, i;

	for (round = 1; round <= rounds; round++) {
		for (i = 0; i < iterations; i++)
			*counter += step;
		GUEST_SYNC(round, *counter);
	}
	GUEST_DONE();
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_job *job = arg;
	struct kvm_vcpu *vcpu = job->vcpu;
	uint64_t *counter = addr_gpa2hva(vcpu->vm, job->counter_gpa);
	struct ucall uc;
	uint64_t round;

	for (round = 1; round <= ROUNDS; round++) {
		vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
		TEST_ASSERT_EQ(2, uc.nargs);
		TEST_ASSERT_EQ(round, uc.args[0]);
		TEST_ASSERT_EQ(round * ITERATIONS * job->step, uc.args[1]);
		/* the vCPU is stopped in the ucall: the host sees the same count */
		TEST_ASSERT_EQ(round * ITERATIONS * job->step, *counter);
	}
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	return NULL;
}

/* vCPUs 0..n-1 of a long-mode VM, each with a counter on a page of its own. */
static struct kvm_vm *counting_vm(struct vcpu_job *jobs, int n, uint64_t step_base)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	int i;

	for (i = 0; i < n; i++) {
		jobs[i].vcpu = guest_vcpu_add(vm, i, (uint64_t)guest_count);
		jobs[i].counter_gpa = vm_alloc_pages(vm, 1);
		jobs[i].step = step_base + i + 1;
		/* identity-mapped: the counter's gva is its gpa */
		vcpu_set_args(jobs[i].vcpu, jobs[i].counter_gpa, jobs[i].step, ITERATIONS,
			      ROUNDS);
	}
	return vm;
}

static void start_jobs(struct vcpu_job *jobs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		TEST_ASSERT_EQ(0, pthread_create(&jobs[i].thread, NULL, vcpu_thread, &jobs[i]));
}

static void join_jobs(struct vcpu_job *jobs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		TEST_ASSERT_EQ(0, pthread_join(jobs[i].thread, NULL));
}

/* Final counts, and the rest of each counter's page untouched. */
static void check_counters(struct vcpu_job *jobs, int n)
{
	int i, j;

	for (i = 0; i < n; i++) {
		uint64_t *page = addr_gpa2hva(jobs[i].vcpu->vm, jobs[i].counter_gpa);

		TEST_ASSERT_EQ(ROUNDS * ITERATIONS * jobs[i].step, page[0]);
		for (j = 1; j < (int)(PAGE_SIZE / sizeof(*page)); j++)
			TEST_ASSERT_EQ(0, page[j]);
	}
}

static void test_one_vm_four_vcpus(void)
{
	struct vcpu_job jobs[4];
	struct kvm_vm *vm = counting_vm(jobs, 4, 0);

	start_jobs(jobs, 4);
	join_jobs(jobs, 4);
	check_counters(jobs, 4);
	kvm_vm_free(vm);
	ksft_test_result_pass("1 VM, 4 vCPUs in 4 threads: %d x %d increments each\n",
			      ROUNDS, ITERATIONS);
}

/*
 * Two VMs run the same guest code at the same addresses with different memory: the
 * counters of VM 1 use steps 101, 102, those of VM 0 steps 1, 2, so a count that lands in
 * the wrong VM shows.
 */
static void test_two_vms_two_vcpus(void)
{
	struct vcpu_job jobs[2][2];
	struct kvm_vm *vms[2];
	int i;

	for (i = 0; i < 2; i++)
		vms[i] = counting_vm(jobs[i], 2, 100 * i);
	for (i = 0; i < 2; i++)
		start_jobs(jobs[i], 2);
	for (i = 0; i < 2; i++)
		join_jobs(jobs[i], 2);
	for (i = 0; i < 2; i++) {
		check_counters(jobs[i], 2);
		kvm_vm_free(vms[i]);
	}
	ksft_test_result_pass("2 VMs at once, 2 vCPUs each: %d x %d increments each\n",
			      ROUNDS, ITERATIONS);
}

/*
 * More vCPUs than the CPU has ASIDs (QEMU's SVM has 16): KVM must share them out, and a
 * vCPU given a recycled ASID must not see another vCPU's translations (each VM's counter
 * pages are at the same guest addresses, with different memory behind).
 */
#define MANY_VMS	3
#define MANY_VCPUS	16

static void test_many_vcpus(void)
{
	static struct vcpu_job jobs[MANY_VMS][MANY_VCPUS];
	struct kvm_vm *vms[MANY_VMS];
	int i;

	for (i = 0; i < MANY_VMS; i++)
		vms[i] = counting_vm(jobs[i], MANY_VCPUS, 100 * i);
	for (i = 0; i < MANY_VMS; i++)
		start_jobs(jobs[i], MANY_VCPUS);
	for (i = 0; i < MANY_VMS; i++)
		join_jobs(jobs[i], MANY_VCPUS);
	for (i = 0; i < MANY_VMS; i++) {
		check_counters(jobs[i], MANY_VCPUS);
		kvm_vm_free(vms[i]);
	}
	ksft_test_result_pass("%d VMs x %d vCPUs running at once\n", MANY_VMS, MANY_VCPUS);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(3);
	test_one_vm_four_vcpus();
	test_two_vms_two_vcpus();
	test_many_vcpus();
	ksft_finished();
}
