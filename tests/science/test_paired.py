"""Paired statistics: the exact McNemar test agrees with an exact binomial test, the bootstrap
interval covers the observed difference, and the counts are the discordant theorems."""

from __future__ import annotations

import random

import pytest
from scipy.stats import binomtest

from qed.eval.paired import bootstrap_diff, compare, mcnemar_exact


@pytest.mark.parametrize("b,c", [(0, 5), (3, 12), (7, 7), (20, 9), (1, 0)])
def test_mcnemar_is_the_exact_binomial_test_on_discordant_pairs(b, c):
    assert mcnemar_exact(b, c) == pytest.approx(binomtest(b, b + c, 0.5).pvalue)
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


def test_mcnemar_edges():
    assert mcnemar_exact(0, 0) == 1.0
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def test_compare_counts_discordant_theorems_and_the_interval_covers_the_difference():
    rng = random.Random(0)
    a = [rng.random() < 0.3 for _ in range(300)]
    b = [x or rng.random() < 0.3 for x in a]  # B proves all A proves, and more
    p = compare(a, b, seed=1)
    assert p.only_a == 0 and p.only_b == sum(b) - sum(a)
    assert p.diff == pytest.approx((sum(b) - sum(a)) / 300)
    lo, hi = p.diff_interval
    assert lo <= p.diff <= hi and lo > 0
    assert p.p_mcnemar < 1e-6
    assert p.wilson_a[0] < p.rate_a < p.wilson_a[1]
    assert compare(a, b, seed=1) == p  # seeded
    same = compare(a, a)
    assert same.diff == 0 and same.diff_interval == (0.0, 0.0) and same.p_mcnemar == 1.0
    with pytest.raises(ValueError):
        bootstrap_diff([True], [True, False])
