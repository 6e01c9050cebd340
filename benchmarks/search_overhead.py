"""Search overhead: expansions per second and the share of wall time spent outside env, policy
and value, at 800 expansions with the sandbox and a scripted policy.

Usage: ``python benchmarks/search_overhead.py [--expansions 800] [--theorems 3] [--value]``

The policy is a seeded ``RandomPolicy`` over ``have`` tactics (each adds a true numeric fact, so
every expansion creates new, distinct states and the search never runs out of nodes) plus the
default sandbox tactics; theorems are accepted miniF2F statements it cannot prove, so each
search uses its whole expansion budget. ``--value`` adds a cheap scripted value function so
the deferred-scoring path is timed too. Target: overhead <= 5% of wall time.

Overhead is reported two ways: ``residual`` = wall - env - policy - value (everything the
search loop did besides calling its parts) and ``measured`` = time inside the search
generator minus env time (``SearchStats.overhead_seconds``).
"""

from __future__ import annotations

import argparse
import time

from qed.data.benchmarks import load_benchmark
from qed.env.sandbox.coverage import coverage
from qed.env.sandbox.env import SandboxEnv
from qed.policy.scripted import SANDBOX_TACTICS, RandomPolicy
from qed.search.best_first import SearchSettings, best_first
from qed.search.result import Budget

DEFAULT_THEOREMS = ("imo_1961_p1", "mathd_algebra_314", "algebra_amgm_sumasqdivbsqgeqsumbdiva")


class CheapValue:
    """Energy = a hash of the state text, in [0, 1) (stands in for a model at zero cost)."""

    def score(self, queries):
        return [(hash(q.state) % 1000) / 1000 for q in queries]


def tactics() -> list[str]:
    haves = [f"have h{k} : ({k} : ℝ) + {k} = {2 * k} := by norm_num" for k in range(1, 41)]
    return haves + [t for t in SANDBOX_TACTICS if not t.startswith(("interval_cases", "by_contra"))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--expansions", type=int, default=800)
    ap.add_argument("--candidates", type=int, default=16)
    ap.add_argument("--theorems", type=int, default=len(DEFAULT_THEOREMS))
    ap.add_argument("--value", action="store_true", help="score children with a cheap value function")
    args = ap.parse_args()

    by_name = {t.name: t for t in load_benchmark("minif2f_v1")}
    accepted = set(coverage(by_name.values()).accepted)
    names = [n for n in DEFAULT_THEOREMS if n in accepted][: args.theorems]
    tacs = tactics()
    policy = RandomPolicy(tacs, weights=[1.0] * len(tacs), temperature=1.3, seed=0)
    value = CheapValue() if args.value else None
    budget = Budget(max_expansions=args.expansions, max_seconds=3600, candidates=args.candidates)
    settings = SearchSettings(alpha=0.5 if value else 0.0)
    head = f"{'theorem':38s} {'status':7s} {'exp':>5s} {'nodes':>6s} {'wall s':>7s} {'exp/s':>7s} "
    print(head + f"{'env%':>6s} {'policy%':>8s} {'value%':>7s} {'resid%':>7s} {'meas%':>6s}")
    tot = dict(wall=0.0, env=0.0, policy=0.0, value=0.0, measured=0.0, expansions=0)
    for name in names:
        t0 = time.perf_counter()
        r = best_first(
            by_name[name], env=SandboxEnv(), policy=policy, value=value, budget=budget, settings=settings
        )
        wall = time.perf_counter() - t0
        s = r.stats
        resid = wall - s.env_seconds - s.policy_seconds - s.value_seconds
        print(
            f"{name:38s} {r.status:7s} {s.expansions:5d} {s.nodes:6d} {wall:7.2f} {s.expansions / wall:7.1f} "
            f"{100 * s.env_seconds / wall:6.1f} {100 * s.policy_seconds / wall:8.1f} "
            f"{100 * s.value_seconds / wall:7.1f} {100 * resid / wall:7.2f} "
            f"{100 * s.overhead_seconds / wall:6.2f}"
        )
        for k, v in (
            ("wall", wall),
            ("env", s.env_seconds),
            ("policy", s.policy_seconds),
            ("value", s.value_seconds),
            ("measured", s.overhead_seconds),
            ("expansions", s.expansions),
        ):
            tot[k] += v
    resid = tot["wall"] - tot["env"] - tot["policy"] - tot["value"]
    print(
        f"total: {tot['expansions']} expansions in {tot['wall']:.2f} s = "
        f"{tot['expansions'] / tot['wall']:.1f} expansions/s; "
        f"search overhead {100 * resid / tot['wall']:.2f}% (residual), "
        f"{100 * tot['measured'] / tot['wall']:.2f}% (measured); target <= 5%"
    )


if __name__ == "__main__":
    main()
