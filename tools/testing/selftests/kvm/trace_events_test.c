// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "kvm" trace events (Documentation/trace/events.rst) that tools read, checked through
 * tracefs on ours and on the stock modules alike:
 *  - the format files of kvm_entry, kvm_exit, kvm_pio, kvm_mmio, kvm_msr (what Debian's
 *    `perf kvm stat` reads: tools/perf/arch/x86/util/kvm-stat.c) and of kvm_cpuid,
 *    kvm_hypercall, kvm_inj_virq, kvm_userspace_exit, kvm_page_fault, kvm_set_irq and
 *    kvm_msi_set_irq name the fields with the types stock 6.1 shows;
 *  - a guest that makes a known number of each exit (CPUID, RDMSR, OUT, MMIO write and
 *    read, hypercall) and takes one injected interrupt leaves exactly that many records of
 *    each event in the trace buffer, with the values the guest used; kvm_entry and kvm_exit
 *    pair up; KVM_IRQ_LINE and KVM_SIGNAL_MSI leave kvm_set_irq and kvm_msi_set_irq.
 * `trace_events_test --workload` only runs the guest (perf_kvm_stat_test records it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest.h"
#include "x86_guest.h"

#define N		100		/* of each exit */
#define PIO_PORT	0x99
#define MMIO_GPA	0xc0000000ULL	/* no slot: an MMIO exit */
#define MMIO_GVA	0x40000000ULL
#define CPUID_INDEX	0x7a7a
#define HC_NR		1		/* KVM_HC_VAPIC_POLL_IRQ: 0 on both */
#define HC_A0		0x5eed
#define IRQ_VECTOR	0x40
#define MSR_READ	MSR_IA32_MISC_ENABLE	/* emulated, intercepted on both vendors */
#define MMIO_ANSWER	0x1234abcdU

#define TRACEFS		"/sys/kernel/tracing"

static volatile uint64_t irq_count;

static void irq_handler(struct ex_regs *regs)
{
	irq_count++;
}

static void guest_code(uint64_t is_amd)
{
	volatile uint32_t *mmio = (volatile uint32_t *)MMIO_GVA;
	uint32_t a, b, c, d;
	uint64_t rax;
	int i;

	for (i = 0; i < N; i++) {
		x86_cpuid(0, CPUID_INDEX, &a, &b, &c, &d);
		x86_rdmsr(MSR_READ);
		asm volatile("outb %%al, %w1" : : "a"((uint8_t)i), "Nd"(PIO_PORT));
		mmio[0] = 0xa5a50000 + i;
		GUEST_ASSERT_EQ(MMIO_ANSWER, mmio[1]);
		rax = HC_NR;
		if (is_amd)
			asm volatile("vmmcall" : "+a"(rax) : "b"(HC_A0), "c"(i), "d"(0), "S"(0)
				     : "memory");
		else
			asm volatile("vmcall" : "+a"(rax) : "b"(HC_A0), "c"(i), "d"(0), "S"(0)
				     : "memory");
		GUEST_ASSERT_EQ(0, rax);
	}
	/* interrupts on: the host injects one at this ucall */
	asm volatile("sti");
	GUEST_SYNC(1);
	while (!irq_count)
		asm volatile("pause");
	asm volatile("cli");
	GUEST_DONE();
}

/* Run the guest: N of each exit, one interrupt. */
static void run_workload(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu = guest_vcpu_add(vm, 0, (uint64_t)guest_code);
	struct kvm_interrupt irq = { .irq = IRQ_VECTOR };
	struct kvm_run *run = vcpu->run;
	int pio = 0, mmio_w = 0, mmio_r = 0;
	struct ucall uc;

	vm_install_exception_handler(vm, IRQ_VECTOR, irq_handler);
	guest_map_page(vm, MMIO_GVA, MMIO_GPA);
	vcpu_set_args(vcpu, kvm_is_amd());
	for (;;) {
		vcpu_run_exit(vcpu);
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == PIO_PORT) {
			TEST_ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
			TEST_ASSERT_EQ(pio & 0xff, *(uint8_t *)vcpu_io_data(vcpu));
			pio++;
			continue;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			TEST_ASSERT_EQ(4, run->mmio.len);
			if (run->mmio.is_write) {
				TEST_ASSERT_EQ(MMIO_GPA, run->mmio.phys_addr);
				TEST_ASSERT_EQ(0xa5a50000 + mmio_w, *(uint32_t *)run->mmio.data);
				mmio_w++;
			} else {
				uint32_t v = MMIO_ANSWER;

				TEST_ASSERT_EQ(MMIO_GPA + 4, run->mmio.phys_addr);
				memcpy(run->mmio.data, &v, 4);
				mmio_r++;
			}
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT_EQ(1, run->ready_for_interrupt_injection);
			vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
			continue;
		case UCALL_DONE:
			break;
		default:
			/* vcpu_run_exit() handles aborts: anything else is unexpected */
			TEST_ASSERT(0, "unexpected exit %s", exit_reason_str(run->exit_reason));
		}
		break;
	}
	TEST_ASSERT_EQ(N, pio);
	TEST_ASSERT_EQ(N, mmio_w);
	TEST_ASSERT_EQ(N, mmio_r);
	kvm_vm_free(vm);
}

