// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a VMM saves and restores to migrate a VM (QEMU's order, api.rst section 4), done on a
 * running guest with the in-kernel irqchip and PIT: the guest sets MSRs, debug registers,
 * SSE/AVX and x87 state and a periodic LAPIC timer, then stops in a ucall. The test saves
 * the vCPU (REGS, SREGS, XSAVE, XCRS, every MSR of KVM_GET_MSR_INDEX_LIST, VCPU_EVENTS,
 * MP_STATE, LAPIC, DEBUGREGS, TSC_KHZ) and the VM (IRQCHIP: both PICs and the IOAPIC, PIT2,
 * CLOCK), restores it all into a fresh VM with a copy of the memory, reads everything back
 * from there and compares it field by field with what was saved (the TSC, the kvmclock and
 * the LAPIC timer's current count may only move forward, by less than the time the test
 * took), then runs the new vCPU: the guest finds its MSRs and debug registers as it left
 * them (PV EOI and poll control among them, which the index list must hold), and its timer
 * still interrupts it. A second part takes a vCPU stopped with an
 * exception pending in delivery (KVM_SET_VCPU_EVENTS) through the same save and restore.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <asm/kvm_para.h>

#include "x86_guest.h"

#define APIC_GPA		0xfee00000ULL
#define TIMER_VECTOR		0x41
#define MAX_IO_MSRS		256
#define LAPIC_TMCCT		0x390	/* the timer's current count: it runs */
#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_1_ECX_AVX		(1U << 28)
#define HV_X64_MSR_VP_RUNTIME		0x40000010
#define HV_X64_MSR_TIME_REF_COUNT	0x40000020

static volatile uint64_t ticks;

static void apic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = v;
}

static void timer_handler(struct ex_regs *regs)
{
	ticks++;
	apic_wr(0xb0, 0);
}

/* The MSRs the guest writes, and what it writes there (values each keeps exactly). */
static const struct { uint32_t index; uint64_t value; } guest_msrs[] = {
	KEPT_MSR_VALUES
};
#define NR_GUEST_MSRS	(sizeof(guest_msrs) / sizeof(guest_msrs[0]))

static const uint64_t guest_drs[4] = {
	0x1000, 0x7f0000002000ULL, 0xffffffff81003000ULL, 0x4000,
};
#define GUEST_DR7	0x0d0155ULL	/* L0-L3 and G0 enabled, mixed lengths and kinds */

static uint8_t vec_pattern[32 * 16] __attribute__((aligned(32)));
static volatile uint32_t pv_eoi_flag;	/* the guest's PV EOI word (msr.rst) */
#define SMI_COUNT	7		/* what the VMM sets MSR_SMI_COUNT to */

/* MSRs the index list must hold, set by the guest or the VMM: they must round-trip */
static const uint32_t listed_msrs[] = { MSR_KVM_PV_EOI_EN, MSR_KVM_POLL_CONTROL, MSR_SMI_COUNT };


