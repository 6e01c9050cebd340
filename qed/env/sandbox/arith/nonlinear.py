"""``nlinarith``: Mathlib's nonlinear preprocessing in front of the linear decision procedure.

Owns the products-and-squares preprocessing only; the final check is ``linear.lra_unsat``
(linear real arithmetic with every monomial an independent variable). The nonlinear
problem is never handed to a nonlinear solver, so the strength is Lean's, not z3's.

Exactly what is implemented (following ``Mathlib.Tactic.Linarith.Preprocessing``,
``nlinarithExtras``), for each domain tried (the goal's type first, then each other type
of comparison hypotheses, as ``linarith`` does):

1. The comparison list ``ls``: usable hypotheses (conjunctions split, as in ``linarith``), the hint facts
   (``hints``; they must be proved facts: the caller's responsibility), and the negated
   goal, each in ``p R 0`` form with ``R ∈ {<, ≤, =}``. In ℕ/ℤ, ``0 ≤ t`` for each ℕ atom
   is added and strict facts are strengthened to ``p + 1 ≤ 0`` first; in ℚ/ℝ ``0 ≤ ↑t``
   for casts of ℕ terms (these run before ``nlinarithExtras`` in Lean; ``linear``).
2. Squares: for every subterm ``a ^ 2`` (literal exponent 2) or ``a * a`` (syntactically
   equal factors) of those facts, add ``0 ≤ a ^ 2`` (``sq_nonneg``/``mul_self_nonneg``).
3. Products: for every pair (i ≤ j, the diagonal included: ``List.mapDiagM``) of the
   square facts and ``ls``, add the product with the sign rule ``p < 0, q < 0 ⊢ 0 < p*q``;
   ``p ≤ 0`` and ``q < 0``/``q ≤ 0`` give ``0 ≤ p*q``; an equality gives ``p*q = 0``.
4. Decide all of it by linear arithmetic over monomials.

A goal ``a = b`` is two runs (``a ≤ b`` and ``b ≤ a``) as in ``linarith``.
"""

from __future__ import annotations

from collections.abc import Sequence

from qed.env.sandbox.arith.errors import Deadline
from qed.env.sandbox.arith.linear import (
    Comparison,
    as_relation,
    domain,
    goal_negations,
    hypothesis_domains,
    int_preprocess,
    lra_unsat,
    nat_cast_nonneg,
    relation_comparison,
    split_conjunctions,
)
from qed.env.sandbox.arith.poly import AtomTable, PolyTooLarge, canonical_atom, mul, scale, to_poly
from qed.env.sandbox.ast import Abs, App, BinOp, Cast, Neg, Num, Prop, Rel, Term

MAX_FACTS = 60  # beyond this many facts the quadratic product step is cut off (Lean would time out)


def find_squares(t: Term, out: dict[Term, Term]) -> None:
    """Collect ``a`` for each ``a ^ 2`` / ``a * a`` subterm of ``t`` (keyed canonically)."""
    match t:
        case BinOp(op="^", lhs=a, rhs=Num(value=v)) if v == 2:
            find_squares(a, out)
            out.setdefault(canonical_atom(a), a)
        case BinOp(op="*", lhs=a, rhs=b) if canonical_atom(a) == canonical_atom(b):
            find_squares(a, out)
            out.setdefault(canonical_atom(a), a)
        case BinOp(lhs=a, rhs=b):
            find_squares(a, out)
            find_squares(b, out)
        case Neg(arg=a) | Abs(arg=a) | Cast(arg=a):
            find_squares(a, out)
        case App(args=args):
            for a in args:
                find_squares(a, out)


def _product(a: Comparison, b: Comparison) -> Comparison:
    p = mul(a.poly, b.poly)
    if a.op == "=" or b.op == "=":
        return Comparison(p, "=")
    # both sides ≤ 0 or < 0: the product is ≥ 0 (> 0 when both strict); write it as -p R 0
    return Comparison(scale(p, -1), "<" if a.op == b.op == "<" else "≤")


def _run(rels: list[Rel], dom: str, deadline: Deadline) -> bool:
    atoms = AtomTable(nat_casts_transparent=True)
    comps = [c for c in (relation_comparison(r, atoms) for r in rels) if c is not None]
    squares: dict[Term, Term] = {}
    for r in rels:
        find_squares(r.lhs, squares)
        find_squares(r.rhs, squares)
    square_facts = []
    for a in squares.values():
        sq = to_poly(BinOp("*", a, a, a.ty), atoms)
        square_facts.append(Comparison(scale(sq, -1), "≤"))
    if dom == "int":  # after the squares, so that every atom is registered
        comps = int_preprocess(comps, atoms)
    else:
        comps += nat_cast_nonneg(rels, atoms)
    if lra_unsat(square_facts + comps, deadline):  # a subset of the product problem: same answer, cheaper
        return True
    base = (square_facts + comps)[:MAX_FACTS]
    products = []
    for i in range(len(base)):
        deadline.check("nlinarith")
        for j in range(i, len(base)):
            try:
                products.append(_product(base[i], base[j]))
            except PolyTooLarge:  # skipping a product only weakens the procedure
                continue
    return lra_unsat(square_facts + comps + products, deadline)


def nlinarith(hyps: Sequence[Prop], goal: Prop, hints: Sequence[Prop], *, timeout_s: float) -> bool:
    """True only if ``goal`` follows from ``hyps`` and ``hints`` by the preprocessing above.

    Raises ``ArithTimeout`` when ``timeout_s`` is exceeded.
    """
    deadline = Deadline.after(timeout_s)
    facts = split_conjunctions(list(hyps) + list(hints))
    dom, negations = goal_negations(goal)

    def usable(d: str) -> list[Rel]:
        out = []
        for h in facts:
            r = as_relation(h)
            if r is not None and r.op != "≠" and domain(r.lhs.ty) == d:
                out.append(r)
        return out

    if dom is not None and all(_run(usable(dom) + [n], dom, deadline) for n in negations if n):
        return True
    return any(_run(usable(d), d, deadline) for d in hypothesis_domains(facts))


__all__ = ["nlinarith", "find_squares"]
