"""Filters over normalised records, and the split by theorem name.

- ``unsound_reason``: the sorry/admit/cheat rule for the whole theorem. A proof that uses
  ``sorry``, ``admit``, ``sorryAx`` or ``cheat`` (comments ignored) is dropped; a preamble
  (lemmas the statement or proof relies on) that does drops the record, and so does an
  ``axiom`` declared in it. ``native_decide`` proofs are dropped too: Lean accepts them only
  through ``Lean.ofReduceBool``, an extra axiom (see docs/data.md).
- ``statement_error``: the statement must read as ``theorem|lemma NAME binders : type := by``
  with balanced brackets (records with only pre-traced steps have no statement to read).
- ``split_of``: a stable split by theorem name (SHA-1 of the name), so a theorem stays in
  its split whatever else the corpus holds.

Pure functions of a record; knows nothing about files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from qed.core.lean_text import blank_comments, top_level_assign, top_level_colon
from qed.data.corpora.record import CorpusRecord

__all__ = ["SPLITS", "drop_unsound_proofs", "split_of", "statement_error", "unsound_reason"]

SPLITS = ("train", "valid", "test")
_UNSOUND = re.compile(r"(?<![\w.])(sorry|admit|sorryAx|cheat|native_decide)(?![\w'])")
_AXIOM = re.compile(r"^\s*axiom\s", re.MULTILINE)
_STATEMENT = re.compile(
    r"^\s*(?:@\[[^\]]*\]\s*)?(?:(?:private|protected|nonrec)\s+)*(theorem|lemma)\s+[^\s:({\[]+"
)


def unsound_reason(text: str) -> str | None:
    """Why ``text`` (a proof or preamble) cannot count as a proof, or None."""
    code = blank_comments(text)
    m = _UNSOUND.search(code)
    if m:
        return f"uses '{m.group(1)}'"
    if _AXIOM.search(code):
        return "declares an axiom"
    return None


def drop_unsound_proofs(record: CorpusRecord) -> tuple[CorpusRecord, list[str]]:
    """The record without its unsound proofs, and the reasons of those dropped."""
    kept, reasons = [], []
    for proof in record.proofs:
        reason = unsound_reason(proof)
        if reason:
            reasons.append(reason)
        elif proof.strip():
            kept.append(proof)
    steps = tuple(s for s in record.steps if not unsound_reason(s.tactic))
    if len(steps) < len(record.steps):
        reasons.append("a pre-traced step uses sorry/admit/cheat")
        steps = ()  # a theorem's steps stand or fall together
    return replace(record, proofs=tuple(kept), steps=steps), reasons


def statement_error(statement: str) -> str | None:
    """Why ``statement`` does not read as a Lean theorem statement ending in ``:= by``, or None."""
    text = blank_comments(statement).strip()
    if not _STATEMENT.match(text):
        return "does not start with 'theorem NAME' or 'lemma NAME'"
    if not text.endswith(":= by"):
        return "does not end with ':= by'"
    depth = 0
    for ch in text:
        if ch in "([{⟨⦃":
            depth += 1
        elif ch in ")]}⟩⦄":
            depth -= 1
            if depth < 0:
                return "unbalanced brackets"
    if depth:
        return "unbalanced brackets"
    at = top_level_assign(text)
    head = text[:at]
    if top_level_colon(head) < 0:
        return "no ':' before the statement's type"
    return None


def split_of(name: str, *, valid: float = 0.05, test: float = 0.05) -> str:
    """``train``/``valid``/``test`` by the SHA-1 of ``name`` (stable across runs and corpora)."""
    u = int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16) / 0x100000000
    return "valid" if u < valid else "test" if u < valid + test else "train"
