/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal to kvm-intel: VMCS field encodings and control bits (Intel SDM vol. 3C chapter
 * 24 and appendix B), the per-vCPU VMX state and what vmx.c, vcpu.c and exits.c share.
 *
 * The guest state the VMCS holds is cached in struct vcpu_vmx (struct vmx_cache, vcpu.c):
 * after an exit a group of fields is read from the VMCS the first time something asks for
 * it, and a group changed here is written before the next entry. The state ioctls run with
 * the vCPU not loaded: a group they need that the cache lacks is read with the VMCS made
 * current for a moment (vmx_cache_fetch).
 */
#ifndef ARCH_X86_KVM_VMX_VMX_H
#define ARCH_X86_KVM_VMX_VMX_H

#include "kvm_core.h"
#include "kvm_x86_ops.h"

/* 16-bit fields (SDM B.1) */
#define VIRTUAL_PROCESSOR_ID		0x0000
#define GUEST_ES_SELECTOR		0x0800	/* + 2 * segment number, enum kvm_sreg order */
#define HOST_ES_SELECTOR		0x0c00
#define HOST_CS_SELECTOR		0x0c02
#define HOST_SS_SELECTOR		0x0c04
#define HOST_DS_SELECTOR		0x0c06
#define HOST_FS_SELECTOR		0x0c08
#define HOST_GS_SELECTOR		0x0c0a
#define HOST_TR_SELECTOR		0x0c0c
/* 64-bit fields (B.2) */
#define MSR_BITMAP			0x2004
#define TSC_OFFSET			0x2010
#define EPT_POINTER			0x201a
#define GUEST_PHYSICAL_ADDRESS		0x2400
#define VMCS_LINK_POINTER		0x2800
#define GUEST_IA32_DEBUGCTL		0x2802
#define GUEST_IA32_PAT			0x2804
#define GUEST_IA32_EFER			0x2806
#define GUEST_PDPTE0			0x280a	/* + 2 * n */
#define HOST_IA32_PAT			0x2c00
#define HOST_IA32_EFER			0x2c02
/* 32-bit fields (B.3) */
#define PIN_BASED_VM_EXEC_CONTROL	0x4000
#define CPU_BASED_VM_EXEC_CONTROL	0x4002
#define EXCEPTION_BITMAP		0x4004
#define CR3_TARGET_COUNT		0x400a
#define VM_EXIT_CONTROLS		0x400c
#define VM_EXIT_MSR_STORE_COUNT		0x400e
#define VM_EXIT_MSR_LOAD_COUNT		0x4010
#define VM_ENTRY_CONTROLS		0x4012
#define VM_ENTRY_MSR_LOAD_COUNT		0x4014
#define VM_ENTRY_INTR_INFO		0x4016
#define VM_ENTRY_EXCEPTION_ERROR_CODE	0x4018
#define VM_ENTRY_INSTRUCTION_LEN	0x401a
#define SECONDARY_VM_EXEC_CONTROL	0x401e
#define VM_INSTRUCTION_ERROR		0x4400
#define VM_EXIT_REASON			0x4402
#define VM_EXIT_INTR_INFO		0x4404
#define VM_EXIT_INTR_ERROR_CODE		0x4406
#define IDT_VECTORING_INFO		0x4408
#define IDT_VECTORING_ERROR_CODE	0x440a
#define VM_EXIT_INSTRUCTION_LEN		0x440c
#define VMX_INSTRUCTION_INFO		0x440e
#define GUEST_ES_LIMIT			0x4800	/* + 2 * segment number */
#define GUEST_GDTR_LIMIT		0x4810
#define GUEST_IDTR_LIMIT		0x4812
#define GUEST_ES_AR_BYTES		0x4814	/* + 2 * segment number */
#define GUEST_INTERRUPTIBILITY_INFO	0x4824
#define GUEST_ACTIVITY_STATE		0x4826
#define GUEST_SYSENTER_CS		0x482a
#define VMX_PREEMPTION_TIMER_VALUE	0x482e
#define HOST_IA32_SYSENTER_CS		0x4c00
/* natural-width fields (B.4) */
#define CR0_GUEST_HOST_MASK		0x6000
#define CR4_GUEST_HOST_MASK		0x6002
#define CR0_READ_SHADOW			0x6004
#define CR4_READ_SHADOW			0x6006
#define EXIT_QUALIFICATION		0x6400
#define GUEST_CR0			0x6800
#define GUEST_CR3			0x6802
#define GUEST_CR4			0x6804
#define GUEST_ES_BASE			0x6806	/* + 2 * segment number */
#define GUEST_GDTR_BASE			0x6816
#define GUEST_IDTR_BASE			0x6818
#define GUEST_DR7			0x681a
#define GUEST_RSP			0x681c
#define GUEST_RIP			0x681e
#define GUEST_RFLAGS			0x6820
#define GUEST_PENDING_DBG_EXCEPTIONS	0x6822
#define GUEST_SYSENTER_ESP		0x6824
#define GUEST_SYSENTER_EIP		0x6826
#define HOST_CR0			0x6c00
#define HOST_CR3			0x6c02
#define HOST_CR4			0x6c04
#define HOST_FS_BASE			0x6c06
#define HOST_GS_BASE			0x6c08
#define HOST_TR_BASE			0x6c0a
#define HOST_GDTR_BASE			0x6c0c
#define HOST_IDTR_BASE			0x6c0e
#define HOST_IA32_SYSENTER_ESP		0x6c10
#define HOST_IA32_SYSENTER_EIP		0x6c12
#define HOST_RSP			0x6c14
#define HOST_RIP			0x6c16

