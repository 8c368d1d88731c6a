#!/usr/bin/python3
"""Sweep benchmark (issue 10): 100 points of stories15M decode, 8 steps each, over the
Ethos-U85 family on configs/mcu-ethos-u85.yaml, locally and on a Dask LocalCluster.

    PYTHONPATH=build/python /usr/bin/python3 python/bench/bench_sweep.py [--jobs 2] [--points 100]
        [--mode data|no-verify] [--no-dask] [--dir /tmp/slmsim-bench]

Points: 5 variants (128..2048 MACs) x 5 storage clocks (12.5..200 MHz, 0.2..3.2 GB/s) x 4 NPU
clocks (32..200 MHz). The model is quantised once (a .slmq of synthetic stories15M weights,
as scripts/npu_sweep.py does; timing depends on shapes only) and every point loads it. Not part
of the test suite; prints points/s, wall time, and the CPU time the workers used (so that a
measurement on a loaded machine can be told apart from the simulator's own cost).
"""
import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time

import slmsim
from slmsim import _build_paths

VARIANTS = ["ethos-u85-128", "ethos-u85-256", "ethos-u85-512", "ethos-u85-1024", "ethos-u85-2048"]
STORAGE = ["12.5 MHz", "25 MHz", "50 MHz", "100 MHz", "200 MHz"]
NPU_CLOCK = ["32 MHz", "64 MHz", "100 MHz", "200 MHz"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--mode", choices=["data", "no-verify"], default="data")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--no-local", action="store_true")
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "slmsim-bench-sweep"))
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    model = os.path.join(a.dir, "stories15M-w8a16.slmq")
    if not os.path.exists(model):
        t0 = time.monotonic()
        subprocess.run([os.path.join(_build_paths.binary_dir, "slmsim"), "quantize", "--model", "stories15M", "--precision",
                        "w8a16", "--calib-sequences", "2", "--calib-tokens", "64", "--out", model], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"quantised stories15M once in {time.monotonic() - t0:.1f} s: {model}")
    points = [{"npu.variant": v, "storage.clock_hz": s, "npu.clock_hz": c}
              for v, s, c in itertools.product(VARIANTS, STORAGE, NPU_CLOCK)][: a.points]
    opts = dict(model=model, precision="w8a16", steps=a.steps)
    if a.mode == "no-verify":
        opts["verify"] = False
    base = slmsim.Config("mcu-ethos-u85")
    print(f"{len(points)} points, stories15M w8a16 decode, {a.steps} steps each, mode {a.mode}, {a.jobs} workers")
    if not a.no_local:
        db = os.path.join(a.dir, f"local-{a.mode}.db")
        if os.path.exists(db):
            os.unlink(db)
        t0, c0 = time.monotonic(), os.times()
        df = slmsim.sweep(base, points=points, db=db, jobs=a.jobs, **opts)
        el, c1 = time.monotonic() - t0, os.times()
        cpu = (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system)
        ok = int((df["status"] == "ok").sum())
        print(f"local: {len(df)} points ({ok} ok) in {el:.1f} s = {len(df) / el:.2f} points/s; "
              f"workers' CPU time {cpu:.1f} s ({cpu / len(df):.2f} s per point); load average {os.getloadavg()[0]:.1f}")
    if not a.no_dask:
        import distributed
        db = os.path.join(a.dir, f"dask-{a.mode}.db")
        if os.path.exists(db):
            os.unlink(db)
        with distributed.LocalCluster(n_workers=a.jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=40) as cluster, distributed.Client(cluster) as client:
            t0 = time.monotonic()
            df = slmsim.sweep(base, points=points, db=db, client=client, **opts)
            el = time.monotonic() - t0
        ok = int((df["status"] == "ok").sum())
        print(f"dask LocalCluster: {len(df)} points ({ok} ok) in {el:.1f} s = {len(df) / el:.2f} points/s "
              f"(cluster start-up not included); load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
