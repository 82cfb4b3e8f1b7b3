// SPDX-License-Identifier: GPL-2.0-only
/*
 * irqfd (api.rst 4.75 KVM_IRQFD, KVM_CAP_IRQFD, KVM_CAP_IRQFD_RESAMPLE): a write to an
 * eventfd raises a GSI of the VM (kvm_set_irq, irq.h) without going through the VMM, the
 * interrupt side of vhost and VFIO devices.
 *
 * Each irqfd sits on its eventfd's wait queue: the wakeup runs in the writer's context with
 * the eventfd's wait queue lock held and interrupts off, so it consumes the count and
 * raises the GSI there (routing and chips take spinlocks only). For an irqchip route that
 * is an edge: level 1 then 0 from KVM_USERSPACE_IRQ_SOURCE_ID, as Linux KVM does; an MSI
 * route sends one message.
 *
 * RESAMPLE (level-triggered, for INTx of assigned devices): the GSI is asserted from
 * KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID and stays so until the guest acknowledges it (an ack
 * notifier: IOAPIC or PIC EOI); then it is de-asserted and the resamplefd signalled, for
 * the device to re-assert if it still needs service. The irqfds of one GSI share one
 * resampler, since they share the line.
 *
 * Teardown (deassign, POLLHUP when the eventfd's last reference goes, the VM going) takes
 * the irqfd off kvm->irqfds.items under items_lock and queues its shutdown on a workqueue,
 * which may sleep: it unhooks the wait queue entry (after which no wakeup runs), detaches
 * the resampler (synchronize_rcu) and frees. Deassign and VM teardown flush the queue, so
 * when they return nothing of the irqfd is left.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "kvm_core.h"
#include "irq.h"

/* Shutdowns of every VM's irqfds; flushed by deassign and VM teardown. */
static struct workqueue_struct *kvm_irqfd_wq;

/* The irqfds of one GSI in RESAMPLE mode: one line, one ack notifier. */
struct kvm_irqfd_resampler {
	struct kvm *kvm;			/* immutable */
	struct list_head link;			/* kvm->irqfds.resamplers; irqfds.lock */
	struct list_head irqfds;		/* irqfds.lock to change, RCU to read */
	struct kvm_irq_ack_notifier ian;	/* gsi: immutable */
};

struct kvm_irqfd_item {
	struct kvm *kvm;			/* immutable */
	struct eventfd_ctx *eventfd;		/* immutable: one reference */
	u32 gsi;				/* immutable */
	/* on kvm->irqfds.items (items_lock) while active; empty once deactivated */
	struct list_head link;
	wait_queue_entry_t wait;		/* on the eventfd's wait queue until shutdown */
	poll_table pt;
	struct work_struct shutdown;
	struct kvm_irqfd_resampler *resampler;	/* immutable; NULL unless RESAMPLE */
	struct eventfd_ctx *resamplefd;		/* immutable: one reference; RESAMPLE */
	struct list_head resampler_link;	/* resampler->irqfds */
};

int kvm_irqfd_module_init(void)
{
	kvm_irqfd_wq = alloc_workqueue("kvm-irqfd-cleanup", 0, 0);
	return kvm_irqfd_wq ? 0 : -ENOMEM;
}

void kvm_irqfd_module_exit(void)
{
	destroy_workqueue(kvm_irqfd_wq);
}

void kvm_irqfd_init(struct kvm *kvm)
{
	mutex_init(&kvm->irqfds.lock);
	spin_lock_init(&kvm->irqfds.items_lock);
	INIT_LIST_HEAD(&kvm->irqfds.items);
	INIT_LIST_HEAD(&kvm->irqfds.resamplers);
}

/* Atomic context: from the eventfd wakeup. */
static void irqfd_inject(struct kvm_irqfd_item *irqfd)
{
	struct kvm *kvm = irqfd->kvm;

	if (irqfd->resampler) {
		kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, irqfd->gsi, 1, false);
		return;
	}
	kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 1, false);
	kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 0, false);
}

