#!/usr/bin/env bash
# Installs everything folio needs to build, test and benchmark on a fresh Debian 12 machine.
# Safe to re-run: apt-get skips what is already installed, and the package index is refreshed
# only when it is older than a day (or missing).
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libsqlite3-dev sqlite3
  liblmdb-dev lmdb-utils
  nlohmann-json3-dev
  libboost1.81-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libcli11-dev
  libspdlog-dev libfmt-dev
  libxxhash-dev
  libvalijson-dev json-schema-test-suite libre2-dev
  zlib1g-dev libbrotli-dev
  libzstd-dev
  clang-format
  clang libclang-rt-14-dev
  curl
  libhiredis-dev redis-server gnuplot-nox
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
stamp=/var/lib/apt/periodic/update-success-stamp
lists=$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' 2>/dev/null | head -n 1)
if [ -z "$lists" ] || [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
  $SUDO apt-get update -q
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
