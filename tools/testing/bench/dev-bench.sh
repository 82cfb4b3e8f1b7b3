#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# dev-bench.sh [ROW...]: the paravirtual device and migration rows of make bench (issues 20
# and 21), run inside the emulated host by kvm-bench.sh with one module set loaded. Debian's
# QEMU runs the nested guest of the bundle on /dev/kvm with the bundle extras "virtio pvdev
# migrate" (bench stages them for these rows). Busybox sh, POSIX only.
#
#   dev-bench.sh -l       the rows, one a line
#   dev-bench.sh ROW...   run the scenarios those rows need, each once, and print per row
#                         "bench ROW ok NS" or "bench ROW fail REASON" (as kvm_bench does),
#                         "#" lines for the rest
#
# Every guest boots at qemu-boot-guest stage 1 (interrupt controller in QEMU) on both module
# sets: stock kvm_amd hangs stage 2 guests with device traffic in this emulated host
# (pvdev/host-lib.sh, pv_stock_hang), and a ratio needs the same machine on both sides.
# Times are the emulated host's CLOCK_MONOTONIC (which under -icount counts instructions:
# kvm_bench -T, -F and -W take them, 2 ms polls) or, where noted, the nested guest's or
# QEMU's own figures; every row is in ns of one operation, so that above 1 ours is slower,
# as in the other rows.
#
# Where the scenario is a selftest (vhost_net_test, virtio_blk_test, live_migration_test,
# copied next to this script by the bench Makefile), the row is parsed from its output; the
# balloon and KSM rows drive the guest's pvmem (pvdev/guest-ctl.sh) themselves, to poll the
# host's figures finer than the selftests do.
#
# Environment: BENCH_EXITS_DIR (when set and the module has /sys/kernel/debug/kvm/exit_stats:
# the counts are reset before each scenario and copied to DIR/SCENARIO after it).
set -u
cd "$(dirname "$0")" || exit 2
EXIT_STATS=/sys/kernel/debug/kvm/exit_stats
NET_MIB=8 PINGS=20

ROWS='vhost_net_tcp_per_mib vhost_net_ping_rtt virtio_blk_read_per_mib balloon_inflate_128m
ksm_merge_2x32m migration_256m_total migration_256m_downtime'

if [ "${1:-}" = -l ]; then
	for r in $ROWS; do echo "$r"; done
	exit 0
fi

# scenario_of ROW: the scenario that gives ROW
scenario_of() {
	case "$1" in
	vhost_net_*) echo net ;;
	virtio_blk_*) echo blk ;;
	balloon_*) echo balloon ;;
	ksm_*) echo ksm ;;
	migration_*) echo migrate ;;
	*) return 1 ;;
	esac
}

for a in "$@"; do
	scenario_of "$a" >/dev/null || { echo "dev-bench.sh: no row '$a' (-l lists them)" >&2; exit 2; }
done

# shellcheck disable=SC1091
. /usr/lib/pvdev/lib.sh || { for r in "$@"; do echo "bench $r fail no /usr/lib/pvdev/lib.sh (bundle extra pvdev)"; done; exit 1; }
export PVDEV_STAGE=1
ROWS_ASKED="$*"

failed=0
res() {	# res ROW NS|'' REASON: the row's line
	if [ -n "$2" ]; then
		echo "bench $1 ok $2"
	else
		echo "bench $1 fail $3"
		failed=1
	fi
}


# --- scenarios: each prints its rows' lines (and "#" lines) ---

# follow_start LOG: the guest console LOG, each line stamped with the host's CLOCK_MONOTONIC
# when it appeared (kvm_bench -F, 2 ms polls), into LOG.stamps; follow_stop ends it.
# stamp_delta LOG ERE1 ERE2 DIV: ns from the first line matching ERE1 to the first after it
# matching ERE2, divided by DIV; nothing when either is missing.
follow_start() {
	rm -f "$1" "$1.stamps"
	./kvm_bench -F "$1" >"$1.stamps" &
	follower=$!
}
follow_stop() { kill "$follower"; wait "$follower" 2>/dev/null; }
stamp_delta() {
	awk -v e1="$2" -v e2="$3" -v div="$4" '
		{ t = $1; sub(/^[0-9]+ /, "") }
		!a && $0 ~ e1 { a = t; next }
		a && !b && $0 ~ e2 { b = t }
		END { if (a && b) printf "%.0f\n", (b - a) / div }' "$1.stamps"
}

