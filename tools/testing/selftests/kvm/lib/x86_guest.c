// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 guests in real, 32-bit protected and 64-bit long mode: the test binary's image in
 * guest memory, page tables, GDT, TSS, IDT with exception stubs, and vCPU state. See
 * x86_guest.h. Descriptor formats: SDM vol. 3 sections 3.4.5, 6.14.1 and 7.2.3, APM vol. 2
 * sections 4.7-4.8 and 8.9.
 */
#include <elf.h>
#include <string.h>
#include <sys/auxv.h>

#include "x86_guest.h"

#define PTE_PRESENT		(1ULL << 0)
#define PTE_WRITABLE		(1ULL << 1)
#define PTE_ADDR_MASK		0x000ffffffffff000ULL

#define SEG_TYPE_DATA_RW	3	/* read/write, accessed */
#define SEG_TYPE_CODE_RX	11	/* execute/read, accessed */
#define SEG_TYPE_TSS_BUSY	11	/* 32-bit (64-bit in long mode) busy TSS */
#define SEG_TYPE_LDT		2
#define TSS_LIMIT		0x67	/* 104-byte TSS, no I/O bitmap */
#define IDT_GATE_INTR64		0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define NR_IDT_VECTORS		256

/* Guest side: handlers the host installs in the guest's copy of this array. */
guest_exception_handler_t guest_exception_handlers[NR_IDT_VECTORS];
void guest_exception_dispatch(struct ex_regs *regs);
void guest_code_returned(void);
extern const uint8_t guest_exception_stubs[], guest_code_return_trap[];

/*
 * One 16-byte stub per vector: vectors without an error code push 0 so the frame is the
 * same for all (SDM vol. 3 table 6-1: error codes for 8, 10-14, 17, 21, 29, 30). The CPU
 * aligns RSP to 16 before pushing its 40-byte frame in 64-bit mode; 2 + 15 pushes more make
 * RSP 16-aligned again at the call, as the C ABI wants. DF is cleared for C code.
 */
asm(
"	.pushsection .text\n"
"	.balign 16\n"
"guest_exception_stubs:\n"
"	vec = 0\n"
"	.rept 256\n"
"	.org guest_exception_stubs + 16 * vec\n"	/* fails if a stub outgrew 16 bytes */
"	.if !((vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || "
	 "(vec == 21) || (vec == 29) || (vec == 30))\n"
"	pushq $0\n"
"	.endif\n"
"	pushq $vec\n"
"	jmp guest_exception_common\n"
"	vec = vec + 1\n"
"	.endr\n"
"guest_exception_common:\n"
"	push %rax\n	push %rbx\n	push %rcx\n	push %rdx\n"
"	push %rsi\n	push %rdi\n	push %rbp\n"
"	push %r8\n	push %r9\n	push %r10\n	push %r11\n"
"	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
"	mov %rsp, %rdi\n"
"	cld\n"
"	call guest_exception_dispatch\n"
"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n"
"	pop %r11\n	pop %r10\n	pop %r9\n	pop %r8\n"
"	pop %rbp\n	pop %rdi\n	pop %rsi\n"
"	pop %rdx\n	pop %rcx\n	pop %rbx\n	pop %rax\n"
"	add $16, %rsp\n"	/* vector and error code */
"	iretq\n"
/* The guest function's return address: report, do not run off into whatever follows. */
"guest_code_return_trap:\n"
"	and $-16, %rsp\n"
"	call guest_code_returned\n"
"	ud2\n"
"	.popsection\n");

void guest_exception_dispatch(struct ex_regs *regs)
{
	guest_exception_handler_t handler = guest_exception_handlers[regs->vector];

	if (handler) {
		handler(regs);
		return;
	}
	for (;;)
		ucall(UCALL_UNHANDLED, regs->vector, regs->error_code, regs->rip,
		      guest_read_cr2());
}

void guest_code_returned(void)
{
	for (;;)
		GUEST_FAIL("the guest function returned instead of ending with GUEST_DONE()");
}

