/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ready-made x86 guests in three modes (see enum guest_mode in kvm_vm.h).
 *
 * GUEST_MODE_LONG64: guest code is ordinary C in the test binary. The binary is static and
 * not position independent, so its loadable segments are copied into guest memory at the
 * addresses they have in the host process, and 4-level page tables map all of guest memory
 * 1:1 except page 0 (a NULL dereference faults). The guest thus runs with its own copy of the
 * test's globals, as they were when guest_vm_new() ran (sync_global_to_guest() and
 * sync_global_from_guest() copy them later). 64-bit code and data segments, a TSS, and an
 * IDT whose 256 vectors report to the host with UCALL_UNHANDLED unless the test installs a
 * handler. Guest code must not use libc (no TLS, no heap in the guest) and must end with
 * GUEST_DONE(): returning from the guest function is reported as a guest assertion.
 *
 * GUEST_MODE_PROT32 (flat 4 GiB segments, paging off) and GUEST_MODE_REAL: guest code is an
 * assembly blob copied to a fixed guest physical address with vm_load_blob(). Blobs do
 * ucalls by filling the struct ucall at GUEST_BLOB_UCALL_GPA (ucall.h offsets) and writing
 * its address to UCALL_PORT with a 32-bit OUT. No IDT: an exception ends in a triple fault
 * (KVM_EXIT_SHUTDOWN).
 */
#ifndef SELFTEST_KVM_X86_GUEST_H
#define SELFTEST_KVM_X86_GUEST_H

#include <stdint.h>

#include "kvm_vm.h"
#include "ucall.h"

/* Enough for the test binary (about 1 MiB from 4 MiB up) plus tables and stacks. */
#define GUEST_DEFAULT_MEM	(8 * MiB)

/* Selectors of the GDTs built here. */
#define GUEST_SEL_CODE		0x08
#define GUEST_SEL_DATA		0x10
#define GUEST_SEL_TSS		0x18

/* Fixed low memory for real-mode and 32-bit blobs. */
#define GUEST_BLOB_UCALL_GPA	0x1000	/* a struct ucall for blobs */
#define GUEST_BLOB_CODE_GPA	0x2000	/* where tests load their blobs */
#define GUEST_BLOB_CODE_MAX	0x4000	/* reserved from GUEST_BLOB_CODE_GPA up */
#define GUEST_STACK_PAGES	4	/* per vCPU */

/* Architectural bits (SDM vol. 3 section 2.5, APM vol. 2 section 3.1). */
#define X86_CR0_PE		(1ULL << 0)
#define X86_CR0_MP		(1ULL << 1)
#define X86_CR0_ET		(1ULL << 4)
#define X86_CR0_NE		(1ULL << 5)
#define X86_CR0_WP		(1ULL << 16)
#define X86_CR0_NW		(1ULL << 29)
#define X86_CR0_CD		(1ULL << 30)
#define X86_CR0_PG		(1ULL << 31)
#define X86_CR4_PAE		(1ULL << 5)
#define X86_CR4_OSFXSR		(1ULL << 9)
#define X86_CR4_OSXMMEXCPT	(1ULL << 10)
#define X86_CR4_OSXSAVE		(1ULL << 18)
#define X86_CR4_PGE		(1ULL << 7)
#define EFER_SCE		(1ULL << 0)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)
#define EFER_NX			(1ULL << 11)
#define X86_RFLAGS_FIXED	(1ULL << 1)

/* MSRs (SDM vol. 4, APM vol. 2 appendix A). */
#define MSR_IA32_TSC		0x10
#define MSR_IA32_TSC_ADJUST	0x3b
#define MSR_SMI_COUNT		0x34
#define MSR_IA32_UCODE_REV	0x8b
#define MSR_PLATFORM_INFO	0xce
#define MSR_MISC_FEATURES_ENABLES 0x140
#define MSR_IA32_MCG_STATUS	0x17a
#define MSR_IA32_POWER_CTL	0x1fc
#define MSR_IA32_PERF_CAPABILITIES 0x345
#define MSR_IA32_APICBASE	0x1b
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_IA32_CR_PAT		0x277
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103

/* XCR0 bits (SDM vol. 1 section 13.3). */
#define XFEATURE_MASK_X87	(1ULL << 0)
#define XFEATURE_MASK_SSE	(1ULL << 1)
#define XFEATURE_MASK_AVX	(1ULL << 2)

#define DE_VECTOR		0
#define UD_VECTOR		6
#define DF_VECTOR		8
#define GP_VECTOR		13
#define PF_VECTOR		14

/* What the exception stubs save: lowest address first, then the CPU's frame. */
struct ex_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;	/* 0 for vectors without an error code */
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Guest-side handler: may change regs (e.g. rip to skip an instruction), then iretq. */
typedef void (*guest_exception_handler_t)(struct ex_regs *regs);

/* A VM of mem_size bytes with the tables of the given mode in place. */
struct kvm_vm *guest_vm_new(enum guest_mode mode, uint64_t mem_size);
/*
 * A vCPU with its own stack, registers and segments for the VM's mode, starting at entry:
 * a guest function in long mode (cast its address), a gpa below 64 KiB in real mode (CS
 * base 0), a gpa in 32-bit mode.
 */
