// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM micro-benchmarks, run in the emulated host by kvm-bench.sh (make bench) with the stock
 * and with our modules. Times come from clock_gettime(CLOCK_MONOTONIC) in the host; under
 * QEMU -icount that clock counts instructions, so the figures repeat from run to run.
 *
 *   kvm_bench [-r REPS] [NAME...]    run the named benchmarks (default: all)
 *   kvm_bench -l                     list the names
 *
 * Each benchmark runs in a child process of its own (a failure or a hang there does not
 * stop the others), REPS times (default 5), each time over a batch of operations, and
 * reports the median of the batches' time per operation. Output, one line per benchmark:
 *   bench NAME ok NS_PER_OP
 *   bench NAME fail REASON
 * Lines starting with "#" are comments (the failing child's messages among them).
 * Exit status 0 when every benchmark ran, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apic.h"
#include "bench.h"
#include "x86_guest.h"

#define BENCH_PORT		0xe3	/* not UCALL_PORT: plain exits, no ucall */
#define PIO_EXITS		2000
#define MMIO_EXITS		2000
#define MMIO_GPA		(3072 * MiB)	/* no slot: device memory */
#define CPUID_LOOPS		2000
#define TOUCH_BYTES		(256 * MiB)
#define TOUCH_GPA		(1024 * MiB)	/* slot 1, 2 MiB aligned */
#define TOUCH_SLOT		1
#define LOG_BYTES		(1024 * MiB)
#define LOG_GPA			(1024 * MiB)	/* slot 1, 1 GiB aligned: one guest PD maps it */
#define LOG_SLOT		1
#define LOG_STRIDE		16		/* the guest dirties every 16th page */
#define LOG_ROUNDS		4		/* dirty + collect rounds per batch */
#define VM_CYCLES		20
#define VM_VCPUS		4
#define DOORBELLS		1000
#define DOORBELL_GPA		MMIO_GPA	/* an MMIO doorbell: no slot, a KVM_IOEVENTFD */
#define DOORBELL_VECTOR		0x50
#define DOORBELL_GSI		40		/* above the IOAPIC's pins: an MSI route */
#define IPI_ROUNDTRIPS		1000
#define PING_VECTOR		0x51		/* vCPU 0 to vCPU 1 */
#define PONG_VECTOR		0x52		/* and back */
#define DEFAULT_REPS		5
#define MAX_REPS		64
#define CHILD_TIMEOUT_S		600	/* host seconds (icount: guest instructions) */
#define TRACEFS			"/sys/kernel/tracing"
#define QEMU_BOOT		"/usr/bin/qemu-boot-guest"
#define QEMU_BOOT_LIMIT_S	150	/* per boot; about 7 s under -icount */
/* One boot per measurement: 35 s of wall time each, and two runs agree to 1 in 10^5 anyway. */
#define QEMU_BOOT_MAX_REPS	1


/* --- guests --- */

static void guest_pio_loop(void)
{
	for (;;)
		asm volatile("outb %%al, %0" : : "i"(BENCH_PORT), "a"(0));
}

/* A 32-bit store to device memory, or a load from it, forever. */
static void guest_mmio_loop(uint64_t addr, uint64_t read)
{
	for (;;) {
		if (read)
			asm volatile("movl (%0), %%eax" : : "r"(addr) : "eax", "memory");
		else
			asm volatile("movl %%eax, (%0)" : : "r"(addr), "a"(0x5a5a5a5a) : "memory");
	}
}

/* CPUID leaf 0 as many times as the host's reply to each SYNC says. */
static void guest_cpuid_loop(void)
{
	uint32_t a, b, c, d;
	uint64_t n, i;

	for (;;) {
		n = GUEST_SYNC();
		for (i = 0; i < n; i++)
			asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	}
}

/* One write to every 4 KiB page of [base, base + size), between two SYNCs. */
static void guest_touch(uint64_t base, uint64_t size)
{
	uint64_t p;

	GUEST_SYNC();
	for (p = base; p < base + size; p += PAGE_SIZE)
		*(volatile uint8_t *)p = 1;
	GUEST_SYNC();
	GUEST_DONE();
}

/* One write to every stride-th 4 KiB page of [base, base + size) per SYNC, forever. */
static void guest_dirty(uint64_t base, uint64_t size, uint64_t stride)
{
	uint64_t p, round = 0;

	for (;;) {
		round++;
		for (p = base; p < base + size; p += stride * PAGE_SIZE)
			*(volatile uint64_t *)p = round;
		GUEST_SYNC(round);
	}
}

/*
 * One doorbell at a time: a 32-bit store to the doorbell (a KVM_IOEVENTFD), then HLT with
 * interrupts on until the interrupt the host answers with (an irqfd's MSI) was counted by
 * apic.c's handler, which EOIs. As many as the host's reply to each SYNC says.
 */
static void guest_doorbell_loop(uint64_t doorbell)
{
	volatile uint64_t *count = &apic_irq_count[DOORBELL_VECTOR];
	uint64_t n, i, want;

	apic_guest_init();
	for (;;) {
		n = GUEST_SYNC(*count);
		for (i = 0; i < n; i++) {
			want = *count + 1;
			*(volatile uint32_t *)doorbell = 1;
			/* STI's shadow covers HLT: an interrupt pending already wakes it */
			while (*count < want)
				asm volatile("sti; hlt; cli" : : : "memory");
		}
	}
}

/* The IPI ping-pong: vCPU 1 answers each ping with a pong, until ipi_stop. */
static volatile uint64_t ipi_pings, ipi_pongs, ipi_ready, ipi_stop;

static void xapic_send_fixed(uint8_t dest, uint8_t vector)
{
	xapic_write(APIC_ICR2, (uint32_t)dest << 24);
	xapic_write(APIC_ICR, vector);	/* fixed, physical destination, no shorthand */
}

static void ping_handler(struct ex_regs *regs)	/* vCPU 1 */
{
	ipi_pings++;
	xapic_eoi();
	if (!ipi_stop)
		xapic_send_fixed(0, PONG_VECTOR);
}

static void pong_handler(struct ex_regs *regs)	/* vCPU 0 */
{
	ipi_pongs++;
	xapic_eoi();
}

static void guest_ipi_responder(void)
{
	xapic_write(APIC_SPIV, APIC_SPIV_ENABLE | 0xff);
	xapic_write(APIC_TPR, 0);
	ipi_ready = 1;
	while (!ipi_stop)
		asm volatile("sti; hlt; cli" : : : "memory");
	GUEST_DONE();
}

/* vCPU 0: as many pings as the host's reply to each SYNC says, each waited for in HLT. */
static void guest_ipi_initiator(void)
{
	uint64_t n, i, want;

	apic_guest_init();
	while (!ipi_ready)	/* a fixed IPI to a software-disabled APIC is dropped */
		asm volatile("pause");
	for (;;) {
		n = GUEST_SYNC(ipi_pings, ipi_pongs);
		if (n == SYNC_DONE)
			break;
		for (i = 0; i < n; i++) {
			want = ipi_pongs + 1;
			xapic_send_fixed(1, PING_VECTOR);
			while (ipi_pongs < want)
				asm volatile("sti; hlt; cli" : : : "memory");
		}
	}
	ipi_stop = 1;
	xapic_send_fixed(1, PING_VECTOR);	/* wakes vCPU 1, which sees ipi_stop */
	GUEST_DONE();
}

/* --- benchmarks: each returns the time of one operation in ns for one batch --- */

/* OUT to a port without a device: KVM_EXIT_IO to userspace and KVM_RUN back in. */
static double bench_pio(void)
{
	static struct kvm_vm *vm;
	static struct kvm_vcpu *vcpu;
	long long t0;
	int i;

	if (!vm) {
		vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
		vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_pio_loop);
		vcpu_run(vcpu);		/* first entry: loads the vCPU, faults in the code */
	}
	t0 = now_ns();
	for (i = 0; i < PIO_EXITS; i++) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason != KVM_EXIT_IO || vcpu->run->io.port != BENCH_PORT)
			vcpu_assert_exit(vcpu, KVM_EXIT_IO);	/* fails with the details */
	}
	return (double)(now_ns() - t0) / PIO_EXITS;
}

