"""The sandbox's abstract syntax: types, terms and propositions (frozen, hashable).

This module is the contract between the sandbox's parser/printer (``parse.py``,
``printer.py``), its arithmetic (``arith/``) and its tactics (``tactics/``). It holds
data only: no parsing, no printing, no evaluation.

Conventions:
- Every term carries its elaborated type ``ty`` (one of ``NAT INT RAT REAL`` or a
  ``FunTy``). Numerals are ``Num`` with an exact ``Fraction`` value; ``lit`` keeps the
  source spelling of a decimal literal (``"0.5"``) for printing.
- ``BinOp.op`` is one of ``+ - * / % ^``; for ``^`` the exponent has type ``NAT``
  (Monoid.npow) and the result has the base's type.
- ``Cast`` is a coercion ``↑arg`` from ``arg.ty`` to ``ty`` (ℕ→ℤ→ℚ→ℝ, in any upward
  combination).
- ``App`` applies a named function: a local variable of function type (``f : ℝ → ℝ``)
  or a known constant (``Real.sqrt``, ``Int.floor`` …); ``fn`` is the name as written
  after elaboration (the printer decides how Lean shows it).
- Propositions: ``Rel`` (``= ≠ < ≤ > ≥``, both sides of one type), ``Dvd`` (``∣`` on ℕ/ℤ),
  ``And Or Not Imp Iff``, ``Forall``/``Exists`` over one typed variable, ``Bool_``
  for ``True``/``False``. ``∀ x ≥ 5, P`` is ``Forall(x, T, Imp(Rel(≥, x, 5), P),
  bounded=True)``; ``bounded`` only affects printing and is ignored by equality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Union


@dataclass(frozen=True)
class BaseTy:
    name: str  # "ℕ" | "ℤ" | "ℚ" | "ℝ" | "Prop"

    def __str__(self) -> str:
        return self.name


NAT = BaseTy("ℕ")
INT = BaseTy("ℤ")
RAT = BaseTy("ℚ")
REAL = BaseTy("ℝ")
PROP = BaseTy("Prop")
NUMERIC = (NAT, INT, RAT, REAL)  # in coercion order: each embeds in the later ones


@dataclass(frozen=True)
class FunTy:
    dom: tuple[Ty, ...]
    cod: Ty


@dataclass(frozen=True)
class SetTy:
    """``Set α``, ``Finset α`` or ``List α`` (``kind``), of elements of type ``elem``."""

    kind: str  # "Set" | "Finset" | "List"
    elem: Ty


# Number types beyond ℕ ℤ ℚ ℝ (statement language of competition mathematics). ``ZMod n``
# types are ``BaseTy("ZMod n")`` (see ``zmod``); their arithmetic is modular.
CPLX = BaseTy("ℂ")
NNREAL = BaseTy("NNReal")
PNAT = BaseTy("ℕ+")


def zmod(modulus_text: str) -> BaseTy:
    """The type ``ZMod n``; ``modulus_text`` is ``n`` as Lean prints it (``31``, ``(11 ^ 2)``)."""
    return BaseTy("ZMod " + modulus_text)


def zmod_modulus(ty: object) -> int | None:
    """``n`` for ``ZMod n`` with a literal (or literal-power) modulus, else ``None``."""
    if not isinstance(ty, BaseTy) or not ty.name.startswith("ZMod "):
        return None
    text = ty.name[5:].strip("()").replace(" ", "")
    try:
        if "^" in text:
            b, e = text.split("^", 1)
            if int(b).bit_length() * int(e) > 1_000_000:
                return None  # too large to work with: treated as an unknown modulus
            return int(b) ** int(e)
        return int(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class EquivTy:
    """``dom ≃ cod`` (``Equiv dom cod``): ``σ.toFun``/``σ.invFun`` (``σ.1``/``σ.2``) are functions."""

    dom: Ty
    cod: Ty


@dataclass(frozen=True)
class ProdTy:
    """``fst × snd``; a tuple ``(a, b, c)`` is ``App("Prod.mk", (a, App("Prod.mk", (b, c))))``."""

    fst: Ty
    snd: Ty


Ty = Union[BaseTy, FunTy, SetTy, EquivTy, ProdTy]


# ---- terms ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    value: Fraction
    ty: Ty
    lit: str | None = None


@dataclass(frozen=True)
class Var:
    name: str
    ty: Ty


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * / % ^
    lhs: Term
    rhs: Term
    ty: Ty


@dataclass(frozen=True)
class Neg:
    arg: Term
    ty: Ty


@dataclass(frozen=True)
class Abs:
    arg: Term
    ty: Ty


@dataclass(frozen=True)
class Cast:
    arg: Term
    ty: Ty


@dataclass(frozen=True)
class App:
    fn: str
    args: tuple[Term, ...]
    ty: Ty


@dataclass(frozen=True)
class Lam:
    """``fun var => body``; ``body`` is a term or (for predicates) a proposition.

    ``ty`` is ``FunTy((vty,), body type)`` (``PROP`` for a predicate).
    """

    var: str
    vty: Ty
    body: object  # Term | Prop
    ty: Ty


@dataclass(frozen=True)
class BigOp:
    """``∑ var ∈ dom, body`` (``op`` ``"∑"``) or ``∏`` (``Finset.sum``/``Finset.prod``)."""

    op: str
    var: str
    vty: Ty
    dom: Term
    body: Term
    ty: Ty


@dataclass(frozen=True)
class SetOf:
    """Set-builder notation ``{var | body}`` of type ``Set vty``."""

    var: str
    vty: Ty
    body: object  # Prop
    ty: Ty


@dataclass(frozen=True)
class Coll:
    """A literal collection: ``{a, b, c}`` (``Set``/``Finset``, by ``ty``) or ``[a, b]`` (``List``)."""

    elems: tuple[Term, ...]
    ty: Ty


Term = Union[Num, Var, BinOp, Neg, Abs, Cast, App, Lam, BigOp, SetOf, Coll]


# ---- propositions --------------------------------------------------------------------


@dataclass(frozen=True)
class Bool_:
    value: bool


@dataclass(frozen=True)
class Rel:
    op: str  # = ≠ < ≤ > ≥
    lhs: Term
    rhs: Term


@dataclass(frozen=True)
class Dvd:
    lhs: Term
    rhs: Term


@dataclass(frozen=True)
class And:
    lhs: Prop
    rhs: Prop


@dataclass(frozen=True)
class Or:
    lhs: Prop
    rhs: Prop


@dataclass(frozen=True)
class Not:
    arg: Prop


@dataclass(frozen=True)
class Imp:
    lhs: Prop
    rhs: Prop


@dataclass(frozen=True)
class Iff:
    lhs: Prop
    rhs: Prop


@dataclass(frozen=True)
class Forall:
    var: str
    ty: Ty
    body: Prop
    bounded: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Exists:
    var: str
    ty: Ty
    body: Prop
    bounded: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Mem:
    """``elem ∈ coll`` (``elem ∉ coll`` when ``negated``; Lean's ``¬a ∈ s`` prints so)."""

    elem: Term
    coll: Term
    negated: bool = False


@dataclass(frozen=True)
class Pred:
    """A named predicate applied to terms: ``Nat.Prime p``, ``Even n``, ``IsLeast S x``."""

    fn: str
    args: tuple[Term, ...]


@dataclass(frozen=True)
class ModEq:
    """``a ≡ b [MOD n]`` (``kind`` ``"MOD"``, ℕ) or ``a ≡ b [ZMOD n]`` (``"ZMOD"``, ℤ)."""

    kind: str
    lhs: Term
    rhs: Term
    modulus: Term


@dataclass(frozen=True)
class ExistsUnique:
    """``∃! var : ty, body``."""

    var: str
    ty: Ty
    body: object  # Prop


Prop = Union[Bool_, Rel, Dvd, And, Or, Not, Imp, Iff, Forall, Exists, Mem, Pred, ModEq, ExistsUnique]


# ---- local context -------------------------------------------------------------------


@dataclass(frozen=True)
class VarDecl:
    """A variable in context: ``x : ℝ`` or ``f : ℝ → ℝ``."""

    name: str
    ty: Ty


@dataclass(frozen=True)
class HypDecl:
    """A hypothesis in context: ``h₀ : 0 < x``."""

    name: str
    prop: Prop


Decl = Union[VarDecl, HypDecl]


@dataclass(frozen=True)
class SGoal:
    """A sandbox goal: the local context in order, and the target."""

    context: tuple[Decl, ...]
    target: Prop
    tag: str | None = None
