#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# qemu_boot_test: unmodified QEMU boots Linux on /dev/kvm, interrupt controller in userspace
# (issue 8, stage 1).
#
# Debian's qemu-system-x86_64, staged in the emulated host by vmtest's nested QEMU bundle
# (tools/testing/vmtest/README.md), boots Debian's kernel with a busybox initramfs through
# SeaBIOS to userspace, where the guest's /init (tools/testing/vmtest/guest-init) prints a
# marker line and powers off. Passes when the marker shows on the guest's console and QEMU
# exits with status 0 (ACPI power-off) within the limit. Otherwise fails with the tail of the
# guest's console and QEMU's messages. QEMU is stopped early when the guest kernel panics or
# QEMU reports a KVM internal error or failed entry (it then pauses the VM and waits).
#
# Environment: QEMU_BOOT_LIMIT (seconds, default 150, at most VMTEST_TIMEOUT - 10),
# QEMU_BOOT_APPEND (more guest kernel parameters, e.g. quiet), QEMU_BOOT_ARGS (more QEMU
# arguments, for investigation: -d ..., -trace ...).
# Busybox sh: POSIX only.

QEMU=/usr/bin/qemu-system-x86_64
FIRMWARE=/qemu/firmware
GUEST=/qemu/guest
MARKER='vmtest-guest: userspace reached'
LOG=/tmp/qemu_boot_test.console
WHY=/tmp/qemu_boot_test.stopped
TAIL=40
# QEMU or the guest is past saving: stop QEMU rather than wait for the limit.
FATAL='---\[ end Kernel panic|KVM internal error|KVM: entry failed|KVM_EXIT_FAIL_ENTRY'

limit=${QEMU_BOOT_LIMIT:-150}
if [ -n "${VMTEST_TIMEOUT:-}" ] && [ "$limit" -gt $((VMTEST_TIMEOUT - 10)) ]; then
	limit=$((VMTEST_TIMEOUT - 10))
fi
[ "$limit" -gt 0 ] || limit=1

echo "TAP version 13"
echo "1..1"

# Lines worth seeing even when they scrolled out of the tail: QEMU's own messages and the
# guest kernel's complaints.
NOTABLE='^qemu-system-x86_64:|MSR access error|Kernel panic|KVM internal error|emulation failure|KVM: entry failed|WARNING:|BUG:|Oops'

fail() {
	echo "# $*"
	if tr -d '\r' <"$LOG" 2>/dev/null | grep -q -E -e "$NOTABLE"; then
		echo "# notable lines (first 20):"
		tr -d '\r' <"$LOG" | grep -E -e "$NOTABLE" | head -n 20 | sed 's/^/#   /'
	fi
	if [ -s "$LOG" ]; then
		echo "# last $TAIL lines of the guest console and QEMU's messages:"
		tr -d '\r' <"$LOG" | tail -n $TAIL | sed 's/^/#   /'
	fi
	echo "not ok 1 qemu_boot"
	exit 1
}

for f in "$QEMU" "$FIRMWARE/bios-256k.bin" "$GUEST/vmlinuz" "$GUEST/initrd.gz"; do
	[ -e "$f" ] || fail "no $f: the nested QEMU bundle is missing (vmtest stages it for the tests named in qemu.list, or with --qemu)"
done
[ -c /dev/kvm ] || fail "no /dev/kvm"

uptime_cs() {	# the host's uptime in hundredths of a second
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

set -- -accel kvm -machine pc,kernel-irqchip=off -cpu qemu64 -m 256 \
	-nographic -nodefaults -serial stdio -L "$FIRMWARE" \
	-kernel "$GUEST/vmlinuz" -initrd "$GUEST/initrd.gz" \
	-append "console=ttyS0${QEMU_BOOT_APPEND:+ $QEMU_BOOT_APPEND}"
# shellcheck disable=SC2086 # word splitting wanted
[ -z "${QEMU_BOOT_ARGS:-}" ] || set -- "$@" $QEMU_BOOT_ARGS
echo "# $QEMU $* (limit ${limit} s)"

rm -f "$WHY"
: >"$LOG"
start=$(uptime_cs)
"$QEMU" "$@" </dev/null >"$LOG" 2>&1 &
qemu=$!
# The watchdog: SIGKILL, not SIGTERM, since on SIGTERM QEMU shuts down cleanly (status 0).
(
	while kill -0 "$qemu" 2>/dev/null; do
		if tr -d '\r' <"$LOG" | grep -q -E -e "$FATAL"; then
			sleep 1		# let QEMU finish its register dump
			echo "stopped: $(tr -d '\r' <"$LOG" | grep -m 1 -E -e "$FATAL")" >"$WHY"
			kill -KILL "$qemu" 2>/dev/null
			exit 0
		fi
		if [ $(($(uptime_cs) - start)) -ge $((limit * 100)) ]; then
			echo "killed after the limit of $limit s" >"$WHY"
			kill -KILL "$qemu" 2>/dev/null
			exit 0
		fi
		sleep 0.2
	done
) &
watchdog=$!
wait "$qemu"
rc=$?
end=$(uptime_cs)
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
elapsed=$((end - start))
secs=$((elapsed / 100)).$(printf '%02d' $((elapsed % 100)))

marker=$(tr -d '\r' <"$LOG" | grep -m 1 -F -e "$MARKER")
if [ -s "$WHY" ]; then
	fail "QEMU $(cat "$WHY") (after $secs s)${marker:+; the guest had reached userspace}"
elif [ -z "$marker" ]; then
	fail "QEMU exited with status $rc after $secs s; no '$MARKER' on the guest console"
elif [ "$rc" != 0 ]; then
	fail "the guest reached userspace, but QEMU exited with status $rc after $secs s (not a clean power-off)"
fi
echo "# guest console: ${marker#*"vmtest-guest: "}"
# warnings that did not stop the boot, for the reader (QEMU's feature warnings, MSR errors)
tr -d '\r' <"$LOG" | grep -E -e "$NOTABLE" | head -n 20 | sed 's/^/# notable: /'
echo "# QEMU start to guest power-off: $secs s"
echo "ok 1 qemu_boot # $secs s"
exit 0
