"""RayProver on a real local Ray instance (2 CPUs, 100 MB object store, bound to 127.0.0.1):
the same theorems give the same results as LocalProver; a prover actor killed mid-run loses
nothing (its theorems are retried on another actor) or, out of attempts, records them as
infrastructure failures; a driver stopped mid-run resumes through ``run_prove``."""

from __future__ import annotations

import math
import sys

import pytest

import ray  # the dist extra (make setup installs it); a missing ray fails loudly here

from qed.core import Theorem
from qed.data.benchmarks import load_benchmark
from qed.dist.local import LocalProver, shared
from qed.dist.ray import RayProver, Resources, SandboxEnvs, connect
from qed.env.sandbox.coverage import coverage
from qed.env.sandbox.env import SandboxEnv
from qed.eval.prove import read_records, run_prove
from qed.policy.scripted import FixedPolicy
from qed.search.best_first import SearchSettings
from qed.search.result import Budget

# Classes defined here travel to the actors by value (test modules are not importable there).
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

pytestmark = pytest.mark.slow
BUDGET = Budget(max_expansions=6, candidates=8)
SETTINGS = SearchSettings(alpha=0.5)
SMALL = Resources(num_cpus=0.5)


class LengthValue:
    def score(self, queries):
        return [float(len(q.state) % 5) for q in queries]


@pytest.fixture(scope="module")
def cluster():
    with connect(num_cpus=2, object_store_mb=100) as resources:
        assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
        yield resources
    assert not ray.is_initialized()


@pytest.fixture(scope="module")
def theorems() -> list[Theorem]:
    ths = load_benchmark("minif2f_v1")
    accepted = set(coverage(ths).accepted)
    return [t for t in ths if t.name in accepted][:14] + [Theorem("c", "theorem c (p : Polynomial ℝ) : p = p := by")]


def signature(r):
    return (
        r.status,
        r.proof_tactics(),
        [(n.state, n.tactic, n.expansion_order) for n in r.nodes],
        [None if math.isnan(n.energy) else n.energy for n in r.nodes],
    )


def local_results(theorems, value=None, budget=BUDGET):
    prover = LocalProver(
        envs=shared(SandboxEnv()), policy=FixedPolicy(), value=value, budget=budget, settings=SETTINGS,
        concurrency=4,
    )
    return {r.theorem.name: r for r in prover.prove(theorems)}


def ray_prover(**kw) -> RayProver:
    args = dict(
        make_envs=SandboxEnvs(), policy=FixedPolicy, value=None, budget=BUDGET, settings=SETTINGS,
        provers=2, searches=2, resources=SMALL,
    )
    return RayProver(**(args | kw))


def test_same_results_as_local_with_a_shared_batching_model_server(cluster, theorems):
    expected = local_results(theorems, value=LengthValue())
    prover = ray_prover(value=LengthValue, model_server=Resources(num_cpus=0))
    got = {r.theorem.name: r for r in prover.prove(theorems)}
    assert sorted(got) == sorted(expected)
    for name, r in got.items():
        assert signature(r) == signature(expected[name]), name
    assert {r.status for r in got.values()} >= {"proved", "unsupported"}
    assert prover.stats["attempts"] == len(theorems) and prover.stats["retries"] == 0
    assert prover.actors == [] and prover.server is None  # everything it started is gone


def test_a_killed_prover_loses_nothing_its_theorems_are_retried(cluster, theorems):
    budget = Budget(max_expansions=40, candidates=8)
    expected = local_results(theorems, budget=budget)
    prover = ray_prover(budget=budget, provers=2, searches=3)
    got, killed = {}, None
    for r in prover.prove(theorems):
        got[r.theorem.name] = r
        if killed is None:
            killed = prover.actors[0]
            ray.kill(killed, no_restart=True)
    assert sorted(got) == sorted(expected)
    assert all(signature(got[n]) == signature(expected[n]) for n in expected)
    assert prover.stats["lost_actors"] >= 1 and prover.stats["retries"] >= 1
    assert prover.stats["infrastructure_failures"] == 0


