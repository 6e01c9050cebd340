"""Exact evaluation of ground sandbox terms with Lean 4 / Mathlib semantics.

Owns the arithmetic of the four number types and of the known functions (``Real.sqrt``,
``Nat.factorial`` …) on concrete values. It does not know about polynomials, hypotheses or
tactics; a term with a free variable (or an unknown function) simply has no value.

Semantics (each follows the Lean definition named):

- ``ℕ`` subtraction is truncated: ``Nat.sub``, ``a - b = 0`` when ``b ≥ a``.
- ``ℕ`` ``/`` and ``%`` are ``Nat.div``/``Nat.mod`` (floor); ``n / 0 = 0``, ``n % 0 = n``.
- ``ℤ`` ``/`` and ``%`` are ``Int.ediv``/``Int.emod`` (the ``HDiv Int``/``HMod Int``
  instances of Lean 4 core, ``Init.Data.Int.DivMod.Basic``: E-rounding, i.e. Euclidean:
  ``0 ≤ a % b < |b|`` for ``b ≠ 0`` and ``a % b + b * (a / b) = a``), so
  ``-7 / 2 = -4``, ``7 / -2 = -3``, ``-7 % 2 = 1``; ``a / 0 = 0`` and ``a % 0 = a``.
- ``ℚ``/``ℝ`` division is field division with ``x / 0 = 0`` (``div_zero``); there is no
  ``%`` on ``ℚ``/``ℝ`` here.
- ``^`` has a ``ℕ`` exponent (``Monoid.npow``), ``0 ^ 0 = 1``.
- casts ``↑`` are exact embeddings ℕ → ℤ → ℚ → ℝ (``Nat.cast``, ``Int.cast``, ``Rat.cast``).
- ``Real.sqrt x`` is ``0`` for ``x ≤ 0`` (``Real.sqrt_eq_zero'``) and evaluates only when
  ``x`` is the square of a rational; otherwise it has no exact value here.
- ``Int.floor``/``Int.ceil``/``Int.fract``/``Int.natAbs``/``Int.toNat``/``Nat.succ``/
  ``Nat.pred``/``Nat.factorial``/``Nat.choose``/``Nat.gcd``/``Nat.lcm``/``Int.gcd``/
  ``Nat.sqrt``/``min``/``max``/``Rat.num``/``Rat.den`` as in Lean/Mathlib; ``Real.log 0 =
  Real.log 1 = 0``, ``Real.exp 0 = 1``, ``Real.sin 0 = 0``, ``Real.cos 0 = 1``.

Values too large to be worth computing (huge powers/factorials) are treated as unknown
(``None``) rather than hanging.
"""

from __future__ import annotations

import math
from fractions import Fraction

from qed.env.sandbox.arith import special as _special
from qed.env.sandbox.ast import INT, NAT, NUMERIC, RAT, REAL, Abs, App, BinOp, Cast, Neg, Num, Term, Var

# Beyond these sizes evaluation gives up (returns None) instead of burning time.
MAX_RESULT_BITS = 1_000_000
MAX_FACTORIAL_ARG = 2_000


def nat_sub(a: int, b: int) -> int:
    """``Nat.sub``: truncated subtraction."""
    return a - b if a >= b else 0


def nat_div(a: int, b: int) -> int:
    """``Nat.div``: floor division, ``a / 0 = 0``."""
    return 0 if b == 0 else a // b


def nat_mod(a: int, b: int) -> int:
    """``Nat.mod``: ``a % 0 = a``."""
    return a if b == 0 else a % b


def int_ediv(a: int, b: int) -> int:
    """``Int.ediv`` (Lean 4's ``/`` on ``Int``): ``sign(b) * floor(a / |b|)``, ``a / 0 = 0``."""
    if b == 0:
        return 0
    q = a // abs(b)
    return q if b > 0 else -q


def int_emod(a: int, b: int) -> int:
    """``Int.emod`` (Lean 4's ``%`` on ``Int``): ``0 ≤ a % b < |b|`` for ``b ≠ 0``; ``a % 0 = a``."""
    if b == 0:
        return a
    return a - b * int_ediv(a, b)


