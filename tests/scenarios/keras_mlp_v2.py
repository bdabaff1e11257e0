"""The canonical MLP written against contract 2: the same model, data and training as
scenarios/canonical_mlp.py, with phases timed, the loss trace kept and the weights digested.
Used by the tests to show that timing and tracing leave the numbers unchanged."""
CONTRACT = 2
NAME = "keras_mlp_v2"
METRIC = "MSE"
REPEATS = 3
TIMEOUT = 300
EPOCHS = 100


def run_once(keras, np, ctx):
    sequence = np.array([i / 10.0 for i in range(10)], dtype=np.float64)
    X, y = sequence[:-1].reshape((9, 1)), sequence[1:]
    with ctx.phase("build"):
        model = keras.models.Sequential()
        ctx.dense_input(keras, model, 10, 1)
        model.add(keras.layers.Dense(1))
        model.compile(loss="mean_squared_error", optimizer="adam")
    with ctx.phase("fit"):
        history = model.fit(X, y, epochs=EPOCHS, batch_size=len(X), verbose=0, callbacks=[ctx.fit_timer()])
    ctx.loss_trace(history)
    with ctx.phase("evaluate"):
        yhat = np.asarray(model.predict(X, verbose=0), dtype=np.float64)
    print("weights digest %r" % ctx.weights_digest(model))
    return float(np.mean((y - yhat[:, 0]) ** 2))
