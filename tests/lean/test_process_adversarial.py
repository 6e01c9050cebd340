"""(c) The process owner against misbehaving real subprocesses (misbehave.py): a server
that hangs, dies mid-request, prints garbage, starts slowly or leaves a grandchild.
Each test checks the failure type, recovery, and that no process is left behind."""

from __future__ import annotations

import re
import sys
import time

import pytest

from qed.core import EnvCrashed, Goals, TacticError, TacticTimeout, Theorem
from qed.env.pantograph import PantographEnv
from qed.env.process import (
    ChildProcess,
    ProcessDied,
    ProcessSpec,
    ProtocolError,
    RequestTimeout,
    StartupFailed,
)

STAT = "replay.stat {}"

# What a limit may overrun by before the test calls it not honoured: killing and reaping the
# tree after the limit takes well under a second unloaded, but a starved scheduler (CI on 2
# busy cores) can stretch that to seconds. Each test keeps limit + slack well below what the
# child would take if the limit were ignored (the 30 s default request limit, a 60 s sleep).
SLACK_S = 20.0


def _pantograph(argv, **kw) -> ChildProcess:
    return ChildProcess(ProcessSpec(argv=tuple(argv), framing="line", ready_line="ready.", **kw))


@pytest.fixture
def v034(transcripts):
    return transcripts / "pantograph" / "pantograph-v0.3.4-integration.jsonl"


def test_hang_is_killed_at_the_timeout_and_the_next_request_restarts(v034, misbehave_cmd, gone, tmp_path):
    argv = misbehave_cmd("hang", "pantograph", v034, once=tmp_path / "flag")
    with _pantograph(argv, request_timeout_s=0.4) as proc:
        proc.start()
        first = proc.pid
        t0 = time.monotonic()
        with pytest.raises(RequestTimeout) as info:
            proc.request("options.print {}")  # the child sleeps an hour
        elapsed = time.monotonic() - t0
        assert info.value.seconds == 0.4
        assert 0.4 <= elapsed < 0.4 + SLACK_S, elapsed  # the configured limit, not the 30 s default
        gone([first])
        assert proc.request(STAT)["requests"] == 0 and proc.generation == 2 and proc.pid != first
        second = proc.pid
    gone([second])


def test_death_mid_request_is_env_crashed_with_exit_code(v034, misbehave_cmd, gone, tmp_path):
    argv = misbehave_cmd("die", "pantograph", v034, once=tmp_path / "flag")
    with _pantograph(argv) as proc:
        proc.start()
        first = proc.pid
        with pytest.raises(ProcessDied, match="code 3") as info:
            proc.request("options.print {}")
        assert isinstance(info.value, EnvCrashed)
        gone([first])
        assert proc.request("options.print {}")["automaticMode"] is True


def test_garbage_is_a_protocol_error_and_the_child_is_replaced(v034, misbehave_cmd, gone, tmp_path):
    argv = misbehave_cmd("garbage", "pantograph", v034, once=tmp_path / "flag")
    with _pantograph(argv) as proc:
        proc.start()
        first = proc.pid
        with pytest.raises(ProtocolError, match="not JSON"):
            proc.request("options.print {}")
        gone([first])
        assert "automaticMode" in proc.request("options.print {}")


def test_garbage_in_blank_line_framing(transcripts, misbehave_cmd, gone, tmp_path):
    argv = misbehave_cmd("garbage", "repl", transcripts / "repl" / "proof_step.in", once=tmp_path / "flag")
    with ChildProcess(ProcessSpec(argv=tuple(argv), framing="blank")) as proc:
        with pytest.raises(ProtocolError):
            proc.request('{"cmd" : "def f : Nat := by sorry"}')
        assert proc.request('{"cmd" : "def f : Nat := by sorry"}')["env"] == 0


def test_slow_start_times_out_then_succeeds_with_a_longer_limit(v034, misbehave_cmd, gone):
    argv = misbehave_cmd("slow", "pantograph", v034, delay=60.0)  # killed at the limit, so cheap
    proc = _pantograph(argv, startup_timeout_s=0.5)
    t0 = time.monotonic()
    with pytest.raises(StartupFailed, match="no 'ready.' line within 0.5 s"):
        proc.start()
    elapsed = time.monotonic() - t0
    assert 0.5 <= elapsed < 0.5 + SLACK_S, elapsed  # gave up at the limit, did not wait out the 60 s
    assert proc.pid is None
    quick = misbehave_cmd("slow", "pantograph", v034, delay=0.3)
    with _pantograph(quick, startup_timeout_s=120) as proc:  # 0.3 s plus a Python start-up, however slow
        proc.start()
        assert proc.request(STAT)["unmatched"] == 0
        pid = proc.pid
    gone([pid])


def test_exit_before_handshake_reports_stderr(v034):
    argv = [sys.executable, "-m", "qed.env.replay_server", "--protocol", "pantograph", str(v034) + ".missing"]
    with pytest.raises(StartupFailed, match="exited before printing 'ready.'.*cannot read"):
        _pantograph(argv).start()
    with pytest.raises(StartupFailed, match="cannot run"):
        _pantograph(["/nonexistent/pantograph-repl"]).start()


def test_whole_tree_is_killed_including_grandchildren(v034, misbehave_cmd, gone):
    argv = misbehave_cmd("spawn", "pantograph", v034)
    with _pantograph(argv, request_timeout_s=1.0) as proc:
        proc.start()
        child = proc.pid
        with pytest.raises(RequestTimeout):
            proc.request("options.print {}")
        match = re.search(r"grandchild (\d+)", "\n".join(proc.stderr_tail()))
        assert match, proc.stderr_tail()
    gone([child, int(match.group(1))])


def test_close_kills_a_hung_child_and_framing_is_guarded(v034, misbehave_cmd, gone):
    proc = _pantograph(misbehave_cmd("hang", "pantograph", v034), request_timeout_s=30)
    proc.start()
    pid = proc.pid
    proc.close()
    gone([pid], within_s=3)
    with pytest.raises(ValueError, match="raw newline"):
        proc.request("goal.tactic {}\nreset {}")
    with pytest.raises(ValueError, match="empty request"):
        proc.request("   ")
    assert proc.pid is None  # refused before anything was started


def test_pantograph_env_turns_a_hang_into_timeout_and_rebuilds_states(v034, misbehave_cmd, gone, tmp_path):
    argv = misbehave_cmd("hang", "pantograph", v034, trigger="exact?", once=tmp_path / "flag")
    with PantographEnv(argv, version="0.3.4", request_timeout_s=0.5, verify_root=False) as env:
        s0 = env.start(Theorem("mystery", "theorem mystery : 1 + 2 = 2 + 3 := by"))
        first = env.process.pid
        assert env.apply(s0, 0, "exact?") == TacticTimeout(0.5)
        gone([first])
        again = env.apply(s0, 0, "exact?")  # old state, new process: rebuilt by replaying its path
        assert isinstance(again, TacticError) and "could not close the goal" in again.message
        assert env.process.generation == 2
        assert not isinstance(again, Goals)


def test_repl_env_on_a_dying_server_raises_env_crashed(transcripts, misbehave_cmd):
    from qed.env.repl import ReplEnv

    argv = misbehave_cmd("die", "repl", transcripts / "repl" / "invalid_tactic.in", trigger="my_fake_premise")
    with ReplEnv(argv) as env:
        s0 = env.start(Theorem("my_theorem", "theorem my_theorem (x : Nat) : x = x := by"))
        with pytest.raises(EnvCrashed, match="exited"):
            env.apply(s0, 0, "exact my_fake_premise")
