// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU state ioctls (api.rst section 4) without running a guest:
 *  - the state of a new vCPU (RESET, SDM vol. 3 section 9.1, APM vol. 2 section 14.1.3) as
 *    KVM reports it through KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_MSRS, KVM_GET_FPU,
 *    KVM_GET_XCRS, KVM_GET_MP_STATE and KVM_GET_DEBUGREGS;
 *  - round trips of KVM_SET_REGS, KVM_SET_SREGS (a long-mode state), KVM_SET_MSRS,
 *    KVM_SET_CPUID2, KVM_SET_FPU, KVM_SET_XCRS, KVM_SET_XSAVE, KVM_SET_DEBUGREGS;
 *  - the arguments these ioctls refuse, with the errno Linux KVM gives (checked against the
 *    in-tree modules, KVM=stock);
 *  - the same state through kvm_run->s.regs (KVM_CAP_SYNC_REGS) with KVM_RUN and
 *    immediate_exit: sets put in by kvm_dirty_regs, taken out by kvm_valid_regs.
 * Each subtest runs in a child process of its own with a VM of its own (run_subtest()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "x86_guest.h"

#define RESET_RIP		0xfff0
#define RESET_RDX		0x600	/* family 6: no CPUID set when the vCPU was reset */
#define RESET_CR0		0x60000010ULL	/* CD, NW, ET */
#define RESET_PAT		0x0007040600070406ULL
/* KVM's RESET value: PEBS and BTS unavailable (SDM vol. 4 table 2-2) */
#define RESET_MISC_ENABLE	((1ULL << 12) | (1ULL << 11))
#define APIC_DEFAULT_BASE	0xfee00000ULL
#define APICBASE_BSP		(1ULL << 8)
#define APICBASE_EXTD		(1ULL << 10)
#define APICBASE_ENABLE		(1ULL << 11)
#define DR6_RESET		0xffff0ff0ULL
#define DR7_RESET		0x400ULL
#define FCW_RESET		0x37f

#define MAX_IO_MSRS		256	/* KVM_GET_MSRS/KVM_SET_MSRS take fewer entries */
#define MAX_CPUID_ENTRIES	256	/* KVM_SET_CPUID2 takes at most this many */
#define MSR_BOGUS		0xdeadbeef

#define X86_CR0_AM		(1ULL << 18)
#define X86_CR4_PCIDE		(1ULL << 17)
#define CPUID_1_ECX_PCID	(1U << 17)
#define CPUID_1_ECX_TSC_DEADLINE	(1U << 24)
#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_1_ECX_OSXSAVE	(1U << 27)

#define KVM_MP_STATE_FIRST_INVALID	9

/* --- helpers --- */

static struct kvm_cpuid2 *cpuid_alloc(uint32_t nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	TEST_ASSERT(c, "calloc");
	c->nent = nent;
	return c;
}

static bool vcpu_xsave_supported(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vcpu->vm, 1, 0);

	return e && (e->ecx & CPUID_1_ECX_XSAVE);
}

/* XCR0 bits the guest may enable: CPUID.(0xd, 0):EDX:EAX of the supported CPUID. */
static uint64_t supported_xcr0(struct kvm_vm *vm)
{
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vm, 0xd, 0);

	return e ? e->eax | (uint64_t)e->edx << 32 : 0;
}

#define SEG_FIELD_EQ(name, want, got, field)					\
	TEST_ASSERT((want)->field == (got)->field, "%s.%s: expected %#llx, got %#llx",	\
		    name, #field, (unsigned long long)(want)->field,			\
		    (unsigned long long)(got)->field)

static void assert_segment_eq(const char *name, const struct kvm_segment *want,
			      const struct kvm_segment *got)
{
	SEG_FIELD_EQ(name, want, got, selector);
	SEG_FIELD_EQ(name, want, got, base);
	SEG_FIELD_EQ(name, want, got, limit);
	SEG_FIELD_EQ(name, want, got, type);
	SEG_FIELD_EQ(name, want, got, s);
	SEG_FIELD_EQ(name, want, got, present);
	SEG_FIELD_EQ(name, want, got, dpl);
	SEG_FIELD_EQ(name, want, got, db);
	SEG_FIELD_EQ(name, want, got, l);
	SEG_FIELD_EQ(name, want, got, g);
	SEG_FIELD_EQ(name, want, got, avl);
	SEG_FIELD_EQ(name, want, got, unusable);
}

/* A present segment (unusable clear), avl clear. */
static struct kvm_segment seg(uint16_t selector, uint64_t base, uint32_t limit, uint8_t type,
			      uint8_t s, uint8_t db, uint8_t l, uint8_t g)
{
	return (struct kvm_segment) {
		.selector = selector, .base = base, .limit = limit, .type = type, .s = s,
		.present = 1, .db = db, .l = l, .g = g,
	};
}

/* --- RESET state --- */

