"""Replaying recorded Lean transcripts through the real client (``qed lean replay DIR``).

Owns: finding transcripts in a directory, running each one through the client stack
(``ChildProcess`` talking to ``replay_server`` as a real subprocess, in that REPL's
framing), and checking every reply twice: it must arrive exactly as recorded, and the
client's parser must turn it into core types that agree with the recorded facts (goal
targets, hypotheses and case tags, error texts, proof completion). Every problem is
reported per file; an unreadable or unknown file is a per-file error, never a crash.
Does not know about search or configuration.

File kinds: ``*.jsonl`` Pantograph records; ``X.in`` with ``X.expected.out`` beside it
(community REPL); documentation (``.md``, ``.txt``, ``.rst``), requests still to record
(``.requests``), JSON data (``.json``) and the ``.expected.out`` half of a pair are skipped;
anything else is reported as not a transcript.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qed.core import EnvCrashed, Goal, StatementError
from qed.env import lean_pantograph as lp
from qed.env import lean_repl as lr
from qed.env import pantograph as pg
from qed.env import repl as rp
from qed.env.process import ChildProcess, ProcessSpec, RequestTimeout
from qed.env.replay_server import TMPDIR, Exchange, TranscriptError, load_transcript, repl_pair

DOC_SUFFIXES = (".md", ".txt", ".rst")
DATA_SUFFIXES = (".requests", ".json")  # requests still to record; data that is not a transcript


@dataclass(frozen=True)
class FileReport:
    """What replaying one file found. ``ok`` when it ran and nothing mismatched."""

    path: Path
    protocol: str | None
    exchanges: int = 0
    mismatches: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.mismatches


@dataclass(frozen=True)
class Found:
    """A file found under the directory, with its protocol or why it is not replayed."""

    path: Path
    protocol: str | None
    skip: str | None = None
    error: str | None = None


def discover(root: Path) -> Iterator[Found]:
    """Every file under ``root`` (or ``root`` itself), classified, in sorted order."""
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in paths:
        name = path.name
        if name.endswith(".jsonl"):
            yield Found(path, "pantograph")
        elif name.endswith(".expected.out"):
            if not repl_pair(path)[0].exists():
                yield Found(path, None, error=f"no {repl_pair(path)[0].name} beside it")
            elif root.is_file():
                yield Found(repl_pair(path)[0], "repl")
        elif name.endswith(".in"):
            if repl_pair(path)[1].exists():
                yield Found(path, "repl")
            else:
                yield Found(path, None, error=f"no {repl_pair(path)[1].name} beside it")
        elif name.endswith(DOC_SUFFIXES) or name.startswith("."):
            yield Found(path, None, skip="documentation")
        elif name.endswith(DATA_SUFFIXES):
            yield Found(path, None, skip="not a transcript (requests to record, or data)")
        else:
            yield Found(path, None, error="not a transcript (expected *.jsonl, or X.in with X.expected.out)")


def server_argv(protocol: str, path: Path) -> tuple[str, ...]:
    """The command line of the replay server for one transcript."""
    return (sys.executable, "-m", "qed.env.replay_server", "--protocol", protocol, str(path))


def request_text(protocol: str, exchange: Exchange, tmpdir: str | None = None) -> str:
    """The exact request as the client writes it (one line for Pantograph, JSON for repl);
    a recorded ``<TMPDIR>`` becomes ``tmpdir`` when given."""
    if protocol == "pantograph":
        payload = exchange.request.get("payload")
        if tmpdir is not None and payload is not None:
            payload = json.loads(json.dumps(payload, ensure_ascii=False).replace(TMPDIR, tmpdir))
        cmd = exchange.request["cmd"]
        if payload is None:
            return cmd
        return f"{cmd} {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}"
    return json.dumps(exchange.request, ensure_ascii=False)


# -- fact checks -------------------------------------------------------------------------


def _check_roundtrip(goal: Goal, where: str) -> list[str]:
    return [] if Goal.parse(goal.text) == goal else [f"{where}: goal text does not re-parse: {goal.text!r}"]


def check_pantograph_goals(raw: list[Any], parsed: tuple[Goal, ...], where: str) -> list[str]:
    """The parsed goals agree with the recorded goal objects, field by field."""
    problems: list[str] = []
    if len(raw) != len(parsed):
        return [f"{where}: {len(raw)} goals recorded, {len(parsed)} parsed"]
    for k, (obj, goal) in enumerate(zip(raw, parsed, strict=True)):
        spot = f"{where} goal {k}"
        if goal.target != obj["target"]["pp"]:
            problems.append(f"{spot}: target {goal.target!r} != recorded {obj['target']['pp']!r}")
        names = [v["userName"] for v in obj.get("vars") or []]
        types = [v["type"]["pp"] for v in obj.get("vars") or []]
        if [h.name for h in goal.hypotheses] != names or [h.type for h in goal.hypotheses] != types:
            problems.append(f"{spot}: hypotheses differ from the recorded vars")
        if goal.tag != (obj.get("userName") or None):
            problems.append(f"{spot}: case tag {goal.tag!r} != recorded {obj.get('userName')!r}")
        problems += _check_roundtrip(goal, spot)
    return problems


def check_pantograph(request: dict[str, Any], reply: dict[str, Any]) -> list[str]:
    """Parse a Pantograph reply with the client's parser and compare with its facts."""
    cmd = request["cmd"]
    if "error" in reply:
        if not isinstance(reply.get("error"), str) or not isinstance(reply.get("desc"), str):
            return ["an error reply needs string 'error' and 'desc'"]
        if cmd == "goal.tactic":
            try:
                step = pg.classify_step(reply)
            except pg.PantographRejected:
                return []
            if not (step.timed_out or step.error == reply["desc"]):
                return [f"error reply classified as {step}"]
        return []
    if cmd == "goal.tactic":
        step = pg.classify_step(reply)
        flagged = bool(reply.get("hasSorry") or reply.get("hasUnsafe"))
        failed = reply.get("nextStateId") is None or flagged or "parseError" in reply
        if failed != (step.error is not None):
            return [f"classified as {'failure' if step.error else 'success'} against the recorded reply"]
        if step.error is not None:
            messages = reply.get("messages") or []
            chosen = [m for m in messages if pg.is_error_message(m)] or messages
            texts = [pg.message_text(m) for m in (reply.get("tacticErrors") or []) + chosen]
            missing = [t for t in texts if t and t not in step.error]
            return [f"TacticError text misses recorded message {t[:80]!r}" for t in missing]
        return check_pantograph_goals(reply["goals"], step.goals, "goals")
    problems: list[str] = []
    if cmd == "frontend.distil":
        for k, target in enumerate(reply.get("targets") or []):
            raw = target.get("goals") or []
            problems += check_pantograph_goals(raw, pg.parse_goals(raw), f"target {k}")
    elif cmd == "frontend.process":
        for k, unit in enumerate(reply.get("units") or []):
            if "goals" in unit:
                problems += check_pantograph_goals(unit["goals"], pg.parse_goals(unit["goals"]), f"unit {k}")
    elif cmd == "goal.print" and reply.get("goals"):
        problems += check_pantograph_goals(reply["goals"], pg.parse_goals(reply["goals"]), "printed goals")
    return problems


