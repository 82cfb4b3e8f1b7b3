// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 common code of kvm.ko: registration of the vendor backend (kvm-amd / kvm-intel) and
 * the arch side of the system and VM ioctls.
 */
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "compat.h"
#include "x86.h"
#include "pic.h"
#include "pit.h"

/* The registered backend; NULL when none. Written under kvm_vendor_lock. */
const struct kvm_x86_ops *kvm_x86_vendor;
EXPORT_SYMBOL_GPL(kvm_x86_vendor);
static DEFINE_MUTEX(kvm_vendor_lock);

long kvm_arch_check_extension(struct kvm *kvm, long cap)
{
	bool vcpus = kvm_x86_vendor && kvm_x86_vendor->vcpu_create;

	switch (cap) {
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_EXT_CPUID:		/* a /dev/kvm ioctl: works with either backend */
	case KVM_CAP_GET_MSR_FEATURES:	/* api.rst 4.3, 4.18 on /dev/kvm (msr.c) */
		return 1;
	/* a backend without vCPU support (kvm-intel, for now) reports none of these */
	case KVM_CAP_NR_VCPUS:
		return vcpus ? min_t(int, num_online_cpus(), KVM_MAX_VCPUS) : 0;
	case KVM_CAP_MAX_VCPUS:
		return vcpus ? KVM_MAX_VCPUS : 0;
	case KVM_CAP_MAX_VCPU_ID:
		return vcpus ? KVM_MAX_VCPU_IDS : 0;
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_XSAVE:
	case KVM_CAP_XCRS:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_VCPU_EVENTS:	/* api.rst 4.31/4.32 */
	case KVM_CAP_USER_NMI:		/* api.rst 4.55 KVM_NMI */
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_VCPU_ATTRIBUTES:	/* KVM_VCPU_TSC_CTRL (vcpu.c) */
		return vcpus;
	/*
	 * api.rst 4.134 KVM_GET_XSAVE2: the bytes it and KVM_SET_XSAVE copy, at least 4096.
	 * The features a guest may have here (x87, SSE, AVX: XFEATURES_ALLOWED) fit in those
	 * 4096, so the size is that of struct kvm_xsave (also without XSAVE, as stock).
	 */
	case KVM_CAP_XSAVE2:
		return vcpus ? sizeof(struct kvm_xsave) : 0;
	case KVM_CAP_SYNC_REGS:		/* api.rst 6.74: the kvm_run->s.regs sets (run.c) */
		return vcpus ? KVM_SYNC_X86_VALID_FIELDS : 0;
	case KVM_CAP_SET_GUEST_DEBUG2:	/* the control bits KVM_SET_GUEST_DEBUG accepts */
		return vcpus ? KVM_GUESTDBG_SUPPORTED : 0;
	case KVM_CAP_MP_STATE:		/* api.rst 4.38/4.39 */
	/* the in-kernel local APIC (lapic.c) */
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_VAPIC:		/* KVM_SET_VAPIC_ADDR (lapic_vapic.c) */
		return vcpus;
	case KVM_CAP_MCE:		/* api.rst 4.104-4.106: the banks a vCPU may have */
		return vcpus ? KVM_MAX_MCE_BANKS : 0;
	/*
	 * api.rst 4.52: the routing table size. KVM_SET_GSI_ROUTING needs an in-kernel irqchip
	 * (EINVAL without one, as on Linux KVM); QEMU asks for the capability at startup even
	 * with kernel-irqchip=off.
	 */
	case KVM_CAP_IRQ_ROUTING:
		return KVM_MAX_IRQ_ROUTES;
	case KVM_CAP_IRQCHIP:		/* api.rst 4.24-4.27 (irqchip.c) */
	case KVM_CAP_IRQ_INJECT_STATUS:	/* api.rst 4.25 KVM_IRQ_LINE_STATUS (irq.c) */
	case KVM_CAP_IRQFD:		/* api.rst 4.75 (virt/kvm/irqfd.c) */
	case KVM_CAP_IRQFD_RESAMPLE:
		return 1;
	case KVM_CAP_MSR_PLATFORM_INFO:	/* api.rst 7.15 (msr.c) */
	case KVM_CAP_X86_MSR_FILTER:	/* api.rst 4.97, 7.21 (msr_filter.c) */
		return 1;
	case KVM_CAP_X86_USER_SPACE_MSR:
		return vcpus;
	case KVM_CAP_PIT2:		/* api.rst 4.71-4.73, 4.99: the in-kernel PIT */
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
		return 1;
	/* VM configuration (vm_config.c) */
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_X86_TRIPLE_FAULT_EVENT:
	case KVM_CAP_MMU_SHADOW_CACHE_CONTROL:
		return 1;
	case KVM_CAP_X86_DISABLE_EXITS:		/* api.rst 7.13 (vm_config.c) */
		return vcpus ? kvm_disable_exits_allowed() : 0;
	case KVM_CAP_EXIT_ON_EMULATION_FAILURE:	/* api.rst 7.27 (mmio.c) */
		return vcpus;
#if KVM_HAVE_PRE_FAULT_MEMORY
	case KVM_CAP_PRE_FAULT_MEMORY:		/* api.rst 4.143 (mmu/tdp.c) */
		return vcpus;
#endif
	case KVM_CAP_DISABLE_QUIRKS2:
		return KVM_QUIRKS_DISABLEABLE;
	case KVM_CAP_X2APIC_API:
		return KVM_X2APIC_API_VALID;
	/* kvmclock.c: the flags KVM_GET_CLOCK may return */
	case KVM_CAP_ADJUST_CLOCK:
		return KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
	case KVM_CAP_KVMCLOCK_CTRL:
	case KVM_CAP_ENFORCE_PV_FEATURE_CPUID:	/* api.rst 8.28 (pv.c) */
	case KVM_CAP_GET_TSC_KHZ:		/* api.rst 4.56 (tsc.c) */
		return vcpus;
	/*
	 * api.rst 4.55: KVM_SET_TSC_KHZ exists on vCPU and VM (tsc.c), but these two say TSC
	 * scaling, which is not used: 0, as Linux KVM on a host without it
	 */
	case KVM_CAP_TSC_CONTROL:
	case KVM_CAP_VM_TSC_CONTROL:
		return 0;
	default:
		/* api.rst 4.4: 0 for everything not implemented */
		return 0;
	}
}

