/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Assertions for the selftests. A failed assertion prints where, what was expected and what
 * was seen (with errno when a call failed), then ends the test program with KSFT_FAIL:
 * later subtests depend on the state the failed one should have left.
 */
#ifndef SELFTEST_KVM_TEST_UTIL_H
#define SELFTEST_KVM_TEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kselftest.h"

/* CLOCK_MONOTONIC in ns */
uint64_t monotonic_ns(void);
/* the host TSC's rate in Hz over 200 ms of CLOCK_MONOTONIC (guests run at it: no scaling) */
uint64_t host_tsc_hz(void);
/*
 * The harness's limit for this test in seconds (VMTEST_TIMEOUT; 300 without it): waits on
 * the emulated host's own progress (KSM scans, vCPU threads getting a CPU) scale with it,
 * since the Intel host (Bochs) runs about 100 times slower than the AMD one.
 */
int test_timeout_s(void);

void __attribute__((noreturn, format(printf, 4, 5)))
test_assert_fail(const char *file, int line, const char *expr, const char *fmt, ...);

#define TEST_ASSERT(cond, fmt, ...) do {					\
	if (!(cond))								\
		test_assert_fail(__FILE__, __LINE__, #cond, fmt, ##__VA_ARGS__); \
} while (0)

/* Compare two integers; the message names both expressions and both values. */
#define TEST_ASSERT_EQ(expected, actual) do {					\
	long long __e = (long long)(expected), __a = (long long)(actual);	\
	if (__e != __a)								\
		test_assert_fail(__FILE__, __LINE__, #actual " == " #expected,	\
				 "expected %lld (%#llx), got %lld (%#llx)",	\
				 __e, (unsigned long long)__e, __a,		\
				 (unsigned long long)__a);			\
} while (0)

/* A call that must fail with -1 and a given errno (the KVM ioctl convention). */
#define TEST_ASSERT_ERRNO(expected_errno, call) do {				\
	long __r;								\
	errno = 0;								\
	__r = (long)(call);							\
	if (__r != -1 || errno != (expected_errno))				\
		test_assert_fail(__FILE__, __LINE__, #call,			\
				 "expected -1 with errno %s, got %ld with errno %s", \
				 errno_name(expected_errno), __r,		\
				 __r == -1 ? errno_name(errno) : "(none)");	\
} while (0)

/*
 * Run fn in a child process as one TAP subtest named by fmt (a string literal): "ok" if fn
 * returns, "not ok" if an assertion in it fails (or it dies), "skip" if it calls
 * subtest_skip(). A failed assertion then ends the child only, so the next subtests still
 * run. fn must create the VMs it uses: VM and vCPU fds answer only the process that created
 * the VM (EIO). A macro: kselftest.h keeps its counters per source file, so the result is
 * counted in the test's own.
 */
#define run_subtest(fn, fmt, ...) do {						\
	int __st = __run_subtest(fn);						\
	if (__st == KSFT_PASS)							\
		ksft_test_result_pass(fmt "\n", ##__VA_ARGS__);			\
	else if (__st == KSFT_SKIP)						\
		ksft_test_result_skip(fmt "\n", ##__VA_ARGS__);			\
	else									\
		ksft_test_result_fail(fmt "\n", ##__VA_ARGS__);			\
} while (0)
/* Run fn in a child; KSFT_PASS, KSFT_SKIP or KSFT_FAIL as it ended. */
int __run_subtest(void (*fn)(void));
/* In a run_subtest() child: print the reason and report the subtest as skipped. */
void __attribute__((noreturn, format(printf, 1, 2))) subtest_skip(const char *fmt, ...);

/* "EINVAL", "ENOTTY", ... or the number for the rare ones. */
const char *errno_name(int e);

/* Read a file holding one integer (sysfs style); asserts on failure. */
long long read_sysfs_int(const char *path);
/* Write a string to a sysfs/proc file; returns 0 or -errno. */
int write_sysfs(const char *path, const char *val);
/*
 * Whether the running kernel is major.minor or later (uname's release). For the behaviour
 * stock KVM changed between releases, which ours follows per kernel (virt/kvm/compat.h).
 */
bool host_kernel_at_least(unsigned int major, unsigned int minor);
/* This process's anonymous memory in transparent huge pages (smaps_rollup), kB; -1: none. */
long long anon_huge_kb(void);

#endif
