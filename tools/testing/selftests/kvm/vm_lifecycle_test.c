// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM lifetime (api.rst 4.2 KVM_CREATE_VM): a VM fd keeps its VM alive on its own, closing
 * the last reference frees everything, and creating and closing VMs many times does not
 * grow kernel memory (2,000 times: a leak must stand out of the noise).
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"

#define CYCLES		2000
#define MANY_VMS	64

static bool vm_alive(int vm)
{
	return ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM) >= 0;
}

/* The VM fd holds the VM; /dev/kvm may be closed first. */
static void test_vm_outlives_system_fd(void)
{
	int kvm = kvm_open();
	int vm = vm_create(kvm);

	close(kvm);
	TEST_ASSERT(vm_alive(vm), "VM fd unusable after closing /dev/kvm");
	TEST_ASSERT(fcntl(vm, F_GETFD) & FD_CLOEXEC, "VM fd is not close-on-exec");
	close(vm);
	ksft_test_result_pass("VM fd outlives /dev/kvm fd and is O_CLOEXEC\n");
}

/* A duplicate of the fd keeps the VM: the last close frees it, not the first. */
static void test_dup_keeps_vm(int kvm)
{
	int vm = vm_create(kvm);
	int dup_fd = dup(vm);

	TEST_ASSERT(dup_fd >= 0, "dup");
	close(vm);
	TEST_ASSERT(vm_alive(dup_fd), "VM gone after closing one of two fds");
	close(dup_fd);
	ksft_test_result_pass("a dup()ed VM fd keeps the VM alive\n");
}

/* A child that inherits the fd and exits does not take the VM with it. */
static void test_fork_child_exit(int kvm)
{
	int vm = vm_create(kvm), status;
	pid_t pid = fork();

	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0)
		_exit(0);
	TEST_ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TEST_ASSERT(vm_alive(vm), "VM unusable after a forked child exited");
	close(vm);
	ksft_test_result_pass("VM survives a forked child's exit\n");
}

static void test_many_vms(int kvm)
{
	int vms[MANY_VMS], i;

	for (i = 0; i < MANY_VMS; i++)
		vms[i] = vm_create(kvm);
	for (i = 0; i < MANY_VMS; i++)
		TEST_ASSERT(vm_alive(vms[i]), "VM %d of %d", i, MANY_VMS);
	for (i = 0; i < MANY_VMS; i++)
		close(vms[i]);
	ksft_test_result_pass("%d VMs at once\n", MANY_VMS);
}

static void test_create_close_cycles(int kvm)
{
	const char *vendor = kvm_vendor_module();
	long long refcount;
	static struct mem_snapshot before;
	int i, vm, first_fd;

	/* one CPU: per-CPU slab caches then move less between the two snapshots */
	pin_to_cpu(0);
	/* warm the slab caches and the fd table before measuring */
	for (i = 0; i < 50; i++)
		close(vm_create(kvm));
	mem_snapshot_take(&before);
	refcount = module_refcount(vendor);

	first_fd = vm_create(kvm);
	close(first_fd);
	for (i = 0; i < CYCLES; i++) {
		vm = vm_create(kvm);
		TEST_ASSERT_EQ(first_fd, vm);	/* the fd was really released */
		close(vm);
	}
	/* every VM pins the backend module while it lives: all of them must be gone */
	TEST_ASSERT_EQ(refcount, module_refcount(vendor));
	/*
	 * Leaked VMs would leave at least one struct (64 bytes or more) each in slab. The
	 * bound, 24 bytes per cycle, is for noise only: objects parked in per-CPU slabs count
	 * as in use, up to about 20 kB here whatever the number of cycles.
	 */
	mem_snapshot_assert_growth(&before, "KVM_CREATE_VM + close cycles", 64, 24 * CYCLES, 64);
	ksft_test_result_pass("%d x create + close, no memory growth\n", CYCLES);
}

int main(void)
{
	int kvm;

	ksft_print_header();
	ksft_set_plan(5);
	kvm = kvm_open();
	test_vm_outlives_system_fd();
	test_dup_keeps_vm(kvm);
	test_fork_child_exit(kvm);
	test_many_vms(kvm);
	test_create_close_cycles(kvm);
	close(kvm);
	ksft_finished();
}
