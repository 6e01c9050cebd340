"""``qed data sft-pairs``: turn theorems with known proofs into (theorem, state, tactic) SFT pairs.

Tracing (``qed.cli.tracing``): each theorem's proof is run through an environment with
``check_proof``, and every successful step of its trace becomes one ``SftPair`` (the full
tactic state before the step, the tactic). A theorem whose proof does not check contributes
nothing and is counted. The theorems come from a JSON Lines file in the miniF2F schema with ``proof`` (what
``qed sandbox generate`` writes), or are generated on the fly.

Knows nothing about models or training (pairs go to a file that ``qed train sft`` reads).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qed.cli.tracing import generated_theorems as _generated_theorems
from qed.cli.tracing import theorem_from_row, trace_pairs
from qed.core import Theorem
from qed.data.rundir import atomic_path
from qed.train.sft_data import SftPair, write_pairs

data_app = typer.Typer(no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _file_theorems(path: Path) -> list[Theorem]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [i + 1 for i, r in enumerate(rows) if "name" not in r or "formal_statement" not in r]
    if missing:
        raise ValueError(f"{path}: lines {missing[:5]} lack 'name' or 'formal_statement'")
    return [theorem_from_row(r) for r in rows]


@data_app.command("sft-pairs")
def sft_pairs(
    out: Path = typer.Option(..., "--out", help="Output pairs file (.jsonl or .parquet)."),
    theorems: Path = typer.Option(None, "--theorems", help="JSONL of theorems with proofs "
                                  "(from `qed sandbox generate`); default: generate --n of them."),
    n: int = typer.Option(2000, "--n", help="Theorems to generate when --theorems is not given."),
    seed: int = typer.Option(0, "--seed", help="Generator seed."),
    difficulty: int = typer.Option(2, "--difficulty", min=1, max=5),
) -> None:
    """Trace proofs through the sandbox and write one (theorem, state, tactic) pair per step."""
    from qed.env.sandbox.env import SandboxEnv

    if theorems is not None and not theorems.exists():
        err.print(f"[red]error:[/red] {escape(str(theorems))}: no such file "
                  "(make one with `qed sandbox generate --out ...`)")
        raise typer.Exit(2)
    source = _file_theorems(theorems) if theorems is not None else _generated_theorems(n, seed, difficulty)
    total = None if theorems is None else len(source)
    env = SandboxEnv()
    pairs: list[SftPair] = []
    failed: list[str] = []
    with Progress(TextColumn("tracing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err) as bar:
        task = bar.add_task("trace", total=total or n)
        for traced in trace_pairs(env, source):
            pairs.extend(traced.pairs)
            if traced.error:
                failed.append(f"{traced.theorem}: {traced.error}")
            bar.advance(task)
    with atomic_path(out) as tmp:
        count = write_pairs(pairs, tmp)
    console.print(f"wrote {count} pairs from {len({p.theorem for p in pairs})} theorems to {out} "
                  f"({len(failed)} proofs failed to trace)", markup=False)
    for f in failed[:10]:
        console.print(f"  [yellow]failed:[/yellow] {escape(str(f))}")
