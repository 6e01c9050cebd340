"""Tactic-text splitting (``tactics.syntax``) and argument parsing (``tactics.args``)."""

from __future__ import annotations

import pytest

from qed.env.sandbox.tactics.args import (
    PAlts,
    PClear,
    PName,
    PRfl,
    PTuple,
    PWild,
    by_block,
    parse_pattern,
    split_assign,
    take_hints,
    take_location,
)
from qed.env.sandbox.tactics.core import TacticFailure
from qed.env.sandbox.tactics.syntax import Atom, Comb, First, Seq, Then, parse_tactic


def test_atom_keeps_name_and_args():
    node = parse_tactic("nlinarith [sq_nonneg (a - b), sq_nonneg (a + b)]")
    assert isinstance(node, Atom)
    assert node.name == "nlinarith"
    assert node.args.strip() == "[sq_nonneg (a - b), sq_nonneg (a + b)]"


def test_sequence_then_and_combinators():
    node = parse_tactic("constructor <;> norm_num; linarith")
    assert isinstance(node, Seq) and len(node.items) == 2
    assert isinstance(node.items[0], Then)
    assert node.items[0].first.name == "constructor" and not node.items[0].first.args.strip()
    assert isinstance(parse_tactic("try linarith"), Comb)
    first = parse_tactic("first | linarith | nlinarith [sq_nonneg x]")
    assert isinstance(first, First) and [a.name for a in first.alts] == ["linarith", "nlinarith"]
    assert isinstance(parse_tactic("(intro x; exact x)"), Seq)
    assert parse_tactic("all_goals norm_num").kind == "all_goals"


def test_by_block_absorbs_semicolons_and_then():
    node = parse_tactic("have h : x = 1 := by norm_num <;> linarith; exact h")
    assert isinstance(node, Atom) and node.name == "have"
    assert "exact h" in node.args


def test_newlines_split_unless_indented():
    node = parse_tactic("intro x\nnorm_num")
    assert isinstance(node, Seq) and [i.name for i in node.items] == ["intro", "norm_num"]
    cont = parse_tactic("nlinarith [sq_nonneg a,\n  sq_nonneg b]")
    assert isinstance(cont, Atom)
    nested = parse_tactic("have h : x = 2 := by\n  norm_num at h₀\n  linarith\nexact h")
    assert isinstance(nested, Seq) and [i.name for i in nested.items] == ["have", "exact"]


def test_unknown_tactic_names_position():
    with pytest.raises(TacticFailure, match=r"unknown tactic 'frobnicate' \(line 2, column 3\)"):
        parse_tactic("norm_num\n  ;frobnicate")
    with pytest.raises(TacticFailure, match="unknown tactic 'foo'"):
        parse_tactic("foo")
    with pytest.raises(TacticFailure, match="closing bracket"):
        parse_tactic("linarith [h")
    with pytest.raises(TacticFailure, match="unexpected"):
        parse_tactic("linarith ]")


def test_comments_are_ignored():
    assert parse_tactic("linarith -- done").name == "linarith"


def test_patterns():
    assert parse_pattern("⟨x, hx⟩") == PTuple((PName("x"), PName("hx")))
    assert parse_pattern("h | h") == PAlts((PName("h"), PName("h")))
    assert parse_pattern("⟨x, rfl⟩ | ⟨_, -⟩") == PAlts(
        (PTuple((PName("x"), PRfl())), PTuple((PWild(), PClear())))
    )
    assert parse_pattern("(h | h)") == PAlts((PName("h"), PName("h")))
    with pytest.raises(TacticFailure, match="expected"):
        parse_pattern("⟨x, hx")
    with pytest.raises(TacticFailure):
        parse_pattern("1x")


def test_locations_hints_assignments():
    rest, loc = take_location(" [h₀] at h₁ ⊢")
    assert rest.strip() == "[h₀]" and loc.hyps == ("h₁",) and loc.goal
    _, loc2 = take_location(" at *")
    assert loc2.everywhere
    _, loc3 = take_location(" at h")
    assert not loc3.goal
    rest, hints, only = take_hints(" only [h, ← h', mul_pos ha hb]")
    assert only
    assert [(h.src, h.reverse) for h in hints] == [("h", False), ("h'", True), ("mul_pos ha hb", False)]
    with pytest.raises(TacticFailure, match="']'"):
        take_hints("[h, h'")
    lhs, rhs = split_assign(" h : (2 : ℝ) < x := by linarith")
    assert lhs.strip() == "h : (2 : ℝ) < x" and by_block(rhs) is not None
    assert by_block(" byname") is None
