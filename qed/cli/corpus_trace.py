"""Tracing a prepared corpus into (state, tactic) pairs: ``qed data trace``.

Input: the ``records.jsonl`` ``qed data prepare`` wrote. Each record with a statement and
proofs is replayed through the sandbox (``qed.env.sandbox.fidelity.run_case``: a per-tactic
and a whole-proof time limit, the failing step classified by cause); its proofs are tried
in order (at most ``max_proofs``) and every one that checks contributes its steps. Records
that ship pre-traced steps (LEAN-GitHub, the Workbook's pairs file) contribute those steps
as they are. On a machine with Lean, ``qed.env.pantograph`` traces whole files through
``frontend.process`` instead (``trace_record_lean``, ``qed data trace --env pantograph``).

Output, beside the records: ``traced.jsonl``, one line per record (status, cause, steps),
appended and flushed as each record finishes, so a killed run resumes where it stopped (a
torn last line is dropped); then ``pairs.jsonl``, the SFT pairs of the ``train`` split, in
``qed.train.sft_data``'s schema. ``workers > 1`` runs records in worker processes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from qed.data.corpora.record import CorpusRecord
from qed.data.rundir import atomic_path

__all__ = [
    "TraceSettings",
    "lean_source",
    "trace_corpus",
    "trace_record",
    "trace_record_lean",
    "write_pairs_file",
]

PRETRACED, NO_PROOF, TO_TRACE = "pretraced", "no_proof", "to trace"


@dataclass(frozen=True)
class TraceSettings:
    """Limits of ``qed data trace`` (one place for their defaults)."""

    tactic_timeout_s: float = 5.0
    proof_timeout_s: float = 30.0
    max_proofs: int = 4
    workers: int = 1


_ENV = None  # one SandboxEnv per worker process, made by ``_init_worker``


def _init_worker(tactic_timeout_s: float) -> None:
    global _ENV
    from qed.env.sandbox.env import SandboxEnv

    _ENV = SandboxEnv(tactic_timeout_s=tactic_timeout_s)


def _start_line(doc: dict) -> tuple[CorpusRecord, dict]:
    """The record of a ``records.jsonl`` line and its ``traced.jsonl`` line so far: final
    (``pretraced`` steps, or ``no_proof``) unless its status is ``TO_TRACE``."""
    record = CorpusRecord.from_json(doc)
    line = {
        "name": record.name,
        "source": record.source,
        "split": doc.get("split", ""),
        "status": TO_TRACE,
        "kind": "",
        "cause": "",
        "message": "",
        "proofs_checked": 0,
        "steps": [],
        "seconds": 0.0,
    }
    if record.steps:
        line.update(status=PRETRACED, steps=[[s.state_before, s.tactic] for s in record.steps])
    elif not record.formal_statement or not record.proofs:
        line["status"] = NO_PROOF
    return record, line


def trace_record(doc: dict, settings: TraceSettings, env=None) -> dict:
    """The ``traced.jsonl`` line of one ``records.jsonl`` line (see the module docstring)."""
    from qed.env.sandbox.fidelity import CHECKED, FidelityCase, run_case

    record, line = _start_line(doc)
    if line["status"] != TO_TRACE:
        return line
    env = env if env is not None else _ENV
    if env is None:
        _init_worker(settings.tactic_timeout_s)
        env = _ENV
    header = record.header.rstrip("\n")
    if record.preamble.strip():
        header = (header + "\n\n" + record.preamble.strip("\n")).strip("\n")
    steps: list[list[str]] = []
    seen: set[tuple[str, str]] = set()
    first = None
    for proof in record.proofs[: settings.max_proofs]:
        case = FidelityCase(record.name, 0, record.formal_statement, proof, header=header)
        out = run_case(
            case, env, tactic_timeout_s=settings.tactic_timeout_s, proof_timeout_s=settings.proof_timeout_s
        )
        line["seconds"] = round(line["seconds"] + out.seconds, 4)
        first = first or out
        if out.status == CHECKED:
            line["proofs_checked"] += 1
            for step in out.trace:
                if (step.state, step.tactic) not in seen:
                    seen.add((step.state, step.tactic))
                    steps.append([step.state, step.tactic])
        if out.status != "failed" and out.status != CHECKED:
            break  # a rejected statement: the other proofs are of the same statement
    if line["proofs_checked"]:
        line.update(status=CHECKED, steps=steps)
    else:
        line.update(status=first.status, kind=first.kind, cause=first.cause, message=first.message[:500])
    return line


def lean_source(record: CorpusRecord, proof: str) -> str:
    """The whole Lean file of ``record`` with ``proof``: header, preamble, statement, proof, and
    the ``end`` lines a preamble's namespaces need (``extra.suffix``)."""
    parts = [
        record.header.rstrip("\n"),
        record.preamble.strip("\n"),
        record.formal_statement + proof.rstrip("\n"),
        str(record.extra.get("suffix", "")).strip("\n"),
    ]
    return "\n\n".join(p for p in parts if p)


