// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-kernel local APIC IPIs (SDM vol. 3A 10.6, 8.4) with KVM_CAP_SPLIT_IRQCHIP.
 *
 * Three vCPUs; the APs start UNINITIALIZED (api.rst 4.38) and the BSP starts them with
 * INIT + SIPI through the xAPIC ICR. Each AP comes up in real mode at the SIPI vector's page
 * (CS = vector << 8, IP 0) and reports there with an OUT; the host checks where it started
 * and puts it in long mode. The APs then sleep in HLT with interrupts on while the BSP sends
 * fixed IPIs in physical, logical flat and logical cluster mode and with every shorthand,
 * and NMI IPIs; then all vCPUs switch to x2APIC (when CPUID offers it) and the BSP sends
 * through the x2APIC ICR MSR and SELF IPI MSR. Every handler counts per APIC ID and the BSP
 * compares counts with what it sent. HLT never reaches userspace (it would fail the
 * vcpu_run_expect_ucall() of the AP threads).
 */
#include <pthread.h>

#include "x86_guest.h"

#define NR_VCPUS	3
#define APIC_GPA	0xfee00000ULL
#define IPI_VECTOR	0x40
#define CFG_VECTOR	0x41	/* "apply cfg_phase to your LDR/DFR/mode" */
#define NMI_VECTOR	2
#define AP_PORT		0xe2
#define X2APIC_MSR(r)	(0x800 + ((r) >> 4))

enum { PHASE_FLAT = 1, PHASE_CLUSTER, PHASE_X2APIC };

static volatile uint64_t ipi_count[NR_VCPUS], nmi_count[NR_VCPUS], cfg_done[NR_VCPUS];
static volatile uint64_t ap_ready[NR_VCPUS], all_done, cfg_phase;

static bool g_x2apic(void)
{
	return x86_rdmsr(MSR_IA32_APICBASE) & (1u << 10);
}

static uint32_t apic_rd(uint32_t reg)
{
	if (g_x2apic())
		return x86_rdmsr(X2APIC_MSR(reg));
	return *(volatile uint32_t *)(APIC_GPA + reg);
}

static void apic_wr(uint32_t reg, uint32_t v)
{
	if (g_x2apic())
		x86_wrmsr(X2APIC_MSR(reg), v);
	else
		*(volatile uint32_t *)(APIC_GPA + reg) = v;
}

static uint32_t my_id(void)
{
	return g_x2apic() ? apic_rd(0x20) : apic_rd(0x20) >> 24;
}

static void send_ipi(uint32_t dest, uint32_t icr)
{
	if (g_x2apic()) {
		x86_wrmsr(X2APIC_MSR(0x300), (uint64_t)dest << 32 | icr);
	} else {
		apic_wr(0x310, dest << 24);
		apic_wr(0x300, icr);
	}
}

static void ipi_handler(struct ex_regs *regs)
{
	ipi_count[my_id()]++;
	apic_wr(0xb0, 0);
}

static void nmi_handler(struct ex_regs *regs)
{
	nmi_count[my_id()]++;
}

/* apply the BSP's configuration for this phase to the own APIC */
static void apply_cfg(void)
{
	uint32_t id = my_id();

	switch (cfg_phase) {
	case PHASE_FLAT:
		apic_wr(0xe0, 0xffffffff);
		apic_wr(0xd0, 1u << (24 + id));
		break;
	case PHASE_CLUSTER:
		apic_wr(0xe0, 0x0fffffff);
		apic_wr(0xd0, (1u << 28) | (1u << (24 + id)));
		break;
	case PHASE_X2APIC:
		x86_wrmsr(MSR_IA32_APICBASE, x86_rdmsr(MSR_IA32_APICBASE) | (1u << 10));
		break;
	}
	cfg_done[id] = cfg_phase;
}

static void cfg_handler(struct ex_regs *regs)
{
	apply_cfg();
	apic_wr(0xb0, 0);
}

static void guest_ap(void)
{
	apic_wr(0xf0, 0x1ff);		/* software enable, spurious vector 0xff */
	asm volatile("sti");
	ap_ready[my_id()] = 1;
	while (!all_done)
		asm volatile("sti; hlt; cli; sti");
	GUEST_DONE();
}

static uint64_t expect[NR_VCPUS];

static void check_counts(int line)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		guest_wait_for(&ipi_count[i], expect[i], line);
}

static void set_phase(uint64_t phase)
{
	int i;

	cfg_phase = phase;
	apply_cfg();
	/* fixed IPI with the config vector to all excluding self */
	send_ipi(0, CFG_VECTOR | (3u << 18));
	for (i = 1; i < NR_VCPUS; i++)
		guest_wait_for(&cfg_done[i], phase, __LINE__);
}

