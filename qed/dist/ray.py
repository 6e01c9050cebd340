"""``RayProver``: best-first search over a Ray cluster, theorems handed out one at a time.

The only module of qed that imports ray. Owns:

- ``connect``: join a cluster (``address``) or start a private local one bound to loopback
  (127.0.0.1, no dashboard, usage stats off, a bounded object store); reuses a running one.
- prover actors (``_ProverActor``): each builds its own env source (a shared sandbox, or a
  ``LeanPool`` of ``env processes per prover`` Lean processes) and policy/value in its own
  process, and runs up to ``searches`` searches at once through a ``LocalProver``, so the
  searches of one actor batch their model calls exactly as ``dist=local`` does.
- a shared inference endpoint: either every prover builds its own policy (an
  ``HttpPolicy`` talking to one OpenAI-compatible server, or a cheap scripted policy), or
  ONE ``qed.dist.ray_model.ModelServer`` actor (with ``num_gpus``) holds the in-process
  model and batches the requests of all provers.
- the driver loop (``RayProver.prove``): dynamic work distribution (a free search slot on
  any live actor takes the next theorem: work stealing, not static shards), results
  streamed back as each search ends. An actor or node lost mid-run loses only its in-flight
  theorems: they go back to the front of the queue and run on another actor (a replacement
  actor is started), at most ``max_attempts`` times, after which the theorem is reported
  as an infrastructure failure (status ``error``, stop reason ``crashed``).

Knows nothing about files, config or summaries: like ``LocalProver`` it yields
``SearchResult`` values and ``qed.eval.prove.run_prove`` writes them (and resumes).
"""

from __future__ import annotations

import os
import queue
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass

import ray
from ray.exceptions import ActorUnavailableError, ObjectLostError, RayActorError, WorkerCrashedError

from qed.core import Policy, Theorem, ValueFn
from qed.dist.local import EnvSource, LocalProver, shared
from qed.dist.ray_model import ModelServer, RemotePolicy, RemoteValue
from qed.search.best_first import SearchSettings
from qed.search.result import Budget, SearchResult

_LOST = (RayActorError, ActorUnavailableError, WorkerCrashedError, ObjectLostError)


class ProverStartError(ValueError):
    """No prover actor could be started (its env, policy or value failed to build), or too
    many were lost; says why (the actor's own error)."""


@dataclass(frozen=True)
class Resources:
    """What one actor asks the Ray scheduler for (``memory_mb=0``: no memory reservation)."""

    num_cpus: float = 1.0
    memory_mb: int = 0
    num_gpus: float = 0.0

    def options(self) -> dict:
        out: dict = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}
        if self.memory_mb > 0:
            out["memory"] = self.memory_mb * 2**20
        return out


@contextmanager
def connect(
    address: str = "", *, num_cpus: int | None = None, object_store_mb: int = 200
) -> Iterator[dict]:
    """Ray for the duration of the block; yields ``ray.cluster_resources()``.

    A running Ray (``ray.is_initialized()``) is used as is and left running. Otherwise
    ``address`` names a cluster to join (``ray://…`` or ``host:port``; ``auto`` for the one
    started on this machine by ``ray start``), and an empty ``address`` starts a private
    instance on this machine, bound to 127.0.0.1, which is shut down on exit. Usage-stats
    reporting is turned off (``RAY_USAGE_STATS_ENABLED=0``) unless set in the environment.
    """
    if ray.is_initialized():
        yield ray.cluster_resources()
        return
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address:
        local = address.split("://")[-1].rsplit(":", 1)[0] in ("127.0.0.1", "localhost")
        with _loopback() if local else nullcontext():
            ray.init(address=address, log_to_driver=False)
    else:
        with _loopback():
            ray.init(
                num_cpus=num_cpus,
                object_store_memory=object_store_mb * 2**20,
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                log_to_driver=False,
            )
    try:
        yield ray.cluster_resources()
    finally:
        ray.shutdown()


@dataclass(frozen=True)
class SandboxEnvs:
    """A picklable ``make_envs`` for the sandbox: each actor shares one ``SandboxEnv``."""

    tactic_timeout_s: float = 5.0

    def __call__(self) -> AbstractContextManager[EnvSource]:
        from qed.env.sandbox.env import SandboxEnv

        return nullcontext(shared(SandboxEnv(tactic_timeout_s=self.tactic_timeout_s)))


