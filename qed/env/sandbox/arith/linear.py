"""``linarith``: linear arithmetic over ordered fields, with Mathlib's preprocessing.

Owns the translation of comparison hypotheses into linear constraints ``p R 0`` over
monomials (``Comparison``), the exact rational feasibility check (z3's linear real
arithmetic, which is exact), and ``linarith`` itself. ``nonlinear.py`` builds on it.
It does not know tactic syntax or how hypotheses are named.

What is implemented (mirroring Mathlib's ``linarith``):

- Conjunctions are split first, recursively: ``h : 0 < a ∧ a + b = 1`` gives ``0 < a`` and
  ``a + b = 1`` (Mathlib's ``Linarith.splitConjunctions`` preprocessor, run because
  ``LinarithConfig.splitHypotheses`` defaults to ``true``; source:
  ``Mathlib/Tactic/Linarith/Preprocessing.lean`` and ``Frontend.lean``). Hint terms are
  split the same way.
- Hypotheses used: ``= < ≤ > ≥`` and ``¬`` of ``< ≤ > ≥`` between terms of one type.
  ``≠`` hypotheses are ignored (Lean's ``splitNe`` is off by default).
- Goal ``t R s``: its negation is added (``a = b`` is proved as two runs, ``a ≤ b`` and
  ``b ≤ a``); any other goal (``False``, ``≠``, ``∧`` …) is proved by contradiction
  from the hypotheses alone (``exfalso``).
- Hypotheses are grouped by type, ℕ and ℤ together (``natToInt`` moves ℕ facts to ℤ with
  ``push_cast``): the goal's type is tried first, then each other type for a contradiction.
- In ℕ/ℤ every ℕ atom ``t`` gets ``0 ≤ t`` and strict facts are strengthened,
  ``p < 0`` to ``p + 1 ≤ 0`` (``Linarith.strengthenStrictInt``). In ℚ/ℝ, a cast ``↑t`` of
  a ℕ term found in a comparison through ``+ * -`` and negation gets ``0 ≤ ↑t``
  (current Mathlib's ``natToInt``: ``getNatComparisons``/``isNatCoe`` for any target
  type; Mathlib of 2024 did this for ℤ only). Other ℝ/ℚ atoms get nothing.
- Terms are put in ring normal form (``poly.py``); every non-constant monomial is an
  opaque variable (``x * y``, ``x ^ 2``, ``x / y``, ``f x`` …), as Lean's ``linarith``
  does through its ``linear_combination`` / polynomial-arithmetic preprocessing.

Strength relative to Lean: the same class of problems (rational linear arithmetic with
those atoms). Deciding over ℚ is complete for Lean's Positivstellensatz-style certificates
(Farkas' lemma), so any goal Lean's ``linarith`` closes is closed here, and vice versa
up to atom identification (we normalise inside atoms, like ``ring_nf``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import z3

from qed.env.sandbox.arith.errors import ArithTimeout, Deadline
from qed.env.sandbox.arith.poly import AtomTable, Poly, add, const, constant_value, sub, to_poly
from qed.env.sandbox.ast import INT, NAT, RAT, REAL, And, BinOp, Cast, Neg, Not, Prop, Rel, Term, Ty
from qed.env.sandbox.numerals import int_str

_FLIP = {">": "<", "≥": "≤"}
_NEGATE = {"<": "≥", "≤": ">", ">": "≤", "≥": "<"}


@dataclass(frozen=True)
class Comparison:
    """``poly op 0`` with ``op`` one of ``<``, ``≤``, ``=`` (Mathlib's ``compWithZero`` form)."""

    poly: Poly
    op: str


def domain(ty: Ty) -> str | None:
    """The arithmetic domain a type's facts are decided in: ``int`` (ℕ, ℤ), ``rat``, ``real``."""
    if ty in (NAT, INT):
        return "int"
    if ty == RAT:
        return "rat"
    if ty == REAL:
        return "real"
    return None


def split_conjunctions(props: Sequence[Prop]) -> list[Prop]:
    """``P ∧ Q`` replaced by ``P`` and ``Q``, recursively (``Linarith.splitConjunctions``)."""
    out: list[Prop] = []
    stack = list(reversed(props))
    while stack:
        p = stack.pop()
        if isinstance(p, And):
            stack.append(p.rhs)
            stack.append(p.lhs)
        else:
            out.append(p)
    return out


def as_relation(p: Prop) -> Rel | None:
    """``p`` as a comparison ``t R s`` (pushing one ``¬`` through ``< ≤ > ≥``), else ``None``."""
    if isinstance(p, Rel):
        return p
    if isinstance(p, Not) and isinstance(p.arg, Rel) and p.arg.op in _NEGATE:
        r = p.arg
        return Rel(_NEGATE[r.op], r.lhs, r.rhs)
    return None


def relation_comparison(r: Rel, atoms: AtomTable) -> Comparison | None:
    """``r`` as ``p op 0``; ``None`` for ``≠`` (not usable by linarith)."""
    if r.op == "≠":
        return None
    op = _FLIP.get(r.op, r.op)
    lhs, rhs = (r.rhs, r.lhs) if r.op in _FLIP else (r.lhs, r.rhs)
    return Comparison(sub(to_poly(lhs, atoms), to_poly(rhs, atoms)), op)


def hypothesis_comparisons(hyps: Sequence[Prop], dom: str, atoms: AtomTable) -> list[tuple[Rel, Comparison]]:
    """The hypotheses usable in domain ``dom``, each with its comparison form."""
    out = []
    for h in hyps:
        r = as_relation(h)
        if r is None or domain(r.lhs.ty) != dom:
            continue
        c = relation_comparison(r, atoms)
        if c is not None:
            out.append((r, c))
    return out


def goal_negations(goal: Prop) -> tuple[str | None, list[Rel | None]]:
    """The goal's domain and the negated goals to refute (one per run).

    ``[None]`` means "refute the hypotheses alone" (goal proved by ``exfalso``).
    """
    r = as_relation(goal)
    if r is None or r.op == "≠" or domain(r.lhs.ty) is None:
        return None, [None]
    dom = domain(r.lhs.ty)
    if r.op == "=":
        return dom, [Rel("<", r.lhs, r.rhs), Rel(">", r.lhs, r.rhs)]
    return dom, [Rel(_NEGATE[r.op], r.lhs, r.rhs)]


def int_preprocess(comps: list[Comparison], atoms: AtomTable) -> list[Comparison]:
    """ℕ/ℤ preprocessing: strengthen ``p < 0`` to ``p + 1 ≤ 0``; add ``0 ≤ t`` per ℕ atom.

    Every atom already registered in ``atoms`` is covered, so call it after all terms of
    the problem have been translated.
    """
    out = [Comparison(add(c.poly, const(1)), "≤") if c.op == "<" else c for c in comps]
    for i, t in enumerate(atoms.terms):
        if t.ty == NAT:
            out.append(Comparison({((i, 1),): Fraction(-1)}, "≤"))
    return out


def nat_cast_nonneg(rels: Sequence[Rel], atoms: AtomTable) -> list[Comparison]:
    """``0 ≤ ↑t`` for each cast of a ℕ term into ℚ/ℝ reachable through ``+ * -`` and
    negation in the relations' sides (Mathlib's ``getNatComparisons``)."""
    found: list[Term] = []

    def walk(t: Term) -> None:
        if isinstance(t, Cast):
            if t.arg.ty == NAT and t.ty in (RAT, REAL) and t not in found:
                found.append(t)
        elif isinstance(t, BinOp) and t.op in ("+", "*", "-"):
            walk(t.lhs)
            walk(t.rhs)
        elif isinstance(t, Neg):
            walk(t.arg)

    for r in rels:
        walk(r.lhs)
        walk(r.rhs)
    out = []
    for c in found:
        p = to_poly(c, atoms)
        if constant_value(p) is None:
            out.append(Comparison(sub(const(0), p), "≤"))
    return out


def lra_unsat(comps: Sequence[Comparison], deadline: Deadline) -> bool:
    """True iff the constraints have no solution with monomials as independent reals.

    Exact (z3 linear real arithmetic over rationals). Raises ``ArithTimeout`` when the
    deadline passes; any other inconclusive answer is ``False``.
    """
    for c in comps:  # cheap ground contradictions first
        v = constant_value(c.poly)
        if v is not None and not _holds(v, c.op):
            return True
    live = [c for c in comps if constant_value(c.poly) is None]
    if not live:
        return False
    deadline.check("linarith")
    solver = z3.Solver(ctx=z3_context())
    solver.set("timeout", max(1, int(deadline.remaining() * 1000)))
    solver.from_string(_smtlib(live))  # one parse in C: much faster than building terms
    result = solver.check()
    if result == z3.unsat:
        return True
    if result == z3.unknown:
        deadline.check("linarith")
        reason = solver.reason_unknown()
        if "timeout" in reason or "canceled" in reason:
            raise ArithTimeout(f"linarith timed out after {deadline.budget_s:g}s")
    return False


_LOCAL = threading.local()


def z3_context() -> z3.Context:
    """One z3 context per thread, reused: creating a context costs milliseconds (more than
    deciding a typical problem), and a solver per call keeps the problems independent."""
    ctx = getattr(_LOCAL, "ctx", None)
    if ctx is None:
        ctx = _LOCAL.ctx = z3.Context()
    return ctx


def _real(c: Fraction) -> str:
    num, den = int_str(abs(c.numerator)), int_str(c.denominator)
    a = f"{num}.0" if c.denominator == 1 else f"(/ {num}.0 {den}.0)"
    return a if c >= 0 else f"(- {a})"


def _smtlib(comps: Sequence[Comparison]) -> str:
    """The constraints as an SMT-LIB 2 script over reals (monomials ``m0, m1, …``)."""
    names: dict = {}
    asserts = []
    for c in comps:
        terms = []
        for m, coeff in c.poly.items():
            if not m:
                terms.append(_real(coeff))
                continue
            v = names.get(m)
            if v is None:
                v = names[m] = f"m{len(names)}"
            terms.append(v if coeff == 1 else f"(* {_real(coeff)} {v})")
        lhs = terms[0] if len(terms) == 1 else f"(+ {' '.join(terms)})"
        op = "<" if c.op == "<" else "<=" if c.op == "≤" else "="
        asserts.append(f"(assert ({op} {lhs} 0.0))")
    decls = [f"(declare-fun {v} () Real)" for v in names.values()]
    return "\n".join(decls + asserts)


def _holds(v: Fraction, op: str) -> bool:
    return v < 0 if op == "<" else v <= 0 if op == "≤" else v == 0


def refutes(hyps: Sequence[Prop], negated_goal: Rel | None, dom: str, deadline: Deadline) -> bool:
    """True iff the ``dom`` hypotheses plus ``negated_goal`` are linearly contradictory."""
    atoms = AtomTable(nat_casts_transparent=True)
    pairs = hypothesis_comparisons(hyps, dom, atoms)
    comps = [c for _, c in pairs]
    rels = [r for r, _ in pairs]
    if negated_goal is not None:
        c = relation_comparison(negated_goal, atoms)
        if c is not None:
            comps.append(c)
            rels.append(negated_goal)
    if dom in ("rat", "real"):
        comps += nat_cast_nonneg(rels, atoms)
    if dom == "int":
        comps = int_preprocess(comps, atoms)
    return lra_unsat(comps, deadline)


def hypothesis_domains(hyps: Sequence[Prop]) -> list[str]:
    """Domains of the usable comparison hypotheses, in order of first appearance."""
    seen: list[str] = []
    for h in hyps:
        r = as_relation(h)
        d = domain(r.lhs.ty) if r is not None and r.op != "≠" else None
        if d is not None and d not in seen:
            seen.append(d)
    return seen


def linarith(hyps: Sequence[Prop], goal: Prop, *, timeout_s: float) -> bool:
    """True only if ``goal`` follows from ``hyps`` by linear arithmetic (see module docstring).

    Raises ``ArithTimeout`` when ``timeout_s`` is exceeded.
    """
    deadline = Deadline.after(timeout_s)
    hyps = split_conjunctions(hyps)
    dom, negations = goal_negations(goal)
    if dom is not None and all(refutes(hyps, n, dom, deadline) for n in negations):
        return True
    return any(refutes(hyps, None, d, deadline) for d in hypothesis_domains(hyps))
