// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "test_util.h"

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t host_tsc_hz(void)
{
	uint64_t ns = monotonic_ns(), t0 = __rdtsc(), t1;

	usleep(200000);
	t1 = __rdtsc();
	return (t1 - t0) * 1000000000ull / (monotonic_ns() - ns);
}

bool host_kernel_at_least(unsigned int major, unsigned int minor)
{
	unsigned int ma = 0, mi = 0;
	struct utsname u;

	TEST_ASSERT(!uname(&u), "uname");
	TEST_ASSERT(sscanf(u.release, "%u.%u", &ma, &mi) == 2, "uname: release '%s'", u.release);
	return ma > major || (ma == major && mi >= minor);
}

long long anon_huge_kb(void)
{
	char line[256];
	long long kb = 0;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int test_timeout_s(void)
{
	const char *env = getenv("VMTEST_TIMEOUT");
	int s = env ? atoi(env) : 0;

	return s > 0 ? s : 300;
}

/* Set in the child of run_subtest(): a failed assertion ends the child only. */
static bool in_subtest_child;

void test_assert_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	printf("# ASSERTION FAILED at %s:%d: %s\n# ", file, line, expr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (saved_errno)
		printf("# (errno at failure: %s)\n", errno_name(saved_errno));
	if (in_subtest_child) {
		fflush(stdout);
		_exit(KSFT_FAIL);
	}
	ksft_test_result_fail("%s:%d\n", file, line);
	ksft_exit_fail();
	abort();	/* not reached */
}

int __run_subtest(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork for a subtest");
	if (!pid) {
		in_subtest_child = true;
		fn();
		fflush(stdout);
		_exit(KSFT_PASS);
	}
	TEST_ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status) && (WEXITSTATUS(status) == KSFT_PASS ||
				  WEXITSTATUS(status) == KSFT_SKIP))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		ksft_print_msg("subtest killed by signal %d\n", WTERMSIG(status));
	return KSFT_FAIL;
}

void subtest_skip(const char *fmt, ...)
{
	va_list ap;

	TEST_ASSERT(in_subtest_child, "subtest_skip() outside run_subtest()");
	printf("# SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	_exit(KSFT_SKIP);
}

const char *errno_name(int e)
{
	static char buf[16];

	switch (e) {
#define E(x) case x: return #x
	E(EPERM); E(ENOENT); E(ESRCH); E(EINTR); E(EIO); E(ENXIO); E(E2BIG); E(EBADF);
	E(EAGAIN); E(ENOMEM); E(EACCES); E(EFAULT); E(EBUSY); E(EEXIST); E(ENODEV);
	E(EINVAL); E(ENFILE); E(EMFILE); E(ENOTTY); E(ENOSPC); E(ERANGE); E(ENOSYS);
	E(EOPNOTSUPP);
#undef E
	default:
		snprintf(buf, sizeof(buf), "errno %d", e);
		return buf;
	}
}

long long read_sysfs_int(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	TEST_ASSERT(n > 0, "read %s", path);
	close(fd);
	buf[n] = 0;
	return strtoll(buf, NULL, 0);
}

int write_sysfs(const char *path, const char *val)
{
	int fd, r = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}
