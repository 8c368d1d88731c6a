#!/usr/bin/env bash
# Build the rv32{ui,um,uc,mi} "p" (physical memory, machine-mode env) binaries of the official
# riscv-tests suite (https://github.com/riscv-software-src/riscv-tests) with Debian's bare-metal
# cross-compiler, for the ISS runner test (tests/models/rv32/iss_riscv_tests_test.cpp):
#
#   scripts/build-riscv-tests.sh /path/to/riscv-tests [OUT_DIR]
#   RISCV_TESTS_DIR=OUT_DIR ctest --test-dir build -R Rv32RiscvTests --output-on-failure
#
# The checkout must contain isa/<group>/*.S, isa/macros/scalar/test_macros.h and the env
# submodule (env/encoding.h, env/p/riscv_test.h, env/p/link.ld). OUT_DIR defaults to
# <checkout>/isa; binaries are named <group>-p-<test> as the suite's isa/Makefile names them.
# The flags follow that Makefile (-static -mcmodel=medany -fvisibility=hidden -nostdlib
# -nostartfiles -T env/p/link.ld); rv32ui/um/mi are built without C (the Makefile uses rv32g),
# rv32uc with it. Nothing of riscv-tests is part of this repository.
set -euo pipefail
if [[ $# -lt 1 || ! -d "$1/isa" || ! -f "$1/env/p/riscv_test.h" ]]; then
  echo "usage: $0 RISCV_TESTS_CHECKOUT [OUT_DIR]  (checkout needs isa/ and env/p/riscv_test.h)" >&2
  exit 2
fi
SRC=$(cd "$1" && pwd)
OUT=${2:-$SRC/isa}
mkdir -p "$OUT" "$OUT/build-logs"
CC=${RISCV_GCC:-riscv64-unknown-elf-gcc}
OPTS=(-mabi=ilp32 -static -mcmodel=medany -fvisibility=hidden -nostdlib -nostartfiles
      -I"$SRC/env/p" -I"$SRC/isa/macros/scalar" -T"$SRC/env/p/link.ld")
built=0 failed=0
for group in rv32ui rv32um rv32uc rv32mi; do
  [[ -d "$SRC/isa/$group" ]] || continue
  march=rv32im_zicsr_zifencei
  [[ $group == rv32uc ]] && march=rv32imc_zicsr_zifencei
  for s in "$SRC/isa/$group"/*.S; do
    [[ -e "$s" ]] || continue
    name=$group-p-$(basename "$s" .S)
    if "$CC" -march=$march "${OPTS[@]}" "$s" -o "$OUT/$name" 2> "$OUT/build-logs/$name.log"; then
      rm -f "$OUT/build-logs/$name.log"; built=$((built + 1))
    else
      echo "FAILED to build $name (see $OUT/build-logs/$name.log)" >&2; failed=$((failed + 1))
    fi
  done
done
echo "built $built binaries into $OUT ($failed failed to build)"
