// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read-only memory slots: KVM_MEM_READONLY (api.rst 4.35 KVM_SET_USER_MEMORY_REGION,
 * KVM_CAP_READONLY_MEM): "writes to this memory will be posted to userspace as
 * KVM_EXIT_MMIO exits", while reads (and instruction fetches) see the memory.
 *
 * A long-mode guest maps a read-only slot writable in its own page tables, so every write
 * reaches KVM, which must turn it into a KVM_EXIT_MMIO write (api.rst 5, KVM_EXIT_MMIO)
 * and leave the memory as it was.
 *
 * - the capability is reported on /dev/kvm and on a VM.
 * - for three backings (anonymous memory, a PROT_READ mapping of a memfd, a slot that also
 *   has KVM_MEM_LOG_DIRTY_PAGES): the guest reads 1, 2, 4 and 8 bytes (unaligned, and
 *   across a page) and runs code from the slot; userspace rewrites the backing and the
 *   guest reads the new contents; every write the guest makes exits with the address,
 *   length and data it wrote (a write across a page in two exits, one per page), the
 *   memory is unchanged afterwards and the guest goes on after each exit; a logged slot
 *   logs nothing.
 * - read-modify-write instructions (ADD, OR, XCHG, LOCK CMPXCHG): KVM reads the slot and
 *   exits with the value computed from it; XCHG returns the old value in its register.
 * - REP STOS and REP MOVS, forwards and backwards (DF=1): one exit per element, and RCX,
 *   RDI, RSI as the CPU leaves them.
 * - flags: READONLY with LOG_DIRTY_PAGES is accepted (x86 6.1: both flags are valid, and
 *   nothing rejects the pair); LOG_DIRTY_PAGES may be toggled on a read-only slot; READONLY
 *   can neither be set nor cleared on an existing slot (EINVAL: only LOG_DIRTY_PAGES may
 *   change); a read-only slot can be moved and deleted; unknown flag bits are EINVAL.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_access.h"
#include "x86_guest.h"

#define RO_SLOT		1
#define RO_GPA		(1024 * MiB)
#define RO_PAGES	4
#define RO_SIZE		(RO_PAGES * PAGE_SIZE)
#define RO_CODE_OFF	0x3000		/* the code blob, copied into the slot */
#define SEED_FIRST	1
#define SEED_SECOND	2		/* after userspace rewrote the backing */
#define CODE_RESULT	0x5eed1234

#define __str(x)	#x
#define str(x)		__str(x)

/* --- shared by guest and host: the slot's contents and the accesses --- */

/* Byte i of the slot's contents for a seed: no period a wrong offset could hide in. */
static uint8_t pattern_byte(uint64_t seed, uint64_t i)
{
	return ((i + 1) * 0x9e3779b97f4a7c15ULL ^ seed * 0xbf58476d1ce4e5b9ULL) >> 56;
}

/* The little-endian value of len bytes of the pattern at off. */
static uint64_t pattern_value(uint64_t seed, uint64_t off, int len)
{
	uint64_t v = 0;
	int i;

	for (i = len - 1; i >= 0; i--)
		v = v << 8 | pattern_byte(seed, off + i);
	return v;
}

struct access {
	uint32_t off;		/* from RO_GPA */
	uint8_t len;
	uint64_t val;		/* written (writes only) */
};

static const struct access reads[] = {
	{ .off = 0x000, .len = 1 }, { .off = 0x001, .len = 1 }, { .off = 0x0ff, .len = 1 },
	{ .off = 0x010, .len = 2 }, { .off = 0x013, .len = 2 },
	{ .off = 0x100, .len = 4 }, { .off = 0x105, .len = 4 },
	{ .off = 0x200, .len = 8 }, { .off = 0x20b, .len = 8 },
	{ .off = 0xffc, .len = 8 },			/* across the first page boundary */
	{ .off = RO_CODE_OFF - 8, .len = 8 },
};

static const struct access writes[] = {
	{ 0x040, 1, 0x5a },
	{ 0x051, 2, 0xbeef },
	{ 0x104, 4, 0xdeadbeef },
	{ 0x10a, 4, 0x01020304 },		/* unaligned */
	{ 0x208, 8, 0x0123456789abcdefULL },
	{ 0x1ffa, 8, 0xa1a2a3a4a5a6a7a8ULL },	/* across a page: two exits */
	{ 0x2ff8, 8, 0xfffefdfcfbfaf9f8ULL },
};

