"""Record a real Lean REPL's exchanges in the transcript formats ``qed lean replay`` reads.

Run as ``python -m qed.env.lean_record --protocol repl|pantograph --out STEM -- REPL ARGV...``.
It starts the real REPL, passes every request from its own stdin to it and every reply back
to its own stdout, in that REPL's framing, and writes each exchange as it happens:

- ``repl``: ``STEM.in`` (the requests, blank-line separated) and ``STEM.expected.out`` (the
  replies, blank-line separated), the layout of leanprover-community/repl's ``test/`` folder;
- ``pantograph``: ``STEM.jsonl``, one record per exchange (``source``, ``session``, ``step``,
  ``request.cmd``, ``request.payload``, ``request_line``, ``response``, ``response_partial``
  false), the layout of the shared Pantograph transcripts.

So any qed client (``ReplEnv``, ``PantographEnv``, the verifier, the conformance suite) records
what it does when its command line is prefixed with this module's (``recording_argv``). Only
what Lean sent is written; nothing is made up. The REPL's stderr passes through.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

SOURCE = "qed lean record"


def recording_argv(protocol: str, out_stem: str | Path, argv: Sequence[str]) -> list[str]:
    """The command line that runs ``argv`` with every exchange recorded under ``out_stem``."""
    return [sys.executable, "-m", "qed.env.lean_record", "--protocol", protocol, "--out", str(out_stem),
            "--", *argv]


def _read_block(stream: BinaryIO) -> str | None:
    """One blank-line-framed block (``None`` at end of input)."""
    lines: list[str] = []
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.strip():
            lines.append(line)
        elif lines:
            return "\n".join(lines)
    return "\n".join(lines) if lines else None


class _Recorder:
    def __init__(self, protocol: str, stem: Path, session: str):
        self.protocol, self.stem, self.session, self.step = protocol, stem, session, 0
        stem.parent.mkdir(parents=True, exist_ok=True)
        if protocol == "repl":
            for suffix in (".in", ".expected.out"):
                Path(str(stem) + suffix).write_text("", encoding="utf-8")
        else:
            Path(str(stem) + ".jsonl").write_text("", encoding="utf-8")

    def add(self, request: str, reply: str) -> None:
        self.step += 1
        if self.protocol == "repl":
            with open(str(self.stem) + ".in", "a", encoding="utf-8") as f:
                f.write(request + "\n\n")
            with open(str(self.stem) + ".expected.out", "a", encoding="utf-8") as f:
                f.write(reply + "\n\n")
            return
        cmd, _, rest = request.strip().partition(" ")
        try:
            payload = json.loads(rest) if rest.strip() else None
            response = json.loads(reply)
        except json.JSONDecodeError:
            payload, response = rest, {"unparsed": reply}
        record = {"source": SOURCE, "session": self.session, "step": self.step,
                  "request": {"cmd": cmd, "payload": payload}, "request_line": request.strip(),
                  "response": response, "response_partial": False}
        with open(str(self.stem) + ".jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def run(protocol: str, stem: Path, argv: Sequence[str], session: str, inp: BinaryIO, out: BinaryIO) -> int:
    recorder = _Recorder(protocol, stem, session)
    child = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    try:
        if protocol == "pantograph":
            ready = child.stdout.readline()  # the "ready." handshake
            out.write(ready)
            out.flush()
            for raw in iter(inp.readline, b""):
                if not raw.strip():
                    break
                child.stdin.write(raw if raw.endswith(b"\n") else raw + b"\n")
                child.stdin.flush()
                reply = child.stdout.readline()
                if not reply:
                    break
                recorder.add(raw.decode("utf-8", "replace"), reply.decode("utf-8", "replace").strip())
                out.write(reply)
                out.flush()
        else:
            while (request := _read_block(inp)) is not None:
                child.stdin.write((request + "\n\n").encode("utf-8"))
                child.stdin.flush()
                reply = _read_block(child.stdout)
                if reply is None:
                    break
                recorder.add(request, reply)
                out.write((reply + "\n\n").encode("utf-8"))
                out.flush()
    except BrokenPipeError:
        pass
    finally:
        try:
            child.stdin.close()
        except OSError:
            pass
    try:
        return child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" not in args:
        print("usage: python -m qed.env.lean_record --protocol repl|pantograph --out STEM -- REPL ARGV...",
              file=sys.stderr)
        return 2
    split = args.index("--")
    parser = argparse.ArgumentParser(prog="python -m qed.env.lean_record")
    parser.add_argument("--protocol", choices=("repl", "pantograph"), required=True)
    parser.add_argument("--out", type=Path, required=True, help="transcript path without suffix")
    parser.add_argument("--session", default="recorded", help="session name (Pantograph records)")
    opts = parser.parse_args(args[:split])
    child = args[split + 1:]
    if not child:
        print("lean_record: no REPL command after --", file=sys.stderr)
        return 2
    if child[-1] == "--version":
        return subprocess.call(child)
    return run(opts.protocol, opts.out, child, opts.session, sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    sys.exit(main())
