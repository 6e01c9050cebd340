"""Corpus loaders, normalisation, filters, dedup, contamination and split (qed.data.corpora).

Real rows: Goedel and mathlib Archive rows bundled with qed, compfiles rows in
tests/fixtures/real, one Lean Workbook row in tests/fixtures/corpora. Corpora of which no real
row exists here are tested on rows built from their documented columns (``documented_schema``
in the test name), so the first real row that disagrees points here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qed.data.benchmarks import load_benchmark
from qed.data.corpora import CorpusRecord, SchemaError, corpus
from qed.data.corpora.clean import split_of, statement_error, unsound_reason
from qed.data.corpora.contamination import ContaminationIndex, canonical, exact_form
from qed.data.corpora.fetch import CorpusFileError, FetchError, Rows, bundled_path, hub_rows, open_rows
from qed.data.corpora.prepare import prepare, read_records
from qed.data.corpora.sources import split_lean_file, statement_by

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COMPFILES = FIXTURES / "real" / "compfiles_sample.jsonl"
WORKBOOK_ROW = FIXTURES / "corpora" / "lean_workbook_row.jsonl"


def _records(key: str, location) -> list:
    c = corpus(key)
    return list(c.convert(open_rows(c, location).rows))


def _rows(rows: list[dict]) -> Rows:
    return Rows("test", iter(rows))


# ---- loaders on real rows -------------------------------------------------------------


def test_goedel_bundled_rows_split_into_header_statement_proof():
    recs = _records("goedel_workbook", "bundled")
    assert len(recs) == 100 and all(isinstance(r, CorpusRecord) for r in recs)
    first = json.loads(bundled_path(corpus("goedel_workbook")).read_text(encoding="utf-8").splitlines()[0])
    r = recs[0]
    assert r.name == f"goedel_workbook.{first['problem_id']}"
    assert r.formal_statement.startswith(f"theorem {first['problem_id']}") and r.formal_statement.endswith(
        ":= by"
    )
    assert r.header.startswith("import Mathlib\nimport Aesop") and "open BigOperators" in r.header
    assert r.preamble == ""  # the informal /- -/ comment is not code
    assert r.proofs and r.proofs[0].strip() and r.proofs[0].strip() in first["full_proof"]
    assert r.lean_version == "v4.9.0" and r.license == "Apache-2.0"


def test_compfiles_rows_keep_the_preamble_the_statement_needs():
    recs = _records("compfiles", COMPFILES)
    assert len(recs) == 5 and all(isinstance(r, CorpusRecord) for r in recs)
    row = json.loads(COMPFILES.read_text(encoding="utf-8").splitlines()[0])
    r = recs[0]
    assert r.formal_statement == statement_by(row["formal_statement"])
    assert "namespace" in r.preamble and r.header == row["header"]
    assert r.lean_version == "v4.34.0-rc1" and r.origin == row["source"]


def test_mathlib_archive_bundled_rows_load():
    recs = _records("mathlib_archive", "bundled")
    assert len(recs) == 42 and all(isinstance(r, CorpusRecord) and r.proofs for r in recs)


def test_lean_workbook_real_row_statement_normalised_to_by():
    (r,) = _records("lean_workbook", WORKBOOK_ROW)
    assert r.name == "lean_workbook.lean_workbook_0"
    assert r.formal_statement.endswith("≥ 2 := by") and "sorry" not in r.formal_statement
    assert r.proofs == () and r.informal.startswith("Let $a,b,c$")
    assert r.extra == {"answer": "2"} and "import Mathlib" in r.header


def test_a_file_in_another_schema_names_the_missing_columns(tmp_path):
    with pytest.raises(SchemaError) as exc:
        _records("compfiles", bundled_path(corpus("goedel_workbook")))
    msg = str(exc.value)
    assert "corpus 'compfiles'" in msg and "missing columns name, header, preamble, proof" in msg
    assert "full_proof" in msg and "problem_id" in msg  # what the rows do have


def test_parquet_schema_checked_and_corrupt_parquet_named(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = tmp_path / "pairs.parquet"
    pq.write_table(
        pa.Table.from_pylist([{"problem_id": "x", "full_proof": "theorem x : 1 = 1 := by\n  rfl"}]), good
    )
    assert isinstance(_records("goedel_workbook", good)[0], CorpusRecord)
    with pytest.raises(SchemaError, match="missing columns uuid, formal_statement"):
        open_rows(corpus("numina_lean"), good)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:40])
    with pytest.raises(CorpusFileError, match="bad.parquet: not a readable Parquet file"):
        open_rows(corpus("goedel_workbook"), bad)


def test_unreadable_lines_are_counted_not_fatal(tmp_path):
    path = tmp_path / "g.jsonl"
    line = bundled_path(corpus("goedel_workbook")).read_text(encoding="utf-8").splitlines()[0]
    path.write_bytes(line.encode() + b"\n{not json\n" + b"\xff\xfe\n" + b"[1, 2]\n")
    rows = open_rows(corpus("goedel_workbook"), path)
    assert len(list(corpus("goedel_workbook").convert(rows.rows))) == 1
    assert len(rows.bad) == 3 and rows.bad[0].startswith("g.jsonl:2: not a JSON line")


def test_missing_file_and_unknown_corpus_are_named(tmp_path):
    with pytest.raises(CorpusFileError, match="nope.jsonl: no such file"):
        open_rows(corpus("goedel_workbook"), tmp_path / "nope.jsonl")
    with pytest.raises(KeyError, match="unknown corpus 'goedel'"):
        corpus("goedel")
    with pytest.raises(CorpusFileError, match="no bundled copy of corpus 'lean_github'"):
        open_rows(corpus("lean_github"), "bundled")


def test_hub_unreachable_names_the_id_and_local_files():
    with pytest.raises(FetchError) as exc:
        next(iter(hub_rows(corpus("numina_lean"))))
    msg = str(exc.value)
    assert "AI-MO/NuminaMath-LEAN" in msg and "project-numina/NuminaMath-LEAN" in msg
    assert "--corpus numina_lean=PATH" in msg and "HF_HUB_OFFLINE=1" in msg


# ---- loaders on rows built from the documented columns ---------------------------------


def test_documented_schema_workbook_pairs_grouped_by_id():
    state0 = "a b : ℝ\nh : a = b\n⊢ b = a"
    rows = [
        {
            "id": "lean_workbook_7",
            "status": "proved",
            "tactic": "rw [h]",
            "state_before": state0,
            "state_after": "no goals",
            "natural_language_statement": "",
            "answer": "",
            "formal_statement": "theorem lean_workbook_7 (a b : ℝ) (h : a = b) : b = a  :=  by sorry",
        },
        {
            "id": "lean_workbook_9",
            "status": "disproved",
            "tactic": "norm_num",
            "state_before": "⊢ ¬1 = 2",
            "state_after": "no goals",
            "natural_language_statement": "",
            "answer": "",
            "formal_statement": "theorem lean_workbook_9 : 1 = 2  :=  by sorry",
        },
    ]
    recs = list(corpus("lean_workbook_pairs").convert(rows))
    proved, disproved = recs
    assert proved.formal_statement.endswith("b = a := by") and proved.steps[0].tactic == "rw [h]"
    assert proved.steps[0].state_before == state0
    assert disproved.formal_statement == "" and disproved.steps and disproved.extra == {"status": "disproved"}


def test_documented_schema_lean_github_keys_on_repo_file_and_name():
    base = {"commit": "abc", "start": [1, 0], "end": [3, 0], "state_after": "no goals"}
    rows = [
        {
            **base,
            "url": "https://github.com/a/x",
            "file_path": "X.lean",
            "full_name": "foo",
            "tactic": "simp",
            "state_before": "⊢ True",
        },
        {
            **base,
            "url": "https://github.com/b/y",
            "file_path": "Y.lean",
            "full_name": "foo",
            "tactic": "trivial",
            "state_before": "⊢ True",
        },
    ]
    recs = list(corpus("lean_github").convert(rows))
    assert len(recs) == 2 and recs[0].name != recs[1].name
    assert all(r.formal_statement == "" and len(r.steps) == 1 for r in recs)


def test_documented_schema_numina_drops_with_sorry_ground_truth():
    stmt = "theorem algebra_1 (x : ℝ) (h : 2 * x = 4) : x = 2 := by sorry"
    rows = [
        {
            "uuid": "u1",
            "formal_statement": stmt,
            "formal_ground_truth": stmt.replace("sorry", "linarith"),
            "ground_truth_type": "complete",
            "formal_proof": "",
            "author": "human",
            "problem": "Solve 2x = 4.",
        },
        {
            "uuid": "u2",
            "formal_statement": stmt,
            "formal_ground_truth": stmt,
            "ground_truth_type": "with_sorry",
            "formal_proof": "",
            "author": "human",
            "problem": "",
        },
    ]
    r1, r2 = corpus("numina_lean").convert(rows)
    assert r1.formal_statement.endswith("x = 2 := by") and [p.strip() for p in r1.proofs] == ["linarith"]
    assert r2.proofs == ()


def test_documented_schema_deepseek_v1_rows():
    row = {
        "name": "ds_1",
        "header": "import Mathlib\n",
        "informal_prefix": "/-- 1+1=2 -/",
        "formal_statement": "theorem ds_1 : (1 : ℕ) + 1 = 2 := by",
        "formal_proof": "\n  norm_num",
    }
    (r,) = corpus("deepseek_prover_v1").convert([row])
    assert (
        r.name == "deepseek_prover_v1.ds_1"
        and r.proofs == ("\n  norm_num",)
        and r.license == "deepseek-license"
    )


def test_a_row_with_wrong_types_is_rejected_with_the_column():
    (bad,) = corpus("goedel_workbook").convert([{"problem_id": "p", "full_proof": 5}])
    assert bad.source == "goedel_workbook" and "column 'full_proof' is int" in bad.reason


# ---- Lean text, filters and split ----------------------------------------------------


def test_split_lean_file_header_preamble_and_term_proofs():
    text = (
        "import Mathlib\nopen Real\n\n/-- aux -/\nlemma aux : (1 : ℕ) = 1 := rfl\n\n"
        "/- main -/ theorem main (x : ℕ) : x = x := by\n  rfl\n"
    )
    header, preamble, statement, proof, name = split_lean_file(text, "main")
    assert header == "import Mathlib\nopen Real\n" and "lemma aux" in preamble
    assert statement == "theorem main (x : ℕ) : x = x := by" and proof.strip() == "rfl" and name == "main"
    _, _, st2, pr2, _ = split_lean_file(text, "aux")
    assert st2.endswith(":= by") and pr2.strip() == "exact rfl"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("  sorry", "uses 'sorry'"),
        ("  exact foo\n  admit", "uses 'admit'"),
        ("  native_decide", "uses 'native_decide'"),
        ("axiom cheat_ax : False", "declares an axiom"),
        ("  linarith -- not sorry", None),
        ("  /- sorry -/ simp", None),
        ("  exact Nat.sorry_free", None),
    ],
)
def test_unsound_rule_reads_code_not_comments(text, reason):
    assert unsound_reason(text) == reason


@pytest.mark.parametrize(
    ("statement", "ok"),
    [
        ("theorem t (x : ℕ) : x = x := by", True),
        ("theorem t : (1 : ℕ) = 1 := by", True),
        ("theorem t (x : ℕ : x = x := by", False),
        ("def t : ℕ := by", False),
        ("theorem t (x : ℕ) := by", False),
    ],
)
def test_statement_parse_filter(statement, ok):
    assert (statement_error(statement) is None) == ok


def test_split_by_name_is_stable_and_roughly_proportional():
    names = [f"t{i}" for i in range(4000)]
    splits = [split_of(n) for n in names]
    assert splits == [split_of(n) for n in names]
    assert 0.03 < splits.count("valid") / 4000 < 0.07 and 0.03 < splits.count("test") / 4000 < 0.07


# ---- contamination ----------------------------------------------------------------------

MATHD = (
    "theorem mathd_algebra_48 (q e : ℂ) (h₀ : q = 9 - 4 * Complex.I) (h₁ : e = -3 - 4 * Complex.I) :\n"
    "  q - e = 12 := by"
)


def test_canonical_forgets_names_order_and_spacing_not_content():
    planted = (
        "theorem other (z w : ℂ) (hb : w = -3 - 4*Complex.I) (ha : z = 9 - 4 * Complex.I) : z - w = 12"
        " := by sorry"
    )
    assert canonical(planted) == canonical(MATHD)
    assert exact_form(planted) != exact_form(MATHD)
    assert canonical(planted.replace("= 12", "= 13")) != canonical(MATHD)
    assert canonical("theorem a (n : ℕ) : ∀ k, k < n := by") == canonical(
        "theorem b (m : ℕ) : ∀ j, j < m := by"
    )


def test_planted_minif2f_duplicate_written_differently_is_found_and_removed(tmp_path):
    thms = load_benchmark("minif2f_v1")
    bench = [("minif2f_v1", t.name, t.statement) for t in thms]
    target = next(t for t in thms if t.name == "mathd_algebra_48")
    assert target.statement.split(":= by")[0].split() == MATHD.split(":= by")[0].split()
    planted = {
        "problem_id": "planted_1",
        "full_proof": (
            "import Mathlib\n\ntheorem planted_1 (z w : ℂ) (hb : w = -3 - 4*Complex.I)"
            " (ha : z = 9 - 4 * Complex.I) : z - w = 12 := by\n  rw [ha, hb]\n  ring\n"
        ),
    }
    rows = [
        json.loads(x)
        for x in bundled_path(corpus("goedel_workbook")).read_text(encoding="utf-8").splitlines()
    ]
    summary = prepare([(corpus("goedel_workbook"), _rows(rows[:20] + [planted]))], tmp_path, benchmarks=bench)
    assert summary.counts["goedel_workbook"]["contaminated"] == 1
    assert summary.counts["goedel_workbook"]["kept"] == 20
    (hit,) = [json.loads(x) for x in (tmp_path / "contamination.jsonl").read_text().splitlines()]
    assert hit["name"] == "goedel_workbook.planted_1" and hit["benchmark_name"] == "mathd_algebra_48"
    assert hit["kind"] == "normalised"
    assert "goedel_workbook.planted_1" not in (tmp_path / "records.jsonl").read_text()
    kept = prepare(
        [(corpus("goedel_workbook"), _rows([planted]))],
        tmp_path / "keep",
        benchmarks=bench,
        settings=__import__("qed.data.corpora.prepare", fromlist=["x"]).PrepareSettings(
            remove_contaminated=False
        ),
    )
    assert kept.counts["goedel_workbook"]["kept"] == 1 and kept.contaminated == 1


def test_near_match_threshold():
    index = ContaminationIndex([("b", "mathd_algebra_48", MATHD)], near_threshold=0.8)
    near = index.match(
        "theorem x (z w : ℂ) (hb : w = -3 - 4 * Complex.I) (ha : z = 9 - 4 * Complex.I) : z - w = 13 := by"
    )
    assert near is not None and near.kind == "near" and 0.8 <= near.score < 1
    assert index.match("theorem y (n : ℕ) (h : n % 5 = 3) : (2 * n) % 5 = 1 := by") is None


def test_no_false_matches_between_goedel_rows_and_minif2f():
    """The Goedel rows were checked to share no statement text with miniF2F when collected."""
    index = ContaminationIndex(("v1", t.name, t.statement) for t in load_benchmark("minif2f_v1"))
    recs = _records("goedel_workbook", "bundled")
    assert [r.name for r in recs if index.match(r.formal_statement)] == []


# ---- the pipeline ------------------------------------------------------------------------


def test_prepare_counts_every_row_once_and_dedups_across_sources(tmp_path):
    rows = [
        json.loads(x)
        for x in bundled_path(corpus("goedel_workbook")).read_text(encoding="utf-8").splitlines()
    ]
    sorry = {"problem_id": "s1", "full_proof": "import Mathlib\ntheorem s1 : (2 : ℕ) = 2 := by\n  sorry\n"}
    twice = dict(rows[0], problem_id="again")  # the same file under another id: a duplicate statement
    summary = prepare(
        [
            (corpus("goedel_workbook"), _rows(rows[:30] + [sorry])),
            (corpus("goedel_workbook"), _rows([twice])),
        ],
        tmp_path,
    )
    c = summary.counts["goedel_workbook"]
    assert c["rows"] == 32 and c["converted"] == 32
    assert c["no_proof"] == 1 and c["proofs_unsound"] == 1 and c["duplicate"] == 1 and c["kept"] == 30
    removed = [json.loads(x) for x in (tmp_path / "removed.jsonl").read_text().splitlines()]
    assert {r["stage"] for r in removed} == {"no_proof", "duplicate"}
    recs = read_records(tmp_path / "records.jsonl")
    assert len(recs) == 30 and all(r.extra["split"] in ("train", "valid", "test") for r in recs)
    per_split = sum(
        len((tmp_path / f"{s}.jsonl").read_text().splitlines()) for s in ("train", "valid", "test")
    )
    assert per_split == 30
    bench_rows = load_benchmark(tmp_path / "train.jsonl")
    assert bench_rows and all(t.proof for t in bench_rows)
    stages = json.loads((tmp_path / "stages.json").read_text())
    assert stages["counts"]["goedel_workbook"]["kept"] == 30