/* mov $CODE_RESULT, %eax; ret -- copied into the read-only slot and called there */
asm(".pushsection .rodata, \"a\"\n"
    "ro_code_start:\n"
    "	mov $" str(CODE_RESULT) ", %eax\n"
    "	ret\n"
    "ro_code_end:\n"
    ".popsection\n");
extern const uint8_t ro_code_start[], ro_code_end[];

/* --- guest side --- */

static uint64_t guest_read(uint64_t gpa, int len)
{
	switch (len) {
	case 1: return *(volatile uint8_t *)gpa;
	case 2: return *(volatile uint16_t *)gpa;
	case 4: return *(volatile uint32_t *)gpa;
	default: return *(volatile uint64_t *)gpa;
	}
}

static void guest_write(uint64_t gpa, int len, uint64_t val)
{
	switch (len) {
	case 1: *(volatile uint8_t *)gpa = val; break;
	case 2: *(volatile uint16_t *)gpa = val; break;
	case 4: *(volatile uint32_t *)gpa = val; break;
	default: *(volatile uint64_t *)gpa = val; break;
	}
}

static void guest_check_reads(uint64_t seed)
{
	uint64_t want, got;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reads); i++) {
		want = pattern_value(seed, reads[i].off, reads[i].len);
		got = guest_read(RO_GPA + reads[i].off, reads[i].len);
		__GUEST_ASSERT(got == want, "read-only slot read",
			       "%d-byte read at offset %#x: expected %#llx, got %#llx",
			       reads[i].len, reads[i].off, want, got);
	}
}

static void guest_read_write(void)
{
	uint32_t (*code)(void) = (uint32_t (*)(void))(RO_GPA + RO_CODE_OFF);
	uint64_t want, got;
	size_t i;

	guest_check_reads(SEED_FIRST);
	GUEST_ASSERT_EQ(CODE_RESULT, code());
	GUEST_SYNC(1);
	guest_check_reads(SEED_SECOND);
	GUEST_SYNC(2);
	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		guest_write(RO_GPA + writes[i].off, writes[i].len, writes[i].val);
		/* the write went to userspace, not into the slot */
		want = pattern_value(SEED_SECOND, writes[i].off, writes[i].len);
		got = guest_read(RO_GPA + writes[i].off, writes[i].len);
		__GUEST_ASSERT(got == want, "read-only slot unchanged by a write",
			       "after the %d-byte write at offset %#x: expected %#llx, got %#llx",
			       writes[i].len, writes[i].off, want, got);
	}
	GUEST_SYNC(3, i);
	GUEST_DONE();
}

/* --- host side --- */

enum backing {
	BACKING_ANON,		/* MAP_PRIVATE anonymous, PROT_READ | PROT_WRITE */
	BACKING_MEMFD_RO,	/* a memfd mapped MAP_SHARED with PROT_READ only */
};

struct ro_slot {
	enum backing backing;
	int memfd;
	uint8_t *hva;
	uint32_t flags;
};

/* Fill the slot's backing with the pattern of seed, through whatever can write it. */
static void ro_fill(struct ro_slot *s, uint64_t seed)
{
	static uint8_t buf[RO_SIZE];
	uint64_t i;

	for (i = 0; i < RO_SIZE; i++)
		buf[i] = pattern_byte(seed, i);
	memcpy(buf + RO_CODE_OFF, ro_code_start, ro_code_end - ro_code_start);
	if (s->backing == BACKING_ANON)
		memcpy(s->hva, buf, RO_SIZE);
	else
		TEST_ASSERT_EQ(RO_SIZE, pwrite(s->memfd, buf, RO_SIZE, 0));
}

/* The slot reads the pattern of seed (apart from the code blob). */
static void ro_assert_unchanged(struct ro_slot *s, uint64_t seed, const char *when)
{
	uint64_t code_len = ro_code_end - ro_code_start, i;

	for (i = 0; i < RO_SIZE; i++) {
		uint8_t want = pattern_byte(seed, i);

		if (i >= RO_CODE_OFF && i < RO_CODE_OFF + code_len)
			want = ro_code_start[i - RO_CODE_OFF];
		TEST_ASSERT(s->hva[i] == want,
			    "%s: byte %#llx of the read-only slot: expected %#x, got %#x",
			    when, (unsigned long long)i, want, s->hva[i]);
	}
}

