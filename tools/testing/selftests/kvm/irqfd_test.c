// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_IRQFD (api.rst 4.75, KVM_CAP_IRQFD, KVM_CAP_IRQFD_RESAMPLE):
 * - errnos: unknown flags and no irqchip EINVAL, a bad fd EBADF, a file that is not an
 *   eventfd EINVAL, one eventfd twice EBUSY; deassigning what is not there succeeds;
 * - an eventfd written by another host thread interrupts the guest once per write (an MSI
 *   route and an IOAPIC edge route), a write pending at assign time fires at once, and
 *   nothing arrives after KVM_IRQFD_FLAG_DEASSIGN;
 * - RESAMPLE on a level-triggered IOAPIC pin: the GSI stays asserted (Remote IRR, no
 *   resamplefd signal) until the guest's EOI, which de-asserts it and signals resamplefd
 *   once;
 * - stress: irqfds whose eventfds are closed (POLLHUP) and VMs closed while a thread keeps
 *   writing to the eventfds (the harness fails the run on any host splat).
 * Parts that need KVM_CREATE_IRQCHIP skip where it is missing.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "apic.h"

#define VEC_MSI		0x50
#define VEC_EDGE	0x51
#define VEC_LEVEL	0x52
#define GSI_MSI		40
#define GSI_EDGE	5
#define GSI_LEVEL	7

static volatile uint64_t level_count;

static int irqfd(int vm, int fd, uint32_t gsi, uint32_t flags, int resamplefd)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd };

	return ioctl(vm, KVM_IRQFD, &a);
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);

	TEST_ASSERT(fd >= 0, "eventfd: %s", strerror(errno));
	return fd;
}

static void set_routes(int vm)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[3];
	} r = {
		.hdr.nr = 3,
		.e = {
			{ .gsi = GSI_MSI, .type = KVM_IRQ_ROUTING_MSI,
			  .u.msi = { .address_lo = MSI_ADDR(0), .data = MSI_DATA(VEC_MSI) } },
			{ .gsi = GSI_EDGE, .type = KVM_IRQ_ROUTING_IRQCHIP,
			  .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = GSI_EDGE } },
			{ .gsi = GSI_LEVEL, .type = KVM_IRQ_ROUTING_IRQCHIP,
			  .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = GSI_LEVEL } },
		},
	};

	TEST_ASSERT_EQ(0, ioctl(vm, KVM_SET_GSI_ROUTING, &r));
}

static void test_errnos(void)
{
	struct kvm_vm *vm = kvm_vm_new(MiB);
	int efd = new_eventfd(), efd2 = new_eventfd();
	int nullfd = open("/dev/null", O_RDWR);

	TEST_ASSERT_ERRNO(EINVAL, irqfd(vm->fd, efd, 0, 1U << 2, 0));
	TEST_ASSERT_ERRNO(EINVAL, irqfd(vm->fd, efd, 0, 0, 0));
	TEST_ASSERT_ERRNO(EINVAL, irqfd(vm->fd, efd, 0, KVM_IRQFD_FLAG_RESAMPLE, efd2));
	TEST_ASSERT_EQ(0, irqfd(vm->fd, efd, 0, KVM_IRQFD_FLAG_DEASSIGN, 0));
	TEST_ASSERT_ERRNO(EBADF, irqfd(vm->fd, -1, 0, KVM_IRQFD_FLAG_DEASSIGN, 0));

	irqchip_create(vm->fd);
	TEST_ASSERT_ERRNO(EBADF, irqfd(vm->fd, -1, 0, 0, 0));
	TEST_ASSERT_ERRNO(EINVAL, irqfd(vm->fd, nullfd, 0, 0, 0));
	TEST_ASSERT_ERRNO(EBADF, irqfd(vm->fd, efd, 1, KVM_IRQFD_FLAG_RESAMPLE, -1));
	TEST_ASSERT_EQ(0, irqfd(vm->fd, efd, 1, 0, 0));
	TEST_ASSERT_ERRNO(EBUSY, irqfd(vm->fd, efd, 1, 0, 0));
	TEST_ASSERT_ERRNO(EBUSY, irqfd(vm->fd, efd, 2, 0, 0));
	/* wrong GSI: nothing deassigned, no error; the right one frees the eventfd */
	TEST_ASSERT_EQ(0, irqfd(vm->fd, efd, 2, KVM_IRQFD_FLAG_DEASSIGN, 0));
	TEST_ASSERT_ERRNO(EBUSY, irqfd(vm->fd, efd, 2, 0, 0));
	TEST_ASSERT_EQ(0, irqfd(vm->fd, efd, 1, KVM_IRQFD_FLAG_DEASSIGN, 0));
	TEST_ASSERT_EQ(0, irqfd(vm->fd, efd, 2, 0, 0));
	TEST_ASSERT_ERRNO(EINVAL, irqfd(vm->fd, efd2, 1, KVM_IRQFD_FLAG_RESAMPLE, nullfd));
	/* a GSI without a route is fine at assign time (routes may come later) */
	TEST_ASSERT_EQ(0, irqfd(vm->fd, efd2, 4000, 0, 0));
	kvm_vm_free(vm);
	close(efd);
	close(efd2);
	close(nullfd);
}