static void test_reset_state(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *bsp = kvm_vcpu_new(vm, 0), *ap = kvm_vcpu_new(vm, 1);
	bool amd = kvm_is_amd();
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_segment want;
	struct kvm_mp_state mp;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	int i;

	memset(&regs, 0xaa, sizeof(regs));
	vcpu_get_regs(bsp, &regs);
	TEST_ASSERT_EQ(0, regs.rax);
	TEST_ASSERT_EQ(0, regs.rbx);
	TEST_ASSERT_EQ(0, regs.rcx);
	TEST_ASSERT_EQ(RESET_RDX, regs.rdx);
	TEST_ASSERT_EQ(0, regs.rsi);
	TEST_ASSERT_EQ(0, regs.rdi);
	TEST_ASSERT_EQ(0, regs.rsp);
	TEST_ASSERT_EQ(0, regs.rbp);
	TEST_ASSERT_EQ(0, regs.r8);
	TEST_ASSERT_EQ(0, regs.r9);
	TEST_ASSERT_EQ(0, regs.r10);
	TEST_ASSERT_EQ(0, regs.r11);
	TEST_ASSERT_EQ(0, regs.r12);
	TEST_ASSERT_EQ(0, regs.r13);
	TEST_ASSERT_EQ(0, regs.r14);
	TEST_ASSERT_EQ(0, regs.r15);
	TEST_ASSERT_EQ(RESET_RIP, regs.rip);
	TEST_ASSERT_EQ(X86_RFLAGS_FIXED, regs.rflags);

	memset(&sregs, 0xaa, sizeof(sregs));
	vcpu_get_sregs(bsp, &sregs);
	/*
	 * CS = f000 with base ffff0000 (SDM 9.1.4). The type's accessed bit, and the types of
	 * SS and TR, are as each vendor's KVM backend sets them up: SVM reports CS as execute/
	 * read (0xa), SS as read/write (0x2) and TR as a 16-bit busy TSS (0x3); VMX reports
	 * 0xb, 0x3 and 0xb. DS, ES, FS and GS read as accessed on both.
	 */
	want = seg(0xf000, 0xffff0000, 0xffff, amd ? 0xa : 0xb, 1, 0, 0, 0);
	assert_segment_eq("cs", &want, &sregs.cs);
	want = seg(0, 0, 0xffff, 0x3, 1, 0, 0, 0);
	assert_segment_eq("ds", &want, &sregs.ds);
	assert_segment_eq("es", &want, &sregs.es);
	assert_segment_eq("fs", &want, &sregs.fs);
	assert_segment_eq("gs", &want, &sregs.gs);
	want.type = amd ? 0x2 : 0x3;
	assert_segment_eq("ss", &want, &sregs.ss);
	want = seg(0, 0, 0xffff, amd ? 0x3 : 0xb, 0, 0, 0, 0);
	assert_segment_eq("tr", &want, &sregs.tr);
	want.type = 0x2;
	assert_segment_eq("ldt", &want, &sregs.ldt);
	TEST_ASSERT_EQ(0, sregs.gdt.base);
	TEST_ASSERT_EQ(0xffff, sregs.gdt.limit);
	TEST_ASSERT_EQ(0, sregs.idt.base);
	TEST_ASSERT_EQ(0xffff, sregs.idt.limit);
	TEST_ASSERT_EQ(RESET_CR0, sregs.cr0);
	TEST_ASSERT_EQ(0, sregs.cr2);
	TEST_ASSERT_EQ(0, sregs.cr3);
	TEST_ASSERT_EQ(0, sregs.cr4);
	TEST_ASSERT_EQ(0, sregs.cr8);
	TEST_ASSERT_EQ(0, sregs.efer);
	/* the xAPIC is enabled at its default base; vCPU 0 is the bootstrap processor */
	TEST_ASSERT_EQ(APIC_DEFAULT_BASE | APICBASE_ENABLE | APICBASE_BSP, sregs.apic_base);
	for (i = 0; i < (int)(sizeof(sregs.interrupt_bitmap) / sizeof(sregs.interrupt_bitmap[0])); i++)
		TEST_ASSERT_EQ(0, sregs.interrupt_bitmap[i]);

	vcpu_get_sregs(ap, &sregs);
	TEST_ASSERT_EQ(APIC_DEFAULT_BASE | APICBASE_ENABLE, sregs.apic_base);

	/* the same through the MSRs */
	TEST_ASSERT_EQ(APIC_DEFAULT_BASE | APICBASE_ENABLE | APICBASE_BSP,
		       vcpu_get_msr(bsp, MSR_IA32_APICBASE));
	TEST_ASSERT_EQ(APIC_DEFAULT_BASE | APICBASE_ENABLE, vcpu_get_msr(ap, MSR_IA32_APICBASE));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_EFER));
	TEST_ASSERT_EQ(RESET_PAT, vcpu_get_msr(bsp, MSR_IA32_CR_PAT));
	TEST_ASSERT_EQ(RESET_MISC_ENABLE, vcpu_get_msr(bsp, MSR_IA32_MISC_ENABLE));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_STAR));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_LSTAR));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_CSTAR));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_SYSCALL_MASK));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_KERNEL_GS_BASE));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_IA32_SYSENTER_CS));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_IA32_SYSENTER_ESP));
	TEST_ASSERT_EQ(0, vcpu_get_msr(bsp, MSR_IA32_SYSENTER_EIP));

	/*
	 * x87 state after FINIT-like reset (SDM 9.1.1 table 9-1): FCW 0x37f, FSW 0, empty tag
	 * word (abridged: 0), no last instruction. (Not MXCSR: KVM_GET_FPU of the in-tree KVM
	 * always reads it as 0.)
	 */
	memset(&fpu, 0xaa, sizeof(fpu));
	vcpu_ioctl(bsp, KVM_GET_FPU, &fpu);
	TEST_ASSERT_EQ(FCW_RESET, fpu.fcw);
	TEST_ASSERT_EQ(0, fpu.fsw);
	TEST_ASSERT_EQ(0, fpu.ftwx);
	TEST_ASSERT_EQ(0, fpu.last_opcode);
	TEST_ASSERT_EQ(0, fpu.last_ip);
	TEST_ASSERT_EQ(0, fpu.last_dp);
	for (i = 0; i < 16; i++)
		TEST_ASSERT_EQ(0, ((uint64_t *)fpu.xmm[i])[0] | ((uint64_t *)fpu.xmm[i])[1]);

	if (kvm_check_cap(vm->kvm_fd, KVM_CAP_XCRS)) {
		memset(&xcrs, 0xaa, sizeof(xcrs));
		vcpu_ioctl(bsp, KVM_GET_XCRS, &xcrs);
		TEST_ASSERT_EQ(1, xcrs.nr_xcrs);
		TEST_ASSERT_EQ(0, xcrs.flags);
		TEST_ASSERT_EQ(0, xcrs.xcrs[0].xcr);
		TEST_ASSERT_EQ(XFEATURE_MASK_X87, xcrs.xcrs[0].value);
	}

	/* without an in-kernel irqchip every vCPU starts runnable, not only the BSP */
	mp.mp_state = 0xaa;
	vcpu_ioctl(bsp, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	mp.mp_state = 0xaa;
	vcpu_ioctl(ap, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	kvm_vm_free(vm);
}

/* DR0-3 clear, DR6 and DR7 at their architectural reset values (SDM 17.2). */
static void test_debugregs(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_debugregs dbg, set;
	int i;

	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_DEBUGREGS))
		subtest_skip("KVM_CAP_DEBUGREGS is 0");
	memset(&dbg, 0xaa, sizeof(dbg));
	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &dbg);
	for (i = 0; i < 4; i++)
		TEST_ASSERT_EQ(0, dbg.db[i]);
	TEST_ASSERT_EQ(DR6_RESET, dbg.dr6);
	TEST_ASSERT_EQ(DR7_RESET, dbg.dr7);
	TEST_ASSERT_EQ(0, dbg.flags);

	memset(&set, 0, sizeof(set));
	set.db[0] = 0x401000;
	set.db[1] = 0x7fffffff1000ULL;
	set.db[2] = 0xffffffff81000000ULL;
	set.db[3] = 0x1234;
	set.dr6 = DR6_RESET | 0x3;		/* B0, B1 */
	set.dr7 = DR7_RESET | 0x3 | (0xdULL << 16);	/* L0, G0, RW0 write, LEN0 2 bytes */
	vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &set);
	memset(&dbg, 0xaa, sizeof(dbg));
	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &dbg);
	for (i = 0; i < 4; i++)
		TEST_ASSERT_EQ(set.db[i], dbg.db[i]);
	TEST_ASSERT_EQ(set.dr6, dbg.dr6);
	TEST_ASSERT_EQ(set.dr7, dbg.dr7);
	TEST_ASSERT_EQ(0, dbg.flags);

	/* DR6 and DR7 bits 63:32 are reserved; no flags are defined */
	dbg = set;
	dbg.dr6 |= 1ULL << 32;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dbg));
	dbg = set;
	dbg.dr7 |= 1ULL << 32;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dbg));
	dbg = set;
	dbg.flags = 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &dbg));
	kvm_vm_free(vm);
}

/* --- KVM_SET_REGS / KVM_SET_SREGS --- */

static void test_regs_round_trip(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_regs set, got;
	__u64 *s = (__u64 *)&set, *g = (__u64 *)&got;
	size_t i, n = sizeof(set) / sizeof(__u64);

	for (i = 0; i < n; i++)
		s[i] = 0x0101010101010101ULL * (i + 1) ^ 0x8000000000000000ULL;
	set.rip = 0x0000123456789abcULL;
	/* CF PF AF ZF SF OF: arithmetic flags only, bit 1 clear on purpose */
	set.rflags = 0x8d5;
	vcpu_set_regs(vcpu, &set);
	memset(&got, 0xaa, sizeof(got));
	vcpu_get_regs(vcpu, &got);
	for (i = 0; i < n; i++) {
		if (&s[i] == &set.rflags)
			TEST_ASSERT_EQ(0x8d5 | X86_RFLAGS_FIXED, got.rflags);	/* always reads 1 */
		else
			TEST_ASSERT_EQ(s[i], g[i]);
	}
	kvm_vm_free(vm);
}

/*
 * A 64-bit state as an OS would have it. The values are ones KVM keeps as they are:
 * accessed bit set in the data segment types, G set exactly when the limit needs it.
 */
static void long_mode_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	vcpu_get_sregs(vcpu, sregs);
	sregs->cs = seg(0x08, 0, 0xffffffff, 0xb, 1, 0, 1, 1);
	sregs->ds = seg(0x10, 0, 0xffffffff, 0x3, 1, 1, 0, 1);
	sregs->es = seg(0x10, 0, 0xffffffff, 0x3, 1, 1, 0, 1);
	sregs->ss = seg(0x10, 0, 0xffffffff, 0x3, 1, 1, 0, 1);
	sregs->fs = seg(0x2b, 0x00007f1234567000ULL, 0xffffffff, 0x3, 1, 1, 0, 1);
	sregs->gs = seg(0x33, 0xffff888012345000ULL, 0xffffffff, 0x3, 1, 1, 0, 1);
	sregs->tr = seg(0x40, 0xfffffe0000003000ULL, 0x4087, 0xb, 0, 0, 0, 0);
	sregs->ldt = seg(0x50, 0xffff888000100000ULL, 0xfff, 0x2, 0, 0, 0, 0);
	sregs->gdt.base = 0xfffffe0000001000ULL;
	sregs->gdt.limit = 0x7f;
	sregs->idt.base = 0xfffffe0000000000ULL;
	sregs->idt.limit = 0xfff;
	sregs->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
		     X86_CR0_AM | X86_CR0_PG;
	sregs->cr2 = 0x00007f0000001234ULL;
	sregs->cr3 = 0x5000;
	sregs->cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT |
		     (vcpu_xsave_supported(vcpu) ? X86_CR4_OSXSAVE : 0);
	sregs->cr8 = 5;
	sregs->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;
}

