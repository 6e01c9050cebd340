"""LoRA supervised fine-tuning of the policy on (theorem, state, tactic) pairs.

The stage reads top to bottom: read and filter pairs, split by theorem, load the base model
and wrap it with LoRA (peft), tokenize with completion-only labels, then a plain loop
(AdamW, linear warm-up + cosine decay, gradient clipping) that logs every step, validates
and checkpoints every so often, and resumes from the last complete checkpoint. Before the
first step and after the last it measures next-tactic exact match on validation states
with ``HFPolicy`` (the prompt format of search). Outputs and layout: ``qed.train.sft_io``.

Knows nothing about the CLI or config objects (plain arguments in ``SftSettings``), nor about
environments (pairs come from files).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qed.data.rundir import atomic_write_json, is_done, mark_done
from qed.policy.hf import HFPolicy
from qed.policy.models import load_model
from qed.train.settings import DEFAULT_TARGETS, SftSettings  # noqa: F401 (re-exported)
from qed.train.sft_data import (
    collate,
    drop_cheating_theorems,
    is_validation,
    read_pairs,
    split_by_theorem,
    tokenize_pair,
)
from qed.train.sft_io import append_metrics, exact_match, plot_losses, read_metrics, truncate_metrics
from qed.train.tracking import open_tracker


@dataclass(frozen=True)
class SftResult:
    """Where the adapter went, the steps run, and the measured numbers."""

    run_dir: Path
    adapter: Path
    steps: int
    train_pairs: int
    val_pairs: int
    dropped_theorems: int
    final_val_loss: float | None
    exact_match: dict = field(default_factory=dict)


def lr_at(step: int, total: int, settings: SftSettings) -> float:
    """Linear warm-up to ``lr`` over ``warmup_steps``, then cosine decay to 10% of it."""
    if step < settings.warmup_steps:
        return settings.lr * (step + 1) / settings.warmup_steps
    frac = (step - settings.warmup_steps) / max(1, total - settings.warmup_steps)
    return settings.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def batch_order(n_examples: int, batch_size: int, epochs: int, seed: int) -> list[list[int]]:
    """Every step's example indices: a seeded shuffle per epoch, so a resumed run sees the same data."""
    order = []
    for epoch in range(epochs):
        idx = list(range(n_examples))
        random.Random(f"{seed}:{epoch}").shuffle(idx)
        order.extend(idx[i:i + batch_size] for i in range(0, n_examples, batch_size))
    return order


def validation_loss(model, examples, pad_id: int, batch_size: int) -> float:
    """Mean completion-token loss over ``examples`` (token-weighted)."""
    import torch

    device = next(model.parameters()).device
    total, count = 0.0, 0
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(examples), batch_size):
            batch = {k: v.to(device) for k, v in collate(examples[start:start + batch_size], pad_id).items()}
            out = model(**batch)
            tokens = int((batch["labels"][:, 1:] != -100).sum())
            total += float(out.loss) * tokens
            count += tokens
    model.train()
    return total / max(1, count)


def _eval_pairs(val, limit: int, seed: int):
    """A fixed sample of validation pairs (at most ``limit``), the same before and after."""
    picked = list(val)
    random.Random(seed).shuffle(picked)
    return picked[:limit]


