// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmclock (Documentation/virt/kvm/x86/msr.rst; api.rst 4.29 KVM_GET_CLOCK, 4.30 KVM_SET_CLOCK,
 * 4.70 KVM_KVMCLOCK_CTRL).
 *
 * The VM's kvmclock is the host's CLOCK_BOOTTIME plus a per-VM offset (0 when the VM is
 * created, moved by KVM_SET_CLOCK). Each vCPU that enabled MSR_KVM_SYSTEM_TIME(_NEW) gets a
 * struct pvclock_vcpu_time_info in its memory: a (guest TSC, kvmclock ns) pair and the
 * TSC-to-ns scale of the host TSC frequency (tsc_khz; the guest TSC runs at the host's, no
 * scaling), from which the guest extrapolates with its own RDTSC.
 *
 * While the host's clocksource is the TSC, the VM has a master clock: one (host TSC, host
 * boottime) pair, taken together, which every vCPU's page and KVM_GET_CLOCK extrapolate from.
 * All vCPUs then compute the same kvmclock from a synchronized TSC, so the pages carry
 * PVCLOCK_TSC_STABLE_BIT and KVM_GET_CLOCK reports KVM_CLOCK_TSC_STABLE with the host's
 * realtime and TSC at the same instant. Without it, each page is a pair sampled when it is
 * written and there is no stable bit.
 *
 * A page is rewritten before the vCPU's next entry (kvmclock_update() from the run loop,
 * preemptible, through kvm_write_guest()) when: the MSR is written, the vCPU runs on another
 * host CPU, its TSC offset changes, KVM_SET_CLOCK, KVM_KVMCLOCK_CTRL, or the host's
 * clocksource stops or starts being the TSC.
 */
#include <linux/kvm.h>
#include <linux/kvm_para.h>
#include <linux/math64.h>
#include <linux/pvclock_gtod.h>
#include <linux/timekeeper_internal.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include "x86.h"
#include "memslot.h"

#define KVMCLOCK_GET_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)

/*
 * The host's clocksource, from the timekeeping notifier (called under the timekeeper's lock,
 * so one writer): host_clock_gen counts the changes of host_clock_tsc.
 */
static bool host_clock_tsc;
unsigned int kvmclock_host_gen;

/* TSC ticks to ns: ns = ((delta << shift, or >> -shift) * mul) >> 32 (pvclock ABI) */
static u32 tsc_mul;
static s8 tsc_shift;

static int kvmclock_gtod_notify(struct notifier_block *nb, unsigned long was_set, void *priv)
{
	struct timekeeper *tk = priv;
	bool tsc = tk->tkr_mono.clock->vdso_clock_mode == VDSO_CLOCKMODE_TSC;

	if (tsc != READ_ONCE(host_clock_tsc)) {
		WRITE_ONCE(host_clock_tsc, tsc);
		smp_wmb();	/* the new mode before the new generation */
		WRITE_ONCE(kvmclock_host_gen, kvmclock_host_gen + 1);
	}
	return 0;
}

static struct notifier_block kvmclock_gtod_nb = {
	.notifier_call = kvmclock_gtod_notify,
};

/* mul and shift such that 2^31 <= mul < 2^32 (or as close as 64 bits allow) */
static void compute_scale(u64 hz)
{
	u64 h = hz;
	int shift = 0;

	while (h > 2ULL * NSEC_PER_SEC) {
		h >>= 1;
		shift--;
	}
	while (h <= NSEC_PER_SEC) {
		h <<= 1;
		shift++;
	}
	tsc_mul = div64_u64((u64)NSEC_PER_SEC << 32, h);
	tsc_shift = shift;
}

static u64 tsc_to_ns(u64 delta)
{
	if (tsc_shift >= 0)
		delta <<= tsc_shift;
	else
		delta >>= -tsc_shift;
	return mul_u64_u32_shr(delta, tsc_mul, 32);
}

int kvmclock_module_init(void)
{
	if (tsc_khz)
		compute_scale((u64)tsc_khz * 1000);
	/* calls the notifier at once with the current timekeeper */
	return pvclock_gtod_register_notifier(&kvmclock_gtod_nb);
}

void kvmclock_module_exit(void)
{
	pvclock_gtod_unregister_notifier(&kvmclock_gtod_nb);
}

/* the host TSC and the host's boottime and realtime at (nearly) one instant */
struct host_sample {
	u64 tsc, boot_ns, real_ns;
};

static void host_sample(struct host_sample *s)
{
	unsigned long flags;
	u64 t0, t1;

	local_irq_save(flags);
	t0 = rdtsc_ordered();
	s->boot_ns = ktime_get_boottime_ns();
	s->real_ns = ktime_get_real_ns();
	t1 = rdtsc_ordered();
	local_irq_restore(flags);
	s->tsc = t0 + (t1 - t0) / 2;
}

