#!/usr/bin/env bash
# Per-call cost of Calltape against bpftrace on one Go target, in one run, on this machine.
#
#   bench/run.sh [--calls N] [--runs R] [--max-calls N] [--no-build] [--no-calltape] [--returns] [--stack]
#
# Modes, each run R times (default 5), interleaved round by round so drift (thermal, other load) hits all alike:
#   untraced            the target alone
#   bpftrace-floor      uprobe:BIN:main.record {}                 (the cost of any uprobe: the floor)
#   bpftrace-count      uprobe:BIN:main.record { @c = count(); }  (the cheapest useful probe)
#   calltape            calltape-record -p main.record -- BIN ... (captures both int64 arguments)
# and with --returns also:
#   calltape-returns    calltape-record --returns ...  (arguments, the int64 result, g, goid and the duration)
# and with --stack also:
#   calltape-stack      calltape-record --stack ...    (arguments and the user stack, walked by frame pointers)
# bpftrace 0.17 (Debian) cannot probe a RET (no uprobe offsets: "compiled without (k|u)probe offset support"), so
# the exit probe's cost is reported as calltape-returns minus calltape, next to the floor of the entry probe.
# then one max-rate calltape run with more calls, to check that nothing is lost at full speed.
# Cost is the median ns/call timed inside the target's loop (start-up and attach excluded); "marginal" is that
# minus the untraced median. Results go to bench/results/STAMP/ (gitignored) and bench/results/latest.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CALLS=1000000
RUNS=5
MAX_CALLS=5000000
BUILD=1
CALLTAPE=1
RETURNS=0
STACK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --calls) CALLS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --max-calls) MAX_CALLS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-calltape) CALLTAPE=0; shift ;;
    --returns) RETURNS=1; shift ;;
    --stack) STACK=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (uprobes need CAP_SYS_ADMIN or CAP_BPF+CAP_PERFMON)" >&2; exit 1; }

# Go 1.26 on purpose: its frame prologue starts with PUSHQ BP, which the kernel emulates (~0.7 us). Go 1.19 starts
# with SUBQ, which is single-stepped (~10 us): the floor would then swamp every difference being measured.
GO=${GO:-/usr/lib/go-1.26/bin/go}
FN=main.record
STAMP=$(date +%Y%m%d-%H%M%S)
OUT="$ROOT/bench/results/$STAMP"
WORK=$(mktemp -d /tmp/calltape-bench.XXXXXX)
BIN="$WORK/bench-target"
# Overridable to benchmark installed or published (AOT) builds instead of the Release build of this tree.
REC=${CALLTAPE_RECORD:-$ROOT/src/Recorder/bin/Release/net10.0/linux-x64/calltape-record}
ANA=${CALLTAPE_BIN:-$ROOT/src/Analyzer/bin/Release/net10.0/linux-x64/calltape}
mkdir -p "$OUT"

trap 'rm -rf "$WORK"' EXIT
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# --- build -------------------------------------------------------------------------------------------------------
(cd "$ROOT/bench/target" && GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 "$GO" build -o "$BIN" .)
FIRST_INSN=$("$GO" tool objdump -s "^${FN}\$" "$BIN" | awk 'NR==2 {$1=$2=$3=""; sub(/^ +/, ""); print; exit}')
if [ "$CALLTAPE" -eq 1 ] && [ "$BUILD" -eq 1 ]; then
  log "building calltape-record and calltape (Release)"
  dotnet build "$ROOT/src/Recorder/Recorder.csproj" -c Release -v q -nologo >"$WORK/build.log" 2>&1 \
    && dotnet build "$ROOT/src/Analyzer/Analyzer.csproj" -c Release -v q -nologo >>"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; log "build failed (rerun with --no-calltape for the baselines only)"; exit 1; }
fi
if [ "$CALLTAPE" -eq 1 ]; then
  for x in "$REC" "$ANA"; do [ -x "$x" ] || { log "$x missing: build it or use --no-calltape"; exit 1; }; done
fi

# --- one run of each mode; each prints the target's ns/call ------------------------------------------------------

run_untraced() {
  "$BIN" -n "$1" >"$WORK/t.out"
  ns_per_call "$WORK/t.out"
}

# bpftrace attaches to the binary's inode, so a target started after "Attaching" is traced from its first call.
run_bpftrace() { # calls, probe body
  local n=$1 body=$2
  bpftrace_around "uprobe:$BIN:$FN $body" "$BIN" -n "$n" -delay 200ms
  # count() doubles as a check that every call was probed exactly once (no double hits, no misses).
  if [[ $body == *count* ]]; then
    local c; c=$(sed -n 's/^@c: \([0-9]*\)$/\1/p' "$WORK/bt.out")
    [ "$c" = "$n" ] || log "WARNING: bpftrace counted ${c:-nothing} hits for $n calls"
  fi
  ns_per_call "$WORK/t.out"
}

