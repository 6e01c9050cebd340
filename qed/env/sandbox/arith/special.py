"""Exact evaluation of the competition-mathematics constructs, with Mathlib's junk values.

``evaluate.evaluate`` hands a term here when its type is not one of ℕ ℤ ℚ ℝ (ℂ, ``NNReal``,
``ℕ+``, ``ZMod n``, sets, lists, functions), when it is one of the new nodes (``BigOp``,
``Lam``, ``SetOf``, ``Coll``) or an application of a function in ``FUNCTIONS``. The value
of a term is a ``Fraction`` (or ``None`` = unknown); finite sets and lists evaluate, through
``collection``, to tuples of Fractions. An irrational value (``√2``, ``log 3``, ``π``) is
always ``None``, never an approximation.

Semantics (each follows the Mathlib definition named):

- ``x ^ y`` for real ``y`` (``Real.rpow``): ``0 ^ 0 = 1``, ``0 ^ y = 0`` for ``y ≠ 0``; for
  ``x > 0`` exact when ``x ^ y`` is rational; for ``x < 0`` it is ``exp (log x * y) * cos (y *
  π)`` (``Real.rpow_def_of_neg``): ``x ^ n`` for integer ``y``, ``0`` when ``2 y`` is an odd
  integer (``cos`` vanishes), ``±|x| ^ y / 2`` when ``3 y`` is an integer not divisible by 3.
- ``x ^ (n : ℤ)`` (``zpow``): ``x ^ (-n) = (x ^ n)⁻¹`` and ``0⁻¹ = 0`` (``inv_zero``).
- ``x⁻¹``: ``0⁻¹ = 0``; ``a - b`` on ``ℝ≥0`` is truncated (``tsub``, ``0`` when ``b ≥ a``);
  on ``ℕ+`` it is ``a - b`` when ``b < a`` and ``1`` otherwise (``PNat.sub``).
- ``Real.log x = log |x|`` (``Real.log_abs``), ``log 0 = 0``: known only for ``|x| ∈ {0, 1}``;
  ``Real.logb b x = log x / log b`` (``Real.log_div_log``): ``k`` when ``|x| = |b| ^ k`` for
  a rational ``k``, ``0`` when ``log x = 0`` or ``log b = 0`` (``div_zero``).
- ``Real.exp 0 = 1``, ``sin 0 = tan 0 = arctan 0 = 0``, ``cos 0 = 1``; ``Nat.floor x =
  max ⌊x⌋ 0``, ``Nat.ceil x = max ⌈x⌉ 0``; ``Nat.totient``.
- ℂ: exact Gaussian-rational arithmetic (``Complex.I ^ 2 = -1``, ``z / 0 = 0``); a complex
  term's value is its real number when its imaginary part is ``0``; ``Complex.abs``/``‖z‖``
  = ``√(re² + im²)`` when exact, ``Complex.normSq``, ``.re``, ``.im``.
- ``ZMod n``: no value (the arithmetic works in characteristic 0; ``(5 : ZMod 3) = 2``).
- ``Finset.range n = {0, …, n-1}``, ``Icc a b``, ``Ico``, ``Ioc``, ``Ioo`` on ℕ/ℤ,
  ``Finset.filter p s``, ``Nat.divisors n`` (``divisors 0 = ∅``), ``Nat.properDivisors``,
  ``Nat.digits b n`` (little-endian; ``digits b 0 = []``; ``digits 0 n = [n]`` for
  ``n ≠ 0``; ``digits 1 n = n`` ones), literals ``{a, b}`` (as finsets: duplicates merged);
  ``∑``/``∏`` over them (empty sum ``0``, empty product ``1``), ``Finset.card``,
  ``List.sum``/``List.prod``/``List.length``, ``min``/``max``.

``prop_value`` decides ground propositions over these (``Nat.Prime``, ``Even``/``Odd``,
``Nat.Coprime``, ``∈``, ``≡ [MOD n]``, relations); ``norm_num``/``simp`` use it on every
ground predicate, membership and congruence (``norm_num._ground``), ``decide`` on those
Lean's kernel computes (``decide.prop_value``: nothing over ℝ).
"""

