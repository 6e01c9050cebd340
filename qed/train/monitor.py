"""Health monitoring of joint (SFT + InfoNCE) training: the alarms that catch embedding collapse.

Owns the rules that stop a run that is going wrong, and the picture of it:

- **separation** (LESSONS pitfall 15): every ``probe_every`` steps the caller embeds a fixed
  probe set of positive/negative states and reports ``centroid_l2`` and linear-probe accuracy;
  an alarm fires when ``centroid_l2`` falls below ``min_centroid_l2`` (absolute) or below
  ``min_centroid_ratio`` times its value at the first probe (relative: the scale of an
  embedding space depends on the model, so a tiny model needs the relative rule);
- **effective rank**: at the same probe, the effective rank of the probe embeddings
  (``effective_rank``: ``exp`` of the entropy of the normalised covariance spectrum); an alarm
  fires when it falls below ``min_effective_rank`` or below ``min_rank_ratio`` times its value
  at the first probe. A space can keep its centroid separation while collapsing onto one axis
  (the demo's joint run: centroid_l2 x3.6 while the rank fell 4.7 -> 1.06); this rule sees it;
- **temperature** (pitfall 3): every ``temperature_every`` steps; an alarm fires when the
  head's temperature sits at its floor or ceiling (``qed.value.ebm.temperature_status``, whose
  tolerance is the head config's ``bound_tolerance``);
- **SFT progress**: an exponential moving average (``sft_ema``) of the SFT loss; an alarm fires
  when it is still above ``max_sft_loss`` after step ``sft_deadline`` (0 turns the rule off).

``Monitor`` only judges numbers it is given; an alarm is returned, and whether it aborts the
run is the caller's decision (``MonitorSettings.abort``). It knows nothing about models,
optimisers or how the probe metrics are computed: the training stage receives a
``SeparationProbe`` (the CLI passes ``qed.eval.embedding_metrics``' functions).

``plot_monitor`` draws the curves of a run's ``metrics.jsonl`` rows (see ``qed.train.joint``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qed.train.settings import MonitorSettings
from qed.value.ebm import HEALTHY_TEMPERATURE, HeadConfig, temperature_status


class SeparationProbe(Protocol):
    """``(X, y, groups) -> (centroid_l2, linear-probe accuracy)`` for embeddings ``X`` [n, d],
    labels ``y`` (True = positive) and theorem names ``groups`` (probe folds never share one)."""

    def __call__(self, X: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> tuple[float, float]: ...


@dataclass(frozen=True)
class Alarm:
    """Why a run is unhealthy: ``kind`` is ``centroid``, ``rank``, ``temperature`` or ``sft_loss``."""

    step: int
    kind: str
    message: str


class Monitor:
    """The alarm rules over one run; ``state``/``from_state`` carry its memory across a resume."""

    def __init__(self, settings: MonitorSettings, head_config: HeadConfig):
        self.settings = settings
        self.head_config = head_config
        self.first_centroid: float | None = None
        self.first_rank: float | None = None
        self.sft_ema: float | None = None
        self.alarms: list[Alarm] = []

    def state(self) -> dict:
        return {"first_centroid": self.first_centroid, "first_rank": self.first_rank, "sft_ema": self.sft_ema,
                "alarms": [asdict(a) for a in self.alarms]}

    def load_state(self, state: dict) -> None:
        self.first_centroid = state.get("first_centroid")
        self.first_rank = state.get("first_rank")
        self.sft_ema = state.get("sft_ema")
        self.alarms = [Alarm(**a) for a in state.get("alarms", [])]

    def _raise(self, alarm: Alarm) -> Alarm:
        self.alarms.append(alarm)
        return alarm

    def on_sft_loss(self, step: int, loss: float) -> Alarm | None:
        """Update the EMA with one step's SFT loss; an alarm past the deadline if still too high."""
        s = self.settings
        self.sft_ema = loss if self.sft_ema is None else s.sft_ema * self.sft_ema + (1 - s.sft_ema) * loss
        if not math.isfinite(loss):
            return self._raise(Alarm(step, "sft_loss", f"step {step}: SFT loss is {loss}"))
        if s.sft_deadline and step == s.sft_deadline and self.sft_ema > s.max_sft_loss:
            return self._raise(Alarm(step, "sft_loss", (
                f"step {step}: SFT loss (EMA {self.sft_ema:.3f}) is still above {s.max_sft_loss} at the "
                f"deadline (monitor.sft_deadline={s.sft_deadline}): the policy is not learning; check "
                "the learning rate, lambda (the contrastive loss may dominate) and the data")))
        return None

    def on_temperature(self, step: int, t: float) -> Alarm | None:
        status = temperature_status(t, self.head_config)
        if status not in ("floor", "ceiling"):
            return None
        c = self.head_config
        return self._raise(Alarm(step, "temperature", (
            f"step {step}: the energy head's temperature {t:.3f} sits at its {status} "
            f"({c.temperature_floor} .. {c.temperature_ceiling}; healthy {HEALTHY_TEMPERATURE[0]}-"
            f"{HEALTHY_TEMPERATURE[1]}): lower the head's learning rate or check the contrastive data")))

    def on_probe(self, step: int, centroid: float, probe_accuracy: float) -> Alarm | None:
        """Judge one separation probe; the first one sets the reference for the relative rule."""
        s = self.settings
        if self.first_centroid is None:
            self.first_centroid = centroid
        floor = s.min_centroid_l2
        if s.min_centroid_ratio and self.first_centroid is not None:
            floor = max(floor, s.min_centroid_ratio * self.first_centroid)
        if not math.isfinite(centroid) or (floor > 0 and centroid < floor):
            return self._raise(Alarm(step, "centroid", (
                f"step {step}: embedding collapse: centroid_l2 {centroid:.4f} fell below {floor:.4f} "
                f"(first probe {self.first_centroid:.4f}, min_centroid_l2 {s.min_centroid_l2}, "
                f"min_centroid_ratio {s.min_centroid_ratio}); linear probe {probe_accuracy:.3f}. "
                "The SFT loss is destroying the representation the EBM needs: raise lambda")))
        return None

    def on_rank(self, step: int, rank: float) -> Alarm | None:
        """Judge the probe embeddings' effective rank; the first one sets the reference."""
        s = self.settings
        if self.first_rank is None:
            self.first_rank = rank
        floor = _rank_alarm_floor(s, self.first_rank)
        if not math.isfinite(rank) or (floor > 0 and rank < floor):
            return self._raise(Alarm(step, "rank", (
                f"step {step}: embedding collapse: the effective rank of the probe embeddings {rank:.3f} "
                f"fell below {floor:.3f} (first probe {self.first_rank:.3f}, min_effective_rank "
                f"{s.min_effective_rank}, min_rank_ratio {s.min_rank_ratio}): the embeddings are "
                "collapsing onto a few directions; raise lambda or lower the LoRA learning rate")))
        return None