/*
 * A guest access to a page without a slot: nested page fault, the instruction emulated,
 * KVM_EXIT_MMIO to userspace and KVM_RUN back in (a read completes on that KVM_RUN).
 */
static double bench_mmio(bool read)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_mmio_loop);
	long long t0;
	double ns;
	int i;

	guest_map_range(vm, MMIO_GPA, MMIO_GPA, PAGE_SIZE);
	vcpu_set_args(vcpu, MMIO_GPA, read);
	vcpu_run(vcpu);		/* first entry: loads the vCPU, faults in the code */
	t0 = now_ns();
	for (i = 0; i < MMIO_EXITS; i++) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason != KVM_EXIT_MMIO ||
		    vcpu->run->mmio.phys_addr != MMIO_GPA || vcpu->run->mmio.is_write == read)
			vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);	/* fails with the details */
	}
	ns = (double)(now_ns() - t0) / MMIO_EXITS;
	kvm_vm_free(vm);
	return ns;
}

static double bench_mmio_write(void)
{
	return bench_mmio(false);
}

static double bench_mmio_read(void)
{
	return bench_mmio(true);
}

/* Time of one KVM_RUN from the reply n to a SYNC to the next SYNC (n operations). */
long long sync_run(struct kvm_vcpu *vcpu, struct ucall *uc, uint64_t n)
{
	long long t0;

	ucall_reply(vcpu, uc, n);
	t0 = now_ns();
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, uc);
	return now_ns() - t0;
}

/* CPUID: intercepted and emulated in the kernel, no exit to userspace. */
static double bench_cpuid(void)
{
	static struct kvm_vm *vm;
	static struct kvm_vcpu *vcpu;
	static struct ucall uc;
	long long with, without;

	if (!vm) {
		vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
		vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_cpuid_loop);
		vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
		sync_run(vcpu, &uc, 10);	/* warm */
	}
	/* the SYNC round trip costs the same in both runs: the difference is the CPUIDs */
	with = sync_run(vcpu, &uc, CPUID_LOOPS);
	without = sync_run(vcpu, &uc, 0);
	TEST_ASSERT(with > without, "%d CPUIDs took %lld ns, none %lld ns", CPUID_LOOPS, with,
		    without);
	return (double)(with - without) / CPUID_LOOPS;
}

