"""``qed lean replay DIR`` and ``qed lean record STEM``: check the Lean clients against recorded
transcripts, and record new ones from a real Lean REPL in the same format.

Owns the command lines and the printing; the replay itself is ``qed.env.replay``, the
recording ``qed.env.lean_record``. Mounted as ``qed lean`` (``lean_app``).
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


@lean_app.command()
def record(
    out: Path = typer.Argument(..., help="Transcript path without suffix (writes OUT.in + OUT.expected.out, "
                                         "or OUT.jsonl for Pantograph)."),
    protocol: str = typer.Option(..., "--protocol", help="repl (leanprover-community/repl) or pantograph."),
    binary: str = typer.Option(..., "--binary", help="The REPL executable (or a command line, quoted)."),
    run: str = typer.Option("conformance", "--run",
                            help="'conformance' (the conformance suite on the Mathlib case), or a requests "
                                 "file: blank-line separated (X.in, X.requests) or Pantograph *.jsonl."),
    project: Path | None = typer.Option(None, "--project", help="Lake project (LEAN_PATH, working dir)."),
    imports: list[str] = typer.Option(["Mathlib"], "--import", help="Modules imported once per process."),
    timeout_s: float = typer.Option(300.0, "--timeout", help="Seconds per request (imports included)."),
) -> None:
    """Record a real Lean REPL's replies in the transcript format `qed lean replay` reads."""
    import json
    import shlex

    from qed.env.lean_record import recording_argv

    if protocol not in ("repl", "pantograph"):
        err.print("[red]error:[/red] --protocol must be repl or pantograph")
        raise typer.Exit(2)
    argv = recording_argv(protocol, out, shlex.split(binary))
    if run == "conformance":
        from qed.env.conformance import LEAN_CASE, run_conformance_checks

        env = _recording_env(protocol, argv, project, imports, timeout_s)
        with env:
            outcomes = run_conformance_checks(env, LEAN_CASE)
        for o in outcomes:
            console.print(f"{o.status:10} {escape(o.name)}{': ' + escape(o.detail) if o.detail else ''}")
    else:
        from qed.env.process import ChildProcess, ProcessSpec
        from qed.env.replay_server import load_transcript, text_blocks

        path = Path(run)
        try:
            exchanges = load_transcript(protocol, path) if path.suffix == ".jsonl" else None
            if exchanges is None:
                blocks = text_blocks(path.read_text(encoding="utf-8"))
                requests = [b for b in blocks if not b.lstrip().startswith(("#", "--"))]
            else:
                requests = [json.dumps(e.request, ensure_ascii=False) for e in exchanges]
        except (OSError, ValueError) as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from None
        spec = ProcessSpec(argv=tuple(argv), framing="line" if protocol == "pantograph" else "blank",
                           ready_line="ready." if protocol == "pantograph" else None,
                           cwd=str(project) if project else None, request_timeout_s=timeout_s,
                           startup_timeout_s=timeout_s, name="record")
        with ChildProcess(spec) as process:
            for text in requests:
                if protocol == "pantograph":
                    obj = json.loads(text)
                    payload = obj.get("payload")
                    text = obj["cmd"] + ("" if payload is None else " " + json.dumps(
                        payload, ensure_ascii=False, separators=(",", ":")))
                process.request(text)
    suffixes = (".in", ".expected.out") if protocol == "repl" else (".jsonl",)
    console.print(f"wrote {', '.join(escape(str(out)) + s for s in suffixes)}")


def _recording_env(protocol: str, argv: list[str], project: Path | None, imports: list[str],
                   timeout_s: float):
    if protocol == "repl":
        from qed.env.repl import ReplEnv

        return ReplEnv(argv, project=project, imports=imports, request_timeout_s=timeout_s,
                       import_timeout_s=timeout_s)
    from qed.env.pantograph import PantographEnv

    return PantographEnv(argv, project=project, imports=imports, request_timeout_s=timeout_s,
                         startup_timeout_s=timeout_s)
