"""``generate`` keeps each model call within a byte budget (``sampling_bytes``) by splitting the
prompts into more chunks, with the same results; the estimate grows with what is kept."""

from __future__ import annotations

import pytest

from qed.policy import hf
from qed.policy.hf import SamplingParams, generate, sampling_bytes


def test_a_byte_budget_splits_calls_without_changing_results(tiny, monkeypatch):
    model, tok = tiny
    prompts = ["⊢ x = 2", "theorem t : 1 = 1 := by", "h : 0 < n\n⊢ n ≠ 0", "⊢ a + b = b + a"]
    params = SamplingParams(n=3, temperature=0.0, max_new_tokens=6)
    whole = generate(model, tok, prompts, params)
    chunks: list[int] = []
    real = hf._left_pad

    def counting(rows, pad_id):  # observe how many prompts each model call gets
        chunks.append(len(rows))
        return real(rows, pad_id)

    monkeypatch.setattr(hf, "_left_pad", counting)
    longest = max(len(tok(p, add_special_tokens=False)["input_ids"]) for p in prompts)
    budget = sampling_bytes(model, 1, 1, longest, params.max_new_tokens)  # one prompt per call
    split = generate(model, tok, prompts, params, max_batch_bytes=budget)
    assert chunks == [1, 1, 1, 1]
    for a, b in zip(whole, split, strict=True):
        assert [c.token_ids for c in a] == [c.token_ids for c in b]
        for x, y in zip(a, b, strict=True):
            assert x.token_logprobs == pytest.approx(y.token_logprobs, abs=1e-4)


def test_the_estimate_grows_with_sequences_and_tokens(tiny):
    model, _ = tiny
    base = sampling_bytes(model, 1, 4, 20, 64)
    assert sampling_bytes(model, 1, 8, 20, 64) > base
    assert sampling_bytes(model, 1, 4, 20, 128) > base
    assert sampling_bytes(model, 2, 4, 20, 64) > base
    assert base > 4 * (20 + 64) * 2 * 2 * 2 * 8 * 4  # at least the KV cache (fp32, 2 layers, 2 kv heads)
