"""Joint training: one forward pass gives both losses, gradients reach LoRA and head, the pooled
embeddings are the search-time encoder's, the monitor aborts, a run resumes to the same weights,
and its outputs load as a policy and as a value model."""

from __future__ import annotations

import json
import math

import pytest
import torch
from peft import get_peft_model
from safetensors.torch import load_file

from qed.core import Query, Theorem, ValueQuery
from qed.data.contrastive import build_groups
from qed.data.synthetic import SyntheticSpec, synthetic_trajectories
from qed.data.trajectory import write_trajectories
from qed.eval.embedding_metrics import centroid_l2, linear_probe_accuracy
from qed.policy.hf import HFPolicy
from qed.policy.models import load_model, save_model
from qed.train.joint import JointAbort, JointSettings, joint_forward, lora_config, peak_memory_mb, run_joint
from qed.train.joint_data import load_joint_data, make_batch
from qed.train.monitor import MonitorSettings
from qed.train.sft_data import SftPair, collate, tokenize_pair, write_pairs
from qed.value.ebm import GoalConditionedEnergyHead, HeadConfig, load_head
from qed.value.encoder import HFEncoder
from qed.value.scorer import EbmScorer

HEAD = {"hidden": (32, 16)}


class Stop(Exception):
    pass


def probe(X, y, groups):
    return centroid_l2(X, y), linear_probe_accuracy(X, y, groups, folds=3)


def _pairs() -> list[SftPair]:
    tactics = ["linarith", "norm_num", "nlinarith [sq_nonneg (a - b)]", "ring", "omega"]
    return [SftPair(f"thm{i}", f"x : ℝ\nh₀ : {i} * x = {2 * i}\n⊢ x = 2", tactics[i % 5], "",
                    f"theorem thm{i} (x : ℝ) (h₀ : {i} * x = {2 * i}) : x = 2 := by") for i in range(40)]


SETTINGS = JointSettings(
    lora_r=8, lora_alpha=16, lora_dropout=0.0, lr_lora=5e-3, lr_head=5e-3, warmup_steps=2, max_steps=6,
    sft_batch=4, groups_per_step=2, k_negatives=3, val_frac=0.3, max_len=256, text_max_len=128, eval_every=3,
    save_every=2, val_groups=8, probe_states=24, device="cpu",
    monitor=MonitorSettings(temperature_every=2, probe_every=3, sft_deadline=0))


@pytest.fixture()
def setup(tiny, tmp_path):
    model, tok = tiny
    save_model(model, tok, tmp_path / "base")
    write_pairs(_pairs(), tmp_path / "pairs.jsonl")
    rows = synthetic_trajectories(SyntheticSpec(theorems=30, signal=0.8, max_depth=4, seed=3))
    write_trajectories(tmp_path / "traj.parquet", rows)
    return tmp_path


def _peft(tmp_path, r: int = 8):
    model, tok = load_model(tmp_path / "base", device="cpu", dtype="float32")
    torch.manual_seed(0)
    model = get_peft_model(model, lora_config(JointSettings(lora_r=r, lora_alpha=2 * r, lora_dropout=0.0)))
    return model, tok


def test_smoke_one_batch_forward_and_backward_reaches_lora_and_head(setup):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, tok = _peft(setup)
    head = GoalConditionedEnergyHead(HeadConfig(dim=model.get_base_model().config.hidden_size, **HEAD))
    model, head = model.to(device), head.to(device)
    groups, _ = build_groups(synthetic_trajectories(SyntheticSpec(theorems=10, seed=1)), k=3)
    sft = [tokenize_pair(tok, p, 256) for p in _pairs()[:4]]
    batch = make_batch(tok, sft, groups[:3], text_max_len=128)
    assert batch.states.shape == batch.roots.shape == (3, 4) and batch.n_sft == 4
    model.train()
    out = joint_forward(model, head, batch)
    (out.sft_loss + 0.1 * out.nce_loss).backward()
    assert math.isfinite(out.sft_loss.item()) and math.isfinite(out.nce_loss.item())
    assert out.energies.shape == (3, 4)
    lora = {n: p.grad for n, p in model.named_parameters() if "lora_" in n}
    assert lora and all(g is not None for g in lora.values())
    assert sum(float(g.abs().sum()) for n, g in lora.items() if "lora_B" in n) > 0  # B starts at 0
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in head.parameters())
    assert all(p.grad is None for n, p in model.named_parameters() if "lora_" not in n)  # base frozen
    memory = peak_memory_mb()
    print(f"joint smoke step on {device}: peak memory {memory}")
    assert memory["peak_rss_mb"] > 0 and (device == "cpu" or memory["cuda_peak_mb"] > 0)


def test_contrastive_loss_alone_moves_the_lora_weights(setup):
    model, tok = _peft(setup)
    head = GoalConditionedEnergyHead(HeadConfig(dim=model.get_base_model().config.hidden_size, **HEAD))
    groups, _ = build_groups(synthetic_trajectories(SyntheticSpec(theorems=10, seed=1)), k=3)
    batch = make_batch(tok, [tokenize_pair(tok, _pairs()[0], 256)], groups[:2], text_max_len=128)
    joint_forward(model, head, batch).nce_loss.backward()
    grads = [p.grad for n, p in model.named_parameters() if "lora_B" in n]
    assert sum(float(g.abs().sum()) for g in grads) > 0


