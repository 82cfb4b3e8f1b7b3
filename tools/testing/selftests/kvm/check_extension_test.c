// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_CHECK_EXTENSION must match what the implementation does (api.rst 4.4: "0 if
 * unsupported"). For each capability below a probe exercises the feature on a fresh VM:
 * a reported capability must work, and an unreported one must not (so nothing works that
 * is not announced). The VM fd (KVM_CAP_CHECK_EXTENSION_VM) must answer like /dev/kvm.
 * (probe_sync_mmu runs a guest of its own, in a VM of its own.)
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "x86_guest.h"

struct probe_ctx {
	int kvm, vm;
	long value;	/* what KVM_CHECK_EXTENSION returned */
};

static bool probe_check_extension_vm(struct probe_ctx *c)
{
	return ioctl(c->vm, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM) == 1;
}

static bool probe_user_memory(struct probe_ctx *c)
{
	size_t size = 0x10000;
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0x100000, .memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};
	bool ok;

	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	ok = ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &r) == 0;
	/* the memory stays mapped: the slot refers to it until the VM goes */
	return ok;
}

/* The last slot id allowed is value - 1; value itself is EINVAL. */
static bool probe_nr_memslots(struct probe_ctx *c)
{
	void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region r = {
		.guest_phys_addr = 0x200000, .memory_size = 4096, .userspace_addr = (uintptr_t)mem,
	};

	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	r.slot = c->value - 1;
	if (ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &r))
		return false;
	r.slot = c->value;
	r.guest_phys_addr = 0x300000;
	return ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &r) == -1 && errno == EINVAL;
}

static bool probe_create_vcpu(struct probe_ctx *c)
{
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);

	if (vcpu < 0)
		return false;
	close(vcpu);
	return c->value >= 1;
}

static bool probe_max_vcpus(struct probe_ctx *c)
{
	return c->value >= kvm_check_cap(c->kvm, KVM_CAP_NR_VCPUS) && probe_create_vcpu(c);
}

static bool probe_max_vcpu_id(struct probe_ctx *c)
{
	int vcpu;

	if (c->value < kvm_check_cap(c->kvm, KVM_CAP_MAX_VCPUS))
		return false;
	vcpu = ioctl(c->vm, KVM_CREATE_VCPU, c->value - 1);
	if (vcpu < 0)
		return false;
	close(vcpu);
	return ioctl(c->vm, KVM_CREATE_VCPU, c->value) == -1 && errno == EINVAL;
}

static bool probe_set_tss_addr(struct probe_ctx *c)
{
	return ioctl(c->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul) == 0;
}

static bool probe_identity_map_addr(struct probe_ctx *c)
{
	uint64_t addr = 0xfffbc000ul;

	return ioctl(c->vm, KVM_SET_IDENTITY_MAP_ADDR, &addr) == 0;
}

static bool probe_supported_cpuid(struct probe_ctx *c)
{
	int n = 256;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	bool ok;

	TEST_ASSERT(cpuid, "calloc");
	cpuid->nent = n;
	ok = ioctl(c->kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0 && cpuid->nent > 0;
	free(cpuid);
	return ok;
}

/*
 * api.rst 4.3/4.18: KVM_GET_MSR_FEATURE_INDEX_LIST (E2BIG with the count when too small)
 * and KVM_GET_MSRS on /dev/kvm, which reads each listed MSR and stops at one that is not
 */
static bool probe_msr_features(struct probe_ctx *c)
{
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + 256 * sizeof(uint32_t));
	struct kvm_msr_list small = { .nmsrs = 0 };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[1];
	} m = { .hdr.nmsrs = 1 };
	bool ok;
	uint32_t i;

	TEST_ASSERT(list, "calloc");
	list->nmsrs = 256;
	ok = ioctl(c->kvm, KVM_GET_MSR_FEATURE_INDEX_LIST, list) == 0;
	for (i = 0; ok && i < list->nmsrs; i++) {
		/*
		 * one at a time: with a vCPU's MSR after it (IA32_TSC), 6.1 stops there and
		 * says 1, 6.12 fails the whole call with EINVAL
		 */
		m.e[0].index = list->indices[i];
		ok = ioctl(c->kvm, KVM_GET_MSRS, &m) == 1;
	}
	if (ok) {
		TEST_ASSERT(list->nmsrs > 0, "an empty feature MSR list");
		TEST_ASSERT_ERRNO(E2BIG, ioctl(c->kvm, KVM_GET_MSR_FEATURE_INDEX_LIST, &small));
		TEST_ASSERT_EQ(list->nmsrs, small.nmsrs);
	}
	free(list);
	return ok;
}

