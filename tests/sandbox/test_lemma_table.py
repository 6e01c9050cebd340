"""The lemma table (qed/env/sandbox/tactics/mathlib_lemmas.txt) is true.

Every entry at every declared type is instantiated on random exact values (fractions for
ℚ/ℝ, Lean's truncated subtraction and floor/Euclidean division on ℕ/ℤ, through the
sandbox's own ``arith.evaluate``); whenever the hypotheses hold, the conclusion must hold
(for ``↔`` both directions, since the ``↔`` itself is evaluated). ``Real.sqrt`` is exact
only on squares of rationals, so values are drawn from a pool rich in squares and samples
whose sqrt is irrational are skipped; entries with too few decided samples are counted
and listed explicitly (never skipped silently). A deliberately wrong entry must be caught
by the same checker.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from qed.env.sandbox.arith.evaluate import evaluate
from qed.env.sandbox.ast import (
    INT,
    NAT,
    RAT,
    REAL,
    Abs,
    And,
    App,
    BinOp,
    Bool_,
    Cast,
    Dvd,
    Exists,
    Forall,
    FunTy,
    Iff,
    Imp,
    Lam,
    ModEq,
    Neg,
    Not,
    Num,
    Or,
    Pred,
    Prop,
    Rel,
    Var,
)
from qed.env.sandbox.parse import parse_prop
from qed.env.sandbox.tactics.lemmas import SPECS, LemmaTable, LemmaTableError, load_specs
from qed.env.sandbox.tactics.subst import subst_prop, var_types

TABLE = LemmaTable(parse_prop)
TRIES = 800
NEEDED = 6  # samples with true hypotheses and a decided conclusion, per (entry, type)


def _function(fty: FunTy, rng: random.Random) -> Lam:
    """A random ``fun k => …`` from ℕ to the codomain (cast when it is not ℕ)."""
    cod = fty.cod
    k = Var("k", NAT)
    x = k if cod == NAT else Cast(k, cod)
    bodies = [x, BinOp("+", BinOp("*", x, x, cod), Num(Fraction(1), cod), cod),
              BinOp("-", BinOp("*", Num(Fraction(2), cod), x, cod), Num(Fraction(3), cod), cod),
              Num(Fraction(rng.randint(0, 5)), cod), BinOp("^", x, Num(Fraction(3), NAT), cod)]
    if cod in (RAT, REAL):
        bodies.append(BinOp("/", Num(Fraction(1), cod), BinOp("+", x, Num(Fraction(1), cod), cod), cod))
    return Lam("k", NAT, rng.choice(bodies), fty)


def _value(ty, rng: random.Random, pool: list[Fraction]) -> Fraction:
    if pool and rng.random() < 0.3:
        v = rng.choice(pool)
        if ty == NAT and v < 0 or ty in (NAT, INT) and v.denominator != 1:
            v = Fraction(abs(v.numerator))
        return v
    if ty == NAT:
        return Fraction(rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 25, rng.randint(0, 60)]))
    if ty == INT:
        return Fraction(rng.choice([0, 1, -1, 2, -2, 3, -3, 4, -5, 6, 9, -12, rng.randint(-40, 40)]))
    small = [0, 1, -1, 2, -2, 3, 4, -4, Fraction(1, 2), Fraction(-1, 3), Fraction(9, 4), Fraction(1, 4),
             Fraction(5, 3), 9, 16, Fraction(4, 9), 25]
    v = Fraction(rng.choice(small))
    if rng.random() < 0.3:
        v = Fraction(rng.randint(-9, 9), rng.randint(1, 4))
    if ty == REAL and rng.random() < 0.5:
        v = v * v  # squares keep Real.sqrt exact
    return v


_FLOAT_FUNS = {"Real.exp": math.exp, "Real.sin": math.sin, "Real.cos": math.cos}


def approx(t) -> float | None:
    """A float value of a real term with ``exp``/``log``/``sin``/``cos``/``π`` (which have
    no exact value); exact subterms are evaluated exactly first."""
    v = evaluate(t)
    if v is not None:
        return float(v)
    match t:
        case App(fn="Real.pi"):
            return math.pi
        case App(fn="Real.log", args=(a,)):
            x = approx(a)
            return None if x is None else (0.0 if x == 0 else math.log(abs(x)))
        case App(fn=fn, args=(a,)) if fn in _FLOAT_FUNS:
            x = approx(a)
            return None if x is None or abs(x) > 50 else _FLOAT_FUNS[fn](x)
        case App(fn="Real.sqrt", args=(a,)):
            x = approx(a)
            return None if x is None else math.sqrt(max(x, 0.0))
        case App(fn="Inv.inv", args=(a,)):
            x = approx(a)
            return None if x is None else (0.0 if x == 0 else 1 / x)
        case BinOp(op=op, lhs=a, rhs=b) if t.ty == REAL and op in "+-*/^":
            x = approx(a)
            y = approx(b)
            if x is None or y is None:
                return None
            if op == "/":
                return 0.0 if y == 0 else x / y
            return {"+": x + y, "-": x - y, "*": x * y}[op] if op != "^" else x ** int(y)
        case Neg(arg=a):
            x = approx(a)
            return None if x is None else -x
        case Abs(arg=a):
            x = approx(a)
            return None if x is None else abs(x)
    return None


APPROXIMATE: set[str] = set()  # entries decided in floating point (transcendental functions)


def holds(p: Prop, rng: random.Random, entry: str = "") -> bool | None:
    """The truth of a ground proposition (``None``: not decidable here). Exact whenever
    ``arith.evaluate`` gives values; otherwise (``exp``/``log``/``sin``/``cos``/``π``) in
    floating point with a relative tolerance, undecided within it."""
    match p:
        case Bool_(value=v):
            return v
        case Rel(op=op, lhs=a, rhs=b):
            x, y = evaluate(a), evaluate(b)
            if x is None or y is None:
                fx, fy = approx(a), approx(b)
                if fx is None or fy is None:
                    return None
                if entry:
                    APPROXIMATE.add(entry)
                tol = 1e-9 * (1 + abs(fx) + abs(fy))
                if abs(fx - fy) <= tol:
                    return {"=": True, "≠": False, "≤": True, "≥": True}.get(op)
                return {"=": False, "≠": True, "<": fx < fy, "≤": fx < fy, ">": fx > fy, "≥": fx > fy}[op]
            return {"=": x == y, "≠": x != y, "<": x < y, "≤": x <= y, ">": x > y, "≥": x >= y}[op]
        case ModEq(lhs=a, rhs=b, modulus=m):
            x, y = evaluate(BinOp("%", a, m, a.ty)), evaluate(BinOp("%", b, m, b.ty))
            return None if x is None or y is None else x == y
        case Pred(fn=fn, args=(a,)) if fn in ("Even", "Odd"):
            x = evaluate(a)
            if x is None:
                return None
            return (x % 2 == 0) == (fn == "Even")
        case Dvd(lhs=a, rhs=b):
            x, y = evaluate(a), evaluate(b)
            if x is None or y is None:
                return None
            return y == 0 if x == 0 else (y / x).denominator == 1
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            x, y = holds(a, rng, entry), holds(b, rng, entry)
            if isinstance(p, And) and (x is False or y is False):
                return False
            if isinstance(p, Or) and (x is True or y is True):
                return True
            if isinstance(p, Imp) and (x is False or y is True):
                return True
            if x is None or y is None:
                return None
            return {And: x and y, Or: x or y, Imp: (not x) or y, Iff: x == y}[type(p)]
        case Not(arg=a):
            x = holds(a, rng, entry)
            return None if x is None else not x
        case Forall(var=v, ty=ty, body=b):
            results = [holds(subst_prop(b, {v: Num(_value(ty, rng, []), ty)}), rng, entry) for _ in range(6)]
            if False in results:
                return False
            return None if None in results else True
        case Exists():
            return None
    return None


def check_entry(table: LemmaTable, name: str, ty, seed: int = 0) -> tuple[int, list[str]]:
    """(decided samples, counterexamples) for ``name`` at ``ty``."""
    rng = random.Random(f"{name}/{ty}/{seed}")
    schema = table.instance(name, ty)
    metas = sorted(schema.metas)
    mty = {}
    for p in schema.params:
        if p.meta:
            mty[p.meta] = p.ty
    # implicit metas: their type is found in the props
    hyps = [p.prop for p in schema.params if p.prop is not None]
    for m, t in var_types([schema.concl, *hyps]).items():
        mty.setdefault(m, t)
    decided, bad = 0, []
    for _ in range(TRIES):
        pool: list[Fraction] = []
        binds = {}
        for m in metas:
            mt = mty.get(m, ty)
            if isinstance(mt, FunTy):
                binds[m] = _function(mt, rng)
                continue
            v = _value(mt, rng, pool)
            pool.append(v)
            binds[m] = Num(v, mt)
        entry = f"{name} at {ty}"
        hs = [holds(subst_prop(h, binds), rng, entry) for h in hyps]
        if not all(h is True for h in hs):
            continue
        c = holds(subst_prop(schema.concl, binds), rng, entry)
        if c is None:
            continue
        decided += 1
        if c is False:
            bad.append(", ".join(f"{m[1:]} = {getattr(binds[m], 'value', binds[m])}" for m in metas))
        if decided >= NEEDED and len(bad) == 0 and decided >= 40:
            break
    return decided, bad


ALL = [(name, ty) for name, spec in SPECS.items() for ty in spec.types]

# Entries whose instances cannot be decided at all, listed so nothing is skipped silently
# (the test fails if the list is wrong either way); entries decided only in floating
# point (exp/log/sin/cos/π, irrational square roots) are checked to be exactly those.
UNTESTABLE: set[str] = set()
_TRANSCENDENTAL = ("Real.exp", "Real.log", "Real.sin", "Real.cos", "Real.pi", "Real.sqrt", "⁻¹")


def test_table_is_large_and_parses():
    assert len(SPECS) >= 400
    assert len(TABLE.check_all()) == len(ALL)


def test_every_entry_holds_on_random_instances():
    APPROXIMATE.clear()
    failures, undecided = [], []
    for name, ty in ALL:
        decided, bad = check_entry(TABLE, name, ty)
        if bad:
            failures.append(f"{name} at {ty}: false for {bad[0]}")
        elif decided < NEEDED:
            undecided.append(f"{name} at {ty}")
    assert not failures, "\n".join(failures)
    assert set(undecided) == UNTESTABLE, undecided
    assert len(UNTESTABLE) <= 0.01 * len(ALL)
    approximate = {e.split(" at ")[0] for e in APPROXIMATE}
    text = {n: SPECS[n].conclusion + " ".join(b.what for b in SPECS[n].binders) for n in approximate}
    assert all(any(f in text[n] for f in _TRANSCENDENTAL) for n in approximate), approximate
    assert len(approximate) <= 0.15 * len(SPECS)


@pytest.mark.parametrize("entry, ty", [
    ("theorem bad_sub_nonneg {a b : α} : 0 ≤ a - b ↔ a ≤ b", RAT),          # sides swapped
    ("theorem bad_pow {a : α} (H : 0 ≤ a) (n : ℕ) : 0 < a ^ n", REAL),      # ≤ typo'd as <
    ("theorem bad_sub_add (a b : α) : a - b + b = a", NAT),                  # false on ℕ (truncation)
    ("theorem bad_div {a b : α} (hb : 0 < b) : a / b ≤ a", RAT),             # needs 0 ≤ a and 1 ≤ b
    ("theorem bad_mod (a b : α) : a % b < b", INT),                         # b ≤ 0
    ("theorem bad_sqrt {x : α} : Real.sqrt (x ^ 2) = x", REAL),              # |x|
    ("theorem bad_abs (a b : α) : |a - b| ≤ |a| - |b|", INT),
    ("theorem bad_cos_add (x y : α) : Real.cos (x + y) = Real.cos x * Real.cos y + Real.sin x * Real.sin y",
     REAL),
    ("theorem bad_log {x : α} (hx : 0 < x) : Real.log x ≤ x - 2", REAL),
    ("theorem bad_even {n : α} : Even (n + 1) ↔ Even n", NAT),
    ("theorem bad_floor (r : α) : r ≤ ↑(Int.floor r)", RAT),
    ("theorem bad_modeq {n a b : α} : a ≡ (b) [ZMOD n] ↔ n ∣ a + b", INT),
    ("theorem bad_sum (f : ℕ → α) (n : ℕ) : "
     "∑ x in Finset.range (n + 1), f x = ∑ x in Finset.range n, f x + f (n + 1)", INT),
])
def test_a_wrong_entry_is_caught(entry, ty):
    section = {NAT: "NAT", INT: "INT", RAT: "FIELD", REAL: "REAL"}[ty]
    specs = load_specs(f"section {section}\n{entry}\nend\n")
    table = LemmaTable(parse_prop, specs)
    (name,) = specs
    decided, bad = check_entry(table, name, ty)
    assert bad, f"{name}: the checker did not find a counterexample ({decided} samples)"


def test_the_true_versions_pass_the_same_checker():
    specs = load_specs("section FIELD\ntheorem ok_div {a b : α} (ha : 0 ≤ a) (hb : 1 ≤ b) : a / b ≤ a\nend\n")
    table = LemmaTable(parse_prop, specs)
    decided, bad = check_entry(table, "ok_div", RAT)
    assert decided >= NEEDED and not bad


@pytest.mark.parametrize("text, message", [
    ("section FIELD\ntheorem x (a : α) 0 ≤ a\nend\n", "expected ':'"),
    ("section NOPE\ntheorem x (a : α) : 0 ≤ a\nend\n", "unknown type class"),
    ("theorem x (a : α) : 0 ≤ a\n", "outside a section"),
    ("section RING\nalias y := nothing\nend\n", "alias of an unknown entry"),
    ("section RING\ntheorem x (a : α) : 0 ≤ a\ntheorem x (a : α) : 0 ≤ a\nend\n", "duplicate"),
])
def test_malformed_entries_fail_loudly(text, message):
    with pytest.raises(LemmaTableError, match=message):
        load_specs(text)


def test_an_entry_the_parser_rejects_fails_check_all():
    specs = load_specs("section REAL\ntheorem bad_exp (x : α) : 0 < notAFunction x\nend\n")
    with pytest.raises(LemmaTableError, match="bad_exp"):
        LemmaTable(parse_prop, specs).check_all()


def test_old_and_new_names_are_both_present():
    for name in ("div_le_div_iff", "sub_nonneg", "add_pow_two", "mul_self_abs", "abs_sub_lt_iff",
                 "Nat.succ_le_iff", "pow_le_pow_left", "le_div_iff", "le_div_iff₀", "sq_sqrt",
                 "Real.sq_sqrt", "Real.sqrt_pos", "le_of_sub_nonneg", "div_le_div_of_le_left",
                 "add_left_neg", "neg_add_cancel", "two_mul", "mul_comm"):
        assert name in SPECS, name


def test_instances_are_cached_and_metas_are_marked():
    a = TABLE.instance("sub_nonneg", REAL)
    assert TABLE.instance("sub_nonneg", REAL) is a
    assert a.metas == frozenset({"?a", "?b"})
    with pytest.raises(ValueError, match="does not apply to ℕ"):
        TABLE.instance("sub_nonneg", NAT)
