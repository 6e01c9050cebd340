"""The batching queue: grouping by key, order of results, errors delivered to their callers."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from qed.serve.batcher import Batcher


def test_items_with_the_same_key_share_a_call_and_get_their_own_results():
    calls: list[tuple[str, list[int]]] = []

    def run(key, payloads):
        calls.append((key, list(payloads)))
        if key == "bad":
            raise ValueError("boom")
        return [f"{key}:{p * 10}" for p in payloads]

    async def main():
        b = Batcher(run, ThreadPoolExecutor(1), window_s=0.05, max_items=100)
        await b.start()
        try:
            good = asyncio.gather(*(b.submit("a" if i % 2 else "b", i) for i in range(6)))
            bad = asyncio.gather(b.submit("bad", 1), return_exceptions=True)
            results, errors = await asyncio.gather(good, bad)
            after = await b.submit("a", 9)  # the worker survived the error
        finally:
            await b.stop()
        return results, errors, after

    results, errors, after = asyncio.run(main())
    assert results == [f"{'a' if i % 2 else 'b'}:{i * 10}" for i in range(6)]
    assert isinstance(errors[0], ValueError)
    assert after == "a:90"
    keys = [k for k, _ in calls]
    assert keys.count("a") == 2 and keys.count("b") == 1  # 3 'a's and 3 'b's, one call each; then one more


def test_submit_before_start_is_an_error():
    b = Batcher(lambda k, p: p, ThreadPoolExecutor(1))
    with pytest.raises(RuntimeError, match="start"):
        asyncio.run(b.submit(None, 1))


def test_a_failing_item_fails_alone_and_the_items_sharing_its_call_still_get_results():
    calls: list[list[int]] = []

    def run(_key, payloads):
        calls.append(list(payloads))
        if 13 in payloads:
            raise ValueError("poisoned")
        return [p * 10 for p in payloads]

    async def main():
        b = Batcher(run, ThreadPoolExecutor(1), window_s=0.05, max_items=100)
        await b.start()
        try:
            out = await asyncio.gather(*(b.submit("k", p) for p in (1, 2, 13, 4)), return_exceptions=True)
        finally:
            await b.stop()
        return out, b.isolated

    out, isolated = asyncio.run(main())
    assert out[:2] == [10, 20] and out[3] == 40
    assert isinstance(out[2], ValueError)
    assert calls[0] == [1, 2, 13, 4] and isolated == 1  # one shared call, then each item alone
