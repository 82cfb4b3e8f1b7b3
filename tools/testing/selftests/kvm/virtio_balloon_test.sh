#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# virtio_balloon_test: Debian's QEMU with -device virtio-balloon-pci,free-page-reporting=on
# and a QMP monitor; the guest's own virtio_balloon driver. The host drives the guest's pvmem
# (tools/testing/vmtest/pvdev/pvmem.c, on the guest's ttyS1) and QEMU (QMP) step by step:
#  1. the guest keeps 64 MiB of a pattern (slot 1) for the whole run, turns free page
#     reporting off (page_reporting_order above the largest order) and touches 320 MiB
#     and frees it, so that its free memory is resident in QEMU;
#  2. QMP "balloon" to 128 MiB below the guest's size: QMP query-balloon reaches it, QEMU's
#     VmRSS falls by at least 3/4 of 128 MiB (the balloon's pages are discarded on the host
#     through the MMU notifier: the module must drop its mappings), the guest's MemTotal
#     falls by 128 MiB;
#  3. the kept pattern is intact; QMP "balloon" back to the full size: MemTotal is back and
#     the guest allocates, fills and verifies more memory than it had available inflated;
#  4. free page reporting on again (order 9): the guest touches 256 MiB and frees it, and
#     QEMU's VmRSS falls by at least half of it without any balloon command;
#  5. the kept pattern is still intact.
# Bundle extras "virtio pvdev" (qemu.list). Busybox sh.
. /usr/lib/pvdev/lib.sh || { echo "1..0 # SKIP no /usr/lib/pvdev/lib.sh (bundle extra pvdev)"; exit 4; }

LOG=/tmp/virtio_balloon_test.console
CTL=/tmp/virtio_balloon_test.ctl
QMP=/tmp/virtio_balloon_test.qmp
MEM=384 INFLATE=128 KEEP=32 TOUCH=256 FPR=192
limit=$(pv_limit 240)
MIB=1048576

echo "TAP version 13"
STAGE=$(pv_stage)
echo "# nested guests boot at qemu-boot-guest stage $STAGE ($( [ "$STAGE" = 2 ] && echo "in-kernel interrupt controllers, irqfd" || echo "interrupt controller in QEMU"))"
echo "1..11"
ctlargs=$(pv_ctl_args $CTL)
qmpargs=$(pv_qmp_args $QMP)
# shellcheck disable=SC2086 # words wanted
QEMU_BOOT_APPEND="quiet vmtest.run=/scenario/ctl.sh" qemu-boot-guest --stage "$STAGE" --smp 1 \
	--limit "$limit" --log "$LOG" -- -m $MEM $ctlargs $qmpargs \
	-device virtio-balloon-pci,id=balloon0,free-page-reporting=on >"$LOG.report" &
boot=$!
PV_ALIVE=$boot

finish() {	# end QEMU (the guest powers off after quit), then the summary
	wait $boot
	rc=$?
	report=$(cat "$LOG.report")
	if [ "$PV_PASS$rc" != "00" ] || ! pv_stock_hang "$report"; then
		sed 's/^#/# boot:/' "$LOG.report"
	fi
	if [ "$PV_N" = 0 ] && [ $rc != 0 ] && pv_stock_hang "$report"; then
		echo "# stock kvm_amd: the guest hung; QEMU TCG delivers EVENTINJ interrupts twice (README)"
		echo "ok 1 virtio_balloon # SKIP stock KVM hit the emulated host's EVENTINJ bug"
		exit 4
	fi
	if [ "$PV_FAIL" != 0 ]; then
		echo "# the guest console's last lines:"
		tail -n 25 "$LOG" | tr -d '\r' | sed 's/^/#   /'
	fi
	pv_ok $rc "virtio_balloon: QEMU exited cleanly (qemu-boot-guest status $rc)"
	pv_done
}

step() {	# step N CMD SECS: one pvmem command, its answer in $ans
	ans=$(pv_ctl $CTL "$1" "$2" "$3")
	st=$?
	echo "# guest: $2 -> $ans"
	return $st
}

meminfo() {	# meminfo N: MT MA (kB) of the guest
	step "$1" meminfo 30 || return 1
	MT=$(echo "$ans" | sed -n 's/.*MemTotal \([0-9]*\).*/\1/p')
	MA=$(echo "$ans" | sed -n 's/.*MemAvailable \([0-9]*\).*/\1/p')
}

balloon_to() {	# balloon_to MIB SECS: QMP balloon, wait until query-balloon says so
	want=$(($1 * MIB))
	r=$(pv_qmp $QMP "{\"execute\": \"balloon\", \"arguments\": {\"value\": $want}}" 20)
	echo "# qmp balloon $1 MiB: $r"
	t_end=$(($(pv_cs) + $2 * 100))
	while [ "$(pv_cs)" -lt "$t_end" ] && pv_alive $boot; do
		r=$(pv_qmp $QMP '{"execute": "query-balloon"}' 20)
		act=$(echo "$r" | sed -n 's/.*"actual": *\([0-9]*\).*/\1/p')
		[ "$act" = "$want" ] && return 0
		sleep 0.5
	done
	echo "# query-balloon: $r (want $want)"
	return 1
}

