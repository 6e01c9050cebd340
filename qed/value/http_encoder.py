"""``HttpEncoder``: embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint.

Works against ``qed serve`` (mean-pooled hidden states of the shared backbone, see
``qed.value.encoder``) and any server speaking the same schema. Owns batching of requests,
timeouts and retries with exponential backoff on transport errors, 429 and 5xx; a 4xx
answer is raised at once as ``EncoderHTTPError`` with the server's message.

Knows nothing about models or pooling: the server decides those.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class EncoderHTTPError(RuntimeError):
    """The embeddings server rejected a request or stayed unreachable after all retries."""


class HttpEncoder:
    """``qed.core.Encoder`` over HTTP. ``encode`` returns a float32 ``numpy.ndarray``."""

    def __init__(self, base_url: str, *, model: str = "qed", batch_size: int = 64, timeout_s: float = 60.0,
                 retries: int = 3, backoff_s: float = 0.5, api_key: str | None = None):
        import httpx

        self.url = base_url.rstrip("/") + ("/embeddings" if base_url.rstrip("/").endswith("/v1")
                                           else "/v1/embeddings")
        self.model = model
        self.batch_size = batch_size
        self.retries = retries
        self.backoff_s = backoff_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpEncoder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _post(self, texts: list[str]) -> list[list[float]]:
        import httpx

        body = {"model": self.model, "input": texts}
        last = ""
        for attempt in range(self.retries + 1):
            try:
                resp = self._client.post(self.url, json=body)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    data = sorted(resp.json()["data"], key=lambda d: d["index"])
                    return [d["embedding"] for d in data]
                last = f"HTTP {resp.status_code}: {resp.text[:500]}"
                if resp.status_code not in RETRY_STATUS:
                    raise EncoderHTTPError(f"{self.url}: {last}")
            if attempt < self.retries:
                time.sleep(self.backoff_s * 2**attempt)
        raise EncoderHTTPError(f"{self.url}: failed after {self.retries + 1} attempts: {last}")

    def encode(self, texts: Sequence[str]):
        import numpy as np

        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            rows.extend(self._post(list(texts[start:start + self.batch_size])))
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.asarray(rows, dtype=np.float32)
