#!/bin/sh
# Guest side of vhost_net_test: the virtio-net interface (eth0) gets the link-local address
# fe80::2 on the link to the emulated host's tap (fe80::1; nothing leaves the emulated host),
# pings the host (a ping-pong latency count), then sends a reproducible stream (pvmem gen,
# NET_MIB MiB from the kernel command line, default 4) over TCP to the host's port 5001,
# where the host compares it byte for byte, then floods the host's UDP port 5002 with
# pvdev.udp_count datagrams of pvdev.udp_size bytes (pvmem udp-send; default 4096 of 1024),
# which the host checks one by one on arrival. Lines start with "net: "; the last is
# "net: result ok" or "net: result FAIL (...)". Busybox sh.
HOST=fe80::1
ME=fe80::2
MIB=4
PINGS=10
UDP_SIZE=1024
UDP_COUNT=4096
for w in $(cat /proc/cmdline); do
	case "$w" in
	pvdev.net_mib=*) MIB=${w#*=} ;;
	pvdev.pings=*) PINGS=${w#*=} ;;
	pvdev.udp_size=*) UDP_SIZE=${w#*=} ;;
	pvdev.udp_count=*) UDP_COUNT=${w#*=} ;;
	esac
done
cs() { read -r u _ </proc/uptime; echo "${u%.*}${u#*.}"; }
secs() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }
fail() { echo "net: result FAIL ($*)"; exit 1; }

[ -d /sys/class/net/eth0 ] || fail "no eth0: virtio_net did not find the device"
echo "net: eth0 $(cat /sys/class/net/eth0/address), driver $(basename "$(readlink /sys/class/net/eth0/device/driver)")"
echo 0 >/proc/sys/net/ipv6/conf/eth0/accept_dad
ip link set lo up
ip link set eth0 up
ip -6 addr add $ME/64 dev eth0 || fail "ip -6 addr add $ME failed"
# the host configures its end of the tap once QEMU has created it
t0=$(cs)
until ping6 -c 1 -W 1 -I eth0 $HOST >/dev/null 2>&1; do
	[ $(($(cs) - t0)) -lt 3000 ] || fail "the host $HOST does not answer after 30 s"
done
echo "net: host $HOST answers after $(secs $(($(cs) - t0))) s"
p=$(ping6 -c $PINGS -i 0.1 -I eth0 $HOST 2>&1 | tail -n 2 | tr '\n' ' ')
echo "net: ping $p"
t0=$(cs)
mkfifo /tmp/net.gen
pvmem gen 31 $((MIB * 1048576)) 2>/tmp/net.gen.sum >/tmp/net.gen &
t0=$(cs)
nc $HOST%eth0 5001 </tmp/net.gen >/dev/null
rc=$?
t1=$(cs)
wait
echo "net: tcp sent $MIB MiB in $(secs $((t1 - t0))) s, nc status $rc, $(sed 's/^pvmem: //' /tmp/net.gen.sum)"
[ $rc = 0 ] || fail "nc to [$HOST]:5001 failed"
r=$(pvmem udp-send $HOST%eth0 5002 "$UDP_SIZE" "$UDP_COUNT" 37 2>&1)
rc=$?
echo "net: ${r#pvmem: }"
[ $rc = 0 ] || fail "udp flood to [$HOST]:5002 failed"
grep -E 'virtio|eth0' /proc/interrupts | tr -s ' ' | sed 's/^/net: interrupts /'
echo "net: result ok"
