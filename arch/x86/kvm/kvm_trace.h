/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Trace events of the "kvm" system (Documentation/trace/events.rst, tracepoints.rst), for
 * the tools that read Linux KVM's: `perf kvm stat` (kvm_entry, kvm_exit, kvm_mmio, kvm_pio,
 * kvm_msr: tools/perf/arch/x86/util/kvm-stat.c reads exit_reason, isa, vcpu_id, gpa, type,
 * port, rw, ecx, write), `trace-cmd record -e kvm`, `perf trace`. Event and field names,
 * and the C types the format files show, are those tools' ABI: keep them as they are.
 * Each event is a static key: a site costs a patched-out jump until someone enables it.
 *
 * The events are defined once, in trace.c (CREATE_TRACE_POINTS); every site is in kvm.ko.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm

#if !defined(_KVM_OURS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KVM_OURS_TRACE_H

#include <linux/tracepoint.h>
#ifdef CREATE_TRACE_POINTS
/* the exit reason names, for trace.c only: the VMX backend has its own vmx.h */
#include <asm/svm.h>
#include <asm/vmx.h>
#endif

#include "x86.h"
#include "lapic.h"

/* kvm_exit's isa: which table exit_reason comes from (perf kvm stat's "VMX" / "SVM") */
#define KVM_TRACE_ISA_VMX	1
#define KVM_TRACE_ISA_SVM	2

/* kvm_mmio's type */
#define KVM_TRACE_MMIO_READ_UNSATISFIED	0
#define KVM_TRACE_MMIO_READ		1
#define KVM_TRACE_MMIO_WRITE		2

/* Right before the backend enters the guest (interrupts off). */
TRACE_EVENT(kvm_entry,
	TP_PROTO(struct kvm_vcpu *vcpu),
	TP_ARGS(vcpu),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(unsigned long, rip)
		__field(bool, immediate_exit)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu->vcpu_id;
		__entry->rip = vcpu->arch.regs[VCPU_REGS_RIP];
		__entry->immediate_exit = false;	/* no entry is made only to exit again */
	),
	TP_printk("vcpu %u, rip 0x%lx%s", __entry->vcpu_id, __entry->rip,
		  __entry->immediate_exit ? "[immediate exit]" : "")
);

/*
 * Right after the guest exited (interrupts still off): the backend's exit information
 * (kvm_x86_ops.get_exit_info: SVM exit code, EXITINFO1/2, EXITINTINFO; VMX basic exit
 * reason with its flags, qualification, guest-physical address, interruption info).
 */
TRACE_EVENT(kvm_exit,
	TP_PROTO(struct kvm_vcpu *vcpu),
	TP_ARGS(vcpu),
	TP_STRUCT__entry(
		__field(unsigned int, exit_reason)
		__field(unsigned long, guest_rip)
		__field(u32, isa)
		__field(u64, info1)
		__field(u64, info2)
		__field(u32, intr_info)
		__field(u32, error_code)
		__field(unsigned int, vcpu_id)
	),
	TP_fast_assign(
		u64 info[5];

		kvm_x86_vendor->get_exit_info(vcpu, info);
		__entry->exit_reason = info[0];
		__entry->guest_rip = vcpu->arch.regs[VCPU_REGS_RIP];
		__entry->isa = boot_cpu_has(X86_FEATURE_VMX) ? KVM_TRACE_ISA_VMX :
							       KVM_TRACE_ISA_SVM;
		__entry->info1 = info[1];
		__entry->info2 = info[2];
		__entry->intr_info = info[3];
		__entry->error_code = info[4];
		__entry->vcpu_id = vcpu->vcpu_id;
	),
	TP_printk("vcpu %u reason %s rip 0x%lx info1 0x%016llx info2 0x%016llx intr_info 0x%08x error_code 0x%08x",
		  __entry->vcpu_id,
		  __entry->isa == KVM_TRACE_ISA_VMX ?
			__print_symbolic(__entry->exit_reason & 0xffff, VMX_EXIT_REASONS) :
			__print_symbolic(__entry->exit_reason, SVM_EXIT_REASONS),
		  __entry->guest_rip, __entry->info1, __entry->info2, __entry->intr_info,
		  __entry->error_code)
);

/*
 * An IN/OUT/INS/OUTS. As stock: an OUT when it leaves for the device, an IN when its data
 * arrived (from an in-kernel device, or at the KVM_RUN after userspace answered), so that
 * val is the first element the guest sent or got.
 */
