"""`qed science headroom` end to end on three deep theorems at tiny budgets: one line per theorem,
a summary whose headroom is the oracle rate minus the LLM-only rate, a plot, and a resume that
recomputes nothing."""

from __future__ import annotations

import json

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from typer.testing import CliRunner

from qed.cli.main import app
from qed.env.sandbox.deep_generate import generate_deep


def test_headroom_cli_writes_rows_summary_plot_and_resumes(tmp_path):
    bench = tmp_path / "deep.jsonl"
    bench.write_text("".join(json.dumps(g.row) + "\n" for g in generate_deep(3, seed=0)))
    out = tmp_path / "h"
    args = ["science", "headroom", str(bench), "--out", str(out), "--budgets", "2,6", "--big", "60"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in (out / "theorems.jsonl").read_text().splitlines()]
    summary = json.loads((out / "summary.json").read_text())
    assert [row["name"] for row in rows] == ["deep_chain_s0_0", "deep_cases_s0_1", "deep_chain_s0_2"]
    assert summary["theorems"] == 3 and summary["settings"]["big"] == 60
    for b in ("2", "6"):
        s = summary["budgets"][b]
        pol = sum(row["budgets"][b]["policy"] for row in rows)
        orc = sum(row["budgets"][b]["oracle"] for row in rows)
        assert (s["rate_a"], s["rate_b"]) == (pol / 3, orc / 3)
        assert abs(s["headroom_points"] - 100 * (orc - pol) / 3) < 1e-9
    assert (out / "headroom.png").stat().st_size > 0
    acc = EventAccumulator(str(out / "tensorboard"))
    acc.Reload()
    curve = [(e.step, e.value) for e in acc.Scalars("headroom/headroom_points")]
    assert curve == [(b, pytest.approx(summary["budgets"][str(b)]["headroom_points"])) for b in (2, 6)]
    assert "headroom" in r.output
    before = (out / "theorems.jsonl").read_text()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and (out / "theorems.jsonl").read_text() == before
