// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit suites of the memslots (virt/kvm/memslot.c) and the dirty log (virt/kvm/dirty.c), both
 * included here whole so that their static helpers can be tested too, on a VM that is only its
 * struct kvm (no mm, no vCPU). The arch MMU calls they make (invalidations, unmaps,
 * write-protection, TLB flushes) are stubs below that record what was asked, so the tests can
 * check that a slot leaving or starting to log goes through an invalidation.
 *
 * Not covered here: the ioctls' copy_from_user/copy_to_user paths (KVM_GET_DIRTY_LOG,
 * KVM_CLEAR_DIRTY_LOG, kvm_read_guest/kvm_write_guest need a user mm, which a KUnit thread
 * has not): the selftests dirty_log_test and set_memory_region_test cover them.
 */
#include <kunit/test.h>
#include <linux/export.h>
#include <linux/random.h>

/* kvm.ko exports kvm_read_guest: this module must not export it too */
#undef EXPORT_SYMBOL_GPL
#define EXPORT_SYMBOL_GPL(sym)

#include "../../../virt/kvm/memslot.c"
#include "../../../virt/kvm/dirty.c"

/* ---- the arch MMU, recorded ---- */

#define TEST_MAX_GFN	(1ULL << 36)	/* a 48-bit guest-physical address space */

static struct mmu_record {
	int invalidating;	/* nesting depth of invalidate_begin/end */
	int invalidations;
	int unmaps, unmaps_outside;	/* unmap calls, of which outside an invalidation */
	u64 unmap_start, unmap_end;
	int protects;
	u64 protect_start, protect_end;
	int protect_gfns;
	u64 protect_base;
	unsigned long protect_mask;
	int flushes;
	int log_stops, log_stops_outside;	/* dirty_log_stopped calls, outside an invalidation */
	u64 log_stop_base;
} rec;

int kvm_arch_check_gfn_range(struct kvm *kvm, u64 base_gfn, u64 npages)
{
	return base_gfn + npages > TEST_MAX_GFN ? -EINVAL : 0;
}

void kvm_arch_mmu_invalidate_begin(struct kvm *kvm, unsigned long hva_start,
				   unsigned long hva_end)
{
	rec.invalidating++;
	rec.invalidations++;
}

void kvm_arch_mmu_invalidate_end(struct kvm *kvm)
{
	rec.invalidating--;
}

void kvm_arch_unmap_gfn_range(struct kvm *kvm, u64 start, u64 end, bool may_sleep)
{
	rec.unmaps++;
	if (!rec.invalidating)
		rec.unmaps_outside++;
	rec.unmap_start = start;
	rec.unmap_end = end;
}

void kvm_arch_write_protect_range(struct kvm *kvm, u64 start, u64 end, bool may_sleep)
{
	rec.protects++;
	rec.protect_start = start;
	rec.protect_end = end;
}

void kvm_arch_write_protect_gfns(struct kvm *kvm, u64 base, unsigned long mask)
{
	rec.protect_gfns++;
	rec.protect_base = base;
	rec.protect_mask |= mask;
}

void kvm_arch_flush_remote_tlbs(struct kvm *kvm)
{
	rec.flushes++;
}

void kvm_arch_dirty_log_stopped(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	rec.log_stops++;
	if (!rec.invalidating)
		rec.log_stops_outside++;
	rec.log_stop_base = slot->base_gfn;
}

/* ---- a VM of only its memslots ---- */

static int memslot_test_init(struct kunit *test)
{
	struct kvm *kvm = kunit_kzalloc(test, sizeof(*kvm), GFP_KERNEL);

	if (!kvm)
		return -ENOMEM;
	if (init_srcu_struct(&kvm->srcu))
		return -ENOMEM;
	if (kvm_memslots_init(kvm)) {
		cleanup_srcu_struct(&kvm->srcu);
		return -ENOMEM;
	}
	memset(&rec, 0, sizeof(rec));
	test->priv = kvm;
	return 0;
}

