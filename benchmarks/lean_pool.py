"""Round-trip throughput and client overhead of the Lean pool, against the replay server.

Runs ``--theorems`` recorded proofs through a ``LeanPool`` of ``--processes`` envs (one
thread per process), each env talking to ``python -m qed.env.replay_server`` as a real
subprocess, and prints requests/s, the mean round trip seen by the client, the replay
server's own processing time per request (from its ``replay.stat`` counters), and the
difference: the client's overhead per request (framing, pipes, threads, JSON, parsing
into core types, pool leases). No Lean is needed.

    python benchmarks/lean_pool.py [--theorems 400] [--processes 2] [--protocol repl|pantograph]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

from qed.core import Goals, Proved, TacticError, Theorem
from qed.env.pantograph import PantographEnv
from qed.env.pool import LeanPool
from qed.env.repl import ReplEnv

TRANSCRIPTS = Path(__file__).resolve().parents[1] / ".." / "shared" / "lean" / "transcripts"

# recorded sessions: (transcript, theorem, tactics, expected final outcome type)
SESSIONS = {
    "repl": (TRANSCRIPTS / "repl" / "proof_branching.in",
             Theorem("complex_and",
                     "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by"),
             ("apply And.intro", "exact h1.left", "apply h2", "exact h1.right"), Proved),
    "pantograph": (TRANSCRIPTS / "pantograph" / "pantograph-v0.3.4-integration.jsonl",
                   Theorem("mystery", "theorem mystery : 1 + 2 = 2 + 3 := by"), ("exact?",), TacticError),
}


def _server(protocol: str, path: Path) -> list[str]:
    return [sys.executable, "-m", "qed.env.replay_server", "--protocol", protocol, str(path)]


def _stat(env: ReplEnv | PantographEnv, protocol: str) -> dict:
    process = env.process
    assert process is not None
    return process.request('{"replayStat": true}' if protocol == "repl" else "replay.stat {}")


def run(protocol: str, theorems: int, processes: int) -> dict[str, float]:
    path, theorem, tactics, final = SESSIONS[protocol]
    if not path.exists():
        raise SystemExit(f"transcript {path} not found: ../shared/lean/transcripts must be beside "
                         "the checkout")
    envs: list[ReplEnv | PantographEnv] = []

    def make() -> ReplEnv | PantographEnv:
        env: ReplEnv | PantographEnv
        if protocol == "repl":
            env = ReplEnv(_server(protocol, path))
        else:
            env = PantographEnv(_server(protocol, path), version="0.3.4", verify_root=False)
        envs.append(env)
        return env

    counts = {"requests": 0, "client_s": 0.0}
    lock = threading.Lock()
    per_thread = theorems // processes
    with LeanPool(make, size=processes, max_requests=10**9, handle_signals=False) as pool:
        warm = [pool.lease() for _ in range(processes)]  # start every process before timing
        for lease in warm:
            lease.start(theorem)
            lease.close()
        baseline = {id(e): _stat(e, protocol) for e in envs}

        def work() -> None:
            requests, client = 0, 0.0
            for _ in range(per_thread):
                with pool.lease() as lease:
                    t0 = time.perf_counter()
                    state = lease.start(theorem)
                    outcome = None
                    for tactic in tactics:
                        outcome = lease.apply(state, 0, tactic)
                        if isinstance(outcome, Goals):
                            state = outcome.state
                    client += time.perf_counter() - t0
                    requests += 1 + len(tactics)
                    assert isinstance(outcome, final), outcome
            with lock:
                counts["requests"] += requests
                counts["client_s"] += client

        threads = [threading.Thread(target=work) for _ in range(processes)]
        wall0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall0
        server_s = sum(_stat(e, protocol)["busySeconds"] - baseline[id(e)]["busySeconds"] for e in envs)
        served = sum(_stat(e, protocol)["requests"] - baseline[id(e)]["requests"] for e in envs)
    n = counts["requests"]
    return {
        "requests": n, "server_counted": served, "wall_s": wall, "requests_per_s": n / wall,
        "round_trip_us": 1e6 * counts["client_s"] / n, "server_us": 1e6 * server_s / n,
        "client_overhead_us": 1e6 * (counts["client_s"] - server_s) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--theorems", type=int, default=400)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--protocol", choices=("repl", "pantograph", "both"), default="both")
    parser.add_argument("--json", action="store_true", help="print one JSON object per protocol")
    args = parser.parse_args()
    for protocol in ("repl", "pantograph") if args.protocol == "both" else (args.protocol,):
        r = run(protocol, args.theorems, args.processes)
        if args.json:
            print(json.dumps({"protocol": protocol, **r}))
            continue
        print(f"{protocol:>10}: {r['requests']} requests ({r['server_counted']} counted by the servers) "
              f"through "
              f"{args.processes} processes in {r['wall_s']:.2f} s = {r['requests_per_s']:.0f} requests/s")
        print(f"{'':>10}  round trip {r['round_trip_us']:.0f} µs/request = server {r['server_us']:.0f} µs "
              f"+ client overhead {r['client_overhead_us']:.0f} µs")


if __name__ == "__main__":
    main()