/* a new master clock pair from s (or none if the host clock is not the TSC); clock_lock */
static void master_set(struct kvm *kvm, const struct host_sample *s, unsigned int gen)
{
	struct kvm_arch *a = &kvm->arch;

	lockdep_assert_held(&a->clock_lock);
	a->clock_gen = gen;
	a->clock_master = READ_ONCE(host_clock_tsc) && tsc_khz;
	a->master_tsc = s->tsc;
	a->master_ns = s->boot_ns;
}

/* take a sample; renew the master clock if the host clocksource changed since; clock_lock */
static void clock_sample(struct kvm *kvm, struct host_sample *s)
{
	unsigned int gen = READ_ONCE(kvmclock_host_gen);

	smp_rmb();	/* pairs with the notifier's */
	host_sample(s);
	if (gen != kvm->arch.clock_gen)
		master_set(kvm, s, gen);
}

/* kvmclock at the instant of s; clock_lock */
static u64 clock_at(struct kvm *kvm, const struct host_sample *s)
{
	struct kvm_arch *a = &kvm->arch;

	if (a->clock_master)
		return a->master_ns + a->kvmclock_offset + tsc_to_ns(s->tsc - a->master_tsc);
	return s->boot_ns + a->kvmclock_offset;
}

void kvmclock_init_vm(struct kvm *kvm)
{
	struct host_sample s;

	spin_lock_init(&kvm->arch.clock_lock);
	spin_lock(&kvm->arch.clock_lock);
	kvm->arch.clock_gen = READ_ONCE(kvmclock_host_gen) - 1;
	clock_sample(kvm, &s);
	kvm->arch.kvmclock_offset = -(s64)s.boot_ns;
	spin_unlock(&kvm->arch.clock_lock);
}

/* the next entry of vcpu rewrites its page */
void kvmclock_request_update(struct kvm_vcpu *vcpu)
{
	set_bit(KVMCLOCK_REQ_UPDATE, &vcpu->arch.clock_req);
}

static void request_all(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm)
		kvmclock_request_update(vcpu);
	kvm_kick_vcpus_sync(kvm);
}

/* api.rst 4.29 */
static long get_clock(struct kvm *kvm, void __user *argp)
{
	struct kvm_clock_data d;
	struct host_sample s;

	memset(&d, 0, sizeof(d));
	spin_lock(&kvm->arch.clock_lock);
	clock_sample(kvm, &s);
	d.clock = clock_at(kvm, &s);
	if (kvm->arch.clock_master) {
		d.flags = KVMCLOCK_GET_FLAGS;
		d.realtime = s.real_ns;
		d.host_tsc = s.tsc;
	}
	spin_unlock(&kvm->arch.clock_lock);
	return copy_to_user(argp, &d, sizeof(d)) ? -EFAULT : 0;
}

/*
 * api.rst 4.30: kvmclock reads d.clock now, plus the realtime elapsed since d.realtime with
 * KVM_CLOCK_REALTIME; the flags KVM_GET_CLOCK returns are accepted, any other is EINVAL. The
 * master clock is renewed so that the new value holds from a fresh pair.
 */
static long set_clock(struct kvm *kvm, void __user *argp)
{
	struct kvm_clock_data d;
	struct host_sample s;
	u64 clock;

	if (copy_from_user(&d, argp, sizeof(d)))
		return -EFAULT;
	if (d.flags & ~KVMCLOCK_GET_FLAGS)
		return -EINVAL;
	spin_lock(&kvm->arch.clock_lock);
	clock_sample(kvm, &s);
	master_set(kvm, &s, kvm->arch.clock_gen);
	clock = d.clock;
	if ((d.flags & KVM_CLOCK_REALTIME) && s.real_ns > d.realtime)
		clock += s.real_ns - d.realtime;
	kvm->arch.kvmclock_offset = clock - s.boot_ns;
	spin_unlock(&kvm->arch.clock_lock);
	request_all(kvm);
	return 0;
}

long kvmclock_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp)
{
	return ioctl == KVM_GET_CLOCK ? get_clock(kvm, argp) : set_clock(kvm, argp);
}

/* api.rst 4.70: EINVAL unless the vCPU has kvmclock enabled */
long kvmclock_ctrl(struct kvm_vcpu *vcpu)
{
	if (!(vcpu->arch.kvm_system_time & KVM_SYSTEM_TIME_ENABLE))
		return -EINVAL;
	set_bit(KVMCLOCK_REQ_STOPPED, &vcpu->arch.clock_req);
	kvmclock_request_update(vcpu);
	return 0;
}

