// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest memory can be swapped, and swap sees which guest pages are in use (api.rst 4.35,
 * KVM_CAP_SYNC_MMU; the MMU notifier's clear_flush_young / clear_young / test_young).
 *
 * The host gets a swap device (zram, modules zram.ko and what it needs copied next to the
 * tests at build time from the test kernel's module tree; skipped without them). A guest
 * fills a 32 MiB slot (4 KiB pages) with a pattern. The VMM then asks the kernel to page
 * the whole slot out (MADV_PAGEOUT), which reclaims every page that was not referenced
 * since the last look, through the host page tables or through KVM (the notifier's
 * clear_flush_young). The first request clears the references the fill left; then the
 * guest reads a quarter of the pages (the hot set) and the VMM requests again: at least
 * 90% of the hot pages must still be resident (mincore) and at most 10% of the others.
 * Finally the guest checks every word of the slot: pages come back from swap intact.
 *
 * A KVM that reports no guest accesses lets the hot pages go too; one that keeps pages
 * referenced or mapped stops swap altogether; one that keeps mapping a swapped-out page
 * lets the guest read a freed page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "x86_guest.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define DATA_SLOT	1
#define DATA_GPA	(1024 * MiB)
#define DATA_SIZE	(32 * MiB)
#define DATA_PAGES	(DATA_SIZE / PAGE_SIZE)
#define HOT_PAGES	(DATA_PAGES / 4)
#define WORDS		(PAGE_SIZE / 8)
#define ZRAM		"/sys/block/zram0"

enum { CMD_DONE, CMD_TOUCH_HOT, CMD_VERIFY };

static uint64_t pattern(uint64_t page, uint64_t word)
{
	return 0x5357415000000000ULL | page << 16 | word;
}

static volatile uint64_t *guest_word(uint64_t page, uint64_t word)
{
	return (volatile uint64_t *)(DATA_GPA + page * PAGE_SIZE) + word;
}

static void guest_code(void)
{
	uint64_t page, w, cmd, bad, sum;

	for (page = 0; page < DATA_PAGES; page++)
		for (w = 0; w < WORDS; w++)
			*guest_word(page, w) = pattern(page, w);
	cmd = GUEST_SYNC(0);
	while (cmd != CMD_DONE) {
		bad = sum = 0;
		if (cmd == CMD_TOUCH_HOT) {
			/* one read per page: enough to set the accessed bit */
			for (page = 0; page < HOT_PAGES; page++)
				sum += *guest_word(page, page % WORDS);
		} else {
			for (page = 0; page < DATA_PAGES; page++)
				for (w = 0; w < WORDS; w++)
					bad += *guest_word(page, w) != pattern(page, w);
		}
		cmd = GUEST_SYNC(cmd, bad, sum);
	}
	GUEST_DONE();
}

static int sh(const char *cmd)
{
	int r = system(cmd);

	return r == -1 || !WIFEXITED(r) ? -1 : WEXITSTATUS(r);
}

/* zram swap of 256 MiB, from the modules next to the test; false when impossible */
static bool swap_on(void)
{
	struct stat st;

	if (stat(ZRAM, &st)) {
		if (stat("modules/zram.ko", &st))
			return false;
		/* its dependencies first: zsmalloc (6.1), lz4 (6.12); built in elsewhere */
		if (sh("for m in zsmalloc lz4_compress lz4hc_compress; do"
		       " insmod modules/$m.ko 2>/dev/null; done; insmod modules/zram.ko"))
			return false;
	}
	if (write_sysfs(ZRAM "/disksize", "256M"))
		return false;
	return !sh("mkswap /dev/zram0 >/dev/null && swapon /dev/zram0");
}

static void swap_off(void)
{
	TEST_ASSERT_EQ(0, sh("swapoff /dev/zram0"));
	TEST_ASSERT_EQ(0, write_sysfs(ZRAM "/reset", "1"));
}

static void count_resident(uint8_t *mem, uint64_t *hot, uint64_t *cold)
{
	static unsigned char vec[DATA_PAGES];
	uint64_t p;

	TEST_ASSERT(!mincore(mem, DATA_SIZE, vec), "mincore");
	*hot = *cold = 0;
	for (p = 0; p < DATA_PAGES; p++) {
		if (!(vec[p] & 1))
			continue;
		if (p < HOT_PAGES)
			(*hot)++;
		else
			(*cold)++;
	}
}

/*
 * Whether MADV_PAGEOUT keeps the pages referenced since its last look through a secondary
 * MMU (KVM's, through the notifier; the host page tables' own young bits it clears first).
 * Linux 6.9 made it ignore references ("mm: madvise: pageout: ignore references rather
 * than clearing young"): from then on it reclaims every page, and cannot show what KVM
 * reports. No probe from userspace tells the two apart (the VMM's own references are
 * cleared on both), so the kernel's version does.
 */
static bool pageout_sees_references(void)
{
	return !host_kernel_at_least(6, 9);
}

static uint64_t guest_cmd(struct kvm_vcpu *vcpu, struct ucall *uc, uint64_t cmd)
{
	ucall_reply(vcpu, uc, cmd);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, uc);
	TEST_ASSERT_EQ(cmd, uc->args[0]);
	return uc->args[1];
}

