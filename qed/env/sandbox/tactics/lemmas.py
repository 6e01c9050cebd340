"""The lemma table: Mathlib lemmas usable in ``exact``/``have``/``apply`` terms and as
hints to ``linarith``/``nlinarith``/``norm_num``/``simp``.

Each lemma is written as its Lean signature over one number type ``α`` (implicit
``{a b : α}``, explicit terms ``(x : α)``/``(n : ℕ)``, explicit hypotheses ``(h : 0 < a)``)
and is instantiated per type on demand by parsing its propositions with the sandbox
parser. Only types for which the statement holds in Mathlib are allowed (``sub_nonneg``
is not offered on ℕ, ``div_pos`` only on ℚ/ℝ …), so every instance is a true statement.
An ``↔`` lemma is used through ``.mp``/``.mpr`` (``.1``/``.2``).

Owns the data and its instantiation (``LemmaTable``, one cache per instance). Knows
nothing about proof terms or tactics (``proofterm.py`` elaborates applications).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from qed.env.sandbox.ast import INT, NAT, RAT, REAL, BaseTy, HypDecl, Iff, Prop, Ty, VarDecl

ORDERED = (NAT, INT, RAT, REAL)
RING = (INT, RAT, REAL)
FIELD = (RAT, REAL)
REAL_ONLY = (REAL,)

# name, signature, types.  The signature's binders use α for the lemma's number type.
_SPECS: tuple[tuple[str, str, tuple[BaseTy, ...]], ...] = (
    ("sq_nonneg", "(a : α) : 0 ≤ a ^ 2", ORDERED),
    ("pow_two_nonneg", "(a : α) : 0 ≤ a ^ 2", ORDERED),
    ("mul_self_nonneg", "(a : α) : 0 ≤ a * a", ORDERED),
    ("sq_abs", "(a : α) : |a| ^ 2 = a ^ 2", RING),
    ("abs_nonneg", "(a : α) : 0 ≤ |a|", RING),
    ("abs_mul_abs_self", "(a : α) : |a| * |a| = a * a", RING),
    ("abs_mul_self", "(a : α) : |a * a| = a * a", RING),
    ("abs_sub_comm", "(a b : α) : |a - b| = |b - a|", RING),
    ("le_refl", "(a : α) : a ≤ a", ORDERED),
    ("le_rfl", "{a : α} : a ≤ a", ORDERED),
    ("mul_pos", "{a b : α} (ha : 0 < a) (hb : 0 < b) : 0 < a * b", ORDERED),
    ("mul_nonneg", "{a b : α} (ha : 0 ≤ a) (hb : 0 ≤ b) : 0 ≤ a * b", ORDERED),
    ("mul_pos_of_neg_of_neg", "{a b : α} (ha : a < 0) (hb : b < 0) : 0 < a * b", RING),
    ("add_pos", "{a b : α} (ha : 0 < a) (hb : 0 < b) : 0 < a + b", ORDERED),
    ("add_nonneg", "{a b : α} (ha : 0 ≤ a) (hb : 0 ≤ b) : 0 ≤ a + b", ORDERED),
    ("add_pos_of_pos_of_nonneg", "{a b : α} (ha : 0 < a) (hb : 0 ≤ b) : 0 < a + b", ORDERED),
    ("add_pos_of_nonneg_of_pos", "{a b : α} (ha : 0 ≤ a) (hb : 0 < b) : 0 < a + b", ORDERED),
    ("pow_pos", "{a : α} (H : 0 < a) (n : ℕ) : 0 < a ^ n", ORDERED),
    ("pow_nonneg", "{a : α} (H : 0 ≤ a) (n : ℕ) : 0 ≤ a ^ n", ORDERED),
    ("div_pos", "{a b : α} (ha : 0 < a) (hb : 0 < b) : 0 < a / b", FIELD),
    ("div_nonneg", "{a b : α} (ha : 0 ≤ a) (hb : 0 ≤ b) : 0 ≤ a / b", FIELD),
    ("sub_nonneg", "{a b : α} : 0 ≤ a - b ↔ b ≤ a", RING),
    ("sub_pos", "{a b : α} : 0 < a - b ↔ b < a", RING),
    ("sub_nonpos", "{a b : α} : a - b ≤ 0 ↔ a ≤ b", RING),
    ("sub_neg", "{a b : α} : a - b < 0 ↔ a < b", RING),
    ("neg_nonpos", "{a : α} : -a ≤ 0 ↔ 0 ≤ a", RING),
    ("neg_neg_iff_pos", "{a : α} : -a < 0 ↔ 0 < a", RING),
    ("abs_le", "{a b : α} : |a| ≤ b ↔ -b ≤ a ∧ a ≤ b", RING),
    ("abs_lt", "{a b : α} : |a| < b ↔ -b < a ∧ a < b", RING),
    ("le_of_lt", "{a b : α} (h : a < b) : a ≤ b", ORDERED),
    ("le_of_eq", "{a b : α} (h : a = b) : a ≤ b", ORDERED),
    ("ne_of_lt", "{a b : α} (h : a < b) : a ≠ b", ORDERED),
    ("ne_of_gt", "{a b : α} (h : a > b) : a ≠ b", ORDERED),
    ("le_trans", "{a b c : α} (h₁ : a ≤ b) (h₂ : b ≤ c) : a ≤ c", ORDERED),
    ("lt_trans", "{a b c : α} (h₁ : a < b) (h₂ : b < c) : a < c", ORDERED),
    ("lt_of_le_of_lt", "{a b c : α} (h₁ : a ≤ b) (h₂ : b < c) : a < c", ORDERED),
    ("lt_of_lt_of_le", "{a b c : α} (h₁ : a < b) (h₂ : b ≤ c) : a < c", ORDERED),
    ("Real.sqrt_nonneg", "(x : α) : 0 ≤ Real.sqrt x", REAL_ONLY),
    ("Real.sq_sqrt", "{x : α} (h : 0 ≤ x) : Real.sqrt x ^ 2 = x", REAL_ONLY),
    ("Real.sqrt_sq", "{x : α} (h : 0 ≤ x) : Real.sqrt (x ^ 2) = x", REAL_ONLY),
    ("Real.mul_self_sqrt", "{x : α} (h : 0 ≤ x) : Real.sqrt x * Real.sqrt x = x", REAL_ONLY),
)

_BINDER = re.compile(r"([({])([^(){}]*?)\s:\s([^(){}]*)([)}])")


@dataclass(frozen=True)
class Param:
    """An explicit argument: a term (``ty`` set) or a hypothesis (``prop`` set)."""

    name: str
    ty: Ty | None = None
    prop: Prop | None = None


@dataclass(frozen=True)
class Schema:
    """A lemma instance at one type: pattern variables ``metas``, explicit ``params`` in
    order, and the conclusion. Pattern variables occur only in the schema's own props."""

    name: str
    metas: frozenset[str]
    params: tuple[Param, ...]
    concl: Prop


