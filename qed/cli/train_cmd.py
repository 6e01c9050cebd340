"""``qed train``: the shared Typer sub-app that training stages register their commands on.

Owns only the ``train_app`` object; each stage's command lives with its own CLI module
(``sft`` in ``qed.cli.model_cmd``; the EBM's in ``qed.cli.ebm_cmd``) and is attached in
``qed.cli.main._mount_subcommands``.
"""

from __future__ import annotations

import typer

train_app = typer.Typer(no_args_is_help=True, help="Training stages: LoRA SFT, EBM, joint.")
