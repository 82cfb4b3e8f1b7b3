// SPDX-License-Identifier: GPL-2.0-only
/*
 * MMIO (api.rst "KVM_EXIT_MMIO"): a guest access to a guest-physical address with no memslot,
 * or a write to a read-only slot, faults in the nested page tables; the instruction is run by
 * the emulator (emulate.c) with its memory accesses going through the ops below: RAM through
 * the memslots, the rest to userspace one piece of at most 8 bytes per exit (an SSE/AVX move
 * of 16 or 32 bytes takes 2 or 4 exits, as on Linux KVM).
 *
 * A read makes the instruction wait: KVM_RUN returns with the exit, and the next KVM_RUN puts
 * the data userspace left in run->mmio.data into the read log and resumes the instruction
 * decoded by the first run (x86emul_resume(): one decode per instruction, however many reads
 * it makes), which runs again from its first read, taking its earlier reads from the log, so
 * that a device sees every read once. The guest's registers are untouched until the
 * instruction completes; it completes from the general registers and RFLAGS as they are at
 * that KVM_RUN (a VMM may have set them in between), at the RIP it was decoded at, and with
 * the operand addresses decoded then (api.rst only says the access completes at the next
 * KVM_RUN; Linux KVM also keeps the decode, RIP and addresses). Writes come last
 * (emulate.h): those an ioeventfd or a coalesced zone takes complete in the kernel (eventfd.c,
 * coalesced_mmio.c), the others go out once the instruction completed, one exit each,
 * before the guest runs again.
 *
 * An instruction the emulator does not know ends in KVM_EXIT_INTERNAL_ERROR with
 * KVM_INTERNAL_ERROR_EMULATION and its bytes (api.rst "KVM_EXIT_INTERNAL_ERROR"), and #UD is
 * queued for the guest, as Linux KVM does; at CPL > 0 the guest only gets the #UD. With
 * KVM_CAP_EXIT_ON_EMULATION_FAILURE every failure exits and nothing is queued.
 */
#include <linux/mm.h>
#include <asm/fpu/api.h>

#include "emulate.h"
#include "x86.h"
#include "kvm_trace.h"

#define PFERR_WRITE	BIT(1)
#define PFERR_USER	BIT(2)
#define PFERR_FETCH	BIT(4)
#define DR6_BS		BIT(14)		/* single step (SDM 17.2.3) */
#define DR6_FIXED_1	0xffff0ff0ULL	/* bits that read as 1 */

/* the context is the vCPU's (kvm_mmio_state.ctxt) */
static struct kvm_vcpu *emul_vcpu(struct x86emul_ctxt *ctxt)
{
	return container_of(ctxt, struct kvm_vcpu, arch.mmio.ctxt);
}

/* linear -> guest-physical; a failed walk becomes the #PF the instruction raises */
static int emul_translate(struct x86emul_ctxt *ctxt, u64 linear, unsigned int access, u64 *gpa)
{
	struct kvm_vcpu *vcpu = emul_vcpu(ctxt);
	struct kvm_mmio_state *st = &vcpu->arch.mmio;
	u64 page = linear & PAGE_MASK;
	u32 pf_error;
	int i;

	access |= st->user;
	if (st->cache_valid) {
		for (i = 0; i < st->nr_xlat; i++) {
			if (st->xlat[i].linear_page == page && st->xlat[i].access == access) {
				*gpa = st->xlat[i].gpa_page | offset_in_page(linear);
				return X86EMUL_CONTINUE;
			}
		}
	}
	if (!(access & PFERR_FETCH) && st->fault_gpa_valid && !ctxt->two_mem_operands &&
	    offset_in_page(linear) == offset_in_page(st->fault_gpa)) {
		*gpa = st->fault_gpa;
		goto record;
	}
	if (!kvm_gva_to_gpa(vcpu, linear, access, gpa, &pf_error))
		goto record;
	ctxt->exception.vector = PF_VECTOR;
	ctxt->exception.error_code_valid = true;
	ctxt->exception.error_code = pf_error;
	ctxt->exception.address = linear;
	return X86EMUL_EXCEPTION;
record:
	if (st->nr_xlat < KVM_MMIO_MAX_XLAT) {
		st->xlat[st->nr_xlat].linear_page = page;
		st->xlat[st->nr_xlat].gpa_page = *gpa & PAGE_MASK;
		st->xlat[st->nr_xlat++].access = access;
	}
	return X86EMUL_CONTINUE;
}

