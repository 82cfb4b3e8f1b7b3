// SPDX-License-Identifier: GPL-2.0-only
/*
 * Coalesced MMIO and PIO: KVM_REGISTER_COALESCED_MMIO / KVM_UNREGISTER_COALESCED_MMIO
 * (api.rst 4.116), KVM_CAP_COALESCED_MMIO, KVM_CAP_COALESCED_PIO, and the ring userspace
 * maps from a vCPU fd at page KVM_COALESCED_MMIO_PAGE_OFFSET (api.rst 4.5,
 * KVM_GET_VCPU_MMAP_SIZE). Guest writes inside a zone do not exit: KVM appends them to the
 * ring (struct kvm_coalesced_mmio_ring: KVM fills entries at `last` and advances it,
 * userspace reads them from `first` and advances that), for userspace to replay when the
 * guest exits for another reason.
 *
 * - caps: KVM_CAP_COALESCED_MMIO is the ring's page offset (2 on x86), KVM_CAP_COALESCED_PIO
 *   is 1, the vCPU mmap area covers the ring, a new VM's ring is empty.
 * - MMIO: writes of 1 to 8 bytes into a zone in a guest-physical hole make no exit and show
 *   up in the ring in order (the same address twice: twice); at an exit for something
 *   else the ring already holds every coalesced write made before it; reads in a zone exit
 *   (KVM_EXIT_MMIO, answered by userspace), as do writes outside every zone and writes
 *   that only partly lie in one.
 * - ring full: a write that finds no room exits as a plain KVM_EXIT_MMIO write (an OUT to
 *   a PIO zone as KVM_EXIT_IO), is not put in the ring and is not lost; the guest goes on.
 *   How much fits is checked exactly against a model of the ring through many wrap-arounds
 *   and partial consumption (see ring_has_room()).
 * - PIO: OUT of 1, 2 and 4 bytes and REP OUTSB to a pio=1 zone are coalesced with pio=1,
 *   in order with MMIO entries; IN from the zone and OUT outside it exit (KVM_EXIT_IO).
 * - unregister: the zone goes (the next write exits); stock removes every zone of the same
 *   kind that contains the given range, even a sub-range; overlapping zones record a write
 *   once.
 * - errnos: pio other than 0/1 is EINVAL, a NULL argument EFAULT; overlapping, duplicate,
 *   empty and odd-sized zones are accepted, as is unregistering an unknown zone; at most
 *   1000 zones per bus (ENOSPC after).
 * - a zone registered before any vCPU exists works for vCPUs created later, and the ring is
 *   one per VM, the same page through every vCPU.
 * - four vCPUs writing at once, past the ring's capacity: each vCPU's writes are in the ring
 *   in order up to the point it filled, the rest came as exits, nothing lost.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_access.h"
#include "x86_guest.h"

#define MMIO_BASE	0xc0000000ULL	/* a guest-physical hole: no slot up here */
#define MMIO_PAGES	4		/* mapped by the guest's page tables */
#define ZONE_GPA	MMIO_BASE
#define ZONE_SIZE	0x800		/* ends mid-page: a write can straddle its end */
#define OUTSIDE_GPA	(MMIO_BASE + 0x1000)
#define ZONE2_GPA	(MMIO_BASE + 0x400)	/* overlaps the first zone's upper half */
#define PIO_PORT	0x500
#define PIO_SIZE	8
#define PIO_OUTSIDE	0x510

#define RING_MAX	((uint32_t)KVM_COALESCED_MMIO_MAX)
#define RING_6_1_CAP	85	/* see ring_has_room() */

_Static_assert(sizeof(struct kvm_coalesced_mmio) == 24 && RING_MAX == 170,
	       "struct kvm_coalesced_mmio_ring layout (<linux/kvm.h>)");
_Static_assert(KVM_COALESCED_MMIO_PAGE_OFFSET == 2, "x86: kvm_run, PIO data, then the ring");

/* --- the guest: a script of accesses --- */

enum step_kind { MMIO_WRITE, MMIO_READ, PIO_OUT, PIO_IN, PIO_OUTSB, SYNC, DONE };

struct step {
	uint8_t kind;
	uint8_t len;		/* bytes; PIO_OUTSB: the count, bytes of val from the lowest */
	uint64_t addr;		/* gpa or port */
	uint64_t val;		/* written, or expected from a read (userspace answers it) */
};

#define W(a, l, v)	{ MMIO_WRITE, l, a, v }
#define R(a, l, v)	{ MMIO_READ, l, a, v }
#define OUT(p, l, v)	{ PIO_OUT, l, p, v }
#define IN(p, l, v)	{ PIO_IN, l, p, v }
#define OUTSB(p, n, v)	{ PIO_OUTSB, n, p, v }
#define STEP_SYNC	{ SYNC, 0, 0, 0 }
#define STEP_DONE	{ DONE, 0, 0, 0 }

