"""``qed`` commands. Each command: compose config, build parts, run a plain loop, report.

Every command takes trailing ``key=value`` Hydra overrides, e.g.
``qed check proof.lean env=repl env.binary=/opt/repl/.lake/build/bin/repl``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from qed.cli.config import ConfigError, load_config, to_yaml

app = typer.Typer(add_completion=False, no_args_is_help=True, help="qed: neural theorem proving in Lean 4.")
console = Console()
err = Console(stderr=True)

OVERRIDES = typer.Argument(None, help="Hydra overrides: key=value ...", show_default=False)


def _config(overrides: list[str] | None):
    try:
        return load_config(overrides)
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


@app.command("config")
def show_config(overrides: list[str] = OVERRIDES) -> None:
    """Print the resolved configuration."""
    console.print(to_yaml(_config(overrides)), markup=False)


@app.command()
def check(
    file: Path = typer.Argument(
        ..., help="A .lean file: theorem statements each followed by a tactic proof."
    ),
    overrides: list[str] = OVERRIDES,
) -> None:
    """Check tactic proofs through an environment; report the first failing tactic of each."""
    from qed.cli.check_cmd import run_check

    raise typer.Exit(run_check(file, _config(overrides), console, err))


def _mount_subcommands() -> None:
    from qed.cli.sandbox_cmd import sandbox_app

    app.add_typer(
        sandbox_app, name="sandbox", help="The built-in sandbox prover: coverage, theorem generation."
    )
    from qed.cli.data_cmd import data_app
    from qed.cli.model_cmd import model_app, serve_command, sft_command
    from qed.cli.train_cmd import train_app

    app.add_typer(model_app, name="model", help="Local models: create a tiny one, merge a LoRA adapter.")
    app.command("serve")(serve_command)
    train_app.command("sft")(sft_command)
    from qed.cli.ebm_cmd import eval_app, train_ebm_command

    train_app.command("ebm")(train_ebm_command)
    from qed.cli.joint_cmd import joint_command, joint_compare_command

    train_app.command("joint")(joint_command)
    train_app.command("joint-compare")(joint_compare_command)
    app.add_typer(eval_app, name="eval", help="Evaluation: EBM and embedding health metrics.")
    app.add_typer(train_app, name="train", help="Training stages: LoRA SFT, EBM, joint.")
    app.add_typer(data_app, name="data", help="Training data: public corpora, tracing, reports, SFT pairs.")
    from qed.cli.prove_cmd import prove_command

    app.command("prove")(prove_command)
    from qed.cli.verify_cmd import verify_command

    app.command("verify")(verify_command)
    from qed.cli.langevin_cmd import langevin_app

    app.add_typer(langevin_app, name="langevin", help="Langevin-trained energy models.")
    from qed.cli.science_cmd import science_app

    app.add_typer(science_app, name="science", help="The deep benchmark and the headroom measurement.")
    try:
        from qed.cli.lean_cmd import lean_app
    except ImportError:  # pragma: no cover - lean client not installed in this checkout
        return
    app.add_typer(lean_app, name="lean", help="Real Lean backends: replay recorded transcripts.")


@app.command()
def demo(overrides: list[str] = OVERRIDES) -> None:
    """The main job on the embedded sandbox (see README)."""
    from qed.cli.demo_cmd import run_demo

    raise typer.Exit(run_demo(list(overrides or []), console, err))


@app.command()
def iterate(
    overrides: list[str] = OVERRIDES,
    stop_after: str = typer.Option("", "--stop-after", hidden=True, help="Stop after this stage (testing)."),
) -> None:
    """Expert iteration: `qed iterate experiment=NAME` (qed/configs/experiment/NAME.yaml; docs/iterate.md)."""
    from qed.cli.iterate_cmd import iterate_main

    raise typer.Exit(iterate_main(list(overrides or []), console, err, stop_after))


_mount_subcommands()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/yellow]")
        sys.exit(130)