static void memslot_test_exit(struct kunit *test)
{
	struct kvm *kvm = test->priv;

	kvm_memslots_destroy(kvm);
	cleanup_srcu_struct(&kvm->srcu);
}

#define UADDR	0x10000000UL	/* a user address: never touched here */

static int set_region(struct kvm *kvm, u32 slot, u32 flags, u64 gpa, u64 size,
		      unsigned long uaddr)
{
	struct kvm_userspace_memory_region mem = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = uaddr,
	};

	return kvm_vm_ioctl_set_memory_region(kvm, &mem);
}

static const struct kvm_memory_slot *lookup(struct kvm *kvm, u64 gfn)
{
	const struct kvm_memory_slot *slot;
	int idx = srcu_read_lock(&kvm->srcu);

	slot = kvm_gfn_to_memslot(kvm, gfn);
	srcu_read_unlock(&kvm->srcu, idx);
	return slot;
}

static int nr_slots(struct kvm *kvm)
{
	int nr;

	mutex_lock(&kvm->slots_lock);
	nr = memslots_locked(kvm)->nr;
	mutex_unlock(&kvm->slots_lock);
	return nr;
}

/* ---- KVM_SET_USER_MEMORY_REGION's rules (api.rst 4.35), with Linux KVM's errnos ---- */

struct region_case {
	const char *name;
	u32 slot, flags;
	u64 gpa, size;
	unsigned long uaddr;
	int err;
};

/* run against a VM holding slot 0: 16 pages at gpa 1 MiB, UADDR */
static const struct region_case region_cases[] = {
	{ "a second slot", 1, 0, 0x200000, 0x4000, UADDR + 0x100000, 0 },
	{ "slot id beyond KVM_USER_MEM_SLOTS", KVM_USER_MEM_SLOTS, 0, 0x200000, 0x1000, UADDR, -EINVAL },
	{ "address space 1 (no SMM)", 0x10001, 0, 0x200000, 0x1000, UADDR, -EINVAL },
	{ "unknown flag", 1, 1 << 7, 0x200000, 0x1000, UADDR, -EINVAL },
	{ "size not page aligned", 1, 0, 0x200000, 0x1800, UADDR, -EINVAL },
	{ "gpa not page aligned", 1, 0, 0x200800, 0x1000, UADDR, -EINVAL },
	{ "uaddr not page aligned", 1, 0, 0x200000, 0x1000, UADDR + 8, -EINVAL },
	{ "uaddr in the kernel half", 1, 0, 0x200000, 0x1000, 0xffff888000000000UL, -EINVAL },
	{ "gpa + size wraps", 1, 0, 0xfffffffffffff000ULL, 0x2000, UADDR, -EINVAL },
	{ "2^31 pages", 1, 0, 0, 1ULL << 43, UADDR, -EINVAL },
	{ "beyond the guest-physical width", 1, 0, TEST_MAX_GFN << PAGE_SHIFT, 0x1000, UADDR, -EINVAL },
	{ "overlaps slot 0's last page", 1, 0, 0x10f000, 0x1000, UADDR, -EEXIST },
	{ "contains slot 0", 1, 0, 0, 0x400000, UADDR, -EEXIST },
	{ "ends where slot 0 begins", 1, 0, 0xf0000, 0x10000, UADDR, 0 },
	{ "deleting a slot that does not exist", 5, 0, 0, 0, 0, -EINVAL },
	{ "slot 0 resized", 0, 0, 0x100000, 0x20000, UADDR, -EINVAL },
	{ "slot 0 with another uaddr", 0, 0, 0x100000, 0x10000, UADDR + 0x1000, -EINVAL },
	{ "slot 0 made read-only", 0, KVM_MEM_READONLY, 0x100000, 0x10000, UADDR, -EINVAL },
	{ "slot 0 unchanged", 0, 0, 0x100000, 0x10000, UADDR, 0 },
	{ "slot 0 logging", 0, KVM_MEM_LOG_DIRTY_PAGES, 0x100000, 0x10000, UADDR, 0 },
	{ "slot 0 moved", 0, 0, 0x800000, 0x10000, UADDR, 0 },
	{ "slot 0 deleted", 0, 0, 0, 0, 0, 0 },
};

