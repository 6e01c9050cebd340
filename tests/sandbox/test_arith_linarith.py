"""Unit tests for ``linarith`` and ``nlinarith``: true goals proved, false goals refused."""

from __future__ import annotations

import time

import pytest

from qed.env.sandbox.arith import ArithTimeout, linarith, nlinarith
from qed.env.sandbox.ast import INT, NAT, RAT, REAL, VarDecl
from qed.env.sandbox.parse import parse_prop

CTX = (
    VarDecl("x", REAL), VarDecl("y", REAL), VarDecl("z", REAL), VarDecl("q", RAT),
    VarDecl("a", NAT), VarDecl("b", NAT), VarDecl("c", NAT), VarDecl("m", INT), VarDecl("n", INT),
)  # fmt: skip


def P(src: str):
    return parse_prop(src, CTX)


def lin(hyps: list[str], goal: str) -> bool:
    return linarith([P(h) for h in hyps], P(goal), timeout_s=10)


def nlin(hyps: list[str], goal: str, hints: list[str] = ()) -> bool:  # type: ignore[assignment]
    return nlinarith([P(h) for h in hyps], P(goal), [P(h) for h in hints], timeout_s=10)


@pytest.mark.parametrize(
    "hyps, goal",
    [
        (["x < 3", "y ≤ x + 1"], "y < 4"),
        (["x = 2 * y", "y = 3"], "x = 6"),
        (["2 * x + 3 * y ≤ 12", "x ≥ 0", "y ≥ 0"], "x ≤ 6"),
        (["x < y", "y < x"], "False"),
        (["x < y", "y < x"], "z = 17"),  # exfalso on a comparison of another type? same type: fine
        (["¬ (x < 1)"], "x ≥ 1"),
        (["x ^ 2 ≤ 4", "y = x ^ 2 + 1"], "y ≤ 5"),  # nonlinear terms as atoms
        (["x / 2 ≥ 3"], "x ≥ 6"),
        (["m < n"], "m + 1 ≤ n"),  # ℤ strengthening
        (["m < n", "n < m + 1"], "False"),  # no integer strictly between
        (["a + b = 10", "a ≥ 4"], "b ≤ 6"),
        ([], "(a : ℤ) ≥ 0"),  # ℕ atoms are nonnegative (through the cast)
        (["(a : ℤ) + 3 = m"], "m ≥ 3"),
        (["a - b = 3"], "a - b > 2"),  # ℕ subtraction as an atom is fine when consistent
        (["x ≤ y"], "¬ (y < x)"),
        (["0 < x ∧ x < 1"], "x < 2"),  # conjunctions are split (Linarith.splitConjunctions)
        ([], "(a : ℝ) ≥ 0"),  # ↑a of a ℕ gets 0 ≤ ↑a (Mathlib's natToInt, any target type)
        (["(a : ℝ) * x = 3", "x = 1"], "(a : ℝ) + x ≥ 1"),
        (["x > 0 ∧ x + y + z = 1", "y > 0 ∧ (z > 0 ∧ z < 1)"], "0 < 1 - x"),
    ],
)
def test_linarith_proves(hyps: list[str], goal: str) -> None:
    assert lin(hyps, goal)


@pytest.mark.parametrize(
    "hyps, goal",
    [
        (["x < 3"], "x < 2"),
        (["x ≤ y"], "x < y"),
        (["x ≠ 0"], "x > 0"),
        (["0 < x ∧ x < 1"], "x < 0"),  # split conjunctions give no contradiction
        (["x * y = 1"], "x ≠ 0"),  # needs nonlinear reasoning
        (["x ^ 2 = 4"], "x = 2"),
        (["a - b = 0"], "a ≤ b + 0 ∧ False"),
        ([], "(a : ℝ) ≥ 0 ∧ True"),  # the nonneg fact for ↑a comes only from comparisons
        (["a - b < 3"], "a < b + 3"),  # truncated subtraction: a - b is opaque
        (["m < n"], "m + 2 ≤ n"),
        (["q > 0"], "x > 0"),  # hypotheses of another type do not help
        ([], "x ^ 2 ≥ 0"),  # linarith does not know squares are nonnegative
    ],
)
def test_linarith_refuses(hyps: list[str], goal: str) -> None:
    assert not lin(hyps, goal)


def test_linarith_goal_of_other_type_closes_on_contradictory_hypotheses() -> None:
    assert lin(["m < 0", "m > 0"], "x = y")


@pytest.mark.parametrize(
    "hyps, goal, hints",
    [
        ([], "x ^ 2 ≥ 0", []),
        ([], "x ^ 2 + y ^ 2 ≥ 2 * x * y", ["(x - y) ^ 2 ≥ 0"]),
        (["0 < x", "0 < y"], "0 < x * y", []),
        (["0 ≤ x", "x ≤ 1"], "x ^ 2 ≤ x", []),
        (["x > 1"], "x ^ 2 > x", []),
        (["x * y = 1", "x > 0"], "y > 0", []),
        (["a ≥ 1", "b ≥ 1"], "a * b ≥ 1", []),
        (["m * m = 4", "m > 0"], "m ≥ 1", []),
        ([], "x * x + 1 > 0", []),
    ],
)
def test_nlinarith_proves(hyps: list[str], goal: str, hints: list[str]) -> None:
    assert nlin(hyps, goal, hints)


@pytest.mark.parametrize(
    "hyps, goal",
    [
        ([], "x ^ 2 > 0"),
        (["x > 0"], "x ^ 2 > x"),
        (["x ^ 2 = 4"], "x = 2"),
        (["x * y > 0"], "x > 0"),
        ([], "x ^ 3 ≥ 0"),
        (["a * b = 6"], "a = 2"),
    ],
)
def test_nlinarith_refuses(hyps: list[str], goal: str) -> None:
    assert not nlin(hyps, goal)


def test_nlinarith_is_lean_strength_not_a_full_nonlinear_solver() -> None:
    # True (AM-GM for three cubes) but beyond degree-2 products without hints.
    assert not nlin(["x ≥ 0", "y ≥ 0", "z ≥ 0"], "x ^ 3 + y ^ 3 + z ^ 3 ≥ 3 * x * y * z")


def test_small_goals_are_fast() -> None:
    hyps, goal = [P("x < 3"), P("y ≤ x + 1")], P("y < 4")
    linarith(hyps, goal, timeout_s=10)
    start = time.perf_counter()
    for _ in range(20):
        assert linarith(hyps, goal, timeout_s=10)
    assert (time.perf_counter() - start) / 20 < 0.05


def test_timeout_is_reported_not_treated_as_false() -> None:
    hyps = [P(f"x ^ {k} + y ^ {k} * z ≤ {k} * x * y + z ^ {k}") for k in range(2, 30)]
    with pytest.raises(ArithTimeout):
        nlinarith(hyps, P("x ^ 40 * y ≤ z ^ 3 * x"), [], timeout_s=0.001)


def test_bad_timeout_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="timeout must be positive"):
        linarith([], P("x ≤ x"), timeout_s=0)
