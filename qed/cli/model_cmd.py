"""``qed model init|merge``, ``qed serve`` and ``qed train sft``: the CLI of policy models.

Owns turning options and config into plain arguments for the stages (``qed.cli.stages``:
``init_model``, ``merge``, ``sft``) and ``qed.serve.app``, and error reporting (a missing
model directory exits 2 with how to get one). The default tokenizer corpus lives in
``qed.cli.tracing``.

Knows no model internals.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from qed.cli.build import quiet_transformers

model_app = typer.Typer(no_args_is_help=True)
console = Console()
err = Console(stderr=True)

OVERRIDES = typer.Argument(None, help="Hydra overrides: key=value ...", show_default=False)


@model_app.command("init")
def init(
    size: str = typer.Option("tiny", "--size", help="tiny (~0.2M parameters), mini (~1M) or small (~4M)."),
    out: Path = typer.Option(..., "--out", help="Directory for the model and tokenizer (HF format)."),
    corpus: Path = typer.Option(None, "--corpus", help="Text file to train the tokenizer on "
                                "(default: generated sandbox proofs + miniF2F statements)."),
    seed: int = typer.Option(0, "--seed", help="Initialisation seed."),
) -> None:
    """Create a randomly initialised Qwen2-style model with a freshly trained byte-level BPE tokenizer."""
    from qed.cli.stages import StageError, init_model

    if corpus is not None and not corpus.exists():
        err.print(f"[red]error:[/red] corpus {escape(str(corpus))} does not exist")
        raise typer.Exit(2)
    try:
        init_model(out, size=size, seed=seed, corpus=corpus)
    except StageError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc


@model_app.command("merge")
def merge(
    model: Path = typer.Option(..., "--model", help="Base model directory."),
    adapter: Path = typer.Option(..., "--adapter", help="LoRA adapter directory (RUN_DIR/adapter)."),
    out: Path = typer.Option(..., "--out", help="Directory for the merged model."),
) -> None:
    """Fold a LoRA adapter into its base model and save a plain HF model."""
    from qed.cli.stages import merge as merge_stage
    from qed.policy.models import ModelNotFound

    try:
        merge_stage(model, adapter, out)
    except ModelNotFound as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc


def _start_failure(message: str) -> typer.Exit:
    """Print ``error: message`` as one plain line on stderr; the exit (code 2) to raise."""
    line = " ".join(message.split())
    err.print(Text.assemble(("error:", "red"), " ", line), soft_wrap=True, highlight=False)
    return typer.Exit(2)


def serve_command(
    model: Path = typer.Option(..., "--model", help="Model directory (HF format)."),
    adapter: Path = typer.Option(None, "--adapter", help="LoRA adapter directory to apply."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    served_name: str = typer.Option("qed", "--served-name", help="Model name clients send."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:1 ..."),
    dtype: str = typer.Option("auto", "--dtype", help="auto, float32, bfloat16, float16."),
    layer: int = typer.Option(-1, "--layer", help="Hidden layer pooled for /v1/embeddings (-1: last)."),
    max_request_tokens: int = typer.Option(
        None, "--max-request-tokens", help="Most tokens one completion request may ask for "
        "(prompts x n x max_tokens); default in ServeOptions."),
    max_request_mb: int = typer.Option(
        None, "--max-request-mb", help="Estimated memory one completion request may need (MiB)."),
    max_batch_mb: int = typer.Option(
        None, "--max-batch-mb", help="Estimated memory one batched model call may need (MiB)."),
) -> None:
    """Serve a model over an OpenAI-compatible API: /v1/completions, /v1/embeddings, /v1/models, /health.

    Start-up failures (missing or unreadable model files, a bad or busy port) print one line
    and exit 2. Limits and guarantees: docs/reliability.md.
    """
    from qed.policy.models import ModelNotFound, load_model
    from qed.serve.app import Engine, MiB, ServeOptions, ServeStartError, bind, create_app, serve

    limits = {k: v for k, v in (("max_request_tokens", max_request_tokens),
                                ("max_request_bytes", max_request_mb and max_request_mb * MiB),
                                ("max_batch_bytes", max_batch_mb and max_batch_mb * MiB)) if v is not None}
    try:
        defaults = ServeOptions()
        if "max_request_bytes" in limits and "max_batch_bytes" not in limits:
            limits["max_batch_bytes"] = max(defaults.max_batch_bytes, limits["max_request_bytes"])
        options = ServeOptions(served_name=served_name, **limits)
    except ValueError as exc:
        raise _start_failure(str(exc)) from None
    try:
        sock = bind(host, port)  # before the (slow) model load: a busy port fails at once
    except ServeStartError as exc:
        raise _start_failure(str(exc)) from None
    with sock:
        quiet_transformers()
        try:
            m, tok = load_model(model, adapter=adapter, device=device, dtype=dtype)
        except ModelNotFound as exc:
            raise _start_failure(str(exc)) from None
        except Exception as exc:  # truncated weights, broken config or tokenizer: say so in one line
            first = (str(exc).strip().splitlines() or [""])[0][:300]
            raise _start_failure(f"cannot load the model in {model}"
                                 f"{' with adapter ' + str(adapter) if adapter else ''}: "
                                 f"{type(exc).__name__}: {first}") from None
        try:
            engine = Engine(m, tok, options, layer=layer)
        except ValueError as exc:
            raise _start_failure(str(exc)) from None
        app = create_app(engine)
        bound = sock.getsockname()[1]
        err.print(
            f"serving {model}{' + ' + str(adapter) if adapter else ''} as {served_name!r} on "
            f"http://{host}:{bound}",
            markup=False, highlight=False, soft_wrap=True,
        )
        serve(app, host=host, port=bound, sock=sock)


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
    from qed.cli.stages import sft as sft_stage
    from qed.policy.models import ModelNotFound
    from qed.train.sft import SftSettings
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
    try:
        result = sft_stage(data, model, out, settings)
    except (ModelNotFound, SftDataError, ValueError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from exc
    em = result.exact_match
    for when in ("before", "after"):
        if when in em:
            console.print(f"exact match {when}: top-1 {em[when]['top1']:.3f}  top-8 {em[when]['top8']:.3f} "
                          f"({em[when]['states']} validation states, {em[when]['n']} samples)")
    console.print(f"loss curve: {out / 'loss.png'}", markup=False)

