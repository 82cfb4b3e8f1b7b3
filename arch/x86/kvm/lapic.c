// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel local APIC (SDM vol. 3A ch. 10): registers through the xAPIC page (MMIO)
 * and the x2APIC MSRs (10.12), interrupt acceptance and priorities (10.8), IPIs (10.6),
 * INIT/SIPI (8.4), HLT blocking in the kernel, KVM_GET/SET_LAPIC (api.rst 4.57/4.58),
 * KVM_SIGNAL_MSI (4.71) and KVM_CAP_SPLIT_IRQCHIP (7.x). Locking: see lapic.h.
 */
#include <linux/kvm_para.h>
#include <linux/kvm.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>

#include "x86.h"
#include "kvm_trace.h"
#include "lapic.h"

/* SDM 10.4.8: version 0x14 (integrated APIC), 6 LVT entries: max LVT entry 5 */
#define APIC_VERSION		(0x14 | (5 << 16))
#define LVR_DIRECTED_EOI	BIT(24)
#define DM_FIXED		0
#define DM_LOWEST		1
#define DM_SMI		2
#define DM_NMI		4
#define DM_INIT		5
#define DM_SIPI		6
#define DM_EXTINT		7
#define APIC_BASE_EXTD		BIT_ULL(10)
#define APIC_BASE_ADDR_RSVD	(GENMASK_ULL(7, 0) | BIT_ULL(9))

static const u32 lvt_regs[] = { APIC_REG_LVTT, APIC_REG_LVTTHMR, APIC_REG_LVTPC,
				APIC_REG_LVT0, APIC_REG_LVT1, APIC_REG_LVTERR };

static struct kvm_lapic *vcpu_apic(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.apic;
}

bool kvm_lapic_hw_enabled(struct kvm_lapic *apic)
{
	return READ_ONCE(apic->vcpu->arch.apic_base) & MSR_IA32_APICBASE_ENABLE;
}

bool kvm_lapic_x2apic(struct kvm_lapic *apic)
{
	return READ_ONCE(apic->vcpu->arch.apic_base) & APIC_BASE_EXTD;
}

static bool sw_enabled(struct kvm_lapic *apic)
{
	return apic_get_reg(apic, APIC_REG_SVR) & APIC_SVR_ENABLED;
}

/* IRR, ISR, TMR: 256 bits, 32 in the low dword of each 16-byte slot */
static unsigned long *vec_word(struct kvm_lapic *apic, unsigned int base, u8 vec)
{
	return (unsigned long *)(apic->regs + base + (vec / 32) * 0x10);
}

int kvm_lapic_highest_vec(struct kvm_lapic *apic, unsigned int base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 v = apic_get_reg(apic, base + i * 0x10);

		if (v)
			return i * 32 + fls(v) - 1;
	}
	return -1;
}

/* SDM 10.8.3.1: PPR is TPR or the in-service class, whichever is higher */
static u32 compute_ppr(struct kvm_lapic *apic)
{
	u32 tpr = apic_get_reg(apic, APIC_REG_TPR) & 0xff;
	int isr = kvm_lapic_highest_vec(apic, APIC_REG_ISR);
	u32 isrv = isr < 0 ? 0 : isr;

	return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : (isrv & 0xf0);
}

static bool directed_eoi_supported(struct kvm_vcpu *vcpu)
{
	/* as Linux KVM: offered with a userspace IOAPIC and x2APIC in the guest's CPUID */
	return vcpu->kvm->arch.irqchip_mode == KVM_IRQCHIP_SPLIT &&
	       kvm_guest_has(vcpu, 1, 0, CPUID_REG_ECX, BIT(21));
}

static u32 apic_version(struct kvm_vcpu *vcpu)
{
	return APIC_VERSION | (directed_eoi_supported(vcpu) ? LVR_DIRECTED_EOI : 0);
}

void kvm_lapic_set_tpr(struct kvm_lapic *apic, u32 tpr)
{
	apic_set_reg(apic, APIC_REG_TPR, tpr & 0xff);
	/* CR8 is TPR[7:4] (SDM 10.8.6.1): one state, mirrored into the backend's V_TPR */
	apic->v_tpr_synced = (tpr >> 4) & 0xf;
	kvm_x86_vendor->set_cr(apic->vcpu, 8, apic->v_tpr_synced);
}

/*
 * CR8 and TPR are one register. SVM runs the guest with V_INTR_MASKING, so MOV CR8 goes to
 * V_TPR without an exit (APM 15.21.4); this folds a V_TPR the guest (or KVM_SET_SREGS)
 * changed back into TPR (a CR8 write clears TPR[3:0], SDM 10.8.6.1). Called before each entry
 * and after each exit; a lowered CR8 that unblocks a pending interrupt is thus seen at the
 * next exit (a host timer tick at the latest), not at once: no CR8 write intercept yet.
 */
void kvm_lapic_sync_tpr(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	u8 cr8 = kvm_x86_vendor->get_cr(vcpu, 8) & 0xf;

	if (cr8 != apic->v_tpr_synced)
		kvm_lapic_set_tpr(apic, cr8 << 4);
}

/*
 * Make the vCPU see a new IRR bit or pending event: wake it if it sleeps, and if it is in
 * guest mode send its CPU a reschedule IPI (kick_process), whose arrival forces the
 * #VMEXIT. Any context (hard interrupts included): no lock, no sleep.
 */
static void kick(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	struct task_struct *task;

	/* order the IRR/pending update before reading mode (pairs with smp_store_mb at entry) */
	smp_mb__after_atomic();
	wake_up_interruptible(&apic->wq);
	if (READ_ONCE(vcpu->mode) != IN_GUEST_MODE)
		return;
	rcu_read_lock();
	task = pid_task(rcu_dereference(vcpu->pid), PIDTYPE_PID);
	if (task)
		kick_process(task);
	rcu_read_unlock();
}

