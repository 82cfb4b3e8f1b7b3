// SPDX-License-Identifier: GPL-2.0-only
/*
 * String port I/O (SDM vol. 2 "INS", "OUTS", "REP"; api.rst KVM_EXIT_IO): REP INS of
 * bytes, words and dwords filled from userspace, REP OUTSW/OUTSD, a string walked
 * backwards (DF=1), REP with RCX=0 (no access at all), and REP INSB running into an
 * unmapped page: the elements before it are stored, then #PF with CR2 at the first byte of
 * the missing page and RDI/RCX telling how far it got. However KVM splits the string into
 * exits (count per exit), userspace sees every element once, in order.
 * With the memory operand in device memory (no memslot): REP INSW stores what userspace
 * answered through MMIO writes, REP OUTSW reads each element through an MMIO read before
 * its port write (stock KVM emulates both; ours raised #GP: difftest_guest).
 */
#include <string.h>

#include "x86_guest.h"

#define PORT		0x3f8
#define N		10
#define PF_PAGE		(6 * MiB)	/* in guest memory but unmapped by the guest */
#define MMIO_GVA	0xd0000000ULL	/* gva == gpa, no memslot: device memory */
#define NM		3		/* elements of the strings in device memory */

static uint8_t in_bytes[N];
static uint16_t in_words[N];
static uint32_t in_dwords[N];
static const uint16_t out_words[N] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xffff };
static const uint32_t out_dwords[N] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444,
					0x55555555, 0x66666666, 0x77777777, 0x88888888,
					0x99999999, 0xaaaaaaaa };
static const char backwards[] = "0123456789";

/* REP INS/OUTS "insn" of n elements at buf: RDI or RSI and RCX move, as the CPU leaves them */
#define REP_IN(insn, buf, n) do {						\
	void *__d = (void *)(buf);						\
	uint64_t __c = (n);							\
	asm volatile("rep " insn : "+D"(__d), "+c"(__c) : "d"(PORT) : "memory");	\
} while (0)
#define REP_OUT(prefix, insn, suffix, buf, n) do {				\
	const void *__s = (buf);						\
	uint64_t __c = (n);							\
	asm volatile(prefix "rep " insn suffix : "+S"(__s), "+c"(__c) : "d"(PORT) : "memory"); \
} while (0)

static void guest_strings(uint64_t pf_buf)
{
	void *rdi = (void *)pf_buf;
	uint64_t rcx = N;

	REP_IN("insb", in_bytes, N);
	REP_IN("insw", in_words, N);
	REP_IN("insl", in_dwords, N);
	GUEST_SYNC(1);
	REP_OUT("", "outsw", "", out_words, N);
	REP_OUT("", "outsl", "", out_dwords, N);
	/* backwards: from the last byte, DF=1 */
	REP_OUT("std; ", "outsb", "; cld", backwards + N - 1, N);
	/* RCX = 0: nothing happens */
	REP_OUT("", "outsb", "", backwards, 0);
	GUEST_SYNC(2);
	REP_IN("insw", MMIO_GVA, NM);
	REP_OUT("", "outsw", "", (const void *)(MMIO_GVA + 0x100), NM);
	GUEST_SYNC(4);
	/* 4 bytes fit before the unmapped page, the 5th faults */
	asm volatile("rep insb" : "+D"(rdi), "+c"(rcx) : "d"(PORT) : "memory");
	GUEST_FAIL("rep insb into an unmapped page did not fault");
}

static uint64_t pf_count, pf_cr2, pf_rdi, pf_rcx;

static void guest_pf_handler(struct ex_regs *regs)
{
	pf_count++;
	pf_cr2 = guest_read_cr2();
	pf_rdi = regs->rdi;
	pf_rcx = regs->rcx;
	GUEST_SYNC(3, pf_count, pf_cr2, pf_rdi, pf_rcx);
	GUEST_DONE();
}

/* Exits for one string: check each element, answer INs with value(i). */
static void run_string(struct kvm_vcpu *vcpu, uint8_t dir, int size, int n,
		       const void *expect, uint32_t (*value)(int))
{
	struct kvm_run *run = vcpu->run;
	int done = 0, i;

	while (done < n) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_IO);
		TEST_ASSERT_EQ(dir, run->io.direction);
		TEST_ASSERT_EQ(size, run->io.size);
		TEST_ASSERT_EQ(PORT, run->io.port);
		TEST_ASSERT(run->io.count >= 1 && done + run->io.count <= (unsigned int)n,
			    "exit with count %u after %d of %d", run->io.count, done, n);
		for (i = 0; i < (int)run->io.count; i++) {
			uint8_t *data = (uint8_t *)vcpu_io_data(vcpu) + i * size;

			if (dir == KVM_EXIT_IO_OUT) {
				TEST_ASSERT(!memcmp(data, (const uint8_t *)expect + (done + i) * size,
						    size), "element %d of an OUTS", done + i);
			} else {
				uint32_t v = value(done + i);

				memcpy(data, &v, size);
			}
		}
		done += run->io.count;
	}
}

static uint32_t value_of(int i)
{
	return 0x01020304u * (i + 1);
}

/*
 * REP INSW of NM words to MMIO_GVA, then REP OUTSW of NM words from MMIO_GVA + 0x100, the
 * device a byte array: whatever the batches, INs answered with value_of(), the words land
 * in the device in order, and each OUT carries the word its MMIO read returned.
 */
