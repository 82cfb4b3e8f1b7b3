/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module parameters under Linux's names (/sys/module/{kvm,kvm_amd,kvm_intel}/parameters/),
 * for the tools that read them. Where a feature exists here its parameter works as in Linux;
 * where this implementation has one fixed behaviour the parameter is read-only and reads
 * what is true of it (kvm_fixed_param: a value given at load time that differs is refused
 * with a warning, the module still loads and the parameter keeps the truth).
 */
#ifndef ARCH_X86_KVM_PARAMS_H
#define ARCH_X86_KVM_PARAMS_H

#include <linux/moduleparam.h>

extern const struct kernel_param_ops kvm_fixed_bool_ops;
extern const struct kernel_param_ops kvm_fixed_int_ops;
extern const struct kernel_param_ops kvm_fixed_uint_ops;
extern const struct kernel_param_ops kvm_fixed_ushort_ops;

/* name: the parameter; var: its variable (holding the fact); type: bool, int, uint, ushort */
#define kvm_fixed_param(name, var, type, desc)					\
	module_param_cb(name, &kvm_fixed_##type##_ops, &(var), 0444);		\
	__MODULE_PARM_TYPE(name, #type);					\
	MODULE_PARM_DESC(name, desc)

/* the same for an int Linux declares as "bint" (a bool that reads as 0/1) */
#define kvm_fixed_bint_param(name, var, desc)					\
	module_param_cb(name, &kvm_fixed_int_ops, &(var), 0444);		\
	__MODULE_PARM_TYPE(name, "bint");					\
	MODULE_PARM_DESC(name, desc)

/* kvm.ko parameters the code reads (params.c) */
extern bool kvm_ignore_msrs;
extern bool kvm_report_ignored_msrs;
extern unsigned int kvm_min_timer_period_us;
extern bool kvm_nx_huge_pages;
void kvm_params_init(void);

#endif
