"""Logical tactics: ``constructor``, ``exact``, ``assumption``, ``left``, ``right``,
``exfalso``, ``by_contra``, ``contradiction``, ``use``/``exists``, ``have``, ``show``,
``specialize``, ``apply``, ``rfl``, ``trivial``, ``symm``, ``by_cases``, ``clear``.

Each closes a goal only when the proposition is proved: matching is Lean's up to
``>``/``≥`` notation, ``≠``/``¬`` unfolding and bound-variable names (``subst.canon``);
closed ground facts are decided exactly. Goal tags follow Lean (``left``/``right`` for
``∧``, ``mp``/``mpr`` for ``↔``, ``h`` for ``left``/``right``/``use``, ``pos``/``neg``).

Knows proof terms (``proofterm``) and the shape of propositions; arithmetic only
through ``arith.decide``/``arith.evaluate`` for ground facts.
"""

from __future__ import annotations

from qed.env.sandbox.arith import decide
from qed.env.sandbox.ast import (
    And,
    Bool_,
    Exists,
    HypDecl,
    Iff,
    Imp,
    Not,
    Or,
    Prop,
    Rel,
    SGoal,
    Term,
)
from qed.env.sandbox.tactics.args import find_top, is_ident, split_assign, split_top, top_words
from qed.env.sandbox.tactics.core import (
    Ctx,
    TacticFailure,
    add_decls,
    find_hyp,
    inaccessible,
    remove_decls,
    replace_hyp,
)
from qed.env.sandbox.tactics.proofterm import _refl_eq, elab, mismatch, prop_of, show_prop, term_of
from qed.env.sandbox.tactics.push_neg import push_neg_prop
from qed.env.sandbox.tactics.subst import canon, props_match, subst_prop

_FALSE = Bool_(False)


def _tag(goal: SGoal, target: Prop, tag: str | None) -> SGoal:
    return SGoal(goal.context, target, tag)


