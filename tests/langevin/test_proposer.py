"""The Langevin proposer: a Policy that learns which library tactic suits which state."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch

from qed.core import Policy, Query, Theorem, ValueFn, ValueQuery
from qed.langevin.images import energy_accuracy, read_idx, save_grid
from qed.langevin.models import EnergyConfig, build_energy, load_energy, save_energy
from qed.langevin.proposer import LangevinProposer, MinEnergyValue, ProposerConfig, TacticLibrary
from qed.langevin.tactics import TacticTraining, proposal_metrics, train_tactic_energy
from qed.value.hashing_encoder import HashingEncoder

RULES = {"x ≤ y": "linarith", "x * y = y * x": "ring", "n % 2 = 0": "omega", "a ∧ b": "constructor"}


def pairs(seed: int, n: int) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        goal = list(RULES)[int(rng.integers(len(RULES)))]
        hyp = f"h{int(rng.integers(100))} : {int(rng.integers(50))} < {int(rng.integers(50, 99))}"
        out.append((f"{hyp}\n⊢ {goal}", RULES[goal]))
    return out


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    encoder = HashingEncoder(64)
    train = pairs(0, 200)
    model = train_tactic_energy(
        train, encoder, 64, TacticTraining("ebt", width=64, steps=150, langevin_steps=10)
    )
    library = TacticLibrary.build([t for _, t in train] + ["norm_num", "simp"], encoder)
    return model, encoder, library


def test_proposer_is_a_policy_that_finds_the_right_tactic(trained):
    model, encoder, library = trained
    proposer = LangevinProposer(model, encoder, library, ProposerConfig(chains=8))
    assert isinstance(proposer, Policy)
    held_out = pairs(1, 40)
    m = proposal_metrics(proposer, held_out, 3)
    assert m["in_library"] == 1.0
    assert m["top1"] >= 0.9 and m["hit_at_3"] >= 0.9, m
    # an untrained energy does far worse
    blank = LangevinProposer(build_energy(EnergyConfig("pair", 64, width=64)), encoder, library)
    assert proposal_metrics(blank, held_out, 1)["top1"] < 0.6


def test_proposals_are_distinct_ranked_and_independent_of_batching(trained):
    model, encoder, library = trained
    proposer = LangevinProposer(model, encoder, library, ProposerConfig(chains=8))
    qs = [Query(Theorem("t", ""), s) for s, _ in pairs(2, 5)]
    together = proposer.propose(qs, 4)
    alone = [proposer.propose([q], 4)[0] for q in qs]
    assert [[c.tactic for c in cs] for cs in together] == [[c.tactic for c in cs] for cs in alone]
    for a, b in zip(together, alone, strict=True):
        assert [c.logprob for c in a] == pytest.approx([c.logprob for c in b], abs=1e-4)
    for cands in together:
        assert 1 <= len(cands) <= 4 and len({c.tactic for c in cands}) == len(cands)
        lps = [c.logprob for c in cands]
        assert lps == sorted(lps, reverse=True) and all(lp <= 0 for lp in lps)
    detailed = proposer.propose_detailed(qs[:1], 4)[0]
    assert 1 <= detailed.steps <= proposer.config.langevin.steps


def test_min_energy_value_scores_states(trained):
    model, encoder, library = trained
    value = MinEnergyValue(LangevinProposer(model, encoder, library))
    assert isinstance(value, ValueFn)
    scores = value.score([ValueQuery("⊢ x ≤ y", "⊢ x ≤ y"), ValueQuery("⊢ a ∧ b", "⊢ x ≤ y")])
    assert len(scores) == 2 and all(np.isfinite(scores))


def test_energy_roundtrip(tmp_path, trained):
    model = trained[0]
    save_energy(model, tmp_path / "e", {"note": 1})
    loaded, extra = load_energy(tmp_path / "e")
    x, c = torch.randn(3, 64), torch.randn(3, 64)
    assert extra == {"note": 1} and torch.allclose(model(x, c, None), loaded(x, c, None))


def test_idx_reader_plain_and_gzip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = struct.pack(">BBBB3I", 0, 0, 0x08, 3, 2, 3, 4) + images.tobytes()
    (tmp_path / "a-idx3-ubyte").write_bytes(raw)
    (tmp_path / "a-idx3-ubyte.gz").write_bytes(gzip.compress(raw))
    assert np.array_equal(read_idx(tmp_path / "a-idx3-ubyte"), images)
    assert np.array_equal(read_idx(tmp_path / "a-idx3-ubyte.gz"), images)
    (tmp_path / "bad").write_bytes(raw[:-1])
    with pytest.raises(ValueError):
        read_idx(tmp_path / "bad")


def test_energy_accuracy_and_grid(tmp_path):
    class Template(torch.nn.Module):  # energy = distance to a per-class template image
        def forward(self, x, cond, level=None):
            t = torch.stack([torch.full((1, 4, 4), c / 3) for c in range(4)])
            return ((x - t[cond]) ** 2).flatten(1).sum(1)

    y = torch.tensor([0, 1, 2, 3, 2])
    x = torch.stack([torch.full((1, 4, 4), int(c) / 3) for c in y])
    assert energy_accuracy(Template(), x, y, 4) == 1.0
    assert energy_accuracy(Template(), x, (y + 1) % 4, 4) == 0.0
    path = save_grid(x, tmp_path / "g.png", rows=1, title="t")
    assert path.read_bytes()[:4] == b"\x89PNG"