static void guest_code(uint64_t avx, uint64_t pv_eoi_gpa)
{
	uint16_t fcw = 0x27f;
	uint32_t mxcsr = 0x9fc0;
	uint64_t start, i;

	for (i = 0; i < NR_GUEST_MSRS; i++)
		x86_wrmsr(guest_msrs[i].index, guest_msrs[i].value);
	x86_wrmsr(MSR_KVM_PV_EOI_EN, pv_eoi_gpa | KVM_MSR_ENABLED);
	x86_wrmsr(MSR_KVM_POLL_CONTROL, 0);
	asm volatile("mov %0, %%dr0" : : "r"(guest_drs[0]));
	asm volatile("mov %0, %%dr1" : : "r"(guest_drs[1]));
	asm volatile("mov %0, %%dr2" : : "r"(guest_drs[2]));
	asm volatile("mov %0, %%dr3" : : "r"(guest_drs[3]));
	asm volatile("mov %0, %%dr7" : : "r"(GUEST_DR7));

	apic_wr(0xf0, 0x1ff);				/* software enable, spurious 0xff */
	apic_wr(0x80, 0x10);				/* TPR */
	apic_wr(0x3e0, 0xb);				/* divide by 1 */
	apic_wr(0x320, TIMER_VECTOR | (1u << 17));	/* periodic */
	apic_wr(0x380, 1000000);			/* 1 ms at KVM's 1 GHz bus clock */
	start = __builtin_ia32_rdtsc();
	asm volatile("sti");
	while (ticks < 3 && __builtin_ia32_rdtsc() - start < 40000000000ULL)
		asm volatile("pause");
	GUEST_ASSERT(ticks >= 3);

	/* state in the FPU, SSE and AVX registers for the save; x87 in use (TOP moves) */
	if (avx) {
		asm volatile("xsetbv" : : "c"(0), "a"(7), "d"(0));
		asm volatile("vmovdqa (%0), %%ymm8\n\tvmovdqa 32(%0), %%ymm9\n\t"
			     "vmovdqa 64(%0), %%ymm10\n\tvmovdqa 96(%0), %%ymm15"
			     : : "r"(vec_pattern) : "memory");
	} else {
		asm volatile("movdqa (%0), %%xmm8\n\tmovdqa 16(%0), %%xmm9\n\t"
			     "movdqa 32(%0), %%xmm10\n\tmovdqa 48(%0), %%xmm15"
			     : : "r"(vec_pattern) : "memory");
	}
	asm volatile("fldcw %0\n\tldmxcsr %1\n\tfld1\n\tfldpi" : : "m"(fcw), "m"(mxcsr));

	GUEST_SYNC(1, ticks);

	/* restored in another VM: the same MSRs and debug registers, the timer still runs */
	for (i = 0; i < NR_GUEST_MSRS; i++)
		GUEST_ASSERT_EQ(guest_msrs[i].value, x86_rdmsr(guest_msrs[i].index));
	GUEST_ASSERT_EQ(pv_eoi_gpa | KVM_MSR_ENABLED, x86_rdmsr(MSR_KVM_PV_EOI_EN));
	GUEST_ASSERT_EQ(0, x86_rdmsr(MSR_KVM_POLL_CONTROL));
	GUEST_ASSERT_EQ(SMI_COUNT, x86_rdmsr(MSR_SMI_COUNT));
	for (i = 0; i < 4; i++)
		GUEST_ASSERT_EQ(guest_drs[i], guest_read_dr(i));
	GUEST_ASSERT_EQ(GUEST_DR7 | 0x400, guest_read_dr(7));
	i = ticks;
	start = __builtin_ia32_rdtsc();
	while (ticks < i + 3 && __builtin_ia32_rdtsc() - start < 40000000000ULL)
		asm volatile("pause");
	asm volatile("cli");
	GUEST_SYNC(2, i, ticks);
	GUEST_DONE();
}

/* --- saving and restoring a VM the way QEMU does --- */

struct vm_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_lapic_state lapic;
	struct kvm_debugregs dregs;
	int tsc_khz;
	struct kvm_irqchip chip[3];
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	struct kvm_msrs *msrs;		/* every MSR of KVM_GET_MSR_INDEX_LIST */
	bool has_xcrs, has_irqchip;
};

