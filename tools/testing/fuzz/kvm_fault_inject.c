// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_fault_inject: systematic allocation-failure injection into the KVM ioctls (make fault).
 *
 * A fixed scenario builds a VM step by step the way a VMM does (open /dev/kvm, create the VM,
 * memory, irqchip, PIT, routes, vCPUs, CPUID, registers, MSRs, three KVM_RUNs to an I/O, an
 * MMIO and an I/O exit, dirty log, irqfd, ioeventfd, stats fds, LAPIC, XSAVE, clock, a second
 * slot and vCPU) and tears it down. For each step S and each N = 1, 2, ... the scenario runs
 * again from the start with the N-th allocation of step S made to fail, through the per-task
 * fail-nth knob (/proc/self/task/TID/fail-nth, Documentation/fault-injection/
 * fault-injection.rst: failslab and fail_page_alloc, set up by fault_inject.sh), until step S
 * completes without using its N-th allocation. After each injected run:
 *  - the failed step returned success (the failure was absorbed) or -1 with an errno;
 *  - the steps after it ran to completion or failed, but never hung (KVM_RUN under an alarm);
 *  - once every fd is closed, the module's reference count is back to where it started and
 *    no VM is left in debugfs (no half-built object reachable);
 *  - the scenario runs clean, without injection, every so often (the module still works).
 * Leaks are kmemleak's job (the harness scans after the run), splats the harness's.
 * Prints each step's errnos and the totals; exit 0 when every check held.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#define MEM_SIZE	0x10000UL	/* slot 0: gpa 0, 64 KiB */
#define MEM2_GPA	0x100000UL	/* slot 1: gpa 1 MiB, 64 KiB */
#define CODE_GPA	0x1000
#define MMIO_GPA	0x20000	/* no slot there */
#define MAX_NTH		4000	/* more allocations than this in one step: give up on it */

struct ctx {
	int kvm, vm, vcpu, vcpu2, evfd, evfd2, statfd, vstatfd;
	struct kvm_run *run;
	size_t run_size;
	void *mem, *mem2;
	struct kvm_cpuid2 *cpuid;
	int exits_ok;		/* KVM_RUN steps that gave the exit the program asks for */
};

struct step {
	const char *name;
	int (*fn)(struct ctx *c);
};

static int verbose;
static char fail_nth_path[64];
/*
 * Opened once: opening the file allocates (a struct file), and an armed failure that the
 * step did not use up would fail that open instead. Reads and writes of an open fail-nth
 * allocate nothing.
 */
static int fail_nth_fd = -1;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kvm_fault_inject: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* --- the scenario's steps: each returns the ioctl's result (-1 with errno on failure) --- */

static int st_open(struct ctx *c)
{
	c->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	return c->kvm < 0 ? -1 : 0;
}

static int st_supported_cpuid(struct ctx *c)
{
	const int nent = 256;

	c->cpuid = calloc(1, sizeof(*c->cpuid) + nent * sizeof(struct kvm_cpuid_entry2));
	c->cpuid->nent = nent;
	return ioctl(c->kvm, KVM_GET_SUPPORTED_CPUID, c->cpuid);
}

static int st_create_vm(struct ctx *c)
{
	c->vm = ioctl(c->kvm, KVM_CREATE_VM, 0);
	return c->vm < 0 ? -1 : 0;
}

static int set_slot(struct ctx *c, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		    void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static int st_slot0(struct ctx *c)
{
	return set_slot(c, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, MEM_SIZE, c->mem);
}

static int st_irqchip(struct ctx *c)
{
	return ioctl(c->vm, KVM_CREATE_IRQCHIP, 0);
}

static int st_pit(struct ctx *c)
{
	struct kvm_pit_config pit = { .flags = 0 };

	return ioctl(c->vm, KVM_CREATE_PIT2, &pit);
}

static int st_routing(struct ctx *c)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[4];
	} rt = { .r.nr = 4 };
	int i;

	for (i = 0; i < 2; i++) {
		rt.e[i].gsi = i;
		rt.e[i].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt.e[i].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		rt.e[i].u.irqchip.pin = i;
	}
	for (i = 2; i < 4; i++) {
		rt.e[i].gsi = 30 + i;
		rt.e[i].type = KVM_IRQ_ROUTING_MSI;
		rt.e[i].u.msi.address_lo = 0xfee00000;
		rt.e[i].u.msi.data = 0x40 + i;
	}
	return ioctl(c->vm, KVM_SET_GSI_ROUTING, &rt);
}

