"""SFT pairs: file formats, the cheat filter, the split by theorem, completion-only labels, and
pairs traced from generated sandbox proofs."""

from __future__ import annotations

import json

import pytest

from qed.policy.prompt import format_completion, format_prompt
from qed.train.sft_data import (
    IGNORE,
    SftDataError,
    SftPair,
    drop_cheating_theorems,
    read_pairs,
    split_by_theorem,
    tokenize_pair,
    write_pairs,
)

PAIRS = [
    SftPair("t1", "x : ℝ\nh₀ : 2 * x = 4\n⊢ x = 2", "linarith", "import Mathlib\n",
            "theorem t1 : x = 2 := by"),
    SftPair("t2", "⊢ 1 + 1 = 2", "norm_num"),
    SftPair("t3", "⊢ P", "constructor"),
    SftPair("t3", "⊢ Q", "sorry"),
    SftPair("t4", "⊢ R", "cheat"),
    SftPair("t5", "⊢ S", "exact admitted_thing"),  # 'admitted' is not 'admit'
]


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_pairs_round_trip_through_files(tmp_path, suffix):
    path = tmp_path / f"pairs{suffix}"
    assert write_pairs(PAIRS, path) == len(PAIRS)
    assert read_pairs(path) == PAIRS


def test_reader_accepts_dataset_column_names_and_names_missing_fields(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": "w1", "state_before": "⊢ a", "tactic": "simp",
                                "formal_statement": "theorem w1 : a := by"}) + "\n"
                    + json.dumps({"name": "w2", "state": "⊢ b"}) + "\n")
    with pytest.raises(SftDataError, match=r"p.jsonl:2: missing field 'tactic'"):
        read_pairs(path)
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert read_pairs(path) == [SftPair("w1", "⊢ a", "simp", "", "theorem w1 : a := by")]
    with pytest.raises(SftDataError, match="no such file"):
        read_pairs(tmp_path / "missing.jsonl")


def test_a_theorem_with_any_cheating_tactic_is_dropped_whole():
    kept, dropped = drop_cheating_theorems(PAIRS)
    assert dropped == ["t3", "t4"]
    assert [p.theorem for p in kept] == ["t1", "t2", "t5"]


def test_split_is_by_theorem_name_and_independent_of_order():
    pairs = [SftPair(f"thm{i // 3}", f"⊢ s{i}", f"tac{i}") for i in range(600)]
    train, val = split_by_theorem(pairs, 0.2, seed=1)
    train_names, val_names = {p.theorem for p in train}, {p.theorem for p in val}
    assert not train_names & val_names
    assert len(train) + len(val) == 600
    assert 0.1 < len(val_names) / 200 < 0.3
    t2, v2 = split_by_theorem(list(reversed(pairs)), 0.2, seed=1)
    assert {p.theorem for p in v2} == val_names
    assert {p.theorem for p in split_by_theorem(pairs, 0.2, seed=2)[1]} != val_names


def test_only_completion_tokens_carry_labels(tiny):
    _, tok = tiny
    pair = PAIRS[0]
    ex = tokenize_pair(tok, pair, max_len=1024)
    n_prompt = sum(1 for label in ex.labels if label == IGNORE)
    prompt_ids = tok(format_prompt(pair.prompt_theorem(), pair.state), add_special_tokens=False)["input_ids"]
    assert list(ex.input_ids[:n_prompt]) == prompt_ids
    trained = [t for t in ex.labels if t != IGNORE]
    assert trained[-1] == tok.eos_token_id
    assert tok.decode(trained[:-1]) == format_completion("linarith")
    assert list(ex.input_ids[n_prompt:]) == trained


def test_long_prompts_keep_their_end_and_the_whole_completion(tiny):
    _, tok = tiny
    pair = SftPair("long", "h : x = 1\n" * 200 + "⊢ x = 1", "linarith")
    ex = tokenize_pair(tok, pair, max_len=64)
    assert len(ex.input_ids) == 64
    assert tok.decode(list(ex.input_ids)).endswith("```\n" + format_completion("linarith") + tok.eos_token)
