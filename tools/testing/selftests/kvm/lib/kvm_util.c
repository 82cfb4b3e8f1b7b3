// SPDX-License-Identifier: GPL-2.0-only
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

static bool file_contains(const char *path, const char *needle)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, needle);
}

bool kvm_module_is_ours(void)
{
	return file_contains("/sys/module/kvm/taint", "O");
}

bool stock_kvm_intel_in_bochs(void)
{
	return !strcmp(kvm_vendor_module(), "kvm_intel") &&
	       !file_contains("/sys/module/kvm_intel/taint", "O") &&
	       (file_contains("/sys/class/dmi/id/bios_version", "Bochs") ||
		file_contains("/sys/class/dmi/id/bios_vendor", "Bochs"));
}

void skip_if_stock_kvm_intel_in_bochs(void)
{
	if (stock_kvm_intel_in_bochs())
		ksft_exit_skip("stock kvm_intel in Bochs: host interrupts do not reach a CPU in a guest (kvm_util.h)\n");
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

/* APM vol. 2 15.4: EFER.SVME enables SVM on a CPU */
#define MSR_EFER	0xc0000080
#define EFER_SVME	(1ull << 12)

void assert_svme_on_online_cpus(const char *when)
{
	int cpu;

	for (cpu = 0; cpu < nr_cpus_possible(); cpu++) {
		if (!cpu_is_online(cpu))
			continue;
		TEST_ASSERT(rdmsr_on_cpu(cpu, MSR_EFER) & EFER_SVME,
			    "%s: EFER.SVME clear on CPU %d (EFER=%#llx)", when, cpu,
			    (unsigned long long)rdmsr_on_cpu(cpu, MSR_EFER));
	}
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

void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "pin to CPU %d", cpu);
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

/* Bytes of the slab objects in use, per cache and in all (/proc/slabinfo, version 2.1). */
static void slab_bytes_in_use(struct mem_snapshot *s)
{
	char line[512], name[40];
	long long active, total, objsize;
	FILE *f = fopen("/proc/slabinfo", "r");

	TEST_ASSERT(f, "open /proc/slabinfo");
	s->slab_bytes = 0;
	s->nr_caches = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%39s %lld %lld %lld", name, &active, &total, &objsize) != 4)
			continue;
		/*
		 * vmalloc's bookkeeping of address ranges: 6.12 keeps those of freed areas in
		 * per-node pools for reuse. What vmalloc holds is VmallocUsed, measured apart.
		 */
		if (!strcmp(name, "vmap_area"))
			continue;
		s->slab_bytes += active * objsize;
		if (s->nr_caches < MEM_SNAPSHOT_MAX_CACHES) {
			strcpy(s->caches[s->nr_caches].name, name);
			s->caches[s->nr_caches++].bytes = active * objsize;
		}
	}
	fclose(f);
}

/* Name the caches that grew by more than a page: where to look for a leak. */
static void print_grown_caches(const struct mem_snapshot *before,
			       const struct mem_snapshot *after)
{
	int i, j;

	for (i = 0; i < after->nr_caches; i++) {
		long long old = 0;

		for (j = 0; j < before->nr_caches; j++)
			if (!strcmp(before->caches[j].name, after->caches[i].name)) {
				old = before->caches[j].bytes;
				break;
			}
		if (after->caches[i].bytes - old > 4096)
			ksft_print_msg("  slab cache %s: %+lld bytes\n", after->caches[i].name,
				       after->caches[i].bytes - old);
	}
}

bool kvm_modules_harness(void)
{
	return getenv("VMTEST_LOAD") && *getenv("VMTEST_LOAD") && getenv("VMTEST_UNLOAD");
}

/* calls fn on each space-separated word of the environment variable var */
static void for_each_word(const char *var, void (*fn)(const char *word, const void *arg),
			  const void *arg)
{
	char *list, *word, *save = NULL;

	TEST_ASSERT(getenv(var), "%s not set (run from the vmtest harness)", var);
	list = strdup(getenv(var));
	TEST_ASSERT(list, "strdup");
	for (word = strtok_r(list, " ", &save); word; word = strtok_r(NULL, " ", &save))
		fn(word, arg);
	free(list);
}

static void unload_one(const char *name, const void *arg)
{
	TEST_ASSERT(syscall(SYS_delete_module, name, O_NONBLOCK) == 0, "unload %s", name);
}

