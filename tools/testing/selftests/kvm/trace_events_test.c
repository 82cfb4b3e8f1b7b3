// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "kvm" trace events (Documentation/trace/events.rst) that tools read, checked through
 * tracefs on ours and on the stock modules alike:
 *  - the format files of kvm_entry, kvm_exit, kvm_pio, kvm_mmio, kvm_msr (what Debian's
 *    `perf kvm stat` reads: tools/perf/arch/x86/util/kvm-stat.c) and of kvm_cpuid,
 *    kvm_hypercall, kvm_inj_virq, kvm_userspace_exit, kvm_page_fault, kvm_set_irq,
 *    kvm_msi_set_irq, kvm_cr, kvm_apic and kvm_eoi name the fields with the types stock
 *    6.1 shows;
 *  - a guest that makes a known number of each exit (CPUID, RDMSR, OUT, IN, MMIO write and
 *    read, hypercall, MOV to CR4) and takes one injected interrupt leaves exactly that many
 *    records of each event in the trace buffer, with the values the guest used (an IN's
 *    the one userspace answered); kvm_entry and kvm_exit pair up; KVM_IRQ_LINE and
 *    KVM_SIGNAL_MSI leave kvm_set_irq and kvm_msi_set_irq;
 *  - a guest with the in-kernel APIC that reads its APIC ID, reads the PIC's mask register
 *    and sends itself IPIs, EOIed in their handler, leaves kvm_apic reads and writes with the
 *    register names, kvm_eoi with the vector, kvm_pio reads with the PIC's value.
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

#include "apic.h"
#include "guest_access.h"
#include "kselftest.h"
#include "x86_guest.h"

#define N		100		/* of each exit */
#define PIO_PORT	0x99
#define PIO_IN_PORT	0x9a		/* userspace answers IN_ANSWER(i) */
#define IN_ANSWER(i)	((uint8_t)(0x80 + (i)))
#define MMIO_GPA	0xc0000000ULL	/* no slot: an MMIO exit */
#define MMIO_GVA	0x40000000ULL
#define CPUID_INDEX	0x7a7a
#define HC_NR		1		/* KVM_HC_VAPIC_POLL_IRQ: 0 on both */
#define HC_A0		0x5eed
#define IRQ_VECTOR	0x40
#define MSR_READ	MSR_IA32_MISC_ENABLE	/* emulated, intercepted on both vendors */
#define MMIO_ANSWER	0x1234abcdU
#define IPI_VECTOR	0x51
#define APIC_ICR	0x300
#define ICR_SELF	(1U << 18)	/* destination shorthand: self (SDM 10.6.1) */
#define PIC_IMR_PORT	0x21

#define TRACEFS		"/sys/kernel/tracing"

static volatile uint64_t irq_count;
static uint64_t guest_cr4;	/* the value the guest wrote back to CR4 */

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
		GUEST_ASSERT_EQ(IN_ANSWER(i), guest_inb(PIO_IN_PORT));
		x86_write_cr4(x86_read_cr4());
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
	int pio = 0, pio_in = 0, mmio_w = 0, mmio_r = 0;
	struct kvm_sregs sregs;
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
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == PIO_IN_PORT) {
			TEST_ASSERT_EQ(KVM_EXIT_IO_IN, run->io.direction);
			*(uint8_t *)vcpu_io_data(vcpu) = IN_ANSWER(pio_in);
			pio_in++;
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
	TEST_ASSERT_EQ(N, pio_in);
	TEST_ASSERT_EQ(N, mmio_w);
	TEST_ASSERT_EQ(N, mmio_r);
	vcpu_get_sregs(vcpu, &sregs);
	guest_cr4 = sregs.cr4;
	kvm_vm_free(vm);
}

static void apic_guest_code(void)
{
	int i;

	apic_guest_init();
	asm volatile("sti");
	for (i = 0; i < N; i++) {
		GUEST_ASSERT_EQ(0, xapic_read(APIC_ID));
		GUEST_ASSERT_EQ(0xff, guest_inb(PIC_IMR_PORT));
		xapic_write(APIC_ICR, ICR_SELF | IPI_VECTOR);
		while (apic_irq_count[IPI_VECTOR] != (uint64_t)i + 1)
			asm volatile("pause");
	}
	asm volatile("cli");
	GUEST_DONE();
}