/* SDM 10.6.2: does this APIC take a message sent to dest (no shorthand) */
static bool dest_match(struct kvm_lapic *apic, const struct kvm_apic_irq *irq, bool src_x2)
{
	u32 id = apic_get_reg(apic, APIC_REG_ID);
	u32 ldr = apic_get_reg(apic, APIC_REG_LDR);
	u32 dest = irq->dest_id;

	if (kvm_lapic_x2apic(apic)) {
		if (dest == 0xffffffff)
			return true;
		/*
		 * 0xff from an xAPIC source (an MSI, the IOAPIC) is a broadcast to x2APICs too
		 * unless userspace turned that quirk off (api.rst 7.7 KVM_CAP_X2APIC_API)
		 */
		if (!src_x2 && dest == 0xff &&
		    !(READ_ONCE(apic->vcpu->kvm->arch.x2apic_api) &
		      KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK))
			return true;
		if (!irq->dest_logical)
			return dest == id;
		/* SDM 10.12.10.2: cluster in bits 31:16, a bit per APIC in 15:0 */
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!irq->dest_logical)
		return dest == (id >> 24);
	ldr >>= 24;
	/* SDM 10.6.2.2: DFR model 1111b flat, 0000b cluster */
	if ((apic_get_reg(apic, APIC_REG_DFR) >> 28) == 0xf)
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

static bool apic_match(struct kvm_lapic *apic, struct kvm_vcpu *src,
		       const struct kvm_apic_irq *irq)
{
	struct kvm_vcpu *vcpu = apic->vcpu;

	if (!kvm_lapic_hw_enabled(apic))
		return false;
	switch (irq->shorthand) {
	case 1:
		return vcpu == src;
	case 2:
		return true;
	case 3:
		return vcpu != src;
	default:
		return dest_match(apic, irq, src && kvm_lapic_x2apic(vcpu_apic(src)));
	}
}

static void set_irr(struct kvm_lapic *apic, u8 vec, bool level)
{
	if (level)
		set_bit(vec % 32, vec_word(apic, APIC_REG_TMR, vec));
	else
		clear_bit(vec % 32, vec_word(apic, APIC_REG_TMR, vec));
	set_bit(vec % 32, vec_word(apic, APIC_REG_IRR, vec));
}

/* One APIC accepts a message (SDM 10.6.1 delivery modes); 1 accepted, 0 not */
static int accept(struct kvm_lapic *apic, const struct kvm_apic_irq *irq)
{
	switch (irq->delivery_mode) {
	case DM_FIXED:
	case DM_LOWEST:
		if (!sw_enabled(apic))
			return 0;
		set_irr(apic, irq->vector, irq->trig_level);
		break;
	case DM_NMI:
		set_bit(KVM_APIC_PENDING_NMI, &apic->pending);
		break;
	case DM_INIT:
		/* the level-triggered de-assert of INIT does nothing (SDM 10.6.1) */
		if (irq->trig_level && !irq->level)
			return 1;
		set_bit(KVM_APIC_PENDING_INIT, &apic->pending);
		break;
	case DM_SIPI:
		WRITE_ONCE(apic->sipi_vector, irq->vector);
		smp_wmb();
		set_bit(KVM_APIC_PENDING_SIPI, &apic->pending);
		break;
	case DM_SMI:
		return 1;	/* no SMM offered: accepted and dropped, as Linux KVM */
	default:
		return 0;	/* ExtINT by message: the PIC reaches LINT0 directly */
	}
	kick(apic->vcpu);
	return 1;
}

int kvm_apic_deliver(struct kvm *kvm, struct kvm_vcpu *src, const struct kvm_apic_irq *irq)
{
	struct kvm_lapic *lowest = NULL;
	struct kvm_vcpu *vcpu;
	unsigned long i;
	int n = 0;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		struct kvm_lapic *apic = vcpu_apic(vcpu);

		if (!apic || !apic_match(apic, src, irq))
			continue;
		/* lowest priority: the first matching enabled APIC (deterministic, allowed by SDM 10.6.2.4) */
		if (irq->delivery_mode == DM_LOWEST) {
			if (!lowest && sw_enabled(apic))
				lowest = apic;
			continue;
		}
		n += accept(apic, irq);
	}
	if (lowest)
		n += accept(lowest, irq);
	return n;
}
EXPORT_SYMBOL_GPL(kvm_apic_deliver);

/* an APIC's physical ID as destinations name it: 32 bits in x2APIC mode, else 8 (0xff broadcast) */
static bool phys_id_is(struct kvm_lapic *apic, unsigned long id)
{
	u32 reg = apic_get_reg(apic, APIC_REG_ID);

	if (kvm_lapic_x2apic(apic))
		return id == reg;
	return id < 0xff && id == reg >> 24;
}

struct kvm_vcpu *kvm_lapic_find_by_id(struct kvm *kvm, unsigned long id)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		struct kvm_lapic *apic = vcpu_apic(vcpu);

		if (apic && phys_id_is(apic, id))
			return vcpu;
	}
	return NULL;
}

/* hypercalls.rst KVM_HC_KICK_CPU: wake that vCPU from HLT; an unknown ID is ignored */
void kvm_lapic_pv_kick(struct kvm *kvm, unsigned long id)
{
	struct kvm_vcpu *vcpu = kvm_lapic_find_by_id(kvm, id);

	if (!vcpu)
		return;
	set_bit(KVM_APIC_PENDING_UNHALT, &vcpu_apic(vcpu)->pending);
	kick(vcpu);
}

/*
 * hypercalls.rst KVM_HC_SEND_IPI: bit i of lo is APIC ID min + i, bit i of hi min + cluster +
 * i; icr as the ICR's low word (delivery mode, vector, level, trigger) for physical
 * destinations. The number of vCPUs that took the IPI, or -KVM_EINVAL for an ICR with a
 * logical destination or a shorthand.
 */
unsigned long kvm_lapic_pv_send_ipi(struct kvm_vcpu *src, unsigned long lo, unsigned long hi,
				    unsigned long min, unsigned long icr, unsigned int cluster)
{
	struct kvm_apic_irq irq = {
		.vector = icr & 0xff,
		.delivery_mode = (icr >> 8) & 7,
		.level = !!(icr & BIT(14)),
		.trig_level = !!(icr & BIT(15)),
	};
	unsigned long n = 0, i, bits[2] = { lo, hi };
	struct kvm_vcpu *vcpu;
	int b;

	if (icr & (BIT(11) | (3u << 18)))
		return (unsigned long)-KVM_EINVAL;
	if (cluster < BITS_PER_LONG) {
		bits[0] &= BIT(cluster) - 1;
		bits[1] &= BIT(cluster) - 1;
	}
	for (b = 0; b < 2; b++) {
		for_each_set_bit(i, &bits[b], BITS_PER_LONG) {
			vcpu = kvm_lapic_find_by_id(src->kvm, min + b * cluster + i);
			if (vcpu && kvm_lapic_hw_enabled(vcpu_apic(vcpu)))
				n += accept(vcpu_apic(vcpu), &irq);
		}
	}
	return n;
}

