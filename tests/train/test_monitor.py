"""The joint-training monitor: each alarm fires exactly when its threshold is crossed, and not before."""

from __future__ import annotations

import math

from qed.train.monitor import Monitor, MonitorSettings, plot_monitor
from qed.value.ebm import HeadConfig

HEAD = HeadConfig(dim=4, hidden=(8,))


def test_centroid_alarm_is_relative_to_the_first_probe():
    m = Monitor(MonitorSettings(min_centroid_ratio=0.5, min_centroid_l2=0.0), HEAD)
    assert m.on_probe(0, 2.0, 0.8) is None  # sets the reference
    assert m.on_probe(50, 1.1, 0.7) is None  # 0.55 of the first: still above half
    alarm = m.on_probe(100, 0.9, 0.6)
    assert alarm is not None and alarm.kind == "centroid" and alarm.step == 100
    assert "collapse" in alarm.message and "0.9000" in alarm.message and "1.0000" in alarm.message
    assert m.alarms == [alarm]


def test_centroid_alarm_absolute_floor_and_off_switch():
    m = Monitor(MonitorSettings(min_centroid_ratio=0.0, min_centroid_l2=3.0), HEAD)
    assert m.on_probe(0, 6.4, 0.83) is None
    assert m.on_probe(10, 1.33, 0.68).kind == "centroid"  # the seed system's collapse
    off = Monitor(MonitorSettings(min_centroid_ratio=0.0, min_centroid_l2=0.0), HEAD)
    assert off.on_probe(0, 6.4, 0.8) is None and off.on_probe(1, 0.01, 0.5) is None
    assert off.on_probe(2, math.nan, 0.5).kind == "centroid"  # NaN is never healthy


def test_temperature_alarm_at_floor_and_ceiling_only():
    m = Monitor(MonitorSettings(), HEAD)
    assert m.on_temperature(50, 1.0) is None
    assert m.on_temperature(100, 4.0) is None  # unhealthy but not at a bound: no abort
    floor = m.on_temperature(150, 0.11)
    ceiling = m.on_temperature(200, 9.9)
    assert floor.kind == ceiling.kind == "temperature"
    assert "floor" in floor.message and "ceiling" in ceiling.message


def test_sft_loss_alarm_only_at_the_deadline_and_only_if_still_high():
    s = MonitorSettings(max_sft_loss=2.0, sft_deadline=5, sft_ema=0.5)
    high = Monitor(s, HEAD)
    alarms = [high.on_sft_loss(step, 4.0) for step in range(1, 8)]
    assert [a.step for a in alarms if a] == [5]
    low = Monitor(s, HEAD)
    assert not any(low.on_sft_loss(step, 4.0 if step < 3 else 0.5) for step in range(1, 8))
    off = Monitor(MonitorSettings(sft_deadline=0), HEAD)
    assert not any(off.on_sft_loss(step, 9.0) for step in range(1, 20))
    assert off.on_sft_loss(20, math.inf).kind == "sft_loss"


def test_state_round_trip_keeps_the_reference_and_alarms():
    m = Monitor(MonitorSettings(), HEAD)
    m.on_probe(0, 2.0, 0.8)
    m.on_probe(1, 0.1, 0.5)
    m.on_sft_loss(1, 3.0)
    again = Monitor(MonitorSettings(), HEAD)
    again.load_state(m.state())
    assert again.first_centroid == 2.0 and again.sft_ema == 3.0 and again.alarms == m.alarms
    assert again.on_probe(2, 0.5, 0.5) is not None  # the reference survived: 0.5 < 0.5 * 2.0


def test_plot_monitor_writes_a_png(tmp_path):
    rows = [{"kind": "train", "step": i, "sft_loss": 3.0 - 0.1 * i, "nce_loss": 2.0} for i in range(1, 11)]
    rows += [{"kind": "val", "step": 10, "val_sft_loss": 2.5, "val_nce_loss": 1.9, "val_rank1": 0.3},
             {"kind": "temperature", "step": 5, "temperature": 1.1},
             {"kind": "probe", "step": 0, "centroid_l2": 2.0, "probe_accuracy": 0.7},
             {"kind": "probe", "step": 10, "centroid_l2": 1.5, "probe_accuracy": 0.75}]
    out = plot_monitor(rows, tmp_path / "joint.png", MonitorSettings(sft_deadline=5), HEAD)
    assert out.stat().st_size > 10_000
