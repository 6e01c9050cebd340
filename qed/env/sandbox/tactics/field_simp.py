"""``field_simp``: clear denominators, as Mathlib's ``field_simp`` (the 2024 simp-set version
that the Lean-verified DeepSeek/Goedel proofs were checked against).

What it does, per location (``at h ⊢``, ``at *``; default the target):

- Each side of a relation over ℚ/ℝ is brought to one fraction ``N / D`` by the field
  laws (``div_add_div``, ``div_add'``, ``add_div'``, ``div_sub_div``, ``div_div``,
  ``div_mul_eq_mul_div``, ``div_pow``, ``neg_div``); a numeral fraction ``3 / 4`` and a
  decimal ``0.5`` count as fractions. A division ``a / b`` is combined only when ``b``'s
  numerator is provably ``≠ 0`` (see below); otherwise that division stays as it is.
  Equal denominators are combined without multiplying (``div_add_div_same``).
- ``=``: cross-multiplied, ``N₁ * D₂ = N₂ * D₁`` (``div_eq_div_iff``), ``N₁ = N₂ * D₁``
  (``div_eq_iff``), ``N₁ * D₂ = N₂`` (``eq_div_iff``), ``N₁ = N₂`` for equal
  denominators (``div_left_inj'``); ``≠`` is ``¬ (… = …)`` the same way (``ne_eq``).
- ``<``/``≤`` (``>``/``≥`` turned around, as simp's ``gt_iff_lt``/``ge_iff_le``): each
  side becomes one fraction and the relation stays; Lean's ``field_simp`` of that
  Mathlib did not cross-multiply inequalities, and the real proofs continue with
  ``rw [div_le_div_iff (by positivity) (by positivity)]`` or ``rw [le_div_iff …]``.
- A result ``a = a`` / ``a ≤ a`` closes the goal (simp's ``eq_self``/``le_refl``).

"Provably ≠ 0" (Lean's ``FieldSimp.discharge``: assumption, ``norm_num``, positivity,
``mul_ne_zero``/``pow_ne_zero``): a non-zero numeral; a product, power, quotient or
negation of such; a hypothesis or hint ``a ≠ b``, ``a < b`` or ``a > b`` for ``e`` equal to
``a - b`` or ``b - a`` up to ring normalisation (``e ≠ 0``, ``0 < e``; ``x ≠ 1`` for
``x - 1``, as simp's ``sub_ne_zero`` lets Lean's discharger do; slightly stronger than
Lean's syntactic ``assumption``); ``positivity`` with the context and hints.

Hints (``field_simp [h₁.ne', h₂, mul_comm]``): those that elaborate to facts are used by
the discharger; lemma names that are only simp lemmas (``mul_comm``, ``sub_eq_zero`` …)
are accepted and ignored, which only makes the result less simplified than Lean's.
Sound: every rewrite is an equivalence under the ``≠ 0`` facts it checked, so the new
goal implies the old one and a rewritten hypothesis follows from the old one.
No change anywhere: "simp made no progress".
"""

from __future__ import annotations

from fractions import Fraction

from qed.env.sandbox.arith import evaluate, positivity, ring_equal
from qed.env.sandbox.arith.linear import split_conjunctions
from qed.env.sandbox.ast import (
    RAT,
    REAL,
    BinOp,
    Bool_,
    HypDecl,
    Neg,
    Not,
    Num,
    Prop,
    Rel,
    SGoal,
    Term,
)
from qed.env.sandbox.tactics.args import take_hints, take_location
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, find_hyp, remove_decls, replace_hyp
from qed.env.sandbox.tactics.proofterm import elab

FIELDS = (RAT, REAL)
_TRUE = Bool_(True)
_FLIP = {">": "<", "≥": "≤"}

Frac = tuple[Term, Term | None]  # numerator, denominator (None: 1)


def _one(t: Term) -> bool:
    return isinstance(t, Num) and t.value == 1


def _mul(a: Term, b: Term) -> Term:
    if _one(a):
        return b
    if _one(b):
        return a
    if _zero(a) or _zero(b):  # zero_mul / mul_zero
        return Num(Fraction(0), a.ty)
    return BinOp("*", a, b, a.ty)


def _zero(t: Term) -> bool:
    return isinstance(t, Num) and t.value == 0


def _mul_den(a: Term | None, b: Term | None) -> Term | None:
    if a is None:
        return b
    if b is None:
        return a
    return _mul(a, b)


def join(f: Frac) -> Term:
    n, d = f
    return n if d is None else BinOp("/", n, d, n.ty)


