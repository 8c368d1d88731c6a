"""One sweep point, run in a worker process (local pool or Dask worker).

Kept free of pandas/numpy so that worker processes start quickly. A point is a plain dict
(see sweep.py: `_point_spec`); the result is a plain dict ready for the database. Bad input
and simulator errors are returned as status 'error' with the CLI's message, never raised:
a failing point must not stop the sweep.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import traceback

from . import _slmsim as _ext


def config_hash(resolved: dict) -> str:
    """sha256 of the resolved configuration (canonical JSON), first 16 hex digits."""
    return hashlib.sha256(json.dumps(resolved, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def mac_count(resolved: dict) -> int | None:
    """MAC count of the compute engine (the Pareto front's area proxy): an Ethos-U85 variant's
    MACs (`ethos-u85-512` -> 512), else a generic engine's `macs_per_cycle`."""
    comp = resolved.get("engine", {}).get("compute")
    c = resolved.get("components", {}).get(comp, {}) if comp else {}
    for k in ("macs", "macs_per_cycle"):
        if isinstance(c.get(k), (int, float)):
            return int(c[k])
    v = c.get("variant")
    if isinstance(v, str) and v.rsplit("-", 1)[-1].isdigit():
        return int(v.rsplit("-", 1)[-1])
    return None


def summarize(rep: dict) -> dict:
    """The database columns of one report."""
    dec, pre = rep.get("decode", {}), rep.get("prefill", {})
    b = rep.get("bottleneck") or {}
    ew = rep.get("energy", {}).get("windows", {})
    comps = []
    for name, c in ew.get("run", {}).get("components", {}).items():
        d = ew.get("decode", {}).get("components", {}).get(name, {})
        u = rep.get("utilisation", {}).get(name)
        comps.append({"component": name, "energy_uj": c.get("total_pj", 0.0) * 1e-6,
                      "decode_energy_uj": d.get("total_pj", 0.0) * 1e-6 if d else None,
                      "decode_uj_per_token": d.get("uj_per_token") if d else None,
                      "utilisation": u if isinstance(u, (int, float)) else None})
    cfg = rep.get("platform", {}).get("config", {})
    clk = dec.get("clock_hz")
    return {
        "tokens_per_s": dec.get("tokens_per_s"),
        "uj_per_token": dec.get("uj_per_token"),
        "cycles_per_token": dec.get("cycles_per_token"),
        "decode_tokens": dec.get("tokens"),
        "decode_s": dec.get("seconds"),
        "clock_hz": clk,
        "prefill_tokens": pre.get("tokens"),
        "prefill_s": pre.get("time_to_first_token_s"),
        "prefill_energy_uj": pre.get("energy_uj"),
        "total_uj": rep.get("energy", {}).get("total_uj"),
        "bottleneck": b.get("resource"),
        "bottleneck_kind": b.get("kind"),
        "bottleneck_utilisation": b.get("utilisation"),
        "bit_exact": rep.get("bit_exact"),
        "mac_count": mac_count(cfg),
        "config_hash": config_hash(cfg) if cfg else None,
        "components": comps,
    }


def run_point(spec: dict) -> dict:
    """Runs one point; returns {point_id, status, error, wall_s, worker, ...summary}."""
    t0 = time.perf_counter()
    out = {"point_id": spec["point_id"], "worker": f"{socket.gethostname()}:{os.getpid()}"}
    # Fault injection for the tests (docs/sweeps.md): a worker that dies mid-point.
    crash = os.environ.get("SLMSIM_SWEEP_CRASH_IF")
    if crash and any(crash in s for s in spec["options"]["sets"]):
        os.abort()
    try:
        text, _ = _ext.run(spec["options"], None, None)
        out.update(summarize(json.loads(text)))
        out["status"], out["error"] = "ok", None
    except _ext.Error as e:
        out["status"], out["error"] = "error", str(e)
    except Exception as e:  # internal failures are recorded too; the sweep goes on
        out["status"], out["error"] = "error", f"internal: {e}\n{traceback.format_exc(limit=3)}"
    if out["status"] == "error":
        # The config hash even for a failing point, when the config itself loads.
        try:
            out["config_hash"] = config_hash(json.loads(_ext.load_config(spec["options"]["config"], spec["options"]["sets"])))
        except Exception:
            out["config_hash"] = None
    out["wall_s"] = time.perf_counter() - t0
    return out
