"""The import rules of DESIGN.md, enforced by import-linter, and import side effects."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


LINT = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))


def _lint(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "400"}
    return subprocess.run([LINT, "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
                          env=env)


def test_import_contracts_hold():
    proc = _lint(REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


ILLEGAL = [  # (module that gains the import, the import, the contract that must break)
    ("qed/eval/summary.py", "import ray", "ray stays in qed.dist"),
    ("qed/train/monitor.py", "import omegaconf", "only qed.cli imports hydra and omegaconf"),
    ("qed/train/monitor.py", "import qed.eval.summary", "layers"),
    ("qed/env/check.py", "import qed.policy.prompt", "layers"),
    ("qed/search/tree.py", "import qed.data.proofs", "layers"),
]


@pytest.fixture(scope="module")
def copy_of_qed(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lint")
    shutil.copytree(REPO / "qed", root / "qed", ignore=shutil.ignore_patterns("__pycache__", "*.jsonl"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(("module", "line", "contract"), ILLEGAL, ids=[f"{m}:{i}" for m, i, _ in ILLEGAL])
def test_each_illegal_import_breaks_a_contract(copy_of_qed, module, line, contract):
    path = copy_of_qed / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # illegal (test)\n")
    try:
        proc = _lint(copy_of_qed)
    finally:
        path.write_text(original)
    assert proc.returncode != 0, proc.stdout
    broken = [ln for ln in proc.stdout.splitlines() if ln.rstrip().endswith("BROKEN")]
    assert any(ln.startswith(contract) for ln in broken), proc.stdout[-2000:]


def test_importing_qed_core_loads_no_heavy_modules():
    code = (
        "import sys, qed, qed.core, qed.env.check, qed.data.benchmarks\n"
        "bad = [m for m in ('torch', 'ray', 'hydra', 'transformers', 'z3') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
