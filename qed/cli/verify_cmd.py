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
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err = Console(stderr=True)

_DECL = re.compile(r"^(?:theorem|lemma)\s+(\S+)", re.M)


def proofs_of(path: Path, names: list[str]) -> list[tuple[str, str]]:
    """(theorem name, file text) pairs to verify under ``path``."""
    if path.is_dir():
        listed = path / "proofs.jsonl"
        if not listed.exists():
            raise FileNotFoundError(f"{path}: no proofs.jsonl (not a qed prove run directory)")
        from qed.eval.prove import file_stem

        out = []
        for line in listed.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            name = json.loads(line)["name"]
            if names and name not in names:
                continue
            out.append((name, (path / "proofs" / f"{file_stem(name)}.lean").read_text(encoding="utf-8")))
        return out
    text = path.read_text(encoding="utf-8")
    found = names or _DECL.findall(text)
    if not found:
        raise ValueError(f"{path}: no theorem or lemma declared; name one with --theorem")
    return [(name, text) for name in found]


def _checker(cfg, lean_cmd: str):
    from qed.env.verify import LakeFileChecker, ReplFileChecker, SandboxFileChecker

    project = cfg.env.get("project") or None
    if lean_cmd:
        return LakeFileChecker(project=project, command=lean_cmd.split())
    match cfg.env.kind:
        case "repl":
            if not cfg.env.binary:
                raise ValueError("env=repl needs env.binary=PATH (the REPL executable); see docs/lean.md")
            return ReplFileChecker(cfg.env.binary, project=project,
                                   lean_path=cfg.env.get("lean_path") or None,
                                   timeout_s=float(cfg.env.get("start_timeout_s") or 300.0))
        case "pantograph":
            return LakeFileChecker(project=project)
        case "sandbox":
            return SandboxFileChecker()
        case other:
            raise ValueError(f"qed verify has no checker for env.kind={other}")


def verify_all(checker, items: list[tuple[str, str]]):
    """Verify every (name, file text); the sandbox checker re-reads statement and proof."""
    from qed.core import Theorem
    from qed.env.verify import SandboxFileChecker, Verdict, Verification, VerifySummary, judge

    results = []
    for name, text in items:
        if isinstance(checker, SandboxFileChecker):
            from qed.cli.check_cmd import split_lean_file
            from qed.env.check import split_statement

            header, decls = split_lean_file(text)
            decl = next((d for _, d in decls if d.split()[1:2] == [name]), None)
            if decl is None:
                results.append(Verification(name, Verdict.REJECTED, ("theorem not found in its file",), None,
                                            checker.backend, False))
                continue
            statement, proof = split_statement(decl)
            results.append(judge(name, checker.check_proof(Theorem(name, statement, header=header), proof)))
        else:
            results.append(judge(name, checker.check(text, name)))
    return VerifySummary(tuple(results))


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

    try:
        cfg = load_config(list(overrides or []))
        items = proofs_of(path, list(theorem))
        checker = _checker(cfg, lean_cmd)
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
