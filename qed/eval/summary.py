"""The summary of a proving run: proof rate with a 95% Wilson interval, per-category rates,
unsupported statements and infrastructure failures counted apart, time breakdown.

Owns the categories (miniF2F name prefixes), the Wilson score interval, and the summary's
JSON shape. Input is the list of per-theorem records ``qed.eval.prove`` writes to
``results.jsonl``; output a plain dict (written as ``summary.json``). Knows nothing about
search internals, files or printing (the CLI draws the table).

Rates count only theorems whose search ran to an answer: ``proved`` over ``proved +
failed``. ``unsupported`` (the env rejected the statement) and ``error`` (the env crashed:
an infrastructure failure, never "not proved") are reported as counts beside the rate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

CATEGORIES = (
    "mathd_algebra",
    "mathd_numbertheory",
    "amc12",
    "aime",
    "imo",
    "induction",
    "algebra",
    "numbertheory",
)
OTHER = "other"
Z95 = 1.959963984540054


def category(name: str) -> str:
    """The miniF2F category of a theorem name (its prefix), ``"other"`` for none."""
    for prefix in CATEGORIES:
        if name.startswith(prefix):
            return prefix
    return OTHER


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion; (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= trials:
        raise ValueError(f"successes {successes} not in [0, {trials}]")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(proved: int, attempted: int) -> dict:
    lo, hi = wilson(proved, attempted)
    return {
        "proved": proved,
        "attempted": attempted,
        "rate": proved / attempted if attempted else None,
        "ci95": [lo, hi],
    }


def summarize(records: Sequence[dict]) -> dict:
    """The summary dict of per-theorem ``records`` (see the module docstring)."""
    by_status = {
        s: [r for r in records if r["status"] == s] for s in ("proved", "failed", "error", "unsupported")
    }
    proved, failed = len(by_status["proved"]), len(by_status["failed"])
    cats: dict[str, dict] = {}
    for cat in (*CATEGORIES, OTHER):
        rs = [r for r in records if r.get("category", category(r["name"])) == cat]
        if not rs:
            continue
        p = sum(r["status"] == "proved" for r in rs)
        a = sum(r["status"] in ("proved", "failed") for r in rs)
        cats[cat] = {
            **rate(p, a),
            "unsupported": sum(r["status"] == "unsupported" for r in rs),
            "errors": sum(r["status"] == "error" for r in rs),
        }
    searched = [r for r in records if r["status"] in ("proved", "failed", "error")]
    seconds = {
        k: sum(r.get(k, 0.0) for r in searched)
        for k in ("wall_seconds", "env_seconds", "policy_seconds", "value_seconds", "overhead_seconds")
    }
    return {
        "theorems": len(records),
        **rate(proved, proved + failed),
        "failed": failed,
        "unsupported": len(by_status["unsupported"]),
        "infrastructure_errors": len(by_status["error"]),
        "error_theorems": sorted(r["name"] for r in by_status["error"]),
        "categories": cats,
        "mean_expansions": _mean(r["expansions"] for r in searched),
        "mean_expansions_proved": _mean(r["expansions"] for r in by_status["proved"]),
        "mean_proof_length": _mean(len(r["proof"]) for r in by_status["proved"]),
        "seconds": seconds,
        "overhead_fraction": seconds["overhead_seconds"] / seconds["wall_seconds"]
        if seconds["wall_seconds"]
        else None,
    }


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def compare(arms: dict[str, Sequence[dict]]) -> dict:
    """Side-by-side rates of several arms (``{arm name: records}``) and which theorems each alone proved."""
    proved = {name: {r["name"] for r in rs if r["status"] == "proved"} for name, rs in arms.items()}
    out = {}
    for name, rs in arms.items():
        s = summarize(rs)
        others = set().union(*(p for n, p in proved.items() if n != name))
        out[name] = {
            k: s[k]
            for k in (
                "theorems",
                "proved",
                "attempted",
                "rate",
                "ci95",
                "unsupported",
                "infrastructure_errors",
                "mean_expansions",
            )
        }
        out[name]["categories"] = {c: v["rate"] for c, v in s["categories"].items()}
        out[name]["only_this_arm"] = sorted(proved[name] - others)
    return out