/* --- host side --- */

static struct kvm_segment code_segment(bool long_mode)
{
	return (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = GUEST_SEL_CODE,
		.type = SEG_TYPE_CODE_RX, .present = 1, .s = 1, .g = 1,
		.l = long_mode, .db = !long_mode,	/* L and D both set is reserved */
	};
}

static struct kvm_segment data_segment(void)
{
	return (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = GUEST_SEL_DATA,
		.type = SEG_TYPE_DATA_RW, .present = 1, .s = 1, .g = 1, .db = 1,
	};
}

/*
 * VMX requires a usable TR of busy-TSS type (SDM vol. 3 section 27.3.1.2, "Checks on Guest
 * Segment Registers"); SVM does not check it, but a real TSS keeps the state consistent.
 */
static struct kvm_segment tss_segment(uint64_t base)
{
	return (struct kvm_segment) {
		.base = base, .limit = TSS_LIMIT, .selector = GUEST_SEL_TSS,
		.type = SEG_TYPE_TSS_BUSY, .present = 1,
	};
}

static struct kvm_segment unusable_ldt(void)
{
	return (struct kvm_segment) { .type = SEG_TYPE_LDT, .unusable = 1 };
}

/* The 8-byte descriptor for a segment register's cached state. */
static uint64_t segment_descriptor(const struct kvm_segment *seg)
{
	uint64_t limit = seg->g ? seg->limit >> 12 : seg->limit;

	return (limit & 0xffff) | (((uint64_t)seg->base & 0xffffff) << 16) |
	       ((uint64_t)seg->type << 40) | ((uint64_t)seg->s << 44) |
	       ((uint64_t)seg->dpl << 45) | ((uint64_t)seg->present << 47) |
	       (((limit >> 16) & 0xf) << 48) | ((uint64_t)seg->avl << 52) |
	       ((uint64_t)seg->l << 53) | ((uint64_t)seg->db << 54) |
	       ((uint64_t)seg->g << 55) | ((((uint64_t)seg->base >> 24) & 0xff) << 56);
}

/* GDT: null, code, data, TSS (16 bytes in long mode: the upper half holds base 63:32). */
static void build_gdt(struct kvm_vm *vm, bool long_mode)
{
	struct kvm_segment code = code_segment(long_mode), data = data_segment();
	struct kvm_segment tss = tss_segment(vm->tss);
	uint64_t *gdt = addr_gpa2hva(vm, vm->gdt);

	gdt[GUEST_SEL_CODE / 8] = segment_descriptor(&code);
	gdt[GUEST_SEL_DATA / 8] = segment_descriptor(&data);
	gdt[GUEST_SEL_TSS / 8] = segment_descriptor(&tss);
	gdt[GUEST_SEL_TSS / 8 + 1] = long_mode ? vm->tss >> 32 : 0;
}

static void build_idt(struct kvm_vm *vm)
{
	uint64_t *idt = addr_gpa2hva(vm, vm->idt);
	int vec;

	for (vec = 0; vec < NR_IDT_VECTORS; vec++) {
		uint64_t addr = (uint64_t)guest_exception_stubs + 16 * vec;

		idt[2 * vec] = (addr & 0xffff) | ((uint64_t)GUEST_SEL_CODE << 16) |
			       ((uint64_t)IDT_GATE_INTR64 << 40) | (((addr >> 16) & 0xffff) << 48);
		idt[2 * vec + 1] = addr >> 32;
	}
}

/* Map one 4 KiB page, allocating the intermediate tables. */
static void map_page(struct kvm_vm *vm, uint64_t gva, uint64_t gpa)
{
	uint64_t table = vm->pml4;
	int level;

	for (level = 3; level > 0; level--) {
		uint64_t *entry = (uint64_t *)addr_gpa2hva(vm, table) +
				  ((gva >> (12 + 9 * level)) & 511);

		if (!(*entry & PTE_PRESENT))
			*entry = vm_alloc_pages(vm, 1) | PTE_PRESENT | PTE_WRITABLE;
		table = *entry & PTE_ADDR_MASK;
	}
	((uint64_t *)addr_gpa2hva(vm, table))[(gva >> 12) & 511] =
		gpa | PTE_PRESENT | PTE_WRITABLE;
}

