"""Benchmark loading: miniF2F-schema JSON Lines files into ``Theorem`` values.

Owns the schema (``name``, ``split``, ``header``, ``formal_statement``,
``informal_statement``, ``source``, optional ``proof`` and ``goal``), name resolution
(shipped benchmarks by name, anything else by path) and the ``_goals.jsonl`` companion
merge. Knows nothing about environments or search.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from qed.core import Theorem
from qed.data.records import RecordError, read_benchmark, read_goals

SHIPPED_DIR = Path(__file__).resolve().parent / "benchmarks"


class BenchmarkError(ValueError):
    """A benchmark that cannot be found or read; the message names the file and line."""


def shipped_benchmarks() -> list[str]:
    """Names of the benchmarks that ship with qed (usable instead of a path)."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.jsonl") if not p.stem.endswith("_goals"))


def resolve(spec: str | Path) -> Path:
    """A path as given if it exists, else a shipped benchmark by name (with or without .jsonl)."""
    path = Path(spec)
    if path.exists():
        return path
    name = path.name.removesuffix(".jsonl")
    candidate = SHIPPED_DIR / f"{name}.jsonl"
    if candidate.exists() and path.parent == Path("."):
        return candidate
    raise BenchmarkError(
        f"benchmark '{spec}' not found: not a file, and not one of the shipped benchmarks "
        f"({', '.join(shipped_benchmarks())})"
    )


def load_goals(path: Path) -> dict[str, str]:
    """``name -> goal`` from a goals companion file (``name``, ``goal`` fields; validated)."""
    try:
        return read_goals(path)
    except RecordError as exc:
        raise BenchmarkError(str(exc)) from exc


def load_benchmark(spec: str | Path, *, split: str | None = None, goals: Path | None = None) -> list[Theorem]:
    """Load theorems from a miniF2F-schema JSONL file (path or shipped name).

    Rows are read and validated by ``qed.data.records`` (types, required fields, names
    usable as file names). ``split`` keeps only rows with that ``split`` value. A name that
    occurs in several splits of the file is keyed by split (``"valid/exercise_1_2"``); a
    name repeated within one split is an error. Recorded initial goals come from ``goals``
    or, if absent, from a ``<stem>_goals.jsonl`` file beside the benchmark. Raises
    ``BenchmarkError`` naming the file, line and field of any malformed row.
    """
    path = resolve(spec)
    if path.is_dir():
        raise BenchmarkError(f"{path}: is a directory, not a JSONL benchmark file")
    companion = goals or path.with_name(f"{path.stem}_goals.jsonl")
    recorded = load_goals(companion) if companion.exists() else {}
    try:
        rows = read_benchmark(path)
    except RecordError as exc:
        raise BenchmarkError(str(exc)) from exc
    splits_of: dict[str, set[str]] = {}
    for row in rows:
        splits_of.setdefault(row.name, set()).add(row.split)
    theorems: list[Theorem] = []
    seen: dict[str, int] = {}
    for row in rows:
        if split is not None and row.split != split:
            continue
        name = row.name
        if len(splits_of[name]) > 1:
            # the same name in several splits (ProofNet reuses exercise numbers): key by split
            name = f"{row.split}/{name}"
        if name in seen:
            raise BenchmarkError(f"{path}:{row.line}: field 'name': duplicate theorem name '{name}' "
                                 f"(first on line {seen[name]})")
        seen[name] = row.line
        theorems.append(row.theorem(name, goal=recorded.get(name)))
    return theorems


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write rows as JSON Lines (UTF-8, unescaped); return how many were written."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
