"""Sparse polynomials over ℚ and the ring normal form of sandbox terms.

Owns the translation term -> polynomial (``to_poly``), back (``from_poly``), and the
``ring``-style procedures built on it: ``ring_equal`` and ``ring_nf_term``. It knows
Lean's evaluation semantics only through ``evaluate.py`` and knows nothing about
hypotheses or tactics.

A polynomial is a ``dict`` from monomials to non-zero ``Fraction`` coefficients, never
mutated after it is returned; a monomial is a tuple of ``(atom index, exponent)`` pairs
sorted by index (``()`` is the constant monomial). Atom indices come from an
``AtomTable``, created per call and shared by every term compared in that call.

What ``ring`` sees through (as Mathlib's ``ring``/``ring_nf``): ``+ - *`` (``-`` except
on ℕ), numerals, negation, ``^`` with a numeral exponent, field division ``x / y =
x * y⁻¹`` with ``(a * b)⁻¹ = a⁻¹ * b⁻¹`` and ``(c)⁻¹ = 1/c`` for numerals (``0⁻¹ = 0``), and
ground subterms, which are evaluated exactly. Everything else is an atom: variables,
function applications, ``|x|``, casts of non-numerals, ℕ truncated subtraction, ℕ/ℤ ``/``
and ``%``, ``^`` with a non-numeral exponent, and ``y⁻¹`` for a ``y`` with several terms.
Atoms are compared after normalising their arguments (as ``ring_nf`` does), so
``f (x + y)`` and ``f (y + x)`` are the same atom. Since no ℕ/ℤ division is ever
expanded, ``ring`` proves nothing in ℕ/ℤ that needs division; ℕ subtraction of
non-numerals is opaque.
"""

from __future__ import annotations

from fractions import Fraction

from qed.env.sandbox.arith.evaluate import binop_value, evaluate, power
from qed.env.sandbox.ast import (
    INT,
    NAT,
    RAT,
    REAL,
    Abs,
    App,
    BinOp,
    Cast,
    Neg,
    Num,
    Term,
    Ty,
    Var,
)
from qed.env.sandbox.numerals import safe_repr

Monomial = tuple[tuple[int, int], ...]
Poly = dict[Monomial, Fraction]

FIELDS = (RAT, REAL)
MAX_POLY_TERMS = 4_000  # a power expanding past this many terms stays an atom
MAX_EXPONENT = 512
MAX_MUL_WORK = 200_000  # a product needing more monomial multiplications stays an atom


class PolyTooLarge(Exception):
    """A product would exceed ``MAX_MUL_WORK``; the caller keeps the subterm opaque."""


class AtomTable:
    """Atoms of one normalisation call: canonical term <-> index, in order of first sight.

    Mutable, but local to one call (never shared between calls or threads).
    ``nat_casts_transparent``: treat ``((e : ℕ) : ℤ)`` as ``e`` itself (linarith/omega
    preprocessing, where ℕ facts are moved to ℤ by ``push_cast``); ``ring`` keeps it off.
    """

    def __init__(self, *, nat_casts_transparent: bool = False) -> None:
        self.terms: list[Term] = []
        self._index: dict[Term, int] = {}
        self.nat_casts_transparent = nat_casts_transparent

    def index(self, t: Term) -> int:
        """The atom's index; atoms equal up to the names of bound variables (``∑ i ∈ s, f i``
        and ``∑ j ∈ s, f j``) are one atom, shown with the names first seen."""
        key = canonical_atom(t)
        akey = alpha_key(key)
        i = self._index.get(akey)
        if i is None:
            i = len(self.terms)
            self._index[akey] = i
            self.terms.append(key)
        return i

    def atom(self, t: Term) -> Poly:
        return {((self.index(t), 1),): Fraction(1)}


# ---- polynomial arithmetic ------------------------------------------------------------


def const(c: Fraction | int) -> Poly:
    c = Fraction(c)
    return {(): c} if c != 0 else {}


def constant_value(p: Poly) -> Fraction | None:
    """The value of a constant polynomial, ``None`` if ``p`` has a non-constant monomial."""
    if not p:
        return Fraction(0)
    if len(p) == 1 and () in p:
        return p[()]
    return None


