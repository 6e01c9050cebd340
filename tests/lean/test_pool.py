"""(b, c) The pool over real replay-server subprocesses: concurrent leases, recycling,
crash replacement, the memory watchdog, and no child left behind on close or signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from qed.core import EnvCrashed, Goals, Proved, Theorem
from qed.env.pantograph import PantographEnv
from qed.env.pool import LeanPool
from qed.env.repl import ReplEnv

HERE = Path(__file__).resolve().parent
THEOREM = Theorem("complex_and", "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by")
PROOF = ("apply And.intro", "exact h1.left", "apply h2", "exact h1.right")


@pytest.fixture
def branching(transcripts):
    return transcripts / "repl" / "proof_branching.in"


def _prove(lease) -> object:
    state = lease.start(THEOREM)
    outcome = None
    for tactic in PROOF:
        outcome = lease.apply(state, 0, tactic)
        assert isinstance(outcome, (Goals, Proved)), outcome
        state = outcome.state
    return outcome


def test_two_processes_serve_two_theorems_concurrently(branching, server_cmd, gone):
    results: dict[int, object] = {}
    pids: set[int] = set()
    with LeanPool(lambda: ReplEnv(server_cmd("repl", branching)), size=2, handle_signals=False) as pool:
        barrier = threading.Barrier(2)

        def work(k: int) -> None:
            with pool.lease(timeout=10) as lease:
                barrier.wait(timeout=10)  # both leases held at once: two processes
                results[k] = _prove(lease)
                pids.add(lease.pid)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert all(isinstance(results.get(k), Proved) for k in range(2)), results
        assert len(pids) == 2
        all_pids = pool.pids()
        assert sorted(all_pids) == sorted(pids)
        assert pool.stats().leases == 2 and pool.stats().envs_created == 2
    gone(all_pids)


def test_recycling_after_max_requests_and_max_age(branching, server_cmd, gone):
    make = lambda: ReplEnv(server_cmd("repl", branching))  # noqa: E731
    with LeanPool(make, size=1, max_requests=3, handle_signals=False) as pool:
        with pool.lease() as lease:
            _prove(lease)  # five requests
            old = lease.pid
        with pool.lease() as lease:
            assert isinstance(_prove(lease), Proved)
            assert lease.pid != old
        gone([old])
        assert pool.stats().recycled == 2  # each lease made five requests, over the limit of three
    # Age is read from the pool's clock, here one that runs ``ahead`` seconds ahead of real
    # time: the process ages when the test says so, not by sleeping, so a slow machine cannot
    # push it past the limit before the "kept" check (real time would need 10 minutes).
    ahead = [0.0]
    clock = lambda: time.monotonic() + ahead[0]  # noqa: E731
    with LeanPool(make, size=1, max_age_s=600, clock=clock, handle_signals=False) as pool:
        with pool.lease() as lease:
            lease.start(THEOREM)
            old = lease.pid
        with pool.lease() as lease:
            lease.start(THEOREM)
            assert lease.pid == old  # young enough: kept
            ahead[0] = 600.0  # the process is now over max_age_s old: retired when this lease ends
        assert pool.stats().recycled == 1
        gone([old])
        with pool.lease() as lease:
            lease.start(THEOREM)
            assert lease.pid != old
        assert pool.stats().envs_created == 2


def test_a_crash_surfaces_and_the_env_is_replaced(transcripts, misbehave_cmd, gone):
    path = transcripts / "repl" / "invalid_tactic.in"
    argv = misbehave_cmd("die", "repl", path, trigger="my_fake_premise")
    theorem = Theorem("my_theorem", "theorem my_theorem (x : Nat) : x = x := by")
    with LeanPool(lambda: ReplEnv(argv), size=1, handle_signals=False) as pool:
        with pool.lease() as lease:
            state = lease.start(theorem)
            dead = lease.pid
            with pytest.raises(EnvCrashed):
                lease.apply(state, 0, "exact my_fake_premise")
        gone([dead])
        with pool.lease() as lease:
            lease.start(theorem)
            assert lease.pid != dead
        stats = pool.stats()
        assert stats.crashed == 1 and stats.envs_created == 2
        with pytest.raises(RuntimeError, match="given back"):
            lease.start(theorem)


def test_memory_watchdog_kills_and_reports(transcripts, misbehave_cmd, gone):
    path = transcripts / "pantograph" / "pantograph-v0.3.4-integration.jsonl"
    argv = misbehave_cmd("grow", "pantograph", path, trigger="exact?")  # ~300 MB on that request
    make = lambda: PantographEnv(argv, version="0.3.4", verify_root=False)  # noqa: E731
    with LeanPool(make, size=1, max_rss_mb=150, watchdog_interval_s=0.1, handle_signals=False) as pool:
        with pool.lease() as lease:
            state = lease.start(Theorem("mystery", "theorem mystery : 1 + 2 = 2 + 3 := by"))
            pid = lease.pid
            t0 = time.monotonic()
            with pytest.raises(EnvCrashed, match="resident memory .* over the 150 MB cap"):
                lease.apply(state, 0, "exact?")
            assert time.monotonic() - t0 < 5
        gone([pid])
        assert pool.stats().memory_kills >= 1 and pool.stats().crashed == 1


def test_lease_limits_and_bad_arguments(branching, server_cmd):
    with LeanPool(lambda: ReplEnv(server_cmd("repl", branching)), size=1, handle_signals=False) as pool:
        held = pool.lease()
        with pytest.raises(TimeoutError, match="no free Lean env"):
            pool.lease(timeout=0.2)
        held.close()
        pool.lease(timeout=1).close()
    with pytest.raises(RuntimeError, match="closed"):
        pool.lease()
    with pytest.raises(ValueError, match="pool size"):
        LeanPool(lambda: None, size=0)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="max_rss_mb"):
        LeanPool(lambda: None, size=1, max_rss_mb=-1)  # type: ignore[arg-type, return-value]


def _spawn_pool_program(path: Path) -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen([sys.executable, str(HERE / "pool_child.py"), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    pids = json.loads(line)["pids"]
    assert len(pids) == 2
    return proc, pids


# Generous: the test polls and returns as soon as the processes are gone; the deadline only
# matters on a machine so busy (CI on 2 cores, heavy disk I/O) that exiting takes seconds.
SIGNAL_DEADLINE_S = 120.0


def _exit_code_within(proc: subprocess.Popen, deadline_s: float) -> int:
    """Poll until ``proc`` exits; its exit code. Fails (after ``deadline_s``) only if it never does."""
    deadline = time.monotonic() + deadline_s
    while (code := proc.poll()) is None:
        assert time.monotonic() < deadline, f"pid {proc.pid} still up {deadline_s:.0f} s after the signal"
        time.sleep(0.05)
    return code


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_no_orphans_when_the_owner_is_signalled(transcripts, signum, gone):
    proc, pids = _spawn_pool_program(transcripts / "repl" / "proof_step.in")
    try:
        proc.send_signal(signum)
        code = _exit_code_within(proc, SIGNAL_DEADLINE_S)
        if signum == signal.SIGTERM:
            assert code == 143
        gone(pids, within_s=SIGNAL_DEADLINE_S)  # SIGKILL: the children see end of input on stdin and exit
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
