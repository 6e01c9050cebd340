"""Substitution, renaming, replacement and matching (``tactics/subst.py``) reach inside
the binders and predicates of the wider statement language (``∑ k ∈ s, …``, ``fun``,
``{x | …}``, ``x ∈ s``, ``Even n``, ``a ≡ b [ZMOD n]``, ``∃!``) without capturing bound
variables, so instantiating ``∀ n, …`` or renaming a shadowed variable stays sound."""

from __future__ import annotations

from qed.core import Goals, Proved, TacticError, Theorem
from qed.env.sandbox.ast import NAT, BigOp, Var, VarDecl
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.parse import parse_prop
from qed.env.sandbox.tactics.subst import (
    match_prop,
    prop_vars,
    rename_vars_prop,
    replace_in_prop,
    subst_prop,
)

ENV = SandboxEnv(tactic_timeout_s=5.0)
CTX = (VarDecl("n", NAT), VarDecl("m", NAT), VarDecl("k", NAT))


def P(s: str):
    return parse_prop(s, CTX)


def fv(p) -> set[str]:
    """Free variables, without the names of global functions (``Finset.range``)."""
    return {v for v in prop_vars(p) if "." not in v}


def run(statement: str, *tactics: str):
    state = ENV.start(Theorem("t", f"theorem t {statement} := by"))
    for tac in tactics:
        r = ENV.apply(state, 0, tac)
        if isinstance(r, Proved):
            return "proved"
        if isinstance(r, TacticError):
            return "error: " + r.message
        assert isinstance(r, Goals)
        state = r.state
    return [g.text for g in state.goals]


def test_free_variables_of_binders_and_predicates():
    assert fv(P("∑ i in Finset.range n, i * m = 0")) == {"n", "m"}
    assert fv(P("Even (n + m)")) == {"n", "m"}
    assert fv(P("n ∈ Finset.range m")) == {"n", "m"}


def test_substitution_reaches_inside_and_avoids_capture():
    p = P("∑ i in Finset.range n, i * m = 0")
    q = subst_prop(p, {"n": Var("k", NAT), "m": Var("i", NAT)})
    assert fv(q) == {"k", "i"}  # the bound i was renamed, not captured
    big = q.lhs
    assert isinstance(big, BigOp) and big.var != "i"
    assert subst_prop(P("Even (n + n)"), {"n": Var("m", NAT)}) == P("Even (m + m)")
    assert subst_prop(P("n ∈ Finset.range 5"), {"n": Var("m", NAT)}) == P("m ∈ Finset.range 5")


def test_renaming_and_replacement_inside_binders():
    p = P("∑ i in Finset.range n, i = n")
    assert rename_vars_prop(p, {"n": "m"}) == P("∑ i in Finset.range m, i = m")
    src = P("∑ i in Finset.range (n + 1), (i + n) = 0")
    out, count = replace_in_prop(src, P("n + 1 = 0").lhs, Var("m", NAT))
    assert count == 1 and fv(out) == {"m", "n"}


def test_matching_predicates():
    binds: dict = {}
    pat = subst_prop(P("Even (n + n)"), {"n": Var("?a", NAT)})
    assert match_prop(pat, P("Even (m + m)"), frozenset({"?a"}), binds) and binds == {"?a": Var("m", NAT)}


def test_instantiating_a_forall_with_a_sum_is_sound():
    s = "(m : ℕ) (h : ∀ n : ℕ, ∑ k in Finset.range n, k = 0) : ∑ k in Finset.range m, k = 0"
    assert run(s, "exact h m") == "proved"
    assert run(s, "specialize h 3", "exact h").startswith("error: type mismatch")
    assert run("(m : ℕ) (h : ∀ n : ℕ, Even (n + n)) : Even (m + 1)", "exact h m").startswith("error")
