"""Bounded load on ``qed serve`` over real HTTP on 127.0.0.1: throughput, latency percentiles and
resident memory, against a one-request-at-a-time baseline measured in the same run.

Builds a tiny random model in memory (``qed model init --size tiny`` architecture, tokenizer
trained on miniF2F statements) unless ``--model DIR`` is given, serves it in this process on
127.0.0.1 (never another host), then:

1. baseline: ``--baseline`` requests sent one after another (each waits for the previous);
2. load: ``--requests`` requests with at most ``--concurrency`` in flight (the server batches
   them); every ``--bad-every``-th request is a poisoned one (a lone surrogate in the prompt),
   which must get 422 without hurting the others.

Both phases stop early at ``--time-limit`` seconds each (requests not yet sent are skipped and
reported). Prints requests/s and generated tokens/s, p50/p95/p99 latency, their ratios to the
baseline, and the process's resident size before, at the peak of, and after the load (after
the server has given memory back). A random model never emits a stop string, so every
completion runs to ``--max-tokens``: absolute numbers are a worst case; the ratios are the point.

    python benchmarks/serve_load.py [--requests 64] [--concurrency 16] [--n 4] [--max-tokens 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import threading
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

HOST = "127.0.0.1"
MiB = 2**20


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


class _Peak:
    """Peak resident size of this process, sampled every 10 ms while running."""

    def __init__(self, proc):
        self.proc, self.peak = proc, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=64, help="requests in the load phase")
    ap.add_argument("--baseline", type=int, default=16, help="requests in the one-at-a-time baseline")
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight at once")
    ap.add_argument("--n", type=int, default=4, help="completions per request")
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--bad-every", type=int, default=8, help="every K-th load request is poisoned (0: none)")
    ap.add_argument("--time-limit", type=float, default=300.0, help="seconds per phase, at most")
    ap.add_argument("--window", type=float, default=0.01, help="server batching window, seconds")
    ap.add_argument("--model", default="")
    args = ap.parse_args()
    if min(args.requests, args.baseline, args.concurrency, args.n, args.max_tokens) < 1:
        ap.error("--requests, --baseline, --concurrency, --n and --max-tokens must be >= 1")

    import httpx
    import psutil

    from qed.data.benchmarks import load_benchmark
    from qed.policy.models import init_model, load_model, train_tokenizer
    from qed.serve.app import Engine, ServeOptions, create_app, running_server
    from qed.serve.memory import release_memory

    theorems = load_benchmark("minif2f_v1")
    if args.model:
        model, tok = load_model(args.model)
    else:
        tok = train_tokenizer([t.header + t.statement + "\n" + (t.goal or "") for t in theorems], 1000)
        model = init_model("tiny", tok)
        model.eval()
    states = [t.goal or t.statement for t in theorems]

    def body(i: int, bad: bool = False) -> dict:
        prompt = states[i % len(states)][:400]
        return {"prompt": prompt + ("\ud800" if bad else ""), "n": args.n, "max_tokens": args.max_tokens,
                "temperature": 1.0}  # no seed: requests with one seed each could not share a call

    proc = psutil.Process()
    engine = Engine(model, tok, ServeOptions(window_s=args.window))
    with running_server(create_app(engine), host=HOST) as url:
        assert url.startswith(f"http://{HOST}:")
        with httpx.Client(timeout=600) as client:  # warm-up
            client.post(f"{url}/v1/completions", json=body(0)).raise_for_status()

        # 1. one request at a time
        base_lat, base_tokens, base_done = [], 0, 0
        deadline = time.monotonic() + args.time_limit
        with httpx.Client(timeout=600) as client:
            t0 = time.perf_counter()
            for i in range(args.baseline):
                if time.monotonic() > deadline:
                    break
                t = time.perf_counter()
                r = client.post(f"{url}/v1/completions", json=body(i))
                r.raise_for_status()
                base_lat.append(time.perf_counter() - t)
                base_tokens += r.json()["usage"]["completion_tokens"]
                base_done += 1
            base_wall = time.perf_counter() - t0

        # 2. bounded concurrent load
        release_memory()
        rss_before = proc.memory_info().rss
        calls_before = engine.completions.calls
        lat: list[float] = []
        statuses: dict[int, int] = {}
        tokens = 0
        skipped = 0

        async def load() -> float:
            nonlocal tokens, skipped
            limit = asyncio.Semaphore(args.concurrency)
            stop_at = time.monotonic() + args.time_limit
            pool = httpx.Limits(max_connections=args.concurrency)
            async with httpx.AsyncClient(timeout=600, limits=pool) as c:

                async def one(i: int) -> None:
                    nonlocal tokens, skipped
                    bad = args.bad_every > 0 and i % args.bad_every == args.bad_every - 1
                    async with limit:
                        if time.monotonic() > stop_at:
                            skipped += 1
                            return
                        t = time.perf_counter()
                        # json.dumps escapes the lone surrogate as \ud800 (httpx's json= cannot send it)
                        r = await c.post(f"{url}/v1/completions", content=json.dumps(body(i, bad)),
                                         headers={"content-type": "application/json"})
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                        if bad:
                            assert r.status_code == 422, r.text
                            return
                        r.raise_for_status()
                        lat.append(time.perf_counter() - t)
                        tokens += r.json()["usage"]["completion_tokens"]

                t0 = time.perf_counter()
                await asyncio.gather(*(one(i) for i in range(args.requests)))
                return time.perf_counter() - t0

        with _Peak(proc) as peak:
            wall = asyncio.run(load())
        calls = engine.completions.calls - calls_before
        time.sleep(0.2)
        rss_after = proc.memory_info().rss

    good = len(lat)
    rps, base_rps = good / wall, base_done / base_wall
    tps, base_tps = tokens / wall, base_tokens / base_wall
    print(f"model: {'tiny (random)' if not args.model else args.model}; n {args.n}, max_tokens "
          f"{args.max_tokens}, concurrency {args.concurrency}, batching window {args.window * 1000:.0f} ms")
    print(f"baseline (one at a time): {base_done} requests in {base_wall:.1f} s: {base_rps:.2f} req/s, "
          f"{base_tps:.0f} tokens/s; latency p50 {_percentile(base_lat, 50) * 1000:.0f} ms, "
          f"p95 {_percentile(base_lat, 95) * 1000:.0f} ms, p99 {_percentile(base_lat, 99) * 1000:.0f} ms")
    print(f"load: {good} good requests in {wall:.1f} s ({calls} model calls; statuses "
          f"{dict(sorted(statuses.items()))}; {skipped} skipped at the time limit): {rps:.2f} req/s, "
          f"{tps:.0f} tokens/s; latency p50 {_percentile(lat, 50) * 1000:.0f} ms, "
          f"p95 {_percentile(lat, 95) * 1000:.0f} ms, p99 {_percentile(lat, 99) * 1000:.0f} ms")
    print(f"ratios vs baseline: throughput {rps / base_rps:.2f}x, p50 latency "
          f"{_percentile(lat, 50) / _percentile(base_lat, 50):.2f}x, p99 latency "
          f"{_percentile(lat, 99) / _percentile(base_lat, 99):.2f}x")
    print(f"RSS: before {rss_before / MiB:.0f} MiB, peak {peak.peak / MiB:.0f} MiB, "
          f"after {rss_after / MiB:.0f} MiB (kept {(rss_after - rss_before) / MiB:+.0f} MiB)")


if __name__ == "__main__":
    main()
