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

SHIPPED_DIR = Path(__file__).resolve().parent / "benchmarks"
REQUIRED = ("name", "formal_statement")


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


def _read_jsonl(path: Path) -> Iterable[tuple[int, dict]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkError(f"{path}: cannot read: {exc}") from exc
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BenchmarkError(f"{path}:{lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(row, dict):
            raise BenchmarkError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
        yield lineno, row


def load_goals(path: Path) -> dict[str, str]:
    """``name -> goal`` from a goals companion file (``name``, ``goal`` fields)."""
    return {row["name"]: row["goal"] for _, row in _read_jsonl(path) if "name" in row and "goal" in row}


def load_benchmark(spec: str | Path, *, split: str | None = None, goals: Path | None = None) -> list[Theorem]:
    """Load theorems from a miniF2F-schema JSONL file (path or shipped name).

    ``split`` keeps only rows with that ``split`` value. A name that occurs in several
    splits of the file is keyed by split (``"valid/exercise_1_2"``); a name repeated within
    one split is an error. Recorded initial goals come from
    ``goals`` or, if absent, from a ``<stem>_goals.jsonl`` file beside the benchmark.
    Raises ``BenchmarkError`` naming the file and line of any malformed row.
    """
    path = resolve(spec)
    companion = goals or path.with_name(f"{path.stem}_goals.jsonl")
    recorded = load_goals(companion) if companion.exists() else {}
    theorems: list[Theorem] = []
    seen: set[str] = set()
    rows = list(_read_jsonl(path))
    splits_of: dict[str, set[str]] = {}
    for lineno, row in rows:
        missing = [k for k in REQUIRED if not isinstance(row.get(k), str)]
        if missing:
            raise BenchmarkError(f"{path}:{lineno}: missing or non-string field(s) {', '.join(missing)}")
        splits_of.setdefault(row["name"], set()).add(row.get("split") or "")
    for lineno, row in rows:
        if split is not None and row.get("split") != split:
            continue
        name = row["name"]
        if len(splits_of[name]) > 1:
            # the same name in several splits (ProofNet reuses exercise numbers): key by split
            name = f"{row.get('split') or ''}/{name}"
        if name in seen:
            raise BenchmarkError(f"{path}:{lineno}: duplicate theorem name '{name}'")
        seen.add(name)
        theorems.append(
            Theorem(
                name=name,
                statement=row["formal_statement"],
                header=row.get("header") or "",
                split=row.get("split") or "",
                informal=row.get("informal_statement"),
                goal=row.get("goal") or recorded.get(name),
                source=row.get("source") or "",
                proof=row.get("proof"),
            )
        )
    return theorems


def write_jsonl(path: Path, rows: Iterable[dict]) -> int:
    """Write rows as JSON Lines (UTF-8, unescaped); return how many were written."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n
