#!/usr/bin/env bash
# Copy the repository's crds/ into the chart (charts/faas-autoscaler/crds/): Helm installs a chart's
# CRDs from there, verbatim. The repository's crds/ is the one to edit; run this after, and
# test/unit/chart/chart.test.ts fails while the two differ. (A symbolic link would make every helm
# command warn, and `helm package` resolve it anyway.)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/charts/faas-autoscaler/crds"
mkdir -p "$DEST"
rm -f "$DEST"/*.yaml
cp "$ROOT"/crds/*.yaml "$DEST"/
echo "sync-chart-crds: $(ls "$DEST" | wc -l) CRD file(s) copied to charts/faas-autoscaler/crds/"
