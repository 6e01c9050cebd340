"""The effective-rank alarm: the rank is measured on real embedding batches, the alarm fires on a
planted collapse (embeddings projected to rank 1), and joint training aborts on it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import qed.train.joint as joint_module
from qed.train.joint import JointAbort, JointSettings, run_joint
from qed.train.monitor import Monitor, MonitorSettings, effective_rank
from qed.value.ebm import HeadConfig

from .test_joint import HEAD, SETTINGS, probe, setup  # noqa: F401  (the shared fixture)

HEAD_CONFIG = HeadConfig(dim=4, hidden=(8,))


def rank_one(X: np.ndarray) -> np.ndarray:
    """``X`` projected onto its first principal direction (plus its mean): a rank-1 collapse."""
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
    u = vt[0]
    return mean + np.outer((X - mean) @ u, u)


def test_effective_rank_matches_the_spectrum():
    rng = np.random.default_rng(0)
    iso = rng.standard_normal((4000, 8))
    assert 7.8 < effective_rank(iso) <= 8.0  # isotropic: about d
    assert effective_rank(rank_one(iso)) == pytest.approx(1.0, abs=1e-6)
    two = np.zeros((100, 5))
    two[:, 0], two[:, 1] = rng.choice([-1, 1], 100), rng.choice([-1, 1], 100)
    assert effective_rank(two) == pytest.approx(2.0, abs=0.05)  # two equal axes
    assert effective_rank(np.ones((10, 3))) == 0.0
    with pytest.raises(ValueError):
        effective_rank(np.ones(3))


def test_rank_alarm_absolute_and_relative():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((256, 16))
    healthy, collapsed = effective_rank(X), effective_rank(rank_one(X))
    m = Monitor(MonitorSettings(min_rank_ratio=0.5), HEAD_CONFIG)
    assert m.on_rank(0, healthy) is None  # sets the reference
    assert m.on_rank(1, 0.6 * healthy) is None
    alarm = m.on_rank(2, collapsed)
    assert alarm is not None and alarm.kind == "rank" and "effective rank" in alarm.message
    floor = Monitor(MonitorSettings(min_effective_rank=1.5), HEAD_CONFIG)
    assert floor.on_rank(0, healthy) is None and floor.on_rank(1, collapsed).kind == "rank"
    off = Monitor(MonitorSettings(), HEAD_CONFIG)  # both rules off by default
    assert off.on_rank(0, healthy) is None and off.on_rank(1, collapsed) is None
    assert off.on_rank(2, math.nan).kind == "rank"  # NaN is never healthy


def test_rank_reference_survives_a_resume():
    m = Monitor(MonitorSettings(min_rank_ratio=0.5), HEAD_CONFIG)
    m.on_rank(0, 4.0)
    again = Monitor(MonitorSettings(min_rank_ratio=0.5), HEAD_CONFIG)
    again.load_state(json.loads(json.dumps(m.state())))
    assert again.first_rank == 4.0 and again.on_rank(1, 1.9) is not None


def test_joint_training_aborts_on_a_planted_rank_collapse(setup, monkeypatch):  # noqa: F811
    """The probe embeddings of the real model, projected to rank 1 before the monitor sees them."""
    real = joint_module.HFEncoder

    class Collapsed:
        def __init__(self, *args, **kwargs):
            self.inner = real(*args, **kwargs)

        def encode(self, texts):
            return rank_one(np.asarray(self.inner.encode(texts), dtype=np.float64))

    rule = MonitorSettings(min_effective_rank=1.5, probe_every=3, sft_deadline=0)
    s = JointSettings(**{**SETTINGS.__dict__, "monitor": rule})
    short = JointSettings(**{**s.__dict__, "max_steps": 3})
    ok = run_joint(setup / "base", setup / "pairs.jsonl", setup / "traj.parquet", setup / "healthy", short,
                   probe, head_options=HEAD, log=lambda _: None)
    assert ok.metrics["effective_rank"] > 1.5  # the tiny model's own embeddings pass the same rule
    monkeypatch.setattr(joint_module, "HFEncoder", Collapsed)
    with pytest.raises(JointAbort, match="effective rank .* fell below 1.500"):
        run_joint(setup / "base", setup / "pairs.jsonl", setup / "traj.parquet", setup / "abort", s, probe,
                  head_options=HEAD, log=lambda _: None)
    assert "collapse" in (setup / "abort" / "ABORTED").read_text()
    rows = [json.loads(line) for line in (setup / "abort" / "metrics.jsonl").read_text().splitlines()]
    ranks = [r["effective_rank"] for r in rows if r["kind"] == "probe"]
    assert ranks and ranks[-1] == pytest.approx(1.0, abs=1e-6)