static void load_one(const char *path, const void *kvm_params)
{
	char *copy = strdup(path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	TEST_ASSERT(copy && fd >= 0, "open %s", path);
	TEST_ASSERT(syscall(SYS_finit_module, fd,
			    strcmp(basename(copy), "kvm.ko") ? "" : (const char *)kvm_params,
			    0) == 0, "load %s", path);
	close(fd);
	free(copy);
}

void kvm_modules_unload(void)
{
	for_each_word("VMTEST_UNLOAD", unload_one, NULL);
}

void kvm_modules_load(const char *kvm_params)
{
	for_each_word("VMTEST_LOAD", load_one, kvm_params);
}

long long module_refcount(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return read_sysfs_int(path);
}

void mem_snapshot_take(struct mem_snapshot *s)
{
	/*
	 * Let RCU-deferred frees (files, kernfs nodes) finish, and drop reclaimable slab
	 * objects (negative dentries of removed debugfs/sysfs entries are not leaks).
	 */
	sync();
	usleep(200 * 1000);
	write_sysfs("/proc/sys/vm/drop_caches", "2");
	usleep(100 * 1000);
	/*
	 * Pages the page allocator handed out and did not get back, less those that other
	 * counters explain (slab, measured by object below; page cache; anonymous memory;
	 * page tables): what stays is pages allocated directly, e.g. alloc_pages().
	 */
	s->net_pages = vmstat_sum("pgalloc_") - vmstat_sum("pgfree") -
		       vmstat_sum("nr_slab_") - vmstat_sum("nr_file_pages") -
		       vmstat_sum("nr_anon_pages") - vmstat_sum("nr_page_table_pages");
	slab_bytes_in_use(s);
	s->vmalloc_used_kb = meminfo_kb("VmallocUsed");
	s->percpu_kb = meminfo_kb("Percpu");
}

bool host_is_debug_kernel(void)
{
	return !access("/sys/kernel/debug/kmemleak", F_OK);
}

void mem_snapshot_assert_growth(const struct mem_snapshot *before, const char *what,
				long long max_pages, long long max_slab_bytes,
				long long max_vmalloc_kb)
{
	static struct mem_snapshot after;
	long long pages, slab, vmalloc, percpu;
	int tries;

	/*
	 * Objects freed with kfree_rcu() come back in batches, seconds later on a busy host
	 * (arrays the kernel replaced under RCU: ioeventfd sets, coalesced zones, routing
	 * tables; on 6.12 ours needed more than 5 s in the emulated host). Over a bound, look
	 * again for up to 12 s before calling it a leak: a leak stays, a deferred free does
	 * not.
	 */
	for (tries = 0;; tries++) {
		mem_snapshot_take(&after);
		pages = after.net_pages - before->net_pages;
		slab = after.slab_bytes - before->slab_bytes;
		if ((pages <= max_pages && slab <= max_slab_bytes) || tries == 12 ||
		    host_is_debug_kernel())
			break;
		sleep(1);
	}
	vmalloc = after.vmalloc_used_kb - before->vmalloc_used_kb;
	percpu = after.percpu_kb - before->percpu_kb;
	ksft_print_msg("%s: net pages %+lld, slab objects %+lld bytes, VmallocUsed %+lld kB, Percpu %+lld kB%s\n",
		       what, pages, slab, vmalloc, percpu,
		       tries ? " (after waiting for deferred frees)" : "");
	print_grown_caches(before, &after);
	if (host_is_debug_kernel()) {
		/*
		 * KASAN keeps freed objects in its quarantine and maps vmalloc shadow pages
		 * that it frees lazily, and kmemleak gives every object one of its own: page
		 * and slab use say nothing about leaks there. kmemleak checks for them at the
		 * end of that run (vmtest --kmemleak).
		 */
		ksft_print_msg("%s: page and slab growth not bounded on a debug kernel\n", what);
	} else {
		TEST_ASSERT(pages <= max_pages, "%s: %lld pages not given back (bound %lld)",
			    what, pages, max_pages);
		TEST_ASSERT(slab <= max_slab_bytes,
			    "%s: slab objects grew by %lld bytes (bound %lld)",
			    what, slab, max_slab_bytes);
	}
	TEST_ASSERT(vmalloc <= max_vmalloc_kb, "%s: vmalloc grew by %lld kB (bound %lld)",
		    what, vmalloc, max_vmalloc_kb);
	TEST_ASSERT(percpu <= 0, "%s: per-CPU memory grew by %lld kB", what, percpu);
}
