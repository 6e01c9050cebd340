"""Values at the same budget: LLM-only, a learned EBM, the oracle; budget curves, seeds, paired tests.

Owns the study of issue 19's first claim on the deep benchmark (docs/science.md, "Comparisons").
For each seed ``s`` (the policy's sampling seed and the head's training seed):

1. **training trees** (``OUT/seed_s/train/``): each training theorem searched with
   ``MenuPolicy`` (seed ``s``; or ``LMMenuPolicy`` over ``policy_model``, a trained model that
   ranks the menu, see ``compare_policy``) guided by the theorem's own verified proof (the oracle below),
   so its tree holds the proof path and, at each of its states, the wrong turns the policy
   proposed beside it; every node becomes a trajectory row (``trajectories.parquet``).
   Training theorems come with proofs, as SFT data does; held-out proofs are never read
   except by the oracle arm.
2. **a decoupled EBM** (``OUT/seed_s/ebm/``): the goal-conditioned head trained with InfoNCE
   on those trees (``qed.train.ebm.train_ebm``) over a frozen encoder: ``HashingEncoder`` (the
   cheapest; MenuPolicy has no backbone), or with ``encoder_model`` a backbone's mean-pooled
   hidden states (``compare_encoder``), which is how the collapse claim is measured in proofs:
   the same policy and search with heads on the SFT-only and the joint-trained backbone.
3. **held-out searches**: each theorem with each arm at the largest budget, one line per
   theorem to ``OUT/seed_s/theorems.jsonl`` as it finishes (a rerun skips those present):
   - ``llm_only``: best-first on the policy's cumulative log-probability (no value). With a
     best-first priority of ``alpha * (-E) + (1 - alpha) * logprob``, the policy's own soft
     value (``E = -`` summed log-probability) orders states exactly as this arm does, so it
     is the same arm;
   - ``soft_norm``: the policy's length-normalised log-probability (``length_normalise``), the
     other soft value available without training;
   - ``ebm``: the learned head at ``alpha`` (the search default, 0.5: half energy, half the
     policy's cumulative log-probability, which grows more negative with depth);
   - ``ebm_alpha1``: the same head alone (``alpha = 1``: states ordered by energy only);
   - ``oracle``: ``OracleValue`` over the distances of the held-out theorem's verified proof
     (states on it score their remaining steps, everything else ``unknown``): a perfect value
     for the proof the generator wrote, where the policy proposes its steps.

A best-first search with budget ``B`` is the first ``B`` expansions of the same search with a
larger budget (the policy, the value and the env are deterministic; only the time limit could
differ, and a search stopped by it is reported), so one search per arm at ``max(budgets)``
gives the whole budget curve: proved at ``B`` iff proved within ``B`` expansions (tested).

The summary (``summary.json``, ``report.md``, ``curves.png``) gives per budget and arm the
proof rate (mean over seeds, per-seed rates), and for each arm against ``llm_only``: the
difference in points with a bootstrap interval resampling theorems (all seeds of a theorem
together), the exact McNemar test per seed, and the arm's **share of the headroom**
(``(arm - llm_only) / (oracle - llm_only)``). Knows nothing about Typer.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from qed.cli.headroom import menu_policy, read_done, theorem_of
from qed.core import Goals, Proved, ValueFn
from qed.data.proofs import trajectory_rows
from qed.data.rundir import append_line, atomic_write_json, atomic_write_text, is_done, mark_done
from qed.data.trajectory import write_trajectories
from qed.env.sandbox.env import SandboxEnv
from qed.eval.paired import bootstrap_mean, mcnemar_exact
from qed.eval.summary import wilson
from qed.search.best_first import SearchSettings, best_first
from qed.search.oracle import OracleLabels, OracleValue
from qed.search.result import Budget, SearchResult

ARMS = ("llm_only", "soft_norm", "ebm", "ebm_alpha1", "oracle")
BASELINE = "llm_only"


@dataclass(frozen=True)
class CompareSettings:
    """The one place for the study's defaults (``qed science compare`` options)."""

    budgets: tuple[int, ...] = (8, 16, 32, 64, 128, 256)
    seeds: tuple[int, ...] = (0, 1, 2)
    arms: tuple[str, ...] = ARMS
    candidates: int = 12
    favour: float = 3.0
    alpha: float = 0.5
    train_budget: int = 64
    encoder_dim: int = 256
    head_hidden: tuple[int, ...] = (512, 256)
    ebm_steps: int = 1000
    ebm_lr: float = 1e-3
    max_seconds: float = 600.0
    bootstrap: int = 2000
    policy_model: str = ""  # a model directory: LMMenuPolicy ranks each menu with it; "": MenuPolicy
    encoder_model: str = ""  # a model directory: the head reads its mean-pooled hidden states; "": hashing

    def __post_init__(self) -> None:
        object.__setattr__(self, "budgets", tuple(sorted({int(b) for b in self.budgets})))
        if not self.budgets or self.budgets[0] < 1:
            raise ValueError(f"budgets must be positive, got {self.budgets}")
        unknown = [a for a in self.arms if a not in ARMS]
        if unknown:
            raise ValueError(f"unknown arms {unknown}: expected some of {ARMS}")
        if BASELINE not in self.arms:
            raise ValueError(f"the arms must include {BASELINE} (every comparison is against it)")
        if not self.seeds:
            raise ValueError("need at least one seed")

    @property
    def max_budget(self) -> int:
        return self.budgets[-1]

    def headroom_settings(self, seed: int):
        from qed.cli.headroom import HeadroomSettings

        return HeadroomSettings(budgets=self.budgets, candidates=self.candidates, favour=self.favour,
                                alpha=self.alpha, seed=seed, max_seconds=self.max_seconds)


