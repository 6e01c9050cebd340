"""``qed sandbox fidelity`` and how ``qed check`` shows Lean text (whole, never as markup).

Records are built here so that their outcome cannot change while the sandbox grows
(``norm_num`` on ``2 + 2 = 4``, a tactic called ``foo_tactic``, a statement about an undeclared ``y``);
the shipped real rows (tests/fixtures/real) are only checked for bookkeeping.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qed.cli.main import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "real"
SHARED = REPO.parent / "shared" / "data" / "real"

HEADER = "import Mathlib\nimport Aesop\n\nopen Real\n\n"


def goedel(name: str, theorem: str) -> str:
    return json.dumps({"problem_id": name, "full_proof": HEADER + theorem}, ensure_ascii=False)


GOOD = goedel("good", "theorem good : (2 : ℕ) + 2 = 4 := by\n  norm_num\n")
FOO = goedel("foo", "theorem foo (x : ℝ) (h : x = 1) : x + 1 = 2 := by\n  foo_tactic [h]\n  linarith\n")
# ``y`` is declared nowhere: Lean rejects this statement too, so no sandbox ever accepts it
UNDECLARED = goedel("undecl", "theorem undecl (x : ℝ) : x = y := by\n  rfl\n")


def write(tmp_path: Path, lines: list[str], name: str = "rows.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fidelity_json(*args: str) -> dict:
    r = runner.invoke(app, ["sandbox", "fidelity", *args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_fidelity_reports_counts_groups_and_bad_lines(tmp_path):
    path = write(tmp_path, [GOOD, "{not json", FOO, json.dumps({"question": "x"}), UNDECLARED])
    doc = fidelity_json(str(path), "--records")
    assert (doc["read"], doc["records"], doc["accepted"], doc["checked"], doc["failed"]) == (5, 3, 2, 1, 1)
    assert doc["checked_share"] == pytest.approx(0.5)
    assert [i["line"] for i in doc["invalid"]] == [2, 4]
    assert "malformed JSON" in doc["invalid"][0]["message"]
    assert "missing fields" in doc["invalid"][1]["message"] and "question" in doc["invalid"][1]["message"]
    (group,) = doc["failures"]
    assert group["cause"] == "unknown tactic 'foo_tactic'" and group["kind"] == "unknown tactic"
    assert group["count"] == 1 and group["share"] == pytest.approx(0.5)
    assert group["example"]["name"] == "foo" and group["example"]["tactic"] == "foo_tactic [h]"
    (rejected,) = doc["rejections"]
    assert rejected["example"]["name"] == "undecl" and rejected["share"] == pytest.approx(1 / 3)
    assert [o["status"] for o in doc["outcomes"]] == ["checked", "failed", "rejected"]


def test_fidelity_table_shows_whole_tactics_and_names_bad_lines(tmp_path):
    path = write(tmp_path, [GOOD, FOO, UNDECLARED, "[oops"])
    r = runner.invoke(app, ["sandbox", "fidelity", str(path)])
    assert r.exit_code == 0, r.output
    out = " ".join(r.stdout.split())
    assert "4 records read (1 unusable)" in out
    assert "accepts 2/3 statements" in out and "1/2 accepted proofs check" in out
    assert "unknown tactic 'foo_tactic'" in out
    assert "foo_tactic [h]" in out  # brackets survive: no markup
    assert "skipped line 4: malformed JSON" in " ".join(r.stderr.split())


def test_fidelity_limit_and_unusable_input(tmp_path):
    path = write(tmp_path, [GOOD, FOO, UNDECLARED])
    assert fidelity_json(str(path), "--limit", "1")["records"] == 1
    wrong = write(tmp_path, [json.dumps({"informal": "x"}), json.dumps({"statement": "y"})], "wrong.jsonl")
    r = runner.invoke(app, ["sandbox", "fidelity", str(wrong)])
    assert r.exit_code == 2
    err = " ".join(r.stderr.split())
    assert "skipped line 1: missing fields" in err and "'full_proof'" in err and "no usable record" in err
    r = runner.invoke(app, ["sandbox", "fidelity", str(tmp_path / "none.jsonl")])
    assert r.exit_code == 2 and "cannot read" in r.stderr


@pytest.mark.parametrize("name", ["goedel_sample.jsonl", "compfiles_sample.jsonl"])
def test_fidelity_on_the_shipped_real_rows_is_consistent(name):
    doc = fidelity_json(str(FIXTURES / name), "--records", "--tactic-timeout", "1")
    rows = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    assert doc["records"] == len(rows) and doc["invalid"] == []
    assert doc["accepted"] + sum(g["count"] for g in doc["rejections"]) == doc["records"]
    assert doc["checked"] + sum(g["count"] for g in doc["failures"]) == doc["accepted"]
    if doc["accepted"]:
        assert doc["checked_share"] + sum(g["share"] for g in doc["failures"]) == pytest.approx(1.0)
    assert sum(k["count"] for k in doc["kinds"].values()) == doc["failed"]
    statuses = [o["status"] for o in doc["outcomes"]]
    assert statuses.count("checked") == doc["checked"] and statuses.count("rejected") == doc["rejected"]


@pytest.mark.slow
def test_the_shipped_rows_are_verbatim_copies_of_the_shared_data():
    # reads ../shared on purpose: fails (does not skip) when the data set is not there
    assert SHARED.is_dir(), f"{SHARED} is missing: the provenance of tests/fixtures/real cannot be checked"
    for sample, source in [
        ("goedel_sample.jsonl", "hf_goedel_lean_workbook_proofs.jsonl"),
        ("goedel_sample.provenance.jsonl", "hf_goedel_lean_workbook_proofs.provenance.jsonl"),
        ("compfiles_sample.jsonl", "compfiles.jsonl"),
    ]:
        shared = set((SHARED / source).read_text(encoding="utf-8").splitlines())
        for line in (FIXTURES / sample).read_text(encoding="utf-8").splitlines():
            assert line in shared, f"{sample}: a row not found in {source}"


# ---- qed check: Lean text printed whole -------------------------------------------------------


def check(tmp_path: Path, text: str):
    f = tmp_path / "p.lean"
    f.write_text("import Mathlib\n\n" + text, encoding="utf-8")
    return runner.invoke(app, ["check", str(f)])


def test_check_shows_a_failing_rw_whole(tmp_path):
    r = check(tmp_path, "theorem t (x y : ℝ) (h : y = 1) : x = 2 := by\n  rw [h]\n")
    assert r.exit_code == 1, r.output
    assert "✗ t: line 4: rw [h]" in r.output


def test_check_does_not_read_names_or_tactics_as_markup(tmp_path):
    r = check(
        tmp_path,
        "theorem «odd[/x]» (x : ℝ) : x = x := by\n  rfl\n\n"
        "theorem t2 (x : ℝ) : x = x := by\n  foo_tactic [/x] [bold]\n",
    )
    assert r.exit_code == 1, r.output
    assert "«odd[/x]»" in r.output
    assert "foo_tactic [/x] [bold]" in r.output


def test_check_names_the_tactic_or_lemma_the_sandbox_lacks(tmp_path):
    r = check(
        tmp_path,
        "theorem a (x : ℝ) (h : x = 1) : x + 1 = 2 := by\n  foo_tactic [h]\n\n"
        "theorem b (x : ℝ) (h : 0 < x) : 0 < x := by\n  exact bar_lemma_xyz h\n",
    )
    assert r.exit_code == 1, r.output
    assert "unknown tactic 'foo_tactic'" in r.output
    assert "'foo_tactic' is a tactic the sandbox does not implement" in r.output
    assert "unknown identifier 'bar_lemma_xyz'" in r.output
    assert "not in the sandbox's lemma table" in r.output
    assert r.output.count("lemma table") == 1  # said once, by the sandbox or by qed check
    assert "0/2 proofs check" in r.output


def test_fidelity_progress_bar_on_a_terminal(tmp_path):
    import io

    from rich.console import Console

    from qed.cli.fidelity_view import run_fidelity

    path = write(tmp_path, ["{bad", GOOD, FOO])
    out, err = io.StringIO(), io.StringIO()
    code = run_fidelity(
        path, json_out=False, records=False, limit=None, tactic_timeout_s=5.0, proof_timeout_s=20.0,
        top=30, out=Console(file=out, width=200), err=Console(file=err, force_terminal=True, width=200),
    )
    assert code == 0
    assert "bytes" in err.getvalue() and "skipped line 1" in err.getvalue()
    assert "accepts 2/2 statements" in out.getvalue()


def test_check_ends_a_proof_at_the_next_top_level_command(tmp_path):
    r = check(
        tmp_path,
        "namespace Foo\n\ntheorem a (x : ℝ) (h : x = 1) : x = 1 := by\n  exact h\n\ndef helper : ℕ := 3\n\n"
        "private theorem b : (2 : ℕ) + 2 = 4 := by\n  norm_num\n\nend Foo\n",
    )
    assert r.exit_code == 0, r.output
    assert "✓ a" in r.output and "✓ b" in r.output and "2/2 proofs check" in r.output
