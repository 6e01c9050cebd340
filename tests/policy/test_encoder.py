"""Mean pooling over content tokens: right padding, no padding or EOS in the mean, layer choice."""

from __future__ import annotations

import numpy as np
import torch

from qed.core import Encoder
from qed.value.encoder import HFEncoder


def _manual(model, tok, text: str, layer: int = -1) -> np.ndarray:
    ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        hidden = model(ids, output_hidden_states=True).hidden_states[layer][0]
    return hidden.mean(dim=0).float().numpy()


def test_encode_is_the_mean_hidden_state_of_the_text_alone(tiny):
    model, tok = tiny
    enc = HFEncoder(model, tok, batch_size=4)
    assert isinstance(enc, Encoder)
    texts = ["⊢ x = 2", "x y : ℝ\nh₀ : x + y = 10\n⊢ x ≤ 10 ∧ y ≤ 10 ∨ x * y = 0 - 1", "a",
             "nlinarith [sq_nonneg (a - b)]", "h : 0 < n\n⊢ n % 5 = 3"]
    out = enc.encode(texts)
    assert out.shape == (5, model.config.hidden_size) and out.dtype == np.float32
    for i, t in enumerate(texts):  # padded batches (batch_size 4 -> two batches) equal unpadded singles
        np.testing.assert_allclose(out[i], _manual(model, tok, t), atol=1e-5)


def test_padding_and_eos_tokens_are_not_pooled(tiny):
    model, tok = tiny
    enc = HFEncoder(model, tok)
    short = enc.encode(["⊢ x = 2"])[0]
    with_long = enc.encode(["⊢ x = 2", "x : ℝ\nh₀ : 2 * x = 4\n" * 5 + "⊢ x = 2"])[0]
    np.testing.assert_allclose(short, with_long, atol=1e-5)
    with_eos = enc.encode(["⊢ x = 2" + tok.eos_token])[0]
    # the EOS token changes no content position (causal) and is left out of the mean
    np.testing.assert_allclose(short, with_eos, atol=1e-5)
    assert not np.allclose(short, _manual(model, tok, "⊢ x = 2" + tok.eos_token), atol=1e-4)


def test_layer_is_configurable(tiny):
    model, tok = tiny
    first = HFEncoder(model, tok, layer=0).encode(["⊢ x = 2"])[0]
    np.testing.assert_allclose(first, _manual(model, tok, "⊢ x = 2", layer=0), atol=1e-6)
    assert not np.allclose(first, HFEncoder(model, tok).encode(["⊢ x = 2"])[0])


def test_empty_inputs(tiny):
    model, tok = tiny
    enc = HFEncoder(model, tok)
    assert enc.encode([]).shape == (0, model.config.hidden_size)
    assert np.all(enc.encode([""])[0] == 0)
