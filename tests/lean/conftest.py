"""Fixtures for the Lean-backend tests: transcript locations, server command lines, and
a check that processes are really gone."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path

import psutil
import pytest

HERE = Path(__file__).resolve().parent
MISBEHAVE = HERE / "misbehave.py"
TRANSCRIPTS = HERE.parent / "fixtures" / "lean" / "transcripts"  # copy of shared/lean/transcripts


@pytest.fixture(scope="session")
def transcripts() -> Path:
    assert TRANSCRIPTS.is_dir(), f"{TRANSCRIPTS} (recorded Lean exchanges) is missing from the checkout"
    return TRANSCRIPTS.resolve()


def server(protocol: str, path: Path) -> list[str]:
    """argv of the replay server serving one transcript."""
    return [sys.executable, "-m", "qed.env.replay_server", "--protocol", protocol, str(path)]


def misbehaving(mode: str, protocol: str, path: Path, *, trigger: str = "", once: Path | None = None,
                delay: float = 0.0) -> list[str]:
    """argv of a replay server that misbehaves (see misbehave.py)."""
    argv = [sys.executable, str(MISBEHAVE), "--mode", mode, "--trigger", trigger, "--delay", str(delay)]
    if once is not None:
        argv += ["--once", str(once)]
    return argv + [protocol, str(path)]


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def assert_gone(pids: Iterable[int], within_s: float = 5.0) -> None:
    """Every pid is gone (or a zombie awaiting its parent) within ``within_s`` seconds."""
    pids = list(pids)
    assert pids, "no pids to check"
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes still alive: {[p for p in pids if alive(p)]}")


@pytest.fixture(scope="session")
def server_cmd():
    return server


@pytest.fixture(scope="session")
def misbehave_cmd():
    return misbehaving


@pytest.fixture(scope="session")
def gone():
    return assert_gone
