// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module lifetime, run last in the emulated host because it unloads KVM:
 *  - the vendor module cannot be unloaded while /dev/kvm or a VM fd is open;
 *  - unloading removes /dev/kvm and turns virtualization off on every CPU (AMD: EFER.SVME);
 *  - 20 unload/load cycles work, each answering the API, with no kernel memory growth.
 * The modules come from the harness: VMTEST_LOAD (.ko paths, load order) and VMTEST_UNLOAD
 * (module names, unload order). It ends with the modules loaded again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm_util.h"

#define CYCLES		20
#define MSR_EFER	0xc0000080
#define EFER_SVME	(1ull << 12)

static void assert_unloaded_state(void)
{
	struct stat st;
	int cpu;

	TEST_ASSERT(stat(KVM_DEV_PATH, &st) == -1 && errno == ENOENT,
		    "%s still exists after unload", KVM_DEV_PATH);
	if (!kvm_is_amd())
		return;
	for (cpu = 0; cpu < nr_cpus_possible(); cpu++)
		if (cpu_is_online(cpu))
			TEST_ASSERT(!(rdmsr_on_cpu(cpu, MSR_EFER) & EFER_SVME),
				    "EFER.SVME still set on CPU %d after unload", cpu);
}

static void use_kvm(void)
{
	int kvm = kvm_open();

	TEST_ASSERT_EQ(12, ioctl(kvm, KVM_GET_API_VERSION, 0));
	close(vm_create(kvm));
	close(kvm);
}

static void test_pinned_by_open_fds(const char *vendor)
{
	int kvm = kvm_open(), vm;

	TEST_ASSERT_ERRNO(EAGAIN, syscall(SYS_delete_module, vendor, O_NONBLOCK));
	ksft_test_result_pass("%s cannot be unloaded while /dev/kvm is open\n", vendor);

	vm = vm_create(kvm);
	close(kvm);
	TEST_ASSERT_ERRNO(EAGAIN, syscall(SYS_delete_module, vendor, O_NONBLOCK));
	TEST_ASSERT_ERRNO(EAGAIN, syscall(SYS_delete_module, "kvm", O_NONBLOCK));
	close(vm);
	ksft_test_result_pass("%s and kvm cannot be unloaded while a VM fd is open\n", vendor);
}

int main(void)
{
	const char *vendor = kvm_vendor_module();
	static struct mem_snapshot before;
	int i;

	ksft_print_header();
	if (!kvm_modules_harness())
		ksft_exit_skip("VMTEST_LOAD/VMTEST_UNLOAD not set (run from the vmtest harness)\n");
	ksft_set_plan(4);

	test_pinned_by_open_fds(vendor);

	kvm_modules_unload();
	assert_unloaded_state();
	kvm_modules_load("");
	use_kvm();
	ksft_test_result_pass("unload removes /dev/kvm%s; reload works\n",
			      kvm_is_amd() ? " and clears EFER.SVME on every CPU" : "");

	pin_to_cpu(0);
	mem_snapshot_take(&before);
	for (i = 0; i < CYCLES; i++) {
		kvm_modules_unload();
		assert_unloaded_state();
		kvm_modules_load("");
		use_kvm();
	}
	/*
	 * Pages the backends allocate at load (save areas, permission maps: 8 or more per
	 * cycle) must all come back. The slab bound is loose: the stock modules' tracepoints
	 * leave 40-160 kB of tracefs dentries and event structures in the caches over 20
	 * cycles; kmemleak in the debug host is the sharper check for small leaks.
	 */
	mem_snapshot_assert_growth(&before, "20 x unload + load", 48, 256 * 1024, 64);
	ksft_test_result_pass("%d unload/load cycles, no memory growth\n", CYCLES);
	ksft_finished();
}
