"""Hydra structured-config sections built from the library's own settings dataclasses.

A library settings class (``qed.search.result.Budget``, ``qed.train.sft.SftSettings``, …) is
the one place a default lives. ``section(name, *sources, extra=…)`` returns a plain
(mutable) dataclass with every field of every source, the same names and the same defaults,
plus CLI-only fields given as ``(name, type, default)``, so OmegaConf can validate YAML and
overrides against it. Tuples become lists (OmegaConf has no tuples); a nested dataclass
field becomes a nested section. ``settings(cls, node)`` goes the other way: the library
object from a config node, by keyword, taking only ``cls``'s fields.

Knows nothing about which sections exist (``qed.cli.schema`` composes them).
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, get_args, get_origin

from omegaconf import OmegaConf


def _schema_type(tp: Any) -> Any:
    """The OmegaConf-friendly type for a library annotation (tuple[X, ...] -> list[X])."""
    if get_origin(tp) is tuple:
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return list[args[0] if args else Any]
    return tp


def _default(f: dataclasses.Field) -> tuple[str, Any]:
    if f.default is not dataclasses.MISSING:
        value = f.default
        if isinstance(value, tuple):
            return "factory", (lambda v=value: list(v))
        return "value", value
    if f.default_factory is not dataclasses.MISSING:
        made = f.default_factory()
        if dataclasses.is_dataclass(made):
            nested = section(type(made).__name__ + "Config", type(made))
            return "factory", nested
        if isinstance(made, tuple):
            return "factory", (lambda fac=f.default_factory: list(fac()))
        return "factory", f.default_factory
    return "missing", None


def section(name: str, *sources: type, extra: tuple = (), exclude: tuple[str, ...] = (),
            doc: str = "") -> type:
    """A mutable dataclass named ``name`` with the fields of ``sources`` (in order) and ``extra``."""
    fields, seen = [], set()
    for src in sources:
        hints = typing.get_type_hints(src)
        for f in dataclasses.fields(src):
            if f.name in exclude or f.name in seen:
                continue
            seen.add(f.name)
            kind, value = _default(f)
            tp = _schema_type(hints[f.name])
            if kind == "value":
                fields.append((f.name, tp, dataclasses.field(default=value)))
            elif kind == "factory":
                if isinstance(value, type):  # a nested section
                    tp = value
                fields.append((f.name, tp, dataclasses.field(default_factory=value)))
            else:
                raise TypeError(f"{src.__name__}.{f.name} has no default; a config section needs one")
    for fname, tp, default in extra:
        if fname in seen:
            raise TypeError(f"{name}.{fname} is both a library field and an extra")
        seen.add(fname)
        if isinstance(default, (list, dict)) or dataclasses.is_dataclass(default):
            fields.append((fname, tp, dataclasses.field(default_factory=lambda d=default: _copy(d))))
        elif isinstance(default, type):
            fields.append((fname, tp, dataclasses.field(default_factory=default)))
        else:
            fields.append((fname, tp, dataclasses.field(default=default)))
    cls = dataclasses.make_dataclass(name, fields)
    cls.__doc__ = doc or f"Config section from {', '.join(s.__qualname__ for s in sources)}."
    cls.__module__ = "qed.cli.schema"
    return cls


def _copy(value):
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


def settings(cls: type, node, **override):
    """``cls(**fields)`` from config ``node`` (a DictConfig, dict or dataclass), by keyword.

    Only ``cls``'s fields are read; lists become tuples where the field is a tuple; a nested
    dataclass field is built recursively. ``override`` replaces values.
    """
    plain = OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else (
        dataclasses.asdict(node) if dataclasses.is_dataclass(node) else dict(node))
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in override:
            kwargs[f.name] = override[f.name]
            continue
        if f.name not in plain:
            continue
        value, tp = plain[f.name], hints[f.name]
        if dataclasses.is_dataclass(tp):
            value = settings(tp, value)
        elif get_origin(tp) is tuple and isinstance(value, list):
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)
