"""How a proving run looks on the terminal: the live progress bar and the summary tables.

Used by ``qed prove`` and by the search stage of ``qed iterate`` (``qed.cli.stages``);
imports no command module.
"""

from __future__ import annotations

from pathlib import Path

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console()
err = Console(stderr=True)


def progress_run(label: str, theorems, prover, root: Path, stop_after: int | None):
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

        def note(text: str) -> None:
            err.print(f"note: {text}", markup=False, highlight=False, soft_wrap=True)

        return run_prove(theorems, prover, root, on_start=start, on_result=tally, on_note=note,
                         stop_after=stop_after)


def summary_table(title: str, s: dict) -> Table:
    """The per-category table of a run's summary; ``title`` and category names are shown as plain text."""
    table = Table(title=escape(title), box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("category", "proved", "tried", "rate", "95% CI", "unsupp.", "crashed"):
        table.add_column(col, justify="left" if col == "category" else "right", no_wrap=True)

    def row(name: str, r: dict, *, markup: bool = False) -> None:
        rate = "-" if r["rate"] is None else f"{100 * r['rate']:.1f}%"
        ci = f"{100 * r['ci95'][0]:.1f}–{100 * r['ci95'][1]:.1f}%"
        crashed = r.get("errors", r.get("infrastructure_errors", ""))
        table.add_row(
            name if markup else escape(name), str(r["proved"]), str(r["attempted"]), rate, ci,
            str(r["unsupported"]), str(crashed),
        )

    for cat, r in s["categories"].items():
        row(cat, r)
    row("[bold]all", s, markup=True)
    return table


def print_times(s: dict) -> None:
    t = s["seconds"]
    frac = s["overhead_fraction"]
    console.print(
        f"unsupported {s['unsupported']}, env crashes {s['infrastructure_errors']}; search seconds (summed "
        f"over theorems): wall "
        f"{t['wall_seconds']:.1f}, env {t['env_seconds']:.1f}, policy {t['policy_seconds']:.1f}, value "
        f"{t['value_seconds']:.1f}, search overhead {t['overhead_seconds']:.1f}"
        + (f" ({100 * frac:.1f}%)" if frac is not None else "")
    )


def print_compare(table: dict) -> None:
    t = Table(title="comparison at the same budget")
    t.add_column("category")
    for arm in table:
        t.add_column(escape(arm), justify="right")
    cats = sorted({c for v in table.values() for c in v["categories"]})
    for cat in cats:
        t.add_row(escape(cat), *(_pct(v["categories"].get(cat)) for v in table.values()))
    t.add_row("[bold]all", *(f"{_pct(v['rate'])} ({v['proved']}/{v['attempted']})" for v in table.values()))
    t.add_row("only this arm", *(str(len(v["only_this_arm"])) for v in table.values()))
    console.print(t)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def verified_table(title: str, s: dict, v: dict) -> Table:
    """Tactic-mode ``proved`` beside the whole-file check (``qed verify``): verified, rejected by
    the file check (accepted in tactic mode), unverified; per category and overall."""
    table = Table(title=escape(title), box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("category", "proved", "verified", "rejected by file check", "unverified"):
        table.add_column(col, justify="left" if col == "category" else "right", no_wrap=True)
    keys = ("accepted", "rejected", "unverified")
    for cat, r in s["categories"].items():
        c = v["categories"].get(cat, dict.fromkeys(keys, 0))
        table.add_row(escape(cat), str(r["proved"]), *(str(c[k]) for k in keys))
    table.add_row("[bold]all", str(s["proved"]), *(str(v["all"][k]) for k in keys))
    return table
