"""Structured config of the Langevin track (``langevin.*`` keys; defaults live here only).

``qed langevin train`` (the image prototype) reads ``method``, ``data``, ``training`` and the
chosen method's block (``ebt``, ``cd`` or ``ired``); ``qed langevin tactics`` (the language
track) reads ``tactics``; ``qed prove policy=langevin`` loads what ``tactics`` trained from
``tactics.dir`` (default ``<out>/tactics``). On ``qed langevin ...`` command lines the
``langevin.`` prefix may be left out (``method=cd training.epochs=5 ebt.steps=20``).
A ``grad_clamp`` of 0 means no clamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LangevinTrainingConfig:
    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    width: int = 64  # CNN width
    test_fraction: float = 0.2
    sample_rows: int = 4  # rows of the sample grid (one column per class)


@dataclass
class EbtMethodConfig:
    """EBT: Langevin from uniform noise, MSE to the data, backprop through the last step."""

    steps: int = 50
    step_size: float = 10.0
    grad_clamp: float = 0.03
    noise: float = 0.005


@dataclass
class CdMethodConfig:
    """Contrastive divergence with short-run Langevin negatives from uniform noise."""

    steps: int = 50
    step_size: float = 10.0
    grad_clamp: float = 0.03
    noise: float = 0.005
    reg: float = 1.0


@dataclass
class IredMethodConfig:
    """IRED: the energy gradient predicts the noise at ``levels`` geometric noise levels."""

    levels: int = 10
    sigma_min: float = 0.02
    sigma_max: float = 1.0
    contrast: float = 0.5
    neg_scale: float = 1.0
    refine_steps: int = 1
    refine_step: float = 0.5


@dataclass
class LangevinTacticsConfig:
    """The language track: a (state, tactic) energy over hashing-encoder embeddings.

    Training pairs come from generated sandbox theorems (``theorems`` per difficulty, seed
    ``seed``) traced with ``check_proof``; held-out pairs from seed ``seed + 1000``.
    """

    method: str = "ebt"  # ebt | cd | ired
    theorems: int = 60
    test_theorems: int = 20
    difficulties: list[int] = field(default_factory=lambda: [1, 2, 3])
    seed: int = 0
    dim: int = 256
    width: int = 256
    train_steps: int = 400
    batch_size: int = 64
    lr: float = 1e-3
    langevin_steps: int = 20  # chain length while training (ebt, cd)
    step_size: float = 0.5
    noise: float = 0.01
    reg: float = 0.1  # cd
    ired_levels: int = 8
    ired_sigma_min: float = 0.05
    ired_sigma_max: float = 2.0
    # proposing (qed prove policy=langevin)
    chains: int = 16
    decode_k: int = 2
    max_steps: int = 100
    patience: int = 5
    tol: float = 0.001
    temperature: float = 1.0
    dir: str = ""  # a trained tactic energy; empty: <out>/tactics


@dataclass
class LangevinSection:
    method: str = "ebt"  # ebt | cd | ired
    data: str = "digits"  # digits | mnist
    mnist_dir: str = ""  # a directory with MNIST's four IDX files (data=mnist)
    mnist_limit: int = 0  # first N images of each split (0 = all)
    out: str = "runs/langevin"
    seed: int = 0
    training: LangevinTrainingConfig = field(default_factory=LangevinTrainingConfig)
    ebt: EbtMethodConfig = field(default_factory=EbtMethodConfig)
    cd: CdMethodConfig = field(default_factory=CdMethodConfig)
    ired: IredMethodConfig = field(default_factory=IredMethodConfig)
    tactics: LangevinTacticsConfig = field(default_factory=LangevinTacticsConfig)
