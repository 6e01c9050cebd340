"""Errors and time budgets shared by the sandbox's arithmetic procedures.

Owns ``ArithTimeout`` (raised by every decision procedure that runs past its budget, so the
tactic layer can report ``TacticTimeout``) and ``Deadline``, a monotonic-clock budget that
procedures check between steps. Knows nothing about terms or propositions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


class ArithTimeout(Exception):
    """A decision procedure ran out of its time budget (``timeout_s``).

    Never means "false": the caller must report a timeout, not a failed proof.
    """


@dataclass(frozen=True)
class Deadline:
    """An absolute point on the monotonic clock after which work must stop."""

    at: float
    budget_s: float

    @staticmethod
    def after(seconds: float) -> Deadline:
        """A deadline ``seconds`` from now; ``seconds`` must be positive."""
        if not seconds > 0:
            raise ValueError(f"timeout must be positive, got {seconds!r}")
        return Deadline(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        """Seconds left (may be negative once passed)."""
        return self.at - time.monotonic()

    def check(self, what: str = "arithmetic") -> None:
        """Raise ``ArithTimeout`` if the deadline has passed."""
        if time.monotonic() > self.at:
            raise ArithTimeout(f"{what} timed out after {self.budget_s:g}s")