def run_sft(model_dir: Path, data: Path, run_dir: Path, settings: SftSettings, *,
            progress: Callable[[int, int, dict], None] | None = None,
            log: Callable[[str], None] = print,
            measure: Callable[[object, object], dict] | None = None) -> SftResult:
    """Train a LoRA adapter on the pairs in ``data``; write everything under ``run_dir``.

    Resumes from the last complete checkpoint in ``run_dir``; a run with ``DONE`` is not
    rerun (its result is re-read). ``progress(step, total, row)`` is called after each step.
    ``measure(model, tokenizer)`` (optional) is called with the model in eval mode before the
    first step, every ``eval_every`` steps and after the last; its dict of numbers is recorded
    as a ``{"kind": "measure", "step": k, ...}`` metrics row (a learning curve of whatever the
    caller measures, e.g. held-out top-1).
    """
    import torch
    from peft import LoraConfig, get_peft_model

    from qed.train import checkpoint

    run_dir.mkdir(parents=True, exist_ok=True)
    # 1. data: read, filter, split by theorem name
    pairs, dropped = drop_cheating_theorems(read_pairs(data))
    train, val = split_by_theorem(pairs, settings.val_frac, settings.seed)
    if not train:
        raise ValueError(f"{data}: no training pairs left after filtering and splitting")
    split_file = run_dir / "split.json"
    split = {"train": sorted({p.theorem for p in train}), "val": sorted({p.theorem for p in val}),
             "dropped": dropped, "val_frac": settings.val_frac, "seed": settings.seed}
    if split_file.exists() and json.loads(split_file.read_text())["val"] != split["val"]:
        raise ValueError(f"{run_dir}: data or split settings changed since this run started; "
                         "use a new run dir")
    atomic_write_json(split_file, split, indent=1)
    assert not any(is_validation(p.theorem, settings.val_frac, settings.seed) for p in train)
    atomic_write_json(run_dir / "settings.json", {**asdict(settings), "model": str(model_dir),
                                                  "data": str(data)}, indent=1)
    eval_pairs = _eval_pairs(val, settings.eval_states, settings.seed)
    if is_done(run_dir):
        log(f"{run_dir} is complete (DONE); nothing to do")
        return _result(run_dir, len(train), len(val), len(dropped))

    # 2. model: base + LoRA
    model, tok = load_model(model_dir, device=settings.device, dtype="float32")
    lora = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
                      target_modules=list(settings.target_modules), task_type="CAUSAL_LM",
                      modules_to_save=list(settings.modules_to_save) or None)
    torch.manual_seed(settings.seed)  # LoRA A matrices: same seed, same start
    model = get_peft_model(model, lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log(f"pairs: {len(train)} train / {len(val)} validation ({len(split['train'])} / {len(split['val'])} "
        f"theorems; {len(dropped)} dropped for sorry/admit/cheat); trainable parameters: {trainable:,}")
    train_ex = [tokenize_pair(tok, p, settings.max_len) for p in train]
    val_ex = [tokenize_pair(tok, p, settings.max_len) for p in val]
    order = batch_order(len(train_ex), settings.batch_size, settings.epochs, settings.seed)
    total = min(len(order), settings.max_steps) if settings.max_steps else len(order)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    pad_id = tok.pad_token_id
    device = next(model.parameters()).device

    def measure_exact_match() -> dict:
        model.eval()
        policy = HFPolicy(model, tok, temperature=settings.eval_temperature, max_new_tokens=48,
                          seed=settings.seed)
        res = exact_match(policy, eval_pairs, n=settings.eval_n)
        model.train()
        return res

    # 3. resume or start
    step = 0
    em: dict = {}
    ckpt = checkpoint.latest(run_dir)
    tracker = open_tracker(run_dir)  # TensorBoard (and W&B when enabled) beside metrics.jsonl

    def record(row: dict) -> None:
        append_metrics(run_dir, row)
        tracker.log(row)

    measured_s = 0.0  # time in ``measure``, kept out of the training time ``elapsed_s``

    def record_measure(at: int) -> None:
        nonlocal measured_s
        if measure is None:
            return
        start = time.monotonic()
        model.eval()
        row = measure(model, tok)
        model.train()
        record({"kind": "measure", "step": at, **row})
        measured_s += time.monotonic() - start

    if ckpt is not None:
        meta = checkpoint.load(ckpt, optimizer, model=model)
        step, em = meta["step"], meta.get("exact_match", {})
        truncate_metrics(run_dir, step)
        tracker.resume(step)
        log(f"resumed from {ckpt} (step {step})")
    else:
        truncate_metrics(run_dir, -1)
        if eval_pairs:
            em["before"] = measure_exact_match()
            log(f"exact match before: {em['before']}")
        if val_ex:
            record({"kind": "val", "step": 0,
                                     "val_loss": validation_loss(model, val_ex, pad_id, settings.batch_size)})
        record_measure(0)

    # 4. the loop
    model.train()
    # elapsed_s counts training time across restarts: a resumed run continues from its checkpoint's
    already = next((r["elapsed_s"] for r in read_metrics(run_dir)
                    if r["kind"] == "train" and r["step"] == step), 0.0)
    t0 = time.monotonic() - already
    measured_s = 0.0
    while step < total:
        lr = lr_at(step, total, settings)
        for g in optimizer.param_groups:
            g["lr"] = lr
        batch = {k: v.to(device) for k, v in collate([train_ex[i] for i in order[step]], pad_id).items()}
        loss = model(**batch).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
        optimizer.step()
        step += 1
        row = {"kind": "train", "step": step, "loss": loss.item(), "lr": lr,
               "elapsed_s": round(time.monotonic() - t0 - measured_s, 2)}
        record(row)
        if val_ex and (step % settings.eval_every == 0 or step == total):
            record({"kind": "val", "step": step,
                                     "val_loss": validation_loss(model, val_ex, pad_id, settings.batch_size)})
        if step % settings.eval_every == 0 or step == total:
            record_measure(step)
        if step % settings.save_every == 0 and step < total:
            checkpoint.save(run_dir, step, optimizer, {"exact_match": em}, model=model)
        if progress is not None:
            progress(step, total, row)

    # 5. outputs: adapter, exact match after, plot, DONE last
    adapter = run_dir / "adapter"
    model.save_pretrained(adapter)
    tok.save_pretrained(adapter)
    if eval_pairs:
        em["after"] = measure_exact_match()
        log(f"exact match after: {em['after']}")
    atomic_write_json(run_dir / "exact_match.json", em, indent=1)
    plot_losses(run_dir)
    tracker.close()
    mark_done(run_dir, f"steps {step}")
    return _result(run_dir, len(train), len(val), len(dropped))


def _result(run_dir: Path, n_train: int, n_val: int, n_dropped: int) -> SftResult:
    rows = read_metrics(run_dir)
    vals = [r["val_loss"] for r in rows if r["kind"] == "val"]
    steps = max((r["step"] for r in rows), default=0)
    em_file = run_dir / "exact_match.json"
    em = json.loads(em_file.read_text()) if em_file.exists() else {}
    return SftResult(run_dir, run_dir / "adapter", steps, n_train, n_val, n_dropped,
                     vals[-1] if vals else None, em)
