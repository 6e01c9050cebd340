"""``qed demo`` (what ``make demo`` runs): expert iteration on the sandbox, then values on the deep benchmark.

1. ``qed iterate experiment=sandbox_tiny`` (qed/configs/experiment/sandbox_tiny.yaml): a tiny
   model created locally is SFT'd on generated proofs, searches training theorems, gets a
   decoupled energy head on its frozen embeddings (iteration 0), then is jointly trained (SFT
   on the proofs found so far + InfoNCE through one LoRA) and searches again (iteration 1).
   Held-out theorems are searched with configurations A, B and C and with each policy alone;
   the per-iteration table is printed and the report lies in
   ``<runs>/sandbox_tiny/iter_1/eval/``.
2. ``qed science compare`` at demo size (``DEMO_COMPARE``): the deep benchmark, where the
   value has something to decide (docs/science.md): LLM-only, the policy's length-normalised
   soft value, a learned EBM (at the search's alpha and alone) and the proof oracle at budgets
   8-64; it prints the headroom and each
   arm's share of it; the report lies in ``<runs>/deep_compare/report.md``.

Each stage is named before it runs and skipped when its marker exists, so an interrupted
demo resumes. Trailing overrides go to every stage of step 1 (``qed demo search.runs_dir=/tmp/x``;
``search.runs_dir`` also places step 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from qed.cli.value_compare import CompareSettings

EXPERIMENT = "sandbox_tiny"


@dataclass(frozen=True)
class DemoCompare:
    """The demo's deep-benchmark comparison: sized for about 4 minutes on 2 cores."""

    n: int = 60
    train_n: int = 150
    settings: CompareSettings = CompareSettings(budgets=(8, 16, 32, 64), seeds=(0,),
                                                arms=("llm_only", "soft_norm", "ebm", "ebm_alpha1", "oracle"))


DEMO_COMPARE = DemoCompare()


def run_demo(overrides: list[str], out: Console, err: Console) -> int:
    from qed.cli.config import ConfigError, load_config
    from qed.cli.iterate_cmd import iterate_main

    out.rule("[bold]qed demo[/bold]: expert iteration on the sandbox (SFT, search, EBM, joint, A/B/C)")
    out.print(f"[bold cyan]$ qed iterate experiment={EXPERIMENT} {escape(' '.join(overrides))}[/bold cyan]")
    code = iterate_main([f"experiment={EXPERIMENT}", *overrides], out, err)
    if code:
        return code
    try:
        runs = Path(load_config([f"+experiment={EXPERIMENT}", *overrides]).search.runs_dir)
    except ConfigError as exc:
        err.print(f"error: {exc}", markup=False)
        return 2
    return run_deep_compare(runs / "deep_compare", out, err)


def run_deep_compare(dest: Path, out: Console, err: Console, demo: DemoCompare = DEMO_COMPARE) -> int:
    """Step 2: the value comparison on the deep benchmark, its table and headline."""
    from qed.cli.science_cmd import compare_table
    from qed.cli.value_compare import generate_rows, run_compare

    s = demo.settings
    out.rule("[bold]values on the deep benchmark[/bold]: what a value could win, and what the EBM wins")
    command = (f"qed science compare --out {dest} --n {demo.n} --train-n {demo.train_n} "
               f"--seeds {','.join(map(str, s.seeds))} --budgets {','.join(map(str, s.budgets))}")
    out.print(f"[bold cyan]$ {escape(command)}[/bold cyan]")
    held = generate_rows(dest / "heldout.jsonl", demo.n, 0)
    train = generate_rows(dest / "train.jsonl", demo.train_n, 1)
    try:
        summary = run_compare(held, train, dest, s)
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False)
        return 4
    out.print(compare_table(summary))
    top = summary["budgets"][str(s.max_budget)]
    shares = ", ".join(f"{a} {100 * top[a]['share']:.0f}%" for a in s.arms
                       if a not in ("llm_only", "oracle") and top[a].get("share") is not None)
    rates = f"oracle {100 * top['oracle']['rate']:.1f}% vs LLM-only {100 * top['llm_only']['rate']:.1f}%"
    out.print(f"headroom at budget {s.max_budget}: {top['headroom_points']:.1f} points ({rates}); "
              f"share of it closed: {shares or 'none'}", markup=False)
    out.print(f"report: {dest / 'report.md'}", markup=False)
    return 0
