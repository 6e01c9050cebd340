"""The OpenAI-compatible model server: ``/v1/completions``, ``/v1/embeddings``, ``/v1/models``, ``/health``.

Owns the HTTP surface and its wiring to one in-process model: completions go through
``qed.policy.hf.generate``, embeddings through ``qed.value.encoder.HFEncoder`` (the same
backbone, mean-pooled), each behind a ``Batcher`` so concurrent requests share model calls;
both batchers run on one single-thread executor, so the model is never used by two threads
at once. Requests are validated by ``qed.serve.schemas`` (422 with a message); a request for a
model name that is not served is 404.

``running_server`` runs an app with uvicorn in a background thread on 127.0.0.1 (tests,
benchmarks); ``serve`` runs it in the foreground (``qed serve``).

Knows nothing about prompts or proof search: it completes whatever text it is sent.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from qed.policy.hf import Completion, SamplingParams, generate
from qed.serve.batcher import Batcher
from qed.serve.schemas import CompletionRequest, EmbeddingRequest
from qed.value.encoder import HFEncoder


@dataclass(frozen=True)
class ServeOptions:
    """Batching and naming: requests arriving within ``window_s`` of each other share a call."""

    served_name: str = "qed"
    window_s: float = 0.005
    max_batch_prompts: int = 64
    max_batch_sequences: int = 256
    max_batch_tokens: int = 16384
    embed_batch_size: int = 64


class Engine:
    """The model behind the server: sampling and embedding calls, run on one worker thread."""

    def __init__(self, model, tokenizer, options: ServeOptions = ServeOptions(), *, layer: int = -1):
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
        self.encoder = HFEncoder(model, tokenizer, layer=layer, batch_size=options.embed_batch_size)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qed-model")
        self.completions = Batcher(self._complete, self.executor, window_s=options.window_s,
                                   max_items=options.max_batch_prompts)
        self.embeddings = Batcher(self._embed, self.executor, window_s=options.window_s,
                                  max_items=options.max_batch_prompts * 4)

    def _complete(self, params: SamplingParams, prompts: list[str]) -> list[list[Completion]]:
        return generate(self.model, self.tokenizer, prompts, params,
                        max_batch_sequences=self.options.max_batch_sequences,
                        max_batch_tokens=self.options.max_batch_tokens)

    def _embed(self, _key: None, texts: list[str]) -> list[list[float]]:
        return self.encoder.encode(texts).tolist()

    async def start(self) -> None:
        await self.completions.start()
        await self.embeddings.start()

    async def stop(self) -> None:
        await self.completions.stop()
        await self.embeddings.stop()
        self.executor.shutdown(wait=False)


def _logprobs_block(tokenizer, c: Completion) -> dict:
    tokens = [tokenizer.decode([t]) for t in c.token_ids]
    offsets, pos = [], 0
    for t in tokens:
        offsets.append(pos)
        pos += len(t)
    return {
        "tokens": tokens,
        "token_logprobs": list(c.token_logprobs),
        "top_logprobs": [{t: lp} for t, lp in zip(tokens, c.token_logprobs, strict=True)],
        "text_offset": offsets,
    }


def create_app(engine: Engine) -> FastAPI:
    """The FastAPI app over ``engine``; the engine's batchers live as long as the app runs."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await engine.start()
        try:
            yield
        finally:
            await engine.stop()

    app = FastAPI(title="qed serve", lifespan=lifespan)
    name = engine.options.served_name

    def wrong_model(model: str | None) -> JSONResponse | None:
        if model is None or model == name:
            return None
        return JSONResponse(status_code=404, content={"error": {
            "message": f"model {model!r} is not served here; this server serves {name!r}",
            "type": "NotFoundError"}})

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "model": name}

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "qed",
                                             "created": 0}]}

    @app.post("/v1/completions")
    async def completions(req: CompletionRequest):
        if (bad := wrong_model(req.model)) is not None:
            return bad
        params = SamplingParams(n=req.n, temperature=req.temperature, top_p=req.top_p,
                                max_new_tokens=req.max_tokens, stop=req.stops(), seed=req.seed)
        prompts = req.prompts()
        results = await engine.completions.submit_many(params, prompts)
        choices, n_prompt, n_completion = [], 0, 0
        for i, (prompt, comps) in enumerate(zip(prompts, results, strict=True)):
            n_prompt += len(engine.tokenizer(prompt, add_special_tokens=False)["input_ids"])
            for j, c in enumerate(comps):
                n_completion += len(c.token_ids)
                choices.append({
                    "index": i * req.n + j,
                    "text": c.text,
                    "logprobs": _logprobs_block(engine.tokenizer, c) if req.logprobs is not None else None,
                    "finish_reason": c.finish_reason,
                })
        return {
            "id": f"cmpl-{time.time_ns():x}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": name,
            "choices": choices,
            "usage": {"prompt_tokens": n_prompt, "completion_tokens": n_completion,
                      "total_tokens": n_prompt + n_completion},
        }

    @app.post("/v1/embeddings")
    async def embeddings(req: EmbeddingRequest):
        if (bad := wrong_model(req.model)) is not None:
            return bad
        texts = req.texts()
        vectors = await engine.embeddings.submit_many(None, texts)
        n_tokens = sum(len(engine.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)
        return {
            "object": "list",
            "model": name,
            "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": n_tokens, "total_tokens": n_tokens},
        }

    return app


@contextlib.contextmanager
def running_server(app: FastAPI, *, host: str = "127.0.0.1", port: int = 0,
                   start_timeout_s: float = 30.0) -> Iterator[str]:
    """Run ``app`` with uvicorn in a background thread; yield its base URL; shut it down on exit.

    ``port=0`` picks a free port. Raises ``RuntimeError`` if the server does not start in time.
    """
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="qed-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"qed serve did not start on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def serve(app: FastAPI, *, host: str, port: int) -> None:
    """Run ``app`` in the foreground until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info")
