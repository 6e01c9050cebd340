"""The community REPL's protocol, typed: every request it takes and every reply shape it sends.

Owns: building requests (commands with and without ``env``, tactic mode, ``pickleTo``,
``unpickleEnvFrom``, ``unpickleProofStateFrom``, ``allTactics``, ``rootGoals``,
``infotree``, ``gc``, file mode) and parsing each reply **once**, here, into frozen
dataclasses. A reply that is not what the protocol says raises ``ReplProtocolError``
naming the reply kind and the field. ``ReplSession`` sends typed requests over one
``ChildProcess``; it does not own the process (``ReplEnv`` or a verifier does).

Reply shapes (upstream ``REPL/JSON.lean``, checked against its ``test/`` folder):

- command reply: ``env`` and, when not empty, ``messages``, ``sorries``, ``tactics``
  (``allTactics``), ``infotree``; a pickled environment is answered with a command reply
  (``{"env": n}``);
- proof-state reply: ``proofState``, ``goals``, ``proofStatus`` (releases from April 2025
  on), and when not empty ``messages``, ``sorries``, ``traces``; never ``env``. Pickling
  and unpickling a proof state are answered with one;
- error reply: ``{"message": …}`` (``Lean error:\\n…`` when a tactic threw, ``Unknown
  proof state.``/``Unknown environment.`` for a bad id, or an I/O error);
- some releases answer file mode (``{"path": …}``) per command: ``{"results": [{"source",
  "env", "messages", "sorries", "tactics"}, …]}`` (``FileResults``), with ``goalsBefore`` in
  tactic records.

Older releases sent a sorry's goal as ``goal``, one release sent ``goals`` and a
``parentDecl``; both read as ``Sorry.goals``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from qed.core import EnvCrashed

Severity = Literal["info", "warning", "error", "trace"]
SEVERITIES = ("info", "warning", "error", "trace")
INFOTREE_MODES = ("full", "tactics", "original", "substantive")


class ReplProtocolError(EnvCrashed):
    """A reply that does not have the shape the REPL protocol gives it."""


def _fail(kind: str, field: str, detail: str, reply: Any) -> ReplProtocolError:
    shown = json.dumps(reply, ensure_ascii=False)[:200]
    return ReplProtocolError(f"repl: {kind}: field '{field}' {detail}: {shown}")


def _int(obj: Mapping[str, Any], field: str, kind: str, *, optional: bool = False) -> int | None:
    value = obj.get(field)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(kind, field, "is missing or not an integer", obj)
    return value


def _str(obj: Mapping[str, Any], field: str, kind: str, *, optional: bool = False) -> str | None:
    value = obj.get(field)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _fail(kind, field, "is missing or not a string", obj)
    return value


def _list(obj: Mapping[str, Any], field: str, kind: str) -> list[Any]:
    value = obj.get(field, [])
    if not isinstance(value, list):
        raise _fail(kind, field, "is not a list", obj)
    return value


@dataclass(frozen=True)
class Pos:
    """A source position: 1-based line, 0-based column (as Lean sends it)."""

    line: int
    column: int

    @classmethod
    def parse(cls, obj: Any, kind: str, field: str) -> Pos:
        if not isinstance(obj, dict):
            raise _fail(kind, field, "is not a position object", obj)
        return cls(_int(obj, "line", f"{kind} {field}"), _int(obj, "column", f"{kind} {field}"))  # type: ignore[arg-type]


def _pos(obj: Mapping[str, Any], field: str, kind: str) -> Pos | None:
    return Pos.parse(obj[field], kind, field) if obj.get(field) is not None else None


@dataclass(frozen=True)
class Message:
    """A Lean message: severity, text, where."""

    severity: Severity
    data: str
    pos: Pos | None = None
    end_pos: Pos | None = None

    @classmethod
    def parse(cls, obj: Any) -> Message:
        kind = "message"
        if not isinstance(obj, dict):
            raise _fail(kind, "messages[]", "is not an object", obj)
        severity = obj.get("severity")
        if severity not in SEVERITIES:
            raise _fail(kind, "severity", f"is not one of {', '.join(SEVERITIES)}", obj)
        return cls(severity, _str(obj, "data", kind), _pos(obj, "pos", kind), _pos(obj, "endPos", kind))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Sorry:
    """A ``sorry`` in the elaborated source, with the proof state opened at it (if any)."""

    goals: tuple[str, ...]
    proof_state: int | None
    pos: Pos | None = None
    end_pos: Pos | None = None
    parent_decl: str | None = None

    @property
    def goal(self) -> str:
        return "\n\n".join(self.goals)

    @classmethod
    def parse(cls, obj: Any) -> Sorry:
        kind = "sorry"
        if not isinstance(obj, dict):
            raise _fail(kind, "sorries[]", "is not an object", obj)
        if isinstance(obj.get("goal"), str):
            goals: tuple[str, ...] = (obj["goal"],)
        elif isinstance(obj.get("goals"), list) and all(isinstance(g, str) for g in obj["goals"]):
            goals = tuple(obj["goals"])
        else:
            raise _fail(kind, "goal", "is missing or not a string (nor a 'goals' list)", obj)
        return cls(goals, _int(obj, "proofState", kind, optional=True), _pos(obj, "pos", kind),
                   _pos(obj, "endPos", kind), _str(obj, "parentDecl", kind, optional=True))


@dataclass(frozen=True)
class TacticRecord:
    """One tactic of the source (``allTactics``): its text, goals before (``goals``, or
    ``goalsBefore`` in releases answering file mode with ``results``), proof state."""

    tactic: str
    goals: str
    proof_state: int | None
    pos: Pos | None = None
    end_pos: Pos | None = None
    used_constants: tuple[str, ...] = ()

    @classmethod
    def parse(cls, obj: Any) -> TacticRecord:
        kind = "tactic record"
        if not isinstance(obj, dict):
            raise _fail(kind, "tactics[]", "is not an object", obj)
        used = _list(obj, "usedConstants", kind)
        if not all(isinstance(c, str) for c in used):
            raise _fail(kind, "usedConstants", "is not a list of names", obj)
        goals_field = "goals" if "goals" in obj or "goalsBefore" not in obj else "goalsBefore"
        return cls(_str(obj, "tactic", kind), _str(obj, goals_field, kind),  # type: ignore[arg-type]
                   _int(obj, "proofState", kind, optional=True), _pos(obj, "pos", kind),
                   _pos(obj, "endPos", kind), tuple(used))


@dataclass(frozen=True)
class InfoTreeNode:
    """A node of an ``infotree`` reply; ``raw`` keeps the node object as sent."""

    kind: str
    name: str | None
    goals_before: tuple[str, ...]
    goals_after: tuple[str, ...]
    text: str | None
    children: tuple[InfoTreeNode, ...]
    raw: Mapping[str, Any]

    @classmethod
    def parse(cls, obj: Any) -> InfoTreeNode:
        where = "infotree node"
        if not isinstance(obj, dict):
            raise _fail(where, "infotree[]", "is not an object", obj)
        node = obj.get("node") if isinstance(obj.get("node"), dict) else {}
        kind = obj.get("kind")
        if not isinstance(kind, str):
            raise _fail(where, "kind", "is missing or not a string", obj)
        stx = node.get("stx") if isinstance(node.get("stx"), dict) else {}
        before, after = node.get("goalsBefore", []), node.get("goalsAfter", [])
        if not isinstance(before, list) or not isinstance(after, list):
            raise _fail(where, "goalsBefore", "is not a list", obj)
        children = tuple(cls.parse(c) for c in _list(obj, "children", where))
        name = node.get("name")
        return cls(kind, name if isinstance(name, str) else None, tuple(map(str, before)),
                   tuple(map(str, after)), stx.get("pp") if isinstance(stx.get("pp"), str) else None,
                   children, obj)


@dataclass(frozen=True)
class CommandReply:
    """The reply to a command, a file, or an environment pickle/unpickle."""

    env: int
    messages: tuple[Message, ...] = ()
    sorries: tuple[Sorry, ...] = ()
    tactics: tuple[TacticRecord, ...] = ()
    infotree: tuple[InfoTreeNode, ...] | None = None

    @property
    def errors(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.severity == "error")


@dataclass(frozen=True)
class ProofStateReply:
    """The reply to a tactic, or to pickling/unpickling a proof state. Never has ``env``."""

    proof_state: int
    goals: tuple[str, ...]
    proof_status: str | None = None
    messages: tuple[Message, ...] = ()
    sorries: tuple[Sorry, ...] = ()
    traces: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.severity == "error")

    @property
    def completed(self) -> bool:
        """Lean accepted the proof: ``proofStatus`` is ``Completed`` and no goal is left."""
        return self.proof_status == "Completed" and not self.goals


@dataclass(frozen=True)
class ErrorReply:
    """``{"message": …}``: a rejected request or a tactic that threw (``Lean error:``)."""

    message: str

    @property
    def lean_error(self) -> str | None:
        """The Lean error text when a tactic threw, else ``None``."""
        prefix = "Lean error:"
        return self.message[len(prefix):].strip() if self.message.startswith(prefix) else None

    @property
    def unknown_id(self) -> bool:
        return self.message.startswith(("Unknown proof state", "Unknown environment"))


@dataclass(frozen=True)
class SourcedCommand:
    """One command of a file, with the reply it got (``results`` replies)."""

    source: str
    reply: CommandReply


@dataclass(frozen=True)
class FileResults:
    """File mode answered per command (``{"results": [{source, env, …}, …]}``, some releases)."""

    results: tuple[SourcedCommand, ...]

    @property
    def env(self) -> int | None:
        """The environment after the last command (``None`` for an empty file)."""
        return self.results[-1].reply.env if self.results else None

    @property
    def messages(self) -> tuple[Message, ...]:
        return tuple(m for r in self.results for m in r.reply.messages)

    @property
    def sorries(self) -> tuple[Sorry, ...]:
        return tuple(x for r in self.results for x in r.reply.sorries)

    @property
    def errors(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.severity == "error")


ReplReply = CommandReply | ProofStateReply | ErrorReply | FileResults


def _common(obj: Mapping[str, Any], kind: str) -> tuple[tuple[Message, ...], tuple[Sorry, ...]]:
    return (tuple(Message.parse(m) for m in _list(obj, "messages", kind)),
            tuple(Sorry.parse(s) for s in _list(obj, "sorries", kind)))


def parse_reply(obj: Any) -> ReplReply:
    """One REPL reply as a typed value; ``ReplProtocolError`` names what is wrong."""
    if not isinstance(obj, dict):
        raise _fail("reply", "(whole reply)", "is not a JSON object", obj)
    if "message" in obj and "env" not in obj and "proofState" not in obj:
        return ErrorReply(_str(obj, "message", "error reply"))  # type: ignore[arg-type]
    if "proofState" in obj:
        kind = "proof-state reply"
        if "env" in obj:
            raise _fail(kind, "env", "is present (a proof-state reply has no env)", obj)
        goals = obj.get("goals")
        if not isinstance(goals, list) or not all(isinstance(g, str) for g in goals):
            raise _fail(kind, "goals", "is missing or not a list of strings", obj)
        traces = _list(obj, "traces", kind)
        messages, sorries = _common(obj, kind)
        return ProofStateReply(_int(obj, "proofState", kind), tuple(goals),  # type: ignore[arg-type]
                               _str(obj, "proofStatus", kind, optional=True), messages, sorries,
                               tuple(str(t) for t in traces))
    if "results" in obj and "env" not in obj:
        out = []
        for k, item in enumerate(_list(obj, "results", "file reply")):
            if not isinstance(item, dict):
                raise _fail("file reply", f"results[{k}]", "is not an object", item)
            parsed = parse_reply({key: v for key, v in item.items() if key != "source"})
            if not isinstance(parsed, CommandReply):
                raise _fail("file reply", f"results[{k}]", "is not a command reply", item)
            out.append(SourcedCommand(_str(item, "source", f"file reply results[{k}]"), parsed))  # type: ignore[arg-type]
        return FileResults(tuple(out))
    if "env" in obj:
        kind = "command reply"
        messages, sorries = _common(obj, kind)
        tactics = tuple(TacticRecord.parse(t) for t in _list(obj, "tactics", kind))
        tree = None
        if "infotree" in obj:
            tree = tuple(InfoTreeNode.parse(n) for n in _list(obj, "infotree", kind))
        return CommandReply(_int(obj, "env", kind), messages, sorries, tactics, tree)  # type: ignore[arg-type]
    raise _fail("reply", "env", "is missing, and so are 'proofState' and 'message'", obj)


# -- requests ----------------------------------------------------------------------------


def command_request(cmd: str, *, env: int | None = None, all_tactics: bool = False, root_goals: bool = False,
                    infotree: str | None = None, gc: bool = False) -> dict[str, Any]:
    """``{"cmd": …}`` with its options; ``env=None`` runs it in a fresh environment."""
    if infotree is not None and infotree not in INFOTREE_MODES:
        raise ValueError(f"infotree must be one of {', '.join(INFOTREE_MODES)}, got {infotree!r}")
    request: dict[str, Any] = {"cmd": cmd}
    if env is not None:
        request["env"] = env
    if all_tactics:
        request["allTactics"] = True
    if root_goals:
        request["rootGoals"] = True
    if infotree is not None:
        request["infotree"] = infotree
    if gc:
        request["gc"] = True
    return request


def file_request(path: str, *, all_tactics: bool = False) -> dict[str, Any]:
    request: dict[str, Any] = {"path": path}
    if all_tactics:
        request["allTactics"] = True
    return request


def tactic_request(tactic: str, proof_state: int) -> dict[str, Any]:
    return {"tactic": tactic, "proofState": proof_state}


def pickle_env_request(env: int, path: str) -> dict[str, Any]:
    return {"pickleTo": path, "env": env}


def unpickle_env_request(path: str, *, field: str = "unpickleEnvFrom") -> dict[str, Any]:
    """``{"unpickleEnvFrom": path}``; releases before the field's rename read ``unpickleFrom``."""
    if field not in ("unpickleEnvFrom", "unpickleFrom"):
        raise ValueError(f"field must be 'unpickleEnvFrom' or 'unpickleFrom', got {field!r}")
    return {field: path}


