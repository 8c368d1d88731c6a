#!/usr/bin/env bash
# Runs clang-tidy (configuration: .clang-tidy) on slmsim's own sources: every .cpp under
# workloads/, models/, sim/ and tests/ (the headers they include are checked with them).
# Usage: scripts/clang-tidy.sh [--analyzer] [BUILD_DIR] [FILE...]   (default build/, every file)
# --analyzer adds the clang static analyzer's core and C++ checks (about 5x slower).
# Needs compile_commands.json in BUILD_DIR (CMAKE_EXPORT_COMPILE_COMMANDS is on). Exits
# non-zero when clang-tidy reports anything.
set -euo pipefail
cd "$(dirname "$0")/.."
checks=()
if [ "${1:-}" = "--analyzer" ]; then
  checks=(--checks='clang-analyzer-core.*,clang-analyzer-cplusplus.*,clang-analyzer-unix.*')
  shift
fi
build=${1:-build}
shift || true
tidy=$(command -v clang-tidy-14 || command -v clang-tidy)
[ -f "$build/compile_commands.json" ] || { echo "clang-tidy.sh: no $build/compile_commands.json (configure first)" >&2; exit 2; }
if (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'workloads/*.cpp' 'models/*.cpp' 'sim/*.cpp' 'tests/*.cpp' | grep -v '^tests/fuzz/fuzz_')
fi
# gcc-only flags in the compile database that clang does not know.
extra=(--extra-arg=-Wno-unknown-warning-option --extra-arg=-Wno-unused-command-line-argument)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
printf '%s\n' "${files[@]}" | xargs -P "${JOBS:-2}" -n 4 "$tidy" -p "$build" --quiet "${checks[@]}" "${extra[@]}" >"$log" 2>&1 || true
if grep -E "(warning|error):" "$log" | grep -v "warnings generated" >/dev/null; then
  grep -E -A3 "(warning|error):" "$log" | head -200
  echo "clang-tidy.sh: findings above (${#files[@]} files checked)" >&2
  exit 1
fi
echo "clang-tidy.sh: clean (${#files[@]} files)"
