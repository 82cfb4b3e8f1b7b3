// SPDX-License-Identifier: GPL-2.0-only
/*
 * The 82093AA I/O APIC (Intel 82093AA datasheet): 24 input pins, each with a 64-bit
 * redirection table entry that turns an interrupt on the pin into a message on the APIC bus
 * (kvm_apic_deliver). Memory-mapped at 0xfec00000: IOREGSEL (+0x00) selects a register,
 * IOWIN (+0x10) reads or writes it 32 bits at a time (datasheet 3.1):
 *   0x00 IOAPICID (ID in bits 27:24), 0x01 IOAPICVER (0x11, max redirection entry 23 in
 *   bits 23:16), 0x02 IOAPICARB, 0x10 + 2n / 0x11 + 2n IOREDTBLn bits 31:0 / 63:32.
 * Version 0x11 has no EOI register (the one at +0x40 appeared with version 0x20): Remote
 * IRR is cleared only by a LAPIC EOI broadcast of the entry's vector (kvm_ioapic_eoi).
 *
 * State in the layout of KVM_GET/SET_IRQCHIP (struct kvm_ioapic_state); irr holds a bit per
 * pin with an interrupt pending in the IOAPIC: a level pin's asserted line, an edge pin's
 * rising edge until its message went out (at once unless masked). A masked edge pin's bit
 * stays while its line is high and goes when it falls, as Linux KVM reports it; nothing is
 * sent for it.
 *
 * Locking: ioapic->lock, a leaf: messages are sent (kvm_apic_deliver) and ack notifiers
 * called after it is dropped, so the LAPIC may call kvm_ioapic_eoi() under its own lock.
 * Remote IRR is set under the lock before a level message is sent, so two CPUs raising the
 * same line cannot both send it.
 */
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kvm_core.h"
#include "irq.h"
#include "pic.h"

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_MMIO_LEN		0x100
#define IOAPIC_REG_SELECT	0x00
#define IOAPIC_REG_WINDOW	0x10

#define IOAPIC_ID		0x00
#define IOAPIC_VER		0x01
#define IOAPIC_ARB		0x02
#define IOAPIC_REDTBL		0x10
#define IOAPIC_VERSION		(0x11 | (KVM_IOAPIC_NUM_PINS - 1) << 16)

/* IOREDTBL bits (datasheet 3.2.4) */
#define RTE_VECTOR		0xffULL
#define RTE_DELIVERY_MODE(e)	(((e) >> 8) & 7)
#define RTE_DEST_LOGICAL	BIT_ULL(11)
#define RTE_DELIVERY_STATUS	BIT_ULL(12)
#define RTE_POLARITY_LOW	BIT_ULL(13)
#define RTE_REMOTE_IRR		BIT_ULL(14)
#define RTE_LEVEL		BIT_ULL(15)
#define RTE_MASK		BIT_ULL(16)
#define RTE_DEST(e)		((e) >> 56)
/* what software writes: everything but delivery status and Remote IRR (read-only) */
#define RTE_WRITABLE		(0xff000000000000ffULL | 0x7ULL << 8 | RTE_DEST_LOGICAL | \
				 RTE_POLARITY_LOW | RTE_LEVEL | RTE_MASK)

struct kvm_ioapic {
	spinlock_t lock;
	struct kvm *kvm;			/* immutable */
	struct kvm_ioapic_state s;		/* lock */
	u8 sources[KVM_IOAPIC_NUM_PINS];	/* lock: bit per irq source id driving a pin */
	/*
	 * Vectors of the edge entries: their EOIs matter only to ack notifiers (the PIT's
	 * reinjection), so lapic.c calls in only for these. lock to write, test_bit to read.
	 */
	DECLARE_BITMAP(edge_vectors, 256);
	struct kvm_io_device dev;		/* immutable once on the bus */
};

/* Lock held, after any change to the redirection table. */
static void update_edge_vectors(struct kvm_ioapic *ioapic)
{
	DECLARE_BITMAP(v, 256);
	int pin, i;

	bitmap_zero(v, 256);
	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++) {
		u64 e = ioapic->s.redirtbl[pin].bits;

		if (!(e & RTE_LEVEL))
			__set_bit(e & RTE_VECTOR, v);
	}
	for (i = 0; i < BITS_TO_LONGS(256); i++)
		WRITE_ONCE(ioapic->edge_vectors[i], v[i]);
}

