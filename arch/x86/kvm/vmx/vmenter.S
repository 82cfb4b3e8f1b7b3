/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Entering a VMX guest (Intel SDM vol. 3C, 26 "VM Entries", 27 "VM Exits", 30.3 VMLAUNCH/
 * VMRESUME). The guest's RSP, RIP and RFLAGS are VMCS fields (written by vcpu.c); its other
 * general registers are loaded here from the vCPU's regs[] and stored back after the exit.
 * A VM exit loads the host state from the VMCS: RIP = vmx_vmexit below, RSP = the stack
 * pointer written to HOST_RSP just before entry, so the stack is as the entry left it.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>

#define WORD_SIZE 8
#define REG(n) ((n) * WORD_SIZE)
/* indices of enum kvm_reg (arch/x86/kvm/kvm_arch.h) */
#define R_RAX 0
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

#define HOST_RSP 0x6c14

	.section .noinstr.text, "ax"

/*
 * int vmx_vmenter(unsigned long *regs, bool launched)
 * Interrupts disabled; the vCPU's VMCS is current on this CPU. Returns 0 after a VM exit,
 * 1 when VMLAUNCH/VMRESUME failed (VMfailValid: the VM-instruction error field says why;
 * VMfailInvalid: no current VMCS).
 */
SYM_FUNC_START(vmx_vmenter)
	push %rbp
	mov %rsp, %rbp
	push %r15
	push %r14
	push %r13
	push %r12
	push %rbx
	push %rsi		/* launched: 8(%rsp) */
	push %rdi		/* regs: 0(%rsp) */

	mov $HOST_RSP, %eax
	vmwrite %rsp, %rax
	jbe .Lfail_early

	mov %rdi, %rax
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
	/* flags for the choice below; MOV leaves them alone */
	cmpb $0, 8(%rsp)
	mov REG(R_RAX)(%rax), %rax

	/*
	 * STI right before the entry: its one-instruction shadow keeps an interrupt from
	 * being taken before VMLAUNCH/VMRESUME, and one pending then exits at once
	 * (external-interrupt exiting); the exit clears RFLAGS.IF again (27.5.3). Entering
	 * with IF clear works on hardware, but Bochs then never re-evaluates its interrupt
	 * mask in the guest and a guest that never exits on its own is never interrupted.
	 */
	UNWIND_HINT_SAVE
	jnz .Lresume
	sti
	vmlaunch
	jmp .Lfail
.Lresume:
	sti
	vmresume
	jmp .Lfail

SYM_INNER_LABEL(vmx_vmexit, SYM_L_GLOBAL)
	/* the CPU gets here through HOST_RIP, never by an indirect branch: no ENDBR */
	ANNOTATE_NOENDBR
	UNWIND_HINT_RESTORE
	push %rax
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
	pop REG(R_RAX)(%rax)

	/* the guest may have filled the return stack buffer: overwrite it (Spectre-RSB) */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	xor %eax, %eax
	jmp .Lout

.Lfail:
	/* VMfail: interrupts off again; the host's registers are restored below */
	cli
.Lfail_early:
	mov $1, %eax
.Lout:
	/* leave no guest value in a register the host may speculate on */
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d

	add $16, %rsp
	pop %rbx
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rbp
	RET
SYM_FUNC_END(vmx_vmenter)
