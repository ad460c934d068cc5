#!/usr/bin/env bash
# Installs everything Calltape's build, tests and benchmark need on a fresh Debian 12 machine.
# Idempotent: a second run only checks. Run as root.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: must run as root (it installs Debian packages)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
need=()
# g++ and clang++-14 (package clang-14, also the BPF compiler) build the C++ fixtures against libstdc++; rustc
# (bookworm 1.63) builds the Rust fixtures.
# llvm-14 brings llvm-symbolizer-14, the oracle for inlined frames of clang binaries (binutils 2.40 misreads DW_FORM_rnglistx).
# linux-perf and uftrace are the decode anchors of bench/anchors.sh, as bpftrace is the cost floor of bench/run.sh.
for p in libbpf-dev clang-14 llvm-14 golang-go bpftrace zlib1g-dev curl g++ rustc linux-perf uftrace bc; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
[ -x /usr/lib/go-1.26/bin/go ] || need+=(golang-1.26-go)

if [ ${#need[@]} -gt 0 ]; then
  # Debian sid supplies golang-1.26-go (DWARF 5 fixtures). The pin keeps every other package on bookworm.
  if [ ! -f /etc/apt/sources.list.d/calltape-sid.sources ]; then
    cat > /etc/apt/sources.list.d/calltape-sid.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    cat > /etc/apt/preferences.d/calltape-sid <<'PIN'
Package: *
Pin: release n=sid
Pin-Priority: -10

Package: golang-1.26-go golang-1.26-src
Pin: release n=sid
Pin-Priority: 500
PIN
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

for t in clang-14 clang++-14 llvm-symbolizer-14 go /usr/lib/go-1.26/bin/go bpftrace dotnet g++ /usr/bin/rustc c++filt; do
  command -v "$t" >/dev/null 2>&1 || { echo "setup: $t missing after install" >&2; exit 1; }
done
[ -f /usr/include/bpf/bpf_helpers.h ] || { echo "setup: libbpf headers missing" >&2; exit 1; }
echo "setup: ok ($(go version | cut -d' ' -f3), $(/usr/lib/go-1.26/bin/go version | cut -d' ' -f3), $(bpftrace --version))"
