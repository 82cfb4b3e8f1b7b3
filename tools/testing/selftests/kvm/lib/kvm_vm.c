// SPDX-License-Identifier: GPL-2.0-only
/* VM and vCPU objects: memory slot, page allocator, vCPU ioctls (api.rst section 4). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_vm.h"

struct kvm_vm *kvm_vm_new(uint64_t mem_size)
{
	struct kvm_userspace_memory_region region;
	struct kvm_vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "calloc");
	TEST_ASSERT(mem_size && !(mem_size & ~PAGE_MASK),
		    "memory size %#llx is not a multiple of the page size",
		    (unsigned long long)mem_size);
	vm->kvm_fd = kvm_open();
	vm->fd = vm_create(vm->kvm_fd);
	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(vm->mem != MAP_FAILED, "mmap %llu bytes of guest memory",
		    (unsigned long long)mem_size);
	vm->page_used = calloc(mem_size / PAGE_SIZE, 1);
	TEST_ASSERT(vm->page_used, "calloc");
	vm->page_used[0] = 1;	/* gpa 0 stays free: 0 means "none" to callers */

	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (uint64_t)vm->mem,
	};
	vm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);
	return vm;
}

void kvm_vm_free(struct kvm_vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i]->run, vm->vcpus[i]->run_size);
		close(vm->vcpus[i]->fd);
		free(vm->vcpus[i]);
	}
	close(vm->fd);
	close(vm->kvm_fd);
	munmap(vm->mem, vm->mem_size);
	free(vm->page_used);
	free(vm->cpuid);
	free(vm);
}

/* KVM_GET_SUPPORTED_CPUID answers E2BIG until nent is large enough (api.rst 4.46). */
static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 64, r;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
		TEST_ASSERT(cpuid, "calloc");
		cpuid->nent = nent;
		r = ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
		if (!r)
			return cpuid;
		TEST_ASSERT(errno == E2BIG && nent < 4096,
			    "KVM_GET_SUPPORTED_CPUID with nent %d returned %d", nent, r);
		free(cpuid);
		nent *= 2;
	}
}

struct kvm_cpuid_entry2 *cpuid2_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

const struct kvm_cpuid_entry2 *vm_cpuid_entry(struct kvm_vm *vm, uint32_t function,
					      uint32_t index)
{
	if (!vm->cpuid)
		vm->cpuid = get_supported_cpuid(vm->kvm_fd);
	return cpuid2_find(vm->cpuid, function, index);
}

struct kvm_vcpu *kvm_vcpu_new(struct kvm_vm *vm, int id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	int size;

	TEST_ASSERT(vcpu, "calloc");
	TEST_ASSERT(vm->nr_vcpus < KVM_VM_MAX_VCPUS, "more than %d vCPUs", KVM_VM_MAX_VCPUS);
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	TEST_ASSERT(vcpu->fd >= 0, "KVM_CREATE_VCPU(%d) returned %d", id, vcpu->fd);

	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(size >= (int)sizeof(struct kvm_run),
		    "KVM_GET_VCPU_MMAP_SIZE returned %d", size);
	vcpu->run_size = size;
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap kvm_run of vCPU %d", id);

	vm_cpuid_entry(vm, 0, 0);	/* fetch the supported CPUID once per VM */
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, vm->cpuid);
	vm->vcpus[vm->nr_vcpus++] = vcpu;
	return vcpu;
}

void *mmap_aligned(uint64_t size, uint64_t align)
{
	uint8_t *map = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	TEST_ASSERT(map != MAP_FAILED, "mmap %llu bytes", (unsigned long long)(size + align));
	return (void *)(((uintptr_t)map + align - 1) & ~(uintptr_t)(align - 1));
}

void vm_set_slot(struct kvm_vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		 void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	int ret = ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);

	TEST_ASSERT(!ret, "KVM_SET_USER_MEMORY_REGION slot %u flags %#x gpa %#llx size %#llx: %d",
		    slot, flags, (unsigned long long)gpa, (unsigned long long)size, ret);
}

uint64_t vm_alloc_pages(struct kvm_vm *vm, uint64_t npages)
{
	uint64_t total = vm->mem_size / PAGE_SIZE, first, n;

	/* first fit, lowest address first: real-mode users want memory below 64 KiB */
	for (first = 1; first + npages <= total; first++) {
		for (n = 0; n < npages && !vm->page_used[first + n]; n++)
			;
		if (n == npages) {
			memset(&vm->page_used[first], 1, npages);
			memset(vm->mem + first * PAGE_SIZE, 0, npages * PAGE_SIZE);
			return first * PAGE_SIZE;
		}
		first += n;
	}
	TEST_ASSERT(0, "guest memory (%llu MiB) has no %llu free pages in a row",
		    (unsigned long long)(vm->mem_size / MiB), (unsigned long long)npages);
}

