# Stage 2: Debian's arm64 kernel with a small initramfs (MODULES=list: ~2 min to build under
# emulation instead of ~21), the Raspberry Pi boot firmware in /boot/firmware, and the root
# file system found by its label. Cached on top of the base layer.
stage_kernel() {
  KERNEL_KEY=$(cache_key "$BASE_KEY" "$IMAGE_DIR/kernel-packages.list" "$IMAGE_DIR/initramfs-modules.list" "$IMAGE_DIR/stages/kernel.sh")
  if layer_ready kernel "$KERNEL_KEY"; then STAGE_NOTE="cached $KERNEL_KEY"; return; fi
  local target
  target="$(layer_dir kernel "$KERNEL_KEY").partial"
  rm -rf --one-file-system "$target"
  cp -a "$(layer_dir base "$BASE_KEY")" "$target"
  mkdir -p "$target/etc/initramfs-tools/conf.d" "$target/boot/firmware"
  echo "MODULES=list" >"$target/etc/initramfs-tools/conf.d/meshgate.conf"
  grep -v '^#' "$IMAGE_DIR/initramfs-modules.list" >"$target/etc/initramfs-tools/modules"
  # raspi-firmware writes cmdline.txt from this (and would look for the root device by its
  # partition UUID otherwise, which changes with every image).
  # Consoles: the serial port of the GPIO header (the mini UART, ttyS1 on the Pi 3/4/Zero 2 W)
  # and the screen, last, so systemd's messages and meshgate's announcement appear on HDMI.
  printf 'ROOTPART=LABEL=RASPIROOT\nCONSOLES="ttyS1,115200 tty0"\n' >"$target/etc/default/raspi-firmware"
  chroot_mount "$target"
  detail "installing $(grep -v '^#' "$IMAGE_DIR/kernel-packages.list" | paste -sd' ' -) (about 3 min)…"
  logged in_chroot "$target" apt-get update
  # shellcheck disable=SC2046
  logged in_chroot "$target" apt-get -y --no-install-recommends -o Dpkg::Options::=--force-confold install \
    $(grep -v '^#' "$IMAGE_DIR/kernel-packages.list")
  local kernel_version
  kernel_version=$(ls "$target/lib/modules" | sort -V | tail -n 1)
  # The firmware hook copies the kernel, initrd, DTBs and cmdline.txt to /boot/firmware; run it
  # once more now that the initramfs exists.
  logged in_chroot "$target" env DEB_MAINT_PARAMS=configure /etc/initramfs/post-update.d/z50-raspi-firmware "$kernel_version" "/boot/initrd.img-$kernel_version"
  logged in_chroot "$target" apt-get clean
  chroot_finish "$target"
  rm -rf "$target"/var/lib/apt/lists/* "$target"/var/cache/apt/*.bin
  for required in cmdline.txt config.txt bootcode.bin start4.elf "vmlinuz-$kernel_version" "initrd.img-$kernel_version" bcm2837-rpi-3-b.dtb bcm2711-rpi-4-b.dtb; do
    [ -e "$target/boot/firmware/$required" ] || { echo "kernel stage: /boot/firmware/$required is missing" >>"$LOG"; return 1; }
  done
  mv "$target" "$(layer_dir kernel "$KERNEL_KEY")"
  layer_prune kernel "$KERNEL_KEY"
  STAGE_NOTE="built $KERNEL_KEY, kernel $kernel_version"
}
