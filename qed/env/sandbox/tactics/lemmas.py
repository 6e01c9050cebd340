"""The lemma table: Mathlib lemmas usable in ``exact``/``have``/``apply``/``rw`` terms and
as hints to ``linarith``/``nlinarith``/``norm_num``/``simp``.

The table is data: ``mathlib_lemmas.txt`` next to this module, one Lean declaration a line
(``theorem sub_nonneg {a b : α} : 0 ≤ a - b ↔ b ≤ a`` inside ``section RING … end``; see
the file's header for the format and for how the entries were chosen). Each lemma is
written over one number type ``α`` and is instantiated per type on demand by parsing its
propositions with the sandbox parser. Only types for which the statement holds in Mathlib
are declared (``sub_nonneg`` is not offered on ℕ, ``div_pos`` only on ℚ/ℝ …), so every
instance is a true statement; ``tests/sandbox/test_lemma_table.py`` checks every entry at
every declared type on random exact instances.

Owns the data, its loading (``SPECS``, failing loudly on a malformed entry), the
instantiation (``LemmaTable.instance``, one cache entry per (name, type, projection)) and
the frequency count used to choose the entries (``count_lemma_uses``). Pattern variables
of an instance are named ``?a`` so they never clash with a goal's variables. Knows nothing
about proof terms or tactics (``proofterm.py`` unifies and elaborates applications).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from qed.env.sandbox.ast import INT, NAT, RAT, REAL, BaseTy, FunTy, HypDecl, Iff, Prop, Ty, Var, VarDecl

ORDERED = (NAT, INT, RAT, REAL)
RING = (INT, RAT, REAL)
FIELD = (RAT, REAL)
REAL_ONLY = (REAL,)

CLASSES: dict[str, tuple[BaseTy, ...]] = {
    "ALL": ORDERED,
    "ORDERED": ORDERED,
    "RING": RING,
    "CAST": RING,
    "FIELD": FIELD,
    "REAL": REAL_ONLY,
    "NAT": (NAT,),
    "INT": (INT,),
    "DVD": (NAT, INT),
}
_TYPE_NAMES = {"ℕ": NAT, "ℤ": INT, "ℚ": RAT, "ℝ": REAL}

DATA_FILE = Path(__file__).with_name("mathlib_lemmas.txt")


def _binder_type(what: str, ty) -> Ty | None:
    """The type a term binder's text names at the lemma's type ``ty``: ``α``, ``ℕ`` …,
    or a function type ``ℕ → α`` (a function-typed pattern variable, matched
    higher-order under a ``∑``/``∏`` binder); None for a hypothesis."""
    parts = [x.strip() for x in what.split("→")]
    tys = [ty if x == "α" else _TYPE_NAMES.get(x) for x in parts]
    if any(t is None for t in tys):
        return None
    if len(tys) == 1:
        return tys[0]
    return FunTy(tuple(tys[:-1]), tys[-1])  # type: ignore[arg-type]


class LemmaTableError(ValueError):
    """A malformed entry of the lemma data file (raised at import)."""


@dataclass(frozen=True)
class Binder:
    explicit: bool
    names: tuple[str, ...]
    what: str  # a type ("α", "ℕ", …) or a proposition's text

    @property
    def is_term(self) -> bool:
        return _binder_type(self.what, INT) is not None


@dataclass(frozen=True)
class Param:
    """An explicit argument: a term (``ty`` set) or a hypothesis (``prop`` set). ``meta``
    is the pattern variable a term argument binds (``?a`` for ``(a : α)``)."""

    name: str
    ty: Ty | None = None
    prop: Prop | None = None
    meta: str | None = None


@dataclass(frozen=True)
class Schema:
    """A lemma instance at one type: pattern variables ``metas`` (``?a`` …), explicit
    ``params`` in order, and the conclusion. Pattern variables occur only in the schema's
    own props."""

    name: str
    metas: frozenset[str]
    params: tuple[Param, ...]
    concl: Prop
    ty: Ty | None = None


@dataclass(frozen=True)
class LemmaSpec:
    name: str
    binders: tuple[Binder, ...]
    conclusion: str
    types: tuple[BaseTy, ...]
    line: int = 0

    @property
    def signature(self) -> str:
        parts = []
        for b in self.binders:
            o, c = ("(", ")") if b.explicit else ("{", "}")
            parts.append(f"{o}{' '.join(b.names)} : {b.what}{c}")
        return " ".join(parts + [": " + self.conclusion])

    @property
    def explicit_count(self) -> int:
        return sum(len(b.names) for b in self.binders if b.explicit)


# ---- loading the data file ------------------------------------------------------------


def _matching(s: str, i: int) -> int:
    opener = s[i]
    closer = {"(": ")", "{": "}"}[opener]
    depth = 0
    for j in range(i, len(s)):
        if s[j] in "({[⟨":
            depth += 1
        elif s[j] in ")}]⟩":
            depth -= 1
            if depth == 0:
                if s[j] != closer:
                    break
                return j
    raise LemmaTableError(f"unbalanced binder in '{s}'")


def _top_colon(s: str) -> int:
    depth = 0
    for i, c in enumerate(s):
        if c in "({[⟨":
            depth += 1
        elif c in ")}]⟩":
            depth -= 1
        elif c == ":" and depth == 0 and not s.startswith(":=", i):
            return i
    return -1


def parse_declaration(text: str) -> tuple[str, tuple[Binder, ...], str]:
    """``NAME BINDERS : STATEMENT`` (the text after ``theorem``) -> its parts."""
    text = text.strip()
    m = re.match(r"([^\s({]+)\s*", text)
    if not m:
        raise LemmaTableError(f"expected a lemma name in '{text}'")
    name, i = m.group(1), m.end()
    binders: list[Binder] = []
    while i < len(text) and text[i] in "({":
        j = _matching(text, i)
        inner = text[i + 1: j]
        k = _top_colon(inner)
        if k < 0:
            raise LemmaTableError(f"{name}: binder without a type '{inner}'")
        names = tuple(inner[:k].split())
        what = inner[k + 1:].strip()
        if not names or not what:
            raise LemmaTableError(f"{name}: malformed binder '{inner}'")
        binders.append(Binder(text[i] == "(", names, what))
        i = j + 1
        while i < len(text) and text[i] == " ":
            i += 1
    if not text.startswith(":", i) or text.startswith(":=", i):
        raise LemmaTableError(f"{name}: expected ':' before the statement in '{text}'")
    statement = text[i + 1:].strip()
    if not statement:
        raise LemmaTableError(f"{name}: empty statement")
    return name, tuple(binders), statement


def load_specs(text: str) -> dict[str, LemmaSpec]:
    """Read the data file's text; raises ``LemmaTableError`` on a malformed entry."""
    text = re.sub(r"/-.*?-/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    logical: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("--", 1)[0].rstrip()
        if not line.strip():
            continue
        if raw[:1].isspace() and logical:
            logical[-1] = (logical[-1][0], logical[-1][1] + " " + line.strip())
        else:
            logical.append((n, line.strip()))
    specs: dict[str, LemmaSpec] = {}
    types: tuple[BaseTy, ...] | None = None
    for n, line in logical:
        head, _, rest = line.partition(" ")
        if head == "section":
            cls = rest.strip()
            if cls not in CLASSES:
                raise LemmaTableError(f"line {n}: unknown type class '{cls}'")
            types = CLASSES[cls]
        elif head == "end":
            types = None
        elif head in ("theorem", "lemma"):
            if types is None:
                raise LemmaTableError(f"line {n}: entry outside a section")
            try:
                name, binders, statement = parse_declaration(rest)
            except LemmaTableError as e:
                raise LemmaTableError(f"line {n}: {e}") from None
            if name in specs:
                raise LemmaTableError(f"line {n}: duplicate entry '{name}'")
            for b in binders:
                if not b.explicit and not b.is_term:
                    raise LemmaTableError(f"line {n}: {name}: implicit hypothesis binders are not supported")
            specs[name] = LemmaSpec(name, binders, statement, types, n)
        elif head == "alias":
            m = re.fullmatch(r"(\S+)\s*:=\s*(\S+)", rest.strip())
            if not m or m.group(2) not in specs:
                raise LemmaTableError(f"line {n}: alias of an unknown entry: '{line}'")
            new, old = m.groups()
            if new in specs:
                raise LemmaTableError(f"line {n}: duplicate entry '{new}'")
            o = specs[old]
            specs[new] = LemmaSpec(new, o.binders, o.conclusion, o.types, n)
        else:
            raise LemmaTableError(f"line {n}: expected 'theorem', 'alias', 'section' or 'end': '{line}'")
    return specs


SPECS = MappingProxyType(load_specs(DATA_FILE.read_text(encoding="utf-8")))


def lemma_doc() -> str:
    """One line per lemma: ``name signature  [types]`` (for the docs and error messages)."""
    return "\n".join(f"{s.name} {s.signature}  [{' '.join(t.name for t in s.types)}]" for s in SPECS.values())


# ---- instantiation --------------------------------------------------------------------


def _rename_metas(p: Prop, ren: dict[str, Var]) -> Prop:
    from qed.env.sandbox.tactics.subst import rename_vars_prop

    return rename_vars_prop(p, {k: v.name for k, v in ren.items()})  # also ``f x`` -> ``?f x``


class LemmaTable:
    """Looks lemmas up and instantiates them per number type (memoised per table).

    ``parse_prop`` is the sandbox parser's ``parse_prop(src, context)``; it is injected so
    this module does not depend on the parser's import.
    """

    def __init__(self, parse_prop, specs=SPECS):
        self._parse_prop = parse_prop
        self._specs = specs
        self._cache: dict[tuple[str, Ty, str], Schema] = {}

    # Real proofs run under ``open … Real Nat …`` (the Lean Workbook / miniF2F header), so
    # ``le_of_lt_succ`` names ``Nat.le_of_lt_succ`` when no root lemma has that name.
    OPEN_NAMESPACES = ("Nat.", "Real.")

    def resolve(self, name: str) -> str | None:
        """The table's name for ``name`` (itself, or under an opened namespace), or None."""
        if name in self._specs:
            return name
        for ns in self.OPEN_NAMESPACES:
            if ns + name in self._specs:
                return ns + name
        return None

    def __contains__(self, name: str) -> bool:
        return self.resolve(name) is not None

    def names(self) -> list[str]:
        return list(self._specs)

    def spec(self, name: str) -> LemmaSpec:
        return self._specs[self.resolve(name) or name]

    def instance(self, name: str, ty: Ty, proj: str = "") -> Schema:
        """The schema of ``name`` at type ``ty``; ``proj`` is ``""``, ``"mp"`` or ``"mpr"``.

        Raises ``KeyError`` for an unknown lemma and ``ValueError`` (with a message) for a
        type the lemma does not hold at or a projection of a non-``↔`` lemma.
        """
        key = (name, ty, proj)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        spec = self._specs[self.resolve(name) or name]
        name = spec.name
        if ty not in spec.types:
            raise ValueError(f"{name} does not apply to {ty}: it needs one of "
                             f"{', '.join(t.name for t in spec.types)}")
        assert isinstance(ty, BaseTy)

        def text(s: str) -> str:
            return s.replace("α", ty.name)

        ctx: list = []
        ren: dict[str, Var] = {}
        params: list[Param] = []
        hyps: list[tuple[str, str]] = []
        for b in spec.binders:
            if b.is_term:
                vty = _binder_type(b.what, ty)
                assert vty is not None
                for n in b.names:
                    ctx.append(VarDecl(n, vty))
                    ren[n] = Var("?" + n, vty)
                    if b.explicit:
                        params.append(Param(n, ty=vty, meta="?" + n))
            else:
                prop = self._parse_prop(text(b.what), tuple(ctx))
                for n in b.names:
                    params.append(Param(n, prop=prop))
                    ctx.append(HypDecl(n, prop))
                    hyps.append((n, b.what))
        concl = self._parse_prop(text(spec.conclusion), tuple(ctx))
        params = [p if p.prop is None else Param(p.name, prop=_rename_metas(p.prop, ren)) for p in params]
        concl = _rename_metas(concl, ren)
        if proj:
            if not isinstance(concl, Iff):
                raise ValueError(f"{name} is not an '↔' lemma: '.{proj}' does not apply")
            premise, concl = (concl.lhs, concl.rhs) if proj == "mp" else (concl.rhs, concl.lhs)
            params.append(Param("h", prop=premise))
        schema = Schema(name if not proj else f"{name}.{proj}", frozenset(v.name for v in ren.values()),
                        tuple(params), concl, ty)
        self._cache[key] = schema
        return schema

    def check_all(self) -> list[tuple[str, Ty]]:
        """Instantiate every entry at every declared type (raises on the first entry the
        parser rejects, naming it); returns the (name, type) pairs."""
        out = []
        for name, spec in self._specs.items():
            for ty in spec.types:
                try:
                    self.instance(name, ty)
                except Exception as e:  # noqa: BLE001 - re-raised with the entry's name
                    raise LemmaTableError(f"line {spec.line}: {name} at {ty}: {e}") from e
                out.append((name, ty))
        return out


# ---- choosing entries: frequency in real proofs ---------------------------------------

_IDENT = re.compile(r"(?<![\w.'])([A-Za-z][\w']*(?:\.[A-Za-z_][\w'₀-₉]*)*[₀-₉']*)")
_PROJ = re.compile(r"\.(mp|mpr|1|2|le|symm|ne|ne'|trans|lt|ge)$")


def count_lemma_uses(texts: Iterable[str]) -> Counter:
    """How often each lemma-like name (containing ``_`` or ``.``) occurs in ``texts``;
    projections (``sub_nonneg.mpr``) count for the lemma. Used to choose and re-check the
    table's entries (``benchmarks/lemma_frequency.py``)."""
    c: Counter = Counter()
    for t in texts:
        for m in _IDENT.finditer(t):
            name = _PROJ.sub("", m.group(1))
            if "_" in name or "." in name:
                c[name] += 1
    return c