/* /dev/kvm ioctls unknown to x86 KVM fail with -EINVAL, not -ENOTTY */
long kvm_arch_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_SUPPORTED_CPUID:
		return kvm_dev_ioctl_get_supported_cpuid(argp);
	case KVM_GET_MSR_INDEX_LIST:
		return kvm_dev_ioctl_get_msr_index_list(argp);
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return kvm_dev_ioctl_get_feature_msr_index_list(argp);
	case KVM_GET_MSRS:
		return kvm_dev_ioctl_get_feature_msrs(argp);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvm_dev_ioctl_get_mce_cap(argp);
	default:
		return -EINVAL;
	}
}

/*
 * api.rst 4.48 KVM_SET_TSS_ADDR: three pages below 4 GiB that VMX needs for real mode without
 * unrestricted guest. Both backends here run real mode natively, so the address is only kept.
 */
static long kvm_vm_ioctl_set_tss_addr(struct kvm *kvm, unsigned long addr)
{
	if (addr > (unsigned int)(-3 * PAGE_SIZE))
		return -EINVAL;
	mutex_lock(&kvm->lock);
	kvm->tss_addr = addr;
	mutex_unlock(&kvm->lock);
	return 0;
}

/*
 * api.rst 4.40 KVM_SET_IDENTITY_MAP_ADDR: kept, as above. "Fails if any VCPU has already
 * been created": EINVAL, checked before the argument is read (as Linux KVM does).
 */
