"""``qed langevin train|tactics``: the Langevin track's stage entry points, and the proposer loader.

Owns the commands (compose config, build parts, run a plain loop, write outputs):

- ``qed langevin train [method=ebt|cd|ired] [training.epochs=N] [ebt.steps=K] ...``: the image
  prototype, ``E(image, class)`` with a small CNN on scikit-learn's 8x8 digits (or MNIST
  IDX files with ``data=mnist mnist_dir=DIR``). Writes ``<out>/<data>_<method>/``:
  ``energy.safetensors``/``energy.json`` (after every epoch: a rerun resumes from the last
  finished epoch with a fresh optimiser), ``metrics.jsonl`` (one line per epoch),
  ``samples.png`` (one column per class), ``curves.png``, ``metrics.json`` and ``DONE``.
- ``qed langevin tactics [tactics.method=cd] ...``: the language track. Traces generated
  sandbox proofs into (state, tactic) pairs, trains a ``PairEnergy`` over hashing-encoder
  embeddings, and measures on held-out theorems how often the Langevin proposer's
  candidates contain the traced tactic, and how many Langevin steps each problem's root
  state took (per difficulty). Writes ``<tactics.dir or <out>/tactics>/``: the network,
  ``library.json``, ``metrics.json``, ``steps.jsonl``, ``steps.png``, ``DONE``.

``qed.cli.build.load_proposer(cfg)`` is what ``qed prove policy=langevin`` builds. Overrides may omit the
``langevin.`` prefix. Knows nothing about how the trainers or the sampler work inside.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qed.cli.build import proposer_config
from qed.cli.schema_langevin import LangevinSection
from qed.data.rundir import atomic_write_json, atomic_write_text, is_done, mark_done

langevin_app = typer.Typer(no_args_is_help=True, add_completion=False)
console = Console()
err = Console(stderr=True)
OVERRIDES = typer.Argument(
    None, help="overrides: method=cd training.epochs=5 ebt.steps=20 ...", show_default=False
)
_SECTION_KEYS = set(LangevinSection.__dataclass_fields__)


def _config(overrides: list[str] | None) -> DictConfig:
    from qed.cli.config import load_or_exit as load

    fixed = []
    for o in overrides or []:
        key = o.lstrip("+~").split("=", 1)[0].split(".", 1)[0]
        fixed.append(o.replace(key, f"langevin.{key}", 1) if key in _SECTION_KEYS else o)
    return load(fixed)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err,
    )


def build_trainer(lc: DictConfig):
    """The configured image trainer and the number of noise levels its network needs."""
    from qed.langevin.ired import IredTrainer, geometric_sigmas
    from qed.langevin.sampler import LangevinConfig, Prior
    from qed.langevin.trainers import CdTrainer, EbtTrainer

    match lc.method:
        case "ebt" | "cd":
            m = lc[lc.method]
            sampler = LangevinConfig(
                steps=m.steps, step_size=m.step_size, grad_clamp=m.grad_clamp or None, noise=m.noise
            )
            if lc.method == "ebt":
                return EbtTrainer(sampler, Prior()), 1
            return CdTrainer(sampler, Prior(), reg=m.reg), 1
        case "ired":
            m = lc.ired
            sigmas = geometric_sigmas(m.sigma_min, m.sigma_max, m.levels)
            return IredTrainer(sigmas, m.contrast, m.neg_scale, m.refine_steps, m.refine_step), m.levels
        case other:
            raise typer.BadParameter(f"unknown langevin.method '{other}': expected ebt, cd or ired")


def _load_images(lc: DictConfig):
    from qed.langevin.images import load_digits_data, load_mnist

    match lc.data:
        case "digits":
            return load_digits_data(test_fraction=lc.training.test_fraction, seed=lc.seed)
        case "mnist":
            if not lc.mnist_dir:
                raise typer.BadParameter("data=mnist needs mnist_dir=DIR (MNIST's four IDX files)")
            return load_mnist(lc.mnist_dir, limit=lc.mnist_limit)
        case other:
            raise typer.BadParameter(f"unknown langevin.data '{other}': expected digits or mnist")


def _curves(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    epochs = [r["epoch"] for r in rows]
    a.plot(epochs, [r["loss"] for r in rows])
    a.set(xlabel="epoch", ylabel="training loss", title=title)
    b.plot(epochs, [r["test_accuracy"] for r in rows])
    b.set(xlabel="epoch", ylabel="test accuracy (argmin energy)", ylim=(0, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@langevin_app.command("train")
def train_command(overrides: list[str] = OVERRIDES) -> None:
    """Train E(image, class) by EBT, CD or IRED; sample grid, classification-by-energy accuracy."""
    import torch

    from qed.langevin.images import energy_accuracy, save_grid
    from qed.langevin.models import EnergyConfig, build_energy, load_energy, save_energy
    from qed.langevin.trainers import train_step

    cfg = _config(overrides)
    lc, tc = cfg.langevin, cfg.langevin.training
    try:
        trainer, levels = build_trainer(lc)
        data = _load_images(lc)
    except (typer.BadParameter, FileNotFoundError, ValueError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    out = Path(lc.out) / f"{data.name}_{lc.method}"
    out.mkdir(parents=True, exist_ok=True)
    if is_done(out):
        console.print(
            f"{out} is complete: {(out / 'metrics.json').read_text(encoding='utf-8')}", markup=False
        )
        return
    atomic_write_text(out / "config.yaml", OmegaConf.to_yaml(lc))
    torch.manual_seed(lc.seed)
    model = build_energy(
        EnergyConfig("image", data.shape[0], classes=data.classes, levels=levels, width=tc.width)
    )
    rows: list[dict] = []
    if (out / "energy.json").exists() and (out / "metrics.jsonl").exists():
        model, extra = load_energy(out)
        lines = (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines[: extra.get("epoch", 0)]]
        atomic_write_text(out / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
        console.print(f"resuming {out} after epoch {len(rows)}", markup=False)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr)
    gen = torch.Generator().manual_seed(lc.seed + len(rows))
    n = len(data.train_y)
    batches = -(-n // tc.batch_size)
    started = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task(
            escape(f"{lc.method} {data.name}"), total=tc.epochs * batches, info="",
            completed=len(rows) * batches
        )
        for epoch in range(len(rows) + 1, tc.epochs + 1):
            perm = torch.randperm(n, generator=gen)
            losses = []
            for i in range(0, n, tc.batch_size):
                idx = perm[i : i + tc.batch_size]
                metrics = train_step(model, trainer, opt, data.train_x[idx], data.train_y[idx], gen)
                losses.append(metrics["loss"])
                bar.update(task, advance=1, info=f"epoch {epoch} loss {metrics['loss']:.4f}")
            acc = energy_accuracy(model, data.test_x, data.test_y, data.classes)
            row = {
                "epoch": epoch,
                "loss": sum(losses) / len(losses),
                "test_accuracy": acc,
                "seconds": time.perf_counter() - started,
                **{f"last_{k}": v for k, v in metrics.items()},
            }
            rows.append(row)
            save_energy(model, out, {"epoch": epoch, "method": lc.method})
            with (out / "metrics.jsonl").open("a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
            bar.update(task, info=f"epoch {epoch} loss {row['loss']:.4f} acc {acc:.3f}")
    labels = torch.arange(data.classes).repeat(tc.sample_rows)
    sample = trainer.sample(model, labels, (len(labels), *data.shape), torch.Generator().manual_seed(lc.seed))
    save_grid(
        sample.x, out / "samples.png", rows=tc.sample_rows, title=f"{lc.method} samples (column = class)"
    )
    centroids = torch.stack([data.train_x[data.train_y == c].mean(0) for c in range(data.classes)])
    nearest = ((sample.x.unsqueeze(1) - centroids.unsqueeze(0)) ** 2).flatten(2).sum(-1).argmin(1)
    _curves(rows, out / "curves.png", f"{lc.method} on {data.name}")
    final = {
        "method": lc.method,
        "data": data.name,
        "epochs": len(rows),
        "test_accuracy": rows[-1]["test_accuracy"] if rows else float("nan"),
        "best_test_accuracy": max((r["test_accuracy"] for r in rows), default=float("nan")),
        "sample_centroid_accuracy": float((nearest == labels).float().mean()),
        "sample_steps": int(sample.steps.max()),
        "train_seconds": rows[-1]["seconds"] if rows else 0.0,
    }
    atomic_write_json(out / "metrics.json", final)
    mark_done(out)
    console.print(_table(f"{lc.method} on {data.name}: {out}", final))


def _table(title: str, values: dict) -> Table:
    table = Table(title=escape(title))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in values.items():
        table.add_row(escape(k), escape(f"{v:.3f}" if isinstance(v, float) else str(v)))
    return table


def sandbox_pairs(n: int, seed: int, difficulties) -> list[tuple[str, int, list[tuple[str, str]]]]:
    """(name, difficulty, traced (state, tactic) pairs) of ``n`` generated theorems per difficulty."""
    from qed.core import Theorem
    from qed.env.check import check_proof
    from qed.env.sandbox.env import SandboxEnv
    from qed.env.sandbox.generate import generate

    env, out = SandboxEnv(), []
    for d in difficulties:
        for item in generate(n, seed=seed, difficulty=d):
            r = item.row
            trace = check_proof(
                env, Theorem(r["name"], r["formal_statement"], header=r["header"]), r["proof"]
            ).trace
            out.append((r["name"], d, [(s.state, s.tactic) for s in trace]))
    return out


def _encoder(t: DictConfig):
    from qed.value.hashing_encoder import HashingEncoder

    return HashingEncoder(t.dim), {"kind": "hashing", "dim": t.dim}


def _steps_plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    for d in sorted({r["difficulty"] for r in rows}):
        ys = [r["steps"] for r in rows if r["difficulty"] == d]
        ax.scatter([d] * len(ys), ys, alpha=0.4)
        ax.plot([d - 0.2, d + 0.2], [sum(ys) / len(ys)] * 2, color="black")
    ax.set(xlabel="difficulty", ylabel="Langevin steps (root state)", title="compute per problem")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@langevin_app.command("tactics")
def tactics_command(overrides: list[str] = OVERRIDES) -> None:
    """Train a (state, tactic) energy on traced sandbox proofs; measure the Langevin proposer."""
    from qed.langevin.proposer import LangevinProposer, TacticLibrary
    from qed.langevin.tactics import TacticTraining, proposal_metrics, save_tactic_run, train_tactic_energy

    cfg = _config(overrides)
    t = cfg.langevin.tactics
    out = Path(t.dir or Path(cfg.langevin.out) / "tactics")
    started = time.perf_counter()
    train = sandbox_pairs(t.theorems, t.seed, t.difficulties)
    test = sandbox_pairs(t.test_theorems, t.seed + 1000, t.difficulties)
    pairs = [p for _, _, ps in train for p in ps]
    console.print(
        f"traced {len(train)} theorems into {len(pairs)} pairs ({time.perf_counter() - started:.1f} s)"
    )
    encoder, enc_meta = _encoder(t)
    settings = TacticTraining(
        t.method,
        t.width,
        t.train_steps,
        t.batch_size,
        t.lr,
        t.langevin_steps,
        t.step_size,
        t.noise,
        t.reg,
        t.ired_levels,
        t.ired_sigma_min,
        t.ired_sigma_max,
        cfg.langevin.seed,
    )
    with _progress() as bar:
        task = bar.add_task(escape(f"tactic energy ({t.method})"), total=t.train_steps, info="")

        def tick(step: int, m: dict) -> None:
            bar.update(task, advance=1, info=f"loss {m['loss']:.4f}")

        try:
            model = train_tactic_energy(pairs, encoder, t.dim, settings, on_step=tick)
        except ValueError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
    library = TacticLibrary.build([tac for _, tac in pairs], encoder)
    save_tactic_run(out, model, library, enc_meta)
    proposer = LangevinProposer(model, encoder, library, proposer_config(t))
    metrics = proposal_metrics(proposer, [p for _, _, ps in test for p in ps], 8)
    from qed.core import Query, Theorem

    rows = []
    for name, d, ps in test:
        if ps:
            (p,) = proposer.propose_detailed([Query(Theorem(name, ""), ps[0][0])], 8)
            rows.append(
                {
                    "name": name,
                    "difficulty": d,
                    "steps": p.steps,
                    "energy_drop": p.energy_drop,
                    "proof_length": len(ps),
                }
            )
    atomic_write_text(out / "steps.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    _steps_plot(rows, out / "steps.png")
    by_d = {
        d: [r["steps"] for r in rows if r["difficulty"] == d] for d in sorted({r["difficulty"] for r in rows})
    }
    metrics.update(
        method=t.method,
        library=len(library),
        train_pairs=len(pairs),
        steps_by_difficulty={str(d): sum(v) / len(v) for d, v in by_d.items()},
        seconds=time.perf_counter() - started,
    )
    atomic_write_json(out / "metrics.json", metrics)
    mark_done(out)
    console.print(_table(f"Langevin proposer ({t.method}) on held-out sandbox pairs: {out}", metrics))
