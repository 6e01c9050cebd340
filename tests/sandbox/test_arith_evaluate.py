"""Lean-semantics tests for ``arith.evaluate`` and the ring normal form (``ring_equal``/``ring_nf_term``)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from qed.env.sandbox.arith import evaluate, ring_equal, ring_nf_term
from qed.env.sandbox.arith.evaluate import int_ediv, int_emod
from qed.env.sandbox.ast import INT, NAT, RAT, REAL, App, BinOp, Cast, Neg, Num, Var, VarDecl
from qed.env.sandbox.parse import parse_term

CTX = (
    VarDecl("x", REAL), VarDecl("y", REAL), VarDecl("z", REAL), VarDecl("q", RAT),
    VarDecl("a", NAT), VarDecl("b", NAT), VarDecl("m", INT), VarDecl("n", INT),
)  # fmt: skip


def T(src: str):
    return parse_term(src, CTX)


def n(v, ty=INT) -> Num:
    return Num(Fraction(v), ty)


def ev(src: str) -> Fraction | None:
    return evaluate(T(src))


@pytest.mark.parametrize(
    "src, value",
    [
        ("(3 : ℕ) - 5", 0),  # Nat.sub truncates
        ("(5 : ℕ) - 3", 2),
        ("(7 : ℕ) / 2", 3),
        ("(7 : ℕ) / 0", 0),  # Nat.div_zero
        ("(7 : ℕ) % 0", 7),  # Nat.mod_zero
        ("(7 : ℕ) % 3", 1),
        ("(-7 : ℤ) / 2", -4),  # Int.ediv rounds so that the remainder is non-negative
        ("(7 : ℤ) / (-2)", -3),
        ("(-7 : ℤ) / (-2)", 4),
        ("(-7 : ℤ) % 2", 1),
        ("(-7 : ℤ) % (-2)", 1),
        ("(7 : ℤ) % (-2)", 1),
        ("(-7 : ℤ) / 0", 0),
        ("(-7 : ℤ) % 0", -7),
        ("(1 : ℝ) / 0", 0),  # div_zero in fields
        ("(3 : ℝ) / 4", Fraction(3, 4)),
        ("(2 : ℝ) ^ 10", 1024),
        ("(0 : ℕ) ^ 0", 1),
        ("((2 : ℚ) / 3) ^ 2", Fraction(4, 9)),
        ("Real.sqrt 16", 4),
        ("Real.sqrt (9 / 4)", Fraction(3, 2)),
        ("Real.sqrt (-4)", 0),  # Real.sqrt of a negative is 0
        ("|(-3 : ℝ)|", 3),
        ("((3 : ℕ) : ℝ) - 5", -2),  # cast first, then real subtraction
        ("((3 - 5 : ℕ) : ℝ)", 0),  # ℕ subtraction under the cast
        ("(2 : ℝ) * 0.5", 1),
    ],
)
def test_lean_semantics(src: str, value) -> None:
    assert ev(src) == Fraction(value)


def test_ediv_emod_identity_on_a_grid() -> None:
    for a in range(-20, 21):
        for b in range(-6, 7):
            q, r = int_ediv(a, b), int_emod(a, b)
            assert r + b * q == a
            if b != 0:
                assert 0 <= r < abs(b)


def test_non_ground_and_irrational_have_no_value() -> None:
    assert ev("x + 1") is None
    assert ev("Real.sqrt 2") is None
    assert evaluate(App("f", (n(1),), INT)) is None  # an unknown (local) function


def test_huge_power_gives_up_instead_of_hanging() -> None:
    assert evaluate(BinOp("^", n(3), Num(Fraction(10**9), NAT), INT)) is None


# ---- ring ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lhs, rhs",
    [
        ("(x + y) ^ 2", "x ^ 2 + 2 * x * y + y ^ 2"),
        ("(x - y) * (x + y)", "x * x - y * y"),
        ("x / 2 + x / 2", "x"),
        ("(a + b) ^ 3", "a ^ 3 + 3 * a ^ 2 * b + 3 * a * b ^ 2 + b ^ 3"),
        ("m * (n + 1) - n * m", "m"),
        ("x / (y * z)", "x / y / z"),
        ("(a - b) + 0", "1 * (a - b)"),  # ℕ subtraction is an atom, but a consistent one
        ("Real.sqrt (x + y) * 2", "Real.sqrt (y + x) + Real.sqrt (x + y)"),  # atoms are normalised inside
        ("(x ^ 2) ^ 3", "x ^ 6"),
        ("q * (1 / 2)", "q / 2"),
    ],
)
def test_ring_identities(lhs: str, rhs: str) -> None:
    assert ring_equal(T(lhs), T(rhs))


@pytest.mark.parametrize(
    "lhs, rhs",
    [
        ("(x + y) ^ 2", "x ^ 2 + y ^ 2"),
        ("a - b + b", "a"),  # false in ℕ (truncation)
        ("m / 2 * 2", "m"),  # false in ℤ (m odd)
        ("x / x", "1"),  # false at x = 0
        ("(a : ℝ) - b", "((a - b : ℕ) : ℝ)"),
        ("x * y", "x * z"),
    ],
)
def test_ring_non_identities(lhs: str, rhs: str) -> None:
    assert not ring_equal(T(lhs), T(rhs))


def test_ring_nf_is_readable_and_equal_to_its_input() -> None:
    t = T("(x + 1) ^ 2")
    nf = ring_nf_term(t)
    expected = BinOp(
        "+",
        BinOp("+", Num(Fraction(1), REAL), BinOp("*", Var("x", REAL), Num(Fraction(2), REAL), REAL), REAL),
        BinOp("^", Var("x", REAL), Num(Fraction(2), NAT), REAL),
        REAL,
    )
    assert nf == expected  # Lean: 1 + x * 2 + x ^ 2
    assert ring_equal(nf, t)
    assert ring_nf_term(nf) == nf  # idempotent


def test_ring_nf_negative_and_fractional_coefficients() -> None:
    for src in ["x - 3 * y", "x / 3 - y ^ 2 / 2 + 7", "-(x * y) + 2", "1 / (x + y) + x", "(m - n) * 3"]:
        nf = ring_nf_term(T(src))
        assert ring_equal(nf, T(src)), src
        assert ring_nf_term(nf) == nf, src


def test_ring_nf_of_zero_and_casts() -> None:
    assert ring_nf_term(T("x - x")) == Num(Fraction(0), REAL)
    c = Cast(Var("a", NAT), REAL)
    assert ring_nf_term(BinOp("+", c, c, REAL)) == BinOp("*", c, Num(Fraction(2), REAL), REAL)
    assert ring_nf_term(Neg(Num(Fraction(3), INT), INT)) == Neg(Num(Fraction(3), INT), INT)
