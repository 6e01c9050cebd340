"""Casts between ℕ → ℤ → ℚ → ℝ: ``push_cast``, ``norm_cast``, ``exact_mod_cast``,
``assumption_mod_cast``, ``zify``, ``qify`` (Mathlib's ``Nat.cast_*``/``Int.cast_*``
lemmas, applied by their meaning).

``push_cast [hints] at h ⊢`` moves casts to the leaves: ``↑(a + b) = ↑a + ↑b``,
``↑(a * b)``, ``↑(a ^ n)``, ``↑(-a)`` and ``↑(a - b)`` from ℤ/ℚ, ``↑(a / b)`` from ℚ,
numerals ``↑3 = 3``, ``↑↑a = ↑a`` (``Int.cast_natCast`` …). ℕ subtraction ``↑(a - b)``
becomes ``↑a - ↑b`` only when ``b ≤ a`` is a hypothesis or hint (``Nat.cast_sub h``) or
holds on numerals; ℕ ``/`` and ``%`` are left alone.

``norm_cast [at h]``: a comparison whose two sides are built from casts of one source
type (the largest among them; ``↑n`` with ``n : ℕ`` inside an ℤ-cast comparison is
read as ``↑(↑n : ℤ)``), numerals representable there, ``+``, ``*``, ``^`` and (not from
ℕ) ``-``, negation, and (from ℚ) ``/`` is moved down to that type:
``(↑a : ℝ) + 1 < ↑b`` becomes ``a + 1 < b`` (``Nat.cast_lt``, ``Nat.cast_inj`` …). Other
relations are only pushed (``push_cast``) and, if nothing changes anywhere,
"norm_cast made no progress".

``exact_mod_cast e`` / ``assumption_mod_cast``: the target and the type of ``e`` (each
hypothesis) are both normalised (casts pushed to the leaves, then lowered as far as
``norm_cast`` lowers them) and must then agree up to ``>``/``≥`` orientation.

``zify [hints] [at h]`` / ``qify``: ℕ (and for ``qify`` ℤ) comparisons become the same
comparison of the casts in ℤ (ℚ), casts pushed (ℕ subtraction as for ``push_cast``).

Sound: each cast is an injective, order-preserving ring homomorphism on the operations
above, so every rewrite is an equivalence; ℕ subtraction is only distributed with a proof
of ``b ≤ a``.
"""

from __future__ import annotations

from qed.env.sandbox.arith import evaluate
from qed.env.sandbox.arith.linear import split_conjunctions
from qed.env.sandbox.ast import (
    INT,
    NAT,
    NUMERIC,
    RAT,
    And,
    BinOp,
    Cast,
    HypDecl,
    Iff,
    Imp,
    Neg,
    Not,
    Num,
    Or,
    Prop,
    Rel,
    SGoal,
    Term,
)
from qed.env.sandbox.tactics.args import take_hints, take_location
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, find_hyp, replace_hyp
from qed.env.sandbox.tactics.proofterm import elab, show_prop
from qed.env.sandbox.tactics.subst import map_prop_terms, props_match

_RANK = {t: i for i, t in enumerate(NUMERIC)}
_FLIP = {">": "<", "≥": "≤"}


