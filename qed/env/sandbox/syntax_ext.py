"""The competition-mathematics part of the statement language: signatures and coercions.

Owns the data the elaborator (``syntax_elab``) uses for constructs beyond ``+ - * / % ^``
on ℕ ℤ ℚ ℝ: the number types ℂ, ``NNReal`` (``ℝ≥0``), ``ℕ+`` and ``ZMod n`` with Lean's
coercions between them (``coercible``, ``rank``), the signatures of the known functions
(``FUNS``: ``Nat.gcd``, ``Real.log``, ``Finset.range`` …) and predicates (``PREDS``:
``Nat.Prime``, ``Even`` …), the names that ``open BigOperators Real Nat Topology Rat``
(and ``Finset`` in miniF2F v2) make available unqualified (``ALIASES``), and the namespace
that field notation ``x.f`` looks in for each type (``namespace_of``).

A signature is ``(argument specs, result spec)``; a spec is a type, a type variable
``"A"``/``"B"`` (``"F"`` is a type variable restricted to ℚ/ℝ, Lean's ``FloorRing``
instances the sandbox knows), ``("Finset", "A")``/``("Set", "A")``/``("List", "A")``, or
``("fun", "A", "B")`` (``"B"`` may be ``PROP`` for predicates).

Data only: no parsing, no elaboration, no printing.
"""

from __future__ import annotations

from qed.env.sandbox.ast import (
    CPLX,
    INT,
    NAT,
    NNREAL,
    PNAT,
    PROP,
    RAT,
    REAL,
    BaseTy,
    EquivTy,
    SetTy,
    Ty,
    zmod_modulus,
)

_RANKS: dict[BaseTy, float] = {PNAT: -1, NAT: 0, INT: 1, RAT: 2, NNREAL: 2.5, REAL: 3, CPLX: 4}
_COERCIONS = {
    (NAT, INT), (NAT, RAT), (NAT, REAL), (NAT, CPLX), (NAT, NNREAL),
    (INT, RAT), (INT, REAL), (INT, CPLX),
    (RAT, REAL), (RAT, CPLX),
    (REAL, CPLX),
    (NNREAL, REAL),
    (PNAT, NAT),
}  # fmt: skip

# Types with an order (``<``/``≤``): not ℂ (``Complex.partialOrder`` is scoped) nor ``ZMod n``.
ORDERED = (PNAT, NAT, INT, RAT, NNREAL, REAL)
# Types with negation: not ℕ, ℕ+ or ℝ≥0.
SIGNED = (INT, RAT, REAL, CPLX)
# Types whose subtraction is truncated (``tsub``): printed ``a - b``, represented ``App("tsub")``.
TRUNCATED = (NNREAL, PNAT)
TSUB = "tsub"
# ``ZMod n`` numerals and casts into ``ZMod n`` are applications of these (printed ``5`` and
# ``↑x``), so that no arithmetic procedure mistakes them for integers: the sandbox's decision
# procedures compute in characteristic 0, and ``(5 : ZMod 3) = 2``.
ZMOD_NUMERAL = "ZMod.numeral"
ZMOD_CAST = "ZMod.cast"


def is_zmod(ty: object) -> bool:
    return isinstance(ty, BaseTy) and ty.name.startswith("ZMod ")


def rank(ty: object) -> float | None:
    """A number type's place in the coercion order (``None`` for sets, functions, Prop)."""
    if isinstance(ty, BaseTy):
        if ty in _RANKS:
            return _RANKS[ty]
        if is_zmod(ty):
            return 1.5
    return None


def coercible(src: object, dst: object) -> bool:
    """Whether Lean inserts ``↑`` from ``src`` to ``dst`` (``Nat.cast``, ``Int.cast``, …)."""
    if src == dst:
        return True
    if (src, dst) in _COERCIONS:
        return True
    if src == PNAT and dst in (INT, RAT, REAL, CPLX, NNREAL):
        return True  # through ℕ: ``↑↑n``
    return is_zmod(dst) and src in (NAT, INT) and zmod_modulus(dst) is not None


def namespace_of(ty: object) -> str | None:
    """Where field notation ``x.f`` looks ``f`` up for ``x : ty``."""
    if isinstance(ty, SetTy):
        return ty.kind
    if isinstance(ty, EquivTy):
        return "Equiv"
    if isinstance(ty, BaseTy):
        return {
            NAT: "Nat",
            INT: "Int",
            RAT: "Rat",
            REAL: "Real",
            CPLX: "Complex",
            NNREAL: "NNReal",
            PNAT: "PNat",
        }.get(ty)
    return None


