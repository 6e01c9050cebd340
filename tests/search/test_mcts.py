"""MCTS on small golden graphs and on the sandbox: proofs found, budgets kept, energies followed."""

from __future__ import annotations

import pytest

from qed.core import Theorem
from qed.env.check import check_proof
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.generate import generate
from qed.policy.scripted import FixedPolicy
from qed.search.best_first import best_first
from qed.search.mcts import MctsSettings, mcts, mcts_steps
from qed.search.result import Budget

# Two equally likely branches from the root, each a proof three tactics deep.
TWO_BRANCHES = {
    ("root", "left"): ("L1",),
    ("L1", "left"): ("L2",),
    ("L2", "left"): (),
    ("root", "right"): ("R1",),
    ("R1", "right"): ("R2",),
    ("R2", "right"): (),
}
EVEN = FixedPolicy([("left", -0.69), ("right", -0.69)])


def test_finds_the_proof_of_a_golden_graph(kit):
    env = kit.GraphEnv({("A", "a"): ("B",), ("B", "b"): ("C",), ("C", "c"): ()})
    result = mcts(kit.theorem("A"), env=env, policy=FixedPolicy(["x", "a", "b", "c"]), value=None)
    assert result.proved and result.stop_reason == "proved"
    assert result.proof_tactics() == ("a", "b", "c")
    assert dict(result.settings)["algorithm"] == "mcts"


@pytest.mark.parametrize("good", ["left", "right"])
def test_prefers_the_low_energy_branch(kit, good):
    bad = "right" if good == "left" else "left"
    g, b = good[0].upper(), bad[0].upper()
    value = kit.TableValue({f"⊢ {g}1": -2.0, f"⊢ {g}2": -3.0, f"⊢ {b}1": 2.0, f"⊢ {b}2": 3.0})
    env = kit.GraphEnv(TWO_BRANCHES)
    result = mcts(kit.theorem("root"), env=env, policy=EVEN, value=value, budget=Budget(max_expansions=10))
    assert result.proof_tactics() == (good, good, good)
    # the high-energy branch's child was created (scored) but never expanded
    assert not any(goal == f"{b}1" for goal, _ in env.applied)


def test_without_a_value_the_prior_decides(kit):
    env = kit.GraphEnv(TWO_BRANCHES)
    policy = FixedPolicy([("right", -0.1), ("left", -2.5)])
    result = mcts(kit.theorem("root"), env=env, policy=policy, value=None)
    assert result.proof_tactics() == ("right", "right", "right")


def test_respects_the_expansion_budget_and_batches_scores(kit):
    # an endless chain S0 -> S1 -> ... with two tactics per state, one of them failing
    edges = {(f"S{i}", "next"): (f"S{i + 1}",) for i in range(100)}
    env = kit.GraphEnv(edges)
    policy = kit.Recording(FixedPolicy(["next", "fail"]))
    value = kit.TableValue({})
    result = mcts(kit.theorem("S0"), env=env, policy=policy, value=value, budget=Budget(max_expansions=7))
    assert result.status == "failed" and result.stop_reason == "expansions"
    assert result.stats.expansions == 7 == len(policy.calls)
    assert len(env.applied) == 14  # two tactics per expansion
    assert value.calls == [1] + [1] * 7  # the root, then the one live child of each expansion
    assert sum(n.expansion_order >= 0 for n in result.nodes) == 7


def test_max_depth_and_exhaustion(kit):
    edges = {(f"S{i}", "next"): (f"S{i + 1}",) for i in range(100)}
    result = mcts(
        kit.theorem("S0"),
        env=kit.GraphEnv(edges),
        policy=FixedPolicy(["next"]),
        value=None,
        budget=Budget(max_expansions=50, max_depth=3),
    )
    assert result.stop_reason == "exhausted"
    assert result.stats.expansions == 3
    assert max(n.depth for n in result.nodes) == 3


def test_dead_ends_send_search_to_the_other_branch(kit):
    edges = {("A", "a"): ("B",), ("A", "z"): ("Z",), ("Z", "z"): ()}
    # "a" looks far better (prior and energy) but B is a dead end
    policy = FixedPolicy([("a", -0.05), ("z", -3.0)])
    value = kit.TableValue({"⊢ B": -5.0, "⊢ Z": 5.0})
    result = mcts(kit.theorem("A"), env=kit.GraphEnv(edges), policy=policy, value=value)
    assert result.proof_tactics() == ("z", "z")


def test_unsupported_and_crash(kit):
    rejected = mcts(kit.theorem("bad"), env=kit.GraphEnv({}), policy=EVEN, value=None)
    assert rejected.status == "unsupported"
    crashing = kit.CrashOn(kit.GraphEnv(TWO_BRANCHES), step=2)
    result = mcts(kit.theorem("root"), env=crashing, policy=EVEN, value=None)
    assert result.status == "error" and result.stop_reason == "crashed"
    assert len(result.nodes) == 2  # the root and the first child


def test_steps_yield_requests_like_best_first(kit):
    env = kit.GraphEnv(TWO_BRANCHES)
    steps = mcts_steps(kit.theorem("root"), env=env, budget=Budget(), settings=MctsSettings())
    first = next(steps)
    assert type(first).__name__ == "Score" and len(first.queries) == 1
    steps.close()


def test_sandbox_case_split_proof_is_found_and_replays():
    item = next(it for it in generate(20, seed=1, difficulty=2) if "case_split" in it.row["name"])
    row = item.row
    theorem = Theorem(row["name"], row["formal_statement"], header=row["header"])
    tactics = ["linarith", "rcases h₀ with h | h", "nlinarith", "rw [h]", "norm_num"]
    env = SandboxEnv()
    result = mcts(theorem, env=env, policy=FixedPolicy(tactics), value=None, budget=Budget(max_expansions=40))
    assert result.proved, result.stop_reason
    proof = "\n".join("  " + t for t in result.proof_tactics())
    assert check_proof(SandboxEnv(), theorem, "\n" + proof).ok
    same = best_first(
        theorem, env=env, policy=FixedPolicy(tactics), value=None, budget=Budget(max_expansions=40)
    )
    assert same.proved  # both searches agree the theorem is provable with these tactics
