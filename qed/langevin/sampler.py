"""Langevin dynamics in a continuous space: move points down an energy by clamped gradient steps.

Owns the sampler (``langevin``), its settings (``LangevinConfig``), what it returns
(``LangevinResult``) and where chains start (``Prior``). One step, for every active chain::

    x <- x - step_size * clamp(dE/dx, -grad_clamp, grad_clamp) + noise * N(0, I)
    x <- clip(x, low, high)                      (when the space has a range)

``differentiable_last`` makes the last step a function of the energy's parameters (the
gradient is taken with ``create_graph=True``) while every earlier step is detached: the
truncated backpropagation Energy-Based Transformers (EBT) train with. With ``patience > 0``
a chain stops as soon as its energy improved by less than ``tol`` over its last
``patience`` steps (after ``min_steps``), so the compute a point gets follows how hard it
is to settle; ``LangevinResult.steps`` says how many steps each chain took.

Knows nothing about what the points mean (pixels, embeddings, 2-D toys) nor about models:
the energy is any callable from ``[B, ...]`` points to ``[B]`` energies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

EnergyFn = Callable[[torch.Tensor], torch.Tensor]
"""Points ``[B, ...]`` -> energies ``[B]`` (lower = more likely)."""


@dataclass(frozen=True)
class LangevinConfig:
    """Sampler settings. Defaults are the image prototype's (pixels in [0, 1])."""

    steps: int = 50
    step_size: float = 10.0
    grad_clamp: float | None = 0.03
    noise: float = 0.005
    low: float | None = 0.0
    high: float | None = 1.0
    patience: int = 0
    tol: float = 0.0
    min_steps: int = 1

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if not self.step_size > 0:
            raise ValueError(f"step_size must be positive, got {self.step_size}")
        if self.grad_clamp is not None and not self.grad_clamp > 0:
            raise ValueError(f"grad_clamp must be positive or None, got {self.grad_clamp}")
        if self.noise < 0:
            raise ValueError(f"noise must be >= 0, got {self.noise}")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"need low < high, got {self.low} and {self.high}")
        if self.patience < 0 or self.min_steps < 1:
            raise ValueError("need patience >= 0 and min_steps >= 1")


@dataclass(frozen=True)
class LangevinResult:
    """Final points, their energies before the last move was scored, and the work done.

    ``energy[b]`` is the energy of chain ``b`` at its last scored point (the point its final
    step started from); ``steps[b]`` the number of steps it took; ``trace[t]`` the mean
    energy over the chains still moving at step ``t``.
    """

    x: torch.Tensor
    energy: torch.Tensor
    steps: torch.Tensor
    trace: tuple[float, ...]


@dataclass(frozen=True)
class Prior:
    """Where chains start: ``uniform`` on [low, high] or ``normal`` around ``mean`` with std ``scale``."""

    kind: str = "uniform"
    low: float = 0.0
    high: float = 1.0
    scale: float = 1.0
    mean: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("uniform", "normal"):
            raise ValueError(f"prior kind must be uniform or normal, got {self.kind!r}")

    def sample(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> torch.Tensor:
        if self.kind == "uniform":
            u = torch.rand(shape, generator=generator)
            return self.low + (self.high - self.low) * u
        return self.mean + self.scale * torch.randn(shape, generator=generator)


def _energy_and_grad(
    fn: EnergyFn, x: torch.Tensor, *, create_graph: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.enable_grad():
        x = x if create_graph else x.detach()
        x.requires_grad_(True)
        e = fn(x)
        if e.shape != x.shape[:1]:
            raise ValueError(f"the energy returned shape {tuple(e.shape)} for {x.shape[0]} points")
        (g,) = torch.autograd.grad(e.sum(), x, create_graph=create_graph)
    return e, g


def _move(x: torch.Tensor, g: torch.Tensor, cfg: LangevinConfig, generator: torch.Generator | None):
    if cfg.grad_clamp is not None:
        g = g.clamp(-cfg.grad_clamp, cfg.grad_clamp)
    x = x - cfg.step_size * g
    if cfg.noise > 0:
        x = x + cfg.noise * torch.randn(x.shape, generator=generator).to(x.device)
    if cfg.low is not None or cfg.high is not None:
        x = x.clamp(cfg.low, cfg.high)
    return x


def langevin(
    energy: EnergyFn,
    x0: torch.Tensor,
    config: LangevinConfig = LangevinConfig(),
    *,
    differentiable_last: bool = False,
    generator: torch.Generator | None = None,
) -> LangevinResult:
    """Run ``config.steps`` Langevin steps from ``x0`` (see the module docstring).

    Without ``differentiable_last`` the result is detached from everything. With it, the
    result's ``x`` depends on the energy's parameters through the last step only (all
    chains take every step: early stopping does not apply).
    """
    cfg = config
    n = x0.shape[0]
    x = x0.detach().clone()
    steps = torch.zeros(n, dtype=torch.long)
    last_e = torch.full((n,), float("nan"))
    history: list[torch.Tensor] = []
    active = torch.ones(n, dtype=torch.bool)
    trace: list[float] = []
    adaptive = cfg.patience > 0 and not differentiable_last
    body = cfg.steps - 1 if differentiable_last else cfg.steps
    for t in range(body):
        e, g = _energy_and_grad(energy, x, create_graph=False)
        e = e.detach()
        trace.append(float(e[active].mean()))
        last_e = torch.where(active, e, last_e)
        moved = _move(x, g.detach(), cfg, generator).detach()
        mask = active.view(-1, *([1] * (x.dim() - 1)))
        x = torch.where(mask, moved, x)
        steps += active.long()
        if adaptive:
            history.append(torch.where(active, e, last_e))
            if t + 1 >= max(cfg.min_steps, cfg.patience + 1):
                gain = history[-1 - cfg.patience] - history[-1]
                active = active & (gain >= cfg.tol)
                if not bool(active.any()):
                    break
    if differentiable_last:
        e, g = _energy_and_grad(energy, x, create_graph=True)
        trace.append(float(e.detach().mean()))
        last_e = e.detach()
        x = _move(x, g, cfg, generator)
        steps += 1
    return LangevinResult(x, last_e, steps, tuple(trace))
