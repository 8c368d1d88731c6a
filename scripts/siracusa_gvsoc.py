#!/usr/bin/python3
"""GVSoC comparison of the RISC-V cluster engine (docs/siracusa.md, anchors C4).

Runs `slmsim run --config configs/mcu-siracusa.yaml --model microllama` on the cluster engine
for the four cycle counts the Deeploy tutorial publishes for GVSoC, writes every run's per-op
CSV and JSON report to OUT (default build/siracusa_gvsoc), and prints one table per run: the
cycles of the compared step by op kind, with the launch, DMA-wait, barrier-wait, bank-stall
and L2 cycles inside them, and the ratio to GVSoC's total. Nothing is fitted: the runs use the
shipped configuration with only cores / gemm / l1_budget_bytes set as the case says.

  microLlama128 AR step untiled from L2, 1 core    GVSoC ~16.1 M cycles
  microLlama128 AR step untiled from L2, 8 cores   GVSoC ~3.1 M
  microLlama64 prefill (64 tokens), tiled, L1 8000 B    GVSoC ~47.5 M
  microLlama64 prefill (64 tokens), tiled, L1 64000 B   GVSoC ~35.3 M
  (context) microLlama64 AR step, tiled, L1 64000 B, cores only: GVSoC's 857 k with N-EUREKA x 1.04
  microLlama64 AR step, 8 cores + N-EUREKA                GVSoC ~857 k
  microLlama64 prefill, 8 cores + N-EUREKA, L1 64000 B    GVSoC ~28.6 M

The AR step with 128 cached tokens is the decode step at position 128 of a run with a
1-token prefill and 128 decode steps (the KV cache filled by the cluster itself).

usage: scripts/siracusa_gvsoc.py [--slmsim build/slmsim] [--out build/siracusa_gvsoc] [--summary FILE] [--only NAME] [--tables-only] [--cluster-config FILE]

The totals go to docs/siracusa/gvsoc_summary.json (tests/regression/siracusa_gvsoc_test.cpp
checks that the model still gives the recorded prefill cycles).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time

CASES = [
    # name, GVSoC cycles (anchors C4), phase compared, slmsim run arguments
    ("ar128_untiled_1core", 16.1e6, ("decode", 128),
     ["--prefill-tokens", "1", "--steps", "129", "--set", "cores.cores=1", "--set", "cores.gemm=untiled"]),
    ("ar128_untiled_8cores", 3.1e6, ("decode", 128),
     ["--prefill-tokens", "1", "--steps", "129", "--set", "cores.cores=8", "--set", "cores.gemm=untiled"]),
    ("prefill64_tiled_l1_8000", 47.5e6, ("prefill", 0),
     ["--prefill-tokens", "64", "--steps", "64", "--set", "cores.cores=8", "--set", "cores.gemm=tiled",
      "--set", "cores.l1_budget_bytes=8000"]),
    ("prefill64_tiled_l1_64000", 35.3e6, ("prefill", 0),
     ["--prefill-tokens", "64", "--steps", "64", "--set", "cores.cores=8", "--set", "cores.gemm=tiled",
      "--set", "cores.l1_budget_bytes=64000"]),
    # Context, not a published cores-only figure: GVSoC's microLlama64 AR step is 857 k cycles with
    # N-EUREKA, a 1.04x speed-up over cores only (anchors C4), so cores only ~ 857 k x 1.04 [E].
    ("ar64_tiled_l1_64000", 857e3 * 1.04, ("decode", 64),
     ["--prefill-tokens", "1", "--steps", "65", "--set", "cores.cores=8", "--set", "cores.gemm=tiled",
      "--set", "cores.l1_budget_bytes=64000"]),
    # With N-EUREKA (gemm: neureka, weights in the weight memory): the microLlama64 AR step
    # (GVSoC 857 k cycles) and the 64-token prefill (GVSoC 28.6 M, L1 64000 B).
    ("ar64_neureka_8cores", 857e3, ("decode", 64),
     ["--prefill-tokens", "1", "--steps", "65", "--set", "cores.cores=8", "--set", "cores.gemm=neureka"]),
    ("prefill64_neureka_l1_64000", 28.6e6, ("prefill", 0),
     ["--prefill-tokens", "64", "--steps", "64", "--set", "cores.cores=8", "--set", "cores.gemm=neureka",
      "--set", "cores.l1_budget_bytes=64000"]),
]

GROUPS = [("GEMM", {"matmul"}), ("RMSNorm", {"rmsnorm"}), ("softmax", {"softmax"}),
          ("attention (scores + values)", {"attn_scores", "attn_values"}), ("RoPE", {"rope"}),
          ("SiLU (LUT)", {"silu"}), ("SwiGLU MUL", {"mul"}), ("residual add", {"add"}), ("KV write (copy)", {"kv_write"})]


def run(slmsim, root, out, name, args):
    csv_path = os.path.join(out, name + ".csv")
    json_path = os.path.join(out, name + ".json")
    cmd = [slmsim, "run", "--config", os.path.join(root, "configs/mcu-siracusa.yaml"), "--model", "microllama",
           "--quiet", "--csv", csv_path, "--json", json_path] + args
    t0 = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.time() - t0


def table(out, name, gvsoc, phase):
    rows = [r for r in csv.DictReader(open(os.path.join(out, name + ".csv")))
            if r["phase"] == phase[0] and int(r["pos"]) == phase[1]]
    if not rows:
        sys.exit(f"{name}: no ops of the {phase[0]} step at position {phase[1]} in the CSV")
    cores = int(rows[0]["cores"])
    total = sum(int(r["cluster_cycles"]) for r in rows)
    lines = [f"### {name}: {total:,} cycles ({total / 1e6:.2f} M), GVSoC {gvsoc / 1e6:.1f} M, "
             f"model / GVSoC = {total / gvsoc:.2f}",
             "",
             "| op kind | ops | cycles | share | instructions | launch | DMA wait / core | barrier wait / core | bank stalls / core | L2 extra / core | I-cache stall / core |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    summary = {"case": name, "gvsoc_cycles": gvsoc, "cycles": total, "ratio": total / gvsoc, "groups": {}}
    for label, kinds in GROUPS:
        g = [r for r in rows if r["kind"] in kinds]
        if not g:
            continue
        s = lambda k: sum(int(r.get(k) or 0) for r in g)
        c = s("cluster_cycles")
        summary["groups"][label] = {"ops": len(g), "cycles": c}
        lines.append(f"| {label} | {len(g)} | {c:,} | {100 * c / total:.1f} % | {s('instructions'):,} | {s('launch_cycles'):,} | "
                     f"{s('dma_wait_cycles') // cores:,} | {s('barrier_wait_cycles') // cores:,} | "
                     f"{s('bank_stall_cycles') // cores:,} | {s('l2_extra_cycles') // cores:,} | "
                     f"{s('icache_stall_cycles') // cores:,} |")
    s = lambda k: sum(int(r.get(k) or 0) for r in rows)
    lines.append(f"| **all** | {len(rows)} | **{total:,}** | 100 % | {s('instructions'):,} | {s('launch_cycles'):,} | "
                 f"{s('dma_wait_cycles') // cores:,} | {s('barrier_wait_cycles') // cores:,} | "
                 f"{s('bank_stall_cycles') // cores:,} | {s('l2_extra_cycles') // cores:,} | "
                 f"{s('icache_stall_cycles') // cores:,} |")
    for k in ("launch_cycles", "dma_wait_cycles", "barrier_wait_cycles", "bank_stall_cycles", "l2_extra_cycles",
              "icache_stall_cycles", "instructions"):
        summary[k] = s(k) if k in ("launch_cycles", "instructions") else s(k) // cores
    return "\n".join(lines), summary


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--slmsim", default=os.path.join(root, "build/slmsim"))
    ap.add_argument("--out", default=os.path.join(root, "build/siracusa_gvsoc"))
    ap.add_argument("--summary", default=os.path.join(root, "docs/siracusa/gvsoc_summary.json"),
                    help="where the per-case totals and groups go (written when every case is tabled)")
    ap.add_argument("--only", help="run one case (by name)")
    ap.add_argument("--tables-only", action="store_true", help="read the CSVs of an earlier run")
    ap.add_argument("--cluster-config", help="another cluster config (e.g. an icache variant) for every case "
                    "(--set cores.cluster_config=FILE); with it, write the summary elsewhere (--summary)")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    summaries = []
    for name, gvsoc, phase, args in CASES:
        if a.only and a.only != name:
            continue
        if not a.tables_only:
            extra = ["--set", "cores.cluster_config=" + os.path.abspath(a.cluster_config)] if a.cluster_config else []
            wall = run(a.slmsim, root, a.out, name, args + extra)
            print(f"[{name}: {wall:.0f} s of wall time]", file=sys.stderr)
        text, summ = table(a.out, name, gvsoc, phase)
        summaries.append(summ)
        print(text + "\n")
    if not a.only:
        with open(a.summary, "w") as f:
            json.dump(summaries, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
