"""Fuzz (hypothesis) over statements and tactics through the sandbox env: every statement is
accepted or refused with ``StatementError``, every tactic gives an ``Outcome`` value (never an
exception, never "sandbox internal error"), each within its time limit, and the process stays
far under 4 GB."""

from __future__ import annotations

import os
import resource
import time

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qed.core import Goals, Proved, StatementError, TacticError, TacticTimeout, Theorem
from qed.env.sandbox.env import SandboxEnv

TACTIC_S = 2.0
ENV = SandboxEnv(tactic_timeout_s=TACTIC_S)
EXAMPLES = int(os.environ.get("QED_FUZZ_EXAMPLES", "40"))  # ~10 s; 400 ran in 111 s, all green

numerals = st.one_of(st.integers(-(10**6), 10**6).map(str), st.integers(1, 12_000).map(lambda k: "9" * k),
                     st.sampled_from(["0", "1.5", "(2 : ℝ)", "(-3 : ℤ)", "2 ^ 2 ^ 2 ^ 2 ^ 2", "10 ^ 10 ^ 9"]))
atoms = st.one_of(numerals, st.sampled_from([
    "x", "y", "n", "a", "b", "f x", "Real.sqrt x", "|x|", "x⁻¹", "Finset.range 5",
    "(∑ i in Finset.range n, i)", "Nat.factorial n"]))
ops = st.sampled_from([" + ", " - ", " * ", " / ", " ^ ", " % ", " ∣ ", " = ", " < ", " ≤ ", " ∧ ", " ∨ ",
                       " → ", " ↔ "])


@st.composite
def terms(draw) -> str:
    parts = [draw(atoms)]
    for _ in range(draw(st.integers(0, 6))):
        parts += [draw(ops), draw(atoms)]
    text = "".join(parts)
    depth = draw(st.sampled_from([0, 0, 1, 3, 50, 3000]))
    return "(" * depth + text + ")" * depth


junk = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
binders = st.sampled_from(["", "(x y : ℝ)", "(n : ℕ)", "(a b : ℤ) (h₀ : a < b)", "(f : ℕ → ℕ)",
                           "(x : ℝ) (h : 0 < x)"])
TEMPLATES = [
    "theorem t (x : ℝ) (h : x = {a}) : x + {b} = {a} + {b} := by",
    "theorem t : ({a} : ℕ) + {b} = {c} := by",
    "theorem t (n : ℕ) (h : n < {a}) : n ≤ {a} := by",
    "theorem t (x y : ℝ) (h₀ : x + y = {a}) (h₁ : x - y = {b}) : x = ({a} + {b}) / 2 := by",
    "theorem t : ({a} : ℤ) ^ {b} % {c} = {a} := by",
    "theorem t (a b : ℤ) (h : a * {a} = b) : b % {b} = 0 ∨ b % {b} ≠ 0 := by",
    "theorem t : ∑ i in Finset.range {b}, i = {c} := by",
    "theorem t (x : ℝ) (h : 0 < x) : x ^ 2 + {a} > {b} := by",
]
nat = st.one_of(st.integers(0, 10**4).map(str), st.integers(1, 12_000).map(lambda k: "9" * k))
wrapped = st.builds(lambda n, d: "(" * d + n + ")" * d, nat, st.sampled_from([0, 0, 0, 0, 0, 0, 2, 4000]))
filled = st.builds(lambda t, a, b, c: t.format(a=a, b=b, c=c), st.sampled_from(TEMPLATES),
                   wrapped, wrapped, nat)
soup = st.one_of(
    st.builds(lambda b, t: f"theorem t {b} : {t} := by", binders, terms()),
    st.builds(lambda b, t, u: f"theorem t {b} : {t} = {u} := by", binders, terms(), terms()),
    st.builds(lambda b, t, j: f"theorem t {b} : {t}{j} := by", binders, terms(), junk),
    junk.map(lambda j: f"theorem t : {j} := by"),
    junk,
)
# mostly well-formed statements (so tactics run on them), the rest token soup and junk
statements = st.integers(0, 9).flatmap(lambda k: filled if k < 7 else soup)
tactics = st.one_of(
    st.sampled_from(["norm_num", "simp", "linarith", "nlinarith", "omega", "ring", "ring_nf", "decide",
                     "positivity", "field_simp", "intro h", "constructor", "interval_cases n", "simp_all",
                     "norm_num at *", "exact rfl", "rfl", "trivial", "induction n", "rcases h with ⟨a, b⟩"]),
    st.builds(lambda t, k: "; ".join([t] * k), st.sampled_from(["skip", "simp", "norm_num"]),
              st.integers(1, 50)),
    st.builds(lambda t: f"nlinarith [sq_nonneg ({t}), sq_abs x]", terms()),
    st.builds(lambda t: f"have h : {t} := by norm_num", terms()),
    junk,
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statement=statements, tactic_list=st.lists(tactics, min_size=1, max_size=3))
def test_fuzz_statements_and_tactics_give_a_result_or_a_clear_error(statement, tactic_list):
    try:
        state = ENV.start(Theorem("t", statement))
    except StatementError as exc:
        assert str(exc).strip() and "internal" not in str(exc)
        event("statement refused")
        return
    event("statement accepted")
    for tactic in tactic_list:
        t0 = time.monotonic()
        outcome = ENV.apply(state, 0, tactic)
        elapsed = time.monotonic() - t0
        assert isinstance(outcome, Goals | Proved | TacticError | TacticTimeout), outcome
        event(type(outcome).__name__)
        if isinstance(outcome, TacticError):
            assert "internal error" not in outcome.message, (statement, tactic, outcome.message[:500])
        assert elapsed < 10 * TACTIC_S + 20, (statement[:200], tactic[:200], elapsed)
        if isinstance(outcome, Goals) and outcome.state.goals:
            state = outcome.state
        else:
            break
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < 4 << 30
