"""Frozen value types shared by every backend, policy, value model and search.

Contracts:
- ``Goal.text`` is Lean's pretty-printed goal: one line per group of consecutive
  hypotheses with the same type (``x y : ℝ``), then ``⊢ target``; a tagged goal opens
  with ``case tag``. ``Goal.parse(goal.text) == goal`` for every goal.
- ``ProofState`` holds the open goals plus an opaque, hashable backend ``handle``;
  equality ignores the handle, so two states with the same goals compare equal.
- ``Outcome`` is closed: ``Goals | Proved | TacticError | TacticTimeout``. A failed
  tactic is a value; infrastructure failure raises ``EnvCrashed``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Union

TURNSTILE = "⊢"
_HYP = re.compile(r"^(.+?) :(?:[ \n]|$)(.*)$", re.DOTALL)


class EnvCrashed(RuntimeError):
    """The environment's infrastructure failed (process died, protocol broken).

    Never raised for a tactic that fails: that is a ``TacticError`` value. Search reports
    a theorem whose env crashed as an infrastructure failure, never as "not proved".
    """


class StatementError(ValueError):
    """A theorem statement the environment cannot accept.

    ``message`` names the problem; ``line``/``column`` (1-based) locate it when known.
    """

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None and column is not None else ""
        super().__init__(f"{message}{where}")


@dataclass(frozen=True)
class Theorem:
    """A statement to prove.

    ``statement`` is the Lean declaration without proof, ending in ``:= by`` (the
    miniF2F ``formal_statement`` field); ``header`` is what goes before it (imports,
    ``open`` lines). ``proof`` is a known tactic proof (generated theorems), if any.
    """

    name: str
    statement: str
    header: str = ""
    split: str = ""
    informal: str | None = None
    goal: str | None = None
    source: str = ""
    proof: str | None = None


@dataclass(frozen=True)
class Hypothesis:
    """One local declaration: ``name : type`` or ``name : type := value``."""

    name: str
    type: str
    value: str | None = None


@dataclass(frozen=True)
class Goal:
    """One open goal: hypotheses in context order, a target, an optional case tag."""

    hypotheses: tuple[Hypothesis, ...]
    target: str
    tag: str | None = None

    @property
    def text(self) -> str:
        """Lean's pretty-printed form (consecutive same-type hypotheses grouped)."""
        lines: list[str] = []
        if self.tag:
            lines.append(f"case {self.tag}")
        group: list[str] = []
        group_type: str | None = None
        for h in self.hypotheses:
            if h.value is None and group and h.type == group_type:
                group.append(h.name)
                continue
            if group:
                lines.append(f"{' '.join(group)} : {group_type}")
                group = []
            if h.value is None:
                group, group_type = [h.name], h.type
            else:
                lines.append(f"{h.name} : {h.type} := {h.value}")
        if group:
            lines.append(f"{' '.join(group)} : {group_type}")
        lines.append(f"{TURNSTILE} {self.target}")
        return "\n".join(lines)

    @classmethod
    def parse(cls, text: str) -> Goal:
        """Parse Lean's pretty-printed goal text (the inverse of ``text``).

        Continuation lines (indented) belong to the entry above them. Raises
        ``ValueError`` when there is no ``⊢`` line.
        """
        entries: list[str] = []
        tag: str | None = None
        for raw in text.strip("\n").split("\n"):
            if not entries and tag is None and raw.startswith("case "):
                tag = raw[5:].strip()
                continue
            if raw[:1].isspace() and entries:
                entries[-1] += "\n" + raw
            else:
                entries.append(raw)
        if not entries or not entries[-1].startswith(TURNSTILE):
            raise ValueError(f"goal text has no '{TURNSTILE}' line: {text!r}")
        hyps: list[Hypothesis] = []
        for entry in entries[:-1]:
            m = _HYP.match(entry)
            if m is None:
                raise ValueError(f"hypothesis line without ' : ': {entry!r}")
            names, rest = m.group(1), m.group(2).strip(" ")
            value = None
            if " := " in rest:
                rest, _, value = rest.partition(" := ")
            for name in names.split():
                hyps.append(Hypothesis(name, rest, value))
        target = entries[-1][len(TURNSTILE) :].strip(" ")
        return cls(tuple(hyps), target, tag)


@dataclass(frozen=True)
class ProofState:
    """The open goals after some tactics; ``handle`` is the backend's opaque id.

    States are immutable: applying a tactic never changes a state, so search can branch
    from any earlier state. A state with no goals is solved.
    """

    goals: tuple[Goal, ...]
    handle: Hashable = field(default=None, compare=False)

    @property
    def is_solved(self) -> bool:
        return not self.goals

    @property
    def text(self) -> str:
        """All goals, blank-line separated, as Lean prints a tactic state."""
        return "\n\n".join(g.text for g in self.goals) if self.goals else "no goals"


@dataclass(frozen=True)
class Goals:
    """The tactic succeeded and goals remain in ``state``."""

    state: ProofState


@dataclass(frozen=True)
class Proved:
    """The tactic succeeded and no goals remain."""

    state: ProofState


@dataclass(frozen=True)
class TacticError:
    """The tactic failed; ``message`` is Lean's (or a Lean-like) error text."""

    message: str


@dataclass(frozen=True)
class TacticTimeout:
    """The tactic ran past its time limit of ``seconds``."""

    seconds: float


Outcome = Union[Goals, Proved, TacticError, TacticTimeout]


@dataclass(frozen=True)
class Candidate:
    """A proposed tactic with its log-probability (sum over tokens) and token count."""

    tactic: str
    logprob: float = 0.0
    n_tokens: int = 0

    @property
    def normalized_logprob(self) -> float:
        return self.logprob / self.n_tokens if self.n_tokens else self.logprob


@dataclass(frozen=True)
class Query:
    """What a policy sees: the theorem (header, statement) and the tactic-state text."""

    theorem: Theorem
    state: str


@dataclass(frozen=True)
class ValueQuery:
    """What a value function scores: a state's text and its theorem's root-goal text."""

    state: str
    root: str
