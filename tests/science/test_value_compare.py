"""The value comparison (`qed.cli.value_compare`, `qed science compare`): the proof oracle's labels,
the budget curve read off one search per arm, the paired statistics, and the command end to end
(resume, bad input)."""

from __future__ import annotations

import json

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from typer.testing import CliRunner

from qed.cli.headroom import menu_policy, theorem_of
from qed.cli.main import app
from qed.cli.value_compare import (
    CompareSettings,
    arm_settings,
    proof_labels,
    proved_within,
    summarise,
)
from qed.env.sandbox.deep_generate import generate_deep
from qed.env.sandbox.env import SandboxEnv
from qed.search.best_first import best_first
from qed.search.oracle import OracleValue
from qed.search.result import Budget
from qed.value.ebm import GoalConditionedEnergyHead
from qed.value.hashing_encoder import HashingEncoder
from qed.value.scorer import EbmScorer
from qed.value.settings import HeadConfig


@pytest.fixture(scope="module")
def rows():
    return [g.row for g in generate_deep(6, seed=3)]


def test_proof_labels_count_down_the_verified_proof(rows):
    env = SandboxEnv()
    for row in rows:
        labels = proof_labels(row, env)
        steps = [t for t in row["proof"].split("\n") if t.strip()]
        assert labels.distance[labels.root] == len(steps)
        assert sorted(labels.distance.values()) == list(range(1, len(steps) + 1))
        assert not labels.dead


def test_proof_labels_refuse_a_missing_or_broken_proof(rows):
    env = SandboxEnv()
    with pytest.raises(ValueError, match="has none"):
        proof_labels({**rows[0], "proof": ""}, env)
    broken = {**rows[0], "proof": rows[0]["proof"].rsplit("\n", 1)[0]}  # the last step dropped
    with pytest.raises(ValueError, match=rows[0]["name"]):
        proof_labels(broken, env)


def test_oracle_walks_the_proof_when_the_policy_offers_every_step(rows):
    env = SandboxEnv()
    settings = CompareSettings(candidates=32)
    policy = menu_policy(rows, settings.headroom_settings(0))
    for row in rows:
        r = best_first(theorem_of(row), env=env, policy=policy, value=OracleValue([proof_labels(row, env)]),
                       budget=Budget(max_expansions=64, candidates=32), settings=arm_settings("oracle", 0.5))
        assert r.proved and r.stats.expansions == row["proof_length"]


def test_one_search_at_the_largest_budget_gives_every_smaller_budget(rows):
    """proved at B (a search run with budget B) == proved within B expansions of the big search."""
    env = SandboxEnv()
    settings = CompareSettings(candidates=12)
    policy = menu_policy(rows, settings.headroom_settings(1))
    torch.manual_seed(0)
    head = GoalConditionedEnergyHead(HeadConfig(dim=64, hidden=(32,)))
    values = {"llm_only": None, "soft_norm": None, "ebm_alpha1": EbmScorer(HashingEncoder(64), head)}
    seen = set()
    for row in rows:
        thm = theorem_of(row)
        values["oracle"] = OracleValue([proof_labels(row, env)])
        for arm, value in values.items():
            big = best_first(thm, env=env, policy=policy, value=value,
                             budget=Budget(max_expansions=48, candidates=12), settings=arm_settings(arm, 0.5))
            record = {"proved": big.proved, "expansions": big.stats.expansions}
            for b in (3, 6, 12, 24):
                small = best_first(thm, env=env, policy=policy, value=value,
                                   budget=Budget(max_expansions=b, candidates=12),
                                   settings=arm_settings(arm, 0.5))
                assert small.proved == proved_within(record, b), (row["name"], arm, b)
                seen.add(small.proved)
    assert seen == {True, False}  # both outcomes occurred, so the equality was tested both ways


def _record(name: str, **arms: tuple[bool, int]) -> dict:
    return {"name": name, "family": "f", "difficulty": 1, "proof_length": 4,
            "arms": {a: {"proved": p, "expansions": e} for a, (p, e) in arms.items()}}


