"""``positivity``: syntactic proofs of ``0 < e``, ``0 ≤ e`` and ``e ≠ 0``.

Owns the recursive sign analysis of a term, following Mathlib's ``positivity`` core and
its extensions (``Mathlib.Tactic.Positivity.Core``/``Basic``). It does not do any
arithmetic reasoning beyond that (no linear combinations), like the Lean tactic.

For a subterm ``e`` the analysis finds the strongest of *positive*, *nonnegative*,
*nonzero* (positive implies the other two), in this order (Mathlib's ``core``):

1. Extensions by head symbol:
   numerals (by value); ``a + b`` (pos if one is pos and the other nonneg, nonneg if
   both nonneg); ``a * b`` (pos·pos pos, nonneg·nonneg nonneg, nonzero·nonzero nonzero);
   ``a / b`` in ℚ/ℝ (same rules as ``*``), in ℤ (nonneg/nonneg nonneg), in ℕ always
   nonneg; ``a ^ n`` (``n = 0``: pos; even numeral ``n``: nonneg, pos if ``a ≠ 0``;
   otherwise the sign of ``a`` carries over: pos, nonneg, nonzero); ``|a|`` (nonneg, pos
   if ``a ≠ 0``); casts (sign carried over; a cast of ℕ is at least nonneg);
   ``Real.sqrt a`` (nonneg, pos if ``a`` pos); ``Real.exp``, ``Nat.factorial``,
   ``Nat.succ``, ``Real.pi`` (pos); ``min`` (both), ``max`` (either);
   ``Int.floor a`` (nonneg if ``a`` nonneg), ``Int.ceil a`` (pos/nonneg as ``a``),
   ``Int.natAbs a`` (pos if ``a ≠ 0``).
2. Ground terms: their exact value (``normNumPositivity``).
3. ℕ-valued terms are nonneg (``positivityCanon``).
4. Hypotheses comparing exactly this ``e`` (``compareHyp``): ``c ≤ e``/``c < e`` (also
   written ``e ≥ c``/``e > c``) with a numeral ``c``, ``e = c``, ``e ≠ 0``/``0 ≠ e``.

Subtraction and negation of non-numerals have no extension (``positivity`` fails on
``x - y``, except in ℕ where everything is nonneg). Variables of ℝ/ℤ/ℚ type carry no sign
unless a hypothesis gives one.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from qed.env.sandbox.arith.evaluate import evaluate, function_name
from qed.env.sandbox.arith.poly import canonical_atom
from qed.env.sandbox.ast import (
    INT,
    NAT,
    Abs,
    App,
    BinOp,
    Cast,
    Decl,
    HypDecl,
    Num,
    Prop,
    Rel,
    Term,
)


@dataclass(frozen=True)
class Sign:
    """What is known about a term's sign: ``pos`` implies ``nonneg`` and ``nonzero``."""

    pos: bool = False
    nonneg: bool = False
    nonzero: bool = False

    def join(self, other: Sign) -> Sign:
        return Sign(self.pos or other.pos, self.nonneg or other.nonneg, self.nonzero or other.nonzero)


NONE = Sign()
POS = Sign(True, True, True)
NONNEG = Sign(nonneg=True)
NONZERO = Sign(nonzero=True)


def _of_value(v: Fraction) -> Sign:
    return POS if v > 0 else NONNEG if v == 0 else NONZERO


