"""(b) The clients drive the replay server as a real subprocess: whole recorded sessions
through ``ReplEnv`` and ``PantographEnv``, giving the core outcomes the recordings show."""

from __future__ import annotations

import pytest

from qed.core import Env, EnvCrashed, Goals, Proved, StatementError, TacticError, Theorem
from qed.env.pantograph import PantographEnv
from qed.env.repl import ReplEnv


def test_repl_session_branching_and_proof(transcripts, server_cmd, gone):
    path = transcripts / "repl" / "proof_branching.in"
    theorem = Theorem("complex_and",
                      "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by")
    with ReplEnv(server_cmd("repl", path)) as env:
        assert isinstance(env, Env)
        s0 = env.start(theorem)
        assert s0.text == "p q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r"
        split = env.apply(s0, 0, "apply And.intro")
        assert isinstance(split, Goals) and [g.tag for g in split.state.goals] == ["left", "right"]
        left = env.apply(split.state, 0, "exact h1.left")
        assert isinstance(left, Goals) and left.state.goals[0].target == "r"
        right = env.apply(left.state, 0, "apply h2")
        assert isinstance(right, Goals) and right.state.goals[0].target == "q"
        done = env.apply(right.state, 0, "exact h1.right")
        assert isinstance(done, Proved) and done.state.is_solved
        pid = env.process.pid
    gone([pid])


def test_repl_branching_from_one_state_and_failures(transcripts, server_cmd):
    with ReplEnv(server_cmd("repl", transcripts / "repl" / "proof_step.in")) as env:
        s0 = env.start(Theorem("f", "def f : Nat := by"))
        a = env.apply(s0, 0, "apply Int.natAbs")
        b = env.apply(s0, 0, "have t : Nat := 42")
        assert isinstance(a, Goals) and a.state.text == "⊢ Int"
        assert isinstance(b, Goals) and b.state.text == "t : Nat\n⊢ Nat"
        assert isinstance(env.apply(b.state, 0, "exact t"), Proved)
        assert isinstance(env.apply(s0, 3, "exact t"), TacticError)  # no goal 3: a value, not an exception
    with ReplEnv(server_cmd("repl", transcripts / "repl" / "invalid_tactic.in")) as env:
        s0 = env.start(Theorem("my_theorem", "theorem my_theorem (x : Nat) : x = x := by"))
        out = env.apply(s0, 0, "exact my_fake_premise")
        assert out == TacticError("Unknown identifier `my_fake_premise`")


def test_repl_imports_and_case_tags(transcripts, server_cmd):
    path = transcripts / "repl" / "mathlib" / "induction.in"
    with ReplEnv(server_cmd("repl", path), imports=["Mathlib"]) as env:
        s0 = env.start(Theorem("foo", "theorem foo (x : Nat) : x = x := by"))
        assert s0.text == "x : ℕ\n⊢ x = x"
        ind = env.apply(s0, 0, "induction x")
        assert isinstance(ind, Goals) and [g.tag for g in ind.state.goals] == ["zero", "succ"]
        assert ind.state.goals[1].hypotheses[1].name == "a✝"
        nxt = env.apply(ind.state, 0, "next => rfl")
        assert isinstance(nxt, Goals) and len(nxt.state.goals) == 1
        sorried = env.apply(s0, 0, "induction x with\n| zero => sorry\n| succ x => sorry")
        assert isinstance(sorried, TacticError) and "sorry" in sorried.message


def test_repl_unknown_environment_is_infrastructure_failure(transcripts, server_cmd):
    with ReplEnv(server_cmd("repl", transcripts / "repl" / "unknown_environment.in")) as env:
        env._ensure_ready()
        env._base_env = 5  # as if the environment had been lost: the recording answers "Unknown environment."
        with pytest.raises(EnvCrashed):
            env.start(Theorem("f", "def f : Nat := by"))


def test_pantograph_start_and_failure_over_old_protocol(transcripts, server_cmd, gone):
    path = transcripts / "pantograph" / "pantograph-v0.3.4-integration.jsonl"
    with PantographEnv(server_cmd("pantograph", path), version="0.3.4", verify_root=False) as env:
        assert isinstance(env, Env)
        s0 = env.start(Theorem("mystery", "theorem mystery : 1 + 2 = 2 + 3 := by"))
        assert s0.text == "⊢ 1 + 2 = 2 + 3"
        out = env.apply(s0, 0, "exact?")
        assert isinstance(out, TacticError) and out.message.startswith("`exact?` could not close the goal")
        s1 = env.start(Theorem("x", "example : 1 + 2 = 3 := rfl\nexample (p: Prop): p → p :="))
        assert s1.text == "p : Prop\n⊢ p → p"
        pid = env.process.pid
    gone([pid])


def test_pantograph_version_probe_and_distil(transcripts, server_cmd):
    path = transcripts / "pantograph" / "pypantograph-v0.3.15-test_server.partial.jsonl"
    with PantographEnv(server_cmd("pantograph", path), verify_root=False) as env:
        s0 = env.start(Theorem("mystery", "theorem mystery (p: Prop) : p → p := by"))
        assert env.dialect.version == (0, 3, 15)  # read from the recording with `--version`
        assert s0.text == "p : Prop\n⊢ p → p"
        with pytest.raises(EnvCrashed):  # the recorded reply is partial (no goals): a broken reply
            env.apply(s0, 0, "intro h")


def test_pantograph_unrecorded_request_gets_pantograph_error_shape(transcripts, server_cmd):
    path = transcripts / "pantograph" / "pantograph-v0.3.4-integration.jsonl"
    with PantographEnv(server_cmd("pantograph", path), version="0.3.4") as env:
        with pytest.raises(StatementError, match="no recorded reply"):
            env.start(Theorem("nope", "theorem nope : 2 = 2 := by"))
        reply = env.process.request('no.such.command {}')
        assert reply == {"error": "command", "desc": "Unknown command no.such.command"}


def test_bad_input_is_refused_with_a_clear_error(transcripts, server_cmd):
    path = transcripts / "repl" / "proof_step.in"
    with ReplEnv(server_cmd("repl", path)) as env:
        with pytest.raises(StatementError, match=":= by"):
            env.start(Theorem("t", "theorem t : True := trivial"))
        with pytest.raises(TypeError, match="Theorem"):
            env.start("theorem t : True := by")  # type: ignore[arg-type]
        s0 = env.start(Theorem("f", "def f : Nat := by"))
        assert env.apply(s0, 0, "   ") == TacticError("empty tactic")
    with pytest.raises(ValueError, match="imports"):
        ReplEnv("repl", imports="Mathlib")
    with pytest.raises(ValueError, match="argv"):
        PantographEnv([])