def test_out_of_attempts_a_lost_theorem_is_an_infrastructure_failure(cluster, theorems):
    prover = ray_prover(budget=Budget(max_expansions=40, candidates=8), provers=1, searches=3, max_attempts=1)
    got = {}
    for r in prover.prove(theorems):
        got[r.theorem.name] = r
        if len(got) == 1:
            ray.kill(prover.actors[0], no_restart=True)
    assert sorted(got) == sorted(t.name for t in theorems)
    lost = [r for r in got.values() if r.status == "error"]
    assert len(lost) == prover.stats["infrastructure_failures"] >= 1
    assert all(r.stop_reason == "crashed" and "lost with its prover actor" in r.message for r in lost)


def test_a_stopped_driver_resumes_where_it_stopped(cluster, theorems, tmp_path):
    expected = local_results(theorems)
    assert run_prove(theorems, ray_prover(), tmp_path, stop_after=5) is None
    assert len(read_records(tmp_path / "results.jsonl")) == 5
    seen = []
    summary = run_prove(
        theorems, ray_prover(), tmp_path, on_start=lambda recs, left: seen.append((len(recs), left))
    )
    assert seen == [(5, len(theorems) - 5)]
    records = read_records(tmp_path / "results.jsonl")
    assert sorted(r["name"] for r in records) == sorted(expected)
    assert {r["name"]: r["status"] for r in records} == {n: r.status for n, r in expected.items()}
    assert summary["proved"] == sum(r.proved for r in expected.values())
    assert (tmp_path / "DONE").exists()




def test_cli_driver_killed_then_restarted_resumes_under_dist_ray(cluster, tmp_path):
    """A `qed prove dist=ray` driver joined to a running cluster, SIGKILLed mid-run, takes only
    its actors with it; rerun, it resumes, finishes without duplicates and matches dist=local."""
    import os
    import signal
    import subprocess
    import time
    from pathlib import Path

    from typer.testing import CliRunner

    from qed.cli.main import app

    base = ["prove", "minif2f_v1", "policy=scripted", f"search.runs_dir={tmp_path}",
            "search.max_expansions=30", "--limit", "24"]
    ray_args = [*base, "dist=ray", "dist.provers=2", "dist.searches_per_prover=2", "dist.prover.num_cpus=0.5",
                "--name", "r"]
    address = ray.get_runtime_context().gcs_address
    results = tmp_path / "r" / "results.jsonl"
    qed = Path(sys.executable).with_name("qed")
    env = os.environ | {"RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen([str(qed), *ray_args, f"dist.address={address}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300  # generous: a loaded machine starts slowly
        while time.monotonic() < deadline and proc.poll() is None:
            if results.exists() and results.read_text().count("\n") >= 3:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    first = read_records(results)
    assert 3 <= len(first) < 24, proc.stderr.read().decode()[-3000:]
    assert not (tmp_path / "r" / "DONE").exists()
    runner = CliRunner()
    again = runner.invoke(app, ray_args)  # the test's Ray is running: the command uses it
    assert again.exit_code == 0, again.output
    local = runner.invoke(app, [*base, "--name", "l"])
    assert local.exit_code == 0, local.output
    ray_records = read_records(results)
    names = [r["name"] for r in ray_records]
    assert len(names) == len(set(names)) == 24 and results.read_text().count("\n") == 24
    statuses = {r["name"]: r["status"] for r in ray_records}
    assert {r["name"]: r["status"] for r in first}.items() <= statuses.items()
    keys = ("status", "proof", "expansions", "nodes")
    assert {r["name"]: [r[k] for k in keys] for r in ray_records} == {
        r["name"]: [r[k] for k in keys] for r in read_records(tmp_path / "l" / "results.jsonl")
    }
    assert (tmp_path / "r" / "DONE").exists()


class BrokenEnvs:
    def __call__(self):
        raise ValueError("no Lean here")


def test_a_prover_that_cannot_start_is_an_error_not_a_hang(cluster, theorems):
    from qed.dist.ray import ProverStartError

    with pytest.raises(ProverStartError, match="no Lean here"):
        list(ray_prover(make_envs=BrokenEnvs()).prove(theorems[:2]))
