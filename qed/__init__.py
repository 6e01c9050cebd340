"""qed: neural theorem proving in Lean 4.

Importing ``qed`` does nothing: no logging setup, no subprocess, no global state.
The parts live in subpackages; docs/architecture.md is the map.
"""

__version__ = "0.1.0"
