"""Broken on purpose: floods stdout/stderr with junk and replaces the result file with junk."""
import os
import sys

NAME = "junk_result"
REPEATS = 1


def run_once(keras, np):
    print("{not json at all" * 100)
    sys.stderr.write("\x00\xff junk on stderr\n")
    out = sys.argv[sys.argv.index("--out") + 1]
    with open(out, "w") as handle:
        handle.write("{\"schema\": 1, \"status\": \"ok\", \"values\": \"banana\"")
    os._exit(0)
