"""Local models: tokenizer round trips, save/load through the HF format, clear errors."""

from __future__ import annotations

import pytest
import torch

from qed.policy.models import ModelNotFound, load_model, load_tokenizer, merge_adapter, save_model


def test_byte_level_tokenizer_round_trips_lean_unicode(tiny):
    _, tok = tiny
    text = "x y : ℝ\nh₀ : ∀ n ≥ 5, x n = √2 ∧ ¬(a ∣ b)\n⊢ x ≤ y ∨ ∃! z, z ∈ Finset.range 3"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text
    assert tok.eos_token_id not in ids  # no special tokens added on encode


def test_padding_is_right_and_distinct_from_eos(tiny):
    _, tok = tiny
    assert tok.padding_side == "right"
    assert tok.pad_token_id != tok.eos_token_id
    enc = tok(["a", "a b c d"], padding=True, add_special_tokens=False)
    assert enc["attention_mask"][0][0] == 1 and enc["attention_mask"][0][-1] == 0


def test_save_then_load_gives_the_same_logits(tiny, tmp_path):
    model, tok = tiny
    save_model(model, tok, tmp_path / "m")
    loaded, tok2 = load_model(tmp_path / "m", device="cpu", dtype="float32")
    ids = torch.tensor([tok("theorem foo : 1 + 1 = 2 := by", add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, loaded(ids).logits, atol=1e-6)
    assert tok2.get_vocab() == tok.get_vocab()
    text = "x y : ℝ\nh₀ : 2 * x + 13 = 45\n⊢ x = 16 ∧ y ≤ 100"
    assert tok2(text)["input_ids"] == tok(text)["input_ids"]  # same splitting, not the model type's


def test_missing_model_dir_says_how_to_get_one(tmp_path):
    with pytest.raises(ModelNotFound, match="qed model init"):
        load_model(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFound, match="config.json"):
        load_tokenizer(tmp_path / "empty")


def test_merge_folds_a_lora_adapter_into_the_weights(tiny, tmp_path):
    from peft import LoraConfig, get_peft_model

    model, tok = tiny
    save_model(model, tok, tmp_path / "base")
    base, _ = load_model(tmp_path / "base", device="cpu", dtype="float32")
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)  # a non-trivial adapter (B starts at zero)
    peft_model.save_pretrained(tmp_path / "adapter")
    merge_adapter(tmp_path / "base", tmp_path / "adapter", tmp_path / "merged")
    merged, _ = load_model(tmp_path / "merged", device="cpu", dtype="float32")
    ids = torch.tensor([tok("⊢ x = 2", add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        want = peft_model(ids).logits
        assert torch.allclose(merged(ids).logits, want, atol=1e-4)
        assert not torch.allclose(model(ids).logits, want, atol=1e-3)
