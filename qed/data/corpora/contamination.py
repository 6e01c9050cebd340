"""Statement normal forms and the contamination check against benchmark statements.

Three levels of sameness between a corpus statement and a benchmark statement:

- ``exact``: the same text once the theorem name, comments, ``:= by``/``sorry`` and
  whitespace are dropped;
- ``normalised``: the same ``canonical`` form, which forgets hypothesis labels, the names of
  variables (renamed by first use in the conclusion, then in the sorted hypotheses) and of
  bound variables, the order of hypotheses and spacing (``x^2`` = ``x ^ 2``);
- ``near``: token 3-gram Jaccard similarity of the canonical forms at or above a threshold
  (``near_threshold``), found through an inverted index so a corpus of 10^5 statements is
  checked against thousands of benchmark statements in seconds.

``ContaminationIndex(benchmark)`` is built once; ``match(statement)`` returns the strongest
``Match`` or ``None``. Standard library only; knows nothing about files or records.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from qed.core.lean_text import blank_comments, top_level_assign, top_level_colon

__all__ = ["ContaminationIndex", "Match", "canonical", "exact_form", "ngrams", "tokens"]

_TOKEN = re.compile(r"[\w'.!?₀-₉]+|:=|->|<->|[^\s\w]", re.UNICODE)
_DECL = re.compile(r"^\s*(?:@\[[^\]]*\]\s*)?(?:theorem|lemma|example)\s*")
_BINDERS = "([{⦃"
_CLOSE = {"(": ")", "[": "]", "{": "}", "⦃": "⦄"}
_QUANT = {"∀", "∃", "∃!", "fun", "λ", "∑", "∏", "⋃", "⋂"}
_BOUND_END = {",", ":", "=>", "↦", "∈", "in", "∉", "<", "≤", ">", "≥", "≠", "∣"}


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _body(statement: str) -> str:
    """The statement without comments, declaration keyword, name, ``:= by`` and ``sorry``."""
    text = blank_comments(statement)
    at = top_level_assign(text)
    if at >= 0:
        text = text[:at]
    m = _DECL.match(text)
    if m:
        text = text[m.end() :]
        if text and text[0] not in _BINDERS + ":":
            text = re.sub(r"^[^\s(\[{⦃:]+", "", text, count=1)  # the theorem's name
    return text.strip()


def exact_form(statement: str) -> str:
    """Text equality up to name, comments, proof placeholder and whitespace."""
    return " ".join(_body(statement).split())


def _groups(body: str) -> tuple[list[str], str]:
    """(binder groups without brackets, conclusion) of a statement body."""
    groups, i, n = [], 0, len(body)
    while i < n:
        while i < n and body[i].isspace():
            i += 1
        if i >= n or body[i] not in _BINDERS:
            break
        close, depth, j = _CLOSE[body[i]], 0, i
        while j < n:
            if body[j] in "([{⦃⟨":
                depth += 1
            elif body[j] in ")]}⦄⟩":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= n or body[j] != close:
            return [], body
        groups.append(body[i + 1 : j])
        i = j + 1
    rest = body[i:].lstrip()
    return groups, rest[1:].strip() if rest.startswith(":") else rest


def _rename_bound(toks: list[str], names: dict[str, str]) -> list[str]:
    """Bound variables of quantifiers/lambdas/big operators renamed ``bK`` by first binding."""
    out, i = [], 0
    local = dict(names)
    while i < len(toks):
        t = toks[i]
        out.append(local.get(t, t))
        if t in _QUANT:
            j = i + 1
            while j < len(toks) and toks[j] not in _BOUND_END and toks[j] not in "()":
                if re.match(r"\w", toks[j]) and toks[j] not in local:
                    local[toks[j]] = f"b{sum(1 for v in local.values() if v.startswith('b'))}"
                out.append(local.get(toks[j], toks[j]))
                j += 1
            i = j
            continue
        i += 1
    return out


def canonical(statement: str) -> str:
    """Hypothesis labels, variable names, hypothesis order and spacing forgotten (see the
    module docstring); falls back to ``exact_form`` when the binders do not parse."""
    body = _body(statement)
    groups, conclusion = _groups(body)
    binders: list[tuple[list[str], list[str]]] = []  # (names, type tokens)
    for g in groups:
        colon = top_level_colon(g)
        if colon < 0:
            binders.append(([], tokens(g)))  # instance binder [Fintype α]
        else:
            binders.append((g[:colon].split(), tokens(g[colon + 1 :])))
    concl = tokens(conclusion)
    used = set(concl)
    for _, typ in binders:
        used.update(typ)
    variables = {n for names, _ in binders for n in names if n in used}
    order: list[str] = []
    for t in concl:
        if t in variables and t not in order:
            order.append(t)
    hyp_types = [typ for names, typ in binders if not any(n in variables for n in names)]
    masked = sorted(hyp_types, key=lambda typ: " ".join("_" if t in variables else t for t in typ))
    for typ in masked + [typ for _, typ in binders]:
        for t in typ:
            if t in variables and t not in order:
                order.append(t)
    for names, _ in binders:
        for n in names:
            if n in variables and n not in order:
                order.append(n)
    rename = {v: f"v{i}" for i, v in enumerate(order)}
    items = []
    for names, typ in binders:
        typ_text = " ".join(_rename_bound(typ, rename))
        kept = [rename[n] for n in names if n in variables]
        if kept:
            items.extend(f"var {v} : {typ_text}" for v in kept)
        elif names or typ:
            items.append(f"hyp {typ_text}")
    return " ; ".join(sorted(items)) + " ⊢ " + " ".join(_rename_bound(concl, rename))


def ngrams(text: str, n: int = 3) -> set[tuple[str, ...]]:
    toks = text.split()
    if len(toks) < n:
        return {tuple(toks)} if toks else set()
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


@dataclass(frozen=True)
class Match:
    """A benchmark statement a corpus statement matches: ``kind`` is ``exact``,
    ``normalised`` or ``near``; ``score`` the 3-gram Jaccard similarity (1.0 for the others)."""

    benchmark: str
    name: str
    kind: str
    score: float


class ContaminationIndex:
    """The statements of one or more benchmarks, indexed for ``match``.

    Statements with the same canonical form (the same problem in miniF2F v1, v2s and v2c) are
    one entry, reported under the first benchmark given. Near matches are found through the
    rarer 3-grams (those in at most 5% of the entries): a candidate must share enough of them to
    possibly reach the threshold, then its exact Jaccard similarity decides.
    """

    def __init__(self, statements: Iterable[tuple[str, str, str]], *, near_threshold: float = 0.8):
        """``statements``: (benchmark, name, statement) triples."""
        self.near_threshold = near_threshold
        self._entries: list[tuple[str, str, frozenset]] = []
        self._exact: dict[str, int] = {}
        self._canon: dict[str, int] = {}
        postings: dict[tuple, list[int]] = {}
        for bench, name, statement in statements:
            canon = canonical(statement)
            i = self._canon.get(canon)
            if i is None:
                i = self._canon[canon] = len(self._entries)
                grams = frozenset(ngrams(canon))
                self._entries.append((bench, name, grams))
                for g in grams:
                    postings.setdefault(g, []).append(i)
            self._exact.setdefault(exact_form(statement), i)
        common = max(4, len(self._entries) // 20)
        self._postings = {g: ids for g, ids in postings.items() if len(ids) <= common}

    def __len__(self) -> int:
        return len(self._entries)

    def _match(self, i: int, kind: str, score: float = 1.0) -> Match:
        bench, name, _ = self._entries[i]
        return Match(bench, name, kind, score)

    def match(self, statement: str, canon: str | None = None) -> Match | None:
        """The strongest match of ``statement`` (exact, then normalised, then near), or None;
        ``canon`` is its ``canonical`` form when the caller has it already."""
        i = self._exact.get(exact_form(statement))
        if i is not None:
            return self._match(i, "exact")
        canon = canon if canon is not None else canonical(statement)
        i = self._canon.get(canon)
        if i is not None:
            return self._match(i, "normalised")
        grams = ngrams(canon)
        if not grams:
            return None
        rare = [g for g in grams if g in self._postings]
        # Jaccard >= t needs |A ∩ B| >= t|A|, so at least t|A| - (|A| - |rare|) shared rare grams
        need = max(1, math.ceil(self.near_threshold * len(grams) - (len(grams) - len(rare))))
        hits: dict[int, int] = {}
        for g in rare:
            for j in self._postings[g]:
                hits[j] = hits.get(j, 0) + 1
        best, best_score = None, 0.0
        for j, h in hits.items():
            if h < need:
                continue
            other = self._entries[j][2]
            score = len(grams & other) / len(grams | other)
            if score > best_score:
                best, best_score = j, score
        if best is not None and best_score >= self.near_threshold:
            return self._match(best, "near", round(best_score, 4))
        return None
