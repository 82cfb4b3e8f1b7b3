/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86 state embedded in struct kvm (struct kvm_arch) and struct kvm_vcpu (kvm_vcpu_arch).
 * Fields are tagged with what protects them: "vcpu" means only the thread holding
 * vcpu->mutex (the one in a vCPU ioctl) touches it.
 */
#ifndef ARCH_X86_KVM_KVM_ARCH_H
#define ARCH_X86_KVM_KVM_ARCH_H

#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/atomic.h>
#include <asm/fpu/types.h>

#include "emulate.h"

/* api.rst 4.x KVM_CAP_NR_VCPUS / MAX_VCPUS / MAX_VCPU_ID */
#define KVM_MAX_VCPUS		1024
#define KVM_MAX_VCPU_IDS	4096
#define KVM_MAX_CPUID_ENTRIES	256
/* api.rst 4.105: banks a vCPU's machine-check architecture may have (KVM_CAP_MCE) */
#define KVM_MAX_MCE_BANKS	32
/* api.rst 4.52: entries of a GSI routing table (KVM_CAP_IRQ_ROUTING) */
#define KVM_MAX_IRQ_ROUTES	4096
/* MCG_CAP bits KVM_X86_SETUP_MCE accepts: MCG_CTL_P, MCG_SER_P */
#define KVM_MCE_CAP_SUPPORTED	(BIT_ULL(8) | BIT_ULL(24))
/* table pages one nested page fault may need (every level below the root) */
#define KVM_TDP_CACHE_PAGES	3

/* Guest registers kept by the common code; RAX, RSP, RIP are mirrored into the VMCB/VMCS. */
enum kvm_reg {
	VCPU_REGS_RAX, VCPU_REGS_RCX, VCPU_REGS_RDX, VCPU_REGS_RBX,
	VCPU_REGS_RSP, VCPU_REGS_RBP, VCPU_REGS_RSI, VCPU_REGS_RDI,
	VCPU_REGS_R8, VCPU_REGS_R9, VCPU_REGS_R10, VCPU_REGS_R11,
	VCPU_REGS_R12, VCPU_REGS_R13, VCPU_REGS_R14, VCPU_REGS_R15,
	VCPU_REGS_RIP,
	NR_VCPU_REGS
};

/*
 * Two-dimensional paging (NPT/EPT) of one VM: arch/x86/kvm/mmu/tdp.c. Entries hold no page
 * references: the MMU notifier (virt/kvm/mmu_notifier.c) drops them before the host changes
 * or frees a page, and mmu_seq / mmu_in_progress make a fault that raced with such an
 * invalidation retry instead of installing what it looked up (Documentation/locking.rst).
 */
struct kvm_tdp {
	spinlock_t lock;		/* the tables and every field tagged "lock" */
	u64 *root;			/* top-level table (PML4), a kernel page */
	unsigned long nr_pages_mapped;	/* lock: leaf entries present */
	unsigned long nr_tables;	/* lock: table pages below the root */
	/*
	 * Bumped under lock whenever an entry goes away or loses a permission (write,
	 * accessed): a vCPU flushes its TLB on entry when it differs from the value it last
	 * flushed at. flushed_gen is the newest value every vCPU is known to have seen (a
	 * kick completed after it was read); kvm_tdp_flush() kicks only when it lags.
	 */
	u64 flush_gen;			/* lock to write, READ_ONCE to read */
	atomic64_t flushed_gen;
	unsigned long mmu_seq;		/* lock: bumped at the end of every invalidation */
	long mmu_in_progress;		/* lock: invalidations begun and not ended */
	/* lock: host addresses those cover (their union), valid while mmu_in_progress */
	unsigned long mmu_inv_start, mmu_inv_end;
	/* entry format, immutable after kvm_tdp_init: NPT or EPT bits (mmu/tdp.c) */
	u64 present_mask;		/* an entry maps something when any of these is set */
	u64 table_flags;		/* of an entry pointing to a table */
	u64 leaf_flags;			/* of a writable leaf (plus bit 7 for a 2 MiB one) */
	u64 accessed_mask;		/* hardware-set accessed bit of leaves; 0: none */
	/* a leaf the guest may not execute from: these bits cleared, then these set */
	u64 noexec_clear, noexec_set;
};