/* pin-based controls (24.6.1) */
#define PIN_EXT_INTR_EXITING		BIT(0)
#define PIN_NMI_EXITING			BIT(3)
#define PIN_VIRTUAL_NMIS		BIT(5)
#define PIN_PREEMPTION_TIMER		BIT(6)
/* primary processor-based controls (24.6.2) */
#define CPU_INTR_WINDOW_EXITING		BIT(2)
#define CPU_USE_TSC_OFFSETTING		BIT(3)
#define CPU_HLT_EXITING			BIT(7)
#define CPU_INVLPG_EXITING		BIT(9)
#define CPU_MWAIT_EXITING		BIT(10)
#define CPU_RDPMC_EXITING		BIT(11)
#define CPU_RDTSC_EXITING		BIT(12)
#define CPU_CR3_LOAD_EXITING		BIT(15)
#define CPU_CR3_STORE_EXITING		BIT(16)
#define CPU_CR8_LOAD_EXITING		BIT(19)
#define CPU_CR8_STORE_EXITING		BIT(20)
#define CPU_NMI_WINDOW_EXITING		BIT(22)
#define CPU_MOV_DR_EXITING		BIT(23)
#define CPU_UNCOND_IO_EXITING		BIT(24)
#define CPU_USE_IO_BITMAPS		BIT(25)
#define CPU_USE_MSR_BITMAPS		BIT(28)
#define CPU_MONITOR_EXITING		BIT(29)
#define CPU_ACTIVATE_SECONDARY		BIT(31)
/* secondary processor-based controls */
#define SEC_ENABLE_EPT			BIT(1)
#define SEC_ENABLE_RDTSCP		BIT(3)
#define SEC_ENABLE_VPID			BIT(5)
#define SEC_UNRESTRICTED_GUEST		BIT(7)
/* VM-exit controls (24.7.1) */
#define EXIT_SAVE_DEBUG_CONTROLS	BIT(2)
#define EXIT_HOST_ADDR_SPACE_SIZE	BIT(9)
#define EXIT_ACK_INTR_ON_EXIT		BIT(15)
#define EXIT_SAVE_IA32_PAT		BIT(18)
#define EXIT_LOAD_IA32_PAT		BIT(19)
#define EXIT_SAVE_IA32_EFER		BIT(20)
#define EXIT_LOAD_IA32_EFER		BIT(21)
/* VM-entry controls (24.8.1) */
#define ENTRY_LOAD_DEBUG_CONTROLS	BIT(2)
#define ENTRY_IA32E_MODE		BIT(9)
#define ENTRY_LOAD_IA32_PAT		BIT(14)
#define ENTRY_LOAD_IA32_EFER		BIT(15)