struct kvm_vcpu *guest_vcpu_add(struct kvm_vm *vm, int id, uint64_t entry);
/* Long mode: the guest function's arguments, up to 6 (rdi, rsi, rdx, rcx, r8, r9). */
#define vcpu_set_args(vcpu, ...)						\
	__vcpu_set_args(vcpu, __UC_NARGS(__VA_ARGS__),				\
			(const uint64_t [UCALL_MAX_ARGS]){			\
				__UC_U(__UC_NARGS(__VA_ARGS__), ##__VA_ARGS__) })
void __vcpu_set_args(struct kvm_vcpu *vcpu, int nargs, const uint64_t *args);
/* Copy a code blob [start, end) of the test binary to gpa and keep the allocator off it. */
void vm_load_blob(struct kvm_vm *vm, uint64_t gpa, const void *start, const void *end);
/*
 * Long mode: map the 4 KiB page at gva to gpa, which may be outside slot 0 (another slot
 * the test creates); table pages come from slot 0.
 */
void guest_map_page(struct kvm_vm *vm, uint64_t gva, uint64_t gpa);
/* Long mode: guest_map_page() for every 4 KiB page of [gva, gva + size). */
void guest_map_range(struct kvm_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size);
/* Long mode: remove the guest's mapping of the 4 KiB page at gva (before it runs). */
void guest_unmap_page(struct kvm_vm *vm, uint64_t gva);

/* Long mode: run handler, in the guest, on vector (0-255) instead of reporting. */
void vm_install_exception_handler(struct kvm_vm *vm, int vector,
				  guest_exception_handler_t handler);

/* CPUID, usable on both sides (the host's own CPU, or the guest's). */
static inline void x86_cpuid(uint32_t function, uint32_t index, uint32_t *eax, uint32_t *ebx,
			     uint32_t *ecx, uint32_t *edx)
{
	asm volatile("cpuid" : "=a"(*eax), "=b"(*ebx), "=c"(*ecx), "=d"(*edx)
		     : "a"(function), "c"(index));
}

/* Guest-side helpers (privileged instructions: guest code only). */
static inline uint64_t x86_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}

static inline void x86_wrmsr(uint32_t msr, uint64_t value)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
		     : "memory");
}

static inline uint64_t x86_read_cr4(void)
{
	uint64_t v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void x86_write_cr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline uint64_t x86_xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return lo | (uint64_t)hi << 32;
}

static inline uint64_t guest_read_cr2(void)
{
	uint64_t v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

/*
 * Guest code: spin until *p is want (another vCPU or the host sets it), failing the guest
 * with the caller's line after about 40e9 TSC cycles
 */
static inline void guest_wait_for(volatile uint64_t *p, uint64_t want, int line)
{
	uint64_t start = __builtin_ia32_rdtsc();

	while (*p != want) {
		if (__builtin_ia32_rdtsc() - start > 40000000000ULL)
			__GUEST_ASSERT(0, "wait_for", "line %d: expected %llu, got %llu",
				       line, want, *p);
		asm volatile("pause");
	}
}

/*
 * { index, value } initializers of MSRs and values each one keeps exactly, on either vendor:
 * canonical addresses, a valid PAT, and 32-bit SYSENTER_ESP/EIP and TSC_AUX (SVM keeps bits
 * 63:32 of those only for Intel guests). vcpu_state_test sets them from the VMM,
 * migration_state_test from the guest.
 */
#define KEPT_MSR_VALUES \
	{ MSR_STAR, 0x0023001000000000ULL }, \
	{ MSR_LSTAR, 0xffffffff81e00000ULL }, \
	{ MSR_CSTAR, 0xffffffff81e01000ULL }, \
	{ MSR_SYSCALL_MASK, 0x47700 }, \
	{ MSR_KERNEL_GS_BASE, 0xffff88807fc00000ULL }, \
	{ MSR_IA32_SYSENTER_CS, 0x10 }, \
	{ MSR_IA32_SYSENTER_ESP, 0xfffe0000 }, \
	{ MSR_IA32_SYSENTER_EIP, 0x81e02000 }, \
	{ MSR_IA32_CR_PAT, 0x0407050600070106ULL }, \
	{ MSR_TSC_AUX, 0x1234 }

/* guest code: debug register DR<n> (0-3, 6, 7; any other reads 0) */
static inline uint64_t guest_read_dr(int n)
{
	uint64_t v = 0;

	switch (n) {
	case 0: asm volatile("mov %%dr0, %0" : "=r"(v)); break;
	case 1: asm volatile("mov %%dr1, %0" : "=r"(v)); break;
	case 2: asm volatile("mov %%dr2, %0" : "=r"(v)); break;
	case 3: asm volatile("mov %%dr3, %0" : "=r"(v)); break;
	case 6: asm volatile("mov %%dr6, %0" : "=r"(v)); break;
	case 7: asm volatile("mov %%dr7, %0" : "=r"(v)); break;
	}
	return v;
}

#endif