/* Guest page tables for [TOUCH_GPA, + TOUCH_BYTES): 2 MiB pages, identity mapped. */
static void map_touch_region(struct kvm_vm *vm)
{
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4), *pdpt, *pd, pd_gpa, off;

	TEST_ASSERT(pml4[0] & 1, "no PML4 entry for the low 512 GiB");
	pdpt = addr_gpa2hva(vm, pml4[0] & 0x000ffffffffff000ULL);
	TEST_ASSERT(!(pdpt[TOUCH_GPA >> 30] & 1), "the touch region's 1 GiB is mapped already");
	pd_gpa = vm_alloc_pages(vm, 1);
	pdpt[TOUCH_GPA >> 30] = pd_gpa | 3;		/* present, writable */
	pd = addr_gpa2hva(vm, pd_gpa);
	for (off = 0; off < TOUCH_BYTES; off += 2 * MiB)
		pd[(TOUCH_GPA + off) >> 21 & 511] = (TOUCH_GPA + off) | 0x83;	/* P, W, PS */
}

/*
 * First touch of 256 MiB by the guest: the nested page faults and, behind them, the host's
 * own page faults on fresh anonymous memory. The memory is a slot of its own, 2 MiB aligned
 * in the host and in the guest, so that only the host's page size decides: 4 KiB pages
 * (MADV_NOHUGEPAGE) or transparent huge pages (MADV_HUGEPAGE).
 */
static double bench_touch(int advice)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_touch);
	struct kvm_userspace_memory_region region;
	size_t map_size = TOUCH_BYTES + 2 * MiB;
	uint8_t *map, *mem;
	long long t0, t;

	map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(map != MAP_FAILED, "mmap %zu bytes", map_size);
	mem = (uint8_t *)(((uintptr_t)map + 2 * MiB - 1) & ~(uintptr_t)(2 * MiB - 1));
	TEST_ASSERT(!madvise(mem, TOUCH_BYTES, advice), "madvise(%d)", advice);
	region = (struct kvm_userspace_memory_region) {
		.slot = TOUCH_SLOT, .guest_phys_addr = TOUCH_GPA, .memory_size = TOUCH_BYTES,
		.userspace_addr = (uint64_t)mem,
	};
	vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);
	map_touch_region(vm);
	vcpu_set_args(vcpu, TOUCH_GPA, TOUCH_BYTES);

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	t0 = now_ns();
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
	t = now_ns() - t0;
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	TEST_ASSERT_EQ(1, mem[TOUCH_BYTES - PAGE_SIZE]);
	kvm_vm_free(vm);
	munmap(map, map_size);
	return (double)t;
}

static double bench_touch_4k(void)
{
	return bench_touch(MADV_NOHUGEPAGE);
}

static double bench_touch_thp(void)
{
	return bench_touch(MADV_HUGEPAGE);
}

/* Guest page tables for [gpa, gpa + 1 GiB) (1 GiB aligned): 2 MiB pages, identity mapped. */
static void map_1g(struct kvm_vm *vm, uint64_t gpa)
{
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4), *pdpt, *pd, pd_gpa, off;

	TEST_ASSERT(pml4[0] & 1, "no PML4 entry for the low 512 GiB");
	pdpt = addr_gpa2hva(vm, pml4[0] & 0x000ffffffffff000ULL);
	TEST_ASSERT(!(pdpt[gpa >> 30] & 1), "the 1 GiB at %#llx is mapped already",
		    (unsigned long long)gpa);
	pd_gpa = vm_alloc_pages(vm, 1);
	pdpt[gpa >> 30] = pd_gpa | 3;		/* present, writable */
	pd = addr_gpa2hva(vm, pd_gpa);
	for (off = 0; off < 1024 * MiB; off += 2 * MiB)
		pd[(gpa + off) >> 21 & 511] = (gpa + off) | 0x83;	/* P, W, PS */
}

/*
 * Collecting the dirty log of a 1 GiB slot after the guest wrote every 16th page of it
 * (16384 pages, 64 MiB resident: the emulated host has 2 GiB). manual: KVM_GET_DIRTY_LOG
 * with KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, then KVM_CLEAR_DIRTY_LOG of the whole slot;
 * else the classic KVM_GET_DIRTY_LOG, which collects and re-protects in one call. Only the
 * collection is timed; the guest dirties the same pages again before each one.
 */
