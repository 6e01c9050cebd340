"""Throughput of ``dist=ray`` (2 prover actors) against ``dist=local`` at the same concurrency.

Usage: ``python benchmarks/dist_throughput.py [--theorems 16] [--expansions 60]
[--provers 2] [--searches 2] [--address ADDR] [--model-actor]``

Same theorems (accepted miniF2F statements), the sandbox, a seeded scripted ``RandomPolicy``
over ``have`` tactics plus the sandbox tactics (seeded per state, so every search is the same
under both executors; each ``have`` adds a new true fact, so searches that find no proof use
their whole expansion budget, as in ``search_overhead.py``) and no value function
(``--model-actor``: the policy plus a cheap scripted value run in ONE shared Ray actor that
batches all provers' requests). ``dist=local`` runs ``provers * searches`` searches
interleaved in this process; ``dist=ray`` runs ``searches`` per actor on ``provers`` actors.
Prints theorems/s and expansions/s of each, their ratio, and the per-expansion costs measured
by the searches (env, policy, value, search overhead): the inputs of the scaling model in
docs/distributed.md. Ray time runs from the first theorem handed out (actor start-up
included) to the last result; connecting (starting a private Ray on 127.0.0.1) is not in it.
"""

from __future__ import annotations

import argparse
import functools
import time

from qed.data.benchmarks import load_benchmark
from qed.dist.local import LocalProver, shared
from qed.dist.ray import RayProver, Resources, SandboxEnvs, connect
from qed.env.sandbox.coverage import coverage
from qed.env.sandbox.env import SandboxEnv
from qed.policy.scripted import SANDBOX_TACTICS, RandomPolicy
from qed.search.best_first import SearchSettings
from qed.search.result import Budget


class CheapValue:
    """Energy = a hash of the state text in [0, 1) (a model at zero cost)."""

    def score(self, queries):
        return [(sum(map(ord, q.state)) % 1000) / 1000 for q in queries]


def tactics() -> list[str]:
    haves = [f"have h{k} : ({k} : ℝ) + {k} = {2 * k} := by norm_num" for k in range(1, 41)]
    return haves + [t for t in SANDBOX_TACTICS if not t.startswith(("interval_cases", "by_contra"))]


def measure(label: str, results_iter) -> dict:
    t = time.perf_counter()
    results = list(results_iter)
    wall = time.perf_counter() - t
    exp = sum(r.stats.expansions for r in results)
    per = {
        k: sum(getattr(r.stats, f"{k}_seconds") for r in results) / max(1, exp)
        for k in ("env", "policy", "value", "overhead")
    }
    row = {"label": label, "theorems": len(results), "expansions": exp, "wall": wall, "per": per,
           "statuses": sorted((r.theorem.name, r.status) for r in results)}
    print(
        f"{label:<28} {len(results):>4} theorems {exp:>6} expansions {wall:7.2f} s  "
        f"{len(results) / wall:7.2f} theorems/s {exp / wall:8.1f} expansions/s"
    )
    print(
        "    per expansion (ms): "
        + "  ".join(f"{k} {1000 * v:.3f}" for k, v in per.items())
        + f"  wall {1000 * wall / max(1, exp):.3f} (all searches together)"
    )
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--theorems", type=int, default=16)
    ap.add_argument("--expansions", type=int, default=60)
    ap.add_argument("--provers", type=int, default=2)
    ap.add_argument("--searches", type=int, default=2)
    ap.add_argument("--address", default="", help="a Ray cluster to join (default: a private local one)")
    ap.add_argument("--model-actor", action="store_true", help="policy and value in one shared actor")
    args = ap.parse_args()

    ths = load_benchmark("minif2f_v1")
    accepted = set(coverage(ths).accepted)
    theorems = [t for t in ths if t.name in accepted][: args.theorems]
    budget = Budget(max_expansions=args.expansions, max_seconds=3600, candidates=8)
    settings = SearchSettings(alpha=0.5)
    conc = args.provers * args.searches
    tacs = tactics()
    policy = functools.partial(RandomPolicy, tacs, weights=[1.0] * len(tacs), temperature=1.3, seed=0)
    value = CheapValue if args.model_actor else None
    print(f"{len(theorems)} theorems, {args.expansions} expansions max, concurrency {conc}")

    local = measure(
        f"dist=local concurrency={conc}",
        LocalProver(
            envs=shared(SandboxEnv()), policy=policy(), value=value() if value else None,
            budget=budget, settings=settings, concurrency=conc,
        ).prove(theorems),
    )
    with connect(args.address, num_cpus=None, object_store_mb=150):
        prover = RayProver(
            make_envs=SandboxEnvs(), policy=policy, value=value, budget=budget, settings=settings,
            provers=args.provers, searches=args.searches, resources=Resources(num_cpus=1),
            model_server=Resources(num_cpus=0) if args.model_actor else None,
        )
        distributed = measure(f"dist=ray {args.provers}x{args.searches}", prover.prove(theorems))
    assert local["statuses"] == distributed["statuses"], "dist=local and dist=ray disagree"
    ratio = distributed["wall"] and local["wall"] / distributed["wall"]
    print(f"ratio ray/local: {ratio:.2f}x theorems/s (same results: yes)")


if __name__ == "__main__":
    main()
