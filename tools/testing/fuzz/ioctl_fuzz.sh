#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ioctl_fuzz: kvm_ioctl_fuzz in the emulated host (issue 16), then the modules must unload and
# load again. Passes when the fuzzer ends by itself (no hang reported by its watchdog, no
# fatal signal), its fds close and rmmod works (a leaked file or VM reference keeps the
# module busy). Kernel splats are the harness's business: it fails the run on any.
#
# ./fuzz.conf (sh, optional): FUZZ_TIME (seconds, default 60), FUZZ_SEED (default: empty,
# the fuzzer takes one from the clock and prints it), FUZZ_THREADS (default 4), FUZZ_ARGS
# (more kvm_ioctl_fuzz arguments, e.g. --no-hwbp or --skip KVM_RUN).
#
# Keep FUZZ_TIME at about a minute per boot. The AMD emulated host froze (RCU stall, then
# no output at all, the fuzzer's own watchdog silent too) 12 to 120 s into 4-thread
# fuzzing in 4 of 10 boots with our modules and 1 of 2 with stock KVM; of the 45 s runs,
# 7 of 8 passed on ours and 1 of 1 on stock. One 150 s run without the DR7-arming ioctls passed, but --no-hwbp (those ioctls,
# disarmed) froze twice as well, so the cause is still open (QEMU TCG or the host kernel,
# not one module: stock freezes too).
# Busybox sh: POSIX only.

FUZZ_TIME=60
FUZZ_SEED=
FUZZ_THREADS=4
FUZZ_ARGS=
[ -r ./fuzz.conf ] && . ./fuzz.conf

FUZZ=./kvm_ioctl_fuzz
[ -x "$FUZZ" ] || FUZZ=kvm_ioctl_fuzz

set -- --time "$FUZZ_TIME" --threads "$FUZZ_THREADS"
[ -n "$FUZZ_SEED" ] && set -- "$@" --seed "$FUZZ_SEED"
# shellcheck disable=SC2086
set -- "$@" $FUZZ_ARGS
echo "# $FUZZ $*"
"$FUZZ" "$@"
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: kvm_ioctl_fuzz exited with $rc"
	exit 1
fi

# every fd of the fuzzer is closed now: the modules must go and come back
if [ -n "$VMTEST_UNLOAD" ]; then
	i=0
	while ! rmmod $VMTEST_UNLOAD 2>/tmp/ioctl_fuzz.rmmod; do
		# VM teardown may still run from a workqueue for a moment
		i=$((i + 1))
		if [ $i -ge 10 ]; then
			echo "FAIL: rmmod $VMTEST_UNLOAD after the fuzzer: $(cat /tmp/ioctl_fuzz.rmmod)"
			lsmod | grep kvm
			exit 1
		fi
		sleep 1
	done
	for ko in $VMTEST_LOAD; do
		if ! insmod "$ko"; then
			echo "FAIL: insmod $ko after the fuzzer"
			exit 1
		fi
	done
	echo "# modules unloaded and reloaded"
fi
echo "ok: ioctl_fuzz"
exit 0
