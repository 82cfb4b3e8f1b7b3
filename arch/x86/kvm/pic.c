// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two cascaded 8259A programmable interrupt controllers (Intel 8259A datasheet) as a PC
 * wires them: the master at ports 0x20/0x21, the slave at 0xa0/0xa1 on the master's IR2,
 * and the PIIX edge/level control registers (ELCR) at 0x4d0 (master) / 0x4d1 (slave).
 *
 * The state is kept in the layout of KVM_GET/SET_IRQCHIP (struct kvm_pic_state):
 *   last_irr	the level of each input line as last seen (edge detection)
 *   irr, imr, isr	request, mask and in-service registers
 *   priority_add	the pin with the highest priority (rotation: the pin after the last
 *		one serviced); priority of pin p is (p - priority_add) & 7, 0 highest
 *   init_state	0 operational; 1, 2, 3: ICW2, ICW3, ICW4 expected next
 *   elcr	1 = level-triggered pin (the 8259A's LTIM is replaced by ELCR on a PC)
 *
 * Edge pins latch IRR on a rising edge of the line (the OR of its sources) and keep it until
 * INTA; level pins' IRR follows the line. The master's IR2 follows the slave's INT output.
 *
 * Locking: one spinlock (pic->lock) for both chips; a leaf. The LAPIC's callbacks
 * (kvm_apic_pic_output_changed) and the ack notifiers run after it is dropped, so the LAPIC
 * may call kvm_pic_ack() and a notifier kvm_pic_set_irq() under locks of their own.
 */
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kvm_core.h"
#include "irq.h"
#include "pic.h"

struct kvm_pic_chip {
	struct kvm_pic_state s;			/* pic->lock */
	u8 sources[8];				/* pic->lock: bit per irq source id, per pin */
	bool single;				/* pic->lock: ICW1 SNGL, until ICW2 */
};

struct kvm_pic {
	spinlock_t lock;
	struct kvm *kvm;			/* immutable */
	struct kvm_pic_chip chip[2];		/* master, slave */
	bool output;				/* lock: the master's INTR as last computed */
	struct kvm_io_device dev_master, dev_slave, dev_elcr;	/* immutable once on the bus */
	/* lock: (chip << 3 | pin) acked since the lock was taken, for notification after */
	u16 acked;
};

#define MASTER	0
#define SLAVE	1
#define CASCADE_PIN	2

/* the pin of highest priority among bits, or -1 */
static int highest(u8 bits, u8 priority_add)
{
	int p;

	for (p = 0; p < 8; p++) {
		int pin = (p + priority_add) & 7;

		if (bits & BIT(pin))
			return pin;
	}
	return -1;
}

static int prio(int pin, u8 priority_add)
{
	return (pin - priority_add) & 7;
}

/*
 * The pin this chip requests service for (drives INT for), or -1: the highest-priority
 * unmasked request above the highest-priority level in service. In special mask mode masked
 * levels in service do not block; in special fully nested mode (master) the cascade's own
 * in-service bit does not block further slave requests (8259A datasheet, "Special Mask
 * Mode", "Special Fully Nested Mode").
 */
static int chip_pending(const struct kvm_pic_chip *c, bool master)
{
	u8 pa = c->s.priority_add;
	u8 isr = c->s.isr;
	int pin, cur;

	pin = highest(c->s.irr & ~c->s.imr, pa);
	if (pin < 0)
		return -1;
	if (c->s.special_mask)
		isr &= ~c->s.imr;
	if (master && c->s.special_fully_nested_mode)
		isr &= ~BIT(CASCADE_PIN);
	cur = highest(isr, pa);
	if (cur >= 0 && prio(pin, pa) >= prio(cur, pa))
		return -1;
	return pin;
}

/* recompute the cascade and the INTR output; returns true when INTR changed */
static bool pic_update(struct kvm_pic *pic)
{
	struct kvm_pic_chip *m = &pic->chip[MASTER];
	bool out;

	if (chip_pending(&pic->chip[SLAVE], false) >= 0) {
		m->s.irr |= BIT(CASCADE_PIN);
		m->s.last_irr |= BIT(CASCADE_PIN);
	} else {
		m->s.irr &= ~BIT(CASCADE_PIN);
		m->s.last_irr &= ~BIT(CASCADE_PIN);
	}
	out = chip_pending(m, true) >= 0;
	if (out == pic->output)
		return false;
	pic->output = out;
	return true;
}

static void pic_note_acked(struct kvm_pic *pic, int chip, int pin)
{
	if (chip == MASTER && pin == CASCADE_PIN)
		return;
	pic->acked |= BIT(chip * 8 + pin);
}

/* drop the lock, then tell the LAPIC and the ack notifiers what changed under it */
static void pic_unlock(struct kvm_pic *pic, unsigned long flags, bool changed)
	__releases(&pic->lock)
{
	u16 acked = pic->acked;
	int i;

	pic->acked = 0;
	spin_unlock_irqrestore(&pic->lock, flags);
	for (i = 0; i < 16; i++)
		if (acked & BIT(i))
			kvm_notify_acked_irq(pic->kvm, i < 8 ? KVM_IRQCHIP_PIC_MASTER :
					     KVM_IRQCHIP_PIC_SLAVE, i & 7);
	if (changed)
		kvm_apic_pic_output_changed(pic->kvm);
}

/*
 * Acknowledge pin of chip c (INTA or poll): an edge pin's request is consumed (and its
 * source may send the next one: the PIT's reinjection hears of it here); a level pin's
 * stays as long as the line. In automatic EOI mode the in-service bit is not set at all.
 */
static void chip_ack(struct kvm_pic *pic, int chip, int pin)
{
	struct kvm_pic_chip *c = &pic->chip[chip];
	bool level = c->s.elcr & BIT(pin);

	if (!level) {
		c->s.irr &= ~BIT(pin);
		pic_note_acked(pic, chip, pin);
	}
	if (c->s.auto_eoi) {
		if (c->s.rotate_on_auto_eoi)
			c->s.priority_add = (pin + 1) & 7;
		if (level)
			pic_note_acked(pic, chip, pin);
	} else {
		c->s.isr |= BIT(pin);
	}
}

static void chip_eoi(struct kvm_pic *pic, int chip, int pin)
{
	struct kvm_pic_chip *c = &pic->chip[chip];

	if (!(c->s.isr & BIT(pin)))
		return;
	c->s.isr &= ~BIT(pin);
	if (c->s.elcr & BIT(pin))
		pic_note_acked(pic, chip, pin);
}

int kvm_pic_set_irq(struct kvm *kvm, int source_id, unsigned int pin, int level)
{
	struct kvm_pic *pic = kvm->arch.vpic;
	struct kvm_pic_chip *c;
	unsigned long flags;
	bool line, changed;
	u8 bit;
	int ret;

	if (!pic || pin >= KVM_PIC_NUM_PINS || source_id < 0 || source_id >= KVM_NR_IRQ_SOURCES)
		return -1;
	/* IR2 of the master is the cascade input, not an interrupt line of the machine */
	if (pin == CASCADE_PIN)
		return -1;
	c = &pic->chip[pin >> 3];
	bit = BIT(pin & 7);

	spin_lock_irqsave(&pic->lock, flags);
	if (level)
		c->sources[pin & 7] |= BIT(source_id);
	else
		c->sources[pin & 7] &= ~BIT(source_id);
	line = c->sources[pin & 7] != 0;

	if (!line) {
		ret = 1;
		if (c->s.elcr & bit)
			c->s.irr &= ~bit;
	} else if (c->s.elcr & bit || !(c->s.last_irr & bit)) {
		/* a level pin asserted, or an edge pin's rising edge */
		ret = (c->s.irr & bit) ? 0 : 1;
		c->s.irr |= bit;
	} else {
		ret = 1;	/* an edge pin already high: no new edge (Linux KVM says 1) */
	}
	if (line)
		c->s.last_irr |= bit;
	else
		c->s.last_irr &= ~bit;
	if (ret > 0 && (c->s.imr & bit))
		ret = -1;
	changed = pic_update(pic);
	pic_unlock(pic, flags, changed);
	return ret;
}

bool kvm_pic_intr_raised(struct kvm *kvm)
{
	struct kvm_pic *pic = kvm->arch.vpic;

	return pic && READ_ONCE(pic->output);
}

/* the INTA cycle (8259A datasheet, "Interrupt Sequence"): the vector on the data bus */
int kvm_pic_ack(struct kvm *kvm)
{
	struct kvm_pic *pic = kvm->arch.vpic;
	struct kvm_pic_chip *m, *s;
	unsigned long flags;
	int pin, spin, vector;
	bool changed;

	if (!pic)
		return -1;
	m = &pic->chip[MASTER];
	s = &pic->chip[SLAVE];
	spin_lock_irqsave(&pic->lock, flags);
	pin = chip_pending(m, true);
	if (pin < 0) {
		/* the request went away before INTA: the spurious IRQ7, nothing in service */
		vector = m->s.irq_base | 7;
	} else {
		chip_ack(pic, MASTER, pin);
		if (pin == CASCADE_PIN) {
			spin = chip_pending(s, false);
			if (spin < 0) {
				vector = s->s.irq_base | 7;	/* spurious IRQ15 */
			} else {
				chip_ack(pic, SLAVE, spin);
				vector = s->s.irq_base + spin;
			}
		} else {
			vector = m->s.irq_base + pin;
		}
	}
	changed = pic_update(pic);
	pic_unlock(pic, flags, changed);
	return vector;
}

/* ICW1: 8259A datasheet, "Initialization Command Words" */
static void chip_icw1(struct kvm_pic_chip *c, u8 val)
{
	/* the edge sense latch is reset: a line already high needs a new rising edge */
	c->s.irr &= c->s.elcr & c->s.last_irr;
	c->s.imr = 0;
	c->s.isr = 0;
	c->s.priority_add = 0;
	c->s.special_mask = 0;
	c->s.read_reg_select = 0;
	c->s.poll = 0;
	c->s.init4 = val & 1;
	if (!c->s.init4) {
		/* ICW4 functions not given are zero */
		c->s.auto_eoi = 0;
		c->s.special_fully_nested_mode = 0;
	}
	c->s.rotate_on_auto_eoi = 0;
	c->single = val & 2;
	c->s.init_state = 1;
}

static void chip_init_word(struct kvm_pic_chip *c, u8 val)
{
	switch (c->s.init_state) {
	case 1:		/* ICW2: vector base, T7-T3 */
		c->s.irq_base = val & 0xf8;
		c->s.init_state = !c->single ? 2 : c->s.init4 ? 3 : 0;
		break;
	case 2:		/* ICW3: the cascade is wired, the value changes nothing */
		c->s.init_state = c->s.init4 ? 3 : 0;
		break;
	default:	/* ICW4: AEOI bit 1, SFNM bit 4; uPM, BUF, M/S do not matter here */
		c->s.auto_eoi = !!(val & 2);
		c->s.special_fully_nested_mode = !!(val & 0x10);
		c->s.init_state = 0;
		break;
	}
}

/* OCW2: 8259A datasheet, "Operation Command Words", R SL EOI in bits 7:5 */
static void chip_ocw2(struct kvm_pic *pic, int chip, u8 val)
{
	struct kvm_pic_chip *c = &pic->chip[chip];
	int pin = val & 7;

	switch (val >> 5) {
	case 0:		/* rotate in automatic EOI mode: clear */
		c->s.rotate_on_auto_eoi = 0;
		break;
	case 4:		/* rotate in automatic EOI mode: set */
		c->s.rotate_on_auto_eoi = 1;
		break;
	case 1:		/* non-specific EOI */
	case 5:		/* rotate on non-specific EOI */
		pin = highest(c->s.isr, c->s.priority_add);
		if (pin < 0)
			break;
		chip_eoi(pic, chip, pin);
		if (val >> 5 == 5)
			c->s.priority_add = (pin + 1) & 7;
		break;
	case 3:		/* specific EOI */
		chip_eoi(pic, chip, pin);
		break;
	case 7:		/* rotate on specific EOI */
		chip_eoi(pic, chip, pin);
		c->s.priority_add = (pin + 1) & 7;
		break;
	case 6:		/* set priority: pin becomes the lowest */
		c->s.priority_add = (pin + 1) & 7;
		break;
	default:	/* 2: no operation */
		break;
	}
}

static void chip_write(struct kvm_pic *pic, int chip, bool a0, u8 val)
{
	struct kvm_pic_chip *c = &pic->chip[chip];

	if (!a0) {
		if (val & 0x10) {
			chip_icw1(c, val);
		} else if (val & 0x08) {
			/* OCW3: P bit 2; RR, RIS bits 1:0; ESMM, SMM bits 6:5 */
			c->s.poll = !!(val & 4);
			if (val & 2)
				c->s.read_reg_select = val & 1;
			if (val & 0x40)
				c->s.special_mask = !!(val & 0x20);
		} else {
			chip_ocw2(pic, chip, val);
		}
	} else if (c->s.init_state) {
		chip_init_word(c, val);
	} else {
		c->s.imr = val;		/* OCW1 */
	}
}

static u8 chip_read(struct kvm_pic *pic, int chip, bool a0)
{
	struct kvm_pic_chip *c = &pic->chip[chip];
	int pin;

	if (a0)
		return c->s.imr;
	if (c->s.poll) {
		/* poll command: this read is the acknowledge; bit 7 set when there was one */
		c->s.poll = 0;
		pin = chip_pending(c, chip == MASTER);
		if (pin < 0)
			return 0;
		chip_ack(pic, chip, pin);
		return 0x80 | pin;
	}
	return c->s.read_reg_select ? c->s.isr : c->s.irr;
}

/* one byte of a port access; the device the access reached tells which chip */
static void pic_port_write(struct kvm_pic *pic, u16 port, u8 val)
{
	if (port == 0x4d0 || port == 0x4d1) {
		struct kvm_pic_chip *c = &pic->chip[port & 1];

		c->s.elcr = val & c->s.elcr_mask;
		return;
	}
	chip_write(pic, port >= 0xa0, port & 1, val);
}

static u8 pic_port_read(struct kvm_pic *pic, u16 port)
{
	if (port == 0x4d0 || port == 0x4d1)
		return pic->chip[port & 1].s.elcr;
	return chip_read(pic, port >= 0xa0, port & 1);
}

static struct kvm_pic *dev_to_pic(struct kvm_io_device *dev)
{
	if (dev->addr == 0x20)
		return container_of(dev, struct kvm_pic, dev_master);
	if (dev->addr == 0xa0)
		return container_of(dev, struct kvm_pic, dev_slave);
	return container_of(dev, struct kvm_pic, dev_elcr);
}

static int pic_dev_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
			unsigned int len, void *val)
{
	struct kvm_pic *pic = dev_to_pic(dev);
	unsigned long flags;
	unsigned int i;
	bool changed;
	u8 *data = val;

	spin_lock_irqsave(&pic->lock, flags);
	for (i = 0; i < len; i++)
		data[i] = pic_port_read(pic, addr + i);
	changed = pic_update(pic);
	pic_unlock(pic, flags, changed);
	return 0;
}