static void ro_slot_create(struct kvm_vm *vm, struct ro_slot *s, enum backing backing,
			   uint32_t flags)
{
	s->backing = backing;
	s->flags = KVM_MEM_READONLY | flags;
	s->memfd = -1;
	if (backing == BACKING_ANON) {
		s->hva = mmap_aligned(RO_SIZE, PAGE_SIZE);
	} else {
		s->memfd = memfd_create("readonly_mem_test", MFD_CLOEXEC);
		TEST_ASSERT(s->memfd >= 0, "memfd_create");
		TEST_ASSERT_EQ(0, ftruncate(s->memfd, RO_SIZE));
		s->hva = mmap(NULL, RO_SIZE, PROT_READ, MAP_SHARED, s->memfd, 0);
		TEST_ASSERT(s->hva != MAP_FAILED, "mmap of the memfd with PROT_READ");
	}
	ro_fill(s, SEED_FIRST);
	vm_set_slot(vm, RO_SLOT, s->flags, RO_GPA, RO_SIZE, s->hva);
	/* writable in the guest's page tables: only the slot makes it read-only */
	guest_map_range(vm, RO_GPA, RO_GPA, RO_SIZE);
}

/*
 * KVM_RUN; the exit must be one KVM_EXIT_MMIO write of len bytes of val at gpa. Userspace
 * has nothing to answer for a write: the next KVM_RUN goes on after it.
 */
static void __expect_mmio_write(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t len, uint64_t val,
				const char *what)
{
	struct kvm_run *run = vcpu->run;
	uint64_t data = 0;

	vcpu_run_exit(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	if (run->mmio.len <= sizeof(data))
		memcpy(&data, run->mmio.data, run->mmio.len);
	TEST_ASSERT(run->mmio.is_write && run->mmio.phys_addr == gpa && run->mmio.len == len &&
		    data == (val & len_mask(len)),
		    "%s: expected an MMIO write of %u bytes %#llx at %#llx, got %s of %u bytes %#llx at %#llx",
		    what, len, (unsigned long long)(val & len_mask(len)), (unsigned long long)gpa,
		    run->mmio.is_write ? "a write" : "a read", run->mmio.len,
		    (unsigned long long)data, (unsigned long long)run->mmio.phys_addr);
}

/*
 * A write that crosses a page boundary reaches userspace as one exit per page, low
 * addresses first (KVM_EXIT_MMIO carries one physically contiguous access).
 */
static void expect_mmio_write(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t len, uint64_t val,
			      const char *what)
{
	uint32_t first = PAGE_SIZE - (gpa & ~PAGE_MASK);

	if (first >= len) {
		__expect_mmio_write(vcpu, gpa, len, val, what);
		return;
	}
	__expect_mmio_write(vcpu, gpa, first, val, what);
	__expect_mmio_write(vcpu, gpa + first, len - first, val >> (8 * first), what);
}

static void expect_sync(struct kvm_vcpu *vcpu, uint64_t n, struct ucall *uc)
{
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, uc);
	TEST_ASSERT_EQ(n, uc->args[0]);
}

static void test_cap(void)
{
	int kvm = kvm_open(), vm = vm_create(kvm);

	TEST_ASSERT_EQ(1, kvm_check_cap(kvm, KVM_CAP_READONLY_MEM));
	TEST_ASSERT_EQ(1, kvm_check_cap(vm, KVM_CAP_READONLY_MEM));
	close(vm);
	close(kvm);
}

static void read_write(enum backing backing, uint32_t flags)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu;
	uint64_t bitmap[RO_PAGES / 64 + 1];
	struct kvm_dirty_log log = { .slot = RO_SLOT, .dirty_bitmap = bitmap };
	struct ro_slot s;
	struct ucall uc;
	char what[64];
	size_t i;

	ro_slot_create(vm, &s, backing, flags);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_read_write);

	/* reads and code see the contents; then userspace changes them under the guest */
	expect_sync(vcpu, 1, &uc);
	ro_fill(&s, SEED_SECOND);
	expect_sync(vcpu, 2, &uc);

	for (i = 0; i < ARRAY_SIZE(writes); i++) {
		snprintf(what, sizeof(what), "write %zu (offset %#x)", i, writes[i].off);
		expect_mmio_write(vcpu, RO_GPA + writes[i].off, writes[i].len, writes[i].val,
				  what);
		ro_assert_unchanged(&s, SEED_SECOND, what);
	}
	/* the guest went on after every exit, and read the old contents back each time */
	expect_sync(vcpu, 3, &uc);
	TEST_ASSERT_EQ(ARRAY_SIZE(writes), uc.args[1]);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);

	if (flags & KVM_MEM_LOG_DIRTY_PAGES) {
		/* nothing was written: the whole bitmap comes back clear */
		memset(bitmap, 0xff, sizeof(bitmap));
		vm_ioctl(vm, KVM_GET_DIRTY_LOG, &log);
		TEST_ASSERT_EQ(0, bitmap[0] & ((1ULL << RO_PAGES) - 1));
	}
	kvm_vm_free(vm);
}

