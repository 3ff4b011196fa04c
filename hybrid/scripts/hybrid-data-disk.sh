#!/bin/bash
# Mount the pool's data disk at MOUNT.
# The disk is a separate ECS disk attached after the instance boots, and it is
# re-attached to a replacement instance with its data: so wait for it, look for
# our filesystem label first, and format only a disk with no signature at all.
set -euo pipefail
# hybrid:params MOUNT LABEL SIZE_BYTES SIZE_GIB TIMEOUT_S
DEADLINE=$((SECONDS + TIMEOUT_S))

if mountpoint -q -- "$MOUNT"; then exit 0; fi

find_disk() {
  local dev name size type root
  dev=$(blkid -L "$LABEL" 2>/dev/null || true)
  if [ -n "$dev" ]; then echo "$dev"; return 0; fi
  root=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)" | head -n1)
  while read -r name size type; do
    if [ "$type" = disk ] && [ "$size" = "$SIZE_BYTES" ] && [ "$name" != "$root" ]; then
      echo "/dev/$name"; return 0
    fi
  done < <(lsblk -dnbo NAME,SIZE,TYPE)
  return 1
}

until dev=$(find_disk); do
  if [ "$SECONDS" -ge "$DEADLINE" ]; then
    echo "hybrid-data-disk: no ${SIZE_GIB} GiB data disk appeared" >&2; exit 1
  fi
  sleep 5
done
if [ -z "$(blkid -o value -s TYPE "$dev" 2>/dev/null || true)" ]; then
  if [ "$(lsblk -no NAME "$dev" | wc -l)" -gt 1 ]; then
    echo "hybrid-data-disk: $dev has partitions but no filesystem; refusing to format" >&2; exit 1
  fi
  mkfs.ext4 -q -m 0 -L "$LABEL" "$dev"
fi
mkdir -p -- "$MOUNT"
# fstab fields are separated by blanks: the model allows no whitespace in the mount path,
# and a path with any would be refused here rather than split.
case $MOUNT in *[[:space:]]*) echo "hybrid-data-disk: mount path contains whitespace" >&2; exit 1 ;; esac
if ! grep -q "^LABEL=$LABEL " /etc/fstab; then
  printf 'LABEL=%s %s ext4 defaults,noatime,nofail,x-systemd.device-timeout=60s 0 2\n' "$LABEL" "$MOUNT" >> /etc/fstab
fi
mount -- "$MOUNT"
echo "hybrid-data-disk: $dev mounted at $MOUNT"
