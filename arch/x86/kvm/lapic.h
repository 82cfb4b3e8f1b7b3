/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel local APIC (SDM vol. 3A ch. 10), one per vCPU of a VM whose irqchip is in
 * the kernel (KVM_CREATE_IRQCHIP or KVM_CAP_SPLIT_IRQCHIP). Its state is the 4 KiB xAPIC
 * register page (the layout of struct kvm_lapic_state, api.rst 4.57/4.58) plus what the page
 * cannot hold: events sent by other vCPUs and not yet taken, the timer.
 *
 * Who writes what: the vCPU's own thread (holding vcpu->mutex) writes every register except
 * IRR and TMR; any context (other vCPUs' IPIs, irqfds, the IOAPIC, the timer's hrtimer)
 * sets IRR/TMR bits with atomic bit operations and posts NMI/INIT/SIPI in `pending`, then
 * kicks the vCPU. Readers of another vCPU's ID/LDR/DFR/SVR (destination matching) read them
 * with READ_ONCE: a message racing with a reprogramming goes to the old or the new target.
 */
#ifndef ARCH_X86_KVM_LAPIC_H
#define ARCH_X86_KVM_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/wait.h>

#include "irq.h"

struct kvm_vcpu;

/* Register offsets in the xAPIC page (SDM vol. 3A table 10-1) */
#define APIC_REG_ID		0x20
#define APIC_REG_LVR		0x30
#define APIC_REG_TPR		0x80
#define APIC_REG_APR		0x90
#define APIC_REG_PPR		0xa0
#define APIC_REG_EOI		0xb0
#define APIC_REG_RRD		0xc0
#define APIC_REG_LDR		0xd0
#define APIC_REG_DFR		0xe0
#define APIC_REG_SVR		0xf0
#define APIC_REG_ISR		0x100
#define APIC_REG_TMR		0x180
#define APIC_REG_IRR		0x200
#define APIC_REG_ESR		0x280
#define APIC_REG_ICR		0x300
#define APIC_REG_ICR2		0x310
#define APIC_REG_LVTT		0x320
#define APIC_REG_LVTTHMR	0x330
#define APIC_REG_LVTPC		0x340
#define APIC_REG_LVT0		0x350
#define APIC_REG_LVT1		0x360
#define APIC_REG_LVTERR		0x370
#define APIC_REG_TMICT		0x380
#define APIC_REG_TMCCT		0x390
#define APIC_REG_TDCR		0x3e0
#define APIC_REG_SELF_IPI	0x3f0	/* x2APIC only (SDM 10.12.11) */

#define LAPIC_LVT_MASKED		BIT(16)
#define APIC_SVR_ENABLED	BIT(8)
#define APIC_SVR_SUPPRESS_EOI	BIT(12)
#define APIC_LVTT_MODE_MASK	(3u << 17)
#define APIC_LVTT_ONESHOT	(0u << 17)
#define APIC_LVTT_PERIODIC	(1u << 17)
#define APIC_LVTT_TSCDEADLINE	(2u << 17)

#define MSR_X2APIC_FIRST	0x800
#define MSR_X2APIC_LAST		0x8ff
#define MSR_TSC_DEADLINE	0x6e0

/* bits of kvm_lapic.pending */
enum { KVM_APIC_PENDING_NMI, KVM_APIC_PENDING_INIT, KVM_APIC_PENDING_SIPI,
       KVM_APIC_PENDING_UNHALT /* KVM_HC_KICK_CPU: ends (or pre-empts) the next HLT */ };

struct kvm_lapic {
	struct kvm_vcpu *vcpu;		/* immutable */
	void *regs;			/* the page: vcpu, IRR/TMR bits atomic (see above) */
	unsigned long pending;		/* atomic: KVM_APIC_PENDING_* */
	u8 sipi_vector;			/* written before PENDING_SIPI is set (smp_wmb) */
	u8 v_tpr_synced;		/* vcpu: CR8 as last made equal to TPR[7:4] */
	int eoi_exit_vector;		/* vcpu: split irqchip EOI to report; -1 none */
	wait_queue_head_t wq;		/* the vCPU thread sleeps here (HLT, wait-for-SIPI) */

	/* timer (lapic_timer.c): vcpu, except as noted */
	struct hrtimer timer;
	u64 period_ns;			/* READ_ONCE in the hrtimer: 0 when one-shot */
	u32 divide;			/* bus clocks per count (1..128) */
	ktime_t start;			/* when the current count was TMICT */
	u64 tsc_deadline;		/* IA32_TSC_DEADLINE; the hrtimer clears it on expiry */
	/*
	 * LVTT timer-mode bits the guest's CPUID offers (kvm_lapic_cpuid_changed): periodic,
	 * and TSC-deadline with CPUID.1:ECX[24]; none before KVM_SET_CPUID2, as on Linux KVM.
	 * A mode bit outside them reads back as stored (KVM_SET_LAPIC) but counts as 0.
	 * vcpu to write, READ_ONCE in the hrtimer.
	 */
	u32 lvtt_modes;