static void guest_script(const struct step *script)
{
	const struct step *s;
	uint64_t got, nsync = 0;

	for (s = script;; s++) {
		switch (s->kind) {
		case MMIO_WRITE:
			guest_mmio_write(s->addr, s->len, s->val);
			break;
		case MMIO_READ:
			got = guest_mmio_read(s->addr, s->len);
			__GUEST_ASSERT(got == s->val, "MMIO read",
				       "%d bytes at %#llx: expected %#llx, got %#llx",
				       s->len, s->addr, s->val, got);
			break;
		case PIO_OUT:
			guest_pio_out(s->addr, s->len, s->val);
			break;
		case PIO_IN:
			got = guest_pio_in(s->addr, s->len);
			__GUEST_ASSERT(got == s->val, "port read",
				       "%d bytes from port %#llx: expected %#llx, got %#llx",
				       s->len, s->addr, s->val, got);
			break;
		case PIO_OUTSB:
			guest_rep_outsb(s->addr, &s->val, s->len);
			break;
		case SYNC:
			GUEST_SYNC(nsync++);
			break;
		case DONE:
			GUEST_DONE();
			break;
		}
	}
}

/* --- host side: exits --- */

static void expect_sync(struct kvm_vcpu *vcpu, uint64_t n)
{
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(n, uc.args[0]);
}

/* --- host side: zones and the ring --- */

static int __zone_ioctl(int vm_fd, unsigned long cmd, uint64_t addr, uint32_t size, uint32_t pio)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = addr, .size = size, .pio = pio };

	return ioctl(vm_fd, cmd, &zone);
}

static void zone_register(struct kvm_vm *vm, uint64_t addr, uint32_t size, uint32_t pio)
{
	int r = __zone_ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, addr, size, pio);

	TEST_ASSERT(!r, "KVM_REGISTER_COALESCED_MMIO of %#llx+%#x pio %u returned %d",
		    (unsigned long long)addr, size, pio, r);
}

static void zone_unregister(struct kvm_vm *vm, uint64_t addr, uint32_t size, uint32_t pio)
{
	int r = __zone_ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, addr, size, pio);

	TEST_ASSERT(!r, "KVM_UNREGISTER_COALESCED_MMIO of %#llx+%#x pio %u returned %d",
		    (unsigned long long)addr, size, pio, r);
}

/*
 * The ring is a page of the vCPU mmap area, at the page offset KVM_CAP_COALESCED_MMIO
 * returns (api.rst 4.5); mapped here on its own, shared and writable: userspace owns
 * `first`.
 */
static struct kvm_coalesced_mmio_ring *ring_map(struct kvm_vcpu *vcpu)
{
	int offset = kvm_check_cap(vcpu->vm->fd, KVM_CAP_COALESCED_MMIO);
	void *p;

	TEST_ASSERT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET, offset);
	p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd,
		 offset * PAGE_SIZE);
	TEST_ASSERT(p != MAP_FAILED, "mmap of the coalesced MMIO ring (vCPU %d, page %d)",
		    vcpu->id, offset);
	return p;
}

static uint32_t ring_first(struct kvm_coalesced_mmio_ring *ring)
{
	return __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
}

static uint32_t ring_last(struct kvm_coalesced_mmio_ring *ring)
{
	/* acquire: the entries before `last` are complete */
	return __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
}

static uint32_t ring_used(struct kvm_coalesced_mmio_ring *ring)
{
	return (ring_last(ring) + RING_MAX - ring_first(ring)) % RING_MAX;
}

/* Hand n entries back to KVM. */
static void ring_consume(struct kvm_coalesced_mmio_ring *ring, uint32_t n)
{
	__atomic_store_n(&ring->first, (ring_first(ring) + n) % RING_MAX, __ATOMIC_RELEASE);
}

struct entry {
	uint64_t addr;
	uint32_t len, pio;
	uint64_t val;
};

/* Entry i (from `first`) must be want. */
static void ring_check(struct kvm_coalesced_mmio_ring *ring, uint32_t i,
		       const struct entry *want, const char *what)
{
	const struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[(ring_first(ring) + i) %
								   RING_MAX];
	uint64_t data = 0;

	memcpy(&data, e->data, e->len <= 8 ? e->len : 8);
	TEST_ASSERT(e->phys_addr == want->addr && e->len == want->len && e->pio == want->pio &&
		    data == (want->val & len_mask(want->len)),
		    "%s: ring entry %u (index %u): expected %#llx len %u pio %u data %#llx, got %#llx len %u pio %u data %#llx",
		    what, i, (ring_first(ring) + i) % RING_MAX, (unsigned long long)want->addr,
		    want->len, want->pio, (unsigned long long)(want->val & len_mask(want->len)),
		    (unsigned long long)e->phys_addr, e->len, e->pio, (unsigned long long)data);
}

/* The ring holds exactly want[0..n-1]; consume them. */
static void ring_expect(struct kvm_coalesced_mmio_ring *ring, const struct entry *want,
			uint32_t n, const char *what)
{
	uint32_t i;

	TEST_ASSERT(ring_used(ring) == n, "%s: expected %u entries in the ring, got %u (first %u, last %u)",
		    what, n, ring_used(ring), ring_first(ring), ring_last(ring));
	for (i = 0; i < n; i++)
		ring_check(ring, i, &want[i], what);
	ring_consume(ring, n);
}

