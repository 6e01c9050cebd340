"""Typed configuration schema (Hydra structured configs). Defaults live here only.

YAML files under ``qed/configs`` select options (``env=pantograph``) and override
values; every key they set is checked against these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qed.cli.schema_dist import DistConfig
from qed.cli.schema_iterate import IterateConfig
from qed.cli.schema_joint import JointConfig
from qed.cli.schema_langevin import LangevinSection
from qed.cli.schema_policy import PolicyConfig, SftConfig
from qed.cli.schema_search import SearchConfig
from qed.cli.schema_value import EbmConfig


@dataclass
class EnvConfig:
    """Which proof environment, and its settings.

    ``kind``: ``sandbox`` (built in), ``pantograph`` or ``repl`` (real Lean; see docs/lean.md).
    """

    kind: str = "sandbox"
    tactic_timeout_s: float = 5.0
    # Lean backends
    binary: str = ""
    project: str = ""
    lean_path: str = ""
    imports: list[str] = field(default_factory=lambda: ["Mathlib"])
    request_timeout_s: float = 30.0
    start_timeout_s: float = 300.0
    pool_size: int = 1
    max_requests: int = 1000
    max_age_s: float = 1800.0
    max_rss_mb: int = 0


@dataclass
class QedConfig:
    env: EnvConfig = field(default_factory=EnvConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    sft: SftConfig = field(default_factory=SftConfig)
    ebm: EbmConfig = field(default_factory=EbmConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    langevin: LangevinSection = field(default_factory=LangevinSection)
    joint: JointConfig = field(default_factory=JointConfig)
    iterate: IterateConfig = field(default_factory=IterateConfig)
    dist: DistConfig = field(default_factory=DistConfig)
    seed: int = 0
