# Running commands inside the arm64 root file system being built (through qemu-user).
declare -a CHROOT_MOUNTS=()

chroot_mount() {
  local root=$1
  mount -t proc proc "$root/proc"; CHROOT_MOUNTS+=("$root/proc")
  mount -t sysfs sysfs "$root/sys"; CHROOT_MOUNTS+=("$root/sys")
  mount -t tmpfs tmpfs "$root/tmp"; CHROOT_MOUNTS+=("$root/tmp")
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"; CHROOT_MOUNTS+=("$root/dev/pts")
  # Package scripts must not start services on the build machine.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  # apt resolves names with the build machine's resolver; the image's own /etc/resolv.conf
  # (systemd-resolved's stub) is set by the assemble stage.
  rm -f "$root/etc/resolv.conf"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
}

chroot_unmount_all() {
  local i
  for ((i = ${#CHROOT_MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${CHROOT_MOUNTS[$i]}" 2>/dev/null || true; done
  CHROOT_MOUNTS=()
}

chroot_finish() {
  local root=$1
  chroot_unmount_all
  rm -f "$root/usr/sbin/policy-rc.d"
}

in_chroot() {
  local root=$1; shift
  LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$root" "$@"
}
