// SPDX-License-Identifier: GPL-2.0-only
/*
 * Port I/O exits to userspace (api.rst "KVM_EXIT_IO"): the data goes through the PIO page of
 * the vCPU mmap area (KVM_PIO_PAGE_OFFSET). An OUT is complete when the exit is made; an IN
 * is completed at the next KVM_RUN from what userspace left in the page.
 */
#include <linux/mm.h>
#include <linux/module.h>

#include "x86.h"
#include "kvm_trace.h"

static void *pio_data(struct kvm_vcpu *vcpu)
{
	return page_address(vcpu->pio_page);
}

/*
 * COUNT elements of SIZE bytes at once (an INS batch, else 1), their data in the PIO page.
 * An in-kernel device (PIC, PIT...), an ioeventfd or a coalesced PIO zone takes the access
 * in the kernel: no exit; an IN then completes as if userspace had answered (every element
 * of a batch from the device that answered the first).
 */
static int pio_exit(struct kvm_vcpu *vcpu, bool in, u16 port, unsigned int size,
		    unsigned int count)
{
	struct kvm_run *run = vcpu->run;
	u8 *data = pio_data(vcpu);
	unsigned int i;

	if (!in)
		trace_kvm_pio(false, port, size, count, data);
	else
		vcpu->arch.pio_port = port;	/* traced with its data: kvm_complete_pio() */
	if (!in && kvm_io_write_in_kernel(vcpu, true, port, size, data))
		return 1;
	if (in && kvm_io_read_in_kernel(vcpu, true, port, size, data)) {
		for (i = 1; i < count; i++)
			kvm_io_read_in_kernel(vcpu, true, port, size, data + i * size);
		vcpu->arch.pio_in_pending = true;
		vcpu->arch.pio_size = size;
		kvm_complete_pio(vcpu);
		/* an INS to device memory: its MMIO writes go out now */
		return kvm_mmio_flush(vcpu);
	}
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (in) {
		vcpu->arch.pio_in_pending = true;
		vcpu->arch.pio_size = size;
	}
	return 0;
}

/*
 * The IN/OUT/INS/OUTS completed (the backend or string_advance() put RIP past it): an STI or
 * MOV SS shadow covered this instruction and ends with it (SDM vol. 3 6.8.3), or an NMI or
 * interrupt queued at the exit would wait one more instruction.
 */
static void pio_insn_done(struct kvm_vcpu *vcpu)
{
	kvm_x86_vendor->set_interrupt_shadow(vcpu, 0);
}

/* IN or OUT of AL/AX/EAX */
int kvm_emulate_pio(struct kvm_vcpu *vcpu, bool in, u16 port, unsigned int size)
{
	kvm_stat_inc(vcpu->arch.stat.io_exits);
	pio_insn_done(vcpu);
	if (!in)
		memcpy(pio_data(vcpu), &vcpu->arch.regs[VCPU_REGS_RAX], size);
	return pio_exit(vcpu, in, port, size, 1);
}
EXPORT_SYMBOL_GPL(kvm_emulate_pio);


/* The linear address of seg:offset for a string instruction (64-bit mode: FS/GS only). */
static u64 string_linear(struct kvm_vcpu *vcpu, int seg, u64 offset)
{
	struct kvm_segment s;

	if ((kvm_x86_vendor->get_efer(vcpu) & EFER_LMA) && seg != VCPU_SREG_FS &&
	    seg != VCPU_SREG_GS) {
		kvm_x86_vendor->get_segment(vcpu, &s, VCPU_SREG_CS);
		if (s.l)
			return offset;
	}
	kvm_x86_vendor->get_segment(vcpu, &s, seg);
	return s.base + offset;
}

/*
 * OUTS: read the element at linear into buf, as the CPL of the guest would. 0; -EFAULT with
 * the #PF queued; -ENODEV when it is not all RAM (the emulator then runs the OUTS, with MMIO
 * exits for its read: kvm_emulate_at_rip()).
 */