class Normaliser:
    """Brings field terms to ``N / D`` with the ``≠ 0`` facts of one goal."""

    def __init__(self, facts: list[Prop], goal: SGoal, ctx: Ctx) -> None:
        self.facts = split_conjunctions(facts)
        self.context = goal.context + tuple(HypDecl(f"_hint{i}", p) for i, p in enumerate(self.facts))
        self.ctx = ctx
        self._nz: dict[Term, bool] = {}

    # -- the discharger --
    def nonzero(self, t: Term) -> bool:
        r = self._nz.get(t)
        if r is None:
            r = self._nz[t] = self._nonzero(t)
        return r

    def _nonzero(self, t: Term) -> bool:
        v = evaluate(t)
        if v is not None:
            return v != 0
        if isinstance(t, BinOp) and t.op in ("*", "/") and t.ty in FIELDS:
            return self.nonzero(t.lhs) and self.nonzero(t.rhs)
        if isinstance(t, BinOp) and t.op == "^":
            return self.nonzero(t.lhs)
        if isinstance(t, Neg):
            return self.nonzero(t.arg)
        for p in self.facts:
            if isinstance(p, Not) and isinstance(p.arg, Rel) and p.arg.op == "=":
                p = Rel("≠", p.arg.lhs, p.arg.rhs)
            if not isinstance(p, Rel) or p.op not in ("≠", "<", ">") or p.lhs.ty != t.ty:
                continue
            for a, b in ((p.lhs, p.rhs), (p.rhs, p.lhs)):  # a ≠ b: a - b ≠ 0 (sub_ne_zero)
                if _same(BinOp("-", a, b, t.ty), t):
                    return True
        return positivity(Rel("≠", t, Num(Fraction(0), t.ty)), self.context)

    # -- terms --
    def frac(self, t: Term) -> Frac:
        self.ctx.check()
        if t.ty not in FIELDS:
            return t, None
        if isinstance(t, Num):
            v = t.value
            if v.denominator != 1:
                return Num(Fraction(v.numerator), t.ty), Num(Fraction(v.denominator), t.ty)
            return t, None
        if isinstance(t, Neg):
            n, d = self.frac(t.arg)
            return Neg(n, t.ty), d
        if not isinstance(t, BinOp):
            return t, None
        op = t.op
        if op == "^":
            n, d = self.frac(t.lhs)
            if d is None:
                return BinOp("^", n, t.rhs, t.ty), None
            return BinOp("^", n, t.rhs, t.ty), BinOp("^", d, t.rhs, t.ty)
        if op in ("+", "-"):
            (na, da), (nb, db) = self.frac(t.lhs), self.frac(t.rhs)
            if da is None and db is None:
                return BinOp(op, na, nb, t.ty), None
            if da is not None and db is not None and da == db:
                return BinOp(op, na, nb, t.ty), da
            if db is None:
                return BinOp(op, na, _mul(nb, da), t.ty), da
            if da is None:
                return BinOp(op, _mul(na, db), nb, t.ty), db
            return BinOp(op, _mul(na, db), _mul(da, nb), t.ty), _mul(da, db)
        if op == "*":
            (na, da), (nb, db) = self.frac(t.lhs), self.frac(t.rhs)
            return _mul(na, nb), _mul_den(da, db)
        if op == "/":
            (na, da), (nb, db) = self.frac(t.lhs), self.frac(t.rhs)
            if _one(nb) and db is None:
                return na, da
            if not self.nonzero(nb):
                return BinOp("/", join((na, da)), join((nb, db)), t.ty), None
            num = na if db is None else _mul(na, db)
            return num, _mul_den(da, nb)
        return t, None

    # -- propositions --
    def prop(self, p: Prop) -> Prop:
        if isinstance(p, Not):
            inner = self.prop(p.arg)
            return Not(inner) if not isinstance(inner, Bool_) else Bool_(not inner.value)
        if not isinstance(p, Rel) or p.lhs.ty not in FIELDS:
            return p
        op, lhs, rhs = p.op, p.lhs, p.rhs
        if op in _FLIP:
            op, lhs, rhs = _FLIP[op], rhs, lhs
        (n1, d1), (n2, d2) = self.frac(lhs), self.frac(rhs)
        if op in ("=", "≠"):
            if d1 is not None and d2 is not None and d1 == d2:
                a, b = n1, n2
            else:
                a, b = _mul(n1, d2) if d2 is not None else n1, _mul(n2, d1) if d1 is not None else n2
            if a == b:
                return Bool_(op == "=")
            eq = Rel("=", a, b)
            return eq if op == "=" else Not(eq)
        a, b = join((n1, d1)), join((n2, d2))
        if a == b and op == "≤":
            return _TRUE
        return Rel(op, a, b)


def _same(a: Term, b: Term) -> bool:
    if a == b:
        return True
    try:
        return ring_equal(a, b)
    except (TypeError, ValueError):
        return False


def _hint_facts(srcs: list[str], goal: SGoal, ctx: Ctx) -> list[Prop]:
    out: list[Prop] = []
    for src in srcs:
        try:
            out.append(elab(src, goal, ctx))
        except (TacticFailure, TypeError, ValueError, KeyError, AttributeError):
            continue  # a simp lemma the sandbox does not model: ignored (weaker, never unsound)
    return out


def field_simp(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    rest, loc = take_location(args)
    rest, hints, _only = take_hints(rest)
    if rest.strip():
        raise TacticFailure(f"field_simp: unexpected '{rest.strip()}'")
    facts = _hint_facts([h.src for h in hints], goal, ctx)
    names = ([d.name for d in goal.context if isinstance(d, HypDecl)] if loc.everywhere else list(loc.hyps))
    progress = False
    for name in names:
        hyp = find_hyp(goal, name)
        others = [d.prop for d in goal.context if isinstance(d, HypDecl) and d is not hyp]
        norm = Normaliser(facts + others, goal, ctx)
        new = norm.prop(hyp.prop)
        if new == hyp.prop:
            continue
        progress = True
        if new == Bool_(False):
            return ()
        goal = remove_decls(goal, {name}) if new == _TRUE else replace_hyp(goal, name, new)
    if loc.goal:
        hyps = [d.prop for d in goal.context if isinstance(d, HypDecl)]
        new = Normaliser(facts + hyps, goal, ctx).prop(goal.target)
        if new == _TRUE:
            return ()
        if new != goal.target:
            progress = True
            goal = SGoal(goal.context, new, goal.tag)
    if not progress:
        raise TacticFailure("simp made no progress")
    return (goal,)