/*
 * SDM 10.11.1, 10.11.2: address 0xFEExxxxx, destination 19:12, DM bit 2; data 15:0. With
 * KVM_X2APIC_API_USE_32BIT_IDS, address_hi 31:8 are destination bits 31:8 (api.rst 4.52
 * KVM_SET_GSI_ROUTING, 4.71 KVM_SIGNAL_MSI); without it address_hi is not looked at.
 */
void kvm_msi_to_apic_irq(struct kvm *kvm, u32 address_lo, u32 address_hi, u32 data,
			 struct kvm_apic_irq *irq)
{
	trace_kvm_msi_set_irq((u64)address_hi << 32 | address_lo, data);
	memset(irq, 0, sizeof(*irq));
	irq->dest_id = (address_lo >> 12) & 0xff;
	if (READ_ONCE(kvm->arch.x2apic_api) & KVM_X2APIC_API_USE_32BIT_IDS)
		irq->dest_id |= address_hi & 0xffffff00;
	irq->dest_logical = address_lo & BIT(2);
	irq->vector = data & 0xff;
	irq->delivery_mode = (data >> 8) & 7;
	irq->trig_level = data & BIT(15);
	irq->level = true;
}
EXPORT_SYMBOL_GPL(kvm_msi_to_apic_irq);

/* LINT0 takes the PIC's INTR: LVT0 unmasked in ExtINT mode, or the BSP's APIC disabled */
static bool accepts_pic(struct kvm_lapic *apic)
{
	u32 lvt0 = apic_get_reg(apic, APIC_REG_LVT0);

	if (apic->vcpu->kvm->arch.irqchip_mode != KVM_IRQCHIP_KERNEL)
		return false;
	if (!kvm_lapic_hw_enabled(apic))
		return kvm_vcpu_is_bsp(apic->vcpu);
	return !(lvt0 & LAPIC_LVT_MASKED) && ((lvt0 >> 8) & 7) == DM_EXTINT;
}

void kvm_apic_pic_output_changed(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm)
		if (vcpu_apic(vcpu) && accepts_pic(vcpu_apic(vcpu)))
			kick(vcpu);
}
EXPORT_SYMBOL_GPL(kvm_apic_pic_output_changed);

/* the timer (or another local source) fires LVT entry lvt: edge, unless masked */
void kvm_lapic_local_irq(struct kvm_lapic *apic, u32 lvt)
{
	u32 v = apic_get_reg(apic, lvt);

	if ((v & LAPIC_LVT_MASKED) || !kvm_lapic_hw_enabled(apic))
		return;
	set_irr(apic, v & 0xff, false);
	kick(apic->vcpu);
}

/* highest IRR vector whose class beats PPR (SDM 10.8.3.1), -1 none */
static int deliverable_vec(struct kvm_lapic *apic)
{
	int vec;

	if (!kvm_lapic_hw_enabled(apic))
		return -1;
	vec = kvm_lapic_highest_vec(apic, APIC_REG_IRR);
	if (vec < 0 || (vec & 0xf0) <= (compute_ppr(apic) & 0xf0))
		return -1;
	return vec;
}

bool kvm_lapic_has_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	return (accepts_pic(apic) && kvm_pic_intr_raised(vcpu->kvm)) ||
	       deliverable_vec(apic) >= 0;
}

static void pv_eoi_arm(struct kvm_lapic *apic, int vec);

/* The interrupt acknowledge cycle: the PIC's vector first (LINT0 ExtINT), else IRR -> ISR */
int kvm_lapic_take_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int vec;

	if (accepts_pic(apic) && kvm_pic_intr_raised(vcpu->kvm)) {
		vec = kvm_pic_ack(vcpu->kvm);
		if (vec >= 0)
			return vec;
	}
	vec = deliverable_vec(apic);
	if (vec < 0)
		return -1;
	clear_bit(vec % 32, vec_word(apic, APIC_REG_IRR, vec));
	__set_bit(vec % 32, vec_word(apic, APIC_REG_ISR, vec));
	apic_set_reg(apic, APIC_REG_PPR, compute_ppr(apic));
	pv_eoi_arm(apic, vec);
	return vec;
}

/* SDM 10.8.5: EOI retires the highest in-service vector */
static void apic_eoi(struct kvm_lapic *apic)
{
	struct kvm_vcpu *vcpu = apic->vcpu;
	int vec = kvm_lapic_highest_vec(apic, APIC_REG_ISR);

	trace_kvm_eoi(vcpu, vec);
	if (vec < 0)
		return;
	__clear_bit(vec % 32, vec_word(apic, APIC_REG_ISR, vec));
	apic_set_reg(apic, APIC_REG_PPR, compute_ppr(apic));
	if (!test_bit(vec % 32, vec_word(apic, APIC_REG_TMR, vec))) {
		/* edge: ack notifiers only (PIT reinjection through the in-kernel IOAPIC) */
		if (vcpu->kvm->arch.irqchip_mode == KVM_IRQCHIP_KERNEL &&
		    kvm_ioapic_edge_vector(vcpu->kvm, vec))
			kvm_ioapic_eoi(vcpu->kvm, vec, false);
		return;
	}
	/* level-triggered: tell the IOAPIC unless directed EOI suppresses the broadcast */
	if (apic_get_reg(apic, APIC_REG_SVR) & APIC_SVR_SUPPRESS_EOI)
		return;
	if (vcpu->kvm->arch.irqchip_mode == KVM_IRQCHIP_SPLIT)
		apic->eoi_exit_vector = vec;	/* KVM_EXIT_IOAPIC_EOI after this exit */
	else
		kvm_ioapic_eoi(vcpu->kvm, vec, true);
}

