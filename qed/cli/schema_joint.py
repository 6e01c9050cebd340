"""Structured config of joint training (``joint.*`` keys; defaults live in the library).

``JointConfig`` is built from ``qed.train.settings.JointSettings`` (with its
``MonitorSettings``: every abort threshold of the run) plus the run's inputs (base model,
SFT pairs, trajectories, run directory); ``JointCompareConfig``
sets the decoupled EBM training ``qed train joint-compare`` uses to measure rank-1 on each
arm's frozen encoder. The energy head's shape and temperature bounds come from ``ebm.head``:
one EBM architecture everywhere (LESSONS: settled decision 7).
"""

from __future__ import annotations

from dataclasses import dataclass

from qed.cli.schema_from import section
from qed.train.settings import JointSettings


@dataclass
class JointCompareConfig:
    """``qed train joint-compare``: decoupled EBM training on each arm's frozen encoder."""

    ebm_steps: int = 300
    ebm_lr: float = 1e-3
    ebm_batch_groups: int = 32


JointConfig = section(
    "JointConfig", JointSettings,
    extra=(
        ("model", str, ""),  # base model directory
        ("pairs", str, ""),  # SFT pairs (.jsonl/.parquet)
        ("trajectories", str, ""),  # trajectories.parquet (`qed prove`)
        ("out", str, ""),  # run directory
        ("probe_folds", int, 5),
        ("threads", int, 0),  # torch CPU threads (0: torch's default)
        ("compare", JointCompareConfig, JointCompareConfig),
    ),
    doc="``qed train joint``: inputs + ``qed.train.settings.JointSettings`` (monitor included).",
)
