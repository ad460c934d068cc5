#!/usr/bin/env bash
# Convert throughput and query latency of calltape on a large synthetic capture, in one run, on this machine.
#
#   bench/convert.sh [--calls N] [--returns] [--runs R] [--keep]
#
# Writes a capture of N calls (default 10 000 000; bench/synth, the real CaptureWriter; --returns adds an exit
# record per call, so there are 2N events and duration_ns is set), then, R times (default 3, best reported):
#   convert     calltape convert under /usr/bin/time -v: events/s (as convert reports it), wall time, peak RSS
#   query       calltape query of per-function p50/p99 over calls.parquet (the issue's target: under 1 s)
# the floor: the CPU Parquet.Net alone needs to write the same rows (bench/parquetfloor), and the rate that caps;
# and the decode anchors measured in the same run by bench/anchors.sh (perf script over uprobe events, uftrace replay
# over recorded calls; min(N, 2 M) calls each; FACTS.md quotes 0.85 M events/s and 0.93 M calls/s for them).
# Results go to bench/results/convert-STAMP.txt.
# Wall times move with other load on the machine: the script prints the load average next to them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CALLS=10000000
RETURNS=()
RUNS=3
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --calls) CALLS=$2; shift 2 ;;
    --returns) RETURNS=(--returns); shift ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "bench: $*" >&2; }
dotnet build "$ROOT/src/Analyzer/Analyzer.csproj" -c Release -v q -nologo >/dev/null
dotnet build "$ROOT/bench/synth/Synth.csproj" -c Release -v q -nologo >/dev/null
dotnet build "$ROOT/bench/parquetfloor/ParquetFloor.csproj" -c Release -v q -nologo >/dev/null
CALLTAPE=$(ls "$ROOT"/src/Analyzer/bin/Release/net10.0/*/calltape | head -1)
SYNTH=$(ls "$ROOT"/bench/synth/bin/Release/net10.0/*/calltape-synth | head -1)
FLOOR=$(ls "$ROOT"/bench/parquetfloor/bin/Release/net10.0/*/calltape-parquetfloor | head -1)
WORK=$(mktemp -d /tmp/calltape-convert-bench.XXXXXX)
[ "$KEEP" -eq 1 ] || trap 'rm -rf "$WORK"' EXIT
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$ROOT/bench/results"
OUT="$ROOT/bench/results/convert-$STAMP.txt"

CAP="$WORK/synth.ctape"
log "writing $CALLS calls ${RETURNS[*]:-} to $CAP"
"$SYNTH" "$CAP" "$CALLS" "${RETURNS[@]}" >&2
CAP_BYTES=$(du -sb "$CAP" | cut -f1)

QUERY="SELECT function, quantile_cont(duration_ns, 0.5) AS p50, quantile_cont(duration_ns, 0.99) AS p99, count(*) AS calls FROM calls GROUP BY 1 ORDER BY 1"
best_rate=0; best_wall=; best_rss=; best_cpu=; best_query=; CPUS=
for run in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/out"
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v "$CALLTAPE" convert "$CAP" -o "$WORK/out" >"$WORK/convert.out" 2>"$WORK/convert.err" \
    || { cat "$WORK/convert.err" >&2; exit 1; }
  line=$(grep '^converted' "$WORK/convert.out")
  # "(2.48 M events/s)" or "(957.0 k events/s)" → events/s
  rate=$(echo "$line" | sed -n 's/.*(\([0-9.]*\) \([kM]\) events\/s).*/\1 \2/p' | awk '{print ($2=="M") ? $1*1e6 : $1*1e3}')
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/convert.err")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/convert.err")
  # CPU seconds (user + system): unlike wall time, they hardly move with other load on this shared machine.
  cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$WORK/convert.err")
  q0=$(date +%s.%N)
  "$CALLTAPE" query "$WORK/out" "$QUERY" >"$WORK/query.out"
  q1=$(date +%s.%N)
  qs=$(echo "$q1 - $q0" | bc -l)
  printf 'bench: run %d  load %s  %s (%s events/s, wall %s, cpu %s s, peak RSS %d MiB)  query %.3f s\n' \
    "$run" "$load" "$(echo "$line" | sed 's/ to .* in / in /')" "$rate" "$wall" "$cpu" $((rss / 1024)) "$qs" >&2
  CPUS+="$cpu "
  if awk "BEGIN {exit !($rate > $best_rate)}"; then best_rate=$rate; best_wall=$wall; best_rss=$rss; best_cpu=$cpu; fi
  if [ -z "$best_query" ] || awk "BEGIN {exit !($qs < $best_query)}"; then best_query=$qs; fi