# ms (three decimals) as ns: 0.134 -> 134000
ms_to_ns() {
	i=${1%.*} f=${1#*.}
	[ "$f" != "$1" ] || f=''
	f=$(printf '%s000' "$f" | cut -c 1-3)
	echo $(( (${i:-0} * 1000 + $(echo "$f" | sed 's/^0*//; s/^$/0/')) * 1000 ))
}

# vhost_net_test, vhost=on only: the guest's own ping6 to the host (ICMPv6 echo, PINGS round
# trips, average rtt on the guest's clock, microseconds) and NET_MIB MiB over TCP to the
# host's nc: from the guest's console line before the transfer ("net: ping ...") to the one
# after it ("net: tcp sent ..."), on the host's clock.
sc_net() {
	follow_start /tmp/vhost_net_test.on.console
	out=$(NET_ROWS=on NET_MIB=$NET_MIB PINGS=$PINGS ./vhost_net_test.sh 2>&1)
	rc=$?
	follow_stop
	printf '%s\n' "$out" | grep -E '^(not ok|# (on: QEMU start|figures|guest: net: (tcp|ping)))' | sed 's/^#*/# net: /'
	t=$(stamp_delta /tmp/vhost_net_test.on.console '^net: ping ' '^net: tcp sent ' $NET_MIB)
	avg=$(printf '%s\n' "$out" | sed -n 's/.*guest ping6 to the host:.*min\/avg\/max = [0-9.]*\/\([0-9.]*\)\/.*/\1/p' | head -n 1)
	echo "# net: host clock, console 'net: ping' to 'net: tcp sent': ${t:-?} ns per MiB"
	why="vhost_net_test status $rc"
	ns=''
	[ $rc != 0 ] || ns=$t
	res vhost_net_tcp_per_mib "$ns" "$why"
	ns=''
	[ $rc != 0 ] || [ -z "$avg" ] || ns=$(ms_to_ns "$avg")
	res vhost_net_ping_rtt "$ns" "$why"
}

# virtio_blk_test: the guest reads its 64 MiB disk back after dropping its page cache and
# compares it with the stream it wrote: from its console line after the write ("blk: wrote
# ...", then a flush and the page cache dropped) to the one after the read ("blk: read ..."),
# on the host's clock.
sc_blk() {
	follow_start /tmp/virtio_blk_test.console
	out=$(./virtio_blk_test.sh 2>&1)
	rc=$?
	follow_stop
	printf '%s\n' "$out" | grep -E '^(not ok|# (QEMU start|figures|guest: blk: (wrote|read)))' | sed 's/^#*/# blk: /'
	t=$(stamp_delta /tmp/virtio_blk_test.console '^blk: wrote ' '^blk: read ' 64)
	echo "# blk: host clock, console 'blk: wrote' to 'blk: read': ${t:-?} ns per MiB"
	ns=''
	[ $rc != 0 ] || ns=$t
	res virtio_blk_read_per_mib "$ns" "virtio_blk_test status $rc"
}

# live_migration_test (stage 1, 256 MiB guest, TCP on the host's loopback): QEMU's
# query-migrate total-time and downtime (ms).
sc_migrate() {
	out=$(MIGRATION_SRC_COUNT=3 MIGRATION_DST_COUNT=2 ./live_migration_test.sh 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^(not ok|ok [0-9]+ migration completed|# summary)' | sed 's/^#*/# migrate: /'
	line=$(printf '%s\n' "$out" | grep -m 1 '^ok [0-9]* migration completed')
	total=$(echo "$line" | sed -n 's/.*total time \([0-9]*\) ms.*/\1/p')
	down=$(echo "$line" | sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p')
	why="live_migration_test status $rc"
	ns=''
	[ $rc != 0 ] || [ -z "$total" ] || ns=$((total * 1000000))
	res migration_256m_total "$ns" "$why"
	ns=''
	[ $rc != 0 ] || [ -z "$down" ] || ns=$((down * 1000000))
	res migration_256m_downtime "$ns" "$why"
}

# The balloon: a 384 MiB guest (pvmem ctl on its ttyS1, QMP on a pipe) with free page
# reporting off touches 256 MiB and frees it, so that its free memory is resident in QEMU;
# then QMP "balloon" 128 MiB down. The row: from the command to QEMU's VmRSS having fallen by
# 7/8 of 128 MiB (kvm_bench -W, 2 ms polls of /proc/PID/status).
BAL_MEM=384 BAL_INFLATE=128 BAL_TOUCH=256
sc_balloon() {
	d=/tmp/dev-bench.balloon
	rm -rf $d
	mkdir -p $d
	ctlargs=$(pv_ctl_args $d/ctl)
	qmpargs=$(pv_qmp_args $d/qmp)
	# shellcheck disable=SC2086 # words wanted
	QEMU_BOOT_APPEND="quiet vmtest.run=/scenario/ctl.sh" qemu-boot-guest --stage 1 \
		--limit "$(pv_limit 240)" --log $d/console -- -m $BAL_MEM $ctlargs $qmpargs \
		-device virtio-balloon-pci,id=balloon0,free-page-reporting=on >$d/report &
	boot=$!
	PV_ALIVE=$boot
	ns='' why=''
	if ! pv_wait_log $d/ctl.log '^0 ok pvmem ready' "$(pv_limit 240)" >/dev/null; then
		why="the guest's pvmem did not start"
	elif ! pv_qmp $d/qmp '{"execute": "qmp_capabilities"}' 20 >/dev/null; then
		why="no QMP"
	elif ! { pv_ctl $d/ctl 1 "report 11" 20 >/dev/null && pv_ctl $d/ctl 2 "alloc $BAL_TOUCH" 120 >/dev/null &&
		pv_ctl $d/ctl 3 "fill 1" 120 >/dev/null && pv_ctl $d/ctl 4 free 30 >/dev/null; }; then
		why="the guest could not touch $BAL_TOUCH MiB"
	else
		qemu=$(pv_qemu_pids | head -n 1)
		rss0=$(pv_rss_kb "$qemu")
		want=$((BAL_INFLATE * 1024 * 7 / 8))
		./kvm_bench -W "/proc/$qemu/status" VmRSS: "<=$((rss0 - want))" 60 >$d/watch &
		watcher=$!
		t0=$(./kvm_bench -T)
		r=$(pv_qmp $d/qmp "{\"execute\": \"balloon\", \"arguments\": {\"value\": $(((BAL_MEM - BAL_INFLATE) * 1048576))}}" 20)
		wait $watcher
		read -r t1 rss <$d/watch
		echo "# balloon: QMP balloon $((BAL_MEM - BAL_INFLATE)) MiB: $r; QEMU VmRSS $rss0 -> $rss kB, $t0 -> $t1 ns (want a fall of $want kB)"
		if [ "$t1" != timeout ]; then
			ns=$((t1 - t0))
		else
			why="VmRSS fell by $((rss0 - rss)) kB only in 60 s"
		fi
		pv_ctl $d/ctl 5 quit 20 >/dev/null
	fi
	kill -0 $boot 2>/dev/null && { sleep 5; kill -0 $boot 2>/dev/null && pkill_boot $boot; }
	wait $boot || { [ -n "$why" ] || why="qemu-boot-guest status $?"; ns=''; }
	# not the guest's console lines ("#   "): a guest's warning is not the host's
	[ -z "$ns" ] && grep -v '^#   ' $d/report | sed 's/^#/# balloon:/' | head -n 20
	res balloon_inflate_128m "$ns" "$why"
}

# pkill_boot PID: qemu-boot-guest PID's QEMU (its child), killed: the script then reports
pkill_boot() {
	for p in $(pv_qemu_pids); do
		[ "$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null)" = "$1" ] && kill -KILL "$p"
	done
}

# KSM: two 256 MiB guests, one booted after the other (pvmem ctl on their ttyS1), ksmd
# (pages_to_scan 4000, sleep 20 ms) run to two full scans first (what they share anyway);
# then each guest fills 32 MiB with the same pattern. The row: from the second fill's end (its
# reply on the console, stamped by kvm_bench -F) to pages_shared having risen by 3/4 of the
# 8192 pattern pages (kvm_bench -W, 2 ms polls).
KSM_MIB=32
sc_ksm() {
	k=/sys/kernel/mm/ksm
	d=/tmp/dev-bench.ksm
	rm -rf $d
	mkdir -p $d
	ns='' why=''
	if [ ! -w $k/run ]; then
		res ksm_merge_2x32m '' "no $k/run"
		return
	fi
	echo 2 >$k/run
	echo 0 >$k/run
	old_scan=$(cat $k/pages_to_scan) old_sleep=$(cat $k/sleep_millisecs)
	boots=''
	for g in a b; do
		ctlargs=$(pv_ctl_args $d/$g.ctl)
		# shellcheck disable=SC2086 # words wanted
		QEMU_BOOT_APPEND="quiet vmtest.run=/scenario/ctl.sh" qemu-boot-guest --stage 1 \
			--limit "$(pv_limit 280)" --log $d/$g.console -- -m 256 $ctlargs >$d/$g.report &
		boots="$boots $!"
		PV_ALIVE=$!
		pv_wait_log $d/$g.ctl.log '^0 ok pvmem ready' "$(pv_limit 280)" >/dev/null ||
			{ why="guest $g's pvmem did not start"; break; }
	done
	PV_ALIVE=''
	if [ -z "$why" ]; then
		echo 4000 >$k/pages_to_scan
		echo 20 >$k/sleep_millisecs
		echo 1 >$k/run
		t0=$(pv_cs)
		while [ $(($(pv_cs) - t0)) -lt 6000 ] && [ "$(cat $k/full_scans)" -lt 2 ]; do sleep 0.1; done
		base=$(cat $k/pages_shared)
		echo "# ksm: baseline after $(pv_secs $(($(pv_cs) - t0))) s: pages_shared $base"
		want=$((base + KSM_MIB * 256 * 3 / 4))
		pv_ctl $d/a.ctl 1 "alloc $KSM_MIB" 60 >/dev/null && pv_ctl $d/a.ctl 2 "fill 3" 60 >/dev/null &&
			pv_ctl $d/b.ctl 1 "alloc $KSM_MIB" 60 >/dev/null || why="a guest could not allocate $KSM_MIB MiB"
	fi
	if [ -z "$why" ]; then
		# the end of b's fill: its "2 ok" reply, stamped on the host's clock
		./kvm_bench -F $d/b.ctl.log >$d/b.stamps &
		follower=$!
		./kvm_bench -W $k/pages_shared '' ">=$want" 60 >$d/watch &
		watcher=$!
		pv_ctl $d/b.ctl 2 "fill 3" 60 >/dev/null || why="guest b could not fill $KSM_MIB MiB"
		wait $watcher
		read -r t1 shared <$d/watch
		follow_stop
		t0=$(awk '$2 == "2" && $3 == "ok" { print $1; exit }' $d/b.stamps)
		echo "# ksm: pages_shared $base -> $shared (want $want: 3/4 of the $((KSM_MIB * 256)) pattern pages more) at $t1 ns, the fill ended at ${t0:-?} ns; pages_sharing $(cat $k/pages_sharing), full_scans $(cat $k/full_scans)"
		if [ -z "$why" ] && [ "$t1" != timeout ] && [ -n "$t0" ]; then
			ns=$((t1 - t0))
		else
			[ -n "$why" ] || why="pages_shared reached $shared only in 60 s"
		fi
	fi
	echo 0 >$k/run
	echo "$old_scan" >$k/pages_to_scan
	echo "$old_sleep" >$k/sleep_millisecs
	for g in a b; do pv_ctl $d/$g.ctl 9 quit 20 >/dev/null; done
	for b in $boots; do
		kill -0 "$b" 2>/dev/null && { sleep 5; kill -0 "$b" 2>/dev/null && pkill_boot "$b"; }
		wait "$b" || { [ -n "$why" ] || why="qemu-boot-guest status $?"; ns=''; }
	done
	[ -n "$ns" ] || for g in a b; do grep -v '^#   ' $d/$g.report | sed "s/^#/# ksm $g:/" | head -n 20; done
	res ksm_merge_2x32m "$ns" "$why"
}

# The scenarios of the rows asked for, in the order of ROWS, each once; other rows that the
# scenario gives are not printed.
done_sc=''
for r in $ROWS; do
	case " $ROWS_ASKED " in *" $r "*) ;; *) continue ;; esac
	sc=$(scenario_of "$r")
	case " $done_sc " in *" $sc "*) continue ;; esac
	done_sc="$done_sc $sc"
	echo "# dev-bench: scenario $sc ($(pv_secs "$(pv_cs)") s of host uptime)"
	[ -z "${BENCH_EXITS_DIR:-}" ] || [ ! -e $EXIT_STATS ] || echo 0 >$EXIT_STATS
	"sc_$sc" >/tmp/dev-bench.out 2>&1
	[ -z "${BENCH_EXITS_DIR:-}" ] || [ ! -e $EXIT_STATS ] || cp $EXIT_STATS "$BENCH_EXITS_DIR/$sc"
	# the rows asked for, and every comment
	while IFS= read -r line; do
		case "$line" in
		"bench "*)
			row=${line#bench }
			row=${row%% *}
			case " $ROWS_ASKED " in *" $row "*) echo "$line" ;; esac
			;;
		*) echo "$line" ;;
		esac
	done </tmp/dev-bench.out
done
exit $failed
