// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_GET_STATS_FD (api.rst 4.133), beyond what upstream kvm_binary_stats_test checks (the
 * header and descriptor sanity of fresh VMs and vCPUs):
 *  - the file: read() in small pieces from the start gives what one pread() gives, a read at
 *    or past the end returns 0, a negative offset is EINVAL, the fd is read-only (EBADF on
 *    write), and it keeps the VM alive after every other fd closed;
 *  - the statistics tools rely on exist with the type and unit api.rst gives them;
 *  - the values count: a guest does N port-I/O exits, M MMIO exits, K HLT exits and H
 *    hypercalls, and a signal ends one KVM_RUN; io_exits, mmio_exits, halt_exits,
 *    hypercalls and signal_exits of its vCPU grow by exactly that (a ucall is one more port
 *    I/O exit), exits by at least the sum; the VM's nested mappings show in pages_4k +
 *    pages_2m, and KVM_GET_DIRTY_LOG after guest writes counts a remote TLB flush request.
 * Each subtest runs in a child process of its own with a VM of its own (run_subtest()).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "x86_guest.h"

/* --- reading a stats fd --- */

struct stats {
	int fd;
	struct kvm_stats_header h;
	char *id;
	void *desc;			/* num_desc descriptors of desc_size bytes */
	size_t desc_size;
	size_t data_size;		/* bytes of the data block */
};

static struct kvm_stats_desc *stats_desc(const struct stats *s, unsigned int i)
{
	return s->desc + i * s->desc_size;
}

static void stats_open(struct stats *s, int fd)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	TEST_ASSERT(fd >= 0, "KVM_GET_STATS_FD: %s", errno_name(errno));
	TEST_ASSERT_EQ(sizeof(s->h), pread(fd, &s->h, sizeof(s->h), 0));
	TEST_ASSERT_EQ(0, s->h.flags);
	TEST_ASSERT(s->h.name_size >= 8 && s->h.num_desc > 0, "name_size %u, num_desc %u",
		    s->h.name_size, s->h.num_desc);
	TEST_ASSERT(s->h.id_offset % 8 == 0 && s->h.desc_offset % 8 == 0 &&
		    s->h.data_offset % 8 == 0, "blocks at %u, %u, %u: not 64-bit aligned",
		    s->h.id_offset, s->h.desc_offset, s->h.data_offset);
	s->id = calloc(1, s->h.name_size);
	TEST_ASSERT_EQ(s->h.name_size, pread(fd, s->id, s->h.name_size, s->h.id_offset));
	TEST_ASSERT(!strncmp(s->id, "kvm", 3) && strnlen(s->id, s->h.name_size) < s->h.name_size,
		    "id string '%.*s'", (int)s->h.name_size, s->id);
	s->desc_size = sizeof(struct kvm_stats_desc) + s->h.name_size;
	s->desc = calloc(s->h.num_desc, s->desc_size);
	TEST_ASSERT_EQ(s->h.num_desc * s->desc_size,
		       pread(fd, s->desc, s->h.num_desc * s->desc_size, s->h.desc_offset));
	for (i = 0; i < s->h.num_desc; i++) {
		struct kvm_stats_desc *d = stats_desc(s, i);
		size_t end = d->offset + d->size * sizeof(uint64_t);

		TEST_ASSERT(d->size && d->offset % 8 == 0, "%s: size %u offset %u", d->name,
			    d->size, d->offset);
		if (end > s->data_size)
			s->data_size = end;
	}
	/* no block overlaps another (api.rst: "they do not overlap") */
	TEST_ASSERT(s->h.id_offset >= sizeof(s->h) && s->h.desc_offset >= sizeof(s->h) &&
		    s->h.data_offset >= sizeof(s->h), "a block overlaps the header");
	TEST_ASSERT(s->h.data_offset >= s->h.desc_offset + s->h.num_desc * s->desc_size ||
		    s->h.desc_offset >= s->h.data_offset + s->data_size,
		    "descriptors and data overlap");
	TEST_ASSERT(s->h.id_offset + s->h.name_size <= s->h.desc_offset ||
		    s->h.id_offset >= s->h.desc_offset + s->h.num_desc * s->desc_size,
		    "id and descriptors overlap");
}

static void stats_close(struct stats *s)
{
	close(s->fd);
	free(s->id);
	free(s->desc);
}

