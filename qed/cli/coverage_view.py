"""Render a sandbox ``CoverageReport`` for ``qed sandbox coverage``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from qed.data.benchmarks import BenchmarkError, load_benchmark
from qed.env.sandbox.coverage import coverage


def show_coverage(
    benchmark: str, *, examples: bool, json_out: Path | None, out: Console, err: Console
) -> int:
    try:
        theorems = load_benchmark(benchmark)
    except BenchmarkError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        return 2
    report = coverage(theorems)
    out.print(
        f"[bold]{escape(benchmark)}[/bold]: the sandbox accepts "
        f"[bold]{len(report.accepted)}/{report.total}[/bold] "
        f"statements; its printed initial goal equals Lean's recorded goal (whitespace-normalised) for "
        f"[bold]{report.matched}/{report.compared}[/bold] accepted statements with a recorded goal."
    )
    table = Table(title="rejected, by reason")
    table.add_column("n", justify="right")
    table.add_column("reason")
    if examples:
        table.add_column("example")
    for r in report.rejected:
        row = [str(len(r.names)), Text(r.category)]
        if examples:
            row.append(Text(f"{r.names[0]}: {r.example}"))
        table.add_row(*row)
    out.print(table)
    if report.mismatched:
        out.print(f"goal mismatches: {', '.join(report.mismatched[:20])}", markup=False)
    if json_out is not None:
        json_out.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=1), encoding="utf-8")
        out.print(f"wrote {json_out}", markup=False)
    return 0
