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
- Replies are parsed once into the typed values of ``qed.env.lean_repl``. ``snapshot(state,
  path)`` pickles a state (``pickleTo``); after a restart, states reached from a snapshot are
  rebuilt by ``unpickleProofStateFrom`` plus the tactics since it (``snapshot_dir`` pickles
  every new state), others by replaying their path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
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
from qed.env.lean_repl import CommandReply, ErrorReply, ProofStateReply, ReplSession, parse_reply
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
    parsed = parse_reply(reply)
    if isinstance(parsed, ErrorReply):
        return []
    return [m.data for m in parsed.errors]


def classify_step(reply: dict[str, Any]) -> ReplStep:
    """Classify a ``{"tactic", "proofState"}`` reply (PROTOCOL.md 2.3, 2.4).

    The reply is parsed once into a typed value (``qed.env.lean_repl``); a command reply
    here, or a malformed one, raises ``EnvCrashed`` naming the field.
    """
    parsed = parse_reply(reply)
    if isinstance(parsed, ErrorReply):
        if parsed.lean_error is not None:
            return ReplStep(None, (), error=parsed.lean_error or parsed.message)
        raise ReplRejected(f"repl rejected the request: {parsed.message}")
    if not isinstance(parsed, ProofStateReply):
        raise EnvCrashed(f"repl: a tactic was answered with a command reply (env {parsed.env})")
    return classify_proof_state(parsed)


def classify_proof_state(parsed: ProofStateReply) -> ReplStep:
    """Success or failure of a typed proof-state reply."""
    state, status = parsed.proof_state, parsed.proof_status
    if parsed.errors:
        return ReplStep(state, (), error="\n".join(m.data for m in parsed.errors))
    if parsed.sorries or (status is not None and status.startswith("Incomplete: contains sorry")):
        return ReplStep(state, (), error="the step's proof contains sorry")
    goals = tuple(parse_goal_text(g) for g in parsed.goals)
    if goals:
        return ReplStep(state, goals)
    if status == COMPLETED:
        return ReplStep(state, (), proved=True)
    why = status if status is not None else "no proofStatus (a REPL from April 2025 on is needed)"
    return ReplStep(state, (), error=f"no goals left but the proof is not accepted: {why}")


def parse_command_reply(reply: dict[str, Any], what: str) -> CommandReply:
    """A command reply, typed; ``StatementError`` for an error message or an error reply."""
    parsed = parse_reply(reply)
    if isinstance(parsed, ErrorReply):
        if parsed.unknown_id:
            raise ReplRejected(f"repl: {parsed.message}")
        raise StatementError(f"{what}: {parsed.message}")
    if not isinstance(parsed, CommandReply):
        raise EnvCrashed(f"repl: a command was answered with a proof-state reply "
                         f"(proofState {parsed.proof_state})")
    for message in parsed.errors:
        pos = message.pos
        raise StatementError(f"{what}: {message.data}", line=pos.line if pos else None,
                             column=pos.column + 1 if pos else None)
    return parsed


def parse_command(reply: dict[str, Any], what: str) -> int:
    """The ``env`` of a command reply; ``StatementError`` for an error message or reply."""
    return parse_command_reply(reply, what).env


def parse_start(reply: dict[str, Any]) -> tuple[int, Goal]:
    """Proof state id and goal of the statement's one ``sorry``."""
    parsed = parse_command_reply(reply, "the statement")
    sorries = [s for s in parsed.sorries if s.proof_state is not None]
    if len(parsed.sorries) != 1 or len(sorries) != 1:
        raise StatementError(f"expected exactly one sorry with a proof state, got {len(parsed.sorries)}")
    assert sorries[0].proof_state is not None
    return sorries[0].proof_state, parse_goal_text(sorries[0].goal)


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
    snapshot: tuple[str, int] | None = None  # (pickle file, length of path when pickled)


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
        snapshot_dir: str | Path | None = None,
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
        self._snapshot_dir = Path(snapshot_dir) if snapshot_dir is not None else None
        self.rebuilds = {"snapshot": 0, "replay": 0}

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
        state = ProofState((goal,), _Handle(self._proc().generation, proof_state, theorem, ()))
        return self.snapshot(state) if self._snapshot_dir is not None else state

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
                                             handle.path + ((goal_index, tactic),), handle.snapshot))
        if step.proved:
            return Proved(new)
        return Goals(self.snapshot(new) if self._snapshot_dir is not None else new)

    def snapshot(self, state: ProofState, path: str | Path | None = None) -> ProofState:
        """Pickle ``state`` to ``path`` (``pickleTo``) and return it marked with the snapshot.

        After a restart, the state and every state reached from it are rebuilt by
        ``unpickleProofStateFrom`` plus the tactics applied since, not from the theorem's
        start. Without ``path`` the file goes to ``snapshot_dir``.
        """
        handle = state.handle
        if not isinstance(handle, _Handle):
            raise ValueError("snapshot needs a ProofState produced by this env")
        if path is None:
            if self._snapshot_dir is None:
                raise ValueError("snapshot needs a path, or the env's snapshot_dir")
            self._snapshot_dir.mkdir(parents=True, exist_ok=True)
            path = self._snapshot_dir / f"g{handle.generation}-s{handle.proof_state}.olean"
        live = self._live_id(handle)
        try:
            ReplSession(self._request).pickle_proof_state(live, str(path))
        except RequestTimeout as exc:
            raise EnvCrashed(f"repl: pickling a proof state took more than {exc.seconds:g} s") from exc
        return ProofState(state.goals, replace(handle, snapshot=(str(path), len(handle.path))))

    def release(self, states: Sequence[ProofState]) -> None:
        """Nothing to do: the community REPL keeps every state until the process ends."""

    def _live_id(self, handle: _Handle) -> int:
        """The state's id in the current process, replaying its path after a restart."""
        if handle.generation == self._proc().generation:
            return handle.proof_state
        key = (handle.theorem, handle.path)
        if key not in self._rebuilt:
            if handle.snapshot is not None:
                self._rebuilt[key] = self._from_snapshot(handle, handle.snapshot)
                self.rebuilds["snapshot"] += 1
            else:
                state = replay_path(self, handle.theorem, handle.path, "repl")
                assert isinstance(state.handle, _Handle)
                self._rebuilt[key] = state.handle.proof_state
                self.rebuilds["replay"] += 1
        return self._rebuilt[key]

    def _from_snapshot(self, handle: _Handle, snapshot: tuple[str, int]) -> int:
        """Unpickle the snapshot into the base environment, then re-apply the tactics since."""
        file, depth = snapshot
        try:
            session = ReplSession(self._request)
            proof_state = session.unpickle_proof_state(file, self._base_env).proof_state
            for goal_index, tactic in handle.path[depth:]:
                text = tactic if goal_index == 0 else f"pick_goal {goal_index + 1}\n{tactic}"
                reply = session.tactic(text, proof_state)
                if isinstance(reply, ErrorReply) or classify_proof_state(reply).error is not None:
                    raise EnvCrashed(f"repl: cannot rebuild a state from {file}: {tactic!r} now fails")
                proof_state = reply.proof_state
        except RequestTimeout as exc:
            raise EnvCrashed(f"repl: rebuilding a state from {file} took more than "
                             f"{exc.seconds:g} s") from exc
        return proof_state
