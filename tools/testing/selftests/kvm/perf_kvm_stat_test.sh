#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# perf_kvm_stat_test: Debian's unmodified `perf kvm stat` and `trace-cmd` read the "kvm"
# trace events (issue 21). The guest of `trace_events_test --workload` makes exactly N (100)
# CPUID, RDMSR, OUT, MMIO write, MMIO read and hypercall exits plus a few ucalls:
#  - `perf kvm stat record` records it, `perf kvm stat report` lists the exits by reason
#    with N for cpuid, msr and the hypercall, at least N for io and npf (by the vendor's
#    names), the ioport report N writes of the port, the MMIO report N writes and N reads
#    of the two addresses;
#  - with our module, the counts equal the module's own /sys/kernel/debug/kvm/exit_stats
#    over the same run (stock has no such file);
#  - `trace-cmd record -e kvm` of the same guest, then `trace-cmd report`: N kvm_cpuid and
#    kvm_hypercall records, as many kvm_entry as kvm_exit.
# perf and trace-cmd come from the "perf" bundle extra (tools/testing/vmtest/bundle.d).
# Busybox sh: POSIX only.

N=100
W=/tmp/perf_kvm_stat_test
WORKLOAD="/tests/trace_events_test --workload"
STATS=/sys/kernel/debug/kvm/exit_stats
export HOME=$W		# perf's and trace-cmd's dot files

fail() { echo "not ok: $*"; exit 1; }
skip() { echo "skip: $*"; exit 4; }

command -v perf >/dev/null || skip "no perf (the perf bundle extra)"
command -v trace-cmd >/dev/null || skip "no trace-cmd (the perf bundle extra)"
rm -rf $W && mkdir -p $W || fail "mkdir $W"
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
[ -d /sys/kernel/tracing/events/kvm ] || fail "no /sys/kernel/tracing/events/kvm"

if grep -q AuthenticAMD /proc/cpuinfo; then
	# perf's names (SVM_EXIT_REASONS), then exit_stats' names for the same exits
	CPUID=cpuid MSR=msr IO=io NPF=npf HC=hypercall
	PREFIX=svm ST_MSR=msr ST_HC=vmmcall ST_NPF=npf
else
	CPUID=CPUID MSR=MSR_READ IO=IO_INSTRUCTION NPF=EPT_VIOLATION HC=VMCALL
	PREFIX=vmx ST_MSR=rdmsr ST_HC=vmcall ST_NPF=ept_violation
fi

# --- perf kvm stat ---
[ -f $STATS ] && echo 0 >$STATS
perf kvm -o $W/perf.data stat record $WORKLOAD >$W/record.log 2>&1 ||
	{ cat $W/record.log; fail "perf kvm stat record: status $?"; }
[ -f $STATS ] && cp $STATS $W/exit_stats
perf kvm -i $W/perf.data stat report --event=vmexit >$W/vmexit.txt 2>&1 ||
	{ cat $W/vmexit.txt; fail "perf kvm stat report"; }
echo "# perf kvm stat report --event=vmexit:"
sed 's/^/# /' $W/vmexit.txt

# samples of the report line whose first column is $2
samples() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

check_eq() {	# what expected actual
	[ "$3" = "$2" ] || fail "$1: expected $2, got '${3}'"
	echo "ok: $1 = $3"
}
check_ge() {
	[ -n "$3" ] && [ "$3" -ge "$2" ] || fail "$1: expected at least $2, got '${3}'"
	echo "ok: $1 = $3 (>= $2)"
}

check_eq "perf: $CPUID exits" $N "$(samples $W/vmexit.txt $CPUID)"
check_eq "perf: $MSR exits" $N "$(samples $W/vmexit.txt $MSR)"
check_eq "perf: $HC exits" $N "$(samples $W/vmexit.txt $HC)"
check_ge "perf: $IO exits" $((N + 1)) "$(samples $W/vmexit.txt $IO)"
check_ge "perf: $NPF exits" $((2 * N)) "$(samples $W/vmexit.txt $NPF)"

if [ -f $W/exit_stats ]; then
	echo "# $STATS over the same run:"
	sed 's/^/# /' $W/exit_stats
	stat() { awk -v k="$PREFIX:$1" '$1 == k { print $2 }' $W/exit_stats; }
	check_eq "exit_stats $PREFIX:cpuid vs perf" "$(samples $W/vmexit.txt $CPUID)" "$(stat cpuid)"
	check_eq "exit_stats $PREFIX:$ST_MSR vs perf" "$(samples $W/vmexit.txt $MSR)" "$(stat $ST_MSR)"
	# perf counts an exit when the vCPU enters again: not the last one (the ucall DONE)
	check_eq "exit_stats $PREFIX:io vs perf + 1" "$(($(samples $W/vmexit.txt $IO) + 1))" "$(stat io)"
	check_eq "exit_stats $PREFIX:$ST_HC vs perf" "$(samples $W/vmexit.txt $HC)" "$(stat $ST_HC)"
	check_eq "exit_stats $PREFIX:$ST_NPF vs perf" "$(samples $W/vmexit.txt $NPF)" "$(stat $ST_NPF)"
fi

perf kvm -i $W/perf.data stat report --event=ioport >$W/ioport.txt 2>&1 ||
	{ cat $W/ioport.txt; fail "perf kvm stat report --event=ioport"; }
echo "# perf kvm stat report --event=ioport:"
sed 's/^/# /' $W/ioport.txt
check_eq "perf: ioport 0x99:POUT" $N "$(samples $W/ioport.txt 0x99:POUT)"

perf kvm -i $W/perf.data stat report --event=mmio >$W/mmio.txt 2>&1 ||
	{ cat $W/mmio.txt; fail "perf kvm stat report --event=mmio"; }
echo "# perf kvm stat report --event=mmio:"
sed 's/^/# /' $W/mmio.txt
check_eq "perf: mmio 0xc0000000:W" $N "$(samples $W/mmio.txt 0xc0000000:W)"
check_eq "perf: mmio 0xc0000004:R" $N "$(samples $W/mmio.txt 0xc0000004:R)"

# --- trace-cmd ---
(cd $W && trace-cmd record -q -e kvm -o $W/trace.dat $WORKLOAD) >$W/tc.log 2>&1 ||
	{ cat $W/tc.log; fail "trace-cmd record -e kvm"; }
trace-cmd report -i $W/trace.dat >$W/trace.txt 2>$W/tc.err ||
	{ cat $W/tc.err; fail "trace-cmd report"; }
events() { grep -c " $1: " $W/trace.txt; }
echo "# trace-cmd report: $(wc -l <$W/trace.txt) records, first kvm_exit and kvm_cpuid:"
grep -m1 " kvm_exit: " $W/trace.txt | sed 's/^/# /'
grep -m1 " kvm_cpuid: " $W/trace.txt | sed 's/^/# /'
check_eq "trace-cmd: kvm_cpuid idx 7a7a" $N "$(grep -c ' kvm_cpuid: .*func 0 idx 7a7a ' $W/trace.txt)"
check_eq "trace-cmd: kvm_hypercall a0 0x5eed" $N \
	"$(grep -c ' kvm_hypercall: .*nr 0x1 a0 0x5eed ' $W/trace.txt)"
check_ge "trace-cmd: kvm_exit" $((5 * N)) "$(events kvm_exit)"
check_eq "trace-cmd: kvm_entry vs kvm_exit" "$(events kvm_exit)" "$(events kvm_entry)"
echo "ok: perf kvm stat and trace-cmd"
exit 0
