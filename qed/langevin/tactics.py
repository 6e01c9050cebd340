"""Train and measure the (state, tactic) energy of the language track; save and load it.

Owns: ``TacticTraining`` (the method and its constants), ``train_tactic_energy`` (pairs ->
a trained ``PairEnergy`` via the same trainers the image prototype uses: the tactic
embedding is the point, the state embedding the condition), ``proposal_metrics`` (how
often the Langevin proposer's candidates contain the tactic a proof used), and the run
directory (network + ``library.json`` naming the encoder settings and the tactics).
Knows nothing about Lean, the sandbox or search: pairs are ``(state text, tactic)``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from qed.core import Encoder, Query, Theorem
from qed.langevin.ired import IredTrainer, geometric_sigmas
from qed.langevin.models import EnergyConfig, build_energy, load_energy, save_energy
from qed.langevin.proposer import LangevinProposer, TacticLibrary, pair_tensors
from qed.langevin.sampler import LangevinConfig, Prior
from qed.langevin.trainers import CdTrainer, EbtTrainer, fit

LIBRARY = "library.json"


@dataclass(frozen=True)
class TacticTraining:
    method: str = "cd"
    width: int = 256
    steps: int = 400
    batch_size: int = 64
    lr: float = 1e-3
    langevin_steps: int = 20
    step_size: float = 0.5
    noise: float = 0.01
    reg: float = 0.1
    ired_levels: int = 8
    ired_sigma_min: float = 0.05
    ired_sigma_max: float = 2.0
    seed: int = 0


def tactic_trainer(t: TacticTraining):
    """(trainer, noise levels) for embedding-space points (no range, normal prior)."""
    sampler = LangevinConfig(
        steps=t.langevin_steps, step_size=t.step_size, grad_clamp=None, noise=t.noise, low=None, high=None
    )
    match t.method:
        case "ebt":
            return EbtTrainer(sampler, Prior("normal")), 1
        case "cd":
            return CdTrainer(sampler, Prior("normal"), reg=t.reg), 1
        case "ired":
            sigmas = geometric_sigmas(t.ired_sigma_min, t.ired_sigma_max, t.ired_levels)
            return IredTrainer(sigmas, center=0.0, low=None, high=None), t.ired_levels
        case other:
            raise ValueError(f"unknown tactic energy method '{other}': expected ebt, cd or ired")


def train_tactic_energy(
    pairs: Sequence[tuple[str, str]],
    encoder: Encoder,
    dim: int,
    t: TacticTraining,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> torch.nn.Module:
    """A ``PairEnergy`` trained on ``(state, tactic)`` pairs with method ``t.method``."""
    if not pairs:
        raise ValueError("no training pairs")
    torch.manual_seed(t.seed)
    trainer, levels = tactic_trainer(t)
    model = build_energy(EnergyConfig("pair", dim, levels=levels, width=t.width))
    z_tactic, z_state = pair_tensors(encoder, pairs)
    fit(
        model,
        trainer,
        z_tactic,
        z_state,
        steps=t.steps,
        batch_size=t.batch_size,
        lr=t.lr,
        seed=t.seed,
        on_step=on_step,
    )
    return model.eval()


def proposal_metrics(proposer: LangevinProposer, pairs: Sequence[tuple[str, str]], n: int) -> dict:
    """On held-out pairs: how often the traced tactic is in the library, among the proposer's
    ``n`` candidates, its first candidate, and the library's lowest-energy tactic."""
    if not pairs:
        return {"pairs": 0}
    queries = [Query(Theorem("held-out", ""), s) for s, _ in pairs]
    proposals = proposer.propose_detailed(queries, n)
    _, z_state = pair_tensors(proposer.encoder, pairs)
    best = proposer.library_energies(z_state).argmin(dim=1)
    lib = proposer.library.tactics
    k = len(pairs)
    offered = [[c.tactic for c in p.candidates] for p in proposals]
    return {
        "pairs": k,
        "in_library": sum(t in lib for _, t in pairs) / k,
        f"hit_at_{n}": sum(t in o for (_, t), o in zip(pairs, offered, strict=True)) / k,
        "top1": sum(o[:1] == [t] for (_, t), o in zip(pairs, offered, strict=True)) / k,
        "energy_argmin_top1": sum(lib[int(b)] == t for (_, t), b in zip(pairs, best, strict=True)) / k,
        "mean_candidates": sum(len(p.candidates) for p in proposals) / k,
        "mean_langevin_steps": sum(p.steps for p in proposals) / k,
    }


def save_tactic_run(
    directory: str | Path, model: torch.nn.Module, library: TacticLibrary, encoder: dict
) -> Path:
    """Write the network and ``library.json`` (tactics + encoder settings)."""
    directory = Path(directory)
    save_energy(model, directory, {"encoder": encoder})
    tmp = directory / (LIBRARY + ".tmp")
    tmp.write_text(
        json.dumps({"encoder": encoder, "tactics": list(library.tactics)}, indent=2) + "\n", encoding="utf-8"
    )
    os.replace(tmp, directory / LIBRARY)
    return directory


def load_tactic_run(directory: str | Path) -> tuple[torch.nn.Module, dict, list[str]]:
    """(network, encoder settings, tactics) saved by ``save_tactic_run``."""
    directory = Path(directory)
    if not (directory / LIBRARY).exists():
        raise FileNotFoundError(f"{directory / LIBRARY}: missing; train one with `qed langevin tactics`")
    model, _ = load_energy(directory)
    meta = json.loads((directory / LIBRARY).read_text(encoding="utf-8"))
    return model, meta["encoder"], list(meta["tactics"])
