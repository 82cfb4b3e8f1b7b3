#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# fault_inject (make fault): allocation failures injected into the KVM paths, in the emulated
# host on the debug kernel (CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC; KASAN, lockdep
# and kmemleak watch). Run by vmtest with --alloc-failures (the kernel's reports of failed
# allocations are expected) and --kmemleak (the leak scan after the modules unload).
#  1. Systematic: kvm_fault_inject fails each allocation of each step of a VM's life in turn
#     (fail-nth) and checks errnos, teardown and that the module still works.
#  2. Random: the ioctl fuzzer (when built) and some selftests run with allocations failing at
#     random (make-it-fail, FAULT_PROBABILITY percent); their own verdicts do not count (an
#     allocation they need may fail), the host's does: no splat, no hang, no leak, the modules
#     unload and load again.
# Reads ./fuzz.conf: FUZZ_TIME (seconds for the fuzzer, default 60), FUZZ_SEED,
# FAULT_PROBABILITY (percent, default 2). Busybox sh: POSIX only.

[ -r ./fuzz.conf ] && . ./fuzz.conf
FUZZ_TIME=${FUZZ_TIME:-60}
FAULT_PROBABILITY=${FAULT_PROBABILITY:-2}
D=/sys/kernel/debug
[ -d $D/failslab ] || mount -t debugfs none $D 2>/dev/null

echo "TAP version 13"
if [ ! -d $D/failslab ] || [ ! -d $D/fail_page_alloc ]; then
	echo "1..0 # SKIP this kernel has no failslab/fail_page_alloc (make fault VMKERNEL=debug)"
	exit 4
fi
echo "1..3"

# Fail sleeping allocations too (the defaults spare them, and KVM's are nearly all
# GFP_KERNEL), order-0 pages too, quietly: verbose 0, or each injection prints a stack trace.
setup() {
	for a in failslab fail_page_alloc; do
		echo N >$D/$a/ignore-gfp-wait
		echo 0 >$D/$a/verbose
		echo "$1" >$D/$a/probability
		echo 1 >$D/$a/interval
		echo -1 >$D/$a/times
		echo 0 >$D/$a/space
		echo "$2" >$D/$a/task-filter
	done
	echo N >$D/fail_page_alloc/ignore-gfp-highmem
	echo 0 >$D/fail_page_alloc/min-order
}

failed=0

# 1. systematic (fail-nth overrides probability and task-filter)
setup 0 N
if ./kvm_fault_inject; then
	echo "ok 1 systematic injection"
else
	echo "not ok 1 systematic injection"
	failed=1
fi

# 2. random failures under the ioctl fuzzer and some selftests, in these processes only, of
# slab allocations only: failed page allocations would mostly hit the programs' own page
# faults and exec, and kill them before they reach KVM
setup "$FAULT_PROBABILITY" Y
echo 0 >$D/fail_page_alloc/probability
random_run() {
	# make-it-fail is inherited by the threads and children of the shell that sets it;
	# timeout outside it, so that its own fork does not fail
	timeout $((FUZZ_TIME * 3 + 60)) sh -c "echo 1 >/proc/self/make-it-fail && exec $*"
	rc=$?
	# timeout killed it (124, or 143/137 from busybox's): a hang. Any other status is the
	# program's own business (an allocation it needed failed: it may abort or exit 1).
	case $rc in 124 | 137 | 143)
		echo "# $1 hung under random allocation failures (status $rc)"
		return 1 ;;
	esac
	echo "# $1: status $rc under random allocation failures (not a verdict)"
	return 0
}
ok=1
if [ -x ./kvm_ioctl_fuzz ]; then
	random_run ./kvm_ioctl_fuzz --time "$FUZZ_TIME" ${FUZZ_SEED:+--seed "$FUZZ_SEED"} || ok=0
else
	echo "# no kvm_ioctl_fuzz here"
fi
for t in selftests/*; do
	[ -x "$t" ] || continue
	random_run "$t" >/tmp/fault_inject.$$.out 2>&1 || { ok=0; tail -n 20 /tmp/fault_inject.$$.out; }
	grep '^# .*status' /tmp/fault_inject.$$.out 2>/dev/null
done
rm -f /tmp/fault_inject.$$.out
setup 0 N
if [ $ok = 1 ]; then
	echo "ok 2 random injection: nothing hung or crashed"
else
	echo "not ok 2 random injection"
	failed=1
fi

# 3. the modules go away and come back: no reference left behind by a failed path
reload_ok=1
if [ -n "${VMTEST_UNLOAD:-}" ]; then
	for m in $VMTEST_UNLOAD; do
		rmmod "$m" || { echo "# rmmod $m failed: refcount $(cat /sys/module/$m/refcnt 2>/dev/null)"; reload_ok=0; }
	done
	for m in $VMTEST_LOAD; do
		insmod "$m" || { echo "# insmod $m failed"; reload_ok=0; }
	done
fi
if [ $reload_ok = 1 ] && [ -c /dev/kvm ]; then
	echo "ok 3 modules unload and load again"
else
	echo "not ok 3 modules unload and load again"
	failed=1
fi
exit $failed