static void level_handler(struct ex_regs *regs)
{
	level_count++;	/* no EOI: the guest does it when the host says so */
}

static void guest_main(void)
{
	apic_guest_init();
	ioapic_set_redir(GSI_EDGE, VEC_EDGE, 0, 0);
	ioapic_set_redir(GSI_LEVEL, VEC_LEVEL, IOAPIC_REDIR_LEVEL, 0);
	asm volatile("sti");
	for (;;) {
		if (GUEST_SYNC(level_count) == 1)
			xapic_eoi();
	}
}

/* Run the guest to its next GUEST_SYNC, replying reply to the one it is in. */
static void sync_guest(struct kvm_vcpu *vcpu, uint64_t reply)
{
	static struct ucall uc;

	if (uc.cmd == UCALL_SYNC)
		ucall_reply(vcpu, &uc, reply);
	vcpu_run_expect_ucall(vcpu, UCALL_SYNC, &uc);
}

static void *write_once(void *arg)
{
	uint64_t one = 1;

	TEST_ASSERT_EQ(8, write(*(int *)arg, &one, 8));
	return NULL;
}

static void write_from_thread(int fd)
{
	pthread_t t;

	TEST_ASSERT_EQ(0, pthread_create(&t, NULL, write_once, &fd));
	TEST_ASSERT_EQ(0, pthread_join(t, NULL));
}

static uint64_t eventfd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, 8) != 8) {
		TEST_ASSERT(errno == EAGAIN, "read(resamplefd): %s", strerror(errno));
		return 0;
	}
	return v;
}

static struct kvm_vm *guest_with_irqchip(struct kvm_vcpu **vcpu)
{
	static const uint8_t vectors[] = { VEC_MSI, VEC_EDGE };
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);

	irqchip_create(vm->fd);
	set_routes(vm->fd);
	apic_vm_setup(vm, vectors, sizeof(vectors));
	vm_install_exception_handler(vm, VEC_LEVEL, level_handler);
	*vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_main);
	sync_guest(*vcpu, 0);	/* the guest programmed its APIC and IOAPIC */
	return vm;
}

static void test_delivery(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = guest_with_irqchip(&vcpu);
	int msi_fd = new_eventfd(), edge_fd = new_eventfd(), i;
	uint64_t one = 1;

	/* a write before the irqfd exists is delivered when it is assigned */
	TEST_ASSERT_EQ(8, write(msi_fd, &one, 8));
	TEST_ASSERT_EQ(0, irqfd(vm->fd, msi_fd, GSI_MSI, 0, 0));
	TEST_ASSERT_EQ(0, irqfd(vm->fd, edge_fd, GSI_EDGE, 0, 0));
	sync_guest(vcpu, 0);
	TEST_ASSERT_EQ(1, apic_count(vm, VEC_MSI));
	for (i = 1; i <= 3; i++) {
		write_from_thread(msi_fd);
		write_from_thread(edge_fd);
		sync_guest(vcpu, 0);
		TEST_ASSERT_EQ(1 + i, apic_count(vm, VEC_MSI));
		TEST_ASSERT_EQ(i, apic_count(vm, VEC_EDGE));
	}
	TEST_ASSERT_EQ(0, irqfd(vm->fd, msi_fd, GSI_MSI, KVM_IRQFD_FLAG_DEASSIGN, 0));
	TEST_ASSERT_EQ(0, irqfd(vm->fd, edge_fd, GSI_EDGE, KVM_IRQFD_FLAG_DEASSIGN, 0));
	write_from_thread(msi_fd);
	write_from_thread(edge_fd);
	sync_guest(vcpu, 0);
	TEST_ASSERT_EQ(4, apic_count(vm, VEC_MSI));
	TEST_ASSERT_EQ(3, apic_count(vm, VEC_EDGE));
	kvm_vm_free(vm);
	close(msi_fd);
	close(edge_fd);
}

