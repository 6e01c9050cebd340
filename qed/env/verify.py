"""Whole-file re-checking of found proofs, with an axiom check (``qed verify``).

Tactic-mode acceptance is not proof: REPLs have accepted invalid proofs (a self-referential
``apply``, an ``apply?`` that admitted its goal), and a ``native_decide`` or an ``axiom``
declared next to the theorem passes every tactic step. So every proof is checked again the
way Lean checks a file, in a fresh environment, and then ``#print axioms`` is asked about
the theorem. A proof is **accepted** only when the file has no error, no ``sorry``, and the
theorem depends on no axiom outside ``propext``, ``Classical.choice``, ``Quot.sound``.

Owns: the verdict rules (``judge``), reading Lean's axiom report, and three checkers:

- ``ReplFileChecker``: the community REPL in command mode. The file goes as one command
  without ``env`` (a fresh environment that runs the file's own imports); when Lean found
  nothing wrong, ``#print axioms NAME`` runs in the environment the file produced. The
  checker owns its REPL process.
- ``LakeFileChecker``: ``lake env lean FILE`` (or any ``lean`` command line) on the file with
  ``#print axioms NAME`` appended, its output read line by line.
- ``SandboxFileChecker``: the same proof replayed tactic by tactic through a fresh sandbox
  env. **This is not Lean**: the verdict says so (``is_lean=False``), and no axiom check runs.

A checker that could not run (timeout, crash, no reply) gives ``unverified``, never
``accepted``: the verdict counts apart from ``rejected``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from qed.core import EnvCrashed, StatementError, Theorem
from qed.env import lean_repl as lr
from qed.env.process import ChildProcess, ProcessSpec, RequestTimeout, argv_of, lake_lean_path

STANDARD_AXIOMS = frozenset({"propext", "Classical.choice", "Quot.sound"})
NATIVE_AXIOMS = frozenset({"Lean.ofReduceBool", "Lean.ofReduceNat", "Lean.trustCompiler"})
SORRY_AXIOM = "sorryAx"

_DEPENDS = re.compile(r"'(?P<name>[^'\n]+(?:'[^'\n]*)*?)' depends on axioms: \[(?P<axioms>[^\]]*)\]", re.S)
_NONE = re.compile(r"'(?P<name>[^\n]+?)' does not depend on any axioms")
_SORRY_WARNING = re.compile(r"declaration uses ['`]sorry['`]")


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class AxiomReport:
    """What ``#print axioms NAME`` said: the axioms the declaration depends on."""

    name: str
    axioms: tuple[str, ...]


def parse_axiom_reports(text: str) -> tuple[AxiomReport, ...]:
    """Every axiom report in a message or in a whole ``lean`` output (lists may wrap lines)."""
    reports = [(m.start(), AxiomReport(m.group("name"), tuple(a.strip() for a in m.group("axioms").split(",")
                                                              if a.strip())))
               for m in _DEPENDS.finditer(text)]
    reports += [(m.start(), AxiomReport(m.group("name"), ())) for m in _NONE.finditer(text)]
    return tuple(r for _, r in sorted(reports, key=lambda p: p[0]))


@dataclass(frozen=True)
class FileCheck:
    """What a checker learnt about one file: Lean's messages, sorries and axiom reports.

    ``failure`` says why the check could not run to the end (then nothing can be judged).
    """

    backend: str
    is_lean: bool
    messages: tuple[lr.Message, ...] = ()
    sorries: int = 0
    axioms: tuple[AxiomReport, ...] = ()
    failure: str | None = None
    axiom_check_ran: bool = True


@dataclass(frozen=True)
class Verification:
    """The verdict on one theorem's proof, with every reason and the axioms Lean reported."""

    name: str
    verdict: Verdict
    reasons: tuple[str, ...]
    axioms: tuple[str, ...] | None
    backend: str
    is_lean: bool

    @property
    def accepted(self) -> bool:
        return self.verdict is Verdict.ACCEPTED

    def to_json(self) -> dict:
        return {"name": self.name, "verdict": str(self.verdict), "reasons": list(self.reasons),
                "axioms": list(self.axioms) if self.axioms is not None else None,
                "backend": self.backend, "is_lean": self.is_lean}


def _where(message: lr.Message) -> str:
    return f"line {message.pos.line}: " if message.pos is not None else ""


def axiom_problems(axioms: Sequence[str], allowed: frozenset[str] = STANDARD_AXIOMS) -> list[str]:
    """Why a dependency list is not acceptable (empty when it is)."""
    problems = []
    for axiom in axioms:
        if axiom == SORRY_AXIOM:
            problems.append("depends on sorryAx (a sorry, possibly hidden)")
        elif axiom in NATIVE_AXIOMS:
            problems.append(f"depends on {axiom} (native_decide / compiled evaluation, not the kernel)")
        elif axiom not in allowed:
            problems.append(f"depends on the non-standard axiom {axiom}")
    return problems


