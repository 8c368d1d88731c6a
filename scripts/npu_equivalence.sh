#!/usr/bin/env bash
# Simulated results of the NPU model must not change when the simulator gets faster: this
# runs a fixed set of NPU cases (the README demo, stories15M w8a16 decode, prefill in dynamic
# shape mode, w8a8 on another MAC count, the SoC config, a fault; and two platforms without the
# NPU that share its memories, bus and DMA) and writes each one's JSON
# report, per-op CSV, timeline and printed summary (wall-time line removed) into OUT_DIR.
#   scripts/npu_equivalence.sh BUILD_DIR OUT_DIR            record
#   scripts/npu_equivalence.sh BUILD_DIR OUT_DIR REF_DIR    record, then diff against REF_DIR
# Exit status: 0 identical, 1 a difference (printed), 2 bad usage. Run from the repository root
# (the demo's ${MODELS} is ../shared/models).
set -u
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR [REF_DIR]" >&2
  exit 2
fi
bin="$1/slmsim"
out="$2"
ref="${3:-}"
[ -x "$bin" ] || { echo "$0: $bin is not an executable" >&2; exit 2; }
mkdir -p "$out"

run_case() {  # name, then slmsim run arguments
  local name="$1"
  shift
  "$bin" run --quiet --json "$out/$name.json" --csv "$out/$name.csv" --timeline "$out/$name.timeline.json" "$@" \
    2>&1 | grep -v 'of wall time' > "$out/$name.txt"
}

run_case demo
run_case s15-decode --model stories15M --precision w8a16 --steps 5
run_case s260-prefill-dyn --model stories260K --prefill-tokens 9 --steps 14 --set engine.shape_mode=dynamic
run_case s260-w8a8-u85-128 --model stories260K --precision w8a8 --steps 10 --set npu.variant=ethos-u85-128
run_case soc-s260 --config configs/soc-ethos-u85.yaml --model stories260K --prefill-tokens 4 --steps 12
run_case s260-fault --model stories260K --steps 6 --fault storage:0x40:3
# The generic engine and the cluster share the memories, bus and DMA.
run_case phone-generic --config configs/phone-lpddr5x.yaml --model stories260K --steps 8
run_case siracusa --config configs/mcu-siracusa-generic.yaml --model stories260K --steps 8

[ -z "$ref" ] && exit 0
status=0
for f in "$ref"/*; do
  b=$(basename "$f")
  if ! cmp -s "$f" "$out/$b"; then
    echo "DIFFERS: $b"
    diff "$f" "$out/$b" | head -5
    status=1
  fi
done
[ $status -eq 0 ] && echo "identical: $(ls "$ref" | wc -l) files"
exit $status
