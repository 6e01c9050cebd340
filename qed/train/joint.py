"""Joint training: one forward pass, two losses (SFT + InfoNCE) through one shared LoRA adapter.

Why (LESSONS pitfall 15): SFT alone destroyed the embedding structure the EBM relied on. Here
the contrastive loss flows back through the same adapter the policy uses, so the
representation the value model reads is actively kept (as in CURL).

One step: a batch of SFT examples (prompt + tactic, loss on the completion only) and a batch
of contrastive groups (1 positive + K negatives, each with its root goal) are padded into ONE
token batch (``qed.train.joint_data.make_batch``) and run through the LoRA'd decoder ONCE.
The SFT rows' last hidden states go through the LM head (cross-entropy on completion tokens);
the text rows' hidden states of layer ``layer`` are mean-pooled over content tokens
(``qed.value.encoder.pool``: the encoder's own pooling) into z_state and z_goal, WITH
gradients, and scored by a ``GoalConditionedEnergyHead``. Loss = SFT + lambda * InfoNCE
(``qed.value.losses.info_nce``: no temperature but the head's). AdamW with two parameter
groups (LoRA 2e-5, head 3e-5 by default), linear warm-up + cosine decay (``qed.train.sft.lr_at``).
``lambda_nce = 0`` is plain SFT through the same loop (no contrastive rows at all): the
baseline the comparison needs.

Monitoring (``qed.train.monitor``): every step the losses; every ``temperature_every`` the
head's temperature; every ``probe_every`` the separation probe on fixed validation states;
every ``eval_every`` validation SFT loss and validation InfoNCE / rank-1. An alarm aborts the
run (``JointAbort``, after a checkpoint and the plots) unless ``monitor.abort`` is off.

Run directory::

    RUN/settings.json, split.json   settings; train/validation theorem names
    RUN/metrics.jsonl               rows of kind train | val | probe | temperature
    RUN/tensorboard/                the same rows as TensorBoard scalars (``qed.train.tracking``)
    RUN/checkpoints/step_<k>/       adapter/, head/, optimizer.safetensors, state.json (last)
    RUN/adapter/                    the final LoRA adapter (+ tokenizer): a policy, an encoder
    RUN/ebm/                        the final head (head.safetensors, head.json) + config.json
    RUN/metrics.json                final numbers, alarms, peak memory
    RUN/joint.png, RUN/loss.png     monitor curves; SFT loss curve
    RUN/ABORTED                     the alarm's message, when the monitor stopped the run
    RUN/DONE                        written last

Every step's batch and dropout draws depend only on (seed, step), so a resumed run follows
the same trajectory. Knows nothing about Hydra or the CLI, and nothing about how separation
is measured (a ``SeparationProbe`` is passed in).
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from qed.data.rundir import atomic_write_json, atomic_write_text, is_done, mark_done
from qed.policy.models import load_model, resolve_device
from qed.train import checkpoint
from qed.train.joint_data import JointBatch, JointData, load_joint_data, make_batch
from qed.train.monitor import Alarm, Monitor, SeparationProbe, effective_rank, plot_monitor
from qed.train.settings import JointSettings
from qed.train.sft import SftSettings, batch_order, lr_at, validation_loss
from qed.train.sft_io import append_metrics, plot_losses, read_metrics, truncate_metrics
from qed.train.tracking import Tracker, open_tracker
from qed.value.ebm import GoalConditionedEnergyHead, HeadConfig, save_head
from qed.value.encoder import HFEncoder, pool
from qed.value.losses import info_nce, rank1


class JointAbort(RuntimeError):
    """The monitor stopped the run; the message says which alarm and what to change."""


@dataclass(frozen=True)
class JointOutput:
    sft_loss: torch.Tensor
    nce_loss: torch.Tensor | None
    energies: torch.Tensor | None  # [G, 1 + K]


@dataclass(frozen=True)
class JointResult:
    run_dir: Path
    adapter: Path
    ebm_dir: Path | None
    steps: int
    metrics: dict
    alarms: tuple[Alarm, ...]


def encoder_id(model_dir: Path, adapter: Path | None, layer: int = -1) -> str:
    """The embedding-cache id of a model + adapter encoder (the same as ``ebm.encoder.kind=hf``'s)."""
    return f"hf:{Path(model_dir).resolve()}+{Path(adapter).resolve() if adapter else '-'}:layer{layer}"


def lora_config(s: JointSettings):
    from peft import LoraConfig

    return LoraConfig(r=s.lora_r, lora_alpha=s.lora_alpha, lora_dropout=s.lora_dropout,
                      target_modules=list(s.target_modules), task_type="CAUSAL_LM")


def joint_forward(model, head: GoalConditionedEnergyHead | None, batch: JointBatch, *,
                  layer: int = -1) -> JointOutput:
    """Both losses from ONE decoder pass over ``batch`` (``model``: a PEFT-wrapped causal LM)."""
    backbone = model.get_base_model()  # the causal LM with the LoRA layers injected
    device = next(model.parameters()).device
    ids, mask = batch.input_ids.to(device), batch.attention_mask.to(device)
    out = backbone.get_decoder()(input_ids=ids, attention_mask=mask, output_hidden_states=True,
                                 use_cache=False)
    n = batch.n_sft
    logits = backbone.get_output_embeddings()(out.last_hidden_state[:n]).float()
    labels = batch.labels.to(device)
    sft = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                            labels[:, 1:].reshape(-1), ignore_index=-100)
    if head is None or batch.states.numel() == 0:
        return JointOutput(sft, None, None)
    z = pool(out.hidden_states[layer][n:], batch.content.to(device))
    states, roots = batch.states.to(device), batch.roots.to(device)
    energies = head(z[states], z[roots])
    return JointOutput(sft, info_nce(energies), energies)


