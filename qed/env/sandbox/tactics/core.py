"""Shared vocabulary of the tactic layer: failures, deadlines, the run context, and the
local-context operations every tactic family needs (lookup, shadowing, inaccessible names).

Owns ``TacticFailure`` (a tactic failed: Lean-like message), ``TacticDeadline`` (the
per-tactic time limit passed), ``Ctx`` (what a tactic may call back into: the deadline,
nested tactic blocks, the lemma table, goal printing) and the helpers that add, find and
remove declarations while keeping Lean's naming rules (a shadowed name becomes ``x✝``; the
most recent inaccessible one prints as ``x✝``, older ones as ``x✝¹``, ``x✝²`` …).

It does not know any tactic, the tactic syntax, or the arithmetic procedures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qed.env.sandbox.ast import Decl, HypDecl, Prop, SGoal, Ty, VarDecl
from qed.env.sandbox.tactics.subst import rename_vars_prop

DAGGER = "✝"
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class TacticFailure(Exception):
    """A tactic failed; ``message`` is the Lean-like error text shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TacticDeadline(Exception):
    """The per-tactic time limit passed (reported as ``TacticTimeout``, never swallowed by
    ``try`` or ``first``)."""


@dataclass(frozen=True)
class Ctx:
    """What a running tactic may use besides its goal.

    - ``deadline``: monotonic-clock time after which work must stop (``check`` raises
      ``TacticDeadline``); ``remaining()`` is what arithmetic procedures get as ``timeout_s``.
    - ``run_block(goal, text)``: run a nested tactic block (``by …``) on ``goal`` and
      return the goals left (same machinery, same deadline).
    - ``lemmas``: the lemma table (``qed.env.sandbox.tactics.lemmas.LemmaTable``).
    - ``show_goal(goal)``: the goal's Lean text, for error messages.
    """

    deadline: float
    run_block: Callable[[SGoal, str], tuple[SGoal, ...]]
    lemmas: Any
    show_goal: Callable[[SGoal], str] = field(default=lambda g: repr(g))

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TacticDeadline()

    def remaining(self) -> float:
        """Seconds left, at least a small positive amount (arith rejects ``<= 0``)."""
        return max(self.deadline - time.monotonic(), 1e-3)


# ---- lookup ---------------------------------------------------------------------------


def find_hyp(goal: SGoal, name: str) -> HypDecl:
    """The most recent hypothesis called ``name``; ``unknown identifier`` otherwise."""
    for d in reversed(goal.context):
        if d.name == name:
            if isinstance(d, HypDecl):
                return d
            raise TacticFailure(f"'{name}' is a variable, not a hypothesis")
    raise TacticFailure(f"unknown identifier '{name}'")


def find_decl(goal: SGoal, name: str) -> Decl | None:
    for d in reversed(goal.context):
        if d.name == name:
            return d
    return None


def hyp_props(goal: SGoal) -> list[Prop]:
    """All hypothesis propositions in context order."""
    return [d.prop for d in goal.context if isinstance(d, HypDecl)]


def var_names(goal: SGoal) -> set[str]:
    return {d.name for d in goal.context}


# ---- adding and removing declarations ---------------------------------------------------


def is_inaccessible(name: str) -> bool:
    return DAGGER in name


def _base(name: str) -> str:
    return name.split(DAGGER, 1)[0]


def inaccessible(base: str, context: tuple[Decl, ...], target: Prop) -> str:
    """A fresh inaccessible name ``base✝…`` not used in ``context`` (placeholder; the final
    display name is assigned by ``normalize_names``)."""
    used = {d.name for d in context}
    k = 0
    while True:
        cand = f"{base}{DAGGER}#{k}"
        if cand not in used:
            return cand
        k += 1


def shadow(goal: SGoal, name: str, keep_last: bool = False) -> tuple[SGoal, dict[str, str]]:
    """Make room for a new declaration ``name``: every existing one (all but the last if
    ``keep_last``) gets a distinct inaccessible name, and a variable is also renamed where
    it is referred to (the declarations after it up to the next one of that name, and the
    target when it is the last). Returns the new goal and the target's renaming."""
    if is_inaccessible(name):
        return goal, {}
    idxs = [i for i, d in enumerate(goal.context) if d.name == name]
    if keep_last:
        idxs = idxs[:-1]
    if not idxs:
        return goal, {}
    context = list(goal.context)
    tgt = goal.target
    target_map: dict[str, str] = {}
    for i in idxs:
        new_name = inaccessible(name, tuple(context), tgt)
        old = context[i]
        if isinstance(old, VarDecl):
            nxt = next((k for k in range(i + 1, len(context)) if context[k].name == name), len(context))
            mapping = {name: new_name}
            for k in range(i + 1, nxt):
                context[k] = _rename_in_decl(context[k], mapping)
            if nxt == len(context):
                tgt = rename_vars_prop(tgt, mapping)
                target_map = mapping
            context[i] = VarDecl(new_name, old.ty)
        else:
            context[i] = HypDecl(new_name, old.prop)
    return SGoal(tuple(context), tgt, goal.tag), target_map


