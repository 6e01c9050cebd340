"""Headroom of a benchmark: how many more theorems a perfect value would prove at the same budget.

Owns the measurement (docs/science.md): for each theorem of a deep-benchmark file,

1. a **big search**: LLM-only best-first with ``big_expansions`` (default ``factor`` x the
   largest budget);
2. its **hindsight labels** (``qed.search.oracle``);
3. at each budget ``B``: best-first **LLM-only** and best-first with the **oracle value**
   (same policy, same candidates, ``alpha``), and once, at the largest budget, a **generic**
   prover (``FixedPolicy`` over ``SANDBOX_TACTICS``, no menu) as a reference for how deep
   the theorems are for a policy without the benchmark's moves.

Headroom at ``B`` = oracle proof rate - LLM-only proof rate, with the paired statistics of
``qed.eval.paired`` (Wilson intervals, bootstrap interval of the difference, exact McNemar).
The policy is ``qed.policy.menu.MenuPolicy`` over each row's ``menu``, the proof's own
tactics weighted ``favour`` times a wrong turn. One line per theorem goes to
``OUT/theorems.jsonl`` as it finishes (a rerun skips the theorems already there), then
``OUT/summary.json``, ``OUT/headroom.png`` and the budget curve as TensorBoard scalars in
``OUT/tensorboard/`` (``qed.train.tracking``). Knows nothing about config or Typer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from qed.core import Theorem
from qed.data.rundir import atomic_write_json
from qed.env.sandbox.env import SandboxEnv
from qed.eval.paired import compare
from qed.policy.menu import MenuPolicy
from qed.policy.scripted import SANDBOX_TACTICS, FixedPolicy
from qed.search.best_first import SearchSettings, best_first
from qed.search.oracle import OracleValue, hindsight_labels
from qed.search.result import Budget
from qed.train.tracking import open_tracker


@dataclass(frozen=True)
class HeadroomSettings:
    """The one place for the measurement's defaults (``qed science headroom`` options)."""

    budgets: tuple[int, ...] = (8, 16, 32, 64)
    factor: int = 50
    big_expansions: int = 0  # 0: factor x max(budgets)
    candidates: int = 32
    favour: float = 3.0
    alpha: float = 0.5
    seed: int = 0
    max_seconds: float = 600.0

    def __post_init__(self) -> None:
        if not self.budgets or min(self.budgets) < 1:
            raise ValueError(f"budgets must be positive, got {self.budgets}")
        if self.favour <= 0:
            raise ValueError(f"favour must be positive, got {self.favour}")

    @property
    def big(self) -> int:
        return self.big_expansions or self.factor * max(self.budgets)


def theorem_of(row: dict) -> Theorem:
    return Theorem(row["name"], row["formal_statement"], header=row.get("header", ""),
                   split=row.get("split", ""), proof=row.get("proof"))


def menu_policy(rows: Sequence[dict], settings: HeadroomSettings) -> MenuPolicy:
    """``MenuPolicy`` over the rows' menus; the proof's own tactics weigh ``favour``."""
    weights = {}
    for r in rows:
        proof = {line.strip() for line in (r.get("proof") or "").split("\n") if line.strip()}
        weights[r["name"]] = {t: settings.favour for t in r["menu"] if t in proof}
    return MenuPolicy({r["name"]: r["menu"] for r in rows}, weights=weights, seed=settings.seed)


def measure_theorem(row: dict, *, env: SandboxEnv, policy: MenuPolicy, settings: HeadroomSettings) -> dict:
    """One theorem: big search, labels, then LLM-only and oracle at each budget, generic once."""
    thm = theorem_of(row)
    c, s = settings.candidates, settings.max_seconds
    big = best_first(thm, env=env, policy=policy, value=None,
                     budget=Budget(max_expansions=settings.big, candidates=c, max_seconds=s))
    labels = hindsight_labels(big)
    oracle = OracleValue([labels])
    search = SearchSettings(alpha=settings.alpha)
    arms: dict[str, dict[str, int]] = {}
    for b in settings.budgets:
        budget = Budget(max_expansions=b, candidates=c, max_seconds=s)
        p = best_first(thm, env=env, policy=policy, value=None, budget=budget, settings=search)
        o = best_first(thm, env=env, policy=policy, value=oracle, budget=budget, settings=search)
        arms[str(b)] = {"policy": int(p.proved), "oracle": int(o.proved),
                        "policy_expansions": p.stats.expansions, "oracle_expansions": o.stats.expansions}
    generic = best_first(thm, env=env, policy=FixedPolicy(SANDBOX_TACTICS), value=None,
                         budget=Budget(max_expansions=max(settings.budgets), candidates=c, max_seconds=s))
    return {
        "name": thm.name, "family": row.get("family", ""), "difficulty": row.get("difficulty"),
        "proof_length": row.get("proof_length"),
        "big_proved": int(big.proved), "big_expansions": big.stats.expansions,
        "big_proof_length": len(big.proof_tactics()), "big_stop": str(big.stop_reason),
        "labels_path": len(labels.distance), "labels_dead": len(labels.dead),
        "generic_proved": int(generic.proved), "generic_proof": list(generic.proof_tactics()),
        "budgets": arms,
    }


