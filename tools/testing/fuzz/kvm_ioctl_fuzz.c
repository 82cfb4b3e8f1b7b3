// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm_ioctl_fuzz - random ioctl sequences on /dev/kvm, VM, vCPU and stats fds.
 *
 * Fuzz mode (default): N threads share one table of fds (system, VMs, vCPUs, stats fds,
 * eventfds) and issue random ioctls from the set the module implements (the dispatch switches
 * in virt/kvm/ and arch/x86/kvm/), ioctls only stock KVM has, and unknown numbers; arguments
 * are boundary values, random bytes or structurally valid but odd structures. The threads race
 * KVM_RUN against memslot changes, close(), munmap()/mmap(MAP_FIXED) of guest memory, fork()
 * and signals (a kicker thread sends SIGUSR1 to every worker every few ms, which also ends
 * KVM_RUN). A watchdog prints the seed and each thread's last calls when no thread made
 * progress for --hang-secs; fatal signals print the same. The pass criterion is outside: no
 * splat in the host log, the process ends and its fds close (the module then unloads).
 *
 * Sequence mode (--sequence): one thread, deterministic, no racing: one line per call with a
 * normalized description of the arguments (no addresses, no fd numbers), the result and a
 * hash of the state read back where a GET exists. difftest_ioctl.sh diffs it between our
 * module and the stock one.
 *
 * Memory the kernel may write on the fuzzer's behalf is kept inside areas that end in a
 * PROT_NONE guard: per-thread argument arenas and a reserved window for guest memory, so a
 * huge memslot or a wrong size in the module reads as EFAULT, never as the fuzzer corrupting
 * itself. "Bad" pointers are never random user addresses for the same reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

/* ---------------------------------------------------------------- random numbers */

struct rng { uint64_t s; };