static double bench_dirty_log(bool manual)
{
	static struct kvm_vm *vm;
	static struct kvm_vcpu *vcpu;
	static uint64_t *bitmap;
	struct kvm_dirty_log get = { .slot = LOG_SLOT };
	struct kvm_clear_dirty_log clear = {
		.slot = LOG_SLOT, .first_page = 0, .num_pages = LOG_BYTES / PAGE_SIZE,
	};
	long long t0, t = 0;
	uint64_t i, n;
	int round;

	if (!vm) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE },
		};
		uint8_t *mem = mmap_aligned(LOG_BYTES, 2 * MiB);

		TEST_ASSERT(!madvise(mem, LOG_BYTES, MADV_NOHUGEPAGE), "madvise");
		vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
		if (manual)
			vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
		vm_set_slot(vm, LOG_SLOT, KVM_MEM_LOG_DIRTY_PAGES, LOG_GPA, LOG_BYTES, mem);
		map_1g(vm, LOG_GPA);
		vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_dirty);
		vcpu_set_args(vcpu, LOG_GPA, LOG_BYTES, LOG_STRIDE);
		bitmap = calloc(LOG_BYTES / PAGE_SIZE / 8, 1);
		TEST_ASSERT(bitmap, "calloc");
	}
	get.dirty_bitmap = bitmap;
	clear.dirty_bitmap = bitmap;
	for (round = 0; round < LOG_ROUNDS; round++) {
		vcpu_run_expect_ucall(vcpu, UCALL_SYNC, NULL);
		t0 = now_ns();
		vm_ioctl(vm, KVM_GET_DIRTY_LOG, &get);
		if (manual)
			vm_ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clear);
		t += now_ns() - t0;
		for (i = 0, n = 0; i < LOG_BYTES / PAGE_SIZE / 64; i++)
			n += __builtin_popcountll(bitmap[i]);
		TEST_ASSERT_EQ(LOG_BYTES / PAGE_SIZE / LOG_STRIDE, n);
	}
	return (double)t / LOG_ROUNDS;
}

static double bench_dirty_log_get(void)
{
	return bench_dirty_log(false);
}

static double bench_dirty_log_get_clear(void)
{
	return bench_dirty_log(true);
}

/* KVM_CREATE_VM, 4 x KVM_CREATE_VCPU, close them all (vCPUs first). */
static double bench_vm_create(void)
{
	static int kvm = -1;
	int vm, vcpus[VM_VCPUS], i, j;
	long long t0;

	if (kvm < 0)
		kvm = kvm_open();
	t0 = now_ns();
	for (i = 0; i < VM_CYCLES; i++) {
		vm = vm_create(kvm);
		for (j = 0; j < VM_VCPUS; j++) {
			vcpus[j] = ioctl(vm, KVM_CREATE_VCPU, j);
			TEST_ASSERT(vcpus[j] >= 0, "KVM_CREATE_VCPU(%d) returned %d", j, vcpus[j]);
		}
		for (j = 0; j < VM_VCPUS; j++)
			close(vcpus[j]);
		close(vm);
	}
	return (double)(now_ns() - t0) / VM_CYCLES;
}

/*
 * A VM with the in-kernel irqchip (KVM_CREATE_IRQCHIP, before any vCPU), the APIC mapped in
 * the guest, apic.c's counting handler on the nr vectors listed.
 */
struct kvm_vm *irqchip_vm_new(const uint8_t *vectors, int nr)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	apic_vm_setup(vm, vectors, nr);
	return vm;
}

/* The host side of the doorbell: each signal of bell answered by a write to irq. */
struct doorbell_server {
	int bell, irq;
	volatile uint64_t rings;	/* doorbells seen */
	volatile int stop;
	pthread_t thread;
};

static void *doorbell_serve(void *arg)
{
	struct doorbell_server *srv = arg;
	uint64_t v, one = 1;

	for (;;) {
		if (read(srv->bell, &v, sizeof(v)) != sizeof(v)) {
			TEST_ASSERT(errno == EINTR, "read(ioeventfd): %s", strerror(errno));
			continue;
		}
		if (srv->stop)
			return NULL;
		__atomic_store_n(&srv->rings, srv->rings + v, __ATOMIC_RELEASE);
		TEST_ASSERT_EQ(sizeof(one), write(srv->irq, &one, sizeof(one)));
	}
}

/*
 * The paravirtual doorbell: the guest's store to an MMIO doorbell signals a KVM_IOEVENTFD in
 * the kernel, a host thread blocked on that eventfd wakes and writes an irqfd whose GSI is
 * routed to an MSI for the guest's vector; the guest, in HLT, takes the interrupt, EOIs and
 * rings again. No exit to userspace on the way: the batch is one KVM_RUN, between two SYNCs
 * (a run of none subtracted), and each interrupt must answer one doorbell.
 */
static double bench_doorbell(void)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} routes = {
		.hdr.nr = 1,
		.e[0] = { .gsi = DOORBELL_GSI, .type = KVM_IRQ_ROUTING_MSI,
			  .u.msi = { .address_lo = MSI_ADDR(0),
				     .data = MSI_DATA(DOORBELL_VECTOR) } },
	};
	static const uint8_t vector = DOORBELL_VECTOR;
	struct kvm_vm *vm = irqchip_vm_new(&vector, 1);
	struct doorbell_server srv = { .bell = eventfd(0, 0), .irq = eventfd(0, 0) };
	struct kvm_ioeventfd bell = { .addr = DOORBELL_GPA, .len = 4, .fd = srv.bell };
	struct kvm_irqfd irqfd = { .fd = srv.irq, .gsi = DOORBELL_GSI };
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	long long with, without;
	uint64_t one = 1;

	TEST_ASSERT(srv.bell >= 0 && srv.irq >= 0, "eventfd: %s", strerror(errno));
	vm_ioctl(vm, KVM_SET_GSI_ROUTING, &routes);
	vm_ioctl(vm, KVM_IOEVENTFD, &bell);
	vm_ioctl(vm, KVM_IRQFD, &irqfd);
	guest_map_range(vm, DOORBELL_GPA, DOORBELL_GPA, PAGE_SIZE);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_doorbell_loop);
	vcpu_set_args(vcpu, DOORBELL_GPA);
	TEST_ASSERT_EQ(0, pthread_create(&srv.thread, NULL, doorbell_serve, &srv));

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	sync_run(vcpu, &uc, WARM_OPS);
	with = sync_run(vcpu, &uc, DOORBELLS);
	without = sync_run(vcpu, &uc, 0);
	/* one interrupt per doorbell, one doorbell per store: nothing lost, nothing extra */
	TEST_ASSERT(uc.args[0] == WARM_OPS + DOORBELLS &&
		    __atomic_load_n(&srv.rings, __ATOMIC_ACQUIRE) == WARM_OPS + DOORBELLS,
		    "%d doorbells rung: the host saw %llu, the guest took %llu interrupts",
		    WARM_OPS + DOORBELLS, (unsigned long long)srv.rings,
		    (unsigned long long)uc.args[0]);
	TEST_ASSERT(with > without, "%d doorbells took %lld ns, none %lld ns", DOORBELLS,
		    with, without);

	srv.stop = 1;
	TEST_ASSERT_EQ(sizeof(one), write(srv.bell, &one, sizeof(one)));
	TEST_ASSERT_EQ(0, pthread_join(srv.thread, NULL));
	kvm_vm_free(vm);
	close(srv.bell);
	close(srv.irq);
	return (double)(with - without) / DOORBELLS;
}

