"""Pantograph's commands beyond the proof loop (``qed.env.lean_pantograph``) over recorded
upstream exchanges: tracing a whole file into typed tactic invocations, goals from
expressions, goal.print, goal.save/goal.load, env.add/env.inspect; malformed replies name the
command and the field."""

from __future__ import annotations

import copy
import json

import pytest

from qed.env import lean_pantograph as lp
from qed.env.pantograph import PantographEnv
from qed.env.replay_server import load_pantograph

V034 = "pantograph-v0.3.4-integration.jsonl"
UPSTREAM = "pantograph-upstream-6c9b560-integration.jsonl"
PY0315 = "pypantograph-v0.3.15-test_server.partial.jsonl"
TRACED = "example : ∀ (p q: Prop), p → p ∨ q := by\n  intro p q h\n  exact Or.inl h"


def _env(server_cmd, transcripts, name: str, version: str | None) -> PantographEnv:
    return PantographEnv(server_cmd("pantograph", transcripts / "pantograph" / name), version=version,
                         verify_root=False)


@pytest.mark.parametrize("name, version", [(V034, "0.3.4"), (UPSTREAM, None)])
def test_trace_file_returns_typed_tactic_invocations(server_cmd, transcripts, name, version):
    with _env(server_cmd, transcripts, name, version) as env:
        trace = env.trace_file(TRACED)
    assert len(trace.units) == 1 and trace.units[0].n_invocations == 2 and trace.errors == ()
    intro, exact = trace.invocations
    assert intro == lp.TacticInvocation("⊢ ∀ (p q : Prop), p → p ∨ q", "p q : Prop\nh : p\n⊢ p ∨ q",
                                        "intro p q h", ())
    assert exact.tactic == "exact Or.inl h" and exact.used_constants == ("Or.inl",) and exact.closes_goal
    assert trace.units[0].boundary == (0, 77)


def test_goal_start_print_and_constants(server_cmd, transcripts):
    with _env(server_cmd, transcripts, V034, "0.3.4") as env:
        session = env.session
        assert session.goal_start(expr="∀ (p q: Prop), p ∨ q → q ∨ p") == 0
        printed = session.goal_print(1, root=True, goals=False, parents=True)
        assert printed.root == lp.Expression("fun x => ?m.11") and printed.root_has_mvar
        assert not printed.root_has_sorry and printed.parent_exprs == (lp.Expression("fun x => ?m.11"),)
        session.env_add("Pantograph.mystery", "λ (a b: Prop) => Or a b")
        info = session.env_inspect("Pantograph.mystery", value=True)
        assert info.type.pp == "Prop → Prop → Prop" and info.value.pp == "fun a b => a ∨ b"
        session.env_add("Pantograph.mystery3", "λ (α : Type u) (x : α) => (x, x)",
                        type="(α : Type u) → α → (α × α)", levels=["u"])
        assert session.env_inspect("Pantograph.mystery3").type.pp == "(α : Type u) → α → α × α"
        sexp = session.env_inspect("Nat.add_one")
        assert sexp.module == "Init.Data.Nat.Basic" and sexp.is_unsafe is False
    with pytest.raises(ValueError, match="exactly one"):
        lp.PantographSession(lambda c, p: {}).goal_start()


def test_goal_save_and_load_through_a_recorded_tmpdir(server_cmd, transcripts):
    with _env(server_cmd, transcripts, PY0315, None) as env:
        session = env.session
        state = session.goal_start(expr="forall (p q: Prop), Or p q -> Or q p")
        session.goal_save(state, "/tmp/qed-any-dir/goal-state.pickle")  # <TMPDIR> matches any directory
        assert session.goal_load("/tmp/qed-any-dir/goal-state.pickle") == 1
        goals = session.goal_print(1, root=False).goals
        assert [g.target for g in goals] == ["∀ (p q : Prop), p ∨ q → q ∨ p"]


def _record(transcripts, name: str, cmd: str, index: int = 0):
    return [e for e in load_pantograph(transcripts / "pantograph" / name) if e.request["cmd"] == cmd][index]


def test_malformed_replies_name_the_command_and_field(transcripts):
    process = _record(transcripts, V034, "frontend.process")
    written = copy.deepcopy(process.side_output["content"])
    assert len(lp.parse_frontend(process.reply, written).invocations) == 2
    del written["units"][0]["invocations"][1]["goalAfter"]
    with pytest.raises(lp.PantographProtocolError, match="frontend.process invocations: field 'goalAfter'"):
        lp.parse_frontend(process.reply, written)
    short = copy.deepcopy(process.side_output["content"])
    short["units"][0]["invocations"].pop()
    with pytest.raises(lp.PantographProtocolError, match="field 'nInvocations' says 2"):
        lp.parse_frontend(process.reply, short)
    with pytest.raises(lp.PantographProtocolError, match="frontend.process: field 'units'"):
        lp.parse_frontend({"unit": process.reply["units"]})
    start = _record(transcripts, V034, "goal.start")
    truncated = {k: v for k, v in start.reply.items() if k != "stateId"}
    session = lp.PantographSession(lambda cmd, payload: truncated)
    with pytest.raises(lp.PantographProtocolError, match="goal.start: field 'stateId'"):
        session.goal_start(expr="x")
    invalid = _record(transcripts, V034, "invalid")
    failing = lp.PantographSession(lambda cmd, payload: invalid.reply)
    with pytest.raises(lp.PantographRequestFailed, match=invalid.reply["desc"][:20]):
        failing.goal_load("x")
    assert json.dumps(invalid.reply)  # a real recorded error reply


def test_a_restarted_pantograph_rebuilds_a_state_from_its_goal_save_snapshot(server_cmd, transcripts):
    """goal.save of the started state, a restart, then goal.load (recorded as id 1) instead of
    replaying the theorem's start: the rebuild path, over PyPantograph's recorded exchanges."""
    from qed.core import Theorem

    with _env(server_cmd, transcripts, PY0315, None) as env:
        s0 = env.start(Theorem("mystery", "theorem mystery (p: Prop) : p → p := by"))
        assert s0.text == "p : Prop\n⊢ p → p"
        saved = env.snapshot(s0, "/tmp/qed-snapshots/goal-state.pickle")  # goal.save {id: 0, path}
        env.process.close()
        env._ensure_ready()  # what apply does first: a fresh process
        assert env._live_id(saved.handle) == 1  # goal.load in the new process
        assert env.rebuilds == {"snapshot": 1, "replay": 0} and env.process.generation == 2
