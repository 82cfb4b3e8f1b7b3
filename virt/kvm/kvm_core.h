/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interface between the arch-independent core (virt/kvm) and the arch code
 * (arch/x86/kvm). Not ABI: userspace sees only <linux/kvm.h>.
 */
#ifndef VIRT_KVM_KVM_CORE_H
#define VIRT_KVM_KVM_CORE_H

#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/srcu.h>

#include <linux/preempt.h>
#include <linux/xarray.h>

struct seq_file;

#include "kvm_arch.h"
#include "memslot.h"

#define KVM_API_VERSION_NUMBER	12

/*
 * Statistics every VM and vCPU has whatever the arch (api.rst 4.133 KVM_GET_STATS_FD; their
 * descriptors are in stats.c, the arch's own ones in struct kvm_arch / kvm_vcpu_arch). Read
 * racily (READ_ONCE) by the stats fd while they change.
 */
struct kvm_vm_stat_common {
	atomic64_t remote_tlb_flush_requests;	/* kvm_arch_flush_remote_tlbs() calls */
	atomic64_t remote_tlb_flush;		/* ... that had vCPUs to flush */
};

struct kvm_vcpu_stat_common {			/* vcpu to write */
	u64 halt_successful_poll;		/* halts whose wakeup came while polling */
	u64 halt_attempted_poll;		/* halts that polled */
	u64 halt_poll_success_ns;		/* time polled in the successful ones */
	u64 halt_poll_fail_ns;			/* ... and in the others */
	u64 halt_wakeup;			/* waits for an event that ended with one */
	u64 halt_wait_ns;			/* time spent in them */
	u64 blocking;				/* 1 while in one */
};

/* add to a statistic of the vCPU (or the vCPU's VM under the lock that tags it) */
#define kvm_stat_add(stat, n)	WRITE_ONCE(stat, (stat) + (n))
#define kvm_stat_inc(stat)	kvm_stat_add(stat, 1)

/*
 * One statistic in a stats fd: a u64 at offset bytes into struct kvm (VM statistics) or
 * struct kvm_vcpu (vCPU statistics). flags: KVM_STATS_TYPE_*, KVM_STATS_UNIT_*,
 * KVM_STATS_BASE_*.
 */
struct kvm_stat_def {
	const char *name;
	u32 flags;
	s16 exponent;
	u32 offset;
};

#define KVM_STAT_COUNTER	(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | \
				 KVM_STATS_BASE_POW10)
#define KVM_STAT_INSTANT	(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE | \
				 KVM_STATS_BASE_POW10)
#define KVM_VM_STAT(field, name, flags, exp) \
	{ name, flags, exp, offsetof(struct kvm, field) }
#define KVM_VCPU_STAT(field, name, flags, exp) \
	{ name, flags, exp, offsetof(struct kvm_vcpu, field) }

struct kvm_vcpu;

/*
 * A device the kernel emulates on the port (pio) or memory bus, at [addr, addr + len)
 * (iodev.c). read/write return 0 when they completed the access, nonzero to let it go on to
 * userspace (say, a width the device does not decode). Called in vCPU context, preemptible.
 */
struct kvm_io_device;
struct kvm_io_device_ops {
	int (*read)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
		    unsigned int len, void *val);
	int (*write)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, u64 addr,
		     unsigned int len, const void *val);
};

struct kvm_io_device {
	const struct kvm_io_device_ops *ops;
	bool pio;
	u64 addr, len;
};

#define KVM_MAX_IO_DEVICES	8

/*
 * One virtual machine. Lives as long as its VM file descriptor and every other holder of a
 * reference (kvm_get_vm/kvm_put_vm); freed by the last put.
 */
struct kvm {
	refcount_t users;		/* atomic */
	struct mm_struct *mm;		/* creator's mm, mmgrab()ed; immutable */
	struct list_head vm_list;	/* kvm_vm_list_lock */
	struct module *owner;		/* vendor module pinned by this VM; immutable */

	struct mutex lock;		/* vCPU creation, VM-wide configuration */
	struct xarray vcpus;		/* index vcpu_idx; lock to add, read with RCU */
	int created_vcpus;		/* lock */
	atomic_t online_vcpus;		/* vCPUs in the xarray; read without lock */
	u64 tss_addr;			/* lock */
	u64 identity_map_addr;		/* lock */

	struct mutex slots_lock;	/* serializes memslot updates, dirty log ioctls */
	struct srcu_struct srcu;	/* readers of memslots */
	struct kvm_memslots __rcu *memslots;	/* slots_lock to write, srcu to read */
	/* KVM_DIRTY_LOG_* flags of KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (dirty.c); slots_lock */
	u64 manual_dirty_log_protect;

