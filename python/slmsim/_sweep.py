"""Design-space sweeps: many runs of one base config, stored in SQLite as they finish.

    slmsim.sweep("mcu-ethos-u85", axes={"npu.variant": ["ethos-u85-256", "ethos-u85-512"],
                                        "storage.clock_hz": ["12.5 MHz", "25 MHz"]},
                 model="stories15M", steps=8, db="dse.db", jobs=2)

Points are the Cartesian product of `axes` (or the listed `points`, or both: every listed
point times the axes). An axis is any `--set` key, or `model`, `precision`, `steps`,
`prefill_tokens`. Each point runs in a separate process (the simulator has process-wide
state): a local process pool, or the workers of a Dask cluster (`client=`: a
distributed.Client or a scheduler address). The coordinating process writes each result in
ONE SQLite transaction as soon as it arrives, so an interrupted sweep (even SIGKILL) leaves
only whole points, and running the same sweep again skips them (resume). A failing point
is stored with status 'error' and its message; the sweep goes on. Schema: docs/sweeps.md.

Also a command line (sweep.py; what `slmsim sweep` runs):
    python3 -m slmsim.sweep --config mcu-ethos-u85 --axis npu.variant=ethos-u85-256,ethos-u85-512 \
        --model stories15M --steps 8 --db dse.db --jobs 2
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import itertools
import json
import multiprocessing
import os
import sqlite3
import sys
import time
from typing import Any, Iterable, Sequence

from . import _slmsim as _ext
from . import _worker

SCHEMA_VERSION = 1
RUN_KEYS = ("model", "precision", "steps", "prefill_tokens", "prompt", "tokenizer", "weight_seed",
            "calib_sequences", "calib_tokens", "verify", "shape_only", "temperature", "topp", "seed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (
  point_id TEXT PRIMARY KEY,
  sweep_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
  error TEXT,
  params TEXT NOT NULL,
  config_file TEXT NOT NULL,
  sets TEXT NOT NULL,
  config_hash TEXT,
  model TEXT,
  precision TEXT,
  steps INTEGER,
  tokens_per_s REAL,
  uj_per_token REAL,
  cycles_per_token REAL,
  decode_tokens INTEGER,
  decode_s REAL,
  clock_hz REAL,
  prefill_tokens INTEGER,
  prefill_s REAL,
  prefill_energy_uj REAL,
  total_uj REAL,
  bottleneck TEXT,
  bottleneck_kind TEXT,
  bottleneck_utilisation REAL,
  bit_exact INTEGER,
  mac_count INTEGER,
  simulator_version TEXT NOT NULL,
  wall_s REAL,
  worker TEXT,
  finished_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS component_energy (
  point_id TEXT NOT NULL REFERENCES points(point_id),
  component TEXT NOT NULL,
  energy_uj REAL,
  decode_energy_uj REAL,
  decode_uj_per_token REAL,
  utilisation REAL,
  PRIMARY KEY (point_id, component)
);
"""

_POINT_COLS = ["point_id", "sweep_id", "idx", "status", "error", "params", "config_file", "sets", "config_hash", "model",
               "precision", "steps", "tokens_per_s", "uj_per_token", "cycles_per_token", "decode_tokens", "decode_s",
               "clock_hz", "prefill_tokens", "prefill_s", "prefill_energy_uj", "total_uj", "bottleneck", "bottleneck_kind",
               "bottleneck_utilisation", "bit_exact", "mac_count", "simulator_version", "wall_s", "worker", "finished_at"]


def open_db(path: str) -> sqlite3.Connection:
    """Opens (creating if needed) a sweep database; slmsim.Error if its schema version differs."""
    con = sqlite3.connect(path, timeout=60, isolation_level=None)  # explicit transactions
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("BEGIN IMMEDIATE")
    for stmt in _SCHEMA.strip().split(";"):
        if stmt.strip():
            con.execute(stmt)
    row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        con.execute("INSERT INTO meta VALUES ('created_by', ?)", (f"slmsim {_ext.__version__}",))
    con.execute("COMMIT")
    if row is not None and row[0] != str(SCHEMA_VERSION):
        con.close()
        raise _ext.Error(f"{path}: sweep database schema_version {row[0]}, this slmsim writes {SCHEMA_VERSION}")
    return con


