"""Tactic syntax: split a tactic text into a tree of combinators and atomic tactics.

Owns the layout rules of Lean 4 tactic blocks as far as one ``Env.apply`` text needs them:
``t1; t2`` and newline-separated sequences (a line indented deeper than its tactic's
first line continues that tactic), ``t1 <;> t2``, ``(t1; t2)``, ``try t``, ``first | t1 |
t2``, ``all_goals t``, ``any_goals t``, ``repeat t``, ``· t`` (focus), ``--`` comments.
As in Lean, ``by``, ``try``, ``first``, ``all_goals``, ``any_goals``, ``repeat`` and
``·`` take a whole tactic sequence, so a ``;`` after them belongs to them.

An atomic tactic is its name and its raw argument text; the argument text keeps the
columns of the original (the start of the line is blanked, not cut) so that a nested
``by`` block is laid out exactly as written. Argument parsing belongs to ``args.py``
and the tactics; this module knows only tactic names (to report ``unknown tactic``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Union

from qed.env.check import blank_comments as strip_comments
from qed.env.sandbox.tactics.core import TacticFailure

KNOWN_TACTICS = frozenset(
    """intro intros rintro constructor exact assumption left right cases cases' rcases obtain
    use exists refine have rw rewrite rwa subst norm_num simp simp_all simp_arith field_simp ring ring_nf
    linarith nlinarith positivity omega decide by_contra by_contra! push_neg exfalso contradiction
    interval_cases skip done rfl trivial show specialize apply symm exact_mod_cast norm_num1
    by_cases nlinarith! linarith! clear refine' induction induction' revert contrapose contrapose!
    calc conv conv_lhs conv_rhs rename_i suffices replace
    simpa exact? apply? aesop rw? hint polyrith split_ifs split iterate sorry admit
    apply_fun norm_cast push_cast exact_mod_cast linear_combination gcongr positivity
    native_decide assumption_mod_cast zify qify""".split()
)
# Tactics Lean has that never belong in a proof the sandbox accepts: search tactics whose
# output is not a replayable proof, and escape hatches. ``engine`` rejects them by name.
REJECTED_TACTICS = {
    "exact?": "'exact?' is a search command: it suggests a proof but is not one; write the term it finds",
    "apply?": "'apply?' is a search command: it suggests a proof but is not one; write the lemma it finds",
    "rw?": "'rw?' is a search command: write the rewrite it finds",
    "hint": "'hint' is a search command: write the tactic it suggests",
    "aesop": "the sandbox does not run 'aesop' (a proof search whose steps it cannot replay as Lean does)",
    "polyrith": "'polyrith' calls an external service; write the 'linear_combination' it prints",
    "sorry": "'sorry' is not a proof",
    "admit": "'admit' is not a proof",
    "native_decide": "'native_decide' trusts compiled code; the sandbox accepts only kernel-checkable steps",
}
COMBINATORS = ("try", "first", "all_goals", "any_goals", "repeat", "focus")
_ABSORBING = frozenset(COMBINATORS) | {"by"}
OPEN = "([{⟨"
CLOSE = ")]}⟩"


@dataclass(frozen=True)
class Atom:
    """One tactic: ``name`` and its argument text (columns preserved); ``pos`` = offset."""

    name: str
    args: str
    pos: int


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Then:
    """``first <;> rest``: run ``rest`` on every goal ``first`` produces."""

    first: Node
    rest: Node


@dataclass(frozen=True)
class Comb:
    """``kind body`` for ``try``, ``all_goals``, ``any_goals``, ``repeat``, ``focus``/``·``."""

    kind: str
    body: Node


@dataclass(frozen=True)
class First:
    alts: tuple[Node, ...]


@dataclass(frozen=True)
class Case:
    """``case tag x y => tacs`` (``tag`` None for ``next x y => tacs``): pick the goal by its
    tag (the first goal for ``next`` or tag ``_``), name its inaccessible variables ``x y``
    (as ``rename_i``), run ``body`` on it; it must close that goal."""

    tag: str | None
    names: tuple[str, ...]
    body: Node


Node = Union[Atom, Seq, Then, Comb, First, Case]


def is_ident_char(c: str) -> bool:
    return c.isalnum() or c in "_'!?." or "\u2080" <= c <= "\u209c" or c in "ᵢᵣᵤᵥₐₑₒₓ"


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1)
    return f"line {line}, column {col}"


def column(text: str, pos: int) -> int:
    return pos - (text.rfind("\n", 0, pos) + 1)


def padded(text: str, lo: int, hi: int, col: int | None = None) -> str:
    """``text[lo:hi]`` with the part of ``lo``'s line before it blanked (columns kept).

    Columns matter only relative to later lines, so a one-line piece is returned as it is
    (no padding: a long one-line tactic sequence stays linear in memory). ``col`` is
    ``lo``'s column when the caller knows it."""
    piece = text[lo:hi]
    if "\n" not in piece:
        return piece
    return " " * (column(text, lo) if col is None else col) + piece


