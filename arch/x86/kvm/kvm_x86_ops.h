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

#include <linux/module.h>

struct kvm_x86_ops {
	/* Short name used in log lines, e.g. "kvm_amd". */
	const char *name;
	/* The backend module: pinned by /dev/kvm opens and by every VM. */
	struct module *owner;

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
};

int kvm_x86_vendor_register(const struct kvm_x86_ops *ops);
void kvm_x86_vendor_unregister(const struct kvm_x86_ops *ops);

#endif
