// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPUs: KVM_CREATE_VCPU (api.rst 4.7), the vCPU file descriptor (ioctls, mmap of the
 * kvm_run area, api.rst 4.5), loading and putting a vCPU on a physical CPU (preempt
 * notifiers follow the thread across reschedules), and kicking vCPUs out of guest mode.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include "kvm_core.h"

static inline struct kvm_vcpu *preempt_notifier_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct kvm_vcpu, preempt_notifier);
}

static void kvm_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct kvm_vcpu *vcpu = preempt_notifier_to_vcpu(pn);

	WRITE_ONCE(vcpu->cpu, cpu);
	kvm_arch_vcpu_load(vcpu, cpu);
}

static void kvm_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	struct kvm_vcpu *vcpu = preempt_notifier_to_vcpu(pn);

	kvm_arch_vcpu_put(vcpu);
	WRITE_ONCE(vcpu->cpu, -1);
}

static struct preempt_ops kvm_preempt_ops = {
	.sched_in = kvm_sched_in,
	.sched_out = kvm_sched_out,
};

/* Make vcpu the one loaded on this CPU until vcpu_put(); vcpu->mutex held. */
void vcpu_load(struct kvm_vcpu *vcpu)
{
	int cpu = get_cpu();

	WRITE_ONCE(vcpu->cpu, cpu);
	preempt_notifier_register(&vcpu->preempt_notifier);
	kvm_arch_vcpu_load(vcpu, cpu);
	put_cpu();
}

void vcpu_put(struct kvm_vcpu *vcpu)
{
	preempt_disable();
	kvm_arch_vcpu_put(vcpu);
	preempt_notifier_unregister(&vcpu->preempt_notifier);
	WRITE_ONCE(vcpu->cpu, -1);
	preempt_enable();
}

static void kvm_kick_ipi(void *unused)
{
	/* nothing to do: taking the interrupt is what forced the #VMEXIT */
}

/*
 * Every vCPU that may be in guest mode takes an IPI, which makes it leave guest mode
 * (physical interrupts are intercepted); this returns when all of them handled it. A vCPU
 * that enters after its mode was read here sees whatever the caller changed before (the
 * caller orders its change before this call; entry sets mode before checking).
 */
void kvm_kick_vcpus_sync(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	int cpu, me;

	smp_mb();
	me = get_cpu();
	kvm_for_each_vcpu(i, vcpu, kvm) {
		cpu = READ_ONCE(vcpu->cpu);
		if (READ_ONCE(vcpu->mode) == IN_GUEST_MODE && cpu >= 0 && cpu != me)
			smp_call_function_single(cpu, kvm_kick_ipi, NULL, 1);
	}
	put_cpu();
}

static vm_fault_t kvm_vcpu_fault(struct vm_fault *vmf)
{
	struct kvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	switch (vmf->pgoff) {
	case 0:
		page = virt_to_page(vcpu->run);
		break;
	case KVM_PIO_PAGE_OFFSET:
		page = vcpu->pio_page;
		break;
	case KVM_COALESCED_MMIO_PAGE_OFFSET:
		page = kvm_coalesced_mmio_page(vcpu->kvm);
		break;
	default:
		return VM_FAULT_SIGBUS;
	}
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvm_vcpu_vm_ops = {
	.fault = kvm_vcpu_fault,
};

static int kvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvm_vcpu_vm_ops;
	return 0;
}

static int kvm_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvm_vcpu *vcpu = filp->private_data;

	kvm_put_vm(vcpu->kvm);
	return 0;
}

static long kvm_vcpu_ioctl_run(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct pid *old, *new;

	if (arg)
		return -EINVAL;
	old = rcu_access_pointer(vcpu->pid);
	if (unlikely(old != task_pid(current))) {
		/* the thread running this vCPU changed: remember it (for kicks, stats) */
		new = get_task_pid(current, PIDTYPE_PID);
		rcu_assign_pointer(vcpu->pid, new);
		/* a kick may still be using the old pid; the first KVM_RUN has none to wait for */
		if (old) {
			synchronize_rcu();
			put_pid(old);
		}
	}
	return kvm_arch_vcpu_ioctl(vcpu, KVM_RUN, 0);
}