def group_energies(model, head: GoalConditionedEnergyHead, tokenizer, groups, *, layer: int,
                   text_max_len: int, batch_groups: int) -> torch.Tensor:
    """``[G, 1 + K]`` energies of ``groups`` in eval mode without gradients (modes restored)."""
    was_model, was_head = model.training, head.training
    model.eval()
    head.eval()
    parts = []
    try:
        with torch.no_grad():
            for i in range(0, len(groups), batch_groups):
                chunk = groups[i:i + batch_groups]
                batch = make_batch(tokenizer, [], chunk, text_max_len=text_max_len)
                parts.append(_text_energies(model, head, batch, layer))
    finally:
        model.train(was_model)
        head.train(was_head)
    return torch.cat(parts).cpu()


def _text_energies(model, head, batch: JointBatch, layer: int) -> torch.Tensor:
    device = next(model.parameters()).device
    out = model.get_base_model().get_decoder()(input_ids=batch.input_ids.to(device),
                                               attention_mask=batch.attention_mask.to(device),
                                               output_hidden_states=True, use_cache=False)
    z = pool(out.hidden_states[layer], batch.content.to(device))
    return head(z[batch.states.to(device)], z[batch.roots.to(device)])


def measure_probe(model, tokenizer, data: JointData, probe: SeparationProbe, *, layer: int,
                  text_max_len: int) -> tuple[float, float, float]:
    """(centroid_l2, linear-probe accuracy, effective rank) of the current encoder on the fixed
    probe states."""
    was = model.training
    model.eval()
    try:
        X = HFEncoder(model, tokenizer, layer=layer, max_length=text_max_len).encode(list(data.probe.texts))
    finally:
        model.train(was)
    c, acc = probe(X.astype(np.float64), np.asarray(data.probe.labels, dtype=bool), list(data.probe.theorems))
    return float(c), float(acc), effective_rank(X)