static int string_read(struct kvm_vcpu *vcpu, u64 linear, void *buf, unsigned int size)
{
	struct kvm_segment ss;
	unsigned int access = 0, done = 0;
	u32 pf_error;
	u64 gpa;

	kvm_x86_vendor->get_segment(vcpu, &ss, VCPU_SREG_SS);
	if (ss.dpl == 3)
		access |= BIT(2);
	while (done < size) {
		unsigned int n = min_t(unsigned int, size - done,
				       PAGE_SIZE - offset_in_page(linear + done));

		if (kvm_gva_to_gpa(vcpu, linear + done, access, &gpa, &pf_error)) {
			kvm_x86_vendor->set_cr(vcpu, 2, linear + done);
			kvm_queue_exception(vcpu, PF_VECTOR, true, pf_error);
			return -EFAULT;
		}
		if (kvm_read_guest(vcpu->kvm, gpa, buf + done, n))
			return -ENODEV;
		done += n;
	}
	return 0;
}

static bool string_down(struct kvm_vcpu *vcpu)
{
	return kvm_x86_vendor->get_rflags(vcpu) & X86_EFLAGS_DF;
}

/*
 * INS: store n elements from buf to the guest's linear address space from linear on:
 * upwards as one store, or with RFLAGS.DF downwards one element at a time (element i at
 * linear - i * size). RAM directly, device memory as MMIO writes that go out before the
 * guest runs again (kvm_write_linear()); false with the #PF queued.
 */
static bool string_store(struct kvm_vcpu *vcpu, u64 linear, u8 *buf, unsigned int size,
			 unsigned int n)
{
	unsigned int i;

	if (!string_down(vcpu))
		return kvm_write_linear(vcpu, linear, buf, n * size);
	for (i = 0; i < n; i++)
		if (!kvm_write_linear(vcpu, linear - (u64)i * size, buf + i * size, size))
			return false;
	return true;
}

/*
 * How many INS elements one exit moves. With REP as many as rCX asks, at most KVM_PIO_BATCH
 * bytes, and no more elements than there are bytes from rDI to the end of its page (with
 * RFLAGS.DF: below rDI in its page), at least one. That is Linux KVM's batch, bytes and not
 * elements, from the offset in the register, not in the linear address: the exits a VMM
 * sees are the same on both (difftest_guest compares them). One element without REP.
 */
static unsigned int string_batch(struct kvm_vcpu *vcpu, unsigned int size, bool rep, u64 mask)
{
	u64 rcx = vcpu->arch.regs[VCPU_REGS_RCX] & mask;
	u64 rdi = vcpu->arch.regs[VCPU_REGS_RDI] & mask;
	unsigned int in_page = string_down(vcpu) ? offset_in_page(rdi) :
			       PAGE_SIZE - offset_in_page(rdi);
	u64 n = min3((u64)(KVM_PIO_BATCH / size), (u64)in_page, rcx);

	return rep && n > 1 ? n : 1;
}

/* Advance rSI or rDI by n elements and count down rCX for REP; finish the instruction. */
static void string_advance(struct kvm_vcpu *vcpu, int reg, unsigned int size, unsigned int n,
			   bool rep, u64 mask, u64 next_rip)
{
	unsigned long *regs = vcpu->arch.regs;
	long delta = (long)size * n;

	if (string_down(vcpu))
		delta = -delta;
	regs[reg] = (regs[reg] & ~mask) | ((regs[reg] + delta) & mask);
	if (rep) {
		regs[VCPU_REGS_RCX] = (regs[VCPU_REGS_RCX] & ~mask) |
				      ((regs[VCPU_REGS_RCX] - n) & mask);
		/* more to do: leave RIP on the instruction, which then exits again */
		if (regs[VCPU_REGS_RCX] & mask)
			return;
	}
	regs[VCPU_REGS_RIP] = next_rip;
	pio_insn_done(vcpu);
}

/*
 * INS/OUTS (SDM vol. 2 "INS", "OUTS"): as KVM, INS moves a batch of elements per exit to
 * userspace (string_batch(), kvm_run io.count), OUTS one; with REP the instruction is
 * re-executed (RIP unchanged) until rCX reaches 0. OUTS reads seg:rSI (seg as decoded by the
 * CPU) before the exit, INS writes ES:rDI when userspace has supplied the data.
 */
