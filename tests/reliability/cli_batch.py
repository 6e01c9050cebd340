"""Run many ``qed`` command lines in one process through typer's CliRunner (the real CLI app),
one JSON line per command on stdout, written as each finishes.

    python cli_batch.py CASES.json SECONDS

``CASES.json`` is a list of ``{"id", "args"}``. Each command gets ``SECONDS`` of wall time:
past that, SIGALRM ends this process, so the caller sees which command did not report. The
caller sets the process's memory limit (``RLIMIT_AS``) and reads its peak RSS. Used by
``test_bad_inputs.py``; one process per batch keeps the suite fast (imports happen once).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback


def main() -> None:
    cases = json.loads(open(sys.argv[1], encoding="utf-8").read())
    seconds = int(sys.argv[2])
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["COLUMNS"] = "100"
    from typer.testing import CliRunner

    from qed.cli.main import app

    runner = CliRunner()
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # past the limit the process dies; nothing can catch it
    for case in cases:
        print(json.dumps({"started": case["id"]}), flush=True)
        t0 = time.monotonic()
        signal.alarm(seconds)
        result = runner.invoke(app, case["args"], catch_exceptions=True)
        signal.alarm(0)
        exc = result.exception
        escaped = None
        if exc is not None and not isinstance(exc, SystemExit):
            escaped = "".join(traceback.format_exception(exc))
        print(json.dumps({
            "id": case["id"],
            "exit_code": result.exit_code,
            "stdout": result.stdout,
            "stderr": result.stderr,
            "seconds": time.monotonic() - t0,
            "exception": escaped,
        }), flush=True)


if __name__ == "__main__":
    main()
