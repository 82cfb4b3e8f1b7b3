/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86 common code used by the backends' exit handlers: CPUID (cpuid.c), MSRs (msr.c), port
 * I/O (pio.c), nested paging faults (mmu/tdp.c) and the run loop's helpers (x86.c). Each
 * returns like an exit handler: 1 re-enter the guest, 0 exit to userspace, <0 error.
 */
#ifndef ARCH_X86_KVM_X86_H
#define ARCH_X86_KVM_X86_H

#include "kvm_core.h"
#include "kvm_x86_ops.h"
#include "lapic.h"
#include "params.h"

/* cpuid.c */
bool kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry(struct kvm_vcpu *vcpu, u32 function,
						    u32 index);
/* the KVM features leaf (KVM_CPUID_FEATURES at the KVM base) of a table, or NULL */
struct kvm_cpuid_entry2 *kvm_cpuid_pv_features(struct kvm_cpuid_entry2 *entries, u32 nent);
long kvm_dev_ioctl_get_supported_cpuid(struct kvm_cpuid2 __user *ucpuid);
long kvm_vcpu_ioctl_set_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 __user *ucpuid);
long kvm_vcpu_ioctl_get_cpuid2(struct kvm_vcpu *vcpu, struct kvm_cpuid2 __user *ucpuid);
void kvm_cpuid_free(struct kvm_vcpu *vcpu);
/* leaf 7.0 EBX: IA32_TSC_ADJUST exists (emulated by msr.c whatever the host has) */
#define F7_EBX_TSC_ADJUST	BIT(1)
/* what the guest's CPUID table says */
enum { CPUID_REG_EAX, CPUID_REG_EBX, CPUID_REG_ECX, CPUID_REG_EDX };
int kvm_guest_maxphyaddr(struct kvm_vcpu *vcpu);
/* an AMD (or Hygon) host: its CPUID leaves and MSRs are AMD's */
bool kvm_host_is_amd(void);
bool kvm_guest_has(struct kvm_vcpu *vcpu, u32 function, u32 index, int reg, u32 bit);
/* MONITOR/MWAIT intercepted: true when they #UD, false when they are NOPs (api.rst 7.31) */
bool kvm_monitor_mwait_faults(struct kvm_vcpu *vcpu);
bool kvm_misc_enable_mwait_ok(struct kvm_vcpu *vcpu, u64 old, u64 new);
/* the XSAVE features KVM supports, and those the guest may enable in XCR0 (by its CPUID) */
u64 kvm_supported_xcr0(void);
u64 kvm_guest_supported_xcr0(struct kvm_vcpu *vcpu);

/* kvmclock.c */
#define KVM_SYSTEM_TIME_ENABLE	BIT_ULL(0)	/* bit 0 of MSR_KVM_SYSTEM_TIME(_NEW) */
enum { KVMCLOCK_REQ_UPDATE, KVMCLOCK_REQ_STOPPED };
extern unsigned int kvmclock_host_gen;
int kvmclock_module_init(void);
void kvmclock_module_exit(void);
void kvmclock_init_vm(struct kvm *kvm);
long kvmclock_vm_ioctl(struct kvm *kvm, unsigned int ioctl, void __user *argp);
long kvmclock_ctrl(struct kvm_vcpu *vcpu);
int kvmclock_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host);
void kvmclock_request_update(struct kvm_vcpu *vcpu);
void kvmclock_update(struct kvm_vcpu *vcpu);
/* the vCPU's pvclock page must be rewritten before it enters the guest */
static inline bool kvmclock_pending(struct kvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.clock_req) ||
	       vcpu->arch.clock_gen != READ_ONCE(kvmclock_host_gen);
}

/*
 * msr.c: 0, or nonzero when the guest gets #GP (host=true: from KVM_SET_MSRS, laxer):
 * KVM_MSR_UNKNOWN for an MSR nobody here knows, 1 for one refused (value, CPUID, ...)
 */
