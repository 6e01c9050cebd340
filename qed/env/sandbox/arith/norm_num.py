"""``norm_num``: exact evaluation of ground subterms plus a small documented simp set.

Owns the term and proposition simplifier used by the ``norm_num`` (and ``simp``-like)
tactics. It returns the simplified proposition: ``Bool_(True)`` closes the goal,
``Bool_(False)`` means the goal was evaluated false (the tactic then fails). It does not
know tactic syntax or hypothesis names.

Simplifications, applied bottom-up to a fixpoint (at most ``MAX_PASSES`` passes):

- ``simp_lemmas`` (hypotheses passed as ``norm_num [h]``): ``a = b`` rewrites ``a`` to
  ``b`` (unless ``a`` is a numeral or occurs in ``b``, which would loop); ``a ↔ b``
  rewrites ``a`` to ``b``; any other fact ``q`` rewrites ``q`` to ``True``, ``¬ q`` to
  ``False`` (and ``a ≠ b`` rewrites ``a = b`` to ``False``). Under a binder, lemmas
  mentioning the bound name are not used.
- terms: ground subterms evaluate exactly (Lean semantics, ``evaluate.py``) and are shown
  as numerals (``-3``, ``1 / 2``); ``x + 0``, ``0 + x``, ``x - 0``, ``x * 1``, ``1 * x``,
  ``x * 0``, ``0 * x``, ``x / 1``, ``0 / x``, ``x ^ 1``, ``x ^ 0``, ``1 ^ n``, ``- -x``,
  ``x - x`` (``sub_self``) are simplified.
- relations: ground ones evaluate to ``True``/``False`` (in every numeric type);
  ``a R a``; in ℕ ``0 ≤ x`` is ``True`` and ``x < 0`` is ``False``; and when the two sides
  differ by a numeral after ring normalisation (``x < x + 1``, ``2 * x + 3 = 2 * x + 5``)
  the relation is decided (Mathlib's simp set does this through the cancellation lemmas
  ``add_lt_add_iff_left``, ``lt_add_iff_pos_right`` …; we do it for any such pair).
- ``∣``: ground evaluates; ``1 ∣ x``, ``x ∣ 0``, ``x ∣ x`` are ``True``.
- logic: ``¬True``, ``¬¬p``, ``¬(a < b)`` to ``b ≤ a``, ``¬(a ≤ b)`` to ``b < a``;
  ``True ∧ p``, ``p ∧ True``, ``False ∧ p``, ``p ∧ p``, the duals for ``∨``;
  ``True → p``, ``False → p``, ``p → True``, ``p → p``; ``True ↔ p``, ``p ↔ p``,
  ``False ↔ p`` (to ``¬p``); ``∀ x, True``, ``∃ x, False`` and ground quantifier bodies.

Strength relative to Lean: weaker on algebraic side conditions Mathlib's simp set knows
(e.g. ``mul_self_nonneg``), a bit stronger on linear cancellation (see above). Sound:
every rewrite is an equivalence under Lean semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from qed.env.sandbox.arith.decide import dvd_value, rel_value
from qed.env.sandbox.arith.evaluate import evaluate
from qed.env.sandbox.arith.poly import AtomTable, constant_value, sub, to_poly
from qed.env.sandbox.ast import (
    INT,
    NAT,
    NUMERIC,
    Abs,
    And,
    App,
    BigOp,
    BinOp,
    Bool_,
    Cast,
    Coll,
    Dvd,
    Exists,
    Forall,
    Iff,
    Imp,
    Mem,
    ModEq,
    Neg,
    Not,
    Num,
    Or,
    Pred,
    Prop,
    Rel,
    SetOf,
    Term,
    Ty,
    Var,
)

MAX_PASSES = 8
_LITERAL_TYPES = (NAT, INT)
TRUE, FALSE = Bool_(True), Bool_(False)
_SWAP = {"<": "≤", "≤": "<"}


def strip(t: Term) -> Term:
    """``t`` without numerals' source spellings (so ``0.5`` and ``1/2`` written alike compare)."""
    match t:
        case Num(value=v, ty=ty, lit=lit) if lit is not None:
            return Num(v, ty)
        case BinOp(op=op, lhs=a, rhs=b, ty=ty):
            return BinOp(op, strip(a), strip(b), ty)
        case Neg(arg=a, ty=ty):
            return Neg(strip(a), ty)
        case Abs(arg=a, ty=ty):
            return Abs(strip(a), ty)
        case Cast(arg=a, ty=ty):
            return Cast(strip(a), ty)
        case App(fn=fn, args=args, ty=ty):
            return App(fn, tuple(strip(a) for a in args), ty)
    return t