	/* coalesced MMIO/PIO (coalesced_mmio.c): the ring page, its zones (lock to replace) */
	struct kvm_coalesced_mmio_ring *coalesced_ring;	/* immutable */
	spinlock_t coalesced_lock;			/* writers of the ring */
	struct kvm_coalesced_zones __rcu *coalesced_zones;
	/* KVM_IOEVENTFD doorbells (eventfd.c); lock to replace, RCU to read */
	struct kvm_ioeventfds __rcu *ioeventfds;
	/* in-kernel devices (iodev.c): lock to add, never removed before the VM goes */
	struct kvm_io_device *io_devices[KVM_MAX_IO_DEVICES];
	int nr_io_devices;		/* smp_store_release / smp_load_acquire */

	/* KVM_IRQFD (irqfd.c) */
	struct kvm_irqfds {
		struct mutex lock;		/* assign, deassign, teardown; resamplers */
		spinlock_t items_lock;		/* items; taken in eventfd wakeups, IRQs off */
		struct list_head items;		/* items_lock (and lock to add) */
		struct list_head resamplers;	/* lock */
	} irqfds;

	/* follows kvm->mm for the nested page tables (mmu_notifier.c); registered once */
	struct mmu_notifier mmu_notifier;

	struct kvm_vm_stat_common stat;
	/* pages of the memslots KSM merged, as last counted (merge_stat.c); WRITE_ONCE */
	u64 ksm_merged_pages;
	/*
	 * KVM_CAP_HALT_POLL (api.rst 7.20): the VM's own maximum polling window in ns, which
	 * replaces the halt_poll_ns module parameter once set (halt_poll.c); WRITE_ONCE /
	 * READ_ONCE, it may change while vCPUs halt
	 */
	unsigned int max_halt_poll_ns;
	bool override_halt_poll_ns;
	struct kvm_arch arch;
};

/* vcpu->mode: whether the vCPU may be in guest mode, for kicks (see kvm_kick_vcpus) */
enum { OUTSIDE_GUEST_MODE, IN_GUEST_MODE };

/*
 * One virtual CPU: lives from KVM_CREATE_VCPU until the VM is destroyed (its fd holds a
 * reference to the VM, so the VM outlives every vCPU fd).
 */
struct kvm_vcpu {
	struct kvm *kvm;			/* immutable */
	int vcpu_id;				/* immutable: the KVM_CREATE_VCPU argument */
	int vcpu_idx;				/* immutable: creation order */
	struct kvm_run *run;			/* the shared page; vcpu */
	struct page *pio_page;			/* KVM_PIO_PAGE_OFFSET; vcpu */
	struct mutex mutex;			/* held by every vCPU ioctl */
	struct pid __rcu *pid;			/* thread of the last KVM_RUN */
	int cpu;				/* physical CPU while loaded, else -1 */
	int mode;				/* OUTSIDE/IN_GUEST_MODE; smp_store_mb */
	bool sigset_active;			/* vcpu */
	sigset_t sigset;			/* vcpu: KVM_SET_SIGNAL_MASK */
	struct preempt_notifier preempt_notifier;
	struct kvm_vcpu_stat_common stat;
	unsigned int halt_poll_ns;		/* vcpu: polling window (halt_poll.c) */
	struct kvm_vcpu_arch arch;
};

/* halt_poll.c, for the arch's blocking */
u64 kvm_vcpu_halt_poll_window(struct kvm_vcpu *vcpu);
void kvm_vcpu_halt_poll_done(struct kvm_vcpu *vcpu, u64 polled_ns, u64 wait_ns, bool success);
int kvm_vm_enable_halt_poll(struct kvm *kvm, u64 max_ns);

/* core -> arch (arch/x86/kvm/x86.c) */
long kvm_arch_check_extension(struct kvm *kvm, long cap);
long kvm_arch_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg);
long kvm_arch_vm_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg);
int kvm_arch_init_vm(struct kvm *kvm, unsigned long type);
/* KVM_ENABLE_CAP on a VM for a capability the core does not know (-EINVAL: none) */
int kvm_arch_vm_enable_cap(struct kvm *kvm, struct kvm_enable_cap *cap);
void kvm_arch_destroy_vm(struct kvm *kvm);
int kvm_arch_vcpu_precreate(struct kvm *kvm, unsigned int id);
int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu);
long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg);
void kvm_arch_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void kvm_arch_vcpu_put(struct kvm_vcpu *vcpu);
/* debugfs kvm/vcpus (stats.c): one vCPU's state as text, read racily while it runs */
void kvm_arch_vcpu_show(struct seq_file *m, struct kvm_vcpu *vcpu);
void kvm_arch_vm_show(struct seq_file *m, struct kvm *kvm);
/* -EINVAL when [base_gfn, base_gfn + npages) is beyond what the guest can address */
int kvm_arch_check_gfn_range(struct kvm *kvm, u64 base_gfn, u64 npages);

