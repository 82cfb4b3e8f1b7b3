// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioeventfd (api.rst 4.59 KVM_IOEVENTFD, KVM_CAP_IOEVENTFD, KVM_CAP_IOEVENTFD_ANY_LENGTH): a
 * guest write to a registered port or guest-physical address signals an eventfd instead of
 * exiting to userspace, the doorbell of a paravirtual device (virtio's queue notify) whose
 * backend thread (vhost, an I/O thread) waits on the eventfd.
 *
 * A write matches when its address is the registered one and, unless the length is 0 (any
 * length), its length too and, with KVM_IOEVENTFD_FLAG_DATAMATCH, its value. The rules for
 * registering are Linux KVM's: length 0, 1, 2, 4 or 8; no datamatch with length 0; EEXIST
 * when an existing one on the same bus and address could match the same write (a length 0 on
 * either side, or the same length with a wildcard on either side or the same value);
 * deassigning needs the same fd, address, length and datamatch, else ENOENT.
 *
 * The set is an immutable array replaced under kvm->lock and read under RCU by the vCPUs'
 * exit paths; the eventfd references it holds go after a grace period, so closing the fd at
 * any time is harmless (the context lives until deassigned or the VM goes).
 */
#include <linux/eventfd.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "kvm_core.h"
#include "rcu_replace.h"

/*
 * The flags Linux KVM accepts on x86: bits 0-4. VIRTIO_CCW_NOTIFY (s390's subchannel
 * notification) puts the ioeventfd on a bus of its own that nothing writes here; bit 4 (KVM's
 * internal fast-MMIO bus number) is accepted and means nothing.
 */
#define IOEVENTFD_FLAGS	0x1fU

struct kvm_ioeventfd_entry {
	struct eventfd_ctx *eventfd;
	u64 addr;
	u64 datamatch;
	u32 len;		/* 0: any */
	bool pio;
	bool ccw;		/* KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY: never written on x86 */
	bool wildcard;		/* no datamatch */
};

struct kvm_ioeventfds {
	struct rcu_head rcu;
	unsigned int nr;
	struct kvm_ioeventfd_entry e[];
};

static bool value_matches(const struct kvm_ioeventfd_entry *e, const void *data)
{
	u64 v = 0;

	memcpy(&v, data, e->len);	/* x86: little-endian, the low bytes */
	return v == e->datamatch;
}

/* A guest write of len bytes at addr (a port when pio): true when an ioeventfd took it. */
bool kvm_ioeventfd_write(struct kvm *kvm, bool pio, u64 addr, unsigned int len,
			 const void *data)
{
	const struct kvm_ioeventfds *set;
	bool taken = false;
	unsigned int i;

	rcu_read_lock();
	set = rcu_dereference(kvm->ioeventfds);
	for (i = 0; set && i < set->nr; i++) {
		const struct kvm_ioeventfd_entry *e = &set->e[i];

		if (e->ccw || e->pio != pio || e->addr != addr)
			continue;
		if (e->len && (e->len != len || (!e->wildcard && !value_matches(e, data))))
			continue;
		kvm_eventfd_signal(e->eventfd);
		taken = true;
		break;
	}
	rcu_read_unlock();
	return taken;
}

static bool could_match_same_write(const struct kvm_ioeventfd_entry *a,
				   const struct kvm_ioeventfd_entry *b)
{
	if (a->pio != b->pio || a->ccw != b->ccw || a->addr != b->addr)
		return false;
	if (!a->len || !b->len)
		return true;
	return a->len == b->len && (a->wildcard || b->wildcard || a->datamatch == b->datamatch);
}

static struct kvm_ioeventfds *set_alloc(unsigned int nr)
{
	struct kvm_ioeventfds *s = kzalloc(struct_size(s, e, nr), GFP_KERNEL_ACCOUNT);

	if (s)
		s->nr = nr;
	return s;
}

/* Publish new (kvm->lock held); the old array goes after readers are done with it. */
static void set_replace(struct kvm *kvm, struct kvm_ioeventfds *new)
{
	kvm_rcu_replace(kvm->ioeventfds, new, lockdep_is_held(&kvm->lock));
}

static long ioeventfd_assign(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	struct kvm_ioeventfd_entry n = {
		.addr = args->addr, .len = args->len, .pio = args->flags & KVM_IOEVENTFD_FLAG_PIO,
		.ccw = args->flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY,
		.wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH),
	};
	struct kvm_ioeventfds *old, *new;
	unsigned int i, nr;
	long r;

	switch (args->len) {
	case 0: case 1: case 2: case 4: case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & ~IOEVENTFD_FLAGS)
		return -EINVAL;
	if (!args->len && !n.wildcard)
		return -EINVAL;
	if (!n.wildcard)
		n.datamatch = args->datamatch;
	n.eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(n.eventfd))
		return PTR_ERR(n.eventfd);

	mutex_lock(&kvm->lock);
	old = rcu_dereference_protected(kvm->ioeventfds, lockdep_is_held(&kvm->lock));
	nr = old ? old->nr : 0;
	for (i = 0; i < nr; i++) {
		if (could_match_same_write(&old->e[i], &n)) {
			r = -EEXIST;
			goto fail;
		}
	}
	new = set_alloc(nr + 1);
	if (!new) {
		r = -ENOMEM;
		goto fail;
	}
	if (nr)
		memcpy(new->e, old->e, nr * sizeof(n));
	new->e[nr] = n;
	set_replace(kvm, new);
	mutex_unlock(&kvm->lock);
	return 0;
