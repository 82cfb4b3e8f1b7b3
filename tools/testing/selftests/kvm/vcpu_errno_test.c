// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vCPU fd and KVM_RUN as api.rst describes them, with the errno Linux KVM gives
 * (checked against the in-tree modules, KVM=stock):
 *  - vCPU ioctls from another process (another mm) are EIO; ioctl numbers that are not vCPU
 *    ioctls are EINVAL; KVM_RUN takes no argument (EINVAL otherwise);
 *  - KVM_CREATE_VCPU: a duplicate id is EEXIST, ids from KVM_CAP_MAX_VCPU_ID up EINVAL (also
 *    a limit set with KVM_ENABLE_CAP, once, before the first vCPU fixes it);
 *  - the vCPU mmap: page 0 is struct kvm_run, page KVM_PIO_PAGE_OFFSET holds port I/O data;
 *  - run->immediate_exit: KVM_RUN returns EINTR at once, after completing a pending IN;
 *  - signals: one sent by another thread while the guest spins ends KVM_RUN with EINTR
 *    and KVM_EXIT_INTR; KVM_SET_SIGNAL_MASK sets the mask KVM_RUN runs under;
 *  - the vCPU fd keeps the VM alive after the VM fd is closed.
 * Each subtest runs in a child process of its own with a VM of its own (run_subtest()).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "x86_guest.h"

#define KVM_IOCTL_UNUSED	_IO(KVMIO, 0xfe)
#define TEST_PORT		0x80
#define OUT_VALUE		0x12345678U
#define IN_VALUE		0x9abcdef0U
#define KERNEL_SIGSET_BYTES	8	/* the kernel's sigset_t on x86-64: 64 signals */

/* --- guests --- */

/* The guest's own copies (long mode: the guest has its own image of the globals). */
static volatile uint64_t guest_spins, guest_stop, guest_syncs;

static void guest_sync_loop(void)
{
	for (;;) {
		guest_syncs++;
		GUEST_SYNC(guest_syncs);
	}
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

extern const uint8_t guest_in_done[];

/* OUT, then IN; the instruction after the IN is at guest_in_done. */
static void guest_out_in(void)
{
	uint32_t v;

	outl(TEST_PORT, OUT_VALUE);
	asm volatile("inl %1, %0\n"
		     "guest_in_done:"
		     : "=a"(v) : "Nd"((uint16_t)TEST_PORT));
	GUEST_SYNC(v);
	GUEST_DONE();
}

/*
 * Spins until told to stop, with a CPUID (an exit KVM handles without returning to
 * userspace) every 4096 rounds: under Bochs' VMX a guest that never exits starves the
 * host CPU it runs on (RCU stalls, even with stock KVM).
 */
static void guest_spin(void)
{
	uint32_t eax, ebx, ecx, edx;

	while (!guest_stop) {
		guest_spins++;
		if (!(guest_spins & 4095))
			x86_cpuid(0, 0, &eax, &ebx, &ecx, &edx);
	}
	GUEST_DONE();
}

static uint64_t *guest_var(struct kvm_vm *vm, volatile uint64_t *var)
{
	return addr_gva2hva(vm, (uint64_t)var);
}

/* --- ioctls on the vCPU fd --- */

static void test_other_process(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_sync_loop);
	struct kvm_regs regs = { 0 };
	struct ucall uc;
	int status;
	pid_t pid;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);

	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		/* the fds are inherited, but the VM belongs to the parent's mm */
		TEST_ASSERT_ERRNO(EIO, ioctl(vcpu->fd, KVM_GET_REGS, &regs));
		TEST_ASSERT_ERRNO(EIO, ioctl(vcpu->fd, KVM_SET_REGS, &regs));
		TEST_ASSERT_ERRNO(EIO, ioctl(vcpu->fd, KVM_RUN, 0));
		TEST_ASSERT_ERRNO(EIO, ioctl(vcpu->fd, KVM_IOCTL_UNUSED, 0));
		TEST_ASSERT_ERRNO(EIO, ioctl(vm->fd, KVM_CREATE_VCPU, 1));
		/* and the child's exit closes its copies of the fds: the VM lives on */
		_exit(0);
	}
	TEST_ASSERT_EQ(pid, waitpid(pid, &status, 0));
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "the child's checks failed (status %#x)", status);

	/* the parent's vCPU is unharmed */
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	kvm_vm_free(vm);
}