def test_summary_rates_differences_mcnemar_and_share():
    s = CompareSettings(budgets=(4, 16), seeds=(0, 1), arms=("llm_only", "ebm", "oracle"), bootstrap=200)
    no, at3, at10 = (False, 16), (True, 3), (True, 10)
    by_seed = {
        0: [_record("a", llm_only=no, ebm=at3, oracle=at3), _record("b", llm_only=at3, ebm=at3, oracle=at3),
            _record("c", llm_only=no, ebm=no, oracle=at10), _record("d", llm_only=no, ebm=at10, oracle=at3)],
        1: [_record("a", llm_only=no, ebm=no, oracle=at3), _record("b", llm_only=at3, ebm=at3, oracle=at3),
            _record("c", llm_only=no, ebm=no, oracle=at10), _record("d", llm_only=no, ebm=at10, oracle=at3),
            _record("e", llm_only=at3, ebm=at3, oracle=at3)],  # only under one seed: left out
    }
    out = summarise(by_seed, s)
    assert out["theorems"] == 4
    b4, b16 = out["budgets"]["4"], out["budgets"]["16"]
    # budget 4: llm proves b (both seeds); ebm proves b (both) and a (seed 0); oracle a, b, d (both)
    assert b4["llm_only"]["per_seed"] == [0.25, 0.25] and b4["ebm"]["per_seed"] == [0.5, 0.25]
    assert b4["oracle"]["rate"] == 0.75
    assert b4["headroom_points"] == pytest.approx(50.0)
    assert b4["ebm"]["vs_llm_points"] == pytest.approx(12.5)
    assert b4["ebm"]["share"] == pytest.approx(0.25)
    assert [m["only_arm"] for m in b4["ebm"]["mcnemar_per_seed"]] == [1, 0]
    # budget 16: ebm adds d under both seeds; the oracle proves all four
    assert b16["ebm"]["rate"] == pytest.approx(5 / 8) and b16["oracle"]["rate"] == 1.0
    assert b16["ebm"]["share"] == pytest.approx((5 / 8 - 1 / 4) / (1 - 1 / 4))
    assert b16["oracle"]["mcnemar_per_seed"][0] == {"only_arm": 3, "only_llm": 0, "p_mcnemar": 0.25}
    lo, hi = b16["ebm"]["vs_llm_interval"]
    assert lo <= b16["ebm"]["vs_llm_points"] <= hi
    assert out["by_shape"]["f d1"] == {"theorems": 4, "llm_only": 2, "ebm": 5, "oracle": 8}