static struct kvm_vm *vm_with_mmio_hole(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);

	guest_map_range(vm, MMIO_BASE, MMIO_BASE, MMIO_PAGES * PAGE_SIZE);
	return vm;
}

static struct kvm_vcpu *vcpu_with_script(struct kvm_vm *vm, int id, const struct step *script)
{
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, id, (uint64_t)guest_script);

	vcpu_set_args(vcpu, script);
	return vcpu;
}

/* --- subtests --- */

static void test_caps(void)
{
	struct kvm_vm *vm = kvm_vm_new(2 * MiB);
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_vcpu *vcpu;

	/* api.rst 4.5: the ring is at page KVM_COALESCED_MMIO_PAGE_OFFSET, x86: 2 */
	TEST_ASSERT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET, kvm_check_cap(vm->kvm_fd,
								     KVM_CAP_COALESCED_MMIO));
	TEST_ASSERT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET, kvm_check_cap(vm->fd,
								     KVM_CAP_COALESCED_MMIO));
	TEST_ASSERT_EQ(1, kvm_check_cap(vm->kvm_fd, KVM_CAP_COALESCED_PIO));
	TEST_ASSERT_EQ(1, kvm_check_cap(vm->fd, KVM_CAP_COALESCED_PIO));
	TEST_ASSERT((KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * PAGE_SIZE <=
		    (uint64_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0),
		    "KVM_GET_VCPU_MMAP_SIZE %d does not cover the ring page",
		    ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0));

	vcpu = kvm_vcpu_new(vm, 0);
	ring = ring_map(vcpu);
	TEST_ASSERT_EQ(0, ring->first);
	TEST_ASSERT_EQ(0, ring->last);
	/* the lib's mapping of the whole area shows the same page (no guest runs here) */
	TEST_ASSERT((uint64_t)vcpu->run_size >= 3 * PAGE_SIZE, "kvm_run mapping of %zu bytes",
		    vcpu->run_size);
	ring->first = 7;
	TEST_ASSERT_EQ(7, ((struct kvm_coalesced_mmio_ring *)((uint8_t *)vcpu->run +
		       KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_SIZE))->first);
	ring->first = 0;
	kvm_vm_free(vm);
}

static const struct step mmio_script[] = {
	W(ZONE_GPA + 0x000, 1, 0x11),
	W(ZONE_GPA + 0x010, 2, 0x2222),
	W(ZONE_GPA + 0x021, 4, 0x33333333),		/* unaligned */
	W(ZONE_GPA + 0x030, 8, 0x4444444444444444ULL),
	W(ZONE_GPA + ZONE_SIZE - 8, 8, 0x5555555555555555ULL),	/* the zone's last bytes */
	W(ZONE_GPA + 0x000, 1, 0x66),			/* the same address again */
	STEP_SYNC,
	R(ZONE_GPA + 0x100, 4, 0xfeedface),		/* reads are not coalesced */
	W(ZONE_GPA + 0x040, 4, 0x77777777),
	W(OUTSIDE_GPA, 4, 0x88888888),			/* no zone: exits */
	W(ZONE_GPA + ZONE_SIZE - 2, 4, 0x99999999),	/* half in the zone: exits */
	W(ZONE_GPA + 0x050, 2, 0xaaaa),
	STEP_SYNC,
	STEP_DONE,
};