int main(void)
{
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	uint64_t hot, cold;
	uint8_t *mem;
	bool refs;

	ksft_print_header();
	if (!swap_on())
		ksft_exit_skip("no zram swap in the host (modules/zram.ko, " ZRAM ")\n");
	ksft_set_plan(2);
	refs = pageout_sees_references();

	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	mem = mmap_aligned(DATA_SIZE, 2 * MiB);
	TEST_ASSERT(!madvise(mem, DATA_SIZE, MADV_NOHUGEPAGE), "madvise(MADV_NOHUGEPAGE)");
	vm_set_slot(vm, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, mem);
	guest_map_range(vm, DATA_GPA, DATA_GPA, DATA_SIZE);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	count_resident(mem, &hot, &cold);
	TEST_ASSERT_EQ(DATA_PAGES, hot + cold);

	/* the fill referenced every page: this look clears that */
	TEST_ASSERT(!madvise(mem, DATA_SIZE, MADV_PAGEOUT), "madvise(MADV_PAGEOUT)");
	count_resident(mem, &hot, &cold);
	ksft_print_msg("after the first MADV_PAGEOUT: %llu of %llu hot and %llu of %llu cold pages resident\n",
		       (unsigned long long)hot, (unsigned long long)HOT_PAGES,
		       (unsigned long long)cold, (unsigned long long)(DATA_PAGES - HOT_PAGES));

	guest_cmd(vcpu, &uc, CMD_TOUCH_HOT);
	TEST_ASSERT(!madvise(mem, DATA_SIZE, MADV_PAGEOUT), "madvise(MADV_PAGEOUT)");
	count_resident(mem, &hot, &cold);
	ksft_print_msg("after the guest read the hot quarter and MADV_PAGEOUT: %llu of %llu hot and %llu of %llu cold pages resident\n",
		       (unsigned long long)hot, (unsigned long long)HOT_PAGES,
		       (unsigned long long)cold, (unsigned long long)(DATA_PAGES - HOT_PAGES));
	TEST_ASSERT(!refs || hot >= HOT_PAGES * 9 / 10,
		    "only %llu of %llu pages the guest just read stayed resident",
		    (unsigned long long)hot, (unsigned long long)HOT_PAGES);
	TEST_ASSERT(cold <= (DATA_PAGES - HOT_PAGES) / 10,
		    "%llu of %llu pages the guest did not read stayed resident",
		    (unsigned long long)cold, (unsigned long long)(DATA_PAGES - HOT_PAGES));
	if (refs)
		ksft_test_result_pass("swap keeps the pages the guest uses, takes the others\n");
	else
		ksft_test_result_skip("swap keeps the pages the guest uses: MADV_PAGEOUT ignores references from Linux 6.9 on\n");

	TEST_ASSERT_EQ(0, guest_cmd(vcpu, &uc, CMD_VERIFY));
	count_resident(mem, &hot, &cold);
	TEST_ASSERT_EQ(DATA_PAGES, hot + cold);
	ucall_reply(vcpu, &uc, CMD_DONE);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
	swap_off();
	ksft_test_result_pass("the guest reads every swapped-out page back intact\n");
	ksft_finished();
}
