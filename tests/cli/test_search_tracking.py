"""``qed prove`` writes its search metrics as TensorBoard scalars beside results.jsonl (issue 19,
experiment tracking): one step per theorem, the running proof rate ending at the summary's rate,
and a rerun replaces the events instead of adding to them."""

from __future__ import annotations

import json

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from typer.testing import CliRunner

from qed.cli.main import app
from qed.eval.prove import read_records


def _scalars(run):
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_prove_writes_search_metrics_to_tensorboard(tmp_path):
    args = ["prove", "minif2f_v1", "policy=scripted", f"search.runs_dir={tmp_path}",
            "search.max_expansions=4", "--name", "tb", "--limit", "6"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    run = tmp_path / "tb"
    summary = json.loads((run / "summary.json").read_text())
    records = read_records(run / "results.jsonl")
    tb = _scalars(run)
    assert [s for s, _ in tb["search/proved"]] == list(range(1, len(records) + 1))
    assert [v for _, v in tb["search/proved"]] == [float(r["status"] == "proved") for r in records]
    assert tb["search/proof_rate_so_far"][-1][1] == pytest.approx(summary["proved"] / summary["theorems"])
    assert [v for _, v in tb["search/expansions"]] == [r["expansions"] for r in records]
    again = CliRunner().invoke(app, args)  # a finished run: the events are rewritten, not doubled
    assert again.exit_code == 0, again.output
    assert _scalars(run)["search/proved"] == tb["search/proved"]
