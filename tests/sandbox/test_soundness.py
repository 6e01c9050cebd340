"""Property-based soundness tests: no arithmetic procedure ever proves a false statement.

Random statements (hypotheses and goal over two or three variables of one type) are
generated; an independent checker evaluates them exactly (Lean semantics, by substituting
numerals) on a small grid of assignments. Whenever some assignment satisfies every
hypothesis but falsifies the goal, the statement is false, and every procedure must refuse
it. Goals are biased to be "almost true" (a hypothesis with its constant nudged, strictness
flipped, or its sides combined) so the procedures are exercised near the boundary.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qed.env.sandbox.arith import (
    decide,
    evaluate,
    linarith,
    nlinarith,
    norm_num,
    omega,
    positivity,
    ring_equal,
)
from qed.env.sandbox.arith.decide import prop_value, substitute, substitute_prop
from qed.env.sandbox.ast import INT, NAT, REAL, BinOp, Bool_, HypDecl, Neg, Num, Rel, Var, VarDecl

NAMES = ("x", "y", "z")
GRIDS = {
    NAT: [Fraction(v) for v in (0, 1, 2, 3, 5)],
    INT: [Fraction(v) for v in (-3, -1, 0, 1, 2, 4)],
    REAL: [Fraction(v) for v in (-2, -1, 0, 1, 3)] + [Fraction(1, 2), Fraction(-3, 2)],
}
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TIMEOUT = 5.0


def num(v: int, ty) -> Num:
    return Num(Fraction(v), ty)


@st.composite
def terms(draw, ty, nvars: int, depth: int = 2):
    """A random term of type ``ty`` over the first ``nvars`` variables."""
    numerals = st.integers(0, 4).map(lambda v: num(v, ty))
    leaf = st.one_of(st.sampled_from([Var(n, ty) for n in NAMES[:nvars]]), numerals) if nvars else numerals
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(leaf)
    ops = ["+", "-", "*", "^", "/"] + (["%"] if ty != REAL else []) + (["neg"] if ty != NAT else [])
    op = draw(st.sampled_from(ops))
    a = draw(terms(ty, nvars, depth - 1))
    if op == "neg":
        return Neg(a, ty)
    if op == "^":
        return BinOp("^", a, num(draw(st.integers(0, 3)), NAT), ty)
    if op in ("/", "%") and draw(st.booleans()):
        return BinOp(op, a, num(draw(st.integers(0, 3)), ty), ty)  # division by a numeral, 0 included
    return BinOp(op, a, draw(terms(ty, nvars, depth - 1)), ty)


@st.composite
def relations(draw, ty, nvars: int, depth: int = 2):
    op = draw(st.sampled_from(["<", "≤", "=", "≠", ">", "≥"]))
    return Rel(op, draw(terms(ty, nvars, depth)), draw(terms(ty, nvars, depth)))


def nudged(draw, hyps: list[Rel], ty, nvars: int) -> Rel:
    """A goal near the hypotheses: one of them weakened/strengthened, or a fresh relation."""
    choice = draw(st.integers(0, 3))
    if hyps and choice < 3:
        h = draw(st.sampled_from(hyps))
        if choice == 0:
            flip = {"<": "≤", "≤": "<", ">": "≥", "≥": ">", "=": "≤", "≠": "<"}
            return Rel(flip[h.op], h.lhs, h.rhs)
        if choice == 1:
            k = draw(st.sampled_from([-1, 1]))
            shifted = (
                BinOp("+", h.rhs, num(1, ty), ty) if k > 0 or ty == NAT else BinOp("-", h.rhs, num(1, ty), ty)
            )
            return Rel(h.op, h.lhs, shifted)
        other = draw(st.sampled_from(hyps))
        return Rel(h.op, BinOp("+", h.lhs, other.lhs, ty), BinOp("+", h.rhs, other.rhs, ty))
    return draw(relations(ty, nvars))


@st.composite
def statements(draw, types=(NAT, INT, REAL), depth: int = 2):
    ty = draw(st.sampled_from(types))
    nvars = draw(st.integers(1, 2))
    hyps = draw(st.lists(relations(ty, nvars, depth), min_size=0, max_size=3))
    goal = nudged(draw, hyps, ty, nvars)
    return ty, nvars, hyps, goal


def counterexample(ty, nvars: int, hyps, goal) -> dict | None:
    """An assignment on the grid satisfying all hypotheses and falsifying the goal, if any."""
    for values in itertools.product(GRIDS[ty], repeat=nvars):
        env = dict(zip(NAMES, values, strict=False))
        hv = [_truth(h, env, ty) for h in hyps]
        if any(v is not True for v in hv):
            continue
        if _truth(goal, env, ty) is False:
            return env
    return None


def _truth(p, env: dict, ty) -> bool | None:
    for name, v in env.items():
        p = substitute_prop(p, name, Num(v, ty) if v >= 0 else Neg(Num(-v, ty), ty))
    return prop_value(p, types=(NAT, INT, REAL))


def _assert_refused(ty, nvars, hyps, goal, cex) -> None:
    shown = f"{hyps} ⊢ {goal} (counterexample {cex})"
    assert not linarith(hyps, goal, timeout_s=TIMEOUT), f"linarith proved a false goal: {shown}"
    assert not nlinarith(hyps, goal, [], timeout_s=TIMEOUT), f"nlinarith proved a false goal: {shown}"
    assert not omega(hyps, goal, timeout_s=TIMEOUT), f"omega proved a false goal: {shown}"
    ctx = tuple(VarDecl(n, ty) for n in NAMES[:nvars]) + tuple(
        HypDecl(f"h{i}", h) for i, h in enumerate(hyps)
    )
    assert not positivity(goal, ctx), f"positivity proved a false goal: {shown}"
    assert norm_num(goal, hyps) != Bool_(True), f"norm_num closed a false goal: {shown}"


@SETTINGS
@given(statements())
def test_no_procedure_proves_a_false_linear_or_polynomial_goal(stmt) -> None:
    ty, nvars, hyps, goal = stmt
    cex = counterexample(ty, nvars, hyps, goal)
    if cex is not None:
        _assert_refused(ty, nvars, hyps, goal, cex)


@SETTINGS
@given(statements(types=(NAT, INT), depth=1))
def test_omega_never_proves_false_integer_goals(stmt) -> None:
    ty, nvars, hyps, goal = stmt
    cex = counterexample(ty, nvars, hyps, goal)
    if cex is not None:
        assert not omega(hyps, goal, timeout_s=TIMEOUT), f"{hyps} ⊢ {goal} fails at {cex}"


@st.composite
def hinted(draw):
    """nlinarith with true square hints ``0 ≤ t ^ 2``: still never proves a false goal."""
    ty, nvars, hyps, goal = draw(statements(types=(INT, REAL)))
    hints = [Rel("≤", num(0, ty), BinOp("^", draw(terms(ty, nvars, 1)), num(2, NAT), ty)) for _ in range(2)]
    return ty, nvars, hyps, goal, hints


@SETTINGS
@given(hinted())
def test_nlinarith_with_true_hints_never_proves_false_goals(case) -> None:
    ty, nvars, hyps, goal, hints = case
    cex = counterexample(ty, nvars, hyps, goal)
    if cex is not None:
        assert not nlinarith(hyps, goal, hints, timeout_s=TIMEOUT), (
            f"{hyps} [{hints}] ⊢ {goal} fails at {cex}"
        )


@SETTINGS
@given(
    st.sampled_from([NAT, INT, REAL]).flatmap(
        lambda ty: st.tuples(st.just(ty), terms(ty, 2, 3), terms(ty, 2, 3))
    )
)
def test_ring_equal_only_on_identities(case) -> None:
    ty, lhs, rhs = case
    if not ring_equal(lhs, rhs):
        return
    for values in itertools.product(GRIDS[ty], repeat=2):
        l, r = lhs, rhs
        for name, v in zip(NAMES, values, strict=False):
            n = Num(v, ty) if v >= 0 else Neg(Num(-v, ty), ty)
            l, r = substitute(l, name, n), substitute(r, name, n)
        vl, vr = evaluate(l), evaluate(r)
        if vl is not None and vr is not None:
            assert vl == vr, f"ring_equal({lhs}, {rhs}) but they differ at {values}"


@SETTINGS
@given(st.sampled_from([NAT, INT]).flatmap(lambda ty: relations(ty, 0, 2)))
def test_ground_procedures_agree_with_evaluation(rel) -> None:
    """On ground relations, decide / norm_num / omega agree with exact evaluation."""
    truth = prop_value(rel)
    if truth is None:
        return
    assert decide(rel) is truth
    assert norm_num(rel) == Bool_(truth)
    assert omega([], rel, timeout_s=TIMEOUT) is truth