static uint64_t rnd(struct rng *r)
{
	/* splitmix64: deterministic from the seed, good enough for choices */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rn(struct rng *r, uint64_t n) { return n ? rnd(r) % n : 0; }
static bool one_in(struct rng *r, unsigned n) { return rn(r, n) == 0; }

static const uint64_t boundary[] = {
	0, 1, 2, 3, 4, 7, 8, 0xf, 0x10, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0x100,
	0x1ff, 0x200, 0x3ff, 0x400, 0xfff, 0x1000, 0x1001, 0xffff, 0x10000, 0x1ffff,
	0x7fffffff, 0x80000000, 0xfee00000, 0xfec00000, 0xfffff000, 0xffffffff,
	0x100000000ULL, 0xfffffffffULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
	0xfffffffffffff000ULL, 0xfffffffffffffffeULL, 0xffffffffffffffffULL,
};
#define NBOUND (sizeof(boundary) / sizeof(boundary[0]))

static uint64_t rval(struct rng *r)
{
	switch (rn(r, 8)) {
	case 0: case 1: case 2: return boundary[rn(r, NBOUND)];
	case 3: return boundary[rn(r, NBOUND)] + rn(r, 3) - 1;
	case 4: case 5: return rn(r, 16);
	case 6: return rn(r, 0x10000);
	default: return rnd(r);
	}
}

static void rbytes(struct rng *r, void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rnd(r);
}

/* ---------------------------------------------------------------- fds and state */

enum kind { K_SYS, K_VM, K_VCPU, K_STATS, K_EFD, NKIND };
static const char *const kind_name[NKIND] = { "sys", "vm", "vcpu", "stats", "efd" };
static const int kind_slots[NKIND] = { 2, 4, 8, 4, 4 };
#define MAXSLOTS 8

struct slot {
	int fd;			/* -1: empty */
	int vm;			/* K_VCPU, K_STATS: the VM slot it came from */
	int nvcpus;		/* K_VM: vCPUs created in it */
	struct kvm_run *run;	/* K_VCPU in sequence mode only */
};

static struct slot slots[NKIND][MAXSLOTS];
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

static bool seq_mode;
static uint64_t seed;
static int nthreads = 4;
static long max_calls = -1;
static long max_secs = -1;
static int hang_secs = 60;
static bool verbose;
static const char *dev_path = "/dev/kvm";
static const char *skip_list = "";
static unsigned op_weight[160];	/* MAXOPS */
static long vcpu_mmap_size = 4096 * 3;
static volatile int stop;
static int nfinished;
static int go;
static time_t t_start;

/* guest memory: pool regions at the start of a reserved window that ends far away */
#define WINDOW_SIZE	(1ULL << 36)
#define NPOOL		4
#define POOL_SIZE	(1UL << 20)
static uint8_t *window;
static uint8_t *rowin;		/* a read-only page */
static uint8_t *guardpg;	/* PROT_NONE page */
static uint8_t *bitmap_area;	/* dirty bitmaps: large enough for any slot in the window */
#define BITMAP_SIZE	((WINDOW_SIZE >> 12) / 8 + 4096)

/* ---------------------------------------------------------------- per-thread */

#define RING 32
struct rec {
	unsigned long seq;
	int op;
	int fd;
	unsigned long nr;
	unsigned long arg;
	long ret;
	int err;
	bool done;
};

#define ARENA_SIZE	(512 * 1024)
struct thr {
	int id;
	pthread_t pt;
	struct rng r;
	struct rec ring[RING];
	unsigned long ncalls;
	unsigned long steps;	/* sequence mode: line numbers and the --calls bound */
	volatile unsigned long progress;
	char *arena;		/* ARENA_SIZE bytes then a guard page */
	size_t last_len;	/* of the last abuf() */
	char desc[512];
	int dlen;
};

static struct thr *thrs;
static unsigned long total_calls;	/* summed at the end */

/* (op, errno) pairs seen */
#define MAXOPS 160
#define MAXERR 256
static uint8_t pairs[MAXOPS][MAXERR];

static void dcat(struct thr *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dcat(struct thr *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!seq_mode || t->dlen >= (int)sizeof(t->desc) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->desc + t->dlen, sizeof(t->desc) - t->dlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->dlen += n;
	if (t->dlen >= (int)sizeof(t->desc))
		t->dlen = sizeof(t->desc) - 1;
}

static uint64_t fnv(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* ---------------------------------------------------------------- argument pointers */

/* a zeroed buffer of n bytes at the start of the arena, to fill in */
static void *abuf(struct thr *t, size_t n)
{
	if (n > ARENA_SIZE)
		n = ARENA_SIZE;
	memset(t->arena, 0, n);
	t->last_len = n;
	return t->arena;
}

/*
 * The pointer to pass for buffer p (from abuf): usually p; sometimes the same bytes moved to
 * end in the guard page (the kernel must fault part way, never write past it); now and then a
 * pointer the kernel must refuse (never one into our own memory).
 */
static unsigned long aptr(struct thr *t, void *p)
{
	if (p == t->arena && t->last_len > 1 && one_in(&t->r, 24)) {
		size_t keep = rn(&t->r, t->last_len);
		char *q = t->arena + ARENA_SIZE - keep;

		memmove(q, p, keep);
		dcat(t, " [ends in guard after %zu]", keep);
		return (unsigned long)q;
	}
	if (!one_in(&t->r, 16))
		return (unsigned long)p;
	switch (rn(&t->r, 6)) {
	case 0: dcat(t, " ptr=null"); return 0;
	case 1: dcat(t, " ptr=low"); return 0x10 + rn(&t->r, 0x1000);
	case 2: dcat(t, " ptr=kernel"); return 0xffffffff81000000UL;
	case 3: dcat(t, " ptr=noncanon"); return 0x8000000000000000UL + rn(&t->r, 4096);
	case 4: dcat(t, " ptr=guard"); return (unsigned long)guardpg;
	default: dcat(t, " ptr=ro"); return (unsigned long)rowin;
	}
}

/* ---------------------------------------------------------------- ops */

struct call {
	unsigned long arg;
	void *buf;		/* the struct argument, for sequence-mode readback */
	size_t blen;
	int target_vm;		/* for CREATE_VCPU / GET_STATS_FD result placement */
};

typedef void (*gen_fn)(struct thr *t, struct call *c);

struct op {
	const char *name;
	unsigned long nr;
	enum kind kind;
	gen_fn gen;
	unsigned long get_nr;	/* sequence mode: read state back with this GET after a SET */
	size_t get_len;
	unsigned weight;
};

static void gen_intarg(struct thr *t, struct call *c)
{
	c->arg = rval(&t->r);
	dcat(t, " arg=%#lx", c->arg);
}

static void gen_zero(struct thr *t, struct call *c)
{
	c->arg = one_in(&t->r, 8) ? rval(&t->r) : 0;
	dcat(t, " arg=%#lx", c->arg);
}

/* a buffer of the ioctl's size (or a page): random bytes, zeros or a few boundary u64s */
static void gen_rawbuf(struct thr *t, struct call *c, size_t n)
{
	uint64_t *q;

	c->buf = abuf(t, n);
	c->blen = n;
	switch (rn(&t->r, 3)) {
	case 0:
		break;
	case 1:
		rbytes(&t->r, c->buf, n);
		break;
	default:
		q = c->buf;
		for (size_t i = 0; i + 8 <= n; i += 8)
			if (one_in(&t->r, 4))
				q[i / 8] = rval(&t->r);
	}
	dcat(t, " buf[%zu]#%08x", n, (uint32_t)fnv(c->buf, n));
	c->arg = aptr(t, c->buf);
}

static void gen_sized(struct thr *t, struct call *c, unsigned long nr)
{
	size_t n = _IOC_SIZE(nr);

	gen_rawbuf(t, c, n ? n : 64);
}

static void gen_unknown(struct thr *t, struct call *c);

/* ----- /dev/kvm */

static void gen_create_vm(struct thr *t, struct call *c)
{
	c->arg = one_in(&t->r, 6) ? rval(&t->r) : 0;
	dcat(t, " type=%#lx", c->arg);
}

static const unsigned long caps_of_interest[] = {
	KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_MSR_PLATFORM_INFO,
	KVM_CAP_X86_USER_SPACE_MSR, KVM_CAP_X86_DISABLE_EXITS, KVM_CAP_MAX_VCPU_ID,
	KVM_CAP_HALT_POLL, KVM_CAP_EXCEPTION_PAYLOAD, KVM_CAP_X86_MSR_FILTER,
	KVM_CAP_NR_MEMSLOTS, KVM_CAP_IRQCHIP, KVM_CAP_HLT, KVM_CAP_ENFORCE_PV_FEATURE_CPUID,
	KVM_CAP_HYPERV_SYNIC, KVM_CAP_X2APIC_API, KVM_CAP_PMU_CAPABILITY, KVM_CAP_DIRTY_LOG_RING,
	KVM_CAP_VM_COPY_ENC_CONTEXT_FROM, KVM_CAP_X86_TRIPLE_FAULT_EVENT, KVM_CAP_X86_BUS_LOCK_EXIT,
	KVM_CAP_SGX_ATTRIBUTE, KVM_CAP_EXIT_HYPERCALL, KVM_CAP_EXIT_ON_EMULATION_FAILURE,
	KVM_CAP_TSC_CONTROL, KVM_CAP_VAPIC, KVM_CAP_MAX_VCPUS,
};
#define NCAPS (sizeof(caps_of_interest) / sizeof(caps_of_interest[0]))

static unsigned long rcap(struct thr *t)
{
	switch (rn(&t->r, 3)) {
	case 0: return caps_of_interest[rn(&t->r, NCAPS)];
	case 1: return rn(&t->r, 240);
	default: return rval(&t->r);
	}
}

static void gen_check_ext(struct thr *t, struct call *c)
{
	c->arg = rcap(t);
	dcat(t, " cap=%#lx", c->arg);
}

static uint32_t rcount(struct thr *t, uint32_t limit)
{
	switch (rn(&t->r, 6)) {
	case 0: return 0;
	case 1: return limit;
	case 2: return limit + 1;
	case 3: return (uint32_t)rval(&t->r);
	default: return rn(&t->r, limit + 2);
	}
}

static void gen_cpuid2_out(struct thr *t, struct call *c)
{
	uint32_t n = rcount(t, 256);
	struct kvm_cpuid2 *p = abuf(t, sizeof(*p) + sizeof(p->entries[0]) * (n < 4096 ? n : 4096));

	p->nent = n;
	dcat(t, " nent=%u", n);
	c->buf = p;
	c->blen = sizeof(*p) + sizeof(p->entries[0]) * (n < 128 ? n : 128);
	c->arg = aptr(t, p);
}

static void gen_msr_list(struct thr *t, struct call *c)
{
	uint32_t n = rcount(t, 128);
	struct kvm_msr_list *p = abuf(t, sizeof(*p) + 4 * (n < 4096 ? n : 4096));

	p->nmsrs = n;
	dcat(t, " nmsrs=%u", n);
	c->buf = p;
	c->blen = sizeof(*p) + 4 * (n < 512 ? n : 512);
	c->arg = aptr(t, p);
}

/* MSR indices: known ones without time-varying values (TSC, APERF/MPERF, TSC deadline) */
static const uint32_t msr_idx[] = {
	0x1b, 0x3a, 0x48, 0x49, 0x8b, 0xce, 0x10a, 0x174, 0x175, 0x176, 0x179, 0x17a, 0x1a0,
	0x1d9, 0x277, 0x2ff, 0x345, 0x400, 0x401, 0x402, 0x403, 0x480, 0x48d, 0x4d0, 0x800,
	0x802, 0x808, 0x80f, 0x830, 0x838, 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083,
	0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010010, 0xc0010015,
	0xc0010114, 0xc0010117, 0xc0011022, 0xc0011029, 0x4b564d00, 0x4b564d01, 0x4b564d02,
	0x4b564d03, 0x4b564d04, 0x4b564d05, 0x11, 0x12, 0x40000000, 0x40000001, 0x0, 0x1,
	0xffffffff, 0x80000000, 0xc0000000, 0xc001ffff, 0x2000, 0x1fff,
};
#define NMSRIDX (sizeof(msr_idx) / sizeof(msr_idx[0]))

static void fill_msrs(struct thr *t, struct call *c, uint32_t limit, bool set)
{
	uint32_t n = rcount(t, limit);
	size_t room = n < 2048 ? n : 2048;
	struct kvm_msrs *p = abuf(t, sizeof(*p) + sizeof(p->entries[0]) * room);
	uint64_t h = 0;

	if ((char *)p + sizeof(*p) + sizeof(p->entries[0]) * room <= t->arena + ARENA_SIZE) {
		p->nmsrs = n;
		if (one_in(&t->r, 16))
			p->pad = rnd(&t->r);
		for (size_t i = 0; i < room; i++) {
			p->entries[i].index = one_in(&t->r, 10) ? (uint32_t)rnd(&t->r) :
					      msr_idx[rn(&t->r, NMSRIDX)];
			if (set)
				p->entries[i].data = rval(&t->r);
			h = h * 31 + p->entries[i].index * 7 + p->entries[i].data;
		}
	}
	dcat(t, " nmsrs=%u #%08x", n, (uint32_t)h);
	c->buf = p;
	c->blen = sizeof(*p) + sizeof(p->entries[0]) * (room < 64 ? room : 64);
	c->arg = aptr(t, p);
}

static void gen_feature_msrs(struct thr *t, struct call *c) { fill_msrs(t, c, 100, false); }
static void gen_get_msrs(struct thr *t, struct call *c) { fill_msrs(t, c, 256, false); }
static void gen_set_msrs(struct thr *t, struct call *c) { fill_msrs(t, c, 256, true); }

static void gen_u64_out(struct thr *t, struct call *c)
{
	c->buf = abuf(t, 8);
	c->blen = 8;
	c->arg = aptr(t, c->buf);
}

/* ----- VM */

static void gen_create_vcpu(struct thr *t, struct call *c)
{
	static const unsigned long ids[] = { 0, 1, 2, 3, 254, 255, 256, 1023, 1024, 4095, 4096,
					      0x7fffffff, 0xffffffff, ~0UL };

	c->arg = one_in(&t->r, 3) ? ids[rn(&t->r, sizeof(ids) / sizeof(ids[0]))] : rn(&t->r, 8);
	dcat(t, " id=%#lx", c->arg);
}

static uint64_t guest_size(struct thr *t)
{
	static const uint64_t sz[] = { 0, 0x1000, 0x2000, 0x10000, 0x200000, POOL_SIZE,
				       0x40000000, 1ULL << 35 };

	if (one_in(&t->r, 12))
		return rval(&t->r);
	if (one_in(&t->r, 12))
		return sz[rn(&t->r, 8)] + 0x800;	/* unaligned */
	return sz[rn(&t->r, 8)];
}

static uint64_t guest_gpa(struct thr *t)
{
	static const uint64_t g[] = { 0, 0x1000, 0xa0000, 0x100000, 0xfff00000, 0xfee00000,
				      0xfec00000, 0xc0000000, 0x100000000ULL, 1ULL << 40,
				      (1ULL << 48) - 0x1000, 1ULL << 52, 0xfffffffffffff000ULL };

	if (one_in(&t->r, 10))
		return rval(&t->r);
	if (one_in(&t->r, 16))
		return g[rn(&t->r, 13)] + 0x10;		/* unaligned */
	return g[rn(&t->r, 13)] + (one_in(&t->r, 4) ? rn(&t->r, 256) << 12 : 0);
}

/* a host address for a memslot of size sz: inside the window unless the kernel must refuse */
static uint64_t guest_uaddr(struct thr *t, uint64_t sz)
{
	uint64_t off;

	switch (rn(&t->r, 10)) {
	case 0:
		dcat(t, " uaddr=null");
		return sz <= 0x10000 ? 0 : 0x7ffffff00000ULL;
	case 1:
		dcat(t, " uaddr=kernel");
		return 0xffff888000000000ULL;
	case 2:
		dcat(t, " uaddr=win+unaligned");
		return (uint64_t)window + 0x123;
	case 3:
		dcat(t, " uaddr=ro");
		return sz <= 0x1000 ? (uint64_t)rowin : (uint64_t)window;
	case 4:
		dcat(t, " uaddr=top");
		return 0x7ffffffff000ULL - 0x1000;	/* with sz > 4K: past TASK_SIZE */
	default:
		if (sz >= WINDOW_SIZE) {
			dcat(t, " uaddr=win");
			return (uint64_t)window;
		}
		off = (rn(&t->r, NPOOL + 1) * POOL_SIZE) & ~0xfffULL;
		if (off + sz > WINDOW_SIZE)
			off = 0;
		dcat(t, " uaddr=win+%#" PRIx64, off);
		return (uint64_t)window + off;
	}
}

static void gen_set_mem(struct thr *t, struct call *c)
{
	struct kvm_userspace_memory_region *m = abuf(t, sizeof(*m));
	uint32_t slot;

	switch (rn(&t->r, 6)) {
	case 0: slot = rval(&t->r); break;
	case 1: slot = 508 + rn(&t->r, 8); break;
	case 2: slot = (1 << 16) | rn(&t->r, 4); break;
	case 3: slot = 32764 + rn(&t->r, 8); break;
	default: slot = rn(&t->r, 4); break;
	}
	m->slot = slot;
	m->flags = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : rn(&t->r, 4);
	m->guest_phys_addr = guest_gpa(t);
	m->memory_size = guest_size(t);
	dcat(t, " slot=%#x flags=%#x gpa=%#llx size=%#llx", m->slot, m->flags,
	     m->guest_phys_addr, m->memory_size);
	m->userspace_addr = guest_uaddr(t, m->memory_size);
	c->arg = aptr(t, m);
}

/*
 * --emu-unsafe: KVM_CAP_X86_DISABLE_EXITS may drop the HLT and MWAIT intercepts. Without
 * it those two bits are cleared: once the module implemented the capability (issue 17),
 * seed 2's random guest code halted CPU 0 of the emulated host for good (an RCU stall
 * with no tick on that CPU). On hardware a physical interrupt still exits a guest halted
 * with IF clear (APM vol. 2, V_INTR_MASKING: the host's IF governs); whether QEMU TCG's
 * nested SVM fails to is not yet confirmed, so this is kept apart like the guest fuzzer's
 * emulator-unsafe bytes.
 */
#define DISABLE_EXITS_WAIT_BITS	(KVM_X86_DISABLE_EXITS_MWAIT | KVM_X86_DISABLE_EXITS_HLT)
static bool emu_unsafe;

static void gen_enable_cap(struct thr *t, struct call *c)
{
	struct kvm_enable_cap *e = abuf(t, sizeof(*e));

	e->cap = rcap(t);
	e->flags = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : 0;
	for (int i = 0; i < 4; i++)
		e->args[i] = one_in(&t->r, 2) ? rval(&t->r) : 0;
	if (e->cap == KVM_CAP_X86_DISABLE_EXITS && !emu_unsafe)
		e->args[0] &= ~(uint64_t)DISABLE_EXITS_WAIT_BITS;
	dcat(t, " cap=%u flags=%#x args=%#llx,%#llx", e->cap, e->flags, e->args[0], e->args[1]);
	c->arg = aptr(t, e);
}

static uint32_t rslot(struct thr *t)
{
	return one_in(&t->r, 6) ? (uint32_t)rval(&t->r) : rn(&t->r, 4);
}

static void gen_dirty_log(struct thr *t, struct call *c)
{
	struct kvm_dirty_log *d = abuf(t, sizeof(*d));

	d->slot = rslot(t);
	dcat(t, " slot=%#x", d->slot);
	if (one_in(&t->r, 8)) {
		d->dirty_bitmap = (void *)aptr(t, NULL);
		dcat(t, " bitmap=bad");
	} else {
		d->dirty_bitmap = bitmap_area;
	}
	c->arg = aptr(t, d);
}

static void gen_clear_dirty(struct thr *t, struct call *c)
{
	struct kvm_clear_dirty_log *d = abuf(t, sizeof(*d));

	d->slot = rslot(t);
	d->first_page = one_in(&t->r, 3) ? rval(&t->r) : rn(&t->r, 4) * 64;
	d->num_pages = one_in(&t->r, 3) ? (uint32_t)rval(&t->r) : rn(&t->r, 5) * 64;
	dcat(t, " slot=%#x first=%#llx num=%#x", d->slot, d->first_page, d->num_pages);
	if (one_in(&t->r, 8)) {
		d->dirty_bitmap = (void *)aptr(t, NULL);
		dcat(t, " bitmap=bad");
	} else {
		d->dirty_bitmap = bitmap_area;
		if (!seq_mode || one_in(&t->r, 2))
			memset(bitmap_area, 0xff, 4096);
	}
	c->arg = aptr(t, d);
}

static int rfd(struct thr *t, const char **what)
{
	int k = one_in(&t->r, 4) ? (int)rn(&t->r, NKIND) : K_EFD;
	int s = rn(&t->r, kind_slots[k]);

	if (one_in(&t->r, 16)) {
		*what = "bad";
		return one_in(&t->r, 2) ? -1 : 100000;
	}
	*what = kind_name[k];
	dcat(t, "%s%d", kind_name[k], s);
	*what = "";
	return __atomic_load_n(&slots[k][s].fd, __ATOMIC_RELAXED);
}

static void gen_ioeventfd(struct thr *t, struct call *c)
{
	struct kvm_ioeventfd *e = abuf(t, sizeof(*e));
	static const uint32_t lens[] = { 0, 1, 2, 4, 8, 3, 16 };
	const char *w;

	e->datamatch = rval(&t->r);
	e->addr = one_in(&t->r, 3) ? rval(&t->r) : rn(&t->r, 4) * 0x1000 + 0xfe000000;
	e->len = lens[rn(&t->r, 7)];
	e->flags = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : rn(&t->r, 8);
	dcat(t, " addr=%#llx len=%u flags=%#x dm=%#llx fd=", e->addr, e->len, e->flags,
	     e->datamatch);
	e->fd = rfd(t, &w);
	dcat(t, "%s", w);
	c->arg = aptr(t, e);
}

static void gen_irqfd(struct thr *t, struct call *c)
{
	struct kvm_irqfd *e = abuf(t, sizeof(*e));
	const char *w;

	e->gsi = one_in(&t->r, 4) ? (uint32_t)rval(&t->r) : rn(&t->r, 26);
	e->flags = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : rn(&t->r, 4);
	dcat(t, " gsi=%u flags=%#x fd=", e->gsi, e->flags);
	e->fd = rfd(t, &w);
	dcat(t, "%s rfd=", w);
	e->resamplefd = rfd(t, &w);
	dcat(t, "%s", w);
	c->arg = aptr(t, e);
}

static void gen_coalesced(struct thr *t, struct call *c)
{
	struct kvm_coalesced_mmio_zone *z = abuf(t, sizeof(*z));

	z->addr = one_in(&t->r, 3) ? rval(&t->r) : 0xe0000000 + rn(&t->r, 4) * 0x1000;
	z->size = one_in(&t->r, 3) ? (uint32_t)rval(&t->r) : rn(&t->r, 3) * 0x800;
	z->pio = one_in(&t->r, 6) ? (uint32_t)rval(&t->r) : rn(&t->r, 2);
	dcat(t, " addr=%#llx size=%#x pio=%#x", z->addr, z->size, z->pio);
	c->arg = aptr(t, z);
}

static void gen_gsi_routing(struct thr *t, struct call *c)
{
	uint32_t n = rcount(t, 4096);
	size_t room = n <= 4096 ? n : 64;
	struct kvm_irq_routing *rt = abuf(t, sizeof(*rt) + sizeof(rt->entries[0]) * room);

	if ((char *)rt + sizeof(*rt) + sizeof(rt->entries[0]) * room <= t->arena + ARENA_SIZE) {
		rt->nr = n;
		rt->flags = one_in(&t->r, 16) ? (uint32_t)rval(&t->r) : 0;
		for (size_t i = 0; i < room; i++) {
			struct kvm_irq_routing_entry *e = &rt->entries[i];

			e->gsi = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : rn(&t->r, 32);
			e->type = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : 1 + rn(&t->r, 2);
			e->flags = one_in(&t->r, 16) ? (uint32_t)rval(&t->r) : 0;
			if (e->type == KVM_IRQ_ROUTING_IRQCHIP && !one_in(&t->r, 8)) {
				e->u.irqchip.irqchip = rn(&t->r, 4);
				e->u.irqchip.pin = rn(&t->r, 26);
			} else {
				rbytes(&t->r, &e->u, sizeof(e->u));
				if (e->type == KVM_IRQ_ROUTING_MSI && !one_in(&t->r, 4))
					e->u.msi.address_lo = 0xfee00000 | (rn(&t->r, 4) << 12);
			}
		}
	}
	dcat(t, " nr=%u #%08x", n,
	     (uint32_t)fnv(rt, sizeof(*rt) + sizeof(rt->entries[0]) * (room < 64 ? room : 64)));
	c->arg = aptr(t, rt);
}

static void gen_irq_line(struct thr *t, struct call *c)
{
	struct kvm_irq_level *l = abuf(t, sizeof(*l));

	l->irq = one_in(&t->r, 4) ? (uint32_t)rval(&t->r) : rn(&t->r, 26);
	l->level = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : rn(&t->r, 2);
	dcat(t, " irq=%#x level=%#x", l->irq, l->level);
	c->buf = l;
	c->blen = sizeof(*l);
	c->arg = aptr(t, l);
}

static void gen_msi(struct thr *t, struct call *c)
{
	struct kvm_msi *m = abuf(t, sizeof(*m));

	m->address_lo = one_in(&t->r, 3) ? (uint32_t)rval(&t->r) : 0xfee00000 | rn(&t->r, 4) << 12;
	m->address_hi = one_in(&t->r, 6) ? (uint32_t)rval(&t->r) : 0;
	m->data = one_in(&t->r, 3) ? (uint32_t)rval(&t->r) : 0x20 + rn(&t->r, 0x20) +
		  (rn(&t->r, 8) << 8);
	m->flags = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : 0;
	m->devid = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : 0;
	dcat(t, " addr=%#x:%#x data=%#x flags=%#x devid=%#x", m->address_hi, m->address_lo,
	     m->data, m->flags, m->devid);
	c->arg = aptr(t, m);
}

/*
 * Sequence mode: fields where stock 6.1 and our module differ by a triaged quirk, rewritten
 * to one form before they are hashed or fed back into a SET (difftest_ioctl.sh lists them
 * with the allowlist):
 *  - KVM_GET_FPU / KVM_GET_XSAVE: a new vCPU's MXCSR reads 0 on stock 6.1, 0x1f80 (its value
 *    after RESET, SDM vol. 3A table 9-1) on ours: 0 is shown as 0x1f80;
 *  - KVM_GET_VCPU_EVENTS: without KVM_VCPUEVENT_VALID_PAYLOAD stock echoes the exception
 *    payload last set; ours (no KVM_CAP_EXCEPTION_PAYLOAD) keeps none: shown as 0;
 *  - KVM_GET_CPUID2: on success stock 6.1 leaves nent as passed in, ours writes the number
 *    of entries (as it does on E2BIG, both): nent is not compared on success.
 */
static void seq_normalize(unsigned long nr, void *buf, long ret)
{
	uint8_t *b = buf;
	uint32_t v;

	if (!seq_mode || !buf || ret < 0)
		return;
	if (nr == KVM_GET_FPU || nr == KVM_GET_XSAVE) {
		size_t off = nr == KVM_GET_FPU ? offsetof(struct kvm_fpu, mxcsr) : 24;

		memcpy(&v, b + off, 4);
		if (!v) {
			v = 0x1f80;
			memcpy(b + off, &v, 4);
		}
	} else if (nr == KVM_GET_VCPU_EVENTS) {
		struct kvm_vcpu_events *e = buf;

		if (!(e->flags & KVM_VCPUEVENT_VALID_PAYLOAD)) {
			e->exception_has_payload = 0;
			e->exception_payload = 0;
		}
	} else if (nr == KVM_GET_CPUID2) {
		((struct kvm_cpuid2 *)buf)->nent = 0;
	}
}

/*
 * Sequence mode, before KVM_RUN: an external interrupt queued (KVM_INTERRUPT,
 * KVM_SET_VCPU_EVENTS, KVM_SET_SREGS) while RFLAGS.IF is clear goes in at once on stock
 * (SVM EVENTINJ ignores IF) but waits for the window on ours (a virtual interrupt, chosen
 * in svm/events.c because of a QEMU TCG bug with EVENTINJ interrupts). The transcripts
 * would part there for good: IF is set first, silently, the same on both.
 */
static void seq_before_run(int fd)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;

	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &ev) || !ev.interrupt.injected)
		return;
	if (ioctl(fd, KVM_GET_REGS, &regs) || (regs.rflags & 0x200))
		return;
	regs.rflags |= 0x200;
	ioctl(fd, KVM_SET_REGS, &regs);
}

