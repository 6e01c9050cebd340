"""What best-first and MCTS share through ``qed.search.scaffold``: one clock, one set of rules."""

from __future__ import annotations

import itertools

import pytest

from qed.policy.scripted import FixedPolicy
from qed.search.best_first import SearchSettings
from qed.search.mcts import MctsSettings
from qed.search.result import Budget, NodeOutcome, SearchResult, Status, StopReason
from qed.search.scaffold import run_steps

EDGES = {("A", "a"): ("B",), ("B", "b"): ("C",), ("C", "c"): ()}
ALGORITHMS = [SearchSettings(), MctsSettings()]
IDS = ["best_first", "mcts"]


def _ticking():
    """A clock that advances one second per reading, so every timed span is positive."""
    ticks = itertools.count()
    return lambda: float(next(ticks))


@pytest.mark.parametrize("algo", ALGORITHMS, ids=IDS)
def test_every_node_records_the_seconds_of_the_application_that_made_it(kit, algo):
    from qed.search.best_first import search_steps
    from qed.search.mcts import mcts_steps

    make = search_steps if isinstance(algo, SearchSettings) else mcts_steps
    env = kit.GraphEnv(EDGES)
    steps = make(kit.theorem("A"), env=env, budget=Budget(max_seconds=1e9), settings=algo, scored=False,
                 now=_ticking())
    result = run_steps(steps, FixedPolicy(["x", "a", "b", "c"]), None)
    assert result.status is Status.PROVED and result.stop_reason is StopReason.PROVED
    children = result.nodes[1:]
    assert children and all(n.env_seconds > 0 for n in children)
    start = 1.0  # the env.start call: one tick
    assert result.stats.env_seconds == pytest.approx(sum(n.env_seconds for n in result.nodes) + start)
    assert result.stats.env_calls == len(children) + 1
    assert all(isinstance(n.outcome, NodeOutcome) for n in result.nodes)


@pytest.mark.parametrize("algo", ALGORITHMS, ids=IDS)
def test_rejection_crash_and_release_follow_the_same_rules(kit, algo):
    rejected = run_steps(algo.steps(kit.theorem("bad"), env=kit.GraphEnv(EDGES), budget=Budget(),
                                    scored=False), FixedPolicy(["a"]), None)
    assert rejected.status is Status.UNSUPPORTED and rejected.stop_reason is StopReason.REJECTED
    crashing = kit.CrashOn(kit.GraphEnv(EDGES), step=2)
    crashed = run_steps(algo.steps(kit.theorem("A"), env=crashing, budget=Budget(), scored=False),
                        FixedPolicy(["a", "b", "c"]), None)
    assert crashed.status is Status.ERROR and "REPL process died" in crashed.message
    assert crashing.inner.released == 0  # a crashed env is not asked to release
    env = kit.GraphEnv(EDGES)
    steps = algo.steps(kit.theorem("A"), env=env, budget=Budget(), scored=False)
    run_steps(steps, FixedPolicy(["a", "b", "c"]), None)
    assert env.released > 0


def test_status_and_outcome_are_closed(kit):
    with pytest.raises(ValueError):
        SearchResult(kit.theorem("A"), "maybe", ())
    result = SearchResult(kit.theorem("A"), "failed", ())
    assert result.status is Status.FAILED and result.status == "failed"
