#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2153 # VMTEST_* come from the harness
# guest_fuzz: kvm_guest_fuzz over all guest modes for FUZZ_TIME seconds (./fuzz.conf, default
# 60), then the modules must still unload and load again, and a short run must pass on the
# reloaded modules. Runs in the emulated host (vmtest), modules loaded ($VMTEST_LOAD).
FUZZ_TIME=60
FUZZ_SEED=
# shellcheck disable=SC1091
[ -r ./fuzz.conf ] && . ./fuzz.conf
seed=${FUZZ_SEED:-$(( $(date +%s) % 1000000 ))}
here=$(cd "$(dirname "$0")" && pwd)
fuzz=$here/kvm_guest_fuzz

echo "guest_fuzz: seed $seed, $FUZZ_TIME s, modes all"
if ! "$fuzz" --seed "$seed" --time "$FUZZ_TIME" --mode all; then
	echo "guest_fuzz: FAIL: kvm_guest_fuzz failed (seed $seed)"
	exit 1
fi

if [ -n "$VMTEST_UNLOAD" ]; then
	echo "guest_fuzz: unloading $VMTEST_UNLOAD"
	# shellcheck disable=SC2086
	if ! rmmod $VMTEST_UNLOAD; then
		echo "guest_fuzz: FAIL: the modules do not unload after fuzzing"
		lsmod
		exit 1
	fi
	for ko in $VMTEST_LOAD; do
		if ! insmod "$ko"; then
			echo "guest_fuzz: FAIL: insmod $ko after fuzzing"
			exit 1
		fi
	done
	[ -c /dev/kvm ] || { echo "guest_fuzz: FAIL: no /dev/kvm after reload"; exit 1; }
	if ! "$fuzz" --seed "$seed" --programs 50 --mode all >/tmp/guest_fuzz.reload 2>&1; then
		cat /tmp/guest_fuzz.reload
		echo "guest_fuzz: FAIL: kvm_guest_fuzz after the reload"
		exit 1
	fi
	tail -n 1 /tmp/guest_fuzz.reload
	echo "guest_fuzz: modules unloaded, reloaded, 50 programs ran again"
fi
echo "guest_fuzz: PASS"
exit 0