def _config_file_and_sets(base_config) -> tuple[str, list[str]]:
    from . import Config, config_path
    if isinstance(base_config, Config):
        return base_config.path, list(base_config.sets)
    return config_path(base_config), []


def _fmt(v: Any) -> str:
    from . import _format_value
    return _format_value(v)


def expand_points(axes: dict | None, points: Sequence[dict] | None) -> list[dict]:
    """The sweep's points: each listed point times the Cartesian product of the axes."""
    listed = [dict(p) for p in points] if points else [{}]
    axes = dict(axes or {})
    for k, vals in axes.items():
        if isinstance(vals, (str, bytes)) or not isinstance(vals, Iterable):
            raise _ext.Error(f"sweep: axis '{k}' must be a list of values (got {vals!r})")
    keys = list(axes)
    out = []
    for p in listed:
        for combo in itertools.product(*[list(axes[k]) for k in keys]):
            q = dict(p)
            q.update(zip(keys, combo))
            out.append(q)
    return out


def _point_spec(idx: int, params: dict, cfg_file: str, base_sets: list[str], fixed: dict, sweep_id: str) -> dict:
    opts: dict[str, Any] = {"config": cfg_file, "sets": list(base_sets)}
    for k, v in fixed.items():
        if v is not None:
            opts[k] = v
    for k, v in params.items():
        if k in RUN_KEYS:
            opts[k] = v
        else:
            opts["sets"].append(f"{k}={_fmt(v)}")
    ident = {"config": cfg_file, "sets": opts["sets"], **{k: opts.get(k) for k in RUN_KEYS}}
    pid = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return {"point_id": pid, "idx": idx, "params": params, "options": opts, "sweep_id": sweep_id}


def _store(con: sqlite3.Connection, spec: dict, res: dict) -> None:
    """Writes one point and its component rows in one transaction."""
    o = spec["options"]
    row = {c: res.get(c) for c in _POINT_COLS}
    row.update({"point_id": spec["point_id"], "sweep_id": spec["sweep_id"], "idx": spec["idx"],
                "params": json.dumps(spec["params"], sort_keys=True, default=str), "config_file": o["config"],
                "sets": json.dumps(o["sets"]), "model": o.get("model"), "precision": o.get("precision"),
                "steps": o.get("steps"), "simulator_version": _ext.__version__,
                "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    if isinstance(row["bit_exact"], bool):
        row["bit_exact"] = int(row["bit_exact"])
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute(f"INSERT OR REPLACE INTO points ({','.join(_POINT_COLS)}) VALUES ({','.join('?' * len(_POINT_COLS))})",
                    [row[c] for c in _POINT_COLS])
        con.execute("DELETE FROM component_energy WHERE point_id = ?", (spec["point_id"],))
        con.executemany("INSERT INTO component_energy VALUES (?, ?, ?, ?, ?, ?)",
                        [(spec["point_id"], c["component"], c["energy_uj"], c["decode_energy_uj"], c["decode_uj_per_token"],
                          c["utilisation"]) for c in res.get("components", [])])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


class _Progress:
    def __init__(self, total: int, skipped: int, enabled: bool):
        self.total, self.skipped, self.enabled = total, skipped, enabled
        self.done = self.errors = 0
        self.t0 = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def update(self, ok: bool) -> None:
        self.done += 1
        self.errors += 0 if ok else 1
        if not self.enabled:
            return
        now = time.monotonic()
        todo = self.total - self.skipped
        el = now - self.t0
        rate = self.done / el if el > 0 else 0.0
        eta = (todo - self.done) / rate if rate > 0 else float("nan")
        width = 30
        fill = int(width * (self.skipped + self.done) / max(1, self.total))
        line = (f"[sweep] [{'#' * fill}{'.' * (width - fill)}] {self.skipped + self.done}/{self.total} points"
                f" ({self.skipped} resumed, {self.errors} failed) {rate:.2f} points/s, ETA {eta:.0f} s")
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if self.done == todo else ""))
            sys.stderr.flush()
        elif now - self.last >= 5 or self.done == todo:
            sys.stderr.write(line + "\n")
            self.last = now


def _spawn_pool(jobs: int) -> cf.ProcessPoolExecutor:
    # Fresh interpreters (not fork): no SystemC or thread state inherited from the caller.
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))