/*
 * A vCPU's statistics (KVM_GET_STATS_FD, api.rst 4.135): every one-value counter, for a
 * diagnostic line in the console log (bench.log) with the change over a timed batch. The fd
 * is opened before the vCPU runs: Linux KVM takes the vCPU's mutex for the ioctl, which a
 * vCPU halted in KVM_RUN holds, but not for reading the fd.
 */
#define MAX_STATS	128

struct stat_snap {
	unsigned int n;
	char name[MAX_STATS][48];
	uint64_t val[MAX_STATS];
};

static void stats_take(int fd, struct stat_snap *s)
{
	struct kvm_stats_header h;
	unsigned int i;
	size_t dsize;
	char *desc;

	s->n = 0;
	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		goto out;
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	desc = calloc(h.num_desc, dsize);
	if (!desc || pread(fd, desc, h.num_desc * dsize, h.desc_offset) !=
		     (ssize_t)(h.num_desc * dsize))
		goto out_free;
	for (i = 0; i < h.num_desc && s->n < MAX_STATS; i++) {
		struct kvm_stats_desc *d = (void *)(desc + i * dsize);

		if (d->size != 1 || pread(fd, &s->val[s->n], 8, h.data_offset + d->offset) != 8)
			continue;
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", d->name);
		s->n++;
	}
out_free:
	free(desc);
out:
	return;
}

/* "# stats NAME vcpuN, per operation: stat=delta/ops ..." for the counters that moved */
static void stats_print(const char *name, int idx, const struct stat_snap *a,
			const struct stat_snap *b, unsigned int ops)
{
	unsigned int i;

	printf("# stats %s vcpu%d, per operation:", name, idx);
	for (i = 0; i < a->n && i < b->n; i++) {
		if (b->val[i] != a->val[i] && !strcmp(a->name[i], b->name[i]))
			printf(" %s=%.2f", a->name[i], (double)(b->val[i] - a->val[i]) / ops);
	}
	printf("\n");
}

void *vcpu_run_to_done(void *arg)
{
	/* HLT stays in the kernel: the only return to userspace is the DONE at the end */
	vcpu_run_expect_ucall((struct kvm_vcpu *)arg, UCALL_DONE, NULL);
	return NULL;
}

void vcpu_threads_start(struct kvm_vm *vm, int first_id, void (*entry)(void), int n,
			struct kvm_vcpu **vcpus, pthread_t *threads)
{
	struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
	int i;

	for (i = 0; i < n; i++) {
		vcpus[i] = guest_vcpu_add(vm, first_id + i, (uint64_t)entry);
		vcpu_ioctl(vcpus[i], KVM_SET_MP_STATE, &runnable);
		TEST_ASSERT_EQ(0, pthread_create(&threads[i], NULL, vcpu_run_to_done, vcpus[i]));
	}
}

void vcpu_threads_join(pthread_t *threads, int n)
{
	int i;

	for (i = 0; i < n; i++)
		TEST_ASSERT_EQ(0, pthread_join(threads[i], NULL));
}

/*
 * IPI ping-pong between two vCPUs of one guest, each run by a host thread of its own: vCPU 0
 * sends a fixed IPI to vCPU 1 through the xAPIC ICR and waits in HLT; vCPU 1 (in HLT) takes
 * it, EOIs and sends one back the same way. Timed as bench_doorbell; every ping must have
 * been answered.
 */
