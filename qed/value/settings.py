"""The energy head's shape and constants: THE EBM architecture (LESSONS: one for every iteration).

``ebm.head.*`` in the config is built from ``HeadConfig`` (all fields but ``dim``, which is the
encoder's width). Pure data: importing this module does not load torch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HeadConfig:
    """Shape and constants of the head. ``dim`` is the embedding width d (input is 3d)."""

    dim: int
    hidden: tuple[int, ...] = (2048, 1024, 512)
    dropout: float = 0.15
    power_iterations: int = 5
    first_layer_scale: float = 0.1
    temperature_init: float = 1.0
    temperature_floor: float = 0.1
    temperature_ceiling: float = 10.0
    bound_tolerance: float = 0.02

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.dim < 1 or not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"bad head shape: dim={self.dim}, hidden={self.hidden}")
        if not 0 < self.temperature_floor < self.temperature_init < self.temperature_ceiling:
            raise ValueError("need 0 < temperature_floor < temperature_init < temperature_ceiling")
