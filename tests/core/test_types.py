from hypothesis import given
from hypothesis import strategies as st

from qed.core import Candidate, Goal, Hypothesis, ProofState

NAMES = st.sampled_from(["x", "y", "h₀", "h₁", "n", "f", "a✝"])
TYPES = st.sampled_from(["ℝ", "ℕ", "0 < x", "x + y = 2", "ℕ → ℝ", "∀ n ≥ 5, f n = 0"])


def test_goal_text_groups_consecutive_same_type_hypotheses():
    g = Goal(
        (
            Hypothesis("x", "ℝ"),
            Hypothesis("y", "ℝ"),
            Hypothesis("n", "ℕ"),
            Hypothesis("z", "ℝ"),
            Hypothesis("h₀", "0 < x"),
        ),
        "x + y = 2",
    )
    assert g.text == "x y : ℝ\nn : ℕ\nz : ℝ\nh₀ : 0 < x\n⊢ x + y = 2"


def test_goal_parse_reads_lean_goal_with_case_tag_values_and_continuations():
    text = "case h\nx y : ℝ\nk : ℕ := 3\nh₀ :\n  x +\n    y = 2\n⊢ x = 2 -\n    y"
    g = Goal.parse(text)
    assert g.tag == "h"
    assert [h.name for h in g.hypotheses] == ["x", "y", "k", "h₀"]
    assert g.hypotheses[2].value == "3"
    assert g.target == "x = 2 -\n    y"


def test_goal_parse_rejects_text_without_turnstile():
    try:
        Goal.parse("x : ℝ")
    except ValueError as exc:
        assert "⊢" in str(exc)
    else:
        raise AssertionError("accepted a goal without ⊢")


@given(st.lists(st.tuples(NAMES, TYPES), max_size=6), TYPES)
def test_goal_text_round_trips(hyps, target):
    g = Goal(tuple(Hypothesis(n, t) for n, t in hyps), target)
    assert Goal.parse(g.text) == g


def test_proof_state_equality_ignores_handle_and_reports_solved():
    g = Goal((), "True")
    assert ProofState((g,), handle=1) == ProofState((g,), handle=2)
    assert ProofState(()).is_solved and ProofState(()).text == "no goals"
    assert ProofState((g, g)).text == "⊢ True\n\n⊢ True"


def test_candidate_normalized_logprob():
    assert Candidate("simp", -3.0, 2).normalized_logprob == -1.5
    assert Candidate("simp", -3.0).normalized_logprob == -3.0
