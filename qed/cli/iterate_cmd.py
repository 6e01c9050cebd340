"""``qed iterate experiment=NAME``: expert iteration as a sequence of ``qed`` stage commands.

Owns the order of the stages, where each one reads and writes in the run directory, and the
completion marker that says a stage is finished; the work happens in the stage commands
(``qed sandbox generate``, ``qed data sft-pairs``, ``qed model init|merge``, ``qed train
sft|ebm|joint``, ``qed prove``, ``qed eval ebm|embeddings``) and the report in
``qed.eval.report``. Every child gets ``+experiment=NAME`` plus the user's overrides, so the
experiment YAML is the one source of settings for every stage.

Run directory ``<search.runs_dir>/<name>``::

    config.yaml                      resolved config + git revision
    data/                            bootstrap pairs, training and held-out theorems
    base/                            the base model (created locally when iterate.base_model is empty)
    iter_0/sft/ policy/              LoRA SFT on the bootstrap pairs, merged into policy/
    iter_k/pairs.jsonl joint/ policy/  (k >= 1) SFT pairs + proofs found so far; joint training
    iter_k/search/ trajectories.parquet   search on the training theorems
    iter_k/embeddings/ ebm/          decoupled EBM on this iteration's frozen embeddings
    iter_k/eval/{ebm,embeddings}/    EBM and embedding metrics
    iter_k/eval/{A|B,C}/             held-out proof search (C and A with --compare llm-only)
    iter_k/eval/metrics.json, report.md, iter_k/DONE

A stage is skipped when its marker exists (each child writes its marker last; directories and
files written here are built under a temporary name and renamed), so a killed run resumes at
the stage it was in, which redoes its work from its own checkpoint or from scratch.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from omegaconf import DictConfig
from rich.console import Console

from qed.data.rundir import atomic_copy, atomic_dir, atomic_path, atomic_write_text, is_done, mark_done


class StopAfter(Exception):
    """Raised after the stage named by the hidden ``--stop-after`` option (testing resume)."""


class StageFailed(RuntimeError):
    pass


class Runner:
    """Runs stage command lines with a shared set of overrides; skips finished stages."""

    def __init__(self, base: list[str], out: Console, stop_after: str = "") -> None:
        self.base, self.out, self.stop_after = base, out, stop_after
        self.ran: list[str] = []

    def qed(self, args: list[str]) -> None:
        self.out.print(f"[bold cyan]$ qed {' '.join(args)}[/bold cyan]")
        env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"), HF_HUB_OFFLINE="1")
        configured = args[0] in ("prove", "train", "eval")  # the commands that take Hydra overrides
        extra = self.base if configured else []
        proc = subprocess.run([sys.executable, "-m", "qed", *args, *extra], env=env)
        if proc.returncode not in (0, 1):  # 1: some theorems unproved or failed, which is data
            raise StageFailed(f"stage failed (exit {proc.returncode}): qed {' '.join(args)}")

    def stage(self, label: str, done: Path, args: list[str] | None = None, *, build=None) -> None:
        """Run ``qed ARGS`` (or ``build()``) unless ``done`` exists; then honour --stop-after."""
        if done.exists():
            self.out.print(f"[dim]skip (done): {label}[/dim]")
        else:
            if args is not None:
                self.qed(args)
            if build is not None:
                build()
            if not done.exists():
                raise StageFailed(f"stage {label} finished without writing {done}")
            self.ran.append(label)
        if label == self.stop_after:
            raise StopAfter(label)

    def into(self, label: str, final: Path, args_for) -> None:
        """A stage whose child writes a whole directory: built at ``final.tmp``, renamed when done."""
        def build() -> None:
            with atomic_dir(final) as tmp:
                shutil.rmtree(tmp)
                self.qed(args_for(tmp))

        self.stage(label, final, build=build)


def found_proofs_as_theorems(search_run: Path, benchmark: str, split: str | None) -> list[dict]:
    """Rows (miniF2F schema + proof) for the theorems a search proved, for tracing into SFT pairs."""
    from qed.data.benchmarks import load_benchmark

    by_name = {t.name: t for t in load_benchmark(benchmark, split=split)}
    rows = []
    for line in (search_run / "proofs.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        thm = by_name[rec["name"]]
        rows.append({"name": thm.name, "split": thm.split, "header": thm.header,
                     "formal_statement": thm.statement, "proof": "\n" + rec["proof"]})
    return rows


def _generate(r: Runner, label: str, dest: Path, n: int, seed: int, families, difficulty: int) -> None:
    args = ["sandbox", "generate", "--n", str(n), "--seed", str(seed)]
    for f in families:
        args += ["--family", f]
    if difficulty:
        args += ["--difficulty", str(difficulty)]
    def build() -> None:
        with atomic_path(dest) as tmp:
            r.qed([*args, "--out", str(tmp)])

    r.stage(label, dest, build=build)


def _traced_pairs(r: Runner, theorem_rows: list[dict], work: Path) -> str:
    """SFT pairs (JSONL text) of proofs given as theorem rows, traced by ``qed data sft-pairs``."""
    if not theorem_rows:
        return ""
    thms, pairs = work.with_suffix(".theorems.jsonl"), work.with_suffix(".pairs.jsonl")
    thms.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in theorem_rows), encoding="utf-8")
    r.qed(["data", "sft-pairs", "--theorems", str(thms), "--out", str(pairs)])
    return pairs.read_text(encoding="utf-8")


def run_iterate(cfg: DictConfig, overrides: list[str], experiment: str, out: Console,
                *, stop_after: str = "") -> int:
    from qed.cli.config import write_config
    from qed.eval.report import write_iteration_report

    it = cfg.iterate
    name = it.name or experiment
    root = (Path(cfg.search.runs_dir) / name).resolve()
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    if not (root / "config.yaml").exists():
        write_config(root, cfg, f"iterate experiment={experiment}")
    forwarded = [o for o in overrides if not o.startswith(("search.runs_dir=", "experiment="))]
    r = Runner([f"+experiment={experiment}", *forwarded], out, stop_after)
    t0 = time.perf_counter()
    out.rule(f"[bold]qed iterate[/bold] experiment={experiment}: {it.iterations} iterations in {root}")

    out.rule("data: bootstrap SFT pairs, training theorems, held-out theorems")
    pairs0 = data / "pairs.jsonl"

    def bootstrap() -> None:
        text = Path(it.bootstrap_pairs).read_text(encoding="utf-8") if it.bootstrap_pairs else ""
        if it.bootstrap_n > 0:
            gen = data / "bootstrap_generated.jsonl"
            _generate(r, "data/bootstrap_generated", gen, it.bootstrap_n, it.bootstrap_seed, [], 0)
            gen_pairs = data / "bootstrap_generated.pairs.jsonl"
            r.qed(["data", "sft-pairs", "--theorems", str(gen), "--out", str(gen_pairs)])
            text += gen_pairs.read_text(encoding="utf-8")
        if it.bootstrap_search:
            split = it.bootstrap_search_split or None
            r.stage("data/bootstrap_search", data / "bootstrap_search" / "DONE", [
                "prove", it.bootstrap_search, *(["--split", split] if split else []), "policy=scripted",
                "value=none", f"search.runs_dir={data}", "--name", "bootstrap_search",
                f"search.max_expansions={it.bootstrap_search_expansions}"])
            rows = found_proofs_as_theorems(data / "bootstrap_search", it.bootstrap_search, split)
            out.print(f"{len(rows)} proofs found by scripted search on {it.bootstrap_search} join the data")
            text += _traced_pairs(r, rows, data / "bootstrap_search_found")
        if not text:
            raise StageFailed("no bootstrap data: set iterate.bootstrap_pairs or iterate.bootstrap_n")
        atomic_write_text(pairs0, text)

    r.stage("data/pairs", pairs0, build=bootstrap)
    train = Path(it.train_benchmark) if it.train_benchmark else data / "train.jsonl"
    if not it.train_benchmark:
        _generate(r, "data/train", train, it.train_n, it.train_seed, it.train_families, it.train_difficulty)
    train_split = ["--split", it.train_split] if it.train_split else []
    heldout = Path(it.eval_benchmark) if it.eval_benchmark else data / "heldout.jsonl"
    if not it.eval_benchmark:
        _generate(r, "data/heldout", heldout, it.eval_n, it.eval_seed, [], it.eval_difficulty)
    held_args = [str(it.eval_benchmark or heldout), *(["--split", it.eval_split] if it.eval_split else []),
                 *(["--limit", str(it.eval_limit)] if it.eval_limit else [])]
    base = Path(it.base_model) if it.base_model else root / "base"
    if not it.base_model:
        r.into("base", base, lambda tmp: ["model", "init", "--size", it.model_size, "--out", str(tmp)])

    for k in range(it.iterations):
        d = root / f"iter_{k}"
        d.mkdir(exist_ok=True)
        if is_done(d):
            out.print(f"[dim]skip (done): iter_{k}[/dim]")
            continue
        policy = d / "policy"
        if k == 0:
            out.rule("iteration 0: SFT on the bootstrap data")
            r.stage("iter_0/sft", d / "sft" / "DONE", ["train", "sft", "--data", str(pairs0), "--model",
                                                     str(base), "--out", str(d / "sft")])
            r.into("iter_0/policy", policy, lambda tmp, d=d: [
                "model", "merge", "--model", str(base), "--adapter", str(d / "sft" / "adapter"),
                "--out", str(tmp)])
            search_value = ["value=none"]
        else:
            prev = root / f"iter_{k - 1}"
            out.rule(f"iteration {k}: SFT on the proofs found so far + joint training")
            pairs = d / "pairs.jsonl"

            def build_pairs(k=k, pairs=pairs, d=d) -> None:
                text, seen = pairs0.read_text(encoding="utf-8"), set()
                for j in range(k):  # a theorem proved at several iterations contributes its first proof
                    found = found_proofs_as_theorems(root / f"iter_{j}" / "search", str(train),
                                                     it.train_split or None)
                    rows = [x for x in found if x["name"] not in seen]
                    seen.update(x["name"] for x in rows)
                    out.print(f"iter_{j}: {len(rows)} training theorems proved by search join the SFT data")
                    text += _traced_pairs(r, rows, d / f"found_iter_{j}")
                atomic_write_text(pairs, text)

            r.stage(f"iter_{k}/pairs", pairs, build=build_pairs)
            r.stage(f"iter_{k}/joint", d / "joint" / "DONE", [
                "train", "joint", f"joint.model={prev / 'policy'}", f"joint.pairs={pairs}",
                f"joint.trajectories={prev / 'trajectories.parquet'}", f"joint.out={d / 'joint'}"])
            r.into(f"iter_{k}/policy", policy, lambda tmp, prev=prev, d=d: [
                "model", "merge", "--model", str(prev / "policy"), "--adapter", str(d / "joint" / "adapter"),
                "--out", str(tmp)])
            search_value = ["value=ebm", f"search.ebm_dir={d / 'joint' / 'ebm'}"]
        use = [f"policy.model={policy}", "ebm.encoder.kind=hf"]

        out.rule(f"iteration {k}: search the training theorems")
        r.stage(f"iter_{k}/search", d / "search" / "DONE", [
            "prove", str(train), *train_split, *use, *search_value, f"search.runs_dir={d}",
            "--name", "search"])
        traj = d / "trajectories.parquet"
        r.stage(f"iter_{k}/trajectories", traj, build=lambda d=d, traj=traj: atomic_copy(
            d / "search" / "trajectories.parquet", traj))

        out.rule(f"iteration {k}: decoupled EBM on this iteration's frozen embeddings, metrics")
        run_iter = ["--run", str(root), "--iter", str(k)]
        r.stage(f"iter_{k}/ebm", d / "ebm" / "DONE", ["train", "ebm", *run_iter, *use])
        r.stage(f"iter_{k}/eval_ebm", d / "eval" / "ebm" / "metrics.json", ["eval", "ebm", *run_iter, *use])
        r.stage(f"iter_{k}/eval_embeddings", d / "eval" / "embeddings" / "metrics.json", [
            "eval", "embeddings", *run_iter, *use, "--tsne" if it.tsne else "--no-tsne",
            "--max-states", str(it.max_states)])

        out.rule(f"iteration {k}: held-out proof search")
        ev = d / "eval"
        prove = ["prove", *held_args, *use, f"search.runs_dir={ev}"]
        if k == 0:
            r.stage("iter_0/eval_A", ev / "A" / "DONE", [
                *prove, "value=ebm", f"search.ebm_dir={d / 'ebm'}", "--name", "A", "--compare", "llm-only"])
        else:
            r.stage(f"iter_{k}/eval_B", ev / "B" / "DONE", [
                *prove, "value=ebm", f"search.ebm_dir={d / 'ebm'}", "--name", "B"])
            r.stage(f"iter_{k}/eval_C", ev / "C" / "DONE", [
                *prove, "value=ebm", f"search.ebm_dir={d / 'joint' / 'ebm'}", "--name", "C",
                "--compare", "llm-only"])
        r.stage(f"iter_{k}/report", ev / "report.md", build=lambda k=k: write_iteration_report(root, k))
        mark_done(d)

    print_table(root, it.iterations, out)
    out.print(f"\nreport: {root / f'iter_{it.iterations - 1}' / 'eval' / 'report.md'}")
    out.print(f"iterate finished in {time.perf_counter() - t0:.0f} s; stages run this time: {len(r.ran)}")
    return 0


def print_table(root: Path, iterations: int, out: Console) -> None:
    """The per-iteration table: held-out proof rates and encoder/EBM metrics, from eval/metrics.json."""
    from rich.table import Table

    table = Table(title="expert iteration: held-out proof rate (95% Wilson) and encoder / EBM metrics")
    for col in ("iter", "config", "proved", "rate", "95% CI", "centroid_l2", "probe", "rank-1"):
        table.add_column(col)
    for k in range(iterations):
        path = root / f"iter_{k}" / "eval" / "metrics.json"
        if not path.exists():
            continue
        m = json.loads(path.read_text(encoding="utf-8"))
        e, j = m["encoder"], m.get("joint") or {}
        for cfg_name, r in m["proof_rates"].items():
            if not r:
                continue
            enc = cfg_name in ("A", "B")
            rank1 = e["ebm_rank1"] if enc else j.get("val_rank1") if cfg_name == "C" else None
            lo, hi = r["ci95"]
            table.add_row(str(k), cfg_name.split(" (")[0], f"{r['proved']}/{r['attempted']}",
                          f"{r['rate']:.1%}", f"{lo:.0%}–{hi:.0%}", _num(e["centroid_l2"] if enc else None),
                          _num(e["linear_probe_accuracy"] if enc else None), _num(rank1))
    out.print(table)


def _num(x) -> str:
    return "" if x is None else f"{x:.3f}"


def iterate_main(overrides: list[str], out: Console, err: Console, stop_after: str = "") -> int:
    """Resolve ``experiment=NAME`` into ``+experiment=NAME``, load the config, run; exit code."""
    from qed.cli.config import ConfigError, load_config

    names = [o.split("=", 1)[1] for o in overrides if o.startswith(("experiment=", "+experiment="))]
    if len(names) != 1:
        err.print("[red]error:[/red] say which experiment: qed iterate experiment=NAME "
                  "(qed/configs/experiment/NAME.yaml)")
        return 2
    rest = [o for o in overrides if not o.startswith(("experiment=", "+experiment="))]
    try:
        cfg = load_config([f"+experiment={names[0]}", *rest])
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        return 2
    try:
        return run_iterate(cfg, rest, names[0], out, stop_after=stop_after)
    except StopAfter as exc:
        err.print(f"stopped after stage {exc}; rerun the same command to resume")
        return 3
    except StageFailed as exc:
        err.print(f"[red]error:[/red] {exc}")
        return 4
