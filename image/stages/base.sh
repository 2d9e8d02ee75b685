# Stage 1: Debian bookworm arm64 (minbase) with the packages of packages.list, and the system
# settings that do not depend on meshgate's version. Cached: rebuilt only when its inputs change.
stage_base() {
  BASE_KEY=$(cache_key "$SUITE" "$MIRROR" "$IMAGE_DIR/packages.list" "$IMAGE_DIR/stages/base.sh")
  if layer_ready base "$BASE_KEY"; then STAGE_NOTE="cached $BASE_KEY"; return; fi
  local target
  target="$(layer_dir base "$BASE_KEY").partial"
  rm -rf --one-file-system "$target"
  mkdir -p "$target"
  local packages
  packages=$(grep -v '^#' "$IMAGE_DIR/packages.list" | paste -sd, -)
  detail "debootstrap (about 4 min under emulation)…"
  logged debootstrap --arch=arm64 --variant=minbase --components=main,non-free-firmware \
    --include="$packages" "$SUITE" "$target" "$MIRROR"
  cat >"$target/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main non-free-firmware
deb $MIRROR $SUITE-updates main non-free-firmware
deb $SECURITY_MIRROR $SUITE-security main non-free-firmware
SOURCES
  chroot_mount "$target"
  detail "security updates…"
  logged in_chroot "$target" apt-get update
  logged in_chroot "$target" apt-get -y --no-install-recommends dist-upgrade
  # The daemon's own account: a system user with no login shell (the service gives it only
  # CAP_NET_ADMIN and CAP_NET_BIND_SERVICE).
  logged in_chroot "$target" useradd --system --user-group --home-dir /var/lib/meshgate --no-create-home \
    --shell /usr/sbin/nologin --comment "meshgate daemon" meshgate
  # SSH stays off until meshgate.conf gives a key (the first-boot step enables it).
  logged in_chroot "$target" systemctl disable ssh.service
  rm -f "$target"/etc/ssh/ssh_host_*
  logged in_chroot "$target" systemctl enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service avahi-daemon.service
  logged in_chroot "$target" apt-get clean
  chroot_finish "$target"
  rm -rf "$target"/var/lib/apt/lists/* "$target"/var/cache/apt/*.bin
  mv "$target" "$(layer_dir base "$BASE_KEY")"
  layer_prune base "$BASE_KEY"
  STAGE_NOTE="built $BASE_KEY, $(du -sh --one-file-system "$(layer_dir base "$BASE_KEY")" | cut -f1)"
}
