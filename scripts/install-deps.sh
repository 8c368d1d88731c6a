#!/usr/bin/env bash
# Installs the Debian packages slmsim needs to build and test (Debian 12 "bookworm").
# Only missing packages are installed; with everything present it does nothing (no network).
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config git   # toolchain
  libsystemc-dev                          # SystemC 2.3.4 with TLM-2.0
  libyaml-cpp-dev nlohmann-json3-dev      # configs, reports, traces
  libcli11-dev                            # command line
  libgtest-dev libbenchmark-dev           # tests, benchmarks
  pybind11-dev python3-dev                # the Python module (python/, docs/python.md)
  python3-numpy python3-pandas python3-matplotlib python3-yaml   # its API, sweeps, plots
  python3-distributed                     # sweeps on Dask clusters (docs/sweeps.md)
  python3-pytest python3-nbclient python3-nbformat python3-ipykernel   # Python tests, headless notebooks
  clang-14 libclang-rt-14-dev clang-tidy-14  # fuzzing (libFuzzer, sanitizers), static analysis
  python3                                 # RV32 ISS decode-table generator (models/cpu/rv32/gen_isa.py)
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf   # RV32 test programs and kernels (cmake/riscv.cmake)
  qemu-system-misc                        # QEMU reference for the ISS differential test and bench iss
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "[install-deps] installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
