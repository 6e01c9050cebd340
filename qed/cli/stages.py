"""The stages of expert iteration as typed functions: what ``qed iterate`` calls, in-process.

One function per stage, each with typed arguments (paths, the library's settings objects, a
resolved config for the parts the composition root builds); each writes its outputs through
``qed.data.rundir`` (atomically, its ``DONE`` marker or final file last) and raises on
failure (``StageError`` or the library's own errors), so a failing stage stops the loop with
its error. The ``qed`` commands of the same names call these same functions.

- ``generate``   sandbox theorems with verified proofs -> JSONL (miniF2F schema + proof)
- ``trace``      theorems with proofs given as text -> SFT pairs (replayed in the sandbox:
                 only generated sandbox theorems take this path)
- ``init_model`` / ``merge``  a fresh tiny model; a LoRA adapter folded into its base
- ``sft``        LoRA SFT on pairs (``qed.train.sft.run_sft``)
- ``search``     proof search over theorems into a resumable run (``qed.eval.prove``);
                 the SFT pairs of every proof found are read off its ``SearchResult``
                 (``sft_pairs.jsonl``), whatever the env
- ``embed_and_train_ebm``  frozen embeddings (cached) + the decoupled energy head
- ``evaluate_ebm`` / ``evaluate_embeddings``  value and embedding metrics
- ``joint``      SFT + InfoNCE through one LoRA (``qed.train.joint.run_joint``)
- ``report``     the iteration's metrics.json and report.md

Knows nothing about the order of stages (``qed.cli.iterate_cmd``) nor about command lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from qed.cli.build import (
    Backbones,
    build_budget,
    build_encoder,
    build_env,
    build_policy,
    build_provers,
    build_search,
    build_value,
    env_source,
    head_config,
    joint_settings,
    quiet_transformers,
)
from qed.cli.config import write_config
from qed.cli.prove_view import print_compare, print_times, progress_run, summary_table
from qed.core import Theorem
from qed.data.rundir import atomic_path, atomic_write_json, atomic_write_text, is_done, mark_done
from qed.train.settings import SftSettings

if TYPE_CHECKING:  # the results of torch stages, imported lazily at run time
    from qed.train.ebm import EbmTrainResult
    from qed.train.joint import JointResult
    from qed.train.sft import SftResult

out = Console()
err = Console(stderr=True)


class StageError(RuntimeError):
    """A stage that could not do its work; the message says which and why."""


# ---- data --------------------------------------------------------------------------------


def generate(dest: Path, *, n: int, seed: int, families: Sequence[str] = (), difficulty: int = 2,
             workers: int = 2) -> int:
    """Write ``n`` generated sandbox theorems (verified proofs) to ``dest`` atomically; the row count."""
    from qed.env.sandbox.families import FAMILIES
    from qed.env.sandbox.generate import generate as gen

    rows = 0
    with atomic_path(dest) as tmp, tmp.open("w", encoding="utf-8") as fh:
        for item in gen(n, seed=seed, difficulty=difficulty or 2, families=list(families) or list(FAMILIES),
                        workers=workers):
            if item.row is not None:
                fh.write(json.dumps(item.row, ensure_ascii=False) + "\n")
                rows += 1
    out.print(f"wrote {rows} verified theorems to {dest}", markup=False)
    return rows


def trace(theorems: Path, dest: Path) -> int:
    """SFT pairs of the proofs in a theorem file (replayed in the sandbox) to ``dest``; the pair count."""
    from qed.cli.tracing import theorem_from_row, trace_pairs
    from qed.env.sandbox.env import SandboxEnv
    from qed.train.sft_data import write_pairs

    rows = [json.loads(x) for x in theorems.read_text(encoding="utf-8").splitlines() if x.strip()]
    pairs, failed = [], 0
    for traced in trace_pairs(SandboxEnv(), (theorem_from_row(r) for r in rows)):
        pairs.extend(traced.pairs)
        failed += traced.error is not None
    with atomic_path(dest) as tmp:
        count = write_pairs(pairs, tmp)
    out.print(f"wrote {count} pairs from {len({p.theorem for p in pairs})} theorems to {dest} "
              f"({failed} proofs failed to trace)", markup=False)
    return count


def corpora(dest: Path, specs: Sequence[str], *, benchmarks: Sequence[str] = ("minif2f_v1", "minif2f_v2s",
                                                                           "minif2f_v2c"),
            env: DictConfig | None = None) -> dict:
    """Real corpora into ``dest`` (``qed data prepare`` + ``qed data trace``): the records,
    ``pairs.jsonl`` (traced pairs of the train split) and ``train_accepted.jsonl`` (the train
    split's statements the env accepts, benchmark schema); ``DONE`` last. ``specs`` are ``KEY``,
    ``KEY=PATH`` or ``KEY=bundled`` as for ``qed data prepare --corpus``. Tracing runs in the
    sandbox, or through Lean's ``frontend.process`` when ``env`` is a Pantograph env section."""
    from qed.cli.corpus_trace import trace_corpus, write_pairs_file
    from qed.data.benchmarks import load_benchmark
    from qed.data.corpora import corpus
    from qed.data.corpora.fetch import open_rows
    from qed.data.corpora.prepare import prepare

    sources = []
    for spec in specs:
        key, _, where = spec.partition("=")
        sources.append((corpus(key), open_rows(corpus(key), where or "hub")))
    bench = [(b, t.name, t.statement) for b in benchmarks for t in load_benchmark(b)]
    summary = prepare(sources, dest, benchmarks=bench)
    if env is not None and env.kind == "pantograph":
        with build_env(env) as lean:
            trace_corpus(dest, lean_trace_file=lean.trace_file)
    else:
        trace_corpus(dest)
    counts = write_pairs_file(dest)
    lines = (dest / "traced.jsonl").read_text(encoding="utf-8").splitlines()
    traced = [json.loads(x) for x in lines if x.strip()]
    rejected = {t["name"] for t in traced if t["status"] == "rejected"}
    rows = [x for x in (dest / "train.jsonl").read_text(encoding="utf-8").splitlines()
            if x.strip() and json.loads(x)["name"] not in rejected]
    atomic_write_text(dest / "train_accepted.jsonl", "".join(x + "\n" for x in rows))
    out.print(f"corpora: kept {summary.total('kept')} of {summary.total('rows')} rows; {counts['pairs']} "
              f"traced train pairs from {counts['theorems']} theorems; {len(rows)} train statements the "
              "sandbox accepts", markup=False)
    atomic_write_text(dest / "DONE", json.dumps(counts) + "\n")
    return counts


def found_pairs(search_run: Path, *, skip: set[str] | None = None) -> str:
    """The SFT pairs (JSONL text) of the proofs a search run found, as its ``SearchResult``s recorded
    them; theorems in ``skip`` are left out and the names taken are added to it."""
    from qed.eval.prove import RunPaths

    path = RunPaths(search_run).pairs
    if not path.exists():
        raise StageError(f"{search_run}: no {path.name} (was it searched by this version of qed?)")
    lines, taken = [], set()
    for line in path.read_text(encoding="utf-8").splitlines():
        name = json.loads(line)["theorem"]
        if skip is not None and name in skip:
            continue
        taken.add(name)
        lines.append(line + "\n")
    if skip is not None:
        skip.update(taken)
    return "".join(lines)


# ---- models ------------------------------------------------------------------------------


def init_model(dest: Path, *, size: str, seed: int = 0, corpus: Path | None = None) -> Path:
    """A randomly initialised model of ``size`` with a freshly trained tokenizer, at ``dest``."""
    from qed.cli.tracing import default_corpus
    from qed.policy.models import SIZES, create_model

    quiet_transformers()
    if size not in SIZES:
        raise StageError(f"unknown model size {size!r}: choose from {', '.join(SIZES)}")
    if (dest / "config.json").exists():
        raise StageError(f"{dest} already holds a model; choose another directory")
    texts = corpus.read_text(encoding="utf-8").splitlines() if corpus else list(default_corpus())
    model, tok = create_model(size, texts, dest, seed=seed)
    n_params = sum(p.numel() for p in model.parameters())
    out.print(f"wrote {size} model ({n_params:,} parameters, vocabulary {len(tok)}) to {dest}", markup=False)
    return dest


def merge(base: Path, adapter: Path, dest: Path) -> Path:
    """``base`` with the LoRA ``adapter`` folded in, saved as a plain model at ``dest``."""
    from qed.policy.models import merge_adapter

    quiet_transformers()
    merge_adapter(base, adapter, dest)
    out.print(f"wrote merged model to {dest}", markup=False)
    return dest


def sft(pairs: Path, base: Path, run: Path, settings: SftSettings) -> SftResult:
    """LoRA SFT of ``base`` on ``pairs`` into ``run`` (``qed.train.sft.run_sft``; resumable)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from qed.train.sft import run_sft

    quiet_transformers()
    with Progress(TextColumn("sft"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task("sft", total=None, info="")

        def progress(step: int, total: int, row: dict) -> None:
            bar.update(task, completed=step, total=total, info=f"loss {row['loss']:.3f}")

        result = run_sft(base, pairs, run, settings, progress=progress,
                         log=lambda line: err.print(line, markup=False, highlight=False))
    out.print(f"adapter: {result.adapter}  steps: {result.steps}  train pairs: {result.train_pairs}  "
              f"validation pairs: {result.val_pairs}  final validation loss: {result.final_val_loss}",
              markup=False)
    return result


# ---- search ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arm:
    """One configuration of a proving run: its subdirectory, alpha, and whether it uses the value."""

    name: str
    alpha: float
    use_value: bool


def search(cfg: DictConfig, theorems: Sequence[Theorem], root: Path, *, benchmark: str,
           compare: bool = False, stop_after: int | None = None,
           open_envs: Callable = env_source) -> dict:
    """Search ``theorems`` into the run directory ``root`` (resuming it); the summaries by arm.

    ``benchmark`` names the theorems' source in titles and ``config.yaml``. Parts come from
    ``cfg`` through the composition root (one ``Backbones``: the policy and an ``hf`` encoder
    share one model). ``compare`` adds the LLM-only arm (alpha 0, no value)
    beside the configured one, each in its own subdirectory, and ``compare.json``.
    ``open_envs(cfg)`` is the env source (``qed.cli.build.env_source``: the configured env).
    Returns ``{}`` when ``stop_after`` theorems were searched before the end (testing resume).
    """
    from qed.eval.prove import read_records
    from qed.eval.summary import compare as compare_arms

    s = cfg.search
    arms = ([Arm("llm-only", 0.0, False), Arm("configured", s.alpha, True)] if compare
            else [Arm("", s.alpha, True)])
    budget = build_budget(cfg)
    build_search(cfg)  # an unknown algorithm fails here, before any work
    on_driver = cfg.dist.kind == "local"  # dist=ray: the actors build policy and value
    backbones = Backbones()
    policy = build_policy(cfg, backbones) if on_driver else None
    value = build_value(cfg, backbones) if on_driver else None
    write_config(root, cfg, f"prove {benchmark}")
    if s.value == "none" and s.alpha > 0 and not compare:
        err.print(f"[yellow]note:[/yellow] search.value=none: alpha={s.alpha} has no energy to weigh; "
                  "nodes are ranked by log-prob alone")
    summaries, records = {}, {}
    with build_provers(cfg, policy=policy, value=value, budget=budget, open_envs=open_envs) as make_prover:
        for arm in arms:
            prover = make_prover(build_search(cfg, alpha=arm.alpha), arm.use_value)
            arm_root = root / arm.name if arm.name else root
            label = f"{arm.name or 'prove'} α={arm.alpha:g}"
            summary = progress_run(label, theorems, prover, arm_root, stop_after)
            if summary is None:
                return {}
            summaries[arm.name] = summary
            records[arm.name or "run"] = read_records(arm_root / "results.jsonl")
            track_search(arm_root, records[arm.name or "run"])
            out.print(summary_table(f"{benchmark} {label}: {arm_root}", summary))
            print_times(summary)
    if compare:
        table = compare_arms(records)
        atomic_write_json(root / "compare.json", table)
        print_compare(table)
        mark_done(root)
    return summaries


def track_search(arm_root: Path, records: Sequence[dict]) -> None:
    """The run's search metrics as TensorBoard scalars in ``arm_root/tensorboard`` (``qed.train.tracking``).

    Step = theorem (results order): ``search/proved`` (0 or 1), ``search/proof_rate_so_far``,
    ``search/expansions`` and ``search/wall_seconds``. Written whole each time (a rerun replaces the
    events, it does not add to them); results.jsonl stays the source of truth.
    """
    from qed.train.tracking import open_tracker

    tracker = open_tracker(arm_root)
    tracker.resume(0)
    proved = 0
    for i, r in enumerate(records, 1):
        ok = r.get("status") == "proved"
        proved += ok
        tracker.log({"kind": "search", "step": i, "proved": float(ok), "proof_rate_so_far": proved / i,
                     "expansions": r.get("expansions"), "wall_seconds": r.get("wall_seconds")})
    tracker.close()


# ---- value and embeddings ----------------------------------------------------------------


def embed_and_train_ebm(cfg: DictConfig, trajectories: Path, it_dir: Path) -> EbmTrainResult:
    """Embed the trajectories' states with the configured encoder (cached in ``it_dir/embeddings``)
    and train the decoupled energy head into ``it_dir/ebm`` (resumable; DONE last)."""
    from qed.cli.schema_from import settings
    from qed.train.ebm import EbmTrainSettings, train_ebm

    encoder, encoder_id, dim = build_encoder(cfg)
    result = train_ebm(trajectories, it_dir / "ebm", it_dir / "embeddings", encoder, encoder_id,
                       head_config(cfg, dim), settings(EbmTrainSettings, cfg.ebm.train), console=err)
    atomic_write_text(it_dir / "ebm" / "resolved_config.yaml", OmegaConf.to_yaml(cfg, resolve=True))
    m = result.metrics
    out.print(f"EBM: val rank-1 {m['val_rank1']:.3f} (chance {m['chance']:.3f}), best step {m['best_step']} "
              f"of {m['steps']}, temperature {m['temperature']:.3f}")
    return result


def evaluate_ebm(cfg: DictConfig, trajectories: Path, it_dir: Path, *, split: str = "val") -> dict:
    """EBM metrics of ``it_dir/ebm`` into ``it_dir/eval/ebm/metrics.json``."""
    from qed.eval.ebm_metrics import evaluate_ebm as run

    if not is_done(it_dir / "ebm"):
        raise StageError(f"{it_dir / 'ebm'} has no finished head (no DONE)")
    encoder, encoder_id, _ = build_encoder(cfg)
    m = run(trajectories, it_dir / "ebm", it_dir / "embeddings", encoder, encoder_id, it_dir / "eval" / "ebm",
            split=split, device=cfg.ebm.train.device)
    out.print(f"EBM metrics: rank-1 {m['rank1']:.3f} (chance {m['chance']:.3f}), {m['groups']} groups")
    return m


def evaluate_embeddings(cfg: DictConfig, trajectories: Path, it_dir: Path, *, tsne: bool,
                        max_states: int, split: str = "all") -> dict:
    """Embedding health metrics into ``it_dir/eval/embeddings/metrics.json``."""
    from qed.eval.embedding_metrics import evaluate_embeddings as run

    encoder, encoder_id, dim = build_encoder(cfg)
    m = run(trajectories, it_dir / "embeddings", encoder, encoder_id, dim, it_dir / "eval" / "embeddings",
            split=split, val_fraction=cfg.ebm.train.val_fraction, seed=cfg.ebm.train.seed,
            max_states=max_states, tsne=tsne)
    out.print(f"embedding metrics: centroid_l2 {m['centroid_l2']:.3f}, linear probe "
              f"{m['linear_probe_accuracy']:.3f} ({m['states']} states)")
    return m


# ---- joint training and the report --------------------------------------------------------


def joint(cfg: DictConfig, base: Path, pairs: Path, trajectories: Path, run: Path) -> JointResult:
    """Joint training (SFT + InfoNCE through one LoRA) of ``base`` into ``run`` (resumable; DONE last)."""
    import torch

    from qed.cli.joint_run import run_with_progress

    quiet_transformers()
    if cfg.joint.threads > 0:
        torch.set_num_threads(cfg.joint.threads)
    run.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run / "resolved_config.yaml", OmegaConf.to_yaml(cfg.joint, resolve=True))
    return run_with_progress("joint", base, pairs, trajectories, run, joint_settings(cfg), cfg)


def report(root: Path, k: int) -> Path:
    """Iteration ``k``'s ``eval/metrics.json`` and ``eval/report.md`` (last)."""
    from qed.eval.report import write_iteration_report

    return write_iteration_report(root, k)


# ---- science -----------------------------------------------------------------------------


def deep_compare(dest: Path, it: DictConfig) -> dict:
    """``qed science compare`` at the size ``iterate.compare_*`` says, into ``dest`` (report.md last)."""
    from qed.cli.science_cmd import compare_tables
    from qed.cli.value_compare import CompareSettings, generate_rows, headline, run_compare

    given = (("seeds", it.compare_seeds), ("budgets", it.compare_budgets), ("arms", it.compare_arms))
    s = CompareSettings(**{k: tuple(v) for k, v in given if v})  # empty: the default
    held = generate_rows(dest / "heldout.jsonl", it.compare_n, 0)
    train = generate_rows(dest / "train.jsonl", it.compare_train_n, 1)
    out.print(f"{len(held)} held-out and {len(train)} training deep theorems; seeds {list(s.seeds)}, budgets "
              f"{list(s.budgets)}, arms {list(s.arms)}", markup=False)
    summary = run_compare(held, train, dest, s)
    for table in compare_tables(summary):
        out.print(table)
    out.print(headline(summary), markup=False, soft_wrap=True)
    return summary