def test_one_pass_matches_the_sft_loss_and_the_search_time_encoder(setup):
    model, tok = _peft(setup)
    model.eval()
    head = GoalConditionedEnergyHead(HeadConfig(dim=model.get_base_model().config.hidden_size, **HEAD)).eval()
    groups, _ = build_groups(synthetic_trajectories(SyntheticSpec(theorems=10, seed=1)), k=3)
    sft = [tokenize_pair(tok, p, 256) for p in _pairs()[:3]]
    batch = make_batch(tok, sft, groups[:2], text_max_len=128)
    with torch.no_grad():
        out = joint_forward(model, head, batch)
        reference = model(**collate(sft, tok.pad_token_id)).loss
        g = groups[0]
        z = torch.from_numpy(HFEncoder(model, tok, max_length=128).encode([g.positive, g.root]))
        expected = head(z[:1], z[1:])
    assert out.sft_loss.item() == pytest.approx(reference.item(), rel=1e-5)
    assert out.energies[0, 0].item() == pytest.approx(expected.item(), rel=1e-4, abs=1e-5)


def test_data_split_is_by_theorem_and_the_probe_is_balanced(setup, tiny):
    _, tok = tiny
    data = load_joint_data(setup / "pairs.jsonl", setup / "traj.parquet", tok, max_len=256, val_frac=0.3,
                           seed=0, k_negatives=3, depth_window=1, hard_fraction=0.25, probe_states=24)
    assert not data.train_theorems & data.val_theorems
    assert {e.theorem for e in data.sft_val} <= data.val_theorems
    assert {g.theorem for g in data.groups_train} <= data.train_theorems
    assert {g.theorem for g in data.groups_val} <= data.val_theorems
    assert set(data.probe.theorems) <= data.val_theorems
    assert sum(data.probe.labels) * 2 == len(data.probe.labels) > 0


def test_run_writes_outputs_resumes_identically_and_loads_for_search(setup):
    full = run_joint(setup / "base", setup / "pairs.jsonl", setup / "traj.parquet", setup / "full", SETTINGS,
                     probe, head_options=HEAD, log=lambda _: None)
    for name in ("adapter/adapter_model.safetensors", "ebm/head.safetensors", "ebm/config.json", "joint.png",
                 "loss.png", "metrics.json", "DONE"):
        assert (setup / "full" / name).exists(), name
    m = full.metrics
    assert m["steps"] == 6 and m["lambda_nce"] == SETTINGS.lambda_nce and m["peak_rss_mb"] > 0
    assert all(m[k] is not None for k in ("val_sft_loss", "val_nce_loss", "val_rank1", "centroid_l2",
                                          "probe_accuracy", "temperature"))
    rows = [json.loads(line) for line in (setup / "full" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["kind"] == "probe"] == [0, 3, 6]
    assert [r["step"] for r in rows if r["kind"] == "temperature"] == [0, 2, 4, 6]

    def interrupt(step, total, row):
        if step == 5:
            raise Stop

    with pytest.raises(Stop):
        run_joint(setup / "base", setup / "pairs.jsonl", setup / "traj.parquet", setup / "cut", SETTINGS,
                  probe, head_options=HEAD, progress=interrupt, log=lambda _: None)
    assert (setup / "cut" / "checkpoints" / "step_4" / "head" / "head.safetensors").exists()
    logs: list[str] = []
    resumed = run_joint(setup / "base", setup / "pairs.jsonl", setup / "traj.parquet", setup / "cut",
                        SETTINGS, probe, head_options=HEAD, log=logs.append)
    assert any("resumed" in line and "step 4" in line for line in logs)
    for rel in ("adapter/adapter_model.safetensors", "ebm/head.safetensors"):
        a, b = load_file(str(setup / "full" / rel)), load_file(str(setup / "cut" / rel))
        assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a), rel
    assert resumed.metrics["val_sft_loss"] == pytest.approx(m["val_sft_loss"], rel=1e-5)

    # the outputs as a policy and as a value model (the same backbone + adapter encodes)
    model, tok = load_model(setup / "base", adapter=full.adapter, device="cpu", dtype="float32")
    thm = Theorem("t", "theorem t (x : ℝ) (h₀ : 2 * x = 4) : x = 2 := by")
    cands = HFPolicy(model, tok, max_new_tokens=8, seed=0).propose([Query(thm, "x : ℝ\n⊢ x = 2")], 4)
    assert len(cands) == 1
    scorer = EbmScorer(HFEncoder(model, tok), load_head(full.ebm_dir))
    energies = scorer.score([ValueQuery("x : ℝ\n⊢ x = 2", "x : ℝ\n⊢ x = 2"),
                             ValueQuery("x : ℝ\n⊢ x = 3", "x : ℝ\n⊢ x = 2")])
    assert all(math.isfinite(e) for e in energies) and energies[0] != energies[1]


def test_sft_only_mode_trains_no_head_and_writes_no_value_model(setup):
    s = JointSettings(**{**SETTINGS.__dict__, "lambda_nce": 0.0, "max_steps": 2})
    res = run_joint(setup / "base", setup / "pairs.jsonl", setup / "traj.parquet", setup / "sft", s, probe,
                    head_options=HEAD, log=lambda _: None)
    assert res.ebm_dir is None and res.metrics["val_nce_loss"] is None
    rows = [json.loads(line) for line in (setup / "sft" / "metrics.jsonl").read_text().splitlines()]
    assert all(r["nce_loss"] is None for r in rows if r["kind"] == "train")


def test_monitor_aborts_with_a_clear_message(setup):
    s = JointSettings(**{**SETTINGS.__dict__, "monitor": MonitorSettings(min_centroid_l2=1e9, probe_every=3)})
    with pytest.raises(JointAbort, match="centroid_l2 .* fell below"):
        run_joint(setup / "base", setup / "pairs.jsonl", setup / "traj.parquet", setup / "abort", s, probe,
                  head_options=HEAD, log=lambda _: None)
    assert "collapse" in (setup / "abort" / "ABORTED").read_text()
    assert not (setup / "abort" / "DONE").exists()