# The recorder launches the target and returns its exit code. Counting events through the analyzer checks the
# capture end to end: every call must be in it.
CAPTURE_EVENTS_SQL=${CAPTURE_EVENTS_SQL:-'SELECT count(*) AS n FROM calls'}
CAPTURE_DROPS_SQL=${CAPTURE_DROPS_SQL:-'SELECT coalesce(sum(drops), 0) AS n FROM loss'}
run_calltape() { # calls, capture dir, [recorder flags]
  local n=$1 dir=$2 flags=${3:-}
  # shellcheck disable=SC2086 # flags is a word list on purpose
  timeout 300 "$REC" -o "$dir" -p "$FN" --quiet $flags -- "$BIN" -n "$n" >"$WORK/t.out" 2>"$WORK/rec.err" \
    || { cat "$WORK/rec.err" >&2; log "calltape-record failed"; exit 1; }
  ns_per_call "$WORK/t.out"
}
capture_stats() { # capture dir -> "bytes events drops"
  local dir=$1 bytes events drops
  bytes=$(du -sb "$dir" | cut -f1)
  events=$("$ANA" query "$dir" "$CAPTURE_EVENTS_SQL" --format csv 2>>"$WORK/ana.err" | csv_value || true)
  drops=$("$ANA" query "$dir" "$CAPTURE_DROPS_SQL" --format csv 2>>"$WORK/ana.err" | csv_value || true)
  echo "$bytes ${events:-?} ${drops:-?}"
}


# --- measure -----------------------------------------------------------------------------------------------------
MODES=(untraced bpftrace-floor bpftrace-count)
[ "$CALLTAPE" -eq 1 ] && MODES+=(calltape)
[ "$RETURNS" -eq 1 ] && [ "$CALLTAPE" -eq 1 ] && MODES+=(calltape-returns)
[ "$STACK" -eq 1 ] && [ "$CALLTAPE" -eq 1 ] && MODES+=(calltape-stack)
declare -A SAMPLES
RAW="$OUT/raw.tsv"
printf 'round\tmode\tcalls\tns_per_call\tcapture_bytes\tevents\tdrops\n' >"$RAW"
log "$RUNS rounds x ${#MODES[@]} modes, $CALLS calls each; target $FN, first instruction: $FIRST_INSN"
for r in $(seq "$RUNS"); do
  for m in "${MODES[@]}"; do
    stats="- - -"
    case $m in
      untraced) v=$(run_untraced "$CALLS") ;;
      bpftrace-floor) v=$(run_bpftrace "$CALLS" '{}') ;;
      bpftrace-count) v=$(run_bpftrace "$CALLS" '{ @c = count(); }') ;;
      calltape)
        v=$(run_calltape "$CALLS" "$WORK/cap-$r")
        stats=$(capture_stats "$WORK/cap-$r")
        rm -rf "$WORK/cap-$r" ;;
      calltape-returns)
        v=$(run_calltape "$CALLS" "$WORK/cap-$r" --returns)
        # Events here are calls paired with their return: each must be.
        stats=$(CAPTURE_EVENTS_SQL='SELECT count(duration_ns) AS n FROM calls' capture_stats "$WORK/cap-$r")
        rm -rf "$WORK/cap-$r" ;;
      calltape-stack)
        v=$(run_calltape "$CALLS" "$WORK/cap-$r" --stack)
        # Every call must carry its stack.
        stats=$(CAPTURE_EVENTS_SQL='SELECT count(stack_id) AS n FROM calls' capture_stats "$WORK/cap-$r")
        rm -rf "$WORK/cap-$r" ;;
    esac
    SAMPLES[$m]+="$v "
    printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$m" "$CALLS" "$v" "$(tr ' ' '\t' <<<"$stats")" >>"$RAW"
    log "round $r/$RUNS $m: $v ns/call"
  done
done

if [ "$CALLTAPE" -eq 1 ]; then
  log "max-rate run: $MAX_CALLS calls under calltape-record"
  MAX_NS=$(run_calltape "$MAX_CALLS" "$WORK/cap-max")
  read -r MAX_BYTES MAX_EVENTS MAX_DROPS <<<"$(capture_stats "$WORK/cap-max")"
  printf 'max\tcalltape\t%s\t%s\t%s\t%s\t%s\n' "$MAX_CALLS" "$MAX_NS" "$MAX_BYTES" "$MAX_EVENTS" "$MAX_DROPS" >>"$RAW"
  rm -rf "$WORK/cap-max"
fi

