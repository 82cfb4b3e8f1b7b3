// SPDX-License-Identifier: GPL-2.0-only
/*
 * 32-bit PAE paging (CR0.PG, CR4.PAE, EFER.LMA clear). The CPU caches the four
 * page-directory-pointer-table entries when paging is switched on or CR3 is written (SDM
 * vol. 3A 4.4.1); on VMX with EPT they are VMCS fields the hypervisor must fill whenever it,
 * not the guest, changes what they come from. A guest maps the linear address LINEAR through
 * one of two PDPTs to one of two data pages and reads it:
 *  - after switching paging on itself (MOV to CR0.PG), and again after an exit;
 *  - after its own MOV to CR3 to the other PDPT;
 *  - after KVM_SET_SREGS moved CR3 back under it;
 *  - on a second vCPU that KVM_SET_SREGS put straight into PAE paging.
 * And a MOV to CR0 that changes CD, or to CR4 that changes PGE, reloads the PDPTEs: with
 * valid ones it goes through; after the guest set a reserved bit (bit 1) in a present one,
 * it is #GP, which this guest (no IDT) turns into a triple fault: KVM_EXIT_SHUTDOWN. The
 * guest clears bit 5 of the PDPTEs it uses right before each such MOV (no exit in between,
 * as a MOV from CR0 is on stock): QEMU TCG (the AMD host) sets it, as an accessed flag,
 * when it walks them, and bit 5 is reserved in a PAE PDPTE (both KVMs #GP on it).
 */
#include <string.h>

#include "x86_guest.h"

#define LINEAR		0xc0000000U	/* PDPT entry 3 */
#define MAGIC_A		0x5a5a0001U
#define MAGIC_B		0x5a5a0002U
#define PAE_P		0x1ULL		/* PDPTE: present; bits 2:1 and 8:5 reserved */
#define PDE_P_RW	0x3ULL
#define PDE_PS		0x80ULL		/* 2 MiB page */

#define __str(x)	#x
#define str(x)		__str(x)
#define UC(off)		str(GUEST_BLOB_UCALL_GPA + off)

/* SYNC(tag, the word at LINEAR, a control register) */
#define SYNC_READ(tag, cr)							\
	"	movl $" str(UCALL_SYNC) ", " UC(UCALL_OFF_CMD) "\n"		\
	"	movl $3, " UC(UCALL_OFF_NARGS) "\n"				\
	"	movl $" str(tag) ", " UC(UCALL_OFF_ARG(0)) "\n"		\
	"	movl " str(LINEAR) ", %eax\n"					\
	"	movl %eax, " UC(UCALL_OFF_ARG(1)) "\n"				\
	"	mov %" cr ", %eax\n"						\
	"	movl %eax, " UC(UCALL_OFF_ARG(2)) "\n"				\
	"	mov $" str(GUEST_BLOB_UCALL_GPA) ", %eax\n"			\
	"	mov $" str(UCALL_PORT) ", %dx\n"				\
	"	outl %eax, %dx\n"

/* PDPTEs 0 and 3 at EBX (this guest's), bit 5 (QEMU TCG's accessed flag) cleared */
#define CLEAR_PDPTE_A								\
	"	andl $0xffffffdf, (%ebx)\n"					\
	"	andl $0xffffffdf, 24(%ebx)\n"

