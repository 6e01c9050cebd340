"""Where a corpus's rows come from: a local file (JSONL, JSON array, Parquet), the copy bundled
with qed, or the Hugging Face hub through the ``datasets`` library.

``open_rows(corpus, location)`` returns the rows in the corpus's own schema, after checking
the columns of the first row (``SchemaError`` names the missing ones). A ``location`` is a
path, ``bundled`` (the small real sample inside the package, where one exists) or ``hub``.
``fetch`` streams a hub dataset into a local JSONL file (written to a temporary name and
renamed when complete). Without network, or without ``datasets`` installed, a ``FetchError``
says which id could not be reached and how to point qed at local files. Knows nothing about
filtering, tracing or commands.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from qed.data.corpora.sources import Corpus, SchemaError, check_columns

__all__ = [
    "BUNDLED_DIR",
    "CorpusFileError",
    "FetchError",
    "Rows",
    "bundled_path",
    "fetch",
    "hub_rows",
    "open_rows",
]

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"


class FetchError(RuntimeError):
    """A hub dataset that could not be reached (network, missing library, unknown id)."""


class CorpusFileError(ValueError):
    """A local corpus file that cannot be read (missing, corrupt Parquet, not JSON)."""


@dataclass
class Rows:
    """Rows of one corpus from one place; ``bad`` collects unreadable lines as they stream."""

    origin: str
    rows: Iterator[dict]
    bad: list[str] = field(default_factory=list)


def bundled_path(corpus: Corpus) -> Path:
    path = BUNDLED_DIR / f"{corpus.key}.jsonl"
    if not path.exists():
        have = sorted(p.stem for p in BUNDLED_DIR.glob("*.jsonl") if not p.stem.endswith(".provenance"))
        raise CorpusFileError(
            f"no bundled copy of corpus '{corpus.key}' (bundled: {', '.join(have)}); "
            f"give a local file (--corpus {corpus.key}=PATH) or fetch it from the hub"
        )
    return path


def _jsonl(path: Path, bad: list[str]) -> Iterator[dict]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                bad.append(f"{path.name}:{number}: not a JSON line ({str(exc).splitlines()[0][:80]})")
                continue
            if not isinstance(row, dict):
                bad.append(f"{path.name}:{number}: expected a JSON object, got {type(row).__name__}")
                continue
            yield row


def _json_array(path: Path) -> Iterator[dict]:
    """A JSON array file (Lean Workbook's ``lean_workbook.json``): loaded whole (~10× its size
    in memory; use the hub's streaming reader for the full 94 MB file on a small machine)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusFileError(f"{path}: not a JSON file: {exc}") from exc
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise CorpusFileError(f"{path}: expected a JSON array of rows, got {type(data).__name__}")
    yield from (r for r in data if isinstance(r, dict))


def _parquet(path: Path) -> tuple[list[str], Iterator[dict]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise CorpusFileError(f"{path}: not a readable Parquet file ({exc})") from exc

    def rows() -> Iterator[dict]:
        try:
            for batch in handle.iter_batches(batch_size=1024):
                yield from batch.to_pylist()
        except (pa.ArrowException, OSError) as exc:
            raise CorpusFileError(f"{path}: corrupt Parquet data ({exc})") from exc

    return handle.schema_arrow.names, rows()


def _checked(corpus: Corpus, first: dict | None, rest: Iterator[dict], where: str) -> Iterator[dict]:
    if first is None:
        return
    check_columns(corpus, first.keys(), where)
    yield first
    yield from rest


def open_rows(corpus: Corpus, location: str | Path, *, cache_dir: Path | None = None) -> Rows:
    """The rows of ``corpus`` at ``location`` (a path, ``bundled`` or ``hub``), columns checked.

    Raises ``SchemaError`` (missing columns, at the first row), ``CorpusFileError`` (missing
    or unreadable file) or ``FetchError`` (hub unreachable).
    """
    if str(location) == "hub":
        return Rows(corpus.hf_id, hub_rows(corpus, cache_dir=cache_dir))
    path = bundled_path(corpus) if str(location) == "bundled" else Path(location)
    if not path.exists():
        raise CorpusFileError(f"{path}: no such file (corpus '{corpus.key}')")
    bad: list[str] = []
    if path.suffix == ".parquet":
        names, rows = _parquet(path)
        check_columns(corpus, names, str(path))
        return Rows(str(path), rows, bad)
    stream = _json_array(path) if path.suffix == ".json" else _jsonl(path, bad)
    first = next(stream, None)
    if first is None and not bad:
        raise CorpusFileError(f"{path}: no rows")
    return Rows(str(path), _checked(corpus, first, stream, str(path)), bad)


def hub_rows(corpus: Corpus, *, cache_dir: Path | None = None) -> Iterator[dict]:
    """Stream ``corpus`` from the hub (each of its ids in turn until one resolves)."""
    if not corpus.hf_ids:
        raise FetchError(
            f"corpus '{corpus.key}' is not on the Hugging Face hub: give a local file "
            f"(--corpus {corpus.key}=PATH)"
        )
    try:
        import datasets
    except ImportError:
        raise FetchError(
            "the 'datasets' library is not installed (pip install 'qed[data]'); or give a "
            f"local file: --corpus {corpus.key}=PATH"
        ) from None
    reasons = []
    for hf_id in corpus.hf_ids:
        try:
            stream = datasets.load_dataset(
                hf_id,
                data_files=corpus.data_files,
                split=corpus.split,
                streaming=True,
                cache_dir=str(cache_dir) if cache_dir else None,
            )
            it = iter(stream)
            first = next(it, None)
        except Exception as exc:  # noqa: BLE001 - any failure to reach the hub is reported the same way
            reasons.append(
                f"{hf_id}: {type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            )
            continue
        return _checked(corpus, first, it, hf_id)
    offline = " (HF_HUB_OFFLINE=1 is set)" if os.environ.get("HF_HUB_OFFLINE") == "1" else ""
    raise FetchError(
        f"could not reach {' or '.join(corpus.hf_ids)} on the Hugging Face hub{offline}: "
        + "; ".join(reasons)
        + f". Download it where there is network (qed data fetch {corpus.key} --out DIR) and copy DIR, "
        f"or point qed at local files: --corpus {corpus.key}=PATH (.jsonl, .json or .parquet)"
    )


def fetch(
    corpus: Corpus,
    dest: Path,
    *,
    cache_dir: Path | None = None,
    limit: int = 0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Stream ``corpus`` from the hub into ``dest`` (JSONL, the corpus's own schema); the file
    appears only when complete. Returns the number of rows written."""
    rows = hub_rows(corpus, cache_dir=cache_dir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    n = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            n += 1
            if progress:
                progress(n)
            if limit and n >= limit:
                break
    os.replace(tmp, dest)
    return n


__all__ += ["SchemaError"]