/* The guest acknowledged the resampled GSI (atomic context, under RCU). */
static void resampler_acked(struct kvm_irq_ack_notifier *ian)
{
	struct kvm_irqfd_resampler *r = container_of(ian, struct kvm_irqfd_resampler, ian);
	struct kvm_irqfd_item *irqfd;

	kvm_set_irq(r->kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, ian->gsi, 0, false);
	rcu_read_lock();
	list_for_each_entry_rcu(irqfd, &r->irqfds, resampler_link)
		kvm_eventfd_signal(irqfd->resamplefd);
	rcu_read_unlock();
}

/* irqfds.lock held: join the GSI's resampler, making it if it is the first. */
static int resampler_attach(struct kvm *kvm, struct kvm_irqfd_item *irqfd)
{
	struct kvm_irqfd_resampler *r;

	lockdep_assert_held(&kvm->irqfds.lock);
	list_for_each_entry(r, &kvm->irqfds.resamplers, link)
		if (r->ian.gsi == irqfd->gsi)
			goto found;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->kvm = kvm;
	INIT_LIST_HEAD(&r->irqfds);
	r->ian.gsi = irqfd->gsi;
	r->ian.acked = resampler_acked;
	list_add(&r->link, &kvm->irqfds.resamplers);
	kvm_register_irq_ack_notifier(kvm, &r->ian);
found:
	list_add_rcu(&irqfd->resampler_link, &r->irqfds);
	irqfd->resampler = r;
	return 0;
}

/* irqfds.lock held: leave the resampler; the last one out de-asserts the line. */
static void resampler_detach(struct kvm *kvm, struct kvm_irqfd_item *irqfd)
{
	struct kvm_irqfd_resampler *r = irqfd->resampler;

	lockdep_assert_held(&kvm->irqfds.lock);
	list_del_rcu(&irqfd->resampler_link);
	/* resampler_acked may be signalling irqfd->resamplefd */
	synchronize_rcu();
	if (!list_empty(&r->irqfds))
		return;
	list_del(&r->link);
	kvm_unregister_irq_ack_notifier(kvm, &r->ian);
	kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, r->ian.gsi, 0, false);
	kfree(r);
}

static void irqfd_free(struct kvm_irqfd_item *irqfd)
{
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

static void irqfd_shutdown(struct work_struct *work)
{
	struct kvm_irqfd_item *irqfd = container_of(work, struct kvm_irqfd_item, shutdown);
	struct kvm *kvm = irqfd->kvm;
	u64 cnt;

	/* takes the wait queue's lock: a wakeup running now finishes first, none follows */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	if (irqfd->resampler) {
		mutex_lock(&kvm->irqfds.lock);
		resampler_detach(kvm, irqfd);
		mutex_unlock(&kvm->irqfds.lock);
	}
	irqfd_free(irqfd);
}

/* items_lock held: take it off the list, once, and leave the rest to the workqueue. */
static void irqfd_deactivate(struct kvm_irqfd_item *irqfd)
{
	lockdep_assert_held(&irqfd->kvm->irqfds.items_lock);
	list_del_init(&irqfd->link);
	queue_work(kvm_irqfd_wq, &irqfd->shutdown);
}

/* The eventfd's wait queue callback: its lock held, interrupts off. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct kvm_irqfd_item *irqfd = container_of(wait, struct kvm_irqfd_item, wait);
	__poll_t flags = key_to_poll(key);
	struct kvm *kvm = irqfd->kvm;
	unsigned long f;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		irqfd_inject(irqfd);
	}
	if (flags & EPOLLHUP) {
		/* the eventfd's file is being released: no more writes can come */
		spin_lock_irqsave(&kvm->irqfds.items_lock, f);
		if (!list_empty(&irqfd->link))
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&kvm->irqfds.items_lock, f);
	}
	return 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct kvm_irqfd_item *irqfd = container_of(pt, struct kvm_irqfd_item, pt);

	add_wait_queue(wqh, &irqfd->wait);
}