static bool probe_irqchip(struct probe_ctx *c)
{
	return ioctl(c->vm, KVM_CREATE_IRQCHIP, 0) == 0;
}

static bool probe_pit2(struct probe_ctx *c)
{
	struct kvm_pit_config cfg = { .flags = 0 };

	return ioctl(c->vm, KVM_CREATE_IRQCHIP, 0) == 0 &&
	       ioctl(c->vm, KVM_CREATE_PIT2, &cfg) == 0;
}

/* api.rst 4.75: an irqfd needs an in-kernel irqchip (EINVAL without) */
static bool probe_irqfd_flags(struct probe_ctx *c, __u32 flags)
{
	int efd = eventfd(0, EFD_CLOEXEC), rfd = eventfd(0, EFD_CLOEXEC);
	struct kvm_irqfd irqfd = { .fd = efd, .gsi = 4, .flags = flags, .resamplefd = rfd };
	bool ok;

	TEST_ASSERT(efd >= 0 && rfd >= 0, "eventfd");
	ok = ioctl(c->vm, KVM_CREATE_IRQCHIP, 0) == 0 && ioctl(c->vm, KVM_IRQFD, &irqfd) == 0;
	close(efd);
	close(rfd);
	return ok;
}

static bool probe_irqfd(struct probe_ctx *c)
{
	return probe_irqfd_flags(c, 0);
}

static bool probe_irqfd_resample(struct probe_ctx *c)
{
	return probe_irqfd_flags(c, KVM_IRQFD_FLAG_RESAMPLE);
}

/* api.rst 4.25: KVM_IRQ_LINE_STATUS with an in-kernel irqchip (ENXIO without) */
static bool probe_irq_inject_status(struct probe_ctx *c)
{
	struct kvm_irq_level line = { .irq = 4, .level = 0 };

	return ioctl(c->vm, KVM_CREATE_IRQCHIP, 0) == 0 &&
	       ioctl(c->vm, KVM_IRQ_LINE_STATUS, &line) == 0;
}

static bool probe_ioeventfd(struct probe_ctx *c)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	struct kvm_ioeventfd io = {
		.addr = 0x510, .len = 2, .fd = efd, .flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	bool ok;

	TEST_ASSERT(efd >= 0, "eventfd");
	ok = ioctl(c->vm, KVM_IOEVENTFD, &io) == 0;
	close(efd);
	return ok;
}

/* api.rst 4.116: the value is the page offset of the ring in the vCPU mmap area */
static bool probe_coalesced_mmio(struct probe_ctx *c)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = 0xfe000000, .size = 0x1000 };

	return c->value == KVM_COALESCED_MMIO_PAGE_OFFSET &&
	       ioctl(c->vm, KVM_REGISTER_COALESCED_MMIO, &zone) == 0;
}

static bool probe_adjust_clock(struct probe_ctx *c)
{
	struct kvm_clock_data data = { .flags = 0 };

	return ioctl(c->vm, KVM_GET_CLOCK, &data) == 0;
}

/* api.rst 4.70: a vCPU without kvmclock enabled refuses it with EINVAL */
static bool probe_kvmclock_ctrl(struct probe_ctx *c)
{
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	bool ok;

	if (vcpu < 0)
		return false;
	ok = ioctl(vcpu, KVM_KVMCLOCK_CTRL, 0) == -1 && errno == EINVAL;
	close(vcpu);
	return ok;
}

/* api.rst 4.38/4.39: the state of a fresh vCPU reads back and can be set */
static bool probe_mp_state(struct probe_ctx *c)
{
	struct kvm_mp_state mp = { .mp_state = 0xff };
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	bool ok;

	if (vcpu < 0)
		return false;
	ok = ioctl(vcpu, KVM_GET_MP_STATE, &mp) == 0 && mp.mp_state == KVM_MP_STATE_RUNNABLE &&
	     ioctl(vcpu, KVM_SET_MP_STATE, &mp) == 0;
	close(vcpu);
	return ok;
}