void guest_unmap_page(struct kvm_vm *vm, uint64_t gva)
{
	uint64_t table = vm->pml4, *entry;
	int level;

	TEST_ASSERT(vm->mode == GUEST_MODE_LONG64, "guest_unmap_page needs a long-mode VM");
	for (level = 3; level > 0; level--) {
		entry = (uint64_t *)addr_gpa2hva(vm, table) + ((gva >> (12 + 9 * level)) & 511);
		TEST_ASSERT(*entry & PTE_PRESENT, "gva %#llx is not mapped",
			    (unsigned long long)gva);
		table = *entry & PTE_ADDR_MASK;
	}
	((uint64_t *)addr_gpa2hva(vm, table))[(gva >> 12) & 511] = 0;
}

void guest_map_page(struct kvm_vm *vm, uint64_t gva, uint64_t gpa)
{
	TEST_ASSERT(vm->mode == GUEST_MODE_LONG64, "guest_map_page needs a long-mode VM");
	map_page(vm, gva, gpa);
}

void guest_map_range(struct kvm_vm *vm, uint64_t gva, uint64_t gpa, uint64_t size)
{
	uint64_t off;

	TEST_ASSERT(vm->mode == GUEST_MODE_LONG64, "guest_map_range needs a long-mode VM");
	for (off = 0; off < size; off += PAGE_SIZE)
		map_page(vm, gva + off, gpa + off);
}

/*
 * Copy the PT_LOAD segments of this (static, non-PIE) executable into guest memory at
 * their own addresses, from the process's memory rather than the file: the guest then
 * starts with the globals as the host has them now. The program headers are in memory at
 * AT_PHDR (auxiliary vector).
 */
static void load_test_image(struct kvm_vm *vm)
{
	const Elf64_Phdr *phdr = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long i, phnum = getauxval(AT_PHNUM);
	const Elf64_Ehdr *ehdr = NULL;

	TEST_ASSERT(phdr && phnum, "no program headers in the auxiliary vector");
	for (i = 0; i < phnum; i++) {
		uint64_t start = phdr[i].p_vaddr & PAGE_MASK;
		uint64_t end = (phdr[i].p_vaddr + phdr[i].p_memsz + PAGE_SIZE - 1) & PAGE_MASK;

		if (phdr[i].p_type != PT_LOAD)
			continue;
		if (!phdr[i].p_offset)
			ehdr = (const Elf64_Ehdr *)phdr[i].p_vaddr;
		TEST_ASSERT(end <= vm->mem_size,
			    "guest memory (%llu MiB) cannot hold the test binary (up to %#llx)",
			    (unsigned long long)(vm->mem_size / MiB), (unsigned long long)end);
		memcpy(addr_gpa2hva(vm, start), (const void *)start, end - start);
		vm_reserve(vm, start, end - start);
	}
	TEST_ASSERT(ehdr && ehdr->e_type == ET_EXEC,
		    "the test binary must be a static non-PIE executable (-static -no-pie)");
}

static void setup_long_mode(struct kvm_vm *vm)
{
	uint64_t gpa;

	/* ucall passes 32-bit addresses; identity mapping: gvas are gpas */
	TEST_ASSERT(vm->mem_size <= 4096 * MiB, "long-mode guests have at most 4 GiB");
	load_test_image(vm);
	vm->pml4 = vm_alloc_pages(vm, 1);
	for (gpa = PAGE_SIZE; gpa < vm->mem_size; gpa += PAGE_SIZE)
		map_page(vm, gpa, gpa);
	vm->gdt = vm_alloc_pages(vm, 1);
	vm->tss = vm_alloc_pages(vm, 1);
	vm->idt = vm_alloc_pages(vm, 1);
	build_gdt(vm, true);
	build_idt(vm);
}

