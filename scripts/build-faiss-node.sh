#!/usr/bin/env bash
# Build faiss-node's native addon against Debian's FAISS and store it as a
# prebuild-install "local prebuild", so `npm ci` never needs GitHub.
#
# faiss-node's install script is `prebuild-install || git clone faiss && cmake-js`;
# both branches download from GitHub, which is unreachable here. prebuild-install
# first looks in $npm_config_faiss_node_local_prebuilds (set by .npmrc's
# `faiss-node-local-prebuilds=`), so we put a tarball there.
#
# Idempotent: exits at once if a loadable tarball is already in place.
# Needs root (apt-get) only when libfaiss-dev or the compiler is missing.
set -euo pipefail

FAISS_NODE_VERSION=0.5.1
# node-addon-api 8 (faiss-node pins ^6) for NODE_ADDON_API_CPP_EXCEPTIONS_ALL: faiss-node
# leaves most faiss::FaissException uncaught (removeIds on HNSW, search with k=0,
# write to a bad path...), which with 6.x calls std::terminate and aborts Node.
# With it they surface as JS Errors instead. Header-only, ABI stays N-API.
NODE_ADDON_API=8
NAPI_VERSION=8 # Node 20 has N-API 9; faiss-node lists 6,7,8, so prebuild-install asks for v8
OUT_DIR="${PARLEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}/faiss-prebuilds"
TARBALL="$OUT_DIR/faiss-node-v${FAISS_NODE_VERSION}-napi-v${NAPI_VERSION}-linux-x64.tar.gz"

log() { echo "build-faiss-node: $*" >&2; }

# Valid = holds build/Release/faiss-node.node and that addon loads and searches.
check_tarball() {
  local dir rc=0
  dir=$(mktemp -d)
  tar -xzf "$1" -C "$dir" build/Release/faiss-node.node 2>/dev/null &&
  node -e '
    const f = require(process.argv[1]);
    const ix = new f.IndexFlatIP(2);
    ix.add([1, 0, 0, 1]);
    if (ix.search([0, 1], 1).labels[0] !== 1) process.exit(1);
  ' "$dir/build/Release/faiss-node.node" 2>/dev/null || rc=1
  rm -rf "$dir"
  return $rc
}

hint_npmrc() {
  # .npmrc points at $HOME/.cache/parley/faiss-prebuilds; tell the user when we wrote elsewhere.
  if [ "$OUT_DIR" != "$HOME/.cache/parley/faiss-prebuilds" ]; then
    log "note: not the .npmrc default; run npm with npm_config_faiss_node_local_prebuilds=$OUT_DIR"
  fi
}

if [ -f "$TARBALL" ] && check_tarball "$TARBALL"; then
  echo "faiss-node prebuild already present: $TARBALL"
  hint_npmrc
  exit 0
fi

start=$SECONDS

# --- System packages --------------------------------------------------------
need=()
dpkg-query -W -f='${Status}' libfaiss-dev 2>/dev/null | grep -q 'ok installed' || need+=(libfaiss-dev)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3) # node-gyp runs gyp with python3
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the lists only when apt knows no candidate for some package (fresh image).
  for p in "${need[@]}"; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then apt-get update -qq; break; fi
  done
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Debian ships only a static, PIC libfaiss.a (1.7.3 on 12, 1.11.0 on 13); ask dpkg where.
LIBFAISS=$(dpkg -L libfaiss-dev | grep -m1 '/libfaiss\.a$') || { log "libfaiss.a not found"; exit 1; }

# Node headers: use the prefix of the running node so node-gyp downloads nothing.
NODEDIR=""
for p in "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" \
         "$(node -p 'process.config.variables.node_prefix')" /usr /usr/local; do
  if [ -f "$p/include/node/node_api.h" ] && [ -f "$p/include/node/common.gypi" ]; then NODEDIR=$p; break; fi
done
[ -n "$NODEDIR" ] || { log "no Node headers (include/node/node_api.h) next to $(command -v node)"; exit 1; }

# npm's bundled node-gyp (npm exposes its path as the `node-gyp` config).
NODE_GYP=$(npm config get node-gyp 2>/dev/null || true)
[ -f "$NODE_GYP" ] || NODE_GYP="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || { log "npm's bundled node-gyp not found"; exit 1; }

# --- Sources ------------------------------------------------------------------
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "faiss-node@$FAISS_NODE_VERSION" "node-addon-api@$NODE_ADDON_API" >/dev/null
mkdir -p pkg/node_modules/node-addon-api
tar -xzf "faiss-node-$FAISS_NODE_VERSION.tgz" -C pkg --strip-components=1
tar -xzf node-addon-api-"$NODE_ADDON_API".*.tgz -C pkg/node_modules/node-addon-api --strip-components=1

# faiss-node uses faiss::idx_t, which FAISS only has since 1.7.4 (before, it was
# faiss::Index::idx_t). Newer FAISS (Debian 13) has no Index::idx_t, so the shim
# must only be added when the probe fails: detect by compiling, not by OS version.
EXTRA_FLAGS=""
if ! printf '#include <faiss/Index.h>\nfaiss::idx_t probe;\n' |
     g++ -std=c++17 -fsyntax-only -x c++ - 2>/dev/null; then
  printf '#include <faiss/Index.h>\nnamespace faiss { using idx_t = Index::idx_t; }\n' >"$WORK/idx_t_shim.h"
  EXTRA_FLAGS="\"-include\", \"$WORK/idx_t_shim.h\","
  log "FAISS lacks faiss::idx_t: using the idx_t shim"
fi

# node-gyp's defaults add -fno-exceptions/-fno-rtti; faiss-node catches FaissException
# and libfaiss.a is built with both, so drop them.
cat >pkg/binding.gyp <<EOF
{
  "targets": [{
    "target_name": "faiss-node",
    "sources": ["src/faiss.cc"],
    "include_dirs": ["node_modules/node-addon-api"],
    "defines": ["NAPI_VERSION=$NAPI_VERSION", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
    "cflags_cc": [$EXTRA_FLAGS "-std=c++17", "-fexceptions", "-fopenmp"],
    "libraries": ["$LIBFAISS", "-lblas", "-llapack", "-fopenmp"]
  }]
}
EOF

# --- Build, smoke-test, pack ----------------------------------------------------
log "compiling faiss-node $FAISS_NODE_VERSION against $(dpkg-query -W -f='${Version}' libfaiss-dev) (nodedir $NODEDIR)"
(cd pkg && node "$NODE_GYP" rebuild --nodedir="$NODEDIR" --loglevel=warn >"$WORK/build.log" 2>&1) ||
  { tail -n 40 "$WORK/build.log" >&2; log "node-gyp build failed"; exit 1; }
strip --strip-unneeded pkg/build/Release/faiss-node.node

mkdir -p "$OUT_DIR"
tar -czf "$WORK/prebuild.tar.gz" -C pkg build/Release/faiss-node.node
check_tarball "$WORK/prebuild.tar.gz" || { log "built addon failed the load/search smoke test"; exit 1; }
cp "$WORK/prebuild.tar.gz" "$TARBALL.tmp.$$" && mv -f "$TARBALL.tmp.$$" "$TARBALL" # never a half-written tarball
log "wrote $TARBALL in $((SECONDS - start))s"
hint_npmrc
