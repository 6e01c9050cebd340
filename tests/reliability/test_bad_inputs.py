"""The held-out corpus of bad inputs (tests/fixtures/bad_inputs/, README.md there) through the
real CLI: every input gets a result or one clear error line, never a Python traceback, within
60 s per command and 4 GB of memory.

The commands run through typer's CliRunner on the real ``qed`` app, in batches, each batch in
its own process (``cli_batch.py``) under ``RLIMIT_AS`` = 4 GB, with a 60 s alarm per command;
the batch's peak RSS (``wait4``) is the most any of its commands used. The 5 MB inputs and
the 200,000-step tactic line are built here (too big to commit).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

# about 1.5 min on two cores; over 5 min with a CPU and disk hog beside it (benchmarks/hog_test.sh),
# so the module's limit is generous: the bound that matters is LIMIT_SECONDS per command
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "fixtures" / "bad_inputs"
LIMIT_SECONDS = 60
LIMIT_BYTES = 4 << 30


@dataclass(frozen=True)
class Expect:
    """``error``: exit 2 and exactly one stderr line ``error: …`` holding ``text``.
    Otherwise a result: an exit code in ``codes``, ``text`` in the output, no ``error:`` line."""

    text: str
    error: bool = False
    codes: tuple[int, ...] = (0,)


def E(text: str) -> Expect:  # noqa: N802 - reads as a table
    return Expect(text, error=True, codes=(2,))


def R(text: str, *codes: int) -> Expect:  # noqa: N802
    return Expect(text, codes=codes or (0,))


# ---- the corpus and what each input must get ---------------------------------------------------

CHECK = {
    "empty.lean": E("no 'theorem', 'lemma' or 'example' declaration found"),
    "only_comments.lean": E("no 'theorem', 'lemma' or 'example' declaration found"),
    "unterminated_comment.lean": E("unterminated_comment.lean:1: block comment '/-' is never closed"),
    "nul_bytes.lean": E("nul_bytes.lean:2: contains a NUL byte"),
    "invalid_utf8.lean": E("invalid_utf8.lean:2: not UTF-8 text (byte 0xff)"),
    "lone_surrogate.lean": E("lone_surrogate.lean:2: not UTF-8 text (byte 0xed)"),
    "binary.lean": E("binary.lean:2: not UTF-8 text (byte 0x80)"),
    "bom_crlf.lean": R("1/1 proofs check"),
    "no_proof.lean": R("0/1 proofs check", 1),
    "sorry.lean": R("0/1 proofs check", 1),
    "garbage_statement.lean": R("0/2 proofs check", 1),
    "odd_names.lean": R("1/2 proofs check", 1),
    "huge_numerals.lean": R("3/3 proofs check"),
    "huge_powers.lean": R("2/3 proofs check", 1),
    "deep_parens_statement.lean": R("nested too deeply", 1),
    "deep_parens_tactic.lean": R("0/1 proofs check", 1),
    "deep_tactic_blocks.lean": R("0/2 proofs check", 1),
    "unbalanced.lean": R("0/2 proofs check", 1),
    "huge_case_split.lean": R("0/2 proofs check", 1),
    "big_sum.lean": R("0/1 proofs check", 1),
    "many_hypotheses.lean": R("0/1 proofs check", 1),
    "long_names.lean": R("1/1 proofs check"),
    "control_chars.lean": R("0/1 proofs check", 1),
    # built at test time
    "GEN/comments_5mb.lean": R("1/1 proofs check"),
    # checks in about 5 s on an idle machine; under load the tactic's time limit may end it first
    "GEN/tactic_200k_steps.lean": R("/1 proofs check", 0, 1),
    "GEN/missing.lean": E("cannot read"),
    "GEN/a_directory.lean": E("Is a directory"),
}

# one expectation for `qed prove` and `qed sandbox coverage` (both read through load_benchmark)
BENCH = {
    "empty.jsonl": R(""),
    "blank_lines.jsonl": R(""),
    "header_int.jsonl": E("header_int.jsonl:2: field 'header': expected a string, got a number (123)"),
    "goal_int.jsonl": E("goal_int.jsonl:1: field 'goal': expected a string, got a number (5)"),
    "split_list.jsonl": E("split_list.jsonl:1: field 'split': expected a string, got a list"),
    "empty_name.jsonl": E("empty_name.jsonl:2: field 'name': empty theorem name"),
    "dot_name.jsonl": E("dot_name.jsonl:1: field 'name': theorem name '..' is not usable as a file name"),
    "newline_name.jsonl": E("newline_name.jsonl:1: field 'name': theorem name contains the control"),
    "nul_name.jsonl": E("nul_name.jsonl:1: field 'name': contains a NUL character"),
    "long_name.jsonl": E("long_name.jsonl:1: field 'name': theorem name of 5000 characters"),
    "name_int.jsonl": E("name_int.jsonl:1: field 'name': expected a string, got a number (42)"),
    "missing_statement.jsonl": E("missing_statement.jsonl:2: field 'formal_statement': missing"),
    "null_statement.jsonl": E("null_statement.jsonl:1: field 'formal_statement': is null"),
    "empty_statement.jsonl": E("empty_statement.jsonl:1: field 'formal_statement': is empty"),
    "statement_object.jsonl": E("statement_object.jsonl:1: field 'formal_statement': expected a string"),
    "nul_statement.jsonl": E("nul_statement.jsonl:1: field 'formal_statement': contains a NUL character"),
    "lone_surrogate.jsonl": E("lone_surrogate.jsonl:1: field 'formal_statement': contains a lone surrogate"),
    "invalid_json.jsonl": E("invalid_json.jsonl:2: invalid JSON: Expecting value"),
    "json_array.jsonl": E("json_array.jsonl:1: expected a JSON object, got a list"),
    "json_string.jsonl": E("json_string.jsonl:1: expected a JSON object, got a string"),
    "deep_json.jsonl": E("deep_json.jsonl:1: invalid JSON: nested too deeply"),
    "huge_json_int.jsonl": E("huge_json_int.jsonl:1: unreadable JSON: Exceeds the limit (4300 digits)"),
    "invalid_utf8.jsonl": E("invalid_utf8.jsonl:2: not UTF-8 text (byte 0xff)"),
    "binary.jsonl": E("binary.jsonl:2: not UTF-8 text (byte 0x80)"),
    "duplicate_names.jsonl": E("duplicate_names.jsonl:2: field 'name': duplicate theorem name 'good_add'"),
    "nan_values.jsonl": E("nan_values.jsonl:1: field 'goal': expected a string, got a number (nan)"),
    "fidelity_bad.jsonl": E("fidelity_bad.jsonl:1: field 'name': missing"),
    "bom_crlf.jsonl": R(""),
    "unknown_fields.jsonl": R(""),
    "odd_names.jsonl": R(""),
    "huge_numerals.jsonl": R(""),
    "huge_powers.jsonl": R(""),
    "deep_parens.jsonl": R(""),
    "garbage_statements.jsonl": R(""),
    "header_garbage.jsonl": R(""),
    "GEN/one_row_5mb.jsonl": R(""),
    "GEN/garbage_line_5mb.jsonl": E("garbage_line_5mb.jsonl:2: invalid JSON"),
}
# `qed prove` prints its summary table and the run directory; coverage its acceptance line
PROVE_RESULT, COVERAGE_RESULT = "wrote ", "the sandbox accepts"

FIDELITY = {  # the fidelity schema differs: most benchmark rows are not usable fidelity records
    **{name: E("no usable record") for name in BENCH},
    "empty.jsonl": E("empty.jsonl: no record"),
    "blank_lines.jsonl": E("blank_lines.jsonl: no record"),
    "invalid_utf8.jsonl": E("is not UTF-8 text"),
    "binary.jsonl": E("is not UTF-8 text"),
    "fidelity_bad.jsonl": R("2/2 accepted proofs check"),
}

RESULTS = {  # a results.jsonl left in the run directory, then `qed prove results/bench.jsonl` resumes
    "proved_without_proof.jsonl": E("results.jsonl:1: field 'proof': missing: a 'proved' result needs"),
    "proved_empty_proof.jsonl": E("results.jsonl:1: field 'proof': empty: a 'proved' result needs its proof"),
    "proof_string.jsonl": E("results.jsonl:1: field 'proof': expected a list of strings, got a string"),
    "status_int.jsonl": E("results.jsonl:1: field 'status': expected a string, got a number (3)"),
    "status_unknown.jsonl": E("results.jsonl:1: field 'status': 'done' is not one of"),
    "missing_expansions.jsonl": E("results.jsonl:1: field 'expansions': missing"),
    "empty_name.jsonl": E("results.jsonl:1: field 'name': empty theorem name"),
    "garbage_middle.jsonl": E("results.jsonl:2: invalid JSON"),
    "invalid_utf8.jsonl": E("results.jsonl:2: not UTF-8 text (byte 0xff)"),
    "foreign_name.jsonl": E("has results for theorems not in this benchmark (e.g. 'not_in_the_benchmark')"),
    "nan_seconds.jsonl": E("results.jsonl:1: field 'wall_seconds': expected a finite number, got nan"),
    "duplicate_lines.jsonl": R("dropped 2 duplicate result line(s) (line(s) 2, 3); kept the first line"),
    "torn_last_line.jsonl": R("results.jsonl:2: cut off an unfinished last line"),
    "blank_lines.jsonl": R("wrote "),
}

GENERATE = {  # `qed sandbox generate --out FILE` resumes into an existing FILE: it must be its own output
    "binary.jsonl": E("binary.jsonl:1: invalid JSON"),
    "header_int.jsonl": E("header_int.jsonl:1: not a theorem generated with seed 0 (field 'name')"),
    "deep_json.jsonl": E("deep_json.jsonl:1: invalid JSON: nested too deeply"),
    "json_array.jsonl": E("json_array.jsonl:1: expected a JSON object, got a list"),
    "invalid_utf8.jsonl": E("invalid_utf8.jsonl:1: not a theorem generated with seed 0"),
}

SFT_JSONL = {  # `qed train sft --data FILE.jsonl`: SFT pairs read through the same line reader
    "binary.jsonl": E("binary.jsonl:2: not UTF-8 text (byte 0x80)"),
    "invalid_utf8.jsonl": E("invalid_utf8.jsonl:2: not UTF-8 text (byte 0xff)"),
    "deep_json.jsonl": E("deep_json.jsonl:1: invalid JSON: nested too deeply"),
    "huge_json_int.jsonl": E("huge_json_int.jsonl:1: unreadable JSON: Exceeds the limit"),
    "json_array.jsonl": E("json_array.jsonl:1: expected a JSON object, got a list"),
    "header_int.jsonl": E("header_int.jsonl:1: missing field 'state' or 'state_before'"),
    "empty.jsonl": E("empty.jsonl: no training pairs left"),
}

PARQUET = {  # trajectories (qed train ebm) and SFT pairs (qed train sft) from a corrupt Parquet file
    "empty.parquet": "Parquet file size is 0 bytes",
    "not_parquet.parquet": "not a parquet file",
    "bad_magic.parquet": "Parquet",
    "truncated.parquet": "not a parquet file",
    "wrong_columns.parquet": "",
}


# ---- running ----------------------------------------------------------------------------------


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@dataclass
class Batch:
    results: dict[str, dict]
    peak_rss: int
    returncode: int
    stderr: str


def run_batch(cases: list[dict], workdir: Path) -> Batch:
    """Run ``cases`` in one process under the memory limit; each command gets LIMIT_SECONDS."""
    spec = workdir / "cases.json"
    spec.write_text(json.dumps(cases), encoding="utf-8")
    out_path, err_path = workdir / "batch.out", workdir / "batch.err"
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONHASHSEED="0")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "cli_batch.py"), str(spec), str(LIMIT_SECONDS)],
            stdout=out, stderr=err, cwd=workdir, env=env, preexec_fn=_limits,
        )
        # a backstop only: the per-command alarm ends the process first
        watchdog = threading.Timer(LIMIT_SECONDS * (len(cases) + 2), proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # the test was interrupted: leave no batch running
            proc.kill()
            proc.wait()
            raise
        finally:
            watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    results, started = {}, None
    for line in out_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "started" in row:
            started = row["started"]
        else:
            results[row["id"]] = row
            started = None
    if started is not None:
        results[started] = {"id": started, "died": proc.returncode}
    return Batch(results, usage.ru_maxrss * 1024, proc.returncode, err_path.read_text(errors="replace"))


def _generate(gen: Path) -> None:
    gen.mkdir(parents=True, exist_ok=True)
    line = "-- " + "x" * 97 + "\n"
    (gen / "comments_5mb.lean").write_text(line * 50_000 + "theorem t : (1 : ℕ) + 1 = 2 := by\n  norm_num\n")
    (gen / "tactic_200k_steps.lean").write_text(
        "theorem t : (1 : ℕ) + 1 = 2 := by\n  " + "skip; " * 200_000 + "norm_num\n")
    (gen / "a_directory.lean").mkdir(exist_ok=True)
    good = {"name": "good_add", "formal_statement": "theorem good_add : (2 : ℕ) + 3 = 5 := by"}
    (gen / "one_row_5mb.jsonl").write_text(json.dumps({**good, "informal_statement": "y" * 5_000_000}) + "\n")
    (gen / "garbage_line_5mb.jsonl").write_text(json.dumps(good) + "\n" + "{" + "z" * 5_000_000 + "\n")


def _path(name: str, sub: str, gen: Path) -> str:
    return str(gen / name.removeprefix("GEN/")) if name.startswith("GEN/") else str(CORPUS / sub / name)


@dataclass
class Corpus:
    rows: dict[str, tuple[dict, Batch]]  # case id -> (result row, its batch)
    runs: Path  # search.runs_dir of the `qed prove` cases


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory) -> Corpus:
    """Every corpus input through its commands."""
    root = tmp_path_factory.mktemp("bad_inputs")
    gen, runs = root / "gen", root / "runs"
    _generate(gen)
    prove = ["policy=scripted", "search.max_expansions=4", "search.concurrency=1", f"search.runs_dir={runs}"]
    light, heavy = [], []
    for name in CHECK:
        light.append({"id": f"check:{name}", "args": ["check", _path(name, "lean", gen)]})
    for i, name in enumerate(BENCH):
        path = _path(name, "jsonl", gen)
        light.append({"id": f"prove:{name}", "args": ["prove", path, *prove, "--name", f"p{i}"]})
        light.append({"id": f"coverage:{name}", "args": ["sandbox", "coverage", _path(name, "jsonl", gen)]})
        light.append({"id": f"fidelity:{name}", "args": ["sandbox", "fidelity", _path(name, "jsonl", gen)]})
    for i, name in enumerate(RESULTS):
        run = runs / f"r{i}"
        run.mkdir(parents=True)
        shutil.copy(CORPUS / "results" / name, run / "results.jsonl")
        light.append({"id": f"resume:{name}",
                      "args": ["prove", str(CORPUS / "results" / "bench.jsonl"), *prove, "--name", f"r{i}"]})
    for name in GENERATE:
        out = root / "generate" / name
        out.parent.mkdir(exist_ok=True)
        shutil.copy(CORPUS / "jsonl" / name, out)
        light.append({"id": f"generate:{name}",
                      "args": ["sandbox", "generate", "--n", "1", "--workers", "1", "--out", str(out)]})
    for name in PARQUET:
        path = str(CORPUS / "parquet" / name)
        heavy.append({"id": f"ebm:{name}",
                      "args": ["train", "ebm", "--trajectories", path, "--run", str(root / "ebm")]})
        heavy.append({"id": f"sft:{name}",
                      "args": ["train", "sft", "--data", path, "--model", str(root / "no_model"),
                               "--out", str(root / "sft")]})
    for name in SFT_JSONL:
        heavy.append({"id": f"sft-jsonl:{name}",
                      "args": ["train", "sft", "--data", str(CORPUS / "jsonl" / name), "--model",
                               str(root / "no_model"), "--out", str(root / "sft")]})
    found = {}
    for label, cases in (("light", light), ("heavy", heavy)):
        workdir = root / label
        workdir.mkdir()
        batch = run_batch(cases, workdir)
        for case in cases:
            found[case["id"]] = (batch.results.get(case["id"], {"id": case["id"], "missing": True}), batch)
    return Corpus(found, runs)


def _check(row: dict, batch: Batch, expect: Expect | None, *, result_text: str = "") -> None:
    tail = batch.stderr[-2000:]
    assert "died" not in row, f"over {LIMIT_SECONDS} s or out of memory: {row.get('died')} {tail}"
    assert "missing" not in row, f"the batch ended before this command (exit {batch.returncode}): {tail}"
    assert batch.peak_rss < LIMIT_BYTES
    assert row["seconds"] < LIMIT_SECONDS
    output = row["stdout"] + row["stderr"]
    assert row["exception"] is None, row["exception"]
    assert "Traceback" not in output, output[-3000:]
    errors = [line for line in row["stderr"].splitlines() if line.startswith("error:")]
    if expect is None:
        return
    assert row["exit_code"] in expect.codes, (row["exit_code"], output[-3000:])
    if expect.error:
        assert len(errors) == 1, row["stderr"][-3000:]
        assert expect.text in errors[0], errors[0]
    else:
        assert not errors, errors
        assert expect.text in output, output[-3000:]
        assert result_text in output, output[-3000:]


@pytest.mark.parametrize("name", list(CHECK))
def test_qed_check(corpus_runs, name):
    _check(*corpus_runs.rows[f"check:{name}"], CHECK[name])


@pytest.mark.parametrize("name", list(BENCH))
def test_qed_prove(corpus_runs, name):
    _check(*corpus_runs.rows[f"prove:{name}"], BENCH[name], result_text=PROVE_RESULT)


# what the valid-but-hostile benchmarks come to: theorem -> status (policy=scripted, 4 expansions)
PROVE_STATUS = {
    "huge_numerals.jsonl": {"good_add": "proved", "big_add": "proved", "big_pow": "failed",
                            "good_lin": "proved"},
    "huge_powers.jsonl": {"pow1": "proved", "pow2": "failed", "good_add": "proved"},
    "deep_parens.jsonl": {"deep": "unsupported", "good_add": "proved"},
    "garbage_statements.jsonl": {"g1": "unsupported", "g2": "unsupported", "g3": "unsupported",
                                 "g4": "unsupported", "good_add": "proved"},
    "odd_names.jsonl": {"[/x] rw [h]": "proved", "dir/../../escape": "proved", ".hidden": "proved"},
    "bom_crlf.jsonl": {"good_add": "proved", "good_lin": "proved"},
    "GEN/one_row_5mb.jsonl": {"good_add": "proved"},
}


@pytest.mark.parametrize("name", list(PROVE_STATUS))
def test_qed_prove_records_every_theorem_of_a_hostile_benchmark(corpus_runs, name):
    run = corpus_runs.runs / f"p{list(BENCH).index(name)}"
    records = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    assert {r["name"]: r["status"] for r in records} == PROVE_STATUS[name]
    assert all(r["message"] for r in records if r["status"] in ("failed", "unsupported"))
    assert (run / "DONE").exists()
    proofs = sorted(p.name for p in (run / "proofs").iterdir())
    assert len(proofs) == sum(s == "proved" for s in PROVE_STATUS[name].values())
    assert all(p.endswith(".lean") and not p.startswith(".") for p in proofs), proofs


@pytest.mark.parametrize("name", list(BENCH))
def test_qed_sandbox_coverage(corpus_runs, name):
    expect = BENCH[name]
    _check(*corpus_runs.rows[f"coverage:{name}"], expect if expect.error else R(COVERAGE_RESULT))


@pytest.mark.parametrize("name", list(FIDELITY))
def test_qed_sandbox_fidelity(corpus_runs, name):
    _check(*corpus_runs.rows[f"fidelity:{name}"], FIDELITY[name])


@pytest.mark.parametrize("name", list(RESULTS))
def test_resume_from_a_bad_results_file(corpus_runs, name):
    _check(*corpus_runs.rows[f"resume:{name}"], RESULTS[name])


@pytest.mark.parametrize("name", list(GENERATE))
def test_sandbox_generate_resuming_into_a_bad_file(corpus_runs, name):
    _check(*corpus_runs.rows[f"generate:{name}"], GENERATE[name])


@pytest.mark.parametrize("name", list(SFT_JSONL))
def test_sft_pairs_from_a_bad_jsonl_file(corpus_runs, name):
    _check(*corpus_runs.rows[f"sft-jsonl:{name}"], SFT_JSONL[name])


@pytest.mark.parametrize("name", list(PARQUET))
@pytest.mark.parametrize("command", ["ebm", "sft"])
def test_corrupt_parquet(corpus_runs, command, name):
    row, batch = corpus_runs.rows[f"{command}:{name}"]
    _check(row, batch, E(PARQUET[name]))
    assert name in row["stderr"]
