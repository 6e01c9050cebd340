"""How much of a corpus of real Lean proofs the sandbox replays: ``qed sandbox fidelity``.

A record (one JSON object of a JSONL file) becomes a ``FidelityCase``: the main theorem's
statement (ending in ``:= by``), its tactic block, the text before it and where it sits
in the record's whole file. Three schemas are read:

- ``full_proof``: a whole ``.lean`` file (Goedel-LM/Lean-workbook-proofs; name from
  ``problem_id``). The main theorem is the declaration named by the record, else the last
  ``theorem``/``lemma``/``example``.
- ``proof`` holding the whole declaration (statement + proof), optionally with ``header``,
  ``preamble`` and ``suffix`` (compfiles, mathlib Archive: ``header + "\\n" + preamble +
  "\\n" + proof + "\\n" + suffix`` is the file; name from ``full_name``/``name``).
- ``formal_statement`` + ``proof`` where ``proof`` is only the tactic block (it does not
  start with the statement).

``run_case`` runs a case through a ``SandboxEnv`` with ``qed.env.check.check_proof`` under
a per-tactic and a whole-proof time limit and returns a ``FidelityOutcome``: checked, or
the first failing step classified by cause (``classify``), or the statement's rejection
grouped as ``qed sandbox coverage`` groups it (``coverage.category_of``). A term-mode
proof (``:= t``) is run as ``exact t``. ``FidelityTally`` aggregates outcomes (and
unusable lines) into a frozen ``FidelityReport`` without keeping them unless asked, so
files of any size stream. Nothing here prints or opens files.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field

from qed.core import Outcome, ProofState, StatementError, TacticTimeout, Theorem
from qed.core.lean_text import ScriptError, blank_comments, declarations, pick_declaration, split_declaration
from qed.env.check import TraceStep, check_proof
from qed.env.sandbox.coverage import category_of
from qed.env.sandbox.env import SandboxEnv

__all__ = [
    "CHECKED",
    "FAILED",
    "KINDS",
    "REJECTED",
    "CauseGroup",
    "Example",
    "FidelityCase",
    "FidelityOutcome",
    "FidelityReport",
    "FidelityTally",
    "InvalidRecord",
    "RecordError",
    "classify",
    "declarations",
    "fidelity",
    "parse_record",
    "read_cases",
    "run_case",
]

CHECKED, FAILED, REJECTED = "checked", "failed", "rejected"

# Cause kinds of a failing proof, in the order reports list them.
UNSUPPORTED_SYNTAX = "unsupported syntax"
UNKNOWN_TACTIC = "unknown tactic"
UNKNOWN_LEMMA = "unknown lemma"
TACTIC_FAILED = "tactic failed"
TIMEOUT = "timeout"
LAYOUT = "layout"
INTERNAL = "internal error"
KINDS = (UNKNOWN_TACTIC, UNKNOWN_LEMMA, UNSUPPORTED_SYNTAX, TACTIC_FAILED, TIMEOUT, LAYOUT, INTERNAL)
LAYOUT_CAUSE = "no goals / unsolved goals"
LAYOUT_COMBINATOR = "'<;>' at a line break, run as a tactic of its own"


class RecordError(ValueError):
    """A JSONL line that is not a usable record: malformed JSON, wrong schema, no theorem."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True)
class FidelityCase:
    """One record's main theorem: ``statement`` ends in ``:= by``; ``proof`` is the tactic
    block after it; ``first_line`` is the 1-based line of the statement's last line in the
    record's whole file (where ``proof``'s first line sits); ``record_line`` the JSONL line."""

    name: str
    record_line: int
    statement: str
    proof: str
    header: str = ""
    first_line: int = 1
    schema: str = ""
    term_mode: bool = False


