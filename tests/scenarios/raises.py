"""Broken on purpose: the second repeat raises."""
NAME = "raises"
REPEATS = 3
CALLS = []


def run_once(keras, np):
    CALLS.append(1)
    if len(CALLS) == 2:
        raise ZeroDivisionError("scenario failed on repeat 2")
    return 0.5
