"""The ``qed`` command line: Typer commands over Hydra-composed configuration.

The only package that imports hydra and sees config objects; library code takes plain
arguments. ``build.py`` holds the one swap point per choice (an explicit ``match``).
"""
