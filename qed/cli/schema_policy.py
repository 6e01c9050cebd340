"""Structured configs of the policy and of LoRA SFT (Hydra schema; defaults live here only).

``PolicyConfig`` says which policy search uses (``hf``: a model in-process; ``http``: an
OpenAI-compatible server such as vLLM, SGLang or ``qed serve``) and how it samples.
``SftConfig`` holds ``qed train sft``'s data, model, run directory and hyper-parameters
(mirrors ``qed.train.sft.SftSettings``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PolicyConfig:
    kind: str = "hf"  # scripted | hf | http (built in qed/cli/build.py)
    model: str = ""  # hf: model directory
    adapter: str = ""  # hf: optional LoRA adapter directory
    url: str = "http://127.0.0.1:8000"  # http: server base URL
    served_name: str = "qed"  # http: model name the server expects
    temperature: float = 1.3
    top_p: float = 1.0
    max_new_tokens: int = 64
    n: int = 16
    rank_by: str = "logprob"  # logprob | normalized
    device: str = "auto"
    dtype: str = "auto"
    timeout_s: float = 120.0
    retries: int = 3


@dataclass
class SftConfig:
    data: str = ""
    model: str = ""
    out: str = ""
    lora_r: int = 32
    lora_alpha: int = 64
    lora_dropout: float = 0.05
    target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    modules_to_save: list[str] = field(default_factory=list)
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 20
    batch_size: int = 16
    epochs: int = 1
    max_steps: int = 0
    max_len: int = 1024
    grad_clip: float = 1.0
    val_frac: float = 0.1
    seed: int = 0
    eval_every: int = 100
    save_every: int = 100
    eval_states: int = 64
    eval_n: int = 16
    eval_temperature: float = 1.0
    device: str = "auto"
