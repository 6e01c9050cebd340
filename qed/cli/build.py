"""The composition root: every choice, one explicit ``match`` each, from config to objects.

Owns the swap points: the env (``env.kind``) and how searches get one (``env_source``), the
policy (``policy.kind``), the encoder (``ebm.encoder.kind``), the value function
(``search.value``), the search algorithm (``search.algorithm``: the settings object whose
``steps`` runs the search) and the executor (``dist.kind``). Also turns config sections
into the library's settings objects (by keyword, ``qed.cli.schema_from.settings``).

One backbone: in-process, the policy (``policy=hf``) and the encoder (``ebm.encoder.kind=hf``)
are served by ONE model object (generation and mean-pooled embeddings, as ``qed serve``
does): both builders take the same ``Backbones`` and it loads each (model, adapter) once.

Imports of optional backends happen inside the branch that needs them, so choosing the
sandbox never loads Lean-client or model code. Imports no command module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig

from qed.cli.errors import BuildError
from qed.cli.schema_from import settings
from qed.core import Env

__all__ = ["BuildError", "Backbones", "build_env", "env_source", "build_policy", "build_encoder",
           "build_value", "build_search", "build_budget", "build_provers", "actor_envs", "load_proposer",
           "proposer_config",
           "joint_settings", "head_config", "head_options", "quiet_transformers"]


def quiet_transformers() -> None:
    """No per-shard progress bars or info logs from transformers in CLI output (ours show progress)."""
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()


class Backbones:
    """The in-process models of one process, loaded once per (model, adapter, device, dtype).

    ``get`` returns the same ``(model, tokenizer)`` objects to every caller: the policy that
    generates with it and the encoder that mean-pools its hidden states share one backbone.
    """

    def __init__(self) -> None:
        self._loaded: dict[tuple, tuple] = {}

    def get(self, model: str, adapter: str = "", *, device: str = "auto", dtype: str = "auto") -> tuple:
        from qed.policy.models import ModelNotFound, load_model

        key = (str(Path(model).resolve()), str(Path(adapter).resolve()) if adapter else "", device, dtype)
        if key not in self._loaded:
            try:
                self._loaded[key] = load_model(Path(model), adapter=Path(key[1]) if adapter else None,
                                               device=device, dtype=dtype)
            except ModelNotFound as exc:
                raise BuildError(str(exc)) from exc
        return self._loaded[key]

    def __len__(self) -> int:
        return len(self._loaded)


# ---- env ------------------------------------------------------------------------------


@contextmanager
def build_env(cfg: DictConfig) -> Iterator[Env]:
    """The configured environment (the ``env`` section), closed (processes killed) on exit."""
    match cfg.kind:
        case "sandbox":
            from qed.env.sandbox.env import SandboxEnv

            yield SandboxEnv(tactic_timeout_s=cfg.tactic_timeout_s)
        case "pantograph" | "repl":
            from qed.cli.lean_build import build_lean_env

            with build_lean_env(cfg) as env:
                yield env
        case other:
            raise BuildError(f"unknown env.kind '{other}': expected sandbox, pantograph or repl")


@contextmanager
def env_source(cfg: DictConfig) -> Iterator[tuple]:
    """(EnvSource, concurrency, threads): a shared sandbox, or one Lean pool lease per theorem."""
    from qed.dist.local import pooled, shared

    conc = max(1, cfg.search.concurrency)
    match cfg.env.kind:
        case "sandbox":
            with build_env(cfg.env) as env:
                yield shared(env), conc, 1
        case "pantograph" | "repl":
            from qed.cli.lean_build import build_lean_pool

            conc = min(conc, cfg.env.pool_size)
            with build_lean_pool(cfg.env) as pool:
                yield pooled(pool), conc, conc
        case other:
            raise BuildError(f"unknown env.kind '{other}': expected sandbox, pantograph or repl")


# ---- policy, encoder, value -------------------------------------------------------------


def build_policy(cfg: DictConfig, backbones: Backbones | None = None):
    """The configured ``Policy`` for search (``policy.kind``), sampling at ``search.temperature``."""
    p, s = cfg.policy, cfg.search
    match p.kind:
        case "scripted":
            from qed.policy.scripted import SANDBOX_TACTICS, FixedPolicy, RandomPolicy

            tactics = list(s.scripted.tactics) or list(SANDBOX_TACTICS)
            match s.scripted.mode:
                case "fixed":
                    return FixedPolicy(tactics)
                case "random":
                    return RandomPolicy(tactics, temperature=s.temperature, seed=s.scripted.seed)
                case other:
                    raise BuildError(f"unknown search.scripted.mode '{other}': expected fixed or random")
        case "hf":
            if not p.model:
                raise BuildError(
                    "policy.kind=hf needs policy.model (a local model directory); "
                    "for the built-in tactic list use policy=scripted"
                )
            from qed.policy.hf import HFPolicy

            backbone = Backbones() if backbones is None else backbones
            model, tokenizer = backbone.get(p.model, p.adapter, device=p.device, dtype=p.dtype)
            return HFPolicy(model, tokenizer, temperature=s.temperature, top_p=p.top_p,
                            max_new_tokens=p.max_new_tokens, rank_by=p.rank_by, seed=cfg.seed)
        case "http":
            from qed.policy.http import HttpPolicy

            return HttpPolicy(p.url, model=p.served_name, temperature=s.temperature, top_p=p.top_p,
                              max_tokens=p.max_new_tokens, timeout_s=p.timeout_s, retries=p.retries,
                              rank_by=p.rank_by, seed=cfg.seed)
        case "langevin":
            try:
                return load_proposer(cfg)
            except (FileNotFoundError, ValueError) as exc:
                raise BuildError(f"policy.kind=langevin: {exc}") from exc
        case other:
            raise BuildError(f"unknown policy.kind '{other}': expected scripted, hf, http or langevin")


def build_encoder(cfg: DictConfig, backbones: Backbones | None = None):
    """(encoder, id, dim) for ``ebm.encoder``: the one swap point for the value encoder.

    ``hf`` is the policy's backbone in-process (``policy.model`` + ``policy.adapter``), taken
    from ``backbones`` so a policy built from the same ``Backbones`` shares the model object.
    """
    e = cfg.ebm.encoder
    match e.kind:
        case "hashing":
            from qed.value.hashing_encoder import HashingEncoder

            enc = HashingEncoder(e.dim, ngram=e.ngram, seed=e.seed)
            return enc, enc.id, e.dim
        case "http":
            from qed.value.http_encoder import HttpEncoder

            if not e.url:
                raise BuildError("ebm.encoder.kind=http needs ebm.encoder.url")
            return HttpEncoder(e.url, model=e.model), f"http:{e.url}:{e.model}:d{e.dim}", e.dim
        case "hf":
            from qed.value.encoder import HFEncoder

            p = cfg.policy
            if not p.model:
                raise BuildError("ebm.encoder.kind=hf needs policy.model (and policy.adapter)")
            backbone = Backbones() if backbones is None else backbones
            model, tok = backbone.get(p.model, p.adapter, device=p.device, dtype=p.dtype)
            enc = HFEncoder(model, tok)
            adapter = Path(p.adapter).resolve() if p.adapter else None
            return enc, f"hf:{Path(p.model).resolve()}+{adapter or '-'}:layer-1", enc.dim
        case other:
            raise BuildError(f"unknown ebm.encoder.kind '{other}': expected hashing, http or hf")


def build_value(cfg: DictConfig, backbones: Backbones | None = None):
    """The configured value function for search (``search.value``), or None for LLM-only search."""
    match cfg.search.value:
        case "none":
            return None
        case "ebm":
            from qed.value.ebm import load_head
            from qed.value.scorer import EbmScorer

            head_dir = Path(cfg.search.ebm_dir or f"{cfg.ebm.run}/iter_{cfg.ebm.iteration}/ebm")
            encoder, _, _ = build_encoder(cfg, backbones)
            try:
                head = load_head(head_dir, device=cfg.ebm.train.device)
            except (FileNotFoundError, ValueError) as exc:
                raise BuildError(
                    f"search.value=ebm: no usable energy head in {head_dir} ({exc}); train one with "
                    "`qed train ebm` or set search.ebm_dir"
                ) from exc
            return EbmScorer(encoder, head, device=cfg.ebm.train.device)
        case "langevin":
            from qed.langevin.proposer import MinEnergyValue

            try:
                return MinEnergyValue(load_proposer(cfg))
            except (FileNotFoundError, ValueError) as exc:
                raise BuildError(f"search.value=langevin: {exc}") from exc
        case other:
            raise BuildError(f"unknown search.value '{other}': expected none, ebm or langevin")


def load_proposer(cfg: DictConfig):
    """The ``LangevinProposer`` saved by ``qed langevin tactics`` (what ``policy=langevin`` builds)."""
    from qed.langevin.proposer import LangevinProposer, TacticLibrary
    from qed.langevin.tactics import load_tactic_run
    from qed.value.hashing_encoder import HashingEncoder

    t = cfg.langevin.tactics
    model, enc, tactics = load_tactic_run(t.dir or Path(cfg.langevin.out) / "tactics")
    if enc.get("kind") != "hashing":
        raise ValueError(f"unsupported tactic-energy encoder {enc}")
    encoder = HashingEncoder(int(enc["dim"]))
    return LangevinProposer(model, encoder, TacticLibrary.build(tactics, encoder), proposer_config(t))


def proposer_config(t: DictConfig):
    """``ProposerConfig`` (with its Langevin sampler) from ``langevin.tactics``."""
    from qed.langevin.proposer import ProposerConfig
    from qed.langevin.sampler import LangevinConfig

    sampler = LangevinConfig(steps=t.max_steps, step_size=t.step_size, grad_clamp=None, noise=0.0, low=None,
                             high=None, patience=t.patience, tol=t.tol)
    return ProposerConfig(chains=t.chains, decode_k=t.decode_k, temperature=t.temperature, seed=t.seed,
                          langevin=sampler)


# ---- search and executor ----------------------------------------------------------------


def build_budget(cfg: DictConfig):
    """``qed.search.result.Budget`` from ``search.*``."""
    from qed.search.result import Budget

    return settings(Budget, cfg.search)


def build_search(cfg: DictConfig, *, alpha: float | None = None):
    """The search algorithm (``search.algorithm``): a settings object whose ``steps`` searches.

    ``alpha`` replaces ``search.alpha`` for best-first (the LLM-only arm of a comparison).
    """
    s = cfg.search
    match s.algorithm:
        case "best_first":
            from qed.search.best_first import SearchSettings

            return settings(SearchSettings, s, **({} if alpha is None else {"alpha": alpha}))
        case "mcts":
            from qed.search.mcts import MctsSettings

            return settings(MctsSettings, s)
        case other:
            raise BuildError(f"unknown search.algorithm '{other}': expected best_first or mcts")


@contextmanager
def build_provers(cfg: DictConfig, *, policy, value, budget, open_envs=None) -> Iterator:
    """``make(search, use_value) -> Prover`` for ``dist.kind``, its envs or Ray open meanwhile.

    ``local``: a ``LocalProver`` over this process's env source (``search.concurrency``);
    ``open_envs(cfg)`` replaces ``env_source`` (a caller with its own env, e.g. a test).
    ``ray``: a ``RayProver``; each prover actor builds its envs, policy and value from ``cfg``
    itself (``dist.model_actor``: policy and value built once, in a shared model actor).
    """
    match cfg.dist.kind:
        case "local":
            from qed.dist.local import LocalProver

            with (open_envs or env_source)(cfg) as (envs, conc, threads):
                yield lambda search, use_value: LocalProver(
                    envs=envs, policy=policy, value=value if use_value else None, budget=budget,
                    settings=search, concurrency=conc, threads=threads,
                )
        case "ray":
            from functools import partial

            from omegaconf import OmegaConf

            from qed.dist.ray import RayProver, Resources, alive_nodes, connect

            d = cfg.dist
            actor_cfg = OmegaConf.merge(cfg, {"env": {"pool_size": d.env_processes},
                                              "search": {"concurrency": d.searches_per_prover}})
            lean = cfg.env.kind != "sandbox"
            with connect(d.address, num_cpus=d.num_cpus or None, object_store_mb=d.object_store_mb):
                provers = d.provers or d.provers_per_node * max(1, alive_nodes())
                scored = cfg.search.value != "none"
                yield lambda search, use_value: RayProver(
                    make_envs=partial(actor_envs, actor_cfg), policy=partial(build_policy, actor_cfg),
                    value=partial(build_value, actor_cfg) if use_value and scored else None,
                    budget=budget, settings=search, provers=provers,
                    searches=min(d.searches_per_prover, d.env_processes) if lean else d.searches_per_prover,
                    threads=min(d.searches_per_prover, d.env_processes) if lean else 1,
                    resources=Resources(d.prover.num_cpus, d.prover.memory_mb, d.prover.num_gpus),
                    model_server=Resources(d.model.num_cpus, d.model.memory_mb, d.model.num_gpus)
                    if d.model_actor else None,
                    max_attempts=d.max_attempts, batch_wait_s=d.batch_wait_s,
                )
        case other:
            raise BuildError(f"unknown dist.kind '{other}': expected local or ray")


@contextmanager
def actor_envs(cfg: DictConfig) -> Iterator:
    """The env source of one Ray prover actor (run inside the actor; picklable with ``partial``)."""
    with env_source(cfg) as (envs, _conc, _threads):
        yield envs


# ---- training settings --------------------------------------------------------------------


def joint_settings(cfg: DictConfig, **changes):
    """``JointSettings`` from ``cfg.joint`` (``changes`` replace fields, ``monitor`` a dict of fields)."""
    from qed.train.settings import JointSettings, MonitorSettings

    monitor = settings(MonitorSettings, cfg.joint.monitor, **changes.pop("monitor", {}))
    return settings(JointSettings, cfg.joint, monitor=monitor, **changes)


def head_config(cfg: DictConfig, dim: int):
    """The energy head's ``HeadConfig`` from ``ebm.head`` for an encoder of width ``dim``."""
    from qed.value.settings import HeadConfig

    return settings(HeadConfig, cfg.ebm.head, dim=dim)


def head_options(cfg: DictConfig) -> dict:
    """``HeadConfig`` fields except ``dim`` (``run_joint`` sets it to the model's hidden size)."""
    from dataclasses import asdict

    options = asdict(head_config(cfg, 1))
    del options["dim"]
    return options