if ! pv_wait_log $CTL.log '^0 ok pvmem ready' "$limit" >/dev/null; then
	echo "# the guest's pvmem did not start"
	finish
fi
qemu=$(pv_qemu_pids | head -n 1)
r=$(pv_qmp $QMP '{"execute": "qmp_capabilities"}' 20)
pv_ok $? "virtio_balloon: QMP monitor answers ($r)"

meminfo 1; MT0=$MT
step 2 "report 11" 20 && step 3 "alloc $KEEP 1" 60 && step 4 "fill 5 1" 60
pv_ok $? "virtio_balloon: guest keeps $KEEP MiB of a pattern, free page reporting off (MemTotal $MT0 kB)"
step 5 "alloc $TOUCH" 120 && step 6 "fill 1" 120 && step 7 "free" 30
rss0=$(pv_rss_kb "$qemu")
echo "# QEMU $qemu VmRSS after the guest touched and freed $TOUCH MiB: $rss0 kB"

# 2. inflate
t0=$(pv_cs)
balloon_to $((MEM - INFLATE)) 60
pv_ok $? "virtio_balloon: QMP balloon to $((MEM - INFLATE)) MiB, query-balloon reports it"
t1=$(pv_cs)
rss1=$(pv_rss_kb "$qemu")
drop=$((rss0 - rss1))
echo "# QEMU VmRSS $rss0 -> $rss1 kB: fell by $drop kB (want >= $((INFLATE * 768)) kB) in $(pv_secs $((t1 - t0))) s of inflating"
[ "$drop" -ge $((INFLATE * 768)) ]
pv_ok $? "virtio_balloon: inflating $INFLATE MiB drops QEMU's RSS by $((drop / 1024)) MiB"
meminfo 8; MT1=$MT MA1=$MA
echo "# guest MemTotal $MT0 -> $MT1 kB (fell by $((MT0 - MT1)) kB, want $((INFLATE * 1024)) +- 4096), MemAvailable $MA1 kB"
d=$((MT0 - MT1 - INFLATE * 1024))
[ "$d" -ge -4096 ] && [ "$d" -le 4096 ]
pv_ok $? "virtio_balloon: guest MemTotal fell by $(((MT0 - MT1) / 1024)) MiB"
step 9 "verify 5 1" 60
pv_ok $? "virtio_balloon: the guest's kept $KEEP MiB intact with the balloon inflated"

# 3. deflate
balloon_to $MEM 60
st=$?
meminfo 10; MT2=$MT MA2=$MA
echo "# guest MemTotal after deflating $MT2 kB (before inflating $MT0), MemAvailable $MA2 kB"
[ $st = 0 ] && [ "$MT2" -ge $((MT0 - 1024)) ]
pv_ok $? "virtio_balloon: QMP balloon back to $MEM MiB, guest MemTotal back ($((MT2 / 1024)) MiB)"
use=$((MA1 / 1024 + 32))
[ "$use" -le $((MA2 / 1024 - 16)) ] || use=$((MA2 / 1024 - 16))
step 11 "alloc $use" 120 && step 12 "fill 7" 120 && step 13 "verify 7" 120 && step 14 "free" 30
pv_ok $? "virtio_balloon: guest allocates, fills and verifies $use MiB (it had $((MA1 / 1024)) MiB available inflated)"

# 4. free page reporting
step 15 "report 9" 20 && step 16 "alloc $FPR" 60 && step 17 "fill 2" 60
rss2=$(pv_rss_kb "$qemu")
step 18 free 30
t0=$(pv_cs) rss3=$rss2
while [ $(($(pv_cs) - t0)) -lt 3000 ]; do
	sleep 0.5
	rss3=$(pv_rss_kb "$qemu")
	[ $((rss2 - rss3)) -ge $((FPR * 512)) ] && break
done
t1=$(pv_cs)
echo "# free page reporting: QEMU VmRSS $rss2 -> $rss3 kB (fell by $((rss2 - rss3)) kB, want >= $((FPR * 512))) $(pv_secs $((t1 - t0))) s after the guest freed $FPR MiB"
[ $((rss2 - rss3)) -ge $((FPR * 512)) ]
pv_ok $? "virtio_balloon: free page reporting: QEMU's RSS fell by $(((rss2 - rss3) / 1024)) MiB after the guest freed $FPR MiB"
step 19 "verify 5 1" 60
pv_ok $? "virtio_balloon: the guest's kept $KEEP MiB intact at the end"
echo "# figures: inflate $INFLATE MiB: RSS -$((drop / 1024)) MiB; free page reporting: RSS -$(((rss2 - rss3) / 1024)) MiB in $(pv_secs $((t1 - t0))) s"
step 20 quit 20
finish