static long kvm_vm_ioctl_set_identity_map_addr(struct kvm *kvm, void __user *argp)
{
	u64 addr;
	long r = -EFAULT;

	mutex_lock(&kvm->lock);
	if (kvm->created_vcpus)
		r = -EINVAL;
	else if (!copy_from_user(&addr, argp, sizeof(addr))) {
		kvm->identity_map_addr = addr;
		r = 0;
	}
	mutex_unlock(&kvm->lock);
	return r;
}

long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	struct kvm *kvm = filp->private_data;

	switch (ioctl) {
	case KVM_SET_GSI_ROUTING:
		return kvm_vm_ioctl_set_gsi_routing(kvm, (void __user *)arg);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		return kvm_vm_ioctl_irq_line(kvm, (void __user *)arg,
					     ioctl == KVM_IRQ_LINE_STATUS);
	case KVM_SIGNAL_MSI:
		return kvm_vm_ioctl_signal_msi(kvm, (void __user *)arg);
	case KVM_SET_TSS_ADDR:
		return kvm_vm_ioctl_set_tss_addr(kvm, arg);
	case KVM_CREATE_IRQCHIP:
		return kvm_vm_ioctl_create_irqchip(kvm);
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return kvm_vm_ioctl_irqchip_state(kvm, (void __user *)arg, ioctl == KVM_SET_IRQCHIP);
	case KVM_SET_IDENTITY_MAP_ADDR:
		return kvm_vm_ioctl_set_identity_map_addr(kvm, (void __user *)arg);
	case KVM_X86_SET_MSR_FILTER:
		return kvm_vm_ioctl_set_msr_filter(kvm, (void __user *)arg);
	case KVM_CREATE_PIT:
	case KVM_CREATE_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
		return kvm_pit_vm_ioctl(kvm, ioctl, (void __user *)arg);
	case KVM_SET_BOOT_CPU_ID:
		return kvm_vm_ioctl_set_boot_cpu_id(kvm, arg);
	case KVM_SET_NR_MMU_PAGES:
	case KVM_GET_NR_MMU_PAGES:
		return kvm_vm_ioctl_nr_mmu_pages(kvm, ioctl, arg);
	case KVM_GET_CLOCK:
	case KVM_SET_CLOCK:
		return kvmclock_vm_ioctl(kvm, ioctl, (void __user *)arg);
	case KVM_GET_TSC_KHZ:
	case KVM_SET_TSC_KHZ:
		return kvm_vm_ioctl_tsc_khz(kvm, ioctl, arg);
	default:
		return -ENOTTY;
	}
}

/* Guest-physical addresses are bounded by the host's MAXPHYADDR (nested paging maps them). */
int kvm_arch_check_gfn_range(struct kvm *kvm, u64 base_gfn, u64 npages)
{
	u64 max_gfn = (1ULL << (boot_cpu_data.x86_phys_bits - PAGE_SHIFT)) - 1;

	if (base_gfn + npages - 1 > max_gfn)
		return -EINVAL;
	return 0;
}

/* api.rst 4.2: x86 knows one machine type, KVM_X86_DEFAULT_VM (0) */
int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	if (type)
		return -EINVAL;
	kvm->arch.guest_reads_platform_info = true;	/* as on Linux KVM */
	kvmclock_init_vm(kvm);
	kvm_tsc_init_vm(kvm);
	kvm_irq_init(kvm);
	return kvm_tdp_init(kvm);
}

void kvm_arch_destroy_vm(struct kvm *kvm)
{
	kvm_pit_destroy(kvm);
	kvm_irqchip_destroy(kvm);
	kvm_tdp_destroy(kvm);
	kvm_irq_routing_destroy(kvm);
	kvm_msr_filter_destroy(kvm);
}

/* kvm_arch_io_read/write (kvm_core.h): the local APIC's page, in lapic.c */

