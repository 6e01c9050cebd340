"""``PantographEnv``: ``qed.core.Env`` over one Pantograph REPL process (synchronous).

Owns: Pantograph's request shapes and the parsing of its replies into core types (done
once, here, at the edge), the protocol generations (PROTOCOL.md 1.10), the mapping from
``goal_index`` to ``goalId``, batched ``goal.delete``, and rebuilding states after the
process was restarted. Does not know about search, pools or configuration: the process
itself is a ``ChildProcess`` (``process.py``), and a pool composes envs (``pool.py``).

The implementation is synchronous around the thread-safe ``ChildProcess``; one env
serves one request at a time. Use several envs (a pool) for parallelism.

Contract details:
- ``start(theorem)`` applies the header's non-import lines once per process
  (``frontend.process`` with ``inheritEnv``), then turns ``statement`` (ending in ``:= by``
  or ``:=``) into ``… := sorry`` and asks for its goal state: ``frontend.distil`` from
  0.3.6 on, ``frontend.process`` with ``sorrys`` before. Header imports must be among the
  modules the process was started with (``imports``).
- ``apply`` runs in automatic mode; ``goalId`` is sent only when ``goal_index > 0`` (or
  always before 0.3.3, where it was required). A reply with ``hasSorry``/``hasUnsafe``, a
  ``parseError``, failure messages (``tacticErrors``, strings or message objects), or an
  error-severity message is a ``TacticError``. A Lean-side interrupt or the wall-clock
  limit is ``TacticTimeout``. With ``verify_root``, a step that closes every goal is
  ``Proved`` only when ``goal.print`` shows a root term free of sorry, mvars and unsafe.
- A rejected request that is not the tactic's fault (``index``/``command`` errors),
  process death or garbage raise ``EnvCrashed``. After a restart, states of the old
  process are rebuilt by replaying their tactic path in the new one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qed.core import (
    EnvCrashed,
    Goal,
    Goals,
    Hypothesis,
    Outcome,
    ProofState,
    Proved,
    StatementError,
    TacticError,
    TacticTimeout,
    Theorem,
)
from qed.env.lean_pantograph import FileTrace, PantographSession
from qed.env.process import ChildProcess, ProcessSpec, RequestTimeout, argv_of, lake_lean_path

INTERRUPT = "interrupt"
_CRASH_KINDS = frozenset({"index", "command", "main", "operation", "arguments"})


class PantographRejected(EnvCrashed):
    """Pantograph rejected a request for a reason that is not the tactic's fault."""


@dataclass(frozen=True, order=True)
class Dialect:
    """What a Pantograph version expects; derived from its version string."""

    version: tuple[int, ...] = (99,)

    @classmethod
    def of(cls, version: str | None) -> Dialect:
        """Parse ``0.3.4`` or ``0.3.2/v4.9.0``; unknown or unreadable means the newest."""
        match = re.match(r"\s*v?(\d+(?:\.\d+)*)", version or "")
        return cls(tuple(int(x) for x in match.group(1).split("."))) if match else cls()

    @property
    def goal_id_required(self) -> bool:
        return self.version < (0, 3, 3)

    @property
    def has_distil(self) -> bool:
        return self.version >= (0, 3, 6)

    @property
    def has_frontend(self) -> bool:
        return self.version >= (0, 2, 19)


@dataclass(frozen=True)
class StepReply:
    """A ``goal.tactic`` reply, classified: exactly one of success, failure or timeout."""

    next_state_id: int | None
    goals: tuple[Goal, ...]
    error: str | None = None
    timed_out: bool = False


# -- parsing (the edge) ------------------------------------------------------------------


def _pp(expr: Any, where: str) -> str:
    if isinstance(expr, dict) and isinstance(expr.get("pp"), str):
        return expr["pp"]
    raise EnvCrashed(f"pantograph: {where} has no pretty-printed text ('pp'): {json.dumps(expr)[:200]}")