static unsigned int page_rest(u64 addr, unsigned int len)
{
	return min_t(unsigned int, len, PAGE_SIZE - offset_in_page(addr));
}

/* only the first run fetches: a resumed instruction is not decoded again */
static int emul_fetch(struct x86emul_ctxt *ctxt, u64 linear, void *buf, unsigned int len)
{
	unsigned int done, n;
	u64 gpa;
	int r;

	for (done = 0; done < len; done += n) {
		n = page_rest(linear + done, len - done);
		r = emul_translate(ctxt, linear + done, PFERR_FETCH, &gpa);
		if (r)
			return r;
		/* code in device memory: not something a VMM can answer (as Linux KVM) */
		if (kvm_read_guest(emul_vcpu(ctxt)->kvm, gpa, buf + done, n))
			return X86EMUL_UNHANDLEABLE;
	}
	return X86EMUL_CONTINUE;
}

/*
 * Is gpa (a page the instruction accesses) known to be device memory without a lookup: the
 * page that faulted for want of a slot, or the one of the next logged read.
 */
static bool known_device(struct kvm_vcpu *vcpu, u64 gpa, bool write)
{
	const struct kvm_mmio_state *st = &vcpu->arch.mmio;

	if (st->fault_gpa_valid && st->fault_no_slot &&
	    (gpa & PAGE_MASK) == (st->fault_gpa & PAGE_MASK))
		return true;
	return !write && st->read_pos < st->nr_reads &&
	       (gpa & PAGE_MASK) == (st->reads[st->read_pos].gpa & PAGE_MASK);
}

/* One piece of device read: from the log when it was answered before, else ask userspace. */
static int mmio_read_piece(struct kvm_vcpu *vcpu, u64 gpa, void *buf, unsigned int len)
{
	struct kvm_mmio_state *st = &vcpu->arch.mmio;
	struct kvm_mmio_piece *p;
	unsigned int i = st->read_pos++;

	if (i >= KVM_MMIO_MAX_PIECES)
		return X86EMUL_UNHANDLEABLE;
	p = &st->reads[i];
	if (i < st->nr_reads) {
		if (p->gpa == gpa && p->len == len) {
			memcpy(buf, p->data, len);
			return X86EMUL_CONTINUE;
		}
		/* the guest's page tables changed under the instruction: ask again from here */
		st->nr_reads = i;
	}
	p->gpa = gpa;
	p->len = len;
	/*
	 * An in-kernel device answers at once; its answer is logged like userspace's, so a
	 * run of the instruction that later exits for another piece does not read it twice.
	 */
	if (kvm_io_read_in_kernel(vcpu, false, gpa, len, p->data)) {
		st->nr_reads = i + 1;
		memcpy(buf, p->data, len);
		return X86EMUL_CONTINUE;
	}
	st->read_pending = true;
	return X86EMUL_IO_NEEDED;
}

static int emul_read(struct x86emul_ctxt *ctxt, u64 linear, void *buf, unsigned int len)
{
	struct kvm_vcpu *vcpu = emul_vcpu(ctxt);
	unsigned int done, n, k;
	u64 gpa;
	int r;

	for (done = 0; done < len; done += n) {
		n = page_rest(linear + done, len - done);
		r = emul_translate(ctxt, linear + done, 0, &gpa);
		if (r)
			return r;
		if (!known_device(vcpu, gpa, false) &&
		    !kvm_read_guest(vcpu->kvm, gpa, buf + done, n))
			continue;
		for (k = 0; k < n; k += 8) {
			r = mmio_read_piece(vcpu, gpa + k, buf + done + k, min(8u, n - k));
			if (r)
				return r;
		}
	}
	return X86EMUL_CONTINUE;
}

static int mmio_queue_write(struct kvm_vcpu *vcpu, u64 gpa, const void *buf, unsigned int len)
{
	struct kvm_mmio_state *st = &vcpu->arch.mmio;
	struct kvm_mmio_piece *p;

	if (st->nr_writes >= KVM_MMIO_MAX_WRITES)
		return X86EMUL_UNHANDLEABLE;
	p = &st->writes[st->nr_writes++];
	p->gpa = gpa;
	p->len = len;
	memcpy(p->data, buf, len);
	return X86EMUL_CONTINUE;
}

