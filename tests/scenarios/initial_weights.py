"""Digest of a fresh model's initial weights: which seeds fix the initialisation."""
CONTRACT = 2
NAME = "initial_weights"
METRIC = "weights digest"
REPEATS = 3


def run_once(keras, np, ctx):
    with ctx.phase("build"):
        model = keras.models.Sequential()
        ctx.dense_input(keras, model, 10, 1)
        model.add(keras.layers.Dense(1))
    return ctx.weights_digest(model)