done

# The floor: Parquet.Net writing the same rows with the same settings and nothing decoded (bench/parquetfloor), median of 3.
FLOORS=""
for _ in 1 2 3; do FLOORS+="$("$FLOOR" "$WORK/out" | sed -n 's/.* cpu \([0-9.]*\) s$/\1/p') "; done
FLOOR_CPU=$(tr ' ' '\n' <<<"$FLOORS" | grep . | sort -g | sed -n 2p)
FLOOR_ROWS=$("$FLOOR" "$WORK/out" | sed -n 's/^floor \([0-9]*\) rows.*/\1/p')
EVENTS=$((CALLS * (${#RETURNS[@]} > 0 ? 2 : 1)))

# The bug-report bundle of the same capture (capture + Parquet, zipped): its size against the raw capture.
"$CALLTAPE" bundle "$CAP" -o "$WORK/bundle.ctape" >/dev/null 2>"$WORK/bundle.err" || { cat "$WORK/bundle.err" >&2; log "bundle failed"; exit 1; }
BUNDLE_BYTES=$(stat -c %s "$WORK/bundle.ctape")

ANCHORS=$("$ROOT/bench/anchors.sh" --calls $((CALLS < 2000000 ? CALLS : 2000000)) 2>"$WORK/anchors.err") \
  || { cat "$WORK/anchors.err" >&2; log "anchors failed"; exit 1; }
PERF_RATE=$(sed -n 's/^anchor perf-script \([0-9]*\) .*/\1/p' <<<"$ANCHORS")
UFTRACE_RATE=$(sed -n 's/^anchor uftrace-replay \([0-9]*\) .*/\1/p' <<<"$ANCHORS")

{
  echo "calltape convert benchmark $STAMP ($(nproc) CPUs, $(uname -r))"
  echo "capture:            $CALLS calls ${RETURNS[*]:-(entries only)}, $((CAP_BYTES / 1048576)) MiB, $(ls "$CAP" | grep -c '^chunk-') chunks"
  # calls/s beside events/s: with --returns a call is two events, and the issue's figure counts events.
  printf 'convert (best of %d): %.2f M events/s (%.2f M calls/s), wall %s, cpu %s s, peak RSS %d MiB  (target: >= 5 M events/s)\n' \
    "$RUNS" "$(echo "$best_rate / 1000000" | bc -l)" "$(echo "$best_rate * $CALLS / $EVENTS / 1000000" | bc -l)" "$best_wall" "$best_cpu" $((best_rss / 1024))
  printf 'convert cpu:        %s s per run, median %s s (user + sys; the best-rate run above is one of them)\n' "${CPUS% }" "$(tr ' ' '\n' <<<"$CPUS" | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  printf 'floor:              %s CPU-s to write the same %s Parquet rows with Parquet.Net and nothing decoded (runs: %s)\n' \
    "$FLOOR_CPU" "$FLOOR_ROWS" "$FLOORS"
  printf 'convert / floor:    %.2fx the CPU; the floor alone, spread over %d CPUs, caps convert at %.2f M events/s\n' \
    "$(echo "$best_cpu / $FLOOR_CPU" | bc -l)" "$(nproc)" "$(echo "$EVENTS / ($FLOOR_CPU / $(nproc)) / 1000000" | bc -l)"
  printf 'query p50/p99:      %.3f s for the whole calltape query process (target: < 1 s)\n' "$best_query"
  echo "parquet:            $(du -sh "$WORK/out" | cut -f1) ($(ls -s --block-size=M "$WORK/out/calls.parquet" | cut -d' ' -f1) calls.parquet)"
  printf 'bundle:             %d MiB for a %d MiB capture (%.2fx the raw capture)\n' $((BUNDLE_BYTES / 1048576)) $((CAP_BYTES / 1048576)) \
    "$(echo "$BUNDLE_BYTES / $CAP_BYTES" | bc -l)"
  echo "load average:       $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows wall time, not cpu time)"
  sed 's/^/anchors (measured now): /' <<<"$ANCHORS"
  printf 'convert against the anchors: %.2fx perf script, %.2fx uftrace replay\n' \
    "$(echo "$best_rate / $PERF_RATE" | bc -l)" "$(echo "$best_rate / $UFTRACE_RATE" | bc -l)"
  echo "query result:"
  sed 's/^/  /' "$WORK/query.out"
} | tee "$OUT"
