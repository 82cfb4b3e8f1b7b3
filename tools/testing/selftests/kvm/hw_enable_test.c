// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtualization is on for every online CPU while a VM exists, including a CPU that went
 * offline and came back (CPU hotplug). On AMD this is read directly: EFER.SVME (APM vol. 2,
 * 15.4) through /dev/cpu/N/msr. VMX operation is invisible from userspace (CR4.VMXE is no
 * MSR), so on Intel only "VMs still work after the CPU came back" is checked.
 *
 * Then the same with vCPUs running: two vCPU threads, unpinned, run a guest that exits to
 * userspace all the time while the last CPU goes offline and comes back HOTPLUG_CYCLES times
 * (environment, default 20): a vCPU whose CPU goes away moves to another (its VMCS or VMCB
 * with it) and every round trip still reports the right count.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"
#include "x86_guest.h"

static int set_cpu_online(int cpu, bool online)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return write_sysfs(path, online ? "1" : "0");
}

#define NR_RUNNERS 2

static volatile bool runners_stop;

static void guest_spin_sync(void)
{
	uint64_t n;

	for (n = 1;; n++)
		GUEST_SYNC(n);
}

struct runner {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	uint64_t syncs;
};

static void *runner_thread(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;

	while (!runners_stop) {
		vcpu_run_expect_ucall(r->vcpu, UCALL_SYNC, &uc);
		TEST_ASSERT_EQ(r->syncs + 1, uc.args[0]);
		r->syncs++;
	}
	return NULL;
}

static void hotplug_with_running_vcpus(int cpu)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct runner runners[NR_RUNNERS];
	const char *env = getenv("HOTPLUG_CYCLES");
	int cycles = env ? atoi(env) : 20, i, r;

	for (i = 0; i < NR_RUNNERS; i++) {
		runners[i].vcpu = guest_vcpu_add(vm, i, (uint64_t)guest_spin_sync);
		runners[i].syncs = 0;
		TEST_ASSERT_EQ(0, pthread_create(&runners[i].thread, NULL, runner_thread,
						 &runners[i]));
	}
	for (i = 0; i < cycles; i++) {
		r = set_cpu_online(cpu, false);
		TEST_ASSERT(r == 0, "cycle %d: offline CPU %d: %s", i, cpu, errno_name(-r));
		usleep(20000);
		r = set_cpu_online(cpu, true);
		TEST_ASSERT(r == 0, "cycle %d: online CPU %d: %s", i, cpu, errno_name(-r));
		usleep(20000);
	}
	runners_stop = true;
	for (i = 0; i < NR_RUNNERS; i++) {
		TEST_ASSERT_EQ(0, pthread_join(runners[i].thread, NULL));
		TEST_ASSERT(runners[i].syncs > 0, "vCPU %d never ran", i);
	}
	kvm_vm_free(vm);
	ksft_test_result_pass("CPU %d offline/online %d times under %d running vCPUs "
			      "(%llu + %llu exits)\n", cpu, cycles, NR_RUNNERS,
			      (unsigned long long)runners[0].syncs,
			      (unsigned long long)runners[1].syncs);
}

int main(void)
{
	int kvm, vm, vm2, cpu = nr_cpus_possible() - 1, r;
	bool amd = kvm_is_amd();

	ksft_print_header();
	ksft_set_plan(3);
	kvm = kvm_open();
	vm = vm_create(kvm);

	if (amd) {
		assert_svme_on_online_cpus("with a VM");
		ksft_test_result_pass("EFER.SVME set on all %d CPUs while a VM exists\n",
				      nr_cpus_possible());
	} else {
		ksft_test_result_skip("VMX operation is not observable from userspace\n");
	}

	if (cpu < 1) {
		ksft_test_result_skip("one CPU: no hotplug to test\n");
		ksft_test_result_skip("one CPU: no hotplug to test\n");
		goto out;
	}
	r = set_cpu_online(cpu, false);
	TEST_ASSERT(r == 0, "offline CPU %d: %s", cpu, errno_name(-r));
	TEST_ASSERT(!cpu_is_online(cpu), "CPU %d still online", cpu);
	vm2 = vm_create(kvm);	/* works with a CPU offline */
	close(vm2);
	r = set_cpu_online(cpu, true);
	TEST_ASSERT(r == 0, "online CPU %d: %s", cpu, errno_name(-r));
	if (amd)
		assert_svme_on_online_cpus("after CPU hotplug");
	vm2 = vm_create(kvm);
	close(vm2);
	ksft_test_result_pass("CPU %d offline/online: virtualization re-enabled on it\n", cpu);
	hotplug_with_running_vcpus(cpu);
out:
	close(vm);
	close(kvm);
	ksft_finished();
}
