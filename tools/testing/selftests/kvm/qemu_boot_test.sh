#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# qemu_boot_test: unmodified QEMU boots Linux on /dev/kvm, interrupt controller in userspace
# (issue 8, stage 1). Installed a second time as qemu_boot_stage2_test, which boots with
# QEMU's defaults instead: -cpu host -smp 2, in-kernel interrupt controller (stage 2).
#
# Debian's qemu-system-x86_64, staged in the emulated host by vmtest's nested QEMU bundle
# (tools/testing/vmtest/README.md), boots Debian's kernel with a busybox initramfs through
# SeaBIOS to userspace, where the guest's /init (tools/testing/vmtest/guest-init) prints a
# marker line and powers off. The boot itself, its checks and its diagnostics are the
# bundle's qemu-boot-guest (tools/testing/vmtest/qemu-boot-guest), which make run and make
# bench use too: passes when the marker shows on the guest's console and QEMU exits with
# status 0 (ACPI power-off) within the limit. Otherwise fails with the tail of the guest's
# console and QEMU's messages. QEMU is stopped early when the guest kernel panics or QEMU
# reports a KVM internal error or failed entry.
#
# Environment: QEMU_BOOT_LIMIT (seconds, default 150, at most VMTEST_TIMEOUT - 10), and
# qemu-boot-guest's QEMU_BOOT_APPEND (more guest kernel parameters, e.g. quiet) and
# QEMU_BOOT_ARGS (more QEMU arguments, for investigation: -d ..., -trace ...).
# Busybox sh: POSIX only.

BOOT=/usr/bin/qemu-boot-guest
case "${0##*/}" in
*stage2*) stage=2 ;;
*) stage=1 ;;
esac
LOG=/tmp/qemu_boot_test.stage$stage.console

limit=${QEMU_BOOT_LIMIT:-150}
if [ -n "${VMTEST_TIMEOUT:-}" ] && [ "$limit" -gt $((VMTEST_TIMEOUT - 10)) ]; then
	limit=$((VMTEST_TIMEOUT - 10))
fi
[ "$limit" -gt 0 ] || limit=1

echo "TAP version 13"
echo "1..1"
if [ ! -x "$BOOT" ]; then
	echo "# no $BOOT: the nested QEMU bundle is missing (vmtest stages it for the tests named in qemu.list, or with --qemu)"
	echo "not ok 1 qemu_boot stage $stage"
	exit 1
fi
report=$("$BOOT" --stage $stage --smp "${QEMU_BOOT_SMP:-1}" --limit "$limit" --log "$LOG")
rc=$?
printf '%s\n' "$report"
if [ "$rc" != 0 ]; then
	echo "not ok 1 qemu_boot stage $stage"
	exit 1
fi
secs=$(printf '%s\n' "$report" | sed -n 's/^# QEMU start to guest power-off: //p')
echo "ok 1 qemu_boot stage $stage # $secs"
exit 0