struct kvm_pit;
struct kvm_msr_filter_k;

/* x86 statistics of a VM (KVM_GET_STATS_FD; described in arch/x86/kvm/stats.c) */
struct kvm_vm_stat {
	u64 pages_4k, pages_2m;		/* tdp.lock: leaves of the nested page tables by size */
	u64 nx_lpage_splits;		/* tdp.lock: non-executable 2 MiB leaves split (mmu/tdp.c) */
};

/* ... and of a vCPU; vcpu to write, read racily by the stats fd */
struct kvm_vcpu_stat {
	u64 exits;			/* every exit from the guest */
	u64 io_exits;			/* IN/OUT/INS/OUTS intercepts */
	u64 mmio_exits;			/* KVM_EXIT_MMIO returns to userspace */
	u64 signal_exits;		/* KVM_EXIT_INTR for a pending signal */
	u64 irq_window_exits;		/* exits at an open interrupt window */
	u64 halt_exits;			/* HLT intercepts */
	u64 request_irq_exits;		/* KVM_EXIT_IRQ_WINDOW_OPEN returns to userspace */
	u64 irq_exits;			/* exits for a host external interrupt */
	u64 hypercalls;			/* VMCALL/VMMCALL */
	u64 irq_injections;		/* interrupts given to the hardware for an entry */
	u64 nmi_injections;		/* NMIs ... */
	u64 insn_emulation;		/* instructions emulated (MMIO) */
	u64 insn_emulation_fail;	/* ... that the emulator could not run */
	u64 pf_fixed;			/* nested page faults that mapped a page */
	u64 tlb_flush;			/* guest TLB flushes after nested page table changes */
};

struct kvm_arch {
	struct kvm_tdp tdp;
	struct kvm_vm_stat stat;
	int irqchip_mode;		/* enum kvm_irqchip_mode (irq.h) */
	u32 nr_reserved_ioapic_pins;	/* kvm->lock: KVM_CAP_SPLIT_IRQCHIP args[0] */
	/* KVM_CREATE_IRQCHIP (irqchip.c): set under kvm->lock before irqchip_mode, then immutable */
	struct kvm_pic *vpic;
	struct kvm_ioapic *vioapic;
	/* GSI routing (irq.c): irq_lock to replace, RCU to read */
	struct mutex irq_lock;
	struct kvm_irq_routing_table __rcu *irq_routing;
	struct hlist_head irq_ack_notifiers;	/* irq_lock to change, RCU to read */
	struct kvm_pit *vpit;		/* kvm->lock to create; then immutable (pit.c) */
	/* VM configuration ioctls and capabilities (vm_config.c); kvm->lock */
	u32 bsp_vcpu_id;		/* KVM_SET_BOOT_CPU_ID; before the first vCPU */
	u32 max_vcpu_ids;		/* KVM_CAP_MAX_VCPU_ID; 0 until set or a vCPU exists */
	u64 disabled_quirks;		/* KVM_CAP_DISABLE_QUIRKS2: KVM_X86_QUIRK_* bits */
	bool triple_fault_event;	/* KVM_CAP_X86_TRIPLE_FAULT_EVENT */
	/* KVM_CAP_X86_DISABLE_EXITS: KVM_X86_DISABLE_EXITS_* bits, only ever added; READ_ONCE */
	u32 disabled_exits;
	/* KVM_CAP_EXIT_ON_EMULATION_FAILURE: every emulation failure exits; READ_ONCE */
	bool exit_on_emulation_error;
	u64 x2apic_api;			/* KVM_CAP_X2APIC_API: KVM_X2APIC_API_* bits; READ_ONCE */
	unsigned long nr_mmu_pages;	/* KVM_SET_NR_MMU_PAGES: kept, no shadow MMU here */
	/* KVM_CAP_MSR_PLATFORM_INFO: the guest may read MSR_PLATFORM_INFO; WRITE/READ_ONCE */
	bool guest_reads_platform_info;
	/* KVM_X86_SET_MSR_FILTER (msr_filter.c): kvm->lock to replace, RCU to read */
	struct kvm_msr_filter_k __rcu *msr_filter;
	/* KVM_CAP_X86_USER_SPACE_MSR: KVM_MSR_EXIT_REASON_* sent to userspace; READ_ONCE */
	u32 user_space_msr_mask;
	/*
	 * kvmclock (kvmclock.c), clock_lock: kvmclock = host boottime + kvmclock_offset; the
	 * master clock pair (host TSC, host boottime) when clock_master; clock_gen is the
	 * kvmclock_host_gen the master clock was set for
	 */
	spinlock_t clock_lock;
	s64 kvmclock_offset;
	bool clock_master;
	u64 master_tsc, master_ns;
	unsigned int clock_gen;
	/* KVM_SET_TSC_KHZ on the VM (tsc.c): the rate of vCPUs created after; WRITE_ONCE */
	u32 default_tsc_khz;
};

