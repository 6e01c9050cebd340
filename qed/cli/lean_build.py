"""Config -> Lean backends (``env=pantograph`` / ``env=repl``): one env, or a pool of them; and
the whole-file checker ``qed verify`` and ``qed prove`` (on Lean envs) re-check proofs with."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from omegaconf import DictConfig

from qed.cli.errors import BuildError
from qed.env.pantograph import PantographEnv
from qed.env.pool import LeanPool
from qed.env.repl import ReplEnv


def _require_binary(cfg: DictConfig) -> str:
    if not cfg.binary:
        raise BuildError(
            f"env={cfg.kind} needs env.binary=PATH (the REPL executable) and usually env.project=PATH "
            f"(your Lake project); see docs/lean.md"
        )
    return cfg.binary


def env_factory(cfg: DictConfig) -> Callable[[], PantographEnv | ReplEnv]:
    """A function building one Lean env from the ``env`` config group."""
    binary = _require_binary(cfg)
    project = cfg.project or None
    lean_path = cfg.lean_path or None
    imports = list(cfg.imports)
    match cfg.kind:
        case "pantograph":
            return lambda: PantographEnv(
                binary,
                project=project,
                lean_path=lean_path,
                imports=imports,
                request_timeout_s=cfg.request_timeout_s,
                startup_timeout_s=cfg.start_timeout_s,
            )
        case "repl":
            return lambda: ReplEnv(
                binary,
                project=project,
                lean_path=lean_path,
                imports=imports,
                request_timeout_s=cfg.request_timeout_s,
                import_timeout_s=cfg.start_timeout_s,
            )
        case other:
            raise BuildError(f"not a Lean backend: env.kind={other}")


@contextmanager
def build_lean_env(cfg: DictConfig) -> Iterator[PantographEnv | ReplEnv]:
    """One Lean env, its process tree killed on exit."""
    env = env_factory(cfg)()
    try:
        yield env
    finally:
        env.close()


@contextmanager
def build_lean_pool(cfg: DictConfig) -> Iterator[LeanPool]:
    """``env.pool_size`` Lean envs with recycling and the memory cap from config."""
    pool = LeanPool(
        env_factory(cfg),
        cfg.pool_size,
        max_requests=cfg.max_requests,
        max_age_s=cfg.max_age_s,
        max_rss_mb=cfg.max_rss_mb or None,
    )
    try:
        yield pool
    finally:
        pool.close()


# ---- whole-file verification (qed verify) -------------------------------------------------

_DECL = re.compile(r"^(?:theorem|lemma)\s+(\S+)", re.M)


def proofs_of(path: Path, names: list[str]) -> list[tuple[str, str]]:
    """(theorem name, file text) pairs to verify under ``path``."""
    if path.is_dir():
        listed = path / "proofs.jsonl"
        if not listed.exists():
            raise FileNotFoundError(f"{path}: no proofs.jsonl (not a qed prove run directory)")
        from qed.eval.prove import file_stem

        out = []
        for line in listed.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            name = json.loads(line)["name"]
            if names and name not in names:
                continue
            out.append((name, (path / "proofs" / f"{file_stem(name)}.lean").read_text(encoding="utf-8")))
        return out
    text = path.read_text(encoding="utf-8")
    found = names or _DECL.findall(text)
    if not found:
        raise ValueError(f"{path}: no theorem or lemma declared; name one with --theorem")
    return [(name, text) for name in found]


def checker_for(cfg, lean_cmd: str = ""):
    """The whole-file checker for ``env.kind`` (``lean_cmd``: a ``lean`` command line instead)."""
    from qed.env.verify import LakeFileChecker, ReplFileChecker, SandboxFileChecker

    project = cfg.env.get("project") or None
    if lean_cmd:
        return LakeFileChecker(project=project, command=lean_cmd.split())
    match cfg.env.kind:
        case "repl":
            if not cfg.env.binary:
                raise ValueError("env=repl needs env.binary=PATH (the REPL executable); see docs/lean.md")
            return ReplFileChecker(cfg.env.binary, project=project,
                                   lean_path=cfg.env.get("lean_path") or None,
                                   timeout_s=float(cfg.env.get("start_timeout_s") or 300.0))
        case "pantograph":
            return LakeFileChecker(project=project)
        case "sandbox":
            return SandboxFileChecker()
        case other:
            raise ValueError(f"qed verify has no checker for env.kind={other}")


def verify_all(checker, items: list[tuple[str, str]]):
    """Verify every (name, file text); the sandbox checker re-reads statement and proof."""
    from qed.core import Theorem
    from qed.env.verify import SandboxFileChecker, Verdict, Verification, VerifySummary, judge

    results = []
    for name, text in items:
        if isinstance(checker, SandboxFileChecker):
            from qed.core.lean_text import header_and_declarations
            from qed.env.check import split_statement

            header, decls = header_and_declarations(text)
            decl = next((d for _, d in decls if d.split()[1:2] == [name]), None)
            if decl is None:
                results.append(Verification(name, Verdict.REJECTED, ("theorem not found in its file",), None,
                                            checker.backend, False))
                continue
            statement, proof = split_statement(decl)
            results.append(judge(name, checker.check_proof(Theorem(name, statement, header=header), proof)))
        else:
            results.append(judge(name, checker.check(text, name)))
    return VerifySummary(tuple(results))


def verify_run(cfg: DictConfig, root: Path) -> dict | None:
    """Verify a run directory's proofs with the configured checker; write ``verify.json``.

    Returns the counts overall and per category (``None`` when the run proved nothing).
    """
    from qed.eval.summary import category

    if not (root / "proofs.jsonl").exists():
        return None
    items = proofs_of(root, [])
    with checker_for(cfg) as checker:
        summary = verify_all(checker, items)
    is_lean = all(r.is_lean for r in summary.results)
    table: dict = {"all": summary.counts, "categories": {}, "is_lean": is_lean}
    for r in summary.results:
        empty = {"accepted": 0, "rejected": 0, "unverified": 0}
        counts = table["categories"].setdefault(category(r.name), empty)
        counts[str(r.verdict)] += 1
    (root / "verify.json").write_text(json.dumps({**summary.to_json(), "table": table}, indent=1,
                                                 ensure_ascii=False) + "\n", encoding="utf-8")
    return table