static void test_anon(void)
{
	read_write(BACKING_ANON, 0);
}

static void test_prot_read(void)
{
	read_write(BACKING_MEMFD_RO, 0);
}

static void test_log_dirty(void)
{
	read_write(BACKING_ANON, KVM_MEM_LOG_DIRTY_PAGES);
}

/* --- read-modify-write instructions --- */

enum rmw_op { RMW_ADD, RMW_OR, RMW_XCHG, RMW_CMPXCHG };

struct rmw {
	enum rmw_op op;
	uint32_t off;
	uint8_t len;
	uint64_t operand;
};

static const struct rmw rmws[] = {
	{ RMW_ADD, 0x400, 4, 1 },			/* addl $1, (m) */
	{ RMW_OR, 0x411, 1, 0x80 },			/* orb $0x80, (m) */
	{ RMW_XCHG, 0x418, 8, 0x1122334455667788ULL },	/* xchg %r, (m): implicitly locked */
	{ RMW_CMPXCHG, 0x424, 4, 0xcafef00d },		/* lock cmpxchg, old value matches */
};

/* What the instruction writes, from what it reads in the slot. */
static uint64_t rmw_result(const struct rmw *r)
{
	uint64_t old = pattern_value(SEED_FIRST, r->off, r->len);

	switch (r->op) {
	case RMW_ADD: return (old + r->operand) & len_mask(r->len);
	case RMW_OR: return old | r->operand;
	default: return r->operand;
	}
}

static void guest_rmw(void)
{
	uint64_t old, reg;
	uint32_t eax;
	uint8_t zf;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rmws); i++) {
		const struct rmw *r = &rmws[i];
		void *p = (void *)(RO_GPA + r->off);

		old = pattern_value(SEED_FIRST, r->off, r->len);
		switch (r->op) {
		case RMW_ADD:
			asm volatile("addl %1, %0"
				     : "+m"(*(uint32_t *)p) : "r"((uint32_t)r->operand));
			break;
		case RMW_OR:
			asm volatile("orb %1, %0" : "+m"(*(uint8_t *)p) : "q"((uint8_t)r->operand));
			break;
		case RMW_XCHG:
			reg = r->operand;
			asm volatile("xchg %0, %1" : "+r"(reg), "+m"(*(uint64_t *)p));
			/* the read half came from the slot */
			GUEST_ASSERT_EQ(old, reg);
			break;
		case RMW_CMPXCHG:
			eax = old;
			asm volatile("lock cmpxchgl %3, %1; sete %0"
				     : "=q"(zf), "+m"(*(uint32_t *)p), "+a"(eax)
				     : "r"((uint32_t)r->operand) : "cc");
			GUEST_ASSERT_EQ(1, zf);
			GUEST_ASSERT_EQ(old, eax);
			break;
		}
		GUEST_ASSERT_EQ(old, guest_read((uint64_t)p, r->len));
	}
	GUEST_DONE();
}

static void test_rmw(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu;
	static const char * const names[] = {
		[RMW_ADD] = "ADD", [RMW_OR] = "OR", [RMW_XCHG] = "XCHG",
		[RMW_CMPXCHG] = "LOCK CMPXCHG",
	};
	struct ro_slot s;
	size_t i;

	ro_slot_create(vm, &s, BACKING_ANON, 0);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_rmw);
	for (i = 0; i < ARRAY_SIZE(rmws); i++) {
		expect_mmio_write(vcpu, RO_GPA + rmws[i].off, rmws[i].len, rmw_result(&rmws[i]),
				  names[rmws[i].op]);
		ro_assert_unchanged(&s, SEED_FIRST, names[rmws[i].op]);
	}
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- REP STOS / REP MOVS --- */

