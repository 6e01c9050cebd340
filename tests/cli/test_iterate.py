"""``qed iterate``: experiment configs, stage skipping, the report, and resume after a kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from qed.cli.config import CONFIG_DIR, load_config
from qed.cli.iterate_cmd import Runner, StageFailed, StopAfter
from qed.eval.report import write_iteration_report

EXPERIMENTS = ("sandbox_tiny", "sandbox_small", "sandbox_real", "minif2f_7b")


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_yaml_validates_and_opens_with_launch_and_expected_time(name):
    cfg = load_config([f"+experiment={name}"])
    assert cfg.iterate.iterations >= 2
    head = (CONFIG_DIR / "experiment" / f"{name}.yaml").read_text().split("\n\n")[0]
    assert "Launch" in head and "Expected" in head and f"experiment={name}" in head


def test_minif2f_7b_uses_the_seed_budgets_behind_a_server_and_lean():
    cfg = load_config(["+experiment=minif2f_7b"])
    s = cfg.search
    assert (s.max_expansions, s.max_seconds, s.candidates, s.temperature) == (800, 300, 16, 1.3)
    assert cfg.policy.kind == "http" and cfg.env.kind == "pantograph"


def test_tiny_samples_at_low_temperature():
    assert load_config(["+experiment=sandbox_tiny"]).search.temperature == 0.5


def test_runner_skips_finished_stages_and_stops_after_the_named_one(tmp_path):
    out = Console(file=open(os.devnull, "w"))
    marker = tmp_path / "a.done"
    calls = []
    r = Runner(out, stop_after="b")
    r.stage("a", marker, lambda: (calls.append("a"), marker.write_text("x")))
    with pytest.raises(StopAfter):
        b = tmp_path / "b.done"
        r.stage("b", b, lambda: (calls.append("b"), b.write_text("x")))
    r2 = Runner(out)
    r2.stage("a", marker, lambda: calls.append("again"))
    assert calls == ["a", "b"] and r2.ran == []
    with pytest.raises(StageFailed, match="without writing"):  # a stage that writes no marker is not finished
        r2.stage("c", tmp_path / "c.done", lambda: None)


def test_a_failing_stage_stops_the_loop_with_its_error(tmp_path):
    r = Runner(Console(file=open(os.devnull, "w")))

    def broken():
        raise ValueError("the trajectories have no proved theorem")

    with pytest.raises(StageFailed, match="stage d failed: ValueError: the trajectories have no proved"):
        r.stage("d", tmp_path / "d.done", broken)
    assert r.ran == []


def _arm(proved, attempted):
    return {"proved": proved, "attempted": attempted, "rate": proved / attempted, "mean_expansions": 3.0}


def _write(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj))


def test_report_compares_a_b_c_with_wilson_intervals(tmp_path):
    i0, i1 = tmp_path / "iter_0", tmp_path / "iter_1"
    _write(i0 / "eval" / "A" / "compare.json", {"llm-only": _arm(10, 100), "configured": _arm(20, 100)})
    _write(i1 / "eval" / "B" / "summary.json", _arm(25, 100))
    _write(i1 / "eval" / "C" / "compare.json", {"llm-only": _arm(15, 100), "configured": _arm(30, 100)})
    for d, c, p, r1 in ((i0, 1.0, 0.70, 0.40), (i1, 1.5, 0.80, 0.50)):
        _write(d / "eval" / "embeddings" / "metrics.json",
               {"centroid_l2": c, "linear_probe_accuracy": p, "effective_rank": 5.0, "states": 100})
        _write(d / "eval" / "ebm" / "metrics.json",
               {"rank1": r1, "chance": 0.125, "groups": 40,
                "rank1_by_depth": {"4+": {"rank1": 0.3, "groups": 7}}})
    _write(i1 / "joint" / "metrics.json", {"steps": 10, "val_rank1": 0.6, "alarms": []})
    report = write_iteration_report(tmp_path, 1)
    m = json.loads((i1 / "eval" / "metrics.json").read_text())
    d = m["deltas"]
    assert d["A→B"]["proof_rate"] == pytest.approx(0.05) and d["B→C"]["proof_rate"] == pytest.approx(0.05)
    assert d["A→C"]["proof_rate"] == pytest.approx(0.10)
    assert d["A→B"]["centroid_l2"] == pytest.approx(0.5) and d["B→C"]["ebm_rank1"] == pytest.approx(0.1)
    lo, hi = m["proof_rates"]["C"]["ci95"]
    assert lo < 0.30 < hi
    text = report.read_text()
    assert "30.0% (30/100" in text and "A→B" in text and "+10.0%" in text
    assert (i1 / "eval" / "proof_rates.png").stat().st_size > 0


TINY = [
    "experiment=sandbox_tiny", "iterate.bootstrap_search=", "iterate.train_n=80",
    "iterate.eval_n=12", "sft.eval_states=8", "ebm.train.max_steps=20", "joint.max_steps=8",
    "joint.eval_every=4", "joint.save_every=4", "joint.monitor.probe_every=4", "joint.val_groups=8",
    "joint.probe_states=16", "joint.probe_folds=2", "search.max_expansions=8", "iterate.max_states=300",
]


def _qed(args, **kw):
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "qed", *args], env=env, capture_output=True, text=True, **kw)


def _rows(path: Path) -> list[str]:
    return [json.loads(line)["name"] for line in path.read_text().splitlines()]


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_iterate_killed_mid_stage_and_stopped_after_a_stage_resumes_without_redoing_or_duplicating(tmp_path):
    args = ["iterate", *TINY, f"search.runs_dir={tmp_path}"]
    root = tmp_path / "sandbox_tiny"
    # 1. stop cleanly after iteration 0's search
    first = _qed([*args, "--stop-after", "iter_0/search"], timeout=1200)
    assert first.returncode == 3, first.stdout[-3000:] + first.stderr[-3000:]
    assert (root / "iter_0" / "search" / "DONE").exists() and not (root / "iter_0" / "ebm").exists()
    # 2. a real SIGKILL while the joint training of iteration 1 runs
    env = dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, "-m", "qed", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 1200
    while not (root / "iter_1" / "joint").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.5)
    assert proc.poll() is None, "iterate ended before iteration 1's joint training"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (root / "iter_1" / "DONE").exists()
    # 3. rerun finishes, without redoing any finished stage
    last = _qed(args, timeout=1200)
    assert last.returncode == 0, last.stdout[-3000:] + last.stderr[-3000:]
    out = last.stdout
    assert "skip (done): iter_0" in out and "skip (done): iter_1/pairs" in out
    assert "▶ stage base" not in out and "▶ stage iter_0/sft" not in out and "▶ stage iter_1/ebm" in out
    for k in (0, 1):
        d = root / f"iter_{k}"
        assert (d / "DONE").exists() and (d / "eval" / "report.md").exists()
        names = _rows(d / "search" / "results.jsonl")
        assert len(names) == len(set(names)) == 80  # every training theorem searched exactly once
    for arm in ("llm-only", "configured"):
        names = _rows(root / "iter_1" / "eval" / "C" / arm / "results.jsonl")
        assert len(names) == len(set(names)) == 12
    report = (root / "iter_1" / "eval" / "report.md").read_text()
    assert "A→B" in report and "B→C" in report and "A→C" in report
    assert "expert iteration: held-out proof rate" in out
    # 4. a finished run is not redone at all
    again = _qed(args, timeout=600)
    assert again.returncode == 0 and "▶ stage" not in again.stdout
