"""Broken on purpose: returns a list of two million numbers instead of one number."""
NAME = "huge_return"
REPEATS = 1


def run_once(keras, np):
    return list(range(2000000))
