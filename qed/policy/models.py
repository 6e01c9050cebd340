"""Local causal language models: create tiny ones from scratch, load any from a directory.

Owns: training a byte-level BPE tokenizer on a text corpus (``tokenizers``), building a
Qwen2-style causal LM of a named size (``transformers`` ``Qwen2Config``), saving both in
Hugging Face format, and loading a model directory (optionally with a LoRA adapter) for
inference. A real checkpoint (DeepSeek-Prover-V2-7B, any HF causal LM) loads through the
same ``load_model``. Never touches the network: loading is ``local_files_only``.

Knows nothing about prompts, policies or the CLI; the corpus is plain strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EOS = "<|endoftext|>"
PAD = "<|pad|>"

HOW_TO_GET = (
    "create a local one with `qed model init --size tiny --out DIR`, or download a Hugging Face "
    "checkpoint (e.g. `huggingface-cli download deepseek-ai/DeepSeek-Prover-V2-7B --local-dir DIR`) "
    "on a machine with network access and pass that DIR (see docs/models.md)"
)


class ModelNotFound(FileNotFoundError):
    """A model or adapter directory that is missing or incomplete; the message says how to get one."""


@dataclass(frozen=True)
class ModelSize:
    """Architecture of a from-scratch model (Qwen2 layout: RMSNorm, RoPE, SwiGLU, GQA)."""

    vocab_size: int
    hidden_size: int
    layers: int
    heads: int
    kv_heads: int
    intermediate_size: int
    max_positions: int


SIZES: dict[str, ModelSize] = {
    "tiny": ModelSize(vocab_size=1000, hidden_size=64, layers=2, heads=4, kv_heads=2,
                      intermediate_size=192, max_positions=1024),
    "mini": ModelSize(vocab_size=2000, hidden_size=128, layers=4, heads=4, kv_heads=2,
                      intermediate_size=384, max_positions=1024),
    "small": ModelSize(vocab_size=4000, hidden_size=256, layers=4, heads=8, kv_heads=4,
                       intermediate_size=768, max_positions=2048),
}


def train_tokenizer(corpus: Iterable[str], vocab_size: int, *, max_length: int = 1024):
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained on ``corpus``.

    Byte-level, so every string (``⊢``, ``ℝ``, subscripts) round-trips exactly. No BOS, no
    tokens added on encode; ``<|endoftext|>`` is EOS, ``<|pad|>`` pads (right side).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS, PAD],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(corpus), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=EOS,
        pad_token=PAD,
        padding_side="right",
        model_max_length=max_length,
        clean_up_tokenization_spaces=False,
    )


def init_model(size: str | ModelSize, tokenizer, *, seed: int = 0):
    """A randomly initialised Qwen2ForCausalLM sized ``size`` for ``tokenizer`` (float32)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    spec = SIZES[size] if isinstance(size, str) else size
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.kv_heads,
        max_position_embeddings=spec.max_positions,
        tie_word_embeddings=True,
        # 1/sqrt(width), not the 0.02 tuned for wide models: with 0.02 a narrow model's tied output
        # layer can only produce logits of about +-1, and LoRA on top of it cannot learn.
        initializer_range=spec.hidden_size ** -0.5,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        use_cache=True,
    )
    torch.manual_seed(seed)
    return Qwen2ForCausalLM(config)


def create_model(size: str | ModelSize, corpus: Iterable[str], out: Path, *, seed: int = 0):
    """A fresh model of ``size`` with a tokenizer trained on ``corpus``, saved at ``out``; the model."""
    spec = SIZES[size] if isinstance(size, str) else size
    tok = train_tokenizer(corpus, spec.vocab_size, max_length=spec.max_positions)
    model = init_model(spec, tok, seed=seed)
    save_model(model, tok, out)
    return model, tok


def save_model(model, tokenizer, out: Path) -> None:
    """Write ``model`` (safetensors) and ``tokenizer`` to ``out`` in Hugging Face format."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def check_model_dir(path: Path) -> Path:
    """``path`` if it holds a config and tokenizer, else ``ModelNotFound`` saying how to get one."""
    path = Path(path)
    if not path.is_dir():
        raise ModelNotFound(f"model directory {path} does not exist: {HOW_TO_GET}")
    if not (path / "config.json").exists():
        raise ModelNotFound(f"{path} is not a Hugging Face model directory (no config.json): {HOW_TO_GET}")
    if not any((path / f).exists() for f in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")):
        raise ModelNotFound(f"{path} has no tokenizer files (tokenizer.json): {HOW_TO_GET}")
    return path


def check_adapter_dir(path: Path) -> Path:
    """``path`` if it holds a PEFT adapter, else ``ModelNotFound``."""
    path = Path(path)
    if not (path / "adapter_config.json").exists():
        raise ModelNotFound(
            f"{path} is not a LoRA adapter directory (no adapter_config.json): adapters are written by "
            "`qed train sft` into RUN_DIR/adapter"
        )
    return path


def load_tokenizer(path: Path):
    """The tokenizer saved in ``path``, set up for batching (pad token, right padding).

    A tokenizer saved by ``save_model`` (a plain ``tokenizers`` backend) is loaded as exactly
    that: ``AutoTokenizer`` would pick the class of the model type (Qwen2's) and rebuild its
    pre-tokenizer, silently changing how text is split.
    """
    import json

    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    path = check_model_dir(path)
    config = path / "tokenizer_config.json"
    cls = json.loads(config.read_text()).get("tokenizer_class") if config.exists() else None
    if cls in ("TokenizersBackend", "PreTrainedTokenizerFast"):
        tok = PreTrainedTokenizerFast.from_pretrained(path, local_files_only=True)
    else:
        tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "right"
    return tok


def resolve_dtype(dtype: str):
    """``"auto"`` (bfloat16 on CUDA, else float32), ``"float32"``, ``"bfloat16"`` or ``"float16"``."""
    import torch

    if dtype == "auto":
        return torch.bfloat16 if torch.cuda.is_available() else torch.float32
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    except KeyError:
        raise ValueError(f"unknown dtype {dtype!r}: use auto, float32, bfloat16 or float16") from None


def resolve_device(device: str) -> str:
    """``"auto"`` picks ``cuda`` when available, else ``cpu``; anything else is used as given."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def load_model(path: Path, *, adapter: Path | None = None, device: str = "auto", dtype: str = "auto"):
    """(model, tokenizer) from a local directory, in eval mode on ``device``.

    With ``adapter`` the LoRA weights are applied (kept separate, not merged). Raises
    ``ModelNotFound`` for a missing or incomplete directory.
    """
    from transformers import AutoModelForCausalLM

    path = check_model_dir(path)
    tok = load_tokenizer(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=resolve_dtype(dtype), local_files_only=True)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, check_adapter_dir(adapter))
    model.to(resolve_device(device))
    model.eval()
    return model, tok


def merge_adapter(model_dir: Path, adapter: Path, out: Path) -> Path:
    """Fold a LoRA ``adapter`` into the base model at ``model_dir``; write a plain model to ``out``."""
    model, tok = load_model(model_dir, adapter=adapter, device="cpu", dtype="float32")
    merged = model.merge_and_unload()
    save_model(merged, tok, out)
    return out
