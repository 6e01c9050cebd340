"""The HTTP policy and encoder against the reply bodies vLLM and SGLang document
(tests/fixtures/inference/, sources quoted there), served by a real local HTTP server:
bodies parse into typed choices and vectors; malformed or truncated bodies are errors that
name the server and the field."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from qed.core import Query, Theorem
from qed.policy.http import CompletionChoice, HttpPolicy, PolicyHTTPError, parse_completion
from qed.value.http_encoder import EncoderHTTPError, HttpEncoder, parse_embeddings

REPLIES = Path(__file__).resolve().parent.parent / "fixtures" / "inference" / "server_replies.jsonl"


def _replies(server: str, endpoint: str) -> list[dict]:
    rows = [json.loads(line) for line in REPLIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["server"] == server and r["endpoint"] == endpoint]


class _Serve:
    """A real HTTP server on 127.0.0.1 answering every POST with the given raw body."""

    def __init__(self, body: bytes):
        outer = self
        self.requests: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                outer.requests.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self) -> _Serve:
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_sglang_completion_bodies_parse():
    length, stop = _replies("sglang", "/v1/completions")
    choices = parse_completion(json.dumps(length["body"]), "sglang", n=1)
    assert choices == (CompletionChoice(0, length["body"]["choices"][0]["text"], None, None, "length"),)
    assert choices[0].logprob() == (0.0, 0)
    parsed = parse_completion(json.dumps(stop["body"]).encode(), "sglang", n=1)[0]
    assert parsed.finish_reason == "stop" and parsed.text.startswith(" In 200 words or less.")


def test_http_policy_reads_a_recorded_sglang_body_over_a_real_socket():
    record = _replies("sglang", "/v1/completions")[1]
    with _Serve(json.dumps(record["body"]).encode()) as server:
        policy = HttpPolicy(server.url, model="qed", max_tokens=8, retries=0)
        out = policy.propose([Query(Theorem("t", "theorem t : 1 + 1 = 2 := by"), "⊢ 1 + 1 = 2")], 1)
    assert len(out) == 1 and len(out[0]) == 1
    sent = server.requests[0]
    assert sent["n"] == 1 and sent["logprobs"] == 1 and sent["stop"]  # asks for logprobs, stops at the fence


@pytest.mark.parametrize("cut, field", [
    (lambda b: b[: len(b) // 2], "not JSON (truncated?)"),
    (lambda b: json.dumps({**json.loads(b), "choices": {}}).encode(),
     "field 'choices' is missing or not a list"),
    (lambda b: json.dumps({**json.loads(b), "choices": [
        {k: v for k, v in json.loads(b)["choices"][0].items() if k != "text"}]}).encode(),
     "field 'choices[0].text'"),
    (lambda b: json.dumps({**json.loads(b), "choices": [
        {**json.loads(b)["choices"][0], "logprobs": {"token_logprobs": "-0.5"}}]}).encode(),
     "field 'choices[0].logprobs.token_logprobs'"),
])
def test_malformed_or_truncated_completion_bodies_name_the_server_and_field(cut, field):
    body = json.dumps(_replies("sglang", "/v1/completions")[0]["body"]).encode()
    with _Serve(cut(body)) as server:
        policy = HttpPolicy(server.url, retries=0)
        with pytest.raises(PolicyHTTPError) as err:
            policy.propose([Query(Theorem("t", "theorem t : True := by"), "⊢ True")], 1)
    assert server.url in str(err.value) and field in str(err.value)


def test_a_reply_with_fewer_choices_than_n_is_an_error():
    body = json.dumps(_replies("sglang", "/v1/completions")[0]["body"])
    with pytest.raises(PolicyHTTPError, match=r"sglang: reply field 'choices' has 1 entries but n=4"):
        parse_completion(body, "sglang", n=4)


def test_a_vllm_completion_choice_with_logprobs_parses():
    (record,) = _replies("vllm", "/v1/completions")
    (choice,) = parse_completion(json.dumps(record["body"]), "vllm", n=1)
    assert choice.text == "7" and choice.tokens == ("7",) and choice.finish_reason == "length"
    assert choice.token_logprobs == (-0.000024199192921514623,)
    total, count = choice.logprob()
    assert count == 1 and total == pytest.approx(-2.4199192921514623e-05)
    null_entry = {**record["body"], "choices": [{**record["body"]["choices"][0], "logprobs": {
        **record["body"]["choices"][0]["logprobs"], "token_logprobs": [None]}}]}
    assert parse_completion(json.dumps(null_entry), "vllm")[0].logprob() == (0.0, 0)  # vLLM allows null


def test_http_policy_ranks_by_the_recorded_vllm_logprobs_over_a_real_socket():
    (record,) = _replies("vllm", "/v1/completions")
    with _Serve(json.dumps(record["body"]).encode()) as server:
        out = HttpPolicy(server.url, retries=0).propose([Query(Theorem("t", "theorem t : 3 + 4 = 7 := by"),
                                                               "⊢ 3 + 4 = 7")], 1)
    (candidate,) = out[0]
    assert candidate.logprob == pytest.approx(-2.4199192921514623e-05)


def test_vllm_embedding_bodies_parse_in_input_order():
    single, batch = _replies("vllm", "/v1/embeddings")
    assert parse_embeddings(json.dumps(single["body"]), "vllm", 1) == [[0.0123, -0.0234, 0.0345]]
    shuffled = {**batch["body"], "data": list(reversed(batch["body"]["data"]))}
    rows = parse_embeddings(json.dumps(shuffled), "vllm", 3)
    assert rows == [[0.0123, -0.0234], [0.0456, -0.0567], [0.0789, -0.0890]]


def test_http_encoder_reads_a_recorded_vllm_body_over_a_real_socket():
    batch = _replies("vllm", "/v1/embeddings")[1]
    with _Serve(json.dumps(batch["body"]).encode()) as server, HttpEncoder(server.url, retries=0) as enc:
        out = enc.encode(batch["request"]["input"])
    assert out.shape == (3, 2) and out.dtype == np.float32
    assert server.requests[0]["input"] == batch["request"]["input"]


@pytest.mark.parametrize("edit, field", [
    (lambda b: b[:-7], "not JSON (truncated?)"),
    (lambda b: json.dumps({**json.loads(b), "data": None}).encode(), "field 'data'"),
    (lambda b: json.dumps({**json.loads(b), "data": [{**d, "embedding": "AAAA"}
                                                     for d in json.loads(b)["data"]]}).encode(),
     "field 'data[0].embedding' is a base64 string"),
    (lambda b: json.dumps({**json.loads(b), "data": json.loads(b)["data"][:2]}).encode(),
     "field 'data' has indices"),
])
def test_malformed_or_truncated_embedding_bodies_name_the_server_and_field(edit, field):
    batch = _replies("vllm", "/v1/embeddings")[1]
    body = edit(json.dumps(batch["body"]).encode())
    with _Serve(body) as server, HttpEncoder(server.url, retries=0) as enc:
        with pytest.raises(EncoderHTTPError) as err:
            enc.encode(batch["request"]["input"])
    assert server.url in str(err.value) and field in str(err.value)
