"""Arithmetic tactics over the sandbox's decision procedures (``qed.env.sandbox.arith``):
``norm_num``, ``simp``, ``ring``, ``ring_nf``, ``linarith``, ``nlinarith``, ``positivity``,
``omega``, ``decide``, ``interval_cases``.

Owns each tactic's Lean-visible behaviour: which propositions go to the procedure,
locations (``at h ⊢``, ``at *``), hint terms, progress checks and error messages. The
procedures decide; this module never closes a goal on its own judgement, except that a
hypothesis ``False`` (after simplification) closes any goal.

Knows proof terms (hints are elaborated by ``proofterm.elab``); not the tactic syntax.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor
from time import monotonic

from qed.env.sandbox.arith import (
    decide as arith_decide,
)
from qed.env.sandbox.arith import (
    evaluate,
    ring_equal,
    ring_nf_term,
)
from qed.env.sandbox.arith import (
    linarith as arith_linarith,
)
from qed.env.sandbox.arith import (
    nlinarith as arith_nlinarith,
)
from qed.env.sandbox.arith import (
    norm_num as arith_norm_num,
)
from qed.env.sandbox.arith import (
    omega as arith_omega,
)
from qed.env.sandbox.arith import (
    positivity as arith_positivity,
)
from qed.env.sandbox.arith.decide import prop_value as arith_decide_value
from qed.env.sandbox.ast import (
    INT,
    NAT,
    Abs,
    And,
    App,
    BigOp,
    BinOp,
    Bool_,
    Cast,
    Coll,
    Forall,
    HypDecl,
    Iff,
    Imp,
    Neg,
    Num,
    Prop,
    Rel,
    SGoal,
    Term,
    Var,
    VarDecl,
)
from qed.env.sandbox.tactics.args import Hint, Location, require_ident, take_hints, take_location
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, find_decl, find_hyp, remove_decls, replace_hyp
from qed.env.sandbox.tactics.intro import eliminate_var
from qed.env.sandbox.tactics.proofterm import elab, show_prop
from qed.env.sandbox.tactics.rewrite import subterms
from qed.env.sandbox.tactics.subst import map_prop_terms, match_term, subst_prop, subst_term, term_vars

_TRUE, _FALSE = Bool_(True), Bool_(False)
MAX_SIMP_TERMS = 2_000  # sub-terms past which ∀-hint rewriting is a runaway unfolding (Lean: max recursion)
MAX_INTERVAL_CASES = 200


def _hint_props(hints: tuple[Hint, ...], goal: SGoal, ctx: Ctx) -> list[Prop]:
    out: list[Prop] = []
    for h in hints:
        if h.src.strip() == "*":
            out += [d.prop for d in goal.context if isinstance(d, HypDecl)]
        else:
            out.append(elab(h.src, goal, ctx))
    return out


def reorders(p: Prop, lemmas: list) -> bool:
    from qed.env.sandbox.tactics.simp_lemmas import reorders as _reorders

    return _reorders(p, lemmas)


def simp_hint_props(hints: tuple[Hint, ...], goal: SGoal, ctx: Ctx) -> list:
    """Simp-family hints: facts, or ``NamedLemma`` for lemma-table entries, applied or not
    (used as conditional rewrite rules, see ``simp_lemmas``); a hypothesis name wins."""
    from qed.env.sandbox.tactics.simp_lemmas import hint_item

    out: list = []
    for h in hints:
        if h.src.strip() == "*":
            out += [d.prop for d in goal.context if isinstance(d, HypDecl)]
        else:
            item = hint_item(h.src, goal, ctx)
            out.append(reverse_hint(item) if h.reverse else item)
    return out


def reverse_hint(item):
    """``simp [← h]``: the equation (or ``↔``) used right to left."""
    from dataclasses import replace

    from qed.env.sandbox.tactics.simp_lemmas import NamedLemma

    if isinstance(item, NamedLemma):
        return replace(item, reverse=True)
    if isinstance(item, Rel) and item.op == "=":
        return Rel("=", item.rhs, item.lhs)
    if isinstance(item, Iff):
        return Iff(item.rhs, item.lhs)
    return item


def _no_rest(name: str, rest: str) -> None:
    if rest.strip():
        raise TacticFailure(f"{name}: unexpected '{rest.strip()}'")


# ---- norm_num / simp ------------------------------------------------------------------


def norm_num(goal: SGoal, args: str, ctx: Ctx, tactic: str = "norm_num") -> tuple[SGoal, ...]:
    """``norm_num [hints] at loc`` (also ``simp``, ``simp only``, ``field_simp``-free).

    Simplifies each location with ``arith.norm_num`` (hints as rewrite rules). A hypothesis
    becoming ``False`` closes the goal; one becoming ``True`` is cleared; the target
    becoming ``True`` closes the goal. ``norm_num`` fails if the target becomes ``False``;
    ``simp`` leaves ``⊢ False``. No progress anywhere: ``norm_num failed to simplify`` /
    ``simp made no progress``.
    """
    rest, loc = take_location(args)
    rest, hints, only = take_hints(rest)
    _no_rest(tactic, rest)
    lemmas = simp_hint_props(hints, goal, ctx)
    arith = not (only and tactic == "simp")  # Lean's simp only: no ℚ/ℝ arithmetic
    progress = False
    for name in _loc_hyps(goal, loc):
        ctx.check()
        prop = find_hyp(goal, name).prop
        own = [lem for lem in lemmas if lem != prop]
        new = simp_with(prop, own, arith=arith, timeout_s=ctx.remaining(),
                        context=[d.prop for d in goal.context if isinstance(d, HypDecl) and d.name != name])
        if new == prop:
            continue
        progress = True
        if new == _FALSE:
            return ()
        if new == _TRUE:
            goal = remove_decls(goal, {name})
        else:
            goal = replace_hyp(goal, name, new)
    if loc.goal:
        ctx.check()
        new = simp_with(goal.target, lemmas, arith=arith, timeout_s=ctx.remaining(),
                        context=[d.prop for d in goal.context if isinstance(d, HypDecl)])
        if new == _TRUE:
            return ()
        if new != goal.target:
            progress = True
            if new == _FALSE and tactic == "norm_num":
                raise TacticFailure("norm_num failed: the goal simplifies to False")
            goal = SGoal(goal.context, new, goal.tag)
    if not progress and not (loc.goal and reorders(goal.target, lemmas)):
        raise TacticFailure("simp made no progress" if tactic == "simp" else f"{tactic} failed to simplify")
    return (goal,)


def simp_with(p: Prop, lemmas: list, rounds: int = 3, *, arith: bool = True, timeout_s: float = 1.0,
              context: list[Prop] | None = None) -> Prop:
    """``arith.norm_num`` with hint lemmas; a ``∀ x, l = r`` hint (``h₀ : ∀ x, f x = …``)
    is instantiated at each subterm matching ``l`` (as simp rewrites with it), again
    after each simplification round (for nested ``f (f 4)``), at most ``rounds`` times.
    ``NamedLemma`` hints are instantiated the same way, when their hypotheses are
    discharged from the other (fact) lemmas and the ``context`` hypotheses (Lean's simp
    discharger tries local hypotheses too; ``simp_lemmas``)."""
    from qed.env.sandbox.tactics.simp_lemmas import NamedLemma
    from qed.env.sandbox.tactics.simp_lemmas import instances as named_instances

    named = [lem for lem in lemmas if isinstance(lem, NamedLemma)]
    lemmas = [lem for lem in lemmas if not isinstance(lem, NamedLemma)]
    plain = [lem for lem in lemmas if not isinstance(lem, Forall)]
    rules = [r for r in (_forall_rule(lem) for lem in lemmas if isinstance(lem, Forall)) if r is not None]
    if not rules and not named:
        return arith_norm_num(p, plain, arith=arith)
    insts: list[Prop] = []
    cur = p
    deadline = monotonic() + timeout_s
    for _ in range(rounds + (2 if named else 0)):
        if len(subterms(cur)) > MAX_SIMP_TERMS:  # a rule that unfolds (x n = x (n - 1) - x (n - 2) …)
            raise TacticFailure("maximum recursion depth has been reached\n"
                                "use `set_option maxRecDepth <num>` to increase limit")
        if monotonic() > deadline:
            break
        if named:
            for inst in named_instances(cur, named, plain + (context or []), timeout_s):
                if inst not in insts:
                    insts.append(inst)
        for body, metas, conds in rules:
            assert isinstance(body, Rel)
            for t in subterms(cur):
                binds: dict = {}
                if match_term(body.lhs, t, metas, binds) and set(binds) == metas:
                    inst = subst_prop(body, binds)
                    if inst not in insts and all(
                        arith_norm_num(subst_prop(c, binds), plain) == _TRUE for c in conds
                    ):  # a conditional rule: each hypothesis discharged (simp's discharger)
                        insts.append(inst)
        if rules:
            cur = map_prop_terms(cur, lambda t: _under_binders(t, rules, frozenset()))
        nxt = arith_norm_num(cur, plain + insts, arith=arith)
        if nxt == cur:
            break
        cur = nxt
    if len(subterms(cur)) > MAX_SIMP_TERMS:
        raise TacticFailure("maximum recursion depth has been reached\n"
                            "use `set_option maxRecDepth <num>` to increase limit")
    return cur


def _under_binders(t: Term, rules: list, bound: frozenset[str]) -> Term:
    """``t`` with the ``∀`` hint rules applied (bottom-up, once) at sub-terms under a ``∑``/``∏``
    binder, which the instances collected by ``simp_with`` cannot reach (they would mention
    the bound variable): simp rewrites under binders, ``∑ k ∈ s, v k`` with ``∀ n, v n = 2 * n``
    becomes ``∑ k ∈ s, 2 * k``. A rule with a free variable named like an enclosing bound
    variable is not used there."""
    k = type(t)
    if k is BigOp:
        return BigOp(t.op, t.var, t.vty, _under_binders(t.dom, rules, bound),
                     _under_binders(t.body, rules, bound | {t.var}), t.ty)
    if k is BinOp:
        t = BinOp(t.op, _under_binders(t.lhs, rules, bound), _under_binders(t.rhs, rules, bound), t.ty)
    elif k in (Neg, Abs, Cast):
        t = k(_under_binders(t.arg, rules, bound), t.ty)
    elif k is App:
        t = App(t.fn, tuple(_under_binders(a, rules, bound) for a in t.args), t.ty)
    elif k is Coll:
        t = Coll(tuple(_under_binders(e, rules, bound) for e in t.elems), t.ty)
    if not bound:
        return t
    for body, metas, conds in rules:
        if conds:
            continue
        binds: dict = {}
        if match_term(body.lhs, t, metas, binds) and set(binds) == metas:
            if ((term_vars(body.lhs) | term_vars(body.rhs)) - metas) & bound:
                continue  # the rule's own free variable would be confused with the bound one
            return subst_term(body.rhs, binds)
    return t


def _forall_rule(lem: Prop) -> tuple[Prop, frozenset[str], tuple[Prop, ...]] | None:
    """``∀ x y, l = r`` (also ``∀ x, P x → l = r``, a conditional rule whose hypotheses must
    simplify to ``True`` at each instance) as a rewrite rule with pattern variables."""
    metas: list[str] = []
    conds: list[Prop] = []
    while isinstance(lem, Forall) or (metas and isinstance(lem, Imp)):
        if isinstance(lem, Imp):
            conds.append(lem.lhs)
            lem = lem.rhs
            continue
        name = f"?{lem.var}{len(metas)}"
        metas.append(name)
        lem = subst_prop(lem.body, {lem.var: Var(name, lem.ty)})
    if isinstance(lem, Rel) and lem.op == "=" and not isinstance(lem.lhs, Var):
        return lem, frozenset(metas), tuple(conds)
    return None


def _loc_hyps(goal: SGoal, loc: Location) -> list[str]:
    if loc.everywhere:
        return [d.name for d in goal.context if isinstance(d, HypDecl)]
    for h in loc.hyps:
        find_hyp(goal, h)
    return list(loc.hyps)


def simp(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    return norm_num(goal, args, ctx, tactic="simp")


# ---- ring -----------------------------------------------------------------------------


def _ring_nf_prop(p: Prop) -> Prop:
    def nf(t):
        return ring_nf_term(t)

    return map_prop_terms(p, nf)


def _closes_after_nf(p: Prop) -> bool:
    return isinstance(p, Rel) and p.op in ("=", "≤", "≥") and p.lhs == p.rhs or p == _TRUE


def ring(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """Mathlib ``ring``: ``ring1`` on an equation, else ``ring_nf`` (which then leaves the
    normalised goal, Lean printing "Try this: ring_nf"); fails if ``ring_nf`` cannot
    make progress."""
    if args.strip():
        raise TacticFailure(f"ring: unexpected '{args.strip()}'")
    t = goal.target
    if isinstance(t, Rel) and t.op == "=" and ring_equal(t.lhs, t.rhs):
        return ()
    return _ring_nf_at(goal, Location(), ctx, "ring_nf failed")


def ring_nf(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    rest, loc = take_location(args)
    _no_rest("ring_nf", rest)
    return _ring_nf_at(goal, loc, ctx, "ring_nf failed")


def _ring_nf_at(goal: SGoal, loc: Location, ctx: Ctx, failure: str) -> tuple[SGoal, ...]:
    progress = False
    for name in _loc_hyps(goal, loc):
        ctx.check()
        prop = find_hyp(goal, name).prop
        new = _ring_nf_prop(prop)
        if new != prop:
            progress = True
            goal = replace_hyp(goal, name, new)
    if loc.goal:
        ctx.check()
        new = _ring_nf_prop(goal.target)
        if new != goal.target or _closes_after_nf(new):
            if _closes_after_nf(new):
                return ()
            progress = True
            goal = SGoal(goal.context, new, goal.tag)
    if not progress:
        raise TacticFailure(failure)
    return (goal,)


# ---- linarith family ------------------------------------------------------------------


def _linarith_goal(t: Prop) -> Prop:
    """Lean's linarith proves a comparison target, otherwise it works towards ``False``."""
    if isinstance(t, Rel) and t.op in ("<", "≤", "=", ">", "≥"):
        return t
    return _FALSE