static const struct kvm_stats_desc *stats_find(const struct stats *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->h.num_desc; i++)
		if (!strcmp(stats_desc(s, i)->name, name))
			return stats_desc(s, i);
	return NULL;
}

/* The first value of a statistic the fd must have. */
static uint64_t stat_read(const struct stats *s, const char *name)
{
	const struct kvm_stats_desc *d = stats_find(s, name);
	uint64_t v;

	TEST_ASSERT(d, "no statistic '%s' in '%s'", name, s->id);
	TEST_ASSERT_EQ(sizeof(v), pread(s->fd, &v, sizeof(v), s->h.data_offset + d->offset));
	return v;
}

static void stat_expect(const struct stats *s, const char *name, uint32_t flags,
			int exponent)
{
	const struct kvm_stats_desc *d = stats_find(s, name);

	TEST_ASSERT(d, "no statistic '%s' in '%s'", name, s->id);
	TEST_ASSERT(d->flags == flags && d->exponent == exponent && d->size == 1 &&
		    d->bucket_size == 0, "%s: flags %#x exponent %d size %u bucket_size %u, "
		    "expected flags %#x exponent %d size 1", name, d->flags, d->exponent,
		    d->size, d->bucket_size, flags, exponent);
}

#define COUNTER		(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)
#define INSTANT		(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)

/* --- the file --- */

static void check_file(int fd)
{
	struct stats s;
	size_t size;
	char *all, *seq;
	ssize_t n, got = 0;
	char byte;

	stats_open(&s, fd);
	size = s.h.data_offset + s.data_size;
	if (s.h.desc_offset + s.h.num_desc * s.desc_size > size)
		size = s.h.desc_offset + s.h.num_desc * s.desc_size;
	all = calloc(1, size + 64);
	seq = calloc(1, size + 64);

	/* one pread of everything: exactly the file, the values read at that moment */
	TEST_ASSERT_EQ(size, pread(fd, all, size + 64, 0));
	/* read() in 7-byte pieces from the start (pread moved no position): the same bytes */
	while ((n = read(fd, seq + got, 7)) > 0)
		got += n;
	TEST_ASSERT(n == 0, "read: %s", errno_name(errno));
	TEST_ASSERT_EQ(size, got);
	/* a vCPU that does not run and a VM that does nothing: the data do not move either */
	TEST_ASSERT(!memcmp(all, seq, size), "read() in pieces differs from one pread()");
	/* at and past the end: nothing */
	TEST_ASSERT_EQ(0, pread(fd, &byte, 1, size));
	TEST_ASSERT_EQ(0, pread(fd, &byte, 1, size + 4096));
	TEST_ASSERT_EQ(0, pread(fd, &byte, 1, 1LL << 40));
	/*
	 * (api.rst says lseek() works too; stock KVM's stats fd ignores it, returning the
	 * position read() left, so nothing is asserted about it here)
	 */
	/* errnos: negative offset, writing a read-only fd */
	TEST_ASSERT_ERRNO(EINVAL, pread(fd, &byte, 1, -8));
	TEST_ASSERT_ERRNO(EBADF, write(fd, &byte, 1));
	free(all);
	free(seq);
	free(s.id);
	free(s.desc);
}

static void test_file(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, 0);
	int vm_stats = ioctl(vm->fd, KVM_GET_STATS_FD, NULL);
	int vcpu_stats = ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
	struct stats s;

	check_file(vm_stats);
	check_file(vcpu_stats);

	/* the fds keep the VM (and its vCPUs) alive: closed last, still readable */
	kvm_vm_free(vm);
	stats_open(&s, vcpu_stats);
	TEST_ASSERT_EQ(0, stat_read(&s, "exits"));
	stats_close(&s);
	stats_open(&s, vm_stats);
	stat_read(&s, "remote_tlb_flush");
	stats_close(&s);
	TEST_ASSERT_ERRNO(EBADF, fcntl(vm_stats, F_GETFD));
}

