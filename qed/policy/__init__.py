"""Tactic policies: the prompt format (``prompt``), in-process sampling (``hf``), an OpenAI-compatible
HTTP client (``http``) and local model creation/loading (``models``). Import the submodules
directly; importing this package loads nothing heavy."""
