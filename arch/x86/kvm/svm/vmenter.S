/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entering an SVM guest (AMD APM vol. 2, 15.5 "VMRUN Instruction" and 15.5.2 "VMSAVE and
 * VMLOAD Instructions").
 *
 * VMRUN saves and restores only part of the host state (through VM_HSAVE_PA): RSP, RAX,
 * RIP, segment registers as visible, CR0/3/4, EFER, RFLAGS. FS/GS/TR/LDTR with their hidden
 * state, KernelGsBase, STAR/LSTAR/CSTAR/SFMASK and the SYSENTER MSRs are the guest's after
 * VMLOAD of the VMCB, and the host's again after VMLOAD of a per-CPU page once the guest's
 * are VMSAVEd to the VMCB after #VMEXIT. The host's are VMSAVEd to that page only when the
 * caller says so (save_host: once per vcpu_load, vcpu.c), since they do not change between
 * entries; the VMLOAD after each exit stays (the host kernel needs its GS base and TR at
 * once).
 * The general registers other than RAX and RSP (which live in the VMCB) are loaded from and
 * stored to the regs[] array of the vCPU here.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>

#define WORD_SIZE 8
#define REG(n) ((n) * WORD_SIZE)
/* indices of enum kvm_reg (arch/x86/kvm/kvm_arch.h) */
#define R_RCX 1
#define R_RDX 2
#define R_RBX 3
#define R_RBP 5
#define R_RSI 6
#define R_RDI 7
#define R_R8 8
#define R_R9 9
#define R_R10 10
#define R_R11 11
#define R_R12 12
#define R_R13 13
#define R_R14 14
#define R_R15 15

	.section .noinstr.text, "ax"

/*
 * void svm_vmrun(u64 vmcb_pa, unsigned long *regs, u64 host_save_pa, bool save_host)
 * Called with GIF clear (CLGI) and host interrupts enabled in RFLAGS, so that a physical
 * interrupt in the guest causes #VMEXIT (INTR intercept) and is taken after STGI.
 */
SYM_FUNC_START(svm_vmrun)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rdx		/* host_save_pa: 16(%rsp) after the next two */
	push %rsi		/* regs: 8(%rsp) */
	push %rdi		/* vmcb_pa: 0(%rsp) */

	test %cl, %cl
	jz 1f
	mov %rdx, %rax
	vmsave %rax		/* host FS/GS/TR/LDTR, syscall and sysenter MSRs */
1:

	mov %rsi, %rax
	mov REG(R_RCX)(%rax), %rcx
	mov REG(R_RDX)(%rax), %rdx
	mov REG(R_RBX)(%rax), %rbx
	mov REG(R_RBP)(%rax), %rbp
	mov REG(R_RSI)(%rax), %rsi
	mov REG(R_RDI)(%rax), %rdi
	mov REG(R_R8)(%rax), %r8
	mov REG(R_R9)(%rax), %r9
	mov REG(R_R10)(%rax), %r10
	mov REG(R_R11)(%rax), %r11
	mov REG(R_R12)(%rax), %r12
	mov REG(R_R13)(%rax), %r13
	mov REG(R_R14)(%rax), %r14
	mov REG(R_R15)(%rax), %r15

	mov (%rsp), %rax	/* vmcb_pa */
	vmload %rax
	vmrun %rax
	vmsave %rax		/* RAX is the host's again: the VMCB's address */

	mov 8(%rsp), %rax	/* regs */
	mov %rcx, REG(R_RCX)(%rax)
	mov %rdx, REG(R_RDX)(%rax)
	mov %rbx, REG(R_RBX)(%rax)
	mov %rbp, REG(R_RBP)(%rax)
	mov %rsi, REG(R_RSI)(%rax)
	mov %rdi, REG(R_RDI)(%rax)
	mov %r8, REG(R_R8)(%rax)
	mov %r9, REG(R_R9)(%rax)
	mov %r10, REG(R_R10)(%rax)
	mov %r11, REG(R_R11)(%rax)
	mov %r12, REG(R_R12)(%rax)
	mov %r13, REG(R_R13)(%rax)
	mov %r14, REG(R_R14)(%rax)
	mov %r15, REG(R_R15)(%rax)

	mov 16(%rsp), %rax
	vmload %rax		/* the host's own FS/GS/TR/... again */

	/* the guest may have filled the return stack buffer: overwrite it (Spectre-RSB) */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* leave no guest value in a register the host may speculate on */
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d

	add $24, %rsp
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(svm_vmrun)
