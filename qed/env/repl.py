"""``ReplEnv``: ``qed.core.Env`` over one leanprover-community/repl process (synchronous).

Owns: the community REPL's request shapes, the parsing of its replies into core types
(once, here), tactic mode through a statement with ``sorry``, and rebuilding states after
the process was restarted. Does not know about search, pools or configuration; the
process is a ``ChildProcess`` (``process.py``) with blank-line framing.

Contract details (PROTOCOL.md Part 2):
- On each (re)start of the process, ``imports`` are loaded by one ``import`` command and
  its ``env`` becomes the base environment; a theorem's non-import header lines are run
  once per process on top of it.
- ``start(theorem)`` sends ``statement`` with ``sorry`` as its proof (``… := by sorry``);
  the ``sorries[0].proofState`` and its goal text become the initial state. An error
  message, no sorry or a rejected command raise ``StatementError``.
- ``apply`` sends ``{"tactic", "proofState"}``. The REPL has no goal selector: goal 0 is
  Lean's main goal, and ``goal_index > 0`` is run as ``pick_goal k`` (Batteries, part of
  Mathlib) followed by the tactic, which gives the Env order: the goals the tactic
  produced, then the other goals.
- Failure is an error reply (``Lean error: …``), **any** error-severity message, or a
  sorry in the step. Only ``proofStatus: "Completed"`` proves; no goals with any other
  status is a ``TacticError`` naming the status. The wall-clock limit is ``TacticTimeout``.
- ``Unknown proof state.``/``Unknown environment.`` replies, process death or garbage
  raise ``EnvCrashed``. ``release`` is a no-op: this REPL cannot free states (recycle the
  process instead, as ``pool.py`` does).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qed.core import (
    EnvCrashed,
    Goal,
    Goals,
    Outcome,
    ProofState,
    Proved,
    StatementError,
    TacticError,
    TacticTimeout,
    Theorem,
)
from qed.env.pantograph import check_step, replay_path, split_header
from qed.env.process import ChildProcess, ProcessSpec, RequestTimeout, argv_of, lake_lean_path

COMPLETED = "Completed"
LEAN_ERROR = "Lean error:"


class ReplRejected(EnvCrashed):
    """The REPL rejected a request for a reason that is not the tactic's fault."""


@dataclass(frozen=True)
class ReplStep:
    """A proof-step reply, classified: success (goals or proved) or failure."""

    proof_state: int | None
    goals: tuple[Goal, ...]
    proved: bool = False
    error: str | None = None


def parse_goal_text(text: Any) -> Goal:
    """One goal string of a reply as a core ``Goal``."""
    if not isinstance(text, str):
        raise EnvCrashed(f"repl: a goal is not a string: {json.dumps(text)[:200]}")
    try:
        return Goal.parse(text)
    except ValueError as exc:
        raise EnvCrashed(f"repl: cannot read goal text {text[:200]!r}: {exc}") from exc


def error_messages(reply: dict[str, Any]) -> list[str]:
    """The texts of the reply's error-severity messages."""
    return [str(m.get("data", "")) for m in reply.get("messages") or []
            if isinstance(m, dict) and m.get("severity") == "error"]


def classify_step(reply: dict[str, Any]) -> ReplStep:
    """Classify a ``{"tactic", "proofState"}`` reply (PROTOCOL.md 2.3, 2.4)."""
    if "message" in reply and "proofState" not in reply:
        text = str(reply["message"])
        if text.startswith(LEAN_ERROR):
            return ReplStep(None, (), error=text[len(LEAN_ERROR):].strip() or text)
        raise ReplRejected(f"repl rejected the request: {text}")
    state = reply.get("proofState")
    if not isinstance(state, int):
        raise EnvCrashed(f"repl: a proof-step reply without an integer proofState: {json.dumps(reply)[:200]}")
    status = reply.get("proofStatus")
    errors = error_messages(reply)
    if errors:
        return ReplStep(state, (), error="\n".join(errors))
    if reply.get("sorries") or (isinstance(status, str) and status.startswith("Incomplete: contains sorry")):
        return ReplStep(state, (), error="the step's proof contains sorry")
    raw_goals = reply.get("goals")
    if not isinstance(raw_goals, list):
        raise EnvCrashed(f"repl: a proof-step reply without a goals list: {json.dumps(reply)[:200]}")
    goals = tuple(parse_goal_text(g) for g in raw_goals)
    if goals:
        return ReplStep(state, goals)
    if status == COMPLETED:
        return ReplStep(state, (), proved=True)
    why = status if isinstance(status, str) else "no proofStatus (a REPL from April 2025 on is needed)"
    return ReplStep(state, (), error=f"no goals left but the proof is not accepted: {why}")