def add(p: Poly, q: Poly) -> Poly:
    r = dict(p)
    for m, c in q.items():
        v = r.get(m, 0) + c
        if v:
            r[m] = v
        else:
            r.pop(m, None)
    return r


def scale(p: Poly, c: Fraction | int) -> Poly:
    if c == 0:
        return {}
    return {m: v * c for m, v in p.items()}


def sub(p: Poly, q: Poly) -> Poly:
    return add(p, scale(q, -1))


def mul_mono(a: Monomial, b: Monomial) -> Monomial:
    if not a:
        return b
    if not b:
        return a
    d = dict(a)
    for i, e in b:
        d[i] = d.get(i, 0) + e
    return tuple(sorted(d.items()))


def mul(p: Poly, q: Poly) -> Poly:
    """``p * q``; raises ``PolyTooLarge`` past ``MAX_MUL_WORK`` monomial products."""
    if len(p) * len(q) > MAX_MUL_WORK:
        raise PolyTooLarge
    r: Poly = {}
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            m = mul_mono(m1, m2)
            v = r.get(m, 0) + c1 * c2
            if v:
                r[m] = v
            else:
                r.pop(m, None)
    return r


def pow_poly(p: Poly, k: int) -> Poly | None:
    """``p ^ k`` by repeated squaring; ``None`` (or ``PolyTooLarge``) if it would be too large."""
    if k == 0:
        return const(1)
    if len(p) == 1:
        ((m, c),) = p.items()
        cp = power(c, k)
        if cp is None:
            return None
        return {tuple((i, e * k) for i, e in m): cp}
    if k > MAX_EXPONENT:
        return None
    result, base = const(1), p
    while k:
        if k & 1:
            result = mul(result, base)
            if len(result) > MAX_POLY_TERMS:
                return None
        k >>= 1
        if k:
            base = mul(base, base)
            if len(base) > MAX_POLY_TERMS:
                return None
    return result


def degree(m: Monomial) -> int:
    return sum(e for _, e in m)


def total_degree(p: Poly) -> int:
    return max((degree(m) for m in p), default=0)


# ---- term -> polynomial ----------------------------------------------------------------


def _is_inverse_atom(t: Term) -> bool:
    """``1 / y`` in a field: the atom ``y⁻¹``."""
    return (
        isinstance(t, BinOp)
        and t.op == "/"
        and t.ty in FIELDS
        and isinstance(t.lhs, Num)
        and t.lhs.value == 1
    )


def _inverse(q: Poly, ty: Ty, atoms: AtomTable) -> Poly:
    """``q⁻¹`` in a field (``0⁻¹ = 0``)."""
    c = constant_value(q)
    if c is not None:
        return const(0 if c == 0 else 1 / c)
    if len(q) == 1:
        ((m, coeff),) = q.items()
        r = const(1 / coeff)
        for i, e in m:
            a = atoms.terms[i]
            if _is_inverse_atom(a):
                inv_a = atoms.atom(a.rhs)
            else:
                inv_a = atoms.atom(BinOp("/", Num(Fraction(1), ty), a, ty))
            r = mul(r, pow_poly(inv_a, e) or {})
        return r
    return atoms.atom(BinOp("/", Num(Fraction(1), ty), from_poly(q, ty, atoms), ty))


def to_poly(t: Term, atoms: AtomTable) -> Poly:
    """The polynomial of ``t`` (see the module docstring for what is an atom)."""
    match t:
        case Num(value=v):
            return const(v)
        case Var():
            return atoms.atom(t)
        case Neg(arg=a):
            return scale(to_poly(a, atoms), -1)
        case Cast(arg=a):
            if atoms.nat_casts_transparent and a.ty == NAT and t.ty == INT:
                return to_poly(a, atoms)
            inner = to_poly(a, atoms)
            c = constant_value(inner)
            return const(c) if c is not None else atoms.atom(t)
        case Abs() | App():
            v = evaluate(t)
            return const(v) if v is not None else atoms.atom(t)
        case BinOp(op=op, lhs=lhs, rhs=rhs, ty=ty):
            return _binop_poly(t, op, lhs, rhs, ty, atoms)
    if hasattr(t, "ty"):  # a term kind added after this module (∑, …): an atom
        return atoms.atom(t)
    raise TypeError(f"not a sandbox term: {t!r}")