static void region_case_desc(const struct region_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(region_cases, region_cases, region_case_desc);

static void memslot_region_rules(struct kunit *test)
{
	const struct region_case *c = test->param_value;
	struct kvm *kvm = test->priv;

	KUNIT_ASSERT_EQ(test, set_region(kvm, 0, 0, 0x100000, 0x10000, UADDR), 0);
	KUNIT_EXPECT_EQ(test, set_region(kvm, c->slot, c->flags, c->gpa, c->size, c->uaddr),
			c->err);
	if (c->err)
		KUNIT_EXPECT_EQ_MSG(test, nr_slots(kvm), 1, "a refused change changed the set");
}

/* ---- the gfn -> slot lookup ---- */

/* 64 slots of 1 to 8 pages with gaps of 0 to 3 pages, created in a shuffled order */
static void memslot_lookup(struct kunit *test)
{
	struct kvm *kvm = test->priv;
	enum { N = 64 };
	u64 base[N], pages[N], gfn = 16;
	int order[N], i, j;
	const struct kvm_memory_slot *s;

	for (i = 0; i < N; i++) {
		gfn += get_random_u32_below(4);
		base[i] = gfn;
		pages[i] = 1 + get_random_u32_below(8);
		gfn += pages[i];
		order[i] = i;
	}
	for (i = N - 1; i > 0; i--) {
		j = get_random_u32_below(i + 1);
		swap(order[i], order[j]);
	}
	for (i = 0; i < N; i++) {
		j = order[i];
		KUNIT_ASSERT_EQ(test, set_region(kvm, 100 + j, 0, base[j] << PAGE_SHIFT,
						 pages[j] << PAGE_SHIFT, UADDR + (j << 24)), 0);
	}
	KUNIT_EXPECT_EQ(test, nr_slots(kvm), N);

	/* the set is sorted by base_gfn */
	mutex_lock(&kvm->slots_lock);
	for (i = 1; i < N; i++)
		KUNIT_EXPECT_LT(test, memslots_locked(kvm)->slots[i - 1].base_gfn,
				memslots_locked(kvm)->slots[i].base_gfn);
	mutex_unlock(&kvm->slots_lock);

	/* every gfn from 0 to past the last slot: its slot, or none in the gaps */
	for (gfn = 0, i = 0; gfn < base[N - 1] + pages[N - 1] + 4; gfn++) {
		while (i < N && gfn >= base[i] + pages[i])
			i++;
		s = lookup(kvm, gfn);
		if (i < N && gfn >= base[i]) {
			KUNIT_ASSERT_NOT_NULL_MSG(test, s, "gfn %#llx in slot %d", gfn, 100 + i);
			KUNIT_EXPECT_EQ(test, s->id, 100 + i);
			KUNIT_EXPECT_EQ(test, kvm_memslot_gfn_to_hva(s, gfn),
					UADDR + ((unsigned long)i << 24) +
					((gfn - base[i]) << PAGE_SHIFT));
		} else {
			KUNIT_EXPECT_NULL_MSG(test, s, "gfn %#llx in a gap", gfn);
		}
	}
	KUNIT_EXPECT_NULL(test, lookup(kvm, ~0ULL));

	/* by id */
	mutex_lock(&kvm->slots_lock);
	for (i = 0; i < N; i++) {
		s = kvm_id_to_memslot(kvm, 100 + i);
		KUNIT_ASSERT_NOT_NULL(test, s);
		KUNIT_EXPECT_EQ(test, s->base_gfn, base[i]);
		KUNIT_EXPECT_EQ(test, s->npages, pages[i]);
	}
	KUNIT_EXPECT_NULL(test, kvm_id_to_memslot(kvm, 99));
	mutex_unlock(&kvm->slots_lock);
}

/* ---- what a change asks of the MMU ---- */

static void memslot_move_delete(struct kunit *test)
{
	struct kvm *kvm = test->priv;

	KUNIT_ASSERT_EQ(test, set_region(kvm, 3, 0, 0x100000, 0x10000, UADDR), 0);
	KUNIT_EXPECT_EQ_MSG(test, rec.invalidations, 0, "creating a slot invalidates nothing");

	/* a move: the old range unmapped and flushed inside an invalidation */
	KUNIT_ASSERT_EQ(test, set_region(kvm, 3, 0, 0x200000, 0x10000, UADDR), 0);
	KUNIT_EXPECT_EQ(test, rec.invalidations, 1);
	KUNIT_EXPECT_EQ(test, rec.invalidating, 0);
	KUNIT_EXPECT_EQ(test, rec.unmaps, 1);
	KUNIT_EXPECT_EQ(test, rec.unmaps_outside, 0);
	KUNIT_EXPECT_EQ(test, rec.unmap_start, 0x100ULL);
	KUNIT_EXPECT_EQ(test, rec.unmap_end, 0x110ULL);
	KUNIT_EXPECT_GE(test, rec.flushes, 1);
	KUNIT_EXPECT_NULL(test, lookup(kvm, 0x100));
	KUNIT_EXPECT_NOT_NULL(test, lookup(kvm, 0x20f));

	/* the same region again: nothing to do */
	memset(&rec, 0, sizeof(rec));
	KUNIT_ASSERT_EQ(test, set_region(kvm, 3, 0, 0x200000, 0x10000, UADDR), 0);
	KUNIT_EXPECT_EQ(test, rec.invalidations, 0);

	/* a delete */
	KUNIT_ASSERT_EQ(test, set_region(kvm, 3, 0, 0x200000, 0, UADDR), 0);
	KUNIT_EXPECT_EQ(test, rec.invalidations, 1);
	KUNIT_EXPECT_EQ(test, rec.unmaps, 1);
	KUNIT_EXPECT_EQ(test, rec.unmaps_outside, 0);
	KUNIT_EXPECT_EQ(test, rec.unmap_start, 0x200ULL);
	KUNIT_EXPECT_EQ(test, rec.unmap_end, 0x210ULL);
	KUNIT_EXPECT_NULL(test, lookup(kvm, 0x200));
	KUNIT_EXPECT_EQ(test, nr_slots(kvm), 0);
}

/* ---- the dirty log ---- */

static void dirty_start_logging(struct kunit *test)
{
	struct kvm *kvm = test->priv;
	const struct kvm_memory_slot *s;

	/* 100 pages: the log rounds up to two longs, then as much scratch space */
	KUNIT_ASSERT_EQ(test, set_region(kvm, 1, 0, 0x100000, 100 << PAGE_SHIFT, UADDR), 0);
	KUNIT_ASSERT_EQ(test, set_region(kvm, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x100000,
					 100 << PAGE_SHIFT, UADDR), 0);
	s = lookup(kvm, 0x100);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, s->dirty_bitmap);
	KUNIT_EXPECT_EQ(test, kvm_dirty_bitmap_bytes(s), 16UL);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(s->dirty_bitmap, 256));
	/* the slot is write-protected inside an invalidation, then flushed */
	KUNIT_EXPECT_EQ(test, rec.invalidations, 1);
	KUNIT_EXPECT_EQ(test, rec.protects, 1);
	KUNIT_EXPECT_EQ(test, rec.protect_start, 0x100ULL);
	KUNIT_EXPECT_EQ(test, rec.protect_end, 0x100ULL + 100);
	KUNIT_EXPECT_GE(test, rec.flushes, 1);
	KUNIT_EXPECT_EQ(test, rec.unmaps, 0);

	/* a move keeps the log */
	kvm_mark_page_dirty_in_slot(s, 0x100 + 70);
	KUNIT_ASSERT_EQ(test, set_region(kvm, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x400000,
					 100 << PAGE_SHIFT, UADDR), 0);
	s = lookup(kvm, 0x400);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_TRUE(test, test_bit(70, s->dirty_bitmap));
	KUNIT_EXPECT_EQ(test, rec.log_stops, 0);

	/* logging stops: the arch drops what 2 MiB mappings can replace, inside an invalidation */
	rec.flushes = 0;
	KUNIT_ASSERT_EQ(test, set_region(kvm, 1, 0, 0x400000, 100 << PAGE_SHIFT, UADDR), 0);
	s = lookup(kvm, 0x400);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_NULL(test, s->dirty_bitmap);
	KUNIT_EXPECT_EQ(test, rec.log_stops, 1);
	KUNIT_EXPECT_EQ(test, rec.log_stops_outside, 0);
	KUNIT_EXPECT_EQ(test, rec.log_stop_base, 0x400ULL);
	KUNIT_EXPECT_GE(test, rec.flushes, 1);
}

