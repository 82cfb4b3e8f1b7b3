// SPDX-License-Identifier: GPL-2.0-only
/*
 * Suspend and resume of the host with VMs running: the kernel's own suspend test mode
 * (/sys/power/pm_test = "core", Documentation/power/basic-pm-debugging.rst) goes through
 * a whole suspend to RAM without the firmware's sleep: it freezes every task, suspends the
 * devices, takes the other CPUs offline and runs the syscore suspend callbacks on the boot
 * CPU, waits pm_test_delay seconds, then resumes the same way back. That is every path of
 * virtualization's own around a suspend: the syscore hooks (hw_enable.c, whose signature
 * changed in Debian's 6.12.115), CPU hotplug for the other CPUs, and vCPU threads that
 * must leave KVM_RUN for the freezer (a fake signal: KVM_RUN returns EINTR).
 *
 * Two vCPU threads run across the suspend: one exits to userspace on every loop, the other
 * spins in the guest for about a million instructions between exits, so that the freezer's
 * kick has to pull it out of the guest. After resume: the suspend returned success (it
 * fails with EBUSY if a task could not be frozen), virtualization is on again on every
 * online CPU (AMD: EFER.SVME, APM vol. 2 15.4), both vCPUs go on counting where they were,
 * and a new VM runs on every CPU.
 *
 * The host must offer suspend to RAM ("mem" with "deep" in /sys/power/mem_sleep, ACPI S3:
 * QEMU's PC machine has it); s2idle does not run the syscore callbacks. Without it: a skip.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"
#include "x86_guest.h"

#define SUSPENDS	2
#define NR_RUNNERS	2
#define SPIN_LOOPS	1000000ull

static bool file_has_word(const char *path, const char *word)
{
	char buf[256], *tok, *save;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		/* the current choice is shown in brackets: "[s2idle] deep" */
		if (*tok == '[')
			tok++;
		tok[strcspn(tok, "]")] = 0;
		if (!strcmp(tok, word))
			return true;
	}
	return false;
}

static void guest_sync_loop(void)
{
	uint64_t n;

	for (n = 1;; n++)
		GUEST_SYNC(n);
}

static void guest_spin_loop(void)
{
	volatile uint64_t i;
	uint64_t n;

	for (n = 1;; n++) {
		for (i = 0; i < SPIN_LOOPS; i++)
			;
		GUEST_SYNC(n);
	}
}

struct runner {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	volatile uint64_t syncs;
	uint64_t eintr;
};

static volatile bool runners_stop;

static void *runner_thread(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;
	char buf[256];

	while (!runners_stop) {
		if (__vcpu_run(r->vcpu) < 0) {
			/* the freezer's fake signal (or any signal): api.rst, KVM_RUN, EINTR */
			TEST_ASSERT(errno == EINTR, "vCPU %d: KVM_RUN: %s", r->vcpu->id,
				    errno_name(errno));
			r->eintr++;
			continue;
		}
		TEST_ASSERT(get_ucall(r->vcpu, &uc) == UCALL_SYNC, "vCPU %d: %s", r->vcpu->id,
			    vcpu_exit_str(r->vcpu, buf, sizeof(buf)));
		TEST_ASSERT_EQ(r->syncs + 1, uc.args[0]);
		r->syncs++;
	}
	return NULL;
}

static void wait_for_syncs(struct runner *r, const char *when)
{
	uint64_t start = r->syncs;
	int ms;

	for (ms = 0; ms < 60000 && r->syncs < start + 3; ms += 10)
		usleep(10000);
	TEST_ASSERT(r->syncs >= start + 3, "%s: vCPU %d stuck at %llu exits", when,
		    r->vcpu->id, (unsigned long long)r->syncs);
}

/* a fresh VM whose vCPU runs to its first exit on each online CPU in turn */
static void new_vm_runs_on_every_cpu(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_sync_loop);
	struct ucall uc;
	uint64_t n = 0;
	int cpu;

	for (cpu = 0; cpu < nr_cpus_possible(); cpu++) {
		if (!cpu_is_online(cpu))
			continue;
		pin_to_cpu(cpu);
		vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
		TEST_ASSERT_EQ(++n, uc.args[0]);
	}
	kvm_vm_free(vm);
}

int main(void)
{
	const char *pm_test = "/sys/power/pm_test", *delay =
		"/sys/module/suspend/parameters/pm_test_delay";
	struct runner runners[NR_RUNNERS];
	struct kvm_vm *vm;
	bool amd = kvm_is_amd();
	int i, s, r;

	ksft_print_header();
	ksft_set_plan(SUSPENDS + 1);
	if (!file_has_word("/sys/power/state", "mem") ||
	    !file_has_word("/sys/power/mem_sleep", "deep") || access(pm_test, W_OK))
		ksft_exit_skip("the host has no suspend to RAM (ACPI S3) or no pm_test "
			       "(CONFIG_PM_DEBUG)\n");
	skip_if_stock_kvm_intel_in_bochs();

	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	runners[0].vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_sync_loop);
	runners[1].vcpu = guest_vcpu_add(vm, 1, (uint64_t)guest_spin_loop);
	for (i = 0; i < NR_RUNNERS; i++) {
		runners[i].syncs = runners[i].eintr = 0;
		TEST_ASSERT_EQ(0, pthread_create(&runners[i].thread, NULL, runner_thread,
						 &runners[i]));
	}
	for (i = 0; i < NR_RUNNERS; i++)
		wait_for_syncs(&runners[i], "before suspend");

	TEST_ASSERT_EQ(0, write_sysfs("/sys/power/mem_sleep", "deep"));
	TEST_ASSERT_EQ(0, write_sysfs(pm_test, "core"));
	if (!access(delay, W_OK))
		TEST_ASSERT_EQ(0, write_sysfs(delay, "1"));
	for (s = 1; s <= SUSPENDS; s++) {
		uint64_t before[NR_RUNNERS];

		for (i = 0; i < NR_RUNNERS; i++)
			before[i] = runners[i].syncs;
		/* returns once the whole suspend/resume cycle is over */
		r = write_sysfs("/sys/power/state", "mem");
		TEST_ASSERT(r == 0, "suspend %d: %s (a task that would not freeze: EBUSY)", s,
			    errno_name(-r));
		if (amd)
			assert_svme_on_online_cpus("after resume");
		for (i = 0; i < NR_RUNNERS; i++)
			wait_for_syncs(&runners[i], "after resume");
		ksft_test_result_pass("suspend %d (pm_test core): vCPUs at %llu and %llu exits "
				      "before, go on to %llu and %llu%s\n", s,
				      (unsigned long long)before[0], (unsigned long long)before[1],
				      (unsigned long long)runners[0].syncs,
				      (unsigned long long)runners[1].syncs,
				      amd ? "; EFER.SVME set on every CPU" : "");
	}
	TEST_ASSERT_EQ(0, write_sysfs(pm_test, "none"));
	runners_stop = true;
	for (i = 0; i < NR_RUNNERS; i++)
		TEST_ASSERT_EQ(0, pthread_join(runners[i].thread, NULL));
	ksft_print_msg("KVM_RUN returned EINTR %llu and %llu times (the freezer)\n",
		       (unsigned long long)runners[0].eintr, (unsigned long long)runners[1].eintr);
	kvm_vm_free(vm);

	new_vm_runs_on_every_cpu();
	ksft_test_result_pass("after %d suspends a new VM runs on each of %d CPUs\n", SUSPENDS,
			      nr_cpus_possible());
	ksft_finished();
}
