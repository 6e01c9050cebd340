"""The prompt format: layout, the prompt/completion boundary, the fence and newline stop rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from qed.core import Query, Theorem
from qed.policy.prompt import (
    COMPLETION_END,
    FENCE,
    format_completion,
    format_prompt,
    format_query,
    normalize_tactic,
    parse_completion,
)

THM = Theorem("t", "theorem t (x : ℝ) (h₀ : 2 * x = 4) :\n    x = 2 := by", header="import Mathlib\n")
STATE = "x : ℝ\nh₀ : 2 * x = 4\n⊢ x = 2"


def test_prompt_is_a_fenced_lean4_block_with_the_state_as_a_comment_and_ends_with_the_fence():
    p = format_prompt(THM, STATE)
    assert p.endswith(FENCE + "\n")
    block = p.split("```lean4\n", 1)[1]
    assert block.startswith("import Mathlib\n\ntheorem t (x : ℝ)")
    assert "  /- tactic state:\n  x : ℝ\n  h₀ : 2 * x = 4\n  ⊢ x = 2\n  -/\n```\n" in p
    assert "[GOAL]" not in p and "[PROOFSTEP]" not in p
    assert p.count(FENCE) == 2


def test_trailing_sorry_in_statement_gives_the_same_prompt():
    with_sorry = Theorem("t", THM.statement + " sorry", header=THM.header)
    assert format_prompt(with_sorry, STATE) == format_prompt(THM, STATE)
    assert format_query(Query(THM, STATE)) == format_prompt(THM, STATE)


def test_completion_is_tactic_then_closing_fence():
    assert format_completion("  linarith  ") == "linarith" + COMPLETION_END


def test_parse_cuts_at_fence_and_at_the_next_unindented_line():
    assert parse_completion("linarith\n```\nmore") == "linarith"
    assert parse_completion("norm_num\nlinarith\n") == "norm_num"
    multi = "nlinarith [sq_nonneg a,\n  sq_nonneg b]"
    assert parse_completion("\n\n" + multi + "\nring") == multi
    assert parse_completion("```") == ""
    assert parse_completion("   \n") == ""


def test_normalize_merges_whitespace_variants_but_not_different_tactics():
    assert normalize_tactic("nlinarith  [sq_nonneg (a -  b)]  ") == "nlinarith [sq_nonneg (a - b)]"
    assert normalize_tactic("  have h : x = 1 := by\n    linarith") == "have h : x = 1 := by\n  linarith"
    assert normalize_tactic("linarith") != normalize_tactic("nlinarith")


tactic_line = st.text(alphabet=st.characters(blacklist_characters="\n\r`", blacklist_categories=("Cs", "Cc")),
                      min_size=1, max_size=30).filter(lambda s: s.strip())


@given(first=tactic_line, rest=st.lists(tactic_line, max_size=3))
def test_parse_inverts_format_completion(first, rest):
    tactic = "\n".join([first.strip()] + ["  " + r.strip() for r in rest])
    assert parse_completion(format_completion(tactic)) == normalize_tactic(tactic)