static void dirty_initially_set(struct kunit *test)
{
	struct kvm *kvm = test->priv;
	const struct kvm_memory_slot *s;

	KUNIT_EXPECT_EQ(test, kvm_vm_ioctl_enable_dirty_log_cap(kvm, KVM_DIRTY_LOG_INITIALLY_SET),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, kvm_vm_ioctl_enable_dirty_log_cap(kvm, 1ULL << 5), -EINVAL);
	KUNIT_ASSERT_EQ(test, kvm_vm_ioctl_enable_dirty_log_cap(kvm,
			KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET), 0);

	KUNIT_ASSERT_EQ(test, set_region(kvm, 1, 0, 0x100000, 70 << PAGE_SHIFT, UADDR), 0);
	KUNIT_ASSERT_EQ(test, set_region(kvm, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x100000,
					 70 << PAGE_SHIFT, UADDR), 0);
	s = lookup(kvm, 0x100);
	KUNIT_ASSERT_NOT_NULL(test, s);
	/* every page reads dirty, none beyond the slot; nothing write-protected yet */
	KUNIT_EXPECT_EQ(test, bitmap_weight(s->dirty_bitmap, 128), 70U);
	KUNIT_EXPECT_EQ(test, rec.protects, 0);
}

static void dirty_take_and_protect(struct kunit *test)
{
	struct kvm *kvm = test->priv;
	const struct kvm_memory_slot *s;
	unsigned long got;

	KUNIT_ASSERT_EQ(test, set_region(kvm, 2, KVM_MEM_LOG_DIRTY_PAGES, 0x100000,
					 128 << PAGE_SHIFT, UADDR), 0);
	s = lookup(kvm, 0x100);
	KUNIT_ASSERT_NOT_NULL(test, s);
	kvm_mark_page_dirty_in_slot(s, 0x100 + 0);
	kvm_mark_page_dirty_in_slot(s, 0x100 + 63);
	kvm_mark_page_dirty_in_slot(s, 0x100 + 64);
	kvm_mark_page_dirty_in_slot(s, 0x100 + 100);

	/* the whole first word: taken, cleared, those gfns write-protected */
	memset(&rec, 0, sizeof(rec));
	mutex_lock(&kvm->slots_lock);
	got = take_and_protect(kvm, s, 0, ~0UL);
	KUNIT_EXPECT_EQ(test, got, BIT(0) | BIT(63));
	KUNIT_EXPECT_EQ(test, s->dirty_bitmap[0], 0UL);
	KUNIT_EXPECT_EQ(test, rec.protect_gfns, 1);
	KUNIT_EXPECT_EQ(test, rec.protect_base, 0x100ULL);
	KUNIT_EXPECT_EQ(test, rec.protect_mask, BIT(0) | BIT(63));

	/* part of the second word (KVM_CLEAR_DIRTY_LOG): only the asked bits */
	memset(&rec, 0, sizeof(rec));
	got = take_and_protect(kvm, s, 1, BIT(36) | BIT(1));
	KUNIT_EXPECT_EQ(test, got, BIT(36));
	KUNIT_EXPECT_EQ(test, s->dirty_bitmap[1], BIT(0));
	KUNIT_EXPECT_EQ(test, rec.protect_base, 0x100ULL + 64);
	KUNIT_EXPECT_EQ(test, rec.protect_mask, BIT(36));

	/* nothing set: nothing protected */
	memset(&rec, 0, sizeof(rec));
	KUNIT_EXPECT_EQ(test, take_and_protect(kvm, s, 0, ~0UL), 0UL);
	KUNIT_EXPECT_EQ(test, rec.protect_gfns, 0);
	mutex_unlock(&kvm->slots_lock);
}

