#!/usr/bin/env bash
# CI step for issue 11 (docs/reliability.md): fuzz every loader for a bounded time, replay
# the regression corpus under the sanitizers, and run the whole GoogleTest suite under
# ASan + UBSan.
#
#   scripts/ci-sanitize-fuzz.sh [--fuzz-seconds N] [--no-asan] [--no-fuzz] [--stats FILE]
#
# 1. builds the `fuzz` preset (clang 14, libFuzzer, ASan + UBSan) into build-fuzz/: the
#    fuzzers only (the `asan` preset shares that tree, so step 4 reuses every object);
# 2. runs each fuzzer for N seconds (default 60: all targets within ~10 minutes) on a copy of
#    its seed corpus (tests/fuzz/corpus/<target>/ plus, when ../shared/models exists, the
#    real checkpoint and tokenizer, referenced, never copied into the repository);
#    any crash, leak-free OOM, or timeout input is copied to tests/fuzz/regressions/<target>/
#    and the step fails;
# 3. replays tests/fuzz/regressions/ through the sanitized fuzzers (every file once);
# 4. builds the rest of the `asan` preset (the tests) and runs the whole suite under ASan +
#    UBSan (ctest --preset asan).
# Prints executions and executions/s per target (the numbers in docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs=60
asan=1
fuzz=1
stats=""
while (($#)); do
  case "$1" in
    --fuzz-seconds) secs=$2; shift 2 ;;
    --no-asan) asan=0; shift ;;
    --no-fuzz) fuzz=0; shift ;;
    --stats) stats=$2; shift 2 ;;
    *) echo "usage: $0 [--fuzz-seconds N] [--no-asan] [--no-fuzz] [--stats FILE]" >&2; exit 2 ;;
  esac
done
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# SystemC switches coroutine stacks, which LeakSanitizer and ASan's stack-use-after-return
# detection misread as leaks/bad frames: both off (docs/reliability.md, "Sanitizers").
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:detect_stack_use_after_return=0:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0

if ((fuzz)); then
  cmake --preset fuzz "${launcher[@]}" >/dev/null
  cmake --build --preset fuzz -j "${JOBS:-2}"
  work=$(mktemp -d /tmp/slmsim-fuzz.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  models="$root/../shared/models"
  declare -A corpus=([checkpoint]=checkpoint [tokenizer]=tokenizer [shape]=shape [slmq]=slmq [config]=config
                     [trace]=trace [report]=report [npu_commands]=npu [elf]=elf)
  printf '%-18s %12s %10s %8s\n' target executions exec/s result | tee "$work/stats.txt"
  for bin in build-fuzz/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    t=${bin##*/fuzz_}
    dir=${corpus[$t]:-$t}
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    [ -d "tests/fuzz/corpus/$dir" ] && cp -r "tests/fuzz/corpus/$dir/." "$work/$t/corpus/"
    if [ -d "$models" ]; then  # real files as extra seeds (referenced at run time only)
      [ "$t" = checkpoint ] && [ -f "$models/stories260K.bin" ] && ln -sf "$models/stories260K.bin" "$work/$t/corpus/stories260K.bin"
      [ "$t" = tokenizer ] && [ -f "$models/tok512.bin" ] && /usr/bin/python3 -c "import struct,sys; sys.stdout.buffer.write(struct.pack('<HB',512,13)+b'Once upon a t'+open('$models/tok512.bin','rb').read())" >"$work/$t/corpus/tok512-prefixed.bin"
    fi
    set +e
    "$bin" "$work/$t/corpus" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$work/$t/artifacts/" -print_final_stats=1 >"$work/$t/log" 2>&1
    rc=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$t/log" | grep -o '[0-9]*$' || echo 0)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/$t/log" | grep -o '[0-9]*$' || echo 0)
    found=$(find "$work/$t/artifacts" -type f | wc -l)
    result=ok
    if ((rc != 0 || found > 0)); then
      result="FAILED($found)"
      status=1
      mkdir -p "tests/fuzz/regressions/$dir"
      for a in "$work/$t/artifacts"/*; do [ -f "$a" ] && cp "$a" "tests/fuzz/regressions/$dir/"; done
      tail -40 "$work/$t/log" >&2
    fi
    printf '%-18s %12s %10s %8s\n' "$t" "$runs" "$rate" "$result" | tee -a "$work/stats.txt"
  done
  [ -n "$stats" ] && cp "$work/stats.txt" "$stats"
  # Regressions once each through the sanitized loader they belong to.
  for bin in build-fuzz/tests/fuzz/fuzz_*; do
    t=${bin##*/fuzz_}
    dir=${corpus[$t]:-$t}
    files=(tests/fuzz/regressions/"$dir"/*)
    [ -e "${files[0]}" ] || continue
    if ! "$bin" -runs=1 "${files[@]}" >"$work/replay-$t.log" 2>&1; then
      echo "regression replay failed for $t" >&2
      tail -40 "$work/replay-$t.log" >&2
      status=1
    fi
  done
fi

if ((asan)); then
  cmake --preset asan "${launcher[@]}" >/dev/null  # same tree as fuzz
  cmake --build --preset asan -j "${JOBS:-2}"
  ctest --preset asan || status=1
fi
exit $status
