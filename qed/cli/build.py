"""The swap points: one explicit ``match`` per choice, from config to objects.

Imports of optional backends happen inside the branch that needs them, so choosing the
sandbox never loads Lean-client or model code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from omegaconf import DictConfig

from qed.core import Env


class BuildError(ValueError):
    """A configuration that names an unknown option or misses a required value."""


@contextmanager
def build_env(cfg: DictConfig) -> Iterator[Env]:
    """The configured environment, closed (processes killed) on exit."""
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


def build_policy(cfg: DictConfig):
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
            from pathlib import Path

            from qed.policy.hf import HFPolicy
            from qed.policy.models import ModelNotFound, load_model

            adapter = Path(p.adapter) if p.adapter else None
            try:
                model, tokenizer = load_model(Path(p.model), adapter=adapter, device=p.device, dtype=p.dtype)
            except ModelNotFound as exc:
                raise BuildError(str(exc)) from exc
            return HFPolicy(model, tokenizer, temperature=s.temperature, top_p=p.top_p,
                            max_new_tokens=p.max_new_tokens, rank_by=p.rank_by, seed=cfg.seed)
        case "http":
            from qed.policy.http import HttpPolicy

            return HttpPolicy(p.url, model=p.served_name, temperature=s.temperature, top_p=p.top_p,
                              max_tokens=p.max_new_tokens, timeout_s=p.timeout_s, retries=p.retries,
                              rank_by=p.rank_by, seed=cfg.seed)
        case "langevin":
            from qed.cli.langevin_cmd import load_proposer

            try:
                return load_proposer(cfg)
            except (FileNotFoundError, ValueError) as exc:
                raise BuildError(f"policy.kind=langevin: {exc}") from exc
        case other:
            raise BuildError(f"unknown policy.kind '{other}': expected scripted, hf, http or langevin")


def build_value(cfg: DictConfig):
    """The configured value function for search (``search.value``), or None for LLM-only search."""
    match cfg.search.value:
        case "none":
            return None
        case "ebm":
            from pathlib import Path

            import typer

            from qed.cli.ebm_cmd import build_encoder
            from qed.value.ebm import load_head
            from qed.value.scorer import EbmScorer

            head_dir = Path(cfg.search.ebm_dir or f"{cfg.ebm.run}/iter_{cfg.ebm.iteration}/ebm")
            try:
                encoder, _, _ = build_encoder(cfg)
                head = load_head(head_dir, device=cfg.ebm.train.device)
            except typer.BadParameter as exc:
                raise BuildError(str(exc)) from exc
            except (FileNotFoundError, ValueError) as exc:
                raise BuildError(
                    f"search.value=ebm: no usable energy head in {head_dir} ({exc}); train one with "
                    "`qed train ebm` or set search.ebm_dir"
                ) from exc
            return EbmScorer(encoder, head, device=cfg.ebm.train.device)
        case "langevin":
            from qed.cli.langevin_cmd import load_proposer
            from qed.langevin.proposer import MinEnergyValue

            try:
                return MinEnergyValue(load_proposer(cfg))
            except (FileNotFoundError, ValueError) as exc:
                raise BuildError(f"search.value=langevin: {exc}") from exc
        case other:
            raise BuildError(f"unknown search.value '{other}': expected none, ebm or langevin")


@contextmanager
def build_provers(cfg: DictConfig, *, policy, value, budget) -> Iterator:
    """``make(settings, use_value) -> Prover`` for ``dist.kind``, its envs or Ray open meanwhile.

    ``local``: a ``LocalProver`` over this process's env source (``search.concurrency``).
    ``ray``: a ``RayProver``; each prover actor builds its envs, policy and value from ``cfg``
    itself (``dist.model_actor``: policy and value built once, in a shared model actor).
    """
    match cfg.dist.kind:
        case "local":
            from qed.cli.prove_cmd import env_source
            from qed.dist.local import LocalProver

            with env_source(cfg) as (envs, conc, threads):
                yield lambda settings, use_value: LocalProver(
                    envs=envs, policy=policy, value=value if use_value else None, budget=budget,
                    settings=settings, concurrency=conc, threads=threads,
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
                yield lambda settings, use_value: RayProver(
                    make_envs=partial(actor_envs, actor_cfg), policy=partial(build_policy, actor_cfg),
                    value=partial(build_value, actor_cfg) if use_value and scored else None,
                    budget=budget, settings=settings, provers=provers,
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
    from qed.cli.prove_cmd import env_source

    with env_source(cfg) as (envs, _conc, _threads):
        yield envs