def strip_prop(p: Prop) -> Prop:
    match p:
        case Rel(op=op, lhs=a, rhs=b):
            return Rel(op, strip(a), strip(b))
        case Dvd(lhs=a, rhs=b):
            return Dvd(strip(a), strip(b))
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            return type(p)(strip_prop(a), strip_prop(b))
        case Not(arg=a):
            return Not(strip_prop(a))
        case Forall(var=v, ty=ty, body=b, bounded=bd) | Exists(var=v, ty=ty, body=b, bounded=bd):
            return type(p)(v, ty, strip_prop(b), bd)
    return p


def mentions(x: object, name: str) -> bool:
    """Whether the name ``name`` occurs (free or bound) anywhere in ``x`` (every node kind:
    ``∑``/``fun``/set-builder binders, predicates, memberships, congruences included)."""
    if isinstance(x, Var):
        return x.name == name
    if isinstance(x, tuple):
        return any(mentions(e, name) for e in x)
    fields = getattr(x, "__dataclass_fields__", None)
    if fields is None:
        return False
    if getattr(x, "var", None) == name or getattr(x, "fn", None) == name:
        return True
    return any(mentions(getattr(x, f), name) for f in fields if f not in ("ty", "vty"))


def _occurs(t: Term, inside: Term) -> bool:
    """Whether ``t`` is a subterm of ``inside`` (such a rewrite ``t -> inside`` would loop)."""
    if t == inside:
        return True
    match inside:
        case BinOp(lhs=a, rhs=b):
            return _occurs(t, a) or _occurs(t, b)
        case Neg(arg=a) | Abs(arg=a) | Cast(arg=a):
            return _occurs(t, a)
        case App(args=args):
            return any(_occurs(t, a) for a in args)
    return False


@dataclass(frozen=True)
class _Rules:
    """Rewrite rules from the simp lemmas, keyed by stripped terms/props."""

    terms: tuple[tuple[Term, Term], ...] = ()
    props: tuple[tuple[Prop, Prop], ...] = ()
    sources: tuple[Prop, ...] = ()
    arith: bool = True  # evaluate ground ℚ/ℝ arithmetic and cancel (False: Lean's ``simp only``)

    @staticmethod
    def of(lemmas: Sequence[Prop], arith: bool = True) -> _Rules:
        terms: list[tuple[Term, Term]] = []
        props: list[tuple[Prop, Prop]] = []
        for lem in lemmas:
            lem = strip_prop(lem)
            if (
                isinstance(lem, Rel)
                and lem.op == "="
                and not isinstance(lem.lhs, Num)
                and not _occurs(lem.lhs, lem.rhs)
            ):
                terms.append((lem.lhs, lem.rhs))
            if isinstance(lem, Iff):
                props.append((lem.lhs, lem.rhs))
            elif isinstance(lem, Not):
                props.append((lem.arg, FALSE))
            elif isinstance(lem, Rel) and lem.op == "≠":
                props.append((Rel("=", lem.lhs, lem.rhs), FALSE))
            if not isinstance(lem, Iff | Not):
                props.append((lem, TRUE))
        return _Rules(tuple(terms), tuple(props), tuple(lemmas), arith)

    def without(self, name: str) -> _Rules:
        return _Rules(
            tuple(r for r in self.terms if not (mentions(r[0], name) or mentions(r[1], name))),
            tuple(r for r in self.props if not (mentions(r[0], name) or mentions(r[1], name))),
            self.sources,
            self.arith,
        )


def numeral(v: Fraction, ty: Ty) -> Term:
    """The numeral term for ``v`` as Lean shows it: ``3``, ``-3``, ``1 / 2``, ``-(1 / 2)``."""
    a = abs(v)
    t: Term = (
        Num(a, ty)
        if a.denominator == 1
        else BinOp("/", Num(Fraction(a.numerator), ty), Num(Fraction(a.denominator), ty), ty)
    )
    return Neg(t, ty) if v < 0 else t


def _is_num(t: Term, v: int) -> bool:
    return isinstance(t, Num) and t.value == v