void vm_reserve(struct kvm_vm *vm, uint64_t gpa, uint64_t size)
{
	uint64_t first = gpa / PAGE_SIZE, end = (gpa + size + PAGE_SIZE - 1) / PAGE_SIZE;

	TEST_ASSERT(end <= vm->mem_size / PAGE_SIZE,
		    "[%#llx, %#llx) is outside guest memory (%#llx bytes)",
		    (unsigned long long)gpa, (unsigned long long)(gpa + size),
		    (unsigned long long)vm->mem_size);
	memset(&vm->page_used[first], 1, end - first);
}

void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa)
{
	TEST_ASSERT(gpa < vm->mem_size, "gpa %#llx is outside guest memory (%#llx bytes)",
		    (unsigned long long)gpa, (unsigned long long)vm->mem_size);
	return vm->mem + gpa;
}

uint64_t addr_hva2gpa(struct kvm_vm *vm, const void *hva)
{
	const uint8_t *p = hva;

	TEST_ASSERT(p >= vm->mem && p < vm->mem + vm->mem_size,
		    "%p is not in guest memory", hva);
	return p - vm->mem;
}

/*
 * 4-level walk of the tables x86_guest.c builds: 4 KiB pages only, no large pages
 * (SDM vol. 3 section 4.5, APM vol. 2 section 5.3).
 */
uint64_t addr_gva2gpa(struct kvm_vm *vm, uint64_t gva)
{
	uint64_t table = vm->pml4, entry = 0;
	int level;

	if (!table)
		return gva;	/* paging off: linear == physical */
	for (level = 3; level >= 0; level--) {
		uint64_t *entries = addr_gpa2hva(vm, table);

		entry = entries[(gva >> (12 + 9 * level)) & 511];
		TEST_ASSERT(entry & 1, "gva %#llx is not mapped (level %d entry %#llx)",
			    (unsigned long long)gva, level + 1, (unsigned long long)entry);
		table = entry & 0x000ffffffffff000ULL;
	}
	return table | (gva & ~PAGE_MASK);
}

void *addr_gva2hva(struct kvm_vm *vm, uint64_t gva)
{
	return addr_gpa2hva(vm, addr_gva2gpa(vm, gva));
}

int __kvm_ioctl_assert(int fd, unsigned long cmd, const char *name, void *arg,
		       const char *what, int id)
{
	int r = ioctl(fd, cmd, arg);

	if (id >= 0)
		TEST_ASSERT(r >= 0, "%s on %s %d returned %d", name, what, id, r);
	else
		TEST_ASSERT(r >= 0, "%s on the %s fd returned %d", name, what, r);
	return r;
}

int __vcpu_run(struct kvm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, NULL);
}

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int r = __vcpu_run(vcpu);

	TEST_ASSERT_EQ(0, r);
}

void vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	vcpu_ioctl(vcpu, KVM_GET_REGS, regs);
}

void vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	vcpu_ioctl(vcpu, KVM_SET_REGS, regs);
}

void vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	vcpu_ioctl(vcpu, KVM_GET_SREGS, sregs);
}

void vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	vcpu_ioctl(vcpu, KVM_SET_SREGS, sregs);
}

uint64_t vcpu_get_rip(struct kvm_vcpu *vcpu)
{
	struct kvm_regs regs;

	vcpu_get_regs(vcpu, &regs);
	return regs.rip;
}

/* struct kvm_msrs with room for one entry (api.rst 4.18, 4.19). */
struct one_msr {
	struct kvm_msrs hdr;
	struct kvm_msr_entry entry;
};

uint64_t vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index)
{
	struct one_msr m = { .hdr.nmsrs = 1, .entry.index = index };
	int r = ioctl(vcpu->fd, KVM_GET_MSRS, &m);

	TEST_ASSERT(r == 1, "KVM_GET_MSRS of MSR %#x on vCPU %d returned %d", index, vcpu->id, r);
	return m.entry.data;
}

void vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct one_msr m = { .hdr.nmsrs = 1, .entry.index = index, .entry.data = value };
	int r = ioctl(vcpu->fd, KVM_SET_MSRS, &m);

	TEST_ASSERT(r == 1, "KVM_SET_MSRS of MSR %#x = %#llx on vCPU %d returned %d", index,
		    (unsigned long long)value, vcpu->id, r);
}

struct kvm_msrs *msrs_alloc(uint32_t n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));

	TEST_ASSERT(m, "calloc of %u MSR entries", n);
	m->nmsrs = n;
	return m;
}