static void dirty_log_slot_errnos(struct kunit *test)
{
	struct kvm *kvm = test->priv;
	int err;

	KUNIT_ASSERT_EQ(test, set_region(kvm, 1, 0, 0x100000, 0x10000, UADDR), 0);
	KUNIT_ASSERT_EQ(test, set_region(kvm, 2, KVM_MEM_LOG_DIRTY_PAGES, 0x200000, 0x10000,
					 UADDR), 0);
	mutex_lock(&kvm->slots_lock);
	KUNIT_EXPECT_NOT_NULL(test, dirty_log_slot(kvm, 2, &err));
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_NULL(test, dirty_log_slot(kvm, 1, &err));
	KUNIT_EXPECT_EQ_MSG(test, err, -ENOENT, "a slot that does not log");
	KUNIT_EXPECT_NULL(test, dirty_log_slot(kvm, 7, &err));
	KUNIT_EXPECT_EQ_MSG(test, err, -ENOENT, "a slot that does not exist");
	KUNIT_EXPECT_NULL(test, dirty_log_slot(kvm, 0x10002, &err));
	KUNIT_EXPECT_EQ_MSG(test, err, -ENOENT, "address space 1");
	KUNIT_EXPECT_NULL(test, dirty_log_slot(kvm, 0x20002, &err));
	KUNIT_EXPECT_EQ_MSG(test, err, -EINVAL, "address space 2");
	KUNIT_EXPECT_NULL(test, dirty_log_slot(kvm, KVM_USER_MEM_SLOTS, &err));
	KUNIT_EXPECT_EQ_MSG(test, err, -EINVAL, "id out of range");
	mutex_unlock(&kvm->slots_lock);

	/* logging off frees the log; the slot stays */
	KUNIT_ASSERT_EQ(test, set_region(kvm, 2, 0, 0x200000, 0x10000, UADDR), 0);
	KUNIT_EXPECT_NULL(test, lookup(kvm, 0x200)->dirty_bitmap);
}

static struct kunit_case memslot_test_cases[] = {
	KUNIT_CASE_PARAM(memslot_region_rules, region_cases_gen_params),
	KUNIT_CASE(memslot_lookup),
	KUNIT_CASE(memslot_move_delete),
	{}
};

static struct kunit_suite memslot_test_suite = {
	.name = "kvm_memslot",
	.init = memslot_test_init,
	.exit = memslot_test_exit,
	.test_cases = memslot_test_cases,
};

static struct kunit_case dirty_test_cases[] = {
	KUNIT_CASE(dirty_start_logging),
	KUNIT_CASE(dirty_initially_set),
	KUNIT_CASE(dirty_take_and_protect),
	KUNIT_CASE(dirty_log_slot_errnos),
	{}
};

static struct kunit_suite dirty_test_suite = {
	.name = "kvm_dirty_log",
	.init = memslot_test_init,
	.exit = memslot_test_exit,
	.test_cases = dirty_test_cases,
};

kunit_test_suites(&memslot_test_suite, &dirty_test_suite);
