#!/usr/bin/env bash
# Ingestion load test (issue 2): builds the CLI and the load driver in Release, starts `healthflow serve` on a
# free loopback port with a fresh data folder and one configured vendor, waits for /api/health, then runs
#   (a) open loop: a fixed RATE of POST /api/x12 for OPEN_SECONDS, reporting p50/p99/max latency and errors;
#   (b) saturation: CONNECTIONS concurrent keep-alive clients for SATURATE_SECONDS, reporting accepted req/s;
# prints one summary line per mode and stops the server. Everything is bounded in time and stays on loopback.
#
# Usage: bench/ingest.sh              (defaults: RATE=1000 OPEN_SECONDS=10 CONNECTIONS=64 SATURATE_SECONDS=10)
#        RATE=500 CONNECTIONS=128 bench/ingest.sh
#        PROBE=1 bench/ingest.sh     also measures the disk's own fsync latency during the open loop (a shared disk's
#                                    stalls show there, not only in the server's latency); adds 100 fsyncs/s
# Exit status: 0 when both modes ran without errors.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATE="${RATE:-1000}"
OPEN_SECONDS="${OPEN_SECONDS:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
SATURATE_SECONDS="${SATURATE_SECONDS:-10}"
WARMUP_SECONDS="${WARMUP_SECONDS:-3}"

work="$(mktemp -d "${TMPDIR:-/tmp}/healthflow-ingest-bench.XXXXXX")"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    # Give the server 15 s to drain, then stop it hard.
    for _ in $(seq 1 150); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [[ -n "${KEEP_WORK:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "building healthflow and the load driver (Release)..."
dotnet build -c Release --nologo -v quiet "$root/functions/HealthFlow.Cli/HealthFlow.Cli.csproj" > "$work/build-cli.log" 2>&1 \
  || { cat "$work/build-cli.log"; exit 1; }
dotnet build -c Release --nologo -v quiet "$root/bench/HealthFlow.LoadDriver/HealthFlow.LoadDriver.csproj" > "$work/build-driver.log" 2>&1 \
  || { cat "$work/build-driver.log"; exit 1; }
cli="$root/functions/HealthFlow.Cli/bin/Release/net10.0/healthflow.dll"
driver="$root/bench/HealthFlow.LoadDriver/bin/Release/net10.0/HealthFlow.LoadDriver.dll"

port="$(dotnet "$driver" free-port)"
key="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
url="http://127.0.0.1:$port/"

# Run from the empty work folder so no local.settings.json is picked up; the key goes in through the environment.
# Server logs go to a file (console logging stays on, as in production; payloads are never logged).
# Ingestion alone by default: the workflows would post every 835 downstream at their own (lower) pace and the
# bus's back-pressure would then time the senders by the workflows, not by ingestion. WORKFLOWS=true measures both.
(cd "$work" && Logging__LogLevel__Default="${LOG_LEVEL:-Information}" Vendors__bench__Key="$key" Workflows__Enabled="${WORKFLOWS:-false}" Bus__BacklogMaxPerSubscription=10000000 \
  exec dotnet "$cli" serve --data "$work/data" --urls "http://127.0.0.1:$port") \
  > "$work/server.log" 2>&1 &
server_pid=$!

echo "server pid $server_pid on $url, data folder $work/data; load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
budget=$(( ${OPEN_SECONDS%.*} + ${SATURATE_SECONDS%.*} + ${WARMUP_SECONDS%.*} + 120 ))
status=0
timeout "$budget" dotnet "$driver" run --url "$url" --key "$key" --rate "$RATE" --open-seconds "$OPEN_SECONDS" \
  --connections "$CONNECTIONS" --saturate-seconds "$SATURATE_SECONDS" --warmup-seconds "$WARMUP_SECONDS" \
  ${PROBE:+--fsync-probe "$work"} || status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "the server exited during the run; its log:"; tail -n 50 "$work/server.log"; exit 1
fi
echo "server log: $(wc -l < "$work/server.log") lines; load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
exit "$status"