/* GET into the buffer first (sequence mode: silently), then mutate a little */
static void get_then_mutate(struct thr *t, struct call *c, int fd, unsigned long get_nr,
			    size_t n, void *p)
{
	uint8_t *b = p;

	if (fd >= 0 && get_nr && !one_in(&t->r, 4))
		seq_normalize(get_nr, p, ioctl(fd, get_nr, p));
	switch (rn(&t->r, 4)) {
	case 0:
		break;
	case 1:
		for (int i = rn(&t->r, 4); i >= 0; i--)
			b[rn(&t->r, n)] ^= 1 << rn(&t->r, 8);
		break;
	case 2:
		for (int i = rn(&t->r, 3); i >= 0; i--) {
			size_t o = rn(&t->r, n / 8) * 8;
			uint64_t v = rval(&t->r);

			memcpy(b + o, &v, 8);
		}
		break;
	default:
		rbytes(&t->r, b, n);
	}
}

static int cur_fd;	/* the target fd of the call being generated */

static void gen_irqchip(struct thr *t, struct call *c)
{
	struct kvm_irqchip *ic = abuf(t, sizeof(*ic));
	uint32_t chip = one_in(&t->r, 6) ? (uint32_t)rval(&t->r) : rn(&t->r, 3);

	ic->chip_id = chip;
	get_then_mutate(t, c, cur_fd, KVM_GET_IRQCHIP, sizeof(*ic), ic);
	ic->chip_id = chip;
	dcat(t, " chip=%#x #%08x", chip, (uint32_t)fnv(ic, sizeof(*ic)));
	c->buf = ic;
	c->blen = sizeof(*ic);
	c->arg = aptr(t, ic);
}

