"""``qed demo`` (what ``make demo`` runs): expert iteration on the sandbox, then values on the deep benchmark.

The demo is ``qed iterate experiment=sandbox_tiny`` (qed/configs/experiment/sandbox_tiny.yaml):

1. a tiny model created locally is SFT'd on generated proofs, searches training theorems, gets
   a decoupled energy head on its frozen embeddings (iteration 0), then is jointly trained
   (SFT on the proofs found so far + InfoNCE through one LoRA) and searches again (iteration
   1). Held-out theorems are searched with configurations A, B and C and with each policy
   alone; the per-iteration table is printed and the report lies in
   ``<runs>/sandbox_tiny/iter_1/eval/``.
2. its last stage, ``deep_compare`` (``iterate.compare_*``), is ``qed science compare`` at demo
   size on the deep benchmark, where the value has something to decide (docs/science.md):
   LLM-only, the policy's length-normalised soft value, a learned EBM (at the search's alpha
   and alone) and the proof oracle at budgets 8-64; it prints the headroom and each arm's share
   of it; the report lies in ``<runs>/sandbox_tiny/deep_compare/report.md``.

Each stage is a typed function (``qed.cli.stages``), named before it runs and skipped when its
marker exists, so an interrupted demo resumes. Trailing overrides go to every stage
(``qed demo search.runs_dir=/tmp/x``).
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

EXPERIMENT = "sandbox_tiny"


def run_demo(overrides: list[str], out: Console, err: Console) -> int:
    from qed.cli.iterate_cmd import iterate_main

    out.rule("[bold]qed demo[/bold]: expert iteration on the sandbox (SFT, search, EBM, joint, A/B/C), "
             "then values on the deep benchmark")
    out.print(f"[bold cyan]$ qed iterate experiment={EXPERIMENT} {escape(' '.join(overrides))}[/bold cyan]")
    return iterate_main([f"experiment={EXPERIMENT}", *overrides], out, err)
