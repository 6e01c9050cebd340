"""The data report of a prepared (and possibly traced) corpus directory: ``qed data report``.

Reads what ``prepare`` and ``qed data trace`` wrote (``stages.json``, ``records.jsonl``,
``removed.jsonl``, ``contamination.jsonl``, ``traced.jsonl`` when present) and returns one
JSON-ready dict: rows per source and stage, sorry rates, proof-length and nesting-depth
distributions, duplicates and contamination found (with examples), Lean versions and
licenses, and the tracing yield with its failure causes. ``markdown`` renders it;
``plots`` draws the funnel, proof lengths and tracing yield (matplotlib, when installed).
Reads files; writes only where ``plots`` is told to.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from qed.core.lean_text import blank_comments
from qed.data.corpora.prepare import REMOVED, STAGES

__all__ = ["build_report", "markdown", "plots", "proof_shape"]


def _lines(path: Path) -> Iterator[dict]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue


def proof_shape(proof: str) -> tuple[int, int]:
    """(tactic lines, nesting depth) of a tactic block: non-blank lines without comments, and
    the number of distinct indentation levels (1 for a flat proof)."""
    lines = [x for x in blank_comments(proof).split("\n") if x.strip()]
    indents = sorted({len(x) - len(x.lstrip(" ")) for x in lines})
    return len(lines), len(indents)


def _quantiles(values: list[int]) -> dict:
    if not values:
        return {"n": 0}
    v = sorted(values)

    def q(p: float) -> int:
        return v[min(len(v) - 1, int(p * len(v)))]

    return {"n": len(v), "mean": round(sum(v) / len(v), 2), "p50": q(0.5), "p90": q(0.9), "max": v[-1]}


def build_report(data: Path) -> dict:
    """The report of directory ``data`` (see the module docstring)."""
    stages_path = data / "stages.json"
    if not stages_path.exists():
        raise FileNotFoundError(f"{stages_path}: no such file (run `qed data prepare --out {data}` first)")
    stages = json.loads(stages_path.read_text(encoding="utf-8"))
    counts = stages["counts"]
    sources = {s["corpus"]: s for s in stages.get("sources", [])}
    lengths: dict[str, list[int]] = defaultdict(list)
    depths: dict[str, list[int]] = defaultdict(list)
    versions: dict[str, Counter] = defaultdict(Counter)
    for rec in _lines(data / "records.jsonl"):
        versions[rec["source"]][rec.get("lean_version", "") or "unknown"] += 1
        for proof in rec.get("proofs", [])[:1]:
            n, d = proof_shape(proof)
            lengths[rec["source"]].append(n)
            depths[rec["source"]].append(d)
    duplicates, dup_examples = Counter(), []
    for row in _lines(data / "removed.jsonl"):
        if row["stage"] == "duplicate":
            duplicates[row["source"]] += 1
            if len(dup_examples) < 10:
                dup_examples.append({"name": row["name"], "of": row.get("of", "")})
    contamination = list(_lines(data / "contamination.jsonl"))
    per_source = {}
    for key, c in counts.items():
        proofs_in = c.get("proofs_in", 0)
        per_source[key] = {
            "stages": {s: c.get(s, 0) for s in STAGES},
            "splits": stages.get("splits", {}).get(key, {}),
            "proofs": proofs_in,
            "sorry_rate": round(c.get("proofs_unsound", 0) / proofs_in, 4) if proofs_in else 0.0,
            "proof_lines": _quantiles(lengths.get(key, [])),
            "proof_depth": _quantiles(depths.get(key, [])),
            "lean_versions": dict(versions.get(key, Counter())),
            "license": sources.get(key, {}).get("license", ""),
            "from": sources.get(key, {}).get("from", ""),
            "duplicates": duplicates.get(key, 0),
            "contaminated": sum(1 for m in contamination if m["source"] == key),
        }
    doc = {
        "dir": str(data),
        "sources": per_source,
        "settings": stages.get("settings", {}),
        "contamination": {
            "total": len(contamination),
            "by_kind": dict(Counter(m["kind"] for m in contamination)),
            "examples": contamination[:10],
        },
        "duplicate_examples": dup_examples,
    }
    traced = list(_lines(data / "traced.jsonl"))
    if traced:
        doc["tracing"] = _tracing(traced)
    return doc


def _tracing(traced: list[dict]) -> dict:
    out: dict[str, dict] = {}
    for key in sorted({t["source"] for t in traced}):
        rows = [t for t in traced if t["source"] == key]
        status = Counter(t["status"] for t in rows)
        with_proof = sum(v for s, v in status.items() if s != "no_proof")
        ok = status.get("checked", 0) + status.get("pretraced", 0)
        causes = Counter(
            f"{t['kind']}: {t['cause']}" if t["kind"] else t["cause"]
            for t in rows
            if t["status"] in ("failed", "rejected")
        )
        out[key] = {
            "records": len(rows),
            "status": dict(status),
            "yield": round(ok / with_proof, 4) if with_proof else 0.0,
            "pairs": sum(len(t["steps"]) for t in rows),
            "train_pairs": sum(len(t["steps"]) for t in rows if t.get("split", "train") == "train"),
            "steps_per_proof": _quantiles([len(t["steps"]) for t in rows if t["steps"]]),
            "causes": causes.most_common(12),
        }
    return out


def markdown(doc: dict) -> str:
    """The report as Markdown tables."""
    out = [f"# Data report: {doc['dir']}", "", "## Rows per source and stage", ""]
    out.append("| source | " + " | ".join(STAGES) + " | train / valid / test |")
    out.append("|---|" + "---:|" * len(STAGES) + "---|")
    for key, s in doc["sources"].items():
        sp = s["splits"]
        out.append(
            f"| {key} | "
            + " | ".join(str(s["stages"][st]) for st in STAGES)
            + f" | {sp.get('train', 0)} / {sp.get('valid', 0)} / {sp.get('test', 0)} |"
        )
    out += [
        "",
        "## Proofs",
        "",
        "| source | proofs | sorry rate | lines p50 / p90 / max | depth p50 / max | Lean | license |",
        "|---|---:|---:|---|---|---|---|",
    ]
    for key, s in doc["sources"].items():
        pl, pd = s["proof_lines"], s["proof_depth"]
        lines = f"{pl.get('p50', '-')} / {pl.get('p90', '-')} / {pl.get('max', '-')}"
        depth = f"{pd.get('p50', '-')} / {pd.get('max', '-')}"
        lean = ", ".join(f"{v} ({n})" for v, n in s["lean_versions"].items())
        out.append(
            f"| {key} | {s['proofs']} | {s['sorry_rate']:.1%} | {lines} | {depth} | {lean} | {s['license']} |"
        )
    c = doc["contamination"]
    out += [
        "",
        "## Duplicates and contamination",
        "",
        f"Duplicates removed: {sum(s['duplicates'] for s in doc['sources'].values())}. "
        f"Benchmark matches: {c['total']} ({_kinds(c['by_kind'])}).",
        "",
    ]
    for m in c["examples"]:
        out.append(
            f"- `{m['name']}`: {m['kind']} match of {m['benchmark']}/`{m['benchmark_name']}` "
            f"(score {m['score']:g})"
        )
    if "tracing" in doc:
        out += [
            "",
            "## Tracing into (state, tactic) pairs",
            "",
            "| source | records | checked | pre-traced | failed | rejected | no proof | yield "
            "| pairs (train) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for key, t in doc["tracing"].items():
            st = t["status"]
            out.append(
                f"| {key} | {t['records']} | {st.get('checked', 0)} | {st.get('pretraced', 0)} | "
                f"{st.get('failed', 0)} | {st.get('rejected', 0)} | {st.get('no_proof', 0)} | "
                f"{t['yield']:.1%} | {t['pairs']} ({t['train_pairs']}) |"
            )
        for key, t in doc["tracing"].items():
            if t["causes"]:
                out += ["", f"Failure causes, {key}:", ""]
                out += [f"- {n} × {cause}" for cause, n in t["causes"]]
    return "\n".join(out) + "\n"


def _kinds(by_kind: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in by_kind.items()) or "none"


def plots(doc: dict, out: Path) -> list[Path]:
    """``funnel.png``, ``proof_lines.png`` and (when traced) ``tracing.png`` in ``out``;
    an empty list when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written = []
    keys = list(doc["sources"])
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.5 * len(keys)))
    stages = ("kept", *REMOVED)
    left = [0] * len(keys)
    for stage in stages:
        vals = [doc["sources"][k]["stages"][stage] for k in keys]
        if any(vals):
            ax.barh(keys, vals, left=left, label=stage)
            left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlabel("rows")
    ax.set_title("what became of each source's rows")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    written.append(_save(fig, out / "funnel.png"))
    fig, ax = plt.subplots(figsize=(7, 4))
    for k in keys:
        q = doc["sources"][k]["proof_lines"]
        if q.get("n"):
            ax.bar(k, q["p50"], alpha=0.8)
            ax.errorbar(k, q["p50"], yerr=[[0], [q["p90"] - q["p50"]]], color="black", capsize=4)
    ax.set_ylabel("tactic lines of the proof (median, to p90)")
    ax.set_title("proof length per source")
    fig.tight_layout()
    written.append(_save(fig, out / "proof_lines.png"))
    if "tracing" in doc:
        fig, ax = plt.subplots(figsize=(7, 4))
        tk = list(doc["tracing"])
        ax.bar(tk, [doc["tracing"][k]["yield"] * 100 for k in tk])
        ax.set_ylabel("% of records with a proof that trace")
        ax.set_ylim(0, 100)
        ax.set_title("tracing yield per source")
        fig.tight_layout()
        written.append(_save(fig, out / "tracing.png"))
    plt.close("all")
    return written


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
