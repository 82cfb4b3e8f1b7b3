/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal to kvm-amd: the per-vCPU SVM state and what svm.c, vcpu.c and exits.c share. */
#ifndef ARCH_X86_KVM_SVM_SVM_H
#define ARCH_X86_KVM_SVM_SVM_H

#include "kvm_core.h"
#include "kvm_x86_ops.h"
#include "vmcb.h"

struct vcpu_svm {
	struct kvm_vcpu *vcpu;
	struct vmcb *vmcb;		/* vcpu */
	u64 vmcb_pa;			/* immutable */
	u32 asid;			/* valid on asid_cpu in asid_generation */
	int asid_cpu;			/* -1: none yet */
	u64 asid_generation;
	/* NMI blocking, tracked here (events.c); vcpu */
	bool nmi_masked;
	bool awaiting_iret;		/* IRET intercepted at iret_rip, not yet past it */
	bool nmi_singlestep;		/* TF set by us to exit right after one instruction */
	u64 guest_tf;			/* the guest's own RFLAGS.TF meanwhile */
	u64 iret_rip;
	/* an external interrupt is in V_IRQ for this entry (events.c); vcpu */
	bool irq_in_v_irq;
	/*
	 * This CPU's host save area holds this thread's state, VMSAVEd by an entry since
	 * vcpu_load (vcpu.c, svm_vcpu_run()); cleared by vcpu_put. Preemption disabled.
	 */
	bool host_saved;
};

static inline struct vcpu_svm *to_svm(struct kvm_vcpu *vcpu)
{
	return vcpu->arch.vendor;
}

/* svm.c */
extern u64 svm_iopm_pa, svm_msrpm_pa, svm_msrpm_all_pa;
extern bool svm_has_nrips;
/* params.c */
extern bool svm_dump_invalid_vmcb;
void svm_params_setup(void);
u64 svm_host_save_pa(void);		/* this CPU's VMSAVE area for host state */
void svm_asid_assign(struct vcpu_svm *svm, int cpu);
void svm_flush_asid(struct vcpu_svm *svm);

/* vcpu.c */
int svm_vcpu_create(struct kvm_vcpu *vcpu);
void svm_vcpu_free(struct kvm_vcpu *vcpu);
void svm_vcpu_reset(struct kvm_vcpu *vcpu);
void svm_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void svm_vcpu_put(struct kvm_vcpu *vcpu);
void svm_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
void svm_set_segment(struct kvm_vcpu *vcpu, const struct kvm_segment *var, int seg);
void svm_get_dtable(struct kvm_vcpu *vcpu, struct kvm_dtable *dt, bool idt);
void svm_set_dtable(struct kvm_vcpu *vcpu, const struct kvm_dtable *dt, bool idt);
u64 svm_get_cr(struct kvm_vcpu *vcpu, int cr);
void svm_set_cr(struct kvm_vcpu *vcpu, int cr, u64 val);
u64 svm_get_efer(struct kvm_vcpu *vcpu);
void svm_set_efer(struct kvm_vcpu *vcpu, u64 efer);
u64 svm_get_dr(struct kvm_vcpu *vcpu, int dr);
void svm_set_dr(struct kvm_vcpu *vcpu, int dr, u64 val);
void svm_set_dr_intercept(struct kvm_vcpu *vcpu, bool on);
u64 svm_get_rflags(struct kvm_vcpu *vcpu);
void svm_set_rflags(struct kvm_vcpu *vcpu, u64 rflags);
int svm_get_msr(struct kvm_vcpu *vcpu, u32 index, u64 *data);
int svm_set_msr(struct kvm_vcpu *vcpu, u32 index, u64 data);
u64 svm_get_tsc_offset(struct kvm_vcpu *vcpu);
void svm_set_tsc_offset(struct kvm_vcpu *vcpu, u64 offset);
void svm_vcpu_run(struct kvm_vcpu *vcpu);

/* events.c */
void svm_inject_exception(struct kvm_vcpu *vcpu, u8 nr, bool has_error, u32 error_code);
void svm_inject_irq(struct kvm_vcpu *vcpu, u8 nr);
void svm_inject_nmi(struct kvm_vcpu *vcpu);
bool svm_interrupt_allowed(struct kvm_vcpu *vcpu);
bool svm_nmi_allowed(struct kvm_vcpu *vcpu);
void svm_set_irq_window(struct kvm_vcpu *vcpu, bool on);
void svm_set_nmi_window(struct kvm_vcpu *vcpu, bool on);
u32 svm_get_interrupt_shadow(struct kvm_vcpu *vcpu);
void svm_set_interrupt_shadow(struct kvm_vcpu *vcpu, u32 shadow);
bool svm_get_nmi_mask(struct kvm_vcpu *vcpu);
void svm_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked);
void svm_events_reset(struct vcpu_svm *svm);
void svm_events_after_exit(struct kvm_vcpu *vcpu);
int svm_exit_vintr(struct kvm_vcpu *vcpu);
void svm_vcpu_show(struct seq_file *m, struct kvm_vcpu *vcpu);
int svm_exit_iret(struct kvm_vcpu *vcpu);
int svm_exit_db(struct kvm_vcpu *vcpu);
int svm_exit_bp(struct kvm_vcpu *vcpu);
void svm_update_exception_intercepts(struct kvm_vcpu *vcpu);

/* exits.c */
int svm_handle_exit(struct kvm_vcpu *vcpu);
void svm_get_exit_info(struct kvm_vcpu *vcpu, u64 info[5]);
/* exit_stats slots: codes below 0x100 as they are, then NPF, then anything else */
#define SVM_STAT_NPF		0x100
#define SVM_STAT_OTHER		0x101
#define SVM_NR_EXIT_NAMES	(SVM_STAT_OTHER + 1)
extern const char *const svm_exit_names[SVM_NR_EXIT_NAMES];

/* vmenter.S */
void svm_vmrun(u64 vmcb_pa, unsigned long *regs, u64 host_save_pa, bool save_host);

#endif
