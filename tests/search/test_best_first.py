"""Best-first search on small golden graphs and on the sandbox."""

from __future__ import annotations

import itertools
import math

import pytest

from qed.core import Theorem
from qed.env.check import check_proof
from qed.env.sandbox.env import SandboxEnv
from qed.policy.scripted import FixedPolicy, RandomPolicy, Rule
from qed.search.best_first import SearchSettings, best_first, run_steps, search_steps
from qed.search.result import Budget

LLM = SearchSettings(alpha=0.0)
# A --t1 (-1.0)--> B --b1 (-0.1)--> E
# A --t2 (-0.5)--> C --c1 (-2.0)--> D
GOLDEN = {("A", "t1"): ("B",), ("A", "t2"): ("C",), ("B", "b1"): ("E",), ("C", "c1"): ("D",)}
GOLDEN_POLICY = FixedPolicy(
    [],
    rules=[
        Rule("⊢ A$", (("t1", -1.0), ("t2", -0.5))),
        Rule("⊢ B$", (("b1", -0.1),)),
        Rule("⊢ C$", (("c1", -2.0),)),
    ],
)


def order(result) -> list[str]:
    expanded = sorted((n for n in result.nodes if n.expansion_order >= 0), key=lambda n: n.expansion_order)
    return [n.state.removeprefix("⊢ ") for n in expanded]


def test_llm_only_expands_by_cumulative_logprob(kit):
    env = kit.GraphEnv(GOLDEN)
    r = best_first(kit.theorem("A"), env=env, policy=GOLDEN_POLICY, value=None, budget=Budget(), settings=LLM)
    assert order(r) == ["A", "C", "B", "E", "D"]
    assert r.status == "failed" and r.stop_reason == "exhausted"
    by_state = {n.state: n for n in r.nodes}
    assert by_state["⊢ E"].cumulative_logprob == pytest.approx(-1.1)
    assert by_state["⊢ D"].depth == 2 and by_state["⊢ D"].parent == by_state["⊢ C"].id
    assert all(math.isnan(n.energy) for n in r.nodes)


def test_energy_reorders_and_priority_formula(kit):
    energies = {"⊢ A": 0.0, "⊢ B": 0.0, "⊢ C": 5.0, "⊢ D": -1.0, "⊢ E": 3.0}
    for alpha, expected in ((1.0, ["A", "B", "E", "C", "D"]), (0.0, ["A", "C", "B", "E", "D"])):
        value = kit.TableValue(energies)
        r = best_first(
            kit.theorem("A"),
            env=kit.GraphEnv(GOLDEN),
            policy=GOLDEN_POLICY,
            value=value,
            settings=SearchSettings(alpha=alpha),
        )
        assert order(r) == expected, alpha
    r = best_first(
        kit.theorem("A"),
        env=kit.GraphEnv(GOLDEN),
        policy=GOLDEN_POLICY,
        value=kit.TableValue(energies),
        settings=SearchSettings(alpha=0.25),
    )
    for n in r.nodes[1:]:
        assert n.priority == pytest.approx(0.25 * -n.energy + 0.75 * n.cumulative_logprob)
        assert n.energy == energies[n.state]


def test_scoring_is_deferred_and_batched_per_expansion(kit):
    value = kit.TableValue({})
    best_first(kit.theorem("A"), env=kit.GraphEnv(GOLDEN), policy=GOLDEN_POLICY, value=value, settings=LLM)
    # root alone, then A's two children together, then C's child, then B's child; D, E give none.
    assert value.calls == [1, 2, 1, 1]


def test_batch_expansions_batch_policy_and_value_calls(kit):
    policy, value = kit.Recording(GOLDEN_POLICY), kit.TableValue({})
    r = best_first(
        kit.theorem("A"),
        env=kit.GraphEnv(GOLDEN),
        policy=policy,
        value=value,
        settings=SearchSettings(alpha=0.0, batch_expansions=2),
    )
    assert policy.calls == [1, 2, 2]  # A; then C and B together; then E and D together
    assert value.calls == [1, 2, 2]
    assert r.stats.expansions == 5


