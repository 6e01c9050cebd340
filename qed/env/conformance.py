"""The environment conformance suite: the behaviour every ``Env`` backend must show.

Any backend (the sandbox, Pantograph, the community REPL, a user's own) runs through
``run_conformance(env, case)`` with a small ``ConformanceCase`` written in that
backend's language. It raises ``ConformanceError`` naming the first broken rule and
returns the names of the checks that passed. Plain asserts on values; no pytest needed.

Rules checked (docs/architecture.md, "Contracts"):
- start: a fresh state with at least one goal whose text is Lean's pretty-printed goal
  (re-parses to the same goal; matches the expected text after whitespace normalisation);
- apply on each goal index: an unknown tactic fails as a ``TacticError`` value on every
  goal, and an out-of-range index is a ``TacticError``, never an exception;
- failed tactics are values with a non-empty message and leave the state usable;
- branching: two tactics from the same old state both work, in either order, and the old
  state is unchanged (states are immutable);
- determinism: the same input gives the same output;
- a known proof ends in ``Proved`` with no goals left;
- optionally, a malformed statement raises ``StatementError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qed.core import Env, Goal, Goals, Outcome, ProofState, Proved, StatementError, TacticError, Theorem


class ConformanceError(AssertionError):
    """A backend broke a rule of the Env contract; the message names the rule."""


@dataclass(frozen=True)
class ConformanceCase:
    """A theorem and tactics, in the backend's language, that exercise the contract.

    ``step`` and ``branch`` must both succeed on goal 0 of the initial state with
    different results; ``proof`` (applied to goal 0 each time) must prove the theorem.
    ``split`` applied to goal 0 must leave at least two goals (e.g. ``constructor``).
    """

    theorem: Theorem
    initial_goal: str
    step: str
    branch: str
    split: str
    proof: tuple[str, ...]
    bad_tactic: str = "definitely_not_a_tactic"
    bad_statement: Theorem | None = None


def _norm(text: str) -> str:
    return " ".join(text.split())


def _require(cond: bool, rule: str, detail: str) -> None:
    if not cond:
        raise ConformanceError(f"{rule}: {detail}")


def _state_of(outcome: Outcome, rule: str) -> ProofState:
    _require(isinstance(outcome, (Goals, Proved)), rule, f"expected success, got {outcome!r}")
    return outcome.state  # type: ignore[union-attr]


def run_conformance(env: Env, case: ConformanceCase) -> list[str]:
    """Check ``env`` against every rule; return the names of the checks that passed."""
    passed: list[str] = []

    s0 = env.start(case.theorem)
    _require(len(s0.goals) >= 1, "start", "a fresh state must have at least one goal")
    for g in s0.goals:
        _require(Goal.parse(g.text) == g, "goal text", f"goal text does not re-parse to itself: {g.text!r}")
    _require(
        _norm(s0.goals[0].text) == _norm(case.initial_goal),
        "goal text",
        f"initial goal {s0.goals[0].text!r} differs from expected {case.initial_goal!r}",
    )
    passed.append("start")

    bad = env.apply(s0, 0, case.bad_tactic)
    _require(isinstance(bad, TacticError), "failed tactics are values", f"got {bad!r}")
    _require(bool(bad.message.strip()), "failed tactics are values", "empty error message")  # type: ignore[union-attr]
    oob = env.apply(s0, len(s0.goals) + 3, case.step)
    _require(isinstance(oob, TacticError), "goal index", f"out-of-range goal index gave {oob!r}")
    passed.append("failed tactics are values")

    split = _state_of(env.apply(s0, 0, case.split), "split")
    _require(len(split.goals) >= 2, "split", f"'{case.split}' should leave two or more goals")
    for i in range(len(split.goals)):
        r = env.apply(split, i, case.bad_tactic)
        _require(isinstance(r, TacticError), "apply on each goal index", f"goal {i}: got {r!r}")
    passed.append("apply on each goal index")

    first = env.apply(s0, 0, case.step)
    other = env.apply(s0, 0, case.branch)
    again = env.apply(s0, 0, case.step)
    a, b, c = (_state_of(o, "branching") for o in (first, other, again))
    _require(a.goals != b.goals, "branching", "step and branch should give different states")
    _require(a.goals == c.goals and type(first) is type(again), "determinism", "same input, different output")
    fresh = env.start(case.theorem)
    _require(fresh.goals == s0.goals, "determinism", "start is not deterministic")
    _require(
        [g.text for g in s0.goals] == [g.text for g in fresh.goals],
        "immutability",
        "the old state changed after tactics were applied to it",
    )
    passed += ["branching", "determinism", "immutability"]

    state = s0
    outcome: Outcome | None = None
    for tac in case.proof:
        outcome = env.apply(state, 0, tac)
        state = _state_of(outcome, f"proof step '{tac}'")
    _require(isinstance(outcome, Proved) and state.is_solved, "proof", f"proof ended with {outcome!r}")
    passed.append("proof")

    if case.bad_statement is not None:
        try:
            env.start(case.bad_statement)
        except StatementError:
            passed.append("bad statement")
        else:
            raise ConformanceError("bad statement: a malformed statement was accepted")

    env.release([s0, a, b, c, split])
    return passed


# -- check by check, with replies that were never recorded said as such ------------------


@dataclass(frozen=True)
class CheckOutcome:
    """One rule's result: ``passed``, ``failed`` (with why) or ``unrecorded`` (with the request
    whose reply no recording holds)."""

    name: str
    status: str
    detail: str = ""


def run_conformance_checks(
    env: Env, case: ConformanceCase, *, unrecorded: Callable[[BaseException], bool] | None = None
) -> tuple[CheckOutcome, ...]:
    """Every rule of ``run_conformance``, each on its own: one broken or unanswerable rule does
    not hide the others. ``unrecorded(exc)`` tells an exception caused by a reply that was
    never recorded (a replayed backend) from a real failure; such a check is ``unrecorded``,
    never silently skipped."""
    outcomes: list[CheckOutcome] = []

    def run(name: str, check: Callable[[], None]) -> None:
        try:
            check()
        except ConformanceError as exc:
            outcomes.append(CheckOutcome(name, "failed", str(exc)))
        except Exception as exc:  # noqa: BLE001 - each rule reports its own exception
            if unrecorded is not None and unrecorded(exc):
                outcomes.append(CheckOutcome(name, "unrecorded", str(exc)))
            else:
                outcomes.append(CheckOutcome(name, "failed", f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append(CheckOutcome(name, "passed"))

    started: list[ProofState] = []

    def start() -> None:
        s0 = env.start(case.theorem)
        _require(len(s0.goals) >= 1, "start", "a fresh state must have at least one goal")
        for g in s0.goals:
            _require(Goal.parse(g.text) == g, "goal text",
                     f"goal text does not re-parse to itself: {g.text!r}")
        _require(_norm(s0.goals[0].text) == _norm(case.initial_goal), "goal text",
                 f"initial goal {s0.goals[0].text!r} differs from expected {case.initial_goal!r}")
        started.append(s0)

    def s0() -> ProofState:
        if not started:
            raise ConformanceError("needs start, which did not pass")
        return started[0]

    def failed_values() -> None:
        bad = env.apply(s0(), 0, case.bad_tactic)
        _require(isinstance(bad, TacticError), "failed tactics are values", f"got {bad!r}")
        _require(bool(bad.message.strip()), "failed tactics are values", "empty error message")  # type: ignore[union-attr]
        oob = env.apply(s0(), len(s0().goals) + 3, case.step)
        _require(isinstance(oob, TacticError), "goal index", f"out-of-range goal index gave {oob!r}")

    def each_goal() -> None:
        split = _state_of(env.apply(s0(), 0, case.split), "split")
        _require(len(split.goals) >= 2, "split", f"'{case.split}' should leave two or more goals")
        for i in range(len(split.goals)):
            r = env.apply(split, i, case.bad_tactic)
            _require(isinstance(r, TacticError), "apply on each goal index", f"goal {i}: got {r!r}")

    def branching() -> None:
        first, other = env.apply(s0(), 0, case.step), env.apply(s0(), 0, case.branch)
        a, b = _state_of(first, "branching"), _state_of(other, "branching")
        _require(a.goals != b.goals, "branching", "step and branch should give different states")

    def determinism() -> None:
        first, again = env.apply(s0(), 0, case.step), env.apply(s0(), 0, case.step)
        a, c = _state_of(first, "determinism"), _state_of(again, "determinism")
        _require(a.goals == c.goals and type(first) is type(again), "determinism",
                 "same input, different output")
        fresh = env.start(case.theorem)
        _require(fresh.goals == s0().goals, "determinism", "start is not deterministic")

    def immutability() -> None:
        before = [g.text for g in s0().goals]
        env.apply(s0(), 0, case.step)
        again = [g.text for g in env.start(case.theorem).goals]
        _require([g.text for g in s0().goals] == before and again == before, "immutability",
                 "the old state changed after tactics were applied to it")

    def proof() -> None:
        state, outcome = s0(), None
        for tac in case.proof:
            outcome = env.apply(state, 0, tac)
            state = _state_of(outcome, f"proof step '{tac}'")
        _require(isinstance(outcome, Proved) and state.is_solved, "proof", f"proof ended with {outcome!r}")

    def bad_statement() -> None:
        assert case.bad_statement is not None
        try:
            env.start(case.bad_statement)
        except StatementError as exc:
            if unrecorded is not None and unrecorded(exc):
                raise
            return
        raise ConformanceError("bad statement: a malformed statement was accepted")

    run("start", start)
    run("failed tactics are values", failed_values)
    run("apply on each goal index", each_goal)
    run("branching", branching)
    run("determinism", determinism)
    run("immutability", immutability)
    run("proof", proof)
    if case.bad_statement is not None:
        run("bad statement", bad_statement)
    return tuple(outcomes)


LEAN_HEADER = "import Mathlib\n\nopen Real\n"

# The case the conformance suite runs on a real Lean backend with Mathlib (``qed lean record``
# records it; ``tests/lean/test_real_lean.py`` runs it with ``-m lean``).
LEAN_CASE = ConformanceCase(
    theorem=Theorem("conf_and", "theorem conf_and (a b : ℕ) (h₀ : a = 1) (h₁ : b = 2) : a < b ∧ b = 2 := by",
                    header=LEAN_HEADER),
    initial_goal="a b : ℕ\nh₀ : a = 1\nh₁ : b = 2\n⊢ a < b ∧ b = 2",
    step="subst h₀",
    branch="subst h₁",
    split="constructor",
    proof=("constructor", "omega", "exact h₁"),
    bad_statement=Theorem("conf_bad", "theorem conf_bad (a : ℕ) : a < := by", header=LEAN_HEADER),
)