/*
 * api.rst 4.104/4.105: the value is the number of banks; a vCPU takes that many with the
 * supported capability bits, and then its MCG_CAP MSR has them and MCG_CTL_P (AMD keeps
 * only bits 8:0, dropping MCG_SER_P); one more bank is EINVAL.
 */
static bool probe_mce(struct probe_ctx *c)
{
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	uint64_t sup = 0, cap, too_many;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = 0x179 /* MCG_CAP */ };
	bool ok;

	if (vcpu < 0)
		return false;
	ok = ioctl(c->kvm, KVM_X86_GET_MCE_CAP_SUPPORTED, &sup) == 0 && c->value > 0;
	cap = (sup & ~0xffULL) | c->value;
	too_many = (sup & ~0xffULL) | (c->value + 1);
	ok = ok && ioctl(vcpu, KVM_X86_SETUP_MCE, &cap) == 0 &&
	     ioctl(vcpu, KVM_GET_MSRS, &m) == 1 && (m.e.data & 0x1ff) == (cap & 0x1ff) &&
	     ioctl(vcpu, KVM_X86_SETUP_MCE, &too_many) == -1 && errno == EINVAL;
	close(vcpu);
	return ok;
}

/* a vCPU ioctl on a fresh vCPU succeeds */
static bool vcpu_ioctl_works(struct probe_ctx *c, unsigned long cmd, void *arg)
{
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	bool ok;

	if (vcpu < 0)
		return false;
	ok = ioctl(vcpu, cmd, arg) == 0;
	close(vcpu);
	return ok;
}

static bool probe_vcpu_events(struct probe_ctx *c)
{
	struct kvm_vcpu_events ev;

	return vcpu_ioctl_works(c, KVM_GET_VCPU_EVENTS, &ev);
}

static bool probe_user_nmi(struct probe_ctx *c)
{
	return vcpu_ioctl_works(c, KVM_NMI, NULL);
}

static bool probe_set_guest_debug(struct probe_ctx *c)
{
	struct kvm_guest_debug dbg = { .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };

	return vcpu_ioctl_works(c, KVM_SET_GUEST_DEBUG, &dbg);
}

/* the value is a mask of control bits: each single one of them is accepted */
static bool probe_set_guest_debug2(struct probe_ctx *c)
{
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	bool ok = c->value != 0;
	unsigned int bit;

	if (vcpu < 0)
		return false;
	for (bit = 0; bit < 32 && ok; bit++) {
		struct kvm_guest_debug dbg = { .control = 1u << bit };

		if (!(c->value & (1L << bit)))
			continue;
		if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP))
			dbg.control |= KVM_GUESTDBG_ENABLE;
		ok = ioctl(vcpu, KVM_SET_GUEST_DEBUG, &dbg) == 0;
		/* an injected #DB/#BP stays pending: clear it for the next bit */
		if (ok) {
			struct kvm_vcpu_events ev = { .flags = 0 };

			ok = ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev) == 0;
		}
	}
	close(vcpu);
	return ok;
}

/* KVM_ENABLE_CAP on a VM fd exists: an unknown capability is EINVAL, not ENOTTY */
static bool probe_enable_cap_vm(struct probe_ctx *c)
{
	struct kvm_enable_cap cap = { .cap = 0 };

	return ioctl(c->vm, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL;
}

/*
 * api.rst 7.18: the value is the flags KVM_ENABLE_CAP accepts; with manual protection a
 * KVM_GET_DIRTY_LOG leaves the log set and KVM_CLEAR_DIRTY_LOG clears it.
 */
static bool probe_manual_dirty_log(struct probe_ctx *c)
{
	void *mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region r = {
		.slot = 0, .flags = KVM_MEM_LOG_DIRTY_PAGES, .guest_phys_addr = 0x100000,
		.memory_size = 0x10000, .userspace_addr = (uintptr_t)mem,
	};
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET },
	};
	uint64_t bm = 0, ones = ~0ULL;
	struct kvm_dirty_log get = { .slot = 0, .dirty_bitmap = &bm };
	struct kvm_clear_dirty_log clear = { .slot = 0, .num_pages = 16, .dirty_bitmap = &ones };

	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	if (ioctl(c->vm, KVM_ENABLE_CAP, &cap) ||
	    ioctl(c->vm, KVM_SET_USER_MEMORY_REGION, &r) ||
	    ioctl(c->vm, KVM_GET_DIRTY_LOG, &get) || bm != 0xffff ||
	    ioctl(c->vm, KVM_GET_DIRTY_LOG, &get) || bm != 0xffff ||
	    ioctl(c->vm, KVM_CLEAR_DIRTY_LOG, &clear) ||
	    ioctl(c->vm, KVM_GET_DIRTY_LOG, &get) || bm != 0)
		return false;
	return c->value == (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET);
}

