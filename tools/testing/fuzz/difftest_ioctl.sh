#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# difftest_ioctl: the same deterministic ioctl sequence (kvm_ioctl_fuzz --sequence) on our
# modules and on the stock in-tree ones, in the same emulated host (vmtest --kvm both); the
# two transcripts must match line for line, except for the triaged differences in ALLOW_RE
# below (one extended regex per line, matched against the pair "OURS ||| STOCK"; each with
# its reason in a comment above it). The differing lines go to stdout (the first 20 a seed).
#
# ./fuzz.conf (sh, optional): DIFF_SEEDS (default "1 2 3"), DIFF_CALLS (calls per seed,
# default 3000). Busybox sh: POSIX only.
#
# Open (not allowlisted, so this test fails until they are fixed or triaged; as of the
# first runs, seeds 1-3 x 3000 calls: 677 differing calls, 350 allowlisted; run again
# later: 648 differing, 340 allowlisted, 308 open). Most of the rest are knock-on
# differences of a few first ones:
#  - KVM_RUN from odd states: a real-mode RIP beyond CS.limit (stock delivers #GP, ours
#    reports an emulation failure); guest state VMRUN refuses (stock KVM_EXIT_FAIL_ENTRY
#    0xffffffff, ours an internal error);
#  - MSRs: counts from KVM_GET/SET_MSRS where one module knows an MSR the other does not
#    (host access to SPEC_CTRL, TSC_RATIO, Hyper-V's, ARCH_CAPABILITIES); feature MSRs
#    (ARCH_CAPABILITIES missing on ours). The MSRs a guest touches follow stock's rules
#    since msr_test (VM_CR, VM_HSAVE_PA, DEBUGCTL, TSC_DEADLINE, TSC_ADJUST, P5_MC_*, MTRRs,
#    HWCR, DE_CFG, PATCH_LEVEL from the host, PLATFORM_INFO, TSC_AUX, SYSENTER_ESP/EIP);
#  - KVM_SET_LAPIC read back: stock keeps the register page as given (TPR's upper bits,
#    PPR), ours applies the register semantics (TPR 8 bits, PPR from TPR/ISR, LVT masks);
#  - KVM_SET_FPU with reserved MXCSR bits, KVM_SET_DEBUGREGS (ours reads DR6/DR7 back with
#    the fixed bits applied, stock as given), KVM_SET_XSAVE acceptance;
#  - KVM_SIGNAL_MSI's result: stock -1 (EPERM) when no APIC matches, 0 when blocked.
# Triage with kvm_ioctl_fuzz --sequence --verbose --seed S --calls N on both modules
# (vmtest --kvm both --run ...): it prints the words behind each hash.

DIFF_SEEDS="1 2 3"
DIFF_CALLS=3000
[ -r ./fuzz.conf ] && . ./fuzz.conf

FUZZ=./kvm_ioctl_fuzz
[ -x "$FUZZ" ] || FUZZ=kvm_ioctl_fuzz
OUT=/tmp/difftest_ioctl
mkdir -p $OUT

if [ -z "$VMTEST_LOAD_OURS" ] || [ -z "$VMTEST_LOAD_STOCK" ]; then
	echo "SKIP: needs vmtest --kvm both (VMTEST_LOAD_OURS and VMTEST_LOAD_STOCK)"
	exit 4
fi

load() {
	for ko in $1; do
		insmod "$ko" || { echo "FAIL: insmod $ko"; return 1; }
	done
}

unload() {
	i=0
	while ! rmmod $1 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge 10 ] && { echo "FAIL: rmmod $1"; return 1; }
		sleep 1
	done
}

