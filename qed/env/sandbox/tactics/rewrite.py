"""``rw``/``rewrite``/``rwa`` with ``[h, ← h', lemma, h₀ 2]`` and ``at h … ⊢``.

A rule is a proof of ``l = r`` or ``P ↔ Q``, possibly under ``∀`` (``h₀ : ∀ x, f x = …``)
or a lemma of the table used unapplied (``sq_abs``): its bound variables are pattern
variables, instantiated by the first instance found in the target (pre-order,
left to right), and then every occurrence of that instance is rewritten, as Lean's
``kabstract`` does. No instance: "did not find instance of the pattern". Occurrences
under a binder that binds one of the pattern's variables are not rewritten. ``←``
rewrites right to left. After rewriting, ``rw`` tries ``rfl`` on the main goal (closing
``a = a``, ``a ≤ a``, ``P ↔ P`` syntactically), as Lean's ``rw`` macro does; ``rwa``
then tries ``assumption``.

Knows proof terms and occurrences; no arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

from qed.env.sandbox.ast import (
    And,
    Exists,
    Forall,
    HypDecl,
    Iff,
    Imp,
    Mem,
    ModEq,
    Not,
    Or,
    Pred,
    Prop,
    Rel,
    SGoal,
    Term,
    Var,
)
from qed.env.sandbox.tactics.args import Hint, take_hints, take_location
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, find_hyp, replace_hyp
from qed.env.sandbox.tactics.logic import is_closed_by_hyp
from qed.env.sandbox.tactics.proofterm import LemmaApp, discharge_pending, elab, lemma_apps, show_prop
from qed.env.sandbox.tactics.subst import (
    match_prop_exact,
    match_term,
    prop_vars,
    props_match,
    replace_in_prop,
    replace_prop,
    subst_prop,
    subst_term,
    terms_equal,
)


@dataclass
class Rule:
    """One way to read a ``rw`` hint: the equation/iff with pattern variables ``metas``
    (bound by the first match in the target), and the lemma application it comes from
    (whose hypotheses not given become side goals), if any."""

    prop: Prop
    metas: frozenset[str]
    app: LemmaApp | None = None


def _rules(hint: Hint, goal: SGoal, ctx: Ctx) -> list[Rule]:
    """The hint's readings: one per number type for a lemma of the table (the first type
    whose pattern occurs first in the target wins), one for any other proof term."""
    apps = lemma_apps(hint.src, goal, ctx)
    if apps is not None:
        return [Rule(app.inst(app.schema.concl), app.unbound, app) for app in apps]
    prop = elab(hint.src, goal, ctx)
    metas: list[str] = []
    while isinstance(prop, Forall):
        name = f"?{prop.var}{len(metas)}"
        metas.append(name)
        prop = subst_prop(prop.body, {prop.var: Var(name, prop.ty)})
    return [Rule(prop, frozenset(metas))]


def subterms(p: Prop) -> list[Term]:
    """Terms of ``p`` in pre-order, left to right (not under binders)."""
    out: list[Term] = []

    def walk_t(t: Term) -> None:
        out.append(t)
        for name in ("lhs", "rhs", "arg", "dom"):  # a ∑'s domain, not its body (bound variable)
            sub = getattr(t, name, None)
            if sub is not None and not isinstance(sub, (str, bool)) and hasattr(sub, "ty"):
                walk_t(sub)
        for a in (*getattr(t, "args", ()), *getattr(t, "elems", ())):
            walk_t(a)

    def walk_p(q: Prop) -> None:
        if isinstance(q, Rel) or type(q).__name__ == "Dvd":
            walk_t(q.lhs)  # type: ignore[union-attr]
            walk_t(q.rhs)  # type: ignore[union-attr]
        elif isinstance(q, (Forall, Exists)):
            return
        elif isinstance(q, Mem):
            walk_t(q.elem)
            walk_t(q.coll)
        elif isinstance(q, Pred):
            for a in q.args:
                walk_t(a)
        elif isinstance(q, ModEq):
            for a in (q.lhs, q.rhs, q.modulus):
                walk_t(a)
        else:
            for name in ("lhs", "rhs", "arg"):
                sub = getattr(q, name, None)
                if sub is not None:
                    walk_p(sub)

    walk_p(p)
    return out


def subprops(p: Prop) -> list[Prop]:
    """Propositions of ``p`` in pre-order, left to right (not under binders)."""
    out: list[Prop] = [p]
    if isinstance(p, (And, Or, Imp, Iff)):
        out += subprops(p.lhs) + subprops(p.rhs)
    elif isinstance(p, Not):
        out += subprops(p.arg)
    return out


def _first_match(p: Prop, rule: Rule, reverse: bool) -> tuple[int, dict[str, Term], Term | Prop] | None:
    """Position (pre-order index), bindings and the matched occurrence of the first
    instance of the rule's left side (right side with ``←``) in ``p``."""
    r = rule.prop
    if isinstance(r, Rel) and r.op == "=":
        pat = r.rhs if reverse else r.lhs
        for i, t in enumerate(subterms(p)):
            binds: dict[str, Term] = {}
            if match_term(pat, t, rule.metas, binds):
                return i, binds, t
        return None
    if isinstance(r, Iff):
        pat_p = r.rhs if reverse else r.lhs
        for i, q in enumerate(subprops(p)):
            binds = {}
            if match_prop_exact(pat_p, q, rule.metas, binds):
                return i, binds, q
        return None
    return None


