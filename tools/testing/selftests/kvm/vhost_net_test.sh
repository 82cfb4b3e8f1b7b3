#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# vhost_net_test: the nested guest's own virtio_net driver on Debian's QEMU -netdev tap
# -device virtio-net-pci (PCI, MSI-X), in two rows: vhost=on, where the host kernel's
# vhost_net moves the packets and talks to the guest only through the module's ioeventfd
# (queue kicks) and irqfd (MSI routes), and vhost=off (QEMU's own virtio-net in userspace).
# Each row: the guest (tools/testing/vmtest/pvdev/guest-net.sh) takes fe80::2 on its eth0,
# the emulated host fe80::1 on the tap (IPv6 link-local: nothing leaves the emulated host);
# the guest pings the host (ping-pong latency over PINGS round trips) and sends NET_MIB MiB
# of a reproducible stream over TCP, which the host compares byte for byte on arrival
# (pvmem check), then floods the host with UDP_COUNT datagrams of UDP_SIZE bytes, each
# checked on arrival (pvmem udp-recv: none corrupted or repeated, at least half arrived,
# the checksum equal to the sender's when all did). With vhost=on the host must show
# QEMU's vhost worker thread (vhost-PID); with vhost=off it must not. Bundle extras
# "virtio pvdev" (qemu.list). Busybox sh.
. /usr/lib/pvdev/lib.sh || { echo "1..0 # SKIP no /usr/lib/pvdev/lib.sh (bundle extra pvdev)"; exit 4; }

MIB=${NET_MIB:-4}
PINGS=${PINGS:-10}
UDP_SIZE=${UDP_SIZE:-1024}
UDP_COUNT=${UDP_COUNT:-4096}
ROWS=${NET_ROWS:-on off}
TAP=pvtap0
limit=$(pv_limit 90)

echo "TAP version 13"
STAGE=$(pv_stage)
echo "# nested guests boot at qemu-boot-guest stage $STAGE ($( [ "$STAGE" = 2 ] && echo "in-kernel interrupt controllers, irqfd" || echo "interrupt controller in QEMU"))"
n=0
for row in $ROWS; do n=$((n + 6)); done
echo "1..$n"
if ! out=$(bundle-modules-load 2>&1); then
	echo "# $out"
fi
for d in /dev/net/tun /dev/vhost-net; do
	[ -c $d ] || echo "# no $d"
done

