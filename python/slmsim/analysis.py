"""Tables and figures of merit from sweeps and reports: results(), pareto_front(), roofline()."""
from __future__ import annotations

import json
import os
import sqlite3
from typing import Sequence

from . import _slmsim as _ext


def results(db: str, components: bool = True):
    """Every point of a sweep database as a pandas DataFrame, in point order.

    One row per point with the `points` columns (docs/sweeps.md), `params` parsed into one
    column per axis key (prefixed `p.`), and with components=True one column per component
    `energy_uj.<component>` (whole-run energy) from the `component_energy` table.
    """
    import pandas as pd
    if not os.path.exists(db):
        raise _ext.Error(f"{db}: no such sweep database")
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        df = pd.read_sql_query("SELECT * FROM points ORDER BY sweep_id, idx", con)
        comp = pd.read_sql_query("SELECT point_id, component, energy_uj FROM component_energy", con) if components else None
    finally:
        con.close()
    if len(df):
        params = pd.DataFrame([json.loads(p) for p in df["params"]]).add_prefix("p.")
        df = pd.concat([df, params], axis=1)
        df["bit_exact"] = df["bit_exact"].map(lambda v: None if pd.isna(v) else bool(v))
    if comp is not None and len(comp):
        wide = comp.pivot(index="point_id", columns="component", values="energy_uj").add_prefix("energy_uj.")
        df = df.merge(wide, left_on="point_id", right_index=True, how="left")
    return df


def pareto_front(df, maximize: Sequence[str] = ("tokens_per_s",), minimize: Sequence[str] = ("uj_per_token", "mac_count")):
    """The non-dominated rows of `df` (default: most tokens/s, fewest µJ/token, fewest MACs,
    the MAC count standing in for area). Rows with a missing objective or status != 'ok'
    are left out. Returns the front sorted by the first objective, with `pareto` = True."""
    import numpy as np
    d = df
    if "status" in d:
        d = d[d["status"] == "ok"]
    cols = list(maximize) + list(minimize)
    d = d.dropna(subset=cols)
    if d.empty:
        return d.assign(pareto=[])
    v = np.column_stack([d[c].to_numpy(float) * (-1.0 if c in maximize else 1.0) for c in cols])  # all minimised
    keep = np.ones(len(v), dtype=bool)
    for i in range(len(v)):
        dominated = np.all(v <= v[i], axis=1) & np.any(v < v[i], axis=1)
        keep[i] = not dominated.any()
    front = d[keep].assign(pareto=True)
    return front.sort_values(cols[0], ascending=cols[0] not in maximize).reset_index(drop=True)


def _peaks(report) -> tuple[float, float, str, str]:
    """Peak ops/s (2 x MACs x clock) of the compute engine and peak bytes/s of the weight
    memory (width x ports x clock) from the report's resolved config."""
    data = report.data if hasattr(report, "data") else report
    cfg = data["platform"]["config"]
    from ._worker import mac_count
    comp = cfg["engine"]["compute"]
    c = cfg["components"][comp]
    macs = mac_count(cfg) or 1
    clock = float(c.get("clock_hz") or data["decode"].get("clock_hz") or 1.0)
    mem = cfg.get("placement", {}).get("weights", "")
    m = cfg["components"].get(mem, {})
    bw = float(m.get("width_bytes", 0)) * float(m.get("ports", 1) or 1) * float(m.get("clock_hz", 0))
    return 2.0 * macs * clock, bw, comp, mem


def roofline(report, phase: str | None = None):
    """A roofline point per op of a report (run with ops=True).

    Returns a DataFrame: step, phase, name, kind, macs, bytes (weights read + activations in
    and out, from the op's tensor sizes), intensity (ops per byte, 1 MAC = 2 ops), achieved
    ops/s (2 x MACs / the op's duration), and attrs peak_ops_per_s (compute engine: 2 x MACs
    x clock) and peak_bytes_per_s (the weights' memory: width x ports x clock), ridge point
    = peak_ops / peak_bytes. Ops without MACs (element-wise) are kept with intensity from
    their element operations. `phase`: 'prefill' or 'decode' to keep one.
    """
    ops = report.ops.copy()
    if phase is not None:
        ops = ops[ops["phase"] == phase]
    peak_ops, peak_bw, comp, mem = _peaks(report)
    # Bytes an op moves: its weights plus activations in and out (the CSV's byte columns where
    # the engine reports them, else the weight bytes alone).
    byte_cols = [c for c in ops.columns if c in ("npu_bytes_read", "npu_bytes_written", "bytes_read", "bytes_written")]
    if byte_cols:
        moved = ops[byte_cols].fillna(0).sum(axis=1)
        moved = moved.where(moved > 0, ops["weight_bytes"])
    else:
        moved = ops["weight_bytes"]
    work = 2.0 * ops["macs"].astype(float)
    work = work.where(work > 0, ops["elem_ops"].astype(float))
    dur = (ops["end_s"] - ops["start_s"]).astype(float)
    out = ops[["step", "phase", "name", "kind", "engine", "macs", "elem_ops", "weight_bytes"]].copy()
    out["bytes"] = moved.astype(float)
    out["ops"] = work
    out["intensity"] = work / moved.where(moved > 0)
    out["ops_per_s"] = work / dur.where(dur > 0)
    out.attrs.update(peak_ops_per_s=peak_ops, peak_bytes_per_s=peak_bw, ridge=peak_ops / peak_bw if peak_bw else None,
                     compute=comp, weight_memory=mem)
    return out.reset_index(drop=True)