def _binop_poly(t: BinOp, op: str, lhs: Term, rhs: Term, ty: Ty, atoms: AtomTable) -> Poly:
    try:
        return _binop_poly_exact(t, op, lhs, rhs, ty, atoms)
    except PolyTooLarge:
        return atoms.atom(t)


def _binop_poly_exact(t: BinOp, op: str, lhs: Term, rhs: Term, ty: Ty, atoms: AtomTable) -> Poly:
    if op == "^":
        k = evaluate(rhs)
        base = to_poly(lhs, atoms)
        if k is not None and k.denominator == 1 and k >= 0:
            r = pow_poly(base, int(k))
            if r is not None:
                return r
        bc = constant_value(base)
        if bc == 1:
            return const(1)
        if k is None and rhs.ty == NAT:
            r = _symbolic_pow(lhs, base, rhs, ty, atoms)
            if r is not None:
                return r
        return atoms.atom(t)
    p = to_poly(lhs, atoms)
    q = to_poly(rhs, atoms)
    if op == "+":
        return add(p, q)
    if op == "*":
        return mul(p, q)
    if op == "-" and ty != NAT:
        return sub(p, q)
    if op == "/" and ty in FIELDS:
        return mul(p, _inverse(q, ty, atoms))
    # ℕ subtraction, ℕ/ℤ division and modulo: exact on numerals, otherwise an atom.
    a, b = constant_value(p), constant_value(q)
    if a is not None and b is not None:
        v = binop_value(op, a, b, ty)
        if v is not None:
            return const(v)
    if op in ("/", "%") and b == 0:  # x / 0 = 0, x % 0 = x (Nat/Int.ediv_zero, emod_zero)
        return {} if op == "/" else p
    if op == "/" and b == 1:
        return p
    if op == "-" and (b == 0):
        return p
    if op == "-" and (a == 0 or p == q):  # Nat.zero_sub, Nat.sub_self
        return {}
    if op == "%" and b in (1, -1):
        return {}
    if op == "/" and b == -1:
        return scale(p, -1)
    return atoms.atom(t)


def _symbolic_pow(lhs: Term, base: Poly, rhs: Term, ty: Ty, atoms: AtomTable) -> Poly | None:
    """``x ^ e`` for a symbolic ℕ exponent, by ``pow_add`` and ``pow_mul`` as Mathlib's
    ``ring`` does: ``e`` in normal form ``c₀ + c₁ m₁ + …`` gives ``x ^ c₀ * (x ^ m₁) ^ c₁ * …``
    with atoms ``x ^ mᵢ`` (so ``2 ^ (k + 1) = 2 ^ k * 2``)."""
    eatoms = AtomTable()
    e = to_poly(rhs, eatoms)
    out: Poly = const(1)
    for m, c in sorted(e.items()):
        if c.denominator != 1 or c < 0 or c > 64:
            return None
        if not m:
            factor = pow_poly(base, int(c))
        else:
            exp_term = from_poly({m: Fraction(1)}, NAT, eatoms)
            factor = pow_poly(atoms.atom(BinOp("^", lhs, exp_term, ty)), int(c))
        if factor is None:
            return None
        out = mul(out, factor)
    return out


# ---- polynomial -> term ----------------------------------------------------------------


def canonical_atom(t: Term) -> Term:
    """``t`` with its arguments in ring normal form and numerals without source spelling."""
    match t:
        case Var():
            return t
        case Num(value=v, ty=ty):
            return Num(v, ty)
        case App(fn=fn, args=args, ty=ty):
            return App(fn, tuple(_canonical_nf(a) for a in args), ty)
        case Abs(arg=a, ty=ty):
            return Abs(_canonical_nf(a), ty)
        case Cast(arg=a, ty=ty):
            return Cast(_canonical_nf(a), ty)
        case Neg(arg=a, ty=ty):
            return Neg(_canonical_nf(a), ty)
        case BinOp(op=op, lhs=lhs, rhs=rhs, ty=ty):
            return BinOp(op, _canonical_nf(lhs), _canonical_nf(rhs), ty)
    return t


