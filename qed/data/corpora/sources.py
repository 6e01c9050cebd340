"""The public Lean 4 corpora qed reads, one ``Corpus`` each, and how a row becomes a record.

Every corpus is named by a short key (``goedel_workbook``, ``lean_workbook`` …) and says
where it lives on the Hugging Face hub, which columns a row must have, the Lean version and
license of its rows, and how sure we are of its schema (``confidence``: ``row`` = real rows
were read and tests run on them; ``card`` = the dataset card's features; ``documented`` =
columns as third-party write-ups report them, no real row seen: the first real row that
disagrees fails ``check_columns`` with the missing names). The schemas and caveats are in
docs/data.md.

``Corpus.convert(rows)`` turns rows in the corpus's own schema into ``CorpusRecord``s (or
``Rejected`` with the reason); corpora that ship one row per tactic step (Lean Workbook's
pairs file, LEAN-GitHub) group rows by theorem. Nothing here reads files or the network.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from qed.core.lean_text import (
    ScriptError,
    blank_comments,
    declarations,
    pick_declaration,
    split_declaration,
)
from qed.data.corpora.record import CorpusRecord, Rejected, TacticStep

__all__ = ["CORPORA", "Corpus", "SchemaError", "check_columns", "corpus", "split_lean_file", "statement_by"]

Item = CorpusRecord | Rejected
WORKBOOK_HEADER = (
    "import Mathlib\nimport Aesop\n\nset_option maxHeartbeats 400000\n\n"
    "open BigOperators Real Nat Topology Rat\n"
)


class SchemaError(ValueError):
    """Rows that are not in the corpus's schema: the message names the missing columns."""


@dataclass(frozen=True)
class Corpus:
    """One public corpus (see the module docstring)."""

    key: str
    hf_ids: tuple[str, ...]
    columns: tuple[str, ...]
    lean_version: str
    license: str
    confidence: str
    description: str
    convert: Callable[[Iterable[dict]], Iterator[Item]]
    data_files: str | None = None
    split: str = "train"

    @property
    def hf_id(self) -> str:
        return self.hf_ids[0] if self.hf_ids else ""


def check_columns(corpus: Corpus, columns: Iterable[str], where: str) -> None:
    """Raise ``SchemaError`` naming the columns ``corpus`` needs that ``columns`` lacks."""
    have = set(columns)
    missing = [c for c in corpus.columns if c not in have]
    if missing:
        raise SchemaError(
            f"{where}: not in the schema of corpus '{corpus.key}' ({corpus.hf_id or 'local'}): missing "
            f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; the rows have: "
            f"{', '.join(sorted(have)) or 'no columns'}"
        )


# ---- Lean text helpers -------------------------------------------------------------------

_HEADER_LINE = re.compile(r"^\s*(?:import|open|set_option|universe)\b")
_SORRY_TAIL = re.compile(r":=\s*by\s+sorry\s*$|:=\s*sorry\s*$")


def statement_by(statement: str) -> str:
    """A statement normalised to end in ``:= by`` (``:=  by sorry`` and ``:= sorry`` too)."""
    text = _SORRY_TAIL.sub(":= by", statement.rstrip())
    text = re.sub(r"[ \t]*:=\s*by$", " := by", text)
    return text if text.endswith(":= by") else text.rstrip() + " := by"


def split_lean_file(text: str, wanted: str | None = None) -> tuple[str, str, str, str, str]:
    """(header, preamble, statement ending ``:= by``, tactic proof, declaration name) of the
    main theorem of a Lean file: the declaration named ``wanted`` (else the last one).

    The header is the leading ``import``/``open``/``set_option`` lines; the preamble is the
    rest of the text before the theorem with comments removed (empty when only comments).
    Raises ``ValueError`` when the text has no theorem, or the theorem has no proof.
    """
    decls = declarations(text, keep_comments=True)
    if not decls:
        raise ValueError("no 'theorem', 'lemma' or 'example' declaration")
    decl = pick_declaration(decls, wanted)
    try:
        statement, proof, _ = split_declaration(decl.text)
    except ScriptError as exc:
        raise ValueError(f"{decl.name}: {exc}") from exc
    before = blank_comments(text).split("\n")[: decl.line - 1]
    cut = 0
    for i, line in enumerate(before):
        if line.strip() and not _HEADER_LINE.match(line):
            break
        cut = i + 1
    header = "\n".join(x for x in before[:cut] if x.strip())
    preamble = "\n".join(before[cut:]).strip("\n")
    preamble = preamble if preamble.strip() else ""
    return header + ("\n" if header else ""), preamble, statement_by(statement), proof, decl.name