static void save_state(struct kvm_vm *vm, struct kvm_vcpu *vcpu, struct vm_state *s)
{
	struct kvm_msr_list *list = kvm_msr_index_list(vm->kvm_fd);
	bool irqchip = s->has_irqchip;
	uint32_t i;
	int r;


	memset(s, 0, sizeof(*s));
	s->has_irqchip = irqchip;
	s->has_xcrs = kvm_check_cap(vm->kvm_fd, KVM_CAP_XCRS);
	vcpu_get_regs(vcpu, &s->regs);
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, &s->xsave);
	if (s->has_xcrs)
		vcpu_ioctl(vcpu, KVM_GET_XCRS, &s->xcrs);
	vcpu_get_sregs(vcpu, &s->sregs);
	TEST_ASSERT(list->nmsrs < MAX_IO_MSRS, "%u MSRs", list->nmsrs);
	s->msrs = msrs_alloc(list->nmsrs);
	for (i = 0; i < list->nmsrs; i++)
		s->msrs->entries[i].index = list->indices[i];
	r = ioctl(vcpu->fd, KVM_GET_MSRS, s->msrs);
	TEST_ASSERT(r == (int)list->nmsrs, "KVM_GET_MSRS of the %u listed MSRs: %d read%s%#x",
		    list->nmsrs, r, r >= 0 && r < (int)list->nmsrs ? ", stopped at " : "",
		    r >= 0 && r < (int)list->nmsrs ? list->indices[r] : 0);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &s->events);
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &s->mp);
	if (s->has_irqchip)
		vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s->lapic);
	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &s->dregs);
	s->tsc_khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	TEST_ASSERT(s->tsc_khz > 0, "KVM_GET_TSC_KHZ: %d", s->tsc_khz);
	if (s->has_irqchip) {
		for (i = 0; i < 3; i++) {
			s->chip[i].chip_id = i;
			vm_ioctl(vm, KVM_GET_IRQCHIP, &s->chip[i]);
		}
		vm_ioctl(vm, KVM_GET_PIT2, &s->pit);
	}
	vm_ioctl(vm, KVM_GET_CLOCK, &s->clock);
	free(list);
}

/* QEMU's order: kvm_arch_put_registers(), then the irqchip, PIT and kvmclock devices. */
static void restore_state(struct kvm_vm *vm, struct kvm_vcpu *vcpu, const struct vm_state *s)
{
	struct kvm_clock_data clock = { .clock = s->clock.clock };
	uint32_t i;
	int r;

	TEST_ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_TSC_KHZ, s->tsc_khz));
	vcpu_set_regs(vcpu, &s->regs);
	vcpu_ioctl(vcpu, KVM_SET_XSAVE, &s->xsave);
	if (s->has_xcrs)
		vcpu_ioctl(vcpu, KVM_SET_XCRS, &s->xcrs);
	vcpu_set_sregs(vcpu, &s->sregs);
	r = ioctl(vcpu->fd, KVM_SET_MSRS, s->msrs);
	if (r >= 0 && r < (int)s->msrs->nmsrs)
		ksft_print_msg("KVM_SET_MSRS stopped at MSR %#x (value %#llx)\n",
			       s->msrs->entries[r].index,
			       (unsigned long long)s->msrs->entries[r].data);
	TEST_ASSERT_EQ((int)s->msrs->nmsrs, r);
	vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &s->mp);
	if (s->has_irqchip)
		vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s->lapic);
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &s->events);
	vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &s->dregs);
	if (s->has_irqchip) {
		for (i = 0; i < 3; i++)
			vm_ioctl(vm, KVM_SET_IRQCHIP, &s->chip[i]);
		vm_ioctl(vm, KVM_SET_PIT2, &s->pit);
	}
	vm_ioctl(vm, KVM_SET_CLOCK, &clock);
}

static int failures;

#define CHECK(cond, fmt, ...) do {							\
	if (!(cond)) {									\
		ksft_print_msg("MISMATCH " fmt "\n", ##__VA_ARGS__);			\
		failures++;								\
	}										\
} while (0)

/* first differing byte of two structures, as "offset N: expected X, got Y" */
static void check_bytes(const char *what, const void *want, const void *got, size_t len)
{
	const uint8_t *a = want, *b = got;
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (a[i] == b[i])
			continue;
		if (n++ < 8)
			ksft_print_msg("MISMATCH %s byte %zu: expected %#x, got %#x\n", what, i,
				       a[i], b[i]);
	}
	if (n)
		failures++;
}

/*
 * Everything read back from the destination equals what was saved at the source; what runs
 * with time (TSC, kvmclock, the LAPIC timer's current count, the PIT's load time) may only
 * have moved forward, by less than elapsed_ns.
 */