/* The last op of an instruction: translate every page first, so a #PF changes nothing. */
static int emul_write(struct x86emul_ctxt *ctxt, u64 linear, const void *buf, unsigned int len)
{
	struct kvm_vcpu *vcpu = emul_vcpu(ctxt);
	u64 gpa[2];
	unsigned int done, n, k, i;
	int r;

	for (done = 0, i = 0; done < len; done += n, i++) {
		n = page_rest(linear + done, len - done);
		r = emul_translate(ctxt, linear + done, PFERR_WRITE, &gpa[i]);
		if (r)
			return r;
	}
	for (done = 0, i = 0; done < len; done += n, i++) {
		n = page_rest(linear + done, len - done);
		/* RAM (not a read-only slot: kvm_write_guest refuses those) */
		if (!known_device(vcpu, gpa[i], true) &&
		    !kvm_write_guest(vcpu->kvm, gpa[i], buf + done, n))
			continue;
		/*
		 * Device memory: 8-byte pieces go to the kernel's handlers (ioeventfd, coalesced
		 * ring) until one is not theirs; from there the rest of the page goes to userspace,
		 * as Linux KVM does (a device that got part of a write gets all of it).
		 */
		for (k = 0; k < n; k += 8) {
			if (kvm_io_write_in_kernel(vcpu, false, gpa[i] + k, min(8u, n - k),
						   buf + done + k))
				continue;
			for (; k < n; k += 8) {
				r = mmio_queue_write(vcpu, gpa[i] + k, buf + done + k,
						     min(8u, n - k));
				if (r)
					return r;
			}
		}
	}
	return X86EMUL_CONTINUE;
}

/*
 * The vector registers hold the guest's values while KVM_RUN runs (the guest FPU state is
 * loaded for the whole ioctl, run.c), unless a context switch saved them: load them back.
 * A legacy-SSE move writes XMM and keeps bits 255:128, a VEX one zeroes what is above its
 * width (SDM vol. 1, 14.1.2): the CPU's own moves do exactly that.
 */
#define XMM_CASE(n, insn, ptr) case n: asm volatile(insn : : "r"(ptr) : "memory"); break
#define VREG_SWITCH(idx, fmt_from, fmt_to, ptr)						\
	switch (idx) {									\
	XMM_CASE(0, fmt_from "0" fmt_to, ptr);  XMM_CASE(1, fmt_from "1" fmt_to, ptr);	\
	XMM_CASE(2, fmt_from "2" fmt_to, ptr);  XMM_CASE(3, fmt_from "3" fmt_to, ptr);	\
	XMM_CASE(4, fmt_from "4" fmt_to, ptr);  XMM_CASE(5, fmt_from "5" fmt_to, ptr);	\
	XMM_CASE(6, fmt_from "6" fmt_to, ptr);  XMM_CASE(7, fmt_from "7" fmt_to, ptr);	\
	XMM_CASE(8, fmt_from "8" fmt_to, ptr);  XMM_CASE(9, fmt_from "9" fmt_to, ptr);	\
	XMM_CASE(10, fmt_from "10" fmt_to, ptr); XMM_CASE(11, fmt_from "11" fmt_to, ptr); \
	XMM_CASE(12, fmt_from "12" fmt_to, ptr); XMM_CASE(13, fmt_from "13" fmt_to, ptr); \
	XMM_CASE(14, fmt_from "14" fmt_to, ptr); XMM_CASE(15, fmt_from "15" fmt_to, ptr); \
	}

static void vreg_lock(void)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

static void emul_get_vreg(struct x86emul_ctxt *ctxt, int idx, void *buf, unsigned int len)
{
	vreg_lock();
	if (len == 32)
		VREG_SWITCH(idx, "vmovdqu %%ymm", ", (%0)", buf)
	else
		VREG_SWITCH(idx, "movdqu %%xmm", ", (%0)", buf)
	fpregs_unlock();
}

static void emul_set_vreg(struct x86emul_ctxt *ctxt, int idx, const void *buf, unsigned int len)
{
	vreg_lock();
	if (len == 32)
		VREG_SWITCH(idx, "vmovdqu (%0), %%ymm", "", buf)
	else
		VREG_SWITCH(idx, "movdqu (%0), %%xmm", "", buf)
	fpregs_unlock();
}

