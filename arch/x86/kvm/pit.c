// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel i8254 programmable interval timer (8254 datasheet; api.rst 4.71-4.73, 4.99).
 *
 * Ports 0x40-0x42 are counters 0-2, 0x43 the mode/command register; 0x61 (the PC's system
 * control port B) gates counter 2 (bit 0) and shows its output (bit 5). Counters run at
 * 1193182 Hz from the host's monotonic clock: a counter keeps the count it was loaded with
 * and the time of the load (ktime_get(), as kvm_pit_channel_state.count_load_time reports
 * it), and every read computes the current value from the time elapsed since. Nothing
 * ticks while nobody looks, except counter 0, whose output drives GSI 0: an hrtimer
 * expires at each of its rising edges (modes 2/3: every period; modes 0/4: once).
 *
 * Interrupt delivery (api.rst 4.99 KVM_REINJECT_CONTROL): the timer only counts ticks
 * (pending) and queues inject_work, which raises and lowers GSI 0 in process context. With
 * reinjection on (the default), one tick at a time is in flight: the next one waits until
 * the guest acknowledges the last (the ack notifier on GSI 0), so ticks the guest could not
 * take while it was not running are delivered later rather than lost. With it off, ticks
 * that arrive while one is pending coalesce. A tick the routing reports masked or
 * unrouted (kvm_set_irq() < 0) is dropped with everything pending: nobody would ever
 * acknowledge it.
 *
 * Deliberate simplifications, as the state ABI (struct kvm_pit_channel_state: a count and
 * a load time) can express, and as Linux KVM's model behaves: a low gate does not suspend
 * counting in modes 0 and 4, nor freeze the counting element in modes 2 and 3 (it holds
 * OUT high there, and the rising edge reloads, 8254 datasheet "Gate" table); a new count
 * in modes 2/3 takes effect at once rather than at the end of the current period.
 */
#include <linux/hrtimer.h>
#include <linux/kvm.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "kvm_core.h"
#include "irq.h"
#include "pit.h"

#define PIT_HZ			1193182
#define PIT_PORT_BASE		0x40
#define PIT_PORT_CMD		0x43
#define SPEAKER_PORT		0x61

/*
 * read_state / write_state / count_latched values: these are what the state ABI carries
 * (QEMU reads them too); WORD0/WORD1 are the two bytes of "LSB then MSB" access.
 */
enum { RW_LSB = 1, RW_MSB = 2, RW_WORD0 = 3, RW_WORD1 = 4 };

/*
 * Timer interrupts no faster than this: a guest loading count 1 in mode 2 would otherwise
 * make the host take an hrtimer interrupt every 838 ns. Only interrupt delivery is limited;
 * reads of the counter are exact.
 */
#define PIT_MIN_PERIOD_NS	(100 * NSEC_PER_USEC)
/* reinjection backlog bound; about 10 minutes of ticks at 18.2 Hz, 10 s at 1 kHz */
#define PIT_MAX_PENDING		10000

struct pit_chan {
	u32 count;		/* loaded count, 1..65536 (10000 in BCD) */
	ktime_t load_time;	/* when counting from count began */
	bool loaded;		/* a count was written since the last control word */
	bool triggered;		/* modes 1 and 5: a gate rising edge started counting */
	u16 latched_count;
	u8 count_latched;	/* RW_* state of reading latched_count; 0: none latched */
	u8 status_latched;
	u8 status;
	u8 read_state, write_state, write_latch;
	u8 rw_mode;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	u8 mode;		/* 0-7 as last written (6 and 7 act as 2 and 3) */
	u8 bcd;
	u8 gate;
};

struct kvm_pit {
	struct kvm *kvm;			/* immutable */
	struct kvm_io_device dev;		/* ports 0x40-0x43 */
	struct kvm_io_device speaker;		/* port 0x61 (KVM_PIT_SPEAKER_DUMMY) */
	bool has_speaker;			/* immutable */

	struct mutex lock;			/* everything below up to inj_lock */
	struct pit_chan ch[3];
	/*
	 * kvm_pit_state2.flags as last set, unknown bits kept as Linux KVM keeps them:
	 * KVM_PIT_FLAGS_HPET_LEGACY (no IRQ0), KVM_PIT_FLAGS_SPEAKER_DATA_ON (port 0x61 bit 1)
	 */
	u32 flags;

	/* counter 0's output; lock to (re)arm and cancel, the callback reads period */
	struct hrtimer timer;
	s64 period_ns;				/* 0: one shot */

