"""``python -m qed``: the same as the ``qed`` command."""

from qed.cli.main import main

main()
