"""The OpenAI-compatible model server: ``/v1/completions``, ``/v1/embeddings``, ``/v1/models``, ``/health``.

Owns the HTTP surface and its wiring to one in-process model: completions go through
``qed.policy.hf.generate``, embeddings through ``qed.value.encoder.HFEncoder`` (the same
backbone, mean-pooled), each behind a ``Batcher`` so concurrent requests share model calls;
both batchers run on one single-thread executor, so the model is never used by two threads
at once. A request for a model name that is not served is 404.

Reliability contract (docs/reliability.md): every request is validated and tokenised on its own,
before it is batched with others: the body by ``qed.serve.schemas``, then its prompts (each one
tokenised), its stop strings, ``max_tokens`` against the model's context, ``prompts x n x
max_tokens`` against ``ServeOptions.max_request_tokens`` and its estimated memory
(``qed.policy.hf.sampling_bytes``) against ``ServeOptions.max_request_bytes``. A request that
fails any of these is answered 422 naming the field and never reaches the model, so it cannot
fail the requests it would have shared a call with; a body over ``max_body_bytes`` is 413.
Batches are split to stay within ``max_batch_bytes``; after a call estimated above
``release_after_bytes`` the process gives its memory back (``qed.serve.memory``). All limits
live in ``ServeOptions``.

``running_server`` runs an app with uvicorn in a background thread on 127.0.0.1 (tests,
benchmarks); ``bind`` and ``serve`` run it in the foreground (``qed serve``): ``bind`` fails
with ``ServeStartError`` (one line, no traceback) on a bad port or host or a port in use.

Knows nothing about prompts or proof search: it completes whatever text it is sent.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from qed.policy.hf import Completion, SamplingParams, context_length, generate, sampling_bytes
from qed.serve.batcher import Batcher
from qed.serve.memory import release_memory, rss_bytes
from qed.serve.schemas import CompletionRequest, EmbeddingRequest
from qed.value.encoder import HFEncoder

log = logging.getLogger(__name__)

MiB = 2**20


@dataclass(frozen=True)
class ServeOptions:
    """Every knob of the server in one place: naming, batching, and the per-request and
    per-batch limits.

    Batching: requests arriving within ``window_s`` of each other share a call. Limits (a
    request over one is answered 422 naming the field, before it reaches the model):
    ``max_request_tokens`` bounds prompts x n x max_tokens (tokens a completion request may
    generate); ``max_request_prompts`` and ``max_embed_inputs`` bound list lengths;
    ``max_request_bytes`` bounds a completion request's estimated memory
    (``qed.policy.hf.sampling_bytes``), ``max_batch_bytes`` that of one model call (concurrent
    requests are split into calls within it); ``max_body_bytes`` bounds a request body (413).
    After a call estimated above ``release_after_bytes`` the process frees caches and trims its
    heap.
    """

    served_name: str = "qed"
    window_s: float = 0.005
    max_batch_prompts: int = 64
    max_batch_sequences: int = 256
    max_batch_tokens: int = 16384
    embed_batch_size: int = 64
    max_request_tokens: int = 131072
    max_request_prompts: int = 256
    max_embed_inputs: int = 2048
    max_request_bytes: int = 2048 * MiB
    max_batch_bytes: int = 4096 * MiB
    max_body_bytes: int = 16 * MiB
    release_after_bytes: int = 16 * MiB

    def __post_init__(self) -> None:
        for name in ("max_batch_prompts", "max_batch_sequences", "max_batch_tokens", "embed_batch_size",
                     "max_request_tokens", "max_request_prompts", "max_embed_inputs", "max_request_bytes",
                     "max_batch_bytes", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"ServeOptions.{name} must be >= 1, got {getattr(self, name)}")
        if self.window_s < 0 or self.release_after_bytes < 0:
            raise ValueError("ServeOptions.window_s and release_after_bytes must be >= 0")
        if self.max_request_bytes > self.max_batch_bytes:
            raise ValueError(f"ServeOptions.max_request_bytes ({self.max_request_bytes}) must not exceed "
                             f"max_batch_bytes ({self.max_batch_bytes}): an admitted request must fit a call")


class RequestRejected(Exception):
    """A request that cannot be served as asked: answered ``status`` naming ``field``."""

    def __init__(self, field: str, message: str, status: int = 422, where: tuple = ()):
        super().__init__(message)
        self.field, self.message, self.status, self.where = field, message, status, where

    def response(self) -> JSONResponse:
        return JSONResponse(status_code=self.status, content={
            "detail": [{"loc": ["body", self.field, *self.where], "msg": self.message,
                        "type": "value_error"}],
            "error": {"message": f"{self.field}: {self.message}", "type": "invalid_request_error",
                      "param": self.field},
        })


class Engine:
    """The model behind the server: sampling and embedding calls, run on one worker thread."""

    def __init__(self, model, tokenizer, options: ServeOptions = ServeOptions(), *, layer: int = -1):
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
        layers = int(model.config.num_hidden_layers)
        if not -(layers + 1) <= layer <= layers:  # hidden_states holds the embeddings + every layer
            raise ValueError(f"layer {layer} does not exist: the model has {layers} layers "
                             f"(use -{layers + 1}..{layers}; -1 is the last)")
        self.encoder = HFEncoder(model, tokenizer, layer=layer, batch_size=options.embed_batch_size)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qed-model")
        self.completions = Batcher(self._complete, self.executor, window_s=options.window_s,
                                   max_items=options.max_batch_prompts)
        self.embeddings = Batcher(self._embed, self.executor, window_s=options.window_s,
                                  max_items=options.max_batch_prompts * 4)
        self.context = context_length(model)

    def _complete(self, params: SamplingParams, prompts: list[tuple[int, ...]]) -> list[list[Completion]]:
        try:
            return generate(self.model, self.tokenizer, prompts, params,
                            max_batch_sequences=self.options.max_batch_sequences,
                            max_batch_tokens=self.options.max_batch_tokens,
                            max_batch_bytes=self.options.max_batch_bytes)
        finally:
            width = max(len(p) for p in prompts)
            if self.estimate(len(prompts), params.n, width, params.max_new_tokens) > \
                    self.options.release_after_bytes:
                release_memory()

    def _embed(self, _key: None, texts: list[str]) -> list[list[float]]:
        return self.encoder.encode(texts).tolist()

    def estimate(self, prompts: int, n: int, width: int, new_tokens: int) -> int:
        """Estimated peak bytes of sampling (``qed.policy.hf.sampling_bytes``)."""
        return sampling_bytes(self.model, prompts, n, width, new_tokens)

    def tokenize(self, field: str, texts: list[str]) -> list[list[int]]:
        """Each text's token ids, one text at a time; a text the tokenizer refuses is 422 naming it."""
        out = []
        for i, text in enumerate(texts):
            try:
                out.append(list(self.tokenizer(text, add_special_tokens=False)["input_ids"]))
            except Exception as exc:  # whatever the tokenizer raises, it is this request's fault
                raise RequestRejected(field, f"cannot be tokenized: {type(exc).__name__}",
                                      where=(i,)) from exc
        return out

    def admit_completion(self, req: CompletionRequest) -> tuple[SamplingParams, list[tuple[int, ...]]]:
        """Check one completion request against the model and the limits; its params and prompt ids.

        Raises ``RequestRejected`` naming the field at fault.
        """
        o = self.options
        prompts = req.prompts()
        if len(prompts) > o.max_request_prompts:
            raise RequestRejected("prompt", f"{len(prompts)} prompts; this server takes at most "
                                            f"{o.max_request_prompts} per request")
        if req.max_tokens >= self.context:
            raise RequestRejected("max_tokens", f"{req.max_tokens} is not below the model's context length "
                                                f"({self.context} tokens)")
        total = len(prompts) * req.n * req.max_tokens
        if total > o.max_request_tokens:
            raise RequestRejected("max_tokens", f"prompts x n x max_tokens = {len(prompts)} x {req.n} x "
                                                f"{req.max_tokens} = {total} exceeds this server's limit of "
                                                f"{o.max_request_tokens} tokens per request; lower n or "
                                                f"max_tokens")
        keep = max(1, self.context - req.max_tokens)
        ids = [tuple(t[-keep:]) for t in self.tokenize("prompt", prompts)]
        if any(not t for t in ids):
            raise RequestRejected("prompt", "a prompt has no tokens")
        stops = req.stops()
        if stops:
            try:
                from transformers import StopStringCriteria

                StopStringCriteria(self.tokenizer, list(stops))
            except Exception as exc:  # the stop strings this request sent are what failed
                raise RequestRejected("stop", f"cannot be used as stop strings: "
                                              f"{type(exc).__name__}") from exc
        need = self.estimate(len(ids), req.n, max(len(t) for t in ids), req.max_tokens)
        if need > o.max_request_bytes:
            raise RequestRejected("max_tokens", f"needs about {need // MiB} MiB to sample (prompts x n x "
                                                f"(prompt + max_tokens) tokens); this server's limit is "
                                                f"{o.max_request_bytes // MiB} MiB per request; lower n or "
                                                f"max_tokens")
        params = SamplingParams(n=req.n, temperature=req.temperature, top_p=req.top_p,
                                max_new_tokens=req.max_tokens, stop=stops, seed=req.seed)
        return params, ids

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
    app.add_middleware(BodyLimit, max_bytes=engine.options.max_body_bytes)
    name = engine.options.served_name

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own 422 echoes the offending input, which may be huge or not encodable (a lone
        # surrogate); this one names the field and says what is wrong, nothing more.
        detail = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "invalid")),
                   "type": str(e.get("type", "value_error"))} for e in exc.errors()]
        first = detail[0] if detail else {"loc": [], "msg": "invalid request"}
        field = next((x for x in first["loc"] if x != "body"), "body")
        return JSONResponse(status_code=422, content={"detail": detail, "error": {
            "message": f"{field}: {first['msg']}", "type": "invalid_request_error", "param": field}})

    async def model_call(batcher: Batcher, key, payloads: list):
        try:
            return await batcher.submit_many(key, payloads), None
        except Exception as exc:  # the model call failed for this request alone (see Batcher)
            log.exception("model call failed")
            text = str(exc).lower()
            status = 503 if ("out of memory" in text or "can't allocate" in text
                             or isinstance(exc, MemoryError)) else 500
            return None, JSONResponse(status_code=status, content={"error": {
                "message": f"model call failed: {type(exc).__name__}", "type": "server_error"}})

    def wrong_model(model: str | None) -> JSONResponse | None:
        if model is None or model == name:
            return None
        return JSONResponse(status_code=404, content={"error": {
            "message": f"model {model!r} is not served here; this server serves {name!r}",
            "type": "NotFoundError"}})

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "model": name, "rss_bytes": rss_bytes()}

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": name, "object": "model", "owned_by": "qed",
                                             "created": 0}]}

    @app.post("/v1/completions")
    async def completions(req: CompletionRequest):
        if (bad := wrong_model(req.model)) is not None:
            return bad
        try:
            params, prompts = engine.admit_completion(req)
        except RequestRejected as rej:
            return rej.response()
        results, failed = await model_call(engine.completions, params, prompts)
        if failed is not None:
            return failed
        choices, n_prompt, n_completion = [], 0, 0
        for i, (prompt, comps) in enumerate(zip(prompts, results, strict=True)):
            n_prompt += len(prompt)
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
        if len(texts) > engine.options.max_embed_inputs:
            return RequestRejected("input", f"{len(texts)} texts; this server embeds at most "
                                            f"{engine.options.max_embed_inputs} per request").response()
        try:
            n_tokens = sum(min(len(t), engine.encoder.max_length) for t in engine.tokenize("input", texts))
        except RequestRejected as rej:
            return rej.response()
        vectors, failed = await model_call(engine.embeddings, None, texts)
        if failed is not None:
            return failed
        return {
            "object": "list",
            "model": name,
            "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": n_tokens, "total_tokens": n_tokens},
        }

    return app


class BodyLimit:
    """ASGI middleware: a request whose declared ``Content-Length`` exceeds ``max_bytes`` is 413.

    A body sent without a length (chunked) is cut off at ``max_bytes``; the route then fails to
    read it and answers 400.
    """

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            response = RequestRejected("body", f"{int(declared)} bytes; this server takes at most "
                                               f"{self.max_bytes} bytes per request", status=413).response()
            return await response(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise ValueError(f"request body over {self.max_bytes} bytes")
            return message

        return await self.app(scope, limited, send)


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


class ServeStartError(Exception):
    """The server cannot start (bad port or host, port in use): a one-line reason."""


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``, for ``serve``; ``ServeStartError`` when that is impossible."""
    if not 0 <= port <= 65535:
        raise ServeStartError(f"port {port} is not a TCP port (0-65535)")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ServeStartError(f"cannot resolve host {host!r}: {reason}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        in_use = exc.errno == errno.EADDRINUSE
        reason = "the address is already in use" if in_use else (exc.strerror or str(exc))
        raise ServeStartError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


def serve(app: FastAPI, *, host: str, port: int, sock: socket.socket | None = None) -> None:
    """Run ``app`` in the foreground until interrupted, on ``sock`` (from ``bind``) or ``host:port``."""
    import uvicorn

    sock = sock if sock is not None else bind(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="info"))
    server.run(sockets=[sock])