static int st_create_vcpu(struct ctx *c)
{
	int sz;

	c->vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	if (c->vcpu < 0)
		return -1;
	sz = ioctl(c->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < 0)
		return -1;
	c->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, c->vcpu, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		return -1;
	}
	c->run_size = sz;
	return 0;
}

static int st_set_cpuid(struct ctx *c)
{
	return ioctl(c->vcpu, KVM_SET_CPUID2, c->cpuid);
}

static int st_regs(struct ctx *c)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2 };

	if (ioctl(c->vcpu, KVM_GET_SREGS, &sregs))
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = 0;
	sregs.ds.selector = 0;
	if (ioctl(c->vcpu, KVM_SET_SREGS, &sregs))
		return -1;
	return ioctl(c->vcpu, KVM_SET_REGS, &regs);
}

static int st_msrs(struct ctx *c)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[3];
	} m = { .h.nmsrs = 3 };

	m.e[0].index = 0x174;		/* SYSENTER_CS */
	m.e[0].data = 0x10;
	m.e[1].index = 0xc0000103;	/* TSC_AUX */
	m.e[1].data = 7;
	m.e[2].index = 0x277;		/* PAT */
	m.e[2].data = 0x0007040600070406ULL;
	return ioctl(c->vcpu, KVM_SET_MSRS, &m) == 3 ? 0 : -1;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* KVM_RUN with a 2 s alarm: a vCPU left in an odd state by an earlier failure never hangs us */
static int run_expect(struct ctx *c, uint32_t reason, uint64_t what)
{
	struct itimerval it = { .it_value.tv_sec = 2 };
	int r;

	if (!c->run) {
		errno = EBADF;
		return -1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
	r = ioctl(c->vcpu, KVM_RUN, 0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (r)
		return r;
	if (c->run->exit_reason == reason &&
	    (reason == KVM_EXIT_IO ? c->run->io.port == what : c->run->mmio.phys_addr == what))
		c->exits_ok++;
	return 0;
}

static int st_run_io(struct ctx *c)
{
	return run_expect(c, KVM_EXIT_IO, 0x80);
}

static int st_run_mmio(struct ctx *c)
{
	return run_expect(c, KVM_EXIT_MMIO, MMIO_GPA);
}

static int st_run_io2(struct ctx *c)
{
	return run_expect(c, KVM_EXIT_IO, 0x81);
}

static int st_dirty_log(struct ctx *c)
{
	uint64_t bitmap[4] = { 0 };
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };

	return ioctl(c->vm, KVM_GET_DIRTY_LOG, &log);
}

static int st_irqfd(struct ctx *c)
{
	struct kvm_irqfd irqfd = { .gsi = 32 };

	c->evfd = eventfd(0, EFD_CLOEXEC);
	if (c->evfd < 0)
		return -1;
	irqfd.fd = c->evfd;
	return ioctl(c->vm, KVM_IRQFD, &irqfd);
}

static int st_ioeventfd(struct ctx *c)
{
	struct kvm_ioeventfd io = { .addr = 0x3000, .len = 4, .flags = KVM_IOEVENTFD_FLAG_PIO };

	c->evfd2 = eventfd(0, EFD_CLOEXEC);
	if (c->evfd2 < 0)
		return -1;
	io.fd = c->evfd2;
	return ioctl(c->vm, KVM_IOEVENTFD, &io);
}

static int st_stats(struct ctx *c)
{
	c->statfd = ioctl(c->vm, KVM_GET_STATS_FD, 0);
	if (c->statfd < 0)
		return -1;
	c->vstatfd = ioctl(c->vcpu, KVM_GET_STATS_FD, 0);
	return c->vstatfd < 0 ? -1 : 0;
}

static int st_lapic(struct ctx *c)
{
	struct kvm_lapic_state lapic;

	if (ioctl(c->vcpu, KVM_GET_LAPIC, &lapic))
		return -1;
	return ioctl(c->vcpu, KVM_SET_LAPIC, &lapic);
}

static int st_xsave(struct ctx *c)
{
	static struct kvm_xsave xs;

	if (ioctl(c->vcpu, KVM_GET_XSAVE, &xs))
		return -1;
	return ioctl(c->vcpu, KVM_SET_XSAVE, &xs);
}

static int st_clock(struct ctx *c)
{
	struct kvm_clock_data cd = { 0 };

	if (ioctl(c->vm, KVM_GET_CLOCK, &cd))
		return -1;
	cd.flags = 0;
	return ioctl(c->vm, KVM_SET_CLOCK, &cd);
}

static int st_slot1(struct ctx *c)
{
	return set_slot(c, 1, 0, MEM2_GPA, MEM_SIZE, c->mem2);
}

static int st_slot1_move(struct ctx *c)
{
	return set_slot(c, 1, 0, MEM2_GPA + MEM_SIZE, MEM_SIZE, c->mem2);
}

static int st_vcpu2(struct ctx *c)
{
	c->vcpu2 = ioctl(c->vm, KVM_CREATE_VCPU, 1);
	return c->vcpu2 < 0 ? -1 : 0;
}

static int st_signal_msi(struct ctx *c)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x45 };

	return ioctl(c->vm, KVM_SIGNAL_MSI, &msi) < 0 ? -1 : 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Teardown in the order a VMM that dies would close: vCPUs, VM, eventfds, /dev/kvm. */
