"""Run a Lean-syntax tactic proof through any ``Env`` and report where it fails.

Owns the layout rules of a ``by`` block: one tactic per line at the block's
indentation, lines indented further continue the tactic above them (``nlinarith [a,\n
b]``, ``have h : P := by\n  linarith``), ``·`` (or ``.``) bullets focus the first goal and
must close it, and ``;`` is left to the env (as are ``<;>``, ``try`` and friends: a
tactic's whole text goes to ``Env.apply``). Knows nothing about any backend.

Focus follows Lean: tactics of a block act on the first goal of the block's goals;
``Env.apply`` replaces that goal by the goals the tactic produced, so the block's goal
count changes by ``len(new) - len(old)``. A bulleted block that ends with goals left is
an "unsolved goals" failure, as in Lean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qed.core import Env, Goals, ProofState, Proved, TacticError, TacticTimeout, Theorem
from qed.core.lean_text import ScriptError, blank_comments, split_statement

__all__ = [
    "Block", "CheckResult", "Failure", "ScriptError", "Step", "TraceStep",
    "blank_comments", "check_proof", "parse_script", "split_statement",
]

_BULLET = re.compile(r"^([·.])(?:\s+|$)")
_OPEN, _CLOSE = "([{⟨", ")]}⟩"


@dataclass(frozen=True)
class Step:
    """One tactic of a proof script, with its 1-based line in the script."""

    line: int
    tactic: str


@dataclass(frozen=True)
class Block:
    """Tactics and bulleted sub-blocks, in order."""

    items: tuple[Step | Block, ...]
    line: int = 0


@dataclass(frozen=True)
class Failure:
    """Where a proof stopped: the tactic (or bullet), its line, Lean's message, the goal."""

    line: int
    tactic: str
    message: str
    goal: str


@dataclass(frozen=True)
class TraceStep:
    """A tactic that succeeded, the goal it was applied to (text), and the full state text."""

    goal: str
    state: str
    tactic: str


@dataclass(frozen=True)
class CheckResult:
    """``ok`` iff the script closed every goal; ``steps`` counts tactics applied.

    ``trace`` lists the successful steps in order: the (goal, tactic) pairs that SFT
    data is made of.
    """

    theorem: str
    ok: bool
    steps: int
    failure: Failure | None = None
    trace: tuple[TraceStep, ...] = ()


def _depth(text: str) -> int:
    depth = 0
    for c in text:
        if c in _OPEN:
            depth += 1
        elif c in _CLOSE:
            depth -= 1
    return depth


def _continues(parts: list[str], indent: int, nxt_indent: int, nxt_text: str) -> bool:
    """Whether the next line belongs to the tactic in ``parts`` (started at ``indent``):
    indented deeper; inside an open bracket; or, at the same indentation, a line that
    starts with ``<;>``, an alternative ``|`` or a closing bracket, or follows a line
    ending in ``<;>`` (Lean reads the tactic on in each case)."""
    if nxt_indent > indent or _depth("\n".join(parts)) > 0:
        return True
    if nxt_indent < indent:
        return False
    return nxt_text.startswith(("<;>", "|")) or nxt_text[0] in _CLOSE or parts[-1].rstrip().endswith("<;>")


def parse_script(proof: str, first_line: int = 1) -> Block:
    """Parse proof text (the part after ``:= by``) into a ``Block``.

    Tactics on the ``by`` line itself are allowed (``:= by norm_num``). Comments are
    dropped. Raises ``ScriptError`` for a bullet with no tactic.
    """
    lines = [(first_line + i, raw) for i, raw in enumerate(blank_comments(proof).split("\n"))]
    entries: list[tuple[int, int, str]] = []  # (line, indent, text)
    for lineno, raw in lines:
        stripped = raw.strip()
        if not stripped:
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        entries.append((lineno, indent, raw.rstrip()))
    block, rest = _parse_block(entries, 0)
    if rest:
        raise ScriptError(f"line {rest[0][0]}: this line is indented less than the proof's first tactic")
    return block


def _parse_block(entries: list[tuple[int, int, str]], start_line: int) -> tuple[Block, list]:
    items: list[Step | Block] = []
    if not entries:
        return Block((), start_line), []
    base = entries[0][1]
    i = 0
    while i < len(entries):
        lineno, indent, raw = entries[i]
        if indent < base:
            break
        text = raw.strip()
        # gather continuation lines (indented deeper than this line's content)
        j = i + 1
        m = _BULLET.match(text)
        if m:
            content_col = indent + m.end()
            inner = [(lineno, content_col, " " * content_col + text[m.end() :])]
            if not text[m.end() :].strip():
                # ``·`` alone on its line: the block is the lines indented deeper below it
                if j >= len(entries) or entries[j][1] <= indent:
                    raise ScriptError(f"line {lineno}: empty bullet")
                content_col = entries[j][1]
                inner = []
            while j < len(entries) and entries[j][1] >= content_col:
                inner.append(entries[j])
                j += 1
            sub, _ = _parse_block(inner, lineno)
            items.append(Block(sub.items, lineno))
        else:
            parts = [text]
            while j < len(entries) and _continues(parts, indent, entries[j][1], entries[j][2].strip()):
                parts.append(entries[j][2][indent:] if entries[j][1] >= indent else entries[j][2].strip())
                j += 1
            items.append(Step(lineno, "\n".join(parts)))
        i = j
    return Block(tuple(items), start_line), entries[i:]


