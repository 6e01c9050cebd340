"""Lean 4 source text read without elaborating it: comments, declarations, statement and proof.

Owns the few surface rules every reader of Lean files shares (``qed check``, ``qed sandbox
fidelity``, the corpus loaders of ``qed.data.corpora``): comments nest (``/- /- -/ -/``) and
``--`` runs to the end of the line; a top-level command starts a line (a comment before it on
that line is allowed); a declaration runs to the next top-level command; a statement ends at
the first ``:=`` outside brackets, and a tactic proof is what follows ``:= by``. Standard
library only. Knows nothing about elaboration, environments or any backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

__all__ = [
    "Declaration",
    "ScriptError",
    "blank_comments",
    "declarations",
    "header_and_declarations",
    "pick_declaration",
    "split_declaration",
    "split_statement",
    "top_level_assign",
    "top_level_colon",
    "unclosed_comment_line",
]


class ScriptError(ValueError):
    """The proof text is not a well-formed tactic block (e.g. an empty bullet, no ``:= by``)."""


class Declaration(NamedTuple):
    """A ``theorem``/``lemma``/``example`` of a file: its 1-based first ``line``, ``name``
    (``example`` for examples) and ``text`` from the keyword on (modifiers and attributes
    dropped, comments blanked, ending in one newline)."""

    line: int
    name: str
    text: str


_MODIFIERS = r"(?:@\[[^\]\n]*\]\s*)?(?:(?:private|protected|nonrec|noncomputable)\s+)*"
_DECL = re.compile(rf"^([ \t]*){_MODIFIERS}(theorem|lemma|example)\b", re.MULTILINE)
_OTHER_DECL = re.compile(
    rf"^([ \t]*){_MODIFIERS}(?:def|abbrev|instance|structure|inductive|class|namespace|section|end|open"
    r"|variable|universe|set_option|macro|syntax|notation|attribute|#\w+)\b",
    re.MULTILINE,
)


def split_statement(text: str) -> tuple[str, str]:
    """Split ``theorem … := by <proof>`` into (statement ending in ``:= by``, proof text)."""
    m = re.search(r":=\s*by\b", text)
    if m is None:
        raise ScriptError("no ':= by' found: expected 'theorem NAME … := by' followed by tactics")
    return text[: m.end()], text[m.end() :]


_COMMENT_MARK = re.compile(r"/-|-/|--")


def _blank(segment: str) -> str:
    return "\n".join(" " * len(line) for line in segment.split("\n"))


def _comment_spans(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, closed) of every comment, in order: ``--`` to the end of its line, ``/-``
    to its matching ``-/`` (nested); an unclosed block comment runs to the end (``closed``
    False). Linear in the text: only comment marks are visited."""
    start, depth, i, n = 0, 0, 0, len(text)
    while True:
        m = _COMMENT_MARK.search(text, i)
        if m is None:
            break
        mark, at = m.group(), m.start()
        if depth == 0:
            if mark == "/-":
                depth, start, i = 1, at, at + 2
            elif mark == "--":
                end = text.find("\n", at)
                i = n if end < 0 else end
                yield at, i, True
            else:  # "-/" outside a comment is ordinary text
                i = at + 1
        elif mark == "/-":
            depth, i = depth + 1, at + 2
        elif mark == "-/":
            depth, i = depth - 1, at + 2
            if depth == 0:
                yield start, i, True
        else:  # "--" inside a block comment: step one character ("--/" may close it)
            i = at + 1
    if depth:
        yield start, n, False


def blank_comments(text: str) -> str:
    """Blank out ``--`` line comments and ``/- … -/`` block comments (nested, as in Lean),
    keeping every position and newline."""
    if "--" not in text and "/-" not in text:
        return text
    out: list[str] = []
    keep_from = 0
    for start, end, _ in _comment_spans(text):
        out += [text[keep_from:start], _blank(text[start:end])]
        keep_from = end
    out.append(text[keep_from:])
    return "".join(out)


