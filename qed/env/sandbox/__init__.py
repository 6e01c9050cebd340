"""The sandbox: qed's built-in, sound, pure-Python prover for competition arithmetic.

It reads Lean 4 statements, prints goals as Lean does, and runs Lean tactics with
Lean's meaning, deciding arithmetic exactly (fractions, polynomial normal forms,
z3-solver for linear arithmetic). Layout:

- ``ast.py``      types, terms, propositions, goals (data only)
- ``lexer.py``, ``parse.py``  Lean 4 syntax -> elaborated AST (statements, terms, props)
- ``printer.py``  AST -> Lean's pretty-printed text
- ``arith/``      exact evaluation, ring normal forms, linarith / omega / nlinarith /
                  positivity / norm_num decision procedures
- ``tactics/``    tactic parsing and the tactics themselves
- ``env.py``      ``SandboxEnv``, the ``qed.core.Env`` implementation
- ``coverage.py`` which statements of a benchmark the sandbox accepts, and why not
- ``generate.py`` theorem generator with verified proofs
"""