static void compare_state(const struct vm_state *want, const struct vm_state *got,
			  uint64_t elapsed_ns)
{
	uint64_t tsc_slack = (uint64_t)want->tsc_khz * (elapsed_ns / 1000000 + 1);
	struct kvm_lapic_state a, b;
	struct kvm_pit_state2 pa, pb;
	uint32_t i, nmsr = 0;
	uint64_t tsc_moved = 0;

	check_bytes("KVM_GET_REGS", &want->regs, &got->regs, sizeof(want->regs));
	check_bytes("KVM_GET_SREGS", &want->sregs, &got->sregs, sizeof(want->sregs));
	check_bytes("KVM_GET_XSAVE", &want->xsave, &got->xsave, sizeof(want->xsave));
	if (want->has_xcrs)
		check_bytes("KVM_GET_XCRS", &want->xcrs, &got->xcrs, sizeof(want->xcrs));
	check_bytes("KVM_GET_VCPU_EVENTS", &want->events, &got->events, sizeof(want->events));
	CHECK(want->mp.mp_state == got->mp.mp_state, "KVM_GET_MP_STATE: expected %u, got %u",
	      want->mp.mp_state, got->mp.mp_state);
	check_bytes("KVM_GET_DEBUGREGS", &want->dregs, &got->dregs, sizeof(want->dregs));
	CHECK(want->tsc_khz == got->tsc_khz, "KVM_GET_TSC_KHZ: expected %d, got %d",
	      want->tsc_khz, got->tsc_khz);
	TEST_ASSERT_EQ(want->msrs->nmsrs, got->msrs->nmsrs);
	for (i = 0; i < sizeof(listed_msrs) / sizeof(listed_msrs[0]); i++) {
		uint32_t j;

		for (j = 0; j < want->msrs->nmsrs; j++)
			if (want->msrs->entries[j].index == listed_msrs[i])
				break;
		CHECK(j < want->msrs->nmsrs, "MSR %#x not in KVM_GET_MSR_INDEX_LIST",
		      listed_msrs[i]);
	}
	for (i = 0; i < want->msrs->nmsrs; i++) {
		uint32_t idx = want->msrs->entries[i].index;
		uint64_t w = want->msrs->entries[i].data, g = got->msrs->entries[i].data;

		TEST_ASSERT_EQ(idx, got->msrs->entries[i].index);
		if (idx == HV_X64_MSR_VP_RUNTIME || idx == HV_X64_MSR_TIME_REF_COUNT) {
			/* counters of time (100 ns units): they only move forward */
			CHECK(g >= w && g - w <= elapsed_ns / 100 + 1,
			      "MSR %#x: expected %#llx .. +%#llx, got %#llx", idx,
			      (unsigned long long)w, (unsigned long long)(elapsed_ns / 100 + 1),
			      (unsigned long long)g);
			continue;
		}
		if (idx == MSR_IA32_TSC) {
			CHECK(g >= w && g - w <= tsc_slack,
			      "MSR_IA32_TSC: expected %#llx .. %#llx later, got %#llx",
			      (unsigned long long)w, (unsigned long long)tsc_slack,
			      (unsigned long long)g);
			tsc_moved = g - w;
			continue;
		}
		nmsr++;
		CHECK(w == g, "MSR %#x: expected %#llx, got %#llx", idx, (unsigned long long)w,
		      (unsigned long long)g);
	}
	ksft_print_msg("%u MSRs compared exactly, the TSC moved %llu cycles\n", nmsr,
		       (unsigned long long)tsc_moved);
	if (want->has_irqchip) {
		a = want->lapic;
		b = got->lapic;
		/* the current count runs down: not above the initial count, compared apart */
		memset(a.regs + LAPIC_TMCCT, 0, 4);
		memset(b.regs + LAPIC_TMCCT, 0, 4);
		check_bytes("KVM_GET_LAPIC", &a, &b, sizeof(a));
		CHECK(*(uint32_t *)(got->lapic.regs + LAPIC_TMCCT) <=
		      *(uint32_t *)(got->lapic.regs + 0x380),
		      "LAPIC timer current count %#x above the initial count %#x",
		      *(uint32_t *)(got->lapic.regs + LAPIC_TMCCT),
		      *(uint32_t *)(got->lapic.regs + 0x380));
		for (i = 0; i < 3; i++)
			check_bytes(i == 2 ? "KVM_GET_IRQCHIP (IOAPIC)" : "KVM_GET_IRQCHIP (PIC)",
				    &want->chip[i], &got->chip[i], sizeof(want->chip[i]));
		pa = want->pit;
		pb = got->pit;
		for (i = 0; i < 3; i++)
			pa.channels[i].count_load_time = pb.channels[i].count_load_time = 0;
		check_bytes("KVM_GET_PIT2 (but the load times)", &pa, &pb, sizeof(pa));
	}
	CHECK(got->clock.clock >= want->clock.clock &&
	      got->clock.clock - want->clock.clock <= elapsed_ns,
	      "KVM_GET_CLOCK: expected %llu .. +%llu ns, got %llu",
	      (unsigned long long)want->clock.clock, (unsigned long long)elapsed_ns,
	      (unsigned long long)got->clock.clock);
}

