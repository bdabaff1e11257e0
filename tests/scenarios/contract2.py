"""Contract 2 without Keras: declarations, data from ctx.data_rng, phases and a loss trace."""
CONTRACT = 2
NAME = "contract2"
METRIC = "mean of five draws"
REPEATS = 3
TIMEOUT = 45
DATA_SEED = 7


def applies(info):
    if info.backend != "none" or info["api"] != "none":
        return "this test scenario runs without Keras only"
    return True


def run_once(keras, np, ctx):
    assert ctx.keras_major is None and ctx.api == "none" and ctx.backend == "none"
    with ctx.phase("build"):
        data = ctx.data_rng.rand(5)
    with ctx.phase("fit"):
        noise = float(np.random.rand())   # the recipe's global numpy generator, not the data's
    with ctx.phase("fit"):
        pass
    ctx.loss_trace([noise, 0.5, float("nan")])
    return float(data.mean())