bool kvm_ioapic_edge_vector(struct kvm *kvm, u8 vector)
{
	struct kvm_ioapic *ioapic = kvm->arch.vioapic;

	return ioapic && test_bit(vector, ioapic->edge_vectors);
}

struct ioapic_msgs {
	int nr;
	struct kvm_apic_irq irq[KVM_IOAPIC_NUM_PINS];
	u8 pin[KVM_IOAPIC_NUM_PINS];
	u64 rte[KVM_IOAPIC_NUM_PINS];
};

/*
 * If pin has an interrupt to send now, consume it (edge: its IRR bit; level: set Remote
 * IRR) and queue its message. Lock held.
 */
static void ioapic_service(struct kvm_ioapic *ioapic, int pin, struct ioapic_msgs *m)
{
	u64 e = ioapic->s.redirtbl[pin].bits;
	struct kvm_apic_irq *irq;

	if (!(ioapic->s.irr & BIT(pin)) || (e & RTE_MASK))
		return;
	if (e & RTE_LEVEL) {
		if (e & RTE_REMOTE_IRR)
			return;
		e |= RTE_REMOTE_IRR;
		ioapic->s.redirtbl[pin].bits = e;
	} else {
		ioapic->s.irr &= ~BIT(pin);
	}
	irq = &m->irq[m->nr];
	*irq = (struct kvm_apic_irq){
		.dest_id = RTE_DEST(e),
		.vector = e & RTE_VECTOR,
		.delivery_mode = RTE_DELIVERY_MODE(e),
		.dest_logical = !!(e & RTE_DEST_LOGICAL),
		.level = true,
		.trig_level = !!(e & RTE_LEVEL),
	};
	m->pin[m->nr] = pin;
	m->rte[m->nr] = e;
	m->nr++;
}

/*
 * Send the queued messages, lock not held. A level message no LAPIC accepted leaves Remote
 * IRR clear (datasheet: set when a LAPIC accepts it), unless the entry changed meanwhile.
 * Returns what the last message's delivery returned.
 */
static int ioapic_send(struct kvm_ioapic *ioapic, struct ioapic_msgs *m)
{
	unsigned long flags;
	int i, r = 0;

	for (i = 0; i < m->nr; i++) {
		r = kvm_apic_deliver(ioapic->kvm, NULL, &m->irq[i]);
		if (r > 0 || !m->irq[i].trig_level)
			continue;
		spin_lock_irqsave(&ioapic->lock, flags);
		if (ioapic->s.redirtbl[m->pin[i]].bits == m->rte[i])
			ioapic->s.redirtbl[m->pin[i]].bits &= ~RTE_REMOTE_IRR;
		spin_unlock_irqrestore(&ioapic->lock, flags);
	}
	return r;
}

int kvm_ioapic_set_irq(struct kvm *kvm, int source_id, unsigned int pin, int level)
{
	struct kvm_ioapic *ioapic = kvm->arch.vioapic;
	struct ioapic_msgs m = { .nr = 0 };
	unsigned long flags;
	bool old, line;
	u64 e;
	int ret;

	if (!ioapic || pin >= KVM_IOAPIC_NUM_PINS || source_id < 0 ||
	    source_id >= KVM_NR_IRQ_SOURCES)
		return -1;

	spin_lock_irqsave(&ioapic->lock, flags);
	old = ioapic->sources[pin] != 0;
	if (level)
		ioapic->sources[pin] |= BIT(source_id);
	else
		ioapic->sources[pin] &= ~BIT(source_id);
	line = ioapic->sources[pin] != 0;
	e = ioapic->s.redirtbl[pin].bits;

	if (!line) {
		ret = 1;
		/* a masked edge pin's latched request goes with its line (see the top) */
		if (e & (RTE_LEVEL | RTE_MASK))
			ioapic->s.irr &= ~BIT(pin);
	} else if (e & RTE_LEVEL) {
		ret = (e & RTE_REMOTE_IRR) ? 0 : (e & RTE_MASK) ? -1 : 1;
		ioapic->s.irr |= BIT(pin);
	} else if (old) {
		ret = 0;		/* no edge */
	} else if (e & RTE_MASK) {
		ret = -1;		/* latched in irr while the line is high, not sent */
		ioapic->s.irr |= BIT(pin);
	} else {
		ret = 1;
		ioapic->s.irr |= BIT(pin);
	}
	if (ret > 0 && line)
		ioapic_service(ioapic, pin, &m);
	spin_unlock_irqrestore(&ioapic->lock, flags);

	if (m.nr)
		ret = ioapic_send(ioapic, &m) > 0 ? 1 : 0;
	return ret;
}