/* read only by MOV r/m, Sreg: not worth a segment read for every emulated instruction */
static u16 emul_get_sel(struct x86emul_ctxt *ctxt, int seg)
{
	struct kvm_segment s;

	kvm_x86_vendor->get_segment(emul_vcpu(ctxt), &s, seg);
	return s.selector;
}

static int emul_set_cr0(struct x86emul_ctxt *ctxt, u64 val)
{
	if (!kvm_set_cr0(emul_vcpu(ctxt), val))
		return X86EMUL_CONTINUE;
	ctxt->exception.vector = GP_VECTOR;
	ctxt->exception.error_code_valid = true;
	ctxt->exception.error_code = 0;
	return X86EMUL_EXCEPTION;
}

/* OUTS: the port write goes out after the instruction completed (mmio_flush_writes) */
static int emul_pio_out(struct x86emul_ctxt *ctxt, u16 port, unsigned int size, u32 val)
{
	struct kvm_mmio_state *st = &emul_vcpu(ctxt)->arch.mmio;

	st->pio_out.pending = true;
	st->pio_out.port = port;
	st->pio_out.size = size;
	st->pio_out.data = val;
	return X86EMUL_CONTINUE;
}

static const struct x86emul_ops mmio_emul_ops = {
	.fetch = emul_fetch,
	.get_sel = emul_get_sel,
	.read = emul_read,
	.write = emul_write,
	.get_vreg = emul_get_vreg,
	.set_vreg = emul_set_vreg,
	.set_cr0 = emul_set_cr0,
	.pio_out = emul_pio_out,
};

/* the general registers and RFLAGS the instruction runs from (again when it resumes) */
static void emul_load_regs(struct kvm_vcpu *vcpu, struct x86emul_ctxt *ctxt)
{
	int i;

	ctxt->rflags = kvm_get_rflags(vcpu);
	for (i = 0; i < X86EMUL_NR_REGS; i++)
		ctxt->regs[i] = vcpu->arch.regs[i];
}

static u64 emul_seg_base(struct kvm_vcpu *vcpu, int seg)
{
	struct kvm_segment s;

	kvm_x86_vendor->get_segment(vcpu, &s, seg);
	return s.base;
}

/*
 * Outside 64-bit mode: every segment's base, limit and expand-down kind (a data segment,
 * type bit 2, in protected mode; SDM vol. 3A 3.4.5.1), for the emulator's limit checks.
 */
static void emul_seg_limits(struct kvm_vcpu *vcpu, struct x86emul_ctxt *ctxt)
{
	struct kvm_segment s;
	int seg;

	for (seg = VCPU_SREG_ES; seg <= VCPU_SREG_GS; seg++) {
		kvm_x86_vendor->get_segment(vcpu, &s, seg);
		ctxt->seg_base[seg] = s.base;
		ctxt->seg_limit[seg] = s.limit;
		ctxt->seg_down[seg] = 0;
		if (ctxt->mode != X86EMUL_MODE_REAL && ctxt->mode != X86EMUL_MODE_VM86 &&
		    s.s && (s.type & 0xc) == 0x4)
			ctxt->seg_down[seg] = s.db ? 2 : 1;
	}
}

