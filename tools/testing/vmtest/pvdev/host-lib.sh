# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# Host side of the paravirtual device scenarios (bundle extra "pvdev"), sourced by the
# selftests virtio_blk_test, vhost_net_test, virtio_balloon_test and ksm_two_guests_test
# from /usr/lib/pvdev/lib.sh in the emulated host. Busybox sh: POSIX only.
#
# A scenario boots the bundled guest with qemu-boot-guest in the background, with more QEMU
# arguments, and QEMU_BOOT_APPEND=vmtest.run=/scenario/NAME.sh (pvdev/guest-NAME.sh). The
# host talks to the guest and to QEMU through QEMU "pipe" character devices: FIFOS P.in
# (host to QEMU) and P.out (QEMU to host; a reader copies it to P.log):
#   pv_ctl_args P      the QEMU arguments of a second serial port (the guest's ttyS1) on P
#   pv_qmp_args P      the QEMU arguments of a QMP monitor on P
#   pv_ctl P N CMD S   send "N CMD" to pvmem ctl in the guest, wait up to S s for "N ok|fail"
# P.in is written through a read-write open (1<>): opened for writing alone, a FIFO blocks
# until a reader comes, forever once QEMU is gone.

PV_PASS=0 PV_FAIL=0 PV_N=0 PV_SKIP=0

pv_ok() {	# pv_ok COND_STATUS DESCRIPTION: one TAP line
	PV_N=$((PV_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $PV_N $2"
		PV_PASS=$((PV_PASS + 1))
	else
		echo "not ok $PV_N $2"
		PV_FAIL=$((PV_FAIL + 1))
	fi
}

pv_done() {	# the exit status from the TAP lines so far: 4 (skip) when all rows skipped
	echo "# $PV_PASS passed, $PV_FAIL failed, $PV_SKIP rows skipped"
	[ "$PV_FAIL" = 0 ] || exit 1
	[ "$PV_PASS" -gt 0 ] && exit 0
	[ "$PV_SKIP" -gt 0 ] && exit 4
	exit 1
}

pv_cs() {	# the host's uptime in hundredths of a second
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

pv_secs() {	# hundredths as seconds: 1234 -> 12.34
	printf '%d.%02d' $(($1 / 100)) $(($1 % 100))
}

# pv_slow: N of pvdev.slow=N on the host's kernel command line, else 1
pv_slow() {
	n=1
	for w in $(cat /proc/cmdline); do
		case "$w" in pvdev.slow=[1-9]*) n=${w#pvdev.slow=} ;; esac
	done
	echo "$n"
}

# pv_limit DEFAULT: the nested boot's limit in host seconds, at most VMTEST_TIMEOUT - 10; the
# debug host kernel and Bochs are several times slower. pvdev.slow=N on the host's kernel
# command line (vmtest --append) multiplies it by N, for a build machine shared with other
# emulators (with a larger vmtest --timeout); pv_ctl's and pv_qmp's waits too.
pv_limit() {
	l=$1
	# stage 1 (pv_stage: stock) boots and runs slower: every interrupt goes through QEMU
	[ "$(pv_stage)" = 2 ] || l=$((l * 7 / 4))
	case "$(uname -r)" in *kvmdebug*) l=$((l * 4)) ;; esac
	[ "${VMTEST_VENDOR:-}" = kvm_intel ] && l=$((l * 6))
	l=$((l * $(pv_slow)))
	if [ -n "${VMTEST_TIMEOUT:-}" ] && [ "$l" -gt $((VMTEST_TIMEOUT - 10)) ]; then
		l=$((VMTEST_TIMEOUT - 10))
	fi
	[ "$l" -gt 0 ] || l=1
	echo "$l"
}

# pv_wait_log FILE ERE SECS: wait until a line of FILE matches ERE; print it (0), or time out
# (1); gives up early when the process PV_ALIVE (when set: QEMU's qemu-boot-guest) is gone.
PV_ALIVE=''
pv_wait_log() {
	t_end=$(($(pv_cs) + $3 * 100))
	while :; do
		# complete lines only: the writer may be in the middle of one
		if [ -r "$1" ] && l=$(head -n "$(wc -l <"$1")" "$1" | tr -d '\r' | grep -m 1 -E -e "$2"); then
			printf '%s\n' "$l"
			return 0
		fi
		[ "$(pv_cs)" -lt "$t_end" ] || return 1
		[ -z "$PV_ALIVE" ] || pv_alive "$PV_ALIVE" || return 1
		sleep 0.2
	done
}

# pv_pipe P: the FIFOs of a QEMU pipe chardev, with a reader of P.out (QEMU opens P.out for
# writing and would block without one) that copies it to P.log.
pv_pipe() {
	rm -f "$1.in" "$1.out" "$1.log" "$1.id"
	mkfifo "$1.in" "$1.out"
	: >"$1.log"
	cat "$1.out" >>"$1.log" &
}

pv_ctl_args() {
	pv_pipe "$1"
	echo "-chardev pipe,id=pvctl,path=$1 -device isa-serial,chardev=pvctl"
}

pv_qmp_args() {
	pv_pipe "$1"
	echo "-chardev pipe,id=pvqmp,path=$1 -mon chardev=pvqmp,mode=control"
}

# pv_ctl P N CMD SECS: one pvmem command (the guest runs "pvmem ctl" on ttyS1); prints the
# reply line without "N ", status 0 for "ok".
pv_ctl() {
	printf '%s %s\n' "$2" "$3" 1<>"$1.in"
	t=$(($4 * $(pv_slow)))
	r=$(pv_wait_log "$1.log" "^$2 (ok|fail)" "$t") || { echo "no answer to '$3' (in $t s, or QEMU ended)"; return 1; }
	r=${r#"$2 "}
	echo "$r"
	case "$r" in ok*) return 0 ;; esac
	return 1
}

# pv_qmp P JSON SECS: one QMP command; prints the answer ({"return"...} or {"error"...}),
# status 0 for a return. Commands are numbered with "id" to find their answer.
pv_qmp() {
	# a counter in a file: callers often run this in a subshell, $(pv_qmp ...)
	PV_QMP_ID=$(($(cat "$1.id" 2>/dev/null || echo 0) + 1))
	echo $PV_QMP_ID >"$1.id"
	case "$2" in
	*'}') cmd="${2%\}}, \"id\": $PV_QMP_ID}" ;;
	esac
	printf '%s\n' "$cmd" 1<>"$1.in"
	t=$(($3 * $(pv_slow)))
	r=$(pv_wait_log "$1.log" "\"id\": *$PV_QMP_ID[,}]" "$t") || { echo "no QMP answer in $t s"; return 1; }
	echo "$r"
	case "$r" in *'"return"'*) return 0 ;; esac
	return 1
}