/* interruption information (24.8.3, 24.9.2) */
#define INTR_INFO_VECTOR_MASK		0xff
#define INTR_INFO_TYPE_SHIFT		8
#define INTR_TYPE_EXT_INTR		0
#define INTR_TYPE_NMI			2
#define INTR_TYPE_HW_EXCEPTION		3
#define INTR_TYPE_SOFT_INTR		4
#define INTR_TYPE_PRIV_SW_EXCEPTION	5
#define INTR_TYPE_SOFT_EXCEPTION	6
#define INTR_INFO_DELIVER_CODE		BIT(11)
#define INTR_INFO_VALID			BIT(31)
/* guest interruptibility state (24.4.2) */
#define GUEST_INTR_STATE_STI		BIT(0)
#define GUEST_INTR_STATE_MOV_SS		BIT(1)
#define GUEST_INTR_STATE_NMI		BIT(3)
/* DR7.GD: general detect, cleared by the CPU when it delivers #DB (SDM vol. 3B 17.2.4) */
#define DR7_GD				BIT(13)
/* segment access rights (24.4.1) */
#define AR_UNUSABLE			BIT(16)

/* basic exit reasons (appendix C) */
#define EXIT_REASON_EXCEPTION_NMI	0
#define EXIT_REASON_EXTERNAL_INTERRUPT	1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_INIT		3
#define EXIT_REASON_SIPI		4
#define EXIT_REASON_INTERRUPT_WINDOW	7
#define EXIT_REASON_NMI_WINDOW		8
#define EXIT_REASON_TASK_SWITCH		9
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_GETSEC		11
#define EXIT_REASON_HLT			12
#define EXIT_REASON_INVD		13
#define EXIT_REASON_VMCALL		18
#define EXIT_REASON_VMCLEAR		19
#define EXIT_REASON_VMLAUNCH		20
#define EXIT_REASON_VMPTRLD		21
#define EXIT_REASON_VMPTRST		22
#define EXIT_REASON_VMREAD		23
#define EXIT_REASON_VMRESUME		24
#define EXIT_REASON_VMWRITE		25
#define EXIT_REASON_VMXOFF		26
#define EXIT_REASON_VMXON		27
#define EXIT_REASON_CR_ACCESS		28
#define EXIT_REASON_DR_ACCESS		29
#define EXIT_REASON_IO_INSTRUCTION	30
#define EXIT_REASON_MSR_READ		31
#define EXIT_REASON_MSR_WRITE		32
#define EXIT_REASON_INVALID_STATE	33
#define EXIT_REASON_MSR_LOADING		34
#define EXIT_REASON_MWAIT		36
#define EXIT_REASON_MONITOR		39
#define EXIT_REASON_MCE_DURING_ENTRY	41
#define EXIT_REASON_EPT_VIOLATION	48
/* EPT violation exit qualification (SDM 27.2.1 table 27-7) */
#define EPT_VIOLATION_WRITE		BIT(1)
#define EPT_VIOLATION_FETCH		BIT(2)
#define EPT_VIOLATION_GLA_VALID		BIT(7)	/* a guest linear address caused it */
#define EPT_VIOLATION_GLA_FINAL		BIT(8)	/* ... its translation, not a paging structure */
#define EXIT_REASON_EPT_MISCONFIG	49
#define EXIT_REASON_INVEPT		50
#define EXIT_REASON_PREEMPTION_TIMER	52
#define EXIT_REASON_INVVPID		53
#define EXIT_REASON_XSETBV		55
#define EXIT_REASON_VMFUNC		59
#define EXIT_REASON_MAX			70
#define EXIT_REASON_FAILED_ENTRY	BIT(31)

/* one guest segment as the VMCS holds it */
struct vmx_seg {
	u16 selector;
	u32 limit;
	u32 ar;
	u64 base;
};

