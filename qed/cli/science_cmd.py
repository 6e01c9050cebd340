"""``qed science deep`` (write the deep benchmark), ``headroom`` (measure it), ``compare`` (values on it).

The measurements themselves are ``qed.cli.headroom`` and ``qed.cli.value_compare``; the
families are ``qed.env.sandbox.deep_families``. docs/science.md describes the protocol.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qed.cli.headroom import HeadroomSettings
from qed.cli.policy_size import SizeSweepSettings
from qed.cli.value_compare import CompareSettings

science_app = typer.Typer(no_args_is_help=True)
console = Console()
err = Console(stderr=True)
_D = HeadroomSettings()
_C = CompareSettings()


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


def _ints(text: str, what: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError as exc:
        err.print(f"error: {what} must be comma-separated integers, got {text!r}", markup=False)
        raise typer.Exit(2) from exc


def _deep_rows(path: Path, limit: int, what: str) -> list[dict]:
    """The rows of a deep-benchmark file (each with a menu and a proof), or exit 2 naming the problem."""
    from qed.data.jsonl import RecordError, read_jsonl
    from qed.data.records import benchmark_record

    rows = []
    try:
        for line, row in read_jsonl(path):
            benchmark_record(path, line, row)  # the miniF2F fields, typed
            menu, proof = row.get("menu"), row.get("proof")
            if not (isinstance(menu, list) and menu and all(isinstance(t, str) for t in menu)) \
                    or not (isinstance(proof, str) and proof.strip()):
                raise RecordError(path, line, "'menu' (a list of tactics) and 'proof' are required (not a "
                                  "deep benchmark? write one with `qed science deep`)")
            rows.append(row)
            if limit and len(rows) == limit:
                break
    except (OSError, RecordError) as exc:
        err.print(f"error: {what}: {exc}", markup=False)
        raise typer.Exit(2) from exc
    if not rows:
        err.print(f"error: {what} {path}: no rows", markup=False)
        raise typer.Exit(2)
    return rows


@science_app.command()
def compare(
    heldout: Path = typer.Argument(None, help="Held-out deep-benchmark JSONL; omitted: --n generated."),
    out: Path = typer.Option(..., "--out", help="Output directory (per-seed runs, summary, report, plot)."),
    train: Path = typer.Option(None, "--train", help="Training deep-benchmark JSONL; omitted: generated."),
    n: int = typer.Option(300, "--n", help="Held-out theorems to generate (seed --bench-seed) or to take."),
    train_n: int = typer.Option(300, "--train-n", help="Training theorems (generated: bench seed + 1)."),
    bench_seed: int = typer.Option(0, "--bench-seed", help="Seed of the generated held-out benchmark."),
    seeds: str = typer.Option(",".join(map(str, _C.seeds)), "--seeds", help="Policy and head seeds."),
    budgets: str = typer.Option(",".join(map(str, _C.budgets)), "--budgets", help="Comma-separated budgets."),
    arms: str = typer.Option(",".join(_C.arms), "--arms",
                             help="Of llm_only, soft_norm, ebm, ebm_alpha1, oracle (llm_only needed)."),
    candidates: int = typer.Option(_C.candidates, "--candidates", help="Tactics proposed per expansion."),
    favour: float = typer.Option(_C.favour, "--favour", help="Weight of the proof's tactics in the menu."),
    alpha: float = typer.Option(_C.alpha, "--alpha", help="Value weight of the ebm and oracle arms."),
    ebm_steps: int = typer.Option(_C.ebm_steps, "--ebm-steps", help="Head training steps per seed."),
    policy_model: Path = typer.Option(None, "--policy-model", help="A trained model directory: it ranks each "
                                      "menu (LMMenuPolicy) instead of MenuPolicy's fixed weights."),
    encoder_model: Path = typer.Option(None, "--encoder-model", help="A model directory whose mean-pooled "
                                       "hidden states the EBM head reads, instead of hashed n-grams."),
) -> None:
    """Values at the same budget: LLM-only, soft value, learned EBM, oracle; curves, seeds, paired tests."""
    from qed.cli.value_compare import generate_rows, run_compare
    from qed.policy.models import ModelNotFound, check_model_dir

    for flag, given in (("--policy-model", policy_model), ("--encoder-model", encoder_model)):
        try:
            if given is not None:
                check_model_dir(given)
        except ModelNotFound as exc:
            err.print(f"error: {flag}: {exc}", markup=False)
            raise typer.Exit(2) from exc
    if heldout is None:
        held_rows = generate_rows(out / "heldout.jsonl", n, bench_seed)
    else:
        held_rows = _deep_rows(heldout, n, "held-out benchmark")
    if train is None:
        train_rows = generate_rows(out / "train.jsonl", train_n, bench_seed + 1)
    else:
        train_rows = _deep_rows(train, train_n, "training benchmark")
    clash = {r["name"] for r in held_rows} & {r["name"] for r in train_rows}
    if clash:
        err.print(f"error: {len(clash)} theorems are both held out and for training, e.g. {sorted(clash)[0]}",
                  markup=False)
        raise typer.Exit(2)
    try:
        settings = CompareSettings(budgets=_ints(budgets, "--budgets"), seeds=_ints(seeds, "--seeds"),
                                   arms=tuple(a.strip() for a in arms.split(",") if a.strip()),
                                   candidates=candidates, favour=favour, alpha=alpha, ebm_steps=ebm_steps,
                                   policy_model=str(policy_model or ""),
                                   encoder_model=str(encoder_model or ""))
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    with _bar() as bar:
        tasks = {}

        def advance(seed: int, what: str) -> None:
            key = (seed, what)
            if key not in tasks:
                total = len(train_rows) if what == "train" else len(held_rows)
                label = "training trees" if what == "train" else "held-out"
                tasks[key] = bar.add_task(f"seed {seed}: {label}", total=total)
            bar.advance(tasks[key])

        try:
            summary = run_compare(held_rows, train_rows, out, settings, advance=advance)
        except ValueError as exc:  # a row whose proof fails, training data with no proved theorem, ...
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from exc
    for table in compare_tables(summary):
        console.print(table)
    console.print(f"report: {out / 'report.md'}", markup=False)


def compare_tables(summary: dict) -> list[Table]:
    """Two tables: proof rate per arm and budget; the headroom and each arm's share of it (or its
    difference from LLM-only, without an oracle arm)."""
    arms = summary["arms"]
    n, seeds = summary["theorems"], summary["seeds"]
    rates = Table(title=f"proof rate: {n} held-out theorems, mean over seeds {seeds}")
    rates.add_column("budget")
    for a in arms:
        rates.add_column(a)
    for b, r in summary["budgets"].items():
        rates.add_row(b, *[f"{100 * r[a]['rate']:.1f}%" for a in arms])
    others = [a for a in arms if a not in ("llm_only", "oracle")]
    if "oracle" in arms:
        shares = Table(title="headroom (oracle - LLM-only, points) and the share of it each arm closes")
        shares.add_column("budget")
        shares.add_column("headroom")
        for a in others:
            shares.add_column(a)
        for b, r in summary["budgets"].items():
            cells = ["-" if r[a].get("share") is None else f"{100 * r[a]['share']:.0f}%" for a in others]
            shares.add_row(b, f"{r['headroom_points']:.1f}", *cells)
    else:
        shares = Table(title="difference from LLM-only (points)")
        shares.add_column("budget")
        for a in others:
            shares.add_column(a)
        for b, r in summary["budgets"].items():
            shares.add_row(b, *[f"{r[a]['vs_llm_points']:+.1f}" for a in others])
    return [rates, shares]


_P = SizeSweepSettings()


@science_app.command("policy-size")
def policy_size(
    out: Path = typer.Option(..., "--out", help="Output directory (runs per size, summary, report, plot)."),
    train: Path = typer.Option(None, "--train", help="Training deep-benchmark JSONL; omitted: generated."),
    heldout: Path = typer.Option(None, "--heldout", help="Held-out deep-benchmark JSONL; omitted: made."),
    train_n: int = typer.Option(300, "--train-n", help="Training theorems (generated: seed 1)."),
    heldout_n: int = typer.Option(100, "--heldout-n", help="Held-out theorems (generated: seed 0)."),
    sizes: str = typer.Option(",".join(_P.sizes), "--sizes", help="Comma-separated model sizes."),
    steps: int = typer.Option(_P.steps, "--steps", help="SFT steps per size."),
    eval_every: int = typer.Option(_P.eval_every, "--eval-every", help="Steps between measurements."),
    eval_states: int = typer.Option(_P.eval_states, "--eval-states", help="Held-out proof states measured."),
    lr: float = typer.Option(_P.lr, "--lr", help="LoRA learning rate."),
    batch_size: int = typer.Option(_P.batch_size, "--batch-size", help="SFT batch size."),
) -> None:
    """Policy size against held-out top-1 on the deep benchmark: the trade-off table and the choice."""
    from qed.cli.policy_size import run_sweep
    from qed.cli.value_compare import generate_rows

    train_rows = (generate_rows(out / "train.jsonl", train_n, 1) if train is None
                  else _deep_rows(train, train_n, "training benchmark"))
    held_rows = (generate_rows(out / "heldout.jsonl", heldout_n, 0) if heldout is None
                 else _deep_rows(heldout, heldout_n, "held-out benchmark"))
    try:
        settings = SizeSweepSettings(sizes=tuple(s.strip() for s in sizes.split(",") if s.strip()),
                                     steps=steps, eval_every=eval_every, eval_states=eval_states, lr=lr,
                                     batch_size=batch_size)
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from exc
    with _bar() as bar:
        tasks: dict[str, int] = {}

        def progress(size: str, step: int, total: int) -> None:
            if size not in tasks:
                tasks[size] = bar.add_task(f"SFT {size}", total=total)
            bar.update(tasks[size], completed=step)

        try:
            summary = run_sweep(train_rows, held_rows, out, settings, progress=progress,
                                log=lambda line: err.print(line, markup=False, highlight=False))
        except ValueError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from exc
    table = Table(title=f"held-out top-1 ({summary['eval_states']} proof states; menu chance "
                        f"{summary['menu_chance']:.3f})")
    for col in ("size", "parameters", "step", "training s", "menu top-1", "greedy top-1"):
        table.add_column(col)
    for p in summary["points"]:
        table.add_row(p["size"], f"{p['params']:,}", str(p["step"]), f"{p['train_seconds']:.0f}",
                      f"{p['menu_top1']:.3f}", f"{p['gen_top1']:.3f}")
    console.print(table)
    c = summary["choice"]
    console.print(f"choice: {c['size']} at step {c['step']} (menu top-1 {c['menu_top1']:.3f}); "
                  f"report: {out / 'report.md'}", markup=False)
