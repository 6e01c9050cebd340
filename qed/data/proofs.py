"""Pure extraction from a ``SearchResult``: trajectory rows, SFT pairs, proof text and files.

Owns how a search graph becomes (1) ``TrajectoryRow`` rows (one per node, the schema of
``qed.data.trajectory``; read by ``qed.data.contrastive`` unchanged), (2) supervised pairs
``(theorem, state, tactic)`` along the proof path, in ``qed.train.sft_data``'s pair columns,
(3) the proof as a tactic script and as a ``.lean`` source (header + statement + proof)
that ``qed check`` accepts, and (4) the per-node timing columns written beside the
trajectory schema. Knows nothing about how the search ran, about models or about run
directories (``qed.eval.prove`` decides where files go).

Merge edges (a tactic that reached an existing state) are not rows: a row is a node, and
its parent is the node's parent link (see ``qed.search.result``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyarrow as pa

from qed.core import Theorem
from qed.data.contrastive import ContrastiveGroup, ContrastiveStats, build_groups
from qed.data.trajectory import TrajectoryRow, to_table
from qed.search.result import SearchResult

INDENT = "  "
TIMING_COLUMNS = (("env_seconds", pa.float64()), ("created_at", pa.int64()))


def trajectory_rows(result: SearchResult) -> list[TrajectoryRow]:
    """One row per node of ``result`` (none for an ``unsupported`` theorem, which has no tree)."""
    if not result.nodes:
        return []
    on_path = set(result.proof_path())
    root = result.root_goal
    return [
        TrajectoryRow(
            theorem=result.theorem.name,
            node_id=n.id,
            parent_id=n.parent,
            tactic=n.tactic,
            state=n.state,
            root=root,
            depth=n.depth,
            logprob=n.logprob,
            cumulative_logprob=n.cumulative_logprob,
            energy=n.energy,
            outcome=n.outcome,
            on_proof_path=n.id in on_path,
            expansion_order=n.expansion_order,
            proved=result.proved,
        )
        for n in result.nodes
    ]


def trajectory_table(results: Iterable[SearchResult]) -> pa.Table:
    """Rows of every result as one Arrow table: the trajectory schema plus timing columns.

    ``qed.data.trajectory.read_trajectories`` ignores the extra columns (``env_seconds``: the
    tactic application that created the node; ``created_at``: expansions done by then).
    """
    results = list(results)
    rows = [r for res in results for r in trajectory_rows(res)]
    table = to_table(rows)
    env_s = [n.env_seconds for res in results if res.nodes for n in res.nodes]
    created = [n.created_at for res in results if res.nodes for n in res.nodes]
    for (name, typ), values in zip(TIMING_COLUMNS, (env_s, created), strict=True):
        table = table.append_column(pa.field(name, typ), pa.array(values, type=typ))
    return table


@dataclass(frozen=True)
class ProofStep:
    """One supervised pair: in ``theorem`` at ``state`` the proof played ``tactic``.

    Field names match ``qed.train.sft_data.SftPair`` so ``read_pairs`` reads them as written.
    """

    theorem: str
    state: str
    tactic: str
    header: str = ""
    statement: str = ""


def sft_pairs(result: SearchResult) -> list[ProofStep]:
    """The (state, tactic) pairs along the proof path, root first (empty unless proved)."""
    path = result.proof_path()
    t = result.theorem
    return [
        ProofStep(t.name, result.nodes[a].state, result.nodes[b].tactic, t.header, t.statement)
        for a, b in zip(path, path[1:], strict=False)
    ]


def proof_script(tactics: Sequence[str], indent: str = INDENT) -> str:
    """Tactics as a ``by`` block body: one per line, continuation lines indented under it."""
    lines = []
    for tactic in tactics:
        for i, line in enumerate(tactic.split("\n")):
            lines.append(indent + line if i == 0 or line.startswith(" ") else indent + INDENT + line)
    return "\n".join(lines)


def proof_text(result: SearchResult) -> str:
    """The proof of ``result`` as a tactic block body (empty unless proved)."""
    return proof_script(result.proof_tactics()) if result.proved else ""


def lean_source(theorem: Theorem, tactics: Sequence[str]) -> str:
    """A ``.lean`` file: the theorem's header, its statement (ending ``:= by``) and the proof."""
    statement = theorem.statement.rstrip()
    if not statement.endswith("by"):
        raise ValueError(f"theorem '{theorem.name}': statement does not end with ':= by'")
    header = theorem.header.rstrip("\n")
    parts = [header, ""] if header else []
    parts += [statement, proof_script(tactics), ""]
    return "\n".join(parts)


def contrastive_groups(
    results: Iterable[SearchResult], **kwargs
) -> tuple[list[ContrastiveGroup], ContrastiveStats]:
    """Contrastive groups of ``results`` via ``qed.data.contrastive.build_groups`` (same kwargs)."""
    rows = [r for res in results for r in trajectory_rows(res)]
    return build_groups(rows, **kwargs)