/*
 * Groups of VMCS guest-state fields (24.4), each a bit of vmx_cache.avail and .dirty. avail:
 * the cached copy is what the VMCS holds (after each exit it stays only for the groups the
 * guest cannot change without exiting, and is set for those read at once, VMX_GS_EAGER);
 * dirty: the cached copy is newer and goes into the VMCS before the next entry (dirty
 * implies avail). EFER and PAT are never volatile: their MSRs are intercepted and EFER.LMA
 * follows CR0.PG, whose writes exit (cr0_host_mask() in vcpu.c).
 */
enum vmx_gs_group {
	/* 0-7: the segments, enum kvm_sreg order */
	VMX_GSN_GDTR = 8, VMX_GSN_IDTR, VMX_GSN_RFLAGS,
	VMX_GSN_CR0,			/* GUEST_CR0 and CR0_READ_SHADOW */
	VMX_GSN_CR3,
	VMX_GSN_CR4,			/* GUEST_CR4 and CR4_READ_SHADOW */
	VMX_GSN_PDPTRS,			/* with PAE paging only: pae.c; after CR0 and CR4 */
	VMX_GSN_DR7, VMX_GSN_SYSENTER,
	VMX_GSN_INTR,			/* interruptibility state */
	VMX_GSN_EFER, VMX_GSN_PAT,
	VMX_GSN_NR
};
#define VMX_GS_SEG(n)		BIT(n)		/* n: enum kvm_sreg */
#define VMX_GS_SEGS		GENMASK(7, 0)
#define VMX_GS_GDTR		BIT(VMX_GSN_GDTR)
#define VMX_GS_IDTR		BIT(VMX_GSN_IDTR)
#define VMX_GS_RFLAGS		BIT(VMX_GSN_RFLAGS)
#define VMX_GS_CR0		BIT(VMX_GSN_CR0)
#define VMX_GS_CR3		BIT(VMX_GSN_CR3)
#define VMX_GS_CR4		BIT(VMX_GSN_CR4)
#define VMX_GS_PDPTRS		BIT(VMX_GSN_PDPTRS)
#define VMX_GS_DR7		BIT(VMX_GSN_DR7)
#define VMX_GS_SYSENTER		BIT(VMX_GSN_SYSENTER)
#define VMX_GS_INTR		BIT(VMX_GSN_INTR)
#define VMX_GS_EFER		BIT(VMX_GSN_EFER)
#define VMX_GS_PAT		BIT(VMX_GSN_PAT)
#define VMX_GS_ALL		GENMASK(VMX_GSN_NR - 1, 0)
#define VMX_GS_VOLATILE		GENMASK(VMX_GSN_INTR, 0)
/* read after every exit: nearly every exit or the next entry needs them (vcpu.c) */
#define VMX_GS_EAGER		(VMX_GS_RFLAGS | VMX_GS_INTR)
/*
 * Read together on a miss, as they are mostly used together: the CPU mode (CR0, CR3, CR4,
 * CS, SS: paging, CPL, address size), segment pairs (vmx_cache_fetch_seg()), GDTR and IDTR.
 */
#define VMX_GS_CRS		(VMX_GS_CR0 | VMX_GS_CR3 | VMX_GS_CR4)
#define VMX_GS_MODE		(VMX_GS_CRS | VMX_GS_SEG(VCPU_SREG_CS) | \
				 VMX_GS_SEG(VCPU_SREG_SS))
#define VMX_GS_DTABLES		(VMX_GS_GDTR | VMX_GS_IDTR)

struct vmx_sysenter {
	u64 cs, esp, eip;
};

/* vcpu; only through the accessors below (vcpu.c, pae.c) */
struct vmx_cache {
	u32 avail, dirty;
	struct vmx_seg seg[8];		/* enum kvm_sreg order */
	struct vmx_seg gdtr, idtr;
	u64 rflags;
	u64 cr0, cr3, cr4;		/* as the guest sees them */
	u64 pdptr[4];
	u64 dr7;
	struct vmx_sysenter sysenter;
	u32 interruptibility;
	u64 efer, pat;
};

/*
 * What the VMCS holds of the fields written only when their value changes (vcpu.c); set
 * by vmcs_setup, which writes them all.
 */
struct vmx_vmcs_shadow {
	u64 cpu_ctls, entry_ctls, exception_bitmap, msr_bitmap, tsc_offset;
	u64 rsp, rip;			/* GUEST_RSP, GUEST_RIP: regs[] has no dirty bits */
	u64 host_cr3, host_cr4;
};

