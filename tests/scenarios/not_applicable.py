"""Declines every cell without Keras 3, with a reason."""
CONTRACT = 2
NAME = "not_applicable"
METRIC = "MSE"
REPEATS = 2


def applies(info):
    if info.keras_major != 3:
        return "needs Keras 3 (this cell has api %s)" % info.api
    return True


def run_once(keras, np, ctx):
    raise AssertionError("never called on a cell it does not apply to")