/* Keep the allocator (stacks, tables) off the blobs' fixed memory. */
static void reserve_blob_area(struct kvm_vm *vm)
{
	vm_reserve(vm, GUEST_BLOB_UCALL_GPA, GUEST_BLOB_CODE_GPA + GUEST_BLOB_CODE_MAX -
					      GUEST_BLOB_UCALL_GPA);
}

static void setup_prot32(struct kvm_vm *vm)
{
	reserve_blob_area(vm);
	vm->gdt = vm_alloc_pages(vm, 1);
	vm->tss = vm_alloc_pages(vm, 1);
	build_gdt(vm, false);
}

struct kvm_vm *guest_vm_new(enum guest_mode mode, uint64_t mem_size)
{
	struct kvm_vm *vm = kvm_vm_new(mem_size);

	vm->mode = mode;
	switch (mode) {
	case GUEST_MODE_LONG64:
		setup_long_mode(vm);
		break;
	case GUEST_MODE_PROT32:
		setup_prot32(vm);
		break;
	case GUEST_MODE_REAL:
		reserve_blob_area(vm);
		break;
	case GUEST_MODE_NONE:
		break;
	}
	return vm;
}

void vm_load_blob(struct kvm_vm *vm, uint64_t gpa, const void *start, const void *end)
{
	size_t size = (const uint8_t *)end - (const uint8_t *)start;

	vm_reserve(vm, gpa, size);
	memcpy(addr_gpa2hva(vm, gpa), start, size);
}

void vm_install_exception_handler(struct kvm_vm *vm, int vector,
				  guest_exception_handler_t handler)
{
	TEST_ASSERT(vm->mode == GUEST_MODE_LONG64 && vector >= 0 &&
		    vector < NR_IDT_VECTORS,
		    "exception handlers: long mode, vectors 0-255 (vector %d)", vector);
	*(guest_exception_handler_t *)addr_gva2hva(vm,
		(uint64_t)&guest_exception_handlers[vector]) = handler;
}

/* Real mode: base = selector * 16, 64 KiB limit, byte granular (SDM vol. 3 section 20.1). */
static struct kvm_segment real_mode_segment(uint16_t selector, bool code)
{
	return (struct kvm_segment) {
		.base = (uint64_t)selector << 4, .limit = 0xffff, .selector = selector,
		.type = code ? SEG_TYPE_CODE_RX : SEG_TYPE_DATA_RW, .present = 1, .s = 1,
	};
}

static void set_segments(struct kvm_sregs *sregs, struct kvm_segment code,
			 struct kvm_segment data)
{
	sregs->cs = code;
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
}

/*
 * Let guest code use SSE and AVX (compilers emit SSE for plain C): CR4.OSFXSR, and XCR0 with
 * x87|SSE|AVX when the guest's CPUID has XSAVE (KVM_SET_XCRS, api.rst 4.88).
 */
#define XFEATURE_MASK_X87_SSE_AVX	0x7ULL
#define CPUID_1_ECX_XSAVE		(1U << 26)

static bool vm_has_xsave(struct kvm_vm *vm)
{
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vm, 1, 0);

	return e && (e->ecx & CPUID_1_ECX_XSAVE) && kvm_check_cap(vm->kvm_fd, KVM_CAP_XCRS);
}

static void vcpu_enable_avx(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vcpu->vm, 0xd, 0);
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };

	TEST_ASSERT(e, "CPUID leaf 0xd missing although XSAVE is supported");
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = (e->eax | (uint64_t)e->edx << 32) & XFEATURE_MASK_X87_SSE_AVX;
	vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);
}

