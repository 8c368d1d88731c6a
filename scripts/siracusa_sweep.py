#!/usr/bin/python3
"""Sweep of the Siracusa-class cluster model (docs/siracusa.md): microLlama's projections on
the simulated cluster, every row one `slmsim cluster --json` run (the command is in the row).

  scripts/siracusa_sweep.py [--slmsim build/slmsim] [--out docs/siracusa]

Writes cluster_sweep.csv into --out:
  cores       1, 2, 4, 8 worker cores x variant (tiled through L1 with double-buffered DMA,
              untiled from L2; neureka: one N-EUREKA job per projection with the weights in the
              weight memory, neureka-l1: weights moved into L1 first; core 0 drives the engine)
              x phase (decode: 1 token; prefill: 64 tokens), the default L1 budget
  l1          8 cores, tiled, decode and prefill, L1 budgets 4000 .. 243712 bytes (Deeploy's
              tutorial runs use 8000 and 64000); a budget too small for the kernel's buffers
              gives a row without cycles
Cycles are the simulator's (lockstep, exact); every run is checked bit-exact against the golden
kernels and the sweep stops if one is not.
Then scripts/plot_siracusa_sweep.py draws the figures. Uses Debian's python3 only.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIELDS = ["sweep", "phase", "tokens", "cores", "variant", "l1_budget_bytes", "cycles", "instructions",
          "bank_stall_cycles", "barrier_wait_cycles", "dma_wait_cycles", "neureka_busy_cycles", "tiles", "bit_exact",
          "command"]


def run(slmsim, args):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [slmsim, "cluster", "--json", out] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + f"\nexit {p.returncode}\n" + p.stderr)
    with open(out) as f:
        rep = json.load(f)
    os.unlink(out)
    return "slmsim cluster " + " ".join(args), rep


def row(sweep, phase, tokens, command, rep):
    per_core = [c for s in rep["shapes"] for c in s["cores"]]
    return {
        "sweep": sweep, "phase": phase, "tokens": tokens, "cores": rep["cores"], "variant": rep["variant"],
        "l1_budget_bytes": rep["l1_budget_bytes"], "cycles": rep["total"]["cycles"],
        "instructions": rep["total"]["instructions"],
        "bank_stall_cycles": sum(c["bank_stall_cycles"] for c in per_core),
        "barrier_wait_cycles": sum(c["barrier_wait_cycles"] for c in per_core),
        "dma_wait_cycles": sum(c["dma_wait_cycles"] for c in per_core),
        "neureka_busy_cycles": sum(s["neureka"]["busy_cycles"] for s in rep["shapes"]),
        "tiles": sum(s["tiles"] for s in rep["shapes"]), "bit_exact": rep["bit_exact"], "command": command,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slmsim", default=os.path.join(ROOT, "build", "slmsim"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "siracusa"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    phases = [("decode", 1), ("prefill", 64)]
    jobs = []
    for phase, tokens in phases:
        for variant in ["tiled", "untiled", "neureka", "neureka-l1"]:
            for cores in [1, 2, 4, 8]:
                jobs.append(("cores", phase, tokens, ["--cores", str(cores), "--variant", variant, "--tokens", str(tokens)]))
        for budget in [4000, 8000, 16000, 32000, 64000, 243712]:
            jobs.append(("l1", phase, tokens, ["--cores", "8", "--variant", "tiled", "--tokens", str(tokens),
                                               "--l1-budget", str(budget)]))
    rows = []
    for i, (sweep, phase, tokens, args) in enumerate(jobs, 1):
        try:
            command, rep = run(a.slmsim, args)
        except RuntimeError as e:
            if "cannot hold" not in str(e):
                raise
            # The kernel refuses a budget too small for its buffers: a row without cycles.
            rows.append({"sweep": sweep, "phase": phase, "tokens": tokens, "cores": 8, "variant": "tiled",
                         "l1_budget_bytes": args[-1], "command": "slmsim cluster " + " ".join(args)})
            print(f"[{i}/{len(jobs)}] {rows[-1]['command']}: does not fit", file=sys.stderr)
            continue
        if not rep["bit_exact"]:
            sys.exit(f"not bit-exact: {command}")
        rows.append(row(sweep, phase, tokens, command, rep))
        print(f"[{i}/{len(jobs)}] {command}: {rows[-1]['cycles']} cycles", file=sys.stderr)
    path = os.path.join(a.out, "cluster_sweep.csv")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {path} ({len(rows)} runs)")


if __name__ == "__main__":
    main()