static void test_mmio(void)
{
	static const struct entry first_batch[] = {
		{ ZONE_GPA + 0x000, 1, 0, 0x11 },
		{ ZONE_GPA + 0x010, 2, 0, 0x2222 },
		{ ZONE_GPA + 0x021, 4, 0, 0x33333333 },
		{ ZONE_GPA + 0x030, 8, 0, 0x4444444444444444ULL },
		{ ZONE_GPA + ZONE_SIZE - 8, 8, 0, 0x5555555555555555ULL },
		{ ZONE_GPA + 0x000, 1, 0, 0x66 },
	};
	static const struct entry before_exit = { ZONE_GPA + 0x040, 4, 0, 0x77777777 };
	static const struct entry last = { ZONE_GPA + 0x050, 2, 0, 0xaaaa };
	struct kvm_vm *vm = vm_with_mmio_hole();
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_vcpu *vcpu;

	zone_register(vm, ZONE_GPA, ZONE_SIZE, 0);
	vcpu = vcpu_with_script(vm, 0, mmio_script);
	ring = ring_map(vcpu);

	/* six writes, no exit until the ucall; userspace consumes them by advancing first */
	expect_sync(vcpu, 0);
	ring_expect(ring, first_batch, ARRAY_SIZE(first_batch), "after the first writes");

	expect_mmio_exit(vcpu, false, ZONE_GPA + 0x100, 4, 0xfeedface, "read in the zone");
	TEST_ASSERT_EQ(0, ring_used(ring));
	/* at an exit the ring already holds the coalesced writes made before it */
	expect_mmio_exit(vcpu, true, OUTSIDE_GPA, 4, 0x88888888, "write outside the zone");
	ring_expect(ring, &before_exit, 1, "at the exit for the write outside");
	expect_mmio_exit(vcpu, true, ZONE_GPA + ZONE_SIZE - 2, 4, 0x99999999,
		    "write straddling the zone's end");
	TEST_ASSERT_EQ(0, ring_used(ring));
	expect_sync(vcpu, 1);
	ring_expect(ring, &last, 1, "at the end");
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/*
 * Whether a write finds room in the ring with userspace at `first` and KVM at `last`: one
 * entry always stays unused, so the ring is full at (last + 1) % RING_MAX == first, holding
 * RING_MAX - 1 entries (newer kernels). Linux 6.1 computes the room as
 * (first - last - 1) % RING_MAX in 32-bit unsigned arithmetic; since 2^32 is not a multiple
 * of RING_MAX (170), that is wrong whenever first <= last, and it reports the ring full
 * with only 85 entries when first <= 84 (from an empty ring at 0, say). Both only ever exit
 * early, never overwrite: the test accepts either, told apart by what an empty ring at
 * index 0 takes, and then predicts every exit exactly.
 */
enum ring_model { RING_EXACT, RING_6_1 };

static bool ring_has_room(enum ring_model model, uint32_t first, uint32_t last)
{
	if (model == RING_6_1)
		return (uint32_t)(first - last - 1) % RING_MAX != 0;
	return (last + 1) % RING_MAX != first;
}

/* What an empty ring at index 0 takes: tells which model the kernel follows. */
static enum ring_model ring_model_from_capacity(uint32_t capacity)
{
	TEST_ASSERT(capacity == RING_MAX - 1 || capacity == RING_6_1_CAP,
		    "an empty ring took %u writes before the next one exited; expected %u (KVM_COALESCED_MMIO_MAX - 1) or %u (Linux 6.1)",
		    capacity, RING_MAX - 1, RING_6_1_CAP);
	ksft_print_msg("an empty ring holds %u entries: %s\n", capacity,
		       capacity == RING_MAX - 1 ? "exact" : "Linux 6.1 arithmetic");
	return capacity == RING_MAX - 1 ? RING_EXACT : RING_6_1;
}

#define FULL_WRITES	1000
#define FULL_PIO_VAL	0xf00d
#define FULL_MMIO_VAL	0xfeed

static uint64_t full_gpa(uint64_t i)
{
	return ZONE_GPA + 4 * (i % (ZONE_SIZE / 4));
}

static void guest_ring_full(void)
{
	uint64_t i, n;

	for (i = 0; i < FULL_WRITES; i++)
		guest_mmio_write(full_gpa(i), 4, i);
	/* the host answers how many more writes fit */
	n = GUEST_SYNC(0);
	for (i = 0; i < n; i++)
		guest_mmio_write(full_gpa(FULL_WRITES + i), 4, FULL_WRITES + i);
	/* the ring is full now */
	guest_pio_out(PIO_PORT, 4, FULL_PIO_VAL);
	guest_mmio_write(ZONE_GPA, 4, FULL_MMIO_VAL);
	GUEST_SYNC(1);
	GUEST_DONE();
}

/* The host's copy of the ring: which write is at each index. */
struct ring_sim {
	enum ring_model model;
	uint32_t first, last;
	uint64_t val[RING_MAX];
	uint64_t next;		/* the next value the guest writes */
};

/* Let the guest's next writes into the ring while the model says they fit, up to end. */
static void sim_fill(struct ring_sim *sim, uint64_t end)
{
	while (sim->next < end && ring_has_room(sim->model, sim->first, sim->last)) {
		sim->val[sim->last] = sim->next++;
		sim->last = (sim->last + 1) % RING_MAX;
	}
}

/* The real ring matches the model: same indices, the same writes at each. */
static void sim_check(struct ring_sim *sim, struct kvm_coalesced_mmio_ring *ring,
		      const char *what)
{
	uint32_t i, n = (sim->last + RING_MAX - sim->first) % RING_MAX;

	TEST_ASSERT(ring_first(ring) == sim->first && ring_last(ring) == sim->last,
		    "%s: expected the ring at first %u last %u, got first %u last %u",
		    what, sim->first, sim->last, ring_first(ring), ring_last(ring));
	for (i = 0; i < n; i++) {
		uint64_t v = sim->val[(sim->first + i) % RING_MAX];
		struct entry e = { full_gpa(v), 4, 0, v };

		ring_check(ring, i, &e, what);
	}
}

static void sim_consume(struct ring_sim *sim, struct kvm_coalesced_mmio_ring *ring,
			uint32_t n)
{
	sim->first = (sim->first + n) % RING_MAX;
	ring_consume(ring, n);
}

static void test_ring_full(void)
{
	struct kvm_vm *vm = vm_with_mmio_hole();
	struct kvm_coalesced_mmio_ring *ring;
	struct ring_sim sim = { 0 };
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	uint32_t used, exits = 0, consumed = 0;
	uint64_t fits;
	char what[64];

	zone_register(vm, ZONE_GPA, ZONE_SIZE, 0);
	zone_register(vm, PIO_PORT, PIO_SIZE, 1);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_ring_full);
	ring = ring_map(vcpu);

	/* the first exit: the ring is full, the write that did not fit comes out */
	vcpu_run_exit(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	sim.model = ring_model_from_capacity(ring_used(ring));

	/*
	 * Replay the first exit and every later one against the model. After each exit
	 * userspace consumes, in turn: nothing (the next write exits at once), everything,
	 * half, one entry (exactly one more write fits).
	 */
	for (;;) {
		uint32_t policy = exits % 4;

		sim_fill(&sim, FULL_WRITES);
		snprintf(what, sizeof(what), "exit %u (ring full)", exits);
		if (sim.next == FULL_WRITES)
			break;
		/* vcpu_run_exit() for this exit already ran: check it */
		TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_MMIO && vcpu->run->mmio.is_write &&
			    vcpu->run->mmio.phys_addr == full_gpa(sim.next) &&
			    vcpu->run->mmio.len == 4 &&
			    !memcmp(vcpu->run->mmio.data, &sim.next, 4),
			    "%s: expected the MMIO write of %llu at %#llx to exit (ring at first %u last %u), got exit %s, gpa %#llx, data %#x",
			    what, (unsigned long long)sim.next,
			    (unsigned long long)full_gpa(sim.next), sim.first, sim.last,
			    exit_reason_str(vcpu->run->exit_reason),
			    (unsigned long long)vcpu->run->mmio.phys_addr,
			    *(uint32_t *)vcpu->run->mmio.data);
		sim.next++;			/* it went to userspace, not into the ring */
		sim_check(&sim, ring, what);
		used = ring_used(ring);
		used = policy == 0 ? 0 : policy == 1 ? used : policy == 2 ? used / 2 : 1;
		sim_consume(&sim, ring, used);
		consumed += used;
		exits++;
		vcpu_run_exit(vcpu);
	}
	/* the guest is done with its writes and reports */
	TEST_ASSERT_EQ(UCALL_SYNC, get_ucall(vcpu, &uc));
	TEST_ASSERT_EQ(0, uc.args[0]);
	sim_check(&sim, ring, "after the writes");
	ksft_print_msg("%d writes: %u exits with the ring full, %u entries consumed in between, ring wrapped %u times\n",
		       FULL_WRITES, exits, consumed, (consumed + ring_used(ring)) / RING_MAX);
	/* 14 exits and 5 wraps with the exact ring, 11 and 3 with 6.1's */
	TEST_ASSERT(exits >= 10 && consumed + ring_used(ring) >= 3 * RING_MAX,
		    "only %u exits and %u entries: the ring did not fill and wrap often enough",
		    exits, consumed + ring_used(ring));

	/* fill it up exactly, then a port write and an MMIO write into the zones both exit */
	fits = sim.next;
	sim_fill(&sim, ~0ULL);
	fits = sim.next - fits;
	ucall_reply(vcpu, &uc, fits);
	expect_pio_exit(vcpu, KVM_EXIT_IO_OUT, PIO_PORT, 4, FULL_PIO_VAL, "OUT with the ring full");
	expect_mmio_exit(vcpu, true, ZONE_GPA, 4, FULL_MMIO_VAL, "write with the ring full");
	expect_sync(vcpu, 1);
	sim_check(&sim, ring, "with the ring full");
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

static const struct step pio_script[] = {
	OUT(PIO_PORT, 1, 0xa1),
	OUT(PIO_PORT + 2, 2, 0xb2b2),
	OUT(PIO_PORT + 4, 4, 0xc3c3c3c3),
	W(ZONE_GPA + 0x8, 4, 0xd4d4d4d4),		/* MMIO and PIO share the ring */
	OUTSB(PIO_PORT + 7, 3, 0xe7e6e5),		/* REP OUTSB: one entry per byte */
	OUT(PIO_PORT + 1, 1, 0xf1),
	STEP_SYNC,
	IN(PIO_PORT, 1, 0x5a),				/* IN is not coalesced */
	OUT(PIO_OUTSIDE, 1, 0x42),			/* no zone */
	OUT(PIO_PORT + 6, 4, 0x12345678),		/* half in the zone */
	OUT(PIO_PORT + 3, 2, 0x9876),
	STEP_SYNC,
	STEP_DONE,
};

static void test_pio(void)
{
	static const struct entry batch[] = {
		{ PIO_PORT, 1, 1, 0xa1 },
		{ PIO_PORT + 2, 2, 1, 0xb2b2 },
		{ PIO_PORT + 4, 4, 1, 0xc3c3c3c3 },
		{ ZONE_GPA + 0x8, 4, 0, 0xd4d4d4d4 },
		{ PIO_PORT + 7, 1, 1, 0xe5 },
		{ PIO_PORT + 7, 1, 1, 0xe6 },
		{ PIO_PORT + 7, 1, 1, 0xe7 },
		{ PIO_PORT + 1, 1, 1, 0xf1 },
	};
	static const struct entry last = { PIO_PORT + 3, 2, 1, 0x9876 };
	struct kvm_vm *vm = vm_with_mmio_hole();
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_vcpu *vcpu;

	zone_register(vm, PIO_PORT, PIO_SIZE, 1);
	zone_register(vm, ZONE_GPA, ZONE_SIZE, 0);
	vcpu = vcpu_with_script(vm, 0, pio_script);
	ring = ring_map(vcpu);

	expect_sync(vcpu, 0);
	ring_expect(ring, batch, ARRAY_SIZE(batch), "port writes");
	expect_pio_exit(vcpu, KVM_EXIT_IO_IN, PIO_PORT, 1, 0x5a, "IN from the zone");
	expect_pio_exit(vcpu, KVM_EXIT_IO_OUT, PIO_OUTSIDE, 1, 0x42, "OUT outside the zone");
	expect_pio_exit(vcpu, KVM_EXIT_IO_OUT, PIO_PORT + 6, 4, 0x12345678,
		   "OUT straddling the zone's end");
	TEST_ASSERT_EQ(0, ring_used(ring));
	expect_sync(vcpu, 1);
	ring_expect(ring, &last, 1, "the last port write");
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

#define A_GPA		ZONE_GPA			/* zone A: [0x000, 0x800) */
#define B_GPA		ZONE2_GPA			/* zone B: [0x400, 0xc00) */
#define A_ONLY		(ZONE_GPA + 0x100)
#define A_AND_B		(ZONE_GPA + 0x500)
#define B_ONLY		(ZONE_GPA + 0x900)

static const struct step unregister_script[] = {
	W(A_ONLY, 4, 1),
	STEP_SYNC,	/* 0: A unregistered */
	W(A_ONLY, 4, 2),
	STEP_SYNC,	/* 1: A again, and B overlapping it */
	W(A_AND_B, 4, 3),
	W(B_ONLY, 4, 4),
	W(A_ONLY, 4, 5),
	STEP_SYNC,	/* 2: a sub-range of A unregistered; requests that match nothing */
	W(A_ONLY, 4, 6),
	W(A_AND_B, 4, 7),
	STEP_SYNC,	/* 3: A again; a range inside both unregistered */
	W(A_ONLY, 4, 8),
	W(A_AND_B, 4, 9),
	W(B_ONLY, 4, 10),
	STEP_SYNC,
	STEP_DONE,
};

static void test_unregister(void)
{
	static const struct entry e1 = { A_ONLY, 4, 0, 1 };
	static const struct entry e345[] = {
		{ A_AND_B, 4, 0, 3 }, { B_ONLY, 4, 0, 4 }, { A_ONLY, 4, 0, 5 },
	};
	static const struct entry e7 = { A_AND_B, 4, 0, 7 };
	struct kvm_vm *vm = vm_with_mmio_hole();
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_vcpu *vcpu;

	zone_register(vm, A_GPA, ZONE_SIZE, 0);
	vcpu = vcpu_with_script(vm, 0, unregister_script);
	ring = ring_map(vcpu);

	expect_sync(vcpu, 0);
	ring_expect(ring, &e1, 1, "with zone A");
	zone_unregister(vm, A_GPA, ZONE_SIZE, 0);
	expect_mmio_exit(vcpu, true, A_ONLY, 4, 2, "write after A was unregistered");
	expect_sync(vcpu, 1);

	/* overlapping zones: a write in both is recorded once */
	zone_register(vm, A_GPA, ZONE_SIZE, 0);
	zone_register(vm, B_GPA, ZONE_SIZE, 0);
	expect_sync(vcpu, 2);
	ring_expect(ring, e345, ARRAY_SIZE(e345), "with zones A and B");

	/*
	 * Stock removes every zone of the same kind (pio) that contains the given range: a
	 * sub-range of A removes all of A, not B. A range no zone contains, or the right range
	 * with the other pio, removes nothing, and still returns 0.
	 */
	zone_unregister(vm, A_ONLY, 4, 0);
	zone_unregister(vm, OUTSIDE_GPA, 0x100, 0);
	zone_unregister(vm, B_GPA, ZONE_SIZE, 1);
	zone_unregister(vm, B_GPA + ZONE_SIZE - 4, 8, 0);	/* straddles B's end */
	expect_mmio_exit(vcpu, true, A_ONLY, 4, 6, "write where only A was");
	expect_sync(vcpu, 3);
	ring_expect(ring, &e7, 1, "B still there");

	/* a range inside A and B removes both */
	zone_register(vm, A_GPA, ZONE_SIZE, 0);
	zone_unregister(vm, A_AND_B, 4, 0);
	expect_mmio_exit(vcpu, true, A_ONLY, 4, 8, "write in A after both went");
	expect_mmio_exit(vcpu, true, A_AND_B, 4, 9, "write in A and B after both went");
	expect_mmio_exit(vcpu, true, B_ONLY, 4, 10, "write in B after both went");
	expect_sync(vcpu, 4);
	TEST_ASSERT_EQ(0, ring_used(ring));
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

#define NR_IOBUS_DEVS	1000	/* zones per bus (KVM's io bus devices) */

static void test_errno(void)
{
	int kvm = kvm_open(), vm = vm_create(kvm), vm2 = vm_create(kvm);
	const unsigned long REG = KVM_REGISTER_COALESCED_MMIO;
	const unsigned long UNREG = KVM_UNREGISTER_COALESCED_MMIO;
	int i, r;

	/* pio is a boolean (the union with pad): anything else is EINVAL, both ways */
	TEST_ASSERT_ERRNO(EINVAL, __zone_ioctl(vm, REG, ZONE_GPA, 0x1000, 2));
	TEST_ASSERT_ERRNO(EINVAL, __zone_ioctl(vm, REG, ZONE_GPA, 0x1000, ~0U));
	TEST_ASSERT_ERRNO(EINVAL, __zone_ioctl(vm, UNREG, ZONE_GPA, 0x1000, 2));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, REG, NULL));
	TEST_ASSERT_ERRNO(EFAULT, ioctl(vm, UNREG, NULL));

	/* stock checks neither overlap nor size: all of these register */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, ZONE_GPA, 0x1000, 0));
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, ZONE_GPA, 0x1000, 0));	/* duplicate */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, ZONE_GPA + 0x800, 0x1000, 0));	/* overlap */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, ZONE_GPA + 0x3000, 0, 0));	/* empty */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, ZONE_GPA + 0x4001, 3, 0));	/* odd */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, 1ULL << 40, ~0U, 0));		/* 4 GiB - 1 */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, ~0ULL - 0xfff, 0x1000, 0));	/* the top */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, 0x3f8, 8, 1));
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, 0x3f8, 8, 1));		/* duplicate */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, REG, 0xffff, 1, 1));

	/* unregistering what was never registered is not an error */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, UNREG, 0x1000, 0x1000, 0));
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, UNREG, 0x60, 1, 1));
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, UNREG, ZONE_GPA, 0x1000, 0));
	TEST_ASSERT_EQ(0, __zone_ioctl(vm, UNREG, ZONE_GPA, 0x1000, 0));	/* again */

	/* a bus takes NR_IOBUS_DEVS zones; the next is ENOSPC until one goes */
	for (i = 0; i < NR_IOBUS_DEVS; i++) {
		r = __zone_ioctl(vm2, REG, ZONE_GPA + 0x10 * i, 0x10, 0);
		TEST_ASSERT(!r, "zone %d of %d: KVM_REGISTER_COALESCED_MMIO returned %d",
			    i + 1, NR_IOBUS_DEVS, r);
	}
	TEST_ASSERT_ERRNO(ENOSPC, __zone_ioctl(vm2, REG, 1ULL << 32, 0x10, 0));
	TEST_ASSERT_EQ(0, __zone_ioctl(vm2, REG, PIO_PORT, 8, 1));	/* the PIO bus is apart */
	TEST_ASSERT_EQ(0, __zone_ioctl(vm2, UNREG, ZONE_GPA, 0x10, 0));
	TEST_ASSERT_EQ(0, __zone_ioctl(vm2, REG, 1ULL << 32, 0x10, 0));
	TEST_ASSERT_ERRNO(ENOSPC, __zone_ioctl(vm2, REG, (1ULL << 32) + 0x10, 0x10, 0));
	close(vm2);
	close(vm);
	close(kvm);
}