/* api.rst 4.34 KVM_SET_SIGNAL_MASK: signals blocked while the guest runs */
static long kvm_vcpu_ioctl_set_signal_mask(struct kvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_signal_mask hdr;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, argp + sizeof(hdr), sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

static long kvm_vcpu_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm_vcpu *vcpu = filp->private_data;
	long r;

	/* api.rst "General description": only the VM's creator process may use it */
	if (vcpu->kvm->mm != current->mm)
		return -EIO;
	if (unlikely(_IOC_TYPE(ioctl) != KVMIO))
		return -EINVAL;
	/* touches no vCPU state: a monitor gets it while the vCPU runs */
	if (ioctl == KVM_GET_STATS_FD)
		return kvm_vcpu_stats_fd(vcpu);
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;

	switch (ioctl) {
	case KVM_RUN:
		r = kvm_vcpu_ioctl_run(vcpu, arg);
		break;
	case KVM_SET_SIGNAL_MASK:
		r = kvm_vcpu_ioctl_set_signal_mask(vcpu, (void __user *)arg);
		break;
	default:
		r = kvm_arch_vcpu_ioctl(vcpu, ioctl, arg);
		break;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

/* .owner is set with the VM fops at registration */
struct file_operations kvm_vcpu_fops = {
	.release	= kvm_vcpu_release,
	.unlocked_ioctl	= kvm_vcpu_ioctl,
	.compat_ioctl	= kvm_vcpu_ioctl,
	.mmap		= kvm_vcpu_mmap,
	.llseek		= noop_llseek,
};

static void kvm_vcpu_free(struct kvm_vcpu *vcpu)
{
	put_pid(rcu_dereference_protected(vcpu->pid, 1));
	if (vcpu->pio_page)
		__free_page(vcpu->pio_page);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

static struct kvm_vcpu *kvm_vcpu_alloc(struct kvm *kvm, unsigned int id)
{
	struct kvm_vcpu *vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);

	if (!vcpu)
		return NULL;
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	preempt_notifier_init(&vcpu->preempt_notifier, &kvm_preempt_ops);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu->run || !vcpu->pio_page) {
		kvm_vcpu_free(vcpu);
		return NULL;
	}
	return vcpu;
}

static struct kvm_vcpu *kvm_find_vcpu_by_id(struct kvm *kvm, int id)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm)
		if (vcpu->vcpu_id == id)
			return vcpu;
	return NULL;
}

long kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id)
{
	struct kvm_vcpu *vcpu;
	char name[24];
	long r;

	if (id >= KVM_MAX_VCPU_IDS)
		return -EINVAL;

	mutex_lock(&kvm->lock);
	if (kvm->created_vcpus >= KVM_MAX_VCPUS) {
		mutex_unlock(&kvm->lock);
		return -EINVAL;
	}
	r = kvm_arch_vcpu_precreate(kvm, id);
	if (r) {
		mutex_unlock(&kvm->lock);
		return r;
	}
	kvm->created_vcpus++;
	mutex_unlock(&kvm->lock);

	r = -ENOMEM;
	vcpu = kvm_vcpu_alloc(kvm, id);
	if (!vcpu)
		goto err_count;
	r = kvm_arch_vcpu_create(vcpu);
	if (r)
		goto err_free;

	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm_find_vcpu_by_id(kvm, id))
		goto err_unlock;
	vcpu->vcpu_idx = atomic_read(&kvm->online_vcpus);
	r = xa_insert(&kvm->vcpus, vcpu->vcpu_idx, vcpu, GFP_KERNEL_ACCOUNT);
	if (r)
		goto err_unlock;

	/* the fd holds a VM reference; taken before the fd can be closed */
	kvm_get_vm(kvm);
	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	r = anon_inode_getfd(name, &kvm_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (r < 0) {
		xa_erase(&kvm->vcpus, vcpu->vcpu_idx);
		mutex_unlock(&kvm->lock);
		kvm_put_vm(kvm);
		goto err_arch;
	}
	/* publish last: a vCPU counted online is complete */
	smp_wmb();
	atomic_inc(&kvm->online_vcpus);
	mutex_unlock(&kvm->lock);
	return r;

err_unlock:
	mutex_unlock(&kvm->lock);
err_arch:
	kvm_arch_vcpu_destroy(vcpu);
err_free:
	kvm_vcpu_free(vcpu);
err_count:
	mutex_lock(&kvm->lock);
	kvm->created_vcpus--;
	mutex_unlock(&kvm->lock);
	return r;
}

/* The VM is going away: no fd refers to it any more, so no vCPU ioctl can run. */
void kvm_destroy_vcpus(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;

	kvm_for_each_vcpu(i, vcpu, kvm) {
		kvm_arch_vcpu_destroy(vcpu);
		kvm_vcpu_free(vcpu);
	}
	xa_destroy(&kvm->vcpus);
	atomic_set(&kvm->online_vcpus, 0);
}
