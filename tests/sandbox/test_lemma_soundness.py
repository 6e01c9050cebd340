"""Soundness of lemma applications over the whole table.

For a random entry, type and values, the closed statement ``(h₀ : HYP₀) … : CONCL`` is
built from the entry's own Lean text with the values written in (``(3 : ℝ)``), its
conclusion taken either at the same values (a true instance) or at other values. ``exact
NAME args h₀ …`` must never close it when the hypotheses hold and the conclusion is
false; on true instances the mechanism must succeed (so the test can fail both ways)."""

from __future__ import annotations

import random
import re
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from qed.core import Proved, Theorem
from qed.env.sandbox.ast import INT, NAT, Num
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.parse import parse_prop
from qed.env.sandbox.tactics.lemmas import SPECS, LemmaTable
from qed.env.sandbox.tactics.subst import subst_prop

ENV = SandboxEnv(tactic_timeout_s=5.0)
TABLE = LemmaTable(parse_prop)
ENTRIES = [(name, ty) for name, spec in SPECS.items() for ty in spec.types
           if not any("→" in b.what for b in spec.binders if b.is_term)]  # no closed text for functions
_TYPES = {"ℕ": NAT, "ℤ": INT}


def _holds(p):
    from tests.sandbox.test_lemma_table import holds

    return holds(p, random.Random(0))


def _value(ty, rng: random.Random) -> Fraction:
    if ty == NAT:
        return Fraction(rng.randint(0, 6))
    if ty == INT:
        return Fraction(rng.randint(-4, 4))
    return Fraction(rng.randint(-4, 4), rng.choice([1, 1, 2])) ** rng.choice([1, 1, 2])


def _lit(v: Fraction, ty) -> str:
    body = str(v.numerator) if v.denominator == 1 else f"{v.numerator} / {v.denominator}"
    return f"({body} : {ty.name})"


def _closed(text: str, values: dict[str, str], ty) -> str:
    text = text.replace("α", ty.name)
    return re.sub(r"(?<![\w.'?])([a-zA-Z][\w']*)(?![\w'.])",
                  lambda m: values.get(m.group(1), m.group(1)), text)


def _case(name: str, ty, rng: random.Random, same: bool, negate: bool = False):
    spec = SPECS[name]
    schema = TABLE.instance(name, ty)
    term_tys = {}
    for b in spec.binders:
        if b.is_term:
            for n in b.names:
                term_tys[n] = ty if b.what == "α" else _TYPES.get(b.what, ty)
    vals = {n: _value(t, rng) for n, t in term_tys.items()}
    other = dict(vals) if same else {n: _value(t, rng) for n, t in term_tys.items()}
    lits = {n: _lit(v, term_tys[n]) for n, v in vals.items()}
    other_lits = {n: _lit(v, term_tys[n]) for n, v in other.items()}
    binds = {"?" + n: Num(v, term_tys[n]) for n, v in vals.items()}
    obinds = {"?" + n: Num(v, term_tys[n]) for n, v in other.items()}
    hyps, args = [], []
    for b in spec.binders:
        if not b.explicit:
            continue
        for n in b.names:
            if b.is_term:
                args.append(lits[n])
            else:
                hyps.append(f"(h_{n} : {_closed(b.what, lits, ty)})")
                args.append(f"h_{n}")
    concl = _closed(spec.conclusion, other_lits, ty)
    if negate:
        concl = f"¬({concl})"
    statement = f"{' '.join(hyps)} : {concl}"
    hyp_truth = [_holds(subst_prop(p.prop, binds)) for p in schema.params if p.prop is not None]
    concl_truth = _holds(subst_prop(schema.concl, obinds))
    if negate and concl_truth is not None:
        concl_truth = not concl_truth
    return statement, f"exact {name} {' '.join(args)}".strip(), hyp_truth, concl_truth


def _proves(statement: str, tactic: str) -> bool | None:
    try:
        state = ENV.start(Theorem("t", f"theorem t {statement} := by"))
    except Exception:  # noqa: BLE001 - a statement the parser rejects (e.g. ∀ in text) is skipped
        return None
    return isinstance(ENV.apply(state, 0, tactic), Proved)


def _battery(name: str, exact: str) -> list[str]:
    return [exact, f"apply {name}", f"apply {name} <;> assumption", f"rw [{name}]",
            f"first | {exact} | (apply {name} <;> assumption) | simp [{name}]"]


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(ENTRIES), st.integers(0, 10 ** 6), st.booleans())
def test_lemmas_never_close_a_false_instance(entry, seed, negate):
    """With true hypotheses, the conclusion at other values (when false) or the negated
    conclusion (always false) must not be closed by the lemma in any tactic."""
    name, ty = entry
    rng = random.Random(seed)
    statement, exact, hyp_truth, concl_truth = _case(name, ty, rng, same=negate, negate=negate)
    if not all(h is True for h in hyp_truth) or concl_truth is not False:
        return
    for tactic in _battery(name, exact):
        assert _proves(statement, tactic) is not True, f"{tactic} closed the false {statement}"


def test_exact_lemma_proves_true_instances():
    rng = random.Random(7)
    tried = proved = 0
    failures = []
    for name, ty in rng.sample(ENTRIES, 250):
        statement, tactic, hyp_truth, concl_truth = _case(name, ty, rng, same=True)
        if not all(h is True for h in hyp_truth) or concl_truth is not True:
            continue
        result = _proves(statement, tactic)
        if result is None:
            continue
        tried += 1
        proved += result
        if not result:
            failures.append(f"{tactic}  ⊢  {statement}")
    assert tried >= 100
    assert proved >= 0.9 * tried, "\n".join(failures[:20])