static int st_close(struct ctx *c)
{
	if (c->run)
		munmap(c->run, c->run_size);
	c->run = NULL;
	close_fd(&c->vstatfd);
	close_fd(&c->statfd);
	close_fd(&c->vcpu2);
	close_fd(&c->vcpu);
	close_fd(&c->vm);
	close_fd(&c->evfd);
	close_fd(&c->evfd2);
	close_fd(&c->kvm);
	return 0;
}

static const struct step steps[] = {
	{ "open /dev/kvm", st_open },
	{ "KVM_GET_SUPPORTED_CPUID", st_supported_cpuid },
	{ "KVM_CREATE_VM", st_create_vm },
	{ "KVM_SET_USER_MEMORY_REGION (dirty log)", st_slot0 },
	{ "KVM_CREATE_IRQCHIP", st_irqchip },
	{ "KVM_CREATE_PIT2", st_pit },
	{ "KVM_SET_GSI_ROUTING", st_routing },
	{ "KVM_CREATE_VCPU + mmap", st_create_vcpu },
	{ "KVM_SET_CPUID2", st_set_cpuid },
	{ "KVM_SET_SREGS/REGS", st_regs },
	{ "KVM_SET_MSRS", st_msrs },
	{ "KVM_RUN (to I/O)", st_run_io },
	{ "KVM_RUN (to MMIO)", st_run_mmio },
	{ "KVM_RUN (to I/O again)", st_run_io2 },
	{ "KVM_GET_DIRTY_LOG", st_dirty_log },
	{ "KVM_IRQFD", st_irqfd },
	{ "KVM_IOEVENTFD", st_ioeventfd },
	{ "KVM_SIGNAL_MSI", st_signal_msi },
	{ "KVM_GET_STATS_FD (VM, vCPU)", st_stats },
	{ "KVM_GET/SET_LAPIC", st_lapic },
	{ "KVM_GET/SET_XSAVE", st_xsave },
	{ "KVM_GET/SET_CLOCK", st_clock },
	{ "KVM_SET_USER_MEMORY_REGION (slot 1)", st_slot1 },
	{ "KVM_SET_USER_MEMORY_REGION (move)", st_slot1_move },
	{ "KVM_CREATE_VCPU (second)", st_vcpu2 },
	{ "close everything", st_close },
};
#define NR_STEPS (int)(sizeof(steps) / sizeof(steps[0]))

/*
 * The guest (real mode, at CODE_GPA): out 0x80; write a word at 0x3000 (a dirty page);
 * ds = 0x2000; mov [0], ax (MMIO at 0x20000, no slot); out 0x81; hlt.
 */
static const uint8_t guest_code[] = {
	0xb0, 0x42,			/* mov al, 0x42 */
	0xe6, 0x80,			/* out 0x80, al */
	0xc7, 0x06, 0x00, 0x30, 0x34, 0x12,	/* mov word [0x3000], 0x1234 */
	0xb8, 0x00, 0x20,		/* mov ax, 0x2000 */
	0x8e, 0xd8,			/* mov ds, ax */
	0xa3, 0x00, 0x00,		/* mov [0], ax */
	0xe6, 0x81,			/* out 0x81, al */
	0xf4,				/* hlt */
};

