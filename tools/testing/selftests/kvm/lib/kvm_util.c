// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm_util.h"

int kvm_open(void)
{
	int fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);

	TEST_ASSERT(fd >= 0, "open(%s) failed", KVM_DEV_PATH);
	return fd;
}

int kvm_check_cap(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	TEST_ASSERT(r >= 0, "KVM_CHECK_EXTENSION(%ld) returned %d", cap, r);
	return r;
}

int vm_create(int kvm_fd)
{
	int fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);

	TEST_ASSERT(fd >= 0, "KVM_CREATE_VM(0) returned %d", fd);
	return fd;
}

const char *kvm_vendor_module(void)
{
	const char *env = getenv("VMTEST_VENDOR");
	struct stat st;

	if (env && *env)
		return env;
	if (!stat("/sys/module/kvm_amd", &st))
		return "kvm_amd";
	if (!stat("/sys/module/kvm_intel", &st))
		return "kvm_intel";
	TEST_ASSERT(0, "neither kvm_amd nor kvm_intel is loaded");
}

bool kvm_is_amd(void)
{
	return !strcmp(kvm_vendor_module(), "kvm_amd");
}

uint64_t rdmsr_on_cpu(int cpu, uint32_t msr)
{
	char path[64];
	uint64_t val;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/dev/cpu/%d/msr", cpu);
	fd = open(path, O_RDONLY);
	TEST_ASSERT(fd >= 0, "open %s (is msr.ko loaded?)", path);
	n = pread(fd, &val, sizeof(val), msr);
	TEST_ASSERT(n == sizeof(val), "rdmsr %#x on CPU %d", msr, cpu);
	close(fd);
	return val;
}

int nr_cpus_possible(void)
{
	return (int)sysconf(_SC_NPROCESSORS_CONF);
}

bool cpu_is_online(int cpu)
{
	char path[64];
	struct stat st;

	if (cpu == 0)
		return true;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	if (stat(path, &st))
		return true;	/* not hotpluggable: always online */
	return read_sysfs_int(path) == 1;
}

/* Sum of the /proc/vmstat counters whose name starts with prefix. */
static long long vmstat_sum(const char *prefix)
{
	char name[64];
	long long v, sum = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	TEST_ASSERT(f, "open /proc/vmstat");
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strncmp(name, prefix, strlen(prefix)))
			sum += v;
	fclose(f);
	return sum;
}

static long long meminfo_kb(const char *field)
{
	char line[128];
	long long v = -1;
	size_t len = strlen(field);
	FILE *f = fopen("/proc/meminfo", "r");

	TEST_ASSERT(f, "open /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtoll(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	TEST_ASSERT(v >= 0, "no %s in /proc/meminfo", field);
	return v;
}

void mem_snapshot_take(struct mem_snapshot *s)
{
	/* let RCU-deferred frees (files, kernfs nodes) finish before counting */
	sync();
	usleep(200 * 1000);
	s->net_pages = vmstat_sum("pgalloc_") - vmstat_sum("pgfree");
	s->slab_unreclaimable_kb = meminfo_kb("SUnreclaim");
	s->vmalloc_used_kb = meminfo_kb("VmallocUsed");
	s->percpu_kb = meminfo_kb("Percpu");
}

void mem_snapshot_assert_growth(const struct mem_snapshot *before, const char *what,
				long long max_pages, long long max_slab_kb,
				long long max_vmalloc_kb)
{
	struct mem_snapshot after;
	long long pages, slab, vmalloc, percpu;

	mem_snapshot_take(&after);
	pages = after.net_pages - before->net_pages;
	slab = after.slab_unreclaimable_kb - before->slab_unreclaimable_kb;
	vmalloc = after.vmalloc_used_kb - before->vmalloc_used_kb;
	percpu = after.percpu_kb - before->percpu_kb;
	ksft_print_msg("%s: net pages %+lld, SUnreclaim %+lld kB, VmallocUsed %+lld kB, Percpu %+lld kB\n",
		       what, pages, slab, vmalloc, percpu);
	TEST_ASSERT(pages <= max_pages, "%s: %lld pages not given back (bound %lld)",
		    what, pages, max_pages);
	TEST_ASSERT(slab <= max_slab_kb, "%s: unreclaimable slab grew by %lld kB (bound %lld)",
		    what, slab, max_slab_kb);
	TEST_ASSERT(vmalloc <= max_vmalloc_kb, "%s: vmalloc grew by %lld kB (bound %lld)",
		    what, vmalloc, max_vmalloc_kb);
	TEST_ASSERT(percpu <= 0, "%s: per-CPU memory grew by %lld kB", what, percpu);
}