/* The in-kernel APIC: N APIC ID reads, PIC mask reads and self-IPIs, each EOIed. */
static void run_apic_workload(void)
{
	static const uint8_t vectors[] = { IPI_VECTOR };
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_vcpu *vcpu;

	irqchip_create(vm->fd);
	apic_vm_setup(vm, vectors, sizeof(vectors));
	vcpu = guest_vcpu_add(vm, 0, (uint64_t)apic_guest_code);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	TEST_ASSERT_EQ(N, apic_count(vm, IPI_VECTOR));
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
	{ "kvm_cr", { "unsigned int rw", "unsigned int cr", "unsigned long val" } },
	{ "kvm_apic", { "unsigned int rw", "unsigned int reg", "u64 val" } },
	{ "kvm_eoi", { "__u32 apicid", "int vector" } },
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
	int entries, exits, cr;

	tracefs_write("tracing_on", "0");
	tracefs_write("events/enable", "0");
	tracefs_write("buffer_size_kb", "8192");
	tracefs_write("trace", "");
	tracefs_write("events/kvm/enable", "1");
	tracefs_write("tracing_on", "1");
	run_workload();
	run_irq_workload();
	run_apic_workload();
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
	/* an IN is traced once, with the value userspace gave */
	snprintf(want, sizeof(want), "pio_read at 0x%x size 1 count 1 ", PIO_IN_PORT);
	TEST_ASSERT_EQ(N, count(trace, "kvm_pio", want, NULL));
	TEST_ASSERT_EQ(1, count(trace, "kvm_pio", want, " val 0xe3 "));	/* IN_ANSWER(99) */
	/* ... or the one an in-kernel device gave */
	snprintf(want, sizeof(want), "pio_read at 0x%x size 1 count 1 val 0xff ", PIC_IMR_PORT);
	TEST_ASSERT_EQ(N, count(trace, "kvm_pio", want, NULL));
	/*
	 * SVM intercepts every MOV to CR4 (VMX only those changing bits the host owns): ours
	 * traces each. Stock traces only those it handles by decode assists, which QEMU TCG
	 * lacks (its emulator takes the rest without a record): none or all there.
	 */
	snprintf(want, sizeof(want), "cr_write 4 = 0x%llx", (unsigned long long)guest_cr4);
	cr = count(trace, "kvm_cr", want, NULL);
	ksft_print_msg("%d kvm_cr '%s'\n", cr, want);
	if (amd && kvm_module_is_ours())
		TEST_ASSERT_EQ(N, cr);
	else if (amd)
		TEST_ASSERT(cr == 0 || cr == N, "%d kvm_cr records, not 0 or %d", cr, N);
	TEST_ASSERT_EQ(cr, count(trace, "kvm_cr", "cr_write 4 = ", NULL));
	/* the APIC workload */
	TEST_ASSERT_EQ(N, count(trace, "kvm_apic", "apic_read APIC_ID = 0x0", NULL));
	snprintf(want, sizeof(want), "apic_write APIC_ICR = 0x%x", ICR_SELF | IPI_VECTOR);
	TEST_ASSERT_EQ(N, count(trace, "kvm_apic", want, NULL));
	TEST_ASSERT(count(trace, "kvm_apic", "apic_write APIC_EOI = 0x0", NULL) >= N,
		    "%d EOI writes", count(trace, "kvm_apic", "apic_write APIC_EOI = 0x0", NULL));
	TEST_ASSERT_EQ(1, count(trace, "kvm_apic", "apic_write APIC_SPIV = 0x1ff", NULL));
	snprintf(want, sizeof(want), "apicid 0 vector %d", IPI_VECTOR);
	TEST_ASSERT_EQ(N, count(trace, "kvm_eoi", want, NULL));
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
