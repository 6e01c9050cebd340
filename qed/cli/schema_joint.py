"""Structured config of joint training (``joint.*`` keys; defaults live here only).

``JointConfig`` mirrors ``qed.train.joint.JointSettings`` plus the run's inputs (base model,
SFT pairs, trajectories, run directory); ``JointMonitorConfig`` mirrors
``qed.train.monitor.MonitorSettings`` (every abort threshold of the run); ``JointCompareConfig``
sets the decoupled EBM training ``qed train joint-compare`` uses to measure rank-1 on each
arm's frozen encoder. The energy head's shape and temperature bounds come from ``ebm.head``:
one EBM architecture everywhere (LESSONS: settled decision 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class JointMonitorConfig:
    temperature_every: int = 50  # log the head's temperature (abort at its floor or ceiling)
    probe_every: int = 200  # separation probe: centroid_l2 + linear probe on fixed states
    min_centroid_l2: float = 0.0  # abort below this absolute centroid_l2 (0: off; 7B red line 3.0)
    min_centroid_ratio: float = 0.5  # abort below this fraction of the first probe's centroid_l2 (0: off)
    max_sft_loss: float = 3.0  # abort if the SFT loss EMA is above this ...
    sft_deadline: int = 1000  # ... at this step (0: off)
    sft_ema: float = 0.98
    abort: bool = True  # false: alarms are logged, the run goes on


@dataclass
class JointCompareConfig:
    """``qed train joint-compare``: decoupled EBM training on each arm's frozen encoder."""

    ebm_steps: int = 300
    ebm_lr: float = 1e-3
    ebm_batch_groups: int = 32


@dataclass
class JointConfig:
    model: str = ""  # base model directory
    pairs: str = ""  # SFT pairs (.jsonl/.parquet, `qed data sft-pairs`)
    trajectories: str = ""  # trajectories.parquet (`qed prove`)
    out: str = ""  # run directory
    lora_r: int = 64
    lora_alpha: int = 128
    lora_dropout: float = 0.05
    target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
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
    val_groups: int = 256
    eval_batch: int = 16
    probe_states: int = 256
    probe_folds: int = 5
    device: str = "auto"
    threads: int = 0  # torch CPU threads (0: torch's default)
    monitor: JointMonitorConfig = field(default_factory=JointMonitorConfig)
    compare: JointCompareConfig = field(default_factory=JointCompareConfig)