static void run_mmio_strings(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t dev[0x200] = { 0 };
	int ins = 0, outs = 0, i;
	struct ucall uc;

	for (i = 0; i < NM; i++)
		*(uint16_t *)&dev[0x100 + 2 * i] = 0xa000 + i;
	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_MMIO) {
			uint64_t off = run->mmio.phys_addr - MMIO_GVA;

			TEST_ASSERT(off < sizeof(dev) && off + run->mmio.len <= sizeof(dev),
				    "MMIO at %#llx", (unsigned long long)run->mmio.phys_addr);
			if (run->mmio.is_write)
				memcpy(&dev[off], run->mmio.data, run->mmio.len);
			else
				memcpy(run->mmio.data, &dev[off], run->mmio.len);
			continue;
		}
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != PORT)
			break;
		TEST_ASSERT_EQ(2, run->io.size);
		for (i = 0; i < (int)run->io.count; i++) {
			uint16_t *data = (uint16_t *)vcpu_io_data(vcpu) + i;

			if (run->io.direction == KVM_EXIT_IO_IN) {
				TEST_ASSERT(ins < NM, "more than %d INS elements", NM);
				*data = value_of(ins++);
			} else {
				TEST_ASSERT(outs < NM, "more than %d OUTS elements", NM);
				TEST_ASSERT_EQ(0xa000 + outs, *data);
				outs++;
			}
		}
	}
	TEST_ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	TEST_ASSERT_EQ(4, uc.args[0]);
	TEST_ASSERT_EQ(NM, ins);
	TEST_ASSERT_EQ(NM, outs);
	for (i = 0; i < NM; i++)
		TEST_ASSERT_EQ((uint16_t)value_of(i), *(uint16_t *)&dev[2 * i]);
}

int main(void)
{
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	uint8_t rev[N];
	uint64_t pf_buf = PF_PAGE - 4;
	int i;

	ksft_print_header();
	ksft_set_plan(5);
	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM + 4 * MiB);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_strings);
	vcpu_set_args(vcpu, pf_buf);
	vm_install_exception_handler(vm, PF_VECTOR, guest_pf_handler);
	/* the page after pf_buf's page: leave it out of the guest's page tables */
	*(uint64_t *)addr_gva2hva(vm, PF_PAGE - PAGE_SIZE) = 0;
	guest_unmap_page(vm, PF_PAGE);
	guest_map_page(vm, MMIO_GVA, MMIO_GVA);

	run_string(vcpu, KVM_EXIT_IO_IN, 1, N, NULL, value_of);
	run_string(vcpu, KVM_EXIT_IO_IN, 2, N, NULL, value_of);
	run_string(vcpu, KVM_EXIT_IO_IN, 4, N, NULL, value_of);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	sync_global_from_guest(vm, in_bytes);
	sync_global_from_guest(vm, in_words);
	sync_global_from_guest(vm, in_dwords);
	for (i = 0; i < N; i++) {
		TEST_ASSERT_EQ((uint8_t)value_of(i), in_bytes[i]);
		TEST_ASSERT_EQ((uint16_t)value_of(i), in_words[i]);
		TEST_ASSERT_EQ(value_of(i), in_dwords[i]);
	}
	ksft_test_result_pass("rep insb/insw/insl: %d elements each, stored in order\n", N);

	run_string(vcpu, KVM_EXIT_IO_OUT, 2, N, out_words, NULL);
	run_string(vcpu, KVM_EXIT_IO_OUT, 4, N, out_dwords, NULL);
	ksft_test_result_pass("rep outsw/outsl: %d elements each, in order\n", N);

	for (i = 0; i < N; i++)
		rev[i] = backwards[N - 1 - i];
	run_string(vcpu, KVM_EXIT_IO_OUT, 1, N, rev, NULL);
	/* then straight to the SYNC: REP with RCX = 0 made no exit */
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	ksft_test_result_pass("rep outsb with DF=1 walks backwards; RCX=0 does nothing\n");

	run_mmio_strings(vcpu);
	ksft_test_result_pass("rep insw/outsw with device memory: MMIO writes and reads\n");

	/*
	 * KVM may ask userspace for more bytes than fit before the missing page (stock KVM
	 * asks for the whole count at once) and stores only those that fit: answer every
	 * exit until the guest's #PF handler reports.
	 */
	for (i = 0; ; ) {
		int j;

		vcpu_run(vcpu);
		if (vcpu->run->exit_reason != KVM_EXIT_IO || vcpu->run->io.port != PORT)
			break;
		TEST_ASSERT_EQ(KVM_EXIT_IO_IN, vcpu->run->io.direction);
		TEST_ASSERT(i + vcpu->run->io.count <= N, "%d + %u bytes asked for, at most %d",
			    i, vcpu->run->io.count, N);
		for (j = 0; j < (int)vcpu->run->io.count; j++, i++)
			((uint8_t *)vcpu_io_data(vcpu))[j] = value_of(i);
	}
	TEST_ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	TEST_ASSERT_EQ(3, uc.args[0]);
	TEST_ASSERT_EQ(1, uc.args[1]);			/* one #PF */
	TEST_ASSERT_EQ(PF_PAGE, uc.args[2]);		/* CR2: the first missing byte */
	TEST_ASSERT_EQ(PF_PAGE, uc.args[3]);		/* RDI stopped there */
	TEST_ASSERT_EQ(N - 4, uc.args[4]);		/* RCX: what was left */
	for (i = 0; i < 4; i++)
		TEST_ASSERT_EQ((uint8_t)value_of(i),
			       *(uint8_t *)addr_gpa2hva(vm, pf_buf + i));
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
	ksft_test_result_pass("rep insb into an unmapped page: 4 stored, then #PF at its start\n");
	ksft_finished();
}