#define KVM_MSR_UNKNOWN		2
int kvm_msr_read(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host);
int kvm_msr_write(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);
void kvm_msr_reset(struct kvm_vcpu *vcpu);
bool kvm_msr_ignored(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool write, bool host);
u64 kvm_guest_tsc(struct kvm_vcpu *vcpu);
void kvm_set_tsc_offset(struct kvm_vcpu *vcpu, u64 offset);
long kvm_vcpu_ioctl_msrs(struct kvm_vcpu *vcpu, struct kvm_msrs __user *umsrs, bool set);
long kvm_dev_ioctl_get_msr_index_list(struct kvm_msr_list __user *ulist);
long kvm_dev_ioctl_get_feature_msr_index_list(struct kvm_msr_list __user *ulist);
long kvm_dev_ioctl_get_feature_msrs(struct kvm_msrs __user *umsrs);

/* msr_filter.c: KVM_X86_SET_MSR_FILTER, KVM_CAP_X86_USER_SPACE_MSR, the guest's accesses */
long kvm_vm_ioctl_set_msr_filter(struct kvm *kvm, void __user *argp);
void kvm_msr_filter_destroy(struct kvm *kvm);
bool kvm_msr_filter_intercept_all(struct kvm *kvm);
int kvm_vm_enable_user_space_msr(struct kvm *kvm, u64 reasons);
int kvm_emulate_msr_access(struct kvm_vcpu *vcpu, bool write, u64 next_rip);
void kvm_complete_msr(struct kvm_vcpu *vcpu);

/* pio.c */
int kvm_emulate_pio(struct kvm_vcpu *vcpu, bool in, u16 port, unsigned int size);
int kvm_emulate_string_pio(struct kvm_vcpu *vcpu, bool in, u16 port, unsigned int size,
			   bool rep, unsigned int addr_bits, int seg, u64 next_rip);
/* complete an IN that userspace answered, at the start of KVM_RUN */
void kvm_complete_pio(struct kvm_vcpu *vcpu);
int kvm_pio_out(struct kvm_vcpu *vcpu, u16 port, unsigned int size, const void *data);

/* mmu/tdp.c (and the kvm_arch_* MMU hooks of kvm_core.h) */
int kvm_tdp_init(struct kvm *kvm);
/* irq.c: GSI routing and lines (api.rst 4.52, 4.25) */
void kvm_irq_init(struct kvm *kvm);
void kvm_irq_routing_destroy(struct kvm *kvm);
long kvm_vm_ioctl_set_gsi_routing(struct kvm *kvm, void __user *argp);
long kvm_vm_ioctl_irq_line(struct kvm *kvm, void __user *argp, bool status);
void kvm_tdp_destroy(struct kvm *kvm);
/*
 * A nested page fault / EPT violation. error_code has the layout of SVM's exit_info_1 (APM
 * 15.25.6: the #PF error code, bit 33 when the fault hit the guest's own page tables during
 * its walk); VMX translates its exit qualification into it (SDM 27.2.1).
 */
#define TDP_FAULT_WRITE		BIT_ULL(1)
#define TDP_FAULT_FETCH		BIT_ULL(4)
#define TDP_FAULT_PT_WALK	BIT_ULL(33)
int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 error_code);
long kvm_vcpu_ioctl_pre_fault_memory(struct kvm_vcpu *vcpu, void __user *argp);
void kvm_tdp_vcpu_free(struct kvm_vcpu *vcpu);

/*
 * mmio.c: emulate the instruction that faulted on device memory at gpa (no slot, or a write
 * to a read-only slot: no_slot false); at the start of KVM_RUN, finish what the last MMIO exit left (1: go
 * on into the guest, 0: exit to userspace again).
 */
int kvm_mmio_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 error_code, bool no_slot);
int kvm_emulate_at_rip(struct kvm_vcpu *vcpu);
bool kvm_write_linear(struct kvm_vcpu *vcpu, u64 linear, const void *buf, unsigned int len);
int kvm_mmio_flush(struct kvm_vcpu *vcpu);
int kvm_complete_mmio(struct kvm_vcpu *vcpu);

/* mmu/guest_walk.c: 0, or -EFAULT/-EACCES with the #PF error code in *pf_error */
int kvm_gva_to_gpa(struct kvm_vcpu *vcpu, u64 gva, unsigned int access, u64 *gpa,
		   u32 *pf_error);
/* debugreg.c: the instruction bytes at CS:RIP */
int kvm_fetch_at_rip(struct kvm_vcpu *vcpu, u8 *buf, unsigned int len, u64 *first_gpa);