def compare_policy(rows: Sequence[dict], settings: CompareSettings, seed: int):
    """The study's policy over ``rows``' menus: ``MenuPolicy`` (the proof's tactics weigh ``favour``),
    or, with ``settings.policy_model``, ``LMMenuPolicy`` ranking each menu with that model (a trained
    policy; deterministic, so the seed then varies only the head)."""
    if not settings.policy_model:
        return menu_policy(rows, settings.headroom_settings(seed))
    from qed.policy.menu_lm import LMMenuPolicy
    from qed.policy.models import load_model

    model, tok = load_model(Path(settings.policy_model), device="cpu", dtype="float32")
    return LMMenuPolicy(model, tok, {r["name"]: r["menu"] for r in rows})


def proof_labels(row: dict, env: SandboxEnv) -> OracleLabels:
    """Distance labels of the row's own verified proof (no ``dead`` labels: nothing was exhausted).

    The proof is replayed tactic by tactic on the first goal, as search applies tactics; each
    state it passes through is labelled with the number of tactics left. A row without a proof,
    or whose proof does not close its goal here, is a ``ValueError`` naming it.
    """
    tactics = [t.strip() for t in (row.get("proof") or "").split("\n") if t.strip()]
    if not tactics:
        raise ValueError(f"{row.get('name')!r}: the oracle needs the row's verified proof, and it has none")
    state = env.start(theorem_of(row))
    root, distance = state.text, {}
    for i, tactic in enumerate(tactics):
        distance.setdefault(state.text, len(tactics) - i)
        result = env.apply(state, 0, tactic)
        if isinstance(result, Proved):
            return OracleLabels(root=root, distance=distance, dead=frozenset())
        if not isinstance(result, Goals):
            break
        state = result.state
    raise ValueError(f"{row['name']!r}: its proof does not close the goal in the sandbox")


def arm_settings(arm: str, alpha: float) -> SearchSettings:
    """The search settings of an arm (the value itself is passed beside them)."""
    if arm == "soft_norm":
        return SearchSettings(alpha=0.0, length_normalise=True)
    if arm == "ebm_alpha1":
        return SearchSettings(alpha=1.0)
    return SearchSettings(alpha=alpha if arm in ("ebm", "oracle") else 0.0)


def outcome(result: SearchResult, seconds: float) -> dict:
    """What the budget curve needs of one search."""
    return {"proved": bool(result.proved), "expansions": result.stats.expansions,
            "stop": str(result.stop_reason), "seconds": round(seconds, 3)}