/* EBX: the first PDPT, ESI: the second (set by the host) */
asm("	.pushsection .rodata.guest_blobs, \"a\"\n"
    "	.code32\n"
    "pae_start:\n"
    "	mov %ebx, %cr3\n"
    "	mov %cr4, %eax\n"
    "	or $0x20, %eax\n"		/* CR4.PAE */
    "	mov %eax, %cr4\n"
    "	mov %cr0, %eax\n"
    "	or $0x80000000, %eax\n"		/* CR0.PG: exits on VMX, the PDPTEs load */
    "	mov %eax, %cr0\n"
    SYNC_READ(1, "cr0")
    SYNC_READ(2, "cr3")
    "	mov %esi, %cr3\n"
    SYNC_READ(3, "cr3")
    SYNC_READ(4, "cr3")
    "pae_direct:\n"
    SYNC_READ(5, "cr3")
    "	movl $" str(UCALL_DONE) ", " UC(UCALL_OFF_CMD) "\n"
    "	movl $0, " UC(UCALL_OFF_NARGS) "\n"
    "	mov $" str(GUEST_BLOB_UCALL_GPA) ", %eax\n"
    "	outl %eax, %dx\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    /* EBX: this vCPU's PDPT, entry 2 present and valid */
    "pae_rsvd_cr0:\n"
    "	mov %cr0, %eax\n"
    "	or $0x40000000, %eax\n"		/* CR0.CD on: the PDPTEs reload, valid */
    CLEAR_PDPTE_A
    "	mov %eax, %cr0\n"
    SYNC_READ(6, "cr0")
    "	mov %cr0, %eax\n"
    "	and $0xbfffffff, %eax\n"
    CLEAR_PDPTE_A
    "	mov %eax, %cr0\n"
    "	orl $2, 16(%ebx)\n"		/* PDPTE 2: a reserved bit */
    "	mov %cr0, %eax\n"
    "	or $0x40000000, %eax\n"
    CLEAR_PDPTE_A
    "	mov %eax, %cr0\n"			/* #GP */
    SYNC_READ(7, "cr0")
    "	hlt\n"
    "pae_rsvd_cr4:\n"
    "	mov %cr4, %eax\n"
    "	xor $0x80, %eax\n"			/* CR4.PGE */
    CLEAR_PDPTE_A
    "	mov %eax, %cr4\n"
    SYNC_READ(8, "cr4")
    "	orl $2, 16(%ebx)\n"
    "	mov %cr4, %eax\n"
    "	xor $0x80, %eax\n"
    CLEAR_PDPTE_A
    "	mov %eax, %cr4\n"			/* #GP */
    SYNC_READ(9, "cr4")
    "	hlt\n"
    "pae_end:\n"
    "	.code64\n"
    "	.popsection\n");
extern const uint8_t pae_start[], pae_direct[], pae_rsvd_cr0[], pae_rsvd_cr4[], pae_end[];

static uint64_t *gpa_u64(struct kvm_vm *vm, uint64_t gpa)
{
	return addr_gpa2hva(vm, gpa);
}

/* PD 0: the first GiB identity-mapped in 2 MiB pages; PD 3: LINEAR -> data via a PT */
static uint64_t build_pdpt(struct kvm_vm *vm, uint64_t pdpt, uint64_t pd0, uint64_t data)
{
	uint64_t pd3 = vm_alloc_pages(vm, 1), pt = vm_alloc_pages(vm, 1);

	gpa_u64(vm, pdpt)[0] = pd0 | PAE_P;
	gpa_u64(vm, pdpt)[3] = pd3 | PAE_P;
	gpa_u64(vm, pd3)[0] = pt | PDE_P_RW;
	gpa_u64(vm, pt)[0] = data | PDE_P_RW;
	return pdpt;
}

static void expect_sync(struct kvm_vcpu *vcpu, uint64_t tag, uint32_t magic, uint64_t cr)
{
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(tag, uc.args[0]);
	TEST_ASSERT(uc.args[1] == magic, "SYNC %llu: the guest read %#llx at %#x, expected %#x",
		    (unsigned long long)tag, (unsigned long long)uc.args[1], LINEAR, magic);
	TEST_ASSERT_EQ(cr, uc.args[2]);
}

static void expect_pae_sregs(struct kvm_vcpu *vcpu, uint64_t cr3)
{
	struct kvm_sregs sregs;

	vcpu_get_sregs(vcpu, &sregs);
	TEST_ASSERT_EQ(X86_CR0_PG | X86_CR0_PE, sregs.cr0 & (X86_CR0_PG | X86_CR0_PE));
	TEST_ASSERT_EQ(X86_CR4_PAE, sregs.cr4 & X86_CR4_PAE);
	TEST_ASSERT_EQ(0, sregs.efer & (EFER_LMA | EFER_LME));
	TEST_ASSERT_EQ(cr3, sregs.cr3);
}

/* A vCPU put into PAE paging by KVM_SET_SREGS, at label (an offset in the blob), EBX = CR3 */
static struct kvm_vcpu *pae_vcpu(struct kvm_vm *vm, int id, const uint8_t *label,
				 uint64_t pdpt)
{
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, id, GUEST_BLOB_CODE_GPA + (label - pae_start));
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_get_sregs(vcpu, &sregs);
	sregs.cr4 |= X86_CR4_PAE;
	sregs.cr3 = pdpt;
	sregs.cr0 |= X86_CR0_PG;
	vcpu_set_sregs(vcpu, &sregs);
	vcpu_get_regs(vcpu, &regs);
	regs.rbx = pdpt;
	vcpu_set_regs(vcpu, &regs);
	return vcpu;
}

