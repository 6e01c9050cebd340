"""Embedding caches keyed by text hash: on disk (Parquet shards) and in memory (bounded LRU).

Owns the key (``text_key``: SHA-256 of the UTF-8 text), the on-disk layout and its
validation. Knows nothing about which encoder made the vectors beyond its ``id`` string,
nor about heads or training.

On-disk layout of a cache directory::

    meta.json            {"encoder": <encoder id>, "dim": d}
    part-00000.parquet   columns key: string, vector: fixed_size_list<float32>[d]
    part-00001.parquet   ...

Each call to ``embed`` that computes new vectors appends shards (one per ``shard_size``
texts), written to a temporary name and renamed, so an interrupted run keeps every
finished shard and resumes from there. A cache made by a different encoder (id or width)
is refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from qed.core import Encoder

META = "meta.json"


class EmbeddingCacheError(ValueError):
    """A cache directory that cannot be used; the message names the file and problem."""


def text_key(text: str) -> str:
    """The cache key of ``text``: hex SHA-256 of its UTF-8 bytes (first 32 hex digits)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class DiskEmbeddingCache:
    """Vectors of one encoder in ``directory``; loads every shard on construction."""

    def __init__(self, directory: str | Path, *, encoder_id: str, dim: int):
        self.directory = Path(directory)
        self.encoder_id, self.dim = encoder_id, dim
        self.directory.mkdir(parents=True, exist_ok=True)
        meta_path = self.directory / META
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise EmbeddingCacheError(f"{meta_path}: not JSON ({exc})") from exc
            if meta.get("encoder") != encoder_id or meta.get("dim") != dim:
                raise EmbeddingCacheError(
                    f"{self.directory} holds embeddings of encoder {meta.get('encoder')!r} (dim "
                    f"{meta.get('dim')}), not {encoder_id!r} (dim {dim}); use another directory"
                )
        else:
            meta_path.write_text(json.dumps({"encoder": encoder_id, "dim": dim}) + "\n", encoding="utf-8")
        self._index: dict[str, int] = {}
        self._blocks: list[np.ndarray] = []
        self._rows = 0
        self._matrix: np.ndarray | None = None
        for shard in sorted(self.directory.glob("part-*.parquet")):
            self._load(shard)

    def __len__(self) -> int:
        return self._rows

    def __contains__(self, text: str) -> bool:
        return text_key(text) in self._index

    def _load(self, shard: Path) -> None:
        try:
            table = pq.read_table(shard)
        except (pa.ArrowException, OSError) as exc:
            raise EmbeddingCacheError(
                f"{shard}: corrupt embedding shard ({exc}); delete it to recompute"
            ) from exc
        if table.column_names[:2] != ["key", "vector"]:
            raise EmbeddingCacheError(f"{shard}: expected columns key, vector; found {table.column_names}")
        keys = table.column("key").to_pylist()
        vectors = table.column("vector").combine_chunks()
        flat = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
        if len(keys) and flat.size != len(keys) * self.dim:
            raise EmbeddingCacheError(f"{shard}: vectors are not of width {self.dim}")
        self._add(keys, flat.reshape(len(keys), self.dim))

    def _add(self, keys: list[str], matrix: np.ndarray) -> None:
        for i, k in enumerate(keys):
            self._index.setdefault(k, self._rows + i)
        self._blocks.append(matrix)
        self._rows += len(keys)
        self._matrix = None

    def _all(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = (
                np.concatenate(self._blocks) if self._blocks else np.zeros((0, self.dim), dtype=np.float32)
            )
            self._blocks = [self._matrix]
        return self._matrix

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """Cached vectors of ``texts`` (``KeyError`` naming the first text not cached)."""
        rows = []
        for t in texts:
            k = text_key(t)
            if k not in self._index:
                raise KeyError(f"not in the embedding cache: {t[:80]!r}")
            rows.append(self._index[k])
        return self._all()[np.asarray(rows, dtype=np.int64)]

    def embed(
        self,
        texts: Sequence[str],
        encoder: Encoder,
        *,
        batch_size: int = 64,
        shard_size: int = 4096,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Vectors of ``texts``, computing (and persisting) only those not cached yet.

        ``progress(n)`` is called after each encoder batch with the number just encoded.
        """
        missing: dict[str, str] = {}
        for t in texts:
            k = text_key(t)
            if k not in self._index:
                missing.setdefault(k, t)
        todo = list(missing.items())
        for start in range(0, len(todo), shard_size):
            chunk = todo[start : start + shard_size]
            vectors = []
            for b in range(0, len(chunk), batch_size):
                batch = [t for _, t in chunk[b : b + batch_size]]
                out = np.asarray(encoder.encode(batch), dtype=np.float32)
                if out.shape != (len(batch), self.dim):
                    raise EmbeddingCacheError(
                        f"encoder returned shape {out.shape}, expected ({len(batch)}, {self.dim})"
                    )
                vectors.append(out)
                if progress is not None:
                    progress(len(batch))
            self._write_shard([k for k, _ in chunk], np.concatenate(vectors))
        return self.get(texts)

    def _write_shard(self, keys: list[str], matrix: np.ndarray) -> None:
        n = 1 + max((int(p.stem.split("-")[1]) for p in self.directory.glob("part-*.parquet")), default=-1)
        path = self.directory / f"part-{n:05d}.parquet"
        flat = pa.array(matrix.reshape(-1), type=pa.float32())
        table = pa.table(
            {
                "key": pa.array(keys, type=pa.string()),
                "vector": pa.FixedSizeListArray.from_arrays(flat, self.dim),
            }
        )
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        self._add(keys, matrix)


class LRUEmbeddings:
    """An in-memory map text key -> vector holding at most ``capacity`` entries (least recent out)."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> np.ndarray | None:
        v = self._data.get(key)
        if v is not None:
            self._data.move_to_end(key)
        return v

    def put(self, key: str, vector: np.ndarray) -> None:
        self._data[key] = vector
        self._data.move_to_end(key)
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)
