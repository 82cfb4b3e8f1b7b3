// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/kvm and VM file descriptors: the system ioctls, VM creation and lifetime, and the
 * dispatch of VM ioctls to the arch code. ABI: Documentation/virt/kvm/api.rst, sections
 * "General description" and "API description" (4.1 KVM_GET_API_VERSION, 4.2 KVM_CREATE_VM,
 * 4.4 KVM_CHECK_EXTENSION, 4.5 KVM_GET_VCPU_MMAP_SIZE).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "kvm_core.h"

MODULE_AUTHOR("The kvm-independent authors");
MODULE_DESCRIPTION("Hardware-assisted virtualization core (/dev/kvm, KVM API version 12)");
MODULE_LICENSE("GPL");

/* Every live VM. Lock order: kvm_vm_list_lock is a leaf. */
static DEFINE_MUTEX(kvm_vm_list_lock);
static LIST_HEAD(kvm_vm_list);		/* kvm_vm_list_lock */

void kvm_get_vm(struct kvm *kvm)
{
	refcount_inc(&kvm->users);
}

static void kvm_destroy_vm(struct kvm *kvm)
{
	struct module *owner = kvm->owner;

	mutex_lock(&kvm_vm_list_lock);
	list_del(&kvm->vm_list);
	mutex_unlock(&kvm_vm_list_lock);

	/* irqfds inject into vCPUs and chips: gone first */
	kvm_irqfd_release(kvm);
	/* no callback runs after this, and every nested mapping is gone (release) */
	kvm_mmu_notifier_unregister(kvm);
	kvm_destroy_vcpus(kvm);
	kvm_arch_destroy_vm(kvm);
	kvm_memslots_destroy(kvm);
	kvm_coalesced_mmio_destroy(kvm);
	kvm_ioeventfd_destroy(kvm);
	cleanup_srcu_struct(&kvm->srcu);
	mmdrop(kvm->mm);
	kfree(kvm);
	preempt_notifier_dec();
	module_put(owner);
}

void kvm_put_vm(struct kvm *kvm)
{
	if (refcount_dec_and_test(&kvm->users))
		kvm_destroy_vm(kvm);
}

/*
 * A VM stays on the list until kvm_destroy_vm() takes it off, before anything is freed: under
 * kvm_vm_list_lock its vCPUs can be read (racily: see arch/x86/kvm/vcpu_show.c).
 */
void kvm_show_vms(struct seq_file *m)
{
	struct kvm_vcpu *vcpu;
	unsigned long i;
	struct kvm *kvm;
	int n = 0;

	mutex_lock(&kvm_vm_list_lock);
	list_for_each_entry(kvm, &kvm_vm_list, vm_list) {
		seq_printf(m, "vm %d: %d vCPUs\n", n++, atomic_read(&kvm->online_vcpus));
		kvm_arch_vm_show(m, kvm);
		xa_for_each(&kvm->vcpus, i, vcpu)
			kvm_arch_vcpu_show(m, vcpu);
	}
	mutex_unlock(&kvm_vm_list_lock);
}

/*
 * Capabilities answered by the core for /dev/kvm and VM fds alike. Only what truly works
 * is reported (api.rst 4.4: "0 if unsupported"); the arch adds its own.
 */
static long kvm_check_extension(struct kvm *kvm, long cap)
{
	switch (cap) {
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_USER_MEMORY:
#if KVM_HAVE_USER_MEMORY2
	case KVM_CAP_USER_MEMORY2:
#endif
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_ENABLE_CAP_VM:
	/* guest memory follows the host mm (mmu_notifier.c): api.rst 4.35 */
	case KVM_CAP_SYNC_MMU:
	/* guest writes to a KVM_MEM_READONLY slot exit as MMIO (arch/x86/kvm/mmio.c) */
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_COALESCED_PIO:
	/* api.rst 4.59: doorbells of any length too (eventfd.c) */
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	case KVM_CAP_BINARY_STATS_FD:	/* api.rst 4.133 (stats.c) */
	case KVM_CAP_HALT_POLL:		/* api.rst 7.20 (halt_poll.c) */
		return 1;
	/* api.rst 4.116: where the ring is in the vCPU mmap area */
	case KVM_CAP_COALESCED_MMIO:
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	/* api.rst 7.18: the flags KVM_ENABLE_CAP accepts */
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;

	default:
		return kvm_arch_check_extension(kvm, cap);
	}
}