struct kvm_msr_list *kvm_msr_index_list(int kvm_fd)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

	/* too small: E2BIG, and nmsrs tells how many there are (api.rst 4.3) */
	TEST_ASSERT_ERRNO(E2BIG, ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe));
	TEST_ASSERT(probe.nmsrs > 0 && probe.nmsrs < 1024, "KVM_GET_MSR_INDEX_LIST reports %u MSRs",
		    probe.nmsrs);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	TEST_ASSERT(list, "calloc");
	list->nmsrs = probe.nmsrs;
	TEST_ASSERT_EQ(0, ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list));
	TEST_ASSERT_EQ(probe.nmsrs, list->nmsrs);
	return list;
}

bool msr_index_listed(const struct kvm_msr_list *list, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < list->nmsrs; i++)
		if (list->indices[i] == index)
			return true;
	return false;
}

const char *exit_reason_str(uint32_t reason)
{
	static const char * const names[] = {
#define N(x) [KVM_EXIT_##x] = "KVM_EXIT_" #x
		N(UNKNOWN), N(EXCEPTION), N(IO), N(HYPERCALL), N(DEBUG), N(HLT), N(MMIO),
		N(IRQ_WINDOW_OPEN), N(SHUTDOWN), N(FAIL_ENTRY), N(INTR), N(SET_TPR),
		N(TPR_ACCESS), N(NMI), N(INTERNAL_ERROR), N(SYSTEM_EVENT), N(IOAPIC_EOI),
		N(HYPERV), N(X86_RDMSR), N(X86_WRMSR), N(DIRTY_RING_FULL), N(X86_BUS_LOCK),
		N(XEN), N(NOTIFY),
#undef N
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unknown";
}

void *vcpu_io_data(struct kvm_vcpu *vcpu)
{
	return (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
}

const char *vcpu_exit_str(struct kvm_vcpu *vcpu, char *buf, size_t len)
{
	struct kvm_run *run = vcpu->run;
	uint64_t data = 0;
	int n;

	n = snprintf(buf, len, "vCPU %d exit %s (%u) at rip %#llx", vcpu->id,
		     exit_reason_str(run->exit_reason), run->exit_reason,
		     (unsigned long long)vcpu_get_rip(vcpu));
	if (n < 0 || (size_t)n >= len)
		return buf;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.size <= sizeof(data))
			memcpy(&data, vcpu_io_data(vcpu), run->io.size);
		snprintf(buf + n, len - n, ": %s port %#x size %u count %u data %#llx",
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.port,
			 run->io.size, run->io.count, (unsigned long long)data);
		break;
	case KVM_EXIT_MMIO:
		snprintf(buf + n, len - n, ": %s gpa %#llx len %u",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr, run->mmio.len);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(buf + n, len - n, ": suberror %u", run->internal.suberror);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(buf + n, len - n, ": hardware_entry_failure_reason %#llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	}
	return buf;
}

void __vcpu_assert_exit(struct kvm_vcpu *vcpu, uint32_t reason, const char *name,
			const char *file, int line)
{
	char buf[256];

	if (vcpu->run->exit_reason == reason)
		return;
	test_assert_fail(file, line, name, "expected exit %s (%u), got: %s",
			 exit_reason_str(reason), reason, vcpu_exit_str(vcpu, buf, sizeof(buf)));
}

/* A statistic by name from the binary stats fd of a VM or vCPU fd; asserts it exists. */
static uint64_t stats_fd_read(int owner_fd, const char *name)
{
	int fd = ioctl(owner_fd, KVM_GET_STATS_FD, NULL);
	struct kvm_stats_header h;
	uint64_t v = ~0ull;
	unsigned int i;
	size_t dsize;
	char *desc;

	TEST_ASSERT(fd >= 0, "KVM_GET_STATS_FD: %s", errno_name(errno));
	TEST_ASSERT_EQ(sizeof(h), pread(fd, &h, sizeof(h), 0));
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	desc = calloc(h.num_desc, dsize);
	TEST_ASSERT(desc, "calloc");
	TEST_ASSERT_EQ(h.num_desc * dsize, pread(fd, desc, h.num_desc * dsize, h.desc_offset));
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(desc + i * dsize);

		if (!strcmp(d->name, name))
			TEST_ASSERT_EQ(sizeof(v), pread(fd, &v, sizeof(v),
							h.data_offset + d->offset));
	}
	free(desc);
	close(fd);
	TEST_ASSERT(v != ~0ull, "no %s statistic", name);
	return v;
}

uint64_t vcpu_stat(struct kvm_vcpu *vcpu, const char *name)
{
	return stats_fd_read(vcpu->fd, name);
}

uint64_t vm_stat(struct kvm_vm *vm, const char *name)
{
	return stats_fd_read(vm->fd, name);
}