	spinlock_t inj_lock;			/* irqsave; the fields below */
	u32 pending;				/* ticks not delivered yet */
	bool in_flight;				/* reinject: delivered, not yet acknowledged */
	bool reinject;
	struct work_struct inject_work;
	struct kvm_irq_ack_notifier ack;
};

static u8 eff_mode(const struct pit_chan *c)
{
	return c->mode >= 6 ? c->mode - 4 : c->mode;
}

static u64 ticks_since(const struct pit_chan *c, ktime_t now)
{
	s64 ns = ktime_to_ns(ktime_sub(now, c->load_time));

	return ns > 0 ? mul_u64_u32_div(ns, PIT_HZ, NSEC_PER_SEC) : 0;
}

static u64 ticks_to_ns(u64 ticks)
{
	return mul_u64_u32_div(ticks, NSEC_PER_SEC, PIT_HZ);
}

/* the counting element now, binary (65536 and 10000 read as 0 in 16 bits / 4 digits) */
static u32 pit_value(const struct pit_chan *c, ktime_t now)
{
	u32 n = c->count, modulus = c->bcd ? 10000 : 65536;
	u64 d = ticks_since(c, now);

	switch (eff_mode(c)) {
	case 1:
	case 5:
		if (!c->triggered)
			return n % modulus;
		fallthrough;
	case 0:
	case 4:
		/* after terminal count the counter keeps counting down, wrapping */
		return (n + modulus - (u32)(d % modulus)) % modulus;
	case 2:
		return n - (u32)(d % n);		/* n .. 1, reload */
	default:
		return n - (u32)((2 * d) % n);		/* mode 3: twice per clock */
	}
}

/* the OUT pin (datasheet "Mode definitions" waveforms) */
static bool pit_out(const struct pit_chan *c, ktime_t now)
{
	u32 n = c->count;
	u64 d = ticks_since(c, now);

	switch (eff_mode(c)) {
	case 0:			/* low after the control word, high at terminal count */
		return c->loaded && d >= n;
	case 1:			/* low from the trigger to terminal count */
		return !c->loaded || !c->triggered || d >= n;
	case 2:			/* low for the one clock the count is 1 */
		return !c->loaded || !c->gate || d % n != n - 1;
	case 3:			/* high for the first half (longer one if odd) */
		return !c->loaded || !c->gate || d % n < (n + 1) / 2;
	case 4:			/* low for one clock at terminal count */
		return !c->loaded || d != n;
	default:		/* 5 */
		return !c->loaded || !c->triggered || d != n;
	}
}

static u16 bin2bcd16(u32 v)
{
	return (v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000 % 10) << 12;
}

static u32 bcd2bin16(u16 v)
{
	return (v & 15) + (v >> 4 & 15) * 10 + (v >> 8 & 15) * 100 + (v >> 12 & 15) * 1000;
}

static u16 pit_read_value(const struct pit_chan *c, ktime_t now)
{
	u32 v = pit_value(c, now);

	return c->bcd ? bin2bcd16(v) : (u16)v;
}

/* read-back status byte (datasheet "Status Byte"): OUT, NULL COUNT, RW1 RW0, M2-M0, BCD */
static u8 pit_status(const struct pit_chan *c, ktime_t now)
{
	bool null_count = !c->loaded || c->write_state == RW_WORD1 ||
			  ((eff_mode(c) == 1 || eff_mode(c) == 5) && !c->triggered) ||
			  ticks_since(c, now) == 0;

	return pit_out(c, now) << 7 | null_count << 6 | c->rw_mode << 4 | c->mode << 1 |
	       c->bcd;
}

/* counter 0's output edges: (re)arm the hrtimer; lock held */
static void pit_arm_timer(struct kvm_pit *pit)
{
	struct pit_chan *c = &pit->ch[0];
	u64 first;

	lockdep_assert_held(&pit->lock);
	hrtimer_cancel(&pit->timer);
	if ((pit->flags & KVM_PIT_FLAGS_HPET_LEGACY) || !c->loaded)
		return;
	switch (eff_mode(c)) {
	case 0:
	case 4:
		pit->period_ns = 0;
		first = ticks_to_ns(c->count);
		break;
	case 2:
	case 3:
		if (!c->gate)
			return;
		pit->period_ns = max_t(s64, ticks_to_ns(c->count), PIT_MIN_PERIOD_NS);
		first = pit->period_ns;
		break;
	default:		/* 1 and 5 wait for a gate edge: counter 0's gate is tied high */
		return;
	}
	hrtimer_start(&pit->timer, ktime_add_ns(c->load_time, first), HRTIMER_MODE_ABS);
}

