"""Structured config of the value model (``ebm.*`` keys): encoder, head, training, synthetic data.

The head, training and synthetic sections are built from the library's classes
(``HeadConfig``, ``EbmTrainSettings``, ``SyntheticSpec``), whose defaults are the only ones.
The head defaults are THE architecture
(LESSONS: one EBM architecture for every iteration); tests shrink it with overrides such
as ``ebm.head.hidden=[64,32] ebm.encoder.dim=64``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qed.cli.schema_from import section
from qed.data.synthetic import SyntheticSpec
from qed.train.settings import EbmTrainSettings
from qed.value.settings import HeadConfig


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


EbmHeadConfig = section("EbmHeadConfig", HeadConfig, exclude=("dim",),
                        doc="``qed.value.settings.HeadConfig`` without ``dim`` (the encoder's width).")
EbmTrainConfig = section("EbmTrainConfig", EbmTrainSettings,
                         doc="``qed.train.settings.EbmTrainSettings`` (docs/value.md).")
EbmSyntheticConfig = section("EbmSyntheticConfig", SyntheticSpec,
                             doc="Planted-signal trees (``qed.data.synthetic.SyntheticSpec``) for "
                                 "``qed train ebm --synthetic``.")


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
