#!/usr/bin/env bash
# Installs, with apt, the Debian 12 packages rankpool needs to build, test and
# run — only those missing, so a second run costs nothing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates python3
  openmpi-bin libopenmpi-dev
  libboost-mpi-dev libboost-serialization-dev libboost-dev
  libgmp-dev libcurl4-openssl-dev libdeflate-dev
  googletest libgtest-dev
  nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libsimdjson-dev
  python3-mpi4py gnuplot-nox hyperfine parallel
  iproute2 util-linux clang-format
)
if [[ "${RANKPOOL_SETUP_EXTRA:-}" != "" ]]; then
  read -r -a extra <<< "$RANKPOOL_SETUP_EXTRA"
  packages+=("${extra[@]}")
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
