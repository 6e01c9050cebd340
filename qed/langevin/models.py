"""Energy networks the Langevin trainers fit: E(x, condition, level) -> one scalar per row.

Owns three small architectures with one calling convention, ``model(x, cond, level)``:

- ``ImageEnergy``: a small CNN over ``[B, 1, H, W]`` images in [0, 1], conditioned on a
  class label (the image prototype: digits, MNIST);
- ``PointEnergy``: an MLP over ``[B, d]`` points, optionally conditioned on a label (2-D
  toy problems such as a Gaussian mixture);
- ``PairEnergy``: an MLP over ``[B, d]`` tactic embeddings conditioned on ``[B, d]`` state
  embeddings (the language track: energy of (state, tactic) pairs).

``cond`` is a ``long`` label tensor ``[B]`` (or None for an unconditional ``PointEnergy``) or
a float embedding ``[B, d]`` for ``PairEnergy``; ``level`` is a ``long`` tensor ``[B]`` of
noise-level indices (IRED) or None (level 0). Every layer is smooth (SiLU) so energy
gradients, which the samplers follow, are well defined. Also owns safetensors + JSON
persistence of any of them. Knows nothing about training or sampling.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

WEIGHTS = "energy.safetensors"
CONFIG = "energy.json"


@dataclass(frozen=True)
class EnergyConfig:
    """Shape of an energy network. ``kind``: image | point | pair.

    ``dim``: point/embedding width (image: channels, 1); ``classes``: label count (0 =
    unconditional; unused by ``pair``); ``levels``: noise levels the network is told about
    (1 = none); ``width``: hidden width.
    """

    kind: str
    dim: int
    classes: int = 0
    levels: int = 1
    width: int = 128

    def __post_init__(self) -> None:
        if self.kind not in ("image", "point", "pair"):
            raise ValueError(f"unknown energy kind {self.kind!r}: expected image, point or pair")
        if self.dim < 1 or self.classes < 0 or self.levels < 1 or self.width < 1:
            raise ValueError(f"bad energy shape {self}")


def _level(level: torch.Tensor | None, n: int, device) -> torch.Tensor:
    return torch.zeros(n, dtype=torch.long, device=device) if level is None else level


class ImageEnergy(nn.Module):
    """Class-conditional CNN energy of ``[B, 1, H, W]`` images (any H, W >= 4)."""

    def __init__(self, config: EnergyConfig):
        super().__init__()
        self.config = config
        c = config.width // 2
        self.features = nn.Sequential(
            nn.Conv2d(config.dim, c, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(c, c, 3, padding=1, stride=2),
            nn.SiLU(),
            nn.Conv2d(c, config.width, 3, padding=1, stride=2),
            nn.SiLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
        )
        self.label = nn.Embedding(max(config.classes, 1), 4 * config.width)
        self.level = nn.Embedding(config.levels, 4 * config.width)
        self.head = nn.Sequential(
            nn.SiLU(), nn.Linear(4 * config.width, config.width), nn.SiLU(), nn.Linear(config.width, 1)
        )

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None, level: torch.Tensor | None = None):
        h = self.features(x)
        labels = torch.zeros(x.shape[0], dtype=torch.long, device=x.device) if cond is None else cond
        h = h + self.label(labels) + self.level(_level(level, x.shape[0], x.device))
        return self.head(h).squeeze(-1)


class PointEnergy(nn.Module):
    """MLP energy of ``[B, d]`` points, label- and level-conditioned by added embeddings."""

    def __init__(self, config: EnergyConfig):
        super().__init__()
        self.config = config
        w = config.width
        self.inp = nn.Linear(config.dim, w)
        self.label = nn.Embedding(max(config.classes, 1), w)
        self.level = nn.Embedding(config.levels, w)
        self.body = nn.Sequential(
            nn.SiLU(), nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w), nn.SiLU(), nn.Linear(w, 1)
        )

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None, level: torch.Tensor | None = None):
        h = self.inp(x) + self.level(_level(level, x.shape[0], x.device))
        if cond is not None:
            h = h + self.label(cond)
        return self.body(h).squeeze(-1)


class PairEnergy(nn.Module):
    """Energy of tactic embeddings ``x`` given state embeddings ``cond`` (both ``[B, d]``).

    Input features ``[x ; cond ; x * cond]`` (the interaction term lets a small network tell
    which tactic suits which state), then an MLP.
    """

    def __init__(self, config: EnergyConfig):
        super().__init__()
        self.config = config
        w = config.width
        self.inp = nn.Linear(3 * config.dim, w)
        self.level = nn.Embedding(config.levels, w)
        self.body = nn.Sequential(nn.SiLU(), nn.Linear(w, w), nn.SiLU(), nn.Linear(w, 1))

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None, level: torch.Tensor | None = None):
        if cond is None or cond.shape != x.shape:
            raise ValueError("PairEnergy needs state embeddings of the tactic embeddings' shape")
        h = self.inp(torch.cat([x, cond, x * cond], dim=-1)) + self.level(_level(level, x.shape[0], x.device))
        return self.body(h).squeeze(-1)


def build_energy(config: EnergyConfig) -> nn.Module:
    match config.kind:
        case "image":
            return ImageEnergy(config)
        case "point":
            return PointEnergy(config)
        case _:
            return PairEnergy(config)


def save_energy(model: nn.Module, directory: str | Path, extra: dict | None = None) -> Path:
    """Write ``energy.safetensors`` and ``energy.json`` (the config plus ``extra``), each atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = directory / (WEIGHTS + ".tmp")
    save_file(state, str(tmp))
    os.replace(tmp, directory / WEIGHTS)
    meta = {"config": asdict(model.config), "extra": extra or {}}
    tmp = directory / (CONFIG + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, directory / CONFIG)
    return directory


def load_energy(directory: str | Path) -> tuple[nn.Module, dict]:
    """The network saved by ``save_energy`` (eval mode) and its ``extra`` dict."""
    directory = Path(directory)
    for name in (CONFIG, WEIGHTS):
        if not (directory / name).exists():
            raise FileNotFoundError(f"{directory / name}: missing (not a saved energy network)")
    meta = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    model = build_energy(EnergyConfig(**meta["config"]))
    model.load_state_dict(load_file(str(directory / WEIGHTS)))
    return model.eval(), meta.get("extra", {})
