"""In-process sampling: log-probs match a teacher-forced forward pass, stop strings, padding
invariance, ranking and merging of candidates, the Policy contract."""

from __future__ import annotations

import pytest
import torch

from qed.core import Policy, Query
from qed.policy.hf import Completion, HFPolicy, SamplingParams, generate, rank_candidates
from qed.policy.prompt import format_query


def _teacher_forced_logprobs(model, tok, prompt: str, ids: tuple[int, ...]) -> list[float]:
    p = tok(prompt, add_special_tokens=False)["input_ids"]
    x = torch.tensor([p + list(ids)])
    with torch.no_grad():
        logp = torch.log_softmax(model(x).logits[0].float(), dim=-1)
    return [float(logp[len(p) - 1 + i, t]) for i, t in enumerate(ids)]


def test_sampled_logprobs_equal_teacher_forced_logprobs(tiny, theorems):
    model, tok = tiny
    prompts = [format_query(Query(t, t.goal or "")) for t in theorems[:3]]
    out = generate(model, tok, prompts, SamplingParams(n=4, temperature=1.3, top_p=0.9, max_new_tokens=12,
                                                       seed=0))
    assert [len(c) for c in out] == [4, 4, 4]
    for prompt, comps in zip(prompts, out, strict=True):
        for c in comps:
            assert len(c.token_ids) == len(c.token_logprobs) == 12 and c.finish_reason == "length"
            want = _teacher_forced_logprobs(model, tok, prompt, c.token_ids)
            assert c.token_logprobs == pytest.approx(want, abs=2e-4)
            assert tok.decode(list(c.token_ids)) == c.text


def test_greedy_results_do_not_depend_on_batch_padding(tiny, theorems):
    model, tok = tiny
    prompts = ["theorem a : 1 = 1 := by", format_query(Query(theorems[0], theorems[0].goal or ""))]
    params = SamplingParams(n=1, temperature=0.0, max_new_tokens=10)
    together = generate(model, tok, prompts, params)
    alone = [generate(model, tok, [p], params)[0] for p in prompts]
    assert [c[0].token_ids for c in together] == [c[0].token_ids for c in alone]


def test_stop_string_cuts_text_and_counts_the_stopping_token(tiny):
    model, tok = tiny
    prompt = "theorem foo (x : ℝ) : x = x := by"
    free = generate(model, tok, [prompt], SamplingParams(temperature=0.0, max_new_tokens=10))[0][0]
    k = next(k for k in range(1, len(free.token_ids))
             if (s := tok.decode([free.token_ids[k]])).strip() and s.isprintable()
             and s not in tok.decode(list(free.token_ids[:k])))
    stop_tok = tok.decode([free.token_ids[k]])
    stopped = generate(model, tok, [prompt], SamplingParams(temperature=0.0, max_new_tokens=10,
                                                          stop=(stop_tok,)))[0][0]
    assert stopped.finish_reason == "stop"
    assert stop_tok not in stopped.text
    assert free.text.startswith(stopped.text)
    assert stopped.token_ids == free.token_ids[: len(stopped.token_ids)]
    assert len(stopped.token_ids) == k + 1  # the stop string is complete with token k, not before


def test_seed_makes_sampling_reproducible(tiny):
    model, tok = tiny
    params = SamplingParams(n=3, temperature=1.0, max_new_tokens=6, seed=7)
    a = generate(model, tok, ["⊢ x = 2"], params)
    b = generate(model, tok, ["⊢ x = 2"], params)
    assert a == b


def test_rank_merges_identical_tactics_and_sorts_best_first():
    comps = [
        Completion("linarith\n", (1, 2), (-1.0, -2.0), "stop"),
        Completion("  linarith", (1,), (-0.5,), "stop"),
        Completion("nlinarith  [sq_nonneg a]", (1, 2, 3, 4), (-0.1, -0.1, -0.1, -0.1), "stop"),
        Completion("\n\n", (5,), (-0.01,), "stop"),
    ]
    cands = rank_candidates(comps)
    assert [c.tactic for c in cands] == ["nlinarith [sq_nonneg a]", "linarith"]
    assert cands[1].logprob == pytest.approx(-0.5) and cands[1].n_tokens == 1
    by_norm = rank_candidates(comps, by="normalized")
    assert [c.tactic for c in by_norm] == ["nlinarith [sq_nonneg a]", "linarith"]
    assert by_norm[0].normalized_logprob == pytest.approx(-0.1)


def test_hf_policy_implements_policy_and_returns_distinct_sorted_candidates(tiny, theorems):
    model, tok = tiny
    policy = HFPolicy(model, tok, temperature=1.0, max_new_tokens=8, seed=0)
    assert isinstance(policy, Policy)
    queries = [Query(t, t.goal or "") for t in theorems[:2]]
    out = policy.propose(queries, 6)
    assert len(out) == 2
    for cands in out:
        assert 1 <= len(cands) <= 6
        assert len({c.tactic for c in cands}) == len(cands)
        assert [c.logprob for c in cands] == sorted((c.logprob for c in cands), reverse=True)
        assert all(c.logprob < 0 and c.n_tokens > 0 and c.tactic == c.tactic.strip() for c in cands)
    assert policy.propose([], 4) == []
