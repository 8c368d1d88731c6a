"""slmsim from Python: platform configs, simulation runs, bit-exactness, sweeps.

    import slmsim
    cfg = slmsim.Config("mcu-ethos-u85")          # a file path or a shipped config's name
    cfg["npu.variant"] = "ethos-u85-256"           # the CLI's --set semantics and unit checks
    rep = slmsim.run(cfg, "stories260K", precision="w8a16", steps=8)
    rep.decode.tokens_per_s, rep.decode.uj_per_token, rep.bottleneck.resource
    rep.ops          # pandas DataFrame: the per-op CSV of `slmsim run --csv`
    rep.components   # pandas DataFrame: energy and utilisation per component
    rep.timeline     # list of Chrome-trace events (`slmsim run --timeline`)

A run is the same code as `slmsim run` (replay::run_session); bad input raises
slmsim.Error with the CLI's message (file, field, value). See docs/python.md.
"""
from __future__ import annotations

import copy
import json
import os
import tempfile
from collections.abc import MutableMapping
from typing import Any, Iterable, Iterator, Sequence

from . import _slmsim as _ext

__all__ = [
    "Error", "Config", "CheckResult", "Report", "OpTensors", "run", "capture", "golden",
    "sweep", "results", "pareto_front", "roofline", "op_energy", "config_path", "model_info", "quantize_multiplier", "__version__",
]

Error = _ext.Error
Error.__doc__ = "Bad input (a config, model or option): the message is the CLI's, naming file, field and value."
__version__: str = _ext.__version__
golden = _ext.golden
golden.__doc__ = "Golden integer kernels (workloads/quant/golden.h) on numpy int8/int16 arrays; see golden.pyi."


def model_info(model: str) -> dict:
    """A model's shape (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len,
    head_size, n_params): `model` is a llama2.c checkpoint path, a shape file or a shape name
    (stories260K, stories15M, stories42M, stories110M, tinyllama-1.1b, llama2-7b, phi3-mini,
    ...), as `--model` takes it. slmsim.Error for an unknown name or a bad file."""
    return dict(_ext.model_info(model))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """The integer multiplier (m, shift) nearest to a real factor >= 0 (y = round(x * m / 2^shift))."""
    return _ext.quantize_multiplier(real)

_SOURCE_DIR: str = _ext.source_dir

# Shipped configs and the shared model folder, wherever Python is started from.
os.environ.setdefault("SLMSIM_CONFIG_DIR", os.path.join(_SOURCE_DIR, "configs"))
if os.path.isdir(os.path.join(_SOURCE_DIR, "..", "shared", "models")):
    os.environ.setdefault("SLMSIM_MODELS", os.path.normpath(os.path.join(_SOURCE_DIR, "..", "shared", "models")))


def config_path(name_or_path: str) -> str:
    """The YAML file of a config: an existing path as is, else a shipped config's name
    (`mcu-ethos-u85` or `mcu-ethos-u85.yaml` in configs/)."""
    if os.path.exists(name_or_path):
        return os.path.abspath(name_or_path)
    d = os.environ.get("SLMSIM_CONFIG_DIR", os.path.join(_SOURCE_DIR, "configs"))
    for cand in (name_or_path, name_or_path + ".yaml"):
        p = os.path.join(d, cand)
        if os.path.exists(p):
            return p
    # Let the loader produce the CLI's message for a missing file.
    return name_or_path


def _format_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_format_value(x) for x in v) + "]"
    return str(v)


class CheckResult:
    """What `slmsim config check` says: `ok`, every `problems` line (file:line:col, key, value),
    and the bytes the workload's placement uses per memory (`used_bytes`)."""

    def __init__(self, name: str, problems: list[str], used_bytes: dict[str, int]):
        self.name = name
        self.problems = list(problems)
        self.used_bytes = dict(used_bytes)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"CheckResult(ok={self.ok}, problems={self.problems!r}, used_bytes={self.used_bytes!r})"


