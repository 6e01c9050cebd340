"""A menu policy: a stand-in for an LLM that knows the plausible moves but not which one is right.

Owns ``MenuPolicy``: each theorem has its own menu of tactics (the deep benchmark's rows
carry one: the proof's tactics, its wrong turns and generic fillers, see
``qed.env.sandbox.deep_generate``); for a query the policy draws ``n`` distinct tactics from
the theorem's menu exactly as ``RandomPolicy`` does (seeded by state, weighted, true
log-probabilities of the stated distribution). With equal weights the policy cannot tell a
proof step from a wrong turn, so any ordering a search finds must come from its value
function: the setting in which a value's headroom is measured (docs/science.md). Knows
nothing about search, environments or models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qed.core import Candidate, Query
from qed.policy.scripted import RandomPolicy


class MenuPolicy:
    """Proposes from the menu of the query's theorem (looked up by ``Theorem.name``).

    ``weights`` (optional, per theorem: tactic -> positive weight, default 1) and
    ``temperature`` shape the distribution as in ``RandomPolicy``; the draw for a query
    depends only on ``(seed, theorem name, state text)``. A theorem without a menu is a
    ``KeyError`` naming it: a menu policy never guesses.
    """

    def __init__(self, menus: Mapping[str, Sequence[str]], *,
                 weights: Mapping[str, Mapping[str, float]] | None = None,
                 temperature: float = 1.0, seed: int = 0):
        empty = [name for name, menu in menus.items() if not menu]
        if empty:
            raise ValueError(f"empty menus for {empty[:3]}")
        self.menus = {name: tuple(dict.fromkeys(menu)) for name, menu in menus.items()}
        self.weights = weights or {}
        self.temperature = temperature
        self.seed = seed
        self._policies: dict[str, RandomPolicy] = {}

    def _policy(self, name: str) -> RandomPolicy:
        policy = self._policies.get(name)
        if policy is None:
            if name not in self.menus:
                raise KeyError(f"MenuPolicy has no menu for theorem {name!r}")
            menu = self.menus[name]
            w = self.weights.get(name, {})
            policy = RandomPolicy(menu, weights=[w.get(t, 1.0) for t in menu],
                                  temperature=self.temperature, seed=self.seed)
            self._policies[name] = policy
        return policy

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        return [self._policy(q.theorem.name).propose([q], n)[0] for q in queries]
