"""Lemma names as simp rewrite rules (``simp [abs_of_nonneg, sub_nonneg]``,
``simp_all only [div_le_div_iff]``, ``norm_num [Nat.cast_add]``).

A hint that is a bare name of the lemma table (``ctx.lemmas``) becomes a ``NamedLemma``.
Before each simplification round its instances at the number types of the proposition
are matched against the proposition: an equation ``l = r`` against every subterm, an
``↔`` against every sub-proposition, any other conclusion ``P`` against every
sub-proposition (which then becomes ``True``). A matching instance whose hypotheses
(``abs_of_nonneg (h : 0 ≤ a) : |a| = a``) are all *discharged* is handed to the
simplifier as a plain fact. The discharger (Lean's simp uses the simp set itself; ours
is at least as careful): the condition is one of the facts (hypotheses for ``simp_all``,
the other hints), simplifies to ``True`` with them, is a positivity goal, or is a fact
scaled by a positive number after moving all terms to one side (``0 ≤ a - 1`` from
``1 ≤ a``, what simp's ``sub_nonneg`` does); no search.

Sound: an instance is used only when its hypotheses are proved, so it is a true fact, and
the simplifier only rewrites with true facts.
"""

from __future__ import annotations

from dataclasses import dataclass

from qed.env.sandbox.arith import norm_num as arith_norm_num
from qed.env.sandbox.arith import positivity, ring_equal
from qed.env.sandbox.arith.linear import relation_comparison, split_conjunctions
from qed.env.sandbox.arith.poly import AtomTable
from qed.env.sandbox.ast import (
    NUMERIC,
    And,
    Bool_,
    HypDecl,
    Iff,
    Imp,
    Not,
    Or,
    Prop,
    Rel,
    Term,
    Var,
)
from qed.env.sandbox.tactics.rewrite import subterms
from qed.env.sandbox.tactics.subst import match_prop, match_term, props_match, subst_prop, subst_term

_TRUE = Bool_(True)
MAX_INSTANCES = 64


@dataclass(frozen=True)
class NamedLemma:
    """A lemma-table entry given by name in a simp hint list."""

    name: str
    table: object  # ctx.lemmas


def resolve_name(src: str, table) -> str | None:
    """The table entry a simp hint names: itself, or for ``Nat.foo``/``Int.foo`` missing
    from the table the generic ``foo`` (the same statement at ℕ/ℤ for the algebraic laws
    such hints name, ``Nat.pow_succ``, ``Nat.mul_add``; if it differs, the rule used is
    still a true lemma, so only fidelity, never soundness, is at stake)."""
    s = src.strip()
    if not s or " " in s or "(" in s or table is None:
        return None
    try:
        if s in table:
            return s
        for prefix in ("Nat.", "Int."):
            if s.startswith(prefix) and s[len(prefix):] in table:
                return s[len(prefix):]
    except TypeError:
        return None
    return None


def is_lemma_name(src: str, table) -> bool:
    return resolve_name(src, table) is not None


def subprops(p: Prop) -> list[Prop]:
    """``p`` and its propositional parts (not under binders), outermost first."""
    out = [p]
    if isinstance(p, (And, Or, Imp, Iff)):
        out += subprops(p.lhs) + subprops(p.rhs)
    elif isinstance(p, Not):
        out += subprops(p.arg)
    return out


def _types(p: Prop) -> list:
    seen: list = []
    for t in subterms(p):
        if t.ty in NUMERIC and t.ty not in seen:
            seen.append(t.ty)
    return seen


def _schemas(lem: NamedLemma, p: Prop) -> list:
    out = []
    for ty in _types(p):
        try:
            out.append(lem.table.instance(lem.name, ty))  # type: ignore[attr-defined]
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
    return out


def discharged(cond: Prop, facts: list[Prop], timeout_s: float) -> bool:
    parts = split_conjunctions(facts)
    if any(props_match(f, cond) for f in parts):
        return True
    if arith_norm_num(cond, parts) == _TRUE:
        return True
    context = tuple(HypDecl(f"_f{i}", f) for i, f in enumerate(parts))
    if isinstance(cond, Rel) and positivity(cond, context):
        return True
    return isinstance(cond, Rel) and _scaled_fact(cond, parts)


_STRONGER = {"<": ("<",), "≤": ("<", "≤", "="), "=": ("=",)}