def check_side_output(exchange: Exchange, tmpdir: str) -> list[str]:
    """A ``frontend.process`` that wrote invocations: the written file parses, agreeing with the reply."""
    side = exchange.side_output or {}
    path = Path(str(side.get("path", "")).replace(TMPDIR, tmpdir))
    if not path.exists():
        return [f"the recorded side output {side.get('path')} was not written"]
    written = json.loads(path.read_text(encoding="utf-8"))
    trace = lp.parse_frontend(exchange.reply, written)
    recorded = [i for u in written.get("units", []) for i in u.get("invocations") or []]
    if [i.tactic for i in trace.invocations] != [r["tactic"] for r in recorded]:
        return ["traced invocations differ from the recorded invocations file"]
    return []


def _goal_blocks(text: str) -> list[str]:
    return [] if text.strip() == "no goals" else [b for b in text.split("\n\n") if b.strip()]


def repl_request_kind(request: dict[str, Any]) -> str:
    """Which REPL command a request is (``tactic``, ``command``, ``file``, ``pickle-env``, …)."""
    if "tactic" in request:
        return "tactic"
    if "pickleTo" in request:
        return "pickle-proof-state" if "proofState" in request else "pickle-env"
    if "unpickleProofStateFrom" in request:
        return "unpickle-proof-state"
    if "unpickleEnvFrom" in request or "unpickleFrom" in request:
        return "unpickle-env"
    if "path" in request:
        return "file"
    return "command"


_STATE_KINDS = frozenset({"tactic", "pickle-proof-state", "unpickle-proof-state"})


def check_repl(request: dict[str, Any], reply: dict[str, Any]) -> list[str]:
    """Parse a community-REPL reply with the client's typed parser and compare with its facts.

    Every request kind has the reply kind the protocol gives it: a proof-state reply
    (no ``env``) for tactics and proof-state pickling, a command reply for commands,
    files and environment pickling; an error reply is allowed for any.
    """
    problems: list[str] = []
    kind = repl_request_kind(request)
    parsed = lr.parse_reply(reply)
    if isinstance(parsed, lr.ErrorReply):
        if kind == "tactic":
            try:
                step = rp.classify_step(reply)
            except rp.ReplRejected:
                return []
            if parsed.lean_error is not None and step.error != (parsed.lean_error or parsed.message):
                problems.append(f"a Lean error was classified as {step}")
        return problems
    want: tuple[type, ...] = ((lr.ProofStateReply,) if kind in _STATE_KINDS else
                              (lr.CommandReply, lr.FileResults) if kind == "file" else (lr.CommandReply,))
    if not isinstance(parsed, want):
        return [f"a {kind} request was answered with a {type(parsed).__name__}"]
    if isinstance(parsed, lr.FileResults):
        return [p for item in parsed.results for p in _check_command(item.reply)]
    if isinstance(parsed, lr.ProofStateReply):
        if kind == "tactic":
            step = rp.classify_step(reply)
            errors = [m.data for m in parsed.errors]
            completed = parsed.completed and not errors and not parsed.sorries
            if step.proved != completed:
                problems.append(f"proved={step.proved} but proofStatus is {parsed.proof_status!r}")
            if errors and step.error is None:
                problems.append("an error message was not turned into a TacticError")
            if step.error is not None:
                problems += [f"TacticError misses {e[:80]!r}" for e in errors if e not in step.error]
            if step.error is None and [g.text for g in step.goals] != list(parsed.goals):
                problems.append("goal texts re-rendered from the parsed goals differ from the recorded ones")
        else:
            for k, text in enumerate(parsed.goals):
                if rp.parse_goal_text(text).text != text:
                    problems.append(f"goal {k}: goal text does not re-render as recorded")
        for k, sorry in enumerate(parsed.sorries):
            problems += _check_goals(sorry.goals, f"sorry {k}")
        return problems
    return _check_command(parsed)