def proved_within(record: dict, budget: int) -> bool:
    """Proved by the search truncated to ``budget`` expansions (see the module docstring)."""
    return bool(record["proved"]) and record["expansions"] <= budget


def generate_rows(path: Path, n: int, seed: int) -> list[dict]:
    """Write (or reuse, when complete) ``n`` deep theorems of ``seed`` at ``path``."""
    from qed.env.sandbox.deep_generate import generate_deep

    if path.exists():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if len(rows) == n and all(r.get("name", "").endswith(f"_s{seed}_{i}") for i, r in enumerate(rows)):
            return rows
    rows = [item.row for item in generate_deep(n, seed=seed) if item.row is not None]
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return rows


# ---- 1. training trees and 2. the head ----------------------------------------------------


def train_trees(rows: Sequence[dict], out: Path, settings: CompareSettings, seed: int,
                advance: Callable[[], None] = lambda: None) -> Path:
    """Search the training rows, guided by their proofs, into ``out/trajectories.parquet``."""
    path = out / "trajectories.parquet"
    if is_done(out):
        return path
    out.mkdir(parents=True, exist_ok=True)
    env, policy = SandboxEnv(), compare_policy(rows, settings, seed)
    budget = Budget(max_expansions=settings.train_budget, candidates=settings.candidates,
                    max_seconds=settings.max_seconds)
    traj, proved = [], 0
    for row in rows:
        oracle = OracleValue([proof_labels(row, env)])
        guided = best_first(theorem_of(row), env=env, policy=policy, value=oracle, budget=budget,
                            settings=SearchSettings(alpha=settings.alpha))
        proved += guided.proved
        traj += trajectory_rows(guided)
        advance()
    write_trajectories(path, traj)
    atomic_write_json(out / "trees.json", {"theorems": len(rows), "proved": proved, "rows": len(traj)})
    mark_done(out)
    return path


def compare_encoder(settings: CompareSettings):
    """``(encoder, encoder id)`` the head reads: ``HashingEncoder(encoder_dim)``, or with
    ``settings.encoder_model`` the mean-pooled last hidden states of that model (``HFEncoder``:
    a backbone, e.g. the policy after SFT-only or after joint training)."""
    if not settings.encoder_model:
        from qed.value.hashing_encoder import HashingEncoder

        enc = HashingEncoder(settings.encoder_dim)
        return enc, enc.id
    from qed.policy.models import load_model
    from qed.value.encoder import HFEncoder

    model, tok = load_model(Path(settings.encoder_model), device="cpu", dtype="float32")
    return HFEncoder(model, tok), f"hf:{settings.encoder_model}"


def train_head(trajectories: Path, out: Path, settings: CompareSettings, seed: int, encoder=None) -> dict:
    """The decoupled head on frozen embeddings of the trees (resumable; ``out/ebm/DONE`` last).

    ``encoder`` is ``compare_encoder(settings)``'s pair, built here when not given."""
    from rich.console import Console

    from qed.train.ebm import train_ebm
    from qed.train.settings import EbmTrainSettings
    from qed.value.settings import HeadConfig

    enc, enc_id = encoder or compare_encoder(settings)
    head = HeadConfig(dim=enc.dim, hidden=settings.head_hidden)
    train = EbmTrainSettings(max_steps=settings.ebm_steps, lr=settings.ebm_lr, seed=seed, eval_every=50,
                             log_every=50)
    result = train_ebm(trajectories, out / "ebm", out / "embeddings", enc, enc_id, head, train,
                       console=Console(stderr=True, quiet=True))
    return result.metrics


def load_scorer(out: Path, settings: CompareSettings, encoder=None) -> ValueFn:
    from qed.value.ebm import load_head
    from qed.value.scorer import EbmScorer

    return EbmScorer((encoder or compare_encoder(settings))[0], load_head(out / "ebm"))


# ---- 3. held-out searches -----------------------------------------------------------------