/* KVM_IRQ_LINE and KVM_SIGNAL_MSI on a VM with the in-kernel irqchip (no vCPU needed). */
static void run_irq_workload(void)
{
	struct kvm_vm *vm = kvm_vm_new(GUEST_DEFAULT_MEM);
	struct kvm_irq_level line = { .irq = 5, .level = 1 };
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x41 };

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	vm_ioctl(vm, KVM_IRQ_LINE, &line);
	line.level = 0;
	vm_ioctl(vm, KVM_IRQ_LINE, &line);
	/* no vCPU to take it: 0 delivered, which is no error */
	ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);
	kvm_vm_free(vm);
}

/* --- tracefs --- */

static void tracefs_write(const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	TEST_ASSERT(!write_sysfs(path, val), "writing '%s' to %s: %s", val, path,
		    strerror(errno));
}

static char *read_file(const char *path, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t r;

	TEST_ASSERT(fd >= 0 && buf, "open %s: %s", path, strerror(errno));
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += r;
		if (cap - n < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			TEST_ASSERT(buf, "realloc");
		}
	}
	TEST_ASSERT(r == 0, "read %s: %s", path, strerror(errno));
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static void tracefs_mount(void)
{
	struct stat st;

	if (stat(TRACEFS "/events", &st))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (stat(TRACEFS "/events/kvm", &st))
		ksft_exit_skip("no " TRACEFS "/events/kvm (tracefs or the kvm events missing)\n");
}

/* "field:TYPE NAME;" in the event's format file */
static const struct {
	const char *event, *fields[9];
} formats[] = {
	{ "kvm_entry", { "unsigned int vcpu_id", "unsigned long rip", "bool immediate_exit" } },
	{ "kvm_exit", { "unsigned int exit_reason", "unsigned long guest_rip", "u32 isa",
			"u64 info1", "u64 info2", "u32 intr_info", "u32 error_code",
			"unsigned int vcpu_id" } },
	{ "kvm_pio", { "unsigned int rw", "unsigned int port", "unsigned int size",
		       "unsigned int count", "unsigned int val" } },
	{ "kvm_mmio", { "u32 type", "u32 len", "u64 gpa", "u64 val" } },
	{ "kvm_msr", { "unsigned write", "u32 ecx", "u64 data", "u8 exception" } },
	{ "kvm_cpuid", { "unsigned int function", "unsigned int index", "unsigned long rax",
			 "unsigned long rbx", "unsigned long rcx", "unsigned long rdx",
			 "bool found", "bool used_max_basic" } },
	{ "kvm_hypercall", { "unsigned long nr", "unsigned long a0", "unsigned long a1",
			     "unsigned long a2", "unsigned long a3" } },
	{ "kvm_inj_virq", { "unsigned int vector", "bool soft", "bool reinjected" } },
	{ "kvm_userspace_exit", { "__u32 reason", "int errno" } },
	{ "kvm_page_fault", { "unsigned int vcpu_id", "unsigned long guest_rip",
			      "u64 fault_address", "u64 error_code" } },
	{ "kvm_set_irq", { "unsigned int gsi", "int level", "int irq_source_id" } },
	{ "kvm_msi_set_irq", { "__u64 address", "__u64 data" } },
};