/* odd version, the body, even version: the guest retries while it sees an odd or changed one */
static void write_versioned(struct kvm *kvm, u64 gpa, void *data, unsigned long len, u32 ver)
{
	u32 odd = ver + 1, even = ver + 2;

	if (kvm_write_guest(kvm, gpa, &odd, sizeof(odd)))
		return;
	smp_wmb();
	kvm_write_guest(kvm, gpa + sizeof(u32), data + sizeof(u32), len - sizeof(u32));
	smp_wmb();
	kvm_write_guest(kvm, gpa, &even, sizeof(even));
}

/* Rewrite the vCPU's pvclock page; run loop, preemptible, vcpu->mutex held */
void kvmclock_update(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	struct pvclock_vcpu_time_info ti;
	struct host_sample s;
	u64 tsc, ns;
	bool stopped;

	clear_bit(KVMCLOCK_REQ_UPDATE, &vcpu->arch.clock_req);
	stopped = test_and_clear_bit(KVMCLOCK_REQ_STOPPED, &vcpu->arch.clock_req);
	vcpu->arch.clock_gen = READ_ONCE(kvmclock_host_gen);
	if (!(vcpu->arch.kvm_system_time & KVM_SYSTEM_TIME_ENABLE))
		return;

	memset(&ti, 0, sizeof(ti));
	spin_lock(&kvm->arch.clock_lock);
	clock_sample(kvm, &s);
	if (kvm->arch.clock_master) {
		tsc = kvm->arch.master_tsc;
		ns = kvm->arch.master_ns;
		ti.flags = PVCLOCK_TSC_STABLE_BIT;
	} else {
		tsc = s.tsc;
		ns = s.boot_ns;
	}
	ns += kvm->arch.kvmclock_offset;
	spin_unlock(&kvm->arch.clock_lock);

	ti.tsc_timestamp = tsc + kvm_x86_vendor->get_tsc_offset(vcpu);
	ti.system_time = ns;
	ti.tsc_to_system_mul = tsc_mul;
	ti.tsc_shift = tsc_shift;
	if (stopped)
		ti.flags |= PVCLOCK_GUEST_STOPPED;
	write_versioned(kvm, vcpu->arch.kvm_system_time & ~KVM_SYSTEM_TIME_ENABLE, &ti,
			sizeof(ti), vcpu->arch.pvclock_version);
	vcpu->arch.pvclock_version += 2;
}

/*
 * msr.rst MSR_KVM_WALL_CLOCK(_NEW): the host's realtime when kvmclock was 0, written at the
 * guest's write (the version continues from what the guest memory holds).
 */
static void write_wall_clock(struct kvm_vcpu *vcpu, u64 gpa)
{
	struct kvm *kvm = vcpu->kvm;
	struct pvclock_wall_clock wc;
	struct host_sample s;
	u64 clock, wall = 0;
	u32 nsec, ver;

	spin_lock(&kvm->arch.clock_lock);
	clock_sample(kvm, &s);
	clock = clock_at(kvm, &s);
	spin_unlock(&kvm->arch.clock_lock);
	if (s.real_ns > clock)
		wall = s.real_ns - clock;
	if (kvm_read_guest(kvm, gpa, &ver, sizeof(ver)))
		return;
	wc.sec = div_u64_rem(wall, NSEC_PER_SEC, &nsec);
	wc.nsec = nsec;
	write_versioned(kvm, gpa, &wc, sizeof(wc), ver & ~1u);
}

/*
 * The kvmclock MSRs (old and new numbers), for the guest and KVM_GET/SET_MSRS alike: the
 * system time enables the page at bits 63:1 with bit 0; the wall clock is written at the
 * guest's write. 0, or 1 for #GP.
 */
int kvmclock_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host)
{
	bool wall = index == MSR_KVM_WALL_CLOCK || index == MSR_KVM_WALL_CLOCK_NEW;
	bool new = index == MSR_KVM_WALL_CLOCK_NEW || index == MSR_KVM_SYSTEM_TIME_NEW;
	u64 *slot = wall ? &vcpu->arch.kvm_wall_clock : &vcpu->arch.kvm_system_time;

	/* api.rst 8.28 KVM_CAP_ENFORCE_PV_FEATURE_CPUID: #GP without the CPUID bit (msr.rst) */
	if (!host && !kvm_pv_has(vcpu, new ? KVM_FEATURE_CLOCKSOURCE2 : KVM_FEATURE_CLOCKSOURCE))
		return 1;
	if (!write) {
		*data = *slot;
		return 0;
	}
	*slot = *data;
	if (wall) {
		if (!host)
			write_wall_clock(vcpu, *data);
	} else {
		kvmclock_request_update(vcpu);
	}
	return 0;
}
