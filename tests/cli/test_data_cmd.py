"""``qed data prepare|trace|report`` end to end on real rows (bundled Goedel and Archive rows,
the compfiles sample), and tracing's resume and pre-traced paths."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from qed.cli.corpus_trace import TraceSettings, trace_corpus, write_pairs_file
from qed.cli.main import app
from qed.data.corpora import corpus
from qed.data.corpora.fetch import Rows, bundled_path
from qed.data.corpora.prepare import prepare

runner = CliRunner()
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _goedel_rows(n: int) -> list[dict]:
    lines = bundled_path(corpus("goedel_workbook")).read_text(encoding="utf-8").splitlines()
    return [json.loads(x) for x in lines[:n]]


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_prepare_trace_report_on_real_rows(tmp_path):
    out = tmp_path / "data"
    r = runner.invoke(
        app,
        [
            "data",
            "prepare",
            "--out",
            str(out),
            "--corpus",
            "goedel_workbook=bundled",
            "--corpus",
            f"compfiles={FIXTURES / 'real' / 'compfiles_sample.jsonl'}",
            "--benchmark",
            "minif2f_v1",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "goedel_workbook: 100 rows, 100 records, kept 100" in r.output
    r = runner.invoke(app, ["data", "trace", str(out), "--proof-timeout", "20"])
    assert r.exit_code == 0, r.output
    traced = _lines(out / "traced.jsonl")
    assert len(traced) == 105
    goedel = [t for t in traced if t["source"] == "goedel_workbook"]
    checked = [t for t in goedel if t["status"] == "checked"]
    # the sandbox replays most of the Goedel proofs (88 of 100 when this test was written)
    assert len(checked) >= 80
    assert all(t["steps"] and all(len(s) == 2 for s in t["steps"]) for t in checked)
    failed = [t for t in traced if t["status"] in ("failed", "rejected")]
    assert failed and all(t["cause"] or t["message"] for t in failed)
    pairs = _lines(out / "pairs.jsonl")
    train = {t["name"] for t in traced if t["status"] == "checked" and t["split"] == "train"}
    assert {p["theorem"] for p in pairs} == train
    assert all(p["statement"].endswith(":= by") and "import Mathlib" in p["header"] for p in pairs)
    r = runner.invoke(app, ["data", "report", str(out), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "report.json").read_text())
    g = doc["sources"]["goedel_workbook"]
    assert g["stages"]["rows"] == 100 and g["stages"]["kept"] == 100 and g["lean_versions"] == {"v4.9.0": 100}
    assert g["proof_lines"]["n"] == 100 and g["proof_lines"]["p50"] >= 1
    assert doc["tracing"]["goedel_workbook"]["status"]["checked"] == len(checked)
    assert sum(t["train_pairs"] for t in doc["tracing"].values()) == len(pairs)
    assert (out / "report.md").read_text().startswith("# Data report")
    assert (out / "plots" / "funnel.png").stat().st_size > 1000


def test_trace_resumes_after_a_torn_line_and_skips_done_records(tmp_path):
    prepare([(corpus("goedel_workbook"), Rows("t", iter(_goedel_rows(12))))], tmp_path)
    assert trace_corpus(tmp_path, TraceSettings(proof_timeout_s=20), limit=5) == 5
    done = (tmp_path / "traced.jsonl").read_text(encoding="utf-8")
    (tmp_path / "traced.jsonl").write_text(done + '{"name": "goedel_workbook.lean_wo', encoding="utf-8")
    assert trace_corpus(tmp_path, TraceSettings(proof_timeout_s=20)) == 7
    names = [t["name"] for t in _lines(tmp_path / "traced.jsonl")]
    assert len(names) == 12 == len(set(names))


def test_trace_in_worker_processes_matches_one_process(tmp_path):
    rows = _goedel_rows(8)
    for d in ("one", "two"):
        prepare([(corpus("goedel_workbook"), Rows("t", iter(rows)))], tmp_path / d)
    trace_corpus(tmp_path / "one", TraceSettings(proof_timeout_s=20))
    trace_corpus(tmp_path / "two", TraceSettings(proof_timeout_s=20, workers=2))
    one = {t["name"]: (t["status"], t["steps"]) for t in _lines(tmp_path / "one" / "traced.jsonl")}
    two = {t["name"]: (t["status"], t["steps"]) for t in _lines(tmp_path / "two" / "traced.jsonl")}
    assert one == two and len(one) == 8


def test_pretraced_steps_become_pairs_without_replay(tmp_path):
    rows = [
        {
            "id": "lean_workbook_3",
            "status": "proved",
            "tactic": t,
            "state_before": s,
            "state_after": a,
            "natural_language_statement": "",
            "answer": "",
            "formal_statement": "theorem lean_workbook_3 (x : ℝ) (h : x = 2) : x + x = 4  :=  by sorry",
        }
        for t, s, a in [
            ("subst h", "x : ℝ\nh : x = 2\n⊢ x + x = 4", "⊢ 2 + 2 = 4"),
            ("norm_num", "⊢ 2 + 2 = 4", "no goals"),
        ]
    ]
    prepare([(corpus("lean_workbook_pairs"), Rows("documented schema", iter(rows)))], tmp_path)
    trace_corpus(tmp_path)
    (line,) = _lines(tmp_path / "traced.jsonl")
    assert line["status"] == "pretraced" and line["steps"] == [
        ["x : ℝ\nh : x = 2\n⊢ x + x = 4", "subst h"],
        ["⊢ 2 + 2 = 4", "norm_num"],
    ]
    counts = write_pairs_file(tmp_path)
    assert counts["pairs"] + counts["held_out_pairs"] == 2


def test_prepare_errors_are_one_line_and_name_the_problem(tmp_path):
    wrong = bundled_path(corpus("goedel_workbook"))
    r = runner.invoke(
        app, ["data", "prepare", "--out", str(tmp_path / "x"), "--corpus", f"compfiles={wrong}"]
    )
    assert r.exit_code == 2 and "missing columns" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["data", "prepare", "--out", str(tmp_path / "x"), "--corpus", "numina_lean"])
    assert (
        r.exit_code == 2 and "AI-MO/NuminaMath-LEAN" in r.output and "--corpus numina_lean=PATH" in r.output
    )
    r = runner.invoke(app, ["data", "trace", str(tmp_path / "empty")])
    assert r.exit_code == 2 and "qed data prepare" in r.output
    r = runner.invoke(app, ["data", "fetch", "goedel_workbook", "--out", str(tmp_path / "f")])
    assert r.exit_code == 2 and "Goedel-LM/Lean-workbook-proofs" in r.output
    assert not (tmp_path / "f" / "raw" / "goedel_workbook.jsonl").exists()


def test_corpora_stage_writes_pairs_and_the_statements_the_sandbox_accepts(tmp_path):
    from qed.cli import stages
    from qed.data.benchmarks import load_benchmark

    dest = tmp_path / "corpora"
    counts = stages.corpora(
        dest,
        ["goedel_workbook=bundled", f"compfiles={FIXTURES / 'real' / 'compfiles_sample.jsonl'}"],
        benchmarks=["minif2f_v1"],
    )
    assert (dest / "DONE").exists() and counts["pairs"] == len(_lines(dest / "pairs.jsonl")) > 100
    rejected = {t["name"] for t in _lines(dest / "traced.jsonl") if t["status"] == "rejected"}
    accepted = load_benchmark(dest / "train_accepted.jsonl")
    train = load_benchmark(dest / "train.jsonl")
    assert rejected and {t.name for t in accepted} == {t.name for t in train} - rejected


def test_sandbox_real_experiment_reads_corpora_and_holds_out_minif2f_valid():
    from qed.cli.config import load_config

    cfg = load_config(["+experiment=sandbox_real"])
    it = cfg.iterate
    assert list(it.bootstrap_corpora) == ["goedel_workbook=bundled", "mathlib_archive=bundled"]
    assert it.train_benchmark == "corpora" and it.eval_benchmark == "minif2f_v1" and it.eval_split == "valid"
    assert it.bootstrap_search == ""  # never train on the held-out benchmark