static int kvm_vm_release(struct inode *inode, struct file *filp)
{
	kvm_put_vm(filp->private_data);
	return 0;
}

static long kvm_vm_ioctl_set_user_memory_region(struct kvm *kvm, void __user *argp)
{
	struct kvm_userspace_memory_region mem;

	if (copy_from_user(&mem, argp, sizeof(mem)))
		return -EFAULT;
	return kvm_vm_ioctl_set_memory_region(kvm, &mem);
}

#if KVM_HAVE_USER_MEMORY2
/*
 * api.rst 4.140 KVM_SET_USER_MEMORY_REGION2: the fields of KVM_SET_USER_MEMORY_REGION, with
 * the same checks, and a guest_memfd binding (KVM_MEM_GUEST_MEMFD). No VM type here has
 * private memory, so that flag is refused (-EINVAL) as any unknown flag is, and without it
 * guest_memfd and guest_memfd_offset are not looked at (nor is the padding).
 */
static long kvm_vm_ioctl_set_user_memory_region2(struct kvm *kvm, void __user *argp)
{
	struct kvm_userspace_memory_region2 mem2;
	struct kvm_userspace_memory_region mem;

	if (copy_from_user(&mem2, argp, sizeof(mem2)))
		return -EFAULT;
	mem.slot = mem2.slot;
	mem.flags = mem2.flags;
	mem.guest_phys_addr = mem2.guest_phys_addr;
	mem.memory_size = mem2.memory_size;
	mem.userspace_addr = mem2.userspace_addr;
	return kvm_vm_ioctl_set_memory_region(kvm, &mem);
}
#endif

/*
 * api.rst 4.37 KVM_ENABLE_CAP on a VM fd: flags must be 0; unknown capabilities are EINVAL
 * (x86 KVM enables its own ones here too, none of which is implemented yet).
 */
static long kvm_vm_ioctl_enable_cap(struct kvm *kvm, void __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	switch (cap.cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return kvm_vm_ioctl_enable_dirty_log_cap(kvm, cap.args[0]);
	case KVM_CAP_HALT_POLL:
		return kvm_vm_enable_halt_poll(kvm, cap.args[0]);
	default:
		return kvm_arch_vm_enable_cap(kvm, &cap);
	}
}

static long kvm_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm *kvm = filp->private_data;

	/*
	 * api.rst "General description": a VM is bound to the address space that created it;
	 * ioctls from another process (e.g. after fork) fail with -EIO.
	 */
	if (kvm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CHECK_EXTENSION:
		return kvm_check_extension(kvm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		return kvm_vm_ioctl_set_user_memory_region(kvm, (void __user *)arg);
#if KVM_HAVE_USER_MEMORY2
	case KVM_SET_USER_MEMORY_REGION2:
		return kvm_vm_ioctl_set_user_memory_region2(kvm, (void __user *)arg);
#endif
	case KVM_CREATE_VCPU:
		return kvm_vm_ioctl_create_vcpu(kvm, arg);
	case KVM_ENABLE_CAP:
		return kvm_vm_ioctl_enable_cap(kvm, (void __user *)arg);
	case KVM_GET_DIRTY_LOG:
		return kvm_vm_ioctl_get_dirty_log(kvm, (void __user *)arg);
	case KVM_CLEAR_DIRTY_LOG:
		return kvm_vm_ioctl_clear_dirty_log(kvm, (void __user *)arg);
	case KVM_IOEVENTFD:
		return kvm_vm_ioctl_ioeventfd(kvm, (void __user *)arg);
	case KVM_IRQFD:
		return kvm_vm_ioctl_irqfd(kvm, (void __user *)arg);
	case KVM_GET_STATS_FD:
		return kvm_vm_stats_fd(kvm);
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO:
		return kvm_vm_ioctl_coalesced_mmio(kvm, (void __user *)arg,
						   ioctl == KVM_REGISTER_COALESCED_MMIO);
	default:
		return kvm_arch_vm_ioctl(filp, ioctl, arg);
	}
}

