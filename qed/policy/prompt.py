"""THE prompt format: how a (theorem, tactic state) becomes model input, and how model output
becomes a tactic. Training (SFT), search (in-process and HTTP policies) and the server all
use this module, so the prompt trained on is the prompt searched with.

Format (DeepSeek-native, no special tokens): an instruction line, then a fenced ``lean4``
code block holding the theorem's header and statement, with the current tactic state as a
Lean block comment indented under ``:= by``. The prompt ends with the closing fence and a
newline::

    Complete the following Lean 4 code:

    ```lean4
    import Mathlib
    ...
    theorem foo (x : ℝ) (h₀ : 2 * x = 4) :
        x = 2 := by
      /- tactic state:
      x : ℝ
      h₀ : 2 * x = 4
      ⊢ x = 2
      -/
    ```
    <completion>

The completion is the next tactic followed by ``COMPLETION_END`` (a newline and a fence):
``linarith\\n```\\n``. Boundary contract:

- ``prompt + completion`` is the training text; only the completion's tokens carry loss
  (``format_prompt`` is the masked prefix, ``format_completion`` the trained suffix).
- At generation the model is stopped at ``STOP`` (the fence); ``parse_completion`` then
  applies the newline rule: a tactic is its first line plus the lines indented under it
  (Lean's continuation lines), so a model that runs on into the next tactic is cut there.
- ``normalize_tactic`` defines when two tactics are the same candidate.

Knows nothing about tokenizers, models or environments.
"""

from __future__ import annotations

import re

from qed.core import Query, Theorem

INSTRUCTION = "Complete the following Lean 4 code:"
FENCE = "```"
OPEN_FENCE = FENCE + "lean4"
STATE_OPEN = "/- tactic state:"
STATE_CLOSE = "-/"
INDENT = "  "
COMPLETION_END = "\n" + FENCE + "\n"
STOP: tuple[str, ...] = (FENCE,)

_SPACES = re.compile(r"[ \t]+")


def format_state(state: str) -> str:
    """The tactic state as an indented Lean block comment (one goal line per line)."""
    body = "\n".join(INDENT + line if line.strip() else "" for line in state.strip("\n").split("\n"))
    return f"{INDENT}{STATE_OPEN}\n{body}\n{INDENT}{STATE_CLOSE}"


def format_prompt(theorem: Theorem, state: str) -> str:
    """The model input for proving ``state`` inside ``theorem``; ends with the closing fence.

    ``theorem.statement`` ends in ``:= by`` (miniF2F ``formal_statement``); a trailing
    ``sorry`` is dropped so datasets that ship ``:= by sorry`` give the same prompt.
    """
    header = theorem.header.strip("\n")
    statement = theorem.statement.rstrip()
    if statement.endswith("sorry"):
        statement = statement[: -len("sorry")].rstrip()
    code = f"{header}\n\n{statement}" if header else statement
    return f"{INSTRUCTION}\n\n{OPEN_FENCE}\n{code}\n{format_state(state)}\n{FENCE}\n"


def format_query(query: Query) -> str:
    """``format_prompt`` for a ``Query``."""
    return format_prompt(query.theorem, query.state)


def format_completion(tactic: str) -> str:
    """The training target after the prompt: the tactic, then ``COMPLETION_END``."""
    tactic = normalize_tactic(tactic)
    if not tactic:
        raise ValueError("empty tactic: a completion needs at least one character")
    return tactic + COMPLETION_END


def normalize_tactic(text: str) -> str:
    """Whitespace-normalised tactic: runs of spaces/tabs inside a line become one space,
    trailing spaces go, blank lines go, continuation lines keep their indentation relative
    to the first line. Two candidates with the same normal form are the same tactic."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return ""
    base = min(len(line) - len(line.lstrip(" \t")) for line in lines[:1])
    out = []
    for i, line in enumerate(lines):
        stripped = line.lstrip(" \t")
        indent = max(0, len(line) - len(stripped) - base) if i else 0
        out.append(" " * indent + _SPACES.sub(" ", stripped))
    return "\n".join(out)


def parse_completion(text: str) -> str:
    """The tactic in raw model output (fence and newline rules; may be ``""``).

    Cuts at the first ``STOP`` string, then keeps the first non-blank line plus the lines
    that follow it indented deeper (continuations); the first line indented no deeper ends
    the tactic. The result is ``normalize_tactic``-ed.
    """
    for stop in STOP:
        cut = text.find(stop)
        if cut >= 0:
            text = text[:cut]
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return ""
    first = lines[0]
    base = len(first) - len(first.lstrip(" \t"))
    kept = [first]
    for line in lines[1:]:
        if not line.strip():
            break
        if len(line) - len(line.lstrip(" \t")) <= base:
            break
        kept.append(line)
    return normalize_tactic("\n".join(kept))


def split_training_text(theorem: Theorem, state: str, tactic: str) -> tuple[str, str]:
    """(prompt, completion) for one SFT pair: the masked prefix and the trained suffix."""
    return format_prompt(theorem, state), format_completion(tactic)
