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
 *
 * And the binary statistics of one VM or vCPU (api.rst 4.133 KVM_GET_STATS_FD), the ABI
 * that tools read: the generic ones below, then the arch's (arch/x86/kvm/stats.c). The VM's
 * "ksm_merged_pages" is ours (merge_stat.c): the pages of its memory KSM has merged.
 */
#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

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

/*
 * Binary statistics. The file is laid out as api.rst 4.133 draws it, every block at a
 * multiple of 8: the header at 0, the id string right after it (so that a read() following
 * the header's gets it), the descriptors, then one u64 per statistic. All but the data are
 * fixed for the life of the fd; the data are read when read() asks for them.
 */
#define KVM_STATS_NAME_LEN	48	/* name_size: every name and the id, with their NUL */

static const struct kvm_stat_def kvm_vm_stats[] = {
	KVM_VM_STAT(stat.remote_tlb_flush, "remote_tlb_flush", KVM_STAT_COUNTER, 0),
	KVM_VM_STAT(stat.remote_tlb_flush_requests, "remote_tlb_flush_requests",
		    KVM_STAT_COUNTER, 0),
	/* our extension (stock has no such statistic): counted at each read, merge_stat.c */
	KVM_VM_STAT(ksm_merged_pages, "ksm_merged_pages", KVM_STAT_INSTANT, 0),
};

static const struct kvm_stat_def kvm_vcpu_stats[] = {
	KVM_VCPU_STAT(stat.halt_successful_poll, "halt_successful_poll", KVM_STAT_COUNTER, 0),
	KVM_VCPU_STAT(stat.halt_attempted_poll, "halt_attempted_poll", KVM_STAT_COUNTER, 0),
	KVM_VCPU_STAT(stat.halt_wakeup, "halt_wakeup", KVM_STAT_COUNTER, 0),
	KVM_VCPU_STAT(stat.halt_poll_success_ns, "halt_poll_success_ns",
		      KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10,
		      -9),
	KVM_VCPU_STAT(stat.halt_poll_fail_ns, "halt_poll_fail_ns",
		      KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10,
		      -9),
	KVM_VCPU_STAT(stat.halt_wait_ns, "halt_wait_ns",
		      KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10,
		      -9),
	KVM_VCPU_STAT(stat.blocking, "blocking",
		      KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN | KVM_STATS_BASE_POW10, 0),
};

struct kvm_stats_file {
	struct kvm *kvm;		/* a reference: the VM (and its vCPUs) outlive the fd */
	const void *base;		/* struct kvm or struct kvm_vcpu */
	const struct kvm_stat_def *defs[2];	/* generic, arch */
	unsigned int nr[2];
	char id[KVM_STATS_NAME_LEN];
};

/*
 * A descriptor as userspace reads it: the fixed fields, then name_size bytes of name. Not
 * sizeof(): from 6.12 the kernel's view of the uapi struct gives name a fixed size already.
 */
#define DESC_SIZE	(offsetof(struct kvm_stats_desc, name) + KVM_STATS_NAME_LEN)
#define ID_OFFSET	sizeof(struct kvm_stats_header)
#define DESC_OFFSET	(ID_OFFSET + KVM_STATS_NAME_LEN)

static_assert(sizeof(struct kvm_stats_header) % 8 == 0);
static_assert(DESC_SIZE % 8 == 0);

static unsigned int stats_count(const struct kvm_stats_file *sf)
{
	return sf->nr[0] + sf->nr[1];
}

static size_t stats_data_offset(const struct kvm_stats_file *sf)
{
	return DESC_OFFSET + stats_count(sf) * DESC_SIZE;
}

static size_t stats_size(const struct kvm_stats_file *sf)
{
	return stats_data_offset(sf) + stats_count(sf) * sizeof(u64);
}

static const struct kvm_stat_def *stats_def(const struct kvm_stats_file *sf, unsigned int i)
{
	return i < sf->nr[0] ? &sf->defs[0][i] : &sf->defs[1][i - sf->nr[0]];
}

