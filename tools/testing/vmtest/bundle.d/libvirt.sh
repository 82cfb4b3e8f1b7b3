# SPDX-License-Identifier: GPL-2.0-only
# Bundle extra "libvirt" (libvirt_test): Debian's libvirtd with its QEMU driver, and virsh,
# in the emulated host (packages libvirt-daemon, libvirt-daemon-driver-qemu,
# libvirt-clients: scripts/setup-deps). The drivers are dlopen()ed, so their libraries are
# staged one by one; the CPU map and schemas come along; QEMU's firmware goes where QEMU
# looks without -L (/usr/share/qemu), since libvirt passes no -L.
bundle_bin /usr/sbin/libvirtd /usr/bin/virsh
[ -x /usr/sbin/dmidecode ] && bundle_bin /usr/sbin/dmidecode
for so in /usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so \
	/usr/lib/x86_64-linux-gnu/libvirt/storage-file/libvirt_storage_file_fs.so; do
	[ -e "$so" ] && bundle_bin "$so"
done
[ -x /usr/lib/libvirt/libvirt_iohelper ] && bundle_bin /usr/lib/libvirt/libvirt_iohelper
for d in /usr/share/libvirt/cpu_map /usr/share/libvirt/schemas; do
	for f in "$d"/*; do
		[ -f "$f" ] && bundle_file "$f" "$f"
	done
done
for fw in $QEMU_FIRMWARE; do
	bundle_file "$fw" "/usr/share/qemu/$(basename "$fw")"
done
# libvirt probes QEMU with TCG as the fallback accelerator, a module in Debian's build
[ -e /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so ] &&
	bundle_bin /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
# virsh setmem: the guest's virtio balloon
guest_module virtio_pci virtio_balloon
