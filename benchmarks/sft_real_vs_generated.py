"""Does SFT on traced real proofs beat SFT on generated proofs? Same model, size, steps, budget.

Arms (one tiny base model, created once; each arm LoRA-SFT'd with the same settings and the same
number of optimiser steps, then searched with the same budget, no value):

- ``real``:      the traced pairs of the real corpora's train split (``qed data prepare`` +
                 ``qed data trace`` on the rows bundled with qed, or the corpora you name);
- ``generated``: the same number of pairs, drawn (seeded) from generated sandbox proofs;
- ``mixed``:     both sets together, trained for the same number of steps.

Held out: miniF2F v1 ``valid`` statements the sandbox accepts (nothing of miniF2F is trained on:
the corpora are decontaminated against it). Printed: proof rates with Wilson intervals, and
each arm against ``generated`` (discordant counts, bootstrap interval of the difference, exact
McNemar p). Written: ``OUT/results.json``. Resumable (stages keep their outputs).

    OMP_NUM_THREADS=2 python benchmarks/sft_real_vs_generated.py --out runs/real_vs_generated
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

ARMS = ("generated", "real", "mixed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("runs/real_vs_generated"))
    ap.add_argument("--corpus", action="append", default=None,
                    help="corpus specs as for `qed data prepare --corpus` (default: the bundled rows)")
    ap.add_argument("--steps", type=int, default=300, help="SFT optimiser steps of every arm")
    ap.add_argument("--expansions", type=int, default=16, help="search budget per theorem")
    ap.add_argument("--limit", type=int, default=0, help="only the first N held-out theorems (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()

    from qed.cli import stages
    from qed.cli.config import load_config
    from qed.core import StatementError, Theorem
    from qed.data.benchmarks import load_benchmark
    from qed.env.sandbox.env import SandboxEnv
    from qed.eval.paired import compare
    from qed.eval.prove import read_records
    from qed.train.settings import SftSettings
    from qed.train.sft_data import read_pairs, write_pairs

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    corpora = out / "corpora"
    if not (corpora / "DONE").exists():
        stages.corpora(corpora, args.corpus or ["goedel_workbook=bundled", "mathlib_archive=bundled"])
    real = read_pairs(corpora / "pairs.jsonl")
    gen_thms = out / "generated.jsonl"
    if not gen_thms.exists():
        stages.generate(gen_thms, n=max(300, len(real)), seed=args.seed)
    gen_all = out / "generated_pairs.jsonl"
    if not gen_all.exists():
        stages.trace(gen_thms, gen_all)
    pool = read_pairs(gen_all)
    generated = random.Random(args.seed).sample(pool, min(len(real), len(pool)))
    sets = {"real": real, "generated": generated, "mixed": real + generated}
    print(f"pairs: real {len(real)} (from {len({p.theorem for p in real})} theorems), generated "
          f"{len(generated)}, mixed {len(real) + len(generated)}; {args.steps} SFT steps each")

    base = out / "base"
    if not base.exists():
        stages.init_model(base, size="tiny", seed=args.seed)
    env = SandboxEnv()
    held = []
    for t in load_benchmark("minif2f_v1", split="valid"):
        try:
            env.start(Theorem(t.name, t.statement, header=t.header))
            held.append(t)
        except StatementError:
            pass
    held = held[: args.limit] if args.limit else held
    print(f"held out: {len(held)} miniF2F v1 valid statements the sandbox accepts")

    proved: dict[str, list[bool]] = {}
    for arm in ARMS:
        arm_dir = out / arm
        pairs_path = arm_dir / "pairs.jsonl"
        if not pairs_path.exists():
            write_pairs(sets[arm], pairs_path)
        settings = SftSettings(lora_r=16, lora_alpha=32, lr=1e-3, batch_size=8, epochs=1000,
                               max_steps=args.steps, max_len=512, seed=args.seed, eval_states=0, device="cpu")
        if not (arm_dir / "sft" / "DONE").exists():
            stages.sft(pairs_path, base, arm_dir / "sft", settings)
        policy = arm_dir / "policy"
        if not policy.exists():
            stages.merge(base, arm_dir / "sft" / "adapter", policy)
        cfg = load_config(["policy=hf", f"policy.model={policy}", "search.value=none",
                           f"search.max_expansions={args.expansions}", "search.candidates=8",
                           "search.temperature=0.5", f"search.runs_dir={out}"])
        search_dir = arm_dir / "search"
        if not (search_dir / "DONE").exists():
            stages.search(cfg, held, search_dir, benchmark="minif2f_v1 valid")
        by_name = {r["name"]: r.get("status") == "proved" for r in read_records(search_dir / "results.jsonl")}
        proved[arm] = [by_name.get(t.name, False) for t in held]

    results = {"held_out": len(held), "pairs": {k: len(v) for k, v in sets.items()}, "steps": args.steps,
               "expansions": args.expansions, "arms": {}, "vs_generated": {}}
    print(f"\n{'arm':10} {'proved':>8} {'rate':>7}  95% Wilson")
    for arm in ARMS:
        c = compare(proved["generated"], proved[arm])
        lo, hi = c.wilson_b
        results["arms"][arm] = {"proved": sum(proved[arm]), "rate": c.rate_b, "wilson": [lo, hi]}
        print(f"{arm:10} {sum(proved[arm]):>8} {c.rate_b:>7.1%}  [{lo:.1%}, {hi:.1%}]")
        if arm != "generated":
            results["vs_generated"][arm] = c.as_dict()
            print(f"  {arm} vs generated: +{c.only_b} / -{c.only_a} theorems, difference {c.diff:+.1%} "
                  f"[{c.diff_interval[0]:+.1%}, {c.diff_interval[1]:+.1%}], McNemar p = {c.p_mcnemar:.3g}")
    results["seconds"] = round(time.perf_counter() - t0, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out / 'results.json'} ({results['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
