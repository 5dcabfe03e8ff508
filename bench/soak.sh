#!/usr/bin/env bash
# The soak (issue 9): `healthflow serve` under a mix of vendors' traffic, killed with SIGKILL at random moments and
# restarted; checks nothing accepted was lost or posted twice. Prints one summary line (SOAK accepted=... => PASS).
#
# Usage: bench/soak.sh                         10 minutes, 20 kills (the figure in docs/RELIABILITY.md)
#        bench/soak.sh --seconds 60 --kills 3  the short form .ci/run runs
#        bench/soak.sh --dir /tmp/soak         keep the data folder for inspection (kept anyway when the run fails)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build -c Release "$root/bench/soak" -v quiet -nologo >/dev/null
exec dotnet "$root/bench/soak/bin/Release/net10.0/HealthFlow.Soak.dll" "$@"