/* debugreg.c */
void kvm_debugregs_reset(struct kvm_vcpu *vcpu);
void kvm_debugregs_load(struct kvm_vcpu *vcpu);
void kvm_debugregs_save(struct kvm_vcpu *vcpu);
int kvm_handle_dr_access(struct kvm_vcpu *vcpu);
long kvm_vcpu_ioctl_get_debugregs(struct kvm_vcpu *vcpu, struct kvm_debugregs __user *udr);
long kvm_vcpu_ioctl_set_debugregs(struct kvm_vcpu *vcpu, struct kvm_debugregs __user *udr);
/* what KVM_SET_GUEST_DEBUG accepts (KVM_CAP_SET_GUEST_DEBUG2) */
#define KVM_GUESTDBG_SUPPORTED	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP | \
				 KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP | \
				 KVM_GUESTDBG_BLOCKIRQ)
/* a #DB the backend intercepted with these DR6 bits: the debugger's (1), or the guest's */
bool kvm_db_is_debuggers(struct kvm_vcpu *vcpu, u64 dr6);
long kvm_vcpu_ioctl_set_guest_debug(struct kvm_vcpu *vcpu, struct kvm_guest_debug __user *u);
u64 kvm_get_rflags(struct kvm_vcpu *vcpu);
void kvm_set_rflags(struct kvm_vcpu *vcpu, u64 rflags);
int kvm_exit_debug(struct kvm_vcpu *vcpu, u32 exception, u64 dr6);

/* events.c */
enum kvm_event_kind { KVM_EVENT_EXT_INTR, KVM_EVENT_NMI, KVM_EVENT_EXCEPTION, KVM_EVENT_SOFT };
void kvm_queue_exception(struct kvm_vcpu *vcpu, u8 nr, bool has_error, u32 error_code);
void kvm_event_interrupted(struct kvm_vcpu *vcpu, enum kvm_event_kind kind, u8 nr,
			   bool has_error, u32 error_code);
void kvm_events_reset(struct kvm_vcpu *vcpu);
void kvm_inject_events(struct kvm_vcpu *vcpu);
void kvm_events_delivered(struct kvm_vcpu *vcpu);
bool kvm_ready_for_interrupt_injection(struct kvm_vcpu *vcpu);
long kvm_vcpu_ioctl_interrupt(struct kvm_vcpu *vcpu, struct kvm_interrupt __user *uirq);
long kvm_vcpu_ioctl_nmi(struct kvm_vcpu *vcpu);
long kvm_vcpu_ioctl_get_vcpu_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events __user *u);
long kvm_vcpu_ioctl_set_vcpu_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events __user *u);
void kvm_vcpu_get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *e);
int kvm_vcpu_set_events(struct kvm_vcpu *vcpu, const struct kvm_vcpu_events *e);

/* mce.c: 0, 1 for #GP, -ENOENT for an MSR not of the machine-check architecture */
void kvm_mce_reset(struct kvm_vcpu *vcpu);
int kvm_mce_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data, bool host);
int kvm_mce_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data, bool host);
long kvm_vcpu_ioctl_mce(struct kvm_vcpu *vcpu, unsigned int ioctl, void __user *argp);
long kvm_dev_ioctl_get_mce_cap(u64 __user *argp);

/* pv.c: hypercall number and arguments in the vCPU's registers, result to RAX */
void kvm_emulate_hypercall(struct kvm_vcpu *vcpu, int cpl);
/* an intercepted #UD; native: the backend's hypercall instruction */
int kvm_handle_ud(struct kvm_vcpu *vcpu, const u8 native[3]);
/* KVM_FEATURE_* bit of CPUID 0x40000001 usable by the guest (KVM_CAP_ENFORCE_PV_FEATURE_CPUID) */
bool kvm_pv_has(struct kvm_vcpu *vcpu, unsigned int feature);
int kvm_poll_control_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host);

