// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's RDMSR/WRMSR as the backends hand them over, and what userspace may do about
 * them: KVM_X86_SET_MSR_FILTER (api.rst 4.97) denies MSRs by bitmap ranges, and
 * KVM_CAP_X86_USER_SPACE_MSR (api.rst 7.21, "kvm_run" KVM_EXIT_X86_RDMSR/WRMSR) sends the
 * accesses that would raise #GP (unknown MSRs, invalid values, filtered ones, as the VMM
 * chose) to userspace, which answers with the data or an error on the next KVM_RUN.
 *
 * The filter is read under RCU by the vCPUs and replaced under kvm->lock. MSRs the
 * hardware switches for the guest (FS/GS base, SYSCALL, SYSENTER: the backend's
 * passthrough_msrs) never reach this file: while a VM's filter denies one of them, the
 * backends intercept every MSR instead (kvm_msr_filter_intercept_all()). A filter that
 * leaves them alone, as QEMU's (MSR_CORE_THREAD_COUNT and a few others), keeps the guest's
 * FS/GS base writes at every task switch free of exits.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/rcupdate.h>

#include "x86.h"
#include "kvm_trace.h"

#define MSR_FILTER_RANGE_FLAGS	(KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE)
#define MSR_EXIT_REASONS	(KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_UNKNOWN | \
				 KVM_MSR_EXIT_REASON_FILTER)
/* api.rst 4.97: the x2APIC MSRs are never filtered */
#define MSR_X2APIC_BASE		0x800
#define MSR_X2APIC_END		0x900

struct kvm_msr_filter_range_k {
	u32 flags;			/* KVM_MSR_FILTER_READ / _WRITE */
	u32 base;
	u32 nmsrs;
	unsigned long *bitmap;		/* a 1 bit allows the access */
};

struct kvm_msr_filter_k {
	struct rcu_head rcu;
	bool default_deny;
	bool intercept_all;		/* it denies an MSR the backend passes through */
	int nr_ranges;
	struct kvm_msr_filter_range_k ranges[KVM_MSR_FILTER_MAX_RANGES];
};

static void filter_free(struct kvm_msr_filter_k *f)
{
	int i;

	if (!f)
		return;
	for (i = 0; i < f->nr_ranges; i++)
		kfree(f->ranges[i].bitmap);
	kfree(f);
}

/* api.rst 4.97: the first range that covers the MSR for this kind of access decides */
static bool filter_allows(const struct kvm_msr_filter_k *f, u32 index, bool write)
{
	u32 kind = write ? KVM_MSR_FILTER_WRITE : KVM_MSR_FILTER_READ;
	int i;

	if (index >= MSR_X2APIC_BASE && index < MSR_X2APIC_END)
		return true;
	for (i = 0; i < f->nr_ranges; i++) {
		const struct kvm_msr_filter_range_k *r = &f->ranges[i];

		if (!(r->flags & kind) || index < r->base || index - r->base >= r->nmsrs)
			continue;
		return test_bit(index - r->base, r->bitmap);
	}
	return !f->default_deny;
}

static bool filter_denies_passthrough(const struct kvm_msr_filter_k *f)
{
	unsigned int i;

	for (i = 0; i < kvm_x86_vendor->nr_passthrough_msrs; i++) {
		u32 msr = kvm_x86_vendor->passthrough_msrs[i];

		if (!filter_allows(f, msr, false) || !filter_allows(f, msr, true))
			return true;
	}
	return false;
}

/* a copy of userspace's filter; NULL with *err 0 when it filters nothing (no ranges, allow) */
static struct kvm_msr_filter_k *filter_copy(const struct kvm_msr_filter *uf, int *err)
{
	struct kvm_msr_filter_k *f;
	size_t bytes;
	int i;

	*err = -EINVAL;
	if (uf->flags & ~KVM_MSR_FILTER_DEFAULT_DENY)
		return NULL;

