"""The env conformance suite on both Lean backends, in default CI, over recorded exchanges.

Each rule runs on its own; a rule whose requests no recording answers is reported as
``unrecorded`` (with the request), never skipped. The recordings that would complete each
backend are listed in docs/lean.md ("What is not recorded"); the expected outcomes below are
that list, so a new recording that answers a rule makes this test fail until the list shrinks."""

from __future__ import annotations

import pytest

from qed.core import Theorem
from qed.env.conformance import ConformanceCase, run_conformance_checks
from qed.env.pantograph import PantographEnv
from qed.env.repl import ReplEnv
from qed.env.replay_server import is_unrecorded

BAD = Theorem("conf_bad", "theorem conf_bad (a : ℕ) : a < := by")

REPL_CASES = {
    "proof_step.in": (ConformanceCase(
        Theorem("f", "def f : Nat := by"), "⊢ Nat", step="apply Int.natAbs", branch="have t : Nat := 42",
        split="constructor", proof=("have t : Nat := 42", "exact t"), bad_statement=BAD),
        {"start", "branching", "determinism", "immutability", "proof"}),
    "invalid_tactic.in": (ConformanceCase(
        Theorem("my_theorem", "theorem my_theorem (x : Nat) : x = x := by"), "x : Nat\n⊢ x = x",
        step="rfl", branch="simp", split="constructor", proof=("rfl",), bad_tactic="exact my_fake_premise"),
        {"start", "failed tactics are values"}),
    "proof_branching.in": (ConformanceCase(
        Theorem("complex_and", "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by"),
        "p q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r", step="apply And.intro", branch="constructor",
        split="apply And.intro", proof=("apply And.intro", "exact h1.left", "apply h2", "exact h1.right")),
        {"start", "determinism", "immutability", "proof"}),
}

PANTOGRAPH_CASES = {
    ("pantograph-v0.3.4-integration.jsonl", "0.3.4"): (ConformanceCase(
        Theorem("mystery", "theorem mystery : 1 + 2 = 2 + 3 := by"), "⊢ 1 + 2 = 2 + 3", step="rfl",
        branch="simp", split="constructor", proof=("decide",), bad_tactic="exact?", bad_statement=BAD),
        {"start", "failed tactics are values"}),
    ("pantograph-upstream-6c9b560-integration.jsonl", None): (ConformanceCase(
        Theorem("mystery", "theorem solved : 1 + 2 = 3 := rfl\ntheorem mystery (p: Prop): p → p := by"),
        "p : Prop\n⊢ p → p", step="intro h", branch="intro", split="constructor",
        proof=("intro h", "exact h")),
        {"start"}),
}

ALL = {"start", "failed tactics are values", "apply on each goal index", "branching", "determinism",
       "immutability", "proof"}


def _check(outcomes, expected_passed: set[str], with_bad_statement: bool):
    by_name = {o.name: o for o in outcomes}
    assert set(by_name) == ALL | ({"bad statement"} if with_bad_statement else set())  # nothing skipped
    failed = [o for o in outcomes if o.status == "failed"]
    assert not failed, failed
    assert {o.name for o in outcomes if o.status == "passed"} == expected_passed
    for o in outcomes:
        if o.status == "unrecorded":
            assert "no recorded reply" in o.detail  # names the request to record


@pytest.mark.parametrize("name", sorted(REPL_CASES))
def test_repl_backend_conformance_over_recordings(transcripts, server_cmd, name):
    case, expected = REPL_CASES[name]
    with ReplEnv(server_cmd("repl", transcripts / "repl" / name)) as env:
        outcomes = run_conformance_checks(env, case, unrecorded=is_unrecorded)
    _check(outcomes, expected, case.bad_statement is not None)


@pytest.mark.parametrize("key", sorted(PANTOGRAPH_CASES, key=str))
def test_pantograph_backend_conformance_over_recordings(transcripts, server_cmd, key):
    (name, version) = key
    case, expected = PANTOGRAPH_CASES[key]
    with PantographEnv(server_cmd("pantograph", transcripts / "pantograph" / name), version=version,
                       verify_root=False) as env:
        outcomes = run_conformance_checks(env, case, unrecorded=is_unrecorded)
    _check(outcomes, expected, case.bad_statement is not None)


def test_every_rule_passes_on_some_recording_of_each_backend_except_the_listed_ones():
    """The union over recordings; docs/lean.md lists the rest as unrecorded."""
    repl = set().union(*(passed for _, passed in REPL_CASES.values()))
    pantograph = set().union(*(passed for _, passed in PANTOGRAPH_CASES.values()))
    assert ALL - repl == {"apply on each goal index"}
    assert ALL - pantograph == {"apply on each goal index", "branching", "determinism", "immutability",
                                "proof"}