/* SDM vol. 3A 4.4.1: MOV to CR0 (CD) and CR4 (PGE) reload the PDPTEs; a bad one is #GP */
static void test_pdpte_reload(struct kvm_vm *vm, uint64_t pd0, uint64_t pdpt_c, uint64_t pdpt_d)
{
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;

	gpa_u64(vm, pdpt_c)[2] = pd0 | PAE_P;
	vcpu = pae_vcpu(vm, 2, pae_rsvd_cr0, pdpt_c);
	vcpu_get_sregs(vcpu, &sregs);
	expect_sync(vcpu, 6, MAGIC_A, sregs.cr0 | X86_CR0_CD);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	TEST_ASSERT_EQ(pd0 | PAE_P | 2, gpa_u64(vm, pdpt_c)[2]);

	gpa_u64(vm, pdpt_d)[2] = pd0 | PAE_P;
	vcpu = pae_vcpu(vm, 3, pae_rsvd_cr4, pdpt_d);
	vcpu_get_sregs(vcpu, &sregs);
	expect_sync(vcpu, 8, MAGIC_A, sregs.cr4 ^ X86_CR4_PGE);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	ksft_test_result_pass("MOV to CR0.CD and CR4.PGE reload the PDPTEs: #GP on a reserved "
			      "bit\n");
}

int main(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_PROT32, 4 * MiB);
	uint64_t pd0 = vm_alloc_pages(vm, 1), tables = vm_alloc_pages(vm, 1);
	uint64_t data_a = vm_alloc_pages(vm, 1), data_b = vm_alloc_pages(vm, 1);
	uint64_t pdpt_a, pdpt_b, pdpt_c, pdpt_d, cr0;
	struct kvm_vcpu *vcpu, *direct;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int i;

	ksft_print_header();
	ksft_set_plan(3);
	TEST_ASSERT(tables < 0x100000000ULL, "PDPTs must be below 4 GiB");
	for (i = 0; i < 512; i++)
		gpa_u64(vm, pd0)[i] = (uint64_t)i * 2 * MiB | PDE_P_RW | PDE_PS;
	/* two PDPTs in one page, 32-byte aligned */
	pdpt_a = build_pdpt(vm, tables, pd0, data_a);
	pdpt_b = build_pdpt(vm, tables + 0x20, pd0, data_b);
	pdpt_c = build_pdpt(vm, tables + 0x40, pd0, data_a);
	pdpt_d = build_pdpt(vm, tables + 0x60, pd0, data_a);
	*(uint32_t *)addr_gpa2hva(vm, data_a) = MAGIC_A;
	*(uint32_t *)addr_gpa2hva(vm, data_b) = MAGIC_B;
	vm_load_blob(vm, GUEST_BLOB_CODE_GPA, pae_start, pae_end);

	vcpu = guest_vcpu_add(vm, 0, GUEST_BLOB_CODE_GPA);
	vcpu_get_regs(vcpu, &regs);
	regs.rbx = pdpt_a;
	regs.rsi = pdpt_b;
	vcpu_set_regs(vcpu, &regs);
	vcpu_get_sregs(vcpu, &sregs);
	cr0 = sregs.cr0 | X86_CR0_PG;

	expect_sync(vcpu, 1, MAGIC_A, cr0);
	expect_pae_sregs(vcpu, pdpt_a);
	expect_sync(vcpu, 2, MAGIC_A, pdpt_a);
	expect_sync(vcpu, 3, MAGIC_B, pdpt_b);
	ksft_test_result_pass("guest MOV to CR0.PG and to CR3: the PDPTEs it names, across exits\n");

	vcpu_get_sregs(vcpu, &sregs);
	sregs.cr3 = pdpt_a;
	vcpu_set_sregs(vcpu, &sregs);
	expect_sync(vcpu, 4, MAGIC_A, pdpt_a);
	expect_sync(vcpu, 5, MAGIC_A, pdpt_a);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);

	direct = guest_vcpu_add(vm, 1, GUEST_BLOB_CODE_GPA + (pae_direct - pae_start));
	vcpu_get_sregs(direct, &sregs);
	sregs.cr4 |= X86_CR4_PAE;
	sregs.cr3 = pdpt_b;
	sregs.cr0 |= X86_CR0_PG;
	vcpu_set_sregs(direct, &sregs);
	expect_pae_sregs(direct, pdpt_b);
	expect_sync(direct, 5, MAGIC_B, pdpt_b);
	vcpu_run_expect_ucall(direct, UCALL_DONE, NULL);
	ksft_test_result_pass("KVM_SET_SREGS into PAE paging: CR3 changed mid-run, a new vCPU\n");

	test_pdpte_reload(vm, pd0, pdpt_c, pdpt_d);

	kvm_vm_free(vm);
	ksft_finished();
}
