"""``HttpEncoder``: embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint.

Works against ``qed serve`` (mean-pooled hidden states of the shared backbone, see
``qed.value.encoder``) and any server speaking the same schema. Owns batching of requests,
timeouts and retries with exponential backoff on transport errors, 429 and 5xx; a 4xx
answer is raised at once as ``EncoderHTTPError`` with the server's message.

Knows nothing about models or pooling: the server decides those.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class EncoderHTTPError(RuntimeError):
    """The embeddings server rejected a request or stayed unreachable after all retries."""


def parse_embeddings(body: str | bytes, server: str, n: int | None = None) -> list[list[float]]:
    """The vectors of an ``/v1/embeddings`` reply body, in input order (by ``index``).

    A malformed or truncated body, a base64 ``embedding`` (qed asks for floats), vectors of
    different lengths or a wrong count raise ``EncoderHTTPError`` naming the server and field.
    """
    try:
        reply = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise EncoderHTTPError(f"{server}: the reply body is not JSON (truncated?): {exc}; "
                               f"it starts {text[:120]!r}") from exc
    if not isinstance(reply, dict) or not isinstance(reply.get("data"), list):
        raise EncoderHTTPError(f"{server}: reply field 'data' is missing or not a list")
    rows: dict[int, list[float]] = {}
    for k, item in enumerate(reply["data"]):
        where = f"data[{k}]"
        if not isinstance(item, dict):
            raise EncoderHTTPError(f"{server}: reply field '{where}' is not an object")
        index = item.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or index in rows:
            raise EncoderHTTPError(f"{server}: reply field '{where}.index' is missing, not an integer "
                                   f"or repeated")
        vector = item.get("embedding")
        if isinstance(vector, str):
            raise EncoderHTTPError(f"{server}: reply field '{where}.embedding' is a base64 string; "
                                   f"qed reads encoding_format=float")
        if not isinstance(vector, list) or not vector or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in vector):
            raise EncoderHTTPError(f"{server}: reply field '{where}.embedding' is not a list of finite "
                                   f"numbers")
        rows[index] = [float(v) for v in vector]
    if n is not None and sorted(rows) != list(range(n)):
        raise EncoderHTTPError(f"{server}: reply field 'data' has indices {sorted(rows)[:8]}, "
                               f"expected 0..{n - 1} for {n} inputs")
    widths = {len(v) for v in rows.values()}
    if len(widths) > 1:
        raise EncoderHTTPError(f"{server}: reply field 'data[].embedding' has vectors of lengths "
                               f"{sorted(widths)}")
    return [rows[i] for i in sorted(rows)]


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
                    return parse_embeddings(resp.content, self.url, len(texts))
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
