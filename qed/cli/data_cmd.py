"""``qed data corpora|fetch|prepare|trace|report``: real corpora into training data (docs/data.md).

The commands are thin: loading and cleaning live in ``qed.data.corpora``, tracing in
``qed.cli.corpus_trace``. A data directory holds ``raw/<corpus>.jsonl`` (fetched rows, the
corpus's own schema), then what ``prepare`` writes (``records.jsonl``, ``removed.jsonl``,
``contamination.jsonl``, ``stages.json``, ``train|valid|test.jsonl``), then ``traced.jsonl``
and ``pairs.jsonl`` from ``trace``, then ``report.md``/``report.json`` and plots.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qed.cli.sft_pairs import data_app

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DEFAULT_BENCHMARKS = ("minif2f_v1", "minif2f_v2s", "minif2f_v2c")


def _fail(message: str) -> None:
    err.print("error: " + message, markup=False)
    raise typer.Exit(2)


@data_app.command("corpora")
def corpora_command() -> None:
    """List the corpora qed can load: key, hub id, schema confidence, Lean version, license."""
    from qed.data.corpora import CORPORA
    from qed.data.corpora.fetch import BUNDLED_DIR

    for c in CORPORA.values():
        bundled = " (bundled sample)" if (BUNDLED_DIR / f"{c.key}.jsonl").exists() else ""
        console.print(
            f"{c.key:20} {c.hf_id or 'local file':32} schema: {c.confidence:10} Lean {c.lean_version:12} "
            f"{c.license}{bundled}",
            markup=False,
        )
        console.print(f"{'':20} {c.description}", markup=False)


@data_app.command("fetch")
def fetch_command(
    corpora: list[str] = typer.Argument(..., help="Corpus keys (see `qed data corpora`)."),
    out: Path = typer.Option(..., "--out", help="Data directory; rows go to OUT/raw/<corpus>.jsonl."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Hugging Face datasets cache directory."),
    limit: int = typer.Option(0, "--limit", help="Stop after this many rows per corpus (0: all)."),
) -> None:
    """Download corpora from the Hugging Face hub (streamed) into local JSONL files."""
    from qed.data.corpora import corpus
    from qed.data.corpora.fetch import FetchError, fetch

    for key in corpora:
        try:
            c = corpus(key)
        except KeyError as exc:
            _fail(str(exc.args[0]))
        dest = out / "raw" / f"{key}.jsonl"
        with Progress(
            TextColumn(f"fetching {key}"), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as bar:
            task = bar.add_task(key, total=None)
            try:
                n = fetch(
                    c,
                    dest,
                    cache_dir=cache_dir,
                    limit=limit,
                    progress=lambda k, task=task: bar.update(task, completed=k),
                )
            except FetchError as exc:
                bar.stop()
                _fail(str(exc))
        console.print(f"{key}: {n} rows -> {dest}", markup=False)


def _location(spec: str, out: Path) -> tuple[str, str]:
    key, _, where = spec.partition("=")
    if where:
        return key, where
    raw = out / "raw" / f"{key}.jsonl"
    return key, str(raw) if raw.exists() else "hub"


@data_app.command("prepare")
def prepare_command(
    out: Path = typer.Option(..., "--out", help="Data directory to write."),
    corpus_specs: list[str] = typer.Option(
        ...,
        "--corpus",
        help="KEY, KEY=PATH (.jsonl/.json/.parquet) or "
        "KEY=bundled; repeat. Without PATH: OUT/raw/KEY.jsonl, else the hub.",
    ),
    benchmark: list[str] = typer.Option(
        list(DEFAULT_BENCHMARKS),
        "--benchmark",
        help="Benchmarks to decontaminate against (names or files); repeat.",
    ),
    near: float = typer.Option(
        0.8, "--near", min=0.0, max=1.0, help="Near-match threshold (3-gram Jaccard)."
    ),
    keep_contaminated: bool = typer.Option(
        False, "--keep-contaminated", help="Report matches, keep the rows."
    ),
    no_dedup: bool = typer.Option(False, "--no-dedup", help="Keep duplicate statements."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Hugging Face datasets cache directory."),
) -> None:
    """Load corpora, normalise, filter, deduplicate, decontaminate and split them."""
    from qed.data.benchmarks import BenchmarkError, load_benchmark
    from qed.data.corpora import SchemaError, corpus
    from qed.data.corpora.fetch import CorpusFileError, FetchError, open_rows
    from qed.data.corpora.prepare import REMOVED, PrepareSettings, prepare

    try:
        bench = [(b, t.name, t.statement) for b in benchmark for t in load_benchmark(b)]
        sources = []
        for spec in corpus_specs:
            key, where = _location(spec, out)
            sources.append((corpus(key), open_rows(corpus(key), where, cache_dir=cache_dir)))
        settings = PrepareSettings(
            near_threshold=near, remove_contaminated=not keep_contaminated, deduplicate=not no_dedup
        )
        with Progress(
            TextColumn("preparing {task.description}"),
            TextColumn("{task.completed} rows"),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("", total=None)
            summary = prepare(
                sources,
                out,
                settings=settings,
                benchmarks=bench,
                progress=lambda k, n: bar.update(task, description=k, completed=n),
            )
    except KeyError as exc:
        _fail(str(exc.args[0]))
    except (SchemaError, CorpusFileError, FetchError, BenchmarkError) as exc:
        _fail(str(exc))
    for key, c in summary.counts.items():
        sp = summary.splits.get(key, {})
        console.print(
            f"{key}: {c.get('rows', 0)} rows, {c.get('converted', 0)} records, kept {c.get('kept', 0)} "
            f"(train {sp.get('train', 0)} / valid {sp.get('valid', 0)} / test {sp.get('test', 0)}); removed: "
            + ", ".join(
                f"{s} {c[s]}"
                for s in REMOVED
                if c.get(s)
            ),
            markup=False,
        )
    console.print(
        f"benchmark matches: {summary.contaminated} (see {out / 'contamination.jsonl'}); wrote {out}",
        markup=False,
    )


@data_app.command("trace")
def trace_command(
    data: Path = typer.Argument(..., help="Data directory written by `qed data prepare`."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    tactic_timeout: float = typer.Option(5.0, "--tactic-timeout", help="Seconds per tactic."),
    proof_timeout: float = typer.Option(30.0, "--proof-timeout", help="Seconds per proof."),
    limit: int = typer.Option(0, "--limit", help="Trace at most this many records in this call (0: all)."),
    env: str = typer.Option(
        "sandbox",
        "--env",
        help="sandbox, or pantograph (real Lean: whole files "
        "through frontend.process; give env.binary=... env.project=... as OVERRIDES).",
    ),
    overrides: list[str] = typer.Argument(
        None, help="Config overrides for --env pantograph.", show_default=False
    ),
) -> None:
    """Replay the records' proofs through the sandbox (or Lean) into (state, tactic) pairs (resumable)."""
    from contextlib import nullcontext

    from qed.cli.corpus_trace import TraceSettings, trace_corpus, write_pairs_file

    settings = TraceSettings(tactic_timeout_s=tactic_timeout, proof_timeout_s=proof_timeout, workers=workers)
    records = data / "records.jsonl"
    if not records.exists():
        _fail(f"{records}: no such file (run `qed data prepare --out {data}` first)")
    total = sum(1 for line in records.open(encoding="utf-8") if line.strip())
    status: dict[str, int] = {}
    with Progress(
        TextColumn("tracing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as bar:
        task = bar.add_task("trace", total=total)
        done_before = (
            sum(1 for _ in (data / "traced.jsonl").open()) if (data / "traced.jsonl").exists() else 0
        )
        bar.update(task, completed=done_before)

        def seen(line: dict) -> None:
            status[line["status"]] = status.get(line["status"], 0) + 1
            bar.advance(task)

        with _lean_env(env, overrides or []) if env != "sandbox" else nullcontext() as lean:
            n = trace_corpus(
                data,
                settings,
                limit=limit,
                on_item=seen,
                lean_trace_file=lean.trace_file if lean is not None else None,
            )
    counts = write_pairs_file(data)
    console.print(
        f"traced {n} records this run ({_counts(status)}); "
        f"{counts['pairs']} train pairs from {counts['theorems']} theorems -> {data / 'pairs.jsonl'} "
        f"({counts['held_out_pairs']} pairs of valid/test records not written)",
        markup=False,
    )


def _lean_env(kind: str, overrides: list[str]):
    """A Pantograph env from the config (``env=pantograph`` + overrides), for tracing whole files."""
    from qed.cli.build import build_env
    from qed.cli.config import ConfigError, load_config

    if kind != "pantograph":
        _fail(f"--env {kind}: tracing through Lean needs Pantograph's frontend.process (--env pantograph)")
    try:
        cfg = load_config(["env=pantograph", *overrides])
    except ConfigError as exc:
        _fail(str(exc))
    return build_env(cfg.env)


def _counts(status: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(status.items())) or "none"


@data_app.command("report")
def report_command(
    data: Path = typer.Argument(..., help="Data directory written by `qed data prepare` (and trace)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Rows per source and stage, sorry rates, proof lengths, duplicates, contamination, tracing."""
    from qed.data.corpora.report import build_report, markdown, plots
    from qed.data.rundir import atomic_write_json, atomic_write_text

    try:
        doc = build_report(data)
    except FileNotFoundError as exc:
        _fail(str(exc))
    text = markdown(doc)
    atomic_write_json(data / "report.json", doc)
    atomic_write_text(data / "report.md", text)
    written = plots(doc, data / "plots")
    if as_json:
        console.print(json.dumps(doc, indent=2, ensure_ascii=False), markup=False)
    else:
        console.print(text, markup=False)
    console.print(
        f"wrote {data / 'report.md'}, {data / 'report.json'}"
        + (
            f" and {len(written)} plots in {data / 'plots'}" if written else " (no plots: matplotlib missing)"
        ),
        markup=False,
    )