static void test_sregs_round_trip(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_sregs set, got;
	int i;

	long_mode_sregs(vcpu, &set);
	vcpu_set_sregs(vcpu, &set);
	memset(&got, 0xaa, sizeof(got));
	vcpu_get_sregs(vcpu, &got);
	assert_segment_eq("cs", &set.cs, &got.cs);
	assert_segment_eq("ds", &set.ds, &got.ds);
	assert_segment_eq("es", &set.es, &got.es);
	assert_segment_eq("fs", &set.fs, &got.fs);
	assert_segment_eq("gs", &set.gs, &got.gs);
	assert_segment_eq("ss", &set.ss, &got.ss);
	assert_segment_eq("tr", &set.tr, &got.tr);
	assert_segment_eq("ldt", &set.ldt, &got.ldt);
	TEST_ASSERT_EQ(set.gdt.base, got.gdt.base);
	TEST_ASSERT_EQ(set.gdt.limit, got.gdt.limit);
	TEST_ASSERT_EQ(set.idt.base, got.idt.base);
	TEST_ASSERT_EQ(set.idt.limit, got.idt.limit);
	TEST_ASSERT_EQ(set.cr0, got.cr0);
	TEST_ASSERT_EQ(set.cr2, got.cr2);
	TEST_ASSERT_EQ(set.cr3, got.cr3);
	TEST_ASSERT_EQ(set.cr4, got.cr4);
	TEST_ASSERT_EQ(set.cr8, got.cr8);
	TEST_ASSERT_EQ(set.efer, got.efer);
	TEST_ASSERT_EQ(set.apic_base, got.apic_base);
	for (i = 0; i < 4; i++)
		TEST_ASSERT_EQ(0, got.interrupt_bitmap[i]);
	/* EFER and the system-call MSRs are one state: the MSR view agrees */
	TEST_ASSERT_EQ(set.efer, vcpu_get_msr(vcpu, MSR_EFER));

	/*
	 * api.rst 4.13/4.14 interrupt_bitmap: a bit set queues that interrupt for injection,
	 * and KVM_GET_SREGS and KVM_GET_VCPU_EVENTS show it queued (found by difftest_ioctl)
	 */
	{
		struct kvm_vcpu_events ev;

		set.interrupt_bitmap[0x31 / 64] = 1ULL << (0x31 % 64);
		vcpu_set_sregs(vcpu, &set);
		vcpu_get_sregs(vcpu, &got);
		for (i = 0; i < 4; i++)
			TEST_ASSERT_EQ(set.interrupt_bitmap[i], got.interrupt_bitmap[i]);
		TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
		TEST_ASSERT_EQ(1, ev.interrupt.injected);
		TEST_ASSERT_EQ(0x31, ev.interrupt.nr);
	}
	/* SVM: TR reads back busy (type bit 1) even when not present, as on Linux KVM */
	if (kvm_is_amd()) {
		set.tr.present = 0;
		set.tr.unusable = 1;
		set.tr.type = 0;
		vcpu_set_sregs(vcpu, &set);
		vcpu_get_sregs(vcpu, &got);
		TEST_ASSERT_EQ(2, got.tr.type & 2);
	}
	kvm_vm_free(vm);
}

/* One invalid combination per call, from a valid base; the state stays as it was. */
static void expect_sregs_einval(struct kvm_vcpu *vcpu, const struct kvm_sregs *base,
				const struct kvm_sregs *bad, const char *what)
{
	struct kvm_sregs got;
	int r;

	errno = 0;
	r = ioctl(vcpu->fd, KVM_SET_SREGS, bad);
	TEST_ASSERT(r == -1 && errno == EINVAL,
		    "KVM_SET_SREGS with %s: expected -1 with errno EINVAL, got %d (%s)", what, r,
		    r == -1 ? errno_name(errno) : "no errno");
	vcpu_get_sregs(vcpu, &got);
	TEST_ASSERT_EQ(base->cr0, got.cr0);
	TEST_ASSERT_EQ(base->cr3, got.cr3);
	TEST_ASSERT_EQ(base->cr4, got.cr4);
	TEST_ASSERT_EQ(base->efer, got.efer);
	TEST_ASSERT_EQ(base->cs.l, got.cs.l);
	TEST_ASSERT_EQ(base->apic_base, got.apic_base);
}

static void test_sregs_invalid(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_sregs real, lm, bad;
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vm, 0x80000008, 0);
	int maxphyaddr = e ? e->eax & 0xff : 36;

	vcpu_get_sregs(vcpu, &real);
	long_mode_sregs(vcpu, &lm);

	/* from the reset state (real mode) */
	bad = real;
	bad.cr0 |= X86_CR0_PE | X86_CR0_PG;
	bad.efer = EFER_LME | EFER_LMA;
	bad.cs.l = 1;
	expect_sregs_einval(vcpu, &real, &bad, "EFER.LME, CR0.PG and no CR4.PAE");
	bad = real;
	bad.efer = EFER_LMA;
	expect_sregs_einval(vcpu, &real, &bad, "EFER.LMA without EFER.LME and CR0.PG");
	bad = real;
	bad.cr0 |= X86_CR0_PE;
	bad.cr4 = X86_CR4_PAE;
	bad.efer = EFER_LME | EFER_LMA;
	expect_sregs_einval(vcpu, &real, &bad, "EFER.LMA without CR0.PG");
	bad = real;
	bad.cr0 = (bad.cr0 & ~X86_CR0_PE) | X86_CR0_PG;
	expect_sregs_einval(vcpu, &real, &bad, "CR0.PG without CR0.PE");
	bad = real;
	bad.cr0 = (bad.cr0 & ~(1ULL << 30)) | (1ULL << 29);
	expect_sregs_einval(vcpu, &real, &bad, "CR0.NW without CR0.CD");
	bad = real;
	bad.cr0 |= 1ULL << 32;
	expect_sregs_einval(vcpu, &real, &bad, "CR0 bit 32 (reserved)");
	bad = real;
	bad.cs.l = 1;
	expect_sregs_einval(vcpu, &real, &bad, "CS.L outside long mode");
	bad = real;
	bad.cr4 |= 1ULL << 15;
	expect_sregs_einval(vcpu, &real, &bad, "CR4 bit 15 (reserved)");
	bad = real;
	bad.cr4 |= 1ULL << 32;
	expect_sregs_einval(vcpu, &real, &bad, "CR4 bit 32 (reserved)");
	bad = real;
	bad.apic_base |= 1ULL << 50;
	expect_sregs_einval(vcpu, &real, &bad, "APIC base above MAXPHYADDR");
	bad = real;
	bad.apic_base |= APICBASE_EXTD;
	bad.apic_base &= ~APICBASE_ENABLE;
	expect_sregs_einval(vcpu, &real, &bad, "x2APIC mode with the APIC disabled");

	/* from a valid long-mode state */
	vcpu_set_sregs(vcpu, &lm);
	bad = lm;
	bad.cr4 &= ~X86_CR4_PAE;
	expect_sregs_einval(vcpu, &lm, &bad, "long mode without CR4.PAE");
	bad = lm;
	bad.efer &= ~EFER_LMA;
	expect_sregs_einval(vcpu, &lm, &bad, "EFER.LME and CR0.PG without EFER.LMA");
	bad = lm;
	bad.cr3 = 1ULL << maxphyaddr;
	expect_sregs_einval(vcpu, &lm, &bad, "CR3 above MAXPHYADDR in long mode");
	bad = lm;
	bad.cr0 &= ~X86_CR0_PG;
	bad.cs.l = 0;
	expect_sregs_einval(vcpu, &lm, &bad, "EFER.LMA with CR0.PG clear");
	kvm_vm_free(vm);
}

/* CR4 bits of features the guest's CPUID does not have are reserved: OSXSAVE, PCIDE. */
static void test_sregs_cr4_follows_cpuid(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_cpuid2 *c = cpuid_alloc(vm->cpuid->nent);
	struct kvm_cpuid_entry2 *leaf1;
	struct kvm_sregs real, bad;

	memcpy(c->entries, vm->cpuid->entries, c->nent * sizeof(c->entries[0]));
	leaf1 = cpuid2_find(c, 1, 0);
	TEST_ASSERT(leaf1, "no leaf 1 in the supported CPUID");
	leaf1->ecx &= ~(CPUID_1_ECX_XSAVE | CPUID_1_ECX_PCID);
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, c);
	vcpu_get_sregs(vcpu, &real);
	bad = real;
	bad.cr4 |= X86_CR4_OSXSAVE;
	expect_sregs_einval(vcpu, &real, &bad, "CR4.OSXSAVE and no XSAVE in CPUID");
	bad = real;
	bad.cr4 |= X86_CR4_PCIDE;
	expect_sregs_einval(vcpu, &real, &bad, "CR4.PCIDE and no PCID in CPUID");

	/* with XSAVE in the guest's CPUID the same state is fine */
	if (!vcpu_xsave_supported(vcpu))
		subtest_skip("no XSAVE in the supported CPUID");
	leaf1->ecx |= CPUID_1_ECX_XSAVE;
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, c);
	bad = real;
	bad.cr4 |= X86_CR4_OSXSAVE;
	vcpu_set_sregs(vcpu, &bad);
	vcpu_get_sregs(vcpu, &real);
	TEST_ASSERT_EQ(bad.cr4, real.cr4);
	free(c);
	kvm_vm_free(vm);
}