/* The whole file as it reads now. */
static void stats_fill(const struct kvm_stats_file *sf, void *buf)
{
	struct kvm_stats_header *h = buf;
	unsigned int i, n = stats_count(sf);
	u64 *data = buf + stats_data_offset(sf);

	h->flags = 0;
	h->name_size = KVM_STATS_NAME_LEN;
	h->num_desc = n;
	h->id_offset = ID_OFFSET;
	h->desc_offset = DESC_OFFSET;
	h->data_offset = stats_data_offset(sf);
	strscpy(buf + ID_OFFSET, sf->id, KVM_STATS_NAME_LEN);
	for (i = 0; i < n; i++) {
		const struct kvm_stat_def *def = stats_def(sf, i);
		struct kvm_stats_desc *d = buf + DESC_OFFSET + i * DESC_SIZE;

		d->flags = def->flags;
		d->exponent = def->exponent;
		d->size = 1;
		d->offset = i * sizeof(u64);
		d->bucket_size = 0;
		strscpy(d->name, def->name, KVM_STATS_NAME_LEN);
		data[i] = READ_ONCE(*(const u64 *)(sf->base + def->offset));
	}
}

/* read() and pread() at any offset; at or past the end: 0 bytes */
static ssize_t kvm_stats_read(struct file *file, char __user *ubuf, size_t len, loff_t *ppos)
{
	const struct kvm_stats_file *sf = file->private_data;
	size_t size = stats_size(sf);
	loff_t pos = *ppos;
	void *buf;

	if (pos < 0)
		return -EINVAL;
	if ((u64)pos >= size || !len)
		return 0;
	len = min_t(size_t, len, size - pos);
	buf = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	/* the merge count is taken now, when the data block is read (not for the header) */
	if (sf->base == sf->kvm && pos + len > stats_data_offset(sf))
		kvm_update_merged_pages(sf->kvm);
	stats_fill(sf, buf);
	if (copy_to_user(ubuf, buf + pos, len)) {
		kvfree(buf);
		return -EFAULT;
	}
	kvfree(buf);
	*ppos = pos + len;
	return len;
}

/* SEEK_END is relative to the end of the data block; a position past it reads nothing */
static loff_t kvm_stats_llseek(struct file *file, loff_t offset, int whence)
{
	return generic_file_llseek_size(file, offset, whence, MAX_LFS_FILESIZE,
					stats_size(file->private_data));
}

static int kvm_stats_release(struct inode *inode, struct file *file)
{
	struct kvm_stats_file *sf = file->private_data;

	kvm_put_vm(sf->kvm);
	kfree(sf);
	return 0;
}

/* .owner is set to the vendor module at registration, as for VM fds */
struct file_operations kvm_stats_fops = {
	.read		= kvm_stats_read,
	.llseek		= kvm_stats_llseek,
	.release	= kvm_stats_release,
};

static int kvm_stats_fd(struct kvm_stats_file *sf, const char *name)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kfree(sf);
		return fd;
	}
	kvm_get_vm(sf->kvm);
	file = anon_inode_getfile(name, &kvm_stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kvm_put_vm(sf->kvm);
		kfree(sf);
		return PTR_ERR(file);
	}
	/* pseudo files are not positional by default: "use pread" (api.rst 4.133) */
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

/* api.rst 4.133 on a VM fd */
int kvm_vm_stats_fd(struct kvm *kvm)
{
	struct kvm_stats_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);

	if (!sf)
		return -ENOMEM;
	sf->kvm = kvm;
	sf->base = kvm;
	sf->defs[0] = kvm_vm_stats;
	sf->nr[0] = ARRAY_SIZE(kvm_vm_stats);
	sf->defs[1] = kvm_arch_vm_stats;
	sf->nr[1] = kvm_arch_nr_vm_stats;
	snprintf(sf->id, sizeof(sf->id), "kvm-%d", task_pid_nr(current));
	return kvm_stats_fd(sf, "kvm-vm-stats");
}

/* ... and on a vCPU fd */
int kvm_vcpu_stats_fd(struct kvm_vcpu *vcpu)
{
	struct kvm_stats_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);

	if (!sf)
		return -ENOMEM;
	sf->kvm = vcpu->kvm;
	sf->base = vcpu;
	sf->defs[0] = kvm_vcpu_stats;
	sf->nr[0] = ARRAY_SIZE(kvm_vcpu_stats);
	sf->defs[1] = kvm_arch_vcpu_stats;
	sf->nr[1] = kvm_arch_nr_vcpu_stats;
	snprintf(sf->id, sizeof(sf->id), "kvm-%d/vcpu-%d", task_pid_nr(current), vcpu->vcpu_id);
	return kvm_stats_fd(sf, "kvm-vcpu-stats");
}