static uint32_t lapic_reg(const struct vm_state *s, uint32_t reg)
{
	return *(const uint32_t *)(s->lapic.regs + reg);
}

static void dump_irq_state(const char *what, const struct vm_state *s)
{
	int i;

	ksft_print_msg("%s: LVTT %#x TMICT %#x TMCCT %#x TPR %#x PPR %#x SVR %#x rflags %#llx\n",
		       what, lapic_reg(s, 0x320), lapic_reg(s, 0x380), lapic_reg(s, 0x390),
		       lapic_reg(s, 0x80), lapic_reg(s, 0xa0), lapic_reg(s, 0xf0),
		       (unsigned long long)s->regs.rflags);
	for (i = 0; i < 8; i++)
		ksft_print_msg("%s: ISR[%d] %#x IRR[%d] %#x\n", what, i,
			       lapic_reg(s, 0x100 + i * 0x10), i, lapic_reg(s, 0x200 + i * 0x10));
	ksft_print_msg("%s: events interrupt injected %u nr %#x soft %u shadow %u; nmi %u/%u/%u; "
		       "exception %u/%u nr %u; flags %#x\n", what,
		       s->events.interrupt.injected, s->events.interrupt.nr,
		       s->events.interrupt.soft, s->events.interrupt.shadow,
		       s->events.nmi.injected, s->events.nmi.pending, s->events.nmi.masked,
		       s->events.exception.injected, s->events.exception.pending,
		       s->events.exception.nr, s->events.flags);
}

/* a VM as QEMU makes one by default: in-kernel irqchip and PIT */
static struct kvm_vm *new_vm(struct kvm_vcpu **vcpu, void (*entry)(uint64_t, uint64_t))
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_pit_config pit = { .flags = 0 };

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	vm_ioctl(vm, KVM_CREATE_PIT2, &pit);
	guest_map_page(vm, APIC_GPA, APIC_GPA);
	*vcpu = guest_vcpu_add(vm, 0, (uint64_t)entry);
	vm_install_exception_handler(vm, TIMER_VECTOR, timer_handler);
	return vm;
}

static bool guest_has_avx(struct kvm_vm *vm)
{
	const struct kvm_cpuid_entry2 *e = vm_cpuid_entry(vm, 1, 0);

	return e && (e->ecx & CPUID_1_ECX_XSAVE) && (e->ecx & CPUID_1_ECX_AVX);
}

