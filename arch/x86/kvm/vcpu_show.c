// SPDX-License-Identifier: GPL-2.0-only
/*
 * One vCPU's interrupt-related state as text, for /sys/kernel/debug/kvm/vcpus (stats.c): what
 * a person needs to see when a guest stops making progress. Is the vCPU in guest mode or
 * asleep (mp_state), is an event waiting or in delivery, which vectors are in the local
 * APIC's IRR and ISR against its PPR, is its timer armed and when does it fire.
 *
 * Read from another thread while the vCPU runs, without its mutex: every field is read once
 * (READ_ONCE or a plain racy read of vcpu-owned memory) and may be a moment old. Of the
 * backend only the optional show op is called, which reads what is plain memory (SVM's
 * VMCB): ops like get_rflags would read a VMCS, which only the CPU it is loaded on can.
 */
#include <linux/seq_file.h>

#include "x86.h"
#include "lapic.h"

static const char *const mp_state_names[] = {
	[KVM_MP_STATE_RUNNABLE] = "runnable", [KVM_MP_STATE_UNINITIALIZED] = "uninitialized",
	[KVM_MP_STATE_INIT_RECEIVED] = "init-received", [KVM_MP_STATE_HALTED] = "halted",
	[KVM_MP_STATE_SIPI_RECEIVED] = "sipi-received",
};

/* "v1,v2,..." of the set bits of a 256-bit IRR/ISR/TMR, "-" when none */
static void show_vectors(struct seq_file *m, const char *name, struct kvm_lapic *apic,
			 unsigned int base)
{
	bool any = false;
	int vec;

	seq_printf(m, " %s=", name);
	for (vec = 0; vec < 256; vec++) {
		if (!(apic_get_reg(apic, base + (vec / 32) * 0x10) & BIT(vec % 32)))
			continue;
		seq_printf(m, "%s0x%x", any ? "," : "", vec);
		any = true;
	}
	if (!any)
		seq_puts(m, "-");
}

static void show_lapic(struct seq_file *m, struct kvm_lapic *apic)
{
	s64 left = -1;

	seq_printf(m, "  lapic: svr=0x%x tpr=0x%x ppr=0x%x pending=0x%lx vapic=0x%llx",
		   apic_get_reg(apic, APIC_REG_SVR), apic_get_reg(apic, APIC_REG_TPR),
		   apic_get_reg(apic, APIC_REG_PPR), READ_ONCE(apic->pending),
		   READ_ONCE(apic->vapic_addr));
	show_vectors(m, "irr", apic, APIC_REG_IRR);
	show_vectors(m, "isr", apic, APIC_REG_ISR);
	show_vectors(m, "tmr", apic, APIC_REG_TMR);
	seq_putc(m, '\n');
	if (hrtimer_active(&apic->timer))
		left = ktime_to_ns(hrtimer_get_remaining(&apic->timer));
	seq_printf(m, "  lapic: lvtt=0x%x lvt0=0x%x lvt1=0x%x tmict=%u tdcr=0x%x tsc_deadline=%llu timer=%s",
		   apic_get_reg(apic, APIC_REG_LVTT), apic_get_reg(apic, APIC_REG_LVT0),
		   apic_get_reg(apic, APIC_REG_LVT1), apic_get_reg(apic, APIC_REG_TMICT),
		   apic_get_reg(apic, APIC_REG_TDCR), READ_ONCE(apic->tsc_deadline),
		   left < 0 ? "idle" : "armed");
	if (left >= 0)
		seq_printf(m, " fires_in_ns=%lld", left);
	seq_putc(m, '\n');
}

/* the general-purpose registers as of the last exit (RSP and RAX are the backend's) */
static void show_gprs(struct seq_file *m, struct kvm_vcpu *vcpu)
{
	static const char *const names[] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		seq_printf(m, "%s%s=0x%lx%s", i % 8 ? " " : "  ", names[i],
			   READ_ONCE(vcpu->arch.regs[i]), i % 8 == 7 ? "\n" : "");
}

/* the last interrupts injected, oldest first */
static void show_irq_log(struct seq_file *m, struct kvm_vcpu *vcpu)
{
	unsigned int next = READ_ONCE(vcpu->arch.irq_log_next), i;

	for (i = next > KVM_IRQ_LOG_LEN ? next - KVM_IRQ_LOG_LEN : 0; i < next; i++) {
		struct kvm_irq_log_entry *e = &vcpu->arch.irq_log[i % KVM_IRQ_LOG_LEN];

		seq_printf(m, "  injected: entry=%llu vector=0x%x (%c) rip=0x%llx rflags=0x%llx\n",
			   e->entry, e->vector, e->why, e->rip, e->rflags);
	}
}

void kvm_arch_vcpu_show(struct seq_file *m, struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_event_state *ev = &vcpu->arch.events;
	u32 mp = READ_ONCE(vcpu->arch.mp_state);

	seq_printf(m, " vcpu %d: %s mp_state=%s cpu=%d entries=%llu halts=%llu\n",
		   vcpu->vcpu_id, READ_ONCE(vcpu->mode) == IN_GUEST_MODE ? "in-guest" : "outside",
		   mp < ARRAY_SIZE(mp_state_names) && mp_state_names[mp] ? mp_state_names[mp] : "?",
		   READ_ONCE(vcpu->cpu), READ_ONCE(vcpu->arch.nr_entries),
		   READ_ONCE(vcpu->arch.nr_halts));
	seq_printf(m, "  events: exception=%s%s/%u interrupt=%s/0x%x nmi=%s pending_nmis=%u in_hw=%u rip=0x%lx\n",
		   ev->exception.pending ? "pending" : "", ev->exception.injected ? "injected" : "",
		   ev->exception.nr, ev->interrupt.injected ? "injected" : "none",
		   ev->interrupt.nr, ev->nmi_injected ? "injected" : "none", ev->nmi_pending,
		   ev->in_hw, READ_ONCE(vcpu->arch.regs[VCPU_REGS_RIP]));
	show_gprs(m, vcpu);
	show_irq_log(m, vcpu);
	if (kvm_x86_vendor->show)
		kvm_x86_vendor->show(m, vcpu);
	if (vcpu->arch.apic)
		show_lapic(m, vcpu->arch.apic);
}

void kvm_arch_vm_show(struct seq_file *m, struct kvm *kvm)
{
	struct kvm_tdp *tdp = &kvm->arch.tdp;

	seq_printf(m, " irqchip=%d tdp: pages_mapped=%lu tables=%lu mmu_seq=%lu in_progress=%ld flush_gen=%llu\n",
		   kvm->arch.irqchip_mode, READ_ONCE(tdp->nr_pages_mapped),
		   READ_ONCE(tdp->nr_tables), READ_ONCE(tdp->mmu_seq),
		   READ_ONCE(tdp->mmu_in_progress), READ_ONCE(tdp->flush_gen));
}
