"""IRED-style training: supervise the energy's gradient as a denoiser at several noise levels.

Owns ``IredTrainer`` (the ``qed.langevin.trainers.Trainer`` protocol) and its annealed
sampler. There is no Langevin chain in training: at a random noise level ``k`` with std
``sigma_k`` a data point is corrupted, ``x~ = x + sigma_k * eps``, and the network, told
the level, is trained so that its energy gradient predicts the noise::

    loss = MSE(dE(x~, c, k)/dx~, eps) + contrast * softplus(E(x~, c, k) - E(x-, c, k))

The second term shapes the energy values themselves (the score term fixes them only up to a
constant): ``x- = x~ + sigma_neg_k * eps'`` is a point further from the data at the same
level and must have the higher energy. Level 0 has the smallest noise; energies at level 0
are the ones used to compare points (classification by energy).

Sampling anneals from ``sigma_max`` down: at each level a few energy-descent refinements
(a step is kept only where it lowers the energy), then a denoise-and-renoise move to the
next level, ``x <- x - (sigma_k - sigma_{k-1}) * dE/dx`` (a deterministic variance-exploding
sampler: ``x - sigma_k * dE/dx`` estimates the clean point). Knows nothing about what the
points mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from qed.langevin.sampler import LangevinResult


def geometric_sigmas(sigma_min: float, sigma_max: float, levels: int) -> tuple[float, ...]:
    """``levels`` noise stds from ``sigma_min`` (level 0) to ``sigma_max``, evenly spaced in log."""
    if not 0 < sigma_min <= sigma_max or levels < 1:
        raise ValueError(f"need 0 < sigma_min <= sigma_max and levels >= 1, got {sigma_min}, {sigma_max}")
    if levels == 1:
        return (sigma_min,)
    r = math.log(sigma_max / sigma_min) / (levels - 1)
    return tuple(sigma_min * math.exp(r * k) for k in range(levels))


def _grad(model, x, cond, level, *, create_graph: bool) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.enable_grad():
        x = x if create_graph else x.detach()
        x.requires_grad_(True)
        e = model(x, cond, level)
        (g,) = torch.autograd.grad(e.sum(), x, create_graph=create_graph)
    return e, g


@dataclass(frozen=True)
class IredTrainer:
    """See the module docstring. ``center`` is where sampling chains start (plus sigma_max noise)."""

    sigmas: tuple[float, ...] = geometric_sigmas(0.02, 1.0, 10)
    contrast: float = 0.5
    neg_scale: float = 1.0
    refine_steps: int = 1
    refine_step: float = 0.5
    center: float = 0.5
    low: float | None = 0.0
    high: float | None = 1.0

    def __post_init__(self) -> None:
        if not self.sigmas or any(not s > 0 for s in self.sigmas):
            raise ValueError("IRED needs at least one positive noise level")
        if list(self.sigmas) != sorted(self.sigmas):
            raise ValueError("IRED noise levels must increase with the level index")

    @property
    def levels(self) -> int:
        return len(self.sigmas)

    def loss(self, model, x, cond, generator):
        n = x.shape[0]
        k = torch.randint(0, self.levels, (n,), generator=generator)
        sig = torch.tensor(self.sigmas, dtype=x.dtype)[k].view(-1, *([1] * (x.dim() - 1))).to(x.device)
        eps = torch.randn(x.shape, generator=generator).to(x.device)
        noisy = x + sig * eps
        level = k.to(x.device)
        e_pos, g = _grad(model, noisy, cond, level, create_graph=True)
        score = F.mse_loss(g, eps)
        extra = torch.randn(x.shape, generator=generator).to(x.device)
        e_neg = model(noisy + self.neg_scale * sig * extra, cond, level)
        contrast = F.softplus(e_pos - e_neg).mean()
        loss = score + self.contrast * contrast
        return loss, {
            "loss": float(loss.detach()),
            "score_mse": float(score.detach()),
            "contrast": float(contrast.detach()),
            "energy_real": float(e_pos.detach().mean()),
        }

    def _clip(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(self.low, self.high) if self.low is not None or self.high is not None else x

    def sample(self, model, cond, shape, generator=None):
        n = shape[0]
        x = self.center + self.sigmas[-1] * torch.randn(tuple(shape), generator=generator)
        trace: list[float] = []
        steps = 0
        e = torch.zeros(n)
        for k in range(self.levels - 1, -1, -1):
            level = torch.full((n,), k, dtype=torch.long)
            sigma, below = self.sigmas[k], (self.sigmas[k - 1] if k > 0 else 0.0)
            for _ in range(self.refine_steps):
                e, g = _grad(model, x, cond, level, create_graph=False)
                proposal = self._clip(x - self.refine_step * sigma * g)
                with torch.no_grad():
                    better = model(proposal, cond, level) < e
                mask = better.view(-1, *([1] * (x.dim() - 1)))
                x = torch.where(mask, proposal, x).detach()
                steps += 1
                trace.append(float(e.detach().mean()))
            e, g = _grad(model, x, cond, level, create_graph=False)
            trace.append(float(e.detach().mean()))
            x = self._clip(x - (sigma - below) * g).detach()
            steps += 1
        return LangevinResult(x, e.detach(), torch.full((n,), steps, dtype=torch.long), tuple(trace))
