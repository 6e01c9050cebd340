"""Pairs traced from generated sandbox theorems: one pair per proof step, states as the env prints them."""

from __future__ import annotations

from qed.cli.tracing import generated_theorems as _generated_theorems
from qed.cli.tracing import trace_pairs
from qed.core import Theorem
from qed.env.check import Block, parse_script
from qed.env.sandbox.env import SandboxEnv


def test_every_step_of_every_generated_proof_becomes_a_pair():
    env = SandboxEnv()
    theorems = list(_generated_theorems(30, seed=3, difficulty=2))
    traced = list(trace_pairs(env, theorems))
    assert len(traced) == len(theorems) and not any(t.error for t in traced)
    for thm, t in zip(theorems, traced, strict=True):
        assert t.theorem == thm.name
        assert len(t.pairs) >= 1
        assert t.pairs[0].state == env.start(thm).text  # the first state is the theorem's start
        assert all(p.statement == thm.statement and p.header == thm.header for p in t.pairs)
        assert [p.tactic for p in t.pairs] == _tactics(parse_script(thm.proof))


def _tactics(block) -> list[str]:
    out: list[str] = []
    for item in block.items:
        out.extend(_tactics(item) if isinstance(item, Block) else [item.tactic])
    return out


def test_a_proof_that_fails_gives_no_pairs_and_says_why():
    env = SandboxEnv()
    good = next(iter(_generated_theorems(1, seed=0, difficulty=1)))
    bad = Theorem(good.name, good.statement, header=good.header, proof="\n  exact foo_bar_baz")
    (t,) = trace_pairs(env, [bad])
    assert t.pairs == () and t.error
