# shellcheck shell=bash
# Bundle extra "virtio" (sourced by vmtest's stage_qemu, see "Bundle extras" in README.md):
# Debian's virtio drivers over PCI in the nested guest (network, block, balloon), and in the
# host the tap device and vhost-net, so that QEMU can run virtio-net with vhost=on.
guest_module virtio_pci virtio_net virtio_blk virtio_balloon
bundle_host_module tun vhost_net
