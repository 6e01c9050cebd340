"""``omega``: linear integer arithmetic over ℕ and ℤ with propositional structure.

Owns the translation of ℕ/ℤ facts into z3 integer constraints and the decision. It does
not know ℚ/ℝ (facts about them are opaque propositions) or tactic syntax.

What is implemented (following the documentation of Lean 4's ``omega``):

- Hypotheses and goal may combine ``= ≠ < ≤ > ≥``, ``∣`` (numeral divisor), ``¬ ∧ ∨ →
  ↔``, ``True``/``False`` over ℕ/ℤ terms; quantified or non-ℕ/ℤ sub-propositions are
  opaque boolean atoms (so they can only help through propositional reasoning).
- Terms: linear combinations of atoms with integer coefficients. Every ℕ atom is
  ``≥ 0``; ``↑(n : ℕ) : ℤ`` is ``n``; ℕ subtraction ``a - b`` is ``if b ≤ a then a - b
  else 0`` (Lean's omega case-splits on it); ``x / k`` and ``x % k`` for a numeral ``k``
  are exact (z3's integer ``div``/``mod`` are Euclidean, which is ``Int.ediv``/
  ``Int.emod`` and, on ℕ arguments, ``Nat.div``/``Nat.mod``; ``k = 0`` gives ``0`` and
  ``x``). ``x / y``, ``x ^ y`` with a variable, ``|x|`` and function applications are
  atoms (as Lean's omega atomises them), ground subterms are evaluated. Products of two
  non-numerals are distributed into monomials and each monomial of degree ≥ 2 is an atom
  (``≥ 0`` when all its factors are ℕ or all exponents even): slightly stronger than
  Lean's omega, which atomises the product as written (``(k + 1) * (k + 2)``) and needs
  ``simp [Nat.mul_add, …]`` first.
- The goal is negated and added to the hypotheses; ``True`` iff unsatisfiable over ℤ.

Strength relative to Lean: the same fragment; z3 decides it completely (Lean's omega is
also complete for it, up to its case-splitting limits), so the two agree in practice.
Soundness: every translation is an exact encoding or an abstraction.
"""

from __future__ import annotations

from collections.abc import Sequence

import z3

from qed.env.sandbox.arith.errors import ArithTimeout, Deadline
from qed.env.sandbox.arith.evaluate import evaluate
from qed.env.sandbox.arith.linear import z3_context
from qed.env.sandbox.arith.poly import AtomTable, canonical_atom, to_poly
from qed.env.sandbox.ast import (
    INT,
    NAT,
    Abs,
    And,
    App,
    BinOp,
    Bool_,
    Cast,
    Dvd,
    Iff,
    Imp,
    Neg,
    Not,
    Or,
    Prop,
    Rel,
    Term,
    Var,
)
from qed.env.sandbox.numerals import int_str

_INTS = (NAT, INT)


