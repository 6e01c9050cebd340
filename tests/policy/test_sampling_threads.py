"""Step-wise log-prob recording (hooks on the model) stays exact when two threads sample from the
same model at once: each call counts only its own forward passes."""

from __future__ import annotations

import threading

import pytest

from qed.policy.hf import SamplingParams, generate


def test_concurrent_generate_calls_on_one_model_match_sequential_ones(tiny):
    model, tok = tiny
    prompts = [["⊢ x = 2", "theorem t : 1 = 1 := by"], ["h : 0 < n\n⊢ n ≠ 0"]]
    params = SamplingParams(n=2, temperature=0.0, max_new_tokens=10)
    alone = [generate(model, tok, p, params) for p in prompts]
    together: list = [None, None]
    start = threading.Barrier(2)

    def run(i: int) -> None:
        start.wait(timeout=60)
        for _ in range(3):
            together[i] = generate(model, tok, prompts[i], params)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for want, got in zip(alone, together, strict=True):
        for w_comps, g_comps in zip(want, got, strict=True):
            for w, g in zip(w_comps, g_comps, strict=True):
                assert g.token_ids == w.token_ids
                assert g.token_logprobs == pytest.approx(w.token_logprobs, abs=1e-5)
