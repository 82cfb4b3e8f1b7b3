#!/bin/sh
# kvm-bench.sh [KVM_BENCH_ARGS...]: run inside the emulated host by tools/testing/bench/bench
# (make bench), as `vmtest --kvm both --run "kvm-bench.sh ..."`. busybox sh, POSIX only.
#
# Loads the stock in-tree modules, runs kvm_bench, unloads them; the same with ours; then
# prints the table of both figures (ns per operation) and the ratio ours/stock, between
# "==bench== table begin" and "==bench== table end", the last row "worst ratio: X".
# A measurement that failed (or a module set that did not load) shows as FAIL in its
# column and has no ratio; the exit status is then 1.
#
# The Linux boots (qemu_boot_linux*, which need the nested QEMU bundle: bench passes vmtest
# --qemu) run after the other rows, each in a kvm_bench run of its own, so that the exits
# counted by reason in our module (/sys/kernel/debug/kvm/exit_stats, when it has that file:
# "NAME COUNT" lines, reset by a write) are that boot's alone; the table ends with each boot's
# top reasons as "#" comment lines, before the worst ratio.
#
# The device and migration rows of issues 20 and 21 (dev-bench.sh -l; the bundle extras
# "virtio pvdev migrate") run last, in one dev-bench.sh run per module set; they are not among
# the default rows (no name given): the name "devices" selects them all. On ours, each of
# their scenarios' exit counts by reason join the table as "#" lines too.
#
# --trace-kvm: the rows run with the "kvm" trace events that both module sets define
# (TRACE_EVENTS) enabled in tracefs, recorded into the ring buffer: the cost of tracing.
set -u
cd "$(dirname "$0")" || exit 2
BENCH=./kvm_bench
DEVBENCH=./dev-bench.sh
BOOT_PREFIX=qemu_boot_linux	# the boot rows: qemu_boot_linux, qemu_boot_linux_irqchip
EXIT_STATS=/sys/kernel/debug/kvm/exit_stats
TOP_EXITS=8
TRACEFS=/sys/kernel/tracing
TRACE_EVENTS="kvm_entry kvm_exit kvm_pio kvm_mmio kvm_msr kvm_cpuid kvm_hypercall kvm_inj_virq
kvm_userspace_exit kvm_page_fault kvm_set_irq kvm_msi_set_irq"
TRACE=0
say() { echo "bench: $*"; }

if [ -z "${VMTEST_LOAD_STOCK:-}" ] || [ -z "${VMTEST_LOAD_OURS:-}" ]; then
	say "needs both module sets staged (vmtest --kvm both): VMTEST_LOAD_STOCK/OURS unset"
	exit 2
fi
# Module loads log at KERN_INFO: keep all but errors off the console (and out of the
# table). Splats still reach the kernel log, which vmtest scans.
echo 4 >/proc/sys/kernel/printk

# The rows: the benchmark names among the arguments, else all of them; the other arguments
# (-r REPS) are kvm_bench's options.
ALL=$($BENCH -l) || { say "$BENCH -l failed"; exit 2; }
# shellcheck disable=SC2086,SC2116 # on one line
ALL=$(echo $ALL)
DEV_ALL=$($DEVBENCH -l) || { say "$DEVBENCH -l failed"; exit 2; }
# shellcheck disable=SC2086,SC2116
DEV_ALL=$(echo $DEV_ALL)
NAMES='' OPTS=''
for a in "$@"; do
	[ "$a" = --trace-kvm ] && { TRACE=1; continue; }
	[ "$a" = devices ] && { NAMES="$NAMES $DEV_ALL"; continue; }
	case " $ALL $DEV_ALL " in
	*" $a "*) NAMES="$NAMES $a" ;;
	*)
		case "$a" in
		-* | [0-9]*) OPTS="$OPTS $a" ;;
		*) say "no benchmark '$a' ($BENCH -l lists them)"; exit 2 ;;
		esac
		;;
	esac
