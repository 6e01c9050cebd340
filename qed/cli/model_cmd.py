"""``qed model init|merge``, ``qed serve`` and ``qed train sft``: the CLI of policy models.

Owns turning options and config into plain arguments for ``qed.policy.models``,
``qed.serve.app`` and ``qed.train.sft``, the default tokenizer corpus (generated sandbox
theorems with their traced states + miniF2F statements, in the prompt format), progress
display and error reporting (a missing model directory exits 2 with how to get one).

Knows no model internals.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qed.cli.build import quiet_transformers

model_app = typer.Typer(no_args_is_help=True)
console = Console()
err = Console(stderr=True)

OVERRIDES = typer.Argument(None, help="Hydra overrides: key=value ...", show_default=False)


def default_corpus(n_generated: int = 1500, seed: int = 0) -> Iterator[str]:
    """Tokenizer training text: prompts + completions of traced sandbox proofs, miniF2F statements."""
    from qed.cli.tracing import generated_theorems, trace_pairs
    from qed.data.benchmarks import load_benchmark
    from qed.env.sandbox.env import SandboxEnv
    from qed.policy.prompt import format_completion, format_prompt

    for traced in trace_pairs(SandboxEnv(), generated_theorems(n_generated, seed, 2)):
        for p in traced.pairs:
            yield format_prompt(p.prompt_theorem(), p.state) + format_completion(p.tactic)
    for thm in load_benchmark("minif2f_v1"):
        yield format_prompt(thm, thm.goal or "")


@model_app.command("init")
def init(
    size: str = typer.Option("tiny", "--size", help="tiny (~0.2M parameters) or small (~4M)."),
    out: Path = typer.Option(..., "--out", help="Directory for the model and tokenizer (HF format)."),
    corpus: Path = typer.Option(None, "--corpus", help="Text file to train the tokenizer on "
                                "(default: generated sandbox proofs + miniF2F statements)."),
    seed: int = typer.Option(0, "--seed", help="Initialisation seed."),
) -> None:
    """Create a randomly initialised Qwen2-style model with a freshly trained byte-level BPE tokenizer."""
    from qed.policy.models import SIZES, init_model, save_model, train_tokenizer

    quiet_transformers()
    if size not in SIZES:
        err.print(f"[red]error:[/red] unknown size {size!r}: choose from {', '.join(SIZES)}")
        raise typer.Exit(2)
    if corpus is not None and not corpus.exists():
        err.print(f"[red]error:[/red] corpus {corpus} does not exist")
        raise typer.Exit(2)
    if (out / "config.json").exists():
        err.print(f"[red]error:[/red] {out} already holds a model; choose another --out")
        raise typer.Exit(2)
    spec = SIZES[size]
    texts = corpus.read_text(encoding="utf-8").splitlines() if corpus else list(default_corpus())
    tok = train_tokenizer(texts, spec.vocab_size, max_length=spec.max_positions)
    model = init_model(spec, tok, seed=seed)
    save_model(model, tok, out)
    n_params = sum(p.numel() for p in model.parameters())
    console.print(f"wrote {size} model ({n_params:,} parameters, vocabulary {len(tok)}) to {out}")


@model_app.command("merge")
def merge(
    model: Path = typer.Option(..., "--model", help="Base model directory."),
    adapter: Path = typer.Option(..., "--adapter", help="LoRA adapter directory (RUN_DIR/adapter)."),
    out: Path = typer.Option(..., "--out", help="Directory for the merged model."),
) -> None:
    """Fold a LoRA adapter into its base model and save a plain HF model."""
    from qed.policy.models import ModelNotFound, merge_adapter

    quiet_transformers()
    try:
        merge_adapter(model, adapter, out)
    except ModelNotFound as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"wrote merged model to {out}")


def serve_command(
    model: Path = typer.Option(..., "--model", help="Model directory (HF format)."),
    adapter: Path = typer.Option(None, "--adapter", help="LoRA adapter directory to apply."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    served_name: str = typer.Option("qed", "--served-name", help="Model name clients send."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:1 ..."),
    dtype: str = typer.Option("auto", "--dtype", help="auto, float32, bfloat16, float16."),
    layer: int = typer.Option(-1, "--layer", help="Hidden layer pooled for /v1/embeddings (-1: last)."),
) -> None:
    """Serve a model over an OpenAI-compatible API: /v1/completions, /v1/embeddings, /v1/models, /health."""
    from qed.policy.models import ModelNotFound, load_model
    from qed.serve.app import Engine, ServeOptions, create_app, serve

    quiet_transformers()
    try:
        m, tok = load_model(model, adapter=adapter, device=device, dtype=dtype)
    except ModelNotFound as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    app = create_app(Engine(m, tok, ServeOptions(served_name=served_name), layer=layer))
    err.print(f"serving {model}{' + ' + str(adapter) if adapter else ''} as {served_name!r} on http://{host}:{port}")
    serve(app, host=host, port=port)


def sft_command(
    data: Path = typer.Option(None, "--data", help="Pairs file (.jsonl/.parquet); default sft.data."),
    model: Path = typer.Option(None, "--model", help="Base model directory; default sft.model."),
    out: Path = typer.Option(None, "--out", help="Run directory; default sft.out."),
    overrides: list[str] = OVERRIDES,
) -> None:
    """LoRA SFT on (theorem, state, tactic) pairs; completion-only loss; split by theorem; resumable."""
    from omegaconf import OmegaConf

    from qed.cli.config import load_or_exit as _config
    from qed.cli.schema_from import settings as library_settings
    from qed.policy.models import ModelNotFound
    from qed.train.sft import SftSettings, run_sft
    from qed.train.sft_data import SftDataError

    quiet_transformers()
    cfg = OmegaConf.to_container(_config(overrides).sft, resolve=True)
    data = data or (Path(cfg["data"]) if cfg["data"] else None)
    model = model or (Path(cfg["model"]) if cfg["model"] else None)
    out = out or (Path(cfg["out"]) if cfg["out"] else None)
    if data is None or model is None or out is None:
        err.print("[red]error:[/red] --data, --model and --out are required "
                  "(or sft.data=, sft.model=, sft.out=)")
        raise typer.Exit(2)
    settings = library_settings(SftSettings, cfg)
    with Progress(TextColumn("sft"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                  TimeElapsedColumn(), console=err) as bar:
        task = bar.add_task("sft", total=None, info="")

        def progress(step: int, total: int, row: dict) -> None:
            bar.update(task, completed=step, total=total, info=f"loss {row['loss']:.3f}")

        try:
            result = run_sft(model, data, out, settings, progress=progress, log=err.print)
        except (ModelNotFound, SftDataError, ValueError) as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
    em = result.exact_match
    console.print(f"adapter: {result.adapter}  steps: {result.steps}  train pairs: {result.train_pairs}  "
                  f"validation pairs: {result.val_pairs}  final validation loss: {result.final_val_loss}")
    for when in ("before", "after"):
        if when in em:
            console.print(f"exact match {when}: top-1 {em[when]['top1']:.3f}  top-8 {em[when]['top8']:.3f} "
                          f"({em[when]['states']} validation states, {em[when]['n']} samples)")
    console.print(f"loss curve: {out / 'loss.png'}")