/*
 * PV EOI (Documentation/virt/kvm/x86/msr.rst, MSR_KVM_EOI_EN): when KVM injects an
 * interrupt whose EOI has no effect beyond retiring it from ISR (edge-triggered, no IOAPIC
 * ack notifier, nothing else in service: the guest's next EOI retires exactly it), it sets
 * bit 0 of the guest's flag ("armed"). A guest that finds the bit set clears it, with one
 * instruction, instead of writing EOI; KVM sees the cleared bit after the next exit, before
 * handling that exit, and performs the EOI then. Only this vCPU's thread touches the flag
 * while the vCPU is out of guest mode, so a plain write is enough (the guest side is
 * atomic). A guest that writes EOI anyway retires the vector the usual way: the flag left
 * set then belongs to the next interrupt, whose EOI retires the highest vector in service
 * whichever way the guest signals it.
 */
static u64 pv_eoi_gpa(struct kvm_lapic *apic)
{
	return apic->vcpu->arch.pv_eoi_msr & ~(u64)(KVM_MSR_ENABLED | 2);
}

/* any context the vCPU's thread is in, IRQs off included: the page must be present */
static bool pv_eoi_write(struct kvm_lapic *apic, u8 val)
{
	int r;

	pagefault_disable();
	r = kvm_write_guest(apic->vcpu->kvm, pv_eoi_gpa(apic), &val, sizeof(val));
	pagefault_enable();
	return !r;
}

/*
 * After an exit, preemptible: a flag the guest cleared is its EOI. With disarm, the flag is
 * taken back too (MSR write, INIT, KVM_SET_LAPIC), so that the guest writes its next EOI.
 */
static void pv_eoi_sync(struct kvm_lapic *apic, bool disarm)
{
	u8 flag;

	if (!apic->pv_eoi_armed && !disarm)
		return;
	if (!(apic->vcpu->arch.pv_eoi_msr & KVM_MSR_ENABLED)) {
		apic->pv_eoi_armed = false;
		return;
	}
	if (kvm_read_guest(apic->vcpu->kvm, pv_eoi_gpa(apic), &flag, sizeof(flag)))
		flag = 0;	/* the memory went away: nobody can signal through it */
	if (apic->pv_eoi_armed && !(flag & KVM_PV_EOI_ENABLED)) {
		apic->pv_eoi_armed = false;
		apic_eoi(apic);
		return;
	}
	/* also a flag set before a migration, that this side never armed */
	if (disarm) {
		apic->pv_eoi_armed = false;
		if (flag & KVM_PV_EOI_ENABLED) {
			flag &= ~KVM_PV_EOI_ENABLED;
			kvm_write_guest(apic->vcpu->kvm, pv_eoi_gpa(apic), &flag, sizeof(flag));
		}
	}
}

void kvm_lapic_pv_eoi_after_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (apic)
		pv_eoi_sync(apic, false);
}

/* vec just moved from IRR to ISR for injection (IRQs off): arm the flag if it may */
static void pv_eoi_arm(struct kvm_lapic *apic, int vec)
{
	struct kvm *kvm = apic->vcpu->kvm;
	int i;

	if (!(apic->vcpu->arch.pv_eoi_msr & KVM_MSR_ENABLED) || apic->pv_eoi_armed)
		return;
	if (test_bit(vec % 32, vec_word(apic, APIC_REG_TMR, vec)))
		return;
	if (kvm->arch.irqchip_mode == KVM_IRQCHIP_KERNEL && kvm_ioapic_edge_vector(kvm, vec))
		return;
	for (i = 0; i < 8; i++) {
		u32 isr = apic_get_reg(apic, APIC_REG_ISR + i * 0x10);

		if (i == vec / 32)
			isr &= ~BIT(vec % 32);
		if (isr)
			return;
	}
	apic->pv_eoi_armed = pv_eoi_write(apic, KVM_PV_EOI_ENABLED);
}

/*
 * bit 0 enable, bit 1 reserved, 63:2 the 4-byte aligned gpa of the flag, in guest RAM.
 * Without an in-kernel local APIC the value is only kept (as on Linux KVM): no interrupt
 * KVM injects then, no flag.
 */
int kvm_lapic_pv_eoi_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	u8 flag;

	if (!kvm_pv_has(vcpu, KVM_FEATURE_PV_EOI))
		return 1;
	if (!write) {
		*data = vcpu->arch.pv_eoi_msr;
		return 0;
	}
	if (*data & 2)
		return 1;
	if ((*data & KVM_MSR_ENABLED) &&
	    kvm_read_guest(vcpu->kvm, *data & ~3ULL, &flag, sizeof(flag)))
		return 1;
	if (apic)
		pv_eoi_sync(apic, true);
	vcpu->arch.pv_eoi_msr = *data;
	/*
	 * A flag found set is taken as armed: after a migration (MSRs restored, the guest
	 * maybe in its handler) its clearing must still be an EOI. A guest enabling PV EOI
	 * gives zeroed memory (msr.rst), so this is the restore case.
	 */
	if (apic && (*data & KVM_MSR_ENABLED) &&
	    !kvm_read_guest(vcpu->kvm, pv_eoi_gpa(apic), &flag, sizeof(flag)))
		apic->pv_eoi_armed = flag & KVM_PV_EOI_ENABLED;
	return 0;
}

/* ICR written (SDM 10.6.1): the IPI goes out at once; delivery status always reads idle */
static void send_ipi(struct kvm_lapic *apic, u32 lo, u32 dest)
{
	struct kvm_apic_irq irq = {
		.dest_id = dest,
		.vector = lo & 0xff,
		.delivery_mode = (lo >> 8) & 7,
		.dest_logical = lo & BIT(11),
		.level = lo & BIT(14),
		.trig_level = lo & BIT(15),
		.shorthand = (lo >> 18) & 3,
	};

	kvm_apic_deliver(apic->vcpu->kvm, apic->vcpu, &irq);
}

static void x2apic_set_id(struct kvm_lapic *apic)
{
	u32 id = apic->vcpu->vcpu_id;

	apic_set_reg(apic, APIC_REG_ID, id);
	/* SDM 10.12.10.2: logical x2APIC ID derived from the x2APIC ID */
	apic_set_reg(apic, APIC_REG_LDR, ((id >> 4) << 16) | (1u << (id & 0xf)));
}

