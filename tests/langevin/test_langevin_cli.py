"""``qed langevin train|tactics`` and ``qed prove policy=langevin search=mcts`` through the real CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qed.cli.main import app

runner = CliRunner()


@pytest.mark.slow
@pytest.mark.parametrize("method", ["ebt", "cd", "ired"])
def test_train_writes_grid_metrics_and_resumes(tmp_path, method):
    args = [
        "langevin",
        "train",
        f"method={method}",
        "training.epochs=1",
        "ebt.steps=5",
        "cd.steps=5",
        "ired.levels=3",
        "training.width=16",
        f"out={tmp_path}",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    out = tmp_path / f"digits_{method}"
    for name in ("samples.png", "curves.png", "energy.safetensors", "metrics.jsonl", "DONE"):
        assert (out / name).exists(), name
    m = json.loads((out / "metrics.json").read_text())
    assert m["method"] == method and 0.0 <= m["test_accuracy"] <= 1.0
    # a second run with more epochs resumes after epoch 1 (DONE removed: the run is extended)
    (out / "DONE").unlink()
    res = runner.invoke(app, [*args[:-2], "training.epochs=2", "training.width=16", f"out={tmp_path}"])
    assert res.exit_code == 0, res.output
    assert "resuming" in res.output
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2


@pytest.mark.slow
def test_tactics_then_prove_with_mcts_and_the_langevin_proposer(tmp_path):
    res = runner.invoke(
        app,
        [
            "langevin",
            "tactics",
            "tactics.theorems=10",
            "tactics.test_theorems=3",
            "tactics.train_steps=60",
            "tactics.width=64",
            "tactics.dim=64",
            f"out={tmp_path}",
        ],
    )
    assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "tactics" / "metrics.json").read_text())
    assert metrics["library"] > 3 and set(metrics["steps_by_difficulty"]) == {"1", "2", "3"}
    assert (tmp_path / "tactics" / "steps.png").exists()
    res = runner.invoke(
        app,
        [
            "prove",
            "minif2f_v1",
            "policy=langevin",
            "search=mcts",
            "value=langevin",
            f"langevin.out={tmp_path}",
            "langevin.tactics.dim=64",
            "--limit",
            "3",
            "search.max_expansions=5",
            f"search.runs_dir={tmp_path / 'runs'}",
            "--name",
            "m",
        ],
    )
    assert res.exit_code == 0, res.output
    records = [
        json.loads(line) for line in (tmp_path / "runs" / "m" / "results.jsonl").read_text().splitlines()
    ]
    assert len(records) == 3 and all(r["settings"]["algorithm"] == "mcts" for r in records)
    assert all(r["expansions"] <= 5 for r in records)


def test_unknown_algorithm_is_refused(tmp_path):
    res = runner.invoke(
        app,
        [
            "prove",
            "minif2f_v1",
            "policy=scripted",
            "search.algorithm=dfs",
            "--limit",
            "1",
            f"search.runs_dir={tmp_path}",
        ],
    )
    assert res.exit_code == 2 and "search.algorithm" in res.output
