"""The one owner of one external JSON-speaking child process (a Lean REPL).

Owns: spawning the child in its own session, the start-up handshake, writing one
request and reading one reply under a wall-clock limit, draining stderr, killing the
whole process tree, and asking Lake for a project's ``LEAN_PATH``. Knows nothing
about what the JSON means: Pantograph and the community REPL (``pantograph.py`` and
``repl.py``) build requests and parse replies.

Guarantees (each tested adversarially in ``tests/lean``):

1. Nothing is spawned until ``start()`` or the first ``request()``; constructing a
   ``ChildProcess`` has no side effects.
2. Start-up: when ``ready_line`` is set, ``start()`` returns only after the child printed
   that line on stdout; end of file first, or no line within ``startup_timeout_s``, kills
   the child and raises ``StartupFailed`` (an ``EnvCrashed``) with the tail of stderr.
3. Framing: ``"line"`` sends one request line and reads one non-empty reply line
   (Pantograph); ``"blank"`` sends the request followed by one blank line and reads lines
   up to the next blank line (leanprover-community/repl). A request that would break the
   framing (a raw newline in ``"line"`` mode, a blank line in ``"blank"`` mode) is refused
   with ``ValueError`` before anything is written.
4. Every request is bounded: past its timeout the whole process tree is killed and
   ``RequestTimeout`` is raised (not an ``EnvCrashed``: the caller decides). The next
   request starts a fresh child (``generation`` goes up by one).
5. A child that dies mid-request raises ``ProcessDied``; a reply that is not a JSON object
   raises ``ProtocolError`` after the child is killed (the stream cannot be trusted any
   more). Both are ``EnvCrashed``; the next request starts a fresh child.
6. stderr is drained continuously by a thread into a bounded tail (``stderr_tail()``),
   so a chatty child never blocks on a full pipe.
7. ``close()`` (and leaving the ``with`` block) closes stdin, waits briefly, then kills
   the whole process tree (its process group, plus any descendant that left the group).
   A ``weakref.finalize`` does the same at interpreter exit for a process never closed.
8. ``request`` is thread-safe (one request at a time); ``kill()`` may be called from any
   thread (a watchdog) and makes a request in flight fail with ``ProcessDied``.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import psutil

from qed.core import EnvCrashed

Framing = Literal["line", "blank"]
_EOF = None


class StartupFailed(EnvCrashed):
    """The child could not be started or never completed its handshake."""


class ProcessDied(EnvCrashed):
    """The child exited (or was killed) while a reply was expected."""


class ProtocolError(EnvCrashed):
    """The child wrote something that is not a reply of its protocol."""


class RequestTimeout(Exception):
    """No reply within ``seconds``; the child's process tree has been killed."""

    def __init__(self, seconds: float, detail: str = ""):
        self.seconds = seconds
        super().__init__(f"no reply within {seconds:g} s{': ' + detail if detail else ''}")