/* --- MSRs --- */

/* api.rst 4.3 at the edges: a list one too short is E2BIG, room for more is fine */
static struct kvm_msr_list *get_msr_index_list(int kvm_fd)
{
	struct kvm_msr_list *list = kvm_msr_index_list(kvm_fd), probe;
	uint32_t n = list->nmsrs;

	probe.nmsrs = n - 1;
	TEST_ASSERT_ERRNO(E2BIG, ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe));
	TEST_ASSERT_EQ(n, probe.nmsrs);
	list = realloc(list, sizeof(*list) + (n + 16) * sizeof(list->indices[0]));
	TEST_ASSERT(list, "realloc");
	list->nmsrs = n + 16;
	TEST_ASSERT_EQ(0, ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list));
	TEST_ASSERT_EQ(n, list->nmsrs);
	return list;
}

/* MSRs that migration must carry: all of them must be in the index list. */
static const uint32_t saved_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_IA32_CR_PAT,
	MSR_IA32_TSC, MSR_TSC_AUX, MSR_IA32_MISC_ENABLE, MSR_IA32_TSC_ADJUST,
	MSR_IA32_UCODE_REV, MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES, MSR_IA32_MCG_STATUS,
	MSR_IA32_POWER_CTL, MSR_IA32_PERF_CAPABILITIES, MSR_SMI_COUNT,
	0x4b564d04 /* MSR_KVM_PV_EOI_EN */, 0x4b564d05 /* MSR_KVM_POLL_CONTROL */,
};

static void test_msr_index_list(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_msr_list *list = get_msr_index_list(vm->kvm_fd);
	struct kvm_msrs *msrs = msrs_alloc(list->nmsrs);
	uint32_t i, j;
	int r;

	ksft_print_msg("KVM_GET_MSR_INDEX_LIST: %u MSRs\n", list->nmsrs);
	for (i = 0; i < sizeof(saved_msrs) / sizeof(saved_msrs[0]); i++)
		TEST_ASSERT(msr_index_listed(list, saved_msrs[i]),
			    "MSR %#x is not in KVM_GET_MSR_INDEX_LIST", saved_msrs[i]);
	/* no index twice */
	for (i = 0; i < list->nmsrs; i++)
		for (j = i + 1; j < list->nmsrs; j++)
			TEST_ASSERT(list->indices[i] != list->indices[j],
				    "MSR %#x listed twice", list->indices[i]);

	/* every listed MSR reads, all in one KVM_GET_MSRS (fewer than 256 of them) */
	TEST_ASSERT(list->nmsrs < MAX_IO_MSRS, "%u MSRs", list->nmsrs);
	for (i = 0; i < list->nmsrs; i++)
		msrs->entries[i].index = list->indices[i];
	r = ioctl(vcpu->fd, KVM_GET_MSRS, msrs);
	if (r != (int)list->nmsrs && r >= 0 && r < (int)list->nmsrs)
		ksft_print_msg("KVM_GET_MSRS stopped at MSR %#x\n", list->indices[r]);
	TEST_ASSERT_EQ(list->nmsrs, r);
	/* one at a time, the same */
	for (i = 0; i < list->nmsrs; i++) {
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e;
		} one = { .hdr.nmsrs = 1, .e.index = list->indices[i] };

		r = ioctl(vcpu->fd, KVM_GET_MSRS, &one);
		TEST_ASSERT(r == 1, "KVM_GET_MSRS of listed MSR %#x returned %d",
			    list->indices[i], r);
	}
	free(msrs);
	free(list);
	kvm_vm_free(vm);
}

struct msr_value {
	uint32_t index;
	uint64_t value;
};

/* Values each MSR keeps exactly (KEPT_MSR_VALUES, x86_guest.h) and these */
static const struct msr_value msr_values[] = {
	KEPT_MSR_VALUES,
	{ MSR_IA32_MISC_ENABLE, RESET_MISC_ENABLE | 1 },	/* fast strings */
	{ MSR_IA32_TSC_ADJUST, 0x123456789ULL },	/* the VMM's write moves no TSC */
	{ MSR_IA32_UCODE_REV, 0x1000065ULL << 32 },
	{ MSR_PLATFORM_INFO, 0xff00 },
	{ MSR_IA32_POWER_CTL, 0x2 },
};
#define NR_MSR_VALUES	(sizeof(msr_values) / sizeof(msr_values[0]))

static void test_msrs_round_trip(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_msrs *msrs = msrs_alloc(NR_MSR_VALUES);
	uint32_t i;

	for (i = 0; i < NR_MSR_VALUES; i++) {
		msrs->entries[i].index = msr_values[i].index;
		msrs->entries[i].data = msr_values[i].value;
	}
	/* the return value is the number of MSRs processed */
	TEST_ASSERT_EQ(NR_MSR_VALUES, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));
	for (i = 0; i < NR_MSR_VALUES; i++)
		msrs->entries[i].data = 0xaaaaaaaaaaaaaaaaULL;
	TEST_ASSERT_EQ(NR_MSR_VALUES, ioctl(vcpu->fd, KVM_GET_MSRS, msrs));
	for (i = 0; i < NR_MSR_VALUES; i++) {
		TEST_ASSERT_EQ(msr_values[i].index, msrs->entries[i].index);
		TEST_ASSERT(msrs->entries[i].data == msr_values[i].value,
			    "MSR %#x: expected %#llx, got %#llx", msr_values[i].index,
			    (unsigned long long)msr_values[i].value,
			    (unsigned long long)msrs->entries[i].data);
	}
	/* and one at a time */
	for (i = 0; i < NR_MSR_VALUES; i++)
		TEST_ASSERT(vcpu_get_msr(vcpu, msr_values[i].index) == msr_values[i].value,
			    "MSR %#x read alone", msr_values[i].index);
	free(msrs);
	kvm_vm_free(vm);
}

static void test_msrs_invalid(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_msrs *msrs = msrs_alloc(MAX_IO_MSRS);
	uint32_t i;

	/* an unknown MSR stops processing: the result is how many were done before it */
	msrs->nmsrs = 3;
	msrs->entries[0] = (struct kvm_msr_entry){ .index = MSR_STAR, .data = 0x1111 };
	msrs->entries[1] = (struct kvm_msr_entry){ .index = MSR_BOGUS, .data = 0x2222 };
	msrs->entries[2] = (struct kvm_msr_entry){ .index = MSR_LSTAR, .data = 0x3333 };
	TEST_ASSERT_EQ(1, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));
	TEST_ASSERT_EQ(0x1111, vcpu_get_msr(vcpu, MSR_STAR));
	TEST_ASSERT_EQ(0, vcpu_get_msr(vcpu, MSR_LSTAR));	/* not reached */
	msrs->entries[0].data = msrs->entries[1].data = msrs->entries[2].data = 0xaa;
	TEST_ASSERT_EQ(1, ioctl(vcpu->fd, KVM_GET_MSRS, msrs));
	TEST_ASSERT_EQ(0x1111, msrs->entries[0].data);
	msrs->entries[0].index = MSR_BOGUS;
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_MSRS, msrs));
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));

	/* a value the MSR refuses stops processing the same way: non-canonical LSTAR */
	msrs->nmsrs = 2;
	msrs->entries[0] = (struct kvm_msr_entry){ .index = MSR_CSTAR, .data = 0x4444 };
	msrs->entries[1] = (struct kvm_msr_entry){ .index = MSR_LSTAR,
						   .data = 0x8000000000000000ULL };
	TEST_ASSERT_EQ(1, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));
	TEST_ASSERT_EQ(0, vcpu_get_msr(vcpu, MSR_LSTAR));
	/* PAT with a reserved memory type (2) */
	msrs->entries[0] = (struct kvm_msr_entry){ .index = MSR_IA32_CR_PAT,
						   .data = 0x0007040600070402ULL };
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));
	TEST_ASSERT_EQ(RESET_PAT, vcpu_get_msr(vcpu, MSR_IA32_CR_PAT));

	/* nmsrs 0 does nothing; 255 entries are fine; 256 and more are E2BIG */
	msrs->nmsrs = 0;
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_MSRS, msrs));
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));
	for (i = 0; i < MAX_IO_MSRS; i++)
		msrs->entries[i] = (struct kvm_msr_entry){ .index = MSR_STAR, .data = i };
	msrs->nmsrs = MAX_IO_MSRS - 1;
	TEST_ASSERT_EQ(MAX_IO_MSRS - 1, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));
	TEST_ASSERT_EQ(MAX_IO_MSRS - 2, vcpu_get_msr(vcpu, MSR_STAR));	/* in order */
	TEST_ASSERT_EQ(MAX_IO_MSRS - 1, ioctl(vcpu->fd, KVM_GET_MSRS, msrs));
	msrs->nmsrs = MAX_IO_MSRS;
	TEST_ASSERT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_GET_MSRS, msrs));
	TEST_ASSERT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));
	msrs->nmsrs = 0xffffffff;
	TEST_ASSERT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_GET_MSRS, msrs));
	TEST_ASSERT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_SET_MSRS, msrs));
	TEST_ASSERT_EQ(MAX_IO_MSRS - 2, vcpu_get_msr(vcpu, MSR_STAR));
	free(msrs);
	kvm_vm_free(vm);
}

