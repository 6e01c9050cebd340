"""``qed train joint`` and ``qed train joint-compare``: the CLI of joint (SFT + InfoNCE) training.

Owns turning the ``joint.*`` config (qed/cli/schema_joint.py) and ``ebm.head`` into plain
``JointSettings`` / head options, the separation probe the monitor uses (centroid_l2 and the
GroupKFold linear probe of ``qed.eval.embedding_metrics``: the training library may not import
``qed.eval``, so the CLI injects them), a progress bar, and reporting. The work happens in
``qed.train.joint``; the comparison in ``qed.cli.joint_compare``.

Using the outputs (``RUN = joint.out``): the policy is ``policy=hf policy.model=BASE
policy.adapter=RUN/adapter``; the value model is ``value=ebm search.ebm_dir=RUN/ebm
ebm.encoder.kind=hf`` (the encoder is the same backbone + adapter).
"""

from __future__ import annotations

from pathlib import Path

import typer
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qed.data.rundir import atomic_write_text

console = Console()
err = Console(stderr=True)

OVERRIDES = typer.Argument(None, help="Hydra overrides: joint.key=value ...", show_default=False)


def separation_probe(folds: int):
    """The ``SeparationProbe`` of the monitor: (centroid_l2, linear-probe accuracy)."""
    from qed.eval.embedding_metrics import centroid_l2, linear_probe_accuracy

    def probe(X, y, groups):
        return centroid_l2(X, y), linear_probe_accuracy(X, y, groups, folds=folds)

    return probe


def joint_settings(cfg: DictConfig, **changes):
    """``JointSettings`` from ``cfg.joint`` (``changes`` replace fields, ``monitor`` a dict of fields)."""
    from qed.cli.schema_from import settings
    from qed.train.settings import JointSettings, MonitorSettings

    monitor = settings(MonitorSettings, cfg.joint.monitor, **changes.pop("monitor", {}))
    return settings(JointSettings, cfg.joint, monitor=monitor, **changes)


def head_config(cfg: DictConfig, dim: int):
    """The energy head's ``HeadConfig`` from ``ebm.head`` for an encoder of width ``dim``."""
    from qed.cli.schema_from import settings
    from qed.value.settings import HeadConfig

    return settings(HeadConfig, cfg.ebm.head, dim=dim)


def head_options(cfg: DictConfig) -> dict:
    """``HeadConfig`` fields except ``dim`` (``run_joint`` sets it to the model's hidden size)."""
    from dataclasses import asdict

    options = asdict(head_config(cfg, 1))
    del options["dim"]
    return options


def inputs(cfg: DictConfig, *, need_out: bool = True) -> tuple[Path, Path, Path, Path | None]:
    j = cfg.joint
    missing = [k for k in ("model", "pairs", "trajectories", *(("out",) if need_out else ())) if not j[k]]
    if missing:
        err.print(f"[red]error:[/red] set {', '.join(f'joint.{k}=' for k in missing)} "
                  "(base model dir, SFT pairs file, trajectories.parquet, run dir)")
        raise typer.Exit(2)
    return Path(j.model), Path(j.pairs), Path(j.trajectories), Path(j.out) if j.out else None


def run_with_progress(label: str, model: Path, pairs: Path, trajectories: Path, out: Path, settings,
                      cfg: DictConfig):
    """``run_joint`` under a rich progress bar; alarms and data errors exit 3 and 2."""
    from qed.policy.models import ModelNotFound
    from qed.train.joint import JointAbort, run_joint
    from qed.train.joint_data import JointDataError
    from qed.train.sft_data import SftDataError

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task(label, total=settings.max_steps, info="")

        def progress(step: int, total: int, row: dict) -> None:
            nce = "" if row["nce_loss"] is None else f" nce {row['nce_loss']:.3f}"
            bar.update(task, completed=step, info=f"sft {row['sft_loss']:.3f}{nce}")

        try:
            probe = separation_probe(cfg.joint.probe_folds)
            return run_joint(model, pairs, trajectories, out, settings, probe, head_options=head_options(cfg),
                             progress=progress, log=bar.console.print)
        except JointAbort as exc:
            err.print(f"[red]aborted by the monitor:[/red] {exc}\ncurves: {out / 'joint.png'}")
            raise typer.Exit(3) from exc
        except (ModelNotFound, SftDataError, JointDataError, ValueError) as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc


def _setup(overrides: list[str] | None) -> DictConfig:
    import torch

    from qed.cli.main import _config
    from qed.cli.model_cmd import _quiet_transformers

    _quiet_transformers()
    cfg = _config(overrides)
    if cfg.joint.threads > 0:
        torch.set_num_threads(cfg.joint.threads)
    return cfg


def joint_command(overrides: list[str] = OVERRIDES) -> None:
    """Joint training: SFT + lambda * InfoNCE through one LoRA adapter, monitored for embedding collapse."""
    cfg = _setup(overrides)
    model, pairs, trajectories, out = inputs(cfg)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "resolved_config.yaml", OmegaConf.to_yaml(cfg.joint, resolve=True))
    result = run_with_progress("joint", model, pairs, trajectories, out, joint_settings(cfg), cfg)
    m = result.metrics
    console.print(f"steps {m['steps']}: validation SFT loss {m['val_sft_loss']}, validation InfoNCE "
                  f"{m['val_nce_loss']}, rank-1 {m['val_rank1']}, centroid_l2 {m['centroid_l2']} (first "
                  f"{m['first_centroid_l2']}), linear probe {m['probe_accuracy']}, "
                  f"temperature {m['temperature']}")
    console.print(f"policy:  policy=hf policy.model={model} policy.adapter={result.adapter}")
    if result.ebm_dir is not None:
        console.print(f"value:   value=ebm search.ebm_dir={result.ebm_dir} ebm.encoder.kind=hf")
    console.print(f"curves:  {out / 'joint.png'}, {out / 'loss.png'}")


def joint_compare_command(overrides: list[str] = OVERRIDES) -> None:
    """SFT-only vs joint training from the same start, same data and steps: report.md + plots in joint.out."""
    from qed.cli.joint_compare import run_compare

    cfg = _setup(overrides)
    model, pairs, trajectories, out = inputs(cfg)
    report = run_compare(cfg, model, pairs, trajectories, out, err)
    console.print(report.read_text(encoding="utf-8"), markup=False)
    console.print(f"wrote {report}")