def pickle_proof_state_request(proof_state: int, path: str) -> dict[str, Any]:
    return {"pickleTo": path, "proofState": proof_state}


def unpickle_proof_state_request(path: str, env: int | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"unpickleProofStateFrom": path}
    if env is not None:
        request["env"] = env
    return request


class ReplSession:
    """Typed requests over a REPL process it does not own (``send`` posts one JSON object)."""

    def __init__(self, send):
        self._send = send

    def _ask(self, request: dict[str, Any]) -> ReplReply:
        return parse_reply(self._send(request))

    def _expect(self, request: dict[str, Any], kind: type) -> Any:
        reply = self._ask(request)
        if isinstance(reply, ErrorReply):
            raise ReplRequestFailed(reply.message, request)
        if not isinstance(reply, kind):
            raise ReplProtocolError(f"repl: expected a {kind.__name__} to {sorted(request)}, got {reply}")
        return reply

    def command(self, cmd: str, **options: Any) -> CommandReply:
        return self._expect(command_request(cmd, **options), CommandReply)

    def file(self, path: str, *, all_tactics: bool = False) -> CommandReply | FileResults:
        reply = self._ask(file_request(path, all_tactics=all_tactics))
        if isinstance(reply, ErrorReply):
            raise ReplRequestFailed(reply.message, file_request(path))
        if not isinstance(reply, (CommandReply, FileResults)):
            raise ReplProtocolError(f"repl: a file was answered with a proof-state reply: {reply}")
        return reply

    def tactic(self, tactic: str, proof_state: int) -> ProofStateReply | ErrorReply:
        """A tactic's reply; a ``Lean error`` is an ``ErrorReply`` value (the tactic's failure)."""
        reply = self._ask(tactic_request(tactic, proof_state))
        if isinstance(reply, CommandReply):
            raise ReplProtocolError(f"repl: a tactic was answered with a command reply: {reply}")
        return reply

    def pickle_env(self, env: int, path: str) -> CommandReply:
        return self._expect(pickle_env_request(env, path), CommandReply)

    def unpickle_env(self, path: str, *, field: str = "unpickleEnvFrom") -> CommandReply:
        return self._expect(unpickle_env_request(path, field=field), CommandReply)

    def pickle_proof_state(self, proof_state: int, path: str) -> ProofStateReply:
        return self._expect(pickle_proof_state_request(proof_state, path), ProofStateReply)

    def unpickle_proof_state(self, path: str, env: int | None = None) -> ProofStateReply:
        return self._expect(unpickle_proof_state_request(path, env), ProofStateReply)


class ReplRequestFailed(EnvCrashed):
    """The REPL answered a request with ``{"message": …}``."""

    def __init__(self, message: str, request: Mapping[str, Any]):
        super().__init__(f"repl rejected {'/'.join(sorted(request))}: {message}")
        self.message = message
