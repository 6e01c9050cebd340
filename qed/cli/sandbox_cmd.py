"""``qed sandbox coverage``, ``qed sandbox fidelity`` and ``qed sandbox generate``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

sandbox_app = typer.Typer(no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@sandbox_app.command()
def generate(
    n: int = typer.Option(1000, "--n", help="How many theorems to write."),
    seed: int = typer.Option(0, "--seed", help="Run seed: same seed, same theorems."),
    out: Path = typer.Option(
        ..., "--out", help="Output JSONL (miniF2F schema plus proof, family, difficulty)."
    ),
    difficulty: int = typer.Option(2, "--difficulty", min=1, max=5, help="1 (easy) .. 5 (hard)."),
    family: list[str] = typer.Option(None, "--family", help="Restrict to these families (repeatable)."),
    workers: int = typer.Option(2, "--workers", min=1, help="Verifying processes."),
    resume: bool = typer.Option(True, help="Continue an interrupted run writing to the same file."),
) -> None:
    """Write generated theorems whose proofs the sandbox has verified, one per line, as they are made."""
    from qed.env.sandbox.families import FAMILIES
    from qed.env.sandbox.generate import generate as gen

    try:
        start = _resume_point(out, seed) if resume else 0
    except ValueError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    failures: list[str] = []
    written = start
    with (
        out.open("a" if start else "w", encoding="utf-8") as fh,
        Progress(
            TextColumn("generating"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=False,
        ) as bar,
    ):
        task = bar.add_task("gen", total=n, completed=start)
        try:
            for item in gen(
                n,
                seed=seed,
                difficulty=difficulty,
                families=family or list(FAMILIES),
                workers=workers,
                start=start,
            ):
                if item.row is not None:
                    fh.write(json.dumps(item.row, ensure_ascii=False) + "\n")
                    written += 1
                else:
                    failures.append(item.error or "")
                bar.advance(task)
                if item.index % 500 == 0:
                    fh.flush()
        except ValueError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc
    console.print(
        f"wrote {written} verified theorems to {out} ({len(failures)} drafts failed verification)",
        markup=False,
    )
    for f in failures[:10]:
        console.print(f"  [yellow]failed:[/yellow] {escape(f)}")
    raise typer.Exit(1 if failures else 0)


def _resume_point(out: Path, seed: int) -> int:
    """Index to continue from: one past the last complete row of this seed in ``out``.

    A last line without its newline (a killed run) is cut off; any other line that is not a
    generated theorem of this seed is a ``ValueError`` naming the file and line."""
    from qed.data.records import RecordError, parse_line

    if not out.exists():
        return 0
    try:
        data = out.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {out}: {exc.strerror or exc}") from exc
    last = -1
    for lineno, raw in enumerate(data.split(b"\n")[:-1], 1):  # complete lines only
        if not raw.strip():
            continue
        try:
            row = parse_line(out, lineno, raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValueError(f"{out}:{lineno}: not UTF-8 text; use a new file or --no-resume") from exc
        except RecordError as exc:
            raise ValueError(f"{exc}; use a new file or --no-resume") from exc
        name = row.get("name")
        index = name.rsplit("_", 1)[-1] if isinstance(name, str) else ""
        if not isinstance(name, str) or f"_s{seed}_" not in name or not index.isdigit():
            raise ValueError(f"{out}:{lineno}: not a theorem generated with seed {seed} "
                             "(field 'name'); use a new file or --no-resume")
        last = max(last, int(index))
    _truncate_torn_tail(out)
    return last + 1


def _truncate_torn_tail(out: Path) -> None:
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        out.write_bytes(data[: data.rfind(b"\n") + 1])


@sandbox_app.command()
def coverage(
    benchmark: str = typer.Argument("minif2f_v1", help="A shipped benchmark name or a JSONL path."),
    examples: bool = typer.Option(True, help="Show an example message per rejection reason."),
    json_out: Path = typer.Option(None, "--json", help="Also write the report as JSON."),
) -> None:
    """How many statements of a benchmark the sandbox accepts, and why it rejects the rest."""
    from qed.cli.coverage_view import show_coverage

    raise typer.Exit(show_coverage(benchmark, examples=examples, json_out=json_out, out=console, err=err))


@sandbox_app.command()
def fidelity(
    file: Path = typer.Argument(
        ..., help="JSONL of real Lean proofs: 'full_proof', or 'proof' (+ 'header', 'preamble'), "
        "or 'formal_statement' + 'proof'."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
    records: bool = typer.Option(False, "--records", help="With --json: every record's outcome too."),
    limit: int = typer.Option(None, "--limit", min=1, help="Only the first N usable records."),
    timeout: float = typer.Option(
        20.0, "--timeout", min=0.001, help="Seconds for a whole proof (its tactics together)."
    ),
    tactic_timeout: float = typer.Option(5.0, "--tactic-timeout", min=0.001, help="Seconds per tactic."),
    top: int = typer.Option(30, "--top", min=1, help="Groups shown per table."),
) -> None:
    """How many real proofs the sandbox replays, and for the rest the first failing step by cause."""
    from qed.cli.fidelity_view import run_fidelity

    raise typer.Exit(
        run_fidelity(
            file,
            json_out=json_out,
            records=records,
            limit=limit,
            tactic_timeout_s=tactic_timeout,
            proof_timeout_s=timeout,
            top=top,
            out=console,
            err=err,
        )
    )
