"""``qed train joint`` and ``qed train joint-compare``: the CLI of joint (SFT + InfoNCE) training.

Owns the commands and their reporting; settings come from ``qed.cli.build`` (``joint_settings``,
``head_options``), the monitored run under a progress bar from ``qed.cli.joint_run``. The work
happens in ``qed.train.joint``; the comparison in ``qed.cli.joint_compare``.

Using the outputs (``RUN = joint.out``): the policy is ``policy=hf policy.model=BASE
policy.adapter=RUN/adapter``; the value model is ``value=ebm search.ebm_dir=RUN/ebm
ebm.encoder.kind=hf`` (the encoder is the same backbone + adapter).
"""

from __future__ import annotations

from pathlib import Path

import typer
from omegaconf import DictConfig
from rich.console import Console

from qed.cli.build import quiet_transformers
from qed.cli.config import load_or_exit

console = Console()
err = Console(stderr=True)

OVERRIDES = typer.Argument(None, help="Hydra overrides: joint.key=value ...", show_default=False)


def inputs(cfg: DictConfig, *, need_out: bool = True) -> tuple[Path, Path, Path, Path | None]:
    j = cfg.joint
    missing = [k for k in ("model", "pairs", "trajectories", *(("out",) if need_out else ())) if not j[k]]
    if missing:
        err.print(f"[red]error:[/red] set {', '.join(f'joint.{k}=' for k in missing)} "
                  "(base model dir, SFT pairs file, trajectories.parquet, run dir)")
        raise typer.Exit(2)
    return Path(j.model), Path(j.pairs), Path(j.trajectories), Path(j.out) if j.out else None


def _setup(overrides: list[str] | None) -> DictConfig:
    import torch

    quiet_transformers()
    cfg = load_or_exit(overrides, err)
    if cfg.joint.threads > 0:
        torch.set_num_threads(cfg.joint.threads)
    return cfg


def joint_command(overrides: list[str] = OVERRIDES) -> None:
    """Joint training: SFT + lambda * InfoNCE through one LoRA adapter, monitored for embedding collapse."""
    from qed.cli.stages import joint

    cfg = _setup(overrides)
    model, pairs, trajectories, out = inputs(cfg)
    result = joint(cfg, model, pairs, trajectories, out)
    m = result.metrics
    console.print(f"steps {m['steps']}: validation SFT loss {m['val_sft_loss']}, validation InfoNCE "
                  f"{m['val_nce_loss']}, rank-1 {m['val_rank1']}, centroid_l2 {m['centroid_l2']} (first "
                  f"{m['first_centroid_l2']}), linear probe {m['probe_accuracy']}, "
                  f"temperature {m['temperature']}")
    console.print(f"policy:  policy=hf policy.model={model} policy.adapter={result.adapter}", markup=False)
    if result.ebm_dir is not None:
        console.print(f"value:   value=ebm search.ebm_dir={result.ebm_dir} ebm.encoder.kind=hf", markup=False)
    console.print(f"curves:  {out / 'joint.png'}, {out / 'loss.png'}", markup=False)


def joint_compare_command(overrides: list[str] = OVERRIDES) -> None:
    """SFT-only vs joint training from the same start, same data and steps: report.md + plots in joint.out."""
    from qed.cli.joint_compare import run_compare

    cfg = _setup(overrides)
    model, pairs, trajectories, out = inputs(cfg)
    report = run_compare(cfg, model, pairs, trajectories, out, err)
    console.print(report.read_text(encoding="utf-8"), markup=False)
    console.print(f"wrote {report}", markup=False)
