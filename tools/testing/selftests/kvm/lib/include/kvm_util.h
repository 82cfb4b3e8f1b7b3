/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers over the KVM userspace API (<linux/kvm.h>, Documentation/virt/kvm/api.rst). */
#ifndef SELFTEST_KVM_KVM_UTIL_H
#define SELFTEST_KVM_KVM_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "test_util.h"

#define KVM_DEV_PATH "/dev/kvm"

/* Open /dev/kvm read-write; asserts (a missing /dev/kvm is a failure in the harness). */
int kvm_open(void);
/* KVM_CHECK_EXTENSION on a system or VM fd; asserts the ioctl itself did not fail. */
int kvm_check_cap(int fd, long cap);
/* KVM_CREATE_VM with the default machine type; asserts success. */
int vm_create(int kvm_fd);

/* "kvm_amd" or "kvm_intel", from the harness (VMTEST_VENDOR) or /sys/module. */
const char *kvm_vendor_module(void);
bool kvm_is_amd(void);
/*
 * The in-tree kvm_intel (no "O" taint: not out of tree) in a Bochs host. Bochs does not
 * exit a guest on an external interrupt when the host entered it with interrupts disabled,
 * as stock KVM does (our kvm-intel enters with them enabled: vmx/vmenter.S), so a host IPI
 * to a CPU running a guest that does not exit on its own is never taken: TLB shootdowns
 * lock the host up, and the host's own threads (ksmd) hardly get a CPU. Tests whose guests
 * spin while the host needs that CPU call this first: it ends them with a KSFT skip there.
 */
void skip_if_stock_kvm_intel_in_bochs(void);
/* ... the condition, for a subtest to skip with subtest_skip() */
bool stock_kvm_intel_in_bochs(void);
/* kvm.ko is this project's (an out-of-tree module: taint flag O), not the stock one */
bool kvm_module_is_ours(void);

/*
 * The KVM modules the harness loaded (VMTEST_UNLOAD: names in unload order; VMTEST_LOAD: .ko
 * paths in load order): unload them all, or load them all, kvm.ko with kvm_params (module
 * parameters, "" for none). Both assert; kvm_modules_harness() says whether the harness set
 * the lists (a test skips what needs them where it did not).
 */
bool kvm_modules_harness(void);
void kvm_modules_unload(void);
void kvm_modules_load(const char *kvm_params);

/* rdmsr through /dev/cpu/N/msr (msr.ko); asserts. */
uint64_t rdmsr_on_cpu(int cpu, uint32_t msr);
/* Number of possible CPUs and whether one is online. */
int nr_cpus_possible(void);
bool cpu_is_online(int cpu);
/* AMD: asserts EFER.SVME is set on every online CPU (virtualization on); when says when */
void assert_svme_on_online_cpus(const char *when);
/* Run the calling thread on one CPU only; asserts. */
void pin_to_cpu(int cpu);

/*
 * Kernel memory use, for leak checks around a loop of create/destroy or load/unload.
 * net_pages counts pages handed out minus pages given back (/proc/vmstat pgalloc_* - pgfree),
 * so pages parked in per-CPU free lists do not read as leaks, unlike MemFree, less the pages
 * that slab, page cache, anonymous memory and page tables account for. slab_bytes sums
 * the bytes of the objects in use in every slab cache (/proc/slabinfo), so a leak of a few
 * dozen bytes per iteration shows, where whole slab pages (SUnreclaim) would hide it.
 */
#define MEM_SNAPSHOT_MAX_CACHES	512

struct mem_snapshot {
	long long net_pages;
	long long slab_bytes;
	int nr_caches;
	struct {
		char name[40];
		long long bytes;
	} caches[MEM_SNAPSHOT_MAX_CACHES];	/* per cache, to name the ones that grew */
	long long vmalloc_used_kb;
	long long percpu_kb;
};

/*
 * The host runs the debug kernel (make check VMKERNEL=debug: KASAN, lockdep, kmemleak), where
 * memory use and timing are far from a production kernel's: recognized by kmemleak.
 */
bool host_is_debug_kernel(void);
void mem_snapshot_take(struct mem_snapshot *s);
/* Prints the deltas; asserts none grew by more than the given bounds (see the .c). */
void mem_snapshot_assert_growth(const struct mem_snapshot *before, const char *what,
				long long max_pages, long long max_slab_bytes,
				long long max_vmalloc_kb);

/* The reference count of a loaded module (/sys/module/NAME/refcnt). */
long long module_refcount(const char *name);

#endif
