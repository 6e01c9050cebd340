"""The theorem generator: deterministic by seed, every family verified, resumable CLI."""

import json

import pytest
from typer.testing import CliRunner

from qed.core import Theorem
from qed.env.check import check_proof
from qed.env.sandbox.env import SandboxEnv
from qed.env.sandbox.families import FAMILIES
from qed.env.sandbox.generate import draft, generate


def test_same_seed_same_theorems_other_seed_others():
    a = [draft(7, i, 3, list(FAMILIES))[1] for i in range(30)]
    b = [draft(7, i, 3, list(FAMILIES))[1] for i in range(30)]
    c = [draft(8, i, 3, list(FAMILIES))[1] for i in range(30)]
    assert a == b
    assert [t.statement for t in a] != [t.statement for t in c]


@pytest.mark.parametrize("difficulty", [1, 3, 5])
def test_every_family_yields_verified_theorems(difficulty):
    items = list(generate(4 * len(FAMILIES), seed=difficulty, difficulty=difficulty))
    failures = [i.error for i in items if i.row is None]
    assert failures == []
    fams = {i.row["family"] for i in items}
    assert len(fams) >= 8 and fams == set(FAMILIES)


def test_emitted_rows_recheck_and_follow_the_minif2f_schema():
    env = SandboxEnv()
    for item in generate(20, seed=3, difficulty=2):
        row = item.row
        assert set(row) >= {
            "name",
            "split",
            "header",
            "formal_statement",
            "informal_statement",
            "source",
            "proof",
        }
        assert row["formal_statement"].endswith(":= by")
        thm = Theorem(row["name"], row["formal_statement"], header=row["header"])
        assert check_proof(env, thm, row["proof"]).ok


def test_a_wrong_proof_is_not_emitted():
    """Verification is real: corrupt a draft's proof and check_proof rejects it."""
    family, thm = draft(0, 0, 2, ["linear_equation"])
    env = SandboxEnv()
    wrong = thm.statement.replace(" := by", "").rsplit("= ", 1)
    bad = Theorem(thm.name, f"{wrong[0]}= {int(wrong[1]) + 1} := by")
    assert not check_proof(env, bad, thm.proof).ok


def test_parallel_workers_give_the_same_rows():
    one = [i.row for i in generate(40, seed=5, difficulty=2, workers=1, chunk=10)]
    two = [i.row for i in generate(40, seed=5, difficulty=2, workers=2, chunk=10)]
    assert one == two


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown family"):
        list(generate(3, families=["nope"]))
    with pytest.raises(ValueError, match="difficulty"):
        list(generate(3, difficulty=9))


def test_cli_generate_writes_and_resumes_after_a_torn_line(tmp_path):
    from qed.cli.main import app

    out = tmp_path / "gen.jsonl"
    runner = CliRunner()
    r = runner.invoke(
        app, ["sandbox", "generate", "--n", "30", "--seed", "4", "--out", str(out), "--workers", "1"]
    )
    assert r.exit_code == 0, r.output
    full = out.read_text(encoding="utf-8").splitlines()
    assert len(full) == 30
    # simulate a killed run: keep 12 rows and half of the 13th
    out.write_text("\n".join(full[:12]) + "\n" + full[12][:40], encoding="utf-8")
    r = runner.invoke(
        app, ["sandbox", "generate", "--n", "30", "--seed", "4", "--out", str(out), "--workers", "1"]
    )
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").splitlines() == full
    assert all(json.loads(line)["name"].startswith("gen_") for line in full)
