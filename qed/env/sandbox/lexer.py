"""Lean 4 tokens for the sandbox's syntax: identifiers, numerals and symbols.

Owns ``Token``, ``tokenize`` and ``ParseError`` (re-exported by ``parse.py``, the public
home named in ``api_contract.md``). Knows Lean's lexical rules for the fragment the
sandbox reads (identifiers with subscripts, primes, ``!``/``?`` and dotted namespaces;
decimal and scientific numerals; ``--`` and ``/- -/`` comments; ASCII spellings of
``→ ↔ ≤ ≥``). It does not know grammar, types or meaning: ``ℕ`` is just a symbol here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class ParseError(ValueError):
    """Text the sandbox cannot read: ``message`` names the problem at ``column`` (1-based).

    ``line`` (1-based) is set for multi-line input; ``offset`` is the 0-based character
    offset in the source; ``category`` is a short reason for grouping rejections (for
    example ``"Finset.sum"`` or ``"unsupported type ℂ"``), or ``None`` for plain errors.
    """

    def __init__(
        self,
        message: str,
        column: int,
        *,
        line: int | None = None,
        offset: int | None = None,
        category: str | None = None,
    ):
        self.message = message
        self.column = column
        self.line = line
        self.offset = offset
        self.category = category
        where = f"line {line}, column {column}" if line is not None else f"column {column}"
        super().__init__(f"{message} ({where})")


def error_at(src: str, offset: int, message: str, category: str | None = None) -> ParseError:
    """A ``ParseError`` at ``offset`` of ``src`` (line given only when ``src`` has several)."""
    offset = max(0, min(offset, len(src)))
    line_start = src.rfind("\n", 0, offset) + 1
    column = offset - line_start + 1
    line = src.count("\n", 0, offset) + 1 if "\n" in src else None
    return ParseError(message, column, line=line, offset=offset, category=category)


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is ``"ident" | "num" | "sym" | "eof"``; ``pos`` the 0-based offset.

    ``ws`` says whether whitespace (or a comment) came right before it (Lean's ``noWs``
    checks, e.g. for ``|x|``).
    """

    kind: str
    text: str
    pos: int
    ws: bool


# Symbols, longest first so that the alternation prefers them.
_SYMBOLS = sorted(
    [
        ":=",
        "<->",
        "->",
        "<=",
        ">=",
        "=>",
        "!=",
        "⁻¹",
        "∃!",
        "/.",
        "⌋₊",
        "⌉₊",
        "..",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "⟨",
        "⟩",
        ",",
        ":",
        "+",
        "-",
        "*",
        "/",
        "%",
        "^",
        "=",
        "<",
        ">",
        "≤",
        "≥",
        "≠",
        "∣",
        "∧",
        "∨",
        "¬",
        "→",
        "↔",
        "∀",
        "∃",
        "|",
        "↑",
        "√",
        "·",
        "!",
        "∑",
        "∏",
        "∈",
        "∉",
        "⌊",
        "⌋",
        "⌈",
        "⌉",
        "λ",
        "↦",
        "≡",
        "•",
        "∘",
        "⊆",
        "⊂",
        "∩",
        "∪",
        "\\",
        "ℕ",
        "ℤ",
        "ℚ",
        "ℝ",
        "ℂ",
        "π",
        "'",
        "#",
        "@",
        "⋯",
        "∞",
        "∫",
        "‖",
        "≃",
        ".",
        ";",
        "$",
        "&",
        "⊢",
        "∅",
        "×",
        "⁺",
        "∠",
        "𝓝",
        "∆",
        "⊓",
        "⊔",
        "≅",
        "≈",
        "⊤",
        "⊥",
    ],
    key=len,
    reverse=True,
)
_ASCII = {"->": "→", "<->": "↔", "<=": "≤", ">=": "≥"}

# Characters Lean treats as letter-like in identifiers (Greek minus λ Π Σ, and a few more).
_NOT_IDENT_START = set("λΠΣπℕℤℚℝℂ")
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉ₐₑₒₓₔₕₖₗₘₙₚₛₜᵢᵣᵤᵥⱼ"
_ID_START = r"[^\W\d]"
_ID_REST = rf"(?:[\w'!?]|[{_SUBSCRIPTS}])"
_IDENT = rf"{_ID_START}{_ID_REST}*(?:\.{_ID_START}{_ID_REST}*)*"
_NUMBER = r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?"
_SYM = "|".join(re.escape(s) for s in _SYMBOLS)
_TOKEN_RE = re.compile(
    rf"(?P<ws>(?:\s+|--[^\n]*|/-(?:.|\n)*?-/)+)|(?P<num>{_NUMBER})|(?P<ident>{_IDENT})|(?P<sym>{_SYM})"
)


def tokenize(src: str) -> list[Token]:
    """Split ``src`` into tokens, ending with an ``eof`` token at ``len(src)``.

    Raises ``ParseError`` naming the first character that starts no token (and where an
    unterminated ``/-`` comment opened).
    """
    tokens: list[Token] = []
    pos = 0
    ws = True
    n = len(src)
    match = _TOKEN_RE.match
    while pos < n:
        m = match(src, pos)
        if m is None:
            if src.startswith("/-", pos):
                raise error_at(src, pos, "unterminated comment")
            raise error_at(src, pos, f"unexpected character '{src[pos]}'")
        kind = m.lastgroup
        text = m.group()
        if kind == "ws":
            ws = True
        elif kind == "ident":
            if text[0] in _NOT_IDENT_START:
                # λ/Π/Σ/π/ℕ... are symbols: take one character as a symbol token.
                tokens.append(Token("sym", text[0], pos, ws))
                ws = False
                pos += 1
                continue
            tokens.append(Token("ident", text, pos, ws))
            ws = False
        else:
            assert kind is not None
            tokens.append(Token(kind, _ASCII.get(text, text), pos, ws))
            ws = False
        pos = m.end()
    tokens.append(Token("eof", "", n, ws))
    return tokens