def test_identical_states_are_merged_and_never_expanded_twice(kit):
    edges = {("A", "t1"): ("B",), ("A", "t2"): ("B",), ("B", "back"): ("A",), ("B", "b"): ("C",)}
    policy = kit.Recording(
        FixedPolicy(
            [],
            rules=[Rule("⊢ A$", (("t1", -2.0), ("t2", -1.0))), Rule("⊢ B$", (("back", -0.1), ("b", -0.2)))],
        )
    )
    r = best_first(kit.theorem("A"), env=kit.GraphEnv(edges), policy=policy, value=None, settings=LLM)
    states = [n.state for n in r.nodes]
    assert states.count("⊢ B") == 1 and states.count("⊢ A") == 1
    assert sorted(policy.asked) == ["⊢ A", "⊢ B", "⊢ C"]
    b = r.nodes[states.index("⊢ B")]
    # t1 (-2.0) came first (policy order is by log-prob: t2 first); either way the better path wins.
    assert b.tactic == "t2" and b.cumulative_logprob == pytest.approx(-1.0)
    assert r.stats.merged == 2  # the second way to B, and B --back--> A
    assert {(e.parent, e.child, e.tactic) for e in r.edges} == {(0, b.id, "t1"), (b.id, 0, "back")}


def test_worse_path_first_is_reparented_before_expansion(kit):
    # A --x--> M --y--> B (cum -0.2) reaches B after A --t1--> B (cum -5); B is not expanded yet.
    edges = {("A", "t1"): ("B",), ("A", "x"): ("M",), ("M", "y"): ("B",), ("B", "b"): ("C",)}
    policy = FixedPolicy(
        [],
        rules=[
            Rule("⊢ A$", (("x", -0.1), ("t1", -5.0))),
            Rule("⊢ M$", (("y", -0.1),)),
            Rule("⊢ B$", (("b", -0.1),)),
        ],
    )
    r = best_first(kit.theorem("A"), env=kit.GraphEnv(edges), policy=policy, value=None, settings=LLM)
    b = next(n for n in r.nodes if n.state == "⊢ B")
    assert r.nodes[b.parent].state == "⊢ M" and b.depth == 2 and b.cumulative_logprob == pytest.approx(-0.2)
    assert order(r) == ["A", "M", "B", "C"]


def chain(n: int = 1000) -> dict:
    return {(f"s{i}", "next"): (f"s{i + 1}",) for i in range(n)}


def test_expansion_budget(kit):
    r = best_first(
        kit.theorem("s0"),
        env=kit.GraphEnv(chain()),
        policy=FixedPolicy(["next"]),
        value=None,
        budget=Budget(max_expansions=5),
    )
    assert (r.status, r.stop_reason, r.stats.expansions, r.stats.nodes) == ("failed", "expansions", 5, 6)


def test_time_budget_with_a_clock(kit):
    ticks = itertools.count()
    steps = search_steps(
        kit.theorem("s0"),
        env=kit.GraphEnv(chain()),
        budget=Budget(max_seconds=30),
        scored=False,
        now=lambda: float(next(ticks)),
    )
    r = run_steps(steps, FixedPolicy(["next"]), None)
    assert r.stop_reason == "seconds" and r.status == "failed"
    assert 0 < r.stats.expansions < 30


def test_depth_limit_and_exhausted_frontier(kit):
    r = best_first(
        kit.theorem("s0"),
        env=kit.GraphEnv(chain()),
        policy=FixedPolicy(["next"]),
        value=None,
        budget=Budget(max_depth=3),
    )
    assert r.stop_reason == "exhausted" and r.stats.expansions == 3
    assert max(n.depth for n in r.nodes) == 3
    r = best_first(kit.theorem("A"), env=kit.GraphEnv({}), policy=FixedPolicy(["a", "b"]), value=None)
    assert r.stop_reason == "exhausted" and [n.outcome for n in r.nodes] == ["root", "error", "error"]


