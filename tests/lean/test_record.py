"""``qed lean record`` / ``qed.env.lean_record``: what a client exchanges with a REPL through the
recorder is written in the transcript formats ``qed lean replay`` reads, exactly as the REPL sent
it. The REPL here is the replay server (a real subprocess serving recorded Lean replies)."""

from __future__ import annotations

import json
import shlex

from typer.testing import CliRunner

from qed.core import Goals, Proved, Theorem
from qed.env.lean_record import recording_argv
from qed.env.pantograph import PantographEnv
from qed.env.repl import ReplEnv
from qed.env.replay import replay_dir
from qed.env.replay_server import load_pantograph, load_repl


def test_a_repl_session_is_recorded_as_an_in_expected_out_pair(transcripts, server_cmd, tmp_path):
    original = transcripts / "repl" / "proof_branching.in"
    stem = tmp_path / "rec" / "branching"
    with ReplEnv(recording_argv("repl", stem, server_cmd("repl", original))) as env:
        s0 = env.start(Theorem("complex_and",
                               "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by"))
        step = env.apply(s0, 0, "apply And.intro")
        assert isinstance(step, Goals)
    recorded = load_repl(stem.with_suffix(".in"))
    expected = load_repl(original)[:2]
    assert [(e.request, e.reply) for e in recorded] == [(e.request, e.reply) for e in expected]
    summary = replay_dir(stem.parent)
    assert summary.ok and summary.reports[0].exchanges == 2


def test_a_pantograph_session_is_recorded_as_json_lines(transcripts, server_cmd, tmp_path):
    original = transcripts / "pantograph" / "pantograph-v0.3.4-integration.jsonl"
    stem = tmp_path / "pg"
    argv = recording_argv("pantograph", stem, server_cmd("pantograph", original))
    with PantographEnv(argv, version="0.3.4", verify_root=False) as env:
        s0 = env.start(Theorem("mystery", "theorem mystery : 1 + 2 = 2 + 3 := by"))
        assert env.apply(s0, 0, "exact?").__class__.__name__ == "TacticError"
    lines = stem.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["request"]["cmd"] for r in records] == ["frontend.process", "goal.tactic"]
    assert all(r["source"] == "qed lean record" and r["response_partial"] is False for r in records)
    originals = {json.dumps(e.request, sort_keys=True): e.reply for e in load_pantograph(original)}
    for ex in load_pantograph(stem.with_suffix(".jsonl")):
        assert ex.reply == originals[json.dumps(ex.request, sort_keys=True)]
    assert replay_dir(stem.with_suffix(".jsonl")).ok


def test_qed_lean_record_replays_a_requests_file_against_the_repl(transcripts, server_cmd, tmp_path):
    from qed.cli.main import app

    original = transcripts / "repl" / "proof_step.in"
    binary = shlex.join(server_cmd("repl", original))
    out = tmp_path / "step"
    result = CliRunner().invoke(app, ["lean", "record", str(out), "--protocol", "repl", "--binary", binary,
                                      "--run", str(original)])
    assert result.exit_code == 0, result.output
    assert [(e.request, e.reply) for e in load_repl(out.with_suffix(".in"))] == \
        [(e.request, e.reply) for e in load_repl(original)]
    with ReplEnv(server_cmd("repl", out.with_suffix(".in"))) as env:  # the recording serves the client
        s0 = env.start(Theorem("f", "def f : Nat := by"))
        have = env.apply(s0, 0, "have t : Nat := 42")
        assert isinstance(env.apply(have.state, 0, "exact t"), Proved)