static u32 lvt_mask(struct kvm_lapic *apic, u32 reg)
{
	switch (reg) {
	case APIC_REG_LVTT:
		/* a mode the guest's CPUID does not offer cannot be written */
		return 0xff | LAPIC_LVT_MASKED | READ_ONCE(apic->lvtt_modes);
	case APIC_REG_LVT0:
	case APIC_REG_LVT1:
		return 0xff | (7 << 8) | BIT(13) | BIT(15) | LAPIC_LVT_MASKED;
	case APIC_REG_LVTERR:
		return 0xff | LAPIC_LVT_MASKED;
	default:	/* thermal, performance counters */
		return 0xff | (7 << 8) | LAPIC_LVT_MASKED;
	}
}

static bool is_lvt(u32 reg)
{
	return reg >= APIC_REG_LVTT && reg <= APIC_REG_LVTERR;
}

/* A register read (reg: offset, 16-byte aligned); false: no such register */
static bool reg_read(struct kvm_lapic *apic, u32 reg, u32 *val)
{
	switch (reg) {
	case APIC_REG_ID: case APIC_REG_LVR: case APIC_REG_TPR: case APIC_REG_LDR:
	case APIC_REG_DFR: case APIC_REG_SVR: case APIC_REG_ESR: case APIC_REG_ICR:
	case APIC_REG_ICR2: case APIC_REG_TMICT: case APIC_REG_TDCR:
	case APIC_REG_ISR ... APIC_REG_IRR + 0x70:
	case APIC_REG_LVTT ... APIC_REG_LVTERR:
		*val = apic_get_reg(apic, reg);
		return true;
	case APIC_REG_APR:
	case APIC_REG_RRD:
	case APIC_REG_EOI:
		*val = 0;
		return true;
	case APIC_REG_PPR:
		*val = compute_ppr(apic);
		return true;
	case APIC_REG_TMCCT:
		*val = kvm_lapic_timer_current_count(apic);
		return true;
	default:
		return false;
	}
}

/* A 32-bit register write; false: no such register or read-only (x2APIC: #GP) */
static bool reg_write(struct kvm_lapic *apic, u32 reg, u32 val)
{
	bool x2 = kvm_lapic_x2apic(apic);
	int i;

	trace_kvm_apic_write(reg, val);

	switch (reg) {
	case APIC_REG_ID:
		if (x2)
			return false;
		apic_set_reg(apic, reg, val & 0xff000000);
		break;
	case APIC_REG_TPR:
		kvm_lapic_set_tpr(apic, val);
		break;
	case APIC_REG_EOI:
		apic_eoi(apic);
		break;
	case APIC_REG_LDR:
		if (x2)
			return false;
		apic_set_reg(apic, reg, val & 0xff000000);
		break;
	case APIC_REG_DFR:
		if (x2)
			return false;
		apic_set_reg(apic, reg, val | 0x0fffffff);
		break;
	case APIC_REG_SVR:
		val &= 0x3ff | (directed_eoi_supported(apic->vcpu) ? APIC_SVR_SUPPRESS_EOI : 0);
		apic_set_reg(apic, reg, val);
		/* SDM 10.4.7.2: software disable masks every LVT entry */
		if (!(val & APIC_SVR_ENABLED)) {
			for (i = 0; i < ARRAY_SIZE(lvt_regs); i++)
				apic_set_reg(apic, lvt_regs[i],
					     apic_get_reg(apic, lvt_regs[i]) | LAPIC_LVT_MASKED);
			kvm_lapic_timer_update(apic, false);
		}
		break;
	case APIC_REG_ESR:
		apic_set_reg(apic, reg, 0);	/* no errors are ever latched */
		break;
	case APIC_REG_ICR:
		apic_set_reg(apic, reg, val & ~BIT(12));
		send_ipi(apic, val, x2 ? apic_get_reg(apic, APIC_REG_ICR2) :
				    apic_get_reg(apic, APIC_REG_ICR2) >> 24);
		break;
	case APIC_REG_ICR2:
		apic_set_reg(apic, reg, x2 ? val : val & 0xff000000);
		break;
	case APIC_REG_LVTT ... APIC_REG_LVTERR:
		if (!is_lvt(reg) || (reg & 0xf))
			return false;
		val &= lvt_mask(apic, reg);
		if (!sw_enabled(apic))
			val |= LAPIC_LVT_MASKED;
		apic_set_reg(apic, reg, val);
		if (reg == APIC_REG_LVTT)
			kvm_lapic_timer_update(apic, false);
		break;
	case APIC_REG_TMICT:
		apic_set_reg(apic, reg, val);
		kvm_lapic_timer_update(apic, true);
		break;
	case APIC_REG_TDCR:
		apic_set_reg(apic, reg, val & 0xb);
		kvm_lapic_timer_update(apic, false);
		break;
	case APIC_REG_SELF_IPI:
		if (!x2)
			return false;
		set_irr(apic, val & 0xff, false);
		break;
	default:
		return false;
	}
	return true;
}

static bool mmio_hit(struct kvm_vcpu *vcpu, bool pio, u64 addr)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	u64 base = vcpu->arch.apic_base;

	if (pio || !apic || !(base & MSR_IA32_APICBASE_ENABLE) || (base & APIC_BASE_EXTD))
		return false;
	base &= MSR_IA32_APICBASE_BASE;
	return addr >= base && addr < base + PAGE_SIZE;
}

/*
 * The xAPIC page (SDM 10.4.1): registers are 32 bits at 16-byte aligned offsets. Other
 * reads see the register's bytes (zeros past it); other writes are dropped.
 */
bool kvm_arch_io_read(struct kvm_vcpu *vcpu, bool pio, u64 addr, unsigned int len, void *val)
{
	unsigned int off;
	u64 v = 0;
	u32 r;

	if (!mmio_hit(vcpu, pio, addr))
		return false;
	off = addr & 0xfff;
	if (reg_read(vcpu_apic(vcpu), off & 0xff0, &r) && (off & 0xf) < 4) {
		trace_kvm_apic_read(off, r);
		v = (u64)r >> ((off & 3) * 8);
	}
	memcpy(val, &v, min(len, 8u));
	return true;
}

