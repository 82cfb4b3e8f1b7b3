// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtualization is on for every online CPU while a VM exists, including a CPU that went
 * offline and came back (CPU hotplug). On AMD this is read directly: EFER.SVME (APM vol. 2,
 * 15.4) through /dev/cpu/N/msr. VMX operation is invisible from userspace (CR4.VMXE is no
 * MSR), so on Intel only "VMs still work after the CPU came back" is checked.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define MSR_EFER	0xc0000080
#define EFER_SVME	(1ull << 12)

static void assert_svme_on_online_cpus(const char *when)
{
	int cpu;

	for (cpu = 0; cpu < nr_cpus_possible(); cpu++) {
		if (!cpu_is_online(cpu))
			continue;
		TEST_ASSERT(rdmsr_on_cpu(cpu, MSR_EFER) & EFER_SVME,
			    "%s: EFER.SVME clear on CPU %d (EFER=%#llx)", when, cpu,
			    (unsigned long long)rdmsr_on_cpu(cpu, MSR_EFER));
	}
}

static int set_cpu_online(int cpu, bool online)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return write_sysfs(path, online ? "1" : "0");
}

int main(void)
{
	int kvm, vm, vm2, cpu = nr_cpus_possible() - 1, r;
	bool amd = kvm_is_amd();

	ksft_print_header();
	ksft_set_plan(2);
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
out:
	close(vm);
	close(kvm);
	ksft_finished();
}
