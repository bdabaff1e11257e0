"""Prints junk to stdout and stderr but returns a number: stdout is diagnostics only."""
import sys

NAME = "noisy"
REPEATS = 2


def run_once(keras, np):
    print("0.123 {\"values\": [1, 2, 3]} this is not the result")
    sys.stderr.write("more junk\n")
    return 0.25