def simp_term(t: Term, rules: _Rules) -> Term:
    """One bottom-up simplification pass over ``t``."""
    match t:
        case BinOp(op=op, lhs=a, rhs=b, ty=ty):
            t = BinOp(op, simp_term(a, rules), simp_term(b, rules), ty)
        case Neg(arg=a, ty=ty):
            t = Neg(simp_term(a, rules), ty)
        case Abs(arg=a, ty=ty):
            t = Abs(simp_term(a, rules), ty)
        case Cast(arg=a, ty=ty):
            t = Cast(simp_term(a, rules), ty)
        case App(fn=fn, args=args, ty=ty):
            t = App(fn, tuple(simp_term(a, rules) for a in args), ty)
        case BigOp(op=op, var=x, vty=vty, dom=d, body=b, ty=ty):
            t = BigOp(op, x, vty, simp_term(d, rules), simp_term(b, rules.without(x)), ty)
        case Coll(elems=es, ty=ty):
            t = Coll(tuple(simp_term(e, rules) for e in es), ty)
    t = strip(t)
    for lhs, rhs in rules.terms:
        if t == lhs:
            return rhs
    v = evaluate(t) if not isinstance(t, Num) and (rules.arith or t.ty in _LITERAL_TYPES) else None
    if v is not None:
        return numeral(v, t.ty)
    return _identities(t)


def _identities(t: Term) -> Term:
    match t:
        case Neg(arg=Neg(arg=a)):
            return a
        case BinOp(op="+", lhs=a, rhs=b):
            if _is_num(b, 0):
                return a
            if _is_num(a, 0):
                return b
        case BinOp(op="-", lhs=a, rhs=b, ty=ty):
            if _is_num(b, 0):
                return a
            if a == b:
                return Num(Fraction(0), ty)
        case BinOp(op="*", lhs=a, rhs=b, ty=ty):
            if _is_num(b, 1):
                return a
            if _is_num(a, 1):
                return b
            if _is_num(a, 0) or _is_num(b, 0):
                return Num(Fraction(0), ty)
        case BinOp(op="/", lhs=a, rhs=b, ty=ty):
            if _is_num(b, 1):
                return a
            if _is_num(a, 0) or _is_num(b, 0):
                return Num(Fraction(0), ty)
        case BinOp(op="^", lhs=a, rhs=b, ty=ty):
            if _is_num(b, 1):
                return a
            if _is_num(b, 0) or _is_num(a, 1):
                return Num(Fraction(1), ty)
    return t


def _rel(op: str, a: Term, b: Term, arith: bool = True) -> Prop:
    if not arith and a.ty not in _LITERAL_TYPES:
        return Bool_(op in ("=", "≤", "≥")) if a == b else Rel(op, a, b)
    va, vb = evaluate(a), evaluate(b)
    if va is not None and vb is not None:
        return Bool_(rel_value(op, va, vb))
    if a == b:
        return Bool_(op in ("=", "≤", "≥"))
    if a.ty == NAT and ((op == "≤" and _is_num(a, 0)) or (op == "≥" and _is_num(b, 0))):
        return TRUE
    if a.ty == NAT and ((op == "<" and _is_num(b, 0)) or (op == ">" and _is_num(a, 0))):
        return FALSE
    if a.ty in NUMERIC:
        atoms = AtomTable()
        c = constant_value(sub(to_poly(a, atoms), to_poly(b, atoms)))
        if c is not None:
            return Bool_(rel_value(op, c, Fraction(0)))
    return Rel(op, a, b)


def simp_prop(p: Prop, rules: _Rules) -> Prop:
    """One bottom-up simplification pass over ``p``."""
    p = _simp_prop(p, rules)
    for lhs, rhs in rules.props:
        if p == lhs:
            return rhs
    return p