def alpha_key(t: Term) -> Term:
    """``t`` with bound variables (``∑``, ``fun``, ``{x | …}``) renamed canonically."""
    from qed.env.sandbox.tactics.subst import alpha

    return alpha(t)


def _canonical_nf(t: Term) -> Term:
    """The ring normal form of ``t`` with atoms in a fixed order (independent of how ``t``
    is written), so that ``f (x + y)`` and ``f (y + x)`` get the same atom key."""
    atoms = AtomTable()
    p = to_poly(t, atoms)
    order = sorted(range(len(atoms.terms)), key=lambda i: safe_repr(alpha_key(atoms.terms[i])))
    if order != list(range(len(order))):
        rank = {old: new for new, old in enumerate(order)}
        p = {tuple(sorted((rank[i], e) for i, e in m)): c for m, c in p.items()}
        atoms.terms = [atoms.terms[i] for i in order]
    return from_poly(p, t.ty, atoms)


def _numeral(c: Fraction, ty: Ty) -> Term:
    """A non-negative numeral, or ``a / b`` for a non-integral rational."""
    if c.denominator == 1:
        return Num(c, ty)
    return BinOp("/", Num(Fraction(c.numerator), ty), Num(Fraction(c.denominator), ty), ty)


def _mono_term(m: Monomial, c: Fraction, ty: Ty, atoms: AtomTable) -> Term:
    """``|c| * m`` as a term, printed Lean-style: ``x * y ^ 2 * 3``, ``x / y``, ``x / 2``."""
    num: list[Term] = []
    den: list[Term] = []
    for i, e in m:
        a = atoms.terms[i]
        if _is_inverse_atom(a):
            den.append(a.rhs if e == 1 else BinOp("^", a.rhs, Num(Fraction(e), NAT), ty))
        else:
            num.append(a if e == 1 else BinOp("^", a, Num(Fraction(e), NAT), ty))
    c = abs(c)
    if c.numerator != 1 or not num:
        num.append(Num(Fraction(c.numerator), ty))
    if c.denominator != 1:
        den.append(Num(Fraction(c.denominator), ty))
    out = num[0]
    for f in num[1:]:
        out = BinOp("*", out, f, ty)
    for f in den:
        out = BinOp("/", out, f, ty)
    return out


def mono_sort_key(m: Monomial) -> tuple:
    return (degree(m), m)


def from_poly(p: Poly, ty: Ty, atoms: AtomTable) -> Term:
    """A readable term for ``p``: monomials by degree (constant first), coefficient last."""
    if not p:
        return Num(Fraction(0), ty)
    out: Term | None = None
    for m in sorted(p, key=mono_sort_key):
        c = p[m]
        part = _mono_term(m, c, ty, atoms) if m else _numeral(abs(c), ty)
        if out is None:
            out = Neg(part, ty) if c < 0 else part
        else:
            out = BinOp("-" if c < 0 else "+", out, part, ty)
    assert out is not None
    return out


# ---- public procedures -----------------------------------------------------------------


def ring_equal(lhs: Term, rhs: Term) -> bool:
    """True iff ``lhs = rhs`` is an identity of commutative (semi)rings / fields.

    Sound: True only when the two sides have the same normal form (see module docstring),
    which implies equality under Lean semantics for every value of the atoms.
    """
    atoms = AtomTable()
    return to_poly(lhs, atoms) == to_poly(rhs, atoms)


def ring_nf_term(t: Term) -> Term:
    """The ring normal form of ``t`` as a term of the same type (stable, readable order)."""
    atoms = AtomTable()
    p = to_poly(t, atoms)
    return from_poly(p, t.ty, atoms)


def is_field(ty: Ty) -> bool:
    return ty in FIELDS


__all__ = ["AtomTable", "Poly", "Monomial", "to_poly", "from_poly", "ring_equal", "ring_nf_term", "is_field"]
