#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# soak (make soak): Debian's QEMU boots Linux on /dev/kvm SOAK_BOOTS times in a row (the
# nested QEMU bundle's qemu-boot-guest), alternating QEMU's defaults (in-kernel irqchip,
# 2 vCPUs) and the userspace interrupt controller; in about one boot in four QEMU is killed
# with SIGKILL at a random point of its boot instead (1 to 12 s in; a boot takes 13-30 s). Every boot that is not killed must reach
# the guest's userspace. At the end the host's kernel memory is checked against a snapshot
# taken after the first boot (the caches warm): with every QEMU gone, the pages and slab
# objects the boots took must have come back (within SOAK_SLACK_KB), the kvm module's
# reference count must be back to the baseline and no VM left in debugfs.
# Reads ./fuzz.conf: SOAK_BOOTS (default 100), FUZZ_SEED (the kill points; default: time),
# SOAK_SLACK_KB (default 8192), SOAK_LIMIT (seconds per boot, default 300). Busybox sh: POSIX
# only.

[ -r ./fuzz.conf ] && . ./fuzz.conf
BOOTS=${SOAK_BOOTS:-100}
SEED=${FUZZ_SEED:-$(date +%s)}
SLACK_KB=${SOAK_SLACK_KB:-8192}
BOOT=/usr/bin/qemu-boot-guest
# A boot takes 13-30 s of the emulated host's clock on a quiet machine and up to 125 s when
# the machine runs other emulators beside it (seen here): the default limit leaves room for
# that, so that a failure means a hang, not a busy machine.
LIMIT=${SOAK_LIMIT:-300}
case "$(uname -r)" in *kvmdebug*) LIMIT=${SOAK_LIMIT:-900} ;; esac
[ "${VMTEST_VENDOR:-}" = kvm_intel ] && LIMIT=${SOAK_LIMIT:-1200}

echo "TAP version 13"
if [ ! -x "$BOOT" ]; then
	echo "1..0 # SKIP no $BOOT: the nested QEMU bundle is missing (qemu.list)"
	exit 4
fi
echo "1..2"
echo "# $BOOTS boots, seed $SEED"

# a small deterministic generator (LCG) for the kill decisions and points
rnd_state=$SEED
rnd() {	# rnd N: R = a number in [0, N) (no subshell: the state must advance)
	rnd_state=$(( (rnd_state * 1103515245 + 12345) % 2147483648 ))
	R=$(( (rnd_state / 65536) % $1 ))
}

# kernel memory in use, in KiB: slab + page tables + kernel stacks + vmalloc, and the pages
# handed out minus those given back (kvm_util.c's net_pages, as one figure)
mem_kb() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^(Slab|PageTables|KernelStack|VmallocUsed|Percpu):/ { kb += $2 }
	     END { print kb }' /proc/meminfo
}

vms_in_debugfs() {
	ls /sys/kernel/debug/kvm 2>/dev/null | grep -c '^[0-9][0-9]*-' || true
}

ref0=$(cat /sys/module/kvm/refcnt)
passed=0 killed=0 failed=0 base='' t0=$(date +%s)
i=1
while [ $i -le "$BOOTS" ]; do
	stage=$(( i % 2 + 1 ))
	b0=$(date +%s)
	rnd 4
	if [ $i -gt 1 ] && [ $R = 0 ]; then
		# killed at a random point: 1 to 12 s into the boot (a boot takes about 13 s)
		rnd 12
		at=$((R + 1))
		"$BOOT" --stage $stage --limit "$LIMIT" --log /tmp/soak.log >/tmp/soak.out 2>&1 &
		bpid=$!
		sleep "$at"
		killall -KILL qemu-system-x86_64 2>/dev/null
		wait $bpid 2>/dev/null
		killed=$((killed + 1))
		echo "# boot $i (stage $stage): QEMU killed after ${at} s"
	elif "$BOOT" --stage $stage --limit "$LIMIT" --log /tmp/soak.log >/tmp/soak.out 2>&1; then
		passed=$((passed + 1))
		echo "# boot $i (stage $stage): $(sed -n 's/^# QEMU start to guest power-off: //p' /tmp/soak.out)"
	else
		failed=$((failed + 1))
		# the reason first, then how the guest and the vCPUs ended
		echo "# boot $i (stage $stage) FAILED after $(( $(date +%s) - b0 )) s:"
		sed 's/^/#   /' /tmp/soak.out | head -n 12
		echo "#   ..."
		sed 's/^/#   /' /tmp/soak.out | tail -n 25
	fi
	# no QEMU may outlive its boot
	if pidof qemu-system-x86_64 >/dev/null; then
		echo "# boot $i: a QEMU process is still there"
		failed=$((failed + 1))
		killall -KILL qemu-system-x86_64
		sleep 1
	fi
	[ $i = 1 ] && base=$(mem_kb)
	i=$((i + 1))
done
secs=$(( $(date +%s) - t0 ))

if [ $failed = 0 ]; then
	echo "ok 1 $passed boots reached userspace, $killed killed, in $secs s"
else
	echo "not ok 1 $failed of $BOOTS boots failed ($passed passed, $killed killed)"
fi

# memory: give deferred frees (RCU, work items) a moment
sleep 2
end=$(mem_kb)
ref=$(cat /sys/module/kvm/refcnt)
vms=$(vms_in_debugfs)
grow=$(( ${end:-0} - ${base:-0} ))
echo "# kernel memory after boot 1: ${base} KiB, at the end: ${end} KiB (grew ${grow} KiB, slack ${SLACK_KB})"
echo "# kvm refcount ${ref} (baseline ${ref0}), VMs in debugfs: ${vms}"
mem_ok=1
[ "$grow" -le "$SLACK_KB" ] || mem_ok=0
[ "$ref" = "$ref0" ] || mem_ok=0
[ "$vms" = 0 ] || mem_ok=0
if [ $mem_ok = 1 ]; then
	echo "ok 2 host memory and references back after the soak"
else
	echo "not ok 2 host memory or references not back after the soak"
fi
echo "soak: boots=$BOOTS passed=$passed killed=$killed failed=$failed secs=$secs grew_kb=$grow"
[ $failed = 0 ] && [ $mem_ok = 1 ]