/* the context of the instruction at RIP; x86emul_run() fills the rest */
static void emul_init(struct kvm_vcpu *vcpu)
{
	const struct kvm_x86_ops *ops = kvm_x86_vendor;
	struct kvm_mmio_state *st = &vcpu->arch.mmio;
	struct x86emul_ctxt *ctxt = &st->ctxt;
	struct kvm_segment cs, ss;

	ctxt->ops = &mmio_emul_ops;
	ctxt->priv = NULL;
	ctxt->cr0 = ops->get_cr(vcpu, 0);
	ctxt->cr4 = ops->get_cr(vcpu, 4);
	ctxt->xcr0 = vcpu->arch.xcr0;
	ctxt->rip = vcpu->arch.regs[VCPU_REGS_RIP];
	memset(&ctxt->exception, 0, sizeof(ctxt->exception));
	emul_load_regs(vcpu, ctxt);
	/* emulate.h numbers ES CS SS DS FS GS, as enum kvm_sreg does */
	ops->get_segment(vcpu, &cs, VCPU_SREG_CS);
	ops->get_segment(vcpu, &ss, VCPU_SREG_SS);
	ctxt->ss_big = ss.db;
	if (!(ctxt->cr0 & X86_CR0_PE))
		ctxt->mode = X86EMUL_MODE_REAL;
	else if (ctxt->rflags & X86_EFLAGS_VM)
		ctxt->mode = X86EMUL_MODE_VM86;
	else if ((ops->get_efer(vcpu) & EFER_LMA) && cs.l)
		ctxt->mode = X86EMUL_MODE_PROT64;
	else
		ctxt->mode = cs.db ? X86EMUL_MODE_PROT32 : X86EMUL_MODE_PROT16;
	ctxt->seg_base[VCPU_SREG_CS] = cs.base;
	ctxt->seg_base[VCPU_SREG_SS] = ss.base;
	/* 64-bit mode adds only FS's and GS's base (emulate.h): ES's and DS's go unread */
	ctxt->seg_checks = ctxt->mode != X86EMUL_MODE_PROT64;
	if (ctxt->mode == X86EMUL_MODE_PROT64) {
		ctxt->seg_base[VCPU_SREG_FS] = emul_seg_base(vcpu, VCPU_SREG_FS);
		ctxt->seg_base[VCPU_SREG_GS] = emul_seg_base(vcpu, VCPU_SREG_GS);
		ctxt->seg_base[VCPU_SREG_ES] = ctxt->seg_base[VCPU_SREG_DS] = 0;
	} else {
		emul_seg_limits(vcpu, ctxt);
	}
	/* the CPL is SS.DPL (SDM 5.5; VM86: 3); real mode is 0 whatever the descriptor says */
	st->user = 0;
	if (ctxt->mode == X86EMUL_MODE_VM86 ||
	    (ctxt->mode != X86EMUL_MODE_REAL && ss.dpl == 3))
		st->user = PFERR_USER;
	st->tf = (ctxt->rflags & X86_EFLAGS_TF) ||
		 (vcpu->arch.guest_debug & KVM_GUESTDBG_SINGLESTEP);
}

/* api.rst "KVM_EXIT_INTERNAL_ERROR": the emulation-failure layout, with the bytes fetched */
static int mmio_emulation_failed(struct kvm_vcpu *vcpu)
{
	const struct x86emul_ctxt *ctxt = &vcpu->arch.mmio.ctxt;
	struct kvm_run *run = vcpu->run;
	u64 info[5] = { 0 };

	kvm_stat_inc(vcpu->arch.stat.insn_emulation_fail);
	vcpu->arch.mmio.nr_reads = 0;
	/*
	 * api.rst 7.27 KVM_CAP_EXIT_ON_EMULATION_FAILURE: every failure exits, at any CPL, and
	 * the guest gets no #UD: userspace decides (Linux 6.12's
	 * exit_on_emulation_failure_test skips the instruction and resumes).
	 */
	if (!READ_ONCE(vcpu->kvm->arch.exit_on_emulation_error)) {
		kvm_queue_exception(vcpu, UD_VECTOR, false, 0);
		if (vcpu->arch.mmio.user)
			return 1;
	}
	kvm_x86_vendor->get_exit_info(vcpu, info);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.flags = 0;
	if (ctxt->insn_len) {
		run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
		run->emulation_failure.insn_size = ctxt->insn_len;
		memset(run->emulation_failure.insn_bytes, 0x90,
		       sizeof(run->emulation_failure.insn_bytes));
		memcpy(run->emulation_failure.insn_bytes, ctxt->insn, ctxt->insn_len);
	}
	/* data[0] flags, data[1-2] the bytes, data[3-7] the exit that led here */
	memcpy(&run->internal.data[3], info, sizeof(info));
	run->emulation_failure.ndata = 3 + ARRAY_SIZE(info);
	return 0;
}

static void mmio_exit(struct kvm_vcpu *vcpu, const struct kvm_mmio_piece *p, bool write)
{
	struct kvm_run *run = vcpu->run;

	kvm_stat_inc(vcpu->arch.stat.mmio_exits);
	trace_kvm_mmio(write ? KVM_TRACE_MMIO_WRITE : KVM_TRACE_MMIO_READ_UNSATISFIED, p->len,
		       p->gpa, write ? p->data : NULL);
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = p->gpa;
	run->mmio.len = p->len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, p->data, p->len);
}