_EACH = re.compile(r"^(all_goals|any_goals)\s+")
_CASE = re.compile(r"^case'?\s+([^\s=]+)")


def _case_offset(tactic: str, goals) -> int:
    """For ``case tag … => …``, the offset of the goal ``tag`` names among ``goals`` (Lean
    selects it among all goals; a tag matches exactly or as a ``.``-suffix); else 0."""
    m = _CASE.match(tactic)
    if m is None or m.group(1) == "_":
        return 0
    tag = m.group(1)
    for k, g in enumerate(goals):
        if g.tag == tag or (g.tag or "").endswith("." + tag):
            return k
    return 0


def check_proof(env: Env, theorem: Theorem, proof: str, *, first_line: int = 1) -> CheckResult:
    """Run ``proof`` on ``theorem`` through ``env``.

    ``StatementError`` and ``EnvCrashed`` from the env propagate; ``ScriptError`` for a
    malformed script. Tactic failures, timeouts and unsolved goals are a ``Failure``.
    """
    script = parse_script(proof, first_line)
    state = env.start(theorem)
    runner = _Runner(env)
    state, _, failure = runner.run(script, state, 0, len(state.goals), top=True)
    ok = failure is None and state.is_solved
    if failure is None and not ok:
        failure = Failure(
            script.items[-1].line if script.items else first_line, "", "unsolved goals", state.text
        )
    return CheckResult(theorem.name, ok, runner.steps, failure, tuple(runner.trace))


class _Runner:
    def __init__(self, env: Env):
        self.env = env
        self.steps = 0
        self.trace: list[TraceStep] = []

    def run(
        self, block: Block, state: ProofState, lo: int, count: int, *, top: bool = False
    ) -> tuple[ProofState, int, Failure | None]:
        """Run ``block`` on goals ``[lo, lo + count)`` of ``state``; return the new state,
        the new count of goals in that window, and a failure if any."""
        for item in block.items:
            if count == 0:
                text = item.tactic if isinstance(item, Step) else "·"
                return state, count, Failure(item.line, text, "no goals to be proved", "")
            if isinstance(item, Block):
                before = len(state.goals)
                state, sub_count, failure = self.run(item, state, lo, 1)
                if failure is not None:
                    return state, count, failure
                if sub_count:
                    goal = state.goals[lo].text if lo < len(state.goals) else ""
                    return state, count, Failure(item.line, "·", "unsolved goals", goal)
                count += len(state.goals) - before
                continue
            m = _EACH.match(item.tactic)
            if m:
                state, count, failure = self._each(item, m.group(1), item.tactic[m.end() :], state, lo, count)
                if failure is not None:
                    return state, count, failure
                continue
            at = lo + _case_offset(item.tactic, state.goals[lo : lo + count])
            state, delta, failure = self._apply(item, item.tactic, state, at)
            if failure is not None:
                return state, count, failure
            count += delta
        return state, count, None

    def _apply(self, item: Step, tactic: str, state: ProofState, at: int):
        """Apply ``tactic`` to goal ``at``: (new state, change in goal count, failure)."""
        goal_text = state.goals[at].text
        before = len(state.goals)
        outcome = self.env.apply(state, at, tactic)
        self.steps += 1
        match outcome:
            case Goals(state=new) | Proved(state=new):
                self.trace.append(TraceStep(goal_text, state.text, tactic))
                return new, len(new.goals) - before, None
            case TacticError(message=msg):
                return state, 0, Failure(item.line, item.tactic, msg, goal_text)
            case TacticTimeout(seconds=s):
                return state, 0, Failure(item.line, item.tactic, f"timeout after {s:g} s", goal_text)
        raise TypeError(f"unexpected outcome {outcome!r}")

    def _each(self, item: Step, kind: str, body: str, state: ProofState, lo: int, count: int):
        """``all_goals t`` / ``any_goals t`` over the block's goals, as Lean runs them: every
        goal of the window in turn (``all_goals`` fails on the first failure, ``any_goals``
        only when ``t`` failed on every goal)."""
        at, end, succeeded = lo, lo + count, 0
        last: Failure | None = None
        while at < end:
            new_state, delta, failure = self._apply(item, body, state, at)
            if failure is not None:
                if kind == "all_goals":
                    return state, end - lo, failure
                last = failure
                at += 1
                continue
            succeeded += 1
            state = new_state
            at += 1 + delta
            end += delta
        if kind == "any_goals" and not succeeded and last is not None:
            return state, end - lo, Failure(item.line, item.tactic, "any_goals failed on every goal: "
                                            + last.message, last.goal)
        return state, end - lo, None
