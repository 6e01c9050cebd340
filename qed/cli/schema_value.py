"""Structured config of the value model (``ebm.*`` keys): encoder, head, training, synthetic data.

Defaults live here only; ``qed/train/ebm.py`` and ``qed/value/ebm.py`` take plain values
built from these in ``qed/cli/ebm_cmd.py``. The head defaults are THE architecture
(LESSONS: one EBM architecture for every iteration); tests shrink it with overrides such
as ``ebm.head.hidden=[64,32] ebm.encoder.dim=64``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EbmEncoderConfig:
    """Which encoder embeds states and root goals.

    ``kind``: ``hashing`` (qed.value.hashing_encoder: a deterministic baseline/test encoder,
    not a model) or ``http`` (an OpenAI-compatible ``/v1/embeddings`` server such as ``qed serve``;
    set ``url`` and ``dim`` to the server's embedding width) or ``hf`` (``policy.model`` +
    ``policy.adapter`` in-process, mean-pooled last layer; ``dim`` is the model's).
    """

    kind: str = "hashing"
    dim: int = 256
    ngram: int = 3
    seed: int = 0
    url: str = ""
    model: str = "qed"


@dataclass
class EbmHeadConfig:
    hidden: list[int] = field(default_factory=lambda: [2048, 1024, 512])
    dropout: float = 0.15
    power_iterations: int = 5
    first_layer_scale: float = 0.1
    temperature_init: float = 1.0
    temperature_floor: float = 0.1
    temperature_ceiling: float = 10.0
    bound_tolerance: float = 0.02


@dataclass
class EbmTrainConfig:
    """Mirrors ``qed.train.ebm.EbmTrainSettings`` (see its docstring and docs/value.md)."""

    k_negatives: int = 7
    depth_window: int = 1
    hard_fraction: float = 0.25
    val_fraction: float = 0.2
    loss: str = "info_nce"
    margin: float = 1.0
    lr: float = 1e-4
    weight_decay: float = 0.01
    batch_groups: int = 32
    max_steps: int = 2000
    warmup_steps: int = 50
    log_every: int = 50
    eval_every: int = 100
    patience: int = 5
    grad_clip: float = 1.0
    seed: int = 0
    device: str = "cpu"
    encode_batch: int = 64
    threads: int = 0


@dataclass
class EbmSyntheticConfig:
    """Planted-signal trees (qed.data.synthetic) for ``qed train ebm --synthetic``."""

    theorems: int = 300
    failed_fraction: float = 0.3
    signal: float = 0.5
    branching: int = 3
    min_depth: int = 2
    max_depth: int = 6
    expand_prob: float = 0.5
    error_prob: float = 0.2
    seed: int = 0


@dataclass
class EbmConfig:
    """Where: ``run``/iter_<``iteration``>/ holds trajectories.parquet, embeddings/, ebm/, eval/.
    ``trajectories`` overrides the trajectory file's location."""

    run: str = "runs/ebm"
    iteration: int = 0
    trajectories: str = ""
    encoder: EbmEncoderConfig = field(default_factory=EbmEncoderConfig)
    head: EbmHeadConfig = field(default_factory=EbmHeadConfig)
    train: EbmTrainConfig = field(default_factory=EbmTrainConfig)
    synthetic: EbmSyntheticConfig = field(default_factory=EbmSyntheticConfig)