/* --- CPUID --- */

static void test_supported_cpuid(void)
{
	int kvm = kvm_open();
	struct kvm_cpuid2 *c = cpuid_alloc(MAX_CPUID_ENTRIES + 44);
	struct kvm_cpuid2 small = { .nent = 0 };
	const struct kvm_cpuid_entry2 *e;
	uint32_t eax, ebx, ecx, edx, nent, i;
	char sig[13];

	/* too few entries: E2BIG (api.rst 4.46) */
	TEST_ASSERT_ERRNO(E2BIG, ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &small));
	small.nent = 1;
	TEST_ASSERT_ERRNO(E2BIG, ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &small));

	/* more than enough: success and nent is the number of entries filled */
	TEST_ASSERT_EQ(0, ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c));
	nent = c->nent;
	ksft_print_msg("KVM_GET_SUPPORTED_CPUID: %u entries\n", nent);
	TEST_ASSERT(nent > 4 && nent <= MAX_CPUID_ENTRIES, "nent %u", nent);
	/* exactly enough works too */
	c->nent = nent;
	TEST_ASSERT_EQ(0, ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c));
	TEST_ASSERT_EQ(nent, c->nent);
	c->nent = nent - 1;
	TEST_ASSERT_ERRNO(E2BIG, ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c));
	c->nent = nent;
	TEST_ASSERT_EQ(0, ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c));

	/* leaf 0: the host's vendor; max basic leaf present */
	e = cpuid2_find(c, 0, 0);
	TEST_ASSERT(e, "no leaf 0");
	x86_cpuid(0, 0, &eax, &ebx, &ecx, &edx);
	TEST_ASSERT_EQ(ebx, e->ebx);
	TEST_ASSERT_EQ(ecx, e->ecx);
	TEST_ASSERT_EQ(edx, e->edx);
	TEST_ASSERT(e->eax >= 1 && e->eax <= eax, "max basic leaf %#x (host %#x)", e->eax, eax);
	TEST_ASSERT_EQ(0, e->flags);

	/* leaf 1: the host's family/model/stepping; no TSC deadline (api.rst), no OSXSAVE */
	e = cpuid2_find(c, 1, 0);
	TEST_ASSERT(e, "no leaf 1");
	x86_cpuid(1, 0, &eax, &ebx, &ecx, &edx);
	TEST_ASSERT_EQ(eax, e->eax);
	TEST_ASSERT_EQ(0, e->ecx & CPUID_1_ECX_TSC_DEADLINE);
	TEST_ASSERT_EQ(0, e->ecx & CPUID_1_ECX_OSXSAVE);
	ksft_print_msg("leaf 1: %08x %08x %08x %08x\n", e->eax, e->ebx, e->ecx, e->edx);

	/* leaf 0x80000000: extended leaves, same vendor */
	e = cpuid2_find(c, 0x80000000, 0);
	TEST_ASSERT(e, "no leaf 0x80000000");
	TEST_ASSERT(e->eax >= 0x80000001, "max extended leaf %#x", e->eax);
	TEST_ASSERT(cpuid2_find(c, 0x80000001, 0), "no leaf 0x80000001");

	/* leaf 0x40000000: KVM's signature and its features leaf */
	e = cpuid2_find(c, 0x40000000, 0);
	TEST_ASSERT(e, "no leaf 0x40000000");
	memcpy(sig, &e->ebx, 4);
	memcpy(sig + 4, &e->ecx, 4);
	memcpy(sig + 8, &e->edx, 4);
	sig[12] = 0;
	TEST_ASSERT(!memcmp(sig, "KVMKVMKVM\0\0\0", 12), "hypervisor signature \"%s\"", sig);
	TEST_ASSERT_EQ(0x40000001, e->eax);
	TEST_ASSERT(cpuid2_find(c, 0x40000001, 0), "no leaf 0x40000001");

	/* leaves whose ECX selects a subleaf say so */
	for (i = 0; i < nent; i++) {
		const struct kvm_cpuid_entry2 *x = &c->entries[i];
		bool indexed = x->function == 4 || x->function == 7 || x->function == 0xb ||
			       x->function == 0xd || x->function == 0x8000001d;

		if (indexed)
			TEST_ASSERT(x->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
				    "leaf %#x.%u without KVM_CPUID_FLAG_SIGNIFCANT_INDEX",
				    x->function, x->index);
		if (x->function == 0 || x->function == 1 || x->function == 0x80000000 ||
		    x->function == 0x40000000)
			TEST_ASSERT_EQ(0, x->flags);
	}
	if (cpuid2_find(c, 0xd, 0))
		TEST_ASSERT(cpuid2_find(c, 0xd, 1), "leaf 0xd without subleaf 1");
	free(c);
	close(kvm);
}

/* A table of our own: each value distinct, runtime bits as KVM keeps them. */
static struct kvm_cpuid2 *own_cpuid(void)
{
	static const struct kvm_cpuid_entry2 entries[] = {
		{ .function = 0, .eax = 0xd, .ebx = 0x68747541, .ecx = 0x444d4163,
		  .edx = 0x69746e65 },			/* "AuthenticAMD" */
		/* OSXSAVE clear (CR4.OSXSAVE is), APIC set (the APIC is enabled) */
		{ .function = 1, .eax = 0x00800f12, .ebx = 0x00010800, .ecx = 0x16802201,
		  .edx = 0x078bbbff },
		{ .function = 7, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 1, .ebx = 0x009c01a9 },
		{ .function = 7, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 0x10 },
		/* EBX: the XSAVE area size for XCR0 = x87 only (576 bytes) */
		{ .function = 0xd, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 0x7, .ebx = 0x240, .ecx = 0x340 },
		{ .function = 0xd, .index = 2, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .eax = 0x100, .ebx = 0x240 },
		{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b,
		  .ecx = 0x564b4d56, .edx = 0x4d },
		{ .function = 0x40000001, .eax = 0x1 },
		{ .function = 0x40000010, .eax = 0x12345678, .ebx = 0x9abcdef0,
		  .ecx = 0x0fedcba9, .edx = 0x87654321 },
		{ .function = 0x80000000, .eax = 0x80000008, .ebx = 0x68747541,
		  .ecx = 0x444d4163, .edx = 0x69746e65 },
		{ .function = 0x80000001, .eax = 0x00800f12, .ecx = 0x1, .edx = 0x2c100800 },
		{ .function = 0x80000008, .eax = 0x3028 },
	};
	struct kvm_cpuid2 *c = cpuid_alloc(sizeof(entries) / sizeof(entries[0]));

	memcpy(c->entries, entries, sizeof(entries));
	return c;
}

static void assert_cpuid_entry_eq(const struct kvm_cpuid_entry2 *want,
				  const struct kvm_cpuid_entry2 *got)
{
	TEST_ASSERT(want->function == got->function && want->index == got->index &&
		    want->flags == got->flags && want->eax == got->eax &&
		    want->ebx == got->ebx && want->ecx == got->ecx && want->edx == got->edx,
		    "CPUID entry %#x.%u flags %u: expected %08x %08x %08x %08x, got %#x.%u flags %u: %08x %08x %08x %08x",
		    want->function, want->index, want->flags, want->eax, want->ebx, want->ecx,
		    want->edx, got->function, got->index, got->flags, got->eax, got->ebx,
		    got->ecx, got->edx);
}

static void test_cpuid2_round_trip(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_cpuid2 *set = own_cpuid(), *got = cpuid_alloc(MAX_CPUID_ENTRIES);
	uint32_t i;

	vcpu_ioctl(vcpu, KVM_SET_CPUID2, set);
	memset(got->entries, 0xaa, MAX_CPUID_ENTRIES * sizeof(got->entries[0]));
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_CPUID2, got));
	for (i = 0; i < set->nent; i++)
		assert_cpuid_entry_eq(&set->entries[i], &got->entries[i]);

	/* exactly enough room works; one entry less is E2BIG */
	got->nent = set->nent;
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_CPUID2, got));
	got->nent = set->nent - 1;
	TEST_ASSERT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_GET_CPUID2, got));
	got->nent = 0;
	TEST_ASSERT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_GET_CPUID2, got));

	/* a bigger table replaces the old one entirely */
	got->nent = MAX_CPUID_ENTRIES;
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, vm->cpuid);
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_CPUID2, got));
	for (i = 0; i < vm->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *w = &vm->cpuid->entries[i];

		TEST_ASSERT_EQ(w->function, got->entries[i].function);
		TEST_ASSERT_EQ(w->index, got->entries[i].index);
	}
	free(set);
	free(got);
	kvm_vm_free(vm);
}

