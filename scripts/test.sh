#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: unit tests (no root needed) and end-to-end tests that attach real
# uprobes (root). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Suite.sln -c Release -warnaserror -nologo -v quiet

# The recorder must publish as one native AOT file; the end-to-end tests run that file, as users would. Its own
# OutDir keeps the publish build from replacing bin/Release (which has no apphost once PublishAot builds it).
dotnet publish src/Recorder -c Release -o out/aot -p:OutDir="$PWD/out/aot-build/" -nologo -v quiet
test -x out/aot/calltape-record
echo "aot: out/aot/calltape-record $(du -h out/aot/calltape-record | cut -f1)"
export CALLTAPE_RECORD="$PWD/out/aot/calltape-record"

log=$(mktemp)
status=0
dotnet test Suite.sln -c Release --no-build --nologo 2>&1 | tee "$log" || status=$?

# One closing line in the plain form CI reads: "N passed, N failed".
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