def measure(row: dict, *, env: SandboxEnv, policy, values: dict[str, ValueFn | None],
            settings: CompareSettings, arms: Sequence[str] | None = None) -> dict:
    """The given arms (default: every arm of ``settings``) on one held-out theorem at the largest budget."""
    thm = theorem_of(row)
    budget = Budget(max_expansions=settings.max_budget, candidates=settings.candidates,
                    max_seconds=settings.max_seconds)
    out = {}
    for arm in settings.arms if arms is None else arms:
        value = values.get(arm)
        if arm == "oracle":
            value = OracleValue([proof_labels(row, env)])
        t0 = time.perf_counter()
        r = best_first(thm, env=env, policy=policy, value=value, budget=budget,
                       settings=arm_settings(arm, settings.alpha))
        out[arm] = outcome(r, time.perf_counter() - t0)
    return {"name": thm.name, "family": row.get("family", ""), "difficulty": row.get("difficulty"),
            "proof_length": row.get("proof_length"), "arms": out}


FIXED = ("candidates", "favour", "alpha", "train_budget", "encoder_dim", "head_hidden", "ebm_steps", "ebm_lr",
         "max_seconds", "policy_model", "encoder_model")


def check_settings(out: Path, settings: CompareSettings) -> None:
    """Refuse to add to a run measured under other settings (its records would not be comparable).

    The arms and the smaller budgets may change between runs (a new arm is measured on the
    theorems already there); the largest budget and everything in ``FIXED`` may not.
    """
    now = {k: getattr(settings, k) for k in FIXED} | {"max_budget": settings.max_budget}
    now = json.loads(json.dumps(now))  # tuples as lists, as read back
    path = out / "settings.json"
    if path.exists():
        before = json.loads(path.read_text(encoding="utf-8"))
        diff = {k: (before.get(k), v) for k, v in now.items() if before.get(k) != v}
        if diff:
            said = ", ".join(f"{k} {old} -> {new}" for k, (old, new) in diff.items())
            raise ValueError(f"{out} was measured with other settings ({said}): use another --out, or the "
                             "same settings")
    else:
        atomic_write_json(path, now)