def unclosed_comment_line(text: str) -> int | None:
    """The 1-based line where a block comment opens that never closes, or None."""
    for start, _, closed in _comment_spans(text):
        if not closed:
            return text.count("\n", 0, start) + 1
    return None


def _starts(pattern: re.Pattern, blanked: str, original: str) -> list[re.Match]:
    """Matches of ``pattern`` at a line start: column 0, or after blanks that were a comment."""
    return [m for m in pattern.finditer(blanked) if not m.group(1) or original[m.start() : m.end(1)].strip()]


def declarations(text: str, *, keep_comments: bool = False) -> list[Declaration]:
    """The file's theorems, lemmas and examples in order, comments blanked (kept, as written,
    with ``keep_comments``). A declaration runs to the next top-level command (another
    declaration, ``def``, ``end``, ``namespace`` …) that starts a line."""
    blanked = blank_comments(text)
    bounds = sorted(
        [(m.end(1), True) for m in _starts(_DECL, blanked, text)]
        + [(m.end(1), False) for m in _starts(_OTHER_DECL, blanked, text)]
    )
    out = []
    for i, (start, is_decl) in enumerate(bounds):
        if not is_decl:
            continue
        end = bounds[i + 1][0] if i + 1 < len(bounds) else len(blanked)
        span = len(blanked[start:end].rstrip())
        decl = (text if keep_comments else blanked)[start : start + span] + "\n"
        decl = decl[_DECL.match(blanked[start : start + span]).start(2) :]  # from the keyword: no modifiers
        words = decl.split(None, 2)
        name = "example" if words[0] == "example" or len(words) < 2 else words[1]
        out.append(Declaration(blanked.count("\n", 0, start) + 1, name, decl))
    return out


def header_and_declarations(text: str) -> tuple[str, list[tuple[int, str]]]:
    """(header, [(1-based line, declaration text)]) of a .lean file: the text before the first
    declaration (comments blanked, lines kept; the whole text when there is none) and every
    theorem/lemma/example as ``declarations`` reads them."""
    decls = declarations(text)
    blanked = blank_comments(text)
    if not decls:
        return blanked, []
    header = "\n".join(blanked.split("\n")[: decls[0].line - 1])
    return (header + "\n" if header else ""), [(d.line, d.text) for d in decls]


def pick_declaration(decls: list[Declaration], wanted: str | None) -> Declaration:
    """The declaration called ``wanted`` (or its last dotted component), else the last one."""
    if wanted:
        short = wanted.rsplit(".", 1)[-1]
        for d in reversed(decls):
            if d.name in (wanted, short):
                return d
    return decls[-1]


def top_level_colon(text: str, *, assign: bool = False) -> int:
    """Index of the first ``:`` outside brackets that is not ``:=`` (with ``assign``: the first
    ``:=``) in ``text``, or -1."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{⟨⦃":
            depth += 1
        elif ch in ")]}⟩⦄":
            depth -= 1
        elif ch == ":" and depth == 0 and text.startswith(":=", i) == assign:
            return i
    return -1


def top_level_assign(decl: str) -> int:
    """Index of the first ``:=`` outside brackets in ``decl``, or -1."""
    return top_level_colon(decl, assign=True)


def split_declaration(decl: str) -> tuple[str, str, bool]:
    """(statement ending in ``:= by``, tactic block, term mode?) of one declaration.

    A term proof ``:= t`` becomes the block ``exact t`` (Lean reads ``:= t`` as
    ``:= by exact t``), its later lines indented under ``exact``. Raises ``ScriptError``
    when the declaration has no ``:=``.
    """
    try:
        statement, proof = split_statement(decl)
        return statement, proof, False
    except ScriptError:
        pass
    at = top_level_assign(decl)
    if at < 0:
        raise ScriptError("no ':=' after the statement: the declaration has no proof")
    lines = decl[at + 2 :].strip("\n").split("\n")
    block = " exact " + lines[0].strip() + "".join("\n      " + r for r in lines[1:])
    return decl[:at] + ":= by", block, True
