#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# libvirt_test: Debian's libvirtd (QEMU driver) and virsh on /dev/kvm, inside the emulated
# host: virsh capabilities and domcapabilities report domain type kvm, virsh create of a
# domain XML (type kvm, the bundle's kernel and initrd, the serial console to a file) boots
# the guest to userspace, and list, dominfo, domstats, suspend, resume, setmem (the guest's
# virtio balloon) and destroy work.
# The guest runs the migration tests' scenario (/scenario/migrate.sh: writers that count on
# the serial line), so that its progress shows it ran, stopped while suspended, and ran on
# after resume.
# libvirtd runs as root with what a busybox initramfs lacks turned off in qemu.conf: no
# security driver, no private /dev namespace, no cgroups, no virtlogd (stdio to a file).
# Busybox sh: POSIX only.

LOG=/tmp/libvirt-guest.log
D=/tmp/libvirt-test
LIMIT=${LIBVIRT_BOOT_LIMIT:-180}
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $*"; }
say() { echo "# $*"; }
uptime_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}
daemon=''
cleanup() {
	virsh -c qemu:///system destroy vmtest >/dev/null 2>&1
	[ -z "$daemon" ] || kill "$daemon" 2>/dev/null
}
trap cleanup EXIT
bail() {
	nok "$*"
	[ ! -s $D/libvirtd.log ] || { say "libvirtd log (last 30 lines):"; tail -n 30 $D/libvirtd.log | sed 's/^/#   /'; }
	[ ! -s /var/log/libvirt/qemu/vmtest.log ] || { say "QEMU log:"; tail -n 20 /var/log/libvirt/qemu/vmtest.log | sed 's/^/#   /'; }
	[ ! -s $LOG ] || { say "guest console (last 20 lines):"; tail -n 20 $LOG | tr -d '\r' | sed 's/^/#   /'; }
	echo "1..$n"
	exit 1
}
# wait_for FILE ERE SECS
wait_for() {
	wf_end=$(($(uptime_cs) + $3 * 100))
	while ! tr -d '\r' <"$1" 2>/dev/null | grep -q -E -e "$2"; do
		[ "$(uptime_cs)" -lt "$wf_end" ] || return 1
		sleep 0.5
	done
}
count_of() {	# the last count writer w0 printed
	tr -d '\r' <$LOG | sed -n 's/^vmtest-migrate: w0 count \([0-9]*\) .*/\1/p' | tail -n 1
}
v() { timeout 120 virsh -c qemu:///system "$@"; }

echo "TAP version 13"
if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
	echo "# no libvirtd/virsh: the bundle lacks the 'libvirt' extra (qemu.list)"
	echo "not ok 1 libvirt bundle"
	exit 1
fi
rm -rf $D
mkdir -p $D /etc/libvirt /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu \
	/var/log/libvirt/qemu /var/lib/libvirt/qemu/nvram /root
[ -e /var/run ] || ln -s /run /var/run
grep -q '^root:' /etc/passwd 2>/dev/null || echo 'root:x:0:0:root:/root:/bin/sh' >>/etc/passwd
grep -q '^root:' /etc/group 2>/dev/null || echo 'root:x:0:' >>/etc/group
grep -q '^kvm:' /etc/group 2>/dev/null || echo 'kvm:x:0:' >>/etc/group
# the QEMU driver looks its default user up before it reads qemu.conf (which says root)
grep -q '^libvirt-qemu:' /etc/passwd ||
	echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/bin/false' >>/etc/passwd
grep -q '^libvirt-qemu:' /etc/group || echo 'libvirt-qemu:x:64055:' >>/etc/group
cat >/etc/libvirt/qemu.conf <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
EOF
cat >/etc/libvirt/libvirtd.conf <<EOF
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:$D/libvirtd.log"
EOF
t0=$(uptime_cs)
libvirtd -f /etc/libvirt/libvirtd.conf >$D/libvirtd.out 2>&1 &
daemon=$!
i=0
until v version >$D/version 2>&1; do
	i=$((i + 1))
	kill -0 $daemon 2>/dev/null || { cat $D/libvirtd.out | sed 's/^/#   /'; bail "libvirtd exited"; }
	[ $i -lt 120 ] || bail "virsh cannot reach libvirtd: $(cat $D/version)"
	sleep 0.5
done
ok "libvirtd answers: $(tr '\n' ' ' <$D/version)"

v capabilities >$D/caps.xml 2>&1 || bail "virsh capabilities: $(head -c 300 $D/caps.xml)"
if grep -q "<domain type='kvm'" $D/caps.xml; then
	ok "virsh capabilities: domain type kvm ($(grep -c '<domain type=' $D/caps.xml) domain types)"
else
	nok "virsh capabilities: expected <domain type='kvm'>, got: $(grep '<domain type' $D/caps.xml | tr -s ' \n' '  ')"
fi
v domcapabilities --virttype kvm >$D/domcaps.xml 2>&1 ||
	bail "virsh domcapabilities --virttype kvm: $(head -c 300 $D/domcaps.xml)"
if grep -q '<domain>kvm</domain>' $D/domcaps.xml; then
	ok "virsh domcapabilities: <domain>kvm</domain>, machine $(sed -n 's/.*<machine>\(.*\)<\/machine>.*/\1/p' $D/domcaps.xml)"
else
	nok "virsh domcapabilities: expected <domain>kvm</domain>, got $(grep '<domain>' $D/domcaps.xml)"
fi

: >$LOG
# libvirt's defaults are QEMU's: the in-kernel irqchip (stage 2). The in-tree kvm_amd hangs
# such boots in this emulated host (QEMU TCG delivers its EVENTINJ interrupts twice,
# README), so there the domain gets the stage 1 machine instead: the interrupt controller
# in QEMU (-machine kernel-irqchip=off, passed through) and -cpu qemu64.
cpu="<cpu mode='host-passthrough'/>" extra='' stage=2
if [ -d /sys/module/kvm_amd ] && ! grep -q O /sys/module/kvm_amd/taint 2>/dev/null; then
	cpu="<cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>"
	extra="<qemu:commandline><qemu:arg value='-machine'/><qemu:arg value='kernel-irqchip=off'/></qemu:commandline>"
	stage=1
fi
say "domain: stage $stage ($cpu)"
cat >$D/vmtest.xml <<EOF
<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>vmtest</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/qemu/guest/vmlinuz</kernel>
    <initrd>/qemu/guest/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet vmtest.run=/scenario/migrate.sh</cmdline>
  </os>
  <features><acpi/></features>
  $cpu
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='$LOG'/><target port='0'/></serial>
    <controller type='usb' model='none'/>
    <memballoon model='virtio'/>
  </devices>
  $extra
</domain>
EOF
v create $D/vmtest.xml >$D/create 2>&1 || bail "virsh create: $(cat $D/create)"
ok "virsh create: $(tr '\n' ' ' <$D/create)"
v list >$D/list 2>&1
if grep -q 'vmtest *running' $D/list; then
	ok "virsh list: vmtest running"
else
	nok "virsh list: expected vmtest running, got: $(tr -s ' \n' '  ' <$D/list)"
fi
wait_for $LOG 'vmtest-migrate: w0 count 3 ' $LIMIT ||
	bail "the guest did not reach userspace and count to 3 within $LIMIT s"
ok "guest reached userspace: $(tr -d '\r' <$LOG | grep -m 1 'vmtest-guest: userspace reached')"
v dominfo vmtest >$D/dominfo 2>&1
if grep -q '^State: *running' $D/dominfo && grep -q '^CPU(s): *1' $D/dominfo; then
	ok "virsh dominfo: running, 1 CPU, $(sed -n 's/^Max memory: *//p' $D/dominfo)"
else
	nok "virsh dominfo: expected State running and 1 CPU, got: $(tr -s ' \n' '  ' <$D/dominfo)"
fi
v domstats vmtest >$D/domstats 2>&1
if grep -q 'state.state=1' $D/domstats && grep -q 'vcpu.0.state=1' $D/domstats; then
	ok "virsh domstats: state 1 (running), vcpu.0 running, $(grep -c = $D/domstats) values"
else
	nok "virsh domstats: expected state.state=1 and vcpu.0.state=1, got: $(head -c 400 $D/domstats | tr '\n' ' ')"
fi

v suspend vmtest >$D/suspend 2>&1 || nok "virsh suspend: $(cat $D/suspend)"
sleep 1
c1=$(count_of)
sleep 3
c2=$(count_of)
state=$(v domstate vmtest 2>&1)
if [ "$c1" = "$c2" ] && [ "$state" = paused ]; then
	ok "virsh suspend: paused, the guest's count stays at $c1"
else
	nok "virsh suspend: expected state paused and the count still, got '$state', $c1 then $c2"
fi
v resume vmtest >$D/resume 2>&1 || nok "virsh resume: $(cat $D/resume)"
if wait_for $LOG "vmtest-migrate: w0 count $((c2 + 2)) " 60; then
	ok "virsh resume: the guest counts on ($c2 to $((c2 + 2)))"
else
	nok "virsh resume: expected the count to pass $((c2 + 2)), got $(count_of)"
fi
# the balloon (virtio_balloon in the guest, bundle extra libvirt): 256 MiB down to 192 MiB
if v setmem vmtest 196608 --live >$D/setmem 2>&1; then
	i=0 actual=''
	while [ $i -lt 60 ]; do
		actual=$(v dommemstat vmtest 2>/dev/null | sed -n 's/^actual //p')
		[ "$actual" = 196608 ] && break
		i=$((i + 1))
		sleep 0.5
	done
	if [ "$actual" = 196608 ]; then
		ok "virsh setmem: the guest's balloon gave back 64 MiB (dommemstat actual $actual KiB)"
	else
		nok "virsh setmem: expected dommemstat actual 196608 KiB, got '$actual'"
	fi
else
	nok "virsh setmem: $(cat $D/setmem)"
fi
if grep -q 'vmtest-migrate: ERROR' $LOG; then
	nok "the guest reported errors: $(grep 'vmtest-migrate: ERROR' $LOG | head -n 3)"
fi
v destroy vmtest >$D/destroy 2>&1 || nok "virsh destroy: $(cat $D/destroy)"
v list --all >$D/list 2>&1
if grep -q vmtest $D/list; then
	nok "virsh destroy: vmtest still listed: $(tr -s ' \n' '  ' <$D/list)"
else
	ok "virsh destroy: vmtest gone"
fi
say "summary: libvirt on ${VMTEST_KVM:-?} ${VMTEST_VENDOR:-}: stage $stage domain, libvirtd start to destroy in $(( ($(uptime_cs) - t0) / 100 )) s"
echo "1..$n"
[ $failed = 0 ]
