// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-kernel local APIC state with KVM_CAP_SPLIT_IRQCHIP: KVM_GET_LAPIC / KVM_SET_LAPIC
 * (api.rst 4.57/4.58) carrying a pending IRR bit and a running periodic timer into a fresh
 * VM, KVM_SIGNAL_MSI (4.71), KVM_INTERRUPT (4.16), KVM_GET/SET_MP_STATE (4.38/4.39), the
 * SIPI vector of KVM_GET/SET_VCPU_EVENTS (4.31/4.32) and the errnos around them.
 */
#include <stdlib.h>
#include <sys/ioctl.h>

#include "x86_guest.h"

#define APIC_GPA	0xfee00000ULL
#define MSI_VECTOR	0x50
#define TIMER_VECTOR	0x51

static volatile uint64_t msi_count, timer_count;

static void apic_wr(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + reg) = v;
}

static void msi_handler(struct ex_regs *regs)
{
	msi_count++;
	apic_wr(0xb0, 0);
}

static void timer_handler(struct ex_regs *regs)
{
	timer_count++;
	apic_wr(0xb0, 0);
}

static void guest_code(void)
{
	uint64_t start;

	apic_wr(0xf0, 0x1ff);
	apic_wr(0x3e0, 0xb);			/* divide by 1 */
	apic_wr(0x320, TIMER_VECTOR | (1u << 17));	/* periodic */
	apic_wr(0x380, 2000000);		/* 2 ms at the 1 GHz KVM bus clock */
	/* interrupts off: the MSI stays in IRR across the migration */
	GUEST_SYNC(1, msi_count);
	asm volatile("sti; nop; cli");
	GUEST_SYNC(2, msi_count);
	start = __builtin_ia32_rdtsc();
	asm volatile("sti");
	while (timer_count < 3 && __builtin_ia32_rdtsc() - start < 40000000000ULL)
		asm volatile("pause");
	asm volatile("cli");
	GUEST_SYNC(3, timer_count);
	GUEST_DONE();
}

/* the VAPIC word (lapic_vapic.c): byte 0 TPR, byte 1 ISR class, byte 3 highest IRR */
static volatile uint32_t vapic_word __attribute__((aligned(4)));

static void vapic_guest(void)
{
	apic_wr(0xf0, 0x1ff);
	*(volatile uint8_t *)&vapic_word = 0x30;	/* TPR through the word */
	GUEST_SYNC(1);
	GUEST_SYNC(2);				/* interrupts off: an MSI waits in IRR */
	GUEST_DONE();
}

static struct kvm_vm *split_vm(struct kvm_vcpu **vcpu, void (*guest)(void))
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	guest_map_page(vm, APIC_GPA, APIC_GPA);
	*vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest);
	vm_install_exception_handler(vm, MSI_VECTOR, msi_handler);
	vm_install_exception_handler(vm, TIMER_VECTOR, timer_handler);
	return vm;
}

static bool irr_has(const struct kvm_lapic_state *s, unsigned int vec)
{
	return *(const uint32_t *)(s->regs + 0x200 + (vec / 32) * 0x10) & (1u << (vec % 32));
}