class Config(MutableMapping):
    """A platform config: a YAML file plus `--set` overrides, validated on every change.

    Keys are dotted paths as `--set` takes them; a first segment naming a component is
    shorthand for `components.<name>` (`npu.clock_hz`, `storage.size_bytes`,
    `simulation.quantum_ns`, `placement.kv_cache`, `workload.steps`). Reading returns the
    resolved value (units converted: Hz, bytes, ns); writing takes what `--set` takes
    (`"64 MHz"`, `256`, `"2 MB"`) and raises slmsim.Error with the CLI's message if the
    value, unit or key is wrong (the config is then unchanged).
    """

    def __init__(self, path: str | "Config" = "mcu-ethos-u85", sets: Iterable[str] | dict | None = None):
        if isinstance(path, Config):
            self.path, self.sets = path.path, list(path.sets)
        else:
            self.path, self.sets = config_path(path), []
        if isinstance(sets, dict):
            sets = [f"{k}={_format_value(v)}" for k, v in sets.items()]
        self.sets += list(sets or [])
        self._resolved = json.loads(_ext.load_config(self.path, self.sets))

    # --- mapping over dotted keys ---
    def _locate(self, key: str) -> tuple[dict, str]:
        parts = key.split(".")
        node: Any = self._resolved
        if parts[0] in self._resolved.get("components", {}) and parts[0] not in self._resolved:
            node = self._resolved["components"]
        for p in parts[:-1]:
            if not isinstance(node, dict) or p not in node:
                raise KeyError(key)
            node = node[p]
        if not isinstance(node, dict) or parts[-1] not in node:
            raise KeyError(key)
        return node, parts[-1]

    def __getitem__(self, key: str) -> Any:
        node, leaf = self._locate(key)
        return copy.deepcopy(node[leaf])

    def __setitem__(self, key: str, value: Any) -> None:
        sets = self.sets + [f"{key}={_format_value(value)}"]
        resolved = json.loads(_ext.load_config(self.path, sets))  # slmsim.Error: unchanged
        self.sets, self._resolved = sets, resolved

    def __delitem__(self, key: str) -> None:
        raise TypeError("Config keys cannot be deleted; set a value instead")

    def _flat(self) -> dict[str, Any]:
        out: dict[str, Any] = {}

        def walk(prefix: str, v: Any) -> None:
            if isinstance(v, dict) and v:
                for k, x in v.items():
                    walk(f"{prefix}.{k}" if prefix else k, x)
            else:
                out[prefix] = v

        for k, v in self._resolved.items():
            if k == "components":
                for c, params in v.items():
                    walk(c, params)
            elif k not in ("connections", "address_map", "name", "description"):
                walk(k, v)
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._flat())

    def __len__(self) -> int:
        return len(self._flat())

    def __repr__(self) -> str:
        return f"Config({self.path!r}, sets={self.sets!r})"

    @property
    def name(self) -> str:
        """The platform's `name:`."""
        return self._resolved.get("name", "")

    def set(self, key: str, value: Any) -> "Config":
        """`cfg[key] = value`, returning the config (chainable)."""
        self[key] = value
        return self

    def with_(self, **changes: Any) -> "Config":
        """A copy with changes; keyword names use `__` for dots (`npu__clock_hz="64 MHz"`)."""
        c = Config(self)
        for k, v in changes.items():
            c[k.replace("__", ".")] = v
        return c

    def copy(self) -> "Config":
        return Config(self)

    def to_dict(self) -> dict:
        """The resolved configuration (`slmsim config show --json`)."""
        return copy.deepcopy(self._resolved)

    def check(self, model: str | None = None, precision: str | None = None, steps: int | None = None,
              workload: bool = True) -> CheckResult:
        """`slmsim config check`: every problem with file:line:col, and (workload=True) whether the
        workload's tensors fit in their memories."""
        r = _ext.check_config(self.path, self.sets, workload, model or "", precision or "", int(steps or 0))
        return CheckResult(r["name"], r["problems"], r["used_bytes"])