static double bench_ipi(void)
{
	struct kvm_vm *vm = irqchip_vm_new(NULL, 0);
	struct kvm_vcpu *vcpu0, *vcpu1;
	static struct stat_snap st[4];
	int sfd[2];
	struct ucall uc;
	long long with, without;
	pthread_t thread;

	vm_install_exception_handler(vm, PING_VECTOR, ping_handler);
	vm_install_exception_handler(vm, PONG_VECTOR, pong_handler);
	vcpu0 = guest_vcpu_add(vm, 0, (uint64_t)guest_ipi_initiator);
	vcpu_threads_start(vm, 1, guest_ipi_responder, 1, &vcpu1, &thread);
	sfd[0] = ioctl(vcpu0->fd, KVM_GET_STATS_FD, NULL);
	sfd[1] = ioctl(vcpu1->fd, KVM_GET_STATS_FD, NULL);

	vcpu_run_expect_ucall(vcpu0, UCALL_SYNC, &uc);
	sync_run(vcpu0, &uc, WARM_OPS);
	stats_take(sfd[0], &st[0]);
	stats_take(sfd[1], &st[1]);
	with = sync_run(vcpu0, &uc, IPI_ROUNDTRIPS);
	stats_take(sfd[0], &st[2]);
	stats_take(sfd[1], &st[3]);
	stats_print("ipi_roundtrip", 0, &st[0], &st[2], IPI_ROUNDTRIPS);
	stats_print("ipi_roundtrip", 1, &st[1], &st[3], IPI_ROUNDTRIPS);
	without = sync_run(vcpu0, &uc, 0);
	TEST_ASSERT(uc.args[0] == WARM_OPS + IPI_ROUNDTRIPS &&
		    uc.args[1] == WARM_OPS + IPI_ROUNDTRIPS,
		    "%d pings sent: vCPU 1 took %llu, vCPU 0 took %llu pongs",
		    WARM_OPS + IPI_ROUNDTRIPS, (unsigned long long)uc.args[0],
		    (unsigned long long)uc.args[1]);
	TEST_ASSERT(with > without, "%d IPI round trips took %lld ns, none %lld ns",
		    IPI_ROUNDTRIPS, with, without);

	ucall_reply(vcpu0, &uc, SYNC_DONE);
	vcpu_run_expect_ucall(vcpu0, UCALL_DONE, NULL);
	vcpu_threads_join(&thread, 1);
	close(sfd[0]);
	close(sfd[1]);
	kvm_vm_free(vm);
	return (double)(with - without) / IPI_ROUNDTRIPS;
}

/*
 * The same OUT round trip with the "kvm" trace events that both module sets define switched on
 * in tracefs and recorded into its ring buffer (issue 21: the cost of tracing, against the
 * untraced row above; off, they are static keys). The list is kvm-bench.sh's TRACE_EVENTS.
 */
static const char *const trace_events[] = {
	"kvm_entry", "kvm_exit", "kvm_pio", "kvm_mmio", "kvm_msr", "kvm_cpuid", "kvm_hypercall",
	"kvm_inj_virq", "kvm_userspace_exit", "kvm_page_fault", "kvm_set_irq", "kvm_msi_set_irq",
};

static void trace_events_set(const char *on)
{
	char path[128];
	size_t i;
	int fd;

	if (access(TRACEFS "/events", F_OK))
		TEST_ASSERT(!mount("nodev", TRACEFS, "tracefs", 0, NULL), "mount tracefs on %s",
			    TRACEFS);
	for (i = 0; i < sizeof(trace_events) / sizeof(trace_events[0]); i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/kvm/%s/enable", trace_events[i]);
		fd = open(path, O_WRONLY);
		TEST_ASSERT(fd >= 0, "open %s: the module defines no %s event", path,
			    trace_events[i]);
		TEST_ASSERT(write(fd, on, 1) == 1, "write %s to %s", on, path);
		close(fd);
	}
}

static double bench_pio_traced(void)
{
	double t;

	trace_events_set("1");
	t = bench_pio();
	trace_events_set("0");
	return t;
}

/*
 * Debian's QEMU boots a Linux guest on /dev/kvm (issue 8): the nested QEMU bundle's
 * qemu-boot-guest (tools/testing/vmtest) with the given --stage arguments, from fork to its
 * exit, which follows QEMU's exit at the guest's power-off. The script's own work before
 * QEMU starts and after it exits is a few milliseconds of the about 7 s. The guest's console
 * goes to /tmp/NAME.log.
 */
static double bench_qemu_boot(const char *name, const char *stage, const char *smp)
{
	char limit[16], log[64];
	cpu_set_t all;
	long long t0, t;
	int status;
	pid_t pid;

	TEST_ASSERT(!access(QEMU_BOOT, X_OK),
		    "no %s: the nested QEMU bundle is not staged (vmtest --qemu)", QEMU_BOOT);
	snprintf(limit, sizeof(limit), "%d", QEMU_BOOT_LIMIT_S);
	snprintf(log, sizeof(log), "/tmp/%s.log", name);
	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		/* QEMU's threads may use every CPU the host has, as when a user runs it. */
		CPU_ZERO(&all);
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
			CPU_SET(cpu, &all);
		sched_setaffinity(0, sizeof(all), &all);
		execl(QEMU_BOOT, QEMU_BOOT, "--stage", stage, "--smp", smp, "--limit", limit,
		      "--log", log, (char *)NULL);
		_exit(127);
	}
	TEST_ASSERT_EQ(pid, waitpid(pid, &status, 0));
	t = now_ns() - t0;
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "%s failed (%s %d): the guest did not boot, see its report above",
		    QEMU_BOOT, WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return (double)t;
}

/* Stage 1: -machine pc,kernel-irqchip=off -cpu qemu64 (the interrupt controllers in QEMU). */
static double bench_qemu_boot_stage1(void)
{
	return bench_qemu_boot("qemu_boot_linux", "1", "1");
}