bool kvm_arch_io_write(struct kvm_vcpu *vcpu, bool pio, u64 addr, unsigned int len,
		       const void *val)
{
	unsigned int off;
	u32 v;

	if (!mmio_hit(vcpu, pio, addr))
		return false;
	off = addr & 0xfff;
	if (len == 4 && !(off & 0xf) && off != APIC_REG_SELF_IPI) {
		memcpy(&v, val, 4);
		reg_write(vcpu_apic(vcpu), off, v);
	}
	return true;
}

/* SDM 10.12.1.2: x2APIC MSR 0x800 + offset / 16; read-only/write-only/absent ones #GP */
int kvm_lapic_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	u32 reg = (index - MSR_X2APIC_FIRST) << 4, v;

	if (index == MSR_TSC_DEADLINE) {
		/* without an in-kernel APIC: reads 0, writes dropped (as Linux KVM) */
		if (!apic) {
			if (!write)
				*data = 0;
			return 0;
		}
		if (write)
			kvm_lapic_set_tsc_deadline(apic, *data);
		else
			*data = READ_ONCE(apic->tsc_deadline);
		return 0;
	}
	if (index < MSR_X2APIC_FIRST || index > MSR_X2APIC_LAST)
		return -ENOENT;
	if (!apic || !kvm_lapic_x2apic(apic))
		return 1;
	if (!write) {
		if (reg == APIC_REG_DFR || reg == APIC_REG_ICR2 || reg == APIC_REG_EOI ||
		    !reg_read(apic, reg, &v))
			return 1;
		*data = v;
		if (reg == APIC_REG_ICR)
			*data |= (u64)apic_get_reg(apic, APIC_REG_ICR2) << 32;
		trace_kvm_apic_read(reg, *data);
		return 0;
	}
	switch (reg) {
	case APIC_REG_ICR:
		if (*data & 0xfff32000ULL)	/* reserved bits of the x2APIC ICR */
			return 1;
		apic_set_reg(apic, APIC_REG_ICR2, *data >> 32);
		return reg_write(apic, reg, (u32)*data) ? 0 : 1;
	case APIC_REG_EOI:
	case APIC_REG_TPR:
	case APIC_REG_SVR:
	case APIC_REG_SELF_IPI:
	case APIC_REG_ESR:
		/* SDM 10.12.1.2: reserved bits set in these #GP */
		if ((reg == APIC_REG_EOI && *data) || (reg == APIC_REG_TPR && *data > 0xff) ||
		    (reg == APIC_REG_SELF_IPI && *data > 0xff) ||
		    (reg == APIC_REG_SVR && (*data >> 32)) || (reg == APIC_REG_ESR && *data))
			return 1;
		break;
	case APIC_REG_ICR2:
	case APIC_REG_DFR:
		return 1;
	default:
		if (*data >> 32)
			return 1;
	}
	return reg_write(apic, reg, (u32)*data) ? 0 : 1;
}

/* SDM 10.12.5: disabled <-> xAPIC <-> x2APIC, x2APIC -> xAPIC only through disabled */
int kvm_lapic_set_base(struct kvm_vcpu *vcpu, u64 data, bool host)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	u64 old = vcpu->arch.apic_base;
	bool en = data & MSR_IA32_APICBASE_ENABLE, x2 = data & APIC_BASE_EXTD;
	bool old_en = old & MSR_IA32_APICBASE_ENABLE, old_x2 = old & APIC_BASE_EXTD;

	if ((data & APIC_BASE_ADDR_RSVD) || (data >> kvm_guest_maxphyaddr(vcpu)))
		return 1;
	if (x2 && !en)
		return 1;
	if (!host) {
		if (x2 && !kvm_guest_has(vcpu, 1, 0, CPUID_REG_ECX, BIT(21)))
			return 1;
		if (old_x2 && en && !x2)
			return 1;
	}
	WRITE_ONCE(vcpu->arch.apic_base, data);
	if (old_en && !en) {
		/* SDM 10.4.3: a disabled APIC is as after power-up once re-enabled */
		kvm_lapic_reset(vcpu, true);
		/* SDM 10.12.5: out of x2APIC mode the ID is the xAPIC one, bits 31:24 */
		if (old_x2)
			apic_set_reg(apic, APIC_REG_ID, vcpu->vcpu_id << 24);
	} else if (x2 && !old_x2) {
		x2apic_set_id(apic);
	} else if (!x2 && old_x2) {
		apic_set_reg(apic, APIC_REG_ID, vcpu->vcpu_id << 24);
		apic_set_reg(apic, APIC_REG_LDR, 0);
	}
	return 0;
}

/* RESET (init false) or INIT / re-enable (init true: ID kept): SDM 10.4.7.1 */
void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	u32 id, ldr;
	int i;

	if (!apic)
		return;
	id = init ? apic_get_reg(apic, APIC_REG_ID) : vcpu->vcpu_id << 24;
	ldr = init && kvm_lapic_x2apic(apic) ? apic_get_reg(apic, APIC_REG_LDR) : 0;
	kvm_lapic_timer_cancel(apic);
	memset(apic->regs, 0, PAGE_SIZE);
	apic_set_reg(apic, APIC_REG_ID, id);
	apic_set_reg(apic, APIC_REG_LDR, ldr);
	apic_set_reg(apic, APIC_REG_LVR, apic_version(vcpu));
	apic_set_reg(apic, APIC_REG_DFR, 0xffffffff);
	apic_set_reg(apic, APIC_REG_SVR, 0xff);
	for (i = 0; i < ARRAY_SIZE(lvt_regs); i++)
		apic_set_reg(apic, lvt_regs[i], LAPIC_LVT_MASKED);
	apic->divide = 2;
	apic->period_ns = 0;
	apic->tsc_deadline = 0;
	apic->eoi_exit_vector = -1;
	/* RESET and INIT both turn PV EOI off: the guest enables it again once it runs */
	vcpu->arch.pv_eoi_msr = 0;
	apic->pv_eoi_armed = false;
	if (!init) {
		clear_bit(KVM_APIC_PENDING_NMI, &apic->pending);
		clear_bit(KVM_APIC_PENDING_INIT, &apic->pending);
		clear_bit(KVM_APIC_PENDING_SIPI, &apic->pending);
		apic->sipi_vector = 0;
	}
	kvm_lapic_set_tpr(apic, 0);
}