static void gen_get_irqchip(struct thr *t, struct call *c)
{
	struct kvm_irqchip *ic = abuf(t, sizeof(*ic));

	ic->chip_id = one_in(&t->r, 6) ? (uint32_t)rval(&t->r) : rn(&t->r, 3);
	dcat(t, " chip=%#x", ic->chip_id);
	c->buf = ic;
	c->blen = sizeof(*ic);
	c->arg = aptr(t, ic);
}

static void gen_msr_filter(struct thr *t, struct call *c)
{
	struct kvm_msr_filter *f = abuf(t, sizeof(*f));
	static uint8_t bm[4][8192 / 8 + 64];
	int n = rn(&t->r, KVM_MSR_FILTER_MAX_RANGES + 2);

	f->flags = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : rn(&t->r, 2);
	dcat(t, " flags=%#x", f->flags);
	for (int i = 0; i < n && i < KVM_MSR_FILTER_MAX_RANGES; i++) {
		struct kvm_msr_filter_range *r = &f->ranges[i];

		r->flags = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : rn(&t->r, 4);
		r->nmsrs = one_in(&t->r, 6) ? (uint32_t)rval(&t->r) : rn(&t->r, 8192 + 1);
		r->base = one_in(&t->r, 3) ? (uint32_t)rval(&t->r) : msr_idx[rn(&t->r, NMSRIDX)];
		if (r->nmsrs <= 8192 && !one_in(&t->r, 10)) {
			int which = rn(&t->r, 4);

			if (!seq_mode || one_in(&t->r, 2))
				memset(bm[which], one_in(&t->r, 2) ? 0xff : 0x55, sizeof(bm[0]));
			r->bitmap = bm[which];
		} else {
			r->bitmap = (uint8_t *)aptr(t, NULL);
		}
		dcat(t, " [%#x,%u,%#x]", r->base, r->nmsrs, r->flags);
	}
	c->arg = aptr(t, f);
}

static void gen_pit_config(struct thr *t, struct call *c)
{
	struct kvm_pit_config *p = abuf(t, sizeof(*p));

	p->flags = one_in(&t->r, 4) ? (uint32_t)rval(&t->r) : rn(&t->r, 2);
	dcat(t, " flags=%#x", p->flags);
	c->arg = aptr(t, p);
}

static void gen_set_pit(struct thr *t, struct call *c)
{
	struct kvm_pit_state *p = abuf(t, sizeof(*p));

	get_then_mutate(t, c, cur_fd, KVM_GET_PIT, sizeof(*p), p);
	c->arg = aptr(t, p);
}

static void gen_set_pit2(struct thr *t, struct call *c)
{
	struct kvm_pit_state2 *p = abuf(t, sizeof(*p));

	get_then_mutate(t, c, cur_fd, KVM_GET_PIT2, sizeof(*p), p);
	c->arg = aptr(t, p);
}

static void gen_reinject(struct thr *t, struct call *c)
{
	struct kvm_reinject_control *p = abuf(t, sizeof(*p));

	p->pit_reinject = rval(&t->r);
	if (one_in(&t->r, 8))
		rbytes(&t->r, p->reserved, sizeof(p->reserved));
	dcat(t, " reinject=%u", p->pit_reinject);
	c->arg = aptr(t, p);
}

static void gen_set_clock(struct thr *t, struct call *c)
{
	struct kvm_clock_data *d = abuf(t, sizeof(*d));

	d->clock = rval(&t->r);
	d->flags = one_in(&t->r, 4) ? (uint32_t)rval(&t->r) : 0;
	d->realtime = rval(&t->r);
	d->host_tsc = rval(&t->r);
	dcat(t, " clock=%#llx flags=%#x", d->clock, d->flags);
	c->arg = aptr(t, d);
}

static void gen_get_clock(struct thr *t, struct call *c)
{
	gen_u64_out(t, c);
	c->buf = NULL;	/* time-varying: no readback hash */
	c->blen = 0;
}

static void gen_identity(struct thr *t, struct call *c)
{
	uint64_t *p = abuf(t, 8);

	*p = rval(&t->r);
	dcat(t, " addr=%#" PRIx64, *p);
	c->arg = aptr(t, p);
}

/* ----- vCPU */

static void gen_run(struct thr *t, struct call *c)
{
	c->arg = one_in(&t->r, 16) ? rval(&t->r) : 0;
	dcat(t, " arg=%#lx", c->arg);
}

static void gen_sigmask(struct thr *t, struct call *c)
{
	struct kvm_signal_mask *m = abuf(t, sizeof(*m) + 16);
	uint64_t set = rnd(&t->r) & ~(1ULL << (SIGUSR1 - 1)) & ~(1ULL << (SIGALRM - 1));

	m->len = one_in(&t->r, 3) ? (uint32_t)rval(&t->r) : 8;
	if (one_in(&t->r, 3))
		set = 0;
	memcpy(m->sigset, &set, 8);
	dcat(t, " len=%u set=%#" PRIx64, m->len, set);
	c->arg = one_in(&t->r, 10) ? 0 : aptr(t, m);	/* NULL: clear the mask */
}

/*
 * --no-hwbp: no DR7 enable bits (L0-3, G0-3) nor GD from KVM_SET_DEBUGREGS and
 * KVM_SET_GUEST_DEBUG. Tried against the freezes of the TCG-emulated host (ioctl_fuzz.sh),
 * which it did not prevent; kept for triage.
 */
static bool no_hwbp;
#define DR7_ARMING	0x20ffULL

static void fix_none(void *p) { (void)p; }
static void fix_debugregs(void *p)
{
	if (no_hwbp)
		((struct kvm_debugregs *)p)->dr7 &= ~DR7_ARMING;
}
static void fix_guest_debug(void *p)
{
	if (no_hwbp)
		((struct kvm_guest_debug *)p)->arch.debugreg[7] &= ~DR7_ARMING;
}

#define GEN_SET(fn, type, getnr) GEN_SET_FIX(fn, type, getnr, fix_none)
#define GEN_SET_FIX(fn, type, getnr, fix)					\
static void fn(struct thr *t, struct call *c)					\
{										\
	type *p = abuf(t, sizeof(*p));						\
	get_then_mutate(t, c, cur_fd, getnr, sizeof(*p), p);			\
	fix(p);									\
	dcat(t, " #%08x", (uint32_t)fnv(p, sizeof(*p)));			\
	c->buf = p;								\
	c->blen = sizeof(*p);							\
	c->arg = aptr(t, p);							\
}
GEN_SET(gen_set_regs, struct kvm_regs, KVM_GET_REGS)
GEN_SET(gen_set_sregs, struct kvm_sregs, KVM_GET_SREGS)
GEN_SET(gen_set_fpu, struct kvm_fpu, KVM_GET_FPU)
GEN_SET(gen_set_xcrs, struct kvm_xcrs, KVM_GET_XCRS)
GEN_SET_FIX(gen_set_debugregs, struct kvm_debugregs, KVM_GET_DEBUGREGS, fix_debugregs)
GEN_SET(gen_set_events, struct kvm_vcpu_events, KVM_GET_VCPU_EVENTS)
GEN_SET(gen_set_xsave, struct kvm_xsave, KVM_GET_XSAVE)
GEN_SET(gen_set_lapic, struct kvm_lapic_state, KVM_GET_LAPIC)
GEN_SET_FIX(gen_set_guest_debug, struct kvm_guest_debug, 0, fix_guest_debug)
GEN_SET(gen_x86_set_mce, struct kvm_x86_mce, 0)

static void gen_get_struct(struct thr *t, struct call *c, size_t n)
{
	c->buf = abuf(t, n);
	c->blen = n;
	c->arg = aptr(t, c->buf);
}

#define GEN_GET(fn, type)							\
static void fn(struct thr *t, struct call *c) { gen_get_struct(t, c, sizeof(type)); }
GEN_GET(gen_get_regs, struct kvm_regs)
GEN_GET(gen_get_sregs, struct kvm_sregs)
GEN_GET(gen_get_fpu, struct kvm_fpu)
GEN_GET(gen_get_xcrs, struct kvm_xcrs)
GEN_GET(gen_get_debugregs, struct kvm_debugregs)
GEN_GET(gen_get_events, struct kvm_vcpu_events)
GEN_GET(gen_get_xsave, struct kvm_xsave)
GEN_GET(gen_get_lapic, struct kvm_lapic_state)
GEN_GET(gen_get_mp, struct kvm_mp_state)
GEN_GET(gen_get_pit, struct kvm_pit_state)
GEN_GET(gen_get_pit2, struct kvm_pit_state2)

static void gen_set_mp(struct thr *t, struct call *c)
{
	struct kvm_mp_state *p = abuf(t, sizeof(*p));

	p->mp_state = one_in(&t->r, 4) ? (uint32_t)rval(&t->r) : rn(&t->r, 10);
	dcat(t, " state=%#x", p->mp_state);
	c->arg = aptr(t, p);
}

static void gen_set_cpuid2(struct thr *t, struct call *c)
{
	uint32_t n = rcount(t, 256);
	size_t room = n < 300 ? n : 300;
	struct kvm_cpuid2 *p = abuf(t, sizeof(*p) + sizeof(p->entries[0]) * room);
	static const uint32_t leaves[] = { 0, 1, 4, 6, 7, 0xb, 0xd, 0xf, 0x10, 0x12, 0x14, 0x1f,
					   0x40000000, 0x40000001, 0x80000000, 0x80000001,
					   0x80000007, 0x80000008, 0x8000000a, 0x8000001f };

	if ((char *)p + sizeof(*p) + sizeof(p->entries[0]) * room <= t->arena + ARENA_SIZE) {
		p->nent = n;
		for (size_t i = 0; i < room; i++) {
			struct kvm_cpuid_entry2 *e = &p->entries[i];

			e->function = one_in(&t->r, 8) ? (uint32_t)rnd(&t->r) : leaves[rn(&t->r, 20)];
			e->index = rn(&t->r, 3);
			e->flags = one_in(&t->r, 8) ? (uint32_t)rnd(&t->r) : rn(&t->r, 2);
			e->eax = one_in(&t->r, 2) ? (uint32_t)rnd(&t->r) : (uint32_t)rval(&t->r);
			e->ebx = rnd(&t->r);
			e->ecx = rnd(&t->r);
			e->edx = rnd(&t->r);
			if (e->function == 0 || e->function == 0x80000000)
				e->eax = 0x80000000 * (e->function != 0) + rn(&t->r, 0x20);
			if (e->function == 0x80000008)
				e->eax = (e->eax & ~0xffffu) | (rn(&t->r, 64) << 8) | rn(&t->r, 64);
		}
	}
	dcat(t, " nent=%u #%08x", n,
	     (uint32_t)fnv(p, sizeof(*p) + sizeof(p->entries[0]) * (room < 64 ? room : 64)));
	c->arg = aptr(t, p);
}

