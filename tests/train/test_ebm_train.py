"""Decoupled EBM training: learns a planted signal, stays at chance on noise, resumes exactly,
aborts on a stuck temperature, and names bad input."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from qed.data.synthetic import SyntheticSpec, synthetic_trajectories
from qed.data.trajectory import TrajectoryError, write_trajectories
from qed.train.ebm import EbmTrainingError, EbmTrainSettings, TemperatureAbort, train_ebm
from qed.value.ebm import HeadConfig
from qed.value.hashing_encoder import HashingEncoder

DIM = 64
HEAD = HeadConfig(dim=DIM, hidden=(64, 32))


def _data(tmp_path, **spec):
    path = tmp_path / "trajectories.parquet"
    write_trajectories(path, synthetic_trajectories(SyntheticSpec(**spec)))
    return path


def _train(tmp_path, traj, head=HEAD, **settings):
    enc = HashingEncoder(DIM)
    s = EbmTrainSettings(**{"threads": 1, "lr": 1e-3, "eval_every": 50, "patience": 100, **settings})
    return train_ebm(traj, tmp_path / "ebm", tmp_path / "embeddings", enc, enc.id, head, s)


def test_planted_signal_is_learned_well_above_chance(tmp_path):
    traj = _data(tmp_path, theorems=150, signal=0.5, seed=1)
    result = _train(tmp_path, traj, max_steps=300)
    m = result.metrics
    assert m["chance"] == pytest.approx(1 / 8)
    assert m["groups"]["val"] >= 30
    assert m["val_rank1"] > 0.5  # chance is 0.125
    assert 0.5 <= m["temperature"] <= 3.0
    out = tmp_path / "ebm"
    for name in (
        "DONE",
        "head.safetensors",
        "head.json",
        "config.json",
        "metrics.json",
        "loss.png",
        "log.jsonl",
    ):
        assert (out / name).exists(), name
    assert json.loads((out / "metrics.json").read_text()) == m
    logged = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert [x["step"] for x in logged if "temperature" in x] == [50, 100, 150, 200, 250, 300]
    # a finished run is reported, not retrained
    again = _train(tmp_path, traj, max_steps=300)
    assert again.already_done and again.metrics == m


def test_pure_noise_stays_at_chance(tmp_path):
    traj = _data(tmp_path, theorems=300, signal=0.0, seed=2)
    m = _train(tmp_path, traj, max_steps=300).metrics
    assert m["groups"]["val"] >= 50
    assert m["val_rank1"] < 0.25  # chance 0.125; the planted-signal run reaches > 0.5


def test_interrupted_run_resumes_to_the_same_weights(tmp_path):
    traj = _data(tmp_path, theorems=60, signal=0.5, seed=3)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _train(a, traj, max_steps=40, eval_every=20)
    (a / "ebm" / "DONE").unlink()  # as if killed after its last checkpoint
    resumed = _train(a, traj, max_steps=80, eval_every=20)
    assert resumed.resumed_from == 40 and not resumed.already_done
    _train(b, traj, max_steps=80, eval_every=20)
    wa = load_file(str(a / "ebm" / "checkpoints" / "step_80" / "head" / "head.safetensors"))
    wb = load_file(str(b / "ebm" / "checkpoints" / "step_80" / "head" / "head.safetensors"))
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k


def test_resume_refuses_a_checkpoint_of_other_data(tmp_path):
    _train(tmp_path, _data(tmp_path, theorems=40, seed=4), max_steps=20, eval_every=10)
    (tmp_path / "ebm" / "DONE").unlink()
    other = tmp_path / "other.parquet"
    write_trajectories(other, synthetic_trajectories(SyntheticSpec(theorems=50, seed=9)))
    with pytest.raises(EbmTrainingError, match="other data"):
        _train(tmp_path, other, max_steps=40)


def test_temperature_stuck_at_floor_aborts(tmp_path):
    traj = _data(tmp_path, theorems=60, signal=0.9, seed=5)
    head = HeadConfig(dim=DIM, hidden=(64, 32), temperature_floor=0.9, temperature_ceiling=1.1)
    with pytest.raises(TemperatureAbort, match="sits at its floor"):
        _train(tmp_path, traj, head=head, lr=0.05, max_steps=500, log_every=10, warmup_steps=1)
    assert not (tmp_path / "ebm" / "DONE").exists()


def test_bad_input_is_named(tmp_path):
    with pytest.raises(TrajectoryError, match="no such trajectory file"):
        _train(tmp_path, tmp_path / "missing.parquet", max_steps=10)
    traj = _data(tmp_path, theorems=20, failed_fraction=1.0)
    with pytest.raises(EbmTrainingError, match="no training groups"):
        _train(tmp_path, traj, max_steps=10)
