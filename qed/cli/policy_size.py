"""``qed science policy-size``: which local policy size learns the deep benchmark's moves within a
CPU budget (issue 19, item 4), by measurement.

For each model size (``qed.policy.models.SIZES``) and the same data and settings: a fresh model
with a tokenizer trained on the training text, then LoRA SFT (``qed.train.sft.run_sft``) on the
(state, tactic) pairs of the training theorems' verified proofs, measuring every
``eval_every`` steps on the proof states of HELD-OUT theorems (another generator seed, no
shared name):

- ``menu_top1``: the model's best-scored tactic of the theorem's menu is the proof's step
  (``qed.policy.menu_lm``: what a search with ``LMMenuPolicy`` tries first);
- ``menu_mrr``: mean reciprocal rank of the proof's step in that ranking;
- ``gen_top1``: greedy decoding gives the proof's step exactly (after ``normalize_tactic``);
  the deep benchmark's ``have`` steps carry computed values, so this is the harder measure.

Chance for ``menu_top1`` is the mean of ``1 / len(menu)``. The choice: the cheapest
(training seconds) size-and-step whose ``menu_top1`` is within ``tolerance`` of the best
measured. Writes into ``out``: ``train.jsonl``, ``heldout.jsonl``, ``pairs.jsonl``,
``<size>/base`` and ``<size>/sft`` (resumable runs), ``summary.json``, ``report.md``,
``policy_size.png``. Knows nothing about search.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from qed.data.rundir import atomic_write_json, atomic_write_text
from qed.train.sft_data import SftPair


@dataclass(frozen=True)
class SizeSweepSettings:
    """The one place for the sweep's defaults (``qed science policy-size`` options)."""

    sizes: tuple[str, ...] = ("tiny", "mini", "small")
    steps: int = 600
    eval_every: int = 100
    batch_size: int = 16
    lr: float = 1e-3
    eval_states: int = 200
    tolerance: float = 0.02
    seed: int = 0
    max_len: int = 512

    def __post_init__(self) -> None:
        from qed.policy.models import SIZES

        unknown = [s for s in self.sizes if s not in SIZES]
        if unknown or not self.sizes:
            raise ValueError(f"unknown model sizes {unknown}: choose from {', '.join(SIZES)}")
        if self.steps < 1 or self.eval_every < 1:
            raise ValueError("steps and eval_every must be positive")


def traced_pairs(rows: Sequence[dict]) -> list[SftPair]:
    """The (state, tactic) pairs of the rows' proofs; a proof that fails is a ``ValueError`` naming it."""
    from qed.cli.tracing import theorem_from_row, trace_pairs
    from qed.env.sandbox.env import SandboxEnv

    pairs: list[SftPair] = []
    for traced in trace_pairs(SandboxEnv(), [theorem_from_row(r) for r in rows]):
        if traced.error:
            raise ValueError(f"{traced.theorem}: its proof does not check ({traced.error})")
        pairs.extend(traced.pairs)
    return pairs


def eval_sample(pairs: Sequence[SftPair], k: int, seed: int) -> list[SftPair]:
    """``k`` held-out pairs drawn without replacement (all of them when fewer), in a seeded order."""
    idx = list(range(len(pairs)))
    random.Random(seed).shuffle(idx)
    return [pairs[i] for i in sorted(idx[:k])]


def make_measure(pairs: Sequence[SftPair],
                 menus: dict[str, Sequence[str]]) -> Callable[[object, object], dict]:
    """The ``measure(model, tokenizer)`` hook of ``run_sft``: menu top-1, MRR and greedy top-1."""
    from qed.core import Query
    from qed.policy.hf import HFPolicy
    from qed.policy.menu_lm import LMMenuPolicy
    from qed.policy.prompt import normalize_tactic
    from qed.train.sft_io import exact_match

    def measure(model, tok) -> dict:
        policy = LMMenuPolicy(model, tok, {p.theorem: menus[p.theorem] for p in pairs})
        top1, rr = 0, 0.0
        for p in pairs:
            ranked = [normalize_tactic(c.tactic) for c in policy.ranked(Query(p.prompt_theorem(), p.state))]
            ref = normalize_tactic(p.tactic)
            rank = ranked.index(ref) + 1 if ref in ranked else None
            top1 += rank == 1
            rr += 1.0 / rank if rank else 0.0
        greedy = HFPolicy(model, tok, temperature=0.0, max_new_tokens=64)
        gen = exact_match(greedy, pairs, n=1, ks=(1,))
        n = max(1, len(pairs))
        return {"menu_top1": top1 / n, "menu_mrr": rr / n, "gen_top1": gen["top1"]}

    return measure


def choose(points: Sequence[dict], tolerance: float) -> dict:
    """The cheapest point (training seconds, then steps) within ``tolerance`` of the best menu top-1."""
    best = max(p["menu_top1"] for p in points)
    ok = [p for p in points if p["menu_top1"] >= best - tolerance]
    return min(ok, key=lambda p: (p["train_seconds"], p["step"]))


def learning_curve(run: Path, size: str, params: int) -> list[dict]:
    """One point per measurement of ``run``: step, training seconds so far, the measures, val loss."""
    from qed.train.sft_io import read_metrics

    rows = read_metrics(run)
    seconds = {r["step"]: r["elapsed_s"] for r in rows if r["kind"] == "train"}
    vals = {r["step"]: r["val_loss"] for r in rows if r["kind"] == "val"}
    points = []
    for r in rows:
        if r["kind"] != "measure":
            continue
        points.append({"size": size, "params": params, "step": r["step"],
                       "train_seconds": seconds.get(r["step"], 0.0), "val_loss": vals.get(r["step"]),
                       **{k: r[k] for k in ("menu_top1", "menu_mrr", "gen_top1")}})
    return points