static void gen_interrupt(struct thr *t, struct call *c)
{
	struct kvm_interrupt *p = abuf(t, sizeof(*p));

	p->irq = one_in(&t->r, 4) ? (uint32_t)rval(&t->r) : rn(&t->r, 256);
	dcat(t, " irq=%#x", p->irq);
	c->arg = aptr(t, p);
}

static void gen_vapic(struct thr *t, struct call *c)
{
	struct kvm_vapic_addr *p = abuf(t, sizeof(*p));

	p->vapic_addr = one_in(&t->r, 2) ? rval(&t->r) : rn(&t->r, 0x100) << 12;
	dcat(t, " addr=%#llx", p->vapic_addr);
	c->arg = aptr(t, p);
}

static void gen_setup_mce(struct thr *t, struct call *c)
{
	uint64_t *p = abuf(t, 8);

	*p = one_in(&t->r, 2) ? rval(&t->r) : (rn(&t->r, 3) << 24) | rn(&t->r, 40);
	dcat(t, " cap=%#" PRIx64, *p);
	c->arg = aptr(t, p);
}

static void gen_dev_attr(struct thr *t, struct call *c)
{
	struct kvm_device_attr *a = abuf(t, sizeof(*a) + 8);

	a->flags = one_in(&t->r, 8) ? (uint32_t)rval(&t->r) : 0;
	a->group = one_in(&t->r, 4) ? (uint32_t)rval(&t->r) : rn(&t->r, 3);
	a->attr = one_in(&t->r, 4) ? rval(&t->r) : rn(&t->r, 3);
	*(uint64_t *)(a + 1) = rval(&t->r);
	dcat(t, " flags=%#x group=%#x attr=%#llx", a->flags, a->group, a->attr);
	a->addr = aptr(t, a + 1);
	c->arg = aptr(t, a);
}

static void gen_kvmclock_ctrl(struct thr *t, struct call *c) { gen_zero(t, c); }

/* ----- table */

#define NR(x) x, #x
struct opdef { unsigned long nr; const char *name; enum kind kind; gen_fn gen;
	       unsigned long get_nr; size_t get_len; unsigned weight; };

static const struct opdef opdefs[] = {
	/* /dev/kvm (kvm_dev_ioctl, kvm_arch_dev_ioctl) */
	{ NR(KVM_GET_API_VERSION), K_SYS, gen_zero, 0, 0, 1 },
	{ NR(KVM_CREATE_VM), K_SYS, gen_create_vm, 0, 0, 3 },
	{ NR(KVM_CHECK_EXTENSION), K_SYS, gen_check_ext, 0, 0, 2 },
	{ NR(KVM_GET_VCPU_MMAP_SIZE), K_SYS, gen_zero, 0, 0, 1 },
	{ NR(KVM_GET_SUPPORTED_CPUID), K_SYS, gen_cpuid2_out, 0, 0, 2 },
	{ NR(KVM_GET_MSR_INDEX_LIST), K_SYS, gen_msr_list, 0, 0, 2 },
	{ NR(KVM_GET_MSR_FEATURE_INDEX_LIST), K_SYS, gen_msr_list, 0, 0, 2 },
	{ NR(KVM_GET_MSRS), K_SYS, gen_feature_msrs, 0, 0, 2 },
	{ NR(KVM_X86_GET_MCE_CAP_SUPPORTED), K_SYS, gen_u64_out, 0, 0, 1 },
	/* VM (kvm_vm_ioctl, kvm_arch_vm_ioctl) */
	{ NR(KVM_CHECK_EXTENSION), K_VM, gen_check_ext, 0, 0, 1 },
	{ NR(KVM_SET_USER_MEMORY_REGION), K_VM, gen_set_mem, 0, 0, 8 },
	{ NR(KVM_CREATE_VCPU), K_VM, gen_create_vcpu, 0, 0, 4 },
	{ NR(KVM_ENABLE_CAP), K_VM, gen_enable_cap, 0, 0, 3 },
	{ NR(KVM_GET_DIRTY_LOG), K_VM, gen_dirty_log, 0, 0, 3 },
	{ NR(KVM_CLEAR_DIRTY_LOG), K_VM, gen_clear_dirty, 0, 0, 2 },
	{ NR(KVM_IOEVENTFD), K_VM, gen_ioeventfd, 0, 0, 3 },
	{ NR(KVM_IRQFD), K_VM, gen_irqfd, 0, 0, 3 },
	{ NR(KVM_GET_STATS_FD), K_VM, gen_zero, 0, 0, 1 },
	{ NR(KVM_REGISTER_COALESCED_MMIO), K_VM, gen_coalesced, 0, 0, 2 },
	{ NR(KVM_UNREGISTER_COALESCED_MMIO), K_VM, gen_coalesced, 0, 0, 2 },
	{ NR(KVM_SET_GSI_ROUTING), K_VM, gen_gsi_routing, 0, 0, 3 },
	{ NR(KVM_IRQ_LINE), K_VM, gen_irq_line, 0, 0, 3 },
	{ NR(KVM_IRQ_LINE_STATUS), K_VM, gen_irq_line, 0, 0, 2 },
	{ NR(KVM_SIGNAL_MSI), K_VM, gen_msi, 0, 0, 2 },
	{ NR(KVM_SET_TSS_ADDR), K_VM, gen_intarg, 0, 0, 1 },
	{ NR(KVM_CREATE_IRQCHIP), K_VM, gen_zero, 0, 0, 3 },
	{ NR(KVM_GET_IRQCHIP), K_VM, gen_get_irqchip, 0, 0, 2 },
	{ NR(KVM_SET_IRQCHIP), K_VM, gen_irqchip, 0, 0, 2 },
	{ NR(KVM_SET_IDENTITY_MAP_ADDR), K_VM, gen_identity, 0, 0, 1 },
	{ NR(KVM_X86_SET_MSR_FILTER), K_VM, gen_msr_filter, 0, 0, 2 },
	{ NR(KVM_CREATE_PIT), K_VM, gen_zero, 0, 0, 1 },
	{ NR(KVM_CREATE_PIT2), K_VM, gen_pit_config, 0, 0, 2 },
	{ NR(KVM_GET_PIT), K_VM, gen_get_pit, 0, 0, 1 },
	{ NR(KVM_SET_PIT), K_VM, gen_set_pit, 0, 0, 1 },
	{ NR(KVM_GET_PIT2), K_VM, gen_get_pit2, 0, 0, 1 },
	{ NR(KVM_SET_PIT2), K_VM, gen_set_pit2, 0, 0, 1 },
	{ NR(KVM_REINJECT_CONTROL), K_VM, gen_reinject, 0, 0, 1 },
	{ NR(KVM_SET_BOOT_CPU_ID), K_VM, gen_intarg, 0, 0, 1 },
	{ NR(KVM_SET_NR_MMU_PAGES), K_VM, gen_intarg, 0, 0, 1 },
	{ NR(KVM_GET_NR_MMU_PAGES), K_VM, gen_zero, 0, 0, 1 },
	{ NR(KVM_GET_CLOCK), K_VM, gen_get_clock, 0, 0, 1 },
	{ NR(KVM_SET_CLOCK), K_VM, gen_set_clock, 0, 0, 1 },
	/* vCPU (kvm_vcpu_ioctl, kvm_arch_vcpu_ioctl) */
	{ NR(KVM_RUN), K_VCPU, gen_run, KVM_GET_REGS, sizeof(struct kvm_regs), 10 },
	{ NR(KVM_SET_SIGNAL_MASK), K_VCPU, gen_sigmask, 0, 0, 1 },
	{ NR(KVM_GET_REGS), K_VCPU, gen_get_regs, 0, 0, 2 },
	{ NR(KVM_SET_REGS), K_VCPU, gen_set_regs, KVM_GET_REGS, sizeof(struct kvm_regs), 3 },
	{ NR(KVM_GET_SREGS), K_VCPU, gen_get_sregs, 0, 0, 2 },
	{ NR(KVM_SET_SREGS), K_VCPU, gen_set_sregs, KVM_GET_SREGS, sizeof(struct kvm_sregs), 3 },
	{ NR(KVM_GET_FPU), K_VCPU, gen_get_fpu, 0, 0, 1 },
	{ NR(KVM_SET_FPU), K_VCPU, gen_set_fpu, KVM_GET_FPU, sizeof(struct kvm_fpu), 1 },
	{ NR(KVM_GET_MP_STATE), K_VCPU, gen_get_mp, 0, 0, 1 },
	{ NR(KVM_SET_MP_STATE), K_VCPU, gen_set_mp, KVM_GET_MP_STATE,
	  sizeof(struct kvm_mp_state), 2 },
	{ NR(KVM_GET_MSRS), K_VCPU, gen_get_msrs, 0, 0, 2 },
	{ NR(KVM_SET_MSRS), K_VCPU, gen_set_msrs, 0, 0, 3 },
	{ NR(KVM_SET_CPUID2), K_VCPU, gen_set_cpuid2, 0, 0, 2 },
	{ NR(KVM_GET_CPUID2), K_VCPU, gen_cpuid2_out, 0, 0, 1 },
	{ NR(KVM_GET_XCRS), K_VCPU, gen_get_xcrs, 0, 0, 1 },
	{ NR(KVM_SET_XCRS), K_VCPU, gen_set_xcrs, KVM_GET_XCRS, sizeof(struct kvm_xcrs), 1 },
	{ NR(KVM_GET_DEBUGREGS), K_VCPU, gen_get_debugregs, 0, 0, 1 },
	{ NR(KVM_SET_DEBUGREGS), K_VCPU, gen_set_debugregs, KVM_GET_DEBUGREGS,
	  sizeof(struct kvm_debugregs), 1 },
	{ NR(KVM_INTERRUPT), K_VCPU, gen_interrupt, 0, 0, 2 },
	{ NR(KVM_NMI), K_VCPU, gen_zero, 0, 0, 1 },
	{ NR(KVM_GET_VCPU_EVENTS), K_VCPU, gen_get_events, 0, 0, 1 },
	{ NR(KVM_SET_VCPU_EVENTS), K_VCPU, gen_set_events, KVM_GET_VCPU_EVENTS,
	  sizeof(struct kvm_vcpu_events), 2 },
	{ NR(KVM_SET_GUEST_DEBUG), K_VCPU, gen_set_guest_debug, 0, 0, 1 },
	{ NR(KVM_GET_XSAVE), K_VCPU, gen_get_xsave, 0, 0, 1 },
	{ NR(KVM_SET_XSAVE), K_VCPU, gen_set_xsave, KVM_GET_XSAVE, sizeof(struct kvm_xsave), 1 },
	{ NR(KVM_GET_LAPIC), K_VCPU, gen_get_lapic, 0, 0, 1 },
	{ NR(KVM_SET_LAPIC), K_VCPU, gen_set_lapic, KVM_GET_LAPIC,
	  sizeof(struct kvm_lapic_state), 2 },
	{ NR(KVM_SET_VAPIC_ADDR), K_VCPU, gen_vapic, 0, 0, 1 },
	{ NR(KVM_X86_SETUP_MCE), K_VCPU, gen_setup_mce, 0, 0, 1 },
	{ NR(KVM_X86_SET_MCE), K_VCPU, gen_x86_set_mce, 0, 0, 1 },
	{ NR(KVM_KVMCLOCK_CTRL), K_VCPU, gen_kvmclock_ctrl, 0, 0, 1 },
	{ NR(KVM_HAS_DEVICE_ATTR), K_VCPU, gen_dev_attr, 0, 0, 1 },
	{ NR(KVM_GET_DEVICE_ATTR), K_VCPU, gen_dev_attr, 0, 0, 1 },
	{ NR(KVM_SET_DEVICE_ATTR), K_VCPU, gen_dev_attr, 0, 0, 1 },
	{ NR(KVM_ENABLE_CAP), K_VCPU, gen_enable_cap, 0, 0, 2 },
	{ NR(KVM_GET_STATS_FD), K_VCPU, gen_zero, 0, 0, 1 },
	/* unknown numbers, and ioctls only stock KVM implements (fuzz mode only) */
	{ 0, "unknown", K_SYS, gen_unknown, 0, 0, 3 },
};
#define NOPDEFS (sizeof(opdefs) / sizeof(opdefs[0]))