class Pusher:
    """Pushes casts to the leaves, with the ``b ≤ a`` facts for ℕ subtraction."""

    def __init__(self, facts: list[Prop]) -> None:
        self.le: set[tuple[Term, Term]] = set()
        for p in split_conjunctions(facts):
            if isinstance(p, Rel) and p.lhs.ty == NAT:
                if p.op in ("≤", "<"):
                    self.le.add((p.lhs, p.rhs))
                elif p.op in ("≥", ">"):
                    self.le.add((p.rhs, p.lhs))
                elif p.op == "=":
                    self.le.add((p.lhs, p.rhs))
                    self.le.add((p.rhs, p.lhs))

    def _sub_ok(self, a: Term, b: Term) -> bool:
        va, vb = evaluate(a), evaluate(b)
        if va is not None and vb is not None:
            return vb <= va
        return (b, a) in self.le or a == b

    def cast(self, t: Term, ty) -> Term:
        """``(↑t : ty)`` with casts pushed into ``t``."""
        if t.ty == ty:
            return self.push(t)
        if isinstance(t, Num):
            return Num(t.value, ty)
        if isinstance(t, Cast):
            return self.cast(t.arg, ty)
        if isinstance(t, Neg) and t.ty != NAT:
            return Neg(self.cast(t.arg, ty), ty)
        if isinstance(t, BinOp):
            op, a, b = t.op, t.lhs, t.rhs
            if op in ("+", "*"):
                return BinOp(op, self.cast(a, ty), self.cast(b, ty), ty)
            if op == "^":
                return BinOp("^", self.cast(a, ty), self.push(b), ty)
            if op == "-" and (t.ty != NAT or self._sub_ok(a, b)):
                return BinOp("-", self.cast(a, ty), self.cast(b, ty), ty)
            if op == "/" and t.ty == RAT:
                return BinOp("/", self.cast(a, ty), self.cast(b, ty), ty)
        v = evaluate(t)
        if v is not None:
            return Num(v, ty) if v >= 0 else Neg(Num(-v, ty), ty)
        return Cast(self.push(t), ty)

    def push(self, t: Term) -> Term:
        match t:
            case Cast(arg=a, ty=ty):
                return self.cast(a, ty)
            case BinOp(op=op, lhs=a, rhs=b, ty=ty):
                return BinOp(op, self.push(a), self.push(b), ty)
            case Neg(arg=a, ty=ty):
                return Neg(self.push(a), ty)
        return t

    def prop(self, p: Prop) -> Prop:
        return map_prop_terms(p, self.push)


# ---- lowering (norm_cast) ---------------------------------------------------------------


def _sources(t: Term, out: list) -> bool:
    """Collect the source types of the cast leaves of ``t``; False if ``t`` has another leaf."""
    match t:
        case Num():
            return True
        case Cast(arg=a):
            if a.ty in _RANK:
                out.append(a.ty)
                return True
            return False
        case Neg(arg=a):
            return _sources(a, out)
        case BinOp(op=op, lhs=a, rhs=b):
            if op == "^":
                return _sources(a, out) and isinstance(b, Num)
            if op in ("+", "-", "*", "/"):
                return _sources(a, out) and _sources(b, out)
    return False


def _lower(t: Term, src) -> Term | None:
    """The ``src``-typed term whose cast is ``t``, or None if there is none."""
    match t:
        case Num(value=v):
            if src in (NAT, INT) and v.denominator != 1:
                return None
            return Num(v, src)
        case Cast(arg=a):
            if a.ty == src:
                return a
            if _RANK[a.ty] < _RANK[src]:
                return Cast(a, src)
            return None
        case Neg(arg=a):
            if src == NAT:
                return None
            inner = _lower(a, src)
            return None if inner is None else Neg(inner, src)
        case BinOp(op=op, lhs=a, rhs=b):
            if op == "-" and src == NAT:
                return None
            if op == "/" and src != RAT:
                return None
            la = _lower(a, src)
            if la is None:
                return None
            if op == "^":
                return BinOp("^", la, b, src)
            lb = _lower(b, src)
            return None if lb is None else BinOp(op, la, lb, src)
    return None


def lower_rel(r: Rel) -> Rel | None:
    """``r`` moved down to the largest cast source type of its leaves, if it can be."""
    if r.lhs.ty not in _RANK or r.op not in ("=", "≠", "<", "≤", ">", "≥"):
        return None
    srcs: list = []
    if not (_sources(r.lhs, srcs) and _sources(r.rhs, srcs)) or not srcs:
        return None
    src = max(srcs, key=lambda t: _RANK[t])
    if _RANK[src] >= _RANK[r.lhs.ty]:
        return None
    a, b = _lower(r.lhs, src), _lower(r.rhs, src)
    if a is None or b is None:
        return None
    return Rel(r.op, a, b)


def lower_prop(p: Prop) -> Prop:
    match p:
        case Rel():
            r = p
            for _ in range(4):  # ℝ → ℚ → ℤ → ℕ, one source type at a time
                nxt = lower_rel(r)
                if nxt is None:
                    break
                r = nxt
            return r
        case Not(arg=a):
            return Not(lower_prop(a))
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            return type(p)(lower_prop(a), lower_prop(b))
    return p


def normal(p: Prop, pusher: Pusher) -> Prop:
    return lower_prop(pusher.prop(p))


# ---- tactics ------------------------------------------------------------------------------


