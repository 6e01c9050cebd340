"""The trajectory row: one node of one search tree, and its Parquet file format.

Owns the schema every stage agrees on (search writes ``trajectories.parquet``; the
contrastive-data, SFT-data and metrics stages read it), its validation, and Parquet
reading/writing with pyarrow. Knows nothing about how trees are searched, nor about
models: no torch here.

One row per node of a search tree (the root included). Columns:

==================== ======= ==========================================================
column               type    meaning
==================== ======= ==========================================================
theorem              string  theorem name (the split key: never split one theorem)
node_id              int64   node id, unique within its theorem; the root is 0
parent_id            int64   the parent's ``node_id``; ``-1`` for the root
tactic               string  tactic that produced this node from its parent ("" root)
state                string  pretty-printed tactic state (``ProofState.text``);
                             ``"no goals"`` for a ``proved`` node, ``""`` for an
                             ``error``/``timeout`` node (the tactic produced no state)
root                 string  the theorem's root goal text (conditions the value model)
depth                int64   tactics from the root (root = 0; parent depth + 1)
logprob              float64 the policy's log-probability of ``tactic`` (0 for root)
cumulative_logprob   float64 sum of ``logprob`` along the path from the root
energy               float64 the value model's energy at search time; NaN if unscored
outcome              string  one of OUTCOMES: ``root`` | ``goals`` (open goals remain)
                             | ``proved`` (no goals remain) | ``error`` | ``timeout``
on_proof_path        bool    the node lies on the found proof (root .. proved node)
expansion_order      int64   when search expanded the node (0 first); -1 never expanded
proved               bool    whether search proved the theorem (same on every row)
==================== ======= ==========================================================

Invariants checked by ``validate``: node ids unique per theorem, exactly one root with
``parent_id == -1`` and depth 0, every parent exists with depth one less, ``proved``
constant per theorem, ``on_proof_path`` rows exist iff ``proved`` and form a chain from
the root to a ``proved`` node.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from qed.data.rundir import atomic_path

OUTCOMES = ("root", "goals", "proved", "error", "timeout")
NO_GOALS = "no goals"


class TrajectoryError(ValueError):
    """A trajectory file or row set that breaks the schema; the message names the problem."""


@dataclass(frozen=True)
class TrajectoryRow:
    """One search-tree node (see the module docstring for each column's meaning)."""

    theorem: str
    node_id: int
    parent_id: int
    tactic: str
    state: str
    root: str
    depth: int
    logprob: float
    cumulative_logprob: float
    energy: float
    outcome: str
    on_proof_path: bool
    expansion_order: int
    proved: bool

    @property
    def is_live(self) -> bool:
        """Has open goals (a state the value model scores): ``root`` or ``goals``."""
        return self.outcome in ("root", "goals")


SCHEMA = pa.schema(
    [
        ("theorem", pa.string()),
        ("node_id", pa.int64()),
        ("parent_id", pa.int64()),
        ("tactic", pa.string()),
        ("state", pa.string()),
        ("root", pa.string()),
        ("depth", pa.int64()),
        ("logprob", pa.float64()),
        ("cumulative_logprob", pa.float64()),
        ("energy", pa.float64()),
        ("outcome", pa.string()),
        ("on_proof_path", pa.bool_()),
        ("expansion_order", pa.int64()),
        ("proved", pa.bool_()),
    ]
)
COLUMNS = tuple(f.name for f in fields(TrajectoryRow))
assert COLUMNS == tuple(SCHEMA.names)


def to_table(rows: Sequence[TrajectoryRow]) -> pa.Table:
    """The rows as an Arrow table with ``SCHEMA``."""
    columns = list(zip(*(astuple(r) for r in rows), strict=True)) if rows else [() for _ in COLUMNS]
    arrays = [pa.array(list(c), type=f.type) for c, f in zip(columns, SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def write_trajectories(path: str | Path, rows: Sequence[TrajectoryRow], *, check: bool = True) -> Path:
    """Write ``rows`` to ``path`` atomically (a temporary file renamed into place).

    With ``check`` the rows are validated first (``TrajectoryError`` on a broken tree).
    """
    if check:
        validate(rows)
    path = Path(path)
    with atomic_path(path) as tmp:
        pq.write_table(to_table(rows), tmp)
    return path


def read_trajectories(path: str | Path, *, check: bool = True) -> list[TrajectoryRow]:
    """Read and validate a trajectory Parquet file.

    Raises ``TrajectoryError`` naming the file and the problem: unreadable/corrupt file,
    missing columns, wrong column types, unknown outcomes, or (with ``check``) a broken tree.
    Extra columns are ignored.
    """
    path = Path(path)
    if not path.exists():
        raise TrajectoryError(f"{path}: no such trajectory file")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise TrajectoryError(f"{path}: not a readable Parquet file ({exc})") from exc
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise TrajectoryError(f"{path}: missing columns {missing} (trajectory schema needs {list(COLUMNS)})")
    cols = []
    for f in SCHEMA:
        col = table.column(f.name)
        if col.type != f.type:
            try:
                col = col.cast(f.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise TrajectoryError(
                    f"{path}: column '{f.name}' has type {col.type}, expected {f.type}"
                ) from exc
        if col.null_count and f.name != "energy":
            raise TrajectoryError(f"{path}: column '{f.name}' has {col.null_count} null values")
        cols.append(col.to_pylist())
    energy = COLUMNS.index("energy")
    cols[energy] = [math.nan if v is None else v for v in cols[energy]]
    rows = [TrajectoryRow(*values) for values in zip(*cols, strict=True)]
    try:
        if check:
            validate(rows)
        else:
            _check_outcomes(rows)
    except TrajectoryError as exc:
        raise TrajectoryError(f"{path}: {exc}") from exc
    return rows


def _check_outcomes(rows: Iterable[TrajectoryRow]) -> None:
    for r in rows:
        if r.outcome not in OUTCOMES:
            raise TrajectoryError(
                f"theorem '{r.theorem}' node {r.node_id}: outcome '{r.outcome}' is not one of {OUTCOMES}"
            )


def by_theorem(rows: Iterable[TrajectoryRow]) -> dict[str, list[TrajectoryRow]]:
    """Rows grouped by theorem name, in first-seen order."""
    out: dict[str, list[TrajectoryRow]] = defaultdict(list)
    for r in rows:
        out[r.theorem].append(r)
    return dict(out)


def validate(rows: Sequence[TrajectoryRow]) -> None:
    """Raise ``TrajectoryError`` unless ``rows`` satisfy the invariants in the module docstring."""
    _check_outcomes(rows)
    for name, tree in by_theorem(rows).items():
        nodes = {}
        for r in tree:
            if r.node_id in nodes:
                raise TrajectoryError(f"theorem '{name}': node_id {r.node_id} appears twice")
            nodes[r.node_id] = r
        roots = [r for r in tree if r.parent_id == -1]
        if len(roots) != 1:
            raise TrajectoryError(f"theorem '{name}': {len(roots)} root rows (parent_id -1), expected 1")
        if roots[0].depth != 0 or roots[0].outcome != "root":
            raise TrajectoryError(f"theorem '{name}': the root must have depth 0 and outcome 'root'")
        if len({r.proved for r in tree}) != 1:
            raise TrajectoryError(f"theorem '{name}': column 'proved' differs between rows")
        for r in tree:
            if r.parent_id == -1:
                continue
            parent = nodes.get(r.parent_id)
            if parent is None:
                raise TrajectoryError(f"theorem '{name}': node {r.node_id} has missing parent {r.parent_id}")
            if r.depth != parent.depth + 1:
                raise TrajectoryError(
                    f"theorem '{name}': node {r.node_id} has depth {r.depth}, parent depth {parent.depth}"
                )
            if r.outcome == "root":
                raise TrajectoryError(f"theorem '{name}': non-root node {r.node_id} has outcome 'root'")
        path = [r for r in tree if r.on_proof_path]
        if not tree[0].proved and path:
            raise TrajectoryError(f"theorem '{name}': rows on a proof path of an unproved theorem")
        if tree[0].proved:
            _check_path(name, nodes, path)


def _check_path(name: str, nodes: dict[int, TrajectoryRow], path: list[TrajectoryRow]) -> None:
    ends = [r for r in path if r.outcome == "proved"]
    if len(ends) != 1:
        raise TrajectoryError(f"theorem '{name}' is proved but its proof path has {len(ends)} 'proved' nodes")
    chain, node = set(), ends[0]
    while True:
        chain.add(node.node_id)
        if node.parent_id == -1:
            break
        node = nodes[node.parent_id]
        if not node.on_proof_path:
            raise TrajectoryError(f"theorem '{name}': proof path broken at node {node.node_id}")
    if chain != {r.node_id for r in path}:
        raise TrajectoryError(f"theorem '{name}': on_proof_path rows are not one chain from root to proof")


def split_by_theorem(names: Iterable[str], val_fraction: float, seed: int = 0) -> tuple[set[str], set[str]]:
    """(train, validation) theorem names: each name goes wholly to one side.

    The assignment hashes ``(seed, name)``, so a theorem keeps its side when data grows.
    At least one theorem goes to validation when ``val_fraction > 0`` and there are two or more.
    """
    names = sorted(set(names))

    def key(n: str) -> float:
        h = hashlib.sha256(f"{seed}\x00{n}".encode()).digest()
        return int.from_bytes(h[:8], "big") / 2**64

    val = {n for n in names if key(n) < val_fraction}
    if val_fraction > 0 and not val and len(names) > 1:
        val = {min(names, key=key)}
    return set(names) - val, val
