"""The typed community-REPL protocol (``qed.env.lean_repl``) over recorded upstream replies:
every reply parses into the kind its request gets, pickling and proof-state replies
included; malformed replies name the field; pickled snapshots rebuild states after a
restart instead of replaying tactics."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from qed.core import Goals, Proved, Theorem
from qed.env import lean_repl as lr
from qed.env.process import ChildProcess, ProcessSpec
from qed.env.repl import ReplEnv
from qed.env.replay import repl_request_kind
from qed.env.replay_server import load_repl

UPSTREAM = Path(__file__).resolve().parent.parent / "fixtures" / "lean" / "upstream"


def _pairs(transcripts: Path):
    for root in (transcripts / "repl", UPSTREAM):
        for path in sorted(root.rglob("*.in")):
            yield from load_repl(path)


def test_every_recorded_reply_parses_into_the_kind_its_request_gets(transcripts):
    kinds: dict[str, set[str]] = {}
    for ex in _pairs(transcripts):
        parsed = lr.parse_reply(ex.reply)
        kind = repl_request_kind(ex.request)
        kinds.setdefault(kind, set()).add(type(parsed).__name__)
        if isinstance(parsed, lr.ErrorReply):
            continue
        if isinstance(parsed, lr.FileResults):
            assert kind == "file" and len(parsed.results) == len(ex.reply["results"]), ex.label
            continue
        if kind in ("tactic", "pickle-proof-state", "unpickle-proof-state"):
            assert isinstance(parsed, lr.ProofStateReply), ex.label
            assert "env" not in ex.reply and parsed.goals == tuple(ex.reply["goals"])
        else:
            assert isinstance(parsed, lr.CommandReply), ex.label
            assert parsed.env == ex.reply["env"]
        assert len(parsed.messages) == len(ex.reply.get("messages", []))
        assert len(parsed.sorries) == len(ex.reply.get("sorries", []))
    # every command the protocol has is among the recordings
    assert {"command", "file", "tactic", "pickle-env", "unpickle-env", "pickle-proof-state",
            "unpickle-proof-state"} <= set(kinds)
    assert kinds["pickle-proof-state"] == {"ProofStateReply"}
    assert kinds["pickle-env"] == {"CommandReply"}


def _reply(path: Path, number: int) -> dict:
    return load_repl(path)[number - 1].reply


def test_reply_shapes_are_typed(transcripts):
    repl = transcripts / "repl"
    state = lr.parse_reply(_reply(UPSTREAM / "pickle_proof_state_env.in", 3))
    assert state == lr.ProofStateReply(1, ("⊢ Nat",), "Incomplete: open goals remain")
    done = lr.parse_reply(_reply(UPSTREAM / "pickle_proof_state_env.in", 8))
    assert isinstance(done, lr.ProofStateReply) and done.completed
    sorry = lr.parse_reply(_reply(UPSTREAM / "pickle_proof_state_1.in", 2)).sorries[0]
    assert sorry.goals == ("⊢ Nat",) and sorry.parent_decl == "f" and sorry.proof_state == 0
    assert sorry.pos == lr.Pos(1, 18) and sorry.end_pos == lr.Pos(1, 23)
    tree = lr.parse_reply(_reply(UPSTREAM / "infotree.in", 1))
    assert isinstance(tree, lr.CommandReply) and tree.infotree is not None
    node = tree.infotree[0]
    assert (node.kind, node.name, node.text) == (
        "TacticInfo", "Lean.Parser.Tactic.constructor", "constructor")
    assert node.goals_before == ("h : Int\n⊢ Nat",) and node.goals_after == () and node.children == ()
    tactics = lr.parse_reply(_reply(repl / "all_tactics-20250622.in", 1)).tactics
    assert [t.tactic for t in tactics] == ["exact hp"] and tactics[0].goals == "P : Prop\nhp : P\n⊢ P"
    traced = lr.parse_reply(_reply(repl / "trace_simp.in", 7))
    assert isinstance(traced, lr.ProofStateReply) and len(traced.traces) == 2 and traced.completed
    err = lr.parse_reply(_reply(repl / "self_proof_check.in", 3))
    assert isinstance(err, lr.ErrorReply) and err.lean_error.startswith("`exact?` could not close the goal")
    unknown = lr.parse_reply(_reply(repl / "unknown_proof_state.in", 2))
    assert isinstance(unknown, lr.ErrorReply) and unknown.unknown_id and unknown.lean_error is None
    kernel = lr.parse_reply(_reply(UPSTREAM / "self_proof_apply_check.in", 3))
    assert not kernel.completed and kernel.proof_status.startswith("Error: kernel type check failed")


@pytest.mark.parametrize("drop, field", [("goals", "goals"), ("proofState", "env")])
def test_a_truncated_proof_state_reply_names_the_field(drop, field):
    reply = copy.deepcopy(_reply(UPSTREAM / "pickle_proof_state_env.in", 5))
    del reply[drop]
    with pytest.raises(lr.ReplProtocolError, match=f"'{field}'"):
        lr.parse_reply(reply)


def test_malformed_replies_name_the_reply_kind_and_field():
    reply = copy.deepcopy(_reply(UPSTREAM / "have_by_sorry.in", 1))
    reply["messages"][0]["severity"] = "fatal"
    with pytest.raises(lr.ReplProtocolError, match="message: field 'severity'"):
        lr.parse_reply(reply)
    reply = copy.deepcopy(_reply(UPSTREAM / "have_by_sorry.in", 1))
    del reply["sorries"][0]["goal"]
    with pytest.raises(lr.ReplProtocolError, match="sorry: field 'goal'"):
        lr.parse_reply(reply)
    state = copy.deepcopy(_reply(UPSTREAM / "pickle_proof_state_env.in", 3))
    state["env"] = 0
    with pytest.raises(lr.ReplProtocolError, match="proof-state reply: field 'env' is present"):
        lr.parse_reply(state)
    with pytest.raises(lr.ReplProtocolError, match="not a JSON object"):
        lr.parse_reply([1, 2])


def _session(server_cmd, path: Path) -> tuple[ChildProcess, lr.ReplSession]:
    import json

    process = ChildProcess(ProcessSpec(argv=tuple(server_cmd("repl", path)), framing="blank", ready_line=None,
                                       name="repl"))
    return process, lr.ReplSession(lambda obj: process.request(json.dumps(obj, ensure_ascii=False)))


def test_session_pickles_and_unpickles_an_environment(server_cmd):
    process, session = _session(server_cmd, UPSTREAM / "pickle_environment.in")
    with process:
        assert session.command("def f := 42").env == 0
        assert session.pickle_env(0, "test/a.olean") == lr.CommandReply(0)
        # this recording predates the field's rename to unpickleEnvFrom
        assert session.unpickle_env("test/a.olean", field="unpickleFrom").env == 1
        checked = session.command("example : f = 42 := by rfl", env=1)
        assert [m.severity for m in checked.messages] == ["info"] and not checked.errors


def test_session_options_reach_the_wire(server_cmd, transcripts):
    process, session = _session(server_cmd, UPSTREAM / "infotree.in")
    with process:
        reply = session.command("def f (h : Int) : Nat := by constructor", infotree="substantive")
        assert reply.infotree is not None and reply.infotree[0].name == "Lean.Parser.Tactic.constructor"
    process, session = _session(server_cmd, transcripts / "repl" / "all_tactics-20250622.in")
    with process:
        reply = session.command("example (P : Prop) (hp : P) : P := by\n  exact hp\n", all_tactics=True)
        assert reply.tactics[0].proof_state == 0
        assert session.tactic("exact hp", 0).completed
    with pytest.raises(ValueError, match="infotree"):
        lr.command_request("x", infotree="everything")
    assert lr.command_request("x", env=3, gc=True, root_goals=True) == {
        "cmd": "x", "env": 3, "rootGoals": True, "gc": True}


def test_a_restarted_repl_rebuilds_states_from_pickled_snapshots(server_cmd):
    """pickle_proof_state_env: the restarted process unpickles instead of replaying tactics."""
    with ReplEnv(server_cmd("repl", UPSTREAM / "pickle_proof_state_env.in"), imports=["Lean"]) as env:
        s0 = env.snapshot(env.start(Theorem("f", "def f : Nat := by")), "test/c.olean")
        assert s0.text == "⊢ Nat"
        env.process.close()  # the process is gone; the next request starts a fresh one
        step = env.apply(s0, 0, "have t : Nat := 42")
        assert isinstance(step, Goals) and step.state.text == "t : Nat\n⊢ Nat"
        assert env.process.generation == 2 and env.rebuilds == {"snapshot": 1, "replay": 0}
        s1 = env.snapshot(step.state, "test/d.olean")
        env.process.close()  # the process is gone; the next request starts a fresh one
        done = env.apply(s1, 0, "exact t")
        assert isinstance(done, Proved) and env.rebuilds == {"snapshot": 2, "replay": 0}


def test_file_mode_results_reply_is_typed_per_command():
    """One release answers `{"path": …}` with a `results` list, one entry per command."""
    parsed = lr.parse_reply(_reply(UPSTREAM / "file.in", 1))
    assert isinstance(parsed, lr.FileResults) and parsed.env == 2
    assert [r.source for r in parsed.results][:2] == ["def f : Nat :=\n  37", "def g :=\n  2"]
    tactic = parsed.results[2].reply.tactics[0]
    assert (tactic.tactic, tactic.goals, tactic.proof_state) == ("exact rfl", "⊢ f + g = 39", 0)
    broken = copy.deepcopy(_reply(UPSTREAM / "file.in", 1))
    del broken["results"][1]["source"]
    with pytest.raises(lr.ReplProtocolError, match=r"results\[1\]: field 'source'"):
        lr.parse_reply(broken)