	u64 vapic_addr;			/* vcpu: KVM_SET_VAPIC_ADDR (lapic_vapic.c); 0 off */

	/* PV EOI (lapic.c; the MSR is vcpu->arch.pv_eoi_msr): vcpu */
	bool pv_eoi_armed;		/* KVM set the guest's flag; its clearing is an EOI */
};

static inline u32 apic_get_reg(struct kvm_lapic *apic, unsigned int reg)
{
	return READ_ONCE(*(u32 *)(apic->regs + reg));
}

static inline void apic_set_reg(struct kvm_lapic *apic, unsigned int reg, u32 val)
{
	WRITE_ONCE(*(u32 *)(apic->regs + reg), val);
}

/* lapic.c */
int kvm_lapic_create(struct kvm_vcpu *vcpu);
void kvm_lapic_free(struct kvm_vcpu *vcpu);
void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init);
bool kvm_lapic_x2apic(struct kvm_lapic *apic);
bool kvm_lapic_hw_enabled(struct kvm_lapic *apic);
/* an LVT entry fired locally (timer): set its vector in IRR, kick; any context */
void kvm_lapic_local_irq(struct kvm_lapic *apic, u32 lvt);
/* IA32_APIC_BASE write with a LAPIC in the kernel: 0 or 1 (#GP / EINVAL) */
int kvm_lapic_set_base(struct kvm_vcpu *vcpu, u64 data, bool host);
/* x2APIC and TSC-deadline MSRs: 0, 1 for #GP, -ENOENT when not ours */
int kvm_lapic_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host);
/* run loop (run.c): before an entry (1 go on, <= 0 return to userspace) and after it */
int kvm_lapic_before_entry(struct kvm_vcpu *vcpu);
void kvm_lapic_sync_tpr(struct kvm_vcpu *vcpu);
int kvm_lapic_after_exit(struct kvm_vcpu *vcpu);
int kvm_lapic_halt(struct kvm_vcpu *vcpu);
/* events.c: an interrupt to inject (-1 none); taking it moves IRR to ISR (or acks the PIC) */
bool kvm_lapic_has_interrupt(struct kvm_vcpu *vcpu);
int kvm_lapic_take_interrupt(struct kvm_vcpu *vcpu);
/* PV EOI: MSR_KVM_PV_EOI_EN (0, or 1 for #GP), and the check after each exit */
int kvm_lapic_pv_eoi_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host);
void kvm_lapic_pv_eoi_after_exit(struct kvm_vcpu *vcpu);
/* paravirtual (pv.c): the vCPU whose APIC has physical ID id, or NULL */
struct kvm_vcpu *kvm_lapic_find_by_id(struct kvm *kvm, unsigned long id);
void kvm_lapic_pv_kick(struct kvm *kvm, unsigned long id);
unsigned long kvm_lapic_pv_send_ipi(struct kvm_vcpu *src, unsigned long lo, unsigned long hi,
				    unsigned long min, unsigned long icr, unsigned int cluster);
/* ioctls */
/* highest vector set in the 256-bit ISR/IRR/TMR at base, -1 none; set TPR (and CR8) */
int kvm_lapic_highest_vec(struct kvm_lapic *apic, unsigned int base);
void kvm_lapic_set_tpr(struct kvm_lapic *apic, u32 tpr);

/* lapic_vapic.c: KVM_SET_VAPIC_ADDR and the word it names, synced around each entry */
long kvm_lapic_ioctl_set_vapic_addr(struct kvm_vcpu *vcpu, void __user *argp);
void kvm_lapic_vapic_sync_to(struct kvm_vcpu *vcpu);
void kvm_lapic_vapic_sync_from(struct kvm_vcpu *vcpu);

long kvm_lapic_ioctl_get(struct kvm_vcpu *vcpu, void __user *argp);
long kvm_lapic_ioctl_set(struct kvm_vcpu *vcpu, void __user *argp);
long kvm_vm_ioctl_signal_msi(struct kvm *kvm, void __user *argp);
int kvm_vm_enable_split_irqchip(struct kvm *kvm, u64 nr_routes);
int kvm_lapic_set_mp_state(struct kvm_vcpu *vcpu, u32 mp_state);
u32 kvm_lapic_get_mp_state(struct kvm_vcpu *vcpu);

/* lapic_timer.c */
void kvm_lapic_timer_init(struct kvm_lapic *apic);
void kvm_lapic_timer_cancel(struct kvm_lapic *apic);
/* LVTT, TMICT or TDCR changed (restart: TMICT written / state restored) */
void kvm_lapic_timer_update(struct kvm_lapic *apic, bool restart);
u32 kvm_lapic_timer_current_count(struct kvm_lapic *apic);
void kvm_lapic_set_tsc_deadline(struct kvm_lapic *apic, u64 deadline);
void kvm_lapic_cpuid_changed(struct kvm_vcpu *vcpu);

#endif
