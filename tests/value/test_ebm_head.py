"""The energy head: shape, spectral norms, first-layer scale, temperature, size, persistence."""

from __future__ import annotations

import math

import pytest
import torch

from qed.value.ebm import (
    GoalConditionedEnergyHead,
    HeadConfig,
    count_parameters,
    energies_in_batches,
    load_head,
    save_head,
    temperature_status,
)

SMALL = HeadConfig(dim=16, hidden=(32, 24, 8))


def _head(config: HeadConfig = SMALL, seed: int = 0) -> GoalConditionedEnergyHead:
    torch.manual_seed(seed)
    return GoalConditionedEnergyHead(config)


def test_output_is_one_energy_per_pair_for_any_leading_shape():
    head = _head().eval()
    assert head(torch.randn(5, 16), torch.randn(5, 16)).shape == (5,)
    assert head(torch.randn(3, 4, 16), torch.randn(3, 4, 16)).shape == (3, 4)
    with pytest.raises(ValueError, match="expected two"):
        head(torch.randn(5, 16), torch.randn(5, 15))


def test_input_is_state_goal_and_their_product():
    head = _head().eval()
    zs, zg = torch.randn(4, 16), torch.randn(4, 16)
    x = head._input(zs, zg)
    assert x.shape == (4, 48)
    assert torch.equal(x[:, 32:], zs * zg)
    # the goal conditions the energy: the same state under two goals scores differently
    assert not torch.allclose(head(zs, zg), head(zs, torch.randn(4, 16)))


def test_every_linear_layer_has_spectral_norm_one_after_power_iterations():
    head = _head(HeadConfig(dim=32, hidden=(64, 48, 16)))
    head.train()
    for _ in range(10):  # each training forward runs 5 power iterations per layer
        head(torch.randn(8, 32), torch.randn(8, 32))
    assert len(head.linears) == 4
    for layer in head.linears:
        sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=0.02)
        assert layer.parametrizations.weight[0].n_power_iterations == 5


def test_first_layer_is_scaled_by_a_tenth():
    head = _head().eval()
    zs, zg = torch.randn(6, 16), torch.randn(6, 16)
    first = head.hidden[0]
    unscaled = first(head._input(zs, zg))
    assert torch.allclose(head.features(zs, zg)[0], 0.1 * unscaled, atol=1e-6)
    w = first.weight.detach()
    eff = 0.1 * w  # effective first-layer map: spectral norm 0.1
    assert torch.linalg.matrix_norm(eff, ord=2).item() == pytest.approx(0.1, abs=0.005)
    # changing the configured scale changes the output (the buffer is really used)
    other = _head(HeadConfig(dim=16, hidden=(32, 24, 8), first_layer_scale=1.0)).eval()
    assert not torch.allclose(other.features(zs, zg)[0], head.features(zs, zg)[0])


def test_temperature_divides_the_output():
    head = _head().eval()
    zs, zg = torch.randn(7, 16), torch.randn(7, 16)
    t1 = head.temperature().item()
    e1 = head(zs, zg)
    with torch.no_grad():
        head.temperature_logit.fill_(2.0)
    t2 = head.temperature().item()
    e2 = head(zs, zg)
    assert t1 == pytest.approx(1.0, abs=1e-5)
    assert t2 != pytest.approx(t1)
    assert torch.allclose(e2 * t2, e1 * t1, atol=1e-5)


def test_temperature_stays_inside_floor_and_ceiling_and_status_reports_bounds():
    head = _head()
    cfg = head.config
    with torch.no_grad():
        head.temperature_logit.fill_(-50.0)
        assert cfg.temperature_floor <= head.temperature().item() < cfg.temperature_floor + 1e-6
        head.temperature_logit.fill_(50.0)
        assert head.temperature().item() == pytest.approx(cfg.temperature_ceiling)
    assert temperature_status(0.1, cfg) == "floor"
    assert temperature_status(9.99, cfg) == "ceiling"
    assert temperature_status(4.0, cfg) == "unhealthy"
    assert temperature_status(1.0, cfg) == "ok"


def test_head_at_d4096_has_about_25m_parameters():
    head = GoalConditionedEnergyHead(HeadConfig(dim=4096))
    n = count_parameters(head)
    expected = (3 * 4096 * 2048 + 2048) + (2048 * 1024 + 1024) + (1024 * 512 + 512) + (512 + 1) + 1
    assert n == expected
    assert 25_000_000 <= n <= 29_000_000


def test_save_and_load_round_trip(tmp_path):
    head = _head()
    head.train()
    head(torch.randn(4, 16), torch.randn(4, 16))  # move the power-iteration vectors
    save_head(head, tmp_path)
    loaded = load_head(tmp_path)
    head.eval()
    zs, zg = torch.randn(9, 16), torch.randn(9, 16)
    assert torch.allclose(head(zs, zg), loaded(zs, zg))
    assert loaded.config == head.config
    assert sorted(p.name for p in tmp_path.iterdir()) == ["head.json", "head.safetensors"]


def test_load_names_missing_or_mismatched_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="head.json"):
        load_head(tmp_path)
    save_head(_head(), tmp_path)
    (tmp_path / "head.json").write_text('{"dim": 16, "hidden": [32, 24, 9]}')
    with pytest.raises(ValueError, match="do not fit"):
        load_head(tmp_path)


def test_energies_in_batches_match_one_call_and_keep_mode():
    head = _head()
    head.train()
    zs, zg = torch.randn(50, 16), torch.randn(50, 16)
    batched = energies_in_batches(head, zs, zg, batch_size=7)
    assert head.training
    head.eval()
    assert torch.allclose(batched, head(zs, zg), atol=1e-6)
    assert math.isfinite(batched.sum().item())
