"""SFT data: (theorem, state, tactic) pair files, the cheat filter, the split, tokenized examples.

Owns:
- the pair record (``SftPair``) and reading/writing it as JSON Lines or Parquet. Columns:
  ``theorem`` (or ``name``/``id``), ``state`` (or ``state_before``), ``tactic``; optional
  ``header`` and ``statement`` (or ``formal_statement``) for the prompt;
- the filter: a theorem any of whose tactics mentions ``sorry``, ``admit`` or ``cheat`` is
  dropped whole (LESSONS pitfall 11);
- the train/validation split BY THEOREM NAME (pitfall 10): a name goes to validation iff a
  seeded hash of it falls under ``val_frac``, so the split never depends on file order;
- tokenization with completion-only labels: prompt tokens are ``-100``, the completion
  (``prompt.format_completion``) and EOS carry loss (pitfall 12).

Knows nothing about models, optimizers or environments (tracing proofs into pairs is the
CLI's job).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from qed.core import Theorem
from qed.data.jsonl import RecordError, read_jsonl
from qed.policy.prompt import format_completion, format_prompt

CHEAT = re.compile(r"\b(sorry|admit|cheat)\b")
IGNORE = -100
_ALIASES = {"theorem": ("theorem", "name", "id"), "state": ("state", "state_before"),
            "statement": ("statement", "formal_statement")}


class SftDataError(ValueError):
    """A pair file that cannot be read; the message names the file, the row and the problem."""


@dataclass(frozen=True)
class SftPair:
    """One training pair: in theorem ``theorem`` (name), at tactic state ``state``, play ``tactic``."""

    theorem: str
    state: str
    tactic: str
    header: str = ""
    statement: str = ""

    def prompt_theorem(self) -> Theorem:
        return Theorem(self.theorem, self.statement, header=self.header)


@dataclass(frozen=True)
class Example:
    """Token ids and labels (``-100`` on prompt tokens) of one pair."""

    input_ids: tuple[int, ...]
    labels: tuple[int, ...]
    theorem: str


def _field(row: dict, key: str, where: str, *, required: bool) -> str:
    for alias in _ALIASES.get(key, (key,)):
        if row.get(alias) is not None:
            value = row[alias]
            if not isinstance(value, str):
                raise SftDataError(f"{where}: field '{alias}' must be a string, got {type(value).__name__}")
            return value
    if required:
        names = " or ".join(repr(a) for a in _ALIASES.get(key, (key,)))
        raise SftDataError(f"{where}: missing field {names}")
    return ""


def pair_from_row(row: dict, where: str) -> SftPair:
    return SftPair(
        theorem=_field(row, "theorem", where, required=True),
        state=_field(row, "state", where, required=True),
        tactic=_field(row, "tactic", where, required=True),
        header=_field(row, "header", where, required=False),
        statement=_field(row, "statement", where, required=False),
    )


def read_pairs(path: Path) -> list[SftPair]:
    """Pairs from a ``.jsonl`` or ``.parquet`` file (see the module docstring for columns)."""
    path = Path(path)
    if not path.exists():
        raise SftDataError(f"{path}: no such file (make pairs with `qed data sft-pairs --out {path.name}`)")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
        return [pair_from_row(r, f"{path}: row {i}") for i, r in enumerate(rows)]
    if path.suffix not in (".jsonl", ".json"):
        raise SftDataError(f"{path}: unknown format; use .jsonl or .parquet")
    try:  # lines read by the one JSONL reader: bad bytes, JSON, nesting name the line
        return [pair_from_row(row, f"{path}:{lineno}") for lineno, row in read_jsonl(path)]
    except RecordError as exc:
        raise SftDataError(str(exc)) from exc


def write_pairs(pairs: Iterable[SftPair], path: Path) -> int:
    """Write pairs as ``.jsonl`` or ``.parquet`` (by suffix); returns how many."""
    rows = [asdict(p) for p in pairs]
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        with path.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(rows)


def drop_cheating_theorems(pairs: Sequence[SftPair]) -> tuple[list[SftPair], list[str]]:
    """(kept pairs, dropped theorem names): every pair of a theorem with any cheating tactic goes."""
    bad = sorted({p.theorem for p in pairs if CHEAT.search(p.tactic)})
    dropped = set(bad)
    return [p for p in pairs if p.theorem not in dropped], bad


def is_validation(theorem: str, val_frac: float, seed: int) -> bool:
    """Whether theorem ``theorem`` belongs to the validation split (by name only)."""
    digest = hashlib.blake2b(f"{seed}:{theorem}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < val_frac


def split_by_theorem(pairs: Sequence[SftPair], val_frac: float,
                     seed: int) -> tuple[list[SftPair], list[SftPair]]:
    """(train, validation); all pairs of one theorem land on the same side."""
    if not 0 <= val_frac < 1:
        raise ValueError(f"val_frac must be in [0, 1), got {val_frac}")
    train, val = [], []
    for p in pairs:
        (val if is_validation(p.theorem, val_frac, seed) else train).append(p)
    return train, val


def tokenize_pair(tokenizer, pair: SftPair, max_len: int) -> Example:
    """Prompt + completion + EOS as ids, labels masked on the prompt.

    A pair longer than ``max_len`` keeps the end of its prompt (the state and the closing
    fence) and all of its completion (cut to ``max_len // 2`` tokens if even that is longer).
    """
    prompt_text = format_prompt(pair.prompt_theorem(), pair.state)
    prompt = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    completion = tokenizer(format_completion(pair.tactic), add_special_tokens=False)["input_ids"]
    completion = list(completion)[: max(1, max_len // 2) - 1] + [tokenizer.eos_token_id]
    room = max_len - len(completion)
    prompt = list(prompt)[-room:] if room > 0 else []
    ids = tuple(prompt + completion)
    labels = tuple([IGNORE] * len(prompt) + completion)
    return Example(ids, labels, pair.theorem)


def collate(examples: Sequence[Example], pad_id: int):
    """Right-padded ``input_ids``, ``attention_mask`` and ``labels`` tensors (padding labelled ``-100``)."""
    import torch

    width = max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for i, e in enumerate(examples):
        n = len(e.input_ids)
        ids[i, :n] = torch.tensor(e.input_ids)
        labels[i, :n] = torch.tensor(e.labels)
        mask[i, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