static uint64_t guest_level_count(struct kvm_vm *vm)
{
	return *(volatile uint64_t *)addr_gva2hva(vm, (uint64_t)&level_count);
}

static void test_resample(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = guest_with_irqchip(&vcpu);
	int fd = new_eventfd(), rfd = new_eventfd(), round;

	TEST_ASSERT_EQ(0, irqfd(vm->fd, fd, GSI_LEVEL, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	for (round = 1; round <= 3; round++) {
		write_from_thread(fd);
		sync_guest(vcpu, 0);
		TEST_ASSERT_EQ(round, guest_level_count(vm));
		/* not acknowledged: still asserted, Remote IRR holds it back, no resample */
		sync_guest(vcpu, 0);
		TEST_ASSERT_EQ(round, guest_level_count(vm));
		TEST_ASSERT_EQ(0, eventfd_take(rfd));
		/* the EOI de-asserts the line (no new interrupt) and signals resamplefd once */
		sync_guest(vcpu, 1);
		sync_guest(vcpu, 0);
		TEST_ASSERT_EQ(round, guest_level_count(vm));
		TEST_ASSERT_EQ(1, eventfd_take(rfd));
	}
	/* deassigned: the line is low and stays so */
	TEST_ASSERT_EQ(0, irqfd(vm->fd, fd, GSI_LEVEL, KVM_IRQFD_FLAG_DEASSIGN, 0));
	write_from_thread(fd);
	sync_guest(vcpu, 0);
	TEST_ASSERT_EQ(3, guest_level_count(vm));
	TEST_ASSERT_EQ(0, eventfd_take(rfd));
	kvm_vm_free(vm);
	close(fd);
	close(rfd);
}

#define STRESS_FDS	8
static volatile int stress_stop, stress_close_even;
static int stress_fds[STRESS_FDS];

/* Writes every eventfd it holds; closes the even ones (their last reference) on request. */
static void *stress_writer(void *arg)
{
	uint64_t one = 1;
	int i;

	while (!stress_stop) {
		for (i = 0; i < STRESS_FDS; i++) {
			if (stress_fds[i] < 0)
				continue;
			if (write(stress_fds[i], &one, 8) < 0)
				TEST_ASSERT(errno == EAGAIN, "write: %s", strerror(errno));
			if (stress_close_even && i % 2 == 0) {
				close(stress_fds[i]);	/* POLLHUP while the VM lives */
				stress_fds[i] = -1;
			}
		}
	}
	for (i = 0; i < STRESS_FDS; i++)
		if (stress_fds[i] >= 0)
			close(stress_fds[i]);
	return NULL;
}

static void test_stress(void)
{
	int round, i;

	for (round = 0; round < 40; round++) {
		struct kvm_vm *vm = kvm_vm_new(MiB);
		int fd[STRESS_FDS];
		pthread_t t;

		irqchip_create(vm->fd);
		set_routes(vm->fd);
		for (i = 0; i < STRESS_FDS; i++) {
			int rfd = new_eventfd();

			fd[i] = new_eventfd();
			TEST_ASSERT_EQ(0, irqfd(vm->fd, fd[i], i % 3 == 0 ? GSI_MSI : 10 + i,
						i % 3 == 2 ? KVM_IRQFD_FLAG_RESAMPLE : 0, rfd));
			close(rfd);	/* the irqfd keeps its own reference */
			/* the writer owns the even ones; the odd ones it gets a copy of */
			stress_fds[i] = i % 2 ? dup(fd[i]) : fd[i];
			if (i % 2)
				close(fd[i]);
		}
		stress_stop = 0;
		stress_close_even = 0;
		TEST_ASSERT_EQ(0, pthread_create(&t, NULL, stress_writer, NULL));
		usleep(2000);
		stress_close_even = 1;
		usleep(2000);
		/* the VM goes while the odd eventfds are still being written */
		kvm_vm_free(vm);
		usleep(2000);
		stress_stop = 1;
		TEST_ASSERT_EQ(0, pthread_join(t, NULL));
	}
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(4);
	run_subtest(test_errnos, "KVM_IRQFD errnos");
	run_subtest(test_delivery, "irqfd delivery (MSI, IOAPIC edge), deassign");
	run_subtest(test_resample, "irqfd RESAMPLE on a level-triggered pin");
	run_subtest(test_stress, "irqfd teardown while written: close, POLLHUP, VM close");
	ksft_finished();
}
