"""Broken on purpose: raises with a message of several megabytes that ends in a telling word."""
NAME = "huge_error"
REPEATS = 1


def run_once(keras, np):
    raise ValueError("start " + "spam " * 1000000 + "finish")