int kvm_lapic_create(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic;

	if (vcpu->kvm->arch.irqchip_mode == KVM_IRQCHIP_NONE)
		return 0;
	apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	apic->regs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!apic->regs) {
		kfree(apic);
		return -ENOMEM;
	}
	apic->vcpu = vcpu;
	apic->eoi_exit_vector = -1;
	init_waitqueue_head(&apic->wq);
	kvm_lapic_timer_init(apic);
	vcpu->arch.apic = apic;
	return 0;
}

/* The VM is going: nothing delivers to this vCPU any more (no fd, no irqfd, no timer) */
void kvm_lapic_free(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!apic)
		return;
	kvm_lapic_timer_cancel(apic);
	free_page((unsigned long)apic->regs);
	kfree(apic);
	vcpu->arch.apic = NULL;
}

/* SDM 8.4.1 / 10.4.7.3: INIT makes an AP wait for SIPI; SIPI starts it at vector << 12 */
static void accept_init_sipi(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	struct kvm_segment cs;
	u8 vec;

	if (test_and_clear_bit(KVM_APIC_PENDING_INIT, &apic->pending)) {
		kvm_vcpu_reset(vcpu, true);
		vcpu->arch.mp_state = vcpu->arch.apic_base & MSR_IA32_APICBASE_BSP ?
				      KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_INIT_RECEIVED;
	}
	if (!test_and_clear_bit(KVM_APIC_PENDING_SIPI, &apic->pending))
		return;
	smp_rmb();
	vec = READ_ONCE(apic->sipi_vector);
	/* a SIPI outside wait-for-SIPI is ignored (SDM 8.4.2) */
	if (vcpu->arch.mp_state != KVM_MP_STATE_INIT_RECEIVED)
		return;
	kvm_x86_vendor->get_segment(vcpu, &cs, VCPU_SREG_CS);
	cs.selector = vec << 8;
	cs.base = (u64)vec << 12;
	kvm_x86_vendor->set_segment(vcpu, &cs, VCPU_SREG_CS);
	vcpu->arch.regs[VCPU_REGS_RIP] = 0;
	vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
}

static void accept_events(struct kvm_vcpu *vcpu)
{
	if (test_and_clear_bit(KVM_APIC_PENDING_NMI, &vcpu_apic(vcpu)->pending))
		kvm_vcpu_ioctl_nmi(vcpu);
	accept_init_sipi(vcpu);
}

/*
 * KVM_GET_MP_STATE: an INIT or SIPI that arrived (or KVM_SET_MP_STATE's SIPI_RECEIVED) is
 * taken first, so the state read is the one the next entry would see, as on Linux KVM.
 */
u32 kvm_lapic_get_mp_state(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	/* INIT resets the vCPU: the backend's state must be loaded here (VMCS) */
	if (apic && (READ_ONCE(apic->pending) &
		     (BIT(KVM_APIC_PENDING_INIT) | BIT(KVM_APIC_PENDING_SIPI)))) {
		vcpu_load(vcpu);
		accept_init_sipi(vcpu);
		vcpu_put(vcpu);
	}
	return vcpu->arch.mp_state;
}

/* What ends the wait of a vCPU that is not runnable */
static bool wakeup_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	unsigned long p = READ_ONCE(apic->pending);

	if (p & BIT(KVM_APIC_PENDING_INIT))
		return true;
	switch (vcpu->arch.mp_state) {
	case KVM_MP_STATE_INIT_RECEIVED:
		return p & BIT(KVM_APIC_PENDING_SIPI);
	case KVM_MP_STATE_HALTED:
		/* a PV kick wakes it even with interrupts disabled */
		if ((p & BIT(KVM_APIC_PENDING_NMI)) || (p & BIT(KVM_APIC_PENDING_UNHALT)) ||
		    vcpu->arch.events.nmi_pending)
			return true;
		/* HLT with RFLAGS.IF clear waits for NMI/INIT only (SDM vol. 2A HLT) */
		if (!(kvm_get_rflags(vcpu) & X86_EFLAGS_IF))
			return false;
		return vcpu->arch.events.interrupt.injected || kvm_lapic_has_interrupt(vcpu);
	default:
		return false;
	}
}

/*
 * Sleep until an event can wake a vCPU that is not runnable (HLT, waiting for INIT/SIPI):
 * 0, or -EINTR for a signal. Counted in the generic halt_wakeup/halt_wait_ns/blocking.
 */
static int kvm_lapic_block(struct kvm_vcpu *vcpu)
{
	ktime_t start = ktime_get(), polled, end;
	/* unless the guest turned it off (MSR_KVM_POLL_CONTROL, pv.c) */
	bool may_poll = vcpu->arch.mp_state == KVM_MP_STATE_HALTED &&
			(vcpu->arch.poll_control & 1);
	u64 window = 0;
	int r = 0;

	/*
	 * halt polling (virt/kvm/halt_poll.c): only for HLT, and only while this task is the
	 * only one runnable on its CPU: polling on a CPU that other tasks wait for (the vCPU
	 * that will wake this one among them, when vCPUs outnumber CPUs) only delays the wakeup
	 */
	if (may_poll && single_task_running())
		window = kvm_vcpu_halt_poll_window(vcpu);
	polled = start;
	if (window) {
		ktime_t stop = ktime_add_ns(start, window);

		do {
			if (wakeup_pending(vcpu)) {
				end = ktime_get();
				kvm_vcpu_halt_poll_done(vcpu, ktime_to_ns(ktime_sub(end, start)),
							ktime_to_ns(ktime_sub(end, start)), true);
				kvm_stat_inc(vcpu->stat.halt_wakeup);
				return 0;
			}
			cpu_relax();
			polled = ktime_get();
		} while (!need_resched() && single_task_running() && !signal_pending(current) &&
			 ktime_before(polled, stop));
	}

	WRITE_ONCE(vcpu->stat.blocking, 1);
	r = wait_event_interruptible(vcpu_apic(vcpu)->wq, wakeup_pending(vcpu));
	WRITE_ONCE(vcpu->stat.blocking, 0);
	end = ktime_get();
	kvm_stat_add(vcpu->stat.halt_wait_ns, ktime_to_ns(ktime_sub(end, polled)));
	if (may_poll && !r)
		kvm_vcpu_halt_poll_done(vcpu, ktime_to_ns(ktime_sub(polled, start)),
					ktime_to_ns(ktime_sub(end, start)), false);
	if (r) {
		kvm_stat_inc(vcpu->arch.stat.signal_exits);
		return r;
	}
	kvm_stat_inc(vcpu->stat.halt_wakeup);
	return 0;
}