def field_div(a: Fraction, b: Fraction) -> Fraction:
    """Division in ``ℚ``/``ℝ``: ``x / 0 = 0``."""
    return Fraction(0) if b == 0 else a / b


def rational_sqrt(x: Fraction) -> Fraction | None:
    """``Real.sqrt x`` when exact: ``0`` for ``x ≤ 0``, the root for squares of rationals."""
    if x <= 0:
        return Fraction(0)
    n, d = x.numerator, x.denominator
    rn, rd = math.isqrt(n), math.isqrt(d)
    if rn * rn == n and rd * rd == d:
        return Fraction(rn, rd)
    return None


def power(base: Fraction, exponent: int) -> Fraction | None:
    """``base ^ exponent`` (``Monoid.npow``), or ``None`` if the result would be huge."""
    if exponent < 0:
        return None
    if base in (0, 1) or exponent == 0:
        return base**exponent
    if base == -1:
        return Fraction((-1) ** (exponent % 2))
    bits = max(abs(base.numerator).bit_length(), base.denominator.bit_length())
    if bits * exponent > MAX_RESULT_BITS:
        return None
    return base**exponent


def _as_int(v: Fraction | None) -> int | None:
    if v is None or v.denominator != 1:
        return None
    return v.numerator


KNOWN_FUNCTIONS = {
    "Real.sqrt": "sqrt", "√": "sqrt", "Nat.sqrt": "nat_sqrt",
    "Nat.factorial": "factorial", "!": "factorial", "Nat.choose": "choose",
    "Nat.gcd": "gcd", "Int.gcd": "gcd", "Nat.lcm": "lcm", "Int.lcm": "lcm",
    "Int.floor": "floor", "⌊⌋": "floor", "Int.ceil": "ceil", "⌈⌉": "ceil", "Int.fract": "fract",
    "Int.natAbs": "natAbs", "Int.toNat": "toNat", "Nat.succ": "succ", "Nat.pred": "pred",
    "Min.min": "min", "Max.max": "max",
    "Rat.num": "num", "Rat.den": "den",
    "Real.log": "log", "Real.exp": "exp", "Real.sin": "sin", "Real.cos": "cos",
    "Real.pi": "pi",
}  # fmt: skip


def function_name(fn: str) -> str | None:
    """The base name of a known constant (``Real.sqrt`` -> ``sqrt``), ``None`` for others.

    Only fully qualified names (and notations such as ``√``) are known, so a local
    function that happens to be called ``exp`` is never mistaken for ``Real.exp``.
    """
    return KNOWN_FUNCTIONS.get(fn)


