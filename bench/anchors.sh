#!/usr/bin/env bash
# The decode anchors of issue 4, measured on this machine: perf script over uprobe events and uftrace replay over
# recorded calls, both of bench/rich/rich.c's hot loop.
#
#   bench/anchors.sh [--calls N]
#
# perf:    perf probe on rich() with two string arguments, perf record N calls, then time perf script (events/s =
#          the events perf script printed / its wall time).
# uftrace: the same program built with -pg, uftrace record N iterations (rich and the libc calls it makes), then time
#          uftrace replay (calls/s = the lines replay printed / its wall time; every call here is a leaf, one line).
# Prints two lines "anchor perf-script EVENTS_PER_S" and "anchor uftrace-replay CALLS_PER_S" (and the counts).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CALLS=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --calls) CALLS=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (perf probe)" >&2; exit 1; }
for t in perf uftrace gcc; do command -v "$t" >/dev/null || { echo "bench: $t missing: run scripts/setup.sh" >&2; exit 1; }; done

WORK=$(mktemp -d /tmp/calltape-anchors.XXXXXX)
GROUP=calltape_anchor_$$
trap 'perf probe -q -d "$GROUP:*" 2>/dev/null || true; rm -rf "$WORK"' EXIT
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

secs() { local t0=$1 t1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }

# --- perf script -------------------------------------------------------------------------------------------------
gcc -O2 -g -fno-omit-frame-pointer -o "$WORK/rich" "$ROOT/bench/rich/rich.c"
perf probe -q -x "$WORK/rich" --add "$GROUP:rich=rich user=+0(%di):string city=+0(%si):string"
perf record -q -m 64M -o "$WORK/perf.data" -e "$GROUP:rich" -- "$WORK/rich" -n "$CALLS" >/dev/null 2>"$WORK/perf.err" \
  || { cat "$WORK/perf.err" >&2; log "perf record failed"; exit 1; }
t0=$(date +%s.%N)
events=$(perf script -i "$WORK/perf.data" 2>/dev/null | wc -l)
s=$(secs "$t0")
echo "anchor perf-script $(rate "$events" "$s") events/s ($events events in $(printf '%.2f' "$s") s; $CALLS calls recorded)"

# --- uftrace replay ----------------------------------------------------------------------------------------------
gcc -O2 -g -pg -fno-omit-frame-pointer -o "$WORK/rich-pg" "$ROOT/bench/rich/rich.c"
uftrace record -d "$WORK/uftrace.data" "$WORK/rich-pg" -n "$CALLS" >/dev/null 2>"$WORK/uftrace.err" \
  || { cat "$WORK/uftrace.err" >&2; log "uftrace record failed"; exit 1; }
t0=$(date +%s.%N)
lines=$(uftrace replay -d "$WORK/uftrace.data" 2>/dev/null | wc -l)
s=$(secs "$t0")
echo "anchor uftrace-replay $(rate "$lines" "$s") calls/s ($lines lines in $(printf '%.2f' "$s") s)"
