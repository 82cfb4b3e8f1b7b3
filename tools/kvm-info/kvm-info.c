// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-info: print what /dev/kvm offers: API version, vCPU mmap size, every capability the
 * installed <linux/kvm.h> names with the value KVM_CHECK_EXTENSION gives, the backend module
 * and its parameters; optionally create (and destroy) a VM to show that works.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

static const struct {
	const char *name;
	long cap;
} cap_names[] = {
#define CAP_NAME(name, nr) { #name, nr },
#include "cap_names.h"
#undef CAP_NAME
};

/*
 * A real-mode guest at 0x1000 that writes its message to port 0xe9 (the "debug console"
 * port of Bochs and QEMU) one byte at a time, then halts:
 *	mov si, msg / cld / 1: lodsb / test al, al / jz 2f / out 0xe9, al / jmp 1b / 2: hlt
 */
#define GUEST_GPA	0x1000
#define DEBUG_PORT	0xe9
static const unsigned char guest_code[] = {
	0xbe, 0x10, 0x10,	/* mov si, 0x1010 */
	0xfc,			/* cld */
	0xac,			/* lodsb */
	0x84, 0xc0,		/* test al, al */
	0x74, 0x04,		/* jz hlt */
	0xe6, DEBUG_PORT,	/* out 0xe9, al */
	0xeb, 0xf7,		/* jmp lodsb */
	0xf4,			/* hlt */
	0xeb, 0xfd,		/* jmp hlt */
};
static const char guest_message[] = "Hello from a real-mode guest on /dev/kvm\n";

static int fail(const char *what)
{
	fprintf(stderr, "kvm-info: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Run the guest above on vCPU 0 of a fresh VM; print what it writes and how it ended. */
static int run_guest(int kvm)
{
	struct kvm_userspace_memory_region region = { .slot = 0, .memory_size = 0x10000 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	struct timespec t0, t1;
	int vm, vcpu, exits = 0;
	long mmap_size;
	char *mem;

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem + GUEST_GPA, guest_code, sizeof(guest_code));
	memcpy(mem + GUEST_GPA + 0x10, guest_message, sizeof(guest_message));
	region.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_GPA;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS");

	printf("guest: ");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0))
			return fail("KVM_RUN");
		exits++;
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == DEBUG_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1) {
			putchar(*((char *)run + run->io.data_offset));
			continue;
		}
		break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvm-info: the guest stopped with exit reason %u, not HLT\n",
			run->exit_reason);
		return 1;
	}
	printf("guest halted after %d exits in %.3f ms\n", exits,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	close(vcpu);
	close(vm);
	munmap(mem, region.memory_size);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvm-info [--all] [--create-vm] [--run-guest] [--device PATH]\n"
		"Print the KVM API version, vCPU mmap size, backend module and parameters, and\n"
		"the capabilities /dev/kvm reports (non-zero ones only unless --all).\n"
		"  -a, --all        also list capabilities reported as 0\n"
		"  -c, --create-vm  create a VM, query it, and close it\n"
		"  -r, --run-guest  run a real-mode guest that prints a line through port 0xe9\n"
		"  -d, --device     device node (default /dev/kvm)\n"
		"  -h, --help       this text\n"
		"Exit status: 0 on success, 1 if the device or an ioctl failed.\n");
}

static void print_module_params(const char *module)
{
	char path[512], val[128];
	struct dirent *de;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters", module);
	dir = opendir(path);
	if (!dir)
		return;
	printf("module %s:", module);
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, de->d_name);
		f = fopen(path, "r");
		if (!f || !fgets(val, sizeof(val), f))
			strcpy(val, "?\n");
		if (f)
			fclose(f);
		val[strcspn(val, "\n")] = 0;
		printf(" %s=%s", de->d_name, val);
	}
	printf("\n");
	closedir(dir);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "create-vm", no_argument, NULL, 'c' },
		{ "run-guest", no_argument, NULL, 'r' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = "/dev/kvm";
	int all = 0, create_vm = 0, guest = 0, kvm, vm, r, c, nr_caps = 0;
	size_t i;

	while ((c = getopt_long(argc, argv, "acrd:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'c': create_vm = 1; break;
		case 'r': guest = 1; break;
		case 'd': dev = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}

	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-info: open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	r = ioctl(kvm, KVM_GET_API_VERSION, 0);
	printf("%s: KVM API version %d\n", dev, r);
	if (r != KVM_API_VERSION) {
		fprintf(stderr, "kvm-info: API version %d, expected %d\n", r, KVM_API_VERSION);
		return 1;
	}
	printf("vCPU mmap size: %d bytes\n", ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	print_module_params("kvm_amd");
	print_module_params("kvm_intel");

	for (i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
		r = ioctl(kvm, KVM_CHECK_EXTENSION, cap_names[i].cap);
		if (r > 0)
			nr_caps++;
		if (r || all)
			printf("  KVM_CAP_%-32s %d\n", cap_names[i].name, r);
	}
	printf("%d of %zu capabilities known to <linux/kvm.h> reported\n", nr_caps,
	       sizeof(cap_names) / sizeof(cap_names[0]));

	if (create_vm) {
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		if (vm < 0) {
			fprintf(stderr, "kvm-info: KVM_CREATE_VM: %s\n", strerror(errno));
			return 1;
		}
		printf("KVM_CREATE_VM: fd %d; closed\n", vm);
		close(vm);
	}
	if (guest && run_guest(kvm))
		return 1;
	close(kvm);
	return 0;
}
