"""Experiment tracking: trainers' metric rows also land in TensorBoard event files (read back
with TensorBoard's own reader), a resume drops the events of lost work, W&B stays opt-in."""

from __future__ import annotations

import json
import sys

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from qed.train.joint import JointSettings, run_joint
from qed.train.tracking import TensorBoardTracker, TrackingSettings, open_tracker, scalars

from .test_joint import HEAD, SETTINGS, probe, setup  # noqa: F401  (the shared fixture)


def read_scalars(log_dir) -> dict[str, list[tuple[int, float]]]:
    acc = EventAccumulator(str(log_dir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_scalars_keep_finite_numbers_tagged_by_kind():
    row = {"kind": "val", "step": 3, "val_loss": 1.5, "n": 2, "flag": True, "name": "x", "nce": None,
           "bad": float("nan")}
    assert scalars(row) == {"val/val_loss": 1.5, "val/n": 2.0}
    assert scalars({"step": 1, "loss": 0.5}) == {"loss": 0.5}


def test_tensorboard_events_round_trip_and_resume_drops_lost_steps(tmp_path):
    t = TensorBoardTracker(tmp_path / "tb")
    for step in range(1, 6):
        t.log({"kind": "train", "step": step, "loss": 1.0 / step})
    t.close()
    assert read_scalars(tmp_path / "tb")["train/loss"] == [(s, pytest.approx(1.0 / s)) for s in range(1, 6)]
    again = TensorBoardTracker(tmp_path / "tb")
    again.resume(3)  # the checkpoint was at step 3: steps 4 and 5 were lost and are redone
    again.log({"kind": "train", "step": 4, "loss": 7.0})
    again.close()
    expected = [(1, 1.0), (2, 0.5), (3, pytest.approx(1 / 3)), (4, 7.0)]
    assert read_scalars(tmp_path / "tb")["train/loss"] == expected


def test_settings_from_the_environment():
    assert TrackingSettings.from_env({}) == TrackingSettings(tensorboard=True, wandb=False)
    s = TrackingSettings.from_env({"QED_TENSORBOARD": "0", "QED_WANDB": "1", "QED_WANDB_PROJECT": "p"})
    assert (s.tensorboard, s.wandb, s.wandb_project) == (False, True, "p")
    assert open_tracker(".", TrackingSettings(tensorboard=False)).trackers == ()


def test_wandb_is_opt_in_and_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # as on a machine without wandb: import fails
    default = open_tracker(tmp_path, TrackingSettings())
    assert [type(t) for t in default.trackers] == [TensorBoardTracker]  # W&B never imported by default
    with pytest.raises(RuntimeError, match="pip install wandb"):
        open_tracker(tmp_path, TrackingSettings(tensorboard=False, wandb=True))


def test_joint_training_writes_its_metrics_to_tensorboard(setup, monkeypatch):  # noqa: F811
    monkeypatch.delenv("QED_TENSORBOARD", raising=False)
    s = JointSettings(**{**SETTINGS.__dict__, "max_steps": 3})
    run_joint(setup / "base", setup / "pairs.jsonl", setup / "traj.parquet", setup / "j", s, probe,
              head_options=HEAD, log=lambda _: None)
    rows = [json.loads(line) for line in (setup / "j" / "metrics.jsonl").read_text().splitlines()]
    events = read_scalars(setup / "j" / "tensorboard")
    train = [(r["step"], r["sft_loss"]) for r in rows if r["kind"] == "train"]
    assert [(s, pytest.approx(v)) for s, v in train] == events["train/sft_loss"]
    probes = [(r["step"], r["effective_rank"]) for r in rows if r["kind"] == "probe"]
    assert [(s, pytest.approx(v, rel=1e-5)) for s, v in probes] == events["probe/effective_rank"]
