"""End to end through the real CLI: qed train ebm --synthetic, qed eval ebm, qed eval embeddings."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qed.cli.main import app

TINY = [
    "ebm.encoder.dim=64",
    "ebm.head.hidden=[64,32]",
    "ebm.train.threads=1",
    "ebm.train.lr=1e-3",
    "ebm.train.max_steps=200",
    "ebm.train.eval_every=50",
    "ebm.synthetic.theorems=120",
]


def _run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result


@pytest.mark.slow
def test_train_then_eval_on_planted_signal(tmp_path):
    run = tmp_path / "run"
    r = _run("train", "ebm", "--run", run, "--synthetic", *TINY, "ebm.synthetic.signal=0.5")
    assert r.exit_code == 0, r.output
    it = run / "iter_0"
    m = json.loads((it / "ebm" / "metrics.json").read_text())
    assert m["val_rank1"] > 3 * m["chance"]
    assert "rank-1" in r.output and (it / "ebm" / "DONE").exists()

    r = _run("eval", "ebm", "--run", run, *TINY)
    assert r.exit_code == 0, r.output
    ev = json.loads((it / "eval" / "ebm" / "metrics.json").read_text())
    assert ev["rank1"] == pytest.approx(m["val_rank1"], abs=1e-6)  # same held-out groups, same head
    assert set(ev["rank1_by_depth"]) == {"1", "2", "3", "4+"}
    assert ev["energy_gap"] > 0 and 0 < ev["active_unit_ratio"] <= 1
    assert (it / "eval" / "ebm" / "energy_hist.png").stat().st_size > 1000

    r = _run("eval", "embeddings", "--run", run, "--max-states", "300", *TINY)
    assert r.exit_code == 0, r.output
    em = json.loads((it / "eval" / "embeddings" / "metrics.json").read_text())
    assert em["linear_probe_accuracy"] > 0.7 and em["centroid_l2"] > 0
    for png in ("tsne.png", "sibling_distances.png", "eigen_spectrum.png"):
        assert (it / "eval" / "embeddings" / png).stat().st_size > 1000


@pytest.mark.slow
def test_noise_stays_at_chance_through_the_cli(tmp_path):
    run = tmp_path / "run"
    r = _run(
        "train",
        "ebm",
        "--run",
        run,
        "--synthetic",
        *TINY,
        "ebm.synthetic.signal=0.0",
        "ebm.synthetic.theorems=250",
    )
    assert r.exit_code == 0, r.output
    m = json.loads((run / "iter_0" / "ebm" / "metrics.json").read_text())
    assert m["val_rank1"] < 0.25
    r = _run("eval", "embeddings", "--run", run, "--no-tsne", *TINY)
    em = json.loads((run / "iter_0" / "eval" / "embeddings" / "metrics.json").read_text())
    assert abs(em["linear_probe_accuracy"] - 0.5) < 0.1


def test_bad_trajectory_file_exits_2_with_the_problem_named(tmp_path):
    bad = tmp_path / "t.parquet"
    bad.write_bytes(b"nope")
    r = _run("train", "ebm", "--run", tmp_path / "run", "--trajectories", bad, *TINY)
    assert r.exit_code == 2
    assert "not a readable Parquet file" in r.output
    r = _run("eval", "ebm", "--run", tmp_path / "run", *TINY)
    assert r.exit_code == 2 and "no finished head" in r.output