def sweep(base_config="mcu-ethos-u85", axes: dict | None = None, points: Sequence[dict] | None = None,
          db: str = "sweep.db", jobs: int | None = None, client=None, *, model: str | None = None,
          precision: str | None = None, steps: int | None = None, progress: bool = True,
          retry_failed: bool = False, **run_options):
    """Runs every point of a sweep not already in `db`; returns results(db) for this sweep's points.

    base_config: a Config, a YAML path or a shipped config's name. axes: {key: [values]}, key a
    `--set` key or one of model, precision, steps, prefill_tokens, ... (run options).
    points: a list of {key: value} dicts (each is crossed with the axes). model, precision,
    steps and **run_options (verify, shape_only, prefill_tokens, calib_sequences, ...) apply
    to every point. jobs: local worker processes (default: CPU count). client: a
    distributed.Client, or a scheduler address ("tcp://host:8786") to connect to; the points
    then run on the cluster's workers and are written here. retry_failed: run points stored
    with status 'error' again. Raises slmsim.Error for a bad sweep definition (an unknown
    axis key fails in its point, recorded as an error, unless the base config itself is bad).
    """
    from .analysis import results
    for k in run_options:
        if k not in RUN_KEYS:
            raise _ext.Error(f"sweep: unknown run option '{k}' (options: {', '.join(RUN_KEYS)})")
    cfg_file, base_sets = _config_file_and_sets(base_config)
    _ext.load_config(cfg_file, base_sets)  # a bad base config fails the sweep at once, with the CLI's message
    fixed = dict(run_options, model=model, precision=precision, steps=steps)
    pts = expand_points(axes, points)
    sweep_id = hashlib.sha256(json.dumps({"config": cfg_file, "sets": base_sets, "fixed": fixed, "points": pts},
                                         sort_keys=True, default=str).encode()).hexdigest()[:16]
    specs = [_point_spec(i, p, cfg_file, base_sets, fixed, sweep_id) for i, p in enumerate(pts)]
    ids = [s["point_id"] for s in specs]
    if len(set(ids)) != len(ids):
        raise _ext.Error("sweep: two points have the same parameters (a repeated axis value or listed point)")
    con = open_db(db)
    try:
        q = "SELECT point_id FROM points" + (" WHERE status = 'ok'" if retry_failed else "")
        finished = {r[0] for r in con.execute(q)}
        todo = [s for s in specs if s["point_id"] not in finished]
        prog = _Progress(len(specs), len(specs) - len(todo), progress)
        if todo:
            if client is not None:
                _run_dask(client, todo, con, prog)
            else:
                _run_local(jobs or os.cpu_count() or 1, todo, con, prog)
    finally:
        con.close()
    df = results(db)
    return df[df["point_id"].isin(set(ids))].reset_index(drop=True)


def _run_local(jobs: int, todo: list[dict], con, prog: _Progress) -> None:
    if jobs <= 1 and os.environ.get("SLMSIM_SWEEP_INPROCESS") == "1":  # debugging aid: no subprocess
        for s in todo:
            r = _worker.run_point(s)
            _store(con, s, r)
            prog.update(r["status"] == "ok")
        return
    pending = list(todo)
    while pending:
        with _spawn_pool(min(jobs, len(pending))) as pool:
            futs = {pool.submit(_worker.run_point, s): s for s in pending}
            crashed: list[dict] = []
            for f in cf.as_completed(futs):
                s = futs[f]
                try:
                    r = f.result()
                except cf.process.BrokenProcessPool:
                    crashed.append(s)
                    continue
                _store(con, s, r)
                prog.update(r["status"] == "ok")
        if not crashed:
            break
        # A worker died (a crash in the simulator): run the affected points one by one, each in
        # its own process, so that the one that crashes is recorded as failing.
        for s in crashed:
            with _spawn_pool(1) as pool:
                try:
                    r = pool.submit(_worker.run_point, s).result()
                except cf.process.BrokenProcessPool as e:
                    r = {"point_id": s["point_id"], "status": "error", "error": f"internal: worker process died ({e})"}
            _store(con, s, r)
            prog.update(r["status"] == "ok")
        pending = []