static void test_migrate(void)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = MSI_VECTOR };
	struct kvm_vcpu *vcpu, *vcpu2;
	struct kvm_vm *vm = split_vm(&vcpu, guest_code), *vm2;
	struct kvm_lapic_state *lapic = calloc(1, sizeof(*lapic));
	struct kvm_vcpu_events events;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct ucall uc;
	int r;

	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	r = ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);
	TEST_ASSERT_EQ(1, r);		/* one LAPIC accepted it */
	msi.flags = 0x80;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));

	/* api.rst "KVM_RUN": complete the ucall's OUT before saving the state */
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	vcpu->run->immediate_exit = 0;
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, lapic);
	TEST_ASSERT(irr_has(lapic, MSI_VECTOR), "IRR bit %#x not set after KVM_SIGNAL_MSI",
		    MSI_VECTOR);
	TEST_ASSERT_EQ(0x1ff, *(uint32_t *)(lapic->regs + 0xf0));
	TEST_ASSERT_EQ(TIMER_VECTOR | (1u << 17), *(uint32_t *)(lapic->regs + 0x320) & 0x700ff);
	TEST_ASSERT_EQ(2000000, *(uint32_t *)(lapic->regs + 0x380));
	vcpu_get_regs(vcpu, &regs);
	vcpu_get_sregs(vcpu, &sregs);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &events);

	/* a fresh VM with the same memory and the vCPU's state */
	vm2 = split_vm(&vcpu2, guest_code);
	memcpy(vm2->mem, vm->mem, vm->mem_size);
	vcpu_set_sregs(vcpu2, &sregs);
	vcpu_set_regs(vcpu2, &regs);
	vcpu_ioctl(vcpu2, KVM_SET_VCPU_EVENTS, &events);
	vcpu_ioctl(vcpu2, KVM_SET_LAPIC, lapic);
	kvm_vm_free(vm);

	memset(lapic, 0, sizeof(*lapic));
	vcpu_ioctl(vcpu2, KVM_GET_LAPIC, lapic);
	TEST_ASSERT(irr_has(lapic, MSI_VECTOR), "IRR bit %#x lost by KVM_SET_LAPIC", MSI_VECTOR);

	vcpu_run_expect_ucall(vcpu2, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	TEST_ASSERT_EQ(1, uc.args[1]);		/* the pending MSI, delivered once */
	vcpu_run_expect_ucall(vcpu2, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(3, uc.args[0]);
	TEST_ASSERT(uc.args[1] >= 3, "periodic timer after KVM_SET_LAPIC: %llu ticks, want >= 3",
		    (unsigned long long)uc.args[1]);
	vcpu_run_expect_ucall(vcpu2, UCALL_DONE, NULL);
	free(lapic);
	kvm_vm_free(vm2);
}

static void test_errnos_and_mp_state(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = MSI_VECTOR };
	struct kvm_lapic_state *lapic = calloc(1, sizeof(*lapic));
	struct kvm_interrupt irq = { .irq = 0x30 };
	struct kvm_vcpu_events events;
	struct kvm_vcpu *bsp, *ap;
	struct kvm_mp_state mp;
	struct kvm_vm *vm;

	/* no in-kernel irqchip: no LAPIC, no MSI */
	vm = kvm_vm_new(GUEST_DEFAULT_MEM);
	bsp = kvm_vcpu_new(vm, 0);
	TEST_ASSERT_ERRNO(EINVAL, ioctl(bsp->fd, KVM_GET_LAPIC, lapic));
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
	/* too late once a vCPU exists */
	TEST_ASSERT_ERRNO(EEXIST, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	kvm_vm_free(vm);

	vm = kvm_vm_new(GUEST_DEFAULT_MEM);
	cap.args[0] = 100000;		/* more routes than KVM has */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	cap.args[0] = 24;
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	TEST_ASSERT_ERRNO(EEXIST, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	TEST_ASSERT_EQ(1, kvm_check_cap(vm->fd, KVM_CAP_SPLIT_IRQCHIP));
	bsp = kvm_vcpu_new(vm, 0);
	ap = kvm_vcpu_new(vm, 1);
	vcpu_ioctl(bsp, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	vcpu_ioctl(ap, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_UNINITIALIZED, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_INIT_RECEIVED;
	vcpu_ioctl(ap, KVM_SET_MP_STATE, &mp);
	mp.mp_state = 0xdead;
	vcpu_ioctl(ap, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_INIT_RECEIVED, mp.mp_state);
	mp.mp_state = KVM_MP_STATE_HALTED;
	vcpu_ioctl(ap, KVM_SET_MP_STATE, &mp);
	vcpu_ioctl(ap, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_HALTED, mp.mp_state);

	/* the SIPI vector: set, never reported back (api.rst 4.31, as Linux KVM) */
	vcpu_ioctl(ap, KVM_GET_VCPU_EVENTS, &events);
	events.flags = KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	events.sipi_vector = 0x9a;
	vcpu_ioctl(ap, KVM_SET_VCPU_EVENTS, &events);
	memset(&events, 0, sizeof(events));
	vcpu_ioctl(ap, KVM_GET_VCPU_EVENTS, &events);
	TEST_ASSERT_EQ(0, events.sipi_vector);

	/* the LAPIC after RESET: ID = vCPU ID in bits 31:24, software disabled, LVTs masked */
	vcpu_ioctl(ap, KVM_GET_LAPIC, lapic);
	TEST_ASSERT_EQ(1u << 24, *(uint32_t *)(lapic->regs + 0x20));
	TEST_ASSERT_EQ(0xff, *(uint32_t *)(lapic->regs + 0xf0));
	TEST_ASSERT_EQ(0x10000, *(uint32_t *)(lapic->regs + 0x350));
	TEST_ASSERT_EQ(0x14, *(uint32_t *)(lapic->regs + 0x30) & 0xff);
	TEST_ASSERT_EQ(5, (*(uint32_t *)(lapic->regs + 0x30) >> 16) & 0xff);

	/* split irqchip: the PIC is userspace's, KVM_INTERRUPT still takes its vector */
	TEST_ASSERT_EQ(0, ioctl(bsp->fd, KVM_INTERRUPT, &irq));
	free(lapic);
	kvm_vm_free(vm);
}

static void set_vapic_addr(struct kvm_vcpu *vcpu, uint64_t gpa, int want_errno)
{
	struct kvm_vapic_addr va = { .vapic_addr = gpa };
	int r = ioctl(vcpu->fd, KVM_SET_VAPIC_ADDR, &va);

	TEST_ASSERT(want_errno ? r == -1 && errno == want_errno : r == 0,
		    "KVM_SET_VAPIC_ADDR %#llx: expected %s, got %d (%s)", (unsigned long long)gpa,
		    want_errno ? errno_name(want_errno) : "0", r, r ? errno_name(errno) : "");
}

/*
 * KVM_SET_VAPIC_ADDR (QEMU calls it at every vCPU reset with the in-kernel irqchip): EINVAL
 * without an in-kernel APIC or outside guest RAM; the word mirrors TPR after the guest
 * wrote it to the APIC, and a TPR the guest wrote into the word is the APIC's after an exit.
 */
static void test_vapic(void)
{
	struct kvm_lapic_state *lapic = calloc(1, sizeof(*lapic));
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = MSI_VECTOR };
	struct ucall uc;
	uint32_t word;

	vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)vapic_guest);
	set_vapic_addr(vcpu, 0, EINVAL);
	kvm_vm_free(vm);

	vm = split_vm(&vcpu, vapic_guest);
	set_vapic_addr(vcpu, 0xc0000000ULL, EINVAL);	/* no slot there */
	set_vapic_addr(vcpu, 0, 0);
	set_vapic_addr(vcpu, (uint64_t)&vapic_word, 0);

	/* the guest's TPR write into the word is the APIC's after the exit */
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, lapic);
	TEST_ASSERT_EQ(0x30, *(uint32_t *)(lapic->regs + 0x80));

	/* before the next entry the word says TPR and the highest request */
	TEST_ASSERT_EQ(1, vm_ioctl(vm, KVM_SIGNAL_MSI, &msi));
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
	memcpy(&word, addr_gva2hva(vm, (uint64_t)&vapic_word), sizeof(word));
	TEST_ASSERT(word == (0x30 | MSI_VECTOR << 24),
		    "VAPIC word with TPR 0x30 and vector %#x requested: expected %#x, got %#x",
		    MSI_VECTOR, 0x30 | MSI_VECTOR << 24, word);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, &uc);
	free(lapic);
	kvm_vm_free(vm);
}

