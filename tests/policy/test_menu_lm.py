"""LMMenuPolicy: teacher-forced scores of menu tactics equal the model's log-probabilities of the
SFT completion tokens, and the policy proposes the menu best first."""

from __future__ import annotations

import pytest
import torch

from qed.core import Query, Theorem
from qed.policy.menu_lm import LMMenuPolicy, completion_logprobs
from qed.policy.prompt import format_completion, format_query

THM = Theorem("t", "theorem t (x : ℝ) (h₀ : 2 * x = 4) : x = 2 := by")
MENU = ["linarith", "norm_num", "nlinarith [sq_nonneg (a - b)]", "rw [h₀] at h₀", "linarith"]


def _reference(model, tok, prompt: str, completion: str) -> tuple[float, int]:
    """Log-probability of completion + EOS from one plain forward pass over the whole sequence."""
    p = tok(prompt, add_special_tokens=False)["input_ids"]
    c = tok(completion, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=torch.tensor([p + c])).logits[0].float(), dim=-1)
    return sum(float(logp[len(p) - 1 + j, c[j]]) for j in range(len(c))), len(c)


def test_scores_equal_the_log_probability_of_each_whole_sequence(tiny):
    model, tok = tiny
    prompt = format_query(Query(THM, "x : ℝ\nh₀ : 2 * x = 4\n⊢ x = 2"))
    comps = [format_completion(t) for t in dict.fromkeys(MENU)]
    got = completion_logprobs(model, tok, prompt, comps)
    for comp, (score, n) in zip(comps, got, strict=True):
        ref, k = _reference(model, tok, prompt, comp)
        assert n == k and score == pytest.approx(ref, abs=1e-3)
    assert len({round(s, 4) for s, _ in got}) == len(comps)  # a random model still tells them apart


def test_the_policy_proposes_the_menu_best_first_and_refuses_unknown_theorems(tiny):
    model, tok = tiny
    policy = LMMenuPolicy(model, tok, {"t": MENU})
    q = Query(THM, "x : ℝ\nh₀ : 2 * x = 4\n⊢ x = 2")
    ranked = policy.ranked(q)
    assert sorted(c.tactic for c in ranked) == sorted(set(MENU))  # duplicates dropped
    assert [c.logprob for c in ranked] == sorted((c.logprob for c in ranked), reverse=True)
    assert all(c.n_tokens > 1 and c.logprob < 0 for c in ranked)
    [top2] = policy.propose([q], 2)
    assert top2 == ranked[:2] and policy.propose([q], 2) == [top2]
    with pytest.raises(KeyError, match="no menu for theorem 'other'"):
        policy.propose([Query(Theorem("other", THM.statement), q.state)], 1)
    with pytest.raises(ValueError, match="empty menus"):
        LMMenuPolicy(model, tok, {"t": []})
