"""User and Lean text reaches the terminal as plain text, never as Rich markup: a theorem, category
or run name holding ``[/x]``, ``[bold]`` or ``rw [h]`` is shown verbatim and crashes nothing."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from qed.cli import langevin_cmd, prove_view

NASTY = ["[/x]", "rw [h]", "simp [foo, bar]", "[bold]loud", "a[/]b", "[link=file:///etc]x"]


def _render(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=300, color_system=None).print(renderable)
    return out.getvalue()


def _row(proved: int, attempted: int) -> dict:
    return {"proved": proved, "attempted": attempted, "rate": proved / attempted, "ci95": [0.1, 0.9],
            "unsupported": 0, "errors": 0}


def test_prove_summary_table_shows_names_verbatim():
    summary = {**_row(3, 6), "infrastructure_errors": 0,
               "categories": {name: _row(1, 1) for name in NASTY}}
    text = _render(prove_view.summary_table("minif2f [/x] prove α=1: runs/[/x]", summary))
    assert "minif2f [/x] prove α=1: runs/[/x]" in text
    for name in NASTY:
        assert name in text
    assert "[bold]all" not in text and "all" in text  # our own markup is still markup


def test_prove_comparison_table_shows_arm_and_category_names_verbatim(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(prove_view, "console", Console(file=out, width=300, color_system=None))
    arm = {"rate": 0.5, "proved": 1, "attempted": 2, "only_this_arm": [],
           "categories": {name: 0.5 for name in NASTY}}
    prove_view.print_compare({"[/x]": arm, "llm-only": arm})
    text = out.getvalue()
    for name in NASTY:
        assert name in text


@pytest.mark.parametrize("key", NASTY)
def test_langevin_metric_tables_show_keys_and_titles_verbatim(key):
    text = _render(langevin_cmd._table(f"energy on {key}", {key: 0.5, "note": key}))
    assert f"energy on {key}" in text and key in text
