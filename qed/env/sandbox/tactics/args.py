"""Parsing of tactic arguments: names, ``at`` locations, ``[hint, ← hint]`` lists,
``:=``/``:`` splitting for ``have``/``obtain``, and rcases patterns (``⟨a, b⟩``, ``h | h``,
``rfl``, ``_``, ``-``).

Works on raw argument text (as ``syntax.Atom.args`` holds it) and returns plain values;
terms and propositions inside arguments stay raw text for ``parse_term``/``parse_prop``
or the proof-term elaborator. Knows nothing about goals or tactics' meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from qed.env.sandbox.tactics.core import TacticFailure
from qed.env.sandbox.tactics.syntax import CLOSE, OPEN, is_ident_char


def is_ident(s: str) -> bool:
    return bool(s) and not s[0].isdigit() and s[0] not in "'!?." and all(is_ident_char(c) for c in s)


def require_ident(s: str, what: str) -> str:
    if not is_ident(s):
        raise TacticFailure(f"expected {what}, got '{s}'")
    return s


def split_top(s: str, sep: str = ",") -> list[str]:
    """Split at depth-0 occurrences of the one-character ``sep``."""
    parts, depth, last = [], 0, 0
    for i, c in enumerate(s):
        if c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth -= 1
        elif c == sep and depth == 0:
            parts.append(s[last:i])
            last = i + 1
    parts.append(s[last:])
    return parts


def find_top(s: str, token: str, start: int = 0, word: bool = False) -> int:
    """Offset of the first depth-0 ``token`` (as a whole word if ``word``), or -1."""
    depth = 0
    for i in range(start, len(s)):
        c = s[i]
        if c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth -= 1
        elif depth == 0 and s.startswith(token, i):
            if word and ((i > 0 and is_ident_char(s[i - 1])) or
                         (i + len(token) < len(s) and is_ident_char(s[i + len(token)]))):
                continue
            if token == ":" and s.startswith(":=", i):
                continue
            return i
    return -1


def top_words(s: str) -> list[str]:
    """Whitespace-separated pieces at depth 0 (``⟨a, b⟩ c`` -> ``['⟨a, b⟩', 'c']``)."""
    out, depth, cur = [], 0, []
    for c in s:
        if c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth -= 1
        if c.isspace() and depth == 0:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(c)
    if cur:
        out.append("".join(cur))
    return out


# ---- locations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """``at h₁ h₂ ⊢`` (``hyps``, ``goal``) or ``at *`` (``everywhere``)."""

    hyps: tuple[str, ...] = ()
    goal: bool = True
    everywhere: bool = False


def take_location(args: str) -> tuple[str, Location]:
    """Split off a trailing ``at …``; without one the location is the goal."""
    k = find_top(args, "at", word=True)
    if k < 0:
        return args, Location()
    rest, loc = args[:k], args[k + 2:].split()
    if not loc:
        raise TacticFailure("expected a hypothesis name, '⊢' or '*' after 'at'")
    if loc == ["*"]:
        return rest, Location(everywhere=True, goal=True)
    hyps = tuple(require_ident(n, "a hypothesis name") for n in loc if n not in ("⊢", "|-"))
    return rest, Location(hyps, goal=any(n in ("⊢", "|-") for n in loc))


# ---- hint lists -----------------------------------------------------------------------


@dataclass(frozen=True)
class Hint:
    """One entry of ``[…]``: a proof term's source, reversed with ``←`` (for ``rw``)."""

    src: str
    reverse: bool = False


def take_hints(args: str) -> tuple[str, tuple[Hint, ...], bool]:
    """Parse an optional leading ``only`` and ``[…]`` list; return (rest, hints, only)."""
    s = args.strip()
    only = False
    if s.startswith("only") and (len(s) == 4 or not is_ident_char(s[4])):
        only, s = True, s[4:].strip()
    if not s.startswith("["):
        return s, (), only
    depth = 0
    for i, c in enumerate(s):
        if c in OPEN:
            depth += 1
        elif c in CLOSE:
            depth -= 1
            if depth == 0:
                inner, rest = s[1:i], s[i + 1:]
                break
    else:
        raise TacticFailure("expected ']' to close the list of terms")
    hints = []
    for part in split_top(inner):
        p = part.strip()
        if not p:
            if inner.strip():
                raise TacticFailure("empty entry in the list of terms")
            continue
        rev = p.startswith("←") or p.startswith("<-")
        if rev:
            p = p[1:].strip() if p.startswith("←") else p[2:].strip()
        hints.append(Hint(p, rev))
    return rest, tuple(hints), only


def split_assign(s: str) -> tuple[str, str | None]:
    """``lhs := rhs`` at depth 0 -> (lhs, rhs); (s, None) when there is no ``:=``."""
    k = find_top(s, ":=")
    if k < 0:
        return s, None
    return s[:k], tail(s, k + 2)


def tail(s: str, k: int) -> str:
    """``s[k:]`` with the first line's columns kept (the part before ``k`` blanked)."""
    return " " * _col(s, k) + s[k:]


def by_block(src: str) -> str | None:
    """If ``src`` is ``by tacs``, the tactic text (columns kept), else ``None``."""
    stripped = src.lstrip()
    if stripped.startswith("by") and (len(stripped) == 2 or not is_ident_char(stripped[2])):
        k = len(src) - len(stripped)
        return " " * (_col(src, k) + 2) + src[k + 2:]
    return None


def _col(s: str, k: int) -> int:
    return k - (s.rfind("\n", 0, k) + 1)


# ---- rcases patterns ------------------------------------------------------------------


@dataclass(frozen=True)
class PName:
    name: str


@dataclass(frozen=True)
class PWild:
    """``_``: keep the component under an inaccessible name (``base✝`` when given)."""

    base: str | None = None


@dataclass(frozen=True)
class PClear:
    """``-``: drop the component."""


@dataclass(frozen=True)
class PRfl:
    """``rfl``: substitute the equation away."""


@dataclass(frozen=True)
class PTuple:
    items: tuple[Pat, ...]


@dataclass(frozen=True)
class PAlts:
    alts: tuple[Pat, ...]


Pat = Union[PName, PWild, PClear, PRfl, PTuple, PAlts]


def parse_pattern(s: str) -> Pat:
    """Parse an rcases pattern (``⟨x, hx⟩ | h``); ``TacticFailure`` on malformed input."""
    s = s.strip()
    if not s:
        raise TacticFailure("expected an rcases pattern")
    alts = [a.strip() for a in split_top(s, "|")]
    if len(alts) > 1:
        return PAlts(tuple(parse_pattern(a) for a in alts))
    if s.startswith("⟨"):
        if not s.endswith("⟩"):
            raise TacticFailure(f"malformed pattern '{s}': expected '⟩'")
        inner = s[1:-1]
        items = [x for x in split_top(inner)] if inner.strip() else []
        return PTuple(tuple(parse_pattern(x) for x in items))
    if s.startswith("("):
        if not s.endswith(")"):
            raise TacticFailure(f"malformed pattern '{s}': expected ')'")
        inner = s[1:-1]
        k = find_top(inner, ":")
        return parse_pattern(inner[:k] if k >= 0 else inner)
    if " " in s:
        parts = top_words(s)
        if len(parts) > 1:
            raise TacticFailure(f"malformed pattern '{s}'")
    if s == "_":
        return PWild()
    if s == "-":
        return PClear()
    if s == "rfl":
        return PRfl()
    return PName(require_ident(s, "a name in the pattern"))
