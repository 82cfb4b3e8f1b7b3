// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events with the interrupt controller in userspace (api.rst 4.16 KVM_INTERRUPT, 4.55
 * KVM_NMI, 4.31/4.32 KVM_GET/SET_VCPU_EVENTS, "kvm_run": request_interrupt_window,
 * ready_for_interrupt_injection, if_flag). A guest with an IDT counts what it receives:
 * - the interrupt window opens only after the instruction that follows STI (SDM 6.8.3),
 *   and an interrupt injected there arrives at that address, exactly once;
 * - a second NMI raised while the guest is in its NMI handler waits for the IRET (6.7.1);
 * - an interrupt and an NMI saved with GET_VCPU_EVENTS before delivery and restored into
 *   a fresh vCPU (with the registers) are delivered there exactly once;
 * - KVM_EXIT_HLT, and an interrupt after it resumes the guest after the HLT;
 * - an exception with an error code injected through SET_VCPU_EVENTS; a #GP whose IDT
 *   gate is not present escalating to #DF, and to a triple fault (KVM_EXIT_SHUTDOWN) when
 *   #DF's is not present either (6.15, table 6-5);
 * - SET/GET_VCPU_EVENTS round trips and their EINVAL cases;
 * - an STI shadow over an OUT or IN that exits to userspace ends with it: an NMI queued at
 *   the exit arrives right after the instruction, not one later (kvm_guest_fuzz found
 *   ours one instruction late).
 */
#include <sys/ioctl.h>

#include "x86_guest.h"

#define IRQ_VECTOR	0x40
#define NMI_VECTOR	2
#define NP_VECTOR	11
#define IDT_GATE_PRESENT	(1ULL << 47)

static volatile uint64_t irq_count, irq_rip, irq_vector;
static volatile uint64_t nmi_count;
static volatile uint64_t gp_count, gp_error, df_count, np_count;

extern char sti_nop_end[], after_hlt[], sti_out_end[], sti_in_end[];
static volatile uint64_t nmi_rip;

static void irq_handler(struct ex_regs *regs)
{
	irq_count++;
	irq_rip = regs->rip;
	irq_vector = regs->vector;
}

static void nmi_handler(struct ex_regs *regs)
{
	nmi_count++;
	if (nmi_count == 1) {
		GUEST_SYNC(3, nmi_count);
		/* the host raised a second NMI and ran us: it waits for our IRET */
		GUEST_SYNC(4, nmi_count);
	}
}

static void nmi_count_handler(struct ex_regs *regs)
{
	nmi_count++;
}

static void nmi_rip_handler(struct ex_regs *regs)
{
	nmi_count++;
	nmi_rip = regs->rip;
}

static void gp_handler(struct ex_regs *regs)
{
	gp_count++;
	gp_error = regs->error_code;
}

static void np_handler(struct ex_regs *regs)
{
	np_count++;
}

/* a #GP of the guest's own: a load from a non-canonical address */
static void guest_gp(void)
{
	asm volatile("movq (%0), %%rax" : : "r"(0x8000000000000000ull) : "rax", "memory");
}

static void df_handler(struct ex_regs *regs)
{
	df_count++;
	GUEST_SYNC(8, df_count, regs->error_code);
	/* the host removed the #DF gate too */
	guest_gp();
	GUEST_FAIL("no shutdown");
}

static void __attribute__((noinline)) guest_code(void)
{
	/* 1: the interrupt window and the STI shadow */
	asm volatile("cli");
	GUEST_SYNC(1);
	asm volatile("sti\n\t"
		     "nop\n\t"
		     ".global sti_nop_end\n"
		     "sti_nop_end:\n\t"
		     "nop\n\t" ::: "memory");
	GUEST_SYNC(2, irq_count, irq_rip, irq_vector);

	/* 2: NMIs (nmi_handler syncs 3 and 4) */
	while (nmi_count < 2)
		asm volatile("pause");
	GUEST_SYNC(5, nmi_count);

	/* 3: KVM_EXIT_HLT; the interrupt after it */
	asm volatile("sti\n\t"
		     "hlt\n\t"
		     ".global after_hlt\n"
		     "after_hlt:\n\t" ::: "memory");
	GUEST_SYNC(6, irq_count, irq_rip);

	/* 4: an injected #GP, then #DF (the host clears the #GP gate), then shutdown */
	GUEST_SYNC(7, gp_count, gp_error);
	GUEST_SYNC(7, gp_count, gp_error);
	guest_gp();
	GUEST_FAIL("no #DF");
}