static int irqfd_assign(struct kvm *kvm, const struct kvm_irqfd *args)
{
	bool resample = args->flags & KVM_IRQFD_FLAG_RESAMPLE;
	int mode = READ_ONCE(kvm->arch.irqchip_mode);
	struct kvm_irqfd_item *irqfd, *tmp;
	struct eventfd_ctx *ctx;
	__poll_t events;
	struct fd f;
	int r;

	/* as Linux KVM: an in-kernel irqchip; RESAMPLE needs the IOAPIC/PIC in the kernel */
	if (mode == KVM_IRQCHIP_NONE || (resample && mode != KVM_IRQCHIP_KERNEL))
		return -EINVAL;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->kvm = kvm;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->link);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);
	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_queue_proc);

	f = fdget(args->fd);
	if (fd_empty(f)) {
		r = -EBADF;
		goto err_free;
	}
	ctx = eventfd_ctx_fileget(fd_file(f));
	if (IS_ERR(ctx)) {
		r = PTR_ERR(ctx);
		goto err_fdput;
	}
	irqfd->eventfd = ctx;
	if (resample) {
		ctx = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(ctx)) {
			r = PTR_ERR(ctx);
			goto err_eventfd;
		}
		irqfd->resamplefd = ctx;
	}

	/* the lock keeps deassign and teardown out until the wait queue entry is in place */
	mutex_lock(&kvm->irqfds.lock);
	spin_lock_irq(&kvm->irqfds.items_lock);
	list_for_each_entry(tmp, &kvm->irqfds.items, link) {
		if (tmp->eventfd == irqfd->eventfd) {
			/* one eventfd, one irqfd: Linux KVM says EBUSY */
			spin_unlock_irq(&kvm->irqfds.items_lock);
			r = -EBUSY;
			goto err_unlock;
		}
	}
	spin_unlock_irq(&kvm->irqfds.items_lock);
	if (resample) {
		r = resampler_attach(kvm, irqfd);
		if (r)
			goto err_unlock;
	}
	spin_lock_irq(&kvm->irqfds.items_lock);
	list_add_tail(&irqfd->link, &kvm->irqfds.items);
	spin_unlock_irq(&kvm->irqfds.items_lock);

	/* a write from here on wakes us; one that came before is pending in events */
	events = vfs_poll(fd_file(f), &irqfd->pt);
	if (events & EPOLLIN)
		irqfd_inject(irqfd);
	mutex_unlock(&kvm->irqfds.lock);
	fdput(f);
	return 0;

err_unlock:
	mutex_unlock(&kvm->irqfds.lock);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
err_eventfd:
	eventfd_ctx_put(irqfd->eventfd);
err_fdput:
	fdput(f);
err_free:
	kfree(irqfd);
	return r;
}

/* Every irqfd of (fd, gsi) goes; none is not an error (as Linux KVM). */
static int irqfd_deassign(struct kvm *kvm, const struct kvm_irqfd *args)
{
	struct kvm_irqfd_item *irqfd, *tmp;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&kvm->irqfds.lock);
	spin_lock_irq(&kvm->irqfds.items_lock);
	list_for_each_entry_safe(irqfd, tmp, &kvm->irqfds.items, link)
		if (irqfd->eventfd == ctx && irqfd->gsi == args->gsi)
			irqfd_deactivate(irqfd);
	spin_unlock_irq(&kvm->irqfds.items_lock);
	mutex_unlock(&kvm->irqfds.lock);
	eventfd_ctx_put(ctx);
	/* no injection from it once we return */
	flush_workqueue(kvm_irqfd_wq);
	return 0;
}

long kvm_vm_ioctl_irqfd(struct kvm *kvm, void __user *argp)
{
	struct kvm_irqfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(kvm, &args);
	return irqfd_assign(kvm, &args);
}

/* The VM is going (before its vCPUs and chips): every irqfd goes, and its work with it. */
void kvm_irqfd_release(struct kvm *kvm)
{
	struct kvm_irqfd_item *irqfd, *tmp;

	mutex_lock(&kvm->irqfds.lock);
	spin_lock_irq(&kvm->irqfds.items_lock);
	list_for_each_entry_safe(irqfd, tmp, &kvm->irqfds.items, link)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&kvm->irqfds.items_lock);
	mutex_unlock(&kvm->irqfds.lock);
	flush_workqueue(kvm_irqfd_wq);
	WARN_ON_ONCE(!list_empty(&kvm->irqfds.resamplers));
}
