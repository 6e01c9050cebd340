"""The sandbox parser: statements, elaboration with Lean's typing rules, errors, speed."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qed.core import StatementError
from qed.env.sandbox.ast import (
    INT,
    NAT,
    RAT,
    REAL,
    Abs,
    And,
    App,
    BinOp,
    Cast,
    Dvd,
    Exists,
    Forall,
    FunTy,
    HypDecl,
    Imp,
    Neg,
    Not,
    Num,
    Rel,
    Var,
    VarDecl,
)
from qed.env.sandbox.parse import ParseError, parse_prop, parse_statement, parse_term
from qed.env.sandbox.printer import print_goal

CTX = (
    VarDecl("x", REAL),
    VarDecl("y", REAL),
    VarDecl("q", RAT),
    VarDecl("k", INT),
    VarDecl("n", NAT),
    VarDecl("f", FunTy((REAL,), REAL)),
    VarDecl("u", FunTy((NAT,), INT)),
    VarDecl("g", FunTy((REAL, REAL), REAL)),
    HypDecl("h", Rel("<", Num(Fraction(0), REAL), Var("x", REAL))),
)
x, y, k, n = Var("x", REAL), Var("y", REAL), Var("k", INT), Var("n", NAT)


def num(v: int, ty=NAT) -> Num:
    return Num(Fraction(v), ty)


# ---- statements ------------------------------------------------------------------------------


def test_statement_binders_and_goal():
    name, goal = parse_statement(
        "theorem foo (x y : ℝ) {n : ℕ} [k : ℤ] (f : ℕ → ℝ)\n"
        "  (h₀ : 0 < x) (h₁ : f n = y) :\n  x + y > 0 := by"
    )
    assert name == "foo"
    assert goal.context == (
        VarDecl("x", REAL),
        VarDecl("y", REAL),
        VarDecl("n", NAT),
        VarDecl("k", INT),
        VarDecl("f", FunTy((NAT,), REAL)),
        HypDecl("h₀", Rel("<", num(0, REAL), x)),
        HypDecl("h₁", Rel("=", App("f", (n,), REAL), y)),
    )
    assert goal.target == Rel(">", BinOp("+", x, y, REAL), num(0, REAL))


def test_lemma_example_and_type_spellings():
    assert parse_statement("lemma l (a : Nat) : a = a := by")[0] == "l"
    name, goal = parse_statement("example (a : Real) (b : Int) (c : Rat) : a = a := by")
    assert name == "example"
    assert [d.ty for d in goal.context] == [REAL, INT, RAT]


def test_anonymous_hypothesis_is_named_like_lean():
    _, goal = parse_statement("theorem t (n : ℕ) (_ : n = 3) : n = 3 := by")
    assert goal.context[1] == HypDecl("x✝", Rel("=", n, num(3)))


def test_statement_errors_carry_line_and_column():
    with pytest.raises(StatementError) as info:
        parse_statement("theorem t (a : ℝ)\n  (h : 0 < b) : a = a := by")
    assert "unknown identifier 'b'" in info.value.message
    assert (info.value.line, info.value.column) == (2, 12)


def test_unterminated_binder_names_where_it_opened():
    with pytest.raises(StatementError) as info:
        parse_statement("theorem t (a : ℝ)\n  (h : 0 < a : a = a := by")
    assert "opened at line 2, column 3" in info.value.message


def test_answer_placeholder_is_an_opaque_constant_outside_the_context():
    name, goal = parse_statement("noncomputable abbrev s : ℕ := sorry\n\ntheorem t (n : ℕ) : s = n + 1 := by")
    assert name == "t"
    assert goal.context == (VarDecl("n", NAT),)
    assert print_goal(goal).text == "n : ℕ\n⊢ s = n + 1"
    # a predicate answer is applied like a function to Prop
    _, goal = parse_statement("abbrev P : ℝ → ℝ → Prop := sorry\ntheorem t (x : ℝ) : P x 1 := by")
    assert print_goal(goal).text == "x : ℝ\n⊢ P x 1"
    with pytest.raises(StatementError) as info:
        parse_statement("def f (n : ℕ) : ℕ := n + 1\ntheorem t : f 1 = 2 := by")
    assert info.value.__cause__.category == "answer placeholder with parameters"


@pytest.mark.parametrize(
    ("stmt", "category"),
    [
        ("theorem t : ∑ k : Fin 3, (k : ℕ) = 3 := by", "type Fin"),
        ("theorem t (z : ℂ) : z < 1 := by", "order on ℂ"),
        ("theorem t (P : Polynomial ℝ) : P = P := by", "type Polynomial"),
        ("theorem t (n : ℕ) : n ^ (2 : ℝ) = 1 := by", "real/integer exponents"),
        ("theorem t (x : ℤ) : Int.floor x = 0 := by", "FloorRing ℤ"),
        ("theorem t (x : ZMod 7) : 3 ∣ x := by", "divisibility on ℝ/ℚ"),
        ("theorem t (x : ℝ) : Real.cosh x = 1 := by", "function Real.cosh"),
    ],
)
def test_unsupported_constructs_have_categories(stmt, category):
    with pytest.raises(StatementError) as info:
        parse_statement(stmt)
    assert info.value.__cause__.category == category


# ---- elaboration -------------------------------------------------------------------------------


def test_numerals_default_to_nat_only_when_unconstrained():
    assert parse_prop("1 + 1 = 2", CTX) == Rel("=", BinOp("+", num(1), num(1), NAT), num(2))
    assert parse_prop("x = 2", CTX) == Rel("=", x, num(2, REAL))
    assert parse_term("2", CTX, REAL) == num(2, REAL)


def test_binop_takes_maximal_type_and_casts_leaves():
    assert parse_prop("x + n = k", CTX) == Rel("=", BinOp("+", x, Cast(n, REAL), REAL), Cast(k, REAL))
    # A function application is a leaf: it is cast as a whole.
    assert parse_prop("u n + 1 = x", CTX) == Rel(
        "=", BinOp("+", Cast(App("u", (n,), INT), REAL), num(1, REAL), REAL), x
    )


def test_ascription_and_coercion_arrow():
    assert parse_term("(n + 1 : ℝ)", CTX) == BinOp("+", Cast(n, REAL), num(1, REAL), REAL)
    assert parse_term("((n + 1 : ℕ) : ℝ)", CTX) == Cast(BinOp("+", n, num(1), NAT), REAL)
    assert parse_term("((n : ℤ) : ℝ)", CTX) == Cast(Cast(n, INT), REAL)
    assert parse_prop("↑n = x", CTX) == Rel("=", Cast(n, REAL), x)
    # ↑ to the same type disappears, as in Lean.
    assert parse_prop("↑n = 3", CTX) == Rel("=", n, num(3))


def test_power_exponent_is_nat_and_outside_unification():
    assert parse_prop("x ^ n = 2 ^ 3", CTX) == Rel(
        "=", BinOp("^", x, n, REAL), BinOp("^", num(2, REAL), num(3), REAL)
    )
    # The base joins the tree: (n ^ 2 : ℝ) casts n, not n ^ 2.
    assert parse_term("(n ^ 2 : ℝ)", CTX) == BinOp("^", Cast(n, REAL), num(2), REAL)
    with pytest.raises(ParseError, match="rpow"):
        parse_prop("n ^ y = 1", CTX)


def test_dvd_is_elaborated_like_an_application():
    assert parse_prop("k ∣ n", CTX) == Dvd(k, Cast(n, INT))
    assert parse_prop("2 ∣ k", CTX) == Dvd(num(2, INT), k)
    with pytest.raises(ParseError, match="type mismatch"):
        parse_prop("n ∣ k", CTX)
    with pytest.raises(ParseError, match="ℝ"):
        parse_prop("x ∣ y", CTX)


def test_binder_types_are_inferred():
    assert parse_prop("∀ a, f a = a", CTX) == Forall(
        "a", REAL, Rel("=", App("f", (Var("a", REAL),), REAL), Var("a", REAL))
    )
    assert parse_prop("∃ a, a + 1 = n", CTX) == Exists(
        "a", NAT, Rel("=", BinOp("+", Var("a", NAT), num(1), NAT), n)
    )
    with pytest.raises(ParseError, match="binder 'a'"):
        parse_prop("∀ a, a = a", CTX)


def test_binder_predicates_and_groups():
    a = Var("a", NAT)
    p = parse_prop("∀ a ≥ 5, u a = k", CTX)
    assert p == Forall("a", NAT, Imp(Rel("≥", a, num(5)), Rel("=", App("u", (a,), INT), k)), bounded=True)
    assert parse_prop("∀ a, a ≥ 5 → u a = k", CTX) == p  # the same term in Lean
    p2 = parse_prop("∃ a b : ℕ, a < b", CTX)
    assert p2 == Exists("a", NAT, Exists("b", NAT, Rel("<", a, Var("b", NAT))))
    assert parse_prop("∀ (a : ℕ) (b : ℤ), a = b", CTX) == parse_prop("∀ a : ℕ, ∀ b : ℤ, a = b", CTX)


def test_precedence_and_associativity():
    assert parse_prop("x - y - x = x", CTX).lhs == BinOp("-", BinOp("-", x, y, REAL), x, REAL)
    assert parse_prop("2 ^ 3 ^ 2 = n", CTX).lhs == BinOp("^", num(2), BinOp("^", num(3), num(2), NAT), NAT)
    assert parse_prop("-x ^ 2 = x", CTX).lhs == Neg(BinOp("^", x, num(2), REAL), REAL)
    assert parse_prop("-x * y = x", CTX).lhs == BinOp("*", Neg(x, REAL), y, REAL)
    p = parse_prop("¬x = 1 ∧ y = 1 → x = y ∨ y = x", CTX)
    assert isinstance(p, Imp) and isinstance(p.lhs, And) and isinstance(p.lhs.lhs, Not)
    assert parse_prop("x = 1 → y = 1 → x = y", CTX).rhs == parse_prop("y = 1 → x = y", CTX)
    with pytest.raises(ParseError):
        parse_prop("x = 1 ↔ y = 1 ↔ x = y", CTX)
    with pytest.raises(ParseError):
        parse_prop("x = y = x", CTX)


def test_abs_sqrt_decimals_and_application():
    assert parse_prop("|x - 1| = abs k", CTX) == Rel(
        "=", Abs(BinOp("-", x, num(1, REAL), REAL), REAL), Cast(Abs(k, INT), REAL)
    )
    assert parse_term("√x + Real.sqrt 2", CTX) == BinOp(
        "+", App("Real.sqrt", (x,), REAL), App("Real.sqrt", (num(2, REAL),), REAL), REAL
    )
    assert parse_term("0.5 * x", CTX) == BinOp("*", Num(Fraction(1, 2), REAL, "0.5"), x, REAL)
    assert parse_term("g (x + 1) n", CTX) == App(
        "g", (BinOp("+", x, num(1, REAL), REAL), Cast(n, REAL)), REAL
    )


@pytest.mark.parametrize(
    ("src", "message", "column"),
    [
        ("z + 1", "unknown identifier 'z'", 1),
        ("x + (y * 2", "opened at column 5", 5),
        ("|x + 1", "opened at column 1", 1),
        ("f x y", "expects 1 argument", 1),
        ("u x", "type mismatch", 3),
        ("h + 1", "proof", 1),
        ("n - 1 + -n", "Neg ℕ", 9),
        ("x % 2", "HMod", 3),
        ("x +", "end of input", 4),
        ("x + ) 1", "unexpected token ')'", 5),
        ("x $ 1", "unexpected token '$'", 3),
        ("x § 1", "unexpected character '§'", 3),
    ],
)
def test_term_errors_name_problem_and_column(src, message, column):
    with pytest.raises(ParseError) as info:
        parse_term(src, CTX)
    assert message in info.value.message
    assert info.value.column == column


def test_shadowing_uses_latest_declaration():
    ctx = (VarDecl("a", NAT), VarDecl("a", REAL))
    assert parse_prop("a = 1", ctx) == Rel("=", Var("a", REAL), num(1, REAL))


# ---- robustness and speed -----------------------------------------------------------------------

_ALPHABET = [
    "x",
    "n",
    "f",
    "k",
    "(",
    ")",
    "|",
    "+",
    "-",
    "*",
    "/",
    "^",
    "=",
    "<",
    "≤",
    "∣",
    "∧",
    "∨",
    "¬",
    "→",
    "↔",
    "∀",
    "∃",
    ",",
    ":",
    "ℝ",
    "ℕ",
    "↑",
    "√",
    "1",
    "0.5",
    "2",
    "∑",
    " ",
    "theorem",
    "t",
    ":=",
    "by",
    "{",
    "}",
    "[",
    "abbrev",
    "⌊",
    "!",
    "⁻¹",
    ".",
    "_",
    "h",
    "a",
    "=>",
    "§",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=25))
def test_arbitrary_text_only_raises_parse_or_statement_errors(pieces):
    src = " ".join(pieces)
    try:
        parse_prop(src, CTX)
    except ParseError:
        pass
    try:
        parse_statement("theorem t (x : ℝ) (n : ℕ) : " + src + " := by")
    except StatementError:
        pass
    try:
        parse_statement(src)
    except StatementError:
        pass


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(ParseError):
        parse_term("(" * 5000 + "x" + ")" * 5000, CTX)
    with pytest.raises(StatementError):
        parse_statement("theorem t (x : ℝ) : " + "¬" * 5000 + "x = 1 := by")


def test_typical_statement_parses_in_about_a_millisecond():
    stmt = (
        "theorem aimeII_2001_p3 (x : ℕ → ℤ) (h₀ : x 1 = 211) (h₂ : x 2 = 375) (h₃ : x 3 = 420)\n"
        "  (h₄ : x 4 = 523) (h₆ : ∀ n ≥ 5, x n = x (n - 1) - x (n - 2) + x (n - 3) - x (n - 4)) :\n"
        "  x 531 + x 753 + x 975 = 898 := by"
    )
    parse_statement(stmt)
    runs = 50
    start = time.perf_counter()
    for _ in range(runs):
        parse_statement(stmt)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 0.005, f"{per_call * 1e3:.2f} ms per statement"