/* --- fail-nth --- */

static void fail_nth_set(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(fail_nth_fd, buf, len, 0) != len)
		die("cannot write %s: %s", fail_nth_path, strerror(errno));
}

/* 0 once the armed failure was injected, else how many allocations were still to go */
static int fail_nth_get(void)
{
	char buf[16] = "";

	if (pread(fail_nth_fd, buf, sizeof(buf) - 1, 0) < 0)
		die("cannot read %s: %s", fail_nth_path, strerror(errno));
	return atoi(buf);
}

/* --- checks --- */

static long long refcount_of(const char *module)
{
	char path[96], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", module);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(fd);
	return atoll(buf);
}

/* VM directories in /sys/kernel/debug/kvm ("PID-FD"): none may outlive its fds */
static int debugfs_vms(void)
{
	DIR *d = opendir("/sys/kernel/debug/kvm");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && strchr(e->d_name, '-'))
			n++;
	closedir(d);
	return n;
}

/* the VM may be freed from a work item after its last fd closes: wait up to 5 s */
static bool settled(long long base_ref)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (refcount_of("kvm") == base_ref && debugfs_vms() == 0)
			return true;
		usleep(10000);
	}
	return false;
}

static void ctx_init(struct ctx *c, void *mem, void *mem2)
{
	memset(c, 0, sizeof(*c));
	c->kvm = c->vm = c->vcpu = c->vcpu2 = c->evfd = c->evfd2 = c->statfd = c->vstatfd = -1;
	c->mem = mem;
	c->mem2 = mem2;
	memset(mem, 0, MEM_SIZE);
	memcpy((uint8_t *)mem + CODE_GPA, guest_code, sizeof(guest_code));
}

static void ctx_fini(struct ctx *c)
{
	st_close(c);
	free(c->cpuid);
	c->cpuid = NULL;
}

/* One pass of the scenario, with the n-th allocation of step 'at' failing (n = 0: none).
 * Returns whether the failure was injected; *rc and *err get the step's result. */
static bool scenario(void *mem, void *mem2, int at, int n, int *rc, int *err, int *first_bad)
{
	struct ctx c;
	bool injected = false;
	int i, r;

	ctx_init(&c, mem, mem2);
	*first_bad = -1;
	for (i = 0; i < NR_STEPS; i++) {
		if (i == at && n > 0)
			fail_nth_set(n);
		errno = 0;
		r = steps[i].fn(&c);
		if (i == at && n > 0) {
			*err = r ? errno : 0;
			*rc = r;
			injected = fail_nth_get() == 0;
			fail_nth_set(0);
		}
		if (r && *first_bad < 0)
			*first_bad = i;
	}
	if (n == 0 && c.exits_ok != 3 && *first_bad < 0)
		*first_bad = NR_STEPS;	/* all steps ran, the guest did not exit as programmed */
	ctx_fini(&c);
	return injected;
}

#define MAX_ERRNO 134