def parse_goal(obj: Any) -> Goal:
    """A Pantograph goal object as a core ``Goal`` (``userName`` of the goal is the case tag)."""
    if not isinstance(obj, dict) or "target" not in obj:
        raise EnvCrashed(f"pantograph: not a goal object: {json.dumps(obj)[:200]}")
    hyps = []
    for var in obj.get("vars") or []:
        if not isinstance(var, dict) or not isinstance(var.get("userName"), str):
            raise EnvCrashed(f"pantograph: hypothesis without userName: {json.dumps(var)[:200]}")
        value = _pp(var["value"], "a let value") if var.get("value") is not None else None
        hyps.append(Hypothesis(var["userName"], _pp(var.get("type"), f"hypothesis {var['userName']}"), value))
    tag = obj.get("userName")
    target = _pp(obj["target"], "a goal target")
    return Goal(tuple(hyps), target, tag if isinstance(tag, str) and tag else None)


def parse_goals(objs: Any) -> tuple[Goal, ...]:
    if not isinstance(objs, list):
        raise EnvCrashed(f"pantograph: 'goals' is not a list: {json.dumps(objs)[:200]}")
    return tuple(parse_goal(g) for g in objs)


def message_text(message: Any) -> str:
    """The text of a message: a plain string (0.3.1–0.3.3) or a message object's ``data``."""
    if isinstance(message, str):
        return message
    if isinstance(message, dict):
        return str(message.get("data", ""))
    return str(message)


def is_error_message(message: Any) -> bool:
    """Message objects carry a severity; plain strings cannot say, so they are not errors."""
    return isinstance(message, dict) and message.get("severity") == "error"


def failure_text(reply: dict[str, Any]) -> str:
    """The reasons of a failed step, from ``tacticErrors`` (≤ 0.3.0) or ``messages``."""
    texts = [message_text(m) for m in reply.get("tacticErrors") or []]
    messages = reply.get("messages") or []
    errors = [m for m in messages if is_error_message(m)]
    texts += [message_text(m) for m in (errors or messages)]
    return "\n".join(t for t in texts if t) or "tactic failed (no message)"


def classify_step(reply: dict[str, Any]) -> StepReply:
    """Classify a ``goal.tactic`` reply (PROTOCOL.md, Part 4, item 2).

    Raises ``PantographRejected`` for a rejection that is not the tactic's fault.
    """
    if "error" in reply:
        kind, desc = str(reply.get("error")), str(reply.get("desc", ""))
        if desc == INTERRUPT:
            return StepReply(None, (), timed_out=True)
        if kind in _CRASH_KINDS:
            raise PantographRejected(f"pantograph rejected the request ({kind}): {desc}")
        return StepReply(None, (), error=desc or kind)
    if isinstance(reply.get("parseError"), str):
        return StepReply(None, (), error=reply["parseError"])
    if reply.get("nextStateId") is None:
        return StepReply(None, (), error=failure_text(reply))
    next_id = reply["nextStateId"]
    if not isinstance(next_id, int):
        raise EnvCrashed(f"pantograph: nextStateId is not an integer: {next_id!r}")
    if reply.get("hasSorry") or reply.get("hasUnsafe"):
        which = " and ".join(k for k, f in (("sorry", "hasSorry"), ("an unsafe constant", "hasUnsafe"))
                             if reply.get(f))
        return StepReply(next_id, (), error=f"the step's proof term contains {which}")
    errors = [m for m in reply.get("messages") or [] if is_error_message(m)]
    if errors:
        return StepReply(next_id, (), error="\n".join(message_text(m) for m in errors))
    if "goals" not in reply:
        raise EnvCrashed(f"pantograph: a successful step without 'goals': {json.dumps(reply)[:200]}")
    return StepReply(next_id, parse_goals(reply["goals"]))


def _error_position(message: Any) -> tuple[int | None, int | None]:
    pos = message.get("pos") if isinstance(message, dict) else None
    if isinstance(pos, dict) and isinstance(pos.get("line"), int) and isinstance(pos.get("column"), int):
        return pos["line"], pos["column"] + 1
    return None, None


