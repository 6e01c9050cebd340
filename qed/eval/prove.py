"""The proving run: search every theorem of a benchmark, write results as they come, resume.

Owns the layout of one run directory and its crash-safe, resumable writing::

    <run>/results.jsonl          one record per finished theorem (the commit point)
    <run>/trajectories/NAME.parquet   one part per searched theorem (trajectory schema + timings)
    <run>/proofs.jsonl           {"name", "proof", "tactics"} per proved theorem
    <run>/proofs/NAME.lean       header + statement + proof, per proved theorem
    <run>/sft_pairs.jsonl        the (state, tactic) pairs of each proof, read off its SearchResult
    <run>/trajectories.parquet   all parts in one file (written at the end)
    <run>/summary.json           ``qed.eval.summary.summarize`` of the records
    <run>/DONE                   written last

Per theorem the part and proof files are written first and the ``results.jsonl`` line last
(flushed and fsynced), so a theorem counts as finished exactly when its line is complete.
On start (``prepare``) a torn last line is cut off, and parts, proofs and proof lines of
theorems without a result line are removed; finished theorems are skipped. A run with
``DONE`` is complete and is not searched again.

Knows nothing about how searches run: a ``qed.core.Prover`` (``qed.dist.local.LocalProver``) turns
theorems into ``SearchResult`` values; nothing about config or printing (callbacks report).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq

from qed.core import Prover, Theorem
from qed.data.proofs import lean_source, proof_text, sft_pairs, trajectory_table
from qed.data.records import RecordError, read_results
from qed.data.rundir import append_line, atomic_path, atomic_write_text, clear_done, is_done, mark_done
from qed.eval.summary import category, summarize
from qed.search.result import SearchResult

_SAFE = re.compile(r"[^A-Za-z0-9_.'-]")


class RunError(ValueError):
    """A run directory that cannot be resumed (e.g. a corrupt results file); says which file."""


@dataclass(frozen=True)
class RunPaths:
    root: Path

    @property
    def results(self) -> Path:
        return self.root / "results.jsonl"

    @property
    def proofs(self) -> Path:
        return self.root / "proofs.jsonl"

    @property
    def pairs(self) -> Path:
        return self.root / "sft_pairs.jsonl"

    @property
    def proofs_dir(self) -> Path:
        return self.root / "proofs"

    @property
    def parts(self) -> Path:
        return self.root / "trajectories"

    @property
    def trajectories(self) -> Path:
        return self.root / "trajectories.parquet"

    @property
    def summary(self) -> Path:
        return self.root / "summary.json"

    @property
    def done(self) -> Path:
        return self.root / "DONE"


def file_stem(name: str) -> str:
    """A file-name-safe stem for a theorem name (a hash suffix when characters were replaced);
    never empty and never hidden (a leading dot is replaced)."""
    safe = _SAFE.sub("_", name)[:150]
    if not safe or safe.startswith("."):
        safe = "_" + safe.lstrip(".")
    if safe == name:
        return safe
    return f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def result_record(result: SearchResult) -> dict:
    """The ``results.jsonl`` record of one search (plain JSON values)."""
    s = result.stats
    return {
        "name": result.theorem.name,
        "category": category(result.theorem.name),
        "status": result.status,
        "stop_reason": result.stop_reason,
        "message": result.message or failure_reason(result),
        "proof": list(result.proof_tactics()),
        "expansions": s.expansions,
        "nodes": s.nodes,
        "merged": s.merged,
        "max_depth": max((n.depth for n in result.nodes), default=0),
        "env_calls": s.env_calls,
        "env_seconds": s.env_seconds,
        "policy_calls": s.policy_calls,
        "policy_seconds": s.policy_seconds,
        "value_calls": s.value_calls,
        "value_seconds": s.value_seconds,
        "overhead_seconds": s.overhead_seconds,
        "wall_seconds": s.wall_seconds,
        "settings": dict(result.settings),
    }


def failure_reason(result: SearchResult) -> str:
    """Why a ``failed`` search found no proof, in one line: what stopped it and the most
    frequent tactic error (``""`` for any other status; those carry their own message)."""
    if result.status != "failed":
        return ""
    errors = Counter(
        (n.message.strip().splitlines() or [""])[0][:200] for n in result.nodes if n.outcome == "error"
    )
    why = {"expansions": "the expansion budget ran out", "seconds": "the time budget ran out",
           "exhausted": "no live state was left to expand"}
    stop = why.get(str(result.stop_reason), str(result.stop_reason))
    text = f"no proof: {stop} after {result.stats.expansions} expansion(s)"
    if errors:
        message, count = errors.most_common(1)[0]
        text += f"; {sum(errors.values())} tactic application(s) failed, most often ({count}x): {message}"
    return text


def read_records(
    path: Path, *, repair: bool = False, on_note: Callable[[str], None] | None = None
) -> list[dict]:
    """The records of a results file, validated by ``qed.data.records.read_results``: a torn
    (unterminated) last line is ignored and a theorem's duplicate lines are dropped (with
    ``repair``, both are removed from the file; ``on_note`` hears what was repaired). A bad
    line anywhere else raises ``RunError`` naming the file, line and field."""
    try:
        found = read_results(path, repair=repair)
    except RecordError as exc:
        raise RunError(f"{exc}; fix or remove that line to resume this run") from exc
    if on_note is not None:
        for note in found.notes:
            on_note(note)
    return [r.as_dict() for r in found.records]


def prepare(paths: RunPaths, on_note: Callable[[str], None] | None = None) -> list[dict]:
    """Make ``paths`` consistent with its results file and return the finished records."""
    paths.root.mkdir(parents=True, exist_ok=True)
    records = read_records(paths.results, repair=True, on_note=on_note)
    finished = {file_stem(r["name"]) for r in records}
    proved = {r["name"] for r in records if r["status"] == "proved"}
    for directory, suffix in ((paths.parts, ".parquet"), (paths.proofs_dir, ".lean")):
        if directory.exists():
            for f in directory.iterdir():
                if f.suffix == suffix and f.stem not in finished or f.name.endswith(".tmp"):
                    f.unlink()
    _keep_lines(paths.proofs, "name", proved, once=True)
    _keep_lines(paths.pairs, "theorem", proved, once=False)
    return records


def _keep_lines(path: Path, key: str, names: set[str], *, once: bool) -> None:
    """Keep the JSON lines of ``path`` whose ``key`` is in ``names`` (torn or stray lines go);
    ``once``: only the first line of each name."""
    if not path.exists():
        return
    kept, seen = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            name = json.loads(line)[key]
        except (ValueError, KeyError, TypeError):
            continue
        if name in names and not (once and name in seen):
            seen.add(name)
            kept.append(line)
    atomic_write_text(path, "".join(k + "\n" for k in kept))


def write_result(paths: RunPaths, result: SearchResult) -> dict:
    """Write one theorem's part, proof files and (last) its result line; return the record."""
    stem = file_stem(result.theorem.name)
    if result.nodes:
        paths.parts.mkdir(parents=True, exist_ok=True)
        with atomic_path(paths.parts / f"{stem}.parquet") as tmp:
            pq.write_table(trajectory_table([result]), tmp)
    if result.proved:
        tactics = list(result.proof_tactics())
        paths.proofs_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(paths.proofs_dir / f"{stem}.lean", lean_source(result.theorem, tactics))
        for step in sft_pairs(result):
            append_line(paths.pairs, asdict(step))
        append_line(
            paths.proofs, {"name": result.theorem.name, "proof": proof_text(result), "tactics": tactics}
        )
    record = result_record(result)
    append_line(paths.results, record)
    return record


