// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's own page tables, walked in software for instructions the host completes on
 * the guest's behalf (string port I/O now, the MMIO emulator later): linear address ->
 * guest-physical address in every paging mode of SDM vol. 3A chapter 4 / APM vol. 2
 * chapter 5: none (CR0.PG=0), 32-bit (with 4 MiB pages when CR4.PSE), PAE and 4-level.
 * A failed walk gives the #PF error code to inject (SDM 4.7).
 */
#include "x86.h"

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_US		BIT_ULL(2)
#define PTE_PS		BIT_ULL(7)
#define PTE_NX		BIT_ULL(63)
#define PTE_ADDR_MASK	GENMASK_ULL(51, 12)

#define PFERR_PRESENT	BIT(0)
#define PFERR_WRITE	BIT(1)
#define PFERR_USER	BIT(2)
#define PFERR_FETCH	BIT(4)

static int read_pte(struct kvm_vcpu *vcpu, u64 gpa, u64 *pte, bool pae)
{
	u32 pte32;

	if (pae)
		return kvm_read_guest(vcpu->kvm, gpa, pte, 8);
	if (kvm_read_guest(vcpu->kvm, gpa, &pte32, 4))
		return -EFAULT;
	*pte = pte32;
	return 0;
}

int kvm_gva_to_gpa(struct kvm_vcpu *vcpu, u64 gva, unsigned int access, u64 *gpa,
		   u32 *pf_error)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	u64 cr0 = ops->get_cr(vcpu, 0), cr4 = ops->get_cr(vcpu, 4);
	u64 efer = ops->get_efer(vcpu), table, pte = 0;
	bool user = access & PFERR_USER, write = access & PFERR_WRITE;
	bool pae = cr4 & X86_CR4_PAE, nxe = efer & EFER_NX;
	bool writable = true, usable = true, exec = true;
	int level, levels, shift;

	if (!(cr0 & X86_CR0_PG)) {
		*gpa = gva & 0xffffffffULL;
		return 0;
	}
	if (efer & EFER_LMA) {
		levels = 4;
		table = ops->get_cr(vcpu, 3) & PTE_ADDR_MASK;
	} else if (pae) {
		/* the four PDPTEs at CR3[31:5] */
		levels = 2;
		if (read_pte(vcpu, (ops->get_cr(vcpu, 3) & ~0x1fULL) + ((gva >> 30) & 3) * 8,
			     &pte, true) || !(pte & PTE_P))
			goto fault;
		table = pte & PTE_ADDR_MASK;
		gva &= 0xffffffffULL;
	} else {
		levels = 2;
		table = ops->get_cr(vcpu, 3) & 0xfffff000ULL;
		gva &= 0xffffffffULL;
	}

	for (level = levels; level >= 1; level--) {
		unsigned int index;

		shift = pae || levels == 4 ? 12 + 9 * (level - 1) : 12 + 10 * (level - 1);
		index = (gva >> shift) & (pae || levels == 4 ? 0x1ff : 0x3ff);
		if (read_pte(vcpu, table + index * (pae || levels == 4 ? 8 : 4), &pte,
			     pae || levels == 4) || !(pte & PTE_P))
			goto fault;
		writable &= !!(pte & PTE_RW);
		usable &= !!(pte & PTE_US);
		if (nxe && (pte & PTE_NX))
			exec = false;
		if (level > 1 && (pte & PTE_PS) &&
		    (level == 2 || (level == 3 && levels == 4)) &&
		    (pae || levels == 4 || (cr4 & X86_CR4_PSE))) {
			/* a large page: the rest of the address is the offset (bits 20:13 of a
			 * 4 MiB 32-bit entry extend the address, SDM 4.3) */
			u64 base = pte & PTE_ADDR_MASK & ~((1ULL << shift) - 1);

			if (!pae && levels == 2)
				base = (pte & 0xffc00000ULL) | ((pte & 0x1fe000ULL) << 19);
			*gpa = base | (gva & ((1ULL << shift) - 1));
			goto check;
		}
		table = pte & PTE_ADDR_MASK;
	}
	*gpa = table | (gva & 0xfff);
check:
	if ((user && !usable) || (write && !writable && (user || (cr0 & X86_CR0_WP))) ||
	    ((access & PFERR_FETCH) && !exec)) {
		*pf_error = access | PFERR_PRESENT;
		return -EACCES;
	}
	return 0;
fault:
	*pf_error = access;
	return -EFAULT;
}