	*err = -ENOMEM;
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return NULL;
	f->default_deny = uf->flags & KVM_MSR_FILTER_DEFAULT_DENY;
	for (i = 0; i < KVM_MSR_FILTER_MAX_RANGES; i++) {
		const struct kvm_msr_filter_range *r = &uf->ranges[i];
		struct kvm_msr_filter_range_k *k = &f->ranges[f->nr_ranges];

		if (!r->nmsrs)
			continue;
		/*
		 * Range by range, checks and copy together: the first bad range decides the
		 * errno (EINVAL or EFAULT), as in Linux KVM.
		 */
		/* nmsrs compared as it is: DIV_ROUND_UP() of a u32 near 4G wraps to 0 */
		if (!r->flags || (r->flags & ~MSR_FILTER_RANGE_FLAGS) ||
		    r->nmsrs > KVM_MSR_FILTER_MAX_BITMAP_SIZE * BITS_PER_BYTE) {
			*err = -EINVAL;
			goto err;
		}
		/* a whole number of longs for test_bit(), the bytes userspace gave */
		bytes = DIV_ROUND_UP(r->nmsrs, BITS_PER_BYTE);
		k->bitmap = kzalloc(BITS_TO_LONGS(r->nmsrs) * sizeof(long), GFP_KERNEL_ACCOUNT);
		if (!k->bitmap)
			goto err;
		if (copy_from_user(k->bitmap, u64_to_user_ptr((u64)(uintptr_t)r->bitmap), bytes)) {
			kfree(k->bitmap);
			*err = -EFAULT;
			goto err;
		}
		k->flags = r->flags;
		k->base = r->base;
		k->nmsrs = r->nmsrs;
		f->nr_ranges++;
	}
	if (!f->nr_ranges) {
		filter_free(f);
		/* api.rst 4.97: no ranges disables filtering; default deny is invalid then */
		*err = (uf->flags & KVM_MSR_FILTER_DEFAULT_DENY) ? -EINVAL : 0;
		return NULL;
	}
	f->intercept_all = filter_denies_passthrough(f);
	*err = 0;
	return f;
err:
	filter_free(f);
	return NULL;
}

long kvm_vm_ioctl_set_msr_filter(struct kvm *kvm, void __user *argp)
{
	struct kvm_msr_filter_k *f, *old;
	struct kvm_msr_filter *uf;
	int r;

	uf = memdup_user(argp, sizeof(*uf));
	if (IS_ERR(uf))
		return PTR_ERR(uf);
	f = filter_copy(uf, &r);
	kfree(uf);
	if (r)
		return r;

	mutex_lock(&kvm->lock);
	old = rcu_dereference_protected(kvm->arch.msr_filter, lockdep_is_held(&kvm->lock));
	rcu_assign_pointer(kvm->arch.msr_filter, f);
	mutex_unlock(&kvm->lock);
	/*
	 * vCPUs in the guest now may be running with the MSR permission maps of the old
	 * filter (no filter: some MSRs not intercepted): make them exit, so that their next
	 * entry chooses again. An access they handle meanwhile sees the old or the new filter.
	 */
	kvm_kick_vcpus_sync(kvm);
	if (old) {
		synchronize_rcu();
		filter_free(old);
	}
	return 0;
}

void kvm_msr_filter_destroy(struct kvm *kvm)
{
	filter_free(rcu_dereference_protected(kvm->arch.msr_filter, 1));
	RCU_INIT_POINTER(kvm->arch.msr_filter, NULL);
}

/*
 * Whether the backends must intercept every MSR access of this VM's guests: its filter
 * denies one of the MSRs they otherwise let the guest use directly.
 */
bool kvm_msr_filter_intercept_all(struct kvm *kvm)
{
	const struct kvm_msr_filter_k *f;
	bool all;

	rcu_read_lock();
	f = rcu_dereference(kvm->arch.msr_filter);
	all = f && f->intercept_all;
	rcu_read_unlock();
	return all;
}
EXPORT_SYMBOL_GPL(kvm_msr_filter_intercept_all);

static bool msr_allowed(struct kvm *kvm, u32 index, bool write)
{
	const struct kvm_msr_filter_k *f;
	bool allowed = true;

	rcu_read_lock();
	f = rcu_dereference(kvm->arch.msr_filter);
	if (f)
		allowed = filter_allows(f, index, write);
	rcu_read_unlock();
	return allowed;
}