static int pic_dev_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
			 unsigned int len, const void *val)
{
	struct kvm_pic *pic = dev_to_pic(dev);
	const u8 *data = val;
	unsigned long flags;
	unsigned int i;
	bool changed;

	spin_lock_irqsave(&pic->lock, flags);
	for (i = 0; i < len; i++)
		pic_port_write(pic, addr + i, data[i]);
	changed = pic_update(pic);
	pic_unlock(pic, flags, changed);
	return 0;
}

static const struct kvm_io_device_ops pic_dev_ops = {
	.read = pic_dev_read,
	.write = pic_dev_write,
};

int kvm_pic_create(struct kvm *kvm)
{
	struct kvm_pic *pic = kzalloc(sizeof(*pic), GFP_KERNEL_ACCOUNT);

	if (!pic)
		return -ENOMEM;
	spin_lock_init(&pic->lock);
	pic->kvm = kvm;
	/* ELCR bits of IRQ 0, 1, 2, 8 and 13 are fixed 0 (edge) on the PIIX */
	pic->chip[MASTER].s.elcr_mask = 0xf8;
	pic->chip[SLAVE].s.elcr_mask = 0xde;
	pic->dev_master = (struct kvm_io_device){ .ops = &pic_dev_ops, .pio = true,
						  .addr = 0x20, .len = 2 };
	pic->dev_slave = (struct kvm_io_device){ .ops = &pic_dev_ops, .pio = true,
						 .addr = 0xa0, .len = 2 };
	pic->dev_elcr = (struct kvm_io_device){ .ops = &pic_dev_ops, .pio = true,
						.addr = 0x4d0, .len = 2 };
	kvm->arch.vpic = pic;
	return 0;
}