/* the guest reads a word of its memory, over and over, reporting it */
static void guest_read_loop(volatile uint64_t *p)
{
	for (;;)
		GUEST_SYNC(*p);
}

static uint64_t guest_reads(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	return uc.args[0];
}

/*
 * api.rst 4.35: with KVM_CAP_SYNC_MMU "changes in the backing of the memory region are
 * automatically reflected into the guest": once the guest has read a page, the VMM maps
 * another page over it (mmap MAP_FIXED), then discards that one (MADV_DONTNEED); the guest
 * must read the new contents, then zero.
 */
static bool probe_sync_mmu(struct probe_ctx *c)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_read_loop);
	uint64_t gpa = vm_alloc_pages(vm, 1), *hva = addr_gpa2hva(vm, gpa);
	bool ok;

	vcpu_set_args(vcpu, gpa);
	*hva = 1;
	ok = guest_reads(vcpu) == 1;
	TEST_ASSERT(mmap(hva, PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == hva, "mmap");
	*hva = 2;
	ok &= guest_reads(vcpu) == 2;
	TEST_ASSERT(!madvise(hva, PAGE_SIZE, MADV_DONTNEED), "madvise");
	ok &= guest_reads(vcpu) == 0;
	kvm_vm_free(vm);
	return ok;
}

/* api.rst 7.x: KVM_ENABLE_CAP(SPLIT_IRQCHIP) works, and the vCPUs then have a LAPIC */
static int split_vcpu(struct probe_ctx *c)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

	if (ioctl(c->vm, KVM_ENABLE_CAP, &cap))
		return -1;
	return ioctl(c->vm, KVM_CREATE_VCPU, 0);
}

static bool probe_split_irqchip(struct probe_ctx *c)
{
	struct kvm_lapic_state lapic;
	int fd = split_vcpu(c);
	bool ok = fd >= 0 && !ioctl(fd, KVM_GET_LAPIC, &lapic);

	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * api.rst 4.71: with an in-kernel LAPIC the ioctl takes a message (EINVAL without one);
 * delivery itself is lapic_state_test's (a vCPU that never ran may not accept it)
 */
static bool probe_signal_msi(struct probe_ctx *c)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x400 };
	int fd = split_vcpu(c);
	bool ok = fd >= 0 && (ioctl(c->vm, KVM_SIGNAL_MSI, &msi) >= 0 ||
			      (errno != EINVAL && errno != ENOTTY));

	if (fd >= 0)
		close(fd);
	return ok;
}

/* IA32_TSC_DEADLINE (0x6e0) exists with an in-kernel LAPIC */
static bool probe_tsc_deadline(struct probe_ctx *c)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = 0x6e0 };
	int fd = split_vcpu(c);
	bool ok = fd >= 0 && ioctl(fd, KVM_SET_MSRS, &m) == 1 && ioctl(fd, KVM_GET_MSRS, &m) == 1;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* IA32_APIC_BASE of a new vCPU (0 when KVM_GET_MSRS fails) */
static uint64_t apic_base_of(int vcpu)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = 0x1b };

	return ioctl(vcpu, KVM_GET_MSRS, &m) == 1 ? m.e.data : 0;
}

/*
 * api.rst 4.41: vCPU 1 becomes the BSP (IA32_APIC_BASE bit 8) and vCPU 0 does not; once a
 * vCPU exists the ioctl is EBUSY
 */
static bool probe_set_boot_cpu_id(struct probe_ctx *c)
{
	int v0, v1;
	bool ok;

	if (ioctl(c->vm, KVM_SET_BOOT_CPU_ID, 1ul))
		return false;
	v0 = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	v1 = ioctl(c->vm, KVM_CREATE_VCPU, 1);
	ok = v0 >= 0 && v1 >= 0 && (apic_base_of(v1) & 0x100) && apic_base_of(v1) &&
	     !(apic_base_of(v0) & 0x100) && apic_base_of(v0) &&
	     ioctl(c->vm, KVM_SET_BOOT_CPU_ID, 0ul) == -1 && errno == EBUSY;
	if (v0 >= 0)
		close(v0);
	if (v1 >= 0)
		close(v1);
	return ok;
}

