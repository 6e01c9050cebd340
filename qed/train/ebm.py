"""``qed train ebm``: decoupled EBM training on frozen, cached embeddings.

Owns the stage: trajectories -> split by theorem -> contrastive groups -> embeddings
(computed once, cached on disk by text hash) -> AdamW on InfoNCE -> checkpoints, early
stopping on validation rank-1 (ties broken by validation loss) -> head, config, metrics,
loss plot, DONE (last). Knows nothing about Hydra (the CLI passes plain settings) nor
about which encoder it is given.

Output directory (``runs/<name>/iter_<k>/ebm/``)::

    head.safetensors, head.json   the best head (by validation rank-1)
    config.json                   encoder id, settings, head config, data counts
    metrics.json                  rank-1 (train/val), chance, temperature, losses, counts
    log.jsonl                     one line per ``log_every`` steps and per evaluation
    tensorboard/                  the same numbers as TensorBoard scalars (``qed.train.tracking``)
    loss.png                      training loss, validation loss and temperature
    checkpoints/step_<k>/         head/, optimizer and progress for resume (``qed.train.checkpoint``)
    DONE                          written last (``qed.data.rundir.mark_done``)

Resume: a directory without DONE but with a checkpoint continues from the checkpoint's
step; every step's batch and dropout draws depend only on (seed, step), so an interrupted
and resumed run follows the same trajectory as an uninterrupted one.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qed.core import Encoder
from qed.data.contrastive import ContrastiveStats, GroupIndex, build_groups, index_groups
from qed.data.rundir import Checkpoints, atomic_write_json, is_done, mark_done
from qed.data.trajectory import read_trajectories, split_by_theorem
from qed.train import checkpoint
from qed.train.settings import EbmTrainSettings
from qed.train.tracking import open_tracker
from qed.value.cache import DiskEmbeddingCache
from qed.value.ebm import (
    GoalConditionedEnergyHead,
    HeadConfig,
    energies_in_batches,
    load_head,
    save_head,
    temperature_status,
)
from qed.value.losses import contrastive_loss, rank1


class EbmTrainingError(ValueError):
    """Input that cannot train a head (no groups, mismatched checkpoint); the message says why."""


class TemperatureAbort(RuntimeError):
    """The head's temperature sits at its floor or ceiling: training is not healthy."""


@dataclass(frozen=True)
class EbmTrainResult:
    out_dir: Path
    metrics: dict
    resumed_from: int
    already_done: bool


@dataclass(frozen=True)
class _Split:
    index: GroupIndex
    stats: ContrastiveStats
    states: torch.Tensor  # [G, 1+K] row indices into the embedding matrix
    roots: torch.Tensor


def prepare_groups(
    trajectories: Path, s: EbmTrainSettings
) -> tuple[GroupIndex, ContrastiveStats, GroupIndex, ContrastiveStats]:
    """Train and validation groups of ``trajectories``, split by theorem name."""
    rows = read_trajectories(trajectories)
    train_names, val_names = split_by_theorem({r.theorem for r in rows}, s.val_fraction, s.seed)
    out = []
    for names in (train_names, val_names):
        groups, stats = build_groups(
            [r for r in rows if r.theorem in names],
            k=s.k_negatives,
            depth_window=s.depth_window,
            hard_fraction=s.hard_fraction,
            seed=s.seed,
        )
        out += [index_groups(groups), stats]
    if not out[0].states:
        raise EbmTrainingError(
            f"{trajectories}: no training groups (the training split has no proved "
            f"theorem with a proof-path state)"
        )
    if not out[2].states:
        raise EbmTrainingError(
            f"{trajectories}: no validation groups (raise val_fraction or add proved theorems)"
        )
    return out[0], out[1], out[2], out[3]


