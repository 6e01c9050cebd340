"""Pantograph's commands beyond the proof loop, typed: tracing files, goals from expressions
or constants, saving and loading goal states, printing goals, adding and inspecting constants.

Owns: the payloads of ``frontend.process`` (with ``invocations``), ``goal.start``
(``expr`` or ``copyFrom``), ``goal.save``/``goal.load``, ``goal.print``, ``env.add``,
``env.inspect``, and parsing their replies once into frozen dataclasses. A reply without a
field the protocol gives it raises ``PantographProtocolError`` naming the command and the
field; an ``{"error", "desc"}`` reply raises ``PantographRequestFailed``.
``PantographSession`` sends through a callable it is given; the process belongs to
``PantographEnv`` (``PantographEnv.session``, ``PantographEnv.trace_file``).

Invocations (PROTOCOL.md 1.6): ``frontend.process`` with ``invocations: PATH`` writes the
tactic invocations of every compilation unit to PATH as JSON
(``{"units": [{"invocations": [{goalBefore, goalAfter, tactic, usedConstants}]}]}``) and
answers with ``nInvocations`` per unit; ``trace_file`` reads and parses that file.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qed.core import EnvCrashed, Goal

Send = Callable[[str, Mapping[str, Any]], dict[str, Any]]


class PantographProtocolError(EnvCrashed):
    """A Pantograph reply that lacks a field, or has one of the wrong type."""


class PantographRequestFailed(EnvCrashed):
    """Pantograph answered ``{"error": kind, "desc": …}``."""

    def __init__(self, cmd: str, kind: str, desc: str):
        super().__init__(f"pantograph {cmd} failed ({kind}): {desc}")
        self.kind, self.desc = kind, desc


def _fail(cmd: str, field: str, detail: str, obj: Any) -> PantographProtocolError:
    shown = json.dumps(obj, ensure_ascii=False)[:200]
    return PantographProtocolError(f"pantograph {cmd}: field '{field}' {detail}: {shown}")


def _checked(cmd: str, reply: Any) -> dict[str, Any]:
    if not isinstance(reply, dict):
        raise _fail(cmd, "(whole reply)", "is not a JSON object", reply)
    if "error" in reply:
        raise PantographRequestFailed(cmd, str(reply.get("error")), str(reply.get("desc", "")))
    return reply


def _int(cmd: str, obj: Mapping[str, Any], field: str) -> int:
    value = obj.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(cmd, field, "is missing or not an integer", obj)
    return value


@dataclass(frozen=True)
class Expression:
    """A Lean expression as Pantograph shows it: pretty-printed and/or as an s-expression."""

    pp: str | None
    sexp: str | None = None

    @classmethod
    def parse(cls, cmd: str, field: str, obj: Any) -> Expression:
        shown = isinstance(obj, dict) and (isinstance(obj.get("pp"), str) or isinstance(obj.get("sexp"), str))
        if not shown:
            raise _fail(cmd, field, "is not an expression object with 'pp' or 'sexp'", obj)
        pp, sexp = obj.get("pp"), obj.get("sexp")
        return cls(pp if isinstance(pp, str) else None, sexp if isinstance(sexp, str) else None)


def _expr(cmd: str, obj: Mapping[str, Any], field: str) -> Expression | None:
    return Expression.parse(cmd, field, obj[field]) if obj.get(field) is not None else None


@dataclass(frozen=True)
class TacticInvocation:
    """One tactic of a traced file: the goals before and after it (pretty-printed), its text."""

    goal_before: str
    goal_after: str
    tactic: str
    used_constants: tuple[str, ...] = ()

    @classmethod
    def parse(cls, obj: Any) -> TacticInvocation:
        cmd = "frontend.process invocations"
        if not isinstance(obj, dict):
            raise _fail(cmd, "invocations[]", "is not an object", obj)
        for field in ("goalBefore", "goalAfter", "tactic"):
            if not isinstance(obj.get(field), str):
                raise _fail(cmd, field, "is missing or not a string", obj)
        used = obj.get("usedConstants", [])
        if not isinstance(used, list) or not all(isinstance(c, str) for c in used):
            raise _fail(cmd, "usedConstants", "is not a list of names", obj)
        return cls(obj["goalBefore"], obj["goalAfter"], obj["tactic"], tuple(used))

    @property
    def closes_goal(self) -> bool:
        return not self.goal_after.strip()


@dataclass(frozen=True)
class CompilationUnit:
    """One command of a processed file: its byte range, messages, goal state, invocations."""

    boundary: tuple[int, int] | None
    messages: tuple[Any, ...]
    n_invocations: int | None = None
    goal_state_id: int | None = None
    goals: tuple[Goal, ...] = ()
    invocations: tuple[TacticInvocation, ...] = ()

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(str(m.get("data", "")) for m in self.messages
                     if isinstance(m, dict) and m.get("severity") == "error")


@dataclass(frozen=True)
class FileTrace:
    """A ``frontend.process`` reply over a whole file, with each unit's tactic invocations."""

    units: tuple[CompilationUnit, ...]

    @property
    def invocations(self) -> tuple[TacticInvocation, ...]:
        return tuple(i for u in self.units for i in u.invocations)

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(e for u in self.units for e in u.errors)


