"""A joint-training run under a progress bar, with the separation probe its monitor uses.

The probe is centroid_l2 and the GroupKFold linear probe of ``qed.eval.embedding_metrics``: the
training library may not import ``qed.eval``, so the CLI injects them. Used by ``qed train
joint`` and ``qed train joint-compare``; imports no command module.
"""

from __future__ import annotations

from pathlib import Path

import typer
from omegaconf import DictConfig
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qed.cli.build import head_options

err = Console(stderr=True)


def separation_probe(folds: int):
    """The ``SeparationProbe`` of the monitor: (centroid_l2, linear-probe accuracy)."""
    from qed.eval.embedding_metrics import centroid_l2, linear_probe_accuracy

    def probe(X, y, groups):
        return centroid_l2(X, y), linear_probe_accuracy(X, y, groups, folds=folds)

    return probe


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
                             progress=progress,
                             log=lambda line: bar.console.print(line, markup=False, highlight=False))
        except JointAbort as exc:
            err.print(
                f"[red]aborted by the monitor:[/red] {escape(str(exc))}\n"
                f"curves: {escape(str(out / 'joint.png'))}"
            )
            raise typer.Exit(3) from exc
        except (ModelNotFound, SftDataError, JointDataError, ValueError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc


