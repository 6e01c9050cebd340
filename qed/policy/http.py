"""``HttpPolicy``: tactics from an OpenAI-compatible ``/v1/completions`` server.

Works against vLLM, SGLang and ``qed serve``: one request per query (``prompt`` built by
``qed.policy.prompt``, ``n``, ``temperature``, ``top_p``, ``max_tokens``, ``stop`` = the
prompt's fence, ``logprobs`` = 1), sent concurrently (at most ``concurrency`` in flight) so the
server batches them. Timeouts per request; retries with exponential backoff on transport
errors, 429 and 5xx; any other error status raises ``PolicyHTTPError`` with the server's
message. Choices become candidates exactly as in-process: ``rank_candidates`` over
(text, sum of token log-probs, token count).

``propose_async`` is the coroutine; ``propose`` runs it with ``asyncio.run`` and so must not
be called from inside a running event loop (use ``propose_async`` there).

Knows nothing about models: the server decides those.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from qed.core import Candidate, Query
from qed.policy.hf import rank_candidates
from qed.policy.prompt import STOP, format_query

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class PolicyHTTPError(RuntimeError):
    """The completions server rejected a request or stayed unreachable after all retries."""


@dataclass(frozen=True)
class CompletionChoice:
    """One choice of a ``/v1/completions`` reply, parsed once at the edge.

    ``token_logprobs`` is ``None`` when the server sent no ``logprobs`` object; an entry is
    ``None`` where the server could not give one (vLLM's schema allows it).
    """

    index: int
    text: str
    token_logprobs: tuple[float | None, ...] | None = None
    tokens: tuple[str, ...] | None = None
    finish_reason: str | None = None

    def logprob(self) -> tuple[float, int]:
        """(sum of token log-probs, token count); (0, 0) without logprobs."""
        vals = [v for v in self.token_logprobs or () if v is not None]
        return float(sum(vals)), len(vals)


def _bad(server: str, field: str, detail: str) -> PolicyHTTPError:
    return PolicyHTTPError(f"{server}: reply field '{field}' {detail}")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) or (
        isinstance(value, float) and value == -math.inf)


def parse_completion(body: str | bytes, server: str, n: int | None = None) -> tuple[CompletionChoice, ...]:
    """The choices of a completions reply body (vLLM, SGLang, qed serve, any OpenAI-compatible
    server). A malformed or truncated body raises ``PolicyHTTPError`` naming the server and the
    field."""
    try:
        reply = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise PolicyHTTPError(f"{server}: the reply body is not JSON (truncated?): {exc}; "
                              f"it starts {text[:120]!r}") from exc
    if not isinstance(reply, dict):
        raise _bad(server, "(whole body)", "is not a JSON object")
    choices = reply.get("choices")
    if not isinstance(choices, list):
        raise _bad(server, "choices", "is missing or not a list")
    if n is not None and len(choices) != n:
        raise _bad(server, "choices", f"has {len(choices)} entries but n={n} were asked for")
    out = []
    for k, choice in enumerate(choices):
        where = f"choices[{k}]"
        if not isinstance(choice, dict):
            raise _bad(server, where, "is not an object")
        if not isinstance(choice.get("text"), str):
            raise _bad(server, f"{where}.text", "is missing or not a string")
        index = choice.get("index", k)
        if isinstance(index, bool) or not isinstance(index, int):
            raise _bad(server, f"{where}.index", "is not an integer")
        finish = choice.get("finish_reason")
        if finish is not None and not isinstance(finish, str):
            raise _bad(server, f"{where}.finish_reason", "is not a string")
        logprobs, tokens = None, None
        lp = choice.get("logprobs")
        if lp is not None:
            if not isinstance(lp, dict):
                raise _bad(server, f"{where}.logprobs", "is not an object")
            values = lp.get("token_logprobs")
            if not isinstance(values, list) or not all(v is None or _number(v) for v in values):
                raise _bad(server, f"{where}.logprobs.token_logprobs", "is missing or not a list of numbers")
            logprobs = tuple(None if v is None else float(v) for v in values)
            raw_tokens = lp.get("tokens")
            if raw_tokens is not None:
                if not isinstance(raw_tokens, list) or len(raw_tokens) != len(values):
                    raise _bad(server, f"{where}.logprobs.tokens", "is not a list as long as token_logprobs")
                tokens = tuple(str(t) for t in raw_tokens)
        out.append(CompletionChoice(index, choice["text"], logprobs, tokens, finish))
    return tuple(sorted(out, key=lambda c: c.index))


def choice_logprob(choice: dict) -> tuple[float, int]:
    """(sum of token log-probs, token count) of one OpenAI completion choice (0, 0 without logprobs)."""
    lp = choice.get("logprobs") or {}
    vals = [v for v in (lp.get("token_logprobs") or []) if v is not None]
    return float(sum(vals)), len(vals)


class HttpPolicy:
    """``qed.core.Policy`` over HTTP; ``base_url`` like ``http://127.0.0.1:8000`` (``/v1`` optional)."""

    def __init__(self, base_url: str, *, model: str = "qed", temperature: float = 1.0, top_p: float = 1.0,
                 max_tokens: int = 64, timeout_s: float = 120.0, retries: int = 3, backoff_s: float = 0.5,
                 concurrency: int = 64, rank_by: str = "logprob", api_key: str | None = None,
                 seed: int | None = None):
        root = base_url.rstrip("/")
        self.url = root + ("/completions" if root.endswith("/v1") else "/v1/completions")
        self.model = model
        self.temperature = temperature
        self.top_p = top_p
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.concurrency = concurrency
        self.rank_by = rank_by
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.seed = seed

    def request_body(self, prompt: str, n: int) -> dict:
        """The JSON body sent for one prompt."""
        body = {
            "model": self.model,
            "prompt": prompt,
            "n": n,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "stop": list(STOP),
            "logprobs": 1,
        }
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    async def complete(self, client, prompt: str, n: int) -> tuple[CompletionChoice, ...]:
        """The parsed ``choices`` of one completion request, with retries."""
        import httpx

        body = self.request_body(prompt, n)
        last = ""
        for attempt in range(self.retries + 1):
            try:
                resp = await client.post(self.url, json=body)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    return parse_completion(resp.content, self.url, n)
                last = f"HTTP {resp.status_code}: {resp.text[:500]}"
                if resp.status_code not in RETRY_STATUS:
                    raise PolicyHTTPError(f"{self.url}: {last}")
            if attempt < self.retries:
                await asyncio.sleep(self.backoff_s * 2**attempt)
        raise PolicyHTTPError(f"{self.url}: failed after {self.retries + 1} attempts: {last}")

    async def propose_async(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        import httpx

        if not queries:
            return []
        limit = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(timeout=self.timeout_s, headers=self.headers) as client:

            async def one(q: Query) -> list[Candidate]:
                async with limit:
                    choices = await self.complete(client, format_query(q), n)
                triples = [(c.text, *c.logprob()) for c in choices]
                return rank_candidates(triples, by=self.rank_by)

            return list(await asyncio.gather(*(one(q) for q in queries)))

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        return asyncio.run(self.propose_async(queries, n))
