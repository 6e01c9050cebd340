"""Config -> Lean backends (``env=pantograph`` / ``env=repl``): one env, or a pool of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from omegaconf import DictConfig

from qed.cli.errors import BuildError
from qed.env.pantograph import PantographEnv
from qed.env.pool import LeanPool
from qed.env.repl import ReplEnv


def _require_binary(cfg: DictConfig) -> str:
    if not cfg.binary:
        raise BuildError(
            f"env={cfg.kind} needs env.binary=PATH (the REPL executable) and usually env.project=PATH "
            f"(your Lake project); see docs/lean.md"
        )
    return cfg.binary


def env_factory(cfg: DictConfig) -> Callable[[], PantographEnv | ReplEnv]:
    """A function building one Lean env from the ``env`` config group."""
    binary = _require_binary(cfg)
    project = cfg.project or None
    lean_path = cfg.lean_path or None
    imports = list(cfg.imports)
    match cfg.kind:
        case "pantograph":
            return lambda: PantographEnv(
                binary,
                project=project,
                lean_path=lean_path,
                imports=imports,
                request_timeout_s=cfg.request_timeout_s,
                startup_timeout_s=cfg.start_timeout_s,
            )
        case "repl":
            return lambda: ReplEnv(
                binary,
                project=project,
                lean_path=lean_path,
                imports=imports,
                request_timeout_s=cfg.request_timeout_s,
                import_timeout_s=cfg.start_timeout_s,
            )
        case other:
            raise BuildError(f"not a Lean backend: env.kind={other}")


@contextmanager
def build_lean_env(cfg: DictConfig) -> Iterator[PantographEnv | ReplEnv]:
    """One Lean env, its process tree killed on exit."""
    env = env_factory(cfg)()
    try:
        yield env
    finally:
        env.close()


@contextmanager
def build_lean_pool(cfg: DictConfig) -> Iterator[LeanPool]:
    """``env.pool_size`` Lean envs with recycling and the memory cap from config."""
    pool = LeanPool(
        env_factory(cfg),
        cfg.pool_size,
        max_requests=cfg.max_requests,
        max_age_s=cfg.max_age_s,
        max_rss_mb=cfg.max_rss_mb or None,
    )
    try:
        yield pool
    finally:
        pool.close()
