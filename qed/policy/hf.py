"""In-process sampling from a Hugging Face causal LM, and the ``HFPolicy`` built on it.

Owns: batched sampling of ``n`` completions per prompt (temperature, top-p, max new
tokens, stop strings), per-token log-probabilities, and turning completions into ranked,
de-duplicated ``Candidate`` tactics. ``generate`` serves raw prompts (the server uses it);
``HFPolicy`` adds the prompt format of ``qed.policy.prompt``.

Log-probability contract: a completion's ``token_logprobs`` are the model's raw
log-probabilities (temperature 1, before top-p) of the sampled tokens, up to and including
the token that completed the stop string (or EOS); ``Candidate.logprob`` is their sum and
``Candidate.n_tokens`` their count. Identical tactics (after ``normalize_tactic``) are merged,
keeping the most probable; candidates are sorted best first.

Memory contract: sampling keeps only what it returns. The log-probability of each sampled
token is taken step by step (one vocabulary-sized row per sequence alive at a time, never the
logits of every step), and the KV cache is dropped as soon as a chunk is decoded.
``sampling_bytes`` estimates the peak a call adds, so callers (the server) can refuse or split
what would not fit; ``generate(max_batch_bytes=...)`` keeps each chunk within such a budget.

Knows nothing about environments, search, the EBM or HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from qed.core import Candidate, Query
from qed.policy.prompt import STOP, format_query, parse_completion


@dataclass(frozen=True)
class Completion:
    """One sampled continuation: text before the stop string, its tokens and their log-probs.

    ``finish_reason`` is ``"stop"`` (stop string or EOS) or ``"length"`` (max new tokens).
    """

    text: str
    token_ids: tuple[int, ...]
    token_logprobs: tuple[float, ...]
    finish_reason: str

    @property
    def logprob(self) -> float:
        return float(sum(self.token_logprobs))


GREEDY_BELOW = 1e-5


@dataclass(frozen=True)
class SamplingParams:
    """How to sample: ``temperature`` 0 means greedy; ``seed`` fixes torch's RNG for the call.

    A temperature below ``GREEDY_BELOW`` is greedy too (its limit): dividing float32 logits by
    less can overflow to infinity, and sampling from that is undefined.
    """

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 64
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")


def _left_pad(rows: list[list[int]], pad_id: int):
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
        mask[i, width - len(r):] = 1
    return ids, mask


def _cut(tokenizer, ids: list[int], logprobs: list[float], stop: Sequence[str], eos: int | None,
         max_new: int) -> Completion:
    """Trim one generated row at EOS / the first stop string (stop text excluded)."""
    end = len(ids)
    finish = "length"
    if eos is not None and eos in ids:
        end = ids.index(eos) + 1
        finish = "stop"
    body = ids[:end] if finish == "length" else ids[: end - 1]
    text = tokenizer.decode(body, skip_special_tokens=True)
    hits = [text.find(s) for s in stop if s and text.find(s) >= 0]
    if hits:
        cut = min(hits)
        stop_len = next(len(s) for s in stop if s and text.find(s) == cut)
        need = cut + stop_len
        k = 1
        while k < len(body) and len(tokenizer.decode(body[:k], skip_special_tokens=True)) < need:
            k += 1
        end, text, finish = k, text[:cut], "stop"
    elif finish == "length" and len(ids) < max_new:
        finish = "stop"  # the row ended early only because others in the batch ran on (padding)
    return Completion(text, tuple(ids[:end]), tuple(logprobs[:end]), finish)


def _model_config(model):
    config = getattr(model, "config", None)
    if config is None or not hasattr(config, "num_hidden_layers"):
        config = model.get_base_model().config  # PEFT-wrapped
    return config


def sampling_bytes(model, prompts: int, n: int, prompt_tokens: int, new_tokens: int) -> int:
    """Estimated peak bytes one ``generate`` chunk adds: ``prompts`` prompts of ``prompt_tokens``
    (padded) tokens, ``n`` samples each, up to ``new_tokens`` new tokens.

    Counts the KV cache of every sequence (keys and values, every layer, in the model's dtype),
    the per-token bookkeeping (ids, mask, log-probs), eight vocabulary-sized float32 rows per
    sequence for one decoding step (logits, log-softmax, sampling probabilities, top-p sort),
    and one layer's activations of the prompt pass (run once per prompt). Deliberately
    conservative; it is a budget, not a measurement.
    """
    cfg = _model_config(model)
    heads = int(cfg.num_attention_heads)
    kv_heads = int(getattr(cfg, "num_key_value_heads", None) or heads)
    head_dim = int(getattr(cfg, "head_dim", None) or cfg.hidden_size // heads)
    elem = next(model.parameters()).element_size()
    per_token = 2 * int(cfg.num_hidden_layers) * kv_heads * head_dim * elem + 24
    step = 8 * int(cfg.vocab_size) * 4
    width = 8 * int(cfg.hidden_size) + 4 * int(getattr(cfg, "intermediate_size", 0) or 0)
    prefill = prompts * prompt_tokens * (width * 4 + heads * prompt_tokens * 4)
    rows = prompts * n
    return rows * ((prompt_tokens + new_tokens) * per_token + step) + prefill


def _chunks(lengths: list[int], per_row: int, max_sequences: int, max_tokens: int,
            fits=None) -> list[list[int]]:
    """Prompt indices grouped shortest first, each group within the sequence and padded-token budgets
    (and ``fits(n_prompts, width)``, when given)."""
    chunks: list[list[int]] = []
    cur: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        rows = (len(cur) + 1) * per_row
        if cur and (rows > max_sequences or rows * lengths[i] > max_tokens
                    or (fits is not None and not fits(len(cur) + 1, lengths[i]))):
            chunks.append(cur)
            cur = []
        cur.append(i)
    return chunks + [cur] if cur else chunks


class _StepLogprobs:
    """The raw log-probability of each sampled token, taken one decoding step at a time.

    Two hooks around ``model.generate``: the output head's forward hook keeps the log-softmax
    of the newest position's raw logits (one row per sequence, replaced every step); the input
    embedding's pre-hook sees the token sampled from it (the next step's input) and keeps only
    that token's log-probability. Memory: one vocabulary-sized row per sequence plus one float
    per sequence and step, instead of the full logits of every step. Hooks fire for every
    forward pass of the model, so only those in the thread that made the recorder count (another
    thread may be using the same model meanwhile).
    """

    def __init__(self, model):
        self.thread = threading.get_ident()
        self.pending = None  # (rows, vocab) log-softmax of the last step's raw logits
        self.taken: list = []  # one (rows,) tensor per step: the sampled tokens' log-probs
        head, embed = model.get_output_embeddings(), model.get_input_embeddings()
        if head is None or embed is None:
            raise ValueError("sampling needs a model with input and output embeddings")
        self._handles = [
            head.register_forward_hook(self._after_head),
            embed.register_forward_pre_hook(self._before_embed, with_kwargs=True),
        ]

    def _after_head(self, _module, _args, output) -> None:
        import torch

        if threading.get_ident() != self.thread:
            return
        self.pending = torch.log_softmax(output[:, -1].float(), dim=-1)

    def _before_embed(self, _module, args, kwargs) -> None:
        if self.pending is None or threading.get_ident() != self.thread:
            return
        ids = args[0] if args else kwargs["input"]
        self.taken.append(self.pending.gather(-1, ids[:, -1:]).squeeze(-1))
        self.pending = None

    def close(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def for_tokens(self, new):
        """(rows, steps) log-probs of ``new`` (rows, steps), the generated ids."""
        import torch

        steps = new.shape[1]
        cols = self.taken[:steps]
        if len(cols) < steps and self.pending is not None:  # the last token: no step fed it back
            cols.append(self.pending.gather(-1, new[:, len(cols):len(cols) + 1]).squeeze(-1))
        self.pending, self.taken = None, []
        if len(cols) != steps:
            raise RuntimeError(f"recorded {len(cols)} log-prob steps for {steps} generated tokens")
        if not cols:
            return torch.zeros((new.shape[0], 0))
        return torch.stack(cols, dim=1)


def _shared_prefix_cache(model, ids, mask, copies: int):
    """The KV cache of every prompt but its last token, computed once and repeated ``copies`` times.

    ``generate`` would otherwise run the prompt's forward pass once per sample. Positions follow
    the left padding exactly as ``generate`` computes them. ``None`` when there is nothing to
    share (one copy, one-token prompts) or the cache type cannot be repeated.
    """
    if copies <= 1 or ids.shape[1] < 2:
        return None
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    out = model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=pos[:, :-1], use_cache=True)
    cache = out.past_key_values
    if not hasattr(cache, "batch_repeat_interleave"):
        return None
    cache.batch_repeat_interleave(copies)
    return cache


def context_length(model, max_length: int | None = None) -> int:
    """The longest sequence (prompt + completion) ``generate`` lets the model see."""
    return max_length or getattr(_model_config(model), "max_position_embeddings", None) or 4096


def encode_prompt(tokenizer, prompt: str | Sequence[int], keep: int) -> list[int]:
    """Token ids of ``prompt`` (no special tokens), keeping its last ``keep``; ids pass through."""
    if isinstance(prompt, str):
        return tokenizer(prompt, add_special_tokens=False)["input_ids"][-keep:]
    return list(prompt)[-keep:]


def generate(model, tokenizer, prompts: Sequence[str | Sequence[int]], params: SamplingParams, *,
             max_batch_sequences: int = 256, max_batch_tokens: int = 16384,
             max_length: int | None = None, max_batch_bytes: int | None = None) -> list[list[Completion]]:
    """``params.n`` completions for each prompt, in prompt order.

    Prompts (text, or token ids already encoded) are tokenized without special tokens, sorted
    by length (so little padding is computed), left-padded, and run in chunks of at most
    ``max_batch_sequences`` sequences (prompts x n), ``max_batch_tokens`` padded prompt tokens
    and ``max_batch_bytes`` estimated bytes (``sampling_bytes``); a single prompt may exceed
    the latter two. A prompt longer than ``max_length - max_new_tokens`` tokens keeps its end
    (where the state and the closing fence are).
    """
    import torch

    if not prompts:
        return []
    keep = max(1, context_length(model, max_length) - params.max_new_tokens)
    encoded = [encode_prompt(tokenizer, p, keep) for p in prompts]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    sample = params.temperature >= GREEDY_BELOW
    n_gen = params.n if sample else 1  # greedy: one decode, repeated n times
    device = next(model.parameters()).device
    kwargs = dict(
        max_new_tokens=params.max_new_tokens,
        do_sample=sample,
        num_return_sequences=n_gen,
        pad_token_id=pad_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    if sample:
        kwargs.update(temperature=params.temperature, top_p=params.top_p, top_k=0)
    else:
        kwargs.update(temperature=None, top_p=None, top_k=None)
    if params.stop:
        kwargs.update(stop_strings=list(params.stop), tokenizer=tokenizer)
    if params.seed is not None:
        torch.manual_seed(params.seed)
    fits = None
    if max_batch_bytes is not None:
        def fits(n_prompts: int, width: int) -> bool:
            return sampling_bytes(model, n_prompts, n_gen, width, params.max_new_tokens) <= max_batch_bytes
    out: list[list[Completion]] = [[] for _ in encoded]
    for members in _chunks([len(e) for e in encoded], n_gen, max_batch_sequences, max_batch_tokens, fits):
        chunk = [encoded[i] for i in members]
        ids, mask = _left_pad(chunk, pad_id)
        ids, mask = ids.to(device), mask.to(device)
        recorder = None
        try:
            with torch.inference_mode():
                cache = _shared_prefix_cache(model, ids, mask, n_gen)
                recorder = _StepLogprobs(model)
                if cache is not None:
                    ids, mask = ids.repeat_interleave(n_gen, 0), mask.repeat_interleave(n_gen, 0)
                    sequences = model.generate(input_ids=ids, attention_mask=mask, past_key_values=cache,
                                               **{**kwargs, "num_return_sequences": 1})
                else:
                    sequences = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
                del cache  # the grown KV cache: nothing of it is returned
                new = sequences[:, ids.shape[1]:]
                logprobs = recorder.for_tokens(new).cpu().tolist()
        finally:
            if recorder is not None:
                recorder.close()
        new_ids = new.cpu().tolist()
        del sequences, new, ids, mask
        for i, index in enumerate(members):
            rows = [r for r in range(i * n_gen, (i + 1) * n_gen) for _ in range(params.n // n_gen)]
            out[index] = [_cut(tokenizer, new_ids[r], logprobs[r], params.stop, tokenizer.eos_token_id,
                               params.max_new_tokens) for r in rows]
    return out


def rank_candidates(completions: Sequence[Completion] | Sequence[tuple[str, float, int]], *,
                    by: str = "logprob") -> list[Candidate]:
    """Completions -> tactics: parse, drop empty, merge identical (keep the most probable), sort.

    ``by``: ``"logprob"`` (sum) or ``"normalized"`` (per token). Accepts ``Completion``
    objects or ``(text, logprob, n_tokens)`` triples (the HTTP client's form).
    """
    if by not in ("logprob", "normalized"):
        raise ValueError(f"rank by 'logprob' or 'normalized', not {by!r}")
    best: dict[str, Candidate] = {}
    for c in completions:
        text, lp, n = (c.text, c.logprob, len(c.token_ids)) if isinstance(c, Completion) else c
        tactic = parse_completion(text)
        if not tactic:
            continue
        cand = Candidate(tactic, float(lp), int(n))
        old = best.get(tactic)
        if old is None or cand.logprob > old.logprob:
            best[tactic] = cand
    key = (lambda c: c.logprob) if by == "logprob" else (lambda c: c.normalized_logprob)
    return sorted(best.values(), key=lambda c: (-key(c), c.tactic))


class HFPolicy:
    """``qed.core.Policy`` over an in-process model: prompt, sample, parse, rank.

    ``propose(queries, n)`` samples ``n`` completions per query in one batched call and
    returns at most ``n`` distinct candidates per query, best first (fewer when samples
    repeat or are empty).
    """

    def __init__(self, model, tokenizer, *, temperature: float = 1.0, top_p: float = 1.0,
                 max_new_tokens: int = 64, rank_by: str = "logprob", max_batch_sequences: int = 256,
                 max_batch_tokens: int = 16384, seed: int | None = None):
        self.model = model
        self.tokenizer = tokenizer
        self.temperature = temperature
        self.top_p = top_p
        self.max_new_tokens = max_new_tokens
        self.rank_by = rank_by
        self.max_batch_sequences = max_batch_sequences
        self.max_batch_tokens = max_batch_tokens
        self.seed = seed

    def propose(self, queries: Sequence[Query], n: int) -> list[list[Candidate]]:
        if not queries:
            return []
        params = SamplingParams(n=n, temperature=self.temperature, top_p=self.top_p,
                                max_new_tokens=self.max_new_tokens, stop=STOP, seed=self.seed)
        prompts = [format_query(q) for q in queries]
        samples = generate(self.model, self.tokenizer, prompts, params,
                           max_batch_sequences=self.max_batch_sequences,
                           max_batch_tokens=self.max_batch_tokens)
        return [rank_candidates(s, by=self.rank_by) for s in samples]
