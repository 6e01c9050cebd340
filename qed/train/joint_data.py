"""Joint-training data: SFT examples and contrastive groups from one split, the probe set, batches.

Owns:
- ``load_joint_data``: SFT pairs (``qed.train.sft_data``: cheat filter, completion-only
  tokenization) and contrastive groups (``qed.data.contrastive.build_groups``: one positive on
  a proof path + K negatives, each with its root goal) split BY THEOREM NAME with ONE rule,
  ``qed.data.trajectory.split_by_theorem`` over the union of names, so a theorem is on the same
  side in both sources and on the same side as in ``qed train ebm`` with the same fraction and
  seed; and the fixed probe set (balanced positive/negative validation states, dual-label rule
  applied) the monitor embeds;
- ``make_batch``: one right-padded token batch holding a step's SFT rows first and the
  distinct texts (states and root goals) of its groups after them, with the index tables that
  put texts back into ``[G, 1 + K]`` groups. Texts are tokenized exactly as
  ``qed.value.encoder.HFEncoder`` tokenizes them (no special tokens, first ``text_max_len``
  tokens), and their pooling mask is ``qed.value.encoder.content_mask``, so an embedding seen
  in training is the embedding search computes.

Knows nothing about models, optimisers or the training loop.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qed.data.contrastive import (
    ContrastiveGroup,
    ContrastiveStats,
    build_groups,
    index_groups,
    labelled_states,
)
from qed.data.trajectory import read_trajectories, split_by_theorem
from qed.train.sft_data import IGNORE, Example, drop_cheating_theorems, read_pairs, tokenize_pair


class JointDataError(ValueError):
    """Data that cannot train jointly (no groups, no probe states); the message says why."""


@dataclass(frozen=True)
class ProbeSet:
    """Fixed states for the separation probe: text, label (True = provable), theorem name."""

    texts: tuple[str, ...]
    labels: tuple[bool, ...]
    theorems: tuple[str, ...]


@dataclass(frozen=True)
class JointData:
    sft_train: tuple[Example, ...]
    sft_val: tuple[Example, ...]
    groups_train: tuple[ContrastiveGroup, ...]
    groups_val: tuple[ContrastiveGroup, ...]
    probe: ProbeSet
    train_theorems: frozenset[str]
    val_theorems: frozenset[str]
    stats: dict


@dataclass(frozen=True)
class JointBatch:
    """Token rows ``[n_sft + n_texts, width]``: SFT rows (with ``labels``) first, then texts.

    ``states[g, j]`` / ``roots[g, j]`` index the text rows (0-based among texts) of group g's
    candidate j (0 = the positive) and its root goal; ``content`` is the pooling mask of the
    text rows.
    """

    input_ids: object
    attention_mask: object
    labels: object  # [n_sft, width], -100 outside completions
    content: object  # [n_texts, width]
    states: object  # [G, 1 + K] long
    roots: object  # [G, 1 + K] long
    n_sft: int


def probe_set(rows, names: set[str], limit: int, seed: int) -> ProbeSet:
    """Up to ``limit`` states of theorems ``names``, half positive and half negative (seeded)."""
    states = [s for s in labelled_states(rows) if s.theorem in names]
    pos = sorted((s for s in states if s.positive), key=lambda s: (s.theorem, s.node_id))
    neg = sorted((s for s in states if not s.positive), key=lambda s: (s.theorem, s.node_id))
    rng = random.Random(seed)
    n = min(len(pos), len(neg), max(1, limit // 2))
    picked = rng.sample(pos, n) + rng.sample(neg, n)
    return ProbeSet(tuple(s.state for s in picked), tuple(s.positive for s in picked),
                    tuple(s.theorem for s in picked))


def load_joint_data(pairs_path: Path, trajectories_path: Path, tokenizer, *, max_len: int, val_frac: float,
                    seed: int, k_negatives: int, depth_window: int, hard_fraction: float,
                    probe_states: int) -> JointData:
    """Read, filter, split, tokenize and group (see the module docstring)."""
    pairs, dropped = drop_cheating_theorems(read_pairs(pairs_path))
    rows = read_trajectories(trajectories_path)
    train_names, val_names = split_by_theorem({p.theorem for p in pairs} | {r.theorem for r in rows},
                                              val_frac, seed)
    grouped: list[tuple[list[ContrastiveGroup], ContrastiveStats]] = []
    for names in (train_names, val_names):
        grouped.append(build_groups([r for r in rows if r.theorem in names], k=k_negatives,
                                    depth_window=depth_window, hard_fraction=hard_fraction, seed=seed))
    (g_train, st_train), (g_val, st_val) = grouped
    sft_train = tuple(tokenize_pair(tokenizer, p, max_len) for p in pairs if p.theorem in train_names)
    sft_val = tuple(tokenize_pair(tokenizer, p, max_len) for p in pairs if p.theorem in val_names)
    probe = probe_set(rows, val_names, probe_states, seed)
    problems = []
    if not sft_train:
        problems.append(f"{pairs_path}: no SFT pairs in the training split")
    if not g_train:
        problems.append(f"{trajectories_path}: no contrastive groups in the training split "
                        "(no proved theorem with a live proof-path state)")
    if not g_val:
        problems.append(f"{trajectories_path}: no contrastive groups in the validation split "
                        "(raise val_frac or add searched theorems)")
    if len(probe.texts) < 8 or len(set(probe.theorems)) < 2:
        problems.append(f"{trajectories_path}: only {len(probe.texts)} probe states from "
                        f"{len(set(probe.theorems))} validation theorems (need 8 from 2+)")
    if problems:
        raise JointDataError("; ".join(problems))
    stats = {
        "sft_pairs": {"train": len(sft_train), "val": len(sft_val)},
        "groups": {"train": len(g_train), "val": len(g_val)},
        "theorems": {"train": len(train_names), "val": len(val_names)},
        "dropped_theorems": dropped,
        "probe_states": len(probe.texts),
        "negatives_by_kind": st_train.negatives_by_kind,
        "dual_label_rate": {"train": st_train.dual_label_rate, "val": st_val.dual_label_rate},
    }
    return JointData(sft_train, sft_val, tuple(g_train), tuple(g_val), probe, frozenset(train_names),
                     frozenset(val_names), stats)


def make_batch(tokenizer, sft: Sequence[Example], groups: Sequence[ContrastiveGroup], *,
               text_max_len: int) -> JointBatch:
    """The step's rows as one right-padded batch (see ``JointBatch``); ``groups`` may be empty."""
    import torch

    from qed.value.encoder import content_mask

    index = index_groups(groups)
    texts = list(index.texts)
    text_ids = tokenizer(texts, add_special_tokens=False, truncation=True,
                         max_length=text_max_len)["input_ids"] if texts else []
    seqs = [list(e.input_ids) for e in sft] + [list(ids) for ids in text_ids]
    if not seqs:
        raise ValueError("an empty batch: no SFT examples and no groups")
    width = max(1, max(len(s) for s in seqs))
    pad = tokenizer.pad_token_id
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    labels = torch.full((len(sft), width), IGNORE, dtype=torch.long)
    for i, s in enumerate(seqs):
        if s:
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
    for i, e in enumerate(sft):
        labels[i, : len(e.labels)] = torch.tensor(e.labels)
    n = len(sft)
    content = content_mask(tokenizer, ids[n:], mask[n:])
    width_g = 1 + (len(groups[0].negatives) if groups else 0)
    states = torch.tensor(index.states, dtype=torch.long).reshape(-1, width_g)
    roots = torch.tensor(index.roots, dtype=torch.long).reshape(-1, width_g)
    return JointBatch(ids, mask, labels, content, states, roots, n)
