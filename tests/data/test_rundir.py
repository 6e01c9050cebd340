"""The run directory's one owner: atomic files and directories, markers, checkpoints, layout."""

from __future__ import annotations

import json

import pytest

from qed.data.rundir import (
    Checkpoints,
    RunLayout,
    atomic_dir,
    atomic_path,
    atomic_write_json,
    atomic_write_text,
    clear_done,
    is_done,
    mark_done,
    write_run_config,
)


def test_atomic_file_replaces_whole_or_not_at_all(tmp_path):
    f = tmp_path / "a" / "x.json"
    atomic_write_json(f, {"a": 1})
    assert json.loads(f.read_text()) == {"a": 1}
    with pytest.raises(RuntimeError), atomic_path(f) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert json.loads(f.read_text()) == {"a": 1}
    assert sorted(p.name for p in f.parent.iterdir()) == ["x.json"]


def test_atomic_path_keeps_the_suffix_for_writers(tmp_path):
    with atomic_path(tmp_path / "t.parquet") as tmp:
        assert tmp.suffix == ".parquet" and tmp != tmp_path / "t.parquet"
        tmp.write_bytes(b"x")
    assert (tmp_path / "t.parquet").read_bytes() == b"x"


def test_atomic_dir_appears_only_when_complete(tmp_path):
    final = tmp_path / "policy"
    with pytest.raises(RuntimeError), atomic_dir(final) as tmp:
        (tmp / "half").write_text("x")
        raise RuntimeError("killed")
    assert not final.exists()
    with atomic_dir(final) as tmp:  # a stale tmp from the killed attempt is cleared
        assert list(tmp.iterdir()) == []
        (tmp / "model").write_text("m")
    assert (final / "model").read_text() == "m" and not (tmp_path / "policy.tmp").exists()


def test_done_marker(tmp_path):
    assert not is_done(tmp_path)
    mark_done(tmp_path, "steps 3")
    assert is_done(tmp_path) and (tmp_path / "DONE").read_text() == "steps 3\n"
    clear_done(tmp_path)
    assert not is_done(tmp_path)


def test_run_config_records_command_and_revision(tmp_path):
    write_run_config(tmp_path, "seed: 0\n", "prove x")
    lines = (tmp_path / "config.yaml").read_text().splitlines()
    assert lines[0] == "# qed prove x" and lines[1].startswith("# git revision: ") and lines[2] == "seed: 0"


def test_checkpoints_keep_the_latest_complete_one(tmp_path):
    ck = Checkpoints(tmp_path)
    assert ck.latest() is None
    ck.save(2, lambda d: (d / "w").write_text("2"), {"loss": 1.0})
    ck.save(4, lambda d: (d / "w").write_text("4"), {"loss": 0.5})
    latest = ck.latest()
    assert latest.name == "step_4" and (latest / "w").read_text() == "4"
    assert Checkpoints.state(latest) == {"step": 4, "loss": 0.5}
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["step_4"]

    def dies(d):
        (d / "w").write_text("6")
        raise RuntimeError("killed mid-checkpoint")

    with pytest.raises(RuntimeError):
        ck.save(6, dies, {})
    assert ck.latest().name == "step_4"  # the half-written step_6 is never resumed from


def test_layout_names_every_stage_path(tmp_path):
    run = RunLayout(tmp_path)
    it = run.iteration(1)
    assert it.dir == tmp_path / "iter_1"
    assert it.metrics == tmp_path / "iter_1" / "eval" / "metrics.json"
    assert it.trajectories.name == "trajectories.parquet" and run.config.name == "config.yaml"
    atomic_write_text(it.report, "r")
    assert it.report.read_text() == "r"
