"""The composition root: one backbone for the in-process policy and encoder; every choice in one place."""

from __future__ import annotations

import pytest

from qed.cli.build import Backbones, BuildError, build_encoder, build_policy, build_search, build_value
from qed.cli.config import load_config
from qed.search.best_first import SearchSettings
from qed.search.mcts import MctsSettings


@pytest.fixture()
def model_dir(tiny, tmp_path):
    from qed.policy.models import save_model

    save_model(*tiny, tmp_path / "m")
    return tmp_path / "m"


def test_policy_and_encoder_share_one_backbone(model_dir, tmp_path):
    from qed.value.ebm import GoalConditionedEnergyHead, HeadConfig, save_head

    cfg = load_config(["policy=hf", f"policy.model={model_dir}", "policy.device=cpu", "ebm.encoder.kind=hf"])
    backbones = Backbones()
    policy = build_policy(cfg, backbones)
    encoder, _, dim = build_encoder(cfg, backbones)
    assert policy.model is encoder.model and policy.tokenizer is encoder.tokenizer
    assert len(backbones) == 1
    save_head(GoalConditionedEnergyHead(HeadConfig(dim=dim, hidden=(8,))), tmp_path / "ebm")
    value_cfg = load_config(["policy=hf", f"policy.model={model_dir}", "policy.device=cpu",
                             "ebm.encoder.kind=hf", "value=ebm", f"search.ebm_dir={tmp_path / 'ebm'}"])
    value = build_value(value_cfg, backbones)
    assert value.encoder.model is policy.model and len(backbones) == 1
    # the shared object both generates and embeds
    from qed.core import Query, Theorem

    thm = Theorem("t", "theorem t : 1 = 1 := by")
    assert len(policy.propose([Query(thm, "⊢ 1 = 1")], 2)) == 1
    assert len(encoder.encode(["⊢ 1 = 1"])[0]) == dim


def test_a_missing_model_is_a_build_error():
    cfg = load_config(["policy=hf", "policy.model=/nonexistent/model"])
    with pytest.raises(BuildError):
        build_policy(cfg)


def test_the_search_algorithm_is_chosen_here():
    assert isinstance(build_search(load_config([])), SearchSettings)
    assert build_search(load_config([]), alpha=0.0).alpha == 0.0
    assert isinstance(build_search(load_config(["search=mcts"])), MctsSettings)
    with pytest.raises(BuildError, match="search.algorithm"):
        build_search(load_config(["search.algorithm=dfs"]))


def test_no_import_cycle_inside_qed_cli_and_build_imports_no_command():
    import grimp

    graph = grimp.build_graph("qed")
    cli = {m for m in graph.modules if m.startswith("qed.cli.")}
    edges = {m: {x for x in graph.find_modules_directly_imported_by(m) if x in cli} for m in cli}
    assert not {m for m in edges["qed.cli.build"] if m.endswith("_cmd") or m == "qed.cli.main"}
    done = set()

    def visit(m, path):
        assert m not in path, "import cycle: " + " -> ".join([*path, m])
        if m in done:
            return
        for n in edges[m]:
            visit(n, [*path, m])
        done.add(m)

    for m in sorted(cli):
        visit(m, [])