class _Encoder:
    """Translation state of one ``omega`` call (local; never shared)."""

    def __init__(self) -> None:
        self.ctx = z3_context()
        self.side: list[z3.BoolRef] = []
        self._atoms: dict[Term, z3.ArithRef] = {}
        self._opaque = 0
        self._monos: dict[tuple, z3.ArithRef] = {}

    def atom(self, t: Term) -> z3.ArithRef:
        key = canonical_atom(t)
        v = self._atoms.get(key)
        if v is None:
            v = self._atoms[key] = z3.Int(f"a{len(self._atoms)}", self.ctx)
            if t.ty == NAT:
                self.side.append(v >= 0)
        return v

    def const(self, v: int) -> z3.ArithRef:
        return z3.IntVal(int_str(v), self.ctx)  # text: z3's own str() stops at 4,300 digits

    def term(self, t: Term) -> z3.ArithRef:
        v = evaluate(t)
        if v is not None and v.denominator == 1:
            return self.const(v.numerator)
        match t:
            case Var() | Abs() | App():
                return self.atom(t)
            case Neg(arg=a):
                return -self.term(a)
            case Cast(arg=a) if a.ty in _INTS:
                return self.term(a)
            case BinOp(op=op, lhs=lhs, rhs=rhs, ty=ty):
                return self._binop(t, op, lhs, rhs, ty)
        return self.atom(t)

    def _binop(self, t: BinOp, op: str, lhs: Term, rhs: Term, ty: object) -> z3.ArithRef:
        if op == "+":
            return self.term(lhs) + self.term(rhs)
        if op == "-":
            a, b = self.term(lhs), self.term(rhs)
            return z3.If(a >= b, a - b, self.const(0)) if ty == NAT else a - b
        if op == "*":
            ka, kb = _int_value(lhs), _int_value(rhs)
            if ka is not None:
                return ka * self.term(rhs)
            if kb is not None:
                return self.term(lhs) * kb
            return self._product(t)
        if op in ("/", "%"):
            k = _int_value(rhs)
            if k is None:
                return self.atom(t)
            a = self.term(lhs)
            if k == 0:
                return self.const(0) if op == "/" else a
            return a / self.const(k) if op == "/" else a % self.const(k)
        if op == "^":
            k = _int_value(rhs)
            if k == 1:
                return self.term(lhs)
            if k == 0:
                return self.const(1)
        return self.atom(t)

    def _product(self, t: BinOp) -> z3.ArithRef:
        """A product of non-numerals, distributed (``poly.to_poly``): each monomial of
        degree ≥ 2 is one atom, so ``k * (k + 1)`` and ``(k + 1) * (k + 2)`` share the
        atom ``k ^ 2`` (Lean's omega needs ``simp [Nat.mul_add …]`` first for that)."""
        atoms = AtomTable()
        try:
            poly = to_poly(t, atoms)
        except (TypeError, ValueError):
            return self.atom(t)
        if any(c.denominator != 1 for c in poly.values()) or len(poly) > 64:
            return self.atom(t)
        total = self.const(0)
        for mono, c in poly.items():
            if not mono:
                total = total + self.const(c.numerator)
                continue
            if len(mono) == 1 and mono[0][1] == 1:
                v = self.term(atoms.terms[mono[0][0]])
            else:
                key = tuple((canonical_atom(atoms.terms[i]), e) for i, e in mono)
                v = self._monos.get(key)
                if v is None:
                    v = self._monos[key] = z3.Int(f"m{len(self._monos)}", self.ctx)
                    if all(atoms.terms[i].ty == NAT for i, _ in mono) or all(e % 2 == 0 for _, e in mono):
                        self.side.append(v >= 0)
            total = total + c.numerator * v
        return total

    def prop(self, p: Prop) -> z3.BoolRef:
        match p:
            case Bool_(value=v):
                return z3.BoolVal(v, self.ctx)
            case Rel(op=op, lhs=lhs, rhs=rhs) if lhs.ty in _INTS:
                a, b = self.term(lhs), self.term(rhs)
                return {"=": a == b, "≠": a != b, "<": a < b, "≤": a <= b, ">": a > b, "≥": a >= b}[op]
            case Dvd(lhs=lhs, rhs=rhs) if lhs.ty in _INTS and _int_value(lhs) is not None:
                k = abs(_int_value(lhs))  # type: ignore[arg-type]
                b = self.term(rhs)
                return b == 0 if k == 0 else b % self.const(k) == 0
            case And(lhs=a, rhs=b):
                return z3.And(self.prop(a), self.prop(b))
            case Or(lhs=a, rhs=b):
                return z3.Or(self.prop(a), self.prop(b))
            case Not(arg=a):
                return z3.Not(self.prop(a))
            case Imp(lhs=a, rhs=b):
                return z3.Implies(self.prop(a), self.prop(b))
            case Iff(lhs=a, rhs=b):
                return self.prop(a) == self.prop(b)
        # Opaque: a fresh boolean per occurrence, so omega never "proves" a non-ℕ/ℤ fact
        # by matching it syntactically with a hypothesis (Lean's omega ignores such facts).
        self._opaque += 1
        return z3.Bool(f"p{self._opaque}", self.ctx)


def _int_value(t: Term) -> int | None:
    v = evaluate(t)
    return v.numerator if v is not None and v.denominator == 1 else None


def omega(hyps: Sequence[Prop], goal: Prop, *, timeout_s: float) -> bool:
    """True only if ``goal`` follows from ``hyps`` in linear integer arithmetic.

    Raises ``ArithTimeout`` when ``timeout_s`` is exceeded.
    """
    deadline = Deadline.after(timeout_s)
    enc = _Encoder()
    facts = [enc.prop(h) for h in hyps]
    negated = z3.Not(enc.prop(goal))
    deadline.check("omega")
    solver = z3.Solver(ctx=enc.ctx)
    solver.set("timeout", max(1, int(deadline.remaining() * 1000)))
    solver.add(*enc.side, *facts, negated)
    result = solver.check()
    if result == z3.unsat:
        return True
    if result == z3.unknown:
        deadline.check("omega")
        reason = solver.reason_unknown()
        if "timeout" in reason or "canceled" in reason:
            raise ArithTimeout(f"omega timed out after {deadline.budget_s:g}s")
    return False


__all__ = ["omega"]