# --- report ------------------------------------------------------------------------------------------------------
declare -A MED MARG
for m in "${MODES[@]}"; do MED[$m]=$(tr ' ' '\n' <<<"${SAMPLES[$m]}" | grep . | median); done
for m in "${MODES[@]}"; do MARG[$m]=$(awk -v a="${MED[$m]}" -v b="${MED[untraced]}" 'BEGIN {printf "%.1f", a-b}'); done
# Zero loss means the capture holds exactly one event per call and the loss table counted no drops.
ZERO=n/a
[ "$CALLTAPE" -eq 0 ] || ZERO=$([ "$MAX_EVENTS" = "$MAX_CALLS" ] && [ "$MAX_DROPS" = 0 ] && echo PASS || echo FAIL)
{
  echo "Calltape benchmark $STAMP"
  echo "host: $(uname -r), $(nproc) CPUs; $("$GO" version | cut -d' ' -f3); $(bpftrace --version)"
  echo "target: $FN(a, b int64), $CALLS calls per run, median of $RUNS runs; probed instruction: $FIRST_INSN"
  echo
  printf '%-36s %14s %16s   %s\n' mode "ns/call" "marginal ns" "runs (ns/call)"
  label() { case $1 in
    untraced) echo "untraced" ;;
    bpftrace-floor) echo "bpftrace {} (floor)" ;;
    bpftrace-count) echo "bpftrace { @c = count(); }" ;;
    calltape) echo "calltape-record (2 int64 args)" ;;
    calltape-returns) echo "calltape-record --returns" ;;
    calltape-stack) echo "calltape-record --stack" ;;
  esac; }
  for m in "${MODES[@]}"; do
    printf '%-36s %14s %16s   %s\n' "$(label "$m")" "${MED[$m]}" "$([ "$m" = untraced ] && echo - || echo "${MARG[$m]}")" "${SAMPLES[$m]}"
  done
  echo
  echo "count() marginal / floor marginal:    $(ratio "${MARG[bpftrace-count]}" "${MARG[bpftrace-floor]}")"
  if [ "$CALLTAPE" -eq 1 ]; then
    echo "calltape marginal / floor marginal:   $(ratio "${MARG[calltape]}" "${MARG[bpftrace-floor]}")"
    echo
    awk -F'\t' -v n="$CALLS" '$2=="calltape" && $1!="max" {
        runs++; if ($6 ~ /^[0-9]+$/ && $6 > 0) { bpe += $5/$6; ok++ } if ($6 != n) bad++; if ($7 != "0") dr++ }
      END {
        printf "capture: %s bytes/event (mean over %d runs); runs with events != calls: %d; runs with drops: %d\n",
          ok ? sprintf("%.1f", bpe/ok) : "?", runs, bad, dr }' "$RAW"
    if [ "$RETURNS" -eq 1 ]; then
      echo "calltape --returns marginal / floor marginal: $(ratio "${MARG[calltape-returns]}" "${MARG[bpftrace-floor]}")"
      echo "exit probe (a uprobe on the RET) adds: $(awk -v a="${MARG[calltape-returns]}" -v b="${MARG[calltape]}" 'BEGIN {printf "%.1f", a-b}') ns/call"
      awk -F'\t' -v n="$CALLS" '$2=="calltape-returns" {
          runs++; if ($6 ~ /^[0-9]+$/ && $6 > 0) { bpc += $5/$6; ok++ } if ($6 != n) bad++ }
        END { printf "capture --returns: %s bytes/call (entry + exit); runs with paired calls != calls: %d of %d\n",
          ok ? sprintf("%.1f", bpc/ok) : "?", bad, runs }' "$RAW"
    fi
    if [ "$STACK" -eq 1 ]; then
      echo "calltape --stack marginal / calltape marginal: $(ratio "${MARG[calltape-stack]}" "${MARG[calltape]}")"
      echo "the stack walk adds: $(awk -v a="${MARG[calltape-stack]}" -v b="${MARG[calltape]}" 'BEGIN {printf "%.1f", a-b}') ns/call"
      awk -F'\t' -v n="$CALLS" '$2=="calltape-stack" {
          runs++; if ($6 ~ /^[0-9]+$/ && $6 > 0) { bpe += $5/$6; ok++ } if ($6 != n) bad++ }
        END { printf "capture --stack: %s bytes/event (stacks deduplicated); runs with calls with a stack != calls: %d of %d\n",
          ok ? sprintf("%.1f", bpe/ok) : "?", bad, runs }' "$RAW"
    fi
    echo "max-rate: $MAX_CALLS calls at $MAX_NS ns/call -> $MAX_EVENTS events, $MAX_DROPS dropped," \
      "$(ratio "$MAX_BYTES" "$MAX_EVENTS") bytes/event; zero-loss: $ZERO"
  fi
  echo
  echo "raw samples: $RAW"
} | tee "$OUT/summary.txt"
ln -sfn "$STAMP" "$ROOT/bench/results/latest"
[ "$ZERO" != FAIL ]