def separate_shadowed(goal: SGoal) -> SGoal:
    """Give shadowed declarations (a name declared twice, as statements allow) distinct
    inaccessible names, so that every name in the context is unique."""
    seen: set[str] = set()
    dup: list[str] = []
    for d in goal.context:
        if d.name in seen and d.name not in dup:
            dup.append(d.name)
        seen.add(d.name)
    for name in dup:
        goal, _ = shadow(goal, name, keep_last=True)
    return normalize_names(goal)


def add_decls(goal: SGoal, decls: list[Decl], target: Prop | None = None) -> SGoal:
    """Append ``decls`` to the context (later ones shadow earlier ones of the same name),
    with ``target`` as the new target when given. Shadowing follows ``shadow``; the new
    declarations and ``target`` must already be phrased in the renamed context.

    Display names of inaccessible declarations are assigned later (``normalize_names``,
    which the engine runs on every goal a tactic produces).
    """
    if target is not None:
        goal = SGoal(goal.context, target, goal.tag)
    for decl in decls:
        goal, _ = shadow(goal, decl.name)
        goal = SGoal(goal.context + (decl,), goal.target, goal.tag)
    return goal


def _rename_in_decl(d: Decl, mapping: dict[str, str]) -> Decl:
    if isinstance(d, HypDecl):
        return HypDecl(d.name, rename_vars_prop(d.prop, mapping))
    return d


def remove_decls(goal: SGoal, names: set[str]) -> SGoal:
    """Drop the declarations called ``names`` (the most recent of each)."""
    remaining = list(goal.context)
    for name in names:
        for i in range(len(remaining) - 1, -1, -1):
            if remaining[i].name == name:
                del remaining[i]
                break
    return SGoal(tuple(remaining), goal.target, goal.tag)


def replace_hyp(goal: SGoal, name: str, prop: Prop) -> SGoal:
    """Replace the most recent hypothesis ``name`` by ``prop`` in place."""
    ctx = list(goal.context)
    for i in range(len(ctx) - 1, -1, -1):
        if ctx[i].name == name:
            ctx[i] = HypDecl(name, prop)
            return SGoal(tuple(ctx), goal.target, goal.tag)
    raise TacticFailure(f"unknown identifier '{name}'")


def fresh_var_name(base: str, goal: SGoal) -> str:
    """``base`` if unused in the context, else ``base_1``, ``base_2`` … (deterministic)."""
    used = var_names(goal)
    if base not in used:
        return base
    k = 1
    while f"{base}_{k}" in used:
        k += 1
    return f"{base}_{k}"


def normalize_names(goal: SGoal) -> SGoal:
    """Give inaccessible names Lean's display form: per base name, the most recent is
    ``x✝``, the one before ``x✝¹``, then ``x✝²`` … (renaming variable occurrences too)."""
    if not any(DAGGER in d.name for d in goal.context):
        return goal
    groups: dict[str, list[int]] = {}
    for i, d in enumerate(goal.context):
        if DAGGER in d.name:
            groups.setdefault(_base(d.name), []).append(i)
    final: dict[int, str] = {}
    for base, idxs in groups.items():
        for rank, i in enumerate(reversed(idxs)):
            final[i] = base + DAGGER + (str(rank).translate(_SUPERSCRIPTS) if rank else "")
    if all(goal.context[i].name == n for i, n in final.items()):
        return goal
    var_map = {goal.context[i].name: n for i, n in final.items() if isinstance(goal.context[i], VarDecl)}
    out: list[Decl] = []
    for i, d in enumerate(goal.context):
        name = final.get(i, d.name)
        if isinstance(d, VarDecl):
            out.append(VarDecl(name, d.ty))
        else:
            out.append(HypDecl(name, rename_vars_prop(d.prop, var_map) if var_map else d.prop))
    target = rename_vars_prop(goal.target, var_map) if var_map else goal.target
    return SGoal(tuple(out), target, goal.tag)


def var_decl(name: str, ty: Ty) -> VarDecl:
    return VarDecl(name, ty)
