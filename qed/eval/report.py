"""The expert-iteration report: ``iter_<k>/eval/metrics.json`` and ``iter_<k>/eval/report.md``.

Owns reading what the stages of one iteration wrote (held-out proof search of the three
configurations, EBM and embedding metrics, the joint run's metrics) into one metrics dict, the
A→B, B→C, A→C comparison, the proof-rate plot, and the Markdown. It does not run anything and
does not know how the files were made; the file layout is the one ``qed iterate`` writes.

Configurations (held-out theorems, same search budget):
A = iteration-0 policy + decoupled EBM on frozen iteration-0 embeddings;
B = iteration-k policy + decoupled EBM on frozen iteration-k embeddings;
C = iteration-k policy + the energy head trained jointly with it;
LLM-only = each policy without a value function.
"""

from __future__ import annotations

import json
from pathlib import Path

from qed.data.rundir import atomic_write_text
from qed.eval.summary import rate


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _arm(s: dict | None) -> dict | None:
    if s is None:
        return None
    return {**rate(s["proved"], s["attempted"]), "mean_expansions": s.get("mean_expansions")}


def proof_rates(it_dir: Path, k: int) -> dict:
    """Held-out proof rates of the configurations evaluated at iteration ``k`` (name -> rate dict)."""
    ev = it_dir / "eval"
    if k == 0:
        table = _read(ev / "A" / "compare.json") or {}
        return {"A": _arm(table.get("configured")), "llm-only (iter 0)": _arm(table.get("llm-only"))}
    table = _read(ev / "C" / "compare.json") or {}
    return {"B": _arm(_read(ev / "B" / "summary.json")), "C": _arm(table.get("configured")),
            f"llm-only (iter {k})": _arm(table.get("llm-only"))}


def encoder_metrics(it_dir: Path) -> dict:
    emb = _read(it_dir / "eval" / "embeddings" / "metrics.json") or {}
    ebm = _read(it_dir / "eval" / "ebm" / "metrics.json") or {}
    deep = (ebm.get("rank1_by_depth") or {}).get("4+") or {}
    return {
        "centroid_l2": emb.get("centroid_l2"),
        "linear_probe_accuracy": emb.get("linear_probe_accuracy"),
        "effective_rank": emb.get("effective_rank"),
        "states": emb.get("states"),
        "dual_label_rate": emb.get("dual_label_rate"),
        "ebm_rank1": ebm.get("rank1"),
        "ebm_rank1_depth4": deep.get("rank1"),
        "ebm_groups_depth4": deep.get("groups"),
        "ebm_groups": ebm.get("groups"),
        "ebm_chance": ebm.get("chance"),
        "ebm_temperature": ebm.get("temperature"),
    }


def joint_metrics(it_dir: Path) -> dict | None:
    m = _read(it_dir / "joint" / "metrics.json")
    if m is None:
        return None
    keys = ("steps", "val_sft_loss", "val_nce_loss", "val_rank1", "centroid_l2", "first_centroid_l2",
            "probe_accuracy", "temperature")
    return {**{key: m.get(key) for key in keys}, "alarms": [a.get("message") for a in m.get("alarms", [])]}


def search_stats(it_dir: Path) -> dict | None:
    s = _read(it_dir / "search" / "summary.json")
    return None if s is None else {"proved": s["proved"], "attempted": s["attempted"], "rate": s["rate"]}


def iteration_metrics(root: Path, k: int) -> dict:
    d = root / f"iter_{k}"
    m = {"iteration": k, "proof_rates": proof_rates(d, k), "encoder": encoder_metrics(d),
         "search_train": search_stats(d), "joint": joint_metrics(d) if k > 0 else None}
    if k > 0:
        a = iteration_metrics(root, 0)
        m["A"] = {"proof_rate": a["proof_rates"]["A"], "encoder": a["encoder"]}
        m["deltas"] = deltas(m)
    return m


def _diff(x, y):
    return None if x is None or y is None else y - x


def deltas(m: dict) -> dict:
    """A→B, B→C and A→C differences: proof rate; encoder metrics where both sides have them."""
    pr = m["proof_rates"]
    rate_of = {"A": (m["A"]["proof_rate"] or {}).get("rate"), "B": (pr["B"] or {}).get("rate"),
               "C": (pr["C"] or {}).get("rate")}
    enc_a, enc_k, joint = m["A"]["encoder"], m["encoder"], m["joint"] or {}
    return {
        "A→B": {"proof_rate": _diff(rate_of["A"], rate_of["B"]),
                "centroid_l2": _diff(enc_a["centroid_l2"], enc_k["centroid_l2"]),
                "linear_probe_accuracy": _diff(enc_a["linear_probe_accuracy"],
                                               enc_k["linear_probe_accuracy"]),
                "ebm_rank1": _diff(enc_a["ebm_rank1"], enc_k["ebm_rank1"])},
        "B→C": {"proof_rate": _diff(rate_of["B"], rate_of["C"]),
                "ebm_rank1": _diff(enc_k["ebm_rank1"], joint.get("val_rank1"))},
        "A→C": {"proof_rate": _diff(rate_of["A"], rate_of["C"])},
    }


def plot_rates(rows: dict, dest: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, r in rows.items() if r and r["rate"] is not None]
    fig, ax = plt.subplots(figsize=(1.6 * max(len(names), 2) + 1, 3.2))
    vals = [rows[n]["rate"] for n in names]
    # max(0, …): at a rate of 0 or 1 the Wilson bound equals the rate up to rounding
    err = [[max(0.0, v - rows[n]["ci95"][0]) for n, v in zip(names, vals, strict=True)],
           [max(0.0, rows[n]["ci95"][1] - v) for n, v in zip(names, vals, strict=True)]]
    ax.bar(names, vals, yerr=err, capsize=4, color="#4c72b0")
    ax.set_ylabel("held-out proof rate (95% Wilson)")
    ax.set_ylim(0, 1)
    fig.tight_layout()
    fig.savefig(dest, dpi=110)
    plt.close(fig)