static void pit_load(struct kvm_pit *pit, int i, u32 val)
{
	struct pit_chan *c = &pit->ch[i];

	if (c->bcd)
		val = bcd2bin16(val);
	if (!val)
		val = c->bcd ? 10000 : 65536;	/* datasheet: 0 is the largest count */
	c->count = val;
	c->load_time = ktime_get();
	c->loaded = true;
	c->triggered = false;
	if (i == 0)
		pit_arm_timer(pit);
}

static void pit_set_gate(struct kvm_pit *pit, int i, u8 gate)
{
	struct pit_chan *c = &pit->ch[i];

	if (!c->gate && gate) {
		/* rising edge: triggers modes 1 and 5, restarts 2 and 3 */
		switch (eff_mode(c)) {
		case 1:
		case 2:
		case 3:
		case 5:
			c->load_time = ktime_get();
			c->triggered = true;
			break;
		}
	}
	c->gate = gate;
	if (i == 0)
		pit_arm_timer(pit);
}

static void pit_latch_count(struct pit_chan *c, ktime_t now)
{
	if (c->count_latched)
		return;		/* datasheet: later latches ignored until it is read */
	c->latched_count = pit_read_value(c, now);
	c->count_latched = c->rw_mode;	/* 3 (LSB then MSB) is RW_WORD0 */
}

static void pit_write_cmd(struct kvm_pit *pit, u8 val)
{
	ktime_t now = ktime_get();
	int sc = val >> 6, i;
	struct pit_chan *c;
	u8 rw;

	if (sc == 3) {
		/* read-back command: bit 5 = !COUNT, bit 4 = !STATUS, bits 3-1 counters 2-0 */
		for (i = 0; i < 3; i++) {
			if (!(val & (2 << i)))
				continue;
			c = &pit->ch[i];
			if (!(val & 0x20))
				pit_latch_count(c, now);
			if (!(val & 0x10) && !c->status_latched) {
				c->status = pit_status(c, now);
				c->status_latched = 1;
			}
		}
		return;
	}
	c = &pit->ch[sc];
	rw = (val >> 4) & 3;
	if (!rw) {
		pit_latch_count(c, now);	/* counter latch command */
		return;
	}
	c->rw_mode = rw;
	c->read_state = c->write_state = rw;
	c->mode = (val >> 1) & 7;
	c->bcd = val & 1;
	c->loaded = false;		/* OUT to its initial state until a count comes */
	if (sc == 0)
		pit_arm_timer(pit);
}

static void pit_write_count(struct kvm_pit *pit, int i, u8 val)
{
	struct pit_chan *c = &pit->ch[i];

	switch (c->write_state) {
	case RW_LSB:
		pit_load(pit, i, val);
		break;
	case RW_MSB:
		pit_load(pit, i, val << 8);
		break;
	case RW_WORD0:
		c->write_latch = val;
		c->write_state = RW_WORD1;
		break;
	default:
		c->write_state = RW_WORD0;
		pit_load(pit, i, c->write_latch | val << 8);
		break;
	}
}

static u8 pit_read_count(struct pit_chan *c)
{
	u16 v;
	u8 r;

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latched_count;
		switch (c->count_latched) {
		case RW_LSB:
			c->count_latched = 0;
			return v & 0xff;
		case RW_MSB:
			c->count_latched = 0;
			return v >> 8;
		case RW_WORD0:
			c->count_latched = RW_WORD1;
			return v & 0xff;
		default:
			c->count_latched = 0;
			return v >> 8;
		}
	}
	v = pit_read_value(c, ktime_get());
	switch (c->read_state) {
	case RW_LSB:
		r = v & 0xff;
		break;
	case RW_MSB:
		r = v >> 8;
		break;
	case RW_WORD0:
		r = v & 0xff;
		c->read_state = RW_WORD1;
		break;
	default:
		r = v >> 8;
		c->read_state = RW_WORD0;
		break;
	}
	return r;
}

