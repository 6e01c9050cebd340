"""``qed train ebm``, ``qed eval ebm`` and ``qed eval embeddings``.

Owns turning the ``ebm.*`` config into plain objects (encoder, head config, settings, paths)
and reporting; the work happens in ``qed.train.ebm``, ``qed.eval.ebm_metrics`` and
``qed.eval.embedding_metrics``. Exposes ``train_ebm_command`` (mounted on the shared
``qed train`` app by ``qed/cli/main.py``) and ``eval_app`` (commands ``ebm``, ``embeddings``).

Paths: ``<ebm.run>/iter_<ebm.iteration>/`` holds ``trajectories.parquet`` (or
``ebm.trajectories``), ``embeddings/`` (the cache), ``ebm/`` (head, metrics, DONE) and
``eval/ebm/``, ``eval/embeddings/`` (metrics.json and PNGs).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer
from omegaconf import DictConfig
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from qed.cli.build import BuildError
from qed.cli.config import load_or_exit
from qed.data.rundir import is_done

eval_app = typer.Typer(no_args_is_help=True, help="Evaluation: EBM and embedding health metrics.")
console = Console()
err = Console(stderr=True)

OVERRIDES = typer.Argument(None, help="Hydra overrides: key=value ...", show_default=False)
RUN = typer.Option(None, "--run", help="Run directory (default ebm.run).")
ITER = typer.Option(
    None, "--iter", help="Iteration k: files live in <run>/iter_<k>/ (default ebm.iteration)."
)
TRAJ = typer.Option(
    None, "--trajectories", help="Trajectory Parquet (default <run>/iter_<k>/trajectories.parquet)."
)


def _paths(cfg: DictConfig, run: Path | None, iteration: int | None, trajectories: Path | None):
    it_dir = Path(run or cfg.ebm.run) / f"iter_{cfg.ebm.iteration if iteration is None else iteration}"
    traj = trajectories or (
        Path(cfg.ebm.trajectories) if cfg.ebm.trajectories else it_dir / "trajectories.parquet"
    )
    return it_dir, traj


def _load(overrides: list[str] | None) -> DictConfig:
    return load_or_exit(overrides, err)


def train_ebm_command(
    run: Path = RUN,
    iteration: int = ITER,
    trajectories: Path = TRAJ,
    synthetic: bool = typer.Option(
        False,
        "--synthetic",
        help="Write planted-signal trees (ebm.synthetic.*) "
        "to the trajectory path first, if it does not exist.",
    ),
    force: bool = typer.Option(False, "--force", help="Discard an existing ebm/ (finished or not)."),
    overrides: list[str] = OVERRIDES,
) -> None:
    """Train the energy head on frozen, cached embeddings (InfoNCE; resumable; DONE marker last)."""
    from qed.cli.stages import embed_and_train_ebm
    from qed.data.trajectory import TrajectoryError
    from qed.train.ebm import EbmTrainingError, TemperatureAbort
    from qed.value.cache import EmbeddingCacheError

    cfg = _load(overrides)
    it_dir, traj = _paths(cfg, run, iteration, trajectories)
    if synthetic and not traj.exists():
        _write_synthetic(cfg, traj)
    out = it_dir / "ebm"
    if force and out.exists():
        shutil.rmtree(out)
    try:
        result = embed_and_train_ebm(cfg, traj, it_dir)
    except TemperatureAbort as exc:
        err.print(f"[red]aborted:[/red] {escape(str(exc))}")
        raise typer.Exit(3) from exc
    except (TrajectoryError, EbmTrainingError, EmbeddingCacheError, BuildError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    m = result.metrics
    if result.already_done:
        console.print(f"{out} is already finished (DONE present); --force retrains", markup=False)
    table = Table(title=f"EBM training: {escape(str(out))}")
    for col in ("split", "groups", "rank-1", "chance"):
        table.add_column(col, justify="right")
    table.add_row("train", str(m["groups"]["train"]), f"{m['train_rank1']:.3f}", f"{m['chance']:.3f}")
    table.add_row("val", str(m["groups"]["val"]), f"{m['val_rank1']:.3f}", f"{m['chance']:.3f}")
    console.print(table)
    console.print(
        f"best step {m['best_step']} of {m['steps']} ({m['stopped']}), temperature "
        f"{m['temperature']:.3f}, {m['seconds']:.1f} s. Plot: {out / 'loss.png'}", markup=False
    )


def _write_synthetic(cfg: DictConfig, traj: Path) -> None:
    from qed.cli.schema_from import settings
    from qed.data.synthetic import SyntheticSpec, synthetic_trajectories
    from qed.data.trajectory import write_trajectories

    spec = settings(SyntheticSpec, cfg.ebm.synthetic)
    rows = synthetic_trajectories(spec)
    write_trajectories(traj, rows)
    err.print(
        f"wrote {len(rows)} synthetic rows ({spec.theorems} theorems, signal {spec.signal}) to {traj}",
        markup=False,
    )


@eval_app.command("ebm")
def eval_ebm_command(
    run: Path = RUN,
    iteration: int = ITER,
    trajectories: Path = TRAJ,
    split: str = typer.Option("val", "--split", help="val (held out), train or all."),
    overrides: list[str] = OVERRIDES,
) -> None:
    """EBM metrics of <run>/iter_<k>/ebm: rank-1 by depth, energy gap, sibling discrimination, dead units."""
    from qed.cli.stages import evaluate_ebm
    from qed.data.trajectory import TrajectoryError

    cfg = _load(overrides)
    it_dir, traj = _paths(cfg, run, iteration, trajectories)
    ebm_dir = it_dir / "ebm"
    if not is_done(ebm_dir):
        err.print(
            f"[red]error:[/red] {escape(str(ebm_dir))} has no finished head (no DONE); "
            "run `qed train ebm` first"
        )
        raise typer.Exit(2)
    try:
        m = evaluate_ebm(cfg, traj, it_dir, split=split)
    except (TrajectoryError, ValueError, FileNotFoundError) as exc:  # BuildError is a ValueError
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    table = Table(title=escape(f"EBM metrics ({split} split, {m['groups']} groups)"))
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("rank-1", f"{m['rank1']:.3f} (chance {m['chance']:.3f})")
    for b, v in m["rank1_by_depth"].items():
        table.add_row(f"rank-1 depth {b}", "-" if v["rank1"] is None else f"{v['rank1']:.3f} ({v['groups']})")
    table.add_row("energy gap", f"{m['energy_gap']:.3f}")
    sd = m["sibling_discrimination"]
    table.add_row("sibling discrimination", "-" if sd is None else f"{sd:.3f}")
    table.add_row("active-unit ratio", f"{m['active_unit_ratio']:.3f}")
    table.add_row("temperature", f"{m['temperature']:.3f}")
    console.print(table)
    console.print(f"wrote {it_dir / 'eval' / 'ebm'}/metrics.json, energy_hist.png", markup=False)


@eval_app.command("embeddings")
def eval_embeddings_command(
    run: Path = RUN,
    iteration: int = ITER,
    trajectories: Path = TRAJ,
    split: str = typer.Option("all", "--split", help="all, train or val (split as ebm.train sets it)."),
    tsne: bool = typer.Option(True, "--tsne/--no-tsne", help="Also draw the t-SNE plot (slowest part)."),
    max_states: int = typer.Option(5000, "--max-states", help="Sample at most this many labelled states."),
    overrides: list[str] = OVERRIDES,
) -> None:
    """Embedding health: centroid_l2, linear probe, norm gap, sibling_l2, spectrum, depth clustering."""
    from qed.cli.stages import evaluate_embeddings
    from qed.data.trajectory import TrajectoryError

    cfg = _load(overrides)
    it_dir, traj = _paths(cfg, run, iteration, trajectories)
    out = it_dir / "eval" / "embeddings"
    try:
        m = evaluate_embeddings(cfg, traj, it_dir, tsne=tsne, max_states=max_states, split=split)
    except (TrajectoryError, ValueError) as exc:  # BuildError is a ValueError
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    shown = {k: v for k, v in m.items() if k not in ("depth_clustering", "top_eigenvalues")}
    title = f"embedding metrics ({split}, {m['states']} states, {m['positives']} positive)"
    table = Table(title=escape(title))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in shown.items():
        table.add_row(escape(k), escape(f"{v:.3f}" if isinstance(v, float) else str(v)))
    console.print(table)
    console.print("depth clustering: " + json.dumps(m["depth_clustering"]), markup=False)
    console.print(f"wrote {out}/metrics.json and plots", markup=False)