for row in $ROWS; do
	LOG=/tmp/vhost_net_test.$row.console
	RX=/tmp/vhost_net_test.$row.rx
	rm -f "$RX" "$LOG"
	# the receiver, listening before the guest starts
	rm -f "$RX.fifo" "$RX.hold"
	mkfifo "$RX.fifo"
	pvmem check 31 $((MIB * 1048576)) <"$RX.fifo" 2>"$RX" &
	checker=$!
	# busybox nc sends a shutdown when its stdin ends and exits when the peer's does: the
	# receiver's stdin is a FIFO held open (fd 9) until the transfer is over
	rm -f "$RX.hold"
	mkfifo "$RX.hold"
	nc -l -p 5001 <"$RX.hold" >"$RX.fifo" &
	listener=$!
	exec 9>"$RX.hold"
	# the UDP receiver: done when all arrived, 10 s after the last, or at the limit
	pvmem udp-recv 5002 "$UDP_SIZE" "$UDP_COUNT" 37 10 "$limit" 2>"$RX.udp" &
	udp=$!
	QEMU_BOOT_APPEND="quiet vmtest.run=/scenario/net.sh pvdev.net_mib=$MIB pvdev.pings=$PINGS pvdev.udp_size=$UDP_SIZE pvdev.udp_count=$UDP_COUNT" \
		qemu-boot-guest --stage "$STAGE" --smp 1 --limit "$limit" --log "$LOG" -- \
		-netdev "tap,id=net0,ifname=$TAP,script=no,downscript=no,vhost=$row" \
		-device virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56,romfile= >"$LOG.report" &
	boot=$!
	# the host's end of the link, once QEMU has created the tap
	t0=$(pv_cs) configured=0 vhost='' qemu=''
	while kill -0 $boot 2>/dev/null; do
		if [ $configured = 0 ] && [ -d /sys/class/net/$TAP ]; then
			echo 0 >/proc/sys/net/ipv6/conf/$TAP/accept_dad
			ip -6 addr add fe80::1/64 dev $TAP && ip link set $TAP up && configured=1
			echo "# host: $TAP up with fe80::1 after $(pv_secs $(($(pv_cs) - t0))) s"
		fi
		[ -n "$qemu" ] || qemu=$(pv_qemu_pids | head -n 1)
		if [ -n "$qemu" ] && [ -z "$vhost" ]; then
			# vhost_net's worker: a kernel thread named vhost-<owner pid>
			for c in /proc/[0-9]*/comm; do
				name=$(cat "$c" 2>/dev/null) || continue
				[ "$name" = "vhost-$qemu" ] && vhost="${c%/comm}" && break
			done
		fi
		sleep 0.5
	done
	wait $boot
	rc=$?
	sed 's/^#/# '"$row"':/' "$LOG.report"
	tr -d '\r' <"$LOG" | grep -E '^(net|vmtest-guest):' | sed 's/^/# guest: /'
	# the receiver ends with the stream; do not leave one waiting for a guest that failed
	sleep 1
	kill -KILL $listener 2>/dev/null
	exec 9>&-
	wait $listener 2>/dev/null
	wait $checker 2>/dev/null
	kill $udp 2>/dev/null
	wait $udp 2>/dev/null
	rm -f "$RX.fifo" "$RX.hold"

	if [ $rc != 0 ] && pv_stock_hang "$(cat "$LOG.report")"; then
		echo "# stock kvm_amd: the guest hung; QEMU TCG delivers EVENTINJ interrupts twice (README)"
		echo "ok $((PV_N + 1)) vhost_net vhost=$row # SKIP stock KVM hit the emulated host's EVENTINJ bug"
		PV_N=$((PV_N + 6)) PV_SKIP=$((PV_SKIP + 1))
		continue
	fi
	pv_ok $rc "vhost_net vhost=$row: guest booted and powered off (qemu-boot-guest status $rc)"
	if [ $row = on ]; then
		[ -n "$vhost" ]
		pv_ok $? "vhost_net vhost=$row: vhost worker thread of QEMU $qemu seen (${vhost:-none}: vhost-$qemu)"
	else
		[ -z "$vhost" ]
		pv_ok $? "vhost_net vhost=$row: no vhost worker thread of QEMU ${qemu:-?} (${vhost:-none})"
	fi
	ping=$(tr -d '\r' <"$LOG" | sed -n 's/^net: ping //p')
	echo "# $row: guest ping6 to the host: ${ping:-none}"
	case "$ping" in *"$PINGS packets transmitted, $PINGS packets received"*) true ;; *) false ;; esac
	pv_ok $? "vhost_net vhost=$row: $PINGS of $PINGS ping-pong round trips answered"
	sent=$(tr -d '\r' <"$LOG" | sed -n 's/^net: tcp sent //p')
	rx=$(sed 's/^pvmem: //' "$RX" 2>/dev/null)
	echo "# $row: guest sent ${sent:-nothing}; host received: ${rx:-nothing}"
	gsum=$(echo "$sent" | sed -n 's/.* sum \([0-9a-f]*\)$/\1/p')
	[ -n "$gsum" ] && case "$rx" in *" sum $gsum ok") true ;; *) false ;; esac
	pv_ok $? "vhost_net vhost=$row: $MIB MiB over TCP from the guest arrived intact (checksums ${gsum:-none} / $(echo "$rx" | sed -n 's/.* sum \([0-9a-f]*\).*/\1/p'))"
	usent=$(tr -d '\r' <"$LOG" | sed -n 's/^net: udp sent //p')
	urx=$(sed -n 's/^pvmem: udp received //p' "$RX.udp" 2>/dev/null)
	echo "# $row: guest sent ${usent:-nothing}; host received ${urx:-nothing}"
	ugot=$(echo "$urx" | sed -n 's/^\([0-9]*\) of.*/\1/p')
	usum=$(echo "$usent" | sed -n 's/.* sum \([0-9a-f]*\)$/\1/p')
	case "$urx" in
	*" ok") [ "${ugot:-0}" -ge $((UDP_COUNT / 2)) ] &&
		{ [ "$ugot" -lt "$UDP_COUNT" ] || case "$urx" in *" sum $usum ok") true ;; *) false ;; esac; } ;;
	*) false ;;
	esac
	pv_ok $? "vhost_net vhost=$row: UDP flood of $UDP_COUNT x $UDP_SIZE bytes: ${ugot:-0} arrived intact (>= $((UDP_COUNT / 2)), none corrupted or repeated)"
	res=$(tr -d '\r' <"$LOG" | grep -m 1 '^net: result')
	[ "$res" = "net: result ok" ]
	pv_ok $? "vhost_net vhost=$row: guest scenario (${res:-no result line})"
	t=$(echo "$sent" | sed -n 's/.* in \([0-9]*\)\.\([0-9]*\) s,.*/\1\2/p')
	mbs=''
	[ -n "$t" ] && [ "$t" -gt 0 ] && mbs=$((MIB * 1048576 * 100 / t / 1000))
	rtt=$(echo "$ping" | sed -n 's/.*min\/avg\/max = \([0-9.\/]*\) ms.*/\1/p')
	ut=$(echo "$usent" | sed -n 's/.* in \([0-9]*\)\.\([0-9]*\) s.*/\1\2/p')
	ukbs=''
	[ -n "$ut" ] && [ "$ut" -gt 0 ] && ukbs=$((UDP_COUNT * UDP_SIZE * 100 / ut / 1000))
	echo "# figures vhost=$row: tcp guest->host ${mbs:-?} kB/s ($MIB MiB), udp flood ${ukbs:-?} kB/s sent, ${ugot:-0} of $UDP_COUNT received, ping rtt min/avg/max ${rtt:-?} ms (guest clock)"
done
pv_done
