// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_SET_USER_MEMORY_REGION rules (api.rst 4.35) and the errno of each broken rule, as
 * Linux KVM gives them: create, no-op update, overlap (EEXIST), move, forbidden changes of
 * size or host address (EINVAL), delete, misalignment, bad slot ids and flags, overflow,
 * addresses beyond MAXPHYADDR, unreadable arguments (EFAULT), and many slots at once.
 * Also KVM_SET_TSS_ADDR (4.48) and KVM_SET_IDENTITY_MAP_ADDR (4.57) argument checks.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

#define MB		(1ul << 20)
#define MANY_SLOTS	512

static int vm;

static int set_region(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap %zu bytes", size);
	return p;
}

static void test_create_move_delete(void)
{
	char *mem = map_anon(4 * MB);

	TEST_ASSERT_EQ(0, set_region(0, 0, 0, 2 * MB, mem));
	TEST_ASSERT_EQ(0, set_region(0, 0, 0, 2 * MB, mem));	/* same again: nothing to do */
	TEST_ASSERT_EQ(0, set_region(1, 0, 2 * MB, 2 * MB, mem + 2 * MB));	/* adjacent */
	ksft_test_result_pass("create, repeat and adjacent slots\n");

	TEST_ASSERT_ERRNO(EEXIST, set_region(2, 0, 1 * MB, 2 * MB, mem));
	TEST_ASSERT_ERRNO(EEXIST, set_region(2, 0, 3 * MB, 4096, mem));
	TEST_ASSERT_ERRNO(EEXIST, set_region(2, 0, 0, 8 * MB, mem));	/* covers both */
	ksft_test_result_pass("overlapping a slot is EEXIST\n");

	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, 0, 1 * MB, mem));		/* resize */
	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, 0, 2 * MB, mem + 2 * MB));	/* new hva */
	ksft_test_result_pass("changing a slot's size or host address is EINVAL\n");

	TEST_ASSERT_EQ(0, set_region(0, 0, 8 * MB, 2 * MB, mem));		/* move */
	TEST_ASSERT_ERRNO(EEXIST, set_region(0, 0, 3 * MB, 2 * MB, mem));	/* onto slot 1 */
	TEST_ASSERT_EQ(0, set_region(2, 0, 0, 2 * MB, mem));	/* the old range is free */
	ksft_test_result_pass("a slot moves; its old range is free, others' are not\n");

	TEST_ASSERT_EQ(0, set_region(2, 0, 0, 0, NULL));
	TEST_ASSERT_ERRNO(EINVAL, set_region(2, 0, 0, 0, NULL));	/* already gone */
	TEST_ASSERT_ERRNO(EINVAL, set_region(7, 0, 0, 0, NULL));	/* never existed */
	TEST_ASSERT_EQ(0, set_region(0, 0, 0, 0, NULL));
	TEST_ASSERT_EQ(0, set_region(1, 0, 0, 0, NULL));
	TEST_ASSERT_EQ(0, set_region(0, 0, 0, 2 * MB, mem));	/* recreate where it was */
	TEST_ASSERT_EQ(0, set_region(0, 0, 0, 0, NULL));
	ksft_test_result_pass("delete, and deleting a missing slot is EINVAL\n");
	munmap(mem, 4 * MB);
}

static void test_bad_arguments(int kvm)
{
	int nr_slots = kvm_check_cap(kvm, KVM_CAP_NR_MEMSLOTS);
	char *mem = map_anon(2 * MB);

	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, 0x1000 + 1, 4096, mem));
	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, 0, 4096 + 1, mem));
	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, 0, 4096, mem + 1));
	ksft_test_result_pass("unaligned address or size is EINVAL\n");

	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, 0, 4096, (void *)0xffff800000000000ul));
	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, ~0xffful, 0x2000, mem));	/* gpa wraps */
	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, 0, 1ul << 44, mem));	/* > 2^31 pages */
	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 0, 1ul << 52, 4096, mem));	/* > MAXPHYADDR */
	ksft_test_result_pass("kernel hva, wrapping gpa, huge slot, gpa beyond MAXPHYADDR: EINVAL\n");

	TEST_ASSERT_ERRNO(EINVAL, set_region(0, 1u << 5, 0, 4096, mem));	/* unknown flag */
	TEST_ASSERT_ERRNO(EINVAL, set_region(nr_slots, 0, 0, 4096, mem));
	TEST_ASSERT_ERRNO(EINVAL, set_region(0xffff, 0, 0, 4096, mem));
	TEST_ASSERT_EQ(0, set_region(nr_slots - 1, 0, 0, 4096, mem));
	TEST_ASSERT_EQ(0, set_region(nr_slots - 1, 0, 0, 0, NULL));
	ksft_test_result_pass("slot id >= KVM_CAP_NR_MEMSLOTS (%d) or unknown flags: EINVAL\n",
			      nr_slots);

	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_SET_USER_MEMORY_REGION, NULL));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_SET_USER_MEMORY_REGION, (void *)8));
	ksft_test_result_pass("unreadable argument is EFAULT\n");

	/* an unmapped host range is fine until the guest touches it */
	munmap(mem, 2 * MB);
	TEST_ASSERT_EQ(0, set_region(0, 0, 0, 2 * MB, mem));
	TEST_ASSERT_EQ(0, set_region(0, 0, 0, 0, NULL));
	ksft_test_result_pass("a slot over unmapped host memory is accepted\n");
}

