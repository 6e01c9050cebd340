"""A language model that ranks a theorem's menu of tactics: teacher-forced scoring, no sampling.

Owns ``completion_logprobs`` (the log-probability a causal LM gives each of several
completions of one prompt, computed with one forward pass of the prompt whose KV cache is
shared by all completions) and ``LMMenuPolicy``, the ``qed.core.Policy`` that proposes a
theorem's menu (``qed.policy.menu``: the deep benchmark's rows carry one) ranked by the model.

Scoring contract: a tactic's score is the sum of the model's log-probabilities of the tokens of
``format_completion(tactic)`` followed by EOS, given ``format_query(query)``, exactly the
tokens SFT trains (``qed.train.sft_data.tokenize_pair``: prompt and completion tokenised
separately). ``Candidate.logprob`` is that sum and ``Candidate.n_tokens`` its token count, the
same contract as ``HFPolicy``'s sampled candidates, so best-first's priorities and the soft
values mean the same thing for both policies. Candidates are the menu's ``n`` best, best
first (ties by tactic text); the policy is deterministic.

Knows nothing about search, environments or training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qed.core import Candidate, Query
from qed.policy.prompt import format_completion, format_query


def completion_logprobs(model, tokenizer, prompt: str, completions: Sequence[str], *,
                        max_length: int | None = None) -> list[tuple[float, int]]:
    """``(sum of log-probs, token count)`` of each completion (plus EOS) after ``prompt``.

    The prompt is cut from the left to leave room for the longest completion within
    ``max_length`` (default: the model's context). Runs under ``torch.no_grad``; the model is
    used as it is (call ``model.eval()`` first for deterministic scores).
    """
    import torch

    if not completions:
        return []
    eos = tokenizer.eos_token_id
    comp = [list(tokenizer(c, add_special_tokens=False)["input_ids"]) + [eos] for c in completions]
    limit = max_length or getattr(getattr(model, "config", None), "max_position_embeddings", None) or 4096
    room = max(1, limit - max(len(c) for c in comp))
    ids = list(tokenizer(prompt, add_special_tokens=False)["input_ids"])[-room:]
    if not ids:
        raise ValueError("completion_logprobs needs a non-empty prompt")
    device = next(model.parameters()).device
    width = max(len(c) for c in comp)
    with torch.no_grad():
        head = model(input_ids=torch.tensor([ids], device=device), use_cache=True)
        first = torch.log_softmax(head.logits[0, -1].float(), dim=-1)
        scores = [float(first[c[0]]) for c in comp]
        if width > 1:
            cache = head.past_key_values
            batch = torch.full((len(comp), width - 1), tokenizer.pad_token_id or 0, dtype=torch.long)
            for i, c in enumerate(comp):
                batch[i, :len(c) - 1] = torch.tensor(c[:-1])
            if hasattr(cache, "batch_repeat_interleave"):
                cache.batch_repeat_interleave(len(comp))
                mask = torch.ones((len(comp), len(ids) + width - 1), dtype=torch.long)
                pos = torch.arange(len(ids), len(ids) + width - 1).unsqueeze(0).expand(len(comp), -1)
                out = model(input_ids=batch.to(device), attention_mask=mask.to(device),
                            position_ids=pos.to(device), cache=cache)
                logits = out.logits
            else:  # a cache that cannot be repeated: run prompt + completion in full
                full = torch.cat([torch.tensor([ids]).expand(len(comp), -1), batch], dim=1)
                logits = model(input_ids=full.to(device)).logits[:, len(ids):]
            logp = torch.log_softmax(logits.float(), dim=-1)
            for i, c in enumerate(comp):
                for j in range(1, len(c)):
                    scores[i] += float(logp[i, j - 1, c[j]])
    return [(s, len(c)) for s, c in zip(scores, comp, strict=True)]


class LMMenuPolicy:
    """Proposes the ``n`` tactics of the query theorem's menu that the model scores highest.

    ``menus`` maps ``Theorem.name`` to its tactics (duplicates dropped, order kept); a theorem
    without a menu is a ``KeyError`` naming it. Scores of a (theorem, state) are cached, so a
    search that meets a state again does not pay for it twice.
    """

    def __init__(self, model, tokenizer, menus: Mapping[str, Sequence[str]], *,
                 max_length: int | None = None):
        empty = [name for name, menu in menus.items() if not menu]
        if empty:
            raise ValueError(f"empty menus for {empty[:3]}")
        self.model = model
        self.tokenizer = tokenizer
        self.menus = {name: tuple(dict.fromkeys(menu)) for name, menu in menus.items()}
        self.max_length = max_length
        self._cache: dict[tuple[str, str], list[Candidate]] = {}

    def ranked(self, query: Query) -> list[Candidate]:
        """The whole menu of ``query``'s theorem, best first."""
        key = (query.theorem.name, query.state)
        hit = self._cache.get(key)
        if hit is None:
            if query.theorem.name not in self.menus:
                raise KeyError(f"LMMenuPolicy has no menu for theorem {query.theorem.name!r}")
            menu = self.menus[query.theorem.name]
            scored = completion_logprobs(self.model, self.tokenizer, format_query(query),
                                         [format_completion(t) for t in menu], max_length=self.max_length)
            hit = sorted((Candidate(t, lp, k) for t, (lp, k) in zip(menu, scored, strict=True)),
                         key=lambda c: (-c.logprob, c.tactic))
            self._cache[key] = hit
        return hit

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        return [self.ranked(q)[:n] for q in queries]
