"""The types and Protocols every part of qed agrees on. Standard library only.

Owns: Theorem, Goal, Hypothesis, ProofState, the closed Outcome union, Candidate,
the error types, and the Env / Policy / Encoder / ValueFn / Prover Protocols.
Knows nothing about Lean processes, models, search or configuration.
"""

from qed.core.protocols import Encoder, Env, Policy, Prover, ValueFn
from qed.core.types import (
    Candidate,
    EnvCrashed,
    Goal,
    Goals,
    Hypothesis,
    Outcome,
    ProofState,
    Proved,
    Query,
    StatementError,
    TacticError,
    TacticTimeout,
    Theorem,
    ValueQuery,
)

__all__ = [
    "Candidate",
    "Encoder",
    "Env",
    "EnvCrashed",
    "Goal",
    "Goals",
    "Hypothesis",
    "Outcome",
    "Policy",
    "ProofState",
    "Proved",
    "Prover",
    "Query",
    "StatementError",
    "TacticError",
    "TacticTimeout",
    "Theorem",
    "ValueFn",
    "ValueQuery",
]