def _text(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"column '{key}' is {type(value).__name__}, expected a string")
    return value


def _texts(row: dict, key: str) -> list[str]:
    value = row.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"column '{key}' is {type(value).__name__}, expected a list of strings")
    return [v for v in value if v.strip()]


def _decl_name(statement: str) -> str:
    m = re.search(r"\b(?:theorem|lemma)\s+([^\s:({\[]+)", statement)
    return m.group(1) if m else ""


def _proof_block(text: str, statement: str) -> str:
    """A proof given as a tactic block, or as a whole declaration/file (then split)."""
    if declarations(text):
        return split_lean_file(text, _decl_name(statement))[3]
    return text


def _rowwise(key: str, fn: Callable[[dict], Item]) -> Callable[[Iterable[dict]], Iterator[Item]]:
    def convert(rows: Iterable[dict]) -> Iterator[Item]:
        for i, row in enumerate(rows):
            try:
                yield fn(row)
            except (TypeError, ValueError) as exc:
                name = next(
                    (str(row.get(k)) for k in ("name", "problem_id", "uuid", "id") if row.get(k)),
                    f"row {i + 1}",
                )
                yield Rejected(name, key, f"unusable row: {exc}")

    return convert


# ---- one converter per corpus ------------------------------------------------------------


def _goedel(row: dict) -> Item:
    pid = _text(row, "problem_id")
    header, preamble, statement, proof, _ = split_lean_file(_text(row, "full_proof"), pid or None)
    return CorpusRecord(
        f"goedel_workbook.{pid}",
        "goedel_workbook",
        statement,
        header,
        preamble,
        (proof,),
        lean_version="v4.9.0",
        license="Apache-2.0",
        origin=f"Goedel-LM/Lean-workbook-proofs problem_id={pid}",
    )


def _workbook(row: dict) -> Item:
    statement = statement_by(_text(row, "formal_statement"))
    name = _decl_name(statement)
    if not name:
        raise ValueError("formal_statement names no theorem")
    proofs = tuple(_proof_block(p, statement) for p in _texts(row, "proof"))
    return CorpusRecord(
        f"lean_workbook.{name}",
        "lean_workbook",
        statement,
        WORKBOOK_HEADER,
        "",
        proofs,
        lean_version="v4.8.0-rc1",
        license="Apache-2.0",
        origin=f"internlm/Lean-Workbook {_text(row, 'split') or 'lean_workbook'}",
        informal=_text(row, "natural_language_statement"),
        extra={"answer": _text(row, "answer")} if _text(row, "answer") else {},
    )


def _by_theorem(rows: Iterable[dict], key: Callable[[dict], tuple]) -> dict[tuple, list[dict]]:
    """Rows of a one-row-per-step corpus grouped by theorem (first-seen order kept)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def _steps(group: list[dict]) -> tuple[TacticStep, ...]:
    return tuple(
        TacticStep(_text(r, "state_before"), _text(r, "tactic"), _text(r, "state_after")) for r in group
    )


def _workbook_pairs(rows: Iterable[dict]) -> Iterator[Item]:
    """``wkbk_1009.parquet``: one row per step; a theorem's rows share an ``id``. A
    disproof's steps prove the negation, so its statement is not kept (its steps are)."""
    for (tid,), group in _by_theorem(rows, lambda r: (str(r.get("id", "")),)).items():
        try:
            steps = _steps(group)
            status = _text(group[0], "status")
            statement = statement_by(_text(group[0], "formal_statement")) if status == "proved" else ""
        except TypeError as exc:
            yield Rejected(tid, "lean_workbook_pairs", f"unusable row: {exc}")
            continue
        yield CorpusRecord(
            f"lean_workbook_pairs.{tid}",
            "lean_workbook_pairs",
            statement,
            WORKBOOK_HEADER if statement else "",
            steps=steps,
            lean_version="v4.8.0-rc1",
            license="Apache-2.0",
            origin=f"internlm/Lean-Workbook wkbk_1009.parquet id={tid}",
            extra={"status": status},
        )


