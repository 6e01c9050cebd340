"""(5) The env conformance suite against real Lean, when a binary is configured.

Set ``QED_PANTOGRAPH`` (Pantograph's ``repl`` executable) and/or ``QED_REPL`` (the
community REPL executable) plus ``QED_LEAN_PROJECT`` (a Lake project with Mathlib, at
the same Lean version). Skipped otherwise."""

from __future__ import annotations

import os

import pytest

conformance = pytest.importorskip("qed.env.conformance")

pytestmark = pytest.mark.lean


def _configured(var: str) -> str:
    value, project = os.environ.get(var), os.environ.get("QED_LEAN_PROJECT")
    if not value or not project:
        pytest.skip(f"{var} and QED_LEAN_PROJECT are not set (no real Lean configured)")
    return value


def test_pantograph_passes_conformance():
    from qed.env.pantograph import PantographEnv

    binary = _configured("QED_PANTOGRAPH")
    with PantographEnv(binary, project=os.environ["QED_LEAN_PROJECT"], imports=["Mathlib"]) as env:
        passed = conformance.run_conformance(env, conformance.LEAN_CASE)
    assert "proof" in passed and "bad statement" in passed


def test_repl_passes_conformance():
    from qed.env.repl import ReplEnv

    binary = _configured("QED_REPL")
    with ReplEnv(binary, project=os.environ["QED_LEAN_PROJECT"], imports=["Mathlib"]) as env:
        passed = conformance.run_conformance(env, conformance.LEAN_CASE)
    assert "proof" in passed and "bad statement" in passed


def test_lake_env_lean_checker_accepts_a_sound_file_and_rejects_sorry():
    from qed.env.verify import LakeFileChecker, Verdict, judge

    project = os.environ.get("QED_LEAN_PROJECT")
    if not project:
        pytest.skip("QED_LEAN_PROJECT is not set (no real Lean configured)")
    checker = LakeFileChecker(project=project)
    sound = judge("t", checker.check("theorem t (p : Prop) : p ∨ ¬p := by\n  exact Classical.em p", "t"))
    assert sound.verdict is Verdict.ACCEPTED, sound
    source = "theorem u (x : Nat) : x = x := by\n  have h : x = 1 := by sorry\n  rfl"
    hidden = judge("u", checker.check(source, "u"))
    assert hidden.verdict is Verdict.REJECTED and any("sorry" in r for r in hidden.reasons), hidden