/* a guest that waits with interrupts on for one interrupt and one NMI */
static void guest_wait(void)
{
	asm volatile("sti");
	GUEST_SYNC(1);
	while (!irq_count || !nmi_count)
		asm volatile("pause");
	GUEST_SYNC(2, irq_count, nmi_count, irq_vector);
	GUEST_SYNC(3, irq_count, nmi_count);
	GUEST_DONE();
}

/* STI, then port I/O that exits while the STI shadow covers it */
static void guest_pio_shadow(void)
{
	asm volatile("cli\n\t"
		     "sti\n\t"
		     "outb %%al, $0x80\n\t"
		     ".global sti_out_end\n"
		     "sti_out_end:\n\t"
		     "nop\n\t" : : "a"(0) : "memory");
	GUEST_SYNC(1, nmi_count, nmi_rip);
	asm volatile("cli\n\t"
		     "sti\n\t"
		     "inb $0x80, %%al\n\t"
		     ".global sti_in_end\n"
		     "sti_in_end:\n\t"
		     "nop\n\t" : : : "rax", "memory");
	GUEST_SYNC(2, nmi_count, nmi_rip);
	GUEST_DONE();
}

static struct kvm_vm *events_vm(void (*code)(void), struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);

	*vcpu = guest_vcpu_add(vm, 0, (uint64_t)code);
	vm_install_exception_handler(vm, IRQ_VECTOR, irq_handler);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
	vm_install_exception_handler(vm, GP_VECTOR, gp_handler);
	vm_install_exception_handler(vm, NP_VECTOR, np_handler);
	vm_install_exception_handler(vm, DF_VECTOR, df_handler);
	return vm;
}

static void inject(struct kvm_vcpu *vcpu, unsigned int vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
}

static void get_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	memset(ev, 0xaa, sizeof(*ev));
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, ev);
}

static void expect_sync(struct kvm_vcpu *vcpu, uint64_t n, struct ucall *uc)
{
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, uc);
	TEST_ASSERT_EQ(n, uc->args[0]);
}

static void test_window_nmi_hlt_exceptions(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = events_vm(guest_code, &vcpu);
	struct kvm_run *run = vcpu->run;
	struct kvm_vcpu_events ev;
	struct ucall uc;
	uint64_t *idt;

	/* IF=0: not ready, if_flag clear */
	expect_sync(vcpu, 1, &uc);
	TEST_ASSERT_EQ(0, run->if_flag);
	TEST_ASSERT_EQ(0, run->ready_for_interrupt_injection);

	run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IRQ_WINDOW_OPEN);
	TEST_ASSERT_EQ((uint64_t)sti_nop_end, vcpu_get_rip(vcpu));
	TEST_ASSERT_EQ(1, run->if_flag);
	TEST_ASSERT_EQ(1, run->ready_for_interrupt_injection);
	run->request_interrupt_window = 0;
	inject(vcpu, IRQ_VECTOR);
	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(1, ev.interrupt.injected);
	TEST_ASSERT_EQ(IRQ_VECTOR, ev.interrupt.nr);
	expect_sync(vcpu, 2, &uc);
	TEST_ASSERT_EQ(1, uc.args[1]);
	TEST_ASSERT_EQ((uint64_t)sti_nop_end, uc.args[2]);
	TEST_ASSERT_EQ(IRQ_VECTOR, uc.args[3]);
	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(0, ev.interrupt.injected);
	ksft_test_result_pass("window opens after the instruction after STI; injected there once\n");

	/* NMI in the handler: the second one waits for IRET */
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(1, ev.nmi.pending);
	TEST_ASSERT_EQ(0, ev.nmi.masked);
	expect_sync(vcpu, 3, &uc);
	TEST_ASSERT_EQ(1, uc.args[1]);
	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(1, ev.nmi.masked);
	TEST_ASSERT_EQ(0, ev.nmi.pending);
	TEST_ASSERT_EQ(0, ev.nmi.injected);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(1, ev.nmi.pending);
	expect_sync(vcpu, 4, &uc);
	TEST_ASSERT_EQ(1, uc.args[1]);
	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(1, ev.nmi.masked);
	TEST_ASSERT_EQ(1, ev.nmi.pending);
	expect_sync(vcpu, 5, &uc);
	TEST_ASSERT_EQ(2, uc.args[1]);
	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(0, ev.nmi.masked);
	TEST_ASSERT_EQ(0, ev.nmi.pending);
	ksft_test_result_pass("NMI raised inside the NMI handler delivered after its IRET\n");

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	TEST_ASSERT_EQ((uint64_t)after_hlt, vcpu_get_rip(vcpu));
	TEST_ASSERT_EQ(1, run->ready_for_interrupt_injection);
	inject(vcpu, IRQ_VECTOR);
	expect_sync(vcpu, 6, &uc);
	TEST_ASSERT_EQ(2, uc.args[1]);
	TEST_ASSERT_EQ((uint64_t)after_hlt, uc.args[2]);
	ksft_test_result_pass("KVM_EXIT_HLT at the HLT; an interrupt resumes after it\n");

	/* #GP with an error code, injected as userspace would restore it */
	expect_sync(vcpu, 7, &uc);
	TEST_ASSERT_EQ(0, uc.args[1]);
	get_events(vcpu, &ev);
	ev.exception.injected = 1;
	ev.exception.nr = GP_VECTOR;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x1238;
	ev.flags = 0;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(1, ev.exception.injected);
	TEST_ASSERT_EQ(GP_VECTOR, ev.exception.nr);
	TEST_ASSERT_EQ(1, ev.exception.has_error_code);
	TEST_ASSERT_EQ(0x1238, ev.exception.error_code);
	expect_sync(vcpu, 7, &uc);
	TEST_ASSERT_EQ(1, uc.args[1]);
	TEST_ASSERT_EQ(0x1238, uc.args[2]);

	/*
	 * The guest's own #GP with its gate not present: #NP while delivering #GP, two
	 * contributory exceptions, so #DF. (An injected #GP would do the same on hardware;
	 * QEMU TCG does not escalate faults in the delivery of an injected event.)
	 */
	idt = addr_gpa2hva(vm, vm->idt);
	idt[2 * GP_VECTOR] &= ~IDT_GATE_PRESENT;
	expect_sync(vcpu, 8, &uc);
	TEST_ASSERT_EQ(1, uc.args[1]);
	TEST_ASSERT_EQ(0, uc.args[2]);
	sync_global_from_guest(vm, gp_count);
	sync_global_from_guest(vm, np_count);
	TEST_ASSERT_EQ(1, gp_count);
	TEST_ASSERT_EQ(0, np_count);

	/* and without a #DF gate: shutdown */
	idt[2 * DF_VECTOR] &= ~IDT_GATE_PRESENT;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	ksft_test_result_pass("injected #GP(0x1238) delivered; #GP gate absent: #DF; #DF gate "
			      "absent: KVM_EXIT_SHUTDOWN\n");
	kvm_vm_free(vm);
}