static void test_formats(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		char path[256], want[128], *fmt;

		snprintf(path, sizeof(path), TRACEFS "/events/kvm/%s/format", formats[i].event);
		fmt = read_file(path, NULL);
		for (j = 0; formats[i].fields[j]; j++) {
			snprintf(want, sizeof(want), "field:%s;", formats[i].fields[j]);
			TEST_ASSERT(strstr(fmt, want), "%s: no '%s' in:\n%s", formats[i].event,
				    want, fmt);
		}
		free(fmt);
	}
}

/* Lines of the trace holding "EVENT: " and every one of the other strings given. */
static int count(const char *trace, const char *event, const char *s1, const char *s2)
{
	const char *line = trace, *end;
	char ev[64];
	int n = 0;

	snprintf(ev, sizeof(ev), " %s: ", event);
	for (; *line; line = *end ? end + 1 : end) {
		char buf[512];
		size_t len;

		end = strchrnul(line, '\n');
		len = end - line < (long)sizeof(buf) - 1 ? (size_t)(end - line) : sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = 0;
		if (strstr(buf, ev) && (!s1 || strstr(buf, s1)) && (!s2 || strstr(buf, s2)))
			n++;
	}
	return n;
}

/* For a failure's message: the trace from the first line holding s, n lines. */
static void print_from(const char *trace, const char *s, int n)
{
	const char *p = strstr(trace, s), *end;

	if (!p)
		return;
	while (p > trace && p[-1] != '\n')
		p--;
	for (; *p && n--; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\n');
		ksft_print_msg("%.*s\n", (int)(end - p), p);
	}
}

