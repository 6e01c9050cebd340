"""Scripted policies: fixed tactic tables and seeded random sampling, for tests and baselines.

Owns ``FixedPolicy`` (an ordered tactic list, optionally overridden per goal pattern),
``RandomPolicy`` (a seeded draw without replacement from a weighted tactic list) and
``SANDBOX_TACTICS``, a default list that suits the sandbox and miniF2F-style arithmetic.
Both are real ``qed.core.Policy`` implementations: deterministic, batched, with
log-probabilities that are true log-probabilities of a stated distribution. Knows nothing
about models, prompts, environments or search.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qed.core import Candidate, Query

SANDBOX_TACTICS: tuple[str, ...] = (
    "norm_num",
    "linarith",
    "nlinarith",
    "omega",
    "simp",
    "ring_nf",
    "norm_num at *",
    "decide",
    "simp_all",
    "constructor",
    "intro h",
    "positivity",
    "field_simp",
    "nlinarith [sq_nonneg (x - y), sq_nonneg (x + y), sq_nonneg (x - 1), sq_nonneg (y - 1)]",
    "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]",
    "interval_cases n",
    "linarith [sq_nonneg (x - 1), sq_nonneg (x + 1)]",
    "interval_cases x",
    "rfl",
    "simp at *",
    "ring",
    "intro x",
    "left",
    "right",
    "push_neg",
    "assumption",
    "by_contra h",
)
"""Tactics in the order a fixed policy tries them. Some fail on most goals (``exact h`` needs an
``h``; unknown tactics are errors): a scripted baseline is meant to be crude."""


def rank_logprobs(count: int, decay: float = 0.8) -> list[float]:
    """Log-probabilities of a geometric distribution over ``count`` ranks (rank 0 likeliest)."""
    if count <= 0:
        return []
    weights = [decay**i for i in range(count)]
    total = sum(weights)
    return [math.log(w / total) for w in weights]


Item = str | tuple[str, float]
"""A tactic, or a tactic with its log-probability."""


@dataclass(frozen=True)
class Rule:
    """When the query's state matches ``pattern`` (a regex, searched), offer ``tactics`` first."""

    pattern: str
    tactics: tuple[Item, ...]


class FixedPolicy:
    """Proposes the first ``n`` tactics of a fixed list, best first.

    ``tactics`` is the default list; ``rules`` (checked in order) put their tactics in front
    of it when their pattern matches the state text (a tactic listed twice keeps its first
    place). An item is a tactic or a ``(tactic, logprob)`` pair; a bare tactic gets the
    log-probability of its rank under a geometric distribution (``decay`` per rank) over the
    list offered for that state. Candidates are sorted by log-probability (stable), and report
    one token per whitespace-separated word.
    """

    def __init__(
        self, tactics: Sequence[Item] = SANDBOX_TACTICS, *, rules: Sequence[Rule] = (), decay: float = 0.8
    ):
        if not tactics and not rules:
            raise ValueError("FixedPolicy needs at least one tactic")
        if not 0 < decay <= 1:
            raise ValueError(f"decay must be in (0, 1], got {decay}")
        self.tactics = tuple(tactics)
        self.rules = tuple((re.compile(r.pattern), tuple(r.tactics)) for r in rules)
        self.decay = decay

    def _ordered(self, state: str) -> list[tuple[str, float | None]]:
        items: list[Item] = []
        for pattern, tactics in self.rules:
            if pattern.search(state):
                items.extend(tactics)
        items.extend(self.tactics)
        out: dict[str, float | None] = {}
        for item in items:
            tactic, lp = (item, None) if isinstance(item, str) else item
            out.setdefault(tactic, lp)
        return list(out.items())

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        out = []
        for q in queries:
            order = self._ordered(q.state)
            ranks = rank_logprobs(len(order), self.decay)
            scored = [(t, r if lp is None else lp) for (t, lp), r in zip(order, ranks, strict=True)]
            scored.sort(key=lambda p: -p[1])
            out.append([Candidate(t, lp, len(t.split())) for t, lp in scored[:n]])
        return out


class RandomPolicy:
    """Samples ``n`` distinct tactics per query from a weighted list, seeded per state.

    The distribution is ``weights ** (1 / temperature)``, normalised; each candidate's
    log-probability is its log-probability under that distribution. The draw for a query
    depends only on ``(seed, theorem name, state text)``, so a search is reproducible
    whatever the batching. Candidates come best first (highest log-probability).
    """

    def __init__(
        self,
        tactics: Sequence[str] = SANDBOX_TACTICS,
        *,
        weights: Sequence[float] | None = None,
        temperature: float = 1.0,
        seed: int = 0,
    ):
        if not tactics:
            raise ValueError("RandomPolicy needs at least one tactic")
        weights = list(weights) if weights is not None else [0.8**i for i in range(len(tactics))]
        if len(weights) != len(tactics) or any(not w > 0 for w in weights):
            raise ValueError("RandomPolicy needs one positive weight per tactic")
        if not temperature > 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        tempered = [w ** (1.0 / temperature) for w in weights]
        total = sum(tempered)
        self.tactics = tuple(tactics)
        self.probs = tuple(w / total for w in tempered)
        self.temperature = temperature
        self.seed = seed

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        out = []
        for q in queries:
            key = hashlib.sha256(f"{self.seed}\x00{q.theorem.name}\x00{q.state}".encode()).digest()
            rng = random.Random(int.from_bytes(key[:8], "big"))
            # Efraimidis-Spirakis: a weighted draw without replacement = top-n of u^(1/p).
            keyed = sorted(
                ((rng.random() ** (1.0 / p), t, p) for t, p in zip(self.tactics, self.probs, strict=True)),
                reverse=True,
            )[:n]
            chosen = sorted(keyed, key=lambda k: -k[2])
            out.append([Candidate(t, math.log(p), len(t.split())) for _, t, p in chosen])
        return out
