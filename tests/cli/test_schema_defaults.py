"""Every config default equals the library's default: the schema is built from the library classes."""

from __future__ import annotations

import dataclasses

import pytest
from omegaconf import OmegaConf

from qed.cli.config import load_config
from qed.cli.schema import QedConfig
from qed.cli.schema_from import settings
from qed.data.synthetic import SyntheticSpec
from qed.search.best_first import SearchSettings
from qed.search.mcts import MctsSettings
from qed.search.result import Budget
from qed.train.settings import EbmTrainSettings, JointSettings, MonitorSettings, SftSettings
from qed.value.settings import HeadConfig

SECTIONS = [
    ("search", Budget),
    ("search", SearchSettings),
    ("search", MctsSettings),
    ("sft", SftSettings),
    ("ebm.train", EbmTrainSettings),
    ("ebm.head", HeadConfig),
    ("ebm.synthetic", SyntheticSpec),
    ("joint", JointSettings),
    ("joint.monitor", MonitorSettings),
]


def _library_defaults(cls) -> dict:
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            continue  # no default (HeadConfig.dim): not a config key
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


@pytest.mark.parametrize(("key", "cls"), SECTIONS, ids=[f"{k}:{c.__name__}" for k, c in SECTIONS])
def test_every_schema_default_is_the_library_default(key, cls):
    node = OmegaConf.structured(QedConfig)
    for part in key.split("."):
        node = node[part]
    plain = OmegaConf.to_container(node)
    for name, value in _library_defaults(cls).items():
        assert plain[name] == value, f"{key}.{name}: schema {plain[name]!r}, library {value!r}"


def test_the_drifted_defaults_now_agree():
    cfg = load_config([])
    assert cfg.joint.monitor.sft_deadline == MonitorSettings().sft_deadline
    assert cfg.ebm.synthetic.signal == SyntheticSpec().signal


def test_settings_are_built_by_keyword_with_tuples_and_nested_sections():
    cfg = load_config(["joint.monitor.sft_deadline=7", "sft.target_modules=[q_proj]", "search.alpha=0.25"])
    joint = settings(JointSettings, cfg.joint)
    assert joint.monitor == MonitorSettings(sft_deadline=7) and joint == JointSettings(monitor=joint.monitor)
    assert settings(SftSettings, cfg.sft).target_modules == ("q_proj",)
    assert settings(SearchSettings, cfg.search) == SearchSettings(alpha=0.25)
    assert settings(SearchSettings, cfg.search, alpha=0.0).alpha == 0.0
    assert settings(Budget, cfg.search) == Budget()
