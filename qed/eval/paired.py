"""Paired comparisons of two provers on the same theorems: difference, interval, exact McNemar test.

Owns the statistics of "does configuration B prove more than configuration A at the same
budget": both arms ran on the same theorems, so the comparison is paired and only the
discordant theorems (proved by one arm only) carry information. Inputs are plain boolean
sequences in theorem order. Knows nothing about search or files.

- ``mcnemar_exact(b, c)``: two-sided exact binomial test of ``b`` theorems proved only by A
  against ``c`` proved only by B (``p = 1`` when there are none);
- ``bootstrap_mean``: percentile interval of a mean over theorems (seeded);
- ``bootstrap_diff``: percentile interval of ``rate(B) - rate(A)`` resampling theorems
  (seeded; the pairs stay together);
- ``compare``: both, with each arm's rate and Wilson interval (``qed.eval.summary.wilson``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from qed.eval.summary import wilson


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for ``b`` and ``c`` discordant pairs."""
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be >= 0, got {b}, {c}")
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def bootstrap_mean(values: Sequence[float], *, samples: int = 2000, seed: int = 0,
                   level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the mean of per-theorem ``values`` resampled with replacement (seeded)."""
    n = len(values)
    if n == 0:
        return (float("nan"), float("nan"))
    rng = random.Random(seed)
    stats = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(samples))
    lo = stats[int((1 - level) / 2 * samples)]
    hi = stats[min(samples - 1, int((1 + level) / 2 * samples))]
    return lo, hi


def bootstrap_diff(a: Sequence[bool], b: Sequence[bool], *, samples: int = 2000, seed: int = 0,
                   level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of ``mean(b) - mean(a)`` over theorems resampled with replacement."""
    if len(a) != len(b):
        raise ValueError(f"paired arms need equal lengths, got {len(a)} and {len(b)}")
    d = [int(y) - int(x) for x, y in zip(a, b, strict=True)]
    return bootstrap_mean(d, samples=samples, seed=seed, level=level)


@dataclass(frozen=True)
class Paired:
    """Arm A against arm B on the same ``n`` theorems (rates in [0, 1])."""

    n: int
    rate_a: float
    rate_b: float
    wilson_a: tuple[float, float]
    wilson_b: tuple[float, float]
    only_a: int
    only_b: int
    diff: float
    diff_interval: tuple[float, float]
    p_mcnemar: float

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}


def compare(a: Sequence[bool], b: Sequence[bool], *, samples: int = 2000, seed: int = 0) -> Paired:
    """Rates, intervals, discordant counts, bootstrap interval of the difference, McNemar p."""
    if len(a) != len(b):
        raise ValueError(f"paired arms need equal lengths, got {len(a)} and {len(b)}")
    n = len(a)
    sa, sb = sum(map(bool, a)), sum(map(bool, b))
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    return Paired(
        n=n,
        rate_a=sa / n if n else float("nan"),
        rate_b=sb / n if n else float("nan"),
        wilson_a=wilson(sa, n),
        wilson_b=wilson(sb, n),
        only_a=only_a,
        only_b=only_b,
        diff=(sb - sa) / n if n else float("nan"),
        diff_interval=bootstrap_diff(a, b, samples=samples, seed=seed),
        p_mcnemar=mcnemar_exact(only_a, only_b),
    )