def summarise(results: Sequence[dict], settings: HeadroomSettings) -> dict:
    """Per budget: LLM-only vs oracle (paired), headroom in points; per family; the big search."""
    out: dict = {"theorems": len(results), "settings": asdict(settings) | {"big": settings.big},
                 "big_proved": sum(r["big_proved"] for r in results),
                 "generic_proved_at_max_budget": sum(r["generic_proved"] for r in results),
                 "budgets": {}, "families": {}}
    for b in settings.budgets:
        pol = [bool(r["budgets"][str(b)]["policy"]) for r in results]
        orc = [bool(r["budgets"][str(b)]["oracle"]) for r in results]
        cmp = compare(pol, orc, seed=settings.seed)
        out["budgets"][str(b)] = {"headroom_points": 100 * cmp.diff, **cmp.as_dict()}
    for fam in sorted({r["family"] for r in results}):
        sub = [r for r in results if r["family"] == fam]
        out["families"][fam] = {
            "theorems": len(sub), "big_proved": sum(r["big_proved"] for r in sub),
            **{f"headroom_points_{b}": 100 * (sum(r["budgets"][str(b)]["oracle"] for r in sub)
                                             - sum(r["budgets"][str(b)]["policy"] for r in sub)) / len(sub)
               for b in settings.budgets},
        }
    return out


def read_done(path: Path) -> list[dict]:
    """Complete lines of a ``theorems.jsonl`` (a torn last line from a killed run is dropped)."""
    if not path.exists():
        return []
    done = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            done.append(json.loads(line))
        except json.JSONDecodeError:
            break
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in done), encoding="utf-8")
    return done


def run_headroom(rows: Sequence[dict], out: Path, settings: HeadroomSettings,
                 advance: Callable[[dict], None] = lambda r: None) -> dict:
    """Measure every row not yet in ``out/theorems.jsonl``; write the summary and the plot."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "theorems.jsonl"
    results = read_done(path)
    done = {r["name"] for r in results}
    env, policy = SandboxEnv(), menu_policy(rows, settings)
    with path.open("a", encoding="utf-8") as fh:
        for row in rows:
            if row["name"] in done:
                continue
            r = measure_theorem(row, env=env, policy=policy, settings=settings)
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            fh.flush()
            results.append(r)
            advance(r)
    summary = summarise(results, settings)
    atomic_write_json(out / "summary.json", summary)
    plot_headroom(summary, out / "headroom.png")
    tracker = open_tracker(out)  # the budget curve as TensorBoard scalars (step = budget)
    for b, r in summary["budgets"].items():
        tracker.log({"kind": "headroom", "step": int(b), "llm_only_rate": r["rate_a"],
                     "oracle_rate": r["rate_b"], "headroom_points": r["headroom_points"],
                     "p_mcnemar": r["p_mcnemar"]})
    tracker.close()
    return summary


def plot_headroom(summary: dict, path: Path) -> Path:
    """Proof rate against budget: LLM-only and oracle (Wilson intervals), the headroom shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = sorted(int(b) for b in summary["budgets"])
    rows = [summary["budgets"][str(b)] for b in budgets]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label, colour in (("a", "LLM-only", "tab:blue"), ("b", "oracle value", "tab:green")):
        rate = [100 * r[f"rate_{key}"] for r in rows]
        lo = [100 * r[f"wilson_{key}"][0] for r in rows]
        hi = [100 * r[f"wilson_{key}"][1] for r in rows]
        ax.plot(budgets, rate, "o-", color=colour, label=label)
        ax.fill_between(budgets, lo, hi, color=colour, alpha=0.15)
    n = summary["theorems"]
    if n:
        ax.axhline(100 * summary["big_proved"] / n, ls="--", color="grey",
                   label=f"big search ({summary['settings']['big']} expansions)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(budgets, [str(b) for b in budgets])
    ax.set_xlabel("budget (expansions)")
    ax.set_ylabel("proof rate (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"headroom on {n} theorems")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
