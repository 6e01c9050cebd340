"""Unit tests for ``omega`` (ℕ/ℤ linear arithmetic with propositional structure) and ``positivity``."""

from __future__ import annotations

from fractions import Fraction

import pytest

from qed.env.sandbox.arith import omega, positivity
from qed.env.sandbox.ast import INT, NAT, REAL, App, FunTy, HypDecl, Num, Rel, Var, VarDecl
from qed.env.sandbox.parse import parse_prop

CTX = (
    VarDecl("x", REAL), VarDecl("y", REAL),
    VarDecl("a", NAT), VarDecl("b", NAT), VarDecl("m", INT), VarDecl("n", INT),
    VarDecl("f", FunTy((NAT,), NAT)),
)  # fmt: skip


def P(src: str):
    return parse_prop(src, CTX)


def om(hyps: list[str], goal: str) -> bool:
    return omega([P(h) for h in hyps], P(goal), timeout_s=10)


@pytest.mark.parametrize(
    "hyps, goal",
    [
        (["a < b"], "a + 1 ≤ b"),
        ([], "a - b ≤ a"),  # truncated subtraction, by cases
        (["b ≤ a"], "a - b + b = a"),
        ([], "(a - b : ℤ) ≥ 0 ∨ True"),
        ([], "a / 2 * 2 ≤ a"),
        ([], "a % 3 < 3"),
        ([], "m % 3 ≥ 0"),  # Int.emod is non-negative
        ([], "m / 0 = 0"),
        ([], "m % 0 = m"),
        (["m % 2 = 1"], "(m + 1) % 2 = 0"),
        (["2 ∣ m"], "m % 2 = 0"),
        (["3 ∣ a", "a < 5", "a > 0"], "a = 3"),
        (["m = 2 * n + 1"], "m ≠ 0"),
        (["a < 3 ∨ a > 5", "a ≠ 1", "a ≠ 2", "a ≠ 0"], "a > 5"),
        (["m ≤ n → n ≤ 3", "m ≤ n"], "n < 4"),
        (["(a : ℤ) = m"], "m ≥ 0"),
        (["m * n = 5"], "m * n > 4"),  # nonlinear products are atoms
        (["f a = 3"], "f a + 1 = 4"),
        ([], "(7 : ℤ) / (-2) = -3"),
        (["m < 0", "m > 0"], "x < y"),  # a goal about ℝ still closes by contradiction
    ],
)
def test_omega_proves(hyps: list[str], goal: str) -> None:
    assert om(hyps, goal)


@pytest.mark.parametrize(
    "hyps, goal",
    [
        ([], "a - b + b = a"),
        (["a < 5"], "a < 4"),
        ([], "m % 3 < 2"),
        (["m * n = 6"], "m = 2"),
        (["x < y"], "x < y"),  # ℝ facts are not omega's business
        (["2 ∣ m"], "4 ∣ m"),
        ([], "m / 2 * 2 = m"),
        ([], "(-1 : ℤ) / 2 = 0"),
    ],
)
def test_omega_refuses(hyps: list[str], goal: str) -> None:
    assert not om(hyps, goal)


# ---- positivity ------------------------------------------------------------------------


def pos(goal: str, hyps: tuple[str, ...] = ()) -> bool:
    ctx = CTX + tuple(HypDecl(f"h{i}", P(h)) for i, h in enumerate(hyps))
    return positivity(P(goal), ctx)


@pytest.mark.parametrize(
    "goal, hyps",
    [
        ("0 < 3", ()),
        ("0 ≤ x ^ 2", ()),
        ("0 ≤ x ^ 2 + y ^ 4", ()),
        ("0 < x ^ 2 + 1", ()),
        ("x ^ 2 + 1 > 0", ()),
        ("0 ≤ |x|", ()),
        ("0 ≤ (a : ℝ)", ()),
        ("0 ≤ a", ()),
        ("0 ≤ Real.sqrt x", ()),
        ("0 < x * y", ("0 < x", "0 < y")),
        ("0 < x / y + 1", ("0 < x", "0 < y")),
        ("x ≠ 0", ("x ≠ 0",)),
        ("x ^ 3 ≠ 0", ("x ≠ 0",)),
        ("0 < x ^ 2", ("x ≠ 0",)),
        ("0 < |x|", ("0 < x",)),
        ("0 < Real.sqrt x", ("1 ≤ x",)),
        ("0 < (a : ℝ) + 1", ()),
        ("0 ≤ m ^ 2 * a", ()),
    ],
)
def test_positivity_proves(goal: str, hyps: tuple[str, ...]) -> None:
    assert pos(goal, hyps)


@pytest.mark.parametrize(
    "goal, hyps",
    [
        ("0 < x", ()),  # ℝ variables carry no sign
        ("0 ≤ x", ()),
        ("0 ≤ x - y", ("y < x",)),  # no subtraction extension
        ("0 < x ^ 2", ()),
        ("0 < (a : ℝ)", ()),
        ("0 ≤ x ^ 3", ()),
        ("0 < x * y", ("0 < x",)),
        ("x < 1", ()),  # not a positivity goal
        ("0 < -x", ("x < 0",)),
        ("0 ≤ m", ()),
    ],
)
def test_positivity_refuses(goal: str, hyps: tuple[str, ...]) -> None:
    assert not pos(goal, hyps)


def test_positivity_knows_qualified_constants_only() -> None:
    exp = App("Real.exp", (Var("x", REAL),), REAL)
    local_exp = App("exp", (Var("x", REAL),), REAL)
    zero = Num(Fraction(0), REAL)
    assert positivity(Rel("<", zero, exp), CTX)
    assert not positivity(Rel("<", zero, local_exp), CTX)
