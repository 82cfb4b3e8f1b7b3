/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device accesses of a given width from a long-mode guest (MMIO through a pointer, port I/O
 * with IN/OUT), and the host's checks of the exits they make: the pieces the tests of MMIO,
 * ioeventfds and coalesced MMIO share. The guest side is inline (guest code must not call
 * into libc, and stays in the test binary's guest copy).
 */
#ifndef SELFTEST_KVM_GUEST_ACCESS_H
#define SELFTEST_KVM_GUEST_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_vm.h"

/* the bits of a len-byte access (len 8 and more: all) */
static inline uint64_t len_mask(int len)
{
	return len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
}

static inline void guest_mmio_write(uint64_t gpa, int len, uint64_t val)
{
	switch (len) {
	case 1: *(volatile uint8_t *)gpa = val; break;
	case 2: *(volatile uint16_t *)gpa = val; break;
	case 4: *(volatile uint32_t *)gpa = val; break;
	default: *(volatile uint64_t *)gpa = val; break;
	}
}

static inline uint64_t guest_mmio_read(uint64_t gpa, int len)
{
	switch (len) {
	case 1: return *(volatile uint8_t *)gpa;
	case 2: return *(volatile uint16_t *)gpa;
	case 4: return *(volatile uint32_t *)gpa;
	default: return *(volatile uint64_t *)gpa;
	}
}

static inline void guest_pio_out(uint16_t port, int len, uint32_t val)
{
	switch (len) {
	case 1: asm volatile("outb %b0, %w1" : : "a"(val), "Nd"(port)); break;
	case 2: asm volatile("outw %w0, %w1" : : "a"(val), "Nd"(port)); break;
	default: asm volatile("outl %0, %w1" : : "a"(val), "Nd"(port)); break;
	}
}

static inline uint32_t guest_pio_in(uint16_t port, int len)
{
	uint32_t v = 0;

	switch (len) {
	case 1: asm volatile("inb %w1, %b0" : "+a"(v) : "Nd"(port)); break;
	case 2: asm volatile("inw %w1, %w0" : "+a"(v) : "Nd"(port)); break;
	default: asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port)); break;
	}
	return v;
}

static inline void guest_outb(uint16_t port, uint8_t v)
{
	guest_pio_out(port, 1, v);
}

static inline uint8_t guest_inb(uint16_t port)
{
	return guest_pio_in(port, 1);
}

/* REP OUTSB of the n bytes at src to port */
static inline void guest_rep_outsb(uint16_t port, const void *src, uint64_t n)
{
	asm volatile("rep outsb" : "+S"(src), "+c"(n) : "d"(port) : "memory");
}

/*
 * KVM_RUN; the exit must be KVM_EXIT_MMIO of (is_write, gpa, len), with data val for a
 * write. A read is answered with val (api.rst 5 "KVM_EXIT_MMIO": userspace fills
 * mmio.data, the next KVM_RUN completes the instruction). what names the step in messages.
 */
void expect_mmio_exit(struct kvm_vcpu *vcpu, bool is_write, uint64_t gpa, uint32_t len,
		      uint64_t val, const char *what);

/* KVM_RUN; the exit must be KVM_EXIT_IO of one element; an IN is answered with val. */
void expect_pio_exit(struct kvm_vcpu *vcpu, uint8_t direction, uint16_t port, uint8_t size,
		     uint32_t val, const char *what);

#endif