enum rep_insn { STOSL, MOVSQ, STOSB_DOWN, MOVSW_DOWN, STOSQ };

struct rep {
	enum rep_insn insn;
	const char *name;
	bool movs;		/* else STOS */
	bool backwards;		/* DF=1 */
	uint8_t size;
	uint32_t off;		/* RDI at the start, from RO_GPA */
	uint32_t count;		/* RCX */
	uint64_t val;		/* STOS: RAX */
};

static const uint64_t movs_src[] = {
	0x0101010101010101ULL, 0x0202020202020202ULL, 0x0303030303030303ULL,
	0x0404040404040404ULL, 0x0505050505050505ULL,
};

static const struct rep reps[] = {
	{ STOSL, "rep stosl", false, false, 4, 0x800, 8, 0xabcd1234 },
	{ MOVSQ, "rep movsq", true, false, 8, 0x900, 5, 0 },
	{ STOSB_DOWN, "std; rep stosb", false, true, 1, 0xa0f, 6, 0x77 },
	{ MOVSW_DOWN, "std; rep movsw", true, true, 2, 0xb0e, 4, 0 },
	{ STOSQ, "rep stosq, RCX = 0", false, false, 8, 0xc00, 0, 1 },	/* no access */
};

/* Element i's address and the value written there. */
static uint64_t rep_gpa(const struct rep *r, uint32_t i)
{
	return RO_GPA + r->off + (r->backwards ? -(int64_t)i : (int64_t)i) * r->size;
}

static uint64_t rep_src(const struct rep *r)
{
	/* backwards: from the last element of the source down */
	return (uint64_t)movs_src + (r->backwards ? (r->count - 1) * r->size : 0);
}

static uint64_t rep_val(const struct rep *r, uint32_t i)
{
	uint64_t v;

	if (!r->movs)
		return r->val;
	memcpy(&v, (const uint8_t *)rep_src(r) + (r->backwards ? -(int64_t)i : (int64_t)i) *
	       r->size, sizeof(v));
	return v;
}

static void guest_rep(void)
{
	uint64_t rdi, rsi, rcx;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reps); i++) {
		const struct rep *r = &reps[i];

		rdi = RO_GPA + r->off;
		rsi = rep_src(r);
		rcx = r->count;
		switch (r->insn) {
		case STOSL:
			asm volatile("rep stosl" : "+D"(rdi), "+c"(rcx) : "a"(r->val) : "memory");
			break;
		case MOVSQ:
			asm volatile("rep movsq" : "+D"(rdi), "+S"(rsi), "+c"(rcx) : : "memory");
			break;
		case STOSB_DOWN:
			asm volatile("std; rep stosb; cld" : "+D"(rdi), "+c"(rcx) : "a"(r->val)
				     : "memory", "cc");
			break;
		case MOVSW_DOWN:
			asm volatile("std; rep movsw; cld" : "+D"(rdi), "+S"(rsi), "+c"(rcx) : :
				     "memory", "cc");
			break;
		case STOSQ:
			asm volatile("rep stosq" : "+D"(rdi), "+c"(rcx) : "a"(r->val) : "memory");
			break;
		}
		GUEST_ASSERT_EQ(0, rcx);
		GUEST_ASSERT_EQ(rep_gpa(r, r->count), rdi);
		if (r->movs)
			GUEST_ASSERT_EQ(rep_src(r) + (r->backwards ? -(int64_t)r->count :
						      (int64_t)r->count) * r->size, rsi);
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

static void test_rep(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu;
	struct ro_slot s;
	struct ucall uc;
	char what[64];
	uint32_t e;
	size_t i;

	ro_slot_create(vm, &s, BACKING_ANON, 0);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_rep);
	for (i = 0; i < ARRAY_SIZE(reps); i++) {
		for (e = 0; e < reps[i].count; e++) {
			snprintf(what, sizeof(what), "%s, element %u", reps[i].name, e);
			expect_mmio_write(vcpu, rep_gpa(&reps[i], e), reps[i].size,
					  rep_val(&reps[i], e), what);
		}
		/* no more exits for this instruction: next comes the guest's report */
		expect_sync(vcpu, i, &uc);
		ro_assert_unchanged(&s, SEED_FIRST, reps[i].name);
	}
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	kvm_vm_free(vm);
}

