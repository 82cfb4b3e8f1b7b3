// SPDX-License-Identifier: GPL-2.0-only
/* ucall over port I/O: the guest side (__ucall) and the host side. See ucall.h. */
#include <stdio.h>
#include <string.h>

#include "ucall.h"

_Static_assert(UCALL_OFF_ARG(0) == __builtin_offsetof(struct ucall, args), "ucall layout");
_Static_assert(UCALL_OFF_REPLY == __builtin_offsetof(struct ucall, reply), "ucall layout");

/* Guest code: no libc here, the guest has no TLS and no heap. */
uint64_t __ucall(uint64_t cmd, uint64_t nargs, const uint64_t *args)
{
	struct ucall uc;
	uint64_t i;

	uc.cmd = cmd;
	uc.nargs = nargs;
	for (i = 0; i < UCALL_MAX_ARGS; i++)
		uc.args[i] = i < nargs ? args[i] : 0;
	uc.reply = 0;
	/* "memory": the host reads uc during the exit and writes uc.reply */
	asm volatile("outl %%eax, %%dx"
		     : : "a"((uint32_t)(uint64_t)&uc), "d"((uint16_t)UCALL_PORT) : "memory");
	return uc.reply;
}

const char *ucall_name(uint64_t cmd)
{
	switch (cmd) {
	case UCALL_NONE: return "UCALL_NONE";
	case UCALL_SYNC: return "UCALL_SYNC";
	case UCALL_DONE: return "UCALL_DONE";
	case UCALL_ABORT: return "UCALL_ABORT";
	case UCALL_PRINTF: return "UCALL_PRINTF";
	case UCALL_UNHANDLED: return "UCALL_UNHANDLED";
	default: return "unknown ucall";
	}
}

uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	struct ucall tmp;
	uint32_t gva;

	if (!uc)
		uc = &tmp;
	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1)
		return UCALL_NONE;
	memcpy(&gva, vcpu_io_data(vcpu), sizeof(gva));
	memcpy(uc, addr_gva2hva(vcpu->vm, gva), offsetof(struct ucall, gva));
	uc->gva = gva;
	TEST_ASSERT(uc->nargs <= UCALL_MAX_ARGS, "guest ucall %llu with %llu args",
		    (unsigned long long)uc->cmd, (unsigned long long)uc->nargs);
	return uc->cmd;
}

void ucall_reply(struct kvm_vcpu *vcpu, const struct ucall *uc, uint64_t value)
{
	uint64_t *reply = addr_gva2hva(vcpu->vm, uc->gva + UCALL_OFF_REPLY);

	*reply = value;
}

/* Copy a NUL-terminated string out of guest memory. */
static void guest_string(struct kvm_vcpu *vcpu, uint64_t gva, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		buf[i] = *(char *)addr_gva2hva(vcpu->vm, gva + i);
		if (!buf[i])
			return;
	}
	buf[i] = 0;
}

/*
 * Format a guest format string with the guest's values: one conversion at a time, each
 * value an integer, except %s, a guest string.
 */
static void format_guest(struct kvm_vcpu *vcpu, uint64_t fmt_gva, const uint64_t *vals,
			 int nvals, char *out, size_t len)
{
	char fmt[256], spec[32], str[256];
	size_t n = 0, f = 0, s;
	int v = 0;

	guest_string(vcpu, fmt_gva, fmt, sizeof(fmt));
	out[0] = 0;
	while (fmt[f] && n + 1 < len) {
		if (fmt[f] != '%' || fmt[f + 1] == '%') {
			out[n++] = fmt[f];
			f += fmt[f] == '%' ? 2 : 1;
			continue;
		}
		/* copy the conversion spec: flags, width, precision, length, conversion */
		for (s = 0; fmt[f] && s + 2 < sizeof(spec); f++) {
			spec[s++] = fmt[f];
			if (s > 1 && strchr("diouxXcsp", fmt[f]))
				break;
		}
		if (fmt[f])
			f++;
		spec[s] = 0;
		if (v >= nvals) {
			n += snprintf(out + n, len - n, "%s(missing)", spec);
		} else if (spec[s - 1] == 's') {
			guest_string(vcpu, vals[v++], str, sizeof(str));
			n += snprintf(out + n, len - n, "%s", str);
		} else if (spec[s - 1] == 'c') {
			n += snprintf(out + n, len - n, "%c", (int)vals[v++]);
		} else {
			/* every integer conversion as a 64-bit one, %p as %#llx */
			char conv = spec[s - 1], *p = spec + 1;
			char flags[16];
			size_t k = 0;

			while (*p && !strchr("hlLqjzt", *p) && *p != conv && k + 4 < sizeof(flags))
				flags[k++] = *p++;
			flags[k] = 0;
			snprintf(spec, sizeof(spec), "%%%s%sll%c", flags, conv == 'p' ? "#" : "",
				 conv == 'p' ? 'x' : conv);
			n += snprintf(out + n, len - n, spec, (unsigned long long)vals[v++]);
		}
		if (n >= len)
			n = len - 1;
	}
	out[n] = 0;
}

