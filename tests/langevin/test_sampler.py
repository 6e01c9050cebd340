"""The Langevin sampler: step, clamp, noise, range, early stopping and the differentiable last step."""

from __future__ import annotations

import pytest
import torch

from qed.langevin.sampler import LangevinConfig, Prior, langevin


def quadratic(center: torch.Tensor):
    return lambda x: ((x - center) ** 2).sum(dim=1)


def plain(**kw) -> LangevinConfig:
    base = {"steps": 1, "step_size": 0.1, "grad_clamp": None, "noise": 0.0, "low": None, "high": None}
    return LangevinConfig(**{**base, **kw})


def test_one_step_is_a_gradient_step():
    x0 = torch.tensor([[1.0, -2.0]])
    r = langevin(quadratic(torch.zeros(2)), x0, plain(step_size=0.1))
    # dE/dx = 2x, so x - 0.1 * 2x = 0.8x
    assert torch.allclose(r.x, 0.8 * x0)
    assert r.steps.tolist() == [1] and r.energy.item() == pytest.approx(5.0)


def test_gradient_clamp_bounds_each_coordinate_move():
    x0 = torch.tensor([[100.0, 0.01]])
    r = langevin(quadratic(torch.zeros(2)), x0, plain(step_size=10.0, grad_clamp=0.03))
    # the large gradient is clamped to 0.03 (move 0.3); the small one (0.02) is not
    assert torch.allclose(r.x, torch.tensor([[100.0 - 0.3, 0.01 - 10.0 * 0.02]]))


def test_range_is_enforced_and_defaults_match_the_image_prototype():
    cfg = LangevinConfig()
    assert (cfg.steps, cfg.step_size, cfg.grad_clamp) == (50, 10.0, 0.03)
    r = langevin(quadratic(torch.full((4,), 5.0)), torch.zeros(3, 4), cfg)
    assert float(r.x.max()) <= 1.0 and float(r.x.min()) >= 0.0
    assert torch.allclose(r.x, torch.ones(3, 4), atol=0.02)  # pushed to the upper bound


def test_noise_has_the_configured_scale_and_is_seeded():
    flat = lambda x: x.sum(dim=1) * 0.0  # noqa: E731 - zero gradient: pure noise
    cfg = plain(steps=4, noise=0.5)
    a = langevin(flat, torch.zeros(20000, 1), cfg, generator=torch.Generator().manual_seed(3))
    b = langevin(flat, torch.zeros(20000, 1), cfg, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a.x, b.x)
    assert float(a.x.std()) == pytest.approx(0.5 * 2.0, rel=0.05)  # sqrt(4 steps) * 0.5


def test_many_steps_reach_the_minimum():
    r = langevin(quadratic(torch.tensor([0.3, -0.7])), torch.randn(16, 2), plain(steps=60))
    assert torch.allclose(r.x, torch.tensor([0.3, -0.7]).expand(16, 2), atol=1e-4)
    assert r.trace[0] > r.trace[-1]


def test_early_stopping_gives_hard_points_more_steps():
    # energy |x|^2 clamped moves: far points need many steps to settle, near ones few
    x0 = torch.tensor([[0.05], [3.0]])
    cfg = plain(steps=200, step_size=1.0, grad_clamp=0.05, patience=3, tol=1e-3)
    r = langevin(quadratic(torch.zeros(1)), x0, cfg)
    near, far = r.steps.tolist()
    assert near < far < 200
    assert abs(float(r.x[1])) < 0.2


def test_differentiable_last_step_carries_gradients_to_the_energy_only_through_it():
    w = torch.tensor(2.0, requires_grad=True)
    energy = lambda x: (w * x**2).sum(dim=1)  # noqa: E731
    r = langevin(energy, torch.ones(1, 1), plain(steps=3, step_size=0.1), differentiable_last=True)
    # steps 1-2 detached: x2 = (1 - 0.4)^2 = 0.36; last step x3 = x2 - 0.1 * 2 w x2
    assert float(r.x.detach()) == pytest.approx(0.36 * 0.6)
    (g,) = torch.autograd.grad(r.x.sum(), w)
    assert float(g) == pytest.approx(-0.2 * 0.36)
    detached = langevin(energy, torch.ones(1, 1), plain(steps=3, step_size=0.1))
    assert not detached.x.requires_grad


def test_prior_and_config_validation():
    u = Prior().sample((1000, 2), torch.Generator().manual_seed(0))
    assert 0.0 <= float(u.min()) and float(u.max()) <= 1.0
    n = Prior("normal", scale=2.0, mean=1.0).sample((20000,), torch.Generator().manual_seed(0))
    assert float(n.mean()) == pytest.approx(1.0, abs=0.05) and float(n.std()) == pytest.approx(2.0, rel=0.05)
    with pytest.raises(ValueError):
        LangevinConfig(steps=0)
    with pytest.raises(ValueError):
        LangevinConfig(grad_clamp=-1.0)
    with pytest.raises(ValueError):
        Prior("laplace")