def parse_command(reply: dict[str, Any], what: str) -> int:
    """The ``env`` of a command reply; ``StatementError`` for an error message or reply."""
    if "message" in reply and "env" not in reply:
        text = str(reply["message"])
        if text.startswith("Unknown environment"):
            raise ReplRejected(f"repl: {text}")
        raise StatementError(f"{what}: {text}")
    for message in reply.get("messages") or []:
        if isinstance(message, dict) and message.get("severity") == "error":
            pos = message.get("pos") or {}
            line, column = pos.get("line"), pos.get("column")
            raise StatementError(f"{what}: {message.get('data', '')}",
                                 line=line if isinstance(line, int) else None,
                                 column=column + 1 if isinstance(column, int) else None)
    env = reply.get("env")
    if not isinstance(env, int):
        raise EnvCrashed(f"repl: a command reply without an integer env: {json.dumps(reply)[:200]}")
    return env


def parse_start(reply: dict[str, Any]) -> tuple[int, Goal]:
    """Proof state id and goal of the statement's one ``sorry``."""
    parse_command(reply, "the statement")
    sorries = [s for s in reply.get("sorries") or [] if isinstance(s, dict)]
    if len(sorries) != 1 or not isinstance(sorries[0].get("proofState"), int):
        raise StatementError(f"expected exactly one sorry with a proof state, got {len(sorries)}")
    return sorries[0]["proofState"], parse_goal_text(sorries[0].get("goal"))


def sorry_command(statement: str) -> str:
    """``theorem … := by`` as ``theorem … := by sorry`` (``… :=`` as ``… := by sorry``)."""
    text = statement.rstrip()
    if text.endswith(":= by"):
        return text + " sorry"
    if text.endswith(":="):
        return text + " by sorry"
    raise StatementError("statement must end with ':= by' or ':=' (a declaration without its proof)")


@dataclass(frozen=True)
class _Handle:
    generation: int
    proof_state: int
    theorem: Theorem
    path: tuple[tuple[int, str], ...]