/*
 * Events waiting for or in delivery to the guest (arch/x86/kvm/events.c); vcpu. "Injected"
 * means given to the hardware for the next entry, or interrupted in delivery by the last
 * exit and to be given again; it is cleared once an entry delivered it.
 */
enum { KVM_EVENT_IN_HW_NONE, KVM_EVENT_IN_HW_EXCEPTION, KVM_EVENT_IN_HW_NMI,
       KVM_EVENT_IN_HW_IRQ };

struct kvm_vcpu_event_state {
	struct {
		bool pending;		/* raised by KVM or userspace, not injected yet */
		bool injected;
		bool has_error_code;
		u8 nr;
		u32 error_code;
	} exception;
	struct {
		bool injected;
		u8 nr;
	} interrupt;
	bool nmi_injected;
	u8 nmi_pending;			/* NMIs waiting for NMI blocking to end (at most 2) */
	/*
	 * The one event given to the hardware for the current entry (KVM_EVENT_IN_HW_*): only
	 * it is delivered by the entry; another one marked injected waits for a later entry.
	 */
	u8 in_hw;
	bool triple_fault;		/* an exception during #DF delivery: shutdown */
};

/* an INS waiting for userspace's data (arch/x86/kvm/pio.c) */
struct kvm_pio_string {
	bool pending;
	bool rep;
	u64 mask;			/* address-size mask of rDI/rCX */
	u64 next_rip;
	unsigned int count;		/* elements in this exit's batch */
};

/*
 * An instruction emulated for MMIO (arch/x86/kvm/mmio.c); vcpu. Decoded once; after each
 * read userspace answers its execution starts over (x86emul_resume()), taking the reads
 * answered so far from reads[] in order; the writes of a completed instruction go out one
 * exit at a time. Pieces are at most 8 bytes (run->mmio.data) and never cross a page.
 */
#define KVM_MMIO_MAX_PIECES	8
/* an INS batch (at most KVM_PIO_BATCH bytes, pio.c) stored to device memory, 2 pages */
#define KVM_PIO_BATCH		1024
#define KVM_MMIO_MAX_WRITES	(KVM_PIO_BATCH / 8 + 1)
struct kvm_mmio_piece {
	u64 gpa;
	u8 len;
	u8 data[8];
};

#define KVM_MMIO_MAX_XLAT	4
struct kvm_mmio_state {
	/*
	 * The instruction: its context, decoded by the first run; while read_pending, the next
	 * KVM_RUN resumes it from there (the guest has not run in between).
	 */
	struct x86emul_ctxt ctxt;
	u32 user;			/* PFERR_USER when the instruction runs at CPL 3 */
	bool tf;			/* single-step trap after it (RFLAGS.TF or guest debug) */
	/*
	 * The faulting guest-physical address: the one memory operand of the instruction is
	 * there when the page offsets match (the CPU translated it and faulted on it), which
	 * saves a walk of the guest's page tables.
	 */
	u64 fault_gpa;
	bool fault_gpa_valid;
	bool fault_no_slot;		/* no slot there (not a read-only one): skip the lookup */
	/*
	 * The page translations of the instruction's first run, reused when it resumes (the
	 * guest has not run in between, as on Linux KVM, which keeps its decoded instruction).
	 */
	bool cache_valid;
	u8 nr_xlat;
	struct {
		u64 linear_page, gpa_page;
		u32 access;
	} xlat[KVM_MMIO_MAX_XLAT];