def run_seed(heldout: Sequence[dict], train: Sequence[dict], out: Path, settings: CompareSettings,
             seed: int, advance: Callable[[str], None] = lambda what: None) -> list[dict]:
    """One seed: trees, head, then every held-out row (and arm) not yet in ``out/theorems.jsonl``.

    A theorem already there is searched only with the arms its line lacks (its line is then
    rewritten in place); a new one is appended as it finishes.
    """
    out.mkdir(parents=True, exist_ok=True)
    check_settings(out, settings)
    values: dict[str, ValueFn | None] = {}
    if {"ebm", "ebm_alpha1"} & set(settings.arms):
        traj = train_trees(train, out / "train", settings, seed, advance=lambda: advance("train"))
        encoder = compare_encoder(settings)  # one model load for training and for search
        metrics = train_head(traj, out, settings, seed, encoder)
        atomic_write_json(out / "ebm_metrics.json", metrics)
        values["ebm"] = values["ebm_alpha1"] = load_scorer(out, settings, encoder)
    path = out / "theorems.jsonl"
    results = list({r["name"]: r for r in read_done(path)}.values())  # a repeated line: the last wins
    by_name = {r["name"]: r for r in results}
    env, policy = SandboxEnv(), compare_policy(heldout, settings, seed)
    for row in heldout:
        old = by_name.get(row["name"])
        missing = [a for a in settings.arms if old is None or a not in old["arms"]]
        if not missing:
            continue
        r = measure(row, env=env, policy=policy, values=values, settings=settings, arms=missing)
        if old is None:
            append_line(path, r)
            results.append(r)
            by_name[r["name"]] = r
        else:
            old["arms"].update(r["arms"])
            atomic_write_text(path, "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in results))
        advance("heldout")
    return results


# ---- summary ----------------------------------------------------------------------------


def _share_interval(proved: dict[str, list[list[bool]]], arm: str, samples: int,
                    seed: int) -> tuple[float, float]:
    """Bootstrap (theorems resampled) interval of the arm's share of the headroom."""
    base, orc, x = proved[BASELINE], proved["oracle"], proved[arm]
    n = len(base)
    rng = random.Random(seed + 1)
    stats = []
    for _ in range(samples):
        idx = [rng.randrange(n) for _ in range(n)]
        b = sum(sum(base[i]) for i in idx)
        o = sum(sum(orc[i]) for i in idx)
        a = sum(sum(x[i]) for i in idx)
        if o > b:
            stats.append((a - b) / (o - b))
    if not stats:
        return (float("nan"), float("nan"))
    stats.sort()
    return stats[int(0.025 * len(stats))], stats[min(len(stats) - 1, int(0.975 * len(stats)))]


def summarise(by_seed: dict[int, list[dict]], settings: CompareSettings) -> dict:
    """Rates, differences against ``llm_only``, McNemar per seed, shares of the headroom, per budget.

    Only theorems measured under every seed are compared (a run still in progress is summarised
    on its common part).
    """
    seeds = sorted(by_seed)
    names = set.intersection(*({r["name"] for r in by_seed[s]} for s in seeds)) if seeds else set()
    index = {s: {r["name"]: r for r in by_seed[s]} for s in seeds}
    order = sorted(names)
    out: dict = {"theorems": len(order), "seeds": seeds, "arms": list(settings.arms),
                 "settings": asdict(settings),
                 "budgets": {}, "by_shape": {}}
    for b in settings.budgets:
        proved = {a: [[proved_within(index[s][t]["arms"][a], b) for s in seeds] for t in order]
                  for a in settings.arms}
        row: dict = {}
        for a in settings.arms:
            per_seed = [sum(p[i] for p in proved[a]) / max(1, len(order)) for i in range(len(seeds))]
            k = sum(sum(p) for p in proved[a])
            row[a] = {"rate": k / max(1, len(order) * len(seeds)), "per_seed": per_seed,
                      "wilson_pooled": list(wilson(k, len(order) * len(seeds)))}
        for a in settings.arms:
            if a == BASELINE:
                continue
            d = [[int(x) - int(y) for x, y in zip(pa, pb, strict=True)]
                 for pa, pb in zip(proved[a], proved[BASELINE], strict=True)]
            mc = []
            for i in range(len(seeds)):
                only_a = sum(1 for t in range(len(order)) if proved[a][t][i] and not proved[BASELINE][t][i])
                only_b = sum(1 for t in range(len(order)) if proved[BASELINE][t][i] and not proved[a][t][i])
                mc.append({"only_arm": only_a, "only_llm": only_b,
                           "p_mcnemar": mcnemar_exact(only_a, only_b)})
            # all seeds of a theorem resampled together: the mean over seeds is the theorem's value
            lo, hi = bootstrap_mean([sum(x) / len(x) for x in d], samples=settings.bootstrap, seed=b)
            row[a]["vs_llm_points"] = 100 * (row[a]["rate"] - row[BASELINE]["rate"])
            row[a]["vs_llm_interval"] = [100 * lo, 100 * hi]
            row[a]["mcnemar_per_seed"] = mc
        if "oracle" in settings.arms:
            head = row["oracle"]["rate"] - row[BASELINE]["rate"]
            row["headroom_points"] = 100 * head
            for a in settings.arms:
                if a in (BASELINE, "oracle"):
                    continue
                row[a]["share"] = (row[a]["rate"] - row[BASELINE]["rate"]) / head if head > 0 else None
                row[a]["share_interval"] = (list(_share_interval(proved, a, settings.bootstrap, b))
                                            if order else None)
        out["budgets"][str(b)] = row
    shapes: dict[str, dict] = {}
    for t in order:
        r = index[seeds[0]][t]
        key = f"{r['family']} d{r['difficulty']}"
        s = shapes.setdefault(key, {"theorems": 0, **{a: 0 for a in settings.arms}})
        s["theorems"] += 1
        for a in settings.arms:
            s[a] += sum(proved_within(index[sd][t]["arms"][a], settings.max_budget) for sd in seeds)
    out["by_shape"] = dict(sorted(shapes.items()))
    return out


def headline(summary: dict) -> str:
    """One line: the headroom at the largest budget and each learned or soft arm's share of it."""
    b = max(summary["budgets"], key=int)
    top = summary["budgets"][b]
    if "headroom_points" not in top:
        return f"budget {b}: " + ", ".join(f"{a} {100 * top[a]['rate']:.1f}%" for a in summary["arms"])
    shares = ", ".join(f"{a} {100 * top[a]['share']:.0f}%" for a in summary["arms"]
                       if a not in (BASELINE, "oracle") and top[a].get("share") is not None)
    rates = f"oracle {100 * top['oracle']['rate']:.1f}% vs LLM-only {100 * top[BASELINE]['rate']:.1f}%"
    return (f"headroom at budget {b}: {top['headroom_points']:.1f} points ({rates}); "
            f"share of it closed: {shares or 'none'}")


def plot_curves(summary: dict, path: Path) -> Path:
    """Proof rate against budget per arm (mean over seeds, band = min..max seed); headroom shares."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = sorted(int(b) for b in summary["budgets"])
    rows = [summary["budgets"][str(b)] for b in budgets]
    colours = {"llm_only": "tab:blue", "soft_norm": "tab:purple", "ebm": "tab:orange",
               "ebm_alpha1": "tab:red", "oracle": "tab:green"}
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for a in summary["arms"]:
        ax.plot(budgets, [100 * r[a]["rate"] for r in rows], "o-", color=colours[a], label=a)
        ax.fill_between(budgets, [100 * min(r[a]["per_seed"]) for r in rows],
                        [100 * max(r[a]["per_seed"]) for r in rows], color=colours[a], alpha=0.15)
        if "share" in rows[0].get(a, {}):
            ax2.plot(budgets, [100 * (r[a]["share"] or 0.0) for r in rows], "o-", color=colours[a], label=a)
    for axis in (ax, ax2):
        axis.set_xscale("log", base=2)
        axis.set_xticks(budgets, [str(b) for b in budgets])
        axis.set_xlabel("budget (expansions)")
        axis.grid(alpha=0.3)
    ax.set_ylabel("proof rate (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"{summary['theorems']} held-out theorems x {len(summary['seeds'])} seeds")
    ax.legend(loc="upper left")
    ax2.axhline(0, color="grey", lw=0.8)
    ax2.set_ylabel("share of the headroom closed (%)")
    ax2.set_title("(arm - LLM-only) / (oracle - LLM-only)")
    if ax2.lines[1:]:
        ax2.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def track_curves(summary: dict, out: Path) -> None:
    """The budget curves as TensorBoard scalars in ``out/tensorboard`` (step = budget), replaced on rerun."""
    from qed.train.tracking import open_tracker

    tracker = open_tracker(out)
    tracker.resume(0)
    for b, r in summary["budgets"].items():
        row: dict = {"kind": "compare", "step": int(b), "headroom_points": r.get("headroom_points")}
        for a in summary["arms"]:
            row[f"{a}_rate"] = r[a]["rate"]
            row[f"{a}_share"] = r[a].get("share")
        tracker.log(row)
    tracker.close()


def _fmt_share(r: dict) -> str:
    if r.get("share") is None:
        return "–"
    lo, hi = r.get("share_interval") or (float("nan"), float("nan"))
    return f"{100 * r['share']:.0f}% [{100 * lo:.0f}, {100 * hi:.0f}]"


def render_report(summary: dict, ebm: dict[int, dict], seconds: float) -> str:
    """``report.md``: the settings, the budget-curve table, shares, McNemar per seed, by shape."""
    arms = summary["arms"]
    lines = [f"# Values at the same budget ({summary['theorems']} held-out theorems × seeds "
             f"{summary['seeds']})", "",
             f"{seconds / 60:.1f} minutes. Settings: `{json.dumps(summary['settings'], sort_keys=True)}`", "",
             "Proof rate per arm (mean over seeds; per-seed rates in `summary.json`); difference against "
             "LLM-only in points with a 95% bootstrap interval over theorems (all seeds of a theorem "
             "resampled together); share of the headroom = (arm − LLM-only) / (oracle − LLM-only).", "",
             "| budget | " + " | ".join(arms) + " | headroom (pts) | "
             + " | ".join(f"{a} − LLM (pts)" for a in arms if a != BASELINE)
             + " | " + " | ".join(f"{a} share" for a in arms if a not in (BASELINE, "oracle")) + " |",
             "|" + "---|" * (2 + 2 * len(arms) - 1 + len([a for a in arms if a not in (BASELINE, "oracle")]))]
    for b, r in summary["budgets"].items():
        cells = [f"{100 * r[a]['rate']:.1f}%" for a in arms]
        diffs = [f"{r[a]['vs_llm_points']:+.1f} [{r[a]['vs_llm_interval'][0]:+.1f}, "
                 f"{r[a]['vs_llm_interval'][1]:+.1f}]" for a in arms if a != BASELINE]
        shares = [_fmt_share(r[a]) for a in arms if a not in (BASELINE, "oracle")]
        hr = f"{r['headroom_points']:.1f}" if "headroom_points" in r else "–"
        lines.append(f"| {b} | " + " | ".join(cells) + f" | {hr} | " + " | ".join(diffs)
                     + (" | " + " | ".join(shares) if shares else "") + " |")
    lines += ["", "Exact McNemar per seed (theorems proved only by the arm / only by LLM-only, p):", "",
              "| budget | arm | " + " | ".join(f"seed {s}" for s in summary["seeds"]) + " |",
              "|---|---|" + "---|" * len(summary["seeds"])]
    for b, r in summary["budgets"].items():
        for a in arms:
            if a == BASELINE:
                continue
            cells = [f"{m['only_arm']} / {m['only_llm']}, p = {m['p_mcnemar']:.2g}"
                     for m in r[a]["mcnemar_per_seed"]]
            lines.append(f"| {b} | {a} | " + " | ".join(cells) + " |")
    top = max(int(b) for b in summary["budgets"])
    lines += ["", f"By shape (proved at budget {top}, summed over seeds):", "",
              "| family, difficulty | theorems × seeds | " + " | ".join(arms) + " |",
              "|---|---|" + "---|" * len(arms)]
    for shape, s in summary["by_shape"].items():
        lines.append(f"| {shape} | {s['theorems'] * len(summary['seeds'])} | "
                     + " | ".join(str(s[a]) for a in arms) + " |")
    if ebm:
        lines += ["", "Learned head per seed (validation groups of the training trees):", "",
                  "| seed | val rank-1 | chance | steps |", "|---|---|---|---|"]
        for s, m in sorted(ebm.items()):
            nan = float("nan")
            lines.append(f"| {s} | {m.get('val_rank1', nan):.3f} | {m.get('chance', nan):.3f} | "
                         f"{m.get('steps', '')} |")
    lines += ["", "![budget curves](curves.png)", ""]
    return "\n".join(lines)


def run_compare(heldout: Sequence[dict], train: Sequence[dict], out: Path, settings: CompareSettings,
                advance: Callable[[int, str], None] = lambda seed, what: None) -> dict:
    """Every seed (resumable), then ``summary.json``, ``report.md`` and ``curves.png`` in ``out``."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    if {"ebm", "ebm_alpha1"} & set(settings.arms) and not train:
        raise ValueError("the ebm arm needs training theorems (--train)")
    by_seed, ebm = {}, {}
    for s in settings.seeds:
        by_seed[s] = run_seed(heldout, train, out / f"seed_{s}", settings, s,
                              advance=lambda what, s=s: advance(s, what))
        m = out / f"seed_{s}" / "ebm_metrics.json"
        if m.exists():
            ebm[s] = json.loads(m.read_text(encoding="utf-8"))
    summary = summarise(by_seed, settings)
    summary["seconds"] = time.perf_counter() - t0
    summary["ebm"] = {str(s): {k: m.get(k) for k in ("val_rank1", "chance", "steps")} for s, m in ebm.items()}
    atomic_write_json(out / "summary.json", summary)
    plot_curves(summary, out / "curves.png")
    track_curves(summary, out)
    atomic_write_text(out / "report.md", render_report(summary, ebm, summary["seconds"]))
    return summary
