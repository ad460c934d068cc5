#!/usr/bin/env bash
# Peak memory and time of `calltape export` (every format) and `calltape diff` on synthetic captures with returns,
# at several sizes, to show whether memory stays flat as captures grow.
#
#   bench/export.sh [--calls "N1 N2 ..."]      (default "3000000 9000000" calls = 2 records each)
#
# Each capture comes from bench/synth --nested (nested Go calls over 8 goroutines). It is converted once first, so each
# export below measures only the export; peak RSS is GNU time's "Maximum resident set size". The last table puts the
# sizes side by side. Results go to bench/results/export-STAMP.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES="3000000 9000000"
while [ $# -gt 0 ]; do
  case "$1" in
    --calls) SIZES=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v /usr/bin/time >/dev/null || { echo "bench: needs GNU time (/usr/bin/time)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build "$ROOT/src/Analyzer" -c Release -nologo -v quiet >/dev/null
dotnet build "$ROOT/bench/synth/Synth.csproj" -c Release -nologo -v quiet >/dev/null
SYNTH=$(ls "$ROOT"/bench/synth/bin/Release/net10.0/*/calltape-synth | head -1)
CT="$ROOT/src/Analyzer/bin/Release/net10.0/linux-x64/calltape"
WORK=$(mktemp -d /var/tmp/calltape-export-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/export-$(date -u +%Y%m%dT%H%M%SZ).txt"
SUMMARY="$WORK/summary"

measure() { # SIZE LABEL CMD...: prints label, wall seconds, peak RSS MiB
  local size=$1 label=$2; shift 2
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
  read -r secs kib <"$WORK/time"
  printf '%-28s %8.2f s  peak RSS %7.1f MiB   %s\n' "$label" "$secs" "$(echo "$kib/1024" | bc -l)" "$(tail -n1 "$WORK/stdout")" | tee -a "$OUT"
  printf '%s\t%s\t%.0f\n' "$label" "$size" "$(echo "$kib/1024" | bc -l)" >>"$SUMMARY"
}

for CALLS in $SIZES; do
  rm -rf "$WORK/a.ctape" "$WORK/a.ctape.parquet"
  echo "== $CALLS calls (load average $(cut -d' ' -f1 /proc/loadavg))" | tee -a "$OUT"
  "$SYNTH" "$WORK/a.ctape" "$CALLS" --nested | tee -a "$OUT"
  echo "capture: $(du -sh "$WORK/a.ctape" | cut -f1)" | tee -a "$OUT"
  measure "$CALLS" "convert" "$CT" convert "$WORK/a.ctape"
  measure "$CALLS" "export --perfetto" "$CT" export "$WORK/a.ctape" --perfetto "$WORK/trace.json"
  measure "$CALLS" "export --folded" "$CT" export "$WORK/a.ctape" --folded "$WORK/stacks.folded"
  measure "$CALLS" "export --csv" "$CT" export "$WORK/a.ctape" --csv "$WORK/calls.csv"
  measure "$CALLS" "export --jsonl" "$CT" export "$WORK/a.ctape" --jsonl "$WORK/calls.jsonl"
  measure "$CALLS" "diff --function main.lookup" "$CT" diff "$WORK/a.ctape" "$WORK/a.ctape" --function main.lookup
  ls -l "$WORK"/trace.json "$WORK"/stacks.folded "$WORK"/calls.csv "$WORK"/calls.jsonl | awk '{printf "%-14s %8.1f MiB\n", $NF, $5/1048576}' | sed "s|$WORK/||" | tee -a "$OUT"
  cat "$WORK/stacks.folded" | tee -a "$OUT"
done

{
  echo "peak RSS (MiB) by capture size (calls):"
  printf '%-28s' ""; for s in $SIZES; do printf '%12s' "$s"; done; echo
  cut -f1 "$SUMMARY" | awk '!seen[$0]++' | while IFS= read -r label; do
    printf '%-28s' "$label"
    for s in $SIZES; do printf '%12s' "$(awk -F'\t' -v l="$label" -v s="$s" '$1 == l && $2 == s {print $3}' "$SUMMARY")"; done
    echo
  done
} | tee -a "$OUT"
echo "results: $OUT"