/* --- flags --- */

static int set_region(int vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		      void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);
}

static void test_flags(void)
{
	const uint32_t RO = KVM_MEM_READONLY, LOG = KVM_MEM_LOG_DIRTY_PAGES;
	int kvm = kvm_open(), vm = vm_create(kvm);
	uint8_t *mem = mmap_aligned(3 * MiB, PAGE_SIZE);
	uint8_t *a = mem, *b = mem + MiB, *c = mem + 2 * MiB;
	const uint64_t A = 1ULL << 30, B = 2ULL << 30, C = 3ULL << 30;
	int bit;

	/* slot 1 read-only, slot 2 read-only and logged, slot 3 ordinary */
	TEST_ASSERT_EQ(0, set_region(vm, 1, RO, A, MiB, a));
	TEST_ASSERT_EQ(0, set_region(vm, 2, RO | LOG, B, MiB, b));
	TEST_ASSERT_EQ(0, set_region(vm, 3, 0, C, MiB, c));

	/* flags-only changes of LOG_DIRTY_PAGES keep working on read-only slots */
	TEST_ASSERT_EQ(0, set_region(vm, 1, RO | LOG, A, MiB, a));
	TEST_ASSERT_EQ(0, set_region(vm, 1, RO, A, MiB, a));
	TEST_ASSERT_EQ(0, set_region(vm, 2, RO, B, MiB, b));
	TEST_ASSERT_EQ(0, set_region(vm, 2, RO | LOG, B, MiB, b));

	/*
	 * READONLY is fixed at creation (api.rst 4.35: the flag makes "a new slot"
	 * read-only; of an existing slot only LOG_DIRTY_PAGES may change): EINVAL both ways,
	 * with or without LOG_DIRTY_PAGES, in place or together with a move.
	 */
	TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 1, 0, A, MiB, a));
	TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 1, LOG, A, MiB, a));
	TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 2, LOG, B, MiB, b));
	TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 3, RO, C, MiB, c));
	TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 3, RO | LOG, C, MiB, c));
	TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 1, 0, A + 4 * MiB, MiB, a));
	TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 3, RO, C + 4 * MiB, MiB, c));

	/* unknown flag bits: EINVAL when creating, modifying and deleting */
	for (bit = 2; bit < 32; bit++) {
		uint32_t bad = 1U << bit;

		TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 4, bad, 4ULL << 30, MiB, c));
		TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 4, RO | bad, 4ULL << 30, MiB, c));
		TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 1, RO | bad, A, MiB, a));
		TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 1, RO | bad, A, 0, a));
	}

	/* a read-only slot moves with its flag, and is deleted like any other */
	TEST_ASSERT_EQ(0, set_region(vm, 1, RO, A + 4 * MiB, MiB, a));
	TEST_ASSERT_ERRNO(EINVAL, set_region(vm, 1, 0, A + 4 * MiB, MiB, a));
	TEST_ASSERT_EQ(0, set_region(vm, 1, RO, A + 4 * MiB, 0, a));
	/* deleted: the id is free for an ordinary slot */
	TEST_ASSERT_EQ(0, set_region(vm, 1, 0, A, MiB, a));
	/* deletion looks at no flag but the unknown ones */
	TEST_ASSERT_EQ(0, set_region(vm, 2, 0, B, 0, b));
	TEST_ASSERT_EQ(0, set_region(vm, 2, RO, B, MiB, b));
	close(vm);
	close(kvm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(7);
	run_subtest(test_cap, "KVM_CAP_READONLY_MEM is 1 on /dev/kvm and on a VM");
	run_subtest(test_anon, "read-only slot of anonymous memory: reads, code, userspace updates; writes exit as MMIO");
	run_subtest(test_prot_read, "read-only slot on a PROT_READ memfd mapping: the same");
	run_subtest(test_log_dirty, "READONLY | LOG_DIRTY_PAGES: the same, and nothing logged");
	run_subtest(test_rmw, "read-modify-write (ADD, OR, XCHG, LOCK CMPXCHG): MMIO write of the result");
	run_subtest(test_rep, "REP STOS/MOVS forwards and backwards: one MMIO write per element");
	run_subtest(test_flags, "flags: READONLY fixed at creation, LOG_DIRTY_PAGES toggles, unknown bits EINVAL");
	ksft_finished();
}