def peak_memory_mb() -> dict:
    """Peak resident memory of this process (MiB) and, with CUDA, peak allocated GPU memory."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {"peak_rss_mb": rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024}
    if torch.cuda.is_available():
        out["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def run_joint(model_dir: Path, pairs: Path, trajectories: Path, run_dir: Path, settings: JointSettings,
              probe: SeparationProbe, *, head_options: dict | None = None,
              progress: Callable[[int, int, dict], None] | None = None,
              log: Callable[[str], None] = print) -> JointResult:
    """Train (or resume, or re-read a finished) joint run; see the module docstring.

    ``head_options``: ``HeadConfig`` fields except ``dim`` (the model's hidden size).
    Raises ``JointAbort`` when a monitor alarm fires and ``settings.monitor.abort`` is on.
    """
    from peft import get_peft_model

    s = settings
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if is_done(run_dir):
        log(f"{run_dir} is complete (DONE); nothing to do")
        return _result(run_dir)

    # 1. parts: model + LoRA, data, head, optimiser with two learning rates
    model, tok = load_model(model_dir, device=resolve_device(s.device), dtype="float32")
    data = load_joint_data(pairs, trajectories, tok, max_len=s.max_len, val_frac=s.val_frac, seed=s.seed,
                           k_negatives=s.k_negatives, depth_window=s.depth_window,
                           hard_fraction=s.hard_fraction, probe_states=s.probe_states)
    split = {"train": sorted(data.train_theorems), "val": sorted(data.val_theorems)}
    split_file = run_dir / "split.json"
    if split_file.exists() and json.loads(split_file.read_text())["val"] != split["val"]:
        raise ValueError(f"{run_dir}: data or split settings changed since this run started; "
                         "use a new run dir")
    atomic_write_json(split_file, split, indent=1)
    inputs = {"model": str(model_dir), "pairs": str(pairs), "trajectories": str(trajectories)}
    atomic_write_json(run_dir / "settings.json", {**asdict(s), **inputs}, indent=1)
    torch.manual_seed(s.seed)  # same seed, same LoRA and head initialisation
    model = get_peft_model(model, lora_config(s))
    head_config = HeadConfig(dim=int(model.get_base_model().config.hidden_size), **(head_options or {}))
    joint = s.lambda_nce > 0
    head = GoalConditionedEnergyHead(head_config).to(next(model.parameters()).device)
    lora_params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": lora_params, "lr": s.lr_lora, "name": "lora"}]
    if joint:
        groups.append({"params": list(head.parameters()), "lr": s.lr_head, "name": "head"})
    optimizer = torch.optim.AdamW(groups, weight_decay=s.weight_decay)
    base_lr = [g["lr"] for g in optimizer.param_groups]
    monitor = Monitor(s.monitor, head_config)
    log(f"joint data: {data.stats['sft_pairs']} SFT pairs, {data.stats['groups']} groups, "
        f"{data.stats['probe_states']} probe states; lambda {s.lambda_nce}; trainable LoRA parameters "
        f"{sum(p.numel() for p in lora_params):,}, head {sum(p.numel() for p in head.parameters()):,}")
    order = batch_order(len(data.sft_train), s.sft_batch, math.ceil(s.max_steps * s.sft_batch
                                                                     / len(data.sft_train)) + 1, s.seed)
    val_groups = list(data.groups_val[: s.val_groups] if s.val_groups else data.groups_val)
    schedule = SftSettings(lr=1.0, warmup_steps=s.warmup_steps)  # lr_at(...) is then a multiplier
    tracker = open_tracker(run_dir)  # TensorBoard (and W&B when enabled) beside metrics.jsonl

    def record(row: dict) -> None:
        append_metrics(run_dir, row)
        tracker.log(row)

    def evaluate(step: int) -> None:
        row = {"kind": "val", "step": step}
        if data.sft_val:
            v = validation_loss(model, list(data.sft_val), tok.pad_token_id, s.eval_batch)
            row["val_sft_loss"] = row["val_loss"] = v
        if joint:
            e = group_energies(model, head, tok, val_groups, layer=s.layer, text_max_len=s.text_max_len,
                               batch_groups=max(1, s.eval_batch // 2))
            row["val_nce_loss"], row["val_rank1"] = float(info_nce(e)), float(rank1(e).mean())
        record(row)

    def watch(step: int, final: bool = False) -> list[Alarm]:
        alarms = []
        if joint and (step % s.monitor.temperature_every == 0 or final):
            t = float(head.temperature().item())
            record({"kind": "temperature", "step": step, "temperature": t})
            alarms.append(monitor.on_temperature(step, t))
        if step % s.monitor.probe_every == 0 or final:
            c, acc, rk = measure_probe(model, tok, data, probe, layer=s.layer, text_max_len=s.text_max_len)
            record({"kind": "probe", "step": step, "centroid_l2": c, "probe_accuracy": acc,
                    "effective_rank": rk})
            alarms.append(monitor.on_probe(step, c, acc))
            alarms.append(monitor.on_rank(step, rk))
        return [a for a in alarms if a is not None]

    # 2. resume or start
    step = 0
    ckpt = checkpoint.latest(run_dir)
    if ckpt is not None:
        meta = checkpoint.load(ckpt, optimizer, model=model, head=head if joint else None)
        step = meta["step"]
        monitor.load_state(meta["monitor"])
        truncate_metrics(run_dir, step)
        tracker.resume(step)
        log(f"resumed from {ckpt} (step {step})")
    else:
        truncate_metrics(run_dir, -1)
        evaluate(0)
        _handle(watch(0), run_dir, s, log, tracker)

    # 3. the loop
    model.train()
    head.train()
    t0 = time.monotonic()
    while step < s.max_steps:
        mult = lr_at(step, s.max_steps, schedule)
        for g, lr in zip(optimizer.param_groups, base_lr, strict=True):
            g["lr"] = lr * mult
        torch.manual_seed(s.seed * 1_000_003 + step)
        rng = np.random.default_rng([s.seed, step])
        picked = []
        if joint:
            n = len(data.groups_train)
            picked = [data.groups_train[i] for i in rng.choice(n, min(s.groups_per_step, n), replace=False)]
        batch = make_batch(tok, [data.sft_train[i] for i in order[step]], picked, text_max_len=s.text_max_len)
        out = joint_forward(model, head if joint else None, batch, layer=s.layer)
        loss = out.sft_loss + s.lambda_nce * out.nce_loss if out.nce_loss is not None else out.sft_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        lora_norm = float(torch.nn.utils.clip_grad_norm_(lora_params, s.grad_clip))
        head_norm = float(torch.nn.utils.clip_grad_norm_(head.parameters(), s.grad_clip)) if joint else 0.0
        optimizer.step()
        step += 1
        sft_value = out.sft_loss.item()
        row = {"kind": "train", "step": step, "loss": sft_value, "sft_loss": sft_value,
               "nce_loss": None if out.nce_loss is None else out.nce_loss.item(), "total": loss.item(),
               "lr_lora": optimizer.param_groups[0]["lr"], "grad_norm_lora": lora_norm,
               "grad_norm_head": head_norm, "elapsed_s": round(time.monotonic() - t0, 2)}
        record(row)
        alarms = [a for a in [monitor.on_sft_loss(step, sft_value)] if a is not None]
        if step % s.eval_every == 0 or step == s.max_steps:
            evaluate(step)
        alarms += watch(step, final=step == s.max_steps)
        if step % s.save_every == 0 and step < s.max_steps or (alarms and s.monitor.abort):
            checkpoint.save(run_dir, step, optimizer, {"monitor": monitor.state()}, model=model,
                            head=head if joint else None)
        if alarms and s.monitor.abort:
            plot_monitor(read_metrics(run_dir), run_dir / "joint.png", s.monitor, head_config,
                         title=run_dir.name)
        _handle(alarms, run_dir, s, log, tracker)
        if progress is not None:
            progress(step, s.max_steps, row)

    # 4. outputs: adapter, head, metrics, plots, DONE last
    adapter = run_dir / "adapter"
    model.save_pretrained(adapter)
    tok.save_pretrained(adapter)
    ebm_dir = None
    if joint:
        ebm_dir = save_head(head.eval(), run_dir / "ebm")
        atomic_write_json(ebm_dir / "config.json", {
            "encoder": encoder_id(model_dir, adapter, s.layer), "layer": s.layer, "model": str(model_dir),
            "adapter": str(adapter), "head": {**asdict(head_config), "hidden": list(head_config.hidden)},
            "settings": {"k_negatives": s.k_negatives, "depth_window": s.depth_window,
                         "hard_fraction": s.hard_fraction, "val_fraction": s.val_frac, "seed": s.seed},
            "trajectories": str(trajectories)}, indent=1)
    rows = read_metrics(run_dir)
    keys = (("val", "val_sft_loss"), ("val", "val_nce_loss"), ("val", "val_rank1"), ("probe", "centroid_l2"),
            ("probe", "probe_accuracy"), ("probe", "effective_rank"), ("temperature", "temperature"))
    last = {k: _last(rows, kind, k) for kind, k in keys}
    metrics = {"steps": step, "lambda_nce": s.lambda_nce, **last, "first_centroid_l2": monitor.first_centroid,
               "alarms": [asdict(a) for a in monitor.alarms], "data": data.stats, **peak_memory_mb()}
    atomic_write_json(run_dir / "metrics.json", metrics, indent=1)
    plot_monitor(rows, run_dir / "joint.png", s.monitor, head_config, title=run_dir.name)
    plot_losses(run_dir)
    tracker.close()
    mark_done(run_dir, f"steps {step}")
    return _result(run_dir)


def _handle(alarms: list[Alarm], run_dir: Path, s: JointSettings, log: Callable[[str], None],
            tracker: Tracker | None = None) -> None:
    for a in alarms:
        log(f"ALARM {a.message}")
    if alarms and s.monitor.abort:
        if tracker is not None:
            tracker.close()
        atomic_write_text(run_dir / "ABORTED", alarms[0].message + "\n")
        raise JointAbort(alarms[0].message)


def _last(rows: list[dict], kind: str, key: str):
    vals = [r[key] for r in rows if r.get("kind") == kind and r.get(key) is not None]
    return vals[-1] if vals else None


def _result(run_dir: Path) -> JointResult:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    ebm = run_dir / "ebm"
    return JointResult(run_dir, run_dir / "adapter", ebm if ebm.exists() else None, metrics["steps"], metrics,
                       tuple(Alarm(**a) for a in metrics["alarms"]))