def parse_frontend(reply: Any, invocations_file: Any | None = None) -> FileTrace:
    """A ``frontend.process`` reply (and the invocations file it wrote) as a ``FileTrace``."""
    from qed.env.pantograph import parse_goals

    cmd = "frontend.process"
    reply = _checked(cmd, reply)
    units = reply.get("units")
    if not isinstance(units, list):
        raise _fail(cmd, "units", "is missing or not a list", reply)
    traced: list[list[TacticInvocation]] = [[] for _ in units]
    if invocations_file is not None:
        file_units = invocations_file.get("units") if isinstance(invocations_file, dict) else None
        if not isinstance(file_units, list) or len(file_units) != len(units):
            raise _fail(cmd, "invocations file units", f"does not list the reply's {len(units)} units",
                        invocations_file)
        traced = [[TacticInvocation.parse(i) for i in (u.get("invocations") or [])] for u in file_units]
    out = []
    for k, unit in enumerate(units):
        if not isinstance(unit, dict):
            raise _fail(cmd, "units[]", "is not an object", unit)
        boundary = unit.get("boundary")
        if boundary is not None and not (isinstance(boundary, list) and len(boundary) == 2):
            raise _fail(cmd, "boundary", "is not a [start, end] pair", unit)
        messages = unit.get("messages", [])
        if not isinstance(messages, list):
            raise _fail(cmd, "messages", "is not a list", unit)
        n = unit.get("nInvocations")
        if n is not None and invocations_file is not None and n != len(traced[k]):
            listed = len(traced[k])
            raise _fail(cmd, "nInvocations", f"says {n} but the invocations file lists {listed}", unit)
        goals = parse_goals(unit["goals"]) if unit.get("goals") is not None else ()
        state = unit.get("goalStateId")
        out.append(CompilationUnit(tuple(boundary) if boundary else None, tuple(messages),
                                   n if isinstance(n, int) else None,
                                   state if isinstance(state, int) else None, goals, tuple(traced[k])))
    return FileTrace(tuple(out))


@dataclass(frozen=True)
class GoalPrint:
    """A ``goal.print`` reply: the root proof term and its flags, the goals, parent terms."""

    root: Expression | None
    goals: tuple[Goal, ...]
    parent_exprs: tuple[Expression, ...] = ()
    root_has_sorry: bool = False
    root_has_mvar: bool = False
    root_has_unsafe: bool = False


@dataclass(frozen=True)
class ConstantInfo:
    """An ``env.inspect`` reply."""

    type: Expression
    value: Expression | None = None
    module: str | None = None
    is_unsafe: bool | None = None
    raw: Mapping[str, Any] | None = None


