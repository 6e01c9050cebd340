"""The sandbox's arithmetic: exact evaluation, ring normal forms, decision procedures.

Public API (the ``arith/`` part of ``qed/env/sandbox/api_contract.md``); every procedure
returns ``True`` only when the goal truly follows (soundness first), and the ones taking
``timeout_s`` raise ``ArithTimeout`` when they run out of time.

- ``evaluate``      ``evaluate.py``   ground terms, Lean semantics
- ``ring_equal``, ``ring_nf_term``  ``poly.py``  commutative (semi)ring / field normal forms
- ``linarith``      ``linear.py``     linear arithmetic over ordered fields (+ Mathlib's preprocessing:
                                    conjunctions split, ℕ facts to ℤ, ``0 ≤ ↑n`` for ℕ casts)
- ``nlinarith``     ``nonlinear.py``  Mathlib's products-of-hypotheses preprocessing + linarith
- ``omega``         ``omega.py``      linear integer arithmetic with ∧ ∨ ¬ → ↔, ∣, / and % by numerals
                                    (products distributed, monomials as atoms)
- ``positivity``    ``positivity.py`` syntactic 0 < e / 0 ≤ e / e ≠ 0
- ``norm_num``      ``norm_num.py``   evaluation + a small simp set
- ``decide``        ``decide.py``     ground decidable propositions

Each module's docstring states its semantics and its strength relative to Lean's tactic.
Importing this package has no side effects.
"""

from qed.env.sandbox.arith.decide import decide
from qed.env.sandbox.arith.errors import ArithTimeout
from qed.env.sandbox.arith.evaluate import evaluate
from qed.env.sandbox.arith.linear import linarith
from qed.env.sandbox.arith.nonlinear import nlinarith
from qed.env.sandbox.arith.norm_num import norm_num
from qed.env.sandbox.arith.omega import omega
from qed.env.sandbox.arith.poly import ring_equal, ring_nf_term
from qed.env.sandbox.arith.positivity import positivity

__all__ = [
    "ArithTimeout",
    "decide",
    "evaluate",
    "linarith",
    "nlinarith",
    "norm_num",
    "omega",
    "positivity",
    "ring_equal",
    "ring_nf_term",
]