static const struct step writes_a[] = {
	W(ZONE_GPA + 0x10, 4, 0xa0), W(ZONE_GPA + 0x14, 4, 0xa1), STEP_SYNC, STEP_DONE,
};
static const struct step writes_b[] = {
	W(ZONE_GPA + 0x20, 2, 0xb0), W(ZONE_GPA + 0x22, 2, 0xb1), STEP_SYNC, STEP_DONE,
};

static void test_zone_before_vcpus(void)
{
	static const struct entry want[] = {
		{ ZONE_GPA + 0x10, 4, 0, 0xa0 }, { ZONE_GPA + 0x14, 4, 0, 0xa1 },
		{ ZONE_GPA + 0x20, 2, 0, 0xb0 }, { ZONE_GPA + 0x22, 2, 0, 0xb1 },
	};
	struct kvm_vm *vm = vm_with_mmio_hole();
	struct kvm_coalesced_mmio_ring *ring0, *ring1;
	struct kvm_vcpu *vcpu0, *vcpu1;

	TEST_ASSERT_EQ(0, vm->nr_vcpus);
	zone_register(vm, ZONE_GPA, ZONE_SIZE, 0);
	vcpu0 = vcpu_with_script(vm, 0, writes_a);
	vcpu1 = vcpu_with_script(vm, 1, writes_b);
	ring0 = ring_map(vcpu0);
	ring1 = ring_map(vcpu1);

	/* one ring per VM: both vCPUs' writes, in order, through either vCPU's mapping */
	expect_sync(vcpu0, 0);
	expect_sync(vcpu1, 0);
	TEST_ASSERT_EQ(ARRAY_SIZE(want), ring_used(ring0));
	ring_expect(ring1, want, ARRAY_SIZE(want), "through vCPU 1's mapping");
	TEST_ASSERT_EQ(ARRAY_SIZE(want), ring0->first);
	TEST_ASSERT_EQ(0, ring_used(ring0));
	vcpu_run_expect_ucall(vcpu0, UCALL_DONE, NULL);
	vcpu_run_expect_ucall(vcpu1, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

#define NR_WRITERS	4
#define WRITES_EACH	100

static pthread_barrier_t writers_ready;

struct writer {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	uint64_t exited[WRITES_EACH];	/* the values that came as exits, in order */
	uint32_t nr_exited;
};

static uint64_t writer_gpa(int id)
{
	return ZONE_GPA + 8 * id;
}

static void guest_writer(uint64_t id)
{
	uint64_t i;

	for (i = 0; i < WRITES_EACH; i++)
		guest_mmio_write(writer_gpa(id), 8, id << 32 | i);
	GUEST_DONE();
}

static void *writer_thread(void *arg)
{
	struct writer *w = arg;
	struct kvm_run *run = w->vcpu->run;

	pthread_barrier_wait(&writers_ready);	/* all start at once */
	for (;;) {
		vcpu_run_exit(w->vcpu);
		if (get_ucall(w->vcpu, NULL) == UCALL_DONE)
			return NULL;
		vcpu_assert_exit(w->vcpu, KVM_EXIT_MMIO);
		TEST_ASSERT(run->mmio.is_write && run->mmio.len == 8 &&
			    run->mmio.phys_addr == writer_gpa(w->vcpu->id) &&
			    w->nr_exited < WRITES_EACH,
			    "vCPU %d: unexpected MMIO %s of %u bytes at %#llx (exit %u)",
			    w->vcpu->id, run->mmio.is_write ? "write" : "read", run->mmio.len,
			    (unsigned long long)run->mmio.phys_addr, w->nr_exited);
		memcpy(&w->exited[w->nr_exited++], run->mmio.data, 8);
	}
}

static void test_multi_vcpu(void)
{
	struct kvm_vm *vm = vm_with_mmio_hole();
	static struct writer writers[NR_WRITERS];
	struct kvm_coalesced_mmio_ring *ring;
	uint32_t next[NR_WRITERS] = { 0 }, used, i;
	int id;

	zone_register(vm, ZONE_GPA, ZONE_SIZE, 0);
	for (id = 0; id < NR_WRITERS; id++) {
		writers[id].vcpu = guest_vcpu_add(vm, id, (uint64_t)guest_writer);
		vcpu_set_args(writers[id].vcpu, id);
	}
	ring = ring_map(writers[0].vcpu);
	TEST_ASSERT_EQ(0, pthread_barrier_init(&writers_ready, NULL, NR_WRITERS));
	for (id = 0; id < NR_WRITERS; id++)
		TEST_ASSERT_EQ(0, pthread_create(&writers[id].thread, NULL, writer_thread,
						 &writers[id]));
	for (id = 0; id < NR_WRITERS; id++)
		TEST_ASSERT_EQ(0, pthread_join(writers[id].thread, NULL));

	/*
	 * Nobody consumed: the ring filled up and stayed full, so each vCPU's writes are in
	 * the ring up to some point, in order, and every later one came as an exit.
	 */
	used = ring_used(ring);
	ring_model_from_capacity(used);
	for (i = 0; i < used; i++) {
		const struct kvm_coalesced_mmio *e =
			&ring->coalesced_mmio[(ring_first(ring) + i) % RING_MAX];
		uint64_t v, wid;

		memcpy(&v, e->data, 8);
		wid = v >> 32;
		TEST_ASSERT(wid < NR_WRITERS && e->len == 8 && !e->pio &&
			    e->phys_addr == writer_gpa(wid) && (uint32_t)v == next[wid],
			    "ring entry %u: %#llx len %u at %#llx; expected write %u of vCPU %llu at %#llx",
			    i, (unsigned long long)v, e->len, (unsigned long long)e->phys_addr,
			    wid < NR_WRITERS ? next[wid] : 0, (unsigned long long)wid,
			    (unsigned long long)writer_gpa(wid));
		next[wid]++;
	}
	for (id = 0; id < NR_WRITERS; id++) {
		struct writer *w = &writers[id];

		ksft_print_msg("vCPU %d: %u writes coalesced, %u exited\n", id, next[id],
			       w->nr_exited);
		TEST_ASSERT_EQ(WRITES_EACH, next[id] + w->nr_exited);
		for (i = 0; i < w->nr_exited; i++)
			TEST_ASSERT_EQ((uint64_t)id << 32 | (next[id] + i), w->exited[i]);
	}
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(8);
	run_subtest(test_caps, "KVM_CAP_COALESCED_MMIO is the ring's page (2), KVM_CAP_COALESCED_PIO 1");
	run_subtest(test_mmio, "MMIO zone: writes coalesced in order; reads, writes outside and across the end exit");
	run_subtest(test_ring_full, "ring full: the write exits as KVM_EXIT_MMIO (OUT as KVM_EXIT_IO), nothing lost");
	run_subtest(test_pio, "PIO zone: OUT and REP OUTSB coalesced with pio=1; IN and OUT outside exit");
	run_subtest(test_unregister, "unregister: zones containing the range go; overlapping zones record once");
	run_subtest(test_errno, "errnos: pio not 0/1 EINVAL, NULL EFAULT, overlap/empty/unknown accepted, 1000 zones");
	run_subtest(test_zone_before_vcpus, "zone registered before the vCPUs; one ring per VM");
	run_subtest(test_multi_vcpu, "four vCPUs past the ring's capacity: in order, nothing lost");
	ksft_finished();
}
