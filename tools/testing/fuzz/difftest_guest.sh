#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2153 # VMTEST_* come from the harness
# difftest_guest: the same random guest programs (kvm_guest_fuzz --trace, fixed seed) on our
# modules and on the stock in-tree ones, in the same emulated host (vmtest --kvm both); the
# per-program traces (exits with payload, injected events, final registers) must agree.
# Each differing program is printed (first 40 differing lines); it is allowed only if a
# pattern of difftest_guest.allow matches its first differing line (see that file).
# ./fuzz.conf: FUZZ_TIME (seconds for our run, default 60; stock runs the same programs),
# FUZZ_SEED (default 16) and FUZZ_PROGRAMS (a count instead of a time: the same programs
# whatever the machine's speed, so a bounded CI pass compares a fixed set).
FUZZ_TIME=60
FUZZ_SEED=
FUZZ_PROGRAMS=
# shellcheck disable=SC1091
[ -r ./fuzz.conf ] && . ./fuzz.conf
seed=${FUZZ_SEED:-16}
here=$(cd "$(dirname "$0")" && pwd)
fuzz=$here/kvm_guest_fuzz
allow=$here/difftest_guest.allow
if [ ! -r "$allow" ]; then
	echo "difftest_guest: no $allow (install it next to this script): nothing allowed"
	allow=/dev/null
fi
out=${DIFFTEST_OUT:-/tmp/difftest_guest}
mkdir -p "$out"

if [ -z "$VMTEST_LOAD_OURS" ] || [ -z "$VMTEST_LOAD_STOCK" ]; then
	echo "difftest_guest: needs vmtest --kvm both (VMTEST_LOAD_OURS, VMTEST_LOAD_STOCK)"
	exit 4
fi

load() {
	for ko in $1; do
		insmod "$ko" || { echo "difftest_guest: FAIL: insmod $ko"; exit 1; }
	done
}

unload() {
	# shellcheck disable=SC2086
	rmmod $1 || { echo "difftest_guest: FAIL: rmmod $1"; exit 1; }
}

if [ -n "$FUZZ_PROGRAMS" ]; then
	bound="--programs $FUZZ_PROGRAMS"
	echo "difftest_guest: seed $seed, $FUZZ_PROGRAMS programs on ours, then on stock"
else
	bound="--time $FUZZ_TIME"
	echo "difftest_guest: seed $seed, ours for $FUZZ_TIME s, then stock on the same programs"
fi
load "$VMTEST_LOAD_OURS"
# shellcheck disable=SC2086 # $bound: an option and its value
"$fuzz" --trace --seed "$seed" $bound >"$out/ours.trace" 2>"$out/ours.err"
rc_ours=$?
unload "$VMTEST_UNLOAD_OURS"
n=$(sed -n 's/^guest-fuzz: seed=[0-9]* programs=\([0-9]*\) .*/\1/p' "$out/ours.trace")
if [ -z "$n" ]; then
	# a failed run: compare the programs it got through
	n=$(sed -n 's/^\([0-9][0-9]*\): P .*/\1/p' "$out/ours.trace" | tail -n 1)
	n=${n:-0}
fi
load "$VMTEST_LOAD_STOCK"
"$fuzz" --trace --seed "$seed" --programs "$n" >"$out/stock.trace" 2>"$out/stock.err"
rc_stock=$?
unload "$VMTEST_UNLOAD_STOCK"
echo "difftest_guest: ours rc=$rc_ours, stock rc=$rc_stock, $n programs"
grep '^guest-fuzz: seed=.*programs=' "$out/ours.trace" | sed 's/^/ours:  /'
grep '^guest-fuzz: seed=.*programs=' "$out/stock.trace" | sed 's/^/stock: /'
fail=0
if [ "$rc_ours" != 0 ]; then
	echo "difftest_guest: FAIL: kvm_guest_fuzz failed on ours:"
	head -n 20 "$out/ours.err"
	fail=1
fi
if [ "$rc_stock" != 0 ]; then
	echo "difftest_guest: FAIL: kvm_guest_fuzz failed on stock (a checker bug or a quirk):"
	head -n 20 "$out/stock.err"
	fail=1
fi

# Compare program by program. Allow file: one "REGEX # reason" per line; the regex is
# matched against "ours: LINE | stock: LINE", the first differing line pair of a program
# (a program whose trace ended first has an empty line there).
awk -v allowf="$allow" -v n="$n" '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
BEGIN {
	na = 0
	while ((getline line < allowf) > 0) {
		if (line ~ /^[ \t]*(#|$)/) continue
		i = index(line, " # ")
		if (i) { pat = trim(substr(line, 1, i - 1)); why = trim(substr(line, i + 3)) }
		else { pat = trim(line); why = "(no reason given)" }
		na++; apat[na] = pat; awhy[na] = why; ahits[na] = 0
	}
}
FNR == 1 { f++ }
/^[0-9]+: / {
	p = $1; sub(/:$/, "", p); p += 0
	rest = substr($0, length($1) + 2)
	if (f == 1) { o[p, ++on[p]] = rest } else { s[p, ++sn[p]] = rest }
	if (p > maxp) maxp = p
}
END {
	same = 0; allowed = 0; bad = 0
	for (p = 0; p < n; p++) {
		m = on[p] > sn[p] ? on[p] : sn[p]
		first = 0
		for (i = 1; i <= m; i++)
			if (o[p, i] != s[p, i]) { first = i; break }
		if (!first) { same++; continue }
		pair = "ours: " o[p, first] " | stock: " s[p, first]
		why = ""
		for (a = 1; a <= na; a++)
			if (pair ~ apat[a]) { why = awhy[a]; ahits[a]++; break }
		if (why != "") {
			allowed++
			printf("program %d: allowed (%s): %s | %s\n", p, why, o[p, first], s[p, first])
			continue
		}
		bad++
		printf("program %d differs (%s):\n", p, o[p, 1])
		shown = 0
		for (i = first; i <= m && shown < 40; i++) {
			if (o[p, i] == s[p, i]) continue
			printf("  - ours:  %s\n  + stock: %s\n", o[p, i], s[p, i]); shown++
		}
	}
	printf("difftest_guest: %d programs compared: %d identical, %d allowed, %d differ\n",
	       n, same, allowed, bad)
	for (a = 1; a <= na; a++)
		if (ahits[a]) printf("  allowed %d x: %s\n", ahits[a], awhy[a])
	exit bad ? 1 : 0
}' "$out/ours.trace" "$out/stock.trace" || fail=1
exits=$(grep -c ': E ' "$out/ours.trace")
echo "difftest_guest: $exits exits compared (ours' trace)"
[ "$fail" = 0 ] && echo "difftest_guest: PASS" || echo "difftest_guest: FAIL"
exit "$fail"
