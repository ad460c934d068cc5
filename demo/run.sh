#!/usr/bin/env bash
# The Calltape demo: record every call of main.computeE in a running HTTP server while a client sends it
# requests, then ask the capture what it saw and compare with what the client says it sent.
#
#   sudo demo/run.sh [--no-build] [--requests N] [--seed S] [--addr HOST:PORT]
#
# Needs root (uprobes), the .NET 10 SDK and Go (Debian's golang-go). Everything it builds goes to out/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=1
REQUESTS=200
SEED=$RANDOM
ADDR=127.0.0.1:8080
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) BUILD=0; shift ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --addr) ADDR=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root: attaching uprobes needs CAP_SYS_ADMIN (or CAP_BPF + CAP_PERFMON)"
# A fresh machine gets everything it needs first (Debian packages; a no-op when all is there).
"$ROOT/scripts/setup.sh"
for t in dotnet go curl; do command -v "$t" >/dev/null || die "$t not found (scripts/setup.sh installs what is missing)"; done

OUT="$ROOT/out"
# Overridable to run the demo with installed or published builds.
REC=${CALLTAPE_RECORD:-$ROOT/src/Recorder/bin/Release/net10.0/linux-x64/calltape-record}
CALLTAPE=${CALLTAPE_BIN:-$ROOT/src/Analyzer/bin/Release/net10.0/linux-x64/calltape}
CAPTURE="$OUT/demo-$(date +%Y%m%d-%H%M%S).ctape"
mkdir -p "$OUT"
LOGS=$(mktemp -d /tmp/calltape-demo.XXXXXX)

SERVER_PID=
REC_PID=
cleanup() {
  # Stop only what this script started, by pid; SIGINT lets the recorder finish its capture cleanly.
  [ -n "$REC_PID" ] && kill -INT "$REC_PID" 2>/dev/null && wait "$REC_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

if [ "$BUILD" -eq 1 ]; then
  say "Building Calltape (Release)"
  dotnet build "$ROOT/Suite.sln" -c Release -nologo -v q
fi
[ -x "$REC" ] && [ -x "$CALLTAPE" ] || die "calltape-record or calltape missing under src/*/bin/Release; build without --no-build"

say "Building the demo server and client (Go)"
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 # offline, no module downloads
(cd "$ROOT/demo/e-server" && go build -o ../../out/e-server .)
(cd "$ROOT/demo/client" && go build -o ../../out/eclient .)

say "Starting e-server on $ADDR"
curl -sf "http://$ADDR/healthz" >/dev/null 2>&1 && die "something already answers on $ADDR; pick another with --addr"
"$OUT/e-server" -addr "$ADDR" 2>"$LOGS/server.log" &
SERVER_PID=$!
for _ in $(seq 50); do
  curl -sf "http://$ADDR/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOGS/server.log" >&2; die "e-server exited"; }
  sleep 0.1
done
curl -sf "http://$ADDR/healthz" >/dev/null || die "e-server did not answer /healthz within 5 s"

say "Recording main.computeE into $CAPTURE"
# A background job of a script starts with SIGINT ignored; give the recorder the default back, so that the SIGINT
# below (and a user's Ctrl-C) stops it cleanly.
env --default-signal=INT "$REC" -o "$CAPTURE" -p main.computeE --exe "$OUT/e-server" --duration 20 \
  2>"$LOGS/recorder.log" &
REC_PID=$!
attached=0
for _ in $(seq 300); do
  grep -q 'recording: attached' "$LOGS/recorder.log" && { attached=1; break; }
  kill -0 "$REC_PID" 2>/dev/null || break
  sleep 0.1
done
if [ "$attached" -ne 1 ]; then
  cat "$LOGS/recorder.log" >&2
  die "calltape-record did not report 'recording: attached' within 30 s"
fi
grep 'recording: attached' "$LOGS/recorder.log"

say "Sending $REQUESTS requests with random iters (seed $SEED)"
"$OUT/eclient" -url "http://$ADDR" -random "$REQUESTS" -seed "$SEED" -concurrency 4 >"$LOGS/client.out" \
  || die "the client saw failed requests (see above)"
SENT=$(grep -c '^SENT ' "$LOGS/client.out" || true)
echo "client: $SENT requests answered"

say "Stopping the recorder"
kill -INT "$REC_PID"
rc=0; wait "$REC_PID" || rc=$?
REC_PID=
cat "$LOGS/recorder.log"
[ "$rc" -eq 0 ] || [ "$rc" -eq 130 ] || die "calltape-record exited with $rc"

say "calltape info $CAPTURE"
"$CALLTAPE" info "$CAPTURE"

QUERY='SELECT iterations, count(*) FROM "main.computeE" GROUP BY 1 ORDER BY 1'
say "calltape query: $QUERY"
"$CALLTAPE" query "$CAPTURE" "$QUERY"

say "The client's own count of each iters value (iterations, count)"
sed -n 's/^SENT iters=//p' "$LOGS/client.out" | sort -n | uniq -c | awk '{printf "%10s %5s\n", $2, $1}'

# One number pair both sides can compute: how many calls, and the sum of their arguments.
say "Comparing"
IFS=, read -r got_calls got_sum < <("$CALLTAPE" query "$CAPTURE" --format csv \
  'SELECT count(*) AS calls, sum(iterations) AS total FROM "main.computeE"' | tail -n 1 | tr -d '\r')
want_sum=$(sed -n 's/^SENT iters=//p' "$LOGS/client.out" | awk '{s += $1} END {print s + 0}')
echo "recorded: $got_calls calls, sum(iterations) = $got_sum"
echo "client:   $SENT calls, sum(iterations) = $want_sum"
if [ "$got_calls" = "$SENT" ] && [ "$got_sum" = "$want_sum" ]; then
  echo "MATCH: every request's computeE call is in the capture, with its argument"
else
  die "MISMATCH between the capture and the client (capture kept in $CAPTURE)"
fi
echo "capture: $CAPTURE (remove it when done; it holds argument values)"