def _report_for(name: str, reports: Sequence[AxiomReport]) -> AxiomReport | None:
    for report in reports:
        if report.name == name or report.name.endswith("." + name):
            return report
    return None


def judge(name: str, check: FileCheck, *, allowed: frozenset[str] = STANDARD_AXIOMS) -> Verification:
    """The verdict on ``name`` from what the checker saw (see the module docstring)."""
    if check.failure is not None:
        return Verification(name, Verdict.UNVERIFIED, (check.failure,), None, check.backend, check.is_lean)
    reasons: list[str] = []
    for message in check.messages:
        if message.severity == "error":
            reasons.append(f"{_where(message)}error: {message.data.strip()}")
        elif _SORRY_WARNING.search(message.data):
            reasons.append(f"{_where(message)}{message.data.strip()}")
    if check.sorries and not any("sorry" in r for r in reasons):
        reasons.append(f"the file has {check.sorries} sorry/sorries")
    report = _report_for(name, check.axioms)
    axioms = report.axioms if report is not None else None
    if report is not None:
        reasons += axiom_problems(report.axioms, allowed)
    if reasons:
        return Verification(name, Verdict.REJECTED, tuple(reasons), axioms, check.backend, check.is_lean)
    if not check.is_lean:
        return Verification(name, Verdict.ACCEPTED, ("re-checked by a fresh sandbox: this is not Lean",),
                            None, check.backend, False)
    if report is None:
        why = ("no '#print axioms' report for the theorem" if check.axiom_check_ran
               else "the axiom check did not run")
        return Verification(name, Verdict.UNVERIFIED, (why,), None, check.backend, True)
    return Verification(name, Verdict.ACCEPTED, (), axioms, check.backend, True)


def theorem_source(theorem: Theorem, proof: str) -> str:
    """The file a proof is checked in: header, statement and the proof's tactic block."""
    statement = theorem.statement.rstrip()
    if not statement.endswith(":= by"):
        raise StatementError(f"theorem '{theorem.name}': statement must end with ':= by'")
    header = theorem.header.strip("\n")
    body = "\n".join(line if line.startswith((" ", "\t")) or not line.strip() else "  " + line
                     for line in proof.strip("\n").split("\n"))
    return (f"{header}\n\n" if header else "") + f"{statement}\n{body}"


# -- checkers --------------------------------------------------------------------------


class ReplFileChecker:
    """Whole-file checks through the community REPL in command mode; owns its process.

    ``command`` is the REPL executable or argv; ``project``/``lean_path`` as for ``ReplEnv``.
    Each file runs in a fresh environment (a command without ``env``); the REPL keeps every
    environment it made, so the process is restarted after ``files_per_process`` files.
    """

    backend = "lean REPL (command mode)"

    def __init__(self, command: str | Sequence[str], *, project: str | Path | None = None,
                 lean_path: str | None = None, timeout_s: float = 300.0, files_per_process: int = 50):
        if files_per_process < 1:
            raise ValueError(f"files_per_process must be at least 1, got {files_per_process}")
        self._files_per_process, self._files = files_per_process, 0
        lean_path = lean_path if lean_path is not None or project is None else lake_lean_path(project)
        self._process = ChildProcess(ProcessSpec(
            argv=argv_of(command), framing="blank", ready_line=None,
            extra_env={"LEAN_PATH": lean_path} if lean_path is not None else {},
            cwd=str(project) if project is not None else None, request_timeout_s=timeout_s,
            name="repl-verify"))
        self._session = lr.ReplSession(lambda obj: self._process.request(json.dumps(obj, ensure_ascii=False)))

    def __enter__(self) -> ReplFileChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._process.close()

    def check(self, source: str, name: str) -> FileCheck:
        if self._files == self._files_per_process:  # the REPL keeps every environment: start afresh
            self._process.close()
            self._files = 0
        self._files += 1
        try:
            reply = self._session.command(source)
        except (RequestTimeout, EnvCrashed) as exc:
            return FileCheck(self.backend, True, failure=f"the file check did not finish: {exc}")
        done = FileCheck(self.backend, True, reply.messages, len(reply.sorries), axiom_check_ran=False)
        if reply.errors or reply.sorries or any(_SORRY_WARNING.search(m.data) for m in reply.messages):
            return done  # Lean already rejects it; its axioms cannot change that
        try:
            printed = self._session.command(f"#print axioms {name}", env=reply.env)
        except (RequestTimeout, EnvCrashed) as exc:
            return FileCheck(self.backend, True, reply.messages, len(reply.sorries),
                             failure=f"the axiom check did not finish: {exc}")
        reports = tuple(r for m in printed.messages if m.severity == "info"
                        for r in parse_axiom_reports(m.data))
        return FileCheck(self.backend, True, reply.messages + printed.errors, len(reply.sorries), reports)


