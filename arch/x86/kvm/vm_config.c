// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM-wide configuration that userspace sets before (or while) it creates vCPUs: the boot CPU
 * (api.rst 4.41 KVM_SET_BOOT_CPU_ID), the vCPU id limit (7.32 KVM_CAP_MAX_VCPU_ID), the quirks
 * it turns off (7.31 KVM_CAP_DISABLE_QUIRKS2), triple faults as vCPU events
 * (KVM_CAP_X86_TRIPLE_FAULT_EVENT, api.rst 4.31/4.32 KVM_GET/SET_VCPU_EVENTS) and the MMU page
 * budget (KVM_SET/GET_NR_MMU_PAGES, ioctls of <linux/kvm.h> that api.rst does not describe),
 * the exits it turns off (7.13 KVM_CAP_X86_DISABLE_EXITS) and emulation failures as exits
 * (7.27 KVM_CAP_EXIT_ON_EMULATION_FAILURE). All under kvm->lock (struct kvm_arch).
 */
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <asm/cpufeature.h>

#include "x86.h"
#include "memslot.h"

/* The fewest MMU pages KVM_SET_NR_MMU_PAGES accepts (KVM's own floor) */
#define KVM_MIN_MMU_PAGES	64

bool kvm_vcpu_is_bsp(struct kvm_vcpu *vcpu)
{
	return vcpu->vcpu_id == vcpu->kvm->arch.bsp_vcpu_id;
}

bool kvm_quirk_enabled(struct kvm *kvm, u64 quirk)
{
	return !(READ_ONCE(kvm->arch.disabled_quirks) & quirk);
}

/* api.rst 4.41: before any vCPU exists (EBUSY after), an id a vCPU may have (EINVAL) */
long kvm_vm_ioctl_set_boot_cpu_id(struct kvm *kvm, unsigned long id)
{
	long r = 0;

	mutex_lock(&kvm->lock);
	if (kvm->created_vcpus)
		r = -EBUSY;
	else if (id >= (kvm->arch.max_vcpu_ids ?: KVM_MAX_VCPU_IDS))
		r = -EINVAL;
	else
		kvm->arch.bsp_vcpu_id = id;
	mutex_unlock(&kvm->lock);
	return r;
}

/*
 * api.rst 7.32: the limit (ids below it) can be set once, to at most KVM_MAX_VCPU_IDS, and
 * only until the first vCPU is created, which fixes it (kvm_vm_vcpu_id_allowed()). Setting
 * the value it already has is not a change. Nor may it go below the BSP's id set with
 * KVM_SET_BOOT_CPU_ID (equal is allowed, as the stock 6.12 does: Linux 6.12's
 * max_vcpuid_cap_test).
 */
