"""Structural tactics on hand-built goals: intro, constructor, exact, cases/rcases/obtain,
use, have, rw, subst, push_neg, by_contra, contradiction, combinators, naming."""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

from qed.env.sandbox.ast import (
    REAL,
    And,
    Bool_,
    Exists,
    Forall,
    HypDecl,
    Iff,
    Imp,
    Not,
    Num,
    Or,
    Rel,
    SGoal,
    Var,
    VarDecl,
)
from qed.env.sandbox.parse import parse_prop
from qed.env.sandbox.printer import print_goal
from qed.env.sandbox.tactics.core import Ctx, TacticFailure
from qed.env.sandbox.tactics.engine import Engine
from qed.env.sandbox.tactics.lemmas import LemmaTable
from qed.env.sandbox.tactics.push_neg import push_neg_prop

X, Y = Var("x", REAL), Var("y", REAL)
ZERO, ONE, TWO = Num(Fraction(0), REAL), Num(Fraction(1), REAL), Num(Fraction(2), REAL)
P = Rel("<", ZERO, X)  # 0 < x
Q = Rel("<", ZERO, Y)  # 0 < y


def run(goal: SGoal, tactic: str) -> tuple[SGoal, ...]:
    engine = Engine()

    def run_block(g: SGoal, text: str) -> tuple[SGoal, ...]:
        return engine.run_text(text, (g,), ctx)

    ctx = Ctx(deadline=time.monotonic() + 5.0, run_block=run_block, lemmas=LemmaTable(parse_prop),
              show_goal=lambda g: print_goal(g).text)
    return engine.run_text(tactic, (goal,), ctx)


def text(goal: SGoal) -> str:
    return print_goal(goal).text


def xy(*hyps: tuple[str, object], target) -> SGoal:
    return SGoal((VarDecl("x", REAL), VarDecl("y", REAL)) + tuple(HypDecl(n, p) for n, p in hyps), target)


def test_intro_forall_and_implication():
    goal = SGoal((), Forall("x", REAL, Imp(Rel("<", ZERO, X), Rel("<", ZERO, X))))
    (g,) = run(goal, "intro x hx")
    assert text(g) == "x : ℝ\nhx : 0 < x\n⊢ 0 < x"
    assert run(goal, "intro x hx; exact hx") == ()
    (anon,) = run(goal, "intro")
    assert text(anon) == "x✝ : ℝ\n⊢ 0 < x✝ → 0 < x✝"
    with pytest.raises(TacticFailure, match="insufficient number of binders"):
        run(xy(target=P), "intro h")


def test_intro_shadows_existing_variable():
    goal = xy(("h", P), target=Forall("x", REAL, Rel("<", X, X)))
    (g,) = run(goal, "intro x")
    assert text(g) == "x✝ y : ℝ\nh : 0 < x✝\nx : ℝ\n⊢ x < x"


def test_intro_not_and_ne():
    (g,) = run(xy(target=Not(P)), "intro h")
    assert g.target == Bool_(False) and g.context[-1] == HypDecl("h", P)
    (g2,) = run(xy(target=Rel("≠", X, Y)), "intro h")
    assert g2.context[-1] == HypDecl("h", Rel("=", X, Y))


def test_constructor_tags_and_exact():
    goal = xy(("hx", P), ("hy", Q), target=And(P, Q))
    left, right = run(goal, "constructor")
    assert (left.tag, left.target, right.tag, right.target) == ("left", P, "right", Q)
    assert run(goal, "constructor <;> assumption") == ()
    assert run(goal, "exact ⟨hx, hy⟩") == ()
    with pytest.raises(TacticFailure, match="type mismatch"):
        run(goal, "exact ⟨hy, hx⟩")
    mp, mpr = run(xy(target=Iff(P, Q)), "constructor")
    assert (mp.tag, mp.target, mpr.target) == ("mp", Imp(P, Q), Imp(Q, P))
    with pytest.raises(TacticFailure, match="not an inductive datatype"):
        run(xy(target=P), "constructor")