struct vcpu_vmx {
	struct kvm_vcpu *vcpu;
	void *vmcs;			/* immutable: the VMCS region */
	u64 vmcs_pa;			/* immutable */
	int loaded_cpu;			/* CPU whose current VMCS this is, -1 when clear */
	bool launched;			/* VMLAUNCH done since the last VMCLEAR */
	bool vmcs_ready;		/* vmcs_setup() done */
	bool fail_reported;
	u16 vpid;			/* 0: none */
	u32 exit_reason;		/* of the last exit; FAILED_ENTRY|~0 after VMfail */
	u32 vm_instruction_error;
	/*
	 * What the last exit reported, read while the VMCS was current (vmx_vcpu_run): fields
	 * that exit reason does not define read as 0 (exit_intr_info but for exceptions and
	 * NMIs, guest_phys but for EPT exits, exit_instr_info but for I/O).
	 */
	u64 exit_qual;
	u64 guest_phys;
	u32 exit_intr_info, exit_intr_error, idt_vectoring_info, idt_vectoring_error;
	u32 exit_instr_len, exit_instr_info;

	/* guest state; vcpu */
	struct vmx_cache cache;		/* the VMCS's guest-state fields */
	struct vmx_vmcs_shadow shadow;
	u64 cr2;			/* the CPU's, not the VMCS's (27.3.1 note) */
	u64 dr6;			/* no VMCS field either */
	u64 star, lstar, cstar, sfmask;
	/*
	 * The guest's KERNEL_GS_BASE; while kgs_loaded, the CPU holds the current value (the
	 * guest's SWAPGS changes it without an exit) and host_kgs the host's (vcpu.c).
	 */
	u64 kernel_gs_base, host_kgs;
	bool kgs_loaded;
	unsigned long host_fs_base;	/* the task's, read at vcpu_load */
	u64 tsc_offset;
	u8 cr8;
	u32 entry_intr_info, entry_error_code, entry_instr_len;
	/*
	 * VM_ENTRY_INTR_INFO may still have its valid bit set, so it is written at the next
	 * entry even without an event: a VM exit clears the bit (24.8.3), but a VMfail leaves
	 * the VMCS alone and a VM entry failing its guest-state or MSR checks (26.8) saves
	 * nothing (Bochs keeps the bit then)
	 */
	bool entry_intr_stale;
	bool dr_exiting;
	bool irq_window, nmi_window;	/* interrupt-/NMI-window exiting for the next entry */
	u32 exception_bitmap;
};

static inline struct vcpu_vmx *to_vmx(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.vendor;
}

/* VMREAD/VMWRITE of the current VMCS; a failure is reported once and otherwise ignored */
static __always_inline u64 vmcs_read(unsigned long field)
{
	unsigned long val = 0;

	asm volatile("vmread %[field], %[val]"
		     : [val] "=rm"(val) : [field] "r"(field) : "cc");
	return val;
}

void vmcs_write(unsigned long field, u64 val);

/*
 * The cached guest state (struct vmx_cache). A reader goes through vmx_cache_need() (or an
 * accessor that does), which reads the groups the cache lacks from the VMCS: on the vCPU's
 * own thread while it is loaded, or under vcpu->mutex while it is not. On a miss it reads
 * a batch of groups usually needed together: each call costs more than a VMREAD (under
 * Bochs both are instructions). A writer changing only some fields of a group reads the
 * group first (the *_mut accessors); vmx_cache_set() marks what it replaced whole.
 */
void vmx_cache_fetch(struct vcpu_vmx *vmx, u32 groups);
void vmx_cache_fetch_seg(struct vcpu_vmx *vmx, int seg);

/* @groups are needed; @batch (a superset) is read if one of them is missing */
static __always_inline void vmx_cache_need_batch(struct vcpu_vmx *vmx, u32 groups, u32 batch)
{
	if (unlikely(groups & ~vmx->cache.avail))
		vmx_cache_fetch(vmx, batch);
}

