"""``simp_all`` and ``simpa``: Mathlib's simp front ends over the sandbox's simp set
(``arith.norm_num``; see ``arith_tactics.norm_num`` for the set and its strength).

``simp_all [hints]`` / ``simp_all only [hints]``: every hypothesis is simplified with the
hints and all *other* current hypotheses as rewrite rules (``h : a = b`` rewrites ``a`` to
``b``, ``h : ∀ x, f x = …`` is instantiated, any other fact ``P`` rewrites ``P`` to
``True``), then the target with the hints and all hypotheses, in rounds until nothing
changes (at most ``MAX_ROUNDS``). A hypothesis becoming ``False`` closes the goal, one
becoming ``True`` is removed; the target becoming ``True`` closes the goal. No change:
"simp_all made no progress". Sound: each step replaces one proposition by one equivalent
to it under the others, so the context stays equivalent and the new goal implies the old.

``only``: as Lean's ``simp only``, ground ℚ/ℝ arithmetic is not evaluated (ℕ/ℤ literals
are, by core's simprocs) and relations are not decided by cancellation, so
``simp_all only [h₀, one_pow, mul_one]`` leaves ``28 + 3 - 29 + 4 - 7 + 1 = 0`` for the
following ``ring`` as Lean does. Without ``only`` the full sandbox simp set is used.
Hint names the sandbox cannot elaborate (simp lemmas such as ``mul_comm``, ``sq``,
``add_assoc``) are ignored: the result is then less simplified than Lean's, never wrong.

``simpa [hints] using e``: simplifies the target and the type of ``e`` with the same
set and closes the goal when they agree (up to ``>``/``≥`` orientation, as ``exact``), when
the type of ``e`` simplifies to ``False``, or when the target simplifies to ``True``.
``simpa [hints]`` (no ``using``): the target's simplified form must match a hypothesis
simplified the same way (``assumption``), or simplify to ``True``. Failure: "simpa failed"
with both propositions.
"""

from __future__ import annotations

from qed.env.sandbox.arith import ring_equal
from qed.env.sandbox.ast import Bool_, Forall, HypDecl, Prop, Rel, SGoal
from qed.env.sandbox.tactics.args import find_top, take_hints
from qed.env.sandbox.tactics.core import Ctx, TacticFailure, remove_decls, replace_hyp
from qed.env.sandbox.tactics.proofterm import elab, show_prop
from qed.env.sandbox.tactics.simp_lemmas import NamedLemma, hint_item, reorders
from qed.env.sandbox.tactics.subst import props_match

MAX_ROUNDS = 4
_TRUE, _FALSE = Bool_(True), Bool_(False)


def hint_lemmas(srcs: list[str], goal: SGoal, ctx: Ctx) -> list:
    """The hints that elaborate to facts (``*`` is every hypothesis); others are ignored,
    and so are ring identities (``mul_comm``, ``add_assoc``, ``mul_add``, ``sq`` …), which
    only reorder terms that every later sandbox procedure normalises anyway."""
    out: list = []
    for src in srcs:
        if src.strip() == "*":
            out += [d.prop for d in goal.context if isinstance(d, HypDecl)]
            continue
        try:
            p = hint_item(src, goal, ctx)
        except TacticFailure:
            continue
        except (TypeError, ValueError, KeyError, AttributeError):
            continue  # a lemma the table cannot instantiate without arguments
        if isinstance(p, NamedLemma) or not _ring_identity(p):
            out.append(p)
    return out


def _ring_identity(p: Prop) -> bool:
    while isinstance(p, Forall):
        p = p.body
    if not (isinstance(p, Rel) and p.op == "="):
        return False
    try:
        return ring_equal(p.lhs, p.rhs)
    except (TypeError, ValueError):
        return False


def _simp(p: Prop, lemmas: list, arith: bool, ctx: Ctx | None = None) -> Prop:
    from qed.env.sandbox.tactics.arith_tactics import simp_with

    return simp_with(p, lemmas, arith=arith, timeout_s=ctx.remaining() if ctx is not None else 1.0)


def simp_all(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    rest, hints, only = take_hints(args)
    if rest.strip():
        raise TacticFailure(f"simp_all: unexpected '{rest.strip()}'")
    lemmas = hint_lemmas([h.src for h in hints], goal, ctx)
    arith = not only
    progress = False
    for _ in range(MAX_ROUNDS):
        changed = False
        for name in [d.name for d in goal.context if isinstance(d, HypDecl)]:
            ctx.check()
            decl = next((d for d in goal.context if isinstance(d, HypDecl) and d.name == name), None)
            if decl is None:
                continue
            others = [d.prop for d in goal.context if isinstance(d, HypDecl) and d is not decl]
            new = _simp(decl.prop, lemmas + others, arith, ctx)
            if new == decl.prop:
                continue
            changed = True
            if new == _FALSE:
                return ()
            goal = remove_decls(goal, {name}) if new == _TRUE else replace_hyp(goal, name, new)
        ctx.check()
        hyps = [d.prop for d in goal.context if isinstance(d, HypDecl)]
        new = _simp(goal.target, lemmas + hyps, arith, ctx)
        if new == _TRUE:
            return ()
        if new != goal.target:
            changed = True
            goal = SGoal(goal.context, new, goal.tag)
        progress = progress or changed
        if not changed:
            break
    if not progress and not any(reorders(q, lemmas) for q in [goal.target] + [
            d.prop for d in goal.context if isinstance(d, HypDecl)]):
        raise TacticFailure("simp_all made no progress")
    return (goal,)


def simpa(goal: SGoal, args: str, ctx: Ctx) -> tuple[SGoal, ...]:
    k = find_top(args, "using", word=True)
    using = args[k + len("using"):].strip() if k >= 0 else None
    head = args[:k] if k >= 0 else args
    rest, hints, only = take_hints(head)
    if rest.strip():
        raise TacticFailure(f"simpa: unexpected '{rest.strip()}'")
    if using == "":
        raise TacticFailure("simpa: expected a term after 'using'")
    lemmas = hint_lemmas([h.src for h in hints], goal, ctx)
    arith = not only
    target = _simp(goal.target, lemmas, arith)
    if target == _TRUE:
        return ()
    if using is not None:
        have = elab(using, goal, ctx)
        simplified = _simp(have, lemmas, arith)
        pairs = ((x, t) for x in (have, simplified) for t in (goal.target, target))
        if simplified == _FALSE or any(props_match(x, t) for x, t in pairs):
            return ()
        raise TacticFailure(
            f"simpa failed: after simplification the term has type\n  {show_prop(simplified)}\n"
            f"but is expected to have type\n  {show_prop(target)}")
    for d in goal.context:
        if isinstance(d, HypDecl):
            ctx.check()
            h = _simp(d.prop, lemmas, arith)
            if h == _FALSE or props_match(h, target) or props_match(d.prop, target):
                return ()
    raise TacticFailure(f"simpa failed to close the goal\n  {show_prop(target)}")