def _simp_prop(p: Prop, rules: _Rules) -> Prop:
    match p:
        case Bool_():
            return p
        case Rel(op=op, lhs=a, rhs=b):
            return _rel(op, simp_term(a, rules), simp_term(b, rules), rules.arith)
        case Dvd(lhs=a, rhs=b):
            a, b = simp_term(a, rules), simp_term(b, rules)
            va, vb = evaluate(a), evaluate(b)
            if va is not None and vb is not None and (v := dvd_value(va, vb)) is not None:
                return Bool_(v)
            if va == 1 or vb == 0 or a == b:
                return TRUE
            return Dvd(a, b)
        case Pred(fn=fn, args=args):
            q = Pred(fn, tuple(simp_term(a, rules) for a in args))
            return _ground(q, rules)
        case Mem(elem=e, coll=SetOf(var=v, body=body), negated=neg) if rules.arith:
            from qed.env.sandbox.tactics.subst import subst_prop as subst_binder

            q = subst_binder(body, {v: e})  # Set.mem_setOf_eq (capture-avoiding)
            return simp_prop(Not(q) if neg else q, rules)
        case Mem(elem=e, coll=c, negated=neg):
            return _ground(Mem(simp_term(e, rules), c, neg), rules)
        case ModEq(kind=kind, lhs=a, rhs=b, modulus=m):
            return _ground(ModEq(kind, simp_term(a, rules), simp_term(b, rules), simp_term(m, rules)), rules)
        case Not(arg=a):
            a = simp_prop(a, rules)
            match a:
                case Bool_(value=v):
                    return Bool_(not v)
                case Not(arg=inner):
                    return inner
                case Rel(op=op, lhs=x, rhs=y) if op in ("<", "≤"):
                    return _rel(_SWAP[op], y, x, rules.arith)
                case Rel(op=op, lhs=x, rhs=y) if op in (">", "≥"):
                    return _rel(_SWAP[{">": "<", "≥": "≤"}[op]], x, y, rules.arith)
            return Not(a)
        case And(lhs=a, rhs=b) | Or(lhs=a, rhs=b) | Imp(lhs=a, rhs=b) | Iff(lhs=a, rhs=b):
            return _connective(type(p), simp_prop(a, rules), simp_prop(b, rules))
        case Forall(var=v, ty=ty, body=b, bounded=bd) | Exists(var=v, ty=ty, body=b, bounded=bd):
            body = simp_prop(b, rules.without(v))
            if isinstance(body, Bool_):
                return body  # every numeric type is inhabited
            return type(p)(v, ty, body, bd)
    return p


def _ground(p: Prop, rules: _Rules) -> Prop:
    """A predicate, membership or congruence decided exactly when ground (``special``):
    Mathlib's ``Nat.Prime`` norm_num extension, ``Nat.even_iff``/``Int.even_iff``,
    ``Finset.mem_range``/``mem_Icc``…, ``Nat.ModEq`` unfolded, then ℕ/ℤ arithmetic. Not
    under ``simp only`` (``rules.arith`` false), whose lemma list would have to name them."""
    from qed.env.sandbox.arith.special import prop_value as special_value

    if not rules.arith:
        return p
    v = special_value(p)
    return p if v is None else Bool_(v)


def _connective(kind: type, a: Prop, b: Prop) -> Prop:
    if kind is And:
        if a == TRUE or a == b:
            return b
        if b == TRUE:
            return a
        if FALSE in (a, b):
            return FALSE
        return And(a, b)
    if kind is Or:
        if a == FALSE or a == b:
            return b
        if b == FALSE:
            return a
        if TRUE in (a, b):
            return TRUE
        return Or(a, b)
    if kind is Imp:
        if a == TRUE:
            return b
        if a == FALSE or b == TRUE or a == b:
            return TRUE
        if b == FALSE:
            return simp_prop(Not(a), _Rules())
        return Imp(a, b)
    if a == b:
        return TRUE
    if a == TRUE:
        return b
    if b == TRUE:
        return a
    if a == FALSE:
        return simp_prop(Not(b), _Rules())
    if b == FALSE:
        return simp_prop(Not(a), _Rules())
    return Iff(a, b)


def norm_num(p: Prop, simp_lemmas: Sequence[Prop] = (), *, arith: bool = True) -> Prop:
    """``p`` simplified (see module docstring): ``Bool_(True)`` when closed, ``Bool_(False)``
    when it evaluates false, otherwise the simplified proposition.

    ``arith=False`` is Lean's ``simp only``: ground arithmetic is evaluated only on ℕ/ℤ
    literals (core's ``Nat.reduceAdd``/``Int.reduceMul`` … simprocs), never on ℚ/ℝ, and
    relations are not decided by cancellation; the unit laws and ``a R a`` stay."""
    rules = _Rules.of(simp_lemmas, arith)
    p = strip_prop(p)
    for _ in range(MAX_PASSES):
        q = simp_prop(p, rules)
        if q == p:
            break
        p = q
    return p
