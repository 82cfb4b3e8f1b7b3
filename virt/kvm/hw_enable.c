// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtualization on every online CPU while a backend is registered: enabled at load on
 * each online CPU and on each CPU that comes online, disabled on each CPU that goes
 * offline, around suspend (syscore: only the boot CPU is still up then), at reboot, on a crash
 * (the kernel's emergency callback) and at unload. The per-CPU work is the backend's (EFER.SVME + host save area, or CR4.VMXE +
 * VMXON); this file only decides when.
 *
 * Locking: hw_enabled is per CPU and only touched on its own CPU with preemption (or
 * interrupts) disabled. kvm_rebooting is set once, under cpus_read_lock(), and stops CPUs
 * coming online later from enabling again.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <asm/reboot.h>

#include "compat.h"
#include "kvm_core.h"

static DEFINE_PER_CPU(bool, hw_enabled);
static bool kvm_rebooting;
static int kvm_cpuhp_state;

static int hardware_enable_this_cpu(void)
{
	int r;

	if (__this_cpu_read(hw_enabled) || READ_ONCE(kvm_rebooting))
		return 0;
	r = kvm_arch_hardware_enable();
	if (r) {
		pr_err("kvm: enabling virtualization on CPU %d failed: %d\n",
		       smp_processor_id(), r);
		return r;
	}
	__this_cpu_write(hw_enabled, true);
	return 0;
}

static void hardware_disable_this_cpu(void)
{
	if (!__this_cpu_read(hw_enabled))
		return;
	kvm_arch_hardware_disable();
	__this_cpu_write(hw_enabled, false);
}

/* cpuhp callbacks of CPUHP_AP_ONLINE_DYN states run on the CPU concerned */
static int kvm_cpu_online(unsigned int cpu)
{
	int r;

	preempt_disable();
	r = hardware_enable_this_cpu();
	preempt_enable();
	return r;
}

static int kvm_cpu_offline(unsigned int cpu)
{
	preempt_disable();
	hardware_disable_this_cpu();
	preempt_enable();
	return 0;
}

static void hardware_disable_ipi(void *unused)
{
	hardware_disable_this_cpu();
}

/*
 * A CPU must leave VMX operation (and should leave SVM) before the next kernel or the
 * firmware gets it: VMX blocks INIT (SDM vol. 3 24.8 "Restrictions on VMX operation").
 */
static int kvm_reboot(struct notifier_block *nb, unsigned long action, void *unused)
{
	cpus_read_lock();
	WRITE_ONCE(kvm_rebooting, true);
	on_each_cpu(hardware_disable_ipi, NULL, 1);
	cpus_read_unlock();
	return NOTIFY_OK;
}

static struct notifier_block kvm_reboot_nb = {
	.notifier_call = kvm_reboot,
	.priority = 0,
};

/*
 * Crash and emergency reboot (kdump, panic): the kernel calls this on every CPU, possibly
 * from NMI context, before handing the machine on. No locks, no sleeping.
 */
static void kvm_emergency_disable(void)
{
	hardware_disable_this_cpu();
}

/* syscore ops run on the boot CPU with interrupts off, after the others went offline */
static int kvm_suspend(KVM_SYSCORE_ARGS)
{
	hardware_disable_this_cpu();
	return 0;
}

static void kvm_resume(KVM_SYSCORE_ARGS)
{
	/* a failure is logged by hardware_enable_this_cpu(); nothing else can be done here */
	(void)hardware_enable_this_cpu();
}

DEFINE_KVM_SYSCORE(kvm_syscore, kvm_suspend, kvm_resume);

int kvm_hardware_enable_all(void)
{
	int r;

	WRITE_ONCE(kvm_rebooting, false);
	register_reboot_notifier(&kvm_reboot_nb);
	/* Runs kvm_cpu_online() on every online CPU; undoes them all if one fails. */
	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kvm:online", kvm_cpu_online,
			      kvm_cpu_offline);
	if (r < 0) {
		unregister_reboot_notifier(&kvm_reboot_nb);
		return r;
	}
	kvm_cpuhp_state = r;
	kvm_register_syscore(&kvm_syscore);
	cpu_emergency_register_virt_callback(kvm_emergency_disable);
	return 0;
}

void kvm_hardware_disable_all(void)
{
	cpu_emergency_unregister_virt_callback(kvm_emergency_disable);
	kvm_unregister_syscore(&kvm_syscore);
	/* Runs kvm_cpu_offline() on every online CPU. */
	cpuhp_remove_state(kvm_cpuhp_state);
	unregister_reboot_notifier(&kvm_reboot_nb);
}
