"""``qed.env.sandbox.fidelity``: records -> cases -> outcomes -> report.

The sandbox grows while these tests stand, so every outcome asserted here is one that
cannot change: ``norm_num`` proves ``2 + 2 = 4``, ``foo_tactic`` is no tactic, a lemma
called ``no_such_lemma_xyz`` exists nowhere, a statement about an undeclared ``y`` is
rejected (the expected reason is computed by ``coverage``, not written down), and the
real-row fixture is only checked for bookkeeping.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from qed.core import Goal, Goals, ProofState, Theorem
from qed.env.sandbox.coverage import coverage
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.fidelity import (
    CHECKED,
    FAILED,
    KINDS,
    LAYOUT,
    LAYOUT_CAUSE,
    REJECTED,
    TACTIC_FAILED,
    TIMEOUT,
    UNKNOWN_LEMMA,
    UNKNOWN_TACTIC,
    UNSUPPORTED_SYNTAX,
    FidelityCase,
    FidelityOutcome,
    FidelityTally,
    InvalidRecord,
    RecordError,
    classify,
    declarations,
    fidelity,
    parse_record,
    read_cases,
    run_case,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "real"
HEADER = "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 0\n\nopen Real Nat\n\n"


def goedel(name: str, theorem: str) -> dict:
    """A record in the Goedel schema: a whole file with one theorem."""
    return {"problem_id": name, "full_proof": HEADER + f"/- {name} in words -/\n" + theorem}


GOOD = goedel("good", "theorem good : (2 : ℕ) + 2 = 4 := by\n  norm_num\n")
FOO = goedel("foo", "theorem foo (x : ℝ) (h : x = 1) : x + 1 = 2 := by\n  foo_tactic [h]\n  linarith\n")
LEMMA = goedel("lem", "theorem lem (x : ℝ) (h : 0 < x) : 0 < x := by\n  exact no_such_lemma_xyz h\n")
# ``y`` is declared nowhere: Lean rejects this statement too, so no sandbox ever accepts it
UNDECLARED = goedel("undecl", "theorem undecl (x : ℝ) : x = y := by\n  rfl\n")
WRONG = goedel("wrong", "theorem wrong (x : ℝ) (h₀ : 2 * x = 4) : x = 3 := by\n  linarith\n")
EXTRA = goedel("extra", "theorem extra : (2 : ℕ) + 2 = 4 := by\n  norm_num\n  rfl\n")


def case(record: dict, line: int = 1) -> FidelityCase:
    return parse_record(record, line)


def run(record: dict, **kw) -> FidelityOutcome:
    return run_case(case(record), SandboxEnv(tactic_timeout_s=5.0), **kw)


# ---- reading records ---------------------------------------------------------------------


def test_a_whole_file_record_gives_the_theorem_its_proof_and_lines():
    c = case(FOO, line=7)
    assert c.name == "foo" and c.record_line == 7 and c.schema == "full_proof"
    assert c.statement == "theorem foo (x : ℝ) (h : x = 1) : x + 1 = 2 := by"
    assert c.proof.split() == ["foo_tactic", "[h]", "linarith"]
    text = FOO["full_proof"].split("\n")
    assert text[c.first_line - 1].startswith("theorem foo")  # the statement's (last) line
    assert "import Mathlib" in c.header and "theorem" not in c.header


def test_the_main_theorem_is_the_named_one_else_the_last():
    text = (
        "import Mathlib\n\n/-- helper -/\nlemma helper (x : ℝ) : x = x := by\n  rfl\n\n"
        "theorem main (x : ℝ) : x + 0 = x := by\n  simp\n\n"
        "theorem after (x : ℝ) : x = x := by\n  rfl\n"
    )
    assert case({"full_proof": text}).name == "after"
    named = case({"full_proof": text, "name": "main"})
    assert named.name == "main" and named.proof.strip() == "simp" and named.first_line == 7
    assert case({"full_proof": text, "full_name": "Ns.helper"}).statement.startswith("lemma helper")
    assert [d[1] for d in declarations(text)] == ["helper", "main", "after"]


def test_a_compfiles_style_record_puts_header_and_preamble_before_the_proof():
    record = {
        "name": "p1",
        "full_name": "P1.p1",
        "header": "import Mathlib.Tactic\n",
        "preamble": "namespace P1\n\nlemma aux : True := by\n  trivial\n",
        "formal_statement": "theorem p1 (a : ℕ) (h : a = 2) : a + a = 4 := by",
        "proof": "theorem p1 (a : ℕ) (h : a = 2) : a + a = 4 := by\n  subst h\n  norm_num",
        "suffix": "end P1\n",
    }
    c = case(record)
    assert c.name == "P1.p1" and c.schema == "proof"
    assert c.statement == record["formal_statement"]
    assert c.proof.split() == ["subst", "h", "norm_num"]
    whole = record["header"] + "\n" + record["preamble"] + "\n" + record["proof"]
    assert whole.split("\n")[c.first_line - 1] == record["formal_statement"]
    assert "lemma aux" in c.header


def test_a_statement_plus_tactic_block_record_is_glued():
    record = {"name": "t", "formal_statement": "theorem t : (1 : ℕ) + 1 = 2 := by", "proof": "\n  norm_num\n"}
    c = case(record)
    assert c.schema == "formal_statement+proof" and c.statement == record["formal_statement"]
    assert c.proof.strip() == "norm_num"
    assert run(record).status == CHECKED


def test_a_whole_declaration_in_proof_is_read_even_when_it_does_not_start_with_the_statement():
    record = {
        "name": "t",
        "formal_statement": "theorem t : (1 : ℕ) + 1 = 2 := by",
        "proof": "/-- doc -/\ntheorem t : (1 : ℕ) + 1 = 2 := by\n  norm_num",
    }
    c = case(record)
    assert c.statement == record["formal_statement"] and c.proof.strip() == "norm_num" and c.first_line == 2


def test_a_term_mode_proof_runs_as_exact():
    record = {"full_proof": "theorem t (x : ℝ) (h₀ : x = 2) (h₁ : 0 < x) : x = 2 ∧ 0 < x :=\n  ⟨h₀, h₁⟩\n"}
    c = case(record)
    assert c.term_mode and c.statement.endswith(":= by") and c.proof.strip() == "exact ⟨h₀, h₁⟩"
    assert run(record).status == CHECKED


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        (
            {"statement": "x", "answer": "y"},
            ["missing fields", "'full_proof'", "'proof'", "answer, statement"],
        ),
        ({"proof": "  norm_num\n"}, ["missing field 'formal_statement'"]),
        ({"full_proof": "import Mathlib\n-- nothing here\n"}, ["no 'theorem', 'lemma' or 'example'"]),
        ({"full_proof": 3}, ["'full_proof' is int"]),
        ([1, 2], ["expected a JSON object"]),
    ],
)
def test_a_record_of_another_schema_is_named_with_its_line(obj, words):
    with pytest.raises(RecordError) as info:
        parse_record(obj, 12)
    assert info.value.line == 12 and str(info.value).startswith("line 12: ")
    for w in words:
        assert w in info.value.message


def test_reading_streams_and_keeps_going_past_bad_lines():
    lines = [json.dumps(GOOD), "{not json", "", json.dumps({"foo": 1}), json.dumps(FOO)]
    items = list(read_cases(iter(lines)))
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["FidelityCase", "InvalidRecord", "InvalidRecord", "FidelityCase"]
    assert items[1].line == 2 and "malformed JSON" in items[1].message
    assert items[2].line == 4 and "missing fields" in items[2].message
    assert items[3].record_line == 5


# ---- outcomes ----------------------------------------------------------------------------


def test_a_proof_that_checks():
    o = run(GOOD)
    assert o.status == CHECKED and o.kind == "" and o.steps == 1


def test_an_unknown_tactic_is_named_with_the_whole_tactic():
    o = run(FOO)
    assert o.status == FAILED and o.kind == UNKNOWN_TACTIC
    assert o.cause == "unknown tactic 'foo_tactic'"
    assert o.tactic == "foo_tactic [h]"
    assert o.line == FOO["full_proof"].split("\n").index("  foo_tactic [h]") + 1


def test_an_unknown_lemma_is_named_without_projections():
    o = run(LEMMA)
    assert (o.status, o.kind, o.cause) == (FAILED, UNKNOWN_LEMMA, "unknown lemma 'no_such_lemma_xyz'")


def test_a_rejected_statement_is_grouped_as_coverage_groups_it():
    o = run(UNDECLARED)
    expected = coverage([Theorem("undecl", case(UNDECLARED).statement)]).rejected[0]
    assert (o.status, o.cause) == (REJECTED, expected.category)
    assert "unknown identifier 'y'" in o.message


def test_a_tactic_that_fails_where_lean_would_succeed_is_named():
    # the proof is wrong, which is how a tactic failure shows up here; the label is the tactic
    o = run(WRONG)
    assert (o.kind, o.cause) == (TACTIC_FAILED, "tactic failed where Lean succeeded: linarith")


def test_a_step_after_the_proof_is_done_is_a_layout_failure():
    o = run(EXTRA)
    assert (o.kind, o.cause, o.tactic) == (LAYOUT, LAYOUT_CAUSE, "rfl")


def test_the_whole_proof_budget_turns_into_a_timeout():
    o = run(GOOD, proof_timeout_s=1e-9)
    assert (o.status, o.kind, o.cause) == (FAILED, TIMEOUT, "timeout: norm_num")
    assert "proof time limit" in o.message


class _SlowEnv:
    """An env whose tactics ignore every deadline (sleeps), to test the hard limit."""

    tactic_timeout_s = 5.0

    def start(self, theorem):
        return ProofState((Goal((), "True"),), handle="slow")

    def apply(self, state, goal_index, tactic):
        time.sleep(5)
        return Goals(state)

    def release(self, states):
        pass


def test_a_tactic_that_ignores_its_deadline_is_stopped_by_the_proof_limit():
    t0 = time.monotonic()
    o = run_case(case(GOOD), _SlowEnv(), proof_timeout_s=0.2)
    assert time.monotonic() - t0 < 4.5  # well before the 5 s sleep ends, with room for a loaded machine
    assert o.kind == TIMEOUT and "proof time limit (0.2 s)" in o.message


def test_the_proof_limit_nests_inside_a_running_alarm():
    import signal

    def outer(signum, frame):  # pragma: no cover - must not fire during the test
        raise AssertionError("the outer alarm fired")

    previous = signal.signal(signal.SIGALRM, outer)
    old = signal.setitimer(signal.ITIMER_REAL, 60.0)
    try:
        o = run_case(case(GOOD), _SlowEnv(), proof_timeout_s=0.2)
        assert o.kind == TIMEOUT
        assert signal.getsignal(signal.SIGALRM) is outer
        assert 50.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 60.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, *old)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    ("tactic", "message", "kind", "cause"),
    [
        ("field_simp", "the sandbox does not implement the tactic 'field_simp'", UNKNOWN_TACTIC,
         "unknown tactic 'field_simp'"),
        ("simpa using h", "unknown tactic 'simpa' (line 1, column 0)", UNKNOWN_TACTIC,
         "unknown tactic 'simpa'"),
        ("exact Real.sqrt_pos.2 h", "unknown identifier 'Real.sqrt_pos.2'", UNKNOWN_LEMMA,
         "unknown lemma 'Real.sqrt_pos'"),
        ("exact h₅", "unknown identifier 'h₅'", TACTIC_FAILED, "tactic failed where Lean succeeded: exact"),
        ("exact h_sum", "unknown identifier 'h_sum'", TACTIC_FAILED,
         "tactic failed where Lean succeeded: exact"),
        ("exact half_pos h", "unknown identifier 'half_pos'", UNKNOWN_LEMMA, "unknown lemma 'half_pos'"),
        ("use fun k => k", "unsupported lambda 'fun' (column 1)", UNSUPPORTED_SYNTAX,
         "unsupported syntax: unsupported lambda 'fun'"),
        ("nlinarith [sq_nonneg (a - b)]", "linarith failed to find a contradiction\na b : ℝ\n⊢ False",
         TACTIC_FAILED, "tactic failed where Lean succeeded: nlinarith"),
        ("· linarith", "no goals to be proved", LAYOUT, LAYOUT_CAUSE),
        ("have hk : 0 < k := hh.trans_le h", "invalid field 'trans_le': hh.trans_le h has type 0 < h",
         UNKNOWN_LEMMA, "unknown lemma 'trans_le' (field notation)"),
        ("have ⟨a, b⟩ := h", "have: expected a name, got '⟨a, b⟩'", UNSUPPORTED_SYNTAX,
         "unsupported syntax: have: expected a name"),
        ("have h : x < 1 := by\n  linarith", "linarith failed to find a contradiction\nx : ℝ\n⊢ False",
         TACTIC_FAILED, "tactic failed where Lean succeeded: linarith"),
        ("norm_num <;> omega", "omega could not prove the goal", TACTIC_FAILED,
         "tactic failed where Lean succeeded: omega"),
    ],
)
def test_classify(tactic, message, kind, cause):
    assert classify(tactic, message) == (kind, cause)


def test_a_lemma_of_the_records_own_preamble_is_an_unknown_lemma():
    own = frozenset({"lemma2"})
    assert classify("exact lemma2 a b", "unknown identifier 'lemma2'", local_names=own)[0] == UNKNOWN_LEMMA
    assert classify("exact lemma2 a b", "unknown identifier 'lemma2'")[0] == TACTIC_FAILED
    assert classify("ring", "timeout after 5 s", timed_out=True) == (TIMEOUT, "timeout: ring")


# ---- aggregation ---------------------------------------------------------------------------


def _consistent(report) -> None:
    assert report.accepted + sum(g.count for g in report.rejections) == report.records
    assert report.checked + sum(g.count for g in report.failures) == report.accepted
    if report.accepted:
        assert report.checked_share + sum(g.share for g in report.failures) == pytest.approx(1.0)
    if report.records:
        assert report.accepted_share + sum(g.share for g in report.rejections) == pytest.approx(1.0)
    assert sum(report.kind_counts().values()) == report.failed
    assert list(report.kind_counts()) == list(KINDS)
    for groups in (report.failures, report.rejections):
        assert [g.count for g in groups] == sorted((g.count for g in groups), reverse=True)


def test_the_report_counts_what_the_records_did():
    lines = [json.dumps(r) for r in (GOOD, FOO, LEMMA, UNDECLARED, WRONG)] + ["[]", json.dumps({"x": 1})]
    report = fidelity(iter(lines), source="mine", keep_outcomes=True)
    _consistent(report)
    assert (report.records, report.accepted, report.checked) == (5, 4, 1)
    assert [(i.line, "JSON object" in i.message) for i in report.invalid] == [(6, True), (7, False)]
    causes = {g.cause: g for g in report.failures}
    assert causes["unknown tactic 'foo_tactic'"].example.name == "foo"
    assert causes["unknown tactic 'foo_tactic'"].example.tactic == "foo_tactic [h]"
    assert causes["unknown tactic 'foo_tactic'"].share == pytest.approx(0.25)
    assert report.rejections[0].count == 1 and report.rejections[0].example.name == "undecl"
    assert [o.name for o in report.outcomes] == ["good", "foo", "lem", "undecl", "wrong"]
    doc = report.to_json(records=True)
    json.dumps(doc)  # JSON-ready
    assert doc["checked_share"] == pytest.approx(0.25) and len(doc["outcomes"]) == 5
    assert doc["kinds"][UNKNOWN_TACTIC]["count"] == 1
    assert "outcomes" not in report.to_json()


def test_limit_counts_usable_records():
    lines = ["oops"] + [json.dumps(GOOD)] * 5
    report = fidelity(iter(lines), limit=2)
    assert report.records == 2 and len(report.invalid) == 1


def test_a_tally_of_nothing_is_empty_not_an_error():
    report = FidelityTally().report()
    assert (report.records, report.accepted, report.checked_share, report.failures) == (0, 0, 0.0, ())
    t = FidelityTally()
    t.add(InvalidRecord(3, "bad"))
    assert t.report().invalid == (InvalidRecord(3, "bad"),)


@pytest.mark.parametrize("name", ["goedel_sample.jsonl", "compfiles_sample.jsonl"])
def test_the_real_fixture_report_agrees_with_its_records_one_by_one(name):
    path = FIXTURES / name
    limit = 1.0  # seconds per tactic: keeps the test short; timeouts are compared loosely below
    with path.open(encoding="utf-8") as fh:
        report = fidelity(fh, source=name, keep_outcomes=True, tactic_timeout_s=limit)
    _consistent(report)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert report.records == len(rows) and report.invalid == ()
    env = SandboxEnv(tactic_timeout_s=limit)
    one_by_one = [run_case(parse_record(r, i), env, tactic_timeout_s=limit) for i, r in enumerate(rows, 1)]
    assert [o.name for o in report.outcomes] == [o.name for o in one_by_one]
    for a, b in zip(report.outcomes, one_by_one, strict=True):
        if TIMEOUT not in (a.kind, b.kind):  # a loaded machine may time out on one run only
            assert (a.status, a.cause) == (b.status, b.cause)
    assert report.accepted == sum(o.status != REJECTED for o in one_by_one)
    names = {o.name for o in one_by_one}
    assert all(g.example.name in names for g in report.failures + report.rejections)
    assert all(g.example.message for g in report.failures + report.rejections)
