// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 statistics of VMs and vCPUs in their stats fds (api.rst 4.133 KVM_GET_STATS_FD,
 * virt/kvm/stats.c), after the generic ones. Names are those tools know from Linux KVM;
 * only what this implementation counts is listed, each counted where the event happens.
 */
#include <linux/kvm.h>

#include "x86.h"

#define VM_COUNTER(f)	KVM_VM_STAT(arch.stat.f, #f, KVM_STAT_COUNTER, 0)
#define VM_INSTANT(f)	KVM_VM_STAT(arch.stat.f, #f, KVM_STAT_INSTANT, 0)
#define VCPU_COUNTER(f)	KVM_VCPU_STAT(arch.stat.f, #f, KVM_STAT_COUNTER, 0)

const struct kvm_stat_def kvm_arch_vm_stats[] = {
	VM_INSTANT(pages_4k),		/* mmu/tdp.c */
	VM_INSTANT(pages_2m),
	VM_INSTANT(nx_lpage_splits),
};
const unsigned int kvm_arch_nr_vm_stats = ARRAY_SIZE(kvm_arch_vm_stats);

const struct kvm_stat_def kvm_arch_vcpu_stats[] = {
	VCPU_COUNTER(exits),		/* run.c */
	VCPU_COUNTER(signal_exits),
	VCPU_COUNTER(request_irq_exits),
	VCPU_COUNTER(halt_exits),
	VCPU_COUNTER(io_exits),		/* pio.c */
	VCPU_COUNTER(mmio_exits),	/* mmio.c */
	VCPU_COUNTER(insn_emulation),
	VCPU_COUNTER(insn_emulation_fail),
	VCPU_COUNTER(irq_exits),	/* the backends */
	VCPU_COUNTER(irq_window_exits),
	VCPU_COUNTER(tlb_flush),
	VCPU_COUNTER(hypercalls),	/* pv.c */
	VCPU_COUNTER(irq_injections),	/* events.c */
	VCPU_COUNTER(nmi_injections),
	VCPU_COUNTER(pf_fixed),		/* mmu/tdp.c */
};
const unsigned int kvm_arch_nr_vcpu_stats = ARRAY_SIZE(kvm_arch_vcpu_stats);