def rewrite_prop(p: Prop, hint: Hint, goal: SGoal, ctx: Ctx, where: str) -> Prop:
    """Rewrite ``p`` with one rule; ``where`` names the location for errors. Side goals
    (hypotheses of a lemma not given) are dropped here: use ``rewrite_with_side_goals``."""
    return rewrite_with_side_goals(p, hint, goal, ctx, where)[0]


def rewrite_with_side_goals(
    p: Prop, hint: Hint, goal: SGoal, ctx: Ctx, where: str
) -> tuple[Prop, list[SGoal]]:
    """Rewrite ``p`` with the hint as Lean's ``rw`` does: instantiate the pattern at its
    first match in traversal order, rewrite every instance of that instantiation, and
    return the side goals (the lemma's hypotheses not given, after the main goal)."""
    rules = _rules(hint, goal, ctx)
    for rule in rules:
        r = rule.prop
        if not ((isinstance(r, Rel) and r.op == "=") or isinstance(r, Iff)):
            raise TacticFailure(f"rw: equality or iff proof expected\n  {show_prop(r)}")
    for rule in rules:
        r = rule.prop
        pat = (r.rhs if hint.reverse else r.lhs) if isinstance(r, Rel) else None
        if isinstance(pat, Var) and pat.name in rule.metas:
            raise TacticFailure(f"motive is not type correct: the pattern is a metavariable "
                                f"(give the arguments of {hint.src.strip()})")
    best: tuple[int, Rule, dict[str, Term], Term | Prop] | None = None
    for rule in rules:
        found = _first_match(p, rule, hint.reverse)
        if found is not None and (best is None or found[0] < best[0]):
            best = (found[0], rule, found[1], found[2])
    if best is None:
        r = rules[0].prop
        if isinstance(r, Rel):
            pattern = _show_term(r.rhs if hint.reverse else r.lhs)
        else:
            assert isinstance(r, Iff)
            pattern = show_prop(r.rhs if hint.reverse else r.lhs)
        raise _not_found(pattern, where, goal, ctx)
    _, rule, binds, occurrence = best
    r = rule.prop
    lhs_any, rhs_any = (r.rhs, r.lhs) if hint.reverse else (r.lhs, r.rhs)
    if isinstance(r, Rel):
        free = _vars(rhs_any) & rule.metas - binds.keys()
    else:
        free = prop_vars(rhs_any) & rule.metas - binds.keys()
    if free:
        raise TacticFailure("rw: motive is not type correct (pattern variables of the right side "
                            "are not determined by the left side)")
    # the occurrence found stands for the instance (they differ only in numeral offsets,
    # ``n + 1`` matched against ``3``); every occurrence of it is rewritten
    if isinstance(r, Rel):
        rhs = subst_term(rhs_any, binds)  # type: ignore[arg-type]
        out, n = replace_in_prop(p, occurrence, rhs)  # type: ignore[arg-type]
    else:
        rp = subst_prop(rhs_any, binds)  # type: ignore[arg-type]
        out, n = replace_prop(p, occurrence, rp)  # type: ignore[arg-type]
    if n == 0:
        raise _not_found(_show_term(occurrence) if isinstance(r, Rel) else show_prop(occurrence),  # type: ignore[arg-type]
                         where, goal, ctx)
    side: list[SGoal] = []
    if rule.app is not None:
        app = rule.app
        app.binds = {**app.binds, **binds}
        if app.unbound & _pending_vars(app):
            raise TacticFailure(f"rw: cannot infer the arguments of {app.schema.name} for its hypotheses")
        side = discharge_pending(app, goal, ctx, holes_become_goals=True)
    return out, side