	u8 nr_reads;			/* reads[] answered */
	u8 read_pos;			/* during a run: the next read's index */
	bool read_pending;		/* reads[nr_reads] waits for run->mmio.data */
	u8 nr_writes, write_pos;	/* writes[write_pos..nr_writes) still to go out */
	bool trap_after;		/* single-step trap once the writes are out */
	/* an OUTS's port write, the exit that follows the instruction (after its reads) */
	struct {
		bool pending;
		u8 size;
		u16 port;
		u32 data;
	} pio_out;
	struct kvm_mmio_piece reads[KVM_MMIO_MAX_PIECES];
	struct kvm_mmio_piece writes[KVM_MMIO_MAX_WRITES];
};

struct kvm_vcpu_arch {
	void *vendor;				/* the backend's vCPU (struct vcpu_svm, ...) */
	unsigned long regs[NR_VCPU_REGS];	/* vcpu */

	/* the VM's KVM_X86_DISABLE_EXITS_* bits when the vCPU was created; then immutable */
	u32 disabled_exits;

	/* CPUID table from KVM_SET_CPUID2 (api.rst 4.73); vcpu */
	struct kvm_cpuid_entry2 *cpuid_entries;
	int cpuid_nent;

	/* MSRs the common code emulates; vcpu */
	u64 apic_base;
	u64 misc_enable;
	u64 tsc_aux;
	u64 tsc_adjust;			/* IA32_TSC_ADJUST (the TSC offset is the backend's) */
	u64 platform_info;		/* MSR_PLATFORM_INFO, as the VMM set it */
	u64 power_ctl;			/* IA32_POWER_CTL, kept only */
	u64 smi_count;			/* MSR_SMI_COUNT: as the VMM set it (no SMM) */
	u64 ucode_rev;			/* IA32_UCODE_REV the guest reads */
	u64 de_cfg;			/* AMD DE_CFG: what the VMM set of the feature MSR */
	u64 mtrr_def_type;
	u64 mtrr_fixed[11];
	u64 mtrr_var[16];		/* base/mask pairs */
	u64 xcr0;
	u64 hwcr;			/* AMD MSR_K7_HWCR: McStatusWrEn only */
	u64 misc_features;		/* MISC_FEATURES_ENABLES: CPUID faulting only */
	u64 vm_cr;			/* AMD VM_CR: the guest's view (no nested SVM) */
	u64 hsave_pa;			/* AMD VM_HSAVE_PA: kept, never used */
	/* machine-check architecture (mce.c): MCG_* and CTL/STATUS/ADDR/MISC per bank */
	u64 mcg_cap, mcg_status, mcg_ctl;
	u64 mce_banks[KVM_MAX_MCE_BANKS * 4];
	/* kvmclock (kvmclock.c): the MSRs as last written; vcpu */
	u64 kvm_wall_clock, kvm_system_time;
	unsigned long clock_req;	/* KVMCLOCK_REQ_* bits, atomic (set from anywhere) */
	unsigned int clock_gen;		/* vcpu: kvmclock_host_gen at the last page update */
	u32 pvclock_version;		/* vcpu: the even version of the last page written */
	int clock_cpu;			/* vcpu: host CPU the vCPU was last loaded on */
	u64 db[4];			/* vcpu: guest DR0-3 */
	bool dr_passthrough;		/* vcpu: DR accesses not intercepted until the next exit */
	u32 guest_debug;		/* vcpu: KVM_GUESTDBG_* from KVM_SET_GUEST_DEBUG */
	/*
	 * vcpu: with KVM_GUESTDBG_USE_HW_BP the debugger's DR0-3 and DR7 are in the hardware
	 * (DR7 in the VMCB/VMCS) and the guest's DR7 waits here; guest DR accesses are emulated
	 */
	u64 hwbp_db[4];
	u64 guest_dr7;

