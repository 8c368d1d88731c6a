#!/usr/bin/python3
"""Draws the cluster figures of docs/siracusa.md from the CSV scripts/siracusa_sweep.py wrote.

  scripts/plot_siracusa_sweep.py [--dir docs/siracusa] [--tables]

Needs Debian's python3-matplotlib (use /usr/bin/python3). Writes into --dir:
  cores.png   cycles of microLlama's 7 projections vs worker cores (1..8), decode (1 token) and
              prefill (64 tokens), tiled through L1 and untiled from L2
  l1.png      the same on 8 cores, tiled, vs the kernel's L1 budget
With --tables it prints the Markdown tables docs/siracusa.md quotes.
"""
import argparse
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=os.path.join(ROOT, "docs", "siracusa"))
    ap.add_argument("--tables", action="store_true")
    a = ap.parse_args()
    with open(os.path.join(a.dir, "cluster_sweep.csv")) as f:
        rows = list(csv.DictReader(f))

    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.0))
    for ax, phase in zip(axes, ["decode", "prefill"]):
        for variant, style in [("tiled", "o-"), ("untiled", "s--"), ("neureka", "^-"), ("neureka-l1", "v:")]:
            pts = [(int(r["cores"]), int(r["cycles"])) for r in rows
                   if r["sweep"] == "cores" and r["phase"] == phase and r["variant"] == variant]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=variant)
        tokens = next(r["tokens"] for r in rows if r["phase"] == phase)
        ax.set_title(f"{phase} ({tokens} token{'s' if tokens != '1' else ''})")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks([1, 2, 4, 8], ["1", "2", "4", "8"])
        ax.set_xlabel("worker cores")
        ax.set_ylabel("cycles, 7 projections of one layer")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("microLlama projections on the simulated cluster: cores vs N-EUREKA (lockstep, bit-exact)")
    fig.tight_layout()
    fig.savefig(os.path.join(a.dir, "cores.png"), dpi=110)

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for phase, style in [("decode", "o-"), ("prefill", "s--")]:
        pts = [(int(r["l1_budget_bytes"]), int(r["cycles"])) for r in rows
               if r["sweep"] == "l1" and r["phase"] == phase and r["cycles"]]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=phase)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("L1 budget of the tiled kernel (bytes)")
    ax.set_ylabel("cycles, 7 projections of one layer")
    ax.set_title("8 cores, tiled: L1 budget (prefill needs >= 32000 B here)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(a.dir, "l1.png"), dpi=110)

    if a.tables:
        print("| phase | variant | 1 core | 2 cores | 4 cores | 8 cores | speed-up 1 -> 8 |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for phase in ["decode", "prefill"]:
            for variant in ["tiled", "untiled", "neureka", "neureka-l1"]:
                c = {int(r["cores"]): int(r["cycles"]) for r in rows
                     if r["sweep"] == "cores" and r["phase"] == phase and r["variant"] == variant}
                print(f"| {phase} | {variant} | " + " | ".join(f"{c[n]:,}" for n in [1, 2, 4, 8]) +
                      f" | {c[1] / c[8]:.2f}x |")
        print()
        print("| L1 budget (bytes) | decode cycles | prefill cycles |")
        print("|---:|---:|---:|")
        budgets = sorted({int(r["l1_budget_bytes"]) for r in rows if r["sweep"] == "l1"})
        for b in budgets:
            cell = {r["phase"]: (f"{int(r['cycles']):,}" if r["cycles"] else "does not fit") for r in rows
                    if r["sweep"] == "l1" and int(r["l1_budget_bytes"]) == b}
            print(f"| {b:,} | {cell.get('decode', '')} | {cell.get('prefill', '')} |")


if __name__ == "__main__":
    main()
