"""EBM metrics on energies with known answers, and the active-unit ratio."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qed.eval.ebm_metrics import active_unit_ratio, depth_bucket, ebm_metrics
from qed.value.ebm import GoalConditionedEnergyHead, HeadConfig


def test_rank1_gap_and_sibling_discrimination():
    e = np.array(
        [
            [0.0, 1.0, 2.0],  # win
            [1.0, 0.0, 2.0],  # loss (sibling 0.0 beats the positive)
            [0.5, 0.5, 3.0],  # tie: loss
            [-1.0, 0.0, 0.0],  # win
        ]
    )
    kinds = [("sibling", "hard"), ("sibling", "sibling"), ("dead_end", "sibling"), ("hard", "hard")]
    m = ebm_metrics(e, [1, 2, 4, 7], kinds)
    assert m["rank1"] == pytest.approx(0.5)
    assert m["chance"] == pytest.approx(1 / 3)
    assert m["rank1_by_depth"]["1"] == {"rank1": 1.0, "groups": 1}
    assert m["rank1_by_depth"]["2"] == {"rank1": 0.0, "groups": 1}
    assert m["rank1_by_depth"]["3"] == {"rank1": None, "groups": 0}
    assert m["rank1_by_depth"]["4+"] == {"rank1": 0.5, "groups": 2}
    assert m["energy_gap"] == pytest.approx(e[:, 1:].mean() - e[:, 0].mean())
    # sibling pairs: (0<1) yes, (1<0) no, (1<2) yes, (0.5<3) yes
    assert m["sibling_pairs"] == 4
    assert m["sibling_discrimination"] == pytest.approx(0.75)


def test_depth_buckets():
    assert [depth_bucket(d) for d in (0, 1, 2, 3, 4, 9)] == ["1", "1", "2", "3", "4+", "4+"]


def test_active_unit_ratio_sees_dead_units():
    torch.manual_seed(0)
    head = GoalConditionedEnergyHead(HeadConfig(dim=8, hidden=(16, 4)))
    z = torch.randn(200, 8)
    healthy = active_unit_ratio(head, z, z)
    assert healthy["active_unit_ratio"] > 0.8
    with torch.no_grad():  # kill half of the first layer: a large negative bias keeps them off
        head.hidden[0].bias[:8] = -1e4
    hurt = active_unit_ratio(head, z, z)
    assert hurt["active_unit_ratio_by_layer"][0] == pytest.approx(
        healthy["active_unit_ratio_by_layer"][0] - 0.5
    )
