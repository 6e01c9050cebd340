"""Policies: the one prompt format, in-process HF and OpenAI-compatible HTTP policies. Depends on qed.core only."""