def _driver(ops, comp: str, counter: str):
    """Per-op share driver of one component's energy event, or None if no op column explains it."""
    import numpy as np
    mine = (ops["engine"] == comp).to_numpy()
    col = lambda c: ops[c].fillna(0).astype(float).to_numpy() if c in ops else None
    if counter in ("read_bytes", "write_bytes"):
        return col(f"bytes_{comp}")
    if counter == "bytes":  # an interconnect: every byte any op moved through memories
        cols = [c for c in ops.columns if c.startswith("bytes_")]
        return ops[cols].fillna(0).astype(float).sum(axis=1).to_numpy() if cols else None
    if not mine.any():
        return None
    if counter.startswith("macs"):
        v = col("npu_macs")
        v = v if v is not None else ops["macs"].astype(float).to_numpy()
    elif counter == "ao_elements":
        v = (ops["m"] * ops["n"]).astype(float).to_numpy()
    elif counter == "weights_decoded":
        v = ops["weight_bytes"].astype(float).to_numpy()
    elif counter == "busy_cycles" and "host_cycles" in ops:
        v = col("host_cycles")
    else:
        v = ops["engine_cycles"].astype(float).to_numpy()
    return np.where(mine, v, 0.0)


def op_energy(report):
    """Energy attributed to each op, per component (a DataFrame: step, phase, name, kind,
    engine, component, energy_uj), over the whole run.

    Each component's dynamic energy per event (docs/energy.md: parameter x counter) is split
    over the ops in proportion to the op's own count of that event: bytes of that memory
    (`bytes_<memory>` from the NPU's columns), every byte for a bus, NPU MACs, output elements
    and weights for the NPU's events, host cycles for the host CPU. Leakage is split in
    proportion to op duration. What no op explains (leakage between ops, events of ops
    without such a column, e.g. the host's memory reads) is one row per component named
    `(unattributed)`, so the rows sum to the run's total energy.
    """
    import numpy as np
    import pandas as pd
    data = report.data
    ops = report.ops.reset_index(drop=True)
    run = data["energy"]["windows"]["run"]
    bindings = data["energy"].get("bindings", {})
    total_s = float(data["sim"]["simulated_seconds"]) or 1.0
    dur = (ops["end_s"] - ops["start_s"]).astype(float).clip(lower=0).to_numpy()
    keys = ops[["step", "phase", "name", "kind", "engine"]]
    frames = []
    rest_rows = []
    for path, c in run["components"].items():
        comp = path.split(".", 1)[1] if "." in path else path
        share = np.zeros(len(ops))
        rest = 0.0
        for b in bindings.get(path, []):
            e = float(c.get("events_pj", {}).get(b["param"], 0.0))
            if e == 0.0:
                continue
            d = _driver(ops, comp, b["counter"])
            if d is None or d.sum() <= 0:
                rest += e
            else:
                share += e * d / d.sum()
        leak = float(c.get("leakage_pj", 0.0))
        share += leak * dur / total_s
        rest += leak * max(0.0, 1.0 - dur.sum() / total_s)
        rest += max(0.0, float(c.get("dynamic_pj", 0.0)) - sum(float(v) for v in c.get("events_pj", {}).values()))
        f = keys.copy()
        f["component"] = path
        f["energy_uj"] = share * 1e-6
        frames.append(f[f["energy_uj"] > 0])
        rest_rows.append({"step": None, "phase": None, "name": "(unattributed)", "kind": None, "engine": None,
                          "component": path, "energy_uj": rest * 1e-6})
    return pd.concat(frames + [pd.DataFrame(rest_rows)], ignore_index=True)
