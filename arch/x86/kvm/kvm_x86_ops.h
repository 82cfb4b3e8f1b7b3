/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vendor interface: what kvm.ko (core + x86 common code) asks of a hardware backend,
 * kvm-amd.ko (SVM) or kvm-intel.ko (VMX). One backend is registered at a time; each ends
 * with one const instance of this struct and registers it from its module_init.
 *
 * Policy (signals, rescheduling, returning to userspace, errno choice for callers) lives in
 * the core; an op does what the hardware needs and reports a negative errno on failure.
 */
#ifndef ARCH_X86_KVM_KVM_X86_OPS_H
#define ARCH_X86_KVM_KVM_X86_OPS_H

#include <linux/kvm.h>
#include <linux/module.h>

struct kvm_vcpu;

/* segment numbers for get_segment/set_segment */
enum kvm_sreg {
	VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS, VCPU_SREG_DS, VCPU_SREG_FS, VCPU_SREG_GS,
	VCPU_SREG_TR, VCPU_SREG_LDTR,
};

struct kvm_x86_ops {
	/* Short name used in log lines, e.g. "kvm_amd". */
	const char *name;
	/*
	 * Exit statistics (virt/kvm/stats.c): handle_exit counts each exit with
	 * kvm_stat_vendor_exit(slot); exit_names[slot] names it in kvm/exit_stats as
	 * "exit_prefix:name" (NULL entries, and slots beyond nr_exit_names, print as numbers).
	 */
	const char *exit_prefix;
	const char *const *exit_names;
	unsigned int nr_exit_names;
	/* The backend module: pinned by /dev/kvm opens and by every VM. */
	struct module *owner;
	/*
	 * The MSRs the guest reads and writes without an exit (the hardware switches them):
	 * a VM whose MSR filter denies one of them gets every MSR intercepted instead
	 * (kvm_msr_filter_intercept_all(), msr_filter.c).
	 */
	const u32 *passthrough_msrs;
	unsigned int nr_passthrough_msrs;
	/*
	 * Format of the two-dimensional page tables mmu/tdp.c builds for every VM created while
	 * this backend is registered: false for AMD NPT (long-mode page table entries, APM
	 * 15.25), true for Intel EPT (SDM 28.2: R/W/X in bits 2:0, memory type in leaves).
	 */
	bool tdp_ept;
	/*
	 * MCG_CAP bits the vendor's CPUs define, kept from what KVM_X86_SETUP_MCE asks for
	 * (mce.c): AMD defines bits 8:0 only (APM vol. 2 9.3.1), so MCG_SER_P goes, as on KVM.
	 */
	u64 mcg_cap_mask;

	/*
	 * Called once at registration, in process context, before anything is allocated.
	 * Checks that the boot CPU has the extension and every feature the backend needs and
	 * that firmware left it enabled. On failure it prints one line saying what is missing
	 * and returns -ENODEV (absent or disabled) or -EOPNOTSUPP (a required feature missing).
	 */
	int (*check_processor)(void);

