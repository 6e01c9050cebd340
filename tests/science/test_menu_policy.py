"""The menu policy proposes only its theorem's menu, deterministically, with the stated weights."""

from __future__ import annotations

import math

import pytest

from qed.core import Query, Theorem
from qed.policy.menu import MenuPolicy

T1, T2 = Theorem("t1", "theorem t1 : True := by"), Theorem("t2", "theorem t2 : True := by")


def test_proposals_come_from_the_theorems_own_menu_and_are_reproducible():
    p = MenuPolicy({"t1": ["a", "b", "c"], "t2": ["x", "y"]}, weights={"t1": {"a": 6.0}}, seed=3)
    out = p.propose([Query(T1, "s"), Query(T2, "s")], 8)
    assert {c.tactic for c in out[0]} == {"a", "b", "c"} and {c.tactic for c in out[1]} == {"x", "y"}
    lp = {c.tactic: c.logprob for c in out[0]}
    assert lp["a"] == pytest.approx(math.log(6 / 8)) and lp["b"] == pytest.approx(math.log(1 / 8))
    assert out[0][0].tactic == "a"  # best first
    assert p.propose([Query(T1, "s")], 8) == out[:1]
    two = p.propose([Query(T1, "other state")], 2)[0]
    assert len(two) == 2 and {c.tactic for c in two} <= {"a", "b", "c"}


def test_unknown_theorem_and_empty_menu_are_errors():
    with pytest.raises(KeyError, match="t2"):
        MenuPolicy({"t1": ["a"]}).propose([Query(T2, "s")], 1)
    with pytest.raises(ValueError, match="empty"):
        MenuPolicy({"t1": []})