static void test_cpuid2_invalid(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_cpuid2 *c = cpuid_alloc(MAX_CPUID_ENTRIES + 1), *own = own_cpuid();
	struct kvm_cpuid2 *got = cpuid_alloc(MAX_CPUID_ENTRIES);
	struct kvm_cpuid_entry2 *e;
	uint32_t i;

	vcpu_ioctl(vcpu, KVM_SET_CPUID2, own);

	/* more entries than KVM takes: E2BIG, the table stays */
	for (i = 0; i < MAX_CPUID_ENTRIES + 1; i++)
		c->entries[i] = (struct kvm_cpuid_entry2){ .function = 0x40000100 + i };
	TEST_ASSERT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	c->nent = 0xffffffff;
	TEST_ASSERT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_CPUID2, got));
	for (i = 0; i < own->nent; i++)
		assert_cpuid_entry_eq(&own->entries[i], &got->entries[i]);

	/* exactly KVM_MAX_CPUID_ENTRIES is fine */
	c->nent = MAX_CPUID_ENTRIES;
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	got->nent = MAX_CPUID_ENTRIES;
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_CPUID2, got));
	TEST_ASSERT_EQ(0x40000100 + MAX_CPUID_ENTRIES - 1,
		       got->entries[MAX_CPUID_ENTRIES - 1].function);

	/* virtual address width (0x80000008 EAX[15:8]) other than 48 or 57: EINVAL */
	e = cpuid2_find(own, 0x80000008, 0);
	e->eax = 0x2828;	/* 40 bits */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_CPUID2, own));
	e->eax = 0x3928;	/* 57 bits */
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, own));
	/*
	 * only the first 0x80000008 entry is checked, the one CPUID finds: a second one with
	 * 40 bits is taken (found by difftest_ioctl)
	 */
	c->nent = 2;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .eax = 0x3028 };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 0x80000008, .eax = 0x2828 };
	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	free(c);
	free(own);
	free(got);
	kvm_vm_free(vm);
}

/* --- FPU, XCRs, XSAVE --- */

/* Offsets in the XSAVE area (SDM vol. 1 section 13.4) */
#define XSAVE_FCW		0
#define XSAVE_FSW		2
#define XSAVE_FTW		4
#define XSAVE_FOP		6
#define XSAVE_FIP		8
#define XSAVE_FDP		16
#define XSAVE_MXCSR		24
#define XSAVE_ST0		32
#define XSAVE_XMM0		160
#define XSAVE_XSTATE_BV		512

static void fill_fpu(struct kvm_fpu *fpu)
{
	int i, j;

	memset(fpu, 0, sizeof(*fpu));
	fpu->fcw = 0x27f;		/* double precision */
	fpu->fsw = 0x3800;		/* TOP = 7 */
	fpu->ftwx = 0x80;		/* ST(7)... physical register 7 valid */
	fpu->last_opcode = 0x1d9;
	fpu->last_ip = 0x00007f0012345678ULL;
	fpu->last_dp = 0x00007f00abcdef00ULL;
	fpu->mxcsr = 0x9fc0;		/* FZ, all masked, DAZ */
	for (i = 0; i < 8; i++)		/* 80-bit values, upper 6 bytes of each slot zero */
		for (j = 0; j < 10; j++)
			fpu->fpr[i][j] = 0x10 * i + j + 1;
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			fpu->xmm[i][j] = (i << 4) | j;
}

static void test_fpu_round_trip(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_fpu set, got;

	fill_fpu(&set);
	vcpu_ioctl(vcpu, KVM_SET_FPU, &set);
	memset(&got, 0xaa, sizeof(got));
	vcpu_ioctl(vcpu, KVM_GET_FPU, &got);
	TEST_ASSERT_EQ(set.fcw, got.fcw);
	TEST_ASSERT_EQ(set.fsw, got.fsw);
	TEST_ASSERT_EQ(set.ftwx, got.ftwx);
	TEST_ASSERT_EQ(set.last_opcode, got.last_opcode);
	TEST_ASSERT_EQ(set.last_ip, got.last_ip);
	TEST_ASSERT_EQ(set.last_dp, got.last_dp);
	/*
	 * Not MXCSR: KVM_GET_FPU of the in-tree KVM leaves it 0 whatever was set (it is in
	 * KVM_GET_XSAVE, see below).
	 */
	TEST_ASSERT(!memcmp(set.fpr, got.fpr, sizeof(set.fpr)), "x87 registers differ");
	TEST_ASSERT(!memcmp(set.xmm, got.xmm, sizeof(set.xmm)), "XMM registers differ");
	kvm_vm_free(vm);
}

static void set_xcr0(struct kvm_vcpu *vcpu, uint64_t value)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };

	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = value;
	vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);
}

static void test_xcrs(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	uint64_t supported = supported_xcr0(vm), want;
	struct kvm_xcrs xcrs, bad;

	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_XCRS) || !vcpu_xsave_supported(vcpu))
		subtest_skip("no KVM_CAP_XCRS or no XSAVE");
	TEST_ASSERT_EQ(XFEATURE_MASK_X87 | XFEATURE_MASK_SSE,
		       supported & (XFEATURE_MASK_X87 | XFEATURE_MASK_SSE));
	want = supported & (XFEATURE_MASK_X87 | XFEATURE_MASK_SSE | XFEATURE_MASK_AVX);
	ksft_print_msg("XCR0 supported %#llx, setting %#llx\n", (unsigned long long)supported,
		       (unsigned long long)want);
	set_xcr0(vcpu, want);
	memset(&xcrs, 0xaa, sizeof(xcrs));
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	TEST_ASSERT_EQ(1, xcrs.nr_xcrs);
	TEST_ASSERT_EQ(0, xcrs.flags);
	TEST_ASSERT_EQ(0, xcrs.xcrs[0].xcr);
	TEST_ASSERT_EQ(want, xcrs.xcrs[0].value);

	/* XCR0 values XSETBV would refuse (SDM vol. 1 section 13.3) are EINVAL */
	memset(&bad, 0, sizeof(bad));
	bad.nr_xcrs = 1;
	bad.xcrs[0].value = 0;					/* x87 must stay set */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_XCRS, &bad));
	bad.xcrs[0].value = XFEATURE_MASK_SSE;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_XCRS, &bad));
	if (supported & XFEATURE_MASK_AVX) {
		bad.xcrs[0].value = XFEATURE_MASK_X87 | XFEATURE_MASK_AVX;	/* AVX needs SSE */
		TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_XCRS, &bad));
	}
	bad.xcrs[0].value = XFEATURE_MASK_X87 | XFEATURE_MASK_SSE | (1ULL << 62); /* unknown */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_XCRS, &bad));
	/* flags must be 0, at most KVM_MAX_XCRS entries */
	bad.xcrs[0].value = XFEATURE_MASK_X87;
	bad.flags = 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_XCRS, &bad));
	bad.flags = 0;
	bad.nr_xcrs = KVM_MAX_XCRS + 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_XCRS, &bad));
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	TEST_ASSERT_EQ(want, xcrs.xcrs[0].value);

	/* back to x87 only */
	set_xcr0(vcpu, XFEATURE_MASK_X87);
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	TEST_ASSERT_EQ(XFEATURE_MASK_X87, xcrs.xcrs[0].value);
	kvm_vm_free(vm);
}

static void *xsave_at(struct kvm_xsave *xs, int offset)
{
	return (uint8_t *)xs->region + offset;
}

