"""``qed science deep`` (write the deep benchmark) and ``qed science headroom`` (measure it).

The measurement itself is ``qed.cli.headroom``; the families are
``qed.env.sandbox.deep_families``. docs/science.md describes the protocol.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qed.cli.headroom import HeadroomSettings

science_app = typer.Typer(no_args_is_help=True)
console = Console()
err = Console(stderr=True)
_D = HeadroomSettings()


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err)


@science_app.command()
def deep(
    out: Path = typer.Option(..., "--out", help="Output JSONL (miniF2F schema plus proof, menu, decoys)."),
    n: int = typer.Option(400, "--n", help="How many theorems to write."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same theorems."),
    difficulty: int = typer.Option(0, "--difficulty", min=0, max=5, help="1..5; 0 mixes all five."),
    family: list[str] = typer.Option(None, "--family", help="Restrict to these deep families (repeatable)."),
) -> None:
    """Write the deep benchmark: theorems whose sandbox-verified proofs take 4-12 steps, with wrong turns."""
    from qed.env.sandbox.deep_generate import generate_deep

    failures: list[str] = []
    written = 0
    with out.open("w", encoding="utf-8") as fh, _bar() as bar:
        task = bar.add_task("generating", total=n)
        try:
            for item in generate_deep(n, seed=seed, families=family or None, difficulty=difficulty or None):
                if item.row is not None:
                    fh.write(json.dumps(item.row, ensure_ascii=False) + "\n")
                    written += 1
                else:
                    failures.append(item.error or "")
                bar.advance(task)
        except ValueError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from exc
    console.print(f"wrote {written} verified theorems to {out} ({len(failures)} drafts dropped)",
                  markup=False)
    for f in failures[:10]:
        console.print(f"  dropped: {f}", markup=False)
    raise typer.Exit(1 if failures else 0)


@science_app.command()
def headroom(
    bench: Path = typer.Argument(..., help="A deep-benchmark JSONL (qed science deep)."),
    out: Path = typer.Option(..., "--out", help="Output directory (results, summary, plot)."),
    limit: int = typer.Option(0, "--limit", help="Only the first N theorems (0: all)."),
    budgets: str = typer.Option(",".join(map(str, _D.budgets)), "--budgets", help="Comma-separated budgets."),
    factor: int = typer.Option(_D.factor, "--factor", help="Big search = factor x the largest budget."),
    big: int = typer.Option(_D.big_expansions, "--big", help="Big-search expansions (overrides --factor)."),
    candidates: int = typer.Option(_D.candidates, "--candidates", help="Tactics proposed per expansion."),
    favour: float = typer.Option(_D.favour, "--favour", help="Weight of the proof's tactics."),
    alpha: float = typer.Option(_D.alpha, "--alpha", help="Value weight in the oracle arm's priority."),
    seed: int = typer.Option(_D.seed, "--seed", help="Policy seed."),
) -> None:
    """Headroom: oracle-value proof rate minus LLM-only proof rate at each budget (paired, with intervals)."""
    from qed.cli.headroom import run_headroom

    rows = [json.loads(line) for line in bench.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = rows[:limit] if limit else rows
    missing = [r.get("name") for r in rows if not r.get("menu")]
    if missing:
        err.print(f"error: {len(missing)} rows have no 'menu' (not a deep benchmark?), e.g. {missing[0]}",
                  markup=False)
        raise typer.Exit(2)
    settings = HeadroomSettings(budgets=tuple(int(b) for b in budgets.split(",")), factor=factor,
                                big_expansions=big, candidates=candidates, favour=favour, alpha=alpha,
                                seed=seed)
    with _bar() as bar:
        task = bar.add_task("theorems", total=len(rows))
        bar.update(task, completed=0)
        summary = run_headroom(rows, out, settings, advance=lambda r: bar.advance(task))
    show(summary)


def show(summary: dict) -> None:
    """The headroom table: one row per budget."""
    n = summary["theorems"]
    t = Table(title=f"headroom: {n} theorems, big search {summary['settings']['big']} expansions proved "
                    f"{summary['big_proved']}; generic prover {summary['generic_proved_at_max_budget']}")
    for col in ("budget", "LLM-only", "oracle", "headroom (pts)", "95% interval", "only LLM / only oracle",
                "McNemar p"):
        t.add_column(col)
    for b, r in summary["budgets"].items():
        lo, hi = r["diff_interval"]
        t.add_row(b, f"{100 * r['rate_a']:.1f}%", f"{100 * r['rate_b']:.1f}%",
                  f"{r['headroom_points']:.1f}", f"[{100 * lo:.1f}, {100 * hi:.1f}]",
                  f"{r['only_a']} / {r['only_b']}", f"{r['p_mcnemar']:.2g}")
    console.print(t)