@contextmanager
def _loopback() -> Iterator[None]:
    """While a private instance starts or a loopback address is joined: keep 127.0.0.1.

    Ray replaces a loopback node address with the machine's routable one unless its
    single-machine switch (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, read once at import) is
    off; it is turned off for this process and the Ray processes started meanwhile, then
    restored, so joining a real cluster later in the same process is unaffected.
    """
    from ray._private import ray_constants

    key, before = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER")
    flag = ray_constants.ENABLE_RAY_CLUSTER
    os.environ[key], ray_constants.ENABLE_RAY_CLUSTER = "0", False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = flag
        if before is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = before


def alive_nodes() -> int:
    """How many nodes of the connected cluster are alive and offer CPUs."""
    return sum(1 for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0)


def infrastructure_failure(theorem: Theorem, message: str, budget: Budget) -> SearchResult:
    """The result recorded for a theorem whose searches were all lost with their actors."""
    return SearchResult(theorem, "error", (), budget=budget, stop_reason="crashed", message=message)


class _ProverActor:
    """Actor body: an env source, a policy and a value function, and a ``LocalProver`` fed from
    an inbox. ``prove(theorem)`` is called on up to ``searches`` actor threads at once; a
    single scheduler thread runs those searches interleaved, batching their model calls."""

    def __init__(
        self,
        make_envs: Callable[[], AbstractContextManager[EnvSource]],
        make_policy: Callable[[], Policy] | RemotePolicy,
        make_value: Callable[[], ValueFn | None] | RemoteValue | None,
        budget: Budget,
        settings: SearchSettings,
        searches: int,
        threads: int,
    ):
        self._stack = ExitStack()
        envs = self._stack.enter_context(make_envs())
        policy = make_policy if isinstance(make_policy, RemotePolicy) else make_policy()
        value = make_value if make_value is None or isinstance(make_value, RemoteValue) else make_value()
        self._prover = LocalProver(
            envs=envs,
            policy=policy,
            value=value,
            budget=budget,
            settings=settings,
            concurrency=searches,
            threads=threads,
        )
        self._inbox: queue.Queue[tuple[Theorem, Future]] = queue.Queue()
        self._waiting: dict[str, Future] = {}
        threading.Thread(target=self._loop, name="qed-prover", daemon=True).start()

    def ready(self) -> bool:
        return True

    def pid(self) -> int:
        return os.getpid()

    def prove(self, theorem: Theorem) -> SearchResult:
        future: Future = Future()
        self._inbox.put((theorem, future))
        return future.result()

    def _feed(self, first: tuple[Theorem, Future]) -> Iterator[Theorem | None]:
        """Theorems as they arrive; ``None`` (no new theorem this round) while the inbox is empty."""
        item: tuple[Theorem, Future] | None = first
        while True:
            if item is None:
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    yield None
                    continue
            theorem, future = item
            item = None
            self._waiting[theorem.name] = future
            yield theorem

    def _loop(self) -> None:
        while True:
            first = self._inbox.get()
            try:
                for result in self._prover.prove(self._feed(first)):
                    self._waiting.pop(result.theorem.name).set_result(result)
            except BaseException as exc:  # noqa: BLE001 - every waiting caller re-raises it
                for future in self._waiting.values():
                    future.set_exception(exc)
            self._waiting.clear()


@dataclass(eq=False)
class _Actor:
    handle: object
    free: int
    alive: bool = True


