#!/usr/bin/python3
"""Draws the NPU sweep figures of docs/npu.md from the CSV files scripts/npu_sweep.py wrote.

  scripts/plot_npu_sweep.py [--dir docs/npu]

Needs Debian's python3-matplotlib (use /usr/bin/python3). Writes into --dir:
  decode_macs_bw.png    decode tokens/s vs weight-memory bandwidth, one line per MAC configuration
  prefill_macs_bw.png   64-token prefill tokens/s vs weight-memory bandwidth
  storage_bw.png        the Arm demo's decode tokens/s vs its storage bandwidth, with the published band
With --tables it also prints the Markdown tables docs/npu.md and docs/calibration.md quote.
"""
import argparse
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def macs_bw(rows, phase, key, ylabel, out):
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for macs in sorted({int(r["macs"]) for r in rows}):
        pts = sorted((float(r["weight_gb_s"]), float(r[key])) for r in rows if r["phase"] == phase and int(r["macs"]) == macs)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"ethos-u85-{macs}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("weight memory bandwidth (GB/s)")
    ax.set_ylabel(ylabel)
    ax.set_title(f"stories15M w8a16, U85 at 1 GHz, {phase}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print("wrote", out)


def storage(rows, out):
    pts = sorted((float(r["storage_mb_s"]), float(r["decode_tokens_per_s"])) for r in rows)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label="model (fixed shape, 256 positions)")
    ax.axhspan(7.5, 8.0, color="tab:orange", alpha=0.3, label="published 7.5-8 tokens/s")
    ax.axvline(200, color="grey", ls="--", label="Vela Flash_Low 0.2 GB/s (shipped default)")
    ax.set_xlabel("storage bandwidth (MB/s)")
    ax.set_ylabel("decode tokens/s")
    ax.set_title("Arm TinyLlama demo: U85-512 at 32 MHz, stories15M w8a16")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print("wrote", out)


def tables(macs_rows, storage_rows, soc_rows):
    bws = sorted({float(r["weight_gb_s"]) for r in macs_rows})
    for phase, key, title, fmt in (("decode", "decode_tokens_per_s", "decode tokens/s", "{:.1f}"),
                                   ("prefill", "prefill_tokens_per_s", "64-token prefill tokens/s", "{:.0f}")):
        print(f"| {title} | " + " | ".join(f"{b:g} GB/s" for b in bws) + " |")
        print("|---|" + "---|" * len(bws))
        for macs in sorted({int(r["macs"]) for r in macs_rows}):
            cells = []
            for b in bws:
                r = [x for x in macs_rows if x["phase"] == phase and int(x["macs"]) == macs and float(x["weight_gb_s"]) == b]
                if not r:
                    cells.append("-")
                    continue
                v = fmt.format(float(r[0][key]))
                cells.append(v + (" (npu)" if r[0]["bottleneck"].endswith("npu") else ""))
            print(f"| ethos-u85-{macs} | " + " | ".join(cells) + " |")
        print()
    pts = sorted((float(r["storage_mb_s"]), float(r["decode_tokens_per_s"])) for r in storage_rows)
    print("| storage MB/s | " + " | ".join(f"{p[0]:g}" for p in pts) + " |")
    print("|---|" + "---|" * len(pts))
    print("| decode tokens/s | " + " | ".join(f"{p[1]:.2f}" for p in pts) + " |")
    print()
    print("| Vela system config | decode tokens/s |")
    print("|---|---|")
    for r in soc_rows:
        print(f"| {r['system']} | {float(r['decode_tokens_per_s']):.1f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=os.path.join(ROOT, "docs", "npu"))
    ap.add_argument("--tables", action="store_true", help="also print the Markdown tables the docs quote")
    a = ap.parse_args()
    rows = read(os.path.join(a.dir, "macs_bw.csv"))
    macs_bw(rows, "decode", "decode_tokens_per_s", "decode tokens/s", os.path.join(a.dir, "decode_macs_bw.png"))
    macs_bw(rows, "prefill", "prefill_tokens_per_s", "prefill tokens/s (64 tokens)", os.path.join(a.dir, "prefill_macs_bw.png"))
    storage(read(os.path.join(a.dir, "storage_bw.csv")), os.path.join(a.dir, "storage_bw.png"))
    if a.tables:
        tables(rows, read(os.path.join(a.dir, "storage_bw.csv")), read(os.path.join(a.dir, "soc_systems.csv")))


if __name__ == "__main__":
    main()