/* stock-only ioctls: the module must answer them like any unknown number */
static const struct { unsigned long nr; const char *name; } stock_only[] = {
	{ NR(KVM_GET_XSAVE2) }, { NR(KVM_SET_TSC_KHZ) }, { NR(KVM_GET_TSC_KHZ) },
	{ NR(KVM_SMI) }, { NR(KVM_CREATE_DEVICE) }, { NR(KVM_SET_PMU_EVENT_FILTER) },
	{ NR(KVM_GET_EMULATED_CPUID) }, { NR(KVM_TPR_ACCESS_REPORTING) },
	{ NR(KVM_GET_NESTED_STATE) }, { NR(KVM_SET_NESTED_STATE) }, { NR(KVM_SET_CPUID) },
	{ NR(KVM_GET_SUPPORTED_HV_CPUID) }, { NR(KVM_TRANSLATE) }, { NR(KVM_SET_MEMORY_ALIAS) },
	{ NR(KVM_GET_DIRTY_LOG) }, { NR(KVM_RESET_DIRTY_RINGS) }, { NR(KVM_GET_MSR_FEATURE_INDEX_LIST) },
	{ NR(KVM_SET_USER_MEMORY_REGION) }, { NR(KVM_RUN) }, { NR(KVM_CREATE_VM) },
	{ NR(KVM_CREATE_VCPU) }, { NR(KVM_SET_REGS) },
};
#define NSTOCKONLY (sizeof(stock_only) / sizeof(stock_only[0]))

static unsigned long unk_nr;
static const char *unk_name;

static void gen_unknown(struct thr *t, struct call *c)
{
	unsigned long nr;

	switch (rn(&t->r, seq_mode ? 3 : 4)) {
	case 0:		/* unassigned KVMIO numbers */
		nr = _IOC(rn(&t->r, 4), KVMIO, 0xd8 + rn(&t->r, 0x28), rn(&t->r, 0x100));
		unk_name = "KVMIO-unassigned";
		break;
	case 1:		/* other ioctl types */
		nr = _IOC(rn(&t->r, 4), 0x41 + rn(&t->r, 0x30), rn(&t->r, 0x100), rn(&t->r, 0x40));
		unk_name = "foreign";
		break;
	case 2:		/* a known number with the wrong size or direction */
		nr = opdefs[rn(&t->r, NOPDEFS - 1)].nr;
		nr = _IOC(_IOC_DIR(nr) ^ (1 + rn(&t->r, 3)), KVMIO, _IOC_NR(nr), _IOC_SIZE(nr));
		unk_name = "KVMIO-wrongdir";
		break;
	default:	/* stock-only: random fd kind decides if it is meaningful */
		nr = stock_only[rn(&t->r, NSTOCKONLY)].nr;
		unk_name = "stock-only";
		break;
	}
	unk_nr = nr;
	dcat(t, " nr=%#lx", nr);
	gen_sized(t, c, nr);
	if (!seq_mode && !one_in(&t->r, 3))
		memset(c->buf, 0, c->blen);	/* stock's structs may hold pointers: zeros */
}

/* ---------------------------------------------------------------- slots */

static int slot_take(int k, int s)
{
	return __atomic_exchange_n(&slots[k][s].fd, -1, __ATOMIC_SEQ_CST);
}

static void slot_close(int k, int s)
{
	struct kvm_run *run = slots[k][s].run;
	int fd;

	slots[k][s].run = NULL;
	if (run)
		munmap(run, vcpu_mmap_size);
	fd = slot_take(k, s);
	if (fd >= 0)
		close(fd);
}

static void slot_put(int k, int s, int fd, int vm)
{
	int old;

	if (seq_mode && slots[k][s].run) {
		munmap(slots[k][s].run, vcpu_mmap_size);
		slots[k][s].run = NULL;
	}
	old = __atomic_exchange_n(&slots[k][s].fd, fd, __ATOMIC_SEQ_CST);
	if (old >= 0)
		close(old);
	slots[k][s].vm = vm;
	if (k == K_VM)
		slots[k][s].nvcpus = 0;
	if (k == K_VCPU && seq_mode) {
		void *p = mmap(NULL, vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		slots[k][s].run = p == MAP_FAILED ? NULL : p;
	}
}

/* ---------------------------------------------------------------- reporting */

static const char *opname(int op)
{
	return op < (int)NOPDEFS ? opdefs[op].name : op == (int)NOPDEFS ? "close" :
	       op == (int)NOPDEFS + 1 ? "mmap" : op == (int)NOPDEFS + 2 ? "remap-guest" :
	       op == (int)NOPDEFS + 3 ? "fork" : op == (int)NOPDEFS + 4 ? "read-stats" :
	       op == (int)NOPDEFS + 5 ? "eventfd" : op == (int)NOPDEFS + 6 ? "reopen-kvm" :
	       "meta";
}

static void dump_rings(const char *why)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "ioctl-fuzz: %s: seed=%" PRIu64 " (rerun with --seed %"
		     PRIu64 " --threads %d)\n", why, seed, seed, nthreads);
	if (write(2, line, n) < 0)
		return;
	for (int i = 0; i < nthreads && thrs; i++) {
		struct thr *t = &thrs[i];

		n = snprintf(line, sizeof(line), "thread %d: %lu calls, last %d:\n", i, t->ncalls,
			     RING);
		if (write(2, line, n) < 0)
			return;
		for (unsigned j = 0; j < RING; j++) {
			struct rec *r = &t->ring[(t->ncalls + j) % RING];

			if (!r->seq)
				continue;
			n = snprintf(line, sizeof(line),
				     "  #%lu %s fd=%d nr=%#lx arg=%#lx -> %s%ld errno=%d\n", r->seq,
				     opname(r->op), r->fd, r->nr, r->arg,
				     r->done ? "" : "(in progress) ", r->ret, r->err);
			if (write(2, line, n) < 0)
				return;
		}
	}
}

static void fatal_handler(int sig)
{
	char why[32];

	snprintf(why, sizeof(why), "fatal signal %d", sig);
	dump_rings(why);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void kick_handler(int sig) { (void)sig; }

/* ---------------------------------------------------------------- one call */

static long do_ioctl(struct thr *t, int op, int fd, unsigned long nr, unsigned long arg)
{
	struct rec *r = &t->ring[t->ncalls % RING];
	long ret;
	int err;

	r->seq = t->ncalls + 1;
	r->op = op;
	r->fd = fd;
	r->nr = nr;
	r->arg = arg;
	r->done = false;
	__atomic_store_n(&t->progress, t->progress + 1, __ATOMIC_RELAXED);
	errno = 0;
	ret = ioctl(fd, nr, arg);
	err = ret < 0 ? errno : 0;
	r->ret = ret;
	r->err = err;
	r->done = true;
	t->ncalls++;
	__atomic_store_n(&t->progress, t->progress + 1, __ATOMIC_RELAXED);
	if (op < MAXOPS)
		pairs[op][err < MAXERR ? err : MAXERR - 1] = 1;
	errno = err;
	return ret;
}

static void print_result(struct thr *t, const char *target, const char *name, long ret, int err)
{
	printf("%lu %s %s%s -> ", t->steps, target, name, t->desc);
	if (ret < 0)
		printf("-1 %s", strerrorname_np(err) ?: "?");
	else
		printf("%ld", ret);
}

/* --verbose: the bytes behind a hash, 8-byte words, zero runs folded */
static void hexdump(const void *p, size_t n)
{
	const uint8_t *b = p;

	printf(" [");
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t v;

		memcpy(&v, b + i, 8);
		if (v)
			printf(" %zx:%" PRIx64, i, v);
	}
	printf(" ]");
}

static void seq_readback(struct thr *t, int fd, const struct opdef *d, struct call *c,
			 long ret, int k, int s)
{
	static char buf[8192];
	int r;

	if (ret < 0)
		goto out;
	if (d->nr == KVM_CREATE_VM || d->nr == KVM_CREATE_VCPU || d->nr == KVM_GET_STATS_FD)
		goto out;
	/* the output of a GET, or the state after a SET */
	if (c->buf && c->blen && (_IOC_DIR(d->nr) & _IOC_READ) && !d->get_nr) {
		size_t n = c->blen;

		if (d->nr == KVM_GET_LAPIC)
			memset((char *)c->buf + 0x390, 0, 16);	/* timer current count */
		if (d->nr == KVM_GET_PIT || d->nr == KVM_GET_PIT2)
			n = 0;					/* load times */
		seq_normalize(d->nr, c->buf, ret);
		if (n)
			printf(" out#%08x", (uint32_t)fnv(c->buf, n));
		if (n && verbose)
			hexdump(c->buf, n);
	}
	if (d->get_nr) {
		memset(buf, 0, sizeof(buf));
		r = ioctl(fd, d->get_nr, buf);
		seq_normalize(d->get_nr, buf, r);
		if (d->get_nr == KVM_GET_LAPIC)
			memset(buf + 0x390, 0, 16);
		if (r < 0)
			printf(" get=%s", strerrorname_np(errno) ?: "?");
		else
			printf(" get#%08x", (uint32_t)fnv(buf, d->get_len));
		if (r >= 0 && verbose)
			hexdump(buf, d->get_len);
	}
	if (d->nr == KVM_RUN && k == K_VCPU && slots[k][s].run) {
		struct kvm_run *run = slots[k][s].run;

		printf(" exit=%u", run->exit_reason);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			printf(" io=%u,%#x,%u,%u", run->io.direction, run->io.port, run->io.size,
			       run->io.count);
			break;
		case KVM_EXIT_MMIO:
			printf(" mmio=%#llx,%u,%u", run->mmio.phys_addr, run->mmio.len,
			       run->mmio.is_write);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			printf(" suberror=%u", run->internal.suberror);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			printf(" hw=%#llx", run->fail_entry.hardware_entry_failure_reason);
			break;
		}
	}
