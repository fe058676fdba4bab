#!/usr/bin/env bash
# Rebuilds dashboard/assets/vendor/ from the npm registry: uPlot (MIT), the chart
# library, as its minified browser build. The result is committed, so `go build` needs
# only Go and nothing is loaded from a CDN at run time.
set -euo pipefail
version="1.6.32"
integrity="sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=="
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "uplot@$version" >/dev/null)
got="sha512-$(openssl dgst -sha512 -binary "$tmp"/uplot-*.tgz | base64 -w0)"
[ "$got" = "$integrity" ] || { echo "fetch-uplot: integrity mismatch: $got" >&2; exit 1; }
tar -xzf "$tmp"/uplot-*.tgz -C "$tmp"
out="$root/dashboard/assets/vendor"
mkdir -p "$out"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$out/"
cp "$tmp/package/LICENSE" "$out/uPlot.LICENSE"
echo "fetch-uplot: uPlot $version in $out"
