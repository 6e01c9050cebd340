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

from qed.env.sandbox.ast import Exists, Forall, HypDecl, Iff, Prop, Rel, SGoal, Term, Var
from qed.env.sandbox.tactics.args import Hint, take_hints, take_location, top_words
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, find_hyp, replace_hyp
from qed.env.sandbox.tactics.logic import is_closed_by_hyp
from qed.env.sandbox.tactics.proofterm import elab, first_numeric_type, show_prop
from qed.env.sandbox.tactics.subst import (
    map_term,
    match_term,
    props_match,
    replace_in_prop,
    replace_prop,
    subst_prop,
    subst_term,
)


def _rule(hint: Hint, goal: SGoal, ctx: Ctx) -> tuple[Prop, frozenset[str]]:
    """The rule's equation (pattern variables renamed ``?k``) and those variables."""
    words = top_words(hint.src)
    if len(words) == 1 and words[0] in ctx.lemmas:
        ty = first_numeric_type(goal.target)
        if ty is None:
            raise TacticFailure(f"rw: cannot infer the number type for {words[0]}")
        try:
            schema = ctx.lemmas.instance(words[0], ty)
        except ValueError as e:
            raise TacticFailure(str(e)) from None
        if any(p.prop is not None for p in schema.params):
            raise TacticFailure(f"rw: {words[0]} has hypotheses; give them as arguments")
        ren = {m: Var("?" + m, _meta_ty(schema.concl, m)) for m in sorted(schema.metas)}
        ren = {m: v for m, v in ren.items() if v.ty is not None}
        return subst_prop(schema.concl, ren), frozenset(v.name for v in ren.values())
    prop = elab(hint.src, goal, ctx)
    metas: list[str] = []
    while isinstance(prop, Forall):
        name = f"?{prop.var}{len(metas)}"
        metas.append(name)
        prop = subst_prop(prop.body, {prop.var: Var(name, prop.ty)})
    return prop, frozenset(metas)


def _meta_ty(p: Prop, name: str):
    found = []

    def f(t: Term) -> Term | None:
        if isinstance(t, Var) and t.name == name:
            found.append(t.ty)
        return None

    from qed.env.sandbox.tactics.subst import map_prop_terms

    map_prop_terms(p, lambda t: map_term(t, f))
    return found[0] if found else None


def subterms(p: Prop) -> list[Term]:
    """Terms of ``p`` in pre-order, left to right (not under binders)."""
    out: list[Term] = []

    def walk_t(t: Term) -> None:
        out.append(t)
        for name in ("lhs", "rhs", "arg"):
            sub = getattr(t, name, None)
            if sub is not None and not isinstance(sub, (str, bool)) and hasattr(sub, "ty"):
                walk_t(sub)
        for a in getattr(t, "args", ()):
            walk_t(a)

    def walk_p(q: Prop) -> None:
        if isinstance(q, Rel) or type(q).__name__ == "Dvd":
            walk_t(q.lhs)  # type: ignore[union-attr]
            walk_t(q.rhs)  # type: ignore[union-attr]
        elif isinstance(q, (Forall, Exists)):
            return
        else:
            for name in ("lhs", "rhs", "arg"):
                sub = getattr(q, name, None)
                if sub is not None:
                    walk_p(sub)

    walk_p(p)
    return out


def rewrite_prop(p: Prop, hint: Hint, goal: SGoal, ctx: Ctx, where: str) -> Prop:
    """Rewrite ``p`` with one rule; ``where`` names the location for errors."""
    rule, metas = _rule(hint, goal, ctx)
    if isinstance(rule, Rel) and rule.op == "=":
        lhs, rhs = (rule.rhs, rule.lhs) if hint.reverse else (rule.lhs, rule.rhs)
        if metas:
            binds: dict[str, Term] = {}
            for t in subterms(p):
                binds = {}
                if match_term(lhs, t, metas, binds):
                    break
            else:
                raise _not_found(show_prop(Rel("=", lhs, lhs)).split(" = ")[0], where, goal, ctx)
            missing = metas - set(binds)
            if missing & (_vars(rhs)):
                raise TacticFailure("rw: motive is not type correct (pattern variables of the right side "
                                    "are not determined by the left side)")
            lhs, rhs = subst_term(lhs, binds), subst_term(rhs, binds)
        out, n = replace_in_prop(p, lhs, rhs)
        if n == 0:
            raise _not_found(_show_term(lhs), where, goal, ctx)
        return out
    if isinstance(rule, Iff):
        if metas:
            raise TacticFailure("rw: '↔' rules under '∀' are not supported by the sandbox")
        lhs_p, rhs_p = (rule.rhs, rule.lhs) if hint.reverse else (rule.lhs, rule.rhs)
        out, n = replace_prop(p, lhs_p, rhs_p)
        if n == 0:
            raise _not_found(show_prop(lhs_p), where, goal, ctx)
        return out
    raise TacticFailure(f"rw: equality or iff proof expected\n  {show_prop(rule)}")


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
    if isinstance(t, Rel) and t.op in ("=", "≤", "≥") and t.lhs == t.rhs:
        return True
    return isinstance(t, Iff) and props_match(t.lhs, t.rhs)


def rw(goal: SGoal, args: str, ctx: Ctx, then_assumption: bool = False) -> tuple[SGoal, ...]:
    rest, loc = take_location(args)
    rest2, hints, _ = take_hints(rest)
    if rest2.strip() or not hints:
        raise TacticFailure("rw: expected a list of rules '[h₁, ← h₂]'")
    for hint in hints:
        ctx.check()
        if loc.everywhere:
            goal = _rewrite_everywhere(goal, hint, ctx)
            continue
        for h in loc.hyps:
            prop = find_hyp(goal, h).prop
            goal = replace_hyp(goal, h, rewrite_prop(prop, hint, goal, ctx, "hypothesis"))
        if loc.goal:
            new = rewrite_prop(goal.target, hint, goal, ctx, "target expression")
            goal = SGoal(goal.context, new, goal.tag)
    if _reflexive(goal.target):
        return ()
    if then_assumption:
        if is_closed_by_hyp(goal):
            return ()
        raise TacticFailure(f"tactic 'assumption' failed\n{ctx.show_goal(goal)}")
    return (goal,)


def _rewrite_everywhere(goal: SGoal, hint: Hint, ctx: Ctx) -> SGoal:
    """``at *``: rewrite every hypothesis (but the rule itself) and the target where the
    pattern occurs; fail only if it occurs nowhere."""
    changed = False
    for d in goal.context:
        if isinstance(d, HypDecl) and d.name != hint.src.strip():
            try:
                goal = replace_hyp(goal, d.name, rewrite_prop(d.prop, hint, goal, ctx, "hypothesis"))
                changed = True
            except TacticFailure:
                pass
    try:
        goal = SGoal(goal.context, rewrite_prop(goal.target, hint, goal, ctx, "target expression"), goal.tag)
        changed = True
    except TacticFailure:
        if not changed:
            raise
    return goal