def _f(x, fmt: str = ".3f") -> str:
    return "–" if x is None else format(x, fmt)


def _pct(r: dict | None) -> str:
    if not r or r["rate"] is None:
        return "–"
    lo, hi = r["ci95"]
    return f"{r['rate']:.1%} ({r['proved']}/{r['attempted']}; {lo:.1%}–{hi:.1%})"


def _signed(x, pct: bool = False) -> str:
    if x is None:
        return "–"
    return f"{x:+.1%}" if pct else f"{x:+.3f}"


def render(m: dict) -> str:
    k = m["iteration"]
    rows = dict(m["proof_rates"])
    if k > 0:
        rows = {"A": m["A"]["proof_rate"], **rows}
    legend = "A = iteration-0 policy + decoupled EBM (frozen iteration-0 embeddings); "
    if k > 0:
        legend += (f"B = iteration-{k} policy + decoupled EBM (frozen iteration-{k} embeddings); "
                   f"C = iteration-{k} policy + jointly trained EBM; ")
    lines = [f"# Expert iteration: iteration {k}", "",
             legend + "LLM-only = the policy alone. Held-out theorems, same search budget.", "",
             "## Held-out proof rate (95% Wilson interval)", "",
             "| configuration | proof rate |", "|---|---|"]
    lines += [f"| {n} | {_pct(r)} |" for n, r in rows.items()]
    lines += ["", "![proof rates](proof_rates.png)", "", "## Encoder and EBM metrics", "",
              "Embedding metrics over this iteration's search trees (labelled states), EBM metrics of the "
              "decoupled head on its validation groups (split by theorem).", "",
              "| encoder | centroid_l2 | linear probe | eff. rank | EBM rank-1 | rank-1 depth 4+ (groups) "
              "| chance |",
              "|---|---|---|---|---|---|---|"]
    encs = ([("iteration 0 (A)", m["A"]["encoder"])] if k > 0 else []) + [
        (f"iteration {k}" + (" (B)" if k > 0 else " (A)"), m["encoder"])]
    for label, e in encs:
        lines.append(f"| {label} | {_f(e['centroid_l2'])} | {_f(e['linear_probe_accuracy'])} | "
                     f"{_f(e['effective_rank'], '.2f')} | {_f(e['ebm_rank1'])} | {_f(e['ebm_rank1_depth4'])} "
                     f"({e['ebm_groups_depth4'] if e['ebm_groups_depth4'] is not None else '–'}) | "
                     f"{_f(e['ebm_chance'])} |")
    j = m.get("joint")
    if j:
        lines += ["", "## Joint training (C's head and the iteration's policy)", "",
                  f"steps {j['steps']}; validation SFT loss {_f(j['val_sft_loss'])}, validation InfoNCE "
                  f"{_f(j['val_nce_loss'])}, validation rank-1 of the joint head {_f(j['val_rank1'])} "
                  f"(its own validation groups from the previous iteration's trees); probe centroid_l2 "
                  f"{_f(j['first_centroid_l2'])} → {_f(j['centroid_l2'])}, linear probe "
                  f"{_f(j['probe_accuracy'])}, temperature {_f(j['temperature'])}; alarms: "
                  f"{'; '.join(j['alarms']) or 'none'}.", "", "![joint training](../joint/joint.png)"]
    if k > 0:
        d = m["deltas"]
        lines += ["", "## Comparisons", "",
                  "| step | question | proof rate | other |", "|---|---|---|---|",
                  f"| A→B | did joint training protect the embeddings? | "
                  f"{_signed(d['A→B']['proof_rate'], True)} | "
                  f"centroid_l2 {_signed(d['A→B']['centroid_l2'])}, "
                  f"linear probe {_signed(d['A→B']['linear_probe_accuracy'])}, decoupled rank-1 "
                  f"{_signed(d['A→B']['ebm_rank1'])} |",
                  f"| B→C | did the live gradients help the head? | "
                  f"{_signed(d['B→C']['proof_rate'], True)} | rank-1 joint head − decoupled head "
                  f"{_signed(d['B→C']['ebm_rank1'])} (different validation groups) |",
                  f"| A→C | total | {_signed(d['A→C']['proof_rate'], True)} | |",
                  "", "Differences smaller than the Wilson intervals above are not evidence either way."]
    s = m.get("search_train")
    if s:
        lines += ["", "## Search on the training theorems", "",
                  f"{s['proved']}/{s['attempted']} proved ({_f(s['rate'], '.1%')}); their trees are this "
                  "iteration's trajectories."]
    lines += ["", "## Plots", "", "- `eval/embeddings/*.png` (eigen spectrum, sibling distances)",
              "- `eval/ebm/energy_hist.png`, `ebm/loss.png`", ""]
    return "\n".join(lines)


def write_iteration_report(root: Path, k: int) -> Path:
    """Write ``iter_<k>/eval/metrics.json``, ``proof_rates.png`` and ``report.md`` (last); return its path."""
    ev = root / f"iter_{k}" / "eval"
    ev.mkdir(parents=True, exist_ok=True)
    m = iteration_metrics(root, k)
    atomic_write_text(ev / "metrics.json", json.dumps(m, indent=1, ensure_ascii=False) + "\n")
    rows = dict(m["proof_rates"])
    if k > 0:
        rows = {"A": m["A"]["proof_rate"], **rows}
    plot_rates(rows, ev / "proof_rates.png")
    return atomic_write_text(ev / "report.md", render(m))