static void test_bad_ioctls(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	char buf[64];

	/* not a KVM ioctl, an unknown KVM ioctl, system and VM ioctls: all EINVAL */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, TCGETS, buf));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_IOCTL_UNUSED, 0));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_GET_API_VERSION, 0));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_CREATE_VM, 0));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_CREATE_VCPU, 1));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_GET_MSR_INDEX_LIST, buf));

	/* KVM_RUN takes no argument */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_RUN, 1));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_RUN, ~0UL));
	kvm_vm_free(vm);
}

/*
 * Argument checks as Linux KVM makes them, found by difftest_ioctl (kvm_ioctl_fuzz
 * --sequence on both modules): KVM_SET_GUEST_DEBUG ignores control bits it does not know
 * and the reserved upper half of DR7; KVM_X86_SET_MCE refuses an error without
 * MCi_STATUS.VAL (EINVAL).
 */
static void test_difftest_findings(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | (1u << 8) | (1u << 15) | (1u << 30),
	};
	struct kvm_x86_mce mce = { .bank = 0, .status = 1ULL << 62 };	/* OVER, no VAL */

	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	dbg.arch.debugreg[7] = 0xffffffff00000400ULL;
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));
	dbg.control = 0;
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));

	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_X86_SET_MCE, &mce));
	mce.status = 1ULL << 63;	/* VAL: a corrected error, logged */
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_X86_SET_MCE, &mce));
	kvm_vm_free(vm);
}

static int enable_max_vcpu_id(struct kvm_vm *vm, uint64_t max)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MAX_VCPU_ID, .args = { max } };

	return ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
}

static void test_create_vcpu_ids(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	int max_id = kvm_check_cap(vm->fd, KVM_CAP_MAX_VCPU_ID);
	int fd;

	ksft_print_msg("KVM_CAP_MAX_VCPU_ID %d\n", max_id);
	TEST_ASSERT(max_id >= kvm_check_cap(vm->fd, KVM_CAP_MAX_VCPUS),
		    "KVM_CAP_MAX_VCPU_ID %d below KVM_CAP_MAX_VCPUS", max_id);
	kvm_vcpu_new(vm, 0);
	TEST_ASSERT_ERRNO(EEXIST, ioctl(vm->fd, KVM_CREATE_VCPU, 0));

	/* ids are 0 .. KVM_CAP_MAX_VCPU_ID - 1 */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_CREATE_VCPU, max_id));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_CREATE_VCPU, max_id + 1));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_CREATE_VCPU, 0xffffffffUL));
	fd = ioctl(vm->fd, KVM_CREATE_VCPU, max_id - 1);
	TEST_ASSERT(fd >= 0, "KVM_CREATE_VCPU(%d) returned %d", max_id - 1, fd);
	TEST_ASSERT_ERRNO(EEXIST, ioctl(vm->fd, KVM_CREATE_VCPU, max_id - 1));

	/* a closed vCPU fd does not free the id: vCPUs live as long as the VM */
	close(fd);
	TEST_ASSERT_ERRNO(EEXIST, ioctl(vm->fd, KVM_CREATE_VCPU, max_id - 1));

	/* api.rst 7.32: the first vCPU fixed the limit at KVM_CHECK_EXTENSION's value */
	TEST_ASSERT_ERRNO(EINVAL, enable_max_vcpu_id(vm, 8));
	TEST_ASSERT_EQ(0, enable_max_vcpu_id(vm, max_id));
	kvm_vm_free(vm);

	/* set before any vCPU: ids from it up are EINVAL; set once, then only the same value */
	vm = kvm_vm_new(1 * MiB);
	TEST_ASSERT_ERRNO(EINVAL, enable_max_vcpu_id(vm, max_id + 1));
	TEST_ASSERT_EQ(0, enable_max_vcpu_id(vm, 4));
	TEST_ASSERT_ERRNO(EINVAL, enable_max_vcpu_id(vm, 5));
	TEST_ASSERT_EQ(0, enable_max_vcpu_id(vm, 4));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_CREATE_VCPU, 4));
	kvm_vcpu_new(vm, 3);
	kvm_vm_free(vm);
}

/* --- the vCPU mmap --- */