TRACE_EVENT(kvm_pio,
	TP_PROTO(bool in, unsigned int port, unsigned int size, unsigned int count,
		 const void *data),
	TP_ARGS(in, port, size, count, data),
	TP_STRUCT__entry(
		__field(unsigned int, rw)
		__field(unsigned int, port)
		__field(unsigned int, size)
		__field(unsigned int, count)
		__field(unsigned int, val)
	),
	TP_fast_assign(
		__entry->rw = !in;
		__entry->port = port;
		__entry->size = size;
		__entry->count = count;
		__entry->val = 0;
		memcpy(&__entry->val, data, min(size, 4u));
	),
	TP_printk("pio_%s at 0x%x size %d count %d val 0x%x %s",
		  __entry->rw ? "write" : "read", __entry->port, __entry->size,
		  __entry->count, __entry->val, __entry->count > 1 ? "(...)" : "")
);

/* A device access of the emulator: a write or a read handed to userspace, a read answered */
TRACE_EVENT(kvm_mmio,
	TP_PROTO(u32 type, u32 len, u64 gpa, const void *data),
	TP_ARGS(type, len, gpa, data),
	TP_STRUCT__entry(
		__field(u32, type)
		__field(u32, len)
		__field(u64, gpa)
		__field(u64, val)
	),
	TP_fast_assign(
		__entry->type = type;
		__entry->len = len;
		__entry->gpa = gpa;
		__entry->val = 0;
		if (data)
			memcpy(&__entry->val, data, min(len, 8u));
	),
	TP_printk("mmio %s len %u gpa 0x%llx val 0x%llx",
		  __print_symbolic(__entry->type,
				   { KVM_TRACE_MMIO_READ_UNSATISFIED, "unsatisfied-read" },
				   { KVM_TRACE_MMIO_READ, "read" },
				   { KVM_TRACE_MMIO_WRITE, "write" }),
		  __entry->len, __entry->gpa, __entry->val)
);

/* The guest's RDMSR/WRMSR done in the kernel (exception: #GP injected) */
TRACE_EVENT(kvm_msr,
	TP_PROTO(bool write, u32 index, u64 data, bool gp),
	TP_ARGS(write, index, data, gp),
	TP_STRUCT__entry(
		__field(unsigned, write)
		__field(u32, ecx)
		__field(u64, data)
		__field(u8, exception)
	),
	TP_fast_assign(
		__entry->write = write;
		__entry->ecx = index;
		__entry->data = data;
		__entry->exception = gp;
	),
	TP_printk("msr_%s %x = 0x%llx%s", __entry->write ? "write" : "read", __entry->ecx,
		  __entry->data, __entry->exception ? " (#GP)" : "")
);

/* CPUID answered (found: the leaf is in the vCPU's table; else the out-of-range rule) */
TRACE_EVENT(kvm_cpuid,
	TP_PROTO(u32 function, u32 index, const unsigned long *regs, bool found,
		 bool out_of_range),
	TP_ARGS(function, index, regs, found, out_of_range),
	TP_STRUCT__entry(
		__field(unsigned int, function)
		__field(unsigned int, index)
		__field(unsigned long, rax)
		__field(unsigned long, rbx)
		__field(unsigned long, rcx)
		__field(unsigned long, rdx)
		__field(bool, found)
		__field(bool, used_max_basic)
	),
	TP_fast_assign(
		__entry->function = function;
		__entry->index = index;
		__entry->rax = regs[VCPU_REGS_RAX];
		__entry->rbx = regs[VCPU_REGS_RBX];
		__entry->rcx = regs[VCPU_REGS_RCX];
		__entry->rdx = regs[VCPU_REGS_RDX];
		__entry->found = found;
		__entry->used_max_basic = out_of_range;
	),
	TP_printk("func %x idx %x rax %lx rbx %lx rcx %lx rdx %lx, cpuid entry %s%s",
		  __entry->function, __entry->index, __entry->rax, __entry->rbx, __entry->rcx,
		  __entry->rdx, __entry->found ? "found" : "not found",
		  __entry->used_max_basic ? ", used max basic" : "")
);

/* A KVM hypercall (VMMCALL/VMCALL): number and first four arguments */
TRACE_EVENT(kvm_hypercall,
	TP_PROTO(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
		 unsigned long a3),
	TP_ARGS(nr, a0, a1, a2, a3),
	TP_STRUCT__entry(
		__field(unsigned long, nr)
		__field(unsigned long, a0)
		__field(unsigned long, a1)
		__field(unsigned long, a2)
		__field(unsigned long, a3)
	),
	TP_fast_assign(
		__entry->nr = nr;
		__entry->a0 = a0;
		__entry->a1 = a1;
		__entry->a2 = a2;
		__entry->a3 = a3;
	),
	TP_printk("nr 0x%lx a0 0x%lx a1 0x%lx a2 0x%lx a3 0x%lx", __entry->nr, __entry->a0,
		  __entry->a1, __entry->a2, __entry->a3)
);

