"""``qed check FILE``: run each theorem's tactic proof in a .lean file through the env."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from qed.core import EnvCrashed, StatementError, Theorem
from qed.core.lean_text import header_and_declarations, unclosed_comment_line
from qed.env.check import CheckResult, ScriptError, check_proof, split_statement


def read_lean_file(file: Path) -> str:
    """The text of a .lean file (a leading byte-order mark dropped); ``ValueError`` with a
    one-line message naming the file and line for a file that is unreadable, not UTF-8 or
    holds a NUL byte (Lean accepts neither)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {file}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"{file}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})") from exc
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ValueError(f"{file}:{line}: contains a NUL byte (not Lean source)")
    return text


def run_check(file: Path, cfg: DictConfig, out: Console, err: Console) -> int:
    """Exit code: 0 all proofs check, 1 some failed, 2 unusable input or environment."""
    from qed.cli.build import BuildError, build_env

    def fail(message: str) -> int:
        err.print(Text.assemble(("error:", "red"), f" {message}"), soft_wrap=True)
        return 2

    try:
        text = read_lean_file(file)
    except ValueError as exc:
        return fail(str(exc))
    header, decls = header_and_declarations(text)
    if not decls:
        opened = _unclosed_comment(text)
        if opened:
            return fail(f"{file}:{opened}: block comment '/-' is never closed, so no declaration is left")
        return fail(f"{file}: no 'theorem', 'lemma' or 'example' declaration found")
    try:
        return _check_all(build_env, header, decls, cfg, out, err)
    except BuildError as exc:
        return fail(str(exc))


def _unclosed_comment(text: str) -> int | None:
    """The line where a block comment opens that never closes, or None."""
    return unclosed_comment_line(text)


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
                out.print(f"[red]✗[/red] {escape(name)} (line {line}): {escape(str(exc))}")
                failed += 1
                continue
            except EnvCrashed as exc:
                err.print(f"[red]environment crashed[/red] on {escape(name)}: {escape(str(exc))}")
                return 2
            failed += not result.ok
            _report(result, out, sandbox=cfg.env.get("kind") == "sandbox")
    total = len(decls)
    out.print(f"{total - failed}/{total} proofs check")
    return 1 if failed else 0


def _message_lines(message: str, goal: str) -> list[str]:
    """The message's lines, without a trailing copy of the goal (printed after it)."""
    lines = message.splitlines() or [""]
    first_goal = goal.splitlines()[0] if goal.strip() else None
    if first_goal is not None and first_goal in lines[1:]:
        lines = lines[: lines.index(first_goal, 1)]
    return lines


def _sandbox_hint(tactic: str, message: str) -> str | None:
    """A line naming what the sandbox lacks, for an unknown tactic or lemma."""
    from qed.env.sandbox.fidelity import UNKNOWN_LEMMA, UNKNOWN_TACTIC, classify

    if "lemma table" in message or "does not implement" in message:
        return None  # the message says it already
    kind, cause = classify(tactic, message)
    if kind == UNKNOWN_TACTIC:
        return f"{cause.removeprefix('unknown tactic ')} is a tactic the sandbox does not implement"
    if kind == UNKNOWN_LEMMA:
        name = cause.removeprefix("unknown lemma ")
        return f"{name} is not in the sandbox's lemma table"
    return None


def _report(result: CheckResult, out: Console, *, sandbox: bool = False) -> None:
    if result.ok:
        out.print(Text.assemble(("✓", "green"), f" {result.theorem} ({result.steps} tactics)"))
        return
    f = result.failure
    assert f is not None
    out.print(
        Text.assemble(
            ("✗", "red"), f" {result.theorem}: line {f.line}: ", (f.tactic or "(end of proof)", "bold")
        ),
        soft_wrap=True,
    )
    for m in _message_lines(f.message, f.goal):
        out.print(f"  {m}", markup=False, highlight=False, soft_wrap=True)
    hint = _sandbox_hint(f.tactic, f.message) if sandbox else None
    if hint:
        out.print(f"  ({hint})", markup=False, highlight=False, soft_wrap=True)
    if f.goal:
        out.print("  goal:", markup=False)
        for g in f.goal.splitlines():
            out.print(f"    {g}", markup=False)
