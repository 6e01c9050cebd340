"""Errors of the composition layer (``qed.cli.build`` and its Lean helpers); imports nothing."""


class BuildError(ValueError):
    """A configuration that names an unknown option or misses a required value."""