def parse_start(reply: dict[str, Any]) -> tuple[int, tuple[Goal, ...]]:
    """State id and goals of a ``frontend.distil`` or ``frontend.process`` (sorrys) reply.

    Raises ``StatementError`` when Lean rejected the statement or produced no goal state.
    """
    if "error" in reply:
        raise StatementError(f"Pantograph rejected the statement ({reply.get('error')}): "
                             f"{reply.get('desc', '')}")
    targets: list[tuple[Any, Any]] = []
    if "targets" in reply:
        targets = [(t.get("stateId"), t.get("goals")) for t in reply["targets"] or [] if isinstance(t, dict)]
    elif "units" in reply:
        for unit in reply["units"] or []:
            for message in unit.get("messages") or []:
                if is_error_message(message):
                    line, column = _error_position(message)
                    raise StatementError(message_text(message), line=line, column=column)
            if unit.get("goalStateId") is not None:
                targets.append((unit["goalStateId"], unit.get("goals")))
    else:
        raise EnvCrashed(f"pantograph: unexpected reply to a start request: {json.dumps(reply)[:200]}")
    if len(targets) != 1 or not isinstance(targets[0][0], int):
        raise StatementError(f"expected one proof target with a goal state, got {len(targets)}")
    goals = parse_goals(targets[0][1] or [])
    if not goals:
        raise StatementError("the statement produced no goal")
    return targets[0][0], goals


def root_problem(reply: dict[str, Any]) -> str | None:
    """Why a ``goal.print`` (rootExpr) reply does not show a finished proof, or ``None``."""
    if "error" in reply:
        return f"goal.print failed ({reply.get('error')}): {reply.get('desc', '')}"
    if reply.get("root") is None:
        return "no root proof term"
    flags = [name for name in ("rootHasSorry", "rootHasMVar", "rootHasUnsafe") if reply.get(name)]
    return f"root proof term is not finished: {', '.join(flags)}" if flags else None


def sorry_source(statement: str) -> str:
    """``theorem … := by`` (or ``… :=``) as ``theorem … := sorry``."""
    text = statement.rstrip()
    if text.endswith(":= by"):
        return text[: -len("by")].rstrip() + " sorry"
    if text.endswith(":="):
        return text + " sorry"
    raise StatementError("statement must end with ':= by' or ':=' (a declaration without its proof)")


def split_header(header: str) -> tuple[list[str], str]:
    """The header's imported modules, and the rest of it (``open``, ``set_option`` …)."""
    imports, rest = [], []
    for line in header.splitlines():
        if line.strip().startswith("import "):
            imports += line.split()[1:]
        else:
            rest.append(line)
    return imports, "\n".join(rest).strip()


# -- the env -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Handle:
    generation: int
    state_id: int
    theorem: Theorem
    path: tuple[tuple[int, str], ...]
    snapshot: tuple[str, int] | None = None  # (goal.save file, length of path when saved)


def _line(cmd: str, payload: Mapping[str, Any]) -> str:
    return f"{cmd} {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}"