/* An external interrupt given to the hardware for the next entry */
TRACE_EVENT(kvm_inj_virq,
	TP_PROTO(unsigned int vector, bool soft, bool reinjected),
	TP_ARGS(vector, soft, reinjected),
	TP_STRUCT__entry(
		__field(unsigned int, vector)
		__field(bool, soft)
		__field(bool, reinjected)
	),
	TP_fast_assign(
		__entry->vector = vector;
		__entry->soft = soft;
		__entry->reinjected = reinjected;
	),
	TP_printk("%s 0x%x%s", __entry->soft ? "Soft/INTn" : "IRQ", __entry->vector,
		  __entry->reinjected ? " [reinjected]" : "")
);

/* KVM_RUN returns: kvm_run's exit_reason, or a negative errno (-EINTR: "restart") */
TRACE_EVENT(kvm_userspace_exit,
	TP_PROTO(__u32 reason, int errno),
	TP_ARGS(reason, errno),
	TP_STRUCT__entry(
		__field(__u32, reason)
		__field(int, errno)
	),
	TP_fast_assign(
		__entry->reason = reason;
		__entry->errno = errno < 0 ? errno : 0;
	),
	TP_printk("reason %s (%d)",
		  __entry->errno < 0 ? (__entry->errno == -EINTR ? "restart" : "error") :
		  __print_symbolic(__entry->reason,
				   { KVM_EXIT_UNKNOWN, "KVM_EXIT_UNKNOWN" },
				   { KVM_EXIT_EXCEPTION, "KVM_EXIT_EXCEPTION" },
				   { KVM_EXIT_IO, "KVM_EXIT_IO" },
				   { KVM_EXIT_HYPERCALL, "KVM_EXIT_HYPERCALL" },
				   { KVM_EXIT_DEBUG, "KVM_EXIT_DEBUG" },
				   { KVM_EXIT_HLT, "KVM_EXIT_HLT" },
				   { KVM_EXIT_MMIO, "KVM_EXIT_MMIO" },
				   { KVM_EXIT_IRQ_WINDOW_OPEN, "KVM_EXIT_IRQ_WINDOW_OPEN" },
				   { KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN" },
				   { KVM_EXIT_FAIL_ENTRY, "KVM_EXIT_FAIL_ENTRY" },
				   { KVM_EXIT_INTR, "KVM_EXIT_INTR" },
				   { KVM_EXIT_INTERNAL_ERROR, "KVM_EXIT_INTERNAL_ERROR" },
				   { KVM_EXIT_SYSTEM_EVENT, "KVM_EXIT_SYSTEM_EVENT" },
				   { KVM_EXIT_IOAPIC_EOI, "KVM_EXIT_IOAPIC_EOI" },
				   { KVM_EXIT_X86_RDMSR, "KVM_EXIT_X86_RDMSR" },
				   { KVM_EXIT_X86_WRMSR, "KVM_EXIT_X86_WRMSR" }),
		  __entry->errno < 0 ? -__entry->errno : __entry->reason)
);

/* A nested (NPT/EPT) page fault; error_code in the TDP_FAULT_* format (x86.h) */
TRACE_EVENT(kvm_page_fault,
	TP_PROTO(struct kvm_vcpu *vcpu, u64 gpa, u64 error_code),
	TP_ARGS(vcpu, gpa, error_code),
	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(unsigned long, guest_rip)
		__field(u64, fault_address)
		__field(u64, error_code)
	),
	TP_fast_assign(
		__entry->vcpu_id = vcpu->vcpu_id;
		__entry->guest_rip = vcpu->arch.regs[VCPU_REGS_RIP];
		__entry->fault_address = gpa;
		__entry->error_code = error_code;
	),
	TP_printk("vcpu %u rip 0x%lx address 0x%016llx error_code 0x%llx", __entry->vcpu_id,
		  __entry->guest_rip, __entry->fault_address, __entry->error_code)
);

/* A MOV to or from a control register the guest made, CLTS and LMSW (writes of CR0) */
TRACE_EVENT(kvm_cr,
	TP_PROTO(unsigned int rw, unsigned int cr, unsigned long val),
	TP_ARGS(rw, cr, val),
	TP_STRUCT__entry(
		__field(unsigned int, rw)
		__field(unsigned int, cr)
		__field(unsigned long, val)
	),
	TP_fast_assign(
		__entry->rw = rw;
		__entry->cr = cr;
		__entry->val = val;
	),
	TP_printk("cr_%s %x = 0x%lx", __entry->rw ? "write" : "read", __entry->cr,
		  __entry->val)
);
#define trace_kvm_cr_read(cr, val)	trace_kvm_cr(0, cr, val)
#define trace_kvm_cr_write(cr, val)	trace_kvm_cr(1, cr, val)

