"""The one record every public corpus is normalised into, and its JSON form.

A ``CorpusRecord`` is one theorem: a source-prefixed ``name``, its ``formal_statement``
ending in ``:= by`` (empty for corpora that ship only traced steps, such as LEAN-GitHub),
the ``header`` (imports, ``open``, ``set_option``) and ``preamble`` (definitions and lemmas
the statement needs) it elaborates under, zero or more tactic ``proofs`` (the text after
``:= by``), pre-traced ``steps``, and where it came from (``source`` corpus key, ``origin``
id or file, ``lean_version``, ``license``). ``header + preamble + statement + proof`` is a
Lean file. Records are written one JSON object per line (``to_json``/``from_json`` are
inverse). Knows nothing about loading, filtering or tracing.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TacticStep:
    """One pre-traced step: the pretty-printed goals before, the tactic, the goals after."""

    state_before: str
    tactic: str
    state_after: str


@dataclass(frozen=True)
class CorpusRecord:
    """One theorem of a corpus (see the module docstring). ``proofs`` are tactic blocks."""

    name: str
    source: str
    formal_statement: str
    header: str = ""
    preamble: str = ""
    proofs: tuple[str, ...] = ()
    steps: tuple[TacticStep, ...] = ()
    lean_version: str = ""
    license: str = ""
    origin: str = ""
    informal: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict:
        """Plain JSON values; ``from_json`` reads them back."""
        doc = {
            "name": self.name,
            "source": self.source,
            "formal_statement": self.formal_statement,
            "header": self.header,
            "preamble": self.preamble,
            "proofs": list(self.proofs),
            "steps": [[s.state_before, s.tactic, s.state_after] for s in self.steps],
            "lean_version": self.lean_version,
            "license": self.license,
            "origin": self.origin,
            "informal": self.informal,
        }
        if self.extra:
            doc["extra"] = self.extra
        return doc

    @classmethod
    def from_json(cls, doc: dict) -> CorpusRecord:
        return cls(
            name=doc["name"],
            source=doc["source"],
            formal_statement=doc.get("formal_statement", ""),
            header=doc.get("header", ""),
            preamble=doc.get("preamble", ""),
            proofs=tuple(doc.get("proofs", ())),
            steps=tuple(TacticStep(*s) for s in doc.get("steps", ())),
            lean_version=doc.get("lean_version", ""),
            license=doc.get("license", ""),
            origin=doc.get("origin", ""),
            informal=doc.get("informal", ""),
            extra=dict(doc.get("extra", {})),
        )

    def benchmark_row(self, split: str = "") -> dict:
        """The record as a miniF2F-schema benchmark row (``qed.data.benchmarks``), first proof
        included: what ``qed prove`` and ``qed iterate`` read as training statements. The
        preamble is part of the header there (it must precede the statement)."""
        header = self.header.rstrip("\n")
        if self.preamble.strip():
            header = (header + "\n\n" + self.preamble.strip("\n")).strip("\n")
        row = {
            "name": self.name,
            "split": split,
            "header": header,
            "formal_statement": self.formal_statement,
            "source": self.source,
        }
        if self.proofs:
            row["proof"] = self.proofs[0]
        return row


@dataclass(frozen=True)
class Rejected:
    """A row (or group of rows) that did not become a record: which, and why."""

    name: str
    source: str
    reason: str
