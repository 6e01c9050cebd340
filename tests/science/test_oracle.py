"""The hindsight oracle: path states score their remaining distance, exhausted subtrees are dead,
and best-first with the oracle walks straight to a proof the policy alone misses at that budget."""

from __future__ import annotations

import math

import pytest

from qed.cli.headroom import HeadroomSettings, menu_policy
from qed.core import Theorem, ValueQuery
from qed.env.sandbox.deep_generate import generate_deep
from qed.env.sandbox.env import SandboxEnv
from qed.policy.scripted import FixedPolicy
from qed.search.best_first import SearchSettings, best_first
from qed.search.oracle import OracleEnergies, OracleLabels, OracleValue, hindsight_labels
from qed.search.result import Budget, Node, NodeOutcome, SearchResult, Status

ROWS = [g.row for g in generate_deep(6, seed=0)]
SHORT = [r for r in ROWS if r["family"] == "deep_chain" and r["difficulty"] <= 2]  # 4 and 5 steps


def _thm(row: dict) -> Theorem:
    return Theorem(row["name"], row["formal_statement"], header=row["header"])


def _node(i, parent, outcome, state, order=-1, depth=1):
    return Node(i, parent, f"t{i}", -1.0, 1, depth, -1.0 * depth, depth, state, outcome,
                expansion_order=order)


def test_labels_on_a_hand_built_graph():
    nodes = (
        _node(0, -1, NodeOutcome.ROOT, "r", order=0, depth=0),
        _node(1, 0, NodeOutcome.GOALS, "a", order=1),  # expanded; its only child failed: dead
        _node(2, 0, NodeOutcome.GOALS, "b", order=2),  # on the proof path
        _node(3, 1, NodeOutcome.ERROR, "", depth=2),
        _node(4, 2, NodeOutcome.GOALS, "c", order=3, depth=2),
        _node(5, 4, NodeOutcome.PROVED, "no goals", depth=3),
        _node(6, 0, NodeOutcome.GOALS, "d"),  # never expanded: unknown
    )
    res = SearchResult(Theorem("t", "theorem t : True := by"), Status.PROVED, nodes)
    lab = hindsight_labels(res)
    assert lab.proved and dict(lab.distance) == {"r": 3, "b": 2, "c": 1}
    assert lab.dead == {"a"}
    e = OracleEnergies()
    assert [lab.energy(s, e) for s in ("c", "b", "r", "d", "a")] == [1, 2, 3, e.unknown, e.dead]
    value = OracleValue([lab])
    assert value.score([ValueQuery("c", "r"), ValueQuery("a", "r"), ValueQuery("c", "other root")]) == [
        1.0, e.dead, e.unknown]
    with pytest.raises(ValueError):
        OracleEnergies(unknown=5.0, dead=1.0)


def test_an_exhausted_search_labels_every_state_dead():
    """`left` towards a false disjunct: the only child leads nowhere, so the root is dead too."""
    env = SandboxEnv()
    thm = Theorem("t", "theorem t (x : ℝ) (h₀ : x = 2) : x = 1 ∨ x = 2 := by")
    res = best_first(thm, env=env, policy=FixedPolicy(["left", "norm_num"]), value=None,
                     budget=Budget(max_expansions=50, candidates=2))
    assert not res.proved and res.stop_reason == "exhausted"
    lab = hindsight_labels(res)
    live = {n.state for n in res.nodes if n.is_live}
    assert len(live) >= 2 and lab.dead == live and not lab.distance


def test_oracle_walks_the_found_path_where_the_policy_alone_fails():
    env = SandboxEnv()
    policy = menu_policy(SHORT, HeadroomSettings())  # the measurement's policy: proof steps favoured
    wins = 0
    assert len(SHORT) == 2
    for row in SHORT:
        thm = _thm(row)
        big = best_first(thm, env=env, policy=policy, value=None,
                         budget=Budget(max_expansions=120, candidates=32))
        assert big.proved
        lab = hindsight_labels(big)
        path = big.proof_path()
        dists = [lab.distance[big.nodes[i].state] for i in path[:-1]]
        assert dists[0] <= len(path) - 1 and dists == sorted(dists, reverse=True) and dists[-1] == 1
        budget = Budget(max_expansions=len(path) - 1, candidates=32)
        oracle = best_first(thm, env=env, policy=policy, value=OracleValue([lab]), budget=budget,
                            settings=SearchSettings(alpha=0.5))
        assert oracle.proved and oracle.stats.expansions <= len(path) - 1
        alone = best_first(thm, env=env, policy=policy, value=None, budget=budget)
        wins += not alone.proved
        energies = [n.energy for n in oracle.nodes if n.is_live and not math.isnan(n.energy)]
        assert min(energies) >= 1
    assert wins == 2  # the headroom the benchmark is for


def test_labels_are_keyed_by_root_text():
    lab = OracleLabels(root="r", distance={"r": 2}, dead=frozenset())
    assert OracleValue({"r": lab}).score([ValueQuery("r", "r")]) == [2.0]
