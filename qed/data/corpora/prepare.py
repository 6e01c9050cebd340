"""``prepare``: corpora in, one cleaned, deduplicated, decontaminated, split dataset out.

Stages, each counted per source (``stages.json``), in this order:

1. ``rows``: rows read; unreadable lines are counted as ``unreadable``.
2. ``converted``: rows that became a ``CorpusRecord`` (``rejected`` otherwise, with the reason).
3. ``unsound``: records whose preamble uses sorry/admit/cheat or declares an axiom are
   removed; unsound *proofs* are dropped from the rest (``proofs_unsound`` counts them).
4. ``unparsable``: statements that do not read as ``theorem NAME … : T := by``.
5. ``no_proof``: no proof and no pre-traced step left.
6. ``duplicate``: the same ``canonical`` statement as a record kept earlier (corpora are read
   in the order given; the first keeps the name).
7. ``contaminated``: an exact, normalised or near match of a benchmark statement
   (``contamination.py``); removed unless ``PrepareSettings.remove_contaminated`` is off,
   reported either way.
8. ``kept``, by split (``split_of`` the name).

Written to ``out``: ``records.jsonl`` (kept records, each with its ``split``),
``removed.jsonl`` (name, source, stage, reason), ``contamination.jsonl``, ``stages.json``
(counts and the settings), and ``train.jsonl``/``valid.jsonl``/``test.jsonl`` in the benchmark
schema (records with a statement) for ``qed prove`` and ``qed iterate``. Files appear when
complete (written under temporary names, then renamed). Knows nothing about tracing or Lean.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from qed.data.corpora.clean import SPLITS, drop_unsound_proofs, split_of, statement_error, unsound_reason
from qed.data.corpora.contamination import ContaminationIndex, canonical
from qed.data.corpora.fetch import Rows
from qed.data.corpora.record import CorpusRecord, Rejected
from qed.data.corpora.sources import Corpus

__all__ = ["REMOVED", "STAGES", "PrepareSettings", "PrepareSummary", "prepare"]

REMOVED = ("unreadable", "rejected", "unsound", "unparsable", "no_proof", "duplicate", "contaminated")
STAGES = ("rows", "converted", *REMOVED, "kept")


@dataclass(frozen=True)
class PrepareSettings:
    """Choices of ``prepare`` (one place for their defaults)."""

    near_threshold: float = 0.8  # 3-gram Jaccard of canonical statements that counts as a near match
    remove_contaminated: bool = True
    deduplicate: bool = True
    valid_fraction: float = 0.05
    test_fraction: float = 0.05


@dataclass(frozen=True)
class PrepareSummary:
    """Counts per source and stage, and what ``prepare`` wrote."""

    counts: dict[str, dict[str, int]]
    splits: dict[str, dict[str, int]]
    contaminated: int
    out: str

    def total(self, stage: str) -> int:
        return sum(c.get(stage, 0) for c in self.counts.values())


class _Writer:
    def __init__(self, out: Path, names: Iterable[str]):
        out.mkdir(parents=True, exist_ok=True)
        self.final = {n: out / n for n in names}
        self.handles = {n: (out / f".{n}.partial").open("w", encoding="utf-8") for n in self.final}

    def write(self, name: str, doc: dict) -> None:
        self.handles[name].write(json.dumps(doc, ensure_ascii=False) + "\n")

    def close(self) -> None:
        for name, fh in self.handles.items():
            fh.close()
            os.replace(fh.name, self.final[name])


def prepare(
    sources: list[tuple[Corpus, Rows]],
    out: Path,
    *,
    settings: PrepareSettings = PrepareSettings(),
    benchmarks: Iterable[tuple[str, str, str]] = (),
    progress: Callable[[str, int], None] | None = None,
) -> PrepareSummary:
    """Run the stages of the module docstring over ``sources`` (read in order) into ``out``.

    ``benchmarks``: (benchmark, name, statement) triples to decontaminate against.
    ``progress(source, rows_read)`` is called every 1,000 rows.
    """
    index = ContaminationIndex(benchmarks, near_threshold=settings.near_threshold)
    counts: dict[str, Counter] = defaultdict(Counter)
    splits: dict[str, Counter] = defaultdict(Counter)
    seen: dict[str, str] = {}
    n_contaminated = 0
    files = ["records.jsonl", "removed.jsonl", "contamination.jsonl"] + [f"{s}.jsonl" for s in SPLITS]
    writer = _Writer(out, files)

    def removed(rec_name: str, source: str, stage: str, reason: str, **more) -> None:
        counts[source][stage] += 1
        writer.write(
            "removed.jsonl", {"name": rec_name, "source": source, "stage": stage, "reason": reason, **more}
        )

    try:
        for corpus, rows in sources:
            c = counts[corpus.key]
            for item in corpus.convert(_counted(rows.rows, c, corpus.key, progress)):
                if isinstance(item, Rejected):
                    removed(item.name, corpus.key, "rejected", item.reason)
                    continue
                c["converted"] += 1
                record = item
                bad = unsound_reason(record.preamble) if record.preamble else None
                if bad:
                    removed(record.name, corpus.key, "unsound", f"preamble {bad}")
                    continue
                record, dropped = drop_unsound_proofs(record)
                c["proofs_unsound"] += len(dropped)
                c["proofs_in"] += len(record.proofs) + len(dropped)
                if record.formal_statement:
                    err = statement_error(record.formal_statement)
                    if err:
                        removed(record.name, corpus.key, "unparsable", err)
                        continue
                if not record.proofs and not record.steps:
                    why = (
                        f"every proof dropped ({'; '.join(sorted(set(dropped)))})" if dropped else "no proof"
                    )
                    removed(record.name, corpus.key, "no_proof", why)
                    continue
                key = canonical(record.formal_statement) if record.formal_statement else None
                if settings.deduplicate and key is not None:
                    first = seen.get(key)
                    if first is not None:
                        removed(record.name, corpus.key, "duplicate", f"same statement as {first}", of=first)
                        continue
                    seen[key] = record.name
                match = (
                    index.match(record.formal_statement, key) if key is not None and len(index) else None
                )
                if match is not None:
                    n_contaminated += 1
                    doc = {
                        "name": record.name,
                        "source": corpus.key,
                        "benchmark": match.benchmark,
                        "benchmark_name": match.name,
                        "kind": match.kind,
                        "score": match.score,
                    }
                    writer.write("contamination.jsonl", doc)
                    if settings.remove_contaminated:
                        removed(
                            record.name,
                            corpus.key,
                            "contaminated",
                            f"{match.kind} match of {match.benchmark}/{match.name} (score {match.score:g})",
                        )
                        continue
                split = split_of(record.name, valid=settings.valid_fraction, test=settings.test_fraction)
                c["kept"] += 1
                splits[corpus.key][split] += 1
                doc = record.to_json()
                doc["split"] = split
                writer.write("records.jsonl", doc)
                if record.formal_statement:
                    writer.write(f"{split}.jsonl", record.benchmark_row(split))
            c["unreadable"] += len(rows.bad)
            for line in rows.bad:
                writer.write(
                    "removed.jsonl", {"name": "", "source": corpus.key, "stage": "unreadable", "reason": line}
                )
    finally:
        writer.close()
    summary = PrepareSummary(
        {k: dict(v) for k, v in counts.items()},
        {k: dict(v) for k, v in splits.items()},
        n_contaminated,
        str(out),
    )
    doc = {
        "counts": summary.counts,
        "splits": summary.splits,
        "contaminated": n_contaminated,
        "settings": asdict(settings),
        "sources": [
            {"corpus": c.key, "from": r.origin, "lean_version": c.lean_version, "license": c.license}
            for c, r in sources
        ],
    }
    tmp = out / ".stages.json.partial"
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "stages.json")
    return summary


def _counted(rows, c: Counter, key: str, progress):
    for row in rows:
        c["rows"] += 1
        if progress and c["rows"] % 1000 == 0:
            progress(key, c["rows"])
        yield row


def read_records(path: Path) -> list[CorpusRecord]:
    """The records of a ``records.jsonl`` written by ``prepare`` (split kept in ``extra``)."""
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                doc = json.loads(line)
                rec = CorpusRecord.from_json(doc)
                out.append(replace(rec, extra={**rec.extra, "split": doc.get("split", "")}))
    return out


__all__ += ["read_records"]