def test_compare_cli_end_to_end_resumes_and_refuses_bad_input(tmp_path):
    out = tmp_path / "cmp"
    args = ["science", "compare", "--out", str(out), "--n", "4", "--train-n", "24", "--seeds", "0,1",
            "--budgets", "4,16", "--arms", "llm_only,ebm,ebm_alpha1,oracle", "--ebm-steps", "30"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["theorems"] == 4 and summary["seeds"] == [0, 1]
    for seed in (0, 1):
        lines = (out / f"seed_{seed}" / "theorems.jsonl").read_text().splitlines()
        recs = [json.loads(line) for line in lines]
        assert len(recs) == 4
        assert (out / f"seed_{seed}" / "ebm" / "DONE").exists()
        for b in (4, 16):
            got = summary["budgets"][str(b)]["oracle"]["per_seed"][seed]
            assert got == sum(proved_within(x["arms"]["oracle"], b) for x in recs) / 4
    assert (out / "curves.png").stat().st_size > 0
    acc = EventAccumulator(str(out / "tensorboard"))
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars("compare/oracle_rate")] == [
        (b, pytest.approx(summary["budgets"][str(b)]["oracle"]["rate"])) for b in (4, 16)]
    report = (out / "report.md").read_text()
    assert "share" in report and "McNemar" in report and "val rank-1" in report
    assert "headroom" in r.output and "report:" in r.output
    before = {p: p.read_text() for p in out.glob("seed_*/theorems.jsonl")}
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert {p: p.read_text() for p in out.glob("seed_*/theorems.jsonl")} == before

    # a new arm is measured on the theorems already there, the others are kept as they were
    five = "llm_only,soft_norm,ebm,ebm_alpha1,oracle"
    more = CliRunner().invoke(app, [*args[:-4], "--arms", five, *args[-2:]])
    assert more.exit_code == 0, more.output
    for p, text in before.items():
        old = [json.loads(line) for line in text.splitlines()]
        new = [json.loads(line) for line in p.read_text().splitlines()]
        assert [r["name"] for r in new] == [r["name"] for r in old]
        for o, n in zip(old, new, strict=True):
            assert set(n["arms"]) == set(o["arms"]) | {"soft_norm"}
            assert {a: n["arms"][a] for a in o["arms"]} == o["arms"]
    assert "soft_norm" in json.loads((out / "summary.json").read_text())["budgets"]["16"]
    other = CliRunner().invoke(app, [*args, "--candidates", "8"])
    assert other.exit_code == 2 and "other settings" in other.output and "candidates 12 -> 8" in other.output

    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"name": "t", "formal_statement": "theorem t : 1 = 1 := by"}) + "\n")
    bad = CliRunner().invoke(app, ["science", "compare", str(plain), "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "menu" in bad.output and "Traceback" not in bad.output
    same = out / "heldout.jsonl"
    clash = CliRunner().invoke(app, ["science", "compare", str(same), "--train", str(same), "--out",
                                     str(tmp_path / "y")])
    assert clash.exit_code == 2 and "both held out and for training" in clash.output
    few = CliRunner().invoke(app, ["science", "compare", "--out", str(tmp_path / "z"), "--n", "2",
                                   "--train-n", "1", "--seeds", "0", "--budgets", "4", "--ebm-steps", "5"])
    assert few.exit_code == 2 and "error:" in few.output and "groups" in few.output
    assert "Traceback" not in few.output


def test_a_trained_policy_model_ranks_the_menus_and_is_part_of_the_fixed_settings(tiny, tmp_path):
    from qed.policy.models import save_model

    model, tok = tiny
    save_model(model, tok, tmp_path / "policy")
    out = tmp_path / "cmp"
    args = ["science", "compare", "--out", str(out), "--n", "3", "--seeds", "0", "--budgets", "2,8",
            "--arms", "llm_only,oracle", "--candidates", "4", "--policy-model", str(tmp_path / "policy")]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    recs = [json.loads(line) for line in (out / "seed_0" / "theorems.jsonl").read_text().splitlines()]
    assert len(recs) == 3 and all(set(x["arms"]) == {"llm_only", "oracle"} for x in recs)
    fixed = json.loads((out / "seed_0" / "settings.json").read_text())
    assert fixed["policy_model"] == str(tmp_path / "policy")
    # the same held-out theorem searched with MenuPolicy instead is another experiment: refused
    menu = CliRunner().invoke(app, args[:-2])
    assert menu.exit_code == 2 and "policy_model" in menu.output
    missing = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "--policy-model" in missing.output and "Traceback" not in missing.output


def test_the_head_can_read_a_backbone_instead_of_hashed_ngrams(tiny, tmp_path):
    from qed.cli.value_compare import compare_encoder, load_scorer
    from qed.core import ValueQuery
    from qed.policy.models import save_model

    model, tok = tiny
    save_model(model, tok, tmp_path / "backbone")
    out = tmp_path / "cmp"
    args = ["science", "compare", "--out", str(out), "--n", "2", "--train-n", "8", "--seeds", "0",
            "--budgets", "4", "--arms", "llm_only,ebm_alpha1", "--ebm-steps", "20",
            "--encoder-model", str(tmp_path / "backbone")]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    settings = CompareSettings(encoder_model=str(tmp_path / "backbone"))
    enc, enc_id = compare_encoder(settings)
    assert enc.dim == model.config.hidden_size and enc_id.startswith("hf:")
    meta = json.loads((out / "seed_0" / "embeddings" / "meta.json").read_text())
    assert meta["encoder"] == enc_id and meta["dim"] == model.config.hidden_size
    scorer = load_scorer(out / "seed_0", settings)
    q = ValueQuery("x : ℝ\n⊢ x = 2", "x : ℝ\n⊢ x = 2")
    [e] = scorer.score([q])
    assert torch.isfinite(torch.tensor(e))
    missing = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "--encoder-model" in missing.output
    assert "Traceback" not in missing.output