/*
 * KVM_SET_NR_MMU_PAGES keeps what it is given (64 at least), KVM_GET_NR_MMU_PAGES reads it.
 * Before any is set: 0 for a VM without memory, 64 at least once it has some (Linux KVM's
 * default budget; found by difftest_ioctl). KVM_GET_NR_MMU_PAGES, deprecated, is gone in
 * 6.12 (ENOTTY): checked where it exists.
 */
static bool probe_nr_mmu_pages(struct probe_ctx *c)
{
	bool get = ioctl(c->vm, KVM_GET_NR_MMU_PAGES, 0) >= 0 || errno != ENOTTY;
	int vm = ioctl(c->kvm, KVM_CREATE_VM, 0);
	void *mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region r = {
		.memory_size = 1 << 20, .userspace_addr = (uintptr_t)mem,
	};
	bool fresh = vm >= 0 && mem != MAP_FAILED &&
		     (!get || ioctl(vm, KVM_GET_NR_MMU_PAGES, 0) == 0) &&
		     ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) == 0 &&
		     (!get || ioctl(vm, KVM_GET_NR_MMU_PAGES, 0) == 64);

	if (vm >= 0)
		close(vm);
	if (mem != MAP_FAILED)
		munmap(mem, 1 << 20);
	return fresh && ioctl(c->vm, KVM_SET_NR_MMU_PAGES, 1000ul) == 0 &&
	       (!get || ioctl(c->vm, KVM_GET_NR_MMU_PAGES, 0) == 1000) &&
	       ioctl(c->vm, KVM_SET_NR_MMU_PAGES, 10ul) == -1 && errno == EINVAL &&
	       (!get || ioctl(c->vm, KVM_GET_NR_MMU_PAGES, 0) == 1000);
}

/* api.rst 7.31: the reported quirks can be disabled, a bit beyond them cannot */
static bool probe_disable_quirks2(struct probe_ctx *c)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_DISABLE_QUIRKS2, .args = { c->value } };
	struct kvm_enable_cap bad = { .cap = KVM_CAP_DISABLE_QUIRKS2, .args = { 1ull << 63 } };

	return ioctl(c->vm, KVM_ENABLE_CAP, &cap) == 0 &&
	       ioctl(c->vm, KVM_ENABLE_CAP, &bad) == -1 && errno == EINVAL;
}

/* api.rst 8.28: a vCPU's KVM_ENABLE_CAP turns the enforcement on and off */
static bool probe_enforce_pv_feature_cpuid(struct probe_ctx *c)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 } };
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	bool ok;

	if (vcpu < 0)
		return false;
	ok = ioctl(vcpu, KVM_ENABLE_CAP, &cap) == 0;
	cap.args[0] = 0;
	ok = ok && ioctl(vcpu, KVM_ENABLE_CAP, &cap) == 0;
	close(vcpu);
	return ok;
}

/* api.rst 7.13: the value is the set of exits KVM_ENABLE_CAP may turn off; HLT is one */
static bool probe_disable_exits(struct probe_ctx *c)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_DISABLE_EXITS,
				      .args = { KVM_X86_DISABLE_EXITS_HLT } };

	return !ioctl(c->vm, KVM_ENABLE_CAP, &cap);
}

/* api.rst 7.27: enabled with args[0] 1 (what it changes: mmio_test) */
static bool probe_exit_on_emulation_failure(struct probe_ctx *c)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE, .args = { 1 } };

	return !ioctl(c->vm, KVM_ENABLE_CAP, &cap);
}

/*
 * api.rst 4.31/4.32: once enabled, KVM_GET_VCPU_EVENTS has VALID_TRIPLE_FAULT, and a triple
 * fault set pending ends the next KVM_RUN with KVM_EXIT_SHUTDOWN before the guest runs
 */