/* the statistics tools rely on, as api.rst describes their kind */
static void test_names(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, 0);
	static const char *const vcpu_counters[] = {
		"exits", "io_exits", "mmio_exits", "signal_exits", "irq_exits", "halt_exits",
		"irq_window_exits", "request_irq_exits", "hypercalls", "irq_injections",
		"nmi_injections", "insn_emulation", "insn_emulation_fail", "pf_fixed",
		"tlb_flush", "halt_wakeup",
	};
	struct stats s;
	unsigned int i;

	stats_open(&s, ioctl(vm->fd, KVM_GET_STATS_FD, NULL));
	stat_expect(&s, "remote_tlb_flush", COUNTER, 0);
	stat_expect(&s, "remote_tlb_flush_requests", COUNTER, 0);
	stat_expect(&s, "pages_4k", INSTANT, 0);
	stat_expect(&s, "pages_2m", INSTANT, 0);
	ksft_print_msg("VM: %u statistics, id %s\n", s.h.num_desc, s.id);
	stats_close(&s);

	stats_open(&s, ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL));
	for (i = 0; i < sizeof(vcpu_counters) / sizeof(vcpu_counters[0]); i++)
		stat_expect(&s, vcpu_counters[i], COUNTER, 0);
	stat_expect(&s, "halt_wait_ns",
		    KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10, -9);
	stat_expect(&s, "blocking",
		    KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN | KVM_STATS_BASE_POW10, 0);
	TEST_ASSERT_EQ(0, stat_read(&s, "blocking"));
	ksft_print_msg("vCPU: %u statistics, id %s\n", s.h.num_desc, s.id);
	stats_close(&s);
	kvm_vm_free(vm);
}

/* --- the values count --- */

#define N_IO		37
#define M_MMIO		23
#define K_HLT		11
#define H_HC		13
#define IO_PORT		0x1234
#define MMIO_GVA	0x40000000ULL	/* mapped to a gpa no slot backs */
#define MMIO_GPA	0xc0000000ULL
#define LOG_GVA		0x50000000ULL	/* mapped to a dirty-logged slot */
#define LOG_GPA		0x10000000ULL
#define LOG_PAGES	16

static void guest_counts(bool amd)
{
	volatile uint32_t *mmio = (volatile uint32_t *)MMIO_GVA;
	volatile uint64_t *log = (volatile uint64_t *)LOG_GVA;
	int i;

	GUEST_SYNC(0);
	for (i = 0; i < N_IO; i++)
		asm volatile("outb %%al, %%dx" : : "a"(i), "d"(IO_PORT));
	GUEST_SYNC(1);
	for (i = 0; i < M_MMIO; i++)
		*mmio = i;
	GUEST_SYNC(2);
	for (i = 0; i < K_HLT; i++)
		asm volatile("hlt");
	GUEST_SYNC(3);
	for (i = 0; i < H_HC; i++) {
		uint64_t rax = 0x7fff1234;	/* unknown: -KVM_ENOSYS */

		if (amd)
			asm volatile("vmmcall" : "+a"(rax) : : "memory");
		else
			asm volatile("vmcall" : "+a"(rax) : : "memory");
	}
	GUEST_SYNC(4);
	for (i = 0; i < LOG_PAGES; i++)
		log[i * 512] = i;
	GUEST_SYNC(5);
	GUEST_DONE();
}

static void on_sigusr1(int sig)
{
}

static void run_expect(struct kvm_vcpu *vcpu, uint32_t reason, int times)
{
	int i;

	for (i = 0; i < times; i++) {
		vcpu_run_exit(vcpu);
		vcpu_assert_exit(vcpu, reason);
	}
}

