"""Contrastive losses over energy groups: InfoNCE (the default) and margin ranking.

Owns the loss formulas and the group layout they expect: ``energies`` of shape
``[B, 1 + K]``, column 0 the positive, columns 1..K its negatives, lower = more provable.
Knows nothing about heads, encoders or data.

InfoNCE has NO temperature of its own (LESSONS pitfall 1): the energy head divides by its
learnable temperature, and a second temperature here would make the two trade off against
each other (only their product is identified), letting the head's temperature drift to a
bound while the loss looks fine.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _check(energies: torch.Tensor) -> None:
    if energies.dim() != 2 or energies.shape[1] < 2:
        raise ValueError(f"energies must be [B, 1 + K] with K >= 1, got {tuple(energies.shape)}")


def info_nce(energies: torch.Tensor) -> torch.Tensor:
    """Mean over groups of ``-log softmax(-E)[positive]`` (positive in column 0)."""
    _check(energies)
    target = torch.zeros(energies.shape[0], dtype=torch.long, device=energies.device)
    return F.cross_entropy(-energies, target)


def margin_ranking(energies: torch.Tensor, margin: float = 1.0) -> torch.Tensor:
    """Mean over groups and negatives of ``max(0, margin + E_pos - E_neg)``."""
    _check(energies)
    return F.relu(margin + energies[:, :1] - energies[:, 1:]).mean()


def rank1(energies: torch.Tensor) -> torch.Tensor:
    """Per group: 1.0 when the positive's energy is strictly below every negative's, else 0.0.

    Ties count as failures, so a collapsed head (all energies equal) scores 0, not 1.
    """
    _check(energies)
    return (energies[:, 0] < energies[:, 1:].min(dim=1).values).float()


def contrastive_loss(energies: torch.Tensor, kind: str = "info_nce", margin: float = 1.0) -> torch.Tensor:
    """``info_nce`` or ``margin`` (ranking) loss; ``ValueError`` for another ``kind``."""
    match kind:
        case "info_nce":
            return info_nce(energies)
        case "margin":
            return margin_ranking(energies, margin)
        case other:
            raise ValueError(f"unknown loss '{other}': expected info_nce or margin")