from __future__ import annotations

import math
from fractions import Fraction

from qed.env.sandbox.ast import (
    CPLX,
    INT,
    NAT,
    NNREAL,
    PNAT,
    RAT,
    REAL,
    Abs,
    And,
    App,
    BigOp,
    BinOp,
    Bool_,
    Cast,
    Coll,
    Dvd,
    Iff,
    Imp,
    Lam,
    Mem,
    ModEq,
    Neg,
    Not,
    Num,
    Or,
    Pred,
    Rel,
    SetOf,
    SetTy,
    Term,
    Var,
)

# Functions evaluated here rather than in ``evaluate._apply``.
FUNCTIONS = frozenset(
    {
        "Real.rpow", "NNReal.rpow", "zpow", "Complex.cpow", "Inv.inv", "tsub",
        "Real.log", "Real.logb", "Real.exp", "Real.sin", "Real.cos", "Real.tan", "Real.arctan",
        "Nat.floor", "Nat.ceil", "Nat.totient", "min", "max", "Rat.divInt", "Nat.ofDigits",
        "Complex.re", "Complex.im", "Complex.abs", "Complex.normSq", "norm", "NNReal.sqrt",
        "Finset.card", "Finset.sum", "Finset.prod", "List.sum", "List.prod", "List.length",
    }
)  # fmt: skip
_CORE = (NAT, INT, RAT, REAL)
MAX_ELEMENTS = 10_000
_BITS = 20_000


def _ev(t: Term) -> Fraction | None:
    from qed.env.sandbox.arith.evaluate import evaluate

    return evaluate(t)


def _int(v: Fraction | None) -> int | None:
    return v.numerator if v is not None and v.denominator == 1 else None


def evaluate_ext(t: Term) -> Fraction | None:
    """The value of ``t`` (see the module docstring), ``None`` when unknown."""
    ty = t.ty
    if ty == CPLX:
        z = complex_value(t)
        return None if z is None or z[1] != 0 else z[0]
    if isinstance(ty, SetTy) or not isinstance(ty, type(NAT)) or ty not in (*_CORE, NNREAL, PNAT):
        return None
    k = type(t)
    if k is Num:
        return t.value
    if k is App:
        return _app(t)
    if k is BigOp:
        return _bigop(t)
    if k is Cast:
        return _ev(t.arg)
    if k is BinOp:
        a, b = _ev(t.lhs), _ev(t.rhs)
        if a is None or b is None:
            return None
        if t.op == "+":
            return a + b
        if t.op == "*":
            return a * b
        if t.op == "/" and ty == NNREAL:
            return Fraction(0) if b == 0 else a / b
        if t.op == "^":
            e = _int(b)
            return None if e is None or not _small(a, e) else a**e
        return None
    return None


def _small(base: Fraction, e: int) -> bool:
    bits = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
    return base in (0, 1, -1) or bits * abs(e) <= _BITS


def _app(t: App) -> Fraction | None:
    fn, args = t.fn, t.args
    if fn in ("Finset.card", "List.length"):
        c = collection(args[0])
        return None if c is None else Fraction(len(c))
    if fn == "Nat.ofDigits":
        b, digs = _ev(args[0]), collection(args[1])
        if b is None or digs is None:
            return None
        return sum((d * b**i for i, d in enumerate(digs)), Fraction(0))
    if fn in ("List.sum", "List.prod"):
        c = collection(args[0])
        if c is None:
            return None
        return sum(c, Fraction(0)) if fn == "List.sum" else math.prod(c, start=Fraction(1))
    if fn in ("Finset.sum", "Finset.prod"):
        return _fold("∑" if fn == "Finset.sum" else "∏", args[0], args[1])
    if fn in ("Complex.re", "Complex.im", "Complex.abs", "Complex.normSq", "norm"):
        if args[0].ty == REAL and fn == "norm":
            v = _ev(args[0])
            return None if v is None else abs(v)
        z = complex_value(args[0])
        if z is None:
            return None
        if fn == "Complex.re":
            return z[0]
        if fn == "Complex.im":
            return z[1]
        sq = z[0] ** 2 + z[1] ** 2
        return sq if fn == "Complex.normSq" else _sqrt(sq)
    vals = [_ev(a) for a in args]
    if any(v is None for v in vals):
        return None
    return apply_function(fn, vals, t.ty)  # type: ignore[arg-type]