class PantographSession:
    """Typed Pantograph commands over ``send(cmd, payload) -> reply``, which it does not own."""

    def __init__(self, send: Send, *, legacy_frontend: bool = False):
        self._send = send
        self._legacy = legacy_frontend  # before 0.3.6: frontend.process also takes sorrys, typeErrorsAsGoals

    def _ask(self, cmd: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        return _checked(cmd, self._send(cmd, payload))

    def frontend_payload(self, source: str, *, read_header: bool = False, inherit_env: bool = False,
                         invocations: str | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"file": source, "readHeader": read_header, "inheritEnv": inherit_env,
                                   "newConstants": False}
        if invocations is not None:
            payload["invocations"] = invocations
        if self._legacy:
            payload.update(sorrys=False, typeErrorsAsGoals=False)
        return payload

    def trace_file(self, source: str, *, read_header: bool = False, inherit_env: bool = False,
                   directory: str | Path | None = None) -> FileTrace:
        """``frontend.process`` with ``invocations`` over a whole file; every tactic, typed."""
        with tempfile.TemporaryDirectory(prefix="qed-trace-", dir=directory) as tmp:
            path = Path(tmp) / "invocations.jsonl"
            reply = self._send("frontend.process", self.frontend_payload(
                source, read_header=read_header, inherit_env=inherit_env, invocations=str(path)))
            _checked("frontend.process", reply)
            written = None
            if path.exists():
                try:
                    written = json.loads(path.read_text(encoding="utf-8"))
                except json.JSONDecodeError as exc:
                    raise PantographProtocolError(f"pantograph frontend.process: the invocations file is not "
                                                  f"JSON: {exc}") from exc
            elif any(isinstance(u, dict) and u.get("nInvocations") for u in reply.get("units") or []):
                raise PantographProtocolError("pantograph frontend.process: reports invocations but wrote no "
                                              "invocations file")
        return parse_frontend(reply, written)

    def goal_start(self, *, expr: str | None = None, copy_from: str | None = None) -> int:
        """A goal state from an expression (``expr``) or a named constant's type (``copyFrom``)."""
        if (expr is None) == (copy_from is None):
            raise ValueError("goal_start needs exactly one of expr or copy_from")
        payload = {"expr": expr} if expr is not None else {"copyFrom": copy_from}
        return _int("goal.start", self._ask("goal.start", payload), "stateId")

    def goal_save(self, state_id: int, path: str | Path) -> None:
        self._ask("goal.save", {"id": state_id, "path": str(path)})

    def goal_load(self, path: str | Path) -> int:
        return _int("goal.load", self._ask("goal.load", {"path": str(path)}), "id")

    def goal_print(self, state_id: int, *, root: bool = True, goals: bool = True,
                   parents: bool = False) -> GoalPrint:
        from qed.env.pantograph import parse_goals

        payload: dict[str, Any] = {"stateId": state_id}
        if root:
            payload["rootExpr"] = True
        if parents:
            payload["parentExprs"] = True
        payload["goals"] = goals
        reply = self._ask("goal.print", payload)
        parents_raw = reply.get("parentExprs") or []
        if not isinstance(parents_raw, list):
            raise _fail("goal.print", "parentExprs", "is not a list", reply)
        return GoalPrint(_expr("goal.print", reply, "root"), parse_goals(reply.get("goals") or []),
                         tuple(Expression.parse("goal.print", "parentExprs[]", p) for p in parents_raw),
                         bool(reply.get("rootHasSorry")), bool(reply.get("rootHasMVar")),
                         bool(reply.get("rootHasUnsafe")))

    def env_add(self, name: str, value: str, *, type: str | None = None, is_theorem: bool = False,
                levels: Sequence[str] | None = None) -> None:
        payload: dict[str, Any] = {"name": name, "value": value, "isTheorem": is_theorem}
        if type is not None:
            payload["type"] = type
        if levels:
            payload["levels"] = list(levels)
        self._ask("env.add", payload)

    def env_inspect(self, name: str, *, value: bool = False, source: bool = False,
                    dependency: bool = False) -> ConstantInfo:
        reply = self._ask("env.inspect", {"name": name, "value": value, "source": source,
                                          "dependency": dependency})
        if "type" not in reply:
            raise _fail("env.inspect", "type", "is missing", reply)
        module = reply.get("module")
        unsafe = reply.get("isUnsafe")
        return ConstantInfo(Expression.parse("env.inspect", "type", reply["type"]),
                            _expr("env.inspect", reply, "value"),
                            module if isinstance(module, str) else None,
                            unsafe if isinstance(unsafe, bool) else None, reply)
