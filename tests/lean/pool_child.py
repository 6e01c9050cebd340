"""A program that opens a LeanPool of two replay-server envs, starts a theorem on each,
prints the pool's child pids as one JSON line, then waits to be signalled.

``python pool_child.py TRANSCRIPT.in`` (a community-REPL transcript)."""

from __future__ import annotations

import json
import signal
import sys
import time

from qed.core import Theorem
from qed.env.pool import LeanPool
from qed.env.repl import ReplEnv


def main() -> int:
    # Started from a shell, a program gets Python's default SIGINT handler; a child of a process
    # that ignores SIGINT (as a test runner's may, after some in-process library set it) would
    # inherit SIG_IGN instead, and the test is about the pool's handler, not that inheritance.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    path = sys.argv[1]
    argv = [sys.executable, "-m", "qed.env.replay_server", "--protocol", "repl", path]
    theorem = Theorem("f", "def f : Nat := by")
    with LeanPool(lambda: ReplEnv(argv), size=2) as pool:
        first, second = pool.lease(), pool.lease()
        first.start(theorem)
        second.start(theorem)
        print(json.dumps({"pids": pool.pids()}), flush=True)
        while True:
            time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
