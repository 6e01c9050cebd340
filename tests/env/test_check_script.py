import pytest

from qed.env.check import Block, ScriptError, Step, parse_script, split_statement


def test_split_statement_keeps_statement_up_to_by():
    st, proof = split_statement("theorem t (x : ℝ) : x = x := by\n  rfl\n")
    assert st == "theorem t (x : ℝ) : x = x := by"
    assert proof == "\n  rfl\n"
    with pytest.raises(ScriptError, match=":= by"):
        split_statement("theorem t : True := trivial")


def test_parse_script_lines_continuations_and_bullets():
    proof = (
        "\n  constructor\n"
        "  · nlinarith [sq_nonneg (a - b),\n"
        "      sq_nonneg (a + b)]\n"
        "  · have h : x = 2 := by\n"
        "      linarith\n"
        "    -- a comment\n"
        "    exact h\n"
        "  norm_num"
    )
    block = parse_script(proof, first_line=10)
    kinds = [type(i).__name__ for i in block.items]
    assert kinds == ["Step", "Block", "Block", "Step"]
    first_bullet = block.items[1]
    assert isinstance(first_bullet, Block) and first_bullet.line == 12
    assert first_bullet.items == (Step(12, "nlinarith [sq_nonneg (a - b),\n  sq_nonneg (a + b)]"),)
    second = block.items[2]
    assert [s.tactic for s in second.items] == ["have h : x = 2 := by\n  linarith", "exact h"]
    assert block.items[3] == Step(18, "norm_num")


def test_tactic_on_by_line_and_empty_bullet():
    assert parse_script(" norm_num").items == (Step(1, "norm_num"),)
    with pytest.raises(ScriptError, match="empty bullet"):
        parse_script("\n  ·\n  simp")