static bool probe_triple_fault_event(struct probe_ctx *c)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_TRIPLE_FAULT_EVENT, .args = { 1 } };
	struct kvm_vcpu_events ev;
	struct kvm_run *run;
	int vcpu;
	bool ok = false;

	if (ioctl(c->vm, KVM_ENABLE_CAP, &cap))
		return false;
	vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return false;
	run = mmap(NULL, ioctl(c->kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
		   MAP_SHARED, vcpu, 0);
	if (run != MAP_FAILED && !ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev) &&
	    (ev.flags & KVM_VCPUEVENT_VALID_TRIPLE_FAULT) && !ev.triple_fault.pending) {
		ev.triple_fault.pending = 1;
		ok = !ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev) &&
		     !ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev) && ev.triple_fault.pending &&
		     !ioctl(vcpu, KVM_RUN, 0) && run->exit_reason == KVM_EXIT_SHUTDOWN;
	}
	close(vcpu);
	return ok;
}

/* api.rst 4.133: a VM and a vCPU give a stats fd whose header reads */
static bool probe_binary_stats_fd(struct probe_ctx *c)
{
	struct kvm_stats_header h;
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0), fd;
	bool ok;

	if (vcpu < 0)
		return false;
	fd = ioctl(c->vm, KVM_GET_STATS_FD, NULL);
	ok = fd >= 0 && read(fd, &h, sizeof(h)) == sizeof(h) && h.num_desc > 0;
	if (fd >= 0)
		close(fd);
	fd = ioctl(vcpu, KVM_GET_STATS_FD, NULL);
	ok = ok && fd >= 0 && read(fd, &h, sizeof(h)) == sizeof(h) && h.num_desc > 0;
	if (fd >= 0)
		close(fd);
	close(vcpu);
	return ok;
}

/*
 * api.rst 6.74: the value is the register sets kvm_run->s.regs offers; each one comes out
 * when asked for in kvm_valid_regs (an immediate_exit KVM_RUN suffices), and a bit outside
 * the value is EINVAL.
 */
static bool probe_sync_regs(struct probe_ctx *c)
{
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	struct kvm_run *run;
	size_t size = ioctl(c->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_regs regs;
	bool ok;

	if (vcpu < 0)
		return false;
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	TEST_ASSERT(run != MAP_FAILED, "mmap kvm_run");
	run->kvm_valid_regs = c->value;
	run->immediate_exit = 1;
	memset(&run->s.regs.regs, 0xaa, sizeof(run->s.regs.regs));
	ok = ioctl(vcpu, KVM_RUN, 0) == -1 && errno == EINTR &&
	     ioctl(vcpu, KVM_GET_REGS, &regs) == 0 &&
	     (c->value & KVM_SYNC_X86_REGS) && run->s.regs.regs.rip == regs.rip &&
	     run->s.regs.regs.rdx == regs.rdx;
	/* a reserved bit: EINVAL (6.12 looks at immediate_exit first: EINTR) */
	run->kvm_valid_regs = 1ULL << 62;
	ok = ok && ioctl(vcpu, KVM_RUN, 0) == -1 && (errno == EINVAL || errno == EINTR);
	munmap(run, size);
	close(vcpu);
	return ok;
}

/*
 * api.rst 4.80/4.81, devices/vcpu.rst: the vCPU's KVM_VCPU_TSC_CTRL group has
 * KVM_VCPU_TSC_OFFSET, which reads back what was written; other attributes are ENXIO
 */
static bool probe_vcpu_attributes(struct probe_ctx *c)
{
	uint64_t offset = 0x123456789ULL, back = 0;
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uintptr_t)&offset,
	};
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	bool ok;

	if (vcpu < 0)
		return false;
	ok = ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &attr) == 0 &&
	     ioctl(vcpu, KVM_SET_DEVICE_ATTR, &attr) == 0;
	attr.addr = (uintptr_t)&back;
	ok = ok && ioctl(vcpu, KVM_GET_DEVICE_ATTR, &attr) == 0 && back == offset;
	if (ok) {
		attr.attr = KVM_VCPU_TSC_OFFSET + 1;
		TEST_ASSERT_ERRNO(ENXIO, ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &attr));
		TEST_ASSERT_ERRNO(ENXIO, ioctl(vcpu, KVM_GET_DEVICE_ATTR, &attr));
		attr.attr = KVM_VCPU_TSC_OFFSET;
		attr.group = KVM_VCPU_TSC_CTRL + 1;
		TEST_ASSERT_ERRNO(ENXIO, ioctl(vcpu, KVM_HAS_DEVICE_ATTR, &attr));
		attr.group = KVM_VCPU_TSC_CTRL;
		attr.addr = 0;
		TEST_ASSERT_ERRNO(EFAULT, ioctl(vcpu, KVM_GET_DEVICE_ATTR, &attr));
		TEST_ASSERT_ERRNO(EFAULT, ioctl(vcpu, KVM_SET_DEVICE_ATTR, &attr));
	}
	close(vcpu);
	return ok;
}