out:
	if (d->nr == KVM_RUN && ret < 0 && k == K_VCPU && slots[k][s].run)
		printf(" exit=%u", slots[k][s].run->exit_reason);
	printf("\n");
}

static void op_ioctl(struct thr *t, int op)
{
	const struct opdef *d = &opdefs[op];
	struct call c = { 0 };
	enum kind k = d->kind;
	int s, fd;
	unsigned long nr = d->nr;
	const char *name = d->name;
	char target[16];
	long ret;
	int err, place;

	if (d->gen == gen_unknown)
		k = rn(&t->r, 3);	/* sys, vm, vcpu */
	s = rn(&t->r, kind_slots[k]);
	fd = __atomic_load_n(&slots[k][s].fd, __ATOMIC_RELAXED);
	snprintf(target, sizeof(target), "%s%d", kind_name[k], s);
	t->dlen = 0;
	t->desc[0] = 0;
	cur_fd = seq_mode ? fd : -1;	/* GET-before-SET only where it is deterministic */
	if (!seq_mode && fd >= 0 && one_in(&t->r, 2))
		cur_fd = fd;
	d->gen(t, &c);
	if (verbose && c.buf && c.blen && (_IOC_DIR(d->nr) & _IOC_WRITE))
		hexdump(c.buf, c.blen), printf("\n");
	if (d->gen == gen_unknown) {
		nr = unk_nr;
		name = unk_name;
	}
	if (k == K_VM && nr == KVM_CREATE_VCPU && slots[k][s].nvcpus >= 16 && !seq_mode) {
		slot_close(K_VM, s);	/* bound the vCPUs a VM collects */
		return;
	}
	if (fd < 0 && seq_mode) {
		printf("%lu %s %s%s -> (empty)\n", t->steps, target, name, t->desc);
		return;
	}
	place = rn(&t->r, MAXSLOTS);	/* drawn whatever the result: sequences stay in step */
	if (seq_mode && nr == KVM_RUN && fd >= 0)
		seq_before_run(fd);
	if (seq_mode && nr == KVM_RUN) {
		struct itimerval it = { .it_value = { 0, 50000 } };

		setitimer(ITIMER_REAL, &it, NULL);
	}
	ret = do_ioctl(t, op, fd, nr, c.arg);
	err = errno;
	if (seq_mode && nr == KVM_RUN) {
		struct itimerval it = { 0 };

		setitimer(ITIMER_REAL, &it, NULL);
	}
	if (ret >= 0) {
		if (nr == KVM_CREATE_VM && k == K_SYS) {
			int vs = place % kind_slots[K_VM];

			pthread_mutex_lock(&slot_lock);
			slot_put(K_VM, vs, ret, -1);
			pthread_mutex_unlock(&slot_lock);
			if (seq_mode)
				dcat(t, " ->vm%d", vs);
		} else if (nr == KVM_CREATE_VCPU && k == K_VM) {
			int vs = place % kind_slots[K_VCPU];

			slots[k][s].nvcpus++;
			slot_put(K_VCPU, vs, ret, s);
			if (seq_mode)
				dcat(t, " ->vcpu%d", vs);
		} else if (nr == KVM_GET_STATS_FD) {
			int ss = place % kind_slots[K_STATS];

			slot_put(K_STATS, ss, ret, s);
			if (seq_mode)
				dcat(t, " ->stats%d", ss);
		} else if (k == K_SYS && d->gen == gen_unknown && ret > 2 && !seq_mode) {
			close(ret);	/* a stock-only ioctl that made an fd */
		}
	}
	if (seq_mode) {
		if (ret >= 0 && (nr == KVM_CREATE_VM || nr == KVM_CREATE_VCPU ||
				 nr == KVM_GET_STATS_FD))
			ret = 0;	/* fd numbers are not compared */
		print_result(t, target, name, ret, err);
		seq_readback(t, fd, d, &c, ret, k, s);
	}
}

/* ---------------------------------------------------------------- meta ops */

static void fill_guest(uint8_t *p, size_t n)
{
	memset(p, 0xf4, n);	/* hlt everywhere: deterministic exits in sequence mode */
}

static void map_pool(int i, bool fill)
{
	uint8_t *p = window + (size_t)i * POOL_SIZE;

	if (mmap(p, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) == MAP_FAILED) {
		perror("mmap pool");
		exit(2);
	}
	if (fill)
		fill_guest(p, POOL_SIZE);
}

static void seq_meta(struct thr *t, const char *what, long ret)
{
	if (seq_mode)
		printf("%lu %s -> %ld\n", t->steps, what, ret);
}

static void op_meta(struct thr *t)
{
	int k, s, fd, i;
	char what[64];
	long ret = 0;

	switch (rn(&t->r, 10)) {
	case 0:	/* close something */
		k = 1 + rn(&t->r, NKIND - 1);
		s = rn(&t->r, kind_slots[k]);
		snprintf(what, sizeof(what), "close %s%d", kind_name[k], s);
		pthread_mutex_lock(&slot_lock);
		slot_close(k, s);
		pthread_mutex_unlock(&slot_lock);
		break;
	case 1: /* mmap an fd at a random page offset, then unmap */
		k = rn(&t->r, 3);
		s = rn(&t->r, kind_slots[k]);
		i = rn(&t->r, 5);
		snprintf(what, sizeof(what), "mmap %s%d off=%d", kind_name[k], s, i);
		fd = __atomic_load_n(&slots[k][s].fd, __ATOMIC_RELAXED);
		{
			void *p = mmap(NULL, 4096 * (1 + rn(&t->r, 3)), PROT_READ | PROT_WRITE,
				       MAP_SHARED, fd, (off_t)i * 4096);

			ret = p == MAP_FAILED ? -errno : 0;
			if (p != MAP_FAILED)
				munmap(p, 4096);
		}
		break;
	case 2: /* munmap or zap guest memory under running vCPUs */
		i = rn(&t->r, NPOOL);
		switch (rn(&t->r, 3)) {
		case 0:
			snprintf(what, sizeof(what), "remap pool%d", i);
			munmap(window + (size_t)i * POOL_SIZE, POOL_SIZE);
			map_pool(i, seq_mode);
			break;
		case 1:
			snprintf(what, sizeof(what), "dontneed pool%d", i);
			madvise(window + (size_t)i * POOL_SIZE, POOL_SIZE, MADV_DONTNEED);
			if (seq_mode)
				fill_guest(window + (size_t)i * POOL_SIZE, POOL_SIZE);
			break;
		default:
			snprintf(what, sizeof(what), "mprotect pool%d", i);
			mprotect(window + (size_t)i * POOL_SIZE, POOL_SIZE, PROT_READ);
			mprotect(window + (size_t)i * POOL_SIZE, POOL_SIZE, PROT_READ | PROT_WRITE);
			break;
		}
		break;
	case 3: { /* fork: the child's ioctls come from another mm */
		pid_t pid;
		int st = 0;

		snprintf(what, sizeof(what), "fork");
		if (!seq_mode && !one_in(&t->r, 4))
			return;
		pid = fork();
		if (pid == 0) {
			struct rng cr = t->r;

			for (int j = 0; j < 8; j++) {
				int ck = rn(&cr, 3);
				int cfd = slots[ck][rn(&cr, kind_slots[ck])].fd;
				const struct opdef *d = &opdefs[rn(&cr, NOPDEFS - 1)];

				if (_IOC_DIR(d->nr) == _IOC_NONE)
					ioctl(cfd, d->nr, 0);
				else
					ioctl(cfd, d->nr, 0);	/* NULL: EIO or EFAULT */
			}
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, &st, 0);
		ret = pid < 0 ? -1 : st;
		break;
	}
	case 4: { /* read the stats fd */
		char buf[512];

		s = rn(&t->r, kind_slots[K_STATS]);
		fd = __atomic_load_n(&slots[K_STATS][s].fd, __ATOMIC_RELAXED);
		i = one_in(&t->r, 2) ? 0 : (int)rval(&t->r);
		snprintf(what, sizeof(what), "pread stats%d off=%d", s, i);
		ret = pread(fd, buf, sizeof(buf), i);
		if (ret < 0)
			ret = -errno;
		if (seq_mode && ret > 0)
			ret = 1;	/* header sizes differ with the set of stats */
		break;
	}
	case 5: /* eventfds */
		s = rn(&t->r, kind_slots[K_EFD]);
		if (one_in(&t->r, 2)) {
			uint64_t one = 1;

			snprintf(what, sizeof(what), "signal efd%d", s);
			fd = __atomic_load_n(&slots[K_EFD][s].fd, __ATOMIC_RELAXED);
			ret = write(fd, &one, 8) < 0 ? -errno : 0;
		} else {
			snprintf(what, sizeof(what), "new efd%d", s);
			pthread_mutex_lock(&slot_lock);
			slot_put(K_EFD, s, eventfd(0, EFD_NONBLOCK), -1);
			pthread_mutex_unlock(&slot_lock);
		}
		break;
	case 6: /* a second /dev/kvm fd */
		snprintf(what, sizeof(what), "reopen kvm1");
		pthread_mutex_lock(&slot_lock);
		slot_put(K_SYS, 1, open(dev_path, O_RDWR | O_CLOEXEC), -1);
		pthread_mutex_unlock(&slot_lock);
		break;
	case 7: /* signal another thread (fuzz mode: the kicker does it all the time) */
		i = rn(&t->r, nthreads);
		snprintf(what, sizeof(what), "kick");
		if (!seq_mode)
			pthread_kill(thrs[i].pt, SIGUSR1);
		break;
	default: /* a fresh VM with a vCPU and guest memory: gets KVM_RUN somewhere */
		snprintf(what, sizeof(what), "setup");
		{
			int sys = __atomic_load_n(&slots[K_SYS][0].fd, __ATOMIC_RELAXED);
			int vs = rn(&t->r, kind_slots[K_VM]);
			int cs = rn(&t->r, kind_slots[K_VCPU]);
			int vm, vcpu;
			struct kvm_userspace_memory_region m = {
				.slot = 0, .guest_phys_addr = 0, .memory_size = POOL_SIZE,
				.userspace_addr = (uint64_t)window,
			};
			struct kvm_userspace_memory_region hi = {
				.slot = 1, .guest_phys_addr = 0x100000000ULL - POOL_SIZE,
				.memory_size = POOL_SIZE,
				.userspace_addr = (uint64_t)window + POOL_SIZE,
			};

			vm = ioctl(sys, KVM_CREATE_VM, 0);
			if (vm < 0) {
				ret = -errno;
				break;
			}
			ioctl(vm, KVM_SET_USER_MEMORY_REGION, &m);
			ioctl(vm, KVM_SET_USER_MEMORY_REGION, &hi);
			if (one_in(&t->r, 2))
				ioctl(vm, KVM_CREATE_IRQCHIP, 0);
			vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
			pthread_mutex_lock(&slot_lock);
			slot_put(K_VM, vs, vm, -1);
			if (vcpu >= 0)
				slot_put(K_VCPU, cs, vcpu, vs);
			pthread_mutex_unlock(&slot_lock);
			snprintf(what, sizeof(what), "setup vm%d vcpu%d", vs, cs);
			ret = vcpu < 0 ? -errno : 0;
			t->ncalls += 4;
		}
		break;
	}
	t->ncalls++;
	__atomic_store_n(&t->progress, t->progress + 1, __ATOMIC_RELAXED);
	seq_meta(t, what, ret);
}

