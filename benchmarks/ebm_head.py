"""Energy-head speed: states scored per second on CPU for the d = 4096 head (about 28M parameters).

For batch sizes 1, 64 and 256 it times the head's forward pass in eval mode under
``torch.no_grad`` (what ``EbmScorer`` runs at search time; the encoder is not included) and
prints states per second and the ratio to the baseline measured in the same run: batch 1,
i.e. scoring one state per call. Each size is warmed up, then timed for at least
``--seconds`` (median of the repeats).

    python benchmarks/ebm_head.py [--dim 4096] [--threads N] [--seconds 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from qed.value.ebm import GoalConditionedEnergyHead, HeadConfig, count_parameters


def per_state_seconds(head: GoalConditionedEnergyHead, dim: int, batch: int, seconds: float) -> float:
    zs, zg = torch.randn(batch, dim), torch.randn(batch, dim)
    with torch.no_grad():
        for _ in range(3):
            head(zs, zg)
        times = []
        start = time.perf_counter()
        while time.perf_counter() - start < seconds or len(times) < 5:
            t0 = time.perf_counter()
            head(zs, zg)
            times.append(time.perf_counter() - t0)
    return statistics.median(times) / batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--seconds", type=float, default=2.0, help="minimum timing per batch size")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    head = GoalConditionedEnergyHead(HeadConfig(dim=args.dim)).eval()
    print(f"head d={args.dim}: {count_parameters(head):,} parameters, {torch.get_num_threads()} CPU threads")
    base = None
    print(f"{'batch':>6} {'states/s':>10} {'ms/state':>9} {'vs batch 1':>11}")
    for batch in (1, 64, 256):
        s = per_state_seconds(head, args.dim, batch, args.seconds)
        base = base or s
        print(f"{batch:>6} {1 / s:>10.1f} {1000 * s:>9.3f} {base / s:>10.1f}x")


if __name__ == "__main__":
    main()
