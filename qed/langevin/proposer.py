"""The language track: tactics proposed by Langevin dynamics over a (state, tactic) energy.

Owns ``TacticLibrary`` (the tactics decoding can reach, with their embeddings),
``pair_tensors`` (training pairs as embedding tensors), ``LangevinProposer`` (a
``qed.core.Policy``) and ``MinEnergyValue`` (a ``qed.core.ValueFn``: a state is as good as
its best tactic). Both read one energy network ``E(z_tactic, z_state)`` (``PairEnergy``).

Proposing for a state ``s``: ``chains`` points start at the embeddings of library tactics
drawn at random (plus ``init_noise``), move down ``E(., z_s)`` by Langevin steps (stopping
each chain when its energy stops improving: ``patience``/``tol``), and each end point is
decoded to its ``decode_k`` nearest library tactics (cosine). The distinct decoded tactics
are ranked by their own energy ``E(z_t, z_s)``; a candidate's log-probability is its
log-probability under ``softmax(-E / temperature)`` over the whole library, a stated
distribution. The chains' starts depend only on ``(seed, state text)`` and the chains move
without noise (``langevin.noise`` = 0 by default; noise would be shared across a batch), so
proposals do not depend on batching. ``propose_detailed`` also reports the Langevin steps each query took.

Knows nothing about Lean, environments, search or where the pairs came from: it takes texts,
an ``Encoder`` and a trained network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from qed.core import Candidate, Encoder, Query, ValueQuery
from qed.langevin.sampler import LangevinConfig, langevin


@dataclass(frozen=True)
class TacticLibrary:
    """Distinct tactics (first-seen order) and their embeddings ``[T, d]``."""

    tactics: tuple[str, ...]
    embeddings: torch.Tensor

    @classmethod
    def build(cls, tactics: Sequence[str], encoder: Encoder) -> TacticLibrary:
        unique = tuple(dict.fromkeys(t.strip() for t in tactics if t.strip()))
        if not unique:
            raise ValueError("a tactic library needs at least one tactic")
        return cls(unique, _tensor(encoder.encode(list(unique))))

    def __len__(self) -> int:
        return len(self.tactics)

    def nearest(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Indices ``[B, k]`` of the library tactics most cosine-similar to each row of ``x``."""
        lib = torch.nn.functional.normalize(self.embeddings, dim=-1)
        q = torch.nn.functional.normalize(x, dim=-1)
        return (q @ lib.T).topk(min(k, len(self)), dim=-1).indices


def _tensor(rows) -> torch.Tensor:
    return torch.as_tensor(np.asarray(rows, dtype=np.float32))


def pair_tensors(encoder: Encoder, pairs: Sequence[tuple[str, str]]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(z_tactic, z_state)`` ``[N, d]`` for ``(state text, tactic)`` pairs, texts encoded once."""
    states = list(dict.fromkeys(s for s, _ in pairs))
    tactics = list(dict.fromkeys(t for _, t in pairs))
    zs, zt = _tensor(encoder.encode(states)), _tensor(encoder.encode(tactics))
    si = {s: i for i, s in enumerate(states)}
    ti = {t: i for i, t in enumerate(tactics)}
    return zt[[ti[t] for _, t in pairs]], zs[[si[s] for s, _ in pairs]]


@dataclass(frozen=True)
class ProposerConfig:
    """How a ``LangevinProposer`` samples and ranks (see the module docstring)."""

    chains: int = 16
    decode_k: int = 2
    init_noise: float = 0.5
    temperature: float = 1.0
    seed: int = 0
    langevin: LangevinConfig = field(
        default_factory=lambda: LangevinConfig(
            steps=100, step_size=0.5, grad_clamp=None, noise=0.0, low=None, high=None, patience=5, tol=1e-3
        )
    )


@dataclass(frozen=True)
class Proposal:
    """One query's candidates and the mean number of Langevin steps its chains took."""

    candidates: list[Candidate]
    steps: float
    energy_drop: float


class LangevinProposer:
    """``qed.core.Policy``: Langevin sampling in tactic-embedding space, decoded to a library."""

    def __init__(
        self,
        model: torch.nn.Module,
        encoder: Encoder,
        library: TacticLibrary,
        config: ProposerConfig = ProposerConfig(),
    ):
        self.model = model.eval()
        self.encoder = encoder
        self.library = library
        self.config = config

    def _generator(self, state: str) -> torch.Generator:
        key = hashlib.sha256(f"{self.config.seed}\x00{state}".encode()).digest()
        return torch.Generator().manual_seed(int.from_bytes(key[:8], "big") >> 1)

    def library_energies(self, z_state: torch.Tensor) -> torch.Tensor:
        """``[B, T]`` energies of every library tactic for each state embedding ``[B, d]``."""
        b, t = z_state.shape[0], len(self.library)
        with torch.no_grad():
            lib = self.library.embeddings.unsqueeze(0).expand(b, t, -1).reshape(b * t, -1)
            cond = z_state.unsqueeze(1).expand(b, t, -1).reshape(b * t, -1)
            return self.model(lib, cond, None).view(b, t)

    def propose_detailed(self, queries: Sequence[Query], n: int) -> list[Proposal]:
        if not queries:
            return []
        cfg = self.config
        z_state = _tensor(self.encoder.encode([q.state for q in queries]))
        starts = []
        for q in queries:
            g = self._generator(q.state)
            pick = torch.randint(0, len(self.library), (cfg.chains,), generator=g)
            noise = cfg.init_noise * torch.randn((cfg.chains, z_state.shape[1]), generator=g)
            starts.append(self.library.embeddings[pick] + noise)
        x0 = torch.cat(starts)
        cond = z_state.repeat_interleave(cfg.chains, dim=0)
        run = langevin(lambda x: self.model(x, cond, None), x0, cfg.langevin)
        with torch.no_grad():
            e0 = self.model(x0, cond, None)
        decoded = self.library.nearest(run.x, cfg.decode_k).view(len(queries), -1)
        energies = self.library_energies(z_state)
        logp = torch.log_softmax(-energies / cfg.temperature, dim=-1)
        out = []
        for i in range(len(queries)):
            ids = list(dict.fromkeys(int(j) for j in decoded[i]))
            ids.sort(key=lambda j: float(energies[i, j]))
            cands = [
                Candidate(self.library.tactics[j], float(logp[i, j]), len(self.library.tactics[j].split()))
                for j in ids[:n]
            ]
            chain = slice(i * cfg.chains, (i + 1) * cfg.chains)
            steps = float(run.steps[chain].float().mean())
            drop = float((e0[chain] - run.energy[chain]).mean())
            out.append(Proposal(cands, steps, drop))
        return out

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        return [p.candidates for p in self.propose_detailed(queries, n)]


class MinEnergyValue:
    """``qed.core.ValueFn``: a state's energy is its best library tactic's, ``min_t E(z_t, z_s)``."""

    def __init__(self, proposer: LangevinProposer):
        self.proposer = proposer

    def score(self, queries: Sequence[ValueQuery]) -> list[float]:
        if not queries:
            return []
        z = _tensor(self.proposer.encoder.encode([q.state for q in queries]))
        return [float(e) for e in self.proposer.library_energies(z).min(dim=1).values]
