# shellcheck shell=bash
# Bundle extra "pvdev" (sourced by vmtest's stage_qemu, see "Bundle extras" in README.md): the
# paravirtual device scenarios of issue 20 (virtio-blk, vhost-net, virtio-balloon, KSM across
# guests). Use it with "virtio", which stages the drivers and host modules.
#   guest: /bin/pvmem (pvdev/pvmem.c, built here, static) and the scenario scripts
#          pvdev/guest-*.sh as /scenario/*.sh (QEMU_BOOT_APPEND=vmtest.run=/scenario/NAME.sh)
#   host:  /usr/lib/pvdev/lib.sh, the host side's shell functions (pvdev/host-lib.sh), and
#          /usr/bin/pvmem
mkdir -p "$WORKDIR/pvdev"
gcc -O2 -static -Wall -Wextra -Werror -o "$WORKDIR/pvdev/pvmem" "$HERE/pvdev/pvmem.c" ||
	die "bundle extra pvdev: building pvmem failed"
guest_file "$WORKDIR/pvdev/pvmem" /bin/pvmem 0755
for s in "$HERE"/pvdev/guest-*.sh; do
	n=${s##*/guest-}
	guest_file "$s" "/scenario/$n" 0755
done
bundle_file "$HERE/pvdev/host-lib.sh" /usr/lib/pvdev/lib.sh
bundle_file "$WORKDIR/pvdev/pvmem" /usr/bin/pvmem
