"""The ``qed`` command line: check, coverage, config, demo."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qed.cli.main import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_check_reports_successes_and_the_first_failing_tactic(tmp_path):
    f = tmp_path / "p.lean"
    f.write_text(
        "import Mathlib\n\n"
        "theorem good (x : ℝ) (h₀ : 3 * x + 2 = 11) : x = 3 := by\n  linarith\n\n"
        "/-- a wrong step -/\n"
        "theorem bad (a b : ℝ) (h₀ : a + b = 10) : a = 6 ∧ b = 4 := by\n"
        "  constructor\n"
        "  · linarith\n"
        "  · linarith\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["check", str(f)])
    assert r.exit_code == 1, r.output
    assert "✓ good" in r.output
    assert "✗ bad: line 9: linarith" in r.output
    assert "⊢ a = 6" in r.output
    assert "1/2 proofs check" in r.output


def test_check_names_bad_statements_and_missing_files(tmp_path):
    f = tmp_path / "p.lean"
    f.write_text("theorem t (x : ℝ) : x = y := by\n  rfl\n", encoding="utf-8")
    r = runner.invoke(app, ["check", str(f)])
    assert r.exit_code == 1
    assert "unknown identifier 'y'" in r.output
    r = runner.invoke(app, ["check", str(tmp_path / "none.lean")])
    assert r.exit_code == 2 and "cannot read" in r.output


def test_check_on_a_lean_backend_without_a_binary_says_what_is_missing(tmp_path):
    f = tmp_path / "p.lean"
    f.write_text("theorem t : True := by\n  trivial\n", encoding="utf-8")
    r = runner.invoke(app, ["check", str(f), "env=repl"])
    assert r.exit_code == 2
    assert "env.binary" in r.output and "docs/lean.md" in r.output


def test_config_overrides_are_validated():
    r = runner.invoke(app, ["config", "env=pantograph", "env.pool_size=3"])
    assert r.exit_code == 0 and "kind: pantograph" in r.output and "pool_size: 3" in r.output
    r = runner.invoke(app, ["config", "env.pool_size=many"])
    assert r.exit_code == 2 and "pool_size" in r.output


def test_coverage_command_prints_counts_and_reasons(tmp_path):
    out = tmp_path / "cov.json"
    r = runner.invoke(app, ["sandbox", "coverage", "minif2f_v1", "--json", str(out)])
    assert r.exit_code == 0, r.output
    assert "accepts" in r.output and "/488" in r.output
    import json

    report = json.loads(out.read_text(encoding="utf-8"))
    # the reasons shown are the report's (which ones remain changes as the sandbox grows)
    assert all(rej["category"].split()[0] in r.output for rej in report["rejected"][:3])
    assert len(report["accepted"]) >= 240
    assert report["matched"] >= 0.9 * report["compared"]


@pytest.mark.slow
def test_installed_entry_point_runs_the_example_file():
    exe = Path(sys.executable).with_name("qed")
    assert exe.exists(), "the qed console script is not installed (make setup installs it)"
    proc = subprocess.run(
        [str(exe), "check", str(REPO / "examples" / "sandbox_proofs.lean")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1  # the last example is wrong on purpose
    assert "7/8 proofs check" in proc.stdout
