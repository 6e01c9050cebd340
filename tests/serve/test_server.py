"""``qed serve`` over real HTTP on 127.0.0.1: the OpenAI endpoints, validation, batching of
concurrent requests, and the HTTP policy and encoder against it."""

from __future__ import annotations

import asyncio
import socket

import httpx
import numpy as np
import pytest

from qed.core import Encoder, Policy, Query
from qed.policy.hf import HFPolicy
from qed.policy.http import HttpPolicy, PolicyHTTPError
from qed.serve.app import Engine, ServeOptions, create_app, running_server
from qed.value.encoder import HFEncoder
from qed.value.http_encoder import EncoderHTTPError, HttpEncoder


@pytest.fixture(scope="module")
def server(tiny):
    model, tok = tiny
    engine = Engine(model, tok, ServeOptions(window_s=0.05))
    with running_server(create_app(engine)) as url:
        yield url, engine


def test_health_and_models(server):
    url, _ = server
    assert httpx.get(f"{url}/health").json()["status"] == "ok"
    models = httpx.get(f"{url}/v1/models").json()
    assert [m["id"] for m in models["data"]] == ["qed"]


def test_completions_return_n_choices_per_prompt_with_logprobs(server):
    url, _ = server
    body = {"model": "qed", "prompt": ["⊢ x = 2", "theorem t : 1 = 1 := by"], "n": 3, "max_tokens": 5,
            "temperature": 1.0, "top_p": 0.9, "logprobs": 1, "seed": 3}
    r = httpx.post(f"{url}/v1/completions", json=body, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [c["index"] for c in out["choices"]] == list(range(6))
    for c in out["choices"]:
        lp = c["logprobs"]
        assert len(lp["tokens"]) == len(lp["token_logprobs"]) <= 5
        assert all(v <= 0 for v in lp["token_logprobs"])
        assert lp["tokens"] or not c["text"]
        assert c["finish_reason"] in ("stop", "length")
    assert out["usage"]["completion_tokens"] == sum(len(c["logprobs"]["tokens"]) for c in out["choices"])
    again = httpx.post(f"{url}/v1/completions", json=body, timeout=60).json()
    assert [c["text"] for c in again["choices"]] == [c["text"] for c in out["choices"]]  # same seed


@pytest.mark.parametrize("body, field", [
    ({"prompt": "", "n": 1}, "prompt"),
    ({"prompt": "a", "n": 0}, "n"),
    ({"prompt": "a", "top_p": 0}, "top_p"),
    ({"prompt": "a", "temperature": -1}, "temperature"),
    ({"prompt": "a", "max_tokens": 0}, "max_tokens"),
    ({"prompt": "a", "stream": True}, "stream"),
    ({"n": 2}, "prompt"),
])
def test_invalid_completion_requests_get_422_naming_the_field(server, body, field):
    url, _ = server
    r = httpx.post(f"{url}/v1/completions", json=body, timeout=30)
    assert r.status_code == 422
    assert field in r.text


def test_unknown_model_is_404(server):
    url, _ = server
    r = httpx.post(f"{url}/v1/completions", json={"model": "gpt-4", "prompt": "a"}, timeout=30)
    assert r.status_code == 404 and "gpt-4" in r.text


def test_concurrent_requests_are_batched_together(server):
    url, engine = server

    async def burst():
        async with httpx.AsyncClient(timeout=60) as client:
            reqs = [client.post(f"{url}/v1/completions",
                                json={"prompt": f"⊢ x = {i}", "n": 2, "max_tokens": 4, "temperature": 1.0})
                    for i in range(8)]
            return await asyncio.gather(*reqs)

    before = engine.completions.calls
    responses = asyncio.run(burst())
    assert all(r.status_code == 200 and len(r.json()["choices"]) == 2 for r in responses)
    assert engine.completions.calls - before < 8


def test_embeddings_match_the_in_process_encoder(server, tiny):
    url, _ = server
    model, tok = tiny
    texts = ["⊢ x = 2", "x y : ℝ\n⊢ x + y = y + x", "h : 0 < n\n⊢ n ≠ 0"]
    with HttpEncoder(url, batch_size=2) as enc:
        assert isinstance(enc, Encoder)
        remote = enc.encode(texts)
    np.testing.assert_allclose(remote, HFEncoder(model, tok).encode(texts), atol=1e-5)
    r = httpx.post(f"{url}/v1/embeddings", json={"input": []}, timeout=30)
    assert r.status_code == 422


def test_http_policy_matches_in_process_policy_under_greedy_decoding(server, tiny, theorems):
    url, _ = server
    model, tok = tiny
    queries = [Query(t, t.goal or "") for t in theorems[:3]]
    remote = HttpPolicy(url, temperature=0.0, max_tokens=8)
    assert isinstance(remote, Policy)
    got = remote.propose(queries, 2)
    want = HFPolicy(model, tok, temperature=0.0, max_new_tokens=8).propose(queries, 2)
    assert [[c.tactic for c in cs] for cs in got] == [[c.tactic for c in cs] for cs in want]
    for g, w in zip(got, want, strict=True):
        for a, b in zip(g, w, strict=True):
            assert a.logprob == pytest.approx(b.logprob, abs=1e-3) and a.n_tokens == b.n_tokens


def test_http_policy_sampling_gives_distinct_ranked_candidates(server, theorems):
    url, _ = server
    policy = HttpPolicy(url, temperature=1.0, max_tokens=6, seed=1)
    out = policy.propose([Query(theorems[0], theorems[0].goal or "")], 8)
    cands = out[0]
    assert 1 <= len(cands) <= 8 and len({c.tactic for c in cands}) == len(cands)
    assert [c.logprob for c in cands] == sorted((c.logprob for c in cands), reverse=True)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_clients_retry_then_fail_clearly_when_no_server_listens(theorems):
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(PolicyHTTPError, match="after 3 attempts"):
        HttpPolicy(url, retries=2, backoff_s=0.01).propose([Query(theorems[0], "⊢ True")], 2)
    with pytest.raises(EncoderHTTPError, match="after 2 attempts"):
        HttpEncoder(url, retries=1, backoff_s=0.01).encode(["a"])


def test_client_errors_are_not_retried(server, theorems):
    url, _ = server
    with pytest.raises(PolicyHTTPError, match="HTTP 404"):
        HttpPolicy(url, model="other").propose([Query(theorems[0], "⊢ True")], 1)


@pytest.mark.slow
def test_qed_serve_command_serves_the_http_policy(tiny, theorems, tmp_path):
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    from qed.policy.models import save_model

    exe = Path(sys.executable).with_name("qed")
    assert exe.exists(), "the qed console script is not installed (make setup installs it)"
    save_model(*tiny, tmp_path / "m")
    port = _closed_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([str(exe), "serve", "--model", str(tmp_path / "m"), "--port", str(port),
                             "--device", "cpu"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "qed serve did not come up"
            time.sleep(0.2)
        queries = [Query(t, t.goal or "") for t in theorems[:2]]
        got = HttpPolicy(url, temperature=0.0, max_tokens=6).propose(queries, 1)
        model, tok = tiny
        want = HFPolicy(model, tok, temperature=0.0, max_new_tokens=6).propose(queries, 1)
        assert [[c.tactic for c in cs] for cs in got] == [[c.tactic for c in cs] for cs in want]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    missing = subprocess.run([str(exe), "serve", "--model", str(tmp_path / "nope")], env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "qed model init" in missing.stderr