#define KVM_TRACE_APIC_REGS						\
	{ APIC_REG_ID, "APIC_ID" }, { APIC_REG_LVR, "APIC_LVR" },		\
	{ APIC_REG_TPR, "APIC_TASKPRI" }, { APIC_REG_APR, "APIC_ARBPRI" },	\
	{ APIC_REG_PPR, "APIC_PROCPRI" }, { APIC_REG_EOI, "APIC_EOI" },		\
	{ APIC_REG_RRD, "APIC_RRR" }, { APIC_REG_LDR, "APIC_LDR" },		\
	{ APIC_REG_DFR, "APIC_DFR" }, { APIC_REG_SVR, "APIC_SPIV" },		\
	{ APIC_REG_ISR, "APIC_ISR" }, { APIC_REG_TMR, "APIC_TMR" },		\
	{ APIC_REG_IRR, "APIC_IRR" }, { APIC_REG_ESR, "APIC_ESR" },		\
	{ APIC_REG_ICR, "APIC_ICR" }, { APIC_REG_ICR2, "APIC_ICR2" },		\
	{ APIC_REG_LVTT, "APIC_LVTT" }, { APIC_REG_LVTTHMR, "APIC_LVTTHMR" },	\
	{ APIC_REG_LVTPC, "APIC_LVTPC" }, { APIC_REG_LVT0, "APIC_LVT0" },	\
	{ APIC_REG_LVT1, "APIC_LVT1" }, { APIC_REG_LVTERR, "APIC_LVTERR" },	\
	{ APIC_REG_TMICT, "APIC_TMICT" }, { APIC_REG_TMCCT, "APIC_TMCCT" },	\
	{ APIC_REG_TDCR, "APIC_TDCR" }, { APIC_REG_SELF_IPI, "APIC_SELF_IPI" }

/*
 * A guest access to a local APIC register (xAPIC page or x2APIC MSR): the register's
 * offset as the guest gave it, the 32-bit value read or written (the register names are
 * those of the kernel's apicdef.h, as in stock's output)
 */
TRACE_EVENT(kvm_apic,
	TP_PROTO(unsigned int rw, unsigned int reg, u64 val),
	TP_ARGS(rw, reg, val),
	TP_STRUCT__entry(
		__field(unsigned int, rw)
		__field(unsigned int, reg)
		__field(u64, val)
	),
	TP_fast_assign(
		__entry->rw = rw;
		__entry->reg = reg;
		__entry->val = val;
	),
	TP_printk("apic_%s %s = 0x%llx", __entry->rw ? "write" : "read",
		  __print_symbolic(__entry->reg, KVM_TRACE_APIC_REGS), __entry->val)
);
#define trace_kvm_apic_read(reg, val)	trace_kvm_apic(0, reg, val)
#define trace_kvm_apic_write(reg, val)	trace_kvm_apic(1, reg, val)

/* An EOI (register write or PV EOI): the vector it retired, -1 with none in service */
TRACE_EVENT(kvm_eoi,
	TP_PROTO(struct kvm_vcpu *vcpu, int vector),
	TP_ARGS(vcpu, vector),
	TP_STRUCT__entry(
		__field(__u32, apicid)
		__field(int, vector)
	),
	TP_fast_assign(
		__entry->apicid = vcpu->vcpu_id;
		__entry->vector = vector;
	),
	TP_printk("apicid %x vector %d", __entry->apicid, __entry->vector)
);

/* A GSI raised or lowered (KVM_IRQ_LINE, irqfd, the PIT) */
TRACE_EVENT(kvm_set_irq,
	TP_PROTO(unsigned int gsi, int level, int irq_source_id),
	TP_ARGS(gsi, level, irq_source_id),
	TP_STRUCT__entry(
		__field(unsigned int, gsi)
		__field(int, level)
		__field(int, irq_source_id)
	),
	TP_fast_assign(
		__entry->gsi = gsi;
		__entry->level = level;
		__entry->irq_source_id = irq_source_id;
	),
	TP_printk("gsi %u level %d source %d", __entry->gsi, __entry->level,
		  __entry->irq_source_id)
);

/* An MSI delivered (a route of the GSI table, KVM_SIGNAL_MSI) */
TRACE_EVENT(kvm_msi_set_irq,
	TP_PROTO(__u64 address, __u64 data),
	TP_ARGS(address, data),
	TP_STRUCT__entry(
		__field(__u64, address)
		__field(__u64, data)
	),
	TP_fast_assign(
		__entry->address = address;
		__entry->data = data;
	),
	TP_printk("dst %llx vec %u (%s|%s)",
		  (__entry->address >> 12 & 0xff) | (__entry->address >> 32 & 0xffffff00),
		  (u8)__entry->data, __entry->address & BIT(2) ? "logical" : "physical",
		  __entry->data & BIT(15) ? "level" : "edge")
);

#endif /* _KVM_OURS_TRACE_H */

/* define_trace.h includes this file again as <TRACE_INCLUDE_PATH/TRACE_INCLUDE_FILE.h> */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kvm_trace
#include <trace/define_trace.h>
