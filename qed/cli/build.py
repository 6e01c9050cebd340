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
