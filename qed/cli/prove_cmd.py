"""``qed prove BENCHMARK [overrides]``: best-first search over a benchmark into a resumable run.

Owns the command: compose config, build env source, policy and value, run
``qed.eval.prove.run_prove`` with a live progress bar, print the summary table, and for
``--compare llm-only`` run alpha = 0 without a value function beside the configured search
at the same budget. ``policy=NAME``, ``value=NAME`` and ``search=NAME`` pick config group
files in ``qed/configs/`` (``policy.kind``, ``search.value``, ``search.algorithm``).

Run directory ``<search.runs_dir>/<name>``: ``config.yaml`` (resolved config, git revision
in its opening comment), then the files of ``qed.eval.prove`` (or one subdirectory per arm
with ``--compare``, plus ``compare.json``), ``DONE`` last. Rerunning the same command
resumes; rerunning with different search settings is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from qed.cli.config import ConfigError, load_config, write_config
from qed.data.rundir import atomic_write_json, mark_done

console = Console()
err = Console(stderr=True)

OVERRIDES = typer.Argument(
    None,
    help="Hydra overrides: key=value ... (policy=scripted, value=ebm, "
    "env=sandbox, search.max_expansions=200)",
    show_default=False,
)


@dataclass(frozen=True)
class Arm:
    name: str
    alpha: float
    use_value: bool


def _progress_run(label: str, theorems, prover, root: Path, stop_after: int | None):
    from qed.eval.prove import run_prove

    counts = {"proved": 0, "attempted": 0, "unsupported": 0, "errors": 0}
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(label, total=len(theorems), rate="")

        def tally(rec: dict) -> None:
            s = rec["status"]
            counts["proved"] += s == "proved"
            counts["attempted"] += s in ("proved", "failed")
            counts["unsupported"] += s == "unsupported"
            counts["errors"] += s == "error"
            a = counts["attempted"]
            pct = f"{100 * counts['proved'] / a:.1f}%" if a else "-"
            text = f"proved {counts['proved']}/{a} ({pct}) unsupported {counts['unsupported']}"
            bar.update(
                task,
                advance=1,
                rate=text + (f" [red]env errors {counts['errors']}" if counts["errors"] else ""),
            )

        def start(records: list[dict], left: int) -> None:
            for r in records:
                tally(r)

        return run_prove(theorems, prover, root, on_start=start, on_result=tally, stop_after=stop_after)


def summary_table(title: str, s: dict) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("category", "proved", "tried", "rate", "95% CI", "unsupp.", "crashed"):
        table.add_column(col, justify="left" if col == "category" else "right", no_wrap=True)

    def row(name: str, r: dict) -> None:
        rate = "-" if r["rate"] is None else f"{100 * r['rate']:.1f}%"
        ci = f"{100 * r['ci95'][0]:.1f}–{100 * r['ci95'][1]:.1f}%"
        crashed = r.get("errors", r.get("infrastructure_errors", ""))
        table.add_row(
            name, str(r["proved"]), str(r["attempted"]), rate, ci, str(r["unsupported"]), str(crashed)
        )

    for cat, r in s["categories"].items():
        row(cat, r)
    row("[bold]all", s)
    return table


def prove_command(
    benchmark: str = typer.Argument(..., help="A shipped benchmark name (minif2f_v1) or a JSONL file."),
    overrides: list[str] = OVERRIDES,
    name: str = typer.Option(
        "", "--name", help="Run name (default prove_<benchmark>); resumes if it exists."
    ),
    compare: str = typer.Option(
        "", "--compare", help="'llm-only': also run alpha=0 without a value function."
    ),
    split: str = typer.Option("", "--split", help="Only theorems of this split (valid, test)."),
    limit: int = typer.Option(0, "--limit", help="Only the first N theorems (0 = all)."),
    stop_after: int = typer.Option(
        0, "--stop-after", hidden=True, help="Stop after N new theorems (testing)."
    ),
) -> None:
    """Best-first proof search over a benchmark; writes results, trajectories, proofs, summary."""
    from qed.cli.build import (
        Backbones,
        BuildError,
        build_budget,
        build_policy,
        build_provers,
        build_search,
        build_value,
    )
    from qed.data.benchmarks import BenchmarkError, load_benchmark
    from qed.eval.prove import RunError, read_records
    from qed.eval.summary import compare as compare_arms

    if compare not in ("", "llm-only"):
        err.print(f"[red]error:[/red] --compare accepts only 'llm-only', got '{compare}'")
        raise typer.Exit(2)
    try:
        cfg = load_config(list(overrides or []))
        theorems = load_benchmark(benchmark, split=split or None)
    except (ConfigError, BenchmarkError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    theorems = theorems[:limit] if limit > 0 else theorems
    s = cfg.search
    root = Path(s.runs_dir) / (name or f"prove_{Path(benchmark).name.removesuffix('.jsonl')}")
    arms = (
        [Arm("llm-only", 0.0, False), Arm("configured", s.alpha, True)]
        if compare
        else [Arm("", s.alpha, True)]
    )
    try:
        budget = build_budget(cfg)
        build_search(cfg)  # an unknown algorithm fails here, before any work
        on_driver = cfg.dist.kind == "local"  # dist=ray: the actors build policy and value
        backbones = Backbones()  # policy=hf and ebm.encoder.kind=hf share one model object
        policy = build_policy(cfg, backbones) if on_driver else None
        value = build_value(cfg, backbones) if on_driver else None
        write_config(root, cfg, f"prove {benchmark}")
        if s.value == "none" and s.alpha > 0 and not compare:
            err.print(
                f"[yellow]note:[/yellow] search.value=none: alpha={s.alpha} has no energy to weigh; "
                "nodes are ranked by log-prob alone"
            )
        summaries, records = {}, {}
        with build_provers(cfg, policy=policy, value=value, budget=budget) as make_prover:
            for arm in arms:
                prover = make_prover(build_search(cfg, alpha=arm.alpha), arm.use_value)
                arm_root = root / arm.name if arm.name else root
                label = f"{arm.name or 'prove'} α={arm.alpha:g}"
                summary = _progress_run(label, theorems, prover, arm_root, stop_after or None)
                if summary is None:
                    err.print(f"stopped after {stop_after} theorems; rerun the command to resume")
                    raise typer.Exit(3)
                summaries[arm.name] = summary
                records[arm.name or "run"] = read_records(arm_root / "results.jsonl")
                console.print(summary_table(f"{benchmark} {label}: {arm_root}", summary))
                _print_times(summary)
    except (BuildError, ConfigError, RunError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if compare:
        table = compare_arms(records)
        atomic_write_json(root / "compare.json", table)
        _print_compare(table)
        mark_done(root)
    console.print(f"wrote {root}")


def _print_times(s: dict) -> None:
    t = s["seconds"]
    frac = s["overhead_fraction"]
    console.print(
        f"unsupported {s['unsupported']}, env crashes {s['infrastructure_errors']}; search seconds (summed "
        f"over theorems): wall "
        f"{t['wall_seconds']:.1f}, env {t['env_seconds']:.1f}, policy {t['policy_seconds']:.1f}, value "
        f"{t['value_seconds']:.1f}, search overhead {t['overhead_seconds']:.1f}"
        + (f" ({100 * frac:.1f}%)" if frac is not None else "")
    )


def _print_compare(table: dict) -> None:
    t = Table(title="comparison at the same budget")
    t.add_column("category")
    for arm in table:
        t.add_column(arm, justify="right")
    cats = sorted({c for v in table.values() for c in v["categories"]})
    for cat in cats:
        t.add_row(cat, *(_pct(v["categories"].get(cat)) for v in table.values()))
    t.add_row("[bold]all", *(f"{_pct(v['rate'])} ({v['proved']}/{v['attempted']})" for v in table.values()))
    t.add_row("only this arm", *(str(len(v["only_this_arm"])) for v in table.values()))
    console.print(t)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"
