/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VM and vCPU objects for tests that run guest code: one memory slot of anonymous memory at
 * guest physical address 0, a page allocator over it, vCPUs with their kvm_run area and the
 * supported CPUID, and ioctl wrappers that assert success (api.rst sections 4.x).
 *
 * Not thread-safe while the VM is being built (allocation, vCPU creation); once built, each
 * vCPU may be run from a thread of its own, and several VMs may run at once.
 */
#ifndef SELFTEST_KVM_KVM_VM_H
#define SELFTEST_KVM_KVM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "kvm_util.h"

#define PAGE_SIZE		4096ULL
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define MiB			(1024ULL * 1024)
#define KVM_VM_MAX_VCPUS	16

enum guest_mode {
	GUEST_MODE_NONE,	/* memory only: the caller sets up the vCPUs */
	GUEST_MODE_REAL,	/* 16-bit real mode, code blobs (x86_guest.h) */
	GUEST_MODE_PROT32,	/* 32-bit flat protected mode, paging off, code blobs */
	GUEST_MODE_LONG64,	/* 64-bit long mode, the test binary at its own addresses */
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

struct kvm_vm {
	int kvm_fd;			/* /dev/kvm, owned by the VM object */
	int fd;
	enum guest_mode mode;
	uint8_t *mem;			/* host mapping of slot 0: gpa 0 .. mem_size */
	uint64_t mem_size;
	uint8_t *page_used;		/* allocator: one byte per guest page */
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID, given to every vCPU */
	/* set up by x86_guest.c for GUEST_MODE_PROT32 and GUEST_MODE_LONG64; 0 if none */
	uint64_t pml4;			/* gpa of the top-level page table (CR3) */
	uint64_t gdt, idt, tss;		/* gpas */
	struct kvm_vcpu *vcpus[KVM_VM_MAX_VCPUS];
	int nr_vcpus;
};

/* Open /dev/kvm, KVM_CREATE_VM, one slot of mem_size bytes (a page multiple) at gpa 0. */
struct kvm_vm *kvm_vm_new(uint64_t mem_size);
/* Close the vCPUs and the VM, unmap and free everything. */
void kvm_vm_free(struct kvm_vm *vm);

/* KVM_CREATE_VCPU, map its kvm_run, KVM_SET_CPUID2 with the supported CPUID. */
struct kvm_vcpu *kvm_vcpu_new(struct kvm_vm *vm, int id);
/* The supported CPUID entry for (function, index), or NULL. */
/* The entry for (function, index) in a CPUID table (index only where flagged), or NULL. */
struct kvm_cpuid_entry2 *cpuid2_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index);
const struct kvm_cpuid_entry2 *vm_cpuid_entry(struct kvm_vm *vm, uint32_t function,
					      uint32_t index);

/*
 * Anonymous private memory of size bytes (MAP_NORESERVE) at an address that is a multiple
 * of align (a power of two, e.g. 2 MiB so that transparent huge pages can back it); asserts.
 * Never unmapped: for the test's lifetime.
 */
void *mmap_aligned(uint64_t size, uint64_t align);
/* KVM_SET_USER_MEMORY_REGION (size 0 deletes the slot); asserts success. */
void vm_set_slot(struct kvm_vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		 void *hva);

/* Guest physical pages: zeroed, never gpa 0. Asserts when memory runs out. */
uint64_t vm_alloc_pages(struct kvm_vm *vm, uint64_t npages);
/* Mark [gpa, gpa + size) used so the allocator never hands it out. */
void vm_reserve(struct kvm_vm *vm, uint64_t gpa, uint64_t size);

/* Address translation. gva: through the guest page tables when the VM has them. */
void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa);
uint64_t addr_hva2gpa(struct kvm_vm *vm, const void *hva);
uint64_t addr_gva2gpa(struct kvm_vm *vm, uint64_t gva);
void *addr_gva2hva(struct kvm_vm *vm, uint64_t gva);

/*
 * In GUEST_MODE_LONG64 the guest runs with its own copy of the test binary's data at the
 * same addresses: these copy a global variable between the host and the guest's copy.
 */
#define sync_global_to_guest(vm, g) \
	memcpy(addr_gva2hva(vm, (uint64_t)&(g)), (const void *)&(g), sizeof(g))
#define sync_global_from_guest(vm, g) \
	memcpy((void *)&(g), addr_gva2hva(vm, (uint64_t)&(g)), sizeof(g))

/* ioctls on the VM and vCPU fds that must succeed; the message names the ioctl. */
#define vm_ioctl(vm, cmd, arg) \
	__kvm_ioctl_assert((vm)->fd, cmd, #cmd, (void *)(arg), "VM", -1)
#define vcpu_ioctl(vcpu, cmd, arg) \
	__kvm_ioctl_assert((vcpu)->fd, cmd, #cmd, (void *)(arg), "vCPU", (vcpu)->id)
int __kvm_ioctl_assert(int fd, unsigned long cmd, const char *name, void *arg,
		       const char *what, int id);

/* KVM_RUN; asserts the ioctl returned 0 (an exit to userspace). */
void vcpu_run(struct kvm_vcpu *vcpu);
/* KVM_RUN; returns the ioctl's result (-1 with errno), for tests of its errors. */
int __vcpu_run(struct kvm_vcpu *vcpu);
void vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
void vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
void vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);
uint64_t vcpu_get_rip(struct kvm_vcpu *vcpu);
/* KVM_GET_MSRS / KVM_SET_MSRS of one MSR; assert it was processed (the ioctl returns 1). */
uint64_t vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index);
/* A vCPU statistic by name, from its binary stats fd (KVM_GET_STATS_FD); asserts it exists. */
uint64_t vcpu_stat(struct kvm_vcpu *vcpu, const char *name);
/* ... and a VM statistic. */
uint64_t vm_stat(struct kvm_vm *vm, const char *name);
void vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value);
/* A struct kvm_msrs with n zeroed entries and nmsrs = n (free() it). */
struct kvm_msrs *msrs_alloc(uint32_t n);
/* KVM_GET_MSR_INDEX_LIST on /dev/kvm's fd, sized by a first call's E2BIG (free() it). */
struct kvm_msr_list *kvm_msr_index_list(int kvm_fd);
bool msr_index_listed(const struct kvm_msr_list *list, uint32_t index);

/* "KVM_EXIT_IO", ... or "unknown". */
const char *exit_reason_str(uint32_t reason);
/*
 * Assert the last KVM_RUN exited with this reason; the message (at the caller's line)
 * describes the exit seen.
 */
#define vcpu_assert_exit(vcpu, reason) \
	__vcpu_assert_exit(vcpu, reason, #reason, __FILE__, __LINE__)
void __vcpu_assert_exit(struct kvm_vcpu *vcpu, uint32_t reason, const char *name,
			const char *file, int line);
/* One line describing the last exit (reason, rip, and the I/O or error details). */
const char *vcpu_exit_str(struct kvm_vcpu *vcpu, char *buf, size_t len);
/* Data of the last KVM_EXIT_IO (kvm_run + io.data_offset). */
void *vcpu_io_data(struct kvm_vcpu *vcpu);

#endif
