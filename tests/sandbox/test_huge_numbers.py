"""Huge numbers: every input gets a result or a clear error within the tactic's time limit,
never an exception from Python's int/str conversion limit or an unbounded power."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from qed.core import Proved, StatementError, TacticError, TacticTimeout, Theorem
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.numerals import int_str, parse_int

ENV = SandboxEnv(tactic_timeout_s=5.0)

# The sandbox checks its (wall-clock) deadline between steps, so a tactic may overrun the limit
# by one step. Its own work is measured in CPU seconds of this thread, which other processes
# on the machine do not inflate: that is the bound that catches a tactic computing the power
# (it keeps using CPU past the limit), with 1 s for the last step. Wall time only has to stay
# within the limit plus a slack for a starved scheduler (CI on 2 busy cores).
CPU_SLACK_S = 1.0
WALL_SLACK_S = 60.0


def _timed_apply(state, tactic):
    """``ENV.apply(state, 0, tactic)``, asserting it honoured the tactic time limit."""
    limit = ENV.tactic_timeout_s
    wall, cpu = time.monotonic(), time.thread_time()
    out = ENV.apply(state, 0, tactic)
    wall, cpu = time.monotonic() - wall, time.thread_time() - cpu
    where = (state.goals[0].target[:80], tactic[:80])
    assert cpu < limit + CPU_SLACK_S, (*where, f"{cpu:.2f} s of CPU against a {limit:g} s limit")
    assert wall < limit + WALL_SLACK_S, (*where, f"{wall:.2f} s against a {limit:g} s limit")
    return out


@settings(max_examples=25, deadline=None, derandomize=True)
@given(n=st.integers(min_value=-(10**12000), max_value=10**12000))
def test_numerals_of_any_length_round_trip(n):
    text = int_str(n)
    assert parse_int(text) == n
    assert text.lstrip("-") == "0" or not text.lstrip("-").startswith("0")


def test_a_ten_thousand_digit_numeral_is_parsed_printed_and_decided():
    big = "7" * 10_000
    state = ENV.start(Theorem("t", f"theorem t (x : ℕ) (h : x = {big}) : x > 0 := by"))
    assert big in state.goals[0].text
    assert isinstance(ENV.apply(state, 0, "omega"), Proved)
    assert isinstance(ENV.apply(state, 0, "subst h; norm_num"), Proved)
    assert isinstance(ENV.apply(state, 0, "linarith"), Proved)


def test_towering_powers_answer_quickly():
    for statement in ("theorem t : 3 ^ (10 ^ 8) % 7 = 4 := by", "theorem t : 2 ^ (2 ^ 32) % 7 = 2 := by",
                      "theorem t (x : ℝ) (h : x = 2 ^ (2 ^ 40)) : x > 0 := by"):
        state = ENV.start(Theorem("t", statement))
        for tactic in ("norm_num", "simp", "ring", "decide", "omega", "linarith", "nlinarith", "positivity"):
            out = _timed_apply(state, tactic)
            assert isinstance(out, (Proved, TacticError, TacticTimeout)) or out.state.goals
            if isinstance(out, TacticError):
                assert "internal error" not in out.message, (statement, tactic, out.message)


def test_powers_within_the_bound_are_still_computed():
    state = ENV.start(Theorem("t", "theorem t : 2 ^ 20000 % 7 = 4 := by"))
    assert isinstance(ENV.apply(state, 0, "norm_num"), Proved)
    false = ENV.start(Theorem("t", "theorem t : 2 ^ 20000 % 7 = 2 := by"))
    assert not isinstance(ENV.apply(false, 0, "norm_num"), Proved)


def test_huge_zmod_modulus_is_not_computed():
    try:
        state = ENV.start(Theorem("t", "theorem t (x : ZMod (10 ^ 100000000)) : x = x := by"))
    except StatementError as e:
        assert e.args[0]
        return
    assert isinstance(ENV.apply(state, 0, "rfl"), Proved)


def test_long_tactic_texts_parse_and_run():
    from qed.env.sandbox.tactics.syntax import Seq, Then, parse_tactic

    assert isinstance(parse_tactic(" <;> ".join(["skip"] * 50_000)), Then)
    assert len(parse_tactic("; ".join(["skip"] * 50_000)).items) == 50_000
    assert isinstance(parse_tactic("\n".join(["skip"] * 50_000)), Seq)
    state = ENV.start(Theorem("t", "theorem t (x : ℝ) (h : x = 1) : x = 1 := by"))
    assert isinstance(ENV.apply(state, 0, "; ".join(["skip"] * 5_000) + "; exact h"), Proved)
    deep = ENV.apply(state, 0, " <;> ".join(["skip"] * 20_000))
    assert isinstance(deep, (TacticError, type(ENV.apply(state, 0, "skip"))))


def test_ring_atoms_holding_huge_numerals_are_ordered_without_internal_errors():
    """``ring_nf``/``linarith`` order atoms by their text; an atom holding a 10,000-digit
    numeral (here ``N ^ N``) once raised Python's int/str limit as a sandbox internal error."""
    big = "9" * 10_000
    state = ENV.start(Theorem("t", f"theorem t : ({big} : ℕ) ^ {big} % 7 = 3 := by"))
    for tactic in ("ring_nf", "linarith", "nlinarith", "norm_num", "simp", "omega"):
        outcome = ENV.apply(state, 0, tactic)
        internal = isinstance(outcome, TacticError) and "internal error" in outcome.message
        assert not internal, (tactic, outcome)


def test_a_deeply_parenthesised_hint_term_answers_quickly():
    """``nlinarith [sq_nonneg ((((… x …))))]`` 3,000 deep: the hint's parentheses were peeled one
    layer per scan of the text (quadratic: 52 s against a 2 s tactic limit); now one pass."""
    state = ENV.start(Theorem("t", "theorem t (x : ℝ) (h : x = 5) : x + 1 = 6 := by"))
    deep = "(" * 3000 + "x" + ")" * 3000
    outcome = _timed_apply(state, f"nlinarith [sq_nonneg {deep}]")
    assert isinstance(outcome, TacticError) and "nested too deeply" in outcome.message
