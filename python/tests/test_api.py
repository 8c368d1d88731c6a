"""The module's API: configs (--set semantics, unit checks, config check), runs and reports,
errors carrying the CLI's message, repeatability in one process, golden kernels."""
import json
import os
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import BUILD, ROOT, TINY, child_env


def test_config_get_set_roundtrip(slmsim):
    cfg = slmsim.Config("mcu-ethos-u85")
    assert cfg.path.endswith("configs/mcu-ethos-u85.yaml")
    assert cfg.name == "mcu-ethos-u85"
    assert cfg["npu.clock_hz"] == 32_000_000
    cfg["npu.clock_hz"] = "64 MHz"                       # a unit, as --set takes it
    assert cfg["npu.clock_hz"] == 64_000_000
    assert cfg.sets == ["npu.clock_hz=64 MHz"]
    cfg["storage.size_bytes"] = "16 MB"
    assert cfg["storage.size_bytes"] == 16_000_000
    assert cfg["components.storage.size_bytes"] == 16_000_000   # the long form reads the same value
    assert "npu.variant" in cfg and "placement.weights" in list(cfg)
    # The same values as `slmsim config show --json` with the same --set.
    out = subprocess.run([os.path.join(BUILD, "slmsim"), "config", "show", "--json", cfg.path,
                          "--set", "npu.clock_hz=64 MHz", "--set", "storage.size_bytes=16 MB"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == cfg.to_dict()


def test_config_bad_values_carry_cli_message(slmsim):
    cfg = slmsim.Config("mcu-ethos-u85")
    with pytest.raises(slmsim.Error) as e:
        cfg["npu.clock_hz"] = "64 MB"                    # wrong dimension
    msg = str(e.value)
    cli = subprocess.run([os.path.join(BUILD, "slmsim"), "config", "show", cfg.path, "--set", "npu.clock_hz=64 MB"],
                         capture_output=True, text=True)
    assert cli.returncode == 2
    assert cli.stderr.strip() == f"slmsim: error: {msg}"   # the very same message
    assert "clock_hz" in msg and "64 MB" in msg
    assert cfg["npu.clock_hz"] == 32_000_000 and cfg.sets == []   # unchanged after the error
    with pytest.raises(slmsim.Error, match="no_such_key"):
        cfg["npu.no_such_key"] = 3
    with pytest.raises(KeyError):
        cfg["npu.no_such_key"]
    with pytest.raises(slmsim.Error, match="nope.yaml"):
        slmsim.Config("/nonexistent/nope.yaml")


def test_config_check_matches_cli(slmsim):
    cfg = slmsim.Config("mcu-ethos-u85")
    r = cfg.check(model="stories260K", steps=4)
    assert r.ok and r.problems == [] and r.used_bytes["storage"] > 0
    small = cfg.with_(storage__size_bytes="64 KB")
    r = small.check(model="stories15M", steps=4)
    assert not r.ok
    cli = subprocess.run([os.path.join(BUILD, "slmsim"), "config", "check", cfg.path, "--set", "storage.size_bytes=64 KB",
                          "--model", "stories15M", "--steps", "4"], capture_output=True, text=True)
    assert cli.returncode == 2
    assert r.problems[0] in cli.stderr                        # same message as the CLI
    assert "storage" in r.problems[0]


def test_run_report_fields(slmsim, tiny_report):
    rep = tiny_report
    assert rep.decode.tokens_per_s > 0 and rep.uj_per_token > 0
    assert rep.tokens_per_s == rep.data["decode"]["tokens_per_s"]
    assert rep.bit_exact is True
    assert rep.platform.name == "mcu-ethos-u85"
    assert rep.bottleneck.resource
    assert len(rep.tokens) == 5 and rep.tokens[0] == 1   # BOS, then one token per position
    with pytest.raises(AttributeError):
        rep.no_such_field


def test_run_frames(slmsim, tiny_report):
    rep = tiny_report
    ops = rep.ops
    assert isinstance(ops, pd.DataFrame) and len(ops) == rep.sim.ops
    assert {"step", "phase", "name", "kind", "macs", "engine", "start_s", "end_s"} <= set(ops.columns)
    assert set(ops["phase"]) == {"prefill", "decode"}
    comp = rep.components
    assert isinstance(comp, pd.DataFrame)
    assert np.isclose(comp["energy_uj"].sum(), rep.energy.total_uj, rtol=1e-9)
    assert set(rep.energy_uj_by_component) <= set(comp["component"])
    assert any(e.get("ph") == "X" for e in rep.timeline)
    assert len(rep.timeline_frame) > 0


def test_report_equals_cli_json(slmsim, tiny_report, tmp_path):
    out = tmp_path / "r.json"
    subprocess.run([os.path.join(BUILD, "slmsim"), "run", "--quiet", "--config", slmsim.config_path(TINY["config"]),
                    "--model", TINY["model"], "--precision", TINY["precision"], "--steps", str(TINY["steps"]), "--json", str(out)],
                   check=True, capture_output=True, env=child_env(), cwd=ROOT)
    assert json.loads(out.read_text()) == tiny_report.data


def test_two_runs_in_one_process_are_identical(slmsim, tiny_report):
    # Another platform in between, then the same run again: nothing leaks (kernel, quantum,
    # report handler, component registry).
    slmsim.run("mcu-siracusa", model="stories260K", steps=2, sets=["simulation.quantum_ns=100 ns"], ops=False, timeline=False)
    again = slmsim.run(**TINY)
    assert again.data == tiny_report.data
    assert again.ops.equals(tiny_report.ops)
    assert again.timeline == tiny_report.timeline


def test_run_errors_carry_cli_message(slmsim):
    with pytest.raises(slmsim.Error) as e:
        slmsim.run("mcu-ethos-u85", model="stories260K", precision="w3a3", steps=2)
    cli = subprocess.run([os.path.join(BUILD, "slmsim"), "run", "--quiet", "--config", slmsim.config_path("mcu-ethos-u85"),
                          "--model", "stories260K", "--precision", "w3a3", "--steps", "2"], capture_output=True, text=True,
                         env=child_env())
    assert cli.returncode == 2
    assert cli.stderr.strip().endswith(str(e.value))
    with pytest.raises(slmsim.Error, match="no_such_model"):
        slmsim.run("mcu-ethos-u85", model="no_such_model", steps=2)
    with pytest.raises(slmsim.Error, match=r"--fault"):
        slmsim.run("mcu-ethos-u85", model="stories260K", steps=2, faults=["sram:0x10:9"])
    # The module still works after errors.
    assert slmsim.run(**TINY, ops=False, timeline=False).bit_exact


def test_gil_released_while_simulating(slmsim):
    import threading
    import time
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    t = threading.Thread(target=ticker)
    t.start()
    t0 = time.monotonic()
    # 32 steps: long enough (0.24 s on a fast machine) for the ticker to tick many times.
    slmsim.run(**dict(TINY, steps=32), ops=False, timeline=False)
    t1 = time.monotonic()
    stop.set()
    t.join()
    during = [x for x in ticks if t0 < x < t1]
    # A held GIL would starve the ticker for the whole run (at most the tick before the call);
    # the bound is low so that a loaded machine's scheduling cannot make the test fail.
    assert t1 - t0 > 0.1 and len(during) >= 5, (len(during), t1 - t0)


def test_capture_golden_vs_engine(slmsim):
    caps = slmsim.capture("mcu-ethos-u85", model="stories260K", precision="w8a16", step=1, ops=["l0.wq", "l0.attn_scores", "cls"])
    names = [c.op for c in caps]
    assert names == ["l0.wq", "l0.attn_scores", "cls"]
    wq = caps[0]
    assert wq.engine == "npu" and wq.engine_computed and wq.kind == "matmul" and wq.step == 1
    out = wq.outputs[0]["name"]
    g, m = wq.golden[out], wq.memory[out]
    assert g.dtype == np.int16 and g.shape == m.shape and g.size == wq.m * wq.n
    assert np.array_equal(g, m) and wq.bit_exact
    # A bit flipped in l0.wq's weight stream (in simulated storage) shows up in that op's output.
    rep = slmsim.run("mcu-ethos-u85", model="stories260K", precision="w8a16", steps=1, faults=["storage:0xa040:6"], ops=False,
                     timeline=False)
    assert rep.bit_exact is False and rep.faults[0]["tensor"] == "npu.l0.wq.stream"
    # The op named by the report's first mismatch differs in the captured arrays too.
    fm = rep.first_mismatch
    caps = slmsim.capture("mcu-ethos-u85", model="stories260K", precision="w8a16", step=fm.step, ops=[fm.op],
                          faults=["storage:0xa040:6"])
    t = caps[0]
    assert t.op == "l0.wq" and not t.bit_exact
    g, m = t.golden[fm.tensor].ravel(), t.memory[fm.tensor].ravel()
    first = int(np.argmax(g != m))
    assert first == fm.element and g[first] == fm.expected and m[first] == fm.got


def test_capture_prefix_and_all(slmsim):
    caps = slmsim.capture("mcu-ethos-u85", model="stories260K", step=0, ops=["l1.*"])
    assert caps and all(c.op.startswith("l1.") for c in caps)
    every = slmsim.capture("mcu-ethos-u85", model="stories260K", step=0)
    assert len(every) > len(caps) and all(c.bit_exact for c in every)


def test_golden_kernels_on_numpy(slmsim):
    g = slmsim.golden
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, size=(3, 40), dtype=np.int8)
    w = rng.integers(-128, 128, size=(5, 40), dtype=np.int8)
    m, sh = slmsim._slmsim.quantize_multiplier(0.01)
    mult, shift = np.full(5, m, np.int32), np.full(5, sh, np.int32)
    y = g.matmul(x, 3, w, mult, shift, y_zp=-2)
    # The same function in numpy (integer requantisation with round-half-up).
    acc = (x.astype(np.int64) - 3) @ w.astype(np.int64).T
    ref = np.clip(((acc * m + (1 << (sh - 1))) >> sh) - 2, -128, 127)
    assert y.dtype == np.int8 and np.array_equal(y, ref)
    with pytest.raises(slmsim.Error, match="k = 40"):
        g.matmul(x, 0, w[:, :30], mult, shift)
    with pytest.raises(slmsim.Error, match="int8 or int16"):
        g.matmul(x.astype(np.float32), 0, w, mult, shift)
    a = rng.integers(-100, 100, size=64, dtype=np.int16)
    lut = np.arange(-32768, 32769, 128).clip(-32768, 32767).astype(np.int16)   # identity table
    assert np.array_equal(g.lut(a, lut), a)
    s = rng.integers(-5000, 0, size=(2, 4, 5), dtype=np.int32)
    p = g.softmax(s, 3, np.zeros(257, np.int32) + 1, out="int8")
    assert p.shape == (2, 4, 5)
    assert np.array_equal(g.argmax(np.array([[1, 5, 5, 2]], np.int16)), [1])


def test_op_energy_sums_to_total(slmsim, tiny_report):
    ope = slmsim.op_energy(tiny_report)
    assert ope["energy_uj"].sum() == pytest.approx(tiny_report.energy.total_uj, rel=1e-9)
    # The NPU's dynamic energy goes to the ops it ran, in proportion to their MACs.
    npu = ope[(ope["component"] == "soc.npu") & (ope["name"] != "(unattributed)")]
    by_engine = npu.groupby("engine")["energy_uj"].sum()
    assert by_engine["npu"] > 20 * by_engine["host"]   # host ops carry only the NPU's leakage while they run
    mm = npu[npu["kind"] == "matmul"].groupby("name")["energy_uj"].sum()
    assert mm.idxmax() == "cls"  # the classifier is the largest matmul of stories260K (vocab 512 x dim 64)


def test_roofline_prefill_vs_decode(slmsim):
    rep = slmsim.run("mcu-ethos-u85", model="stories260K", prefill_tokens=8, steps=10, timeline=False)
    rl = slmsim.roofline(rep)
    assert rl.attrs["peak_ops_per_s"] == 2 * 512 * 32e6
    assert rl.attrs["weight_memory"] == "storage"
    mm = rl[(rl["kind"] == "matmul") & rl["name"].str.contains(r"\.w")]
    pre = mm[mm["phase"] == "prefill"]["intensity"].median()
    dec = mm[mm["phase"] == "decode"]["intensity"].median()
    assert pre > 4 * dec          # 8 prompt tokens reuse every weight
    assert (rl["ops_per_s"].dropna() <= rl.attrs["peak_ops_per_s"] * 1.0001).all()


def test_type_stub_covers_the_public_api(slmsim):
    import ast
    stub = ast.parse(open(os.path.join(ROOT, "python", "slmsim", "__init__.pyi")).read())
    names = set()
    for node in stub.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names if a.asname)
    assert set(slmsim.__all__) <= names, set(slmsim.__all__) - names
    for name in slmsim.__all__:
        obj = getattr(slmsim, name)
        if callable(obj) and not isinstance(obj, type(slmsim.Error)):
            assert obj.__doc__, f"{name} has no docstring"
    gstub = ast.parse(open(os.path.join(ROOT, "python", "slmsim", "golden.pyi")).read())
    assert {n.name for n in gstub.body if isinstance(n, ast.FunctionDef)} == \
        {n for n in dir(slmsim.golden) if not n.startswith("_")}