static void test_migrate_running_guest(void)
{
	struct vm_state *src = calloc(1, sizeof(*src)), *dst = calloc(1, sizeof(*dst));
	struct kvm_vcpu *vcpu, *vcpu2;
	struct kvm_vm *vm, *vm2;
	struct ucall uc;
	uint64_t t0, avx;
	uint32_t i;

	for (i = 0; i < sizeof(vec_pattern); i++)
		vec_pattern[i] = (uint8_t)(i * 7 + 3);
	vm = new_vm(&vcpu, guest_code);
	avx = guest_has_avx(vm);
	ksft_print_msg("guest %s AVX\n", avx ? "with" : "without");
	sync_global_to_guest(vm, vec_pattern);
	vcpu_set_args(vcpu, avx, addr_gva2gpa(vm, (uint64_t)&pv_eoi_flag));
	vcpu_set_msr(vcpu, MSR_SMI_COUNT, SMI_COUNT);
	/*
	 * A TSC far from the new VM's: stock KVM takes a host-initiated TSC write that lands
	 * within a second of what it expects for a vCPU created a moment ago as a request to
	 * synchronize with it, and keeps its own value (a short-lived source would do that).
	 */
	vcpu_set_msr(vcpu, MSR_IA32_TSC, 1ULL << 40);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	ksft_print_msg("source: %llu timer interrupts before the save\n",
		       (unsigned long long)uc.args[1]);
	/* api.rst "KVM_RUN": complete the ucall's OUT before saving the state */
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	vcpu->run->immediate_exit = 0;

	src->has_irqchip = true;
	t0 = monotonic_ns();
	save_state(vm, vcpu, src);
	ksft_print_msg("saved: %u MSRs, TSC %d kHz, kvmclock %llu ns\n", src->msrs->nmsrs,
		       src->tsc_khz, (unsigned long long)src->clock.clock);

	vm2 = new_vm(&vcpu2, guest_code);
	memcpy(vm2->mem, vm->mem, vm->mem_size);
	restore_state(vm2, vcpu2, src);
	dst->has_irqchip = true;
	save_state(vm2, vcpu2, dst);
	compare_state(src, dst, monotonic_ns() - t0);
	TEST_ASSERT(failures == 0, "%d state(s) did not round-trip", failures);

	/* the source is gone; the guest carries on in the new VM */
	kvm_vm_free(vm);
	vcpu_run_expect_ucall(vcpu2, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	ksft_print_msg("destination: %llu timer interrupts at the restore, %llu by the end\n",
		       (unsigned long long)uc.args[1], (unsigned long long)uc.args[2]);
	if (uc.args[2] < uc.args[1] + 3) {
		vcpu2->run->immediate_exit = 1;
		TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu2));
		save_state(vm2, vcpu2, dst);
		dump_irq_state("source at the save", src);
		dump_irq_state("destination now", dst);
	}
	TEST_ASSERT(uc.args[2] >= uc.args[1] + 3,
		    "timer interrupts at the destination: expected at least 3 more than %llu, got %llu",
		    (unsigned long long)uc.args[1], (unsigned long long)uc.args[2]);
	vcpu_run_expect_ucall(vcpu2, UCALL_DONE, &uc);
	free(src->msrs);
	free(dst->msrs);
	free(src);
	free(dst);
	kvm_vm_free(vm2);
}

/*
 * A vCPU stopped with an exception pending delivery (a #GP with its error code, injected
 * through KVM_SET_VCPU_EVENTS, as QEMU restores one) and an NMI pending: both survive a save
 * and a restore into a fresh VM, which then delivers the #GP to the guest's handler.
 */
static volatile uint64_t gp_seen, gp_error;

static void gp_handler(struct ex_regs *regs)
{
	gp_seen++;
	gp_error = regs->error_code;
}

static void event_guest(uint64_t avx, uint64_t unused)
{
	GUEST_SYNC(1);
	GUEST_SYNC(2, gp_seen, gp_error);
	GUEST_DONE();
}

