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
    REAL,
    Abs,
    And,
    App,
    BinOp,
    Bool_,
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
    Term,
    Var,
)
from qed.env.sandbox.tactics.rewrite import subterms
from qed.env.sandbox.tactics.subst import (
    match_prop,
    match_term,
    prop_vars,
    props_match,
    subst_prop,
    subst_term,
    term_vars,
)

_TRUE = Bool_(True)
_TERMS = (Num, Var, BinOp, Neg, Abs, Cast, App)
MAX_INSTANCES = 64


@dataclass(frozen=True)
class NamedLemma:
    """A lemma-table entry given by name (or applied, ``abs_of_nonneg h``) in a simp hint
    list; ``rules`` are ``proofterm.lemma_rewrite_rules``' when it provided them."""

    name: str
    table: object  # ctx.lemmas
    rules: tuple = ()
    reverse: bool = False  # ``simp [← foo]``


# one rule: (lhs, rhs, metas, side conditions, is_iff)
_Rule = tuple


def hint_item(src: str, goal, ctx):
    """A simp hint as a ``NamedLemma`` (table lemmas, applied or not) or a fact (``Prop``:
    hypotheses and other proof terms). Raises ``TacticFailure`` as ``elab`` does."""
    from qed.env.sandbox.tactics.args import top_words
    from qed.env.sandbox.tactics.proofterm import elab

    s = src.strip()
    hyps = {d.name for d in goal.context if isinstance(d, HypDecl)}
    words = top_words(s) if s else []
    head = words[0].split(".")[0] if words else ""
    if s and s not in hyps and head not in hyps:
        table = ctx.lemmas
        try:
            from qed.env.sandbox.tactics.proofterm import lemma_rewrite_rules
        except ImportError:
            lemma_rewrite_rules = None
        if lemma_rewrite_rules is not None and words and _in_table(words[0], table):
            try:
                rules = lemma_rewrite_rules(s, goal, ctx)
            except (TypeError, ValueError, KeyError, AttributeError):
                rules = []
            if rules:
                return NamedLemma(s, table, tuple(rules))
        name = resolve_name(s, table)
        if name is not None:
            return NamedLemma(name, table)
    return elab(s, goal, ctx)


def _in_table(word: str, table) -> bool:
    try:
        return word in table or word.rsplit(".", 1)[0] in table
    except TypeError:
        return False


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


def _rules(lem: NamedLemma, p: Prop) -> list[_Rule]:
    """The lemma's rules at the number types of ``p``: (lhs, rhs, metas, side, is_iff),
    right to left for ``← foo`` (an ``↔`` to ``True``/``False`` cannot be reversed)."""
    rules = _rules_forward(lem, p)
    if not lem.reverse:
        return rules
    return [(r, l, m, side, iff) for l, r, m, side, iff in rules if not isinstance(r, Bool_)]


def _rules_forward(lem: NamedLemma, p: Prop) -> list[_Rule]:
    if lem.rules:
        return [(r.lhs, r.rhs, frozenset(r.metas), tuple(r.side), r.is_iff) for r in lem.rules]
    out: list[_Rule] = []
    for ty in _types(p):
        try:
            schema = lem.table.instance(lem.name, ty)  # type: ignore[attr-defined]
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
        metas = frozenset(schema.metas)
        side = tuple(q.prop for q in schema.params if getattr(q, "prop", None) is not None)
        c = schema.concl
        if isinstance(c, Rel) and c.op == "=":
            out.append((c.lhs, c.rhs, metas, side, False))
        elif isinstance(c, Iff):
            out.append((c.lhs, c.rhs, metas, side, True))
        elif isinstance(c, Not):
            out.append((c.arg, Bool_(False), metas, side, True))
        else:
            out.append((c, _TRUE, metas, side, True))
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
        for lhs, rhs, metas, conds, is_iff in _rules(lem, p):
            need = _metas_of(lhs, metas) | _metas_of(rhs, metas)
            if not is_iff:
                if isinstance(lhs, Var) and lhs.name in metas or _ring_identity(lhs, rhs):
                    continue  # mul_comm, add_assoc, mul_add …: only reorder (see simp_all)
                for t in terms:
                    binds: dict[str, Term] = {}
                    if match_term(lhs, t, metas, binds) and set(binds) >= need:
                        if _conds_ok(list(conds), binds, metas, facts, timeout_s):
                            inst = Rel("=", t, subst_term(rhs, binds))
                            if inst not in out and not _metas_of(inst, metas):
                                out.append(inst)
            else:
                for q in props:
                    binds = {}
                    if match_prop(lhs, q, metas, binds) and set(binds) >= need:
                        if _conds_ok(list(conds), binds, metas, facts, timeout_s):
                            inst = Iff(q, subst_prop(rhs, binds))
                            if inst not in out and not _metas_of(inst, metas):
                                out.append(inst)
            if len(out) >= MAX_INSTANCES:
                return out
    return out


def reorders(p: Prop, lemmas: list) -> bool:
    """Some named ring-identity lemma (``mul_comm``, ``sq``, ``Nat.mul_add`` …), which the
    sandbox does not rewrite with, has a left-hand side whose head operation occurs in
    ``p``: Lean's simp would (most likely) have rewritten there, so "no progress" is not
    reported for it. Affects only that message, never a goal."""
    named = [lem for lem in lemmas if isinstance(lem, NamedLemma)]
    if not named:
        return False
    ops = {t.op for t in subterms(p) if isinstance(t, BinOp)}
    for lem in named:
        rules = _rules(lem, p) or _rules_at(lem, REAL)
        for lhs, rhs, _metas, _side, is_iff in rules:
            if is_iff or not isinstance(lhs, BinOp) or not _ring_identity(lhs, rhs):
                continue
            if lhs.op in ops:
                return True
    return False


def _rules_at(lem: NamedLemma, ty) -> list[_Rule]:
    from qed.env.sandbox.ast import Rel as _Rel

    probe = _Rel("=", Var("_probe", ty), Var("_probe", ty))
    return _rules(lem, probe)


def _metas_of(x, metas: frozenset[str]) -> set[str]:
    """The pattern variables occurring anywhere in a term or proposition (binders too)."""
    names = term_vars(x) if isinstance(x, _TERMS) else prop_vars(x)
    return names & metas


def _ring_identity(lhs, rhs) -> bool:
    """A commutative-ring identity simp would only reorder with; the exponent laws at
    symbolic exponents (``pow_succ``, ``pow_add``), which ``ring`` also proves, are real
    rewrites for simp (``3 ^ (n + 1)`` to ``3 ^ n * 3``)."""
    if _symbolic_power(lhs) or _symbolic_power(rhs):
        return False
    try:
        return ring_equal(lhs, rhs)
    except (TypeError, ValueError):
        return False


def _symbolic_power(t) -> bool:
    from qed.env.sandbox.arith import evaluate

    for x in subterms(Rel("=", t, t)):
        if isinstance(x, BinOp) and x.op == "^" and evaluate(x.rhs) is None:
            return True
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
        if _metas_of(inst, metas):
            return False  # a hypothesis mentioning an unbound pattern variable
        if not discharged(inst, facts, timeout_s):
            return False
    return True