def apply_function(fn: str, vals: list[Fraction], ty: object = REAL) -> Fraction | None:
    """``fn`` on exact arguments (the module docstring gives each definition)."""
    if fn in ("Real.rpow", "NNReal.rpow"):
        return rpow(vals[0], vals[1])
    if fn == "zpow":
        e = _int(vals[1])
        if e is None or not _small(vals[0], e):
            return None
        if e >= 0:
            return vals[0] ** e
        return Fraction(0) if vals[0] == 0 else 1 / vals[0] ** (-e)
    if fn == "Inv.inv":
        return Fraction(0) if vals[0] == 0 else 1 / vals[0]
    if fn == "Rat.divInt":
        return Fraction(0) if vals[1] == 0 else vals[0] / vals[1]
    if fn == "tsub":
        a, b = vals
        if ty == PNAT:
            return a - b if b < a else Fraction(1)
        return max(a - b, Fraction(0))
    if fn == "Real.log":
        return Fraction(0) if abs(vals[0]) in (0, 1) else None
    if fn == "Real.logb":
        return logb(vals[0], vals[1])
    if fn == "Real.exp":
        return Fraction(1) if vals[0] == 0 else None
    if fn in ("Real.sin", "Real.tan", "Real.arctan"):
        return Fraction(0) if vals[0] == 0 else None
    if fn == "Real.cos":
        return Fraction(1) if vals[0] == 0 else None
    if fn == "NNReal.sqrt":
        return _sqrt(vals[0])
    if fn == "Nat.floor":
        return Fraction(max(math.floor(vals[0]), 0))
    if fn == "Nat.ceil":
        return Fraction(max(math.ceil(vals[0]), 0))
    if fn == "Nat.totient":
        n = _int(vals[0])
        if n is None or n > 10**6:
            return None
        return Fraction(sum(1 for k in range(1, n + 1) if math.gcd(k, n) == 1))
    if fn == "min":
        return min(vals)
    if fn == "max":
        return max(vals)
    return None


def _sqrt(x: Fraction) -> Fraction | None:
    from qed.env.sandbox.arith.evaluate import rational_sqrt

    return rational_sqrt(x)


def _root(x: Fraction, q: int) -> Fraction | None:
    """The positive ``q``-th root of ``x > 0`` when rational."""
    if q > 64:
        return None
    n, d = x.numerator, x.denominator
    rn, rd = _iroot(n, q), _iroot(d, q)
    if rn is None or rd is None:
        return None
    return Fraction(rn, rd)