static void test_mmap_pages(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_out_in);
	long page = sysconf(_SC_PAGESIZE);
	int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run2;
	uint8_t *pio;
	struct ucall uc;
	uint32_t v;

	TEST_ASSERT(size >= (KVM_PIO_PAGE_OFFSET + 1) * page,
		    "KVM_GET_VCPU_MMAP_SIZE %d does not cover the PIO page", size);
	/* a second mapping of page 0 and one of the PIO page alone */
	run2 = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(run2 != MAP_FAILED, "mmap of page 0 of the vCPU fd");
	pio = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd,
		   KVM_PIO_PAGE_OFFSET * page);
	TEST_ASSERT(pio != MAP_FAILED, "mmap of page KVM_PIO_PAGE_OFFSET of the vCPU fd");

	/* OUT: the data is in the PIO page, at data_offset from kvm_run */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(KVM_EXIT_IO, run2->exit_reason);		/* the same page */
	TEST_ASSERT_EQ(KVM_EXIT_IO_OUT, run2->io.direction);
	TEST_ASSERT_EQ(TEST_PORT, run2->io.port);
	TEST_ASSERT_EQ(4, run2->io.size);
	TEST_ASSERT_EQ(1, run2->io.count);
	TEST_ASSERT_EQ(KVM_PIO_PAGE_OFFSET * page, run2->io.data_offset);
	memcpy(&v, pio + run2->io.data_offset - KVM_PIO_PAGE_OFFSET * page, 4);
	TEST_ASSERT_EQ(OUT_VALUE, v);

	/* IN: the data written into the PIO page is what the guest reads */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(KVM_EXIT_IO_IN, run2->io.direction);
	TEST_ASSERT_EQ(KVM_PIO_PAGE_OFFSET * page, run2->io.data_offset);
	v = IN_VALUE;
	memcpy(pio + run2->io.data_offset - KVM_PIO_PAGE_OFFSET * page, &v, 4);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(IN_VALUE, uc.args[0]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	munmap(pio, page);
	munmap(run2, page);
	kvm_vm_free(vm);
}

/* --- immediate_exit --- */

static void test_immediate_exit(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_sync_loop);
	uint64_t *syncs = guest_var(vm, &guest_syncs);
	struct kvm_regs before, after;
	struct ucall uc;
	int i;

	TEST_ASSERT(kvm_check_cap(vm->kvm_fd, KVM_CAP_IMMEDIATE_EXIT), "no KVM_CAP_IMMEDIATE_EXIT");
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);

	/*
	 * EINTR without entering the guest: no new SYNC, no guest progress. The first such
	 * KVM_RUN completes the ucall's OUT (RIP moves past it); later ones change nothing.
	 */
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	TEST_ASSERT_EQ(1, *syncs);
	vcpu_get_regs(vcpu, &before);
	for (i = 0; i < 3; i++) {
		TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
		TEST_ASSERT_EQ(1, *syncs);
	}
	vcpu_get_regs(vcpu, &after);
	TEST_ASSERT_EQ(before.rip, after.rip);
	TEST_ASSERT_EQ(before.rax, after.rax);
	TEST_ASSERT_EQ(1, vcpu->run->immediate_exit);	/* KVM does not clear it */

	vcpu->run->immediate_exit = 0;
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	TEST_ASSERT_EQ(2, *syncs);
	kvm_vm_free(vm);
}

/*
 * KVM_RUN with immediate_exit after a KVM_EXIT_IO for IN completes the IN (the data lands
 * in RAX, RIP moves past it) and returns EINTR before the next instruction: how userspace
 * brings a vCPU to a consistent state before saving it (api.rst, kvm_run "immediate_exit"
 * and KVM_EXIT_IO).
 */