/* accesses wider than a byte use their low byte and read as that byte zero-extended */
static int pit_io_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
			unsigned int len, const void *val)
{
	struct kvm_pit *pit = container_of(dev, struct kvm_pit, dev);
	u8 v = *(const u8 *)val;

	mutex_lock(&pit->lock);
	if (addr == PIT_PORT_CMD)
		pit_write_cmd(pit, v);
	else
		pit_write_count(pit, addr - PIT_PORT_BASE, v);
	mutex_unlock(&pit->lock);
	return 0;
}

static int pit_io_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
		       unsigned int len, void *val)
{
	struct kvm_pit *pit = container_of(dev, struct kvm_pit, dev);
	u8 v = 0;		/* datasheet: the control word register cannot be read */

	mutex_lock(&pit->lock);
	if (addr != PIT_PORT_CMD)
		v = pit_read_count(&pit->ch[addr - PIT_PORT_BASE]);
	mutex_unlock(&pit->lock);
	memset(val, 0, len);
	*(u8 *)val = v;
	return 0;
}

static const struct kvm_io_device_ops pit_io_ops = {
	.read = pit_io_read,
	.write = pit_io_write,
};

/*
 * Port 0x61, IBM PC/AT system control port B: bit 0 gate of counter 2, bit 1 speaker data
 * (both read back), bit 4 the DRAM refresh request, which toggles every 15.085 us and
 * which BIOSes and old guests poll as a delay, bit 5 counter 2's OUT.
 */
static int speaker_io_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
			   unsigned int len, void *val)
{
	struct kvm_pit *pit = container_of(dev, struct kvm_pit, speaker);
	ktime_t now = ktime_get();
	bool refresh = div_u64(ktime_to_ns(now), 15085) & 1;
	u8 v;

	mutex_lock(&pit->lock);
	v = pit->ch[2].gate | !!(pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) << 1 | refresh << 4 |
	    pit_out(&pit->ch[2], now) << 5;
	mutex_unlock(&pit->lock);
	memset(val, 0, len);
	*(u8 *)val = v;
	return 0;
}

static int speaker_io_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
			    unsigned int len, const void *val)
{
	struct kvm_pit *pit = container_of(dev, struct kvm_pit, speaker);
	u8 v = *(const u8 *)val;

	mutex_lock(&pit->lock);
	pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	if (v & 2)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	pit_set_gate(pit, 2, v & 1);
	mutex_unlock(&pit->lock);
	return 0;
}

static const struct kvm_io_device_ops speaker_io_ops = {
	.read = speaker_io_read,
	.write = speaker_io_write,
};

/* hrtimer (hard interrupt context): count the tick, leave delivery to inject_work */
static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct kvm_pit *pit = container_of(t, struct kvm_pit, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	u64 ticks = 1;

	if (pit->period_ns) {
		/* periods missed while the host was busy are ticks too */
		ticks = hrtimer_forward_now(t, ns_to_ktime(pit->period_ns));
		ret = HRTIMER_RESTART;
	}
	spin_lock_irqsave(&pit->inj_lock, flags);
	if (pit->reinject)
		pit->pending = min_t(u64, (u64)pit->pending + ticks, PIT_MAX_PENDING);
	else
		pit->pending = 1;
	spin_unlock_irqrestore(&pit->inj_lock, flags);
	queue_work(system_highpri_wq, &pit->inject_work);
	return ret;
}

/* process context: one edge on GSI 0 if a tick waits and (reinject) none is in flight */
static void pit_inject_work(struct work_struct *work)
{
	struct kvm_pit *pit = container_of(work, struct kvm_pit, inject_work);
	unsigned long flags;
	int r;

	spin_lock_irqsave(&pit->inj_lock, flags);
	if (!pit->pending || (pit->reinject && pit->in_flight)) {
		spin_unlock_irqrestore(&pit->inj_lock, flags);
		return;
	}
	pit->pending--;
	pit->in_flight = pit->reinject;
	spin_unlock_irqrestore(&pit->inj_lock, flags);

	r = kvm_set_irq(pit->kvm, KVM_PIT_IRQ_SOURCE_ID, 0, 1, false);
	kvm_set_irq(pit->kvm, KVM_PIT_IRQ_SOURCE_ID, 0, 0, false);
	if (r < 0) {
		/* masked or not routed: no acknowledgment will come */
		spin_lock_irqsave(&pit->inj_lock, flags);
		pit->in_flight = false;
		pit->pending = 0;
		spin_unlock_irqrestore(&pit->inj_lock, flags);
	}
}

