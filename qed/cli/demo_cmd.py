"""``qed demo``: the main job on the embedded sandbox, from a fresh clone.

Until proof search and expert iteration land (issues 6-8) this shows the parts that
exist: the sandbox reading miniF2F, generating theorems with verified proofs, and
checking a proof file tactic by tactic.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sandbox_proofs.lean"


def run_demo(cfg: DictConfig, out: Console) -> int:
    from qed.cli.check_cmd import run_check
    from qed.data.benchmarks import load_benchmark
    from qed.env.sandbox.coverage import coverage
    from qed.env.sandbox.generate import generate

    out.rule("[bold]qed demo[/bold]: the sandbox prover")
    out.print(
        "Proof search and expert iteration are not built yet (issues 6-8); this demo shows the sandbox.\n"
    )

    theorems = load_benchmark("minif2f_v1")
    t0 = time.perf_counter()
    report = coverage(theorems)
    out.print(
        f"[bold]1. miniF2F v1 in the sandbox[/bold]: "
        f"{len(report.accepted)}/{len(theorems)} statements accepted, "
        f"{report.matched}/{report.compared} initial goals print exactly as Lean's "
        f"({time.perf_counter() - t0:.1f} s). Details: qed sandbox coverage"
    )

    t0 = time.perf_counter()
    items = list(generate(200, seed=cfg.seed, difficulty=2, workers=1))
    ok = [i.row for i in items if i.row]
    fams = Counter(r["family"] for r in ok)
    table = Table(title=f"2. generated theorems, proofs verified ({time.perf_counter() - t0:.1f} s)")
    table.add_column("family")
    table.add_column("verified", justify="right")
    for fam, n in sorted(fams.items()):
        table.add_row(fam, str(n))
    out.print(table)
    if ok:
        out.print("example:", markup=False)
        out.print(ok[0]["formal_statement"] + ok[0]["proof"], markup=False)

    if EXAMPLES.exists():
        out.print(f"\n[bold]3. qed check {EXAMPLES.name}[/bold] (the last proof is wrong on purpose)")
        run_check(EXAMPLES, cfg, out, out)
    return 0 if len(ok) == len(items) else 1
