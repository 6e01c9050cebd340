"""``SandboxEnv``: the sandbox as a ``qed.core.Env`` (pure Python, deterministic, no process).

Contract (``qed.core.protocols.Env``):
- ``start(theorem)`` parses ``theorem.statement`` (``parse_statement``; ``StatementError``
  propagates). A state's ``handle`` is the tuple of its ``SGoal`` values (immutable and
  hashable); its goals are ``print_goal`` of each, Lean's pretty-printed text.
- ``apply(state, goal_index, tactic)`` runs ``tactic`` on that goal alone; the new state's
  goals are the goals it produced followed by the state's other goals in order. No goals
  left: ``Proved``. A failing tactic, an unknown tactic, a bad goal index or a state that
  did not come from a ``SandboxEnv``: ``TacticError`` with a Lean-like message. Past
  ``tactic_timeout_s``: ``TacticTimeout``. An unexpected exception inside the sandbox is
  reported as ``TacticError("sandbox internal error: …")`` so search never crashes on it.
- ``release`` does nothing (states are plain values).

Same input, same output: no randomness, fresh names are chosen deterministically.
Printing is memoised per ``SGoal`` and parsing per tactic text (both bounded).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from qed.core import Goal, Goals, Outcome, ProofState, Proved, TacticError, TacticTimeout, Theorem
from qed.env.sandbox.arith import ArithTimeout
from qed.env.sandbox.ast import SGoal
from qed.env.sandbox.parse import parse_prop, parse_statement
from qed.env.sandbox.printer import print_goal
from qed.env.sandbox.tactics.core import Ctx, TacticDeadline, TacticFailure, separate_shadowed
from qed.env.sandbox.tactics.engine import Engine
from qed.env.sandbox.tactics.lemmas import LemmaTable

PRINT_CACHE_SIZE = 50_000


class SandboxEnv:
    """The built-in sound prover for competition arithmetic, behind the ``Env`` protocol."""

    def __init__(self, tactic_timeout_s: float = 5.0):
        if not tactic_timeout_s > 0:
            raise ValueError(f"tactic_timeout_s must be positive, got {tactic_timeout_s!r}")
        self.tactic_timeout_s = float(tactic_timeout_s)
        self._engine = Engine()
        self._lemmas = LemmaTable(parse_prop)
        self._printed: dict[SGoal, Goal] = {}

    # ---- Env protocol -----------------------------------------------------------------

    def start(self, theorem: Theorem) -> ProofState:
        _, goal = parse_statement(theorem.statement)
        goal = separate_shadowed(goal)
        return self._state((goal,))

    def apply(self, state: ProofState, goal_index: int, tactic: str) -> Outcome:
        handle = state.handle
        if not _is_handle(handle) or len(handle) != len(state.goals):
            return TacticError("this state was not produced by a SandboxEnv (no sandbox handle)")
        if not isinstance(goal_index, int) or not 0 <= goal_index < len(handle):
            return TacticError(f"invalid goal index {goal_index}: the state has {len(handle)} goal(s)")
        if not isinstance(tactic, str) or not tactic.strip():
            return TacticError("empty tactic")
        deadline = time.monotonic() + self.tactic_timeout_s
        ctx = self._ctx(deadline)
        try:
            produced = self._engine.run_text(tactic, (handle[goal_index],), ctx)
        except TacticFailure as e:
            return TacticError(e.message)
        except (TacticDeadline, ArithTimeout):
            return TacticTimeout(self.tactic_timeout_s)
        except RecursionError:
            return TacticError("maximum recursion depth reached: the term or tactic is nested too deeply")
        except Exception as e:  # noqa: BLE001 - a sandbox bug must not crash search
            return TacticError(f"sandbox internal error: {type(e).__name__}: {e}")
        if time.monotonic() > deadline:
            return TacticTimeout(self.tactic_timeout_s)
        new = tuple(produced) + handle[:goal_index] + handle[goal_index + 1:]
        if not new:
            return Proved(ProofState((), handle=()))
        return Goals(self._state(new))

    def release(self, states: Sequence[ProofState]) -> None:
        """Nothing to free: states are immutable values."""

    # ---- helpers ----------------------------------------------------------------------

    def goal_text(self, goal: SGoal) -> str:
        return self._print(goal).text

    def _print(self, goal: SGoal) -> Goal:
        printed = self._printed.get(goal)
        if printed is None:
            printed = print_goal(goal)
            if len(self._printed) >= PRINT_CACHE_SIZE:
                self._printed.clear()
            self._printed[goal] = printed
        return printed

    def _state(self, goals: tuple[SGoal, ...]) -> ProofState:
        return ProofState(tuple(self._print(g) for g in goals), handle=goals)

    def _ctx(self, deadline: float) -> Ctx:
        def run_block(goal: SGoal, text: str) -> tuple[SGoal, ...]:
            return self._engine.run_text(text, (goal,), ctx)

        ctx = Ctx(deadline=deadline, run_block=run_block, lemmas=self._lemmas, show_goal=self.goal_text)
        return ctx


def _is_handle(handle: object) -> bool:
    return isinstance(handle, tuple) and all(isinstance(g, SGoal) for g in handle)