done
[ -n "$NAMES" ] || NAMES=$ALL
# The rows in kvm_bench's order, the boots apart, then the device rows.
SHORT='' BOOTS='' DEV=''
for n in $DEV_ALL; do
	case " $NAMES " in *" $n "*) DEV="$DEV $n" ;; esac
done
for n in $ALL; do
	case " $NAMES " in
	*" $n "*)
		case "$n" in
		"$BOOT_PREFIX"*) BOOTS="$BOOTS $n" ;;
		*) SHORT="$SHORT $n" ;;
		esac
		;;
	esac
done
NAMES="$SHORT$BOOTS$DEV"

# unload_set NAMES: rmmod those of NAMES (unload order) that are loaded.
unload_set() {
	for m in $1; do
		[ ! -d "/sys/module/$m" ] || rmmod "$m" || say "rmmod $m failed"
	done
}

# run_bench KVM OUT ARGS...: kvm_bench ARGS, progress on the console as it comes,
# everything appended to OUT. A failed row shows its comment lines, but not the lines of the
# guest's console that the boot's report quotes ("#   ..."): a guest kernel's panic or
# warning is not the host's, and vmtest would take it for one (make check
# TESTS=qemu_boot_test shows them).
run_bench() {
	kvm=$1 out=$2 cmd=$BENCH
	shift 2
	[ "${1:-}" != "$DEVBENCH" ] || { cmd=$1; shift; }
	: >/tmp/bench.row
	$cmd "$@" 2>&1 | while IFS= read -r line; do
		printf '%s\n' "$line" >>"$out"
		case "$line" in
		"#   "* | "# notable"* | "# last "*) ;;
		"# stats "*) say "$kvm: ${line#\# }" ;;
		"# "*) if [ "$cmd" = "$DEVBENCH" ]; then say "$kvm: ${line#\# }"; else printf '%s\n' "$line" >>/tmp/bench.row; fi ;;
		"bench "*" fail "*)
			sed "s/^/bench: $kvm: /" /tmp/bench.row
			say "$kvm: ${line#bench }"
			;;
		"bench "*) say "$kvm: ${line#bench }" ;;
		esac
		case "$line" in "bench "*) : >/tmp/bench.row ;; esac
	done
}

# exit_stats_top BOOT: the top exit reasons of the counts in EXIT_STATS, as comment lines. The
# backend's exits are named VENDOR:REASON (svm:npf); the returns to userspace among them are
# counted again as user:REASON (user:mmio), so the total is that of the others.
exit_stats_top() {
	boot=$1 stats=${2:-$EXIT_STATS}
	awk '$2 ~ /^[0-9]+$/ { if ($1 ~ /^user:/) u += $2; else n += $2 }
		END { printf "%d %d\n", n, u }' "$stats" >/tmp/bench.totals
	read -r total user </tmp/bench.totals
	echo "# $boot on ours: $total exits, $user of them to userspace ($EXIT_STATS);" \
		"the top $TOP_EXITS reasons:"
	sort -k2,2nr "$stats" | awk -v top=$TOP_EXITS -v total="$total" '
		$2 ~ /^[0-9]+$/ && $2 > 0 && n < top {
			n++
			printf "#   %-28s %12d %5.1f%%\n", $1, $2, total ? 100 * $2 / total : 0
		}'
}

# trace_events 0|1: the TRACE_EVENTS off or on (--trace-kvm)
trace_events() {
	[ "$TRACE" = 1 ] || return 0
	[ -d $TRACEFS/events ] || mount -t tracefs nodev $TRACEFS
	for e in $TRACE_EVENTS; do
		echo "$1" >$TRACEFS/events/kvm/$e/enable || say "cannot switch $e to $1"
	done
}

