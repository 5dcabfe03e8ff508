#!/usr/bin/env bash
# HL7 v2 over MLLP throughput (issue 10): ADT messages/s over 1 and 16 connections, ACK after durable (file ledger,
# fsync on), for a classic sender (window 1: send, wait for the ACK) and a pipelining sender (window 64).
# Builds the driver in Release and runs it against a runtime it starts in-process on a free loopback port.
#
# Usage: bench/mllp.sh                                   (defaults: 8000 messages per run, connections 1,16, window 1,64)
#        bench/mllp.sh --messages 8000 --rounds 3
#        bench/mllp.sh --endpoint 127.0.0.1:2575         against a running `healthflow serve --mllp 127.0.0.1:2575`
#                                                        (settings Mllp:Sources:acme:Facilities=STMARYS, :Addresses=127.0.0.1)
# Prints `uptime` first: on a shared machine the load average says how much of the 2 cores the run had.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
uptime
dotnet build -c Release --nologo -v quiet "$root/bench/mllp-throughput/MllpThroughput.csproj" > /tmp/mllp-bench-build.log 2>&1 \
  || { cat /tmp/mllp-bench-build.log; exit 1; }
dotnet "$root/bench/mllp-throughput/bin/Release/net10.0/MllpThroughput.dll" "$@"
uptime