class _Attr(dict):
    """A JSON object whose fields are also attributes (`rep.decode.tokens_per_s`)."""

    def __getattr__(self, k: str) -> Any:
        try:
            return _wrap(self[k])
        except KeyError:
            raise AttributeError(k) from None

    def __getitem__(self, k: str) -> Any:
        return _wrap(dict.__getitem__(self, k))


def _wrap(v: Any) -> Any:
    if isinstance(v, dict) and not isinstance(v, _Attr):
        return _Attr(v)
    return v


class OpTensors:
    """One op's outputs: the golden model's and what the engine left in simulated memory.

    `golden[name]` and `memory[name]` are numpy arrays (int4 unpacked to int8), shaped as the
    tensor's logical shape when the element count matches (kv_write: the step's new rows,
    flat). `engine` ran the op; `engine_computed` is True when its own datapath computed the
    values (the NPU), False when the golden kernels did (generic engine, host CPU model).
    """

    def __init__(self, d: dict):
        import numpy as np
        self.step: int = d["step"]
        self.pos: int = d["pos"]
        self.op: str = d["op"]
        self.op_index: int = d["op_index"]
        self.kind: str = d["kind"]
        self.layer: int = d["layer"]
        self.engine: str = d["engine"]
        self.engine_computed: bool = d["engine_computed"]
        self.m, self.n, self.k, self.macs = d["m"], d["n"], d["k"], d["macs"]
        self.quant: dict = json.loads(d["quant"]) if d["quant"] else {}
        self.inputs: list[dict] = d["inputs"]
        self.outputs: list[dict] = [{k: v for k, v in t.items() if k not in ("golden", "memory")} for t in d["outputs"]]
        self.golden: dict[str, "np.ndarray"] = {}
        self.memory: dict[str, "np.ndarray"] = {}
        for t in d["outputs"]:
            self.golden[t["name"]] = _to_array(t["golden"], t["dtype"], t["shape"])
            self.memory[t["name"]] = _to_array(t["memory"], t["dtype"], t["shape"])

    @property
    def bit_exact(self) -> bool:
        """Every output identical bit for bit (golden vs simulated memory)."""
        import numpy as np
        return all(np.array_equal(self.golden[k], self.memory[k]) for k in self.golden)

    def __repr__(self) -> str:
        return (f"OpTensors(step={self.step}, op={self.op!r}, kind={self.kind!r}, engine={self.engine!r}, "
                f"outputs={list(self.golden)}, bit_exact={self.bit_exact})")


_NP_DTYPES = {"i8": "int8", "u8": "uint8", "i16": "<i2", "i32": "<i4", "i64": "<i8", "f32": "<f4"}


def _to_array(raw: bytes, dtype: str, shape: Sequence[int]):
    import numpy as np
    if dtype == "i4":
        b = np.frombuffer(raw, dtype=np.uint8)
        lo = (b & 15).astype(np.int8)
        hi = (b >> 4).astype(np.int8)
        a = np.empty(b.size * 2, dtype=np.int8)
        a[0::2], a[1::2] = lo, hi
        a = np.where(a >= 8, a - 16, a).astype(np.int8)
        n = int(np.prod(shape)) if shape else a.size
        if n <= a.size:
            a = a[:n]
    else:
        a = np.frombuffer(raw, dtype=np.dtype(_NP_DTYPES[dtype])).copy()
    if shape and int(np.prod(shape)) == a.size:
        a = a.reshape(shape)
    return a


