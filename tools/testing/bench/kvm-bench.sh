#!/bin/sh
# kvm-bench.sh [KVM_BENCH_ARGS...]: run inside the emulated host by tools/testing/bench/bench
# (make bench), as `vmtest --kvm both --run "kvm-bench.sh ..."`. busybox sh, POSIX only.
#
# Loads the stock in-tree modules, runs kvm_bench, unloads them; the same with ours; then
# prints the table of both figures (ns per operation) and the ratio ours/stock, between
# "==bench== table begin" and "==bench== table end", the last row "worst ratio: X".
# A measurement that failed (or a module set that did not load) shows as FAIL in its
# column and has no ratio; the exit status is then 1.
set -u
cd "$(dirname "$0")" || exit 2
BENCH=./kvm_bench
say() { echo "bench: $*"; }

if [ -z "${VMTEST_LOAD_STOCK:-}" ] || [ -z "${VMTEST_LOAD_OURS:-}" ]; then
	say "needs both module sets staged (vmtest --kvm both): VMTEST_LOAD_STOCK/OURS unset"
	exit 2
fi
# Module loads log at KERN_INFO: keep all but errors off the console (and out of the
# table). Splats still reach the kernel log, which vmtest scans.
echo 4 >/proc/sys/kernel/printk

# The rows: the benchmark names among the arguments, else all of them.
ALL=$($BENCH -l) || { say "$BENCH -l failed"; exit 2; }
NAMES=
for a in "$@"; do
	for n in $ALL; do
		[ "$a" != "$n" ] || NAMES="$NAMES $n"
	done
done
[ -n "$NAMES" ] || NAMES=$ALL

# unload_set NAMES: rmmod those of NAMES (unload order) that are loaded.
unload_set() {
	for m in $1; do
		[ ! -d "/sys/module/$m" ] || rmmod "$m" || say "rmmod $m failed"
	done
}

# run_set KVM LOAD UNLOAD ARGS...: results in /tmp/bench.KVM ("bench NAME ok|fail ...").
run_set() {
	kvm=$1 load=$2 unload=$3
	shift 3
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
	# Progress on the console as it comes; everything in the results file.
	$BENCH "$@" 2>&1 | while IFS= read -r line; do
		printf '%s\n' "$line" >>"$out"
		case "$line" in
		"bench "*) say "$kvm: ${line#bench }" ;;
		"# ASSERTION"* | "# "*errno*) say "$kvm: $line" ;;
		esac
	done
	unload_set "$unload"
	return 0
}

run_set stock "$VMTEST_LOAD_STOCK" "${VMTEST_UNLOAD_STOCK:-}" "$@"
run_set ours "$VMTEST_LOAD_OURS" "${VMTEST_UNLOAD_OURS:-}" "$@"

echo "==bench== table begin"
awk -v names="$NAMES" '
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