static void test_records(void)
{
	bool amd = kvm_is_amd();
	char want[128], *trace;
	int entries, exits;

	tracefs_write("tracing_on", "0");
	tracefs_write("events/enable", "0");
	tracefs_write("buffer_size_kb", "8192");
	tracefs_write("trace", "");
	tracefs_write("events/kvm/enable", "1");
	tracefs_write("tracing_on", "1");
	run_workload();
	run_irq_workload();
	tracefs_write("tracing_on", "0");
	tracefs_write("events/kvm/enable", "0");
	trace = read_file(TRACEFS "/trace", NULL);
	TEST_ASSERT(!strstr(trace, "LOST"), "the trace buffer overflowed");

	snprintf(want, sizeof(want), "func 0 idx %x ", CPUID_INDEX);
	TEST_ASSERT_EQ(N, count(trace, "kvm_cpuid", want, "cpuid entry found"));
	TEST_ASSERT_EQ(N, count(trace, "kvm_msr", "msr_read 1a0 = ", NULL));
	snprintf(want, sizeof(want), "pio_write at 0x%x size 1 count 1 ", PIO_PORT);
	TEST_ASSERT_EQ(N, count(trace, "kvm_pio", want, NULL));
	TEST_ASSERT_EQ(1, count(trace, "kvm_pio", want, " val 0x63 "));	/* i = 99 */
	TEST_ASSERT_EQ(N, count(trace, "kvm_mmio", "mmio write len 4 gpa 0xc0000000 val 0xa5a5",
				NULL));
	TEST_ASSERT_EQ(1, count(trace, "kvm_mmio", "mmio write len 4 gpa 0xc0000000 val 0xa5a50063",
				NULL));
	TEST_ASSERT_EQ(N, count(trace, "kvm_mmio", "mmio unsatisfied-read len 4 gpa 0xc0000004 ",
				NULL));
	TEST_ASSERT_EQ(N, count(trace, "kvm_mmio", "mmio read len 4 gpa 0xc0000004 val 0x1234abcd",
				NULL));
	snprintf(want, sizeof(want), "nr 0x%x a0 0x%x ", HC_NR, HC_A0);
	TEST_ASSERT_EQ(N, count(trace, "kvm_hypercall", want, NULL));
	TEST_ASSERT_EQ(1, count(trace, "kvm_hypercall", want, " a1 0x63 "));
	snprintf(want, sizeof(want), "IRQ 0x%x", IRQ_VECTOR);
	/*
	 * given once, and again for each entry that cut its delivery short (page faults on the
	 * IDT and stack); stock marks an interrupt from KVM_INTERRUPT "[reinjected]" too
	 */
	if (count(trace, "kvm_inj_virq", want, NULL) < 1 ||
	    count(trace, "kvm_inj_virq", want, NULL) !=
	    count(trace, "kvm_inj_virq", want, "[reinjected]"))
		print_from(trace, " kvm_inj_virq: ", 40);
	TEST_ASSERT(count(trace, "kvm_inj_virq", want, NULL) >= 1, "no kvm_inj_virq");
	TEST_ASSERT_EQ(count(trace, "kvm_inj_virq", want, NULL),
		       count(trace, "kvm_inj_virq", want, "[reinjected]"));
	TEST_ASSERT(count(trace, "kvm_page_fault", "address 0x00000000c0000000", NULL) >= 1,
		    "no kvm_page_fault at the MMIO address");
	/* the OUTs to PIO_PORT, the ucalls; the MMIO writes and reads */
	TEST_ASSERT(count(trace, "kvm_userspace_exit", "reason KVM_EXIT_IO ", NULL) >= N + 2,
		    "%d KVM_EXIT_IO", count(trace, "kvm_userspace_exit", "reason KVM_EXIT_IO ",
					     NULL));
	TEST_ASSERT_EQ(2 * N, count(trace, "kvm_userspace_exit", "reason KVM_EXIT_MMIO ", NULL));
	TEST_ASSERT_EQ(1, count(trace, "kvm_set_irq", "gsi 5 level 1 source 0", NULL));
	TEST_ASSERT_EQ(1, count(trace, "kvm_set_irq", "gsi 5 level 0 source 0", NULL));
	TEST_ASSERT_EQ(1, count(trace, "kvm_msi_set_irq", "dst 0 vec 65 ", NULL));

	/* every exit's reason by name, every entry followed by its exit */
	TEST_ASSERT(count(trace, "kvm_exit", amd ? "reason cpuid " : "reason CPUID ", NULL) >= N,
		    "CPUID exits: %d", count(trace, "kvm_exit", "reason cpuid ", NULL));
	TEST_ASSERT(count(trace, "kvm_exit", amd ? "reason msr " : "reason MSR_READ ", NULL) >= N,
		    "MSR exits");
	TEST_ASSERT(count(trace, "kvm_exit", amd ? "reason io " : "reason IO_INSTRUCTION ",
			  NULL) >= N, "I/O exits");
	entries = count(trace, "kvm_entry", "vcpu 0, rip 0x", NULL);
	exits = count(trace, "kvm_exit", "vcpu 0 reason ", NULL);
	ksft_print_msg("kvm_entry %d kvm_exit %d\n", entries, exits);
	TEST_ASSERT(exits >= 5 * N, "kvm_exit %d", exits);
	TEST_ASSERT_EQ(entries, exits);
	free(trace);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--workload")) {
		run_workload();
		return 0;
	}
	ksft_print_header();
	tracefs_mount();
	ksft_set_plan(2);
	run_subtest(test_formats, "format files: the fields perf and trace-cmd read");
	run_subtest(test_records, "records: %d of each exit, their values, entries == exits", N);
	ksft_finished();
}