class Report:
    """The report of one run (docs/report-format.md).

    Every top-level JSON field is an attribute (`rep.decode.tokens_per_s`,
    `rep.bottleneck.reason`, `rep.bit_exact`, `rep.energy_uj_by_component`); `rep.data` is the
    whole JSON object. `ops` (per-op CSV) and `components` (energy, utilisation per component)
    are pandas DataFrames; `timeline` is the list of Chrome-trace events; `tensors` the ops
    captured by `capture()`.
    """

    def __init__(self, data: dict, ops_csv: str | None = None, timeline: list | None = None,
                 tensors: list[OpTensors] | None = None):
        self.data = data
        self._ops_csv = ops_csv
        self._ops = None
        self.timeline: list[dict] = timeline or []
        self.tensors: list[OpTensors] = tensors or []

    def __getattr__(self, k: str) -> Any:
        if k.startswith("_") or k in ("data",):
            raise AttributeError(k)
        try:
            return _wrap(self.data[k])
        except KeyError:
            raise AttributeError(k) from None

    def __getitem__(self, k: str) -> Any:
        return _wrap(self.data[k])

    def __dir__(self):
        return list(super().__dir__()) + list(self.data)

    def __repr__(self) -> str:
        d = self.data.get("decode", {})
        return (f"Report(platform={self.data.get('platform', {}).get('name')!r}, model={self.data.get('workload', {}).get('model')!r}, "
                f"tokens_per_s={d.get('tokens_per_s')}, uj_per_token={d.get('uj_per_token')}, bit_exact={self.data.get('bit_exact')})")

    @property
    def tokens_per_s(self) -> float | None:
        return self.data["decode"]["tokens_per_s"]

    @property
    def uj_per_token(self) -> float | None:
        return self.data["decode"]["uj_per_token"]

    @property
    def ops(self):
        """One row per op of every step (the `--csv` table), as a pandas DataFrame."""
        import io
        import pandas as pd
        if self._ops is None:
            self._ops = pd.read_csv(io.StringIO(self._ops_csv)) if self._ops_csv else pd.DataFrame()
        return self._ops

    @property
    def components(self):
        """One row per component: energy over the run, prefill and decode (dynamic, leakage),
        µJ/token over decode, decode and prefill utilisation, as a pandas DataFrame."""
        import pandas as pd
        ew = self.data.get("energy", {}).get("windows", {})
        util = self.data.get("utilisation", {})
        putil = self.data.get("prefill", {}).get("utilisation", {})
        names = list(ew.get("run", {}).get("components", {}))
        for n in list(util) + list(putil):
            if n not in names and not isinstance(util.get(n, putil.get(n)), dict):
                names.append(n)
        rows = []
        for n in names:
            r: dict[str, Any] = {"component": n}
            for w in ("run", "prefill", "decode"):
                c = ew.get(w, {}).get("components", {}).get(n)
                if c is None:
                    continue
                pre = "" if w == "run" else w + "_"
                r[pre + "energy_uj"] = c.get("total_pj", 0.0) * 1e-6
                r[pre + "dynamic_uj"] = c.get("dynamic_pj", 0.0) * 1e-6
                r[pre + "leakage_uj"] = c.get("leakage_pj", 0.0) * 1e-6
                if w == "decode":
                    r["decode_uj_per_token"] = c.get("uj_per_token")
            u = util.get(n)
            r["utilisation"] = u if not isinstance(u, dict) else None
            pu = putil.get(n)
            r["prefill_utilisation"] = pu if not isinstance(pu, dict) else None
            rows.append(r)
        return pd.DataFrame(rows)

    @property
    def timeline_frame(self):
        """The timeline's complete events ('X') as a DataFrame: name, track, start_us, dur_us."""
        import pandas as pd
        tracks = {(e.get("pid"), e.get("tid")): e.get("args", {}).get("name")
                  for e in self.timeline if e.get("ph") == "M" and e.get("name") == "thread_name"}
        rows = [{"name": e.get("name"), "track": tracks.get((e.get("pid"), e.get("tid")), e.get("tid")),
                 "start_us": e.get("ts"), "dur_us": e.get("dur"), "args": e.get("args", {})}
                for e in self.timeline if e.get("ph") == "X"]
        return pd.DataFrame(rows)

    def tensor(self, op: str, step: int | None = None) -> OpTensors:
        """The captured op named `op` (of `step`, else the first captured)."""
        for t in self.tensors:
            if t.op == op and (step is None or t.step == step):
                return t
        raise KeyError(f"op {op!r} (step {step}) was not captured; captured: {sorted({t.op for t in self.tensors})}")

    def to_json(self) -> str:
        return json.dumps(self.data, indent=2)

    def save(self, path: str) -> None:
        """Writes the JSON report as `slmsim run --json` does."""
        with open(path, "w") as f:
            f.write(json.dumps(self.data, indent=2) + "\n")


