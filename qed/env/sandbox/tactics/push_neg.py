"""``push_neg`` (and ``push_neg at h``): push negations inward as Mathlib's ``push_neg``.

Rules (Mathlib's defaults): ``¬¬P ↦ P``; ``¬(P ∧ Q) ↦ P → ¬Q``; ``¬(P ∨ Q) ↦ ¬P ∧ ¬Q``;
``¬(P → Q) ↦ P ∧ ¬Q``; ``¬(P ↔ Q) ↦ (P ∧ ¬Q) ∨ (¬P ∧ Q)``; ``¬∀ x, P ↦ ∃ x, ¬P`` and
``¬∃ x, P ↦ ∀ x, ¬P`` (bounded binders stay bounded: ``¬∀ x > 0, P ↦ ∃ x > 0, ¬P``);
``¬a = b ↦ a ≠ b``; ``¬a ≠ b ↦ a = b``; ``¬a < b ↦ b ≤ a``; ``¬a ≤ b ↦ b < a``;
``¬a > b ↦ a ≤ b``; ``¬a ≥ b ↦ a < b``; ``¬True ↦ False``; ``¬False ↦ True``.
Negations of ``∣`` stay. Every rule is an equivalence, so soundness is preserved.

Owns this rewriting only; no goals or contexts.
"""

from __future__ import annotations

from qed.env.sandbox.ast import And, Bool_, Exists, Forall, Iff, Imp, Not, Or, Prop, Rel

_NEG_REL = {"=": "≠", "≠": "="}


def push_neg_prop(p: Prop) -> Prop:
    """``p`` with every negation pushed inward (see the module docstring)."""
    match p:
        case Not(arg=a):
            return _negate(a)
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            return type(p)(push_neg_prop(a), push_neg_prop(b))
        case Forall(var=v, ty=ty, body=b, bounded=bd):
            return Forall(v, ty, push_neg_prop(b), bd)
        case Exists(var=v, ty=ty, body=b, bounded=bd):
            return Exists(v, ty, push_neg_prop(b), bd)
    return p


def _negate(p: Prop) -> Prop:
    """The pushed form of ``¬p``."""
    match p:
        case Not(arg=a):
            return push_neg_prop(a)
        case And(lhs=a, rhs=b):
            return Imp(push_neg_prop(a), _negate(b))
        case Or(lhs=a, rhs=b):
            return And(_negate(a), _negate(b))
        case Imp(lhs=a, rhs=b):
            return And(push_neg_prop(a), _negate(b))
        case Iff(lhs=a, rhs=b):
            pa, pb = push_neg_prop(a), push_neg_prop(b)
            return Or(And(pa, _negate(b)), And(_negate(a), pb))
        case Forall(var=v, ty=ty, body=Imp(lhs=guard, rhs=body), bounded=True):
            return Exists(v, ty, And(push_neg_prop(guard), _negate(body)), True)
        case Forall(var=v, ty=ty, body=b):
            return Exists(v, ty, _negate(b), False)
        case Exists(var=v, ty=ty, body=And(lhs=guard, rhs=body), bounded=True):
            return Forall(v, ty, Imp(push_neg_prop(guard), _negate(body)), True)
        case Exists(var=v, ty=ty, body=b):
            return Forall(v, ty, _negate(b), False)
        case Rel(op=op, lhs=a, rhs=b):
            if op in _NEG_REL:
                return Rel(_NEG_REL[op], a, b)
            if op == "<":
                return Rel("≤", b, a)
            if op == "≤":
                return Rel("<", b, a)
            if op == ">":
                return Rel("≤", a, b)
            if op == "≥":
                return Rel("<", a, b)
        case Bool_(value=v):
            return Bool_(not v)
    return Not(p)