static void test_xsave_round_trip(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	uint64_t supported = supported_xcr0(vm), bv;
	const struct kvm_cpuid_entry2 *avx = vm_cpuid_entry(vm, 0xd, 2);
	struct kvm_xsave *set = calloc(1, sizeof(*set)), *got = calloc(1, sizeof(*got));
	struct kvm_fpu fpu, fpu_got;
	int i, avx_offset = 0;

	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_XSAVE) || !vcpu_xsave_supported(vcpu))
		subtest_skip("no KVM_CAP_XSAVE or no XSAVE");
	bv = XFEATURE_MASK_X87 | XFEATURE_MASK_SSE;
	if ((supported & XFEATURE_MASK_AVX) && avx && avx->ebx + 256 <= sizeof(set->region)) {
		bv |= XFEATURE_MASK_AVX;
		avx_offset = avx->ebx;	/* YMM_Hi128 in the standard format */
	}
	set_xcr0(vcpu, bv);

	/* start from what KVM gives, so reserved areas are as KVM wants them */
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, set);
	fill_fpu(&fpu);
	memcpy(xsave_at(set, XSAVE_FCW), &fpu.fcw, 2);
	memcpy(xsave_at(set, XSAVE_FSW), &fpu.fsw, 2);
	memcpy(xsave_at(set, XSAVE_FTW), &fpu.ftwx, 1);
	memcpy(xsave_at(set, XSAVE_FOP), &fpu.last_opcode, 2);
	memcpy(xsave_at(set, XSAVE_FIP), &fpu.last_ip, 8);
	memcpy(xsave_at(set, XSAVE_FDP), &fpu.last_dp, 8);
	memcpy(xsave_at(set, XSAVE_MXCSR), &fpu.mxcsr, 4);
	for (i = 0; i < 8; i++)
		memcpy(xsave_at(set, XSAVE_ST0 + 16 * i), fpu.fpr[i], 16);
	memcpy(xsave_at(set, XSAVE_XMM0), fpu.xmm, sizeof(fpu.xmm));
	if (avx_offset)
		for (i = 0; i < 256; i++)
			*(uint8_t *)xsave_at(set, avx_offset + i) = 0xff - i;
	memcpy(xsave_at(set, XSAVE_XSTATE_BV), &bv, 8);
	vcpu_ioctl(vcpu, KVM_SET_XSAVE, set);

	memset(got, 0xaa, sizeof(*got));
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, got);
	TEST_ASSERT(!memcmp(xsave_at(got, 0), xsave_at(set, 0), XSAVE_MXCSR + 4),
		    "XSAVE x87 control words differ");
	TEST_ASSERT(!memcmp(xsave_at(got, XSAVE_ST0), xsave_at(set, XSAVE_ST0), 128),
		    "XSAVE x87 registers differ");
	TEST_ASSERT(!memcmp(xsave_at(got, XSAVE_XMM0), xsave_at(set, XSAVE_XMM0), 256),
		    "XSAVE XMM registers differ");
	TEST_ASSERT_EQ(bv, *(uint64_t *)xsave_at(got, XSAVE_XSTATE_BV));
	if (avx_offset)
		TEST_ASSERT(!memcmp(xsave_at(got, avx_offset), xsave_at(set, avx_offset), 256),
			    "XSAVE upper YMM halves differ");

	/* KVM_GET_FPU sees the same x87/SSE state (but for MXCSR, see test_fpu_round_trip) */
	memset(&fpu_got, 0xaa, sizeof(fpu_got));
	vcpu_ioctl(vcpu, KVM_GET_FPU, &fpu_got);
	TEST_ASSERT_EQ(fpu.fcw, fpu_got.fcw);
	TEST_ASSERT_EQ(fpu.fsw, fpu_got.fsw);
	TEST_ASSERT_EQ(fpu.ftwx, fpu_got.ftwx);
	TEST_ASSERT(!memcmp(fpu.xmm, fpu_got.xmm, sizeof(fpu.xmm)), "XMM registers differ");
	TEST_ASSERT(!memcmp(fpu.fpr, fpu_got.fpr, sizeof(fpu.fpr)), "x87 registers differ");

	/* a state component the guest cannot have (bit 62) is EINVAL */
	*(uint64_t *)xsave_at(set, XSAVE_XSTATE_BV) = bv | (1ULL << 62);
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_XSAVE, set));
	free(set);
	free(got);
	kvm_vm_free(vm);
}

/*
 * The state KVM_SET_XSAVE gives is the state the guest runs with, and what the guest leaves
 * in its registers is what KVM_GET_XSAVE and KVM_GET_FPU give back. The guest is assembly
 * only, so no compiled code touches the registers in between.
 */
uint16_t fpu_seen_fcw;
uint32_t fpu_seen_mxcsr;
uint8_t fpu_seen_xmm0[16], fpu_seen_xmm15[16];
const uint16_t fpu_new_fcw = 0x07f;		/* single precision, all masked */
const uint32_t fpu_new_mxcsr = 0x3f80;		/* round down, all masked */
const uint8_t fpu_new_xmm0[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
const uint8_t fpu_new_xmm15[16] = { 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
				    0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, 0xf0 };
extern const uint8_t guest_fpu_in_out[];

asm(".pushsection .text\n"
"guest_fpu_in_out:\n"
"	fnstcw fpu_seen_fcw(%rip)\n"
"	stmxcsr fpu_seen_mxcsr(%rip)\n"
"	movdqu %xmm0, fpu_seen_xmm0(%rip)\n"
"	movdqu %xmm15, fpu_seen_xmm15(%rip)\n"
"	fldcw fpu_new_fcw(%rip)\n"
"	ldmxcsr fpu_new_mxcsr(%rip)\n"
"	movdqu fpu_new_xmm0(%rip), %xmm0\n"
"	movdqu fpu_new_xmm15(%rip), %xmm15\n"
"1:	hlt\n"
"	jmp 1b\n"
".popsection\n");

static void test_xsave_guest(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_fpu_in_out);
	struct kvm_xsave *xs = calloc(1, sizeof(*xs));
	struct kvm_fpu fpu;
	uint64_t bv;
	uint16_t fcw = 0x27f;
	uint32_t mxcsr = 0x9fc0;
	int i;

	if (!kvm_check_cap(vm->kvm_fd, KVM_CAP_XSAVE) || !vcpu_xsave_supported(vcpu))
		subtest_skip("no KVM_CAP_XSAVE or no XSAVE");
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, xs);
	memcpy(xsave_at(xs, XSAVE_FCW), &fcw, 2);
	memcpy(xsave_at(xs, XSAVE_MXCSR), &mxcsr, 4);
	for (i = 0; i < 16; i++) {
		*(uint8_t *)xsave_at(xs, XSAVE_XMM0 + i) = 0xa0 + i;
		*(uint8_t *)xsave_at(xs, XSAVE_XMM0 + 15 * 16 + i) = 0x50 + i;
	}
	memcpy(&bv, xsave_at(xs, XSAVE_XSTATE_BV), 8);
	bv |= XFEATURE_MASK_X87 | XFEATURE_MASK_SSE;
	memcpy(xsave_at(xs, XSAVE_XSTATE_BV), &bv, 8);
	vcpu_ioctl(vcpu, KVM_SET_XSAVE, xs);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	sync_global_from_guest(vm, fpu_seen_fcw);
	sync_global_from_guest(vm, fpu_seen_mxcsr);
	sync_global_from_guest(vm, fpu_seen_xmm0);
	sync_global_from_guest(vm, fpu_seen_xmm15);
	TEST_ASSERT_EQ(fcw, fpu_seen_fcw);
	TEST_ASSERT_EQ(mxcsr, fpu_seen_mxcsr);
	TEST_ASSERT(!memcmp(fpu_seen_xmm0, xsave_at(xs, XSAVE_XMM0), 16),
		    "the guest's XMM0 is not what KVM_SET_XSAVE set");
	TEST_ASSERT(!memcmp(fpu_seen_xmm15, xsave_at(xs, XSAVE_XMM0 + 15 * 16), 16),
		    "the guest's XMM15 is not what KVM_SET_XSAVE set");

	memset(xs, 0xaa, sizeof(*xs));
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, xs);
	TEST_ASSERT_EQ(fpu_new_fcw, *(uint16_t *)xsave_at(xs, XSAVE_FCW));
	TEST_ASSERT_EQ(fpu_new_mxcsr, *(uint32_t *)xsave_at(xs, XSAVE_MXCSR));
	TEST_ASSERT(!memcmp(fpu_new_xmm0, xsave_at(xs, XSAVE_XMM0), 16),
		    "KVM_GET_XSAVE: XMM0 is not what the guest loaded");
	TEST_ASSERT(!memcmp(fpu_new_xmm15, xsave_at(xs, XSAVE_XMM0 + 15 * 16), 16),
		    "KVM_GET_XSAVE: XMM15 is not what the guest loaded");
	memset(&fpu, 0xaa, sizeof(fpu));
	vcpu_ioctl(vcpu, KVM_GET_FPU, &fpu);
	TEST_ASSERT_EQ(fpu_new_fcw, fpu.fcw);
	TEST_ASSERT(!memcmp(fpu_new_xmm0, fpu.xmm[0], 16),
		    "KVM_GET_FPU: XMM0 is not what the guest loaded");
	TEST_ASSERT(!memcmp(fpu_new_xmm15, fpu.xmm[15], 16),
		    "KVM_GET_FPU: XMM15 is not what the guest loaded");
	free(xs);
	kvm_vm_free(vm);
}

