"""``qed science policy-size``: every size gets a held-out learning curve, the choice is the cheapest
point near the best, a rerun re-reads finished runs, and bad inputs are refused by name."""

from __future__ import annotations

import json

import pytest

from qed.cli.policy_size import SizeSweepSettings, choose, run_sweep
from qed.cli.value_compare import generate_rows


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    root = tmp_path_factory.mktemp("rows")
    return generate_rows(root / "train.jsonl", 6, 1), generate_rows(root / "held.jsonl", 3, 0)


def test_a_sweep_measures_each_size_on_held_out_states_and_resumes(rows, tmp_path):
    train, held = rows
    settings = SizeSweepSettings(sizes=("tiny",), steps=4, eval_every=2, batch_size=4, eval_states=8)
    summary = run_sweep(train, held, tmp_path, settings, log=lambda _: None)
    points = summary["points"]
    assert [p["step"] for p in points] == [0, 2, 4] and {p["size"] for p in points} == {"tiny"}
    assert summary["eval_states"] == 8 and summary["train_pairs"] > len(train)
    for p in points:
        assert 0 <= p["menu_top1"] <= p["menu_mrr"] <= 1 and 0 <= p["gen_top1"] <= 1
    assert points[0]["train_seconds"] == 0 and points[-1]["train_seconds"] > 0
    assert summary["choice"] in points
    assert 0 < summary["menu_chance"] < 0.5
    for name in ("report.md", "policy_size.png", "summary.json", "tiny/sft/DONE"):
        assert (tmp_path / name).exists(), name
    assert "**Choice**" in (tmp_path / "report.md").read_text()
    again = run_sweep(train, held, tmp_path, settings, log=lambda _: None)
    assert again["points"] == points  # the finished run is re-read, not retrained
    assert json.loads((tmp_path / "summary.json").read_text())["points"] == points


def test_the_choice_is_the_cheapest_point_within_tolerance_of_the_best():
    pts = [{"size": "a", "step": 0, "train_seconds": 0, "menu_top1": 0.1},
           {"size": "a", "step": 100, "train_seconds": 10, "menu_top1": 0.49},
           {"size": "b", "step": 100, "train_seconds": 40, "menu_top1": 0.5},
           {"size": "b", "step": 200, "train_seconds": 80, "menu_top1": 0.45}]
    assert choose(pts, 0.02) == pts[1]
    assert choose(pts, 0.0) == pts[2]


def test_shared_names_missing_menus_and_unknown_sizes_are_refused(rows, tmp_path):
    train, held = rows
    settings = SizeSweepSettings(sizes=("tiny",), steps=2, eval_every=1)
    with pytest.raises(ValueError, match="share names"):
        run_sweep(train, train[:2], tmp_path, settings, log=lambda _: None)
    with pytest.raises(ValueError, match="without a menu"):
        run_sweep(train, [{**held[0], "menu": []}], tmp_path, settings, log=lambda _: None)
    with pytest.raises(ValueError, match="unknown model sizes"):
        SizeSweepSettings(sizes=("huge",))
