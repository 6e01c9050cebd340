"""Unit tests for ``norm_num`` (evaluation + simp set) and ``decide``."""

from __future__ import annotations

from fractions import Fraction

import pytest

from qed.env.sandbox.arith import decide, norm_num
from qed.env.sandbox.ast import INT, NAT, REAL, BinOp, Bool_, Exists, Forall, Imp, Num, Rel, Var, VarDecl
from qed.env.sandbox.parse import parse_prop

CTX = (VarDecl("x", REAL), VarDecl("y", REAL), VarDecl("a", NAT), VarDecl("m", INT))
TRUE, FALSE = Bool_(True), Bool_(False)


def P(src: str):
    return parse_prop(src, CTX)


@pytest.mark.parametrize(
    "src",
    [
        "(2 : ℝ) + 2 = 4",
        "(1 : ℝ) / 2 < 1",
        "(3 : ℕ) - 5 = 0",
        "(-7 : ℤ) % 3 = 2",
        "(12 : ℕ) ∣ 144",
        "(7 : ℤ) ≠ 8",
        "Real.sqrt 9 = 3",
        "x + 0 = x",
        "x * 1 + 0 * y = x",
        "x < x + 1",
        "2 * x + 3 ≤ 2 * x + 5",
        "0 ≤ a",
        "True ∧ (2 : ℕ) < 3",
        "(2 : ℕ) = 3 ∨ (1 : ℕ) = 1",
        "¬ ((5 : ℤ) < 2)",
        "x - x = 0",
        "(1 : ℕ) ∣ a",
        "∀ z : ℝ, z = z",
    ],
)
def test_norm_num_closes(src: str) -> None:
    assert norm_num(P(src)) == TRUE


@pytest.mark.parametrize(
    "src",
    ["(2 : ℝ) + 2 = 5", "(3 : ℕ) ∣ 10", "a < 0", "x + 1 < x", "(0 : ℕ) - 1 = 1", "(7 : ℤ) / 2 = 4"],
)
def test_norm_num_refutes(src: str) -> None:
    assert norm_num(P(src)) == FALSE


def test_norm_num_simplifies_without_closing() -> None:
    out = norm_num(P("x * 1 + (2 + 3) * y = 0"))
    assert out == P("x + 5 * y = 0")
    assert norm_num(P("¬ (x < y)")) == P("y ≤ x")
    assert norm_num(P("True → x ≤ 2 * 3")) == P("x ≤ 6")


def test_norm_num_uses_simp_lemmas() -> None:
    assert norm_num(P("x + y = 5"), [P("x = 2"), P("y = 3")]) == TRUE
    assert norm_num(P("x < 1 ∧ y > 0"), [P("x < 1"), P("y > 0")]) == TRUE
    assert norm_num(P("x = y"), [P("x ≠ y")]) == FALSE
    # a simp lemma about x is not used under a binder that rebinds x
    q = Forall("x", REAL, Rel("=", Var("x", REAL), Num(Fraction(2), REAL)))
    assert norm_num(q, [P("x = 2")]) == q


def test_norm_num_leaves_irrational_alone() -> None:
    p = P("Real.sqrt 2 < 2")
    assert norm_num(p) == p


@pytest.mark.parametrize(
    "src, value",
    [
        ("(2 : ℕ) + 2 = 4", True),
        ("(2 : ℕ) + 2 = 5", False),
        ("(10 : ℤ) % 3 = 1 ∧ (3 : ℕ) ∣ 12", True),
        ("(2 : ℕ) ^ 10 > 1000 → (1 : ℕ) = 2", False),
        ("(5 : ℤ) - 7 = -2", True),
        ("(5 : ℕ) - 7 = 0", True),
    ],
)
def test_decide_ground(src: str, value: bool) -> None:
    assert decide(P(src)) is value


def test_decide_undecidable_or_open() -> None:
    assert decide(P("(2 : ℝ) < 3")) is None  # ℝ has no decidable order
    assert decide(P("a < 3")) is None


def test_decide_bounded_quantifiers() -> None:
    k = Var("k", NAT)

    def sq_mod4_le1(bound: int, op: str = "<"):
        body = Rel("≤", BinOp("%", BinOp("^", k, Num(Fraction(2), NAT), NAT), Num(Fraction(4), NAT), NAT),
                   Num(Fraction(1), NAT))  # fmt: skip
        return Forall("k", NAT, Imp(Rel(op, k, Num(Fraction(bound), NAT)), body), bounded=True)

    assert decide(sq_mod4_le1(50)) is True
    assert decide(sq_mod4_le1(10**9)) is None  # too many instances
    ex = Exists("k", NAT, Rel("<", k, k))  # unbounded: not decidable here
    assert decide(ex) is None
    three = parse_prop("∃ k : ℕ, k < 10 ∧ k * k = 49", CTX)
    assert decide(three) is True
    none = parse_prop("∃ k : ℕ, k < 10 ∧ k * k = 50", CTX)
    assert decide(none) is False


def test_decide_int_negative_division() -> None:
    assert decide(Rel("=", BinOp("/", Num(Fraction(-7), INT), Num(Fraction(2), INT), INT),
                      Num(Fraction(-4), INT))) is True  # fmt: skip