class _Analysis:
    def __init__(self, hyps: list[Prop]) -> None:
        self.facts: dict[Term, Sign] = {}
        for h in hyps:
            self._learn(h)

    def _learn(self, h: Prop) -> None:
        if not isinstance(h, Rel):
            return
        op, lhs, rhs = h.op, h.lhs, h.rhs
        if op in (">", "≥"):
            op, lhs, rhs = {">": "<", "≥": "≤"}[op], rhs, lhs
        lo, hi = evaluate(lhs), evaluate(rhs)
        if op in ("<", "≤") and lo is not None and hi is None:
            if lo > 0 or (lo == 0 and op == "<"):
                self._add(rhs, POS)
            elif lo == 0:
                self._add(rhs, NONNEG)
        elif op in ("=", "≠"):
            for e, c in ((lhs, hi), (rhs, lo)):
                if c is not None and evaluate(e) is None:
                    if op == "=":
                        self._add(e, _of_value(c))
                    elif c == 0:
                        self._add(e, NONZERO)

    def _add(self, e: Term, s: Sign) -> None:
        key = canonical_atom(e)
        self.facts[key] = self.facts.get(key, NONE).join(s)

    def sign(self, e: Term) -> Sign:
        s = self._structural(e)
        if s.pos:
            return s
        v = evaluate(e)
        if v is not None:
            return _of_value(v)
        if e.ty == NAT:
            s = s.join(NONNEG)
        return s.join(self.facts.get(canonical_atom(e), NONE))

    def _structural(self, e: Term) -> Sign:
        match e:
            case Num(value=v):
                return _of_value(v)
            case BinOp(op="+", lhs=a, rhs=b):
                sa, sb = self.sign(a), self.sign(b)
                if (sa.pos and sb.nonneg) or (sb.pos and sa.nonneg):
                    return POS
                return NONNEG if sa.nonneg and sb.nonneg else NONE
            case BinOp(op="*", lhs=a, rhs=b):
                return _mul(self.sign(a), self.sign(b))
            case BinOp(op="/", lhs=a, rhs=b, ty=ty):
                sa, sb = self.sign(a), self.sign(b)
                if ty == NAT:
                    return NONNEG
                if ty == INT:
                    return NONNEG if sa.nonneg and sb.nonneg else NONE
                return _mul(sa, sb)
            case BinOp(op="^", lhs=a, rhs=n):
                return self._pow(a, n)
            case Abs(arg=a):
                return POS if self.sign(a).nonzero else NONNEG
            case Cast(arg=a):
                s = self.sign(a)
                return s.join(NONNEG) if a.ty == NAT else s
            case App(fn=fn, args=args):
                return self._app(function_name(fn), args)
        return NONE

    def _pow(self, a: Term, n: Term) -> Sign:
        k = evaluate(n)
        if k == 0:
            return POS
        sa = self.sign(a)
        if k is not None and k.denominator == 1 and k % 2 == 0:
            return POS if sa.nonzero else NONNEG
        if sa.pos:
            return POS
        return Sign(nonneg=sa.nonneg, nonzero=sa.nonzero)

    def _app(self, name: str | None, args: tuple[Term, ...]) -> Sign:
        if name in ("exp", "factorial", "succ", "pi"):
            return POS
        if len(args) == 1:
            sa = self.sign(args[0])
            if name == "sqrt":
                return POS if sa.pos else NONNEG
            if name == "floor":
                return NONNEG if sa.nonneg else NONE
            if name == "ceil":
                return POS if sa.pos else NONNEG if sa.nonneg else NONE
            if name == "natAbs":
                return POS if sa.nonzero else NONNEG
        if len(args) == 2 and name in ("min", "max"):
            sa, sb = self.sign(args[0]), self.sign(args[1])
            if name == "min":
                return POS if sa.pos and sb.pos else NONNEG if sa.nonneg and sb.nonneg else NONE
            return POS if sa.pos or sb.pos else NONNEG if sa.nonneg or sb.nonneg else NONE
        return NONE


def _mul(sa: Sign, sb: Sign) -> Sign:
    if sa.pos and sb.pos:
        return POS
    return Sign(nonneg=sa.nonneg and sb.nonneg, nonzero=sa.nonzero and sb.nonzero)


def _is_zero(t: Term) -> bool:
    return isinstance(t, Num) and t.value == 0


def positivity(goal: Prop, context: tuple[Decl, ...]) -> bool:
    """True only if ``goal`` (``0 < e``, ``0 ≤ e``, ``e > 0``, ``e ≥ 0``, ``e ≠ 0``) is proved.

    ``context`` supplies the hypotheses used by ``compareHyp`` (see module docstring).
    Any other goal shape is not a positivity goal: ``False``.
    """
    if not isinstance(goal, Rel):
        return False
    op, lhs, rhs = goal.op, goal.lhs, goal.rhs
    if op in (">", "≥"):
        op, lhs, rhs = {">": "<", "≥": "≤"}[op], rhs, lhs
    if op in ("<", "≤") and _is_zero(lhs):
        e, want = rhs, op
    elif op == "≠" and _is_zero(rhs):
        e, want = lhs, "≠"
    else:
        return False
    hyps = [d.prop for d in context if isinstance(d, HypDecl)]
    s = _Analysis(hyps).sign(e)
    return s.pos if want == "<" else s.nonneg if want == "≤" else s.nonzero