# Triaged differences: one extended regex per line, matched against "OURS ||| STOCK" (the
# two lines of one call), each with its reason above it. Keep it short: anything else fails.
ALLOW_RE=$(awk '!/^#/ && NF { printf "%s%s", sep, $0; sep = "|" }' <<'ALLOW'
# Capabilities stock offers that we do not implement (Documentation/api-coverage.md): ours
# answers 0. The reverse (a capability only we report) is not allowed.
KVM_CHECK_EXTENSION cap=0x[0-9a-f]+ -> 0 [|]{3} .*KVM_CHECK_EXTENSION cap=0x[0-9a-f]+ -> [1-9][0-9]*$
# KVM_ENABLE_CAP of a capability we do not offer (CHECK_EXTENSION 0 on ours): EINVAL.
# 123 HYPERV_SYNIC, 192 DIRTY_LOG_RING, 193 X86_BUS_LOCK_EXIT, 196 SGX_ATTRIBUTE,
# 197 VM_COPY_ENC_CONTEXT_FROM, 201 EXIT_HYPERCALL, 212 PMU_CAPABILITY.
KVM_ENABLE_CAP cap=(123|192|193|196|197|201|212) .*-> -1 EINVAL [|]{3} .*KVM_ENABLE_CAP
# Memslots in address space 1 (slot 0x1nnnn): stock has two address spaces for SMM
# (KVM_CAP_MULTI_ADDRESS_SPACE 2), ours one (no SMM; the capability is not reported): EINVAL.
slot=0x1[0-9a-f]{4} .*-> -1 EINVAL [|]{3} .*slot=0x1[0-9a-f]{4} .*-> (0|-1 [A-Z0-9]+)$
# KVM_RUN ending in ENOSPC on stock: its shadow-page budget (KVM_SET_NR_MMU_PAGES) ran out;
# ours keeps the number but its nested page tables have no such budget.
KVM_RUN .* [|]{3} .*KVM_RUN arg=0 -> -1 ENOSPC
# A nested page fault on device memory while an event was being delivered (IDT or stack
# in MMIO): ours reports KVM_INTERNAL_ERROR_DELIVERY_EV (arch/x86/kvm/mmio.c), stock on SVM
# tries to emulate and reports KVM_INTERNAL_ERROR_EMULATION. Both are internal errors.
KVM_RUN .*exit=17 suberror=3$ [|]{3} .*KVM_RUN .*exit=17 suberror=1$
# The CPUID bits and MSRs each module supports and saves/restores: what we implement, not
# ABI. E2BIG at a different nent/nmsrs follows from the lengths.
KVM_GET_SUPPORTED_CPUID .* [|]{3} .*KVM_GET_SUPPORTED_CPUID
KVM_GET_MSR_INDEX_LIST .* [|]{3} .*KVM_GET_MSR_INDEX_LIST
KVM_GET_MSR_FEATURE_INDEX_LIST .* [|]{3} .*KVM_GET_MSR_FEATURE_INDEX_LIST
# Not compared at all (normalized in kvm_ioctl_fuzz.c, seq_normalize()): a new vCPU's MXCSR
# (stock 6.1: 0; ours: 0x1f80, the RESET value), the exception payload stock echoes without
# KVM_VCPUEVENT_VALID_PAYLOAD, KVM_GET_CPUID2's nent on success (stock 6.1 leaves it as
# passed in). And before each KVM_RUN, RFLAGS.IF is set when an external interrupt is queued
# (seq_before_run()): stock injects it even with IF clear (SVM EVENTINJ), ours waits for the
# window (a virtual interrupt, chosen in arch/x86/kvm/svm/events.c: QEMU TCG mishandles
# EVENTINJ interrupts).
ALLOW
)

# run WHICH: every seed, one transcript per seed
run() {
	which=$1
	eval load \"\$VMTEST_LOAD_$2\" || exit 1
	for s in $DIFF_SEEDS; do
		if ! "$FUZZ" --sequence --seed "$s" --calls "$DIFF_CALLS" > $OUT/$which.$s 2>&1; then
			echo "FAIL: $which: kvm_ioctl_fuzz --sequence --seed $s exited with $?"
			tail -5 $OUT/$which.$s
			exit 1
		fi
	done
	eval unload \"\$VMTEST_UNLOAD_$2\" || exit 1
}

run ours OURS
run stock STOCK

fail=0
total=0
allowed=0
for s in $DIFF_SEEDS; do
	o=$OUT/ours.$s t=$OUT/stock.$s
	# every call prints one line on both sides: pair them by line number
	awk 'NR == FNR { a[FNR] = $0; n = FNR; next }
	     { if (a[FNR] != $0) printf "%s\t%s\n", a[FNR], $0; m = FNR }
	     END { for (i = m + 1; i <= n; i++) printf "%s\t(none)\n", a[i] }' $o $t > $OUT/diff.$s
	bad=0
	while IFS='	' read -r lo ls; do
		total=$((total + 1))
		if printf '%s ||| %s\n' "$lo" "$ls" | grep -Eq "$ALLOW_RE"; then
			allowed=$((allowed + 1))
			continue
		fi
		bad=$((bad + 1))
		if [ $bad -le 20 ]; then
			echo "seed $s:"
			echo "  ours:  $lo"
			echo "  stock: $ls"
		fi
	done < $OUT/diff.$s
	echo "# seed $s: $(wc -l < $o) lines, $(wc -l < $OUT/diff.$s) differ, $bad unexplained"
	[ $bad -gt 0 ] && fail=1
done
echo "# $total differing calls, $allowed allowlisted"
if [ $fail -ne 0 ]; then
	echo "FAIL: ours and stock differ (transcripts in $OUT)"
	exit 1
fi
echo "ok: difftest_ioctl"
exit 0
