"""``gcongr``: generalized congruence for ``≤``/``<`` goals (Mathlib's ``gcongr``).

For a target ``f(a₁, …) R f(b₁, …)`` (``R`` one of ``≤ < ≥ >``; ``≥``/``>`` are turned
around) the two sides are walked together; where they differ under a monotone position a
*main goal* ``aᵢ R' bᵢ`` is produced, with *side goals* for the lemma's conditions:

- ``x + y``: ``add_le_add`` / ``add_lt_add_left`` … (``<`` with both summands varying
  asks for both strict, ``add_lt_add``);
- ``x - y``: monotone in ``x``, antitone in ``y`` (``sub_le_sub``, ``sub_lt_sub_left`` …);
  in ℕ only for ``≤`` (``tsub_le_tsub``);
- ``x * y`` with one factor fixed ``c``: ``mul_le_mul_of_nonneg_left``/``_right`` with
  side goal ``0 ≤ c`` (``0 < c`` for ``<``); both varying: ``mul_le_mul`` (side goals
  ``0 ≤ y``, ``0 ≤ x'``) or ``mul_lt_mul''`` (``0 ≤ x``, ``0 ≤ y``);
- ``x / c`` in ℚ/ℝ: ``div_le_div_of_nonneg_right`` (``0 ≤ c``; ``0 < c`` for ``<``);
  ``c / y`` vs ``c / y'``: ``div_le_div_of_nonneg_left`` (main goal ``y' ≤ y``, side goals
  ``0 ≤ c``, ``0 < y'``);
- ``x ^ n`` vs ``x' ^ n`` (same exponent): ``pow_le_pow_left`` (side goal ``0 ≤ x``;
  ``<`` also needs ``n ≠ 0``);
- ``-x`` vs ``-x'``: ``neg_le_neg`` (main goal ``x' ≤ x``).

Positions where the sides have different shapes become main goals; if the roots already
differ in shape, "gcongr did not make progress". Side goals are discharged by
``positivity`` (``gcongr_discharger``) with the context, or by a matching hypothesis;
main goals by a matching hypothesis (``assumption``). What is not discharged is returned,
main goals first. In ℕ every side goal ``0 ≤ c`` holds and is discharged.

Sound: each step is an instance of the monotonicity lemma named above, whose hypotheses
are exactly the goals returned or discharged. The ``gcongr ?_ + _`` pattern form and
``gcongr with x`` are accepted and the pattern ignored (the walk then may produce more
or fewer main goals than Lean's, never unsound ones).
"""

from __future__ import annotations

from fractions import Fraction

from qed.env.sandbox.arith import evaluate, positivity
from qed.env.sandbox.ast import NAT, RAT, REAL, BinOp, HypDecl, Neg, Num, Prop, Rel, SGoal, Term
from qed.env.sandbox.tactics.core import Ctx, TacticFailure
from qed.env.sandbox.tactics.subst import props_match

FIELDS = (RAT, REAL)
_FLIP = {">": "<", "≥": "≤"}


class _Walk:
    def __init__(self) -> None:
        self.main: list[Prop] = []
        self.side: list[Prop] = []

    def rel(self, op: str, a: Term, b: Term) -> None:
        """Reduce ``a op b`` (``op`` ``≤`` or ``<``)."""
        if a == b:
            if op == "<":
                self.main.append(Rel(op, a, b))  # unprovable, reported as it is
            return
        if not self.step(op, a, b):
            self.main.append(Rel(op, a, b))

    def side_nonneg(self, t: Term, strict: bool) -> None:
        zero = Num(Fraction(0), t.ty)
        self.side.append(Rel("<" if strict else "≤", zero, t))

    def step(self, op: str, a: Term, b: Term) -> bool:
        if isinstance(a, Neg) and isinstance(b, Neg):
            self.rel(op, b.arg, a.arg)
            return True
        if not (isinstance(a, BinOp) and isinstance(b, BinOp) and a.op == b.op):
            return False
        ty, o = a.ty, a.op
        x, y, x2, y2 = a.lhs, a.rhs, b.lhs, b.rhs
        if o in ("+", "-"):
            if ty == NAT and o == "-" and op == "<":
                return False  # truncated subtraction is not strictly monotone
            if o == "-":  # antitone in the subtrahend
                y, y2 = y2, y
            if x == x2:
                self.rel(op, y, y2)
            elif y == y2:
                self.rel(op, x, x2)
            else:  # add_le_add / add_lt_add, sub_le_sub / sub_lt_sub (both strict: stronger)
                self.rel(op, x, x2)
                self.rel(op, y, y2)
            return True
        if o == "*":
            strict = op == "<"
            if y == y2:
                self.rel(op, x, x2)
                self.side_nonneg(y, strict)
            elif x == x2:
                self.rel(op, y, y2)
                self.side_nonneg(x, strict)
            elif op == "≤":  # mul_le_mul: a ≤ b → c ≤ d → 0 ≤ c → 0 ≤ b → a * c ≤ b * d
                self.rel("≤", x, x2)
                self.rel("≤", y, y2)
                self.side_nonneg(y, False)
                self.side_nonneg(x2, False)
            else:  # mul_lt_mul'': a < c → b < d → 0 ≤ a → 0 ≤ b → a * b < c * d
                self.rel("<", x, x2)
                self.rel("<", y, y2)
                self.side_nonneg(x, False)
                self.side_nonneg(y, False)
            return True
        if o == "/" and ty in FIELDS:
            if y == y2:
                self.rel(op, x, x2)
                self.side_nonneg(y, op == "<")
                return True
            if x == x2 and op == "≤":  # div_le_div_of_nonneg_left: 0 ≤ a → 0 < c → c ≤ b → a / b ≤ a / c
                self.rel("≤", y2, y)
                self.side_nonneg(x, False)
                self.side_nonneg(y2, True)
                return True
            return False
        if o == "^" and y == y2:
            n = evaluate(y)
            if op == "<" and (n is None or n == 0):
                return False
            self.rel(op, x, x2)
            if ty != NAT:
                self.side_nonneg(x, False)
            return True
        return False


def _discharged(p: Prop, goal: SGoal, hyps: list[Prop], side: bool) -> bool:
    if any(props_match(h, p) for h in hyps):
        return True
    if side and isinstance(p, Rel):
        if p.lhs.ty == NAT and p.op == "≤":
            return True
        return positivity(p, goal.context)
    return False


def gcongr(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    t = goal.target
    if not isinstance(t, Rel) or t.op not in ("≤", "<", "≥", ">"):
        raise TacticFailure("gcongr failed: the goal is not a relation ≤, <, ≥ or >")
    op, a, b = t.op, t.lhs, t.rhs
    if op in _FLIP:
        op, a, b = _FLIP[op], b, a
    w = _Walk()
    if a == b or not w.step(op, a, b):
        raise TacticFailure("gcongr did not make progress")
    ctx.check()
    hyps = [d.prop for d in goal.context if isinstance(d, HypDecl)]
    out: list[SGoal] = []
    for p in w.main:
        if not _discharged(p, goal, hyps, side=False):
            out.append(SGoal(goal.context, p, None))
    for p in w.side:
        if not _discharged(p, goal, hyps, side=True):
            out.append(SGoal(goal.context, p, None))
    return tuple(out)
