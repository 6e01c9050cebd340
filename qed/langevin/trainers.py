"""Two of the three ways to train an energy network, behind one interface, and a plain fitting loop.

Owns the ``Trainer`` protocol every method implements, ``EbtTrainer`` (Energy-Based
Transformer style: the Langevin sample itself is the prediction), ``CdTrainer``
(contrastive divergence with short-run Langevin negatives), and ``fit``/``train_step``.
IRED (denoising score supervision, no Langevin base) lives in ``qed.langevin.ired`` and
implements the same protocol.

The interface, for an energy network called as ``model(x, cond, level) -> [B]``:

- ``loss(model, x, cond, generator) -> (loss, metrics)`` on a batch of data points ``x``
  with conditions ``cond`` (labels, embeddings or None);
- ``sample(model, cond, shape, generator) -> LangevinResult``: points the method would
  generate for those conditions (``shape`` is the batch's point shape, batch first).

The losses:

- EBT: ``x0 ~ prior``; ``x_K = Langevin(E(., c), x0)`` with backpropagation through the
  last step only; ``loss = MSE(x_K, x)``.
- CD: ``x_fake = Langevin(E(., c), x0)`` detached; ``loss = mean E(x) - mean E(x_fake)
  + reg * mean(E(x)^2 + E(x_fake)^2)``.

Knows nothing about images, tactics or files: points are tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from qed.langevin.sampler import LangevinConfig, LangevinResult, Prior, langevin


class Trainer(Protocol):
    def loss(
        self, model: nn.Module, x: torch.Tensor, cond: torch.Tensor | None, generator: torch.Generator
    ) -> tuple[torch.Tensor, dict[str, float]]: ...

    def sample(
        self,
        model: nn.Module,
        cond: torch.Tensor | None,
        shape: tuple[int, ...],
        generator: torch.Generator | None = None,
    ) -> LangevinResult: ...


def energy_of(model: nn.Module, cond: torch.Tensor | None, level: torch.Tensor | None = None):
    """``x -> model(x, cond, level)``: the energy a sampler follows for fixed conditions."""
    return lambda x: model(x, cond, level)


@dataclass(frozen=True)
class EbtTrainer:
    """Energy-Based-Transformer training: MSE between the Langevin sample and the data."""

    langevin: LangevinConfig = field(default_factory=LangevinConfig)
    prior: Prior = field(default_factory=Prior)

    def loss(self, model, x, cond, generator):
        x0 = self.prior.sample(tuple(x.shape), generator).to(x.device)
        r = langevin(energy_of(model, cond), x0, self.langevin, differentiable_last=True, generator=generator)
        loss = F.mse_loss(r.x, x)
        return loss, {
            "loss": float(loss.detach()),
            "mse": float(loss.detach()),
            "energy_sample": float(r.energy.mean()),
        }

    def sample(self, model, cond, shape, generator=None):
        x0 = self.prior.sample(tuple(shape), generator)
        return langevin(energy_of(model, cond), x0, self.langevin, generator=generator)


@dataclass(frozen=True)
class CdTrainer:
    """Contrastive divergence: push data energies down, short-run Langevin samples' up."""

    langevin: LangevinConfig = field(default_factory=LangevinConfig)
    prior: Prior = field(default_factory=Prior)
    reg: float = 1.0

    def loss(self, model, x, cond, generator):
        fake = self.sample(model, cond, tuple(x.shape), generator).x.detach()
        e_real = model(x, cond, None)
        e_fake = model(fake, cond, None)
        loss = e_real.mean() - e_fake.mean() + self.reg * (e_real**2 + e_fake**2).mean()
        with torch.no_grad():
            mse = F.mse_loss(fake, x)
        return loss, {
            "loss": float(loss.detach()),
            "energy_real": float(e_real.detach().mean()),
            "energy_fake": float(e_fake.detach().mean()),
            "mse": float(mse),
        }

    def sample(self, model, cond, shape, generator=None):
        x0 = self.prior.sample(tuple(shape), generator)
        return langevin(energy_of(model, cond), x0, self.langevin, generator=generator)


def train_step(
    model: nn.Module,
    trainer: Trainer,
    optimizer: torch.optim.Optimizer,
    x: torch.Tensor,
    cond: torch.Tensor | None,
    generator: torch.Generator,
    *,
    clip: float = 1.0,
) -> dict[str, float]:
    """One optimiser step on one batch; returns the trainer's metrics."""
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss, metrics = trainer.loss(model, x, cond, generator)
    if not torch.isfinite(loss):
        raise FloatingPointError(f"non-finite loss {float(loss.detach())}")
    loss.backward()
    if clip > 0:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return metrics


def fit(
    model: nn.Module,
    trainer: Trainer,
    x: torch.Tensor,
    cond: torch.Tensor | None,
    *,
    steps: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> list[dict[str, float]]:
    """Train for ``steps`` random minibatches of ``(x, cond)`` with Adam; the metrics per step."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for step in range(steps):
        idx = torch.randint(0, x.shape[0], (min(batch_size, x.shape[0]),), generator=gen)
        metrics = train_step(model, trainer, opt, x[idx], None if cond is None else cond[idx], gen)
        history.append(metrics)
        if on_step is not None:
            on_step(step, metrics)
    model.eval()
    return history