/* api.rst 7.21: args[0] is the mask of KVM_MSR_EXIT_REASON_* to send to userspace */
int kvm_vm_enable_user_space_msr(struct kvm *kvm, u64 reasons)
{
	if (reasons & ~(u64)MSR_EXIT_REASONS)
		return -EINVAL;
	WRITE_ONCE(kvm->arch.user_space_msr_mask, reasons);
	return 0;
}

/* The instruction completed: past it, and an STI / MOV SS shadow does not outlive it */
static void msr_insn_done(struct kvm_vcpu *vcpu, u64 next_rip)
{
	vcpu->arch.regs[VCPU_REGS_RIP] = next_rip;
	kvm_x86_vendor->set_interrupt_shadow(vcpu, 0);
}

/**
 * kvm_emulate_msr_access - the guest's RDMSR or WRMSR, from the backend's exit handler
 * @vcpu: the vCPU; ECX holds the MSR, EDX:EAX the value of a write
 * @write: WRMSR
 * @next_rip: where the guest goes on when the instruction completes
 *
 * Returns 1 to re-enter the guest (done, or #GP queued), 0 after filling kvm_run for a
 * KVM_EXIT_X86_RDMSR/WRMSR that kvm_complete_msr() finishes on the next KVM_RUN.
 */
int kvm_emulate_msr_access(struct kvm_vcpu *vcpu, bool write, u64 next_rip)
{
	unsigned long *regs = vcpu->arch.regs;
	struct kvm_run *run = vcpu->run;
	u32 index = regs[VCPU_REGS_RCX];
	u64 data = (u32)regs[VCPU_REGS_RAX] | (u64)(u32)regs[VCPU_REGS_RDX] << 32;
	u32 reason;
	int r;

	if (!msr_allowed(vcpu->kvm, index, write)) {
		reason = KVM_MSR_EXIT_REASON_FILTER;
	} else {
		r = write ? kvm_msr_write(vcpu, index, data, false) :
			    kvm_msr_read(vcpu, index, &data, false);
		/* kvm.ignore_msrs, unless the VMM asked to handle unknown MSRs itself */
		if (r == KVM_MSR_UNKNOWN &&
		    !(READ_ONCE(vcpu->kvm->arch.user_space_msr_mask) & KVM_MSR_EXIT_REASON_UNKNOWN) &&
		    kvm_msr_ignored(vcpu, index, &data, write, false))
			r = 0;
		if (!r) {
			if (!write) {
				regs[VCPU_REGS_RAX] = (u32)data;
				regs[VCPU_REGS_RDX] = data >> 32;
			}
			trace_kvm_msr(write, index, data, false);
			msr_insn_done(vcpu, next_rip);
			return 1;
		}
		reason = r == KVM_MSR_UNKNOWN ? KVM_MSR_EXIT_REASON_UNKNOWN :
						KVM_MSR_EXIT_REASON_INVAL;
	}
	if (!(READ_ONCE(vcpu->kvm->arch.user_space_msr_mask) & reason)) {
		trace_kvm_msr(write, index, data, true);
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	memset(&run->msr, 0, sizeof(run->msr));
	run->exit_reason = write ? KVM_EXIT_X86_WRMSR : KVM_EXIT_X86_RDMSR;
	run->msr.reason = reason;
	run->msr.index = index;
	run->msr.data = write ? data : 0;
	vcpu->arch.msr_user.pending = true;
	vcpu->arch.msr_user.write = write;
	vcpu->arch.msr_user.next_rip = next_rip;
	return 0;
}
EXPORT_SYMBOL_GPL(kvm_emulate_msr_access);

/*
 * At the start of KVM_RUN: userspace answered a KVM_EXIT_X86_RDMSR/WRMSR ("kvm_run":
 * error 1 is #GP for the guest, else a read's data goes to EDX:EAX and the guest goes on).
 */
void kvm_complete_msr(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (!vcpu->arch.msr_user.pending)
		return;
	vcpu->arch.msr_user.pending = false;
	if (run->msr.error) {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);
		return;
	}
	if (!vcpu->arch.msr_user.write) {
		vcpu->arch.regs[VCPU_REGS_RAX] = (u32)run->msr.data;
		vcpu->arch.regs[VCPU_REGS_RDX] = run->msr.data >> 32;
	}
	msr_insn_done(vcpu, vcpu->arch.msr_user.next_rip);
}
