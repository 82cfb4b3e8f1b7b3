#!/bin/sh
# Guest side of virtio_blk_test: write a reproducible 64 MiB stream (pvmem gen) to /dev/vda
# (virtio-blk) and fsync it, drop the page cache, read the disk back and compare it with the
# stream (pvmem check), printing both checksums. Lines start with "blk: "; the last is
# "blk: result ok" or "blk: result FAIL (...)". Busybox sh.
SEED=20
MIB=64
BYTES=$((MIB * 1024 * 1024))
cs() { read -r u _ </proc/uptime; echo "${u%.*}${u#*.}"; }
secs() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }
fail() { echo "blk: result FAIL ($*)"; exit 1; }

[ -b /dev/vda ] || fail "no /dev/vda: virtio_blk did not find the disk"
size=$(blockdev --getsize64 /dev/vda)
echo "blk: /dev/vda $size bytes"
[ "$size" -ge $BYTES ] || fail "disk smaller than $MIB MiB"
t0=$(cs)
w=$(pvmem gen $SEED $BYTES 2>&1 >/dev/vda) || fail "write failed: $w"
t1=$(cs)
echo "blk: wrote $MIB MiB in $(secs $((t1 - t0))) s, ${w#pvmem: }"
blockdev --flushbufs /dev/vda
echo 3 >/proc/sys/vm/drop_caches
t0=$(cs)
r=$(pvmem check $SEED $BYTES 2>&1 </dev/vda)
ok=$?
t1=$(cs)
echo "blk: read $MIB MiB in $(secs $((t1 - t0))) s, ${r#pvmem: }"
[ $ok = 0 ] || fail "read back differs"
echo "blk: result ok"