/* the guest acknowledged IRQ0 (atomic context): the next pending tick may go */
static void pit_acked(struct kvm_irq_ack_notifier *ian)
{
	struct kvm_pit *pit = container_of(ian, struct kvm_pit, ack);
	unsigned long flags;
	bool more;

	spin_lock_irqsave(&pit->inj_lock, flags);
	pit->in_flight = false;
	more = pit->pending;
	spin_unlock_irqrestore(&pit->inj_lock, flags);
	if (more)
		queue_work(system_highpri_wq, &pit->inject_work);
}

static struct kvm_pit *pit_create(struct kvm *kvm, u32 flags)
{
	struct kvm_pit *pit = kzalloc(sizeof(*pit), GFP_KERNEL_ACCOUNT);
	ktime_t now = ktime_get();
	int i;

	if (!pit)
		return NULL;
	pit->kvm = kvm;
	mutex_init(&pit->lock);
	spin_lock_init(&pit->inj_lock);
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	pit->timer.function = pit_timer_fn;
	INIT_WORK(&pit->inject_work, pit_inject_work);
	pit->reinject = true;
	pit->ack.gsi = 0;
	pit->ack.acked = pit_acked;
	pit->has_speaker = flags & KVM_PIT_SPEAKER_DUMMY;
	/* power-on: no count loaded; counters 0 and 1 gated on, 2 through port 0x61 */
	for (i = 0; i < 3; i++) {
		pit->ch[i].count = 65536;
		pit->ch[i].load_time = now;
		pit->ch[i].gate = i != 2;
		pit->ch[i].rw_mode = RW_WORD0;
		pit->ch[i].read_state = pit->ch[i].write_state = RW_WORD0;
	}
	pit->dev.ops = &pit_io_ops;
	pit->dev.pio = true;
	pit->dev.addr = PIT_PORT_BASE;
	pit->dev.len = 4;
	pit->speaker.ops = &speaker_io_ops;
	pit->speaker.pio = true;
	pit->speaker.addr = SPEAKER_PORT;
	pit->speaker.len = 1;
	return pit;
}

static long pit_ioctl_create(struct kvm *kvm, u32 flags)
{
	struct kvm_pit *pit;
	long r;

	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm->arch.vpit)
		goto out;
	/*
	 * api.rst 4.71 says "only valid after KVM_CREATE_IRQCHIP", but Linux KVM creates the
	 * PIT without one (its ticks then go nowhere: kvm_set_irq() finds no route), and so
	 * do we: the counters and the speaker port work either way.
	 */
	r = -ENOMEM;
	pit = pit_create(kvm, flags);
	if (!pit)
		goto out;
	/*
	 * Devices cannot be unregistered: check room for both first so that a failure
	 * leaves none behind pointing at freed memory.
	 */
	r = -ENOSPC;
	if (kvm->nr_io_devices + 1 + pit->has_speaker > KVM_MAX_IO_DEVICES) {
		kfree(pit);
		goto out;
	}
	WARN_ON_ONCE(kvm_io_device_register(kvm, &pit->dev));
	if (pit->has_speaker)
		WARN_ON_ONCE(kvm_io_device_register(kvm, &pit->speaker));
	kvm_register_irq_ack_notifier(kvm, &pit->ack);
	kvm->arch.vpit = pit;
	r = 0;
out:
	mutex_unlock(&kvm->lock);
	return r;
}

static void pit_get_state(struct kvm_pit *pit, struct kvm_pit_channel_state *s)
{
	int i;

	mutex_lock(&pit->lock);
	for (i = 0; i < 3; i++, s++) {
		const struct pit_chan *c = &pit->ch[i];

		s->count = c->count;
		s->latched_count = c->latched_count;
		s->count_latched = c->count_latched;
		s->status_latched = c->status_latched;
		s->status = c->status;
		s->read_state = c->read_state;
		s->write_state = c->write_state;
		s->write_latch = c->write_latch;
		s->rw_mode = c->rw_mode;
		s->mode = c->mode;
		s->bcd = c->bcd;
		s->gate = c->gate;
		s->count_load_time = ktime_to_ns(c->load_time);
	}
	mutex_unlock(&pit->lock);
}

/*
 * Counting restarts from count at the time of the call (count_load_time is not taken:
 * it is a time on the source host's clock), as on Linux KVM. Values are masked to the
 * ranges the ports could have produced.
 */
