// SPDX-License-Identifier: GPL-2.0-only
/*
 * PAE paging (32-bit paging with CR4.PAE, outside IA-32e mode) on VMX with EPT.
 *
 * The CPU keeps the four page-directory-pointer-table entries in registers, loaded when
 * CR3 is written or paging is switched on (SDM vol. 3A 4.4.1). With EPT they are guest-state
 * fields of the VMCS (24.4.2): VM entry loads them from there (26.3.2.4, after checking
 * their reserved bits, 26.3.1.6) and VM exit stores the CPU's copies back (27.3.4). A guest
 * MOV to CR3 or CR4 that does not exit loads them itself; they need reading from guest
 * memory only when this module changes what they depend on: KVM_SET_SREGS, and the CR0
 * (PG is host-owned), CR4 and CR3 writes that exit and are emulated here.
 */
#include <linux/string.h>

#include "vmx.h"
#include "x86.h"
#include "memslot.h"

bool vmx_pae_paging(struct vcpu_vmx *vmx)
{
	return (vmx_cr0(vmx) & X86_CR0_PG) && (vmx_cr4(vmx) & X86_CR4_PAE) &&
	       !(vmx_efer(vmx) & EFER_LMA);
}

/*
 * The PDPTEs at CR3 (bits 31:5) into the cache; 4.4.1: in a present entry, bits 2:1, 8:5
 * and MAXPHYADDR-63 are reserved. -EINVAL for a reserved bit, -EFAULT for memory without
 * a slot: as MOV to CR0/CR3/CR4 would #GP, the cached PDPTEs are then left alone unless
 * @force (KVM_SET_SREGS: the entry's own check reports a bad one, as KVM_EXIT_FAIL_ENTRY).
 * Nothing to do, and 0, outside PAE paging.
 */
int vmx_load_pdptrs(struct kvm_vcpu *vcpu, bool force)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	u64 pdpte[4] = {};
	int r;

	if (!vmx_pae_paging(vmx))
		return 0;
	r = kvm_read_pae_pdptrs(vcpu, vmx_cr3(vmx), pdpte);
	if (!r || force) {
		memcpy(vmx->cache.pdptr, pdpte, sizeof(pdpte));
		vmx_cache_set(vmx, VMX_GS_PDPTRS);
	}
	return r;
}

/* VMX_GS_PDPTRS dirty: outside PAE paging the fields are not used (26.3.2.4) */
void vmx_write_pdptrs(struct vcpu_vmx *vmx)
{
	int i;

	if (vmx_pae_paging(vmx))
		for (i = 0; i < 4; i++)
			vmcs_write(GUEST_PDPTE0 + 2 * i, vmx->cache.pdptr[i]);
}

/* VMX_GS_PDPTRS not available: the guest's MOV to CR3 loads them without an exit */
void vmx_read_pdptrs(struct vcpu_vmx *vmx)
{
	int i;

	if (vmx_pae_paging(vmx))
		for (i = 0; i < 4; i++)
			vmx->cache.pdptr[i] = vmcs_read(GUEST_PDPTE0 + 2 * i);
}