fail:
	mutex_unlock(&kvm->lock);
	eventfd_ctx_put(n.eventfd);
	return r;
}

static long ioeventfd_deassign(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	bool pio = args->flags & KVM_IOEVENTFD_FLAG_PIO;
	bool ccw = args->flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY;
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	struct kvm_ioeventfds *old, *new;
	struct eventfd_ctx *ctx, *gone = NULL;
	unsigned int i, n = 0;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&kvm->lock);
	old = rcu_dereference_protected(kvm->ioeventfds, lockdep_is_held(&kvm->lock));
	new = old ? set_alloc(old->nr) : NULL;
	if (old && !new) {
		mutex_unlock(&kvm->lock);
		eventfd_ctx_put(ctx);
		return -ENOMEM;
	}
	for (i = 0; old && i < old->nr; i++) {
		const struct kvm_ioeventfd_entry *e = &old->e[i];

		if (!gone && e->eventfd == ctx && e->pio == pio && e->ccw == ccw &&
		    e->addr == args->addr &&
		    e->len == args->len && e->wildcard == wildcard &&
		    (wildcard || e->datamatch == args->datamatch)) {
			gone = e->eventfd;
			continue;
		}
		new->e[n++] = *e;
	}
	if (gone) {
		new->nr = n;
		set_replace(kvm, new);
	} else {
		kfree(new);
	}
	mutex_unlock(&kvm->lock);
	eventfd_ctx_put(ctx);
	if (!gone)
		return -ENOENT;
	/*
	 * a vCPU may be signalling it right now. Expedited: QEMU deassigns a device's
	 * ioeventfds one by one whenever its driver resets it, and the readers are short.
	 */
	synchronize_rcu_expedited();
	eventfd_ctx_put(gone);
	return 0;
}

long kvm_vm_ioctl_ioeventfd(struct kvm *kvm, void __user *argp)
{
	struct kvm_ioeventfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return ioeventfd_deassign(kvm, &args);
	return ioeventfd_assign(kvm, &args);
}

/* The VM is going: no vCPU runs any more. */
void kvm_ioeventfd_destroy(struct kvm *kvm)
{
	struct kvm_ioeventfds *set = rcu_dereference_protected(kvm->ioeventfds, true);
	unsigned int i;

	for (i = 0; set && i < set->nr; i++)
		eventfd_ctx_put(set->e[i].eventfd);
	kfree(set);
}
