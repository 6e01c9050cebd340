"""Each trainer on a problem with a known answer: a 2-D mixture of four Gaussians whose label is
the condition. Trained energies must put conditional samples on their own mode."""

from __future__ import annotations

import pytest
import torch

from qed.langevin.ired import IredTrainer, geometric_sigmas
from qed.langevin.models import EnergyConfig, build_energy
from qed.langevin.sampler import LangevinConfig, Prior
from qed.langevin.trainers import CdTrainer, EbtTrainer, fit

MODES = torch.tensor([[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]])


def mixture(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n,), generator=g)
    return MODES[labels] + 0.15 * torch.randn(n, 2, generator=g), labels


CHAIN = LangevinConfig(steps=15, step_size=0.5, grad_clamp=None, noise=0.01, low=None, high=None)
TRAINERS = {
    "ebt": (
        EbtTrainer(
            LangevinConfig(steps=10, step_size=0.15, grad_clamp=None, noise=0.01, low=None, high=None),
            Prior("normal", scale=2.0),
        ),
        1,
    ),
    "cd": (CdTrainer(CHAIN, Prior("normal", scale=2.0), reg=0.1), 1),
    "ired": (IredTrainer(geometric_sigmas(0.05, 3.0, 8), center=0.0, low=None, high=None), 8),
}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("method", sorted(TRAINERS))
def test_conditional_samples_land_on_their_mode(method):
    torch.manual_seed(0)
    trainer, levels = TRAINERS[method]
    x, labels = mixture(2000)
    model = build_energy(EnergyConfig("point", 2, classes=4, levels=levels, width=32))
    untrained = trainer.sample(model, torch.arange(4).repeat(25), (100, 2), torch.Generator().manual_seed(1))
    history = fit(model, trainer, x, labels, steps=150, batch_size=128, lr=3e-3, seed=0)
    assert all(torch.isfinite(torch.tensor(h["loss"])) for h in history)
    cond = torch.arange(4).repeat(25)
    sample = trainer.sample(model, cond, (100, 2), torch.Generator().manual_seed(1))
    dist = (sample.x - MODES[cond]).norm(dim=1)
    before = (untrained.x - MODES[cond]).norm(dim=1)
    assert float((dist < 0.6).float().mean()) >= 0.85, f"{method}: median distance {float(dist.median()):.3f}"
    assert float(before.median()) > 1.0  # the untrained model does not already do it
    assert sample.steps.min() >= 1


def test_cd_energy_is_lower_on_data_than_off_it():
    torch.manual_seed(0)
    trainer, _ = TRAINERS["cd"]
    x, labels = mixture(2000)
    model = build_energy(EnergyConfig("point", 2, classes=4, width=32))
    fit(model, trainer, x, labels, steps=150, batch_size=128, lr=3e-3, seed=0)
    with torch.no_grad():
        on = model(MODES, torch.arange(4), None)
        wrong = model(MODES, torch.tensor([2, 3, 0, 1]), None)  # each mode under the opposite label
    assert bool((on < wrong).all())


def test_ired_rejects_bad_levels():
    with pytest.raises(ValueError):
        IredTrainer(sigmas=(1.0, 0.5))
    with pytest.raises(ValueError):
        geometric_sigmas(0.0, 1.0, 3)
    assert geometric_sigmas(0.1, 1.0, 3) == pytest.approx((0.1, 0.1**0.5, 1.0))