_R1 = ((REAL,), REAL)
FUNS: dict[str, tuple[tuple, object]] = {
    "Real.sqrt": _R1, "Real.log": _R1, "Real.exp": _R1, "Real.sin": _R1, "Real.cos": _R1,
    "Real.tan": _R1, "Real.arctan": _R1, "Real.arcsin": _R1, "Real.arccos": _R1,
    "Real.logb": ((REAL, REAL), REAL),
    "Real.pi": ((), REAL),
    "Complex.I": ((), CPLX),
    "Complex.re": ((CPLX,), REAL), "Complex.im": ((CPLX,), REAL),
    "Complex.abs": ((CPLX,), REAL), "Complex.normSq": ((CPLX,), REAL),
    "NNReal.sqrt": ((NNREAL,), NNREAL),
    "Nat.gcd": ((NAT, NAT), NAT), "Nat.lcm": ((NAT, NAT), NAT), "Nat.choose": ((NAT, NAT), NAT),
    "Nat.factorial": ((NAT,), NAT), "Nat.succ": ((NAT,), NAT), "Nat.pred": ((NAT,), NAT),
    "Nat.sqrt": ((NAT,), NAT), "Nat.totient": ((NAT,), NAT),
    "Nat.digits": ((NAT, NAT), ("List", NAT)),
    "Nat.divisors": ((NAT,), ("Finset", NAT)), "Nat.properDivisors": ((NAT,), ("Finset", NAT)),
    "Int.gcd": ((INT, INT), NAT), "Int.lcm": ((INT, INT), NAT),
    "Int.natAbs": ((INT,), NAT), "Int.toNat": ((INT,), NAT),
    "Int.floor": (("F",), INT), "Int.ceil": (("F",), INT), "Int.fract": (("F",), "F"),
    "Nat.floor": (("F",), NAT), "Nat.ceil": (("F",), NAT),
    "Rat.divInt": ((INT, INT), RAT),
    "Nat.ofDigits": ((NAT, ("List", NAT)), NAT),
    "Set.toFinset": ((("Set", "A"),), ("Finset", "A")),
    "Set.ncard": ((("Set", "A"),), NAT),
    "Real.cot": _R1,
    "Set.range": ((("fun", "A", "B"),), ("Set", "B")),
    "Rat.num": ((RAT,), INT), "Rat.den": ((RAT,), NAT),
    "Finset.range": ((NAT,), ("Finset", NAT)),
    "Finset.Icc": (("I", "I"), ("Finset", "I")), "Finset.Ico": (("I", "I"), ("Finset", "I")),
    "Finset.Ioc": (("I", "I"), ("Finset", "I")), "Finset.Ioo": (("I", "I"), ("Finset", "I")),
    "Set.Icc": (("A", "A"), ("Set", "A")), "Set.Ico": (("A", "A"), ("Set", "A")),
    "Set.Ioc": (("A", "A"), ("Set", "A")), "Set.Ioo": (("A", "A"), ("Set", "A")),
    "Finset.card": ((("Finset", "A"),), NAT),
    "Finset.filter": ((("fun", "A", PROP), ("Finset", "A")), ("Finset", "A")),
    "Finset.sum": ((("Finset", "A"), ("fun", "A", "B")), "B"),
    "Finset.prod": ((("Finset", "A"), ("fun", "A", "B")), "B"),
    "List.sum": ((("List", "A"),), "A"), "List.prod": ((("List", "A"),), "A"),
    "List.length": ((("List", "A"),), NAT),
    "min": (("A", "A"), "A"), "max": (("A", "A"), "A"),
}  # fmt: skip

PREDS: dict[str, tuple] = {
    "Nat.Prime": (NAT,),
    "Prime": ("A",),
    "Even": ("A",),
    "Odd": ("A",),
    "Nat.Coprime": (NAT, NAT),
    "IsLeast": (("Set", "A"), "A"),
    "IsGreatest": (("Set", "A"), "A"),
    "Irrational": (REAL,),
    "Fintype": (("Set", "A"),),
    "Nonempty": (("Set", "A"),),
    "IsSquare": ("A",),
    "Function.Injective": (("fun", "A", "B"),),
    "Function.Surjective": (("fun", "A", "B"),),
    "Function.Bijective": (("fun", "A", "B"),),
}

# Unqualified names under ``open BigOperators Real Nat Topology Rat`` (and ``Finset``).
ALIASES = {
    "choose": "Nat.choose", "factorial": "Nat.factorial", "digits": "Nat.digits",
    "divisors": "Nat.divisors", "succ": "Nat.succ", "totient": "Nat.totient",
    "logb": "Real.logb", "log": "Real.log", "exp": "Real.exp", "rexp": "Real.exp",
    "sin": "Real.sin", "cos": "Real.cos", "tan": "Real.tan", "arctan": "Real.arctan",
    "sqrt": "Real.sqrt", "pi": "Real.pi",
    "range": "Finset.range", "Icc": "Finset.Icc", "Ico": "Finset.Ico", "Ioc": "Finset.Ioc",
    "Ioo": "Finset.Ioo", "card": "Finset.card", "filter": "Finset.filter",
    "Nat.Prime": "Nat.Prime",
    "ofDigits": "Nat.ofDigits",
}  # fmt: skip

# Type-variable restrictions: name -> (allowed types, what Lean fails to synthesize).
TYVAR_CLASSES: dict[str, tuple[tuple, str]] = {
    "F": ((RAT, REAL), "FloorRing"),
    "I": ((NAT, INT), "LocallyFiniteOrder"),
}


def is_prop_ty(ty: Ty) -> bool:
    return ty == PROP
