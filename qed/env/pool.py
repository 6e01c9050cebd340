"""``LeanPool``: N Lean REPL envs, one lease per theorem, recycling and a memory watchdog.

Owns: which env serves which theorem (a lease holds one env exclusively, since proof
states live inside one process), replacing envs that crashed, recycling them after
``max_requests`` requests or ``max_age_s`` seconds (between leases, never mid-theorem),
killing a process tree whose resident memory passes ``max_rss_mb`` (a psutil watchdog
thread), and killing every child on close, on interpreter exit, on SIGINT and on SIGTERM.
Does not know which backend it pools: ``make_env`` builds one (``PantographEnv``,
``ReplEnv`` or anything with the ``PooledEnv`` shape).

Guarantees:
- An ``EnvCrashed`` raised inside a lease (process death, protocol error, memory kill)
  reaches the caller, and that env is closed and replaced before its next lease.
- ``close()`` (or leaving ``with``) kills every child process tree; while the pool is
  open in the main thread, SIGINT and SIGTERM first kill every child, then run the
  previous handler (SIGTERM's default becomes ``SystemExit(143)`` so ``with`` blocks
  unwind). The previous handlers are restored on close.
- Envs start lazily, on their first lease.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from qed.core import EnvCrashed, Outcome, ProofState, Theorem
from qed.env.process import ChildProcess


class PooledEnv(Protocol):
    """What the pool needs of an env: the Env methods, its process owner, and close."""

    @property
    def process(self) -> ChildProcess | None: ...

    def start(self, theorem: Theorem) -> ProofState: ...

    def apply(self, state: ProofState, goal_index: int, tactic: str) -> Outcome: ...

    def release(self, states: Sequence[ProofState]) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PoolStats:
    """Counts since the pool opened."""

    leases: int
    envs_created: int
    recycled: int
    crashed: int
    memory_kills: int


class _Slot:
    """One place in the pool (internal, guarded by the pool's lock)."""

    def __init__(self, index: int):
        self.index = index
        self.env: PooledEnv | None = None
        self.busy = False
        self.broken = False
        self.memory_note = ""


class Lease:
    """Exclusive use of one pooled env for one theorem; implements ``qed.core.Env``.

    Use as a context manager (``with pool.lease() as env``); after it is returned every
    call raises ``RuntimeError``.
    """

    def __init__(self, pool: LeanPool, slot: _Slot):
        self._pool = pool
        self._slot: _Slot | None = slot

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Give the env back to the pool (idempotent)."""
        slot, self._slot = self._slot, None
        if slot is not None:
            self._pool._give_back(slot)

    def _env(self) -> tuple[_Slot, PooledEnv]:
        slot = self._slot
        if slot is None or slot.env is None:
            raise RuntimeError("this lease was already given back to the pool")
        return slot, slot.env

    def _call(self, fn: Callable[[PooledEnv], Any]) -> Any:
        slot, env = self._env()
        try:
            return fn(env)
        except EnvCrashed as exc:
            slot.broken = True
            if slot.memory_note:
                raise EnvCrashed(f"{slot.memory_note} ({exc})") from exc
            raise

    @property
    def pid(self) -> int | None:
        """The leased env's process id (``None`` before it started)."""
        process = self._env()[1].process
        return process.pid if process is not None else None

    def start(self, theorem: Theorem) -> ProofState:
        return self._call(lambda env: env.start(theorem))

    def apply(self, state: ProofState, goal_index: int, tactic: str) -> Outcome:
        return self._call(lambda env: env.apply(state, goal_index, tactic))

    def release(self, states: Sequence[ProofState]) -> None:
        self._call(lambda env: env.release(states))


class LeanPool:
    """``size`` envs built by ``make_env``; see the module docstring for guarantees.

    ``clock`` is what ``max_age_s`` is measured with: a function returning seconds on the
    ``time.monotonic`` scale (a process's ``started_at`` comes from ``time.monotonic``), the
    real monotonic clock by default. Only the age check reads it (lease timeouts and the
    watchdog use real time); tests pass a clock that runs ahead instead of sleeping.
    """

    def __init__(
        self,
        make_env: Callable[[], PooledEnv],
        size: int,
        *,
        max_requests: int = 1000,
        max_age_s: float = 1800.0,
        max_rss_mb: float | None = None,
        watchdog_interval_s: float = 1.0,
        handle_signals: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"pool size must be a positive integer, got {size!r}")
        if max_requests < 1 or max_age_s <= 0:
            raise ValueError(f"max_requests and max_age_s must be positive, got {max_requests}, {max_age_s}")
        if max_rss_mb is not None and max_rss_mb <= 0:
            raise ValueError(f"max_rss_mb must be positive (or None for no cap), got {max_rss_mb}")
        self._make_env = make_env
        self._slots = [_Slot(i) for i in range(size)]
        self._max_requests = max_requests
        self._max_age_s = max_age_s
        self._clock = clock
        self._max_rss = None if max_rss_mb is None else int(max_rss_mb * 1024 * 1024)
        self._cond = threading.Condition()
        self._closed = False
        self._counts = {"leases": 0, "envs_created": 0, "recycled": 0, "crashed": 0, "memory_kills": 0}
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        if self._max_rss is not None:
            self._watchdog = threading.Thread(target=self._watch, args=(watchdog_interval_s,), daemon=True,
                                              name="lean-pool-watchdog")
            self._watchdog.start()
        self._previous: dict[int, Any] = {}
        if handle_signals and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._on_signal)

    # -- leases ------------------------------------------------------------------------

    def lease(self, timeout: float | None = None) -> Lease:
        """Wait (up to ``timeout`` seconds) for a free env and lease it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the pool is closed")
                slot = next((s for s in self._slots if not s.busy), None)
                if slot is not None:
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"no free Lean env within {timeout:g} s")
                self._cond.wait(remaining)
            slot.busy = True
            self._counts["leases"] += 1
        if slot.env is None:
            try:
                slot.env = self._make_env()
            except BaseException:
                self._give_back(slot)
                raise
            with self._cond:
                self._counts["envs_created"] += 1
        return Lease(self, slot)

    def _give_back(self, slot: _Slot) -> None:
        env = slot.env
        retire = env is not None and (slot.broken or self._worn_out(env))
        if retire and env is not None:
            env.close()
        with self._cond:
            if retire:
                self._counts["crashed" if slot.broken else "recycled"] += 1
                slot.env, slot.broken, slot.memory_note = None, False, ""
            if self._closed and slot.env is not None:
                slot.env.close()
            slot.busy = False
            self._cond.notify()

    def _worn_out(self, env: PooledEnv) -> bool:
        process = env.process
        if process is None:
            return False
        return process.requests >= self._max_requests or process.age_s(self._clock()) >= self._max_age_s

    # -- watchdog and shutdown -----------------------------------------------------------

    def _watch(self, interval: float) -> None:
        while not self._stop.wait(interval):
            for slot in self._slots:
                env = slot.env
                process = env.process if env is not None else None
                if process is None or self._max_rss is None:
                    continue
                rss = process.rss_bytes()
                if rss > self._max_rss:
                    slot.memory_note = (f"Lean process killed by the pool: resident memory "
                                        f"{rss / 2**20:.0f} MB over the {self._max_rss / 2**20:.0f} MB cap")
                    slot.broken = True
                    process.kill()
                    with self._cond:
                        self._counts["memory_kills"] += 1

    def pids(self) -> list[int]:
        """Process ids of every live child and descendant of the pool's envs."""
        processes = [slot.env.process for slot in self._slots if slot.env is not None]
        return [pid for process in processes if process is not None for pid in process.pids()]

    def stats(self) -> PoolStats:
        with self._cond:
            return PoolStats(**self._counts)

    def kill_all(self) -> None:
        """Kill every child process tree now, from any thread or a signal handler."""
        for slot in self._slots:
            process = slot.env.process if slot.env is not None else None
            if process is not None:
                process.kill()

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.kill_all()
        previous = self._previous.get(signum)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise SystemExit(128 + signum)

    def __enter__(self) -> LeanPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill every child, stop the watchdog, restore signal handlers (idempotent)."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._stop.set()
        self.kill_all()
        for slot in self._slots:
            if slot.env is not None:
                slot.env.close()
        if self._watchdog is not None:
            self._watchdog.join(timeout=5)
        if threading.current_thread() is threading.main_thread():
            for signum, previous in self._previous.items():
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()