static void test_mp_state(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_mp_state mp = { KVM_MP_STATE_RUNNABLE };
	uint32_t state;

	vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
	mp.mp_state = 0xaa;
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	/*
	 * Without an in-kernel irqchip userspace runs the APIC: KVM takes no state but
	 * RUNNABLE (UNINITIALIZED, INIT_RECEIVED, HALTED, SIPI_RECEIVED: EINVAL).
	 */
	for (state = KVM_MP_STATE_UNINITIALIZED; state < KVM_MP_STATE_FIRST_INVALID; state++) {
		mp.mp_state = state;
		errno = 0;
		TEST_ASSERT(ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) == -1 && errno == EINVAL,
			    "KVM_SET_MP_STATE(%u) without irqchip: expected EINVAL, got %s",
			    state, errno_name(errno));
	}
	mp.mp_state = 0xffffffff;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp));
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	kvm_vm_free(vm);

	/*
	 * With the APIC in the kernel: SIPI_RECEIVED is a wait-for-SIPI with the SIPI there;
	 * KVM_GET_MP_STATE takes it first and reads RUNNABLE (found by difftest_ioctl)
	 */
	vm = kvm_vm_new(1 * MiB);
	TEST_ASSERT_EQ(0, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	vcpu = kvm_vcpu_new(vm, 0);
	mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
	vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_INIT_RECEIVED, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_SIPI_RECEIVED;
	vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	kvm_vm_free(vm);
}

/*
 * api.rst 6.74 KVM_CAP_SYNC_REGS, with KVM_RUN returning EINTR at once (immediate_exit): the
 * sets marked in kvm_dirty_regs go into the vCPU as KVM_SET_* would put them (the bit is
 * then cleared: they are in), those marked in kvm_valid_regs come out as KVM_GET_* gives
 * them; a set KVM_SET_SREGS would refuse fails KVM_RUN with EINVAL and changes nothing.
 * (upstream sync_regs_test runs a guest with them)
 */
static void test_sync_regs(void)
{
	struct kvm_vm *vm = kvm_vm_new(1 * MiB);
	struct kvm_vcpu *vcpu = kvm_vcpu_new(vm, 0);
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	struct kvm_sregs sregs, lm;
	struct kvm_vcpu_events events;
	const __u64 all = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;

	if ((kvm_check_cap(vm->kvm_fd, KVM_CAP_SYNC_REGS) & all) != all)
		subtest_skip("KVM_CAP_SYNC_REGS without regs, sregs and events");
	run->immediate_exit = 1;

	/* out: what the GET ioctls say (stock KVM leaves struct padding as it was: zeroes) */
	memset(&run->s.regs, 0, sizeof(run->s.regs));
	run->kvm_valid_regs = all;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	vcpu_get_regs(vcpu, &regs);
	vcpu_get_sregs(vcpu, &sregs);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &events);
	TEST_ASSERT(!memcmp(&regs, &run->s.regs.regs, sizeof(regs)), "s.regs.regs differs");
	TEST_ASSERT(!memcmp(&sregs, &run->s.regs.sregs, sizeof(sregs)), "s.regs.sregs differs");
	TEST_ASSERT(!memcmp(&events, &run->s.regs.events, sizeof(events)),
		    "s.regs.events differs");
	TEST_ASSERT_EQ(RESET_RIP, run->s.regs.regs.rip);
	TEST_ASSERT_EQ(RESET_CR0, run->s.regs.sregs.cr0);
	TEST_ASSERT_EQ(0xf000, run->s.regs.sregs.cs.selector);

	/* in: new registers and a long-mode state, no set marked valid */
	run->kvm_valid_regs = 0;
	regs.rbx = 0x1234567887654321ULL;
	regs.rip = 0x4000;
	run->s.regs.regs = regs;
	long_mode_sregs(vcpu, &lm);
	run->s.regs.sregs = lm;
	run->kvm_dirty_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	TEST_ASSERT_EQ(0, run->kvm_dirty_regs);
	vcpu_get_regs(vcpu, &regs);
	TEST_ASSERT_EQ(0x1234567887654321ULL, regs.rbx);
	TEST_ASSERT_EQ(0x4000, regs.rip);
	vcpu_get_sregs(vcpu, &sregs);
	TEST_ASSERT_EQ(lm.cr3, sregs.cr3);
	TEST_ASSERT_EQ(lm.efer, sregs.efer);
	TEST_ASSERT_EQ(lm.cs.l, sregs.cs.l);
	TEST_ASSERT_EQ(lm.gs.base, sregs.gs.base);

	/* an invalid state (CR0.PG without CR0.PE): EINVAL, nothing changed, bit still set */
	run->s.regs.sregs.cr0 &= ~X86_CR0_PE;
	run->kvm_dirty_regs = KVM_SYNC_X86_SREGS;
	TEST_ASSERT_ERRNO(EINVAL, __vcpu_run(vcpu));
	TEST_ASSERT_EQ(KVM_SYNC_X86_SREGS, run->kvm_dirty_regs);
	vcpu_get_sregs(vcpu, &sregs);
	TEST_ASSERT_EQ(lm.cr0, sregs.cr0);

	/* bits outside the capability: EINVAL, in either field */
	run->kvm_dirty_regs = 0;
	run->kvm_valid_regs = 1ULL << 3;
	TEST_ASSERT_ERRNO(EINVAL, __vcpu_run(vcpu));
	/* ... though 6.12 checks immediate_exit first for kvm_dirty_regs: EINTR there */
	run->kvm_valid_regs = 0;
	run->kvm_dirty_regs = 1ULL << 63;
	TEST_ASSERT(__vcpu_run(vcpu) == -1 && (errno == EINVAL || errno == EINTR),
		    "kvm_dirty_regs bit 63: expected EINVAL (or EINTR, 6.12), got errno %d", errno);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(18);
	run_subtest(test_reset_state,
		    "RESET state: registers, segments, CRs, MSRs, FPU, XCR0, MP state");
	run_subtest(test_debugregs, "KVM_GET/SET_DEBUGREGS: reset values, round trip, EINVAL");
	run_subtest(test_regs_round_trip,
		    "KVM_SET_REGS/KVM_GET_REGS round trip, RFLAGS bit 1 reads 1");
	run_subtest(test_sregs_round_trip,
		    "KVM_SET_SREGS/KVM_GET_SREGS round trip of a long-mode state");
	run_subtest(test_sregs_invalid,
		    "KVM_SET_SREGS: inconsistent CR0/CR3/CR4/EFER/CS.L/APIC base are EINVAL");
	run_subtest(test_sregs_cr4_follows_cpuid,
		    "KVM_SET_SREGS: CR4.OSXSAVE and CR4.PCIDE need XSAVE and PCID in the guest CPUID");
	run_subtest(test_msr_index_list,
		    "KVM_GET_MSR_INDEX_LIST: E2BIG with the count, every MSR readable");
	run_subtest(test_msrs_round_trip,
		    "KVM_SET_MSRS/KVM_GET_MSRS round trip of %zu MSRs", NR_MSR_VALUES);
	run_subtest(test_msrs_invalid,
		    "KVM_SET_MSRS/KVM_GET_MSRS stop at a bad MSR; 256 entries are E2BIG");
	run_subtest(test_supported_cpuid,
		    "KVM_GET_SUPPORTED_CPUID: E2BIG, count, leaves 0, 1, 0x40000000, 0x80000000");
	run_subtest(test_cpuid2_round_trip, "KVM_SET_CPUID2/KVM_GET_CPUID2 round trip, E2BIG");
	run_subtest(test_cpuid2_invalid,
		    "KVM_SET_CPUID2: more than 256 entries E2BIG, bad address width EINVAL");
	run_subtest(test_fpu_round_trip, "KVM_SET_FPU/KVM_GET_FPU round trip");
	run_subtest(test_xcrs, "KVM_SET_XCRS/KVM_GET_XCRS: XCR0 round trip, invalid values EINVAL");
	run_subtest(test_xsave_round_trip,
		    "KVM_SET_XSAVE/KVM_GET_XSAVE round trip, agrees with KVM_GET_FPU");
	run_subtest(test_xsave_guest,
		    "KVM_SET_XSAVE state reaches the guest, the guest's comes back");
	run_subtest(test_mp_state, "KVM_GET/SET_MP_STATE without irqchip: RUNNABLE only");
	run_subtest(test_sync_regs,
		    "KVM_CAP_SYNC_REGS: kvm_valid_regs/kvm_dirty_regs with immediate_exit, EINVAL");
	ksft_finished();
}
