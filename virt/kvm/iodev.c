// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices the kernel emulates on the guest's port and memory buses (the in-kernel PIC,
 * IOAPIC, PIT: arch/x86/kvm/{pic,ioapic,pit}.c). Accesses reach them from pio.c and mmio.c
 * before an exit to userspace is considered; ioeventfds and the coalesced ring come after
 * them (a device the kernel emulates answers its own addresses).
 *
 * The set only grows while the VM lives (KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2 add devices
 * once) and goes away with the VM after its vCPUs: readers (vCPU threads) need no lock, a
 * registration publishes the new count with release semantics after the entry is filled.
 */
#include "kvm_core.h"

int kvm_io_device_register(struct kvm *kvm, struct kvm_io_device *dev)
{
	int nr;

	lockdep_assert_held(&kvm->lock);
	nr = kvm->nr_io_devices;
	if (nr >= KVM_MAX_IO_DEVICES)
		return -ENOSPC;
	kvm->io_devices[nr] = dev;
	smp_store_release(&kvm->nr_io_devices, nr + 1);
	return 0;
}

static struct kvm_io_device *find(struct kvm *kvm, bool pio, u64 addr, unsigned int len)
{
	int i, nr = smp_load_acquire(&kvm->nr_io_devices);

	for (i = 0; i < nr; i++) {
		struct kvm_io_device *dev = kvm->io_devices[i];

		if (dev->pio == pio && addr >= dev->addr && addr + len <= dev->addr + dev->len)
			return dev;
	}
	return NULL;
}

bool kvm_io_device_read(struct kvm_vcpu *vcpu, bool pio, u64 addr, unsigned int len,
			void *val)
{
	struct kvm_io_device *dev = find(vcpu->kvm, pio, addr, len);

	return dev && dev->ops->read && !dev->ops->read(vcpu, dev, addr, len, val);
}

bool kvm_io_device_write(struct kvm_vcpu *vcpu, bool pio, u64 addr, unsigned int len,
			 const void *val)
{
	struct kvm_io_device *dev = find(vcpu->kvm, pio, addr, len);

	return dev && dev->ops->write && !dev->ops->write(vcpu, dev, addr, len, val);
}
