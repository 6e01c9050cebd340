"""Theorem generator: families of statements with proofs, each proof verified by the sandbox.

Owns naming, determinism, verification and parallel production. Contract:
- theorem ``i`` of a run depends only on ``(seed, i, difficulty, families)``, so runs
  are reproducible and can be split across processes in any way;
- a theorem is yielded only after ``check_proof`` ran its proof through a
  ``SandboxEnv`` and it closed every goal; drafts that fail are counted, never emitted;
- rows follow the miniF2F schema plus ``proof`` (the text after ``:= by``), ``family``
  and ``difficulty``.
Knows nothing about files (the CLI writes rows) or about the families' mathematics.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from qed.core import Theorem
from qed.env.check import check_proof
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.families import FAMILIES, Draft

HEADER = (
    "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 400000\n\n"
    "open BigOperators Real Nat Topology Rat\n"
)


@dataclass(frozen=True)
class Generated:
    """One attempt: the row when its proof verified, else the failure message."""

    index: int
    row: dict | None
    error: str | None = None


def _rng(seed: int, index: int) -> random.Random:
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def draft(seed: int, index: int, difficulty: int, families: Sequence[str]) -> tuple[str, Theorem]:
    """The family name and unverified theorem number ``index`` of run ``seed``."""
    rng = _rng(seed, index)
    family = families[index % len(families)]
    d: Draft = FAMILIES[family](rng, difficulty)
    name = f"gen_{family}_s{seed}_{index}"
    binders = f" {d.binders}" if d.binders else ""
    statement = f"theorem {name}{binders} :\n    {d.goal} := by"
    proof = "".join(f"\n  {t}" for t in d.tactics)
    return family, Theorem(name, statement, header=HEADER, split="train", informal=d.informal, proof=proof)


def verify_one(env: SandboxEnv, seed: int, index: int, difficulty: int, families: Sequence[str]) -> Generated:
    family, thm = draft(seed, index, difficulty, families)
    failure = proof_failure(env, thm)
    if failure:
        return Generated(index, None, failure)
    source = f"qed sandbox generate --seed {seed} --difficulty {difficulty}"
    return Generated(index, theorem_row(thm, source, family=family, difficulty=difficulty))


def proof_failure(env: SandboxEnv, thm: Theorem) -> str | None:
    """Why ``thm``'s own proof does not check in ``env`` (a generator bug, reported not
    raised), or None when it does."""
    try:
        result = check_proof(env, thm, thm.proof or "")
    except ValueError as exc:  # StatementError or ScriptError
        return f"{thm.name}: {exc}"
    if result.ok:
        return None
    f = result.failure
    return f"{thm.name}: " + (f"line {f.line}: {f.tactic}: {f.message}" if f else "unsolved")


def theorem_row(thm: Theorem, source: str, **extra) -> dict:
    """A generated theorem as a benchmark row (miniF2F schema + ``proof``), ``extra`` columns last."""
    return {"name": thm.name, "split": thm.split, "header": thm.header, "formal_statement": thm.statement,
            "informal_statement": thm.informal, "source": source, "proof": thm.proof, **extra}


def _chunk(args: tuple[int, int, int, int, tuple[str, ...]]) -> list[Generated]:
    seed, start, stop, difficulty, families = args
    env = SandboxEnv()
    return [verify_one(env, seed, i, difficulty, families) for i in range(start, stop)]


def generate(
    n: int,
    *,
    seed: int = 0,
    difficulty: int = 2,
    families: Sequence[str] | None = None,
    workers: int = 1,
    start: int = 0,
    chunk: int = 250,
) -> Iterator[Generated]:
    """Yield attempts ``start .. n-1`` in index order (verified rows and failures).

    ``workers > 1`` verifies chunks in separate processes; order and content are the
    same as with one worker.
    """
    fams = tuple(families or FAMILIES)
    unknown = [f for f in fams if f not in FAMILIES]
    if unknown:
        raise ValueError(
            f"unknown famil{'y' if len(unknown) == 1 else 'ies'} {unknown}: choose from {list(FAMILIES)}"
        )
    if not 1 <= difficulty <= 5:
        raise ValueError(f"difficulty must be 1..5, got {difficulty}")
    jobs = [(seed, s, min(s + chunk, n), difficulty, fams) for s in range(start, n, chunk)]
    if workers <= 1:
        for job in jobs:
            yield from _chunk(job)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for batch in pool.map(_chunk, jobs):
            yield from batch
