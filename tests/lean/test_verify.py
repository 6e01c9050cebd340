"""``qed verify``: planted unsound proofs are rejected, a sound one accepted, over real recorded
Lean replies: the community REPL's command-mode replies (through the replay server, a real
subprocess) and Lean's own messages recorded by ``#guard_msgs`` tests upstream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qed.core import Theorem
from qed.env import lean_repl as lr
from qed.env.verify import (
    FileCheck,
    ReplFileChecker,
    Verdict,
    axiom_problems,
    judge,
    parse_axiom_reports,
    parse_lean_output,
    theorem_source,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "lean"
MESSAGES = FIXTURES / "axioms" / "guard_msgs_messages.json"


def _records():
    return json.loads(MESSAGES.read_text(encoding="utf-8"))


@pytest.mark.parametrize("record", _records(), ids=lambda r: r["planted"] or "sound")
def test_lean_recorded_messages_give_the_expected_verdict(record):
    messages = tuple(lr.Message(m["severity"], m["data"]) for m in record["messages"])
    reports = tuple(r for m in messages if m.severity == "info" for r in parse_axiom_reports(m.data))
    verdict = judge(record["name"], FileCheck("lean", True, messages, 0, reports))
    assert verdict.verdict == Verdict(record["expect"]), verdict
    if record["expect"] == "rejected":
        assert verdict.reasons


def test_axiom_reports_and_problems():
    assert parse_axiom_reports("'A2' depends on axioms: [A0, A1, A2]")[0].axioms == ("A0", "A1", "A2")
    wrapped = parse_axiom_reports("'x.y' depends on axioms: [propext,\n Classical.choice,\n Quot.sound]\n"
                                  "'z' does not depend on any axioms")
    assert [(r.name, r.axioms) for r in wrapped] == [("x.y", ("propext", "Classical.choice", "Quot.sound")),
                                                     ("z", ())]
    assert axiom_problems(["propext", "Quot.sound", "Classical.choice"]) == []
    native = axiom_problems(["Lean.ofReduceBool", "Lean.trustCompiler"])
    assert len(native) == 2 and "native_decide" in native[0]
    assert "sorryAx" in axiom_problems(["sorryAx"])[0]
    assert "non-standard axiom A0" in axiom_problems(["A0"])[0]


def _repl_checker(server_cmd, name: str) -> ReplFileChecker:
    return ReplFileChecker(server_cmd("repl", FIXTURES / name), timeout_s=10)


@pytest.mark.parametrize("path, source, name, reason", [
    ("upstream/have_by_sorry.in", "theorem foo (x : Int) : x = x := by\n  have h : x = 1 := by sorry", "foo",
     "unsolved goals"),
    ("transcripts/repl/self_proof_check.in", "theorem ex : False := by exact?", "ex",
     "`exact?` could not close"),
    ("upstream/self_proof_apply_check.in", "theorem ex : False := by apply ex", "ex",
     "fail to show termination"),
    ("transcripts/repl/tactic_sorry.in", "def f : Nat := by sorry", "f", "declaration uses `sorry`"),
    ("upstream/no_goal_sorry.in", "example : True := by\n  have h : set Nat := by sorry\n  sorry", "example",
     "no goals to be solved"),
])
def test_planted_unsound_files_are_rejected_over_recorded_repl_replies(server_cmd, path, source, name,
                                                                       reason):
    with _repl_checker(server_cmd, path) as checker:
        verdict = judge(name, checker.check(source, name))
    assert verdict.verdict is Verdict.REJECTED and verdict.is_lean
    assert any(reason in r for r in verdict.reasons), verdict.reasons


def test_a_clean_file_without_a_recorded_axiom_reply_is_unverified_not_accepted(server_cmd):
    """trace_simp #4 compiles cleanly; no recording answers its `#print axioms` (docs/lean.md)."""
    with _repl_checker(server_cmd, "transcripts/repl/trace_simp.in") as checker:
        check = checker.check("@[simp] theorem f_def : f = 37 := by rfl", "f_def")
    assert check.failure is not None and "no recorded reply" in check.failure
    assert judge("f_def", check).verdict is Verdict.UNVERIFIED


def test_a_sound_file_is_accepted_when_lean_reports_standard_axioms(server_cmd):
    """The file's own reply (recorded by the REPL) plus Lean's recorded `#print axioms` message."""
    with _repl_checker(server_cmd, "upstream/pickle_environment.in") as checker:
        first = checker._session.command("def f := 42")
        assert not first.errors and not first.sorries
    sound = next(r for r in _records() if r["expect"] == "accepted")
    reports = parse_axiom_reports(sound["messages"][0]["data"])
    verdict = judge("Classical.em", FileCheck("lean", True, first.messages, 0, reports))
    assert verdict.accepted and verdict.axioms == ("propext", "Classical.choice", "Quot.sound")