def _word_at(text: str, i: int) -> str:
    """The identifier starting at ``i`` if ``i`` is at a word boundary, else ``""``."""
    if i > 0 and is_ident_char(text[i - 1]):
        return ""
    j = i
    while j < len(text) and is_ident_char(text[j]):
        j += 1
    return text[i:j]


def continues(text: str, start: int, nl: int, nxt: int) -> bool:
    """Whether the line starting at ``nxt`` continues the tactic that starts at ``start``
    although it is not indented deeper: Lean reads on after a trailing ``<;>`` and before a
    leading ``<;>``, and takes ``| alt`` lines as alternatives of the tactic above
    (``induction n with``, ``first``, ``rcases … with``)."""
    if text.startswith("<;>", nxt) or text[nxt] == "|":
        return True
    end = nl
    while end > start and text[end - 1] in " \t\r":
        end -= 1
    return end - start >= 3 and text.startswith("<;>", end - 3)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self._newlines = [i for i, c in enumerate(text) if c == "\n"]

    def col(self, pos: int) -> int:
        """Column of ``pos`` in O(log lines) (``column`` scans back to the line start)."""
        k = bisect.bisect_left(self._newlines, pos)
        return pos - (self._newlines[k - 1] + 1 if k else 0)

    def fail(self, msg: str, pos: int) -> TacticFailure:
        return TacticFailure(f"{msg} ({_where(self.text, pos)})")

    def skip_ws(self, i: int, hi: int) -> int:
        while i < hi and self.text[i] in " \t\r\n;":
            i += 1
        return i

    def item_end(self, start: int, hi: int) -> int:
        """End of the sequence item starting at ``start`` (exclusive)."""
        t = self.text
        base = self.col(start)
        depth = 0
        absorbing = _word_at(t, start) in _ABSORBING or t[start] in "·."
        i = start
        while i < hi:
            c = t[i]
            if c in OPEN:
                depth += 1
            elif c in CLOSE:
                depth -= 1
                if depth < 0:
                    raise self.fail(f"unexpected '{c}'", i)
            elif depth == 0:
                if c == "\n":
                    j = i + 1
                    while j < hi and t[j] in " \t\r\n":
                        if t[j] == "\n":
                            i = j
                        j += 1
                    if j >= hi:
                        return i
                    if self.col(j) <= base and not continues(t, start, i, j):
                        return i
                elif c == ";" and not absorbing and not (t[i - 1: i] == "<" and t[i + 1: i + 2] == ">"):
                    return i
                elif c.isalpha() and _word_at(t, i) in _ABSORBING:
                    absorbing = True
                elif c == "=" and t[i + 1: i + 2] == ">":
                    absorbing = True  # ``=> tacs`` of an alternative takes a whole sequence
            i += 1
        if depth > 0:
            raise self.fail("unexpected end of input; expected a closing bracket", hi)
        return hi

    def seq(self, lo: int, hi: int) -> Node:
        items: list[Node] = []
        i = self.skip_ws(lo, hi)
        while i < hi:
            end = self.item_end(i, hi)
            items.append(self.item(i, end))
            i = self.skip_ws(end, hi)
        if not items:
            raise self.fail("expected a tactic", lo)
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def item(self, lo: int, hi: int) -> Node:
        t = self.text
        while hi > lo and t[hi - 1] in " \t\r\n":
            hi -= 1
        while lo < hi and t[lo] in " \t\r\n":
            lo += 1
        if lo >= hi:
            raise self.fail("expected a tactic", lo)
        word = _word_at(t, lo)
        if t[lo] in "·" or (t[lo] == "." and t[lo + 1: lo + 2] in (" ", "\n")):
            return Comb("focus", self.seq(lo + 1, hi))
        if t[lo] == "{" and self.matching(lo, hi) == hi - 1:
            return Comb("focus", self.seq(lo + 1, hi - 1))
        if word in ("case", "case'", "next"):
            return self.case(word, lo, hi)
        if word in ("try", "all_goals", "any_goals", "repeat", "focus"):
            return Comb(word, self.seq(lo + len(word), hi))
        if word == "first":
            return First(tuple(self.seq(a, b) for a, b in self.alternatives(lo + len(word), hi)))
        k = self.find_then(lo, hi)
        if k is not None:
            # ``a <;> b <;> c``: segments found left to right in one pass (a long chain
            # stays linear), nested ``Then(a, Then(b, c))`` as the recursive reading gives
            cuts = [k]
            while (nxt := self.find_then(cuts[-1] + 3, hi)) is not None:
                cuts.append(nxt)
            node = self.item(cuts[-1] + 3, hi)
            for a, b in reversed(list(zip([lo] + [c + 3 for c in cuts[:-1]], cuts, strict=True))):
                node = Then(self.item(a, b), node)
            return node
        if t[lo] == "(" and self.matching(lo, hi) == hi - 1:
            return self.seq(lo + 1, hi - 1)
        if not word:
            raise self.fail(f"unknown tactic starting with '{t[lo]}'", lo)
        name = word.rstrip(".")
        if name not in KNOWN_TACTICS:
            raise self.fail(f"unknown tactic '{name}'", lo)
        return Atom(name, padded(t, lo + len(name), hi, self.col(lo + len(name))), lo)

    def case(self, word: str, lo: int, hi: int) -> Case:
        """``case tag x y => tacs`` / ``next x y => tacs``."""
        t = self.text
        arrow = t.find("=>", lo, hi)
        if arrow < 0:
            raise self.fail(f"expected '=>' after '{word}'", lo)
        head = t[lo + len(word): arrow].split()
        if word == "next":
            tag = None
        else:
            if not head:
                raise self.fail("expected a goal tag after 'case'", lo)
            tag, head = head[0], head[1:]
        return Case(tag, tuple(head), self.seq(arrow + 2, hi))

    def matching(self, lo: int, hi: int) -> int:
        depth = 0
        for i in range(lo, hi):
            if self.text[i] in OPEN:
                depth += 1
            elif self.text[i] in CLOSE:
                depth -= 1
                if depth == 0:
                    return i
        return -1

    def find_then(self, lo: int, hi: int) -> int | None:
        """The first ``<;>`` at depth 0 before any sequence-absorbing keyword."""
        t = self.text
        depth = 0
        i = lo
        while i < hi:
            c = t[i]
            if c in OPEN:
                depth += 1
            elif c in CLOSE:
                depth -= 1
            elif depth == 0:
                if t.startswith("<;>", i):
                    return i
                if c.isalpha() and _word_at(t, i) in _ABSORBING:
                    return None
            i += 1
        return None

    def alternatives(self, lo: int, hi: int) -> list[tuple[int, int]]:
        """Split ``| t1 | t2`` at depth-0 bars that stand alone between spaces."""
        t = self.text
        bars = []
        depth = 0
        for i in range(lo, hi):
            c = t[i]
            if c in OPEN:
                depth += 1
            elif c in CLOSE:
                depth -= 1
            elif c == "|" and depth == 0:
                before = t[i - 1] if i > lo else " "
                after = t[i + 1] if i + 1 < hi else " "
                if before in " \t\n" and after in " \t\n":
                    bars.append(i)
        if not bars or t[lo:bars[0]].strip():
            raise self.fail("expected '|' after 'first'", lo)
        bounds = bars + [hi]
        return [(bounds[k] + 1, bounds[k + 1]) for k in range(len(bars))]


def parse_tactic(text: str) -> Node:
    """Parse a tactic text into a ``Node``; ``TacticFailure`` names a syntax problem and
    its position (``unknown tactic 'foo' (line 1, column 0)``)."""
    clean = strip_comments(text)
    return _Parser(clean).seq(0, len(clean))
