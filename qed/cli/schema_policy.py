"""Structured configs of the policy and of LoRA SFT (Hydra schema; defaults live here only).

``PolicyConfig`` says which policy search uses (``hf``: a model in-process; ``http``: an
OpenAI-compatible server such as vLLM, SGLang or ``qed serve``) and how it samples.
``SftConfig`` holds ``qed train sft``'s data, model, run directory and hyper-parameters
(built from ``qed.train.settings.SftSettings``: its defaults are the only ones).
"""

from __future__ import annotations

from dataclasses import dataclass

from qed.cli.schema_from import section
from qed.train.settings import SftSettings


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


SftConfig = section(
    "SftConfig", SftSettings,
    extra=(("data", str, ""), ("model", str, ""), ("out", str, "")),
    doc="``qed train sft``: data, base model, run directory + ``qed.train.settings.SftSettings``.",
)