	struct kvm_vcpu_event_state events;

	struct fpu_guest guest_fpu;	/* vcpu */
	u32 mp_state;			/* vcpu: KVM_MP_STATE_* */
	u64 tlb_flush_gen;		/* vcpu: tdp.flush_gen at the last flush */
	/* zeroed pages for new nested tables, filled before tdp.lock is taken; vcpu */
	int tdp_cache_nr;
	u64 *tdp_cache[KVM_TDP_CACHE_PAGES];
	int last_cpu;			/* vcpu: physical CPU of the last entry, -1 none */
	/* vcpu to write, racy reads in debugfs (vcpu_show.c): entries, sleeps while not
	 * runnable (HLT, waiting for SIPI) */
	u64 nr_entries, nr_halts;
	/* the last interrupts given to the hardware, for debugfs (vcpu_show.c); vcpu */
#define KVM_IRQ_LOG_LEN	8
	struct kvm_irq_log_entry {
		u64 entry;		/* nr_entries when injected */
		u64 rip, rflags;
		u8 vector, why;		/* why: 'r' reinjected/KVM_INTERRUPT, 'l' LAPIC/PIC */
	} irq_log[KVM_IRQ_LOG_LEN];
	unsigned int irq_log_next;

	/* a KVM_EXIT_X86_RDMSR/WRMSR userspace answers on the next KVM_RUN; vcpu */
	struct {
		bool pending;
		bool write;
		u64 next_rip;		/* where the guest goes on once it succeeded */
	} msr_user;
	/* userspace port I/O being completed (KVM_EXIT_IO IN): copy data to RAX on next run */
	bool pio_in_pending;
	u8 pio_size;
	u16 pio_port;			/* of the pending IN, for its trace event */
	struct kvm_pio_string pio_string;
	struct kvm_mmio_state mmio;
	struct kvm_lapic *apic;		/* immutable: in-kernel local APIC (lapic.h), or NULL */
	struct kvm_vcpu_stat stat;
	/*
	 * vcpu: KVM_CAP_ENFORCE_PV_FEATURE_CPUID (api.rst 8.28): PV MSRs and hypercalls only
	 * as the guest's CPUID 0x40000001 offers them (pv.c)
	 */
	bool pv_enforce;
	u64 pv_eoi_msr;			/* vcpu: MSR_KVM_PV_EOI_EN (lapic.c) */
	/*
	 * vcpu: the guest TSC's rate (tsc.c, KVM_SET_TSC_KHZ); with tsc_catchup the TSC is
	 * moved forward before entries to what the rate made of tsc_catchup_tsc since
	 * tsc_catchup_ns (ktime_get_ns)
	 */
	u32 virtual_tsc_khz;
	bool tsc_catchup;
	u64 tsc_catchup_ns, tsc_catchup_tsc;
	u64 poll_control;		/* vcpu: MSR_KVM_POLL_CONTROL, bit 0 (pv.c) */
	/*
	 * vcpu: flush the guest's TLB at the next entry (the backend clears it): the PV TLB
	 * flush another vCPU asked for in this one's steal time area (steal_time.c)
	 */
	bool tlb_flush_guest;
	/* steal time (steal_time.c, Documentation/virt/kvm/x86/msr.rst MSR_KVM_STEAL_TIME) */
	struct {
		u64 msr;		/* vcpu: MSR_KVM_STEAL_TIME as written */
		u64 last_run_delay;	/* vcpu: the thread's run_delay at the last update */
		bool need_update;	/* set at each load (atomic context), done before entry */
		bool in_run;		/* vcpu: between load and put of KVM_RUN */
	} st;
};

#endif