def test_lean_cli_output_is_read_into_messages():
    # the layout `lean FILE` prints (file:line:col: severity: text, continuation lines follow)
    out = ("QedVerify.lean:2:8: error: unsolved goals\nx : Int\n⊢ x = x\n"
           "QedVerify.lean:1:4: warning: declaration uses 'sorry'\n'foo' depends on axioms: [sorryAx]\n")
    messages = parse_lean_output(out, "QedVerify.lean")
    assert [m.severity for m in messages] == ["error", "warning"]
    assert messages[0].data == "unsolved goals\nx : Int\n⊢ x = x" and messages[0].pos == lr.Pos(2, 8)
    assert parse_axiom_reports(out)[0].axioms == ("sorryAx",)


def test_theorem_source_and_bad_statements():
    theorem = Theorem("foo", "theorem foo (x : Int) : x = x := by")
    assert theorem_source(theorem, "have h : x = 1 := by sorry") == \
        "theorem foo (x : Int) : x = x := by\n  have h : x = 1 := by sorry"
    failed = judge("t", FileCheck("lean", True, failure="lean ran past 5 s"))
    assert failed.verdict is Verdict.UNVERIFIED and failed.reasons == ("lean ran past 5 s",)


def test_qed_verify_on_the_sandbox_says_it_is_not_lean(tmp_path):
    from qed.cli.main import app

    source = tmp_path / "proofs.lean"
    source.write_text("theorem t (x : ℝ) (h₀ : x = 2) : x + 1 = 3 := by\n  subst h₀\n  norm_num\n\n"
                      "theorem u (x : ℝ) (h₀ : x = 2) : x + 1 = 4 := by\n  sorry\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", str(source), "env=sandbox"])
    assert result.exit_code == 1, result.output
    assert "✓ t accepted" in result.output and "✗ u rejected" in result.output
    text = " ".join(result.output.split())
    assert "this is not Lean" in text and "line 2: error: 'sorry'" in text
    assert "accepted 1, accepted in tactic mode but rejected by the file check 1, unverified 0" in text


def test_verify_run_writes_verify_json_and_the_verified_column(tmp_path):
    from rich.console import Console

    from qed.cli.config import load_config
    from qed.cli.lean_build import verify_run
    from qed.cli.prove_view import verified_table

    (tmp_path / "proofs").mkdir()
    files = {
        "mathd_algebra_1": "theorem mathd_algebra_1 (x : ℝ) (h₀ : x = 2) : x + 1 = 3 := by\n"
                           "  subst h₀\n  norm_num\n",
        "mathd_algebra_2": "theorem mathd_algebra_2 (x : ℝ) (h₀ : x = 2) : x + 1 = 4 := by\n  sorry\n",
    }
    for name, text in files.items():
        (tmp_path / "proofs" / f"{name}.lean").write_text(text, encoding="utf-8")
    (tmp_path / "proofs.jsonl").write_text("".join(json.dumps({"name": n, "proof": "", "tactics": []}) + "\n"
                                                   for n in files), encoding="utf-8")
    table = verify_run(load_config(["env=sandbox"]), tmp_path)
    assert table["all"] == {"accepted": 1, "rejected": 1, "unverified": 0} and table["is_lean"] is False
    written = json.loads((tmp_path / "verify.json").read_text(encoding="utf-8"))
    assert written["rejected_names"] == ["mathd_algebra_2"]
    summary = {"proved": 2, "categories": {"mathd_algebra": {"proved": 2}}}
    console = Console(record=True, width=120)
    console.print(verified_table("t", summary, table))
    text = console.export_text()
    assert "rejected by file check" in text and "mathd_algebra" in text


def test_the_requests_to_record_are_what_the_repl_checker_sends():
    """Once `to_record/verify_axioms.requests` is recorded, its replies serve ReplFileChecker as is."""
    from qed.env.replay_server import text_blocks as _blocks

    text = (FIXTURES / "to_record" / "verify_axioms.requests").read_text(encoding="utf-8")
    requests = [json.loads(b) for b in _blocks(text)]
    assert len(requests) == 10
    for k in range(0, len(requests), 2):
        source, printed = requests[k], requests[k + 1]
        assert set(source) == {"cmd"}  # a fresh environment: no env
        name = printed["cmd"].removeprefix("#print axioms ")
        assert f"theorem {name} " in source["cmd"] and printed["env"] == k  # the REPL numbers envs 0, 1, 2, …


def test_the_repl_checker_starts_a_fresh_process_every_n_files(server_cmd):
    source = "theorem foo (x : Int) : x = x := by\n  have h : x = 1 := by sorry"
    with ReplFileChecker(server_cmd("repl", FIXTURES / "upstream" / "have_by_sorry.in"), timeout_s=10,
                         files_per_process=2) as checker:
        verdicts = [judge("foo", checker.check(source, "foo")).verdict for _ in range(3)]
        assert verdicts == [Verdict.REJECTED] * 3 and checker._process.generation == 2
