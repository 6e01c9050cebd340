"""``qed check FILE``: run each theorem's tactic proof in a .lean file through the env."""

from __future__ import annotations

import re
from pathlib import Path

from omegaconf import DictConfig
from rich.console import Console

from qed.core import EnvCrashed, StatementError, Theorem
from qed.env.check import CheckResult, ScriptError, check_proof, split_statement

_DECL = re.compile(r"^(theorem|lemma|example)\b", re.MULTILINE)


_BLOCK_COMMENT = re.compile(r"/-.*?-/", re.DOTALL)


def _blank_comments(text: str) -> str:
    """Block and doc comments replaced by blank lines (line numbers are kept)."""
    return _BLOCK_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def split_lean_file(text: str) -> tuple[str, list[tuple[int, str]]]:
    """(header, [(1-based line of the declaration, declaration text)]) of a .lean file.

    Block comments (``/- … -/``, ``/-- … -/``) are dropped, keeping line numbers.
    """
    text = _blank_comments(text)
    starts = [m.start() for m in _DECL.finditer(text)]
    if not starts:
        return text, []
    header = text[: starts[0]]
    decls = []
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        decls.append((text.count("\n", 0, s) + 1, text[s:end]))
    return header, decls


def run_check(file: Path, cfg: DictConfig, out: Console, err: Console) -> int:
    """Exit code: 0 all proofs check, 1 some failed, 2 unusable input or environment."""
    from qed.cli.build import BuildError, build_env

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"[red]error:[/red] cannot read {file}: {exc}")
        return 2
    header, decls = split_lean_file(text)
    if not decls:
        err.print(f"[red]error:[/red] {file}: no 'theorem', 'lemma' or 'example' declaration found")
        return 2
    try:
        return _check_all(build_env, header, decls, cfg, out, err)
    except BuildError as exc:
        err.print(f"[red]error:[/red] {exc}")
        return 2


def _check_all(
    build_env, header: str, decls: list[tuple[int, str]], cfg: DictConfig, out: Console, err: Console
) -> int:
    failed = 0
    with build_env(cfg.env) as env:
        for line, decl in decls:
            name = (
                decl.split()[1]
                if decl.startswith(("theorem", "lemma")) and len(decl.split()) > 1
                else "example"
            )
            try:
                statement, proof = split_statement(decl)
                first = line + statement.count("\n")
                result = check_proof(env, Theorem(name, statement, header=header), proof, first_line=first)
            except (StatementError, ScriptError) as exc:
                out.print(f"[red]✗[/red] {name} (line {line}): {exc}")
                failed += 1
                continue
            except EnvCrashed as exc:
                err.print(f"[red]environment crashed[/red] on {name}: {exc}")
                return 2
            failed += not result.ok
            _report(result, out)
    total = len(decls)
    out.print(f"{total - failed}/{total} proofs check")
    return 1 if failed else 0


def _report(result: CheckResult, out: Console) -> None:
    if result.ok:
        out.print(f"[green]✓[/green] {result.theorem} ({result.steps} tactics)")
        return
    f = result.failure
    assert f is not None
    out.print(f"[red]✗[/red] {result.theorem}: line {f.line}: [bold]{f.tactic or '(end of proof)'}[/bold]")
    for m in f.message.splitlines()[:1] or [""]:
        out.print(f"  {m}", markup=False)
    if f.goal:
        out.print("  goal:", markup=False)
        for g in f.goal.splitlines():
            out.print(f"    {g}", markup=False)