@dataclass(frozen=True)
class LemmaSpec:
    name: str
    signature: str
    types: tuple[BaseTy, ...]

    @property
    def binders(self) -> list[tuple[bool, list[str], str]]:
        """(explicit, names, type-or-prop text) for each binder."""
        head = self.signature[: self.signature.rfind(" : ")]
        return [(m.group(1) == "(", m.group(2).split(), m.group(3).strip()) for m in _BINDER.finditer(head)]

    @property
    def conclusion(self) -> str:
        return self.signature[self.signature.rfind(" : ") + 3:]


SPECS = MappingProxyType({name: LemmaSpec(name, sig, types) for name, sig, types in _SPECS})


def lemma_doc() -> str:
    """One line per lemma: ``name signature  [types]`` (for the docs and error messages)."""
    return "\n".join(f"{s.name} {s.signature}  [{' '.join(t.name for t in s.types)}]" for s in SPECS.values())


class LemmaTable:
    """Looks lemmas up and instantiates them per number type (memoised per table).

    ``parse_prop`` is the sandbox parser's ``parse_prop(src, context)``; it is injected so
    this module does not depend on the parser's import.
    """

    def __init__(self, parse_prop):
        self._parse_prop = parse_prop
        self._cache: dict[tuple[str, Ty, str], Schema] = {}

    def __contains__(self, name: str) -> bool:
        return name in SPECS

    def spec(self, name: str) -> LemmaSpec:
        return SPECS[name]

    def instance(self, name: str, ty: Ty, proj: str = "") -> Schema:
        """The schema of ``name`` at type ``ty``; ``proj`` is ``""``, ``"mp"`` or ``"mpr"``.

        Raises ``KeyError`` for an unknown lemma and ``ValueError`` (with a message) for a
        type the lemma does not hold at or a projection of a non-``↔`` lemma.
        """
        key = (name, ty, proj)
        if key in self._cache:
            return self._cache[key]
        spec = SPECS[name]
        if ty not in spec.types:
            raise ValueError(f"{name} does not apply to {ty}: it needs one of "
                             f"{', '.join(t.name for t in spec.types)}")
        ctx: list = []
        metas: set[str] = set()
        params: list[Param] = []
        for explicit, names, what in spec.binders:
            if what in ("α", "ℕ"):
                vty = ty if what == "α" else NAT
                for n in names:
                    ctx.append(VarDecl(n, vty))
                    metas.add(n)
                    if explicit:
                        params.append(Param(n, ty=vty))
            else:
                prop = self._parse_prop(what, tuple(ctx))
                for n in names:
                    params.append(Param(n, prop=prop))
                    ctx.append(HypDecl(n, prop))
        concl = self._parse_prop(spec.conclusion, tuple(ctx))
        if proj:
            if not isinstance(concl, Iff):
                raise ValueError(f"{name} is not an '↔' lemma: '.{proj}' does not apply")
            premise, concl = (concl.lhs, concl.rhs) if proj == "mp" else (concl.rhs, concl.lhs)
            params.append(Param("h", prop=premise))
        schema = Schema(name if not proj else f"{name}.{proj}", frozenset(metas), tuple(params), concl)
        self._cache[key] = schema
        return schema