int kvm_pic_register(struct kvm *kvm)
{
	struct kvm_pic *pic = kvm->arch.vpic;
	int r;

	r = kvm_io_device_register(kvm, &pic->dev_master);
	if (!r)
		r = kvm_io_device_register(kvm, &pic->dev_slave);
	if (!r)
		r = kvm_io_device_register(kvm, &pic->dev_elcr);
	return r;
}

void kvm_pic_destroy(struct kvm *kvm)
{
	kfree(kvm->arch.vpic);
	kvm->arch.vpic = NULL;
}

void kvm_pic_get_state(struct kvm *kvm, int chip, struct kvm_pic_state *s)
{
	struct kvm_pic *pic = kvm->arch.vpic;
	unsigned long flags;

	spin_lock_irqsave(&pic->lock, flags);
	*s = pic->chip[chip].s;
	spin_unlock_irqrestore(&pic->lock, flags);
}

/*
 * Restore a saved chip. last_irr is the lines' level: the sources driving them are reset
 * to userspace's (the PIT and irqfds raise theirs again on their next event).
 */
void kvm_pic_set_state(struct kvm *kvm, int chip, const struct kvm_pic_state *s)
{
	struct kvm_pic *pic = kvm->arch.vpic;
	struct kvm_pic_chip *c = &pic->chip[chip];
	unsigned long flags;
	bool changed;
	int i;

	spin_lock_irqsave(&pic->lock, flags);
	c->s = *s;
	c->single = false;
	for (i = 0; i < 8; i++)
		c->sources[i] = (s->last_irr & BIT(i)) ? BIT(KVM_USERSPACE_IRQ_SOURCE_ID) : 0;
	changed = pic_update(pic);
	pic_unlock(pic, flags, changed);
}