/* ---------------------------------------------------------------- threads */

static unsigned total_weight;

static void one_step(struct thr *t)
{
	unsigned w;

	t->steps++;
	if (one_in(&t->r, 12)) {
		op_meta(t);
		return;
	}
	w = rn(&t->r, total_weight);
	for (unsigned i = 0; i < NOPDEFS; i++) {
		if (w < op_weight[i]) {
			op_ioctl(t, i);
			return;
		}
		w -= op_weight[i];
	}
}

static unsigned long calls_now(void)
{
	unsigned long n = 0;

	for (int i = 0; i < nthreads; i++)
		n += __atomic_load_n(&thrs[i].ncalls, __ATOMIC_RELAXED);
	return n;
}

static bool done(void)
{
	if (stop)
		return true;
	if (max_secs >= 0 && time(NULL) - t_start >= max_secs)
		return true;
	if (max_calls >= 0 && seq_mode && (long)thrs[0].steps >= max_calls)
		return true;
	if (max_calls >= 0 && !seq_mode && (long)calls_now() >= max_calls)
		return true;
	return false;
}

static void *worker(void *arg)
{
	struct thr *t = arg;

	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))	/* every pthread_t is known */
		sched_yield();
	while (!(seq_mode ? done() : stop))
		one_step(t);
	__atomic_add_fetch(&nfinished, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* kicks every worker out of KVM_RUN and other waits; watches for hangs */
static void *kicker(void *arg)
{
	unsigned long last[64] = { 0 };
	time_t since[64];
	struct rng r = { seed ^ 0x5a5a };

	for (int i = 0; i < nthreads; i++)
		since[i] = time(NULL);
	/* until every worker left its loop: a worker hung at the end is still caught */
	while (__atomic_load_n(&nfinished, __ATOMIC_SEQ_CST) < nthreads) {
		struct timespec ts = { 0, 2000000 + rn(&r, 20000000) };

		nanosleep(&ts, NULL);
		for (int i = 0; i < nthreads; i++) {
			unsigned long p = __atomic_load_n(&thrs[i].progress, __ATOMIC_RELAXED);

			pthread_kill(thrs[i].pt, SIGUSR1);
			if (p != last[i]) {
				last[i] = p;
				since[i] = time(NULL);
			} else if (time(NULL) - since[i] > hang_secs) {
				dump_rings("hang (no progress)");
				_exit(3);
			}
		}
	}
	return NULL;
}

static void usage(const char *me)
{
	printf("usage: %s [--seed N] [--time SECS] [--calls N] [--threads N] [--hang-secs N]\n"
	       "          [--skip IOCTL,...] [--no-hwbp] [--emu-unsafe] [--sequence] [--verbose]\n"
	       "Random ioctls on /dev/kvm, VM, vCPU and stats fds (every ioctl the module\n"
	       "implements, stock-only and unknown ones), racing KVM_RUN, memslot changes, close,\n"
	       "munmap of guest memory, fork and signals.\n"
	       "  --seed N       random seed (printed at start; default: from the time)\n"
	       "  --time SECS    stop after SECS seconds (default 60 unless --calls is given)\n"
	       "  --calls N      stop after N calls in all\n"
	       "  --threads N    worker threads (default 4; 1 in --sequence)\n"
	       "  --hang-secs N  watchdog: no progress for N s is a hang (default 60)\n"
	       "  --skip A,B     leave these ioctls (names as printed) out, for triage\n"
	       "  --no-hwbp      never arm hardware breakpoints (DR7) from the debug ioctls\n"
	       "  --emu-unsafe   let KVM_CAP_X86_DISABLE_EXITS drop the HLT and MWAIT exits\n"
	       "                 (froze the emulated host's CPU: see gen_enable_cap())\n"
	       "  --sequence     deterministic, single-threaded: one line per call with the\n"
	       "                 arguments, the result and a hash of the state read back\n"
	       "Ends with: ioctl-fuzz: seed=S calls=N pairs=P threads=T secs=X\n"
	       "Exit: 0 done, 2 setup error, 3 hang; fatal signals print the last calls.\n", me);
}

int main(int argc, char **argv)
{
	bool seed_set = false;
	struct sigaction sa = { 0 };
	int np = 0;
	time_t secs;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(argv[0]);
			return 0;
		} else if (!strcmp(a, "--sequence")) {
			seq_mode = true;
		} else if (!strcmp(a, "--no-hwbp")) {
			no_hwbp = true;
		} else if (!strcmp(a, "--emu-unsafe")) {
			emu_unsafe = true;
		} else if (!strcmp(a, "--verbose")) {
			verbose = true;
		} else if (v && !strcmp(a, "--seed")) {
			seed = strtoull(v, NULL, 0);
			seed_set = true;
			i++;
		} else if (v && !strcmp(a, "--time")) {
			max_secs = strtol(v, NULL, 0);
			i++;
		} else if (v && !strcmp(a, "--calls")) {
			max_calls = strtol(v, NULL, 0);
			i++;
		} else if (v && !strcmp(a, "--threads")) {
			nthreads = atoi(v);
			i++;
		} else if (v && !strcmp(a, "--skip")) {	/* triage: leave ioctls out */
			skip_list = v;
			i++;
		} else if (v && !strcmp(a, "--dev")) {	/* testing the fuzzer: /dev/null */
			dev_path = v;
			i++;
		} else if (v && !strcmp(a, "--hang-secs")) {
			hang_secs = atoi(v);
			i++;
		} else {
			fprintf(stderr, "%s: bad argument %s (--help)\n", argv[0], a);
			return 2;
		}
	}
	if (!seed_set) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003 ^ ts.tv_nsec;
	}
	if (seq_mode)
		nthreads = 1;
	if (nthreads < 1 || nthreads > 64) {
		fprintf(stderr, "--threads: 1 to 64\n");
		return 2;
	}
	if (max_secs < 0 && max_calls < 0)
		max_secs = 60;
	setvbuf(stdout, NULL, seq_mode ? _IOFBF : _IOLBF, 0);
	printf("ioctl-fuzz: seed=%" PRIu64 " threads=%d%s\n", seed, nthreads,
	       seq_mode ? " sequence" : "");
	fflush(stdout);

	for (unsigned i = 0; i < NOPDEFS; i++) {
		const char *p = strstr(skip_list, opdefs[i].name);
		size_t n = strlen(opdefs[i].name);

		/* a whole name in the comma-separated list */
		op_weight[i] = opdefs[i].weight;
		if (p && (p == skip_list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			op_weight[i] = 0;
		total_weight += op_weight[i];
	}

	sa.sa_handler = kick_handler;	/* no SA_RESTART: ends KVM_RUN and waits with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = fatal_handler;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* the guest-memory window: reserved, PROT_NONE past the pool */
	window = mmap(NULL, WINDOW_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	rowin = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bitmap_area = mmap(NULL, BITMAP_SIZE + 4096, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (window == MAP_FAILED || rowin == MAP_FAILED || bitmap_area == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	guardpg = rowin + 4096;
	mprotect(guardpg, 4096, PROT_NONE);
	mprotect(bitmap_area + BITMAP_SIZE, 4096, PROT_NONE);
	for (int i = 0; i < NPOOL; i++)
		map_pool(i, true);

	for (int k = 0; k < NKIND; k++)
		for (int s = 0; s < MAXSLOTS; s++)
			slots[k][s].fd = -1;
	slots[K_SYS][0].fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (slots[K_SYS][0].fd < 0) {
		perror(dev_path);
		return 2;
	}
	vcpu_mmap_size = ioctl(slots[K_SYS][0].fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu_mmap_size <= 0)
		vcpu_mmap_size = 3 * 4096;
	for (int s = 0; s < kind_slots[K_EFD]; s++)
		slots[K_EFD][s].fd = eventfd(0, EFD_NONBLOCK);

	thrs = calloc(nthreads, sizeof(*thrs));
	for (int i = 0; i < nthreads; i++) {
		char *a = mmap(NULL, ARENA_SIZE + 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (a == MAP_FAILED) {
			perror("mmap arena");
			return 2;
		}
		mprotect(a + ARENA_SIZE, 4096, PROT_NONE);
		thrs[i].id = i;
		thrs[i].arena = a;
		thrs[i].r.s = seed * 0x100000001b3ULL + i;
	}
	t_start = time(NULL);

	if (seq_mode) {
		thrs[0].pt = pthread_self();
		go = 1;
		worker(&thrs[0]);
	} else {
		pthread_t kt;

		for (int i = 0; i < nthreads; i++)
			pthread_create(&thrs[i].pt, NULL, worker, &thrs[i]);
		__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
		pthread_create(&kt, NULL, kicker, NULL);
		/* the kicker signals workers: it stops before any worker may exit */
		while (!done()) {
			struct timespec ts = { 0, 50000000 };

			nanosleep(&ts, NULL);
		}
		stop = 1;
		pthread_join(kt, NULL);		/* returns once every worker left its loop */
		for (int i = 0; i < nthreads; i++)
			pthread_join(thrs[i].pt, NULL);
	}
	secs = time(NULL) - t_start;

	for (int k = NKIND - 1; k >= 0; k--)
		for (int s = 0; s < MAXSLOTS; s++)
			slot_close(k, s);
	total_calls = calls_now();
	for (int i = 0; i < MAXOPS; i++)
		for (int e = 0; e < MAXERR; e++)
			np += pairs[i][e];
	if (!seq_mode || verbose) {
		printf("ioctl-fuzz: (ioctl, errno) pairs seen:\n");
		for (unsigned i = 0; i < NOPDEFS; i++) {
			int first = 1;

			for (int e = 0; e < MAXERR; e++) {
				if (!pairs[i][e])
					continue;
				if (first)
					printf("  %s:", opdefs[i].name);
				printf(" %s", e ? strerrorname_np(e) ?: "?" : "ok");
				first = 0;
			}
			if (!first)
				printf("\n");
		}
	}
	printf("ioctl-fuzz: seed=%" PRIu64 " calls=%lu pairs=%d threads=%d secs=%ld\n", seed,
	       total_calls, np, nthreads, (long)secs);
	return 0;
}
