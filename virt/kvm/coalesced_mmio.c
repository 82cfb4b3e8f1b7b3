// SPDX-License-Identifier: GPL-2.0-only
/*
 * Coalesced MMIO and PIO (api.rst 4.116 KVM_(UN)REGISTER_COALESCED_MMIO, KVM_CAP_COALESCED_MMIO,
 * KVM_CAP_COALESCED_PIO): guest writes into a registered zone do not exit; they are appended
 * to a ring the VMM maps at KVM_COALESCED_MMIO_PAGE_OFFSET of any vCPU fd and drains when it
 * next gets control. Reads in a zone, and writes while the ring is full, exit as usual.
 *
 * The ring is one page per VM: `first` is the VMM's (the next entry it reads), `last` ours
 * (the next entry we fill); it is full when last + 1 == first, so one entry stays unused.
 * Zones are an immutable array replaced under kvm->lock and read under RCU.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "kvm_core.h"
#include "rcu_replace.h"

/* entries in the page after the ring's header (as Linux KVM's KVM_COALESCED_MMIO_MAX) */
#define RING_ENTRIES	((PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) / \
			 sizeof(struct kvm_coalesced_mmio))
/* MMIO zones and PIO zones per VM: Linux KVM's limit of devices on one bus (NR_IOBUS_DEVS) */
#define MAX_ZONES	1000

struct kvm_coalesced_zones {
	struct rcu_head rcu;
	unsigned int nr;
	struct kvm_coalesced_mmio_zone zone[];
};

int kvm_coalesced_mmio_init(struct kvm *kvm)
{
	spin_lock_init(&kvm->coalesced_lock);
	kvm->coalesced_ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return kvm->coalesced_ring ? 0 : -ENOMEM;
}

void kvm_coalesced_mmio_destroy(struct kvm *kvm)
{
	kfree(rcu_dereference_protected(kvm->coalesced_zones, true));
	free_page((unsigned long)kvm->coalesced_ring);
}

static bool zone_covers(const struct kvm_coalesced_mmio_zone *z, u64 addr, u64 len)
{
	return addr >= z->addr && addr + len >= addr && addr + len <= z->addr + z->size;
}

/* A guest write of len bytes at addr (a port when pio): true when the ring took it. */
bool kvm_coalesced_mmio_write(struct kvm *kvm, bool pio, u64 addr, unsigned int len,
			      const void *data)
{
	struct kvm_coalesced_mmio_ring *ring = kvm->coalesced_ring;
	const struct kvm_coalesced_zones *zones;
	bool found = false, taken = false;
	unsigned int i;
	u32 last;

	rcu_read_lock();
	zones = rcu_dereference(kvm->coalesced_zones);
	for (i = 0; zones && i < zones->nr && !found; i++)
		found = zones->zone[i].pio == pio && zone_covers(&zones->zone[i], addr, len);
	rcu_read_unlock();
	if (!found || len > sizeof(ring->coalesced_mmio[0].data))
		return false;

	spin_lock(&kvm->coalesced_lock);
	last = READ_ONCE(ring->last);
	/* both indices are in memory the VMM may scribble on */
	if (last < RING_ENTRIES && (last + 1) % RING_ENTRIES != READ_ONCE(ring->first)) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[last];

		e->phys_addr = addr;
		e->len = len;
		e->pio = pio;
		memcpy(e->data, data, len);
		/* the entry before the index that publishes it */
		smp_wmb();
		WRITE_ONCE(ring->last, (last + 1) % RING_ENTRIES);
		taken = true;
	}
	spin_unlock(&kvm->coalesced_lock);
	return taken;
}

struct page *kvm_coalesced_mmio_page(struct kvm *kvm)
{
	return virt_to_page(kvm->coalesced_ring);
}

static void zones_replace(struct kvm *kvm, struct kvm_coalesced_zones *new)
{
	kvm_rcu_replace(kvm->coalesced_zones, new, lockdep_is_held(&kvm->lock));
}

static struct kvm_coalesced_zones *zones_alloc(unsigned int nr)
{
	struct kvm_coalesced_zones *z;

	z = kzalloc(struct_size(z, zone, nr), GFP_KERNEL_ACCOUNT);
	if (z)
		z->nr = nr;
	return z;
}

static long zone_register(struct kvm *kvm, const struct kvm_coalesced_mmio_zone *zone)
{
	struct kvm_coalesced_zones *old, *new;
	unsigned int nr, i, same_kind = 0;

	if (zone->pio > 1)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	old = rcu_dereference_protected(kvm->coalesced_zones, lockdep_is_held(&kvm->lock));
	nr = old ? old->nr : 0;
	for (i = 0; i < nr; i++)
		same_kind += old->zone[i].pio == zone->pio;
	if (same_kind >= MAX_ZONES) {
		mutex_unlock(&kvm->lock);
		return -ENOSPC;
	}
	new = zones_alloc(nr + 1);
	if (!new) {
		mutex_unlock(&kvm->lock);
		return -ENOMEM;
	}
	if (nr)
		memcpy(new->zone, old->zone, nr * sizeof(*zone));
	new->zone[nr] = *zone;
	zones_replace(kvm, new);
	mutex_unlock(&kvm->lock);
	return 0;
}

/*
 * Every zone of the same kind that contains the given range goes (as on Linux KVM: a range
 * covering several zones removes none of them); a size of 2 GiB or more matches nothing.
 */
static long zone_unregister(struct kvm *kvm, const struct kvm_coalesced_mmio_zone *range)
{
	struct kvm_coalesced_zones *old, *new;
	unsigned int i, n = 0;
	long r = 0;

	if (range->pio > 1)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	old = rcu_dereference_protected(kvm->coalesced_zones, lockdep_is_held(&kvm->lock));
	if (!old)
		goto out;
	new = zones_alloc(old->nr);
	if (!new) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < old->nr; i++) {
		const struct kvm_coalesced_mmio_zone *z = &old->zone[i];

		if (z->pio == range->pio && (s32)range->size >= 0 &&
		    zone_covers(z, range->addr, range->size))
			continue;
		new->zone[n++] = *z;
	}
	new->nr = n;
	zones_replace(kvm, new);
out:
	mutex_unlock(&kvm->lock);
	return r;
}

long kvm_vm_ioctl_coalesced_mmio(struct kvm *kvm, void __user *argp, bool reg)
{
	struct kvm_coalesced_mmio_zone zone;

	if (copy_from_user(&zone, argp, sizeof(zone)))
		return -EFAULT;
	return reg ? zone_register(kvm, &zone) : zone_unregister(kvm, &zone);
}
