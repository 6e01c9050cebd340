"""``qed iterate experiment=NAME``: expert iteration as a sequence of typed stages, in-process.

Owns the order of the stages (``qed.cli.stages``), what each reads and writes in the run
directory (``qed.data.rundir.RunLayout``), and skipping finished ones. Every stage gets the
one resolved config of the experiment (``qed/configs/experiment/NAME.yaml`` + overrides),
changed only where a stage needs another part (the iteration's policy, its energy head).
Stages are called with typed arguments, never through command lines; a stage that fails
raises, and the loop stops with its error (exit 4).

Run directory ``<search.runs_dir>/<name>``::

    config.yaml                      resolved config + git revision
    data/                            bootstrap pairs, training and held-out theorems
    base/                            the base model (created locally when iterate.base_model is empty)
    iter_0/sft/ policy/              LoRA SFT on the bootstrap pairs, merged into policy/
    iter_k/pairs.jsonl joint/ policy/  (k >= 1) SFT pairs + proofs found so far; joint training
    iter_k/search/ trajectories.parquet   search on the training theorems
    iter_k/embeddings/ ebm/          decoupled EBM on this iteration's frozen embeddings
    iter_k/eval/{ebm,embeddings}/    EBM and embedding metrics
    iter_k/eval/{A|B,C}/             held-out proof search (C and A with the LLM-only arm)
    iter_k/eval/metrics.json, report.md, iter_k/DONE

The SFT pairs of proofs found by search come from the searches' ``SearchResult``s
(``search/sft_pairs.jsonl``), whatever the env: a proof found on Lean is never replayed in
the sandbox. A stage is skipped when its marker exists (each stage writes its marker last;
directories are built under a temporary name and renamed), so a killed run resumes at the
stage it was in, which redoes its work from its own checkpoint or from scratch.

Threads: ``OMP_NUM_THREADS`` defaults to 1 for the whole run (as when every stage was a
child process), set before torch is imported.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.markup import escape

from qed.data.rundir import RunLayout, atomic_copy, atomic_dir, atomic_write_text, is_done, mark_done


class StopAfter(Exception):
    """Raised after the stage named by the hidden ``--stop-after`` option (testing resume)."""


class StageFailed(RuntimeError):
    pass


class Runner:
    """Runs stages unless their marker exists; honours ``stop_after``; records what ran."""

    def __init__(self, out: Console, stop_after: str = "") -> None:
        self.out, self.stop_after = out, stop_after
        self.ran: list[str] = []

    def stage(self, label: str, done: Path, build: Callable[[], object]) -> None:
        """Run ``build()`` unless ``done`` exists; then honour --stop-after.

        ``build`` must leave ``done`` behind; an exception in it stops the run with its error.
        """
        if done.exists():
            self.out.print(f"[dim]skip (done): {escape(label)}[/dim]")
        else:
            self.out.print(f"[bold cyan]▶ stage {escape(label)}[/bold cyan]")
            try:
                build()
            except (StopAfter, KeyboardInterrupt):
                raise
            except BaseException as exc:  # noqa: BLE001 - any stage failure stops the loop, with its error
                if isinstance(exc, SystemExit) and exc.code in (0, None):
                    pass
                else:
                    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    raise StageFailed(f"stage {label} failed: {detail}") from exc
            if not done.exists():
                raise StageFailed(f"stage {label} finished without writing {done}")
            self.ran.append(label)
        if label == self.stop_after:
            raise StopAfter(label)

    def into(self, label: str, final: Path, build: Callable[[Path], object]) -> None:
        """A stage that writes a whole directory: built at ``final.tmp``, renamed when done."""

        def run() -> None:
            with atomic_dir(final) as tmp:
                build(tmp)

        self.stage(label, final, run)


def _theorems(path: Path, split: str | None, limit: int = 0):
    from qed.data.benchmarks import load_benchmark

    thms = load_benchmark(str(path), split=split or None)
    return thms[:limit] if limit > 0 else thms


def _with(cfg: DictConfig, changes: dict) -> DictConfig:
    """``cfg`` with ``changes`` merged in (a typed config for one stage; ``cfg`` is unchanged)."""
    return OmegaConf.merge(cfg, changes)


def run_iterate(cfg: DictConfig, experiment: str, out: Console, *, stop_after: str = "",
                open_envs: Callable | None = None) -> int:
    """Run (or resume) the expert iteration ``cfg.iterate`` describes; 0 when finished.

    ``open_envs(cfg)`` replaces the configured env source of every search (see
    ``qed.cli.stages.search``): how a test runs the loop on an env other than the sandbox.
    """
    from qed.cli import stages
    from qed.cli.build import env_source
    from qed.cli.config import write_config
    from qed.cli.schema_from import settings
    from qed.train.settings import SftSettings

    envs = open_envs or env_source
    it = cfg.iterate
    name = it.name or experiment
    run = RunLayout((Path(cfg.search.runs_dir) / name).resolve())
    root, data = run.root, run.data
    data.mkdir(parents=True, exist_ok=True)
    write_config(root, cfg, f"iterate experiment={experiment}")
    r = Runner(out, stop_after)
    t0 = time.perf_counter()
    out.rule(f"[bold]qed iterate[/bold] experiment={experiment}: {it.iterations} iterations in {root}")

    def generate(label: str, dest: Path, n: int, seed: int, families, difficulty: int) -> None:
        r.stage(label, dest, lambda: stages.generate(dest, n=n, seed=seed, families=list(families),
                                                     difficulty=difficulty))

    out.rule("data: bootstrap SFT pairs, training theorems, held-out theorems")
    pairs0 = data / "pairs.jsonl"

    corpora_dir = data / "corpora"
    if it.bootstrap_corpora:
        r.stage("data/corpora", corpora_dir / "DONE",
                lambda: stages.corpora(corpora_dir, list(it.bootstrap_corpora), env=cfg.env))

    def bootstrap() -> None:
        text = Path(it.bootstrap_pairs).read_text(encoding="utf-8") if it.bootstrap_pairs else ""
        if it.bootstrap_corpora:
            text += (corpora_dir / "pairs.jsonl").read_text(encoding="utf-8")
        if it.bootstrap_n > 0:
            gen = data / "bootstrap_generated.jsonl"
            generate("data/bootstrap_generated", gen, it.bootstrap_n, it.bootstrap_seed, [], 0)
            gen_pairs = data / "bootstrap_generated.pairs.jsonl"
            stages.trace(gen, gen_pairs)
            text += gen_pairs.read_text(encoding="utf-8")
        if it.bootstrap_search:
            split = it.bootstrap_search_split or None
            boot = data / "bootstrap_search"
            scripted = _with(cfg, {"policy": {"kind": "scripted"}, "search": {
                "value": "none", "max_expansions": it.bootstrap_search_expansions}})
            r.stage("data/bootstrap_search", boot / "DONE", lambda: stages.search(
                scripted, _theorems(Path(it.bootstrap_search), split), boot,
                benchmark=it.bootstrap_search, open_envs=envs))
            found = stages.found_pairs(boot)
            out.print(f"{len({json.loads(x)['theorem'] for x in found.splitlines()})} proofs found by "
                      f"scripted search on {it.bootstrap_search} join the data", markup=False)
            text += found
        if not text:
            raise StageFailed("no bootstrap data: set iterate.bootstrap_pairs or iterate.bootstrap_n")
        atomic_write_text(pairs0, text)

    r.stage("data/pairs", pairs0, bootstrap)
    if it.train_benchmark == "corpora":
        if not it.bootstrap_corpora:
            raise StageFailed("iterate.train_benchmark=corpora needs iterate.bootstrap_corpora")
        train = corpora_dir / "train_accepted.jsonl"
        if it.train_n > 0:  # generated theorems beside the real ones: trees the EBM can learn from
            gen, mixed = data / "train.jsonl", data / "train_mixed.jsonl"
            generate("data/train", gen, it.train_n, it.train_seed, it.train_families, it.train_difficulty)
            both = (train, gen)
            r.stage("data/train_mixed", mixed, lambda: atomic_write_text(
                mixed, "".join(p.read_text(encoding="utf-8") for p in both)))
            train = mixed
    else:
        train = Path(it.train_benchmark) if it.train_benchmark else data / "train.jsonl"
    if not it.train_benchmark:
        generate("data/train", train, it.train_n, it.train_seed, it.train_families, it.train_difficulty)
    train_thms = _theorems(train, it.train_split, it.train_limit)
    heldout = Path(it.eval_benchmark) if it.eval_benchmark else data / "heldout.jsonl"
    if not it.eval_benchmark:
        generate("data/heldout", heldout, it.eval_n, it.eval_seed, [], it.eval_difficulty)
    held_thms = _theorems(heldout, it.eval_split, it.eval_limit)
    base = Path(it.base_model) if it.base_model else run.base
    if not it.base_model:
        r.into("base", base, lambda tmp: stages.init_model(tmp, size=it.model_size))

    for k in range(it.iterations):
        d = run.iteration(k)
        d.dir.mkdir(exist_ok=True)
        if is_done(d.dir):
            out.print(f"[dim]skip (done): iter_{k}[/dim]")
            continue
        if k == 0:
            out.rule("iteration 0: SFT on the bootstrap data")
            r.stage("iter_0/sft", d.sft / "DONE",
                    lambda d=d: stages.sft(pairs0, base, d.sft, settings(SftSettings, cfg.sft)))
            r.into("iter_0/policy", d.policy, lambda tmp, d=d: stages.merge(base, d.sft / "adapter", tmp))
            value: dict = {"value": "none"}
        else:
            prev = run.iteration(k - 1)
            out.rule(f"iteration {k}: SFT on the proofs found so far + joint training")

            def build_pairs(k=k, d=d) -> None:
                text, seen = pairs0.read_text(encoding="utf-8"), set()
                for j in range(k):  # a theorem proved at several iterations contributes its first proof
                    before = len(seen)
                    text += stages.found_pairs(run.iteration(j).search, skip=seen)
                    out.print(f"iter_{j}: {len(seen) - before} training theorems proved by search join "
                              "the SFT data", markup=False)
                atomic_write_text(d.pairs, text)

            r.stage(f"iter_{k}/pairs", d.pairs, build_pairs)
            r.stage(f"iter_{k}/joint", d.joint / "DONE", lambda d=d, prev=prev: stages.joint(
                cfg, prev.policy, d.pairs, prev.trajectories, d.joint))
            r.into(f"iter_{k}/policy", d.policy, lambda tmp, d=d, prev=prev: stages.merge(
                prev.policy, d.joint / "adapter", tmp))
            value = {"value": "ebm", "ebm_dir": str(d.joint / "ebm")}
        use = {"policy": {"model": str(d.policy)}, "ebm": {"encoder": {"kind": "hf"}}}
        here = _with(cfg, use)

        out.rule(f"iteration {k}: search the training theorems")
        r.stage(f"iter_{k}/search", d.search / "DONE", lambda d=d, value=value, here=here: stages.search(
            _with(here, {"search": value}), train_thms, d.search, benchmark=str(train), open_envs=envs))
        r.stage(f"iter_{k}/trajectories", d.trajectories,
                lambda d=d: atomic_copy(d.search / "trajectories.parquet", d.trajectories))

        out.rule(f"iteration {k}: decoupled EBM on this iteration's frozen embeddings, metrics")
        r.stage(f"iter_{k}/ebm", d.ebm / "DONE",
                lambda d=d, here=here: stages.embed_and_train_ebm(here, d.trajectories, d.dir))
        r.stage(f"iter_{k}/eval_ebm", d.eval / "ebm" / "metrics.json",
                lambda d=d, here=here: stages.evaluate_ebm(here, d.trajectories, d.dir))
        r.stage(f"iter_{k}/eval_embeddings", d.eval / "embeddings" / "metrics.json",
                lambda d=d, here=here: stages.evaluate_embeddings(here, d.trajectories, d.dir, tsne=it.tsne,
                                                                  max_states=it.max_states))

        out.rule(f"iteration {k}: held-out proof search")

        def held_out(arm: str, ebm_dir: Path, compare: bool, d=d, here=here) -> None:
            arm_cfg = _with(here, {"search": {"value": "ebm", "ebm_dir": str(ebm_dir)}})
            stages.search(arm_cfg, held_thms, d.eval / arm, benchmark=str(it.eval_benchmark or heldout),
                          compare=compare, open_envs=envs)

        if k == 0:
            r.stage("iter_0/eval_A", d.eval / "A" / "DONE", lambda d=d: held_out("A", d.ebm, True))
        else:
            r.stage(f"iter_{k}/eval_B", d.eval / "B" / "DONE", lambda d=d: held_out("B", d.ebm, False))
            r.stage(f"iter_{k}/eval_C", d.eval / "C" / "DONE",
                    lambda d=d: held_out("C", d.joint / "ebm", True))
        r.stage(f"iter_{k}/report", d.report, lambda k=k: stages.report(root, k))
        mark_done(d.dir)

    print_table(root, it.iterations, out)
    out.print(f"\nreport: {run.iteration(it.iterations - 1).report}", markup=False)
    if it.compare_n > 0:
        out.rule("values on the deep benchmark: what a value could win, and what the EBM wins")
        dest = root / "deep_compare"
        r.stage("deep_compare", dest / "report.md", lambda: stages.deep_compare(dest, it))
        out.print(f"report: {dest / 'report.md'}", markup=False)
    out.print(f"iterate finished in {time.perf_counter() - t0:.0f} s; stages run this time: {len(r.ran)}",
              markup=False)
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


def iterate_main(overrides: list[str], out: Console, err: Console, stop_after: str = "",
                 open_envs: Callable | None = None) -> int:
    """Resolve ``experiment=NAME`` into ``+experiment=NAME``, load the config, run; exit code."""
    from qed.cli.config import ConfigError, load_config

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    names = [o.split("=", 1)[1] for o in overrides if o.startswith(("experiment=", "+experiment="))]
    if len(names) != 1:
        err.print("[red]error:[/red] say which experiment: qed iterate experiment=NAME "
                  "(qed/configs/experiment/NAME.yaml)")
        return 2
    rest = [o for o in overrides if not o.startswith(("experiment=", "+experiment="))]
    try:
        cfg = load_config([f"+experiment={names[0]}", *rest])
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    _threads()
    try:
        return run_iterate(cfg, names[0], out, stop_after=stop_after, open_envs=open_envs)
    except StopAfter as exc:
        err.print(f"stopped after stage {exc}; rerun the same command to resume", markup=False)
        return 3
    except (StageFailed, ConfigError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        return 4


def _threads() -> None:
    """torch's intra-op threads from ``OMP_NUM_THREADS`` (torch may already be imported)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - the train extra is needed for the model stages anyway
        return
    torch.set_num_threads(max(1, int(os.environ["OMP_NUM_THREADS"])))