def _hyps(goal: SGoal) -> list[Prop]:
    return [d.prop for d in goal.context if isinstance(d, HypDecl)]


def linarith(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    rest, hints, _ = take_hints(args)
    _no_rest("linarith", rest)
    extra = _hint_props(hints, goal, ctx)
    if arith_linarith(_hyps(goal) + extra, _linarith_goal(goal.target), timeout_s=ctx.remaining()):
        return ()
    raise TacticFailure(f"linarith failed to find a contradiction\n{ctx.show_goal(goal)}")


def nlinarith(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    rest, hints, _ = take_hints(args)
    _no_rest("nlinarith", rest)
    extra = _hint_props(hints, goal, ctx)
    if arith_nlinarith(_hyps(goal), _linarith_goal(goal.target), extra, timeout_s=ctx.remaining()):
        return ()
    raise TacticFailure(f"linarith failed to find a contradiction\n{ctx.show_goal(goal)}")


def positivity(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    if args.strip():
        raise TacticFailure(f"positivity: unexpected '{args.strip()}'")
    t = goal.target
    shape_ok = isinstance(t, Rel) and (
        (t.op in ("<", "≤") and _is_zero(t.lhs)) or (t.op in (">", "≥") and _is_zero(t.rhs))
        or (t.op == "≠" and (_is_zero(t.rhs) or _is_zero(t.lhs)))
    )
    if not shape_ok:
        raise TacticFailure(f"not a positivity goal: {show_prop(t)}")
    if arith_positivity(t, goal.context):
        return ()
    raise TacticFailure(f"failed to prove positivity of the goal\n{ctx.show_goal(goal)}")


def _is_zero(t) -> bool:
    return isinstance(t, Num) and t.value == 0


def omega(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    if args.strip():
        raise TacticFailure(f"omega: unexpected '{args.strip()}'")
    if arith_omega(_hyps(goal), goal.target, timeout_s=ctx.remaining()):
        return ()
    raise TacticFailure("omega could not prove the goal")


def decide(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    if args.strip():
        raise TacticFailure(f"decide: unexpected '{args.strip()}'")
    v = arith_decide(goal.target)
    if v is True:
        return ()
    if v is False:
        raise TacticFailure(f"decide failed: the proposition\n  {show_prop(goal.target)}\nis false")
    if arith_decide_value(goal.target) is not None:  # an instance exists, the kernel cannot reduce it (ℝ)
        raise TacticFailure(f"tactic 'decide' failed for proposition\n  {show_prop(goal.target)}\nsince its "
                            "'Decidable' instance did not reduce to 'isTrue' or 'isFalse'")
    raise TacticFailure(f"failed to synthesize\n  Decidable ({show_prop(goal.target)})")


# ---- interval_cases -------------------------------------------------------------------


def _bounds_from(p: Prop, x: Var, lo: Fraction | None, hi: Fraction | None):
    """Tighten integer bounds ``lo ≤ x ≤ hi`` with the hypothesis ``p``."""
    if isinstance(p, And):
        lo, hi = _bounds_from(p.lhs, x, lo, hi)
        return _bounds_from(p.rhs, x, lo, hi)
    if not isinstance(p, Rel):
        return lo, hi
    op, a, b = p.op, p.lhs, p.rhs
    if op in (">", "≥"):
        op, a, b = {">": "<", "≥": "≤"}[op], b, a
    if a == x and b != x:
        v = evaluate(b)
        if v is None:
            return lo, hi
        if op == "<":
            hi = _min(hi, Fraction(ceil(v) - 1))
        elif op == "≤":
            hi = _min(hi, Fraction(floor(v)))
        elif op == "=":
            lo, hi = _max(lo, Fraction(ceil(v))), _min(hi, Fraction(floor(v)))
    elif b == x and a != x:
        v = evaluate(a)
        if v is None:
            return lo, hi
        if op == "<":
            lo = _max(lo, Fraction(floor(v) + 1))
        elif op == "≤":
            lo = _max(lo, Fraction(ceil(v)))
        elif op == "=":
            lo, hi = _max(lo, Fraction(ceil(v))), _min(hi, Fraction(floor(v)))
    return lo, hi


def _min(a, b):
    return b if a is None else min(a, b)


def _max(a, b):
    return b if a is None else max(a, b)


def interval_cases(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``interval_cases x``: numeral bounds for the ℕ/ℤ variable ``x`` from hypotheses
    (``a ≤ x``, ``x < b``, ``x = c``, also inside ``∧``; ℕ has lower bound 0); one goal
    per value with ``x`` replaced by it everywhere."""
    name = require_ident(args.strip(), "a variable name")
    decl = find_decl(goal, name)
    if not isinstance(decl, VarDecl):
        raise TacticFailure(f"interval_cases: '{name}' is not a variable in context"
                            if decl is not None else f"unknown identifier '{name}'")
    if decl.ty not in (NAT, INT):
        raise TacticFailure(f"interval_cases failed: '{name}' has type {decl.ty}, not ℕ or ℤ")
    x = Var(name, decl.ty)
    lo: Fraction | None = Fraction(0) if decl.ty == NAT else None
    hi: Fraction | None = None
    for d in goal.context:
        if isinstance(d, HypDecl):
            lo, hi = _bounds_from(d.prop, x, lo, hi)
    if lo is None:
        raise TacticFailure(f"interval_cases failed: provided variable '{name}' has no lower bound")
    if hi is None:
        raise TacticFailure(f"interval_cases failed: provided variable '{name}' has no upper bound")
    if hi - lo + 1 > MAX_INTERVAL_CASES:
        raise TacticFailure(f"interval_cases: too many cases ({hi - lo + 1}); the sandbox allows "
                            f"{MAX_INTERVAL_CASES}")
    out = []
    v = lo
    while v <= hi:
        ctx.check()
        out.append(eliminate_var(goal, name, numeral(v, decl.ty)))
        v += 1
    return tuple(out)


def numeral(v: Fraction, ty) -> Num | Neg:
    """The integer ``v`` as Lean writes it: ``3`` or ``-3``."""
    return Num(v, ty) if v >= 0 else Neg(Num(-v, ty), ty)


# ---- dispatch for the tactics in their own modules ------------------------------------


def dispatch(name: str, goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``field_simp``, ``simp_all``, ``simpa``, ``norm_num1``, casts, ``linear_combination``,
    ``gcongr``, ``linarith!``/``nlinarith!`` (see each module)."""
    from qed.env.sandbox.tactics import field_simp as fs
    from qed.env.sandbox.tactics import simp_all as sa

    match name:
        case "field_simp":
            return fs.field_simp(goal, args, ctx)
        case "simp_all":
            return sa.simp_all(goal, args, ctx)
        case "simpa":
            return sa.simpa(goal, args, ctx)
        case "linear_combination":
            from qed.env.sandbox.tactics.lincomb import linear_combination

            return linear_combination(goal, args, ctx)
        case "norm_cast" | "push_cast" | "exact_mod_cast" | "assumption_mod_cast" | "zify" | "qify":
            from qed.env.sandbox.tactics import casts

            return getattr(casts, name)(goal, args, ctx)
        case "gcongr":
            from qed.env.sandbox.tactics.gcongr import gcongr

            return gcongr(goal, args, ctx)
        case "norm_num1":
            return norm_num(goal, args, ctx, tactic="norm_num1")
        case "linarith!":
            return linarith(goal, args, ctx)
        case "nlinarith!":
            return nlinarith(goal, args, ctx)
    raise TacticFailure(f"the sandbox does not implement the tactic '{name}'")
