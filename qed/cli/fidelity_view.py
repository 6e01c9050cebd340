"""Run and render ``qed sandbox fidelity``: real proofs through the sandbox, failures by cause.

Every piece of record text (names, tactics, Lean messages) reaches Rich as ``Text`` or
escaped, never as markup: ``rw [h]`` prints whole.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from qed.env.sandbox.fidelity import FidelityReport, InvalidRecord, fidelity

MAX_SHOWN_INVALID = 10
EXAMPLE_CHARS = 160


def run_fidelity(
    file: Path,
    *,
    json_out: bool,
    records: bool,
    limit: int | None,
    tactic_timeout_s: float,
    proof_timeout_s: float,
    top: int,
    out: Console,
    err: Console,
) -> int:
    """Exit code: 0 when it ran (whatever the share), 2 for unusable input."""
    try:
        size = file.stat().st_size
        fh = file.open(encoding="utf-8", errors="strict")
    except OSError as exc:
        err.print(Text(f"error: cannot read {file}: {exc}", style="red"), soft_wrap=True)
        return 2
    try:
        with fh, _progress(err, size) as (bar, task):
            def advance(item) -> None:
                if bar is not None:
                    line = item.line if isinstance(item, InvalidRecord) else item.record_line
                    bar.update(task, completed=_tell(fh, size), records=line)

            report = fidelity(
                fh,
                source=str(file),
                limit=limit,
                tactic_timeout_s=tactic_timeout_s,
                proof_timeout_s=proof_timeout_s,
                keep_outcomes=records,
                on_item=advance,
            )
    except UnicodeDecodeError as exc:
        err.print(Text(f"error: {file} is not UTF-8 text: {exc}", style="red"), soft_wrap=True)
        return 2
    for bad in report.invalid[:MAX_SHOWN_INVALID]:
        err.print(Text(f"skipped line {bad.line}: {bad.message}", style="yellow"))
    if len(report.invalid) > MAX_SHOWN_INVALID:
        more = len(report.invalid) - MAX_SHOWN_INVALID
        err.print(Text(f"… and {more} more unusable lines", style="yellow"))
    if report.records == 0:
        why = "no usable record" if report.invalid else "no record"
        hint = "see docs/sandbox.md, 'Fidelity', for the schemas"
        err.print(Text(f"error: {file}: {why} ({hint})", style="red"), soft_wrap=True)
        return 2
    if json_out:
        out.file.write(json.dumps(report.to_json(records=records), ensure_ascii=False, indent=1) + "\n")
    else:
        show_report(report, out, top=top)
    return 0


def _tell(fh, size: int) -> int:
    try:
        return min(fh.buffer.tell(), size)
    except (OSError, ValueError, AttributeError):
        return 0


class _progress:
    """A byte-based progress bar on ``err`` when it is a terminal; ``(None, None)`` otherwise."""

    def __init__(self, err: Console, size: int):
        self.bar = None
        if err.is_terminal:
            self.bar = Progress(
                TextColumn("fidelity"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("line {task.fields[records]}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
        self.size = size

    def __enter__(self):
        if self.bar is None:
            return None, None
        self.bar.__enter__()
        return self.bar, self.bar.add_task("fidelity", total=self.size or None, records=0)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _clip(text: str, n: int = EXAMPLE_CHARS) -> str:
    one = " ⏎ ".join(line.strip() for line in text.strip().splitlines())
    return one if len(one) <= n else one[: n - 1] + "…"


def show_report(report: FidelityReport, out: Console, *, top: int = 30) -> None:
    """The headline, the per-kind summary, failures by cause and rejections by reason."""
    head = Text()
    head.append(report.source, style="bold")
    read = report.records + len(report.invalid)
    unusable = f" ({len(report.invalid)} unusable)" if report.invalid else ""
    head.append(f": {read} records read{unusable}; the sandbox accepts ")
    head.append(f"{report.accepted}/{report.records}", style="bold")
    head.append(f" statements ({_pct(report.accepted_share)}); ")
    head.append(f"{report.checked}/{report.accepted}", style="bold")
    head.append(f" accepted proofs check ({_pct(report.checked_share)}).")
    out.print(head)
    kinds = report.kind_counts()
    if report.failed:
        parts = [f"{k} {n}" for k, n in kinds.items() if n]
        out.print(Text("first failing step, by kind: " + ", ".join(parts)))
        out.print(_groups_table(report.failures, top, "first failing step of accepted statements, by cause"))
    if report.rejections:
        out.print(_groups_table(report.rejections, top, "statements rejected, by reason", tactic=False))
    out.print(
        Text(
            f"tactic limit {report.tactic_timeout_s:g} s, proof limit {report.proof_timeout_s:g} s; "
            f"{report.seconds:.1f} s in the sandbox. --json for everything.",
            style="dim",
        )
    )


def _groups_table(groups, top: int, title: str, *, tactic: bool = True) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("n", justify="right")
    table.add_column("share", justify="right")
    table.add_column("cause" if tactic else "reason")
    table.add_column("example")
    for g in groups[:top]:
        ex = g.example
        example = Text()
        example.append(ex.name, style="bold")
        if tactic and ex.line:
            example.append(f" line {ex.line}")
        if tactic and ex.tactic:
            example.append(": ")
            example.append(_clip(ex.tactic, 80), style="cyan")
        example.append("\n" + _clip(ex.message))
        table.add_row(str(g.count), _pct(g.share), Text(g.cause), example)
    if len(groups) > top:
        rest = groups[top:]
        table.add_row(
            str(sum(g.count for g in rest)), _pct(sum(g.share for g in rest)),
            Text(f"… {len(rest)} more groups"), Text("--top N or --json to see them"),
        )
    return table