def _run_options(config, model, precision, steps, prompt, sets, **kw) -> dict:
    if isinstance(config, Config):
        path, cfg_sets = config.path, list(config.sets)
    else:
        path, cfg_sets = config_path(config or "mcu-ethos-u85"), []
    o = {"config": path, "sets": cfg_sets + list(sets or [])}
    if model is not None:
        o["model"] = model
    if precision is not None:
        o["precision"] = precision
    if steps is not None:
        o["steps"] = int(steps)
    if prompt is not None:
        o["prompt"] = prompt
    for k, v in kw.items():
        if v is not None:
            o[k] = v
    return o


def run(config: "Config | str | None" = None, model: str | None = None, precision: str | None = None,
        steps: int | None = None, prompt: str | None = None, *, sets: Sequence[str] | None = None,
        tokenizer: str | None = None, prefill_tokens: int | None = None, weight_seed: int | None = None,
        temperature: float = 0.0, topp: float = 0.9, seed: int = 42, calib_sequences: int | None = None,
        calib_tokens: int | None = None, verify: bool = True, shape_only: bool = False,
        faults: Sequence[str] | None = None, ops: bool = True, timeline: bool = True,
        capture_steps: Sequence[int] | None = None, capture_ops: Sequence[str] | None = None,
        progress=None) -> Report:
    """Simulate `config` running `model` (what `slmsim run` does); returns a Report.

    config: a Config, a YAML path or a shipped config's name (default mcu-ethos-u85).
    model: a checkpoint path, a .slmq file or a shape name (stories260K, stories15M, ...);
    default the config's workload.model. precision: w8a8 | w8a16 | w4a8. steps: total positions
    (prompt included). The other keywords are `slmsim run`'s options. ops/timeline=False skip
    the per-op table and the timeline. capture_steps/capture_ops: keep those ops' golden and
    in-memory outputs as `rep.tensors` (see capture()). progress: a callable(done, total)
    called after each simulated step. The GIL is released while simulating.
    Raises slmsim.Error with the CLI's message on bad input.
    """
    with tempfile.TemporaryDirectory(prefix="slmsim-") as tmp:
        o = _run_options(config, model, precision, steps, prompt, sets, tokenizer=tokenizer, prefill_tokens=prefill_tokens,
                         weight_seed=weight_seed, temperature=temperature, topp=topp, seed=seed,
                         calib_sequences=calib_sequences, calib_tokens=calib_tokens, verify=verify, shape_only=shape_only,
                         faults=list(faults or []), progress=progress)
        if ops:
            o["csv_path"] = os.path.join(tmp, "ops.csv")
        if timeline:
            o["timeline_path"] = os.path.join(tmp, "timeline.json")
        text, caps = _ext.run(o, list(capture_steps) if capture_steps is not None else None,
                              list(capture_ops) if capture_ops is not None else None)
        ops_csv = open(o["csv_path"]).read() if ops else None
        tl = None
        if timeline:
            with open(o["timeline_path"]) as f:
                t = json.load(f)
            tl = t["traceEvents"] if isinstance(t, dict) else t
    return Report(json.loads(text), ops_csv, tl, [OpTensors(c) for c in caps])


def capture(config: "Config | str | None" = None, model: str | None = None, precision: str | None = None,
            step: int = 0, ops: Sequence[str] | None = None, steps: int | None = None, **kw) -> list[OpTensors]:
    """Run and return the outputs of the ops of step `step` (0 = prefill) as golden-model and
    simulated-memory numpy arrays. `ops`: op names (`l0.wq`) or prefixes ending in `*`
    (`l0.*`); default every op of the step. `steps` defaults to step + 1 (the run stops there).
    """
    n = steps if steps is not None else step + 1
    rep = run(config, model, precision, steps=n, ops=False, timeline=False, capture_steps=[step],
              capture_ops=list(ops) if ops else None, **kw)
    return rep.tensors


from .analysis import op_energy, pareto_front, results, roofline  # noqa: E402
from ._sweep import sweep  # noqa: E402
