"""InfoNCE (no temperature of its own), margin ranking and rank-1 on energy groups."""

from __future__ import annotations

import math

import pytest
import torch

from qed.value.losses import contrastive_loss, info_nce, margin_ranking, rank1


def test_info_nce_equals_direct_computation():
    torch.manual_seed(0)
    e = torch.randn(5, 8) * 3
    direct = 0.0
    for row in e.tolist():
        z = sum(math.exp(-x) for x in row)
        direct += -math.log(math.exp(-row[0]) / z)
    assert info_nce(e).item() == pytest.approx(direct / 5, rel=1e-5)


def test_info_nce_has_no_temperature_scaling_energies_changes_the_loss():
    e = torch.tensor([[0.0, 1.0, 2.0]])
    assert info_nce(e).item() != pytest.approx(info_nce(e / 2).item())
    # a confident correct group has loss near 0, a confident wrong one a large loss
    assert info_nce(torch.tensor([[-20.0, 20.0, 20.0]])).item() < 1e-6
    assert info_nce(torch.tensor([[20.0, -20.0, 20.0]])).item() > 39
    # equal energies: loss = log(1 + K)
    assert info_nce(torch.zeros(3, 4)).item() == pytest.approx(math.log(4))


def test_margin_ranking_matches_hinge_definition():
    e = torch.tensor([[0.0, 0.5, 3.0], [1.0, 0.0, 1.0]])
    # pairs: (0, .5)->0.5, (0, 3)->0, (1, 0)->2, (1, 1)->1
    assert margin_ranking(e, margin=1.0).item() == pytest.approx((0.5 + 0 + 2 + 1) / 4)
    assert contrastive_loss(e, "margin", 1.0).item() == pytest.approx(0.875)


def test_rank1_counts_ties_as_failures():
    e = torch.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    assert rank1(e).tolist() == [1.0, 0.0, 0.0]


def test_bad_shapes_and_kinds_are_refused():
    with pytest.raises(ValueError, match="1 \\+ K"):
        info_nce(torch.zeros(4))
    with pytest.raises(ValueError, match="1 \\+ K"):
        info_nce(torch.zeros(4, 1))
    with pytest.raises(ValueError, match="unknown loss"):
        contrastive_loss(torch.zeros(2, 3), "hinge")
