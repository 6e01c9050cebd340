"""Experiment tracking: metric rows also go to TensorBoard event files and, when enabled, W&B.

Owns the ``Tracker`` protocol and its implementations. The run directory's JSON Lines and
Parquet files stay the source of truth; trackers are views for people (curves in
TensorBoard or a W&B dashboard). A row is the dict a trainer appends to ``metrics.jsonl``:
every finite numeric value except ``step`` becomes a scalar tagged ``KIND/KEY`` (``KEY``
when the row has no ``kind``), at the row's ``step``.

- ``TensorBoardTracker``: ``RUN/tensorboard/`` event files (``torch.utils.tensorboard``; the
  writer opens on the first row). ``resume(step)`` before the first row drops the events the
  previous process wrote after ``step`` (work lost since its last checkpoint), as the
  trainers' ``truncate_metrics`` does with ``metrics.jsonl``.
- ``WandbTracker``: W&B, imported only when enabled (no hard dependency); one run id per
  run directory, so a resumed run continues the same W&B run.
- ``open_tracker(run_dir, settings)``: what ``TrackingSettings`` asks for; the default
  settings come from the environment (``TrackingSettings.from_env``): TensorBoard on unless
  ``QED_TENSORBOARD=0`` or torch and tensorboard are not installed (the ``train`` extra
  installs both), W&B off unless ``QED_WANDB=1`` (project ``QED_WANDB_PROJECT``, default
  ``qed``).

Knows nothing about models or the trainers' loops.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class Tracker(Protocol):
    """Receives metric rows; ``close`` flushes. Never raises for a non-numeric value (skipped)."""

    def log(self, row: Mapping[str, object]) -> None: ...

    def resume(self, step: int) -> None: ...

    def close(self) -> None: ...


def scalars(row: Mapping[str, object]) -> dict[str, float]:
    """The row's finite numbers (``bool`` and ``step`` excluded), tagged ``kind/key``."""
    kind = row.get("kind")
    out = {}
    for key, value in row.items():
        if key in ("step", "kind") or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            out[f"{kind}/{key}" if kind else key] = float(value)
    return out


@dataclass(frozen=True)
class TrackingSettings:
    """Which trackers a run opens (the one place for these defaults)."""

    tensorboard: bool = True
    wandb: bool = False
    wandb_project: str = "qed"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TrackingSettings:
        env = os.environ if env is None else env
        installed = all(importlib.util.find_spec(m) is not None for m in ("torch", "tensorboard"))
        return cls(tensorboard=installed and env.get("QED_TENSORBOARD", "1") != "0",
                   wandb=env.get("QED_WANDB", "0") == "1",
                   wandb_project=env.get("QED_WANDB_PROJECT", cls.wandb_project))


class TensorBoardTracker:
    """Scalars to ``log_dir`` as TensorBoard event files."""

    def __init__(self, log_dir: Path):
        self.log_dir = Path(log_dir)
        self.purge_step: int | None = None
        self._writer = None

    def resume(self, step: int) -> None:
        if self._writer is None:
            self.purge_step = step + 1  # SummaryWriter drops events at steps >= purge_step

    def log(self, row: Mapping[str, object]) -> None:
        values = scalars(row)
        if not values:
            return
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.log_dir), purge_step=self.purge_step, flush_secs=10)
        step = int(row.get("step", 0))  # type: ignore[arg-type]
        for tag, v in values.items():
            self._writer.add_scalar(tag, v, step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class WandbTracker:
    """Scalars to a W&B run (``wandb`` imported here, only when this tracker is built)."""

    def __init__(self, run_dir: Path, project: str):
        try:
            import wandb
        except ImportError as exc:
            raise RuntimeError("W&B tracking is enabled (QED_WANDB=1) but wandb is not installed: "
                               "pip install wandb, or unset QED_WANDB") from exc
        run_id = hashlib.sha1(str(Path(run_dir).resolve()).encode()).hexdigest()[:16]
        self._run = wandb.init(project=project, name=Path(run_dir).name, dir=str(run_dir), id=run_id,
                               resume="allow")

    def resume(self, step: int) -> None:  # W&B keeps history; steps logged again overwrite nothing
        return None

    def log(self, row: Mapping[str, object]) -> None:
        values = scalars(row)
        if values:
            self._run.log(values, step=int(row.get("step", 0)))  # type: ignore[arg-type]

    def close(self) -> None:
        self._run.finish()


class Trackers:
    """Several trackers as one."""

    def __init__(self, trackers: Sequence[Tracker]):
        self.trackers = tuple(trackers)

    def log(self, row: Mapping[str, object]) -> None:
        for t in self.trackers:
            t.log(row)

    def resume(self, step: int) -> None:
        for t in self.trackers:
            t.resume(step)

    def close(self) -> None:
        for t in self.trackers:
            t.close()


def open_tracker(run_dir: Path, settings: TrackingSettings | None = None) -> Trackers:
    """The trackers ``settings`` (default: ``TrackingSettings.from_env()``) ask for, for ``run_dir``."""
    s = settings or TrackingSettings.from_env()
    trackers: list[Tracker] = []
    if s.tensorboard:
        trackers.append(TensorBoardTracker(Path(run_dir) / "tensorboard"))
    if s.wandb:
        trackers.append(WandbTracker(Path(run_dir), s.wandb_project))
    return Trackers(trackers)
