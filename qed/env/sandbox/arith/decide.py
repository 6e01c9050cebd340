"""``decide``: evaluation of ground decidable propositions, and ground truth values.

Owns ``prop_value`` (the truth value of a proposition whose terms are ground, or
``None``), term substitution for quantifier instantiation, and ``decide``. It does not
simplify or rewrite (that is ``norm_num.py``).

What ``decide`` accepts (Lean's ``Decidable`` instances that kernel evaluation handles):
ground ``= ≠ < ≤ > ≥`` and ``∣`` over ℕ and ℤ (and ℚ, which has decidable order), the
connectives ``¬ ∧ ∨ → ↔``, ``True``/``False``, and quantifiers over ℕ bounded by a numeral
(``∀ x < 10, P x``, ``∀ x, x ≤ 10 → P x``, ``∃ x < 10, P x``, ``∃ x, x < 10 ∧ P x``) with
at most ``MAX_INSTANCES`` values; and, through ``special.prop_value``, the ground
competition predicates Lean's kernel decides: ``Nat.Prime p``, ``Even n``/``Odd n`` (ℕ, ℤ),
``Nat.Coprime a b``, ``a ≡ b [MOD n]``/``[ZMOD n]``, membership ``x ∈ s``/``x ∉ s`` in a
ground ``Finset``/``List`` (``Finset.range``, ``Icc``…, ``filter``, ``Nat.divisors``,
literals), with terms built from ``Nat.gcd``/``lcm``, ``Nat.factorial``, ``Nat.choose``,
``Nat.digits``, ``∑``/``∏`` over ground finsets. Anything with a sub-term over ℝ (``⌊x⌋``
of a real, a cast to ℝ), ℂ, ℝ≥0, a ``Set``, or with a free variable, is ``None`` (Lean:
"failed to synthesize Decidable" or a stuck reduction): such goals are ``norm_num``'s.
``Prime``/``Irrational`` have no ``Decidable`` instance and are ``None`` here too.
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
    BigOp,
    BinOp,
    Bool_,
    Cast,
    Coll,
    Dvd,
    Exists,
    Forall,
    FunTy,
    Iff,
    Imp,
    Lam,
    Mem,
    ModEq,
    Neg,
    Not,
    Num,
    Or,
    Pred,
    Prop,
    Rel,
    SetTy,
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
        case Pred(fn=fn) if fn in _KERNEL_PREDS:
            return _special(p)
        case Mem(coll=c) if isinstance(c.ty, SetTy) and c.ty.kind in ("Finset", "List"):
            return _special(p)
        case ModEq():
            return _special(p)
        case Forall(var=x, ty=ty, body=Imp(lhs=guard, rhs=body)) if ty == NAT:
            return _bounded(x, guard, body, universal=True, types=types)
        case Exists(var=x, ty=ty, body=And(lhs=guard, rhs=body)) if ty == NAT:
            return _bounded(x, guard, body, universal=False, types=types)
    return None


_KERNEL_PREDS = frozenset({"Nat.Prime", "Even", "Odd", "Nat.Coprime"})


def _special(p: Prop) -> bool | None:
    from qed.env.sandbox.arith.special import prop_value as special_value

    return special_value(p)


def _kernel_ty(ty: object) -> bool:
    if isinstance(ty, SetTy):
        return ty.kind in ("Finset", "List") and _kernel_ty(ty.elem)
    if isinstance(ty, FunTy):
        return all(_kernel_ty(d) for d in ty.dom) and (ty.cod in _DECIDABLE or ty.cod.name == "Prop")
    return ty in _DECIDABLE


def kernel_term(t: Term) -> bool:
    """Whether every sub-term of ``t`` has a type Lean's kernel computes with (ℕ ℤ ℚ, and
    finsets/lists/predicates over them): nothing over ℝ, ℂ, ℝ≥0, no ``Set``."""
    if not _kernel_ty(t.ty):
        return False
    k = type(t)
    if k in (Num, Var):
        return True
    if k is BinOp:
        return kernel_term(t.lhs) and kernel_term(t.rhs)
    if k in (Neg, Abs, Cast):
        return kernel_term(t.arg)
    if k is App:
        return all(kernel_term(a) for a in t.args)
    if k is BigOp:
        return _kernel_ty(t.vty) and kernel_term(t.dom) and kernel_term(t.body)
    if k is Lam:
        return _kernel_ty(t.vty) and (kernel_term(t.body) if hasattr(t.body, "ty") else kernel_prop(t.body))
    if k is Coll:
        return all(kernel_term(e) for e in t.elems)
    return False


def kernel_prop(p: Prop) -> bool:
    """``kernel_term`` for every term of ``p`` (binders included)."""
    k = type(p)
    if k is Bool_:
        return True
    if k in (Rel, Dvd):
        return kernel_term(p.lhs) and kernel_term(p.rhs)
    if k in (And, Or, Imp, Iff):
        return kernel_prop(p.lhs) and kernel_prop(p.rhs)
    if k is Not:
        return kernel_prop(p.arg)
    if k in (Forall, Exists):
        return _kernel_ty(p.ty) and kernel_prop(p.body)
    if k is Pred:
        return all(kernel_term(a) for a in p.args)
    if k is Mem:
        return kernel_term(p.elem) and kernel_term(p.coll)
    if k is ModEq:
        return kernel_term(p.lhs) and kernel_term(p.rhs) and kernel_term(p.modulus)
    return False


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
    if not kernel_prop(p):
        return None
    return prop_value(p)
