"""A shared in-process model behind one Ray actor, batching the requests of every prover.

Owns three pieces used by ``qed.dist.ray``:

- ``Batcher``: collects concurrent requests (from the actor's call threads), waits at most
  ``max_wait_s`` for more once the first arrives, and answers all requests with the same
  key (``n`` for proposals) with ONE call of the wrapped function, split back per request.
- ``ModelServer``: the actor body. It builds the policy and value function in its own
  process (on a GPU node when given ``num_gpus``) from factories, and serves ``propose`` and
  ``score`` through one batcher each. Calls run on actor threads (``max_concurrency``), so
  requests of different provers meet in the batcher.
- ``RemotePolicy`` / ``RemoteValue``: ``qed.core.Policy`` / ``ValueFn`` implementations that
  forward to such an actor; they are plain picklable values holding the actor handle.

Knows nothing about search, envs, files or config. Imports no ray itself: the caller
(``qed.dist.ray``) wraps ``ModelServer`` with ``ray.remote`` and passes ``ray.get``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from qed.core import Candidate, Policy, Query, ValueFn, ValueQuery


@dataclass(frozen=True)
class BatchCounts:
    """How many batched calls the server made, for how many queries, in how many seconds."""

    calls: int = 0
    queries: int = 0
    requests: int = 0
    seconds: float = 0.0


@dataclass
class _Request:
    key: Hashable
    items: list
    future: Future = field(default_factory=Future)


class Batcher:
    """Answers ``submit(key, items)`` from any thread; ``call(key, all_items)`` runs batched.

    ``call`` must return one answer per item, in order. An exception from ``call`` is given
    to every request of that batch. ``close`` stops the worker thread.
    """

    def __init__(self, call: Callable[[Hashable, list], list], *, max_wait_s: float = 0.002):
        self._call, self._wait = call, max_wait_s
        self._inbox: queue.Queue[_Request | None] = queue.Queue()
        self._lock = threading.Lock()
        self.counts = BatchCounts()
        self._thread = threading.Thread(target=self._loop, name="qed-batcher", daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, items: Sequence) -> list:
        request = _Request(key, list(items))
        if not request.items:
            return []
        self._inbox.put(request)
        return request.future.result()

    def close(self) -> None:
        self._inbox.put(None)
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            first = self._inbox.get()
            if first is None:
                return
            batch, deadline = [first], time.monotonic() + self._wait
            while (left := deadline - time.monotonic()) > 0:
                try:
                    more = self._inbox.get(timeout=left)
                except queue.Empty:
                    break
                if more is None:
                    self._inbox.put(None)
                    break
                batch.append(more)
            for key in dict.fromkeys(r.key for r in batch):
                self._answer(key, [r for r in batch if r.key == key])

    def _answer(self, key: Hashable, group: list[_Request]) -> None:
        items = [x for r in group for x in r.items]
        t = time.perf_counter()
        try:
            answers = self._call(key, items)
            if len(answers) != len(items):
                raise ValueError(f"the model answered {len(answers)} results for {len(items)} queries")
        except BaseException as exc:  # noqa: BLE001 - handed to the callers, who re-raise it
            for r in group:
                r.future.set_exception(exc)
            return
        seconds = time.perf_counter() - t
        c = self.counts
        self.counts = BatchCounts(
            c.calls + 1, c.queries + len(items), c.requests + len(group), c.seconds + seconds
        )
        i = 0
        for r in group:
            r.future.set_result(answers[i : i + len(r.items)])
            i += len(r.items)


class ModelServer:
    """Actor body: one policy and/or value function, built here, batched across callers."""

    def __init__(
        self,
        make_policy: Callable[[], Policy] | None,
        make_value: Callable[[], ValueFn | None] | None,
        max_wait_s: float = 0.002,
    ):
        self._policy = make_policy() if make_policy is not None else None
        self._value = make_value() if make_value is not None else None
        self._proposals = Batcher(lambda n, qs: self._policy.propose(qs, n), max_wait_s=max_wait_s)
        self._scores = Batcher(lambda _k, qs: self._value.score(qs), max_wait_s=max_wait_s)

    def ready(self) -> tuple[bool, bool]:
        """(has a policy, has a value function); returns once both are built."""
        return self._policy is not None, self._value is not None

    def propose(self, queries: list[Query], n: int) -> list[list[Candidate]]:
        if self._policy is None:
            raise ValueError("this model server has no policy")
        return self._proposals.submit(n, queries)

    def score(self, queries: list[ValueQuery]) -> list[float]:
        if self._value is None:
            raise ValueError("this model server has no value function")
        return self._scores.submit(None, queries)

    def counts(self) -> dict[str, BatchCounts]:
        return {"policy": self._proposals.counts, "value": self._scores.counts}


@dataclass(frozen=True)
class RemotePolicy:
    """A ``Policy`` answered by a ``ModelServer`` actor (``get`` is ``ray.get``)."""

    server: object
    get: Callable

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        return self.get(self.server.propose.remote(list(queries), n))


@dataclass(frozen=True)
class RemoteValue:
    """A ``ValueFn`` answered by a ``ModelServer`` actor (``get`` is ``ray.get``)."""

    server: object
    get: Callable

    def score(self, queries: Sequence[ValueQuery]) -> list[float]:
        return self.get(self.server.score.remote(list(queries)))
