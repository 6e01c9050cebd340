"""Compose the run configuration with Hydra from ``qed/configs`` plus ``key=value`` overrides."""

from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from qed.cli.schema import QedConfig

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