def test_exact_projections_and_definitional_matching():
    goal = xy(("h", And(P, Q)), target=Rel(">", Y, ZERO))
    assert run(goal, "exact h.2") == ()  # y > 0 is 0 < y
    with pytest.raises(TacticFailure, match="type mismatch"):
        run(goal, "exact h.1")
    with pytest.raises(TacticFailure, match="unknown identifier 'nope'"):
        run(goal, "exact nope")
    iff_goal = xy(("h", Iff(P, Q)), ("hp", P), target=Q)
    assert run(iff_goal, "exact h.mp hp") == ()
    assert run(iff_goal, "exact h.1 hp") == ()
    with pytest.raises(TacticFailure, match="mismatch"):
        run(iff_goal, "exact h.mpr hp")


def test_exact_applies_forall_hypotheses():
    body = Rel("=", Var("n", REAL), Var("n", REAL))
    goal = xy(("h", Forall("n", REAL, Imp(Rel("<", ZERO, Var("n", REAL)), body))), ("hx", P),
              target=Rel("=", X, X))
    assert run(goal, "exact h x hx") == ()
    with pytest.raises(TacticFailure, match="mismatch"):
        run(goal, "exact h y hx")


def test_lemma_instances_are_checked():
    goal = xy(("hx", P), ("hy", Q), target=Rel("<", ZERO, parse_prop("x * y = 0", xy(target=P).context).lhs))
    assert run(goal, "exact mul_pos hx hy") == ()
    assert run(goal, "exact mul_pos (by assumption) (by assumption)") == ()
    le_goal = xy(("hx", Rel("≤", ZERO, X)), ("hy", Q), target=goal.target)
    with pytest.raises(TacticFailure, match="mismatch"):
        run(le_goal, "exact mul_pos hx hy")
    sq = xy(target=parse_prop("0 ≤ (x - y) ^ 2", xy(target=P).context))
    assert run(sq, "exact sq_nonneg (x - y)") == ()
    with pytest.raises(TacticFailure, match="mismatch"):
        run(sq, "exact sq_nonneg (x + y)")
    sub = xy(("h", Rel("≤", Y, X)), target=parse_prop("0 ≤ x - y", xy(target=P).context))
    assert run(sub, "exact sub_nonneg.mpr h") == ()
    a, b = run(xy(target=goal.target), "apply mul_pos")
    assert (a.target, b.target) == (P, Q)


def test_assumption_left_right_exfalso():
    assert run(xy(("h", Rel(">", X, ZERO)), target=P), "assumption") == ()
    with pytest.raises(TacticFailure, match="assumption"):
        run(xy(("h", Q), target=P), "assumption")
    (g,) = run(xy(target=Or(P, Q)), "right")
    assert g.target == Q and g.tag == "h"
    (f,) = run(xy(target=P), "exfalso")
    assert f.target == Bool_(False)
    with pytest.raises(TacticFailure, match="disjunction"):
        run(xy(target=P), "left")


def test_rcases_obtain_cases():
    goal = xy(("h", And(P, And(Q, Rel("=", X, Y)))), target=Bool_(True))
    (g,) = run(goal, "obtain ⟨hx, hy, he⟩ := h")
    assert [d.name for d in g.context] == ["x", "y", "hx", "hy", "he"]
    a, b = run(xy(("h", Or(P, Q)), target=P), "rcases h with h | h")
    assert (a.tag, a.context[-1], b.tag, b.context[-1]) == ("inl", HypDecl("h", P), "inr", HypDecl("h", Q))
    ex = SGoal((), Imp(Exists("z", REAL, Rel("<", ZERO, Var("z", REAL))), Bool_(True)))
    (e,) = run(ex, "rintro ⟨w, hw⟩")
    assert text(e) == "w : ℝ\nhw : 0 < w\n⊢ True"
    (c,) = run(goal, "cases h")
    assert c.tag == "intro" and text(c).splitlines()[2].startswith("left✝")
    (c2,) = run(goal, "cases' h with h1 h2")
    assert [d.name for d in c2.context][-2:] == ["h1", "h2"]
    with pytest.raises(TacticFailure, match="disjunction"):
        run(goal, "rcases h with a | b")


