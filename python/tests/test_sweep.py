"""Sweeps: SQLite results, resume after SIGKILL, failing points, Dask LocalCluster == local,
the `slmsim sweep` command."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import BUILD, child_env

AXES = {"npu.variant": ["ethos-u85-256", "ethos-u85-512"], "storage.clock_hz": ["12.5 MHz", "25 MHz"]}
RUN = dict(model="stories260K", precision="w8a16", steps=3)
COMPARED = ["point_id", "idx", "status", "error", "params", "config_hash", "model", "precision", "steps", "tokens_per_s",
            "uj_per_token", "cycles_per_token", "prefill_s", "total_uj", "bottleneck", "bit_exact", "mac_count"]


def check_integrity(db):
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [r[0] for r in con.execute("SELECT point_id FROM points")]
        assert len(ids) == len(set(ids))
        # No partial point: every ok point has its component rows, no component row is orphaned.
        for pid, status in con.execute("SELECT point_id, status FROM points"):
            n = con.execute("SELECT COUNT(*) FROM component_energy WHERE point_id = ?", (pid,)).fetchone()[0]
            assert (n > 0) == (status == "ok"), (pid, status, n)
        orphans = con.execute("SELECT COUNT(*) FROM component_energy WHERE point_id NOT IN (SELECT point_id FROM points)")
        assert orphans.fetchone()[0] == 0
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "1"
        return ids
    finally:
        con.close()


@pytest.fixture(scope="module")
def local_sweep(slmsim, tmp_path_factory):
    db = str(tmp_path_factory.mktemp("sweep") / "local.db")
    df = slmsim.sweep("mcu-ethos-u85", axes=AXES, db=db, jobs=2, progress=False, **RUN)
    return db, df


def test_local_sweep(slmsim, local_sweep):
    db, df = local_sweep
    assert len(df) == 4 and (df["status"] == "ok").all()
    assert sorted(df["p.npu.variant"].unique()) == ["ethos-u85-256", "ethos-u85-512"]
    assert set(df["mac_count"]) == {256, 512}
    assert df["tokens_per_s"].gt(0).all() and df["bit_exact"].all()
    # Faster storage is never slower; each point equals a direct run of it.
    one = df[(df["p.npu.variant"] == "ethos-u85-512") & (df["p.storage.clock_hz"] == "25 MHz")].iloc[0]
    rep = slmsim.run("mcu-ethos-u85", sets=["npu.variant=ethos-u85-512", "storage.clock_hz=25 MHz"], ops=False,
                     timeline=False, **RUN)
    assert one["tokens_per_s"] == rep.tokens_per_s and one["uj_per_token"] == rep.uj_per_token
    assert one["energy_uj.soc.npu"] == pytest.approx(rep.energy_uj_by_component["soc.npu"], rel=1e-12)
    check_integrity(db)
    # Resume: nothing is recomputed.
    before = slmsim.results(db)[["point_id", "finished_at", "wall_s"]]
    again = slmsim.sweep("mcu-ethos-u85", axes=AXES, db=db, jobs=2, progress=False, **RUN)
    assert again[["point_id", "finished_at", "wall_s"]].equals(before)


def test_failing_point_is_recorded(slmsim, tmp_path):
    db = str(tmp_path / "fail.db")
    df = slmsim.sweep("mcu-ethos-u85", axes={"npu.clock_hz": ["32 MHz", "7 kg", "64 MHz"]}, db=db, jobs=2, progress=False,
                      **RUN)
    assert list(df["status"]) == ["ok", "error", "ok"]
    err = df.loc[1, "error"]
    assert "clock_hz" in err and "7 kg" in err
    with pytest.raises(slmsim.Error) as e:
        slmsim.Config("mcu-ethos-u85").set("npu.clock_hz", "7 kg")
    assert err == str(e.value)          # the CLI's message
    assert df.loc[1, "config_hash"] is None and df.loc[0, "tokens_per_s"] > 0
    check_integrity(db)
    # A retry runs the failed point only.
    again = slmsim.sweep("mcu-ethos-u85", axes={"npu.clock_hz": ["32 MHz", "7 kg", "64 MHz"]}, db=db, jobs=1, progress=False,
                         retry_failed=True, **RUN)
    assert again.loc[0, "finished_at"] == df.loc[0, "finished_at"] and again.loc[1, "status"] == "error"


def test_crashing_worker_fails_only_its_point(slmsim, tmp_path, monkeypatch):
    monkeypatch.setenv("SLMSIM_SWEEP_CRASH_IF", "npu.clock_hz=48 MHz")   # that point's worker aborts
    db = str(tmp_path / "crash.db")
    df = slmsim.sweep("mcu-ethos-u85", axes={"npu.clock_hz": ["32 MHz", "48 MHz", "64 MHz", "96 MHz"]}, db=db, jobs=2,
                      progress=False, **RUN)
    assert list(df["status"]) == ["ok", "error", "ok", "ok"]
    assert "worker process died" in df.loc[1, "error"]
    check_integrity(db)


def test_bad_sweep_definitions(slmsim, tmp_path):
    with pytest.raises(slmsim.Error, match="must be a list"):
        slmsim.sweep("mcu-ethos-u85", axes={"npu.clock_hz": "32 MHz"}, db=str(tmp_path / "x.db"))
    with pytest.raises(slmsim.Error, match="unknown run option"):
        slmsim.sweep("mcu-ethos-u85", axes={}, db=str(tmp_path / "x.db"), colour="red")
    with pytest.raises(slmsim.Error, match="nope.yaml"):
        slmsim.sweep("/nonexistent/nope.yaml", axes={}, db=str(tmp_path / "x.db"))


def test_sweep_resumes_after_sigkill(slmsim, tmp_path):
    db = str(tmp_path / "killed.db")
    args = [sys.executable, "-m", "slmsim.sweep", "--config", "mcu-ethos-u85", "--model", "stories260K", "--steps", "3",
            "--axis", "npu.variant=ethos-u85-128,ethos-u85-256,ethos-u85-512,ethos-u85-1024",
            "--axis", "storage.clock_hz=12.5 MHz,25 MHz,50 MHz", "--db", db, "--jobs", "2", "--quiet"]
    p = subprocess.Popen(args, env=child_env(), start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    n = 0
    while time.monotonic() < deadline and p.poll() is None:
        if os.path.exists(db):
            try:
                con = sqlite3.connect(db, timeout=5)
                n = con.execute("SELECT COUNT(*) FROM points").fetchone()[0]
                con.close()
            except sqlite3.OperationalError:
                n = 0
            if n >= 3:
                break
        time.sleep(0.05)
    assert p.poll() is None, "the sweep finished before it could be killed: " + p.stderr.read().decode()
    os.killpg(p.pid, signal.SIGKILL)       # the sweep and its workers, mid-sweep
    p.wait()
    ids = check_integrity(db)
    assert 3 <= len(ids) < 12
    con = sqlite3.connect(db)
    before = dict(con.execute("SELECT point_id, finished_at FROM points").fetchall())
    con.close()
    out = subprocess.run(args, env=child_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    after = check_integrity(db)
    assert len(after) == 12
    con = sqlite3.connect(db)
    for pid, fin in before.items():       # finished points were not recomputed
        assert con.execute("SELECT finished_at FROM points WHERE point_id = ?", (pid,)).fetchone()[0] == fin
    con.close()
    df = slmsim.results(db)
    assert (df["status"] == "ok").all() and len(df) == 12


def test_dask_local_cluster_equals_local(slmsim, local_sweep, tmp_path):
    import distributed  # Debian python3-distributed (scripts/install-deps.sh): a missing one fails, not skips
    db, local = local_sweep
    ddb = str(tmp_path / "dask.db")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        df = slmsim.sweep("mcu-ethos-u85", axes=AXES, db=ddb, client=client, progress=False, **RUN)
        workers = set(df["worker"])
        check_integrity(ddb)
        assert len(df) == 4
        a = local[COMPARED].sort_values("point_id").reset_index(drop=True)
        b = df[COMPARED].sort_values("point_id").reset_index(drop=True)
        assert a.equals(b), (a, b)
        comps = lambda d: d.filter(like="energy_uj.").sort_index(axis=1)
        assert comps(local.sort_values("point_id").reset_index(drop=True)).equals(comps(df.sort_values("point_id").reset_index(drop=True)))
        # A scheduler address (as for a real cluster) instead of a Client.
        adb = str(tmp_path / "dask-address.db")
        by_address = slmsim.sweep("mcu-ethos-u85", axes=AXES, db=adb, client=cluster.scheduler_address, progress=False, **RUN)
    check_integrity(adb)
    assert by_address[COMPARED].sort_values("point_id").reset_index(drop=True).equals(a)
    assert workers and not (workers & set(local["worker"]))  # ran on the cluster's worker processes
    assert all(":" in w for w in workers)


def test_cli_sweep_command(slmsim, tmp_path):
    db = str(tmp_path / "cli.db")
    pts = tmp_path / "points.json"
    pts.write_text(json.dumps([{"npu.variant": "ethos-u85-256"}, {"npu.variant": "ethos-u85-512", "precision": "w8a8"}]))
    out = subprocess.run([os.path.join(BUILD, "slmsim"), "sweep", "--config", "mcu-ethos-u85", "--model", "stories260K",
                          "--steps", "3", "--points", str(pts), "--db", db, "--jobs", "1", "--csv",
                          str(tmp_path / "r.csv")], capture_output=True, text=True, env=child_env())
    assert out.returncode == 0, out.stderr
    assert "2 points (2 ok, 0 failed)" in out.stdout
    assert "2/2 points (0 resumed, 0 failed)" in out.stderr and "points/s, ETA" in out.stderr   # the progress line
    df = slmsim.results(db)
    assert list(df["precision"]) == [None, "w8a8"] and list(df["mac_count"]) == [256, 512]
    assert (tmp_path / "r.csv").exists()
    bad = subprocess.run([os.path.join(BUILD, "slmsim"), "sweep", "--config", "/nonexistent.yaml", "--db", db, "--quiet"],
                         capture_output=True, text=True, env=child_env())
    assert bad.returncode == 2 and "nonexistent.yaml" in bad.stderr
    h = subprocess.run([os.path.join(BUILD, "slmsim"), "sweep", "--help"], capture_output=True, text=True, env=child_env())
    assert h.returncode == 0 and "--axis" in h.stdout and "--scheduler" in h.stdout


def test_pareto_front(slmsim):
    import pandas as pd
    df = pd.DataFrame({"tokens_per_s": [10, 20, 20, 5, 30], "uj_per_token": [5, 4, 6, 1, 10], "mac_count": [256, 256, 256, 128, 2048],
                       "status": ["ok"] * 5})
    front = slmsim.pareto_front(df)
    # Row 2 is dominated by row 1 (same speed and MACs, more energy); row 0 by row 1.
    assert sorted(map(tuple, front[["tokens_per_s", "uj_per_token", "mac_count"]].values.tolist())) == \
        [(5, 1, 128), (20, 4, 256), (30, 10, 2048)]


def test_dask_point_that_kills_workers_is_recorded(slmsim, tmp_path, monkeypatch):
    import distributed
    monkeypatch.setenv("SLMSIM_SWEEP_CRASH_IF", "npu.clock_hz=48 MHz")   # inherited by the cluster's workers
    db = str(tmp_path / "dask-crash.db")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        df = slmsim.sweep("mcu-ethos-u85", axes={"npu.clock_hz": ["32 MHz", "48 MHz", "64 MHz"]}, db=db, client=client,
                          progress=False, **RUN)
    assert list(df["status"]) == ["ok", "error", "ok"]
    assert "KilledWorker" in df.loc[1, "error"]
    check_integrity(db)