def _scaled_fact(cond: Rel, facts: list[Prop]) -> bool:
    """``cond`` is a fact ``q R' 0`` times a positive number after moving everything to
    one side (``0 ≤ a - 1`` from ``1 ≤ a``; simp's ``sub_nonneg`` and friends). Exact
    polynomial comparison, no search (Lean's discharger is simp, not linarith)."""
    atoms = AtomTable()
    c = relation_comparison(cond, atoms) if cond.op != "≠" else None
    if c is None or not c.poly:
        return False
    for f in facts:
        if not isinstance(f, Rel) or f.op == "≠" or f.lhs.ty != cond.lhs.ty:
            continue
        q = relation_comparison(f, atoms)
        if q is None or q.op not in _STRONGER[c.op] or not q.poly or set(q.poly) != set(c.poly):
            continue
        m = next(iter(c.poly))
        k = c.poly[m] / q.poly[m]
        sign_ok = k > 0 or (k < 0 and c.op == q.op == "=")
        if sign_ok and all(c.poly[x] == k * q.poly[x] for x in c.poly):
            return True
    return False


def instances(p: Prop, named: list[NamedLemma], facts: list[Prop], timeout_s: float) -> list[Prop]:
    """Discharged instances of the named lemmas that apply somewhere in ``p``."""
    out: list[Prop] = []
    terms = subterms(p)
    props = subprops(p)
    for lem in named:
        for schema in _schemas(lem, p):
            metas = frozenset(schema.metas)
            conds = [q.prop for q in schema.params if getattr(q, "prop", None) is not None]
            concl = schema.concl
            if isinstance(concl, Rel) and concl.op == "=":
                if isinstance(concl.lhs, Var) and concl.lhs.name in metas or _ring_identity(concl):
                    continue  # mul_comm, add_assoc, mul_add …: only reorder (see simp_all)
                for t in terms:
                    binds: dict[str, Term] = {}
                    if match_term(concl.lhs, t, metas, binds) and set(binds) >= _metas_in(concl, metas):
                        if _conds_ok(conds, binds, metas, facts, timeout_s):
                            inst = Rel("=", t, subst_term(concl.rhs, binds))
                            if inst not in out:
                                out.append(inst)
            else:
                pat = concl.lhs if isinstance(concl, Iff) else concl
                for q in props:
                    binds = {}
                    if match_prop(pat, q, metas, binds) and set(binds) >= _metas_in(concl, metas):
                        if _conds_ok(conds, binds, metas, facts, timeout_s):
                            inst = Iff(q, subst_prop(concl.rhs, binds)) if isinstance(concl, Iff) else q
                            if inst not in out:
                                out.append(inst)
            if len(out) >= MAX_INSTANCES:
                return out
    return out


def reorders(p: Prop, lemmas: list) -> bool:
    """Some named ring-identity lemma (``mul_comm``, ``Nat.mul_add`` …), which the sandbox
    does not rewrite with, matches a subterm of ``p``: Lean's simp would have rewritten
    there, so "no progress" is not reported for it."""
    named = [lem for lem in lemmas if isinstance(lem, NamedLemma)]
    if not named:
        return False
    terms = subterms(p)
    for lem in named:
        for schema in _schemas(lem, p):
            concl = schema.concl
            if not (isinstance(concl, Rel) and concl.op == "=" and _ring_identity(concl)):
                continue
            if isinstance(concl.lhs, Var):
                continue
            metas = frozenset(schema.metas)
            if any(match_term(concl.lhs, t, metas, {}) for t in terms):
                return True
    return False


def _ring_identity(r: Rel) -> bool:
    try:
        return ring_equal(r.lhs, r.rhs)
    except (TypeError, ValueError):
        return False


def _metas_in(p: Prop, metas: frozenset[str]) -> set[str]:
    names: set[str] = set()
    for t in subterms(p):
        if isinstance(t, Var) and t.name in metas:
            names.add(t.name)
    return names


def _conds_ok(conds: list[Prop], binds: dict[str, Term], metas: frozenset[str], facts: list[Prop],
              timeout_s: float) -> bool:
    for c in conds:
        inst = subst_prop(c, binds)
        if _metas_in(inst, metas):
            return False  # a hypothesis mentioning an unbound pattern variable
        if not discharged(inst, facts, timeout_s):
            return False
    return True