class PantographEnv:
    """``qed.core.Env`` over one Pantograph process; a context manager.

    ``command`` is the Pantograph executable (``repl``) or an argv list. ``project`` is a
    Lake project: its ``LEAN_PATH`` (from ``lake env printenv LEAN_PATH``) is given to the
    child, whose working directory it becomes; ``lean_path`` gives ``LEAN_PATH`` directly.
    ``imports`` are the modules to load; ``lean_options`` go on the command line as
    ``--key=value``; ``tactic_timeout_ms`` is Pantograph's own ``timeout`` option;
    ``request_timeout_s`` the wall-clock limit per request; ``version`` the Pantograph
    version (asked with ``--version`` when not given; unknown means the newest protocol).
    Nothing runs until the first ``start``.
    """

    def __init__(
        self,
        command: str | Sequence[str] = "repl",
        *,
        project: str | Path | None = None,
        lean_path: str | None = None,
        imports: Sequence[str] = ("Init",),
        lean_options: Mapping[str, str | int | bool] | None = None,
        request_timeout_s: float = 30.0,
        startup_timeout_s: float = 120.0,
        tactic_timeout_ms: int | None = None,
        version: str | None = None,
        release_batch: int = 64,
        verify_root: bool = True,
    ):
        if isinstance(imports, str) or not all(isinstance(m, str) and m and " " not in m for m in imports):
            raise ValueError(f"imports must be a list of module names, got {imports!r}")
        if release_batch < 1:
            raise ValueError(f"release_batch must be at least 1, got {release_batch}")
        self._argv = argv_of(command)
        self._project = str(project) if project is not None else None
        self._lean_path = lean_path
        self._imports = tuple(imports)
        self._options = dict(lean_options or {})
        self._request_timeout_s = request_timeout_s
        self._startup_timeout_s = startup_timeout_s
        self._tactic_timeout_ms = tactic_timeout_ms
        self._version = version
        self._release_batch = release_batch
        self._verify_root = verify_root
        self._process: ChildProcess | None = None
        self._dialect: Dialect | None = None
        self._ready_generation = 0
        self._headers: set[str] = set()
        self._rebuilt: dict[tuple[Theorem, tuple[tuple[int, str], ...]], int] = {}
        self._pending_delete: list[int] = []
        self.rebuilds = {"snapshot": 0, "replay": 0}

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def process(self) -> ChildProcess | None:
        """The process owner, once the env has been used (``None`` before)."""
        return self._process

    def _proc(self) -> ChildProcess:
        if self._process is None:
            extra_env: dict[str, str] = {}
            lean_path = self._lean_path
            if lean_path is None and self._project is not None:
                lean_path = lake_lean_path(self._project)
            if lean_path is not None:
                extra_env["LEAN_PATH"] = lean_path
            argv = self._argv + self._imports + tuple(f"--{k}={_option(v)}" for k, v in self._options.items())
            self._process = ChildProcess(ProcessSpec(
                argv=argv, framing="line", ready_line="ready.", extra_env=extra_env, cwd=self._project,
                startup_timeout_s=self._startup_timeout_s, request_timeout_s=self._request_timeout_s,
                name="pantograph"))
        return self._process

    @property
    def dialect(self) -> Dialect:
        if self._dialect is None:
            self._dialect = Dialect.of(self._version if self._version is not None else self._probe_version())
        return self._dialect

    def _probe_version(self) -> str | None:
        import subprocess

        try:
            done = subprocess.run([*self._argv, "--version"], capture_output=True, text=True, timeout=30,
                                  cwd=self._project)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    def __enter__(self) -> PantographEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the process and its whole tree."""
        if self._process is not None:
            self._process.close()

    @property
    def session(self) -> PantographSession:
        """Typed Pantograph commands (``qed.env.lean_pantograph``) over this env's process."""
        return PantographSession(self._request, legacy_frontend=not self.dialect.has_distil)

    def trace_file(self, source: str, *, read_header: bool = False, inherit_env: bool = False) -> FileTrace:
        """Run ``frontend.process`` with ``invocations`` over a whole file: every tactic step,
        typed (``FileTrace.invocations``: ``TacticInvocation(goal_before, goal_after, tactic,
        used_constants)``), with each unit's messages. For tracing corpora into tactic steps."""
        return self.session.trace_file(source, read_header=read_header, inherit_env=inherit_env)

    def _request(self, cmd: str, payload: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        self._ensure_ready()
        return self._proc().request(_line(cmd, payload), timeout)

    def _ensure_ready(self) -> None:
        process = self._proc()
        _ = self.dialect  # ask for the version before the REPL itself starts
        process.start()
        if self._ready_generation == process.generation:
            return
        self._ready_generation = process.generation
        self._headers.clear()
        self._rebuilt.clear()
        self._pending_delete.clear()
        if self._tactic_timeout_ms is not None:
            reply = process.request(_line("options.set", {"timeout": int(self._tactic_timeout_ms)}))
            if "error" in reply:
                raise PantographRejected(f"pantograph: options.set failed: {reply.get('desc', '')}")

    # -- Env ---------------------------------------------------------------------------

    def start(self, theorem: Theorem) -> ProofState:
        if not isinstance(theorem, Theorem):
            raise TypeError(f"start expects a qed.core.Theorem, got {type(theorem).__name__}")
        source = sorry_source(theorem.statement)
        _, header_rest = split_header(theorem.header)
        self._ensure_ready()
        if not self.dialect.has_frontend:
            raise EnvCrashed(f"Pantograph {self._version} has no frontend commands; use 0.2.19 or newer")
        if header_rest and header_rest not in self._headers:
            payload = self._process_payload(header_rest, inherit=True, sorrys=False)
            reply = self._request("frontend.process", payload)
            parse_start_errors(reply, "the theorem header")
            self._headers.add(header_rest)
        if self.dialect.has_distil:
            reply = self._request("frontend.distil", {"file": source, "ignoreValues": False})
        else:
            payload = self._process_payload(source, inherit=False, sorrys=True)
            reply = self._request("frontend.process", payload)
        state_id, goals = parse_start(reply)
        return ProofState(goals, _Handle(self._proc().generation, state_id, theorem, ()))

    def _process_payload(self, text: str, *, inherit: bool, sorrys: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {"file": text, "readHeader": False, "inheritEnv": inherit,
                                   "newConstants": False}
        if not self.dialect.has_distil:
            payload.update(sorrys=sorrys, typeErrorsAsGoals=False)
        return payload

    def apply(self, state: ProofState, goal_index: int, tactic: str) -> Outcome:
        refused = check_step(state, goal_index, tactic, _Handle)
        if refused is not None:
            return refused
        handle: _Handle = state.handle
        self._ensure_ready()
        state_id = self._live_id(handle)
        payload: dict[str, Any] = {"stateId": state_id, "tactic": tactic}
        if goal_index > 0 or self.dialect.goal_id_required:
            payload["goalId"] = goal_index
        limit = self._request_timeout_s
        try:
            reply = self._request("goal.tactic", payload)
        except RequestTimeout as exc:
            return TacticTimeout(exc.seconds)
        step = classify_step(reply)
        if step.timed_out:
            return TacticTimeout((self._tactic_timeout_ms or limit * 1000) / 1000)
        if step.error is not None:
            if step.next_state_id is not None:
                self._pending_delete.append(step.next_state_id)
            return TacticError(step.error)
        assert step.next_state_id is not None
        new = _Handle(self._proc().generation, step.next_state_id, handle.theorem,
                      handle.path + ((goal_index, tactic),), handle.snapshot)
        if step.goals:
            return Goals(ProofState(step.goals, new))
        if self._verify_root:
            printed = self._request("goal.print", {"stateId": step.next_state_id, "rootExpr": True})
            problem = root_problem(printed)
            if problem is not None:
                return TacticError(problem)
        return Proved(ProofState((), new))

    def release(self, states: Sequence[ProofState]) -> None:
        """Queue the states' ids for ``goal.delete``; sends one request per full batch."""
        generation = self._process.generation if self._process is not None else -1
        for state in states:
            handle = state.handle
            if isinstance(handle, _Handle) and handle.generation == generation:
                self._pending_delete.append(handle.state_id)
        if len(self._pending_delete) >= self._release_batch:
            ids, self._pending_delete = sorted(set(self._pending_delete)), []
            self._request("goal.delete", {"stateIds": ids})  # unknown ids are ignored by Pantograph

    # -- restarts ----------------------------------------------------------------------

    def _live_id(self, handle: _Handle) -> int:
        """The state's id in the current process, replaying its path after a restart."""
        if handle.generation == self._proc().generation:
            return handle.state_id
        key = (handle.theorem, handle.path)
        if key not in self._rebuilt:
            if handle.snapshot is not None:
                self._rebuilt[key] = self._from_snapshot(handle, handle.snapshot)
                self.rebuilds["snapshot"] += 1
            else:
                state = replay_path(self, handle.theorem, handle.path, "pantograph")
                assert isinstance(state.handle, _Handle)
                self._rebuilt[key] = state.handle.state_id
                self.rebuilds["replay"] += 1
        return self._rebuilt[key]

    def snapshot(self, state: ProofState, path: str | Path) -> ProofState:
        """Save ``state`` with ``goal.save`` and return it marked with the snapshot.

        After a restart, the state and every state reached from it are rebuilt by
        ``goal.load`` plus the tactics applied since, instead of replaying from the start.
        """
        handle = state.handle
        if not isinstance(handle, _Handle):
            raise ValueError("snapshot needs a ProofState produced by this env")
        try:
            self.session.goal_save(self._live_id(handle), path)
        except RequestTimeout as exc:
            raise EnvCrashed(f"pantograph: goal.save took more than {exc.seconds:g} s") from exc
        return ProofState(state.goals, replace(handle, snapshot=(str(path), len(handle.path))))

    def _from_snapshot(self, handle: _Handle, snapshot: tuple[str, int]) -> int:
        file, depth = snapshot
        try:
            state_id = self.session.goal_load(file)
            for goal_index, tactic in handle.path[depth:]:
                payload: dict[str, Any] = {"stateId": state_id, "tactic": tactic}
                if goal_index > 0 or self.dialect.goal_id_required:
                    payload["goalId"] = goal_index
                step = classify_step(self._request("goal.tactic", payload))
                if step.error is not None or step.next_state_id is None:
                    raise EnvCrashed(f"pantograph: cannot rebuild a state from {file}: {tactic!r} now fails")
                state_id = step.next_state_id
        except RequestTimeout as exc:
            raise EnvCrashed(f"pantograph: rebuilding a state from {file} took more than "
                             f"{exc.seconds:g} s") from exc
        return state_id


def replay_path(env, theorem: Theorem, path: Sequence[tuple[int, str]], who: str) -> ProofState:
    """Start ``theorem`` and re-apply ``path`` (after a restart lost the process's states).

    Raises ``EnvCrashed`` when a step that once succeeded no longer does.
    """
    state = env.start(theorem)
    for goal_index, tactic in path:
        outcome = env.apply(state, goal_index, tactic)
        if not isinstance(outcome, (Goals, Proved)):
            raise EnvCrashed(f"{who}: cannot rebuild a state after a restart: {tactic!r} now gives {outcome}")
        state = outcome.state
    return state


def parse_start_errors(reply: dict[str, Any], what: str) -> None:
    """Raise ``StatementError`` when a ``frontend.process`` reply shows an error."""
    if "error" in reply:
        raise StatementError(f"Pantograph rejected {what} ({reply.get('error')}): {reply.get('desc', '')}")
    for unit in reply.get("units") or []:
        for message in unit.get("messages") or []:
            if is_error_message(message):
                line, column = _error_position(message)
                raise StatementError(f"{what}: {message_text(message)}", line=line, column=column)


def check_step(state: ProofState, goal_index: int, tactic: str, handle_type: type) -> TacticError | None:
    """Refuse a foreign state (``ValueError``); a bad goal index or empty tactic is a ``TacticError``."""
    if not isinstance(state, ProofState) or not isinstance(state.handle, handle_type):
        raise ValueError("apply needs a ProofState produced by this kind of env (start or apply)")
    n = len(state.goals)
    if isinstance(goal_index, bool) or not isinstance(goal_index, int) or not 0 <= goal_index < n:
        return TacticError(f"goal index {goal_index!r} is out of range: the state has "
                           f"{len(state.goals)} goal(s)")
    if not isinstance(tactic, str) or not tactic.strip():
        return TacticError("empty tactic")
    return None


def _option(value: str | int | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