class ReplEnv:
    """``qed.core.Env`` over one community-REPL process; a context manager.

    ``command`` is the REPL executable or an argv list (e.g. ``["lake", "env", "…/repl"]``);
    ``project`` is a Lake project (its ``LEAN_PATH`` and working directory) and
    ``lean_path`` gives ``LEAN_PATH`` directly. ``imports`` are imported once per process
    (none: plain ``Init``). ``request_timeout_s`` bounds every request;
    ``import_timeout_s`` bounds the import command. Nothing runs until the first ``start``.
    """

    def __init__(
        self,
        command: str | Sequence[str] = "repl",
        *,
        project: str | Path | None = None,
        lean_path: str | None = None,
        imports: Sequence[str] = (),
        request_timeout_s: float = 30.0,
        import_timeout_s: float = 300.0,
    ):
        if isinstance(imports, str) or not all(isinstance(m, str) and m and " " not in m for m in imports):
            raise ValueError(f"imports must be a list of module names, got {imports!r}")
        self._argv = argv_of(command)
        self._project = str(project) if project is not None else None
        self._lean_path = lean_path
        self._imports = tuple(imports)
        self._request_timeout_s = request_timeout_s
        self._import_timeout_s = import_timeout_s
        self._process: ChildProcess | None = None
        self._ready_generation = 0
        self._base_env: int | None = None
        self._header_envs: dict[str, int] = {}
        self._rebuilt: dict[tuple[Theorem, tuple[tuple[int, str], ...]], int] = {}

    @property
    def process(self) -> ChildProcess | None:
        """The process owner, once the env has been used (``None`` before)."""
        return self._process

    def _proc(self) -> ChildProcess:
        if self._process is None:
            lean_path = self._lean_path
            if lean_path is None and self._project is not None:
                lean_path = lake_lean_path(self._project)
            self._process = ChildProcess(ProcessSpec(
                argv=self._argv, framing="blank", ready_line=None,
                extra_env={"LEAN_PATH": lean_path} if lean_path is not None else {},
                cwd=self._project, request_timeout_s=self._request_timeout_s, name="repl"))
        return self._process

    def __enter__(self) -> ReplEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the process and its whole tree."""
        if self._process is not None:
            self._process.close()

    def _request(self, obj: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        self._ensure_ready()
        return self._proc().request(json.dumps(obj, ensure_ascii=False), timeout)

    def _ensure_ready(self) -> None:
        process = self._proc()
        process.start()
        if self._ready_generation == process.generation:
            return
        self._ready_generation = process.generation
        self._base_env = None
        self._header_envs.clear()
        self._rebuilt.clear()
        if self._imports:
            text = "\n".join(f"import {m}" for m in self._imports)
            try:
                reply = process.request(json.dumps({"cmd": text}), self._import_timeout_s)
                self._base_env = parse_command(reply, "importing " + " ".join(self._imports))
            except (StatementError, RequestTimeout) as exc:
                process.kill()
                raise EnvCrashed(f"repl: cannot import {', '.join(self._imports)}: {exc}") from exc

    def _command(self, text: str, env: int | None, what: str) -> dict[str, Any]:
        request: dict[str, Any] = {"cmd": text}
        if env is not None:
            request["env"] = env
        try:
            return self._request(request)
        except RequestTimeout as exc:
            raise StatementError(f"{what}: no reply within {exc.seconds:g} s") from exc

    def start(self, theorem: Theorem) -> ProofState:
        if not isinstance(theorem, Theorem):
            raise TypeError(f"start expects a qed.core.Theorem, got {type(theorem).__name__}")
        source = sorry_command(theorem.statement)
        _, header_rest = split_header(theorem.header)
        self._ensure_ready()
        env = self._base_env
        if header_rest:
            if header_rest not in self._header_envs:
                reply = self._command(header_rest, env, "the theorem header")
                self._header_envs[header_rest] = parse_command(reply, "the theorem header")
            env = self._header_envs[header_rest]
        proof_state, goal = parse_start(self._command(source, env, "the statement"))
        return ProofState((goal,), _Handle(self._proc().generation, proof_state, theorem, ()))

    def apply(self, state: ProofState, goal_index: int, tactic: str) -> Outcome:
        refused = check_step(state, goal_index, tactic, _Handle)
        if refused is not None:
            return refused
        handle: _Handle = state.handle
        self._ensure_ready()
        text = tactic if goal_index == 0 else f"pick_goal {goal_index + 1}\n{tactic}"
        try:
            reply = self._request({"tactic": text, "proofState": self._live_id(handle)})
        except RequestTimeout as exc:
            return TacticTimeout(exc.seconds)
        step = classify_step(reply)
        if step.error is not None:
            return TacticError(step.error)
        assert step.proof_state is not None
        new = ProofState(step.goals, _Handle(self._proc().generation, step.proof_state, handle.theorem,
                                             handle.path + ((goal_index, tactic),)))
        return Proved(new) if step.proved else Goals(new)

    def release(self, states: Sequence[ProofState]) -> None:
        """Nothing to do: the community REPL keeps every state until the process ends."""

    def _live_id(self, handle: _Handle) -> int:
        """The state's id in the current process, replaying its path after a restart."""
        if handle.generation == self._proc().generation:
            return handle.proof_state
        key = (handle.theorem, handle.path)
        if key not in self._rebuilt:
            state = replay_path(self, handle.theorem, handle.path, "repl")
            assert isinstance(state.handle, _Handle)
            self._rebuilt[key] = state.handle.proof_state
        return self._rebuilt[key]
