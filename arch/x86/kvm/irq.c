// SPDX-License-Identifier: GPL-2.0-only
/*
 * GSI routing (api.rst 4.52 KVM_SET_GSI_ROUTING, KVM_CAP_IRQ_ROUTING), interrupt lines
 * (4.25 KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS) and acknowledgment notifiers (irq.h).
 *
 * A GSI is a number the VMM (KVM_IRQ_LINE), an irqfd or the PIT raises; the routing table
 * says where it goes: to a pin of the PIC master, PIC slave or IOAPIC ("irqchip" entries,
 * one per chip at most, so GSIs 0-15 of the default table reach both the PIC and the
 * IOAPIC), or to the APIC bus as an MSI (an entry of its own: an MSI GSI has no other).
 *
 * The table is immutable: KVM_SET_GSI_ROUTING builds a new one and replaces it under
 * kvm->arch.irq_lock; readers (kvm_set_irq from eventfd wakeups and hrtimers, with
 * interrupts off; kvm_notify_acked_irq from EOIs) look it up under rcu_read_lock(), and
 * the old table is freed after a grace period (rcu_replace.h).
 */
#include <linux/kvm.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "kvm_core.h"
#include "rcu_replace.h"
#include "irq.h"
#include "x86.h"
#include "kvm_trace.h"

struct kvm_irq_route {
	u32 gsi;
	u32 type;			/* KVM_IRQ_ROUTING_IRQCHIP or KVM_IRQ_ROUTING_MSI */
	union {
		struct {
			u32 chip;	/* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC */
			u32 pin;	/* of that chip: 0-7 for a PIC, 0-23 for the IOAPIC */
		} irqchip;
		struct {
			u32 address_lo, address_hi, data;
		} msi;
	};
};

struct kvm_irq_routing_table {
	struct rcu_head rcu;
	u32 nr;				/* routes */
	u32 nr_gsis;			/* highest GSI with a route, plus one */
	struct kvm_irq_route *routes;	/* nr, sorted by GSI; in this allocation */
	u32 first[];			/* GSI g: routes[first[g]] .. routes[first[g + 1] - 1] */
};

void kvm_irq_init(struct kvm *kvm)
{
	mutex_init(&kvm->arch.irq_lock);
	INIT_HLIST_HEAD(&kvm->arch.irq_ack_notifiers);
}

/* The VM is going: no irqfd, vCPU or device reads the table any more. */
void kvm_irq_routing_destroy(struct kvm *kvm)
{
	kvfree(rcu_dereference_protected(kvm->arch.irq_routing, true));
}

static int route_cmp(const void *a, const void *b)
{
	const struct kvm_irq_route *x = a, *y = b;

	return x->gsi < y->gsi ? -1 : x->gsi > y->gsi;
}

