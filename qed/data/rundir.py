"""The one owner of a run directory: atomic writes, stage markers, checkpoints, the iteration layout.

Every stage (SFT, search, embed, EBM, joint, evaluate, and ``qed iterate`` that sequences
them) writes its files through these functions, so "finished" means the same thing
everywhere:

- A file is written to ``NAME.tmp`` and renamed into place (``atomic_write_text``,
  ``atomic_write_json``, ``atomic_path`` for writers that want a path, ``atomic_copy``); a
  reader never sees half a file. A directory is built at ``NAME.tmp/`` and renamed
  (``atomic_dir``).
- A stage's completion marker ``DONE`` is written last (``mark_done``); a directory
  without it is unfinished, and the stage resumes or redoes it (``is_done``).
- ``config.yaml`` holds the resolved config with the git revision in its opening comment
  (``write_run_config``).
- Checkpoints are directories ``checkpoints/step_<k>/`` whose ``state.json`` is written
  last; a checkpoint without it is ignored. Only the latest complete one is kept. What goes
  inside (adapter, head, optimizer tensors) is the caller's: ``Checkpoints.save`` takes a
  ``write(directory)`` callback, so this module never imports torch. Resuming from the
  state a checkpoint holds and replaying the same per-step seeds gives bit-identical weights
  (the training loops' contract; tested in tests/train).
- ``RunLayout`` / ``IterationLayout`` name every path of an expert-iteration run::

      <runs>/<name>/config.yaml
      <runs>/<name>/data/ base/
      <runs>/<name>/iter_<k>/{pairs.jsonl, sft/, joint/, policy/, search/, trajectories.parquet,
                              embeddings/, ebm/, eval/{ebm,embeddings,A,B,C}/, eval/metrics.json,
                              eval/report.md, DONE}

Knows nothing about what the files contain, about models or about config objects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DONE = "DONE"
STATE = "state.json"


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; renamed onto ``path`` when the block succeeds.

    The temporary name keeps ``path``'s suffix (``x.tmp.parquet``) for writers that look at it.
    On an exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp" + path.suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def atomic_write_json(path: Path, obj, *, indent: int | None = 2, sort_keys: bool = False) -> Path:
    """Write ``obj`` as JSON (newline-terminated) to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=indent, sort_keys=sort_keys) + "\n")


def atomic_copy(src: Path, dest: Path) -> Path:
    """Copy ``src`` to ``dest`` atomically."""
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)
    return Path(dest)


@contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield an empty directory ``FINAL.tmp``; renamed to ``final`` when the block succeeds.

    A stale ``FINAL.tmp`` from an interrupted attempt is removed first. On an exception the
    temporary directory stays (for inspection) and ``final`` does not appear.
    """
    final = Path(final)
    tmp = _tmp(final)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    yield tmp
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)


def append_line(path: Path, record: dict) -> None:
    """Append one JSON line to ``path``, flushed and fsynced (a line is the commit point)."""
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def is_done(directory: Path) -> bool:
    """Whether the stage that writes ``directory`` finished (its ``DONE`` marker exists)."""
    return (Path(directory) / DONE).exists()


def mark_done(directory: Path, note: str = "done") -> Path:
    """Write ``directory/DONE`` (call it last, after every other output of the stage)."""
    return atomic_write_text(Path(directory) / DONE, note.rstrip("\n") + "\n")


def clear_done(directory: Path) -> None:
    """Remove the marker (the stage has more work to do)."""
    (Path(directory) / DONE).unlink(missing_ok=True)


def git_revision() -> str:
    """The checkout's ``git rev-parse HEAD``, or ``unknown``."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def write_run_config(root: Path, yaml_text: str, command: str) -> Path:
    """Write ``root/config.yaml``: ``# qed COMMAND``, ``# git revision: …``, then the resolved YAML."""
    root = Path(root)
    head = f"# qed {command}\n# git revision: {git_revision()}\n"
    return atomic_write_text(root / "config.yaml", head + yaml_text)


class Checkpoints:
    """``RUN/checkpoints/step_<k>/`` directories; ``state.json`` last; the latest one kept."""

    def __init__(self, run: Path, dirname: str = "checkpoints"):
        self.root = Path(run) / dirname

    def save(self, step: int, write: Callable[[Path], None], state: dict) -> Path:
        """Build the step's checkpoint: ``write(directory)`` fills it, then ``state.json``
        (``{"step": step, **state}``) is written; older checkpoints are removed. Returns it."""
        final = self.root / f"step_{step}"
        with atomic_dir(final) as tmp:
            write(tmp)
            atomic_write_json(tmp / STATE, {"step": step, **state}, indent=1)
        for old in self.root.glob("step_*"):
            if old != final and not old.name.endswith(".tmp"):
                shutil.rmtree(old)
        return final

    def latest(self) -> Path | None:
        """The complete checkpoint with the highest step, if any."""
        done = [p for p in self.root.glob("step_*") if not p.name.endswith(".tmp") and (p / STATE).exists()]
        return max(done, key=lambda p: int(p.name[5:]), default=None)

    @staticmethod
    def state(ckpt: Path) -> dict:
        """The ``state.json`` of a checkpoint (``step`` plus what ``save`` was given)."""
        return json.loads((Path(ckpt) / STATE).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class IterationLayout:
    """The paths of iteration ``k`` of an expert-iteration run (see the module docstring)."""

    dir: Path
    k: int

    @property
    def pairs(self) -> Path:
        return self.dir / "pairs.jsonl"

    @property
    def sft(self) -> Path:
        return self.dir / "sft"

    @property
    def joint(self) -> Path:
        return self.dir / "joint"

    @property
    def policy(self) -> Path:
        return self.dir / "policy"

    @property
    def search(self) -> Path:
        return self.dir / "search"

    @property
    def trajectories(self) -> Path:
        return self.dir / "trajectories.parquet"

    @property
    def embeddings(self) -> Path:
        return self.dir / "embeddings"

    @property
    def ebm(self) -> Path:
        return self.dir / "ebm"

    @property
    def eval(self) -> Path:
        return self.dir / "eval"

    @property
    def metrics(self) -> Path:
        return self.eval / "metrics.json"

    @property
    def report(self) -> Path:
        return self.eval / "report.md"


@dataclass(frozen=True)
class RunLayout:
    """The paths of one expert-iteration run rooted at ``root``."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def base(self) -> Path:
        return self.root / "base"

    def iteration(self, k: int) -> IterationLayout:
        return IterationLayout(self.root / f"iter_{k}", k)
