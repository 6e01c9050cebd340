"""JSON Lines, read line by line with one clear error per bad line (no schema here).

``read_jsonl(path)`` yields ``(line number, object)`` for each non-blank line of a UTF-8
file (a leading byte-order mark dropped). A byte that is not UTF-8, invalid JSON, a value
that is not an object, nesting too deep to parse, or an integer over Python's digit limit is a
``RecordError`` naming the file and the line. The typed records on top of this are in
``qed.data.records``; readers without a schema of their own here (SFT pairs) use it directly.
Imports nothing from qed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class RecordError(ValueError):
    """A record that cannot be used; the message names the file, the line and the field."""

    def __init__(self, path: Path | str, line: int | None, problem: str, *, field: str | None = None):
        self.path = str(path)
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{path}:{line}" if line is not None else f"{path}"
        what = f"field '{field}': " if field is not None else ""
        super().__init__(f"{where}: {what}{problem}")


# ---- lines -------------------------------------------------------------------------------


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 text (a leading byte-order mark is dropped), or an error naming the line."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordError(path, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x})") from exc


def parse_line(path: Path | str, lineno: int, line: str | bytes) -> dict:
    """One JSON object from one line, or ``RecordError`` saying why not."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RecordError(path, lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from exc
    except RecursionError as exc:
        raise RecordError(path, lineno, "invalid JSON: nested too deeply") from exc
    except ValueError as exc:  # an integer over Python's digit limit (4,300 digits by default)
        first = str(exc).split(":")[0]
        raise RecordError(path, lineno, f"unreadable JSON: {first}") from exc
    if not isinstance(row, dict):
        raise RecordError(path, lineno, f"expected a JSON object, got {kind_of(row)}")
    return row


def read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    """``(1-based line, object)`` for each non-blank line of ``path``."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RecordError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    text = decode_text(path, data)
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield lineno, parse_line(path, lineno, line)


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({short_repr(value)})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def short_repr(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge integer"
    return text if len(text) <= 40 else text[:37] + "..."
