#!/usr/bin/env bash
# Peak memory and time of `calltape export` (every format) and `calltape diff` on a synthetic capture with returns.
#
#   bench/export.sh [--calls N]      (default 9,000,000 calls = 18 M entry and exit records)
#
# The capture comes from bench/synth --nested (nested Go calls over 8 goroutines). It is converted once first, so each
# export below measures only the export; peak RSS is GNU time's "Maximum resident set size". Results go to
# bench/results/export-STAMP.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CALLS=9000000
while [ $# -gt 0 ]; do
  case "$1" in
    --calls) CALLS=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time (/usr/bin/time)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$ROOT/src/Analyzer" -c Release -nologo -v quiet
dotnet build "$ROOT/bench/synth/Synth.csproj" -c Release -nologo -v quiet >/dev/null
SYNTH=$(ls "$ROOT"/bench/synth/bin/Release/net10.0/*/calltape-synth | head -1)
CT="$ROOT/src/Analyzer/bin/Release/net10.0/linux-x64/calltape"
WORK=$(mktemp -d /var/tmp/calltape-export-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/export-$(date -u +%Y%m%dT%H%M%SZ).txt"

measure() { # LABEL CMD...: prints label, wall seconds, peak RSS MiB
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
  read -r secs kib <"$WORK/time"
  printf '%-28s %8.2f s  peak RSS %7.1f MiB   %s\n' "$label" "$secs" "$(echo "$kib/1024" | bc -l)" "$(tail -n1 "$WORK/stdout")" | tee -a "$OUT"
}

"$SYNTH" "$WORK/a.ctape" "$CALLS" --nested | tee -a "$OUT"
echo "capture: $(du -sh "$WORK/a.ctape" | cut -f1)" | tee -a "$OUT"
measure "convert" "$CT" convert "$WORK/a.ctape"
measure "export --perfetto" "$CT" export "$WORK/a.ctape" --perfetto "$WORK/trace.json"
measure "export --folded" "$CT" export "$WORK/a.ctape" --folded "$WORK/stacks.folded"
measure "export --csv" "$CT" export "$WORK/a.ctape" --csv "$WORK/calls.csv"
measure "export --jsonl" "$CT" export "$WORK/a.ctape" --jsonl "$WORK/calls.jsonl"
measure "diff --function main.lookup" "$CT" diff "$WORK/a.ctape" "$WORK/a.ctape" --function main.lookup
ls -l "$WORK"/trace.json "$WORK"/stacks.folded "$WORK"/calls.csv "$WORK"/calls.jsonl | awk '{printf "%-14s %8.1f MiB\n", $NF, $5/1048576}' | sed "s|$WORK/||" | tee -a "$OUT"
cat "$WORK/stacks.folded" | tee -a "$OUT"
echo "results: $OUT"