static void guest_bsp(uint64_t sipi_vector, uint64_t has_x2apic)
{
	int i;

	apic_wr(0xf0, 0x1ff);
	asm volatile("sti");
	GUEST_ASSERT_EQ(0, my_id());
	/* SDM 8.4.4.1: INIT, then SIPI, to each AP by physical ID */
	for (i = 1; i < NR_VCPUS; i++) {
		send_ipi(i, 0x4500);		/* INIT, level assert */
		send_ipi(i, 0x4600 | sipi_vector);
		guest_wait_for(&ap_ready[i], 1, __LINE__);
	}
	GUEST_SYNC(1);

	/* physical destination: one AP at a time */
	for (i = 1; i < NR_VCPUS; i++) {
		send_ipi(i, IPI_VECTOR);
		expect[i]++;
		check_counts(__LINE__);
	}
	/* logical flat: MDA bits 1 and 2 */
	set_phase(PHASE_FLAT);
	send_ipi(0x06, IPI_VECTOR | (1u << 11));
	expect[1]++, expect[2]++;
	check_counts(__LINE__);
	send_ipi(0x04, IPI_VECTOR | (1u << 11));
	expect[2]++;
	check_counts(__LINE__);
	/* logical cluster 1, members 1 and 2 */
	set_phase(PHASE_CLUSTER);
	send_ipi(0x12, IPI_VECTOR | (1u << 11));
	expect[1]++;
	check_counts(__LINE__);
	send_ipi(0x16, IPI_VECTOR | (1u << 11));
	expect[1]++, expect[2]++;
	check_counts(__LINE__);
	send_ipi(0x26, IPI_VECTOR | (1u << 11));	/* cluster 2: nobody */
	/* shorthands: self, all including self, all excluding self */
	send_ipi(0, IPI_VECTOR | (1u << 18));
	expect[0]++;
	check_counts(__LINE__);
	send_ipi(0, IPI_VECTOR | (2u << 18));
	expect[0]++, expect[1]++, expect[2]++;
	check_counts(__LINE__);
	send_ipi(0, IPI_VECTOR | (3u << 18));
	expect[1]++, expect[2]++;
	check_counts(__LINE__);
	/* NMI to each AP */
	for (i = 1; i < NR_VCPUS; i++) {
		send_ipi(i, 0x400);
		guest_wait_for(&nmi_count[i], 1, __LINE__);
	}
	GUEST_ASSERT_EQ(0, nmi_count[0]);
	GUEST_SYNC(2);

	if (has_x2apic) {
		set_phase(PHASE_X2APIC);
		GUEST_ASSERT(g_x2apic());
		GUEST_ASSERT_EQ(0, my_id());
		/* x2APIC physical, logical (cluster 0, bits 1 and 2), SELF IPI */
		send_ipi(2, IPI_VECTOR);
		expect[2]++;
		check_counts(__LINE__);
		send_ipi(0x6, IPI_VECTOR | (1u << 11));
		expect[1]++, expect[2]++;
		check_counts(__LINE__);
		x86_wrmsr(X2APIC_MSR(0x3f0), IPI_VECTOR);
		expect[0]++;
		check_counts(__LINE__);
		send_ipi(0xffffffff, IPI_VECTOR);	/* broadcast */
		expect[0]++, expect[1]++, expect[2]++;
		check_counts(__LINE__);
		send_ipi(1, 0x400);
		guest_wait_for(&nmi_count[1], 2, __LINE__);
		GUEST_SYNC(3);
	}
	all_done = 1;
	send_ipi(0, IPI_VECTOR | (3u << 18));
	GUEST_DONE();
}

struct ap_job {
	struct kvm_vcpu *vcpu;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	uint64_t sipi_gpa;
	pthread_t thread;
};

