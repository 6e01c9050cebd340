"""A stand-in Lean REPL that answers recorded requests with their recorded replies.

Run as ``python -m qed.env.replay_server --protocol pantograph|repl FILE``. It speaks
each REPL's exact framing (PROTOCOL.md 1.3 and 2.1):

- ``pantograph``: FILE is a JSON Lines transcript (one record per exchange, fields
  ``request.cmd``, ``request.payload``, ``response``). The server prints ``ready.``, then
  reads one request per line (``cmd {json}`` or ``{"cmd":…,"payload":…}``) and writes one
  compact JSON line per request. An empty line ends it, as it ends Pantograph.
- ``repl``: FILE is an ``X.in`` file with its ``X.expected.out`` beside it (blank-line
  separated JSON objects). Requests are read up to a blank line; each reply is written
  exactly as recorded, followed by a blank line. Malformed JSON makes it exit with the
  error on stderr, as the community REPL does.

Matching: a request is answered by the next record, in file order, starting after the
last one answered and wrapping around, whose request is equal to it as JSON (keys whose
value is ``null`` are dropped first: Lean reads a missing optional field as ``null``). So a
transcript replayed in order gets its replies in order, and repeated requests keep
working. A request with no recording gets that REPL's own error shape:
``{"error": "command", "desc": …}`` (Pantograph) or ``{"message": …}`` (repl).

One extra request, ``replay.stat {}`` (Pantograph) or ``{"replayStat": true}`` (repl),
returns ``{"requests": n, "unmatched": k, "busySeconds": t}``: t is the server's own time
from having read a request to having flushed its reply, summed. Benchmarks use it to
separate the client's overhead from the server's. ``--version`` prints the version from a
transcript's ``--version`` record (PyPantograph records one), or exits with status 2.
Arguments after FILE (module names, ``--key=value`` Lean options) are accepted and
ignored, so the server takes the place of a real REPL in any client's command line.

This module also owns reading the transcript formats (``load_transcript``); it serves
only what the files hold and never makes up a Lean reply.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

PANTOGRAPH_COMMANDS = frozenset({
    "reset", "stat", "options.set", "options.print", "expr.echo", "env.describe", "env.module_read",
    "env.catalog", "env.inspect", "env.add", "env.save", "env.load", "env.parse", "goal.start",
    "goal.tactic", "goal.continue", "goal.subsume", "goal.delete", "goal.print", "goal.save",
    "goal.load", "frontend.process", "frontend.distil", "frontend.track", "frontend.refactor",
})


NO_RECORDING = "replay: no recorded reply"


def is_unrecorded(exc: BaseException) -> bool:
    """Whether an error came from a request the replayed transcript holds no reply for."""
    return NO_RECORDING in str(exc)


class TranscriptError(ValueError):
    """A transcript file that cannot be read; the message names the file and the problem."""


@dataclass(frozen=True)
class Exchange:
    """One recorded request and its reply.

    ``request`` is the JSON object sent (Pantograph: ``{"cmd", "payload"}``; repl: the
    request itself); ``reply`` the recorded reply object; ``reply_text`` the reply as
    recorded on the wire (repl) or ``None``; ``label`` says where it came from.
    """

    request: dict[str, Any]
    reply: dict[str, Any]
    reply_text: str | None
    label: str
    partial: bool = False
    session: str = ""
    side_output: dict[str, Any] | None = None  # {"path", "content"}: a file the command wrote


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value


def request_key(request: dict[str, Any]) -> str:
    """Canonical text of a request, for matching (sorted keys, ``null`` fields dropped)."""
    return json.dumps(_drop_nulls(request), sort_keys=True, ensure_ascii=False)


def text_blocks(text: str) -> list[str]:
    """Split blank-line-separated text into its non-empty blocks."""
    blocks, current = [], []
    for line in text.split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def load_pantograph(path: Path) -> list[Exchange]:
    """Read a Pantograph JSON Lines transcript; records that are not requests are skipped."""
    out: list[Exchange] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"{path}: cannot read: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            cmd = record["request"]["cmd"]
            payload = record["request"].get("payload")
            reply = record["response"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise TranscriptError(f"{path}:{number}: not a Pantograph record ({exc.__class__.__name__}: "
                                  f"{exc})") from exc
        if not isinstance(cmd, str) or not isinstance(reply, dict):
            raise TranscriptError(f"{path}:{number}: request.cmd must be a string and response an object")
        if cmd.startswith("--"):
            continue  # a command-line use (`repl --version`), not a protocol exchange
        label = f"{path.name}:{number} [{record.get('session', '')} #{record.get('step', '?')}] {cmd}"
        side = record.get("side_output_file")
        out.append(Exchange({"cmd": cmd, "payload": payload}, reply, None, label,
                            bool(record.get("response_partial", False)), str(record.get("session", "")),
                            side if isinstance(side, dict) else None))
    return out


def repl_pair(path: Path) -> tuple[Path, Path]:
    """The ``.in`` and ``.expected.out`` files of a repl pair, given either one."""
    name = path.name
    if name.endswith(".expected.out"):
        stem = name[: -len(".expected.out")]
    elif name.endswith(".in"):
        stem = name[: -len(".in")]
    else:
        raise TranscriptError(f"{path}: a repl transcript is an X.in / X.expected.out pair")
    return path.with_name(stem + ".in"), path.with_name(stem + ".expected.out")


def load_repl(path: Path) -> list[Exchange]:
    """Read a community-REPL pair: requests from ``X.in``, replies from ``X.expected.out``."""
    path_in, path_out = repl_pair(path)
    try:
        requests = [b for b in text_blocks(path_in.read_text(encoding="utf-8"))
                    if not b.lstrip().startswith(("#", "--"))]
        replies = text_blocks(path_out.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(f"{path_in.name}: cannot read the pair: {exc}") from exc
    if len(requests) != len(replies):
        raise TranscriptError(f"{path_in.name}: {len(requests)} requests but {len(replies)} replies "
                              f"in {path_out.name}")
    out: list[Exchange] = []
    for k, (req_text, rep_text) in enumerate(zip(requests, replies, strict=True), 1):
        try:
            request, reply = json.loads(req_text), json.loads(rep_text)
        except json.JSONDecodeError as exc:
            raise TranscriptError(f"{path_in.name}: block {k} is not JSON: {exc}") from exc
        if not isinstance(request, dict) or not isinstance(reply, dict):
            raise TranscriptError(f"{path_in.name}: block {k} is not a JSON object")
        out.append(Exchange(request, reply, rep_text, f"{path_in.name} #{k}"))
    return out


def load_transcript(protocol: str, path: Path) -> list[Exchange]:
    """Exchanges of a transcript in ``protocol`` ("pantograph" or "repl")."""
    if protocol == "pantograph":
        return load_pantograph(path)
    if protocol == "repl":
        return load_repl(path)
    raise TranscriptError(f"unknown protocol {protocol!r}; expected 'pantograph' or 'repl'")


def recorded_version(path: Path) -> str | None:
    """The version string of a ``--version`` record in a Pantograph transcript, if any."""
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            if record["request"]["cmd"] == "--version":
                return str(record["response"]["stdout"]).strip()
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return None


class Replayer:
    """Answers requests from a list of exchanges (see the module docstring for matching)."""

    def __init__(self, exchanges: list[Exchange]):
        self._keys = [request_key(e.request) for e in exchanges]
        self._patterns = [_placeholder_pattern(k) for k in self._keys]
        self._exchanges = exchanges
        self._cursor = 0
        self.requests = 0
        self.unmatched = 0
        self.busy_s = 0.0

    def find(self, request: dict[str, Any]) -> Exchange | None:
        """The next matching record. A recorded ``<TMPDIR>`` matches any directory; the
        record's side output file (if any) is then written there, as the command did."""
        key = request_key(request)
        n = len(self._keys)
        for offset in range(n):
            i = (self._cursor + offset) % n
            pattern = self._patterns[i]
            match = pattern.fullmatch(key) if pattern is not None else None
            if self._keys[i] == key or match is not None:
                self._cursor = i + 1
                exchange = self._exchanges[i]
                if match is not None and exchange.side_output is not None:
                    _write_side_output(exchange.side_output, json.loads(f'"{match.group(1)}"'))
                return exchange
        self.unmatched += 1
        return None

    def stat(self) -> dict[str, Any]:
        return {"requests": self.requests, "unmatched": self.unmatched, "busySeconds": self.busy_s}


