// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/kvm basics: the API version (api.rst 4.1), the vCPU mmap size (4.5) and the
 * character device itself (misc minor 232).
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kvm_util.h"

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct stat st;
	int kvm;

	ksft_print_header();
	ksft_set_plan(5);

	TEST_ASSERT(!stat(KVM_DEV_PATH, &st), "stat %s", KVM_DEV_PATH);
	TEST_ASSERT(S_ISCHR(st.st_mode), "%s is not a character device", KVM_DEV_PATH);
	TEST_ASSERT_EQ(10, major(st.st_rdev));	/* MISC_MAJOR */
	TEST_ASSERT_EQ(232, minor(st.st_rdev));	/* KVM_MINOR */
	ksft_test_result_pass("/dev/kvm is misc char device 10:232\n");

	kvm = kvm_open();
	TEST_ASSERT_EQ(KVM_API_VERSION, ioctl(kvm, KVM_GET_API_VERSION, 0));
	TEST_ASSERT_EQ(12, KVM_API_VERSION);
	ksft_test_result_pass("KVM_GET_API_VERSION is 12\n");

	/* api.rst 4.1: "Parameters: none"; the argument must be 0 */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, KVM_GET_API_VERSION, 1));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 1));
	ksft_test_result_pass("non-zero argument to argument-less ioctls is EINVAL\n");

	/*
	 * x86 layout: the kvm_run page, then the PIO data page (KVM_PIO_PAGE_OFFSET = 1)
	 * and the coalesced MMIO ring (KVM_COALESCED_MMIO_PAGE_OFFSET = 2).
	 */
	TEST_ASSERT_EQ(3 * page, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	TEST_ASSERT(3 * page >= (long)sizeof(struct kvm_run), "kvm_run larger than its page");
	ksft_test_result_pass("KVM_GET_VCPU_MMAP_SIZE is 3 pages\n");

	/* O_RDONLY opens work too: KVM checks nothing at open */
	close(kvm);
	kvm = open(KVM_DEV_PATH, O_RDONLY);
	TEST_ASSERT(kvm >= 0, "open(%s, O_RDONLY)", KVM_DEV_PATH);
	TEST_ASSERT_EQ(12, ioctl(kvm, KVM_GET_API_VERSION, 0));
	close(kvm);
	ksft_test_result_pass("read-only open answers the API version\n");

	ksft_finished();
}