def _check_goals(texts: Any, where: str) -> list[str]:
    return [f"{where}: goal text does not re-render as recorded" for text in texts
            if rp.parse_goal_text(text).text != text]


def _check_command(reply: lr.CommandReply) -> list[str]:
    """Every goal text in a command reply (tactics, infotree, sorries) re-renders as recorded."""
    problems: list[str] = []
    for k, tactic in enumerate(reply.tactics):
        problems += _check_goals(_goal_blocks(tactic.goals), f"tactic {k}")
    for node in _walk(reply.infotree or ()):
        problems += _check_goals(node.goals_before + node.goals_after, f"infotree {node.name}")
    for k, sorry in enumerate(reply.sorries):
        problems += _check_goals(sorry.goals, f"sorry {k}")
    return problems


def _walk(nodes: Any) -> Iterator[lr.InfoTreeNode]:
    for node in nodes:
        yield node
        yield from _walk(node.children)


# -- running -----------------------------------------------------------------------------


def replay_file(path: Path, protocol: str, *, timeout_s: float = 10.0) -> FileReport:
    """Replay one transcript through a real replay-server subprocess and check every reply."""
    try:
        exchanges = load_transcript(protocol, path)
    except TranscriptError as exc:
        return FileReport(path, protocol, error=str(exc))
    if not exchanges:
        return FileReport(path, protocol, error="no exchanges in the file")
    pantograph = protocol == "pantograph"
    spec = ProcessSpec(argv=server_argv(protocol, path), framing="line" if pantograph else "blank",
                       ready_line="ready." if pantograph else None, startup_timeout_s=timeout_s,
                       request_timeout_s=timeout_s, name=f"replay:{path.name}")
    check = check_pantograph if pantograph else check_repl
    mismatches: list[str] = []
    notes: list[str] = []
    try:
        with ChildProcess(spec) as process, tempfile.TemporaryDirectory(prefix="qed-replay-") as tmpdir:
            for exchange in exchanges:
                try:
                    reply = process.request(request_text(protocol, exchange, tmpdir))
                except (EnvCrashed, RequestTimeout, ValueError) as exc:
                    mismatches.append(f"{exchange.label}: no reply: {exc}")
                    continue
                if reply != exchange.reply:
                    mismatches.append(f"{exchange.label}: reply differs from the recording")
                    continue
                try:
                    found = check(exchange.request, reply)
                    if pantograph and exchange.side_output is not None:
                        found += check_side_output(exchange, tmpdir)
                except (EnvCrashed, StatementError, KeyError, TypeError, ValueError) as exc:
                    found = [f"the client cannot parse it: {exc.__class__.__name__}: {exc}"]
                if found and exchange.partial:
                    notes += [f"{exchange.label}: partial record, not checked: {p}" for p in found]
                else:
                    mismatches += [f"{exchange.label}: {p}" for p in found]
    except EnvCrashed as exc:
        return FileReport(path, protocol, len(exchanges), tuple(mismatches), tuple(notes),
                          error=f"replay server failed: {exc}")
    return FileReport(path, protocol, len(exchanges), tuple(mismatches), tuple(notes))


@dataclass(frozen=True)
class ReplaySummary:
    """Reports for every transcript found, and the files skipped as documentation."""

    reports: tuple[FileReport, ...]
    skipped: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool(self.reports) and all(r.ok for r in self.reports)


def replay_dir(root: Path, *, timeout_s: float = 10.0) -> ReplaySummary:
    """Replay every transcript under ``root``; raises ``FileNotFoundError`` if it is missing."""
    if not root.exists():
        raise FileNotFoundError(f"{root}: no such file or directory")
    reports: list[FileReport] = []
    skipped: list[Path] = []
    for found in discover(root):
        if found.skip is not None:
            skipped.append(found.path)
        elif found.error is not None or found.protocol is None:
            reports.append(FileReport(found.path, None, error=found.error))
        else:
            reports.append(replay_file(found.path, found.protocol, timeout_s=timeout_s))
    return ReplaySummary(tuple(reports), tuple(skipped))