TMPDIR = "<TMPDIR>"


def _placeholder_pattern(key: str) -> re.Pattern[str] | None:
    """A recorded request with ``<TMPDIR>`` as a pattern capturing the directory used."""
    if TMPDIR not in key:
        return None
    parts = key.split(TMPDIR)
    first = re.escape(parts[0]) + r'([^"]+)'
    rest = "".join(re.escape(p) + r"(?:\1)" for p in parts[1:-1])
    return re.compile(first + rest + re.escape(parts[-1]))


def _write_side_output(side: dict[str, Any], tmpdir: str) -> None:
    path = str(side.get("path", "")).replace(TMPDIR, tmpdir)
    content = side.get("content")
    if path and content is not None:
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:  # the client's directory is not writable: it will find no file
            print(f"replay_server: cannot write {path}: {exc}", file=sys.stderr, flush=True)


def _parse_pantograph_line(line: str) -> tuple[str, Any]:
    text = line.strip()
    if text.startswith("{"):
        obj = json.loads(text)
        if not isinstance(obj, dict) or not isinstance(obj.get("cmd"), str):
            raise ValueError("a JSON request needs a string 'cmd'")
        return obj["cmd"], obj.get("payload")
    cmd, _, rest = text.partition(" ")
    return cmd, (json.loads(rest) if rest.strip() else None)