/* every pin with something to send (after an EOI, an unmask, a restore) */
static void ioapic_service_all(struct kvm_ioapic *ioapic)
{
	struct ioapic_msgs m = { .nr = 0 };
	unsigned long flags;
	int pin;

	spin_lock_irqsave(&ioapic->lock, flags);
	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++)
		ioapic_service(ioapic, pin, &m);
	spin_unlock_irqrestore(&ioapic->lock, flags);
	if (m.nr)
		ioapic_send(ioapic, &m);
}

void kvm_ioapic_eoi(struct kvm *kvm, u8 vector, bool level)
{
	struct kvm_ioapic *ioapic = kvm->arch.vioapic;
	unsigned long flags;
	u32 acked = 0;
	int pin;

	if (!ioapic)
		return;
	spin_lock_irqsave(&ioapic->lock, flags);
	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++) {
		u64 *e = &ioapic->s.redirtbl[pin].bits;

		if ((*e & RTE_VECTOR) != vector || !(*e & RTE_LEVEL) != !level)
			continue;
		/*
		 * An edge entry's EOI (a vector whose TMR bit was clear) only tells its ack
		 * notifiers (the PIT's reinjection waits for it on pin 2 under QEMU's routing).
		 */
		if (!level || (*e & RTE_REMOTE_IRR))
			acked |= BIT(pin);
		*e &= ~RTE_REMOTE_IRR;
	}
	spin_unlock_irqrestore(&ioapic->lock, flags);

	/* a notifier (irqfd resampling) may lower the line before it is looked at again */
	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++)
		if (acked & BIT(pin))
			kvm_notify_acked_irq(kvm, KVM_IRQCHIP_IOAPIC, pin);
	if (acked)
		ioapic_service_all(ioapic);
}

static u32 ioapic_read_reg(struct kvm_ioapic *ioapic)
{
	u32 reg = ioapic->s.ioregsel & 0xff;
	unsigned int pin;

	switch (reg) {
	case IOAPIC_ID:
	case IOAPIC_ARB:
		return (ioapic->s.id & 0xf) << 24;
	case IOAPIC_VER:
		return IOAPIC_VERSION;
	}
	pin = (reg - IOAPIC_REDTBL) / 2;
	if (reg < IOAPIC_REDTBL || pin >= KVM_IOAPIC_NUM_PINS)
		return 0xffffffff;	/* no register there */
	return ioapic->s.redirtbl[pin].bits >> (reg & 1 ? 32 : 0);
}

/* lock held; an unmask, or a switch to level, may have made something deliverable */
static void ioapic_write_reg(struct kvm_ioapic *ioapic, u32 val, struct ioapic_msgs *m)
{
	u32 reg = ioapic->s.ioregsel & 0xff;
	unsigned int pin;
	u64 e;

	if (reg == IOAPIC_ID) {
		ioapic->s.id = (val >> 24) & 0xf;
		return;
	}
	pin = (reg - IOAPIC_REDTBL) / 2;
	if (reg < IOAPIC_REDTBL || pin >= KVM_IOAPIC_NUM_PINS)
		return;		/* IOAPICVER, IOAPICARB are read-only */
	e = ioapic->s.redirtbl[pin].bits;
	if (reg & 1)
		e = (e & ~(RTE_WRITABLE & ~0xffffffffULL)) | ((u64)val << 32 & RTE_WRITABLE);
	else
		e = (e & ~(RTE_WRITABLE & 0xffffffffULL)) | (val & RTE_WRITABLE);
	/* Remote IRR has no meaning for an edge entry (datasheet 3.2.4) */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	ioapic->s.redirtbl[pin].bits = e;
	update_edge_vectors(ioapic);
	ioapic_service(ioapic, pin, m);
}

static struct kvm_ioapic *dev_to_ioapic(struct kvm_io_device *dev)
{
	return container_of(dev, struct kvm_ioapic, dev);
}

