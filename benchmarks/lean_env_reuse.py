"""Process starts (and so `import Mathlib` runs) per 100 theorems: one ReplEnv, and a LeanPool
with and without recycling, over the replay server serving the REPL's recorded Mathlib test
(`tests/fixtures/lean/transcripts/repl/mathlib/induction.in`, which begins with `import Mathlib`).

    python benchmarks/lean_env_reuse.py [--theorems 100]

Counts only: the replay server answers at once, so times say nothing about Lean.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from qed.core import Goals, Theorem
from qed.env.pool import LeanPool
from qed.env.repl import ReplEnv

ROOT = Path(__file__).resolve().parent.parent
RECORDING = ROOT / "tests" / "fixtures" / "lean" / "transcripts" / "repl" / "mathlib" / "induction.in"
THEOREM = Theorem("foo", "theorem foo (x : Nat) : x = x := by")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theorems", type=int, default=100)
    n = parser.parse_args().theorems
    argv = [sys.executable, "-m", "qed.env.replay_server", "--protocol", "repl", str(RECORDING)]
    with ReplEnv(argv, imports=["Mathlib"]) as env:
        for _ in range(n):
            assert isinstance(env.apply(env.start(THEOREM), 0, "induction x"), Goals)
        stat = env.process.request(json.dumps({"replayStat": True}))
        print(f"one ReplEnv: {env.process.generation} process start(s), {stat['requests']} requests "
              f"for {n} theorems")
    for max_requests in (1000, 50):
        with LeanPool(lambda: ReplEnv(argv, imports=["Mathlib"]), size=2, max_requests=max_requests) as pool:
            for _ in range(n):
                with pool.lease() as lean:
                    lean.apply(lean.start(THEOREM), 0, "induction x")
            stats = pool.stats()
        print(f"LeanPool(size=2, max_requests={max_requests}): {stats.envs_created} process start(s), "
              f"{stats.recycled} recycled, for {n} theorems")


if __name__ == "__main__":
    main()