def test_multi_goal_proof_replays_with_check(kit):
    edges = {("P ∧ Q", "constructor"): ("P", "Q"), ("P", "p"): (), ("Q", "q"): (), ("Q", "p"): ("Q",)}
    env = kit.GraphEnv(edges)
    r = best_first(kit.theorem("P ∧ Q"), env=env, policy=FixedPolicy(["constructor", "p", "q"]), value=None)
    assert r.status == "proved" and r.proof_tactics() == ("constructor", "p", "q")
    assert [r.nodes[i].state for i in r.proof_path()] == ["⊢ P ∧ Q", "⊢ P\n\n⊢ Q", "⊢ Q", "no goals"]
    check = check_proof(kit.GraphEnv(edges), kit.theorem("P ∧ Q"), "\n  constructor\n  p\n  q")
    assert check.ok


def test_multi_goal_proof_in_the_sandbox():
    thm = Theorem("two", "theorem two (x : ℝ) (h₀ : 2 * x + 3 = 7) : x = 2 ∧ x + 1 = 3 := by")
    policy = FixedPolicy(["norm_num", "constructor", "linarith"])
    r = best_first(thm, env=SandboxEnv(), policy=policy, value=None)
    assert r.status == "proved"
    assert r.proof_tactics() == ("constructor", "linarith", "linarith")
    script = "".join(f"\n  {t}" for t in r.proof_tactics())
    assert check_proof(SandboxEnv(), thm, script).ok


def test_crash_is_an_infrastructure_error_not_a_failure(kit):
    env = kit.CrashOn(kit.GraphEnv(GOLDEN), step=2)
    r = best_first(kit.theorem("A"), env=env, policy=GOLDEN_POLICY, value=None, settings=LLM)
    assert (r.status, r.stop_reason) == ("error", "crashed") and "died" in r.message
    assert not r.proved and r.stats.env_calls == 3 and len(r.nodes) == 2  # start + 2 applies


def test_rejected_statement_is_unsupported(kit):
    r = best_first(kit.theorem("bad"), env=kit.GraphEnv({}), policy=FixedPolicy(["x"]), value=None)
    assert (r.status, r.stop_reason, r.nodes) == ("unsupported", "rejected", ())
    r = best_first(
        Theorem("c", "theorem c (v : EuclideanSpace ℝ (Fin 2)) : v = v := by"),
        env=SandboxEnv(),
        policy=FixedPolicy(["rfl"]),
        value=None,
    )
    assert r.status == "unsupported" and r.message


class LengthValue:
    def score(self, queries):
        return [float(len(q.state) % 7) for q in queries]


@pytest.mark.parametrize(
    "name", ["imo_1961_p1", "mathd_algebra_513", "mathd_algebra_314", "algebra_amgm_sumasqdivbsqgeqsumbdiva"]
)
def test_alpha_zero_equals_logprob_only_search(name, minif2f_theorems):
    thm = minif2f_theorems[name]
    policy = RandomPolicy(seed=3)
    budget = Budget(max_expansions=12, candidates=6)
    plain = best_first(thm, env=SandboxEnv(), policy=policy, value=None, budget=budget, settings=LLM)
    zero = best_first(thm, env=SandboxEnv(), policy=policy, value=LengthValue(), budget=budget, settings=LLM)
    key = [(n.state, n.tactic, n.parent, n.expansion_order, n.outcome) for n in plain.nodes]
    assert key == [(n.state, n.tactic, n.parent, n.expansion_order, n.outcome) for n in zero.nodes]
    assert plain.status == zero.status
    assert not any(math.isnan(n.energy) for n in zero.nodes if n.is_live and n.id)


def test_stats_account_for_the_time(kit):
    r = best_first(
        kit.theorem("s0"),
        env=kit.GraphEnv(chain()),
        policy=FixedPolicy(["next"]),
        value=kit.TableValue({}),
        budget=Budget(max_expansions=50),
    )
    s = r.stats
    assert s.env_calls == 51 and s.policy_calls == 50 and s.value_calls == 51
    parts = s.env_seconds + s.policy_seconds + s.value_seconds + s.overhead_seconds
    assert 0 < parts <= s.wall_seconds * 1.01
    assert r.budget.max_expansions == 50 and dict(r.settings)["scored"] is True