static int ioapic_mmio_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
			    unsigned int len, void *val)
{
	struct kvm_ioapic *ioapic = dev_to_ioapic(dev);
	unsigned int off = addr - dev->addr;
	unsigned long flags;
	u32 v = 0;

	spin_lock_irqsave(&ioapic->lock, flags);
	if (off >= IOAPIC_REG_WINDOW && off < IOAPIC_REG_WINDOW + 4)
		v = ioapic_read_reg(ioapic) >> (off - IOAPIC_REG_WINDOW) * 8;
	else if (off < 4)
		v = ioapic->s.ioregsel >> off * 8;
	spin_unlock_irqrestore(&ioapic->lock, flags);
	memset(val, 0, len);
	memcpy(val, &v, min(len, 4u));
	return 0;
}

static int ioapic_mmio_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
			     unsigned int len, const void *val)
{
	struct kvm_ioapic *ioapic = dev_to_ioapic(dev);
	struct ioapic_msgs m = { .nr = 0 };
	unsigned int off = addr - dev->addr;
	unsigned long flags;
	u32 v = 0;

	memcpy(&v, val, min(len, 4u));
	spin_lock_irqsave(&ioapic->lock, flags);
	if (off == IOAPIC_REG_SELECT)
		ioapic->s.ioregsel = v & 0xff;	/* bits 7:0 (datasheet 3.1.1) */
	else if (off == IOAPIC_REG_WINDOW)
		ioapic_write_reg(ioapic, v, &m);
	/* other offsets, and partial register writes, change nothing */
	spin_unlock_irqrestore(&ioapic->lock, flags);
	if (m.nr)
		ioapic_send(ioapic, &m);
	return 0;
}

static const struct kvm_io_device_ops ioapic_dev_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

int kvm_ioapic_create(struct kvm *kvm)
{
	struct kvm_ioapic *ioapic = kzalloc(sizeof(*ioapic), GFP_KERNEL_ACCOUNT);
	int pin;

	if (!ioapic)
		return -ENOMEM;
	spin_lock_init(&ioapic->lock);
	ioapic->kvm = kvm;
	/* reset: every entry masked (datasheet 3.2.4) */
	ioapic->s.base_address = IOAPIC_BASE;
	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++)
		ioapic->s.redirtbl[pin].bits = RTE_MASK;
	update_edge_vectors(ioapic);
	ioapic->dev = (struct kvm_io_device){ .ops = &ioapic_dev_ops, .pio = false,
					      .addr = IOAPIC_BASE, .len = IOAPIC_MMIO_LEN };
	kvm->arch.vioapic = ioapic;
	return 0;
}

int kvm_ioapic_register(struct kvm *kvm)
{
	return kvm_io_device_register(kvm, &kvm->arch.vioapic->dev);
}

void kvm_ioapic_destroy(struct kvm *kvm)
{
	kfree(kvm->arch.vioapic);
	kvm->arch.vioapic = NULL;
}

void kvm_ioapic_get_state(struct kvm *kvm, struct kvm_ioapic_state *s)
{
	struct kvm_ioapic *ioapic = kvm->arch.vioapic;
	unsigned long flags;

	spin_lock_irqsave(&ioapic->lock, flags);
	*s = ioapic->s;
	spin_unlock_irqrestore(&ioapic->lock, flags);
}

/*
 * Restore a saved IOAPIC; irr bits become lines driven by userspace (the other sources
 * raise theirs again on their next event), and what is deliverable goes out. The device
 * stays at 0xfec00000 whatever base_address says (it is kept, not acted on).
 */
void kvm_ioapic_set_state(struct kvm *kvm, const struct kvm_ioapic_state *s)
{
	struct kvm_ioapic *ioapic = kvm->arch.vioapic;
	unsigned long flags;
	int pin;

	spin_lock_irqsave(&ioapic->lock, flags);
	ioapic->s = *s;
	update_edge_vectors(ioapic);
	for (pin = 0; pin < KVM_IOAPIC_NUM_PINS; pin++)
		ioapic->sources[pin] = (s->irr & BIT(pin)) ?
				       BIT(KVM_USERSPACE_IRQ_SOURCE_ID) : 0;
	spin_unlock_irqrestore(&ioapic->lock, flags);
	ioapic_service_all(ioapic);
}
