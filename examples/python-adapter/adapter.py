#!/usr/bin/env python3
"""dcomkit adapter for model.py, speaking the JSON Lines protocol of docs/protocol.md.

    dcomkit run --adapter-cmd "python3 examples/python-adapter/adapter.py"

Options: --fixed runs the model without its deliberate bug; --verbose logs every request
to stderr (stderr is free for logging; only stdout carries the protocol).
"""

import json
import os
import sys

# Keep the example folder free of __pycache__ when run from a checkout.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ModelError, World  # noqa: E402

PROTOCOL = 1
ACTIONS = ["start", "activate", "activateShared", "handOver", "release", "call", "exit", "crash", "advance"]


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def log(text):
    sys.stderr.write(f"[python-adapter] {text}\n")
    sys.stderr.flush()


def main(argv):
    bug = "--fixed" not in argv
    verbose = "--verbose" in argv
    send({
        "type": "hello",
        "protocol": PROTOCOL,
        "name": "python-model" if bug else "python-model-fixed",
        "version": "1.0.0",
        "capabilities": {"actions": ACTIONS, "observes": ["pings", "reclaims", "exits"], "clock": {"kind": "virtual"}},
    })
    world = None
    for line in sys.stdin:  # EOF (the kit went away) ends the loop and the adapter
        if not line.strip():
            continue
        request = json.loads(line)
        kind, rid = request["type"], request.get("id")
        if verbose:
            log(line.strip())
        try:
            if kind == "reset":
                world = World(request["seed"], request["world"], bug=bug)
                events = []
            elif kind == "close":
                send({"type": "events", "id": rid, "events": []})
                return 0
            elif world is None:
                raise ModelError("reset must come first")
            elif kind == "apply":
                events = world.apply(request["action"])
            elif kind == "advance":
                events = world.advance(request["ms"])
            else:
                raise ModelError(f"unknown request type {kind!r}")
        except ModelError as err:
            send({"type": "error", "id": rid, "message": str(err)})
            continue
        send({"type": "events", "id": rid, "events": events})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
