"""(a) Every recorded reply parses into core types, and the parsed values agree with the
facts the transcript shows (goal counts, targets, hypotheses, tags, error texts, proof
completion). Expectations are read from the recorded JSON, so wrong parsing fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qed.core import Goal, StatementError
from qed.env import pantograph as pg
from qed.env import repl as rp
from qed.env.replay_server import load_pantograph, load_repl


def _pantograph_records(transcripts: Path):
    for path in sorted((transcripts / "pantograph").glob("*.jsonl")):
        yield from load_pantograph(path)


def _complete_goal(obj) -> bool:
    return isinstance(obj.get("target"), dict) and "pp" in obj["target"] and all(
        isinstance(v.get("type"), dict) for v in obj.get("vars") or [])


def _assert_goal_matches(goal: Goal, obj: dict) -> None:
    assert goal.target == obj["target"]["pp"]
    assert [h.name for h in goal.hypotheses] == [v["userName"] for v in obj.get("vars") or []]
    assert [h.type for h in goal.hypotheses] == [v["type"]["pp"] for v in obj.get("vars") or []]
    assert [h.value for h in goal.hypotheses] == [
        v["value"]["pp"] if v.get("value") else None for v in obj.get("vars") or []]
    assert goal.tag == (obj.get("userName") or None)
    assert Goal.parse(goal.text) == goal


def test_every_pantograph_tactic_reply_is_classified_as_recorded(transcripts):
    successes = failures = rejected = timeouts = 0
    for ex in _pantograph_records(transcripts):
        if ex.request["cmd"] != "goal.tactic":
            continue
        reply = ex.reply
        if "error" in reply:
            if reply["desc"] == pg.INTERRUPT:
                assert pg.classify_step(reply).timed_out, ex.label
                timeouts += 1
            elif reply["error"] in ("index", "command"):
                with pytest.raises(pg.PantographRejected, match=reply["desc"][:20]):
                    pg.classify_step(reply)
                rejected += 1
            continue
        flagged = reply.get("hasSorry") or reply.get("hasUnsafe")
        if "nextStateId" in reply and "goals" not in reply and not flagged:
            assert ex.partial, f"{ex.label}: a complete record always has goals"
            continue
        if "goals" in reply and not all(_complete_goal(g) for g in reply["goals"]):
            assert ex.partial, ex.label
            continue
        step = pg.classify_step(reply)
        if reply.get("nextStateId") is None or reply.get("hasSorry") or reply.get("hasUnsafe"):
            assert step.error, ex.label
            raw = (reply.get("tacticErrors") or []) + (reply.get("messages") or [])
            recorded = [pg.message_text(m) for m in raw if isinstance(m, str) or m.get("severity") == "error"]
            for text in recorded:
                assert text in step.error, ex.label
            if reply.get("hasSorry"):
                assert "sorry" in step.error
            failures += 1
        else:
            assert step.error is None and step.next_state_id == reply["nextStateId"], ex.label
            assert len(step.goals) == len(reply["goals"]), ex.label
            for goal, obj in zip(step.goals, reply["goals"], strict=True):
                _assert_goal_matches(goal, obj)
            successes += 1
    # the shared transcripts hold many of each kind: a parser that skips everything fails here
    assert successes >= 20 and failures >= 4 and timeouts >= 2, (successes, failures, timeouts, rejected)


def test_pantograph_goal_objects_in_start_and_print_replies(transcripts):
    checked = 0
    for ex in _pantograph_records(transcripts):
        reply = ex.reply
        groups = [t.get("goals") or [] for t in reply.get("targets") or []]
        groups += [u["goals"] for u in reply.get("units") or [] if "goals" in u]
        if ex.request["cmd"] == "goal.print":
            groups.append(reply.get("goals") or [])
        for group in groups:
            if not all(_complete_goal(g) for g in group):
                continue
            for goal, obj in zip(pg.parse_goals(group), group, strict=True):
                _assert_goal_matches(goal, obj)
                checked += 1
    assert checked >= 8


def test_pantograph_start_replies_give_one_state(transcripts):
    starts = 0
    for ex in _pantograph_records(transcripts):
        cmd, reply = ex.request["cmd"], ex.reply
        sorrys = cmd == "frontend.process" and ex.request["payload"].get("sorrys")
        if not (cmd == "frontend.distil" or sorrys) or ex.partial:
            continue
        targets = reply.get("targets") or [u for u in reply.get("units", []) if "goalStateId" in u]
        if len(targets) != 1:
            with pytest.raises(StatementError):
                pg.parse_start(reply)
            continue
        state_id, goals = pg.parse_start(reply)
        assert state_id == targets[0].get("stateId", targets[0].get("goalStateId"))
        assert [g.target for g in goals] == [o["target"]["pp"] for o in targets[0]["goals"]]
        starts += 1
    assert starts >= 4


def test_protocol_generations_of_failure_messages():
    old = {"tacticErrors": ["tactic 'assumption' failed\na : Prop\n⊢ ∀ (q : Prop), a ∨ q → q ∨ a"]}
    strings = {"messages": ["unknown identifier 'x'"], "hasSorry": False, "hasUnsafe": False}
    objects = {"messages": [{"severity": "warning", "data": "unused"}, {"severity": "error", "data": "boom"}],
               "hasSorry": False, "hasUnsafe": False}
    assert pg.classify_step(old).error == old["tacticErrors"][0]
    assert pg.classify_step(strings).error == "unknown identifier 'x'"
    assert pg.classify_step(objects).error == "boom"
    assert pg.classify_step({"parseError": "<input>:1:3: unexpected token"}).error.startswith("<input>")
    unsafe = {"nextStateId": 4, "goals": [], "hasSorry": False, "hasUnsafe": True, "messages": []}
    assert "unsafe" in pg.classify_step(unsafe).error and pg.classify_step(unsafe).next_state_id == 4
    conv = {"vars": [], "target": {"pp": "a = b"}, "name": "_uniq.1", "isConversion": True}
    assert pg.parse_goal(conv).target == "a = b"


@pytest.mark.parametrize(("version", "goal_id", "distil"), [
    ("0.2.23", True, False), ("0.3.2/v4.9.0", True, False), ("0.3.4", False, False),
    ("0.3.15", False, True), (None, False, True), ("garbage", False, True)])
def test_dialect_from_version(version, goal_id, distil):
    dialect = pg.Dialect.of(version)
    assert dialect.goal_id_required is goal_id and dialect.has_distil is distil


def _repl_pairs(transcripts: Path):
    for path in sorted((transcripts / "repl").rglob("*.in")):
        yield path, load_repl(path)


def test_every_repl_proof_step_reply_is_classified_as_recorded(transcripts):
    proved = goals = errors = rejected = 0
    for _path, exchanges in _repl_pairs(transcripts):
        for ex in exchanges:
            if "tactic" not in ex.request:
                continue
            reply = ex.reply
            if "message" in reply:
                if reply["message"].startswith("Lean error:"):
                    step = rp.classify_step(reply)
                    assert step.error == reply["message"].split("\n", 1)[1]
                    errors += 1
                else:
                    with pytest.raises(rp.ReplRejected, match=reply["message"]):
                        rp.classify_step(reply)
                    rejected += 1
                continue
            step = rp.classify_step(reply)
            error_texts = [m["data"] for m in reply.get("messages", []) if m["severity"] == "error"]
            assert step.proof_state == reply["proofState"]
            if error_texts:
                assert step.error is not None and all(t in step.error for t in error_texts), ex.label
                errors += 1
            elif reply.get("sorries"):  # a step that used sorry is never progress
                assert step.error is not None and "sorry" in step.error, ex.label
                errors += 1
            elif reply["goals"]:
                assert step.error is None and not step.proved, ex.label
                assert [g.text for g in step.goals] == reply["goals"], ex.label
                assert [g.tag for g in step.goals] == [
                    t.split("\n")[0][5:] if t.startswith("case ") else None for t in reply["goals"]]
                goals += 1
            else:
                status = reply["proofStatus"]
                assert step.proved == (status == "Completed" and not reply.get("sorries")), ex.label
                if not step.proved:
                    assert step.error and (status in step.error or "sorry" in step.error), ex.label
                    errors += 1
                else:
                    proved += 1
    assert proved >= 6 and goals >= 10 and errors >= 8 and rejected >= 1, (proved, goals, errors, rejected)


def test_repl_command_replies_give_sorry_states_and_errors(transcripts):
    starts = statement_errors = 0
    for _path, exchanges in _repl_pairs(transcripts):
        for ex in exchanges:
            if "cmd" not in ex.request:
                continue
            reply = ex.reply
            if any(m["severity"] == "error" for m in reply.get("messages", [])) or "message" in reply:
                with pytest.raises((StatementError, rp.ReplRejected)):
                    rp.parse_start(reply)
                statement_errors += 1
            elif len(reply.get("sorries", [])) == 1:
                state, goal = rp.parse_start(reply)
                assert state == reply["sorries"][0]["proofState"]
                assert goal.text == reply["sorries"][0]["goal"]
                starts += 1
            for sorry in reply.get("sorries", []):
                assert rp.parse_goal_text(sorry["goal"]).text == sorry["goal"]
    assert starts >= 12 and statement_errors >= 4


def test_specific_recorded_facts(transcripts):
    invalid = load_repl(transcripts / "repl" / "invalid_tactic.in")
    assert rp.classify_step(invalid[1].reply).error == "Unknown identifier `my_fake_premise`"
    kernel = load_repl(transcripts / "repl" / "self_proof_rw.in")
    assert "kernel type check failed" in rp.classify_step(kernel[2].reply).error
    branching = load_repl(transcripts / "repl" / "proof_branching.in")
    split = rp.classify_step(branching[1].reply)
    assert [g.tag for g in split.goals] == ["left", "right"] and [g.target for g in split.goals] == ["p", "r"]
    assert rp.classify_step(branching[4].reply).proved
    old = load_pantograph(transcripts / "pantograph" / "pypantograph-v0.2-notebook-outputs.partial.jsonl")
    assert pg.classify_step(old[2].reply).error.startswith("tactic 'assumption' failed")
    v034 = {json.dumps(e.request, sort_keys=True): e for e in
            load_pantograph(transcripts / "pantograph" / "pantograph-v0.3.4-integration.jsonl")}
    sorry_steps = [e for e in v034.values() if e.reply.get("hasSorry")]
    assert sorry_steps and all("sorry" in pg.classify_step(e.reply).error for e in sorry_steps)


def test_sorry_sources():
    assert pg.sorry_source("theorem t (x : ℕ) : x = x := by") == "theorem t (x : ℕ) : x = x := sorry"
    assert rp.sorry_command("theorem t : True :=") == "theorem t : True := by sorry"
    for bad in ("theorem t : True := trivial", ""):
        with pytest.raises(StatementError, match=":= by"):
            pg.sorry_source(bad)
        with pytest.raises(StatementError, match=":= by"):
            rp.sorry_command(bad)
    header = "import Mathlib\nimport Aesop\n\nopen Real\n"
    assert pg.split_header(header) == (["Mathlib", "Aesop"], "open Real")
