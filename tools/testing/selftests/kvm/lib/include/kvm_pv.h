/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The paravirtual guest interface, guest side (Documentation/virt/kvm/x86/msr.rst,
 * hypercalls.rst): the pvclock structures (<asm/pvclock-abi.h> is not a uapi header) and
 * their reading protocol, and the hypercall instruction of the host's vendor.
 */
#ifndef SELFTEST_KVM_PV_H
#define SELFTEST_KVM_PV_H

#include <stdbool.h>
#include <stdint.h>

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((__packed__));

struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((__packed__));

#define PVCLOCK_TSC_STABLE_BIT	(1 << 0)
#define PVCLOCK_GUEST_STOPPED	(1 << 1)

static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

/*
 * The guest's time in ns from its pvclock page: the fields are read between two reads of an
 * even, unchanged version (msr.rst, MSR_KVM_SYSTEM_TIME_NEW). *flags (if not NULL) gets the
 * page's flags of the same snapshot.
 */
static inline uint64_t pvclock_read(volatile struct pvclock_vcpu_time_info *p, uint8_t *flags)
{
	uint64_t delta, ns;
	uint32_t v;
	uint8_t f;

	do {
		v = p->version;
		asm volatile("" ::: "memory");
		delta = guest_rdtsc() - p->tsc_timestamp;
		if (p->tsc_shift >= 0)
			delta <<= p->tsc_shift;
		else
			delta >>= -p->tsc_shift;
		ns = p->system_time +
		     (uint64_t)(((unsigned __int128)delta * p->tsc_to_system_mul) >> 32);
		f = p->flags;
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != p->version);
	if (flags)
		*flags = f;
	return ns;
}

/*
 * PV EOI, the guest's side (msr.rst, MSR_KVM_PV_EOI_EN): test and clear bit 0 of the flag in
 * one instruction; true when KVM had set it, and the EOI is then done (no EOI write).
 */
static inline bool pv_eoi_test_and_clear(volatile uint32_t *flag)
{
	uint8_t was_set;

	asm volatile("btrl $0, %0; setc %1" : "+m"(*flag), "=q"(was_set) : : "memory");
	return was_set;
}

/* A KVM hypercall: VMMCALL on an AMD host, VMCALL on an Intel one (hypercalls.rst). */
static inline uint64_t kvm_hypercall(bool amd, uint64_t nr, uint64_t a0, uint64_t a1,
				     uint64_t a2, uint64_t a3)
{
	uint64_t r;

	if (amd)
		asm volatile("vmmcall" : "=a"(r)
			     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	else
		asm volatile("vmcall" : "=a"(r)
			     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3) : "memory");
	return r;
}

#endif
