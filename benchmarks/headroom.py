"""Headroom of the deep benchmark, and what it costs: prints the table and seconds per theorem.

Generates ``--n`` deep theorems (``qed science deep``), measures them as ``qed science
headroom`` does (big search, hindsight oracle, LLM-only vs oracle at each budget; resumable in
``--out``), then prints per budget the two proof rates, the headroom in points with its
bootstrap interval and the exact McNemar p-value, per family the headroom, and the wall
seconds per theorem of this run (the big search dominates).

    OMP_NUM_THREADS=1 python benchmarks/headroom.py --n 40 --big 1600 --out /tmp/headroom
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from qed.cli.headroom import HeadroomSettings, run_headroom
from qed.env.sandbox.deep_generate import generate_deep


def main() -> None:
    d = HeadroomSettings()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--big", type=int, default=d.big_expansions, help="0: factor x the largest budget")
    ap.add_argument("--factor", type=int, default=d.factor)
    ap.add_argument("--budgets", default=",".join(map(str, d.budgets)))
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    rows = [g.row for g in generate_deep(a.n, seed=a.seed) if g.row is not None]
    settings = HeadroomSettings(budgets=tuple(int(b) for b in a.budgets.split(",")), factor=a.factor,
                                big_expansions=a.big)
    t0, timed = time.perf_counter(), [0]
    summary = run_headroom(rows, a.out, settings, advance=lambda r: timed.__setitem__(0, timed[0] + 1))
    seconds = time.perf_counter() - t0
    n = summary["theorems"]
    print(f"{n} theorems; big search {settings.big} expansions proved {summary['big_proved']}; "
          f"generic prover (SANDBOX_TACTICS, budget {max(settings.budgets)}) proved "
          f"{summary['generic_proved_at_max_budget']}")
    head = ("budget", "LLM-only", "oracle", "headroom", "95% interval", "McNemar p")
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (6, 9, 7, 9, 16, 10), strict=True)))
    for b, r in summary["budgets"].items():
        lo, hi = r["diff_interval"]
        print(f"{b:>6} {100 * r['rate_a']:>8.1f}% {100 * r['rate_b']:>6.1f}% {r['headroom_points']:>8.1f}  "
              f"[{100 * lo:5.1f}, {100 * hi:5.1f}] {r['p_mcnemar']:>10.2g}")
    for fam, f in summary["families"].items():
        points = ", ".join(f"{b}: {f[f'headroom_points_{b}']:.1f}" for b in settings.budgets)
        print(f"{fam}: {f['theorems']} theorems, big search proved {f['big_proved']}; headroom {points}")
    if timed[0]:
        print(f"{seconds / timed[0]:.1f} s per theorem measured in this run ({timed[0]} theorems)")


if __name__ == "__main__":
    main()
