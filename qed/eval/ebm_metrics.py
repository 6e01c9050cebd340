"""EBM health metrics: rank-1 (overall, by depth), energy gap, sibling discrimination,
active-unit ratio, and the ``qed eval ebm`` stage that computes them for a trained head.

Owns the metric definitions (docs/value.md lists them) over energy groups laid out as in
``qed.value.losses`` (``[G, 1 + K]``, column 0 the positive). Knows nothing about training
or Hydra; the stage takes plain arguments.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from qed.core import Encoder
from qed.data.contrastive import build_groups, index_groups
from qed.data.rundir import atomic_write_json
from qed.data.trajectory import read_trajectories, split_by_theorem
from qed.value.cache import DiskEmbeddingCache
from qed.value.ebm import GoalConditionedEnergyHead, energies_in_batches, load_head

DEPTH_BUCKETS = ("1", "2", "3", "4+")


def depth_bucket(depth: int) -> str:
    """``1``, ``2``, ``3`` or ``4+`` (depth 0, the root, is never a group's positive)."""
    return "4+" if depth >= 4 else str(max(depth, 1))


def ebm_metrics(energies: np.ndarray, depths: Sequence[int], kinds: Sequence[Sequence[str]]) -> dict:
    """Group metrics of ``energies`` ``[G, 1 + K]`` (lower = more provable, positive first).

    - ``rank1``: fraction of groups whose positive has strictly the lowest energy (ties fail);
      ``chance`` = 1 / (1 + K) is what a model without signal gets.
    - ``rank1_by_depth``: the same per depth bucket of the positive (``groups`` counted).
    - ``energy_gap``: mean negative energy minus mean positive energy (> 0 is right).
    - ``sibling_discrimination``: over every (positive, sibling negative) pair, the fraction in
      which the positive has the lower energy (0.5 = blind to the tactic's effect).
    """
    e = np.asarray(energies, dtype=np.float64)
    if e.ndim != 2 or e.shape[1] < 2:
        raise ValueError(f"energies must be [G, 1 + K], got shape {e.shape}")
    depths = np.asarray(depths)
    wins = e[:, 0] < e[:, 1:].min(axis=1)
    by_depth = {}
    for b in DEPTH_BUCKETS:
        mask = np.array([depth_bucket(int(d)) == b for d in depths], dtype=bool)
        by_depth[b] = {"rank1": float(wins[mask].mean()) if mask.any() else None, "groups": int(mask.sum())}
    sib = np.array([[k == "sibling" for k in row] for row in kinds], dtype=bool).reshape(e.shape[0], -1)
    pairs = np.broadcast_to(e[:, :1], e[:, 1:].shape)[sib]
    sib_e = e[:, 1:][sib]
    return {
        "groups": int(e.shape[0]),
        "negatives_per_group": int(e.shape[1] - 1),
        "chance": 1.0 / e.shape[1],
        "rank1": float(wins.mean()) if len(wins) else 0.0,
        "rank1_by_depth": by_depth,
        "energy_positive_mean": float(e[:, 0].mean()),
        "energy_negative_mean": float(e[:, 1:].mean()),
        "energy_gap": float(e[:, 1:].mean() - e[:, 0].mean()),
        "sibling_pairs": int(sib.sum()),
        "sibling_discrimination": float((pairs < sib_e).mean()) if sib.any() else None,
    }


def active_unit_ratio(
    head: GoalConditionedEnergyHead, z_state: torch.Tensor, z_goal: torch.Tensor, min_fraction: float = 0.01
) -> dict:
    """Fraction of hidden units that are alive: pre-activation > 0 on at least ``min_fraction``
    of the inputs (eval mode). Per hidden layer and overall; dead units waste capacity."""
    was = head.training
    head.eval()
    try:
        with torch.no_grad():
            pre = head.features(z_state, z_goal)
    finally:
        head.train(was)
    per_layer = [float(((a > 0).float().mean(dim=0) >= min_fraction).float().mean().item()) for a in pre]
    widths = [a.shape[-1] for a in pre]
    overall = sum(r * w for r, w in zip(per_layer, widths, strict=True)) / sum(widths)
    return {"active_unit_ratio": overall, "active_unit_ratio_by_layer": per_layer}


def evaluate_ebm(
    trajectories: Path,
    ebm_dir: Path,
    embeddings_dir: Path,
    encoder: Encoder,
    encoder_id: str,
    out_dir: Path,
    *,
    split: str = "val",
    device: str = "cpu",
) -> dict:
    """``qed eval ebm``: metrics of the head in ``ebm_dir`` on ``split`` (``val``, ``train`` or
    ``all``) groups of ``trajectories``, built with the head's own training settings (so ``val``
    is held out). Writes ``energy_hist.png`` then ``metrics.json`` (last) into ``out_dir``."""
    from qed.eval.plots import energy_histogram

    config = json.loads((Path(ebm_dir) / "config.json").read_text(encoding="utf-8"))
    if config["encoder"] != encoder_id:
        raise ValueError(
            f"{ebm_dir} was trained on embeddings of {config['encoder']!r}, "
            f"but the configured encoder is {encoder_id!r}"
        )
    s = config["settings"]
    head = load_head(ebm_dir, device=device)
    rows = read_trajectories(trajectories)
    train, val = split_by_theorem({r.theorem for r in rows}, s["val_fraction"], s["seed"])
    names = {"val": val, "train": train, "all": train | val}.get(split)
    if names is None:
        raise ValueError(f"unknown split '{split}': expected val, train or all")
    groups, stats = build_groups(
        [r for r in rows if r.theorem in names],
        k=s["k_negatives"],
        depth_window=s["depth_window"],
        hard_fraction=s["hard_fraction"],
        seed=s["seed"],
    )
    if not groups:
        raise ValueError(f"{trajectories}: no contrastive groups in split '{split}'")
    ix = index_groups(groups)
    cache = DiskEmbeddingCache(embeddings_dir, encoder_id=encoder_id, dim=head.config.dim)
    z = torch.from_numpy(cache.embed(list(ix.texts), encoder)).to(device)
    states, roots = torch.tensor(ix.states), torch.tensor(ix.roots)
    energies = energies_in_batches(head, z[states.reshape(-1)], z[roots.reshape(-1)]).reshape(states.shape)
    e = energies.cpu().numpy()
    metrics = ebm_metrics(e, ix.depths, ix.kinds)
    metrics |= active_unit_ratio(head, z[states.reshape(-1)], z[roots.reshape(-1)])
    metrics |= {
        "split": split,
        "temperature": float(head.temperature().item()),
        "dual_label_rate": stats.dual_label_rate,
        "negatives_by_kind": stats.negatives_by_kind,
        "encoder": encoder_id,
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    energy_histogram(
        e[:, 0],
        e[:, 1:].reshape(-1),
        out_dir / "energy_hist.png",
        title=f"energies ({split} split): rank-1 {metrics['rank1']:.3f}, chance {metrics['chance']:.3f}",
    )
    write_json(out_dir / "metrics.json", metrics)
    return metrics


def write_json(path: Path, obj: dict) -> None:
    """Atomic JSON write (temporary file, then rename)."""
    atomic_write_json(path, obj, sort_keys=True)
