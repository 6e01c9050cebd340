"""A replay server that misbehaves once, for adversarial tests of the process owner.

``python misbehave.py --mode MODE [--trigger TEXT] [--once FLAG] [--delay S] PROTOCOL FILE``
serves FILE with ``qed.env.replay_server`` (recorded replies only) but, on the first
request containing TEXT (any request when TEXT is empty):

- ``hang``: stops answering (sleeps for an hour);
- ``die``: exits with status 3 without replying;
- ``garbage``: writes a line that is not JSON before the real reply;
- ``spawn``: starts a grandchild process (printing its pid on stderr), then hangs;
- ``grow``: allocates and touches about 300 MB, then hangs (for the memory watchdog);
- ``slow``: (at start-up, not per request) sleeps ``--delay`` seconds before serving.

With ``--once FLAG`` it misbehaves only while the file FLAG does not exist (and creates
it), so the restarted process behaves: that is how recovery is tested.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from qed.env.replay_server import Replayer, load_transcript, serve_pantograph, serve_repl


class Trap:
    """Wraps stdin; misbehaves when the trigger line is read."""

    def __init__(self, inp, out, mode: str, trigger: str, protocol: str):
        self.inp, self.out, self.mode, self.trigger, self.protocol = inp, out, mode, trigger, protocol
        self.armed = True

    def readline(self) -> bytes:
        line = self.inp.readline()
        if self.armed and line.strip() and self.trigger in line.decode("utf-8", errors="replace"):
            self.armed = False
            if self.mode == "hang":
                time.sleep(3600)
            elif self.mode == "die":
                os._exit(3)
            elif self.mode == "garbage":
                self.out.write(b"this is not json at all\n")
                self.out.flush()
            elif self.mode == "grow":
                hog = bytearray(300 * 1024 * 1024)
                for i in range(0, len(hog), 4096):
                    hog[i] = 1
                time.sleep(3600)
            elif self.mode == "spawn":
                child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
                print(f"grandchild {child.pid}", file=sys.stderr, flush=True)
                time.sleep(3600)
        return line


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("hang", "die", "garbage", "spawn", "grow", "slow"), required=True)
    parser.add_argument("--trigger", default="")
    parser.add_argument("--once", type=Path)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("protocol", choices=("pantograph", "repl"))
    parser.add_argument("file", type=Path)
    args, _ignored = parser.parse_known_args()  # module names / --options a client appends
    misbehave = True
    if args.once is not None:
        misbehave = not args.once.exists()
        args.once.touch()
    if misbehave and args.mode == "slow":
        time.sleep(args.delay)
    replayer = Replayer(load_transcript(args.protocol, args.file))
    out = sys.stdout.buffer
    inp = sys.stdin.buffer
    if misbehave and args.mode != "slow":
        inp = Trap(sys.stdin.buffer, out, args.mode, args.trigger, args.protocol)
    if args.protocol == "pantograph":
        serve_pantograph(replayer, inp, out)
        return 0
    return serve_repl(replayer, inp, out)


if __name__ == "__main__":
    sys.exit(main())
