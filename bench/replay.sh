#!/usr/bin/env bash
# First-screen time of calltape replay (and the full time of calltape report) on a large synthetic capture.
#
#   bench/replay.sh [--calls N] [--keep]
#
# Writes a capture of N calls (default 10 000 000) with entries and exits (bench/replay: nested Go calls on 8
# goroutines, loss snapshots with drops) through the real CaptureWriter, then times, best of 3:
#   replay --limit 50      the first screen, as a pager would show it
#   replay | head -n 50    the same through a pipe closed early
#   report                 the whole capture (reported once: it reads everything)
# Results go to bench/results/replay-STAMP.txt. The capture is deleted unless --keep.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CALLS=10000000
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --calls) CALLS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

dotnet build "$ROOT/src/Analyzer/Analyzer.csproj" -c Release -v q -nologo >/dev/null
dotnet build "$ROOT/bench/replay/ReplayBench.csproj" -c Release -v q -nologo >/dev/null
CALLTAPE=$(ls "$ROOT"/src/Analyzer/bin/Release/net10.0/*/calltape.dll | head -1)
SYNTH=$( (ls "$ROOT"/bench/replay/bin/Release/net10.0/calltape-replay-synth.dll "$ROOT"/bench/replay/bin/Release/net10.0/*/calltape-replay-synth.dll 2>/dev/null || true) | head -1)
WORK=$(mktemp -d)
[ "$KEEP" -eq 1 ] || trap 'rm -rf "$WORK"' EXIT
CAP="$WORK/bench.ctape"
OUT="$ROOT/bench/results/replay-$(date -u +%Y%m%d-%H%M%S).txt"
mkdir -p "$ROOT/bench/results"

secs() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
# Milliseconds, best of 3.
best() { local b=999999 x; for _ in 1 2 3; do x=$(secs "$@"); [ "$x" -lt "$b" ] && b=$x; done; echo "$b"; }

echo "writing $CALLS calls to $CAP" >&2
dotnet "$SYNTH" "$CAP" "$CALLS"
size=$(du -sh "$CAP" | cut -f1)
limit=$(best dotnet "$CALLTAPE" replay "$CAP" --limit 50)
piped=$(best bash -c "dotnet '$CALLTAPE' replay '$CAP' | head -n 50")
report=$(secs dotnet "$CALLTAPE" report "$CAP")
{
  echo "calltape replay/report bench, $(date -u +%FT%TZ), $(nproc) CPUs, $CALLS calls ($size)"
  echo "replay --limit 50 (first screen)   ${limit} ms   (best of 3, process start included)"
  echo "replay | head -n 50                ${piped} ms"
  echo "report (whole capture)             ${report} ms"
  echo
  dotnet "$CALLTAPE" replay "$CAP" --limit 12
  echo
  dotnet "$CALLTAPE" report "$CAP"
} | tee "$OUT"
