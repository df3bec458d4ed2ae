#!/usr/bin/env bash
# Build the real kube-apiserver (v1.20.2) from Debian's `kubernetes` source package, for the tests
# that run against the upstream API server instead of the sandbox's emulator.
#
# Why build: Debian ships no kube-apiserver binary and upstream releases cannot be downloaded here,
# but Debian's source package holds the full vendored upstream tree. It is built with Debian's
# `golang-go` (1.19), after one fix: the vendored github.com/modern-go/reflect2 1.0.1 crashes the
# server on Go >= 1.18 (SIGSEGV in mapiterinit) at the first custom-resource create, so it is
# replaced by Debian's golang-github-modern-go-reflect2-dev (1.0.2, the upstream fix).
#
# `apt-get source` needs a deb-src entry: when none exists, one is derived from the machine's own
# apt sources (each `deb` entry's twin) — no mirror is named here.
#
# The binary is cached outside the work tree, so a second run on the same machine is instant:
#   ${FAAS_AUTOSCALER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/faas-autoscaler}/kube-apiserver-<version>/
# The last line printed is the binary's absolute path. About 8.5 min on 2 cores the first time.
# Also installs etcd (Debian `etcd-server`), which the API server needs.
set -euo pipefail

VERSION="v1.20.2"
CACHE="${FAAS_AUTOSCALER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/faas-autoscaler}"
OUT_DIR="$CACHE/kube-apiserver-$VERSION"
BINARY="$OUT_DIR/kube-apiserver"
SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

log() { echo "fetch-kube-apiserver: $*" >&2; }

binary_works() { [ -x "$BINARY" ] && "$BINARY" --version 2>/dev/null | grep -q "$VERSION"; }

ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
}

# A deb-src twin of every `deb` source the machine already uses (deb822 *.sources and one-line *.list).
ensure_deb_src() {
  if apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes'; then return; fi
  local target=/etc/apt/sources.list.d/faas-autoscaler-deb-src
  local tmp; tmp="$(mktemp)"
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    case "$f" in "$target".sources) continue ;; esac
    # Keep each stanza, with its Types line rewritten to deb-src; stanzas without `deb` are dropped.
    awk 'BEGIN{RS="";ORS="\n\n"} /(^|\n)Types:[^\n]*(^| )deb( |\n|$)/ {sub(/Types:[^\n]*/,"Types: deb-src"); print}' "$f" >>"$tmp"
  done
  if [ -s "$tmp" ]; then $SUDO install -m 0644 "$tmp" "$target.sources"; fi
  : >"$tmp"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    case "$f" in "$target".list) continue ;; esac
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$tmp"
  done
  if [ -s "$tmp" ]; then $SUDO install -m 0644 "$tmp" "$target.list"; fi
  rm -f "$tmp"
  shopt -u nullglob
  log "added deb-src entries derived from the existing apt sources; apt-get update"
  $SUDO apt-get update >&2
}

if binary_works; then
  ensure_packages etcd-server
  log "$("$BINARY" --version) already built"
  echo "$BINARY"
  exit 0
fi

if [ "$(uname -s)" != Linux ]; then
  log "builds on Debian/Ubuntu Linux only; this is $(uname -s)"
  exit 1
fi

$SUDO apt-get update >&2
ensure_deb_src
ensure_packages golang-go golang-github-modern-go-reflect2-dev etcd-server dpkg-dev rsync

WORK="$(mktemp -d "${TMPDIR:-/tmp}/kube-apiserver-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log "apt-get source kubernetes into $WORK"
(cd "$WORK" && apt-get source kubernetes >&2)
SRC="$(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)"
[ -n "$SRC" ] || { log "apt-get source produced no kubernetes-* directory"; exit 1; }

REFLECT2=/usr/share/gocode/src/github.com/modern-go/reflect2
[ -d "$REFLECT2" ] || { log "$REFLECT2 missing (golang-github-modern-go-reflect2-dev)"; exit 1; }
log "replacing vendored modern-go/reflect2 1.0.1 with Debian's 1.0.2"
rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
mkdir -p "$SRC/vendor/github.com/modern-go/reflect2"
cp -a "$REFLECT2/." "$SRC/vendor/github.com/modern-go/reflect2/"
find "$SRC/vendor/github.com/modern-go/reflect2" -name '*_test.go' -delete

log "make WHAT=cmd/kube-apiserver ($(go version))"
START=$(date +%s)
(
  cd "$SRC"
  export GOFLAGS=-mod=vendor GO111MODULE=on GOPROXY=off GOTOOLCHAIN=local
  export GOCACHE="$CACHE/go-build-cache"
  # The version the binary reports: a source package has no git metadata to read it from.
  export KUBE_GIT_VERSION="$VERSION" KUBE_GIT_TREE_STATE=clean
  make WHAT=cmd/kube-apiserver >&2
)
BUILT="$(find "$SRC/_output" -type f -name kube-apiserver -perm -u+x | head -n1)"
[ -n "$BUILT" ] || { log "the build left no kube-apiserver binary"; exit 1; }
mkdir -p "$OUT_DIR"
install -m 0755 "$BUILT" "$OUT_DIR/.kube-apiserver.partial"
mv -f "$OUT_DIR/.kube-apiserver.partial" "$BINARY"
binary_works || { log "$BINARY does not report $VERSION"; exit 1; }
log "built in $(( $(date +%s) - START )) s: $("$BINARY" --version)"
echo "$BINARY"
