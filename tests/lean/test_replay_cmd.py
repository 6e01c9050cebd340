"""(d) ``qed lean replay DIR``: every transcript in a directory it has never seen is run
through the client over a real replay-server subprocess; problems are reported per file,
and unknown or malformed files are per-file errors, not crashes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qed.cli.lean_cmd import lean_app
from qed.env.replay import replay_dir


def _copy_pair(src: Path, dst: Path, stem: str) -> None:
    for suffix in (".in", ".expected.out"):
        shutil.copy(src / (stem + suffix), dst / (stem + suffix))


@pytest.fixture
def mixed_dir(transcripts, tmp_path) -> Path:
    d = tmp_path / "recordings"
    (d / "nested").mkdir(parents=True)
    _copy_pair(transcripts / "repl", d, "proof_branching")
    _copy_pair(transcripts / "repl" / "mathlib", d / "nested", "induction")
    shutil.copy(transcripts / "pantograph" / "pypantograph-v0.2-notebook-outputs.partial.jsonl", d)
    # a recording whose goal text the client cannot read (no ⊢ line)
    (d / "bad_goal.in").write_text('{"cmd": "def f : Nat := by sorry"}\n\n'
                                   '{"tactic": "skip", "proofState": 0}\n')
    (d / "bad_goal.expected.out").write_text(
        '{"sorries": [{"proofState": 0, "goal": "⊢ Nat"}], "env": 0}\n\n'
        '{"proofStatus": "Incomplete: open goals remain", "proofState": 1, "goals": ["x : Nat"]}\n\n')
    # a complete Pantograph record whose goal has no pretty-printed target
    record = {"session": "s", "step": 1,
              "request": {"cmd": "goal.tactic", "payload": {"stateId": 0, "tactic": "t"}},
              "response": {"nextStateId": 1, "hasSorry": False, "hasUnsafe": False, "messages": [],
                           "goals": [{"vars": [], "target": {"sexp": "(:c Nat)"}, "name": "_uniq.1"}]},
              "response_partial": False}
    (d / "no_pp.jsonl").write_text(json.dumps(record) + "\n")
    (d / "broken.jsonl").write_text('{"request": {"cmd": "stat"}, "response": {}}\nnot json\n')
    (d / "lonely.in").write_text('{"cmd": "def f := 1"}\n')
    (d / "uneven.in").write_text('{"cmd": "def f := 1"}\n\n{"cmd": "def g := 2"}\n')
    (d / "uneven.expected.out").write_text('{"env": 0}\n')
    (d / "data.bin").write_bytes(b"\x00\x01")
    (d / "README.md").write_text("notes\n")
    return d


def test_replay_reports_each_problem_per_file(mixed_dir):
    summary = replay_dir(mixed_dir)
    by_name = {r.path.name: r for r in summary.reports}
    assert set(by_name) == {"proof_branching.in", "induction.in",
                            "pypantograph-v0.2-notebook-outputs.partial.jsonl", "bad_goal.in", "no_pp.jsonl",
                            "broken.jsonl", "lonely.in", "uneven.in", "data.bin"}
    for good in ("proof_branching.in", "induction.in", "pypantograph-v0.2-notebook-outputs.partial.jsonl"):
        report = by_name[good]
        text = report.path.read_text()
        recorded = len(text.splitlines()) if good.endswith(".jsonl") else len([b for b in text.split("\n\n")
                                                                               if b.strip()])
        assert report.ok and report.exchanges == recorded, report
    assert by_name["bad_goal.in"].error is None
    assert len(by_name["bad_goal.in"].mismatches) == 1 and "#2" in by_name["bad_goal.in"].mismatches[0]
    assert "pretty-printed" in by_name["no_pp.jsonl"].mismatches[0]
    assert "broken.jsonl:2" in by_name["broken.jsonl"].error
    assert "lonely.expected.out" in by_name["lonely.in"].error
    assert "2 requests but 1 replies" in by_name["uneven.in"].error
    assert "not a transcript" in by_name["data.bin"].error
    assert [p.name for p in summary.skipped] == ["README.md"]
    assert not summary.ok


def test_cli_exit_codes_and_output(mixed_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(lean_app, ["replay", str(mixed_dir)])
    assert result.exit_code == 1, result.output
    for name in ("bad_goal.in", "no_pp.jsonl", "broken.jsonl", "data.bin"):
        assert name in result.output
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(mixed_dir / "proof_branching.in", good)
    shutil.copy(mixed_dir / "proof_branching.expected.out", good)
    ok = runner.invoke(lean_app, ["replay", str(good)])
    assert ok.exit_code == 0 and "OK" in ok.output and "5 exchanges" in ok.output, ok.output
    missing = runner.invoke(lean_app, ["replay", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2


@pytest.mark.slow
def test_every_shared_transcript_replays_cleanly(transcripts):
    summary = replay_dir(transcripts)
    expected_files = len(list(transcripts.rglob("*.jsonl"))) + len(list(transcripts.rglob("*.in")))
    assert len(summary.reports) == expected_files
    assert summary.ok, [(r.path.name, r.error, r.mismatches) for r in summary.reports if not r.ok]
