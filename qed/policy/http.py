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
from collections.abc import Sequence

from qed.core import Candidate, Query
from qed.policy.hf import rank_candidates
from qed.policy.prompt import STOP, format_query

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class PolicyHTTPError(RuntimeError):
    """The completions server rejected a request or stayed unreachable after all retries."""


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

    async def complete(self, client, prompt: str, n: int) -> list[dict]:
        """The ``choices`` of one completion request, with retries."""
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
                    return resp.json()["choices"]
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
                triples = [(c.get("text", ""), *choice_logprob(c)) for c in choices]
                return rank_candidates(triples, by=self.rank_by)

            return list(await asyncio.gather(*(one(q) for q in queries)))

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        return asyncio.run(self.propose_async(queries, n))