/*
 * api.rst 7.7 KVM_CAP_X2APIC_API: the flags it reports and takes; in x2APIC mode
 * KVM_GET_LAPIC gives the ID register in xAPIC format (ID in bits 31:24) without
 * KVM_X2APIC_API_USE_32BIT_IDS and as the 32-bit x2APIC ID with it; xAPIC mode is
 * unchanged by it.
 */
static void test_x2apic_api(void)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X2APIC_API };
	struct kvm_lapic_state *lapic = calloc(1, sizeof(*lapic));
	const uint64_t base = 0xfee00000 | (1u << 11) | (1u << 8);	/* enabled, BSP */
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = kvm_vm_new(GUEST_DEFAULT_MEM);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	TEST_ASSERT_EQ(KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK,
		       kvm_check_cap(vm->fd, KVM_CAP_X2APIC_API));
	cap.args[0] = 1u << 2;		/* no such flag */
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	vcpu = kvm_vcpu_new(vm, 0);
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, base | (1u << 10));	/* x2APIC */
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, lapic);
	TEST_ASSERT_EQ(0u << 24, *(uint32_t *)(lapic->regs + 0x20));
	kvm_vm_free(vm);

	/* vCPU 5: the two formats differ */
	vm = kvm_vm_new(GUEST_DEFAULT_MEM);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	vcpu = kvm_vcpu_new(vm, 5);
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, 0xfee00000 | (1u << 11) | (1u << 10));
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, lapic);
	TEST_ASSERT_EQ(5u << 24, *(uint32_t *)(lapic->regs + 0x20));
	cap.args[0] = KVM_X2APIC_API_USE_32BIT_IDS;
	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, lapic);
	TEST_ASSERT_EQ(5u, *(uint32_t *)(lapic->regs + 0x20));
	/* back to xAPIC (through disabled, SDM 10.12.5): the ID in bits 31:24 again */
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, 0xfee00000);
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, 0xfee00000 | (1u << 11));
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, lapic);
	TEST_ASSERT_EQ(5u << 24, *(uint32_t *)(lapic->regs + 0x20));
	free(lapic);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(4);
	run_subtest(test_migrate, "KVM_GET/SET_LAPIC into a fresh VM: pending IRR and periodic "
		    "timer survive; KVM_SIGNAL_MSI delivers, bad flags EINVAL");
	run_subtest(test_errnos_and_mp_state, "errnos without irqchip, SPLIT_IRQCHIP EEXIST/EINVAL, "
		    "MP_STATE of BSP and AP, SIPI vector, RESET registers, KVM_INTERRUPT");
	run_subtest(test_vapic, "KVM_SET_VAPIC_ADDR: EINVAL without APIC or RAM; the word "
		    "carries TPR in, TPR and the highest request out");
	run_subtest(test_x2apic_api, "KVM_CAP_X2APIC_API: flags reported and checked; the x2APIC "
		    "ID in KVM_GET_LAPIC in xAPIC format, or 32-bit with USE_32BIT_IDS");
	ksft_finished();
}
