// SPDX-License-Identifier: GPL-2.0-only
/* Host-side checks of device-access exits (guest_access.h). */
#include <string.h>

#include "guest_access.h"
#include "kvm_util.h"
#include "test_util.h"
#include "ucall.h"

/*
 * KVM_RUN; the exit must be KVM_EXIT_MMIO of (is_write, gpa, len), with data val for a
 * write. A read is answered with val.
 */
void expect_mmio_exit(struct kvm_vcpu *vcpu, bool is_write, uint64_t gpa, uint32_t len,
		      uint64_t val, const char *what)
{
	struct kvm_run *run = vcpu->run;
	uint64_t data = 0;
	char buf[256];

	vcpu_run_exit(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_MMIO, "%s: expected KVM_EXIT_MMIO, got: %s",
		    what, vcpu_exit_str(vcpu, buf, sizeof(buf)));
	if (run->mmio.len <= sizeof(data))
		memcpy(&data, run->mmio.data, run->mmio.len);
	TEST_ASSERT(run->mmio.is_write == is_write && run->mmio.phys_addr == gpa &&
		    run->mmio.len == len && (!is_write || data == (val & len_mask(len))),
		    "%s: expected an MMIO %s of %u bytes %#llx at %#llx, got a %s of %u bytes %#llx at %#llx",
		    what, is_write ? "write" : "read", len,
		    (unsigned long long)(val & len_mask(len)), (unsigned long long)gpa,
		    run->mmio.is_write ? "write" : "read", run->mmio.len,
		    (unsigned long long)data, (unsigned long long)run->mmio.phys_addr);
	if (!is_write)
		memcpy(run->mmio.data, &val, sizeof(val));
}

/* KVM_RUN; the exit must be KVM_EXIT_IO of one element; an IN is answered with val. */
void expect_pio_exit(struct kvm_vcpu *vcpu, uint8_t direction, uint16_t port, uint8_t size,
		     uint32_t val, const char *what)
{
	struct kvm_run *run = vcpu->run;
	uint32_t data = 0;
	char buf[256];

	vcpu_run_exit(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_IO, "%s: expected KVM_EXIT_IO, got: %s",
		    what, vcpu_exit_str(vcpu, buf, sizeof(buf)));
	if (run->io.size <= sizeof(data))
		memcpy(&data, vcpu_io_data(vcpu), run->io.size);
	TEST_ASSERT(run->io.direction == direction && run->io.port == port &&
		    run->io.size == size && run->io.count == 1 &&
		    (direction == KVM_EXIT_IO_IN || data == (val & len_mask(size))),
		    "%s: expected %s of %u bytes %#llx at port %#x, got %s of %u bytes (count %u) %#x at port %#x",
		    what, direction == KVM_EXIT_IO_OUT ? "OUT" : "IN", size,
		    (unsigned long long)(val & len_mask(size)), port,
		    run->io.direction == KVM_EXIT_IO_OUT ? "OUT" : "IN", run->io.size,
		    run->io.count, data, run->io.port);
	if (direction == KVM_EXIT_IO_IN)
		memcpy(vcpu_io_data(vcpu), &val, size);
}