static __always_inline void vmx_cache_need(struct vcpu_vmx *vmx, u32 groups)
{
	vmx_cache_need_batch(vmx, groups, groups);
}

/* with its usual companion: vmx_cache_fetch_seg() */
static __always_inline void vmx_cache_need_seg(struct vcpu_vmx *vmx, int seg)
{
	if (unlikely(!(vmx->cache.avail & VMX_GS_SEG(seg))))
		vmx_cache_fetch_seg(vmx, seg);
}

static __always_inline void vmx_cache_set(struct vcpu_vmx *vmx, u32 groups)
{
	vmx->cache.avail |= groups;
	vmx->cache.dirty |= groups;
}

static inline const struct vmx_seg *vmx_seg(struct vcpu_vmx *vmx, int seg)
{
	vmx_cache_need_seg(vmx, seg);
	return &vmx->cache.seg[seg];
}

static inline struct vmx_seg *vmx_seg_mut(struct vcpu_vmx *vmx, int seg)
{
	vmx_cache_need_seg(vmx, seg);
	vmx_cache_set(vmx, VMX_GS_SEG(seg));
	return &vmx->cache.seg[seg];
}

static inline u64 vmx_rflags(struct vcpu_vmx *vmx)
{
	vmx_cache_need(vmx, VMX_GS_RFLAGS);
	return vmx->cache.rflags;
}

static inline u64 vmx_cr0(struct vcpu_vmx *vmx)
{
	vmx_cache_need_batch(vmx, VMX_GS_CR0, VMX_GS_MODE);
	return vmx->cache.cr0;
}

static inline void vmx_cr0_set(struct vcpu_vmx *vmx, u64 val)
{
	vmx->cache.cr0 = val;
	vmx_cache_set(vmx, VMX_GS_CR0);
}

static inline u64 vmx_cr3(struct vcpu_vmx *vmx)
{
	vmx_cache_need_batch(vmx, VMX_GS_CR3, VMX_GS_MODE);
	return vmx->cache.cr3;
}

static inline void vmx_cr3_set(struct vcpu_vmx *vmx, u64 val)
{
	vmx->cache.cr3 = val;
	vmx_cache_set(vmx, VMX_GS_CR3);
}

static inline u64 vmx_cr4(struct vcpu_vmx *vmx)
{
	vmx_cache_need_batch(vmx, VMX_GS_CR4, VMX_GS_MODE);
	return vmx->cache.cr4;
}

static inline void vmx_cr4_set(struct vcpu_vmx *vmx, u64 val)
{
	vmx->cache.cr4 = val;
	vmx_cache_set(vmx, VMX_GS_CR4);
}

/* never volatile: no VMREAD */
static inline u64 vmx_efer(const struct vcpu_vmx *vmx)
{
	return vmx->cache.efer;
}

static inline void vmx_efer_set(struct vcpu_vmx *vmx, u64 val)
{
	vmx->cache.efer = val;
	vmx_cache_set(vmx, VMX_GS_EFER);
}

static inline u64 vmx_dr7(struct vcpu_vmx *vmx)
{
	vmx_cache_need(vmx, VMX_GS_DR7);
	return vmx->cache.dr7;
}

static inline u32 vmx_intr_state(struct vcpu_vmx *vmx)
{
	vmx_cache_need(vmx, VMX_GS_INTR);
	return vmx->cache.interruptibility;
}

/* written at the next entry only when it changed */
static inline void vmx_intr_state_set(struct vcpu_vmx *vmx, u32 val)
{
	if (vmx_intr_state(vmx) == val)
		return;
	vmx->cache.interruptibility = val;
	vmx_cache_set(vmx, VMX_GS_INTR);
}

/* vmx.c */
extern u32 vmx_pin_ctls, vmx_cpu_ctls, vmx_sec_ctls, vmx_exit_ctls, vmx_entry_ctls;
extern u32 vmcs_revision_id;
extern u64 vmx_msr_bitmap_pa, vmx_msr_bitmap_all_pa;
extern u64 vmx_cr0_fixed0, vmx_cr0_fixed1, vmx_cr4_fixed0, vmx_cr4_fixed1;
extern bool vmx_vpid_enabled;
extern bool vmx_ins_outs_info;
/* params.c */
extern bool vmx_dump_invalid_vmcs;
void vmx_params_setup(void);
extern bool vmx_has_debugctl;
extern u32 vmx_preemption_timer;
u16 vmx_vpid_alloc(void);
void vmx_vpid_free(u16 vpid);
void vmx_flush_ept(u64 eptp);
void vmx_flush_vpid(u16 vpid);