/*
 * The arch MMU (arch/x86/kvm/mmu/tdp.c), for memslot updates, the MMU notifier and dirty
 * logging. gfn ranges are [start, end). None of these sleeps unless may_sleep says it may:
 * MMU notifiers call them under the host's page table locks.
 *
 * invalidate_begin/end bracket every change to what a gfn maps to (the host changing the
 * pages of [hva_start, hva_end), a slot going away or starting to log: all addresses): in
 * between no fault for an address in the range installs an entry, and the end makes faults
 * that looked a page up before it retry.
 */
void kvm_arch_mmu_invalidate_begin(struct kvm *kvm, unsigned long hva_start,
				   unsigned long hva_end);
void kvm_arch_mmu_invalidate_end(struct kvm *kvm);
/* Drop every mapping of [start, end) (a 2 MiB leaf overlapping it goes whole). */
void kvm_arch_unmap_gfn_range(struct kvm *kvm, u64 start, u64 end, bool may_sleep);
/* Make [start, end) read-only (2 MiB leaves are dropped). */
void kvm_arch_write_protect_range(struct kvm *kvm, u64 start, u64 end, bool may_sleep);
/* A slot stopped logging: drop the 4 KiB mappings that 2 MiB ones could replace. */
void kvm_arch_dirty_log_stopped(struct kvm *kvm, const struct kvm_memory_slot *slot);
/* Make base + i read-only for every bit i set in mask (2 MiB leaves are dropped). */
void kvm_arch_write_protect_gfns(struct kvm *kvm, u64 base, unsigned long mask);
/*
 * After unmap or write-protect: return once no vCPU's TLB can use what they removed.
 * Spins (IPIs) but does not sleep; needs interrupts enabled.
 */
void kvm_arch_flush_remote_tlbs(struct kvm *kvm);
/* Was a page of [start, end) accessed since the last clear? clear: clear it too (no flush). */
bool kvm_arch_age_gfn_range(struct kvm *kvm, u64 start, u64 end, bool clear);
int kvm_arch_hardware_enable(void);
void kvm_arch_hardware_disable(void);

/* arch -> core: /dev/kvm appears once a backend is ready and goes before it is gone */
int kvm_core_register(struct module *vendor);
void kvm_core_unregister(void);

/* arch -> core: virtualization on every online CPU, following hotplug/suspend/reboot */
int kvm_hardware_enable_all(void);
void kvm_hardware_disable_all(void);

/* vCPUs: virt/kvm/vcpu.c */
extern struct file_operations kvm_vcpu_fops;
long kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id);
void kvm_destroy_vcpus(struct kvm *kvm);
void vcpu_load(struct kvm_vcpu *vcpu);
void vcpu_put(struct kvm_vcpu *vcpu);
/* Force every vCPU in guest mode out of it and wait until it is (an IPI each). */
void kvm_kick_vcpus_sync(struct kvm *kvm);

/*
 * The online vCPUs, indices 0 .. online_vcpus - 1. Bounded: xa_for_each() would, after the
 * last vCPU, scan the rest of the xarray node (64 slots) for another entry, hundreds of
 * instructions per walk, and IPI delivery walks the vCPUs for every message. A vCPU being
 * created (in the xarray, not yet counted online) is left out, as it has not run yet;
 * under kvm->lock the two sets are the same.
 */
#define kvm_for_each_vcpu(idx, vcpu, kvm)					\
	xa_for_each_range(&(kvm)->vcpus, idx, vcpu, 0,				\
			  (unsigned long)atomic_read(&(kvm)->online_vcpus) - 1)

void kvm_get_vm(struct kvm *kvm);
void kvm_put_vm(struct kvm *kvm);

/* MMU notifier on the creator's mm: virt/kvm/mmu_notifier.c */
int kvm_mmu_notifier_register(struct kvm *kvm);
void kvm_mmu_notifier_unregister(struct kvm *kvm);

/* Dirty logging: virt/kvm/dirty.c (the slot side is in memslot.h) */
int kvm_vm_ioctl_enable_dirty_log_cap(struct kvm *kvm, u64 flags);
long kvm_vm_ioctl_get_dirty_log(struct kvm *kvm, void __user *argp);
long kvm_vm_ioctl_clear_dirty_log(struct kvm *kvm, void __user *argp);