def _iroot(n: int, q: int) -> int | None:
    if n.bit_length() > _BITS:
        return None
    r = round(n ** (1.0 / q)) if n.bit_length() < 1000 else None
    if r is None:
        lo, hi = 0, 1 << (n.bit_length() // q + 1)
        while lo < hi:
            mid = (lo + hi) // 2
            if mid**q < n:
                lo = mid + 1
            else:
                hi = mid
        r = lo
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**q == n:
            return c
    return None


def rpow(x: Fraction, y: Fraction) -> Fraction | None:
    """``Real.rpow x y`` when rational (Mathlib's definition, junk values included)."""
    if x == 0:
        return Fraction(1) if y == 0 else Fraction(0)
    p, q = y.numerator, y.denominator
    if abs(p) > 4096 or not _small(x, p):
        return None
    if x > 0:
        if q == 1:
            return x**p
        r = _root(x, q)
        return None if r is None else r**p
    # x < 0: exp (log x * y) * cos (y * π) = |x| ^ y * cos (y π)
    if q == 1:
        return x**p
    if q == 2:
        return Fraction(0)
    if q == 3:
        r = _root(-x, 3)
        if r is None:
            return None
        cos = Fraction(1, 2) if p % 6 in (1, 5) else Fraction(-1, 2)
        return r**p * cos
    return None


def logb(b: Fraction, x: Fraction) -> Fraction | None:
    """``Real.logb b x = log x / log b`` when rational."""
    a, c = abs(x), abs(b)
    if a in (0, 1) or c in (0, 1):
        return Fraction(0)
    try:
        guess = Fraction(math.log(a) / math.log(c)).limit_denominator(64)
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    p, q = guess.numerator, guess.denominator
    if p == 0 or abs(p) > 4096:
        return None
    # exact check: c ^ (p / q) = a  ⟺  c ^ p = a ^ q
    if not _small(c, p) or not _small(a, q):
        return None
    return guess if c**p == a**q else None


# ---- ℂ ---------------------------------------------------------------------------------------


def complex_value(t: Term) -> tuple[Fraction, Fraction] | None:
    """``(re, im)`` of a ground ℂ term, exactly, or ``None``."""
    k = type(t)
    if t.ty != CPLX:
        v = _ev(t)
        return None if v is None else (v, Fraction(0))
    if k is Num:
        return (t.value, Fraction(0))
    if k is Cast:
        v = _ev(t.arg)
        return None if v is None else (v, Fraction(0))
    if k is App:
        if t.fn == "Complex.I":
            return (Fraction(0), Fraction(1))
        if t.fn == "Inv.inv":
            z = complex_value(t.args[0])
            return None if z is None else _cinv(z)
        if t.fn == "zpow":
            z, e = complex_value(t.args[0]), _int(_ev(t.args[1]))
            if z is None or e is None or abs(e) > 512:
                return None
            r = _cpow(z, abs(e))
            return r if e >= 0 else _cinv(r)
        return None
    if k is Neg:
        z = complex_value(t.arg)
        return None if z is None else (-z[0], -z[1])
    if k is BinOp:
        a = complex_value(t.lhs)
        if a is None:
            return None
        if t.op == "^":
            e = _int(_ev(t.rhs))
            return None if e is None or e > 512 else _cpow(a, e)
        b = complex_value(t.rhs)
        if b is None:
            return None
        if t.op == "+":
            return (a[0] + b[0], a[1] + b[1])
        if t.op == "-":
            return (a[0] - b[0], a[1] - b[1])
        if t.op == "*":
            return _cmul(a, b)
        if t.op == "/":
            return _cmul(a, _cinv(b))
    if k is BigOp:
        return None
    return None


def _cmul(a: tuple, b: tuple) -> tuple[Fraction, Fraction]:
    return (a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0])


def _cinv(a: tuple) -> tuple[Fraction, Fraction]:
    n = a[0] ** 2 + a[1] ** 2
    return (Fraction(0), Fraction(0)) if n == 0 else (a[0] / n, -a[1] / n)


def _cpow(a: tuple, e: int) -> tuple[Fraction, Fraction]:
    r = (Fraction(1), Fraction(0))
    for _ in range(e):
        r = _cmul(r, a)
    return r


# ---- finite collections, big operators --------------------------------------------------------