static void *ap_thread(void *arg)
{
	struct ap_job *job = arg;
	struct kvm_vcpu *vcpu = job->vcpu;
	struct kvm_sregs sregs;
	struct kvm_mp_state mp;
	char buf[128];

	/*
	 * blocks in the kernel until INIT + SIPI; KVM_RUN of a vCPU still UNINITIALIZED
	 * returns EAGAIN after an event (Linux KVM's behaviour, which QEMU follows)
	 */
	while (__vcpu_run(vcpu) == -1) {
		TEST_ASSERT(errno == EAGAIN, "vCPU %d: KVM_RUN failed with %s", vcpu->id,
			    errno_name(errno));
	}
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_IO && vcpu->run->io.port == AP_PORT,
		    "vCPU %d: expected OUT to %#x from the SIPI page, got %s", vcpu->id,
		    AP_PORT, vcpu_exit_str(vcpu, buf, sizeof(buf)));
	/* api.rst "KVM_RUN": the OUT completes (RIP moves past it) on the next KVM_RUN */
	vcpu->run->immediate_exit = 1;
	TEST_ASSERT_ERRNO(EINTR, __vcpu_run(vcpu));
	vcpu->run->immediate_exit = 0;
	vcpu_get_sregs(vcpu, &sregs);
	TEST_ASSERT_EQ(job->sipi_gpa >> 4, sregs.cs.selector);
	TEST_ASSERT_EQ(job->sipi_gpa, sregs.cs.base);
	TEST_ASSERT_EQ(2, vcpu_get_rip(vcpu));		/* after the 2-byte OUT at IP 0 */
	TEST_ASSERT_EQ(0, sregs.cr0 & X86_CR0_PE);
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	/* now to long mode, where guest_vcpu_add() had put it */
	vcpu_set_sregs(vcpu, &job->sregs);
	vcpu_set_regs(vcpu, &job->regs);
	vcpu_run_expect_ucall(vcpu, UCALL_DONE, NULL);
	return NULL;
}

static void test_ipis(void)
{
	struct kvm_vm *vm = guest_vm_new(GUEST_MODE_LONG64, GUEST_DEFAULT_MEM);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	struct ap_job jobs[NR_VCPUS];
	struct kvm_mp_state mp;
	struct kvm_vcpu *bsp;
	uint64_t sipi_gpa, has_x2apic;
	uint8_t *blob;
	struct ucall uc;
	int i;

	vm_ioctl(vm, KVM_ENABLE_CAP, &cap);
	guest_map_page(vm, APIC_GPA, APIC_GPA);
	sipi_gpa = vm_alloc_pages(vm, 1);
	TEST_ASSERT(sipi_gpa < 0x100000, "SIPI page %#llx above 1 MiB",
		    (unsigned long long)sipi_gpa);
	blob = addr_gpa2hva(vm, sipi_gpa);
	blob[0] = 0xe6, blob[1] = AP_PORT;		/* out %al, $AP_PORT */
	blob[2] = 0xf4, blob[3] = 0xeb, blob[4] = 0xfd;	/* hlt; jmp . - 1 */

	has_x2apic = !!(vm_cpuid_entry(vm, 1, 0)->ecx & (1u << 21));
	bsp = guest_vcpu_add(vm, 0, (uint64_t)guest_bsp);
	vcpu_set_args(bsp, sipi_gpa >> 12, has_x2apic);
	for (i = 1; i < NR_VCPUS; i++) {
		jobs[i].vcpu = guest_vcpu_add(vm, i, (uint64_t)guest_ap);
		jobs[i].sipi_gpa = sipi_gpa;
		vcpu_get_regs(jobs[i].vcpu, &jobs[i].regs);
		vcpu_get_sregs(jobs[i].vcpu, &jobs[i].sregs);
		vcpu_ioctl(jobs[i].vcpu, KVM_GET_MP_STATE, &mp);
		TEST_ASSERT_EQ(KVM_MP_STATE_UNINITIALIZED, mp.mp_state);
	}
	vcpu_ioctl(bsp, KVM_GET_MP_STATE, &mp);
	TEST_ASSERT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	vm_install_exception_handler(vm, IPI_VECTOR, ipi_handler);
	vm_install_exception_handler(vm, CFG_VECTOR, cfg_handler);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);

	for (i = 1; i < NR_VCPUS; i++)
		TEST_ASSERT_EQ(0, pthread_create(&jobs[i].thread, NULL, ap_thread, &jobs[i]));
	vcpu_run_expect_ucall(bsp, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(1, uc.args[0]);
	vcpu_run_expect_ucall(bsp, UCALL_SYNC, &uc);
	TEST_ASSERT_EQ(2, uc.args[0]);
	if (has_x2apic) {
		vcpu_run_expect_ucall(bsp, UCALL_SYNC, &uc);
		TEST_ASSERT_EQ(3, uc.args[0]);
	} else {
		ksft_print_msg("no x2APIC in the supported CPUID: x2APIC part skipped\n");
	}
	vcpu_run_expect_ucall(bsp, UCALL_DONE, NULL);
	for (i = 1; i < NR_VCPUS; i++)
		pthread_join(jobs[i].thread, NULL);
	kvm_vm_free(vm);
}

int main(void)
{
	ksft_print_header();
	ksft_set_plan(1);
	run_subtest(test_ipis, "INIT/SIPI; fixed and NMI IPIs: physical, logical flat/cluster, "
		    "shorthands, x2APIC; HLT woken in the kernel");
	ksft_finished();
}