/* api.rst 7.15: KVM_ENABLE_CAP takes on and off; the VMM reads and writes the MSR (0xce) */
static bool probe_msr_platform_info(struct probe_ctx *c)
{
	struct kvm_enable_cap on = { .cap = KVM_CAP_MSR_PLATFORM_INFO, .args = { 1 } };
	struct kvm_enable_cap off = { .cap = KVM_CAP_MSR_PLATFORM_INFO, .args = { 0 } };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = 0xce };
	int vcpu = ioctl(c->vm, KVM_CREATE_VCPU, 0);
	bool ok;

	if (vcpu < 0)
		return false;
	ok = ioctl(c->vm, KVM_ENABLE_CAP, &on) == 0 && ioctl(c->vm, KVM_ENABLE_CAP, &off) == 0 &&
	     ioctl(vcpu, KVM_GET_MSRS, &m) == 1 && ioctl(vcpu, KVM_SET_MSRS, &m) == 1;
	close(vcpu);
	return ok;
}

/* api.rst 7.21: args[0] is a mask of the three KVM_MSR_EXIT_REASON_*; other bits EINVAL */
static bool probe_user_space_msr(struct probe_ctx *c)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = { KVM_MSR_EXIT_REASON_INVAL | KVM_MSR_EXIT_REASON_UNKNOWN |
			  KVM_MSR_EXIT_REASON_FILTER },
	};

	if (ioctl(c->vm, KVM_ENABLE_CAP, &cap))
		return false;
	cap.args[0] = KVM_MSR_EXIT_REASON_FILTER << 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(c->vm, KVM_ENABLE_CAP, &cap));
	return true;
}

/* api.rst 4.97: a filter is taken, an empty one turns filtering off; the EINVAL cases */
static bool probe_msr_filter(struct probe_ctx *c)
{
	uint8_t bitmap[8] = { 0 };
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = { .flags = KVM_MSR_FILTER_READ, .base = 0xc0000081, .nmsrs = 64,
			       .bitmap = bitmap },
	};
	struct kvm_msr_filter empty = { .flags = KVM_MSR_FILTER_DEFAULT_ALLOW };

	if (ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f) || ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &empty))
		return false;
	empty.flags = KVM_MSR_FILTER_DEFAULT_DENY;	/* deny everything: not without ranges */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &empty));
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY << 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f));
	f.flags = KVM_MSR_FILTER_DEFAULT_DENY;
	f.ranges[0].flags = KVM_MSR_FILTER_WRITE << 1;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f));
	f.ranges[0].flags = KVM_MSR_FILTER_READ;
	f.ranges[0].nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8 + 64;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f));
	/* a bitmap size that wraps in 32 bits: EINVAL, no huge allocation (kvm_ioctl_fuzz) */
	f.ranges[0].nmsrs = 0xfffffffa;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f));
	f.ranges[0].nmsrs = 0xffffffff;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f));
	f.ranges[0].nmsrs = 64;
	f.ranges[0].bitmap = NULL;
	TEST_ASSERT_ERRNO(EFAULT, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f));
	/* range by range: a bad bitmap before a range with bad flags is EFAULT (difftest_ioctl) */
	f.ranges[1] = (struct kvm_msr_filter_range){ .flags = KVM_MSR_FILTER_WRITE << 1,
						     .base = 0x10, .nmsrs = 8, .bitmap = bitmap };
	TEST_ASSERT_ERRNO(EFAULT, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f));
	f.ranges[0].bitmap = bitmap;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(c->vm, KVM_X86_SET_MSR_FILTER, &f));
	return true;
}

