/* SPDX-License-Identifier: GPL-2.0-only */
/* What kvm_bench.c shares with the benchmarks in files of their own (bench_pv.c). */
#ifndef KVM_BENCH_H
#define KVM_BENCH_H

#include <pthread.h>
#include <time.h>

#include "kvm_vm.h"
#include "ucall.h"

#define WARM_OPS	10		/* untimed round trips before the timed ones */
#define SYNC_DONE	(~0ULL)		/* a reply to GUEST_SYNC: end the guest */

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Time of one KVM_RUN from the reply n to a SYNC to the next SYNC (n operations). */
long long sync_run(struct kvm_vcpu *vcpu, struct ucall *uc, uint64_t n);
/*
 * A host thread's body for a vCPU that waits in HLT (in the kernel) until its guest's
 * GUEST_DONE: arg is the struct kvm_vcpu. Returns NULL.
 */
void *vcpu_run_to_done(void *arg);
/*
 * vCPUs first_id.. first_id + n - 1 of vm at entry, made runnable at once (an AP starts in
 * wait-for-SIPI with the in-kernel APIC), each run by a host thread of its own
 * (vcpu_run_to_done) until its GUEST_DONE; vcpu_threads_join() waits for the n threads.
 */
void vcpu_threads_start(struct kvm_vm *vm, int first_id, void (*entry)(void), int n,
			struct kvm_vcpu **vcpus, pthread_t *threads);
void vcpu_threads_join(pthread_t *threads, int n);
/* A long-mode VM with the in-kernel irqchip, the APIC mapped, apic.c's handler on vectors. */
struct kvm_vm *irqchip_vm_new(const uint8_t *vectors, int nr);

/* bench_pv.c: the paravirtual interface (issue 18) */
double bench_self_ipi_apic_eoi(void);
double bench_self_ipi_pv_eoi(void);
double bench_pv_send_ipi(void);
double bench_kvmclock_read(void);

/* bench_load.c: loads a user feels (issue 19) */
double bench_lapic_timer_1khz(void);
double bench_tlb_shootdown(void);

#endif