static int enable_max_vcpu_id(struct kvm *kvm, u64 max)
{
	int r = -EINVAL;

	if (max > KVM_MAX_VCPU_IDS)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	if (kvm->arch.bsp_vcpu_id > max) {
		r = -EINVAL;
	} else if (kvm->arch.max_vcpu_ids == max) {
		r = 0;
	} else if (!kvm->arch.max_vcpu_ids && !kvm->created_vcpus) {
		kvm->arch.max_vcpu_ids = max;
		r = 0;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

/* Under kvm->lock, at KVM_CREATE_VCPU: whether id is below the limit, which it fixes */
bool kvm_vm_vcpu_id_allowed(struct kvm *kvm, unsigned int id)
{
	lockdep_assert_held(&kvm->lock);
	if (!kvm->arch.max_vcpu_ids)
		kvm->arch.max_vcpu_ids = KVM_MAX_VCPU_IDS;
	return id < kvm->arch.max_vcpu_ids;
}

/* api.rst 7.31: a subset of what KVM_CHECK_EXTENSION reports; each call sets the whole set */
static int disable_quirks(struct kvm *kvm, u64 quirks)
{
	if (quirks & ~KVM_QUIRKS_DISABLEABLE)
		return -EINVAL;
	mutex_lock(&kvm->lock);
	WRITE_ONCE(kvm->arch.disabled_quirks, quirks);
	mutex_unlock(&kvm->lock);
	return 0;
}

/*
 * api.rst 7.13: the exits KVM_CAP_X86_DISABLE_EXITS may turn off. HLT: the guest halts the
 * physical CPU until an interrupt makes it exit. PAUSE: never intercepted here (no PAUSE
 * filter or PAUSE-loop exiting), so there is nothing to turn off. CSTATE: on Intel, the
 * guest may read the core C-state residency MSRs; AMD has none, and our Intel backend does
 * not pass them through yet (they #GP as before): accepted, nothing changes. MWAIT only where
 * the guest's MWAIT cannot harm the host: the CPU has a working MONITOR/MWAIT and its local
 * APIC timer keeps running in deep C-states (ARAT, CPUID 6 EAX[2]), else a guest waiting in
 * MWAIT could stop the host's timer on that CPU.
 */
u32 kvm_disable_exits_allowed(void)
{
	u32 allowed = KVM_X86_DISABLE_EXITS_HLT | KVM_X86_DISABLE_EXITS_PAUSE |
		      KVM_X86_DISABLE_EXITS_CSTATE;

	if (boot_cpu_has(X86_FEATURE_MWAIT) && boot_cpu_has(X86_FEATURE_ARAT) &&
	    !boot_cpu_has_bug(X86_BUG_MONITOR))
		allowed |= KVM_X86_DISABLE_EXITS_MWAIT;
	return allowed;
}

/*
 * api.rst 7.13: EINVAL for a bit not allowed; the bits add to those already set (none is
 * turned back on). Linux 6.12 accepts the capability after vCPUs exist (its kvm_pv_test
 * enables it then); a vCPU's intercepts follow the bits it was created with, while
 * KVM_SET_CPUID2 drops KVM_FEATURE_PV_UNHALT from then on (cpuid.c).
 */
static int disable_exits(struct kvm *kvm, u64 exits)
{
	if (exits & ~(u64)kvm_disable_exits_allowed())
		return -EINVAL;
	mutex_lock(&kvm->lock);
	WRITE_ONCE(kvm->arch.disabled_exits, kvm->arch.disabled_exits | (u32)exits);
	mutex_unlock(&kvm->lock);
	return 0;
}

int kvm_vm_config_enable_cap(struct kvm *kvm, struct kvm_enable_cap *cap)
{
	switch (cap->cap) {
	case KVM_CAP_X86_DISABLE_EXITS:
		return disable_exits(kvm, cap->args[0]);
	case KVM_CAP_EXIT_ON_EMULATION_FAILURE:
		/* api.rst 7.27: args[0] turns it on or off (mmio.c) */
		WRITE_ONCE(kvm->arch.exit_on_emulation_error, !!cap->args[0]);
		return 0;
	case KVM_CAP_MAX_VCPU_ID:
		return enable_max_vcpu_id(kvm, cap->args[0]);
	case KVM_CAP_DISABLE_QUIRKS2:
		return disable_quirks(kvm, cap->args[0]);
	case KVM_CAP_X2APIC_API:
		/* api.rst 7.7: 32-bit APIC ids in the LAPIC state and MSIs, no 0xff broadcast */
		if (cap->args[0] & ~KVM_X2APIC_API_VALID)
			return -EINVAL;
		mutex_lock(&kvm->lock);
		WRITE_ONCE(kvm->arch.x2apic_api, cap->args[0]);
		mutex_unlock(&kvm->lock);
		return 0;
	case KVM_CAP_X86_TRIPLE_FAULT_EVENT:
		mutex_lock(&kvm->lock);
		WRITE_ONCE(kvm->arch.triple_fault_event, !!cap->args[0]);
		mutex_unlock(&kvm->lock);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * KVM_SET/GET_NR_MMU_PAGES: the page budget of KVM's shadow MMU. Nested paging needs no shadow
 * pages, so the number is only checked and kept (KVM does the same with TDP); until set,
 * KVM_GET_NR_MMU_PAGES reports the floor.
 */
/*
 * KVM_GET_NR_MMU_PAGES with no number set: what Linux KVM sizes its shadow-page budget to
 * when memslots are created or deleted, one page per 50 of memory, 64 at least; 0 while the
 * VM has no memory. (After every slot is deleted again Linux KVM says 64, this 0.)
 */
static long default_mmu_pages(struct kvm *kvm)
{
	const struct kvm_memslots *slots;
	u64 pages = 0;
	int i, idx;
	bool any;

	idx = srcu_read_lock(&kvm->srcu);
	slots = srcu_dereference(kvm->memslots, &kvm->srcu);
	any = slots && slots->nr;
	for (i = 0; slots && i < slots->nr; i++)
		pages += slots->slots[i].npages;
	srcu_read_unlock(&kvm->srcu, idx);
	if (!any)
		return 0;
	return max_t(u64, pages / 50, KVM_MIN_MMU_PAGES);
}

long kvm_vm_ioctl_nr_mmu_pages(struct kvm *kvm, unsigned int ioctl, unsigned long arg)
{
	long r = 0;

	if (ioctl == KVM_GET_NR_MMU_PAGES && !READ_ONCE(kvm->arch.nr_mmu_pages))
		return default_mmu_pages(kvm);
	mutex_lock(&kvm->lock);
	if (ioctl == KVM_GET_NR_MMU_PAGES)
		r = kvm->arch.nr_mmu_pages ?: KVM_MIN_MMU_PAGES;
	else if (arg < KVM_MIN_MMU_PAGES)
		r = -EINVAL;
	else
		kvm->arch.nr_mmu_pages = arg;
	mutex_unlock(&kvm->lock);
	return r;
}
