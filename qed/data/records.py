"""The one typed, validated reader of the JSON Lines records qed reads back: benchmark rows,
recorded goals, and a proving run's ``results.jsonl``.

Every reader of those files goes through here (``qed.data.benchmarks.load_benchmark``,
``qed.eval.prove.read_records`` and its resume), so one set of rules holds everywhere:

- The file is read as UTF-8; a byte that is not UTF-8 is an error naming its line.
- Each non-blank line is one JSON object. Invalid JSON, another JSON value, nesting too deep
  to parse, or an integer too long for Python to read is an error naming the line.
- Each known field has a type: a wrong type, a missing required field, a string holding a
  NUL or a lone surrogate (``"\\ud800"`` is valid JSON, but no file or Lean accepts it), or
  a theorem name that is empty or unsafe is an error naming the field. Unknown fields are
  kept and ignored.

Errors are ``RecordError``: ``"FILE:LINE: field 'F': problem"``, one line, raised before
anything is written. A results file is the commit point of a run, so its reader is also
what repairs it on resume (``read_results(..., repair=True)``): a torn last line (the write
was cut off) is cut away, and a theorem with several result lines keeps its first and the
file is rewritten without the others; ``ResultsFile.notes`` says what was repaired.

Knows nothing about environments, search or printing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from qed.core import Theorem
from qed.data.jsonl import (  # RecordError, parse_line and read_jsonl are part of this module's API too
    RecordError,
    decode_text,
    kind_of,
    parse_line,
    read_jsonl,
    short_repr,
)
from qed.data.rundir import atomic_write_text
from qed.search.result import STATUSES

MAX_NAME_CHARS = 1000


# ---- fields ------------------------------------------------------------------------------


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a theorem (its files are named after it), or None."""
    if not name.strip():
        return "empty theorem name"
    if len(name) > MAX_NAME_CHARS:
        return f"theorem name of {len(name)} characters (at most {MAX_NAME_CHARS})"
    bad = next((c for c in name if ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        return f"theorem name contains the control character {bad!r}"
    if name != name.strip():
        return "theorem name starts or ends with white space"
    if name.strip(".") == "":
        return f"theorem name {name!r} is not usable as a file name"
    return _text_problem(name)


class _Fields:
    """Typed access to one row's fields; every problem is a ``RecordError`` naming the field."""

    def __init__(self, path: Path | str, line: int, row: dict):
        self.path, self.line, self.row = path, line, row

    def error(self, name: str, problem: str) -> RecordError:
        return RecordError(self.path, self.line, problem, field=name)

    def text(self, name: str, *, required: bool = False, nonempty: bool = False) -> str | None:
        value = self.row.get(name)
        if value is None:
            if required:
                raise self.error(name, "missing" if name not in self.row else "is null, expected a string")
            return None
        if not isinstance(value, str):
            raise self.error(name, f"expected a string, got {kind_of(value)}")
        if nonempty and not value.strip():
            raise self.error(name, "is empty")
        problem = _text_problem(value)
        if problem:
            raise self.error(name, problem)
        return value

    def name(self, key: str = "name") -> str:
        value = self.text(key, required=True)
        assert value is not None
        problem = name_problem(value)
        if problem:
            raise self.error(key, problem)
        return value

    def number(self, name: str, *, integer: bool = False, required: bool = False) -> float | int | None:
        value = self.row.get(name)
        if value is None:
            if required:
                raise self.error(name, "missing" if name not in self.row else "is null, expected a number")
            return None
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            want = "an integer" if integer else "a number"
            raise self.error(name, f"expected {want}, got {kind_of(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(name, f"expected a finite number, got {value}")
        if value < 0:
            raise self.error(name, f"expected a number >= 0, got {short_repr(value)}")
        return value

    def texts(self, name: str, *, required: bool = False) -> tuple[str, ...] | None:
        value = self.row.get(name)
        if value is None:
            if required:
                raise self.error(name, "missing" if name not in self.row else "is null, expected a list")
            return None
        if not isinstance(value, list):
            raise self.error(name, f"expected a list of strings, got {kind_of(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(name, f"item {i}: expected a string, got {kind_of(item)}")
            problem = _text_problem(item)
            if problem:
                raise self.error(name, f"item {i}: {problem}")
        return tuple(value)

    def mapping(self, name: str) -> None:
        value = self.row.get(name)
        if value is not None and not isinstance(value, dict):
            raise self.error(name, f"expected an object, got {kind_of(value)}")


# ---- benchmark rows ----------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkRecord:
    """One row of a miniF2F-schema benchmark file, validated."""

    name: str
    formal_statement: str
    line: int
    header: str = ""
    split: str = ""
    informal_statement: str | None = None
    goal: str | None = None
    source: str = ""
    proof: str | None = None

    def theorem(self, name: str | None = None, *, goal: str | None = None) -> Theorem:
        """The ``Theorem`` of this row (``name`` overrides its name, ``goal`` fills a missing goal)."""
        return Theorem(
            name=name or self.name,
            statement=self.formal_statement,
            header=self.header,
            split=self.split,
            informal=self.informal_statement,
            goal=self.goal or goal,
            source=self.source,
            proof=self.proof,
        )


def benchmark_record(path: Path | str, line: int, row: dict) -> BenchmarkRecord:
    """Validate one benchmark row (see ``BenchmarkRecord`` for the fields)."""
    f = _Fields(path, line, row)
    return BenchmarkRecord(
        name=f.name(),
        formal_statement=f.text("formal_statement", required=True, nonempty=True) or "",
        line=line,
        header=f.text("header") or "",
        split=f.text("split") or "",
        informal_statement=f.text("informal_statement"),
        goal=f.text("goal"),
        source=f.text("source") or "",
        proof=f.text("proof"),
    )


def read_benchmark(path: Path) -> list[BenchmarkRecord]:
    """Every row of a benchmark file, validated, in file order."""
    return [benchmark_record(path, line, row) for line, row in read_jsonl(path)]


def read_goals(path: Path) -> dict[str, str]:
    """``name -> goal`` of a recorded-goals file (``name``, ``goal`` fields; the first row of a name wins)."""
    goals: dict[str, str] = {}
    for line, row in read_jsonl(path):
        f = _Fields(path, line, row)
        name, goal = f.name(), f.text("goal", required=True)
        assert goal is not None
        goals.setdefault(name, goal)
    return goals


# ---- results -----------------------------------------------------------------------------

RESULT_SECONDS = ("env_seconds", "policy_seconds", "value_seconds", "overhead_seconds", "wall_seconds")
RESULT_COUNTS = ("nodes", "merged", "max_depth", "env_calls", "policy_calls", "value_calls")


@dataclass(frozen=True)
class ResultRecord:
    """One line of a run's ``results.jsonl``, validated: a finished theorem.

    ``fields`` is the whole record, read-only (``as_dict()`` gives a plain copy)."""

    name: str
    status: str
    proof: tuple[str, ...]
    expansions: int
    line: int
    fields: Mapping[str, Any] = field(repr=False, compare=False)

    def as_dict(self) -> dict:
        return dict(self.fields)


def result_record(path: Path | str, line: int, row: dict) -> ResultRecord:
    """Validate one results line: ``name``, ``status``, ``proof`` (non-empty when proved) and
    ``expansions`` are required; the counts, seconds, ``message``, ``stop_reason``,
    ``category`` and ``settings`` are type-checked when present."""
    f = _Fields(path, line, row)
    name = f.name()
    status = f.text("status", required=True)
    if status not in STATUSES:
        raise f.error("status", f"{status!r} is not one of {', '.join(STATUSES)}")
    if status == "proved" and not row.get("proof"):
        if "proof" not in row:
            raise f.error("proof", "missing: a 'proved' result needs its proof")
        f.texts("proof")  # a wrong type says so first
        raise f.error("proof", "empty: a 'proved' result needs its proof")
    proof = f.texts("proof", required=True)
    expansions = f.number("expansions", integer=True, required=True)
    for key in RESULT_COUNTS:
        f.number(key, integer=True)
    for key in RESULT_SECONDS:
        f.number(key)
    for key in ("message", "stop_reason", "category"):
        f.text(key)
    f.mapping("settings")
    assert proof is not None and isinstance(expansions, int)
    return ResultRecord(name, status, proof, expansions, line, MappingProxyType(dict(row)))


@dataclass(frozen=True)
class ResultsFile:
    """What ``read_results`` found: the records (first line of each theorem, in file order),
    the line numbers of duplicates it dropped, whether a torn last line was dropped, and
    ``notes`` saying what was (or, without ``repair``, would be) repaired."""

    records: tuple[ResultRecord, ...]
    duplicates: tuple[int, ...] = ()
    torn: bool = False
    notes: tuple[str, ...] = ()


def read_results(path: Path, *, repair: bool = False) -> ResultsFile:
    """The records of a results file (empty if it does not exist).

    A last line without its newline is a write that was cut off: ignored, and with
    ``repair`` cut from the file. A theorem with several lines keeps its first; with
    ``repair`` the file is rewritten (atomically) without the others. Any other bad line
    raises ``RecordError`` naming the file, line and field; the file is left as it was.
    """
    path = Path(path)
    if not path.exists():
        return ResultsFile(())
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    torn = bool(tail.strip())
    text = decode_text(path, b"\n".join(complete))
    records: list[ResultRecord] = []
    kept: list[str] = []
    duplicates: list[int] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.split("\n") if complete else [], 1):
        if not line.strip():
            continue
        rec = result_record(path, lineno, parse_line(path, lineno, line))
        if rec.name in seen:
            duplicates.append(lineno)
            continue
        seen.add(rec.name)
        records.append(rec)
        kept.append(line)
    notes = []
    if torn:
        notes.append(f"{path}:{len(lines)}: cut off an unfinished last line (a write that was interrupted)")
    if duplicates:
        shown = ", ".join(map(str, duplicates[:10])) + (" …" if len(duplicates) > 10 else "")
        notes.append(
            f"{path}: dropped {len(duplicates)} duplicate result line(s) (line(s) {shown}); "
            "kept the first line of each theorem"
        )
    if repair and duplicates:
        atomic_write_text(path, "".join(line + "\n" for line in kept))
    elif repair and torn:
        with path.open("r+b") as fh:
            fh.truncate(len(data) - len(tail))
    return ResultsFile(tuple(records), tuple(duplicates), torn, tuple(notes))
