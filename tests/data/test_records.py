"""The typed record reader (``qed.data.records``): benchmark rows, recorded goals and results
lines get a value or one clear error naming file, line and field; results files are repaired
on resume (torn last line, duplicate lines) and never changed when a line is bad."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qed.data.benchmarks import BenchmarkError, load_benchmark
from qed.data.records import (
    RecordError,
    read_benchmark,
    read_goals,
    read_results,
)
from qed.eval.prove import RunError, file_stem, read_records

GOOD = {"name": "t1", "formal_statement": "theorem t1 : (1 : ℕ) + 1 = 2 := by"}
RESULT = {"name": "t1", "status": "failed", "proof": [], "expansions": 3, "wall_seconds": 0.5}
PROVED = {"name": "t2", "status": "proved", "proof": ["norm_num"], "expansions": 1}


def lines(path: Path, *rows) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


# ---- benchmark rows ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, field, problem",
    [
        ({**GOOD, "header": 123}, "header", "expected a string, got a number (123)"),
        ({**GOOD, "goal": 5}, "goal", "expected a string, got a number (5)"),
        ({**GOOD, "split": ["valid"]}, "split", "expected a string, got a list"),
        ({**GOOD, "proof": {"tactics": []}}, "proof", "expected a string, got an object"),
        ({**GOOD, "informal_statement": True}, "informal_statement", "expected a string, got a boolean"),
        ({**GOOD, "name": ""}, "name", "empty theorem name"),
        ({**GOOD, "name": "   "}, "name", "empty theorem name"),
        ({**GOOD, "name": 7}, "name", "expected a string, got a number (7)"),
        ({**GOOD, "name": "a\nb"}, "name", "control character"),
        ({**GOOD, "name": "a\x00b"}, "name", "contains a NUL character"),
        ({**GOOD, "name": ".."}, "name", "not usable as a file name"),
        ({**GOOD, "name": " t1"}, "name", "white space"),
        ({**GOOD, "name": "x" * 1001}, "name", "at most 1000"),
        ({**GOOD, "name": "t\ud800"}, "name", "lone surrogate"),
        ({"formal_statement": GOOD["formal_statement"]}, "name", "missing"),
        ({"name": "t1"}, "formal_statement", "missing"),
        ({"name": "t1", "formal_statement": None}, "formal_statement", "is null"),
        ({**GOOD, "formal_statement": "  "}, "formal_statement", "is empty"),
        ({**GOOD, "formal_statement": "theorem t : True := by\x00"}, "formal_statement", "NUL"),
    ],
)
def test_a_bad_benchmark_field_is_named_with_file_and_line(tmp_path, row, field, problem):
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps({**GOOD, "name": "t0"}) + "\n\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(BenchmarkError) as info:
        load_benchmark(path)
    message = str(info.value)
    assert message.startswith(f"{path}:3: field '{field}': "), message
    assert problem in message and "\n" not in message


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"name": "t1",', "invalid JSON"),
        ("[1, 2]", "expected a JSON object, got a list"),
        ("null", "expected a JSON object, got null"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"name": ' + "9" * 5000 + "}", "unreadable JSON: Exceeds the limit (4300 digits)"),
    ],
)
def test_a_bad_line_is_named(tmp_path, text, problem):
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + text + "\n", encoding="utf-8")
    with pytest.raises(BenchmarkError, match=r"bench.jsonl:2: ") as info:
        load_benchmark(path)
    assert problem in str(info.value)


def test_a_byte_order_mark_and_crlf_line_ends_are_read(tmp_path):
    path = tmp_path / "bench.jsonl"
    text = json.dumps(GOOD) + "\r\n" + json.dumps({**GOOD, "name": "t2"}) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert [t.name for t in load_benchmark(path)] == ["t1", "t2"]


def test_invalid_utf8_names_its_line(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"name": "t\xff"}\n')
    with pytest.raises(BenchmarkError, match=r"bench.jsonl:2: not UTF-8 text \(byte 0xff\)"):
        load_benchmark(path)


def test_good_rows_keep_their_values_and_ignore_unknown_fields(tmp_path):
    path = lines(
        tmp_path / "bench.jsonl",
        {**GOOD, "header": "import Mathlib", "split": "valid", "goal": None, "source": None, "extra": [1]},
        {"name": "x/y z", "formal_statement": "theorem x : True := by", "informal_statement": "why",
         "proof": "trivial"},
    )
    rows = read_benchmark(path)
    assert [(r.name, r.line, r.header, r.split, r.goal, r.source) for r in rows] == [
        ("t1", 1, "import Mathlib", "valid", None, ""),
        ("x/y z", 2, "", "", None, ""),
    ]
    thms = load_benchmark(path)
    assert thms[1].informal == "why" and thms[1].proof == "trivial" and thms[0].header == "import Mathlib"


def test_duplicate_names_within_a_split_name_both_lines(tmp_path):
    path = lines(tmp_path / "bench.jsonl", GOOD, {**GOOD, "split": "a"}, {**GOOD, "split": "a"})
    expected = r":3: field 'name': duplicate theorem name 'a/t1' \(first on line 2\)"
    with pytest.raises(BenchmarkError, match=expected):
        load_benchmark(path)


def test_a_directory_or_missing_file_is_an_error(tmp_path):
    with pytest.raises(BenchmarkError, match="is a directory"):
        load_benchmark(tmp_path)
    with pytest.raises(BenchmarkError, match="not found"):
        load_benchmark(tmp_path / "nope.jsonl")


def test_goal_files_are_validated(tmp_path):
    goals = lines(tmp_path / "g.jsonl", {"name": "t1", "goal": "⊢ True"}, {"name": "t2", "goal": 5})
    with pytest.raises(RecordError, match=r"g.jsonl:2: field 'goal': expected a string"):
        read_goals(goals)
    lines(goals, {"name": "t1", "goal": "⊢ True"}, {"name": "t1", "goal": "⊢ False"})
    assert read_goals(goals) == {"t1": "⊢ True"}
    bench = lines(tmp_path / "b.jsonl", GOOD)
    lines(tmp_path / "b_goals.jsonl", {"name": "t1"})
    with pytest.raises(BenchmarkError, match=r"b_goals.jsonl:1: field 'goal': missing"):
        load_benchmark(bench)


def test_file_stems_are_never_empty_or_hidden():
    for name in ("", ".", "..", ".hidden", "a/b", "x" * 400):
        stem = file_stem(name)
        assert stem and not stem.startswith(".") and "/" not in stem and len(stem) < 200, (name, stem)
    assert file_stem("mathd_algebra_10") == "mathd_algebra_10"
    assert len({file_stem(n) for n in ("a/b", "a_b", "a b", ".a", "_a")}) == 5


# ---- results -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "row, field, problem",
    [
        ({"name": "t1", "status": "proved"}, "proof", "missing: a 'proved' result needs its proof"),
        ({**PROVED, "proof": []}, "proof", "empty: a 'proved' result needs its proof"),
        ({**PROVED, "proof": "norm_num"}, "proof", "expected a list of strings, got a string"),
        ({**PROVED, "proof": ["norm_num", 3]}, "proof", "item 1: expected a string"),
        ({**RESULT, "status": "done"}, "status", "'done' is not one of proved, failed, error, unsupported"),
        ({**RESULT, "status": None}, "status", "is null"),
        ({**RESULT, "name": ""}, "name", "empty theorem name"),
        ({k: v for k, v in RESULT.items() if k != "expansions"}, "expansions", "missing"),
        ({**RESULT, "expansions": "3"}, "expansions", "expected an integer, got a string"),
        ({**RESULT, "expansions": 2.5}, "expansions", "expected an integer"),
        ({**RESULT, "expansions": -1}, "expansions", ">= 0"),
        ({**RESULT, "expansions": True}, "expansions", "got a boolean"),
        ({**RESULT, "wall_seconds": float("nan")}, "wall_seconds", "finite"),
        ({**RESULT, "nodes": 1.5}, "nodes", "expected an integer"),
        ({**RESULT, "message": 5}, "message", "expected a string"),
        ({**RESULT, "settings": []}, "settings", "expected an object"),
    ],
)
def test_a_bad_result_line_is_refused_and_the_file_left_alone(tmp_path, row, field, problem):
    path = tmp_path / "results.jsonl"
    lines(path, PROVED, row, RESULT | {"name": "t3"})
    before = path.read_bytes()
    with pytest.raises(RunError) as info:
        read_records(path, repair=True)
    message = str(info.value)
    assert message.startswith(f"{path}:2: field '{field}': ") and problem in message, message
    assert "\n" not in message
    assert path.read_bytes() == before


def test_duplicate_result_lines_are_repaired_keeping_the_first(tmp_path):
    path = lines(tmp_path / "results.jsonl", RESULT, PROVED, {**RESULT, "expansions": 9}, PROVED)
    found = read_results(path)  # without repair: read, reported, file untouched
    assert [(r.name, r.line, r.expansions) for r in found.records] == [("t1", 1, 3), ("t2", 2, 1)]
    assert found.duplicates == (3, 4) and path.read_text().count("\n") == 4
    notes: list[str] = []
    records = read_records(path, repair=True, on_note=notes.append)
    assert [r["name"] for r in records] == ["t1", "t2"] and records[0]["expansions"] == 3
    assert len(notes) == 1 and "dropped 2 duplicate result line(s) (line(s) 3, 4)" in notes[0]
    assert [json.loads(x)["name"] for x in path.read_text().splitlines()] == ["t1", "t2"]
    assert read_results(path).notes == ()


def test_a_torn_last_line_is_cut_off(tmp_path):
    path = lines(tmp_path / "results.jsonl", RESULT)
    with path.open("a") as fh:
        fh.write(json.dumps(PROVED))  # complete JSON, but its newline was never written
    notes: list[str] = []
    assert [r["name"] for r in read_records(path, repair=True, on_note=notes.append)] == ["t1"]
    assert path.read_text() == json.dumps(RESULT) + "\n" and "unfinished last line" in notes[0]
    with path.open("ab") as fh:
        fh.write(b'{"name": "t2", "mess' + "é".encode()[:1])  # cut inside a character
    assert [r["name"] for r in read_records(path, repair=True)] == ["t1"]
    assert path.read_text() == json.dumps(RESULT) + "\n"


def test_results_that_are_not_utf8_are_refused(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_bytes(json.dumps(RESULT).encode() + b"\n\xc3\x28\n")
    with pytest.raises(RunError, match=r"results.jsonl:2: not UTF-8"):
        read_records(path)


def test_an_unreadable_file_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "results.jsonl").mkdir()  # reading it fails with an OSError
    with pytest.raises(RunError, match=r"results.jsonl: cannot read: Is a directory"):
        read_records(tmp_path / "results.jsonl")
    with pytest.raises(RecordError, match=r"results.jsonl: cannot read"):
        read_goals(tmp_path / "results.jsonl")


# ---- fuzz: any line gives a record or one clear error ---------------------------------------

KEYS = ["name", "formal_statement", "header", "goal", "split", "informal_statement", "source", "proof",
        "status", "expansions", "nodes", "wall_seconds", "message", "settings", "extra"]
scalars = (
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**6000), max_value=10**6000)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text() | st.sampled_from(
        ["", " ", ".", "..", "proved", "failed", "t1", "a\x00b", "\ud800", "theorem t : True := by"])
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner,
                                                                                             max_size=3),
                      max_leaves=8)
rows = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), values, max_size=8)


def _json_line(row) -> str:
    try:
        return json.dumps(row, ensure_ascii=True)  # ascii: lone surrogates stay escapes, as in a real file
    except ValueError:  # an integer over Python's digit limit: write its digits by hand
        return '{"name": ' + "9" * 5000 + "}"


raw_lines = st.one_of(rows.map(_json_line), st.text(max_size=60), st.binary(max_size=60).map(
    lambda b: b.decode("utf-8", "replace")))


@settings(max_examples=int(os.environ.get("QED_FUZZ_EXAMPLES", "200")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.lists(raw_lines, min_size=1, max_size=4), tail=st.binary(max_size=20))
def test_fuzz_any_file_gives_records_or_one_clear_error(tmp_path, body, tail):
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes("\n".join(body).encode("utf-8", "surrogatepass") + b"\n" + tail)
    for read in (read_benchmark, read_goals, read_results):
        try:
            got = read(path)
        except RecordError as exc:
            message = str(exc)
            assert message.startswith(f"{path}:") and "\n" not in message, message
            continue
        if read is read_benchmark:
            for r in got:
                assert isinstance(r.name, str) and r.name.strip() and isinstance(r.formal_statement, str)
                assert isinstance(r.header, str) and (r.goal is None or isinstance(r.goal, str))
                r.formal_statement.encode("utf-8")  # writable as text
        elif read is read_results:
            names = [r.name for r in got.records]
            assert len(names) == len(set(names))
            for r in got.records:
                assert r.status in ("proved", "failed", "error", "unsupported")
                assert all(isinstance(t, str) for t in r.proof) and (r.status != "proved" or r.proof)
                assert isinstance(r.expansions, int) and r.expansions >= 0
                json.dumps(r.as_dict(), ensure_ascii=False).encode("utf-8")