def _facts(goal: SGoal, hints, ctx: Ctx) -> list[Prop]:
    out = [d.prop for d in goal.context if isinstance(d, HypDecl)]
    for h in hints:
        try:
            out.append(elab(h.src, goal, ctx))
        except (TacticFailure, TypeError, ValueError, KeyError, AttributeError):
            continue  # a lemma name the sandbox does not model (e.g. Nat.cast_sub): ignored
    return out


def _at_locations(goal: SGoal, args: str, ctx: Ctx, name: str, f) -> tuple[SGoal, ...]:
    rest, loc = take_location(args)
    rest, hints, _ = take_hints(rest)
    if rest.strip():
        raise TacticFailure(f"{name}: unexpected '{rest.strip()}'")
    pusher = Pusher(_facts(goal, hints, ctx))
    names = [d.name for d in goal.context if isinstance(d, HypDecl)] if loc.everywhere else list(loc.hyps)
    progress = False
    for h in names:
        ctx.check()
        prop = find_hyp(goal, h).prop
        new = f(prop, pusher)
        if new != prop:
            progress = True
            goal = replace_hyp(goal, h, new)
    if loc.goal:
        new = f(goal.target, pusher)
        if new != goal.target:
            progress = True
            goal = SGoal(goal.context, new, goal.tag)
    if _closed(goal.target):
        return ()
    if not progress:
        raise TacticFailure(f"{name} made no progress")
    return (goal,)


def _closed(p: Prop) -> bool:
    if isinstance(p, Rel) and p.op in ("=", "≤", "≥") and p.lhs == p.rhs:
        return True
    if isinstance(p, Rel):
        va, vb = evaluate(p.lhs), evaluate(p.rhs)
        if va is not None and vb is not None:
            from qed.env.sandbox.arith.decide import rel_value

            return bool(rel_value(p.op, va, vb))
    return False


def push_cast(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    return _at_locations(goal, args, ctx, "push_cast", lambda p, pu: pu.prop(p))


def norm_cast(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    return _at_locations(goal, args, ctx, "norm_cast", normal)


def _lift(ty_from: tuple, ty_to):
    def f(p: Prop, pusher: Pusher) -> Prop:
        def go(q: Prop) -> Prop:
            match q:
                case Rel(op=op, lhs=a, rhs=b) if a.ty in ty_from:
                    return Rel(op, pusher.cast(a, ty_to), pusher.cast(b, ty_to))
                case Not(arg=a):
                    return Not(go(a))
                case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
                    return type(q)(go(a), go(b))
            return q

        return go(p)

    return f


def zify(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    return _at_locations(goal, args, ctx, "zify", _lift((NAT,), INT))


def qify(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    return _at_locations(goal, args, ctx, "qify", _lift((NAT, INT), RAT))


def _agree(a: Prop, b: Prop, pusher: Pusher) -> bool:
    if props_match(a, b):
        return True
    na, nb = normal(a, pusher), normal(b, pusher)
    return props_match(na, nb) or props_match(_orient(na), _orient(nb))


def _orient(p: Prop) -> Prop:
    if isinstance(p, Rel) and p.op in _FLIP:
        return Rel(_FLIP[p.op], p.rhs, p.lhs)
    return p


def exact_mod_cast(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    src = args.strip()
    if not src:
        raise TacticFailure("exact_mod_cast: expected a term")
    pusher = Pusher(_facts(goal, (), ctx))
    got = elab(src, goal, ctx)
    if _agree(got, goal.target, pusher):
        return ()
    raise TacticFailure(
        f"type mismatch (exact_mod_cast)\n  {src}\nhas type\n  {show_prop(normal(got, pusher))}\n"
        f"but is expected to have type\n  {show_prop(normal(goal.target, pusher))}")


def assumption_mod_cast(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    if args.strip():
        raise TacticFailure(f"assumption_mod_cast: unexpected '{args.strip()}'")
    pusher = Pusher(_facts(goal, (), ctx))
    for d in goal.context:
        if isinstance(d, HypDecl) and _agree(d.prop, goal.target, pusher):
            return ()
    raise TacticFailure("assumption_mod_cast failed")


__all__ = ["push_cast", "norm_cast", "exact_mod_cast", "assumption_mod_cast", "zify", "qify"]