/* A single-step trap after an emulated instruction (SDM 17.3.1.4): the guest's, or ours. */
static int mmio_single_step(struct kvm_vcpu *vcpu)
{
	if (vcpu->arch.guest_debug & KVM_GUESTDBG_SINGLESTEP)
		return kvm_exit_debug(vcpu, DB_VECTOR, DR6_FIXED_1 | DR6_BS);
	kvm_x86_vendor->set_dr(vcpu, 6, kvm_x86_vendor->get_dr(vcpu, 6) | DR6_BS);
	kvm_queue_exception(vcpu, DB_VECTOR, false, 0);
	return 1;
}

/* Hand the completed instruction's writes out: 1 when all are out, 0 with an exit. */
static int mmio_flush_writes(struct kvm_vcpu *vcpu)
{
	struct kvm_mmio_state *st = &vcpu->arch.mmio;

	if (st->write_pos < st->nr_writes) {
		mmio_exit(vcpu, &st->writes[st->write_pos++], true);
		return 0;
	}
	st->nr_writes = st->write_pos = 0;
	if (st->pio_out.pending) {
		st->pio_out.pending = false;
		/* the exit for the OUT, or 1 when a device in the kernel took it */
		if (!kvm_pio_out(vcpu, st->pio_out.port, st->pio_out.size, &st->pio_out.data))
			return 0;
	}
	if (st->trap_after) {
		st->trap_after = false;
		return mmio_single_step(vcpu);
	}
	return 1;
}

/*
 * Run the instruction at RIP (resume: the one decoded before, whose read userspace just
 * answered). 1 to enter the guest, 0 with an exit to userspace.
 */
static int mmio_emulate(struct kvm_vcpu *vcpu, bool resume)
{
	struct kvm_mmio_state *st = &vcpu->arch.mmio;
	struct x86emul_ctxt *ctxt = &st->ctxt;
	int i, r;

	st->read_pos = 0;
	st->read_pending = false;
	st->nr_writes = st->write_pos = 0;
	st->pio_out.pending = false;
	if (resume) {
		emul_load_regs(vcpu, ctxt);
		r = x86emul_resume(ctxt);
	} else {
		emul_init(vcpu);
		st->nr_xlat = 0;
		r = x86emul_run(ctxt);
	}
	if (r == X86EMUL_IO_NEEDED) {
		/* the next KVM_RUN resumes this instruction with the data */
		st->nr_writes = 0;
		st->pio_out.pending = false;
		st->cache_valid = true;
		mmio_exit(vcpu, &st->reads[st->nr_reads], false);
		return 0;
	}
	/* the instruction is over, one way or another */
	st->cache_valid = false;
	st->fault_gpa_valid = false;
	switch (r) {
	case X86EMUL_CONTINUE:
		break;
	case X86EMUL_EXCEPTION:
		st->nr_reads = st->nr_writes = 0;
		st->pio_out.pending = false;
		if (ctxt->exception.vector == PF_VECTOR)
			kvm_x86_vendor->set_cr(vcpu, 2, ctxt->exception.address);
		kvm_queue_exception(vcpu, ctxt->exception.vector,
				    ctxt->exception.error_code_valid, ctxt->exception.error_code);
		return 1;
	default:
		st->nr_writes = 0;
		st->pio_out.pending = false;
		return mmio_emulation_failed(vcpu);
	}

	/* completed: the guest's state moves on */
	st->nr_reads = 0;
	for (i = 0; i < X86EMUL_NR_REGS; i++)
		vcpu->arch.regs[i] = ctxt->regs[i];
	vcpu->arch.regs[VCPU_REGS_RIP] = ctxt->rip;
	kvm_set_rflags(vcpu, ctxt->rflags);
	/* an STI / MOV SS shadow covered this instruction and ends with it */
	kvm_x86_vendor->set_interrupt_shadow(vcpu, 0);
	st->trap_after = st->tf;
	return mmio_flush_writes(vcpu);
}

/*
 * A nested page fault at gpa that no slot backs (or a write to a read-only slot). A fault
 * while the CPU walked the guest's own page tables (TDP_FAULT_PT_WALK) cannot be emulated:
 * page tables in device memory.
 */
