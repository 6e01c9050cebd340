"""Policy, encoder and server throughput, each against a naive one-state-at-a-time baseline.

Builds a tiny random model in memory (``qed model init --size tiny`` architecture, tokenizer
trained on miniF2F statements) unless ``--model DIR`` is given, then measures on miniF2F
states (the prompt format of search):

- policy: candidates/s of ``HFPolicy.propose`` with ``--n`` (16) candidates per state, all
  states in one batched call, vs one ``propose`` call per state;
- encoder: states/s of ``HFEncoder.encode`` on all states at once vs one state per call;
- server: requests/s through ``qed serve`` (real HTTP on 127.0.0.1) with ``--concurrency``
  requests in flight, batched by the server, vs the same requests sent one after another.

Sampling runs to ``--max-new-tokens`` when the model never emits the stop fence (a random
model), so absolute numbers are a worst case; the ratios are the point.

    python benchmarks/policy_server.py [--states 32] [--n 16] [--model DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--states", type=int, default=32)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=24)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--model", default="")
    args = ap.parse_args()

    import httpx

    from qed.core import Query
    from qed.data.benchmarks import load_benchmark
    from qed.policy.hf import HFPolicy
    from qed.policy.models import init_model, load_model, train_tokenizer
    from qed.policy.prompt import STOP, format_query
    from qed.serve.app import Engine, ServeOptions, create_app, running_server
    from qed.value.encoder import HFEncoder

    theorems = load_benchmark("minif2f_v1")
    if args.model:
        model, tok = load_model(args.model)
    else:
        tok = train_tokenizer([t.header + t.statement + "\n" + (t.goal or "") for t in theorems], 1000)
        model = init_model("tiny", tok)
        model.eval()
    queries = [Query(t, t.goal or "") for t in theorems[: args.states]]
    texts = [q.state for q in queries]
    print(f"{len(queries)} miniF2F states, {args.n} candidates per state, "
          f"max {args.max_new_tokens} new tokens")

    policy = HFPolicy(model, tok, temperature=1.0, max_new_tokens=args.max_new_tokens, seed=0)
    policy.propose(queries[:2], 2)  # warm-up
    _, t_batch = _timed(lambda: policy.propose(queries, args.n))
    _, t_naive = _timed(lambda: [policy.propose([q], args.n) for q in queries])
    cand = len(queries) * args.n
    print(f"policy   batched {cand / t_batch:8.1f} candidates/s   one state per call {cand / t_naive:8.1f}"
          f"   speed-up {t_naive / t_batch:5.2f}x")

    enc = HFEncoder(model, tok, batch_size=64)
    enc.encode(texts[:2])
    _, t_batch = _timed(lambda: enc.encode(texts))
    _, t_naive = _timed(lambda: [enc.encode([t]) for t in texts])
    print(f"encoder  batched {len(texts) / t_batch:8.1f} states/s       one state per call "
          f"{len(texts) / t_naive:8.1f}   speed-up {t_naive / t_batch:5.2f}x")

    engine = Engine(model, tok, ServeOptions(window_s=0.01))
    bodies = [{"prompt": format_query(q), "n": args.n, "max_tokens": args.max_new_tokens, "temperature": 1.0,
               "stop": list(STOP), "logprobs": 1} for q in queries]
    with running_server(create_app(engine)) as url:

        async def concurrent() -> None:
            limit = asyncio.Semaphore(args.concurrency)
            async with httpx.AsyncClient(timeout=600) as client:

                async def one(body):
                    async with limit:
                        r = await client.post(f"{url}/v1/completions", json=body)
                        r.raise_for_status()

                await asyncio.gather(*(one(b) for b in bodies))

        def sequential() -> None:
            with httpx.Client(timeout=600) as client:
                for b in bodies:
                    client.post(f"{url}/v1/completions", json=b).raise_for_status()

        asyncio.run(concurrent())  # warm-up
        calls = engine.completions.calls
        _, t_batch = _timed(lambda: asyncio.run(concurrent()))
        batched_calls = engine.completions.calls - calls
        _, t_naive = _timed(sequential)
    print(f"server   concurrent {len(bodies) / t_batch:6.2f} requests/s  one request at a time "
          f"{len(bodies) / t_naive:6.2f}   speed-up {t_naive / t_batch:5.2f}x "
          f"({len(bodies)} requests in {batched_calls} model calls)")


if __name__ == "__main__":
    main()