static void __attribute__((noreturn)) report_guest_abort(struct kvm_vcpu *vcpu,
							 const struct ucall *uc)
{
	char file[128], expr[256], msg[512], what[300];

	guest_string(vcpu, uc->args[0], file, sizeof(file));
	guest_string(vcpu, uc->args[2], expr, sizeof(expr));
	format_guest(vcpu, uc->args[3], &uc->args[4], uc->nargs > 4 ? uc->nargs - 4 : 0,
		     msg, sizeof(msg));
	snprintf(what, sizeof(what), "guest (vCPU %d): %s", vcpu->id, expr);
	test_assert_fail(file, (int)uc->args[1], what, "%s", msg);
}

static void print_guest(struct kvm_vcpu *vcpu, const struct ucall *uc)
{
	char msg[512];

	format_guest(vcpu, uc->args[0], &uc->args[1], uc->nargs > 1 ? uc->nargs - 1 : 0,
		     msg, sizeof(msg));
	ksft_print_msg("guest (vCPU %d): %s", vcpu->id, msg);
}

uint64_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct ucall tmp;
	uint64_t cmd;
	char buf[256];

	if (!uc)
		uc = &tmp;
	for (;;) {
		vcpu_run(vcpu);
		cmd = get_ucall(vcpu, uc);
		TEST_ASSERT(cmd != UCALL_NONE, "expected a ucall (out to port %#x), got: %s",
			    UCALL_PORT, vcpu_exit_str(vcpu, buf, sizeof(buf)));
		if (cmd == UCALL_ABORT)
			report_guest_abort(vcpu, uc);
		if (cmd != UCALL_PRINTF)
			return cmd;
		print_guest(vcpu, uc);
	}
}

void vcpu_run_exit(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_ABORT:
			report_guest_abort(vcpu, &uc);
		case UCALL_PRINTF:
			print_guest(vcpu, &uc);
			continue;
		default:
			return;
		}
	}
}

void __vcpu_run_expect_ucall(struct kvm_vcpu *vcpu, uint64_t cmd, struct ucall *uc,
			     const char *name, const char *file, int line)
{
	struct ucall tmp;
	uint64_t got;

	if (!uc)
		uc = &tmp;
	got = vcpu_run_ucall(vcpu, uc);
	if (got == cmd)
		return;
	if (got == UCALL_UNHANDLED)
		test_assert_fail(file, line, name,
				 "expected %s from vCPU %d, but the guest took exception %llu "
				 "(error code %#llx) at rip %#llx, cr2 %#llx",
				 ucall_name(cmd), vcpu->id, (unsigned long long)uc->args[0],
				 (unsigned long long)uc->args[1], (unsigned long long)uc->args[2],
				 (unsigned long long)uc->args[3]);
	test_assert_fail(file, line, name,
			 "expected %s from vCPU %d, got %s (%llu) with args %#llx %#llx %#llx",
			 ucall_name(cmd), vcpu->id, ucall_name(got), (unsigned long long)got,
			 (unsigned long long)uc->args[0], (unsigned long long)uc->args[1],
			 (unsigned long long)uc->args[2]);
}