def trace_record_lean(doc: dict, trace_file, settings: TraceSettings = TraceSettings()) -> dict:
    """``trace_record`` through real Lean: ``trace_file(source)`` is
    ``qed.env.pantograph.PantographEnv.trace_file`` (``frontend.process`` with invocations over the
    whole file). A proof counts when the file has no error; its steps are the invocations'
    (goal before, tactic) in order."""
    record, line = _start_line(doc)
    if line["status"] != TO_TRACE:
        return line
    steps: list[list[str]] = []
    first_error = ""
    for proof in record.proofs[: settings.max_proofs]:
        t0 = time.perf_counter()
        trace = trace_file(lean_source(record, proof))
        line["seconds"] = round(line["seconds"] + time.perf_counter() - t0, 4)
        if trace.errors:
            first_error = first_error or trace.errors[0]
            continue
        line["proofs_checked"] += 1
        for inv in trace.invocations:
            if [inv.goal_before, inv.tactic] not in steps:
                steps.append([inv.goal_before, inv.tactic])
    if line["proofs_checked"]:
        line.update(status="checked", steps=steps)
    else:
        line.update(status="failed", kind="lean error", cause="lean error", message=first_error[:500])
    return line


def _done(path: Path) -> set[str]:
    """Names already traced; a torn last line (a killed run) is cut off."""
    if not path.exists():
        return set()
    names, good = set(), 0
    with path.open("rb") as fh:
        for raw in fh:
            try:
                names.add(json.loads(raw)["name"])
            except (ValueError, KeyError):
                break
            good += len(raw)
    if good < path.stat().st_size:
        with path.open("r+b") as fh:
            fh.truncate(good)
    return names


def _records(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def trace_corpus(
    data: Path,
    settings: TraceSettings = TraceSettings(),
    *,
    limit: int = 0,
    on_item: Callable[[dict], None] | None = None,
    lean_trace_file: Callable | None = None,
) -> int:
    """Trace ``data/records.jsonl`` into ``data/traced.jsonl`` (resuming); returns the number
    of records traced by this call. ``on_item`` sees each ``traced.jsonl`` line. With
    ``lean_trace_file`` (a Pantograph env's ``trace_file``) records go through Lean, one at a
    time in this process, instead of the sandbox."""
    records_path = data / "records.jsonl"
    if not records_path.exists():
        raise FileNotFoundError(f"{records_path}: no such file (run `qed data prepare --out {data}` first)")
    out = data / "traced.jsonl"
    done = _done(out)
    todo = (d for d in _records(records_path) if d["name"] not in done)
    n = 0
    with out.open("a", encoding="utf-8") as fh:

        def commit(line: dict) -> None:
            nonlocal n
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            fh.flush()
            n += 1
            if on_item:
                on_item(line)

        if lean_trace_file is not None:
            for doc in todo:
                if limit and n >= limit:
                    break
                commit(trace_record_lean(doc, lean_trace_file, settings))
            return n
        if settings.workers <= 1:
            _init_worker(settings.tactic_timeout_s)
            for doc in todo:
                if limit and n >= limit:
                    break
                commit(trace_record(doc, settings))
            return n
        with ProcessPoolExecutor(
            settings.workers,
            mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(settings.tactic_timeout_s,),
        ) as pool:
            pending: set = set()
            for doc in todo:
                if limit and n + len(pending) >= limit:
                    break
                pending.add(pool.submit(trace_record, doc, settings))
                if len(pending) >= 4 * settings.workers:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in finished:
                        commit(f.result())
            for f in pending:
                commit(f.result())
    return n


def write_pairs_file(data: Path) -> dict[str, int]:
    """``data/pairs.jsonl`` from ``traced.jsonl``: the pairs of the train split's records.
    Returns counts (pairs, theorems, held-out pairs not written)."""
    from qed.train.sft_data import SftPair, write_pairs

    meta = {d["name"]: d for d in _records(data / "records.jsonl")}
    pairs, theorems, held_out = [], set(), 0
    for line in _records(data / "traced.jsonl"):
        if not line["steps"]:
            continue
        if line.get("split", "train") != "train":
            held_out += len(line["steps"])
            continue
        rec = meta.get(line["name"], {})
        header = rec.get("header", "").rstrip("\n")
        if rec.get("preamble", "").strip():
            header = (header + "\n\n" + rec["preamble"].strip("\n")).strip("\n")
        statement = rec.get("formal_statement", "")
        for state, tactic in line["steps"]:
            pairs.append(SftPair(line["name"], state, tactic, header, statement))
        theorems.add(line["name"])
    with atomic_path(data / "pairs.jsonl") as tmp:
        write_pairs(pairs, tmp)
    return {"pairs": len(pairs), "theorems": len(theorems), "held_out_pairs": held_out}


def cpu_workers() -> int:
    return max(1, (os.cpu_count() or 1))
