"""Which statements of a benchmark the sandbox accepts, why it rejects the others, and how
many of its printed initial goals match the goals Lean recorded.

Owns ``coverage`` and the frozen ``CoverageReport``/``Rejection``. Each theorem's statement
goes through ``parse.parse_statement``; a rejection is grouped by the category the parser
attached (``"type Equiv"``, ``"set image/preimage"``, ``"order on ℂ"``, …; plain syntax or
typing errors fall under ``"error: <message>"``; an unexpected exception in the parser is
reported as ``"sandbox internal error: <exception>"`` instead of stopping the report). For
accepted theorems with a recorded ``goal`` (``Theorem.goal``, e.g. merged from
``minif2f_v1_goals.jsonl``), the printed goal is compared with it after collapsing runs of
whitespace.

Does not read files (callers load the benchmark) and knows nothing about tactics.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qed.core import StatementError, Theorem
from qed.env.sandbox.lexer import ParseError
from qed.env.sandbox.parse import parse_statement
from qed.env.sandbox.printer import print_goal

__all__ = ["CoverageReport", "Rejection", "category_of", "coverage", "normalize_ws"]


@dataclass(frozen=True)
class Rejection:
    """Theorems rejected for one reason: ``names`` in input order, ``example`` one message."""

    category: str
    names: tuple[str, ...]
    example: str


@dataclass(frozen=True)
class CoverageReport:
    """Accepted names, rejections grouped by category (largest group first), goal matches.

    ``compared`` counts accepted theorems that carry a recorded goal; ``matched`` those
    whose printed goal equals it up to whitespace; ``mismatched`` names the others.
    """

    total: int
    accepted: tuple[str, ...]
    rejected: tuple[Rejection, ...]
    compared: int
    matched: int
    mismatched: tuple[str, ...]

    def summary(self) -> str:
        """A short human-readable report (one line per rejection category)."""
        lines = [
            f"accepted {len(self.accepted)}/{self.total}; printed goal matches Lean's for "
            f"{self.matched}/{self.compared} accepted statements with a recorded goal",
        ]
        for r in self.rejected:
            lines.append(f"  {len(r.names):4d}  {r.category}  (e.g. {r.names[0]}: {r.example})")
        return "\n".join(lines)


def normalize_ws(text: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return " ".join(text.split())


def category_of(err: StatementError) -> str:
    """The short reason an error falls under (the parser's category, else the message)."""
    cause = err.__cause__
    if isinstance(cause, ParseError) and cause.category:
        return cause.category
    return f"error: {err.message}"


def coverage(theorems: Iterable[Theorem]) -> CoverageReport:
    """Run the sandbox's parser over ``theorems``; never raises for a bad statement."""
    total = 0
    accepted: list[str] = []
    groups: dict[str, list[str]] = {}
    examples: dict[str, str] = {}
    compared = matched = 0
    mismatched: list[str] = []
    for thm in theorems:
        total += 1
        try:
            _, goal = parse_statement(thm.statement)
        except StatementError as err:
            cat = category_of(err)
            groups.setdefault(cat, []).append(thm.name)
            examples.setdefault(cat, str(err))
            continue
        except Exception as err:  # noqa: BLE001 - a parser bug must not stop the report
            cat = f"sandbox internal error: {type(err).__name__}"
            groups.setdefault(cat, []).append(thm.name)
            examples.setdefault(cat, f"{type(err).__name__}: {err}")
            continue
        accepted.append(thm.name)
        if thm.goal is None:
            continue
        compared += 1
        if normalize_ws(print_goal(goal).text) == normalize_ws(thm.goal):
            matched += 1
        else:
            mismatched.append(thm.name)
    rejected = tuple(
        Rejection(cat, tuple(names), examples[cat])
        for cat, names in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )
    return CoverageReport(total, tuple(accepted), rejected, compared, matched, tuple(mismatched))
