"""A small async batching queue: concurrent requests share one model call.

Owns the collection policy: the worker waits for a first item, then keeps collecting for
``window_s`` seconds or until ``max_items`` items are queued, groups the items by their key
(items with different sampling parameters never share a call), and runs
``run(key, payloads) -> results`` once per group in ``executor`` (a single-thread executor
keeps the model single-user). Each submitter awaits its own result. When a group's call
raises, every item of the group is run again on its own, so only the items that fail alone
get the exception and the innocent ones sharing the call still get their results (callers
validate items before submitting; this is the second line of defence). The worker keeps going.

Knows nothing about models, HTTP or what keys and payloads mean.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field


@dataclass
class _Item:
    key: Hashable
    payload: object
    future: asyncio.Future = field(repr=False)


class Batcher:
    """``await batcher.submit(key, payload)`` -> that payload's result, computed in a batch."""

    def __init__(self, run: Callable[[Hashable, list], Sequence], executor: Executor, *,
                 window_s: float = 0.005, max_items: int = 64):
        self._run = run
        self._executor = executor
        self.window_s = window_s
        self.max_items = max_items
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task | None = None
        self.calls = 0  # model calls made (for tests and benchmarks)
        self.isolated = 0  # calls that failed with several items and were rerun item by item

    async def start(self) -> None:
        """Start the worker on the running loop."""
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._worker())

    async def stop(self) -> None:
        """Stop the worker; items still queued fail with ``RuntimeError``."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        while self._queue is not None and not self._queue.empty():
            item = self._queue.get_nowait()
            if not item.future.done():
                item.future.set_exception(RuntimeError("server shutting down"))

    async def submit(self, key: Hashable, payload: object):
        if self._queue is None:
            raise RuntimeError("Batcher.start() was not called")
        fut = asyncio.get_running_loop().create_future()
        await self._queue.put(_Item(key, payload, fut))
        return await fut

    async def submit_many(self, key: Hashable, payloads: Sequence[object]) -> list:
        """Submit several payloads under one key; results in the same order."""
        return list(await asyncio.gather(*(self.submit(key, p) for p in payloads)))

    async def _collect(self) -> list[_Item]:
        assert self._queue is not None
        items = [await self._queue.get()]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.window_s
        while len(items) < self.max_items:
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                items.append(await asyncio.wait_for(self._queue.get(), timeout=left))
            except TimeoutError:
                break
        while len(items) < self.max_items and not self._queue.empty():
            items.append(self._queue.get_nowait())
        return items

    async def _worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            items = await self._collect()
            groups: dict[Hashable, list[_Item]] = {}
            for item in items:
                groups.setdefault(item.key, []).append(item)
            for key, group in groups.items():
                live = [it for it in group if not it.future.done()]
                if not live:
                    continue
                await self._run_group(loop, key, live)

    async def _run_group(self, loop, key: Hashable, live: list[_Item]) -> None:
        try:
            self.calls += 1
            results = await loop.run_in_executor(self._executor, self._run, key, [it.payload for it in live])
        except Exception as exc:  # delivered to the callers, the worker survives
            if len(live) == 1:
                if not live[0].future.done():
                    live[0].future.set_exception(exc)
                return
            self.isolated += 1
            for it in live:  # find the culprit: each item alone
                if not it.future.done():
                    await self._run_group(loop, key, [it])
            return
        for it, res in zip(live, results, strict=True):
            if not it.future.done():
                it.future.set_result(res)