#define CAP(name, fn) { KVM_CAP_##name, #name, fn }
static const struct {
	long cap;
	const char *name;
	bool (*probe)(struct probe_ctx *c);
} caps[] = {
	CAP(CHECK_EXTENSION_VM, probe_check_extension_vm),
	CAP(USER_MEMORY, probe_user_memory),
	CAP(NR_MEMSLOTS, probe_nr_memslots),
	CAP(NR_VCPUS, probe_create_vcpu),
	CAP(MAX_VCPUS, probe_max_vcpus),
	CAP(MAX_VCPU_ID, probe_max_vcpu_id),
	CAP(SET_TSS_ADDR, probe_set_tss_addr),
	CAP(SET_IDENTITY_MAP_ADDR, probe_identity_map_addr),
	CAP(EXT_CPUID, probe_supported_cpuid),
	CAP(GET_MSR_FEATURES, probe_msr_features),
	CAP(IRQCHIP, probe_irqchip),
	CAP(PIT2, probe_pit2),
	CAP(IOEVENTFD, probe_ioeventfd),
	CAP(IRQFD, probe_irqfd),
	CAP(IRQFD_RESAMPLE, probe_irqfd_resample),
	CAP(IRQ_INJECT_STATUS, probe_irq_inject_status),
	CAP(COALESCED_MMIO, probe_coalesced_mmio),
	CAP(ADJUST_CLOCK, probe_adjust_clock),
	CAP(KVMCLOCK_CTRL, probe_kvmclock_ctrl),
	CAP(VCPU_EVENTS, probe_vcpu_events),
	CAP(MP_STATE, probe_mp_state),
	CAP(MCE, probe_mce),
	CAP(USER_NMI, probe_user_nmi),
	CAP(SET_GUEST_DEBUG, probe_set_guest_debug),
	CAP(SET_GUEST_DEBUG2, probe_set_guest_debug2),
	CAP(ENABLE_CAP_VM, probe_enable_cap_vm),
	CAP(MANUAL_DIRTY_LOG_PROTECT2, probe_manual_dirty_log),
	CAP(SYNC_MMU, probe_sync_mmu),
	CAP(SPLIT_IRQCHIP, probe_split_irqchip),
	CAP(SIGNAL_MSI, probe_signal_msi),
	CAP(TSC_DEADLINE_TIMER, probe_tsc_deadline),
	CAP(SET_BOOT_CPU_ID, probe_set_boot_cpu_id),
	CAP(MMU_SHADOW_CACHE_CONTROL, probe_nr_mmu_pages),
	CAP(DISABLE_QUIRKS2, probe_disable_quirks2),
	CAP(X86_TRIPLE_FAULT_EVENT, probe_triple_fault_event),
	CAP(X86_DISABLE_EXITS, probe_disable_exits),
	CAP(EXIT_ON_EMULATION_FAILURE, probe_exit_on_emulation_failure),
	CAP(BINARY_STATS_FD, probe_binary_stats_fd),
	CAP(SYNC_REGS, probe_sync_regs),
	CAP(VCPU_ATTRIBUTES, probe_vcpu_attributes),
	CAP(MSR_PLATFORM_INFO, probe_msr_platform_info),
	CAP(X86_USER_SPACE_MSR, probe_user_space_msr),
	CAP(X86_MSR_FILTER, probe_msr_filter),
	CAP(ENFORCE_PV_FEATURE_CPUID, probe_enforce_pv_feature_cpuid),
};

int main(void)
{
	struct probe_ctx c;
	unsigned int i;
	long vm_value;
	bool works;

	ksft_print_header();
	ksft_set_plan(sizeof(caps) / sizeof(caps[0]));
	c.kvm = kvm_open();

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		c.value = kvm_check_cap(c.kvm, caps[i].cap);
		c.vm = vm_create(c.kvm);
		if (kvm_check_cap(c.kvm, KVM_CAP_CHECK_EXTENSION_VM)) {
			vm_value = kvm_check_cap(c.vm, caps[i].cap);
			TEST_ASSERT(vm_value == c.value,
				    "KVM_CAP_%s: VM fd says %ld, /dev/kvm says %ld",
				    caps[i].name, vm_value, c.value);
		}
		works = caps[i].probe(&c);
		close(c.vm);
		TEST_ASSERT(works == (c.value > 0),
			    "KVM_CAP_%s is %ld but the feature %s", caps[i].name, c.value,
			    works ? "works" : "does not work");
		ksft_test_result_pass("KVM_CAP_%s = %ld, feature %s\n", caps[i].name, c.value,
				      works ? "works" : "absent");
	}
	close(c.kvm);
	ksft_finished();
}