_LOCATED = re.compile(r"^(?P<file>[^\n]*?):(?P<line>\d+):(?P<col>\d+)(?:-\d+:\d+)?: "
                      r"(?:(?P<sev>error|warning|info|information|trace)(?:\([^)\n]*\))?: )?(?P<text>.*)$")


def parse_lean_output(text: str, file_name: str) -> tuple[lr.Message, ...]:
    """The messages in ``lean FILE`` output: ``FILE:L:C: severity: text`` and its continuation lines."""
    messages: list[lr.Message] = []
    current: dict | None = None
    for line in text.split("\n"):
        match = _LOCATED.match(line)
        if match and Path(match.group("file")).name == Path(file_name).name:
            if current is not None:
                messages.append(_message(current))
            severity = match.group("sev") or "info"
            current = {"sev": "info" if severity == "information" else severity,
                       "lines": [match.group("text")],
                       "pos": lr.Pos(int(match.group("line")), int(match.group("col")))}
        elif current is not None:
            current["lines"].append(line)
        elif line.strip():
            current = {"sev": "info", "lines": [line], "pos": None}
    if current is not None:
        messages.append(_message(current))
    return tuple(messages)


def _message(current: dict) -> lr.Message:
    return lr.Message(current["sev"], "\n".join(current["lines"]).rstrip(), current["pos"])


class LakeFileChecker:
    """Whole-file checks with ``lake env lean FILE`` (``command`` replaces ``lake env lean``)."""

    backend = "lake env lean"

    def __init__(self, *, project: str | Path | None = None,
                 command: str | Sequence[str] = ("lake", "env", "lean"), timeout_s: float = 600.0):
        self._argv = argv_of(command)
        self._project = str(project) if project is not None else None
        self._timeout_s = timeout_s

    def __enter__(self) -> LakeFileChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def check(self, source: str, name: str) -> FileCheck:
        with tempfile.TemporaryDirectory(prefix="qed-verify-") as tmp:
            path = Path(tmp) / "QedVerify.lean"
            path.write_text(source.rstrip("\n") + f"\n\n#print axioms {name}\n", encoding="utf-8")
            try:
                done = subprocess.run([*self._argv, str(path)], capture_output=True, text=True,
                                      timeout=self._timeout_s, cwd=self._project, env=dict(os.environ))
            except subprocess.TimeoutExpired:
                return FileCheck(self.backend, True, failure=f"lean ran past {self._timeout_s:g} s")
            except OSError as exc:
                return FileCheck(self.backend, True, failure=f"cannot run {self._argv[0]!r}: {exc}")
        output = done.stdout + ("\n" + done.stderr if done.stderr.strip() else "")
        messages = parse_lean_output(output, path.name)
        if done.returncode != 0 and not any(m.severity == "error" for m in messages):
            tail = output.strip()[-500:]
            messages += (lr.Message("error", f"lean exited with status {done.returncode}: {tail}"),)
        return FileCheck(self.backend, True, messages, 0, parse_axiom_reports(output))


class SandboxFileChecker:
    """Re-check through a fresh sandbox env per proof. Not Lean: verdicts say so."""

    backend = "sandbox (not Lean)"

    def __enter__(self) -> SandboxFileChecker:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def check_proof(self, theorem: Theorem, proof: str) -> FileCheck:
        from qed.env.check import ScriptError, check_proof
        from qed.env.sandbox.env import SandboxEnv

        try:
            result = check_proof(SandboxEnv(), theorem, proof)
        except (StatementError, ScriptError) as exc:
            return FileCheck(self.backend, False, (lr.Message("error", str(exc)),))
        if result.ok:
            return FileCheck(self.backend, False)
        failure = result.failure
        if failure is None:
            unsolved = lr.Message("error", "the proof does not close every goal")
            return FileCheck(self.backend, False, (unsolved,))
        text = f"{failure.tactic!r}: {failure.message}"
        return FileCheck(self.backend, False, (lr.Message("error", text, lr.Pos(failure.line, 0)),))


def verify_proof(checker, theorem: Theorem, proof: str) -> Verification:
    """Check one proof with any checker and judge it."""
    if isinstance(checker, SandboxFileChecker):
        return judge(theorem.name, checker.check_proof(theorem, proof))
    try:
        source = theorem_source(theorem, proof)
    except StatementError as exc:
        return Verification(theorem.name, Verdict.REJECTED, (str(exc),), None, checker.backend, True)
    return judge(theorem.name, checker.check(source, theorem.name))


@dataclass(frozen=True)
class VerifySummary:
    """Counts over a run's proofs: accepted, rejected by the file check, unverified."""

    results: tuple[Verification, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {str(v): sum(r.verdict is v for r in self.results) for v in Verdict}

    def to_json(self) -> dict:
        return {**self.counts, "is_lean": all(r.is_lean for r in self.results),
                "rejected_names": [r.name for r in self.results if r.verdict is Verdict.REJECTED],
                "results": [r.to_json() for r in self.results]}
