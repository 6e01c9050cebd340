"""Config to parts for `qed prove`: build_policy / build_value swap points and override shorthands."""

from __future__ import annotations

import pytest

from qed.cli.build import BuildError, build_policy, build_value
from qed.cli.config import load_config
from qed.policy.scripted import SANDBOX_TACTICS, FixedPolicy, RandomPolicy


def test_scripted_policies_from_config():
    p = build_policy(load_config(["policy.kind=scripted"]))
    assert isinstance(p, FixedPolicy) and p.tactics == SANDBOX_TACTICS
    r = build_policy(
        load_config(
            [
                "policy.kind=scripted",
                "search.scripted.mode=random",
                "search.temperature=2.0",
                "search.scripted.tactics=[norm_num,linarith]",
            ]
        )
    )
    assert isinstance(r, RandomPolicy) and r.temperature == 2.0 and r.tactics == ("norm_num", "linarith")


def test_unknown_or_incomplete_choices_are_clear_errors():
    with pytest.raises(BuildError, match="policy.kind 'nope'"):
        build_policy(load_config(["policy.kind=nope"]))
    with pytest.raises(BuildError, match="policy.model"):
        build_policy(load_config(["policy.kind=hf"]))
    with pytest.raises(BuildError, match="search.scripted.mode"):
        build_policy(load_config(["policy.kind=scripted", "search.scripted.mode=odd"]))
    with pytest.raises(BuildError, match="search.value 'x'"):
        build_value(load_config(["search.value=x"]))
    assert build_value(load_config([])) is None


def test_config_groups_select_policy_value_and_algorithm():
    cfg = load_config(["policy=scripted", "value=ebm", "search=mcts", "env=sandbox", "search.alpha=0"])
    assert cfg.policy.kind == "scripted"
    assert cfg.search.value == "ebm" and cfg.search.algorithm == "mcts" and cfg.search.alpha == 0
    default = load_config([])
    chosen = (default.policy.kind, default.search.value, default.search.algorithm)
    assert chosen == ("hf", "none", "best_first")

