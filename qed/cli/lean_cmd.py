"""``qed lean replay DIR``: check the Lean clients against recorded transcripts.

Owns the command line and the printing; the replay itself is ``qed.env.replay``.
Mounted by the lead as ``qed lean`` (``lean_app``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

lean_app = typer.Typer(no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@lean_app.callback()
def lean() -> None:
    """Real Lean backends (Pantograph, leanprover-community/repl): see docs/lean.md."""


@lean_app.command()
def replay(
    path: Path = typer.Argument(..., help="A directory of transcripts (searched recursively) or one file."),
    timeout_s: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds to wait for each reply."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print notes on partial records."),
) -> None:
    """Replay Pantograph (*.jsonl) and community-REPL (X.in + X.expected.out) transcripts through the
    client, over a real replay-server subprocess, and report every mismatch per file."""
    from qed.env.replay import replay_dir

    try:
        summary = replay_dir(path, timeout_s=timeout_s)
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    base = path if path.is_dir() else path.parent
    for report in summary.reports:
        shown = report.path.relative_to(base) if report.path.is_relative_to(base) else report.path
        name = escape(str(shown))
        if report.error is not None:
            console.print(f"[red]ERROR[/red] {name}: {escape(report.error)}")
        elif report.mismatches:
            console.print(f"[red]FAIL[/red]  {name}: {len(report.mismatches)} mismatch(es) "
                          f"in {report.exchanges} exchanges")
        else:
            console.print(f"[green]OK[/green]    {name} ({report.protocol}, {report.exchanges} exchanges"
                          f"{f', {len(report.notes)} partial-record notes' if report.notes else ''})")
        for problem in report.mismatches:
            console.print(f"        - {escape(problem)}")
        if verbose:
            for note in report.notes:
                console.print(f"        note: {escape(note)}")
    failed = [r for r in summary.reports if not r.ok]
    total = sum(r.exchanges for r in summary.reports)
    console.print(f"{len(summary.reports)} file(s), {total} exchanges, {len(failed)} with problems"
                  f"{f', {len(summary.skipped)} documentation file(s) skipped' if summary.skipped else ''}")
    if not summary.reports:
        err.print("[red]error:[/red] no transcripts found")
    raise typer.Exit(0 if summary.ok else 1)