# run_set KVM LOAD UNLOAD: results in /tmp/bench.KVM ("bench NAME ok|fail ..."); for ours,
# each boot's exit reasons appended to /tmp/bench.exits.
run_set() {
	kvm=$1 load=$2 unload=$3
	out=/tmp/bench.$kvm
	: >"$out"
	for ko in $load; do
		if ! insmod "$ko" >/tmp/insmod.log 2>&1; then
			say "$kvm: insmod $ko failed: $(cat /tmp/insmod.log)"
			dmesg | tail -n 5 | sed "s/^/bench: $kvm: /"
			unload_set "$unload"
			return 1
		fi
	done
	say "$kvm: loaded $unload"
	trace_events 1
	# shellcheck disable=SC2086 # word splitting wanted
	[ -z "$SHORT" ] || run_bench "$kvm" "$out" $OPTS $SHORT
	for boot in $BOOTS; do
		if [ "$kvm" = ours ]; then
			grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
				mount -t debugfs debugfs /sys/kernel/debug
			if [ -e "$EXIT_STATS" ]; then
				echo 0 >"$EXIT_STATS" || say "ours: cannot reset $EXIT_STATS"
			fi
		fi
		# shellcheck disable=SC2086
		run_bench "$kvm" "$out" $OPTS "$boot"
		if [ "$kvm" = ours ]; then
			if [ -e "$EXIT_STATS" ]; then
				exit_stats_top "$boot" >>/tmp/bench.exits
			else
				echo "# $boot on ours: no exit counts by reason ($EXIT_STATS does not exist)" \
					>>/tmp/bench.exits
			fi
		fi
	done
	if [ -n "$DEV" ]; then
		rm -rf /tmp/bench.devexits
		mkdir -p /tmp/bench.devexits
		if [ "$kvm" = ours ]; then
			grep -q ' /sys/kernel/debug debugfs ' /proc/mounts ||
				mount -t debugfs debugfs /sys/kernel/debug
		fi
		# shellcheck disable=SC2086
		BENCH_EXITS_DIR=/tmp/bench.devexits run_bench "$kvm" "$out" $DEVBENCH $DEV
		if [ "$kvm" = ours ]; then
			for f in /tmp/bench.devexits/*; do
				[ -f "$f" ] && exit_stats_top "device scenario ${f##*/}" "$f" >>/tmp/bench.exits
			done
		fi
	fi
	trace_events 0
	unload_set "$unload"
	return 0
}

: >/tmp/bench.exits
run_set stock "$VMTEST_LOAD_STOCK" "${VMTEST_UNLOAD_STOCK:-}"
run_set ours "$VMTEST_LOAD_OURS" "${VMTEST_UNLOAD_OURS:-}"

echo "==bench== table begin"
awk -v names="$NAMES" -v comments=/tmp/bench.exits '
	$1 == "bench" { val[FILENAME ~ /stock$/ ? 1 : 2, $2] = ($3 == "ok") ? $4 : "FAIL" }
	END {
		n = split(names, name, " ")
		printf "%-26s %14s %14s %10s\n", "benchmark (ns per op)", "stock", "ours", "ours/stock"
		worst = ""; failed = 0
		for (i = 1; i <= n; i++) {
			s = ((1, name[i]) in val) ? val[1, name[i]] : "FAIL"
			o = ((2, name[i]) in val) ? val[2, name[i]] : "FAIL"
			if (s == "FAIL" || o == "FAIL" || s + 0 <= 0) {
				ratio = "-"
				failed++
			} else {
				r = o / s
				ratio = sprintf("%.2f", r)
				if (worst == "" || r > worst + 0)
					worst = r
			}
			printf "%-26s %14s %14s %10s\n", name[i], s, o, ratio
		}
		while ((getline line < comments) > 0)
			print line
		if (worst == "")
			line = "worst ratio: none"
		else
			line = sprintf("worst ratio: %.2f", worst)
		if (failed)
			line = line sprintf(" (%d of %d rows FAILED, not counted)", failed, n)
		print line
		exit failed ? 1 : 0
	}' /tmp/bench.stock /tmp/bench.ours
rc=$?
echo "==bench== table end"
exit $rc
