"""``qed train joint-compare``: SFT-only against joint training, from the same start, on the same data
and steps, and what each does to the representation the value model reads.

Owns the experiment and its report. Arms (both ``qed.train.joint.run_joint`` with the monitor
in record-only mode, so a collapsing arm runs to the end and its alarms are reported):

- ``sft``: ``lambda_nce = 0`` (plain completion-only SFT through the same loop and adapter);
- ``joint``: ``lambda_nce = joint.lambda_nce``.

Then for the base model (no adapter) and each arm's final adapter, used as a frozen encoder:
embedding metrics of the validation states (``qed.eval.embedding_metrics.evaluate_embeddings``:
centroid_l2, linear probe, effective rank), and EBM rank-1 of a head trained DECOUPLED on those
frozen embeddings with the same settings for every encoder (``qed.train.ebm.train_ebm`` +
``qed.eval.ebm_metrics.evaluate_ebm``, validation split); for the joint arm also the rank-1 of
its own jointly trained head. Validation SFT loss comes from the arms' logs (step 0 = base).

Writes into ``joint.out``: ``sft/``, ``joint/`` (runs), ``eval/<encoder>/`` (metrics, plots,
embedding caches, decoupled heads), ``compare.png``, ``compare.json``, ``report.md``, ``DONE``
(last). Rerunning resumes: finished pieces are re-read. Knows no model internals.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from omegaconf import DictConfig
from rich.console import Console

from qed.data.rundir import atomic_write_json, atomic_write_text, mark_done


def run_compare(cfg: DictConfig, model: Path, pairs: Path, trajectories: Path, out: Path,
                err: Console) -> Path:
    from qed.cli.build import joint_settings
    from qed.cli.joint_run import run_with_progress
    from qed.train.sft_io import read_metrics

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    # 1. the two arms, same start, same data, same steps
    runs = {}
    for arm, lam in (("sft", 0.0), ("joint", cfg.joint.lambda_nce)):
        settings = joint_settings(cfg, lambda_nce=lam, monitor={"abort": False})
        runs[arm] = run_with_progress(arm, model, pairs, trajectories, out / arm, settings, cfg)
    settings = joint_settings(cfg)

    # 2. every encoder frozen: embedding metrics and a decoupled EBM on its embeddings
    encoders = {"base": None, "sft": runs["sft"].adapter, "joint": runs["joint"].adapter}
    evals = {}
    for name, adapter in encoders.items():
        err.print(f"evaluating encoder {name}", markup=False)
        evals[name] = _evaluate_encoder(cfg, model, adapter, trajectories, out / "eval" / name, settings,
                                        joint_ebm=runs["joint"].ebm_dir if name == "joint" else None)

    # 3. the report
    logs = {arm: read_metrics(out / arm) for arm in runs}
    val0 = next(r["val_sft_loss"] for r in logs["sft"] if r["kind"] == "val" and "val_sft_loss" in r)
    table = {
        "base": {**evals["base"], "val_sft_loss": val0},
        **{arm: {**evals[arm], "val_sft_loss": runs[arm].metrics["val_sft_loss"],
                 "alarms": runs[arm].metrics["alarms"], "peak_rss_mb": runs[arm].metrics.get("peak_rss_mb")}
           for arm in runs},
    }
    _plot(logs, out / "compare.png")
    result = {"settings": {k: v for k, v in json.loads((out / "joint" / "settings.json").read_text()).items()
                           if k != "lambda_nce"},
              "lambda_nce": cfg.joint.lambda_nce, "arms": table, "data": runs["joint"].metrics["data"],
              "seconds": round(time.monotonic() - t0, 1)}
    atomic_write_json(out / "compare.json", result, indent=1)
    report = out / "report.md"
    atomic_write_text(report, _markdown(result, cfg))
    mark_done(out, time.strftime("%Y-%m-%dT%H:%M:%S"))
    return report


def _evaluate_encoder(cfg: DictConfig, model: Path, adapter: Path | None, trajectories: Path, out: Path,
                      settings, *, joint_ebm: Path | None) -> dict:
    from qed.cli.build import head_config
    from qed.eval.ebm_metrics import evaluate_ebm
    from qed.eval.embedding_metrics import evaluate_embeddings
    from qed.policy.models import load_model
    from qed.train.ebm import EbmTrainSettings, train_ebm
    from qed.train.joint import encoder_id
    from qed.value.encoder import HFEncoder

    c = cfg.joint.compare
    m, tok = load_model(model, adapter=adapter, device=settings.device, dtype="float32")
    enc = HFEncoder(m, tok, layer=settings.layer, max_length=settings.text_max_len)
    eid = encoder_id(model, adapter, settings.layer)
    cache = out / "embeddings"
    emb = evaluate_embeddings(trajectories, cache, enc, eid, enc.dim, out / "embeddings_eval", split="val",
                              val_fraction=settings.val_frac, seed=settings.seed, tsne=False)
    ebm_settings = EbmTrainSettings(k_negatives=settings.k_negatives, depth_window=settings.depth_window,
                                    hard_fraction=settings.hard_fraction, val_fraction=settings.val_frac,
                                    lr=c.ebm_lr, batch_groups=c.ebm_batch_groups, max_steps=c.ebm_steps,
                                    warmup_steps=min(50, c.ebm_steps // 10),
                                    eval_every=max(1, c.ebm_steps // 10), log_every=max(1, c.ebm_steps // 10),
                                    patience=10**6, seed=settings.seed,
                                    device="cpu")
    head = head_config(cfg, enc.dim)
    train_ebm(trajectories, out / "decoupled_ebm", cache, enc, eid, head, ebm_settings,
              console=Console(stderr=True, quiet=True))
    dec = evaluate_ebm(trajectories, out / "decoupled_ebm", cache, enc, eid, out / "decoupled_eval",
                       split="val")
    row = {"centroid_l2": emb["centroid_l2"], "linear_probe": emb["linear_probe_accuracy"],
           "effective_rank": emb["effective_rank"], "norm_gap": emb["norm_gap"], "states": emb["states"],
           "decoupled_rank1": dec["rank1"], "decoupled_rank1_depth4": dec["rank1_by_depth"]["4+"]["rank1"],
           "chance": dec["chance"], "val_groups": dec["groups"]}
    if joint_ebm is not None:
        own = evaluate_ebm(trajectories, joint_ebm, cache, enc, eid, out / "joint_head_eval", split="val")
        row |= {"joint_head_rank1": own["rank1"], "joint_head_temperature": own["temperature"],
                "joint_head_rank1_depth4": own["rank1_by_depth"]["4+"]["rank1"]}
    return row


def _plot(logs: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    panels = (("probe", "centroid_l2", "centroid_l2 (probe states)"),
              ("probe", "probe_accuracy", "linear-probe accuracy"),
              ("val", "val_sft_loss", "validation SFT loss"))
    for ax, (kind, key, title) in zip(axes, panels, strict=True):
        for arm, color in (("sft", "tab:red"), ("joint", "tab:blue")):
            pts = [(r["step"], r[key]) for r in logs[arm] if r["kind"] == kind and r.get(key) is not None]
            if pts:
                label = "SFT only" if arm == "sft" else "joint (SFT + λ·InfoNCE)"
                ax.plot(*zip(*pts, strict=True), "o-", ms=3, color=color, label=label)
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _markdown(result: dict, cfg: DictConfig) -> str:
    arms, s = result["arms"], result["settings"]
    cols = (("centroid_l2", "centroid_l2"), ("linear_probe", "linear probe"), ("effective_rank", "eff. rank"),
            ("val_sft_loss", "val SFT loss"), ("decoupled_rank1", "EBM rank-1 (decoupled head)"),
            ("decoupled_rank1_depth4", "rank-1 depth 4+"), ("joint_head_rank1", "rank-1 (joint head)"))
    lines = ["# SFT-only vs joint training", "",
             f"Same base model ({s['model']}), same data, same {s['max_steps']} steps, same seed "
             f"({s['seed']}); λ = {result['lambda_nce']} for the joint arm, 0 for SFT only. "
             f"LoRA r = {s['lora_r']}, lr LoRA {s['lr_lora']}, lr head {s['lr_head']}; SFT batch "
             f"{s['sft_batch']}, {s['groups_per_step']} groups of 1 + {s['k_negatives']} per step.", "",
             "| encoder | " + " | ".join(c[1] for c in cols) + " |",
             "|---" * (len(cols) + 1) + "|"]
    for name in ("base", "sft", "joint"):
        lines.append(f"| {name} | " + " | ".join(_fmt(arms[name].get(k)) for k, _ in cols) + " |")
    d = result["data"]
    lines += ["", f"Chance rank-1 = {_fmt(arms['base']['chance'])} ({arms['base']['val_groups']} validation "
              f"groups). Embedding metrics on {arms['base']['states']} validation states (split by theorem). "
              "Decoupled EBM: a fresh head trained on the frozen embeddings of that encoder with the same "
              f"settings ({cfg.joint.compare.ebm_steps} steps) for every row.", "",
              f"Data: SFT pairs {d['sft_pairs']}, contrastive groups {d['groups']}, probe states "
              f"{d['probe_states']}.", "", "Monitor alarms (record-only in this comparison):", ""]
    for arm in ("sft", "joint"):
        alarms = arms[arm]["alarms"]
        first = alarms[0]["message"] if alarms else "none"
        lines.append(f"- {arm}: {len(alarms)} alarm(s); first: {first}")
    lines += ["", f"Process peak RSS after each arm (cumulative, the arms share one process): sft "
              f"{_fmt(arms['sft']['peak_rss_mb'])} MiB, then joint {_fmt(arms['joint']['peak_rss_mb'])} MiB. "
              f"Total time {result['seconds']} s.", "",
              "Plots: compare.png (both arms over steps), sft/joint.png and joint/joint.png (monitor "
              "curves), eval/<encoder>/decoupled_eval/energy_hist.png.", ""]
    return "\n".join(lines)