int main(int argc, char **argv)
{
	static int errs[NR_STEPS][MAX_ERRNO + 1];
	static int absorbed[NR_STEPS], injections[NR_STEPS];
	long long base_ref, total = 0;
	int only = -1, clean_every = 50, clean_only = 0, opt, s, n, bad = 0, rc, err, first_bad;
	struct sigaction sa = { .sa_handler = on_alarm };
	void *mem, *mem2;
	time_t t0 = time(NULL);

	static const struct option opts[] = {
		{ "step", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'l' },
		{ "clean-only", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	while ((opt = getopt_long(argc, argv, "s:vlch", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			only = atoi(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'c':
			clean_only = 1;
			break;
		case 'l':
			for (s = 0; s < NR_STEPS; s++)
				printf("%2d %s\n", s, steps[s].name);
			return 0;
		case 'h':
			printf("usage: kvm_fault_inject [--step N] [--verbose] [--list]\n\n"
			       "Runs a fixed VM scenario (--list shows its steps) once per allocation of\n"
			       "each step with that allocation made to fail (fail-nth), and checks that\n"
			       "the step fails with an errno or absorbs the failure, that nothing hangs,\n"
			       "that every object goes away with its fds (module refcount, debugfs) and\n"
			       "that the module still runs the scenario clean afterwards. Needs a kernel\n"
			       "with CONFIG_FAULT_INJECTION and failslab/fail_page_alloc set up to fail\n"
			       "sleeping allocations (fault_inject.sh does that).\n"
			       "  --step N      only step N\n  --verbose     one line per injection\n"
			       "  --clean-only  run the scenario once without injection and check it\n"
			       "  --list        list the steps\n");
			return 0;
		default:
			return 2;
		}
	}
	snprintf(fail_nth_path, sizeof(fail_nth_path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	if (!clean_only) {
		fail_nth_fd = open(fail_nth_path, O_RDWR | O_CLOEXEC);
		if (fail_nth_fd < 0) {
			printf("1..0 # SKIP no %s: the kernel lacks CONFIG_FAULT_INJECTION\n",
			       fail_nth_path);
			return 4;
		}
	}
	sigaction(SIGALRM, &sa, NULL);
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mem2 = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mem2 == MAP_FAILED)
		die("mmap: %s", strerror(errno));

	base_ref = refcount_of("kvm");
	if (scenario(mem, mem2, -1, 0, &rc, &err, &first_bad), first_bad >= 0)
		die("the scenario fails without injection, at step %d (%s): fix the scenario",
		    first_bad, first_bad < NR_STEPS ? steps[first_bad].name : "guest exits");
	if (!settled(base_ref))
		die("module refcount or debugfs not back after a clean run");
	if (clean_only) {
		printf("fault-inject: the scenario runs clean (%d steps)\n", NR_STEPS);
		return 0;
	}

	for (s = 0; s < NR_STEPS; s++) {
		if (only >= 0 && s != only)
			continue;
		for (n = 1; n <= MAX_NTH; n++) {
			bool inj = scenario(mem, mem2, s, n, &rc, &err, &first_bad);

			if (!inj)
				break;	/* step s made fewer than n allocations */
			total++;
			injections[s]++;
			if (rc == 0)
				absorbed[s]++;
			else
				errs[s][err <= MAX_ERRNO ? err : 0]++;
			if (verbose)
				printf("# step %d nth %d: %s\n", s, n,
				       rc ? strerror(err) : "absorbed");
			if (!settled(base_ref)) {
				printf("# FAIL step %d (%s), allocation %d failed: after closing every fd "
				       "the kvm refcount is %lld (was %lld), %d VM(s) in debugfs\n",
				       s, steps[s].name, n, refcount_of("kvm"), base_ref, debugfs_vms());
				bad++;
				goto out;
			}
			if (n % clean_every == 0 || n == 1) {
				scenario(mem, mem2, -1, 0, &rc, &err, &first_bad);
				if (first_bad >= 0) {
					printf("# FAIL after step %d (%s) allocation %d failed, a clean run "
					       "fails at step %d\n", s, steps[s].name, n, first_bad);
					bad++;
				}
				if (!settled(base_ref))
					bad++;
			}
		}
		if (n > MAX_NTH)
			printf("# step %d (%s): more than %d allocations, stopped there\n", s,
			       steps[s].name, MAX_NTH);
	}
	/* one clean run at the end: the module works after all of it */
	scenario(mem, mem2, -1, 0, &rc, &err, &first_bad);
	if (first_bad >= 0) {
		printf("# FAIL a clean run after the injections fails at step %d\n", first_bad);
		bad++;
	}
out:
	printf("# %-40s %6s %8s  errnos\n", "step", "faults", "absorbed");
	for (s = 0; s < NR_STEPS; s++) {
		char line[256] = "";
		int e, len = 0;

		if (only >= 0 && s != only)
			continue;
		for (e = 0; e <= MAX_ERRNO; e++)
			if (errs[s][e])
				len += snprintf(line + len, sizeof(line) - len, " %s:%d",
						e ? strerrorname_np(e) ? strerrorname_np(e) : "?" : "?",
						errs[s][e]);
		printf("# %-40s %6d %8d %s\n", steps[s].name, injections[s], absorbed[s], line);
	}
	printf("fault-inject: faults=%lld steps=%d failures=%d secs=%ld\n", total,
	       only >= 0 ? 1 : NR_STEPS, bad, (long)(time(NULL) - t0));
	return bad ? 1 : 0;
}