int kvm_emulate_string_pio(struct kvm_vcpu *vcpu, bool in, u16 port, unsigned int size,
			   bool rep, unsigned int addr_bits, int seg, u64 next_rip)
{
	u64 mask = addr_bits == 64 ? ~0ULL : (1ULL << addr_bits) - 1;
	unsigned long *regs = vcpu->arch.regs;
	unsigned int n;
	u64 linear;
	int r;

	kvm_stat_inc(vcpu->arch.stat.io_exits);
	if (rep && !(regs[VCPU_REGS_RCX] & mask)) {
		regs[VCPU_REGS_RIP] = next_rip;
		pio_insn_done(vcpu);
		return 1;
	}
	if (in) {
		n = string_batch(vcpu, size, rep, mask);
		vcpu->arch.pio_string = (struct kvm_pio_string) {
			.pending = true, .rep = rep, .mask = mask, .next_rip = next_rip,
			.count = n,
		};
		return pio_exit(vcpu, true, port, size, n);
	}
	/* OUTS: one element per exit (each may go to a different ioeventfd datamatch) */
	linear = string_linear(vcpu, seg, regs[VCPU_REGS_RSI] & mask);
	r = string_read(vcpu, linear, pio_data(vcpu), size);
	if (r == -ENODEV)
		return kvm_emulate_at_rip(vcpu);
	if (r)
		return 1;
	string_advance(vcpu, VCPU_REGS_RSI, size, 1, rep, mask, next_rip);
	return pio_exit(vcpu, false, port, size, 1);
}
EXPORT_SYMBOL_GPL(kvm_emulate_string_pio);

/* An OUTS the emulator ran (mmio.c): its port write, once the instruction completed. */
int kvm_pio_out(struct kvm_vcpu *vcpu, u16 port, unsigned int size, const void *data)
{
	memcpy(pio_data(vcpu), data, size);
	return pio_exit(vcpu, false, port, size, 1);
}
EXPORT_SYMBOL_GPL(kvm_pio_out);

/* IN writes AL, AX or EAX; a 32-bit write zero-extends into RAX (SDM vol. 1, 3.4.1.1) */
void kvm_complete_pio(struct kvm_vcpu *vcpu)
{
	unsigned long *rax = &vcpu->arch.regs[VCPU_REGS_RAX];
	u32 val = 0;

	struct kvm_pio_string *str = &vcpu->arch.pio_string;

	if (!vcpu->arch.pio_in_pending)
		return;
	vcpu->arch.pio_in_pending = false;
	trace_kvm_pio(true, vcpu->arch.pio_port, vcpu->arch.pio_size,
		      str->pending ? str->count : 1, pio_data(vcpu));
	if (str->pending) {
		/*
		 * INS: store the batch to ES:rDI, then step as the instruction does. Userspace
		 * may have changed rCX since the exit (KVM_SET_REGS): never more elements than
		 * it says are left, and none when it says none (Linux's userspace_io_test).
		 */
		unsigned long *regs = vcpu->arch.regs;
		unsigned int n = str->count;

		str->pending = false;
		if (str->rep)
			n = min_t(u64, n, regs[VCPU_REGS_RCX] & str->mask);
		if (!n) {
			regs[VCPU_REGS_RIP] = str->next_rip;
			pio_insn_done(vcpu);
			return;
		}
		if (string_store(vcpu, string_linear(vcpu, VCPU_SREG_ES,
						     regs[VCPU_REGS_RDI] & str->mask),
				 pio_data(vcpu), vcpu->arch.pio_size, n))
			string_advance(vcpu, VCPU_REGS_RDI, vcpu->arch.pio_size, n, str->rep,
				       str->mask, str->next_rip);
		return;
	}
	memcpy(&val, pio_data(vcpu), vcpu->arch.pio_size);
	switch (vcpu->arch.pio_size) {
	case 1:
		*rax = (*rax & ~0xffUL) | (u8)val;
		break;
	case 2:
		*rax = (*rax & ~0xffffUL) | (u16)val;
		break;
	default:
		*rax = val;
		break;
	}
}
