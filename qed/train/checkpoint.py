"""Training checkpoints: what goes inside one (torch side of ``qed.data.rundir.Checkpoints``).

A checkpoint directory holds the trainable weights (a PEFT ``adapter/`` and/or an energy
``head/``), ``optimizer.safetensors`` (every optimizer slot tensor, keyed ``<param>.<slot>``)
and ``state.json`` (written last by ``Checkpoints.save``: the step, the optimizer's param
groups, and whatever the training loop adds: monitor state, progress). Safetensors and
JSON only, no pickles. Restoring all of it and replaying the loop's per-step seeds gives
the same weights as an uninterrupted run.

Used by ``qed.train.sft``, ``qed.train.joint`` and ``qed.train.ebm``; knows nothing about
their loops.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from qed.data.rundir import Checkpoints
from qed.value.ebm import load_head, save_head

OPTIMIZER = "optimizer.safetensors"


def save(run: Path, step: int, optimizer: torch.optim.Optimizer, state: dict, *, model=None,
         head=None) -> Path:
    """Write ``RUN/checkpoints/step_<step>/`` (adapter of ``model``, ``head``, optimizer, state)."""
    opt = optimizer.state_dict()

    def write(d: Path) -> None:
        if model is not None:
            model.save_pretrained(d / "adapter")
        if head is not None:
            save_head(head, d / "head")
        tensors = {f"{i}.{k}": (v if torch.is_tensor(v) else torch.tensor(v)).detach().cpu().contiguous()
                   for i, slots in opt["state"].items() for k, v in slots.items()}
        save_file(tensors or {"empty": torch.zeros(1)}, str(d / OPTIMIZER))

    return Checkpoints(run).save(step, write, {"param_groups": opt["param_groups"], **state})


def latest(run: Path) -> Path | None:
    """The newest complete checkpoint of ``run``, if any."""
    return Checkpoints(run).latest()


def load(ckpt: Path, optimizer: torch.optim.Optimizer, *, model=None, head=None,
         device: str = "cpu") -> dict:
    """Restore what ``save`` wrote into ``model`` (adapter), ``head`` and ``optimizer``; returns state."""
    state = Checkpoints.state(ckpt)
    if model is not None:
        from peft import set_peft_model_state_dict

        set_peft_model_state_dict(model, load_file(str(ckpt / "adapter" / "adapter_model.safetensors")))
    if head is not None:
        head.load_state_dict(load_head(ckpt / "head", device=device).state_dict())
    slots: dict[int, dict] = {}
    for key, value in load_file(str(ckpt / OPTIMIZER), device=device).items():
        if key == "empty":
            continue
        idx, name = key.split(".", 1)
        slots.setdefault(int(idx), {})[name] = value
    optimizer.load_state_dict({"state": slots, "param_groups": state["param_groups"]})
    return state
