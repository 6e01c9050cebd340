"""The deep benchmark: theorems of ``deep_families`` with verified proofs, wrong turns and menus.

Owns naming, determinism and the checks a deep theorem must pass before it is emitted:

- its proof closes every goal in a ``SandboxEnv`` (``check_proof``);
- no tactic of its menu proves the root goal in one step (the depth is real);
- every decoy applies at the root and leaves a live state (the wrong turns are reachable).

Theorem ``i`` depends only on ``(seed, i, difficulty, families)``; with ``difficulty=None``
theorem ``i`` has difficulty ``1 + (i // len(families)) % 5``, so any prefix of the benchmark
mixes all lengths. Rows follow the miniF2F schema plus ``proof``, ``family``, ``difficulty``,
``proof_length``, ``decoys`` and ``menu`` (the proof's tactics, the decoys and the generic
fillers, sorted: what ``qed.policy.menu.MenuPolicy`` proposes from). Knows nothing about files.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from qed.core import Goals, Proved, Theorem
from qed.env.sandbox.deep_families import DEEP_FAMILIES, GENERIC, DeepDraft
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.generate import HEADER, Generated, _rng, proof_failure, theorem_row

__all__ = ["deep_draft", "generate_deep", "verify_deep"]


def deep_draft(seed: int, index: int, families: Sequence[str], difficulty: int | None = None
               ) -> tuple[str, int, Theorem, DeepDraft]:
    """Family, difficulty, unverified theorem and draft number ``index`` of run ``seed``."""
    family = families[index % len(families)]
    d = difficulty if difficulty is not None else 1 + (index // len(families)) % 5
    draft = DEEP_FAMILIES[family](_rng(seed, index), d)
    name = f"{family}_s{seed}_{index}"
    statement = f"theorem {name} {draft.binders} :\n    {draft.goal} := by"
    proof = "".join(f"\n  {t}" for t in draft.tactics)
    thm = Theorem(name, statement, header=HEADER, split="test", informal=draft.informal, proof=proof)
    return family, d, thm, draft


def menu(draft: DeepDraft) -> tuple[str, ...]:
    """The distinct tactics a menu policy proposes from, sorted."""
    return tuple(sorted({*draft.tactics, *draft.decoys, *GENERIC}))


def verify_deep(env: SandboxEnv, seed: int, index: int, families: Sequence[str],
                difficulty: int | None = None) -> Generated:
    """Draft theorem ``index`` and run the three checks; the row, or why it was dropped."""
    family, d, thm, draft = deep_draft(seed, index, families, difficulty)
    failure = proof_failure(env, thm)
    if failure:
        return Generated(index, None, failure)
    root = env.start(thm)  # its proof checked, so the statement is accepted
    tactics = menu(draft)
    for t in tactics:
        if isinstance(env.apply(root, 0, t), Proved):
            return Generated(index, None, f"{thm.name}: menu tactic {t!r} proves the root in one step")
    for t in draft.decoys:
        if not isinstance(env.apply(root, 0, t), Goals):
            return Generated(index, None, f"{thm.name}: decoy {t!r} does not apply at the root")
    row = theorem_row(thm, f"qed science deep --seed {seed}", family=family, difficulty=d,
                      proof_length=len(draft.tactics), decoys=list(draft.decoys), menu=list(tactics))
    return Generated(index, row)


def generate_deep(n: int, *, seed: int = 0, families: Sequence[str] | None = None,
                  difficulty: int | None = None, start: int = 0) -> Iterator[Generated]:
    """Attempts ``start .. n-1`` in index order (verified rows and failures)."""
    fams = tuple(families or DEEP_FAMILIES)
    unknown = [f for f in fams if f not in DEEP_FAMILIES]
    if unknown:
        raise ValueError(f"unknown deep families {unknown}: choose from {list(DEEP_FAMILIES)}")
    if difficulty is not None and not 1 <= difficulty <= 5:
        raise ValueError(f"difficulty must be 1..5, got {difficulty}")
    env = SandboxEnv()
    for i in range(start, n):
        yield verify_deep(env, seed, i, fams, difficulty)