static void test_many_slots(int kvm)
{
	int nr_slots = kvm_check_cap(kvm, KVM_CAP_NR_MEMSLOTS), i;
	char *mem = map_anon(MANY_SLOTS * 4096ul);

	TEST_ASSERT(nr_slots >= 509, "KVM_CAP_NR_MEMSLOTS is %d, want at least 509", nr_slots);
	/* every other page, so that no two slots are adjacent */
	for (i = 0; i < MANY_SLOTS; i++)
		TEST_ASSERT_EQ(0, set_region(i, 0, 2 * i * 4096ul, 4096, mem + i * 4096ul));
	TEST_ASSERT_ERRNO(EEXIST, set_region(MANY_SLOTS, 0, 100 * 4096ul, 4096, mem));
	for (i = 0; i < MANY_SLOTS; i += 2)
		TEST_ASSERT_EQ(0, set_region(i, 0, 0, 0, NULL));
	for (i = 1; i < MANY_SLOTS; i += 2)
		TEST_ASSERT_EQ(0, set_region(i, 0, 0, 0, NULL));
	munmap(mem, MANY_SLOTS * 4096ul);
	ksft_test_result_pass("%d slots at once, deleted in two passes\n", MANY_SLOTS);
}

static void test_tss_and_identity_map(int kvm_fd)
{
	uint64_t addr = 0xfffbc000;

	TEST_ASSERT_EQ(0, ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul));
	TEST_ASSERT_EQ(0, ioctl(vm, KVM_SET_TSS_ADDR, 0xffffd000ul));	/* last allowed */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm, KVM_SET_TSS_ADDR, 0xffffe000ul));
	ksft_test_result_pass("KVM_SET_TSS_ADDR needs three pages below 4 GiB\n");

	TEST_ASSERT_EQ(0, ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &addr));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, NULL));
	ksft_test_result_pass("KVM_SET_IDENTITY_MAP_ADDR reads its argument\n");

	/* api.rst 4.40: "Fails if any VCPU has already been created" (found by difftest_ioctl) */
	{
		int v = vm_create(kvm_fd), vcpu = ioctl(v, KVM_CREATE_VCPU, 0);

		TEST_ASSERT(vcpu >= 0, "KVM_CREATE_VCPU: %s", errno_name(errno));
		TEST_ASSERT_ERRNO(EINVAL, ioctl(v, KVM_SET_IDENTITY_MAP_ADDR, &addr));
		TEST_ASSERT_ERRNO(EINVAL, ioctl(v, KVM_SET_IDENTITY_MAP_ADDR, NULL));
		close(vcpu);
		close(v);
	}
	ksft_test_result_pass("KVM_SET_IDENTITY_MAP_ADDR fails once a vCPU exists\n");
}

int main(void)
{
	int kvm;

	ksft_print_header();
	kvm = kvm_open();
	if (!kvm_check_cap(kvm, KVM_CAP_USER_MEMORY))
		ksft_exit_fail_msg("KVM_CAP_USER_MEMORY not reported\n");
	ksft_set_plan(14);
	vm = vm_create(kvm);
	test_create_move_delete();
	test_bad_arguments(kvm);
	test_many_slots(kvm);
	test_tss_and_identity_map(kvm);
	close(vm);
	close(kvm);
	ksft_finished();
}