def test_rfl_pattern_substitutes():
    goal = xy(("h", Exists("z", REAL, Rel("=", X, Var("z", REAL)))), target=Rel("=", X, X))
    (g,) = run(goal, "obtain ⟨z, rfl⟩ := h")
    assert [d.name for d in g.context] == ["x", "y"] and g.target == goal.target


def test_use_and_discharger():
    goal = SGoal((), Exists("z", REAL, Rel("=", Var("z", REAL), TWO)))
    assert run(goal, "use 2") == ()
    (left,) = run(goal, "use 3")
    assert left.tag == "h" and text(left) == "case h\n⊢ 3 = 2"
    with pytest.raises(TacticFailure, match="too many"):
        run(goal, "use 2, 3")


def test_have_forms():
    goal = xy(("hx", P), target=Q)
    first, main = run(goal, "have h : 0 < y")
    assert first.target == Q and main.context[-1] == HypDecl("h", Q)
    (g,) = run(goal, "have h2 := hx")
    assert g.context[-1] == HypDecl("h2", P)
    (g3,) = run(goal, "have : 0 < x := by exact hx")
    assert g3.context[-1].name == "this"
    with pytest.raises(TacticFailure, match="unsolved goals"):
        run(goal, "have h : 0 < y := by skip")


def test_rewrite():
    goal = xy(("h", Rel("=", X, TWO)), target=Rel("=", X, TWO))
    assert run(goal, "rw [h]") == ()  # 2 = 2 closes by rfl
    g2 = xy(("h", Rel("=", X, Y)), target=Rel("<", Y, X))
    (r,) = run(g2, "rw [← h]")
    assert r.target == Rel("<", X, X)
    with pytest.raises(TacticFailure, match="did not find instance of the pattern"):
        run(xy(("h", Rel("=", X, Y)), target=Q), "rw [h]")
    (at,) = run(xy(("h", Rel("=", X, Y)), ("hx", P), target=Q), "rw [h] at hx")
    assert at.context[-1] == HypDecl("hx", Q)


def test_subst_and_push_neg():
    (g,) = run(xy(("h", Rel("=", Y, TWO)), target=Q), "subst h")
    assert g.target == Rel("<", ZERO, TWO) and [d.name for d in g.context] == ["x"]
    assert push_neg_prop(Not(Forall("x", REAL, Rel("<", ZERO, X)))) == Exists("x", REAL, Rel("≤", X, ZERO))
    assert push_neg_prop(Not(And(P, Q))) == Imp(P, Rel("≤", Y, ZERO))
    assert push_neg_prop(Not(Rel(">", X, Y))) == Rel("≤", X, Y)
    with pytest.raises(TacticFailure, match="no progress"):
        run(xy(target=P), "push_neg")


def test_by_contra_and_contradiction():
    (g,) = run(xy(target=P), "by_contra h")
    assert g.target == Bool_(False) and g.context[-1] == HypDecl("h", Not(P))
    (g2,) = run(xy(target=Not(P)), "by_contra h")
    assert g2.context[-1] == HypDecl("h", P)
    assert run(xy(("h", P), ("hn", Not(P)), target=Q), "contradiction") == ()
    assert run(xy(("h", Rel("≠", X, X)), target=Q), "contradiction") == ()
    with pytest.raises(TacticFailure, match="contradiction"):
        run(xy(("h", P), target=Q), "contradiction")


def test_combinators_and_no_goals():
    goal = xy(("hx", P), ("hy", Q), target=And(P, Q))
    assert run(goal, "constructor\nall_goals assumption") == ()
    assert run(goal, "first | exact hx | constructor <;> assumption") == ()
    left, right = run(goal, "constructor; try exact hy")
    assert left.target == P
    with pytest.raises(TacticFailure, match="no goals to be proved"):
        run(goal, "constructor <;> assumption; assumption")
    with pytest.raises(TacticFailure, match="unsolved goals"):
        run(goal, "· constructor")
    assert run(goal, "repeat constructor\nall_goals assumption") == ()


def test_old_goals_are_unchanged():
    goal = xy(("h", And(P, Q)), target=P)
    before = text(goal)
    run(goal, "obtain ⟨a, b⟩ := h")
    run(goal, "exfalso")
    assert text(goal) == before
