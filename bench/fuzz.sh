#!/usr/bin/env bash
# Fuzzing of the X12 and FHIR readers (issue 9), long form: the same FsCheck mutation targets the test command runs a
# few thousand inputs of (tests/Shared/Fuzz; X12 and FHIR FuzzTests), here INPUTS per target through the benchmark
# project's harness mode (`-- fuzz x12|fhir N`, FuzzRun.cs). Each input is read with a time bound (a hang is a
# failure); a failing input is saved under tests/fixtures/fuzz-regressions/{x12,fhir}/, which the tests replay.
#
# Usage: bench/fuzz.sh              (1,000,000 inputs per target)
#        bench/fuzz.sh 50000
#        TARGETS=fhir bench/fuzz.sh
# Prints `uptime` first and last: on a shared machine the load average says how much of the cores the run had.
# Exit status: 0 when no input failed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
inputs="${1:-1000000}"
uptime
dotnet build -c Release --nologo -v quiet "$root/tests/HealthFlow.Benchmarks/HealthFlow.Benchmarks.csproj" > /tmp/fuzz-bench-build.log 2>&1 \
  || { cat /tmp/fuzz-bench-build.log; exit 1; }
status=0
for target in ${TARGETS:-x12 fhir}; do
  dotnet "$root/tests/HealthFlow.Benchmarks/bin/Release/net10.0/HealthFlow.Benchmarks.dll" fuzz "$target" "$inputs" || status=1
done
uptime
exit "$status"