static void setup_long_mode_vcpu(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct kvm_vm *vm = vcpu->vm;
	bool xsave = vm_has_xsave(vm);

	/* long mode is entered with paging on: CR0.PG, CR4.PAE, EFER.LME and EFER.LMA */
	sregs->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	sregs->cr3 = vm->pml4;
	sregs->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
		     (xsave ? X86_CR4_OSXSAVE : 0);
	sregs->efer = EFER_LME | EFER_LMA;
	set_segments(sregs, code_segment(true), data_segment());
	sregs->tr = tss_segment(vm->tss);
	sregs->ldt = unusable_ldt();
	sregs->gdt.base = vm->gdt;
	sregs->gdt.limit = GUEST_SEL_TSS + 16 - 1;
	sregs->idt.base = vm->idt;
	sregs->idt.limit = NR_IDT_VECTORS * 16 - 1;
	vcpu_set_sregs(vcpu, sregs);
	if (xsave)
		vcpu_enable_avx(vcpu);
}

static void setup_prot32_vcpu(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	struct kvm_vm *vm = vcpu->vm;

	sregs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;
	set_segments(sregs, code_segment(false), data_segment());
	sregs->tr = tss_segment(vm->tss);
	sregs->ldt = unusable_ldt();
	sregs->gdt.base = vm->gdt;
	sregs->gdt.limit = GUEST_SEL_TSS + 8 - 1;
	sregs->idt.base = 0;
	sregs->idt.limit = 0;
	vcpu_set_sregs(vcpu, sregs);
}

/*
 * Real mode from the reset state (CR0.PE clear): only the segments change, CS:IP = 0:entry
 * instead of f000:fff0 with base ffff0000 (SDM vol. 3 section 9.1.4).
 */
static void setup_real_vcpu(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	TEST_ASSERT(!(sregs->cr0 & X86_CR0_PE), "vCPU not in real mode after reset");
	set_segments(sregs, real_mode_segment(0, true), real_mode_segment(0, false));
	vcpu_set_sregs(vcpu, sregs);
}

struct kvm_vcpu *guest_vcpu_add(struct kvm_vm *vm, int id, uint64_t entry)
{
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, id);
	uint64_t stack = vm_alloc_pages(vm, GUEST_STACK_PAGES);
	uint64_t top = stack + GUEST_STACK_PAGES * PAGE_SIZE;
	struct kvm_regs regs = { .rflags = X86_RFLAGS_FIXED, .rip = entry, .rsp = top };
	struct kvm_sregs sregs;

	vcpu_get_sregs(vcpu, &sregs);
	switch (vm->mode) {
	case GUEST_MODE_LONG64:
		setup_long_mode_vcpu(vcpu, &sregs);
		/* as if called: a return address, and RSP + 8 16-byte aligned */
		regs.rsp = top - 8;
		*(uint64_t *)addr_gpa2hva(vm, regs.rsp) = (uint64_t)guest_code_return_trap;
		break;
	case GUEST_MODE_PROT32:
		setup_prot32_vcpu(vcpu, &sregs);
		break;
	case GUEST_MODE_REAL:
		TEST_ASSERT(entry < 0x10000 && top < 0x10000,
			    "real mode: entry %#llx and stack top %#llx must be below 64 KiB",
			    (unsigned long long)entry, (unsigned long long)top);
		setup_real_vcpu(vcpu, &sregs);
		break;
	case GUEST_MODE_NONE:
		TEST_ASSERT(0, "guest_vcpu_add() on a VM without a guest mode");
	}
	vcpu_set_regs(vcpu, &regs);
	return vcpu;
}

void __vcpu_set_args(struct kvm_vcpu *vcpu, int nargs, const uint64_t *args)
{
	struct kvm_regs regs;
	__u64 *dest[] = { &regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx, &regs.r8, &regs.r9 };
	int i;

	TEST_ASSERT(nargs <= 6, "%d guest arguments (at most 6)", nargs);
	vcpu_get_regs(vcpu, &regs);
	for (i = 0; i < nargs; i++)
		*dest[i] = args[i];
	vcpu_set_regs(vcpu, &regs);
}
