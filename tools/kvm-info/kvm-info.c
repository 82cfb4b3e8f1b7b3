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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvm-info [--all] [--create-vm] [--device PATH]\n"
		"Print the KVM API version, vCPU mmap size, backend module and parameters, and\n"
		"the capabilities /dev/kvm reports (non-zero ones only unless --all).\n"
		"  -a, --all        also list capabilities reported as 0\n"
		"  -c, --create-vm  create a VM, query it, and close it\n"
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
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = "/dev/kvm";
	int all = 0, create_vm = 0, kvm, vm, r, c, nr_caps = 0;
	size_t i;

	while ((c = getopt_long(argc, argv, "acd:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'c': create_vm = 1; break;
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
	close(kvm);
	return 0;
}