static void pit_set_state(struct kvm_pit *pit, const struct kvm_pit_channel_state *s)
{
	int i;

	mutex_lock(&pit->lock);
	for (i = 0; i < 3; i++, s++) {
		struct pit_chan *c = &pit->ch[i];

		c->latched_count = s->latched_count;
		c->count_latched = s->count_latched <= RW_WORD1 ? s->count_latched : 0;
		c->status_latched = !!s->status_latched;
		c->status = s->status;
		c->read_state = clamp_t(u8, s->read_state, RW_LSB, RW_WORD1);
		c->write_state = clamp_t(u8, s->write_state, RW_LSB, RW_WORD1);
		c->write_latch = s->write_latch;
		c->rw_mode = clamp_t(u8, s->rw_mode, RW_LSB, RW_WORD0);
		c->mode = s->mode & 7;
		c->bcd = s->bcd & 1;
		c->gate = !!s->gate;
		c->count = s->count & 0xffff ?: (c->bcd ? 10000 : 65536);
		c->load_time = ktime_get();
		c->loaded = true;
		c->triggered = c->gate;
	}
	pit_arm_timer(pit);
	mutex_unlock(&pit->lock);
}

static void pit_set_flags(struct kvm_pit *pit, u32 flags)
{
	mutex_lock(&pit->lock);
	/* the HPET took over IRQ0 (or gave it back): counter 0 stops interrupting */
	pit->flags = flags;
	pit_arm_timer(pit);
	mutex_unlock(&pit->lock);
}

static void pit_set_reinject(struct kvm_pit *pit, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&pit->inj_lock, flags);
	pit->reinject = on;
	if (!on) {
		pit->in_flight = false;
		pit->pending = min_t(u32, pit->pending, 1);
	}
	spin_unlock_irqrestore(&pit->inj_lock, flags);
}

long kvm_pit_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	struct kvm_pit *pit = READ_ONCE(kvm->arch.vpit);
	union {
		struct kvm_pit_config config;
		struct kvm_pit_state state;
		struct kvm_pit_state2 state2;
		struct kvm_reinject_control reinject;
	} u;

	switch (ioctl) {
	case KVM_CREATE_PIT:		/* the obsolete form: always with the speaker port */
		return pit_ioctl_create(kvm, KVM_PIT_SPEAKER_DUMMY);
	case KVM_CREATE_PIT2:
		if (copy_from_user(&u.config, argp, sizeof(u.config)))
			return -EFAULT;
		return pit_ioctl_create(kvm, u.config.flags);
	case KVM_GET_PIT:
		if (!pit)
			return -ENXIO;
		pit_get_state(pit, u.state.channels);
		return copy_to_user(argp, &u.state, sizeof(u.state)) ? -EFAULT : 0;
	case KVM_SET_PIT:
		if (copy_from_user(&u.state, argp, sizeof(u.state)))
			return -EFAULT;
		if (!pit)
			return -ENXIO;
		pit_set_state(pit, u.state.channels);
		return 0;
	case KVM_GET_PIT2:
		if (!pit)
			return -ENXIO;
		memset(&u.state2, 0, sizeof(u.state2));
		pit_get_state(pit, u.state2.channels);
		mutex_lock(&pit->lock);
		u.state2.flags = pit->flags;
		mutex_unlock(&pit->lock);
		return copy_to_user(argp, &u.state2, sizeof(u.state2)) ? -EFAULT : 0;
	case KVM_SET_PIT2:
		if (copy_from_user(&u.state2, argp, sizeof(u.state2)))
			return -EFAULT;
		if (!pit)
			return -ENXIO;
		pit_set_flags(pit, u.state2.flags);
		pit_set_state(pit, u.state2.channels);
		return 0;
	case KVM_REINJECT_CONTROL:
		if (copy_from_user(&u.reinject, argp, sizeof(u.reinject)))
			return -EFAULT;
		if (!pit)
			return -ENXIO;
		pit_set_reinject(pit, u.reinject.pit_reinject);
		return 0;
	default:
		return -ENOTTY;
	}
}

void kvm_pit_destroy(struct kvm *kvm)
{
	struct kvm_pit *pit = kvm->arch.vpit;

	if (!pit)
		return;
	/* the vCPUs are gone: no port access or ioctl can re-arm the timer */
	hrtimer_cancel(&pit->timer);
	/*
	 * returns after a grace period: no callback that found the notifier is still running,
	 * so none can queue inject_work after the cancel below
	 */
	kvm_unregister_irq_ack_notifier(kvm, &pit->ack);
	cancel_work_sync(&pit->inject_work);
	kvm->arch.vpit = NULL;
	kfree(pit);
}