/* Migrate a vCPU between KVM_INTERRUPT/KVM_NMI and the delivery. */
static void test_save_restore(void)
{
	struct kvm_vcpu *a, *b;
	struct kvm_vm *vm = events_vm(guest_wait, &a);
	struct kvm_vcpu_events ev;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct ucall uc;

	vm_install_exception_handler(vm, NMI_VECTOR, nmi_count_handler);
	vm_install_exception_handler(vm, IRQ_VECTOR + 1, irq_handler);

	expect_sync(a, 1, &uc);
	TEST_ASSERT_EQ(1, a->run->ready_for_interrupt_injection);
	/*
	 * api.rst "kvm_run" immediate_exit: complete the ucall's OUT first, as a VMM does
	 * before saving state (stock KVM moves RIP past it only on the next KVM_RUN).
	 */
	a->run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(a));
	a->run->immediate_exit = 0;
	inject(a, IRQ_VECTOR + 1);
	vcpu_ioctl(a, KVM_NMI, NULL);
	get_events(a, &ev);
	TEST_ASSERT_EQ(1, ev.interrupt.injected);
	TEST_ASSERT_EQ(IRQ_VECTOR + 1, ev.interrupt.nr);
	TEST_ASSERT_EQ(1, ev.nmi.pending);
	TEST_ASSERT_EQ(0, ev.nmi.injected);

	b = guest_vcpu_add(vm, 1, (uint64_t)guest_wait);
	vcpu_get_regs(a, &regs);
	vcpu_get_sregs(a, &sregs);
	vcpu_set_regs(b, &regs);
	vcpu_set_sregs(b, &sregs);
	vcpu_ioctl(b, KVM_SET_VCPU_EVENTS, &ev);

	expect_sync(b, 2, &uc);
	TEST_ASSERT_EQ(1, uc.args[1]);
	TEST_ASSERT_EQ(1, uc.args[2]);
	TEST_ASSERT_EQ(IRQ_VECTOR + 1, uc.args[3]);
	expect_sync(b, 3, &uc);
	TEST_ASSERT_EQ(1, uc.args[1]);
	TEST_ASSERT_EQ(1, uc.args[2]);
	vcpu_run_expect_ucall(b, UCALL_DONE, NULL);
	ksft_test_result_pass("interrupt and NMI saved before delivery, restored into a new vCPU: "
			      "delivered there once\n");
	kvm_vm_free(vm);
}