static void test_migrate_pending_event(void)
{
	struct vm_state *src = calloc(1, sizeof(*src)), *dst = calloc(1, sizeof(*dst));
	struct kvm_vcpu *vcpu, *vcpu2;
	struct kvm_vm *vm = new_vm(&vcpu, event_guest), *vm2;
	struct kvm_vcpu_events ev;
	struct ucall uc;
	uint64_t t0;

	vm_install_exception_handler(vm, GP_VECTOR, gp_handler);
	vcpu_set_msr(vcpu, MSR_IA32_TSC, 1ULL << 40);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	vcpu->run->immediate_exit = 0;
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	ev.exception.injected = 1;
	ev.exception.nr = GP_VECTOR;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x1234;
	ev.flags = 0;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);

	t0 = monotonic_ns();
	src->has_irqchip = true;
	save_state(vm, vcpu, src);
	TEST_ASSERT_EQ(1, src->events.exception.injected);
	TEST_ASSERT_EQ(GP_VECTOR, src->events.exception.nr);
	TEST_ASSERT_EQ(0x1234, src->events.exception.error_code);

	vm2 = new_vm(&vcpu2, event_guest);
	vm_install_exception_handler(vm2, GP_VECTOR, gp_handler);
	memcpy(vm2->mem, vm->mem, vm->mem_size);
	restore_state(vm2, vcpu2, src);
	dst->has_irqchip = true;
	save_state(vm2, vcpu2, dst);
	compare_state(src, dst, monotonic_ns() - t0);
	TEST_ASSERT(failures == 0, "%d state(s) did not round-trip", failures);
	kvm_vm_free(vm);

	vcpu_run_expect_ucall(vcpu2, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	TEST_ASSERT_EQ(1, uc.args[1]);		/* the #GP was delivered once */
	TEST_ASSERT_EQ(0x1234, uc.args[2]);	/* with its error code */
	vcpu_run_expect_ucall(vcpu2, UCALL_DONE, &uc);
	free(src->msrs);
	free(dst->msrs);
	free(src);
	free(dst);
	kvm_vm_free(vm2);
}

/*
 * MSRs QEMU saves and restores besides those of KVM_GET_MSR_INDEX_LIST, chosen by the
 * guest's CPUID (target/i386/kvm/kvm.c, kvm_put_msrs): the MTRRs (CPUID.1:EDX.MTRR), PV EOI
 * and poll control (KVM's CPUID leaf 0x40000001). Values set in one VM, read back, set in a
 * fresh VM as QEMU would, read back there: equal.
 */
#define MSR_MTRR_PHYSBASE(n)	(0x200 + 2 * (n))
#define MSR_MTRR_PHYSMASK(n)	(0x201 + 2 * (n))
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MSR_MTRR_CAP		0xfe
#define MSR_KVM_PV_EOI_EN_	0x4b564d04
#define MSR_KVM_POLL_CONTROL_	0x4b564d05
#define KVM_FEATURE_PV_EOI_	6
#define KVM_FEATURE_POLL_CONTROL_ 12

static uint32_t extra_msrs(struct kvm_vm *vm, struct kvm_vcpu *vcpu, struct kvm_msr_entry *e)
{
	const struct kvm_cpuid_entry2 *kvm = vm_cpuid_entry(vm, 0x40000001, 0);
	const struct kvm_cpuid_entry2 *ext = vm_cpuid_entry(vm, 0x80000008, 0);
	uint64_t cap = vcpu_get_msr(vcpu, MSR_MTRR_CAP);
	uint32_t phys = ext ? (ext->eax & 0xff) : 36, n = 0, i;
	uint64_t addr_mask = ((1ULL << phys) - 1) & ~0xfffULL;
	static const uint32_t fixed[] = {
		0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
	};

	e[n++] = (struct kvm_msr_entry){ .index = MSR_MTRR_DEF_TYPE, .data = 0xc06 };
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		e[n++] = (struct kvm_msr_entry){ .index = fixed[i],
			.data = i < 2 ? 0x0606060606060606ULL : i == 2 ? 0 : 0x0505050505050505ULL };
	/* variable ranges: range i covers 256 MiB at (i + 1) GiB, UC, WC or WT by turns */
	for (i = 0; i < (cap & 0xff) && i < 8; i++) {
		e[n++] = (struct kvm_msr_entry){ .index = MSR_MTRR_PHYSBASE(i),
			.data = ((i + 1ULL) << 30) | (i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : 4) };
		e[n++] = (struct kvm_msr_entry){ .index = MSR_MTRR_PHYSMASK(i),
			.data = (addr_mask & ~((256ULL << 20) - 1)) | (i & 1 ? 0 : 0x800) };
	}
	if (kvm && (kvm->eax & (1u << KVM_FEATURE_PV_EOI_)))
		e[n++] = (struct kvm_msr_entry){ .index = MSR_KVM_PV_EOI_EN_, .data = 0x3000 | 1 };
	if (kvm && (kvm->eax & (1u << KVM_FEATURE_POLL_CONTROL_)))
		e[n++] = (struct kvm_msr_entry){ .index = MSR_KVM_POLL_CONTROL_, .data = 0 };
	return n;
}