def _run_dask(client, todo: list[dict], con, prog: _Progress) -> None:
    import distributed
    own = None
    if isinstance(client, str):
        own = client = distributed.Client(client)
    try:
        futs = {}
        for s in todo:
            f = client.submit(_worker.run_point, s, pure=False)
            futs[f] = s
        for f in distributed.as_completed(list(futs)):
            s = futs[f]
            try:
                r = f.result()
            except Exception as e:  # a worker that died repeatedly (KilledWorker) and the like
                r = {"point_id": s["point_id"], "status": "error", "error": f"internal: {type(e).__name__}: {e}"}
            _store(con, s, r)
            prog.update(r["status"] == "ok")
    finally:
        if own is not None:
            own.close()


def _parse_value(s: str) -> Any:
    """CLI axis values: integers and floats as numbers, everything else as text."""
    for t in (int, float):
        try:
            return t(s)
        except ValueError:
            pass
    return s


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="slmsim sweep",
        formatter_class=lambda prog: argparse.HelpFormatter(prog, width=100),  # help text independent of the terminal
        description="Run a design-space sweep of a platform config; results go to a SQLite database "
                    "(docs/sweeps.md), one transaction per point; rerunning resumes.")
    ap.add_argument("--config", default="mcu-ethos-u85", help="base platform YAML or shipped config name")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="override applied to every point (repeatable)")
    ap.add_argument("--axis", action="append", default=[], metavar="KEY=V1,V2,...",
                    help="an axis: a --set key or model|precision|steps|prefill_tokens, with its values (repeatable; Cartesian)")
    ap.add_argument("--points", help="JSON or YAML file: a list of {key: value} points (crossed with the axes)")
    ap.add_argument("--model", help="model of every point (default: the config's workload.model)")
    ap.add_argument("--precision", help="w8a8 | w8a16 | w4a8")
    ap.add_argument("--steps", type=int, help="positions per point (prompt included)")
    ap.add_argument("--prefill-tokens", type=int, help="a prompt of N tokens (BOS, 3, 4, ...)")
    ap.add_argument("--no-verify", action="store_true", help="skip the bit-exact check (faster)")
    ap.add_argument("--shape-only", action="store_true", help="timing only: no weights, no values")
    ap.add_argument("--db", default="sweep.db", help="SQLite database (created; resumed if it exists)")
    ap.add_argument("--jobs", type=int, default=0, help="local worker processes (default: CPU count)")
    ap.add_argument("--scheduler", help="Dask scheduler address (tcp://HOST:8786): run on that cluster's workers")
    ap.add_argument("--retry-failed", action="store_true", help="run points stored as failed again")
    ap.add_argument("--csv", help="also write this sweep's results as CSV")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    a = ap.parse_args(argv)
    try:
        axes: dict[str, list] = {}
        for spec in a.axis:
            if "=" not in spec:
                raise _ext.Error(f"--axis '{spec}': expected KEY=V1,V2,...")
            k, vs = spec.split("=", 1)
            axes[k.strip()] = [_parse_value(v.strip()) for v in vs.split(",")]
        points = None
        if a.points:
            with open(a.points) as f:
                text = f.read()
            try:
                points = json.loads(text)
            except json.JSONDecodeError:
                import yaml
                points = yaml.safe_load(text)
            if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
                raise _ext.Error(f"{a.points}: expected a list of {{key: value}} points")
        opts: dict[str, Any] = {}
        if a.prefill_tokens:
            opts["prefill_tokens"] = a.prefill_tokens
        if a.no_verify:
            opts["verify"] = False
        if a.shape_only:
            opts["shape_only"] = True
        from . import Config
        t0 = time.monotonic()
        df = sweep(Config(a.config, a.sets), axes=axes, points=points, db=a.db, jobs=a.jobs or None,
                   client=a.scheduler, model=a.model, precision=a.precision, steps=a.steps, progress=not a.quiet, **opts)
        el = time.monotonic() - t0
    except _ext.Error as e:
        print(f"slmsim: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"slmsim: error: {e}", file=sys.stderr)
        return 2
    if a.csv:
        df.to_csv(a.csv, index=False)
    ok = int((df["status"] == "ok").sum())
    print(f"{a.db}: {len(df)} points ({ok} ok, {len(df) - ok} failed) in {el:.1f} s")
    cols = [c for c in ("params", "tokens_per_s", "uj_per_token", "bottleneck", "status") if c in df]
    with_pd_opts = df[cols].to_string(index=False, max_colwidth=60)
    print(with_pd_opts)
    return 0 if ok == len(df) else 1


if __name__ == "__main__":
    sys.exit(main())