def constructor(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("constructor", args)
    t = goal.target
    match t:
        case And(lhs=a, rhs=b):
            return (_tag(goal, a, "left"), _tag(goal, b, "right"))
        case Iff(lhs=a, rhs=b):
            return (_tag(goal, Imp(a, b), "mp"), _tag(goal, Imp(b, a), "mpr"))
        case Bool_(value=True):
            return ()
    raise TacticFailure(
        f"tactic 'constructor' failed, target is not an inductive datatype\n{ctx.show_goal(goal)}"
    )


def exact(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    if not args.strip():
        raise TacticFailure("exact: expected a term")
    elab(args, goal, ctx, goal.target)
    return ()


def _hyp_closes(goal: SGoal) -> bool:
    t = canon(goal.target)
    return any(isinstance(d, HypDecl) and canon(d.prop) == t for d in goal.context)


def assumption(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("assumption", args)
    if _hyp_closes(goal):
        return ()
    raise TacticFailure(f"tactic 'assumption' failed\n{ctx.show_goal(goal)}")


def left(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("left", args)
    if isinstance(goal.target, Or):
        return (_tag(goal, goal.target.lhs, "h"),)
    raise TacticFailure(f"tactic 'left' failed, target is not a disjunction\n{ctx.show_goal(goal)}")


def right(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("right", args)
    if isinstance(goal.target, Or):
        return (_tag(goal, goal.target.rhs, "h"),)
    raise TacticFailure(f"tactic 'right' failed, target is not a disjunction\n{ctx.show_goal(goal)}")


def exfalso(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("exfalso", args)
    return (SGoal(goal.context, _FALSE, goal.tag),)


def by_contra(goal: SGoal, args: str, ctx: Ctx, push: bool = False) -> tuple[SGoal, ...]:
    """Mathlib ``by_contra h``: ``h : ¬P`` (``h : Q`` when the target is ``¬Q``), target
    ``False``; ``by_contra!`` also pushes the negation in ``h``."""
    words = top_words(args)
    if len(words) > 1:
        raise TacticFailure("by_contra: expected at most one name")
    name = words[0] if words else None
    if name is not None and not is_ident(name):
        raise TacticFailure(f"by_contra: expected a name, got '{name}'")
    t = goal.target
    hyp = t.arg if isinstance(t, Not) else Not(t)
    if push:
        hyp = push_neg_prop(hyp)
    n = name or (inaccessible("x", goal.context, t) if not push else "this")
    return (add_decls(goal, [HypDecl(n, hyp)], target=_FALSE),)


def _ground_false(p: Prop) -> bool:
    try:
        return decide(p) is False
    except Exception:  # noqa: BLE001 - a ground check that cannot decide is just "no"
        return False


def contradiction(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("contradiction", args)
    hyps = [d.prop for d in goal.context if isinstance(d, HypDecl)]
    canon_hyps = {canon(h) for h in hyps}
    for h in hyps:
        if h == _FALSE:
            return ()
        if isinstance(h, Not) and canon(h.arg) in canon_hyps:
            return ()
        if isinstance(h, Rel) and h.op == "≠" and h.lhs == h.rhs:
            return ()
        if isinstance(h, Rel) and h.op == "≠" and Rel("=", h.lhs, h.rhs) in canon_hyps:
            return ()
        if isinstance(h, (Rel, Bool_)) and _ground_false(h):
            return ()
    if isinstance(goal.target, Bool_) and goal.target.value:
        return ()
    raise TacticFailure(f"tactic 'contradiction' failed\n{ctx.show_goal(goal)}")


# ---- use ------------------------------------------------------------------------------


def discharge(goal: SGoal) -> bool:
    """Lean's ``use`` discharger (``rfl``/``trivial``/``assumption``, through ``∧``)."""
    t = goal.target
    if isinstance(t, And):
        return discharge(SGoal(goal.context, t.lhs)) and discharge(SGoal(goal.context, t.rhs))
    if t == Bool_(True):
        return True
    if isinstance(t, Rel) and t.op in ("=", "≤", "≥") and t.lhs == t.rhs:
        return True
    if isinstance(t, Rel) and t.op == "=" and _refl_eq(t):
        return True
    return _hyp_closes(goal)


def use(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    witnesses = [w for w in split_top(args)]
    if not args.strip() or any(not w.strip() for w in witnesses):
        raise TacticFailure("use: expected one or more terms separated by ','")
    t = goal.target
    for w in witnesses:
        if not isinstance(t, Exists):
            raise TacticFailure(f"use: too many arguments; the goal {show_prop(t)} is not '∃'")
        val: Term = term_of(w, goal, t.ty)
        t = subst_prop(t.body, {t.var: val})
    new = SGoal(goal.context, t, "h")
    return () if discharge(new) else (new,)


# ---- have / show / specialize ---------------------------------------------------------


def have(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``have h : P := proof``, ``have h : P`` (P first as a new goal), ``have h := proof``."""
    lhs, rhs = split_assign(args)
    k = find_top(lhs, ":")
    name_src = (lhs[:k] if k >= 0 else lhs).strip()
    name = name_src or "this"
    if not is_ident(name):
        raise TacticFailure(f"have: expected a name, got '{name_src}'")
    if k >= 0:
        prop = prop_of(lhs[k + 1:], goal)
        if rhs is None:
            return (SGoal(goal.context, prop), add_decls(goal, [HypDecl(name, prop)]))
        elab(rhs, goal, ctx, prop)
    else:
        if rhs is None:
            raise TacticFailure("have: expected ': type' or ':= term'")
        prop = elab(rhs, goal, ctx)
    return (add_decls(goal, [HypDecl(name, prop)]),)


def replace(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``replace h : P := proof`` / ``replace h := proof`` / ``replace h : P``: as ``have``,
    and the earlier ``h`` (which the proof may use) is removed from the main goal."""
    lhs, _ = split_assign(args)
    k = find_top(lhs, ":")
    name = (lhs[:k] if k >= 0 else lhs).strip() or "this"
    old = [i for i, d in enumerate(goal.context) if d.name == name]
    goals = have(goal, args, ctx)
    if not old:
        return goals
    main = goals[-1]
    idx = old[-1]
    trimmed = SGoal(main.context[:idx] + main.context[idx + 1:], main.target, main.tag)
    return goals[:-1] + (trimmed,)


def show(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    prop = prop_of(args, goal)
    if not props_match(prop, goal.target):
        raise mismatch(args, prop, goal.target)
    return (SGoal(goal.context, prop, goal.tag),)


def specialize(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    words = top_words(args)
    if len(words) < 2:
        raise TacticFailure("specialize: expected 'specialize h args…'")
    find_hyp(goal, words[0])
    prop = elab(args, goal, ctx)
    return (replace_hyp(goal, words[0], prop),)


def clear(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    for n in args.split():
        find_hyp(goal, n)
        goal = remove_decls(goal, {n})
    return (goal,)


# ---- apply ----------------------------------------------------------------------------


def apply(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    """``apply e``: ``e``'s conclusion must match the target after its premises; the
    premises (``→``) become new goals. Lemmas are matched against the target first."""
    src = args.strip()
    words = top_words(src)
    if words and (words[0] in ctx.lemmas or words[0].rpartition(".")[0] in ctx.lemmas):
        return _apply_lemma(goal, words[0], words[1:], ctx)
    from qed.env.sandbox.tactics.proofterm import fused_iff_head  # apply (mul_le_mul_left h).mpr

    fused = fused_iff_head(src, goal, ctx)
    if fused is not None:
        return _apply_lemma(goal, fused[0], fused[1], ctx)
    prop = elab(src, goal, ctx)
    premises: list[Prop] = []
    while True:
        if props_match(prop, goal.target):
            return tuple(SGoal(goal.context, p) for p in premises)
        c = canon(prop) if not isinstance(prop, Imp) else prop
        if isinstance(c, Imp):
            premises.append(c.lhs)
            prop = c.rhs
            continue
        break
    raise TacticFailure(f"tactic 'apply' failed, could not unify the conclusion of\n  {src}\nwith the goal\n"
                        f"{ctx.show_goal(goal)}")


def _apply_lemma(goal: SGoal, name: str, args: list[str], ctx: Ctx) -> tuple[SGoal, ...]:
    from qed.env.sandbox.tactics.proofterm import apply_lemma

    return apply_lemma(goal, name, args, ctx)


# ---- small closers --------------------------------------------------------------------


def rfl(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("rfl", args)
    t = goal.target
    if isinstance(t, Rel) and t.op in ("=", "≤", "≥") and (t.lhs == t.rhs or (t.op == "=" and _refl_eq(t))):
        return ()
    if isinstance(t, Iff) and props_match(t.lhs, t.rhs):
        return ()
    raise TacticFailure(f"The rfl tactic failed. Possible reasons:\n- The goal is not a reflexive relation\n"
                        f"- The arguments of the relation are not equal\n{ctx.show_goal(goal)}")


def trivial(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("trivial", args)
    if discharge(goal):
        return ()
    t = goal.target
    if isinstance(t, (Rel, Bool_)):
        try:
            if decide(t) is True:
                return ()
        except Exception:  # noqa: BLE001 - undecidable here means trivial fails
            pass
    raise TacticFailure("trivial failed to close the goal")


def symm(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    _no_args("symm", args)
    t = goal.target
    if isinstance(t, Rel) and t.op in ("=", "≠"):
        return (SGoal(goal.context, Rel(t.op, t.rhs, t.lhs), goal.tag),)
    if isinstance(t, Iff):
        return (SGoal(goal.context, Iff(t.rhs, t.lhs), goal.tag),)
    raise TacticFailure("symm: the goal is not a symmetric relation")


def by_cases(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    k = find_top(args, ":")
    name = args[:k].strip() if k >= 0 else "h"
    if not is_ident(name):
        raise TacticFailure(f"by_cases: expected a name, got '{name}'")
    prop = prop_of(args[k + 1:] if k >= 0 else args, goal)
    pos = add_decls(goal, [HypDecl(name, prop)])
    neg = add_decls(goal, [HypDecl(name, Not(prop))])
    return (SGoal(pos.context, pos.target, "pos"), SGoal(neg.context, neg.target, "neg"))


def _no_args(name: str, args: str) -> None:
    if args.strip():
        raise TacticFailure(f"{name}: unexpected argument '{args.strip()}'")


def is_closed_by_hyp(goal: SGoal) -> bool:
    return _hyp_closes(goal)

