"""``qed demo``: the main job on the embedded sandbox, from a fresh clone, in a few minutes.

Reads top to bottom as the stages a user would run by hand; each stage is one ``qed``
command line, printed before it runs, and skipped when its output already exists (so an
interrupted demo resumes). Everything lives in ``<runs>/demo`` (``search.runs_dir``):

1. data: generated theorems with verified proofs (training), and proofs found by a
   scripted search on the sandbox-accepted miniF2F *valid* statements;
2. policy: a tiny Qwen2-style model created locally, LoRA SFT on the traced proofs, merged;
3. value: the trained policy searches a fresh generated set; an energy head is trained on
   those trajectories (decoupled, frozen embeddings);
4. evaluation: best-first search with the policy and the energy head, against the same
   policy alone (``--compare llm-only``), on the sandbox-accepted miniF2F *test*
   statements and on a held-out generated set; the summaries are printed.

Expert iteration (issue 8) will replace this sequence with ``qed iterate``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from omegaconf import DictConfig
from rich.console import Console


def _qed(args: list[str], out: Console) -> None:
    out.print(f"[bold cyan]$ qed {' '.join(args)}[/bold cyan]")
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"), HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "qed", *args], env=env)
    if proc.returncode not in (0, 1):  # 1: some theorems failed or unproved, which is data, not an error
        raise RuntimeError(f"stage failed (exit {proc.returncode}): qed {' '.join(args)}")


def _stage(done: Path, args: list[str], out: Console) -> None:
    if done.exists():
        out.print(f"[dim]skip (done): qed {' '.join(args)}[/dim]")
        return
    _qed(args, out)


def _found_proofs_as_theorems(search_run: Path, benchmark: str, dest: Path) -> int:
    """Rows (miniF2F schema + proof) for the theorems a search proved, for tracing into SFT pairs."""
    from qed.data.benchmarks import load_benchmark

    by_name = {t.name: t for t in load_benchmark(benchmark)}
    rows = []
    for line in (search_run / "proofs.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        thm = by_name[rec["name"]]
        rows.append(
            {
                "name": thm.name,
                "split": thm.split,
                "header": thm.header,
                "formal_statement": thm.statement,
                "proof": "\n" + rec["proof"],
            }
        )
    dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def _concat(parts: list[Path], dest: Path) -> None:
    dest.write_text("".join(p.read_text(encoding="utf-8") for p in parts), encoding="utf-8")


def run_demo(cfg: DictConfig, out: Console, *, size: str = "tiny", budget: int = 16) -> int:
    root = Path(cfg.search.runs_dir) / "demo"
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    runs = ["search.runs_dir=" + str(root)]
    t0 = time.perf_counter()
    out.rule("[bold]qed demo[/bold]: SFT a tiny policy, train an energy head, search miniF2F in the sandbox")

    out.rule("1. data")
    gen = data / "train_generated.jsonl"
    _stage(gen, ["sandbox", "generate", "--n", "1500", "--seed", "0", "--out", str(gen)], out)
    _stage(
        root / "search_valid" / "DONE",
        [
            "prove",
            "minif2f_v1",
            "--split",
            "valid",
            "policy=scripted",
            *runs,
            "--name",
            "search_valid",
            "search.max_expansions=64",
        ],
        out,
    )
    valid = data / "train_minif2f_valid.jsonl"
    n_valid = _found_proofs_as_theorems(root / "search_valid", "minif2f_v1", valid)
    out.print(f"{n_valid} miniF2F valid proofs found by scripted search join the training data")
    pairs = data / "pairs.jsonl"
    if not pairs.exists():
        _qed(["data", "sft-pairs", "--theorems", str(gen), "--out", str(data / "pairs_generated.jsonl")], out)
        _qed(["data", "sft-pairs", "--theorems", str(valid), "--out", str(data / "pairs_valid.jsonl")], out)
        _concat([data / "pairs_generated.jsonl", data / "pairs_valid.jsonl"], pairs)

    out.rule("2. policy")
    model, policy = root / "model", root / "policy"
    _stage(model / "config.json", ["model", "init", "--size", size, "--out", str(model)], out)
    _stage(
        root / "sft" / "DONE",
        [
            "train",
            "sft",
            "--data",
            str(pairs),
            "--model",
            str(model),
            "--out",
            str(root / "sft"),
            "sft.epochs=2",
            "sft.lr=3e-3",
            "sft.eval_states=32",
        ],
        out,
    )
    _stage(
        policy / "config.json",
        [
            "model",
            "merge",
            "--model",
            str(model),
            "--adapter",
            str(root / "sft" / "adapter"),
            "--out",
            str(policy),
        ],
        out,
    )
    # a tiny model's tail is noise: it samples well below the seed's T = 1.3 for a 7B model
    use_policy = [
        "policy=hf",
        f"policy.model={policy}",
        f"search.max_expansions={budget}",
        "search.candidates=8",
        "search.temperature=0.5",
    ]

    out.rule("3. value")
    ebm_set, heldout = data / "ebm_generated.jsonl", data / "heldout_generated.jsonl"
    # families whose proofs take several steps, so proof paths have states to rank
    _stage(
        ebm_set,
        [
            "sandbox",
            "generate",
            "--n",
            "150",
            "--seed",
            "1",
            "--family",
            "case_split",
            "--family",
            "linear_system",
            "--family",
            "existential",
            "--out",
            str(ebm_set),
        ],
        out,
    )
    _stage(
        root / "search_ebm" / "DONE", ["prove", str(ebm_set), *use_policy, *runs, "--name", "search_ebm"], out
    )
    _stage(
        root / "iter_0" / "ebm" / "DONE",
        [
            "train",
            "ebm",
            "--run",
            str(root),
            "--trajectories",
            str(root / "search_ebm" / "trajectories.parquet"),
            "ebm.train.max_steps=300",
            "ebm.train.lr=3e-4",
        ],
        out,
    )

    out.rule("4. evaluation: policy + energy head vs policy alone, same budget")
    _stage(
        heldout,
        ["sandbox", "generate", "--n", "100", "--seed", "2", "--difficulty", "3", "--out", str(heldout)],
        out,
    )
    value = ["value=ebm", f"search.ebm_dir={root / 'iter_0' / 'ebm'}"]
    for name, bench, extra in (
        ("eval_minif2f_test", "minif2f_v1", ["--split", "test"]),
        ("eval_heldout", str(heldout), []),
    ):
        _stage(
            root / name / "DONE",
            ["prove", bench, *extra, *use_policy, *value, *runs, "--name", name, "--compare", "llm-only"],
            out,
        )
    _print_comparison(root, out)
    out.print(f"\ndemo finished in {time.perf_counter() - t0:.0f} s; everything is in {root}")
    return 0


def _print_comparison(root: Path, out: Console) -> None:
    from rich.table import Table

    table = Table(title="proof rate at the same budget (95% Wilson interval)")
    for col in ("benchmark", "arm", "proved", "attempted", "rate", "95% CI"):
        table.add_column(col)
    for name in ("eval_minif2f_test", "eval_heldout"):
        path = root / name / "compare.json"
        if not path.exists():
            continue
        for arm, s in json.loads(path.read_text(encoding="utf-8")).items():
            lo, hi = s["ci95"]
            table.add_row(
                name, arm, str(s["proved"]), str(s["attempted"]), f"{s['rate']:.1%}", f"{lo:.1%}–{hi:.1%}"
            )
    out.print(table)
