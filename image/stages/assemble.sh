# Stage 4: the kernel layer + image/rootfs (units, scripts, settings) + the app slot → a root
# file system; its /boot/firmware becomes the FAT partition. No loop devices: mkfs.vfat -C with
# mcopy, mkfs.ext4 -d, then sfdisk and dd into one file.
FIRMWARE_MIB=256
ALIGN_MIB=4

stage_assemble() {
  local rootfs="$WORK_DIR/rootfs"
  rm -rf --one-file-system "$rootfs"
  detail "root file system…"
  cp -a "$(layer_dir kernel "$KERNEL_KEY")" "$rootfs"
  cp -a --no-preserve=ownership "$IMAGE_DIR/rootfs/." "$rootfs/"
  chmod 755 "$rootfs"/usr/lib/meshgate/* "$rootfs/usr/local/bin/meshgate"
  mkdir -p "$rootfs/opt/meshgate/slots"
  cp -a "$SLOT_DIR" "$rootfs/opt/meshgate/slots/a"
  ln -sfn slots/a "$rootfs/opt/meshgate/current"
  chmod 755 "$rootfs/opt/meshgate" "$rootfs/opt/meshgate/slots"
  # systemd-resolved's stub; an empty machine-id makes systemd create one at first boot (and
  # counts as the first boot), so no two cards share it.
  ln -sfn ../run/systemd/resolve/stub-resolv.conf "$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs/var/lib/dbus/machine-id"
  enable_units "$rootfs"

  detail "boot partition (FAT32, RASPIFIRM, $FIRMWARE_MIB MiB)…"
  cp "$IMAGE_DIR/meshgate.conf.example" "$rootfs/boot/firmware/meshgate.conf.example"
  # A serial console on the Pi's GPIO header as well as HDMI (raspi-firmware's cmdline.txt
  # names the serial console by model).
  local fat="$WORK_DIR/firmware.vfat" root="$WORK_DIR/root.ext4"
  rm -f "$fat" "$root"
  logged mkfs.vfat -F 32 -n RASPIFIRM -C "$fat" $((FIRMWARE_MIB * 1024))
  MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -i "$fat" "$rootfs"/boot/firmware/* ::
  find "$rootfs/boot/firmware" -mindepth 1 -delete

  local used_mib root_mib
  used_mib=$(du -sm --one-file-system "$rootfs" | cut -f1)
  # Room for the second app slot (an update) and logs; the first boot grows the partition
  # to the whole card anyway.
  root_mib=$(( (used_mib * 115 / 100 + 512 + 3) / 4 * 4 ))
  detail "root partition (ext4, RASPIROOT, $root_mib MiB, $used_mib MiB used)…"
  logged mkfs.ext4 -q -F -L RASPIROOT -E root_owner=0:0 -d "$rootfs" "$root" "${root_mib}M"

  IMAGE_FILE="$OUT_DIR/meshgate-$VERSION-arm64.img"
  detail "image $(basename "$IMAGE_FILE")…"
  rm -f "$IMAGE_FILE"
  truncate -s $(( (ALIGN_MIB + FIRMWARE_MIB + root_mib) ))M "$IMAGE_FILE"
  logged sfdisk "$IMAGE_FILE" <<TABLE
label: dos
unit: sectors
start=$((ALIGN_MIB * 2048)), size=$((FIRMWARE_MIB * 2048)), type=c, bootable
start=$(((ALIGN_MIB + FIRMWARE_MIB) * 2048)), size=$((root_mib * 2048)), type=83
TABLE
  dd if="$fat" of="$IMAGE_FILE" bs=1M seek=$ALIGN_MIB conv=notrunc,sparse status=none
  dd if="$root" of="$IMAGE_FILE" bs=1M seek=$((ALIGN_MIB + FIRMWARE_MIB)) conv=notrunc,sparse status=none
  rm -f "$fat" "$root"

  detail "compressing (zstd) and checksums…"
  logged zstd -T0 -9 -f -q "$IMAGE_FILE" -o "$IMAGE_FILE.zst"
  (cd "$OUT_DIR" && sha256sum "$(basename "$IMAGE_FILE")" "$(basename "$IMAGE_FILE").zst" "$(basename "$UPDATE_FILE")" >"$(basename "$IMAGE_FILE").sha256")
  STAGE_NOTE="$(du -h "$IMAGE_FILE.zst" | cut -f1) compressed"
}

# `systemctl enable` reads the units' [Install] sections; --root works on a directory offline.
enable_units() {
  local rootfs=$1
  logged systemctl --root="$rootfs" enable meshgate.service meshgate-first-boot.service meshgate-grow-root.service \
    meshgate-announce.service meshgate-update.path meshgate-update-check.service systemd-networkd-wait-online.service
}