def _pending_vars(app: LemmaApp) -> set[str]:
    out: set[str] = set()
    for pend in app.pending:
        out |= prop_vars(pend.prop)
    return out


def _vars(t: Term) -> set[str]:
    from qed.env.sandbox.tactics.subst import term_vars

    return term_vars(t)


def _show_term(t: Term) -> str:
    from qed.env.sandbox.printer import print_term

    return print_term(t)


def _not_found(pattern: str, where: str, goal: SGoal, ctx: Ctx) -> TacticFailure:
    return TacticFailure(
        f"tactic 'rewrite' failed, did not find instance of the pattern in the {where}\n"
        f"  {pattern}\n{ctx.show_goal(goal)}"
    )


def _reflexive(t: Prop) -> bool:
    if isinstance(t, Rel) and t.op in ("=", "≤", "≥") and terms_equal(t.lhs, t.rhs):
        return True
    return isinstance(t, Iff) and props_match(t.lhs, t.rhs)


def rw(goal: SGoal, args: str, ctx: Ctx, then_assumption: bool = False) -> tuple[SGoal, ...]:
    rest, loc = take_location(args)
    rest2, hints, _ = take_hints(rest)
    if rest2.strip() or not hints:
        raise TacticFailure("rw: expected a list of rules '[h₁, ← h₂]'")
    side: list[SGoal] = []
    for hint in hints:
        ctx.check()
        if loc.everywhere:
            goal = _rewrite_everywhere(goal, hint, ctx, side)
            continue
        for h in loc.hyps:
            prop = find_hyp(goal, h).prop
            new_h, more = rewrite_with_side_goals(prop, hint, goal, ctx, "hypothesis")
            goal = replace_hyp(goal, h, new_h)
            side += more
        if loc.goal:
            new, more = rewrite_with_side_goals(goal.target, hint, goal, ctx, "target expression")
            goal = SGoal(goal.context, new, goal.tag)
            side += more
    if _reflexive(goal.target):
        return tuple(side)
    if then_assumption:
        if is_closed_by_hyp(goal):
            return tuple(side)
        raise TacticFailure(f"tactic 'assumption' failed\n{ctx.show_goal(goal)}")
    return (goal, *side)


def _rewrite_everywhere(goal: SGoal, hint: Hint, ctx: Ctx, side: list[SGoal]) -> SGoal:
    """``at *``: rewrite every hypothesis (but the rule itself) and the target where the
    pattern occurs; fail only if it occurs nowhere."""
    changed = False
    for d in goal.context:
        if isinstance(d, HypDecl) and d.name != hint.src.strip():
            try:
                new_h, more = rewrite_with_side_goals(d.prop, hint, goal, ctx, "hypothesis")
            except TacticFailure:
                continue
            goal = replace_hyp(goal, d.name, new_h)
            side += more
            changed = True
    try:
        new, more = rewrite_with_side_goals(goal.target, hint, goal, ctx, "target expression")
        goal = SGoal(goal.context, new, goal.tag)
        side += more
    except TacticFailure:
        if not changed:
            raise
    return goal
