"""The settings of the training stages: one frozen dataclass per stage, the one home of each default.

``qed.cli.schema`` builds the ``sft.*``, ``ebm.train.*``, ``joint.*`` and ``joint.monitor.*``
config sections from these classes (``qed.cli.schema_from.section``), so a default lives here
and nowhere else. Pure data: importing this module loads neither torch nor numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class SftSettings:
    """Hyper-parameters of one SFT run (defaults: LESSONS, iteration 0: LoRA r = 32)."""

    lora_r: int = 32
    lora_alpha: int = 64
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = DEFAULT_TARGETS
    modules_to_save: tuple[str, ...] = ()
    lr: float = 2e-4
    weight_decay: float = 0.0
    warmup_steps: int = 20
    batch_size: int = 16
    epochs: int = 1
    max_steps: int = 0  # 0: epochs decide
    max_len: int = 1024
    grad_clip: float = 1.0
    val_frac: float = 0.1
    seed: int = 0
    eval_every: int = 100
    save_every: int = 100
    eval_states: int = 64  # validation states for exact match (0: skip)
    eval_n: int = 16
    eval_temperature: float = 1.0
    device: str = "auto"



@dataclass(frozen=True)
class EbmTrainSettings:
    """Training knobs of the decoupled EBM (``ebm.train.*`` in the config is built from this class)."""

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
    threads: int = 0  # torch CPU threads for this stage; 0 leaves torch's default



@dataclass(frozen=True)
class MonitorSettings:
    """Thresholds and cadence of the joint-training monitor (``joint.monitor.*``)."""

    temperature_every: int = 50
    probe_every: int = 200
    min_centroid_l2: float = 0.0  # absolute floor; 0 turns it off
    min_centroid_ratio: float = 0.5  # fraction of the first probe's centroid_l2; 0 turns it off
    min_effective_rank: float = 0.0  # absolute floor on the probe embeddings' effective rank; 0 = off
    min_rank_ratio: float = 0.0  # fraction of the first probe's effective rank; 0 = off
    max_sft_loss: float = 3.0
    sft_deadline: int = 1000  # step after which the SFT loss EMA must be <= max_sft_loss; 0 = off
    sft_ema: float = 0.98
    abort: bool = True



@dataclass(frozen=True)
class JointSettings:
    """Hyper-parameters (defaults: LESSONS' joint training: r = 64, lambda 0.1, 2e-5 / 3e-5)."""

    lora_r: int = 64
    lora_alpha: int = 128
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = DEFAULT_TARGETS
    lambda_nce: float = 0.1
    lr_lora: float = 2e-5
    lr_head: float = 3e-5
    weight_decay: float = 0.0
    warmup_steps: int = 50
    max_steps: int = 6000
    sft_batch: int = 8
    groups_per_step: int = 4
    k_negatives: int = 7
    depth_window: int = 1
    hard_fraction: float = 0.25
    val_frac: float = 0.2
    max_len: int = 1024
    text_max_len: int = 512
    layer: int = -1
    grad_clip: float = 1.0
    seed: int = 0
    eval_every: int = 200
    save_every: int = 200
    val_groups: int = 256  # validation groups scored per evaluation (0: all)
    eval_batch: int = 16
    probe_states: int = 256
    device: str = "auto"
    monitor: MonitorSettings = field(default_factory=MonitorSettings)


