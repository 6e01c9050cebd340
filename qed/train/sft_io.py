"""What LoRA SFT writes and reads besides the adapter: checkpoints, metrics, the loss plot, and
the next-tactic exact-match evaluation.

Owns the run-directory layout of ``qed train sft``::

    RUN/split.json                  train/validation theorem names (fixed at the first start)
    RUN/metrics.jsonl               one JSON line per train step / validation pass, appended
    RUN/tensorboard/                the same rows as TensorBoard scalars (``qed.train.tracking``)
    RUN/checkpoints/step_<k>/       adapter (PEFT format) + optimizer.safetensors + state.json
                                    (``qed.train.checkpoint`` through ``qed.data.rundir``)
    RUN/adapter/                    the final adapter
    RUN/exact_match.json            top-k exact match on validation states, before and after
    RUN/loss.png                    train and validation loss curves
    RUN/DONE                        written last

Checkpoints are safetensors + JSON (no pickles); ``state.json`` is written last in a
checkpoint, so a checkpoint without it is incomplete and ignored on resume. Files are written
atomically through ``qed.data.rundir``.

Knows nothing about the training loop's maths; ``exact_match`` takes any ``Policy``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from qed.core import Policy, Query
from qed.data.rundir import atomic_write_text
from qed.policy.prompt import normalize_tactic
from qed.train.sft_data import SftPair


def append_metrics(run: Path, row: dict) -> None:
    with (run / "metrics.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


def read_metrics(run: Path, *, upto: int | None = None) -> list[dict]:
    path = run / "metrics.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in rows if upto is None or r["step"] <= upto]


def truncate_metrics(run: Path, upto: int) -> None:
    """Drop rows logged after step ``upto`` (work lost when a run died after its last checkpoint)."""
    rows = read_metrics(run, upto=upto)
    atomic_write_text(run / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows))


def plot_losses(run: Path) -> Path:
    """``RUN/loss.png``: train loss (raw and smoothed) and validation loss against step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(run)
    train = [(r["step"], r["loss"]) for r in rows if r["kind"] == "train"]
    val = [(r["step"], r["val_loss"]) for r in rows if r["kind"] == "val"]
    fig, ax = plt.subplots(figsize=(7, 4))
    if train:
        steps, losses = zip(*train, strict=True)
        ax.plot(steps, losses, alpha=0.3, color="tab:blue", label="train (per step)")
        smooth, acc = [], None
        for x in losses:
            acc = x if acc is None else 0.9 * acc + 0.1 * x
            smooth.append(acc)
        ax.plot(steps, smooth, color="tab:blue", label="train (EMA 0.9)")
    if val:
        steps, losses = zip(*val, strict=True)
        ax.plot(steps, losses, "o-", color="tab:orange", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("completion-token loss (nats)")
    ax.set_title(f"SFT loss: {run.name}")
    ax.legend()
    ax.grid(alpha=0.3)
    out = run / "loss.png"
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def exact_match(policy: Policy, pairs: Sequence[SftPair], *, n: int, ks: Sequence[int] = (1, 8),
                batch: int = 8) -> dict:
    """Fraction of ``pairs`` whose tactic is among the policy's top-k candidates, for each k.

    Candidates and the reference are compared after ``normalize_tactic``. Returns
    ``{"states": len(pairs), "n": n, "top1": ..., "top8": ...}``.
    """
    hits = {k: 0 for k in ks}
    for start in range(0, len(pairs), batch):
        chunk = pairs[start:start + batch]
        queries = [Query(p.prompt_theorem(), p.state) for p in chunk]
        for pair, cands in zip(chunk, policy.propose(queries, n), strict=True):
            ref = normalize_tactic(pair.tactic)
            ranked = [c.tactic for c in cands]
            for k in ks:
                hits[k] += ref in ranked[:k]
    total = max(1, len(pairs))
    return {"states": len(pairs), "n": n, **{f"top{k}": hits[k] / total for k in ks}}
