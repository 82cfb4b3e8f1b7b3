// SPDX-License-Identifier: GPL-2.0-only
/*
 * Exit counters, for finding out what a workload costs: every exit the backend handles, by
 * its hardware reason, and every return to userspace, by KVM_EXIT_* reason; summed over all
 * VMs since the module was loaded or the counters last reset. Read in debugfs:
 *
 *   /sys/kernel/debug/kvm/exit_stats   one "NAME COUNT" line per reason seen, most frequent
 *                                      first (svm:npf, vmx:io, user:mmio, ...); writing
 *                                      anything resets the counters
 *
 * Counting is one per-CPU increment per exit.
 *
 *   /sys/kernel/debug/kvm/vcpus        every live VM's vCPUs: guest mode or asleep, events
 *                                      waiting, local APIC IRR/ISR/PPR and timer
 *                                      (arch/x86/kvm/vcpu_show.c), for a guest that hangs
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "kvm_core.h"

#define USER_SLOTS	64
#define NR_SLOTS	(USER_SLOTS + KVM_STAT_VENDOR_SLOTS)

static DEFINE_PER_CPU(u64 [NR_SLOTS], exit_counts);
static struct dentry *debugfs_dir;
/* the backend's names for its slots; NULL entries print as PREFIX:NUMBER */
static const char *vendor_prefix;
static const char *const *vendor_names;
static unsigned int vendor_nr_names;
static DEFINE_MUTEX(stats_lock);

/* api.rst 5 "kvm_run": the exit reasons a KVM_RUN can return with here */
static const char *const user_names[USER_SLOTS] = {
	[KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io", [KVM_EXIT_HYPERCALL] = "hypercall", [KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt", [KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open", [KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry", [KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
};

void kvm_stat_user_exit(u32 reason)
{
	this_cpu_inc(exit_counts[reason < USER_SLOTS ? reason : KVM_EXIT_UNKNOWN]);
}

void kvm_stat_vendor_exit(unsigned int slot)
{
	if (slot < KVM_STAT_VENDOR_SLOTS)
		this_cpu_inc(exit_counts[USER_SLOTS + slot]);
}
EXPORT_SYMBOL_GPL(kvm_stat_vendor_exit);

/* The backend's names, from its registration to its unregistration (names: NULL). */
void kvm_stat_set_vendor_names(const char *prefix, const char *const *names, unsigned int nr)
{
	mutex_lock(&stats_lock);
	vendor_prefix = prefix;
	vendor_names = names;
	vendor_nr_names = names ? nr : 0;
	mutex_unlock(&stats_lock);
}
EXPORT_SYMBOL_GPL(kvm_stat_set_vendor_names);

struct stat_line {
	unsigned int slot;
	u64 count;
};

static int by_count_desc(const void *a, const void *b)
{
	const struct stat_line *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->slot < y->slot ? -1 : 1;
}

static int exit_stats_show(struct seq_file *m, void *unused)
{
	struct stat_line *lines;
	unsigned int slot, n = 0, i;
	int cpu;

	lines = kcalloc(NR_SLOTS, sizeof(*lines), GFP_KERNEL);
	if (!lines)
		return -ENOMEM;
	for (slot = 0; slot < NR_SLOTS; slot++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu(exit_counts, cpu)[slot];
		if (sum)
			lines[n++] = (struct stat_line){ slot, sum };
	}
	sort(lines, n, sizeof(*lines), by_count_desc, NULL);
	mutex_lock(&stats_lock);
	for (i = 0; i < n; i++) {
		slot = lines[i].slot;
		if (slot < USER_SLOTS && user_names[slot])
			seq_printf(m, "user:%s %llu\n", user_names[slot], lines[i].count);
		else if (slot < USER_SLOTS)
			seq_printf(m, "user:%u %llu\n", slot, lines[i].count);
		else if (slot - USER_SLOTS < vendor_nr_names && vendor_names[slot - USER_SLOTS])
			seq_printf(m, "%s:%s %llu\n", vendor_prefix, vendor_names[slot - USER_SLOTS],
				   lines[i].count);
		else
			seq_printf(m, "%s:0x%x %llu\n", vendor_prefix ?: "vendor", slot - USER_SLOTS,
				   lines[i].count);
	}
	mutex_unlock(&stats_lock);
	kfree(lines);
	return 0;
}

static int exit_stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, exit_stats_show, NULL);
}

/* any write resets: racing increments may survive it, which is fine for statistics */
static ssize_t exit_stats_write(struct file *file, const char __user *buf, size_t len,
				loff_t *pos)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu(exit_counts, cpu), 0, sizeof(u64) * NR_SLOTS);
	return len;
}

static const struct file_operations exit_stats_fops = {
	.owner = THIS_MODULE,
	.open = exit_stats_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = exit_stats_write,
};

static int vcpus_show(struct seq_file *m, void *unused)
{
	kvm_show_vms(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcpus);

void kvm_stats_init(void)
{
	/* debugfs is for people: without it (or with it locked down) the module works the same */
	debugfs_dir = debugfs_create_dir("kvm", NULL);
	debugfs_create_file("exit_stats", 0600, debugfs_dir, NULL, &exit_stats_fops);
	debugfs_create_file("vcpus", 0400, debugfs_dir, NULL, &vcpus_fops);
}

void kvm_stats_exit(void)
{
	debugfs_remove_recursive(debugfs_dir);
}
