"""LoRA SFT: the loss goes down, outputs are written (adapter, metrics, plot, DONE), an interrupted
run resumes to the same adapter, and the CLI chain init -> sft-pairs -> train sft -> merge works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from qed.policy.models import load_model, save_model
from qed.train.sft import SftSettings, run_sft
from qed.train.sft_data import SftPair, write_pairs


class Stop(Exception):
    pass


def _pairs() -> list[SftPair]:
    tactics = ["linarith", "norm_num", "nlinarith [sq_nonneg (a - b)]", "ring", "omega"]
    return [SftPair(f"thm{i}", f"x : ℝ\nh₀ : {i} * x = {2 * i}\n⊢ x = 2", tactics[i % 5], "",
                    f"theorem thm{i} (x : ℝ) (h₀ : {i} * x = {2 * i}) : x = 2 := by") for i in range(60)]


SETTINGS = SftSettings(lora_r=8, lora_alpha=16, lora_dropout=0.0, lr=5e-3, warmup_steps=2, batch_size=8,
                       epochs=2, val_frac=0.2, eval_every=4, save_every=3, eval_states=4, eval_n=4,
                       max_len=256, device="cpu")


@pytest.fixture()
def setup(tiny, tmp_path):
    model, tok = tiny
    save_model(model, tok, tmp_path / "base")
    write_pairs(_pairs(), tmp_path / "pairs.jsonl")
    return tmp_path


def test_sft_lowers_validation_loss_and_writes_its_outputs(setup):
    run = setup / "run"
    res = run_sft(setup / "base", setup / "pairs.jsonl", run, SETTINGS, log=lambda _: None)
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    val = [r["val_loss"] for r in rows if r["kind"] == "val"]
    assert val[-1] < val[0] - 0.5
    assert res.steps == sum(1 for r in rows if r["kind"] == "train") == 14  # 2 epochs of ceil(~48 / 8)
    for name in ("adapter/adapter_model.safetensors", "loss.png", "exact_match.json", "split.json", "DONE"):
        assert (run / name).exists(), name
    split = json.loads((run / "split.json").read_text())
    assert not set(split["train"]) & set(split["val"]) and split["val"]
    em = json.loads((run / "exact_match.json").read_text())
    assert set(em) == {"before", "after"} and em["after"]["states"] == 4
    again = run_sft(setup / "base", setup / "pairs.jsonl", run, SETTINGS, log=lambda _: None)
    assert again.steps == res.steps  # DONE: nothing rerun


def test_an_interrupted_run_resumes_to_the_same_adapter(setup):
    full = run_sft(setup / "base", setup / "pairs.jsonl", setup / "full", SETTINGS, log=lambda _: None)

    def interrupt(step, total, row):
        if step == 7:
            raise Stop

    with pytest.raises(Stop):
        run_sft(setup / "base", setup / "pairs.jsonl", setup / "cut", SETTINGS, progress=interrupt,
                log=lambda _: None)
    assert (setup / "cut" / "checkpoints" / "step_6" / "state.json").exists()
    assert not (setup / "cut" / "DONE").exists()
    logs: list[str] = []
    resumed = run_sft(setup / "base", setup / "pairs.jsonl", setup / "cut", SETTINGS, log=logs.append)
    assert any("resumed" in line and "step 6" in line for line in logs)
    assert resumed.steps == full.steps
    a = load_file(str(full.adapter / "adapter_model.safetensors"))
    b = load_file(str(resumed.adapter / "adapter_model.safetensors"))
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


@pytest.mark.slow
def test_cli_init_pairs_sft_merge(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    exe = Path(sys.executable).with_name("qed")
    assert exe.exists(), "the qed console script is not installed (make setup installs it)"
    qed = [str(exe)]

    def run(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([*qed, *args], capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("theorem foo (x : ℝ) (h₀ : 2 * x = 4) : x = 2 := by\n  linarith\n```lean4\n" * 20)
    run("model", "init", "--size", "tiny", "--out", str(tmp_path / "m"), "--corpus", str(corpus))
    run("data", "sft-pairs", "--n", "40", "--out", str(tmp_path / "pairs.parquet"))
    out = run("train", "sft", "--data", str(tmp_path / "pairs.parquet"), "--model", str(tmp_path / "m"),
              "--out", str(tmp_path / "run"), "sft.max_steps=6", "sft.batch_size=8", "sft.eval_states=4",
              "sft.eval_n=2", "sft.lora_r=4", "sft.device=cpu").stdout
    assert "exact match after" in out and (tmp_path / "run" / "DONE").exists()
    run("model", "merge", "--model", str(tmp_path / "m"), "--adapter", str(tmp_path / "run" / "adapter"),
        "--out", str(tmp_path / "merged"))
    merged, tok = load_model(tmp_path / "merged", device="cpu", dtype="float32")
    with_adapter, _ = load_model(tmp_path / "m", adapter=tmp_path / "run" / "adapter", device="cpu",
                                 dtype="float32")
    ids = torch.tensor([tok("⊢ x = 2", add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, with_adapter(ids).logits, atol=1e-4)
    missing = subprocess.run([*qed, "train", "sft", "--data", str(tmp_path / "pairs.parquet"), "--model",
                              str(tmp_path / "nope"), "--out", str(tmp_path / "r2")],
                             capture_output=True, text=True, env=env, timeout=300)
    assert missing.returncode == 2 and "qed model init" in missing.stderr


def test_the_measure_hook_records_a_learning_curve_that_survives_a_resume(setup):
    seen: list[bool] = []

    def measure(model, tok) -> dict:
        seen.append(model.training)
        return {"probe": float(len(seen))}

    def interrupt(step, total, row):
        if step == 9:
            raise Stop

    with pytest.raises(Stop):
        run_sft(setup / "base", setup / "pairs.jsonl", setup / "run", SETTINGS, progress=interrupt,
                log=lambda _: None, measure=measure)
    run_sft(setup / "base", setup / "pairs.jsonl", setup / "run", SETTINGS, log=lambda _: None,
            measure=measure)
    rows = [json.loads(line) for line in (setup / "run" / "metrics.jsonl").read_text().splitlines()]
    measured = [r["step"] for r in rows if r["kind"] == "measure"]
    assert measured == [0, 4, 8, 12, 14]  # before, every eval_every, after; step 8 kept across the resume
    assert not any(seen)  # measured in eval mode
    train = [r for r in rows if r["kind"] == "train"]
    assert [r["step"] for r in train] == list(range(1, 15))
    # training time continues across the resume
    assert all(b["elapsed_s"] >= a["elapsed_s"] for a, b in zip(train, train[1:], strict=False))
