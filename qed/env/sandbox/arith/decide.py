"""``decide``: evaluation of ground decidable propositions, and ground truth values.

Owns ``prop_value`` (the truth value of a proposition whose terms are ground, or
``None``), term substitution for quantifier instantiation, and ``decide``. It does not
simplify or rewrite (that is ``norm_num.py``).

What ``decide`` accepts (Lean's ``Decidable`` instances that kernel evaluation handles):
ground ``= ≠ < ≤ > ≥`` and ``∣`` over ℕ and ℤ (and ℚ, which has decidable order), the
connectives ``¬ ∧ ∨ → ↔``, ``True``/``False``, and quantifiers over ℕ bounded by a numeral
(``∀ x < 10, P x``, ``∀ x, x ≤ 10 → P x``, ``∃ x < 10, P x``, ``∃ x, x < 10 ∧ P x``) with
at most ``MAX_INSTANCES`` values. Anything over ℝ, or with a free variable, is ``None``
(Lean: "failed to synthesize Decidable").
"""

from __future__ import annotations

from fractions import Fraction

from qed.env.sandbox.arith.evaluate import evaluate
from qed.env.sandbox.ast import (
    INT,
    NAT,
    RAT,
    Abs,
    And,
    App,
    BinOp,
    Bool_,
    Cast,
    Dvd,
    Exists,
    Forall,
    Iff,
    Imp,
    Neg,
    Not,
    Num,
    Or,
    Prop,
    Rel,
    Term,
    Var,
)

MAX_INSTANCES = 2_000

_DECIDABLE = (NAT, INT, RAT)


def substitute(t: Term, name: str, value: Term) -> Term:
    """``t`` with the free variable ``name`` replaced by ``value``."""
    match t:
        case Var(name=n) if n == name:
            return value
        case Num() | Var():
            return t
        case BinOp(op=op, lhs=a, rhs=b, ty=ty):
            return BinOp(op, substitute(a, name, value), substitute(b, name, value), ty)
        case Neg(arg=a, ty=ty):
            return Neg(substitute(a, name, value), ty)
        case Abs(arg=a, ty=ty):
            return Abs(substitute(a, name, value), ty)
        case Cast(arg=a, ty=ty):
            return Cast(substitute(a, name, value), ty)
        case App(fn=fn, args=args, ty=ty):
            return App(fn, tuple(substitute(a, name, value) for a in args), ty)
    return t


def substitute_prop(p: Prop, name: str, value: Term) -> Prop:
    """``p`` with the free variable ``name`` replaced by ``value`` (binders respected)."""
    match p:
        case Rel(op=op, lhs=a, rhs=b):
            return Rel(op, substitute(a, name, value), substitute(b, name, value))
        case Dvd(lhs=a, rhs=b):
            return Dvd(substitute(a, name, value), substitute(b, name, value))
        case And(lhs=a, rhs=b):
            return And(substitute_prop(a, name, value), substitute_prop(b, name, value))
        case Or(lhs=a, rhs=b):
            return Or(substitute_prop(a, name, value), substitute_prop(b, name, value))
        case Imp(lhs=a, rhs=b):
            return Imp(substitute_prop(a, name, value), substitute_prop(b, name, value))
        case Iff(lhs=a, rhs=b):
            return Iff(substitute_prop(a, name, value), substitute_prop(b, name, value))
        case Not(arg=a):
            return Not(substitute_prop(a, name, value))
        case Forall(var=v, ty=ty, body=body, bounded=bd) if v != name:
            return Forall(v, ty, substitute_prop(body, name, value), bd)
        case Exists(var=v, ty=ty, body=body, bounded=bd) if v != name:
            return Exists(v, ty, substitute_prop(body, name, value), bd)
    return p


def dvd_value(a: Fraction, b: Fraction) -> bool | None:
    """``a ∣ b`` on integers (``∃ c, b = a * c``): ``0 ∣ b ↔ b = 0``."""
    if a.denominator != 1 or b.denominator != 1:
        return None
    if a == 0:
        return b == 0
    return b.numerator % a.numerator == 0


def rel_value(op: str, a: Fraction, b: Fraction) -> bool:
    return {"=": a == b, "≠": a != b, "<": a < b, "≤": a <= b, ">": a > b, "≥": a >= b}[op]


def _upper_bound(guard: Prop, var: str) -> int | None:
    """The number of ℕ values ``x`` satisfying a guard ``x < k`` / ``x ≤ k`` (numeral ``k``)."""
    if isinstance(guard, Rel) and isinstance(guard.lhs, Var) and guard.lhs.name == var:
        k = evaluate(guard.rhs)
        if k is None or k.denominator != 1:
            return None
        if guard.op == "<":
            return max(int(k), 0)
        if guard.op == "≤":
            return max(int(k) + 1, 0)
    return None


def prop_value(p: Prop, types: tuple = _DECIDABLE) -> bool | None:
    """The truth value of ``p`` when every comparison in it is ground over ``types``."""
    match p:
        case Bool_(value=v):
            return v
        case Rel(op=op, lhs=a, rhs=b):
            if a.ty not in types:
                return None
            va, vb = evaluate(a), evaluate(b)
            return None if va is None or vb is None else rel_value(op, va, vb)
        case Dvd(lhs=a, rhs=b):
            va, vb = evaluate(a), evaluate(b)
            return None if va is None or vb is None else dvd_value(va, vb)
        case Not(arg=a):
            v = prop_value(a, types)
            return None if v is None else not v
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            va, vb = prop_value(a, types), prop_value(b, types)
            if va is None or vb is None:
                return None
            if isinstance(p, And):
                return va and vb
            if isinstance(p, Or):
                return va or vb
            if isinstance(p, Imp):
                return (not va) or vb
            return va == vb
        case Forall(var=x, ty=ty, body=Imp(lhs=guard, rhs=body)) if ty == NAT:
            return _bounded(x, guard, body, universal=True, types=types)
        case Exists(var=x, ty=ty, body=And(lhs=guard, rhs=body)) if ty == NAT:
            return _bounded(x, guard, body, universal=False, types=types)
    return None


def _bounded(x: str, guard: Prop, body: Prop, *, universal: bool, types: tuple) -> bool | None:
    n = _upper_bound(guard, x)
    if n is None or n > MAX_INSTANCES:
        return None
    for i in range(n):
        v = prop_value(substitute_prop(body, x, Num(Fraction(i), NAT)), types)
        if v is None:
            return None
        if v != universal:
            return v
    return universal


def decide(p: Prop) -> bool | None:
    """``True``/``False`` for a decidable ground proposition (see module docstring), else ``None``.

    The tactic ``decide`` succeeds only on ``True``; ``False`` means the proposition is
    decidably false.
    """
    return prop_value(p)