def consolidate(paths: RunPaths, names: Sequence[str]) -> int:
    """Write every finished theorem's part into ``trajectories.parquet``; return the row count."""
    parts = [paths.parts / f"{file_stem(n)}.parquet" for n in names]
    parts = [p for p in parts if p.exists()]
    rows = 0
    with atomic_path(paths.trajectories) as tmp:
        writer = None
        try:
            for p in parts:
                table = pq.read_table(p)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
                rows += table.num_rows
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            pq.write_table(trajectory_table([]), tmp)
    return rows


def run_prove(
    theorems: Sequence[Theorem],
    prover: Prover[SearchResult],
    root: Path,
    *,
    on_start: Callable[[list[dict], int], None] | None = None,
    on_result: Callable[[dict], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    stop_after: int | None = None,
) -> dict | None:
    """Prove ``theorems`` into run directory ``root``, resuming what is there.

    ``on_start(finished records, theorems left)`` is called once, ``on_result(record)`` after
    each theorem, ``on_note(text)`` for each repair made to the results file on resume
    (a torn last line cut off, duplicate lines dropped). With ``stop_after`` the run stops
    after that many new theorems without finishing (as if interrupted) and returns None;
    otherwise returns the summary.
    """
    names = [t.name for t in theorems]
    if len(set(names)) != len(names):
        raise RunError("theorem names must be unique within a run")
    paths = RunPaths(root)
    records = prepare(paths, on_note)
    known = set(names)
    stray = [r["name"] for r in records if r["name"] not in known]
    if stray:
        raise RunError(
            f"{paths.results} has results for theorems not in this benchmark "
            f"(e.g. '{stray[0]}'): use a new run name"
        )
    finished = {r["name"] for r in records}
    todo = [t for t in theorems if t.name not in finished]
    if is_done(paths.root) and todo:
        clear_done(paths.root)
    if on_start is not None:
        on_start(records, len(todo))
    new = 0
    with closing(prover.prove(todo)) as results:
        for result in results:
            record = write_result(paths, result)
            records.append(record)
            new += 1
            if on_result is not None:
                on_result(record)
            if stop_after is not None and new >= stop_after:
                return None
    return finish(paths, records, names)


def finish(paths: RunPaths, records: list[dict], order: Sequence[str]) -> dict:
    """Consolidate trajectories, write the summary, then ``DONE``; return the summary."""
    rank = {n: i for i, n in enumerate(order)}
    records = sorted(records, key=lambda r: rank.get(r["name"], len(rank)))
    consolidate(paths, [r["name"] for r in records])
    summary = summarize(records)
    atomic_write_text(paths.summary, json.dumps(summary, indent=2) + "\n")
    mark_done(paths.root)
    return summary
