#!/usr/bin/env bash
# Fetches chDB's libchdb.so (the whole ClickHouse engine as a shared library, Apache-2.0)
# from the npm registry into .cache/chdb/VERSION/, checks the tarball against the pinned
# npm integrity hash, and does nothing when the library is already there. git ignores
# .cache/; the library is ~570 MB and never committed.
set -euo pipefail

version="26.7.3-stable.1"
package="@chdb/lib-linux-x64-gnu"
# npm's "integrity" field for that exact tarball (sha512, base64).
integrity="sha512-XP97mMqnc5tZpKQywR8N7cLTsHNiTmHr30pC5mzo3jWmukjKn2IBa60c2B/gWUNcuFjOMjWoorQICCqBVj5wpw=="

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.cache/chdb/$version"
lib="$dest/libchdb.so"

if [ -s "$lib" ] && [ -f "$dest/.verified" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "fetch-chdb: npm is needed to fetch the embedded ClickHouse engine: apt-get install -y npm" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-chdb: downloading $package@$version (about 180 MB) ..." >&2
start=$(date +%s)
(cd "$tmp" && npm pack --silent "$package@$version" >/dev/null 2>"$tmp/npm.err") || {
  cat "$tmp/npm.err" >&2
  echo "fetch-chdb: npm pack failed; is the npm registry reachable?" >&2
  exit 1
}
tgz="$(ls "$tmp"/*.tgz)"
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
  echo "fetch-chdb: integrity mismatch for $tgz: got $got, want $integrity" >&2
  exit 1
fi
mkdir -p "$dest"
tar -xzf "$tgz" -C "$tmp" package/libchdb.so
mv "$tmp/package/libchdb.so" "$lib.part"
mv "$lib.part" "$lib"
echo "$integrity" > "$dest/.verified"
echo "fetch-chdb: $lib ready ($(du -h "$lib" | cut -f1)) in $(( $(date +%s) - start ))s" >&2
