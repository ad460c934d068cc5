#!/usr/bin/env bash
# Regenerates the golden outputs of calltape replay and report (tests/EndToEnd/Golden/*.txt) from fresh recordings.
# Run after a change meant to alter that output, then review `git diff tests/EndToEnd/Golden` before committing.
# Needs root, like every end-to-end test (it records real uprobes).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build Suite.sln -c Release -nologo -v quiet
CALLTAPE_ACCEPT_GOLDEN=1 dotnet test tests/EndToEnd -c Release --no-build --nologo --filter "FullyQualifiedName~GoldenTests"
git status --short tests/EndToEnd/Golden