static void test_counts(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_counts);
	void *log_mem = mmap_aligned(LOG_PAGES * PAGE_SIZE, PAGE_SIZE);
	uint64_t bitmap[LOG_PAGES / 64 + 1] = { 0 };
	struct kvm_dirty_log dlog = { .slot = 1, .dirty_bitmap = bitmap };
	uint64_t io, exits, mmio, hlt, hc, sig, req;
	struct {
		struct kvm_signal_mask hdr;
		uint8_t set[8];		/* the kernel's sigset_t: nothing blocked */
	} mask = { .hdr.len = 8 };
	struct stats vs, ms;
	sigset_t usr1;

	vm_set_slot(vm, 1, KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA, LOG_PAGES * PAGE_SIZE, log_mem);
	guest_map_range(vm, LOG_GVA, LOG_GPA, LOG_PAGES * PAGE_SIZE);
	guest_map_page(vm, MMIO_GVA, MMIO_GPA);
	vcpu_set_args(vcpu, kvm_is_amd());
	stats_open(&vs, ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL));
	stats_open(&ms, ioctl(vm->fd, KVM_GET_STATS_FD, NULL));

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	io = stat_read(&vs, "io_exits");
	exits = stat_read(&vs, "exits");
	TEST_ASSERT(io >= 1 && exits >= io, "io_exits %lu exits %lu after one ucall", io, exits);
	/* nested page tables map what the guest touched */
	TEST_ASSERT(stat_read(&ms, "pages_4k") + stat_read(&ms, "pages_2m") > 0,
		    "pages_4k + pages_2m: 0 after the guest ran");

	/* N OUTs to a port no one handles in the kernel, then the ucall's OUT */
	run_expect(vcpu, KVM_EXIT_IO, N_IO);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	TEST_ASSERT_EQ(io + N_IO + 1, stat_read(&vs, "io_exits"));
	TEST_ASSERT(stat_read(&vs, "exits") >= exits + N_IO + 1, "exits %lu, was %lu",
		    stat_read(&vs, "exits"), exits);

	mmio = stat_read(&vs, "mmio_exits");
	run_expect(vcpu, KVM_EXIT_MMIO, M_MMIO);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	TEST_ASSERT_EQ(mmio + M_MMIO, stat_read(&vs, "mmio_exits"));

	/* no in-kernel irqchip: every HLT exits to userspace */
	hlt = stat_read(&vs, "halt_exits");
	run_expect(vcpu, KVM_EXIT_HLT, K_HLT);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	TEST_ASSERT_EQ(hlt + K_HLT, stat_read(&vs, "halt_exits"));

	hc = stat_read(&vs, "hypercalls");
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	TEST_ASSERT_EQ(hc + H_HC, stat_read(&vs, "hypercalls"));

	/* a signal pending when KVM_RUN starts (unblocked by KVM_SET_SIGNAL_MASK) */
	sig = stat_read(&vs, "signal_exits");
	TEST_ASSERT(signal(SIGUSR1, on_sigusr1) != SIG_ERR, "signal");
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	TEST_ASSERT(!pthread_sigmask(SIG_BLOCK, &usr1, NULL), "sigmask");
	vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, &mask);
	TEST_ASSERT(!pthread_kill(pthread_self(), SIGUSR1), "pthread_kill");
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	vcpu_assert_exit(vcpu, KVM_EXIT_INTR);
	TEST_ASSERT_EQ(sig + 1, stat_read(&vs, "signal_exits"));
	TEST_ASSERT(!ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, NULL), "KVM_SET_SIGNAL_MASK(NULL)");
	TEST_ASSERT(!pthread_sigmask(SIG_UNBLOCK, &usr1, NULL), "sigmask");

	/* the guest wrote a logged slot: collecting the log write-protects it, and flushes */
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	req = stat_read(&ms, "remote_tlb_flush_requests");
	vm_ioctl(vm, KVM_GET_DIRTY_LOG, &dlog);
	TEST_ASSERT_EQ((1ULL << LOG_PAGES) - 1, bitmap[0]);
	TEST_ASSERT(stat_read(&ms, "remote_tlb_flush_requests") > req,
		    "remote_tlb_flush_requests %lu, was %lu",
		    stat_read(&ms, "remote_tlb_flush_requests"), req);

	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	TEST_ASSERT_EQ(0, stat_read(&vs, "blocking"));
	ksft_print_msg("exits %lu io_exits %lu mmio_exits %lu halt_exits %lu hypercalls %lu "
		       "pf_fixed %lu pages_4k %lu pages_2m %lu remote_tlb_flush %lu\n",
		       stat_read(&vs, "exits"), stat_read(&vs, "io_exits"),
		       stat_read(&vs, "mmio_exits"), stat_read(&vs, "halt_exits"),
		       stat_read(&vs, "hypercalls"), stat_read(&vs, "pf_fixed"),
		       stat_read(&ms, "pages_4k"), stat_read(&ms, "pages_2m"),
		       stat_read(&ms, "remote_tlb_flush"));
	stats_close(&vs);
	stats_close(&ms);
	kvm_vm_free(vm);
}

int main(void)
{
	int kvm;

	ksft_print_header();
	kvm = kvm_open();
	if (kvm_check_cap(kvm, KVM_CAP_BINARY_STATS_FD) <= 0)
		ksft_exit_skip("KVM_CAP_BINARY_STATS_FD not offered\n");
	close(kvm);
	ksft_set_plan(3);
	run_subtest(test_file, "stats fd: read/pread, end of file, errnos, VM reference");
	run_subtest(test_names, "stats fd: the statistics and their type, unit and exponent");
	run_subtest(test_counts,
		    "stats fd: io/mmio/halt/signal exits, hypercalls, TLB flush requests count");
	ksft_finished();
}