/* One userspace entry to a route (api.rst 4.52); -EINVAL for what Linux KVM refuses. */
static int route_from_user(struct kvm *kvm, const struct kvm_irq_routing_entry *ue,
			   struct kvm_irq_route *r)
{
	/*
	 * Linux KVM (6.1) accepts KVM_MSI_VALID_DEVID on an x86 MSI route and ignores the
	 * device ID (nothing on x86 uses it): so do we. Any other flag is EINVAL.
	 */
	if (ue->gsi >= KVM_MAX_IRQ_ROUTES ||
	    (ue->flags & ~(ue->type == KVM_IRQ_ROUTING_MSI ? KVM_MSI_VALID_DEVID : 0)))
		return -EINVAL;
	r->gsi = ue->gsi;
	r->type = ue->type;
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		/*
		 * split mode: the PIC and IOAPIC are in userspace, nothing to route to. (Not
		 * "!= KERNEL": KVM_CREATE_IRQCHIP installs the default routes before it sets
		 * the mode; KVM_SET_GSI_ROUTING refuses a VM without a chip itself.)
		 */
		if (READ_ONCE(kvm->arch.irqchip_mode) == KVM_IRQCHIP_SPLIT)
			return -EINVAL;
		switch (ue->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			if (ue->u.irqchip.pin >= KVM_PIC_NUM_PINS / 2)
				return -EINVAL;
			break;
		case KVM_IRQCHIP_IOAPIC:
			if (ue->u.irqchip.pin >= KVM_IOAPIC_NUM_PINS)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
		r->irqchip.chip = ue->u.irqchip.irqchip;
		r->irqchip.pin = ue->u.irqchip.pin;
		return 0;
	case KVM_IRQ_ROUTING_MSI:
		r->msi.address_lo = ue->u.msi.address_lo;
		r->msi.address_hi = ue->u.msi.address_hi;
		r->msi.data = ue->u.msi.data;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Build a table from nr entries (ue may hold userspace's copy or the default routes): sort
 * by GSI, refuse two routes of one GSI unless both are irqchip routes to different chips.
 */
static struct kvm_irq_routing_table *table_build(struct kvm *kvm,
						 const struct kvm_irq_routing_entry *ue, u32 nr)
{
	struct kvm_irq_routing_table *t;
	struct kvm_irq_route *routes;
	u32 i, g, nr_gsis = 0;
	int r = 0;

	routes = kvmalloc_array(nr ? nr : 1, sizeof(*routes), GFP_KERNEL_ACCOUNT);
	if (!routes)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < nr && !r; i++)
		r = route_from_user(kvm, &ue[i], &routes[i]);
	if (r)
		goto out;
	sort(routes, nr, sizeof(*routes), route_cmp, NULL);
	for (i = 1; i < nr; i++) {
		const struct kvm_irq_route *a = &routes[i - 1], *b = &routes[i];

		if (a->gsi == b->gsi &&
		    (a->type != KVM_IRQ_ROUTING_IRQCHIP || b->type != KVM_IRQ_ROUTING_IRQCHIP ||
		     a->irqchip.chip == b->irqchip.chip)) {
			r = -EINVAL;
			goto out;
		}
	}
	if (nr)
		nr_gsis = routes[nr - 1].gsi + 1;

	t = kvzalloc(struct_size(t, first, nr_gsis + 1) + nr * sizeof(*routes),
		     GFP_KERNEL_ACCOUNT);
	if (!t) {
		r = -ENOMEM;
		goto out;
	}
	t->nr = nr;
	t->nr_gsis = nr_gsis;
	t->routes = (struct kvm_irq_route *)&t->first[nr_gsis + 1];
	memcpy(t->routes, routes, nr * sizeof(*routes));
	for (i = 0, g = 0; g <= nr_gsis; g++) {
		while (i < nr && routes[i].gsi < g)
			i++;
		t->first[g] = i;
	}
out:
	kvfree(routes);
	return r ? ERR_PTR(r) : t;
}

static void table_replace(struct kvm *kvm, struct kvm_irq_routing_table *new)
{
	mutex_lock(&kvm->arch.irq_lock);
	kvm_rcu_replace(kvm->arch.irq_routing, new, lockdep_is_held(&kvm->arch.irq_lock));
	mutex_unlock(&kvm->arch.irq_lock);
}

/*
 * The routes KVM_CREATE_IRQCHIP installs (api.rst 4.24): GSI n to PIC pin n (master 0-7,
 * slave 8-15) and IOAPIC pin n for n < 16, GSIs 16-23 to the IOAPIC only. The ISA IRQ0 to
 * IOAPIC pin 2 override is the guest firmware's (ACPI MADT), not the router's.
 */
int kvm_irq_routing_default(struct kvm *kvm)
{
	struct kvm_irq_routing_entry *e;
	struct kvm_irq_routing_table *t;
	unsigned int n = 0, gsi;

	e = kcalloc(KVM_PIC_NUM_PINS + KVM_IOAPIC_NUM_PINS, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	for (gsi = 0; gsi < KVM_IOAPIC_NUM_PINS; gsi++) {
		if (gsi < KVM_PIC_NUM_PINS) {
			e[n].gsi = gsi;
			e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
			e[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
							   KVM_IRQCHIP_PIC_SLAVE;
			e[n++].u.irqchip.pin = gsi % 8;
		}
		e[n].gsi = gsi;
		e[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		e[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e[n++].u.irqchip.pin = gsi;
	}
	t = table_build(kvm, e, n);
	kfree(e);
	if (IS_ERR(t))
		return PTR_ERR(t);
	table_replace(kvm, t);
	return 0;
}

/* api.rst 4.52: with an in-kernel irqchip of either mode; EINVAL without (as Linux KVM) */
long kvm_vm_ioctl_set_gsi_routing(struct kvm *kvm, void __user *argp)
{
	struct kvm_irq_routing __user *urouting = argp;
	struct kvm_irq_routing_entry *entries = NULL;
	struct kvm_irq_routing_table *t;
	struct kvm_irq_routing routing;

	if (copy_from_user(&routing, urouting, sizeof(routing)))
		return -EFAULT;
	if (READ_ONCE(kvm->arch.irqchip_mode) == KVM_IRQCHIP_NONE)
		return -EINVAL;
	if (routing.nr > KVM_MAX_IRQ_ROUTES || routing.flags)
		return -EINVAL;
	if (routing.nr) {
		entries = vmemdup_user(urouting->entries,
				       array_size(sizeof(*entries), routing.nr));
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}
	t = table_build(kvm, entries, routing.nr);
	kvfree(entries);
	if (IS_ERR(t))
		return PTR_ERR(t);
	table_replace(kvm, t);
	return 0;
}

/* One route driven to level; what KVM_IRQ_LINE_STATUS reports for it (irq.h). */
static int route_set(struct kvm *kvm, const struct kvm_irq_route *r, int source_id,
		     int level)
{
	struct kvm_apic_irq irq;

	if (r->type == KVM_IRQ_ROUTING_MSI) {
		/* a message, not a line: only the rising edge sends it */
		if (!level)
			return -1;
		kvm_msi_to_apic_irq(kvm, r->msi.address_lo, r->msi.address_hi, r->msi.data, &irq);
		return kvm_apic_deliver(kvm, NULL, &irq);
	}
	switch (r->irqchip.chip) {
	case KVM_IRQCHIP_PIC_MASTER:
		return kvm_pic_set_irq(kvm, source_id, r->irqchip.pin, level);
	case KVM_IRQCHIP_PIC_SLAVE:
		return kvm_pic_set_irq(kvm, source_id, r->irqchip.pin + 8, level);
	default:
		return kvm_ioapic_set_irq(kvm, source_id, r->irqchip.pin, level);
	}
}

/*
 * irq.h. Several routes: the sum of those that delivered, 0 when none did but one
 * coalesced, -1 when every one was masked or the GSI has no route. line_status is the
 * caller's KVM_IRQ_LINE_STATUS; the chips report the same either way.
 */
int kvm_set_irq(struct kvm *kvm, int source_id, u32 gsi, int level, bool line_status)
{
	const struct kvm_irq_routing_table *t;
	int ret = -1, r;
	u32 i;

	trace_kvm_set_irq(gsi, level, source_id);
	rcu_read_lock();
	t = rcu_dereference(kvm->arch.irq_routing);
	if (t && gsi < t->nr_gsis) {
		for (i = t->first[gsi]; i < t->first[gsi + 1]; i++) {
			r = route_set(kvm, &t->routes[i], source_id, level);
			if (r >= 0)
				ret = (ret < 0 ? 0 : ret) + r;
		}
	}
	rcu_read_unlock();
	return ret;
}

/* api.rst 4.25: ENXIO without an in-kernel irqchip; a GSI without route is not an error */
long kvm_vm_ioctl_irq_line(struct kvm *kvm, void __user *argp, bool status)
{
	struct kvm_irq_level line;

	if (copy_from_user(&line, argp, sizeof(line)))
		return -EFAULT;
	if (READ_ONCE(kvm->arch.irqchip_mode) == KVM_IRQCHIP_NONE)
		return -ENXIO;
	line.status = kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, line.irq, line.level,
				  status);
	if (status && copy_to_user(argp, &line, sizeof(line)))
		return -EFAULT;
	return 0;
}

void kvm_register_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *ian)
{
	mutex_lock(&kvm->arch.irq_lock);
	hlist_add_head_rcu(&ian->link, &kvm->arch.irq_ack_notifiers);
	mutex_unlock(&kvm->arch.irq_lock);
}

/* Returns once no acked() call of ian runs or can start: its owner may free it. */
void kvm_unregister_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *ian)
{
	mutex_lock(&kvm->arch.irq_lock);
	hlist_del_init_rcu(&ian->link);
	mutex_unlock(&kvm->arch.irq_lock);
	synchronize_rcu();
}

/*
 * irq.h: pin of irqchip was acknowledged. pic.c may number the PIC's pins 0-15 with
 * irqchip KVM_IRQCHIP_PIC_MASTER: pins 8-15 are then the slave's 0-7. Each GSI routed to
 * that pin has its notifiers called (one route per chip and GSI: each GSI at most once).
 */
void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip, unsigned int pin)
{
	const struct kvm_irq_routing_table *t;
	struct kvm_irq_ack_notifier *ian;
	u32 i;

	if (irqchip == KVM_IRQCHIP_PIC_MASTER && pin >= 8) {
		irqchip = KVM_IRQCHIP_PIC_SLAVE;
		pin -= 8;
	}
	rcu_read_lock();
	if (hlist_empty(&kvm->arch.irq_ack_notifiers))
		goto out;
	t = rcu_dereference(kvm->arch.irq_routing);
	for (i = 0; t && i < t->nr; i++) {
		const struct kvm_irq_route *r = &t->routes[i];

		if (r->type != KVM_IRQ_ROUTING_IRQCHIP || r->irqchip.chip != irqchip ||
		    r->irqchip.pin != pin)
			continue;
		hlist_for_each_entry_rcu(ian, &kvm->arch.irq_ack_notifiers, link)
			if (ian->gsi == r->gsi)
				ian->acked(ian);
	}
out:
	rcu_read_unlock();
}