@dataclass(frozen=True)
class ProcessSpec:
    """How to run one child: argv, extra environment, working directory, framing, limits."""

    argv: tuple[str, ...]
    framing: Framing = "line"
    ready_line: str | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    startup_timeout_s: float = 120.0
    request_timeout_s: float = 30.0
    close_grace_s: float = 1.0
    stderr_tail_lines: int = 200
    name: str = "child"

    def __post_init__(self) -> None:
        if not self.argv or not self.argv[0] or not all(isinstance(a, str) for a in self.argv):
            raise ValueError(f"{self.name}: argv must be a list of strings naming an executable first: "
                             f"{self.argv!r}")
        if self.framing not in ("line", "blank"):
            raise ValueError(f"{self.name}: framing must be 'line' or 'blank', not {self.framing!r}")
        for label, value in (("startup_timeout_s", self.startup_timeout_s),
                             ("request_timeout_s", self.request_timeout_s)):
            if not value > 0:
                raise ValueError(f"{self.name}: {label} must be positive, got {value!r}")


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid``, its process group and every descendant; ignores the already gone."""
    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    try:
        os.killpg(pid, signal.SIGKILL)  # the child leads its own session and group
    except (ProcessLookupError, PermissionError):
        pass
    for proc in descendants:
        try:
            proc.kill()
        except psutil.Error:
            pass


def _finalize(popen: subprocess.Popen) -> None:
    if popen.poll() is None:
        kill_tree(popen.pid)
    try:
        popen.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _pump_stdout(stream: Any, sink: queue.Queue) -> None:
    try:
        for raw in iter(stream.readline, b""):
            sink.put(raw)
    except (OSError, ValueError):
        pass
    finally:
        sink.put(_EOF)


def _pump_stderr(stream: Any, tail: deque) -> None:
    try:
        for raw in iter(stream.readline, b""):
            tail.append(raw.decode("utf-8", errors="replace").rstrip("\n"))
    except (OSError, ValueError):
        pass


class ChildProcess:
    """Owner of one child process speaking JSON over stdin/stdout (see module docstring)."""

    def __init__(self, spec: ProcessSpec):
        self.spec = spec
        self._lock = threading.RLock()
        self._popen: subprocess.Popen | None = None
        self._stdout: queue.Queue = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=spec.stderr_tail_lines)
        self._threads: list[threading.Thread] = []
        self._finalizer: weakref.finalize | None = None
        self.generation = 0
        self.requests = 0
        self.started_at = 0.0

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> ChildProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    @property
    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> None:
        """Spawn the child and complete the handshake, unless it is already running."""
        with self._lock:
            if self.alive:
                return
            self._reap()
            self._spawn()
            if self.spec.ready_line is not None:
                self._handshake()

    def _spawn(self) -> None:
        env = dict(os.environ)
        env.update(self.spec.extra_env)
        try:
            popen = subprocess.Popen(
                list(self.spec.argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, cwd=self.spec.cwd, env=env, start_new_session=True,
            )
        except OSError as exc:
            raise StartupFailed(f"{self.spec.name}: cannot run {self.spec.argv[0]!r}: {exc}") from exc
        self._popen = popen
        self._stdout = queue.Queue()
        self._stderr = deque(maxlen=self.spec.stderr_tail_lines)
        self._threads = [
            threading.Thread(target=_pump_stdout, args=(popen.stdout, self._stdout), daemon=True,
                             name=f"{self.spec.name}-stdout-{popen.pid}"),
            threading.Thread(target=_pump_stderr, args=(popen.stderr, self._stderr), daemon=True,
                             name=f"{self.spec.name}-stderr-{popen.pid}"),
        ]
        for thread in self._threads:
            thread.start()
        self._finalizer = weakref.finalize(self, _finalize, popen)
        self.generation += 1
        self.requests = 0
        self.started_at = time.monotonic()

    def _handshake(self) -> None:
        deadline = time.monotonic() + self.spec.startup_timeout_s
        ready = self.spec.ready_line
        while True:
            remaining = deadline - time.monotonic()
            timed_out = False
            try:
                if remaining <= 0:
                    raise queue.Empty
                raw = self._stdout.get(timeout=remaining)
            except queue.Empty:
                raw, timed_out = None, True
            if raw is None:
                self._kill_and_reap()
                why = (f"no {ready!r} line within {self.spec.startup_timeout_s:g} s" if timed_out
                       else f"exited before printing {ready!r}")
                raise StartupFailed(f"{self.spec.name}: {why}{self._stderr_note()}")
            if raw.decode("utf-8", errors="replace").strip() == ready:
                return

    def kill(self) -> None:
        """Kill the whole process tree now (any thread); a request in flight fails."""
        popen = self._popen
        if popen is not None and popen.poll() is None:
            kill_tree(popen.pid)

    def close(self) -> None:
        """Close stdin, wait ``close_grace_s`` for a clean exit, then kill the tree."""
        with self._lock:
            popen = self._popen
            if popen is None:
                return
            if popen.poll() is None:
                try:
                    popen.stdin.close()  # both REPLs exit at end of input
                except OSError:
                    pass
                try:
                    popen.wait(timeout=self.spec.close_grace_s)
                except subprocess.TimeoutExpired:
                    pass
            self._kill_and_reap()

    def _kill_and_reap(self) -> None:
        popen = self._popen
        if popen is None:
            return
        # descendants may outlive a clean exit of the leader: kill the group regardless
        kill_tree(popen.pid)
        self._reap()

    def _reap(self) -> None:
        popen = self._popen
        if popen is None:
            return
        try:
            popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            kill_tree(popen.pid)
        for stream in (popen.stdin, popen.stdout, popen.stderr):
            try:
                stream.close()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=1)
        if self._finalizer is not None:
            self._finalizer.detach()
        self._popen = None

    # -- requests --------------------------------------------------------------------

    def request(self, text: str, timeout: float | None = None) -> dict[str, Any]:
        """Send ``text`` as one request and return the reply, decoded once, as a dict."""
        self._check_framing(text)
        limit = self.spec.request_timeout_s if timeout is None else timeout
        with self._lock:
            self.start()
            popen = self._popen
            assert popen is not None
            end = "\n" if self.spec.framing == "line" else "\n\n"
            try:
                popen.stdin.write((text + end).encode("utf-8"))
                popen.stdin.flush()
            except (BrokenPipeError, OSError, ValueError) as exc:
                self._kill_and_reap()
                raise ProcessDied(f"{self.spec.name}: cannot write request ({exc})"
                                  f"{self._stderr_note()}") from exc
            self.requests += 1
            body = self._read_reply(limit)
            try:
                reply = json.loads(body)
            except json.JSONDecodeError as exc:
                self._kill_and_reap()
                raise ProtocolError(f"{self.spec.name}: reply is not JSON: {body[:200]!r}") from exc
            if not isinstance(reply, dict):
                self._kill_and_reap()
                raise ProtocolError(f"{self.spec.name}: reply is not a JSON object: {body[:200]!r}")
            return reply

    def _check_framing(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{self.spec.name}: empty request (an empty line would end the REPL)")
        if self.spec.framing == "line" and ("\n" in text or "\r" in text):
            raise ValueError(f"{self.spec.name}: a line-framed request must not contain a raw newline")
        if self.spec.framing == "blank" and any(not ln.strip() for ln in text.split("\n")):
            raise ValueError(f"{self.spec.name}: a blank-line-framed request must not contain a blank line")

    def _read_reply(self, limit: float) -> str:
        deadline = time.monotonic() + limit
        lines: list[str] = []
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise queue.Empty
                raw = self._stdout.get(timeout=remaining)
            except queue.Empty:
                self._kill_and_reap()
                raise RequestTimeout(limit, self.spec.name) from None
            if raw is _EOF:
                code = self._popen.wait(timeout=5) if self._popen is not None else None
                self._reap()
                raise ProcessDied(f"{self.spec.name}: process exited (code {code}) while a reply was "
                                  f"expected{self._stderr_note()}")
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if self.spec.framing == "line":
                if line.strip():
                    return line
            elif line.strip():
                lines.append(line)
            elif lines:
                return "\n".join(lines)

    # -- observation -----------------------------------------------------------------

    def stderr_tail(self) -> list[str]:
        """The most recent stderr lines of the current (or last) child."""
        return list(self._stderr)

    def _stderr_note(self) -> str:
        tail = [ln for ln in self.stderr_tail() if ln.strip()][-5:]
        return ("; stderr: " + " | ".join(tail)) if tail else ""

    def age_s(self, now: float | None = None) -> float:
        """Seconds from the current child's spawn to ``now`` (a ``time.monotonic`` reading,
        the current one by default); 0 when none runs."""
        if not self.alive:
            return 0.0
        return (time.monotonic() if now is None else now) - self.started_at

    def pids(self) -> list[int]:
        """The pids of the child and all its descendants (empty when none runs)."""
        popen = self._popen
        if popen is None or popen.poll() is not None:
            return []
        try:
            return [popen.pid] + [p.pid for p in psutil.Process(popen.pid).children(recursive=True)]
        except psutil.Error:
            return []

    def rss_bytes(self) -> int:
        """Resident memory of the whole process tree, in bytes (0 when none runs)."""
        total = 0
        for pid in self.pids():
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:
                pass
        return total


def lake_lean_path(project: str | os.PathLike[str], timeout_s: float = 120.0) -> str:
    """``LEAN_PATH`` of a Lake project (``lake env printenv LEAN_PATH`` run in it).

    Raises ``StartupFailed`` naming the problem: no such directory, no ``lake`` on PATH,
    Lake failing (its stderr is quoted) or taking longer than ``timeout_s``.
    """
    where = os.fspath(project)
    if not os.path.isdir(where):
        raise StartupFailed(f"Lean project directory {where!r} does not exist")
    try:
        done = subprocess.run(["lake", "env", "printenv", "LEAN_PATH"], cwd=where, capture_output=True,
                              text=True, timeout=timeout_s, start_new_session=True)
    except FileNotFoundError as exc:
        raise StartupFailed("`lake` is not on PATH: install Lean with elan (see docs/lean.md) "
                            "or give lean_path directly") from exc
    except subprocess.TimeoutExpired as exc:
        raise StartupFailed(f"`lake env printenv LEAN_PATH` in {where!r} took over {timeout_s:g} s") from exc
    if done.returncode != 0 or not done.stdout.strip():
        raise StartupFailed(f"`lake env printenv LEAN_PATH` failed in {where!r} (exit {done.returncode}): "
                            f"{done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def argv_of(command: str | Sequence[str]) -> tuple[str, ...]:
    """A command given as one executable path or as an argv list, as an argv tuple.

    Raises ``ValueError`` for an empty command or a non-string element.
    """
    argv = (command,) if isinstance(command, str) else tuple(command)
    if not argv or not all(isinstance(a, str) for a in argv) or not argv[0].strip():
        raise ValueError(f"the Lean command must be an executable path or a non-empty argv list, "
                         f"got {command!r}")
    return argv