def _parameters(model_dir: Path) -> int:
    from qed.policy.models import load_model

    model, _ = load_model(model_dir, device="cpu", dtype="float32")
    return sum(p.numel() for p in model.parameters())


def run_sweep(train_rows: Sequence[dict], heldout_rows: Sequence[dict], out: Path,
              settings: SizeSweepSettings, *, log: Callable[[str], None] = print,
              progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Train and measure every size (resuming finished and partial runs); the summary."""
    from qed.policy.models import create_model
    from qed.policy.prompt import format_completion, format_prompt
    from qed.train.settings import SftSettings
    from qed.train.sft import run_sft
    from qed.train.sft_data import write_pairs

    shared = {r["name"] for r in train_rows} & {r["name"] for r in heldout_rows}
    if shared:
        raise ValueError(f"training and held-out theorems share names, e.g. {sorted(shared)[:3]}")
    missing = [r["name"] for r in heldout_rows if not r.get("menu")]
    if missing:
        raise ValueError(f"held-out rows without a menu (the deep benchmark's rows carry one): {missing[:3]}")
    out.mkdir(parents=True, exist_ok=True)
    pairs = traced_pairs(train_rows)
    write_pairs(pairs, out / "pairs.jsonl")
    # one line per sample, as `qed model init --corpus FILE` reads it (the measured runs' tokenizers)
    corpus = [(format_prompt(p.prompt_theorem(), p.state) + format_completion(p.tactic)).replace("\n", " ")
              for p in pairs]
    held = eval_sample(traced_pairs(heldout_rows), settings.eval_states, settings.seed)
    menus = {r["name"]: list(r["menu"]) for r in heldout_rows}
    chance = sum(1.0 / len(menus[p.theorem]) for p in held) / max(1, len(held))
    measure = make_measure(held, menus)
    epochs = math.ceil(settings.steps * settings.batch_size / max(1, len(pairs))) + 1
    sft = SftSettings(max_steps=settings.steps, epochs=epochs, batch_size=settings.batch_size, lr=settings.lr,
                      eval_every=settings.eval_every, save_every=settings.eval_every, eval_states=0,
                      max_len=settings.max_len, seed=settings.seed, device="cpu")
    points: list[dict] = []
    for size in settings.sizes:
        base = out / size / "base"
        if not (base / "config.json").exists():
            create_model(size, corpus, base, seed=settings.seed)
        params = _parameters(base)
        log(f"{size}: {params:,} parameters; SFT {settings.steps} steps")
        on_step = None if progress is None else (
            lambda step, total, _row, size=size: progress(size, step, total))
        run_sft(base, out / "pairs.jsonl", out / size / "sft", sft, progress=on_step, log=log,
                measure=measure)
        points += learning_curve(out / size / "sft", size, params)
    summary = {"settings": asdict(settings), "train_theorems": len(train_rows), "train_pairs": len(pairs),
               "heldout_theorems": len(heldout_rows), "eval_states": len(held), "menu_chance": chance,
               "points": points, "choice": choose(points, settings.tolerance)}
    atomic_write_json(out / "summary.json", summary, indent=1)
    plot(summary, out / "policy_size.png")
    atomic_write_text(out / "report.md", render(summary))
    return summary


def plot(summary: dict, path: Path) -> Path:
    """Held-out menu top-1 and greedy top-1 against training seconds, one line per size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in ((axes[0], "menu_top1", "menu top-1 (held-out proof states)"),
                           (axes[1], "gen_top1", "greedy top-1 (held-out proof states)")):
        for size in summary["settings"]["sizes"]:
            pts = [p for p in summary["points"] if p["size"] == size]
            ax.plot([p["train_seconds"] for p in pts], [p[key] for p in pts], marker="o", label=size)
        if key == "menu_top1":
            ax.axhline(summary["menu_chance"], color="grey", linestyle=":", label="chance")
        ax.set_xlabel("training seconds (CPU)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def render(summary: dict) -> str:
    """``report.md``: the trade-off table and the choice."""
    s, c = summary["settings"], summary["choice"]
    lines = [
        "# Policy size against held-out top-1 (qed science policy-size)", "",
        f"Training: {summary['train_pairs']} (state, tactic) pairs of {summary['train_theorems']} deep "
        f"theorems; held-out: {summary['eval_states']} proof states of {summary['heldout_theorems']} other "
        "theorems. "
        f"LoRA SFT, batch {s['batch_size']}, lr {s['lr']}, {s['steps']} steps. "
        f"Menu chance: {summary['menu_chance']:.3f}.", "",
        "| size | parameters | step | training s | menu top-1 | menu MRR | greedy top-1 | val loss |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in summary["points"]:
        vl = "-" if p["val_loss"] is None else f"{p['val_loss']:.3f}"
        lines.append(f"| {p['size']} | {p['params']:,} | {p['step']} | {p['train_seconds']:.0f} | "
                     f"{p['menu_top1']:.3f} | {p['menu_mrr']:.3f} | {p['gen_top1']:.3f} | {vl} |")
    lines += ["", f"**Choice** (cheapest within {s['tolerance']} of the best menu top-1): `{c['size']}` "
              f"at step {c['step']} ({c['train_seconds']:.0f} s): menu top-1 {c['menu_top1']:.3f}, "
              f"greedy top-1 {c['gen_top1']:.3f}.", "", "![policy size](policy_size.png)", ""]
    return "\n".join(lines)

