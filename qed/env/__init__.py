"""Proof environments: the sandbox (built-in prover), Pantograph, the community REPL.

Every backend implements ``qed.core.Env`` and passes ``qed.env.conformance``.
Depends on ``qed.core`` only.
"""