static void test_immediate_exit_completes_in(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_out_in);
	struct kvm_regs regs;
	struct ucall uc;
	uint32_t v = IN_VALUE;

	vcpu_run(vcpu);		/* the OUT */
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	vcpu_run(vcpu);		/* the IN */
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(KVM_EXIT_IO_IN, vcpu->run->io.direction);
	memcpy(vcpu_io_data(vcpu), &v, sizeof(v));

	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	vcpu_get_regs(vcpu, &regs);
	TEST_ASSERT_EQ(IN_VALUE, regs.rax & 0xffffffff);
	TEST_ASSERT_EQ((uint64_t)guest_in_done, regs.rip);

	/* the guest goes on from there, without a second exit for the IN */
	vcpu->run->immediate_exit = 0;
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(IN_VALUE, uc.args[0]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- signals --- */

static volatile sig_atomic_t signals_seen;
static struct kvm_run *signal_run;

static void on_signal(int sig)
{
	signals_seen++;
	/* the documented pattern: a handler that kicks the vCPU sets immediate_exit */
	if (signal_run)
		signal_run->immediate_exit = 1;
}

static void install_handler(int sig)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	TEST_ASSERT_EQ(0, sigaction(sig, &sa, NULL));
}

/*
 * Another thread signals the vCPU thread once the guest is seen spinning (its loop count
 * in guest memory passed a mark), as a VMM kicks a vCPU out of KVM_RUN.
 */
struct kick {
	pthread_t target, thread;
	const volatile uint64_t *spins;
	uint64_t mark;
};

static void *kicker(void *arg)
{
	struct kick *k = arg;
	int i;

	for (i = 0; i < 100000 && *k->spins <= k->mark; i++)
		usleep(100);
	TEST_ASSERT(*k->spins > k->mark, "the guest did not run past %llu",
		    (unsigned long long)k->mark);
	TEST_ASSERT_EQ(0, pthread_kill(k->target, SIGUSR1));
	return NULL;
}

/* KVM_RUN while another thread kicks the vCPU; returns KVM_RUN's result. */
static int run_kicked(struct kvm_vcpu *vcpu, uint64_t *spins)
{
	struct kick k = { .target = pthread_self(), .spins = spins, .mark = *spins + 1000 };
	int r, e;

	TEST_ASSERT_EQ(0, pthread_create(&k.thread, NULL, kicker, &k));
	errno = 0;
	r = __vcpu_run(vcpu);
	e = errno;
	TEST_ASSERT_EQ(0, pthread_join(k.thread, NULL));
	errno = e;
	return r;
}

/* A signal while the guest spins: KVM_RUN returns EINTR with KVM_EXIT_INTR. */
static void test_signal_while_spinning(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_spin);
	uint64_t *spins = guest_var(vm, &guest_spins), *stop = guest_var(vm, &guest_stop);
	uint64_t seen;
	int i;

	install_handler(SIGUSR1);
	vcpu->run->exit_reason = 0xffff;
	TEST_ASSERT_ERRNO(EINTR, run_kicked(vcpu, spins));
	TEST_ASSERT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	TEST_ASSERT_EQ(1, signals_seen);
	seen = *spins;
	TEST_ASSERT(seen > 1000, "the guest loop ran %llu times", (unsigned long long)seen);

	/* it resumes where it was, and a signal interrupts it again */
	TEST_ASSERT_ERRNO(EINTR, run_kicked(vcpu, spins));
	TEST_ASSERT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	TEST_ASSERT_EQ(2, signals_seen);
	TEST_ASSERT(*spins > seen + 1000, "the guest loop ran %llu times, then %llu",
		    (unsigned long long)seen, (unsigned long long)*spins);

	/*
	 * A handler that sets immediate_exit: the signal still ends this KVM_RUN, and the
	 * next one returns at once, until userspace clears the flag.
	 */
	signal_run = vcpu->run;
	TEST_ASSERT_ERRNO(EINTR, run_kicked(vcpu, spins));
	TEST_ASSERT_EQ(3, signals_seen);
	TEST_ASSERT_EQ(1, vcpu->run->immediate_exit);
	seen = *spins;
	for (i = 0; i < 3; i++)
		TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	TEST_ASSERT_EQ(seen, *spins);
	signal_run = NULL;
	vcpu->run->immediate_exit = 0;

	*stop = 1;
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

static void set_kvm_sigmask(struct kvm_vcpu *vcpu, const sigset_t *set)
{
	struct {
		struct kvm_signal_mask hdr;
		uint8_t bits[sizeof(sigset_t)];
	} m;

	m.hdr.len = KERNEL_SIGSET_BYTES;
	memcpy(m.bits, set, sizeof(m.bits));
	vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, &m);
}