	/* Allocate what hardware_enable() needs on every possible CPU; undone by unsetup. */
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);

	/*
	 * Turn virtualization on / off on the calling CPU. Called with preemption disabled
	 * on the CPU being changed (CPU hotplug, suspend/resume, reboot, load and unload).
	 * enable returns -EBUSY when another hypervisor already owns the CPU's extension,
	 * -EIO when the CPU refuses it. disable must work after a failed or absent enable.
	 */
	int (*hardware_enable)(void);
	void (*hardware_disable)(void);

	/*
	 * vCPU lifetime. vcpu_create allocates the VMCB/VMCS and sets vcpu->arch.vendor;
	 * vcpu_reset puts the architectural RESET state (APM 14.1.3, SDM 9.1.1) into it.
	 * vcpu_load/vcpu_put run with preemption disabled when the vCPU's thread gets or
	 * leaves a physical CPU.
	 */
	int (*vcpu_create)(struct kvm_vcpu *vcpu);
	void (*vcpu_free)(struct kvm_vcpu *vcpu);
	void (*vcpu_reset)(struct kvm_vcpu *vcpu);
	void (*vcpu_load)(struct kvm_vcpu *vcpu, int cpu);
	void (*vcpu_put)(struct kvm_vcpu *vcpu);

	/* Guest state the hardware keeps (VMCB save area / VMCS guest fields). */
	void (*get_segment)(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
	void (*set_segment)(struct kvm_vcpu *vcpu, const struct kvm_segment *var, int seg);
	void (*get_dtable)(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt);
	void (*set_dtable)(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt);
	/* CR0, CR2, CR3, CR4, CR8; EFER as the guest sees it */
	u64 (*get_cr)(struct kvm_vcpu *vcpu, int cr);
	void (*set_cr)(struct kvm_vcpu *vcpu, int cr, u64 val);
	u64 (*get_efer)(struct kvm_vcpu *vcpu);
	void (*set_efer)(struct kvm_vcpu *vcpu, u64 efer);
	/* DR6 and DR7 (DR0-3 are the common code's, in vcpu->arch.db) */
	u64 (*get_dr)(struct kvm_vcpu *vcpu, int dr);
	void (*set_dr)(struct kvm_vcpu *vcpu, int dr, u64 val);
	/* intercept (or not) every guest MOV to or from a debug register */
	void (*set_dr_intercept)(struct kvm_vcpu *vcpu, bool on);
	u64 (*get_rflags)(struct kvm_vcpu *vcpu);
	void (*set_rflags)(struct kvm_vcpu *vcpu, u64 rflags);
	/*
	 * MSRs the hardware holds (syscall/sysenter, segment bases, PAT, TSC offset, ...):
	 * 0 on success, -ENOENT when the MSR is not the backend's, -EINVAL for a value the
	 * guest may not write (the caller injects #GP).
	 */
	int (*get_msr)(struct kvm_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct kvm_vcpu *vcpu, u32 index, u64 data);
	/*
	 * The TSC offset of the VMCB/VMCS: the guest's TSC is the host's plus it (no TSC
	 * scaling). The common code owns IA32_TSC and IA32_TSC_ADJUST on top of it (msr.c).
	 */
	u64 (*get_tsc_offset)(struct kvm_vcpu *vcpu);
	void (*set_tsc_offset)(struct kvm_vcpu *vcpu, u64 offset);

	/*
	 * Enter the guest once and return after the #VMEXIT / VM exit, with interrupts
	 * disabled on entry and exit. Then handle_exit (interrupts enabled, preemption
	 * disabled: no) returns 1 to re-enter, 0 after filling vcpu->run for userspace, or a
	 * negative errno for KVM_RUN to return.
	 */
	void (*run)(struct kvm_vcpu *vcpu);
	int (*handle_exit)(struct kvm_vcpu *vcpu);
	/*
	 * The last exit as Linux KVM reports it with an emulation failure (api.rst
	 * "KVM_EXIT_INTERNAL_ERROR"): reason, qualification / exit_info_1, exit_info_2 /
	 * guest-physical address, interruption info, its error code.
	 */
	void (*get_exit_info)(struct kvm_vcpu *vcpu, u64 info[5]);

	/*
	 * Events. events.c decides what the next entry delivers; these program it. Called
	 * with interrupts disabled right before run(); at most one inject_* per entry. The
	 * backend forgets an injection once run() returned, and reports an event whose
	 * delivery the exit interrupted with kvm_event_interrupted() from handle_exit.
	 */
	void (*inject_exception)(struct kvm_vcpu *vcpu, u8 nr, bool has_error, u32 error_code);
	void (*inject_irq)(struct kvm_vcpu *vcpu, u8 nr);
	void (*inject_nmi)(struct kvm_vcpu *vcpu);
	/* could the guest take an external interrupt / an NMI now (RFLAGS.IF, shadow, NMI mask) */
	bool (*interrupt_allowed)(struct kvm_vcpu *vcpu);
	bool (*nmi_allowed)(struct kvm_vcpu *vcpu);
	/* exit (or not) as soon as the guest can take an interrupt / an NMI */
	void (*set_irq_window)(struct kvm_vcpu *vcpu, bool on);
	void (*set_nmi_window)(struct kvm_vcpu *vcpu, bool on);
	/* STI / MOV SS shadow as KVM_X86_SHADOW_INT_* bits; NMI blocking until IRET */
	u32 (*get_interrupt_shadow)(struct kvm_vcpu *vcpu);
	void (*set_interrupt_shadow)(struct kvm_vcpu *vcpu, u32 shadow);
	bool (*get_nmi_mask)(struct kvm_vcpu *vcpu);
	void (*set_nmi_mask)(struct kvm_vcpu *vcpu, bool masked);
	/*
	 * vcpu->arch.guest_debug changed: intercept #DB while single-stepping and #BP with
	 * software breakpoints; such exits end in kvm_exit_debug(), others are reflected.
	 */
	void (*update_exception_intercepts)(struct kvm_vcpu *vcpu);
	/*
	 * Optional, for debugfs kvm/vcpus (vcpu_show.c): the backend's view of a vCPU that may
	 * be running on another CPU, read racily; one or more lines starting with two spaces.
	 */
	void (*show)(struct seq_file *m, struct kvm_vcpu *vcpu);
};

extern const struct kvm_x86_ops *kvm_x86_vendor;

int kvm_x86_vendor_register(const struct kvm_x86_ops *ops);
void kvm_x86_vendor_unregister(const struct kvm_x86_ops *ops);

#endif