/* .owner is set to the vendor module at registration: an open VM pins it */
static struct file_operations kvm_vm_fops = {
	.release	= kvm_vm_release,
	.unlocked_ioctl	= kvm_vm_ioctl,
	.compat_ioctl	= kvm_vm_ioctl,
	.llseek		= noop_llseek,
};

static int kvm_create_vm(unsigned long type)
{
	struct file *file;
	struct kvm *kvm;
	int fd, r;

	kvm = kzalloc(sizeof(*kvm), GFP_KERNEL_ACCOUNT);
	if (!kvm)
		return -ENOMEM;
	refcount_set(&kvm->users, 1);
	INIT_LIST_HEAD(&kvm->vm_list);
	mutex_init(&kvm->lock);
	xa_init(&kvm->vcpus);
	kvm_irqfd_init(kvm);

	if (!try_module_get(kvm_vm_fops.owner)) {
		r = -ENODEV;
		goto err_free;
	}
	kvm->owner = kvm_vm_fops.owner;

	r = init_srcu_struct(&kvm->srcu);
	if (r)
		goto err_module;
	r = kvm_coalesced_mmio_init(kvm);
	if (r)
		goto err_coalesced;
	r = kvm_memslots_init(kvm);
	if (r)
		goto err_coalesced;
	r = kvm_arch_init_vm(kvm, type);
	if (r)
		goto err_memslots;

	mmgrab(current->mm);
	kvm->mm = current->mm;
	r = kvm_mmu_notifier_register(kvm);
	if (r)
		goto err_arch;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_notifier;
	}
	file = anon_inode_getfile("kvm-vm", &kvm_vm_fops, kvm, O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto err_fd;
	}

	mutex_lock(&kvm_vm_list_lock);
	list_add(&kvm->vm_list, &kvm_vm_list);
	mutex_unlock(&kvm_vm_list_lock);
	/* vCPUs follow their threads across CPUs with preempt notifiers */
	preempt_notifier_inc();

	fd_install(fd, file);
	return fd;

err_fd:
	put_unused_fd(fd);
err_notifier:
	kvm_mmu_notifier_unregister(kvm);
err_arch:
	mmdrop(kvm->mm);
	kvm_arch_destroy_vm(kvm);
err_memslots:
	kvm_memslots_destroy(kvm);
err_coalesced:
	kvm_coalesced_mmio_destroy(kvm);
	kvm_ioeventfd_destroy(kvm);
	cleanup_srcu_struct(&kvm->srcu);
err_module:
	module_put(kvm->owner);
err_free:
	kfree(kvm);
	return r;
}

/*
 * api.rst 4.5: the vCPU mmap area is the kvm_run page, then the PIO data page
 * (KVM_PIO_PAGE_OFFSET) and the coalesced-MMIO ring (KVM_COALESCED_MMIO_PAGE_OFFSET).
 */
static long kvm_vcpu_mmap_size(void)
{
	return PAGE_SIZE * (KVM_COALESCED_MMIO_PAGE_OFFSET + 1);
}

static long kvm_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION_NUMBER;
	case KVM_CREATE_VM:
		return kvm_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvm_check_extension(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return kvm_vcpu_mmap_size();
	default:
		return kvm_arch_dev_ioctl(filp, ioctl, arg);
	}
}

/* .owner is set to the vendor module at registration: an open /dev/kvm pins it */
static struct file_operations kvm_dev_fops = {
	.unlocked_ioctl	= kvm_dev_ioctl,
	.compat_ioctl	= kvm_dev_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvm_dev = {
	.minor	= KVM_MINOR,
	.name	= "kvm",
	.fops	= &kvm_dev_fops,
};

int kvm_core_register(struct module *vendor)
{
	int r;

	kvm_dev_fops.owner = vendor;
	kvm_vm_fops.owner = vendor;
	kvm_vcpu_fops.owner = vendor;
	kvm_stats_fops.owner = vendor;
	r = misc_register(&kvm_dev);
	if (r)
		pr_err("kvm: cannot register /dev/kvm (misc minor %d): %d\n", KVM_MINOR, r);
	return r;
}

void kvm_core_unregister(void)
{
	misc_deregister(&kvm_dev);
	/* Every VM pinned the vendor module, so none can be left once it unregisters. */
	WARN_ON_ONCE(!list_empty(&kvm_vm_list));
}