@dataclass(frozen=True)
class FidelityOutcome:
    """What the sandbox did with a case.

    ``status`` is ``checked``, ``failed`` (statement accepted, proof did not check) or
    ``rejected`` (statement not accepted). For ``failed``: ``kind`` (one of ``KINDS``),
    ``cause`` (the group label, e.g. ``unknown tactic 'field_simp'``), the failing
    ``tactic`` text, Lean-like ``message`` and its ``line`` in the record's file. For
    ``rejected``: ``cause`` is the rejection category and ``message`` the parser's error.
    For ``checked``: ``trace`` holds the proof's steps (goal, full state, tactic), what SFT
    pairs are made of.
    """

    name: str
    record_line: int
    status: str
    kind: str = ""
    cause: str = ""
    tactic: str = ""
    message: str = ""
    line: int = 0
    steps: int = 0
    seconds: float = 0.0
    trace: tuple[TraceStep, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class InvalidRecord:
    """A line that could not be read as a record, and why."""

    line: int
    message: str


@dataclass(frozen=True)
class Example:
    """One member of a group: record name, failing tactic text (empty for rejections), message."""

    name: str
    record_line: int
    tactic: str
    message: str
    line: int = 0


@dataclass(frozen=True)
class CauseGroup:
    """Cases sharing a cause: ``share`` is of accepted statements (failures) or of records
    (rejections)."""

    kind: str
    cause: str
    count: int
    share: float
    example: Example


@dataclass(frozen=True)
class FidelityReport:
    """Counts over the usable ``records``; ``failures`` and ``rejections`` largest first.

    ``checked + sum(failure counts) == accepted`` and ``accepted + sum(rejection counts)
    == records``; ``outcomes`` is empty unless the tally kept them.
    """

    source: str
    records: int
    accepted: int
    checked: int
    failures: tuple[CauseGroup, ...]
    rejections: tuple[CauseGroup, ...]
    invalid: tuple[InvalidRecord, ...] = ()
    tactic_timeout_s: float = 0.0
    proof_timeout_s: float = 0.0
    seconds: float = 0.0
    outcomes: tuple[FidelityOutcome, ...] = ()

    @property
    def failed(self) -> int:
        return self.accepted - self.checked

    @property
    def rejected(self) -> int:
        return self.records - self.accepted

    @property
    def accepted_share(self) -> float:
        return _share(self.accepted, self.records)

    @property
    def checked_share(self) -> float:
        """Proofs that check among accepted statements."""
        return _share(self.checked, self.accepted)

    def kind_counts(self) -> dict[str, int]:
        """Failures per kind, every kind present (zero when none), in ``KINDS`` order."""
        counts = dict.fromkeys(KINDS, 0)
        for g in self.failures:
            counts[g.kind] = counts.get(g.kind, 0) + g.count
        return counts

    def to_json(self, *, records: bool = False) -> dict:
        """A JSON-ready dict: counts, shares, groups with examples (``records``: outcomes too)."""
        doc = {
            "source": self.source,
            "read": self.records + len(self.invalid),
            "records": self.records,
            "accepted": self.accepted,
            "accepted_share": self.accepted_share,
            "checked": self.checked,
            "checked_share": self.checked_share,
            "checked_share_of_records": _share(self.checked, self.records),
            "failed": self.failed,
            "rejected": self.rejected,
            "kinds": {
                k: {"count": n, "share": _share(n, self.accepted)} for k, n in self.kind_counts().items()
            },
            "failures": [asdict(g) for g in self.failures],
            "rejections": [asdict(g) for g in self.rejections],
            "invalid": [asdict(i) for i in self.invalid],
            "tactic_timeout_s": self.tactic_timeout_s,
            "proof_timeout_s": self.proof_timeout_s,
            "seconds": round(self.seconds, 3),
        }
        if records:
            doc["outcomes"] = [{k: v for k, v in asdict(o).items() if k != "trace"} for o in self.outcomes]
        return doc


def _share(n: int, total: int) -> float:
    return n / total if total else 0.0


# ---- reading records -------------------------------------------------------------------

def _text_field(obj: dict, key: str, line: int) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(line, f"field '{key}' is {type(value).__name__}, expected a string")
    return value


def _record_name(obj: dict) -> str | None:
    for key in ("full_name", "name", "problem_id", "id"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def parse_record(obj: object, line: int) -> FidelityCase:
    """The main theorem of one record (see the module docstring for the schemas).

    Raises ``RecordError`` naming the missing fields for another schema, and for a record
    whose text holds no ``theorem``/``lemma``/``example``.
    """
    if not isinstance(obj, dict):
        raise RecordError(line, f"expected a JSON object, got {type(obj).__name__}")
    name = _record_name(obj)
    full = _text_field(obj, "full_proof", line)
    proof = _text_field(obj, "proof", line)
    statement = _text_field(obj, "formal_statement", line)
    header = _text_field(obj, "header", line) or ""
    preamble = _text_field(obj, "preamble", line)
    if full is not None:
        return _from_file(full, name, line, "full_proof")
    if proof is None:
        fields = ", ".join(sorted(map(str, obj))) or "none"
        raise RecordError(
            line,
            "missing fields: expected 'full_proof' (a whole .lean file), or 'proof' (the whole "
            "declaration), or 'formal_statement' + 'proof' (the tactic block); the record has: "
            + fields,
        )
    before = header + "\n" + preamble + "\n" if preamble is not None else (header + "\n" if header else "")
    if statement is not None and proof.lstrip().startswith(statement.strip()):
        return _from_file(before + proof.lstrip(), name, line, "proof")
    if statement is not None and declarations(proof):
        return _from_file(before + proof, name, line, "proof")  # e.g. a docstring first
    if statement is None:
        if not declarations(proof):
            raise RecordError(
                line,
                "missing field 'formal_statement': 'proof' holds no theorem/lemma/example "
                "declaration, so it must be the tactic block of a 'formal_statement'",
            )
        return _from_file(before + proof, name, line, "proof")
    glue = "" if statement.endswith(("\n", " ")) or proof.startswith(("\n", " ")) else " "
    return _from_file(before + statement + glue + proof, name, line, "formal_statement+proof")


def _from_file(text: str, name: str | None, line: int, schema: str) -> FidelityCase:
    decls = declarations(text)
    if not decls:
        raise RecordError(line, f"no 'theorem', 'lemma' or 'example' declaration in the record's {schema}")
    decl_line, decl_name, decl = pick_declaration(decls, name)
    try:
        statement, proof, term_mode = split_declaration(decl)
    except ScriptError as exc:
        raise RecordError(line, f"{decl_name}: {exc}") from exc
    header = "\n".join(blank_comments(text).split("\n")[: decl_line - 1])
    return FidelityCase(
        name=name or decl_name,
        record_line=line,
        statement=statement,
        proof=proof,
        header=header,
        first_line=decl_line + statement.count("\n"),
        schema=schema,
        term_mode=term_mode,
    )


def read_cases(lines: Iterable[str]) -> Iterator[FidelityCase | InvalidRecord]:
    """Stream a JSONL file's lines into cases; unusable lines become ``InvalidRecord``.

    Blank lines are skipped; line numbers are 1-based.
    """
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield InvalidRecord(number, f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            yield InvalidRecord(number, "malformed JSON: nested too deeply")
            continue
        except ValueError as exc:  # an integer over Python's digit limit
            yield InvalidRecord(number, f"malformed JSON: {exc}")
            continue
        try:
            yield parse_record(obj, number)
        except RecordError as exc:
            yield InvalidRecord(number, exc.message)


# ---- running a case --------------------------------------------------------------------

_POSITION = re.compile(r"\s*\((?:line \d+, )?column \d+\)")
_UNKNOWN_TACTIC = re.compile(r"(?:unknown tactic|does not implement the tactic) '([^']+)'")
_UNKNOWN_IDENT = re.compile(r"unknown (?:identifier|constant) '([^']+)'")
_SYNTAX = re.compile(
    r"^(?:expected |unexpected |unsupported |unknown tactic starting|unterminated |unknown notation"
    r"|unmatched |invalid syntax|empty bullet|this line is indented)"
)
_INVALID_FIELD = re.compile(r"^invalid field '([^']+)'")
_TACTIC_SYNTAX = re.compile(r"^[\w'?!]+: (?:expected|unexpected) ")
_SANDBOX_LIMIT = re.compile(r"\bthe sandbox\b|\bunsupported\b|\bnot supported\b")
_PROJECTION = re.compile(
    r"(?:\.(?:\d+|mp|mpr|le|lt|ne|ne'|symm|trans|elim|resolve_left|resolve_right|out|some))+$"
)
# local names: h, h₀, hx, hab', h_sum, this, x, n₁ (not half_pos, hasSum_…)
_HYPOTHESIS = re.compile(r"^(?:this|h(?:[A-Za-z]{0,3}|_\w+))[₀-₉0-9']*$|^[a-zA-Z][₀-₉0-9']*$")


def _is_lemma_name(name: str) -> bool:
    """Mathlib-style names (``sq_sqrt``, ``Nat.succ_le``, ``Real.sqrt_pos``), not local ones
    (``h₀``, ``hx``, ``this``, ``x``)."""
    return ("." in name or "_" in name or name[:1].isupper()) and not _HYPOTHESIS.match(name)


def tactic_head(tactic: str) -> str:
    """The tactic's name: its first word, after bullets and a leading ``<;>``."""
    words = tactic.replace("·", " ").split()
    while words and words[0] in ("<;>", "."):
        words.pop(0)
    if not words:
        return "(end of proof)"
    head = words[0]
    for opener in ("[", "(", "⟨", "{"):
        if head.startswith(opener) and len(head) > 1 and opener != "(":
            return opener
    return head.split("[", 1)[0] or head


try:  # the sandbox's tactic vocabulary (grows as tactics are added)
    from qed.env.sandbox.tactics.syntax import KNOWN_TACTICS as _KNOWN
    from qed.env.sandbox.tactics.syntax import REJECTED_TACTICS as _REFUSED
except ImportError:  # pragma: no cover - a renamed constant must not break the report
    _KNOWN, _REFUSED = frozenset(), {}
_TACTIC_NAMES = frozenset(_KNOWN) | frozenset(
    "linarith nlinarith omega norm_num simp ring_nf positivity".split()
)
# Tactics that run others (nested blocks, combinators): a failure inside one is named after
# the inner tactic when the message says which.
_WRAPPERS = frozenset(
    "have obtain suffices show calc all_goals any_goals try first repeat focus constructor refine "
    "refine' by_cases cases cases' rcases induction induction' specialize exact apply use intro "
    "rintro iterate conv".split()
)
_MESSAGE_TACTIC = (
    re.compile(r"^tactic '([^']+)' failed"),
    re.compile(r"^(\S+) (?:failed|could not|made no progress)"),
    re.compile(r"^(\S+?): "),
)


def _failing_tactic(tactic: str, first: str) -> str:
    """The failing tactic's name: the step's own, or the inner one a wrapper ran."""
    head = tactic_head(tactic)
    if head not in _WRAPPERS and "<;>" not in tactic:
        return head
    for pattern in _MESSAGE_TACTIC:
        m = pattern.match(first)
        if m and m.group(1) in _TACTIC_NAMES:
            return m.group(1)
    return head


def classify(
    tactic: str, message: str, *, timed_out: bool = False, local_names: frozenset[str] = frozenset()
) -> tuple[str, str]:
    """``(kind, cause)`` of a failing step: ``kind`` one of ``KINDS``, ``cause`` the group label.

    An unknown identifier is an unknown lemma when it looks like a library name
    (``sq_sqrt``, ``Nat.succ_le``) or is declared before the theorem (``local_names``: the
    record's own lemmas and definitions); an unknown local name (``h₅``) means the sandbox
    named something differently from Lean, a failed tactic."""
    first = (message.strip().splitlines() or [""])[0]
    head = _failing_tactic(tactic, first)
    if timed_out:
        return TIMEOUT, f"timeout: {head}"
    stripped = tactic.strip()
    if stripped.startswith("<;>") or stripped.endswith("<;>"):
        return LAYOUT, LAYOUT_COMBINATOR
    if first.startswith(("no goals", "unsolved goals")):
        return LAYOUT, LAYOUT_CAUSE
    if first.startswith("sandbox internal error"):
        kind = first.split(":", 2)[1].strip() if first.count(":") >= 1 else ""
        return INTERNAL, f"sandbox internal error: {kind}"
    refused = next((name for name, msg in _REFUSED.items() if first.startswith(msg[:40])), None)
    if refused is not None:
        return UNKNOWN_TACTIC, f"tactic the sandbox refuses: '{refused}'"
    m = _UNKNOWN_TACTIC.search(first)
    if m:
        return UNKNOWN_TACTIC, f"unknown tactic '{m.group(1)}'"
    m = _UNKNOWN_IDENT.search(first)
    if m:
        base = _PROJECTION.sub("", m.group(1)) or m.group(1)
        if _is_lemma_name(base) or base in local_names or base.rsplit(".", 1)[-1] in local_names:
            return UNKNOWN_LEMMA, f"unknown lemma '{base}'"
        return TACTIC_FAILED, f"tactic failed where Lean succeeded: {head}"
    m = _INVALID_FIELD.search(first)
    if m:  # h.trans_le: Lean resolves the field to a lemma (LT.lt.trans_le) the sandbox lacks
        return UNKNOWN_LEMMA, f"unknown lemma '{m.group(1)}' (field notation)"
    if _SYNTAX.match(first) or _SANDBOX_LIMIT.search(first) or _TACTIC_SYNTAX.match(first):
        what = re.sub(r",? got '.*$", "", _POSITION.sub("", first)).strip()  # group, not one text
        return UNSUPPORTED_SYNTAX, f"unsupported syntax: {what}"
    return TACTIC_FAILED, f"tactic failed where Lean succeeded: {head}"


_LOCAL_DECL = re.compile(
    r"^\s*(?:@\[[^\]\n]*\]\s*)?(?:(?:private|protected|noncomputable|nonrec)\s+)*"
    r"(?:theorem|lemma|def|abbrev|instance)\s+([^\s:({\[]+)",
    re.MULTILINE,
)


def local_names(header: str) -> frozenset[str]:
    """Names declared (theorem, lemma, def, abbrev) in the text before the main theorem."""
    return frozenset(m.group(1) for m in _LOCAL_DECL.finditer(header))


class _ProofTimeUp(BaseException):
    """Raised by the alarm when a proof overruns its whole-proof limit (not an ``Exception``:
    the sandbox's own handlers must not swallow it)."""


class _Budgeted:
    """A ``SandboxEnv`` whose every tactic gets at most what is left of the proof's time."""

    def __init__(self, env: SandboxEnv, tactic_timeout_s: float, proof_timeout_s: float):
        self.env = env
        self.tactic_timeout_s = tactic_timeout_s
        self.proof_timeout_s = proof_timeout_s
        self.deadline = float("inf")
        self.ran_out = False

    def start(self, theorem: Theorem) -> ProofState:
        self.deadline = time.monotonic() + self.proof_timeout_s
        return self.env.start(theorem)

    def apply(self, state: ProofState, goal_index: int, tactic: str) -> Outcome:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.ran_out = True
            return TacticTimeout(self.proof_timeout_s)
        self.env.tactic_timeout_s = min(self.tactic_timeout_s, left)
        outcome = self.env.apply(state, goal_index, tactic)
        if isinstance(outcome, TacticTimeout) and time.monotonic() >= self.deadline:
            self.ran_out = True
        return outcome

    def release(self, states) -> None:
        self.env.release(states)


def run_case(
    case: FidelityCase,
    env: SandboxEnv,
    *,
    tactic_timeout_s: float = 5.0,
    proof_timeout_s: float = 20.0,
    hard_limit: bool = True,
) -> FidelityOutcome:
    """Run ``case`` through ``env``: each tactic gets ``min(tactic_timeout_s, time left)``;
    the whole proof ``proof_timeout_s``. With ``hard_limit`` (main thread, Unix only), an
    alarm also stops a tactic that ignores its deadline, 1 s past the proof's limit."""
    theorem = Theorem(case.name, case.statement, header=case.header)
    t0 = time.perf_counter()
    try:
        env.start(theorem)
    except StatementError as err:
        return FidelityOutcome(
            case.name, case.record_line, REJECTED, cause=category_of(err), message=str(err)
        )
    budget = _Budgeted(env, tactic_timeout_s, proof_timeout_s)
    try:
        with _alarm(proof_timeout_s + 1.0 if hard_limit else None):
            result = check_proof(budget, theorem, case.proof, first_line=case.first_line)
    except ScriptError as exc:
        m = re.match(r"line (\d+): (.*)", str(exc), re.DOTALL)
        line, msg = (int(m.group(1)), m.group(2)) if m else (case.first_line, str(exc))
        return _failed(case, UNSUPPORTED_SYNTAX, f"unsupported syntax: {msg}", "", msg, line, 0, t0)
    except _ProofTimeUp:
        msg = f"proof time limit ({proof_timeout_s:g} s) reached"
        return _failed(case, TIMEOUT, "timeout: (proof time limit)", "", msg, 0, 0, t0)
    finally:
        env.tactic_timeout_s = tactic_timeout_s
    if result.ok:
        return FidelityOutcome(
            case.name, case.record_line, CHECKED, steps=result.steps, seconds=time.perf_counter() - t0,
            trace=result.trace,
        )
    f = result.failure
    assert f is not None
    timed_out = f.message.startswith("timeout after")
    message = f.message
    if timed_out and budget.ran_out:
        message = f"proof time limit ({proof_timeout_s:g} s) reached"
    kind, cause = classify(f.tactic, f.message, timed_out=timed_out, local_names=local_names(case.header))
    return _failed(case, kind, cause, f.tactic, message, f.line, result.steps, t0)


def _failed(case, kind, cause, tactic, message, line, steps, t0) -> FidelityOutcome:
    return FidelityOutcome(
        case.name, case.record_line, FAILED, kind, cause, tactic, message, line, steps,
        time.perf_counter() - t0,
    )


class _alarm:
    """Raise ``_ProofTimeUp`` after ``seconds`` (no-op off the main thread or without SIGALRM).

    Nests with a timer already running (pytest-timeout's, say): when that one is due
    first, nothing is armed; otherwise its handler and remaining time are restored after.
    """

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.armed = False

    def __enter__(self):
        if (
            self.seconds is None
            or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()
        ):
            return self
        pending, _ = signal.getitimer(signal.ITIMER_REAL)
        if pending and pending <= self.seconds:
            return self
        self.pending = pending
        self.t0 = time.monotonic()
        self.previous = signal.signal(signal.SIGALRM, _raise_time_up)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        self.armed = True
        return self

    def __exit__(self, *exc) -> None:
        if not self.armed:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        if self.pending:
            left = self.pending - (time.monotonic() - self.t0)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


def _raise_time_up(signum, frame):
    raise _ProofTimeUp()


# ---- aggregation -------------------------------------------------------------------------


@dataclass
class FidelityTally:
    """Accumulates outcomes (and unusable lines) into a ``FidelityReport``.

    Keeps one example per group and, only if ``keep_outcomes``, every outcome.
    """

    source: str = ""
    keep_outcomes: bool = False
    tactic_timeout_s: float = 0.0
    proof_timeout_s: float = 0.0
    records: int = 0
    accepted: int = 0
    checked: int = 0
    _failures: dict[tuple[str, str], list] = field(default_factory=dict)
    _rejections: dict[tuple[str, str], list] = field(default_factory=dict)
    _invalid: list[InvalidRecord] = field(default_factory=list)
    _outcomes: list[FidelityOutcome] = field(default_factory=list)
    _seconds: float = 0.0

    def add(self, item: FidelityOutcome | InvalidRecord) -> None:
        if isinstance(item, InvalidRecord):
            self._invalid.append(item)
            return
        self.records += 1
        self._seconds += item.seconds
        if self.keep_outcomes:
            self._outcomes.append(item)
        if item.status == REJECTED:
            self._count(self._rejections, ("rejected statement", item.cause), item)
            return
        self.accepted += 1
        if item.status == CHECKED:
            self.checked += 1
        else:
            self._count(self._failures, (item.kind, item.cause), item)

    @staticmethod
    def _count(groups: dict, key: tuple[str, str], item: FidelityOutcome) -> None:
        entry = groups.get(key)
        if entry is None:
            groups[key] = [1, Example(item.name, item.record_line, item.tactic, item.message, item.line)]
        else:
            entry[0] += 1

    def report(self) -> FidelityReport:
        def groups(d: dict, total: int) -> tuple[CauseGroup, ...]:
            items = sorted(d.items(), key=lambda kv: (-kv[1][0], kv[0]))
            return tuple(CauseGroup(k, c, n, _share(n, total), ex) for (k, c), (n, ex) in items)

        return FidelityReport(
            source=self.source,
            records=self.records,
            accepted=self.accepted,
            checked=self.checked,
            failures=groups(self._failures, self.accepted),
            rejections=groups(self._rejections, self.records),
            invalid=tuple(self._invalid),
            tactic_timeout_s=self.tactic_timeout_s,
            proof_timeout_s=self.proof_timeout_s,
            seconds=self._seconds,
            outcomes=tuple(self._outcomes),
        )


def fidelity(
    lines: Iterable[str],
    *,
    source: str = "",
    limit: int | None = None,
    tactic_timeout_s: float = 5.0,
    proof_timeout_s: float = 20.0,
    keep_outcomes: bool = False,
    on_item: Callable[[FidelityOutcome | InvalidRecord], None] | None = None,
    hard_limit: bool = True,
) -> FidelityReport:
    """Read JSONL ``lines`` (streamed), run every usable record (the first ``limit``), report.

    ``on_item`` is called after each record (for progress display).
    """
    env = SandboxEnv(tactic_timeout_s=tactic_timeout_s)
    tally = FidelityTally(source, keep_outcomes, tactic_timeout_s, proof_timeout_s)
    for item in read_cases(lines):
        if limit is not None and tally.records >= limit:
            break
        if isinstance(item, FidelityCase):
            item = run_case(
                item, env, tactic_timeout_s=tactic_timeout_s, proof_timeout_s=proof_timeout_s,
                hard_limit=hard_limit,
            )
        tally.add(item)
        if on_item is not None:
            on_item(item)
    return tally.report()