def _lean_github(rows: Iterable[dict]) -> Iterator[Item]:
    """One row per step; names are unique per (url, file_path, full_name), not globally."""
    groups = _by_theorem(
        rows, lambda r: (str(r.get("url", "")), str(r.get("file_path", "")), str(r.get("full_name", "")))
    )
    for (url, path, full), group in groups.items():
        tag = hashlib.sha1(f"{url}\0{path}".encode()).hexdigest()[:8]
        try:
            steps = _steps(group)
        except TypeError as exc:
            yield Rejected(full, "lean_github", f"unusable row: {exc}")
            continue
        yield CorpusRecord(
            f"lean_github.{full}@{tag}",
            "lean_github",
            "",
            steps=steps,
            lean_version="mixed",
            license="Apache-2.0",
            origin=f"{url} {path} @ {group[0].get('commit', '')}".strip(),
        )


def _numina(row: dict) -> Item:
    uid = _text(row, "uuid")
    text = _text(row, "formal_statement")
    if declarations(text) or "import" in text:
        header, preamble, statement, _, _ = split_lean_file(statement_by(text) + "\n  sorry\n")
    else:
        header, preamble, statement = "", "", statement_by(text)
    proofs = []
    if _text(row, "ground_truth_type") != "with_sorry" and _text(row, "formal_ground_truth").strip():
        proofs.append(_text(row, "formal_ground_truth"))
    if _text(row, "formal_proof").strip():
        proofs.append(_text(row, "formal_proof"))
    blocks = tuple(_proof_block(p, statement) for p in proofs)
    return CorpusRecord(
        f"numina_lean.{uid}",
        "numina_lean",
        statement,
        header,
        preamble,
        blocks,
        lean_version="v4.15.0",
        license="Apache-2.0",
        origin=f"AI-MO/NuminaMath-LEAN uuid={uid}",
        informal=_text(row, "problem"),
        extra={"author": _text(row, "author")},
    )


def _deepseek_v1(row: dict) -> Item:
    name = _text(row, "name")
    statement = statement_by(_text(row, "formal_statement"))
    proof = _text(row, "formal_proof")
    blocks = (_proof_block(proof, statement),) if proof.strip() else ()
    return CorpusRecord(
        f"deepseek_prover_v1.{name or _decl_name(statement)}",
        "deepseek_prover_v1",
        statement,
        _text(row, "header"),
        "",
        blocks,
        lean_version="v4.9.0",
        license="deepseek-license",
        origin="deepseek-ai/DeepSeek-Prover-V1",
        informal=_text(row, "informal_prefix"),
    )


def _full_file_rows(source: str, version: str) -> Callable[[dict], Item]:
    """compfiles / mathlib Archive rows (``header``, ``preamble``, ``proof`` = the whole
    declaration, ``suffix``), as shipped in ../shared/data/real."""

    def convert(row: dict) -> Item:
        name = _text(row, "full_name") or _text(row, "name")
        text = _text(row, "header") + "\n" + _text(row, "preamble") + "\n" + _text(row, "proof")
        _, _, statement, proof, _ = split_lean_file(text, name)
        return CorpusRecord(
            f"{source}.{name}",
            source,
            statement,
            _text(row, "header"),
            _text(row, "preamble").strip("\n"),
            (proof,),
            lean_version=_text(row, "lean_toolchain").split(":")[-1] or version,
            license=_text(row, "license"),
            origin=_text(row, "source"),
            informal=_text(row, "informal_statement"),
            extra={"suffix": _text(row, "suffix")} if _text(row, "suffix").strip() else {},
        )

    return convert