/* Before each entry: take posted events; block (no busy wait) while not runnable */
int kvm_lapic_before_entry(struct kvm_vcpu *vcpu)
{
	accept_events(vcpu);
	/*
	 * As Linux KVM: KVM_RUN of a vCPU that never got INIT waits for an event once, then
	 * returns -EAGAIN for userspace to run it again (QEMU and the selftests loop on it)
	 */
	if (vcpu->arch.mp_state == KVM_MP_STATE_UNINITIALIZED) {
		if (kvm_lapic_block(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		accept_events(vcpu);
		return -EAGAIN;
	}
	while (vcpu->arch.mp_state != KVM_MP_STATE_RUNNABLE) {
		if (vcpu->arch.mp_state == KVM_MP_STATE_HALTED && wakeup_pending(vcpu)) {
			vcpu->arch.mp_state = KVM_MP_STATE_RUNNABLE;
			/* the kick is used up by the HLT it ended */
			clear_bit(KVM_APIC_PENDING_UNHALT, &vcpu_apic(vcpu)->pending);
			break;
		}
		WRITE_ONCE(vcpu->arch.nr_halts, vcpu->arch.nr_halts + 1);
		if (kvm_lapic_block(vcpu)) {
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		accept_events(vcpu);
	}
	kvm_lapic_sync_tpr(vcpu);
	kvm_lapic_vapic_sync_to(vcpu);
	return 1;
}

/* After an exit was handled: a level EOI the userspace IOAPIC must hear of (split) */
int kvm_lapic_after_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (apic->eoi_exit_vector < 0)
		return 1;
	vcpu->run->exit_reason = KVM_EXIT_IOAPIC_EOI;
	vcpu->run->eoi.vector = apic->eoi_exit_vector;
	apic->eoi_exit_vector = -1;
	return 0;
}

/* HLT with the APIC in the kernel: the vCPU sleeps in KVM_RUN until woken */
int kvm_lapic_halt(struct kvm_vcpu *vcpu)
{
	vcpu->arch.mp_state = KVM_MP_STATE_HALTED;
	return 1;
}

/* api.rst 4.39 */
int kvm_lapic_set_mp_state(struct kvm_vcpu *vcpu, u32 mp_state)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	switch (mp_state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
		vcpu->arch.mp_state = mp_state;
		return 0;
	case KVM_MP_STATE_SIPI_RECEIVED:
		/* waiting for SIPI with the SIPI already there (sipi_vector from VCPU_EVENTS) */
		vcpu->arch.mp_state = KVM_MP_STATE_INIT_RECEIVED;
		set_bit(KVM_APIC_PENDING_SIPI, &apic->pending);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * api.rst 4.57: the register page; in x2APIC mode the APIC ID in xAPIC format (bits 31:24)
 * unless KVM_X2APIC_API_USE_32BIT_IDS is on (then the 32-bit x2APIC ID as it is)
 */
long kvm_lapic_ioctl_get(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	struct kvm_lapic_state *s;
	long r = 0;

	if (!apic)
		return -EINVAL;
	BUILD_BUG_ON(sizeof(s->regs) != 0x400);
	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	*(u32 *)(s->regs + APIC_REG_PPR) = compute_ppr(apic);
	*(u32 *)(s->regs + APIC_REG_TMCCT) = kvm_lapic_timer_current_count(apic);
	if (kvm_lapic_x2apic(apic) &&
	    !(READ_ONCE(vcpu->kvm->arch.x2apic_api) & KVM_X2APIC_API_USE_32BIT_IDS))
		*(u32 *)(s->regs + APIC_REG_ID) = apic_get_reg(apic, APIC_REG_ID) << 24;
	if (copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

/* api.rst 4.58: registers as given, the read-only ones fixed up, the timer restarted */
long kvm_lapic_ioctl_set(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	struct kvm_lapic_state *s;

	if (!apic)
		return -EINVAL;
	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	/* the ISR the flag stood for is replaced: the guest's next EOI is a real one */
	pv_eoi_sync(apic, true);
	kvm_lapic_timer_cancel(apic);
	memcpy(apic->regs, s->regs, sizeof(s->regs));
	kfree(s);
	apic_set_reg(apic, APIC_REG_LVR, apic_version(vcpu));
	if (kvm_lapic_x2apic(apic))
		x2apic_set_id(apic);
	apic_set_reg(apic, APIC_REG_PPR, compute_ppr(apic));
	kvm_lapic_set_tpr(apic, apic_get_reg(apic, APIC_REG_TPR));
	kvm_lapic_timer_update(apic, true);
	kick(vcpu);
	return 0;
}

/* api.rst 4.71 */
long kvm_vm_ioctl_signal_msi(struct kvm *kvm, void __user *argp)
{
	struct kvm_apic_irq irq;
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (kvm->arch.irqchip_mode == KVM_IRQCHIP_NONE || (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	kvm_msi_to_apic_irq(kvm, msi.address_lo, msi.address_hi, msi.data, &irq);
	return kvm_apic_deliver(kvm, NULL, &irq);
}

/* api.rst 7.x KVM_CAP_SPLIT_IRQCHIP: args[0] IOAPIC routes reserved for userspace */
int kvm_vm_enable_split_irqchip(struct kvm *kvm, u64 nr_routes)
{
	int r = -EINVAL;

	mutex_lock(&kvm->lock);
	if (nr_routes > KVM_MAX_IRQ_ROUTES)
		goto out;
	r = -EEXIST;
	if (kvm->arch.irqchip_mode != KVM_IRQCHIP_NONE || kvm->created_vcpus)
		goto out;
	kvm->arch.nr_reserved_ioapic_pins = nr_routes;
	WRITE_ONCE(kvm->arch.irqchip_mode, KVM_IRQCHIP_SPLIT);
	r = 0;
out:
	mutex_unlock(&kvm->lock);
	return r;
}
