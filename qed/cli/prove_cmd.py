"""``qed prove BENCHMARK [overrides]``: best-first search over a benchmark into a resumable run.

Owns the command: compose config, load the benchmark, and run the search stage
(``qed.cli.stages.search``: parts from the composition root, ``qed.eval.prove.run_prove``
with a live progress bar, the summary table; for ``--compare llm-only`` alpha = 0 without a
value function beside the configured search at the same budget). ``policy=NAME``,
``value=NAME`` and ``search=NAME`` pick config group files in ``qed/configs/``
(``policy.kind``, ``search.value``, ``search.algorithm``).

Run directory ``<search.runs_dir>/<name>``: ``config.yaml`` (resolved config, git revision
in its opening comment), then the files of ``qed.eval.prove`` (or one subdirectory per arm
with ``--compare``, plus ``compare.json``), ``DONE`` last. On ``env=repl``/``env=pantograph``
every found proof is then re-checked as a whole file with ``#print axioms`` (``qed verify``):
``verify.json`` and a ``verified`` column beside ``proved``. Rerunning the same command
resumes; rerunning with different search settings is refused.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from qed.cli.config import ConfigError, load_config

console = Console()
err = Console(stderr=True)

OVERRIDES = typer.Argument(
    None,
    help="Hydra overrides: key=value ... (policy=scripted, value=ebm, "
    "env=sandbox, search.max_expansions=200)",
    show_default=False,
)


def prove_command(
    benchmark: str = typer.Argument(..., help="A shipped benchmark name (minif2f_v1) or a JSONL file."),
    overrides: list[str] = OVERRIDES,
    name: str = typer.Option(
        "", "--name", help="Run name (default prove_<benchmark>); resumes if it exists."
    ),
    compare: str = typer.Option(
        "", "--compare", help="'llm-only': also run alpha=0 without a value function."
    ),
    split: str = typer.Option("", "--split", help="Only theorems of this split (valid, test)."),
    limit: int = typer.Option(0, "--limit", help="Only the first N theorems (0 = all)."),
    stop_after: int = typer.Option(
        0, "--stop-after", hidden=True, help="Stop after N new theorems (testing)."
    ),
) -> None:
    """Best-first proof search over a benchmark; writes results, trajectories, proofs, summary."""
    from qed.cli.build import BuildError
    from qed.cli.stages import search
    from qed.data.benchmarks import BenchmarkError, load_benchmark
    from qed.eval.prove import RunError

    if compare not in ("", "llm-only"):
        err.print(f"[red]error:[/red] --compare accepts only 'llm-only', got '{escape(compare)}'")
        raise typer.Exit(2)
    try:
        cfg = load_config(list(overrides or []))
        theorems = load_benchmark(benchmark, split=split or None)
    except (ConfigError, BenchmarkError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    theorems = theorems[:limit] if limit > 0 else theorems
    root = Path(cfg.search.runs_dir) / (name or f"prove_{Path(benchmark).name.removesuffix('.jsonl')}")
    try:
        summaries = search(cfg, theorems, root, compare=bool(compare), benchmark=benchmark,
                           stop_after=stop_after or None)
    except (BuildError, ConfigError, RunError, ValueError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    if not summaries:
        err.print(f"stopped after {stop_after} theorems; rerun the command to resume", markup=False)
        raise typer.Exit(3)
    if cfg.env.kind in ("repl", "pantograph"):  # tactic mode is not proof: re-check every proof as a file
        from qed.cli.lean_build import verify_run
        from qed.cli.prove_view import verified_table

        for arm, summary in summaries.items():
            table = verify_run(cfg, root / arm if arm else root)
            if table is not None:
                title = f"{arm or 'prove'}: whole-file check + #print axioms"
                console.print(verified_table(title, summary, table))
    console.print(f"wrote {root}", markup=False)