/*
 * KVM_SET_SIGNAL_MASK: the signals blocked while in KVM_RUN (api.rst 4.21). A signal
 * pending before KVM_RUN and not blocked there ends it with EINTR and KVM_EXIT_INTR; one
 * blocked there waits, and the guest runs as if there were none.
 */
static void test_signal_mask(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_sync_loop);
	struct {
		struct kvm_signal_mask hdr;
		uint8_t bits[sizeof(sigset_t)];
	} bad;
	struct timespec zero = { 0 };
	sigset_t usr1, none;
	struct ucall uc;

	install_handler(SIGUSR1);
	sigemptyset(&none);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);

	/* SIGUSR1 blocked in the thread and pending */
	TEST_ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &usr1, NULL));
	TEST_ASSERT_EQ(0, raise(SIGUSR1));

	/* KVM_RUN's mask blocks it too: the guest runs to its ucall */
	set_kvm_sigmask(vcpu, &usr1);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);

	/* KVM_RUN's mask lets it through: EINTR, KVM_EXIT_INTR, the signal stays pending */
	set_kvm_sigmask(vcpu, &none);
	vcpu->run->exit_reason = 0xffff;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	TEST_ASSERT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	TEST_ASSERT_EQ(0, signals_seen);	/* blocked again outside KVM_RUN */
	TEST_ASSERT_EQ(SIGUSR1, sigtimedwait(&usr1, NULL, &zero));

	/* nothing pending any more: the guest goes on */
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(3, uc.args[0]);

	/* a NULL mask means no mask: the thread's own (SIGUSR1 blocked) applies again */
	vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, NULL);
	TEST_ASSERT_EQ(0, raise(SIGUSR1));
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(4, uc.args[0]);
	TEST_ASSERT_EQ(SIGUSR1, sigtimedwait(&usr1, NULL, &zero));

	/* the mask is the kernel's sigset_t, 8 bytes: other lengths are EINVAL */
	memset(&bad, 0, sizeof(bad));
	bad.hdr.len = sizeof(sigset_t);		/* glibc's, 128 bytes */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &bad));
	bad.hdr.len = 4;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &bad));
	bad.hdr.len = 0;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &bad));
	TEST_ASSERT_EQ(0, sigprocmask(SIG_UNBLOCK, &usr1, NULL));
	kvm_vm_free(vm);
}

/* --- lifetime --- */

static void test_vcpu_outlives_vm_fd(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_sync_loop);
	struct kvm_regs regs;
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);

	/* the vCPU fd holds the VM: closing the VM fd and /dev/kvm ends nothing */
	TEST_ASSERT_EQ(0, close(vm->fd));
	TEST_ASSERT_EQ(0, close(vm->kvm_fd));
	vm->fd = vm->kvm_fd = -1;
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	vcpu_get_regs(vcpu, &regs);
	vcpu_set_regs(vcpu, &regs);
	TEST_ASSERT_EQ(2, *guest_var(vm, &guest_syncs));	/* guest memory still shared */
	*guest_var(vm, &guest_syncs) = 41;
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(42, uc.args[0]);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(10);
	run_subtest(test_other_process, "vCPU and VM ioctls from another process are EIO");
	run_subtest(test_bad_ioctls,
		    "vCPU fd: non-vCPU ioctls EINVAL, KVM_RUN with an argument EINVAL");
	run_subtest(test_create_vcpu_ids,
		    "KVM_CREATE_VCPU: duplicate id EEXIST, id >= KVM_CAP_MAX_VCPU_ID EINVAL");
	run_subtest(test_mmap_pages,
		    "vCPU mmap: kvm_run at page 0, port I/O data at KVM_PIO_PAGE_OFFSET");
	run_subtest(test_immediate_exit, "immediate_exit: EINTR without entering the guest");
	run_subtest(test_immediate_exit_completes_in,
		    "immediate_exit completes a pending IN first");
	run_subtest(test_signal_while_spinning,
		    "a signal while the guest spins: EINTR, KVM_EXIT_INTR");
	run_subtest(test_signal_mask, "KVM_SET_SIGNAL_MASK: the mask KVM_RUN runs under");
	run_subtest(test_vcpu_outlives_vm_fd, "the vCPU runs on after its VM fd is closed");
	run_subtest(test_difftest_findings,
		    "KVM_SET_GUEST_DEBUG ignores unknown bits, KVM_X86_SET_MCE needs VAL");
	ksft_finished();
}
