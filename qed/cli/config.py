"""Compose the run configuration with Hydra from ``qed/configs`` plus ``key=value`` overrides.

Also owns what a run directory's ``config.yaml`` means for resuming (``write_config``: a
rerun must have the same search settings). Imports no command module.
"""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from rich.console import Console

from qed.cli.schema import QedConfig
from qed.data.rundir import write_run_config

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


class ConfigError(ValueError):
    """An override or YAML value that does not fit the schema."""


def load_config(overrides: list[str] | None = None, *, config_name: str = "config") -> DictConfig:
    """The resolved config for ``overrides`` (``["env=repl", "env.binary=/x/repl"]``)."""
    ConfigStore.instance().store(name="qed_schema", node=QedConfig)
    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
            return compose(config_name=config_name, overrides=list(overrides or []))
    except (HydraException, OmegaConfBaseException) as exc:
        raise ConfigError(f"bad configuration: {exc}") from exc


def to_yaml(cfg: DictConfig) -> str:
    return OmegaConf.to_yaml(cfg, resolve=True)


def load_or_exit(overrides: list[str] | None, err: Console | None = None) -> DictConfig:
    """``load_config`` for a command: a bad override prints the error and exits 2."""
    import typer

    try:
        return load_config(overrides)
    except ConfigError as exc:
        (err or Console(stderr=True)).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


_COMPARED = ("search", "policy", "env.kind", "ebm.encoder")
_UNCOMPARED = ("concurrency", "runs_dir")


def _compared(cfg: DictConfig) -> dict:
    plain = OmegaConf.to_container(cfg, resolve=True)
    out = {}
    for key in _COMPARED:
        node = plain
        for part in key.split("."):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node = {k: v for k, v in node.items() if k not in _UNCOMPARED}
        out[key] = node
    return out


def write_config(root: Path, cfg: DictConfig, command: str) -> None:
    """Write ``root/config.yaml``, or check that an existing one has the same search settings."""
    path = root / "config.yaml"
    if path.exists():
        try:
            old = OmegaConf.load(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
            raise ConfigError(f"{path}: unreadable ({exc}); remove it or use another --name") from exc
        before, now = _compared(old), _compared(cfg)
        diff = [k for k in now if before.get(k) != now[k]]
        if diff:
            raise ConfigError(
                f"{root} was run with different settings ({', '.join(diff)}); "
                "use another --name or the same overrides to resume"
            )
        return
    write_run_config(root, to_yaml(cfg), command)
