// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bad ioctl numbers and bad arguments on /dev/kvm and on a VM fd get the errno Linux KVM
 * gives on x86 (checked against the in-tree modules with KVM=stock):
 *  - /dev/kvm: unknown ioctls are EINVAL (x86's arch fallback), KVM_CREATE_VM with a
 *    machine type other than 0 is EINVAL (api.rst 4.2), no mmap (ENODEV), no read/write;
 *  - VM fd: unknown ioctls are ENOTTY; ioctls from a process other than the creator
 *    (another mm) are EIO (api.rst "General description").
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "kvm_util.h"

#define KVM_IOCTL_UNUSED	_IO(KVMIO, 0xfe)

static void test_system_fd(int kvm)
{
	char buf[8];

	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, KVM_IOCTL_UNUSED, 0));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, TCGETS, buf));
	/* VM and vCPU ioctls sent to the system fd */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, KVM_CREATE_VCPU, 0));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, KVM_RUN, 0));
	ksft_test_result_pass("/dev/kvm: unknown ioctls are EINVAL\n");

	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, KVM_CREATE_VM, 1));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, KVM_CREATE_VM, 0x80000000ul));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, KVM_CREATE_VM, ~0ul));
	ksft_test_result_pass("KVM_CREATE_VM with a non-default machine type is EINVAL\n");

	TEST_ASSERT_EQ(0, kvm_check_cap(kvm, -1));
	TEST_ASSERT_EQ(0, kvm_check_cap(kvm, 0x7fffffff));
	ksft_test_result_pass("KVM_CHECK_EXTENSION of unknown capabilities is 0\n");

	TEST_ASSERT(mmap(NULL, 4096, PROT_READ, MAP_SHARED, kvm, 0) == MAP_FAILED &&
		    errno == ENODEV, "mmap of /dev/kvm: expected ENODEV, got %s",
		    errno_name(errno));
	TEST_ASSERT_ERRNO(EINVAL, read(kvm, buf, sizeof(buf)));
	TEST_ASSERT_ERRNO(EINVAL, write(kvm, buf, sizeof(buf)));
	ksft_test_result_pass("/dev/kvm has no mmap, read or write\n");
}

static void test_vm_fd(int kvm)
{
	char buf[8];
	int vm = vm_create(kvm);

	TEST_ASSERT_ERRNO(ENOTTY, ioctl(vm, KVM_IOCTL_UNUSED, 0));
	TEST_ASSERT_ERRNO(ENOTTY, ioctl(vm, TCGETS, buf));
	/* system ioctls sent to a VM fd */
	TEST_ASSERT_ERRNO(ENOTTY, ioctl(vm, KVM_GET_API_VERSION, 0));
	TEST_ASSERT_ERRNO(ENOTTY, ioctl(vm, KVM_CREATE_VM, 0));
	TEST_ASSERT_ERRNO(ENOTTY, ioctl(vm, KVM_GET_VCPU_MMAP_SIZE, 0));
	ksft_test_result_pass("VM fd: unknown and system ioctls are ENOTTY\n");

	TEST_ASSERT_EQ(0, kvm_check_cap(vm, -1));
	TEST_ASSERT_EQ(0, kvm_check_cap(vm, 0x7fffffff));
	ksft_test_result_pass("VM fd: KVM_CHECK_EXTENSION of unknown capabilities is 0\n");

	TEST_ASSERT(mmap(NULL, 4096, PROT_READ, MAP_SHARED, vm, 0) == MAP_FAILED &&
		    errno == ENODEV, "mmap of a VM fd: expected ENODEV, got %s",
		    errno_name(errno));
	ksft_test_result_pass("VM fd has no mmap\n");
	close(vm);
}

/* A forked child shares the VM fd but not the mm: every VM ioctl is EIO there. */
static void test_vm_fd_other_mm(int kvm)
{
	int vm = vm_create(kvm), status;
	pid_t pid;

	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		long r = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM);

		_exit(r == -1 && errno == EIO ? 0 : 1);
	}
	TEST_ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "VM ioctl from a forked child did not fail with EIO (status %#x)", status);
	/* and the parent still owns a working VM */
	TEST_ASSERT(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM) >= 0,
		    "VM ioctl in the creator after fork");
	close(vm);
	ksft_test_result_pass("VM ioctls from another process are EIO\n");
}

int main(void)
{
	int kvm;

	ksft_print_header();
	ksft_set_plan(8);
	kvm = kvm_open();
	test_system_fd(kvm);
	test_vm_fd(kvm);
	test_vm_fd_other_mm(kvm);
	close(kvm);
	ksft_finished();
}