/* coalesced_mmio.c */
int kvm_coalesced_mmio_init(struct kvm *kvm);
void kvm_coalesced_mmio_destroy(struct kvm *kvm);
long kvm_vm_ioctl_coalesced_mmio(struct kvm *kvm, void __user *argp, bool reg);
struct page *kvm_coalesced_mmio_page(struct kvm *kvm);
/* a guest write to device memory (a port when pio) the ring took: no exit needed */
bool kvm_coalesced_mmio_write(struct kvm *kvm, bool pio, u64 addr, unsigned int len,
			      const void *data);

/*
 * stats.c: exit counters in debugfs (kvm/exit_stats). The backend counts its exits in slots
 * 0 .. KVM_STAT_VENDOR_SLOTS - 1 of its own numbering and names them (NULL: none) while it is
 * registered; the core counts returns to userspace by KVM_EXIT_* reason.
 */
#define KVM_STAT_VENDOR_SLOTS	512
void kvm_stats_init(void);
void kvm_stats_exit(void);
void kvm_stat_user_exit(u32 reason);
void kvm_stat_vendor_exit(unsigned int slot);
void kvm_stat_set_vendor_names(const char *prefix, const char *const *names, unsigned int nr);
/*
 * stats.c: binary statistics (api.rst 4.133 KVM_GET_STATS_FD); the fd holds a VM reference.
 * The arch lists its own statistics after the generic ones.
 */
extern struct file_operations kvm_stats_fops;
extern const struct kvm_stat_def kvm_arch_vm_stats[], kvm_arch_vcpu_stats[];
extern const unsigned int kvm_arch_nr_vm_stats, kvm_arch_nr_vcpu_stats;
int kvm_vm_stats_fd(struct kvm *kvm);
int kvm_vcpu_stats_fd(struct kvm_vcpu *vcpu);
/* merge_stat.c: count the VM's KSM-merged pages into kvm->ksm_merged_pages (may sleep) */
void kvm_update_merged_pages(struct kvm *kvm);
/* kvm_main.c: every live VM and its vCPUs as text (debugfs kvm/vcpus) */
void kvm_show_vms(struct seq_file *m);

/* eventfd.c: a guest write (a port when pio) an ioeventfd took: no exit needed */
long kvm_vm_ioctl_ioeventfd(struct kvm *kvm, void __user *argp);
void kvm_ioeventfd_destroy(struct kvm *kvm);
bool kvm_ioeventfd_write(struct kvm *kvm, bool pio, u64 addr, unsigned int len,
			 const void *data);
/* irqfd.c: KVM_IRQFD (api.rst 4.75) */
int kvm_irqfd_module_init(void);
void kvm_irqfd_module_exit(void);
void kvm_irqfd_init(struct kvm *kvm);
long kvm_vm_ioctl_irqfd(struct kvm *kvm, void __user *argp);
void kvm_irqfd_release(struct kvm *kvm);
/* iodev.c: in-kernel devices (PIC, IOAPIC, PIT); kvm->lock held to register */
int kvm_io_device_register(struct kvm *kvm, struct kvm_io_device *dev);
bool kvm_io_device_read(struct kvm_vcpu *vcpu, bool pio, u64 addr, unsigned int len,
			void *val);
bool kvm_io_device_write(struct kvm_vcpu *vcpu, bool pio, u64 addr, unsigned int len,
			 const void *val);

/*
 * Device memory or a port the kernel answers (an in-kernel device, then an ioeventfd or the
 * coalesced ring for writes): no exit to userspace needed. arch code may answer first
 * (kvm_arch_io_read/write: the local APIC's page, which moves with each vCPU's APIC base).
 */
bool kvm_arch_io_read(struct kvm_vcpu *vcpu, bool pio, u64 addr, unsigned int len, void *val);
bool kvm_arch_io_write(struct kvm_vcpu *vcpu, bool pio, u64 addr, unsigned int len,
		       const void *val);

static inline bool kvm_io_read_in_kernel(struct kvm_vcpu *vcpu, bool pio, u64 addr,
					 unsigned int len, void *val)
{
	return kvm_arch_io_read(vcpu, pio, addr, len, val) ||
	       kvm_io_device_read(vcpu, pio, addr, len, val);
}

static inline bool kvm_io_write_in_kernel(struct kvm_vcpu *vcpu, bool pio, u64 addr,
					  unsigned int len, const void *data)
{
	return kvm_arch_io_write(vcpu, pio, addr, len, data) ||
	       kvm_io_device_write(vcpu, pio, addr, len, data) ||
	       kvm_ioeventfd_write(vcpu->kvm, pio, addr, len, data) ||
	       kvm_coalesced_mmio_write(vcpu->kvm, pio, addr, len, data);
}

#endif
