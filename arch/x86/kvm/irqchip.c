// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_CREATE_IRQCHIP (api.rst 4.24) and KVM_GET/SET_IRQCHIP (4.26, 4.27): the PIC pair
 * (pic.c) and the IOAPIC (ioapic.c) of a VM, created once before its first vCPU.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "kvm_core.h"
#include "irq.h"
#include "pic.h"

/* irqchip_mode written under kvm->lock with release; readers load it with acquire */
static bool irqchip_kernel(struct kvm *kvm)
{
	return smp_load_acquire(&kvm->arch.irqchip_mode) == KVM_IRQCHIP_KERNEL;
}

long kvm_vm_ioctl_create_irqchip(struct kvm *kvm)
{
	long r;

	mutex_lock(&kvm->lock);
	r = -EEXIST;
	if (kvm->arch.irqchip_mode != KVM_IRQCHIP_NONE)
		goto out;
	/* the LAPICs are made with the vCPUs: none may exist yet */
	r = -EINVAL;
	if (kvm->created_vcpus)
		goto out;
	/* the device bus cannot take devices back: make sure all of them fit first */
	r = -ENOSPC;
	if (kvm->nr_io_devices + KVM_PIC_IO_DEVICES + KVM_IOAPIC_IO_DEVICES >
	    KVM_MAX_IO_DEVICES)
		goto out;

	/* a failed earlier attempt may have left them allocated: reuse */
	r = kvm->arch.vpic ? 0 : kvm_pic_create(kvm);
	if (!r && !kvm->arch.vioapic)
		r = kvm_ioapic_create(kvm);
	if (r)
		goto out;
	r = kvm_irq_routing_default(kvm);
	if (r)
		goto out;
	/* cannot fail: there is room, checked above under the same lock */
	r = kvm_pic_register(kvm);
	if (!r)
		r = kvm_ioapic_register(kvm);
	if (WARN_ON_ONCE(r))
		goto out;
	smp_store_release(&kvm->arch.irqchip_mode, KVM_IRQCHIP_KERNEL);
out:
	mutex_unlock(&kvm->lock);
	return r;
}

long kvm_vm_ioctl_irqchip_state(struct kvm *kvm, void __user *argp, bool set)
{
	struct kvm_irqchip *chip;
	long r;

	if (!irqchip_kernel(kvm))
		return -ENXIO;
	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);

	r = 0;
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		if (set)
			kvm_pic_set_state(kvm, chip->chip_id, &chip->chip.pic);
		else
			kvm_pic_get_state(kvm, chip->chip_id, &chip->chip.pic);
		break;
	case KVM_IRQCHIP_IOAPIC:
		if (set)
			kvm_ioapic_set_state(kvm, &chip->chip.ioapic);
		else
			kvm_ioapic_get_state(kvm, &chip->chip.ioapic);
		break;
	default:
		r = -EINVAL;
		break;
	}
	if (!r && !set && copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
	kfree(chip);
	return r;
}

/* kvm_arch_destroy_vm, after the vCPUs: nothing can reach the devices any more */
void kvm_irqchip_destroy(struct kvm *kvm)
{
	kvm_ioapic_destroy(kvm);
	kvm_pic_destroy(kvm);
}