int kvm_mmio_fault(struct kvm_vcpu *vcpu, u64 gpa, u64 error_code, bool no_slot)
{
	const struct kvm_vcpu_event_state *ev = &vcpu->arch.events;
	struct kvm_mmio_state *st = &vcpu->arch.mmio;

	if (error_code & TDP_FAULT_PT_WALK)
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION, gpa);
	/*
	 * The exit cut short the delivery of an event (kvm_event_interrupted() ran): the CPU
	 * was reading the IDT or pushing onto the stack, not running the instruction at RIP.
	 */
	if (ev->exception.injected || ev->interrupt.injected || ev->nmi_injected)
		return kvm_exit_internal_error(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV, gpa);
	st->nr_reads = 0;
	st->cache_valid = false;
	st->fault_gpa = gpa;
	st->fault_gpa_valid = !(error_code & TDP_FAULT_FETCH);
	st->fault_no_slot = no_slot;
	kvm_stat_inc(vcpu->arch.stat.insn_emulation);
	return mmio_emulate(vcpu, false);
}

/*
 * An intercepted instruction the emulator runs (the CR0 writes: svm_exit_write_cr0), its
 * memory operand wherever it is: RAM, or a device through MMIO exits like any other.
 */
int kvm_emulate_at_rip(struct kvm_vcpu *vcpu)
{
	struct kvm_mmio_state *st = &vcpu->arch.mmio;

	st->nr_reads = 0;
	st->cache_valid = false;
	st->fault_gpa_valid = false;
	kvm_stat_inc(vcpu->arch.stat.insn_emulation);
	return mmio_emulate(vcpu, false);
}
EXPORT_SYMBOL_GPL(kvm_emulate_at_rip);

/*
 * Store len bytes at guest-linear address linear for an instruction the host completes
 * outside the emulator (INS, pio.c), as the guest's CPL would: RAM through the memslots,
 * device memory queued as MMIO writes (8-byte pieces within a page) after those queued
 * before, which kvm_mmio_flush() then hands out one exit each. Both pages are translated first: on a
 * fault nothing is written, the #PF is queued and false returned.
 */
bool kvm_write_linear(struct kvm_vcpu *vcpu, u64 linear, const void *buf, unsigned int len)
{
	struct kvm_mmio_state *st = &vcpu->arch.mmio;
	struct x86emul_ctxt *ctxt = &st->ctxt;
	struct kvm_segment ss;
	int r;

	kvm_x86_vendor->get_segment(vcpu, &ss, VCPU_SREG_SS);
	st->user = 0;
	if ((kvm_get_rflags(vcpu) & X86_EFLAGS_VM) ||
	    ((kvm_x86_vendor->get_cr(vcpu, 0) & X86_CR0_PE) && ss.dpl == 3))
		st->user = PFERR_USER;
	st->cache_valid = false;
	st->fault_gpa_valid = false;
	st->nr_xlat = 0;
	memset(&ctxt->exception, 0, sizeof(ctxt->exception));
	/* emul_write() takes at most two pages: an INS batch is at most KVM_PIO_BATCH bytes */
	r = len <= KVM_PIO_BATCH ? emul_write(ctxt, linear, buf, len) : X86EMUL_UNHANDLEABLE;
	if (r == X86EMUL_CONTINUE)
		return true;
	st->nr_writes = 0;	/* all or nothing: the earlier pieces of the batch too */
	if (r == X86EMUL_EXCEPTION) {
		kvm_x86_vendor->set_cr(vcpu, 2, ctxt->exception.address);
		kvm_queue_exception(vcpu, PF_VECTOR, true, ctxt->exception.error_code);
	} else {
		kvm_queue_exception(vcpu, GP_VECTOR, true, 0);	/* cannot happen: sized */
	}
	return false;
}

/* the MMIO writes kvm_write_linear() queued: 1 when none is left, 0 with the next exit */
int kvm_mmio_flush(struct kvm_vcpu *vcpu)
{
	return mmio_flush_writes(vcpu);
}

/* At the start of KVM_RUN: finish what the last MMIO exit left. 1 to go on, 0 to exit again. */
int kvm_complete_mmio(struct kvm_vcpu *vcpu)
{
	struct kvm_mmio_state *st = &vcpu->arch.mmio;

	if (st->read_pending) {
		struct kvm_mmio_piece *p = &st->reads[st->nr_reads++];

		memcpy(p->data, vcpu->run->mmio.data, p->len);
		trace_kvm_mmio(KVM_TRACE_MMIO_READ, p->len, p->gpa, p->data);
		st->read_pending = false;
		return mmio_emulate(vcpu, true);
	}
	if (st->write_pos < st->nr_writes || st->pio_out.pending || st->trap_after)
		return mmio_flush_writes(vcpu);
	return 1;
}
