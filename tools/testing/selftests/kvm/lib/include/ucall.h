/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ucall: guest -> host calls over port I/O.
 *
 * The guest fills a struct ucall in its memory (below 4 GiB) and executes one 32-bit OUT of
 * the struct's address to UCALL_PORT. KVM has no device there, so KVM_RUN returns with
 * KVM_EXIT_IO (api.rst 5, "KVM_EXIT_IO"): the host reads the address from the exit's data,
 * copies the struct out of guest memory, and may write a reply into it before the next
 * KVM_RUN, which completes the OUT; the guest's ucall() then returns the reply.
 *
 * The address is linear: a gva translated through the guest's page tables in long mode, a
 * physical address in real mode (segment * 16 + offset) and in protected mode without
 * paging. Real-mode and 32-bit code blobs build the struct by hand: the layout is fixed.
 */
#ifndef SELFTEST_KVM_UCALL_H
#define SELFTEST_KVM_UCALL_H

#include <stdint.h>

#include "kvm_vm.h"

#define UCALL_PORT		0xe1

/* Commands: macros, not an enum, so code blobs in assembly can use them. */
#define UCALL_NONE		0	/* get_ucall(): the exit was not a ucall */
#define UCALL_SYNC		1	/* args: test defined */
#define UCALL_DONE		2	/* the guest finished */
#define UCALL_ABORT		3	/* file, line, expression, format, up to 4 values */
#define UCALL_PRINTF		4	/* format, up to 7 values */
#define UCALL_UNHANDLED		5	/* vector, error code, rip, cr2 (x86_guest.c) */

#define UCALL_MAX_ARGS		8

struct ucall {
	uint64_t cmd;
	uint64_t nargs;
	uint64_t args[UCALL_MAX_ARGS];
	uint64_t reply;		/* host -> guest: what the guest's ucall() returns */
	uint64_t gva;		/* host only: where the struct was in the guest */
};

/* Byte offsets for code blobs that build a struct ucall by hand. */
#define UCALL_OFF_CMD		0
#define UCALL_OFF_NARGS		8
#define UCALL_OFF_ARG(n)	(16 + 8 * (n))
#define UCALL_OFF_REPLY		(16 + 8 * UCALL_MAX_ARGS)

/* --- guest side (64-bit guest code) --- */

uint64_t __ucall(uint64_t cmd, uint64_t nargs, const uint64_t *args);

/* Count 0 to 8 arguments, and convert each to uint64_t (pointers included). */
#define __UC_NARGS(...)	__UC_NTH(_, ##__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define __UC_NTH(_0, _1, _2, _3, _4, _5, _6, _7, _8, n, ...) n
#define __UC_U0()
#define __UC_U1(a) (uint64_t)(a)
#define __UC_U2(a, ...) (uint64_t)(a), __UC_U1(__VA_ARGS__)
#define __UC_U3(a, ...) (uint64_t)(a), __UC_U2(__VA_ARGS__)
#define __UC_U4(a, ...) (uint64_t)(a), __UC_U3(__VA_ARGS__)
#define __UC_U5(a, ...) (uint64_t)(a), __UC_U4(__VA_ARGS__)
#define __UC_U6(a, ...) (uint64_t)(a), __UC_U5(__VA_ARGS__)
#define __UC_U7(a, ...) (uint64_t)(a), __UC_U6(__VA_ARGS__)
#define __UC_U8(a, ...) (uint64_t)(a), __UC_U7(__VA_ARGS__)
#define __UC_CAT(a, b) a##b
#define __UC_U(n, ...) __UC_CAT(__UC_U, n)(__VA_ARGS__)

/* ucall(cmd, up to 8 integer or pointer args): returns the host's reply. */
#define ucall(cmd, ...)								\
	__ucall(cmd, __UC_NARGS(__VA_ARGS__),					\
		(const uint64_t [UCALL_MAX_ARGS]){				\
			__UC_U(__UC_NARGS(__VA_ARGS__), ##__VA_ARGS__) })

#define GUEST_SYNC(...)		ucall(UCALL_SYNC, ##__VA_ARGS__)
#define GUEST_DONE()		ucall(UCALL_DONE)
/* printf-like, formatted by the host: integer conversions, and %s of guest strings. */
#define GUEST_PRINTF(fmt, ...)	ucall(UCALL_PRINTF, fmt, ##__VA_ARGS__)

/* A failed guest assertion fails the test in the host, with the guest's file and line. */
#define __GUEST_ASSERT(cond, expr, fmt, ...) do {				\
	if (!(cond))								\
		ucall(UCALL_ABORT, __FILE__, __LINE__, expr, fmt, ##__VA_ARGS__); \
} while (0)
#define GUEST_ASSERT(cond)	__GUEST_ASSERT(cond, #cond, "")
#define GUEST_ASSERT_MSG(cond, fmt, ...) \
	__GUEST_ASSERT(cond, #cond, fmt, ##__VA_ARGS__)
#define GUEST_ASSERT_EQ(expected, actual) do {					\
	uint64_t __e = (uint64_t)(expected), __a = (uint64_t)(actual);		\
	__GUEST_ASSERT(__e == __a, #actual " == " #expected,			\
		       "expected %llu (%#llx), got %llu (%#llx)", __e, __e, __a, __a); \
} while (0)
#define GUEST_FAIL(fmt, ...)	__GUEST_ASSERT(0, "GUEST_FAIL", fmt, ##__VA_ARGS__)

/* --- host side --- */

/*
 * If the last exit was a ucall, copy the guest's struct into *uc (uc may be NULL) and
 * return its command; else return UCALL_NONE.
 */
uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
/* Set what the guest's pending ucall() returns when the vCPU runs again. */
void ucall_reply(struct kvm_vcpu *vcpu, const struct ucall *uc, uint64_t value);

/*
 * KVM_RUN until a ucall other than UCALL_PRINTF (printed as it comes): asserts the exit
 * is a ucall, fails the test with the guest's message on UCALL_ABORT, returns the command.
 */
uint64_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
/*
 * vcpu_run_ucall() that asserts the command: the message (at the caller's line) tells
 * what the guest did instead, e.g. which exception it took where.
 */
#define vcpu_run_expect_ucall(vcpu, cmd, uc) \
	__vcpu_run_expect_ucall(vcpu, cmd, uc, #cmd, __FILE__, __LINE__)
void __vcpu_run_expect_ucall(struct kvm_vcpu *vcpu, uint64_t cmd, struct ucall *uc,
			     const char *name, const char *file, int line);
/*
 * KVM_RUN for a test that expects an exit other than a ucall next (KVM_EXIT_MMIO, ...):
 * UCALL_PRINTF is printed and the vCPU run again, UCALL_ABORT fails the test with the
 * guest's message; any other exit is left in kvm_run for the caller to check.
 */
void vcpu_run_exit(struct kvm_vcpu *vcpu);
/* "UCALL_SYNC", ... */
const char *ucall_name(uint64_t cmd);

#endif