def _write(out: BinaryIO, text: str) -> None:
    out.write(text.encode("utf-8"))
    out.flush()


def serve_pantograph(replayer: Replayer, inp: BinaryIO, out: BinaryIO) -> None:
    _write(out, "ready.\n")
    for raw in iter(inp.readline, b""):
        t0 = time.perf_counter()
        line = raw.decode("utf-8", errors="replace")
        if not line.strip():
            return  # an empty line shuts Pantograph down
        try:
            cmd, payload = _parse_pantograph_line(line)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            reply: dict[str, Any] = {"error": "command", "desc": f"Unable to parse json: {exc}"}
        else:
            if cmd == "replay.stat":
                reply = replayer.stat()
            else:
                replayer.requests += 1
                found = replayer.find({"cmd": cmd, "payload": payload})
                if found is not None:
                    reply = found.reply
                elif cmd not in PANTOGRAPH_COMMANDS:
                    reply = {"error": "command", "desc": f"Unknown command {cmd}"}
                else:
                    reply = {"error": "command", "desc": f"{NO_RECORDING} for {cmd} "
                             f"{json.dumps(payload, ensure_ascii=False)}"}
        _write(out, json.dumps(reply, ensure_ascii=False, separators=(",", ":")) + "\n")
        replayer.busy_s += time.perf_counter() - t0


def _read_blocks(inp: BinaryIO) -> Iterator[str]:
    lines: list[str] = []
    for raw in iter(inp.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.strip():
            lines.append(line)
            continue
        yield "\n".join(lines)  # an empty block (two blank lines) is an empty request
        lines = []
    if lines:
        yield "\n".join(lines)


def serve_repl(replayer: Replayer, inp: BinaryIO, out: BinaryIO) -> int:
    for block in _read_blocks(inp):
        t0 = time.perf_counter()
        if block.lstrip().startswith(("#", "--")):
            continue
        try:
            request = json.loads(block)
            if not isinstance(request, dict):
                raise ValueError("expected a JSON object")
        except ValueError as exc:
            print(f"uncaught exception: could not parse request: {exc}", file=sys.stderr, flush=True)
            return 1  # the community REPL throws and exits on malformed input
        if request == {"replayStat": True}:
            text = json.dumps(replayer.stat())
        else:
            replayer.requests += 1
            found = replayer.find(request)
            if found is not None and found.reply_text is not None:
                text = found.reply_text
            else:
                shown = json.dumps(request, ensure_ascii=False)[:300]
                text = json.dumps({"message": f"{NO_RECORDING} for this request: {shown}"}, indent=1)
        _write(out, text + "\n\n")
        replayer.busy_s += time.perf_counter() - t0
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qed.env.replay_server",
                                     description="Serve a recorded Lean REPL transcript.")
    parser.add_argument("--protocol", choices=("pantograph", "repl"), required=True)
    parser.add_argument("--version", action="store_true", help="print the recorded version and exit")
    parser.add_argument("file", type=Path)
    parser.add_argument("modules", nargs="*", help="accepted and ignored, like Pantograph's module list")
    args, _lean_options = parser.parse_known_args(argv)  # `--key=value` Lean options are ignored too
    try:
        if args.version:
            version = recorded_version(args.file) if args.protocol == "pantograph" else None
            if version is None:
                print(f"{args.file}: no version recorded", file=sys.stderr)
                return 2
            print(version)
            return 0
        replayer = Replayer(load_transcript(args.protocol, args.file))
    except (TranscriptError, OSError) as exc:
        print(f"replay_server: {exc}", file=sys.stderr)
        return 2
    try:
        if args.protocol == "pantograph":
            serve_pantograph(replayer, sys.stdin.buffer, sys.stdout.buffer)
            return 0
        return serve_repl(replayer, sys.stdin.buffer, sys.stdout.buffer)
    except (BrokenPipeError, KeyboardInterrupt):
        return 0


if __name__ == "__main__":
    sys.exit(main())