def collection(t: Term) -> tuple[Fraction, ...] | None:
    """The elements of a ground ``Finset`` (sorted, distinct) or ``List`` (in order), or ``None``."""
    k = type(t)
    kind = t.ty.kind if isinstance(t.ty, SetTy) else None
    if kind is None:
        return None
    if k is Coll:
        vals = [_ev(e) for e in t.elems]
        if any(v is None for v in vals):
            return None
        return tuple(vals) if kind == "List" else tuple(sorted(set(vals)))  # type: ignore[arg-type]
    if k is not App or kind == "Set":
        return None
    fn, args = t.fn, t.args
    if fn == "Finset.filter":
        pred, inner = args
        elems = collection(inner)
        if elems is None or type(pred) is not Lam:
            return None
        out = []
        for v in elems:
            b = prop_value(subst_prop(pred.body, pred.var, Num(v, pred.vty)))  # type: ignore[arg-type]
            if b is None:
                return None
            if b:
                out.append(v)
        return tuple(out)
    vals = [_int(_ev(a)) for a in args]
    if any(v is None for v in vals):
        return None
    if fn == "Finset.range":
        (n,) = vals
        return _bounded(0, n)  # type: ignore[arg-type]
    if fn in ("Finset.Icc", "Finset.Ico", "Finset.Ioc", "Finset.Ioo"):
        a, b = vals
        lo = a if fn in ("Finset.Icc", "Finset.Ico") else a + 1  # type: ignore[operator]
        hi = b + 1 if fn in ("Finset.Icc", "Finset.Ioc") else b  # type: ignore[operator]
        return _bounded(lo, hi)
    if fn in ("Nat.divisors", "Nat.properDivisors"):
        (n,) = vals
        if n == 0 or n > 10**7:  # type: ignore[operator]
            return () if n == 0 else None
        ds = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]  # type: ignore[operator]
        full = sorted(set(ds + [n // d for d in ds]))  # type: ignore[operator]
        return tuple(Fraction(d) for d in full if fn == "Nat.divisors" or d != n)
    if fn == "Nat.digits":
        return digits(vals[0], vals[1])  # type: ignore[arg-type]
    return None


def _bounded(lo: int, hi: int) -> tuple[Fraction, ...] | None:
    if hi - lo > MAX_ELEMENTS:
        return None
    return tuple(Fraction(i) for i in range(lo, hi))


def digits(b: int, n: int) -> tuple[Fraction, ...] | None:
    """``Nat.digits b n``: base-``b`` digits of ``n``, least significant first."""
    if n == 0:
        return ()
    if b == 0:
        return (Fraction(n),)
    if b == 1:
        return None if n > MAX_ELEMENTS else tuple(Fraction(1) for _ in range(n))
    out = []
    while n:
        n, r = divmod(n, b)
        out.append(Fraction(r))
    return tuple(out)


def _fold(op: str, dom: Term, f: Term) -> Fraction | None:
    elems = collection(dom)
    if elems is None or type(f) is not Lam:
        return None if type(f) is not Var else None
    return _combine(op, [_ev(subst(f.body, f.var, Num(v, f.vty))) for v in elems])  # type: ignore[arg-type]


def _bigop(t: BigOp) -> Fraction | None:
    elems = collection(t.dom)
    if elems is None:
        return None
    return _combine(t.op, [_ev(subst(t.body, t.var, Num(v, t.vty))) for v in elems])


def _combine(op: str, vals: list) -> Fraction | None:
    if any(v is None for v in vals):
        return None
    if op == "∑":
        return sum(vals, Fraction(0))
    out = Fraction(1)
    for v in vals:
        out *= v
        if max(abs(out.numerator).bit_length(), out.denominator.bit_length()) > _BITS:
            return None
    return out


# ---- substitution (all node types, binders respected) ----------------------------------------


def subst(t: Term, name: str, value: Term) -> Term:
    k = type(t)
    if k is Var:
        return value if t.name == name else t
    if k is Num:
        return t
    if k is BinOp:
        return BinOp(t.op, subst(t.lhs, name, value), subst(t.rhs, name, value), t.ty)
    if k in (Neg, Abs, Cast):
        return k(subst(t.arg, name, value), t.ty)
    if k is App:
        return App(t.fn, tuple(subst(a, name, value) for a in t.args), t.ty)
    if k is BigOp:
        body = t.body if t.var == name else subst(t.body, name, value)
        return BigOp(t.op, t.var, t.vty, subst(t.dom, name, value), body, t.ty)
    if k is Lam:
        if t.var == name:
            return t
        body = subst_prop(t.body, name, value) if not hasattr(t.body, "ty") else subst(t.body, name, value)
        return Lam(t.var, t.vty, body, t.ty)
    if k is SetOf:
        return t if t.var == name else SetOf(t.var, t.vty, subst_prop(t.body, name, value), t.ty)
    if k is Coll:
        return Coll(tuple(subst(e, name, value) for e in t.elems), t.ty)
    return t


def subst_prop(p: object, name: str, value: Term) -> object:
    k = type(p)
    if k is Rel:
        return Rel(p.op, subst(p.lhs, name, value), subst(p.rhs, name, value))
    if k is Dvd:
        return Dvd(subst(p.lhs, name, value), subst(p.rhs, name, value))
    if k in (And, Or, Imp, Iff):
        return k(subst_prop(p.lhs, name, value), subst_prop(p.rhs, name, value))
    if k is Not:
        return Not(subst_prop(p.arg, name, value))
    if k is Mem:
        return Mem(subst(p.elem, name, value), subst(p.coll, name, value), p.negated)
    if k is Pred:
        return Pred(p.fn, tuple(subst(a, name, value) for a in p.args))
    if k is ModEq:
        return ModEq(
            p.kind, subst(p.lhs, name, value), subst(p.rhs, name, value), subst(p.modulus, name, value)
        )
    return p  # quantifiers: left alone, so they stay undecided


# ---- ground propositions ---------------------------------------------------------------------


def is_prime(n: int) -> bool:
    """``Nat.Prime n`` (deterministic Miller–Rabin for ``n < 3.3·10²⁴``, trial division below)."""
    if n < 2:
        return False
    small = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
    for p in small:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in small:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def prop_value(p: object) -> bool | None:
    """The truth value of a ground proposition, or ``None`` when it cannot be decided exactly."""
    k = type(p)
    if k is Bool_:
        return p.value
    if k is Rel:
        if p.lhs.ty == CPLX:
            a, b = complex_value(p.lhs), complex_value(p.rhs)
            if a is None or b is None or p.op not in ("=", "≠"):
                return None
            return (a == b) == (p.op == "=")
        a, b = _ev(p.lhs), _ev(p.rhs)
        if a is None or b is None or not isinstance(p.lhs.ty, type(NAT)):
            return None
        return {"=": a == b, "≠": a != b, "<": a < b, "≤": a <= b, ">": a > b, "≥": a >= b}[p.op]
    if k is Dvd:
        a, b = _int(_ev(p.lhs)), _int(_ev(p.rhs))
        if a is None or b is None:
            return None
        return b == 0 if a == 0 else b % a == 0
    if k is Not:
        v = prop_value(p.arg)
        return None if v is None else not v
    if k in (And, Or, Imp, Iff):
        a, b = prop_value(p.lhs), prop_value(p.rhs)
        if a is None or b is None:
            return None
        return {And: a and b, Or: a or b, Imp: (not a) or b, Iff: a == b}[k]
    if k is Mem:
        v, c = _ev(p.elem), collection(p.coll)
        if v is None or c is None:
            return None
        return (v in c) != p.negated
    if k is ModEq:
        a, b, n = _int(_ev(p.lhs)), _int(_ev(p.rhs)), _int(_ev(p.modulus))
        if a is None or b is None or n is None:
            return None
        if n == 0:
            return a == b
        return a % abs(n) == b % abs(n)
    if k is Pred:
        vals = [_ev(a) for a in p.args]
        ints = [_int(v) for v in vals]
        if p.fn == "Nat.Prime" and ints[0] is not None:
            return is_prime(ints[0])
        if p.fn == "Prime" and ints[0] is not None and p.args[0].ty in (NAT, INT):
            return is_prime(abs(ints[0]))  # in ℤ the associates -p are prime too; in a field nothing is
        if p.fn in ("Even", "Odd") and vals[0] is not None and p.args[0].ty in (NAT, INT):
            return (ints[0] % 2 == 0) == (p.fn == "Even")  # type: ignore[operator]
        if p.fn == "Nat.Coprime" and None not in ints:
            return math.gcd(ints[0], ints[1]) == 1  # type: ignore[arg-type]
        if p.fn == "Irrational" and vals[0] is not None:
            return False
        return None
    return None