class RayProver:
    """Proves theorems on ``provers`` Ray actors, ``searches`` searches per actor at once.

    ``make_envs()`` (run inside each actor) returns a context manager yielding the actor's
    ``EnvSource``. ``policy`` / ``value`` are either factories run inside each actor (an HTTP
    policy, a scripted one; ``value`` may be None for LLM-only search) or, with
    ``model_server`` resources given, factories run once inside a ``ModelServer`` actor that
    all provers share. Needs a connected Ray (``connect``). ``stats`` counts attempts,
    retries, lost actors and infrastructure failures of the last ``prove``.
    """

    def __init__(
        self,
        *,
        make_envs: Callable[[], AbstractContextManager[EnvSource]],
        policy: Callable[[], Policy],
        value: Callable[[], ValueFn | None] | None,
        budget: Budget,
        settings: SearchSettings = SearchSettings(),
        provers: int = 2,
        searches: int = 1,
        threads: int = 1,
        resources: Resources = Resources(),
        model_server: Resources | None = None,
        max_attempts: int = 3,
        batch_wait_s: float = 0.002,
    ):
        if provers < 1 or searches < 1 or threads < 1 or max_attempts < 1:
            raise ValueError("provers, searches, threads and max_attempts must all be >= 1")
        self.make_envs, self.policy, self.value = make_envs, policy, value
        self.budget, self.settings = budget, settings
        self.provers, self.searches, self.threads = provers, searches, threads
        self.resources, self.model_server = resources, model_server
        self.max_attempts, self.batch_wait_s = max_attempts, batch_wait_s
        self.actors: list[object] = []
        self.server: object | None = None
        self.stats: Counter = Counter()

    def prove(self, theorems: Iterable[Theorem]) -> Iterator[SearchResult]:
        """Search each theorem somewhere in the cluster; yield each result as it arrives."""
        self.stats = Counter()
        pending = deque(theorems)
        attempts: Counter = Counter()
        inflight: dict[object, tuple[Theorem, _Actor]] = {}
        starting: dict[object, _Actor] = {}
        actors: list[_Actor] = []
        try:
            policy, value = self._endpoint()
            for _ in range(min(self.provers, max(1, len(pending)))):
                self._start(policy, value, actors, starting)
            while pending or inflight:
                for actor in actors:
                    while actor.alive and actor.free > 0 and pending and actor not in starting.values():
                        theorem = pending.popleft()
                        attempts[theorem.name] += 1
                        self.stats["attempts"] += 1
                        inflight[actor.handle.prove.remote(theorem)] = (theorem, actor)
                        actor.free -= 1
                if not inflight and not starting:
                    if self.stats["lost_actors"] >= self._max_lost():
                        raise ProverStartError(f"{self.stats['lost_actors']} prover actors lost; giving up")
                    self._start(policy, value, actors, starting)
                [ref], _ = ray.wait([*inflight, *starting], num_returns=1)
                if ref in starting:
                    actor = starting.pop(ref)
                    try:
                        ray.get(ref)
                        self.stats["started"] += 1
                    except _LOST as exc:
                        if not self.stats["started"] or self.stats["lost_actors"] >= self._max_lost():
                            raise ProverStartError(f"a prover actor could not start: {exc}") from exc
                        self._lost(actor, policy, value, actors, starting)
                    continue
                theorem, actor = inflight.pop(ref)
                try:
                    result = ray.get(ref)
                except _LOST as exc:
                    if actor.alive:
                        self._lost(actor, policy, value, actors, starting)
                    if attempts[theorem.name] >= self.max_attempts:
                        self.stats["infrastructure_failures"] += 1
                        yield infrastructure_failure(
                            theorem,
                            f"lost with its prover actor {attempts[theorem.name]} times "
                            f"({type(exc).__name__})",
                            self.budget,
                        )
                    else:
                        self.stats["retries"] += 1
                        pending.appendleft(theorem)
                    continue
                actor.free += 1
                yield result
        finally:
            for actor in actors:
                ray.kill(actor.handle)
            if self.server is not None:
                ray.kill(self.server)
            self.actors, self.server = [], None

    # ---- internals ------------------------------------------------------------------

    def _endpoint(self) -> tuple[object, object]:
        """What each prover builds its policy and value from: factories, or remote handles."""
        if self.model_server is None:
            return self.policy, self.value
        server_cls = ray.remote(ModelServer).options(
            max_concurrency=max(4, 2 * self.provers * self.searches), **self.model_server.options()
        )
        self.server = server_cls.remote(self.policy, self.value, self.batch_wait_s)
        has_policy, has_value = ray.get(self.server.ready.remote())
        return RemotePolicy(self.server, ray.get), RemoteValue(self.server, ray.get) if has_value else None

    def _start(self, policy, value, actors: list[_Actor], starting: dict) -> None:
        actor_cls = ray.remote(_ProverActor).options(
            max_concurrency=self.searches + 2, scheduling_strategy="SPREAD", **self.resources.options()
        )
        handle = actor_cls.remote(
            self.make_envs, policy, value, self.budget, self.settings, self.searches, self.threads
        )
        actor = _Actor(handle, self.searches)
        actors.append(actor)
        self.actors = [a.handle for a in actors if a.alive]
        starting[handle.ready.remote()] = actor

    def _lost(self, actor: _Actor, policy, value, actors: list[_Actor], starting: dict) -> None:
        actor.alive = False
        self.stats["lost_actors"] += 1
        self.actors = [a.handle for a in actors if a.alive]
        if self.stats["lost_actors"] < self._max_lost():
            self._start(policy, value, actors, starting)

    def _max_lost(self) -> int:
        return self.provers * (self.max_attempts + 1)