/*
 * Stage 2: QEMU's defaults (-cpu host, the in-kernel irqchip), one vCPU: the emulated host
 * has one CPU, and stock KVM hung there twice with -smp 2.
 */
static double bench_qemu_boot_stage2(void)
{
	return bench_qemu_boot("qemu_boot_linux_irqchip", "2", "1");
}

static const struct bench {
	const char *name;
	double (*fn)(void);
	int max_reps;		/* 0: no limit */
	const char *what;
} benches[] = {
	{ "pio_exit_roundtrip", bench_pio, 0,
	  "OUT exit to userspace and back into the guest, per exit" },
	{ "pio_exit_roundtrip_traced", bench_pio_traced, 0,
	  "pio_exit_roundtrip with the kvm trace events on (tracefs, into the ring buffer)" },
	{ "mmio_write_roundtrip", bench_mmio_write, 0,
	  "32-bit store to memory without a slot: KVM_EXIT_MMIO and back, per exit" },
	{ "mmio_read_roundtrip", bench_mmio_read, 0,
	  "32-bit load from memory without a slot: KVM_EXIT_MMIO, completed on re-entry" },
	{ "cpuid_exit_kernel", bench_cpuid, 0, "CPUID handled in the kernel, per instruction" },
	{ "first_touch_256m_4k", bench_touch_4k, 3,
	  "guest writes 256 MiB once, 4 KiB host pages (65536 nested page faults), per 256 MiB" },
	{ "first_touch_256m_thp", bench_touch_thp, 3,
	  "guest writes 256 MiB once, transparent huge pages in the host, per 256 MiB" },
	{ "dirty_log_get_1g", bench_dirty_log_get, 0,
	  "KVM_GET_DIRTY_LOG of a 1 GiB slot with 16384 dirty pages, per collection" },
	{ "dirty_log_get_clear_1g", bench_dirty_log_get_clear, 0,
	  "manual protect: KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG of 1 GiB, 16384 dirty pages" },
	{ "vm_create_destroy_4vcpu", bench_vm_create, 0,
	  "KVM_CREATE_VM + 4 x KVM_CREATE_VCPU + close them, per VM" },
	{ "ioeventfd_irqfd_roundtrip", bench_doorbell, 0,
	  "MMIO doorbell (ioeventfd) -> host thread -> irqfd MSI -> guest woken from HLT, EOI" },
	{ "ipi_roundtrip", bench_ipi, 0,
	  "xAPIC fixed IPI vCPU 0 -> vCPU 1 and back, both waiting in HLT, per ping-pong" },
	{ "self_ipi_apic_eoi", bench_self_ipi_apic_eoi, 0,
	  "xAPIC self-IPI taken and EOIed by a write to the EOI register, per interrupt" },
	{ "self_ipi_pv_eoi", bench_self_ipi_pv_eoi, 0,
	  "the same with PV EOI: the guest clears the flag KVM set instead of the EOI write" },
	{ "pv_send_ipi_3_halted", bench_pv_send_ipi, 0,
	  "KVM_HC_SEND_IPI from vCPU 0 to 3 vCPUs in HLT, until all 3 took it, per broadcast" },
	{ "kvmclock_read", bench_kvmclock_read, 0,
	  "guest reads its time from the kvmclock page (pvclock, RDTSC): no exit, per read" },
	{ "lapic_timer_1khz_tick", bench_lapic_timer_1khz, 0,
	  "guest work under a 1 kHz periodic LAPIC timer, less the same masked, per tick" },
	{ "tlb_shootdown_ipi_3", bench_tlb_shootdown, 0,
	  "IPI to 3 halted vCPUs (all-but-self), each INVLPGs, the last IPIs back, per flush" },
	{ "qemu_boot_linux", bench_qemu_boot_stage1, QEMU_BOOT_MAX_REPS,
	  "QEMU start to guest power-off: Linux booted to userspace, stage 1 (irqchip in userspace)" },
	{ "qemu_boot_linux_irqchip", bench_qemu_boot_stage2, QEMU_BOOT_MAX_REPS,
	  "QEMU start to guest power-off: stage 2 (QEMU's defaults, in-kernel irqchip), -smp 1" },
};
#define NR_BENCHES	(int)(sizeof(benches) / sizeof(benches[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* In a child: reps batches, the median to the pipe. Exits 0 on success. */
static void __attribute__((noreturn)) run_child(const struct bench *b, int reps, int fd)
{
	double t[MAX_REPS];
	int i;

	alarm(CHILD_TIMEOUT_S);
	if (b->max_reps && reps > b->max_reps)
		reps = b->max_reps;
	for (i = 0; i < reps; i++)
		t[i] = b->fn();
	qsort(t, reps, sizeof(t[0]), cmp_double);
	TEST_ASSERT(write(fd, &t[reps / 2], sizeof(double)) == sizeof(double), "write");
	exit(0);
}

