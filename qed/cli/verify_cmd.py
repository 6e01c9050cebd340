"""``qed verify PATH [overrides]``: re-check found proofs as whole files, then ``#print axioms``.

PATH is a ``qed prove`` run directory (its ``proofs/NAME.lean`` files, names from
``proofs.jsonl``) or one ``.lean`` file (``--theorem NAME``, repeatable; default: every
``theorem``/``lemma`` declared in it). Files are checked verbatim. The checker follows
``env.kind``: ``repl`` uses the community REPL in command mode (``env.binary``,
``env.project``); ``pantograph`` and ``--lean-cmd`` use ``lake env lean`` (or the given
command) in ``env.project``; ``sandbox`` replays each proof through a fresh sandbox and says
that it is not Lean. See ``qed.env.verify`` for the rules.

Writes ``verify.json`` into a run directory. Exit code 0 when every proof is accepted, 1
when one is rejected or could not be verified, 2 on unusable input.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err = Console(stderr=True)

def print_summary(summary, out: Console) -> None:
    counts = summary.counts
    lean = all(r.is_lean for r in summary.results)
    for r in summary.results:
        marks = {"accepted": "[green]✓[/green]", "rejected": "[red]✗[/red]"}
        mark = marks.get(str(r.verdict), "[yellow]?[/yellow]")
        axioms = f" axioms: {', '.join(r.axioms) or 'none'}" if r.axioms is not None else ""
        out.print(f"{mark} {escape(r.name)} {r.verdict}{escape(axioms)}")
        for reason in r.reasons:
            out.print(f"    {escape(reason)}")
    out.print(f"{len(summary.results)} proof(s): accepted {counts['accepted']}, accepted in tactic mode but "
              f"rejected by the file check {counts['rejected']}, unverified {counts['unverified']}"
              + ("" if lean else " (re-checked by the sandbox: this is not Lean)"), markup=False)


def verify_command(
    path: Path = typer.Argument(..., help="A qed prove run directory, or a .lean file."),
    overrides: list[str] = typer.Argument(
        None, help="Hydra overrides: env=repl env.binary=... env.project=...", show_default=False),
    theorem: list[str] = typer.Option([], "--theorem", help="Only these theorems (repeatable)."),
    lean_cmd: str = typer.Option("", "--lean-cmd",
                                 help="Check with this command + FILE instead (e.g. 'lake env lean')."),
) -> None:
    """Re-check proofs as whole Lean files and reject sorryAx, native_decide and non-standard axioms."""
    from qed.cli.config import ConfigError, load_config
    from qed.cli.lean_build import checker_for, proofs_of, verify_all

    try:
        cfg = load_config(list(overrides or []))
        items = proofs_of(path, list(theorem))
        checker = checker_for(cfg, lean_cmd)
    except (ConfigError, OSError, ValueError, KeyError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    with checker:
        summary = verify_all(checker, items)
    print_summary(summary, console)
    if path.is_dir():
        (path / "verify.json").write_text(json.dumps(summary.to_json(), indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    raise typer.Exit(0 if summary.counts["accepted"] == len(summary.results) else 1)