def effective_rank(X: np.ndarray) -> float:
    """``exp`` of the entropy of the normalised eigenvalues of the covariance of ``X`` [n, d]:
    1 when all variance lies on one axis, ``d`` when it is isotropic, 0 for a constant batch.
    (The same definition as ``qed.eval.embedding_metrics.variance_spectrum``.)"""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 2:
        raise ValueError(f"effective_rank needs an [n >= 2, d] array, got shape {X.shape}")
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    eig = s**2
    total = eig.sum()
    if not total > 0:
        return 0.0
    p = eig / total
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def _rank_alarm_floor(s: MonitorSettings, first: float | None) -> float:
    floor = s.min_effective_rank
    if s.min_rank_ratio and first is not None:
        floor = max(floor, s.min_rank_ratio * first)
    return floor


def ema(values: Sequence[float], beta: float = 0.9) -> list[float]:
    out, acc = [], None
    for v in values:
        acc = v if acc is None else beta * acc + (1 - beta) * v
        out.append(acc)
    return out


def plot_monitor(rows: Sequence[dict], path: Path, settings: MonitorSettings, head_config: HeadConfig,
                 *, title: str = "joint training") -> Path:
    """Five panels from ``metrics.jsonl`` rows: SFT loss, InfoNCE, temperature, separation probe,
    effective rank of the probe embeddings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def series(kind: str, key: str) -> tuple[list[int], list[float]]:
        pts = [(r["step"], r[key]) for r in rows if r.get("kind") == kind and r.get(key) is not None]
        return ([p[0] for p in pts], [p[1] for p in pts]) if pts else ([], [])

    fig, axes = plt.subplots(2, 3, figsize=(17, 8))
    (a, b, r), (c, d, spare) = axes
    spare.axis("off")
    x, y = series("train", "sft_loss")
    if x:
        a.plot(x, y, alpha=0.25, color="tab:blue")
        a.plot(x, ema(y), color="tab:blue", label="train (EMA)")
    x, y = series("val", "val_sft_loss")
    a.plot(x, y, "o-", color="tab:orange", label="validation")
    if settings.sft_deadline:
        a.axvline(settings.sft_deadline, ls=":", color="grey")
        a.axhline(settings.max_sft_loss, ls="--", color="tab:red", label="max_sft_loss at deadline")
    a.set_title("SFT loss (completion tokens)")
    x, y = series("train", "nce_loss")
    if x:
        b.plot(x, y, alpha=0.25, color="tab:green")
        b.plot(x, ema(y), color="tab:green", label="train (EMA)")
    x, y = series("val", "val_nce_loss")
    b.plot(x, y, "o-", color="tab:orange", label="validation")
    x, y = series("val", "val_rank1")
    if x:
        twin = b.twinx()
        twin.plot(x, y, "s--", color="tab:purple", label="val rank-1")
        twin.set_ylim(0, 1)
        twin.set_ylabel("rank-1")
    b.set_title("InfoNCE")
    x, y = series("temperature", "temperature")
    c.plot(x, y, "o-", color="tab:brown")
    c.axhspan(*HEALTHY_TEMPERATURE, color="tab:green", alpha=0.1, label="healthy")
    c.axhline(head_config.temperature_floor, ls="--", color="tab:red", label="floor / ceiling")
    c.axhline(head_config.temperature_ceiling, ls="--", color="tab:red")
    c.set_yscale("log")
    c.set_title("head temperature")
    x, y = series("probe", "centroid_l2")
    d.plot(x, y, "o-", color="tab:blue", label="centroid_l2")
    first = y[0] if y else None
    floor = max(settings.min_centroid_l2, settings.min_centroid_ratio * first if first else 0.0)
    if floor > 0:
        d.axhline(floor, ls="--", color="tab:red", label="abort below")
    d.set_ylabel("centroid_l2")
    x, y = series("probe", "probe_accuracy")
    if x:
        twin = d.twinx()
        twin.plot(x, y, "s--", color="tab:orange", label="linear probe")
        twin.set_ylim(0.4, 1.0)
        twin.set_ylabel("linear-probe accuracy")
        twin.legend(loc="lower right")
    d.set_title("separation probe (fixed probe states)")
    x, y = series("probe", "effective_rank")
    r.plot(x, y, "o-", color="tab:cyan", label="effective rank")
    rank_floor = _rank_alarm_floor(settings, y[0] if y else None)
    if rank_floor > 0:
        r.axhline(rank_floor, ls="--", color="tab:red", label="abort below")
    r.set_title("effective rank of the probe embeddings")
    for ax in (a, b, c, d, r):
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