def train_ebm(
    trajectories: Path,
    out_dir: Path,
    embeddings_dir: Path,
    encoder: Encoder,
    encoder_id: str,
    head_config: HeadConfig,
    settings: EbmTrainSettings,
    console: Console | None = None,
) -> EbmTrainResult:
    """Train (or resume, or report an already finished) head; see the module docstring."""
    console = console or Console(stderr=True)
    s = settings
    out_dir = Path(out_dir)
    if is_done(out_dir):
        metrics = json.loads((out_dir / "metrics.json").read_text(encoding="utf-8"))
        return EbmTrainResult(out_dir, metrics, resumed_from=metrics.get("steps", 0), already_done=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if s.threads > 0:
        torch.set_num_threads(s.threads)

    # 1. data: groups per split, embeddings of every distinct text (cached on disk)
    train_idx, train_stats, val_idx, val_stats = prepare_groups(Path(trajectories), s)
    texts = list(dict.fromkeys(train_idx.texts + val_idx.texts))
    cache = DiskEmbeddingCache(embeddings_dir, encoder_id=encoder_id, dim=head_config.dim)
    with _bar(console, "embedding") as bar:
        task = bar.add_task("embed", total=sum(t not in cache for t in texts))
        z = cache.embed(texts, encoder, batch_size=s.encode_batch, progress=lambda n: bar.advance(task, n))
    z_all = torch.from_numpy(np.ascontiguousarray(z)).to(s.device)
    row = {t: i for i, t in enumerate(texts)}
    train, val = (
        _Split(ix, st, *_rows(ix, row, s.device))
        for ix, st in ((train_idx, train_stats), (val_idx, val_stats))
    )
    fingerprint = f"{len(texts)}:{len(train_idx.states)}:{len(val_idx.states)}:{encoder_id}"

    # 2. model, optimiser, and the checkpoint to resume from
    torch.manual_seed(s.seed)  # same seed, same initial head
    head = GoalConditionedEnergyHead(head_config).to(s.device)
    opt = torch.optim.AdamW(head.parameters(), lr=s.lr, weight_decay=s.weight_decay)
    progress = {
        "step": 0,
        "best_val": -1.0,
        "best_val_loss": 1e300,
        "best_step": 0,
        "bad_evals": 0,
        "losses": [],
        "evals": [],
        "temperatures": [],
        "fingerprint": fingerprint,
        "head": _jsonable(head_config),
    }
    ckpt = checkpoint.latest(out_dir)
    if ckpt is not None:
        progress = _load_checkpoint(ckpt, head, opt, progress, s.device)
    resumed_from = progress["step"]
    tracker = open_tracker(out_dir)  # TensorBoard (and W&B when enabled) beside log.jsonl
    if resumed_from:
        console.print(f"resuming {out_dir} from step {resumed_from}")
        tracker.resume(resumed_from)

    # 3. the loop
    chance = 1.0 / (1 + s.k_negatives)
    stopped = "max_steps"
    with _bar(console, "training") as bar, (out_dir / "log.jsonl").open("a", encoding="utf-8") as log:
        task = bar.add_task("train", total=s.max_steps, completed=progress["step"])
        head.train()
        for step in range(progress["step"], s.max_steps):
            torch.manual_seed(s.seed * 1_000_003 + step)
            rng = np.random.default_rng([s.seed, step])
            n = len(train.index.states)
            pick = torch.from_numpy(rng.choice(n, size=min(s.batch_groups, n), replace=False)).to(s.device)
            for g in opt.param_groups:
                g["lr"] = s.lr * min(1.0, (step + 1) / max(1, s.warmup_steps))
            energies = head(z_all[train.states[pick]], z_all[train.roots[pick]])
            loss = contrastive_loss(energies, s.loss, s.margin)
            if not torch.isfinite(loss):
                raise EbmTrainingError(f"loss became {loss.item()} at step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head.parameters(), s.grad_clip)
            opt.step()
            progress["losses"].append(float(loss.item()))
            progress["step"] = step + 1
            bar.advance(task)

            if (step + 1) % s.log_every == 0:
                t = float(head.temperature().item())
                progress["temperatures"].append([step + 1, t])
                recent = float(np.mean(progress["losses"][-s.log_every :]))
                log.write(json.dumps({"step": step + 1, "loss": recent, "temperature": t}) + "\n")
                tracker.log({"kind": "train", "step": step + 1, "loss": recent, "temperature": t})
                log.flush()
                status = temperature_status(t, head_config)
                if status in ("floor", "ceiling"):
                    _save_checkpoint(out_dir, head, opt, progress)
                    raise TemperatureAbort(
                        f"step {step + 1}: temperature {t:.3f} sits at its {status} "
                        f"({head_config.temperature_floor} .. {head_config.temperature_ceiling}; "
                        f"healthy 0.5-3.0). "
                        f"Training is not healthy: lower the learning rate or check the data (are the "
                        f"negatives trivially separable, or indistinguishable from the positives?)."
                    )
                if status == "unhealthy":
                    console.print(
                        f"[yellow]step {step + 1}: temperature {t:.3f} outside the healthy "
                        f"range 0.5-3.0[/yellow]"
                    )

            if (step + 1) % s.eval_every == 0 or step + 1 == s.max_steps:
                v_energy = _energies(head, z_all, val)
                v_rank1 = float(rank1(v_energy).mean().item())
                v_loss = float(contrastive_loss(v_energy, s.loss, s.margin).item())
                progress["evals"].append([step + 1, v_loss, v_rank1])
                log.write(json.dumps({"step": step + 1, "val_loss": v_loss, "val_rank1": v_rank1}) + "\n")
                tracker.log({"kind": "val", "step": step + 1, "val_loss": v_loss, "val_rank1": v_rank1})
                log.flush()
                if (v_rank1, -v_loss) > (progress["best_val"], -progress["best_val_loss"]):
                    progress.update(best_val=v_rank1, best_val_loss=v_loss, best_step=step + 1, bad_evals=0)
                    save_head(head, out_dir / "best")
                else:
                    progress["bad_evals"] += 1
                _save_checkpoint(out_dir, head, opt, progress)
                bar.console.print(
                    f"step {step + 1}: loss {np.mean(progress['losses'][-s.eval_every :]):.4f} "
                    f"val loss {v_loss:.4f} val rank-1 {v_rank1:.3f} (chance {chance:.3f}) "
                    f"T {head.temperature().item():.3f}"
                )
                if progress["bad_evals"] >= s.patience:
                    stopped = "early"
                    break

    # 4. outputs: best head, config, metrics, plot, DONE last
    best = load_head(out_dir / "best", device=s.device) if (out_dir / "best").exists() else head.eval()
    save_head(best, out_dir)
    tr_e, va_e = _energies(best, z_all, train), _energies(best, z_all, val)
    metrics = {
        "train_rank1": float(rank1(tr_e).mean().item()),
        "val_rank1": float(rank1(va_e).mean().item()),
        "chance": chance,
        "val_loss": float(contrastive_loss(va_e, s.loss, s.margin).item()),
        "temperature": float(best.temperature().item()),
        "best_step": progress["best_step"],
        "steps": progress["step"],
        "stopped": stopped,
        "groups": {"train": train_stats.groups, "val": val_stats.groups},
        "dual_label_rate": {"train": train_stats.dual_label_rate, "val": val_stats.dual_label_rate},
        "negatives_by_kind": train_stats.negatives_by_kind,
        "texts_embedded": len(texts),
        "encoder": encoder_id,
        "seconds": time.perf_counter() - t0,
    }
    config = {
        "encoder": encoder_id,
        "head": _jsonable(head_config),
        "settings": asdict(s),
        "trajectories": str(trajectories),
    }
    atomic_write_json(out_dir / "config.json", config, sort_keys=True)
    atomic_write_json(out_dir / "metrics.json", metrics, sort_keys=True)
    plot_training(progress, out_dir / "loss.png")
    tracker.close()
    mark_done(out_dir, time.strftime("%Y-%m-%dT%H:%M:%S"))
    return EbmTrainResult(out_dir, metrics, resumed_from=resumed_from, already_done=False)


def _rows(index: GroupIndex, row: dict[str, int], device: str) -> tuple[torch.Tensor, torch.Tensor]:
    def gather(table: tuple[tuple[int, ...], ...]) -> torch.Tensor:
        rows = [[row[index.texts[i]] for i in g] for g in table]
        return torch.tensor(rows, dtype=torch.long, device=device)

    return gather(index.states), gather(index.roots)


def _energies(head: GoalConditionedEnergyHead, z: torch.Tensor, split: _Split) -> torch.Tensor:
    g, c = split.states.shape
    flat = energies_in_batches(head, z[split.states.reshape(-1)], z[split.roots.reshape(-1)])
    return flat.reshape(g, c)


def _bar(console: Console, label: str) -> Progress:
    return Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


def _jsonable(config: HeadConfig) -> dict:
    d = asdict(config)
    d["hidden"] = list(d["hidden"])
    return d


def _load_checkpoint(ckpt: Path, head: GoalConditionedEnergyHead, opt: torch.optim.Optimizer, fresh: dict,
                     device: str) -> dict:
    progress = Checkpoints.state(ckpt)["progress"]
    if progress.get("fingerprint") != fresh["fingerprint"] or progress.get("head") != fresh["head"]:
        raise EbmTrainingError(
            f"{ckpt} was made with other data, encoder or head shape ({progress.get('fingerprint')} vs "
            f"{fresh['fingerprint']}); delete the directory or use --force to start over"
        )
    checkpoint.load(ckpt, opt, head=head, device=device)
    return progress


def _save_checkpoint(out_dir: Path, head: GoalConditionedEnergyHead, opt: torch.optim.Optimizer,
                     progress: dict) -> None:
    checkpoint.save(out_dir, progress["step"], opt, {"progress": progress}, head=head)


def plot_training(progress: dict, path: Path) -> None:
    """Training loss (per step and smoothed), validation loss and temperature, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    losses = np.asarray(progress["losses"], dtype=float)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    if losses.size:
        steps = np.arange(1, losses.size + 1)
        ax.plot(steps, losses, color="tab:blue", alpha=0.25, lw=0.8, label="train loss")
        w = max(1, min(50, losses.size // 10))
        smooth = np.convolve(losses, np.ones(w) / w, mode="valid")
        ax.plot(steps[w - 1 :], smooth, color="tab:blue", lw=1.5, label=f"train loss ({w}-step mean)")
    if progress["evals"]:
        ev = np.asarray(progress["evals"], dtype=float)
        ax.plot(ev[:, 0], ev[:, 1], "o-", color="tab:orange", label="val loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(loc="upper right")
    if progress["temperatures"]:
        tm = np.asarray(progress["temperatures"], dtype=float)
        ax2 = ax.twinx()
        ax2.plot(tm[:, 0], tm[:, 1], "--", color="tab:green", label="temperature")
        ax2.axhspan(0.5, 3.0, color="tab:green", alpha=0.06)
        ax2.set_ylabel("temperature (healthy band shaded)")
    best = progress.get("best_val", -1)
    ax.set_title(
        f"EBM training (best val rank-1 {best:.3f} at step {progress.get('best_step', 0)})"
        if best >= 0
        else "EBM training"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