def _apply(fn: str, args: list[Fraction]) -> Fraction | None:
    name = function_name(fn)
    if len(args) == 1:
        (x,) = args
        xi = _as_int(x)
        if name == "sqrt":
            return rational_sqrt(x)
        if name == "nat_sqrt":
            return Fraction(math.isqrt(xi)) if xi is not None and xi >= 0 else None
        if name == "factorial":
            return Fraction(math.factorial(xi)) if xi is not None and 0 <= xi <= MAX_FACTORIAL_ARG else None
        if name == "floor":
            return Fraction(math.floor(x))
        if name == "ceil":
            return Fraction(math.ceil(x))
        if name == "fract":
            return x - math.floor(x)
        if name == "natAbs":
            return abs(x)
        if name == "toNat":
            return max(x, Fraction(0))
        if name == "succ":
            return x + 1
        if name == "pred":
            return max(x - 1, Fraction(0))
        if name in ("num", "den"):
            return Fraction(x.numerator if name == "num" else x.denominator)
        if name == "log" and x in (0, 1):
            return Fraction(0)
        if name == "exp" and x == 0:
            return Fraction(1)
        if name == "sin" and x == 0:
            return Fraction(0)
        if name == "cos" and x == 0:
            return Fraction(1)
        return None
    if len(args) == 2:
        a, b = args
        ai, bi = _as_int(a), _as_int(b)
        if name == "min":
            return min(a, b)
        if name == "max":
            return max(a, b)
        if ai is None or bi is None:
            return None
        if name == "gcd":
            return Fraction(math.gcd(ai, bi))
        if name == "lcm":
            return Fraction(abs(ai * bi) // math.gcd(ai, bi) if ai and bi else 0)
        if name == "choose":
            return Fraction(math.comb(ai, bi)) if 0 <= ai <= MAX_FACTORIAL_ARG and bi >= 0 else None
    return None


def evaluate(t: Term) -> Fraction | None:
    """The exact value of a ground term under Lean semantics, or ``None``.

    ``None`` means "no known exact value": a free variable, an unknown function, an
    irrational ``Real.sqrt``, or a value too large to compute. Never raises on well-typed
    terms.
    """
    ty = t.ty
    if (ty is not NAT and ty is not INT and ty is not RAT and ty is not REAL and ty not in NUMERIC) or (
        t.__class__ is App and t.fn in _special.FUNCTIONS
    ):
        return _special.evaluate_ext(t)  # ℂ, ℝ≥0, ZMod, sets, rpow, logb, ∑ …: see special.py
    match t:
        case Num(value=v):
            return v
        case Var():
            return None
        case Neg(arg=a):
            v = evaluate(a)
            return None if v is None or t.ty == NAT else -v
        case Abs(arg=a):
            v = evaluate(a)
            return None if v is None else abs(v)
        case Cast(arg=a):
            return evaluate(a)
        case App(fn=fn, args=args):
            vals = [evaluate(a) for a in args]
            if any(v is None for v in vals):
                return None
            return _apply(fn, vals)  # type: ignore[arg-type]
        case BinOp(op=op, lhs=lhs, rhs=rhs, ty=ty):
            a = evaluate(lhs)
            if a is None:
                if op == "%" and ty in (NAT, INT) and type(lhs) is BinOp and lhs.op == "^":
                    return _pow_mod(lhs, rhs, ty)
                return None
            b = evaluate(rhs)
            if b is None:
                return None
            return binop_value(op, a, b, ty)
    return _special.evaluate_ext(t)  # BigOp, Lam, SetOf, Coll


def _pow_mod(power_term: BinOp, modulus: Term, ty: object) -> Fraction | None:
    """``a ^ k % m`` on ℕ/ℤ when ``a ^ k`` is too large to compute (Mathlib's ``Nat.pow_mod``
    norm_num extension): modular exponentiation, then Lean's ``%`` (``x % 0 = x`` needs
    ``x``, so ``m = 0`` stays unknown)."""
    a, k, m = evaluate(power_term.lhs), evaluate(power_term.rhs), evaluate(modulus)
    ai, ki, mi = (None if v is None else _as_int(v) for v in (a, k, m))
    if ai is None or ki is None or mi is None or ki < 0 or mi == 0:
        return None
    r = pow(ai, ki, abs(mi))  # in [0, |m|): Nat.mod, and Int.emod (sign of m irrelevant)
    return Fraction(r)


def binop_value(op: str, a: Fraction, b: Fraction, ty: object) -> Fraction | None:
    """``a op b`` in type ``ty`` with Lean semantics (see the module docstring)."""
    if op == "+":
        return a + b
    if op == "*":
        return a * b
    if op == "^":
        e = _as_int(b)
        return None if e is None else power(a, e)
    if op == "-":
        if ty == NAT:
            ai, bi = _as_int(a), _as_int(b)
            return None if ai is None or bi is None else Fraction(nat_sub(ai, bi))
        return a - b
    if op in ("/", "%"):
        if ty in (RAT, REAL):
            return field_div(a, b) if op == "/" else None
        ai, bi = _as_int(a), _as_int(b)
        if ai is None or bi is None:
            return None
        if ty == NAT:
            return Fraction(nat_div(ai, bi) if op == "/" else nat_mod(ai, bi))
        if ty == INT:
            return Fraction(int_ediv(ai, bi) if op == "/" else int_emod(ai, bi))
    return None