/* vcpu.c */
int vmx_vcpu_create(struct kvm_vcpu *vcpu);
void vmx_vcpu_free(struct kvm_vcpu *vcpu);
void vmx_vcpu_reset(struct kvm_vcpu *vcpu);
void vmx_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void vmx_vcpu_put(struct kvm_vcpu *vcpu);
void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
void vmx_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var, int seg);
void vmx_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt);
void vmx_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt);
u64 vmx_get_cr(struct kvm_vcpu *vcpu, int cr);
void vmx_set_cr(struct kvm_vcpu *vcpu, int cr, u64 val);
u64 vmx_get_efer(struct kvm_vcpu *vcpu);
void vmx_set_efer(struct kvm_vcpu *vcpu, u64 efer);
u64 vmx_get_dr(struct kvm_vcpu *vcpu, int dr);
void vmx_set_dr(struct kvm_vcpu *vcpu, int dr, u64 val);
void vmx_set_dr_intercept(struct kvm_vcpu *vcpu, bool on);
u64 vmx_get_rflags(struct kvm_vcpu *vcpu);
void vmx_set_rflags(struct kvm_vcpu *vcpu, u64 rflags);
int vmx_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data);
int vmx_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data);
u64 vmx_get_tsc_offset(struct kvm_vcpu *vcpu);
void vmx_set_tsc_offset(struct kvm_vcpu *vcpu, u64 offset);
void vmx_vcpu_run(struct kvm_vcpu *vcpu);
void vmx_uret_cpu_enable(void);
void vmx_uret_cpu_disable(void);

/* pae.c */
bool vmx_pae_paging(struct vcpu_vmx *vmx);
int vmx_load_pdptrs(struct kvm_vcpu *vcpu, bool force);
void vmx_write_pdptrs(struct vcpu_vmx *vmx);
void vmx_read_pdptrs(struct vcpu_vmx *vmx);

/* events.c */
void vmx_inject_exception(struct kvm_vcpu *vcpu, u8 nr, bool has_error, u32 error_code);
void vmx_inject_irq(struct kvm_vcpu *vcpu, u8 nr);
void vmx_inject_nmi(struct kvm_vcpu *vcpu);
bool vmx_interrupt_allowed(struct kvm_vcpu *vcpu);
bool vmx_nmi_allowed(struct kvm_vcpu *vcpu);
void vmx_set_irq_window(struct kvm_vcpu *vcpu, bool on);
void vmx_set_nmi_window(struct kvm_vcpu *vcpu, bool on);
u32 vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu);
void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, u32 shadow);
bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu);
void vmx_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked);
void vmx_events_after_exit(struct kvm_vcpu *vcpu);
int vmx_exit_irq_window(struct kvm_vcpu *vcpu);
int vmx_exit_nmi_window(struct kvm_vcpu *vcpu);
int vmx_exit_exception_nmi(struct kvm_vcpu *vcpu);
void vmx_update_exception_intercepts(struct kvm_vcpu *vcpu);

/* exits.c */
int vmx_handle_exit(struct kvm_vcpu *vcpu);
void vmx_get_exit_info(struct kvm_vcpu *vcpu, u64 info[5]);
/* exit_stats slots: basic exit reasons (the last one: all those above), failed entries */
#define VMX_STAT_FAILED_ENTRY	(EXIT_REASON_MAX + 1)
#define VMX_NR_EXIT_NAMES	(VMX_STAT_FAILED_ENTRY + 1)
extern const char *const vmx_exit_names[VMX_NR_EXIT_NAMES];

/* vmenter.S: 0 after a VM exit, 1 on VMfail (VM-instruction error in the VMCS or none) */
int vmx_vmenter(unsigned long *regs, bool launched);

#endif
