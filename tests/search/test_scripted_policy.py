"""Scripted policies: fixed tables with rules, seeded random draws with true log-probabilities."""

from __future__ import annotations

import math

import pytest

from qed.core import Query, Theorem
from qed.policy.scripted import SANDBOX_TACTICS, FixedPolicy, RandomPolicy, Rule, rank_logprobs

T = Theorem("t", "theorem t : True := by")


def q(state: str) -> Query:
    return Query(T, state)


def test_fixed_policy_order_rules_and_logprobs():
    p = FixedPolicy(["a", "b", "c"], rules=[Rule("⊢ x", (("special", -0.01), "b"))])
    plain, matched = p.propose([q("⊢ y"), q("⊢ x = 1")], 2)
    assert [c.tactic for c in plain] == ["a", "b"]
    assert [c.logprob for c in plain] == pytest.approx(rank_logprobs(3)[:2])
    assert [c.tactic for c in matched] == ["special", "b"]
    assert matched[0].logprob == -0.01 and matched[1].n_tokens == 1
    assert math.fsum(math.exp(x) for x in rank_logprobs(5)) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        FixedPolicy([])


def test_random_policy_is_seeded_per_state_and_distinct():
    p = RandomPolicy(SANDBOX_TACTICS, temperature=1.3, seed=7)
    a = p.propose([q("⊢ x"), q("⊢ y")], 6)
    b = p.propose([q("⊢ y")], 6)
    assert a[1] == b[0]  # the draw depends on the state, not on the batch
    assert all(len({c.tactic for c in cs}) == 6 for cs in a)
    assert [c.logprob for c in a[0]] == sorted((c.logprob for c in a[0]), reverse=True)
    assert math.fsum(p.probs) == pytest.approx(1.0)
    assert RandomPolicy(SANDBOX_TACTICS, seed=8).propose([q("⊢ x")], 6) != RandomPolicy(
        SANDBOX_TACTICS, seed=7
    ).propose([q("⊢ x")], 6)
    # higher temperature flattens the distribution
    hot, cold = (
        RandomPolicy(["a", "b"], weights=[3, 1], temperature=4),
        RandomPolicy(["a", "b"], weights=[3, 1]),
    )
    assert hot.probs[0] < cold.probs[0] == pytest.approx(0.75)
    with pytest.raises(ValueError, match="weight"):
        RandomPolicy(["a"], weights=[0.0])


def test_random_draw_frequencies_follow_the_weights():
    p = RandomPolicy(["a", "b", "c"], weights=[6, 3, 1], seed=0)
    firsts = [p.propose([q(f"⊢ s{i}")], 1)[0][0].tactic for i in range(3000)]
    assert firsts.count("a") / 3000 == pytest.approx(0.6, abs=0.04)
    assert firsts.count("c") / 3000 == pytest.approx(0.1, abs=0.03)
