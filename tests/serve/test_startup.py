"""``qed serve`` start-up failures: a missing or truncated model, a broken config, a port that is
not a port, a port in use. Each prints one line on stderr and exits 2, never a traceback."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from qed.cli.main import app
from qed.policy.models import save_model
from qed.serve.app import ServeStartError, bind


@pytest.fixture(scope="module")
def saved(tiny, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m"
    save_model(*tiny, path)
    return path


def _copy(src, dst):
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


def _fails_in_one_line(args: list[str], *expected: str) -> str:
    result = CliRunner().invoke(app, ["serve", "--device", "cpu", *args])
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an escaped exception
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.output
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_a_missing_model_directory(tmp_path):
    _fails_in_one_line(["--model", str(tmp_path / "nope"), "--port", "0"], "does not exist", "qed model init")


def test_a_truncated_weights_file(saved, tmp_path):
    broken = _copy(saved, tmp_path / "truncated")
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    _fails_in_one_line(["--model", str(broken), "--port", "0"], "cannot load the model", str(broken))


def test_a_weights_file_of_garbage_and_a_broken_config(saved, tmp_path):
    garbage = _copy(saved, tmp_path / "garbage")
    (garbage / "model.safetensors").write_bytes(b"\x00\x01not safetensors at all")
    _fails_in_one_line(["--model", str(garbage), "--port", "0"], "cannot load the model")
    config = _copy(saved, tmp_path / "config")
    (config / "config.json").write_text(json.dumps({"model_type": "qwen2", "hidden_size": "wide"})[:-5])
    _fails_in_one_line(["--model", str(config), "--port", "0"], "cannot load the model")


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_that_is_not_a_port(saved, port):
    _fails_in_one_line(["--model", str(saved), "--port", port], "not a TCP port")


def test_a_port_in_use(saved):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        _fails_in_one_line(["--model", str(saved), "--port", str(port)], "already in use", str(port))
        with pytest.raises(ServeStartError, match="already in use"):
            bind("127.0.0.1", port)


def test_inconsistent_limits(saved):
    args = ["--model", str(saved), "--port", "0", "--max-request-mb", "10", "--max-batch-mb", "5"]
    _fails_in_one_line(args, "max_request_bytes")


def test_an_embedding_layer_the_model_does_not_have(saved):
    _fails_in_one_line(["--model", str(saved), "--port", "0", "--layer", "7"], "layer 7 does not exist")
