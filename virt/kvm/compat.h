/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel interfaces that changed between the kernels this tree builds against (Debian's
 * 6.1 and 6.12, see README.md), in one place: the rest of the tree calls the wrappers below and
 * has no version checks of its own. Each entry names what changed and where; a check is a
 * version number where the change came with a mainline release, a feature test where a
 * stable update brought it (Kbuild probes the header then, as for the syscore hooks).
 */
#ifndef KVM_COMPAT_H
#define KVM_COMPAT_H

#include <linux/version.h>
#include <linux/bits.h>
#include <linux/compiler.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/syscore_ops.h>
#include <linux/kvm.h>

/* eventfd_signal(): the count argument went in 6.8 (it was always 1 here) */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define kvm_eventfd_signal(ctx)		eventfd_signal(ctx)
#else
#define kvm_eventfd_signal(ctx)		eventfd_signal(ctx, 1)
#endif

/*
 * struct fd: 6.12 packs the file pointer and flags into one word, read through fd_file()
 * and tested with fd_empty(); before, .file was the pointer (NULL when fdget() failed).
 */
#ifndef fd_file
#define fd_file(f)			((f).file)
#define fd_empty(f)			(!(f).file)
#endif

/*
 * kvm_run.immediate_exit: 6.12's uapi header names it immediate_exit__unsafe inside the
 * kernel (HINT_UNSAFE_IN_KVM), because userspace may write it while KVM_RUN runs: read it
 * once, with READ_ONCE(). Userspace still sees immediate_exit (api.rst).
 */
#ifdef HINT_UNSAFE_IN_KVM
#define kvm_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit__unsafe)
#else
#define kvm_run_immediate_exit(run)	READ_ONCE((run)->immediate_exit)
#endif

/*
 * syscore hooks: Debian's 6.12.115 (a stable update, "syscore: Pass context data to
 * callbacks") registers a struct syscore holding const ops whose callbacks take a data
 * pointer; before, the struct syscore_ops itself was registered and the callbacks took
 * nothing. Kbuild sets KVM_COMPAT_SYSCORE_DATA when <linux/syscore_ops.h> has
 * register_syscore(). Callbacks are declared `int f(KVM_SYSCORE_ARGS)`.
 */
#ifdef KVM_COMPAT_SYSCORE_DATA
#define KVM_SYSCORE_ARGS		void *data
#define DEFINE_KVM_SYSCORE(name, suspend_fn, resume_fn)				\
	static const struct syscore_ops name##_ops = {				\
		.suspend = suspend_fn,						\
		.resume = resume_fn,						\
	};									\
	static struct syscore name = { .ops = &name##_ops }
#define kvm_register_syscore(s)		register_syscore(s)
#define kvm_unregister_syscore(s)	unregister_syscore(s)
#else
#define KVM_SYSCORE_ARGS		void
#define DEFINE_KVM_SYSCORE(name, suspend_fn, resume_fn)				\
	static struct syscore_ops name = {					\
		.suspend = suspend_fn,						\
		.resume = resume_fn,						\
	}
#define kvm_register_syscore(s)		register_syscore_ops(s)
#define kvm_unregister_syscore(s)	unregister_syscore_ops(s)
#endif

/*
 * KVM_SET_USER_MEMORY_REGION2 and struct kvm_userspace_memory_region2 (api.rst 4.140): in
 * the uapi header from 6.8 on. Linux 6.12's own selftests need it for every memslot.
 */
#ifdef KVM_SET_USER_MEMORY_REGION2
#define KVM_HAVE_USER_MEMORY2		1
#else
#define KVM_HAVE_USER_MEMORY2		0
#endif

/*
 * KVM_PRE_FAULT_MEMORY, struct kvm_pre_fault_memory and KVM_CAP_PRE_FAULT_MEMORY (api.rst
 * 4.143): in the uapi header from 6.10 on.
 */
#ifdef KVM_PRE_FAULT_MEMORY
#define KVM_HAVE_PRE_FAULT_MEMORY	1
#else
#define KVM_HAVE_PRE_FAULT_MEMORY	0
#endif

/*
 * The guest's AMD HWCR as the stock KVM of the same kernel keeps it, which changed in 6.6:
 * TscFreqSel (bit 24) is kept and a write of 0 clears McStatusWrEn (Linux 6.12's
 * hwcr_msr_test checks every bit); before, bit 24 was #GP and a write of 0 left
 * McStatusWrEn set (the 6.1 differential test compares with that).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define KVM_HWCR_KEPT			(BIT_ULL(18) | BIT_ULL(24))
#define KVM_HWCR_ZERO_CLEARS		true
#else
#define KVM_HWCR_KEPT			BIT_ULL(18)
#define KVM_HWCR_ZERO_CLEARS		false
#endif

/*
 * RDPMC without a virtual PMU (ours never has one), as the stock KVM of the same kernel does
 * it: 6.12's kvm_pmu_refresh() leaves the PMU at version 0 when the VM's PMU is off, so
 * every RDPMC is #GP(0); 6.1's still gave AMD guests the four legacy counters, reading 0
 * (the 6.1 differential test compares with that). The change is "KVM: x86/pmu: Zero out PMU
 * metadata on AMD if PMU is disabled"; 6.5 is its release as far as we know, and only 6.1
 * and 6.12 are tested.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define KVM_RDPMC_NEEDS_VPMU		true
#else
#define KVM_RDPMC_NEEDS_VPMU		false
#endif

/* get_user_pages_remote(): its vmas argument went in 6.5 (always NULL here) */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define kvm_gup_remote(mm, start, n, flags, pages) \
	get_user_pages_remote(mm, start, n, flags, pages, NULL)
#else
#define kvm_gup_remote(mm, start, n, flags, pages) \
	get_user_pages_remote(mm, start, n, flags, pages, NULL, NULL)
#endif

#endif /* KVM_COMPAT_H */
