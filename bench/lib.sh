# Helpers shared by the bench scripts (sourced, not run). They expect $WORK (a scratch directory) to be set.

log() { echo "bench: $*" >&2; }

# The target's own timing line: "BENCH calls=N elapsed_ns=E ns_per_call=X sink=S" (bench/target, bench/rich).
ns_per_call() { sed -n 's/^BENCH .* ns_per_call=\([0-9.]*\) .*/\1/p' "$1" | tail -1; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b<=0) print "n/a"; else printf "%.2f", a/b}'; }

csv_value() { tail -n 1 | tr -d '\r'; } # calltape query --format csv: a header line, then the one value

# bpftrace_around PROGRAM CMD...: runs CMD (stdout to $WORK/t.out) while bpftrace runs PROGRAM; bpftrace's output is
# left in $WORK/bt.out. bpftrace attaches to the binary's inode, so a target started after it attached is traced
# from its first call.
bpftrace_around() {
  local program=$1 pid
  shift
  # A script's background job starts with SIGINT ignored; restore the default so the SIGINT below reaches it.
  env --default-signal=INT bpftrace -e "$program" >"$WORK/bt.out" 2>&1 &
  pid=$!
  # Callers run this in a $(...) subshell, which does not inherit the EXIT trap: stop bpftrace on any exit here.
  trap 'kill -INT "$pid" 2>/dev/null || true' EXIT
  for _ in $(seq 300); do
    grep -q '^Attaching' "$WORK/bt.out" && break
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/bt.out" >&2; log "bpftrace exited before attaching"; exit 1; }
    sleep 0.1
  done
  grep -q '^Attaching' "$WORK/bt.out" || { log "bpftrace did not attach within 30 s"; exit 1; }
  # bpftrace 0.17 prints "Attaching N probes..." before it attaches: give it a moment.
  sleep 1
  "$@" >"$WORK/t.out"
  kill -INT "$pid"
  # A SIGINT that lands while bpftrace is still setting up can be lost: fall back to TERM.
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  trap - EXIT
}