CORPORA: dict[str, Corpus] = {
    c.key: c
    for c in (
        Corpus(
            "goedel_workbook",
            ("Goedel-LM/Lean-workbook-proofs",),
            ("problem_id", "full_proof"),
            "v4.9.0",
            "Apache-2.0",
            "row",
            "Whole-proof solutions of Lean Workbook problems by Goedel-Prover-SFT (29,750 rows).",
            _rowwise("goedel_workbook", _goedel),
        ),
        Corpus(
            "lean_workbook",
            ("internlm/Lean-Workbook",),
            ("formal_statement", "natural_language_statement", "split", "proof"),
            "v4.8.0-rc1",
            "Apache-2.0",
            "card",
            "Lean Workbook + Plus statements (140K) with searched proofs for ~13K (JSON array).",
            _rowwise("lean_workbook", _workbook),
            data_files="lean_workbook.json",
        ),
        Corpus(
            "lean_workbook_pairs",
            ("internlm/Lean-Workbook",),
            ("id", "status", "tactic", "state_before", "state_after", "formal_statement"),
            "v4.8.0-rc1",
            "Apache-2.0",
            "documented",
            "Lean Workbook tactic pairs traced by InternLM2.5-StepProver (wkbk_1009.parquet, 25K steps).",
            _workbook_pairs,
            data_files="wkbk_1009.parquet",
        ),
        Corpus(
            "lean_github",
            ("internlm/Lean-Github",),
            ("url", "commit", "file_path", "full_name", "tactic", "state_before", "state_after"),
            "mixed",
            "Apache-2.0",
            "documented",
            "Tactic steps traced with LeanDojo from 100+ Lean 4 repositories (219K steps).",
            _lean_github,
        ),
        Corpus(
            "numina_lean",
            ("AI-MO/NuminaMath-LEAN", "project-numina/NuminaMath-LEAN"),
            ("uuid", "formal_statement", "formal_ground_truth", "ground_truth_type", "formal_proof"),
            "v4.15.0",
            "Apache-2.0",
            "documented",
            "NuminaMath competition problems formalised by humans and Kimina (104K), human and RL proofs.",
            _rowwise("numina_lean", _numina),
        ),
        Corpus(
            "deepseek_prover_v1",
            ("deepseek-ai/DeepSeek-Prover-V1",),
            ("name", "formal_statement", "header", "formal_proof"),
            "v4.9.0",
            "deepseek-license",
            "documented",
            "DeepSeek-Prover-V1 synthetic statements with proofs (dataset.jsonl, DeepSeek license).",
            _rowwise("deepseek_prover_v1", _deepseek_v1),
            data_files="dataset.jsonl",
        ),
        Corpus(
            "compfiles",
            (),
            ("name", "header", "preamble", "proof", "formal_statement"),
            "v4.34.0-rc1",
            "Apache-2.0",
            "row",
            "dwrensha/compfiles olympiad solutions, one row per main theorem (local file).",
            _rowwise("compfiles", _full_file_rows("compfiles", "v4.34.0-rc1")),
        ),
        Corpus(
            "mathlib_archive",
            (),
            ("name", "header", "preamble", "proof", "formal_statement"),
            "v4.21.0-rc3",
            "Apache-2.0",
            "row",
            "mathlib4 Archive/Imo solutions, one row per main theorem (local file).",
            _rowwise("mathlib_archive", _full_file_rows("mathlib_archive", "v4.21.0-rc3")),
        ),
    )
}


def corpus(key: str) -> Corpus:
    """The corpus called ``key``; ``KeyError`` lists the known keys."""
    try:
        return CORPORA[key]
    except KeyError:
        raise KeyError(f"unknown corpus '{key}'; known: {', '.join(CORPORA)}") from None