static void test_msrs_beyond_the_list(void)
{
	struct kvm_vcpu *vcpu, *vcpu2;
	struct kvm_vm *vm = new_vm(&vcpu, guest_code), *vm2 = new_vm(&vcpu2, guest_code);
	struct kvm_msrs *set = msrs_alloc(64), *saved = msrs_alloc(64), *got = msrs_alloc(64);
	uint32_t n = extra_msrs(vm, vcpu, set->entries), i;
	int r;

	set->nmsrs = saved->nmsrs = got->nmsrs = n;
	r = ioctl(vcpu->fd, KVM_SET_MSRS, set);
	TEST_ASSERT(r == (int)n, "KVM_SET_MSRS of %u MSRs: %d done%s%#x", n, r,
		    r >= 0 && r < (int)n ? ", refused " : "", r >= 0 && r < (int)n ?
		    set->entries[r].index : 0);
	for (i = 0; i < n; i++)
		saved->entries[i].index = set->entries[i].index;
	TEST_ASSERT_EQ((int)n, ioctl(vcpu->fd, KVM_GET_MSRS, saved));
	for (i = 0; i < n; i++)
		CHECK(saved->entries[i].data == set->entries[i].data,
		      "MSR %#x read back: expected %#llx, got %#llx", set->entries[i].index,
		      (unsigned long long)set->entries[i].data,
		      (unsigned long long)saved->entries[i].data);
	/* into the new VM, as QEMU restores them */
	r = ioctl(vcpu2->fd, KVM_SET_MSRS, saved);
	TEST_ASSERT(r == (int)n, "KVM_SET_MSRS of %u saved MSRs: %d done", n, r);
	for (i = 0; i < n; i++)
		got->entries[i].index = saved->entries[i].index;
	TEST_ASSERT_EQ((int)n, ioctl(vcpu2->fd, KVM_GET_MSRS, got));
	for (i = 0; i < n; i++)
		CHECK(saved->entries[i].data == got->entries[i].data,
		      "MSR %#x after the restore: expected %#llx, got %#llx",
		      saved->entries[i].index, (unsigned long long)saved->entries[i].data,
		      (unsigned long long)got->entries[i].data);
	ksft_print_msg("%u MSRs (MTRRs, PV EOI, poll control) round-tripped\n", n);
	TEST_ASSERT(failures == 0, "%d MSR(s) did not round-trip", failures);
	free(set);
	free(saved);
	free(got);
	kvm_vm_free(vm);
	kvm_vm_free(vm2);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(3);
	run_subtest(test_migrate_running_guest,
		    "a running guest's vCPU, LAPIC, PIC, IOAPIC, PIT, MSRs and clocks saved, "
		    "restored into a new VM, read back equal; the guest carries on there");
	run_subtest(test_migrate_pending_event,
		    "an exception pending delivery survives save and restore, then is delivered");
	run_subtest(test_msrs_beyond_the_list,
		    "MTRRs, PV EOI and poll control MSRs (saved by QEMU beyond the list) round-trip");
	ksft_finished();
}