/* tsc.c: the guest TSC's rate */
u32 kvm_vcpu_tsc_khz(struct kvm_vcpu *vcpu);
void kvm_tsc_rebase(struct kvm_vcpu *vcpu);
int kvm_vcpu_set_tsc_khz(struct kvm_vcpu *vcpu, u32 khz);
void kvm_tsc_catchup(struct kvm_vcpu *vcpu);
long kvm_vcpu_ioctl_tsc_khz(struct kvm_vcpu *vcpu, unsigned int ioctl, unsigned long arg);
long kvm_vm_ioctl_tsc_khz(struct kvm *kvm, unsigned int ioctl, unsigned long arg);
void kvm_tsc_init_vm(struct kvm *kvm);
void kvm_tsc_init_vcpu(struct kvm_vcpu *vcpu);
int kvm_vcpu_enable_cap(struct kvm_vcpu *vcpu, struct kvm_enable_cap *cap);

/* steal_time.c: MSR_KVM_STEAL_TIME and its area in guest memory */
bool kvm_steal_time_supported(void);
int kvm_steal_time_msr(struct kvm_vcpu *vcpu, u64 *data, bool write, bool host);
void kvm_steal_time_reset(struct kvm_vcpu *vcpu);
void kvm_steal_time_load(struct kvm_vcpu *vcpu);
void kvm_steal_time_put(struct kvm_vcpu *vcpu);
void kvm_steal_time_update(struct kvm_vcpu *vcpu);

/* vm_config.c: VM-wide settings of struct kvm_arch */
/* api.rst 7.7 KVM_CAP_X2APIC_API: the flags KVM_ENABLE_CAP takes (vm_config.c, lapic.c) */
#define KVM_X2APIC_API_VALID	(KVM_X2APIC_API_USE_32BIT_IDS | \
				 KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)
/* the quirks KVM_CAP_DISABLE_QUIRKS2 can turn off here (api.rst 7.31) */
#define KVM_QUIRKS_DISABLEABLE	(KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT | \
				 KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS | \
				 KVM_X86_QUIRK_FIX_HYPERCALL_INSN)
bool kvm_vcpu_is_bsp(struct kvm_vcpu *vcpu);
bool kvm_quirk_enabled(struct kvm *kvm, u64 quirk);
long kvm_vm_ioctl_set_boot_cpu_id(struct kvm *kvm, unsigned long id);
bool kvm_vm_vcpu_id_allowed(struct kvm *kvm, unsigned int id);
int kvm_vm_config_enable_cap(struct kvm *kvm, struct kvm_enable_cap *cap);
u32 kvm_disable_exits_allowed(void);
/* the guest runs HLT / MONITOR+MWAIT without an exit (KVM_CAP_X86_DISABLE_EXITS) */
static inline bool kvm_vcpu_hlt_in_guest(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.disabled_exits & KVM_X86_DISABLE_EXITS_HLT;
}

static inline bool kvm_vcpu_mwait_in_guest(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.disabled_exits & KVM_X86_DISABLE_EXITS_MWAIT;
}
long kvm_vm_ioctl_nr_mmu_pages(struct kvm *kvm, unsigned int ioctl, unsigned long arg);

/* vcpu.c */
u64 kvm_cr4_reserved(struct kvm_vcpu *vcpu);
int kvm_emulate_mov_cr4(struct kvm_vcpu *vcpu);
int kvm_set_cr0(struct kvm_vcpu *vcpu, u64 val);
int kvm_read_pae_pdptrs(struct kvm_vcpu *vcpu, u64 cr3, u64 pdpte[4]);
/* the CR0 and CR4 bits whose change under PAE paging reloads the PDPTEs (SDM vol. 3A 4.4.1) */
#define CR0_PDPTR_BITS		(X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)
#define CR4_PDPTR_BITS		(X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE | X86_CR4_SMEP)
/* the state of KVM_GET/SET_REGS and SREGS (set_sregs: 0 or -EINVAL, nothing changed) */
void kvm_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *r);
void kvm_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *r);
void kvm_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *s);
int kvm_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *s);
/* RESET, or INIT (init true: MSRs and the TSC kept, SDM 9.1 table 9-1) */
void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init);

/* run.c */
void kvm_run_init(void);
long kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu);
int kvm_emulate_halt(struct kvm_vcpu *vcpu);
int kvm_set_xcr(struct kvm_vcpu *vcpu, u32 index, u64 xcr);
int kvm_exit_internal_error(struct kvm_vcpu *vcpu, u32 suberror, u64 data0);

#endif