static bool run_bench(const struct bench *b, int reps)
{
	int fds[2], status;
	double ns;
	ssize_t n;
	pid_t pid;

	printf("# %s: %s\n", b->name, b->what);
	fflush(stdout);
	TEST_ASSERT(!pipe(fds), "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		close(fds[0]);
		run_child(b, reps, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], &ns, sizeof(ns));
	close(fds[0]);
	TEST_ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status) && !WEXITSTATUS(status) && n == sizeof(ns)) {
		printf("bench %s ok %.0f\n", b->name, ns);
		return true;
	}
	if (WIFSIGNALED(status))
		printf("bench %s fail %s\n", b->name,
		       WTERMSIG(status) == SIGALRM ? "timeout" : strsignal(WTERMSIG(status)));
	else
		printf("bench %s fail exit status %d\n", b->name, WEXITSTATUS(status));
	return false;
}

static void usage(void)
{
	fprintf(stderr, "usage: kvm_bench [-r REPS] [NAME...] | kvm_bench -l | kvm_bench -F FILE |\n"
			"       kvm_bench -T | kvm_bench -W FILE KEY '<=N'|'>=N' SECS\n");
	exit(2);
}

/*
 * kvm_bench -F FILE: follow FILE (a nested guest's console that qemu-boot-guest writes; it
 * may not exist yet, and is followed again from its start when replaced or truncated) and
 * print each complete line as it is appended, without carriage returns, after the host's
 * CLOCK_MONOTONIC in ns when it was read: "NS LINE". FILE is read every FOLLOW_POLL_NS, so
 * that is the resolution (a few microseconds of host time per poll). Runs until killed.
 * dev-bench.sh times what a guest does between two of its console lines with it, finer than
 * the guest's /proc/uptime (10 ms).
 */
#define FOLLOW_POLL_NS	2000000
static void __attribute__((noreturn)) follow(const char *file)
{
	struct timespec poll = { 0, FOLLOW_POLL_NS };
	char buf[65536], line[4096];
	size_t len = 0;
	struct stat st;
	ino_t ino = 0;
	off_t off = 0;
	int fd = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		ssize_t n;

		if (stat(file, &st) == 0 && (fd < 0 || st.st_ino != ino || st.st_size < off)) {
			if (fd >= 0)
				close(fd);
			fd = open(file, O_RDONLY);
			ino = st.st_ino;
			off = 0;
			len = 0;
		}
		if (fd < 0 || (n = read(fd, buf, sizeof(buf))) <= 0) {
			nanosleep(&poll, NULL);
			continue;
		}
		off += n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\r')
				continue;
			if (buf[i] != '\n' && len < sizeof(line) - 1) {
				line[len++] = buf[i];
				continue;
			}
			if (buf[i] != '\n')
				continue;	/* a too long line: its end is dropped */
			line[len] = 0;
			printf("%lld %s\n", now_ns(), line);
			len = 0;
		}
	}
}

/*
 * kvm_bench -W FILE KEY '<=N'|'>=N' SECS: read FILE every WATCH_POLL_NS until the number after
 * KEY in it (KEY "": the number it starts with) is at most or at least N; print the host's
 * CLOCK_MONOTONIC in ns then, and the number, and exit 0; exit 1 after SECS. kvm_bench -T:
 * print CLOCK_MONOTONIC in ns. dev-bench.sh times a host figure's change with them (QEMU's
 * VmRSS falling when the balloon inflates, KSM's pages_shared rising).
 */
#define WATCH_POLL_NS	2000000
static int watch(const char *file, const char *key, const char *cond, int secs)
{
	struct timespec poll = { 0, WATCH_POLL_NS };
	long long end = now_ns() + secs * 1000000000LL, v = -1, n;
	bool le = !strncmp(cond, "<=", 2);
	char buf[8192];

	if (strncmp(cond, "<=", 2) && strncmp(cond, ">=", 2))
		usage();
	n = atoll(cond + 2);
	do {
		int fd = open(file, O_RDONLY);
		ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		char *p;

		if (fd >= 0)
			close(fd);
		if (len > 0) {
			buf[len] = 0;
			p = *key ? strstr(buf, key) : buf;
			if (p) {
				v = strtoll(p + strlen(key), NULL, 10);
				if (le ? v <= n : v >= n) {
					printf("%lld %lld\n", now_ns(), v);
					return 0;
				}
			}
		}
		nanosleep(&poll, NULL);
	} while (now_ns() < end);
	printf("timeout %lld\n", v);
	return 1;
}

int main(int argc, char **argv)
{
	int reps = DEFAULT_REPS, opt, i, failed = 0, ran = 0;

	while ((opt = getopt(argc, argv, "lr:F:TW")) != -1) {
		switch (opt) {
		case 'T':
			printf("%lld\n", now_ns());
			return 0;
		case 'W':
			if (argc - optind != 4)
				usage();
			return watch(argv[optind], argv[optind + 1], argv[optind + 2],
				     atoi(argv[optind + 3]));
		case 'F':
			follow(optarg);
		case 'l':
			for (i = 0; i < NR_BENCHES; i++)
				printf("%s\n", benches[i].name);
			return 0;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				usage();
			break;
		default:
			usage();
		}
	}
	/* one CPU: the figures then do not depend on where the scheduler puts the threads */
	pin_to_cpu(0);
	for (i = 0; i < NR_BENCHES; i++) {
		int j, selected = optind == argc;

		for (j = optind; j < argc; j++)
			selected |= !strcmp(argv[j], benches[i].name);
		if (!selected)
			continue;
		ran++;
		failed += !run_bench(&benches[i], reps);
	}
	if (!ran)
		usage();
	return failed ? 1 : 0;
}
