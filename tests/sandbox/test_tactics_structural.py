"""Structural tactics and Lean 4 layout: induction, cases with alternatives, refine, revert,
contrapose, calc, conv, suffices, iterate, case/next, ``{ }`` blocks, continuation lines,
rejected search tactics — behaviour, and soundness on statements with known truth."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qed.core import Proved, Theorem
from qed.env.check import check_proof, parse_script, split_statement
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.tactics.syntax import Atom, Case, Comb, Then, parse_tactic

ENV = SandboxEnv(tactic_timeout_s=3.0)


def check(text: str):
    stmt, proof = split_statement(text)
    return check_proof(ENV, Theorem("t", stmt), proof)


def ok(text: str) -> bool:
    return check(text).ok


def failure(text: str) -> str:
    r = check(text)
    assert not r.ok, "expected the proof to fail"
    return r.failure.message


# ---- layout ---------------------------------------------------------------------------


def test_then_at_line_start_and_line_end_continue_the_tactic():
    assert isinstance(parse_tactic("norm_num\n<;> linarith"), Then)
    assert isinstance(parse_tactic("constructor <;>\nlinarith"), Then)
    script = parse_script("\n  constructor\n  <;> linarith\n  <;> norm_num\n")
    assert len(script.items) == 1 and "<;> norm_num" in script.items[0].tactic
    assert ok("theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 ∧ 0 < x + 2 := by\n  constructor\n  <;> linarith")
    assert ok("theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 ∧ 0 < x + 2 := by\n  constructor <;>\n  linarith")


def test_open_bracket_and_comments_continue_the_tactic():
    proof = (
        "theorem t (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n"
        "  nlinarith [\n"
        "  -- a comment line inside the list\n"
        "  sq_nonneg (a - b), -- trailing comment (with a bracket\n"
        "  sq_nonneg (a + b)\n"
        "  ]\n"
    )
    assert ok(proof)
    assert ok("theorem t (x : ℝ) (h : x = 2) : x + 1 = 3 := by\n  /- a block\n  comment -/\n  linarith")


def test_braces_focus_and_must_close():
    node = parse_tactic("{ left; linarith }")
    assert isinstance(node, Comb) and node.kind == "focus"
    assert ok("theorem t (x : ℝ) (h : 0 < x) : 0 < x ∨ x < 0 := by\n  { left; linarith }")
    assert "unsolved goals" in failure(
        "theorem t (x : ℝ) (h : 0 < x) : 0 < x ∧ 0 < x + 1 := by\n  { constructor }\n  all_goals linarith")


def test_case_selects_by_tag_and_next_takes_the_first_goal():
    assert isinstance(parse_tactic("case right => linarith"), Case)
    assert ok("theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 ∧ 0 < x + 2 := by\n  constructor\n"
              "  case right => linarith\n  case left => linarith")
    assert ok("theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 ∧ 0 < x + 2 := by\n  constructor\n"
              "  next => linarith\n  next => linarith")
    assert "Case tag 'foo' not found" in failure(
        "theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 ∧ 0 < x + 2 := by\n  constructor\n  case foo => linarith")
    # inside one tactic text too
    state = ENV.start(Theorem("t", "theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 ∧ 0 < x + 2 := by"))
    text = "constructor\ncase right => linarith\ncase left => linarith"
    assert isinstance(ENV.apply(state, 0, text), Proved)


def test_rename_i_names_inaccessible_variables():
    r = check("theorem t : ∀ x : ℝ, x = x := by\n  intro\n  rename_i y\n  exact rfl")
    assert r.ok, r.failure
    state = ENV.start(Theorem("t", "theorem t : ∀ x : ℝ, 0 < x → 0 < x + 1 := by"))
    out = ENV.apply(state, 0, "intro _ _\nrename_i y hy")
    assert "y : ℝ" in out.state.goals[0].text and "hy : 0 < y" in out.state.goals[0].text


def test_search_tactics_and_escape_hatches_are_rejected_by_name():
    for tac, word in (("exact?", "search command"), ("apply?", "search command"), ("aesop", "aesop"),
                      ("sorry", "not a proof"), ("native_decide", "kernel")):
        msg = failure(f"theorem t (x : ℝ) (h : x = 2) : x = 2 := by\n  {tac}")
        assert word in msg, (tac, msg)


# ---- induction and cases ---------------------------------------------------------------


def test_induction_goals_are_zero_and_succ_with_generalised_hypotheses():
    state = ENV.start(Theorem("t", "theorem t (n : ℕ) (h : 0 < n) : 0 < n * n := by"))
    out = ENV.apply(state, 0, "induction' n with k ih")
    zero, succ = out.state.goals
    assert zero.tag == "zero" and "h : 0 < 0" in zero.text and zero.text.endswith("⊢ 0 < 0 * 0")
    assert succ.tag == "succ" and "ih : 0 < k → 0 < k * k" in succ.text
    assert "h : 0 < k + 1" in succ.text and succ.text.endswith("⊢ 0 < (k + 1) * (k + 1)")


def test_induction_with_alternatives_must_close_each_case():
    assert ok("theorem t (n : ℕ) : n ≤ n * n := by\n  induction n with\n  | zero => norm_num\n"
              "  | succ k ih =>\n    nlinarith")
    assert "unsolved goals" in failure(
        "theorem t (n : ℕ) : n ≤ n * n := by\n  induction n with\n  | zero => skip\n"
        "  | succ k ih => nlinarith")
    assert "not been provided" in failure(
        "theorem t (n : ℕ) : n ≤ n * n := by\n  induction n with\n  | zero => simp")
    assert "ℕ only" in failure("theorem t (x : ℤ) : x ≤ x := by\n  induction x with\n  | zero => simp")


def test_cases_with_alternatives_and_cases_prime_on_a_term():
    assert ok("theorem t (x : ℝ) (h : x = 1 ∨ x = 2) : x ≤ 2 := by\n  cases h with\n"
              "  | inl h1 => rw [h1]; norm_num\n  | inr h2 => linarith")
    assert ok("theorem t (x : ℝ) (h : x = 1 ∨ x = 2) : x ≤ 2 := by\n  cases' (h : x = 1 ∨ x = 2) with h1 h1"
              " <;> linarith")


# ---- refine / revert / contrapose / suffices / iterate ----------------------------------


def test_refine_holes_become_goals_in_order():
    state = ENV.start(Theorem("t", "theorem t (a b : ℝ) (h : a < b) : a ≤ b ∧ a ≠ b := by"))
    out = ENV.apply(state, 0, "refine ⟨?_, ?_⟩")
    assert [g.tag for g in out.state.goals] == ["left", "right"]
    assert ok("theorem t (a b : ℝ) (h : a < b) : a ≤ b ∧ a ≠ b := by\n  refine' ⟨by linarith, _⟩\n"
              "  intro h2\n  linarith")
    assert ok("theorem t : ∃ x : ℝ, 0 < x ∧ x < 2 := by\n  refine ⟨1, ?_, ?_⟩ <;> norm_num")
    # '_' is a hole only for refine'
    assert not ok("theorem t (a b : ℝ) (h : a < b) : a ≤ b ∧ a ≠ b := by\n  refine ⟨_, _⟩ <;> linarith")
    assert "witness" in failure("theorem t : ∃ x : ℝ, 0 < x := by\n  refine ⟨?_, ?_⟩")


def test_revert_contrapose_suffices_iterate():
    assert ok("theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 := by\n  revert h\n  intro h\n  linarith")
    state = ENV.start(Theorem("t", "theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 := by"))
    out = ENV.apply(state, 0, "revert x")
    assert out.state.goals[0].text == "⊢ ∀ (x : ℝ), 0 < x → 0 < x + 1"
    out = ENV.apply(state, 0, "contrapose! h")
    assert out.state.goals[0].text.endswith("h : x + 1 ≤ 0\n⊢ x ≤ 0")
    assert ok("theorem t (x : ℝ) (h : x ^ 2 < 4) (hx : 0 ≤ x) : x < 2 := by\n  contrapose! h\n  nlinarith")
    assert ok("theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 := by\n  suffices h2 : 0 < x by linarith\n  exact h")
    assert ok("theorem t (x : ℝ) (h : 0 < x) : (0 < x ∧ 0 < x) ∧ 0 < x := by\n"
              "  iterate 2 constructor\n  all_goals exact h")


# ---- calc / conv ------------------------------------------------------------------------


def test_calc_chains_steps_and_must_match_the_goal():
    good = ("theorem t (a b : ℝ) (h₀ : a = 2) (h₁ : b = 3) : a + b < 6 := by\n"
            "  calc a + b = 2 + 3 := by rw [h₀, h₁]\n    _ < 6 := by norm_num")
    assert ok(good)
    assert ok("theorem t (a b : ℝ) (h₀ : a ≤ b) : a ≤ b + 1 := by\n  calc\n    a ≤ b := h₀\n"
              "    _ ≤ b + 1 := by linarith")
    assert "type mismatch" in failure(good.replace("a + b < 6 :=", "a + b < 5 :="))
    assert "linarith failed" in failure(
        "theorem t (a : ℝ) (h : a = 1) : a < 3 := by\n  calc a = 1 := h\n    _ < 0 := by linarith\n"
        "    _ < 3 := by norm_num")


def test_conv_rewrites_one_side_only():
    state = ENV.start(Theorem("t", "theorem t (x y : ℝ) (h : x = y) : x + x = x + y := by"))
    out = ENV.apply(state, 0, "conv_lhs => rw [h]")
    assert out.state.goals[0].text.endswith("⊢ y + y = x + y")
    out = ENV.apply(state, 0, "conv => rhs; rw [h]")
    assert out.state.goals[0].text.endswith("⊢ x + x = y + y")


# ---- soundness ----------------------------------------------------------------------------

BATTERY = (
    "induction n with\n| zero => norm_num\n| succ k ih => omega",
    "induction' n with k ih <;> omega",
    "induction' n with k ih <;> nlinarith",
    "refine ⟨?_, ?_⟩ <;> omega",
    "revert h; omega",
    "contrapose! h; omega",
    "suffices h2 : n < 5 by omega\nomega",
    "calc n = n := rfl\n  _ < 7 := by omega",
    "{ omega }",
    "next => omega",
    "iterate 2 (try omega)",
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(k=st.integers(min_value=0, max_value=8), m=st.integers(min_value=0, max_value=8),
       op=st.sampled_from(["<", "≤", "="]))
def test_structural_tactics_close_no_false_goal(k, m, op):
    holds = {"<": lambda v: v < m, "≤": lambda v: v <= m, "=": lambda v: v == m}[op]
    true = all(holds(v) for v in range(0, k))
    for target in (f"n {op} {m}", f"n {op} {m} ∧ n {op} {m}"):
        state = ENV.start(Theorem("t", f"theorem t (n : ℕ) (h : n < {k}) : {target} := by"))
        proved = [tac for tac in BATTERY if isinstance(ENV.apply(state, 0, tac), Proved)]
        assert true or not proved, f"false goal n < {k} ⊢ {target} closed by {proved}"


@settings(max_examples=30, deadline=None, derandomize=True)
@given(a=st.integers(min_value=-5, max_value=5), b=st.integers(min_value=-5, max_value=5),
       c=st.integers(min_value=-5, max_value=5))
def test_calc_never_proves_a_false_chain(a, b, c):
    true = a < c
    text = (f"theorem t (x : ℝ) (h : x = {a}) : x < {c} := by\n"
            f"  calc x = {a} := h\n    _ ≤ {b} := by norm_num\n    _ < {c} := by norm_num")
    r = check(text)
    assert not r.ok or (true and a <= b < c)


def test_parsed_atoms_keep_whole_multiline_arguments():
    node = parse_tactic("induction n with\n| zero => simp\n| succ k ih =>\n  simp; omega")
    assert isinstance(node, Atom) and node.name == "induction" and "omega" in node.args


def test_cases_on_a_nat_variable_and_strong_induction():
    state = ENV.start(Theorem("t", "theorem t (n : ℕ) (h : 2 ≤ n) : 1 ≤ n := by"))
    for tac in ("cases' n with k", "rcases n with _ | k", "obtain _ | k := n"):
        zero, succ = ENV.apply(state, 0, tac).state.goals
        assert zero.text.endswith("h : 2 ≤ 0\n⊢ 1 ≤ 0"), tac
        assert succ.text.endswith("k : ℕ\nh : 2 ≤ k + 1\n⊢ 1 ≤ k + 1"), tac
    out = ENV.apply(state, 0, "induction' n using Nat.strong_induction_on with k ih")
    assert out.state.goals[0].text == "case h\nk : ℕ\nih : ∀ m < k, 2 ≤ m → 1 ≤ m\nh : 2 ≤ k\n⊢ 1 ≤ k"
    assert "using Nat.le_induction" in ENV.apply(state, 0, "induction n using Nat.le_induction").message


def test_replace_and_a_bullet_alone_on_its_line():
    state = ENV.start(Theorem("t", "theorem t (x : ℝ) (h : 0 < x) : 0 < 2 * x := by"))
    out = ENV.apply(state, 0, "replace h : 0 < 2 * x := by linarith")
    assert out.state.goals[0].text == "x : ℝ\nh : 0 < 2 * x\n⊢ 0 < 2 * x"
    assert ok("theorem t (x : ℝ) (h : 0 < x) : 0 < x + 1 ∧ 0 < x + 2 := by\n  constructor\n  ·\n"
              "    linarith\n  · linarith")


def test_even_odd_unfold_when_destructed_and_subst_keeps_declaration_order():
    state = ENV.start(Theorem("t", "theorem t {a : ℤ} (ha : Odd a) (hb : 0 < a) : a % 2 = 1 := by"))
    out = ENV.apply(state, 0, "cases' ha with k hk")
    assert "k : ℤ\nhk : a = 2 * k + 1" in out.state.goals[0].text
    out = ENV.apply(state, 0, "rcases ha with ⟨k, rfl⟩")
    assert out.state.goals[0].text == "k : ℤ\nhb : 0 < 2 * k + 1\n⊢ (2 * k + 1) % 2 = 1"
    assert isinstance(ENV.apply(state, 0, "obtain ⟨k, hk⟩ := ha\nomega"), Proved)
    even = ENV.start(Theorem("t", "theorem t (n : ℕ) (h : Even n) : n % 2 = 0 := by"))
    assert "hk : n = k + k" in ENV.apply(even, 0, "obtain ⟨k, hk⟩ := h").state.goals[0].text
    # an odd number is not even: the unfolding must not prove it
    odd = ENV.start(Theorem("t", "theorem t (n : ℕ) (h : Odd n) : n % 2 = 0 := by"))
    assert not isinstance(ENV.apply(odd, 0, "obtain ⟨k, hk⟩ := h\nomega"), Proved)


def test_cases_on_a_nat_variable_with_alternatives():
    assert ok("theorem t (n : ℕ) (h : 0 < n) : 1 ≤ n := by\n  cases n with\n  | zero => omega\n"
              "  | succ k => omega")


def test_nested_alternatives_belong_to_the_inner_tactic():
    proof = ("theorem t (n : ℕ) : n ≤ n * n := by\n  induction n with\n  | zero => norm_num\n"
             "  | succ n ih =>\n    cases n with\n    | zero => norm_num\n    | succ k => nlinarith\n")
    assert ok(proof)
    assert ok("theorem t (n : ℕ) : n ≤ n * n := by\n"
              "  induction n with | zero => norm_num | succ k ih => nlinarith")
