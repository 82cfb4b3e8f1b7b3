#!/bin/sh
# Guest side of the scenarios the host drives step by step (virtio_balloon_test,
# ksm_two_guests_test): pvmem ctl on the second serial port (ttyS1, a QEMU pipe chardev on
# the host: pvdev/host-lib.sh, pv_ctl_args), its answers there and on the console. Busybox sh.
[ -c /dev/ttyS1 ] || { echo "ctl: no /dev/ttyS1"; exit 1; }
stty -F /dev/ttyS1 raw -echo
pvmem ctl </dev/ttyS1 >/dev/ttyS1
