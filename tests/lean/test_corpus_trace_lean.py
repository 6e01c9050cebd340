"""Tracing a corpus record through real Lean (``qed.cli.corpus_trace.trace_record_lean``) over a
recorded upstream ``frontend.process`` exchange with invocations (Pantograph's integration test,
see tests/fixtures/lean/transcripts/README.md): the steps are Lean's own goals and tactics."""

from __future__ import annotations

from qed.cli.corpus_trace import lean_source, trace_record_lean
from qed.data.corpora import CorpusRecord
from qed.env.pantograph import PantographEnv

RECORD = CorpusRecord(
    "test.or_inl",
    "test",
    "example : ∀ (p q: Prop), p → p ∨ q := by",
    proofs=("\n  intro p q h\n  exact Or.inl h",),
)


def test_lean_source_is_the_whole_file():
    assert lean_source(RECORD, RECORD.proofs[0]) == (
        "example : ∀ (p q: Prop), p → p ∨ q := by\n  intro p q h\n  exact Or.inl h"
    )


def test_record_traced_through_recorded_frontend_process(server_cmd, transcripts):
    env = PantographEnv(
        server_cmd("pantograph", transcripts / "pantograph" / "pantograph-v0.3.4-integration.jsonl"),
        version="0.3.4",
        verify_root=False,
    )
    with env:
        line = trace_record_lean(RECORD.to_json() | {"split": "train"}, env.trace_file)
    assert line["status"] == "checked" and line["proofs_checked"] == 1
    assert line["steps"] == [
        ["⊢ ∀ (p q : Prop), p → p ∨ q", "intro p q h"],
        ["p q : Prop\nh : p\n⊢ p ∨ q", "exact Or.inl h"],
    ]
