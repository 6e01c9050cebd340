"""Sandbox speed: tactic applications per second on the miniF2F v1 statements it accepts.

Prints, for structural tactics (intro, constructor, exact, …) the applications per
second (successes and failures both count: search pays for both), and for closers
(norm_num, linarith, nlinarith, omega, …) the median and 90th-percentile time per call.
Baseline measured in the same run: ``SandboxEnv.start`` (parse + elaborate + print one
statement); every figure is also given as a ratio to it.

    python benchmarks/sandbox_tactics.py [--limit N] [--timeout S]
"""

from __future__ import annotations

import argparse
import statistics
import time

from qed.core import StatementError, TacticTimeout
from qed.data.benchmarks import load_benchmark
from qed.env.sandbox.env import SandboxEnv

STRUCTURAL = [
    "intro h",
    "constructor",
    "exact h₀",
    "assumption",
    "left",
    "right",
    "exfalso",
    "by_contra h",
    "push_neg",
    "rcases h₀ with ⟨h, h'⟩",
    "exact foo",
]
CLOSERS = ["norm_num", "simp", "linarith", "nlinarith", "omega", "positivity", "ring", "decide"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmark", default="minif2f_v1")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N accepted statements")
    ap.add_argument("--timeout", type=float, default=5.0, help="per-tactic time limit (s)")
    args = ap.parse_args()

    env = SandboxEnv(tactic_timeout_s=args.timeout)
    states, start_times = [], []
    for thm in load_benchmark(args.benchmark):
        t0 = time.perf_counter()
        try:
            s = env.start(thm)
        except StatementError:
            continue
        start_times.append(time.perf_counter() - t0)
        states.append(s)
        if args.limit and len(states) >= args.limit:
            break
    base = statistics.median(start_times)
    print(f"{len(states)} accepted statements; baseline start() median {base * 1e3:.3f} ms")

    n, t0 = 0, time.perf_counter()
    for s in states:
        for tac in STRUCTURAL:
            env.apply(s, 0, tac)
            n += 1
    dt = time.perf_counter() - t0
    per = dt / n
    print(
        f"structural: {n} applications in {dt:.2f} s = {n / dt:,.0f} /s "
        f"({per * 1e3:.3f} ms each, {per / base:.2f}x start)"
    )

    print(f"{'closer':<11}{'median ms':>10}{'p90 ms':>9}{'closed':>8}{'timeouts':>9}{'x start':>9}")
    for tac in CLOSERS:
        times, closed, timeouts = [], 0, 0
        for s in states:
            t = time.perf_counter()
            out = env.apply(s, 0, tac)
            times.append(time.perf_counter() - t)
            closed += type(out).__name__ == "Proved"
            timeouts += isinstance(out, TacticTimeout)
        med = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"{tac:<11}{med * 1e3:>10.2f}{p90 * 1e3:>9.2f}{closed:>8}{timeouts:>9}{med / base:>9.1f}")


if __name__ == "__main__":
    main()