pv_alive() {	# pv_alive PID: PID runs (a zombie, exited but not waited for, does not)
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

pv_rss_kb() {	# pv_rss_kb PID: VmRSS of PID in kB
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null
}

# pv_qemu_pid LOG: the pid of the QEMU whose log is LOG (qemu-boot-guest --log LOG writes
# QEMU's output there; its command line names the guest's initrd, so find it by start order)
pv_qemu_pids() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = /usr/bin/qemu-system-x86_64 ] && echo "${p#/proc/}"
	done
}

pv_in_tree_module() {	# the in-tree module (not tainted O, out of tree, as ours is)
	[ -d "/sys/module/$1" ] && ! grep -q O "/sys/module/$1/taint" 2>/dev/null
}

# pv_stock_hang REPORT: true when REPORT (qemu-boot-guest's output) says the guest ran past the
# limit on the in-tree kvm_amd. QEMU TCG, which emulates SVM in this host, delivers an
# interrupt that stock KVM injects through EVENTINJ a second time when the vCPU thread is
# kicked before the guest's next intercept, and Linux deadlocks in its handler (README.md,
# qemu_boot_stage2_test): with irqfd and ioeventfd traffic the kicks come often, and stock
# guests hang at boot or mid-transfer. Such a run proves nothing either way: the tests skip it.
pv_stock_hang() {
	pv_in_tree_module kvm_amd && printf '%s\n' "$1" | grep -q '^# QEMU killed after the limit'
}

# pv_stage: the qemu-boot-guest stage the scenarios boot: 2 (QEMU's defaults, in-kernel
# interrupt controllers, so that irqfd and vhost's interrupts go through the module) on our
# module; 1 (interrupt controller in QEMU) on the in-tree kvm_amd, whose stage 2 guests hang
# at boot in this emulated host (pv_stock_hang) and so could not check the scenarios at all.
# PVDEV_STAGE overrides.
pv_stage() {
	if [ -n "${PVDEV_STAGE:-}" ]; then
		echo "$PVDEV_STAGE"
	elif pv_in_tree_module kvm_amd; then
		echo 1
	else
		echo 2
	fi
}