def test_run_with_the_configs_real_checkpoint_and_a_prompt(slmsim):
    models = slmsim._slmsim.shared_models_dir()
    if not models or not os.path.exists(os.path.join(models, "stories260K.bin")):
        if os.environ.get("CI") == "true":
            pytest.fail("../shared/models/stories260K.bin is missing (CI=true: required)")
        pytest.skip("../shared/models/stories260K.bin not found (see ../shared/models/SOURCES.md)")
    rep = slmsim.run("mcu-ethos-u85", steps=12, prompt="Once upon a time", ops=False, timeline=False)
    assert rep.workload.model.endswith("stories260K.bin")
    assert rep.text.startswith("Once upon a time") and len(rep.text) > len("Once upon a time")
    assert rep.bit_exact is True


def test_model_info(slmsim):
    info = slmsim.model_info("stories15M")
    assert (info["dim"], info["n_layers"], info["n_heads"], info["vocab_size"]) == (288, 6, 6, 32000)
    assert 14e6 < info["n_params"] < 16e6
    with pytest.raises(slmsim.Error, match="no_such_shape"):
        slmsim.model_info("no_such_shape")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_run_progress_callback(slmsim):
    seen = []
    rep = slmsim.run(**TINY, ops=False, timeline=False, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 4) for i in range(1, 5)] and rep.bit_exact

    def boom(done, total):
        raise RuntimeError("callback failed")
    # A failing callback does not break the run.
    assert slmsim.run(**TINY, ops=False, timeline=False, progress=boom).data == rep.data
