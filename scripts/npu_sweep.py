#!/usr/bin/python3
"""Sweeps of the Ethos-U85-class NPU model (docs/npu.md, docs/calibration.md).

  scripts/npu_sweep.py [--slmsim build/slmsim] [--jobs 2] [--out docs/npu]

Writes three CSV files into --out, every row one `slmsim run --json` (the command is in the row):
  macs_bw.csv      configs/soc-ethos-u85.yaml, stories15M w8a16: every MAC configuration
                   (128..2048) x weight-memory (DRAM) bandwidth, for decode (tokens/s) and a
                   64-token prefill (prefill tokens/s)
  storage_bw.csv   configs/mcu-ethos-u85.yaml (the Arm demo): decode tokens/s vs the 32 MB
                   storage's bandwidth, the one demo parameter that is not published
  soc_systems.csv  the same model on Vela's Ethos-U85 system configurations (Flash_Low ... DRAM_High)
Then run scripts/plot_npu_sweep.py to draw the figures from them. The model is quantised once
(synthetic stories15M weights; stories15M.bin is not available here: timing depends on shapes).
Uses Debian's python3 (no third-party modules).
"""
import argparse
import concurrent.futures
import csv
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(slmsim, args):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [slmsim, "run", "--quiet", "--json", out] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + "\n" + p.stderr)
    with open(out) as f:
        rep = json.load(f)
    os.unlink(out)
    return " ".join(cmd[1:3] + args), rep


def row(cmd, rep, **extra):
    pre, dec = rep["prefill"], rep["decode"]
    r = dict(extra)
    r.update({
        "decode_tokens_per_s": dec["tokens_per_s"],
        "decode_cycles_per_token": dec["cycles_per_token"],
        "decode_uj_per_token": dec["uj_per_token"],
        "prefill_tokens": pre["tokens"],
        "prefill_s": pre["time_to_first_token_s"],
        "prefill_tokens_per_s": pre["tokens"] / pre["time_to_first_token_s"],
        "bottleneck": rep["bottleneck"]["resource"] if rep["bottleneck"] else "",
        "npu_utilisation": rep["utilisation"].get("soc.npu", 0.0),
        "bit_exact": rep["bit_exact"],
        "command": cmd,
    })
    return r


def write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print("wrote", path, len(rows), "rows")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--slmsim", default=os.path.join(ROOT, "build", "slmsim"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "npu"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    model = os.path.join(ROOT, "build", "sweep-stories15M-w8a16.slmq")
    if not os.path.exists(model):
        subprocess.run([a.slmsim, "quantize", "--model", "stories15M", "--precision", "w8a16", "--calib-sequences", "2",
                        "--calib-tokens", "64", "--out", model], check=True)
    soc = os.path.join(ROOT, "configs", "soc-ethos-u85.yaml")
    mcu = os.path.join(ROOT, "configs", "mcu-ethos-u85.yaml")
    jobs = []
    # 1. MACs x weight-memory bandwidth (GB/s), decode and a 64-token prefill, on the SoC.
    for macs in (128, 256, 512, 1024, 2048):
        for gbs in (0.2, 0.5, 1.0, 2.0, 4.0, 12.0, 24.0, 48.0):
            sets = ["--set", f"npu.variant=ethos-u85-{macs}", "--set", f"dram.clock_hz={gbs * 1e9 / 16:.0f}"]
            base = ["--config", soc, "--model", model] + sets
            jobs.append(("macs_bw", dict(macs=macs, weight_gb_s=gbs, phase="decode"), base + ["--steps", "5"]))
            jobs.append(("macs_bw", dict(macs=macs, weight_gb_s=gbs, phase="prefill"),
                         base + ["--prefill-tokens", "64", "--steps", "65"]))
    # 2. The demo: decode tokens/s vs the storage's bandwidth (MB/s = 16 B x clock).
    for mbs in (50, 75, 100, 125, 150, 200, 300, 400, 800):
        jobs.append(("storage_bw", dict(storage_mb_s=mbs),
                     ["--config", mcu, "--model", model, "--steps", "5", "--set", f"storage.clock_hz={mbs * 1e6 / 16:.0f}"]))
    # 3. Vela's U85 system configurations (anchors B2): core clock, SRAM latency, weight memory.
    systems = {
        # name: (core Hz, sram latency, weight memory GB/s, its read latency in core cycles, reads in flight)
        "Flash_Low": (200e6, 8, 0.2, 32, 2),
        "Flash_High": (500e6, 32, 0.5, 64, 2),
        "DRAM_Low": (500e6, 16, 3.75, 500, 24),
        "DRAM_Mid": (1e9, 32, 12.0, 500, 64),
        "DRAM_High": (1e9, 32, 24.0, 500, 64),
    }
    for name, (hz, sram_lat, gbs, lat, reads) in systems.items():
        dram_hz = gbs * 1e9 / 16
        sets = [f"npu.clock_hz={hz:.0f}", f"sram.clock_hz={hz:.0f}", f"bus.clock_hz={hz:.0f}", f"sram.read_latency_cycles={sram_lat}",
                f"sram.write_latency_cycles={sram_lat}", f"dram.clock_hz={dram_hz:.0f}",
                f"dram.read_latency_cycles={max(1, round(lat / hz * dram_hz))}", f"dram.max_outstanding={reads}",
                f"npu.max_outstanding_ext={reads}"]
        args = ["--config", soc, "--model", model, "--steps", "5"]
        for s in sets:
            args += ["--set", s]
        jobs.append(("soc_systems", dict(system=name, core_hz=hz, weight_gb_s=gbs), args))
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = {ex.submit(run, a.slmsim, args): (table, extra) for table, extra, args in jobs}
        for i, fut in enumerate(concurrent.futures.as_completed(futs)):
            table, extra = futs[fut]
            cmd, rep = fut.result()
            results.setdefault(table, []).append(row(cmd, rep, **extra))
            print(f"[{i + 1}/{len(jobs)}] {table} {extra}", file=sys.stderr)
    keys = {"macs_bw": lambda r: (r["phase"], r["macs"], r["weight_gb_s"]), "storage_bw": lambda r: r["storage_mb_s"],
            "soc_systems": lambda r: list(systems).index(r["system"])}
    for table, rows in results.items():
        write(os.path.join(a.out, table + ".csv"), sorted(rows, key=keys[table]))


if __name__ == "__main__":
    main()