static void test_set_get(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_wait);
	struct kvm_vcpu_events ev, got;

	get_events(vcpu, &ev);
	TEST_ASSERT_EQ(0, ev.exception.injected);
	TEST_ASSERT_EQ(0, ev.exception.pending);
	TEST_ASSERT_EQ(0, ev.interrupt.injected);
	TEST_ASSERT_EQ(0, ev.interrupt.shadow);
	TEST_ASSERT_EQ(0, ev.nmi.injected);
	TEST_ASSERT_EQ(0, ev.nmi.pending);
	TEST_ASSERT_EQ(0, ev.nmi.masked);
	TEST_ASSERT_EQ(0, ev.sipi_vector);
	TEST_ASSERT_EQ(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		       KVM_VCPUEVENT_VALID_SMM, ev.flags);

	memset(&ev, 0, sizeof(ev));
	ev.exception.injected = 1;
	ev.exception.nr = PF_VECTOR;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x6;
	ev.interrupt.injected = 1;
	ev.interrupt.nr = 0x99;
	ev.nmi.injected = 1;
	ev.nmi.pending = 1;
	ev.nmi.masked = 1;
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	ev.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	get_events(vcpu, &got);
	TEST_ASSERT_EQ(1, got.exception.injected);
	TEST_ASSERT_EQ(PF_VECTOR, got.exception.nr);
	TEST_ASSERT_EQ(1, got.exception.has_error_code);
	TEST_ASSERT_EQ(6, got.exception.error_code);
	TEST_ASSERT_EQ(1, got.interrupt.injected);
	TEST_ASSERT_EQ(0x99, got.interrupt.nr);
	TEST_ASSERT_EQ(0, got.interrupt.soft);
	TEST_ASSERT(got.interrupt.shadow & KVM_X86_SHADOW_INT_MOV_SS,
		    "MOV SS shadow set, read back %#x", got.interrupt.shadow);
	TEST_ASSERT_EQ(1, got.nmi.injected);
	TEST_ASSERT_EQ(1, got.nmi.pending);
	TEST_ASSERT_EQ(1, got.nmi.masked);

	/* NMI pending is left alone without its flag; the shadow likewise */
	memset(&ev, 0, sizeof(ev));
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	get_events(vcpu, &got);
	TEST_ASSERT_EQ(0, got.exception.injected);
	TEST_ASSERT_EQ(0, got.interrupt.injected);
	TEST_ASSERT_EQ(0, got.nmi.injected);
	TEST_ASSERT_EQ(1, got.nmi.pending);
	TEST_ASSERT_EQ(0, got.nmi.masked);
	TEST_ASSERT(got.interrupt.shadow, "shadow cleared without VALID_SHADOW");
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev);
	get_events(vcpu, &got);
	TEST_ASSERT_EQ(0, got.nmi.pending);
	TEST_ASSERT_EQ(0, got.interrupt.shadow);

	/* EINVAL: unknown flags, PAYLOAD without KVM_CAP_EXCEPTION_PAYLOAD, vector 2 or > 31 */
	memset(&ev, 0, sizeof(ev));
	ev.flags = 0x80000000u;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	ev.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	ev.flags = 0;
	ev.exception.injected = 1;
	ev.exception.nr = NMI_VECTOR;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	ev.exception.nr = 32;
	TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev));
	{
		struct kvm_interrupt irq = { .irq = 256 };

		TEST_ASSERT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	}
	ksft_test_result_pass("SET/GET_VCPU_EVENTS round trip, flags honoured, EINVAL cases\n");
	kvm_vm_free(vm);
}

static void pio_shadow_step(struct kvm_vcpu *vcpu, bool in, uint64_t n, const char *end)
{
	struct ucall uc;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT(vcpu->run->io.port == 0x80 &&
		    vcpu->run->io.direction == (in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT),
		    "expected %s port 0x80, got port %#x", in ? "IN" : "OUT", vcpu->run->io.port);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	expect_sync(vcpu, n, &uc);
	TEST_ASSERT_EQ(n, uc.args[1]);
	TEST_ASSERT_EQ((uint64_t)end, uc.args[2]);
}

static void test_pio_shadow(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = events_vm(guest_pio_shadow, &vcpu);

	vm_install_exception_handler(vm, NMI_VECTOR, nmi_rip_handler);
	pio_shadow_step(vcpu, false, 1, sti_out_end);
	pio_shadow_step(vcpu, true, 2, sti_in_end);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	ksft_test_result_pass("an STI shadow over an exiting OUT/IN ends with it (NMI right after)\n");
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(7);
	test_window_nmi_hlt_exceptions();
	test_save_restore();
	test_set_get();
	test_pio_shadow();
	ksft_finished();
}
