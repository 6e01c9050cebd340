"""Embeddings from the shared backbone: mean-pooled hidden states of an in-process model.

Owns the pooling contract (LESSONS pitfall 4): texts are tokenized without added special
tokens, padded on the RIGHT, run in batches; the hidden states of one layer (``layer``,
Python-style index into ``hidden_states``: ``-1`` is the last, ``0`` the embeddings) are
averaged over content tokens only, i.e. attention-mask positions that are not special
tokens (no padding, no EOS/BOS). Texts are batched shortest first (little padding computed);
output is float32, one row per text, in input order. A
text with no content tokens (``""``) embeds to zeros.

``pool`` is the pure function the training code (joint SFT + contrastive) reuses on its own
forward passes. The HTTP twin is ``qed.value.http_encoder.HttpEncoder``.

Knows nothing about prompts, policies, energies or servers; takes an already loaded
model and tokenizer (loading lives with the caller).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence


def pool(hidden, content_mask):
    """Mean of ``hidden`` (batch, seq, dim) over positions where ``content_mask`` is 1; float32."""
    mask = content_mask.to(hidden.dtype).unsqueeze(-1)
    total = (hidden * mask).sum(dim=1).float()
    count = mask.sum(dim=1).float().clamp(min=1.0)
    return total / count


def _skip_logits(model) -> dict:
    """``{"logits_to_keep": 1}`` when the model's forward takes it, else ``{}``.

    Embeddings read hidden states only; without this the output head would compute a
    vocabulary-sized row for every token of the batch (batch x length x ~150k floats on a real
    vocabulary), the largest allocation of the call, for nothing.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    try:
        params = inspect.signature(type(base).forward).parameters
    except (TypeError, ValueError):
        return {}
    return {"logits_to_keep": 1} if "logits_to_keep" in params else {}


def content_mask(tokenizer, input_ids, attention_mask):
    """``attention_mask`` with special-token positions (EOS, BOS, PAD) zeroed."""
    import torch

    special = torch.tensor(sorted(set(tokenizer.all_special_ids)), dtype=input_ids.dtype,
                           device=input_ids.device)
    is_special = torch.isin(input_ids, special)
    return attention_mask * (~is_special).to(attention_mask.dtype)


class HFEncoder:
    """``qed.core.Encoder`` over an in-process causal LM (or a PEFT-wrapped one).

    ``encode(texts)`` returns a ``numpy.ndarray`` of shape ``(len(texts), hidden_size)``,
    float32. Texts longer than ``max_length`` tokens keep their first ``max_length``. Batches hold
    at most ``batch_size`` texts and ``max_batch_tokens`` padded tokens.
    """

    def __init__(self, model, tokenizer, *, layer: int = -1, batch_size: int = 32, max_length: int = 1024,
                 max_batch_tokens: int = 4096):
        self.model = model
        self.tokenizer = tokenizer
        self.layer = layer
        self.batch_size = batch_size
        self.max_length = max_length
        self.max_batch_tokens = max_batch_tokens

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices shortest first, each batch within ``batch_size`` texts and ``max_batch_tokens`` padded."""
        batches: list[list[int]] = []
        cur: list[int] = []
        for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
            width = min(lengths[i], self.max_length)
            if cur and (len(cur) >= self.batch_size or (len(cur) + 1) * width > self.max_batch_tokens):
                batches.append(cur)
                cur = []
            cur.append(i)
        return batches + [cur] if cur else batches

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size if hasattr(self.model.config, "hidden_size")
                   else self.model.get_base_model().config.hidden_size)

    def encode_tensor(self, texts: Sequence[str]):
        """Like ``encode`` but a float32 CPU ``torch.Tensor``."""
        import torch

        if not texts:
            return torch.zeros((0, self.dim), dtype=torch.float32)
        rows, order = [], []
        device = next(self.model.parameters()).device
        lengths = [len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]
        for members in self._batches(lengths):
            order.extend(members)
            batch = [texts[i] for i in members]
            enc = self.tokenizer(batch, add_special_tokens=False, padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt", padding_side="right")
            ids = enc["input_ids"].to(device)
            attn = enc["attention_mask"].to(device)
            if ids.shape[1] == 0:  # only empty texts in this batch
                rows.append(torch.zeros((len(batch), self.dim), dtype=torch.float32))
                continue
            with torch.inference_mode():
                out = self.model(input_ids=ids, attention_mask=attn, output_hidden_states=True,
                                 use_cache=False, **_skip_logits(self.model))
            rows.append(pool(out.hidden_states[self.layer], content_mask(self.tokenizer, ids, attn)).cpu())
        out = torch.empty((len(texts), rows[0].shape[1]), dtype=torch.float32)
        out[torch.tensor(order)] = torch.cat(rows, dim=0)
        return out

    def encode(self, texts: Sequence[str]):
        return self.encode_tensor(texts).numpy()