/* api.rst 4.37 KVM_ENABLE_CAP on a VM: the x86 ones */
int kvm_arch_vm_enable_cap(struct kvm *kvm, struct kvm_enable_cap *cap)
{
	switch (cap->cap) {
	case KVM_CAP_SPLIT_IRQCHIP:
		return kvm_vm_enable_split_irqchip(kvm, cap->args[0]);
	case KVM_CAP_MSR_PLATFORM_INFO:
		WRITE_ONCE(kvm->arch.guest_reads_platform_info, !!cap->args[0]);
		return 0;
	case KVM_CAP_X86_USER_SPACE_MSR:
		return kvm_vm_enable_user_space_msr(kvm, cap->args[0]);
	default:
		return kvm_vm_config_enable_cap(kvm, cap);
	}
}

int kvm_arch_hardware_enable(void)
{
	return kvm_x86_vendor->hardware_enable();
}

void kvm_arch_hardware_disable(void)
{
	kvm_x86_vendor->hardware_disable();
}

/**
 * kvm_x86_vendor_register - make a backend the one serving /dev/kvm
 * @ops: the backend's ops; must stay valid until kvm_x86_vendor_unregister()
 *
 * Checks the CPU, turns virtualization on on every online CPU, then exposes /dev/kvm.
 * Returns 0, or a negative errno after one log line saying why.
 */
int kvm_x86_vendor_register(const struct kvm_x86_ops *ops)
{
	int r;

	mutex_lock(&kvm_vendor_lock);
	if (kvm_x86_vendor) {
		pr_err("kvm: %s cannot load: %s is already loaded\n", ops->name,
		       kvm_x86_vendor->name);
		r = -EBUSY;
		goto out_unlock;
	}

	r = ops->check_processor();
	if (r)
		goto out_unlock;

	r = ops->hardware_setup();
	if (r)
		goto out_unlock;

	kvm_x86_vendor = ops;
	r = kvm_hardware_enable_all();
	if (r)
		goto err_unsetup;

	r = kvm_core_register(ops->owner);
	if (r)
		goto err_disable;

	kvm_stat_set_vendor_names(ops->exit_prefix, ops->exit_names, ops->nr_exit_names);
	pr_info("kvm: %s ready: /dev/kvm (API version %d)\n", ops->name,
		KVM_API_VERSION_NUMBER);
	mutex_unlock(&kvm_vendor_lock);
	return 0;

err_disable:
	kvm_hardware_disable_all();
err_unsetup:
	kvm_x86_vendor = NULL;
	ops->hardware_unsetup();
out_unlock:
	mutex_unlock(&kvm_vendor_lock);
	return r;
}
EXPORT_SYMBOL_GPL(kvm_x86_vendor_register);

void kvm_x86_vendor_unregister(const struct kvm_x86_ops *ops)
{
	mutex_lock(&kvm_vendor_lock);
	if (!WARN_ON_ONCE(kvm_x86_vendor != ops)) {
		kvm_core_unregister();
		kvm_stat_set_vendor_names(NULL, NULL, 0);
		kvm_hardware_disable_all();
		ops->hardware_unsetup();
		kvm_x86_vendor = NULL;
	}
	mutex_unlock(&kvm_vendor_lock);
}
EXPORT_SYMBOL_GPL(kvm_x86_vendor_unregister);

static int __init kvm_x86_init(void)
{
	int r;

	kvm_params_init();
	kvm_run_init();
	kvm_stats_init();
	r = kvmclock_module_init();
	if (r)
		goto err_stats;
	r = kvm_irqfd_module_init();
	if (r)
		goto err_clock;
	return 0;
err_clock:
	kvmclock_module_exit();
err_stats:
	kvm_stats_exit();
	return r;
}
module_init(kvm_x86_init);

static void __exit kvm_x86_exit(void)
{
	kvm_irqfd_module_exit();
	kvmclock_module_exit();
	kvm_stats_exit();
}
module_exit(kvm_x86_exit);
