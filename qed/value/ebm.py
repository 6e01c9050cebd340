"""The goal-conditioned energy head: E(z_state, z_goal) -> scalar, lower = more provable.

Owns the one EBM architecture every iteration uses (LESSONS: settled decision 7), its
temperature, and its safetensors + JSON persistence. Knows nothing about encoders, data
or training loops: it maps embedding pairs to energies.

Architecture, for embeddings of width d:

    x = [z_state ; z_goal ; z_state * z_goal]                      (3d)
    h = Dropout(SiLU(0.1 * SN(Linear(3d, 2048))))                  first layer, scaled
    h = Dropout(SiLU(SN(Linear(2048, 1024))))
    h = Dropout(SiLU(SN(Linear(1024, 512))))
    E = SN(Linear(512, 1)) / T

SN is spectral normalisation (``torch.nn.utils.parametrizations.spectral_norm``, 5 power
iterations per training forward): every linear map has spectral norm 1, so the head is
Lipschitz and cannot blow energies up. Because SN divides a weight by its largest
singular value, multiplying the stored weight by 0.1 would be undone at the first
forward; the first layer's 0.1 scale (LESSONS pitfall 2) is therefore a fixed buffer on
its output, which makes the effective first-layer map have spectral norm 0.1 from
initialisation on.

Temperature: ``T = floor + (ceiling - floor) * sigmoid(theta)`` with a learnable
``theta``; T is always positive and lies strictly inside (floor, ceiling) = (0.1, 10) by
default. It is the model's only temperature (the loss has none). Healthy training keeps
it in [0.5, 3.0]; ``temperature_status`` reports when it sits at a bound.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from qed.value.settings import HeadConfig

HEALTHY_TEMPERATURE = (0.5, 3.0)
WEIGHTS = "head.safetensors"
CONFIG = "head.json"


class GoalConditionedEnergyHead(nn.Module):
    """Energy of (state, root goal) embedding pairs. See the module docstring."""

    def __init__(self, config: HeadConfig):
        super().__init__()
        self.config = config
        widths = (3 * config.dim, *config.hidden)
        self.hidden = nn.ModuleList(
            spectral_norm(nn.Linear(a, b), n_power_iterations=config.power_iterations)
            for a, b in zip(widths[:-1], widths[1:], strict=True)
        )
        self.out = spectral_norm(nn.Linear(widths[-1], 1), n_power_iterations=config.power_iterations)
        self.act = nn.SiLU()
        self.drop = nn.Dropout(config.dropout)
        self.register_buffer("first_layer_scale", torch.tensor(float(config.first_layer_scale)))
        lo, hi = config.temperature_floor, config.temperature_ceiling
        p = (config.temperature_init - lo) / (hi - lo)
        self.temperature_logit = nn.Parameter(torch.tensor(math.log(p / (1 - p))))

    @property
    def linears(self) -> list[nn.Linear]:
        """Every linear layer, input to output (each spectrally normalised)."""
        return [*self.hidden, self.out]

    def temperature(self) -> torch.Tensor:
        """T in (floor, ceiling), a differentiable scalar tensor."""
        lo, hi = self.config.temperature_floor, self.config.temperature_ceiling
        return lo + (hi - lo) * torch.sigmoid(self.temperature_logit)

    def features(self, z_state: torch.Tensor, z_goal: torch.Tensor) -> list[torch.Tensor]:
        """Pre-activations of each hidden layer (for the active-unit metric)."""
        pre: list[torch.Tensor] = []
        h = self._input(z_state, z_goal)
        for i, layer in enumerate(self.hidden):
            a = layer(h) * self.first_layer_scale if i == 0 else layer(h)
            pre.append(a)
            h = self.drop(self.act(a))
        return pre

    def forward(self, z_state: torch.Tensor, z_goal: torch.Tensor) -> torch.Tensor:
        """Energies, shape ``z_state.shape[:-1]``; inputs ``[..., d]`` of equal shape."""
        h = self.drop(self.act(self.features(z_state, z_goal)[-1]))
        return self.out(h).squeeze(-1) / self.temperature()

    def _input(self, z_state: torch.Tensor, z_goal: torch.Tensor) -> torch.Tensor:
        if z_state.shape != z_goal.shape or z_state.shape[-1] != self.config.dim:
            raise ValueError(
                f"expected two [..., {self.config.dim}] tensors, got "
                f"{tuple(z_state.shape)} and {tuple(z_goal.shape)}"
            )
        return torch.cat([z_state, z_goal, z_state * z_goal], dim=-1)


def temperature_status(t: float, config: HeadConfig) -> str:
    """``floor`` or ``ceiling`` when T sits within ``bound_tolerance`` of the range's width of a
    bound (abort training), ``unhealthy`` outside [0.5, 3.0], else ``ok``."""
    lo, hi = config.temperature_floor, config.temperature_ceiling
    tol = config.bound_tolerance * (hi - lo)
    if t <= lo + tol:
        return "floor"
    if t >= hi - tol:
        return "ceiling"
    if not HEALTHY_TEMPERATURE[0] <= t <= HEALTHY_TEMPERATURE[1]:
        return "unhealthy"
    return "ok"


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def save_head(head: GoalConditionedEnergyHead, directory: str | Path) -> Path:
    """Write ``head.safetensors`` (state dict, spectral-norm vectors included) and ``head.json``.

    Each file is written to a temporary name and renamed, so a crash never leaves a torn file.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}
    tmp = directory / (WEIGHTS + ".tmp")
    save_file(state, str(tmp))
    os.replace(tmp, directory / WEIGHTS)
    tmp = directory / (CONFIG + ".tmp")
    cfg = asdict(head.config)
    cfg["hidden"] = list(cfg["hidden"])
    tmp.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, directory / CONFIG)
    return directory


def load_head(directory: str | Path, *, device: str = "cpu") -> GoalConditionedEnergyHead:
    """The head saved by ``save_head`` in ``directory``, in eval mode.

    Raises ``FileNotFoundError`` naming the missing file and ``ValueError`` for a config or
    weights that do not match the architecture.
    """
    directory = Path(directory)
    for name in (CONFIG, WEIGHTS):
        if not (directory / name).exists():
            raise FileNotFoundError(f"{directory / name}: missing (not a saved energy head)")
    try:
        raw = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
        config = HeadConfig(**raw)
    except (json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"{directory / CONFIG}: not a head config ({exc})") from exc
    head = GoalConditionedEnergyHead(config)
    try:
        head.load_state_dict(load_file(str(directory / WEIGHTS)))
    except RuntimeError as exc:
        raise ValueError(f"{directory / WEIGHTS}: weights do not fit {config}: {exc}") from exc
    return head.to(device).eval()


def energies_in_batches(
    head: GoalConditionedEnergyHead, z_state: torch.Tensor, z_goal: torch.Tensor, batch_size: int = 1024
) -> torch.Tensor:
    """Energies of ``[N, ..., d]`` pairs in eval mode without gradients, ``batch_size`` rows of N at a
    time; the head's train/eval mode is restored afterwards."""
    was_training = head.training
    head.eval()
    try:
        with torch.no_grad():
            parts = [
                head(z_state[i : i + batch_size], z_goal[i : i + batch_size])
                for i in range(0, z_state.shape[0], batch_size)
            ]
    finally:
        head.train(was_training)
    return torch.cat(parts) if parts else torch.zeros(z_state.shape[:-1])
